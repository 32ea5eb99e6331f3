"""Where hecha keeps its files (platformdirs), and the ``HECHA_*`` environment overrides."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

APP_NAME = "hecha"


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


def operator_login() -> str:
    """The operator who makes changes: ``$HECHA_OPERATOR``, else the login name (``getpass``)."""
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
