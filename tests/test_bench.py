"""The benchmarks run (issue 19): ``bench/run_all.py --quick`` runs every bench at small sizes in its
own process, and each must end well and print its budget lines — a bench broken by a change (or by
the calendar: every bench judges ages at a fixed reference date) fails the build. Whether a budget
holds is the full run's business, on a quiet machine, never a test's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_every_bench_runs_and_prints_its_budget_lines(tmp_path):
    report = tmp_path / "budgets.jsonl"
    proc = subprocess.run(
        [sys.executable, "bench/run_all.py", "--quick", "--report", str(report)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from run_all import BENCHES
    finally:
        sys.path.remove(str(ROOT / "bench"))
    assert {r["bench"] for r in rows} == {name for name, _, _ in BENCHES}
    whats = " | ".join(r["what"] for r in rows)
    for line in (  # a line for each budget of DESIGN.md §11 that the benches measure
        "start-up to the menu",
        "keys for the reference household",
        "bytes to the terminal per character",
        "duplicate search p99 warm",
        "duplicate search cold",
        "list import .xls",
        "list import .xlsx",
        "weekly bundle export",
        "weekly bundle import",
        "county first import",
        "county weekly import",
        "reconciliation,",
    ):
        assert line in whats, (line, whats)
    for r in rows:
        assert r["measured"] == r["measured"] and r["limit"] > 0, r  # a number, not NaN; a budget
        assert r["ok"] == (r["measured"] <= r["limit"] if r["at_most"] else r["measured"] >= r["limit"]), r
    anchored = {r["what"].split(",")[0] for r in rows if r["anchor"]}
    assert {"start-up to the menu", "weekly bundle export", "weekly bundle import", "list import .xls"} <= anchored
