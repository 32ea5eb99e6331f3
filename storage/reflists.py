"""Loading reference lists (外部名单, issue 6) into :class:`~storage.models.RefRecord` rows.

:func:`import_list` reads a file (:mod:`storage.sources`), finds each sheet's header
(:mod:`storage.sources.profiles`), and loads every data row as a reference record with its raw
row kept, or reports it as a :class:`~storage.models.RowError` with sheet, row, column, value and
reason: nothing is dropped silently. The whole import is one transaction (all or nothing); the
same file (SHA-256) twice changes nothing and says so; a newer list of a source that already has
one replaces it only when asked (``replace=True``, the clerk's confirmation).

Rows are refused for: no name and no ID number (and, for a child, no mother's ID); an ID number a
spreadsheet stored as a number (digits after the 15th lost, DESIGN.md §5); an ID number of the wrong
shape; a birth date that is not a date. A bad check character is kept with the record as
``id_check`` (a warning on import, DESIGN.md §5).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from . import idnumber
from .dates import add_years
from .db import now_iso, write_txn
from .errors import OperatorError
from .models import HeaderMapping, ImportBatch, RefKey, RefRecord, RowError
from .names import name_keys, normalize, unnamed_child
from .paths import operator_login
from .sources import SourceError, check_file, open_table
from .sources.profiles import FIELD_NAMES, Header, clean, find_header, profiles

TOTALS = ("合计", "总计", "小计", "共计")
FOOTERS = (
    "合计",
    "总计",
    "本页小计",
    "小计：",
    "小计:",
    "共计",
    "审核人",
    "审核：",
    "审核:",
    "制表人",
    "制表：",
    "制表:",
    "制表日期",
    "填表人",
    "填报人",
    "填报单位",
    "负责人",
    "单位负责人",
    "统计人",
    "以下空白",
    "以下无数据",
)
"""Words a footer cell of a printed list starts with, anywhere in the row (审核人：李四 under the names)."""
_FOOTER_STARTS = frozenset(" " + "".join(w[0] for w in FOOTERS))
"""A cell can start a footer word only with one of these (spaces are dropped before comparing): a
per-cell test that spares most cells the full one."""
_json = json.JSONEncoder(ensure_ascii=False).encode
"""One encoder for every row's ``raw`` (``json.dumps`` with an argument builds a new one per call)."""
IMPORT_CACHE_KB = 16384  # SQLite's page cache during an import (the default is 2 MB)
SEX = {"男": "1", "女": "2", "1": "1", "2": "2", "m": "1", "f": "2", "男性": "1", "女性": "2"}


class UnknownLayout(OperatorError):
    """No header row of the sheet names two known fields: map the columns by hand (``mapping``).
    ``headers`` are the first rows' cells, for the mapping step."""

    def __init__(self, sheet: str, rows: list[list[str]], problem: str = ""):
        self.sheet, self.rows, self.problem = (
            sheet,
            rows,
            problem,
        )  # problem: why a mapping given does not fit this sheet
        super().__init__(
            f"工作表「{sheet}」的表头认不出（姓名、身份证号、出生日期等至少两列）：请指定列的含义，如 --map 第2列=name"
        )


class NeedsReplace(OperatorError):
    """A list of this source is already loaded; importing another replaces it, which the clerk must confirm."""


@dataclass
class ImportReport:
    """What an import did: the batch id (``None`` when nothing changed), rows read, loaded,
    rejected (with the first errors), duplicates within the file, warnings (bad check characters),
    rows loaded with an unusable ID number left out, the columns no field took (issue 12: nothing
    dropped without a word) and the export layout recognised."""

    batch_id: int | None
    source: str
    file_name: str
    same_file: bool = False
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    warnings: int = 0
    replaced: int = 0
    errors: list[dict] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)
    rows_warned: int = 0  # rows loaded without an unusable field (an ID number), reported
    warned: list[dict] = field(default_factory=list)  # the first of them
    unused_columns: list[str] = field(default_factory=list)  # "第N列 表头" of the columns no field took
    layouts: list[str] = field(default_factory=list)  # the export layouts recognised (the P&WIS export by woman …)
    parents_found: int = 0  # children of a police register given their mother or father through 户号
    rows_filled: int = 0  # rows given the woman's cells of the row above (merged cells of an export by woman)
    villages_unknown: dict[str, int] = field(
        default_factory=dict
    )  # village names that are none of the office's, with their rows


def report_lines(report: ImportReport, *, errors: int = 10, width: int = 0) -> list[str]:
    """What an import did, in Chinese lines for the command line and the import screen: counts, the
    layout recognised, the columns not used (with the ``--map`` that would use one), rows loaded
    without an unusable ID number, the first errors. ``width`` cuts each detail line (0: whole)."""
    r = report
    cut = (lambda t: t[:width]) if width else (lambda t: t)
    lines = [
        f"已导入 {r.file_name}：读 {r.rows_read} 行，导入 {r.rows_loaded} 条，错误 {r.rows_rejected} 行，"
        f"文件内重复 {r.rows_duplicate} 条，校验位不对 {r.warnings} 条"
        + (f"，替换旧名单 {r.replaced} 条" if r.replaced else "")
    ]
    if r.layouts:
        lines.append(f"  认出的格式：{'、'.join(r.layouts)}")
    if r.rows_filled:
        lines.append(f"  {r.rows_filled} 行的育龄妇女信息为空（合并单元格）：已按上一行补全")
    if r.unused_columns:
        lines.append(cut(f"  未使用的列：{'、'.join(r.unused_columns)}"))
        lines.append(
            cut(
                "  其中若有需要比对的：--map 表头=字段 后加 --replace 重新导入（字段如 mother_id_number 母亲身份证号、"
                "birth_order 孩次、village 村、parent_name 家长姓名）"
            )
        )
    if r.rows_warned:
        lines.append(
            cut(
                f"  {r.rows_warned} 行要核对（号码存成数字或不是本人的、孩次认不出、日期与号码不符等）："
                "这些行已导入，下面是前几行"
            )
        )
        for e in r.warned[: min(errors, 3)]:
            lines.append(cut(f"    {e['sheet']} 第{e['row_no']}行 {e['column']}：{e['message']}"))
        if r.rows_warned > 3:
            lines.append(cut("    ……全部见 --rejects 文件.xlsx（界面：F5）"))
    if r.villages_unknown:
        names = "、".join(
            f"{_short(v, 20)}（{n} 行）" for v, n in sorted(r.villages_unknown.items(), key=lambda x: -x[1])[:5]
        )
        lines.append(cut(f"  不是本乡镇的村（居）委会：{names}：这些行的村未用，比对结果列在「村不详」"))
    if r.parents_found:
        lines.append(f"  按户号和与户主关系给 {r.parents_found} 个孩子找到了父母")
    for e in r.errors[:errors]:
        lines.append(cut(f"  {e['sheet']} 第{e['row_no']}行 {e['column']}：{e['message']}"))
    return lines


def cell_text(value: Any) -> str:
    """A cell as text: integral numbers without ".0", dates ISO, strings stripped, None empty."""
    return _text(value)


def _text(value: Any) -> str:
    if type(value) is str:  # the common case first: this runs for every cell
        return value.strip() if value.isprintable() else _visible(value)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def _visible(text: str) -> str:
    """``text`` without control and format characters (a tab, a zero-width space, a BOM, U+0007 from
    a damaged export: invisible, they would make 王芳 and 王\u200b芳 two names), every other space
    (U+3000, no-break) a plain one, stripped."""
    out = []
    for ch in text:
        kind = unicodedata.category(ch)
        if kind[0] == "Z":
            out.append(" ")
        elif kind[0] != "C":
            out.append(ch)
    return "".join(out).strip()


def parse_date(value: Any) -> tuple[str, str] | None:
    """``(ISO date, precision)`` of a list's date cell: a date, ``20150307`` (also ``20150307.0``),
    ``201503``, ``2015-03-07``, ``2015/3/7``, ``2015.3.7``, ``2015年3月7日``; ``None`` when it is not
    a date. A number ``2018.1`` is October (a spreadsheet drops the last zero of 2018.10); the text
    ``2018.1`` may be January typed or October exported, so it is the year (precision ``Y``)."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat(), "D"
    if isinstance(value, dt.date):
        return value.isoformat(), "D"
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":  # 2015-03-07: the usual case
        try:
            return dt.date.fromisoformat(value).isoformat(), "D"
        except ValueError:
            pass
    if isinstance(value, float) and 1900 < value < 2100 and not value.is_integer():
        value = f"{value:.2f}"  # 2018.1 is 2018.10 whose last zero the spreadsheet dropped (October, not January)
    serial = value if isinstance(value, (int, float)) else None
    if serial is None and _text(value).isdigit() and len(_text(value)) == 5:
        serial = int(_text(value))
    if serial is not None and 20000 <= serial <= 60000:  # an Excel date serial (1954–2064) that lost its date format
        return (dt.date(1899, 12, 30) + dt.timedelta(days=int(serial))).isoformat(), "D"
    text = unicodedata.normalize("NFKC", _text(value))  # ２０１９－０３－０７ typed with an input method
    if text.endswith(".0") and text[:-2].isdigit():  # 20150307.0: a number exported as text
        text = text[:-2]
    if len(text) == 6 and text[4] == "." and text[:4].isdigit() and text[5] == "1":
        return f"{text[:4]}-01-01", "Y"
    if " " in text and ":" in text.split(" ", 1)[1]:  # 1988/03/03 00:00:00: a date with its time of day
        text = text.split(" ", 1)[0]
    text = text.replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
    try:
        if text.isdigit() and len(text) == 8:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat(), "D"
        if text.isdigit() and len(text) == 6:
            return dt.date(int(text[:4]), int(text[4:]), 1).isoformat(), "M"
        parts = [p for p in text.split("-") if p]
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2])).isoformat(), "D"
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            return dt.date(int(parts[0]), int(parts[1]), 1).isoformat(), "M"
    except (ValueError, OverflowError):  # 12345678901.5: digits no date has
        return None
    return None


EARLIEST_BIRTH = "1910-01-01"  # older than anyone on a list (115 years and more); an Excel serial such as 36 as a date

PLACEHOLDERS = frozenset({"无", "不详", "暂无", "未知", "空", "-", "—", "/", "0"})
_ID_JUNK = dict.fromkeys(map(ord, " '\u200b\u200c\u200d\ufeff\t\u3000"), None)


def _id(value: Any, column: str) -> tuple[idnumber.IdInfo | None, str | None]:
    """The ID cell parsed (full-width digits, spaces, a leading apostrophe and a trailing ".0" are
    what spreadsheets add and are removed), or a refusal: a number of 16 digits or more (a
    spreadsheet keeps 15 significant digits, so the rest is lost), a text in scientific notation,
    a number of the wrong shape. "无", "不详" … count as empty."""
    if value is None:
        return None, None
    if type(value) is str and len(value) == 18 and value.isascii() and value[:17].isdigit():  # the usual clean cell
        info = idnumber.parse(value)
        if info.status in (idnumber.BAD_FORMAT, idnumber.BAD_DATE):
            return None, f"{_short(value)}：{info.message}"
        return info, None
    if isinstance(value, float) and value >= 1e15:
        shown = f"{value:.0f}"
        shown = shown[:15] + "?" * (
            len(shown) - 15
        )  # what is left of it: the 15 significant digits a spreadsheet keeps
        return None, f"{shown} 是电子表格存成数字的号码（15位以后的数字已丢失）：请在原表中把该列设为文本、按原件重填"
    text = unicodedata.normalize("NFKC", _text(value)).translate(_ID_JUNK).upper()
    if text in PLACEHOLDERS or not text:
        return None, None
    if "E+" in text:
        return None, f"{_short(text)} 是电子表格存成数字（科学计数法）的号码，后几位已丢失：请按原件重填为文本"
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    info = idnumber.parse(text)
    if info.status in (idnumber.BAD_FORMAT, idnumber.BAD_DATE):
        return None, f"{_short(_text(value))}：{info.message}"
    return info, None


def _short(text: str, n: int = 30) -> str:
    """``text`` cut to ``n`` characters for a message (a 5,000-digit cell is not repeated whole)."""
    return text if len(text) <= n else text[:n] + "…"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


ORDERS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
PARENT_YEARS = 15  # a child's ID whose birth date is this many years before the row's birth date is a parent's
MOTHER_MIN_YEARS = 12  # a mother's ID whose birth date is less than this before the child's is not hers


def birth_order(value: Any) -> int:
    """孩次 of a list's cell: ``2``, ``2.0``, ``二``, ``二孩``, ``第2孩``, ``2孩``; 0 when it is none."""
    text = unicodedata.normalize("NFKC", _text(value)).replace("第", "").replace("孩", "").replace("胎", "").strip()
    if text.endswith(".0"):
        text = text[:-2]
    n = int(text) if text.isdigit() else ORDERS.get(text, 0)
    return n if 1 <= n <= 20 else 0


@dataclass
class SheetChecks:
    """Per sheet: rows whose child ID number is a parent's by its birth date, and rows whose
    mother's ID number cannot be the mother's, out of the rows where both could be compared; the
    first such row of each, for the message when most rows are so (the column is mapped wrong)."""

    child_checked: int = 0
    child_parent: int = 0
    child_example: str = ""
    mother_checked: int = 0
    mother_wrong: int = 0
    mother_example: str = ""
    mother_same_day: int = 0  # of mother_wrong: her number's date is the row's date (the date column is hers)


class ColumnMismatch(OperatorError, ValueError):
    """A mapped column whose content contradicts its meaning in most rows (the mother's ID number
    under the child's field): the message names the column and the ``--map`` that fixes it."""


def _row_record(
    row: list,
    header: Header,
    sheet: str,
    row_no: int,
    source: str,
    texts: list[str] | None = None,
    village_of: Callable[[str], str] | None = None,
    checks: SheetChecks | None = None,
) -> tuple[dict | None, dict | None, list[dict]]:
    """``(record, error, warnings)`` for one data row (``texts``: its cells as text, when known).

    A row is refused (``error``) only when nothing in it names a person or its date is no date; an
    ID number that cannot be used (stored by a spreadsheet as a number, of the wrong shape, or
    by its birth date not the person's) is left out of the record and reported in ``warnings``,
    the rest of the row loaded (issue 12). A valid child ID number's birth date is the row's birth
    date where the row writes only a month or a year, or none (DESIGN.md §5: derived fields); a
    full date written on the row is kept as the list says it."""
    width = len(row)
    cells = {f: row[i] if i < width else None for i, f in header.columns.items()}
    texts = texts if texts is not None else [_text(v) for v in row]
    names = header.headers
    # a cell beyond the header (a row with one cell more) is kept under its column number, not lost
    raw = {(names[i] if i < len(names) else "") or f"第{i + 1}列": t for i, t in enumerate(texts) if t}
    rec: dict[str, Any] = {"source": source, "sheet": sheet, "row_no": row_no, "raw": _json(raw)}
    warnings: list[dict] = []

    def problem(field: str, message: str, level: str) -> dict:
        column = next((f"第{i + 1}列 {header.headers[i]}".strip() for i, f in header.columns.items() if f == field), "")
        return {
            "sheet": sheet,
            "row_no": row_no,
            "column": column,
            "value": _text(cells.get(field)),
            "message": message,
            "raw": rec["raw"],
            "level": level,
        }

    def error(field: str, message: str) -> tuple[None, dict, list]:
        return None, problem(field, message, "rejected"), []

    infos: dict[str, idnumber.IdInfo | None] = {}
    lost_date = ""
    own_unusable = False
    for key in ("id_number", "mother_id_number", "father_id_number"):
        info, bad = _id(cells.get(key), FIELD_NAMES[key])
        if bad:
            own_unusable = own_unusable or key == "id_number"
            warnings.append(problem(key, bad + "；已导入这一行的其他内容，这个号码不参加比对", "warning"))
            value = cells.get(key)
            if key == "id_number" and isinstance(value, float) and value >= 1e15:  # the first 15 digits are intact
                lost_date = f"{value:.0f}"[6:14]
        infos[key] = info
    rec["name"] = _text(cells.get("name"))
    if rec["name"] in PLACEHOLDERS:  # 无, 不详 … is no name
        rec["name"] = ""
    for key in ("mother_name", "father_name", "parent_name"):
        rec[key] = _text(cells.get(key))
        if rec[key] in PLACEHOLDERS:
            rec[key] = ""
    if not rec["name"] and not infos["id_number"] and not infos["mother_id_number"] and not rec["mother_name"]:
        if warnings:  # only an unusable number named the person
            return (
                None,
                dict(
                    warnings[0],
                    level="rejected",
                    message=warnings[0]["message"].split("；")[0]
                    + "；这一行没有别的能认出人的内容（姓名、母亲），未导入",
                ),
                [],
            )
        return error("name", "既没有姓名，也没有身份证号或母亲身份证号：无法与人员比对")
    born = cells.get("birth_date")
    written: tuple[str, str] | None = None
    if born is not None and _text(born):
        written = parse_date(born)
        if written is None:
            return error(
                "birth_date",
                f"出生日期「{_text(born)}」认不出：应为日期，如 2015-03-07 或 20150307（只有年月写 201503）",
            )
        if written[0] < EARLIEST_BIRTH:
            return error(
                "birth_date",
                f"出生日期「{_text(born)}」早于{EARLIEST_BIRTH[:4]}年，不合理：多半是一个数字被设成了日期格式"
                "（如 36 显示成 1900-02-05），请按原件核对",
            )
        if written[0] > idnumber.real_day().isoformat():
            return error("birth_date", f"出生日期「{_text(born)}」晚于今天，不合理：请按原件核对")
        if header.month_date and written[1] == "D" and written[0].endswith("-01"):
            written = (written[0], "M")  # 出生年月: a date cell formatted yyyy-mm holds the 1st of its month
    own, mother = infos["id_number"], infos["mother_id_number"]
    row_day = dt.date.fromisoformat(written[0]) if written else None
    if own is not None and own.birth_date and written is not None and row_day:
        if checks is not None:
            checks.child_checked += 1
        if own.birth_date <= add_years(row_day, -PARENT_YEARS):
            if checks is not None:
                checks.child_parent += 1
                checks.child_example = (
                    checks.child_example or f"第{row_no}行 {own.number}（{own.birth_date}）与出生日期 {written[0]}"
                )
            warnings.append(
                problem(
                    "id_number",
                    f"号码里的出生日期 {own.birth_date} 比本行的出生日期 {written[0]} 早{PARENT_YEARS}年以上："
                    "不是本人的号码（可能是母亲或父亲的）；已导入这一行的其他内容，这个号码不参加比对",
                    "warning",
                )
            )
            own, own_unusable = None, True
        elif own.ok and written[1] == "D" and own.birth_date != row_day:
            warnings.append(
                problem(
                    "birth_date",
                    f"出生日期 {written[0]} 与身份证号里的 {own.birth_date} 不同：按本行的出生日期导入，"
                    "比对时会列出这处不同；请按原件核对哪个对",
                    "warning",
                )
            )
    if mother is not None and mother.birth_date:
        child_day = (own.birth_date if own and own.ok else None) or row_day
        if child_day:
            if checks is not None:
                checks.mother_checked += 1
            if mother.birth_date > add_years(child_day, -MOTHER_MIN_YEARS):
                if checks is not None:
                    checks.mother_wrong += 1
                    checks.mother_same_day += mother.birth_date == child_day
                    checks.mother_example = (
                        checks.mother_example
                        or f"第{row_no}行 {mother.number}（{mother.birth_date}）与出生日期 {child_day}"
                    )
                warnings.append(
                    problem(
                        "mother_id_number",
                        f"母亲的号码里的出生日期 {mother.birth_date} 离孩子出生不到{MOTHER_MIN_YEARS}年："
                        "不是母亲的号码；已导入这一行的其他内容，这个号码不参加比对",
                        "warning",
                    )
                )
                mother = None
    rec["id_number"] = own.number if own else ""
    rec["id_number_18"] = own.number_18 if own and own.ok else ""
    rec["id_check"] = own.status if own else ("unusable" if own_unusable else "missing")
    rec["mother_id_number"] = mother.number if mother else ""
    father = infos["father_id_number"]
    rec["father_id_number"] = father.number if father else ""
    # the date a row gives: a full date written on it as the list says it (a WIS date keyed wrong is
    # a 错报 even where the child's ID holds the right day); a valid ID's day where the row gives only
    # a month or a year, or no date (a roll's 201809 becomes the day)
    if written and written[1] == "D":
        rec["birth_date"], rec["birth_date_prec"] = written
    elif own is not None and own.ok and own.birth_date:
        rec["birth_date"], rec["birth_date_prec"] = own.birth_date.isoformat(), "D"
    elif written:
        rec["birth_date"], rec["birth_date_prec"] = written
    elif own is not None and own.birth_date:
        rec["birth_date"], rec["birth_date_prec"] = own.birth_date.isoformat(), "D"
    elif lost_date and (day := idnumber._date(lost_date)):
        rec["birth_date"], rec["birth_date_prec"] = day.isoformat(), "D"
    else:
        rec["birth_date"], rec["birth_date_prec"] = "", "D"
    extra = {}
    if (
        written
        and written[1] != "D"
        and rec["birth_date"]
        and not rec["birth_date"].startswith(written[0][: 7 if written[1] == "M" else 4])
    ):
        extra["date_written"] = written[0][
            : 7 if written[1] == "M" else 4
        ]  # the month written, where the ID's day is in another
    sex = _text(cells.get("sex")).lower()
    rec["sex"] = SEX.get(sex, "") or (own.sex or "" if own else "")
    if rec["name"] and not rec["sex"] and (child := unnamed_child(rec["name"])):
        rec["sex"] = child[1]
    for key in ("address", "birth_cert_no", "household_no", "relation"):
        rec[key] = _text(cells.get(key))
    rec["birth_order"] = birth_order(cells.get("birth_order"))
    if _text(cells.get("birth_order")) not in ("", "0") and not rec["birth_order"]:
        warnings.append(
            problem(
                "birth_order", f"孩次「{_text(cells.get('birth_order'))}」认不出（应为 1、2、3 …）：未用", "warning"
            )
        )
    rec["village"] = _text(cells.get("village"))
    rec["village_code"] = village_of(rec["village"]) if rec["village"] and village_of else ""
    household = cells.get("household_no")
    if isinstance(household, float) and household >= 1e15:
        warnings.append(
            problem(
                "household_no",
                f"户号 {household:.0f} 是电子表格存成数字的（15位以后已丢失）：未用，请在原表中把该列设为文本",
                "warning",
            )
        )
        rec["household_no"] = ""
    relation = rec["relation"]
    if relation.isdigit() and len(relation) == 1:
        rec["relation"] = "0" + relation  # GB/T 4761 code 02 read from a number cell as 2
    rec["extra"] = _json(extra) if extra else "{}"
    return rec, None, warnings


def _check_columns(checks: SheetChecks, header: Header, sheet: str, sheets: int = 1) -> None:
    """Refuse a sheet where most rows say a mapped ID column is not what it is mapped as
    (:class:`ColumnMismatch` with the ``--map`` that fixes it)."""

    def column(field: str) -> str:
        return next((header.headers[i] or f"第{i + 1}列" for i, f in header.columns.items() if f == field), field)

    if checks.child_checked >= 3 and checks.child_parent * 2 > checks.child_checked:
        name = column("id_number")
        raise ColumnMismatch(
            f"工作表「{sheet}」的「{name}」列不是孩子本人的身份证号：{checks.child_parent}/{checks.child_checked} "
            "行号码里的出生日期"
            f"比该行出生日期早{PARENT_YEARS}年以上（如{checks.child_example}），是母亲（或父亲）的号码。"
            f"请指定：--map {name}=mother_id_number（界面：导入时把这一列选为母亲身份证号）"
            + (
                "。指定对所有工作表都有效：若别的工作表这一列是对的，请把这个工作表另存为一个文件单独导入"
                if sheets > 1
                else ""
            )
        )
    if (
        checks.mother_checked >= 3
        and checks.mother_wrong * 2 > checks.mother_checked
        and checks.mother_same_day * 2 > checks.mother_wrong
    ):
        date = column("birth_date")
        children = [
            h
            for h in header.headers
            if h and h != date and "出生" in h and any(w in h for w in ("子女", "孩子", "儿童", "婴儿", "新生儿"))
        ]
        fix = f"--map {children[0]}=birth_date" if children else "--map 孩子出生日期的表头=birth_date"
        raise ColumnMismatch(
            f"工作表「{sheet}」的「{date}」列是母亲本人的出生日期，不是孩子的："
            f"{checks.mother_same_day}/{checks.mother_checked} 行"
            f"与母亲身份证号里的出生日期相同（如{checks.mother_example}）。请指定孩子的出生日期列：{fix}"
        )
    if checks.mother_checked >= 3 and checks.mother_wrong * 2 > checks.mother_checked:
        name = column("mother_id_number")
        raise ColumnMismatch(
            f"工作表「{sheet}」的「{name}」列不是母亲的身份证号：{checks.mother_wrong}/{checks.mother_checked} "
            "行号码里的出生日期"
            f"离孩子出生不到{MOTHER_MIN_YEARS}年（如{checks.mother_example}）。请指定这一列的含义，如 --map "
            f"{name}=id_number"
            + (
                "。指定对所有工作表都有效：若别的工作表这一列是对的，请把这个工作表另存为一个文件单独导入"
                if sheets > 1
                else ""
            )
        )


def import_list(
    path: str | Path,
    source: str,
    *,
    replace: bool = False,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
    operator: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Load the list at ``path`` as ``source`` (a kind of :func:`storage.sources.profiles.profiles`).

    ``mapping`` maps column headers (or ``第N列``) to fields for a layout no profile knows; it is
    kept for the next list of that layout. ``progress(rows)`` is called every 5,000 rows. Raises
    :class:`SourceError` (unreadable file), :class:`UnknownLayout`, :class:`NeedsReplace`, or
    ``ValueError`` for an unknown source; nothing is written then.
    """
    sources, _ = profiles()
    if source not in sources:
        raise ValueError(f"来源「{source}」不对：可用 {'、'.join(f'{k}（{v}）' for k, v in sources.items())}")
    path = Path(path)
    check_file(path)  # its size, before the whole file is hashed
    digest = _sha256(path)
    report = ImportReport(None, source, path.name)
    same = ImportBatch.get_or_none(
        (ImportBatch.sha256 == digest) & (ImportBatch.source == source) & (ImportBatch.status == "active")
    )
    if same and not mapping:  # with a mapping the same file is read again (a sheet skipped before), replacing the batch
        report.same_file, report.batch_id = True, same.id
        report.rows_read, report.rows_loaded, report.rows_rejected = (
            same.rows_read,
            same.rows_loaded,
            same.rows_rejected,
        )
        report.rows_warned = same.rows_warned
        return report
    if encoding:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValueError(f"编码「{encoding}」不认识：老 .xls 一般用 gb18030") from None
    sheets = open_table(path, encoding=encoding)  # an unreadable file is said before anything else
    older = list(ImportBatch.select().where((ImportBatch.source == source) & (ImportBatch.status == "active")))
    if older and not replace:
        _any_list(sheets, source, mapping)  # a file with no list in it is refused as such, not after a confirmation
        names = "、".join(f"{b.file_name}（{b.imported_at[:10]}，{b.rows_loaded} 条）" for b in older)
        raise NeedsReplace(f"已导入过{sources[source]}：{names}。导入这一份将替换它：请确认（--replace）")
    con = RefRecord._meta.database.connection()
    cache = con.execute("PRAGMA cache_size").fetchone()[0]
    con.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KB}")  # the indexes' pages stay in memory while 100,000 rows go in
    try:
        return _load(path, source, sheets, digest, report, older, replace, mapping, operator, progress)
    finally:
        con.execute(f"PRAGMA cache_size = {cache}")


def _heads(sheets, n: int = 10) -> Iterator[tuple[Any, Iterator[list], list[list]]]:
    """``(sheet, its row iterator, its first n rows)`` for every sheet with something in its first
    rows (empty sheets are passed over); the iterator goes on after those rows."""
    for sheet in sheets:
        rows = sheet.rows()
        head_rows: list[list] = []
        for row in rows:
            head_rows.append(row)
            if len(head_rows) == n:
                break
        if any(any(_text(v) for v in r) for r in head_rows):
            yield sheet, rows, head_rows
        elif hasattr(rows, "close"):
            rows.close()


def _any_list(sheets, source: str, mapping: dict[str, str] | None) -> None:
    """Raise what the import would raise when no sheet is a list (:class:`UnknownLayout`, or
    :class:`SourceError` when every sheet is empty or has its header only); a sheet is read up to
    its first row under the header."""
    skipped = []
    header_only = False
    for sheet, rows, head_rows in _heads(sheets):
        try:
            header = _header(source, sheet.name, head_rows, mapping)
        except UnknownLayout as exc:
            skipped.append(exc)
            if hasattr(rows, "close"):
                rows.close()
            continue
        filled = any(any(_text(v) for v in r) for r in head_rows[header.last + 1 :]) or any(
            any(_text(v) for v in r) for r in rows
        )  # a row under the header (the rest of a sheet already read into memory by its reader)
        if hasattr(rows, "close"):
            rows.close()
        if filled:
            return
        header_only = True
    if header_only:  # said before asking to replace a loaded list (a newcomer's finding: asked first)
        raise SourceError("只有表头，没有数据行：请确认导出了数据")
    _no_list(skipped)


@dataclass
class Preview:
    """What the import screen shows before importing: the number of sheets, the first rows of the
    first sheet that is a list (else of the first sheet with something in it), and its header as
    the profiles or a kept mapping read it (``None``: the mapping step is needed)."""

    sheets: int
    rows: list[list]
    header: Header | None


def preview_list(path: str | Path, source: str, *, n: int = 12) -> Preview:
    """The :class:`Preview` of the list at ``path`` as ``source``. Raises :class:`SourceError` for
    an unreadable file or one whose sheets are all empty."""
    sheets = open_table(path)
    first: list[list] = []
    for _sheet, rows, head_rows in _heads(sheets, n):
        if hasattr(rows, "close"):
            rows.close()
        header = known_header(source, head_rows)
        if header is not None:
            return Preview(len(sheets), head_rows, header)
        first = first or head_rows
    if not first:
        _no_list([])
    return Preview(len(sheets), first, None)


def _no_list(skipped: list[UnknownLayout]) -> None:
    """Raise for a file none of whose sheets is a list: every sheet empty, or none with a known header."""
    if not skipped:
        raise SourceError("文件里没有数据（工作表都是空的）：请确认导出了名单")
    if all(e.problem for e in skipped):  # a mapping was given and fits no sheet: say why for each
        raise ValueError("指定的列对不上：" + "；".join(e.problem for e in skipped))
    if len(skipped) > 1:  # name every sheet, not only the first
        skipped[0].args = (
            f"没有一个工作表是名单（表头认不出：{'、'.join(e.sheet for e in skipped)}）：请指定列的含义，如 --map "
            "第2列=name",
        )
    raise skipped[0]


STALE_LOADING_HOURS = 12  # a batch still "loading" this long after it began was left by a killed import


def _load(path, source, sheets, digest, report, older, replace, mapping, operator, progress) -> ImportReport:
    """Stage the rows, then publish them (see :func:`import_list`).

    The rows go in as they are read, 5,000 at a time, each in its own short write transaction, under
    a batch whose status is ``loading``: nothing reads such a batch, so the list is not visible
    half-loaded, and a clerk's save waits for one chunk at most, not for the whole file (issue 14:
    200,000 rows held the lock 26 s). One short transaction then publishes the batch (``active``)
    and retires the one it replaces; a failure removes what was staged; a kill leaves a ``loading``
    batch that the next import removes (:data:`STALE_LOADING_HOURS`). All or nothing, as before."""
    errors: list[dict] = []
    used: dict[str, str] = {}
    skipped: list[UnknownLayout] = []
    with write_txn():
        _drop_stale_batches()
        batch = ImportBatch.create(
            source=source,
            file_name=path.name,
            sha256=digest,
            sheets="、".join(s.name for s in sheets),
            imported_at=now_iso(),
            operator=operator or operator_login(),
            status="loading",
        )
    try:
        loaded, lists = _read_sheets(
            sheets, source, mapping, RecordWriter(batch.id), report, errors, used, skipped, progress
        )
        if not lists:
            _no_list(skipped)
        report.skipped_sheets = [e.sheet for e in skipped]
        if report.rows_read == 0:
            raise SourceError("只有表头，没有数据行：请确认导出了数据")
        if loaded == 0:
            first = next((e for e in errors if e["level"] == "rejected"), None)
            example = (
                f"（如 {first['sheet']} 第{first['row_no']}行 {first['column']}：{first['message']}）" if first else ""
            )
            raise SourceError(
                f"{report.rows_read} 行没有一行能导入{example}：没有导入，已导入的名单不变。请改正后再导入"
            )
        for i in range(0, len(errors), 2000):
            with write_txn():
                RowError.insert_many([dict(e, batch=batch.id) for e in errors[i : i + 2000]]).execute()
        if "household_no" in used.values() and "relation" in used.values():
            with write_txn():
                report.parents_found = derive_parents(batch.id)
        rejected = [e for e in errors if e["level"] == "rejected"]
        with write_txn():  # publish: the new list and the end of the one it replaces, at one moment
            for old in older:
                old.status = "replaced"
                old.save()
                report.replaced += old.rows_loaded
            batch.rows_read, batch.rows_loaded, batch.rows_rejected = report.rows_read, loaded, len(rejected)
            batch.rows_duplicate, batch.mapping, batch.status = (
                report.rows_duplicate,
                json.dumps(used, ensure_ascii=False),
                "active",
            )
            batch.rows_warned, batch.unused_columns = (
                report.rows_warned,
                json.dumps(report.unused_columns, ensure_ascii=False),
            )
            batch.save()
            if mapping:  # kept by header text (a column number means nothing in the next list)
                by_text = {h: f for h, f in used.items() if not (h.startswith("第") and h.endswith("列"))}
                if by_text:
                    HeaderMapping.insert(
                        source=source,
                        headers=json.dumps(sorted(by_text), ensure_ascii=False),
                        mapping=json.dumps(by_text, ensure_ascii=False),
                        saved_at=now_iso(),
                    ).on_conflict_replace().execute()
    except BaseException:
        _drop_batch_rows(batch.id, drop_batch=True)  # nothing of a failed import stays
        raise
    for old in older:  # the replaced list's rows, no longer read, go in short steps
        _drop_batch_rows(old.id)
    report.batch_id, report.rows_loaded, report.rows_rejected, report.errors = (
        batch.id,
        loaded,
        len(rejected),
        rejected[:20],
    )
    report.warned = [e for e in errors if e["level"] == "warning"][:20]
    return report


def _drop_batch_rows(batch_id: int, *, drop_batch: bool = False) -> None:
    """Delete a batch's records (and their keys, by cascade) 5,000 at a time, each step a short
    write transaction; with ``drop_batch`` the batch and its row errors too."""
    while True:
        with write_txn():
            ids = [r.id for r in RefRecord.select(RefRecord.id).where(RefRecord.batch == batch_id).limit(5000)]
            if ids:
                RefKey.delete().where(RefKey.record.in_(ids)).execute()
                RefRecord.delete().where(RefRecord.id.in_(ids)).execute()
            elif drop_batch:
                RowError.delete().where(RowError.batch == batch_id).execute()
                ImportBatch.delete().where(ImportBatch.id == batch_id).execute()
        if not ids:
            return


def _drop_stale_batches() -> None:
    """Remove batches a killed import left ``loading`` (in the caller's transaction: few rows, or a
    whole file's in the rare case of a kill)."""
    cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=STALE_LOADING_HOURS)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for stale in ImportBatch.select().where((ImportBatch.status == "loading") & (ImportBatch.imported_at < cutoff)):
        ids = RefRecord.select(RefRecord.id).where(RefRecord.batch == stale.id)
        RefKey.delete().where(RefKey.record.in_(ids)).execute()
        RefRecord.delete().where(RefRecord.batch == stale.id).execute()
        RowError.delete().where(RowError.batch == stale.id).execute()
        stale.delete_instance()


def _read_sheets(
    sheets,
    source,
    mapping,
    writer: RecordWriter,
    report: ImportReport,
    errors: list[dict],
    used: dict[str, str],
    skipped: list[UnknownLayout],
    progress,
) -> tuple[int, int]:
    """Read every sheet's rows into ``writer`` (records) and ``errors``; ``(records added, sheets
    that are lists)``."""
    from .office import village_resolver

    seen: set[tuple] = set()
    loaded = lists = 0
    chunk: list[dict] = []
    # what a header says where the ID numbers should be (a header repeated on every printed page)
    id_headers = {h for h, f in profiles()[1].items() if f.endswith("id_number")} | {"号码", "证件号码"}
    village_of = village_resolver()
    mapped = False
    for sheet, rows, head_rows in _heads(sheets):
        try:
            header = _header(source, sheet.name, head_rows, mapping)
        except UnknownLayout as exc:
            skipped.append(exc)  # a note or summary sheet; refused only when no sheet is a list
            continue
        lists += 1
        used.update({header.headers[i] or f"第{i + 1}列": f for i, f in header.columns.items()})
        prefix = f"{sheet.name}：" if len(sheets) > 1 else ""
        unused = header.unused()
        if source == "gpl":  # a migrant system's own columns: hecha migrants gpl reads them from the raw row
            from .sources.gpl import gpl_header

            unused = [c for c in unused if not gpl_header(c.split(" ", 1)[1])]
        report.unused_columns.extend(prefix + c for c in unused)
        if header.layout and header.layout not in report.layouts:
            report.layouts.append(header.layout)
        checks = SheetChecks()
        width_named = len(header.headers)
        beyond: dict[int, int] = {}  # cells in columns the header does not reach: column → rows with one
        header_columns = sorted(header.columns)
        header_texts = (
            [_text(head_rows[header.last][i]) if i < len(head_rows[header.last]) else "" for i in header_columns]
            if header.last < len(head_rows)
            else []
        )
        if not any(header_texts):
            header_texts = []
        numbered = list(enumerate(head_rows, start=1))[header.last + 1 :]
        id_columns = [i for i, f in header.columns.items() if f.endswith("id_number")]
        fill = [i for i, f in header.columns.items() if f in header.fill_down]
        above: list = []

        skip = len(head_rows)

        def data(numbered=numbered, rows=rows, skip=skip):
            yield from numbered
            yield from enumerate(rows, start=skip + 1)

        for row_no, row in data():
            texts = [_text(v) for v in row]
            first = next((t for t in texts if t), "")
            if (
                not first
                or any(t.replace(" ", "").startswith(TOTALS) for t in texts[:3])
                or any(t.replace(" ", "").startswith(FOOTERS) for t in texts if t and t[0] in _FOOTER_STARTS)
            ):
                # an empty row, a totals row (合计 12人, or 8 | 合计 after a 序号) or a footer (审核人：…): no person
                continue
            if fill:
                if all(i >= len(texts) or not texts[i] for i in fill) and above:
                    row = list(row) + [None] * max(0, max(fill) + 1 - len(row))
                    for i in fill:
                        row[i] = above[i] if i < len(above) else None
                    texts = [_text(v) for v in row]
                    report.rows_filled += 1
                elif any(i < len(texts) and texts[i] for i in fill):
                    above = list(row)
                elif not above:  # the woman's cells empty and no row above to take them from
                    errors.append(
                        {
                            "sheet": sheet.name,
                            "row_no": row_no,
                            "column": "",
                            "value": "",
                            "level": "warning",
                            "raw": "{}",
                            "message": "育龄妇女的信息（姓名、身份证号、村）是空的，上面也没有她的行："
                            "已导入孩子，母亲不详；请在原表中补上",
                        }
                    )
                    report.rows_warned += 1
            if header_texts and [texts[i] if i < len(texts) else "" for i in header_columns] == header_texts:
                continue  # the header again (a list printed page by page repeats it)
            if id_columns and all(
                i < len(texts) and clean(texts[i]) in id_headers and not any(c.isdigit() for c in texts[i])
                for i in id_columns
            ):
                continue  # a header row where the ID numbers should be (号码, 身份证号): columns mapped by number
            report.rows_read += 1
            for i in range(width_named, len(texts)):  # a cell beyond the header: kept, and reported below
                if texts[i]:
                    beyond[i] = beyond.get(i, 0) + 1
            rec, err, warned = _row_record(row, header, sheet.name, row_no, source, texts, village_of, checks)
            if err:
                errors.append(err)
                continue
            assert rec is not None  # _row_record gives a record whenever it gives no error
            report.warnings += rec["id_check"] == idnumber.BAD_CHECKSUM
            if warned:
                report.rows_warned += 1
                errors.extend(warned)
            if rec["village"] and not rec["village_code"]:
                report.villages_unknown[rec["village"]] = report.villages_unknown.get(rec["village"], 0) + 1
            key = (
                (rec["id_number_18"] or rec["id_number"],)
                if rec["id_number"]
                else (normalize(rec["name"]), rec["birth_date"], rec["mother_id_number"])
            )
            if key in seen:
                report.rows_duplicate += 1
            seen.add(key)
            chunk.append(rec)
            if len(chunk) == 5000:
                writer.add(chunk)
                loaded += len(chunk)
                chunk = []
            if progress and report.rows_read % 5000 == 0:
                progress(report.rows_read)
        report.unused_columns.extend(f"{prefix}第{i + 1}列（无表头，{n} 行有内容）" for i, n in sorted(beyond.items()))
        _check_columns(
            checks, header, sheet.name, len(sheets)
        )  # a column mapped wrong: the whole import is refused (rolled back)
        mapped = mapped or header.by_hand
    if (
        mapping and lists and not mapped
    ):  # read as the profiles read it, but the mapping given fits no sheet: a typing error
        raise ValueError(
            "指定的列对不上：" + "、".join(mapping) + " 不是任何工作表的表头（表头要与文件中的一字不差，或写 第N列）"
        )
    writer.add(chunk)
    return loaded + len(chunk), lists


def _header(source: str, sheet: str, head_rows: list[list], mapping: dict[str, str] | None) -> Header:
    """The sheet's header: from the profiles, a mapping given now, or one saved for this layout. A
    mapping by header text applies to the sheets that have those headers; another sheet the
    profiles can read is read as they read it (two schools' rolls, one with a header of its own)."""
    if mapping:
        by_position = {}
        width = max((len(r) for r in head_rows), default=0)
        present = {clean(v) for r in head_rows for v in r if v is not None}
        base = known_header(
            source, head_rows
        )  # what the profiles or a kept mapping already read: kept where not remapped
        if base is not None:
            present |= set(
                base.headers
            )  # headers joined from a group title (配偶 over 姓名: 配偶姓名) as the report names them
        for key, fld in mapping.items():
            if key.startswith("第") and key.endswith("列") and key[1:-1].isdigit():
                column = int(key[1:-1])
                if not 1 <= column <= width:  # this sheet is not the one mapped (a note sheet): skipped
                    raise UnknownLayout(
                        sheet,
                        [[_text(v) for v in r] for r in head_rows[:3]],
                        f"{key}：工作表「{sheet}」只有 {width} 列（第1列到第{width}列）",
                    )
                by_position[column - 1] = fld
            elif clean(key) not in present:
                if base is not None and not any(k.startswith("第") for k in mapping):
                    return (
                        base  # a mapping names the headers of another sheet: this one is read as the profiles read it
                    )
                raise UnknownLayout(
                    sheet,
                    [[_text(v) for v in r] for r in head_rows[:3]],
                    f"{key}：工作表「{sheet}」的前几行没有这个表头",
                )
        found = find_header(head_rows, saved={k: v for k, v in mapping.items() if not k.startswith("第")})
        by_text: dict[int, str] = {}
        row_at = 0
        if found is None:  # fewer named columns than a header needs: name them on the row that holds them
            texts = {clean(k): f for k, f in mapping.items() if not (k.startswith("第") and k.endswith("列"))}
            row_at = (
                base.last
                if base is not None
                else next(
                    (n for n, r in enumerate(head_rows) if texts.keys() & {clean(v) for v in r if v is not None}), 0
                )
            )
            by_text = {
                i: texts[clean(v)] for i, v in enumerate(head_rows[row_at]) if v is not None and clean(v) in texts
            }
        if found is None and (by_position or by_text):
            found = base or Header(row_at, row_at, tuple(clean(v) for v in head_rows[row_at]), {})
            found = Header(found.first, found.last, found.headers, by_text, found.layout, found.fill_down)
        if found is not None:
            given = {**found.columns, **by_position}
            kept = (
                {i: f for i, f in base.columns.items() if i not in given and f not in given.values()}
                if base is not None and base.last == found.last
                else {}
            )
            return Header(
                found.first, found.last, found.headers, {**kept, **given}, found.layout, found.fill_down, True
            )
    found = known_header(source, head_rows)
    if found is None:
        raise UnknownLayout(sheet, [[_text(v) for v in r] for r in head_rows[:3]])
    return found


def known_header(source: str, head_rows: list[list]) -> Header | None:
    """The header of a sheet's first rows as the profiles or a mapping kept for ``source`` read
    it, or ``None`` when neither names the person (name, ID number or mother's ID). The import
    and the import screen's preview both ask this."""
    found = find_header(head_rows)
    present = {clean(v) for r in head_rows for v in r if v is not None}
    for saved in HeaderMapping.select().where(HeaderMapping.source == source):
        mapping = json.loads(saved.mapping)
        if found is not None and not all(clean(h) in present for h in mapping):
            continue  # a mapping kept for another layout
        with_saved = find_header(head_rows, saved=mapping)
        if with_saved is not None and (found is None or len(with_saved.columns) >= len(found.columns)):
            found = with_saved  # the hand mapping kept for this layout (used even where the profiles read the rest)
            break
    if found is None or not ({"name", "id_number", "mother_id_number"} & set(found.columns.values())):
        return None
    return found


COLUMNS = (
    "id",
    "batch_id",
    "source",
    "sheet",
    "row_no",
    "raw",
    "name",
    "sex",
    "birth_date",
    "birth_date_prec",
    "id_number",
    "id_number_18",
    "id_check",
    "mother_name",
    "mother_id_number",
    "father_name",
    "father_id_number",
    "address",
    "birth_cert_no",
    "extra",
    "birth_order",
    "village",
    "village_code",
    "parent_name",
    "household_no",
    "relation",
)


OPTIONAL = {"birth_order": 0, "village": "", "village_code": "", "parent_name": "", "household_no": "", "relation": ""}
"""Columns a record may leave out (schema 12): a writer fills them with these."""


class RecordWriter:
    """Inserts reference records of one batch and their name keys (prepared statements,
    executemany), a chunk per short write transaction. Record ids are given, not left to SQLite
    (max id + 1 onwards, read inside the transaction that holds the write lock), so a key names its
    record without reading it back. Every record has every column of :data:`COLUMNS` but ``id`` and ``batch_id``.

    (Tried and left: the statements in a second thread, to overlap SQLite's index updates with the
    reading of the next rows. executemany takes the GIL back for every row, so the two threads
    take turns instead of overlapping: no faster, 15 MB more.)"""

    def __init__(self, batch_id: int):
        self.con = RefRecord._meta.database.connection()
        self.batch_id = batch_id
        self.next_id = (RefRecord.select(RefRecord.id).order_by(RefRecord.id.desc()).scalar() or 0) + 1
        self.record_sql = f'INSERT INTO "ref_record" ({", ".join(COLUMNS)}) VALUES ({", ".join("?" * len(COLUMNS))})'
        self.key_sql = f'INSERT INTO "{RefKey._meta.table_name}" ("record_id", "kind", "key") VALUES (?, ?, ?)'
        self.values = itemgetter(*COLUMNS[2:])

    def add(self, records: list[dict]) -> None:
        """Write ``records`` and their homophone keys (what :func:`storage.dedup.ref_candidates` looks
        up) in one short write transaction; ids continue from the largest one there now (another
        import may have written meanwhile)."""
        if not records:
            return
        with write_txn():
            self.next_id = max(
                self.next_id, (RefRecord.select(RefRecord.id).order_by(RefRecord.id.desc()).scalar() or 0) + 1
            )
            self._add(records)

    def _add(self, records: list[dict]) -> None:
        rows: list[tuple[Any, ...]] = []
        keys: list[tuple[int, str, str]] = []
        rid = self.next_id
        for rec in records:
            for key, value in OPTIONAL.items():
                rec.setdefault(key, value)
            rows.append((rid, self.batch_id, *self.values(rec)))
            name = rec["name"]
            if name and not unnamed_child(name):
                keys.extend((rid, "h", key) for key in name_keys(name).homophone_keys)
            rid += 1
        self.con.executemany(self.record_sql, rows)
        self.con.executemany(self.key_sql, keys)
        self.next_id = rid


HEAD = frozenset({"户主", "本人", "01", "02"})
SPOUSE = frozenset({"妻", "妻子", "夫", "丈夫", "配偶", "10", "11", "12"})
CHILDREN = frozenset(
    {
        "子",
        "女",
        "儿子",
        "女儿",
        "长子",
        "次子",
        "三子",
        "四子",
        "五子",
        "长女",
        "次女",
        "三女",
        "四女",
        "五女",
        "独生子",
        "独生女",
        "养子",
        "养女",
        "继子",
        "继女",
        "养子或继子",
        "养女或继女",
        "其他儿子",
        "其他女儿",
    }
)


def _is_child(relation: str) -> bool:
    """Whether a relationship to the head (GB/T 4761 code or its words) makes the person the
    head's son or daughter: 子, 女, 长子, 次女, 养子 … (codes 20–27, 29–37, 39), not 女婿, 儿媳, 孙子, 妻子."""
    text = relation.strip()
    if text.isdigit() and len(text) == 2:
        return 20 <= int(text) <= 39 and text not in ("28", "38")
    return text in CHILDREN


def derive_parents(batch_id: int) -> int:
    """Give the children of a police register (户号 and 与户主关系) their mother and father from
    their household: the woman among the head and the head's spouse is the mother of the head's
    children, the man their father (GB/T 4761 codes or words). A 户号 with no head or two heads
    (two families) is left alone. Only empty fields are filled; the record's ``extra`` says
    ``parents_from: 户号``. Returns the children given a parent. Runs in a write transaction of the caller's."""
    con = RefRecord._meta.database.connection()
    rows = con.execute(
        "SELECT id, household_no, relation, sex, name, id_number, mother_name, mother_id_number, "
        'father_name, father_id_number, extra FROM ref_record WHERE batch_id = ? AND household_no != "" '
        "ORDER BY household_no, id",
        (batch_id,),
    )  # one 户号 at a time (SQLite sorts): a register's 100,000 rows held at once were 40 MB of the import's peak
    sql = (
        "UPDATE ref_record SET mother_name = ?, mother_id_number = ?, father_name = ?, father_id_number = ?, "
        "extra = ? WHERE id = ?"
    )
    updates: list[tuple] = []
    given = 0
    for _, group in groupby(rows, key=itemgetter(1)):
        members = list(group)
        if sum(1 for m in members if m[2].strip() in HEAD) != 1:
            continue  # no head, or two families under one 户号: whose child is whose cannot be said
        adults = [m for m in members if m[2].strip() in HEAD or m[2].strip() in SPOUSE]
        mothers = [m for m in adults if m[3] == "2"]
        fathers = [m for m in adults if m[3] == "1"]
        mother = mothers[0] if len(mothers) == 1 else None
        father = fathers[0] if len(fathers) == 1 else None
        if mother is None and father is None:
            continue
        for m in members:
            if not _is_child(m[2]):
                continue
            rid, m_name, m_id, f_name, f_id = m[0], m[6], m[7], m[8], m[9]
            new = (
                m_name or (mother[4] if mother else ""),
                m_id or (mother[5] if mother else ""),
                f_name or (father[4] if father else ""),
                f_id or (father[5] if father else ""),
            )
            if new != (m_name, m_id, f_name, f_id):
                extra = json.loads(m[10] or "{}")
                extra["parents_from"] = "户号"
                updates.append((*new, _json(extra), rid))
        if len(updates) >= 5000:
            con.executemany(sql, updates)
            given += len(updates)
            updates = []
    con.executemany(sql, updates)
    return given + len(updates)
