"""The status line: the keys of the current screen, from the binding table (DESIGN.md §10).

Textual's Footer gives every key a fixed padding and cuts the row at the screen's edge, so at 80
columns the form lost its last keys (F9, Esc, F1). :class:`KeyLine` writes the keys of the screen
in the table's order with F1 (帮助) first, each key in reverse video (readable in 16 colours and in
monochrome: meaning never rests on colour alone), and drops what does not fit so that F1, which
lists every key, is always there. Keys remapped in the config file show as remapped.
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from ..keys import TABLE, key_label

FKEY = re.compile(r"f\d+")
ORDER = {spec.id: i for i, spec in enumerate(TABLE)}
FIRST, LAST = "help", "quit"


class KeyLine(Static):
    """One line at the bottom of a screen: ``F1 帮助 F10 保存本户 …`` fitted to its width."""

    DEFAULT_CSS = """
    KeyLine {
        dock: bottom;
        height: 1;
        width: 100%;
        text-wrap: nowrap;
        text-overflow: clip;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.keys_changed)
        self.keys_changed(self.screen)

    def on_resize(self) -> None:
        self.keys_changed(self.screen)

    def keys_changed(self, screen) -> None:
        if screen is self.screen:
            self.update(self.line(self.size.width or 80))

    def items(self) -> list[tuple[str, str]]:
        """``(key, label)`` for each shown action of the screen, help first, quit last; one key
        each: its function key when it has one (DESIGN.md §10 gives every action one)."""
        seen: dict[str, tuple[int, bool, str, str]] = {}
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not binding.show or not binding.description:
                continue
            name = binding.id or binding.action
            rank = -1 if name == FIRST else 10_000 if name == LAST else ORDER.get(name, 5_000)
            fkey = FKEY.fullmatch(key) is not None
            if binding.action in seen and (seen[binding.action][1] or not fkey):
                continue
            seen[binding.action] = (
                min(rank, seen[binding.action][0]) if binding.action in seen else rank,
                fkey,
                key_label(key),
                binding.description,
            )
        return [(k, label) for _, _, k, label in sorted(seen.values())]

    def line(self, width: int) -> Text:
        """The items that fit in ``width`` cells; the rest are left to F1."""
        out = Text(no_wrap=True, overflow="crop")
        used = 0
        for key, label in self.items():
            need = cell_len(key) + 1 + cell_len(label) + (1 if used else 0)
            if used + need > width:
                break
            if used:
                out.append(" ")
            out.append(key, style="reverse bold")
            out.append(" " + label)
            used += need
        return out
