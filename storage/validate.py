"""Validation (审核校验): one rule engine for the form, the CLI (``hecha check``), the export and imports.

DESIGN.md §5 and DATA.md. Every rule has an id, a level and a Chinese message that names the field
and what to do (:data:`RULES`). An ``error`` blocks saving and exporting; a ``warning`` blocks until
the clerk confirms it, and the confirmation is stored with the record (``confirmed`` column) so it
is not asked again. Rules work on :class:`~storage.households.HouseholdInput`, the shape the form,
the loader and the CLI share; :func:`check_database` adds the rules that span households.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

from . import idnumber
from .codes import RELATION_HEAD, SEX_FEMALE, SEX_MALE, code_list
from .dates import DateInputError, add_years, parse_typed, typed_date

if TYPE_CHECKING:
    from .forms import HouseholdInput

ERROR = "error"
WARNING = "warning"
CERT_RE = re.compile(r"^[A-Z]\d{9}$")  # 出生医学证明编号: one letter + 9 digits (DATA.md Birth)
CERT_SINCE = dt.date(1996, 1, 1)  # 出生医学证明 issued since 1996-01-01 (DATA.md Birth)
MARRIAGE_AGE = {SEX_MALE: 22, SEX_FEMALE: 20}  # 婚姻法 第六条 (2001) / 民法典 第1047条
MIN_GENERATION_GAP = 15  # years between a parent and a child (the mother's-age rule's lower bound)
TWIN_GAP_DAYS = 270  # two births of one mother closer than this must be twins (DESIGN.md §5)

RULES: dict[str, tuple[str, str]] = {
    # id: (level, what it checks)
    "id.bad_checksum": (ERROR, "身份证号码校验位（GB 11643-1999 ISO 7064 MOD 11-2）"),
    "id.bad_date": (ERROR, "身份证号码中的出生日期真实且不晚于今天"),
    "id.bad_format": (ERROR, "身份证号码为18位（末位数字或X）或15位数字"),
    "id.unknown_region": (ERROR, "身份证号码前两位是省级代码"),
    "id.damaged": (ERROR, "身份证号码未被电子表格改坏（15位有效数字后补0、科学计数法）"),
    "household.village": (ERROR, "村(居)委会是本乡镇的村"),
    "household.group": (ERROR, "村民小组为01–99"),
    "household.members": (ERROR, "每户至少一人"),
    "household.head": (ERROR, "每户有且只有一名户主"),
    "household.code": (ERROR, "户的代码项在代码表中"),
    "household.date": (ERROR, "户的日期真实、不晚于今天"),
    "household.text": (ERROR, "户的文字项不含控制字符、不超长"),
    "member.name": (ERROR, "姓名必填"),
    "member.text": (ERROR, "人员文字项不含控制字符、不超长"),
    "member.code": (ERROR, "人员代码项在代码表中"),
    "member.required": (ERROR, "关系、民族、居住状况必填"),
    "member.id_repeated": (ERROR, "同一户内身份证号不重复"),
    "member.id_sex": (ERROR, "性别与身份证号第17位一致"),
    "member.id_birth": (ERROR, "出生日期与身份证号第7–14位一致"),
    "member.sex_missing": (ERROR, "没有有效身份证号时填性别"),
    "member.birth_missing": (ERROR, "没有有效身份证号时填出生日期"),
    "member.date": (ERROR, "人员的日期真实、不晚于今天"),
    "member.relation_sex": (ERROR, "与户主关系与性别相符（子为男、女为女……）"),
    "member.relation_age": (WARNING, "与户主关系与年龄相符（子女比户主小、父母比户主大）"),
    "member.marital_age": (WARNING, "已婚者达到法定婚龄（男22岁、女20岁）"),
    "member.marital_child": (ERROR, "15岁以下不能是已婚、离婚或丧偶"),
    "member.outflow": (ERROR, "户在人不在（流出）的人有流出登记和详细现居住地址"),
    "member.inflow": (ERROR, "人在户不在（流入）的人填户籍地"),
    "member.dead_date": (ERROR, "死亡或迁出的人填日期"),
    "woman.eligible": (ERROR, "育龄妇女页只给15–49岁的女性"),
    "woman.missing": (WARNING, "15–49岁已婚女性填育龄妇女页"),
    "woman.code": (ERROR, "育龄妇女页代码项在代码表中"),
    "woman.no_reason": (ERROR, "未避孕的填未避孕原因"),
    "woman.date": (ERROR, "育龄妇女页日期真实、不晚于今天"),
    "migration.direction": (ERROR, "流动方向：1 流入、2 流出"),
    "migration.code": (ERROR, "流动代码项在代码表中"),
    "migration.address": (ERROR, "流出登记填详细现居住地址"),
    "migration.date": (ERROR, "流动日期真实、不晚于今天"),
    "birth.mother": (ERROR, "母亲是本户的人"),
    "birth.mother_sex": (ERROR, "母亲是女性"),
    "birth.father": (ERROR, "父亲是本户的人或留空"),
    "birth.child": (ERROR, "孩子是本户的人或留空并填姓名"),
    "birth.child_name": (ERROR, "不在本户的孩子填姓名"),
    "birth.date": (ERROR, "出生日期真实、不晚于今天"),
    "birth.date_missing": (ERROR, "出生日期必填"),
    "birth.before_mother": (ERROR, "孩子不早于母亲出生"),
    "birth.after_mother_death": (ERROR, "孩子不晚于母亲死亡"),
    "birth.mother_age": (WARNING, "生育时母亲15–55岁"),
    "birth.code": (ERROR, "出生代码项在代码表中"),
    "birth.order": (ERROR, "孩次为1–15"),
    "birth.order_sequence": (WARNING, "孩次与母亲的其他活产一致"),
    "birth.order_high": (WARNING, "孩次10及以上要核实（孩次1与结局连着打成11的键入错误）"),
    "birth.interval": (WARNING, "同一母亲两次生育相隔不少于270天，除非双（多）胞胎"),
    "birth.twins": (WARNING, "同一母亲同日出生的是双（多）胞胎：胎数一致"),
    "birth.cert_no": (ERROR, "出生医学证明编号为1个字母加9位数字"),
    "birth.sex_missing": (ERROR, "不在本户的孩子填性别"),
    "birth.cert_before_1996": (WARNING, "出生医学证明1996年起签发"),
    "birth.text": (ERROR, "出生文字项不含控制字符、不超长"),
    "person.two_households": (ERROR, "一人只在一户登记，除非一处已注明流出、流入或迁出"),
}


@dataclass(frozen=True)
class Finding:
    """One problem: ``rule`` id, ``level``, where (``section`` household/member/woman/migration/birth,
    0-based ``index`` in members or births or -1, ``sub`` the migration episode or -1, ``field``),
    the Chinese ``message``, and whether a warning was ``confirmed`` on its record."""

    rule: str
    level: str
    section: str
    index: int
    field: str
    message: str
    sub: int = -1
    confirmed: bool = False

    def where(self) -> str:
        """Where the problem is, in words: 第2人 身份证号."""
        return where_words(self.section, self.index + 1, self.sub + 1, FIELD_LABELS.get(self.field, self.field))


def where_words(section: str, line: int, sub: int, label: str) -> str:
    """A place in the form in words, from 1-based ``line`` (member or birth) and ``sub`` (migration
    episode): ``where_words("member", 2, 0, "身份证号")`` → ``第2人 身份证号``."""
    if section == "member":
        return f"第{line}人 {label}"
    if section == "woman":
        return f"第{line}人 育龄妇女页 {label}"
    if section == "migration":
        return f"第{line}人 第{sub}次流动 {label}"
    if section == "birth":
        return f"第{line}个出生 {label}"
    return label


FIELD_LABELS = {
    "village_code": "村(居)委会",
    "group_no": "村民小组",
    "address_detail": "门牌地址",
    "form_no": "登记表编号",
    "household_kind": "户别",
    "hukou_type": "户口类型",
    "survey_date": "核查日期",
    "name": "姓名",
    "id_number": "身份证号",
    "relation_to_head": "与户主关系",
    "ethnicity": "民族",
    "sex": "性别",
    "birth_date": "出生日期",
    "marital_status": "婚姻状况",
    "education": "文化程度",
    "residence_status": "居住状况",
    "residence_text": "现居住地",
    "hukou_place_text": "户籍地",
    "work_unit": "工作单位",
    "vital_status": "现状",
    "vital_date": "死亡/迁出日期",
    "exit_reason": "注销类别",
    "id_type": "证件类型",
    "first_marriage_date": "初婚日期",
    "marital_change_date": "婚姻变动日期",
    "only_child_cert_date": "独生子女证日期",
    "contraception": "节育措施",
    "contraception_start": "措施日期",
    "contraception_end": "措施停止日期",
    "contraception_org_type": "施术机构",
    "no_contraception_reason": "未避孕原因",
    "pregnancy_status": "现孕状况",
    "pregnancy_date": "怀孕日期",
    "direction": "流动方向",
    "move_date": "流动日期",
    "return_date": "返回日期",
    "reason": "流动原因",
    "current_address": "详细现居住地址",
    "category": "流动范围",
    "housing": "住房",
    "cert_status": "持证情况",
    "mb_cert_date": "婚育证明签发日期",
    "youngest_child_birth_date": "最小孩子出生日期",
    "closed_date": "注销日期",
    "child": "孩子",
    "mother": "母亲",
    "father": "父亲",
    "child_sex": "性别",
    "child_name": "孩子姓名",
    "birth_order": "孩次",
    "birth_cert_no": "出生医学证明编号",
    "outcome": "出生结局",
    "birth_place_kind": "出生地点",
    "policy_attribute": "政策属性",
    "plurality": "胎数",
    "hukou_registered": "是否落户",
    "hukou_date": "落户日期",
    "child_status": "现状",
    "health_status": "健康状况",
    "finding": "核查结论",
    "members": "户内人员",
    "police_hukou_no": "公安户口簿编号",
    "phone": "联系电话",
    "surveyor": "核查员",
    "respondent": "被访人",
    "hukou_place_code": "户籍地代码",
    "residence_code": "现居住地代码",
    "is_staff": "机关企事业单位人员",
    "former_names": "曾用名",
    "spouse_name": "配偶姓名",
    "spouse_id_number": "配偶身份证号",
    "only_child_cert_no": "独生子女证号",
    "wis_person_code": "WIS人员编码",
    "gpl_person_code": "GPL人员编码",
    "boys": "男孩数",
    "girls": "女孩数",
    "birth_permit_no": "生育服务证号",
    "from_code": "流出地代码",
    "to_code": "流入地代码",
    "mb_cert_no": "婚育证明编号",
    "mb_cert_issuer": "婚育证明签发机关",
    "children_count": "子女数",
    "gpl_record_id": "GPL记录号",
    "close_reason": "注销原因",
    "plurality_index": "多胞胎第几个",
    "vaccination_card_no": "接种证号",
    "school_name": "在读学校/幼儿园",
    "father_name": "父亲姓名",
    "father_id_number": "父亲身份证号",
    "birth_time": "出生时间",
    "delivery_org": "接生机构",
    "birth_order_couple": "夫妇孩次",
    "policy_basis": "政策依据",
    "adopted": "收养",
    "wis_reported": "WIS已报",
    "wis_report_period": "WIS上报期",
    "finding_note": "核查说明",
    "evidence": "证据",
    "finding_by": "核查人",
}

MAX_LENGTHS = {
    "name": 30,
    "child_name": 30,
    "address_detail": 100,
    "form_no": 20,
    "hukou_place_text": 100,
    "residence_text": 100,
    "work_unit": 60,
    "current_address": 100,
    "delivery_org": 60,
    "school_name": 60,
}

# Coded fields per section: field → code list (storage/data/codes/<list>.csv). Required ones are
# checked by their own rules; an empty optional code is fine.
HOUSEHOLD_CODES = {"household_kind": "household_kind", "hukou_type": "hukou_type"}
MEMBER_CODES = {
    "relation_to_head": "relation",
    "ethnicity": "ethnicity",
    "sex": "sex",
    "marital_status": "marital_status",
    "education": "education",
    "residence_status": "residence_status",
    "id_type": "id_type",
    "hukou_type": "hukou_type",
    "vital_status": "vital_status",
    "exit_reason": "exit_reason",
}
WOMAN_CODES = {
    "contraception": "contraception",
    "contraception_org_type": "contraception_org_type",
    "no_contraception_reason": "no_contraception_reason",
    "pregnancy_status": "pregnancy_status",
}
MIGRATION_CODES = {
    "direction": "migration_direction",
    "reason": "migration_reason",
    "category": "migration_category",
    "housing": "housing",
    "cert_status": "cert_status",
    "contraception": "contraception",
    "pregnancy_status": "pregnancy_status",
}
BIRTH_CODES = {
    "child_sex": "sex",
    "outcome": "outcome",
    "birth_place_kind": "birth_place_kind",
    "policy_attribute": "policy_attribute",
    "health_status": "health_status",
    "child_status": "child_status",
    "hukou_registered": "yes_no",
    "wis_reported": "yes_no",
    "finding": "finding",
}
MEMBER_DATES = ("first_marriage_date", "marital_change_date", "only_child_cert_date", "vital_date")
WOMAN_DATES = ("contraception_start", "contraception_end", "pregnancy_date")
MIGRATION_DATES = ("move_date", "return_date", "mb_cert_date", "youngest_child_birth_date", "closed_date")

MALE_RELATIONS = frozenset(
    "11 20 21 22 23 24 25 26 27 28 29 41 43 46 47 51 53 55 57 61 63 66 71 73 76 78 81 83 85 87 89 93 95".split()
)
FEMALE_RELATIONS = frozenset(
    "12 30 31 32 33 34 35 36 37 38 39 42 44 45 48 52 54 56 58 62 64 67 72 74 75 77 82 84 86 88 90 94 96".split()
)
CHILD_RELATIONS = frozenset("20 21 22 23 24 25 26 27 29 30 31 32 33 34 35 36 37 39".split())
ELDER_RELATIONS = frozenset("50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 69".split())
MARRIED = frozenset({"20", "21", "22", "23", "30", "40"})  # 已婚、初婚、再婚、复婚、丧偶、离婚: ever married
OUTFLOW, INFLOW = "2", "3"


def confirmation(rule: str, message: str) -> str:
    """The token stored on a record when the clerk confirms a warning: the rule id and a short hash
    of its message, so a confirmation lapses when the data it was about changes (a 200-day gap
    confirmed is asked again once the date says 31 days)."""
    return f"{rule}#{hashlib.sha256(message.encode()).hexdigest()[:8]}"


def record_of(h: HouseholdInput, f: Finding):
    """The input record a finding is about: the household, a member, a woman's page, a migration
    episode or a birth; ``None`` when the form has no such record (any more)."""
    if f.section == "household":
        return h
    if f.section == "birth":
        return h.births[f.index] if 0 <= f.index < len(h.births) else None
    m = h.members[f.index] if 0 <= f.index < len(h.members) else None
    if m is None:
        return None
    if f.section == "woman":
        return m.fp
    if f.section == "migration":
        return m.migrations[f.sub] if 0 <= f.sub < len(m.migrations) else None
    return m


def is_confirmed(h: HouseholdInput, f: Finding) -> bool:
    """Whether the warning ``f`` carries the clerk's confirmation on its record (:func:`confirmation`)."""
    record = record_of(h, f)
    return f.level == WARNING and record is not None and confirmation(f.rule, f.message) in record.confirmed


NAME_FIELDS = frozenset({"name", "child_name"})
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff])\s+(?=[\u3400-\u9fff\uf900-\ufaff])")


def tidy_name(name: str) -> str:
    """A name as it is kept: the ideographic space folded (NFKC), no space between two Chinese
    characters (王　五, padded to the width of a three-character name on paper, is 王五), other runs of
    spaces one (a name in Latin letters). Issue 15: typed and pasted names were kept differently."""
    name = unicodedata.normalize("NFKC", name).strip()
    return " ".join(_CJK_GAP.sub("", name).split())


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


def id_damage(text: str) -> str | None:
    """Why ``text`` looks like an ID number a spreadsheet damaged, or ``None`` (DATA.md GB 11643).

    Excel keeps 15 significant digits: an 18-digit number read back as a number ends in 000, or
    arrives in scientific notation (1.30123E+17). Flag it, never "repair" it.
    """
    t = (text or "").strip().upper()
    if "E+" in t or (t.replace(".", "").isdigit() and "." in t):
        return "身份证号码是电子表格的科学计数法，后几位已经丢失：请按原件重新录入"
    if len(t) == 18 and t.isdigit() and t.endswith("000") and idnumber.check_char(t[:17]) != t[17]:
        return "身份证号码后三位是000，可能被电子表格改坏（只保留15位有效数字）：请按原件核对"
    return None


@overload
def _age(born: dt.date, on: dt.date) -> int: ...
@overload
def _age(born: dt.date | None, on: dt.date) -> int | None: ...
def _age(born: dt.date | None, on: dt.date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@dataclass(frozen=True)
class FieldCheck:
    """What :func:`check_field` says about one field: ``value`` as it is to be kept (a code found by
    its name or without its leading zero, a one-digit group padded, an ID number or a certificate
    number in capitals, text stripped) and the ``finding`` that stops the clerk there, or ``None``."""

    value: str
    finding: Finding | None = None


SECTION_CODES = {
    "household": HOUSEHOLD_CODES,
    "member": MEMBER_CODES,
    "woman": WOMAN_CODES,
    "migration": MIGRATION_CODES,
    "birth": BIRTH_CODES,
}
SECTION_DATES = {
    "household": ("survey_date",),
    "member": ("birth_date", *MEMBER_DATES),
    "woman": WOMAN_DATES,
    "migration": MIGRATION_DATES,
    "birth": ("birth_date", "hukou_date"),
}
SECTION_TEXTS = {
    "household": ("address_detail", "form_no"),
    "member": ("name", "hukou_place_text", "residence_text", "work_unit"),
    "migration": ("current_address",),
    "birth": ("child_name",),
}
TEXT_RULE = {"household": "household.text", "member": "member.text", "migration": "member.text", "birth": "birth.text"}
REQUIRED_CODES = frozenset({("member", "relation_to_head"), ("member", "ethnicity"), ("member", "residence_status")})
LINE_REFS = {  # birth fields that hold a member's line number: (rule, message)
    "mother": ("birth.mother", "母亲应填本户人员的序号（1–{n}）"),
    "father": ("birth.father", "父亲应填本户人员的序号（1–{n}），不在本户的留空"),
    "child": ("birth.child", "孩子应填本户人员的序号（1–{n}），不在本户的留空并填姓名"),
}
YES_NO_FIELDS = frozenset({("member", "is_staff"), ("birth", "adopted")})  # held as booleans, typed 1 or 0
MAX_BIRTH_ORDER = 15  # 孩次 1–15 (DATA.md Birth)
HIGH_BIRTH_ORDER = 10  # from here a 孩次 is asked about: 11 is more often 孩次 1 and 结局 1 typed together


def check_field(
    section: str,
    field: str,
    value: str,
    *,
    form: HouseholdInput | None = None,
    index: int = -1,
    line=None,
    sub: int = -1,
    villages=frozenset(),
    today: dt.date | None = None,
    stored: bool = False,
) -> FieldCheck:
    """The rules about one field, in one place: the form screen applies them as the clerk leaves a
    field, :func:`check_household` to every field on save, in ``hecha check``, the CLI and imports
    (issue 13). Rules that relate several fields (sex against the ID number, the mother's age …)
    stay in :func:`check_household`.

    ``section``: household / member / woman / migration / birth; ``field``: the input attribute
    (:data:`FIELD_LABELS`); ``value``: the text. ``form`` is the household for the rules that look
    at its lines (line numbers, an ID number twice, the mother's sex); ``index`` is the 0-based line
    (``len(form.members)`` for a line not yet in the form), ``sub`` the migration episode; ``line``
    is the record the field belongs to (a member whose valid ID number makes sex and birth date
    optional, a birth whose child is in the household). ``villages``: the office's village codes.
    ``stored`` checks a value as saved rather than as typed: a code and the group must be exact (no
    look-up by name, no padding) and an ID number is compared with the earlier lines only, so a
    pair is reported once. Never raises; returns :class:`FieldCheck`.
    """
    today = today or idnumber.real_day()  # the bound only (no date after the real day), never an age
    raw = "" if value is None else str(value)
    v = raw.strip()
    label = FIELD_LABELS.get(field, field)

    def stop(rule: str, message: str, keep: str = v, at: str = field) -> FieldCheck:
        return FieldCheck(keep, Finding(rule, RULES[rule][0], section, index, at, message, sub))

    if section == "household" and field == "village_code":
        if not v:
            return stop("household.village", "村(居)委会必填：输入12位代码或按F4选择")
        if v not in villages:
            return stop("household.village", f"村(居)委会代码“{v}”不是本乡镇的村：按F4选择或核对12位代码")
        return FieldCheck(v)
    if section == "household" and field == "group_no":
        if not stored and len(v) == 1 and v.isdigit():
            v = v.zfill(2)
        if not (len(v) == 2 and v.isdigit() and v != "00"):
            return stop("household.group", "村民小组应为2位数字（01–99）", v)
        return FieldCheck(v)
    if field in NAME_FIELDS:
        v = tidy_name(v)
    if field in SECTION_TEXTS.get(section, ()):
        if section == "member" and field == "name" and not v:
            return stop("member.name", "姓名不能为空")
        if section == "birth" and field == "child_name" and not v and line is not None and not line.child:
            return stop("birth.child_name", "不在本户的孩子要填姓名（未取名的写“某某之子/之女”）", at="child")
        why = bad_text(raw, field)
        return stop(TEXT_RULE[section], f"{label}{why}") if why else FieldCheck(v)
    if section == "member" and field == "id_number":
        number = v.upper()
        if not number:
            return FieldCheck("")
        damage = id_damage(number)
        if damage:
            return stop("id.damaged", damage, number)
        info = idnumber.parse(number, today)
        if not info.ok:
            return stop(f"id.{info.status}", info.message, number)
        others = (form.members[:index] if stored else form.members) if form is not None else []
        for j, other in enumerate(others):
            if j != index and other.id_number and idnumber.parse(other.id_number).number_18 == info.number_18:
                return stop("member.id_repeated", f"与第{j + 1}人的身份证号相同：请核对", number)
        return FieldCheck(number)
    if section == "birth" and field in LINE_REFS:
        rule, message = LINE_REFS[field]
        n = len(form.members) if form is not None else 0
        if not v:
            return stop(rule, message.format(n=n)) if field == "mother" else FieldCheck("")
        k = int(v) if v.isdigit() else 0
        if not 1 <= k <= n:
            return stop(rule, message.format(n=n))
        if field == "mother" and form is not None and form.member_sex(k - 1) not in ("", SEX_FEMALE):
            return stop("birth.mother_sex", f"第{k}人不是女性，不能作母亲")
        return FieldCheck(str(k))
    if section == "birth" and field == "birth_order":
        if v and not (v.isdigit() and 1 <= int(v) <= MAX_BIRTH_ORDER):
            return stop("birth.order", f"孩次应为1–{MAX_BIRTH_ORDER}")
        return FieldCheck(v)
    if section == "birth" and field == "birth_cert_no":
        cert = v.upper()
        if cert and not CERT_RE.match(cert):
            return stop("birth.cert_no", "出生医学证明编号应为1个大写字母加9位数字（如M130456789）", cert)
        return FieldCheck(cert)
    if (section, field) in YES_NO_FIELDS:
        if v not in ("", "0", "1"):
            return stop(f"{section}.code", f"{label}填1（是）或0（否）")
        return FieldCheck(v)
    codes = SECTION_CODES.get(section, {})
    if section == "migration" and field == "direction":
        return FieldCheck(v) if v in ("1", "2") else stop("migration.direction", "流动方向：1 流入，2 流出")
    if field in codes:
        if not v:
            if (section, field) in REQUIRED_CODES:
                return stop("member.required", f"{label}必填：按F4查看代码")
            if section == "member" and field == "sex" and line is not None and not idnumber.parse(line.id_number).ok:
                return stop("member.sex_missing", "没有有效身份证号时必须填性别")
            if section == "birth" and field == "child_sex" and line is not None and not line.child:
                return stop("birth.sex_missing", "不在本户的孩子要填性别")
            return FieldCheck("")
        table = code_list(codes[field])
        code = (v if v in table.items else None) if stored else table.lookup(v)
        if code is None:
            return stop(f"{section}.code", f"{label}代码“{v}”不在代码表中：按F4查看")
        return FieldCheck(code)
    if field in SECTION_DATES.get(section, ()):
        if not v:
            if (
                section == "member"
                and field == "birth_date"
                and line is not None
                and not idnumber.parse(line.id_number).ok
            ):
                return stop("member.birth_missing", "没有有效身份证号时必须填出生日期")
            if section == "birth" and field == "birth_date" and line is not None and _child_born(form, line) is None:
                return stop("birth.date_missing", "出生日期必填（孩子在本户且有身份证号的可不填）")
            return FieldCheck("")
        try:
            day = dt.date.fromisoformat(parse_typed(v)[0])
        except DateInputError as exc:
            return stop(f"{section}.date", f"{label}：{exc}")
        if day > today:
            return stop(f"{section}.date", f"{label}晚于今天：请核对")
        return FieldCheck(v)
    return FieldCheck(v)


def _child_born(form: HouseholdInput | None, birth) -> dt.date | None:
    """The birth date of a birth's child when the child is a member of ``form`` (typed or from the ID)."""
    if form is None or not birth.child or not 1 <= birth.child <= len(form.members):
        return None
    return form.member_birth_date(birth.child - 1)


class _Checker:
    """Collects findings for one household form: every field through :func:`check_field`, then the
    rules that relate fields, lines and pages."""

    def __init__(self, h: HouseholdInput, village_codes: set[str], today: dt.date, as_of: dt.date):
        self.h = h
        self.villages = village_codes
        self.today = today
        self.as_of = as_of
        self.out: list[Finding] = []

    def add(self, rule: str, section: str, index: int, field: str, message: str, sub: int = -1) -> None:
        f = Finding(rule, RULES[rule][0], section, index, field, message, sub)
        self.out.append(dataclasses.replace(f, confirmed=is_confirmed(self.h, f)))

    def fields(self, section: str, index: int, record, names, sub: int = -1, line=None) -> None:
        """Each of ``names`` of ``record`` through :func:`check_field`, as stored."""
        for name in names:
            value = getattr(record, name)
            result = check_field(
                section,
                name,
                "" if value is None else str(value),
                form=self.h,
                index=index,
                line=record if line is None else line,
                sub=sub,
                villages=self.villages,
                today=self.today,
                stored=True,
            )
            f = result.finding
            if f is not None:
                self.add(f.rule, section, index, f.field, f.message, sub)

    # --------------------------------------------------------------------------------------------
    def run(self) -> list[Finding]:
        self.household()
        for i, m in enumerate(self.h.members):
            self.member(i, m)
        self.births()
        return self.out

    def household(self) -> None:
        h = self.h
        self.fields(
            "household",
            -1,
            h,
            ("village_code", "group_no", *HOUSEHOLD_CODES, *SECTION_DATES["household"], *SECTION_TEXTS["household"]),
        )
        if not h.members:
            self.add("household.members", "household", -1, "members", "每户至少登记一人（户主写在第一行）")
        heads = [k for k, m in enumerate(h.members) if m.relation_to_head == RELATION_HEAD]
        if h.members and len(heads) != 1:
            at = heads[1] if len(heads) > 1 else 0  # the second head, or the first line, to fix
            self.add(
                "household.head",
                "member",
                at,
                "relation_to_head",
                f"每户应有且只有一名户主（关系代码02），现有{len(heads)}名：核对与户主关系",
            )

    def member(self, i: int, m) -> None:
        h, today = self.h, self.today
        self.fields(
            "member", i, m, ("name", "id_number", *MEMBER_CODES, *SECTION_DATES["member"], *SECTION_TEXTS["member"][1:])
        )
        info = idnumber.parse(m.id_number, today)
        sex = m.sex or (info.sex if info.ok else "")
        if info.ok and m.sex and info.sex != m.sex:
            self.add("member.id_sex", "member", i, "sex", "性别与身份证号第17位不符：核对性别或号码")
        born = typed_date(m.birth_date) if m.birth_date else (info.birth_date if info.ok else None)
        if info.ok and born and m.birth_date and len(m.birth_date.replace("-", "")) == 8 and born != info.birth_date:
            self.add("member.id_birth", "member", i, "birth_date", "出生日期与身份证号第7–14位不符：核对日期或号码")
        age = _age(born, self.as_of)  # at the campaign's reference date (标准时点), not the day of the check

        rel = m.relation_to_head
        if sex == SEX_MALE and rel in FEMALE_RELATIONS or sex == SEX_FEMALE and rel in MALE_RELATIONS:
            name = code_list("relation").name(rel)
            self.add("member.relation_sex", "member", i, "relation_to_head", f"“{name}”与性别不符：核对关系代码或性别")
        head = next((k for k, x in enumerate(h.members) if x.relation_to_head == RELATION_HEAD), None)
        if head is not None and head != i and born is not None:
            head_born = h.member_birth_date(head)
            if head_born is not None:
                if rel in CHILD_RELATIONS and born < add_years(head_born, MIN_GENERATION_GAP):
                    self.add(
                        "member.relation_age",
                        "member",
                        i,
                        "relation_to_head",
                        f"子女应比户主小{MIN_GENERATION_GAP}岁以上：核对关系或出生日期",
                    )
                if rel in ELDER_RELATIONS and born > add_years(head_born, -MIN_GENERATION_GAP):
                    self.add(
                        "member.relation_age",
                        "member",
                        i,
                        "relation_to_head",
                        f"父母、祖父母应比户主大{MIN_GENERATION_GAP}岁以上：核对关系或出生日期",
                    )
        if m.marital_status in MARRIED and age is not None:
            if age < 15:
                self.add(
                    "member.marital_child",
                    "member",
                    i,
                    "marital_status",
                    f"{age}岁不能是已婚、离婚或丧偶：核对婚姻状况或出生日期",
                )
            elif sex in MARRIAGE_AGE and age < MARRIAGE_AGE[sex]:
                self.add(
                    "member.marital_age",
                    "member",
                    i,
                    "marital_status",
                    f"{age}岁未到法定婚龄（男22、女20）：核实后确认",
                )
        if m.residence_status == OUTFLOW:
            outflows = [g for g in m.migrations if g.direction == "2"]
            if not outflows or not any(g.current_address.strip() for g in outflows):
                self.add(
                    "member.outflow",
                    "member",
                    i,
                    "residence_status",
                    "户在人不在（流出）：按F9在流动页登记流出及详细现居住地址",
                )
        if m.residence_status == INFLOW and not (m.hukou_place_text.strip() or m.hukou_place_code.strip()):
            self.add("member.inflow", "member", i, "hukou_place_text", "人在户不在（流入）：请填户籍地")
        if m.vital_status in ("2", "3") and not m.vital_date:
            self.add("member.dead_date", "member", i, "vital_date", "死亡或迁出的人请填死亡/迁出日期")

        fp = m.fp
        if fp is not None:
            if sex != SEX_FEMALE or age is None or not 15 <= age <= 49:
                self.add(
                    "woman.eligible",
                    "woman",
                    i,
                    "contraception",
                    "育龄妇女页只填15–49岁的女性：请删去此页（F6 页内 Ctrl+D）",
                )
            self.fields("woman", i, fp, (*WOMAN_CODES, *WOMAN_DATES))
            if fp.contraception == "00" and not fp.no_contraception_reason:
                self.add("woman.no_reason", "woman", i, "no_contraception_reason", "未避孕（00）的请填未避孕原因")
        elif woman_page_due(sex or "", age, m.marital_status):
            self.add("woman.missing", "member", i, "marital_status", "15–49岁已婚女性：按F6填育龄妇女页（节育措施）")
        for k, g in enumerate(m.migrations):
            self.fields("migration", i, g, (*MIGRATION_CODES, *MIGRATION_DATES, *SECTION_TEXTS["migration"]), k)
            if g.direction == "2" and not g.current_address.strip():
                self.add(
                    "migration.address",
                    "migration",
                    i,
                    "current_address",
                    "流出的必须填详细现居住地址（省市县乡村门牌）",
                    k,
                )

    def births(self) -> None:
        h = self.h
        n = len(h.members)
        dates: list[dt.date | None] = []
        for j, b in enumerate(h.births):
            self.fields(
                "birth",
                j,
                b,
                (*LINE_REFS, "child_name", *BIRTH_CODES, *SECTION_DATES["birth"], "birth_order", "birth_cert_no"),
            )
            if b.birth_order is not None and HIGH_BIRTH_ORDER <= b.birth_order <= MAX_BIRTH_ORDER:
                self.add(
                    "birth.order_high",
                    "birth",
                    j,
                    "birth_order",
                    f"孩次{b.birth_order}很少见：是不是把孩次和后面的结局连着打了（第1孩按1再回车）？核实后确认",
                )
            k = b.mother - 1 if b.mother and 1 <= b.mother <= n else None  # the mother's line, 0-based
            born = typed_date(b.birth_date) if b.birth_date else _child_born(h, b)
            dates.append(born)
            if born and k is not None:
                mother = h.members[k]
                mother_born = h.member_birth_date(k)
                if mother_born and born < mother_born:
                    self.add("birth.before_mother", "birth", j, "birth_date", "孩子出生早于母亲出生：请核对")
                elif mother_born:
                    age = _age(mother_born, born)
                    if not 15 <= age <= 55:
                        self.add(
                            "birth.mother_age",
                            "birth",
                            j,
                            "birth_date",
                            f"生育时母亲{age}岁（应在15–55岁）：核实后确认",
                        )
                died = typed_date(mother.vital_date) if mother.vital_status == "2" else None
                if died and born > died:
                    self.add("birth.after_mother_death", "birth", j, "birth_date", "孩子出生晚于母亲死亡日期：请核对")
            if b.birth_cert_no and CERT_RE.match(b.birth_cert_no.upper()) and born and born < CERT_SINCE:
                self.add(
                    "birth.cert_before_1996",
                    "birth",
                    j,
                    "birth_cert_no",
                    "1996年以前出生的没有出生医学证明：核实后确认",
                )
        self.per_mother(dates)

    def per_mother(self, dates: list[dt.date | None]) -> None:
        """Birth order, intervals and twins, over each mother's births on this form."""
        born = {j: d for j, d in enumerate(dates) if d is not None}  # the births with a date
        by_mother: dict[int, list[int]] = {}
        for j, b in enumerate(self.h.births):
            if b.mother and j in born:
                by_mother.setdefault(b.mother, []).append(j)
        for js in by_mother.values():
            js.sort(key=lambda j: (born[j], self.h.births[j].plurality_index))
            # earlier children may be outside the ten years and not listed: the first listed birth may
            # have any order, each later live birth must follow the one before it (twins one by one)
            live = [
                (j, order)
                for j in js
                if self.h.births[j].outcome in ("", "1") and (order := self.h.births[j].birth_order) is not None
            ]
            for (_, order_a), (c, _) in zip(live, live[1:], strict=False):
                expected = order_a + 1
                if self.h.births[c].birth_order != expected:
                    self.add(
                        "birth.order_sequence",
                        "birth",
                        c,
                        "birth_order",
                        f"该母亲上一个孩子是第{order_a}孩，这个应为第{expected}孩（双胞胎逐个计）：核实后确认",
                    )
            for a, c in zip(js, js[1:], strict=False):
                gap = (born[c] - born[a]).days
                if 0 < gap < TWIN_GAP_DAYS:
                    self.add(
                        "birth.interval",
                        "birth",
                        c,
                        "birth_date",
                        f"与同一母亲的上一次生育只隔{gap}天（不足270天）：核实后确认",
                    )
            same_day: dict[dt.date, list[int]] = {}
            for j in js:
                same_day.setdefault(born[j], []).append(j)
            for group in same_day.values():
                if len(group) > 1:
                    for j in group:
                        if self.h.births[j].plurality != len(group):
                            self.add(
                                "birth.twins",
                                "birth",
                                j,
                                "plurality",
                                f"同一母亲同日出生{len(group)}个孩子：胎数应为{len(group)}",
                            )


def woman_page_due(sex: str, age: int | None, marital_status: str) -> bool:
    """Whether a member needs the woman's page (三、育龄妇女): a woman of 15–49 (at the date ages are
    judged, :func:`judged_at`) who is married (GB/T 2261.2 20–23; widowed 30 and divorced 40 are not).
    The save warns when it is missing."""
    return sex == SEX_FEMALE and age is not None and 15 <= age <= 49 and marital_status in MARRIED - {"30", "40"}


def needs_woman_page(h: HouseholdInput, i: int, as_of: dt.date | None = None) -> bool:
    """Whether member ``i`` (0-based) of ``h`` needs the woman's page and has none: the form opens it
    by itself for her (issue 15), judged as the save judges it (:func:`woman_page_due`, :func:`judged_at`)."""
    m = h.members[i]
    on = judged_at(h, as_of, idnumber.real_day())  # the real day only when no reference date is set
    return m.fp is None and woman_page_due(h.member_sex(i), _age(h.member_birth_date(i), on), m.marital_status)


def judged_at(h: HouseholdInput, as_of: dt.date | None, today: dt.date) -> dt.date:
    """The date ages and eligibility are judged at for ``h`` (issue 14): the campaign's reference date
    (标准时点, ``as_of``, :func:`storage.office.reference_date`) when the office set one, else the
    household's own verification date (核查日期, FORM.md 一) when it is a real date not after
    ``today``, else ``today``: a check run next year does not age a woman checked this year."""
    if as_of is not None:
        return as_of
    surveyed = typed_date(h.survey_date) if h.survey_date else None
    return surveyed if surveyed is not None and surveyed <= today else today


def check_household(
    h: HouseholdInput, village_codes: set[str], today: dt.date | None = None, as_of: dt.date | None = None
) -> list[Finding]:
    """Every finding for the household form ``h``; ``village_codes`` are the office's villages.

    ``today`` is the real day, the bound no date may pass (a physical fact, not a judgement; default
    the real date); ages and eligibility (a woman's page 15–49, the marriage age) are judged at
    :func:`judged_at`: the campaign's reference date ``as_of``, else the household's 核查日期. Warnings
    already confirmed on their records come back with ``confirmed=True``.
    """
    today = today or idnumber.real_day()  # the bound only: nothing may be dated after the real day
    return _Checker(h, village_codes, today, judged_at(h, as_of, today)).run()


def check_id_number(text: str, today: dt.date | None = None) -> Finding | None:
    """The field rule for a typed ID number alone (damage, then GB 11643-1999); ``None`` if fine.
    A shorthand for :func:`check_field` on a member's ``id_number`` without its household."""
    return check_field("member", "id_number", text, today=today).finding
