"""An office driven through the CLI (``hecha … --db``) for tests of several offices exchanging real
bundles: its own database, keys made with a passphrase file, its public key written for the others."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from main import cli
from storage.db import close_db


class Office:
    def __init__(self, root: Path, code: str, runner: CliRunner):
        self.code, self.db, self.runner = code, root / f"{code}.sqlite", runner
        self.secret = root / f"{code}.pass"
        self.secret.write_text(f"secret of {code}\n", encoding="utf-8")
        self.out = root / f"out-{code}"
        self.cli("init", "--office", code)
        self.cli("keys", "new", "--recovery-out", str(root / f"recovery-{code}.txt"))
        self.pub = root / f"{code}.pub"
        self.pub.write_text(self.cli("keys", "show").output, encoding="utf-8")

    def cli(self, *args: str, ok: bool = True):
        close_db()
        res = self.runner.invoke(cli, [*args, "--db", str(self.db)], env={"HECHA_PASSPHRASE_FILE": str(self.secret)})
        if ok:
            assert res.exit_code == 0, (args, res.output)
        return res

    def add(self, other: Office) -> None:
        self.cli("keys", "add", str(other.pub), "--yes")

    def export(self, *extra: str) -> list[str]:
        lines = self.cli("export", "--out", str(self.out), *extra).stdout.strip().splitlines()
        return [line for line in lines if line.endswith(".zip")]

    def take(self, paths: list[str]) -> str:
        assert paths
        return self.cli("import-bundle", *paths).output

    def village(self) -> str:
        """The first village of this township (NBS 2023), for a form keyed here."""
        (row,) = self.sql(f"select code from admin_division where level = 5 and code like '{self.code}%' limit 1")
        return row[0]

    def sql(self, query: str):
        close_db()
        con = sqlite3.connect(str(self.db))
        try:
            return con.execute(query).fetchall()
        finally:
            con.close()
