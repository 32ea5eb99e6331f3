"""Reconciliation (核查比对, DESIGN.md §7, issue 7): every birth of the ten-year window linked across
the sources the office has, and what the links say.

Sources and their groups: the household forms (``forms``: :class:`~storage.models.Birth` rows), the
population database export (``wis``), health (``birth_cert``, ``delivery``, ``vaccination``),
education (``kindergarten``, ``school``) and the police register (``police_hukou``); lists of other
kinds (GPL, temporary residents, marriages) hold no births. A list record is a birth when its birth
date lies in the window (a delivery list names the mother; its profile maps her to the mother's
columns).

Linking (:func:`link`) uses the duplicate search's keys, strongest first: the child's ID number (15
digits upgraded); the birth certificate number; the mother's ID number with a birth date within 5
days, the same sex and names that agree (homophone keys) or are missing (王芳之女 links through the
mother), or with the same name at any date (a roll with a wrong birth date); a homophone name born
within 3 days or with day and month swapped, mothers not different; a parent's name (mother,
father, a roll's 家长姓名) and a birth date within 3 days, with child names that agree, are one
character apart or one character short. Then the rules that survive one wrong key field (issue
12): the mother's ID with names that agree or are one character off and a date within 5 days,
across a differing sex, or with the same sex across a typical date slip (:func:`date_slip`: a
year, a month, a day of the same month, day/month swapped, a lunar date); the same name, sex and day across
different mothers (WIS listing the child under another woman); last, births already linked are
joined when the mother's ID, the name and the date come from different records of each, and a
certificate of a renamed child joins the one birth of that mother, day and sex
(:func:`_join_clusters`). A date to the month or year (a roll's 出生年月) is any day of its span.
One cluster holds at most one record of each source (a list lists a child once), which keeps twins
apart: each twin's records link among themselves, never across.

Findings (:func:`classify`):

- ``omission`` (疑似漏报): on the forms or a health, education or police list, not in WIS;
- ``false`` (疑似虚报): in WIS only, no other source confirms it;
- ``misreport`` (疑似错报): in WIS and elsewhere, but the birth date, sex, mother or 孩次 differ
  (:func:`compare`; where no other source carries 孩次, WIS's is questioned when it is lower than
  the mother's births before this one that the sources show, :class:`BirthOrders`);
- ``consistent`` (一致): in WIS and elsewhere, agreeing;
- ``elsewhere`` (外地出生): only on a birth certificate or delivery list, the mother's ID number
  neither of a person in this database nor of this county: born in the county's hospital, registered where the mother
  lives (a birth certificate counts the place of birth, WIS counts the mother's residence).

Each finding says why a non-match may be legitimate (born elsewhere, registered elsewhere, moved
away, died: a police register drops the dead; a school list only has children of school age).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable

import peewee as pw

from . import idnumber
from .dates import add_years
from .dedup import one_char_apart, one_edit, swapped
from .errors import OperatorError
from .names import name_keys, normalize, unnamed_child

SOURCE_GROUP = {"wis": "wis", "birth_cert": "health", "delivery": "health", "vaccination": "health",
                "kindergarten": "education", "school": "education", "police_hukou": "police"}
"""Which group a list kind's births belong to (DESIGN.md §7)."""

GROUP_NAMES = {"forms": "登记表", "wis": "人口系统", "health": "卫生", "education": "教育", "police": "公安"}
GROUP_SHORT = {"forms": "登", "wis": "系", "health": "卫", "education": "教", "police": "公"}
"""One-character names for an 80-column list (登 the household forms, 系 WIS, 卫 health, 教 education, 公 police)."""
SOURCE_NAMES = {"forms": "登记表", "wis": "人口系统", "birth_cert": "出生证", "delivery": "住院分娩", "vaccination": "预防接种",
                "kindergarten": "幼儿园", "school": "学校", "police_hukou": "公安户籍"}
KINDS = {"omission": "疑似漏报", "false": "疑似虚报", "misreport": "疑似错报", "consistent": "一致", "elsewhere": "外地出生"}
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
    """The reference date a clerk typed (YYYYMMDD or YYYY-MM-DD; empty: today), 1990-01-01 up to
    today (the births of the ten years before it are reconciled). Raises ``ValueError`` with a
    Chinese message saying the form expected."""
    from .dates import DateInputError, parse_typed

    today = today or dt.date.today()
    text = (text or "").strip()
    if not text:
        return today
    if len(text.replace("-", "")) != 8:
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


def _memo(fn: Callable) -> Callable:
    """``fn`` remembered per argument for one load (a child's name stands in five lists)."""
    return lru_cache(maxsize=None)(fn)


def load_records(first: dt.date, last: dt.date) -> list[Rec]:
    """Every birth record of the window: the forms' live births (not stillbirths) and the active
    lists' records of the kinds in :data:`SOURCE_GROUP` born in it."""
    from .models import Birth, Household, ImportBatch, Person, RefRecord

    out: list[Rec] = []
    lo, hi = first.isoformat(), last.isoformat()
    mother, child = Person.alias(), Person.alias()
    father = Person.alias()
    rows = (Birth.select(Birth.uid, Birth.child_name, Birth.child_sex, Birth.birth_date, Birth.birth_cert_no, Birth.child_status,
                         mother.id_number, mother.name, child.id_number, child.name, child.sex, child.vital_status,
                         Household.village_code, Household.household_code, Household.address_detail, Birth.birth_date_prec,
                         Birth.birth_order, pw.fn.COALESCE(father.name, Birth.father_name))
            .join(mother, on=(Birth.mother == mother.id)).switch(Birth)
            .join(child, join_type=pw.JOIN.LEFT_OUTER, on=(Birth.child == child.id)).switch(Birth)
            .join(father, join_type=pw.JOIN.LEFT_OUTER, on=(Birth.father == father.id)).switch(Birth)
            .join(Household, on=(Birth.household == Household.id))
            .where((Birth.deleted == False) & (Birth.outcome == "1") & Birth.birth_date.between(lo, hi))  # noqa: E712
            .tuples())
    pool: dict = {}
    share = pool.setdefault  # one string object for a name or number that several lists repeat
    name_of, norm, id18 = _memo(_name), _memo(normalize), _memo(_id18)
    con = Birth._meta.database.connection()
    rows = con.execute(*rows.sql())  # plain rows: peewee's conversion of each value cost more than the query
    for (uid, child_name, child_sex, born, cert, status, m_id, m_name, c_id, c_name, c_sex, vital, village, code, address, prec,
         order, f_name) in rows:
        name, keys = name_of(c_name or child_name)
        z = norm(m_name)
        out.append(Rec(0, "forms", "forms", share(x := id18(c_id or ""), x), share(name, name), share(keys, keys), share(g := c_sex or child_sex or "", g),
                       dt.date.fromisoformat(born), share(y := id18(m_id), y), share(z, z),
                       (cert or "").upper(), share(village, village), f"户{code}", dead=status == "2" or vital == "2", birth_uid=uid,
                       address=address or "", prec=prec or "D", order=order or 0, parents=_parents(share, norm, z, f_name or "")))
    rows = (RefRecord.select(RefRecord.id, RefRecord.source, RefRecord.name, RefRecord.sex, RefRecord.birth_date, RefRecord.id_number_18,
                             RefRecord.mother_name, RefRecord.mother_id_number, RefRecord.birth_cert_no, RefRecord.row_no,
                             RefRecord.address, ImportBatch.file_name, RefRecord.birth_date_prec, RefRecord.birth_order,
                             RefRecord.village_code, RefRecord.father_name, RefRecord.parent_name)
            .join(ImportBatch)
            .where((ImportBatch.status == "active") & RefRecord.source.in_(list(SOURCE_GROUP))
                   & RefRecord.birth_date.between(lo, hi))
            .tuples())
    for (rid, source, r_name, sex, born, number, m_name, m_id, cert, row_no, address, file_name, prec, order, village, f_name,
         p_name) in con.execute(*rows.sql()):
        name, keys = name_of(r_name)
        z = norm(m_name)
        out.append(Rec(rid, share(source, source), SOURCE_GROUP[source], share(x := id18(number), x), share(name, name), share(keys, keys),
                       share(g := sex or "", g),
                       dt.date.fromisoformat(born), share(y := id18(m_id), y), share(z, z),
                       share(c := (cert or "").upper(), c), share(village, village), share(file_name, file_name), row_no,
                       address=share(address, address), prec=prec or "D", order=order or 0, parents=_parents(share, norm, z, f_name, p_name)))
    return out


def _parents(share, norm, *names: str) -> tuple[str, ...]:
    """The normalised parent names of a record (mother first), shared between records."""
    out = tuple(dict.fromkeys(n for n in (norm(x) if x else "" for x in names) if n and len(n) >= 2))
    return share(out, out)


# ---------------------------------------------------------------------------- linking
class _Clusters:
    """Union-find over records with the one-record-per-source rule."""

    def __init__(self, records: list[Rec]):
        self.parent = list(range(len(records)))
        self.sources = [{r.source} for r in records]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> bool:
        a, b = self.find(i), self.find(j)
        if a == b:
            return True
        if self.sources[a] & self.sources[b]:
            return False  # both hold a record of one source: two children (twins), or a list's own duplicate
        if len(self.sources[a]) < len(self.sources[b]):
            a, b = b, a
        self.parent[b] = a
        self.sources[a] |= self.sources[b]
        return True


def _ids_agree(a: str, b: str) -> bool:
    return not a or not b or a == b or one_edit(a, b)


def _names_agree(a: Rec, b: Rec) -> bool:
    return not a.hkeys or not b.hkeys or bool(set(a.hkeys) & set(b.hkeys))


def _dropped(a: str, b: str) -> bool:
    """``b`` is ``a`` with one character left out (李艳勇 → 李艳, 欧阳明轩 → 欧明轩), two characters at least."""
    if len(a) < len(b):
        a, b = b, a
    return len(a) == len(b) + 1 and len(b) >= 2 and any(a[:i] + a[i + 1:] == b for i in range(len(a)))


def _names_close(a: Rec, b: Rec) -> bool:
    """Names that agree (:func:`_names_agree`), differ in one character (形近字), or one lost a
    character; or a name missing."""
    return (not a.name or not b.name or _names_agree(a, b) or one_char_apart(a.name, b.name)
            or _dropped(a.name, b.name))


def _sex_ok(a: Rec, b: Rec) -> bool:
    return not a.sex or not b.sex or a.sex == b.sex


def _gap(a: Rec, b: Rec) -> int:
    """Days between two birth dates, each the span its precision allows (a month date is any day of
    its month): 0 when the spans meet."""
    return max(0, (max(a.born, b.born) - min(a.last, b.last)).days)


def _near(a: Rec, b: Rec, days: int) -> bool:
    """Birth dates at most ``days`` apart (spans, :func:`_gap`), or two day dates with day and month swapped."""
    return _gap(a, b) <= days or (a.prec == "D" == b.prec and swapped(a.born) == b.born)


@lru_cache(maxsize=65536)
def lunar_as_solar(day: dt.date) -> dt.date | None:
    """``day``'s date in the Chinese lunar calendar read as a solar date (农历 2018-08-05 for
    2018-09-14): what a lunar birthday keyed as a solar one gives; ``None`` where there is no such
    solar date (a 30th of February) or the year is outside lunardate's table (1900–2099)."""
    from lunardate import LunarDate

    try:
        lunar = LunarDate.from_solar_date(day.year, day.month, day.day) if hasattr(LunarDate, "from_solar_date") \
            else LunarDate.fromSolarDate(day.year, day.month, day.day)
        return dt.date(lunar.year, lunar.month, lunar.day)
    except (ValueError, IndexError, OverflowError):
        return None


@lru_cache(maxsize=65536)
def solar_of_lunar(day: dt.date) -> dt.date | None:
    """The solar date of the lunar date written with ``day``'s numbers (a solar birthday taken for a
    lunar one and converted: 2020-05-31 → 农历五月三十 → 2020-07-20); a 31st is taken as the
    month's last day (a lunar month has 29 or 30). ``None`` outside lunardate's table."""
    from lunardate import LunarDate

    for d in (min(day.day, 30), 29):
        try:
            lunar = LunarDate(day.year, day.month, d)
            return lunar.to_solar_date() if hasattr(lunar, "to_solar_date") else lunar.toSolarDate()
        except (ValueError, IndexError, OverflowError):
            continue
    return None


def date_slip(a: Rec, b: Rec) -> str:
    """How two birth dates of one child differ by a typical keying error, or ``""``: ``near``
    (within 5 days, or spans that meet), ``swap`` (day and month exchanged), ``year`` (one year
    off, same month and day), ``month`` (same year and day, another month), ``day`` (same year and
    month, another day), ``lunar`` (the lunar calendar's date keyed as a solar one, or a solar date
    taken for a lunar one and converted). A month or year date slips by its year or month."""
    if _gap(a, b) <= DAYS_MOTHER:
        return "near"
    x, y = a.born, b.born
    if a.prec == "D" == b.prec:
        if swapped(x) == y:
            return "swap"
        if (x.month, x.day) == (y.month, y.day) and abs(x.year - y.year) == 1:
            return "year"
        if x.year == y.year and x.day == y.day:
            return "month"
        if x.year == y.year and x.month == y.month:
            return "day"
        if lunar_as_solar(x) == y or lunar_as_solar(y) == x or solar_of_lunar(x) == y or solar_of_lunar(y) == x:
            return "lunar"
        return ""
    if "Y" in (a.prec, b.prec):
        return "year" if abs(x.year - y.year) <= 1 else ""
    if x.year == y.year:
        return "month"
    return "year" if x.month == y.month and abs(x.year - y.year) == 1 else ""


def _join_clusters(records: list[Rec], clusters: _Clusters) -> None:
    """The last pass, over births already linked (issue 12, lists hecha did not make): two births
    of one mother's ID number are one when their key fields come from different records of each —
    the mother's ID from an unnamed certificate, the name from a vaccination list —

    - a name in each that agrees or is one character off, and a date within 5 days (the sex may
      differ) or, with the same sex, a date slipped by a typical error (:func:`date_slip`);
    - or one of them is only a certificate or delivery record (the child renamed since, 于敏佳 →
      于悦欣) and the other is the only birth of that mother, day and sex without such a record.

    The one-record-per-source rule still holds, so twins stay two births."""
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(records)):
        members[clusters.find(i)].append(i)
    by_mother: dict[str, set[int]] = defaultdict(set)
    for root, idx in members.items():
        for i in idx:
            if records[i].mother_id:
                by_mother[records[i].mother_id].add(root)
    for roots in by_mother.values():
        if len(roots) < 2 or len(roots) > 50:
            continue
        roots_list = sorted(roots)
        for x, a in enumerate(roots_list):
            for b in roots_list[x + 1:]:
                ra, rb = clusters.find(a), clusters.find(b)
                if ra == rb or clusters.sources[ra] & clusters.sources[rb]:
                    continue
                A, B = [records[i] for i in members[a]], [records[i] for i in members[b]]
                if _same_birth(A, B) or _renamed(A, B, roots_list, members, records, clusters):
                    clusters.union(ra, rb)


def _cluster_sex(recs: list[Rec]) -> str:
    return _common([r.sex for r in recs])


def _same_birth(A: list[Rec], B: list[Rec]) -> bool:
    named = [(a, b) for a in A if a.name for b in B if b.name and _names_close(a, b)]
    if not named:
        return False
    if any(_near(x, y, DAYS_MOTHER) for x in A for y in B):
        return True
    sa, sb = _cluster_sex(A), _cluster_sex(B)
    return (not sa or not sb or sa == sb) and any(date_slip(x, y) for x in A for y in B if x.prec == "D" == y.prec)


HEALTH_ONLY = frozenset({"birth_cert", "delivery"})


def _renamed(A: list[Rec], B: list[Rec], roots: list[int], members, records, clusters: _Clusters) -> bool:
    """``A`` or ``B`` is only a certificate/delivery record and the other the one birth of that
    mother, day and sex that has none of its sources (see :func:`_join_clusters`)."""
    for lone, other in ((A, B), (B, A)):
        if not {r.source for r in lone} <= HEALTH_ONLY or {r.source for r in other} <= HEALTH_ONLY:
            continue
        day, sex = lone[0].born, _cluster_sex(lone)
        if lone[0].prec != "D" or not sex:
            continue
        fits = 0
        for root in roots:
            recs = [records[i] for i in members[root]]
            if recs is lone or {r.source for r in recs} & {r.source for r in lone} or {r.source for r in recs} <= HEALTH_ONLY:
                continue
            if _cluster_sex(recs) == sex and any(r.prec == "D" and r.born == day for r in recs):
                fits += 1
        if fits == 1 and _cluster_sex(other) == sex and any(r.prec == "D" and r.born == day for r in other):
            return True
    return False


def link(records: list[Rec]) -> list[list[Rec]]:
    """Records grouped into births (see the module text), each group in source order.

    Strongest rules first: the one-record-per-source rule then keeps a looser rule from joining a
    record to another child's cluster (twins, siblings with names one character apart)."""
    clusters = _Clusters(records)
    order = sorted(range(len(records)), key=lambda i: (records[i].source != "forms", records[i].key))

    def block(keyfn: Callable[[Rec], Iterable[str]]) -> dict[str, list[int]]:
        out: dict[str, list[int]] = defaultdict(list)
        for i in order:
            for k in keyfn(records[i]):
                if k:
                    out[k].append(i)
        return out

    def pairs(groups: dict[str, list[int]], ok: Callable[[Rec, Rec], bool], keep: Callable[[Rec], bool] | None = None) -> None:
        """Every two records of a block that ``ok`` accepts are linked; ``keep`` first narrows each
        block to the records a rule can take (named ones), which saves most comparisons."""
        for members in groups.values():
            if len(members) < 2 or len(members) > 500:  # an ID shared by hundreds is not a person's (a placeholder)
                continue
            if keep is not None:
                members = [i for i in members if keep(records[i])]
            find = clusters.find
            for x, i in enumerate(members):
                root = find(i)
                for j in members[x + 1:]:
                    if find(j) != root and ok(records[i], records[j]) and clusters.union(i, j):
                        root = find(i)

    def near(groups: dict[str, list[int]], ok: Callable[[Rec, Rec], bool], days: int = DAYS_NAME, swap: bool = True) -> None:
        """Within each block, only records whose dates are at most ``days`` apart (a month date:
        any day of its month) or day/month swapped are compared: a common name's block holds
        thousands of records at county scale, and the blocks are keyed by the name alone so that
        they cost one list entry per record."""
        for members in groups.values():
            if len(members) < 2:
                continue
            by_day: dict[int, list[int]] = defaultdict(list)
            by_month: dict[int, list[int]] = defaultdict(list)
            years: list[int] = []
            for i in members:
                r = records[i]
                if r.prec == "D":
                    by_day[r.born.toordinal()].append(i)
                elif r.prec == "M":
                    by_month[r.born.year * 12 + r.born.month].append(i)
                else:
                    years.append(i)
            for i in members:
                a = records[i]
                if a.prec == "D":
                    day = a.born.toordinal()
                    other_way = swapped(a.born) if swap else None
                    want = [*range(day, day + days + 1), *([other_way.toordinal()] if other_way and other_way > a.born else [])]
                    for d in want:
                        for j in by_day.get(d, ()):
                            if j != i and (d != day or j > i) and clusters.find(i) != clusters.find(j) and ok(a, records[j]):
                                clusters.union(i, j)
                    continue
                # a month or year date: the day dates inside its span (± days), then the other wide dates
                for d in range(a.born.toordinal() - days, a.last.toordinal() + days + 1):
                    for j in by_day.get(d, ()):
                        if clusters.find(i) != clusters.find(j) and ok(a, records[j]):
                            clusters.union(i, j)
                month = a.born.year * 12 + a.born.month
                others = [j for m in (range(month - 1, month + 2) if a.prec == "M" else ()) for j in by_month.get(m, ())]
                for j in [*others, *years]:
                    if j > i and _gap(a, records[j]) <= days and clusters.find(i) != clusters.find(j) and ok(a, records[j]):
                        clusters.union(i, j)

    pairs(block(lambda r: (r.child_id,)), lambda a, b: True)
    pairs(block(lambda r: (r.cert,)), lambda a, b: _ids_agree(a.child_id, b.child_id))
    # the mother's ID: a birth date within 5 days and names that agree or are missing, or the same
    # name at any date (a mother does not give two children one name: a roll with a wrong date)
    # (the dates first: siblings given homophone names, 李明 and 李铭, link each to their own day)
    # (named records first: an unnamed 王芳之女 could be either twin, a named one only her own)
    mothers = block(lambda r: (r.mother_id,))
    named = lambda r: bool(r.hkeys)  # noqa: E731
    pairs(mothers, lambda a, b: (_sex_ok(a, b) and _ids_agree(a.child_id, b.child_id) and _near(a, b, DAYS_MOTHER)
                                 and _names_agree(a, b)), named)
    pairs(mothers, lambda a, b: (_sex_ok(a, b) and _ids_agree(a.child_id, b.child_id) and _near(a, b, DAYS_MOTHER)
                                 and _names_agree(a, b)))
    pairs(mothers, lambda a, b: (_sex_ok(a, b) and _ids_agree(a.child_id, b.child_id) and _names_agree(a, b)), named)
    near(block(lambda r: r.hkeys),
         lambda a, b: (_sex_ok(a, b) and _ids_agree(a.child_id, b.child_id) and _ids_agree(a.mother_id, b.mother_id)))
    # a parent's name and a date within 3 days: a list with neither the child's nor the mother's
    # ID number and the child's name written with an error (王强 / 玉强 on a kindergarten roll);
    # a school roll's 家长姓名 may be the mother or the father
    near(block(lambda r: r.parents),
         lambda a, b: (_sex_ok(a, b) and _ids_agree(a.child_id, b.child_id)
                       and _ids_agree(a.mother_id, b.mother_id) and _names_close(a, b)))
    # one key field wrong (issue 12): the mother's ID with a name that agrees or is one character
    # off and a date within 5 days links across a differing sex; with the same sex, across a date
    # keyed with a typical error (a year, a month, day/month swapped, a lunar date)
    pairs(mothers,
          lambda a, b: (_ids_agree(a.child_id, b.child_id) and _names_close(a, b)
                        and (_near(a, b, DAYS_MOTHER) or (_sex_ok(a, b) and bool(date_slip(a, b))))), lambda r: bool(r.name))
    # the mother misreported: the same name (homophones), sex and day, whatever the mothers' IDs
    pairs(block(lambda r: [f"{k}|{r.born}" for k in r.hkeys] if r.prec == "D" and len(r.name) >= 2 else ()),
          lambda a, b: a.sex == b.sex != "" and _ids_agree(a.child_id, b.child_id))
    _join_clusters(records, clusters)
    groups: dict[int, list[Rec]] = defaultdict(list)
    rank = {s: n for n, s in enumerate(["forms", *SOURCE_GROUP])}
    for i in order:
        groups[clusters.find(i)].append(records[i])
    return [sorted(g, key=lambda r: rank.get(r.source, 99)) for g in groups.values()]


# ---------------------------------------------------------------------------- findings
def _common(values: list[str]) -> str:
    """The value given most (the first of equals), ignoring empty ones; ``""`` when none."""
    values = [v for v in values if v]
    if not values:
        return ""
    first = values[0]
    if all(v == first for v in values):  # the usual case: the sources agree
        return first
    return Counter(values).most_common(1)[0][0]


def classify(cluster: list[Rec], county: str, mothers_here: set[str], as_of: dt.date,
             orders: BirthOrders | None = None) -> Finding:
    """What one linked birth is (see the module text). ``county``: the office's 6-digit county code;
    ``mothers_here``: ID numbers of the live persons of this database (a mother registered here);
    ``orders``: the mothers' births in date order, for WIS's 孩次 when no other source carries one."""
    groups = {r.group for r in cluster}
    wis = [r for r in cluster if r.group == "wis"]
    others = [r for r in cluster if r.group != "wis"]
    key = _key(cluster)
    dead = any(r.dead for r in cluster)
    age = (as_of - min(r.born for r in cluster)).days / 365.25
    notes = []
    if dead:
        notes.append("孩子已死亡：公安户籍、学校名单没有是正常的，出生仍应上报")
    if "education" not in groups and age < 3:
        notes.append("不满3岁：还没有入园入学")
    if wis and others:
        differences = compare(wis[0], others)
        if orders is not None and wis[0].order and not any(r.order for r in others):
            derived = orders.order_of(cluster)  # at least this: older children may be on no list
            if derived and wis[0].order < derived:
                differences.append(("birth_order", str(wis[0].order), f"至少{derived}", "各来源的出生先后"))
        if differences:
            return Finding(key, "misreport", cluster, differences, "；".join(notes))
        return Finding(key, "consistent", cluster, [], "；".join(notes))
    if wis:
        return Finding(key, "false", cluster, [], "；".join(
            ["只有人口系统有：可能是虚报，也可能已迁出、在外地出生登记或已死亡注销，请入户核实"] + notes))
    mothers = {r.mother_id for r in cluster if r.mother_id}
    local = any(m in mothers_here or m[:6] == county for m in mothers) or "forms" in groups or "police" in groups
    if groups <= {"health"} and mothers and not local:  # elsewhere only on evidence: the mother's ID number
        where = "、".join(sorted({m[:6] for m in mothers})) or "不详"
        return Finding(key, "elsewhere", cluster, [], f"只在出生证/住院分娩名单上，母亲不是本县人（户籍地代码 {where}）："
                                                     "在本地医院出生、在母亲户籍地登记，不计本乡漏报")
    if "forms" not in groups:
        notes.insert(0, "登记表也没有：可能瞒报，请入户核实")
    return Finding(key, "omission", cluster, [], "；".join(notes))


DAY_SOURCES = frozenset({"forms", "birth_cert", "delivery", "police_hukou"})
"""Sources that record the day of birth itself; a vaccination list often has the day of the first
shot, a roll what a parent said: a difference of a few days needs one of these."""


def shown_date(r: Rec) -> str:
    """A record's birth date as its precision allows: 2018-09-14, 2018-09, 2018."""
    return r.born.isoformat()[:{"M": 7, "Y": 4}.get(r.prec, 10)]


def compare(w: Rec, others: list[Rec]) -> list[tuple[str, str, str, str]]:
    """The key fields in which the WIS record ``w`` differs from what the other sources say
    (``[field, WIS value, other value, the sources that say it]``), field ``birth_date``, ``sex``,
    ``mother`` or ``birth_order`` (issue 12):

    - the date the other sources' day dates give most; a month or year date never decides alone
      (WIS's month holding the others' day agrees; a roll's month alone makes no difference), and
      a difference of 1–3 days needs a source that records the day of birth (:data:`DAY_SOURCES`);
    - the sex and the mother's ID number most other records give;
    - 孩次 where WIS and another source both carry it.
    """
    differences = []
    days = [r for r in others if r.prec == "D"]
    born = _common([r.born.isoformat() for r in days])
    if born:
        b = dt.date.fromisoformat(born)
        backing = [r for r in days if r.born == b]
        gap = min(abs((b - w.born).days), abs((b - w.last).days))
        if not w.born <= b <= w.last and (gap > DAYS_NAME or any(r.source in DAY_SOURCES for r in backing)):
            differences.append(("birth_date", shown_date(w), born, _sources(backing, lambda r: True)))
    sex = _common([r.sex for r in others])
    if sex and w.sex and sex != w.sex:
        differences.append(("sex", w.sex, sex, _sources(others, lambda r: r.sex == sex)))
    mother = _common([r.mother_id for r in others])
    if mother and w.mother_id and mother != w.mother_id:
        differences.append(("mother", w.mother_id, mother, _sources(others, lambda r: r.mother_id == mother)))
    order = _common([str(r.order) for r in others if r.order])
    if order and w.order and order != str(w.order):
        differences.append(("birth_order", str(w.order), order, _sources(others, lambda r: str(r.order) == order)))
    return differences


def _sources(records: list[Rec], keep: Callable[[Rec], bool]) -> str:
    return "、".join(dict.fromkeys(GROUP_NAMES[r.group] for r in records if keep(r)))


MARGIN_DAYS = 366


class BirthOrders:
    """Each mother's births in date order, to check WIS's 孩次 where no other source carries one (an
    office with no forms keyed yet, issue 12). What it gives is a lower bound (her older children
    may be on no list and WIS may not hold them): WIS's 孩次 is questioned only when it is lower. A birth counts for the mother another source gives
    it (WIS may hold it under the wrong woman), else WIS's; WIS-only records count only before the
    window (in it they may be false: they are 疑似虚报), and WIS's births of her older children
    before the records read are added. The order of a birth is 1 + her births before it; ``0`` (not judged)
    when another birth of hers lies within 5 days (twins, a date a few days off) or she is unknown."""

    def __init__(self, clusters: list[list[Rec]], older: dict[str, int], first: dt.date):
        self.days: dict[str, list[dt.date]] = defaultdict(list)
        self.older = older
        for c in clusters:
            day = birth_day(c)
            if day >= first and all(r.group == "wis" for r in c):
                continue
            mother = self.mother(c)
            if mother:
                self.days[mother].append(day)

    @staticmethod
    def mother(cluster: list[Rec]) -> str:
        """The mother's ID number the sources other than WIS give, else WIS's."""
        return _common([r.mother_id for r in cluster if r.group != "wis"]) or _common([r.mother_id for r in cluster])

    def order_of(self, cluster: list[Rec]) -> int:
        """The birth order (孩次) of ``cluster`` by the mother's births, or 0."""
        mother = self.mother(cluster)
        if not mother or mother not in self.days:
            return 0
        day = birth_day(cluster)
        days = self.days[mother]
        if sum(1 for d in days if abs((d - day).days) <= DAYS_MOTHER) != 1:
            return 0
        return 1 + self.older.get(mother, 0) + sum(1 for d in days if d < day)


def older_wis_births(before: dt.date) -> dict[str, int]:
    """Per mother's ID number (18 characters), the births the active WIS list gives her before
    ``before``: her older children, which the window leaves out."""
    from .models import ImportBatch, RefRecord

    out: dict[str, int] = defaultdict(int)
    rows = (RefRecord.select(RefRecord.mother_id_number).join(ImportBatch)
            .where((ImportBatch.status == "active") & (RefRecord.source == "wis") & (RefRecord.birth_date < before.isoformat())
                   & (RefRecord.birth_date != "") & (RefRecord.mother_id_number != "")).tuples())
    for (number,) in rows.iterator():
        if (m := _id18(number)):
            out[m] += 1
    return dict(out)


def birth_day(cluster: list[Rec]) -> dt.date:
    """The date a linked birth is counted at: the day most records of the sources that record the
    day of birth give (:data:`DAY_SOURCES`), else most records other than WIS (WIS may be the one
    wrong), else most records, else the earliest date."""
    for recs in ([r for r in cluster if r.source in DAY_SOURCES and r.prec == "D"],
                 [r for r in cluster if r.group != "wis" and r.prec == "D"], [r for r in cluster if r.prec == "D"]):
        day = _common([r.born.isoformat() for r in recs])
        if day:
            return dt.date.fromisoformat(day)
    return min(r.born for r in cluster)


def _key(cluster: list[Rec]) -> str:
    """The birth's key, stable across runs: its form's birth uid, else the child's ID number,
    certificate, mother + date + sex (+ name), or name + date."""
    for r in cluster:
        if r.birth_uid:
            return f"birth:{r.birth_uid}"
    first = cluster[0]
    child_id = _common([r.child_id for r in cluster])
    if child_id:
        return f"id:{child_id}"
    cert = _common([r.cert for r in cluster])
    if cert:
        return f"cert:{cert}"
    mother = _common([r.mother_id for r in cluster])
    hkey = _common([r.hkeys[0] for r in cluster if r.hkeys])
    if mother:
        return f"mother:{mother}:{first.born.isoformat()}:{first.sex}:{hkey}"
    return f"name:{hkey or first.name}:{first.born.isoformat()}:{first.mother_name}"


# ---------------------------------------------------------------------------- running
@dataclass
class RunReport:
    """What a run found: records read, births (clusters), findings per kind, seconds, and the
    source groups that have no list loaded."""

    as_of: dt.date
    records: int
    births: int
    kinds: dict[str, int]
    seconds: float
    missing: list[str] = field(default_factory=list)  # source groups with no list loaded

    @property
    def warning(self) -> str:
        """What the findings cannot say for want of a list (Chinese), or ``""``."""
        if "wis" in self.missing:
            return "还没有导入人口系统（WIS）名单：不在人口系统的出生都会显示为疑似漏报，请先导入（菜单 8，来源 wis）"
        if self.missing:
            return "还没有导入" + "、".join(GROUP_NAMES[g] for g in self.missing) + "的名单：这些来源的证据缺失"
        return ""


def run(as_of: dt.date, *, progress: Callable[[str], None] | None = None) -> RunReport:
    """Link every birth of the ten years up to ``as_of`` and rewrite the findings
    (:class:`~storage.models.ReconcileFinding`) in one transaction; visit results stay.

    Python's cyclic garbage collector is paused meanwhile: the half million records of a county
    hold no cycles, and its passes over them took a tenth of the run (36.9 → 33.0 s)."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        return _run(as_of, progress)
    finally:
        if was:
            gc.enable()


def _run(as_of: dt.date, progress: Callable[[str], None] | None) -> RunReport:
    from .db import now_iso, write_txn
    from .models import Household, ImportBatch, Office, Person, ReconcileFinding, ReconcileRun, VisitResult

    started = time.perf_counter()
    first, last = window(as_of)
    say = progress or (lambda text: None)
    loaded = {SOURCE_GROUP[k] for (k,) in ImportBatch.select(ImportBatch.source).where(
        (ImportBatch.status == "active") & ImportBatch.source.in_(list(SOURCE_GROUP))).tuples()}
    missing = [g for g in ("wis", "health", "education", "police") if g not in loaded]
    say("正在读取各来源的出生记录...")
    # a year's margin before the window: a WIS date a year off, a vaccination a day late, still
    # link to their birth; births the other sources date before the window are then left out
    records = load_records(first - dt.timedelta(days=MARGIN_DAYS), last)
    say(f"已读 {len(records)} 条记录，正在比对...")
    linked = link(records)
    orders = BirthOrders(linked, older_wis_births(first - dt.timedelta(days=MARGIN_DAYS)), first)
    clusters = [c for c in linked if birth_day(c) >= first]
    del linked
    county = Office.get().county_code
    mothers = {r.mother_id for r in records if r.mother_id}
    here: dict[str, str] = {}  # mother's ID → her village, for the mothers registered here
    ids = sorted(mothers)
    for i in range(0, len(ids), 900):
        for number, village in (Person.select(Person.id_number_18, Household.village_code).join(Household)
                                .where(Person.id_number_18.in_(ids[i:i + 900]) & (Person.deleted == False)).tuples()):  # noqa: E712
            here[number] = village
    registered = set(here)
    n_records, n_births = len(records), len(clusters)
    del records  # the clusters hold them
    say("正在保存比对结果...")
    seen: Counter = Counter()
    kinds: Counter = Counter()
    codes: set[str] = set()
    results = {key: json.loads(records) for key, records in VisitResult.select(VisitResult.key, VisitResult.records).tuples()}
    kept_codes = {key: code for key, code in VisitResult.select(VisitResult.key, VisitResult.code).tuples() if code}
    by_record = {rk: key for key, records in results.items() for rk in records}  # a concluded birth's records
    moved: dict[str, str] = {}  # a result's old key → the key its birth has now
    columns = ("key", "kind", "village_code", "birth_date", "child_name", "sex", "mother_name", "mother_id_number", "groups",
               "evidence", "differences", "reason", "birth_uid", "code")
    sql = f'INSERT INTO "reconcile_finding" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
    with write_txn():  # the findings are made as they are written: a county's would not all fit in memory at once
        ReconcileFinding.delete().execute()
        con = ReconcileFinding._meta.database.connection()
        chunk: list[tuple] = []
        for c in clusters:
            f = classify(c, county, registered, as_of, orders)
            kinds[f.kind] += 1
            seen[f.key] += 1
            if seen[f.key] > 1:  # two births with the same key (unnamed twins of one sex): keep both
                f.key = f"{f.key}#{seen[f.key]}"
            if f.key not in results:  # a birth concluded under another key (a list gave the child a name since)
                old = next((by_record[r.key] for r in c if r.key in by_record), None)
                if old and old not in moved and old not in seen:
                    moved[old] = f.key
            row = _row(f, here)
            # a concluded birth keeps the code it was concluded under (the work lists printed it)
            old_key = f.key if f.key in kept_codes else next((k for k, v in moved.items() if v == f.key), None)
            code = kept_codes.get(old_key or "") if old_key else None
            row["code"] = code = code if code and code not in codes else short_code(f.key, codes)
            codes.add(code)
            chunk.append(tuple(row[k] for k in columns))
            if len(chunk) == 5000:  # plain executemany: peewee takes longer to build the statement than SQLite to run it
                con.executemany(sql, chunk)
                chunk = []
        con.executemany(sql, chunk)
        for old, new in moved.items():
            if new not in results and old not in seen:
                VisitResult.update(key=new).where(VisitResult.key == old).execute()
        seconds = time.perf_counter() - started
        ReconcileRun.create(at=now_iso(), as_of=as_of.isoformat(), records=n_records, births=n_births, seconds=seconds)
    return RunReport(as_of, n_records, n_births, dict(kinds), seconds, missing)


def short_code(key: str, taken: set[str]) -> str:
    """A finding's code for work lists and clerks: 8 characters of the key's SHA-1 in upper case
    (no ID number in it, unlike the key), longer when another birth of the run has it already."""
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest().upper()
    for n in range(8, 41):
        if digest[:n] not in taken:
            return digest[:n]
    return digest


def _row(f: Finding, here: dict[str, str]) -> dict:
    recs = f.records
    # the village: the household form's, else the mother's household's here, else a list's (村(居)委会)
    village = (next((r.village for r in recs if r.village and r.source == "forms"), "")
               or next((here[r.mother_id] for r in recs if r.mother_id in here), "")
               or _common([r.village for r in recs if r.village]))
    name = next((r.name for r in recs if r.name), "")
    evidence = [dict(source=r.source, group=r.group, key=r.key, where=r.where, name=r.name, sex=r.sex, born=shown_date(r),
                     child_id=r.child_id, mother_id=r.mother_id, mother_name=r.mother_name, cert=r.cert, dead=r.dead,
                     address=r.address, order=r.order) for r in recs]
    return dict(key=f.key, kind=f.kind, village_code=village, birth_date=birth_day(recs).isoformat(),
                child_name=name, sex=_common([r.sex for r in recs]), mother_name=_common([r.mother_name for r in recs]),
                mother_id_number=_common([r.mother_id for r in recs]), groups=" ".join(f.groups),
                evidence=json.dumps(evidence, ensure_ascii=False), differences=json.dumps(f.differences, ensure_ascii=False),
                reason=f.reason, birth_uid=next((r.birth_uid for r in recs if r.birth_uid), ""))


def last_run():
    """The last :class:`~storage.models.ReconcileRun`, or ``None`` before the first run."""
    from .models import ReconcileRun

    return ReconcileRun.select().order_by(ReconcileRun.id.desc()).first()


def findings(*, village: str = "", kind: str = "", group: str = "", offset: int = 0, limit: int = 200):
    """The last run's findings, paged from SQL: not consistent ones unless ``kind`` asks for them,
    filtered by village (code prefix), kind and source group, by village, kind (omissions first)
    and date. Returns a list of ``(ReconcileFinding, VisitResult | None)``."""
    from .models import ReconcileFinding, VisitResult

    q = (ReconcileFinding.select(ReconcileFinding, VisitResult)
         .join(VisitResult, pw.JOIN.LEFT_OUTER, on=(VisitResult.key == ReconcileFinding.key), attr="result"))
    q = q.where(ReconcileFinding.kind == kind) if kind else q.where(ReconcileFinding.kind != "consistent")
    if village:
        q = q.where(ReconcileFinding.village_code.startswith(village))
    if group:
        q = q.where(ReconcileFinding.groups.contains(group))
    rank = pw.Case(ReconcileFinding.kind, [(k, n) for n, k in enumerate(("omission", "misreport", "false", "elsewhere"))], 9)
    q = q.order_by(ReconcileFinding.village_code, rank, ReconcileFinding.birth_date).offset(offset).limit(limit)
    return [(f, f.result if f.result is not None and f.result.id else None) for f in q]  # no result: None or an empty row


class ResultError(OperatorError, ValueError):
    """A visit result that cannot be recorded as asked; the message says why and what to do."""


CORRECTABLE = {"birth_date": "出生日期", "child_sex": "性别", "birth_order": "孩次", "birth_cert_no": "出生医学证明编号"}


def find(key: str):
    """The last run's finding by its code (8 or more characters, any case), its key, or the first
    characters of one key (``birth:3a50``; a bare birth uid is taken as ``birth:<uid>``). Raises
    :class:`ResultError` naming the candidates when several match, or saying none does."""
    from .models import ReconcileFinding, VisitResult

    text = unicodedata.normalize("NFKC", key).strip()
    f = (ReconcileFinding.get_or_none(ReconcileFinding.code == text.upper())
         or ReconcileFinding.get_or_none(ReconcileFinding.key == text))
    if f is not None:
        return f
    concluded = VisitResult.get_or_none(VisitResult.code == text.upper())  # a code printed before its birth's key changed
    if concluded is not None and (f := ReconcileFinding.get_or_none(ReconcileFinding.key == concluded.key)) is not None:
        return f
    some = []
    if len(text) >= 6:
        for prefix in (text, f"birth:{text}"):
            some = list(ReconcileFinding.select().where(ReconcileFinding.key.startswith(prefix)).limit(6))
            if some:
                break
    if len(some) == 1:
        return some[0]
    if some:
        shown = "、".join(f"{x.code}（{x.child_name or '未起名'} {x.birth_date}）" for x in some[:5])
        raise ResultError(f"以 {text} 开头的有 {len(some)}{'+' if len(some) > 5 else ''} 条：{shown}：请用编号")
    run = last_run()
    when = f"最近一次比对的参考日期是 {run.as_of}；编号来自另一参考日期或另一批名单时，请用那次的参考日期再比对" if run else "还没有运行比对"
    raise ResultError(f"没有编号为 {text} 的比对结果：编号见 hecha reconcile 列表或入户核查表的核查编号列（{when}）")


FITS = {  # a conclusion must fit what the sources show (DESIGN.md §7): (in WIS?, why not otherwise)
    "1": (False, "人口系统已有这个出生，不是漏报"),
    "2": (False, "人口系统已有这个出生，不是瞒报"),
    "3": (True, "虚报只能记在人口系统有的出生上"),
    "4": (True, "错报指人口系统记错了：这个出生人口系统没有"),
}


def conclusion_code(text: str) -> str:
    """The code of a conclusion typed as its code or its name (full-width digits too). Raises
    :class:`ResultError`."""
    text = unicodedata.normalize("NFKC", text).strip()
    code = next((c for c, n in CONCLUSIONS.items() if text in (c, n)), None)
    if code is None:
        raise ResultError(f"结论「{text}」不对：应为 {'、'.join(f'{c} {n}' for c, n in CONCLUSIONS.items())}")
    return code


def check_fits(f, code: str) -> None:
    """Raise :class:`ResultError` when conclusion ``code`` does not fit finding ``f``'s sources
    (:data:`FITS`), or is 漏报/瞒报 for a birth elsewhere (the mother is not of this county)."""
    if code in ("1", "2") and f.kind == "elsewhere":
        raise ResultError("外地出生：母亲不是本县人，出生在母亲户籍地登记，不计本乡漏报；若核实她家住在本乡，请先录入她家的登记表，再比对")
    if code in FITS and ("wis" in f.groups.split()) != FITS[code][0]:
        raise ResultError(f"{FITS[code][1]}（出现于：{'、'.join(GROUP_NAMES[g] for g in f.groups.split())}）")


def record_result(key: str, conclusion: str, *, note: str = "", corrections: dict[str, str] | None = None,
                  operator: str | None = None) -> str:
    """Record the visit's conclusion (``0``–``4``, ``9``; or its name, 漏报 …) on the finding
    ``key`` (see :func:`find`) and act on it, all in one transaction with audit rows:

    - on a birth of the forms: its ``finding``, note, evidence and who are set; a 错报 also applies
      ``corrections`` (fields of :data:`CORRECTABLE`) through the form's save and its checks;
    - 漏报/瞒报 with no birth on the forms: the child and the birth are added to the mother's
      household (through the form's save, with the evidence), when the mother is registered here;
    - otherwise (a 虚报 only WIS holds) the result is kept for the summary and the county.

    The conclusion must fit the sources (:data:`FITS`: no 虚报 or 错报 without a WIS record,
    no 漏报 with one). Returns what was done, in words. Raises :class:`ResultError`."""
    from .db import now_iso, write_txn
    from .models import VisitResult
    from .paths import operator_login

    code = conclusion_code(conclusion)
    f = find(key)
    check_fits(f, code)
    corrections = {k: v.strip() for k, v in (corrections or {}).items()}
    bad = [k for k in corrections if k not in CORRECTABLE]
    if bad:
        raise ResultError(f"不能更正 {'、'.join(bad)}：可更正 {'、'.join(f'{k}（{v}）' for k, v in CORRECTABLE.items())}")
    if corrections and code != "4":
        raise ResultError("只有结论为 4 错报 时才更正字段")
    if corrections and not f.birth_uid:
        raise ResultError("这个出生不在登记表上：更正只改登记表的出生记录（人口系统的错由县里更正）")
    who = operator or operator_login()
    records = json.loads(f.evidence)
    evidence = "；".join(f"{GROUP_NAMES.get(e['group'], e['group'])} {e['where']}" for e in records)
    earlier = VisitResult.get_or_none(VisitResult.key == f.key)
    done = f"已记录结论：{CONCLUSIONS[code]}" + ("（只在人口系统的记录：汇总报县，由县里更正人口系统）" if code == "3" else "")
    with write_txn():
        birth_uid = f.birth_uid
        if birth_uid:
            done = _mark_birth(birth_uid, code, note, evidence, corrections, who)
        elif code in ("1", "2"):
            birth_uid, done = _add_birth(f, code, note, evidence, who)
        if earlier and earlier.conclusion in ("1", "2") and code not in ("1", "2") and earlier.birth_uid:
            done += f"；之前按{CONCLUSIONS[earlier.conclusion]}补录的出生仍在户内：如不该有，请在登记表中删去"
        values = dict(conclusion=code, note=note, village_code=f.village_code, birth_date=f.birth_date, kind=f.kind,
                      birth_uid=birth_uid, corrections=json.dumps(corrections, ensure_ascii=False), who=who, at=now_iso(),
                      records=json.dumps([e["key"] for e in records]), code=f.code)
        if birth_uid and not f.birth_uid:  # a birth was added: from now on the birth is known by its uid
            VisitResult.delete().where(VisitResult.key == f.key).execute()
            f.key, f.birth_uid = f"birth:{birth_uid}", birth_uid
            f.save()
        VisitResult.insert(key=f.key, **values).on_conflict(conflict_target=[VisitResult.key], update=values).execute()
    return done


def _mark_birth(uid: str, code: str, note: str, evidence: str, corrections: dict[str, str], who: str) -> str:
    """Write the conclusion on the form's birth ``uid``; a 错报's corrections go through the
    household form's save (its checks: a date in the future, before the mother's birth, a
    certificate number of the wrong shape … are refused as on the form)."""
    from . import audit
    from .households import ValidationFailed, WarningsNotConfirmed, load_household, save_household
    from .models import Birth

    birth = Birth.get(Birth.uid == uid)
    changed = []
    if corrections:
        h = load_household(birth.household.uid)
        b = next(x for x in h.births if x.uid == uid)
        for name, value in corrections.items():
            if name == "birth_date":
                if len(value.replace("-", "")) != 8 or not value.replace("-", "").isdigit():
                    raise ResultError(f"出生日期「{value}」应为8位年月日，如 20170307")
                new = value.replace("-", "")
                old = birth.birth_date.replace("-", "")
            elif name == "child_sex":
                if value not in ("1", "2"):
                    raise ResultError(f"性别「{value}」应为 1（男）或 2（女）")
                new, old = value, birth.child_sex
            elif name == "birth_order":
                if not value.isdigit() or not 1 <= int(value) <= 20:
                    raise ResultError(f"孩次「{value}」应为 1 到 20 的数")
                new, old = int(value), birth.birth_order
            else:
                new, old = value.upper(), birth.birth_cert_no
            if new != old:
                setattr(b, name, new)
                changed.append(CORRECTABLE[name])
        if changed:
            try:
                save_household(h, reason="核查结论：错报更正", operator=who, confirmed_ids=frozenset())
            except ValidationFailed as exc:
                raise ResultError(f"更正没有通过登记表的检查：{exc}") from None
            except WarningsNotConfirmed as exc:
                raise ResultError(f"更正引出需要核实的提示：{exc}；请在登记表中改") from None
            birth = Birth.get(Birth.uid == uid)
    birth.finding, birth.finding_note, birth.evidence, birth.finding_by = code, note, evidence, who
    try:
        audit.save(birth, reason=f"核查结论：{CONCLUSIONS[code]}", operator=who)
    except audit.NotOwner as exc:
        raise ResultError(f"这条出生记录属于别的单位（{exc}）：请发协查由登记单位处理") from None
    return f"已在出生记录上记为{CONCLUSIONS[code]}" + (f"，更正了{'、'.join(changed)}" if changed else "")


def _add_birth(f, code: str, note: str, evidence: str, who: str) -> tuple[str, str]:
    """A confirmed omission without a birth on the forms: add the child and the birth to the
    mother's household through the form's save (checks, audit): the father is her husband in the
    household, the birth order follows her births before it; ``("", why not)`` when the mother is
    not registered here or the lists carry no ID number of hers."""
    from . import audit
    from .households import (
        BirthInput,
        DuplicatesNotConfirmed,
        MemberInput,
        ValidationFailed,
        WarningsNotConfirmed,
        confirm,
        dup_key,
        load_household,
        save_household,
    )
    from .models import Birth, Person

    if not f.mother_id_number:
        return "", (f"已记录结论；名单上没有母亲（{f.mother_name or '姓名不详'}）的身份证号，认不出是本库哪位：未补录出生，"
                    "请在母亲所在户的登记表中补录")
    mother = Person.get_or_none((Person.id_number_18 == f.mother_id_number) & (Person.deleted == False))  # noqa: E712
    if mother is None:
        return "", "已记录结论；母亲不在本库，未补录出生：请先录入母亲所在户的登记表，再记录一次"
    records = json.loads(f.evidence)
    child_id = next((e["child_id"] for e in records if e["child_id"]), "")
    cert = next((e["cert"] for e in records if e["cert"]), "")
    name = f.child_name or f"{mother.name}之{'子' if f.sex == '1' else '女'}"
    h = load_household(mother.household.uid)
    position = next(i for i, m in enumerate(h.members, start=1) if m.uid == mother.uid)
    spouses = ("10", "11", "12")
    if mother.relation_to_head in spouses:
        father = 1 if h.members[0].sex != "2" else None  # the head is her husband
    else:
        father = next((i for i, m in enumerate(h.members, start=1) if m.relation_to_head in spouses and m.uid != mother.uid), None)
    earlier = sum(1 for b in h.births if b.mother == position and b.birth_date.replace("-", "") < f.birth_date.replace("-", ""))
    relation = {"1": "20", "2": "30"}.get(f.sex, "")
    h.members.append(MemberInput(name=name, id_number=child_id, relation_to_head=relation if mother.relation_to_head in ("02", *spouses) else "99",
                                 sex=f.sex, birth_date=f.birth_date.replace("-", "")))
    h.births.append(BirthInput(mother=position, child=len(h.members), father=father, child_name=name, child_sex=f.sex,
                               birth_date=f.birth_date.replace("-", ""), birth_cert_no=cert, birth_order=earlier + 1))
    confirmed: frozenset[str] = frozenset({dup_key(h.members[-1])})
    for _ in range(3):
        try:
            hh = save_household(h, confirmed_ids=confirmed, reason=f"核查补录：{CONCLUSIONS[code]}", operator=who)
            break
        except WarningsNotConfirmed as exc:  # the evidence is the clerk's confirmation
            confirm(h, exc.findings)
        except DuplicatesNotConfirmed:
            raise ResultError("这个孩子可能已登记在别处（重复登记提示）：请先在重复登记中判定") from None
        except ValidationFailed as exc:
            raise ResultError(f"无法自动补录：{exc}；请在登记表中补录该出生") from None
    else:
        raise ResultError("无法自动补录（提示未能确认）：请在登记表中补录该出生")
    birth = Birth.get(Birth.uid == h.births[-1].uid)  # save_household sets each input's uid
    birth.finding, birth.finding_note, birth.evidence, birth.finding_by = code, note, evidence, who
    audit.save(birth, reason=f"核查结论：{CONCLUSIONS[code]}", operator=who)
    named = "" if f.child_name else f"（暂名 {name}，起名后在登记表中改）"
    return birth.uid, f"已记录{CONCLUSIONS[code]}，并在母亲 {mother.name} 的户 {hh.household_code} 补录了出生{named}"


# ---------------------------------------------------------------------------- work lists
WORKLIST_HEADER = ("序号", "核查编号", "疑点", "孩子姓名", "性别", "出生日期", "母亲姓名", "母亲身份证号", "孩子身份证号",
                   "户编码/住址", "出现于", "不一致", "说明", "核查结论", "备注", "核查人", "核查日期")


def mask(number: str) -> str:
    """An ID number with all but its last four characters hidden (``**************0046``)."""
    return "*" * (len(number) - 4) + number[-4:] if len(number) > 4 else number


def worklist_rows(*, village: str = "", masked: bool = True, kinds: tuple[str, ...] = ("omission", "misreport", "false")):
    """``{village code: [row, …]}``: the births to visit (no conclusion yet, or 待核), rows as
    :data:`WORKLIST_HEADER` with the result columns empty; IDs masked unless ``masked`` is false
    (the 核查编号 is the finding's code, which holds no ID number)."""
    from .models import ReconcileFinding, VisitResult

    q = (ReconcileFinding.select().join(VisitResult, pw.JOIN.LEFT_OUTER, on=(VisitResult.key == ReconcileFinding.key))
         .where(ReconcileFinding.kind.in_(kinds) & (VisitResult.id.is_null() | (VisitResult.conclusion == "9")))
         .order_by(ReconcileFinding.village_code, ReconcileFinding.kind, ReconcileFinding.birth_date))
    if village:
        q = q.where(ReconcileFinding.village_code.startswith(village))
    out: dict[str, list[list]] = defaultdict(list)
    hide = mask if masked else (lambda x: x)
    homes = _mothers_homes()
    for f in q.iterator():
        evidence = json.loads(f.evidence)
        child_id = _common([e["child_id"] for e in evidence])
        home = next((e["where"] for e in evidence if e["source"] == "forms"), "") or homes(f.mother_id_number)
        address = next((e.get("address", "") for e in evidence if e.get("address")), "")
        rows = out[f.village_code]
        differs = "；".join(f"{FIELD_WORDS.get(d[0], d[0])}：人口系统 {_shown(d[0], d[1], hide)}，{d[3]} {_shown(d[0], d[2], hide)}"
                           for d in json.loads(f.differences))
        rows.append([len(rows) + 1, f.code, KINDS[f.kind], f.child_name or "未起名", {"1": "男", "2": "女"}.get(f.sex, ""), f.birth_date,
                     f.mother_name, hide(f.mother_id_number), hide(child_id), " ".join(x for x in (home, address) if x),
                     "、".join(f"{GROUP_NAMES[e['group']]}（{e['where']}）" for e in evidence), differs, f.reason, "", "", "", ""])
    return dict(out)


def _mothers_homes() -> Callable[[str], str]:
    """``户<code>`` of the household of the live person with an ID number (18 characters), ``""``
    when nobody here has it: where to visit a birth no form holds but whose mother lives here."""
    from .models import Household, Person

    seen: dict[str, str] = {}

    def home(number: str) -> str:
        if not number:
            return ""
        if number not in seen:
            code = (Person.select(Household.household_code).join(Household)
                    .where((Person.id_number_18 == number) & (Person.deleted == False)).scalar())  # noqa: E712
            seen[number] = f"户{code}（母亲）" if code else ""
        return seen[number]

    return home


def _shown(name: str, value: str, hide: Callable[[str], str]) -> str:
    if name == "sex":
        return {"1": "男", "2": "女"}.get(value, value)
    return hide(value) if name == "mother" else value


# ---------------------------------------------------------------------------- summary

@dataclass
class SummaryRow:
    """One village's year (statistical year, :func:`stat_year`): the annual report's births and
    earlier corrections (:class:`~storage.models.AnnualReport`), the births this verification
    found (the last run's linked births, not counting births elsewhere or WIS-only records), the
    visits' conclusions and the findings still open."""

    village_code: str
    year: int
    reported: int = 0
    corrected: int = 0
    linked: int = 0
    omissions: int = 0
    hidden: int = 0
    false: int = 0
    misreports: int = 0
    pending: int = 0

    @property
    def gap(self) -> int:
        """Births found less births reported (with earlier corrections): what the report misses."""
        return self.linked - self.reported - self.corrected

    @property
    def omission_rate(self) -> float:
        """Confirmed omissions (漏报 + 瞒报) per birth found (0 when none were found)."""
        return (self.omissions + self.hidden) / self.linked if self.linked else 0.0


def summary(*, village: str = "") -> list[SummaryRow]:
    """Per village and statistical year, villages in code order, years ascending (see
    :class:`SummaryRow`); conclusions count only for births of the last run."""
    from .models import AnnualReport, ReconcileFinding, VisitResult

    rows: dict[tuple[str, int], SummaryRow] = {}

    def row(code: str, day: str) -> SummaryRow | None:
        if not day or (village and not code.startswith(village)):
            return None
        year = stat_year(dt.date.fromisoformat(day))
        return rows.setdefault((code, year), SummaryRow(code, year))

    for a in AnnualReport.select():
        r = rows.setdefault((a.village_code, a.year), SummaryRow(a.village_code, a.year)) if not village or a.village_code.startswith(village) else None
        if r:
            r.reported, r.corrected = a.reported, a.corrected
    concluded = {}
    current = {k for (k,) in ReconcileFinding.select(ReconcileFinding.key).tuples()}
    for v in VisitResult.select():
        if v.key not in current:  # its birth is not in the last run (another reference date, a list replaced)
            continue
        concluded[v.key] = v.conclusion
        r = row(v.village_code, v.birth_date)
        if r:
            if v.conclusion == "1":
                r.omissions += 1
            elif v.conclusion == "2":
                r.hidden += 1
            elif v.conclusion == "3":
                r.false += 1
            elif v.conclusion == "4":
                r.misreports += 1
    for key, kind, code, day in ReconcileFinding.select(ReconcileFinding.key, ReconcileFinding.kind, ReconcileFinding.village_code,
                                                        ReconcileFinding.birth_date).tuples().iterator():
        r = row(code, day)
        if r is None:
            continue
        if kind not in ("elsewhere", "false"):
            r.linked += 1
        if kind in ("omission", "false", "misreport") and key not in concluded:
            r.pending += 1
    return [rows[k] for k in sorted(rows)]


def set_annual(village_code: str, year: int, *, reported: int, corrected: int = 0) -> tuple[int, int] | None:
    """Enter a village's births of a statistical year as the annual report gave them, and the
    births corrected by earlier verifications; returns the figures it replaced, if any."""
    from .db import write_txn
    from .models import AnnualReport

    if reported < 0 or corrected < 0:
        raise ValueError("出生数不能为负")
    before = AnnualReport.get_or_none((AnnualReport.village_code == village_code) & (AnnualReport.year == year))
    with write_txn():
        AnnualReport.insert(village_code=village_code, year=year, reported=reported, corrected=corrected).on_conflict(
            conflict_target=[AnnualReport.village_code, AnnualReport.year],
            update=dict(reported=reported, corrected=corrected)).execute()
    return (before.reported, before.corrected) if before else None


def total(rows: list[SummaryRow], year: int = 0) -> SummaryRow:
    """The sum of ``rows`` (village code ``""``; ``year`` 0 for the 合计 line)."""
    return SummaryRow("", year, **{a: sum(getattr(r, a) for r in rows) for a in
                                   ("reported", "corrected", "linked", "omissions", "hidden", "false", "misreports", "pending")})


def by_year(rows: list[SummaryRow]) -> list[SummaryRow]:
    """The villages' rows summed per statistical year, years ascending (the summary's bars)."""
    return [total([r for r in rows if r.year == year], year) for year in sorted({r.year for r in rows})]
