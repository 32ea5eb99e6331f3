"""The county's week at scale (issue 18, item 7): many townships' bundles into one county database.

    python bench/county.py [--townships 30] [--persons 30000] [--changed 2000] [--keep DIR] [--review]

A county of 39 townships (围场满族蒙古族自治县, 130828, the NBS 2023 table); ``--townships`` of them
each filled with about ``--persons`` synthetic persons (:func:`common.fast_fill`) and exported as
their first bundle; then ``--changed`` persons of each edited through the audited save and exported
as their second. Printed, each import in a fresh process (``hecha import-bundle`` of the folder):

- the county's first full import of every township's first bundle: wall time, seconds per 1,000
  persons per bundle (flat as the county grows, or not), peak RSS — budget ≤ 60 s, ≤ 300 MB at
  30 × 30,000;
- the weekly import of every township's second bundle — budget ≤ 10 s at 30 × 2,000;
- with ``--review``: the county's duplicate review over everyone (the first scoring of every pair,
  :func:`storage.pairstore.refresh`) — budget ≤ 120 s at 1,000,000 persons.

``--keep DIR`` keeps the township databases and bundles (built when missing) for the next run; the
county database is made anew each time. Ages are judged at the fixed day ``AS_OF`` (the townships'
reference date), never today's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
import time
from pathlib import Path

from common import ROOT, budget, child, fast_fill, mb

COUNTY = "130828"
AS_OF = dt.date(2026, 6, 30)
PASS = "bench-passphrase"

IMPORT = r"""
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
from storage.db import open_db
from export import keys
from export.bundle import import_many
from storage import bulk
open_db({db!r})
unlocked = keys.unlock({passphrase!r})
t1 = time.perf_counter()
per = []
s = time.perf_counter()
for path, r in import_many(sorted(Path({folder!r}).glob("*.zip")), unlocked):
    assert getattr(r, "status", None) == "imported", (path, r)
    persons = r.stats.inserted["person"] + r.stats.updated["person"] + r.stats.unchanged["person"]
    per.append((time.perf_counter() - s, persons))
    s = time.perf_counter()
t2 = time.perf_counter()
assert not bulk.suspended()
print(json.dumps(dict(unlock=t1 - t0, work=t2 - t1, per=per, indexes=t2 - s)))
"""

REVIEW = r"""
import json, time
from storage.db import open_db
from storage import pairstore
open_db({db!r})
persons, lists = pairstore.pending()
t = time.perf_counter()
scored = pairstore.refresh()
print(json.dumps(dict(seconds=time.perf_counter() - t, persons=persons, scored=scored, pairs=pairstore.count())))
"""


def _offices(root: Path, n: int) -> tuple[Path, list[str]]:
    """The county's database with keys, and the first ``n`` of its townships' codes with databases
    and keys at ``root`` (kept ones reused), each registered with the other."""
    from export import keys as keymod
    from storage.db import close_db, open_db
    from storage.models import AdminDivision, PeerOffice
    from storage.office import init_office

    county, empty = root / "county.sqlite", root / "county-empty.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{county}{suffix}").unlink(missing_ok=True)
    if empty.exists():  # kept: the townships' bundles are encrypted to this county's key
        shutil.copy(empty, county)
        open_db(county)
        registered = [p.code for p in PeerOffice.select().where(PeerOffice.level == "township")]
        close_db()
        if len(registered) == n:
            return county, sorted(registered)
        county.unlink()
    init_office(county, COUNTY)
    open_db(county)
    keymod.create_keys(PASS)
    county_pub = keymod.own_public()
    codes = [d.code for d in AdminDivision.select().where(AdminDivision.level == 4).order_by(AdminDivision.code)][:n]
    pubs = []
    for code in codes:
        db = root / f"{code}.sqlite"
        if not db.exists():
            init_office(db, code)
            open_db(db)
            keymod.create_keys(PASS)
            keymod.register_peer(county_pub)
        else:
            open_db(db)
            if PeerOffice.get(PeerOffice.code == COUNTY).fingerprint != county_pub.fingerprint():
                PeerOffice.delete().execute()  # the county is new each run: pin its new key
                keymod.register_peer(county_pub)
        pubs.append(keymod.own_public())
    open_db(county)
    for pub in pubs:
        keymod.register_peer(pub)
    close_db()
    return county, codes


def _build(root: Path, codes: list[str], persons: int, changed: int) -> None:
    """Fill each township (when new), export its first bundle into ``root/week1``, edit ``changed``
    persons and export its second into ``root/week2`` (skipped when both folders are complete)."""
    from export import keys as keymod
    from export.bundle import export_bundle
    from storage import audit
    from storage.db import close_db, open_db, write_txn
    from storage.models import Person

    week1, week2 = root / "week1", root / "week2"
    if len(list(week1.glob("*.zip"))) == len(codes) == len(list(week2.glob("*.zip"))):
        print(f"bundles: kept in {root}")
        return
    shutil.rmtree(week1, ignore_errors=True)
    shutil.rmtree(week2, ignore_errors=True)
    for i, code in enumerate(codes):
        db = root / f"{code}.sqlite"
        t = time.perf_counter()
        open_db(db)
        from storage.models import BundleLog

        BundleLog.delete().execute()  # a kept township starts its stream again
        if not Person.select().exists():
            fast_fill(db, persons, as_of=AS_OF, seed=i + 1)
            open_db(db)
            from storage.office import set_reference_date

            set_reference_date(AS_OF)  # ages judged at the campaign's day, not today's
        unlocked = keymod.unlock(PASS)
        export_bundle(unlocked, week1)
        step = max(Person.select().count() // max(changed, 1), 1)
        with write_txn():
            for p in Person.select().where(Person.id % step == 0).limit(changed):
                last = int(p.phone[-4:]) if p.phone[-4:].isdigit() else 0
                p.phone = f"1390000{(last + 1) % 10000:04d}"  # another number each run: a real change
                audit.save(p, reason="bench", operator="bench")
        export_bundle(unlocked, week2)
        close_db()
        print(f"township {code}: built and exported in {time.perf_counter() - t:.0f} s")


def _report(label: str, result: dict, peak: float) -> tuple[int, float, float]:
    """Print an import's figures; returns its persons and seconds per 1,000 persons in its first
    and its last bundle."""
    per = result["per"]
    persons = sum(n for _, n in per)
    rates = [1000 * s / n for s, n in per if n]
    first, last = (rates[0], rates[-1]) if rates else (0, 0)
    print(
        f"{label}: {len(per)} bundles, {persons} persons, {result['work']:.1f} s "
        f"(unlock {result['unlock']:.1f} s apart; search indexes built again {result['indexes']:.1f} s), "
        f"peak RSS {mb(peak):.0f} MB; "
        f"{first:.2f} s per 1,000 persons in the first bundle, {last:.2f} in the last"
    )
    return persons, first, last


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--townships", type=int, default=30)
    ap.add_argument("--persons", type=int, default=30_000)
    ap.add_argument("--changed", type=int, default=2_000)
    ap.add_argument("--keep", type=Path, default=None, help="keep townships and bundles here")
    ap.add_argument("--review", action="store_true", help="also the county's review over everyone")
    args = ap.parse_args()
    folder = tempfile.TemporaryDirectory()
    root = args.keep or Path(folder.name)
    root.mkdir(parents=True, exist_ok=True)
    county, codes = _offices(root, args.townships)
    shutil.copy(county, root / "county-empty.sqlite")  # the next run (and a profile) starts from it
    _build(root, codes, args.persons, args.changed)
    size = f"{args.townships} × {args.persons}"
    first, peak = child(IMPORT.format(db=str(county), passphrase=PASS, folder=str(root / "week1")))
    persons, a, z = _report("first full import", first, peak)
    scaled = "; scaled from the budget at 30 × 30,000 by persons" if persons != 900_000 else ""
    budget(f"county first import, {size}", first["work"], "s", 60 * persons / 900_000, note=scaled[2:])
    budget(f"county first import, {size}, peak RSS", mb(peak), "MB", 300)
    budget(f"county first import, {size}, last bundle per person ×first", z / a, "×", 1.25, note="flat")
    weekly, peak = child(IMPORT.format(db=str(county), passphrase=PASS, folder=str(root / "week2")))
    persons, _, _ = _report("weekly import", weekly, peak)
    scaled = "scaled from the budget at 30 × 2,000 by persons" if persons != 60_000 else ""
    budget(
        f"county weekly import, {args.townships} × {args.changed}",
        weekly["work"],
        "s",
        10 * persons / 60_000,
        note=scaled,
    )
    if args.review:
        result, peak = child(REVIEW.format(db=str(county)))
        print(
            f"county review: {result['persons']} persons scored in {result['seconds']:.1f} s, "
            f"{result['pairs']} pairs, peak RSS {mb(peak):.0f} MB"
        )
        n = result["persons"]
        scaled = "scaled from the budget at 1,000,000 persons" if n != 1_000_000 else ""
        budget(f"county review, {n} persons", result["seconds"], "s", 120 * n / 1_000_000, note=scaled)
    print(json.dumps(dict(root=str(root), code=str(ROOT))))


if __name__ == "__main__":
    main()
