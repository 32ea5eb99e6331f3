"""核查比对 (issue 7): the findings of the last reconciliation, filtered by village, kind and source;
Enter shows a birth's records side by side; a visit's conclusion is recorded with its code (0 一致,
1 漏报, 2 瞒报, 3 虚报, 4 错报, 9 待核); the summary per village and statistical year."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from storage import reconcile
from storage.dates import local_time
from storage.db import close_db
from storage.office import find_villages, village_label

from ..keys import bindings
from ..widgets.fields import MarkedTable
from ..widgets.keyline import KeyLine
from ..workers import core_work, write_then
from .dialogs import AskScreen

if TYPE_CHECKING:
    from ..base import HechaBase

SEX = {"1": "男", "2": "女"}
CONCLUSION_KEYS: list[BindingType] = [
    Binding(code, f"conclude('{code}')", name, show=False) for code, name in reconcile.CONCLUSIONS.items()
]
"""The conclusion's code as its key (the same digits as on the paper result column)."""
PAGE = 1000


class ReconcileScreen(Screen):
    """Findings best first per village (omissions, misreports, false records, born elsewhere)."""

    BINDINGS = bindings("recon") + CONCLUSION_KEYS
    if TYPE_CHECKING:
        app: HechaBase  # self.app, with hecha's attributes (operator, office …)

    @dataclass
    class Read(Message):
        """Findings read (and, when asked, a run made) in a worker thread."""

        rows: list
        note: str

    def __init__(self) -> None:
        super().__init__()
        self.village, self.kind, self.group = "", "", ""
        self.rows: list = []
        self.keep = 0  # the row to come back to after a reread
        self.done = ""  # what the last conclusion did, said after the reread

    def compose(self) -> ComposeResult:
        yield Static("核查比对  入户结论：0一致 1漏报 2瞒报 3虚报 4错报 9待核  回车看证据", classes="title")
        yield MarkedTable(id="recon-list", cursor_type="row")
        yield Static("", id="recon-detail")
        yield Static("正在读取比对结果...", id="recon-state")
        yield KeyLine()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in (
            ("村", 8),
            ("疑点", 8),
            ("姓名", 8),
            ("出生日期", 10),
            ("母亲", 8),
            ("来源", 10),
            ("结论", 4),
            ("编号", 8),
        ):
            table.add_column(label, width=width)
        # the first visit runs one, at the office's 标准时点 when it has one (not today)
        self.read(run_at=reconcile.reference_date("") if reconcile.last_run() is None else None)
        table.focus()

    @core_work("reconcile")
    def read(self, run_at: dt.date | None = None) -> None:
        """Read the findings (filtered), after a reconciliation at ``run_at`` when one is given."""
        note = ""
        try:
            if run_at is not None:
                self.app.call_from_thread(self.say, f"正在比对 {run_at} 之前十年的出生...")
                report = reconcile.run(run_at, progress=lambda text: self.app.call_from_thread(self.say, text))
                took = f"（{report.seconds:.1f} 秒）"
                note = f"比对了 {report.records} 条记录、{report.births} 个出生{took}。{report.warning}"
            rows = reconcile.findings(village=self.village, kind=self.kind, group=self.group, limit=PAGE)
        finally:
            close_db()
        self.post_message(self.Read(rows, note))

    def say(self, text: str) -> None:
        self.query_one("#recon-state", Static).update(text)

    def on_reconcile_screen_read(self, event: Read) -> None:
        self.rows = event.rows
        self.refill(self.keep)
        self.keep = 0
        if self.done:
            event.note, self.done = self.done + "。", ""
        last = reconcile.last_run()
        filters = "、".join(
            x
            for x in (
                village_label(self.village) if self.village else "",
                reconcile.KINDS.get(self.kind, ""),
                reconcile.GROUP_NAMES.get(self.group, ""),
            )
            if x
        )
        basis = f"参考日期 {last.as_of}（来源：登=登记表 系=人口系统 卫=卫生 教=教育 公=公安）" if last else ""
        if last and (changed := reconcile.changed_since(last.at)):  # issue 15: an old run said nothing
            rerun = self.app.key_name("run", "recon")
            basis = f"比对是 {local_time(last.at)} 做的，之后{changed}：结果可能过时，按 {rerun} 重新比对。" + basis
        shown = f"共 {len(self.rows)} 条" + ("（只显示前 1000 条：按村筛选）" if len(self.rows) >= PAGE else "")
        self.say(
            f"{event.note}{basis}，{shown}" + (f"；筛选：{filters}" if filters else "")
            if self.rows
            else f"{event.note}{basis}：没有要核实的出生" + (f"（筛选：{filters}）" if filters else "")
        )

    def refill(self, keep_row: int = 0) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for f, v in self.rows:
            table.add_row(
                village_label(f.village_code),
                reconcile.KINDS[f.kind],
                f.child_name or "未起名",
                f.birth_date,
                f.mother_name,
                "".join(reconcile.GROUP_SHORT[g] for g in f.groups.split()),
                reconcile.CONCLUSIONS.get(v.conclusion, "") if v else "",
                f.code,
            )
        if self.rows:
            table.move_cursor(row=min(keep_row, len(self.rows) - 1))

    def current(self):
        row = self.query_one(DataTable).cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else (None, None)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        f, v = self.current()
        if f is None:
            return
        differs = "；".join(
            f"{reconcile.FIELD_WORDS.get(d[0], d[0])} 人口系统 {d[1]}，{d[3]} {d[2]}" for d in json.loads(f.differences)
        )
        done = f"  已核：{reconcile.CONCLUSIONS[v.conclusion]} {v.note}" if v else ""
        self.query_one("#recon-detail", Static).update(
            f"{f.child_name or '未起名'} {SEX.get(f.sex, '')} {f.birth_date} 母亲 {f.mother_name} "
            f"{reconcile.mask(f.mother_id_number)}{done}\n" + (differs + "\n" if differs else "") + (f.reason or "")
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_evidence()  # Enter on a row: the table takes the key and says which row

    def action_evidence(self) -> None:
        f, v = self.current()
        if f is not None:
            self.app.push_screen(EvidenceScreen(f, v), lambda done: self.reread(done) if done else None)

    def action_assist(self) -> None:
        """F9 on a 外地出生 finding: a 协查 to the mother's county (issue 17), after a Y."""
        f, _ = self.current()
        if f is None:
            return
        if f.kind != "elsewhere":
            self.say("只有「外地出生」的比对结果才发协查给母亲户籍地；别的请入户核实。")
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            from storage import assist

            from ..workers import write_then

            write_then(
                self,
                lambda: assist.from_finding(f.key, operator=self.app.operator),
                lambda req: self.say(f"已发起协查 {req.request_no}，发往 {req.to_name}；随下一个数据包发出。"),
                self.say,
            )

        from .dialogs import ConfirmScreen

        body = f"{f.child_name or '未起名'} {f.birth_date} 母亲 {f.mother_name}\n向母亲户籍地的县发协查？"
        self.app.push_screen(ConfirmScreen("外地出生：发协查", body), answered)

    def action_result(self) -> None:
        if self.current()[0] is None:
            return

        def answered(code: str | None) -> None:
            if code:
                self.action_conclude(code)

        choices = " ".join(f"{c} {n}" for c, n in reconcile.CONCLUSIONS.items())
        self.app.push_screen(
            AskScreen("记录入户结论", f"结论（{choices}）：", restrict=r"[012349]?", max_length=1), answered
        )

    def action_conclude(self, code: str) -> None:
        f, _ = self.current()
        if f is None:
            return
        ask_conclusion(self, f, code, self.reread)

    def reread(self, done: str = "") -> None:
        """Read the findings again after a conclusion (``done`` says what it did; shown after the read)."""
        self.keep = self.query_one(DataTable).cursor_row
        self.done = done
        self.read()

    def action_filter_village(self) -> None:
        def answered(value: str | None) -> None:
            if value is not None:
                found = find_villages(value)
                if value and len(found) != 1:
                    shown = "、".join(village_label(v.code) for v in found[:8])
                    self.say(
                        f"有几个村对得上「{value}」：{shown}"
                        if found
                        else f"没有村名、拼音首字母或代码对得上「{value}」"
                    )
                    return
                self.village = found[0].code if value else ""
                self.read()

        self.app.push_screen(AskScreen("按村筛选", "村名、拼音首字母（ljz）或村代码的后三位（空：全部村）："), answered)

    def action_filter_kind(self) -> None:
        kinds = ["", "omission", "misreport", "false", "elsewhere", "consistent"]
        self.kind = kinds[(kinds.index(self.kind) + 1) % len(kinds)]
        self.read()

    def action_filter_source(self) -> None:
        groups = ["", *reconcile.GROUP_NAMES]
        self.group = groups[(groups.index(self.group) + 1) % len(groups)]
        self.read()

    def action_run(self) -> None:
        def answered(value: str | None) -> None:
            if value is None:
                return
            try:
                day = reconcile.reference_date(value)
            except ValueError as exc:
                self.say(str(exc))
                return
            self.read(run_at=day)

        self.app.push_screen(
            AskScreen(
                "重新比对",
                "参考日期 YYYYMMDD（空：本单位的标准时点，未设时为今天）；比对此前十年的出生：",
                restrict=r"\d*",
                max_length=8,
            ),
            answered,
        )

    def action_summary(self) -> None:
        self.app.push_screen(SummaryScreen(self.village))

    def action_worklist(self) -> None:
        from pathlib import Path

        from storage.idnumber import real_day
        from tui.config import load_config

        default = str(Path.home() / f"入户核查表-{real_day():%Y%m%d}.xlsx")

        def answered(value: str | None) -> None:
            if value is None:
                return
            path = Path(value or default).expanduser()
            if path.suffix.lower() not in (".xlsx", ".xls") or not path.parent.is_dir():
                self.say(f"{path}：要写到一个已有文件夹里的 .xlsx 或 .xls 文件")
                return
            try:
                from export.sheets import write_worklist

                n = write_worklist(path, village=self.village, masked=load_config().mask_ids)
            except OSError as exc:
                self.say(f"写不了 {path}：{exc.strerror}")
                return
            self.say(f"入户核查表已写到 {path}：{n} 个出生待核（每村一张表）")

        self.app.push_screen(AskScreen("导出入户核查表", f"文件（.xlsx 或 .xls；空：{default}）："), answered)

    def action_back(self) -> None:
        self.app.pop_screen()


def ask_conclusion(screen: ReconcileScreen | EvidenceScreen, f, code: str, after) -> None:
    """Ask for the note of conclusion ``code`` on finding ``f``, record it, say what was done."""

    def recorded(done: str) -> None:
        screen.say(done)
        after(done)

    def answered(note: str | None) -> None:
        if note is not None:
            who = screen.app.operator
            call = lambda: reconcile.record_result(f.key, code, note=note, operator=who)  # noqa: E731
            write_then(screen, call, recorded, screen.say)

    try:
        reconcile.check_fits(f, code)  # before the note is typed, not after
    except reconcile.ResultError as exc:
        screen.say(str(exc))
        return
    name = reconcile.CONCLUSIONS[code]
    extra = f"（确认的{reconcile.CONCLUSIONS[code]}补录到母亲户内）" if code in ("1", "2") and not f.birth_uid else ""
    screen.app.push_screen(
        AskScreen(f"结论：{name}{extra}", f"{f.child_name or '未起名'} {f.birth_date}：说明（可空，回车确认）："),
        answered,
    )


class EvidenceScreen(Screen):
    """One birth's records side by side: a column per source, a row per field; digits conclude."""

    BINDINGS = [Binding("escape,ctrl+x", "back", "返回", id="evidence-back"), *CONCLUSION_KEYS]
    if TYPE_CHECKING:
        app: HechaBase  # self.app, with hecha's attributes (operator, office …)

    def __init__(self, finding, result) -> None:
        super().__init__()
        self.finding, self.result = finding, result

    def compose(self) -> ComposeResult:
        f = self.finding
        yield Static(
            f"证据对照：{reconcile.KINDS[f.kind]}  {f.child_name or '未起名'} "
            f"{f.birth_date}（{village_label(f.village_code)}）",
            classes="title",
        )
        yield MarkedTable(id="evidence", cursor_type="row")
        yield Static("", id="evidence-field")
        yield Static("", id="recon-state")
        yield KeyLine()

    def on_mount(self) -> None:
        f = self.finding
        self.records = records = json.loads(f.evidence)
        table = self.query_one(DataTable)
        for label, width in (("来源", 8), ("姓名", 8), ("性", 2), ("出生日期", 10), ("身份证号", 18), ("母亲证号", 18)):
            table.add_column(label, width=width)
        for e in records:
            table.add_row(
                reconcile.SOURCE_NAMES.get(e["source"], e["source"]),
                e["name"] or "未起名",
                SEX.get(e["sex"], ""),
                e["born"],
                e["child_id"],
                e["mother_id"],
            )
        differs = "；".join(
            f"{reconcile.FIELD_WORDS.get(d[0], d[0])} 人口系统 {d[1]}，{d[3]} {d[2]}" for d in json.loads(f.differences)
        )
        done = f"已核：{reconcile.CONCLUSIONS[self.result.conclusion]} {self.result.note}；" if self.result else ""
        self.say(
            done
            + "；".join(x for x in (differs, f.reason) if x)
            + "  数字键记录结论：0一致 1漏报 2瞒报 3虚报 4错报 9待核"
        )
        table.focus()

    def say(self, text: str) -> None:
        self.query_one("#recon-state", Static).update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The highlighted record's other fields: mother's name, certificate, where it is, address."""
        if 0 <= event.cursor_row < len(self.records):
            e = self.records[event.cursor_row]
            parts = [
                f"母亲 {e['mother_name'] or '-'}",
                f"出生证 {e['cert']}" if e["cert"] else "",
                e["where"],
                e.get("address", ""),
                "已死亡" if e["dead"] else "",
            ]
            self.query_one("#evidence-field", Static).update("  ".join(x for x in parts if x))

    def action_conclude(self, code: str) -> None:
        ask_conclusion(self, self.finding, code, self.dismiss)

    def action_back(self) -> None:
        self.dismiss("")


class SummaryScreen(Screen):
    """Per village and statistical year, and a bar per year of the births after verification."""

    BINDINGS = bindings("plain")

    def __init__(self, village: str = "") -> None:
        super().__init__()
        self.village = village

    def compose(self) -> ComposeResult:
        yield Static("核查汇总（统计年度：上年10月1日至当年9月30日）", classes="title")
        yield MarkedTable(id="summary", cursor_type="row")
        yield Static("", id="summary-chart")
        yield KeyLine()

    def on_mount(self) -> None:
        rows = reconcile.summary(village=self.village)
        table = self.query_one(DataTable)
        for label, width in (
            ("村", 8),
            ("年度", 4),
            ("年报", 4),
            ("已纠正", 6),
            ("核查", 4),
            ("漏报", 4),
            ("瞒报", 4),
            ("虚报", 4),
            ("错报", 4),
            ("待核", 4),
            ("差额", 4),
        ):
            table.add_column(label, width=width)
        for r in [*rows, reconcile.total(rows)] if rows else []:
            label = village_label(r.village_code) if r.year else "合计"
            table.add_row(label, str(r.year or ""), *(str(n) for n in r.counts()))
        years = reconcile.by_year(rows)
        most = max((max(y.linked, y.reported + y.corrected) for y in years), default=0) or 1
        lines = [
            f"{y.year} {'=' * round(24 * y.linked / most):<24} 核查{y.linked:>5} 年报{y.reported + y.corrected:>5} "
            f"漏报{y.omissions + y.hidden:>4}"
            for y in years
        ]
        last = reconcile.last_run()
        basis = f"按参考日期 {last.as_of} 的比对；差额 = 核查 − 年报 − 已纠正；= 核查出生" if last else ""
        self.query_one("#summary-chart", Static).update(
            "\n".join([basis, *lines]) if lines else "还没有比对结果：按 Esc 返回，F5 比对"
        )
        table.focus()

    def action_back(self) -> None:
        self.app.pop_screen()
