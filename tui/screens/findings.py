"""审核校验: the findings of the whole database, filtered by village, level and rule; Enter opens the
household form at the field the finding is about. The list comes from :func:`storage.check.check_database`
(the same as ``hecha check``), read in a worker thread."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from storage.check import Located, check_database
from storage.db import close_db
from storage.households import load_household

from ..keys import bindings
from ..widgets.fields import Label, MarkedTable, PlainInput, Row
from ..widgets.keyline import KeyLine
from ..workers import core_work

LEVELS = {"error": "错误", "warning": "提示"}


class ValidationScreen(Screen):
    """Every finding; type in the filters (村代码开头, 级别 e/w, 规则 id 开头), Enter on a line opens it."""

    BINDINGS = bindings("list")

    @dataclass
    class FindingsRead(Message):
        found: list[Located]

    def compose(self) -> ComposeResult:
        yield Static("审核校验（Tab 切换筛选/列表；回车打开并定位；F8 重查）", classes="title")
        with Row():
            yield Label("村代码")
            yield PlainInput(id="f-village", max_length=12, restrict=r"\d*")
            yield Label("级别 e错误 w提示")
            yield PlainInput(id="f-level", max_length=1, restrict=r"[ewEW]?")
            yield Label("规则")
            yield PlainInput(id="f-rule")
        yield MarkedTable(id="findings", cursor_type="row")
        yield Static("", id="finding-detail")
        yield Static("正在检查...", id="findings-state")
        yield KeyLine()

    def on_mount(self) -> None:
        for name, width in (("f-village", 13), ("f-level", 2), ("f-rule", 20)):
            self.query_one(f"#{name}").styles.width = width
        table = self.query_one(DataTable)
        for label, width in (("户编码", 18), ("人", 8), ("级别", 4), ("说明", 36)):
            table.add_column(label, width=width)
        self.found: list[Located] = []
        self.shown: list[Located] = []
        self.read()
        self.query_one(DataTable).focus()

    def on_screen_resume(self) -> None:
        self.read()

    @core_work("findings")
    def read(self) -> None:
        try:
            found = list(check_database())
        finally:
            close_db()
        self.post_message(self.FindingsRead(found))

    def on_validation_screen_findings_read(self, event: FindingsRead) -> None:
        self.found = sorted(event.found, key=lambda x: (x.level != "error", x.household_code))
        self.show()

    @on(PlainInput.Changed)
    def filters_changed(self) -> None:
        self.show()

    def show(self) -> None:
        village = self.query_one("#f-village", PlainInput).value.strip()
        level = {"e": "error", "w": "warning"}.get(self.query_one("#f-level", PlainInput).value.strip().lower(), "")
        rule = self.query_one("#f-rule", PlainInput).value.strip()
        self.shown = [
            x
            for x in self.found
            if x.household_code.startswith(village) and (not level or x.level == level) and rule in x.finding.rule
        ]
        table = self.query_one(DataTable)
        table.clear()
        self.query_one("#finding-detail", Static).update("")
        for n, x in enumerate(self.shown[:2000]):
            f = x.finding
            table.add_row(
                x.household_code, x.person, LEVELS.get(f.level, f.level), f"{f.where()}：{f.message}", key=str(n)
            )
        errors = sum(x.level == "error" for x in self.shown)
        more = "（只列出前2000条）" if len(self.shown) > 2000 else ""
        self.query_one("#findings-state", Static).update(
            f"共 {len(self.shown)} 条：错误 {errors}，提示 {len(self.shown) - errors}{more}"
        )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The whole message of the highlighted line, with its rule id, under the list."""
        if event.row_key is None or event.row_key.value is None:
            return
        key = event.row_key.value
        assert key is not None  # every row is added with its index as key
        x = self.shown[int(key)]
        self.query_one("#finding-detail", Static).update(f"[{x.finding.rule}] {x.finding.where()}：{x.finding.message}")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        from .household import HouseholdScreen

        key = event.row_key.value
        assert key is not None  # every row is added with its index as key
        x = self.shown[int(key)]
        self.app.push_screen(HouseholdScreen(form=load_household(x.household_uid), focus_on=x.finding))

    def action_history(self) -> None:
        """F6: the changes of the household the highlighted finding is about."""
        from .history import HistoryScreen

        table = self.query_one(DataTable)
        if table.row_count and 0 <= table.cursor_row < len(self.shown):
            x = self.shown[table.cursor_row]
            self.app.push_screen(HistoryScreen(x.household_uid, x.household_code))

    def action_more(self) -> None:
        self.query_one("#findings-state", Static).update("正在检查...")
        self.read()

    def action_back(self) -> None:
        self.app.pop_screen()
