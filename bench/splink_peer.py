"""Run Splink (DuckDB backend) on the records ``bench/dedup.py --export DIR`` wrote, as the peer to beat.

    python bench/splink_peer.py DIR        (needs the ``bench`` extra: pip install -e ".[bench]")

Reads ``DIR/persons.csv`` and ``DIR/probes.csv``, trains the model of :mod:`splink_settings` (u by
random sampling, m by expectation maximisation), predicts, takes each probe's best match above a
match probability of 0.5 as its answer, and prints one JSON line: recall@1, precision, F1 per error
kind and overall, the wall time and peak memory (RSS) of the whole run.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path


def main() -> None:
    folder = Path(sys.argv[1])
    t0 = time.perf_counter()
    import duckdb
    from splink import DuckDBAPI, Linker, block_on

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from splink_settings import TRAINING_BLOCKS, settings

    con = duckdb.connect()
    persons = con.read_csv(str(folder / "persons.csv"), all_varchar=True)
    probes = con.read_csv(str(folder / "probes.csv"), all_varchar=True)
    con.register("persons_in", persons)
    con.register("probes_in", probes)
    con.execute("create table persons as select * from persons_in")
    con.execute("create table probes as select * from probes_in")
    db_api = DuckDBAPI(connection=con)
    linker = Linker([db_api.register("persons"), db_api.register("probes")], settings(), log_level=40)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    for fields in TRAINING_BLOCKS:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(*fields))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    rows = con.execute(f"select * from {predictions.physical_name}").fetchall()
    columns = [d[0] for d in con.description]
    best: dict[str, tuple[float, str]] = {}
    for row in rows:
        r = dict(zip(columns, row, strict=False))
        left, right = (r["unique_id_l"], r["unique_id_r"])
        probe, person = (left, right) if str(r["source_dataset_l"]).startswith("probes") else (right, left)
        weight = r["match_weight"]
        if probe not in best or weight > best[probe][0]:
            best[probe] = (weight, person)
    truth = {
        pid: (kind, uid) for pid, kind, uid in con.execute("select unique_id, kind, true_uid from probes").fetchall()
    }
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # right, answered, with a true match
    for pid, (kind, uid) in truth.items():
        answer = best.get(pid, (0, None))[1]
        counts = per_kind[kind]
        counts[0] += bool(uid) and answer == uid
        counts[1] += answer is not None
        counts[2] += bool(uid)
    out = {}
    for kind, (right, answered, real) in per_kind.items():
        recall = right / real if real else 0.0
        precision = right / answered if answered else 0.0
        out[kind] = dict(
            recall=recall,
            precision=precision,
            f1=2 * recall * precision / (recall + precision) if recall + precision else 0.0,
            false=answered if not real else 0,
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"kinds": out, "seconds": time.perf_counter() - t0, "peak_mb": peak}))


if __name__ == "__main__":
    main()
