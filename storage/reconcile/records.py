"""The births as each source records them (:class:`Rec`), read for a window, and the names the findings use.

Part of :mod:`storage.reconcile` (issue 13: one job a module).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import peewee as pw

from .. import idnumber
from ..dates import add_years
from ..names import name_keys, normalize, unnamed_child

SOURCE_GROUP = {
    "wis": "wis",
    "birth_cert": "health",
    "delivery": "health",
    "vaccination": "health",
    "kindergarten": "education",
    "school": "education",
    "police_hukou": "police",
}
"""Which group a list kind's births belong to (DESIGN.md §7)."""

GROUP_NAMES = {"forms": "登记表", "wis": "人口系统", "health": "卫生", "education": "教育", "police": "公安"}
GROUP_SHORT = {"forms": "登", "wis": "系", "health": "卫", "education": "教", "police": "公"}
"""One-character names for an 80-column list (登 the household forms, 系 WIS, 卫 health, 教 education, 公 police)."""
SOURCE_NAMES = {
    "forms": "登记表",
    "wis": "人口系统",
    "birth_cert": "出生证",
    "delivery": "住院分娩",
    "vaccination": "预防接种",
    "kindergarten": "幼儿园",
    "school": "学校",
    "police_hukou": "公安户籍",
}
KINDS = {
    "omission": "疑似漏报",
    "false": "疑似虚报",
    "misreport": "疑似错报",
    "consistent": "一致",
    "elsewhere": "外地出生",
}
CONCLUSIONS = {"0": "一致", "1": "漏报", "2": "瞒报", "3": "虚报", "4": "错报", "9": "待核"}
"""A visit's conclusion (DATA.md Birth ``finding``; code list ``finding``)."""

DAYS_MOTHER = 5
DAYS_NAME = 3
FIELD_WORDS = {"birth_date": "出生日期", "sex": "性别", "mother": "母亲身份证号", "birth_order": "孩次"}


@dataclass(slots=True)
class Rec:
    """One source's record of a birth: ``rid`` the reference record's id (0 for a form's birth,
    whose uid is ``birth_uid``); ``source`` the list kind or ``forms``; names normalised; ID numbers
    in 18 characters where valid; ``place`` the file name (with ``row``) or 户 + household code.
    Repeated strings are shared (a county holds half a million records: 400 bytes each matter)."""

    rid: int
    source: str
    group: str
    child_id: str
    name: str
    hkeys: tuple[str, ...]
    sex: str
    born: dt.date
    mother_id: str
    mother_name: str
    cert: str
    village: str
    place: str
    row: int = 0
    dead: bool = False
    birth_uid: str = ""
    address: str = ""
    prec: str = "D"  # the birth date's precision: D a day, M a month (born is its first day), Y a year
    order: int = 0  # 孩次, 0 unknown
    parents: tuple[str, ...] = ()  # normalised names of the parents the record names (mother, father, 家长)

    @property
    def last(self) -> dt.date:
        """The last day the birth date may be: ``born`` for a day, the month's or year's last day."""
        if self.prec == "M":
            return (self.born.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        if self.prec == "Y":
            return self.born.replace(month=12, day=31)
        return self.born

    @property
    def key(self) -> str:
        """``birth:<uid>`` or ``ref:<id>``."""
        return f"birth:{self.birth_uid}" if self.birth_uid else f"ref:{self.rid}"

    @property
    def where(self) -> str:
        """Where the record is: 户<code>, or the file and its row."""
        return f"{self.place} 第{self.row}行" if self.row else self.place


@dataclass
class Finding:
    """A linked birth and what it is (see the module text)."""

    key: str
    kind: str
    records: list[Rec]
    differences: list[tuple[str, str, str, str]] = field(default_factory=list)
    reason: str = ""

    @property
    def groups(self) -> list[str]:
        """The source groups present, in the order of :data:`GROUP_NAMES`."""
        present = {r.group for r in self.records}
        return [g for g in GROUP_NAMES if g in present]


def reference_date(text: str, *, today: dt.date | None = None) -> dt.date:
    """The reference date a clerk typed (YYYYMMDD or YYYY-MM-DD; empty: the office's campaign
    reference date, 标准时点, else today), 1990-01-01 up to today (the births of the ten years before it
    are reconciled). Raises ``ValueError`` with a Chinese message saying the form expected."""
    from ..dates import DateInputError, parse_typed
    from ..office import reference_date as campaign_date

    today = today or idnumber.real_day()  # the bound: no reference date after the real day
    text = (text or "").strip()
    if not text:
        return campaign_date() or today
    raw = text.replace("-", "")
    if len(raw) != 8 or not raw.isdigit():  # a year and month alone is no reference date
        raise ValueError(f"参考日期「{text}」写8位年月日，如 {today:%Y%m%d}")
    try:
        day = dt.date.fromisoformat(parse_typed(text)[0])
    except DateInputError as exc:
        raise ValueError(str(exc)) from None
    if not dt.date(1990, 1, 1) <= day <= today:
        raise ValueError("参考日期应在1990年以后、不晚于今天（比对它之前十年的出生）")
    return day


def window(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """``(first, last)`` day of the ten years up to ``as_of`` (DESIGN.md §7)."""
    return add_years(as_of, -10) + dt.timedelta(days=1), as_of


def stat_year(day: dt.date) -> int:
    """The family-planning statistical year of ``day`` (1 October to 30 September; DATA.md Birth):
    2016-10-01 … 2017-09-30 is 2017."""
    return day.year + 1 if day.month >= 10 else day.year


def _id18(text: str) -> str:
    if not text:
        return ""
    info = idnumber.parse(text)
    return info.number_18 if info.ok else ""


def _name(text: str) -> tuple[str, tuple[str, ...]]:
    if not text or unnamed_child(text):
        return "", ()
    keys = name_keys(text)
    return keys.simplified, keys.homophone_keys


def load_records(first: dt.date, last: dt.date) -> list[Rec]:
    """Every birth record of the window: the forms' live births (not stillbirths) and the active
    lists' records of the kinds in :data:`SOURCE_GROUP` born in it."""
    from ..models import Birth, Household, ImportBatch, Person, RefRecord

    out: list[Rec] = []
    lo, hi = first.isoformat(), last.isoformat()
    mother, child = Person.alias(), Person.alias()
    father = Person.alias()
    rows = (
        Birth.select(
            Birth.uid,
            Birth.child_name,
            Birth.child_sex,
            Birth.birth_date,
            Birth.birth_cert_no,
            Birth.child_status,
            mother.id_number,
            mother.name,
            child.id_number,
            child.name,
            child.sex,
            child.vital_status,
            Household.village_code,
            Household.household_code,
            Household.address_detail,
            Birth.birth_date_prec,
            Birth.birth_order,
            pw.fn.COALESCE(father.name, Birth.father_name),
        )
        .join(mother, on=(Birth.mother == mother.id))
        .switch(Birth)
        .join(child, join_type=pw.JOIN.LEFT_OUTER, on=(Birth.child == child.id))
        .switch(Birth)
        .join(father, join_type=pw.JOIN.LEFT_OUTER, on=(Birth.father == father.id))
        .switch(Birth)
        .join(Household, on=(Birth.household == Household.id))
        .where((Birth.deleted == False) & (Birth.outcome == "1") & Birth.birth_date.between(lo, hi))
        .tuples()
    )
    pool: dict = {}
    share = pool.setdefault  # one string object for a name or number that several lists repeat
    # each remembered for this load: a child's name stands in five lists
    name_of, norm, id18 = (
        lru_cache(maxsize=None)(_name),
        lru_cache(maxsize=None)(normalize),
        lru_cache(maxsize=None)(_id18),
    )
    con = Birth._meta.database.connection()
    rows = con.execute(*rows.sql())  # plain rows: peewee's conversion of each value cost more than the query
    for (
        uid,
        child_name,
        child_sex,
        born,
        cert,
        status,
        m_id,
        m_name,
        c_id,
        c_name,
        c_sex,
        vital,
        village,
        code,
        address,
        prec,
        order,
        f_name,
    ) in rows:
        name, keys = name_of(c_name or child_name)
        z = norm(m_name)
        out.append(
            Rec(
                0,
                "forms",
                "forms",
                share(x := id18(c_id or ""), x),
                share(name, name),
                share(keys, keys),
                share(g := c_sex or child_sex or "", g),
                dt.date.fromisoformat(born),
                share(y := id18(m_id), y),
                share(z, z),
                (cert or "").upper(),
                share(village, village),
                f"户{code}",
                dead=status == "2" or vital == "2",
                birth_uid=uid,
                address=address or "",
                prec=prec or "D",
                order=order or 0,
                parents=_parents(share, norm, z, f_name or ""),
            )
        )
    rows = (
        RefRecord.select(
            RefRecord.id,
            RefRecord.source,
            RefRecord.name,
            RefRecord.sex,
            RefRecord.birth_date,
            RefRecord.id_number_18,
            RefRecord.mother_name,
            RefRecord.mother_id_number,
            RefRecord.birth_cert_no,
            RefRecord.row_no,
            RefRecord.address,
            ImportBatch.file_name,
            RefRecord.birth_date_prec,
            RefRecord.birth_order,
            RefRecord.village_code,
            RefRecord.father_name,
            RefRecord.parent_name,
        )
        .join(ImportBatch)
        .where(
            (ImportBatch.status == "active")
            & RefRecord.source.in_(list(SOURCE_GROUP))
            & RefRecord.birth_date.between(lo, hi)
        )
        .tuples()
    )
    for (
        rid,
        source,
        r_name,
        sex,
        born,
        number,
        m_name,
        m_id,
        cert,
        row_no,
        address,
        file_name,
        prec,
        order,
        village,
        f_name,
        p_name,
    ) in con.execute(*rows.sql()):
        name, keys = name_of(r_name)
        z = norm(m_name)
        out.append(
            Rec(
                rid,
                share(source, source),
                SOURCE_GROUP[source],
                share(x := id18(number), x),
                share(name, name),
                share(keys, keys),
                share(g := sex or "", g),
                dt.date.fromisoformat(born),
                share(y := id18(m_id), y),
                share(z, z),
                share(c := (cert or "").upper(), c),
                share(village, village),
                share(file_name, file_name),
                row_no,
                address=share(address, address),
                prec=prec or "D",
                order=order or 0,
                parents=_parents(share, norm, z, f_name, p_name),
            )
        )
    return out


def _parents(share, norm, *names: str) -> tuple[str, ...]:
    """The normalised parent names of a record (mother first), shared between records."""
    out = tuple(dict.fromkeys(n for n in (norm(x) if x else "" for x in names) if n and len(n) >= 2))
    return share(out, out)


def _common(values: list[str]) -> str:
    """The value given most (the first of equals), ignoring empty ones; ``""`` when none."""
    values = [v for v in values if v]
    if not values:
        return ""
    first = values[0]
    if all(v == first for v in values):  # the usual case: the sources agree
        return first
    return Counter(values).most_common(1)[0][0]
