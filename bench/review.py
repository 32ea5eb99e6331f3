"""Duplicate review benchmark (issue 15): the first page of the review at 50,000 households.

    python bench/review.py [--persons 172500] [--refs 50000] [--changed 50] [--db FILE]

A township of about ``--persons`` persons (:func:`common.township`, some 50,000 households) with a
police register of ``--refs`` records (``bench/dedup.py``'s ``fill_refs``). Printed: the first
scoring of every pair (once, after the upgrade to schema 18: :func:`storage.pairstore.refresh`
over everything); the review's first page and count read from the stored pairs (target ≤ 3 s,
DESIGN.md §11's screen budget); a refresh after ``--changed`` persons were edited (what the review
does each time it opens after a day's keying).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from common import budget, township

AS_OF = dt.date(2026, 6, 30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=172_500)
    ap.add_argument("--refs", type=int, default=50_000)
    ap.add_argument("--changed", type=int, default=50)
    ap.add_argument("--db", type=Path, default=None, help="keep the database here (built when missing)")
    args = ap.parse_args()
    folder = tempfile.TemporaryDirectory()
    db = args.db or Path(folder.name) / "t.sqlite"
    built = township(db, args.persons, as_of=AS_OF)
    from storage import pairstore
    from storage.db import open_db, write_txn
    from storage.models import Household, Person, PersonKey

    open_db(db)
    if built:
        from storage.namekeys import index_all

        t = time.perf_counter()
        index_all()
        print(f"name keys: {time.perf_counter() - t:.1f} s")
        if args.refs:
            import dedup  # bench/dedup.py

            dedup.fill_refs(args.refs, 1)
    assert PersonKey.select().exists(), "no name keys: build the database with this script"
    print(f"{Household.select().count()} households, {Person.select().count()} persons")
    persons, lists = pairstore.pending()
    if persons or lists:
        t = time.perf_counter()
        pairstore.refresh()
        print(f"first scoring of every pair ({persons} persons, {lists} lists): {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    first = pairstore.page(limit=100)
    total = pairstore.count()
    took = time.perf_counter() - t
    print(f"review's first page ({len(first)} of {total} pairs) and count: {took:.3f} s")
    budget(f"duplicate review's first page, {args.persons} persons", took, "s", 3.0, note="issue 15")
    step = max(Person.select().count() // max(args.changed, 1), 1)
    import peewee as pw

    from storage.namekeys import index_persons

    with write_txn():
        edited = list(Person.select(Person.id, Person.name).where(pw.SQL("id % ? = 0", (step,))).limit(args.changed))
        for p in edited:
            Person.update(name=p.name[::-1]).where(Person.id == p.id).execute()
        index_persons(Person.select().where(Person.id.in_([p.id for p in edited])))
    t = time.perf_counter()
    scored = pairstore.refresh()
    print(f"refresh after {args.changed} persons edited ({scored} scored): {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
