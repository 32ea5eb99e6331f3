"""Spreadsheets that leave the office (DESIGN.md §3): the home-visit work lists and the summary of
a reconciliation, and a list's rejected rows for the department that sent it. Written whole or not
at all (:func:`storage.sources.save_xlsx`); the rows come from :mod:`storage.reconcile` and
:mod:`storage.reflists`.
"""

from __future__ import annotations

import json
from pathlib import Path

from storage.models import RowError
from storage.reconcile import WORKLIST_HEADER, SummaryRow, total, worklist_rows
from storage.sources import save_xlsx

WORKLIST_WIDTHS = (5, 10, 9, 9, 5, 11, 9, 20, 20, 24, 40, 36, 36, 9, 20, 8, 10)
SUMMARY_HEADER = (
    "村",
    "统计年度",
    "年报出生",
    "以前已纠正",
    "核查出生",
    "新查出漏报",
    "新查出瞒报",
    "新查出虚报",
    "新查出错报",
    "待核",
    "差额",
    "漏报率",
)


FORMULA_START = ("=", "+", "-", "@")  # a cell starting so is a formula to Excel, WPS and LibreOffice


def safe_row(sheet, values) -> list:
    """``values`` as cells of a write-only openpyxl ``sheet`` that cannot act: text that starts like a
    formula (``=HYPERLINK(...)`` from a list, CSV/formula injection) is written as text, characters a
    worksheet cannot hold (control characters pasted into a list) are dropped. Numbers and dates stay."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    out = []
    for v in values:
        if isinstance(v, str):
            v = ILLEGAL_CHARACTERS_RE.sub("", v)
            if v.startswith(FORMULA_START):
                cell = WriteOnlyCell(sheet, v)
                cell.data_type = "s"
                out.append(cell)
                continue
        out.append(v)
    return out


def write_worklist(
    path, *, village: str = "", masked: bool = True, kinds: tuple[str, ...] = ("omission", "misreport", "false")
) -> int:
    """Write the home-visit lists, one sheet per village, to ``path`` (``.xlsx`` with openpyxl,
    ``.xls`` with xlwt for old office software): columns sized, the header row frozen and repeated
    on every printed page, landscape. Returns the number of births listed. Raises ``ValueError``
    for another suffix, ``OSError`` when the file cannot be written."""
    from pathlib import Path

    from storage.office import division_name

    path = Path(path)
    lists = worklist_rows(village=village, masked=masked, kinds=kinds) or {"": []}
    names: dict[str, str] = {}
    for code in lists:
        title = ((division_name(code) if code else "村不详") or code)[-25:]
        for char in "[]:*?/\\":  # not allowed in a sheet name
            title = title.replace(char, "-")
        n, base = 2, title
        while title in names.values():
            title, n = f"{base}({n})", n + 1
        names[code] = title
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.utils import get_column_letter

        book = Workbook(write_only=True)
        for code, rows in lists.items():
            sheet = book.create_sheet(names[code])
            for c, width in enumerate(WORKLIST_WIDTHS, start=1):
                sheet.column_dimensions[get_column_letter(c)].width = width
            sheet.freeze_panes = "A2"
            sheet.print_title_rows = "1:1"
            sheet.page_setup.orientation = "landscape"
            sheet.append(list(WORKLIST_HEADER))
            for row in rows:
                sheet.append(safe_row(sheet, row))
        save_xlsx(book, path)
    elif path.suffix.lower() == ".xls":
        import xlwt
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        book = xlwt.Workbook(encoding="utf-8")
        for code, rows in lists.items():
            sheet = book.add_sheet(names[code][:31])
            sheet.portrait = False
            sheet.set_panes_frozen(True)
            sheet.set_horz_split_pos(1)
            for c, width in enumerate(WORKLIST_WIDTHS):
                sheet.col(c).width = 256 * width
            for c, h in enumerate(WORKLIST_HEADER):
                sheet.write(0, c, h)
            for r, row in enumerate(rows, start=1):
                for c, v in enumerate(row):  # xlwt writes strings as text (never a formula); drop controls
                    sheet.write(r, c, ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v)
        book.save(str(path))
    else:
        raise ValueError(f"{path.name}：入户核查表写成 .xlsx 或 .xls")
    return sum(len(r) for r in lists.values())


def write_summary(path, rows: list[SummaryRow]) -> None:
    """The summary as an ``.xlsx`` (openpyxl), with a totals row."""
    from openpyxl import Workbook

    from storage.office import division_name

    book = Workbook(write_only=True)
    sheet = book.create_sheet("核查汇总")
    sheet.append(list(SUMMARY_HEADER))
    for r in rows:
        village = division_name(r.village_code) or r.village_code or "村不详"
        sheet.append(safe_row(sheet, [village, r.year, *r.counts(), round(r.omission_rate, 4)]))
    t = total(rows)
    sheet.append(["合计", "", *t.counts(), round(t.omission_rate, 4)])
    _assist_sheet(book)
    save_xlsx(book, path)


ASSIST_HEADER = ("月份", "单位", "发出", "收到外地", "已回复", "按时", "逾期", "已核实")
"""The assistance statistics as the national platform publishes them (storage.assist.stats)."""


def _assist_sheet(book) -> None:
    from storage import assist
    from storage.office import division_name

    sheet = book.create_sheet("协查统计")
    sheet.append(list(ASSIST_HEADER))
    for r in assist.stats():
        office = f"{division_name(r.office) or ''}（{r.office}）"
        sheet.append(safe_row(sheet, [r.month, office, r.sent, r.received, r.answered, r.on_time, r.late, r.verified]))


def write_assist_stats(path) -> None:
    """The assistance statistics alone as an ``.xlsx`` (``hecha assist stats --out``)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    _assist_sheet(book)
    save_xlsx(book, path)


def write_rejects(batch_id: int, out: str | Path) -> Path:
    """Write the rows of batch ``batch_id`` that were not loaded, and those loaded without a field
    (an unusable ID number), to an ``.xlsx`` (openpyxl) for the department that sent the list:
    sheet, row, what was done, column, value, reason, then the row as read."""
    from openpyxl import Workbook

    out = Path(out)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("错误行")
    sheet.append(["工作表", "行号", "处理", "列", "值", "原因", "原行内容"])
    done = {"rejected": "未导入", "warning": "已导入，此项未用"}
    for e in RowError.select().where(RowError.batch == batch_id).order_by(RowError.level, RowError.id):
        raw = json.loads(e.raw or "{}")
        whole = "；".join(f"{k}：{v}" for k, v in raw.items())
        sheet.append(
            safe_row(sheet, [e.sheet, e.row_no, done.get(e.level, e.level), e.column, e.value, e.message, whole])
        )
    save_xlsx(book, out)
    return out
