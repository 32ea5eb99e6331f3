"""``hecha doctor`` (issue 20): each check made to fail on purpose, and its Chinese advice read."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from main import cli
from storage import doctor
from storage.db import SCHEMA_VERSION, close_db
from tests.cli_office import Office

NOW = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.timezone.utc)
GOOD_ENV = {"LANG": "zh_CN.UTF-8", "TERM": "xterm-256color"}


def by_topic(findings: list[doctor.Finding], topic: str) -> doctor.Finding:
    found = [f for f in findings if f.topic == topic]
    assert len(found) == 1, [f.line() for f in findings]
    return found[0]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def town(tmp_path, runner) -> Office:
    return Office(tmp_path, "130123103", runner)


def doctor_cli(runner: CliRunner, db: Path, **env: str | None):
    close_db()
    return runner.invoke(cli, ["--db", str(db), "doctor"], env={**GOOD_ENV, "LC_ALL": None, "LC_CTYPE": None, **env})


# ------------------------------------------------------------------------------ the program
def test_the_program_and_its_packages_are_checked_against_the_installed_metadata(town, runner, monkeypatch):
    res = doctor_cli(runner, town.db)
    assert "[正常] Python：" in res.output
    assert "依赖包版本都对" in res.output
    from importlib import metadata

    real = metadata.requires
    monkeypatch.setattr(
        metadata,
        "requires",
        lambda name: [*(real(name) or []), "no-such-package-xyz>=1.0", "click<1.0", "pytest>=1; extra == 'test'"],
    )
    res = doctor_cli(runner, town.db)
    assert res.exit_code == 2, res.output
    assert "[错误] 程序包：缺少 no-such-package-xyz；click " in res.output
    line = next(x for x in res.output.splitlines() if "程序包" in x)
    assert line.endswith("不符合 <1.0") and "pytest" not in line  # a test extra's requirement is not the program's
    assert "重新运行同一版本安装包的 install.sh" in res.output


@pytest.mark.parametrize(
    ("spec", "version", "ok"),
    [
        (">=8.2,<8.3", "8.2.8", True),
        (">=8.2,<8.3", "8.3.0", False),
        (">=3.17", "4.5.3", True),
        (">=3.17", "3.9", False),
        ("==1.4", "1.4.2", False),  # PEP 440: exactly 1.4 (1.4.0)
        ("==1.4", "1.4.0", True),
        (">=1.2.0", "1.2", True),  # 1.2 is 1.2.0
        (">=2.0.1", "2.0.1rc1", True),  # the release numbers compared; a pre-release's letters end them
        ("", "1.0", True),
    ],
)
def test_a_requirement_is_read_as_pyproject_writes_it(spec, version, ok):
    assert doctor.requirement_ok(spec, version) is ok


# ------------------------------------------------------------------------------ the terminal
def test_a_locale_that_is_not_utf8_is_named_with_where_to_set_it(town, runner):
    res = doctor_cli(runner, town.db, LANG="C", LC_ALL=None)
    assert "[注意] 字符编码：区域设置是 C，不是 UTF-8" in res.output
    assert "export LANG=C.UTF-8" in res.output and "PuTTY：窗口→转换→远程字符集选 UTF-8" in res.output
    res = doctor_cli(runner, town.db, LANG="C", LC_ALL="zh_CN.UTF-8")  # LC_ALL wins, as in the C library
    assert "[正常] 字符编码：zh_CN.UTF-8" in res.output


def test_term_dumb_is_an_error_and_xterm_is_enough(town, runner):
    res = doctor_cli(runner, town.db, TERM="dumb")
    assert "[错误] 终端类型：TERM 是 dumb：全屏界面不能显示" in res.output
    assert "export TERM=xterm-256color" in res.output
    assert res.exit_code == 2
    assert "[错误] 终端类型：TERM 是 空的" in doctor_cli(runner, town.db, TERM=None).output
    res = doctor_cli(runner, town.db, TERM="xterm", COLORTERM=None)  # PuTTY's own: hecha draws in 16 colours
    assert "[正常] 终端类型：xterm，16 色" in res.output
    res = doctor_cli(runner, town.db, TERM="xterm", COLORTERM="truecolor")
    assert "[正常] 终端类型：xterm，256 色" in res.output


def test_a_term_this_machine_has_no_terminfo_for_is_named(town, runner):
    from tests.conftest import require_tool

    require_tool("infocmp")
    res = doctor_cli(runner, town.db, TERM="no-such-terminal")
    assert "[注意] 终端类型：本机没有 TERM=no-such-terminal 的终端说明（terminfo）" in res.output
    res = doctor_cli(runner, town.db, TERM="x\x1b[31m")  # echoed escaped, never raw
    assert "\x1b" not in res.output and "'x\\x1b[31m'" in res.output


def test_a_window_smaller_than_80x24_is_named():
    found = list(doctor.check_terminal(GOOD_ENV, os.terminal_size((79, 30))))
    assert by_topic(found, "窗口大小").level == doctor.WARN
    assert "79x30，小于 80x24" in by_topic(found, "窗口大小").text
    assert by_topic(list(doctor.check_terminal(GOOD_ENV, os.terminal_size((80, 24)))), "窗口大小").level == doctor.OK
    assert "不在终端里运行" in by_topic(list(doctor.check_terminal(GOOD_ENV, None)), "窗口大小").text


# ------------------------------------------------------------------------------ the database
def test_a_missing_database_says_how_to_make_one(tmp_path, runner):
    res = doctor_cli(runner, tmp_path / "none.sqlite")
    assert "[注意] 数据库：" in res.output and "hecha init --office" in res.output
    assert res.exit_code == 1


def test_a_file_that_is_not_a_database_is_an_error(tmp_path, runner):
    bad = tmp_path / "x.sqlite"
    bad.write_text("not a database\n")
    res = doctor_cli(runner, bad)
    assert "[错误] 数据库：" in res.output and "不是 SQLite 数据库" in res.output
    assert res.exit_code == 2


def _set_user_version(db: Path, version: int) -> None:
    close_db()
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {version}")
    con.commit()
    con.close()


def test_a_database_newer_than_the_program_is_an_error_and_an_older_one_a_warning(town, runner):
    _set_user_version(town.db, SCHEMA_VERSION + 1)
    res = doctor_cli(runner, town.db)
    assert f"[错误] 结构版本：数据库是第 {SCHEMA_VERSION + 1} 版结构，本程序只认到第 {SCHEMA_VERSION} 版" in res.output
    assert "不要用旧程序打开" in res.output
    _set_user_version(town.db, SCHEMA_VERSION - 1)
    res = doctor_cli(runner, town.db)
    assert f"[注意] 结构版本：数据库是第 {SCHEMA_VERSION - 1} 版结构" in res.output and "hecha migrate" in res.output
    _set_user_version(town.db, SCHEMA_VERSION)
    assert f"[正常] 结构版本：第 {SCHEMA_VERSION} 版" in doctor_cli(runner, town.db).output


def test_a_damaged_database_is_an_error_that_says_restore(town, runner):
    close_db()
    con = sqlite3.connect(town.db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    with open(town.db, "r+b") as fh:  # every page but the first (the schema) overwritten
        for page in range(1, pages):
            fh.seek(page * size)
            fh.write(b"\xa5" * size)
    res = doctor_cli(runner, town.db)
    assert res.exit_code == 2, res.output
    assert "[错误] 数据库" in res.output and "hecha restore" in res.output


def test_files_others_can_read_are_named_with_the_chmod(town, runner):
    os.chmod(town.db, 0o644)
    res = doctor_cli(runner, town.db)
    assert "[错误] 文件权限：其他用户能读到本单位的数据" in res.output
    assert f"chmod o-rwx {town.db}" in res.output
    for path in town.db.parent.glob(f"{town.db.name}*"):  # SQLite gave its -wal and -shm the file's mode
        os.chmod(path, 0o600)
    assert "[正常] 文件权限" in doctor_cli(runner, town.db).output


def test_a_database_this_login_cannot_write_is_an_error(town, monkeypatch):
    # (root may write any file, so the denial is made where doctor asks)
    monkeypatch.setattr(doctor.os, "access", lambda path, mode: mode != os.W_OK)
    found = by_topic(list(doctor.check_database(town.db, now=NOW)), "写入权限")
    assert found.level == doctor.ERROR and "chmod u+w" in found.fix


def test_in_a_group_s_folder_a_file_the_group_cannot_write_is_an_error_for_everyone(tmp_path, runner):
    """One clerk's hecha left the database 0640 (a restore did, before it was mended): the head's
    doctor must see that the others are locked out, not only its own access."""
    import grp

    shared = tmp_path / "office"
    shared.mkdir()
    shared.chmod(0o2770)
    db = shared / "hecha.sqlite"
    assert runner.invoke(cli, ["init", "--office", "130123103", "--db", str(db)]).exit_code == 0
    close_db()
    group = grp.getgrgid(shared.stat().st_gid).gr_name
    assert by_topic(list(doctor.check_database(db, now=NOW)), "写入权限").text == f"可以写入（用户组 {group} 共用）"
    db.chmod(0o640)
    found = by_topic(list(doctor.check_database(db, now=NOW)), "写入权限")
    assert found.level == doctor.ERROR and f"用户组 {group} 的其他人不能写 hecha.sqlite" in found.text
    assert f"chmod 660 {db}" in found.fix


def test_too_little_free_disk_is_named(town, monkeypatch):
    usage = shutil.disk_usage(town.db.parent)
    monkeypatch.setattr(doctor.shutil, "disk_usage", lambda p: usage._replace(free=300 * 10**6))
    disk = by_topic(list(doctor.check_database(town.db, now=NOW)), "磁盘空间")
    assert disk.level == doctor.WARN and "只剩 300 MB" in disk.text
    monkeypatch.setattr(doctor.shutil, "disk_usage", lambda p: usage._replace(free=1000))
    assert by_topic(list(doctor.check_database(town.db, now=NOW)), "磁盘空间").level == doctor.ERROR


def test_the_last_backup_s_age(town, runner):
    found = list(doctor.check_database(town.db, now=NOW))
    assert by_topic(found, "备份").level == doctor.WARN and "里没有备份" in by_topic(found, "备份").text
    town.cli("backup")
    made = next((town.db.parent / "backups").glob("*.sqlite"))
    now = dt.datetime.fromtimestamp(made.stat().st_mtime, dt.timezone.utc)
    assert by_topic(list(doctor.check_database(town.db, now=now)), "备份").level == doctor.OK
    later = by_topic(list(doctor.check_database(town.db, now=now + dt.timedelta(days=9, hours=1))), "备份")
    assert later.level == doctor.WARN and "最近一次备份是 9 天前" in later.text and "hecha backup" in later.fix


def test_the_county_key_and_the_weekly_bundle(tmp_path, town, runner):
    found = list(doctor.check_database(town.db, now=NOW))
    assert by_topic(found, "县里公钥").level == doctor.WARN and "hecha keys add" in by_topic(found, "县里公钥").fix
    assert by_topic(found, "数据包").text == "还没有导出过数据包"
    county = Office(tmp_path, "130123", runner)
    town.add(county)
    assert town.export()
    (at,) = town.sql("SELECT at FROM bundle_log WHERE direction = 'out'")[0]
    sent = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
    found = list(doctor.check_database(town.db, now=sent + dt.timedelta(days=1)))
    assert by_topic(found, "县里公钥").level == doctor.OK
    assert by_topic(found, "数据包").level == doctor.OK
    late = by_topic(list(doctor.check_database(town.db, now=sent + dt.timedelta(days=8))), "数据包")
    assert late.level == doctor.WARN and "上次导出数据包是 8 天前" in late.text and "hecha export" in late.fix
    # a county sends no weekly bundle of its own and pins no county: neither is asked of it
    assert not {"县里公钥", "数据包"} & {f.topic for f in doctor.check_database(county.db, now=NOW)}


def test_the_working_day_calendar_must_cover_the_next_60_days(town, tmp_path, runner):
    june = dt.datetime(2099, 6, 1, tzinfo=dt.timezone.utc)  # a year no chinesecalendar release knows
    cal = by_topic(doctor.run(town.db, env=GOOD_ENV, now=june), "工作日日历")
    assert cal.level == doctor.WARN and "放假安排只到 2099-06-01" in cal.text
    assert "hecha calendar load" in cal.fix and "2099-02-07 休 春节" in cal.fix  # the year not covered
    notice = tmp_path / "2099.txt"  # a year's notice: its holidays and 调休 days
    days = [f"2099-01-0{d} 休 元旦" for d in (1, 2, 3)] + [f"2099-02-{d:02d} 休 春节" for d in range(5, 12)]
    notice.write_text("\n".join([*days, "2099-02-14 班 调休"]) + "\n", encoding="utf-8")
    town.cli("calendar", "load", str(notice))
    close_db()
    cal = by_topic(doctor.run(town.db, env=GOOD_ENV, now=june), "工作日日历")
    assert cal.level == doctor.OK and cal.text == "确定到 2099-12-31"
    cal = by_topic(doctor.run(town.db, env=GOOD_ENV, now=june.replace(month=12)), "工作日日历")
    assert cal.level == doctor.WARN and "放假安排只到 2099-12-31" in cal.text  # from December: next year's


def test_the_exit_status_is_the_worst_level_found():
    ok = doctor.Finding(doctor.OK, "a", "b")
    warn = doctor.Finding(doctor.WARN, "a", "b", "c")
    error = doctor.Finding(doctor.ERROR, "a", "b", "c")
    assert doctor.worst([ok]) == 0
    assert doctor.worst([ok, warn]) == 1
    assert doctor.worst([warn, error, ok]) == 2


def test_doctor_changes_nothing_in_the_database(town, runner):
    _set_user_version(town.db, SCHEMA_VERSION - 1)
    close_db()
    con = sqlite3.connect(town.db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = con.execute("SELECT * FROM office").fetchall()
    con.close()

    def files() -> dict[str, bytes]:  # the database and its -wal, byte for byte (an empty -wal is no write)
        found = {p.name: p.read_bytes() for p in town.db.parent.glob(f"{town.db.name}*") if p.suffix != ".sqlite-shm"}
        return {name: data for name, data in found.items() if data}

    kept = files()
    res = doctor_cli(runner, town.db)
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "[注意] 结构版本" in res.output  # an old schema is reported, not migrated
    assert files() == kept  # (before the check below opens the file: closing it may end the -wal)
    con = sqlite3.connect(town.db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION - 1
    assert con.execute("SELECT * FROM office").fetchall() == before
    con.close()


def test_migrate_backs_up_then_upgrades_and_refuses_a_newer_database(town, runner):
    _set_user_version(town.db, SCHEMA_VERSION)
    assert "不用升级" in town.cli("migrate").output
    _set_user_version(town.db, SCHEMA_VERSION + 1)
    res = town.cli("migrate", ok=False)
    assert res.exit_code == 1 and "请升级 hecha" in res.output


def test_migrate_upgrades_a_skeleton_database_but_not_while_someone_has_it_open(tmp_path, runner):
    import subprocess
    import sys

    from storage.db import in_use_file

    db = tmp_path / "old.sqlite"
    db.write_bytes((Path(__file__).parent / "data" / "skeleton-v1.sqlite").read_bytes())
    holder = subprocess.Popen(  # a clerk's hecha: holds the in-use lock as storage.db.hold_in_use does
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600); "
            "fcntl.flock(fd, fcntl.LOCK_SH); print('open', flush=True); sys.stdin.read()",
            str(in_use_file(db)),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout and holder.stdout.readline().strip() == "open"
        close_db()
        res = runner.invoke(cli, ["migrate", "--db", str(db)])
        assert res.exit_code == 1 and "数据库正开着" in res.output and "请所有人退出 hecha 后再升级" in res.output
        assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == 1  # untouched
    finally:
        holder.communicate("")
    close_db()
    res = runner.invoke(cli, ["migrate", "--db", str(db)])
    assert res.exit_code == 0 and f"已从第 1 版升级到第 {SCHEMA_VERSION} 版" in res.output, res.output
    assert list((tmp_path / "backups").glob("old-*-pre-migration-1-to-*.sqlite"))


def test_what_a_breaker_fed_doctor_is_said_in_chinese_not_a_traceback(tmp_path, town, runner):
    """Another program's SQLite file, a ``#`` in the folder's name, a broken link, a folder and an
    empty file among the backups, a bundle time that cannot be read and one in the future."""
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.close()
    found = by_topic(list(doctor.check_database(other, now=NOW)), "数据库")
    assert found.level == doctor.ERROR and "不是 hecha 的数据库" in found.text
    odd = tmp_path / "a#b%41?c"
    odd.mkdir()
    shutil.copy(town.db, odd / "hecha.sqlite")
    odd_found = list(doctor.check_database(odd / "hecha.sqlite", now=NOW))
    assert by_topic(odd_found, "结构版本").text == f"第 {SCHEMA_VERSION} 版"  # the file itself, not "tmp/a"
    assert not (tmp_path / "a").exists()
    backups = town.db.parent / "backups"
    backups.mkdir(exist_ok=True)
    (backups / f"{town.db.stem}-20261201T000000Z-broken.sqlite").symlink_to(tmp_path / "gone")
    (backups / f"{town.db.stem}-20261201T000000Z-empty.sqlite").write_bytes(b"")
    (backups / f"{town.db.stem}-20261201T000000Z-dir.sqlite").mkdir()
    (backups / f"{town.db.stem}-b-20261201T000000Z-manual.sqlite").write_bytes(b"x" * 100)  # another database's
    found = by_topic(list(doctor.check_database(town.db, now=NOW)), "备份")
    assert found.level == doctor.WARN and "里没有备份" in found.text  # none of those is a backup
    close_db()
    con = sqlite3.connect(town.db)
    con.execute(
        "INSERT INTO bundle_log (direction, status, bundle_id, kind, sender, recipient, epoch, sequence, "
        "manifest_sha256, manifest, payload_sha256, max_version, counts, file_name, at, operator, audit_head, "
        "audit_upto) VALUES ('out', 'exported', 'x', 'township-increment', '130123103', '130123', 1, 1, '', '', '', "
        "0, '{}', '', '9999-12-31T23:59:59-10:00', 'x', '', 0)"
    )
    con.commit()
    found = by_topic(list(doctor.check_database(town.db, now=NOW)), "数据包")
    assert found.level == doctor.WARN and "时间记录看不懂" in found.text
    con.execute("UPDATE bundle_log SET at = '2030-01-01T00:00:00Z'")
    con.commit()
    con.close()
    found = by_topic(list(doctor.check_database(town.db, now=NOW)), "时钟")
    assert found.level == doctor.WARN and "本机时钟可能不对" in found.text


def test_a_demo_database_is_named_and_a_folder_this_login_cannot_enter_is_advice_not_a_traceback(
    tmp_path, runner, monkeypatch
):
    demo = tmp_path / "demo.sqlite"
    assert runner.invoke(cli, ["demo", "--households", "3", "--no-lists", "--db", str(demo)]).exit_code == 0
    close_db()
    found = by_topic(list(doctor.check_database(demo, now=NOW)), "演示数据库")
    assert found.level == doctor.WARN and "不要把它的数据包交给县里" in found.fix
    # a clerk not (yet) in the group: the folder cannot be entered, so even exists() is refused
    real_exists = Path.exists

    def exists(self):
        if self == demo:
            raise PermissionError(13, "Permission denied")
        return real_exists(self)

    monkeypatch.setattr(Path, "exists", exists)
    found = by_topic(list(doctor.check_database(demo, now=NOW)), "读取权限")
    assert found.level == doctor.ERROR and "usermod -aG" in found.fix and "重新登录" in found.text


@pytest.mark.parametrize(
    ("marker", "python", "holds"),
    [
        ("python_version < '3.11'", (3, 10), True),
        ("python_version < '3.11'", (3, 11), False),
        (' python_version >= "3.10" ', (3, 13), True),
        ("extra == 'test'", (3, 11), False),
        ("sys_platform == 'win32'", (3, 11), None),  # not read: the kit's builder refuses it
    ],
)
def test_a_marker_is_judged_for_the_python_asked(marker, python, holds):
    """The marker reading both doctor and the kit's builder use (tomli for 3.10 is in the kit)."""
    assert doctor.marker_applies(marker, python) is holds


def test_a_provinces_platform_without_its_extra_is_named_with_the_install(tmp_path, runner, monkeypatch):
    """Issue 21: the platform's database needs pyarrow, duckdb and splink (the ``platform`` extra)."""
    import importlib.util

    from storage.office import init_office

    db = tmp_path / "13.sqlite"
    init_office(db, "13")
    close_db()
    res = doctor_cli(runner, db)
    assert "[正常] 省级平台：pyarrow、duckdb、splink 已安装" in res.output, res.output
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "splink" else real(name, *a))
    res = doctor_cli(runner, db)
    assert "[错误] 省级平台：缺少 splink" in res.output and "pip install 'hecha[platform]'" in res.output, res.output
    assert res.exit_code == 2
