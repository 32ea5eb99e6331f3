"""Search indexes set aside while a batch of bundles larger than the database is merged (issue 18,
item 7; DESIGN.md §11: the county's first import of 30 × 30,000 persons ≤ 60 s, cost per person flat).

An index on content a merge never looks up by (names, ID numbers, birth dates, name keys, the audit
log's uid) receives its entries in the order the rows arrive, which is random in the index: at
900,000 persons each 30,000-person bundle rewrote most of every such index's pages, and a bundle's
merge cost rose with the county (0.14 s per 1,000 persons in the first bundle, 0.27 in the 30th).
Built once after the batch by SQLite's sort instead, they cost a few seconds in all.

What is never set aside: the ``uid`` indexes (every merge looks rows up by them, and they keep a
row from arriving twice), unique indexes (constraints), and indexes the merge's own queries use.
Searches made while an index is set aside are slower, never wrong.

Crash safety: each index is dropped in the same transaction that records its ``CREATE`` statement
in :class:`~storage.models.SuspendedIndex`; each is built again in the transaction that deletes its
record. A batch stopped halfway (a crash, a lost SSH connection) leaves the records; the next
:func:`~storage.db.open_db` by a process that finds no batch running (:func:`running`, a lock file
beside the database) builds them again (:func:`recover`).

A leaf of the storage package (models only): :func:`storage.db.open_db` calls :func:`recover`.
Its transactions take the write lock at once (``BEGIN IMMEDIATE``), as :func:`storage.db.write_txn`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .models import SuspendedIndex, database

SUSPENDABLE = (
    "person_name_norm",
    "person_id_number",
    "person_id_number_18",
    "person_birth_date",
    "person_key_key",
    "audit_log_uid",
    "birth_birth_date",
)
"""Indexes set aside during a large batch: non-unique, on content only searches, the duplicate
review and reports look up by (:mod:`storage.dedup`, :mod:`storage.search`, the audit history)."""

SUSPEND_FROM = 50_000
"""Persons a batch must bring, at least, for its indexes to be set aside; and at least as many as
the database holds (:func:`worth_it`): building the indexes again costs in proportion to the whole
database, so a weekly batch into a full county keeps them."""

BUNDLE_BYTES_PER_PERSON = 110
"""A township bundle's size per person it carries, in bytes (households, births, women's and
migrants' records and the audit rows included; 100 MB for 900,039 persons in bench/county.py): how
:func:`worth_it` estimates a batch's persons before opening it."""


def lock_file(path: str | Path) -> Path:
    """The file beside the database that a batch holds an exclusive ``flock`` on while it runs."""
    return Path(f"{path}-bulk")


def worth_it(bundle_bytes: int, held_persons: int) -> bool:
    """Whether a batch of bundles of ``bundle_bytes`` bytes in all, merged into a database of
    ``held_persons`` persons, should set its search indexes aside (see :data:`SUSPEND_FROM`)."""
    incoming = bundle_bytes // BUNDLE_BYTES_PER_PERSON
    return incoming >= SUSPEND_FROM and incoming >= held_persons


def suspended() -> list[str]:
    """Names of the indexes set aside now (none unless a batch runs or stopped halfway)."""
    return [r.name for r in SuspendedIndex.select().order_by(SuspendedIndex.id)]


def suspend() -> list[str]:
    """Set aside every index of :data:`SUSPENDABLE` that exists, in one write transaction that also
    records how to build each again. Returns their names."""
    done = []
    with database.atomic("IMMEDIATE"):
        rows = database.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN ({})".format(
                ", ".join("?" for _ in SUSPENDABLE)
            ),
            SUSPENDABLE,
        ).fetchall()
        for name, sql in sorted(rows, key=lambda r: SUSPENDABLE.index(r[0])):
            SuspendedIndex.create(
                name=name, sql=sql, at=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            )
            database.execute_sql(f'DROP INDEX "{name}"')
            done.append(name)
    return done


def restore(progress: Callable[[str], None] | None = None) -> list[str]:
    """Build again every index set aside, one write transaction each (the largest, at a county of
    900,000 persons, about a second), calling ``progress`` with each name first. Returns their names."""
    done = []
    for row in SuspendedIndex.select().order_by(SuspendedIndex.id):
        if progress:
            progress(row.name)
        with database.atomic("IMMEDIATE"):
            exists = database.execute_sql(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (row.name,)
            ).fetchone()
            if not exists:
                database.execute_sql(row.sql)
            SuspendedIndex.delete_by_id(row.id)
        done.append(row.name)
    return done


@contextmanager
def running(path: str | Path) -> Iterator[int]:
    """Hold the batch lock of the database at ``path`` (an exclusive ``flock`` on :func:`lock_file`)
    for the block; yields the descriptor. Raises :class:`BlockingIOError` when another batch holds it."""
    import fcntl

    fd = os.open(lock_file(path), os.O_RDWR | os.O_CREAT, 0o660)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield fd
    finally:
        os.close(fd)


def recover(path: str | Path) -> list[str]:
    """Build again the indexes a batch stopped halfway left aside, unless a batch is running on the
    database at ``path`` now (then nothing: that batch builds them when it ends). Returns their names."""
    if not suspended():
        return []
    try:
        with running(path):
            return restore()
    except BlockingIOError:
        return []
