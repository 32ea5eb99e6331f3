"""The province's platform in its database (issue 21): where its store lives, bundles into the store,
pairs recorded, assistance requests sent down, statistics per county and month.

The platform is an office of level ``province`` (``hecha init --office 13``): the same keys, peers,
bundle log and assistance requests as a county, and no person or birth rows in SQLite; those are in
the Parquet store beside the database (:func:`store_dir`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage import divisions
from storage.db import now_iso, write_txn
from storage.models import AssistReply, AssistRequest, BundleLog, Office, PlatformPair, database

from . import PlatformError, need, store, unreadable

KIND_LABEL = {"birth": "出生", "person": "人员"}


def check_province() -> Office:
    """This database's office, which must be a province's platform. Raises :class:`PlatformError`."""
    me = Office.get()
    if me.level != "province":
        raise PlatformError(
            f"{me.name}（{me.code}）不是省级平台的数据库：省级平台用 hecha init --office 省代码（2位，如 13）建立。"
        )
    return me


def store_dir() -> Path:
    """The Parquet store of this database: the folder ``<database name>-platform`` beside it."""
    path = Path(database.database)
    return path.with_name(f"{path.stem}-platform")


def recover(folder: Path) -> int:
    """Finish what a crash left between an import's commit and its files' renaming: a ``.part``
    file of a bundle the log has as imported is renamed into place (the others are removed by the
    next :class:`~storage.province.store.Writer`). Returns how many were renamed."""
    done = 0
    for table in store.TABLES:
        for part in (folder / table).glob(".*.parquet.part"):
            final = part.with_name(part.name[1 : -len(".part")])
            bundle_id = final.stem.split("-", 1)[-1]
            if BundleLog.select().where((BundleLog.bundle_id == bundle_id) & (BundleLog.status == "imported")).exists():
                part.replace(final)
                done += 1
    return done


def missing() -> list[BundleLog]:
    """The imported ``county-up`` bundles whose rows are not in the store (its folder lost, or a
    file deleted): :func:`ready` refuses to compare without them."""
    folder = store_dir()
    have = {table: {p.stem for p in store.files(folder, table)} for table in store.TABLES}
    out = []
    for b in BundleLog.select().where(
        (BundleLog.direction == "in") & (BundleLog.status == "imported") & (BundleLog.kind == "county-up")
    ):
        counts = json.loads(b.counts or "{}")
        stem = f"{b.sender}-{b.bundle_id}"
        if any(
            counts.get(kind) and stem not in have[table] for kind, table in (("person", "persons"), ("birth", "births"))
        ):
            out.append(b)
    return out


def _checked() -> tuple[Path, list[BundleLog]]:
    """The store's folder after :func:`recover`, and the bundles whose rows it lacks (:func:`missing`)."""
    folder = store_dir()
    if folder.is_dir():
        recover(folder)
    return folder, missing()


def ready() -> Path:
    """The store, checked before it is read: files a crash left unrenamed are put in place
    (:func:`recover`); a bundle whose rows are missing is refused with what to do. Returns the folder.
    Raises :class:`PlatformError`."""
    folder, lost = _checked()
    if lost:
        names = "、".join(b.file_name for b in lost[:3]) + (f" 等 {len(lost)} 个" if len(lost) > 3 else "")
        raise PlatformError(
            f"列式存储 {folder} 里缺了已导入的上报数据包的记录（{names}）：文件夹被移走或删了。"
            "从备份放回这个文件夹；没有备份就把这些数据包文件重新读入：hecha platform rebuild 文件…"
        )
    return folder


def writer(county: str, bundle_id: str) -> store.Writer:
    """A store writer for one bundle of ``county`` (files ``<county>-<bundle id>.parquet``)."""
    folder = store_dir()
    folder.mkdir(parents=True, exist_ok=True)
    recover(folder)
    return store.Writer(folder, county, bundle_id)


def take_rows(
    w: store.Writer, records: Iterable[dict[str, Any]], *, county: str, created_at: str
) -> tuple[Counter, Counter]:
    """Write a ``county-up`` bundle's person and birth records into ``w`` (other tables are read
    and checked, not kept: the platform compares persons and births). Returns ``(stored, passed
    over)``, records per table."""
    day = dt.date.fromisoformat(created_at[:10])
    bundle = w.name
    stored: Counter = Counter()
    passed: Counter = Counter()
    for rec in records:
        table, row = rec["t"], rec["r"]
        if table == "person":
            w.add("persons", store.person_row(row, county=county, bundle=bundle, submitted=day))
        elif table == "birth":
            w.add("births", store.birth_row(row, county=county, bundle=bundle, submitted=day))
        else:
            passed[table] += 1
            continue
        stored[table] += 1
    w.close()
    return stored, passed


@dataclass
class LinkSummary:
    """What one link run did: pairs found per kind, of which new; records compared; seconds."""

    run: str
    found: dict[str, int]
    new: dict[str, int]
    records: dict[str, int]
    seconds: dict[str, float]


def link(
    *, engine: str = "duckdb", threshold: float | None = None, progress: Callable[[str], None] = lambda _t: None
) -> LinkSummary:
    """Compare the store's births and persons across counties (:func:`storage.province.link.link`)
    and keep the pairs not already known (:class:`~storage.models.PlatformPair`). Raises
    :class:`PlatformError` with nothing imported yet, :class:`~storage.province.PlatformMissing`
    without the extra."""
    from . import link as linker

    check_province()
    folder = ready()
    if not store.files(folder, "persons"):
        raise PlatformError("还没有导入任何县的上报数据包：先 hecha import-bundle 各县的 county-up 数据包。")
    result = linker.link(
        folder, engine=engine, threshold=linker.THRESHOLD if threshold is None else threshold, progress=progress
    )
    run = f"{now_iso()[:19]}-{engine}-{uuid.uuid4().hex[:6]}"
    new: dict[str, int] = {}
    found: dict[str, int] = {}
    with write_txn():
        for p in result.pairs:
            found[p.kind] = found.get(p.kind, 0) + 1
            fields = {k: v for k, v in dataclasses.asdict(p).items() if k != "weight"}
            made = PlatformPair.insert(**fields, run=run, found_at=now_iso()).on_conflict_ignore().execute()
            if made:
                new[p.kind] = new.get(p.kind, 0) + 1
    return LinkSummary(run, found, new, result.records, result.seconds)


def records_of(uids: list[str]) -> dict[str, dict[str, str]]:
    """The newest version of each record named (person or birth uid) as a request's subject needs it:
    names, numbers, dates; a birth's mother and child from ``persons`` where the birth names them."""
    duckdb = need("duckdb")
    folder = ready()
    out: dict[str, dict[str, str]] = {}
    if not uids:
        return out
    con = duckdb.connect()
    try:
        return _records_of(con, folder, uids, out)
    except duckdb.Error as exc:
        raise unreadable(exc, folder) from None
    finally:
        con.close()


def _records_of(con, folder: Path, uids: list[str], out: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """:func:`records_of` on an open DuckDB connection."""

    def paths(table: str) -> str:
        return store.sql_list(store.files(folder, table))

    from .link import LATEST

    con.execute(f"create view persons_raw as select * from read_parquet({paths('persons')})").fetchall()
    con.execute(f"create table p as {LATEST.format(raw='persons_raw')}").fetchall()
    con.execute("create table wanted (uid varchar)").fetchall()
    con.executemany("insert into wanted values (?)", [(u,) for u in uids])
    for row in con.execute(
        "select p.uid, p.name, p.id_number, p.sex, p.birth_date, p.township from p join wanted w on w.uid = p.uid"
    ).fetchall():
        uid, name, number, sex, born, town = row
        out[uid] = dict(kind="person", name=name, id_number=number, sex=sex, birth_date=born, township=town)
    if store.files(folder, "births"):
        con.execute(f"create view births_raw as select * from read_parquet({paths('births')})").fetchall()
        con.execute(f"create table b as {LATEST.format(raw='births_raw')}").fetchall()
        rows = con.execute(
            """select b.uid, coalesce(nullif(b.child_name, ''), c.name, ''),
                      coalesce(nullif(b.child_sex, ''), c.sex, ''), b.birth_date, coalesce(c.id_number, ''),
                      b.birth_cert_no, b.birth_order, coalesce(nullif(b.mother_name, ''), m.name, ''),
                      coalesce(m.id_number, nullif(b.mother_id18, ''), ''), b.township
               from b join wanted w on w.uid = b.uid
               left join p c on c.uid = b.child_uid left join p m on m.uid = b.mother_uid"""
        ).fetchall()
        for uid, child, sex, born, child_id, cert, order, mother, mother_id, town in rows:
            out[uid] = dict(
                kind="birth",
                child_name=child,
                child_sex=sex,
                child_birth_date=born,
                child_id_number=child_id,
                birth_cert_no=cert,
                birth_order="" if order is None else str(order),
                mother_name=mother,
                mother_id_number=mother_id,
                township=town,
            )
    return out


def _place(code: str) -> str:
    """``行唐县龙州镇（130125100）``: a township with its county, or a county, as people say it."""
    names = [d.name for d in (divisions.lookup(code[:6]), divisions.lookup(code) if len(code) > 6 else None) if d]
    return f"{''.join(names)}（{code}）" if names else code


def said(rec: dict[str, str]) -> str:
    """A record as a request or a list says it: ``李梓涵，2017-03-06出生，母亲王秀英``; ``""`` for none."""
    if not rec:
        return ""
    if rec.get("kind") == "birth":
        child, born = rec.get("child_name") or "未起名", rec.get("child_birth_date") or "日期不详"
        return f"{child}，{born}出生，母亲{rec.get('mother_name') or '不详'}"
    return f"{rec.get('name')}，{rec.get('birth_date') or '日期不详'}出生"


def send_requests(*, operator: str | None = None, limit: int | None = None) -> dict[str, Any]:
    """Raise an assistance request (协查, :func:`storage.assist.raise_request`) to each county of every
    pair not yet asked about: the county (and its township, where the record names one) checks its
    own record, told where the other record is. They wait (待发) for ``hecha export``, which writes
    one ``county-request`` bundle per county. A record in several pairs (a birth reported by three
    counties) is asked about once. Returns counts ``pairs``, ``requests``, ``shared`` (a side whose
    record was asked about already), ``skipped`` (a county whose key is not registered: its side
    waits), ``gone`` (pairs of which a record was deleted by its county since: neither side asked),
    ``refused`` with ``problems`` (what
    :func:`storage.assist.raise_request` refused, per record: the others go on)."""
    from storage import assist
    from storage.models import PeerOffice

    check_province()
    pending = list(
        PlatformPair.select()
        .where((PlatformPair.request_l == "") | (PlatformPair.request_r == ""))
        .order_by(PlatformPair.id)
        .limit(limit or -1)
    )
    records = records_of(sorted({u for p in pending for u in (p.uid_l, p.uid_r)}))
    known = {p.code for p in PeerOffice.select(PeerOffice.code).where(PeerOffice.revoked_at == "")}
    asked: dict[str, str] = {}  # a record already asked about (its birth in three counties): one request
    for p in PlatformPair.select().where((PlatformPair.request_l != "") | (PlatformPair.request_r != "")):
        for side in ("l", "r"):
            if getattr(p, f"request_{side}"):
                asked[getattr(p, f"uid_{side}")] = getattr(p, f"request_{side}")
    counts: dict[str, int] = dict(pairs=0, requests=0, skipped=0, shared=0, gone=0, refused=0)
    problems: list[str] = []
    for pair in pending:
        counts["pairs"] += 1
        for side, other in (("l", "r"), ("r", "l")):
            if getattr(pair, f"request_{side}"):
                continue
            county, town = getattr(pair, f"county_{side}"), getattr(pair, f"township_{side}")
            if county not in known:
                counts["skipped"] += 1
                continue
            if getattr(pair, f"uid_{side}") in asked:  # the county checks this record once
                with write_txn():
                    PlatformPair.update(**{f"request_{side}": asked[getattr(pair, f"uid_{side}")]}).where(
                        PlatformPair.id == pair.id
                    ).execute()
                counts["shared"] += 1
                continue
            mine = records.get(getattr(pair, f"uid_{side}"), {})
            theirs = records.get(getattr(pair, f"uid_{other}"), {})
            if not (mine and theirs):  # one side deleted by its county since: the pair is no more
                counts["gone"] += side == "l"
                break
            other_place = getattr(pair, f"township_{other}") or getattr(pair, f"county_{other}")
            subject, unread = _subject(mine)
            what = KIND_LABEL[pair.kind]
            who = "孩子" if pair.kind == "birth" else "人"
            question = (
                f"省级平台跨县比对：{_place(other_place)}也报了同一{what}（{said(theirs)}），"
                f"请核实本地这条记录（{said(mine)}{unread}）。回复：一致＝确是同一{who}（说明里写实际在哪里、"
                f"应由哪边上报）；不一致＝不是同一{who}；查无此人；已迁出。"
            )
            try:
                with write_txn():  # the request and the pair's mark together: a crash leaves neither
                    req = assist.raise_request(
                        to_county=county,
                        to_township=town if len(town) == 9 and town.startswith(county) else "",
                        subject=subject,
                        items=("exists", "birth") if pair.kind == "birth" else ("exists", "address"),
                        kind="birth" if pair.kind == "birth" else "person",
                        question=question[: assist.MAX_TEXT],
                        source="platform",
                        operator=operator,
                    )
                    PlatformPair.update(**{f"request_{side}": req.uid}).where(PlatformPair.id == pair.id).execute()
            except assist.AssistError as exc:  # one record that cannot be asked about stops no other
                counts["refused"] += 1
                problems.append(f"{getattr(pair, f'uid_{side}')}：{exc}")
                continue
            asked[getattr(pair, f"uid_{side}")] = req.uid
            counts["requests"] += 1
    counts["problems"] = problems  # type: ignore[assignment]
    return counts


def _subject(rec: dict[str, str]) -> tuple[dict[str, str], str]:
    """A request's subject from a store record, and what of it could not go there: an ID number that
    fails GB 11643 (the linkage compares it, a request may not carry it) is said in the question."""
    from storage import assist, idnumber

    subject, unread = {}, []
    for k, v in rec.items():
        if k not in assist.SUBJECT_FIELDS or not v:
            continue
        if k.endswith("id_number") and not idnumber.parse(v).ok:
            unread.append(f"{assist.SUBJECT_FIELDS[k]}记为 {v}（校验不对）")
            continue
        subject[k] = v
    return subject, ("；" + "，".join(unread)) if unread else ""


@dataclass
class CountyMonth:
    """The platform's statistics of one county and month, as the national platform publishes them:
    births ``submitted`` (first received that month; a birth the county has since deleted is not
    counted), requests ``received`` from the platform (left in a bundle that month), ``answered``
    (replies that arrived), ``verified`` (replies the platform took)."""

    county: str
    month: str
    submitted: int = 0
    received: int = 0
    answered: int = 0
    verified: int = 0


def stats(month: str = "") -> list[CountyMonth]:
    """Per county and month (``YYYY-MM``; all months when empty), sorted by month then county."""
    check_province()
    rows: dict[tuple[str, str], CountyMonth] = {}

    def at(county: str, day: str) -> CountyMonth | None:
        m = (day or "")[:7]
        if not m or (month and m != month) or len(county) != 6:
            return None
        return rows.setdefault((county, m), CountyMonth(county, m))

    folder = ready()
    if store.files(folder, "births"):
        duckdb = need("duckdb")
        con = duckdb.connect()
        try:
            listed = store.sql_list(store.files(folder, "births"))
            for county, first, n in con.execute(
                f"""select county, first, count(*) from (
                      select uid, min(county) as county, min(submitted) as first,
                             arg_max(deleted, version) as gone
                      from read_parquet({listed}) group by uid) where not gone group by county, first"""
            ).fetchall():
                if r := at(county, first):
                    r.submitted += n
        except duckdb.Error as exc:
            raise unreadable(exc, folder) from None
        finally:
            con.close()
    me = Office.get()
    for req in AssistRequest.select().where((AssistRequest.role == "sent") & (AssistRequest.origin == me.code)):
        if req.sent_on and (r := at(req.to_county, req.sent_on)):  # left in a bundle, not only raised
            r.received += 1
    for ans in AssistReply.select():
        if r := at(ans.origin[:6], ans.arrived_on or ans.replied_on):
            r.answered += 1
        if ans.verified_on and (r := at(ans.origin[:6], ans.verified_on)):
            r.verified += 1
    return sorted(rows.values(), key=lambda r: (r.month, r.county))


STAT_HEADER = ("月份", "县（区）", "代码", "上报出生", "收到协查", "已反馈", "已核实")


def stats_rows(month: str = "") -> list[tuple[str, str, str, int, int, int, int]]:
    """:func:`stats` as the sheet's and the screen's rows (:data:`STAT_HEADER`)."""
    out = []
    for r in stats(month):
        div = divisions.lookup(r.county)
        out.append((r.month, div.name if div else "", r.county, r.submitted, r.received, r.answered, r.verified))
    return out


def write_stats(path: str | Path, month: str = "") -> int:
    """The statistics as an .xlsx sheet (written under a hidden name, then renamed); returns rows."""
    import os

    from openpyxl import Workbook

    path = Path(path)
    rows = stats_rows(month)
    wb = Workbook()
    ws = wb.active
    ws.title = "各县协查统计"
    ws.append(STAT_HEADER)
    for row in rows:
        ws.append(row)
    part = path.with_name(f".{path.name}.part")
    wb.save(part)
    os.replace(part, path)
    return len(rows)


def summary() -> dict[str, Any]:
    """What the platform holds: counties that reported, bundles, pairs per kind, pairs asked about,
    the store's folder, and the bundles whose rows it lacks (``lost``, file names)."""
    check_province()
    bundles = BundleLog.select().where((BundleLog.direction == "in") & (BundleLog.status == "imported"))
    counties = sorted({b.sender for b in bundles if b.kind == "county-up"})
    pairs = {k: PlatformPair.select().where(PlatformPair.kind == k).count() for k in KIND_LABEL}
    lost = [b.file_name for b in _checked()[1]]
    asked = PlatformPair.select().where((PlatformPair.request_l != "") & (PlatformPair.request_r != "")).count()
    return dict(
        counties=counties, bundles=len(list(bundles)), pairs=pairs, asked=asked, store=str(store_dir()), lost=lost
    )
