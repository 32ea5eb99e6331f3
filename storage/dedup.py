"""Duplicate candidates (重复登记), DESIGN.md §6.

This first part implements rule 1, the same ID number after the 15→18 upgrade, against this
office's live persons. The fuzzy rules (one-edit IDs, homophones, mother + birth date) extend
:func:`candidates` without changing its callers: the form, the CLI and the county merge.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import idnumber
from .divisions import short_name
from .models import AdminDivision, Household, Person

RULE_SAME_ID = "same_id"
RULE_TEXT = {RULE_SAME_ID: "身份证号相同"}


@dataclass(frozen=True)
class Candidate:
    """An existing person who may be the one being typed.

    ``rule`` names the rule that fired (``same_id``); ``differs`` lists the fields whose values differ
    from what was typed (``name``, ``birth_date``, ``sex``).
    """

    person_uid: str
    name: str
    id_number: str
    sex: str
    birth_date: str
    household_code: str
    household_uid: str
    village_name: str
    rule: str
    differs: tuple[str, ...]

    @property
    def rule_text(self) -> str:
        return RULE_TEXT.get(self.rule, self.rule)


def candidates(
    id_number: str,
    *,
    name: str = "",
    exclude_household_uid: str | None = None,
    exclude_person_uids: frozenset[str] = frozenset(),
    limit: int = 20,
) -> list[Candidate]:
    """Live persons with the same ID number as ``id_number`` (15-digit numbers upgraded first).

    Persons of the household ``exclude_household_uid`` (the one being edited) and ``exclude_person_uids``
    are left out. One indexed lookup on ``person.id_number_18``. Returns at most ``limit`` candidates.
    """
    info = idnumber.parse(id_number)
    if not info.number_18:
        return []
    query = (
        Person.select(Person, Household)
        .join(Household)
        .where((Person.id_number_18 == info.number_18) & (Person.deleted == False))  # noqa: E712
        .limit(limit)
    )
    if exclude_household_uid:
        query = query.where(Household.uid != exclude_household_uid)
    out = []
    for p in query:
        if p.uid in exclude_person_uids:
            continue
        differs = []
        if name and p.name != name:
            differs.append("name")
        if info.birth_date and p.birth_date and p.birth_date != info.birth_date.isoformat():
            differs.append("birth_date")
        if info.sex and p.sex and p.sex != info.sex:
            differs.append("sex")
        village = AdminDivision.get_or_none(AdminDivision.code == p.household.village_code)
        out.append(
            Candidate(
                person_uid=p.uid,
                name=p.name,
                id_number=p.id_number,
                sex=p.sex,
                birth_date=p.birth_date,
                household_code=p.household.household_code,
                household_uid=p.household.uid,
                village_name=short_name(village.name) if village else p.household.village_code,
                rule=RULE_SAME_ID,
                differs=tuple(differs),
            )
        )
    return out
