"""The home menu: numbered entries with function keys (DESIGN.md §10)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from storage.db import close_db
from storage.office import live_counts

from .. import text
from ..keys import bindings, keys_of
from ..widgets.keyline import KeyLine
from ..workers import core_work

if TYPE_CHECKING:
    from ..base import HechaBase


class HomeScreen(Screen):
    """Office, counts and the menu; each entry opens its workflow."""

    BINDINGS = bindings("home")
    if TYPE_CHECKING:
        app: HechaBase  # self.app, with hecha's attributes (operator, office …)

    def compose(self) -> ComposeResult:
        with Vertical(id="home"):
            yield Static("", id="home-office", classes="title")
            yield Static("", id="home-counts")
            yield Static("\n".join(self.menu_lines()), id="home-menu")
            yield Static("按数字或功能键选择；F1 帮助", classes="hint")
        yield KeyLine()

    def menu_lines(self) -> list[str]:
        """The menu: each entry's digit, label and function key from the binding table, as this
        site remapped them (a remapped key shows as it is)."""
        keymap = dict(self.app.config.keymap)
        lines = []
        for label, action in text.HOME_ENTRIES:
            keys = keys_of(action, ("home", "app"), keymap)
            digit = next((k.upper() for k in keys if len(k) == 1 and k.isalnum()), " ")
            fkey = next((k.upper() for k in keys if k.startswith("f") and k[1:].isdigit()), "")
            lines.append(f"  {digit}  {text.pad(label, 26)}{fkey}")
        return lines

    @dataclass
    class CountsRead(Message):
        """The live counts, read in a worker thread."""

        counts: dict[str, int]

    def on_mount(self) -> None:
        office = self.app.office
        tag = text.DEMO_TAG if office.is_demo else ""
        level = {"township": "乡镇", "county": "县级", "province": "省级平台"}.get(office.level, office.level)
        self.query_one("#home-office", Static).update(
            f"{text.APP_TITLE}  {office.full_name}（{office.code}，{level}） 操作员 {self.app.operator} {tag}"
        )
        self.call_after_refresh(self.read_counts)  # after the menu is drawn: a full scan on a big database
        self.call_after_refresh(self.offer_draft)

    def offer_draft(self) -> None:
        """A form left unfinished (connection dropped, process killed) is offered back at start."""
        from storage.models import Draft

        if not Draft.select().where(Draft.operator == self.app.operator).exists():
            return  # the usual case: no need to load the form's modules (24 ms) before the first key
        from storage.dates import local_time
        from storage.drafts import load_draft

        draft = load_draft(self.app.operator)
        if draft is None:
            return
        form, state, at = draft
        names = "、".join(m.name for m in form.members[:3])
        typing = state.get("editor", {}).get("m_name", "")
        people = f"已录 {len(form.members)} 人{('：' + names) if names else ''}" + (
            f"，正在录入 {typing}" if typing else ""
        )
        body = (
            f"上次（{local_time(at)}）的登记表没有保存完：\n"
            f"村 {form.village_code or '-'} 组 {form.group_no or '-'}，{people}\n\n"
            "Y 从中断处继续    N 以后再说（下次启动还会问）"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                from .household import HouseholdScreen

                self.app.push_screen(HouseholdScreen(form=form, resume=state))  # a recheck's draft stays one (state)

        from .dialogs import ConfirmScreen

        self.app.push_screen(ConfirmScreen("继续未完成的登记表", body), answered)

    def on_screen_resume(self) -> None:
        self.read_counts()

    @core_work("counts")
    def read_counts(self) -> None:
        """Count in a worker: on a large database a full scan must not delay the menu."""
        try:
            counts = live_counts()
        finally:
            close_db()
        self.post_message(self.CountsRead(counts))

    def on_home_screen_counts_read(self, event: CountsRead) -> None:
        c = event.counts
        self.query_one("#home-counts", Static).update(
            f"  已录入：{c['household']} 户  {c['person']} 人  {c['birth']} 个出生"
        )

    def action_open_form(self) -> None:
        from .household import HouseholdScreen

        self.app.push_screen(HouseholdScreen(carry=self.app.last_carry))

    def action_open_list(self) -> None:
        from .households import HouseholdListScreen

        self.app.push_screen(HouseholdListScreen())

    def action_open_check(self) -> None:
        from .findings import ValidationScreen

        self.app.push_screen(ValidationScreen())

    def action_open_recheck(self) -> None:
        from .recheck import RecheckListScreen

        self.app.push_screen(RecheckListScreen())

    def action_open_lists(self) -> None:
        from .lists import ListImportScreen

        self.app.push_screen(ListImportScreen())

    def action_open_reconcile(self) -> None:
        from .reconcile import ReconcileScreen

        self.app.push_screen(ReconcileScreen())

    def action_open_duplicates(self) -> None:
        from .duplicates import DuplicatesScreen

        self.app.push_screen(DuplicatesScreen())

    def action_open_export(self) -> None:
        from .bundles import ExportScreen

        self.app.push_screen(ExportScreen())

    def action_open_assist(self) -> None:
        from .assist import AssistScreen

        self.app.push_screen(AssistScreen())

    def action_open_migrants(self) -> None:
        from .migrants import MigrantsScreen

        self.app.push_screen(MigrantsScreen())

    def action_open_county(self) -> None:
        from .county import CountyScreen

        self.app.push_screen(CountyScreen())

    def action_open_import(self) -> None:
        from .bundles import ImportScreen

        self.app.push_screen(ImportScreen())
