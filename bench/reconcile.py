"""Reconciliation benchmark (issue 7): precision and recall per finding kind, wall time, peak memory.

    python bench/reconcile.py [--persons 100000] [--seed 1] [--db FILE]

A township of about ``--persons`` synthetic persons (bulk inserts; births in the ten years before
2026-06-30 on the forms), then the seven birth-bearing lists made from them by
:func:`storage.synth.reference_lists` with known omissions (on the forms, not in WIS), hidden
births (on neither), misreports (WIS with a wrong date, sex or mother), false WIS records and
births of mothers from other counties, each record with its truth. :func:`storage.reconcile.run`
links and classifies them; each finding is scored against the truth of the records it holds.

Printed per kind: findings, true ones, precision, recall (of the births of that truth, how many a
finding of that kind covers), F1; records per second and peak memory (VmHWM) of the run, which
goes in a process of its own as ``hecha reconcile`` does. Targets (issue 7):
omissions recall ≥ 0.98 and precision ≥ 0.95, false records precision ≥ 0.90, misreports F1 ≥ 0.95;
DESIGN.md §11: ≥ 15,000 records per second and ≤ 600 MB at 1,000,000 persons.
``--persons 1000000 --db FILE`` keeps a county database between runs (the lists are made again each run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

from common import budget, child, mb, township

AS_OF = dt.date(2026, 6, 30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", default="", help="keep the database in this file (built if missing, reused if there)")
    args = ap.parse_args()
    from storage import reconcile, synth
    from storage.db import open_db
    from storage.models import Birth, ImportBatch, RefRecord

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(args.db) if args.db else Path(tmp) / "town.sqlite"
        township(db, args.persons, as_of=AS_OF, seed=args.seed)
        open_db(db)
        first = reconcile.window(AS_OF)[0].isoformat()
        print(f"births on the forms in the window: {Birth.select().where(Birth.birth_date >= first).count()}")
        t = time.perf_counter()
        made = synth.reference_lists(AS_OF, seed=args.seed)
        print(f"lists made in {time.perf_counter() - t:.0f} s: " + ", ".join(f"{k} {v}" for k, v in made.rows.items()))
        # the run in a process of its own, as `hecha reconcile` runs: its own peak memory, not the generator's
        from storage.db import close_db

        close_db()
        code = (
            "import time, json, datetime as dt\nfrom storage.db import open_db\nfrom storage import reconcile\n"
            f"open_db({str(db)!r}); t = time.perf_counter(); r = "
            f"reconcile.run(dt.date.fromisoformat({AS_OF.isoformat()!r}))\n"
            "print(json.dumps({'records': r.records, 'births': r.births, 'seconds': time.perf_counter() - t}))"
        )
        result, peak = child(code)
        records, births, seconds = result["records"], result["births"], result["seconds"]
        print(
            f"reconcile: {records} records, {births} births in {seconds:.1f} s ({records / seconds:,.0f} records/s), "
            f"peak {mb(peak):.0f} MB (its own process)"
        )
        size = f"{args.persons} persons"
        budget(f"reconciliation, {size}", records / seconds, "records/s", 15_000, at_most=False)
        budget(f"reconciliation, {size}, peak RSS", mb(peak), "MB", 600)
        open_db(db)

        # the truth of every record: the forms' births from the generator, the lists' rows by (kind, row)
        live = [b.id for b in ImportBatch.select().where(ImportBatch.status == "active")]
        truth_of: dict[str, tuple[str, str]] = {f"birth:{uid}": (uid, k) for uid, k in made.form_truths.items()}
        marks_of: dict[str, str] = {}
        for rid, source, row_no in (
            RefRecord.select(RefRecord.id, RefRecord.source, RefRecord.row_no)
            .where(RefRecord.batch.in_(live))
            .tuples()
            .iterator()
        ):
            row_truth = made.row_truths.get((source, row_no))
            if row_truth and row_truth[1] != "adult":
                truth_of[f"ref:{rid}"] = (row_truth[0], row_truth[1])
                if row_truth[2]:
                    marks_of[f"ref:{rid}"] = row_truth[2]
        report(truth_of, marks_of, made.planted, f"{args.persons} persons")


def report(
    truth_of: dict[str, tuple[str, str]], marks_of: dict[str, str], planted: dict[str, str], size: str = ""
) -> None:
    """Print precision, recall and F1 per finding kind (a misreport counts as right when its
    differences name the planted field), recall per planted error, and births with two findings."""
    from storage import reconcile
    from storage.models import ReconcileFinding

    births: dict[str, str] = dict(truth_of.values())  # truth id → kind
    found: dict[str, Counter] = {k: Counter() for k in reconcile.KINDS}
    covered: dict[str, set[str]] = {k: set() for k in reconcile.KINDS}
    findings_of: Counter = Counter()
    marked: dict[str, set[str]] = {}  # planted mark → truth ids carrying it
    for key, (tid, _) in truth_of.items():
        for mark in marks_of.get(key, "").split("+"):
            if mark:
                marked.setdefault(mark, set()).add(tid)
    right_kind: dict[str, str] = {}  # truth id → the kind of a finding that got it right
    wrong: list[str] = []  # the first findings that are not what the birth is, to look at
    for kind, evidence, differences in (
        ReconcileFinding.select(ReconcileFinding.kind, ReconcileFinding.evidence, ReconcileFinding.differences)
        .tuples()
        .iterator()
    ):
        labels = [truth_of[e["key"]] for e in json.loads(evidence) if e["key"] in truth_of]
        if not labels:
            continue
        tid, truth = Counter(labels).most_common(1)[0][0]
        findings_of[tid] += 1
        found[kind]["all"] += 1
        fields = {d[0] for d in json.loads(differences)}
        want = FIELD_OF.get(planted.get(tid, ""), "")
        if truth == kind and tid not in covered[kind] and (kind != "misreport" or want in fields):
            found[kind]["right"] += 1
            covered[kind].add(tid)
            right_kind[tid] = kind
        elif kind in ("omission", "false", "misreport") and len(wrong) < 8:
            wrong.append(
                f"{kind} of a {truth} birth ({planted.get(tid, '') or '-'}): differences {sorted(fields) or '-'}, "
                f"records {', '.join(e['source'] + ' ' + e['name'] + ' ' + e['born'] for e in json.loads(evidence))}"
            )
    wanted = Counter(births.values())
    print(f"\n{'finding':<12}{'found':>8}{'true':>8}{'births':>8}{'precision':>11}{'recall':>8}{'F1':>7}")
    for kind in ("omission", "false", "misreport", "consistent", "elsewhere"):
        n, right, total = found[kind]["all"], found[kind]["right"], wanted[kind]
        precision = right / n if n else 0.0
        recall = len(covered[kind]) / total if total else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        print(f"{kind:<12}{n:>8}{right:>8}{total:>8}{precision:>11.3f}{recall:>8.3f}{f1:>7.3f}")
        goals = {"omission": [("recall", recall, 0.98), ("precision", precision, 0.95)]}
        goals["false"] = [("precision", precision, 0.90)]
        goals["misreport"] = [("F1", f1, 0.95)]
        for label, value, least in goals.get(kind, []):
            budget(f"reconciliation {kind} {label}, {size}", value, "", least, at_most=False)
    print(f"\nbirths with more than one finding: {sum(1 for n in findings_of.values() if n > 1)}")
    for line in wrong:
        print("  wrong: " + line)
    print(f"\n{'planted':<16}{'births':>8}{'found right':>13}")
    for what in sorted(set(planted.values())):
        tids = [t for t, w in planted.items() if w == what]
        print(f"{'misreport ' + what:<26}{len(tids):>8}{sum(1 for t in tids if right_kind.get(t) == 'misreport'):>13}")
    for mark, carriers in sorted(marked.items()):
        if mark in FIELD_OF:  # the misreports, listed above
            continue
        print(f"{mark:<26}{len(carriers):>8}{sum(1 for t in carriers if t in right_kind):>13}")


FIELD_OF = {
    "date_days": "birth_date",
    "date_year": "birth_date",
    "date_month": "birth_date",
    "date_swap": "birth_date",
    "date_lunar": "birth_date",
    "date_far": "birth_date",
    "sex": "sex",
    "birth_order": "birth_order",
    "mother": "mother",
}
"""The difference field a planted misreport (:data:`storage.synth.MISREPORTS`) must be found under."""


if __name__ == "__main__":
    main()
