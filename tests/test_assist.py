"""Assistance requests (协查, issue 17): working days, and a request carried from a township of one
county to a township of another and back, through real bundles and the command line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from main import cli
from storage import assist, workdays
from storage.db import close_db, open_db
from storage.households import save_household
from storage.models import AssistRequest, Birth, Person

from .cli_office import Office
from .conftest import reference_input

D = dt.date


# ------------------------------------------------------------------------------------ working days
def test_fifteen_working_days_from_18_september_2026_is_15_october(township_db):
    """National Day week (1–7 October 2026 off) and the 调休 Saturdays (20 September, 10 October)."""
    due = workdays.due_date(D(2026, 9, 18))
    assert due == workdays.Due(D(2026, 10, 15), False)
    cal = workdays.Calendar()
    assert cal.is_working_day(D(2026, 9, 20)) and cal.is_working_day(D(2026, 10, 10))  # Sunday, Saturday: 调休
    assert not cal.is_working_day(D(2026, 10, 5))  # a Monday of the holiday
    assert cal.working_days_between(D(2026, 9, 18), D(2026, 10, 15)) == 15
    assert cal.working_days_between(D(2026, 10, 16), D(2026, 10, 15)) == -1


def test_a_year_no_calendar_covers_is_provisional_until_its_notice_is_loaded(township_db, tmp_path):
    due = workdays.due_date(D(2026, 12, 20))
    assert due.provisional and due.day.year == 2027 and due.text().endswith("（暂定）")
    # weekends only: 21–31 December has 9 working days (25 December is a working day in China), then
    # 1 January 2027 (a Friday) counts as one without a calendar, and 4–8 January: the 15th is the 8th
    assert due.day == D(2027, 1, 8)
    notice = tmp_path / "2027.txt"
    notice.write_text("2027-01-01 休 元旦\n2027-01-09 班\n", encoding="utf-8")
    assert workdays.load_override(notice) == (2, [2027])
    assert workdays.due_date(D(2026, 12, 20)).provisional  # two days are corrections, not the year's notice
    spring = "".join(f"2027-02-{d:02d} 休 春节\n" for d in range(6, 14))
    notice.write_text(
        "# 国务院办公厅关于2027年部分节假日安排的通知（测试用）\n2027-01-01 休 元旦\n2027-01-02 休\n2027-01-03 休\n"
        "2027-01-09 班 调休\n" + spring + "2027-02-14 班\n",
        encoding="utf-8",
    )
    assert workdays.load_override(notice) == (13, [2027])  # replaces the two days loaded before
    exact = workdays.due_date(D(2026, 12, 20))
    # 1 January off, the Saturday 9 January worked: 9 in December, then 4–8 January (5) and the 9th
    assert exact == workdays.Due(D(2027, 1, 9), False)
    for text, where in (
        ("2027-13-01 休\n", "没有 2027-13-01 这一天"),
        ("2027-01-01 放\n", "第1行"),
        ("\n2027-01-01\n", "第2行"),
        ("2027-W01-1 休\n", "应写成"),
        ("0001-01-01 休\n", "不是放假安排的年份"),
        ("2027-01-01 休 \x1b[2J\n", "控制字符"),
    ):
        notice.write_text(text, encoding="utf-8")
        with pytest.raises(workdays.CalendarFileError, match=where):
            workdays.load_override(notice)
    assert workdays.due_date(D(2026, 12, 20)) == exact  # a refused file changes nothing
    notice.write_text("２０２６／１０／１２ 休 全角\n", encoding="utf-8")  # one corrected day of a known year
    workdays.load_override(notice)
    assert workdays.due_date(D(2026, 9, 18)) == workdays.Due(D(2026, 10, 16), False)  # the rest of 2026 as known
    big = tmp_path / "big.txt"
    days = [D(2030, 1, 1) + dt.timedelta(days=i) for i in range(5001)]
    big.write_text("".join(f"{d} 休\n" for d in days), encoding="utf-8")
    with pytest.raises(workdays.CalendarFileError, match="超过 5000 天"):
        workdays.load_override(big)
    big.write_text("".join(f"{d} 休\n" for d in days[:4000]), encoding="utf-8")
    assert workdays.load_override(big)[0] == 4000  # in statements SQLite's variable limit takes


def test_no_date_crashes_the_calendar(township_db):
    cal = workdays.Calendar()
    assert cal.add_working_days(D(9999, 12, 30), 15).provisional
    assert cal.judge(D(1, 1, 1)) == (True, True)  # a Monday, judged by weekends only
    assert workdays.due_date(D(2026, 9, 18), 30, working=False) == workdays.Due(D(2026, 10, 18), False)


# ------------------------------------------------------------------------------ four offices, CLI
TOWN_A, COUNTY_X = "130123103", "130123"  # 新安镇, 正定县
TOWN_B, COUNTY_Y = "130125103", "130125"  # 口头镇, 行唐县


def test_a_request_travels_from_one_county_to_another_and_its_reply_corrects_the_asker(tmp_path, monkeypatch):
    runner = CliRunner()
    day = {"now": D(2026, 9, 16)}
    monkeypatch.setattr(assist, "today", lambda: day["now"])
    a, x = Office(tmp_path, TOWN_A, runner), Office(tmp_path, COUNTY_X, runner)
    b, y = Office(tmp_path, TOWN_B, runner), Office(tmp_path, COUNTY_Y, runner)
    for one, other in ((a, x), (x, a), (b, y), (y, b), (x, y), (y, x)):
        one.add(other)

    # township A holds a household whose daughter has no ID number yet; her mother came from 行唐县
    open_db(a.db)
    form = reference_input()
    form.members[3].id_number, form.members[3].birth_date, form.members[3].sex = "", "20170306", "2"
    save_household(form, confirmed_ids=frozenset({"*"}) | {m.id_number for m in form.members})
    birth = Birth.get()
    child_uid = birth.child.uid
    close_db()

    res = a.cli("assist", "new", "--birth", birth.uid, "--township", TOWN_B, "--question", "请核实孩子的出生日期")
    assert f"已发起协查 {TOWN_A}-" in res.output and "口头镇" in res.output
    no = res.output.split("协查 ")[1].split("，")[0]
    assert "待发" in a.cli("assist", "--sent").output

    # up to county X, which routes it on to county Y (another county: its own bundle)
    out = x.take(a.export())
    assert "转发协查 1 件" in out, out
    up = x.export()
    assert len(up) == 1 and f"-{COUNTY_X}-{COUNTY_Y}-" in up[0]
    assert "已转" in x.cli("assist", "--relay", "--all").output
    # county Y routes it down to township B, which receives it on 18 September 2026
    assert "转发协查 1 件" in y.take(up)
    down = y.export()
    assert len(down) == 1 and f"-{COUNTY_Y}-{TOWN_B}-" in down[0]
    day["now"] = D(2026, 9, 18)
    assert "收到协查 1 件" in b.take(down)
    inbox = b.cli("assist").output
    assert no in inbox and "王秀英" in inbox and "2026-10-15" in inbox and "剩15个工作日" in inbox, inbox
    shown = b.cli("assist", "show", no).output
    assert "孩子出生日期：2017-03-06" in shown and "请核实孩子的出生日期" in shown and "收到" in shown

    # B visits and answers on the due date: 不一致, the child was born on the 8th
    day["now"] = D(2026, 10, 15)
    b.cli("assist", "visit", no, "--note", "入户看了出生医学证明")
    bad = b.cli("assist", "reply", no, "--outcome", "不一致", ok=False)
    assert bad.exit_code == 1 and "要写明核实到的情况" in bad.output
    res = b.cli("assist", "reply", no, "--outcome", "不一致", "--set", "出生日期=20170308", "--visited")
    assert "按时" in res.output, res.output
    assert "今天到期" not in b.cli("assist").output  # answered: no longer waiting

    # the reply goes back: B → Y → X → A
    assert "转发协查 1 件" in y.take(b.export())
    assert "转发协查 1 件" in x.take(y.export())
    day["now"] = D(2026, 10, 19)
    assert "收到协查回复 1 件" in a.take(x.export())
    shown = a.cli("assist", "show", no).output
    assert "回复：不一致" in shown and "出生日期 → 2017-03-08" in shown and "已入户" in shown, shown
    res = a.cli("assist", "verify", no)
    assert "出生日期改为2017-03-08" in res.output, res.output
    open_db(a.db)
    child = Person.get(Person.uid == child_uid)
    assert child.birth_date == "2017-03-08" and Birth.get().birth_date == "2017-03-08"
    history = [e.event for e in assist.history(AssistRequest.get())]
    assert history == ["created", "sent", "reply_received", "verified"]
    close_db()
    open_db(b.db)
    assert [e.event for e in assist.history(AssistRequest.get())] == ["received", "opened", "visited", "replied"]
    close_db()

    # statistics on both sides agree with each other and with counts made in SQL
    a_stats = a.cli("assist", "stats").output
    b_stats = b.cli("assist", "stats").output
    sent = a.sql("select count(*) from assist_request where role = 'sent' and sent_on like '2026-09%'")[0][0]
    verified = a.sql("select count(*) from assist_reply where verified_on like '2026-10%'")[0][0]
    received = b.sql("select count(*) from assist_request where role = 'received' and received_on like '2026-09%'")
    received = received[0][0]
    on_time = b.sql(f"select count(*) from assist_reply where origin = '{TOWN_B}' and replied_on <= due_date")[0][0]
    assert sent == verified == received == on_time == 1
    assert _stat(a_stats, "2026-09") == [1, 0, 0, 0, 0, 0] and _stat(a_stats, "2026-10") == [0, 0, 0, 0, 0, 1]
    assert _stat(b_stats, "2026-09") == [0, 1, 0, 0, 0, 0] and _stat(b_stats, "2026-10") == [0, 0, 1, 1, 0, 0]
    x_stats = x.cli("assist", "stats").output
    assert _stat(x_stats, "2026-09", TOWN_A)[0] == 1  # the county counts its township's request
    # and the county summary carries the same figures on a sheet of its own
    from openpyxl import load_workbook

    x.cli("reconcile", "summary", "--out", str(tmp_path / "县汇总.xlsx"))
    sheet = load_workbook(tmp_path / "县汇总.xlsx")["协查统计"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0][:3] == ["月份", "单位", "发出"] and ["2026-09", "新安镇（130123103）", 1] in [r[:3] for r in rows]


def _stat(text: str, month: str, office: str = "") -> list[int]:
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] == month and (not office or office in parts[1]):
            return [int(p) for p in parts[2:]]
    raise AssertionError(f"no {month} {office} in {text}")


def test_answered_on_the_due_date_is_on_time_and_the_day_after_late(township_db, monkeypatch):
    days = {"now": D(2026, 9, 18)}
    monkeypatch.setattr(assist, "today", lambda: days["now"])
    for n, when in enumerate((D(2026, 10, 15), D(2026, 10, 16))):
        days["now"] = D(2026, 9, 18)
        uid = f"00000000-0000-4000-8000-00000000000{n}"
        body = _request(uid=uid, request_no=f"130125103-2026-000{n}")
        assist.receive([assist.check_message(body, "130123", "county")], sender="130123")
        days["now"] = when
        assist.reply(uid, "一致")
    rows = assist.stats()
    assert [(r.month, r.received, r.answered, r.on_time, r.late) for r in rows] == [
        ("2026-09", 2, 0, 0, 0),
        ("2026-10", 0, 2, 1, 1),
    ]


def test_a_townships_bundle_may_carry_only_its_own_messages(township_db):
    body = dict(
        type="reply",
        uid="00000000-0000-4000-8000-000000000001",
        request_uid="00000000-0000-4000-8000-000000000002",
        request_no="x",
        origin="130123104",
        to="130125103",
        outcome="consistent",
        corrections={},
        note="",
    )
    with pytest.raises(assist.MessageError, match="130123104"):
        assist.check_message(body, "130123103", "township")
    with pytest.raises(assist.MessageError):
        assist.check_message(dict(body, outcome="maybe"), "130123104", "township")
    with pytest.raises(assist.MessageError):
        assist.check_message(["not", "a", "message"], "130123104", "township")


def test_refusals_say_what_to_fix(township_db):
    save_household(reference_input(), confirmed_ids=frozenset(m.id_number for m in reference_input().members))
    mother = Person.get(Person.name == "王秀英")
    for kwargs, words in (
        (dict(to_county="999999"), "县级代码"),
        (dict(to_county="130125", to_township="130123103"), "不是 130125 县的乡镇"),
        (dict(to_county="130123"), "本县的协查要写明乡镇代码"),
        (dict(to_county="130125", items=["nonsense"]), "协查事项"),
        (dict(to_county="130125", kind="nonsense"), "协查类别"),
        (dict(to_county="130125", priority="7"), "紧急程度"),
    ):
        with pytest.raises(assist.AssistError, match=words):
            assist.from_person(mother.uid, **kwargs)
    req = assist.from_person(mother.uid, to_county="130125")
    assert req.to_county == "130125" and json.loads(req.subject)["name"] == "王秀英"
    by_child = assist.from_birth("130123201703060027", to_county="130125")  # the child's ID names the birth
    assert json.loads(by_child.subject)["child_name"] == "李梓涵" and by_child.birth_uid == Birth.get().uid
    with pytest.raises(assist.AssistError, match="不是本单位收到的"):
        assist.reply(req.request_no, "一致")
    with pytest.raises(assist.AssistError, match="还没有收到回复"):
        assist.verify(req.request_no)
    with pytest.raises(assist.AssistError, match="没有协查"):
        assist.find("nothing-like-it")
    with pytest.raises(assist.AssistError, match="出生日期"):
        assist.check_corrections({"birth_date": "20171345"})
    with pytest.raises(assist.AssistError, match="不能更正"):
        assist.check_corrections({"household": "x"})


# ------------------------------------------------------------------------------------- migrants
def _xls(path: Path, title: str | None, header: list[str], rows: list[list]) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="gbk")
    sheet = book.add_sheet("Sheet1")
    r = 0
    if title:
        sheet.write(0, 0, title)
        r = 1
    for c, h in enumerate(header):
        sheet.write(r, c, h)
    for i, row in enumerate(rows, start=r + 1):
        for c, v in enumerate(row):
            sheet.write(i, c, v)
    book.save(str(path))
    return path


def test_a_gpl_export_becomes_migration_episodes_and_the_rest_is_listed(township_db, tmp_path):
    from storage import migrants
    from storage.models import Migration
    from storage.reflists import import_list

    form = reference_input()
    save_household(form, confirmed_ids=frozenset(m.id_number for m in form.members))
    wife, husband = Person.get(Person.name == "王秀英"), Person.get(Person.name == "李建国")
    header = ["序号", "姓名", "性别", "出生日期", "公民身份号码", "户籍地代码", "户籍地详址", "流入时间", "流动原因"]
    header.append("人员编号")
    inflow = _xls(
        tmp_path / "流入人口.xls",
        "新安镇流入人口花名册",
        header,
        [
            [1, "王秀英", "女", "1987-07-22", wife.id_number, "130125103200", "行唐县口头镇", "2019.3.5", "务工"]
            + ["G001"],
            [2, "王秀英", "女", "1987-07-22", "", "130125103200", "行唐县口头镇", "2019-03-05", "随迁家属", "G001"],
            [3, "赵无名", "女", "1990-01-01", "130125199001010021", "130125103200", "", "2020-01-01", "", "G003"],
        ],
    )
    report = import_list(inflow, "gpl")
    assert report.rows_loaded == 3
    result = migrants.apply_gpl()  # no 流动类型 column: its date column says 流入时间
    assert (result.rows, result.created, result.updated) == (3, 1, 1)  # row 2 is row 1 again (人员编号 G001)
    assert [u[1] for u in result.unmatched] == ["赵无名"] and "没有这个人" in result.unmatched[0][3]
    g = Migration.get()
    assert (g.person_id, g.direction, g.move_date, g.hukou_place_code, g.gpl_record_id) == (
        wife.id,
        "1",
        "2019-03-05",
        "130125103200",
        "G001",
    )
    assert g.reason == "002"  # the second row's 随迁家属 (census wording) → 随同流动
    assert "--batch 99" in str(pytest.raises(migrants.MigrantError, migrants.apply_gpl, 99).value)
    assert migrants.count(direction="1", other_county="130125") == 1 and migrants.count(other_county="410521") == 0
    # an outflow export with its direction column; one without an address is listed, not loaded
    out = _xls(
        tmp_path / "流出人口.xls",
        None,
        ["姓名", "身份证号", "流动类型", "流出时间", "现居住地详址", "流出地代码"],
        [
            ["李建国", husband.id_number, "流出", "2025年5月", "北京市朝阳区某街1号", "110105"],
            ["李浩然", "130123201205090012", "流出", "2025-06-01", "不详", ""],
            ["李梓涵", "130123201703060027", "流向不明", "2025-06-01", "北京", ""],
        ],
    )
    import_list(out, "gpl", replace=True)  # the list in use is replaced; the episodes placed stay
    result = migrants.apply_gpl()
    assert result.created == 1 and "没有现居住地址" in result.unmatched[0][3]  # 不详 is no address
    assert "流动类型「流向不明」认不出" in result.unmatched[1][3]
    rows = migrants.page(direction="2")
    assert [(r.name, r.since, r.status) for r in rows] == [("李建国", "2025-05", "在外")] and "北京" in rows[0].place
    assert {(m.month, m.inflow, m.outflow) for m in migrants.monthly()} == {("2019-03", 1, 0), ("2025-05", 0, 1)}


def test_the_county_asks_the_township_that_registered_a_duplicate(offices, monkeypatch):
    """A pair the county cannot merge (both records are a township's) becomes a request to that
    township, in a county-request bundle it imports into its inbox."""
    from export.bundle import export_bundle, import_bundle
    from storage.models import Person as P

    monkeypatch.setattr(assist, "today", lambda: D(2026, 9, 18))
    offices.use_township()
    save_household(reference_input(), confirmed_ids=frozenset(m.id_number for m in reference_input().members))
    first = export_bundle(offices.township_keys, offices.tmp / "up")
    offices.use_county()
    import_bundle(first.path, offices.county_keys)
    a, b = (p.uid for p in P.select().where(P.name.in_(("李浩然", "李梓涵"))).order_by(P.name))
    req = assist.from_duplicate(a, b)
    assert (req.role, req.to_county, req.to_township, req.source) == ("sent", "130123", "130123103", "duplicate")
    assert "同一人" in req.question
    down = export_bundle(offices.county_keys, offices.tmp / "down", to="130123103")
    assert down.counts["assist"] == 1 and "-130123-130123103-" in down.path.name
    offices.use_township()
    got = import_bundle(down.path, offices.township_keys)
    assert got.assist == {"requests": 1, "replies": 0, "routed": 0, "unrouted": 0}
    (row,) = assist.inbox()
    assert row.request_no == req.request_no and row.due == "2026-10-15"
    with pytest.raises(assist.AssistError, match="都是本单位登记的"):
        assist.from_duplicate(a, b)  # at the township both are its own: the review decides


def _request(**over):
    body = dict(
        type="request",
        uid="00000000-0000-4000-8000-000000000001",
        request_no="130125103-2026-0001",
        origin="130125103",
        to_county="130123",
        to_township="130123103",
        window_days=15,
        window_working=True,
        priority="3",
        items=["exists"],
        subject={"name": "张三"},
        question="",
    )
    body.update(over)
    return body


def test_hostile_messages_are_refused_whole_and_text_never_drives_a_terminal(township_db, monkeypatch):
    """A bad-input helper's findings: deep fields of a message were stored as they came (a dict as a
    name, a window of 10**30 days, escape sequences shown on another office's terminal)."""
    monkeypatch.setattr(assist, "today", lambda: D(2026, 9, 18))
    for over, words in (
        (dict(subject={"name": {"a": 1}}), "协查对象"),
        (dict(items=[{"a": 1}]), "所问事项"),
        (dict(items=["exists"] * 50), "所问事项"),
        (dict(window_days=10**30), "期限"),
        (dict(window_days=0), "期限"),
        (dict(window_days=True), "window_days"),
        (dict(priority="x"), "紧急程度"),
        (dict(question="\x1b[2J\x1b]0;pwned\x07"), "控制字符"),
        (dict(question="问" * 501), "太长"),
        (dict(uid="0" * 36), "uid"),
        (dict(to_township="130125103"), "对方乡镇"),
        (dict(origin="abc"), "发起单位"),
    ):
        with pytest.raises(assist.MessageError, match=words):
            assist.check_message(_request(**over), "130123", "county")
    reply = dict(
        type="reply",
        uid="00000000-0000-4000-8000-000000000009",
        request_uid="00000000-0000-4000-8000-000000000001",
        request_no="x",
        origin="130125103",
        to="130123103",
        outcome="inconsistent",
        corrections={"evil": "x"},
        note="",
    )
    with pytest.raises(assist.MessageError, match="更正项"):
        assist.check_message(reply, "130123", "county")
    # a reply to nothing this office asked is kept out, not counted as received
    ok = dict(reply, corrections={"birth_date": "20170308"})
    got = assist.receive([assist.check_message(ok, "130123", "county")], sender="130123")
    assert got["replies"] == 0 and got["ignored"] == 1 and AssistRequest.select().count() == 0
    # a name written with markup and escapes reaches the screen as text
    odd = _request(subject={"name": "张[/]梅[b]"}, question="请[/bold]核实")
    assist.receive([assist.check_message(odd, "130123", "county")], sender="130123")
    lines = assist.describe(AssistRequest.get())
    assert any("张[/]梅[b]" in line for line in lines) and not any("\x1b" in line for line in lines)
    assert assist.check_corrections({"birth_order": "²"}) == {"birth_order": "2"}  # NFKC, not a crash
    with pytest.raises(assist.AssistError, match="孩次"):
        assist.check_corrections({"birth_order": "٣"})
    with pytest.raises(assist.AssistError, match="写到日"):
        assist.check_corrections({"birth_date": "201703"})
    with pytest.raises(assist.AssistError, match="晚于今天"):
        assist.check_corrections({"birth_date": "20990101"})
    with pytest.raises(assist.AssistError, match="控制字符"):
        assist.reply("0001", "一致", note="ok\x1b]0;owned\x07")
    with pytest.raises(assist.AssistError, match="太长"):
        assist.reply("0001", "一致", note="长" * 501)


async def test_markup_in_what_another_office_wrote_does_not_end_the_tui(township_db, monkeypatch):
    monkeypatch.setattr(assist, "today", lambda: D(2026, 9, 18))
    odd = _request(subject={"name": "张[/]梅"}, question="请[/bold]核实")
    assist.receive([assist.check_message(odd, "130123", "county")], sender="130123")
    close_db()
    from textual.widgets import Static

    from tui.app import make_app
    from tui.screens.assist import AssistDetailScreen, AssistScreen
    from tui.widgets.fields import MarkedTable

    app = make_app(township_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        for _ in range(300):
            if isinstance(app.screen, AssistScreen) and app.screen.query_one(MarkedTable).row_count == 1:
                break
            await pilot.pause(0.01)
        assert "张[/]梅" in str(app.screen.query_one(MarkedTable).get_row_at(0)[1])
        await pilot.press("enter")
        for _ in range(300):
            if isinstance(app.screen, AssistDetailScreen) and "请[/bold]核实" in str(
                app.screen.query_one("#assist-text", Static).render()
            ):
                break
            await pilot.pause(0.01)
        assert "请[/bold]核实" in str(app.screen.query_one("#assist-text", Static).render())


def test_the_countys_holiday_notice_goes_down_and_makes_due_dates_exact(offices, monkeypatch, tmp_path):
    """Issue 18 (item 5, the county's calendar override file): the county loads the notice once;
    its next bundle to each township carries it; a township's 暂定 due dates become exact."""
    from export.bundle import export_bundle, import_bundle

    monkeypatch.setattr(assist, "today", lambda: D(2026, 12, 20))
    offices.use_township()
    assist.receive([assist.check_message(_request(), "130123", "county")], sender="130123")
    assert assist.inbox()[0].provisional
    offices.use_county()
    notice = tmp_path / "2027.txt"
    notice.write_text(
        "".join(f"2027-01-0{d} 休 元旦\n" for d in (1, 2, 3))
        + "2027-01-09 班\n"
        + "".join(f"2027-02-{d:02d} 休 春节\n" for d in range(6, 14))
        + "2027-02-14 班\n",
        encoding="utf-8",
    )
    close_db()
    res = CliRunner().invoke(cli, ["calendar", "load", str(notice), "--db", str(offices.county_db)])
    assert res.exit_code == 0 and "下发给 1 个" in res.output, res.output
    offices.use_county()
    down = export_bundle(offices.county_keys, tmp_path / "down", to="130123103")
    assert down.counts["assist"] == 1
    offices.use_township()
    got = import_bundle(down.path, offices.township_keys)
    assert got.assist["calendar"] == 13 and "放假安排" in got.message
    (row,) = assist.inbox()
    assert (row.due, row.provisional) == ("2027-01-09", False)
    forged = dict(type="calendar", uid="00000000-0000-4000-8000-000000000005", origin="130123103", days=[])
    with pytest.raises(assist.MessageError, match="不是县里发的"):
        assist.check_message(forged, "130123103", "township")
    # a bad-input helper's findings: a day twice, an ISO-week date, another county's notice, a village with ESC
    twice = dict(forged, origin="130123", days=[["2027-03-01", False, ""], ["2027-03-01", True, ""]])
    with pytest.raises(assist.MessageError, match="写了两次"):
        assist.check_message(twice, "130123", "county")
    with pytest.raises(assist.MessageError, match="不对的一天"):
        assist.check_message(dict(twice, days=[["2027-W01-1", False, ""]]), "130123", "county")
    other = dict(forged, origin="130125", days=[["2027-01-09", False, "他县"]])
    assert "calendar" not in assist.receive([assist.check_message(other, "130125", "county")], sender="130125")
    assert workdays.Calendar().is_working_day(D(2027, 1, 9))  # its own county's notice still holds
    annual = dict(
        type="annual",
        uid="00000000-0000-4000-8000-000000000006",
        origin="130123103",
        village_code="130123103\x1b[J",
        year=2017,
        reported=1,
        corrected=0,
    )
    with pytest.raises(assist.MessageError, match="12位数字"):
        assist.check_message(annual, "130123103", "township")
