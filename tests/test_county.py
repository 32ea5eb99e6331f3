"""The county's progress per township (issue 18, item 2): gaps by sequence and by calendar, bundles
held, counts, through real bundles; the screen at 80x24 with a county of 39 townships."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner
from textual.widgets import Static

from export.bundle import export_bundle, import_bundle
from main import cli
from storage import county
from storage.dates import iso_week
from storage.db import close_db, open_db
from storage.households import save_household
from storage.office import init_office

from .conftest import TOWNSHIP, reference_input


def test_progress_reports_weeks_missing_by_calendar_and_bundles_held(offices, monkeypatch):
    import export.bundle

    monkeypatch.setattr(export.bundle, "_now", lambda: dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.timezone.utc))
    offices.use_township()
    save_household(reference_input(), confirmed_ids=frozenset(m.id_number for m in reference_input().members))
    first = export_bundle(offices.township_keys, offices.tmp / "out")
    second = export_bundle(offices.township_keys, offices.tmp / "out")
    third = export_bundle(offices.township_keys, offices.tmp / "out")
    offices.use_county()
    import_bundle(first.path, offices.county_keys)
    today = dt.date(2026, 11, 25)  # the week the bundles were written in (2026-W48)
    (row,) = [r for r in county.progress(today) if r.code == TOWNSHIP]
    assert (row.last_sequence, row.last_week, row.weeks_missing, row.held) == (1, iso_week(today), 0, 0)
    assert (row.households, row.persons, row.births) == (1, 4, 1) and row.calls_for == []
    assert import_bundle(third.path, offices.county_keys).status == "held"  # no 2 yet
    later = today + dt.timedelta(days=21)
    rows = county.progress(later)
    top = rows[0]
    assert top.code == TOWNSHIP and (top.weeks_missing, top.held, top.held_numbers) == (2, 1, "3")
    assert top.calls_for == ["缺2周", "暂存1个（缺号）"]
    assert all(r.calls_for == ["未登记公钥"] for r in rows[1:])  # the county's other townships
    import_bundle(second.path, offices.county_keys)  # the missing one: the held one follows
    (row,) = [r for r in county.progress(today) if r.code == TOWNSHIP]
    assert (row.last_sequence, row.held) == (3, 0)
    close_db()
    res = CliRunner().invoke(cli, ["county", "--db", str(offices.county_db)])
    assert res.exit_code == 0 and "新安镇" in res.output and "未登记公钥" in res.output, res.output
    res = CliRunner().invoke(cli, ["county", "--db", str(offices.township_db)])
    assert res.exit_code == 1 and "县级数据库" in res.output


async def test_the_progress_screen_of_a_county_of_39_townships_at_80x24(tmp_path):
    from tui.app import make_app
    from tui.screens.county import CountyScreen
    from tui.widgets.fields import MarkedTable

    db = tmp_path / "county.sqlite"
    init_office(db, "130828")  # 围场满族蒙古族自治县: 39 townships in the NBS 2023 table
    close_db()
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        for _ in range(400):
            if isinstance(app.screen, CountyScreen) and app.screen.query_one(MarkedTable).row_count == 39:
                break
            await pilot.pause(0.01)
        screen = app.screen
        assert isinstance(screen, CountyScreen) and screen.query_one(MarkedTable).row_count == 39
        assert "共 39 个乡镇，39 个要问" in str(screen.query_one("#county-state", Static).render())
        assert screen.query_one("#county-state").region.bottom <= 23  # the count is on the screen
        assert "未登记公钥" in str(screen.query_one(MarkedTable).get_row_at(0)[-1])
        await pilot.press("escape")
        for _ in range(100):
            if not isinstance(app.screen, CountyScreen):
                break
            await pilot.pause(0.01)
        assert not isinstance(app.screen, CountyScreen)
    open_db(db)
    close_db()
