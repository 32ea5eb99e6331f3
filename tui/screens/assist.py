"""协查 (assistance requests, issue 17): the inbox of requests received, the requests this office
sent, the statistics, one request in full with its local matches and history, and the reply form.

Every list is a page read from SQL (:func:`storage.assist.inbox`); overdue is said in words
(「逾期3个工作日」), not only in colour; a provisional due date carries 暂. Writes go through
:func:`tui.workers.write_then` (never on the UI thread) and the same functions as ``hecha assist``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static

from storage import assist

from ..keys import bindings
from ..widgets.fields import MarkedTable, PlainInput
from ..widgets.keyline import KeyLine
from ..workers import core_work, write_then
from .dialogs import ConfirmScreen

if TYPE_CHECKING:
    from ..base import HechaBase

PAGE = 100
VIEWS = {"received": "收到的协查", "sent": "本单位发出的协查", "relay": "等待分派的协查", "stats": "协查统计"}


def short_no(request_no: str) -> str:
    """``130125103-2026-0001`` → ``2026-0001`` (the office is in its own column)."""
    return request_no.split("-", 1)[1] if "-" in request_no else request_no


class AssistScreen(Screen):
    """The lists: F2 received (by due date), F3 sent, F4 statistics, F5 awaiting routing (county),
    F6 open only / all, Enter one request, F8/F9 pages, Esc back."""

    BINDINGS = bindings("assist")
    if TYPE_CHECKING:
        app: HechaBase

    @dataclass
    class PageRead(Message):
        view: str
        rows: list
        total: int

    def compose(self) -> ComposeResult:
        yield Static("协查：回车查看、回复；F2 收到的 F3 发出的 F4 统计 F6 待处理/全部", classes="title")
        table = MarkedTable(id="assist-list", cursor_type="row")
        table.can_focus = False  # until the first page is there
        yield table
        yield Static("正在读出协查...", id="assist-state")
        yield KeyLine()

    def on_mount(self) -> None:
        self.view = "relay" if self.app.office.level == "county" else "received"
        self.open_only = True
        self.page_start = 0
        self.rows: list = []
        self.ready_for_keys = False
        table = self.query_one(MarkedTable)
        table.chosen = self.choose
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    @core_work("assist-page")
    def load(self) -> None:
        if self.view == "stats":
            stats = assist.stats()
            self.post_message(self.PageRead("stats", stats, len(stats)))
            return
        rows = assist.inbox(self.view, open_only=self.open_only, offset=self.page_start, limit=PAGE)
        self.post_message(self.PageRead(self.view, rows, assist.count(self.view, open_only=self.open_only)))

    def on_assist_screen_page_read(self, event: PageRead) -> None:
        table = self.query_one(MarkedTable)
        row = table.cursor_row
        table.clear(columns=True)
        self.rows = event.rows
        if event.view == "stats":
            for label, width in (("月份", 7), ("单位", 10), ("发出", 4), ("收到", 4), ("回复", 4), ("按时", 4)):
                table.add_column(label, width=width)
            table.add_column("逾期", width=4)
            table.add_column("核实", width=4)
            for r in event.rows:
                table.add_row(r.month, r.office, r.sent, r.received, r.answered, r.on_time, r.late, r.verified)
            state = f"{VIEWS['stats']}：{len(event.rows)} 行（按单位、按月）" if event.rows else "还没有协查。"
        else:
            other = "发往" if event.view == "sent" else "发起单位"
            for label, width in (("编号", 9), ("对象", 8), (other, 14), ("到期", 11), ("状态", 14), ("急", 4)):
                table.add_column(label, width=width)
            for r in event.rows:
                due = (r.due[2:] + ("暂" if r.provisional else "")) if r.due else "—"
                table.add_row(  # Text: what another office wrote is shown, never read as markup
                    short_no(r.request_no),
                    Text(assist.printable(r.name)),
                    Text(assist.printable(r.origin_name if event.view != "sent" else r.to_name)),
                    due,
                    r.state,
                    assist.PRIORITIES.get(r.priority, ""),
                )
            what = VIEWS[event.view] + ("（待处理）" if self.open_only else "（全部）")
            if event.rows:
                last = self.page_start + len(event.rows)
                pages = "；F8 下一页 F9 上一页" if event.total > len(event.rows) else ""
                state = f"{what}：共 {event.total} 件，第 {self.page_start + 1}–{last} 件{pages}"
            else:
                state = f"没有{what}。"
        self.query_one("#assist-state", Static).update(state)
        table.can_focus = True
        if table.row_count:
            table.move_cursor(row=min(max(row, 0), table.row_count - 1))
        table.focus()
        self.ready_for_keys = True

    def choose(self, row: int) -> None:
        if self.view == "stats" or not (0 <= row < len(self.rows)):
            return
        self.app.push_screen(AssistDetailScreen(self.rows[row].uid))

    def show(self, view: str) -> None:
        if view == "relay" and self.app.office.level != "county":
            self.query_one("#assist-state", Static).update("等待分派的协查只在县级。")
            return
        if view == "stats" and self.view != "stats":
            self.before_stats = self.view  # Esc goes back to this list
        self.view, self.page_start = view, 0
        self.load()

    def action_view(self, view: str) -> None:
        self.show(view)

    def action_toggle_open(self) -> None:
        self.open_only, self.page_start = not self.open_only, 0
        self.load()

    def action_next_page(self) -> None:
        if self.view != "stats" and len(self.rows) == PAGE:
            self.page_start += PAGE
            self.load()

    def action_prev_page(self) -> None:
        if self.page_start:
            self.page_start = max(0, self.page_start - PAGE)
            self.load()

    def action_back(self) -> None:
        if self.view == "stats":  # the statistics are a view of this screen: Esc returns to the list
            self.show(getattr(self, "before_stats", "received"))
            return
        self.app.pop_screen()

    def core_failed(self, message: str) -> None:
        self.query_one("#assist-state", Static).update(f"错误：{message}")


class AssistDetailScreen(Screen):
    """One request in full (:func:`storage.assist.describe`): F2 reply (received), F3 a home visit,
    F4 take the reply (sent: apply its corrections to this office's rows, or not), Esc back."""

    BINDINGS = bindings("assistone")
    if TYPE_CHECKING:
        app: HechaBase

    @dataclass
    class Read(Message):
        lines: list[str]
        role: str
        status: str
        replied: bool

    def __init__(self, uid: str):
        super().__init__()
        self.uid = uid
        self.role = self.status = ""
        self.replied = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="assist-body"):
            yield Static("正在读出...", id="assist-text")
        yield Static("", id="assist-said")
        yield KeyLine()

    def on_mount(self) -> None:
        self.read()

    def on_screen_resume(self) -> None:
        self.read()

    @core_work("assist-one")
    def read(self) -> None:
        from storage.dates import local_time

        req = assist.find(self.uid)
        assist.opened(req, operator=self.app.operator)
        lines = assist.describe(req, local_time)
        self.post_message(self.Read(lines, req.role, req.status, assist.the_reply(req) is not None))

    def on_assist_detail_screen_read(self, event: Read) -> None:
        self.role, self.status, self.replied = event.role, event.status, event.replied
        self.query_one("#assist-text", Static).update(Text("\n".join(event.lines)))
        self.query_one("#assist-body").focus()

    def say(self, text: str) -> None:
        self.query_one("#assist-said", Static).update(Text(assist.printable(text)))

    def done(self, text: str) -> None:
        """A write finished: say so and read the request again (its history grew)."""
        self.say(text)
        self.read()

    def action_reply(self) -> None:
        if self.role != "received" or self.status != "open":
            self.say("只有收到的、还没有回复的协查才能回复。")
            return

        def replied(saved: bool | None) -> None:
            self.say("已回复，随下一个数据包发出。" if saved else "没有回复。")

        self.app.push_screen(ReplyScreen(self.uid), replied)

    def action_visit(self) -> None:
        if self.role != "received":
            self.say("入户核实记在收到的协查上。")
            return
        from .dialogs import AskScreen

        def got(note: str | None) -> None:
            if note is None:
                return
            write_then(
                self,
                lambda: assist.record_visit(self.uid, note, operator=self.app.operator),
                lambda _: self.done("已记下入户核实。"),
                self.say,
            )

        self.app.push_screen(AskScreen("入户核实", "入户情况（回车记下，Esc 取消）："), got)

    def action_verify(self) -> None:
        if self.role != "sent" or not self.replied or self.status == "closed":
            self.say("只有本单位发出的、已收到回复还没核实的协查才能核实。")
            return

        def answered(apply: bool | None) -> None:
            write_then(
                self,
                lambda: assist.verify(self.uid, apply=bool(apply), operator=self.app.operator),
                lambda ans: self.done("已核实" + (f"：{ans.applied}" if ans.applied else "。")),
                self.say,
            )

        self.app.push_screen(
            ConfirmScreen(
                "核实回复",
                "按回复更正本单位的人员和出生记录吗？\n"
                "Y 更正并核实（不一致时）    N 不改记录，只核实（已手工更正或不采纳）",
            ),
            answered,
        )

    def action_route(self) -> None:
        """County: hand a request it could not route to a township of its own (9 digits) or on to
        another county (6)."""
        if self.role != "relay" or self.status != "unrouted":
            self.say("只有县里等待分派的协查才能分派。")
            return
        from .dialogs import AskScreen

        def got(code: str | None) -> None:
            if code:
                write_then(
                    self,
                    lambda: assist.route(self.uid, code, operator=self.app.operator),
                    lambda req: self.done(f"已分派给 {req.next_hop}：在「导出数据包」里发出。"),
                    self.say,
                )

        ask = AskScreen("分派协查", "本县乡镇9位代码，或外县6位代码：", restrict=r"[0-9]*", max_length=9)
        self.app.push_screen(ask, got)

    def action_back(self) -> None:
        self.app.pop_screen()

    def core_failed(self, message: str) -> None:
        self.say(f"错误：{message}")


class ReplyScreen(ModalScreen[bool]):
    """The reply form: the outcome by its digit, the fields found (不一致), where to (已迁出), a note,
    visited Y/N. F10 saves (the core checks every field and says which is wrong), Esc leaves."""

    BINDINGS = bindings("reply")

    FIELDS = (
        ("outcome", "结果 1一致 2不一致 3查无此人 4已迁出", r"[1-4]", 1),
        ("birth_date", "不一致：出生日期（出生核查为孩子的，年月日8位）", r"[0-9]*", 8),
        ("sex", "不一致：性别（1男 2女）", r"[12]", 1),
        ("birth_order", "不一致：孩次", r"[0-9]*", 2),
        ("name", "不一致：姓名", None, 20),
        ("id_number", "不一致：身份证号（改出生日期时一并改）", r"[0-9Xx]*", 18),
        ("moved_to", "已迁出：迁往何处", None, 60),
        ("note", "说明", None, 200),
        ("visited", "已入户核实（Y/N）", r"[YyNn]", 1),
    )

    def __init__(self, uid: str):
        super().__init__()
        self.uid = uid

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="reply-form"):
            yield Static("回复协查（回车到下一项，F10 保存，Esc 返回）", classes="dialog-title")
            for key, label, restrict, most in self.FIELDS:
                yield Static(" " + label, id=f"label-{key}")
                yield PlainInput(id=f"reply-{key}", restrict=restrict, max_length=most)
            yield Static("", id="reply-error")

    def on_mount(self) -> None:
        self.query_one("#reply-outcome", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    def on_descendant_focus(self, event) -> None:
        """``>`` before the focused field's label: the field is found without colour (issue 15)."""
        focused = getattr(event.widget, "id", "") or ""
        for key, label, *_ in self.FIELDS:
            mark = ">" if focused == f"reply-{key}" else " "
            self.query_one(f"#label-{key}", Static).update(mark + label)

    def values(self) -> dict[str, str]:
        return {key: self.query_one(f"#reply-{key}", Input).value.strip() for key, *_ in self.FIELDS}

    def action_save(self) -> None:
        v = self.values()
        outcome = {"1": "consistent", "2": "inconsistent", "3": "not_found", "4": "moved_out"}.get(v["outcome"])
        if outcome is None:
            self.error("先填结果：1 一致、2 不一致、3 查无此人、4 已迁出")
            self.query_one("#reply-outcome", Input).focus()
            return
        fixed = {k: v[k] for k in ("birth_date", "sex", "birth_order", "name", "id_number") if v[k]}
        self.error("正在保存...")
        write_then(
            self,
            lambda: assist.reply(
                self.uid,
                outcome,
                corrections=fixed,
                moved_to=v["moved_to"],
                note=v["note"],
                visited=v["visited"].upper() == "Y",
                operator=self.app.operator,  # type: ignore[attr-defined]
            ),
            lambda _: self.saved(),
            lambda message: self.error(message if message.startswith("错误") else f"错误：{message}"),
        )

    def saved(self) -> None:
        self.dismiss(True)

    def error(self, message: str) -> None:
        self.query_one("#reply-error", Static).update(Text(assist.printable(message)))

    def action_cancel(self) -> None:
        self.dismiss(False)
