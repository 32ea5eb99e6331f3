"""The household list: households paged from SQL, Enter opens one in the form to edit."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import RowKey

from storage.households import list_households, load_household

from ..keys import bindings
from ..widgets.fields import MarkedTable, PlainInput
from ..widgets.keyline import KeyLine

PAGE = 200


class HouseholdListScreen(Screen):
    """Households in code order, ``PAGE`` rows at a time (F8 next page); type a code prefix to jump."""

    BINDINGS = bindings("list")

    def compose(self) -> ComposeResult:
        yield Static("户列表（输入户编码开头筛选；回车打开亮条所在户；方向键 选户：先按Tab）", classes="title")
        yield PlainInput(placeholder="户编码开头，如 130123103203", id="list-filter")
        yield MarkedTable(id="household-list", cursor_type="row")
        yield Static("", id="list-state")
        yield KeyLine()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("户编码", "户主", "人数", "门牌地址")
        self.page_start = 0
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def load(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        prefix = self.query_one("#list-filter", Input).value.strip()
        rows = list_households(prefix, offset=self.page_start, limit=PAGE)
        for h in rows:
            table.add_row(h.household_code, h.head_name, str(h.members), h.address_detail, key=h.uid)
        self.query_one("#list-state", Static).update(
            f"第 {self.page_start + 1}～{self.page_start + len(rows)} 户" if rows else "没有符合的户"
        )

    def on_input_changed(self, event: Input.Changed) -> None:
        self.page_start = 0
        self.load()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the filter opens the highlighted household (the first one after filtering)."""
        table = self.query_one(DataTable)
        if table.row_count:
            self.open(table.coordinate_to_cell_key(table.cursor_coordinate).row_key)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.open(event.row_key)

    def action_history(self) -> None:
        """F6: the highlighted household's changes: who, when, what, why."""
        from .history import HistoryScreen

        table = self.query_one(DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            code = str(table.get_row_at(table.cursor_row)[0])
            if key is not None:
                self.app.push_screen(HistoryScreen(key, code))

    def open(self, key: RowKey) -> None:
        """Open the household of a row (its key is the household's uid)."""
        from .household import HouseholdScreen

        if key.value is not None:
            self.app.push_screen(HouseholdScreen(form=load_household(key.value)))

    def action_more(self) -> None:
        """The next page; after the last page, back to the first."""
        self.page_start = self.page_start + PAGE if self.query_one(DataTable).row_count == PAGE else 0
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()
