"""The household form (核查登记表) as plain data: what the TUI and the CLI hand to
:func:`storage.households.save_household`, and what :mod:`storage.validate` checks.

A leaf of the storage package (it imports no module that imports it), so validation and saving
both use it without an import circle (issue 13). :data:`COPY` says which fields of each input go
to which table's columns as they are, and which are typed dates.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from . import idnumber
from .dates import typed_date
from .errors import OperatorError


@dataclass
class WomanInput:
    """Section 三, one woman aged 15–49 (育龄妇女). Dates as typed (YYYYMMDD or YYYYMM)."""

    contraception: str = ""
    contraception_start: str = ""
    contraception_org_type: str = ""
    contraception_end: str = ""
    no_contraception_reason: str = ""
    pregnancy_status: str = ""
    pregnancy_date: str = ""
    boys: int | None = None
    girls: int | None = None
    birth_permit_no: str = ""
    uid: str | None = None
    confirmed: set[str] = field(default_factory=set)


@dataclass
class MigrationInput:
    """Section 五, one inflow (``direction`` 1) or outflow (2) episode of a member."""

    direction: str = ""
    move_date: str = ""
    reason: str = ""
    current_address: str = ""
    hukou_place_code: str = ""
    from_code: str = ""
    to_code: str = ""
    return_date: str = ""
    category: str = ""
    work_unit: str = ""
    housing: str = ""
    mb_cert_no: str = ""
    mb_cert_date: str = ""
    mb_cert_issuer: str = ""
    cert_status: str = ""
    contraception: str = ""
    pregnancy_status: str = ""
    children_count: int | None = None
    youngest_child_birth_date: str = ""
    gpl_record_id: str = ""
    closed_date: str = ""
    close_reason: str = ""
    uid: str | None = None
    confirmed: set[str] = field(default_factory=set)


@dataclass
class MemberInput:
    """One line of section 二. ``birth_date`` as typed (YYYYMMDD or YYYYMM); ``sex`` GB/T 2261.1.

    ``sex`` and ``birth_date`` may stay empty when a valid ID number gives them. ``fp`` is the
    woman's family-planning page (section 三), ``migrations`` her or his episodes (section 五).
    ``confirmed`` holds the ids of warnings the clerk confirmed for this person. ``uid`` is set for a
    member loaded from the database.
    """

    name: str = ""
    id_number: str = ""
    relation_to_head: str = ""
    ethnicity: str = "01"
    sex: str = ""
    birth_date: str = ""
    marital_status: str = ""
    education: str = ""
    residence_status: str = "1"
    hukou_place_text: str = ""
    hukou_place_code: str = ""
    residence_text: str = ""
    residence_code: str = ""
    work_unit: str = ""
    is_staff: bool = False
    vital_status: str = "1"
    vital_date: str = ""
    exit_reason: str = ""
    first_marriage_date: str = ""
    marital_change_date: str = ""
    former_names: str = ""
    id_type: str = "01"
    hukou_type: str = ""
    spouse_name: str = ""
    spouse_id_number: str = ""
    phone: str = ""
    only_child_cert_no: str = ""
    only_child_cert_date: str = ""
    wis_person_code: str = ""
    gpl_person_code: str = ""
    fp: WomanInput | None = None
    migrations: list[MigrationInput] = field(default_factory=list)
    uid: str | None = None
    confirmed: set[str] = field(default_factory=set)


@dataclass
class BirthInput:
    """One line of section 四. ``mother``/``father``/``child`` are member positions (1-based) or None.

    Twins are two lines with the same date, ``plurality`` 2 and ``plurality_index`` 1 and 2.
    """

    mother: int | None = None
    child: int | None = None
    father: int | None = None
    child_name: str = ""
    child_sex: str = ""
    birth_date: str = ""
    birth_order: int | None = None
    birth_cert_no: str = ""
    outcome: str = "1"
    birth_place_kind: str = ""
    policy_attribute: str = ""
    plurality: int = 1
    plurality_index: int = 1
    hukou_registered: str = ""
    vaccination_card_no: str = ""
    school_name: str = ""
    child_status: str = "1"
    father_name: str = ""
    father_id_number: str = ""
    birth_time: str = ""
    delivery_org: str = ""
    birth_order_couple: int | None = None
    policy_basis: str = ""
    adopted: bool = False
    health_status: str = ""
    hukou_date: str = ""
    wis_reported: str = ""
    wis_report_period: str = ""
    finding: str = ""
    finding_note: str = ""
    evidence: str = ""
    finding_by: str = ""
    uid: str | None = None
    confirmed: set[str] = field(default_factory=set)


@dataclass
class HouseholdInput:
    """Section 一 plus its members and births. ``uid``/``serial`` are set for a saved household."""

    village_code: str = ""
    group_no: str = ""
    address_detail: str = ""
    form_no: str = ""
    members: list[MemberInput] = field(default_factory=list)
    births: list[BirthInput] = field(default_factory=list)
    household_kind: str = "1"
    hukou_type: str = ""
    police_hukou_no: str = ""
    phone: str = ""
    surveyor: str = ""
    survey_date: str = ""
    respondent: str = ""
    uid: str | None = None
    serial: int | None = None
    confirmed: set[str] = field(default_factory=set)

    def member_sex(self, i: int) -> str:
        """Sex of member ``i`` (0-based): as typed, else from the ID number."""
        return shown_facts(self.members[i])[0]

    def member_birth_date(self, i: int) -> dt.date | None:
        """Birth date of member ``i`` (0-based): as typed, else from the ID number."""
        m = self.members[i]
        if m.birth_date:
            return typed_date(m.birth_date)
        return idnumber.parse(m.id_number).birth_date


def shown_facts(m: MemberInput) -> tuple[str, str]:
    """A member's sex (GB/T 2261.1 code) and birth date as typed (YYYYMMDD or YYYYMM): as keyed,
    else what the ID number says (GB 11643-1999: digits 7–14 the date, the 17th odd for men);
    ``""`` where neither says. The one place the form derives them (issue 13)."""
    info = idnumber.parse(m.id_number) if m.id_number else None
    sex = m.sex or (info.sex if info is not None else "") or ""
    born = m.birth_date or (info.birth_date.strftime("%Y%m%d") if info is not None and info.birth_date else "")
    return sex, born


# How input fields map to columns. Plain fields copy as they are; dates go from the typed form to an
# ISO date plus a ``<name>_prec`` column. A test checks that these cover every column of the models.
COPY = {
    "household": (
        ("household_kind", "hukou_type", "police_hukou_no", "phone", "surveyor", "respondent"),
        ("survey_date",),
    ),
    "person": (
        (
            "relation_to_head",
            "ethnicity",
            "residence_status",
            "hukou_place_text",
            "former_names",
            "id_type",
            "education",
            "marital_status",
            "hukou_type",
            "hukou_place_code",
            "residence_code",
            "residence_text",
            "spouse_name",
            "spouse_id_number",
            "work_unit",
            "is_staff",
            "phone",
            "only_child_cert_no",
            "vital_status",
            "exit_reason",
            "wis_person_code",
            "gpl_person_code",
        ),
        ("first_marriage_date", "marital_change_date", "only_child_cert_date", "vital_date"),
    ),
    "woman_fp": (
        (
            "contraception",
            "contraception_org_type",
            "no_contraception_reason",
            "pregnancy_status",
            "boys",
            "girls",
            "birth_permit_no",
        ),
        ("contraception_start", "contraception_end", "pregnancy_date"),
    ),
    "birth": (
        (
            "birth_order",
            "outcome",
            "birth_place_kind",
            "policy_attribute",
            "plurality",
            "plurality_index",
            "hukou_registered",
            "vaccination_card_no",
            "school_name",
            "child_status",
            "father_name",
            "father_id_number",
            "birth_time",
            "delivery_org",
            "birth_order_couple",
            "policy_basis",
            "adopted",
            "health_status",
            "wis_reported",
            "wis_report_period",
            "finding",
            "finding_note",
            "evidence",
            "finding_by",
        ),
        ("hukou_date",),
    ),
    "migration": (
        (
            "direction",
            "hukou_place_code",
            "from_code",
            "to_code",
            "current_address",
            "reason",
            "category",
            "work_unit",
            "housing",
            "mb_cert_no",
            "mb_cert_issuer",
            "cert_status",
            "contraception",
            "pregnancy_status",
            "children_count",
            "gpl_record_id",
            "close_reason",
        ),
        ("move_date", "return_date", "mb_cert_date", "youngest_child_birth_date", "closed_date"),
    ),
}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, set):
        return sorted(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class FormDataError(OperatorError, TypeError):
    """Form data (a JSON file, a draft) of the wrong shape: the message names the field by its path
    (``members[0].name``) and what it should be."""


_SCALARS = {
    "str": (str,),
    "int": (int,),
    "bool": (bool,),
    "int | None": (int, type(None)),
    "str | None": (str, type(None)),
}
_WORDS = {
    "str": "文字",
    "int": "整数",
    "bool": "true 或 false",
    "int | None": "整数或 null",
    "str | None": "文字或 null",
}


def _build(cls, d: Any, path: str):
    """``cls`` (one of the form's dataclasses) from plain data, each field checked against its
    annotation (text, integer, true/false, a list of records, a record or null); raises
    :class:`FormDataError` naming the field's path."""
    if not isinstance(d, dict):
        raise FormDataError(f"{path or '登记表'} 应为一个对象（{{…}}），不是 {type(d).__name__}")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - set(known))
    if unknown:
        raise FormDataError(
            f"{path or '登记表'} 没有这些字段：{'、'.join(unknown)}（以 hecha household show 打印的为准）"
        )
    values: dict[str, Any] = {}
    for name, value in d.items():
        kind = str(known[name].type)
        where = f"{path}.{name}" if path else name
        if kind in _SCALARS:
            if not isinstance(value, _SCALARS[kind]) or (isinstance(value, bool) and "bool" not in kind):
                raise FormDataError(f"{where} 应为{_WORDS[kind]}，不是 {json_repr(value)}")
            values[name] = value
        elif kind == "set[str]":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise FormDataError(f"{where} 应为文字的列表")
            values[name] = set(value)
        elif kind.startswith("list["):
            item = {
                "list[MemberInput]": MemberInput,
                "list[BirthInput]": BirthInput,
                "list[MigrationInput]": MigrationInput,
            }.get(kind)
            if item is None or not isinstance(value, list):
                raise FormDataError(f"{where} 应为列表")
            values[name] = [_build(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
        elif kind == "WomanInput | None":
            values[name] = None if value is None else _build(WomanInput, value, where)
        else:
            values[name] = value
    return cls(**values)


def json_repr(value: Any) -> str:
    """A value as it stood in the JSON, cut to 30 characters for a message."""
    import json

    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 30 else text[:30] + "…"


def form_to_dict(form: HouseholdInput) -> dict[str, Any]:
    """``form`` as plain JSON-ready data (sets become sorted lists); :func:`form_from_dict` reverses it."""
    return _plain(form)


def form_from_dict(d: Any) -> HouseholdInput:
    """A :class:`HouseholdInput` back from :func:`form_to_dict`'s data (a draft, ``hecha household
    show``), every field checked against its type. Raises :class:`FormDataError` naming the field
    (``births[1].mother 应为整数``)."""
    return _build(HouseholdInput, d, "")
