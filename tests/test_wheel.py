"""The built wheel works outside the checkout (issue 13: profiles.toml was not package data, so
`hecha import-list` failed in every install but the editable one)."""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_wheel_installed_alone_imports_a_list_and_fills_a_demo(tmp_path):
    """Build the wheel, install it (no dependencies: they come from this environment's
    site-packages, added as a plain path so its editable-install hook does not run) into a fresh
    virtual environment, and run the CLI there from a folder outside the checkout."""
    src = (
        tmp_path / "src"
    )  # the project's files alone: a build/ or *.egg-info left in the checkout would hide what is missing
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.splitlines()
    for name in files:
        if name.startswith(("bench/", "tests/")) or not (ROOT / name).is_file():
            continue
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dist), str(src)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    wheel = next(dist.glob("hecha-*.whl"))
    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # the dependencies, not the checkout
    work = tmp_path / "office"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HECHA_DB")}
    run = [str(python), "-c", "import sys; from main import cli; sys.argv[0] = 'hecha'; cli()"]
    where = subprocess.run(
        [str(python), "-c", "import storage; print(storage.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
    ).stdout
    assert where.startswith(str(site)), where  # the wheel's code, not the checkout's
    db = ["--db", str(work / "t.sqlite")]
    demo = subprocess.run(
        [*run, "demo", "--households", "20", "--as-of", "20260630", *db],
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
    )
    assert demo.returncode == 0, demo.stderr
    lists = sorted((work / "演示名单").iterdir())
    other = ["--db", str(work / "other.sqlite")]
    assert (
        subprocess.run(
            [*run, "init", "--office", "130123103", *other], capture_output=True, cwd=work, env=env
        ).returncode
        == 0
    )
    res = subprocess.run(
        [*run, "import-list", "--source", "wis", str(next(p for p in lists if "人口系统" in p.name)), *other],
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
    )
    assert res.returncode == 0 and "认出的格式：人口系统育龄妇女导出" in res.stdout, res.stdout + res.stderr
    res = subprocess.run([*run, "--version"], capture_output=True, text=True, cwd=work, env=env)
    assert res.stdout.startswith("hecha "), res.stdout + res.stderr
