"""Duplicate search benchmark: accuracy by error kind and the warning's latency.

    python bench/dedup.py [--persons 100000] [--refs N] [--probes 300] [--seed 1] [--db FILE] [--splink PYTHON]

A township database of about ``--persons`` synthetic persons (bulk inserts, then the name keys)
and ``--refs`` reference records (default: as many as persons) in one imported police register
(a child's record with the mother's ID number):
90 % are persons of the database (3 % of them with one error of :data:`storage.synth.ERROR_KINDS`,
the typical rate), 10 % persons who are not in it;
for each error kind of :data:`storage.synth.ERROR_KINDS` up to ``--probes`` records of persons in
the database with that one error put in (truth kept), plus as many records of persons who are not
in the database. Each record goes through :func:`storage.dedup.candidates` and
:func:`storage.dedup.ref_candidates`, as the form calls them (the latency is of both).
Printed per kind: how often the top-ranked candidate is the true person (recall@1), whether the
true person is in the top 5 (target ≥ 0.99), precision of a top candidate that reaches the
warning score, F1; then the search latency p50/p99 (target p99 ≤ 20 ms warm on 1M persons +
1M reference records; run with ``--persons 1000000`` for that figure), and the mixed figures of
the clean / typical / messy sets (0.5 %, 3 %, 10 % of records with an error).

``--splink PYTHON`` also writes the same persons and records as CSV and runs ``bench/splink_peer.py``
with that Python (one that has the ``bench`` extra: Splink and DuckDB), and prints Splink's figures
beside hecha's: F1 per kind, wall time and peak memory. Splink gets the ID number as an exact
match only (no edit-distance level) and hecha's pinyin as its inputs (see ``bench/splink_settings.py``).

For the reference records the bench also prints whether a person's own record on the register is
among the top 5 that :func:`storage.dedup.ref_candidates` returns for a probe of that person.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path

from common import budget, keyed_township

AS_OF = dt.date(2026, 6, 30)


def truths(rng: random.Random, n: int):
    from storage.models import Birth, Person
    from storage.synth import ProbeRecord

    total = Person.select().count()
    ids = rng.sample(range(1, total + 1), min(n, total))
    mothers = {}
    for child, mid, mname in (
        Birth.select(Birth.child, Person.id_number, Person.name)
        .join(Person, on=(Birth.mother == Person.id))
        .where(Birth.child.in_(ids))
        .tuples()
    ):
        mothers[child] = (mid, mname)
    for p in Person.select().where(Person.id.in_(ids)):
        mid, mname = mothers.get(p.id, ("", ""))
        yield ProbeRecord(p.name, p.id_number, p.sex, dt.date.fromisoformat(p.birth_date), mid, "clean", p.uid), mname


def strangers(n: int, seed: int):
    """Records of persons who are not in the database (another seed, the same county)."""
    from storage.synth import Population, ProbeRecord

    pop = Population("130123", ["130123103203"], AS_OF, seed=seed + 1000)
    out: list[ProbeRecord] = []
    while len(out) < n:
        h = pop.household()
        for m in h.members:
            from storage import idnumber

            info = idnumber.parse(m.id_number)
            out.append(ProbeRecord(m.name, m.id_number, info.sex or "", info.birth_date, "", "stranger", None))
    return out[:n]


def search(rec):
    """Both searches the form runs for a typed person; ``(persons found, records found, seconds)``."""
    from storage.dedup import candidates, ref_candidates

    t = time.perf_counter()
    found = candidates(
        rec.id_number, name=rec.name, sex=rec.sex, birth_date=rec.birth_date, mother_id_number=rec.mother_id_number
    )
    refs = ref_candidates(
        rec.id_number, name=rec.name, sex=rec.sex, birth_date=rec.birth_date, mother_id_number=rec.mother_id_number
    )
    return found, refs, time.perf_counter() - t


def _truths(found) -> set[str]:
    """The person uids that the bench wrote into these reference records' ``extra``."""
    import json

    from storage.models import RefRecord

    ids = [int(c.person_uid[4:]) for c in found]
    return (
        {
            json.loads(x).get("truth", "")
            for (x,) in RefRecord.select(RefRecord.extra).where(RefRecord.id.in_(ids)).tuples()
        }
        if ids
        else set()
    )


def fill_refs(n: int, seed: int) -> int:
    """Load ``n`` reference records as one police register (an import batch): 90 % persons of the
    database (3 % with one keying error), 10 % strangers; the person's uid kept in ``extra``."""
    import json

    import peewee as pw

    from storage.db import now_iso, write_txn
    from storage.models import Birth, ImportBatch, Person
    from storage.reflists import RecordWriter
    from storage.synth import ERROR_KINDS, ProbeRecord, inject

    rng = random.Random(seed + 7)
    total = Person.select().count()
    share = min(n * 0.9 / total, 1.0) if total else 0.0
    written = 0

    def record(r: ProbeRecord, truth: str) -> dict:
        from storage import idnumber

        info = idnumber.parse(r.id_number) if r.id_number else None
        return dict(
            source="police_hukou",
            sheet="户籍",
            row_no=written + 2,
            raw="{}",
            name=r.name,
            sex=r.sex,
            birth_date=r.birth_date.isoformat() if r.birth_date else "",
            birth_date_prec="D",
            id_number=r.id_number,
            id_number_18=info.number_18 if info and info.ok else "",
            id_check=info.status if info else "missing",
            mother_id_number=r.mother_id_number,
            mother_name="",
            father_name="",
            father_id_number="",
            address="",
            birth_cert_no="",
            extra=json.dumps({"truth": truth}),
        )

    with write_txn():
        batch = ImportBatch.create(
            source="police_hukou",
            file_name="bench.xls",
            sha256=f"bench{seed}",
            sheets="户籍",
            imported_at=now_iso(),
            operator="bench",
            status="active",
        )
        writer = RecordWriter(batch.id)
        chunk: list[dict] = []
        mother = Person.alias()
        people = (
            Person.select(Person.uid, Person.name, Person.sex, Person.birth_date, Person.id_number, mother.id_number)
            .join(Birth, pw.JOIN.LEFT_OUTER, on=(Birth.child == Person.id))
            .join(mother, pw.JOIN.LEFT_OUTER, on=(Birth.mother == mother.id))
            .order_by(Person.id)
            .tuples()
        )
        for uid, name, sex, born, number, mother_number in people.iterator():
            if rng.random() >= share:
                continue
            truth = ProbeRecord(
                name, number, sex, dt.date.fromisoformat(born) if born else None, mother_number or "", "clean", uid
            )
            if rng.random() < 0.03:
                truth = inject(truth, rng.choice(ERROR_KINDS[1:]), rng) or truth
            chunk.append(record(truth, uid))
            written += 1
            if len(chunk) == 5000:
                writer.add(chunk)
                chunk = []
        for r in strangers(n - written, seed + 50):
            chunk.append(record(r, ""))
            written += 1
            if len(chunk) == 5000:
                writer.add(chunk)
                chunk = []
        writer.add(chunk)
        batch.rows_read = batch.rows_loaded = written
        batch.save()
    return written


def peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_peer(python: str, folder: Path, records) -> dict:
    """Write persons and records as CSV and run bench/splink_peer.py with ``python``; its JSON."""
    import csv
    import json
    import subprocess

    from storage.models import Person
    from storage.names import name_keys

    def fields(name, sex, born, number):
        keys = name_keys(name)
        return [
            keys.simplified,
            keys.surname_readings[0] if keys.surname_readings else "",
            keys.given_pinyin,
            born or "",
            sex or "",
            number or "",
        ]

    head = ["unique_id", "name", "surname_pinyin", "given_pinyin", "birth_date", "sex", "id_number"]
    with open(folder / "persons.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        for uid, name, sex, born, number in Person.select(
            Person.uid, Person.name, Person.sex, Person.birth_date, Person.id_number
        ).tuples():
            w.writerow([uid, *fields(name, sex, born, number)])
    with open(folder / "probes.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([*head, "kind", "true_uid"])
        for i, (label, r) in enumerate(records):
            w.writerow(
                [
                    f"p{i}",
                    *fields(r.name, r.sex, r.birth_date.isoformat() if r.birth_date else "", r.id_number),
                    label,
                    r.true_uid or "",
                ]
            )
    script = Path(__file__).resolve().parent / "splink_peer.py"
    proc = subprocess.run([python, str(script), str(folder)], capture_output=True, text=True)
    if proc.returncode:
        print(f"Splink run failed:\n{proc.stderr[-2000:]}")
        return {}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--probes", type=int, default=300)
    ap.add_argument("--refs", type=int, default=-1, help="reference records (default: as many as persons; 0 for none)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", default="", help="keep the database in this file (built if missing, reused if there)")
    ap.add_argument("--splink", default="", help="a Python with Splink and DuckDB: run the peer on the same records")
    args = ap.parse_args()
    from storage.db import open_db
    from storage.households import WARN_SCORE
    from storage.synth import ERROR_KINDS, inject

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(args.db) if args.db else Path(tmp) / "town.sqlite"
        keyed_township(db, args.persons, as_of=AS_OF, seed=args.seed)
        from storage.models import ImportBatch, Person, RefRecord

        wanted = Person.select().count() if args.refs < 0 else args.refs
        if wanted and not ImportBatch.select().where(ImportBatch.sha256 == f"bench{args.seed}").exists():
            t = time.perf_counter()
            n = fill_refs(wanted, args.seed)
            print(f"reference records: {n} loaded in {time.perf_counter() - t:.0f} s")
        refs_total = RefRecord.select().count()
        print(f"searching {Person.select().count()} persons and {refs_total} reference records")
        warm_page_cache(Path(db))  # "warm" means warm, whatever ran before (a kept database's last cold run dropped it)
        pool = list(truths(rng, args.probes * 20))
        on_register = (
            {
                t
                for (t,) in RefRecord.select(RefRecord.extra)
                .where(RefRecord.extra.in_([f'{{"truth": "{r.true_uid}"}}' for r, _ in pool]))
                .tuples()
            }
            if refs_total
            else set()
        )
        on_register = {t[len('{"truth": "') : -2] for t in on_register}
        ref_top5: dict[str, list[bool]] = {}
        results: dict[str, list[tuple[bool, bool, bool]]] = {}
        latencies = []
        records = []  # (label, record) for the peer
        name_kinds = ("clean", "homophone", "similar_shape", "given_swapped", "surname_misread")
        runs = [(k, False) for k in ERROR_KINDS] + [
            (k, True) for k in name_kinds
        ]  # name errors again on lists without IDs
        for kind, drop_id in runs:
            rows = results.setdefault(kind + (", no ID" if drop_id else ""), [])
            for truth, mother_name in pool:
                if len(rows) >= args.probes:
                    break
                rec = inject(truth, kind, rng, mother_name=mother_name)
                if rec is None:
                    continue
                if drop_id:
                    rec = dataclasses.replace(rec, id_number="")
                records.append((kind + (", no ID" if drop_id else ""), rec))
                found, refs, took = search(rec)
                latencies.append(took)
                if rec.true_uid in on_register:
                    ref_top5.setdefault(kind + (", no ID" if drop_id else ""), []).append(
                        rec.true_uid in _truths(refs[:5])
                    )
                top = found[0] if found and found[0].score >= WARN_SCORE else None
                rows.append(
                    (
                        top is not None and top.person_uid == rec.true_uid,
                        top is not None,
                        any(c.person_uid == rec.true_uid for c in found[:5]),
                    )
                )
        search_seconds = sum(latencies)
        false_alarms = 0
        others = strangers(args.probes, args.seed)
        records.extend(("not in database", r) for r in others)
        for rec in others:
            found, _, took = search(rec)
            latencies.append(took)
            false_alarms += bool(found and found[0].score >= WARN_SCORE)
        summary = {}
        summary_top5: dict[str, float] = {}
        peer = run_peer(args.splink, Path(tmp), records) if args.splink else {}
        if not peer:
            print(f"\n{'error kind':<24}{'n':>5}{'recall@1':>10}{'top5':>7}{'precision':>11}{'F1':>7}")
        else:
            print(
                f"\nSplink {peer['seconds']:.0f} s, peak {peer['peak_mb']:.0f} MB (train + predict); "
                f"hecha {search_seconds:.1f} s for the searches, peak {peak_mb():.0f} MB (the keys were built with "
                "the database)"
            )
            print(f"{'error kind':<24}{'hecha F1':>10}{'Splink F1':>11}")
        for kind, rows in results.items():
            if not rows:
                print(f"{kind:<24}{0:>5}  (no record could carry this error)")
                continue
            right = sum(r[0] for r in rows)
            shown = sum(r[1] for r in rows)
            recall, top5 = right / len(rows), sum(r[2] for r in rows) / len(rows)
            precision = right / shown if shown else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            summary[kind] = (recall, precision)
            summary_top5[kind] = top5
            if peer:
                theirs = peer["kinds"].get(kind, {}).get("f1", float("nan"))
                print(f"{kind:<24}{f1:>10.3f}{theirs:>11.3f}")
            else:
                print(f"{kind:<24}{len(rows):>5}{recall:>10.3f}{top5:>7.3f}{precision:>11.3f}{f1:>7.3f}")
        print(
            f"{'not in database':<24}{len(others):>5}  false warnings: {false_alarms} "
            f"({false_alarms / len(others):.3%})"
            + (f"; Splink: {peer['kinds'].get('not in database', {}).get('false', 0)}" if peer else "")
        )
        errors = [k for k in summary if k in ERROR_KINDS and k != "clean"]
        for label, rate in (("clean", 0.005), ("typical", 0.03), ("messy", 0.10)):
            share = min(rate * len(errors), 1.0)  # records with one error, spread over the kinds
            recall = (1 - share) * summary["clean"][0] + share * statistics.mean(summary[k][0] for k in errors)
            precision = (1 - share) * summary["clean"][1] + share * statistics.mean(summary[k][1] for k in errors)
            print(f"{label} set ({rate:.1%} per field): recall@1 {recall:.3f}, precision {precision:.3f}")
        if ref_top5:
            print(
                "\nthe person's own record on the register among ref_candidates' top 5 "
                "(3 % of register records carry an error of their own):"
            )
            print("  " + ", ".join(f"{k} {sum(v) / len(v):.3f}" for k, v in ref_top5.items()))
        latencies.sort()
        p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
        print(
            f"\nsearch latency over {len(latencies)} searches: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms "
            "(warm cache; persons and reference records)"
        )
        from storage.db import close_db

        cold = []
        for _, rec in records[:: max(len(records) // 50, 1)]:
            close_db()  # a new connection, and the file dropped from the system's page cache
            drop_from_page_cache(Path(db))
            open_db(db)
            cold.append(search(rec)[2])
        cold.sort()
        print(
            f"first search with the file dropped from the page cache ({len(cold)} times): "
            f"p50 {cold[len(cold) // 2] * 1000:.1f} ms, max {cold[-1] * 1000:.1f} ms"
        )
        size = f"{Person.select().count()} persons + {refs_total} records"
        budget(f"duplicate search p99 warm, {size}", p99 * 1000, "ms", 20)
        budget(f"duplicate search cold (max), {size}", cold[-1] * 1000, "ms", 50)
        if summary_top5:
            kind, worst = min(summary_top5.items(), key=lambda kv: kv[1])
            budget(f"duplicate search top-5, worst kind, {size}", worst, "", 0.99, at_most=False, note=kind)


def warm_page_cache(db: Path) -> None:
    """Read the database file (and its ``-wal``) once, so that the warm figures find it in the
    system's page cache."""
    for path in (db, Path(f"{db}-wal")):
        if path.exists():
            with open(path, "rb") as fh:
                while fh.read(1 << 20):
                    pass


def drop_from_page_cache(db: Path) -> None:
    """Ask the kernel to forget the database's pages (``posix_fadvise(POSIX_FADV_DONTNEED)``, after
    an ``fsync`` so that none is dirty and kept), its ``-wal`` too: the next read comes from disk."""
    import os

    for path in (db, Path(f"{db}-wal")):
        if not path.exists():
            continue
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


if __name__ == "__main__":
    main()
