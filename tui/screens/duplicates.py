"""重复登记 review: the open candidate pairs of the database and of a person with a reference
record, paged from the stored pairs (:mod:`storage.pairstore`, the same list as ``hecha
duplicates``): the first page is one query; the pairs of whatever changed since are scored again in
a worker that Esc stops (what it finished stays). Decide the highlighted pair or every marked one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from storage.db import Locked
from storage.dedup import RULE_SHORT, WARN_SCORE, Pair, decide_pair, merge_persons
from storage.pairstore import Busy, Stop, count, page, pending, refresh

from ..keys import bindings
from ..widgets.fields import MarkedTable
from ..widgets.keyline import KeyLine
from ..workers import core_work, write_then
from .dialogs import AskScreen, ConfirmScreen

if TYPE_CHECKING:
    from ..base import HechaBase

DECIDED = {"same": "同一人", "different": "不同人", "unsure": "待查"}
KINDS = {"": "全部（人员之间、人员与名单记录）", "persons": "只看人员之间的", "records": "只看人员与名单记录的"}
KIND_SHORT = {"": "全部", "persons": "人员之间", "records": "人员与名单"}
"""The kinds in the state line."""
PAGE = 100
"""Pairs per page (F8 next, F9 back)."""


def key(p: Pair) -> tuple[str, str]:
    """A pair as the review keeps it across reloads: (甲 uid, 乙 uid)."""
    return (p.a_uid, p.b.person_uid)


class DuplicatesScreen(Screen):
    """Pairs best first, a page at a time. Space marks a pair; 2/F3 不同人 and 3/F4 待查 apply to
    the marked pairs (or the highlighted one); 1/F2 同一人 merges the highlighted pair (甲 kept)
    after a Y, or, when 乙 is a reference record, records the link (nothing to merge)."""

    BINDINGS = bindings("dups")
    if TYPE_CHECKING:
        app: HechaBase  # self.app, with hecha's attributes (operator, office …)

    @dataclass
    class PageRead(Message):
        """A page of pairs and the count of all, read in a worker thread."""

        found: list[Pair]
        total: int  # open pairs at this score and kind, of which ``found`` is the page at ``offset``
        offset: int
        keep: tuple[str, str] | None  # the pair the cursor stays on, if it is still there
        keep_row: int  # else this row

    @dataclass
    class Updated(Message):
        """The pairs of what changed are scored again (``scored`` scorers run; ``done`` false: part of
        them, the rest left for later)."""

        scored: int
        note: str = ""  # why it did not run (another program scoring), shown above the count

    def compose(self) -> ComposeResult:
        yield Static("重复登记：空格标记；1 同一人（合并保留甲；名单记录只记对应） 2 不同人 3 待查", classes="title")
        table = MarkedTable(id="dup-list", cursor_type="row")
        table.can_focus = False  # until the first page is there: keys typed ahead wait (tui.keyorder)
        yield table
        yield Static("", id="dup-detail")
        yield Static("正在读出可能重复的人员...", id="dup-state")
        yield KeyLine()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in (("", 1), ("分", 3), ("人员甲", 16), ("人员乙", 16), ("规则", 14), ("判定", 6)):
            table.add_column(label, width=width)
        self.min_score = WARN_SCORE
        self.kind = ""  # all pairs; "persons" or "records" (F7 switches)
        self.page_start = 0
        self.total = 0
        self.updating = ""  # what the refresh says while it runs (shown above the count)
        self.note = ""  # the last action's outcome (shown above the count)
        self.found: list[Pair] = []
        self.marked: set[tuple[str, str]] = set()  # pairs by (甲 uid, 乙 uid): a reload keeps them
        self.decided: dict[tuple[str, str], str] = {}
        self.ready_for_keys = False  # read by tui.keyorder: keys typed ahead wait for the first page
        self.refreshing = True  # until the pairs of what changed are scored (keys wait for that too)
        self.load()
        self.update_pairs()

    @core_work("page")
    def load(self, keep: tuple[str, str] | None = None, keep_row: int = 0) -> None:
        """Read the page at ``self.page_start`` and the count (a query each: no scoring here); the
        cursor stays on the pair ``keep`` when it is still listed, else goes to ``keep_row``."""
        found = page(kind=self.kind, min_score=self.min_score, offset=self.page_start, limit=PAGE)
        total = count(kind=self.kind, min_score=self.min_score)
        self.post_message(self.PageRead(found, total, self.page_start, keep, keep_row))

    def reload(self) -> None:
        """The same page again, the cursor on the pair it is on."""
        row = self.query_one(DataTable).cursor_row
        self.load(key(self.found[row]) if 0 <= row < len(self.found) else None, row)

    @core_work("pairs")
    def update_pairs(self) -> None:
        """Score again the pairs of the persons and lists changed since the last time; the page is
        read again after each chunk. Esc (the worker cancelled) stops it between chunks."""
        from textual.worker import get_current_worker

        worker = get_current_worker()
        persons, lists = pending()
        if not persons and not lists:
            self.post_message(self.Updated(0))  # the page read again (a merge refused: 乙 gone)
            return
        what = "、".join(x for x in (f"{persons} 人" if persons else "", f"{lists} 份名单" if lists else "") if x)

        def progress(done: int, total: int) -> None:
            if worker.is_cancelled:  # Esc left the screen: stop here, not after the whole search
                raise Stop
            self.app.call_from_thread(self.progress, f"正在重新比对改过的 {what}：已比 {done}/{total}")

        self.app.call_from_thread(self.progress, f"正在重新比对改过的 {what}...")
        try:
            scored = refresh(progress)
        except Stop:
            return
        except (Busy, Locked) as exc:  # another clerk's review is scoring: show what is stored
            self.post_message(self.Updated(0, f"{exc}：列出的是上次比对的结果"))
            return
        self.post_message(self.Updated(scored))

    def progress(self, message: str) -> None:
        self.updating = message
        self.reload()

    def on_duplicates_screen_updated(self, event: Updated) -> None:
        self.updating, self.refreshing = "", False
        if event.note:
            self.note = event.note
        self.reload()

    def on_duplicates_screen_page_read(self, event: PageRead) -> None:
        if event.offset != self.page_start:
            return  # a page asked for before the last F8/F9
        self.found, self.total = event.found, event.total
        listed = {key(p) for p in self.found}
        self.marked &= listed
        keys = [key(p) for p in self.found]
        self.refill(keys.index(event.keep) if event.keep in keys else event.keep_row)
        if not self.found:
            self.query_one("#dup-detail", Static).update("")
        self.show_state()
        if not self.ready_for_keys and not self.refreshing:  # the first page of up-to-date pairs: keys go
            table = self.query_one(DataTable)
            table.can_focus = True
            table.focus()
            self.ready_for_keys = True

    def show_state(self) -> None:
        which = KIND_SHORT[self.kind]  # one line of 80 columns at any count (a newcomer's finding: it wrapped)
        if self.found:
            last = self.page_start + len(self.found)
            pages = f"，第{self.page_start + 1}-{last}对（F8/F9翻页）" if self.total > len(self.found) else ""
            marked = f"，标记{len(self.marked)}对" if self.marked else ""
            said = f"{which}共{self.total}对{pages}{marked}，≥{self.min_score}分"
        elif self.updating:
            said = f"还在比对：暂时没有得分≥{self.min_score}的（{which}）"
        else:
            said = f"没有得分不低于 {self.min_score} 的可能重复（{which}）"
        above = self.updating or self.note
        self.query_one("#dup-state", Static).update(f"{above}\n{said}" if above else said)

    def action_next_page(self) -> None:
        """F8: the next page; on the last page, back to the first, saying so."""
        self.note = f"换页：{len(self.marked)} 对的标记已取消" if self.marked else ""
        if self.page_start + PAGE < self.total:
            self.page_start += PAGE
        elif self.total <= PAGE:
            self.say("只有这一页")
            return
        else:
            self.page_start = 0
            self.note = "已是最后一页，回到第一页"
        self.load()

    def action_prev_page(self) -> None:
        """F9: the page before (none before the first)."""
        if self.page_start:
            self.note = f"换页：{len(self.marked)} 对的标记已取消" if self.marked else ""
            self.page_start = max(0, self.page_start - PAGE)
            self.load()
        else:
            self.say("已是第一页")

    def refill(self, keep_row: int = 0) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for p in self.found:
            table.add_row(
                "*" if key(p) in self.marked else "",
                str(p.b.score),
                f"{p.a_name} {p.a_birth_date[:4]}"[:16],
                (f"名单 {p.b.name}" if p.b.is_record else f"{p.b.name} {p.b.birth_date[:4]}")[:16],
                RULE_SHORT.get(p.b.rule, p.b.rule),
                DECIDED.get(self.decided.get(key(p), p.decision), ""),
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
        self.page_start = 0
        self.note = f"F7：{KINDS[self.kind]}"
        self.load()

    def action_back(self) -> None:
        self.workers.cancel_group(self, "pairs")
        self.workers.cancel_group(self, "page")
        self.app.pop_screen()

    def say(self, message: str) -> None:
        """Show the outcome of an action (or a refusal) above the count."""
        self.note = message
        self.show_state()

    def action_mark(self) -> None:
        row = self.query_one(DataTable).cursor_row
        if 0 <= row < len(self.found):
            self.marked ^= {key(self.found[row])}
            self.refill(row + 1)
            self.show_state()

    def action_decide(self, decision: str) -> None:
        table = self.query_one(DataTable)
        if not self.found:
            return
        rows = [i for i, p in enumerate(self.found) if key(p) in self.marked] or [table.cursor_row]
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
            self.decided.update(dict.fromkeys((key(found[i]) for i in ok), decision))
            self.say(message)

        def done(_: None) -> None:
            self.decided.update(dict.fromkeys((key(found[i]) for i in rows), decision))
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
            self.decided[key(p)] = "same"
            self.say(
                f"已合并：{p.b.name} 并入 {p.a_name}，转移 {done.moved} 条记录"
                + ("；原户已无人，一并注销" if done.household_removed else "")
            )
            self.refill(row + 1)
            self.update_pairs()  # the merged person's pairs go, 甲's are scored again

        def answered(yes: bool | None) -> None:
            if yes:
                who = self.app.operator
                write_then(self, lambda: merge_persons(p.a_uid, p.b.person_uid, operator=who), merged, refused)

        def refused(message: str) -> None:  # 乙 merged or removed meanwhile: the list is read again
            self.say(message)
            if "正在等待" not in message:  # not the notice of a write waiting for the lock
                self.update_pairs()

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
            if value and int(value) > 100:  # as the CLI refuses --min-score 101 (a newcomer's finding)
                self.say(f"得分是0-100，没有 {int(value)}：最低得分仍为 {self.min_score}")
            elif value:
                self.min_score = int(value)
                self.page_start = 0
                self.load()

        self.app.push_screen(
            AskScreen("最低得分", "只列得分不低于（0-100）：", restrict=r"\d*", max_length=3), answered
        )
