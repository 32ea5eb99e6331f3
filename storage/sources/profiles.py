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
from functools import cached_property, lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "profiles.toml"
FIELDS = (
    "name",
    "id_number",
    "sex",
    "birth_date",
    "mother_name",
    "mother_id_number",
    "father_name",
    "father_id_number",
    "address",
    "birth_cert_no",
    "birth_order",
    "village",
    "parent_name",
    "household_no",
    "relation",
)
FIELD_NAMES = {
    "name": "姓名",
    "id_number": "身份证号",
    "sex": "性别",
    "birth_date": "出生日期",
    "mother_name": "母亲姓名",
    "mother_id_number": "母亲身份证号",
    "father_name": "父亲姓名",
    "father_id_number": "父亲身份证号",
    "address": "住址",
    "birth_cert_no": "出生医学证明编号",
    "birth_order": "孩次",
    "village": "村（居）委会",
    "parent_name": "家长姓名",
    "household_no": "户号",
    "relation": "与户主关系",
}
_MARKS = re.compile(r"（必填）|\(必填\)|[\s*＊:：()（）]")


def clean(header) -> str:
    """A header as compared: text, spaces, line breaks, brackets, ``*`` and ``（必填）`` removed
    (村(居)委会 and 村（居）委会 compare as 村居委会)."""
    return _MARKS.sub("", str(header or ""))


NOT_A_FIELD = "-"
"""A layout's column that is none of the fields although its header is a synonym of one (the woman's
own 出生日期 in the P&WIS export by woman, beside 子女出生日期)."""


@dataclass(frozen=True)
class Layout:
    """The layout of a whole export in which headers mean something else than in other lists (the
    P&WIS export by woman: 身份证号 is the mother's). It applies when the header holds, for each
    group of ``when``, one of the group's headers (cleaned); ``columns`` then win."""

    name: str
    when: tuple[frozenset[str], ...]
    columns: dict[str, str]
    fill_down: tuple[str, ...] = ()

    def applies(self, headers: set[str]) -> bool:
        """Whether a header row of these cleaned ``headers`` is of this layout."""
        return all(group & headers for group in self.when)


def _load(path: Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _layouts(data: dict, where: Path) -> list[Layout]:
    out = []
    for n, item in enumerate(data.get("layouts", []), start=1):
        try:
            columns = {clean(h): f for h, f in item["columns"].items()}
            layout = Layout(
                str(item["name"]),
                tuple(frozenset(clean(h) for h in group) for group in item["when"]),
                columns,
                tuple(item.get("fill_down", ())),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{where}：第{n}个 [[layouts]] 不完整（{exc}）：要有 name、when、columns") from None
        bad = sorted((set(columns.values()) | set(layout.fill_down)) - set(FIELDS) - {NOT_A_FIELD})
        if bad:
            raise ValueError(
                f"{where}：[[layouts]]「{layout.name}」没有字段 {'、'.join(bad)}（可用：{'、'.join(FIELDS)}）"
            )
        out.append(layout)
    return out


@lru_cache(maxsize=1)
def layouts() -> tuple[Layout, ...]:
    """The known export layouts: the office's own first (they win), then the project's."""
    office = _office_file()
    own = _layouts(_load(office), office) if office.is_file() else []
    return tuple(own + _layouts(_load(DATA), DATA))


def _office_file() -> Path:
    return Path(os.environ.get("HECHA_PROFILES") or Path.home() / ".config" / "hecha" / "profiles.toml")


@lru_cache(maxsize=1)
def profiles() -> tuple[dict[str, str], dict[str, str]]:
    """``(sources, synonyms)``: source kind → its name; cleaned header → field. The office's own
    file adds to the project's. Raises ``ValueError`` naming the office file when it is unreadable."""
    data = _load(DATA)
    sources = dict(data["sources"])
    synonyms = {clean(h): field for field, headers in data["fields"].items() for h in headers}
    office = _office_file()
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
    layout: str = ""  # the export layout recognised (:class:`Layout`), "" for plain synonyms
    fill_down: tuple[str, ...] = ()  # fields a layout carries down from the row above when a row leaves them all empty
    by_hand: bool = False  # a mapping given with the import was applied to this sheet

    @cached_property
    def month_date(self) -> bool:
        """Whether the birth date column is named as a month (出生年月, not 出生年月日): its dates on
        the 1st are months (a date cell formatted yyyy-mm)."""
        name = next((self.headers[i] for i, f in self.columns.items() if f == "birth_date"), "")
        return "年月" in name and "日" not in name

    def unused(self) -> list[str]:
        """The columns with a header that no field takes, as ``第N列 表头`` (what the import reports)."""
        return [
            f"第{i + 1}列 {h}"
            for i, h in enumerate(self.headers)
            if h and i not in self.columns and h not in ROW_NUMBERS
        ]


ROW_NUMBERS = frozenset({"序号", "编号", "行号", "序"})
"""Headers of a row-number column, which holds no data and is not reported as unused."""


def _map(
    headers: list[str], synonyms: dict[str, str], saved: dict[str, str] | None = None
) -> tuple[dict[int, str], Layout | None]:
    """Column index → field for a header row, and the layout that applied: a saved hand mapping
    wins over a layout, a layout over the synonyms; a header mapped by hand takes its field before
    any other column does (丈夫姓名 mapped to mother_name wins over 育龄妇女姓名)."""
    present = {clean(h) for h in headers if h}
    layout = next((lay for lay in layouts() if lay.applies(present)), None)
    if layout is not None:
        synonyms = {**synonyms, **layout.columns}
    out: dict[int, str] = {}
    if saved:
        for i, h in enumerate(headers):
            field = saved.get(clean(h))
            if field and field not in out.values():
                out[i] = field
        synonyms = {**synonyms, **saved}
    for i, h in enumerate(headers):
        field = synonyms.get(clean(h))
        if i not in out and field and field != NOT_A_FIELD and field not in out.values():
            out[i] = field
    return out, layout


def _header(first: int, last: int, headers: list[str], columns: dict[int, str], layout: Layout | None) -> Header:
    return Header(
        first, last, tuple(headers), columns, layout.name if layout else "", layout.fill_down if layout else ()
    )


def find_header(rows: list[list], saved: dict[str, str] | None = None, look: int = 10) -> Header | None:
    """The header among the first ``look`` rows (see the module text), or ``None`` when no row
    names two fields. ``saved`` (header → field) is a hand mapping kept from an earlier import."""
    _, synonyms = profiles()
    saved = {clean(h): f for h, f in saved.items()} if saved else None
    best: Header | None = None
    for r, row in enumerate(rows[:look]):
        headers = [clean(v) for v in row]
        mapped, layout = _map(headers, synonyms, saved)
        candidates = [_header(r, r, headers, mapped, layout)]
        if r > 0:  # a merged group title above: fill it rightwards and join it to the row below
            above, group = [], ""
            for v in rows[r - 1] + [None] * max(len(row) - len(rows[r - 1]), 0):
                group = clean(v) or group
                above.append(group)
            joined = [
                (a + h if a not in h else h) if a and h else (h or a) for a, h in zip(above, headers, strict=False)
            ]
            candidates.append(_header(r - 1, r, joined, *_map(joined, synonyms, saved)))
        for c in candidates:
            if len(c.columns) >= 2 and (best is None or len(c.columns) > len(best.columns)):
                best = c
    return best
