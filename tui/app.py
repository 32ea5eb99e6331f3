"""The Textual app: one factory (:func:`make_app`) used by ``main.py`` and every test."""

from __future__ import annotations

import sys
from pathlib import Path

from storage.db import open_db
from storage.office import current_office, reference_date
from storage.paths import operator_login, signed_in

from . import text
from .base import HechaBase
from .config import Config, ConfigError, load_config
from .keyorder import KeysInOrder
from .keys import bindings
from .workers import core_work

__all__ = ["Config", "ConfigError", "HechaApp", "load_config", "make_app", "run"]


class HechaApp(KeysInOrder, HechaBase):
    """hecha's TUI on one office database; keys typed ahead reach the field the cursor is in when
    their turn comes (:mod:`tui.keyorder`)."""

    CSS_PATH = "app.tcss"
    TITLE = text.APP_TITLE
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = bindings("app")

    def __init__(self, db_path: Path, config: Config | None = None):
        super().__init__()
        self.db_path = Path(db_path)
        self.config = config or Config()
        if self.config.keymap:
            self.set_keymap(dict(self.config.keymap))
        if self.config.ascii:
            self.use_ascii()
        # every redraw costs bytes on a slow SSH link: no animations, no cursor blink (DESIGN.md §10)
        self.animation_level = "none"
        self.last_carry: tuple[str, str, str] | None = None  # village, group, address of the last household saved

    def use_ascii(self) -> None:
        """ASCII borders and scroll bars: box-drawing and block characters are East Asian
        "ambiguous" width, two cells wide in a terminal set to treat them as wide (PuTTY's
        "Treat CJK ambiguous characters as wide", Xshell's East Asian width), which breaks every
        line they are on. Borders become ``+-|`` (``.-ascii`` in app.tcss), scroll bars plain."""
        from textual.scrollbar import ScrollBar, ScrollBarRender

        class AsciiScrollBarRender(ScrollBarRender):
            VERTICAL_BARS = [" "] * 8
            HORIZONTAL_BARS = [" "] * 8

        ScrollBar.renderer = AsciiScrollBarRender
        self.add_class("-ascii")
        self.ascii_output = True

    def ascii_driver(self) -> None:
        """In ASCII mode, every character East Asian "ambiguous" width that still reaches the
        terminal (a "…" in a message, "–" in 1–15, a list's "•", a half block "▌" of a widget, the
        border of a picker) is written as a one-cell ASCII one (:data:`tui.terminal.ASCII_FOR`), on
        the way out of the driver: no screen can miss it (issue 15)."""
        from .terminal import ASCII_FOR

        driver = self._driver
        if driver is None or getattr(driver, "_hecha_ascii", False):
            return
        write = driver.write

        def ascii_write(data: str) -> None:
            write(data.translate(ASCII_FOR))

        driver.write = ascii_write  # type: ignore[method-assign]
        driver._hecha_ascii = True  # type: ignore[attr-defined]

    def core_failed(self, node, message: str) -> None:
        """A core call in a worker (:func:`tui.workers.core_work`) failed: say so, and hand the
        message to the screen that ran it (``core_failed(message)``, to clear its busy line). The
        app stays up whatever the core raised."""
        screen = node if hasattr(node, "core_failed") else getattr(node, "screen", None)
        handler = getattr(screen, "core_failed", None)
        if handler is not None and screen is not self:  # the app's own worker: the note below is all
            handler(message)
        self.notify(message, title=text.NOT_DONE, severity="error", timeout=15)

    def on_mount(self) -> None:
        if not self.is_headless:
            self.end_on_signals()
        if getattr(self, "ascii_output", False):
            self.ascii_driver()
        open_db(self.db_path)
        self.call_after_refresh(resume_gc)

        self.office = current_office()
        self.reference_date = reference_date()
        self.operator = operator_login()
        self.is_demo = self.office.is_demo
        from storage import operators

        if operators.required() and not signed_in():
            from .screens.dialogs import SignInScreen

            self.push_screen(SignInScreen(), callback=self.signed_in)
            return
        self.start()

    def end_on_signals(self) -> None:
        """SIGTERM (a shutdown, ``kill``) and SIGHUP (the SSH session gone) end the app as F12 does:
        Textual then gives the terminal back (normal screen, cursor shown) instead of leaving it on
        the alternate screen with the cursor hidden (issue 15). What was keyed is in the draft, which
        every field left has written."""
        import asyncio
        import signal

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            try:
                loop.add_signal_handler(sig, self.exit)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread: nothing to restore
                pass

    def signed_in(self, name: str | None) -> None:
        """After the sign-in screen: start as ``name``, or end the app when the clerk left it."""
        if name is None:
            self.exit()
            return
        self.operator = name
        self.start()

    def start(self) -> None:
        """The main menu, and the day's backup behind it."""
        from .screens.home import HomeScreen

        self.push_screen(HomeScreen())
        self.daily_backup()

    @core_work("backup")
    def daily_backup(self) -> None:
        """The day's backup, in the background (storage.db.daily_backup): once a day, rotated."""
        from storage.db import daily_backup

        daily_backup(self.db_path)

    def pop_to_home(self) -> None:
        """Close every screen above the home menu."""
        from .screens.home import HomeScreen

        while len(self.screen_stack) > 2 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()

    def action_help(self) -> None:
        from .keys import scope_of
        from .screens.dialogs import HelpScreen

        self.push_screen(HelpScreen(scope_of(getattr(self.screen, "BINDINGS", []))))

    def action_quit_app(self) -> None:
        """Leave hecha; a form with unsaved work asks first, as Esc does."""
        unsaved = any(getattr(screen, "has_unsaved", lambda: False)() for screen in self.screen_stack)
        if not unsaved:
            self.exit()
            return
        from .screens.dialogs import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                from storage.drafts import clear_draft
                from storage.errors import OperatorError

                try:
                    clear_draft(self.operator)
                except OperatorError:  # busy: the draft stays, offered at the next start
                    pass
                self.exit()

        self.push_screen(ConfirmScreen("退出 hecha", text.DISCARD), answered)


def resume_gc() -> None:
    """Switch the garbage collector back on after :func:`main.pause_gc_for_start`, with what start-up
    made moved out of its reach (``gc.freeze``: those objects live as long as the app). A no-op when
    it is on (tests, other callers)."""
    import gc

    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def make_app(db_path: str | Path, config: Config | None = None) -> HechaApp:
    """The app for the database at ``db_path`` (which must exist and be initialised)."""
    return HechaApp(Path(db_path), config)


def run(db_path: str | Path, config: Config | None = None) -> None:
    """Run the TUI full-screen, mouse off, with the terminal guards (DESIGN.md §10).

    ``config`` defaults to :func:`tui.config.load_config`. Raises ``SystemExit(1)`` with the
    settings to change when the locale is not UTF-8 or the config file is wrong.
    """
    from .terminal import install_escape_split, install_input_guard, locale_problem

    if not (sys.stdin.isatty() and sys.stdout.isatty()):  # from cron or a pipe it would spin at full CPU
        sys.stderr.buffer.write(
            "错误：全屏界面要在终端里运行（PuTTY、Xshell 或本机终端）；脚本里请用 hecha 的命令。\n".encode()
        )
        raise SystemExit(1)
    problem = locale_problem()
    if problem:
        sys.stderr.buffer.write((problem + "\n").encode("utf-8", "replace"))
        raise SystemExit(1)
    if config is None:
        try:
            config = load_config()
        except ConfigError as exc:
            sys.stderr.buffer.write(f"错误：{exc}\n".encode("utf-8", "replace"))
            raise SystemExit(1) from None
    install_input_guard()
    install_escape_split()
    make_app(db_path, config).run(mouse=False)
