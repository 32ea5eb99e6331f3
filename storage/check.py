"""``hecha check``: every finding in the database (or one village or household), and the export gate.

Households are loaded in pages of :data:`PAGE` with :func:`storage.households.load_households`
(five queries a page) and checked with the same rule engine as the form
(:func:`storage.validate.check_household`); :func:`two_households` adds the rule that spans households.
Confirmed warnings are not reported again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .checkstore import begin, rules_key, settle
from .households import load_households, village_codes
from .models import Household, Person
from .office import reference_date
from .validate import ERROR, RULES, Finding, check_household

PAGE = 500


@dataclass(frozen=True)
class Located:
    """A finding with where it lives in the database: 户编码, the household's uid, the person's name."""

    household_code: str
    household_uid: str
    person: str
    finding: Finding

    @property
    def level(self) -> str:
        return self.finding.level

    def line(self) -> str:
        """One line for the terminal: 错误 户编码 第2人 王秀英 身份证号 [id.bad_checksum] message."""
        f = self.finding
        level = "错误" if f.level == ERROR else "提示"
        who = f" {self.person}" if self.person else ""
        return f"{level} {self.household_code} {f.where()}{who} [{f.rule}] {f.message}"


def _households(village: str | None, household: str | None):
    query = Household.select().where(Household.deleted == False)
    if village:
        query = query.where(Household.village_code.startswith(village))
    if household:
        query = query.where(Household.household_code.startswith(household))
    return query


def check_database(
    *,
    village: str | None = None,
    household: str | None = None,
    household_uids: Iterable[str] | None = None,
    include_confirmed: bool = False,
    today: dt.date | None = None,
    across: bool = True,
    remember: bool = False,
) -> Iterator[Located]:
    """Every finding of the live households (all, one village, one 户编码, or the given uids), then
    (``across``) persons registered in two households. Confirmed warnings only with
    ``include_confirmed``. ``remember``: once every household was checked, keep each one's count of
    errors (:func:`storage.checkstore.begin` before reading them, :func:`~storage.checkstore.settle`
    after), for the export gate."""
    villages = village_codes()
    as_of = reference_date()  # 标准时点: ages judged at the campaign's date, not today's
    remember = remember and today is None  # a check at another day is not the one the gate trusts
    key = rules_key() if remember else ""
    wanted = set(household_uids) if household_uids is not None else None
    query = _households(village, household)
    last_id = 0
    errors: dict[int, int] = {}
    while True:
        page = list(query.where(Household.id > last_id).order_by(Household.id).limit(PAGE))
        if not page:
            break
        last_id = page[-1].id
        if wanted is not None:
            page = [hh for hh in page if hh.uid in wanted]  # filtered here: no IN list of 50,000 uids
        if remember:
            begin(hh.id for hh in page)  # before their rows are read: an edit meanwhile forgets the mark
        for hh, form in zip(page, load_households(page), strict=True):
            errors[hh.id] = 0
            for f in check_household(form, villages, today, as_of=as_of):
                errors[hh.id] += f.level == ERROR
                if f.confirmed and not include_confirmed:
                    continue
                person = (
                    form.members[f.index].name
                    if f.section in ("member", "woman", "migration") and 0 <= f.index < len(form.members)
                    else ""
                )
                yield Located(hh.household_code, hh.uid, person, f)
    if remember:
        settle(errors, key)
    if across:
        yield from two_households(village=village, household=household, household_uids=wanted)


def two_households(
    *, village: str | None = None, household: str | None = None, household_uids=None
) -> Iterator[Located]:
    """Persons whose ID number is live in two households where neither copy is marked as moved
    (居住状况 2 流出 / 3 流入, or 现状 迁出): rule ``person.two_households``."""
    settled = (
        (Person.deleted == False)
        & (Person.id_number_18 != "")
        & Person.residence_status.not_in(["2", "3"])
        & (Person.vital_status != "3")
    )
    from peewee import fn

    twice = (
        Person.select(Person.id_number_18)
        .where(settled)
        .group_by(Person.id_number_18)
        .having(fn.COUNT(fn.DISTINCT(Person.household)) > 1)
    )
    rows = (
        Person.select(Person, Household)
        .join(Household)
        .where(settled & Person.id_number_18.in_(twice) & (Household.deleted == False))
        .order_by(Person.id_number_18, Household.household_code)
    )
    found: dict[str, list[Person]] = {}
    for p in rows:
        found.setdefault(p.id_number_18, []).append(p)
    for copies in found.values():
        for p in copies:
            hh = p.household
            if (
                village
                and not hh.village_code.startswith(village)
                or household
                and not hh.household_code.startswith(household)
            ):
                continue
            if household_uids is not None and hh.uid not in household_uids:
                continue
            others = "、".join(o.household.household_code for o in copies if o.id != p.id)
            f = Finding(
                "person.two_households",
                RULES["person.two_households"][0],
                "member",
                p.seq - 1,
                "id_number",
                f"同一人还登记在户 {others}：一处应注明流出/流入或迁出，或删去重复的一处",
            )
            yield Located(hh.household_code, hh.uid, p.name, f)


def error_summary(found: Iterable[Located], limit: int = 5) -> tuple[int, str]:
    """How many errors, and the first few as 户编码 + where, for a refusal message."""
    errors = [x for x in found if x.level == ERROR]
    where = "；".join(  # what, not only where (a helper's finding): 户编码 第3人 李浩然 身份证号：message
        f"{x.household_code} {x.finding.where()}{' ' + x.person if x.person else ''}：{x.finding.message}"
        for x in errors[:limit]
    )
    return len(errors), where
