"""流动人口 (issue 17): migrants paged from SQL (:mod:`storage.migrants`), filtered by direction,
village and the other county; the counts per village and month; a request (协查) raised from the
highlighted migrant to the county she came from or went to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from storage import migrants

from ..keys import bindings
from ..widgets.fields import MarkedTable
from ..widgets.keyline import KeyLine
from ..workers import core_work, write_then
from .dialogs import AskScreen, ConfirmScreen

if TYPE_CHECKING:
    from ..base import HechaBase

PAGE = 100
DIRECTIONS = ("", "1", "2")
COLUMNS = (("姓名", 8), ("村", 12), ("流向", 4), ("从哪来/到哪去", 20), ("起始", 10), ("状态", 6))


class MigrantsScreen(Screen):
    """F2 流入/流出/全部, F3 village, F4 other county, F6 current only / all, F7 counts per village and
    month, F5 raise a 协查 about the highlighted migrant, F8/F9 pages, Esc back."""

    BINDINGS = bindings("migrants")
    if TYPE_CHECKING:
        app: HechaBase

    @dataclass
    class PageRead(Message):
        months: bool
        rows: list
        total: int

    def compose(self) -> ComposeResult:
        yield Static("流动人口：F2 流入/流出 F3 按村 F4 按对方县 F6 在外/全部 F7 按月统计 F5 发协查", classes="title")
        table = MarkedTable(id="mig-list", cursor_type="row")
        table.can_focus = False
        yield table
        yield Static("正在读出流动人口...", id="mig-state")
        yield KeyLine()

    def on_mount(self) -> None:
        self.direction, self.village, self.county, self.current = "", "", "", True
        self.months = False
        self.page_start = 0
        self.rows: list = []
        self.ready_for_keys = False
        self.note = ""
        self.load()

    @core_work("mig-page")
    def load(self) -> None:
        if self.months:
            counts = migrants.monthly(self.village)
            self.post_message(self.PageRead(True, counts, len(counts)))
            return
        args = (self.direction, self.village, self.county, self.current)
        rows = migrants.page(*args, offset=self.page_start, limit=PAGE)
        self.post_message(self.PageRead(False, rows, migrants.count(*args)))

    def on_migrants_screen_page_read(self, event: PageRead) -> None:
        from storage.office import village_label

        table = self.query_one(MarkedTable)
        row = table.cursor_row
        table.clear(columns=True)
        self.rows = event.rows
        if event.months:
            for label, width in (("村", 24), ("月份", 8), ("流入", 6), ("流出", 6)):
                table.add_column(label, width=width)
            for r in event.rows:
                table.add_row(village_label(r.village_code), r.month, r.inflow, r.outflow)
            state = f"按村按月统计：{len(event.rows)} 行" if event.rows else "没有记了流动日期的流动人口。"
        else:
            for label, width in COLUMNS:
                table.add_column(label, width=width)
            for r in event.rows:
                table.add_row(
                    Text(r.name), village_label(r.village_code), r.direction_text, Text(r.place), r.since, r.status
                )
            filters = "、".join(
                x
                for x in (
                    {"1": "流入", "2": "流出"}.get(self.direction, "流入流出"),
                    village_label(self.village) if self.village else "",
                    f"对方县 {self.county}" if self.county else "",
                    "在外/在本地" if self.current else "含已返回",
                )
                if x
            )
            pages = "；F8 下一页 F9 上一页" if event.total > len(event.rows) else ""
            state = f"{filters}：共 {event.total} 人次{pages}" if event.rows else f"没有流动人口（{filters}）。"
        self.query_one("#mig-state", Static).update((self.note + "\n" if self.note else "") + state)
        table.can_focus = True
        if table.row_count:
            table.move_cursor(row=min(max(row, 0), table.row_count - 1))
        table.focus()
        self.ready_for_keys = True

    def again(self) -> None:
        self.page_start = 0
        self.load()

    def action_cycle_direction(self) -> None:
        self.direction = DIRECTIONS[(DIRECTIONS.index(self.direction) + 1) % 3]
        self.months = False
        self.again()

    def action_filter_village(self) -> None:
        from storage.office import find_villages

        def got(text: str | None) -> None:
            if text is None:
                return
            found = find_villages(text) if text else []
            if text and len(found) != 1:
                self.note = f"村「{text}」：{'有几个村对得上' if found else '没有这个村'}，请写得更全"
            else:
                self.village, self.note = (found[0].code if found else ""), ""
            self.again()

        self.app.push_screen(AskScreen("按村筛选", "村名或代码（空：全部村）："), got)

    def action_filter_county(self) -> None:
        def got(text: str | None) -> None:
            if text is None:
                return
            if text and not (len(text) == 6 and text.isdigit()):
                self.note = f"「{text}」不是6位县级代码"
            else:
                self.county, self.note = text, ""
            self.again()

        ask = AskScreen("按对方县筛选", "对方县6位代码（空：全部）：", restrict=r"[0-9]*", max_length=6)
        self.app.push_screen(ask, got)

    def action_toggle_current(self) -> None:
        self.current = not self.current
        self.again()

    def action_months(self) -> None:
        self.months = not self.months
        self.again()

    def action_raise_request(self) -> None:
        table = self.query_one(MarkedTable)
        if self.months or not (0 <= table.cursor_row < len(self.rows)):
            return
        r = self.rows[table.cursor_row]

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            from storage import assist

            write_then(
                self,
                lambda: assist.from_migration(r.uid, operator=self.app.operator),
                lambda req: self.said(f"已发起协查 {req.request_no}，发往 {req.to_name}；随下一个数据包发出。"),
                self.said,
            )

        body = f"{r.name}（{r.direction_text}，{r.place}）\n向对方县发协查，核实婚育、避孕、子女？"
        self.app.push_screen(ConfirmScreen("发协查", body), answered)

    def said(self, text: str) -> None:
        self.note = text
        self.load()

    def action_next_page(self) -> None:
        if not self.months and len(self.rows) == PAGE:
            self.page_start += PAGE
            self.load()

    def action_prev_page(self) -> None:
        if self.page_start:
            self.page_start = max(0, self.page_start - PAGE)
            self.load()

    def action_back(self) -> None:
        if self.months:  # the counts are a view of this screen: Esc returns to the list
            self.action_months()
            return
        self.app.pop_screen()

    def core_failed(self, message: str) -> None:
        self.query_one("#mig-state", Static).update(f"错误：{message}")
