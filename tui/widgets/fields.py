"""One-line field widgets for the entry screens (DESIGN.md §10).

:class:`FieldInput` is a borderless one-line :class:`~textual.widgets.Input` with a fixed width that
can move on by itself when full (an 18-character ID number, an 8-digit date, a fixed-width code),
only when the clerk's typing fills it, never when a screen sets its value. :func:`code_field` lays
out a code input with its meaning shown beside it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Input, Static

from ..terminal import GBK_MESSAGE, REPLACEMENT

GBK_NOTICE_SECONDS = 8

EDITING_KEYS = {
    "backspace": "delete_left",
    "delete": "delete_right",
    "left": "cursor_left",
    "right": "cursor_right",
    "home": "home",
    "end": "end",
    "ctrl+a": "home",
    "ctrl+u": "delete_left_all",
    "ctrl+k": "delete_right_all",
}


SEPARATORS = frozenset(" -/.,:_·'")  # what a copied ID number, code or date carries between its characters


def normalise(text: str, restrict: str | None) -> str:
    """``text`` as a field takes it, typed or pasted (issue 15): NFKC, so full-width digits and
    letters and the ideographic space U+3000 become their ASCII forms; in a field restricted to some
    characters (an ID number, a code, a date), spaces and separators (:data:`SEPARATORS`) are dropped,
    as copying from a document or a spreadsheet adds them. A line break ends the text; control and
    format characters (an escape sequence copied from a terminal) are dropped, a tab is a space."""
    text = unicodedata.normalize("NFKC", text.splitlines()[0] if text else "")
    text = "".join(" " if c == "\t" else c for c in text if c == "\t" or unicodedata.category(c)[0] != "C")
    if restrict:
        text = "".join(c for c in text if not (c in SEPARATORS or c.isspace()))
    return text


class PlainInput(Input, inherit_bindings=False):
    """An input for hecha's screens: one line (compact), cursor blink off (each blink costs bytes on
    a slow SSH link, DESIGN.md §10).

    Its editing keys (:data:`EDITING_KEYS`) run in the order they were typed, together with the
    characters: Textual's own Input runs them as bindings after the characters typed behind them
    in the same burst (Textual issue #6605), so Backspace in a burst deleted the wrong character.
    Input's other bindings (Ctrl+E, Ctrl+X, Ctrl+D …) are left to hecha's binding table.
    """

    BINDINGS = []

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("compact", True)
        super().__init__(*args, **kwargs)
        self.cursor_blink = False

    async def _on_key(self, event: events.Key) -> None:
        if self.is_attached and self.app.screen is not self.screen:
            # type-ahead past a dialog: Esc opened 放弃？ and the y typed with it was already on its way
            # here; it belongs to the screen now on top (issue 15: Esc y over SSH typed y into the field)
            event.stop()
            event.prevent_default()
            await self.app.on_event(events.Key(event.key, event.character))
            return
        if (
            not event.is_printable
            and event.key not in EDITING_KEYS
            and event.key not in ("enter", "tab")
            and await self.run_binding_now(event)
        ):
            return
        if event.character == REPLACEMENT:  # a byte that was not UTF-8 (GBK from the client)
            event.stop()
            event.prevent_default()
            import time

            # one notice at a time: a GBK name is several bytes, each a replacement character
            # (issue 15: the notices piled up over the form)
            app = self.app
            if time.monotonic() >= getattr(app, "gbk_notice_until", 0.0):  # HechaBase's; 0 in a bare app
                setattr(app, "gbk_notice_until", time.monotonic() + GBK_NOTICE_SECONDS)  # noqa: B010
                self.notify(GBK_MESSAGE, severity="error", timeout=GBK_NOTICE_SECONDS)
            return
        action = EDITING_KEYS.get(event.key)
        if action is not None:
            event.stop()
            event.prevent_default()
            await self.run_action(action)
            self.edited()
            return
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            await self.action_submit()
            return
        if event.character and not event.is_printable and unicodedata.category(event.character) == "Zs":
            event = events.Key("space", " ")  # U+3000 typed by an input method: one way with a pasted one
        if event.is_printable:  # an edit only when taken: keys a full field refuses keep the message
            before = (self.value, self.selection)
            await super()._on_key(event)
            if (self.value, self.selection) != before:
                self.edited()
            return
        await super()._on_key(event)

    async def run_binding_now(self, event: events.Key) -> bool:
        """Run the screen's binding for the key ``event`` (Esc, a function key) here and now, instead of
        letting it bubble up to the screen's queue while the keys typed after it are handled first
        (issue 15: Esc y in one read typed y into the field before the 放弃 dialog opened; now the
        dialog is up before y is read, and y goes to it). Returns whether a binding ran."""
        active = self.screen.active_bindings.get(event.key)
        if active is None or not active.enabled:
            return False
        event.stop()
        event.prevent_default()
        await self.app.run_action(active.binding.action, active.node)
        return True

    def replace(self, text: str, start: int, end: int) -> None:
        """Every insertion, typed or pasted, normalised one way (:func:`normalise`) before Textual's
        checks: a full-width ０ or ａ typed by an input method is 0 or a, a pasted ID number loses its
        spaces (issue 15: typed full-width digits were dropped or refused later, pastes with a space
        were dropped whole and without a word)."""
        cleaned = normalise(text, self.restrict)
        if text and not cleaned and len(text) > 1:
            self.refused(text)
            return
        self._refusing = text if len(text) > 1 else ""
        super().replace(cleaned, start, end)
        self._refusing = ""

    def restricted(self) -> None:
        """A character or paste the field does not take: a paste is said in words (a typed key only
        rings the bell, as before: a note a keystroke would pile up)."""
        if getattr(self, "_refusing", ""):
            self.refused(self._refusing)
        else:
            super().restricted()

    def refused(self, text: str) -> None:
        """Say why ``text`` (a paste) was not taken."""
        shown = text if len(text) <= 24 else text[:24] + "…"
        what = {r"[0-9Xx]*": "数字和X", r"[A-Za-z0-9]*": "字母和数字"}.get(self.restrict or "", "数字")
        room = f"，最多{self.max_length}个" if self.max_length else ""
        self.notify(f"粘贴的「{shown}」填不进这一项：这一项只收{what}{room}", severity="warning", timeout=8)

    def _on_paste(self, event: events.Paste) -> None:
        """The paste inserted here, once (Textual calls every class's ``_on_paste`` unless the default
        is prevented: calling Input's too inserted it twice), then the screen told and a full field
        moved on."""
        event.stop()
        event.prevent_default()
        if event.text:
            selection = self.selection
            if selection.is_empty:
                self.insert_text_at_cursor(event.text)
            else:
                self.replace(event.text, *selection)
        self.edited()
        self.pasted()

    def pasted(self) -> None:
        """Hook: a paste was taken (a field that moves on when full does so)."""

    def edited(self) -> None:
        """The clerk changed this field by a key (hook for screens: ``field_edited(input)``)."""
        hook = getattr(self.screen, "field_edited", None)
        if hook is not None:
            hook(self)


class FieldInput(PlainInput):
    """A compact input for one form field; ``field`` names it for the screen.

    Enter and Tab, and typing a full ``auto_advance`` field, call the screen's ``advance(field)``
    synchronously, and the screen moves the focus synchronously (``Screen.set_focus``). Keys that
    arrived before the focus moved (type-ahead: over SSH a fast clerk's keys come in bursts) are
    passed on, in order, to the field that has the focus now, instead of landing in this one.
    """

    DEFAULT_CSS = """
    FieldInput {
        border: none;
        height: 1;
        padding: 0;
        background: $boost;
    }
    FieldInput:focus {
        border: none;
        background: $primary 40%;
    }
    """

    def __init__(self, field: str, width: int, *, auto_advance: bool = False, most: int = 0, **kwargs):
        kwargs.setdefault("id", field)
        # a field reached with a value (carried forward, or the cursor sent back to fix it) is
        # selected: Enter keeps it, typing replaces it, Backspace clears it
        kwargs.setdefault("select_on_focus", True)
        super().__init__(**kwargs)
        self.field = field
        self.auto_advance = auto_advance
        self.most = most  # a number field of 1..most moves on as soon as no longer number begins with what is typed
        # one cell more than the value, so a full field shows its cursor without scrolling
        self.styles.width = width + 1

    def _advance(self) -> bool:
        advance = getattr(self.screen, "advance", None)
        if advance is None:
            return False
        advance(self.field)
        return True

    async def _on_key(self, event: events.Key) -> None:
        focused = self.screen.focused
        if focused is not None and focused is not self:
            event.stop()
            event.prevent_default()
            # type-ahead: the key belongs to the field the cursor is in now (a fresh event: this
            # one is stopped)
            focused._forward_event(events.Key(event.key, event.character))
            return
        if event.key in ("enter", "tab") and self._advance():
            event.stop()
            event.prevent_default()
            return
        before, replacing = self.value, not self.selection.is_empty
        await super()._on_key(event)
        # typed (inserted, or replacing a selection, even with the same text) and now full: move on
        accepted = self.value != before or (
            replacing
            and event.character is not None
            and (not self.restrict or re.fullmatch(self.restrict, normalise(event.character, self.restrict)))
        )
        if event.is_printable and accepted and self.auto_advance and self.cursor_at_end and self.full():
            self._advance()

    def label(self) -> Label | None:
        """The label drawn just before this field, if it has one."""
        siblings = list(self.parent.children) if self.parent is not None else []
        at = siblings.index(self) if self in siblings else 0
        before = siblings[at - 1] if at else None
        return before if isinstance(before, Label) else None

    def _on_focus(self, event: events.Focus) -> None:
        super()._on_focus(event)
        if (label := self.label()) is not None:
            label.mark(True)

    def _on_blur(self, event: events.Blur) -> None:
        super()._on_blur(event)
        if (label := self.label()) is not None:
            label.mark(False)

    def pasted(self) -> None:
        """A paste that fills the field moves on as typing does (an ID number: sex and birth date)."""
        if self.auto_advance and self.cursor_at_end and self.full():
            self._advance()

    def full(self) -> bool:
        """Whether the value typed so far is all the field can take (:func:`complete`)."""
        return complete(self.value, self.max_length or 0, self.most)


def complete(value: str, width: int, most: int = 0) -> bool:
    """Whether a field of ``width`` characters holding ``value`` takes no more: it is full, or it is a
    number of at most ``most`` that no further digit can extend (孩次 up to 15: ``2`` is complete,
    ``1`` may become ``12``, ``0`` must become ``01``–``09``). Issue 15: 孩次 needed Enter where the
    one-digit codes beside it did not, and a clerk typing heads-down lost the keys after it."""
    if width and len(value) >= width:
        return True
    return bool(most) and value.isdigit() and int(value) > 0 and int(value) * 10 > most


class Label(Static):
    """A field's label, one line, no wrapping; its first cell is ``>`` while its field has the cursor
    (issue 15: with 16 colours, or none, the focused field was told by colour alone)."""

    DEFAULT_CSS = """
    Label {
        width: auto;
        height: 1;
        padding: 0;
    }
    """

    def __init__(self, text: str = "", **kwargs):
        super().__init__(f" {text}", **kwargs)
        self.text = text

    def mark(self, on: bool) -> None:
        """Show (or take away) the ``>`` before the label."""
        self.update(f"{'>' if on else ' '}{self.text}")


class Meaning(Static):
    """The meaning of a code shown beside its field (e.g. 汉族 beside 01)."""

    DEFAULT_CSS = """
    Meaning {
        width: auto;
        min-width: 4;
        height: 1;
        color: $text-muted;
    }
    """


class Row(Horizontal):
    """One line of labels and fields."""

    DEFAULT_CSS = """
    Row {
        height: 1;
        width: 100%;
    }
    """


def code_field(label: str, field: str, width: int, *, restrict: str = r"\d*", meaning_width: int = 0) -> ComposeResult:
    """Yield a label, a fixed-width code input that advances when full, and its meaning."""
    yield Label(label)
    yield FieldInput(field, width, auto_advance=True, max_length=width, restrict=restrict)
    meaning = Meaning("", id=f"{field}-meaning")
    if meaning_width:
        meaning.styles.min_width = meaning_width
    yield meaning


class MarkedTable(DataTable):
    """A table whose selected row carries ``>`` in its label column while the table has the cursor
    (issue 15: the selected row was bold on cyan, nothing else; with 16 colours, or none, it was lost).
    The mark is drawn when a row is rendered, from the cursor and the focus (kept in the rows' labels
    it was lost about one time in eight under load when the rows were filled again while the table
    had the cursor); rows are added with an empty label, the column it is drawn in."""

    def __init__(self, *args, always: bool = False, **kwargs):
        kwargs.setdefault("cursor_type", "row")
        super().__init__(*args, **kwargs)
        self.show_row_labels = True
        self.always = always  # marked without the cursor too (a list its filter's arrows move in)

    def add_row(self, *cells, height: int | None = 1, key: str | None = None, label=None):
        """As DataTable's, with a blank label where none is given (the column the mark is drawn in)."""
        return super().add_row(*cells, height=height, key=key, label=" " if label is None else label)

    def _compute_row_renderables(self, row_index: int):
        """Textual's, with the label ``>`` on the cursor's row while it is marked, else blank."""
        from textual.widgets._data_table import RowRenderables

        got = super()._compute_row_renderables(row_index)
        if row_index < 0 or not self.show_row_labels:
            return got
        marked = row_index == self.cursor_row and (self.has_focus or self.always)
        return RowRenderables(Text(">" if marked else " "), got.cells)

    def marks(self) -> list[str]:
        """The label each row is drawn with now (``>`` or a blank), top to bottom."""
        return [str(self._compute_row_renderables(i).label) for i in range(self.row_count)]

    def _remark(self) -> None:
        """Draw the rows again: Textual caches them by an update count, and the rendered cells and
        lines by keys that do not hold the focus."""
        self._update_count += 1
        for cache in (self._row_renderable_cache, self._cell_render_cache, self._line_cache):
            cache.clear()
        self.refresh()

    def watch_cursor_coordinate(self, old_coordinate: Coordinate, new_coordinate: Coordinate) -> None:
        super().watch_cursor_coordinate(old_coordinate, new_coordinate)
        self._remark()

    chosen: Callable[[int], None] | None = None
    """Set by a screen: called with the row at once on Enter, instead of posting ``RowSelected``, so
    that the focus it moves is there before the next key typed ahead is read (:mod:`tui.keyorder`
    follows a key, not the messages its binding posts: 沈 of 「Enter 沈朋泽」 went to the table)."""

    def action_select_cursor(self) -> None:
        """Enter: :attr:`chosen` where a screen set it, else DataTable's ``RowSelected``."""
        if self.chosen is not None and self.row_count:
            self.chosen(self.cursor_row)
        else:
            super().action_select_cursor()

    def _on_focus(self, event: events.Focus) -> None:
        super()._on_focus(event)
        self._remark()

    def _on_blur(self, event: events.Blur) -> None:
        super()._on_blur(event)
        self._remark()
