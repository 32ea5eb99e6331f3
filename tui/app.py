"""The Textual app: one factory (:func:`make_app`) used by ``main.py`` and every test."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from textual.app import App

from storage.db import open_db
from storage.office import current_office
from storage.paths import operator_login

from . import text
from .keys import bindings


@dataclass(frozen=True)
class Config:
    """Settings handed to the app (DESIGN.md §12), read by :func:`load_config`.

    ``keymap`` maps binding ids of :data:`tui.keys.TABLE` to keys (``"f10,ctrl+s"``).
    """

    keymap: tuple[tuple[str, str], ...] = ()


class ConfigError(Exception):
    """The config file cannot be used; the message (Chinese) says which file, where and why."""


def config_path() -> Path:
    """``$HECHA_CONFIG``, else ``<user config dir>/hecha/config.toml`` (platformdirs)."""
    import os

    env = os.environ.get("HECHA_CONFIG")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_path

    return user_config_path("hecha", appauthor=False) / "config.toml"


def load_config(path: Path | None = None) -> Config:
    """Read the TOML config (a missing file gives the defaults). Example::

        [keys]
        save-household = "f10,ctrl+s"
        lookup = "f4,ctrl+o"

    Raises :class:`ConfigError` for bad TOML, a value that is not a string, or an unknown action id.
    """
    path = path or config_path()
    if not path.exists():
        return Config()
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"配置文件 {path} 的 TOML 格式不对（{exc}）：检查方括号、引号和等号，改好后再启动") from None
    keys = data.get("keys", {})
    if not isinstance(keys, dict) or not all(isinstance(v, str) for v in keys.values()):
        raise ConfigError(f"配置文件 {path}：[keys] 下每项写成 操作 = \"键1,键2\"")
    from .keys import keymap_problems

    problems = keymap_problems(keys)
    if problems:
        raise ConfigError(f"配置文件 {path}：" + "；".join(problems))
    return Config(keymap=tuple(sorted(keys.items())))


class HechaApp(App):
    """hecha's TUI on one office database."""

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
        # every redraw costs bytes on a slow SSH link: no animations, no cursor blink (DESIGN.md §10)
        self.animation_level = "none"

    def on_mount(self) -> None:
        open_db(self.db_path)
        self.office = current_office()
        self.operator = operator_login()
        self.is_demo = self.office.is_demo
        from .screens.home import HomeScreen

        self.push_screen(HomeScreen())

    def pop_to_home(self) -> None:
        """Close every screen above the home menu."""
        from .screens.home import HomeScreen

        while len(self.screen_stack) > 2 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()

    def action_help(self) -> None:
        from .screens.dialogs import HelpScreen

        self.push_screen(HelpScreen())

    def action_quit_app(self) -> None:
        """Leave hecha; a form with unsaved work asks first, as Esc does."""
        unsaved = any(getattr(screen, "has_unsaved", lambda: False)() for screen in self.screen_stack)
        if not unsaved:
            self.exit()
            return
        from .screens.dialogs import ConfirmScreen

        def answered(yes: bool) -> None:
            if yes:
                from storage.drafts import clear_draft

                clear_draft(self.operator)
                self.exit()

        self.push_screen(ConfirmScreen("退出 hecha", text.DISCARD), answered)


def make_app(db_path: str | Path, config: Config | None = None) -> HechaApp:
    """The app for the database at ``db_path`` (which must exist and be initialised)."""
    return HechaApp(Path(db_path), config)


def run(db_path: str | Path) -> None:
    """Run the TUI full-screen, mouse off, with the terminal guards (DESIGN.md §10).

    Raises ``SystemExit(1)`` with the settings to change when the locale is not UTF-8.
    """
    from .terminal import install_input_guard, locale_problem

    problem = locale_problem()
    if problem:
        sys.stderr.buffer.write((problem + "\n").encode("utf-8", "replace"))
        raise SystemExit(1)
    try:
        config = load_config()
    except ConfigError as exc:
        sys.stderr.buffer.write(f"错误：{exc}\n".encode("utf-8", "replace"))
        raise SystemExit(1) from None
    install_input_guard()
    make_app(db_path, config).run(mouse=False)
