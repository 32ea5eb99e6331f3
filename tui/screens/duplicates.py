"""重复登记 review: every open candidate pair of the database and of a person with a reference
record (:func:`storage.dedup.pairs`, the same list as ``hecha duplicates``), read in a worker;
decide the highlighted pair or every marked one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from storage.db import close_db
from storage.dedup import RULE_SHORT, WARN_SCORE, Pair, decide_pair, merge_persons, pairs

from ..keys import bindings
from ..widgets.fields import MarkedTable
from ..widgets.keyline import KeyLine
from ..workers import core_work, write_then
from .dialogs import AskScreen, ConfirmScreen

if TYPE_CHECKING:
    from ..base import HechaBase

DECIDED = {"same": "同一人", "different": "不同人", "unsure": "待查"}
KINDS = {"": "全部（人员之间、人员与名单记录）", "persons": "只看人员之间的", "records": "只看人员与名单记录的"}


class Stopped(Exception):
    """The review was left while its search ran: the worker ends early."""


class DuplicatesScreen(Screen):
    """Pairs best first. Space marks a pair; 2/F3 不同人 and 3/F4 待查 apply to the marked pairs
    (or the highlighted one); 1/F2 同一人 merges the highlighted pair (甲 kept) after a Y, or, when
    乙 is a reference record, records the link (nothing to merge)."""

    BINDINGS = bindings("dups")
    if TYPE_CHECKING:
        app: HechaBase  # self.app, with hecha's attributes (operator, office …)

    @dataclass
    class PairsRead(Message):
        """The pairs, read in a worker thread."""

        found: list[Pair]
        total: int  # pairs found, of which ``found`` holds the best (at most the limit)

    def compose(self) -> ComposeResult:
        yield Static("重复登记：空格标记；1 同一人（合并保留甲；名单记录只记对应） 2 不同人 3 待查", classes="title")
        yield MarkedTable(id="dup-list", cursor_type="row")
        yield Static("", id="dup-detail")
        yield Static("正在查找可能重复的人员...", id="dup-state")
        yield KeyLine()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in (("", 1), ("分", 3), ("人员甲", 16), ("人员乙", 16), ("规则", 14), ("判定", 6)):
            table.add_column(label, width=width)
        self.min_score = WARN_SCORE
        self.kind = ""  # all pairs; "persons" or "records" (F7 switches)
        self.found: list[Pair] = []
        self.marked: set[int] = set()
        self.decided: dict[int, str] = {}
        self.read()
        table.focus()

    @core_work("pairs")
    def read(self) -> None:
        from textual.worker import get_current_worker

        worker = get_current_worker()

        def progress(done: int, total: int) -> None:
            if worker.is_cancelled:  # Esc left the screen: stop here, not after the whole search
                raise Stopped
            self.app.call_from_thread(self.say, f"正在查找可能重复的人员：已比 {done}/{total} 人...")

        total: list[int] = []
        try:
            found = pairs(min_score=self.min_score, progress=progress, kind=self.kind, found_total=total)
        except Stopped:
            return
        finally:
            close_db()
        self.post_message(self.PairsRead(found, total[0] if total else len(found)))

    def on_duplicates_screen_pairs_read(self, event: PairsRead) -> None:
        self.found, self.marked, self.decided = event.found, set(), {}
        self.refill()
        if not self.found:
            self.query_one("#dup-detail", Static).update("")
        which = KINDS[self.kind]
        shown = f"，只列前 {len(self.found)} 对" if event.total > len(self.found) else ""
        self.query_one("#dup-state", Static).update(
            f"{which}共 {event.total} 对{shown}（得分不低于 {self.min_score}；判为不同人的不再列出）"
            if self.found
            else f"没有得分不低于 {self.min_score} 的可能重复（{which}）"
        )

    def refill(self, keep_row: int = 0) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for i, p in enumerate(self.found):
            table.add_row(
                "*" if i in self.marked else "",
                str(p.b.score),
                f"{p.a_name} {p.a_birth_date[:4]}"[:16],
                (f"名单 {p.b.name}" if p.b.is_record else f"{p.b.name} {p.b.birth_date[:4]}")[:16],
                RULE_SHORT.get(p.b.rule, p.b.rule),
                DECIDED.get(self.decided.get(i, p.decision), ""),
            )
        if self.found:
            table.move_cursor(row=min(keep_row, len(self.found) - 1))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.found):
            p = self.found[event.cursor_row]
            a, b = p.sides()
            self.query_one("#dup-detail", Static).update(
                f"甲 {a}\n乙 {b}\n{p.b.rule_text}；不同之处：{p.b.differs_text}"
            )

    def action_kind(self) -> None:
        """F7: all pairs → persons only → list records only → all (issue 15: 500 list records at 100
        hid every pair of two persons)."""
        order = list(KINDS)
        self.kind = order[(order.index(self.kind) + 1) % len(order)]
        self.say(f"正在查找（{KINDS[self.kind]}）...")
        self.read()

    def action_back(self) -> None:
        self.workers.cancel_group(self, "pairs")
        self.app.pop_screen()

    def say(self, message: str) -> None:
        self.query_one("#dup-state", Static).update(message)

    def action_mark(self) -> None:
        row = self.query_one(DataTable).cursor_row
        if 0 <= row < len(self.found):
            self.marked ^= {row}
            self.refill(row + 1)

    def action_decide(self, decision: str) -> None:
        table = self.query_one(DataTable)
        if not self.found:
            return
        rows = sorted(self.marked) or [table.cursor_row]
        if decision == "same" and not self.found[table.cursor_row].b.is_record:
            self.merge(table.cursor_row)
            return
        if decision == "same":  # a reference record: the link is recorded, nothing is merged
            rows = [table.cursor_row]
        found, who, ok = self.found, self.app.operator, []

        def decide_all() -> None:
            for i in rows:  # each decision its own short write: what was decided before a refusal stays
                p = found[i]
                decide_pair(p.a_uid, p.b.person_uid, decision, rule=p.b.rule, score=p.b.score, who=who)
                ok.append(i)

        def said(message: str) -> None:  # a refusal part-way (or the wait): the rows decided show as such
            self.decided.update(dict.fromkeys(ok, decision))
            self.say(message)

        def done(_: None) -> None:
            self.decided.update(dict.fromkeys(rows, decision))
            self.marked = set()
            self.say(
                f"{len(rows)} 对判为{DECIDED[decision]}"
                + ("（外部名单记录：只记下判定）" if decision == "same" else "")
            )
            self.refill(max(rows) + 1)

        write_then(self, decide_all, done, said)

    def merge(self, row: int) -> None:
        p = self.found[row]

        def merged(done) -> None:
            self.decided[row] = "same"
            self.say(
                f"已合并：{p.b.name} 并入 {p.a_name}，转移 {done.moved} 条记录"
                + ("；原户已无人，一并注销" if done.household_removed else "")
            )
            self.refill(row + 1)

        def answered(yes: bool | None) -> None:
            if yes:
                who = self.app.operator
                write_then(self, lambda: merge_persons(p.a_uid, p.b.person_uid, operator=who), merged, self.say)

        self.app.push_screen(
            ConfirmScreen(
                "同一人：合并",
                f"保留甲 {p.a_name}（户 {p.a_household_code}），\n"
                f"注销乙 {p.b.name}（户 {p.b.household_code}），出生、流动记录转给甲？",
            ),
            answered,
        )

    def action_min_score(self) -> None:
        def answered(value: str | None) -> None:
            if value:
                self.min_score = min(int(value), 100)
                self.say("正在查找可能重复的人员...")
                self.read()

        self.app.push_screen(
            AskScreen("最低得分", "只列得分不低于（0-100）：", restrict=r"\d*", max_length=3), answered
        )
