"""The county's flat files for the level above (issue 18, item 6): what a provincial system can take
without hecha — persons, births, migrants and reconciliation findings, each as a UTF-8 CSV and as a
sheet of one ``.xlsx``; a codebook (代码表) naming every column, its meaning and its code list with
every code and the standard it comes from; and the county summary per township and statistical year
(年报 births, earlier corrections, newly found 漏报 / 瞒报 / 虚报 / 错报, migrants, assistance requests
sent / answered / overdue) with a chart.

Rows stream from SQL into the files (the county's million persons are never in memory); everything is
written into a hidden folder that is renamed into place at the end, so a failure leaves nothing half
written. A person the county decided another township reports (不在本乡镇填报) is listed with that
township under 填报单位: count persons where 填报单位 equals 乡镇 and each is counted once.

CSV: UTF-8 with a byte-order mark (Excel and WPS then read the Chinese right), comma-separated, one
header line, codes as text. Dates ``YYYY-MM-DD`` (``YYYY-MM`` where the day is unknown).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import peewee as pw

from storage.codes import code_list
from storage.errors import OperatorError
from storage.models import Birth, Household, Migration, Person, ReconcileFinding, ReportUnit

from .sheets import FORMULA_START, SUMMARY_HEADER


@dataclass(frozen=True)
class Column:
    """One column of a flat file: its heading, what it holds, and its code list (``storage/data/codes``)
    or the standard its values follow."""

    heading: str
    meaning: str
    codes: str = ""  # a code list id
    standard: str = ""  # the rule its values follow when not a code list


@dataclass(frozen=True)
class FlatTable:
    """A flat file: its name (the CSV's stem and the sheet's), what one row is, its columns and the
    rows as tuples in column order."""

    name: str
    row_is: str
    columns: tuple[Column, ...]
    rows: Callable[[], Iterator[tuple]]


UID = Column("记录编号", "hecha 的记录 uid（全国唯一，各级数据包里同一条记录同一编号）", standard="UUID")
TOWNSHIP = Column("乡镇", "登记这条记录的乡镇（来源单位）", standard="GB/T 2260 + 国家统计局统计用区划代码，9位")
DELETED = Column("注销", "1：该记录已注销（合并或删除），0：在册", standard="0/1")
HOUSEHOLD = Column("户编码", "村代码12位 + 村民小组2位 + 户序号4位", standard="DESIGN.md §2")
VILLAGE = Column("村", "村（居）委会", standard="国家统计局统计用区划代码，12位")


def _persons() -> Iterator[tuple]:
    unit = ReportUnit.select(ReportUnit.unit).where(ReportUnit.person_uid == Person.uid)
    q = (
        Person.select(
            Person.uid,
            Person.origin,
            Household.household_code,
            Household.village_code,
            Person.name,
            Person.id_number,
            Person.sex,
            Person.birth_date,
            Person.ethnicity,
            Person.relation_to_head,
            Person.marital_status,
            Person.education,
            Person.residence_status,
            Person.hukou_type,
            Person.hukou_place_code,
            Person.residence_code,
            Person.vital_status,
            pw.fn.COALESCE(unit, Person.origin),
            Person.deleted,
        )
        .join(Household, on=(Person.household == Household.id))
        .order_by(Person.origin, Household.household_code, Person.seq)
        .tuples()
    )
    yield from q.iterator()


PERSONS = FlatTable(
    "人员",
    "一个登记的人（核查登记表第二部分的一行）",
    (
        UID,
        TOWNSHIP,
        HOUSEHOLD,
        VILLAGE,
        Column("姓名", "姓名"),
        Column("身份证号", "公民身份号码", standard="GB 11643-1999，18位（个别15位旧号照录）"),
        Column("性别", "性别", "sex"),
        Column("出生日期", "出生日期", standard="YYYY-MM-DD（日不详为 YYYY-MM）"),
        Column("民族", "民族", "ethnicity"),
        Column("与户主关系", "与户主关系", "relation"),
        Column("婚姻状况", "婚姻状况", "marital_status"),
        Column("文化程度", "文化程度", "education"),
        Column("居住状况", "居住状况", "residence_status"),
        Column("户口性质", "户口性质", "hukou_type"),
        Column("户籍地", "户籍地代码", standard="统计用区划代码，6–12位"),
        Column("现居住地", "现居住地代码", standard="统计用区划代码，6–12位"),
        Column("存殁", "存殁状况", "vital_status"),
        Column("填报单位", "由哪个乡镇填报（县里裁定同一人只由一个乡镇填报；与“乡镇”不同即不在本乡镇填报）"),
        DELETED,
    ),
    _persons,
)


def _births() -> Iterator[tuple]:
    mother = Person.alias()
    child = Person.alias()
    q = (
        Birth.select(
            Birth.uid,
            Birth.origin,
            Household.household_code,
            mother.uid,
            mother.name,
            mother.id_number,
            child.uid,
            pw.fn.COALESCE(child.name, Birth.child_name),
            Birth.child_sex,
            Birth.birth_date,
            Birth.birth_order,
            Birth.birth_cert_no,
            Birth.birth_place_kind,
            Birth.outcome,
            Birth.policy_attribute,
            Birth.finding,
            Birth.deleted,
        )
        .join(Household, on=(Birth.household == Household.id))
        .switch(Birth)
        .join(mother, on=(Birth.mother == mother.id))
        .switch(Birth)
        .join(child, pw.JOIN.LEFT_OUTER, on=(Birth.child == child.id))
        .order_by(Birth.origin, Household.household_code, Birth.birth_date)
        .tuples()
    )
    yield from q.iterator()


BIRTHS = FlatTable(
    "出生",
    "一次生育（核查登记表第四部分的一行）",
    (
        UID,
        TOWNSHIP,
        HOUSEHOLD,
        Column("母亲记录编号", "母亲在“人员”中的记录编号", standard="UUID"),
        Column("母亲姓名", "母亲姓名"),
        Column("母亲身份证号", "母亲的公民身份号码", standard="GB 11643-1999"),
        Column("孩子记录编号", "孩子在“人员”中的记录编号（未登记为成员则空）", standard="UUID"),
        Column("孩子姓名", "孩子姓名"),
        Column("孩子性别", "孩子性别", "sex"),
        Column("出生日期", "出生日期", standard="YYYY-MM-DD"),
        Column("孩次", "母亲的第几个孩子", standard="1–15"),
        Column("出生医学证明编号", "出生医学证明编号", standard="1个字母 + 9位数字"),
        Column("出生地点", "出生地点类别", "birth_place_kind"),
        Column("妊娠结局", "妊娠结局", "outcome"),
        Column("政策属性", "政策属性", "policy_attribute"),
        Column("核查结论", "入户核查的结论", "finding"),
        DELETED,
    ),
    _births,
)


def _migrants() -> Iterator[tuple]:
    q = (
        Migration.select(
            Migration.uid,
            Migration.origin,
            Person.uid,
            Person.name,
            Person.id_number,
            Migration.direction,
            Migration.hukou_place_code,
            Migration.from_code,
            Migration.to_code,
            Migration.move_date,
            Migration.reason,
            Migration.category,
            Migration.mb_cert_no,
            Migration.closed_date,
            Migration.deleted,
        )
        .join(Person, on=(Migration.person == Person.id))
        .order_by(Migration.origin, Migration.move_date)
        .tuples()
    )
    yield from q.iterator()


MIGRANTS = FlatTable(
    "流动人口",
    "一个人的一次流入或流出（核查登记表第五部分）",
    (
        UID,
        TOWNSHIP,
        Column("人员记录编号", "在“人员”中的记录编号", standard="UUID"),
        Column("姓名", "姓名"),
        Column("身份证号", "公民身份号码", standard="GB 11643-1999"),
        Column("流动方向", "流入或流出", "migration_direction"),
        Column("户籍地", "户籍地代码", standard="统计用区划代码"),
        Column("流出地", "从哪里来（流入）", standard="统计用区划代码"),
        Column("流入地", "到哪里去（流出）", standard="统计用区划代码"),
        Column("流动时间", "流入或流出的日期", standard="YYYY-MM-DD"),
        Column("流动原因", "流动原因", "migration_reason"),
        Column("人员类别", "流动人口类别", "migration_category"),
        Column("婚育证明编号", "流动人口婚育证明编号"),
        Column("结束日期", "返回或注销流动的日期（空：仍在流动）", standard="YYYY-MM-DD"),
        DELETED,
    ),
    _migrants,
)


def _findings() -> Iterator[tuple]:
    q = ReconcileFinding.select(
        ReconcileFinding.code,
        ReconcileFinding.kind,
        ReconcileFinding.village_code,
        ReconcileFinding.birth_date,
        ReconcileFinding.child_name,
        ReconcileFinding.sex,
        ReconcileFinding.mother_name,
        ReconcileFinding.mother_id_number,
        ReconcileFinding.birth_uid,
        ReconcileFinding.reason,
    ).where(ReconcileFinding.kind != "consistent")
    yield from q.order_by(ReconcileFinding.village_code, ReconcileFinding.birth_date).tuples().iterator()


FINDINGS = FlatTable(
    "核查结果",
    "县里核查比对（hecha reconcile 在县级库运行）的一条疑点；县里没有比对过则为空，各乡镇的数见县汇总",
    (
        Column("编号", "疑点编号（入户核查表上的编号）"),
        Column(
            "类别", "疑点类别：omission 疑似漏报、misreport 疑似错报、false 疑似虚报、elsewhere 外地出生（一致的不列）"
        ),
        VILLAGE,
        Column("出生日期", "出生日期", standard="YYYY-MM-DD"),
        Column("孩子姓名", "孩子姓名"),
        Column("性别", "性别", "sex"),
        Column("母亲姓名", "母亲姓名"),
        Column("母亲身份证号", "母亲的公民身份号码", standard="GB 11643-1999"),
        Column("出生记录编号", "对应“出生”中的记录编号（登记表里没有则空）", standard="UUID"),
        Column("原因", "为什么列为疑点"),
    ),
    _findings,
)

TABLES = (PERSONS, BIRTHS, MIGRANTS, FINDINGS)

SUMMARY_COLUMNS = ("乡镇", *SUMMARY_HEADER[1:9], "流入", "流出", "协查发出", "协查已回复", "协查逾期")
"""The county summary's columns: the reconciliation summary's (:data:`export.sheets.SUMMARY_HEADER`,
统计年度 to 新查出错报) per township, then migrants and assistance requests."""


def _stat_year(day: str) -> int | None:
    """The statistical year of ``YYYY-MM[-DD]`` (1 October to 30 September, named by its end: DATA.md)."""
    try:
        year, month = int(day[:4]), int(day[5:7])
    except ValueError:
        return None
    return year + 1 if month >= 10 else year


def summary_rows() -> list[list]:
    """The county summary per township and statistical year (:data:`SUMMARY_COLUMNS`), townships in
    code order: the reconciliation summary's villages summed to their township, migrants by the year
    they moved, assistance requests by the month they were sent and answered (逾期: answered after the
    due date)."""
    from storage import assist
    from storage.office import division_name
    from storage.reconcile.summary import summary

    table: dict[tuple[str, int], list[int]] = {}

    def row(town: str, year: int) -> list[int]:
        return table.setdefault((town, year), [0] * (len(SUMMARY_COLUMNS) - 2))

    for r in summary():
        if not r.village_code:
            continue
        figures = row(r.village_code[:9], r.year)
        for i, v in enumerate((r.reported, r.corrected, r.linked, r.omissions, r.hidden, r.false, r.misreports)):
            figures[i] += v
    q = Migration.select(Migration.origin, Migration.direction, Migration.move_date).where(
        Migration.deleted == False  # noqa: E712
    )
    for origin, direction, move_date in q.tuples().iterator():
        year = _stat_year(move_date or "")
        if year is not None and direction in ("1", "2"):
            row(origin, year)[7 if direction == "1" else 8] += 1
    for s in assist.stats():
        year = _stat_year(s.month)
        if year is None or len(s.office) != 9:
            continue
        figures = row(s.office, year)
        figures[9] += s.sent
        figures[10] += s.answered
        figures[11] += s.late
    return [
        [f"{division_name(town) or ''}（{town}）", year, *figures] for (town, year), figures in sorted(table.items())
    ]


def _code_lists() -> list[tuple[str, str, str, str]]:
    """(code list, code, name, source) for every code list a column names, lists in first-use order."""
    seen: list[str] = []
    for t in TABLES:
        for c in t.columns:
            if c.codes and c.codes not in seen:
                seen.append(c.codes)
    out = []
    for list_id in seen:
        codes = code_list(list_id)
        out += [(list_id, code, name, codes.source) for code, name in codes.items.items()]
    return out


def codebook_rows() -> list[tuple[str, ...]]:
    """The codebook: every column of every file (file, column, what one row is / what it holds, code
    list or standard), then every code of every list named."""
    rows: list[tuple[str, ...]] = [("文件（工作表）", "列", "含义", "代码表或标准")]
    for t in TABLES:
        rows.append((t.name, "（每行）", t.row_is, ""))
        for c in t.columns:
            rows.append((t.name, c.heading, c.meaning, f"代码表 {c.codes}" if c.codes else c.standard))
    rows.append(("县汇总", "（每行）", "一个乡镇的一个统计年度（上年10月1日至当年9月30日）", ""))
    for heading in SUMMARY_COLUMNS:
        rows.append(("县汇总", heading, heading, ""))
    rows.append(("", "", "", ""))
    rows.append(("代码表", "代码", "名称", "来源（标准及版本）"))
    rows += _code_lists()
    return rows


class FlatFilesExist(OperatorError):
    """The folder for today's flat files is there already."""


HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
"""Control characters and invisible format characters (zero-width, bidi overrides) a pasted name may
carry: dropped from the flat files, where they would hide or reorder text."""


def _cell(value):
    """A value as a flat file cell: booleans as 1/0, None as empty, text without :data:`HIDDEN`
    characters and, where it starts like a formula (= + - @), with a leading apostrophe, as
    spreadsheets mark text (CSV injection: a name typed ``=HYPERLINK(…)`` must stay text)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None:
        return ""
    if isinstance(value, str):
        if HIDDEN.search(value):
            value = HIDDEN.sub("", value)
        if value.startswith(FORMULA_START):
            value = "'" + value
    return value


def write_flat_files(out_dir: str | Path, county: str, day: dt.date, progress=None, name: str = "") -> Path:
    """Write the county's flat files into a new folder ``name`` (default ``<county>-<YYYYMMDD>-上报``)
    under ``out_dir``:
    one CSV per table, ``代码表.csv``, ``县汇总.csv`` and ``上报.xlsx`` holding all of them as sheets plus
    a chart sheet. ``progress(text)`` is called per table. Returns the folder. Raises ``OSError``
    (nothing is left behind) or :class:`FlatFilesExist` when the folder exists."""
    from openpyxl import Workbook

    from .sheets import safe_row

    out_dir = Path(out_dir)
    final = out_dir / (name or f"{county}-{day:%Y%m%d}-上报")
    if final.exists():
        raise FlatFilesExist(f"{final} 已存在：请先把它移走，或用 --out 换一个文件夹")
    tmp = out_dir / f".{final.name}.part"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True, mode=0o700)
    try:
        book = Workbook(write_only=True)
        for t in TABLES:
            if progress:
                progress(f"正在写 {t.name} ……")
            sheet = book.create_sheet(t.name)
            sheet.append([c.heading for c in t.columns])
            with open(tmp / f"{t.name}.csv", "w", encoding="utf-8-sig", newline="") as fh:
                out = csv.writer(fh)
                out.writerow([c.heading for c in t.columns])
                for r in t.rows():
                    values = [_cell(v) for v in r]
                    out.writerow(values)
                    sheet.append(values)
        summary = summary_rows()
        sheet = book.create_sheet("县汇总")
        sheet.append(list(SUMMARY_COLUMNS))
        for line in summary:
            sheet.append(safe_row(sheet, line))
        _chart_sheet(book, summary)
        codebook = codebook_rows()
        sheet = book.create_sheet("代码表")
        for r in codebook:
            sheet.append(safe_row(sheet, list(r)))
        flat: list[tuple[str, list]] = [("县汇总", [list(SUMMARY_COLUMNS), *summary]), ("代码表", codebook)]
        for name, rows in flat:
            with open(tmp / f"{name}.csv", "w", encoding="utf-8-sig", newline="") as fh:
                csv.writer(fh).writerows(rows)
        if progress:
            progress("正在写 上报.xlsx ……")
        book.save(str(tmp / "上报.xlsx"))
        for f in tmp.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _chart_sheet(book, summary: list[list]) -> None:
    """A sheet 图表: per township (all years) births reported, found and the four findings, and a bar
    chart over them."""
    from openpyxl.chart import BarChart, Reference

    sheet = book.create_sheet("图表")
    totals: dict[str, list[int]] = {}
    for r in summary:
        t = totals.setdefault(r[0], [0] * 6)
        for i, v in enumerate((r[2], r[4], r[5], r[6], r[7], r[8])):
            t[i] += v
    sheet.append(["乡镇", "年报出生", "核查出生", "漏报", "瞒报", "虚报", "错报"])
    for town, figures in totals.items():
        sheet.append([town, *figures])
    if not totals:
        return
    chart = BarChart()
    chart.title = "各乡镇出生：年报与核查（各统计年度合计）"
    chart.y_axis.title = "人数"
    chart.height, chart.width = 10, 24
    data = Reference(sheet, min_col=2, max_col=7, min_row=1, max_row=len(totals) + 1)
    cats = Reference(sheet, min_col=1, min_row=2, max_row=len(totals) + 1)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    sheet.add_chart(chart, "I2")
