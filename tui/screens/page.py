"""Detail pages of the form: a person's other fields, a woman's family-planning page (三), a
migration episode (五) and a birth's other fields (四), each one field per line.

:class:`PageScreen` edits one input record (a dataclass of :mod:`storage.households`) in place:
Enter goes down the fields, Enter on the last one or F10 keeps the page, Esc leaves it unchanged,
Ctrl+D removes the page (where a page may be removed). Code fields show their meaning and take F4.
Field specs are data (:data:`PERSON_PAGE` …), in the paper form's order.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from storage.codes import code_list
from storage.validate import SECTION_CODES, check_field

from ..keys import bindings
from ..widgets.fields import FieldInput, Label, Meaning, Row
from ..widgets.keyline import KeyLine
from .dialogs import LookupScreen

SHORT_LIST = 4  # a code list this short is shown in full beside its empty field


def meaning(codes: str, value: str) -> str:
    """What is shown beside a code field: the code's meaning, or, while it is empty, a short list's
    every code (issue 15: 户口类型 listed none, while 户别's label carried its two)."""
    items = code_list(codes).items
    if not value and len(items) <= SHORT_LIST:
        return " ".join(f"{k}{v}" for k, v in items.items())
    return code_list(codes).name(value)


@dataclass(frozen=True)
class Spec:
    """One field of a page: attribute ``field``, ``label``, ``width``; ``kind`` is ``text``, ``date``
    (YYYYMMDD/YYYYMM), ``int``, ``digits`` or ``bool`` (1/0). A field's code list is the core's
    (:data:`storage.validate.SECTION_CODES`); ``codes`` names one only for a field the core holds
    as a yes/no (``bool``)."""

    field: str
    label: str
    width: int
    codes: str = ""
    kind: str = "text"
    on: str = ""  # "" the page's record, or the name of another record the page shows (e.g. person)


HOUSEHOLD_PAGE = (
    Spec("household_kind", "户别", 1),
    Spec("hukou_type", "户口类型", 1),
    Spec("police_hukou_no", "公安户口簿编号", 20),
    Spec("phone", "联系电话", 15),
    Spec("surveyor", "核查员", 10),
    Spec("survey_date", "核查日期", 8, kind="date"),
    Spec("respondent", "被访人", 10),
)

PERSON_PAGE = (
    Spec("residence_text", "现居住地", 40),
    Spec("hukou_place_text", "户籍地（不在本乡的填）", 40),
    Spec("hukou_place_code", "户籍地代码（12位）", 12, kind="digits"),
    Spec("work_unit", "工作单位", 30),
    Spec("is_staff", "机关企事业单位人员 1是 0否", 1, codes="yes_no", kind="bool"),
    Spec("first_marriage_date", "初婚日期", 8, kind="date"),
    Spec("marital_change_date", "婚姻变动日期", 8, kind="date"),
    Spec("spouse_name", "配偶姓名（不在本户的）", 16),
    Spec("spouse_id_number", "配偶身份证号", 18),
    Spec("vital_status", "现状", 1),
    Spec("vital_date", "死亡/迁出日期", 8, kind="date"),
    Spec("exit_reason", "注销类别", 1),
    Spec("id_type", "证件类型", 2),
    Spec("hukou_type", "户口类型", 1),
    Spec("former_names", "曾用名", 16),
    Spec("phone", "联系电话", 15),
    Spec("only_child_cert_no", "独生子女证号", 20),
    Spec("only_child_cert_date", "独生子女证日期", 8, kind="date"),
)

WOMAN_PAGE = (
    Spec("first_marriage_date", "初婚日期", 8, kind="date", on="person"),
    Spec("contraception", "节育措施", 2),
    Spec("contraception_start", "措施日期", 8, kind="date"),
    Spec("no_contraception_reason", "未避孕原因", 1),
    Spec("pregnancy_status", "现孕状况", 1),
    Spec("birth_permit_no", "生育服务证号", 20),
    Spec("boys", "男孩数", 2, kind="int"),
    Spec("girls", "女孩数", 2, kind="int"),
    Spec("contraception_org_type", "施术机构", 1),
    Spec("contraception_end", "措施停止日期", 8, kind="date"),
    Spec("pregnancy_date", "怀孕日期", 8, kind="date"),
)

MIGRATION_PAGE = (
    Spec("direction", "方向 1流入 2流出", 1),
    Spec("move_date", "流动日期", 8, kind="date"),
    Spec("reason", "流动原因", 3),
    Spec("current_address", "详细现居住地址（流出必填）", 50),
    Spec("hukou_place_code", "户籍地代码（12位，流入）", 12, kind="digits"),
    Spec("mb_cert_no", "婚育证明编号", 20),
    Spec("cert_status", "持证情况", 1),
    Spec("housing", "住房", 1),
    Spec("category", "流动范围", 1),
    Spec("work_unit", "工作单位", 30),
    Spec("to_code", "流入地代码（12位）", 12, kind="digits"),
    Spec("from_code", "流出地代码（12位）", 12, kind="digits"),
    Spec("mb_cert_date", "婚育证明签发日期", 8, kind="date"),
    Spec("mb_cert_issuer", "婚育证明签发机关", 30),
    Spec("return_date", "返回日期", 8, kind="date"),
)

BIRTH_PAGE = (
    Spec("hukou_registered", "是否落户 1是 0否", 1),
    Spec("hukou_date", "落户日期", 8, kind="date"),
    Spec("vaccination_card_no", "接种证号", 20),
    Spec("school_name", "在读学校/幼儿园", 30),
    Spec("child_status", "现状", 1),
    Spec("plurality", "胎数（双胞胎为2）", 1, kind="int"),
    Spec("plurality_index", "第几胎（双胞胎的第1或第2个）", 1, kind="int"),
    Spec("delivery_org", "接生机构", 30),
    Spec("health_status", "健康状况", 1),
    Spec("policy_basis", "政策依据（生育证号）", 20),
    Spec("father_name", "父亲姓名（不在本户的）", 16),
    Spec("father_id_number", "父亲身份证号", 18),
    Spec("finding", "核查结论", 1),
    Spec("finding_note", "说明", 40),
)

SECTION_OF = {
    HOUSEHOLD_PAGE: "household",
    PERSON_PAGE: "member",
    WOMAN_PAGE: "woman",
    MIGRATION_PAGE: "migration",
    BIRTH_PAGE: "birth",
}
"""Each page's section, as :func:`storage.validate.check_field` names it."""


def to_text(spec: Spec, value) -> str:
    """The value as the field shows it."""
    if value is None:
        return ""
    if spec.kind == "bool":
        return "1" if value else "0"
    return str(value)


def from_text(spec: Spec, text: str):
    """The field's text as the record's value (raises ``ValueError`` for a bad number)."""
    text = text.strip()
    if spec.kind == "bool":
        return text == "1"
    if spec.kind == "int":
        return int(text) if text else None
    return text


class PageScreen(Screen[bool]):
    """Edit ``record`` (a dataclass instance) through ``specs``; dismisses ``True`` when kept.

    With ``removable`` the page can be removed (Ctrl+D): it dismisses ``None``.
    """

    BINDINGS = bindings("page")
    AUTO_FOCUS = "FieldInput"  # the first field, not the scrolling box around them: keys typed ahead go there

    def __init__(
        self, title: str, specs: tuple[Spec, ...], record, *, removable: bool = False, extra: dict | None = None
    ):
        super().__init__()
        self.title_text = title
        self.specs = specs
        self.records = {"": record, **(extra or {})}
        self.removable = removable

    def get(self, spec: Spec):
        return getattr(self.records[spec.on], spec.field)

    def section(self, spec: Spec) -> str:
        """The section a field belongs to (a woman's page shows her 初婚日期, a member's field)."""
        return "member" if spec.on == "person" else SECTION_OF.get(self.specs, "")

    def codes(self, spec: Spec) -> str:
        """The field's code list: the core's, or the spec's own for a yes/no."""
        return spec.codes or SECTION_CODES.get(self.section(spec), {}).get(spec.field, "")

    def compose(self) -> ComposeResult:
        hint = "，F8删去本页" if self.removable else ""
        yield Static(self.title_text + f"（回车下一项；最后一项回车或F10保存本页；Esc不改返回{hint}）", classes="title")
        with VerticalScroll(id="page-fields"):
            for spec in self.specs:
                with Row():
                    label = Label(spec.label)
                    label.styles.width = 30
                    yield label
                    restrict = r"\d*" if spec.kind in ("date", "int", "digits", "bool") or self.codes(spec) else None
                    fixed = spec.kind in ("date", "bool", "digits") or bool(self.codes(spec))
                    yield FieldInput(
                        f"p_{spec.field}",
                        spec.width,
                        auto_advance=fixed,
                        max_length=spec.width if fixed else 0,
                        restrict=restrict,
                        value=to_text(spec, self.get(spec)),
                    )
                    if self.codes(spec):
                        yield Meaning(
                            meaning(self.codes(spec), to_text(spec, self.get(spec))), id=f"p_{spec.field}-meaning"
                        )
        yield Static("", id="page-message", classes="message")
        yield KeyLine()

    def on_mount(self) -> None:
        self.query_one(f"#p_{self.specs[0].field}", FieldInput).focus()

    def spec_of(self, name: str) -> Spec:
        return next(s for s in self.specs if f"p_{s.field}" == name)

    def advance(self, name: str) -> None:
        """Enter/Tab on a field: the core's rules for it (:func:`storage.validate.check_field`: a code
        looked up, a date, a text's length), then the next field; after the last, keep the page."""
        spec = self.spec_of(name)
        field = self.query_one(f"#{name}", FieldInput)
        result = check_field(self.section(spec), spec.field, field.value)
        if result.finding is not None:
            self.query_one("#page-message", Static).update(result.finding.message)
            return
        if result.value != field.value:
            field.value = result.value
        self.query_one("#page-message", Static).update("")
        i = self.specs.index(spec)
        if i + 1 < len(self.specs):
            self.set_focus(self.query_one(f"#p_{self.specs[i + 1].field}", FieldInput))
        else:
            self.action_keep()

    def on_input_changed(self, event) -> None:
        if isinstance(event.input, FieldInput):
            codes = self.codes(self.spec_of(event.input.field))
            if codes:
                self.query_one(f"#{event.input.field}-meaning", Meaning).update(meaning(codes, event.value.strip()))

    def action_keep(self) -> None:
        try:
            values = [(s, from_text(s, self.query_one(f"#p_{s.field}", FieldInput).value)) for s in self.specs]
        except ValueError:
            self.query_one("#page-message", Static).update("数字项只能填数字")
            return
        for spec, value in values:
            setattr(self.records[spec.on], spec.field, value)
        self.dismiss(True)

    def changed(self) -> bool:
        """Whether a field differs from the record (what leaving without keeping would lose)."""
        return any(
            self.query_one(f"#p_{s.field}", FieldInput).value.strip() != to_text(s, self.get(s)) for s in self.specs
        )

    def action_cancel(self) -> None:
        if not self.changed():
            self.dismiss(False)
            return
        from .dialogs import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(False)

        self.app.push_screen(ConfirmScreen("不保存本页", "本页改过的内容不保存，返回吗？"), answered)

    def has_unsaved(self) -> bool:
        return self.changed()

    def action_remove(self) -> None:
        if self.removable:
            self.dismiss(None)

    def action_lookup(self) -> None:
        focused = self.focused
        if not isinstance(focused, FieldInput):
            return
        name = self.codes(self.spec_of(focused.field))
        if not name:
            return
        codes = code_list(name)

        def picked(code: str | None) -> None:
            if code:
                focused.value = code
                self.advance(focused.field)

        label = self.spec_of(focused.field).label.split(" ")[0]  # the field's name, not the list's provenance
        self.app.push_screen(LookupScreen(f"{label}代码", list(codes.items.items())), picked)
