"""Rows as they travel in bundles, and the county's merge of them (DESIGN.md §4, §9).

A record is ``{"t": table, "r": row}``: every column of a shared table except the local ``id``;
a foreign key travels as the referenced row's ``uid`` under ``<field>_uid``. Merge is by ``uid``:
a row new to us is inserted; a row from its origin office with a higher version replaces ours;
the same version changes nothing; a row from an office that is not its origin, an older version,
or the same version with other content is kept as a :class:`~storage.models.MergeConflict` for a
person to decide, never dropped.

Work is done in chunks of :data:`CHUNK` records (one ``IN`` query for the uids, one for references,
``insert_many`` for new rows), so a 50,000-person bundle merges in seconds and in little memory.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import peewee as pw

from storage import audit
from storage.db import now_iso
from storage.errors import OperatorError
from storage.models import SHARED_MODELS, AuditLog, MergeConflict, Person, SharedModel
from storage.namekeys import index_uids

CHUNK = 500
TABLES: dict[str, type[SharedModel]] = {m._meta.table_name: m for m in SHARED_MODELS}


class ForeignRow(OperatorError):
    """A row the sender may not send: a household of a village outside the sending township, or a
    household code outside its own village (DESIGN.md §9; issue 14). The whole bundle is refused."""


def check_owner(table: str, row: dict[str, Any], sender: str) -> None:
    """Refuse a household row of ``sender`` (a township's 9-digit code) that is not in one of its
    villages (GB/T 2260 + NBS: a village's 12-digit code starts with its township's 9) or whose
    household code is not of its village (户编码 = village 12 + group 2 + serial 4). Raises
    :class:`ForeignRow`."""
    if table != "household" or len(sender) != 9:
        return
    village, code = str(row.get("village_code") or ""), str(row.get("household_code") or "")
    if not (len(village) == 12 and village.startswith(sender)):
        raise ForeignRow(f"户 {row.get('uid')} 的村代码 {village} 不属于发送单位 {sender}")
    if not code.startswith(village):
        raise ForeignRow(f"户 {row.get('uid')} 的户编码 {code} 不在它的村 {village}")


class SchemaError(OperatorError):
    """A record that does not fit this program's tables; the message says which and why."""


@cache
def _fields(model: type[SharedModel]) -> tuple[pw.Field, ...]:
    return tuple(f for f in model._meta.sorted_fields if f.name != "id")


def _key(f: pw.Field) -> str:
    return f"{f.name}_uid" if isinstance(f, pw.ForeignKeyField) else f.name


@dataclass(frozen=True)
class _Col:
    key: str  # name in the bundle record
    column: str  # column in the table
    field: pw.Field
    fk: bool
    kind: type | None  # the Python type a value must have (None for a reference)


@cache
def _columns(model: type[SharedModel]) -> tuple[_Col, ...]:
    def kind(f: pw.Field) -> type | None:
        if isinstance(f, pw.ForeignKeyField):
            return None
        if isinstance(f, pw.BooleanField):
            return bool
        if isinstance(f, pw.IntegerField):
            return int
        return str

    fields = _fields(model)  # type: ignore[arg-type]  # mypy#11469: a class is not seen as Hashable
    return tuple(_Col(_key(f), f.column_name, f, isinstance(f, pw.ForeignKeyField), kind(f)) for f in fields)


def dump(model: type[SharedModel], where: pw.Expression) -> Iterator[dict[str, Any]]:
    """Stream the rows of ``model`` matching ``where`` as bundle records, in version order."""
    cols = _columns(model)  # type: ignore[arg-type]  # mypy#11469: a class is not seen as Hashable
    table = model._meta.table_name
    query = model.select(*(c.field for c in cols)).where(where).order_by(model.version).tuples().iterator()
    batch: list[tuple] = []

    def flush() -> Iterator[dict[str, Any]]:
        maps = {}
        for i, c in enumerate(cols):
            if c.fk:
                maps[i] = _uids_by_id(c.field.rel_model, {r[i] for r in batch if r[i] is not None})
        for r in batch:
            yield {
                "t": table,
                "r": {c.key: (maps[i].get(r[i]) if c.fk and r[i] is not None else r[i]) for i, c in enumerate(cols)},
            }
        batch.clear()

    for r in query:
        batch.append(r)
        if len(batch) >= CHUNK:
            yield from flush()
    yield from flush()


def _uids_by_id(model: type[SharedModel], ids: set[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    ids_list = list(ids)
    for i in range(0, len(ids_list), CHUNK):
        part = ids_list[i : i + CHUNK]
        out.update(
            {row_id: uid for row_id, uid in model.select(model.id, model.uid).where(model.id.in_(part)).tuples()}
        )
    return out


def _ids_by_uid(model: type[SharedModel], uids: Iterable[str]) -> dict[str, tuple[int, str, int]]:
    """uid → (id, origin, version) for those of ``uids`` held here."""
    uids = list(uids)
    out = {}
    for i in range(0, len(uids), CHUNK):
        part = uids[i : i + CHUNK]
        q = model.select(model.uid, model.id, model.origin, model.version).where(model.uid.in_(part)).tuples()
        out.update({uid: (row_id, origin, version) for uid, row_id, origin, version in q})
    return out


def _check_value(table: str, col: _Col, value: Any) -> None:
    if value is None:
        if col.field.null:
            return
        raise SchemaError(f"{table}.{col.field.name} 不能为空")
    if col.kind is None:
        ok = type(value) is str and len(value) == 36
    else:
        ok = type(value) is col.kind  # exact: a bool is not an int here
    if not ok:
        raise SchemaError(f"{table}.{col.field.name} 的值类型不对：{value!r}")


def validate_record(rec: Any) -> tuple[type[SharedModel], dict[str, Any]]:
    """Check one record's table, keys and value types. Raises :class:`SchemaError`."""
    if not isinstance(rec, dict) or set(rec) != {"t", "r"} or not isinstance(rec["r"], dict):
        raise SchemaError("记录格式不对（应为 {t, r}）")
    model = TABLES.get(rec["t"])
    if model is None:
        raise SchemaError(f"未知的表 {rec['t']!r}")
    row = rec["r"]
    cols = _columns(model)  # type: ignore[arg-type]  # mypy#11469: a class is not seen as Hashable
    if len(row) != len(cols) or any(c.key not in row for c in cols):
        expected = {c.key for c in cols}
        missing, extra = expected - set(row), set(row) - expected
        raise SchemaError(f"{rec['t']} 记录字段不对：缺少 {sorted(missing)}，多出 {sorted(extra)}")
    for c in cols:
        _check_value(rec["t"], c, row[c.key])
    return model, row


@dataclass
class MergeStats:
    """What a merge did, per table: ``inserted``, ``updated``, ``unchanged``, ``conflicts``."""

    inserted: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    conflicts: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        """Chinese one-line summary: 新增 户12 人48 …"""

        def part(label: str, c: Counter) -> str:
            items = [f"{TABLE_LABELS.get(t, t)}{n}" for t, n in c.items() if n]
            return f"{label} " + " ".join(items) if items else ""

        return (
            "；".join(
                p
                for p in (
                    part("新增", self.inserted),
                    part("更新", self.updated),
                    part("无变化", self.unchanged),
                    part("冲突待处理", self.conflicts),
                )
                if p
            )
            or "没有记录"
        )


TABLE_LABELS = {
    "household": "户",
    "person": "人",
    "birth": "出生",
    "woman_fp": "育龄妇女",
    "migration": "流动",
    "assist": "协查等消息",
}


def _insert(model: type[pw.Model], rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (column → value) with one prepared statement (``executemany``).

    peewee's ``insert_many`` builds the SQL text value by value, which cost most of a 50,000-person
    merge; the rows here are already checked and converted, so the plain statement is enough.
    """
    if not rows:
        return
    columns = list(rows[0])
    sql = 'INSERT INTO "{}" ({}) VALUES ({})'.format(
        model._meta.table_name, ", ".join(f'"{c}"' for c in columns), ", ".join("?" for _ in columns)
    )
    model._meta.database.connection().executemany(sql, [tuple(r[c] for c in columns) for r in rows])


def apply(
    records: Iterable[dict[str, Any]], *, sender: str, bundle_id: str, operator: str, rebaseline: bool = False
) -> MergeStats:
    """Merge ``records`` (already validated, tables in dependency order) into this database.

    ``rebaseline``: the first bundle of a township's new epoch (after ``hecha restore``), which
    carries all its rows as the backup held them; a row this database holds in a newer version is
    kept as it is (the newest data stays), not set aside as a conflict.

    Must run inside a write transaction: the caller commits the whole bundle or nothing. Raises
    :class:`SchemaError` for a reference to a row neither held nor in the bundle.
    """
    stats = MergeStats()
    at = now_iso()
    conflicted: set[str] = set()  # rows held back in this bundle; rows that refer to them wait too
    chunk: list[tuple[type[SharedModel], dict]] = []

    def flush() -> None:
        if not chunk:
            return
        model = chunk[0][0]
        table = model._meta.table_name
        held = _ids_by_uid(model, (r["uid"] for _, r in chunk))
        cols = _columns(model)  # type: ignore[arg-type]  # mypy#11469: a class is not seen as Hashable
        refs: dict[str, dict[str, int]] = {}
        for c in cols:
            if c.fk:
                uids = {r[c.key] for _, r in chunk if r[c.key]}
                refs[c.key] = {u: v[0] for u, v in _ids_by_uid(c.field.rel_model, uids).items()}
        inserts, audits, conflicts = [], [], []
        for _, r in chunk:
            values = {}
            reason = None
            for c in cols:
                v = r[c.key]
                if c.fk and v is not None:
                    target = c.field.rel_model._meta.table_name
                    if v in conflicted:
                        reason = f"引用的 {target} {v} 有待处理的冲突"
                    elif v not in refs[c.key]:
                        raise SchemaError(f"{table} {r['uid']} 引用的 {target} {v} 不存在")
                    v = refs[c.key].get(v)
                values[c.column] = v
            check_owner(table, r, sender)
            if reason is None and r["origin"] != sender:
                reason = f"记录的来源单位 {r['origin']} 不是发送单位 {sender}"
            elif reason is None and r["uid"] in held:
                row_id, origin, version = held[r["uid"]]
                if origin != r["origin"]:
                    reason = f"本库中该记录属于 {origin}"
                elif r["version"] < version and rebaseline:
                    stats.unchanged[table] += 1  # the county holds it newer: kept
                    continue
                elif r["version"] < version:
                    reason = f"版本 {r['version']} 低于本库的 {version}"
                elif r["version"] == version:
                    stats.unchanged[table] += 1
                    continue
                else:
                    model.update(values).where(model.id == row_id).execute()
                    stats.updated[table] += 1
                    audits.append(
                        dict(
                            at=at,
                            operator=operator,
                            table=table,
                            uid=r["uid"],
                            field="*",
                            old=str(version),
                            new=str(r["version"]),
                            reason=f"数据包 {bundle_id} 更新",
                        )
                    )
                    continue
            if reason:
                conflicted.add(r["uid"])
                conflicts.append(
                    dict(
                        bundle_id=bundle_id,
                        table=table,
                        uid=r["uid"],
                        reason=reason,
                        row_json=json.dumps(r, ensure_ascii=False),
                        at=at,
                        status="open",
                    )
                )
                stats.conflicts[table] += 1
                continue
            inserts.append(values)
            held[r["uid"]] = (-1, r["origin"], r["version"])
            audits.append(
                dict(
                    at=at,
                    operator=operator,
                    table=table,
                    uid=r["uid"],
                    field="*",
                    old=None,
                    new="imported",
                    reason=f"数据包 {bundle_id} 新增",
                )
            )
        _insert(model, inserts)
        stats.inserted[table] += len(inserts)
        if model is Person:  # the county searches what it merged: name keys for new and changed persons
            index_uids([r["uid"] for _, r in chunk])
        _insert(MergeConflict, conflicts)
        audit.chain(audits)
        _insert(AuditLog, audits)
        chunk.clear()

    for model, row in ((TABLES[rec["t"]], rec["r"]) for rec in records):
        if chunk and (chunk[0][0] is not model or len(chunk) >= CHUNK):
            flush()
        chunk.append((model, row))
    flush()
    return stats
