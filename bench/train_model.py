"""Estimate the duplicate search's Fellegi–Sunter parameters (``storage/data/match_model.json``).

    python bench/train_model.py [--persons 50000] [--probes 4000] [--pairs 400000] [--seed 5]
                                [--db FILE] [--out storage/data/match_model.json]

As Splink estimates its model (issue 16, :mod:`storage.matchmodel`):

- ``u`` (the chance that two different persons fall in a level) is counted on ``--pairs`` random
  pairs of persons of a synthetic township of ``--persons`` (``bench/common.township``: hecha's own
  generator, *not* the independent sets the search is measured on);
- ``m`` (the chance that one person keyed twice does) and ``share`` (how many persons already there
  a record searched with is) by expectation maximisation on the pairs the blocking of
  :func:`storage.dedup.candidates` finds for ``--probes`` records: persons of the township with one
  or two keying errors of :data:`storage.synth.ERROR_KINDS` put in, and as many persons who are not
  there. EM reads the comparisons only, never which record is whose (the truth is not used), and
  ``u`` stays fixed while it runs, as Splink's ``estimate_parameters_using_expectation_maximisation``
  does.

Prints the parameters, each level's weight ``log2(m/u)`` and the iterations, and writes ``--out``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

from common import keyed_township

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = dt.date(2026, 6, 30)
FLOOR = 1e-6  # no level's u is taken as zero (a level never seen is still possible)
M_FLOOR = 0.002
"""No level's m is taken below 0.2 %: errors the generator does not make (a birth date changed on
purpose, 改年龄; a child renamed; one person registered twice with two numbers, 一人两号) still
occur. A judgement, not an estimate; it is what lets an exact name and birth date outweigh two
valid different numbers (issue 16)."""


def persons() -> list[tuple]:
    """Every live person: (name, number, number_18, id_check, birth date, sex, mother's number)."""
    from storage.models import Person

    return list(
        Person._meta.database.execute_sql(
            """SELECT p.name, p.id_number, p.id_number_18, p.id_check, p.birth_date, p.sex,
                      (SELECT m.id_number_18 FROM birth b JOIN person m ON m.id = b.mother_id
                        WHERE b.child_id = p.id AND b.deleted = 0 LIMIT 1)
               FROM person p WHERE p.deleted = 0"""
        )
    )


def compare_rows(a: tuple, b: tuple, taken: bool = False):
    """Two person rows compared as the search compares a record with a person (``taken``: the
    first's number is another person's)."""
    from storage import idnumber, matchmodel
    from storage.names import name_keys

    ok = (idnumber.OK, idnumber.LEGACY15)
    return matchmodel.compare(
        id_pair=((a[2] or a[1]).upper(), bool(a[2]) and a[3] in ok, (b[2] or b[1]).upper(), bool(b[2]) and b[3] in ok),
        taken=taken,
        keys=name_keys(a[0]) if a[0] else None,
        their_name=b[0],
        born=dt.date.fromisoformat(a[4]) if len(a[4]) == 10 else None,
        their_born=dt.date.fromisoformat(b[4]) if len(b[4]) == 10 else None,
        sex=a[5],
        their_sex=b[5],
        mother=a[6] or "",
        their_mother=b[6] or "",
        born_from_id=False,  # every field compared: a date's or a sex's m is not only that of other numbers
    )


def estimate_u(rows: list[tuple], n: int, rng: random.Random) -> dict[str, dict[str, float]]:
    """Each level's share among ``n`` random pairs of distinct persons (fields missing on a side left out)."""
    from storage.matchmodel import FIELDS, LEVELS

    counts: dict[str, Counter[str]] = {f: Counter() for f in FIELDS}
    for _ in range(n):
        a, b = rng.sample(rows, 2)
        c = compare_rows(a, b)
        for f in FIELDS:
            level = getattr(c, f)
            if level is not None:
                counts[f][level] += 1
    u = {f: {lv: max(counts[f][lv] / max(sum(counts[f].values()), 1), FLOOR) for lv in LEVELS[f]} for f in FIELDS}
    # two numbers more than one slip apart: whether both are valid, or the one searched with is another
    # person's, says something of the record searched with, not of the pair; for two different persons
    # each is as likely as the numbers differing at all
    apart = u["id"]["two_valid"] + u["id"]["other"] + u["id"]["borrowed"]
    u["id"].update(two_valid=apart, other=apart, borrowed=apart)
    return u


GROUPS = {
    "name": ("homophone", "similar_shape", "given_swapped", "surname_misread", "drop_char", "missing_name"),
    "id": ("id_digit", "id_swap", "id_excel", "mother_id", "no_id"),
    "date": ("day_month_swap", "date_days", "date_year", "date_month", "lunar", "date_day_unknown"),
    "sex": ("sex",),
}
"""The error kinds of :data:`storage.synth.ERROR_KINDS` by the field they touch."""


SEX_SHARE = 0.2
"""The sex is keyed wrong this many times as seldom as another field: one box of two, checked
against the ID number and the relation (a judgement; the generator has no rate of its own)."""


def training_records(probes: int, rng: random.Random, rate: float) -> list:
    """Records of ``probes`` persons of the township as another list or clerk holds them: each field
    (name, ID number, birth date) keyed wrong with probability ``rate``, the sex with
    ``rate * SEX_SHARE``, by an error of its kind, drawn evenly (:data:`GROUPS`)."""
    from storage.synth import inject

    sys.path.insert(0, str(ROOT / "bench"))
    from dedup import truths  # the bench's record maker (hecha's generator)

    records = []
    for truth, mother_name in truths(rng, probes):
        rec = truth
        for group, kinds in GROUPS.items():
            if rng.random() < rate * (SEX_SHARE if group == "sex" else 1):
                rec = inject(rec, rng.choice(kinds), rng, mother_name=mother_name) or rec
        records.append(rec)
    return records


def true_pairs(records: list) -> list[tuple[str, ...]]:
    """The comparison of every training record that stands for a person with that person (the
    label: ``true_uid``), over all fields, as the search compares them."""
    from storage import idnumber
    from storage.models import Person

    sql = Person._meta.database.execute_sql
    out = []
    for rec in records:
        if not rec.true_uid:
            continue
        row = sql(
            """SELECT p.name, p.id_number, p.id_number_18, p.id_check, p.birth_date, p.sex,
                      (SELECT m.id_number_18 FROM birth b JOIN person m ON m.id = b.mother_id
                        WHERE b.child_id = p.id AND b.deleted = 0 LIMIT 1)
               FROM person p WHERE p.uid = ?""",
            (rec.true_uid,),
        ).fetchone()
        info = idnumber.parse(rec.id_number) if rec.id_number else None
        born = rec.birth_date or (info.birth_date if info else None)
        taken = bool(info and info.number_18) and bool(
            sql(
                "SELECT 1 FROM person WHERE id_number_18 = ? AND uid != ? AND deleted = 0",
                (info.number_18, rec.true_uid),  # type: ignore[union-attr]
            ).fetchone()
        )
        mine = (
            rec.name,
            rec.id_number,
            info.number_18 if info else "",
            info.status if info else "missing",
            born.isoformat() if born else "",
            rec.sex or (info.sex if info and info.ok else "") or "",
            idnumber.parse(rec.mother_id_number).number_18 if rec.mother_id_number else "",
        )
        out.append(compare_rows(mine, row, taken).levels())
    return out


def estimate_m(pairs: list[tuple[str, ...]]) -> dict[str, dict[str, float]]:
    """Each level's share among the true pairs (Splink's ``estimate_m_from_label_column``), at least
    :data:`M_FLOOR`."""
    from storage.matchmodel import FIELDS, LEVELS

    counts: dict[str, Counter[str]] = {f: Counter() for f in FIELDS}
    for vec in pairs:
        for item in vec:
            f, lv = item.split(":")
            counts[f][lv] += 1
    return {f: {lv: max(counts[f][lv] / max(sum(counts[f].values()), 1), M_FLOOR) for lv in LEVELS[f]} for f in FIELDS}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=50_000)
    ap.add_argument("--probes", type=int, default=20_000, help="records of persons there, for m")
    ap.add_argument("--rate", type=float, default=0.1, help="each field's error rate in those records")
    ap.add_argument("--pairs", type=int, default=400_000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--db", default="", help="keep the township in this file (built if missing)")
    ap.add_argument(
        "--share", type=float, default=0.5, help="the share of records searched with that are someone there"
    )
    ap.add_argument("--out", default=str(ROOT / "storage" / "data" / "match_model.json"))
    args = ap.parse_args()
    from storage.matchmodel import FIELDS, LEVELS

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        keyed_township(
            Path(args.db) if args.db else Path(tmp) / "town.sqlite", args.persons, as_of=AS_OF, seed=args.seed
        )
        rows = persons()
        u = estimate_u(rows, args.pairs, rng)
        records = training_records(args.probes, rng, args.rate)
        pairs = true_pairs(records)
        m = estimate_m(pairs)
    print(f"m from {len(pairs)} records of persons there (labelled), u from {args.pairs} random pairs")
    print(f"{'level':22} {'m':>10} {'u':>10} {'log2(m/u)':>10}")
    for f in FIELDS:
        for lv in LEVELS[f]:
            print(f"{f + ':' + lv:22} {m[f][lv]:10.6f} {u[f][lv]:10.6f} {math.log2(m[f][lv] / u[f][lv]):10.2f}")
    out = {
        "about": (
            f"Estimated by bench/train_model.py --persons {args.persons} --probes {args.probes} "
            f"--pairs {args.pairs} --seed {args.seed}: u on random pairs of persons, m and share by EM "
            "on the blocked pairs of records with keying errors (hecha's generator; no labels used)."
        ),
        "share": args.share,
        "m": {f: {lv: float(f"{m[f][lv]:.6g}") for lv in LEVELS[f]} for f in FIELDS},
        "u": {f: {lv: float(f"{u[f][lv]:.6g}") for lv in LEVELS[f]} for f in FIELDS},
    }
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
