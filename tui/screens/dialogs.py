"""Small modal screens: yes/no confirmation, passphrase, code lookup, help."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from .. import text
from ..keys import SCOPES, TABLE, keys_text
from ..widgets.fields import PlainInput
from ..workers import core_work


class ConfirmScreen(ModalScreen[bool]):
    """Ask a yes/no question; dismisses with ``True`` for Y, ``False`` for N or Esc."""

    BINDINGS = [
        Binding("y,Y", "answer(True)", "是", id="confirm-yes"),
        Binding("n,N", "answer(False)", "否", id="confirm-no"),
        Binding("escape", "answer(False)", "否", show=False, id="confirm-escape"),
    ]

    def __init__(self, title: str, body: str):
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Static(self.body, id="confirm-body")
            yield Static(text.YES_NO, classes="dialog-keys")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class PassphraseScreen(ModalScreen[str | None]):
    """Ask for this office's passphrase; dismisses with it, or ``None`` on Esc."""

    BINDINGS = [Binding("escape", "cancel", "取消", id="passphrase-cancel")]

    def __init__(self, purpose: str):
        super().__init__()
        self.purpose = purpose

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.purpose, classes="dialog-title")
            yield Static(text.PASSPHRASE_PROMPT)
            yield PlainInput(password=True, id="passphrase")
            yield Static("回车确认    Esc 取消", classes="dialog-keys")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SignInScreen(ModalScreen[str | None]):
    """Name and PIN, where the clerks share one Linux account (storage.operators); dismisses with the
    name signed in, or ``None`` on Esc (the app then ends: nothing can be done unsigned)."""

    BINDINGS = [Binding("escape", "cancel", "退出", id="signin-cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(text.SIGN_IN_TITLE, classes="dialog-title")
            yield Static(text.SIGN_IN_PROMPT)
            yield PlainInput(id="signin-name", placeholder="名字", max_length=20)
            yield PlainInput(id="signin-pin", placeholder="PIN", password=True, restrict=r"[0-9０-９]*", max_length=8)
            yield Static("", id="signin-error")
            yield Static("回车确认    Esc 退出 hecha", classes="dialog-keys")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        name = self.query_one("#signin-name", Input).value
        if event.input.id == "signin-name" or not name.strip():
            self.query_one("#signin-pin").focus()
            return
        self.query_one("#signin-error", Static).update(text.SIGN_IN_CHECKING)
        self.check(name, event.value)

    @core_work("sign-in")
    def check(self, name: str, pin: str) -> None:
        from storage.operators import sign_in

        self.app.call_from_thread(self.dismiss, sign_in(name, pin))

    def core_failed(self, message: str) -> None:
        """A refused sign-in: the reason in words (not only in colour), the PIN cleared for another try."""
        self.query_one("#signin-error", Static).update(f"错误：{message}")
        pin = self.query_one("#signin-pin", Input)
        pin.value = ""
        pin.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)


class AskScreen(ModalScreen[str | None]):
    """Ask for one short value (a number …); dismisses with the text typed, or ``None`` on Esc."""

    BINDINGS = [Binding("escape", "cancel", "取消", id="ask-cancel")]

    def __init__(self, title: str, prompt: str, *, restrict: str | None = None, max_length: int = 0):
        super().__init__()
        self.title_text, self.prompt, self.restrict, self.max_length = title, prompt, restrict, max_length

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Static(self.prompt)
            yield PlainInput(id="ask", restrict=self.restrict, max_length=self.max_length)
            yield Static("回车确认    Esc 取消", classes="dialog-keys")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


def initials(text: str) -> str:
    """Pinyin initials of ``text`` for lookups (东山村 → dsc), lower case; pypinyin loads on first use."""
    from pypinyin import Style, lazy_pinyin

    return "".join(p[0] for p in lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore") if p).lower()


class LookupScreen(ModalScreen[str | None]):
    """Pick a code from a list: type to filter by code, Chinese text or pinyin initials (dsc finds
    东山村); Enter picks, Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "取消", id="lookup-cancel")]

    def __init__(self, title: str, items: list[tuple[str, str]]):
        super().__init__()
        self.title_text = title
        self.items = [(code, name, initials(name)) for code, name in items]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog lookup"):
            yield Static(self.title_text + "（输入代码、文字或拼音首字母筛选）", classes="dialog-title")
            yield PlainInput(id="lookup-filter")
            yield OptionList(*self._options(""), id="lookup-list")

    def _options(self, needle: str) -> list[Option]:
        key = needle.lower()
        return [
            Option(f"{code} {name}", id=code)
            for code, name, abbr in self.items
            if needle in code or needle in name or key in abbr
        ]

    def on_input_changed(self, event: Input.Changed) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._options(event.value.strip()))
        if options.option_count:
            options.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            self.dismiss(options.get_option_at_index(options.highlighted or 0).id)

    MOVES = {"down": "cursor_down", "up": "cursor_up", "pagedown": "page_down", "pageup": "page_up"}

    def on_key(self, event) -> None:
        """Arrow and page keys move in the list while the typing stays in the filter."""
        move = self.MOVES.get(event.key)
        if move:
            getattr(self.query_one(OptionList), f"action_{move}")()
            event.stop()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """F1: every key of the binding table, generated from it."""

    BINDINGS = [
        Binding("escape,f1,q", "close", "关闭", id="help-close"),
        Binding("down", "scroll(1)", show=False),
        Binding("up", "scroll(-1)", show=False),
        Binding("pagedown", "scroll(0, 1)", show=False),
        Binding("pageup", "scroll(0, -1)", show=False),
        Binding("home", "scroll(-100000)", show=False),
        Binding("end", "scroll(100000)", show=False),
    ]

    def __init__(self, scope: str | None = None):
        super().__init__()
        self.scope = scope  # the keys of the screen F1 was pressed on come first (issue 15)

    def compose(self) -> ComposeResult:
        lines = []
        order = [self.scope] if self.scope in SCOPES else []
        for scope in [*order, *(s for s in SCOPES if s not in order)]:
            title = SCOPES[scope]
            lines.append(f"【{title}】")
            keymap = getattr(self.app, "_keymap", {}) or {}
            lines += [f"  {text.pad(keys_text(s, keymap.get(s.id)), 22)}{s.label}" for s in TABLE if s.scope == scope]
        lines.append("【录入】 回车/Tab 下一项  Shift+Tab 上一项  填满自动跳到下一项")
        from ..terminal import SETTINGS

        lines.append("【终端设置】\n" + SETTINGS)
        with Vertical(classes="dialog help"):
            yield Static("帮助（方向键 PgUp PgDn 翻看，Esc 关闭）", classes="dialog-title")
            with VerticalScroll(id="help-body", can_focus=False):  # its own ↓: one line a refresh
                yield Static("\n".join(lines))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll(self, lines: int, pages: int = 0) -> None:
        """Scroll the help by ``lines`` (or ``pages`` of its height) at once: Textual's own scrolling
        waits for a refresh and starts from where the last one was heading, so a burst of ten ↓
        moved it one line (issue 15)."""
        body = self.query_one("#help-body", VerticalScroll)
        step = lines + pages * max(body.scrollable_content_region.height - 1, 1)
        body.scroll_to(y=body.scroll_y + step, animate=False, immediate=True)
