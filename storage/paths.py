"""Where hecha keeps its files (platformdirs), and the ``HECHA_*`` environment overrides."""

from __future__ import annotations

import getpass
import os
import stat
from pathlib import Path

from .errors import OperatorError

APP_NAME = "hecha"
PRIVATE_UMASK = 0o077  # what hecha writes: files 0600, folders 0700 …
GROUP_UMASK = 0o007  # … or 0660 / 0770 in a folder a group of clerks shares (setgid, chmod 2770)


class Exposed(OperatorError):
    """The office database, or what lies beside it, can be read by other users of the machine."""


def keep_private(db_path: Path) -> None:
    """Make every file and folder hecha creates from now on readable by its owner only, whatever
    the login's umask (issue 14: 0644 databases, bundles and work lists held every family's ID
    numbers); in a folder shared by a group of clerks (set-group-ID, ``chmod 2770``), by that
    group too. Sets the process umask."""
    folder = Path(db_path).parent
    shared = folder.is_dir() and bool(folder.stat().st_mode & stat.S_ISGID)
    os.umask(GROUP_UMASK if shared else PRIVATE_UMASK)


def database_files(db_path: Path) -> tuple[Path, Path, Path]:
    """The database file and the two SQLite keeps beside it in WAL mode: ``-wal`` and ``-shm``."""
    return Path(db_path), Path(f"{db_path}-wal"), Path(f"{db_path}-shm")


def check_private(db_path: Path) -> None:
    """Refuse a database (with its ``-wal``/``-shm`` files and its backups folder) that other users
    of the machine can read, saying the ``chmod`` that closes it. Raises :class:`Exposed`."""
    db_path = Path(db_path)
    candidates = [*database_files(db_path), backup_dir(db_path)]
    open_to_others = [p for p in candidates if p.exists() and p.stat().st_mode & stat.S_IROTH]
    if open_to_others:
        files = " ".join(str(p) for p in open_to_others if not p.is_dir())
        folders = " ".join(str(p) for p in open_to_others if p.is_dir())
        fixes = (f"chmod 600 {files}" if files else "", f"chmod 700 {folders}" if folders else "")
        fix = "；".join(x for x in fixes if x)
        raise Exposed(
            f"本单位的数据其他用户也能读取（{'、'.join(p.name for p in open_to_others)}）：请先运行 {fix}"
            "（几名录入员共用一个数据库时改为 660 / 2770，并设好用户组）"
        )


def default_db_path() -> Path:
    """The embedded default database: ``$HECHA_DB``, else ``<user data dir>/hecha/hecha.sqlite``.

    The user data dir is platformdirs' (``~/.local/share`` on Linux, honouring ``XDG_DATA_HOME``).
    """
    env = os.environ.get("HECHA_DB")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "hecha.sqlite"


def backup_dir(db_path: Path) -> Path:
    """Folder for rotated backups of ``db_path``: ``<db folder>/backups``."""
    return Path(db_path).parent / "backups"


_signed_in: list[str] = []  # the operator signed in with a PIN in this process (storage.operators)


def set_signed_in(name: str | None) -> None:
    """Record (or with ``None`` forget) the operator who signed in with a PIN in this process."""
    _signed_in[:] = [name] if name else []


def signed_in() -> str | None:
    """The operator signed in with a PIN in this process, or ``None``."""
    return _signed_in[0] if _signed_in else None


def operator_login() -> str:
    """The operator who makes changes: the name signed in with a PIN (storage.operators), else
    ``$HECHA_OPERATOR``, else the login name (``getpass``)."""
    if _signed_in:
        return _signed_in[0]
    env = os.environ.get("HECHA_OPERATOR")
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers): still record something honest
        return "unknown"


def default_bundle_dir() -> Path:
    """Where bundles are written unless told otherwise: ``~/hecha-bundles``."""
    return Path.home() / "hecha-bundles"
