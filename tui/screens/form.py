"""The form engine: a paper form keyed field by field from a table of fields (DESIGN.md §10).

A :class:`FormScreen` is drawn from its :data:`~FormScreen.FIELDS` (one :class:`FormField` row per
field: widget id, the input record's attribute, section, label, width, screen row, whether it moves
on when full). Leaving a field applies the core's rules for it (:func:`storage.validate.check_field`,
the same rules the save, ``hecha check`` and the CLI apply); a field that steers the flow has a hook
(:data:`~FormScreen.BEFORE`, :data:`~FormScreen.HOOKS`), every other one goes on to the next field in
the paper form's order. Lines (a member, a birth) go between the editor and their record through the
same table. The household form (:mod:`tui.screens.household`) is its first user.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from storage.codes import code_list
from storage.db import Locked, waiting
from storage.drafts import clear_draft, save_draft
from storage.errors import OperatorError
from storage.households import (
    DuplicatesNotConfirmed,
    HouseholdInput,
    Precheck,
    ValidationFailed,
    WarningsNotConfirmed,
    confirm,
    dup_key,
)
from storage.validate import ERROR, SECTION_CODES, FieldCheck, Finding, check_field

from .. import text
from ..widgets.fields import FieldInput, Label, MarkedTable, Meaning, Row
from ..widgets.keyline import KeyLine
from .dialogs import ConfirmScreen, LookupScreen
from .page import PageScreen

if TYPE_CHECKING:
    from ..base import HechaBase

DIGITS = r"[0-9]*"  # ASCII: \d would take full-width digits, which fields now fold to ASCII
LOCK_RETRY_SECONDS = 1.0  # how often a save waiting for another writer is tried again
STAY = "stay"  # a hook's answer: keep the cursor where it is (the hook has said why, or moved on itself)


@dataclass(frozen=True)
class FormField:
    """One field of a form: widget ``id``, the input record's ``attr`` in ``section`` (as
    :func:`storage.validate.check_field` names them), its ``label``, ``width`` in characters and screen
    ``row``. ``auto``: moves on when full; ``restrict``: the characters it takes (a restricted field
    holds at most ``width``; ``None``: free text); ``number``: the record holds an integer;
    ``meaning``: the width of the code's meaning shown beside it (``None``: not shown, 0: the
    default); ``tail``: the id of a state line drawn after it (新增第n人); ``most``: a number of at most
    this moves on as soon as no further digit could follow (孩次 1–15: ``2`` at once, ``1`` waits)."""

    id: str
    attr: str
    section: str
    label: str
    width: int
    row: int
    auto: bool = False
    restrict: str | None = DIGITS
    number: bool = False
    meaning: int | None = None
    tail: str = ""
    most: int = 0

    @property
    def codes(self) -> str:
        """The code list the field takes (``""`` for none), as the core's rules say."""
        return SECTION_CODES.get(self.section, {}).get(self.attr, "")

    def widgets(self) -> ComposeResult:
        """Its label, its input, and the code's meaning and state line where it has them."""
        yield Label(self.label)
        yield FieldInput(
            self.id,
            self.width,
            auto_advance=self.auto,
            most=self.most,
            max_length=self.width if self.restrict else 0,
            restrict=self.restrict,
        )
        if self.meaning is not None:
            meaning = Meaning("", id=f"{self.id}-meaning")
            if self.meaning:
                meaning.styles.min_width = self.meaning
            yield meaning
        if self.tail:
            yield Static("", id=self.tail, classes="state")


@dataclass(frozen=True)
class Lines:
    """A section keyed line by line into a table (二 members, 四 births): the form's list ``attr``,
    the ``table`` id, the id of its ``state`` line and that line's texts for a ``new`` and an
    ``edit``-ed line (``{n}``: the 1-based line), the table's ``columns`` (heading, width). A line is
    begun once its ``started`` field holds something, and is put into the form (before saving, before
    a page opens) only with its ``needs`` filled, else ``incomplete`` is said; ``none`` is said when
    a page finds no line."""

    attr: str
    table: str
    columns: tuple[tuple[str, int], ...]
    state: str
    new: str
    edit: str
    started: str
    needs: tuple[str, ...] = ()
    incomplete: str = ""
    none: str = ""


class FormScreen(Screen):
    """A :class:`~storage.forms.HouseholdInput` keyed from :data:`FIELDS`; the first section is the
    form's own fields, the sections in :data:`LINES` are lines. Subclasses give the fields, the
    hooks, :meth:`blank` / :meth:`tidy` / :meth:`shown` for their lines, :meth:`store` and
    :meth:`stored`; the engine keys, checks, keeps drafts, asks for confirmations and saves."""

    FIELDS: ClassVar[tuple[FormField, ...]] = ()
    BEFORE: ClassVar[dict[str, Callable[[Any], str | None]]] = {}
    """Hooks run before a field's rules; they may route a blank field elsewhere (or :data:`STAY`)."""
    HOOKS: ClassVar[dict[str, Callable[[Any], str | None]]] = {}
    """Hooks run once a field's rules pass; they return the next field (``None``/:data:`STAY`: stay)."""
    PAGE_SECTIONS: ClassVar[dict[str, str]] = {}
    """Finding sections kept on pages of a line (a woman's page → her member line)."""
    after_page: Callable[[], None] | None = None
    """What the next page opened runs once it is closed (the page due after it); taken when opened."""
    LINES: ClassVar[dict[str, Lines]] = {}
    SECTIONS: ClassVar[dict[str, str]] = {}
    """Each section's heading, in the paper form's order."""
    NOT_KEYED: ClassVar[tuple[str, ...]] = ()
    """Line fields whose value alone is no unsaved work (a default shown)."""
    form: HouseholdInput  # the record keyed (set by the subclass)
    if TYPE_CHECKING:
        app: HechaBase  # self.app, with hecha's attributes (operator, office …)
    BY_ID: ClassVar[dict[str, FormField]]
    IN_SECTION: ClassVar[dict[str, tuple[FormField, ...]]]
    WIDGET_OF: ClassVar[dict[tuple[str, str], str]]

    def __init__(self, form: HouseholdInput, *, editing: bool) -> None:
        super().__init__()
        self.form = form
        self.editing = editing  # a saved household (or a recheck): leaving goes back, not home
        self.index: dict[str, int | None] = dict.fromkeys(self.LINES)  # the line in the editor (None: a new one)
        self.last: dict[str, int | None] = dict.fromkeys(self.LINES)  # the line committed last: the pages' default
        self.confirmed: set[str] = set()  # ID numbers the clerk said are other persons
        self.precheck: Precheck | None = None  # the last save's findings and hits, handed back with the answers
        self.snapshot = copy.deepcopy(form)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.BY_ID = {f.id: f for f in cls.FIELDS}
        cls.IN_SECTION = {}
        for f in cls.FIELDS:
            cls.IN_SECTION[f.section] = (*cls.IN_SECTION.get(f.section, ()), f)
        cls.WIDGET_OF = {(f.section, f.attr): f.id for f in cls.FIELDS}

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Static("", id="form-title", classes="title")
        for section, heading in self.SECTIONS.items():
            yield Static(heading, classes="section")
            if section in self.LINES:
                table = self.table(self.LINES[section].table, self.LINES[section].columns)
                table.chosen = partial(self.choose_line, section)  # Enter: at once, before the keys after it
                yield table
            yield from self.rows(section)
        yield Static("", id="message", classes="message")
        yield from self.compose_notes()
        yield KeyLine()

    def compose_notes(self) -> ComposeResult:
        """Hook: what the form shows under its message line."""
        yield from ()

    def redraw(self) -> None:
        """Draw the tables of lines and the title from the form."""
        for section, spec in self.LINES.items():
            table = self.query_one(f"#{spec.table}", DataTable)
            table.clear()
            for i, record in enumerate(self.lines(section)):
                table.add_row(*self.table_row(section, i, record))
            table.call_after_refresh(table.scroll_end, animate=False)  # the newest line in view
        self.update_title()

    def table_row(self, section: str, index: int, record) -> tuple[str, ...]:
        """Hook: a line's cells in its table."""
        raise NotImplementedError

    def update_title(self) -> None:
        """Hook: the title line."""

    @classmethod
    def rows(cls, section: str) -> ComposeResult:
        """The section's fields, row by row."""
        fields = cls.IN_SECTION[section]
        for row in sorted({f.row for f in fields}):
            with Row():
                for f in fields:
                    if f.row == row:
                        yield from f.widgets()

    @staticmethod
    def table(name: str, columns) -> MarkedTable:
        """A table of a section's lines: ``columns`` of (heading, width)."""
        table = MarkedTable(id=name, cursor_type="row", zebra_stripes=False)
        for label, width in columns:
            table.add_column(label, width=width)
        return table

    # ------------------------------------------------------------------ fields
    def field(self, name: str) -> FieldInput:
        return self.query_one(f"#{name}", FieldInput)

    def value(self, name: str) -> str:
        return self.field(name).value.strip()

    def say(self, message: str, field: str | None = None, *, error: bool = False) -> None:
        """Show ``message`` until the clerk edits ``field`` (default: the field with the cursor); an
        ``error`` begins with 「错误：」, so that it is told apart without colour (issue 15)."""
        focused = self.focused
        self.said_for = field or (focused.field if message and isinstance(focused, FieldInput) else None)
        self.query_one("#message", Static).update(f"{text.ERROR_PREFIX}{message}" if error and message else message)

    def field_edited(self, field_input: FieldInput) -> None:
        """A key changed a field: a message about that field no longer applies."""
        if getattr(self, "said_for", None) == field_input.field:
            self.say("")

    def focus_field(self, name: str) -> None:
        """Move the cursor now (not after the message queue), so type-ahead follows it."""
        self.set_focus(self.field(name))

    @on(Input.Changed)
    def field_changed(self, event: Input.Changed) -> None:
        """A code field shows its meaning as it is typed; :meth:`changed` hears the rest."""
        if not isinstance(event.input, FieldInput) or event.input.field not in self.BY_ID:
            return
        name = event.input.field
        if self.BY_ID[name].codes:
            for meaning in self.query(f"#{name}-meaning").results(Meaning):
                text_ = code_list(self.BY_ID[name].codes).name(event.value.strip())
                room = max(int(meaning.styles.min_width.value) // 2, 1) if meaning.styles.min_width else 4
                meaning.update(
                    text_ if len(text_) <= room else text_[: room - 1] + ".."
                )  # ".." is two cells, one character
        self.changed(name, event.value.strip())

    def changed(self, name: str, value: str) -> None:
        """Hook: field ``name`` now holds ``value``."""

    # ------------------------------------------------------------------ flow
    def advance(self, name: str) -> None:
        """Leave field ``name``: its BEFORE hook, the core's rules for it
        (:func:`storage.validate.check_field`), its HOOKS hook or the next field in the paper form's
        order. A field that fails keeps the cursor, with the rule's message. The draft is written as
        each field is left."""
        self.say("")
        spec = self.BY_ID[name]
        before = self.BEFORE.get(name)
        target = before(self) if before else None
        if target is None:
            result = self.check(spec)
            if (
                result.value != self.field(name).value
            ):  # as the core spells it (capitals, a padded group), even when refused
                self.field(name).value = result.value
            if result.finding is not None:
                self.say(result.finding.message, error=result.finding.level == ERROR)
            else:
                after = self.HOOKS.get(name)
                target = after(self) if after else self.next_in_order(spec)
        if target and target != STAY:
            self.focus_field(target)
        elif isinstance(self.focused, FieldInput) and self.focused.field == name:
            here = self.focused  # the cursor stays to fix the field: a short code is retyped whole
            here.select_all() if here.max_length and here.max_length <= 3 else here.action_end()
        self.write_draft()

    def check(self, spec: FormField) -> FieldCheck:
        """The core's verdict on one field as typed, in the context of its line and the form."""
        index, line = self.context(spec.section)
        return check_field(
            spec.section,
            spec.attr,
            self.field(spec.id).value,
            form=getattr(self, "form", None),
            index=index,
            line=line,
            villages=self.villages(),
        )

    def context(self, section: str) -> tuple[int, Any]:
        """The 0-based line being keyed in ``section`` and its record as the editor holds it (-1, None)."""
        if section in self.LINES:
            return self.line_no(section), self.from_editor(section)
        return -1, None

    def villages(self):
        """The office's village codes, for a village field."""
        return frozenset()

    def next_in_order(self, spec: FormField) -> str | None:
        fields = self.IN_SECTION[spec.section]
        i = fields.index(spec)
        return fields[i + 1].id if i + 1 < len(fields) else None

    # ------------------------------------------------------------------ drafts (nothing lost)
    def screen_state(self) -> dict:
        """The editor as a draft keeps it: every field, the lines being edited, the cursor."""
        focused = self.focused
        state = {
            "editor": {f.field: f.value for f in self.query(FieldInput)},
            "focus": focused.field if isinstance(focused, FieldInput) else self.FIELDS[0].id,
        }
        return state | {f"{s}_index": i for s, i in self.index.items()}

    def write_draft(self) -> None:
        """Write the whole form and the line being keyed (a few milliseconds; SQLite WAL). Never once
        the form is saved: the field left by the key that saved it ends here after the save cleared
        the draft (a newcomer found every saved household offered again as unfinished)."""
        if getattr(self, "saved", False) or not self.has_unsaved():
            return
        self.read_line(self.FIELDS[0].section, self.form)
        try:
            with waiting(0):
                save_draft(self.app.operator, self.form, self.screen_state())
        except OperatorError:  # the database is busy (or full): the next field left writes it again
            pass

    def restore(self, state: dict) -> None:
        """Put a draft's line and cursor back, exactly where the clerk stopped."""
        for s in self.LINES:
            self.index[s] = state.get(f"{s}_index")
        for name, value in state.get("editor", {}).items():
            for f in self.query(f"#{name}").results(FieldInput):
                f.value = value
        self.snapshot = HouseholdInput()  # a continued draft counts as unsaved
        self.redraw()
        target = state.get("focus") or self.FIELDS[0].id
        self.focus_field(target)
        self.say("已恢复上次未保存的登记表：从光标处继续", field=target)

    def has_unsaved(self) -> bool:
        """Whether leaving now would lose something the clerk typed since the form opened."""
        first = self.FIELDS[0].section
        if any(self.value(f.id) for f in self.FIELDS if f.section != first and f.id not in self.NOT_KEYED):
            return True
        return self.read_line(first, copy.deepcopy(self.form)) != self.snapshot

    def action_back(self) -> None:
        """Esc: leave, after a confirmation if something typed would be lost."""

        def leave() -> None:
            self.app.pop_screen() if self.editing else self.app.pop_to_home()

        def discard(yes: bool | None) -> None:
            if yes:
                try:
                    clear_draft(self.app.operator)
                except OperatorError:  # busy: the draft stays, offered at the next start
                    pass
                leave()

        if not self.has_unsaved():
            leave()  # nothing typed here: a draft left from before (offered at the next start) is kept
            return
        self.app.push_screen(ConfirmScreen("返回", text.DISCARD), discard)

    # ------------------------------------------------------------------ lines
    def show_line(self, section: str, record) -> None:
        """Put ``record``'s fields into the section's inputs."""
        for f in self.IN_SECTION[section]:
            value = getattr(record, f.attr)
            self.field(f.id).value = "" if value is None else str(value)

    def read_line(self, section: str, record):
        """Set ``record``'s fields from the section's inputs (numbers as integers, blank as ``None``); return it."""
        for f in self.IN_SECTION[section]:
            value = self.value(f.id)
            setattr(record, f.attr, (int(value) if value.isdigit() else None) if f.number else value)
        return record

    def lines(self, section: str) -> list:
        return getattr(self.form, self.LINES[section].attr)

    def line_no(self, section: str) -> int:
        """The 0-based line in the editor: the one being edited, or the next new one."""
        index = self.index[section]
        return len(self.lines(section)) if index is None else index

    def blank(self, section: str):
        """Hook: a new record of ``section``."""
        raise NotImplementedError

    def tidy(self, section: str, record):
        """Hook: a record read from the editor made whole (defaults, capitals); return it."""
        return record

    def shown(self, section: str, record):
        """Hook: the record as the editor shows it (``None``: a new line)."""
        return record if record is not None else self.blank(section)

    def from_editor(self, section: str):
        """The editor's line over the record it edits (its pages and other fields kept)."""
        index = self.index[section]
        base = copy.deepcopy(self.lines(section)[index]) if index is not None else self.blank(section)
        return self.tidy(section, self.read_line(section, base))

    def clear_line(self, section: str, index: int | None = None) -> None:
        """Put line ``index`` (``None``: a new one) into the editor."""
        self.index[section] = index
        self.show_line(section, self.shown(section, self.lines(section)[index] if index is not None else None))
        spec = self.LINES[section]
        state = spec.edit if index is not None else spec.new
        self.query_one(f"#{spec.state}", Static).update(state.format(n=self.line_no(section) + 1))

    def commit_line(self, section: str) -> str:
        """Put the editor's line into the form and start a new one; the field to go to."""
        lines, index = self.lines(section), self.index[section]
        line = self.from_editor(section)
        if index is None:
            lines.append(line)
            index = len(lines) - 1
        else:
            lines[index] = line
        self.last[section] = index
        self.redraw()
        self.clear_line(section)
        self.committed(section, index)
        return self.IN_SECTION[section][0].id

    def committed(self, section: str, index: int) -> None:
        """Hook: line ``index`` of ``section`` was put into the form."""

    @on(DataTable.RowSelected)
    def line_selected(self, event: DataTable.RowSelected) -> None:
        """A line of a table chosen with the mouse puts it into the editor (Enter: :meth:`choose_line`)."""
        section = next((s for s, spec in self.LINES.items() if spec.table == event.data_table.id), None)
        if section is not None:
            self.choose_line(section, event.cursor_row)

    def choose_line(self, section: str, row: int) -> None:
        """Put line ``row`` of ``section`` into the editor, the cursor in its first field."""
        self.clear_line(section, row)
        self.focus_field(self.IN_SECTION[section][0].id)

    def keep_line(self, section: str) -> bool:
        """Put a begun line into the form, if its needed fields are filled; whether nothing stops."""
        spec = self.LINES[section]
        if not self.value(spec.started):
            return True
        missing = next((f for f in spec.needs if not self.value(f)), None)
        if missing is not None:
            self.say(spec.incomplete)
            self.focus_field(missing)
            return False
        self.commit_line(section)
        return True

    def save_form(self) -> None:
        """Keep the lines being keyed, then :meth:`save` the form."""
        if all(self.keep_line(section) for section in self.LINES):
            self.read_line(self.FIELDS[0].section, self.form)
            self.save()

    # ------------------------------------------------------------------ pages (a line's other fields)
    def page_line(self, section: str) -> int | None:
        """The line a page is for: the one in the editor (put into the form first), else the last one."""
        if not self.keep_line(section):
            return None
        last, lines = self.last[section], self.lines(section)
        index = last if last is not None else len(lines) - 1
        if not 0 <= index < len(lines):
            self.say(self.LINES[section].none)
            return None
        return index

    def open_page(self, title: str, specs, record, done=None, focus: str = "", **options) -> None:
        """Open a page of ``record`` (:class:`~tui.screens.page.PageScreen`); ``done(kept)`` hears how
        it closed, then the cursor comes back to ``focus`` (default: the first line field), then the
        screen's ``after_page`` set before opening (the next page due) runs."""

        then, self.after_page = self.after_page, None  # the next page due, if any

        def closed(kept: bool | None) -> None:
            if done is not None:
                done(kept)
            self.redraw()
            self.focus_field(focus or self.IN_SECTION[next(iter(self.LINES))][0].id)
            self.write_draft()
            if then is not None:
                then()

        self.app.push_screen(PageScreen(title, specs, record, **options), closed)

    def select_line(self, section: str, index: int) -> bool:
        """Put line ``index`` of ``section`` into the editor; whether there is such a line."""
        if section not in self.LINES or not 0 <= index < len(self.lines(section)):
            return False
        self.clear_line(section, index)
        self.last[section] = index
        return True

    # ------------------------------------------------------------------ code look-up (F4)
    def lookup_items(self, spec: FormField) -> tuple[str, list[tuple[str, str]]] | None:
        """The title and (code, name) items F4 offers on a field, or ``None``."""
        if not spec.codes:
            return None
        codes = code_list(spec.codes)
        return f"{spec.label}代码", list(
            codes.items.items()
        )  # the field's name: a clerk's word, not the list's provenance

    def action_lookup(self) -> None:
        focused = self.focused
        if not isinstance(focused, FieldInput) or focused.field not in self.BY_ID:
            return
        name = focused.field
        offer = self.lookup_items(self.BY_ID[name])
        if offer is None:
            self.say("此项没有代码表")
            return

        def picked(code: str | None) -> None:
            if code:
                focused.value = code
                self.advance(name)
            else:
                focused.focus()

        self.app.push_screen(LookupScreen(*offer), picked)

    # ------------------------------------------------------------------ saving, findings and confirmations
    def store(self) -> Any:
        """Hook: write the form (raises the core's refusals); what :meth:`stored` is given."""
        raise NotImplementedError

    def stored(self, result: Any) -> None:
        """Hook: the form was written."""

    def save(self) -> None:
        """Save through :meth:`store`: errors put the cursor on the first one, warnings and possible
        duplicates are asked about and the answers saved again (with the save's precheck: one
        validation, one search). While another writer holds the database the form says so and tries
        again every :data:`LOCK_RETRY_SECONDS` (issue 14). A core refusal is said, never raised."""
        try:
            with waiting(0):  # no freeze: if another writer holds the database, say so and try again
                result = self.store()
        except Locked:
            self.say(text.WAITING_FOR_LOCK)  # the form stays as typed; tried again in a moment
            self.set_timer(LOCK_RETRY_SECONDS, self.retry_save)
        except ValidationFailed as exc:
            self.show_findings(exc)
        except WarningsNotConfirmed as exc:
            self.precheck = exc.precheck
            self.ask_warnings(exc)
        except DuplicatesNotConfirmed as exc:
            self.precheck = exc.precheck
            self.ask_duplicates(exc)
        except OperatorError as exc:
            self.say(str(exc), error=True)
        else:
            self.saved = True  # this screen's form is in the database: no draft of it from here on
            self.stored(result)

    def retry_save(self) -> None:
        """Save again after a lock wait: now if this form is on screen, later while a dialog or the help
        is over it, never once it is closed."""
        if self.app.screen is self:
            self.save()
        elif self in self.app.screen_stack:
            self.set_timer(LOCK_RETRY_SECONDS, self.retry_save)

    def show_findings(self, exc: ValidationFailed) -> None:
        first = next((f for f in exc.findings if f.level == ERROR), exc.findings[0])
        self.focus_finding(first, len(exc.findings))

    def focus_finding(self, first: Finding, count: int = 1, prefix: str = "") -> None:
        """Put the cursor on the field a finding is about (the validation screen's Enter too)."""
        prefix = prefix or ("不能保存" if first.level == ERROR else "请核实")
        message = f"{prefix}：{first.where()}：{first.message}" + (f"（共{count}处）" if count > 1 else "")
        section = self.PAGE_SECTIONS.get(first.section, first.section)
        target = self.WIDGET_OF.get((section, first.field))
        if self.select_line(section, first.index):
            target = target or self.IN_SECTION[section][0].id
        if target:
            self.focus_field(target)
            self.call_after_refresh(self.field(target).select_all)
        self.say(message, field=target, error=first.level == ERROR)

    def ask_warnings(self, exc: WarningsNotConfirmed) -> None:
        """Show the warnings; Y records the confirmation on each record and saves, N goes to the first."""
        lines = [f"{f.where()}：{f.message}" for f in exc.findings[:8]]
        more = f"\n...共{len(exc.findings)}条" if len(exc.findings) > 8 else ""

        def answered(yes: bool | None) -> None:
            if yes:
                confirm(self.form, exc.findings)
                self.save()
            else:
                self.show_findings(ValidationFailed(exc.findings))

        self.app.push_screen(
            ConfirmScreen(text.WARN_CONFIRM_TITLE, "\n".join(lines) + more + "\n\n" + text.WARN_CONFIRM_BODY), answered
        )

    def ask_duplicates(self, exc: DuplicatesNotConfirmed) -> None:
        """Show who may be registered already; Y saves them as other persons, N goes to the first."""
        lines = []
        for i, found in exc.hits.items():
            m = self.form.members[i]
            for c in found[:3]:
                lines.append(
                    f"第{i + 1}人 {m.name} {m.id_number}\n  已登记：{c.name} {c.id_number or c.birth_date} "
                    f"{c.village_name} "
                    f"户{c.household_code}（{c.rule_text}）"
                )
        ids = {dup_key(self.form.members[i]) for i in exc.hits}

        def answered(yes: bool | None) -> None:
            if yes:
                self.confirmed |= ids
                self.save()
            else:
                self.select_line("member", min(exc.hits))
                self.focus_field("m_id")
                self.call_after_refresh(self.field("m_id").select_all)
                self.say("未保存：请核对可能重复登记的人员（姓名、身份证号、出生日期）", field="m_id")

        self.app.push_screen(
            ConfirmScreen(text.DUP_CONFIRM_TITLE, "\n".join(lines) + "\n\n" + text.DUP_CONFIRM_BODY), answered
        )
