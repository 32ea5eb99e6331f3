"""Rows as they travel in bundles and in the county's decisions (DESIGN.md §4, §9): every column of a
shared table except the local ``id``; a foreign key travels as the referenced row's ``uid`` under
``<field>_uid``. Read and written here for :mod:`export.merge` (the county's merge) and for
:mod:`storage.decisions` (a conflict decided and the chosen row sent down), so both check a row alike.
Work is done in chunks of :data:`CHUNK` rows (one ``IN`` query each).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Any

import peewee as pw

from .errors import OperatorError
from .models import SHARED_MODELS, SharedModel

CHUNK = 500
TABLES: dict[str, type[SharedModel]] = {m._meta.table_name: m for m in SHARED_MODELS}


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
def columns(model: type[SharedModel]) -> tuple[_Col, ...]:
    def kind(f: pw.Field) -> type | None:
        if isinstance(f, pw.ForeignKeyField):
            return None
        if isinstance(f, pw.BooleanField):
            return bool
        if isinstance(f, pw.IntegerField):
            return int
        return str

    fields = _fields(model)  # type: ignore[arg-type]  # mypy#11469: a class is not seen as Hashable
    cols = tuple(_Col(_key(f), f.column_name, f, isinstance(f, pw.ForeignKeyField), kind(f)) for f in fields)
    # the merge copies a record's plain values as they are (export.merge.apply): their keys are the columns
    assert all(c.key == c.column for c in cols if not c.fk), model
    return cols


def dump(model: type[SharedModel], where: pw.Expression) -> Iterator[dict[str, Any]]:
    """Stream the rows of ``model`` matching ``where`` as bundle records, in version order."""
    cols = columns(model)  # type: ignore[arg-type]  # mypy#11469: a class is not seen as Hashable
    table = model._meta.table_name
    sql, params = model.select(*(c.field for c in cols)).where(where).order_by(model.version).sql()
    keys = [c.key for c in cols]
    flags = [c.key for c in cols if c.kind is bool]  # stored 0/1: a record carries true/false
    refs = [(i, c.key, c.field.rel_model) for i, c in enumerate(cols) if c.fk]
    # the plain cursor, not peewee's rows (converting every value through its field was a fifth of
    # an export); a record is built by dict(zip()), then its few references and flags put right
    query = model._meta.database.execute_sql(sql, params)
    batch: list[tuple] = []

    def flush() -> Iterator[dict[str, Any]]:
        maps = [(i, key, uids_by_id(rel, {r[i] for r in batch if r[i] is not None})) for i, key, rel in refs]
        for r in batch:
            rec = dict(zip(keys, r, strict=True))
            for i, key, uids in maps:
                if r[i] is not None:
                    rec[key] = uids.get(r[i])
            for key in flags:
                if rec[key] is not None:
                    rec[key] = bool(rec[key])
            yield {"t": table, "r": rec}
        batch.clear()

    for r in query:
        batch.append(r)
        if len(batch) >= CHUNK:
            yield from flush()
    yield from flush()


def uids_by_id(model: type[SharedModel], ids: set[int]) -> dict[int, str]:
    """id → uid for those of ``ids`` held here (plain SQL: peewee's query building cost more than
    the query on a county's merge)."""
    out: dict[int, str] = {}
    ids_list = list(ids)
    con = model._meta.database.connection()
    table = model._meta.table_name
    for i in range(0, len(ids_list), CHUNK):
        part = ids_list[i : i + CHUNK]
        sql = f'SELECT "id", "uid" FROM "{table}" WHERE "id" IN ({",".join("?" * len(part))})'
        out.update(con.execute(sql, part).fetchall())
    return out


def ids_by_uid(model: type[SharedModel], uids: Iterable[str]) -> dict[str, tuple[int, str, int]]:
    """uid → (id, origin, version) for those of ``uids`` held here (plain SQL, as above)."""
    uids = list(uids)
    out = {}
    con = model._meta.database.connection()
    table = model._meta.table_name
    for i in range(0, len(uids), CHUNK):
        part = uids[i : i + CHUNK]
        sql = f'SELECT "uid", "id", "origin", "version" FROM "{table}" WHERE "uid" IN ({",".join("?" * len(part))})'
        out.update({uid: (row_id, origin, version) for uid, row_id, origin, version in con.execute(sql, part)})
    return out


def check_value(table: str, col: _Col, value: Any) -> None:
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


def check_owner_of(table: str, row: dict[str, Any], township: str) -> str:
    """Why a household row is not ``township``'s (a 9-digit code), or ``""``: its village must be one
    of the township's (a village's 12-digit code starts with its township's 9, NBS) and its household
    code of that village (户编码 = village 12 + group 2 + serial 4). Other tables: ``""``."""
    if table != "household" or len(township) != 9:
        return ""
    village, code = str(row.get("village_code") or ""), str(row.get("household_code") or "")
    if not (len(village) == 12 and village.startswith(township)):
        return f"户 {row.get('uid')} 的村代码 {village} 不属于 {township}"
    if not code.startswith(village):
        return f"户 {row.get('uid')} 的户编码 {code} 不在它的村 {village}"
    return ""


def validate_record(rec: Any) -> tuple[type[SharedModel], dict[str, Any]]:
    """Check one record's table, keys and value types. Raises :class:`SchemaError`."""
    if not isinstance(rec, dict) or set(rec) != {"t", "r"} or not isinstance(rec["r"], dict):
        raise SchemaError("记录格式不对（应为 {t, r}）")
    model = TABLES.get(rec["t"]) if isinstance(rec["t"], str) else None
    if model is None:
        raise SchemaError(f"未知的表 {rec['t']!r}")
    row = rec["r"]
    keys, kinds = _shape(model)  # type: ignore[arg-type]  # mypy#11469: a class is not seen as Hashable
    if row.keys() != keys:
        missing, extra = keys - row.keys(), row.keys() - keys
        raise SchemaError(f"{rec['t']} 记录字段不对：缺少 {sorted(missing)}，多出 {sorted(extra)}")
    for col, key, kind in kinds:  # the common case in one pass; check_value says which and why
        value: Any = row[key]
        if type(value) is not kind or (kind is str and col.fk and len(row[key]) != 36):
            check_value(rec["t"], col, value)
    return model, row


@cache
def _shape(model: type[SharedModel]) -> tuple[frozenset[str], tuple[tuple[_Col, str, type], ...]]:
    """The keys a record of ``model`` carries, and each column with its key and exact type (a
    reference: a 36-character string)."""
    cols = columns(model)  # type: ignore[arg-type]  # mypy#11469: a class is not seen as Hashable
    return frozenset(c.key for c in cols), tuple((c, c.key, c.kind or str) for c in cols)


def insert_rows(model: type[pw.Model], rows: list[dict[str, Any]]) -> None:
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
    values = itemgetter(*columns) if len(columns) > 1 else lambda r: (r[columns[0]],)
    model._meta.database.connection().executemany(sql, map(values, rows))


def update_rows(model: type[pw.Model], rows: list[tuple[dict[str, Any], int]]) -> dict[int, tuple[str, ...]]:
    """Update rows given as ``(column → value, id)`` (a bundle record carries every column): each
    row sets only the columns whose values changed, and its stamps, through one prepared statement
    per set of changed columns (``executemany``). SQLite rewrites an index whose column an UPDATE
    names, changed or not: setting every column rewrote all seven of the person's indexes for a
    changed telephone number, which at a county of 900,000 persons was most of a weekly import.
    Returns each row id's changed columns."""
    if not rows:
        return {}
    cols = [c.column for c in columns(model) if c.column not in STAMPS]  # type: ignore[arg-type]  # mypy#11469
    held = held_content(model, [row_id for _, row_id in rows])
    groups: dict[tuple[str, ...], list[tuple]] = {}
    out: dict[int, tuple[str, ...]] = {}
    for values, row_id in rows:
        old = held.get(row_id)
        changed = cols if old is None else [c for c, was in zip(cols, old, strict=True) if values[c] != was]
        out[row_id] = tuple(changed)
        names = (*changed, *(c for c in ("version", "updated_at", "updated_by") if c in values))
        groups.setdefault(names, []).append((*(values[c] for c in names), row_id))
    table = model._meta.table_name
    for names, params in groups.items():
        sets = ", ".join(f'"{c}" = ?' for c in names)
        model._meta.database.connection().executemany(f'UPDATE "{table}" SET {sets} WHERE "id" = ?', params)
    return out


STAMPS = ("id", "version", "updated_at", "updated_by")
"""Columns that say when and by whom, not what: not compared when two versions of a row are."""


def held_content(model: type[SharedModel], row_ids: Iterable[int]) -> dict[int, tuple]:
    """The content of held rows (every column but :data:`STAMPS`, in :func:`columns` order), by row id:
    one query per :data:`CHUNK` ids."""
    cols = [c for c in columns(model) if c.column not in STAMPS]  # type: ignore[arg-type]  # mypy#11469
    ids = list(row_ids)
    out: dict[int, tuple] = {}
    for i in range(0, len(ids), CHUNK):
        q = model.select(model.id, *(c.field for c in cols)).where(model.id.in_(ids[i : i + CHUNK])).tuples()
        out.update({r[0]: tuple(r[1:]) for r in q})
    return out


def content(model: type[SharedModel], values: dict[str, Any]) -> tuple:
    """``values`` (column → value, as :func:`held_content` reads them) as a comparable tuple."""
    return tuple(values[c.column] for c in columns(model) if c.column not in STAMPS)  # type: ignore[arg-type]
