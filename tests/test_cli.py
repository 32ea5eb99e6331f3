"""The whole chain through the command line, in subprocesses, as two offices would run it."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from main import cli

HECHA = [str(Path(sys.executable).parent / "hecha")]


def run(args, cwd, passphrase=None, ok=True):
    env = dict(os.environ)
    env.pop("HECHA_DB", None)
    if passphrase:
        pf = Path(cwd) / f".pass-{abs(hash(passphrase))}"
        pf.write_text(passphrase + "\n", encoding="utf-8")
        env["HECHA_PASSPHRASE_FILE"] = str(pf)
    proc = subprocess.run(HECHA + args, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if ok:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def persons(db: Path) -> set[tuple]:
    con = sqlite3.connect(str(db))
    try:
        return set(con.execute("select uid, name, id_number, version, deleted from person"))
    finally:
        con.close()


def test_county_and_township_chain(tmp_path):
    c, t = tmp_path / "county.sqlite", tmp_path / "township.sqlite"
    run(["init", "--office", "130123", "--db", str(c)], tmp_path)
    out = run(["keys", "new", "--db", str(c)], tmp_path, "county secret 1").stdout
    assert "恢复密钥" in out and (tmp_path / "hecha-recovery-130123.txt").exists()
    assert oct((tmp_path / "hecha-recovery-130123.txt").stat().st_mode)[-3:] == "600"
    # a demo township (hecha demo makes it): a database made by hecha init is an office's own, which
    # the demo refuses (issue 20)
    run(["demo", "--households", "40", "--as-of", "20261129", "--db", str(t)], tmp_path)
    run(["keys", "new", "--db", str(t)], tmp_path, "township secret 1")
    county_pub = tmp_path / "county.pub"
    county_pub.write_text(run(["keys", "show", "--db", str(c)], tmp_path).stdout, encoding="utf-8")
    town_pub = tmp_path / "town.pub"
    town_pub.write_text(run(["keys", "show", "--db", str(t)], tmp_path).stdout, encoding="utf-8")
    fp_line = re.search(r"^fingerprint (.+)$", county_pub.read_text(encoding="utf-8"), re.M)
    assert fp_line is not None
    fp = fp_line.group(1)
    wrong = run(["keys", "add", str(county_pub), "--fingerprint", "0000 0000", "--db", str(t)], tmp_path, ok=False)
    assert wrong.returncode == 1 and "指纹与对方读出的不一致" in wrong.stderr
    run(["keys", "add", str(county_pub), "--fingerprint", fp, "--db", str(t)], tmp_path)
    run(["keys", "add", str(town_pub), "--yes", "--db", str(c)], tmp_path)

    first = run(["export", "--out", str(tmp_path / "out"), "--db", str(t)], tmp_path, "township secret 1")
    path1 = Path(first.stdout.strip().splitlines()[-1])
    assert path1.exists() and path1.name.endswith("-000001.zip")
    wrong_pass = run(["import-bundle", str(path1), "--db", str(c)], tmp_path, "not the passphrase", ok=False)
    assert wrong_pass.returncode == 1 and "口令不对" in wrong_pass.stderr
    run(["import-bundle", str(path1), "--db", str(c)], tmp_path, "county secret 1")
    assert persons(c) == persons(t) and len(persons(t)) > 100

    some_id = sorted(p[2] for p in persons(t) if p[2])[0]  # a person with an ID number ("" names nobody)
    run(["person", "set", some_id, "name=改名测试", "--reason", "核对户口簿", "--db", str(t)], tmp_path)
    second = run(["export", "--out", str(tmp_path / "out"), "--db", str(t)], tmp_path, "township secret 1")
    assert "人 1" in second.stderr and "户" not in second.stderr.split("：", 1)[1]
    path2 = Path(second.stdout.strip().splitlines()[-1])
    assert path2.name.endswith("-000002.zip")
    again = run(["import-bundle", str(path2), str(path1), "--db", str(c)], tmp_path, "county secret 1")
    assert "已导入过" in again.stdout and "更新 人1" in again.stdout
    assert persons(c) == persons(t)
    assert ("改名测试",) in {(p[1],) for p in persons(c)}

    status = run(["status", "--db", str(c)], tmp_path).stdout
    assert "第2号 已导入" in status


def test_errors_are_clear_and_exit_1(tmp_path):
    runner = CliRunner()
    res = runner.invoke(cli, ["init", "--office", "999999", "--db", str(tmp_path / "x.sqlite")])
    assert res.exit_code == 1 and "不在国家统计局" in res.output
    res = runner.invoke(cli, ["status", "--db", str(tmp_path / "missing.sqlite")])
    assert res.exit_code == 1 and "数据库文件不存在" in res.output
    res = runner.invoke(cli, ["init", "--office", "130123103", "--db", str(tmp_path / "t.sqlite")])
    assert res.exit_code == 0
    res = runner.invoke(cli, ["export", "--db", str(tmp_path / "t.sqlite")])
    assert res.exit_code == 1 and "hecha keys add" in res.output
    bogus = tmp_path / "bogus.pub"
    bogus.write_text("hello\n", encoding="utf-8")
    res = runner.invoke(cli, ["keys", "add", str(bogus), "--yes", "--db", str(tmp_path / "t.sqlite")])
    assert res.exit_code == 1 and "不是 hecha 公钥文件" in res.output


def test_demo_refuses_a_real_database(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "real.sqlite")
    assert runner.invoke(cli, ["init", "--office", "130123103", "--db", db]).exit_code == 0
    from storage.db import open_db
    from storage.households import save_household

    from .conftest import reference_input

    open_db(db)
    save_household(reference_input())
    res = runner.invoke(cli, ["demo", "--households", "3", "--db", db])
    assert res.exit_code == 1 and "正式数据库" in res.output
    res = runner.invoke(cli, ["demo", "--start", "--db", db])  # not even to start on it
    assert res.exit_code == 1 and "正式数据库" in res.output
    county = str(tmp_path / "county.sqlite")
    assert runner.invoke(cli, ["init", "--office", "130123", "--db", county]).exit_code == 0
    res = runner.invoke(cli, ["demo", "--db", county])
    assert res.exit_code == 1 and "只能填入乡镇数据库" in res.output


def test_demo_refuses_an_office_that_made_its_keys_before_its_first_form(tmp_path):
    """The head made the keys and pinned the county's; typing ``hecha demo`` on the office database
    (the launcher's HECHA_DB) filled it with 300 synthetic households that went to the county in
    the next bundle (a newcomer's finding, issue 20)."""
    from .cli_office import Office

    runner = CliRunner()
    town = Office(tmp_path, "130123103", runner)
    res = town.cli("demo", "--households", "3", ok=False)
    assert res.exit_code == 1 and "是 hecha init 建的正式数据库" in res.output
    assert town.sql("SELECT count(*) FROM household") == [(0,)]
    # even before its keys: a database hecha init made is the office's own (a second newcomer filled
    # it between init and keys, and its next bundle carried the synthetic households to the county)
    fresh = tmp_path / "fresh.sqlite"
    assert runner.invoke(cli, ["init", "--office", "130123103", "--db", str(fresh)]).exit_code == 0
    res = runner.invoke(cli, ["demo", "--households", "3", "--db", str(fresh)])
    assert res.exit_code == 1 and "hecha demo --db ~/演示.sqlite" in res.output
    assert town.sql("SELECT count(*) FROM household") == [(0,)]


def test_hecha_db_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("HECHA_DB", str(tmp_path / "env.sqlite"))
    res = CliRunner().invoke(cli, ["init", "--office", "130123103"])
    assert res.exit_code == 0 and (tmp_path / "env.sqlite").exists()


@pytest.mark.parametrize("argv", [["--help"], ["keys", "--help"], ["--version"]])
def test_start_up_imports_click_only(argv):
    """Importing main and answering ``argv`` loads neither Textual nor peewee (DESIGN.md §3)."""
    code = (
        "import sys, main\n"
        f"sys.argv = ['hecha', *{argv!r}]\n"
        "try:\n    main.cli()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "assert 'textual' not in sys.modules and 'peewee' not in sys.modules, sorted(sys.modules)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    assert res.returncode == 0 and ("用法：" in res.stdout or res.stdout.startswith("hecha ")), res.stdout + res.stderr


def test_backup_command(tmp_path):
    runner = CliRunner()
    db = tmp_path / "t.sqlite"
    assert runner.invoke(cli, ["init", "--office", "130123103", "--db", str(db)]).exit_code == 0
    for _ in range(3):
        res = runner.invoke(cli, ["backup", "--keep", "2", "--db", str(db)])
        assert res.exit_code == 0, res.output
    backups = sorted((tmp_path / "backups").glob("*.sqlite"))
    assert len(backups) == 2 and Path(res.output.strip()) == backups[-1]
    con = sqlite3.connect(str(backups[-1]))
    assert con.execute("select code from office").fetchone() == ("130123103",)


def test_bad_paths_and_passphrase_files_get_chinese_messages(tmp_path, monkeypatch):
    runner = CliRunner()
    db = str(tmp_path / "c.sqlite")
    assert runner.invoke(cli, ["init", "--office", "130123", "--db", db]).exit_code == 0
    res = runner.invoke(cli, ["import-bundle", str(tmp_path / "nope.zip"), "--db", db])
    assert res.exit_code == 1 and "找不到文件" in res.output
    empty_dir = tmp_path / "inbox"
    empty_dir.mkdir()
    res = runner.invoke(cli, ["import-bundle", str(empty_dir), "--db", db])
    assert res.exit_code == 1 and "没有 .zip" in res.output
    pf = tmp_path / "pass.txt"
    for content, message in ((b"", "第一行是空的"), (b"\n", "第一行是空的"), ("张三口令".encode("gbk"), "不是 UTF-8")):
        pf.write_bytes(content)
        monkeypatch.setenv("HECHA_PASSPHRASE_FILE", str(pf))
        res = runner.invoke(cli, ["keys", "new", "--recovery-out", str(tmp_path / "r.txt"), "--db", db])
        assert res.exit_code == 1 and message in res.output, res.output
    pf.write_bytes("\ufeffcounty passphrase\n".encode())  # a BOM from Windows Notepad is not part of it
    res = runner.invoke(cli, ["keys", "new", "--recovery-out", str(tmp_path / "r.txt"), "--db", db])
    assert res.exit_code == 0, res.output
    from export import keys as keymod
    from storage.db import open_db

    open_db(db)
    keymod.unlock("county passphrase")
    afile = tmp_path / "afile"
    afile.write_text("x")
    t = str(tmp_path / "t.sqlite")
    assert runner.invoke(cli, ["init", "--office", "130123103", "--db", t]).exit_code == 0
    res = runner.invoke(cli, ["export", "--out", str(afile), "--db", t])
    assert res.exit_code == 1 and "是一个文件" in res.output
    res = runner.invoke(cli, ["init", "--office", "130123103", "--db", str(afile / "sub" / "x.sqlite")])
    assert res.exit_code == 1 and "Traceback" not in res.output and "错误：" in res.output


def test_check_reports_and_export_refuses_while_errors_remain(offices, tmp_path, monkeypatch):
    from storage.households import save_household

    from .conftest import reference_input

    offices.use_township()
    save_household(reference_input())
    from storage.db import close_db

    close_db()
    con = sqlite3.connect(str(offices.township_db))
    con.execute("update person set residence_status = '2' where name = '李浩然'")  # 流出 without its episode
    con.commit()
    con.close()
    runner = CliRunner()
    res = runner.invoke(cli, ["check", "--db", str(offices.township_db)])
    assert res.exit_code == 1
    assert "错误 130123103203030001 第3人 居住状况 李浩然 [member.outflow]" in res.output
    res = runner.invoke(cli, ["check", "--village", "130123103201", "--db", str(offices.township_db)])
    assert res.exit_code == 1 and "没有这样的户" in res.output  # a village with no households is not "clean"
    res = runner.invoke(cli, ["check", "--village", "1301231032", "--db", str(offices.township_db)])
    assert res.exit_code == 1 and "[member.outflow]" in res.output  # a prefix, as on the screen
    pf = tmp_path / "p"
    pf.write_text("township-passphrase\n")
    monkeypatch.setenv("HECHA_PASSPHRASE_FILE", str(pf))
    res = runner.invoke(cli, ["export", "--out", str(tmp_path / "out"), "--db", str(offices.township_db)])
    assert res.exit_code == 1 and "还有 1 处错误，不能导出" in res.output and "130123103203030001 第3人" in res.output
    assert not (tmp_path / "out").exists()
    res = runner.invoke(
        cli, ["person", "set", "130123201205090012", "residence_status=1", "--db", str(offices.township_db)]
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["export", "--out", str(tmp_path / "out"), "--db", str(offices.township_db)])
    assert res.exit_code == 0, res.output


def test_person_set_asks_for_warnings_to_be_confirmed(township_db):
    from storage.households import save_household

    from .conftest import reference_input

    save_household(reference_input())
    runner = CliRunner()
    args = ["person", "set", "130123201703060027", "marital_status=20", "--db", str(township_db)]
    res = runner.invoke(cli, args)
    assert res.exit_code == 1 and "9岁不能是已婚" in res.output  # an error: a 9-year-old cannot be married
    args = ["person", "set", "130123198707220046", "marital_status=20", "education=71", "--db", str(township_db)]
    res = runner.invoke(cli, args)
    assert res.exit_code == 1 and "育龄妇女页" in res.output  # married 15–49 without her page: a warning
    res = runner.invoke(cli, [*args, "--confirm"])
    assert res.exit_code == 0, res.output
    from storage.models import Person

    assert "woman.missing#" in Person.get(Person.name == "王秀英").confirmed


def test_households_lists_what_the_screen_lists(township_db):
    from storage.households import save_household

    from .conftest import reference_input

    save_household(reference_input())
    res = CliRunner().invoke(cli, ["households", "1301231032030", "--db", str(township_db)])
    assert res.exit_code == 0 and "130123103203030001  李建国  4人  李家庄村三组18号" in res.output
    res = CliRunner().invoke(cli, ["households", "130123103201", "--db", str(township_db)])
    assert res.exit_code == 0 and "共列出 0 户" in res.output


def test_recheck_commands_choose_show_decide_and_report(township_db):
    """质量复查 from the command line; the blind keying itself is the TUI's (test_tui)."""
    from storage import recheck
    from storage.households import save_household

    from .conftest import reference_input

    first = reference_input()
    save_household(first, operator="clerk1")
    runner = CliRunner()
    db = ["--db", str(township_db)]
    res = runner.invoke(cli, ["recheck", "choose", *db])
    assert res.exit_code == 1 and "--every" in res.output
    res = runner.invoke(cli, ["recheck", "choose", "--every", "1", *db])
    assert res.exit_code == 0 and "已抽取 1 份" in res.output and "clerk1" in res.output, res.output
    assert "没有新的登记表可抽" in runner.invoke(cli, ["recheck", "choose", "--per-village", "2", *db]).output
    second = reference_input()
    second.members[3].name = "李子涵"
    row = recheck.record_second_keying(1, second, operator="clerk2")
    res = runner.invoke(cli, ["recheck", "list", *db])
    assert res.exit_code == 0 and "待判定" in res.output and "clerk2" in res.output
    res = runner.invoke(cli, ["recheck", "show", str(row.id), *db])
    assert "第4人 姓名" in res.output and "李梓涵" in res.output and "李子涵" in res.output, res.output
    diff_line = re.search(r"^(\d+)\s+第4人 姓名", res.output, re.M)
    assert diff_line is not None, res.output
    diff_id = diff_line.group(1)
    res = runner.invoke(cli, ["recheck", "decide", "first", diff_id, *db])
    assert res.exit_code == 0 and "原录入正确" in res.output
    res = runner.invoke(cli, ["recheck", "decide", "second", "999", *db])
    assert res.exit_code == 1 and "没有编号为 999 的差异" in res.output
    res = runner.invoke(cli, ["clerks", *db])
    lines = {line.split()[0]: line.split() for line in res.output.splitlines() if line.startswith("clerk")}
    assert lines["clerk1"][3] == "0" and lines["clerk2"][7] == "1", res.output  # the second keyer erred
    res = runner.invoke(cli, ["recheck", "withdraw", "1", *db])  # refused before it asks
    assert res.exit_code == 1 and "已有判定" in res.output and "撤销复查任务 1" not in res.output
    for args in (
        ["show", "99999999999999999999"],
        ["list", "--offset", "99999999999999999999"],
        ["choose", "--every", "2", "--seed", "5"],
        ["choose", "--per-village", "1", "--village", "abc"],
    ):
        res = runner.invoke(cli, ["recheck", *args, *db])
        assert (
            res.exit_code in (1, 2) and not isinstance(res.exception, OverflowError) and "Traceback" not in res.output
        ), (args, res.output)


def test_household_add_show_edit_through_the_forms_save(township_db, tmp_path):
    """The CLI twin of keying a form (issue 13): add from JSON, show as JSON, edit it back; the same
    checks as the screen (an error refused with where, warnings confirmed only when asked)."""
    import json

    from storage.forms import form_to_dict

    from .conftest import reference_input

    db = ["--db", str(township_db)]
    runner = CliRunner()
    form = tmp_path / "h.json"
    data = form_to_dict(reference_input())
    bad = json.loads(json.dumps(data))
    bad["members"][0]["id_number"] = "13012319850314003"  # 17 characters
    form.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    res = runner.invoke(cli, ["household", "add", str(form), *db])
    assert res.exit_code == 1 and "错误：" in res.output and "第1人" in res.output, res.output
    form.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    res = runner.invoke(cli, ["household", "add", str(form), "--confirm", *db])
    assert res.exit_code == 0 and "已保存 户 " in res.output, res.output
    code = res.output.split("户 ")[1].split("（")[0]
    res = runner.invoke(cli, ["household", "show", code, *db])
    assert res.exit_code == 0, res.output
    shown = json.loads(res.output)
    assert shown["uid"] and [m["name"] for m in shown["members"]] == [m["name"] for m in data["members"]]
    assert (
        runner.invoke(cli, ["household", "add", str(_write(tmp_path / "again.json", shown)), *db]).exit_code == 1
    )  # has a uid
    shown["address_detail"] = "李家庄村三组21号"
    res = runner.invoke(cli, ["household", "edit", str(_write(tmp_path / "e.json", shown)), "--confirm", *db])
    assert res.exit_code == 0, res.output
    assert (
        json.loads(runner.invoke(cli, ["household", "show", code, *db]).output)["address_detail"] == "李家庄村三组21号"
    )


def _write(path, data):
    import json

    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_person_show_prints_the_card_from_the_core(township_db):
    """hecha person show: the card storage.households.person_card builds (issue 13: it was built in main.py)."""
    from storage.db import close_db, open_db
    from storage.households import save_household

    from .conftest import reference_input

    open_db(township_db)
    h = reference_input()
    save_household(h, confirmed_ids=frozenset(m.id_number.upper() for m in h.members))
    close_db()
    number = h.members[0].id_number
    res = CliRunner().invoke(cli, ["person", "show", number, "--db", str(township_db)])
    assert (
        res.exit_code == 0
        and res.output.startswith(h.members[0].name)
        and "户编码" in res.output
        and "性别 " in res.output
    ), res.output
    res = CliRunner().invoke(cli, ["person", "show", "130123199901010000", "--db", str(township_db)])
    assert res.exit_code == 1 and "没有身份证号或 uid 为" in res.output


def test_household_files_of_the_wrong_shape_name_the_field(township_db, tmp_path):
    """From a bad-input pass: a member's name as a number or a birth's mother as text ended in a
    traceback; an unknown uid got the wrong advice."""

    db = ["--db", str(township_db)]
    runner = CliRunner()
    cases = {
        "types": ({"members": [{"name": 123}]}, "members[0].name 应为文字"),
        "mother": ({"members": [], "births": [{"mother": "二"}]}, "births[0].mother 应为整数"),
        "list": ([], "应为一个对象"),
        "unknown": ({"bogus": 1}, "没有这些字段：bogus"),
    }
    for name, (data, said) in cases.items():
        res = runner.invoke(cli, ["household", "add", str(_write(tmp_path / f"{name}.json", data)), *db])
        assert res.exit_code == 1 and said in res.output and "Traceback" not in res.output, (name, res.output)
    res = runner.invoke(cli, ["household", "edit", str(_write(tmp_path / "uid.json", {"uid": "0" * 32})), *db])
    assert res.exit_code == 1 and f"没有 uid 为 {'0' * 32} 的在册户" in res.output, res.output
    res = runner.invoke(cli, ["household", "add", str(tmp_path / "uid.json"), *db])  # a form from elsewhere
    assert res.exit_code == 1 and "本库没有这一户（表来自别的数据库）" in res.output, res.output
    from storage.db import close_db, open_db
    from storage.households import save_household

    from .conftest import reference_input

    open_db(township_db)
    h = reference_input()
    saved = save_household(h, confirmed_ids=frozenset(m.id_number.upper() for m in h.members))
    close_db()
    here = _write(tmp_path / "here.json", {"uid": saved.uid})
    res = runner.invoke(cli, ["household", "add", str(here), *db])  # a household of this database
    assert res.exit_code == 1 and "（已登记的户）：修改用 hecha household edit" in res.output, res.output


def test_restore_asks_keeps_the_current_database_and_starts_a_new_epoch(township_db, tmp_path):
    runner = CliRunner()
    made = runner.invoke(cli, ["backup", "--db", str(township_db)])
    assert made.exit_code == 0, made.output
    saved = next((township_db.parent / "backups").glob("*.sqlite"))
    asked = runner.invoke(cli, ["restore", str(saved), "--db", str(township_db)], input="n\n")
    assert asked.exit_code == 1 and "替换数据库" in asked.output  # declined: nothing changed
    done = runner.invoke(cli, ["restore", str(saved), "--db", str(township_db), "--yes"])
    assert done.exit_code == 0 and "第 2 纪元" in done.output and "原数据库留存为" in done.output, done.output
    assert list(township_db.parent.glob("*.before-restore-*"))
    wrong = runner.invoke(cli, ["restore", str(tmp_path / "none.sqlite"), "--db", str(township_db), "--yes"])
    assert wrong.exit_code == 1 and "不存在" in wrong.output


def test_a_restore_where_the_office_has_keys_takes_its_passphrase(offices, tmp_path, monkeypatch):
    """A restore rolls the office back: where it has keys, only the passphrase holder may (issue 14,
    a newcomer found any clerk could)."""
    from storage.db import close_db

    from .conftest import TOWNSHIP_PASS

    close_db()
    runner = CliRunner()
    db = ["--db", str(offices.township_db)]
    assert runner.invoke(cli, ["backup", *db]).exit_code == 0
    saved = next((offices.township_db.parent / "backups").glob("*.sqlite"))
    refused = runner.invoke(cli, ["restore", str(saved), *db, "--yes"])  # no terminal, no passphrase file
    assert refused.exit_code == 1 and "口令" in refused.output, refused.output
    pf = tmp_path / "pass"
    pf.write_text("not the passphrase\n")
    monkeypatch.setenv("HECHA_PASSPHRASE_FILE", str(pf))
    assert "口令不对" in runner.invoke(cli, ["restore", str(saved), *db, "--yes"]).output
    pf.write_text(TOWNSHIP_PASS + "\n")
    done = runner.invoke(cli, ["restore", str(saved), *db, "--yes"])
    assert done.exit_code == 0 and "第 2 纪元" in done.output, done.output


def test_reference_date_refusals_are_chinese_and_clear_takes_no_date(township_db):
    runner = CliRunner()
    db = ["--db", str(township_db)]
    bad = runner.invoke(cli, ["reference-date", "20261399", *db])
    assert bad.exit_code == 1 and bad.output.startswith("错误：") and "Error" not in bad.output, bad.output
    both = runner.invoke(cli, ["reference-date", "20261101", "--clear", *db])
    assert both.exit_code == 1 and "二者选一" in both.output
    assert "没有设标准时点" in runner.invoke(cli, ["reference-date", *db]).output  # nothing was set


def test_a_restore_waits_for_nobody_and_refuses_while_hecha_has_the_database_open(township_db, tmp_path):
    """A bad-input tester restored under an open TUI and kept keying into the database put aside;
    restoring the database onto itself hung and left it empty. Both are refused now, in words."""
    import subprocess
    import sys

    from storage.db import close_db, release_in_use

    runner = CliRunner()
    db = ["--db", str(township_db)]
    assert runner.invoke(cli, ["backup", *db]).exit_code == 0
    saved = next((township_db.parent / "backups").glob("*.sqlite"))
    close_db()
    release_in_use(township_db)  # this test process is not a clerk
    same = runner.invoke(cli, ["restore", str(township_db), *db, "--yes"])
    assert same.exit_code == 1 and "就是当前数据库本身" in same.output, same.output
    assert township_db.stat().st_size > 0
    clerk = subprocess.Popen(  # another clerk's hecha: the database open until the test closes its stdin
        [
            sys.executable,
            "-c",
            "import sys; sys.path.insert(0, sys.argv[2]); from storage.db import open_db; "
            "open_db(sys.argv[1]); print('open', flush=True); sys.stdin.read()",
            str(township_db),
            str(Path(__file__).resolve().parent.parent),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert clerk.stdout is not None and clerk.stdout.readline().strip() == "open", "the clerk's hecha did not start"
        busy = runner.invoke(cli, ["restore", str(saved), *db, "--yes"])
        assert busy.exit_code == 1 and "请所有人退出 hecha 后再恢复" in busy.output, busy.output
    finally:
        clerk.kill()
        clerk.wait()
    close_db()
    release_in_use(township_db)
    done = runner.invoke(cli, ["restore", str(saved), *db, "--yes"])
    assert done.exit_code == 0, done.output


def test_the_tui_without_a_terminal_says_so_instead_of_spinning(township_db):
    """A tester ran ``hecha tui </dev/null``: it spun at 98% CPU for ever, saying nothing."""
    proc = subprocess.run(
        [*HECHA, "tui", "--db", str(township_db)], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1 and "要在终端里运行" in proc.stderr, proc.stderr


def test_clicks_own_words_are_chinese():
    """Issue 15: Usage:, Show this message and exit., No such command, Missing argument."""
    runner = CliRunner()
    helped = runner.invoke(cli, ["import-list", "--help"]).output
    assert "显示本帮助并退出" in helped and "用法：" in helped and "Show this message" not in helped
    # the usage line's own words too (a newcomer's finding): [选项], 命令, the arguments by name
    assert "[选项] 文件" in helped and "OPTIONS" not in helped and "FILE" not in helped, helped
    top = runner.invoke(cli, ["--help"]).output
    assert "[选项] [命令] [参数]..." in top and "COMMAND" not in top
    assert "甲UID 乙UID" in runner.invoke(cli, ["duplicates", "decide", "--help"]).output
    helped = runner.invoke(cli, ["duplicates", "--help"]).output  # option values and ranges too
    assert "--limit 整数" in helped and "1～100000" in helped and "INTEGER" not in helped and "<=x" not in helped
    out = runner.invoke(cli, ["duplicates", "--kind"]).output
    assert "选项 '--kind' 后面要给一个值" in out and "requires" not in out, out
    for args, words in (
        (["nosuch"], "没有 'nosuch' 这个命令"),
        (["import-list"], "缺少参数 '文件'。"),
        (["backup", "--keep", "x"], "不是数字"),
        # no English full stop, no choices a tab-indented line each; a range said plainly (a newcomer's finding)
        (["duplicates", "decide"], "缺少参数 '{same|different|unsure}'。可选：same、different、unsure"),
        (["duplicates", "--offset", "-5"], "-5 超出范围（应为 ≥0）。"),
    ):
        out = runner.invoke(cli, args).output
        assert words in out and "错误：" in out and "Error" not in out and "Usage" not in out, out


def test_demo_start_on_a_filled_demo_database_in_a_new_process(tmp_path):
    """A newcomer's finding: `bash dev.sh run` the second time (hecha demo --start on the demo it had
    filled) ended in a peewee traceback: it asked the database whether it held households before
    opening it. Here without a terminal the TUI then refuses to start, in words."""
    db = tmp_path / "demo.sqlite"
    run(["demo", "--households", "3", "--no-lists", "--as-of", "20261129", "--db", str(db)], tmp_path)
    again = run(["demo", "--start", "--db", str(db)], tmp_path, ok=False)
    assert "演示数据库已有数据，直接启动" in again.stderr and "Traceback" not in again.stderr, again.stderr


def test_villages_lists_the_codes_a_form_needs(township_db):
    """A newcomer keying a form from JSON had no way but the TUI's F4 to find a village's code."""
    from storage.db import close_db

    close_db()
    db = ["--db", str(township_db)]
    every = CliRunner().invoke(cli, ["villages", *db])
    assert every.exit_code == 0 and "130123103203" in every.output and "李家庄村" in every.output, every.output
    one = CliRunner().invoke(cli, ["villages", "ljz", *db])
    assert one.exit_code == 0 and "共 1 个" in one.output and "李家庄村" in one.output, one.output
    assert CliRunner().invoke(cli, ["villages", "没有这个村", *db]).exit_code == 1
    assert "共 14 个" in CliRunner().invoke(cli, ["villages", " ", *db]).output  # blank: every village


def test_rebaseline_before_any_bundle_is_refused(township_db):
    """A township that never exported has no chain to start again (a helper re-based a new database)."""
    from storage.db import close_db

    close_db()
    res = CliRunner().invoke(cli, ["rebaseline", "--yes", "--db", str(township_db)])
    assert res.exit_code == 1 and "还没有导出过数据包" in res.output, res.output


def test_a_restore_says_what_is_wrong_before_it_asks_for_the_passphrase(tmp_path):
    """A newcomer typed the passphrase and y, then heard that the file did not exist, or was
    another office's, or that a clerk still had hecha open."""
    import fcntl

    from storage.db import close_db, in_use_file

    from .cli_office import Office

    runner = CliRunner()
    town = Office(tmp_path, "130123103", runner)
    county = Office(tmp_path, "130123", runner)
    close_db()
    for backup, said in ((tmp_path / "none.sqlite", "不存在"), (county.db, "备份是单位 130123 的")):
        res = runner.invoke(cli, ["restore", str(backup), "--db", str(town.db)])  # no passphrase, no input
        assert res.exit_code == 1 and said in res.output and "口令" not in res.output, res.output
    town.cli("backup")
    saved = next((tmp_path / "backups").glob("130123103-*.sqlite"))
    close_db()
    with open(in_use_file(town.db), "a") as held:  # another clerk's hecha
        fcntl.flock(held, fcntl.LOCK_SH)
        opened = subprocess.run(
            [sys.executable, "-c", "import main; main.cli()", "restore", str(saved), "--db", str(town.db)],
            capture_output=True,
            text=True,
            input="",
        )
    assert opened.returncode == 1 and "数据库正开着" in opened.stderr and "口令" not in opened.stderr, opened.stderr


def test_what_a_breaker_fed_restore_backup_and_migrate_is_refused_before_anything_changes(tmp_path):
    """A backup of a newer schema was put in place and only then refused; a demo's backup went onto
    the office's database; a declined restore had already upgraded an old database; ``--keep``
    rotated away another database's backups (``a-b.sqlite`` beside ``a.sqlite``); a migration that
    failed ended in an English traceback."""
    import hashlib

    from storage.db import SCHEMA_VERSION, close_db

    runner = CliRunner()

    def digest(p: Path) -> str:
        return hashlib.sha256(p.read_bytes()).hexdigest()

    office, demo = tmp_path / "a.sqlite", tmp_path / "demo.sqlite"
    assert runner.invoke(cli, ["init", "--office", "130123103", "--db", str(office)]).exit_code == 0
    assert runner.invoke(cli, ["demo", "--households", "3", "--no-lists", "--db", str(demo)]).exit_code == 0
    close_db()
    newer = tmp_path / "newer.sqlite"
    newer.write_bytes(office.read_bytes())
    con = sqlite3.connect(newer)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    before = digest(office)
    for backup, said in ((newer, f"本程序只认到第 {SCHEMA_VERSION} 版"), (demo, "是演示数据库的备份")):
        res = runner.invoke(cli, ["restore", str(backup), "--yes", "--db", str(office)])
        assert res.exit_code == 1 and said in res.output, res.output
        assert digest(office) == before and not list(tmp_path.glob("a.sqlite.before-restore-*"))
    close_db()
    res = runner.invoke(cli, ["restore", str(demo), "--db", str(demo)], input="n\n")  # itself: refused at once
    assert res.exit_code == 1 and "就是当前数据库本身" in res.output
    # --keep rotates this database's backups only
    other = tmp_path / "a-b.sqlite"
    other.write_bytes(office.read_bytes())
    for db in (other, other, office):
        close_db()
        assert runner.invoke(cli, ["backup", "--keep", "2", "--db", str(db)]).exit_code == 0
    assert len(list((tmp_path / "backups").glob("a-b-*-manual.sqlite"))) == 2
    assert len(list((tmp_path / "backups").glob("a-2*-manual.sqlite"))) == 1
    # a migration step that fails says so in Chinese, naming the step
    close_db()
    con = sqlite3.connect(office)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")  # its last step's objects are there already
    con.commit()
    con.close()
    res = runner.invoke(cli, ["migrate", "--db", str(office)])
    assert res.exit_code == 1 and f"升级数据库结构到第 {SCHEMA_VERSION} 版时出错" in res.output, res.output
    assert "Traceback" not in res.output


def test_a_declined_restore_leaves_an_old_database_as_it_was(tmp_path):
    """The question comes before the database is opened: opening a schema-1 database upgrades it."""
    from storage.db import close_db

    skeleton = Path(__file__).parent / "data" / "skeleton-v1.sqlite"
    current, saved = tmp_path / "old.sqlite", tmp_path / "saved.sqlite"
    current.write_bytes(skeleton.read_bytes())
    saved.write_bytes(skeleton.read_bytes())
    close_db()
    res = CliRunner().invoke(cli, ["restore", str(saved), "--db", str(current)], input="n\n")
    assert res.exit_code == 1 and "替换数据库" in res.output, res.output
    assert sqlite3.connect(current).execute("PRAGMA user_version").fetchone()[0] == 1
    assert not (tmp_path / "backups").exists()  # no pre-migration backup either: nothing was opened
