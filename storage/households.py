"""Household forms (核查登记表): the plain data the TUI and CLI hand over, and saving it.

:class:`HouseholdInput` is what a clerk keyed: the household section, its members in paper order
(the head first) and the births of its women. :func:`save_household` validates it, asks for the
duplicate warnings to have been seen, and writes everything in one short transaction through
:mod:`storage.audit`, so every row is stamped and audited.

Births refer to members by their 1-based position on the form (序号), as the paper does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from . import audit, idnumber
from .dates import DateInputError, parse_typed, to_typed
from .db import write_txn
from .dedup import Candidate, candidates
from .models import AdminDivision, Birth, Household, Person
from .names import normalize
from .validate import ERROR, Finding, check_household


@dataclass
class MemberInput:
    """One line of section 二. ``birth_date`` as typed (YYYYMMDD or YYYYMM); ``sex`` GB/T 2261.1.

    ``sex`` and ``birth_date`` may stay empty when a valid ID number gives them. ``uid`` is set for a
    member loaded from the database.
    """

    name: str = ""
    id_number: str = ""
    relation_to_head: str = ""
    ethnicity: str = "01"
    sex: str = ""
    birth_date: str = ""
    residence_status: str = "1"
    hukou_place_text: str = ""
    uid: str | None = None


@dataclass
class BirthInput:
    """One line of section 四. ``mother``/``father``/``child`` are member positions (1-based) or None."""

    mother: int | None = None
    child: int | None = None
    father: int | None = None
    child_name: str = ""
    child_sex: str = ""
    birth_date: str = ""
    birth_order: int | None = None
    birth_cert_no: str = ""
    uid: str | None = None


@dataclass
class HouseholdInput:
    """Section 一 plus its members and births. ``uid``/``serial`` are set for a saved household."""

    village_code: str = ""
    group_no: str = ""
    address_detail: str = ""
    form_no: str = ""
    members: list[MemberInput] = field(default_factory=list)
    births: list[BirthInput] = field(default_factory=list)
    uid: str | None = None
    serial: int | None = None

    def member_sex(self, i: int) -> str:
        """Sex of member ``i`` (0-based): as typed, else from the ID number."""
        m = self.members[i]
        return m.sex or idnumber.parse(m.id_number).sex or ""

    def member_birth_date(self, i: int) -> dt.date | None:
        """Birth date of member ``i`` (0-based): as typed, else from the ID number."""
        m = self.members[i]
        if m.birth_date:
            try:
                return dt.date.fromisoformat(parse_typed(m.birth_date)[0])
            except DateInputError:
                return None
        return idnumber.parse(m.id_number).birth_date


class ValidationFailed(Exception):
    """The form has errors; ``findings`` lists them (all levels)."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        errors = [f for f in findings if f.level == ERROR]
        super().__init__("；".join(f"{f.where()}：{f.message}" for f in errors[:5]))


class DuplicatesNotConfirmed(Exception):
    """Some members' ID numbers exist already; ``hits`` maps member index → candidates. Save again
    with their ID numbers in ``confirmed_ids`` once the clerk has seen the warning."""

    def __init__(self, hits: dict[int, list[Candidate]]):
        self.hits = hits
        super().__init__("、".join(f"第{i + 1}人" for i in hits) + " 的身份证号已有人登记")


def household_code(village_code: str, group_no: str, serial: int) -> str:
    """户编码: 12-digit village + 2-digit group + 4-digit serial (DESIGN.md §2)."""
    return f"{village_code}{group_no}{serial:04d}"


def next_serial(village_code: str, group_no: str) -> int:
    """The next free serial in a village group (1 for the first household)."""
    top = (
        Household.select(Household.serial)
        .where((Household.village_code == village_code) & (Household.group_no == group_no))
        .order_by(Household.serial.desc())
        .limit(1)
        .scalar()
    )
    return (top or 0) + 1


def village_codes() -> set[str]:
    """12-digit codes of the villages held in this database."""
    return {d.code for d in AdminDivision.select(AdminDivision.code).where(AdminDivision.level == 5)}


def duplicate_hits(h: HouseholdInput) -> dict[int, list[Candidate]]:
    """For each member (0-based index) whose ID number is held by a person outside this household."""
    out: dict[int, list[Candidate]] = {}
    for i, m in enumerate(h.members):
        if m.id_number:
            found = candidates(m.id_number, name=m.name, exclude_household_uid=h.uid)
            if found:
                out[i] = found
    return out


def _dates(m: MemberInput) -> tuple[str, str, str]:
    info = idnumber.parse(m.id_number)
    if m.birth_date:
        iso, prec = parse_typed(m.birth_date)
    elif info.birth_date:
        iso, prec = info.birth_date.isoformat(), "D"
    else:
        iso, prec = "", "D"
    return iso, prec, m.sex or (info.sex or "")


def save_household(
    h: HouseholdInput,
    *,
    confirmed_ids: frozenset[str] = frozenset(),
    reason: str = "",
    operator: str | None = None,
    today: dt.date | None = None,
) -> Household:
    """Validate ``h`` and write it (new or changed) in one transaction; return the household row.

    Members and births that were loaded and are no longer on the form are tombstoned. Raises
    :class:`ValidationFailed` when errors remain and :class:`DuplicatesNotConfirmed` when a member's ID
    number is held elsewhere and not in ``confirmed_ids`` (as typed). ``h.uid`` and ``h.serial`` are
    set on success, and each input's ``uid``.
    """
    findings = check_household(h, village_codes(), today)
    if any(f.level == ERROR for f in findings):
        raise ValidationFailed(findings)
    hits = duplicate_hits(h)
    unconfirmed = {i: c for i, c in hits.items() if h.members[i].id_number.upper() not in confirmed_ids}
    if unconfirmed:
        raise DuplicatesNotConfirmed(unconfirmed)
    with write_txn():
        if h.uid:
            hh = Household.get(Household.uid == h.uid)
        else:
            serial = h.serial or next_serial(h.village_code, h.group_no)
            hh = Household(serial=serial)
        if hh.id is None or (hh.village_code, hh.group_no) != (h.village_code, h.group_no):
            if hh.id is not None:
                hh.serial = next_serial(h.village_code, h.group_no)
            hh.village_code, hh.group_no = h.village_code, h.group_no
        hh.household_code = household_code(hh.village_code, hh.group_no, hh.serial)
        hh.address_detail = h.address_detail.strip()
        hh.form_no = h.form_no.strip()
        audit.save(hh, reason=reason, operator=operator)

        kept_people = {p.uid: p for p in hh.members.where(Person.deleted == False)} if hh.id else {}  # noqa: E712
        people: list[Person] = []
        for seq, m in enumerate(h.members, start=1):
            p = kept_people.pop(m.uid) if m.uid in kept_people else Person(household=hh)
            info = idnumber.parse(m.id_number)
            birth_iso, prec, sex = _dates(m)
            p.seq = seq
            p.name = m.name.strip()
            p.name_norm = normalize(m.name)
            p.id_number = info.number
            p.id_number_18 = info.number_18 if info.ok else ""
            p.id_check = info.status
            p.sex = sex
            p.birth_date, p.birth_date_prec = birth_iso, prec
            p.relation_to_head = m.relation_to_head
            p.ethnicity = m.ethnicity
            p.residence_status = m.residence_status
            p.hukou_place_text = m.hukou_place_text
            why = reason
            if i_hits := hits.get(seq - 1):
                why = (reason + "；" if reason else "") + "重号警告已确认：" + "、".join(c.person_uid for c in i_hits)
            audit.save(p, reason=why, operator=operator)
            m.uid = p.uid
            people.append(p)

        kept_births = {b.uid: b for b in hh.births.where(Birth.deleted == False)} if hh.id else {}  # noqa: E712
        for b in h.births:
            row = kept_births.pop(b.uid) if b.uid in kept_births else Birth(household=hh)
            row.mother = people[b.mother - 1]
            row.father = people[b.father - 1] if b.father else None
            row.child = people[b.child - 1] if b.child else None
            child = row.child
            row.child_name = child.name if child else b.child_name.strip()
            row.child_sex = b.child_sex or (child.sex if child else "")
            if b.birth_date:
                row.birth_date, row.birth_date_prec = parse_typed(b.birth_date)
            else:
                row.birth_date, row.birth_date_prec = child.birth_date, child.birth_date_prec
            row.birth_order = b.birth_order
            row.birth_cert_no = b.birth_cert_no.strip().upper()
            audit.save(row, reason=reason, operator=operator)
            b.uid = row.uid
        for stale in kept_births.values():
            audit.tombstone(stale, reason=reason or "从登记表删除", operator=operator)
        for stale in kept_people.values():
            audit.tombstone(stale, reason=reason or "从登记表删除", operator=operator)
    h.uid, h.serial = hh.uid, hh.serial
    return hh


def load_household(uid: str) -> HouseholdInput:
    """The saved household ``uid`` as a form to edit. Raises ``Household.DoesNotExist``."""
    hh = Household.get((Household.uid == uid) & (Household.deleted == False))  # noqa: E712
    people = list(hh.members.where(Person.deleted == False).order_by(Person.seq))  # noqa: E712
    pos = {p.id: i + 1 for i, p in enumerate(people)}
    members = [
        MemberInput(
            name=p.name,
            id_number=p.id_number,
            relation_to_head=p.relation_to_head,
            ethnicity=p.ethnicity,
            sex="" if idnumber.parse(p.id_number).ok else p.sex,
            birth_date="" if idnumber.parse(p.id_number).ok else to_typed(p.birth_date, p.birth_date_prec),
            residence_status=p.residence_status,
            hukou_place_text=p.hukou_place_text,
            uid=p.uid,
        )
        for p in people
    ]
    births = [
        BirthInput(
            mother=pos.get(b.mother_id),
            child=pos.get(b.child_id) if b.child_id else None,
            father=pos.get(b.father_id) if b.father_id else None,
            child_name="" if b.child_id else b.child_name,
            child_sex="" if b.child_id else b.child_sex,
            birth_date="" if b.child_id else to_typed(b.birth_date, b.birth_date_prec),
            birth_order=b.birth_order,
            birth_cert_no=b.birth_cert_no,
            uid=b.uid,
        )
        for b in hh.births.where(Birth.deleted == False).order_by(Birth.birth_date)  # noqa: E712
    ]
    return HouseholdInput(
        village_code=hh.village_code,
        group_no=hh.group_no,
        address_detail=hh.address_detail,
        form_no=hh.form_no,
        members=members,
        births=births,
        uid=hh.uid,
        serial=hh.serial,
    )


def find_person(id_number: str) -> Person | None:
    """The live person with this ID number (after the 15→18 upgrade), or ``None``."""
    info = idnumber.parse(id_number)
    key = info.number_18 or info.number
    return (
        Person.select()
        .where(((Person.id_number_18 == key) | (Person.id_number == info.number)) & (Person.deleted == False))  # noqa: E712
        .first()
    )


EDITABLE_PERSON_FIELDS = ("name", "relation_to_head", "ethnicity", "residence_status", "hukou_place_text")


def update_person(id_number: str, changes: dict[str, str], *, reason: str = "", operator: str | None = None) -> Person:
    """Change fields of the person with ``id_number`` through the household form's validation.

    ``changes`` maps field names of :class:`MemberInput` (``name``, ``relation_to_head``, ``ethnicity``,
    ``residence_status``, ``hukou_place_text``) to new values. Raises ``KeyError`` for an unknown
    person or field, :class:`ValidationFailed` when the change breaks a rule.
    """
    person = find_person(id_number)
    if person is None:
        raise KeyError(f"没有身份证号为 {id_number} 的人员")
    bad = set(changes) - set(EDITABLE_PERSON_FIELDS)
    if bad:
        raise KeyError(f"不能用此命令修改的字段：{'、'.join(sorted(bad))}（可改：{'、'.join(EDITABLE_PERSON_FIELDS)}）")
    form = load_household(person.household.uid)
    member = next(m for m in form.members if m.uid == person.uid)
    for name, value in changes.items():
        setattr(member, name, value)
    save_household(form, confirmed_ids=frozenset(m.id_number.upper() for m in form.members), reason=reason, operator=operator)
    return Person.get(Person.uid == person.uid)


@dataclass(frozen=True)
class HouseholdRow:
    """One line of the household list: uid, 户编码, head's name, live members, address."""

    uid: str
    household_code: str
    head_name: str
    members: int
    address_detail: str


def list_households(prefix: str = "", *, offset: int = 0, limit: int = 200) -> list[HouseholdRow]:
    """Live households whose code starts with ``prefix``, in code order, one page from SQL."""
    from peewee import fn

    query = Household.select().where(Household.deleted == False)  # noqa: E712
    if prefix:
        query = query.where(Household.household_code.startswith(prefix))
    rows = list(query.order_by(Household.household_code).offset(offset).limit(limit))
    ids = [h.id for h in rows]
    live = Person.household.in_(ids) & (Person.deleted == False)  # noqa: E712
    heads = {p.household_id: p.name for p in Person.select(Person.household, Person.name).where(live & (Person.relation_to_head == "02"))}
    counts = dict(Person.select(Person.household, fn.COUNT(Person.id)).where(live).group_by(Person.household).tuples())
    return [HouseholdRow(h.uid, h.household_code, heads.get(h.id, ""), counts.get(h.id, 0), h.address_detail) for h in rows]
