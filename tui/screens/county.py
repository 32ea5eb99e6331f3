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
from ..workers import core_work, write_then
from .dialogs import ConfirmScreen

if TYPE_CHECKING:
    from ..base import HechaBase

COLUMNS = (
    ("乡镇", 10),
    ("周", 7),
    ("缺周", 4),
    ("暂存", 4),
    ("人", 7),
    ("重复", 4),
    ("疑点", 5),
    ("逾期", 4),
    ("要问的", 20),
)


class CountyScreen(Screen):
    """Every township of the county, most urgent first; F3 the merge conflicts; Esc back."""

    BINDINGS = bindings("county")
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

    @dataclass
    class PlatformRead(Message):
        rows: list
        info: dict

    def on_mount(self) -> None:
        self.ready_for_keys = False
        if self.app.office.level == "province":  # the platform (issue 21): its statistics per county and month
            self.query_one(".title", Static).update("省级平台：各县各月的上报出生、协查、反馈、核实")
            self.read_platform()
            return
        if self.app.office.level != "county":
            self.query_one("#county-state", Static).update("县级进度只在县级数据库。")
            return
        self.read()

    @core_work("platform")
    def read_platform(self) -> None:
        from storage.province import platform

        self.post_message(self.PlatformRead(platform.stats_rows(), platform.summary()))

    def on_county_screen_platform_read(self, event: PlatformRead) -> None:
        from storage.province.platform import STAT_HEADER

        table = self.query_one(MarkedTable)
        table.clear(columns=True)
        for label, width in zip(STAT_HEADER, (7, 10, 6, 8, 8, 6, 6), strict=True):
            table.add_column(label, width=width)
        for row in event.rows:
            table.add_row(*(Text(str(v)) for v in row))
        info = event.info
        births, persons = info["pairs"]["birth"], info["pairs"]["person"]
        self.query_one("#county-state", Static).update(
            f"已上报 {len(info['counties'])} 个县；跨县成对 出生 {births} 人员 {persons}，已发协查 {info['asked']} 对"
        )
        table.can_focus = True
        table.focus()
        self.ready_for_keys = True

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
                r.findings_open,
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

    def action_conflicts(self) -> None:
        if self.app.office.level == "county":
            self.app.push_screen(ConflictsScreen(), lambda _: self.read())

    def core_failed(self, message: str) -> None:
        self.query_one("#county-state", Static).update(f"错误：{message}")


class ConflictsScreen(Screen):
    """Merge conflicts still open (issue 18, item 3): the list on top, the highlighted one's differing
    fields side by side below; F2 keep this database's row, F3 take the bundle's (asked Y/N first;
    the decision goes to the township in the county's next bundle); Esc back."""

    BINDINGS = bindings("conflicts")
    if TYPE_CHECKING:
        app: HechaBase

    @dataclass
    class Read(Message):
        rows: list

    @dataclass
    class Sides(Message):
        conflict_id: int
        lines: list
        held: bool

    def compose(self) -> ComposeResult:
        yield Static("合并冲突：本库的和数据包里的并排，F2 保留本库的 F3 采用数据包的", classes="title")
        table = MarkedTable(id="conflict-list", cursor_type="row")
        table.can_focus = False
        yield table
        yield MarkedTable(id="conflict-sides", cursor_type="none")
        yield Static("正在读出冲突...", id="conflict-state")
        yield KeyLine()

    def on_mount(self) -> None:
        self.rows: list = []
        self.note = ""
        self.ready_for_keys = False
        self.read()

    @core_work("conflicts")
    def read(self) -> None:
        from storage.decisions import open_conflicts

        self.post_message(self.Read(open_conflicts(200)))

    def on_conflicts_screen_read(self, event: Read) -> None:
        table = self.query_one("#conflict-list", MarkedTable)
        table.clear(columns=True)
        for label, width in (("编号", 5), ("乡镇", 10), ("表", 6), ("记录", 10), ("原因", 40)):
            table.add_column(label, width=width)
        self.rows = event.rows
        for c in event.rows:
            table.add_row(c.id, Text(c.town), Text(c.table), Text(c.name or c.uid[:8]), Text(c.reason))
        state = f"待处理的冲突 {len(self.rows)} 件" if self.rows else "没有待处理的冲突。"
        self.query_one("#conflict-state", Static).update((self.note + "\n" if self.note else "") + state)
        table.can_focus = True
        table.focus()
        self.ready_for_keys = True
        self.show_sides()

    def on_data_table_row_highlighted(self, event) -> None:
        if getattr(event.data_table, "id", "") == "conflict-list":
            self.show_sides()

    def current(self):
        table = self.query_one("#conflict-list", MarkedTable)
        return self.rows[table.cursor_row] if 0 <= table.cursor_row < len(self.rows) else None

    def show_sides(self) -> None:
        c = self.current()
        if c is not None:
            self.read_sides(c.id)
        else:
            self.query_one("#conflict-sides", MarkedTable).clear(columns=True)

    @core_work("conflict-sides")
    def read_sides(self, conflict_id: int) -> None:
        from storage.decisions import conflict_sides

        _, lines, held = conflict_sides(conflict_id)
        self.post_message(self.Sides(conflict_id, lines, held))

    def on_conflicts_screen_sides(self, event: Sides) -> None:
        table = self.query_one("#conflict-sides", MarkedTable)
        table.clear(columns=True)
        for label, width in (("字段", 16), ("本库", 24), ("数据包", 24)):
            table.add_column(label, width=width)
        for field, ours, theirs in event.lines or [("（各项相同）", "", "")]:
            table.add_row(Text(field), Text(ours if event.held else "（本库没有）"), Text(theirs))

    def action_decide(self, choice: str) -> None:
        from storage.decisions import CHOICES

        c = self.current()
        if c is None or not self.ready_for_keys:
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            from storage.decisions import decide_conflict

            def done(decision) -> None:
                sent = "，决定随县里下一个数据包发给乡镇" if decision is not None else ""
                self.note = f"冲突 {c.id} 已裁定：{CHOICES[choice]}{sent}"
                self.read()

            write_then(self, lambda: decide_conflict(c.id, choice, operator=self.app.operator), done, self.say)

        body = f"冲突 {c.id}（{c.table} {c.name or c.uid[:8]}）\n{c.reason}\n裁定为「{CHOICES[choice]}」？"
        self.app.push_screen(ConfirmScreen("裁定冲突", body), answered)

    def say(self, text: str) -> None:
        self.note = text
        self.read()

    def action_back(self) -> None:
        self.app.pop_screen()

    def core_failed(self, message: str) -> None:
        self.query_one("#conflict-state", Static).update(f"错误：{message}")
