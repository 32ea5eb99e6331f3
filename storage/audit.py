"""Writing shared rows: stamping ``uid``/``origin``/``version``/``updated_*`` and the audit trail.

DESIGN.md §4: every change raises the office's version counter, stamps the row and writes one
``AuditLog`` row per changed field (who, when, table, uid, field, old, new, reason). A row is written
only by its origin office; deletion is a tombstone (``deleted = 1``), never a ``DELETE``.

Every function here must run inside a write transaction (:func:`storage.db.write_txn`), so the
version counter, the row and its audit rows commit together.
"""

from __future__ import annotations

from typing import Any

import peewee as pw

from .db import now_iso
from .errors import OperatorError
from .models import AuditLog, Office, SharedModel
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
    AuditLog.insert_many(
        [
            dict(
                at=at, operator=who, table=table, uid=row.uid, field=name, old=_text(old), new=_text(new), reason=reason
            )
            for name, old, new in changes
            if not (old_values == {} and new in (None, "", False))  # a new row: log what it holds
        ]
        or [dict(at=at, operator=who, table=table, uid=row.uid, field="*", old=None, new="created", reason=reason)]
    ).execute()
    return True


def tombstone(row: SharedModel, *, reason: str, operator: str | None = None) -> bool:
    """Mark ``row`` deleted (a tombstone that travels in bundles). Returns ``False`` if it already was."""
    if row.deleted:
        return False
    row.deleted = True
    return save(row, reason=reason, operator=operator)
