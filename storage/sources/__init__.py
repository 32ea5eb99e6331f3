"""Readers for reference lists (外部名单, issue 6): ``.xls``, ``.xlsx``, ``.csv``/``.txt``, and the
"``.xls``" files that are really HTML, XML or text.

:func:`open_table` sniffs what a file really is from its first bytes (not its name) and returns its
sheets; each sheet yields its rows as lists of cell values (``str``, ``float``, ``int``,
``datetime.date``/``datetime``, or ``None``), one row at a time where the format allows (``.xls``
and ``.csv`` are streamed; ``.xlsx`` is read per sheet by python-calamine). Raises
:class:`SourceError` with a Chinese message saying what the file is and what to do.

- ``.xls`` (BIFF): xlrd, dates from the workbook's date mode; ``encoding`` overrides a missing or
  wrong codepage of old (BIFF5) workbooks (GBK/GB18030 on Chinese machines).
- ``.xlsx``: python-calamine (measured in the issue: 0.47 s against openpyxl's 5.7 s for 65,536
  rows × 8 columns).
- ``.csv``/``.txt``: UTF-8 with or without BOM, else GB18030 (a superset of GBK); comma or tab.
- HTML tables saved as ``.xls`` (web exports of the national systems) are read; Excel 2003 XML and
  other text are refused with what they are.

Nothing a file says is trusted before it is measured (issue 14): the file's size, a ``.xlsx``'s
unpacked size and each sheet's used range (scanned from its XML before python-calamine allocates
the range: one cell at XFD1048576 asked it for 512 GiB), a cell's length, an HTML cell's
``colspan``; a password-protected workbook is named as such. Every reader error becomes a
:class:`SourceError`.
"""

from __future__ import annotations

import csv
import io
import mmap
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from ..errors import OperatorError

Row = list[Any]

MAX_FILE_BYTES = 300 * 1024 * 1024  # a million-row .xls is about 150 MB; anything larger is not a list
MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024  # a .xlsx's parts unpacked (a zip bomb stops here)
MAX_COLUMNS = 1000  # lists have tens of columns; an HTML colspan or a sheet beyond this is damage
MAX_ROWS = 1_048_576  # a sheet's rows in Excel; an HTML rowspan is cut to it
MAX_CELLS = 20_000_000  # rows × columns of a sheet's used range: calamine holds it whole (~32 bytes a cell)
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
ENCRYPTED = (
    "文件有密码保护（加密的 Excel 表格）：请在 Excel/WPS 里输入密码打开，去掉密码（文件→信息→保护工作簿）另存后再导入"
)


class SourceError(OperatorError):
    """A file that cannot be read as a list; the message says what it is and how to fix it, but
    not which file: the caller names it (the command line with its path, the screen with its name)."""


@dataclass
class Sheet:
    """One sheet: its ``name`` and a callable giving its rows (1-based row numbers are positions)."""

    name: str
    rows: Callable[[], Iterator[Row]]


def sniff(path: Path) -> str:
    """What the file really is, from its first bytes: ``xls``, ``xlsx``, ``html``, ``xml``, ``csv``
    (text), ``empty`` or ``binary``."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        return "empty"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "csv"  # UTF-16 text (Excel's "Unicode text")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<?xml") and b"<html" not in text:
        return "xml"
    if text.startswith((b"<html", b"<!doctype html", b"<table", b"<meta", b"<head")) or b"<table" in text[:2048]:
        return "html"
    if b"\x00" in head:
        return "binary"
    return "csv"


def decode(data: bytes) -> str:
    """Text of a file: UTF-8 (BOM or not) when it is valid UTF-8, else GB18030 (GBK's superset)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"文件既不是 UTF-8 也不是 GBK/GB18030 文本（第 {exc.start} 字节）：请用 Excel/WPS 另存为 .xlsx 再导入"
        ) from None


def _xls(path: Path, encoding: str | None) -> list[Sheet]:
    import xlrd

    quiet = open(os.devnull, "w")  # xlrd writes its "WARNING *** file size" lines to stdout otherwise
    try:
        book = xlrd.open_workbook(
            str(path), encoding_override=encoding, on_demand=True, formatting_info=False, logfile=quiet
        )
    except Exception as exc:  # a damaged or cut-off file raises anything from xlrd's internals (CompDocError …)
        if "encrypted" in str(exc).lower() or _encrypted_ooxml(path):
            raise SourceError(ENCRYPTED) from None
        raise SourceError(
            "读不出（文件不完整或已损坏）：请重新拷贝或从原系统重新导出；能用 Excel/WPS 打开的，另存为 .xlsx 再导入"
        ) from None

    def reader(index: int) -> Callable[[], Iterator[Row]]:
        def rows() -> Iterator[Row]:
            try:
                sheet = book.sheet_by_index(index)
            except Exception:  # the sheet's records are read only now: a damaged one fails here
                raise SourceError(
                    f"工作表「{book.sheet_names()[index]}」读不出（文件不完整或已损坏）：请重新拷贝或从原系统重新导出"
                ) from None
            date, empty = xlrd.XL_CELL_DATE, (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK)
            try:
                for r in range(sheet.nrows):
                    values, types = sheet.row_values(r), sheet.row_types(r)  # no Cell object per cell
                    for i, kind in enumerate(types):
                        if kind == date:
                            try:
                                values[i] = xlrd.xldate.xldate_as_datetime(values[i], book.datemode)
                            except (ValueError, OverflowError):
                                pass
                        elif kind in empty:
                            values[i] = None
                    yield values
            finally:
                book.unload_sheet(index)  # a read sheet's cells go before the next sheet is loaded

        return rows

    return [Sheet(name, reader(i)) for i, name in enumerate(book.sheet_names())]


def _encrypted_ooxml(path: Path) -> bool:
    """Whether a compound (OLE) file holds an ``EncryptedPackage`` stream: a password-protected
    .xlsx (ECMA-376 encryption wraps the package in a compound file, so it sniffs as .xls)."""
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return data.find("EncryptedPackage".encode("utf-16-le")) >= 0


_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]{0,200}?\br=\"([A-Z]{1,3})([0-9]{1,7})\"")


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _check_xlsx(path: Path) -> None:
    """Measure a .xlsx before python-calamine reads it: its parts unpacked, and each sheet's used
    range from the cell references in its XML (read in 1 MB pieces). Raises :class:`SourceError`."""
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return  # calamine says what is wrong with it
    with book:
        parts = book.infolist()
        if sum(p.file_size for p in parts) > MAX_UNZIPPED_BYTES:
            raise SourceError(f"表格解压后超过 {MAX_UNZIPPED_BYTES >> 20} MB，不像名单：请确认选对了文件")
        for part in parts:
            if not (part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml")):
                continue
            rows, cols = [1 << 30, 0], [1 << 30, 0]
            try:
                with book.open(part) as fh:
                    tail = b""
                    while chunk := fh.read(1 << 20):
                        piece = tail + chunk
                        for m in _CELL_REF.finditer(piece):
                            col, row = _column_number(m.group(1)), int(m.group(2))
                            rows[:] = min(rows[0], row), max(rows[1], row)
                            cols[:] = min(cols[0], col), max(cols[1], col)
                        tail = piece[-256:]
            except Exception:  # noqa: BLE001 - a damaged part (zlib, CRC …): the reader below refuses it in words
                return
            if rows[1] and (
                cols[1] - cols[0] + 1 > MAX_COLUMNS or (rows[1] - rows[0] + 1) * (cols[1] - cols[0] + 1) > MAX_CELLS
            ):
                name = Path(part.filename).stem
                raise SourceError(
                    f"工作表 {name} 的内容一直用到第 {rows[1]} 行、第 {cols[1]} 列（远处有零星内容，可能是误输入）："
                    "请在 Excel/WPS 里删去名单以外的行和列，另存后再导入"
                )


def _xlsx(path: Path) -> list[Sheet]:
    from python_calamine import CalamineWorkbook

    _check_xlsx(path)
    try:
        # from the content: a .xlsx renamed .xls is still read (from_path goes by the name)
        with open(path, "rb") as fh:
            book = CalamineWorkbook.from_filelike(fh)
    except Exception:  # calamine raises its own error types, in English
        raise SourceError("读不出这个 .xlsx 文件（文件不完整或已损坏）：请用 Excel/WPS 打开后另存再导入") from None

    def reader(name: str) -> Callable[[], Iterator[Row]]:
        def rows() -> Iterator[Row]:
            # iter_rows: one Python row at a time (to_python builds the whole sheet's lists first: 25 MB
            # more for 100,000 rows). It starts at the first used column: the columns before it are
            # put back, so that column numbers (第N列) are those of the file, as with xlrd.
            try:
                sheet = book.get_sheet_by_name(name)
                pad = [None] * (sheet.start[1] if sheet.start else 0)
                for row in sheet.iter_rows():
                    yield pad + [None if v == "" else v for v in row]
            except Exception:  # noqa: BLE001 - calamine's own error types: a damaged or hostile sheet
                raise SourceError(
                    f"工作表「{name}」读不出（文件已损坏或被改动）：请用 Excel/WPS 打开后另存再导入"
                ) from None

        return rows

    return [Sheet(name, reader(name)) for name in book.sheet_names]


def _csv(path: Path) -> list[Sheet]:
    text = decode(path.read_bytes())
    if "\n" not in text and "\r" in text:  # "CSV (Macintosh)": lines end in CR alone
        text = text.replace("\r", "\n")
    first = text.split("\n", 1)[0]
    delimiter = max("\t,;", key=first.count)  # tab, comma or semicolon: whichever the header line uses most
    csv.field_size_limit(MAX_CELL_CHARS)
    for no, line in enumerate(io.StringIO(text), start=1):  # before the csv module builds a row of them all
        if line.count(delimiter) > 10 * MAX_COLUMNS:  # quoted separators in notes are a few, not thousands
            raise SourceError(
                f"第 {no} 行有 {line.count(delimiter) + 1} 格以上，超过 {MAX_COLUMNS} 列：不像名单；"
                "请检查分隔符，或用 Excel/WPS 打开后另存为 .xlsx 再导入"
            )

    def rows() -> Iterator[Row]:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        try:
            before = 0
            for row in reader:
                if reader.line_num - before > 3:  # one row took several lines: a quote opened and not closed
                    raise SourceError(
                        f"第 {before + 1} 行的引号没有配对，把后面 {reader.line_num - before - 1} 行吞进了一格："
                        "请用 Excel/WPS 打开检查这一行，另存为 .xlsx 再导入"
                    )
                before = reader.line_num
                if len(row) > MAX_COLUMNS:  # checked before anything copies the row
                    raise SourceError(
                        f"第 {reader.line_num} 行有 {len(row)} 格，超过 {MAX_COLUMNS} 列：不像名单；"
                        "请检查分隔符，或用 Excel/WPS 打开后另存为 .xlsx 再导入"
                    )
                yield [v if v.strip() else None for v in row]
        except csv.Error:
            raise SourceError(
                f"第 {reader.line_num} 行读不下去：有一格超过 {MAX_CELL_CHARS} 个字，或引号没有配对："
                "请用 Excel/WPS 打开检查这一行，另存为 .xlsx 再导入"
            ) from None

    return [Sheet(path.stem, rows)]


class _Tables(HTMLParser):
    """The cells of every <table> in an HTML page (the web "Excel" exports of national systems).

    Merged cells come out as a spreadsheet reader gives them: the value in the first cell, empty
    cells for the rest of a ``colspan`` and in the rows below for a ``rowspan`` (so a two-row header,
    母亲 over 姓名 and 身份证号, keeps every column in its place)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[list[Row]] = []
        self.row: Row | None = None
        self.cell: list[str] | None = None
        self.below: dict[int, int] = {}  # column → rows still covered by a rowspan from above

    def _covered(self, up_to: int | None = None) -> None:
        """Empty cells where a rowspan from above covers this row: at the current end of the row
        (``up_to`` None), or every covered column before ``up_to`` (the end of a row)."""
        assert self.row is not None
        while True:
            col = len(self.row)
            if self.below.get(col, 0) > 0:
                self.row.append(None)
                self.below[col] -= 1
            elif up_to is not None and any(c >= col and n > 0 for c, n in self.below.items()):
                self.row.append(None)
            else:
                return

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
            self.below = {}
        elif tag == "tr" and self.tables:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self._covered()
            self.cell = []
            given = dict(attrs)
            span, rows = given.get("colspan"), given.get("rowspan")
            self.span = (int(span) if len(span) <= 6 else MAX_COLUMNS + 1) if span and span.isdigit() else 1
            self.rows = min(int(rows), MAX_ROWS) if rows and rows.isdigit() and len(rows) <= 9 else 1
            if len(self.row) + self.span > MAX_COLUMNS:
                raise SourceError(
                    f"网页表格的一行超过 {MAX_COLUMNS} 列（合并单元格 colspan={span}）：不像名单，请从系统重新导出"
                )

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            value = " ".join("".join(self.cell).split())
            if len(value) > MAX_CELL_CHARS:
                raise SourceError(f"网页表格有一格超过 {MAX_CELL_CHARS} 个字：不像名单，请从系统重新导出")
            start = len(self.row)
            self.row.extend([value or None] + [None] * (self.span - 1))
            if self.rows > 1:
                for col in range(start, start + self.span):
                    self.below[col] = self.rows - 1
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self._covered(up_to=MAX_COLUMNS)
            self.tables[-1].append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def _html(path: Path) -> list[Sheet]:
    parser = _Tables()
    parser.feed(decode(path.read_bytes()))
    tables = [t for t in parser.tables if t]
    if not tables:
        raise SourceError("这个文件是网页（HTML），里面没有表格：请从系统重新导出，或用 Excel 打开后另存为 .xlsx")
    return [Sheet(f"表{i + 1}", t.__iter__) for i, t in enumerate(tables)]


def check_file(path: Path) -> None:
    """Refuse what is not a readable file of a list's size, before anything reads it
    (:data:`MAX_FILE_BYTES`). Raises :class:`SourceError`."""
    if not path.is_file():
        raise SourceError("不存在或不是文件：请检查路径")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise SourceError(
            f"文件有 {size >> 20} MB，超过 {MAX_FILE_BYTES >> 20} MB，不像一份名单："
            "请确认选对了文件，或按村、按年份分开导出"
        )


def open_table(path: str | Path, *, encoding: str | None = None) -> list[Sheet]:
    """The sheets of the list at ``path``, whatever its name says (see the module text).

    Raises :class:`SourceError` for a missing, empty, binary or XML file, or one its reader refuses.
    """
    path = Path(path)
    check_file(path)
    kind = sniff(path)
    if kind == "empty":
        raise SourceError("空文件：请从原系统重新导出")
    if kind == "xls":
        return _xls(path, encoding)
    if kind == "xlsx":
        return _xlsx(path)
    if kind == "html":
        return _html(path)
    if kind == "xml":
        raise SourceError(
            f"这是 Excel 2003 XML 表格（扩展名是 {path.suffix}）：请用 Excel/WPS 打开后另存为 .xls 或 .xlsx 再导入"
        )
    if kind == "binary":
        raise SourceError(
            f"不是表格文件（有二进制内容或 NUL 字节，扩展名 {path.suffix}；也可能是没有标记的 UTF-16 文本）："
            "请确认选对了文件，或用 Excel/WPS 打开后另存为 .xlsx 再导入"
        )
    return _csv(path)


def save_xlsx(book, path: str | Path) -> None:
    """Save an openpyxl workbook to ``path`` whole or not at all: built in memory, then written in
    one go, so a path that cannot be written raises a plain ``OSError`` (openpyxl writing straight
    to it left a half-open zip behind that printed tracebacks when collected)."""
    buffer = io.BytesIO()
    book.save(buffer)
    Path(path).write_bytes(buffer.getvalue())
