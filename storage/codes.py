"""National code lists, loaded from the data files in ``storage/data/codes/``.

Each file is a CSV (``code,name,aliases``; aliases separated by ``|``) whose first line is a comment
naming the list, its source standard and edition, e.g. GB/T 2261.1-2003 for sex. Codes are the
standard's code strings, leading zeros kept (DESIGN.md §4, DATA.md "Code lists").
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data" / "codes"


@dataclass(frozen=True)
class CodeList:
    """One code list: ``items`` maps code → name; ``source`` names the standard and edition."""

    list_id: str
    source: str
    items: dict[str, str]
    aliases: dict[str, str]

    def name(self, code: str | None) -> str:
        """The name of ``code``, or ``""`` for an empty or unknown code."""
        return self.items.get(code or "", "")

    def lookup(self, text: str) -> str | None:
        """The code for ``text``: a code as written, a name or an old spelling; ``None`` if none fits."""
        text = (text or "").strip()
        if text in self.items:
            return text
        if text.isdigit():
            width = max(len(c) for c in self.items)
            padded = text.zfill(width)
            if padded in self.items:
                return padded
        return self.aliases.get(text)

    @property
    def width(self) -> int:
        """Characters of the longest code (2 for GB 3304, 1 for GB/T 2261.1)."""
        return max(len(c) for c in self.items)


@cache
def code_list(list_id: str) -> CodeList:
    """Load the list ``list_id`` (file ``data/codes/<list_id>.csv``).

    Raises ``KeyError`` when no such list exists.
    """
    path = DATA_DIR / f"{list_id}.csv"
    if not path.exists():
        raise KeyError(f"no code list {list_id!r} in {DATA_DIR}")
    with path.open(encoding="utf-8", newline="") as fh:
        header = fh.readline()
        source = header.split("source:", 1)[1].strip() if "source:" in header else ""
        items: dict[str, str] = {}
        aliases: dict[str, str] = {}
        for row in csv.DictReader(fh):
            items[row["code"]] = row["name"]
            aliases[row["name"]] = row["code"]
            for alias in filter(None, (row.get("aliases") or "").split("|")):
                aliases[alias] = row["code"]
    return CodeList(list_id, source, items, aliases)


SEX_MALE = "1"
SEX_FEMALE = "2"
RELATION_HEAD = "02"
