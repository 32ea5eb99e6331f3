"""Opening the office database: pragmas, numbered migrations, backups (DESIGN.md §4).

One SQLite file per office. :func:`open_db` sets ``busy_timeout`` first (several clerks share the file),
then WAL, foreign keys and ``synchronous=NORMAL``; it runs pending migrations, each inside
:func:`migration_context`, after a backup through SQLite's backup API. The schema version is
SQLite's ``PRAGMA user_version``.

peewee's connection is per thread, so a worker thread gets its own connection automatically.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import peewee as pw

from . import models
from .paths import backup_dir

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 10_000
BACKUPS_KEPT = 10

PRAGMAS = [
    ("busy_timeout", BUSY_TIMEOUT_MS),  # first: later pragmas may need to wait for a lock
    ("journal_mode", "wal"),
    ("foreign_keys", 1),
    ("synchronous", "normal"),
]


class DatabaseError(Exception):
    """The database cannot be used as it is; the message (Chinese) says why and what to do."""


def now_iso() -> str:
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def open_db(path: str | Path, *, create: bool = False, migrate: bool = True) -> pw.SqliteDatabase:
    """Open (and with ``create`` make) the database at ``path`` and bind the models to it.

    Returns the peewee database. Raises :class:`DatabaseError` when the file is missing and ``create``
    is false, when it is not a hecha database, or when its schema is newer than this program.
    """
    path = Path(path)
    if not create and not path.exists():
        raise DatabaseError(f"数据库文件不存在：{path}。请先运行 hecha init --office 代码，或用 --db 指定正确的文件。")
    path.parent.mkdir(parents=True, exist_ok=True)
    db = models.database
    if not db.is_closed():
        db.close()
    db.init(str(path), pragmas=PRAGMAS, check_same_thread=False)
    try:
        db.connect(reuse_if_open=True)
        version = db.pragma("user_version")
    except (pw.DatabaseError, sqlite3.DatabaseError) as exc:
        raise DatabaseError(f"{path} 不是可用的 SQLite 数据库（{exc}）。请用 --db 指定 hecha 的数据库文件。") from exc
    if version > SCHEMA_VERSION:
        raise DatabaseError(
            f"{path} 的结构版本是 {version}，本程序只认到 {SCHEMA_VERSION}：请升级 hecha 后再打开。"
        )
    if migrate and version < SCHEMA_VERSION:
        if version > 0:
            backup(path, reason=f"pre-migration-{version}-to-{SCHEMA_VERSION}")
        run_migrations(db, version)
    return db


def close_db() -> None:
    """Close this thread's connection, if open."""
    if not models.database.is_closed():
        models.database.close()


@contextmanager
def write_txn() -> Iterator[None]:
    """A short write transaction that takes the write lock at once (``BEGIN IMMEDIATE``).

    Taking the lock first means two clerks saving at the same moment queue on ``busy_timeout``
    instead of one failing halfway with ``database is locked``.
    """
    with models.database.atomic("IMMEDIATE"):
        yield


@contextmanager
def migration_context(db: pw.SqliteDatabase) -> Iterator[None]:
    """Run a migration with foreign keys off, in one transaction, then check them.

    With foreign keys on, the table rebuild SQLite needs for most ALTERs deletes child rows; so they
    are turned off (which only works outside a transaction), the migration runs, and
    ``PRAGMA foreign_key_check`` must come back empty before the commit.
    """
    db.pragma("foreign_keys", 0)
    try:
        with db.atomic("IMMEDIATE"):
            yield
            bad = db.execute_sql("PRAGMA foreign_key_check").fetchall()
            if bad:
                raise DatabaseError(f"迁移后外键不一致：{bad[:5]}")
    finally:
        db.pragma("foreign_keys", 1)


def _m1_initial(db: pw.SqliteDatabase) -> None:
    db.create_tables(models.ALL_MODELS)


MIGRATIONS: list[tuple[int, Callable[[pw.SqliteDatabase], None]]] = [
    (1, _m1_initial),
]


def run_migrations(db: pw.SqliteDatabase, current: int) -> None:
    """Apply every migration numbered above ``current``, each in :func:`migration_context`."""
    for number, step in MIGRATIONS:
        if number <= current:
            continue
        with migration_context(db):
            step(db)
            db.pragma("user_version", number)


def backup(path: str | Path, *, reason: str = "manual", keep: int = BACKUPS_KEPT) -> Path:
    """Copy the database at ``path`` with SQLite's online backup API and keep the newest ``keep``.

    Returns the backup's path (``backups/<stem>-<UTC time>-<reason>.sqlite`` beside the database).
    Safe while other clerks write: the backup API copies a consistent snapshot.
    """
    path = Path(path)
    folder = backup_dir(path)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{path.stem}-{stamp}-{reason}.sqlite"
    src = sqlite3.connect(str(path))
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    old = sorted(folder.glob(f"{path.stem}-*.sqlite"))
    for stale in old[:-keep] if keep > 0 else []:
        stale.unlink(missing_ok=True)
    return target
