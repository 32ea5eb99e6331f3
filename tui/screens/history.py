"""A household's history: every audited change of it and its records, newest first (issue 14)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Static

from storage.audit import history

from ..keys import bindings
from ..widgets.fields import MarkedTable
from ..widgets.keyline import KeyLine


class HistoryScreen(Screen):
    """Who changed what in household ``household_uid`` (``code`` shown in the title), and why."""

    BINDINGS = bindings("plain")

    def __init__(self, household_uid: str, code: str) -> None:
        super().__init__()
        self.household_uid, self.code = household_uid, code

    def compose(self) -> ComposeResult:
        yield Static(f"户 {self.code} 的修改记录（新的在前；Esc 返回）", classes="title")
        yield MarkedTable(id="history", cursor_type="row")
        yield Static("", id="history-state")
        yield KeyLine()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in (("时间", 16), ("录入员", 8), ("项目", 16), ("原值", 10), ("新值", 10), ("原因", 16)):
            table.add_column(label, width=width)
        changes = history(self.household_uid)
        for c in changes:
            table.add_row(c.at, c.operator, c.what, c.old, c.new, c.reason)
        self.query_one("#history-state", Static).update(f"共 {len(changes)} 处改动" if changes else "没有修改记录")

    def action_back(self) -> None:
        self.app.pop_screen()
