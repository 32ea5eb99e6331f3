"""The household form (核查登记表): section 一 (the household), 二 (members), 四 (births).

The screen follows the paper form's order (FORM.md): its fields are the table :data:`FIELDS` of the
form engine (:mod:`tui.screens.form`), each field's rules are the core's, and the fields that steer
the flow have hooks here. Enter moves to the next field and, at the end of a member or birth line,
puts the line into the table and starts the next one; a blank name moves on to the births, a blank
birth line saves the household. A valid ID number fills sex and birth date and starts the duplicate
check in a worker thread, whose answer comes back as :class:`HouseholdScreen.DuplicatesFound`.
Saving goes through :func:`storage.households.save_household`, the same function the CLI uses;
warnings and repeated ID numbers need a confirmation, which is recorded, and the answers go back
with the save's :class:`~storage.households.Precheck` (one validation, one search).
"""

from __future__ import annotations

import copy
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Static

from storage import idnumber
from storage.codes import RELATION_HEAD, code_list
from storage.dates import typed_date
from storage.db import close_db, now_iso
from storage.dedup import WARN_SCORE, Candidate, candidates, ref_candidates
from storage.divisions import short_name
from storage.errors import OperatorError
from storage.forms import BirthInput, HouseholdInput, MemberInput, MigrationInput, WomanInput, shown_facts
from storage.households import NotRegistered, household_code, next_serial, registered_member, save_household
from storage.office import villages
from storage.recheck import RecheckError, pending, record_second_keying
from storage.stats import log_entry
from storage.validate import MAX_BIRTH_ORDER, needs_woman_page

from .. import text
from ..keys import bindings
from ..widgets.fields import FieldInput
from ..workers import core_work
from .form import STAY, FormField, FormScreen, Lines
from .page import BIRTH_PAGE, HOUSEHOLD_PAGE, MIGRATION_PAGE, PERSON_PAGE, WOMAN_PAGE, PageScreen

if TYPE_CHECKING:
    from ..base import HechaBase

FIELDS = (  # in the paper form's order (FORM.md)
    FormField("village_code", "village_code", "household", "村(居)委会", 12, 0, auto=True, meaning=0),
    FormField("group_no", "group_no", "household", "村民小组", 2, 0, auto=True, meaning=0),
    FormField("address_detail", "address_detail", "household", "门牌地址", 28, 1, restrict=None),
    FormField("form_no", "form_no", "household", "登记表编号", 14, 1, restrict=None),
    FormField("m_name", "name", "member", "姓名", 16, 2, restrict=None),  # 8 characters: 阿依古丽·买买提
    FormField("m_id", "id_number", "member", "身份证号", 18, 2, auto=True, restrict=r"[0-9Xx]*"),
    FormField("m_relation", "relation_to_head", "member", "关系", 2, 2, auto=True, meaning=8),
    FormField("m_ethnicity", "ethnicity", "member", "民族", 2, 3, auto=True, meaning=6),
    FormField("m_marital", "marital_status", "member", "婚姻", 2, 3, auto=True, meaning=4),
    FormField("m_education", "education", "member", "文化", 2, 3, auto=True, meaning=8),
    FormField("m_residence", "residence_status", "member", "居住", 1, 3, auto=True, meaning=8),
    FormField("m_sex", "sex", "member", "性别", 1, 4, auto=True, meaning=2),
    FormField("m_birth", "birth_date", "member", "出生日期", 8, 4, auto=True, tail="member-state"),
    FormField("b_child", "child", "birth", "孩子序号", 2, 5, number=True),
    FormField("b_child_name", "child_name", "birth", "或姓名", 12, 5, restrict=None),
    FormField("b_mother", "mother", "birth", "母亲序号", 2, 5, number=True),
    FormField("b_father", "father", "birth", "父亲序号", 2, 5, number=True),
    FormField("b_birth", "birth_date", "birth", "出生日期", 8, 5, auto=True),
    FormField("b_sex", "child_sex", "birth", "性别", 1, 6, auto=True),
    FormField("b_order", "birth_order", "birth", "孩次", 2, 6, auto=True, number=True, most=MAX_BIRTH_ORDER),
    FormField("b_outcome", "outcome", "birth", "结局", 1, 6, auto=True),
    FormField("b_place", "birth_place_kind", "birth", "地点", 1, 6, auto=True),
    FormField("b_cert", "birth_cert_no", "birth", "出生医学证明", 10, 6, auto=True, restrict=r"[A-Za-z0-9]*"),
    FormField("b_policy", "policy_attribute", "birth", "政策", 1, 6, auto=True, tail="birth-state"),
)
MEMBER_COLUMNS = (("序", 2), ("姓名", 16), ("身份证号", 18), ("关系", 8), ("民族", 6), ("性别", 4), ("出生日期", 8))
BIRTH_COLUMNS = tuple(
    zip(("孩子", "母亲", "父亲", "出生日期", "性别", "孩次", "出生医学证明"), (10, 10, 10, 8, 4, 4, 12), strict=True)
)
WIVES = ("10", "12")  # 配偶, 妻: the head's wife; the head is then the father


class HouseholdScreen(FormScreen):
    """Key one household form; ``form`` is a saved household to edit, or ``None`` for a new one.

    ``carry`` holds the village, group and address carried forward from the last household.
    ``recheck`` (a recheck task id, 质量复查) makes it the blind second keying of that task's form:
    it starts empty but for the form number, shows no duplicate warnings (they would show the first
    keying), and saving hands the form to :func:`storage.recheck.record_second_keying` instead of
    writing the household.
    """

    BINDINGS = bindings("form")
    if TYPE_CHECKING:
        app: HechaBase  # self.app, with hecha's attributes (operator, office …)
    FIELDS = FIELDS
    SECTIONS = {"household": text.SEC_HOUSEHOLD, "member": text.SEC_MEMBERS, "birth": text.SEC_BIRTHS}
    LINES = {
        "member": Lines(
            "members",
            "members",
            MEMBER_COLUMNS,
            "member-state",
            text.NEW_MEMBER,
            text.EDIT_MEMBER,
            started="m_name",
            needs=("m_relation",),
            incomplete=text.MEMBER_INCOMPLETE,
            none=text.NEED_HEAD,
        ),
        "birth": Lines(
            "births",
            "births",
            BIRTH_COLUMNS,
            "birth-state",
            text.NEW_BIRTH,
            text.EDIT_BIRTH,
            started="b_mother",
            none="还没有出生记录",
        ),
    }
    PAGE_SECTIONS = {"woman": "member", "migration": "member"}
    NOT_KEYED = ("m_ethnicity",)

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

    def __init__(
        self,
        form: HouseholdInput | None = None,
        carry: tuple[str, str, str] | None = None,
        focus_on=None,
        resume: dict | None = None,
        recheck: int | None = None,
    ):
        self.recheck = recheck if resume is None else resume.get("recheck")
        editing = (form is not None or self.recheck is not None) if resume is None else resume.get("editing", False)
        if form is None:
            form = HouseholdInput()
            if carry:
                form.village_code, form.group_no, form.address_detail = carry
        super().__init__(form, editing=editing)
        self.focus_on = focus_on  # a finding to put the cursor on when the form opens (审核校验)
        self.resume = resume  # the screen state of a draft being continued
        self.started_at = (resume or {}).get("started_at") or now_iso()  # for the per-clerk figures
        self.link: MemberInput | None = None  # 同一人: the registered person the new line is
        self.candidates_shown: list[Candidate] = []
        self.candidates_line: int | None = None
        self.village_names = {v.code: short_name(v.name) for v in villages()}

    # ------------------------------------------------------------------ layout
    def compose_notes(self) -> ComposeResult:
        yield Static("", id="dup-warning", classes="warning")

    def on_mount(self) -> None:
        self.show_line("household", self.form)
        self.redraw()
        self.clear_line("member")
        self.clear_line("birth")
        self.set_focus(self.field("village_code"))  # now, so keys typed ahead land here, selected
        self.field("village_code").select_all()
        if self.resume:
            self.restore(self.resume)
        if self.recheck is not None:  # a resumed blind keying whose task was withdrawn or keyed meanwhile
            try:
                pending(self.recheck)
            except RecheckError as exc:
                self.say(f"{exc}：本表不能再复录，按 Esc 放弃")
        if self.focus_on is not None:
            self.call_after_refresh(self.focus_finding, self.focus_on, 1, "审核校验")

    def update_title(self) -> None:
        f = self.form
        village, group = self.value("village_code"), self.value("group_no")
        code, state = "", "新户"
        if f.uid and (village, group) == (f.village_code, f.group_no):
            code, state = household_code(village, group, f.serial or 0), "修改"
        elif village in self.village_names and len(group) == 2 and group.isdigit():
            code = household_code(village, group, next_serial(village, group)) + text.CODE_PENDING
        tag = text.DEMO_TAG if getattr(self.app, "is_demo", False) else ""
        if self.recheck is not None:
            self.query_one("#form-title", Static).update(
                text.RECHECK_FORM_TITLE.format(n=self.recheck, form_no=self.form.form_no) + tag
            )
            return
        self.query_one("#form-title", Static).update(f"{text.FORM_TITLE}［{state}］ 户编码 {code} {tag}")

    def table_row(self, section: str, index: int, record) -> tuple[str, ...]:
        if section == "member":
            sex, born = shown_facts(record)
            relation = code_list("relation").name(record.relation_to_head)[:4]
            ethnicity = code_list("ethnicity").name(record.ethnicity)[:3]
            return str(index + 1), record.name, record.id_number, relation, ethnicity, code_list("sex").name(sex), born
        members = self.form.members
        child, mother, father = (
            members[k - 1] if k and k <= len(members) else None for k in (record.child, record.mother, record.father)
        )
        facts = shown_facts(child) if child else ("", "")  # a child of the household: the date is the member's
        sex = code_list("sex").name(record.child_sex or facts[0])
        names = (child.name if child else record.child_name, *(p.name if p else "" for p in (mother, father)))
        return *names, record.birth_date or facts[1], sex, str(record.birth_order or ""), record.birth_cert_no

    def changed(self, name: str, value: str) -> None:
        if name == "village_code":
            self.query_one("#village_code-meaning", Static).update(self.village_names.get(value, ""))
        if name in ("village_code", "group_no"):
            self.update_title()

    def villages(self):
        return self.village_names.keys()

    def lookup_items(self, spec: FormField):
        if spec.id == "village_code":
            return "村(居)委会", sorted(self.village_names.items())
        return super().lookup_items(spec)

    # ------------------------------------------------------------------ field flow
    # Hooks of the fields that steer the flow. BEFORE runs ahead of the field's rules and may
    # route a blank field elsewhere (STAY: keep the cursor, nothing to say); HOOKS run after the
    # rules pass and return the next field (None: stay).
    def before_m_name(self) -> str | None:
        if self.value("m_name"):
            return None
        if not self.form.members:
            self.say(text.NEED_HEAD, error=True)
            return STAY
        return "b_child"

    def before_b_child_name(self) -> str | None:
        if self.value("b_child") or self.value("b_child_name"):
            return None
        self.action_save_household()  # a blank birth line ends the form
        return STAY

    def after_form_no(self) -> None:
        """Section 一 goes on with 户别, 户口类型, 电话 … on its page, then the members."""
        self.household_page()

    def after_m_id(self) -> str:
        number = self.value("m_id")
        if number:
            sex, born = shown_facts(MemberInput(id_number=number))
            self.field("m_sex").value, self.field("m_birth").value = sex, born
            if self.recheck is None:  # a blind second keying must not show the first one
                self.check_duplicates(number, self.value("m_name"), self.form.uid, line=self.line_no("member"))
        return "m_relation"

    def after_m_residence(self) -> str:
        return self.commit_line("member") if idnumber.parse(self.value("m_id")).ok else "m_sex"

    def after_m_birth(self) -> str:
        if self.recheck is None and not self.value("m_id") and self.value("m_name"):  # no ID: name + birth date
            self.check_duplicates(
                "",
                self.value("m_name"),
                self.form.uid,
                typed_date(self.value("m_birth")),
                self.value("m_sex"),
                line=self.line_no("member"),
            )
        return self.commit_line("member")

    def after_b_child(self) -> str:
        return "b_mother" if self.value("b_child") else "b_child_name"  # a child of the household needs no name

    def after_b_mother(self) -> str:
        if not self.value("b_father"):
            self.field("b_father").value = self.husband_of(int(self.value("b_mother")))
        return "b_father"

    def after_b_father(self) -> str:
        return "b_order" if self.value("b_child") else "b_birth"

    def after_b_policy(self) -> str:
        return self.commit_line("birth")

    BEFORE = {"m_name": before_m_name, "b_child_name": before_b_child_name}
    HOOKS = {"form_no": after_form_no, "m_id": after_m_id, "m_residence": after_m_residence, "m_birth": after_m_birth}
    HOOKS |= {"b_child": after_b_child, "b_mother": after_b_mother, "b_father": after_b_father}
    HOOKS |= {"b_policy": after_b_policy}

    def husband_of(self, pos: int) -> str:
        """The father a birth defaults to: the head for the head's wife, the head's husband for a
        head who is the mother (1-based line, or ``""``)."""
        members = self.form.members
        if members[pos - 1].relation_to_head in WIVES and members[0].relation_to_head == RELATION_HEAD:
            return "1"
        if members[pos - 1].relation_to_head == RELATION_HEAD:
            for i, m in enumerate(members, start=1):
                if m.relation_to_head in ("10", "11") and i != pos:
                    return str(i)
        return ""

    def screen_state(self) -> dict:
        return super().screen_state() | {
            "editing": self.editing,
            "recheck": self.recheck,
            "started_at": self.started_at,
        }

    # ------------------------------------------------------------------ lines
    def blank(self, section: str) -> MemberInput | BirthInput:
        return MemberInput() if section == "member" else BirthInput()

    def from_editor(self, section: str):
        if section == "member" and self.link is not None:  # 同一人: the registered person, moved here on save
            return self.tidy(section, self.read_line(section, copy.deepcopy(self.link)))
        return super().from_editor(section)

    def tidy(self, section: str, record):
        if section == "birth":
            record.child_name = "" if record.child else record.child_name
            record.birth_cert_no = record.birth_cert_no.upper()
            record.outcome = record.outcome or "1"
            return record
        record.id_number = record.id_number.upper()
        record.ethnicity = record.ethnicity or "01"
        record.residence_status = record.residence_status or "1"
        if idnumber.parse(record.id_number).ok:  # the ID number gives them
            record.sex = record.birth_date = ""
        return record

    def shown(self, section: str, record):
        if section == "birth":
            return record if record is not None else BirthInput(outcome="")
        m = copy.copy(record) if record is not None else MemberInput(ethnicity="", residence_status="")
        m.sex, m.birth_date = shown_facts(m)
        return m

    def clear_line(self, section: str, index: int | None = None) -> None:
        if section == "member":
            self.link = None  # 同一人 applies to the line it was chosen on
        super().clear_line(section, index)

    def committed(self, section: str, index: int) -> None:
        """A 流出 member goes on with section 五, a married woman of 15–49 with section 三: their pages
        open by themselves (issue 15: each such household asked for a confirmation on saving)."""
        if section == "member":
            self.call_later(self.due_pages, index, ())  # in order with the keys after it (tui.keyorder)

    def due_pages(self, index: int, offered: tuple[str, ...]) -> None:
        """The pages due for member ``index`` (五, then 三), one after the other, each offered once;
        none while a page is open (F6 typed on her line: a second, empty page lost what she typed)."""
        m = self.form.members[index] if index < len(self.form.members) else None
        if m is None or isinstance(self.app.screen, PageScreen):
            return
        due = {
            "migration": m.residence_status == "2" and not any(g.direction == "2" for g in m.migrations),
            "woman": needs_woman_page(self.form, index, self.app.reference_date),
        }
        page = next((p for p, d in due.items() if d and p not in offered), None)
        if page:
            self.after_page = lambda: self.due_pages(index, (*offered, page))
            getattr(self, f"action_{page}_page")()

    def action_link_same(self) -> None:
        """同一人: the person typed is the one the warning names: the line is filled from that record (its
        other fields kept) and the person moves here on saving, instead of being registered twice."""
        found = self.candidates_shown
        if not found:
            self.say("没有重复登记提示：同一人只在提示出现后可用")
            return
        c, line = found[0], self.candidates_line
        if line is not None and line != self.index["member"] and (self.value("m_name") or self.value("m_id")):
            self.say(f"提示是第{line + 1}人的，F11 不会丢掉正在录的这一行：先录完或清空它", error=True)
            return  # issue 15: F11 while typing line 2 threw line 2 away
        if line is not None and line < len(self.form.members) and line != self.index["member"]:
            self.clear_line("member", line)  # the warning came after the line was put into the table
        try:
            self.link = registered_member(c.household_uid, c.person_uid)
        except NotRegistered as exc:
            self.say(str(exc))
            return
        shown = copy.deepcopy(self.link)
        shown.relation_to_head, shown.residence_status = self.value("m_relation"), self.value("m_residence")
        shown.sex, shown.birth_date = shown_facts(self.link)
        self.show_line("member", shown)
        self.query_one("#dup-warning", Static).update(text.LINKED.format(name=self.link.name, code=c.household_code))
        self.focus_field("m_relation")

    # ------------------------------------------------------------------ duplicates
    @core_work("duplicates")
    def check_duplicates(
        self, number: str, name: str, household_uid: str | None, born=None, sex: str = "", line: int | None = None
    ) -> None:
        """Look the person up (ID number, or name + birth date) in a worker thread (its own
        connection) and post what it finds; typing goes on meanwhile."""
        try:
            found = candidates(
                number, name=name, birth_date=born, sex=sex, exclude_household_uid=household_uid, min_score=WARN_SCORE
            )
            refs = tuple(ref_candidates(number, name=name, birth_date=born, sex=sex, min_score=WARN_SCORE))
        finally:
            close_db()
        self.post_message(self.DuplicatesFound(number, found, line, refs))

    @on(DuplicatesFound)
    def show_duplicates(self, event: DuplicatesFound) -> None:
        self.candidates_shown, self.candidates_line = event.found, event.line
        self.query_one("#dup-warning", Static).update(text.duplicate_warning(event.found, event.refs))

    # ------------------------------------------------------------------ lines kept, pages (三、五 and details)
    def action_new_member(self) -> None:
        if self.keep_line("member"):
            self.clear_line("member")
            self.focus_field("m_name")

    action_save_household = FormScreen.save_form

    def household_page(self) -> None:
        self.read_line("household", self.form)
        self.open_page("一、户的情况（续）", HOUSEHOLD_PAGE, self.form)

    def action_member_page(self) -> None:
        section = self.BY_ID[self.focused.field].section if isinstance(self.focused, FieldInput) else "member"
        if section == "household":
            self.household_page()
        elif (index := self.page_line(section)) is not None and section == "birth":
            self.open_page(f"第{index + 1}个出生：其他情况", BIRTH_PAGE, self.form.births[index], focus="b_child")
        elif index is not None:
            m = self.form.members[index]
            self.open_page(f"第{index + 1}人 {m.name}：其他情况", PERSON_PAGE, m)

    def action_woman_page(self) -> None:
        index = self.page_line("member")
        if index is None:
            return
        m = self.form.members[index]
        if self.form.member_sex(index) != "2":
            self.say(f"第{index + 1}人不是女性：育龄妇女页只填15～49岁的女性", error=True)
            return
        page = m.fp or WomanInput()

        def done(kept: bool | None) -> None:
            m.fp = None if kept is None else page if kept else m.fp

        self.open_page(
            f"三、育龄妇女 第{index + 1}人 {m.name}", WOMAN_PAGE, page, done, removable=True, extra={"person": m}
        )

    def action_migration_page(self) -> None:
        index = self.page_line("member")
        if index is None:
            return
        m = self.form.members[index]
        episode = (
            m.migrations[-1]
            if m.migrations
            else MigrationInput(direction={"2": "2", "3": "1"}.get(m.residence_status, ""))
        )

        def done(kept: bool | None) -> None:
            if kept is None and episode in m.migrations:
                m.migrations.remove(episode)
            elif kept and episode not in m.migrations:
                m.migrations.append(episode)

        self.open_page(f"五、流动 第{index + 1}人 {m.name}", MIGRATION_PAGE, episode, done, removable=True)

    def action_to_births(self) -> None:
        self.focus_field("b_child")

    def store(self):
        if self.recheck is not None:
            return record_second_keying(self.recheck, self.form, operator=self.app.operator, draft_of=self.app.operator)
        return save_household(
            self.form, confirmed_ids=frozenset(self.confirmed), precheck=self.precheck, draft_of=self.app.operator
        )

    def stored(self, result) -> None:
        if self.recheck is not None:
            self.app.notify(
                text.RECHECK_SAVED.format(form_no=result.form_no, n=result.fields_compared, d=result.differences)
            )
            self.app.pop_screen()
            return
        with suppress(OperatorError):  # saved; a busy database costs only this form's line in the clerk's figures
            log_entry(self.app.operator, result.uid, self.started_at, len(self.form.members), new_form=not self.editing)
        self.post_message(self.HouseholdSaved(result.household_code))
        self.app.notify(
            text.SAVED.format(code=result.household_code, n=len(self.form.members), b=len(self.form.births))
        )
        carry = (self.form.village_code, self.form.group_no, self.form.address_detail)
        self.app.last_carry = carry  # the menu's next F2 starts from here too
        if self.editing:
            self.app.pop_screen()
        else:
            self.app.switch_screen(HouseholdScreen(carry=carry))
