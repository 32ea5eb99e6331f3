"""A reconciliation run (:func:`run`): link, classify, stage the findings without the write lock and
publish them in one short transaction; the findings paged.

Part of :mod:`storage.reconcile` (issue 13: one job a module).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import peewee as pw

from .classify import MARGIN_DAYS, BirthOrders, birth_day, classify, older_wis_births, shown_date
from .link import link
from .records import GROUP_NAMES, SOURCE_GROUP, Finding, _common, load_records, window


# ---------------------------------------------------------------------------- running
@dataclass
class RunReport:
    """What a run found: records read, births (clusters), findings per kind, seconds, and the
    source groups that have no list loaded."""

    as_of: dt.date
    records: int
    births: int
    kinds: dict[str, int]
    seconds: float
    missing: list[str] = field(default_factory=list)  # source groups with no list loaded

    @property
    def warning(self) -> str:
        """What the findings cannot say for want of a list (Chinese), or ``""``."""
        if "wis" in self.missing:
            return "还没有导入人口系统（WIS）名单：不在人口系统的出生都会显示为疑似漏报，请先导入（菜单 8，来源 wis）"
        if self.missing:
            return "还没有导入" + "、".join(GROUP_NAMES[g] for g in self.missing) + "的名单：这些来源的证据缺失"
        return ""


def run(as_of: dt.date, *, progress: Callable[[str], None] | None = None) -> RunReport:
    """Link every birth of the ten years up to ``as_of`` and rewrite the findings
    (:class:`~storage.models.ReconcileFinding`): made into a TEMP table without the write lock, then
    published in one short transaction (all or nothing; visit results stay).

    Python's cyclic garbage collector is paused meanwhile: the half million records of a county
    hold no cycles, and its passes over them took a tenth of the run (36.9 → 33.0 s)."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        return _run(as_of, progress)
    finally:
        if was:
            gc.enable()


def _run(as_of: dt.date, progress: Callable[[str], None] | None) -> RunReport:
    from ..db import now_iso, write_txn
    from ..models import Household, ImportBatch, Office, Person, ReconcileFinding, ReconcileRun, VisitResult

    started = time.perf_counter()
    first, last = window(as_of)
    say = progress or (lambda text: None)
    loaded = {
        SOURCE_GROUP[k]
        for (k,) in ImportBatch.select(ImportBatch.source)
        .where((ImportBatch.status == "active") & ImportBatch.source.in_(list(SOURCE_GROUP)))
        .tuples()
    }
    missing = [g for g in ("wis", "health", "education", "police") if g not in loaded]
    say("正在读取各来源的出生记录...")
    # a year's margin before the window: a WIS date a year off, a vaccination a day late, still
    # link to their birth; births the other sources date before the window are then left out
    records = load_records(first - dt.timedelta(days=MARGIN_DAYS), last)
    say(f"已读 {len(records)} 条记录，正在比对...")
    linked = link(records)
    orders = BirthOrders(linked, older_wis_births(first - dt.timedelta(days=MARGIN_DAYS)), first)
    clusters = [c for c in linked if birth_day(c) >= first]
    del linked
    county = Office.get().county_code
    mothers = {r.mother_id for r in records if r.mother_id}
    here: dict[str, str] = {}  # mother's ID → her village, for the mothers registered here
    ids = sorted(mothers)
    for i in range(0, len(ids), 900):
        for number, village in (
            Person.select(Person.id_number_18, Household.village_code)
            .join(Household)
            .where(Person.id_number_18.in_(ids[i : i + 900]) & (Person.deleted == False))
            .tuples()
        ):
            here[number] = village
    registered = set(here)
    n_records, n_births = len(records), len(clusters)
    del records  # the clusters hold them
    say("正在保存比对结果...")
    seen: Counter = Counter()
    kinds: Counter = Counter()
    codes: set[str] = set()
    results = {
        key: json.loads(records) for key, records in VisitResult.select(VisitResult.key, VisitResult.records).tuples()
    }
    kept_codes = {key: code for key, code in VisitResult.select(VisitResult.key, VisitResult.code).tuples() if code}
    by_record = {rk: key for key, records in results.items() for rk in records}  # a concluded birth's records
    moved: dict[str, str] = {}  # a result's old key → the key its birth has now
    columns = (
        "key",
        "kind",
        "village_code",
        "birth_date",
        "child_name",
        "sex",
        "mother_name",
        "mother_id_number",
        "groups",
        "evidence",
        "differences",
        "reason",
        "birth_uid",
        "code",
    )
    # the findings are written as they are made (a county's would not all fit in memory at once) into
    # a TEMP table, which takes no lock on the office's database; the write lock is held only to
    # publish them, in one short transaction (issue 14: clerks keep saving meanwhile)
    db = ReconcileFinding._meta.database
    con = db.connection()
    listed = ", ".join(columns)
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS reconcile_stage ({listed})")
    con.execute("DELETE FROM temp.reconcile_stage")
    sql = f"INSERT INTO temp.reconcile_stage ({listed}) VALUES ({', '.join('?' * len(columns))})"
    chunk: list[tuple] = []
    for c in clusters:
        f = classify(c, county, registered, as_of, orders)
        kinds[f.kind] += 1
        seen[f.key] += 1
        if seen[f.key] > 1:  # two births with the same key (unnamed twins of one sex): keep both
            f.key = f"{f.key}#{seen[f.key]}"
        if f.key not in results:  # a birth concluded under another key (a list gave the child a name since)
            old = next((by_record[r.key] for r in c if r.key in by_record), None)
            if old and old not in moved and old not in seen:
                moved[old] = f.key
        row = _row(f, here)
        # a concluded birth keeps the code it was concluded under (the work lists printed it)
        old_key = f.key if f.key in kept_codes else next((k for k, v in moved.items() if v == f.key), None)
        code = kept_codes.get(old_key or "") if old_key else None
        row["code"] = code = code if code and code not in codes else short_code(f.key, codes)
        codes.add(code)
        chunk.append(tuple(row[k] for k in columns))
        if len(chunk) == 5000:  # plain executemany: peewee takes longer to build the statement than SQLite to run it
            con.executemany(sql, chunk)
            chunk = []
    con.executemany(sql, chunk)
    try:
        with write_txn():
            ReconcileFinding.delete().execute()
            con.execute(f'INSERT INTO "reconcile_finding" ({listed}) SELECT {listed} FROM temp.reconcile_stage')
            for old, new in moved.items():
                if new not in results and old not in seen:
                    VisitResult.update(key=new).where(VisitResult.key == old).execute()
            seconds = time.perf_counter() - started
            ReconcileRun.create(
                at=now_iso(), as_of=as_of.isoformat(), records=n_records, births=n_births, seconds=seconds
            )
    finally:
        con.execute("DROP TABLE IF EXISTS temp.reconcile_stage")
    return RunReport(as_of, n_records, n_births, dict(kinds), seconds, missing)


def short_code(key: str, taken: set[str]) -> str:
    """A finding's code for work lists and clerks: 8 characters of the key's SHA-1 in upper case
    (no ID number in it, unlike the key), longer when another birth of the run has it already."""
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest().upper()
    for n in range(8, 41):
        if digest[:n] not in taken:
            return digest[:n]
    return digest


def _row(f: Finding, here: dict[str, str]) -> dict:
    recs = f.records
    # the village: the household form's, else the mother's household's here, else a list's (村(居)委会)
    village = (
        next((r.village for r in recs if r.village and r.source == "forms"), "")
        or next((here[r.mother_id] for r in recs if r.mother_id in here), "")
        or _common([r.village for r in recs if r.village])
    )
    name = next((r.name for r in recs if r.name), "")
    evidence = [
        dict(
            source=r.source,
            group=r.group,
            key=r.key,
            where=r.where,
            name=r.name,
            sex=r.sex,
            born=shown_date(r),
            child_id=r.child_id,
            mother_id=r.mother_id,
            mother_name=r.mother_name,
            cert=r.cert,
            dead=r.dead,
            address=r.address,
            order=r.order,
        )
        for r in recs
    ]
    return dict(
        key=f.key,
        kind=f.kind,
        village_code=village,
        birth_date=birth_day(recs).isoformat(),
        child_name=name,
        sex=_common([r.sex for r in recs]),
        mother_name=_common([r.mother_name for r in recs]),
        mother_id_number=_common([r.mother_id for r in recs]),
        groups=" ".join(f.groups),
        evidence=json.dumps(evidence, ensure_ascii=False),
        differences=json.dumps(f.differences, ensure_ascii=False),
        reason=f.reason,
        birth_uid=next((r.birth_uid for r in recs if r.birth_uid), ""),
    )


def last_run():
    """The last :class:`~storage.models.ReconcileRun`, or ``None`` before the first run."""
    from ..models import ReconcileRun

    return ReconcileRun.select().order_by(ReconcileRun.id.desc()).first()


def changed_since(at: str) -> str:
    """What changed after the run made at ``at`` (UTC ISO), in words, or ``""``: a record saved or a
    list imported since, which the run's findings do not know (issue 15: an old run said nothing)."""
    from ..models import AuditLog, ImportBatch

    what = []
    if AuditLog.select().where(AuditLog.at > at).exists():
        what.append("有登记表改动")
    if ImportBatch.select().where((ImportBatch.imported_at > at) & (ImportBatch.status == "active")).exists():
        what.append("导入了名单")
    return "、".join(what)


def findings(*, village: str = "", kind: str = "", group: str = "", offset: int = 0, limit: int = 200):
    """The last run's findings, paged from SQL: not consistent ones unless ``kind`` asks for them,
    filtered by village (code prefix), kind and source group, by village, kind (omissions first)
    and date. Returns a list of ``(ReconcileFinding, VisitResult | None)``."""
    from ..models import ReconcileFinding, VisitResult

    q = ReconcileFinding.select(ReconcileFinding, VisitResult).join(
        VisitResult, pw.JOIN.LEFT_OUTER, on=(VisitResult.key == ReconcileFinding.key), attr="result"
    )
    q = q.where(ReconcileFinding.kind == kind) if kind else q.where(ReconcileFinding.kind != "consistent")
    if village:
        q = q.where(ReconcileFinding.village_code.startswith(village))
    if group:
        q = q.where(ReconcileFinding.groups.contains(group))
    rank = pw.Case(
        ReconcileFinding.kind, [(k, n) for n, k in enumerate(("omission", "misreport", "false", "elsewhere"))], 9
    )
    q = q.order_by(ReconcileFinding.village_code, rank, ReconcileFinding.birth_date).offset(offset).limit(limit)
    return [
        (f, f.result if f.result is not None and f.result.id else None) for f in q
    ]  # no result: None or an empty row
