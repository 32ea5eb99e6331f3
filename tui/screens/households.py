"""The household list: households paged from SQL, Enter opens one in the form to edit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import RowKey

from storage.households import count_households, list_households, load_household

from ..keys import bindings
from ..widgets.fields import MarkedTable, PlainInput
from ..widgets.keyline import KeyLine

if TYPE_CHECKING:
    from ..base import HechaBase

PAGE = 200


class HouseholdListScreen(Screen):
    """Households in code order, ``PAGE`` rows at a time (F8 next page); type a code prefix to jump."""

    BINDINGS = bindings("list")
    if TYPE_CHECKING:
        app: HechaBase  # self.app, with hecha's attributes (config, office …)

    def compose(self) -> ComposeResult:
        yield Static("户列表：输户编码开头筛选；上下键选户，Tab进表后Home/End；回车打开", classes="title")
        yield PlainInput(placeholder="户编码开头，如 130123103203", id="list-filter")
        yield MarkedTable(id="household-list", cursor_type="row", always=True)
        yield Static("", id="list-state")
        yield KeyLine()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("户编码", "户主", "人数", "门牌地址")
        self.page_start = 0
        self.total = 0
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def load(self, note: str = "") -> None:
        table = self.query_one(DataTable)
        table.clear()
        prefix = self.query_one("#list-filter", Input).value.strip()
        rows = list_households(prefix, offset=self.page_start, limit=PAGE)
        for h in rows:
            table.add_row(h.household_code, h.head_name, str(h.members), h.address_detail, key=h.uid)
        self.total = count_households(prefix)
        last = self.page_start + len(rows)
        shown = f"第 {self.page_start + 1}～{last} 户，共 {self.total} 户" if rows else "没有符合的户"
        more = f"（{self.app.key_name('more', 'list')} 下一页）" if last < self.total else ""
        self.query_one("#list-state", Static).update(note + shown + more)

    MOVES = {"down": "cursor_down", "up": "cursor_up", "pagedown": "page_down", "pageup": "page_up"}

    def on_key(self, event) -> None:
        """Up, down and the page keys move in the list while typing stays in the filter; Home and End
        go to the first and last row (issue 15: the list needed Tab first, Home and End did nothing)."""
        table = self.query_one(DataTable)
        if event.key in self.MOVES and not table.has_focus:
            getattr(table, f"action_{self.MOVES[event.key]}")()
            event.stop()
        elif event.key in ("home", "end") and table.row_count and table.has_focus:
            table.move_cursor(row=0 if event.key == "home" else table.row_count - 1)
            event.stop()

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
        """The next page; after the last page, back to the first, saying so."""
        if self.page_start + PAGE < self.total:
            self.page_start += PAGE
            self.load()
        else:
            self.page_start = 0
            self.load("已是最后一页，回到第一页：")

    def action_back(self) -> None:
        self.app.pop_screen()
