"""导入外部名单: pick the source and the file (a simple browser from the home folder), preview the
first rows with the mapped headers, import in a worker with progress, then the report. The same
:func:`storage.reflists.import_list` as ``hecha import-list``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from storage.db import close_db
from storage.reflists import (
    ImportReport,
    NeedsReplace,
    UnknownLayout,
    cell_text,
    import_list,
    preview_list,
    report_lines,
)
from storage.sources import SourceError
from storage.sources.profiles import FIELD_NAMES, profiles

from ..keys import bindings
from ..widgets.keyline import KeyLine
from ..workers import core_work
from .dialogs import ConfirmScreen

if TYPE_CHECKING:
    from ..base import HechaBase

SUFFIXES = (".xls", ".xlsx", ".csv", ".txt", ".htm", ".html")


class ListImportScreen(Screen):
    """Step 1: the source (arrows, Enter); step 2: the file (folders open with Enter, ../ goes up);
    step 3: the preview, F10 imports; then the report (F5 writes the rejected rows beside the file)."""

    BINDINGS = bindings("import")
    if TYPE_CHECKING:
        app: HechaBase  # self.app, with hecha's attributes (operator, office …)

    @dataclass
    class Imported(Message):
        """The import finished (``report``) or failed (``error``)."""

        report: ImportReport | None
        error: str = ""
        needs_replace: bool = False

    @dataclass
    class Progress(Message):
        rows: int

    def compose(self) -> ComposeResult:
        yield Static("导入外部名单：先选来源", id="import-title", classes="title")
        yield OptionList(id="import-choices")
        yield DataTable(id="import-preview", cursor_type="none")
        yield Static("", id="import-state")
        yield KeyLine()

    def on_mount(self) -> None:
        self.source = ""
        self.folder = Path.home()
        self.file: Path | None = None
        self.report: ImportReport | None = None
        self.mapping: dict[int, str] = {}
        self.map_headers: list[str] | None = None
        self.last_mapping: dict[str, str] | None = None
        self.query_one(DataTable).display = False
        sources, _ = profiles()
        options = self.query_one(OptionList)
        options.add_options([Option(f"{name}（{key}）", id=key) for key, name in sources.items()])
        options.highlighted = 0
        options.focus()

    def say(self, message: str) -> None:
        self.query_one("#import-state", Static).update(message)

    def show_folder(self) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        entries = [Option(Text("../（上一级）"), id="..")]
        try:
            children = sorted(self.folder.iterdir(), key=lambda p: (not p.is_dir(), p.name))
        except OSError as exc:
            self.say(f"打不开文件夹 {self.folder}：{exc.strerror}")
            children = []
        for p in children:
            if p.name.startswith("."):
                continue
            if p.is_dir():
                entries.append(Option(Text(f"{p.name}/"), id=str(p)))  # Text: a name is not markup
            elif p.suffix.lower() in SUFFIXES:
                entries.append(Option(Text(p.name), id=str(p)))
        options.add_options(entries)
        options.highlighted = 1 if len(entries) > 1 else 0
        self.query_one("#import-title", Static).update(f"导入{profiles()[0][self.source]}：选文件  {self.folder}")
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        key = event.option.id or ""
        if key.startswith("col:"):
            self.pick_field(int(key[4:]))
            return
        if not self.source:
            self.source = key
            self.show_folder()
            return
        if key == "..":
            self.folder = self.folder.parent
            self.show_folder()
            return
        path = Path(key)
        if path.is_dir():
            self.folder = path
            self.show_folder()
            return
        self.preview(path)

    def preview(self, path: Path) -> None:
        """The first rows with the header as hecha reads it; F10 imports."""
        try:
            seen = preview_list(path, self.source)
        except (SourceError, OSError) as exc:
            self.say(f"{path.name}：{exc}")
            return
        rows, header = seen.rows, seen.header
        table = self.query_one(DataTable)
        table.clear(columns=True)
        self.mapping = {}
        if header is None:
            self.map_columns(path, rows)
            return
        self.map_headers = None
        columns = sorted(header.columns)
        widths = {i: 18 if header.columns[i].endswith("id_number") else 12 for i in columns}
        for i in columns:
            table.add_column(f"{FIELD_NAMES[header.columns[i]]}", width=widths[i])
        for row in rows[header.last + 1 : header.last + 8]:
            table.add_row(*[cell_text(row[i])[: widths[i]] if i < len(row) else "" for i in columns])
        table.display = True
        self.file = path
        self.say(f"{path.name}：{seen.sheets} 个工作表；上面是前几行（按 hecha 认出的表头）。F10 导入，Esc 返回")

    def map_columns(self, path: Path, rows: list[list]) -> None:
        """The mapping step: the first row's columns are listed; Enter on one picks its field."""
        self.mapping_rows = rows
        self.file = path
        self.query_one(DataTable).display = False
        first = next((r for r in rows if any(v is not None for v in r)), [])
        self.map_headers = [cell_text(v) for v in first]
        options = self.query_one(OptionList)
        options.clear_options()
        for i, h in enumerate(self.map_headers):
            sample = next((cell_text(r[i]) for r in rows[1:] if i < len(r) and r[i] is not None), "")
            options.add_option(Option(Text(f"第{i + 1}列 {h[:16]}  例：{sample[:20]}"), id=f"col:{i}"))
        options.highlighted = 0
        options.focus()
        self.show_mapping()

    def show_mapping(self) -> None:
        chosen = "、".join(f"第{i + 1}列={FIELD_NAMES[f]}" for i, f in sorted(self.mapping.items())) or "还没有"
        self.say(
            f"{self.file.name if self.file else ''}：表头认不出。"
            "回车给一列指定含义（姓名、身份证号 …），F10 按此导入（下次自动认出）"
            f"\n已指定：{chosen}"
        )

    def pick_field(self, column: int) -> None:
        from .dialogs import LookupScreen

        def picked(field: str | None) -> None:
            if field:
                self.mapping = {i: f for i, f in self.mapping.items() if f != field}
                self.mapping[column] = field
            self.show_mapping()

        self.app.push_screen(LookupScreen(f"第{column + 1}列是", [(f, FIELD_NAMES[f]) for f in FIELD_NAMES]), picked)

    def action_run(self) -> None:
        if self.file is None:
            self.say("先选来源和文件")
            return
        if (
            getattr(self, "map_headers", None) is not None
            and self.mapping is not None
            and not self.query_one(DataTable).display
        ):
            if not self.mapping:
                self.say("先给姓名或身份证号所在的列指定含义（回车）")
                return
            headers = self.map_headers or []
            mapping = {
                (headers[i] if i < len(headers) and headers[i] else f"第{i + 1}列"): f for i, f in self.mapping.items()
            }
            self.say("正在导入...")
            self.run_import(self.file, self.source, False, mapping)
            return
        self.say("正在导入...")
        self.run_import(self.file, self.source, False)

    @core_work("import")
    def run_import(self, path: Path, source: str, replace: bool, mapping: dict[str, str] | None = None) -> None:
        self.last_mapping = mapping

        def progress(rows: int) -> None:
            self.post_message(self.Progress(rows))

        try:
            report = import_list(
                path, source, replace=replace, operator=self.app.operator, mapping=mapping, progress=progress
            )
            self.post_message(self.Imported(report))
        except NeedsReplace as exc:
            self.post_message(self.Imported(None, str(exc), needs_replace=True))
        except (SourceError, UnknownLayout, ValueError, OSError) as exc:
            self.post_message(self.Imported(None, f"{path.name}：{exc}"))
        finally:
            close_db()

    def on_list_import_screen_progress(self, event: Progress) -> None:
        self.say(f"正在导入：已读 {event.rows} 行...")

    def on_list_import_screen_imported(self, event: Imported) -> None:
        if event.needs_replace:

            def answered(yes: bool | None) -> None:
                if yes:
                    self.say("正在导入...")
                    self.run_import(self.file, self.source, True, self.last_mapping)
                else:
                    self.say("未导入")

            self.app.push_screen(
                ConfirmScreen("替换已导入的名单", event.error.replace("：请确认（--replace）", "。替换吗？")), answered
            )
            return
        if event.report is None:
            self.say(event.error)
            return
        r = self.report = event.report
        if r.same_file:
            self.say(f"{r.file_name} 已经导入过（同一文件）：没有改动")
            return
        lines = report_lines(r, errors=3, width=78)
        if r.rows_rejected or r.rows_warned:
            lines.append("F5 把错误行写成 .xlsx（放在名单旁边），交原单位改正")
        self.say("\n".join(lines))

    def action_rejects(self) -> None:
        report = self.report
        if not (report and report.batch_id is not None and (report.rows_rejected or report.rows_warned) and self.file):
            self.say("没有错误行可导出")
            return
        out = self.file.with_name(self.file.stem + "-错误行.xlsx")
        try:
            from export.sheets import write_rejects

            write_rejects(report.batch_id, out)
        except OSError as exc:
            self.say(f"写不出 {out}：{exc.strerror}")
            return
        self.say(f"错误行已写到 {out}")

    def action_back(self) -> None:
        """One step back: from a file (its preview or mapping) to its folder, from the folder to the
        kinds of list, from there to the menu."""
        if self.file is not None and self.report is None:
            self.file, self.mapping, self.map_headers = None, {}, None
            self.query_one(DataTable).display = False
            self.say("")
            self.show_folder()
        elif self.source and self.report is None:
            self.source = ""
            self.query_one("#import-title", Static).update("导入外部名单：先选来源")
            options = self.query_one(OptionList)
            options.clear_options()
            options.add_options([Option(f"{name}（{key}）", id=key) for key, name in profiles()[0].items()])
            options.highlighted = 0
            options.focus()
        else:
            self.app.pop_screen()
