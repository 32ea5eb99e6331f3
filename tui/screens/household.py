"""The household form (核查登记表): section 一 (the household), 二 (members), 四 (births).

The screen follows the paper form's order (FORM.md). Enter moves to the next field and, at the end
of a member or birth line, puts the line into the table and starts the next one; a blank name moves
on to the births, a blank birth line saves the household. A valid ID number fills sex and birth
date and starts the duplicate check in a worker thread, whose answer comes back as
:class:`HouseholdScreen.DuplicatesFound`. Saving goes through :func:`storage.households.save_household`,
the same function the CLI uses; repeated ID numbers need a confirmation, which is recorded.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from storage import idnumber
from storage.codes import RELATION_HEAD, code_list
from storage.dates import DateInputError, parse_typed, typed_date
from storage.db import close_db, now_iso
from storage.dedup import WARN_SCORE, Candidate, candidates, ref_candidates
from storage.divisions import short_name
from storage.drafts import clear_draft, save_draft
from storage.households import (
    BirthInput,
    DuplicatesNotConfirmed,
    HouseholdInput,
    MemberInput,
    MigrationInput,
    ValidationFailed,
    WarningsNotConfirmed,
    WomanInput,
    confirm,
    dup_key,
    fill_twins,
    household_code,
    next_serial,
    save_household,
)
from storage.office import villages
from storage.stats import log_entry
from storage.validate import check_id_number

from .. import text
from ..keys import bindings
from ..widgets.fields import FieldInput, Label, Meaning, Row, code_field
from ..widgets.keyline import KeyLine
from ..workers import core_work
from .dialogs import ConfirmScreen, LookupScreen
from .page import (
    BIRTH_PAGE,
    HOUSEHOLD_PAGE,
    MIGRATION_PAGE,
    PERSON_PAGE,
    WOMAN_PAGE,
    PageScreen,
)

HOUSEHOLD_FIELDS = ("village_code", "group_no", "address_detail", "form_no")
MEMBER_FIELDS = ("m_name", "m_id", "m_relation", "m_ethnicity", "m_marital", "m_education", "m_residence", "m_sex", "m_birth")
BIRTH_FIELDS = ("b_child", "b_child_name", "b_mother", "b_father", "b_birth", "b_sex", "b_order", "b_outcome", "b_place", "b_cert", "b_policy")
CODE_LISTS = {"m_relation": "relation", "m_ethnicity": "ethnicity", "m_marital": "marital_status", "m_education": "education",
              "m_residence": "residence_status", "m_sex": "sex", "b_sex": "sex", "b_outcome": "outcome",
              "b_place": "birth_place_kind", "b_policy": "policy_attribute"}
OPTIONAL_CODES = frozenset({"m_marital", "m_education", "b_outcome", "b_place", "b_policy"})  # Enter on empty moves on
MEMBER_ATTRS = {"m_marital": "marital_status", "m_education": "education", "m_residence": "residence_status"}
BIRTH_ATTRS = {"b_outcome": "outcome", "b_place": "birth_place_kind", "b_policy": "policy_attribute"}
WIVES = ("10", "12")  # 配偶, 妻: the head's wife; the head is then the father


class HouseholdScreen(Screen):
    """Key one household form; ``form`` is a saved household to edit, or ``None`` for a new one.

    ``carry`` holds the village, group and address carried forward from the last household.
    ``recheck`` (a recheck task id, 质量复查) makes it the blind second keying of that task's form:
    it starts empty but for the form number, shows no duplicate warnings (they would show the first
    keying), and saving hands the form to :func:`storage.recheck.record_second_keying` instead of
    writing the household.
    """

    BINDINGS = bindings("form")

    @dataclass
    class DuplicatesFound(Message):
        """The duplicate check for the member being typed found existing persons; ``line`` is the
        member's 0-based line in the form (it may have been put into the table meanwhile)."""

        id_number: str
        found: list[Candidate]
        line: int | None = None
        refs: tuple[Candidate, ...] = ()  # the same person on an imported reference list

    @dataclass
    class HouseholdSaved(Message):
        """A household was written; ``code`` is its 户编码."""

        code: str

    def __init__(self, form: HouseholdInput | None = None, carry: tuple[str, str, str] | None = None, focus_on=None,
                 resume: dict | None = None, recheck: int | None = None):
        super().__init__()
        self.recheck = recheck if resume is None else resume.get("recheck")
        self.focus_on = focus_on  # a finding to put the cursor on when the form opens (审核校验)
        self.resume = resume  # the screen state of a draft being continued
        self.started_at = (resume or {}).get("started_at") or now_iso()  # for the per-clerk figures
        self.editing = (form is not None or self.recheck is not None) if resume is None else resume.get("editing", False)
        self.form = form or HouseholdInput()
        if form is None and carry:
            self.form.village_code, self.form.group_no, self.form.address_detail = carry
        self.member_index: int | None = None  # the member in the editor (None: a new one)
        self.link: MemberInput | None = None  # 同一人: the registered person the new line is
        self.candidates_shown: list[Candidate] = []
        self.candidates_line: int | None = None
        self.birth_index: int | None = None
        self.last_member: int | None = None  # the member line committed last: the pages' default
        self.last_birth: int | None = None
        self.confirmed: set[str] = set()
        self.village_names = {v.code: short_name(v.name) for v in villages()}

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Static("", id="form-title", classes="title")
        yield Static(text.SEC_HOUSEHOLD, classes="section")
        with Row():
            yield Label("村(居)委会")
            yield FieldInput("village_code", 12, auto_advance=True, max_length=12, restrict=r"\d*")
            yield Meaning("", id="village_code-meaning")
            yield from code_field("村民小组", "group_no", 2)
        with Row():
            yield Label("门牌地址")
            yield FieldInput("address_detail", 28)
            yield Label("登记表编号")
            yield FieldInput("form_no", 14)
        yield Static(text.SEC_MEMBERS, classes="section")
        members = DataTable(id="members", cursor_type="row", zebra_stripes=False)
        for label, width in (("序", 2), ("姓名", 16), ("身份证号", 18), ("关系", 8), ("民族", 6), ("性别", 4), ("出生日期", 8)):
            members.add_column(label, width=width)
        yield members
        with Row():
            yield Label("姓名")
            yield FieldInput("m_name", 16)  # 8 Chinese characters: 阿依古丽·买买提
            yield Label("身份证号")
            yield FieldInput("m_id", 18, auto_advance=True, max_length=18, restrict=r"[0-9Xx]*")
            yield from code_field("关系", "m_relation", 2, meaning_width=8)
        with Row():
            yield from code_field("民族", "m_ethnicity", 2, meaning_width=6)
            yield from code_field("婚姻", "m_marital", 2, meaning_width=4)
            yield from code_field("文化", "m_education", 2, meaning_width=8)
            yield from code_field("居住", "m_residence", 1, meaning_width=8)
        with Row():
            yield from code_field("性别", "m_sex", 1, meaning_width=2)
            yield Label("出生日期")
            yield FieldInput("m_birth", 8, auto_advance=True, max_length=8, restrict=r"\d*")
            yield Static("", id="member-state", classes="state")
        yield Static(text.SEC_BIRTHS, classes="section")
        births = DataTable(id="births", cursor_type="row", zebra_stripes=False)
        for label, width in (("孩子", 10), ("母亲", 10), ("父亲", 10), ("出生日期", 8), ("性别", 4), ("孩次", 4), ("出生医学证明", 12)):
            births.add_column(label, width=width)
        yield births
        with Row():
            yield Label("孩子序号")
            yield FieldInput("b_child", 2, restrict=r"\d*", max_length=2)
            yield Label("或姓名")
            yield FieldInput("b_child_name", 12)
            yield Label("母亲序号")
            yield FieldInput("b_mother", 2, restrict=r"\d*", max_length=2)
            yield Label("父亲序号")
            yield FieldInput("b_father", 2, restrict=r"\d*", max_length=2)
            yield Label("出生日期")
            yield FieldInput("b_birth", 8, auto_advance=True, max_length=8, restrict=r"\d*")
        with Row():
            yield Label("性别")
            yield FieldInput("b_sex", 1, auto_advance=True, max_length=1, restrict=r"\d*")
            yield Label("孩次")
            yield FieldInput("b_order", 2, restrict=r"\d*", max_length=2)
            yield Label("结局")
            yield FieldInput("b_outcome", 1, auto_advance=True, max_length=1, restrict=r"\d*")
            yield Label("地点")
            yield FieldInput("b_place", 1, auto_advance=True, max_length=1, restrict=r"\d*")
            yield Label("出生医学证明")
            yield FieldInput("b_cert", 10, auto_advance=True, max_length=10, restrict=r"[A-Za-z0-9]*")
            yield Label("政策")
            yield FieldInput("b_policy", 1, auto_advance=True, max_length=1, restrict=r"\d*")
            yield Static("", id="birth-state", classes="state")
        yield Static("", id="message", classes="message")
        yield Static("", id="dup-warning", classes="warning")
        yield KeyLine()

    def on_mount(self) -> None:
        f = self.form
        for name, value in zip(HOUSEHOLD_FIELDS, (f.village_code, f.group_no, f.address_detail, f.form_no)):
            self.field(name).value = value
        self.refresh_tables()
        self.clear_member()
        self.clear_birth()
        self.update_title()
        self.snapshot = copy.deepcopy(self.form)
        self.set_focus(self.field("village_code"))  # now, so keys typed ahead land here, selected
        self.field("village_code").select_all()
        if self.resume:
            self.restore(self.resume)
        if self.recheck is not None:  # a resumed blind keying whose task was withdrawn or keyed meanwhile
            from storage.recheck import RecheckError, pending

            try:
                pending(self.recheck)
            except RecheckError as exc:
                self.say(f"{exc}：本表不能再复录，按 Esc 放弃")
        if self.focus_on is not None:
            self.call_after_refresh(self.focus_finding, self.focus_on, 1, "审核校验")

    # ------------------------------------------------------------------ helpers
    def field(self, name: str) -> FieldInput:
        return self.query_one(f"#{name}", FieldInput)

    def value(self, name: str) -> str:
        return self.field(name).value.strip()

    def say(self, message: str, field: str | None = None) -> None:
        """Show ``message`` until the clerk edits ``field`` (default: the field with the cursor)."""
        focused = self.focused
        self.said_for = field or (focused.field if message and isinstance(focused, FieldInput) else None)
        self.query_one("#message", Static).update(message)

    def field_edited(self, field_input: FieldInput) -> None:
        """A key changed a field: a message about that field no longer applies."""
        if getattr(self, "said_for", None) == field_input.field:
            self.say("")

    def update_title(self) -> None:
        f = self.form
        village, group = self.value("village_code"), self.value("group_no")
        if f.uid and (village, group) == (f.village_code, f.group_no):
            code = household_code(village, group, f.serial or 0)
            state = "修改"
        elif village in self.village_names and len(group) == 2 and group.isdigit():
            code = household_code(village, group, next_serial(village, group)) + text.CODE_PENDING
            state = "新户"
        else:
            code, state = "", "新户"
        tag = text.DEMO_TAG if getattr(self.app, "is_demo", False) else ""
        if self.recheck is not None:
            self.query_one("#form-title", Static).update(text.RECHECK_FORM_TITLE.format(n=self.recheck, form_no=self.form.form_no) + tag)
            return
        self.query_one("#form-title", Static).update(f"{text.FORM_TITLE}［{state}］ 户编码 {code} {tag}")

    def refresh_tables(self) -> None:
        table = self.query_one("#members", DataTable)
        table.clear()
        relations, ethnicities, sexes = code_list("relation"), code_list("ethnicity"), code_list("sex")
        for i, m in enumerate(self.form.members, start=1):
            info = idnumber.parse(m.id_number)
            sex = m.sex or info.sex or ""
            born = m.birth_date or (info.birth_date.strftime("%Y%m%d") if info.birth_date else "")
            table.add_row(str(i), m.name, m.id_number, relations.name(m.relation_to_head)[:4], ethnicities.name(m.ethnicity)[:3], sexes.name(sex), born)
        births = self.query_one("#births", DataTable)
        births.clear()
        for b in self.form.births:
            child = self.form.members[b.child - 1].name if b.child and b.child <= len(self.form.members) else b.child_name
            mother = self.form.members[b.mother - 1].name if b.mother and b.mother <= len(self.form.members) else ""
            father = self.form.members[b.father - 1].name if b.father and b.father <= len(self.form.members) else ""
            child_sex = b.child_sex or (self.form.member_sex(b.child - 1) if b.child and b.child <= len(self.form.members) else "")
            births.add_row(child, mother, father, b.birth_date or "(同孩子)", sexes.name(child_sex), str(b.birth_order or ""), b.birth_cert_no)
        for t in (table, births):  # the newest line in view; the cursor stays for picking a line
            t.call_after_refresh(t.scroll_end, animate=False)

    def focus_field(self, name: str) -> None:
        """Move the cursor now (not after the message queue), so type-ahead follows it."""
        self.set_focus(self.field(name))

    # ------------------------------------------------------------------ field flow
    @on(Input.Changed)
    def field_changed(self, event: Input.Changed) -> None:
        if not isinstance(event.input, FieldInput):
            return
        name = event.input.field
        if name in CODE_LISTS:
            for meaning in self.query(f"#{name}-meaning"):
                text_ = code_list(CODE_LISTS[name]).name(event.value.strip())
                room = max(int(meaning.styles.min_width.value) // 2, 1) if meaning.styles.min_width else 4
                meaning.update(text_ if len(text_) <= room else text_[: room - 1] + "..")  # ".." is two cells, one character
        elif name == "village_code":
            self.query_one("#village_code-meaning", Static).update(self.village_names.get(event.value.strip(), ""))
            self.update_title()
        elif name == "group_no":
            self.update_title()

    def advance(self, name: str) -> None:
        """Check the field just left and move to the next one, as the paper form goes; the draft is
        written as each field is left."""
        self.say("")
        step = getattr(self, f"leave_{name}", None)
        target = step() if step else self.next_in_order(name)
        if target:
            self.focus_field(target)
        elif isinstance(self.focused, FieldInput) and self.focused.field == name:
            here = self.focused  # the cursor stays to fix the field: a short code is retyped whole
            here.select_all() if here.max_length and here.max_length <= 3 else here.action_end()
        self.write_draft()

    # ------------------------------------------------------------------ drafts (nothing lost)
    def screen_state(self) -> dict:
        focused = self.focused
        return {
            "editing": self.editing,
            "recheck": self.recheck,
            "editor": {f.field: f.value for f in self.query(FieldInput)},
            "member_index": self.member_index,
            "birth_index": self.birth_index,
            "focus": focused.field if isinstance(focused, FieldInput) else "village_code",
            "started_at": self.started_at,
        }

    def write_draft(self) -> None:
        """Write the whole form and the line being keyed (a few milliseconds; SQLite WAL)."""
        if not self.has_unsaved():
            return
        self.sync_household_fields()
        save_draft(self.app.operator, self.form, self.screen_state())

    def restore(self, state: dict) -> None:
        """Put a draft's line and cursor back, exactly where the clerk stopped."""
        self.member_index = state.get("member_index")
        self.birth_index = state.get("birth_index")
        for name, value in state.get("editor", {}).items():
            for f in self.query(f"#{name}"):
                f.value = value
        self.snapshot = HouseholdInput()  # a continued draft counts as unsaved
        self.refresh_tables()
        self.update_title()
        target = state.get("focus") or "village_code"
        self.focus_field(target)
        self.say("已恢复上次未保存的登记表：从光标处继续", field=target)

    @staticmethod
    def next_in_order(name: str) -> str | None:
        for group in (HOUSEHOLD_FIELDS, MEMBER_FIELDS, BIRTH_FIELDS):
            if name in group:
                i = group.index(name)
                return group[i + 1] if i + 1 < len(group) else None
        return None

    def leave_village_code(self) -> str | None:
        if not self.value("village_code"):
            self.say("村(居)委会必填：输入12位代码或按F4选择")
            return None
        if self.value("village_code") not in self.village_names:
            self.say("村(居)委会代码不是本乡镇的村：按F4选择")
            return None
        return "group_no"

    def leave_group_no(self) -> str | None:
        group = self.value("group_no")
        if len(group) == 1:
            self.field("group_no").value = group.zfill(2)
        elif not (len(group) == 2 and group.isdigit() and group != "00"):
            self.say("村民小组应为2位数字（01～99）")
            return None
        return "address_detail"

    def leave_form_no(self) -> None:
        """Section 一 goes on with 户别, 户口类型, 电话 … on its page, then the members."""
        self.household_page()

    def household_page(self) -> None:
        self.sync_household_fields()
        self.app.push_screen(PageScreen("一、户的情况（续）", HOUSEHOLD_PAGE, self.form), lambda kept: self.after_page())

    def leave_m_name(self) -> str | None:
        if not self.value("m_name"):
            if not self.form.members:
                self.say(text.NEED_HEAD)
                return None
            return "b_child"
        return "m_id"

    def leave_m_id(self) -> str | None:
        number = self.value("m_id").upper()
        if not number:
            return "m_relation"
        problem = check_id_number(number)  # the same field rule as the save, the CLI and imports
        if problem:
            self.say(problem.message)
            return None
        info = idnumber.parse(number)
        self.field("m_id").value = number
        self.field("m_sex").value = info.sex or ""
        self.field("m_birth").value = info.birth_date.strftime("%Y%m%d") if info.birth_date else ""
        others = {m.id_number.upper() for i, m in enumerate(self.form.members) if i != self.member_index}
        if number in others:
            self.say("本户已有人用这个身份证号：请核对")
            return None
        if self.recheck is None:  # a blind second keying must not show the first one
            line = self.member_index if self.member_index is not None else len(self.form.members)
            self.check_duplicates(number, self.value("m_name"), self.form.uid, line=line)
        return "m_relation"

    def leave_m_relation(self) -> str | None:
        return self._leave_code("m_relation", "m_ethnicity")

    def leave_m_ethnicity(self) -> str | None:
        return self._leave_code("m_ethnicity", "m_marital")

    def leave_m_marital(self) -> str | None:
        return self._leave_code("m_marital", "m_education")

    def leave_m_education(self) -> str | None:
        return self._leave_code("m_education", "m_residence")

    def leave_m_residence(self) -> str | None:
        if self._leave_code("m_residence", "m_sex") is None:
            return None
        if idnumber.parse(self.value("m_id")).ok:
            return self.commit_member()
        return "m_sex"

    def after_member_committed(self, index: int) -> None:
        """A 流出 member goes on with section 五: the migration page opens by itself."""
        m = self.form.members[index]
        if m.residence_status == "2" and not any(g.direction == "2" for g in m.migrations):
            self.call_after_refresh(self.action_migration_page)

    def leave_m_sex(self) -> str | None:
        return self._leave_code("m_sex", "m_birth")

    def leave_m_birth(self) -> str | None:
        if not self._date_ok("m_birth", required=not idnumber.parse(self.value("m_id")).ok):
            return None
        if self.recheck is None and not self.value("m_id") and self.value("m_name"):  # no ID: name + birth date
            born = typed_date(self.value("m_birth"))
            line = self.member_index if self.member_index is not None else len(self.form.members)
            self.check_duplicates("", self.value("m_name"), self.form.uid, born, self.value("m_sex"), line=line)
        return self.commit_member()

    def _leave_code(self, name: str, following: str) -> str | None:
        value = self.value(name)
        if not value and name in OPTIONAL_CODES:
            return following
        codes = code_list(CODE_LISTS[name])
        found = codes.lookup(value)
        if found is None:
            self.say(f"代码「{value}」不在代码表中：按F4查看")
            return None
        self.field(name).value = found
        return following

    def _date_ok(self, name: str, *, required: bool) -> bool:
        value = self.value(name)
        if not value:
            if required:
                self.say("请填出生日期：8位年月日，或6位年月")
            return not required
        try:
            parse_typed(value)
        except DateInputError as exc:
            self.say(str(exc))
            return False
        return True

    def leave_b_child(self) -> str | None:
        child = self.value("b_child")
        if not child:
            return "b_child_name"
        if not child.isdigit() or not 1 <= int(child) <= len(self.form.members):
            self.say(f"孩子序号应为1～{len(self.form.members)}；孩子不在本户的空着，填姓名")
            return None
        return "b_mother"

    def leave_b_child_name(self) -> str | None:
        if not self.value("b_child") and not self.value("b_child_name"):
            self.action_save_household()  # a blank birth line ends the form
            return None
        return "b_mother"

    def leave_b_mother(self) -> str | None:
        mother = self.value("b_mother")
        if not mother.isdigit() or not 1 <= int(mother) <= len(self.form.members):
            self.say("母亲应填本户人员的序号")
            return None
        m = self.form.members[int(mother) - 1]
        if not self.value("b_father"):
            self.field("b_father").value = self._husband_of(int(mother), m)
        return "b_father"

    def _husband_of(self, pos: int, mother: MemberInput) -> str:
        if mother.relation_to_head in WIVES and self.form.members[0].relation_to_head == RELATION_HEAD:
            return "1"
        if mother.relation_to_head == RELATION_HEAD:
            for i, m in enumerate(self.form.members, start=1):
                if m.relation_to_head in ("10", "11") and i != pos:
                    return str(i)
        return ""

    def leave_b_father(self) -> str | None:
        father = self.value("b_father")
        if father and (not father.isdigit() or not 1 <= int(father) <= len(self.form.members)):
            self.say("父亲应填本户人员的序号，不在本户的空着")
            return None
        return "b_order" if self.value("b_child") else "b_birth"

    def leave_b_birth(self) -> str | None:
        return "b_sex" if self._date_ok("b_birth", required=not self.value("b_child")) else None

    def leave_b_sex(self) -> str | None:
        if not self.value("b_sex") and self.value("b_child"):
            return "b_order"
        return self._leave_code("b_sex", "b_order")

    def leave_b_order(self) -> str | None:
        order = self.value("b_order")
        if order and (not order.isdigit() or not 1 <= int(order) <= 15):
            self.say("孩次应为1～15")
            return None
        return "b_outcome"

    def leave_b_outcome(self) -> str | None:
        return self._leave_code("b_outcome", "b_place")

    def leave_b_place(self) -> str | None:
        return self._leave_code("b_place", "b_cert")

    def leave_b_cert(self) -> str | None:
        cert = self.value("b_cert").upper()
        self.field("b_cert").value = cert
        if cert and not (len(cert) == 10 and cert[0].isalpha() and cert[1:].isdigit()):
            self.say("出生医学证明编号应为1个字母加9位数字（如M130456789）")
            return None
        return "b_policy"

    def leave_b_policy(self) -> str | None:
        if self._leave_code("b_policy", "b_child") is None:
            return None
        return self.commit_birth()

    # ------------------------------------------------------------------ lines
    def member_from_editor(self) -> MemberInput:
        """The editor's line over the member it edits (its pages and other fields kept)."""
        number = self.value("m_id").upper()
        derived = idnumber.parse(number).ok
        if self.link is not None:  # 同一人: the registered person, moved here when the form is saved
            base = copy.deepcopy(self.link)
        elif self.member_index is not None:
            base = copy.deepcopy(self.form.members[self.member_index])
        else:
            base = MemberInput()
        base.name = self.value("m_name")
        base.id_number = number
        base.relation_to_head = self.value("m_relation")
        base.ethnicity = self.value("m_ethnicity") or "01"
        for name, attr in MEMBER_ATTRS.items():
            setattr(base, attr, self.value(name))
        base.residence_status = base.residence_status or "1"
        base.sex = "" if derived else self.value("m_sex")
        base.birth_date = "" if derived else self.value("m_birth")
        return base

    @staticmethod
    def _put(lines: list, index: int | None, line) -> int:
        """Put an editor's line into the form: a new one at the end, an edited one in its place."""
        if index is None:
            lines.append(line)
            return len(lines) - 1
        lines[index] = line
        return index

    def action_link_same(self) -> None:
        """同一人: the person being typed is the one the warning names; fill the line from that record
        (its ID number, sex, birth date, ethnicity, marriage, education, its other fields kept) and
        move the person into this household when it is saved, instead of registering a second one."""
        found = self.candidates_shown
        if not found:
            self.say("没有重复登记提示：同一人只在提示出现后可用")
            return
        c = found[0]
        line = self.candidates_line
        if line is not None and line < len(self.form.members) and line != self.member_index:
            self.clear_member(line)  # the warning came after the line was put into the table
        from storage.households import load_household

        try:
            registered = load_household(c.household_uid)
        except Exception:  # the household was removed meanwhile
            self.say("已登记的这一户已不存在：请照纸表录入")
            return
        person = next((m for m in registered.members if m.uid == c.person_uid), None)
        if person is None:
            self.say("已登记的这个人已不在原户：请照纸表录入")
            return
        self.link = copy.deepcopy(person)
        self.link.fp, self.link.migrations = None, []  # her pages stay with her record
        for name, value in (("m_name", person.name), ("m_id", person.id_number), ("m_ethnicity", person.ethnicity),
                            ("m_marital", person.marital_status), ("m_education", person.education),
                            ("m_sex", person.sex or registered.member_sex(registered.members.index(person))),
                            ("m_birth", person.birth_date)):
            self.field(name).value = value
        self.query_one("#dup-warning", Static).update(text.LINKED.format(name=person.name, code=c.household_code))
        self.focus_field("m_relation")

    def commit_member(self) -> str:
        self.last_member = self._put(self.form.members, self.member_index, self.member_from_editor())
        self.refresh_tables()
        self.clear_member()
        self.after_member_committed(self.last_member)
        return "m_name"

    def clear_member(self, index: int | None = None) -> None:
        self.member_index = index
        self.link = None  # 同一人 applies to the line it was chosen on
        m = self.form.members[index] if index is not None else MemberInput(ethnicity="", residence_status="")
        info = idnumber.parse(m.id_number)
        values = {
            "m_name": m.name,
            "m_id": m.id_number,
            "m_relation": m.relation_to_head,
            "m_ethnicity": m.ethnicity,
            "m_marital": m.marital_status,
            "m_education": m.education,
            "m_residence": m.residence_status if index is not None else "",
            "m_sex": m.sex or (info.sex or "" if m.id_number else ""),
            "m_birth": m.birth_date or (info.birth_date.strftime("%Y%m%d") if info.birth_date else ""),
        }
        for name, value in values.items():
            self.field(name).value = value
        n = (index if index is not None else len(self.form.members)) + 1
        state = text.EDIT_MEMBER if index is not None else text.NEW_MEMBER
        self.query_one("#member-state", Static).update(state.format(n=n))

    def birth_from_editor(self) -> BirthInput:
        def num(name: str) -> int | None:
            v = self.value(name)
            return int(v) if v.isdigit() else None

        child = num("b_child")
        base = copy.deepcopy(self.form.births[self.birth_index]) if self.birth_index is not None else BirthInput()
        base.mother, base.child, base.father = num("b_mother"), child, num("b_father")
        base.child_name = "" if child else self.value("b_child_name")
        base.child_sex = self.value("b_sex")
        base.birth_date = self.value("b_birth")
        base.birth_order = num("b_order")
        base.birth_cert_no = self.value("b_cert").upper()
        for name, attr in BIRTH_ATTRS.items():
            setattr(base, attr, self.value(name))
        base.outcome = base.outcome or "1"
        return base

    def commit_birth(self) -> str:
        self.last_birth = self._put(self.form.births, self.birth_index, self.birth_from_editor())
        self.refresh_tables()
        self.clear_birth()
        return "b_child"

    def clear_birth(self, index: int | None = None) -> None:
        self.birth_index = index
        b = self.form.births[index] if index is not None else BirthInput()
        values = {
            "b_child": str(b.child or ""),
            "b_child_name": b.child_name,
            "b_mother": str(b.mother or ""),
            "b_father": str(b.father or ""),
            "b_birth": b.birth_date,
            "b_sex": b.child_sex,
            "b_order": str(b.birth_order or ""),
            "b_cert": b.birth_cert_no,
            "b_outcome": b.outcome if index is not None else "",
            "b_place": b.birth_place_kind,
            "b_policy": b.policy_attribute,
        }
        for name, value in values.items():
            self.field(name).value = value
        n = (index if index is not None else len(self.form.births)) + 1
        state = text.EDIT_BIRTH if index is not None else text.NEW_BIRTH
        self.query_one("#birth-state", Static).update(state.format(n=n))

    @on(DataTable.RowSelected, "#members")
    def member_selected(self, event: DataTable.RowSelected) -> None:
        self.clear_member(event.cursor_row)
        self.focus_field("m_name")

    @on(DataTable.RowSelected, "#births")
    def birth_selected(self, event: DataTable.RowSelected) -> None:
        self.clear_birth(event.cursor_row)
        self.focus_field("b_child")

    # ------------------------------------------------------------------ duplicates
    @core_work("duplicates")
    def check_duplicates(self, number: str, name: str, household_uid: str | None, born=None, sex: str = "", line: int | None = None) -> None:
        """Look the person up (ID number, or name + birth date) in a worker thread (its own
        connection) and post what it finds; typing goes on meanwhile."""
        try:
            found = [c for c in candidates(number, name=name, birth_date=born, sex=sex, exclude_household_uid=household_uid)
                     if c.score >= WARN_SCORE]
            refs = tuple(c for c in ref_candidates(number, name=name, birth_date=born, sex=sex) if c.score >= WARN_SCORE)
        finally:
            close_db()
        self.post_message(self.DuplicatesFound(number, found, line, refs))

    @on(DuplicatesFound)
    def show_duplicates(self, event: DuplicatesFound) -> None:
        self.candidates_shown, self.candidates_line = event.found, event.line
        warning = self.query_one("#dup-warning", Static)
        if not event.found:
            r = event.refs[0] if event.refs else None
            warning.update(text.ON_LIST.format(name=r.name, where=r.village_name, rule=r.rule_text) if r else "")
        else:
            c = event.found[0]
            more = f" 等{len(event.found)}人" if len(event.found) > 1 else ""
            if c.rule == "same_id":
                line = text.DUP_WARNING.format(id=c.id_number, name=c.name, village=c.village_name, code=c.household_code)
            else:
                line = text.DUP_SIMILAR.format(rule=c.rule_text, name=c.name, id=c.id_number or c.birth_date.replace("-", ""),
                                               village=c.village_name, code=c.household_code)
            warning.update(line + more)

    # ------------------------------------------------------------------ actions
    def action_new_member(self) -> None:
        if self.value("m_name"):
            self.advance_to_commit_member()
        else:
            self.clear_member()
            self.focus_field("m_name")

    def advance_to_commit_member(self) -> None:
        member = self.member_from_editor()
        if not member.relation_to_head:
            self.say("与户主关系未填")
            self.focus_field("m_relation")
            return
        self.focus_field(self.commit_member())

    # ------------------------------------------------------------------ pages (三、五 and details)
    def page_member(self) -> int | None:
        """The member a page is for: the one in the editor (its line is kept first), else the last one."""
        if self.value("m_name"):
            if not self.value("m_relation"):
                self.say("先填与户主关系，再打开此页")
                return None
            self.commit_member()
        index = self.last_member if self.last_member is not None else len(self.form.members) - 1
        if not 0 <= index < len(self.form.members):
            self.say(text.NEED_HEAD)
            return None
        return index

    def action_member_page(self) -> None:
        if isinstance(self.focused, FieldInput) and self.focused.field.startswith("b_"):
            self.birth_page()
            return
        if isinstance(self.focused, FieldInput) and self.focused.field in HOUSEHOLD_FIELDS:
            self.household_page()
            return
        index = self.page_member()
        if index is None:
            return
        m = self.form.members[index]
        self.app.push_screen(PageScreen(f"第{index + 1}人 {m.name}：其他情况", PERSON_PAGE, m), lambda kept: self.after_page())

    def birth_page(self) -> None:
        if self.value("b_mother"):
            self.commit_birth()
        index = self.last_birth if self.last_birth is not None else len(self.form.births) - 1
        if not 0 <= index < len(self.form.births):
            self.say("还没有出生记录")
            return
        self.app.push_screen(PageScreen(f"第{index + 1}个出生：其他情况", BIRTH_PAGE, self.form.births[index]), lambda kept: self.after_page("b_child"))

    def action_woman_page(self) -> None:
        index = self.page_member()
        if index is None:
            return
        m = self.form.members[index]
        if self.form.member_sex(index) != "2":
            self.say(f"第{index + 1}人不是女性：育龄妇女页只填15～49岁的女性")
            return
        page = m.fp or WomanInput()

        def done(kept: bool | None) -> None:
            if kept is None:
                m.fp = None
            elif kept:
                m.fp = page
            self.after_page()

        self.app.push_screen(PageScreen(f"三、育龄妇女 第{index + 1}人 {m.name}", WOMAN_PAGE, page, removable=True, extra={"person": m}), done)

    def action_migration_page(self) -> None:
        index = self.page_member()
        if index is None:
            return
        m = self.form.members[index]
        direction = {"2": "2", "3": "1"}.get(m.residence_status, "")
        episode = m.migrations[-1] if m.migrations else MigrationInput(direction=direction)

        def done(kept: bool | None) -> None:
            if kept is None and episode in m.migrations:
                m.migrations.remove(episode)
            elif kept and episode not in m.migrations:
                m.migrations.append(episode)
            self.after_page()

        self.app.push_screen(PageScreen(f"五、流动 第{index + 1}人 {m.name}", MIGRATION_PAGE, episode, removable=True), done)

    def after_page(self, focus: str = "m_name") -> None:
        self.refresh_tables()
        self.focus_field(focus)
        self.write_draft()

    def action_to_births(self) -> None:
        self.focus_field("b_child")

    def action_lookup(self) -> None:
        focused = self.focused
        if not isinstance(focused, FieldInput):
            return
        name = focused.field
        if name == "village_code":
            items = sorted(self.village_names.items())
            title = "村(居)委会"
        elif name in CODE_LISTS:
            codes = code_list(CODE_LISTS[name])
            items = list(codes.items.items())
            title = codes.source
        else:
            self.say("此项没有代码表")
            return

        def picked(code: str | None) -> None:
            if code:
                focused.value = code
                self.advance(name)
            else:
                focused.focus()

        self.app.push_screen(LookupScreen(title, items), picked)

    def sync_household_fields(self) -> None:
        f = self.form
        f.village_code, f.group_no, f.address_detail, f.form_no = (self.value(n) for n in HOUSEHOLD_FIELDS)

    def action_save_household(self) -> None:
        if self.value("m_name"):
            if not self.value("m_relation"):
                self.say(text.MEMBER_INCOMPLETE)
                return
            self.commit_member()
        if self.value("b_mother"):
            self.commit_birth()
        self.sync_household_fields()
        self.save()

    def save(self) -> None:
        if self.recheck is not None:
            fill_twins(self.form)  # as save_household does: the second keying is compared with the first
            self.save_recheck()
            return
        try:
            hh = save_household(self.form, confirmed_ids=frozenset(self.confirmed))
        except ValidationFailed as exc:
            self.show_findings(exc)
            return
        except WarningsNotConfirmed as exc:
            self.ask_warnings(exc)
            return
        except DuplicatesNotConfirmed as exc:
            self.ask_duplicates(exc)
            return
        clear_draft(self.app.operator)
        log_entry(self.app.operator, hh.uid, self.started_at, len(self.form.members), new_form=not self.editing)
        self.post_message(self.HouseholdSaved(hh.household_code))
        self.app.notify(text.SAVED.format(code=hh.household_code, n=len(self.form.members), b=len(self.form.births)))
        carry = (self.form.village_code, self.form.group_no, self.form.address_detail)
        self.app.last_carry = carry  # the menu's next F2 starts from here too
        if self.editing:
            self.app.pop_screen()
        else:
            self.app.switch_screen(HouseholdScreen(carry=carry))

    def save_recheck(self) -> None:
        """Hand the blind second keying over for comparison; the household record is not touched."""
        from storage.recheck import RecheckError, record_second_keying

        try:
            row = record_second_keying(self.recheck, self.form, operator=self.app.operator)
        except ValidationFailed as exc:
            self.show_findings(exc)
            return
        except RecheckError as exc:
            self.say(str(exc))
            return
        clear_draft(self.app.operator)
        self.app.notify(text.RECHECK_SAVED.format(form_no=row.form_no, n=row.fields_compared, d=row.differences))
        self.app.pop_screen()

    def show_findings(self, exc: ValidationFailed) -> None:
        first = next((f for f in exc.findings if f.level == "error"), exc.findings[0])
        self.focus_finding(first, len(exc.findings))

    def focus_finding(self, first, count: int = 1, prefix: str = "") -> None:
        """Put the cursor on the field a finding is about (the validation screen's Enter too)."""
        prefix = prefix or ("不能保存" if first.level == "error" else "请核实")
        message = f"{prefix}：{first.where()}：{first.message}" + (f"（共{count}处）" if count > 1 else "")
        if first.section in ("woman", "migration"):
            self.last_member = first.index
        target = {"village_code": "village_code", "group_no": "group_no"}.get(first.field)
        if first.section in ("member", "woman", "migration") and 0 <= first.index < len(self.form.members):
            self.clear_member(first.index)
            target = {"id_number": "m_id", "relation_to_head": "m_relation", "ethnicity": "m_ethnicity", "sex": "m_sex",
                      "birth_date": "m_birth", "marital_status": "m_marital", "education": "m_education",
                      "residence_status": "m_residence"}.get(first.field, "m_name")
        elif first.section == "birth" and 0 <= first.index < len(self.form.births):
            self.clear_birth(first.index)
            target = {"mother": "b_mother", "father": "b_father", "birth_date": "b_birth", "child_sex": "b_sex", "birth_order": "b_order",
                      "birth_cert_no": "b_cert", "outcome": "b_outcome", "birth_place_kind": "b_place",
                      "policy_attribute": "b_policy"}.get(first.field, "b_child")
        if target:
            self.focus_field(target)
            self.call_after_refresh(self.field(target).select_all)
        self.say(message, field=target)

    def ask_warnings(self, exc: WarningsNotConfirmed) -> None:
        """Show the warnings; Y records the confirmation on each record and saves, N goes to the first."""
        lines = [f"{f.where()}：{f.message}" for f in exc.findings[:8]]
        more = f"\n...共{len(exc.findings)}条" if len(exc.findings) > 8 else ""

        def answered(yes: bool) -> None:
            if yes:
                confirm(self.form, exc.findings)
                self.save()
            else:
                self.show_findings(ValidationFailed(exc.findings))

        self.app.push_screen(ConfirmScreen(text.WARN_CONFIRM_TITLE, "\n".join(lines) + more + "\n\n" + text.WARN_CONFIRM_BODY), answered)

    def ask_duplicates(self, exc: DuplicatesNotConfirmed) -> None:
        lines = []
        for i, found in exc.hits.items():
            m = self.form.members[i]
            for c in found[:3]:
                lines.append(f"第{i + 1}人 {m.name} {m.id_number}\n  已登记：{c.name} {c.id_number or c.birth_date} {c.village_name} "
                             f"户{c.household_code}（{c.rule_text}）")
        ids = {dup_key(self.form.members[i]) for i in exc.hits}

        def answered(yes: bool) -> None:
            if yes:
                self.confirmed |= ids
                self.save()
            else:
                first = min(exc.hits)
                self.clear_member(first)
                self.focus_field("m_id")
                self.call_after_refresh(self.field("m_id").select_all)
                self.say("未保存：请核对重号人员的身份证号", field="m_id")

        self.app.push_screen(ConfirmScreen(text.DUP_CONFIRM_TITLE, "\n".join(lines) + "\n\n" + text.DUP_CONFIRM_BODY), answered)

    def has_unsaved(self) -> bool:
        """Whether leaving now would lose something the clerk typed since the form opened."""
        if any(self.value(f) for f in MEMBER_FIELDS + BIRTH_FIELDS if f not in ("m_ethnicity",)):
            return True
        now = copy.deepcopy(self.form)
        now.village_code, now.group_no, now.address_detail, now.form_no = (self.value(n) for n in HOUSEHOLD_FIELDS)
        return now != self.snapshot

    def action_back(self) -> None:
        if not self.has_unsaved():
            if self.editing:
                self.app.pop_screen()
            else:
                self.app.pop_to_home()
            return

        def answered(yes: bool) -> None:
            if yes:
                clear_draft(self.app.operator)
                if self.editing:
                    self.app.pop_screen()
                else:
                    self.app.pop_to_home()

        self.app.push_screen(ConfirmScreen("返回", text.DISCARD), answered)
