"""The TUI's settings: a frozen dataclass read from a TOML file, with ``HECHA_*`` environment
overrides (DESIGN.md §12). Imports no Textual, so the colour setting can be put in Textual's
environment (``TEXTUAL_COLOR_SYSTEM``) before Textual is first imported (:func:`apply_colors`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

COLORS = {"16": "standard", "256": "256", "truecolor": "truecolor"}
"""``[display] colors`` → Textual's colour system (``TEXTUAL_COLOR_SYSTEM``)."""


@dataclass(frozen=True)
class Config:
    """Settings handed to the app, read by :func:`load_config`.

    ``keymap`` maps binding ids of :data:`tui.keys.TABLE` to keys (``"f10,ctrl+s"``); ``ascii``
    draws borders and scroll bars in ASCII (for terminals that show East Asian ambiguous-width
    characters two cells wide); ``colors`` is ``""`` (what the terminal says), ``"16"``, ``"256"``
    or ``"truecolor"``.
    """

    keymap: tuple[tuple[str, str], ...] = ()
    ascii: bool = False
    colors: str = ""
    mask_ids: bool = True  # [worklist] mask_ids: home-visit lists show only the last four digits of ID numbers


class ConfigError(Exception):
    """The config file cannot be used; the message (Chinese) says which file, where and why."""


def config_path() -> Path:
    """``$HECHA_CONFIG``, else ``<user config dir>/hecha/config.toml`` (platformdirs)."""
    env = os.environ.get("HECHA_CONFIG")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_path

    return user_config_path("hecha", appauthor=False) / "config.toml"


def _flag(value: str, name: str) -> bool:
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"环境变量 {name}={value!r} 不对：写 1（是）或 0（否）")


def load_config(path: Path | None = None) -> Config:
    """Read the TOML config (a missing file gives the defaults), then the environment
    (``HECHA_ASCII=1``, ``HECHA_COLORS=16``), which wins. Example::

        [keys]
        save-household = "f10,ctrl+s"
        lookup = "f4,ctrl+o"

        [display]
        ascii = true     # 边框用 + - |
        colors = 16      # 16 色

        [worklist]
        mask_ids = false # 入户核查表显示完整身份证号（默认只显示后四位）

    Raises :class:`ConfigError` for bad TOML, a value of the wrong kind, or an unknown action id.
    """
    path = path or config_path()
    data: dict = {}
    if path.exists():
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(
                f"配置文件 {path} 的 TOML 格式不对（{exc}）：检查方括号、引号和等号，改好后再启动"
            ) from None
    keys = data.get("keys", {})
    if not isinstance(keys, dict) or not all(isinstance(v, str) for v in keys.values()):
        raise ConfigError(f'配置文件 {path}：[keys] 下每项写成 操作 = "键1,键2"')
    from .keys import keymap_problems

    problems = keymap_problems(keys)
    if problems:
        raise ConfigError(f"配置文件 {path}：" + "；".join(problems))
    display = data.get("display", {})
    if not isinstance(display, dict):
        raise ConfigError(f"配置文件 {path}：[display] 应是一节（ascii = true / colors = 16）")
    unknown = sorted(set(display) - {"ascii", "colors"})
    if unknown:
        raise ConfigError(f"配置文件 {path}：[display] 没有 {'、'.join(unknown)} 这一项（可用：ascii、colors）")
    ascii_ = display.get("ascii", False)
    if not isinstance(ascii_, bool):
        raise ConfigError(f"配置文件 {path}：[display] ascii 写 true 或 false")
    colors = str(display.get("colors", ""))
    if "HECHA_ASCII" in os.environ:
        ascii_ = _flag(os.environ["HECHA_ASCII"], "HECHA_ASCII")
    colors = os.environ.get("HECHA_COLORS", colors).strip()
    if colors and colors not in COLORS:
        raise ConfigError(
            f"颜色设置 {colors!r} 不对（配置文件 {path} 的 [display] colors 或 HECHA_COLORS）：写 16、256 或 truecolor"
        )
    worklist = data.get("worklist", {})
    if (
        not isinstance(worklist, dict)
        or set(worklist) - {"mask_ids"}
        or not isinstance(worklist.get("mask_ids", True), bool)
    ):
        raise ConfigError(f"配置文件 {path}：[worklist] 只有一项 mask_ids = true 或 false")
    return Config(
        keymap=tuple(sorted(keys.items())), ascii=ascii_, colors=colors, mask_ids=worklist.get("mask_ids", True)
    )


def apply_colors(config: Config) -> None:
    """Put ``config.colors`` into Textual's environment; call before Textual is imported
    (Textual reads ``TEXTUAL_COLOR_SYSTEM`` once, when it loads)."""
    if config.colors:
        os.environ["TEXTUAL_COLOR_SYSTEM"] = COLORS[config.colors]
