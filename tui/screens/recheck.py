"""Quality recheck (质量复查) screens: the task list, the differences of one form, the clerks' rates.

The workflow is :mod:`storage.recheck`'s: the head of office chooses forms (F5 every Nth, F6 a
random sample per village), a second clerk keys each chosen form again blind (Enter on a 待复查
task opens an empty form), and differences are decided one by one (Enter on a 待判定 task).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Static

from storage.errors import OperatorError
from storage.office import village_label
from storage.recheck import (
    DECISIONS,
    SECOND,
    STATUS_NAMES,
    WHOLE_LINE,
    choose_every,
    choose_sample,
    clerk_rates,
    decide,
    delete_recheck,
    list_rechecks,
    nothing_to_choose,
    shown,
    withdrawable,
)

from ..keys import bindings
from ..widgets.fields import MarkedTable
from ..widgets.keyline import KeyLine
from ..workers import write_then
from .dialogs import AskScreen, ConfirmScreen

if TYPE_CHECKING:
    from ..base import HechaBase

PAGE = 200


class RecheckListScreen(Screen):
    """Recheck tasks, pending first, ``PAGE`` at a time; Enter keys a pending form blind or opens
    the differences of a keyed one."""

    BINDINGS = bindings("recheck")
    if TYPE_CHECKING:
        app: HechaBase  # self.app, with hecha's attributes (operator, office …)

    def compose(self) -> ComposeResult:
        yield Static("质量复查：回车>待复查的照纸表盲录，待判定的逐项判定", classes="title")
        yield MarkedTable(id="recheck-list", cursor_type="row")
        yield Static("", id="recheck-state")
        yield Static("", id="message", classes="message")
        yield KeyLine()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("任务", "状态", "表号", "村", "原录入", "复录", "差异")
        self.page_start = 0
        self.load()
        self.query_one(DataTable).focus()

    def on_screen_resume(self) -> None:
        self.load()

    def load(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        rows = list_rechecks(offset=self.page_start, limit=PAGE)
        for r in rows:
            village = village_label(r.village_code)
            diffs = str(r.differences) if r.status != "pending" else ""
            table.add_row(
                str(r.id),
                STATUS_NAMES[r.status],
                r.form_no or "-",
                village[:6],
                r.first_operator[:8] or "-",
                r.second_operator[:8] or "-",
                diffs,
                key=str(r.id),
            )
        state = (
            f"第 {self.page_start + 1}～{self.page_start + len(rows)} 条"
            if rows
            else "还没有复查任务：F5 按录入顺序每N份抽1份，F6 每村随机抽"
        )
        self.query_one("#recheck-state", Static).update(state)

    def say(self, message: str) -> None:
        self.query_one("#message", Static).update(message)

    def current(self):
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        from storage.models import Recheck

        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        assert key is not None  # every row is added with its task id as key
        return Recheck.get_or_none(Recheck.id == int(key))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        row = self.current()
        if row is None:
            return
        if row.status != "pending":
            self.app.push_screen(RecheckDiffScreen(row.id))
            return
        from .household import HouseholdScreen

        def start(yes: bool | None = True) -> None:
            if yes:
                from storage.households import HouseholdInput

                self.app.push_screen(HouseholdScreen(form=HouseholdInput(form_no=row.form_no), recheck=row.id))

        if row.first_operator and row.first_operator == self.app.operator:
            self.app.push_screen(
                ConfirmScreen(
                    "质量复查",
                    f"登记表 {row.form_no} 是您（{row.first_operator}）录入的。\n"
                    "复查应由另一人照纸表盲录。仍由您复录吗？",
                ),
                start,
            )
        else:
            start()

    def _choose(self, title: str, prompt: str, run) -> None:
        def chosen(made) -> None:
            self.say(f"已抽取 {len(made)} 份登记表待复录（方案 {made[0].plan}）" if made else nothing_to_choose())
            self.page_start = 0
            self.load()

        def answered(value: str | None) -> None:
            if not value:
                return
            if not value.isdigit():
                self.say("请输入数字")
                return
            write_then(self, lambda: run(int(value)), chosen, self.say)

        self.app.push_screen(AskScreen(title, prompt, restrict=r"\d*", max_length=4), answered)

    def action_choose_every(self) -> None:
        self._choose(
            "按录入顺序抽取",
            "每隔几份抽1份（如 10：抽第10、20、30...份）：",
            lambda n: choose_every(n, operator=self.app.operator),
        )

    def action_choose_sample(self) -> None:
        self._choose("每村随机抽取", "每个村随机抽几份：", lambda k: choose_sample(k, operator=self.app.operator))

    def action_rates(self) -> None:
        self.app.push_screen(RecheckRatesScreen())

    def action_withdraw(self) -> None:
        row = self.current()
        if row is None:
            return
        try:
            withdrawable(row.id)  # say why not before asking
        except OperatorError as exc:
            self.say(str(exc))
            return

        def withdrawn(_: None) -> None:
            self.say(f"已撤销任务 {row.id}")
            self.load()

        def answered(yes: bool | None) -> None:
            if yes:
                write_then(self, lambda: delete_recheck(row.id), withdrawn, self.say)

        self.app.push_screen(
            ConfirmScreen("撤销复查任务", f"撤销任务 {row.id}（登记表 {row.form_no}）？复录内容一并删除。"), answered
        )

    def action_more(self) -> None:
        self.page_start = self.page_start + PAGE if self.query_one(DataTable).row_count == PAGE else 0
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()


class RecheckDiffScreen(Screen):
    """The differences of one rechecked form; 1/2/3 (F2/F3/F4) decide the highlighted one."""

    BINDINGS = bindings("diff")
    if TYPE_CHECKING:
        app: HechaBase  # self.app, with hecha's attributes (operator, office …)

    def __init__(self, recheck_id: int):
        super().__init__()
        self.recheck_id = recheck_id

    def compose(self) -> ComposeResult:
        yield Static("", id="diff-title", classes="title")
        yield MarkedTable(id="diff-list", cursor_type="row")
        yield Static("1 原录入正确   2 复查正确（更正户记录）   3 两次都错（到户列表改）", classes="keys-hint")
        yield Static("", id="message", classes="message")
        yield KeyLine()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("位置", "原录入", "复录", "判定")
        self.load()
        self.query_one(DataTable).focus()

    def load(self, keep_row: int = 0) -> None:
        from storage.models import Recheck, RecheckDiff

        row = Recheck.get_by_id(self.recheck_id)
        self.query_one("#diff-title", Static).update(
            f"任务{row.id} 登记表{row.form_no} {STATUS_NAMES[row.status]}：比对{row.fields_compared}项 "
            f"差异{row.differences}项"
            f"（原录入 {row.first_operator or '-'}，复录 {row.second_operator or '-'}）"
        )
        table = self.query_one(DataTable)
        table.clear()
        self.diffs = list(RecheckDiff.select().where(RecheckDiff.recheck == row).order_by(RecheckDiff.id))
        for d in self.diffs:
            table.add_row(
                d.label[:14],
                shown(d.section, d.field, d.first_value)[:20],
                shown(d.section, d.field, d.second_value)[:20],
                DECISIONS.get(d.decision, "待判定"),
                key=str(d.id),
            )
        if self.diffs:
            table.move_cursor(row=min(keep_row, len(self.diffs) - 1))

    def action_decide(self, decision: str) -> None:
        table = self.query_one(DataTable)
        if not self.diffs:
            return
        index = table.cursor_row
        d = self.diffs[index]

        message = self.query_one("#message", Static)

        def decided(done) -> None:
            said = f"{d.label}：{DECISIONS[decision]}" + ("，已更正户记录" if done.corrected else "")
            if done.confirmed:
                said += "；已一并确认提示：" + "；".join(done.confirmed)
            message.update(said + (f"\n{done.todo}" if done.todo else ""))
            self.load(index + 1)

        def run(yes: bool | None = True) -> None:
            if yes:
                who = self.app.operator
                write_then(self, lambda: decide(d.id, decision, operator=who), decided, message.update)

        if decision == SECOND and d.field != WHOLE_LINE:
            self.app.push_screen(
                ConfirmScreen(
                    "按复查值更正",
                    f"{d.label}\n由「{shown(d.section, d.field, d.first_value)}」改为「"
                    f"{shown(d.section, d.field, d.second_value)}」？",
                ),
                run,
            )
        else:
            run()

    def action_back(self) -> None:
        self.app.pop_screen()


class RecheckRatesScreen(Screen):
    """Each clerk's recheck figures (:func:`storage.recheck.clerk_rates`)."""

    BINDINGS = bindings("plain")

    def compose(self) -> ComposeResult:
        yield Static("录入差错率（判定为录入差错的项 / 比对项）", classes="title")
        yield MarkedTable(id="rates", cursor_type="row")
        yield Static("", id="rates-state")
        yield KeyLine()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("录入员", "被复查", "比对项", "差错", "差错率", "待判定", "复录", "复录差错")
        rates = clerk_rates()
        if not rates:
            self.query_one("#rates-state", Static).update(
                "还没有完成复录的质量复查：先在质量复查画面抽取登记表（F5、F6），再复录、判定"
            )
        for r in rates:
            table.add_row(
                r.operator[:10] or "（不明）",
                str(r.forms),
                str(r.fields),
                str(r.errors),
                f"{r.rate:.2%}",
                str(r.undecided),
                str(r.rechecked),
                str(r.recheck_errors),
            )
        table.focus()

    def action_back(self) -> None:
        self.app.pop_screen()
