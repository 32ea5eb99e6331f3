"""The offline install kit (issue 20): built for this machine with ``scripts/build_kit.py --here``,
installed by its ``install.sh`` with no index and no network, then run from the install, not from
the checkout; an upgrade over an older release's kit keeps every row; a downgrade is refused.

Building a kit downloads the dependencies' wheels (pip's cache and index): the test needs what
``bash dev.sh test`` needs. Slow: about a minute for both tests."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from storage.db import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parent.parent
SKELETON = "134d8b4"  # hecha 0.1.0: the last commit of the skeleton's schema (1), before schema 2 (b031e22)
pytestmark = pytest.mark.slow


def build_kit(out: Path, *extra: str) -> Path:
    """Build a kit for this platform and Python into ``out``; returns its folder."""
    res = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_kit.py"), "--here", "--out", str(out), *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    assert (out / f"{folder.name}.tar.gz").is_file()
    return folder


def shared_kit(factory: pytest.TempPathFactory, name: str, *extra: str) -> Path:
    """A kit built once for the whole run (pytest-xdist's workers share it under a lock on the run's
    temporary folder): each build downloads and writes 15–20 MB. Tests that damage a kit copy it."""
    import fcntl

    base = factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # one run's, shared by its workers
    with open(root / f"kit-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        out = root / f"kit-{name}"
        if not out.exists():
            build_kit(out, *extra)
        (folder,) = [p for p in out.iterdir() if p.is_dir()]
        return folder


@pytest.fixture
def new_kit(tmp_path_factory) -> Path:
    return shared_kit(tmp_path_factory, "new")


def offline_env(home: Path) -> dict[str, str]:
    """No checkout on the path, no pip configuration, no reachable proxy: anything the install
    fetched from a network would fail."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "HECHA_", "VIRTUAL_ENV"))}
    unreachable = "http://127.0.0.1:9"
    env.update(HOME=str(home), http_proxy=unreachable, https_proxy=unreachable, PIP_CONFIG_FILE=os.devnull)
    env.update(LANG="C.UTF-8", TERM="xterm-256color")
    env["PATH"] = ":".join(p for p in env.get("PATH", "").split(":") if ".venv" not in p)
    return env


def install(kit: Path, root: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``install.sh`` into ``root`` (program, launcher and data folder), without groups or accounts."""
    return subprocess.run(
        [
            "bash",
            str(kit / "install.sh"),
            "--prefix",
            str(root / "opt"),
            "--bin",
            str(root / "bin"),
            "--data",
            str(root / "data"),
            "--group",
            "",
            "--python",
            sys.executable,
        ],
        capture_output=True,
        text=True,
        cwd=root,
        env=env,
    )


def counts(db: Path) -> tuple[int, ...]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return tuple(
            con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("household", "person", "birth", "audit_log")
        ) + (con.execute("PRAGMA user_version").fetchone()[0],)
    finally:
        con.close()


def test_the_kit_installs_without_network_and_runs_from_the_install(tmp_path, new_kit):
    kit = tmp_path / new_kit.name  # a copy: this test damages it at the end
    shutil.copytree(new_kit, kit)
    assert (kit / "VERSION").read_text().strip() == subprocess.run(
        [sys.executable, "-c", "from importlib.metadata import version; print(version('hecha'))"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    wheels = {p.name.split("-")[0].lower() for p in (kit / "wheels").glob("*.whl")}
    assert {"hecha", "textual", "peewee", "cryptography", "orjson", "xlrd", "pip"} <= wheels
    office = tmp_path / "office"
    office.mkdir()
    env = offline_env(office)
    res = install(kit, office, env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "已安装 hecha" in res.stdout and "hecha doctor" in res.stdout
    assert "[正常] 程序包：hecha" in res.stdout  # doctor ran from the install, its packages all there
    hecha = str(office / "bin" / "hecha")
    where = subprocess.run(
        [str(office / "opt" / "current" / "bin" / "python"), "-c", "import storage, main; print(storage.__file__)"],
        capture_output=True,
        text=True,
        cwd=office,
        env=env,
    ).stdout
    assert where.startswith(str(office / "opt")), where  # the installed code, not the checkout's
    assert subprocess.run([hecha, "--version"], capture_output=True, text=True, env=env).stdout.startswith("hecha ")
    fill = [hecha, "demo", "--households", "20", "--as-of", "20260630"]
    demo = subprocess.run(fill, capture_output=True, text=True, cwd=office, env=env)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    db = office / "data" / "hecha.sqlite"  # the launcher's database: the data folder install.sh made
    assert db.is_file() and counts(db)[0] >= 20
    assert not db.stat().st_mode & 0o077  # the office's own: nobody else reads it (--group "": no group)
    other = office / "other.sqlite"
    assert subprocess.run([hecha, "init", "--office", "130123103", "--db", str(other)], env=env).returncode == 0
    wis = next(p for p in (office / "data" / "演示名单").iterdir() if "人口系统" in p.name)
    res = subprocess.run(
        [hecha, "import-list", "--source", "wis", str(wis), "--db", str(other)],
        capture_output=True,
        text=True,
        cwd=office,
        env=env,
    )
    assert res.returncode == 0 and "认出的格式：人口系统育龄妇女导出" in res.stdout, res.stdout + res.stderr
    res = subprocess.run([hecha, "doctor"], capture_output=True, text=True, cwd=office, env=env)
    assert f"[正常] 结构版本：第 {SCHEMA_VERSION} 版" in res.stdout and res.returncode in (0, 1), res.stdout
    # a Python older than 3.10 is named, with what to do
    old_python = tmp_path / "python3.8"
    old_python.write_text('#!/bin/sh\ncase "$*" in *print*) echo 3.8 ;; *) exit 1 ;; esac\n')
    old_python.chmod(0o755)
    res = subprocess.run(
        ["bash", str(kit / "install.sh"), "--prefix", str(tmp_path / "p"), "--python", str(old_python)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert res.returncode == 1 and "是 3.8，hecha 需要 3.10 或更新" in res.stderr, res.stderr
    assert "--python /usr/bin/python3.11" in res.stderr and not (tmp_path / "p").exists()
    # another install.sh at work on the same folder: refused, not interleaved (a breaker's finding)
    import fcntl

    with open(office / "opt" / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        res = install(kit, office, env)
    assert res.returncode == 1 and "另一个 install.sh 正在往" in res.stderr, res.stderr
    # a database of another program where the office's should be: refused before anything changes
    elsewhere = tmp_path / "foreign"
    (elsewhere / "data").mkdir(parents=True)
    con = sqlite3.connect(elsewhere / "data" / "hecha.sqlite")
    con.execute("CREATE TABLE t (x)")
    con.close()
    res = install(kit, elsewhere, env)
    assert res.returncode == 1 and "不是 hecha 的数据库" in res.stderr and "什么都没改" in res.stderr, res.stderr
    assert not (elsewhere / "opt" / "current").exists() and not list((elsewhere / "opt").glob("hecha-*"))
    # a wheel slipped into the kit and not in SHA256SUMS is refused (pip would have taken it)
    impostor = kit / "wheels" / "click-99.0-py3-none-any.whl"
    impostor.write_bytes(b"PK")
    (tmp_path / "elsewhere").mkdir()
    res = install(kit, tmp_path / "elsewhere", env)
    assert res.returncode == 1 and "校验值（SHA256SUMS）对不上" in res.stderr and "click-99.0" in res.stderr
    impostor.unlink()
    # the kit's own files are checked first: a damaged copy is refused before anything is installed
    with open(kit / "VERSION", "a") as fh:
        fh.write(" ")
    res = install(kit, tmp_path / "elsewhere", env)
    assert res.returncode == 1 and "校验值（SHA256SUMS）对不上" in res.stderr, res.stdout + res.stderr
    assert not (tmp_path / "elsewhere" / "opt").exists()


def test_an_upgrade_keeps_every_row_and_a_downgrade_is_refused(tmp_path, new_kit):
    known = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{SKELETON}^{{commit}}"], capture_output=True)
    assert known.returncode == 0, f"the test needs hecha's git history (commit {SKELETON}, release 0.1.0)"
    old = build_kit(tmp_path / "old", "--ref", SKELETON)
    new = new_kit
    assert (old / "VERSION").read_text().strip() == "0.1.0"
    office = tmp_path / "office"
    office.mkdir()
    env = offline_env(office)
    res = install(old, office, env)
    assert res.returncode == 0, res.stdout + res.stderr
    hecha = str(office / "bin" / "hecha")
    db = office / "data" / "hecha.sqlite"
    res = subprocess.run([hecha, "demo", "--households", "30"], capture_output=True, text=True, cwd=office, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    os.chmod(db, 0o644)  # as 0.1.0 left its files (it did not keep them private): the install puts it right
    before = counts(db)
    assert before[-1] == 1 and before[0] == 30  # the skeleton's schema, keyed by the old release
    res = install(new, office, env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "已从 hecha 0.1.0 升级到" in res.stdout
    after = counts(db)
    assert after[-1] == SCHEMA_VERSION
    assert after[:3] == before[:3] and after[3] >= before[3]  # every household, person and birth kept
    saved = list((office / "data" / "backups").glob("hecha-*-before-install-0.1.0-to-*.sqlite"))
    assert len(saved) == 1 and counts(saved[0]) == before  # the database as it was, before anything changed
    status = subprocess.run([hecha, "status"], capture_output=True, text=True, cwd=office, env=env)
    assert status.returncode == 0 and "户 30" in status.stdout, status.stdout + status.stderr
    # the columns later schemas added hold their defaults, not tampering (a breaker's finding)
    verify = subprocess.run([hecha, "audit", "verify"], capture_output=True, text=True, cwd=office, env=env)
    assert verify.returncode == 0 and "审计记录完整" in verify.stdout, verify.stdout + verify.stderr
    # again, with only --prefix: the options of the last install are kept (install.conf)
    again = subprocess.run(
        ["bash", str(new / "install.sh"), "--prefix", str(office / "opt"), "--no-doctor"],
        capture_output=True,
        text=True,
        cwd=office,
        env=env,
    )
    assert again.returncode == 0 and "已重新安装 hecha" in again.stdout, again.stdout + again.stderr
    assert counts(db)[:3] == before[:3] and f"HECHA_DB:-{db}" in (office / "bin" / "hecha").read_text()
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    res = install(old, office, env)
    assert res.returncode == 1, res.stdout + res.stderr
    assert f"是第 {SCHEMA_VERSION} 版结构，这个安装包的 hecha 0.1.0 只认到第 1 版：不能降级" in res.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest  # nothing changed
    version = subprocess.run([hecha, "--version"], capture_output=True, text=True, env=env).stdout
    assert version.strip() == f"hecha {(new / 'VERSION').read_text().strip()}"  # the newer program stays


@pytest.mark.terminal
def test_a_clerk_s_ssh_login_opens_hecha_and_leaving_it_logs_out(tmp_path, new_kit):
    """``install.sh --clerk`` and ``--head`` make real Linux accounts in the database's group; the
    head makes the database, the clerk logs in over a real SSH connection (sshd on loopback, tmux at
    80x24) and lands in hecha's menu on that database; 0 leaves hecha and ends the login."""
    import random
    import socket

    from tests.conftest import require_tool
    from tests.terminal import Tmux, wait_for_state

    if os.geteuid() != 0:
        pytest.skip("making Linux accounts needs root (CI runs as root)")
    sshd = "/usr/sbin/sshd"
    if not os.path.exists(sshd):
        pytest.fail("sshd is missing: bash dev.sh test installs openssh-server")
    require_tool("tmux")
    python = shutil.which("python3", path="/usr/bin:/bin")  # a Python every account may run (not one under /root)
    assert python, "the system's python3"
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    system = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True)
    if system.stdout.decode().strip() != here:
        pytest.skip(f"the kit is built for Python {here}; the system's python3 is another")
    kit = new_kit
    tag = f"{random.randrange(10**6):06d}"
    group, clerk, head = f"hct{tag}", f"hcc{tag}", f"hch{tag}"
    root = Path("/opt") / f"hecha-test-{tag}"  # a path every account can reach (pytest's is under /tmp/pytest-of-root)
    state = tmp_path / "sshd"
    state.mkdir()
    sshd_proc = None
    try:
        root.mkdir()
        root.chmod(0o755)  # (the suite runs with a private umask)
        env = offline_env(tmp_path)
        res = subprocess.run(
            [
                "bash",
                str(kit / "install.sh"),
                *("--prefix", str(root / "opt"), "--bin", str(root / "bin"), "--data", str(root / "data")),
                *("--group", group, "--clerk", clerk, "--head", head, "--python", python, "--no-doctor"),
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        assert res.returncode == 0, res.stdout + res.stderr
        assert f"账号 {clerk} 已加入用户组 {group}，SSH 登录直接进 hecha" in res.stdout
        data = root / "data"
        assert oct(data.stat().st_mode & 0o7777) == "0o2770" and data.group() == group
        hecha = str(root / "bin" / "hecha")
        made = subprocess.run(
            ["runuser", "-u", head, "--", hecha, "demo", "--households", "5", "--as-of", "20260630"],
            capture_output=True,
            text=True,
            cwd="/",
            env={**env, "HOME": f"/home/{head}"},
        )
        assert made.returncode == 0, made.stdout + made.stderr
        db = data / "hecha.sqlite"
        assert db.group() == group and db.stat().st_mode & 0o777 == 0o660  # the clerks' group writes it
        for path in (state / "host", state / "client"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
        for user in (clerk, head):
            home = Path(f"/home/{user}")
            (home / ".ssh").mkdir(mode=0o700, exist_ok=True)
            shutil.copy(state / "client.pub", home / ".ssh" / "authorized_keys")
            subprocess.run(["chown", "-R", f"{user}:", str(home / ".ssh")], check=True)
            subprocess.run(["usermod", "-p", "*", user], check=True)  # not locked (sshd without PAM refuses those)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        (state / "config").write_text(
            f"ListenAddress 127.0.0.1\nPort {port}\nHostKey {state / 'host'}\nPidFile {state / 'pid'}\n"
            "PasswordAuthentication no\nUsePAM no\nStrictModes no\n"
        )
        os.makedirs("/run/sshd", exist_ok=True)
        sshd_proc = subprocess.Popen([sshd, "-D", "-f", str(state / "config")])
        ssh = (
            f"ssh -tt -p {port} -i {state / 'client'} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
            f"-o LogLevel=ERROR {clerk}@127.0.0.1; echo SSH-ENDED"
        )
        with Tmux(ssh, term="xterm-256color") as term:
            menu = f"操作员 {clerk}"
            screen = term.wait_until(lambda text: "录入核查登记表" in text and menu in text, "the menu", timeout=60)
            assert "正定县新安镇" in screen  # the office database, as the clerk
            term.keys("0")
            wait_for_state(lambda: "SSH-ENDED" in term.screen(), "the login ending with hecha", timeout=30)
    finally:
        if sshd_proc:
            sshd_proc.terminate()
            sshd_proc.wait(timeout=10)
        for user in (clerk, head):  # its login may still run (a failed assertion): userdel refuses a user in use
            subprocess.run(["pkill", "-KILL", "-u", user], capture_output=True)
            wait_for_state(
                lambda u=user: subprocess.run(["pgrep", "-u", u], capture_output=True).returncode == 1,
                "the account's processes ending",
            )
            subprocess.run(["userdel", "-r", user], capture_output=True)
        subprocess.run(["groupdel", group], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
