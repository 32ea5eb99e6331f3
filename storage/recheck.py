"""Quality recheck (质量复查): a sample of keyed forms keyed a second time, blind, and compared.

The head of office chooses forms (:func:`choose_every`: every Nth form in keying order;
:func:`choose_sample`: a seeded random sample per village). Another clerk keys each chosen form
again from the paper without seeing the first keying (:func:`record_second_keying`); the two are
compared field by field into :class:`~storage.models.RecheckDiff` rows. For each difference someone
decides which keying matches the paper (:func:`decide`): ``first`` (原录入正确), ``second``
(复查正确, the record is corrected through the form's own validation and audit trail) or
``neither`` (两次都错, corrected by hand). :func:`clerk_rates` gives each clerk's error rate.

How fields are compared (the rule this module defines; DESIGN.md names the recheck but not its
arithmetic):

- members and births are paired by their line on the paper (序号); a line present in one keying only
  is one difference (field ``*``), not one per field;
- a sex or birth date that equals what the person's own valid ID number gives counts as "from the
  ID" on both sides, so one wrong ID digit is one difference, not three; the same for a birth's child
  name, sex and date when the child is a member line;
- ``fields_compared`` counts the fields with a value in either keying (the denominator of the error
  rate); a clerk's error rate is errors / fields compared over the decided differences of the forms
  she keyed first.

Tables are local to the office (never in a bundle).
"""

from __future__ import annotations

import dataclasses
import json
import random
import secrets
from dataclasses import dataclass

from peewee import JOIN, Case, fn

from . import idnumber
from .codes import code_list
from .db import now_iso, write_txn
from .drafts import clear_draft
from .errors import OperatorError
from .forms import form_to_dict
from .households import (
    HouseholdInput,
    ValidationFailed,
    WarningsNotConfirmed,
    WomanInput,
    confirm,
    dup_key,
    fill_twins,
    load_household,
    save_household,
    village_codes,
)
from .models import AuditLog, EntryLog, Household, Office, Recheck, RecheckDiff
from .office import reference_date
from .paths import operator_login
from .validate import (
    BIRTH_CODES,
    ERROR,
    FIELD_LABELS,
    HOUSEHOLD_CODES,
    MEMBER_CODES,
    MIGRATION_CODES,
    WOMAN_CODES,
    check_household,
    where_words,
)

FIRST, SECOND, NEITHER = "first", "second", "neither"
DECISIONS = {FIRST: "原录入正确", SECOND: "复查正确", NEITHER: "两次都错"}
STATUS_NAMES = {"pending": "待复查", "keyed": "待判定", "decided": "已判定"}
WHOLE_LINE = "*"
SKIP = frozenset({"uid", "confirmed", "serial", "members", "births", "fp", "migrations"})


class RecheckError(OperatorError):
    """A recheck step that cannot be done; the message says why and what to do."""


# ---------------------------------------------------------------------------- choosing forms
def _own_households():
    office = Office.get()
    return Household.select().where((Household.deleted == False) & (Household.origin == office.code))


def first_operator(household_uid: str) -> str:
    """Who keyed the household first: the first new-form entry in the keying log, else the first
    audit row of the household, else ``""``."""
    entry = (
        EntryLog.select(EntryLog.operator)
        .where((EntryLog.household_uid == household_uid) & (EntryLog.new_form == True))
        .order_by(EntryLog.saved_at)
        .first()
    )
    if entry:
        return entry.operator
    audit = (
        AuditLog.select(AuditLog.operator)
        .where((AuditLog.table == "household") & (AuditLog.uid == household_uid))
        .order_by(AuditLog.id)
        .first()
    )
    return audit.operator if audit else ""


def _choose(households: list[Household], plan: str, operator: str | None) -> list[Recheck]:
    who, at = operator or operator_login(), now_iso()
    rows = []
    with write_txn():
        for hh in households:
            rows.append(
                Recheck.create(
                    household_uid=hh.uid,
                    form_no=hh.form_no,
                    household_code=hh.household_code,
                    village_code=hh.village_code,
                    first_operator=first_operator(hh.uid),
                    plan=plan,
                    chosen_at=at,
                    chosen_by=who,
                )
            )
    return rows


def _check_village(village: str) -> None:
    if village and not (village.isdigit() and len(village) <= 12):
        raise RecheckError(f"村代码“{village}”不对：写12位村代码或它的开头几位数字")


def _not_chosen(query):
    return query.join(Recheck, JOIN.LEFT_OUTER, on=(Recheck.household_uid == Household.uid)).where(Recheck.id.is_null())


def choose_every(n: int, *, village: str = "", operator: str | None = None) -> list[Recheck]:
    """Choose every ``n``-th form of this office in keying order (the 1st form is number 1, so
    forms n, 2n, 3n …), skipping forms chosen before; ``village`` (a 12-digit code or a prefix)
    narrows the count to those villages. Running it again later picks up the forms keyed since.
    Returns the new :class:`Recheck` rows. Raises :class:`RecheckError` for ``n`` < 1.
    """
    if n < 1:
        raise RecheckError(f"“每隔几份”应为 1 以上的整数，现在是 {n}")
    _check_village(village)
    office = Office.get()
    keyed = Household.select(Household.uid).where(Household.origin == office.code)  # deleted forms keep their place
    if village:
        keyed = keyed.where(Household.village_code.startswith(village))
    order = [hh.uid for hh in keyed.order_by(Household.id)]
    query = _own_households()
    if village:
        query = query.where(Household.village_code.startswith(village))
    wanted = {uid for i, uid in enumerate(order, start=1) if i % n == 0}
    fresh = [hh for hh in _not_chosen(query).order_by(Household.id) if hh.uid in wanted]
    return _choose(fresh, f"every:{n}", operator)


def nothing_to_choose() -> str:
    """Why a choice found nothing, in words (no forms keyed yet, or all chosen before)."""
    if not _own_households().exists():
        return "还没有本乡镇录入的登记表可抽"
    return "没有新的登记表可抽（抽过的不会再抽）"


def choose_sample(
    per_village: int, *, seed: int | None = None, village: str = "", operator: str | None = None
) -> list[Recheck]:
    """Choose ``per_village`` random forms in each village (all of them where a village has fewer),
    among forms not chosen before. The ``seed`` (drawn when not given) is kept in the plan
    (``sample:K:SEED``), so the same sample can be drawn again to check it. Raises
    :class:`RecheckError` for ``per_village`` < 1.
    """
    if per_village < 1:
        raise RecheckError(f"每村抽取份数应为 1 以上的整数，现在是 {per_village}")
    _check_village(village)
    seed = secrets.randbelow(10**6) if seed is None else seed
    rng = random.Random(seed)
    query = _not_chosen(_own_households())
    if village:
        query = query.where(Household.village_code.startswith(village))
    by_village: dict[str, list[Household]] = {}
    for hh in query.order_by(Household.village_code, Household.id):
        by_village.setdefault(hh.village_code, []).append(hh)
    chosen = []
    for code in sorted(by_village):
        forms = by_village[code]
        chosen.extend(sorted(rng.sample(forms, min(per_village, len(forms))), key=lambda h: h.id))
    return _choose(chosen, f"sample:{per_village}:{seed}", operator)


# ---------------------------------------------------------------------------- comparing
def _text(value) -> str:
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    return str(value).strip()


def _fields(record) -> dict[str, str]:
    return {f.name: _text(getattr(record, f.name)) for f in dataclasses.fields(record) if f.name not in SKIP}


def _from_id(number: str) -> tuple[str, str]:
    info = idnumber.parse(number)
    if not info.ok:
        return "", ""
    return info.sex or "", info.birth_date.strftime("%Y%m%d") if info.birth_date else ""


def flatten(h: HouseholdInput) -> dict[tuple[str, int, int, str], str]:
    """The form as ``{(section, line, sub, field): value}``; lines and subs are 1-based, and a
    line's presence is the key ``(section, line, 0, "*")`` holding a short description."""
    out: dict[tuple[str, int, int, str], str] = {}
    for name, value in _fields(h).items():
        out[("household", 0, 0, name)] = value
    effective = []
    for line, m in enumerate(h.members, start=1):
        values = _fields(m)
        values["id_number"] = values["id_number"].upper()
        sex, born = _from_id(values["id_number"])
        if values["sex"] == sex:
            values["sex"] = ""
        if values["birth_date"] == born:
            values["birth_date"] = ""
        effective.append((m.name.strip(), m.sex or sex, m.birth_date or born))
        out[("member", line, 0, WHOLE_LINE)] = f"{m.name.strip()} {values['id_number']}".strip() or "（空行）"
        for name, value in values.items():
            out[("member", line, 0, name)] = value
        if m.fp is not None:
            for name, value in _fields(m.fp).items():
                out[("woman", line, 0, name)] = value
        for sub, g in enumerate(m.migrations, start=1):
            out[("migration", line, sub, WHOLE_LINE)] = f"{g.direction} {g.move_date}".strip() or "（空）"
            for name, value in _fields(g).items():
                out[("migration", line, sub, name)] = value
    for line, b in enumerate(h.births, start=1):
        values = _fields(b)
        if b.child and 0 < b.child <= len(effective):
            name, sex, born = effective[b.child - 1]
            for key, derived in (("child_name", name), ("child_sex", sex), ("birth_date", born)):
                if values[key] == derived:
                    values[key] = ""
        out[("birth", line, 0, WHOLE_LINE)] = f"{b.child_name or b.child or ''} {b.birth_date}".strip() or "（空行）"
        for name, value in values.items():
            out[("birth", line, 0, name)] = value
    return out


@dataclass(frozen=True)
class Difference:
    """One field on which two keyings differ (see :func:`compare`)."""

    section: str
    line: int
    sub: int
    field: str
    first: str
    second: str

    @property
    def label(self) -> str:
        """Where, in words: 第2人 身份证号, 第1个出生 孩次, 第3人 整行."""
        name = "整行" if self.field == WHOLE_LINE else FIELD_LABELS.get(self.field, self.field)
        return where_words(self.section, self.line, self.sub, name)


CODED = {
    "household": HOUSEHOLD_CODES,
    "member": MEMBER_CODES,
    "woman": WOMAN_CODES,
    "migration": MIGRATION_CODES,
    "birth": BIRTH_CODES,
}


def shown(section: str, field: str, value: str) -> str:
    """A value as a person reads it: a code with its meaning (``03 回族``), ``（空）`` for nothing."""
    if not value:
        return "（空）"
    list_id = CODED.get(section, {}).get(field)
    meaning = code_list(list_id).name(value) if list_id else ""
    return f"{value} {meaning}" if meaning and meaning != value else value


def compare(first: HouseholdInput, second: HouseholdInput) -> tuple[list[Difference], int]:
    """Field-by-field differences between two keyings of one form, in form order, and the number
    of fields compared (with a value in either keying). A member, birth or migration line present
    in one keying only is one difference on field ``*``."""
    a, b = flatten(first), flatten(second)
    lines_a = {k[:3] for k in a if k[3] == WHOLE_LINE}
    lines_b = {k[:3] for k in b if k[3] == WHOLE_LINE}
    order = {"household": 0, "member": 1, "woman": 1, "migration": 1, "birth": 2}
    sections = {"household": 0, "member": 0, "woman": 1, "migration": 2, "birth": 0}
    position = {k: i for i, k in enumerate(dict.fromkeys([*a, *b]))}  # the form's field order
    diffs: list[Difference] = []
    compared = 0
    seen_lines: set[tuple[str, int, int]] = set()
    for key in sorted(
        position, key=lambda k: (order[k[0]], k[1], sections[k[0]], k[2], k[3] != WHOLE_LINE, position[k])
    ):
        section, line, sub, name = key
        owner = (
            (section, line, sub)
            if section in ("member", "migration", "birth")
            else ("member", line, 0)
            if section == "woman"
            else None
        )
        if owner and (owner in lines_a) != (owner in lines_b):  # a whole line on one side only
            if owner not in seen_lines:
                seen_lines.add(owner)
                compared += 1
                diffs.append(
                    Difference(
                        owner[0],
                        owner[1],
                        owner[2],
                        WHOLE_LINE,
                        a.get((*owner, WHOLE_LINE), ""),
                        b.get((*owner, WHOLE_LINE), ""),
                    )
                )
            continue
        if name == WHOLE_LINE:
            continue
        va, vb = a.get(key, ""), b.get(key, "")
        if va or vb:
            compared += 1
            if va != vb:
                diffs.append(Difference(section, line, sub, name, va, vb))
    return diffs, compared


# ---------------------------------------------------------------------------- second keying
def pending(recheck_id: int) -> Recheck:
    """The recheck ``recheck_id`` still waiting for its second keying. Raises :class:`RecheckError`."""
    row = Recheck.get_or_none(Recheck.id == recheck_id)
    if row is None:
        raise RecheckError(f"没有编号为 {recheck_id} 的复查任务（可能已撤销）")
    if row.status != "pending":
        raise RecheckError(f"复查任务 {recheck_id}（登记表 {row.form_no}）已经复录过了")
    return row


def record_second_keying(
    recheck_id: int, form: HouseholdInput, *, operator: str | None = None, draft_of: str | None = None
) -> Recheck:
    """Keep the blind second keying of recheck ``recheck_id`` and list its differences.

    The form goes through the same field checks as a first keying (errors only: the clerk fixes
    what the form refuses either time); warnings and duplicate prompts do not apply. Nothing of
    the household record changes. Raises :class:`RecheckError` for a recheck that is not pending
    or whose household was removed, :class:`~storage.households.ValidationFailed` for errors.
    ``draft_of``: the operator whose draft of this keying goes in the same transaction.
    """
    row = pending(recheck_id)
    fill_twins(form)  # compared with the first keying as save_household stores a form
    if form.uid and form.uid != row.household_uid:
        raise RecheckError(
            f"这张表是另一户的（uid {form.uid}）：复查任务 {recheck_id} 是登记表 {row.form_no or '—'}、户 "
            f"{row.household_code}，"
            "请照那张纸质表录入"
        )
    errors = [f for f in check_household(form, village_codes(), as_of=reference_date()) if f.level == ERROR]
    if errors:
        raise ValidationFailed(errors)
    try:
        first = load_household(row.household_uid)
    except Household.DoesNotExist:
        raise RecheckError(f"登记表 {row.form_no} 的户已被删除，无法比对：请删除此复查任务") from None
    diffs, compared = compare(first, form)
    with write_txn():
        if draft_of is not None:  # the keying is recorded: its draft goes with it
            clear_draft(draft_of)
        for d in diffs:
            RecheckDiff.create(
                recheck=row,
                section=d.section,
                line=d.line,
                sub=d.sub,
                field=d.field,
                label=d.label,
                first_value=d.first,
                second_value=d.second,
            )
        row.second_operator = operator or operator_login()
        row.second_data = json.dumps(form_to_dict(form), ensure_ascii=False)
        row.keyed_at = now_iso()
        row.fields_compared = compared
        row.differences = len(diffs)
        row.status = "keyed" if diffs else "decided"
        row.save()
    return row


# ---------------------------------------------------------------------------- decisions
def _cast(record, name: str, text: str):
    kind = next(f.type for f in dataclasses.fields(record) if f.name == name)
    if "bool" in str(kind):
        return text == "1"
    if "int" in str(kind):
        return int(text) if text else None
    return text


def _target(form: HouseholdInput, d: RecheckDiff):
    """The input record a difference is about; a woman's page that only the second keying has is
    added (its fields then take the second keying's values one by one)."""
    if d.section == "household":
        return form
    if d.section == "birth":
        return form.births[d.line - 1]
    member = form.members[d.line - 1]
    if d.section == "woman":
        if member.fp is None:
            member.fp = WomanInput()
        return member.fp
    if d.section == "migration":
        return member.migrations[d.sub - 1]
    return member


def _apply(row: Recheck, d: RecheckDiff, operator: str) -> list[str]:
    """Put the second keying's value into the household record (the form's validation and audit);
    return the warnings that the change raised and that this decision confirms."""
    try:
        form = load_household(row.household_uid)
    except Household.DoesNotExist:
        raise RecheckError(f"登记表 {row.form_no} 的户已被删除：无法更正，请判定为“原录入正确”或“两次都错”") from None
    try:
        target = _target(form, d)
    except IndexError:
        raise RecheckError(
            f"{d.label}：户记录中已没有这一行（登记表改过）：请在户列表中打开该户直接修改，再判定为“两次都错”"
        ) from None
    current = flatten(form).get((d.section, d.line, d.sub, d.field), "")
    if current != d.first_value:
        raise RecheckError(f"{d.label}：户记录现在是“{current}”，不再是原录入的“{d.first_value}”：请在登记表中核对")
    if d.section == "birth" and d.field in ("child_name", "child_sex", "birth_date") and target.child:
        raise RecheckError(f"{d.label}：这一项来自孩子的成员行：请更正第{target.child}人的成员信息")
    setattr(target, d.field, _cast(target, d.field, d.second_value))
    ids = frozenset(dup_key(m) for m in form.members)
    reason = f"质量复查更正（复查{row.id}，{d.label}）"
    # a possible duplicate the correction makes is left open for the review, not decided here
    try:
        save_household(form, confirmed_ids=ids, reason=reason, operator=operator, remember_different=False)
        return []
    except WarningsNotConfirmed as exc:  # the decision is a person's, made with the paper in hand
        confirm(form, exc.findings)
        save_household(form, confirmed_ids=ids, reason=reason, operator=operator, remember_different=False)
        return [f"{f.where()}：{f.message}" for f in exc.findings]
    except ValidationFailed as exc:
        first = exc.findings[0]
        raise RecheckError(f"{d.label}：改为“{d.second_value}”后不能保存：{first.where()}：{first.message}") from None


@dataclass(frozen=True)
class Decided:
    """What :func:`decide` did: the difference, whether the record was corrected, the warnings the
    correction raised and the decision confirmed, and what is left to do by hand (``todo``)."""

    diff: RecheckDiff
    corrected: bool
    confirmed: list[str]
    todo: str


def decide(diff_id: int, decision: str, *, operator: str | None = None) -> Decided:
    """Record which keying matches the paper for difference ``diff_id``.

    ``second`` corrects the household record to the second keying's value and confirms the
    warnings the change raises (they are returned); whole-line differences are not applied: the
    line is added or removed in the form (``todo`` says so). A decision can be changed until it is
    ``second`` and applied. Raises :class:`RecheckError` for an unknown id or decision, an applied
    decision, or a correction the record refuses (nothing is changed then).
    """
    if decision not in DECISIONS:
        raise RecheckError(f"判定“{decision}”不对：应为 first（原录入正确）、second（复查正确）或 neither（两次都错）")
    d = RecheckDiff.get_or_none(RecheckDiff.id == diff_id)
    if d is None:
        raise RecheckError(f"没有编号为 {diff_id} 的差异：用 hecha recheck show 查看")
    if d.decision == SECOND and d.field != WHOLE_LINE:
        raise RecheckError(f"{d.label} 已按复查值更正了户记录，不能再改判定：请在登记表中修改")
    who = operator or operator_login()
    row = d.recheck
    applies = decision == SECOND and d.field != WHOLE_LINE
    confirmed = _apply(row, d, who) if applies else []
    with write_txn():
        d.decision, d.decided_by, d.decided_at = decision, who, now_iso()
        d.save()
        if not RecheckDiff.select().where((RecheckDiff.recheck == row) & (RecheckDiff.decision == "")).exists():
            Recheck.update(status="decided").where(Recheck.id == row.id).execute()
    todo = ""
    if d.field == WHOLE_LINE and decision != FIRST:
        line = d.label.replace(" 整行", "")
        todo = f"整行差异不自动更正：请在户列表中打开户 {row.household_code}，按纸表补录或删去{line}"
    elif decision == NEITHER:
        todo = f"请在户列表中打开户 {row.household_code}，按纸表改正{d.label}"
    return Decided(d, applies, confirmed, todo)


def withdrawable(recheck_id: int) -> Recheck:
    """The recheck ``recheck_id`` if it may be withdrawn (no decision yet). Raises :class:`RecheckError`."""
    row = Recheck.get_or_none(Recheck.id == recheck_id)
    if row is None:
        raise RecheckError(f"没有编号为 {recheck_id} 的复查任务")
    if RecheckDiff.select().where((RecheckDiff.recheck == row) & (RecheckDiff.decision != "")).exists():
        raise RecheckError(f"复查任务 {recheck_id} 已有判定，不能撤销")
    return row


def delete_recheck(recheck_id: int) -> None:
    """Withdraw a recheck that was not decided yet (chosen by mistake, household removed).
    Raises :class:`RecheckError` for an unknown or decided one."""
    row = withdrawable(recheck_id)
    with write_txn():
        RecheckDiff.delete().where(RecheckDiff.recheck == row).execute()
        row.delete_instance()


def list_rechecks(status: str = "", *, offset: int = 0, limit: int = 200) -> list[Recheck]:
    """Rechecks (all, or with ``status``), pending first then by village and form, one page from SQL."""
    query = Recheck.select()
    if status:
        query = query.where(Recheck.status == status)
    rank = Case(Recheck.status, (("pending", 0), ("keyed", 1)), 2)
    return list(query.order_by(rank, Recheck.village_code, Recheck.form_no, Recheck.id).offset(offset).limit(limit))


# ---------------------------------------------------------------------------- rates
@dataclass(frozen=True)
class ClerkRate:
    """One clerk's recheck figures: forms of hers rechecked (second keying done), fields compared,
    errors found in her keying (decisions ``second``/``neither``), differences still undecided,
    and errors she made as the second keyer (``first``/``neither``) over ``rechecked`` forms."""

    operator: str
    forms: int
    fields: int
    errors: int
    undecided: int
    rechecked: int
    recheck_errors: int

    @property
    def rate(self) -> float:
        """Errors per field compared (0.0 when nothing was compared)."""
        return self.errors / self.fields if self.fields else 0.0


def clerk_rates() -> list[ClerkRate]:
    """Recheck figures per clerk (as first keyer and as second keyer), by operator name."""
    done = Recheck.status != "pending"
    first = {
        r.first_operator: r
        for r in Recheck.select(
            Recheck.first_operator, fn.COUNT(Recheck.id).alias("forms"), fn.SUM(Recheck.fields_compared).alias("fields")
        )
        .where(done)
        .group_by(Recheck.first_operator)
    }
    second = dict(
        Recheck.select(Recheck.second_operator, fn.COUNT(Recheck.id))
        .where(done)
        .group_by(Recheck.second_operator)
        .tuples()
    )
    query = (
        RecheckDiff.select(
            Recheck.first_operator, Recheck.second_operator, RecheckDiff.decision, fn.COUNT(RecheckDiff.id)
        )
        .join(Recheck)
        .group_by(Recheck.first_operator, Recheck.second_operator, RecheckDiff.decision)
        .tuples()
    )
    errors: dict[str, int] = {}
    undecided: dict[str, int] = {}
    recheck_errors: dict[str, int] = {}
    for who_first, who_second, decision, count in query:
        if decision in (SECOND, NEITHER):
            errors[who_first] = errors.get(who_first, 0) + count
        if decision in (FIRST, NEITHER):
            recheck_errors[who_second] = recheck_errors.get(who_second, 0) + count
        if decision == "":
            undecided[who_first] = undecided.get(who_first, 0) + count
    people = sorted(set(first) | set(second))
    return [
        ClerkRate(
            p,
            first[p].forms if p in first else 0,
            (first[p].fields or 0) if p in first else 0,
            errors.get(p, 0),
            undecided.get(p, 0),
            second.get(p, 0),
            recheck_errors.get(p, 0),
        )
        for p in people
    ]
