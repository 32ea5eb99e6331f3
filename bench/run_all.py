"""Every benchmark, and every budget line of DESIGN.md §11 they print, in one command (issue 19).

    python bench/run_all.py [--quick] [--only NAME ...] [--report FILE] [--keep DIR]

Runs each script of :data:`BENCHES` in its own process, at the sizes DESIGN.md §11 names (or, with
``--quick``, small sizes that show every bench still runs: the CI test runs them), collects the
budget lines they write (:func:`common.budget`, through ``HECHA_BENCH_REPORT``) and prints a table:
what, measured, budget, pass or FAIL, and the ratio to the figure it is anchored to in the same run
(a bare Textual app, the bare parse of the same file, ``sqlite3 .dump`` of the same rows). Exit
status 1 when a bench failed to run or printed no budget line; budgets missed are in the table, not
in the status (in ``--quick`` mode the sizes are too small for them to mean anything). Every bench
judges ages at a fixed reference date, never today's, so the same command gives the same data on
any day.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

BENCHES: list[tuple[str, list[str], list[str]]] = [
    # name, full-size arguments (DESIGN.md §11), quick arguments
    ("startup", ["--persons", "1000000"], ["--persons", "300", "--runs", "1"]),
    ("keystrokes", [], []),
    ("bytes", [], ["--chars", "6"]),
    ("check", ["--households", "1000"], ["--households", "100"]),
    ("bundle", ["--persons", "50000"], ["--persons", "600"]),
    ("imports", ["--rows", "100000"], ["--rows", "600"]),
    ("reconcile", ["--persons", "1000000"], ["--persons", "1500"]),
    ("dedup", ["--persons", "1000000", "--probes", "100"], ["--persons", "1200", "--probes", "4", "--refs", "300"]),
    ("review", [], ["--persons", "1200", "--refs", "300", "--changed", "5"]),
    (
        "county",
        ["--townships", "30", "--persons", "30000", "--changed", "2000"],
        ["--townships", "2", "--persons", "500", "--changed", "20"],
    ),
]
"""Each bench with its full and its quick arguments. The county's review at 1,000,000 persons
(``bench/county.py --townships 34 --review``) and the duplicate search's quality sets
(``bench/dedup_independent.py``) are run apart: hours, and data of their own."""


KEEPS = {"startup": "--db", "reconcile": "--db", "dedup": "--db", "review": "--db", "county": "--keep"}
"""The benches that can keep what they build, and their option for it (``--keep``)."""


def run(name: str, args: list[str], report: Path) -> tuple[int, float, str]:
    """Run ``bench/<name>.py args`` with its budget lines going to ``report``; returns its exit
    status, its seconds and its output."""
    env = dict(os.environ, HECHA_BENCH_REPORT=str(report), PYTHONUNBUFFERED="1")
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(HERE / f"{name}.py"), *args], cwd=HERE.parent, env=env, capture_output=True, text=True
    )
    return proc.returncode, time.perf_counter() - t, (proc.stdout + proc.stderr).strip()


def table(rows: list[dict]) -> str:
    """The budget lines as a plain-text table (80 columns where the names allow)."""
    out = []
    for r in rows:
        sign = "≤" if r["at_most"] else "≥"
        ratio = f"{r['ratio']:.2f}× {r['anchor_what']}" if r.get("ratio") is not None else ""
        state = "pass" if r["ok"] else "FAIL"
        unit = r["unit"]
        line = f"{state:<5}{r['what']}: {r['measured']:,.3g} {unit} ({sign} {r['limit']:,.3g} {unit}) {ratio}"
        out.append(line.rstrip())
        if r.get("note"):
            out.append(f"     ({r['note']})")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes: every bench runs, budgets mean little")
    ap.add_argument("--only", nargs="+", default=None, help="these benches only (names as in BENCHES)")
    ap.add_argument("--report", type=Path, default=None, help="also write the budget lines here (JSON lines)")
    ap.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="keep the benches' databases in this folder (built when missing, reused next time: a 1M-person "
        "township takes a quarter of an hour to build)",
    )
    args = ap.parse_args()
    unknown = set(args.only or []) - {name for name, _, _ in BENCHES}
    if unknown:
        ap.error(f"no such bench: {', '.join(sorted(unknown))}")
    broken = []
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, full, quick in BENCHES:
            if args.only and name not in args.only:
                continue
            report = Path(tmp) / f"{name}.jsonl"
            extra = []
            if args.keep and name in KEEPS:
                args.keep.mkdir(mode=0o700, parents=True, exist_ok=True)  # an office's data, even made up
                size = "quick" if args.quick else "full"
                extra = [KEEPS[name], str(args.keep / (f"{name}-{size}" + (".sqlite" if name != "county" else "")))]
            status, seconds, output = run(name, (quick if args.quick else full) + extra, report)
            kept = next((ln for ln in output.splitlines() if "kept" in ln), "") if extra else ""
            tail = "\n".join(output.splitlines()[-12:])
            lines = [json.loads(x) for x in report.read_text(encoding="utf-8").splitlines()] if report.exists() else []
            for line in lines:
                line["bench"] = name
            rows += lines
            print(f"{name}: {seconds:.0f} s, {len(lines)} budget lines" + ("" if status == 0 else f", exit {status}"))
            if kept:
                print(f"  {kept.strip()}")
            if status != 0 or not lines:
                broken.append(name)
                print("  " + tail.replace("\n", "\n  "))
    print()
    print(table(rows))
    if args.quick:
        print("\n(--quick: small sizes; the lines show that every bench runs, not whether a budget holds)")
    if args.report:
        args.report.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    if broken:
        print(f"\nbenches that did not run to the end or printed no budget line: {', '.join(broken)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
