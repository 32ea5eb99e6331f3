"""Search indexes set aside while a batch of bundles larger than the database is merged (issue 18,
item 7; DESIGN.md §11: the county's first import of 30 × 30,000 persons ≤ 60 s, cost per person flat).

An index on content a merge never looks up by (names, ID numbers, birth dates, name keys, the audit
log's uid) receives its entries in the order the rows arrive, which is random in the index: at
900,000 persons each 30,000-person bundle rewrote most of every such index's pages, and a bundle's
merge cost rose with the county (0.14 s per 1,000 persons in the first bundle, 0.27 in the 30th).
Built once after the batch by SQLite's sort instead, they cost a few seconds in all.

What is never set aside: the ``uid`` indexes (every merge looks rows up by them, and they keep a
row from arriving twice), unique indexes (constraints), and indexes the merge's own queries use.
Searches made while an index is set aside are slower, never wrong; the duplicate review's scoring
(:func:`storage.pairstore.refresh`, whose blocking names the ID-number index) waits for the batch.

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
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import peewee as pw

from .models import SuspendedIndex, database

SUSPENDABLE = {
    "person_name_norm": "姓名",
    "person_id_number": "身份证号",
    "person_id_number_18": "18位身份证号",
    "person_birth_date": "出生日期",
    "person_key_key": "姓名读音",
    "audit_log_uid": "修改记录",
    "birth_birth_date": "出生登记的出生日期",
}
"""Indexes set aside during a large batch, with what a clerk calls each: non-unique, on content
only searches, the duplicate review and reports look up by (:mod:`storage.dedup`,
:mod:`storage.pairstore`, the audit history)."""

SUSPEND_FROM = 50_000
"""Persons a batch must bring, at least, for its indexes to be set aside; and at least as many as
the database holds (:func:`worth_it`): building the indexes again costs in proportion to the whole
database, so a weekly batch into a full county keeps them."""

BUNDLE_BYTES_PER_PERSON = 110
"""A township bundle's size per person it carries, in bytes (households, births, women's and
migrants' records and the audit rows included; 100 MB for 900,039 persons in bench/county.py, 116
bytes in a helper's townships): how :func:`worth_it` estimates a batch's persons before opening it."""

RESTORE_TRIES = 6
"""Attempts to take the write lock for each index built again, each waiting SQLite's busy timeout
(10 s): another program's import may hold the lock for a while; after that, the next start builds it."""


class Locked(Exception):
    """Another program held the write lock through every attempt; the indexes not yet built are
    left for the next start (their records stay)."""


def lock_file(path: str | Path) -> Path:
    """The file beside the database (its real path, however it was spelled) that a batch holds an
    exclusive ``flock`` on while it runs."""
    return Path(f"{Path(path).resolve()}-bulk")


def worth_it(bundle_bytes: int, held_persons: int) -> bool:
    """Whether a batch of bundles of ``bundle_bytes`` bytes in all (those not imported before),
    merged into a database of ``held_persons`` persons, should set its search indexes aside (see
    :data:`SUSPEND_FROM`)."""
    incoming = bundle_bytes // BUNDLE_BYTES_PER_PERSON
    return incoming >= SUSPEND_FROM and incoming >= held_persons


def suspended() -> list[str]:
    """Names of the indexes set aside now (none unless a batch runs or stopped halfway)."""
    return [r.name for r in SuspendedIndex.select(SuspendedIndex.name).order_by(SuspendedIndex.id)]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def suspend() -> list[str]:
    """Set aside every index of :data:`SUSPENDABLE` that exists, in one write transaction that also
    records how to build each again. Returns their names."""
    done = []
    with database.atomic("IMMEDIATE"):
        names = list(SUSPENDABLE)
        rows = database.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN ({})".format(
                ", ".join("?" for _ in names)
            ),
            names,
        ).fetchall()
        for name, sql in sorted(rows, key=lambda r: names.index(r[0])):
            SuspendedIndex.create(name=name, sql=sql, at=_now())
            database.execute_sql(f'DROP INDEX "{name}"')
            done.append(name)
    return done


def restore(progress: Callable[[str], None] | None = None) -> list[str]:
    """Build again every index set aside, one write transaction each (the largest, at a county of
    900,000 persons, about two seconds), calling ``progress`` with what a clerk calls each first.
    Returns their names. Raises :class:`Locked` when another program held the write lock through
    :data:`RESTORE_TRIES` waits (what was built stays built)."""
    done = []
    rows = [(r.id, r.name, r.sql) for r in SuspendedIndex.select().order_by(SuspendedIndex.id)]  # read, then write:
    # a write begun while this read's statement is open cannot wait for the lock (SQLite says busy at once)
    for row_id, name, sql in rows:
        if progress:
            progress(SUSPENDABLE.get(name, name))
        for attempt in range(RESTORE_TRIES):
            try:
                with database.atomic("IMMEDIATE"):
                    exists = database.execute_sql(
                        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
                    ).fetchone()
                    if not exists:
                        database.execute_sql(sql)
                    SuspendedIndex.delete_by_id(row_id)
                break
            except (pw.OperationalError, sqlite3.OperationalError) as exc:
                if "locked" not in str(exc).lower() and "busy" not in str(exc).lower():
                    raise
                if attempt == RESTORE_TRIES - 1:
                    raise Locked(name) from None
        done.append(name)
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
    database at ``path`` now (then nothing: that batch builds them when it ends) or another program
    holds the write lock too long (then the next start tries again). Never raises for either: the
    program opening the database goes on, its searches slower. Returns the names built."""
    if not suspended():
        return []
    try:
        with running(path):
            return restore()
    except (BlockingIOError, Locked):
        return []
