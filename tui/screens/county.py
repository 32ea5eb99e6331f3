"""县级进度 (issue 18 item 2): the county's townships, the one that needs a phone call on top
(:func:`storage.county.progress`, counted in SQL); the reasons said in words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from ..keys import bindings
from ..widgets.fields import MarkedTable
from ..widgets.keyline import KeyLine
from ..workers import core_work

if TYPE_CHECKING:
    from ..base import HechaBase

COLUMNS = (("乡镇", 10), ("周", 7), ("缺周", 4), ("暂存", 4), ("人", 7), ("重复", 4), ("逾期", 4), ("要问的", 22))


class CountyScreen(Screen):
    """Every township of the county, most urgent first; Esc back."""

    BINDINGS = bindings("plain")
    if TYPE_CHECKING:
        app: HechaBase

    @dataclass
    class Read(Message):
        rows: list

    def compose(self) -> ComposeResult:
        yield Static("县级进度：各乡镇的数据包和待办，最要打电话问的在前", classes="title")
        table = MarkedTable(id="county-list", cursor_type="row")
        table.can_focus = False
        yield table
        yield Static("正在统计各乡镇...", id="county-state")
        yield KeyLine()

    def on_mount(self) -> None:
        self.ready_for_keys = False
        if self.app.office.level != "county":
            self.query_one("#county-state", Static).update("县级进度只在县级数据库。")
            return
        self.read()

    @core_work("county")
    def read(self) -> None:
        from storage import assist, county

        self.post_message(self.Read(county.progress(assist.today())))

    def on_county_screen_read(self, event: Read) -> None:
        table = self.query_one(MarkedTable)
        table.clear(columns=True)
        for label, width in COLUMNS:
            table.add_column(label, width=width)
        for r in event.rows:
            table.add_row(  # Text: names and weeks are shown, never read as markup
                Text(r.name),
                Text(r.last_week[2:] if r.last_week else "—"),
                r.weeks_missing,
                r.held,
                r.persons,
                r.duplicates,
                r.overdue,
                Text("、".join(r.calls_for) or "正常"),
            )
        behind = sum(1 for r in event.rows if r.calls_for)
        self.query_one("#county-state", Static).update(f"共 {len(event.rows)} 个乡镇，{behind} 个要问（缺周按日历）")
        table.can_focus = True
        table.focus()
        self.ready_for_keys = True

    def action_back(self) -> None:
        self.app.pop_screen()

    def core_failed(self, message: str) -> None:
        self.query_one("#county-state", Static).update(f"错误：{message}")
