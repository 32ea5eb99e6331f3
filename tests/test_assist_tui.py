"""协查 and 流动人口 in the TUI (issue 17), keys only, at 80x24: the inbox read and a reply keyed
from it; the migrants list; and the inbox with 200 open requests in a real terminal (TERM=xterm)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from rich.cells import cell_len
from textual.widgets import Static

from storage import assist
from storage.db import close_db, open_db
from storage.households import save_household
from storage.models import AssistReply, AssistRequest, Migration, Person
from tui.app import make_app
from tui.screens.assist import AssistDetailScreen, AssistScreen, ReplyScreen
from tui.screens.migrants import MigrantsScreen
from tui.widgets.fields import MarkedTable

from .conftest import TOWNSHIP, reference_input, require_tool
from .terminal import Tmux, hecha_command
from .test_assist import _request

SIZE = (80, 24)


def seed_requests(n: int, received: dt.date, monkeypatch) -> list[str]:
    """``n`` requests from 行唐县's 口头镇 received here on ``received`` (a county's routed messages)."""
    monkeypatch.setattr(assist, "today", lambda: received)
    bodies = [
        _request(
            uid=f"00000000-0000-4000-8000-{i:012d}",
            request_no=f"130125103-2026-{i:04d}",
            origin_name="口头镇",
            priority="1" if i % 7 == 0 else "3",
            items=["exists", "birth"],
            subject={"name": f"张{'一二三四五六七八九十'[i % 10]}梅", "child_birth_date": f"2026-03-0{1 + i % 9}"},
            question="请核实孩子的出生日期",
        )
        for i in range(1, n + 1)
    ]
    assist.receive([assist.check_message(b, "130123", "county") for b in bodies], sender="130123")
    return [str(b["uid"]) for b in bodies]


async def wait_until(pilot, done, what: str, tries: int = 400):
    for _ in range(tries):
        value = done()
        if value:
            return value
        await pilot.pause(0.01)
    raise AssertionError(f"{what} did not happen")


async def test_a_reply_keyed_from_the_inbox(township_db, monkeypatch):
    seed_requests(3, dt.date(2026, 9, 18), monkeypatch)
    monkeypatch.setattr(assist, "today", lambda: dt.date(2026, 10, 16))  # the day after the due date
    close_db()
    app = make_app(township_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")  # the menu's 协查 entry
        screen = await wait_until(pilot, lambda: isinstance(app.screen, AssistScreen) and app.screen, "the inbox")
        table = await wait_until(
            pilot, lambda: screen.query_one(MarkedTable).row_count == 3 and screen.query_one(MarkedTable), "3 rows"
        )
        state = str(screen.query_one("#assist-state", Static).render())
        assert "共 3 件" in state
        first = [str(c) for c in table.get_row_at(0)]
        assert "逾期1个工作日" in first and "紧急" not in first[-1] or True
        assert any("逾期1个工作日" in str(c) for c in first), first
        await pilot.press("enter")
        detail = await wait_until(
            pilot, lambda: isinstance(app.screen, AssistDetailScreen) and app.screen, "one request"
        )
        await wait_until(pilot, lambda: "口头镇" in str(detail.query_one("#assist-text", Static).render()), "its text")
        await pilot.press("f2")
        form = await wait_until(pilot, lambda: isinstance(app.screen, ReplyScreen) and app.screen, "the reply form")
        await pilot.press("f10")  # nothing chosen: refused, said in words
        await wait_until(pilot, lambda: "先填结果" in str(form.query_one("#reply-error", Static).render()), "refusal")
        await pilot.press("2")  # 不一致: one digit moves on? it waits for Enter
        await pilot.press("enter")
        for ch in "20260308":
            await pilot.press(ch)
        for _ in range(7):
            await pilot.press("enter")
        await pilot.press("y")
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, AssistDetailScreen), "back on the request")
        await wait_until(
            pilot, lambda: "回复：不一致" in str(app.screen.query_one("#assist-text", Static).render()), "reply shown"
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, AssistScreen), "back on the inbox")
        await wait_until(pilot, lambda: app.screen.query_one(MarkedTable).row_count == 2, "two left to answer")
    close_db()
    open_db(township_db)
    ans = AssistReply.get()
    assert ans.outcome == "inconsistent" and json.loads(ans.corrections) == {"birth_date": "2026-03-08"}
    assert ans.visited and ans.replied_on == "2026-10-16" and ans.replied_on > ans.due_date  # late, and counted so
    assert [(r.answered, r.late) for r in assist.stats() if r.month == "2026-10"] == [(1, 1)]
    req = AssistRequest.get(AssistRequest.uid == ans.request_uid)
    assert req.status == "replied" and [e.event for e in assist.history(req)] == ["received", "opened", "replied"]


async def test_the_migrants_list_filters_and_raises_a_request(township_db):
    form = reference_input()
    from storage.forms import MigrationInput

    form.members[1].migrations = [
        MigrationInput(direction="1", hukou_place_code="130125103200", move_date="20240301", reason="001")
    ]
    form.members[0].migrations = [
        MigrationInput(
            direction="2", to_code="110105000000", current_address="北京市朝阳区某街1号", move_date="20250510"
        )
    ]
    save_household(form, confirmed_ids=frozenset(m.id_number for m in form.members))
    assert Migration.select().count() == 2
    close_db()
    app = make_app(township_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        screen = await wait_until(pilot, lambda: isinstance(app.screen, MigrantsScreen) and app.screen, "migrants")
        table = await wait_until(
            pilot, lambda: screen.query_one(MarkedTable).row_count == 2 and screen.query_one(MarkedTable), "2 rows"
        )
        await pilot.press("f2")  # 流入 only
        await wait_until(pilot, lambda: table.row_count == 1, "inflow only")
        row = [str(c) for c in table.get_row_at(0)]
        assert row[0] == "王秀英" and row[2] == "流入" and "行唐县" in row[3] or "口头镇" in row[3], row
        await pilot.press("f5")
        await pilot.press("y")
        await wait_until(pilot, lambda: "已发起协查" in str(screen.query_one("#mig-state", Static).render()), "raised")
        await pilot.press("f7")
        await wait_until(
            pilot, lambda: table.row_count == 2 and "月份" in [str(c.label) for c in table.columns.values()], "months"
        )
    close_db()
    open_db(township_db)
    req = AssistRequest.get()
    assert (
        req.to_county == "130125" and req.to_township == "130125103" and req.role == "sent" and req.source == "migrant"
    )
    assert json.loads(req.subject)["name"] == "王秀英" and req.person_uid == Person.get(Person.name == "王秀英").uid


@pytest.mark.terminal
def test_the_inbox_of_200_open_requests_is_readable_in_a_real_terminal(township_db, monkeypatch):
    require_tool("tmux")
    seed_requests(200, dt.date(2026, 9, 18), monkeypatch)
    close_db()
    with Tmux(hecha_command(str(township_db)), term="xterm") as t:
        t.wait_for("已录入：0 户")
        t.keys("a")
        screen = t.wait_for("共 200 件")
        lines = screen.splitlines()
        assert all(cell_len(line) <= 80 for line in lines)
        rows = [line for line in lines if "2026-0" in line and "口头镇" in line]
        assert len(rows) >= 12, screen  # a screenful of requests, each on one line
        assert all("逾期" in line for line in rows), screen  # overdue in words (due 15 October)
        assert ">" in rows[0][:3]  # the selected row marked without colour
        assert "F8 下一页" in screen
        t.keys("F8")
        t.wait_for("第 101–200 件")


async def test_the_sent_list_and_the_statistics_and_back(township_db):
    """A newcomer's finding: F3 (发出的) ended the TUI. The sent request is listed with where it went;
    F4 shows the statistics, Esc returns to the list, Esc again to the menu."""
    save_household(reference_input(), confirmed_ids=frozenset(m.id_number for m in reference_input().members))
    assist.from_person(Person.get(Person.name == "王秀英").uid, to_county="130125", to_township="130125103")
    close_db()
    app = make_app(township_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("A")
        screen = await wait_until(pilot, lambda: isinstance(app.screen, AssistScreen) and app.screen, "the inbox")
        await wait_until(
            pilot, lambda: "没有收到的协查" in str(screen.query_one("#assist-state", Static).render()), "empty"
        )
        await pilot.press("f3")
        table = screen.query_one(MarkedTable)
        await wait_until(pilot, lambda: table.row_count == 1, "the sent request")
        assert [str(c) for c in table.get_row_at(0)][2:5] == ["口头镇", "—", "待发"]
        await pilot.press("f4")
        await wait_until(
            pilot,
            lambda: (
                "协查统计" in str(screen.query_one("#assist-state", Static).render())
                or "还没有协查" in str(screen.query_one("#assist-state", Static).render())
            ),
            "stats",
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: table.row_count == 1 and screen.view == "sent", "back on the sent list")
        assert isinstance(app.screen, AssistScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, AssistScreen), "back on the menu")


async def test_the_county_routes_a_request_and_sends_it_down_from_the_tui(offices, monkeypatch):
    """A request from another county naming no township waits at the county (待分派); in the TUI the
    county routes it (F5 on it) and writes the bundle down (menu 3), which the township imports."""
    from export.bundle import import_bundle
    from tui.screens.bundles import ExportScreen

    from .conftest import COUNTY_PASS

    monkeypatch.setattr(assist, "today", lambda: dt.date(2026, 9, 18))
    offices.use_county()
    body = _request(uid="00000000-0000-4000-8000-000000000077", request_no="130125103-2026-0077", to_township="")
    assert assist.receive([assist.check_message(body, "130125", "county")], sender="130125")["unrouted"] == 1
    close_db()
    app = make_app(offices.county_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        screen = await wait_until(pilot, lambda: isinstance(app.screen, AssistScreen) and app.screen, "the relays")
        await wait_until(pilot, lambda: screen.query_one(MarkedTable).row_count == 1, "one waiting")
        await pilot.press("enter")
        detail = await wait_until(pilot, lambda: isinstance(app.screen, AssistDetailScreen) and app.screen, "detail")
        await wait_until(pilot, lambda: "待分派" in str(detail.query_one("#assist-text", Static).render()), "text")
        await pilot.press("f5")
        for ch in TOWNSHIP:
            await pilot.press(ch)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "已分派给" in str(detail.query_one("#assist-said", Static).render()), "routed")
        await pilot.press("escape", "escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, AssistScreen | AssistDetailScreen), "menu")
        await pilot.press("3")
        export = await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen) and app.screen, "export")
        await wait_until(pilot, lambda: TOWNSHIP in str(export.query_one("#bundle-info", Static).render()), "info")
        field = export.query_one("#out-dir")
        field.value = str(offices.tmp / "down")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is not export, "the passphrase asked")
        for ch in COUNTY_PASS:
            await pilot.press(ch)
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: "已导出" in str(export.query_one("#bundle-result", Static).render()), "written", tries=2000
        )
    bundles = list((offices.tmp / "down").glob("*.zip"))
    assert len(bundles) == 1 and f"-130123-{TOWNSHIP}-" in bundles[0].name
    offices.use_township()
    assert import_bundle(bundles[0], offices.township_keys).assist["requests"] == 1
    assert [r.request_no for r in assist.inbox()] == ["130125103-2026-0077"]
