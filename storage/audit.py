"""Writing shared rows: stamping ``uid``/``origin``/``version``/``updated_*`` and the audit trail.

DESIGN.md §4: every change raises the office's version counter, stamps the row and writes one
``AuditLog`` row per changed field (who, when, table, uid, field, old, new, reason). A row is written
only by its origin office; deletion is a tombstone (``deleted = 1``), never a ``DELETE``.

Every function here must run inside a write transaction (:func:`storage.db.write_txn`), so the
version counter, the row and its audit rows commit together.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import peewee as pw

from .auditchain import CHAINED, link
from .db import now_iso
from .errors import OperatorError
from .models import SHARED_MODELS, AuditLog, Office, SharedModel
from .paths import operator_login

STAMP_FIELDS = frozenset({"id", "uid", "origin", "version", "updated_at", "updated_by"})


class NotOwner(OperatorError):
    """A row may be changed only by its origin office (DESIGN.md §4)."""


def office() -> Office:
    """This database's office row. Raises ``Office.DoesNotExist`` before ``hecha init``."""
    return Office.get()


def next_version() -> int:
    """Raise the office's version counter by one and return the new value (inside a transaction)."""
    Office.update(version_counter=Office.version_counter + 1).execute()
    return Office.select(Office.version_counter).scalar()


def _known_operator(login: str) -> None:
    """Register ``login`` as an operator the first time it writes (inside the write transaction)."""
    from .office import ensure_operator

    ensure_operator(login)


def _value(row: SharedModel, field: pw.Field) -> Any:
    if isinstance(field, pw.ForeignKeyField):
        return getattr(row, field.column_name)
    return getattr(row, field.name)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def save(row: SharedModel, *, reason: str = "", operator: str | None = None) -> bool:
    """Insert or update ``row`` with a new version and audit rows for each changed field.

    Returns ``True`` when something was written (an update that changes nothing writes nothing).
    Raises :class:`NotOwner` when ``row`` belongs to another office.
    """
    me = office()
    who = operator or operator_login()
    _known_operator(who)
    fields = [f for f in type(row)._meta.sorted_fields if f.name not in STAMP_FIELDS]
    if row.id is None:
        old_values: dict[str, Any] = {}
        row.origin = me.code
    else:
        if row.origin != me.code:
            raise NotOwner(f"{type(row).__name__} {row.uid} 属于 {row.origin}，本单位不能直接修改")
        stored = type(row).get_by_id(row.id)
        old_values = {f.name: _value(stored, f) for f in fields}
    changes = [
        (f.name, old_values.get(f.name), _value(row, f))
        for f in fields
        if row.id is None or _text(old_values.get(f.name)) != _text(_value(row, f))
    ]
    if row.id is not None and not changes:
        return False
    at = now_iso()
    row.version = next_version()
    row.updated_at = at
    row.updated_by = who
    row.save()
    table = type(row)._meta.table_name
    rows = [
        dict(at=at, operator=who, table=table, uid=row.uid, field=name, old=_text(old), new=_text(new), reason=reason)
        for name, old, new in changes
        if not (old_values == {} and new in (None, "", False))  # a new row: log what it holds
    ] or [dict(at=at, operator=who, table=table, uid=row.uid, field="*", old=None, new="created", reason=reason)]
    chain(rows)
    AuditLog.insert_many(rows).execute()
    return True


# ------------------------------------------------------------------------------ the hash chain
def chain(rows: list[dict[str, Any]]) -> None:
    """Give ``rows`` (audit rows about to be inserted, in order) their hashes, continuing from the
    newest one stored, and keep the new head on the office row. Inside the write transaction that
    inserts them (issue 14: an edited, deleted or reordered audit row is then found by
    :func:`verify`)."""
    head = Office.select(Office.audit_head).scalar() or ""
    for row in rows:
        head = row["hash"] = link(head, row)
    if rows:
        Office.update(audit_head=head).execute()


@dataclass(frozen=True)
class Problem:
    """One thing :func:`verify` found: ``kind`` (``edited``, ``cut``, ``unaudited``) and Chinese ``text``."""

    kind: str
    text: str


def verify() -> Iterator[Problem]:
    """Check the audit trail (``hecha audit verify``): each audit row's hash against the row before it
    (an edited, deleted or reordered row breaks the chain there), the newest hash against the office
    row (rows cut off the end), and every field of this office's own records against the value its
    last audit row gives (a record edited in SQLite, bypassing hecha, has no audit row to match)."""
    db = AuditLog._meta.database
    fields = ", ".join(f'"{k}"' for k in CHAINED)
    head = ""
    broken = 0
    for rid, stored, *values in db.execute_sql(f'SELECT id, "hash", {fields} FROM "audit_log" ORDER BY id'):
        expected = link(head, dict(zip(CHAINED, values, strict=True)))
        if stored != expected and broken < 20:
            broken += 1
            yield Problem("edited", f"审计记录第 {rid} 条与前一条接不上：这一条或它前面的记录被改动、删除或调换过")
        head = stored or expected
    if head != (Office.select(Office.audit_head).scalar() or ""):
        yield Problem("cut", "审计记录的最后几条不见了（与本单位记下的最新校验值不符）")
    me = Office.select(Office.code).scalar()
    for model in SHARED_MODELS:
        table = model._meta.table_name
        last: dict[str, dict[str, str | None]] = {}
        for uid, name, new in db.execute_sql(
            """SELECT a.uid, a.field, a.new FROM audit_log a JOIN (
                   SELECT max(id) AS id FROM audit_log WHERE "table" = ? AND field != '*' GROUP BY uid, field
               ) m ON m.id = a.id""",
            (table,),
        ):
            last.setdefault(uid, {})[name] = new
        seen = {uid for (uid,) in db.execute_sql('SELECT DISTINCT uid FROM audit_log WHERE "table" = ?', (table,))}
        held = {uid for (uid,) in db.execute_sql(f'SELECT uid FROM "{table}"')}
        for uid in sorted(seen - held)[:20]:  # hecha never deletes a row: it marks it deleted (a tombstone)
            yield Problem("deleted", f"{table} {uid} 有审计记录，记录本身却不见了：被绕过 hecha 直接删除")
        columns = {f.name: f for f in model._meta.sorted_fields if f.name not in STAMP_FIELDS}
        # a column a migration added holds its SQL default in every row made before it, with no audit
        # row (an upgrade from 0.1.0 was reported as tampering in every record; a breaker's finding)
        defaults = {
            name: _sql_default(default)
            for _, name, _, _, default, _ in db.execute_sql(f'PRAGMA table_info("{table}")')
            if default is not None
        }
        for row in model.select().where(model.origin == me).iterator():
            if row.uid not in seen:
                yield Problem("unaudited", f"{table} {row.uid} 没有任何审计记录：不是经 hecha 写入的")
                continue
            audited = last.get(row.uid, {})
            # a field with no audit row was empty (or its column's default) when the record was made
            # (save logs what a new record holds) and never changed since: anything else came around hecha
            changed = [
                n
                for n, f in columns.items()
                if (
                    _text(_value(row, f)) != audited[n]
                    if n in audited
                    else _value(row, f) not in (None, "", False)
                    and _text(_value(row, f)) != defaults.get(f.column_name)
                )
            ]
            if changed:
                yield Problem(
                    "unaudited", f"{table} {row.uid} 的 {'、'.join(changed)} 与审计记录不符：被绕过 hecha 直接改过"
                )


def _sql_default(literal: str) -> str:
    """A column's default as ``PRAGMA table_info`` gives it (``'day'``, ``0``), as :func:`_text` writes it."""
    if len(literal) >= 2 and literal[0] == literal[-1] == "'":
        return literal[1:-1].replace("''", "'")
    return literal


def tombstone(row: SharedModel, *, reason: str, operator: str | None = None) -> bool:
    """Mark ``row`` deleted (a tombstone that travels in bundles). Returns ``False`` if it already was."""
    if row.deleted:
        return False
    row.deleted = True
    return save(row, reason=reason, operator=operator)


@dataclass(frozen=True)
class Change:
    """One audited change of a household's records, for its history: ``at`` local time
    (YYYY-MM-DD HH:MM), ``operator``, ``what`` (table and field in words), ``old``, ``new``, ``reason``."""

    at: str
    operator: str
    what: str
    old: str
    new: str
    reason: str


TABLE_WORDS = {"household": "户", "person": "人", "birth": "出生", "woman_fp": "育龄妇女页", "migration": "流动"}


DERIVED = frozenset({"name_norm", "id_number_18", "id_check"})  # computed from the name or the ID number
MORE_LABELS = {  # the audited fields that are not form fields (storage.validate.FIELD_LABELS has those)
    "deleted": "注销",
    "confirmed": "已确认的提示",
    "household": "所在户",
    "household_code": "户编码",
    "serial": "户序号",
    "entry_status": "录入状态",
    "seq": "户内序号",
    "person": "人员",
}


def history(household_uid: str, *, limit: int = 2000) -> list[Change]:
    """The audited changes of a household and of every record that belongs to it (members, their
    pages and episodes, births), newest first, at most ``limit``; times in local time (DESIGN.md:
    times shown to people are local). Issue 14: a screen shows who changed what."""

    from .models import Birth, Household, Migration, Person, WomanFP

    hh = Household.get_or_none(Household.uid == household_uid)
    if hh is None:
        return []
    people = list(Person.select(Person.id, Person.uid, Person.name).where(Person.household == hh))
    names = {p.uid: p.name for p in people}
    ids = [p.id for p in people]
    uids = {hh.uid, *names}
    uids |= {b.uid for b in Birth.select(Birth.uid).where(Birth.household == hh)}
    uids |= {w.uid for w in WomanFP.select(WomanFP.uid).where(WomanFP.person.in_(ids))}
    uids |= {g.uid for g in Migration.select(Migration.uid).where(Migration.person.in_(ids))}
    rows = AuditLog.select().where(AuditLog.uid.in_(list(uids))).order_by(AuditLog.id.desc()).limit(limit)
    out = []
    from .dates import local_time
    from .validate import FIELD_LABELS

    for a in rows:
        if a.field in DERIVED or a.field.endswith("_prec"):  # kept in step with a field shown beside it
            continue
        when = local_time(a.at)
        who = names.get(a.uid, "")
        field = "" if a.field == "*" else FIELD_LABELS.get(a.field) or MORE_LABELS.get(a.field, a.field)
        what = f"{TABLE_WORDS.get(a.table, a.table)}{(' ' + who) if who else ''} {field}"
        out.append(Change(when, a.operator, what.strip(), a.old or "", a.new or "", a.reason))
    return out
