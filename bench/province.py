"""The province's cross-county comparison (issue 21): precision, recall, time and memory.

    python bench/province.py [--persons 1000000] [--counties 40] [--engine duckdb|spark] [--seed 1]
    python bench/province.py --csv DIR          (a province another generator wrote: persons.csv,
                                                 births.csv, truth.csv; bench/independent_province)

Makes a synthetic province of ``--counties`` real counties of Hebei (GB/T 2260 13xxxx) and about
``--persons`` persons with their births of the last ten years (reference date 2026-06-30), as
rows of the platform's store (:mod:`storage.province.store`), then plants cross-county duplicates
the way they arise: 1 % of persons registered again in another county (a migrant registered where
she lives and where her household is) and 3 % of births reported again by another county (the
birth keyed there from a hospital list: the mother's name and number on the birth, not a registered
mother), each copy with 0–2 errors of the kinds offices make (:func:`storage.synth.inject`:
homophones, similar shapes, a misread surname, a character dropped, an ID digit wrong, the ID
missing, a date swapped or some days off, a lunar date; for a birth also the child unnamed
(王芳之女) or the certificate missing). Twins and siblings are there as they come.

Then runs :func:`storage.province.link.link` on ``--engine`` and prints one JSON line: precision,
recall and F1 per kind and overall against the planted pairs, seconds per step, and the peak
resident memory of the process (with DuckDB's, which runs inside it).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage import divisions, idnumber  # noqa: E402
from storage.province.link import link  # noqa: E402
from storage.province.store import birth_row, person_row, rows_of_csv, write_rows  # noqa: E402
from storage.synth import GIVEN_FEMALE, GIVEN_MALE, SURNAMES, ProbeRecord, inject  # noqa: E402

AS_OF = dt.date(2026, 6, 30)
PERSON_ERRORS = (
    "homophone",
    "similar_shape",
    "surname_misread",
    "drop_char",
    "id_digit",
    "no_id",
    "day_month_swap",
    "date_days",
    "lunar",
)
BIRTH_ERRORS = (
    "homophone",
    "similar_shape",
    "drop_char",
    "date_days",
    "day_month_swap",
    "lunar",
    "missing_name",
    "no_cert",
    "mother_id_digit",
    "no_mother_id",
)


def counties(n: int) -> list[tuple[str, list[str]]]:
    """``n`` real counties of Hebei with their townships (NBS 2023)."""
    out: dict[str, list[str]] = {}
    for d in divisions.iter_divisions("13"):
        if len(d.code) == 9 and d.code[4:6] != "00":
            out.setdefault(d.code[:6], []).append(d.code)
    picked = sorted(out)[:n]
    return [(c, out[c]) for c in picked]


class Province:
    """The synthetic province: store rows per county, and the planted pairs."""

    def __init__(self, persons: int, n_counties: int, seed: int):
        self.rng = random.Random(seed)
        self.counties = counties(n_counties)
        self.persons: dict[str, list[dict]] = {c: [] for c, _ in self.counties}
        self.births: dict[str, list[dict]] = {c: [] for c, _ in self.counties}
        self.truth: set[tuple[str, str, str]] = set()
        self.errors: dict[tuple[str, str, str], str] = {}
        self.seq = 0
        self.weights = [1 / (rank + 1) ** 0.9 for rank in range(len(SURNAMES))]
        self._make(persons)

    def uid(self) -> str:
        self.seq += 1
        return f"u{self.seq:09d}"

    def name(self, sex: str) -> str:
        pool = GIVEN_MALE if sex == "1" else GIVEN_FEMALE
        given = "".join(self.rng.choice(pool) for _ in range(self.rng.choice((1, 2, 2, 2))))
        return self.rng.choices(SURNAMES, self.weights)[0] + given

    def _make(self, total: int) -> None:
        rng = self.rng
        per = total // len(self.counties)
        for county, towns in self.counties:
            serial = 0
            mothers: list[dict[str, Any]] = []
            for _ in range(per):
                sex = rng.choice("12")
                born = AS_OF - dt.timedelta(days=rng.randint(0, 80 * 365))
                serial += 1
                seq = (serial % 499) * 2 + (1 if sex == "1" else 2)  # GB 11643: odd for men, even for women
                p = dict(
                    uid=self.uid(),
                    township=rng.choice(towns),
                    name=self.name(sex),
                    sex=sex,
                    birth_date=born.isoformat(),
                    id_number=idnumber.make(county, born, seq),
                    version=1,
                )
                self.persons[county].append(p)
                if sex == "2" and 20 * 365 < (AS_OF - born).days < 45 * 365:
                    mothers.append(p)
            for mother in mothers[: len(mothers) * 2 // 3]:
                day = AS_OF - dt.timedelta(days=rng.randint(0, 3650))
                twins = rng.random() < 0.01
                order = 1
                for _ in range(rng.choice((1, 1, 2))):
                    for _k in range(2 if twins else 1):
                        sex = rng.choice("12")
                        self.births[county].append(
                            dict(
                                uid=self.uid(),
                                township=mother["township"],
                                child_name=mother["name"][0] + self.name(sex)[1:],
                                child_sex=sex,
                                birth_date=day.isoformat(),
                                birth_order=order,
                                birth_cert_no=f"{rng.choice('ABCDEFGHJKLMNOPQ')}{rng.randint(10**8, 10**9 - 1)}",
                                mother_uid=mother["uid"],
                                mother_name=mother["name"],
                                mother_id_number=mother["id_number"],
                                version=1,
                            )
                        )
                        order += 1
                    twins = False
                    day = day - dt.timedelta(days=rng.randint(700, 1500))
        self._plant()

    def _other(self, county: str) -> tuple[str, str]:
        while True:
            c, towns = self.rng.choice(self.counties)
            if c != county:
                return c, self.rng.choice(towns)

    def _plant(self) -> None:
        rng = self.rng
        for county, _ in self.counties:
            for p in list(self.persons[county]):
                if p["version"] != 1 or rng.random() >= 0.01:
                    continue
                other, town = self._other(county)
                copy = dict(p, uid=self.uid(), township=town, version=2)  # version 2: a copy, not copied again
                kinds = rng.sample(PERSON_ERRORS, rng.choice((0, 1, 1, 2)))
                for kind in kinds:
                    truth = ProbeRecord(
                        copy["name"],
                        copy["id_number"],
                        copy["sex"],
                        dt.date.fromisoformat(copy["birth_date"]),
                        "",
                        kind,
                        None,
                    )
                    wrong = inject(truth, kind, rng)
                    if wrong:  # a date mistyped beside the number read off the card: the number kept
                        copy.update(
                            name=wrong.name,
                            id_number=wrong.id_number if kind in ("no_id", "id_digit") else copy["id_number"],
                            birth_date=wrong.birth_date.isoformat() if wrong.birth_date else "",
                        )
                self.persons[other].append(copy)
                self._truth("person", p["uid"], copy["uid"], "+".join(kinds) or "exact")
            for b in list(self.births[county]):
                if b["version"] != 1 or rng.random() >= 0.03:
                    continue
                other, town = self._other(county)
                copy = dict(b, uid=self.uid(), township=town, mother_uid="", version=2)
                kinds = rng.sample(BIRTH_ERRORS, rng.choice((0, 1, 1, 2)))
                for kind in kinds:
                    if kind == "no_cert":
                        copy["birth_cert_no"] = ""
                    elif kind == "no_mother_id":
                        copy["mother_id_number"] = ""
                    elif kind == "mother_id_digit":
                        n, i = copy["mother_id_number"], rng.randrange(17)
                        if n:
                            copy["mother_id_number"] = n[:i] + str((int(n[i]) + 1) % 10) + n[i + 1 :]
                    else:
                        truth = ProbeRecord(
                            copy["child_name"],
                            copy["mother_id_number"],
                            copy["child_sex"],
                            dt.date.fromisoformat(copy["birth_date"]),
                            copy["mother_id_number"],
                            kind,
                            None,
                        )
                        wrong = inject(truth, kind, rng, mother_name=copy["mother_name"])
                        if wrong:
                            copy.update(
                                child_name=wrong.name,
                                birth_date=wrong.birth_date.isoformat() if wrong.birth_date else "",
                            )
                self.births[other].append(copy)
                self._truth("birth", b["uid"], copy["uid"], "+".join(kinds) or "exact")

    def _truth(self, kind: str, a: str, b: str, error: str) -> None:
        key = (kind, min(a, b), max(a, b))
        self.truth.add(key)
        self.errors[key] = error

    def write(self, store: Path) -> int:
        """Each county's rows as one import of the store; returns the rows written."""
        n = 0
        for county, _ in self.counties:
            persons = (person_row(p, county=county, bundle="bench", submitted=AS_OF) for p in self.persons[county])
            births = [dict(b, mother_name="" if b["mother_uid"] else b["mother_name"]) for b in self.births[county]]
            counts = write_rows(
                store,
                county,
                "bench",
                persons,
                (birth_row(b, county=county, bundle="bench", submitted=AS_OF) for b in births),
            )
            n += sum(counts.values())
        return n


def read_truth(folder: Path) -> tuple[set, dict]:
    truth, errors = set(), {}
    with open(folder / "truth.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            key = (r["kind"], min(r["uid_a"], r["uid_b"]), max(r["uid_a"], r["uid_b"]))
            truth.add(key)
            errors[key] = r.get("error", "")
    return truth, errors


def score(found: set, truth: set, errors: dict) -> dict:
    out: dict = {}
    for kind in sorted({k for k, _, _ in truth} | {k for k, _, _ in found}):
        f = {p for p in found if p[0] == kind}
        t = {p for p in truth if p[0] == kind}
        hit = len(f & t)
        precision = hit / len(f) if f else 0.0
        recall = hit / len(t) if t else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        missed: dict[str, int] = {}
        for p in t - f:
            missed[errors.get(p, "")] = missed.get(errors.get(p, ""), 0) + 1
        out[kind] = dict(
            planted=len(t),
            found=len(f),
            right=hit,
            precision=round(precision, 4),
            recall=round(recall, 4),
            f1=round(f1, 4),
            missed=dict(sorted(missed.items())),
        )
    hit = len(found & truth)
    p = hit / len(found) if found else 0.0
    r = hit / len(truth) if truth else 0.0
    out["all"] = dict(precision=round(p, 4), recall=round(r, 4), f1=round(2 * p * r / (p + r), 4) if p + r else 0.0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--counties", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    ap.add_argument("--threshold", type=float, default=0.5, help="match probability from which a pair counts")
    ap.add_argument("--csv", type=Path, default=None, help="a province as CSV (persons, births, truth)")
    ap.add_argument("--store", type=Path, default=None, help="keep the store here (default: a temporary folder)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or Path(tmp) / "store"
        if args.csv:
            truth, errors = read_truth(args.csv)
            write_rows(
                store,
                "all",
                "csv",
                rows_of_csv(args.csv / "persons.csv", "persons", submitted=AS_OF),
                rows_of_csv(args.csv / "births.csv", "births", submitted=AS_OF),
            )
            source = str(args.csv)
        else:
            prov = Province(args.persons, args.counties, args.seed)
            prov.write(store)
            truth, errors = prov.truth, prov.errors
            source = f"synthetic {args.persons} persons, {args.counties} counties, seed {args.seed}"
        made = time.perf_counter() - t0
        t1 = time.perf_counter()
        result = link(store, engine=args.engine, threshold=args.threshold, progress=lambda t: print(t, file=sys.stderr))
        linked = time.perf_counter() - t1
    found = {(p.kind, p.uid_l, p.uid_r) for p in result.pairs}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            dict(
                source=source,
                engine=args.engine,
                records=result.records,
                scores=score(found, truth, errors),
                seconds=dict(
                    make=round(made, 1), link=round(linked, 1), **{k: round(v, 1) for k, v in result.seconds.items()}
                ),
                peak_mb=round(peak),
            ),
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
