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
from operator import itemgetter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from . import idnumber
from .db import now_iso, write_txn
from .models import HeaderMapping, ImportBatch, RefKey, RefRecord, RowError
from .names import name_keys, normalize, unnamed_child
from .paths import operator_login
from .sources import SourceError, open_table, save_xlsx
from .sources.profiles import FIELD_NAMES, Header, clean, find_header, profiles

TOTALS = ("合计", "总计", "小计", "共计")
IMPORT_CACHE_KB = 16384  # SQLite's page cache during an import (the default is 2 MB)
SEX = {"男": "1", "女": "2", "1": "1", "2": "2", "m": "1", "f": "2", "男性": "1", "女性": "2"}


class UnknownLayout(Exception):
    """No header row of the sheet names two known fields: map the columns by hand (``mapping``).
    ``headers`` are the first rows' cells, for the mapping step."""

    def __init__(self, sheet: str, rows: list[list[str]], problem: str = ""):
        self.sheet, self.rows, self.problem = sheet, rows, problem  # problem: why a mapping given does not fit this sheet
        super().__init__(f"工作表「{sheet}」的表头认不出（姓名、身份证号、出生日期等至少两列）：请指定列的含义，如 --map 第2列=name")


class NeedsReplace(Exception):
    """A list of this source is already loaded; importing another replaces it, which the clerk must confirm."""


@dataclass
class ImportReport:
    """What an import did: the batch id (``None`` when nothing changed), rows read, loaded,
    rejected (with the first errors), duplicates within the file, warnings (bad check characters)."""

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


def cell_text(value: Any) -> str:
    """A cell as text: integral numbers without ".0", dates ISO, strings stripped, None empty."""
    return _text(value)


def _text(value: Any) -> str:
    if type(value) is str:  # the common case first: this runs for every cell
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def parse_date(value: Any) -> tuple[str, str] | None:
    """``(ISO date, precision)`` of a list's date cell: a date, ``20150307``, ``201503``,
    ``2015-03-07``, ``2015/3/7``, ``2015.3.7``, ``2015年3月7日``; ``None`` when it is not a date."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat(), "D"
    if isinstance(value, dt.date):
        return value.isoformat(), "D"
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":  # 2015-03-07: the usual case
        try:
            return dt.date.fromisoformat(value).isoformat(), "D"
        except ValueError:
            pass
    serial = value if isinstance(value, (int, float)) else None
    if serial is None and _text(value).isdigit() and len(_text(value)) == 5:
        serial = int(_text(value))
    if serial is not None and 20000 <= serial <= 60000:  # an Excel date serial (1954–2064) that lost its date format
        return (dt.date(1899, 12, 30) + dt.timedelta(days=int(serial))).isoformat(), "D"
    text = _text(value)
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
    except ValueError:
        return None
    return None


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
            return None, f"{value}：{info.message}"
        return info, None
    if isinstance(value, float) and value >= 1e15:
        shown = f"{value:.0f}"
        return None, f"{shown} 是电子表格存成数字的号码（15位以后的数字已丢失）：请在原表中把该列设为文本、按原件重填"
    text = unicodedata.normalize("NFKC", _text(value)).translate(_ID_JUNK).upper()
    if text in PLACEHOLDERS or not text:
        return None, None
    if "E+" in text:
        return None, f"{text} 是电子表格存成数字（科学计数法）的号码，后几位已丢失：请按原件重填为文本"
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    info = idnumber.parse(text)
    if info.status in (idnumber.BAD_FORMAT, idnumber.BAD_DATE):
        return None, f"{_text(value)}：{info.message}"
    return info, None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _row_record(row: list, header: Header, sheet: str, row_no: int, source: str,
                texts: list[str] | None = None) -> tuple[dict | None, dict | None, bool]:
    """``(record, error, warning)`` for one data row (``texts``: its cells as text, when known)."""
    width = len(row)
    cells = {f: row[i] if i < width else None for i, f in header.columns.items()}
    texts = texts if texts is not None else [_text(v) for v in row]
    names = header.headers
    raw = {names[i] or f"第{i + 1}列": t for i, t in enumerate(texts) if t}
    rec: dict[str, Any] = {"source": source, "sheet": sheet, "row_no": row_no, "raw": json.dumps(raw, ensure_ascii=False)}

    def error(field: str, message: str) -> tuple[None, dict, bool]:
        column = next((header.headers[i] for i, f in header.columns.items() if f == field), "")
        return None, {"sheet": sheet, "row_no": row_no, "column": column, "value": _text(cells.get(field)), "message": message,
                      "raw": rec["raw"]}, False

    warning = False
    own = None
    for key in ("id_number", "mother_id_number", "father_id_number"):
        info, problem = _id(cells.get(key), FIELD_NAMES[key])
        if problem:
            return error(key, problem)
        rec[key] = info.number if info else ""
        if key == "id_number":
            own = info
            rec["id_number_18"] = info.number_18 if info and info.ok else ""
            rec["id_check"] = info.status if info else "missing"
            warning = bool(info and info.status == idnumber.BAD_CHECKSUM)
    rec["name"] = _text(cells.get("name"))
    if rec["name"] in PLACEHOLDERS:  # 无, 不详 … is no name
        rec["name"] = ""
    if not rec["name"] and not rec["id_number"] and not rec["mother_id_number"]:
        return error("name", "既没有姓名，也没有身份证号或母亲身份证号：无法与人员比对")
    born = cells.get("birth_date")
    if born is not None and _text(born):
        parsed = parse_date(born)
        if parsed is None:
            return error("birth_date", f"出生日期「{_text(born)}」认不出：应为日期，如 2015-03-07 或 20150307")
        if not "1900-01-01" <= parsed[0] <= idnumber._today().isoformat():
            return error("birth_date", f"出生日期「{_text(born)}」不合理（早于1900年或晚于今天）：请按原件核对")
        rec["birth_date"], rec["birth_date_prec"] = parsed
    else:
        id_born = own.birth_date if own else None
        rec["birth_date"], rec["birth_date_prec"] = (id_born.isoformat(), "D") if id_born else ("", "D")
    sex = _text(cells.get("sex")).lower()
    rec["sex"] = SEX.get(sex, "") or (own.sex or "" if own else "")
    if rec["name"] and not rec["sex"] and (child := unnamed_child(rec["name"])):
        rec["sex"] = child[1]
    for key in ("mother_name", "father_name", "address", "birth_cert_no"):
        rec[key] = _text(cells.get(key))
    rec["extra"] = "{}"
    return rec, None, warning


def import_list(path: str | Path, source: str, *, replace: bool = False, mapping: dict[str, str] | None = None,
                encoding: str | None = None, operator: str | None = None,
                progress: Callable[[int], None] | None = None) -> ImportReport:
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
    digest = _sha256(path)
    report = ImportReport(None, source, path.name)
    same = ImportBatch.get_or_none((ImportBatch.sha256 == digest) & (ImportBatch.source == source) & (ImportBatch.status == "active"))
    if same and not mapping:  # with a mapping the same file is read again (a sheet skipped before), replacing the batch
        report.same_file, report.batch_id = True, same.id
        report.rows_read, report.rows_loaded, report.rows_rejected = same.rows_read, same.rows_loaded, same.rows_rejected
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
    :class:`SourceError` when every sheet is empty); only the first rows of each sheet are read."""
    skipped = []
    for sheet, rows, head_rows in _heads(sheets):
        if hasattr(rows, "close"):
            rows.close()
        try:
            _header(source, sheet.name, head_rows, mapping)
            return
        except UnknownLayout as exc:
            skipped.append(exc)
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
    for sheet, rows, head_rows in _heads(sheets, n):
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
        skipped[0].args = (f"没有一个工作表是名单（表头认不出：{'、'.join(e.sheet for e in skipped)}）：请指定列的含义，如 --map 第2列=name",)
    raise skipped[0]


def _load(path, source, sheets, digest, report, older, replace, mapping, operator, progress) -> ImportReport:
    """The import's write transaction (see :func:`import_list`)."""
    errors: list[dict] = []
    used: dict[str, str] = {}
    skipped: list[UnknownLayout] = []
    with write_txn():  # all or nothing: the rows go in as they are read, the batch commits whole
        batch = ImportBatch.create(source=source, file_name=path.name, sha256=digest, sheets="、".join(s.name for s in sheets),
                                   imported_at=now_iso(), operator=operator or operator_login(), status="loading")
        loaded, lists = _read_sheets(sheets, source, mapping, RecordWriter(batch.id), report, errors, used, skipped, progress)
        if not lists:
            _no_list(skipped)
        report.skipped_sheets = [e.sheet for e in skipped]
        if report.rows_read == 0:
            raise SourceError("只有表头，没有数据行：请确认导出了数据")
        for old in older:
            RefRecord.delete().where(RefRecord.batch == old).execute()
            old.status = "replaced"
            old.save()
            report.replaced += old.rows_loaded
        for i in range(0, len(errors), 2000):
            RowError.insert_many([dict(e, batch=batch.id) for e in errors[i:i + 2000]]).execute()
        batch.rows_read, batch.rows_loaded, batch.rows_rejected = report.rows_read, loaded, len(errors)
        batch.rows_duplicate, batch.mapping, batch.status = report.rows_duplicate, json.dumps(used, ensure_ascii=False), "active"
        batch.save()
        if mapping:  # kept by header text (a column number means nothing in the next list)
            by_text = {h: f for h, f in used.items() if not (h.startswith("第") and h.endswith("列"))}
            if by_text:
                HeaderMapping.insert(source=source, headers=json.dumps(sorted(by_text), ensure_ascii=False),
                                     mapping=json.dumps(by_text, ensure_ascii=False), saved_at=now_iso()).on_conflict_replace().execute()
    report.batch_id, report.rows_loaded, report.rows_rejected, report.errors = batch.id, loaded, len(errors), errors[:20]
    return report


def _read_sheets(sheets, source, mapping, writer: RecordWriter, report: ImportReport, errors: list[dict], used: dict[str, str],
                 skipped: list[UnknownLayout], progress) -> tuple[int, int]:
    """Read every sheet's rows into ``writer`` (records) and ``errors``; ``(records added, sheets
    that are lists)``."""
    seen: set[tuple] = set()
    loaded = lists = 0
    chunk: list[dict] = []
    for sheet, rows, head_rows in _heads(sheets):
        try:
            header = _header(source, sheet.name, head_rows, mapping)
        except UnknownLayout as exc:
            skipped.append(exc)  # a note or summary sheet; refused only when no sheet is a list
            continue
        lists += 1
        used.update({header.headers[i] or f"第{i + 1}列": f for i, f in header.columns.items()})
        header_columns = sorted(header.columns)
        header_texts = [_text(head_rows[header.last][i]) if i < len(head_rows[header.last]) else "" for i in header_columns] \
            if header.last < len(head_rows) else []
        if not any(header_texts):
            header_texts = []
        numbered = list(enumerate(head_rows, start=1))[header.last + 1:]

        def data(numbered=numbered, rows=rows, skip=len(head_rows)):
            yield from numbered
            yield from enumerate(rows, start=skip + 1)

        for row_no, row in data():
            texts = [_text(v) for v in row]
            first = next((t for t in texts if t), "")
            if not first or any(t.replace(" ", "").startswith(TOTALS) for t in texts[:3]):
                continue  # an empty row, or a totals row (合计 12人, or 8 | 合计 after a 序号) that is not a person
            if header_texts and [texts[i] if i < len(texts) else "" for i in header_columns] == header_texts:
                continue  # the header again (a list printed page by page repeats it)
            report.rows_read += 1
            rec, err, warned = _row_record(row, header, sheet.name, row_no, source, texts)
            if err:
                errors.append(err)
                continue
            report.warnings += warned
            key = (rec["id_number_18"] or rec["id_number"],) if rec["id_number"] else (normalize(rec["name"]), rec["birth_date"], rec["mother_id_number"])
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
    writer.add(chunk)
    return loaded + len(chunk), lists


def _header(source: str, sheet: str, head_rows: list[list], mapping: dict[str, str] | None) -> Header:
    """The sheet's header: from the profiles, a mapping given now, or one saved for this layout."""
    if mapping:
        by_position = {}
        width = max((len(r) for r in head_rows), default=0)
        present = {clean(v) for r in head_rows for v in r if v is not None}
        for key, fld in mapping.items():
            if key.startswith("第") and key.endswith("列") and key[1:-1].isdigit():
                column = int(key[1:-1])
                if not 1 <= column <= width:  # this sheet is not the one mapped (a note sheet): skipped
                    raise UnknownLayout(sheet, [[_text(v) for v in r] for r in head_rows[:3]],
                                        f"{key}：工作表「{sheet}」只有 {width} 列（第1列到第{width}列）")
                by_position[column - 1] = fld
            elif clean(key) not in present:
                raise UnknownLayout(sheet, [[_text(v) for v in r] for r in head_rows[:3]], f"{key}：工作表「{sheet}」的前几行没有这个表头")
        found = find_header(head_rows, saved={k: v for k, v in mapping.items() if not k.startswith("第")})
        base = known_header(source, head_rows)  # what the profiles or a kept mapping already read: kept where not remapped
        by_text: dict[int, str] = {}
        row_at = 0
        if found is None:  # fewer named columns than a header needs: name them on the row that holds them
            texts = {clean(k): f for k, f in mapping.items() if not (k.startswith("第") and k.endswith("列"))}
            row_at = base.last if base is not None else next(
                (n for n, r in enumerate(head_rows) if texts.keys() & {clean(v) for v in r if v is not None}), 0)
            by_text = {i: texts[clean(v)] for i, v in enumerate(head_rows[row_at]) if v is not None and clean(v) in texts}
        if found is None and (by_position or by_text):
            found = base or Header(row_at, row_at, tuple(clean(v) for v in head_rows[row_at]), {})
            found = Header(found.first, found.last, found.headers, by_text)
        if found is not None:
            given = {**found.columns, **by_position}
            kept = {i: f for i, f in base.columns.items() if i not in given and f not in given.values()} \
                if base is not None and base.last == found.last else {}
            return Header(found.first, found.last, found.headers, {**kept, **given})
    found = known_header(source, head_rows)
    if found is None:
        raise UnknownLayout(sheet, [[_text(v) for v in r] for r in head_rows[:3]])
    return found


def known_header(source: str, head_rows: list[list]) -> Header | None:
    """The header of a sheet's first rows as the profiles or a mapping kept for ``source`` read
    it, or ``None`` when neither names the person (name, ID number or mother's ID). The import
    and the import screen's preview both ask this."""
    found = find_header(head_rows)
    if found is None:
        for saved in HeaderMapping.select().where(HeaderMapping.source == source):
            found = find_header(head_rows, saved=json.loads(saved.mapping))
            if found is not None:
                break
    if found is None or not ({"name", "id_number", "mother_id_number"} & set(found.columns.values())):
        return None
    return found


COLUMNS = ("id", "batch_id", "source", "sheet", "row_no", "raw", "name", "sex", "birth_date", "birth_date_prec", "id_number",
           "id_number_18", "id_check", "mother_name", "mother_id_number", "father_name", "father_id_number", "address",
           "birth_cert_no", "extra")


class RecordWriter:
    """Inserts reference records of one batch and their name keys (prepared statements,
    executemany) inside the caller's write transaction. Record ids are given, not left to SQLite
    (max id + 1 onwards; the transaction holds the write lock), so a key names its record without
    reading it back. Every record has every column of :data:`COLUMNS` but ``id`` and ``batch_id``.

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
        """Write ``records`` and their homophone keys (what :func:`storage.dedup.ref_candidates` looks up)."""
        if not records:
            return
        rows, keys, rid = [], [], self.next_id
        for rec in records:
            rows.append((rid, self.batch_id, *self.values(rec)))
            name = rec["name"]
            if name and not unnamed_child(name):
                keys.extend((rid, "h", key) for key in name_keys(name).homophone_keys)
            rid += 1
        self.con.executemany(self.record_sql, rows)
        self.con.executemany(self.key_sql, keys)
        self.next_id = rid


def write_rejects(batch_id: int, out: str | Path) -> Path:
    """Write the rows of batch ``batch_id`` that were not loaded to an ``.xlsx`` (openpyxl) for the
    department that sent the list: sheet, row, column, value, reason, then the row as read."""
    from openpyxl import Workbook

    out = Path(out)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("错误行")
    sheet.append(["工作表", "行号", "列", "值", "原因", "原行内容"])
    for e in RowError.select().where(RowError.batch == batch_id).order_by(RowError.id):
        raw = json.loads(e.raw or "{}")
        sheet.append([e.sheet, e.row_no, e.column, e.value, e.message, "；".join(f"{k}：{v}" for k, v in raw.items())])
    save_xlsx(book, out)
    return out

