"""Linking records into births (:func:`link`): blocks, the rules strongest first, the last pass over clusters.

Part of :mod:`storage.reconcile` (issue 13: one job a module).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache

from ..dedup import one_char_apart
from ..matchmodel import one_edit, swapped
from .records import DAYS_MOTHER, DAYS_NAME, SOURCE_GROUP, Rec, _common


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
    return len(a) == len(b) + 1 and len(b) >= 2 and any(a[:i] + a[i + 1 :] == b for i in range(len(a)))


def _names_close(a: Rec, b: Rec) -> bool:
    """Names that agree (:func:`_names_agree`), differ in one character (形近字), or one lost a
    character; or a name missing."""
    return not a.name or not b.name or _names_agree(a, b) or one_char_apart(a.name, b.name) or _dropped(a.name, b.name)


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
        lunar = (
            LunarDate.from_solar_date(day.year, day.month, day.day)
            if hasattr(LunarDate, "from_solar_date")
            else LunarDate.fromSolarDate(day.year, day.month, day.day)
        )
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
            for b in roots_list[x + 1 :]:
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
            if (
                recs is lone
                or {r.source for r in recs} & {r.source for r in lone}
                or {r.source for r in recs} <= HEALTH_ONLY
            ):
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

    def pairs(
        groups: dict[str, list[int]], ok: Callable[[Rec, Rec], bool], keep: Callable[[Rec], bool] | None = None
    ) -> None:
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
                for j in members[x + 1 :]:
                    if find(j) != root and ok(records[i], records[j]) and clusters.union(i, j):
                        root = find(i)

    def near(
        groups: dict[str, list[int]], ok: Callable[[Rec, Rec], bool], days: int = DAYS_NAME, swap: bool = True
    ) -> None:
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
                    want = [
                        *range(day, day + days + 1),
                        *([other_way.toordinal()] if other_way and other_way > a.born else []),
                    ]
                    for d in want:
                        for j in by_day.get(d, ()):
                            if (
                                j != i
                                and (d != day or j > i)
                                and clusters.find(i) != clusters.find(j)
                                and ok(a, records[j])
                            ):
                                clusters.union(i, j)
                    continue
                # a month or year date: the day dates inside its span (± days), then the other wide dates
                for d in range(a.born.toordinal() - days, a.last.toordinal() + days + 1):
                    for j in by_day.get(d, ()):
                        if clusters.find(i) != clusters.find(j) and ok(a, records[j]):
                            clusters.union(i, j)
                month = a.born.year * 12 + a.born.month
                others = [
                    j for m in (range(month - 1, month + 2) if a.prec == "M" else ()) for j in by_month.get(m, ())
                ]
                for j in [*others, *years]:
                    if (
                        j > i
                        and _gap(a, records[j]) <= days
                        and clusters.find(i) != clusters.find(j)
                        and ok(a, records[j])
                    ):
                        clusters.union(i, j)

    pairs(block(lambda r: (r.child_id,)), lambda a, b: True)
    pairs(block(lambda r: (r.cert,)), lambda a, b: _ids_agree(a.child_id, b.child_id))
    # the mother's ID: a birth date within 5 days and names that agree or are missing, or the same
    # name at any date (a mother does not give two children one name: a roll with a wrong date)
    # (the dates first: siblings given homophone names, 李明 and 李铭, link each to their own day)
    # (named records first: an unnamed 王芳之女 could be either twin, a named one only her own)
    mothers = block(lambda r: (r.mother_id,))
    named = lambda r: bool(r.hkeys)  # noqa: E731
    pairs(
        mothers,
        lambda a, b: (
            _sex_ok(a, b) and _ids_agree(a.child_id, b.child_id) and _near(a, b, DAYS_MOTHER) and _names_agree(a, b)
        ),
        named,
    )
    pairs(
        mothers,
        lambda a, b: (
            _sex_ok(a, b) and _ids_agree(a.child_id, b.child_id) and _near(a, b, DAYS_MOTHER) and _names_agree(a, b)
        ),
    )
    pairs(mothers, lambda a, b: _sex_ok(a, b) and _ids_agree(a.child_id, b.child_id) and _names_agree(a, b), named)
    near(
        block(lambda r: r.hkeys),
        lambda a, b: _sex_ok(a, b) and _ids_agree(a.child_id, b.child_id) and _ids_agree(a.mother_id, b.mother_id),
    )
    # a parent's name and a date within 3 days: a list with neither the child's nor the mother's
    # ID number and the child's name written with an error (王强 / 玉强 on a kindergarten roll);
    # a school roll's 家长姓名 may be the mother or the father
    near(
        block(lambda r: r.parents),
        lambda a, b: (
            _sex_ok(a, b)
            and _ids_agree(a.child_id, b.child_id)
            and _ids_agree(a.mother_id, b.mother_id)
            and _names_close(a, b)
        ),
    )
    # one key field wrong (issue 12): the mother's ID with a name that agrees or is one character
    # off and a date within 5 days links across a differing sex; with the same sex, across a date
    # keyed with a typical error (a year, a month, day/month swapped, a lunar date)
    pairs(
        mothers,
        lambda a, b: (
            _ids_agree(a.child_id, b.child_id)
            and _names_close(a, b)
            and (_near(a, b, DAYS_MOTHER) or (_sex_ok(a, b) and bool(date_slip(a, b))))
        ),
        lambda r: bool(r.name),
    )
    # the mother misreported: the same name (homophones), sex and day, whatever the mothers' IDs
    pairs(
        block(lambda r: [f"{k}|{r.born}" for k in r.hkeys] if r.prec == "D" and len(r.name) >= 2 else ()),
        lambda a, b: a.sex == b.sex != "" and _ids_agree(a.child_id, b.child_id),
    )
    _join_clusters(records, clusters)
    groups: dict[int, list[Rec]] = defaultdict(list)
    rank = {s: n for n, s in enumerate(["forms", *SOURCE_GROUP])}
    for i in order:
        groups[clusters.find(i)].append(records[i])
    return [sorted(g, key=lambda r: rank.get(r.source, 99)) for g in groups.values()]
