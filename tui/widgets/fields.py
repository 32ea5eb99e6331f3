"""One-line field widgets for the entry screens (DESIGN.md §10).

:class:`FieldInput` is a borderless one-line :class:`~textual.widgets.Input` with a fixed width that
can move on by itself when full (an 18-character ID number, an 8-digit date, a fixed-width code):
it posts :class:`FieldInput.Filled` only when the clerk's typing fills it, never when a screen sets
its value. :class:`CodeField` is a code input with its meaning shown beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Static


class FieldInput(Input):
    """A compact input for one form field; ``field`` names it for the screen."""

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

    @dataclass
    class Filled(Message):
        """The clerk typed the field full (``auto_advance`` fields only)."""

        field_input: FieldInput

        @property
        def control(self) -> FieldInput:
            return self.field_input

    def __init__(self, field: str, width: int, *, auto_advance: bool = False, **kwargs):
        kwargs.setdefault("id", field)
        kwargs.setdefault("select_on_focus", False)
        super().__init__(**kwargs)
        self.field = field
        self.auto_advance = auto_advance
        self.styles.width = width

    def insert_text_at_cursor(self, text: str) -> None:
        super().insert_text_at_cursor(text)
        if self.auto_advance and self.max_length and len(self.value) >= self.max_length and self.cursor_at_end:
            self.post_message(self.Filled(self))


class Label(Static):
    """A field's label, one line, no wrapping."""

    DEFAULT_CSS = """
    Label {
        width: auto;
        height: 1;
        padding: 0 0 0 1;
    }
    """


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
