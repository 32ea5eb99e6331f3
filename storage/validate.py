"""Validation (审核校验) of a household form before it is saved: field and cross-field rules.

DESIGN.md §5. Each rule has an id, a level (``error`` blocks saving; ``warning`` asks for a
confirmation) and a Chinese message that names the field and what to do. This first set covers
the fields of the walking skeleton; the full rule engine (DATA.md, issue 3) extends
:func:`check_household` and keeps its shape.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import idnumber
from .codes import RELATION_HEAD, SEX_FEMALE, code_list
from .dates import DateInputError, parse_typed

if TYPE_CHECKING:
    from .households import HouseholdInput

ERROR = "error"
WARNING = "warning"
CERT_RE = re.compile(r"^[A-Z]\d{9}$")  # 出生医学证明编号: one letter + 9 digits (DATA.md Birth)


@dataclass(frozen=True)
class Finding:
    """One problem: ``rule`` id, ``level``, where (``section`` household/member/birth, 0-based
    ``index`` in that section or -1, ``field``) and the Chinese ``message``."""

    rule: str
    level: str
    section: str
    index: int
    field: str
    message: str

    def where(self) -> str:
        """Where the problem is, in words: 第2人 身份证号."""
        label = FIELD_LABELS.get(self.field, self.field)
        if self.section == "member":
            return f"第{self.index + 1}人 {label}"
        if self.section == "birth":
            return f"第{self.index + 1}个出生 {label}"
        return label


FIELD_LABELS = {
    "village_code": "村(居)委会",
    "group_no": "村民小组",
    "address_detail": "门牌地址",
    "form_no": "登记表编号",
    "name": "姓名",
    "id_number": "身份证号",
    "relation_to_head": "与户主关系",
    "ethnicity": "民族",
    "sex": "性别",
    "birth_date": "出生日期",
    "child": "孩子",
    "mother": "母亲",
    "father": "父亲",
    "child_sex": "性别",
    "birth_order": "孩次",
    "birth_cert_no": "出生医学证明编号",
    "members": "户内人员",
    "residence_status": "居住状况",
    "hukou_place_text": "户籍地",
    "child_name": "孩子姓名",
}


def check_id_number(text: str, today: dt.date | None = None) -> Finding | None:
    """The GB 11643-1999 check of a typed ID number (error when typed, DESIGN.md §5); ``None`` if fine."""
    if not text:
        return None
    info = idnumber.parse(text, today)
    if info.ok:
        return None
    return Finding(f"id.{info.status}", ERROR, "member", -1, "id_number", info.message)


MAX_LENGTHS = {"name": 30, "child_name": 30, "address_detail": 100, "form_no": 20, "hukou_place_text": 100}


def bad_text(value: str, field: str) -> str | None:
    """Why a free-text value cannot be stored (control characters, too long), or ``None``.

    Control characters (a pasted ESC sequence, a tab) would travel to the county and reach other
    terminals; lengths are bounded by what a paper form can hold (:data:`MAX_LENGTHS`).
    """
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        return "含有控制字符（可能是粘贴带入的）：请删掉重新输入"
    limit = MAX_LENGTHS.get(field)
    if limit and len(value) > limit:
        return f"超过{limit}个字"
    return None


def check_household(h: HouseholdInput, village_codes: set[str], today: dt.date | None = None) -> list[Finding]:
    """Every finding for the household form ``h``; ``village_codes`` are the office's villages."""
    today = today or dt.date.today()
    out: list[Finding] = []

    def add(rule, section, index, field, message, level=ERROR):
        out.append(Finding(rule, level, section, index, field, message))

    def text_rule(section: str, index: int, field: str, value: str) -> None:
        why = bad_text(value or "", field)
        if why:
            add(f"{section}.{field}.text", section, index, field, f"{FIELD_LABELS.get(field, field)}{why}")

    text_rule("household", -1, "address_detail", h.address_detail)
    text_rule("household", -1, "form_no", h.form_no)

    if h.village_code not in village_codes:
        add("household.village", "household", -1, "village_code", f"村(居)委会代码“{h.village_code}”不是本乡镇的村：按F4选择或核对12位代码")
    if not (len(h.group_no) == 2 and h.group_no.isdigit() and h.group_no != "00"):
        add("household.group", "household", -1, "group_no", "村民小组应为2位数字（01–99）")
    if not h.members:
        add("household.members", "household", -1, "members", "每户至少登记一人（户主写在第一行）")
    relations = code_list("relation")
    ethnicities = code_list("ethnicity")
    sexes = code_list("sex")
    residences = code_list("residence_status")
    heads = 0
    seen_ids: dict[str, int] = {}
    for i, m in enumerate(h.members):
        if not m.name.strip():
            add("member.name", "member", i, "name", "姓名不能为空")
        text_rule("member", i, "name", m.name)
        text_rule("member", i, "hukou_place_text", m.hukou_place_text)
        if m.residence_status not in residences.items:
            add("member.residence", "member", i, "residence_status", "居住状况代码：1 人在户在，2 户在人不在（流出），3 人在户不在（流入），4 户口待定")
        info = idnumber.parse(m.id_number, today)
        if m.id_number:
            if not info.ok:
                add(f"id.{info.status}", "member", i, "id_number", info.message)
            elif info.number_18 in seen_ids:
                add("member.id_repeated", "member", i, "id_number", f"与第{seen_ids[info.number_18] + 1}人的身份证号相同")
            else:
                seen_ids[info.number_18] = i
        if m.relation_to_head == RELATION_HEAD:
            heads += 1
        if m.relation_to_head not in relations.items:
            add("member.relation", "member", i, "relation_to_head", "与户主关系代码不在 GB/T 4761-2008 中：按F4查看代码")
        if m.ethnicity not in ethnicities.items:
            add("member.ethnicity", "member", i, "ethnicity", "民族代码不在 GB 3304 中（汉族为01）：按F4查看代码")
        if m.sex and m.sex not in sexes.items:
            add("member.sex", "member", i, "sex", "性别代码：1 男，2 女")
        if info.ok and m.sex and info.sex != m.sex:
            add("member.id_sex", "member", i, "sex", "性别与身份证号第17位不符：核对性别或号码")
        if not info.ok and not m.sex:
            add("member.sex_missing", "member", i, "sex", "没有有效身份证号时必须填性别")
        born = None
        if m.birth_date:
            try:
                born = dt.date.fromisoformat(parse_typed(m.birth_date)[0])
            except DateInputError as exc:
                add("member.birth_date", "member", i, "birth_date", str(exc))
        if born and born > today:
            add("member.birth_future", "member", i, "birth_date", "出生日期晚于今天：请核对")
        if info.ok and born and len(m.birth_date.replace("-", "")) == 8 and born != info.birth_date:
            add("member.id_birth", "member", i, "birth_date", "出生日期与身份证号第7–14位不符：核对日期或号码")
        if not info.ok and not m.birth_date:
            add("member.birth_missing", "member", i, "birth_date", "没有有效身份证号时必须填出生日期")
    if h.members and heads != 1:
        add("household.head", "household", -1, "members", f"每户应有且只有一名户主（关系代码02），现有{heads}名")

    for j, b in enumerate(h.births):
        n = len(h.members)
        mother = h.members[b.mother - 1] if b.mother and 1 <= b.mother <= n else None
        if mother is None:
            add("birth.mother", "birth", j, "mother", "母亲应填本户人员的序号")
        elif h.member_sex(b.mother - 1) not in ("", SEX_FEMALE):
            add("birth.mother_sex", "birth", j, "mother", f"第{b.mother}人不是女性，不能作母亲")
        if b.father and not 1 <= b.father <= n:
            add("birth.father", "birth", j, "father", "父亲应填本户人员的序号或留空")
        if b.child and not 1 <= b.child <= n:
            add("birth.child", "birth", j, "child", "孩子应填本户人员的序号，不在本户的留空并填姓名")
        text_rule("birth", j, "child_name", b.child_name)
        if not b.child and not b.child_name.strip():
            add("birth.child_name", "birth", j, "child", "不在本户的孩子要填姓名（未取名的写“某某之子/之女”）")
        born = None
        try:
            born = dt.date.fromisoformat(parse_typed(b.birth_date)[0]) if b.birth_date else None
        except DateInputError as exc:
            add("birth.date", "birth", j, "birth_date", str(exc))
        if born is None and b.child and 1 <= b.child <= n:
            born = h.member_birth_date(b.child - 1)
        if not b.birth_date and born is None:
            add("birth.date_missing", "birth", j, "birth_date", "出生日期必填（孩子在本户且有身份证号的可不填）")
        if born and born > today:
            add("birth.date_future", "birth", j, "birth_date", "出生日期晚于今天：请核对")
        if born and mother is not None:
            mb = h.member_birth_date(b.mother - 1)
            if mb and born < mb:
                add("birth.before_mother", "birth", j, "birth_date", "孩子出生早于母亲出生：请核对")
        if b.child_sex and b.child_sex not in sexes.items:
            add("birth.sex", "birth", j, "child_sex", "性别代码：1 男，2 女")
        if b.birth_order is not None and not 1 <= b.birth_order <= 15:
            add("birth.order", "birth", j, "birth_order", "孩次应为1–15")
        if b.birth_cert_no and not CERT_RE.match(b.birth_cert_no):
            add("birth.cert_no", "birth", j, "birth_cert_no", "出生医学证明编号应为1个大写字母加9位数字（如M130456789）")
    return out
