"""Household forms (核查登记表): the plain data the TUI and CLI hand over, and saving it.

:class:`HouseholdInput` is what a clerk keyed: the household section, its members in paper order
(the head first) and the births of its women. :func:`save_household` validates it, asks for the
duplicate warnings to have been seen, and writes everything in one short transaction through
:mod:`storage.audit`, so every row is stamped and audited.

Births refer to members by their 1-based position on the form (序号), as the paper does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from . import audit, idnumber
from .checkstore import keep_results, rules_key
from .codes import RELATION_HEAD
from .dates import parse_typed, to_typed
from .db import write_txn
from .dedup import RULE_ID_EDIT, RULE_SAME_ID, WARN_SCORE, Candidate, candidates, decide_pair
from .drafts import clear_draft
from .errors import OperatorError
from .forms import COPY, BirthInput, HouseholdInput, MemberInput, MigrationInput, WomanInput, form_to_dict
from .models import AdminDivision, Birth, Household, Migration, Person, WomanFP
from .namekeys import index_persons
from .names import normalize
from .office import reference_date
from .validate import ERROR, Finding, check_household, confirmation, is_confirmed, record_of


def _to_row(table: str, source, row) -> None:
    plain, dates = COPY[table]
    for name in plain:
        value = getattr(source, name)
        setattr(row, name, value.strip() if isinstance(value, str) else value)
    for name in dates:
        typed = getattr(source, name)
        iso, prec = parse_typed(typed) if typed else ("", "D")
        setattr(row, name, iso)
        setattr(row, f"{name}_prec", prec)
    row.confirmed = " ".join(sorted(source.confirmed))


def _from_row(table: str, row, target) -> None:
    plain, dates = COPY[table]
    for name in plain:
        setattr(target, name, getattr(row, name))
    for name in dates:
        setattr(target, name, to_typed(getattr(row, name), getattr(row, f"{name}_prec")))
    target.confirmed = set(row.confirmed.split())
    target.uid = row.uid


class ValidationFailed(OperatorError):
    """The form has errors; ``findings`` lists them (all levels)."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        errors = [f for f in findings if f.level == ERROR]
        super().__init__("；".join(f"{f.where()}：{f.message}" for f in errors[:5]))


@dataclass
class Precheck:
    """What a save found for a form as it stood: ``findings`` of :func:`check_household` and, once
    searched, the duplicate ``hits``. :class:`WarningsNotConfirmed` and :class:`DuplicatesNotConfirmed`
    carry it; handed back to :func:`save_household` with the clerk's answers, it spares a second
    validation and a second search while the form is unchanged (``key``, its fingerprint without
    the confirmations) (issue 13)."""

    key: str
    findings: list[Finding]
    hits: dict[int, list[Candidate]] | None = None


def fingerprint(h: HouseholdInput) -> str:
    """A digest of the form's content, confirmations left out (they change as the clerk answers)."""

    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k != "confirmed"}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    return hashlib.sha256(json.dumps(strip(form_to_dict(h)), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class DuplicatesNotConfirmed(OperatorError):
    """Some members' ID numbers exist already; ``hits`` maps member index → candidates. Save again
    with their ID numbers in ``confirmed_ids`` once the clerk has seen the warning (and ``precheck``
    handed back)."""

    def __init__(self, hits: dict[int, list[Candidate]], precheck: Precheck | None = None):
        self.hits = hits
        self.precheck = precheck
        super().__init__(
            "；".join(
                f"第{i + 1}人 "
                + (
                    "的身份证号已有人登记"
                    if found[0].rule in (RULE_SAME_ID, RULE_ID_EDIT)
                    else f"可能已有登记（{found[0].rule_text}：{found[0].name} {found[0].where}）"
                )
                for i, found in hits.items()
            )
        )


def fill_twins(h: HouseholdInput) -> None:
    """Derive 胎数 for births of one mother on one date (twins are two lines with the same date):
    lines still at the default (1 of 1) get ``plurality`` n and ``plurality_index`` 1..n in form order."""
    groups: dict[tuple, list[BirthInput]] = {}
    for b in h.births:
        if b.mother and b.birth_date or b.child:
            day = b.birth_date or (h.member_birth_date(b.child - 1) if b.child and b.child <= len(h.members) else None)
            groups.setdefault((b.mother, str(day)), []).append(b)
    for group in groups.values():
        if len(group) > 1 and all(b.plurality == 1 for b in group):
            for k, b in enumerate(group, start=1):
                b.plurality, b.plurality_index = len(group), k


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


def dup_key(m: MemberInput) -> str:
    """What a duplicate confirmation is kept under for a member: the ID number, else the name."""
    return m.id_number.strip().upper() or "name:" + normalize(m.name)


def duplicate_hits(h: HouseholdInput) -> dict[int, list[Candidate]]:
    """For each member (0-based index) who may already be registered outside this household
    (:func:`storage.dedup.candidates`, score ≥ :data:`WARN_SCORE`). A member saved before whose
    name, ID number, sex and birth date are as saved is not searched again: her open pairs are the
    review's (菜单 7), and an edit of the household's phone number must not decide them (a newcomer's
    finding: saving such an edit asked to declare them different persons, ``hecha person set``
    declared it without asking)."""
    saved = {
        uid: (name, number, sex, born)
        for uid, name, number, sex, born in Person.select(
            Person.uid, Person.name, Person.id_number, Person.sex, Person.birth_date
        )
        .where(Person.uid.in_([m.uid for m in h.members if m.uid]) & (Person.deleted == False))  # noqa: E712
        .tuples()
    }
    out: dict[int, list[Candidate]] = {}
    for i, m in enumerate(h.members):
        if not (m.id_number or m.name):
            continue
        born = h.member_birth_date(i) if (m.birth_date or m.id_number) else None
        as_typed = (m.name, m.id_number, h.member_sex(i), born.isoformat() if born else "")
        if m.uid and saved.get(m.uid) == as_typed:
            continue
        found = candidates(
            m.id_number,
            name=m.name,
            sex=h.member_sex(i),
            birth_date=born,
            person_uid=m.uid,
            exclude_household_uid=h.uid,
            min_score=WARN_SCORE,
        )
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


class WarningsNotConfirmed(OperatorError):
    """Warnings that need the clerk's confirmation (DESIGN.md §5); ``findings`` lists them. Confirm
    with :func:`confirm` and save again: the confirmation is stored with each record."""

    def __init__(self, findings: list[Finding], precheck: Precheck | None = None):
        self.findings = findings
        self.precheck = precheck
        super().__init__("；".join(f"{f.where()}：{f.message}" for f in findings[:5]))


def confirm(h: HouseholdInput, findings: list[Finding]) -> None:
    """Record the clerk's confirmation of ``findings`` (warnings) on the records they are about."""
    for f in findings:
        target = record_of(h, f)
        if target is not None:
            target.confirmed.add(confirmation(f.rule, f.message))


def _adopt(m: MemberInput, seq: int, hh: Household, emptied: list[Household]) -> Person | None:
    """The live person ``m.uid`` of another household, moved into ``hh`` (the clerk said the line is
    that person: 同一人), or ``None`` when ``m.uid`` names no such person. Raises
    :class:`ValidationFailed` for the head of a household that still has other members."""
    if not m.uid:
        return None
    p = Person.get_or_none((Person.uid == m.uid) & (Person.deleted == False))
    if p is None:
        return None
    old = p.household
    others = Person.select().where((Person.household == old) & (Person.deleted == False) & (Person.id != p.id))
    if p.relation_to_head == RELATION_HEAD and others.exists():
        raise ValidationFailed(
            [
                Finding(
                    "link.head",
                    ERROR,
                    "member",
                    seq - 1,
                    "name",
                    f"{p.name} 是户 {old.household_code} 的户主，户里还有别人：先在那一户改定户主，再把此人转入本户",
                )
            ]
        )
    p.household = hh
    emptied.append(old)
    return p


def save_household(
    h: HouseholdInput,
    *,
    confirmed_ids: frozenset[str] = frozenset(),
    reason: str = "",
    operator: str | None = None,
    today: dt.date | None = None,
    remember_different: bool = True,
    precheck: Precheck | None = None,
    draft_of: str | None = None,
) -> Household:
    """Validate ``h`` and write it (new or changed) in one transaction; return the household row.

    Members, pages and births that were loaded and are no longer on the form are tombstoned. Raises
    :class:`ValidationFailed` when errors remain, :class:`WarningsNotConfirmed` when warnings are not
    confirmed (see :func:`confirm`), and :class:`DuplicatesNotConfirmed` when a member's ID number is
    held elsewhere and not in ``confirmed_ids`` (as typed; :func:`dup_key`). A confirmed pair is
    remembered as different persons (never raised again) unless ``remember_different`` is false
    (the demo's planted duplicates). ``h.uid`` and ``h.serial`` are set on
    success, and each input's ``uid``. Twins' 胎数 are derived first (:func:`fill_twins`), for every
    caller, not only the form's screen. ``precheck``: the one the last refusal carried; while the
    form is unchanged its findings and hits are used instead of validating and searching again.
    ``draft_of``: the operator whose draft of this form goes in the same transaction (a form saved
    is never offered again as unfinished).
    """
    fill_twins(h)
    key = f"{fingerprint(h)}|{rules_key()}"  # a precheck under another reference date is not reused
    if precheck is None or precheck.key != key:
        precheck = Precheck(key, check_household(h, village_codes(), today, as_of=reference_date()))
    findings = [dataclasses.replace(f, confirmed=is_confirmed(h, f)) for f in precheck.findings]
    if any(f.level == ERROR for f in findings):
        raise ValidationFailed(findings)
    open_warnings = [f for f in findings if not f.confirmed]
    if open_warnings:
        raise WarningsNotConfirmed(open_warnings, precheck)
    if precheck.hits is None:
        precheck.hits = duplicate_hits(h)
    hits = precheck.hits
    unconfirmed = {i: c for i, c in hits.items() if dup_key(h.members[i]) not in confirmed_ids}
    if unconfirmed:
        raise DuplicatesNotConfirmed(unconfirmed, precheck)
    with write_txn():
        if draft_of is not None:
            clear_draft(draft_of)
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
        _to_row("household", h, hh)
        audit.save(hh, reason=reason, operator=operator)

        kept_people = {p.uid: p for p in hh.members.where(Person.deleted == False)} if hh.id else {}
        kept_fp = {
            w.uid: w
            for w in WomanFP.select().where(
                WomanFP.person.in_([p.id for p in kept_people.values()]) & (WomanFP.deleted == False)
            )
        }
        kept_mig = {
            g.uid: g
            for g in Migration.select().where(
                Migration.person.in_([p.id for p in kept_people.values()]) & (Migration.deleted == False)
            )
        }
        people: list[Person] = []
        emptied: list[Household] = []
        for seq, m in enumerate(h.members, start=1):
            p = kept_people.pop(m.uid) if m.uid in kept_people else _adopt(m, seq, hh, emptied) or Person(household=hh)
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
            _to_row("person", m, p)
            why = reason
            if i_hits := hits.get(seq - 1):
                why = (
                    (reason + "；" if reason else "")
                    + "重号警告已确认："
                    + "、".join(f"{c.person_uid}（{c.rule_text}）" for c in i_hits)
                )
            audit.save(p, reason=why, operator=operator)
            m.uid = p.uid
            people.append(p)
            for c in (
                hits.get(seq - 1, []) if remember_different else []
            ):  # saved past the warning: not raised again (the same ID stays 待查)
                decide_pair(
                    p.uid,
                    c.person_uid,
                    "unsure" if c.rule == RULE_SAME_ID else "different",
                    rule=c.rule,
                    score=c.score,
                    who=operator or "",
                    note="录入时确认保存",
                )
            if m.fp is not None:
                w = kept_fp.pop(m.fp.uid) if m.fp.uid in kept_fp else WomanFP(person=p)
                w.person = p
                _to_row("woman_fp", m.fp, w)
                audit.save(w, reason=reason, operator=operator)
                m.fp.uid = w.uid
            for g in m.migrations:
                row = kept_mig.pop(g.uid) if g.uid in kept_mig else Migration(person=p)
                row.person = p
                _to_row("migration", g, row)
                audit.save(row, reason=reason, operator=operator)
                g.uid = row.uid

        kept_births = {b.uid: b for b in hh.births.where(Birth.deleted == False)} if hh.id else {}
        for b in h.births:
            row = kept_births.pop(b.uid) if b.uid in kept_births else Birth(household=hh)
            assert b.mother is not None  # validated above: a birth without its mother is an error (birth.mother)
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
            row.birth_cert_no = b.birth_cert_no.strip().upper()
            _to_row("birth", b, row)
            audit.save(row, reason=reason, operator=operator)
            b.uid = row.uid
        for stale in [*kept_births.values(), *kept_fp.values(), *kept_mig.values(), *kept_people.values()]:
            audit.tombstone(stale, reason=reason or "从登记表删除", operator=operator)
        for old in emptied:
            if not Person.select().where((Person.household == old) & (Person.deleted == False)).exists():
                audit.tombstone(old, reason="户内人员均已转出（同一人转入他户）", operator=operator)
        index_persons([*people, *kept_people.values()])
        if today is None:  # checked as it now stands, under today's rules: the export gate need not again
            keep_results({hh.id: 0})
    h.uid, h.serial = hh.uid, hh.serial
    return hh


class FormRefused(OperatorError):
    """A form given as data (``hecha household add|edit``) that cannot be saved as asked: the
    message says what, where and how to go on."""


def save_form(
    data: dict,
    *,
    new: bool,
    confirm_warnings: bool = False,
    confirm_duplicates: bool = False,
    operator: str | None = None,
    today: dt.date | None = None,
) -> Household:
    """Save a form given as :func:`storage.forms.form_to_dict`'s data (what ``hecha household show``
    prints) through :func:`save_household`, as the form's screen saves it: the same checks, the
    warnings confirmed only when ``confirm_warnings`` (recorded on each record, as the screen's Y
    does), members whose ID is held elsewhere saved only when ``confirm_duplicates`` (different
    persons, remembered). ``new``: the form must have no ``uid`` (add) or must have one that exists
    (edit). Raises :class:`FormRefused`, :class:`ValidationFailed`, :class:`WarningsNotConfirmed`
    or :class:`DuplicatesNotConfirmed` (messages saying how to go on)."""
    from .forms import form_from_dict

    h = form_from_dict(data)  # FormDataError names a field of the wrong shape
    if new and h.uid:
        if Household.select().where(Household.uid == h.uid).exists():
            raise FormRefused(f"这张表已有 uid {h.uid}（已登记的户）：修改用 hecha household edit")
        # a form taken from another database (a second newcomer was told to edit a household not here)
        raise FormRefused(
            f"这张表带着 uid {h.uid}，本库没有这一户（表来自别的数据库）：作为新户录入请删掉表里所有的 uid 行再 add"
        )
    if not new and not h.uid:
        raise FormRefused("修改需要已登记户的 uid：先用 hecha household show 户编码 取出这张表")
    if not new and not Household.select().where((Household.uid == h.uid) & (Household.deleted == False)).exists():
        raise FormRefused(
            f"没有 uid 为 {h.uid} 的在册户（已删除，或表来自别的数据库）：用 hecha household show 户编码 重新取出"
        )
    confirmed = frozenset(dup_key(m) for m in h.members) if confirm_duplicates else frozenset()
    for _ in range(2):
        try:
            return save_household(h, confirmed_ids=confirmed, operator=operator, today=today)
        except WarningsNotConfirmed as exc:
            if not confirm_warnings:
                raise WarningsNotConfirmed(exc.findings) from None
            confirm(h, exc.findings)
    return save_household(h, confirmed_ids=confirmed, operator=operator, today=today)


class PersonUnknown(OperatorError):
    """No live person has the ID number or uid asked for."""


def person_card(id_or_uid: str) -> list[str]:
    """A person's record as lines to print (``hecha person show``): name, ID, household and place,
    the coded fields with their meanings, places and dates, the woman's page and the migration
    episodes. ``id_or_uid``: an ID number (15 or 18 characters) or a uid from ``hecha duplicates``.
    Raises :class:`PersonUnknown`."""
    from .codes import code_list

    p = find_person(id_or_uid) or Person.get_or_none((Person.uid == id_or_uid) & (Person.deleted == False))
    if p is None:
        raise PersonUnknown(f"没有身份证号或 uid 为 {id_or_uid} 的在册人员。")

    def named(list_id: str, code: str) -> str:
        return f"{code} {code_list(list_id).name(code)}".strip() if code else "—"

    lines = [
        f"{p.name}  {p.id_number}  户编码 {p.household.household_code}  第{p.seq}人  版本 {p.version}",
        f"  性别 {named('sex', p.sex)}  出生 {p.birth_date.replace('-', '')}  关系 "
        f"{named('relation', p.relation_to_head)}  "
        f"民族 {named('ethnicity', p.ethnicity)}",
        f"  婚姻 {named('marital_status', p.marital_status)}  文化 {named('education', p.education)}  "
        f"居住 {named('residence_status', p.residence_status)}  现状 {named('vital_status', p.vital_status)}",
    ]
    for label, value in (
        ("户籍地", p.hukou_place_text),
        ("现居住地", p.residence_text),
        ("工作单位", p.work_unit),
        ("初婚日期", p.first_marriage_date.replace("-", "")),
    ):
        if value:
            lines.append(f"  {label} {value}")
    for w in WomanFP.select().where((WomanFP.person == p) & (WomanFP.deleted == False)):
        lines.append(
            f"  育龄妇女：节育措施 {named('contraception', w.contraception)}  措施日期 "
            f"{w.contraception_start.replace('-', '') or '—'}"
        )
    for g in Migration.select().where((Migration.person == p) & (Migration.deleted == False)):
        lines.append(
            f"  流动：{named('migration_direction', g.direction)}  {g.move_date.replace('-', '')[:6]}  "
            f"{g.current_address}"
        )
    from .models import ReportUnit

    marked = ReportUnit.get_or_none(ReportUnit.person_uid == p.uid)
    if marked is not None:  # the county's decision (issue 18): kept here, reported by another township
        lines.append(f"  不在本乡镇填报：县里定由 {marked.unit} 填报（不计入本乡镇）")
    return lines


def load_household(uid: str) -> HouseholdInput:
    """The saved household ``uid`` as a form to edit. Raises ``Household.DoesNotExist``."""
    hh = Household.get((Household.uid == uid) & (Household.deleted == False))
    return load_households([hh])[0]


class NotRegistered(OperatorError):
    """The registered person a line was to be linked to (同一人) is gone or moved meanwhile."""


def registered_member(household_uid: str, person_uid: str) -> MemberInput:
    """The registered person ``person_uid`` of household ``household_uid`` as a member line to link
    (同一人): the line's fields as saved, sex and birth date as keyed, her woman's and migration pages
    left with her record (they move with her when the form is saved). Raises :class:`NotRegistered`
    when the household or the person in it is no longer there."""
    hh = Household.get_or_none((Household.uid == household_uid) & (Household.deleted == False))
    if hh is None:
        raise NotRegistered("已登记的这一户已不存在：请照纸表录入")
    person = next((m for m in load_households([hh])[0].members if m.uid == person_uid), None)
    if person is None:
        raise NotRegistered("已登记的这个人已不在原户：请照纸表录入")
    person.fp, person.migrations = None, []
    return person


def load_households(households: list[Household]) -> list[HouseholdInput]:
    """Saved households as forms, with four queries for the whole list (members, pages, episodes,
    births), so a check of 50,000 households does not run a query per household."""
    ids = [hh.id for hh in households]
    live = Person.deleted == False
    people = list(Person.select().where(Person.household.in_(ids) & live).order_by(Person.household, Person.seq))
    person_ids = [p.id for p in people]
    fps = {w.person_id: w for w in WomanFP.select().where(WomanFP.person.in_(person_ids) & (WomanFP.deleted == False))}
    migs: dict[int, list[Migration]] = {}
    for g in (
        Migration.select()
        .where(Migration.person.in_(person_ids) & (Migration.deleted == False))
        .order_by(Migration.move_date)
    ):
        migs.setdefault(g.person_id, []).append(g)
    births: dict[int, list[Birth]] = {}
    for b in (
        Birth.select()
        .where(Birth.household.in_(ids) & (Birth.deleted == False))
        .order_by(Birth.birth_date, Birth.plurality_index)
    ):
        births.setdefault(b.household_id, []).append(b)
    by_household: dict[int, list[Person]] = {}
    for p in people:
        by_household.setdefault(p.household_id, []).append(p)
    out = []
    for hh in households:
        members_rows = by_household.get(hh.id, [])
        pos = {p.id: i + 1 for i, p in enumerate(members_rows)}
        members = []
        for p in members_rows:
            derived = idnumber.parse(p.id_number).ok
            m = MemberInput(
                name=p.name,
                id_number=p.id_number,
                sex="" if derived else p.sex,
                birth_date="" if derived else to_typed(p.birth_date, p.birth_date_prec),
            )
            _from_row("person", p, m)
            if p.id in fps:
                m.fp = WomanInput()
                _from_row("woman_fp", fps[p.id], m.fp)
            for g in migs.get(p.id, []):
                episode = MigrationInput()
                _from_row("migration", g, episode)
                m.migrations.append(episode)
            members.append(m)
        birth_inputs = []
        for b in births.get(hh.id, []):
            bi = BirthInput(
                mother=pos.get(b.mother_id),
                child=pos.get(b.child_id) if b.child_id else None,
                father=pos.get(b.father_id) if b.father_id else None,
                child_name="" if b.child_id in pos else b.child_name,  # a child living elsewhere: by name
                child_sex="" if b.child_id in pos else b.child_sex,
                birth_date="" if b.child_id in pos else to_typed(b.birth_date, b.birth_date_prec),
                birth_cert_no=b.birth_cert_no,
            )
            _from_row("birth", b, bi)
            birth_inputs.append(bi)
        h = HouseholdInput(
            village_code=hh.village_code,
            group_no=hh.group_no,
            address_detail=hh.address_detail,
            form_no=hh.form_no,
            members=members,
            births=birth_inputs,
            serial=hh.serial,
        )
        _from_row("household", hh, h)
        out.append(h)
    return out


def find_person(id_number: str) -> Person | None:
    """The live person with this ID number (after the 15→18 upgrade), or ``None`` (also for an
    empty number: it names nobody, not the first person without one)."""
    info = idnumber.parse(id_number)
    if not info.number:
        return None
    key = info.number_18 or info.number
    return (
        Person.select()
        .where(((Person.id_number_18 == key) | (Person.id_number == info.number)) & (Person.deleted == False))
        .first()
    )


EDITABLE_PERSON_FIELDS = (
    "name",
    "relation_to_head",
    "ethnicity",
    "residence_status",
    "hukou_place_text",
    "marital_status",
    "education",
    "work_unit",
    "residence_text",
    "vital_status",
    "vital_date",
    "first_marriage_date",
    "phone",
)


def update_person(
    id_number: str,
    changes: dict[str, str],
    *,
    reason: str = "",
    operator: str | None = None,
    confirm_warnings: bool = False,
) -> Person:
    """Change fields of the person with ``id_number`` through the household form's validation.

    ``changes`` maps field names of :class:`MemberInput` (:data:`EDITABLE_PERSON_FIELDS`) to new values.
    Raises ``KeyError`` for an unknown person or field, :class:`ValidationFailed` when the change
    breaks a rule, :class:`WarningsNotConfirmed` for warnings unless ``confirm_warnings``.
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
    ids = frozenset(dup_key(m) for m in form.members)
    # a possible duplicate the change makes is not decided here: it stays open for the review
    keep = dict(confirmed_ids=ids, reason=reason, operator=operator, remember_different=False)
    try:
        save_household(form, **keep)  # type: ignore[arg-type]
    except WarningsNotConfirmed as exc:
        if not confirm_warnings:
            raise
        confirm(form, exc.findings)
        save_household(form, **keep)  # type: ignore[arg-type]
    return Person.get(Person.uid == person.uid)


@dataclass(frozen=True)
class HouseholdRow:
    """One line of the household list: uid, 户编码, head's name, live members, address."""

    uid: str
    household_code: str
    head_name: str
    members: int
    address_detail: str


def _live_households(prefix: str):
    query = Household.select().where(Household.deleted == False)
    return query.where(Household.household_code.startswith(prefix)) if prefix else query


def count_households(prefix: str = "") -> int:
    """How many live households' codes start with ``prefix`` (the list's total, counted in SQL)."""
    return _live_households(prefix).count()


def list_households(prefix: str = "", *, offset: int = 0, limit: int = 200) -> list[HouseholdRow]:
    """Live households whose code starts with ``prefix``, in code order, one page from SQL."""
    from peewee import fn

    rows = list(_live_households(prefix).order_by(Household.household_code).offset(offset).limit(limit))
    ids = [h.id for h in rows]
    live = Person.household.in_(ids) & (Person.deleted == False)
    heads = {
        p.household_id: p.name
        for p in Person.select(Person.household, Person.name).where(live & (Person.relation_to_head == RELATION_HEAD))
    }
    counts = dict(Person.select(Person.household, fn.COUNT(Person.id)).where(live).group_by(Person.household).tuples())
    return [
        HouseholdRow(h.uid, h.household_code, heads.get(h.id, ""), counts.get(h.id, 0), h.address_detail) for h in rows
    ]
