"""Administrative divisions from the NBS 统计用区划代码 2023 (GB/T 2260 to county level).

The data file ``storage/data/divisions-nbs-2023.tsv.xz`` is derived from ``../shared/data/`` by
``scripts/build_divisions.py``: ``code<TAB>name`` sorted by code; the level follows from the length
(2 province, 4 city, 6 county, 9 township, 12 village). Cities and counties are padded to 12 digits
in NBS usage; here they are kept short, as in GB/T 2260.
"""

from __future__ import annotations

import functools
import lzma
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "divisions-nbs-2023.tsv.xz"
SOURCE = "NBS 统计用区划代码 2023"
LEVEL_BY_LENGTH = {2: 1, 4: 2, 6: 3, 9: 4, 12: 5}
PARENT_LENGTH = {4: 2, 6: 4, 9: 6, 12: 9}
_SUFFIXES = ("村民委员会", "居民委员会", "社区居委会", "居委会", "村委会")


@dataclass(frozen=True)
class Division:
    """One division: ``code`` (2–12 digits), ``name`` as the NBS writes it, ``level`` 1–5."""

    code: str
    name: str

    @property
    def level(self) -> int:
        return LEVEL_BY_LENGTH[len(self.code)]

    @property
    def parent(self) -> str | None:
        n = PARENT_LENGTH.get(len(self.code))
        return self.code[:n] if n else None

    @property
    def short_name(self) -> str:
        """The name without the committee suffix: 李家庄村村民委员会 → 李家庄村, 东风社区居委会 → 东风社区."""
        return short_name(self.name)


def short_name(name: str) -> str:
    """Drop a village committee suffix (村民委员会, 居民委员会, 社区居委会 …) from ``name``."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            if suffix == "社区居委会":
                return base + "社区"
            if suffix in ("村民委员会", "村委会") and not base.endswith("村"):
                return base + "村"  # 李家庄村民委员会 → 李家庄村
            return base
    return name


def iter_divisions(prefix: str = "") -> Iterator[Division]:
    """Stream the divisions whose code starts with ``prefix`` (all of them for ``""``).

    Reads the compressed file line by line (about 0.5 s for a full pass), never whole into memory.
    """
    with lzma.open(DATA_FILE, "rt", encoding="utf-8") as fh:
        seen = False
        for line in fh:
            if line.startswith("#"):
                continue
            if line.startswith(prefix):
                code, name = line.rstrip("\n").split("\t", 1)
                seen = True
                yield Division(code, name)
            elif seen and prefix and line[: len(prefix)] > prefix:
                return  # sorted by code: past the prefix, nothing more can match


@functools.lru_cache(maxsize=8192)
def lookup(code: str) -> Division | None:
    """The division with exactly ``code``, or ``None``. Cached: a code late in the file takes 0.4 s
    to reach (a list of migrants names the same few counties on every row)."""
    for div in iter_divisions(code):
        if div.code == code:
            return div
        break
    return None


def office_subtree(code: str) -> list[Division]:
    """The divisions an office needs: its ancestors, itself and everything below it.

    ``code`` is a 6-digit county or 9-digit township. Raises ``KeyError`` when the code is not in the
    table.
    """
    ancestors = []
    for n in (2, 4, 6, 9):
        if n < len(code):
            div = lookup(code[:n])
            if div:
                ancestors.append(div)
    below = list(iter_divisions(code))
    if not below or below[0].code != code:
        raise KeyError(code)
    return ancestors + below
