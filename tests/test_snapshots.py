"""Three snapshot tests of the main screens at 80x24 (issue 13): the menu, an empty household form
and the help, compared as SVG with pytest-textual-snapshot (`--snapshot-update` after a change
that is meant; look at the report first). The operator's name is fixed and every worker has
finished before the picture is taken, so nothing in it depends on the machine or on timing."""

import pytest

from storage.db import close_db
from tui.app import make_app

SIZE = (80, 24)


@pytest.fixture
def app(township_db, monkeypatch):
    close_db()
    monkeypatch.setenv("HECHA_OPERATOR", "clerk")
    return make_app(township_db)


async def _settled(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_menu(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, run_before=_settled)


def test_empty_household_form(app, snap_compare):
    async def open_form(pilot):
        await pilot.press("f2")
        await _settled(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_form)


def test_help(app, snap_compare):
    async def open_help(pilot):
        await pilot.press("f1")
        await _settled(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_help)
