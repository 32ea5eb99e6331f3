"""Migrants (流动人口, issue 17): the migration episodes keyed on page 五 or taken from the migrant
system's (GPL, 流动人口信息系统) exports, listed, filtered and counted per village and month.

A GPL export is imported as a reference list first (``hecha import-list --source gpl``: names, ID
numbers, dates and villages read as every list's, every row kept with its raw cells); :func:`apply_gpl`
then turns each row into a migration episode of the person it names here (by ID number, else by
name and birth date when only one person fits) and lists the rows it could not place. Episodes are
written through :mod:`storage.audit` like the form's (origin = this office; DESIGN.md §4).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import peewee as pw

from . import audit, divisions
from .codes import code_list
from .db import write_txn
from .errors import OperatorError
from .models import Household, ImportBatch, Migration, Person, RefRecord
from .sources.gpl import GPL_HEADERS, gpl_header
from .sources.profiles import clean as _clean

DIRECTION_TEXT = {"1": "流入", "2": "流出"}
DIRECTION_OF_DATE = {"流入": "1", "来本地": "1", "流出": "2", "外出": "2"}
"""A sheet with no 流动类型 column says its direction in its date column's header (流入时间, 外出时间)."""


class MigrantError(OperatorError):
    """A GPL batch that cannot be applied as asked; the message says why and what to do."""


def _cell(raw: dict[str, str], key: str) -> str:
    by_header = {_clean(h): str(v).strip() for h, v in raw.items() if str(v).strip()}
    for name in GPL_HEADERS[key]:
        if value := by_header.get(_clean(name)):
            return value
    return ""


def _direction_of_headers(raw: dict[str, str]) -> str:
    for header in raw:
        if gpl_header(header) == "move_date":
            for word, way in DIRECTION_OF_DATE.items():
                if word in header:
                    return way
    return ""


def _direction(text: str) -> str:
    """``1`` 流入 / ``2`` 流出 from a 流动类型 cell (流入, 流入人口, 1 …), ``""`` when it is neither."""
    import unicodedata

    text = unicodedata.normalize("NFKC", text).strip().removesuffix("人口").removesuffix("人员").strip()
    return {"1": "1", "流入": "1", "in": "1", "2": "2", "流出": "2", "out": "2"}.get(text, "")


def _place_code(text: str) -> str:
    text = text.strip().removesuffix(".0")  # a code cell a spreadsheet stored as a number
    digits = "".join(c for c in text if c.isascii() and c.isdigit())
    return digits[:12] if len(digits) in (6, 9, 12) and divisions.lookup(digits[:6]) else ""


@dataclass
class GplResult:
    """What :func:`apply_gpl` did: episodes ``created`` and ``updated``, and the rows it could not
    place (``unmatched``: ``(row_no, name, id_number, why)``)."""

    batch_id: int
    rows: int = 0
    created: int = 0
    updated: int = 0
    unmatched: list[tuple[int, str, str, str]] = field(default_factory=list)
    warnings: list[tuple[int, str, str, str]] = field(default_factory=list)  # placed, but look at it

    def summary(self) -> str:
        """In words: 「GPL 第3批 120 行：新建流动记录 100，更新 12，对不上本乡人员 8」."""
        return (
            f"GPL 第{self.batch_id}批 {self.rows} 行：新建流动记录 {self.created}，更新 {self.updated}，"
            f"没有放进流动记录 {len(self.unmatched)}" + (f"，请核对 {len(self.warnings)}" if self.warnings else "")
        )


def _person_for(rec: RefRecord) -> tuple[Person | None, str]:
    live = Person.deleted == False  # noqa: E712
    if rec.id_number_18:
        hits = list(Person.select().where(live & (Person.id_number_18 == rec.id_number_18)).limit(2))
        if len(hits) == 1:
            return hits[0], ""
        if len(hits) > 1:
            return None, "本乡有两人同号：请先处理重复登记"
    if rec.name and rec.birth_date and rec.birth_date_prec == "D":
        hits = list(
            Person.select().where(live & (Person.name == rec.name) & (Person.birth_date == rec.birth_date)).limit(2)
        )
        if len(hits) == 1:
            return hits[0], ""
        if len(hits) > 1:
            return None, "同名同生日不止一人：请补身份证号"
    return None, "本乡没有这个人（没有登记表）：请核实后录入登记表"


def apply_gpl(batch_id: int | None = None, *, direction: str = "", operator: str | None = None) -> GplResult:
    """Turn the rows of a GPL list (``batch_id``, else the newest active one) into migration episodes
    of the persons they name here. ``direction`` (``1`` 流入 / ``2`` 流出) applies where the export has
    no 流动类型 column. An episode already held (the same 人员编号, or the same person, direction and
    date) is updated, not doubled. All or nothing. Raises :class:`MigrantError`."""
    query = ImportBatch.select().where((ImportBatch.source == "gpl") & (ImportBatch.status == "active"))
    batch = (
        query.where(ImportBatch.id == batch_id).first() if batch_id else query.order_by(ImportBatch.id.desc()).first()
    )
    if batch is None and batch_id:
        given = ImportBatch.get_or_none(ImportBatch.id == batch_id)
        what = (
            "没有这一批"
            if given is None
            else f"第{batch_id}批是 {given.source} 名单（{given.file_name}），不是在用的 GPL 名单"
        )
        raise MigrantError(f"--batch {batch_id}：{what}。hecha lists 列出各批；GPL 名单的批次号在那里。")
    if batch is None:
        raise MigrantError(
            "没有导入的流动人口系统名单：先用 hecha import-list --source gpl 文件 导入 GPL 导出的表，"
            "或在“导入外部名单”中选 GPL。"
        )
    if direction and direction not in DIRECTION_TEXT:
        direction = _direction(direction)
        if not direction:
            raise MigrantError("流动方向应为 1（流入）或 2（流出）")
    reasons = code_list("migration_reason")
    from . import idnumber
    from .reflists import parse_date

    today_iso = idnumber.real_day().isoformat()  # the lists' bound "no date after today", as reflists'
    result = GplResult(batch.id)
    with write_txn():
        for rec in RefRecord.select().where(RefRecord.batch == batch.id).order_by(RefRecord.row_no):
            result.rows += 1
            raw: dict[str, Any] = json.loads(rec.raw or "{}")
            written = _cell(raw, "direction")
            way = _direction(written) or (direction if not written else "") or _direction_of_headers(raw)
            if written and not _direction(written):
                result.unmatched.append((rec.row_no, rec.name, rec.id_number, f"流动类型「{written}」认不出"))
                continue
            if not way:
                result.unmatched.append((rec.row_no, rec.name, rec.id_number, "不知道是流入还是流出：请用 --direction"))
                continue
            person, why = _person_for(rec)
            if person is None:
                result.unmatched.append((rec.row_no, rec.name, rec.id_number, why))
                continue
            if person.origin != audit.office().code:
                result.unmatched.append((rec.row_no, rec.name, rec.id_number, f"这个人是 {person.origin} 登记的"))
                continue
            address = _cell(raw, "current_address") or rec.address
            if address.strip(" -—/\\") in ("", "不详", "无", "未知", "空", "暂无", "不清楚"):
                address = ""
            if way == "2" and not address:
                result.unmatched.append((rec.row_no, rec.name, rec.id_number, "流出人员没有现居住地址：请补上"))
                continue
            moved = parse_date(_cell(raw, "move_date")) if _cell(raw, "move_date") else None
            if moved and moved[0] > today_iso:
                note = f"流动时间 {moved[0]} 晚于今天：请按原件核对"
                result.warnings.append((rec.row_no, rec.name, rec.id_number, note))
            if _cell(raw, "move_date") and moved is None:
                note = f"流动时间「{_cell(raw, 'move_date')}」不是日期：起始日期空着，请按原件补上"
                result.warnings.append((rec.row_no, rec.name, rec.id_number, note))
            if rec.id_number and not rec.id_number_18:
                note = (
                    f"号码「{rec.id_number}」用不上（校验位不对或被表格改过），按姓名和出生日期对上 {person.id_number}"
                )
                result.warnings.append((rec.row_no, rec.name, rec.id_number, note))
            back = parse_date(_cell(raw, "return_date")) if _cell(raw, "return_date") else None
            gpl_id = _cell(raw, "gpl_record_id")
            place = _place_code(_cell(raw, "place_code"))
            hukou_code = _place_code(_cell(raw, "hukou_place_code"))
            values = dict(
                direction=way,
                current_address=address[:200],
                move_date=moved[0] if moved else "",
                move_date_prec=moved[1] if moved else "D",
                reason=reasons.lookup(_cell(raw, "reason")) or "",
                mb_cert_no=_cell(raw, "mb_cert_no")[:40],
                gpl_record_id=gpl_id[:40],
            )
            if back:
                values.update(return_date=back[0], return_date_prec=back[1])
            if way == "1":
                values.update(hukou_place_code=hukou_code or person.id_number_18[:6], from_code=hukou_code)
            else:
                values.update(to_code=place)
            live = (Migration.person == person.id) & (Migration.deleted == False)  # noqa: E712
            held = None
            if gpl_id:
                held = Migration.get_or_none(live & (Migration.gpl_record_id == gpl_id))
            if held is None:
                held = Migration.get_or_none(
                    live & (Migration.direction == way) & (Migration.move_date == values["move_date"])
                )
            row = held or Migration(person=person.id)
            for key, value in values.items():
                if value or held is None:
                    setattr(row, key, value)
            if audit.save(row, reason=f"流动人口系统名单 第{batch.id}批 第{rec.row_no}行", operator=operator):
                if held is None:
                    result.created += 1
                else:
                    result.updated += 1
    return result


# --------------------------------------------------------------------------------------- listing
@dataclass(frozen=True)
class MigrantRow:
    """One episode as the migrants list shows it."""

    uid: str
    person_uid: str
    name: str
    id_number: str
    village_code: str
    direction: str
    place: str  # where from (inflow) / where to (outflow), as a name where the code is known
    since: str
    status: str

    @property
    def direction_text(self) -> str:
        return DIRECTION_TEXT.get(self.direction, self.direction)


def _filtered(direction: str = "", village: str = "", other_county: str = "", current: bool = True):
    q = (
        Migration.select(Migration, Person.uid, Person.name, Person.id_number, Household.village_code)
        .join(Person, on=(Migration.person == Person.id))
        .join(Household, on=(Person.household == Household.id))
        .where((Migration.deleted == False) & (Person.deleted == False))  # noqa: E712
    )
    if direction:
        q = q.where(Migration.direction == direction)
    if village:
        q = q.where(Household.village_code.startswith(village))
    if other_county:
        q = q.where(
            ((Migration.direction == "1") & (Migration.hukou_place_code.startswith(other_county)))
            | ((Migration.direction == "1") & (Migration.from_code.startswith(other_county)))
            | ((Migration.direction == "2") & (Migration.to_code.startswith(other_county)))
        )
    if current:
        q = q.where((Migration.closed_date == "") & (Migration.return_date == ""))
    return q


def count(direction: str = "", village: str = "", other_county: str = "", current: bool = True) -> int:
    """How many episodes the filters keep (see :func:`page`)."""
    return _filtered(direction, village, other_county, current).count()


def _place(g: Migration) -> str:
    code = (g.hukou_place_code or g.from_code) if g.direction == "1" else g.to_code
    if code:
        div = divisions.lookup(code[:9]) or divisions.lookup(code[:6])
        name = div.name if div else code
        return name if g.direction == "1" or not g.current_address else f"{name} {g.current_address}"
    return g.current_address


def page(
    direction: str = "", village: str = "", other_county: str = "", current: bool = True, *, offset: int = 0, limit=100
) -> list[MigrantRow]:
    """A page of episodes, newest move first: ``direction`` ``1``/``2`` (all when empty); ``village``
    a village code (or its prefix); ``other_county`` a 6-digit county code (an inflow's household
    registration or origin, an outflow's destination); ``current``: only those still away or here
    (not returned, not closed)."""
    rows = []
    q = _filtered(direction, village, other_county, current).order_by(Migration.move_date.desc(), Migration.id)
    for g in q.offset(offset).limit(limit):
        person = g.person
        here = "在本地" if g.direction == "1" else "在外"
        status = "已结束" if g.closed_date else ("已返回" if g.return_date else here)
        rows.append(
            MigrantRow(
                uid=g.uid,
                person_uid=person.uid,
                name=person.name,
                id_number=person.id_number,
                village_code=person.household.village_code,
                direction=g.direction,
                place=_place(g),
                since=g.move_date[: {"M": 7, "Y": 4}.get(g.move_date_prec, 10)],
                status=status,
            )
        )
    return rows


@dataclass
class MonthCount:
    """Episodes begun in a village in a month, by direction."""

    village_code: str
    month: str
    inflow: int = 0
    outflow: int = 0


def monthly(village: str = "", year: str = "") -> list[MonthCount]:
    """Counts per village and month of the move (流入 and 流出 begun that month), from SQL."""
    month = pw.fn.substr(Migration.move_date, 1, 7)
    q = (
        Migration.select(Household.village_code, month.alias("month"), Migration.direction, pw.fn.COUNT(Migration.id))
        .join(Person, on=(Migration.person == Person.id))
        .join(Household, on=(Person.household == Household.id))
        .where((Migration.deleted == False) & (Person.deleted == False) & (Migration.move_date != ""))  # noqa: E712
        .group_by(Household.village_code, month, Migration.direction)
        .order_by(Household.village_code, month)
    )
    if village:
        q = q.where(Household.village_code.startswith(village))
    if year:
        q = q.where(Migration.move_date.startswith(year))
    out: dict[tuple[str, str], MonthCount] = {}
    for village_code, m, way, n in q.tuples():
        row = out.setdefault((village_code, m), MonthCount(village_code, m))
        if way == "1":
            row.inflow += n
        else:
            row.outflow += n
    return list(out.values())
