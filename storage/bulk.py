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

Also :class:`TriggersAside`: the INSERT triggers of tables a merge fills, set aside within its
transaction (their work done once per insert).

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


INSERT_TRIGGER_EFFECTS: dict[str, str | None] = {
    # the duplicate review's dirty list (schema 18): every new person, every new birth's child
    "dup_person_insert": 'INSERT INTO "dup_dirty" ("person_id") SELECT "id" FROM "person" '
    'WHERE "id" BETWEEN ? AND ? ORDER BY "id"',
    "dup_birth_insert": 'INSERT INTO "dup_dirty" ("person_id") SELECT "child_id" FROM "birth" '
    'WHERE "id" BETWEEN ? AND ? AND "child_id" IS NOT NULL ORDER BY "id"',
    # the export gate's kept checks (schema 28): a household gaining a row is checked again
    "check_household_insert": 'DELETE FROM "household_check" WHERE household_id BETWEEN ? AND ?',
    "check_person_insert": 'DELETE FROM "household_check" WHERE household_id IN '
    '(SELECT household_id FROM "person" WHERE id BETWEEN ? AND ?)',
    "check_birth_insert": 'DELETE FROM "household_check" WHERE household_id IN '
    '(SELECT household_id FROM "birth" WHERE id BETWEEN ? AND ?)',
    "check_woman_fp_insert": 'DELETE FROM "household_check" WHERE household_id IN (SELECT p.household_id FROM '
    '"woman_fp" x JOIN "person" p ON p.id = x.person_id WHERE x.id BETWEEN ? AND ?)',
    "check_migration_insert": 'DELETE FROM "household_check" WHERE household_id IN (SELECT p.household_id FROM '
    '"migration" x JOIN "person" p ON p.id = x.person_id WHERE x.id BETWEEN ? AND ?)',
    # schema 29's BEFORE INSERT triggers act only for an INSERT OR REPLACE that replaces a row; a
    # plain INSERT of new ids and uids replaces none (one that collided would fail, and roll back)
    "check_household_replace": None,
    "check_person_replace": None,
    "check_birth_replace": None,
    "check_woman_fp_replace": None,
    "check_migration_replace": None,
}
"""For each INSERT trigger a merge may set aside (:class:`TriggersAside`), one statement that does for
the rows of ids ``? .. ?`` what the trigger does for each row (``None``: nothing, for a plain INSERT of
new rows). Kept beside the migrations that define them (0018_dup_pairs.sql, 0028, 0029): a table
with an INSERT trigger not named here keeps its triggers (slower, never wrong)."""

TRIGGERS_ASIDE_FROM = 200
"""Rows one insert must bring for its table's INSERT triggers to be set aside: dropping and creating
them again costs a schema change (a few milliseconds) once per bundle."""


class TriggersAside:
    """INSERT triggers set aside while one transaction inserts many new rows, their effects done
    once per insert by :data:`INSERT_TRIGGER_EFFECTS` (issue 19).

    SQLite runs a row trigger as a sub-program per row: on the 48 columns of ``person`` each of its
    four INSERT triggers cost about 20 µs a row (measured: 50,001 persons inserted in 1.93 s with
    them, 0.58 s without), most of a weekly bundle's merge. Use as a context manager inside the
    write transaction that inserts; :meth:`inserted` after each insert. Dropping and creating
    triggers are statements of that transaction, so a failure rolls them back with the rows: the
    schema is never left without them. On leaving, they are created again (``IF NOT EXISTS``: also
    when leaving by an exception, before the caller rolls back)."""

    def __init__(self) -> None:
        self.aside: dict[str, list[tuple[str, str]]] = {}  # table → [(trigger, its CREATE statement)]

    def __enter__(self) -> TriggersAside:
        return self

    def inserted(self, table: str, first_id: int, last_id: int, *, insert: Callable[[], None]) -> None:
        """Run ``insert`` (which inserts the new rows of ids ``first_id``..``last_id``, none of them
        held before, with a plain INSERT) with the table's INSERT triggers set aside when the rows
        are many, then their effects for those ids."""
        rows = last_id - first_id + 1
        if table not in self.aside and rows >= TRIGGERS_ASIDE_FROM:
            found = database.execute_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
                "AND (sql LIKE '%AFTER INSERT ON%' OR sql LIKE '%BEFORE INSERT ON%')",
                (table,),
            ).fetchall()
            if found and all(name in INSERT_TRIGGER_EFFECTS for name, _ in found):
                for name, _ in found:
                    database.execute_sql(f'DROP TRIGGER "{name}"')
                self.aside[table] = found
        insert()
        if table in self.aside:
            for name, _ in self.aside[table]:
                effect = INSERT_TRIGGER_EFFECTS[name]
                if effect:
                    database.execute_sql(effect, (first_id, last_id))

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        try:
            for found in self.aside.values():
                for _, sql in found:
                    database.execute_sql(sql.replace("CREATE TRIGGER ", "CREATE TRIGGER IF NOT EXISTS ", 1))
        except Exception:
            if exc_type is None:
                raise
            # leaving by an error already: the caller's rollback brings the triggers back, and the
            # first error is the one to report (a helper's finding: this one replaced it)
        finally:
            self.aside.clear()
