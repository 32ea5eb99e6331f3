"""The rows of the home-visit work lists (:func:`worklist_rows`); the files are written by :mod:`export.sheets`.

Part of :mod:`storage.reconcile` (issue 13: one job a module).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable

import peewee as pw

from ..idnumber import mask
from .records import FIELD_WORDS, GROUP_NAMES, KINDS, _common

# ---------------------------------------------------------------------------- work lists
WORKLIST_HEADER = (
    "序号",
    "核查编号",
    "疑点",
    "孩子姓名",
    "性别",
    "出生日期",
    "母亲姓名",
    "母亲身份证号",
    "孩子身份证号",
    "户编码/住址",
    "出现于",
    "不一致",
    "说明",
    "核查结论",
    "备注",
    "核查人",
    "核查日期",
)


def worklist_rows(
    *, village: str = "", masked: bool = True, kinds: tuple[str, ...] = ("omission", "misreport", "false")
):
    """``{village code: [row, …]}``: the births to visit (no conclusion yet, or 待核), rows as
    :data:`WORKLIST_HEADER` with the result columns empty; IDs masked unless ``masked`` is false
    (the 核查编号 is the finding's code, which holds no ID number)."""
    from ..models import ReconcileFinding, VisitResult

    q = (
        ReconcileFinding.select()
        .join(VisitResult, pw.JOIN.LEFT_OUTER, on=(VisitResult.key == ReconcileFinding.key))
        .where(ReconcileFinding.kind.in_(kinds) & (VisitResult.id.is_null() | (VisitResult.conclusion == "9")))
        .order_by(ReconcileFinding.village_code, ReconcileFinding.kind, ReconcileFinding.birth_date)
    )
    if village:
        q = q.where(ReconcileFinding.village_code.startswith(village))
    out: dict[str, list[list]] = defaultdict(list)
    hide = mask if masked else (lambda x: x)
    hide_dated = (lambda x: mask(x, date_shown=True)) if masked else (lambda x: x)  # the child's date is printed
    homes = _mothers_homes()
    for f in q.iterator():
        evidence = json.loads(f.evidence)
        child_id = _common([e["child_id"] for e in evidence])
        home = next((e["where"] for e in evidence if e["source"] == "forms"), "") or homes(f.mother_id_number)
        address = next((e.get("address", "") for e in evidence if e.get("address")), "")
        rows = out[f.village_code]
        differs = "；".join(
            f"{FIELD_WORDS.get(d[0], d[0])}：人口系统 {_shown(d[0], d[1], hide)}，{d[3]} {_shown(d[0], d[2], hide)}"
            for d in json.loads(f.differences)
        )
        rows.append(
            [
                len(rows) + 1,
                f.code,
                KINDS[f.kind],
                f.child_name or "未起名",
                {"1": "男", "2": "女"}.get(f.sex, ""),
                f.birth_date,
                f.mother_name,
                hide(f.mother_id_number),
                hide_dated(child_id),
                " ".join(x for x in (home, address) if x),
                "、".join(f"{GROUP_NAMES[e['group']]}（{e['where']}）" for e in evidence),
                differs,
                f.reason,
                "",
                "",
                "",
                "",
            ]
        )
    return dict(out)


def _mothers_homes() -> Callable[[str], str]:
    """``户<code>`` of the household of the live person with an ID number (18 characters), ``""``
    when nobody here has it: where to visit a birth no form holds but whose mother lives here."""
    from ..models import Household, Person

    seen: dict[str, str] = {}

    def home(number: str) -> str:
        if not number:
            return ""
        if number not in seen:
            code = (
                Person.select(Household.household_code)
                .join(Household)
                .where((Person.id_number_18 == number) & (Person.deleted == False))
                .scalar()
            )
            seen[number] = f"户{code}（母亲）" if code else ""
        return seen[number]

    return home


def _shown(name: str, value: str, hide: Callable[[str], str]) -> str:
    if name == "sex":
        return {"1": "男", "2": "女"}.get(value, value)
    return hide(value) if name == "mother" else value
