"""Header profiles: which column headers of a reference list mean which field (issue 6).

The synonyms are data (``storage/data/profiles.toml``); an office adds its own in
``~/.config/hecha/profiles.toml`` (or the file ``$HECHA_PROFILES`` names), in the same form. A
header layout no synonym explains is mapped once by hand and kept in the database
(:class:`~storage.models.HeaderMapping`), so the next list of the same layout is recognised.

:func:`find_header` looks at the first rows of a sheet for the header: a row that names at least
two fields, or two rows together when the upper one is a merged group title (母亲 over 姓名 and
身份证号 gives 母亲姓名 and 母亲身份证号).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "profiles.toml"
FIELDS = ("name", "id_number", "sex", "birth_date", "mother_name", "mother_id_number", "father_name", "father_id_number",
          "address", "birth_cert_no")
FIELD_NAMES = {"name": "姓名", "id_number": "身份证号", "sex": "性别", "birth_date": "出生日期", "mother_name": "母亲姓名",
               "mother_id_number": "母亲身份证号", "father_name": "父亲姓名", "father_id_number": "父亲身份证号", "address": "住址",
               "birth_cert_no": "出生医学证明编号"}
_MARKS = re.compile(r"[\s*＊:：]|（必填）|\(必填\)")


def clean(header) -> str:
    """A header as compared: text, spaces, line breaks, ``*`` and ``（必填）`` removed."""
    return _MARKS.sub("", str(header or ""))


def _load(path: Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    return tomllib.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def profiles() -> tuple[dict[str, str], dict[str, str]]:
    """``(sources, synonyms)``: source kind → its name; cleaned header → field. The office's own
    file adds to the project's. Raises ``ValueError`` naming the office file when it is unreadable."""
    data = _load(DATA)
    sources = dict(data["sources"])
    synonyms = {clean(h): field for field, headers in data["fields"].items() for h in headers}
    office = Path(os.environ.get("HECHA_PROFILES") or Path.home() / ".config" / "hecha" / "profiles.toml")
    if office.is_file():
        try:
            extra = _load(office)
        except (OSError, ValueError) as exc:
            raise ValueError(f"单位的表头文件 {office} 读不出（{exc}）：请改正或删去") from None
        sources.update(extra.get("sources", {}))
        for field, headers in extra.get("fields", {}).items():
            if field not in FIELDS:
                raise ValueError(f"单位的表头文件 {office}：没有字段 {field}（可用：{'、'.join(FIELDS)}）")
            synonyms.update({clean(h): field for h in headers})
    return sources, synonyms


@dataclass(frozen=True)
class Header:
    """Where a sheet's header is: the rows it takes (``first``..``last``, 0-based), each column's
    header text, and the mapping column index → field."""

    first: int
    last: int
    headers: tuple[str, ...]
    columns: dict[int, str]


def _map(headers: list[str], synonyms: dict[str, str]) -> dict[int, str]:
    out: dict[int, str] = {}
    for i, h in enumerate(headers):
        field = synonyms.get(clean(h))
        if field and field not in out.values():
            out[i] = field
    return out


def find_header(rows: list[list], saved: dict[str, str] | None = None, look: int = 10) -> Header | None:
    """The header among the first ``look`` rows (see the module text), or ``None`` when no row
    names two fields. ``saved`` (header → field) is a hand mapping kept from an earlier import."""
    _, synonyms = profiles()
    if saved:
        synonyms = {**synonyms, **{clean(h): f for h, f in saved.items()}}
    best: Header | None = None
    for r, row in enumerate(rows[:look]):
        headers = [clean(v) for v in row]
        mapped = _map(headers, synonyms)
        candidates = [Header(r, r, tuple(headers), mapped)]
        if r > 0:  # a merged group title above: fill it rightwards and join it to the row below
            above, group = [], ""
            for v in rows[r - 1] + [None] * max(len(row) - len(rows[r - 1]), 0):
                group = clean(v) or group
                above.append(group)
            joined = [(a + h if a not in h else h) if a and h else (h or a) for a, h in zip(above, headers)]
            candidates.append(Header(r - 1, r, tuple(joined), _map(joined, synonyms)))
        for c in candidates:
            if len(c.columns) >= 2 and (best is None or len(c.columns) > len(best.columns)):
                best = c
    return best
