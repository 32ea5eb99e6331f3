"""The audit log's hash chain (issue 14), in a leaf module: the schema-13 migration and
:mod:`storage.audit` both use it, and :mod:`storage.db` must not import the audit module.

Each audit row's hash is SHA-256 over the previous row's hash and this row's fields
(:data:`CHAINED`, as JSON); the office row keeps the newest one (``audit_head``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .models import AuditLog

CHAINED = ("at", "operator", "table", "uid", "field", "old", "new", "reason")
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""What ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` writes, with one encoder made
once (``dumps`` with arguments makes one per call: a merge links tens of thousands of rows)."""


def link(previous: str, row: dict[str, Any]) -> str:
    """The hash of an audit row: SHA-256 over the previous row's hash and this row's fields."""
    text = _ENCODE([previous, *(row.get(k) for k in CHAINED)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rechain() -> None:
    """Hash every audit row there is, in id order (the schema-13 migration; rows written before
    the chain existed are taken as they are)."""
    db = AuditLog._meta.database
    head = ""
    fields = ", ".join(f'"{k}"' for k in CHAINED)
    rows = db.execute_sql(f'SELECT id, {fields} FROM "audit_log" ORDER BY id').fetchall()
    for rid, *values in rows:
        head = link(head, dict(zip(CHAINED, values, strict=True)))
        db.execute_sql('UPDATE "audit_log" SET "hash" = ? WHERE id = ?', (head, rid))
    db.execute_sql('UPDATE "office" SET "audit_head" = ?', (head,))
