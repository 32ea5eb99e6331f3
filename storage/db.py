"""Opening the office database: pragmas, numbered migrations, backups (DESIGN.md §4).

One SQLite file per office. :func:`open_db` sets ``busy_timeout`` first (several clerks share the file),
then WAL, foreign keys and ``synchronous=NORMAL``; it runs pending migrations, each inside
:func:`migration_context`, after a backup through SQLite's backup API. The schema version is
SQLite's ``PRAGMA user_version``.

peewee's connection is per thread, so a worker thread gets its own connection automatically.
"""

from __future__ import annotations

import datetime as dt
import errno
import glob
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import peewee as pw

from . import models
from .errors import OperatorError
from .paths import backup_dir

SCHEMA_VERSION = 30
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 10_000
BACKUPS_KEPT = 10

PRAGMAS = [
    ("busy_timeout", BUSY_TIMEOUT_MS),  # first: later pragmas may need to wait for a lock
    ("journal_mode", "wal"),
    ("foreign_keys", 1),
    ("synchronous", "normal"),
]


class DatabaseError(OperatorError):
    """The database cannot be used as it is; the message (Chinese) says why and what to do."""


class Locked(DatabaseError):
    """Another writer (a clerk saving, a list being published, a backup) held the write lock
    longer than this connection waits (``busy_timeout``); nothing was written. Try again."""


class DiskFull(DatabaseError):
    """The disk (or the database's size limit) is full; nothing was written."""


READONLY = "数据库现在是只读的（文件或文件夹的权限被改过，或磁盘挂成了只读）：没有写入，已录的内容都在。请联系管理员"
LOCKED = "数据库正被占用（其他录入员正在保存，或正在导入、备份）：没有写入，已录的内容都在。请稍候再试"
FULL = "磁盘已满：没有写入，已录的内容都在。请清理磁盘（旧的数据包、备份）后再试"


def now_iso() -> str:
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_is_database(path: Path) -> None:
    """Refuse a path that is a folder, or a file that is not empty and not SQLite, before anything
    else is said of it (a newcomer's finding: ``--db /etc/passwd`` was told to run ``chmod 600``).
    Raises :class:`DatabaseError`."""
    if path.is_dir():
        raise DatabaseError(f"{path} 是文件夹：--db 要指定数据库文件，如 {path / 'hecha.sqlite'}。")
    if path.is_file() and path.stat().st_size:
        try:
            with open(path, "rb") as fh:
                magic = fh.read(16)
        except OSError:
            return  # unreadable: the open that follows says so
        if magic != b"SQLite format 3\x00":
            raise DatabaseError(NOT_SQLITE.format(path=path))


def read_only_uri(path: str | Path, *, immutable: bool = False) -> str:
    """An SQLite URI that opens ``path`` read-only (RFC 3986 percent-encoding, as SQLite's URI
    filenames require: a ``#`` or ``?`` in a folder's name would end the path; a breaker's finding,
    issue 20). ``immutable``: the file is not changing (a backup), no locks taken."""
    from urllib.parse import quote

    return f"file:{quote(str(Path(path).absolute()))}?mode=ro" + ("&immutable=1" if immutable else "")


NOT_SQLITE = "{path} 不是 SQLite 数据库文件：请用 --db 指定 hecha 的数据库文件（hecha init 建立的）。"


def open_db(path: str | Path, *, create: bool = False, migrate: bool = True) -> pw.SqliteDatabase:
    """Open (and with ``create`` make) the database at ``path`` and bind the models to it.

    Returns the peewee database. Raises :class:`DatabaseError` when the file is missing and ``create``
    is false, when it is not a hecha database, or when its schema is newer than this program.
    """
    path = Path(path)
    if path.is_dir():
        check_is_database(path)  # says it is a folder
    if not create and not path.exists():
        raise DatabaseError(f"数据库文件不存在：{path}。请先运行 hecha init --office 代码，或用 --db 指定正确的文件。")
    version = _inspect(path, create)  # read-only look first: never write into a file that is not ours
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"不能建立文件夹 {path.parent}（{os_reason(exc)}）：请换一个 --db 路径。") from None
    if path.exists() and not os.access(path, os.W_OK):  # the file itself, not its folder (issue 15)
        if path.parent.stat().st_mode & stat.S_ISGID:  # a clerks' group shares it: the group must write
            raise DatabaseError(
                f"数据库文件 {path} 本组的人不能写：请管理员运行 chmod 660 {path}"
                "（或重新运行安装包的 install.sh，它会改好）；本账号不在数据库的用户组里时，请管理员把它加进去"
            )
        raise DatabaseError(
            f"数据库文件 {path} 是只读的，不能写入：请让管理员运行 chmod u+w {path}，或换一个 --db 路径。"
        )
    if not os.access(path.parent, os.W_OK):
        raise DatabaseError(
            f"没有权限在文件夹 {path.parent} 里写文件（SQLite 要在数据库旁写 -wal 文件）："
            "请检查文件夹权限或换一个 --db 路径。"
        )
    if create and not path.exists():
        make_file(path)
    hold_in_use(path)
    db = models.database
    if not db.is_closed():
        db.close()
    db.init(str(path), pragmas=PRAGMAS, check_same_thread=False)
    try:
        db.connect(reuse_if_open=True)
    except (pw.DatabaseError, sqlite3.DatabaseError) as exc:
        raise DatabaseError(f"打不开数据库 {path}（{exc}）。请检查文件和文件夹的权限。") from exc
    if version > SCHEMA_VERSION:
        raise DatabaseError(f"{path} 的结构版本是 {version}，本程序只认到 {SCHEMA_VERSION}：请升级 hecha 后再打开。")
    if migrate and version < SCHEMA_VERSION:
        if version > 0:
            backup(path, reason=f"pre-migration-{version}-to-{SCHEMA_VERSION}")
        run_migrations(db, version)
    if migrate or version >= 27:
        from . import bulk

        bulk.recover(path)  # search indexes a batch stopped halfway left aside (schema 27)
    return db


OS_REASONS: dict[int | None, str] = {  # keyed by OSError.errno, which may be None
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.ENOENT: "不存在",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EISDIR: "是文件夹",
    errno.EEXIST: "已存在",
    errno.ENOSPC: "磁盘已满",
    errno.EROFS: "只读文件系统",
}


def os_reason(exc: OSError) -> str:
    """A Chinese reason for an operating-system error (权限、不存在、磁盘已满 …)."""
    return OS_REASONS.get(exc.errno, exc.strerror or str(exc))


def schema_version(path: str | Path) -> int:
    """The schema version (``PRAGMA user_version``) of the hecha database at ``path``, read without
    writing. Raises :class:`DatabaseError` for a missing file or one that is not a hecha database."""
    path = Path(path)
    if not path.exists():
        raise DatabaseError(f"数据库文件不存在：{path}。请先运行 hecha init --office 代码，或用 --db 指定正确的文件。")
    return _inspect(path, create=False)


def _inspect(path: Path, create: bool) -> int:
    """The schema version of the file at ``path`` (0 for a new file), read without writing to it.

    Raises :class:`DatabaseError` for a file that is not SQLite, an SQLite file of another program,
    or (when not creating) a file that was never initialised: hecha never writes into those.
    """
    if not path.exists():
        return 0
    if path.stat().st_size == 0:
        if create:
            return 0
        raise DatabaseError(f"{path} 是空文件，不是 hecha 数据库：请先运行 hecha init --office 代码。")
    with open(path, "rb") as fh:
        magic = fh.read(16)
    if magic != b"SQLite format 3\x00":
        raise DatabaseError(NOT_SQLITE.format(path=path))
    try:
        con = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} 不是可用的 SQLite 数据库（{exc}）。请用 --db 指定 hecha 的数据库文件。") from None
    if version == 0 and tables:
        raise DatabaseError(
            f"{path} 是别的程序的 SQLite 数据库（含表 {', '.join(sorted(tables)[:3])}），hecha 不会改动它：请换一个 "
            "--db 文件。"
        )
    if version == 0 and not create:
        raise DatabaseError(f"{path} 还不是 hecha 数据库：请先运行 hecha init --office 代码。")
    if version > 0 and "office" not in tables:
        raise DatabaseError(f"{path} 是别的程序的 SQLite 数据库，hecha 不会改动它：请换一个 --db 文件。")
    return version


_in_use: dict[str, int] = {}  # database path → the descriptor of its "-inuse" file, locked shared


def in_use_file(path: str | Path) -> Path:
    """The file beside the database that every hecha process using it holds a shared lock on."""
    return Path(f"{Path(path).resolve()}-inuse")  # its real path: a symlink to it shares the lock


def hold_in_use(path: str | Path) -> None:
    """Take a shared ``flock`` on :func:`in_use_file` for this process's life, so that a restore can
    tell that a clerk has the database open (issue 14: a restore under an open TUI lost what was keyed
    after it). flock, not SQLite's own POSIX locks, on a file of its own: closing a descriptor of the
    database file itself would drop SQLite's locks."""
    import fcntl

    key = str(Path(path).resolve())
    if key in _in_use:
        return
    try:
        fd = os.open(in_use_file(path), os.O_RDWR | os.O_CREAT, 0o660)  # the umask decides: a clerks' group shares it
    except OSError:  # a read-only folder: the database's own checks say so
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:  # held exclusively: a restore is putting a backup in its place
        os.close(fd)
        raise DatabaseError(f"{path} 正在从备份恢复：请稍候再打开") from None
    _in_use[key] = fd


def release_in_use(path: str | Path) -> None:
    """Let go of this process's shared lock on the database at ``path`` (before a restore)."""
    fd = _in_use.pop(str(Path(path).resolve()), None)
    if fd is not None:
        os.close(fd)


def close_db() -> None:
    """Close this thread's connection, if open."""
    if not models.database.is_closed():
        models.database.close()


@contextmanager
def waiting(ms: int) -> Iterator[None]:
    """Wait at most ``ms`` milliseconds for another writer inside the block (this thread's
    connection), then raise :class:`Locked` instead of waiting :data:`BUSY_TIMEOUT_MS`: for a
    screen, which says it is waiting and tries again rather than freeze (issue 14)."""
    db = models.database
    db.execute_sql(f"PRAGMA busy_timeout = {int(ms)}")
    try:
        yield
    except (pw.OperationalError, sqlite3.OperationalError) as exc:  # a read that met a lock, too
        if "locked" in str(exc).lower() or "busy" in str(exc).lower():
            raise Locked(LOCKED) from None
        raise
    finally:
        db.execute_sql(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


@contextmanager
def write_txn() -> Iterator[None]:
    """A short write transaction that takes the write lock at once (``BEGIN IMMEDIATE``).

    Taking the lock first means two clerks saving at the same moment queue on ``busy_timeout``
    instead of one failing halfway with ``database is locked``. A lock still held when the wait
    ends raises :class:`Locked`, a full disk :class:`DiskFull`: operator errors with their Chinese
    message, never a traceback (issue 14); the transaction is rolled back either way.
    """
    try:
        with models.database.atomic("IMMEDIATE"):
            yield
    except (pw.OperationalError, sqlite3.OperationalError) as exc:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            raise Locked(LOCKED) from None
        if "full" in text:
            raise DiskFull(FULL) from None
        if "readonly" in text or "read-only" in text:  # SQLite's "attempt to write a readonly database"
            raise DatabaseError(READONLY) from None
        raise


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


def _sql_file(name: str) -> Callable[[pw.SqliteDatabase], None]:
    """A migration that runs the frozen SQL of ``storage/migrations/<name>`` statement by statement.

    Each schema version's SQL is written once and never edited, so a database made by any earlier
    version reaches exactly the schema the models describe (a test compares them).
    """

    def step(db: pw.SqliteDatabase) -> None:
        script = (MIGRATIONS_DIR / name).read_text(encoding="utf-8")
        for statement in script.split(";\n"):
            lines = [ln for ln in statement.splitlines() if not ln.startswith("--")]
            if "".join(lines).strip():
                db.execute_sql("\n".join(lines))

    return step


def _index_all_names(db: pw.SqliteDatabase) -> None:
    """Schema 6's data step: name keys for every live person already in the database."""
    from .namekeys import index_all

    index_all()


def _chain_audit_log(db: pw.SqliteDatabase) -> None:
    """Schema 13's data step: the hash chain over the audit rows already there, in id order."""
    from .auditchain import rechain

    rechain()


def _then(*steps: Callable[[pw.SqliteDatabase], None]) -> Callable[[pw.SqliteDatabase], None]:
    def step(db: pw.SqliteDatabase) -> None:
        for s in steps:
            s(db)

    return step


MIGRATIONS: list[tuple[int, Callable[[pw.SqliteDatabase], None]]] = [
    (1, _sql_file("0001_initial.sql")),
    (2, _sql_file("0002_full_form.sql")),
    (3, _sql_file("0003_draft.sql")),
    (4, _sql_file("0004_entry_log.sql")),
    (5, _sql_file("0005_recheck.sql")),
    (6, _then(_sql_file("0006_name_keys.sql"), _index_all_names)),
    (7, _sql_file("0007_reference_lists.sql")),
    (8, _sql_file("0008_ref_record_id_index.sql")),
    (9, _sql_file("0009_reconcile.sql")),
    (10, _sql_file("0010_reconcile_codes.sql")),
    (11, _sql_file("0011_visit_result_code.sql")),
    (12, _sql_file("0012_list_fields.sql")),
    (13, _then(_sql_file("0013_audit_chain.sql"), _chain_audit_log)),
    (14, _sql_file("0014_epoch.sql")),
    (15, _sql_file("0015_reference_date.sql")),
    (16, _sql_file("0016_operator_pin.sql")),
    (17, _sql_file("0017_bundle_audit.sql")),
    (18, _sql_file("0018_dup_pairs.sql")),
    (19, _sql_file("0019_rescore_pairs.sql")),
    (20, _sql_file("0020_pair_weights.sql")),
    (21, _sql_file("0021_assist.sql")),
    (22, _sql_file("0022_report_unit.sql")),
    (23, _sql_file("0023_conflict_decisions.sql")),
    (24, _sql_file("0024_key_rotation.sql")),
    (25, _sql_file("0025_township_status.sql")),
    (26, _sql_file("0026_township_summary.sql")),
    (27, _sql_file("0027_suspended_index.sql")),
    (28, _sql_file("0028_household_check.sql")),
    (29, _sql_file("0029_household_check_replace.sql")),
    (30, _sql_file("0030_platform_pair.sql")),
]


def run_migrations(db: pw.SqliteDatabase, current: int) -> None:
    """Apply every migration numbered above ``current``, each in :func:`migration_context`. Raises
    :class:`DatabaseError` naming the step that failed (the steps before it stay: each commits; the
    pre-migration backup holds the database as it was)."""
    for number, step in MIGRATIONS:
        if number <= current:
            continue
        try:
            with migration_context(db):
                step(db)
                db.pragma("user_version", number)
        except (pw.DatabaseError, sqlite3.DatabaseError) as exc:
            raise DatabaseError(
                f"升级数据库结构到第 {number} 版时出错（SQLite：{exc}）：数据库停在第 {number - 1} 版；"
                "升级前的备份在 backups 文件夹里（pre-migration），请把这条消息和数据库交给县里"
            ) from None


VERSION_JUMP = 1_000_000_000  # a restore whose current database cannot be read: new versions above any sent


def check_backup(backup_file: str | Path, path: str | Path) -> tuple[tuple[str, int, int], tuple[str, int, int] | None]:
    """What :func:`restore` checks before it touches anything, for the CLI to say before it asks for
    the passphrase and a yes (a newcomer typed both, then heard the file did not exist): a backup
    that is a file, not the database itself, an intact hecha database of the same office. Returns
    ``(backup's (office, version counter, epoch), current database's or None)``. Raises
    :class:`DatabaseError` in words."""
    backup_file, path = Path(backup_file), Path(path)
    if not backup_file.exists():
        raise DatabaseError(f"{backup_file} 不存在：请给出备份文件（hecha backup 写在数据库旁的 backups 文件夹里）")
    if not backup_file.is_file():
        raise DatabaseError(f"{backup_file} 不是文件：请给出备份文件（hecha backup 写在数据库旁的 backups 文件夹里）")
    if path.exists() and os.path.samefile(backup_file, path):
        raise DatabaseError(f"{backup_file} 就是当前数据库本身：请给出 backups 文件夹里的一份备份")

    def office_of(p: Path, immutable: bool = False) -> tuple[tuple[str, int, int], int, bool] | None:
        """``((office, version counter, epoch), schema version, is a demo)``, or ``None``."""
        try:
            # a backup is read immutable: nothing is written beside it (no -shm); the current database
            # is read with its -wal, which holds its newest commits (its version counter)
            con = sqlite3.connect(read_only_uri(p, immutable=immutable), uri=True)
            try:
                if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                    return None
                version = con.execute("PRAGMA user_version").fetchone()[0]
                epoch = "epoch" if version >= 14 else "1"
                row = con.execute(f'SELECT code, version_counter, {epoch}, is_demo FROM "office"').fetchone()
                return (row[0], row[1], row[2]), version, bool(row[3])
            finally:
                con.close()
        except (sqlite3.DatabaseError, TypeError):
            return None

    found = office_of(backup_file, immutable=True)
    if found is None:
        raise DatabaseError(f"{backup_file} 不是完好的 hecha 数据库备份（打不开或校验不通过）：请换一份备份")
    restored, version, demo = found
    if version > SCHEMA_VERSION:  # found before the swap, not by the open after it (a breaker's finding)
        raise DatabaseError(f"{backup_file} 是第 {version} 版结构，本程序只认到第 {SCHEMA_VERSION} 版：请先升级 hecha")
    now = office_of(path) if path.exists() else None
    current = now[0] if now else None
    if current is not None and current[0] != restored[0]:
        raise DatabaseError(f"备份是单位 {restored[0]} 的，当前数据库是 {current[0]} 的：请确认拿对了备份")
    if now is not None and demo and not now[2]:  # a demo's synthetic households would go to the county
        raise DatabaseError(f"{backup_file} 是演示数据库的备份，当前是本单位的正式数据库：请换一份正式数据库的备份")
    return restored, current


OPEN_ELSEWHERE = (
    "数据库正开着（有录入员在用 hecha，或在导入、导出）：请所有人退出 hecha 后再恢复，"
    "否则恢复之后他们录的内容会存进被换下的旧库"
)
OPEN_FOR_MIGRATE = (
    "数据库正开着（有人在用 hecha，或在导入、导出）：请所有人退出 hecha 后再升级，"
    "然后重新运行 install.sh（或 hecha migrate）"
)


@contextmanager
def alone(path: str | Path, refusal: str) -> Iterator[int]:
    """Hold the database at ``path`` for this process alone while the block runs: this process's own
    in-use hold is let go and an exclusive ``flock`` taken on :func:`in_use_file`, which every hecha
    holds shared while it has the database open (issue 14). Yields the lock's descriptor (the block
    may turn it shared once nobody else can be hurt). Raises :class:`DatabaseError` ``refusal``
    when another process holds it."""
    import fcntl

    release_in_use(path)
    guard = os.open(in_use_file(path), os.O_RDWR | os.O_CREAT, 0o660)  # the umask decides: a clerks' group shares it
    try:
        try:
            fcntl.flock(guard, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseError(refusal) from None
        yield guard
    finally:
        os.close(guard)


def migrate(path: str | Path) -> int:
    """Upgrade the schema of the database at ``path`` to this program's (``hecha migrate``; opening
    it does the same), backed up first (:func:`open_db`), only while nobody else has it open.
    Returns the schema version it had. Raises :class:`DatabaseError` (:data:`OPEN_FOR_MIGRATE`, or
    a database newer than the program)."""
    import fcntl

    before = schema_version(path)
    if before >= SCHEMA_VERSION:
        open_db(path)  # the same version, or refused as newer
        return before
    with alone(path, OPEN_FOR_MIGRATE) as guard:
        fcntl.flock(guard, fcntl.LOCK_SH)  # nobody else had it: open it as every hecha does
        open_db(path)
    return before


def restore(backup_file: str | Path, path: str | Path) -> tuple[Path | None, int]:
    """Put the backup ``backup_file`` in place of the database at ``path`` and start a new epoch.

    The backup is checked first (an SQLite file that passes ``integrity_check``, a hecha database of
    the same office); the current database (with its ``-wal``/``-shm``) is kept aside as
    ``<name>.before-restore-<UTC time>``, not deleted. The restored office's epoch is raised above both
    databases' (the next bundle starts the new epoch with every row: the county's re-baseline) and
    its version counter above anything the current database could have sent (so the county takes
    later edits as newer). Returns ``(the kept current database or None, the new epoch)``. Raises
    :class:`DatabaseError` in words. Nothing else may use the database meanwhile.
    """
    backup_file, path = Path(backup_file), Path(path)
    restored, current = check_backup(backup_file, path)
    with alone(path, OPEN_ELSEWHERE) as guard:
        return _restore(backup_file, path, restored, current, guard)


def make_file(path: Path) -> None:
    """Create the empty database file ``path`` (0666 less the umask) for SQLite to fill, unless it
    exists. SQLite would create it 0644 less the umask: in a folder a clerks' group shares (umask
    007, :func:`storage.paths.keep_private`) the group could read it but not write it, and its
    ``-wal`` and ``-shm`` copy its mode (found installing for two clerks, issue 20)."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    except FileExistsError:
        pass


def _restore(
    backup_file: Path, path: Path, restored: tuple[str, int, int], current, guard: int
) -> tuple[Path | None, int]:
    import fcntl

    kept = None
    if path.exists():
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        kept = path.with_name(f"{path.name}.before-restore-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{path}{suffix}").exists():
                os.replace(f"{path}{suffix}", f"{kept}{suffix}")
    make_file(path)  # the group's clerks write it as before (a newcomer's finding: 0640 locked them out)
    src, dst = sqlite3.connect(read_only_uri(backup_file, immutable=True), uri=True), sqlite3.connect(str(path))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    fcntl.flock(guard, fcntl.LOCK_SH)  # the new database is in place: this process may open it now
    open_db(path)  # migrates the backup when it is older
    epoch = max(restored[2], current[2] if current else 1) + 1
    counter = max(restored[1], current[1] if current else 0) + (1 if current else VERSION_JUMP)
    with write_txn():
        models.Office.update(epoch=epoch, version_counter=counter).execute()
    return kept, epoch


def rebaseline(epoch: int | None = None) -> int:
    """Start a new epoch on the open database in place: for a township whose database was put back
    from a backup by hand (copied over the file, not through :func:`restore`), whose bundles the
    county now refuses (B08 sequence reused, B10 chain broken). The next bundle carries every row (a
    re-baseline, DESIGN.md §9) and the version counter jumps by :data:`VERSION_JUMP`, above anything
    the lost database could have sent, so later edits are newer at the county. Edits keyed between the
    copy and this call travel with their old numbers and become conflicts at the county where it holds
    the row newer (decided there, never dropped). ``epoch``: the new epoch, when the county says it has
    seen this office's epoch already (default: one above this database's). Returns the new epoch.
    Raises :class:`DatabaseError` for an epoch not above the current one."""
    office = models.Office.get()
    new = epoch if epoch is not None else office.epoch + 1
    if new <= office.epoch:
        raise DatabaseError(f"新纪元 {new} 应大于当前的第 {office.epoch} 纪元")
    with write_txn():
        models.Office.update(epoch=new, version_counter=models.Office.version_counter + VERSION_JUMP).execute()
    return new


def backup_stem(path: str | Path) -> str:
    """The glob pattern of the backups of the database at ``path`` up to their reason:
    ``<stem>-<UTC time>`` (the stem escaped, the time's first digit required: ``a.sqlite``'s must not
    take ``a-b.sqlite``'s, nor ``x[1].sqlite``'s be a character class; a breaker's finding)."""
    return f"{glob.escape(Path(path).stem)}-[0-9]*"


def backup(
    path: str | Path, *, reason: str = "manual", keep: int = BACKUPS_KEPT, now: dt.datetime | None = None
) -> Path:
    """Copy the database at ``path`` with SQLite's online backup API and keep the newest ``keep``.

    Returns the backup's path (``backups/<stem>-<UTC time>-<reason>.sqlite`` beside the database).
    Safe while other clerks write: the backup API copies a consistent snapshot.
    """
    path = Path(path)
    folder = backup_dir(path)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{path.stem}-{stamp}-{reason}.sqlite"
    src = sqlite3.connect(str(path))
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    old = sorted(folder.glob(f"{backup_stem(path)}-{reason}.sqlite"))  # each kind rotates on its own
    for stale in old[:-keep] if keep > 0 else []:
        stale.unlink(missing_ok=True)
    return target


DAILY_KEPT, WEEKLY_KEPT = 7, 4  # the daily backups kept: the last 7 days', and one per week for 4 weeks


def daily_backup(path: str | Path, *, now: dt.datetime | None = None) -> Path | None:
    """Back the database up once a day (the first call of a day; ``None`` when today's exists), then
    rotate the daily backups: the newest :data:`DAILY_KEPT`, and the newest of each of the last
    :data:`WEEKLY_KEPT` ISO weeks (issue 14). The TUI calls it when it starts; cron may run
    ``hecha backup --daily``. Files are the owner's only (the process umask, storage.paths)."""
    path = Path(path)
    now = now or dt.datetime.now(dt.timezone.utc)
    folder = backup_dir(path)
    today = now.strftime("%Y%m%d")
    if any(folder.glob(f"{glob.escape(path.stem)}-{today}T*-daily.sqlite")):
        return None
    made = backup(path, reason="daily", keep=0, now=now)
    daily = sorted(folder.glob(f"{backup_stem(path)}-daily.sqlite"))
    keep = set(daily[-DAILY_KEPT:])
    weeks: dict[tuple[int, int], Path] = {}
    for f in daily:  # in time order: the last one of each week stays
        day = dt.datetime.strptime(f.name.rsplit("-", 2)[-2][:8], "%Y%m%d").date()
        weeks[day.isocalendar()[:2]] = f
    keep |= set(sorted(weeks.values())[-WEEKLY_KEPT:])
    for f in daily:
        if f not in keep:
            f.unlink(missing_ok=True)
    return made
