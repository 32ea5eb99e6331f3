"""A home visit's conclusion (:func:`record_result`): written on the birth, an omission added to the forms.

Part of :mod:`storage.reconcile` (issue 13: one job a module).
"""

from __future__ import annotations

import json
import unicodedata

from ..errors import OperatorError
from .records import CONCLUSIONS, GROUP_NAMES
from .runs import last_run


class ResultError(OperatorError, ValueError):
    """A visit result that cannot be recorded as asked; the message says why and what to do."""


CORRECTABLE = {
    "birth_date": "出生日期",
    "child_sex": "性别",
    "birth_order": "孩次",
    "birth_cert_no": "出生医学证明编号",
}


def find(key: str):
    """The last run's finding by its code (8 or more characters, any case), its key, or the first
    characters of one key (``birth:3a50``; a bare birth uid is taken as ``birth:<uid>``). Raises
    :class:`ResultError` naming the candidates when several match, or saying none does."""
    from ..models import ReconcileFinding, VisitResult

    text = unicodedata.normalize("NFKC", key).strip()
    f = ReconcileFinding.get_or_none(ReconcileFinding.code == text.upper()) or ReconcileFinding.get_or_none(
        ReconcileFinding.key == text
    )
    if f is not None:
        return f
    concluded = VisitResult.get_or_none(
        VisitResult.code == text.upper()
    )  # a code printed before its birth's key changed
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
    when = (
        f"最近一次比对的参考日期是 {run.as_of}；编号来自另一参考日期或另一批名单时，请用那次的参考日期再比对"
        if run
        else "还没有运行比对"
    )
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
        raise ResultError(
            "外地出生：母亲不是本县人，出生在母亲户籍地登记，不计本乡漏报；若核实她家住在本乡，请先录入她家的登记表，再比对"
        )
    if code in FITS and ("wis" in f.groups.split()) != FITS[code][0]:
        raise ResultError(f"{FITS[code][1]}（出现于：{'、'.join(GROUP_NAMES[g] for g in f.groups.split())}）")


def record_result(
    key: str, conclusion: str, *, note: str = "", corrections: dict[str, str] | None = None, operator: str | None = None
) -> str:
    """Record the visit's conclusion (``0``–``4``, ``9``; or its name, 漏报 …) on the finding
    ``key`` (see :func:`find`) and act on it, all in one transaction with audit rows:

    - on a birth of the forms: its ``finding``, note, evidence and who are set; a 错报 also applies
      ``corrections`` (fields of :data:`CORRECTABLE`) through the form's save and its checks;
    - 漏报/瞒报 with no birth on the forms: the child and the birth are added to the mother's
      household (through the form's save, with the evidence), when the mother is registered here;
    - otherwise (a 虚报 only WIS holds) the result is kept for the summary and the county.

    The conclusion must fit the sources (:data:`FITS`: no 虚报 or 错报 without a WIS record,
    no 漏报 with one). Returns what was done, in words. Raises :class:`ResultError`."""
    from ..db import now_iso, write_txn
    from ..models import VisitResult
    from ..paths import operator_login

    code = conclusion_code(conclusion)
    f = find(key)
    check_fits(f, code)
    corrections = {k: v.strip() for k, v in (corrections or {}).items()}
    bad = [k for k in corrections if k not in CORRECTABLE]
    if bad:
        raise ResultError(
            f"不能更正 {'、'.join(bad)}：可更正 {'、'.join(f'{k}（{v}）' for k, v in CORRECTABLE.items())}"
        )
    if corrections and code != "4":
        raise ResultError("只有结论为 4 错报 时才更正字段")
    if corrections and not f.birth_uid:
        raise ResultError("这个出生不在登记表上：更正只改登记表的出生记录（人口系统的错由县里更正）")
    who = operator or operator_login()
    records = json.loads(f.evidence)
    evidence = "；".join(f"{GROUP_NAMES.get(e['group'], e['group'])} {e['where']}" for e in records)
    earlier = VisitResult.get_or_none(VisitResult.key == f.key)
    done = f"已记录结论：{CONCLUSIONS[code]}" + (
        "（只在人口系统的记录：汇总报县，由县里更正人口系统）" if code == "3" else ""
    )
    with write_txn():
        birth_uid = f.birth_uid
        if birth_uid:
            done = _mark_birth(birth_uid, code, note, evidence, corrections, who)
        elif code in ("1", "2"):
            birth_uid, done = _add_birth(f, code, note, evidence, who)
        if earlier and earlier.conclusion in ("1", "2") and code not in ("1", "2") and earlier.birth_uid:
            done += f"；之前按{CONCLUSIONS[earlier.conclusion]}补录的出生仍在户内：如不该有，请在登记表中删去"
        values = dict(
            conclusion=code,
            note=note,
            village_code=f.village_code,
            birth_date=f.birth_date,
            kind=f.kind,
            birth_uid=birth_uid,
            corrections=json.dumps(corrections, ensure_ascii=False),
            who=who,
            at=now_iso(),
            records=json.dumps([e["key"] for e in records]),
            code=f.code,
        )
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
    from .. import audit
    from ..households import ValidationFailed, WarningsNotConfirmed, load_household, save_household
    from ..models import Birth

    birth = Birth.get(Birth.uid == uid)
    changed = []
    if corrections:
        h = load_household(birth.household.uid)
        b = next(x for x in h.births if x.uid == uid)
        for name, value in corrections.items():
            new: str | int
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
    from .. import audit
    from ..households import (
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
    from ..models import Birth, Person

    if not f.mother_id_number:
        return "", (
            f"已记录结论；名单上没有母亲（{f.mother_name or '姓名不详'}）的身份证号，认不出是本库哪位：未补录出生，"
            "请在母亲所在户的登记表中补录"
        )
    mother = Person.get_or_none((Person.id_number_18 == f.mother_id_number) & (Person.deleted == False))
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
        father = next(
            (i for i, m in enumerate(h.members, start=1) if m.relation_to_head in spouses and m.uid != mother.uid), None
        )
    earlier = sum(
        1 for b in h.births if b.mother == position and b.birth_date.replace("-", "") < f.birth_date.replace("-", "")
    )
    relation = {"1": "20", "2": "30"}.get(f.sex, "")
    h.members.append(
        MemberInput(
            name=name,
            id_number=child_id,
            relation_to_head=relation if mother.relation_to_head in ("02", *spouses) else "99",
            sex=f.sex,
            birth_date=f.birth_date.replace("-", ""),
        )
    )
    h.births.append(
        BirthInput(
            mother=position,
            child=len(h.members),
            father=father,
            child_name=name,
            child_sex=f.sex,
            birth_date=f.birth_date.replace("-", ""),
            birth_cert_no=cert,
            birth_order=earlier + 1,
        )
    )
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
