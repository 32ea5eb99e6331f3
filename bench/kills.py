"""Kill harness (issue 14): SIGKILL hecha while it saves forms, imports lists, exports bundles and
imports them at the county, then check what a kill may never leave behind.

    python bench/kills.py --kills 1000 [--seed 1]      (the documented longer run; about 20 minutes)

Each run starts a worker process on a township and a county database (built once, with keys, by
:func:`prepare`) doing a seeded mix of the four operations and printing a line after each commit,
and kills it after a seeded delay. After every kill the databases are checked; the report counts
kills, integrity failures, acknowledged rows lost, partial imports (an active list whose rows are
not all there) and broken chains (a gap in a stream's sequence numbers, or a bundle file the
township has no record of). ``tests/test_kills.py`` runs 50 kills in CI; every count must be 0.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOWNSHIP, COUNTY = "130123103", "130123"
TOWNSHIP_PASS, COUNTY_PASS = "kill-township", "kill-county"


@dataclass
class Report:
    """What the kills left: every count but ``kills`` and ``acks`` must be 0."""

    kills: int = 0
    acks: int = 0
    integrity_failures: int = 0
    rows_lost: int = 0
    partial_imports: int = 0
    broken_chains: int = 0
    worker_failures: int = 0  # a worker that stopped on an error instead of being killed: the harness is wrong
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"kills {self.kills}, acknowledged writes {self.acks}; integrity failures {self.integrity_failures}, "
            f"rows lost {self.rows_lost}, partial imports {self.partial_imports}, broken chains {self.broken_chains}, "
            f"workers that failed {self.worker_failures}"
        )


def prepare(folder: Path) -> tuple[Path, Path]:
    """A township and a county database in ``folder``, keys made and exchanged, and a list file."""
    sys.path.insert(0, str(ROOT))
    from openpyxl import Workbook

    from export import keys
    from storage.db import close_db, open_db
    from storage.office import init_office

    township, county = folder / "township.sqlite", folder / "county.sqlite"
    init_office(county, COUNTY)
    open_db(county)
    keys.create_keys(COUNTY_PASS)
    county_pub = keys.own_public()
    init_office(township, TOWNSHIP)
    open_db(township)
    keys.create_keys(TOWNSHIP_PASS)
    township_pub = keys.own_public()
    keys.register_peer(county_pub)
    open_db(county)
    keys.register_peer(township_pub)
    close_db()
    for variant in "ab":  # two lists: importing the one not in use always loads (the same file is a no-op)
        book = Workbook(write_only=True)
        sheet = book.create_sheet("名单")
        sheet.append(["姓名", "出生日期", "母亲姓名"])
        for i in range(6000):
            sheet.append([f"王{i}{variant}", "2017-03-06", f"李{i}"])
        book.save(folder / f"list-{variant}.xlsx")
    (folder / "out").mkdir()
    return township, county


def worker(folder: Path, seed: int) -> None:
    """The process that is killed: a seeded mix of saves, list imports, exports and county imports,
    a line on stdout after each commit (``save <uid>``, ``import <batch> <rows>``, ``export <file>``,
    ``county <file>``)."""
    sys.path.insert(0, str(ROOT))
    import datetime as dt

    from export import keys
    from export.bundle import BundleError, export_bundle, import_bundle
    from storage import idnumber
    from storage.db import open_db
    from storage.forms import HouseholdInput, MemberInput
    from storage.households import save_household
    from storage.reflists import import_list

    rng = random.Random(seed)
    township, county = folder / "township.sqlite", folder / "county.sqlite"
    unlocked: dict[str, keys.UnlockedKeys] = {}

    def say(text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    for step in range(1000):
        op = rng.choices(["save", "import", "export", "county"], weights=[6, 2, 1, 1])[0]
        if op == "save":
            open_db(township)
            # one person per (run, step), never the same ID number twice: a person in two households
            # is an error that would block every export after it
            n = (seed % 100_000) * 1000 + step
            born = dt.date(1960, 1, 1) + dt.timedelta(days=n // 1000)
            h = HouseholdInput(village_code="130123103201", group_no=f"{n % 99 + 1:02d}")
            h.members = [MemberInput(f"杀{n}", idnumber.make("130123", born, n % 1000), "02")]
            save_household(h, confirmed_ids=frozenset({h.members[0].id_number}), remember_different=False)
            say(f"save {h.uid}")
        elif op == "import":
            open_db(township)
            report = import_list(folder / f"list-{rng.choice('ab')}.xlsx", "birth_cert", replace=True)
            say(f"import {report.batch_id} {report.rows_loaded}")
        elif op == "export":
            open_db(township)
            if "t" not in unlocked:
                unlocked["t"] = keys.unlock(TOWNSHIP_PASS)
            done = export_bundle(unlocked["t"], folder / "out")
            say(f"export {done.path.name}")
        else:
            open_db(county)
            if "c" not in unlocked:
                unlocked["c"] = keys.unlock(COUNTY_PASS)
            for path in sorted((folder / "out").glob("hecha-*.zip")):
                try:
                    import_bundle(path, unlocked["c"])
                except BundleError:
                    pass  # already imported, or held: the county's own bookkeeping
            say("county")


def check(folder: Path, acked_saves: set[str], report: Report) -> None:
    """The invariants after a kill (see the module text)."""
    township, county = folder / "township.sqlite", folder / "county.sqlite"
    for db in (township, county):
        con = sqlite3.connect(db, timeout=30)
        try:
            if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                report.integrity_failures += 1
                report.notes.append(f"integrity: {db.name}")
            if db == township:
                held = {u for (u,) in con.execute("SELECT uid FROM household")}
                lost = acked_saves - held
                report.rows_lost += len(lost)
                for batch, loaded in con.execute("SELECT id, rows_loaded FROM import_batch WHERE status = 'active'"):
                    rows = con.execute("SELECT count(*) FROM ref_record WHERE batch_id = ?", (batch,)).fetchone()[0]
                    if rows != loaded:
                        report.partial_imports += 1
                        report.notes.append(f"partial import: batch {batch} {rows}/{loaded}")
                logged = {n for (n,) in con.execute("SELECT file_name FROM bundle_log WHERE direction = 'out'")}
                files = {p.name for p in (folder / "out").glob("hecha-*.zip")}
                if files - logged:
                    report.broken_chains += 1
                    report.notes.append(f"unknown bundle files: {sorted(files - logged)}")
            direction = "out" if db == township else "in"
            status = "exported" if db == township else "imported"
            seqs = [
                s
                for (s,) in con.execute(
                    "SELECT sequence FROM bundle_log WHERE direction = ? AND status = ? ORDER BY sequence",
                    (direction, status),
                )
            ]
            if seqs != list(range(1, len(seqs) + 1)):
                report.broken_chains += 1
                report.notes.append(f"{db.name} {direction} sequences {seqs}")
        finally:
            con.close()


def run(folder: Path, kills: int, seed: int = 1) -> Report:
    """Prepare the databases in ``folder`` and kill a worker ``kills`` times (see the module text)."""
    prepare(folder)
    report = Report()
    acked: set[str] = set()
    rng = random.Random(seed)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for k in range(kills):
        child = subprocess.Popen(
            [sys.executable, __file__, "worker", str(folder), str(seed * 100_000 + k)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        # wait for a seeded number of acknowledged writes, however slow the machine, then kill
        # after a seeded moment: the kill falls inside a write as often on a loaded machine as on an idle one
        wanted, lines = rng.randint(1, 12), list[str]()
        assert child.stdout is not None
        while len(lines) < wanted:
            line = child.stdout.readline()
            if not line:
                break
            lines.append(line)
        time.sleep(rng.uniform(0, 0.4))
        child.send_signal(signal.SIGKILL)
        out, err = child.communicate()
        if child.returncode != -signal.SIGKILL:
            report.worker_failures += 1
            report.notes.append(f"worker {k} ended by itself ({child.returncode}): {err[-300:]}")
        for line in [*lines, *out.splitlines()]:
            report.acks += 1
            if line.startswith("save "):
                acked.add(line.split()[1])
        report.kills += 1
        check(folder, acked, report)
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--folder", type=Path, default=None, help="where the databases go (default: a new temp folder)")
    args = ap.parse_args()
    import tempfile

    folder = args.folder or Path(tempfile.mkdtemp(prefix="hecha-kills-"))
    report = run(folder, args.kills, args.seed)
    print(report.line())
    print(json.dumps(report.notes[:20], ensure_ascii=False, indent=1))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
