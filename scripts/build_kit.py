"""Build hecha's offline install kit (issue 20): ``bash dev.sh kit`` on a machine with network.

The kit is a folder ``hecha-kit-<version>/`` and its tarball beside it::

    install.sh        the installer for the office machine (scripts/install.sh)
    README.txt        the procedure in Chinese (the README's install section in short)
    VERSION           hecha's version
    SCHEMA            the database schema it knows (install.sh refuses a downgrade before installing)
    SHA256SUMS        every file's checksum; install.sh checks them first
    wheels/           hecha's wheel, every dependency's wheels for each target, and pip's

Targets: Linux x86_64 and aarch64 (manylinux2014, glibc 2.17 or newer) for CPython 3.10 to 3.13
by default; ``--here`` for the running platform and Python only (the test's kit). Wheels only
(``--only-binary=:all:``): the office machine has no compiler and no network. ``--ref`` builds
hecha's wheel from an earlier commit (the upgrade test's older release); its dependencies come
from the same list, which an older release's requirements must fit.

Exit status 1 with a message when a dependency has no wheel for a target (name, target and the
fix). Needs pip, setuptools and wheel in the running Python; downloads through pip's own index
settings (PyPI or the mirror pip is configured with).
"""

from __future__ import annotations

import argparse
import email.parser
import hashlib
import io
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))  # storage.doctor's marker reading, also from a checkout not installed
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
ARCHES = ("x86_64", "aarch64")
MANYLINUX = "manylinux2014"  # glibc 2.17: CentOS 7, Debian 8, Ubuntu 14.04 and everything newer


class KitError(Exception):
    """A kit that cannot be built; the message says why and what to do."""


def build_wheel(out: Path, ref: str | None) -> Path:
    """hecha's wheel (from the working tree, or from commit ``ref`` through ``git archive``) into ``out``."""
    with tempfile.TemporaryDirectory() as tmp:
        src = REPO
        if ref:
            src = Path(tmp) / "src"
            src.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(REPO), "archive", "--format=tar", ref], check=True, capture_output=True
            ).stdout
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                if hasattr(tarfile, "data_filter"):  # Python 3.10.12+, 3.11.4+
                    tar.extractall(src, filter="data")
                else:
                    tar.extractall(src)  # our own repository's archive
        before = set(out.glob("hecha-*.whl"))
        run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(src)])
        made = sorted(set(out.glob("hecha-*.whl")) - before) or sorted(out.glob("hecha-*.whl"))
        if not made:
            raise KitError("没有生成 hecha 的 wheel")
        return made[-1]


def requirements(wheel: Path) -> list[str]:
    """The ``Requires-Dist`` lines of ``wheel`` without extras (the test and bench tools)."""
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = email.parser.Parser().parsestr(zf.read(name).decode())
    return [r for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r]


def schema_version(wheel: Path) -> int:
    """The database schema ``wheel``'s hecha knows (``SCHEMA_VERSION`` in its ``storage/db.py``):
    install.sh refuses a downgrade with it before installing anything."""
    with zipfile.ZipFile(wheel) as zf:
        text = zf.read("storage/db.py").decode()
    match = re.search(r"^SCHEMA_VERSION = (\d+)", text, re.M)
    if not match:
        raise KitError("hecha 的 wheel 里找不到 SCHEMA_VERSION（storage/db.py）")
    return int(match.group(1))


def for_python(reqs: list[str], python: str) -> list[str]:
    """``reqs`` that apply to CPython ``python`` (``"3.10"``), their ``python_version`` markers
    evaluated here: pip download judges a marker given on its command line by the Python it runs
    on, not by ``--python-version`` (tomli for 3.10 went missing otherwise)."""
    from storage.doctor import marker_applies

    target = tuple(int(x) for x in python.split("."))
    out = []
    for req in reqs:
        text, _, marker = req.partition(";")
        holds = marker_applies(marker, target) if marker else True
        if holds is None:
            raise KitError(f"不认识的依赖条件：{req}（只会判断 python_version）")
        if holds:
            out.append(text.strip())
    return out


def here_target() -> tuple[str, str]:
    """The running platform's target: ``(python "3.11", platform tag)``."""
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    arch = platform.machine()
    if sys.platform != "linux" or arch not in ARCHES:
        return python, sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return python, f"{MANYLINUX}_{arch}"


def download(reqs: list[str], python: str, plat: str, wheels: Path) -> None:
    """Every wheel ``reqs`` need on CPython ``python`` and platform tag ``plat``, into ``wheels``."""
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--only-binary=:all:"]
    cmd += ["--platform", plat, "--python-version", python, "--implementation", "cp", "-d", str(wheels), *reqs]
    try:
        run(cmd)
    except KitError as exc:
        raise KitError(
            f"Python {python}（{plat}）的依赖包下载不全：{exc}\n"
            "请检查网络和 pip 的源，或去掉这个目标（--python / --arch）"
        ) from None


def run(cmd: list[str]) -> None:
    """Run ``cmd``; raises :class:`KitError` with the last line it printed when it fails."""
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        said = (proc.stderr or proc.stdout).strip().splitlines()
        raise KitError(said[-1] if said else f"{cmd[0]} 退出状态 {proc.returncode}")


def build(out: Path, *, pythons: list[str], arches: list[str], here: bool, ref: str | None) -> Path:
    """Build the kit under ``out``; returns the tarball's path. Raises :class:`KitError`."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        stage = Path(tmp) / "kit"
        wheels = stage / "wheels"
        wheels.mkdir(parents=True)
        wheel = build_wheel(wheels, ref)
        version = wheel.name.split("-")[1]
        reqs = requirements(wheel)
        targets = [here_target()] if here else [(p, f"{MANYLINUX}_{a}") for a in arches for p in pythons]
        for python, plat in targets:
            print(f"下载 Python {python}（{plat}）的依赖包 …", flush=True)
            download(for_python(reqs, python), python, plat, wheels)
        # pip itself: the office's python3 may lack ensurepip (Debian without python3-venv); install.sh
        # runs pip from its wheel into a venv made --without-pip
        run([sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--no-deps", "-d", str(wheels), "pip"])
        shutil.copy2(HERE / "install.sh", stage / "install.sh")
        (stage / "install.sh").chmod(0o755)
        shutil.copy2(HERE / "kit-README.txt", stage / "README.txt")
        (stage / "VERSION").write_text(version + "\n", encoding="utf-8")
        (stage / "SCHEMA").write_text(f"{schema_version(wheel)}\n", encoding="utf-8")
        (stage / "TARGETS").write_text("".join(f"{p} {t}\n" for p, t in targets), encoding="utf-8")
        sums = []
        for f in sorted(p for p in stage.rglob("*") if p.is_file()):
            sums.append(f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.relative_to(stage)}\n")
        (stage / "SHA256SUMS").write_text("".join(sums), encoding="utf-8")
        name = f"hecha-kit-{version}"
        folder = out / name
        if folder.exists():
            shutil.rmtree(folder)
        stage.rename(folder)
    tarball = out / f"{name}.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(folder, arcname=name)
    return tarball


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "dist", help="where the kit goes (default: dist/)")
    ap.add_argument("--python", action="append", choices=PYTHONS, help="a target Python (repeatable; default: all)")
    ap.add_argument("--arch", action="append", choices=ARCHES, help="a target machine (repeatable; default: both)")
    ap.add_argument("--here", action="store_true", help="only the running platform and Python")
    ap.add_argument("--ref", default=None, help="build hecha from this git commit or tag (an older release)")
    args = ap.parse_args(argv)
    try:
        tarball = build(
            args.out,
            pythons=args.python or list(PYTHONS),
            arches=args.arch or list(ARCHES),
            here=args.here,
            ref=args.ref,
        )
    except (KitError, subprocess.CalledProcessError) as exc:
        print(f"安装包没有做成：{exc}", file=sys.stderr)
        return 1
    folder = tarball.name[: -len(".tar.gz")]
    print(f"安装包：{tarball}（{tarball.stat().st_size / 1e6:.1f} MB）和文件夹 {tarball.parent / folder}")
    print(f"拷到 U 盘，在办公室的电脑上：tar xzf {tarball.name} && cd {folder} && sudo ./install.sh")
    return 0


if __name__ == "__main__":
    sys.exit(main())
