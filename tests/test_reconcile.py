"""Reconciliation (issue 7): births linked across the forms and real lists written by the tests,
and the expected finding for each designed case."""

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from textual.widgets import DataTable

from main import cli
from storage import idnumber, reconcile
from storage.households import BirthInput, HouseholdInput, MemberInput, dup_key, save_household
from storage.models import Birth, Person, ReconcileFinding, VisitResult
from storage.reflists import import_list

AS_OF = dt.date(2026, 6, 30)
VILLAGE = "130123103203"
MOTHER = idnumber.make("130123", dt.date(1990, 5, 6), 22)
FATHER = idnumber.make("130123", dt.date(1988, 2, 3), 11)
MOTHER2 = idnumber.make("130123", dt.date(1992, 8, 9), 42)
OUTSIDER = idnumber.make("410102", dt.date(1995, 1, 2), 62)  # 河南省郑州市中原区
TWIN1 = idnumber.make("130123", dt.date(2019, 9, 1), 13)
TWIN2 = idnumber.make("130123", dt.date(2019, 9, 1), 15)


def _save(group, members, births=()):
    h = HouseholdInput(VILLAGE, group, "测试地址", "", members, list(births))
    save_household(h, confirmed_ids=frozenset(dup_key(m) for m in members), today=AS_OF)


def _csv(path, header, rows):
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="gbk")
    return path


@pytest.fixture
def town(township_db, tmp_path):
    """Two families on the forms and five lists: see the test names for what each case is."""
    _save(
        "01",
        [
            MemberInput("李强", FATHER, "02"),
            MemberInput("王芳", MOTHER, "10"),
            MemberInput("李大宝", TWIN1, "20"),
            MemberInput("李二宝", TWIN2, "20"),
            MemberInput("李晓玲", "", "30", sex="2", birth_date="20170307"),
        ],
        [
            BirthInput(mother=2, child=3, father=1, birth_order=2, plurality=2, plurality_index=1),
            BirthInput(mother=2, child=4, father=1, birth_order=3, plurality=2, plurality_index=2),
            BirthInput(mother=2, child=5, father=1, birth_order=1),
        ],
    )
    _save(
        "02",
        [
            MemberInput("张丽", MOTHER2, "02"),
            MemberInput("赵小明", "", "20", sex="1", birth_date="20180520", vital_status="2", vital_date="20190101"),
        ],
        [BirthInput(mother=1, child=2, birth_order=1, child_status="2")],
    )
    head = ["姓名", "性别", "出生日期", "身份证号", "母亲姓名", "母亲身份证号"]
    import_list(
        _csv(
            tmp_path / "wis.csv",
            head,
            [
                ["李大宝", "男", "2019-09-01", TWIN1, "王芳", MOTHER],
                ["李二宝", "男", "2019-09-01", TWIN2, "王芳", MOTHER],
                ["李晓玲", "女", "2017-07-03", "", "王芳", MOTHER],  # day and month swapped in WIS
                ["赵小明", "男", "2018-05-20", "", "张丽", MOTHER2],  # died, but reported
                [
                    "钱多多",
                    "女",
                    "2017-01-01",
                    "",
                    "孙红",
                    idnumber.make("130123", dt.date(1991, 3, 3), 82),
                ],  # WIS only
            ],
        ),
        "wis",
    )
    import_list(
        _csv(
            tmp_path / "cert.csv",
            ["新生儿姓名", "性别", "出生日期", "母亲姓名", "母亲身份证号", "出生医学证明编号"],
            [
                ["李大宝", "男", "2019-09-01", "王芳", MOTHER, "M130000001"],
                ["李二宝", "男", "2019-09-01", "王芳", MOTHER, "M130000002"],
                ["李小玲", "女", "2017-03-07", "王芳", MOTHER, "M130000003"],  # a homophone on the certificate
                ["赵小明", "男", "2018-05-20", "张丽", MOTHER2, "M130000004"],
                [
                    "孙悟",
                    "男",
                    "2020-02-02",
                    "刘梅",
                    OUTSIDER,
                    "M130000005",
                ],  # born in the county hospital, mother from Henan
            ],
        ),
        "birth_cert",
    )
    import_list(
        _csv(
            tmp_path / "delivery.csv",
            ["产妇姓名", "产妇身份证号", "婴儿性别", "出生日期"],
            [
                ["王芳", MOTHER, "女", "2026-05-03"]  # a newborn neither on the forms nor in WIS, no name yet
            ],
        ),
        "delivery",
    )
    import_list(
        _csv(
            tmp_path / "vacc.csv",
            ["儿童姓名", "儿童出生日期", "性别", "母亲姓名", "母亲身份证号"],
            [
                ["王芳之女", "2026/5/4", "女", "王芳", MOTHER]  # the same newborn, a day off, named after her mother
            ],
        ),
        "vaccination",
    )
    import_list(
        _csv(
            tmp_path / "police.csv",
            ["姓名", "公民身份号码", "性别", "出生日期"],
            [
                ["李大宝", TWIN1, "男", "2019-09-01"],
                ["李二宝", TWIN2, "男", "2019-09-01"],
                ["李晓玲", "", "女", "2017-03-07"],
            ],
        ),
        "police_hukou",
    )
    return township_db


def _by_name(name):
    return next(f for f in ReconcileFinding.select() if f.child_name == name)


def test_each_designed_case_gets_its_finding(town):
    report = reconcile.run(AS_OF)
    assert report.births == 7, [(f.child_name, f.kind, f.groups) for f in ReconcileFinding.select()]
    # twins stay two births, each consistent across forms, WIS, health and police
    twins = [f for f in ReconcileFinding.select() if f.child_name in ("李大宝", "李二宝")]
    assert len(twins) == 2 and {f.kind for f in twins} == {"consistent"}
    assert all(f.groups == "forms wis health police" for f in twins) and twins[0].key != twins[1].key
    # a day/month swap in WIS is a misreport of the birth date
    swap = _by_name("李晓玲")
    assert swap.kind == "misreport" and json.loads(swap.differences)[0][:3] == [
        "birth_date",
        "2017-07-03",
        "2017-03-07",
    ]
    # a child who died: in WIS and health, not on the police register, which is legitimate
    died = _by_name("赵小明")
    assert died.kind == "consistent" and "死亡" in died.reason and "police" not in died.groups
    # an unnamed newborn links through the mother: on two health lists, nowhere else
    newborn = ReconcileFinding.get(ReconcileFinding.birth_date.startswith("2026-05"))
    assert newborn.kind == "omission" and newborn.groups == "health" and len(json.loads(newborn.evidence)) == 2
    assert newborn.village_code == VILLAGE and "登记表也没有" in newborn.reason
    # born in the county hospital, registered elsewhere: not an omission of this township
    outside = _by_name("孙悟")
    assert outside.kind == "elsewhere" and "410102" in outside.reason
    assert _by_name("钱多多").kind == "false"
    assert report.kinds == {"consistent": 3, "misreport": 1, "omission": 1, "elsewhere": 1, "false": 1}


def test_a_confirmed_omission_becomes_a_birth_and_the_next_run_keeps_the_result(town):
    reconcile.run(AS_OF)
    newborn = ReconcileFinding.get(ReconcileFinding.kind == "omission")
    done = reconcile.record_result(newborn.key, "漏报", note="入户核实：2026年5月3日县医院出生")
    assert "补录" in done
    birth = Birth.get(Birth.birth_date == "2026-05-03")
    assert (
        birth.finding == "1"
        and birth.mother.name == "王芳"
        and "住院分娩" not in birth.evidence
        and "delivery.csv" in birth.evidence
    )
    assert Person.get(Person.id == birth.child_id).name == "王芳之女"
    reconcile.run(AS_OF)  # the birth is on the forms now, still not in WIS: the result stays with it
    again = ReconcileFinding.get(ReconcileFinding.birth_uid == birth.uid)
    assert again.kind == "omission" and "forms" in again.groups
    assert (
        again.code == newborn.code and reconcile.find(newborn.code).key == again.key
    )  # the printed 编号 still finds it
    outside = _by_name("孙悟")
    with pytest.raises(reconcile.ResultError, match="不计本乡漏报"):  # born elsewhere: not this township's omission
        reconcile.record_result(outside.code, "1")
    assert reconcile.conclusion_code("１") == "1"  # full-width, as an input method types it
    assert VisitResult.get(VisitResult.key == again.key).conclusion == "1"


def test_a_misreport_is_corrected_field_by_field_with_audit(town):
    from storage.models import AuditLog

    reconcile.run(AS_OF)
    swap = _by_name("李晓玲")
    with pytest.raises(reconcile.ResultError, match="只有结论为 4"):
        reconcile.record_result(swap.key, "0", corrections={"birth_order": "2"})
    with pytest.raises(reconcile.ResultError, match="不是漏报"):  # WIS holds it: reported
        reconcile.record_result(swap.key, "1")
    with pytest.raises(reconcile.ResultError, match="没有通过登记表的检查"):  # as on the form: no birth in the future
        reconcile.record_result(swap.key, "4", corrections={"birth_date": "20300101"})
    with pytest.raises(reconcile.ResultError, match="没有通过登记表的检查"):
        reconcile.record_result(swap.key, "4", corrections={"birth_cert_no": "123"})
    assert Birth.get(Birth.uid == swap.birth_uid).birth_date == "2017-03-07"  # nothing changed
    assert "更正" not in reconcile.record_result(swap.key, "4", corrections={"birth_order": "1"})  # the value it has
    with pytest.raises(reconcile.ResultError, match="结论"):
        reconcile.record_result(swap.key, "对")
    with pytest.raises(reconcile.ResultError, match="孩次"):
        reconcile.record_result(swap.key, "错报", corrections={"birth_order": "x"})
    with pytest.raises(reconcile.ResultError, match="需要核实"):  # a second child before the twins: the order warns
        reconcile.record_result(swap.key, "4", corrections={"birth_order": "2"})
    done = reconcile.record_result(
        swap.key, "错报", note="人口系统生日录反了", corrections={"birth_cert_no": "m130000009"}
    )
    assert "记为错报" in done and "更正了出生医学证明编号" in done
    assert Birth.get(Birth.uid == swap.birth_uid).birth_cert_no == "M130000009"
    birth = Birth.get(Birth.uid == swap.birth_uid)
    assert birth.finding == "4" and birth.finding_note == "人口系统生日录反了"
    assert (
        AuditLog.select().where((AuditLog.uid == birth.uid) & (AuditLog.field == "finding")).get().reason
        == "核查结论：错报"
    )


def test_hecha_reconcile_lists_writes_work_lists_and_records(town, tmp_path):
    runner, db = CliRunner(), ["--db", str(town)]
    res = runner.invoke(cli, ["reconcile", "--as-of", "2026-06-30", *db])
    assert res.exit_code == 0, res.output
    assert (
        "疑似漏报 1" in res.output
        and "疑似错报 1" in res.output
        and "李晓玲" in res.output
        and "李大宝" not in res.output
    )
    res = runner.invoke(cli, ["reconcile", "--as-of", "2026-06-30", "--source", "police", *db])  # as F6 on the screen
    assert res.exit_code == 0 and "李晓玲" in res.output and "孙悟" not in res.output, res.output
    out = tmp_path / "入户核查.xlsx"
    res = runner.invoke(cli, ["reconcile", "--as-of", "2026-06-30", "--out", str(out), *db])
    assert res.exit_code == 0 and out.exists(), res.output
    from openpyxl import load_workbook

    sheet = load_workbook(out).worksheets[0]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    header = rows[0]
    assert "核查结论" in header and "备注" in header
    mother_ids = [r[header.index("母亲身份证号")] for r in rows[1:] if r[header.index("母亲身份证号")]]
    assert mother_ids and all(m.startswith("*") and len(m) == 18 for m in mother_ids)  # masked but the last four
    key = next(f.key for f in ReconcileFinding.select() if f.child_name == "钱多多")
    res = runner.invoke(
        cli, ["reconcile", "result", key[:30], "3", "--note", "查无此人", *db]
    )  # a key's first characters do
    assert res.exit_code == 0 and "虚报" in res.output, res.output
    res = runner.invoke(cli, ["reconcile", "summary", *db])
    assert res.exit_code == 0 and "虚报" in res.output, res.output
    res = runner.invoke(cli, ["reconcile", "show", key[:30], *db])  # the evidence, as the screen's Enter shows it
    assert res.exit_code == 0 and "钱多多" in res.output and "人口系统" in res.output and "已核：虚报" in res.output, (
        res.output
    )
    assert runner.invoke(cli, ["reconcile", "result", "nosuch", "3", *db]).exit_code == 1
    assert runner.invoke(cli, ["reconcile", "result", "birth:", "3", *db]).exit_code == 1  # too short: not one key
    assert runner.invoke(cli, ["reconcile", "--as-of", "20991231", *db]).exit_code == 1
    res = runner.invoke(cli, ["reconcile", "annual", VILLAGE, "2017", "--reported", "5", *db])
    assert res.exit_code == 0 and "年报出生 5" in res.output
    res = runner.invoke(cli, ["reconcile", "summary", "--out", str(tmp_path / "汇总.xlsx"), *db])
    assert res.exit_code == 0 and (tmp_path / "汇总.xlsx").exists()
    xls = tmp_path / "入户核查.xls"
    assert runner.invoke(cli, ["reconcile", "--out", str(xls), "--no-mask", *db]).exit_code == 0
    import xlrd

    sheet = xlrd.open_workbook(str(xls)).sheet_by_index(0)
    assert sheet.cell_value(0, 0) == "序号" and any(MOTHER == sheet.cell_value(r, 7) for r in range(1, sheet.nrows))


async def test_tui_findings_to_a_recorded_visit_and_the_summary_changes(town):
    """Key-driven: F10 from the menu runs the reconciliation, the omission is highlighted, Enter
    shows the evidence, 1 + a note records 漏报 (the birth is added), F7's summary counts it."""
    from storage.db import close_db
    from tests.test_tui import SIZE, make_app
    from tui.screens.reconcile import EvidenceScreen, ReconcileScreen, SummaryScreen

    reconcile.run(AS_OF)
    close_db()
    app = make_app(town)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f10")
        assert isinstance(app.screen, ReconcileScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        kinds = [f.kind for f, _ in screen.rows]
        assert "consistent" not in kinds and kinds.count("omission") == 1, kinds
        await pilot.press("f7")
        assert isinstance(app.screen, SummaryScreen)
        before = {(r.village_code, r.year): r for r in reconcile.summary()}
        await pilot.press("escape")
        row = kinds.index("omission")
        screen.query_one("#recon-list", DataTable).move_cursor(row=row)
        await pilot.pause()
        mother = screen.rows[row][0].mother_id_number
        detail = str(screen.query_one("#recon-detail").render())
        assert mother and mother not in detail and mother[-4:] in detail  # a list masks; the evidence shows it whole
        await pilot.press("enter")
        assert isinstance(app.screen, EvidenceScreen)
        evidence = app.screen.query_one("#evidence", DataTable)
        assert evidence.row_count == 2  # a row per record: the delivery list and the vaccination list
        await pilot.press("1")
        await pilot.pause()
        for ch in "县医院":
            await pilot.press(ch)
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ReconcileScreen)
        assert "补录" in str(app.screen.query_one("#recon-state").render())
        result = VisitResult.get()
        assert result.conclusion == "1" and result.note == "县医院"
        await pilot.press("f7")
        await pilot.pause()
        after = {(r.village_code, r.year): r for r in reconcile.summary()}
        key = (VILLAGE, reconcile.stat_year(dt.date(2026, 5, 3)))
        assert after[key].omissions == before.get(key, reconcile.SummaryRow(*key)).omissions + 1
        table = app.screen.query_one("#summary", DataTable)
        assert any(str(table.get_row_at(i)[5]) == "1" for i in range(table.row_count))
        await pilot.press("escape", "f3")  # the village filter takes pinyin initials
        for ch in "ljz":
            await pilot.press(ch)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ReconcileScreen) and app.screen.village == VILLAGE
        assert all(f.village_code == VILLAGE for f, _ in app.screen.rows)


def test_a_conclusion_follows_its_birth_when_a_later_list_names_the_child(town, tmp_path):
    """An unnamed newborn concluded under a key made of the mother and date keeps its conclusion
    when a newer list names the child (the key changes); the work list shows codes, not keys with
    ID numbers; a conclusion that does not fit the sources is refused."""
    reconcile.run(AS_OF)
    outside = _by_name("孙悟")
    with pytest.raises(reconcile.ResultError, match="虚报只能"):
        reconcile.record_result(outside.code, "3")
    newborn = ReconcileFinding.get(ReconcileFinding.kind == "omission")
    reconcile.record_result(newborn.code.lower(), "9", note="约好下周再去")  # the code, in any case
    import_list(
        _csv(
            tmp_path / "vacc2.csv",
            ["儿童姓名", "儿童出生日期", "性别", "母亲姓名", "母亲身份证号"],
            [["李小雨", "2026/5/4", "女", "王芳", MOTHER]],
        ),
        "vaccination",
        replace=True,
    )
    reconcile.run(AS_OF)
    again = ReconcileFinding.get(ReconcileFinding.birth_date.startswith("2026-05"))
    assert again.key != newborn.key and again.child_name == "李小雨"
    assert VisitResult.get().key == again.key and VisitResult.select().count() == 1
    rows = reconcile.worklist_rows(masked=True)
    cells = [str(c) for rs in rows.values() for r in rs for c in r]
    assert not any(MOTHER in c for c in cells) and any(again.code == c for c in cells)
    assert reconcile.mask(MOTHER) in cells  # the mother's number: its last four only


def test_a_roll_with_a_wrong_birth_date_links_through_the_mother_and_name(town, tmp_path):
    """A kindergarten roll writes 李晓玲's birth date wrong: the same mother's ID and the same name
    still make her one child (no 疑似漏报 to add a second 李晓玲 to the household), and a confirmed
    omission is not added where the mother already has a child of that name."""
    import_list(
        _csv(
            tmp_path / "园.csv",
            ["幼儿姓名", "性别", "出生日期", "母亲身份证号"],
            [["李晓玲", "女", "2018-12-16", MOTHER]],
        ),
        "kindergarten",
    )
    reconcile.run(AS_OF)
    swap = _by_name("李晓玲")
    assert "education" in swap.groups.split() and swap.kind == "misreport"
    assert [f.child_name for f in ReconcileFinding.select() if f.kind == "omission"] == [""]  # only the newborn


def test_an_empty_reference_date_is_the_offices_campaign_date(township_db):
    """Left empty, the reconciliation's reference date is the 标准时点 the office set, not today."""
    import datetime as dt

    from storage.office import set_reference_date
    from storage.reconcile import reference_date

    assert reference_date("", today=dt.date(2026, 12, 4)) == dt.date(2026, 12, 4)
    set_reference_date(dt.date(2026, 11, 1))
    assert reference_date("", today=dt.date(2026, 12, 4)) == dt.date(2026, 11, 1)
    # eight letters were told a 6-digit 年月 would do, and 202001 that it would not (a newcomer's finding)
    for typed in ("abcdefgh", "202001"):
        with pytest.raises(ValueError, match="写8位年月日") as err:
            reference_date(typed, today=dt.date(2026, 12, 4))
        assert "6位年月" not in str(err.value)


def test_the_write_lock_is_free_while_findings_are_made(town, monkeypatch):
    """Issue 14: a run makes its findings without the write lock (clerks save meanwhile) and holds
    it only to publish them; what another writer saved during the run stays."""
    import sqlite3

    from storage.reconcile import runs

    real = runs.classify
    tried: list[str] = []

    def classify_and_write_beside(*args, **kwargs):
        if not tried:  # another connection, as a clerk saving: it must get the lock at once
            other = sqlite3.connect(str(town), timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("UPDATE office SET reference_date = '2026-06-30'")
                other.execute("COMMIT")
                tried.append("free")
            except sqlite3.OperationalError as exc:
                tried.append(str(exc))
            finally:
                other.close()
        return real(*args, **kwargs)

    monkeypatch.setattr(runs, "classify", classify_and_write_beside)
    report = reconcile.run(AS_OF)
    assert tried == ["free"] and report.births > 0
    assert ReconcileFinding.select().count() == report.births  # all published
    from storage.models import Office

    assert Office.get().reference_date == "2026-06-30"  # the other writer's change stands


def test_a_run_says_when_records_changed_after_it(town):
    """Issue 15: the reconciliation screen showed an old run with nothing saying it was out of date."""
    import time

    from storage.households import update_person

    reconcile.run(AS_OF)
    last = reconcile.last_run()
    assert reconcile.changed_since(last.at) == ""
    deadline = time.monotonic() + 5
    while reconcile.changed_since(last.at) == "" and time.monotonic() < deadline:  # a later second
        update_person(MOTHER, {"work_unit": f"厂{time.monotonic():.3f}"})
    assert "登记表改动" in reconcile.changed_since(last.at)


async def test_f9_on_a_birth_elsewhere_raises_a_request_to_the_mothers_county(town):
    """Issue 17: a 外地出生 finding went nowhere; F9 and Y raise a 协查 to the mother's county."""
    from storage.db import close_db, open_db
    from storage.models import AssistRequest
    from tests.test_tui import SIZE, make_app
    from tui.screens.reconcile import ReconcileScreen

    reconcile.run(AS_OF)
    close_db()
    app = make_app(town)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f10")
        assert isinstance(app.screen, ReconcileScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        kinds = [f.kind for f, _ in screen.rows]
        screen.query_one("#recon-list", DataTable).move_cursor(row=kinds.index("omission"))
        await pilot.press("f9")  # not a birth elsewhere: said, nothing raised
        assert "只有「外地出生」" in str(screen.query_one("#recon-state").render())
        screen.query_one("#recon-list", DataTable).move_cursor(row=kinds.index("elsewhere"))
        await pilot.pause()
        await pilot.press("f9", "y")
        for _ in range(200):
            if "已发起协查" in str(screen.query_one("#recon-state").render()):
                break
            await pilot.pause(0.02)
        assert "已发起协查" in str(screen.query_one("#recon-state").render())
    close_db()
    open_db(town)
    req = AssistRequest.get()
    assert req.to_county == "410102" and req.source.startswith("finding:") and "外地出生" in req.question
