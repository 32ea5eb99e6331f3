"""Terminal guards for clerks on PuTTY/Xshell (DESIGN.md §10).

* :func:`locale_problem`: a non-UTF-8 locale gets a clear Chinese message with the settings to
  change, instead of a crash on the first Chinese character.
* :func:`install_input_guard`: Textual 8.2's Linux driver decodes keyboard input as strict UTF-8
  (``run_input_thread`` in ``textual/drivers/linux_driver.py``), so one GBK byte (张 = D5 C5 from a
  client left on GBK) ends the app with ``UnicodeDecodeError``. The guard gives that module a decoder
  factory with ``errors="replace"``; the U+FFFD that then reaches a field is the signal to show
  :data:`GBK_MESSAGE`. It rides on a private detail of Textual, so Textual's range is pinned
  (pyproject.toml) and a real-terminal test sends GBK bytes.
* :func:`install_escape_split`: Esc followed by a key in the same read (a slow SSH link delivers a
  clerk's ``Esc y`` as one packet) is two keys, Esc then the key, never Alt+key: Textual's parser
  (``textual/_xterm_parser.py``) took ``\x1b2`` as ``™`` and ``\x1by`` as ``alt+y``, so the 放弃
  dialog never came and a character was typed instead. hecha gives Alt no meaning anywhere.
"""

from __future__ import annotations

import codecs
import functools
import locale
import sys

REPLACEMENT = "\ufffd"
SETTINGS = (
    "PuTTY：Window>Translation>Remote character set 选 UTF-8；Connection>Data>Terminal-type string 填 xterm。\n"
    "Xshell：文件>属性>终端>编码 选 Unicode (UTF-8)；终端类型 xterm。\n"
    "服务器上：export LANG=zh_CN.UTF-8（或 C.UTF-8）后重新运行 hecha。"
)
GBK_MESSAGE = "终端送来的不是 UTF-8 文字（可能是 GBK）：请把 PuTTY/Xshell 的字符集设为 UTF-8，按F1看设置方法"


def locale_problem() -> str | None:
    """A Chinese message when this process's locale is not UTF-8, else ``None``."""
    encoding = (locale.getpreferredencoding(False) or "").lower().replace("-", "").replace("_", "")
    stdout = (getattr(sys.stdout, "encoding", "") or "").lower().replace("-", "").replace("_", "")
    if encoding in ("utf8",) and stdout in ("utf8", ""):
        return None
    return (
        f"hecha 需要 UTF-8 终端，现在的编码是 {encoding or '未知'}（stdout {stdout or '未知'}）。\n"
        "hecha needs a UTF-8 terminal (LANG=zh_CN.UTF-8 or C.UTF-8).\n" + SETTINGS
    )


def install_input_guard() -> None:
    """Make Textual's Linux input thread decode with ``errors="replace"`` (see the module text)."""
    from textual.drivers import linux_driver

    if getattr(linux_driver, "_hecha_guard", False):
        return

    def lenient(encoding: str):
        return functools.partial(codecs.getincrementaldecoder(encoding), errors="replace")

    linux_driver.getincrementaldecoder = lenient
    setattr(linux_driver, "_hecha_guard", True)  # noqa: B010  (a flag on a module of Textual's)


NOT_A_KEY_AFTER_ESC = frozenset("[O]P_\\\x1b")  # CSI, SS3, OSC, DCS, APC, ST, Esc Esc: sequences, not keys


def install_escape_split() -> None:
    """Make Textual's input parser read ``Esc`` + one key as two keys (see the module text).

    Its ``XTermParser._sequence_to_key_events`` is given two cases first: the two-character
    sequence ``\x1b`` + a character that starts no escape sequence (:data:`NOT_A_KEY_AFTER_ESC`), and
    a key the parser would report with Alt (``alt=True``, Esc then a character on a timeout): each
    becomes an ``escape`` key and the key itself. Rides on a private detail of Textual (pinned;
    ``tests/test_terminal.py`` sends ``Esc y`` in one write through tmux, and a unit test feeds the
    parser)."""
    from textual import events
    from textual._xterm_parser import XTermParser

    if getattr(XTermParser, "_hecha_escape_split", False):
        return
    original = XTermParser._sequence_to_key_events

    def split(self, sequence: str, alt: bool = False):
        if len(sequence) == 2 and sequence[0] == "\x1b" and sequence[1] not in NOT_A_KEY_AFTER_ESC:
            yield events.Key("escape", "\x1b")
            yield from original(self, sequence[1])
            return
        if alt:
            yield events.Key("escape", "\x1b")
        yield from original(self, sequence)

    XTermParser._sequence_to_key_events = split  # type: ignore[method-assign]
    setattr(XTermParser, "_hecha_escape_split", True)  # noqa: B010  (a flag on a class of Textual's)


ASCII_FOR = str.maketrans(  # one-cell ASCII for the ambiguous-width characters hecha's screens may show
    {
        "…": "~",
        "–": "-",
        "—": "-",
        "•": "*",
        "·": ".",
        "→": ">",
        "←": "<",
        "↑": "^",
        "↓": "v",
        "▌": "|",
        "▐": "|",
        "▊": "|",
        "▎": "|",
        "▔": "-",
        "▁": "_",
        "█": "#",
        "░": " ",
        "▒": " ",
        "▓": "#",
        "─": "-",
        "│": "|",
        "┌": "+",
        "┐": "+",
        "└": "+",
        "┘": "+",
        "━": "-",
        "┃": "|",
        "✓": "v",
        "✗": "x",
        "×": "x",
        "°": "o",
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
    }
)
"""What ASCII mode (``HECHA_ASCII=1``, ``ascii = true``) writes in place of each East Asian "ambiguous"
character: PuTTY or Xshell set to draw those two cells wide would break every line holding one."""
