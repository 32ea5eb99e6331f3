"""Rows as they travel in bundles, and the county's merge of them (DESIGN.md §4, §9).

A record is ``{"t": table, "r": row}``: every column of a shared table except the local ``id``;
a foreign key travels as the referenced row's ``uid`` under ``<field>_uid``. Merge is by ``uid``:
a row new to us is inserted; a row from its origin office with a higher version replaces ours;
the same version with the same content changes nothing; a row from an office that is not its
origin, an older version, or the same version with other content is kept as a
:class:`~storage.models.MergeConflict` for the county to decide (:func:`storage.decisions.decide_conflict`,
the decision applied by the owning township), never dropped. The row format itself (columns,
checks, the dump) is :mod:`storage.rows`.

Work is done in chunks of :data:`CHUNK` records (one ``IN`` query for the uids, one for references,
``insert_many`` for new rows), so a 50,000-person bundle merges in seconds and in little memory.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from storage import audit
from storage.bulk import TriggersAside
from storage.db import now_iso
from storage.errors import OperatorError
from storage.models import AuditLog, MergeConflict, Person, SharedModel
from storage.namekeys import index_rows
from storage.rows import (  # noqa: F401  # the row format, re-exported for the bundle code
    CHUNK,
    STAMPS,
    TABLES,
    SchemaError,
    check_owner_of,
    columns,
    content,
    dump,
    held_content,
    ids_by_uid,
    insert_rows,
    update_rows,
    validate_record,
)


class ForeignRow(OperatorError):
    """A row the sender may not send: a household of a village outside the sending township, or a
    household code outside its own village (DESIGN.md §9; issue 14). The whole bundle is refused."""


def check_owner(table: str, row: dict[str, Any], sender: str) -> None:
    """Refuse a household row of ``sender`` (a township's 9-digit code) that is not in one of its
    villages (GB/T 2260 + NBS: a village's 12-digit code starts with its township's 9) or whose
    household code is not of its village (户编码 = village 12 + group 2 + serial 4). Raises
    :class:`ForeignRow`."""
    why = check_owner_of(table, row, sender)
    if why:
        raise ForeignRow(why)


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
    "assist": "消息",
}


def _conflict(bundle_id: str, table: str, r: dict[str, Any], reason: str, at: str, sender: str) -> dict[str, Any]:
    return dict(
        bundle_id=bundle_id,
        table=table,
        uid=r["uid"],
        reason=reason,
        row_json=json.dumps(r, ensure_ascii=False),
        at=at,
        status="open",
        sender=sender,
    )


def apply(
    records: Iterable[dict[str, Any]], *, sender: str, bundle_id: str, operator: str, rebaseline: bool = False
) -> MergeStats:
    """Merge ``records`` (already validated, tables in dependency order) into this database.

    ``rebaseline``: the first bundle of a township's new epoch (after ``hecha restore`` or ``hecha
    rebaseline``), which carries all its rows as the backup held them; a row this database holds in a
    newer version with the same content is unchanged; with other content it is a conflict (the held
    row stays until a person decides, :mod:`storage.decisions`), and rows referring to it merge as usual.

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
        held = ids_by_uid(model, (r["uid"] for _, r in chunk))
        cols = columns(model)  # type: ignore[arg-type]  # mypy#11469: a class is not seen as Hashable
        fks = [(c.key, c.column, c.field.rel_model._meta.table_name) for c in cols if c.fk]
        refs: dict[str, dict[str, int]] = {}
        for c in cols:
            if c.fk:
                uids = {r[c.key] for _, r in chunk if r[c.key]}
                refs[c.key] = {u: v[0] for u, v in ids_by_uid(c.field.rel_model, uids).items()}
        inserts, audits, conflicts = [], [], []
        updates: list[tuple[dict[str, Any], int]] = []
        held_now: dict[int, tuple] | None = None
        for _, r in chunk:
            values = dict(r)  # a checked record: every column, its plain ones under their own names
            reason = None
            for key, column, target in fks:
                v = values.pop(key)
                if v is not None:
                    if v in conflicted:
                        reason = f"引用的 {target} {v} 有待处理的冲突"
                    elif v not in refs[key]:
                        raise SchemaError(f"{table} {r['uid']} 引用的 {target} {v} 不存在")
                    v = refs[key].get(v)
                values[column] = v
            check_owner(table, r, sender)
            if reason is None and r["origin"] != sender:
                reason = f"记录的来源单位 {r['origin']} 不是发送单位 {sender}"
            elif reason is None and r["uid"] in held:
                row_id, origin, version = held[r["uid"]]
                if origin != r["origin"]:
                    reason = f"本库中该记录属于 {origin}"
                elif r["version"] < version and rebaseline or r["version"] == version:
                    if held_now is None:  # the held content of this chunk's rows, read once
                        held_now = held_content(model, (v[0] for v in held.values() if v[0] > 0))
                    if held_now.get(row_id) == content(model, values):
                        stats.unchanged[table] += 1  # held as sent (or newer, as the backup had it)
                        continue
                    # newer here, or the same number, and different: an edit lost with the township's
                    # database (the county keeps it and sends it back down) or one keyed again after a
                    # backup copied back by hand (the township's wins) — a person decides; rows that
                    # refer to it merge as usual (the row itself is held here)
                    same = "相同" if r["version"] == version else f"低于本库的 {version}"
                    reason = ("恢复备份后重传：" if rebaseline else "") + f"版本 {r['version']} {same}，内容不同"
                    conflicts.append(_conflict(bundle_id, table, r, reason, at, sender))
                    stats.conflicts[table] += 1
                    continue
                elif r["version"] < version:
                    reason = f"版本 {r['version']} 低于本库的 {version}"
                else:
                    updates.append((values, row_id))
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
                conflicts.append(_conflict(bundle_id, table, r, reason, at, sender))
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
        if inserts:  # row ids given here (as SQLite would: one above the largest), so that what
            # refers to them needs no query to find them (we hold the write lock)
            top = model._meta.database.execute_sql(f'SELECT coalesce(max("id"), 0) FROM "{table}"').fetchone()[0]
            for row_id, values in enumerate(inserts, start=top + 1):
                values["id"] = row_id
        if inserts:
            aside.inserted(table, inserts[0]["id"], inserts[-1]["id"], insert=lambda: insert_rows(model, inserts))
        changed = update_rows(model, updates)
        stats.inserted[table] += len(inserts)
        if model is Person:  # the county searches what it merged: name keys for new persons and new names
            index_rows([(v["id"], v["name"], v["deleted"]) for v in inserts], fresh=True)
            index_rows([(i, v["name"], v["deleted"]) for v, i in updates if {"name", "deleted"} & set(changed[i])])
        insert_rows(MergeConflict, conflicts)
        audit.chain(audits)
        insert_rows(AuditLog, audits)
        chunk.clear()

    with TriggersAside() as aside:  # a bundle's many new rows: their INSERT triggers' work once per chunk
        for model, row in ((TABLES[rec["t"]], rec["r"]) for rec in records):
            if chunk and (chunk[0][0] is not model or len(chunk) >= CHUNK):
                flush()
            chunk.append((model, row))
        flush()
    return stats
