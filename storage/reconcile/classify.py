"""What a linked birth is (:func:`classify`): the finding, the fields WIS gets wrong, the birth order, the key.

Part of :mod:`storage.reconcile` (issue 13: one job a module).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable

from .records import DAYS_MOTHER, DAYS_NAME, GROUP_NAMES, Finding, Rec, _common, _id18

# ---------------------------------------------------------------------------- findings


def classify(
    cluster: list[Rec], county: str, mothers_here: set[str], as_of: dt.date, orders: BirthOrders | None = None
) -> Finding:
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
        return Finding(
            key,
            "false",
            cluster,
            [],
            "；".join(["只有人口系统有：可能是虚报，也可能已迁出、在外地出生登记或已死亡注销，请入户核实"] + notes),
        )
    mothers = {r.mother_id for r in cluster if r.mother_id}
    local = any(m in mothers_here or m[:6] == county for m in mothers) or "forms" in groups or "police" in groups
    if groups <= {"health"} and mothers and not local:  # elsewhere only on evidence: the mother's ID number
        where = "、".join(sorted({m[:6] for m in mothers})) or "不详"
        return Finding(
            key,
            "elsewhere",
            cluster,
            [],
            f"只在出生证/住院分娩名单上，母亲不是本县人（户籍地代码 {where}）："
            "在本地医院出生、在母亲户籍地登记，不计本乡漏报",
        )
    if "forms" not in groups:
        notes.insert(0, "登记表也没有：可能瞒报，请入户核实")
    return Finding(key, "omission", cluster, [], "；".join(notes))


DAY_SOURCES = frozenset({"forms", "birth_cert", "delivery", "police_hukou"})
"""Sources that record the day of birth itself; a vaccination list often has the day of the first
shot, a roll what a parent said: a difference of a few days needs one of these."""


def shown_date(r: Rec) -> str:
    """A record's birth date as its precision allows: 2018-09-14, 2018-09, 2018."""
    return r.born.isoformat()[: {"M": 7, "Y": 4}.get(r.prec, 10)]


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
    may be on no list and WIS may not hold them): WIS's 孩次 is questioned only when it is lower. A
    birth counts for the mother another source gives it (WIS may hold it under the wrong woman),
    else WIS's; WIS-only records count only before the window (in it they may be false: they are
    疑似虚报), and WIS's births of her older children before the records read are added. The order
    of a birth is 1 + her births before it; ``0`` (not judged) when another birth of hers lies within
    5 days (twins, a date a few days off) or she is unknown."""

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
    from ..models import ImportBatch, RefRecord

    out: dict[str, int] = defaultdict(int)
    rows = (
        RefRecord.select(RefRecord.mother_id_number)
        .join(ImportBatch)
        .where(
            (ImportBatch.status == "active")
            & (RefRecord.source == "wis")
            & (RefRecord.birth_date < before.isoformat())
            & (RefRecord.birth_date != "")
            & (RefRecord.mother_id_number != "")
        )
        .tuples()
    )
    for (number,) in rows.iterator():
        if m := _id18(number):
            out[m] += 1
    return dict(out)


def birth_day(cluster: list[Rec]) -> dt.date:
    """The date a linked birth is counted at: the day most records of the sources that record the
    day of birth give (:data:`DAY_SOURCES`), else most records other than WIS (WIS may be the one
    wrong), else most records, else the earliest date."""
    for recs in (
        [r for r in cluster if r.source in DAY_SOURCES and r.prec == "D"],
        [r for r in cluster if r.group != "wis" and r.prec == "D"],
        [r for r in cluster if r.prec == "D"],
    ):
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
