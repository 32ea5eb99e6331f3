"""The duplicate search on data hecha did not make (issue 16): ``bench/independent3``'s township.

    python bench/dedup_independent.py [--data bench/independent3/out] [--db FILE] [--show KIND]

Loads ``persons.csv`` (50,000 persons of 南岗镇 by default, written by ``make_data.py``, whose author
read neither the search nor hecha's generator) into a township database with bulk inserts (persons,
their households and the births that link a child to its mother), writes the name keys, then puts
every record of ``probes.csv`` through :func:`storage.dedup.candidates` as the form calls it (name,
ID number, sex, birth date, the mother's ID number). Printed: for the clerks' copies, overall, with
two or more errors and per error kind, how often the true person is first (top-1), in the top 5,
and warned (in the candidates at :data:`storage.dedup.WARN_SCORE` or more); for the strangers, how
often any person is warned of, per kind and for those with no namesake born the same day (the
same name and birth date warn by design, issue 16), and how often a twin is warned of against her twin; the
search's latency p50/p99. Copies marked ``hopeless`` and strangers marked ``indistinguishable`` or
``near_copy`` are counted apart (nobody can be right on them). Goals (issue 16): top-5 ≥ 0.99
overall and ≥ 0.98 with two or more errors, warned ≥ 0.97, strangers warned ≤ 0.2 %, twins never.
``--show KIND`` prints the misses of one error kind (probe, truth, what was found), or for a
stranger kind the strangers warned of.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def load(db: Path, folder: Path) -> None:
    """A township database at ``db`` holding ``persons.csv`` (households, persons, births)."""
    from storage import idnumber
    from storage.db import close_db, now_iso, open_db, write_txn
    from storage.models import Birth, Household, Person, new_uid
    from storage.namekeys import index_all
    from storage.names import normalize
    from storage.office import init_office

    with open(folder / "persons.csv", encoding="utf-8") as f:
        office = next(csv.DictReader(f))["household_no"][:9]  # the township of the data (its village codes)
    init_office(db, office)
    open_db(db)
    now = now_iso()
    stamp = dict(origin=office, updated_at=now, updated_by="bench", deleted=False, version=1)
    households: dict[str, list[dict]] = defaultdict(list)
    with open(folder / "persons.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            households[row["household_no"]].append(row)
    with write_txn():
        for code, rows in households.items():
            hh = Household.create(
                household_code=code,
                village_code=code[:12],
                group_no=code[12:14],
                serial=int(code[14:]),
                address_detail="",
                form_no="",
                uid=new_uid(),
                **stamp,
            )
            ids = {}
            for seq, r in enumerate(rows, start=1):
                info = idnumber.parse(r["id_number"]) if r["id_number"] else None
                uid = new_uid()
                p = Person.create(
                    household=hh.id,
                    seq=seq,
                    name=r["name"],
                    name_norm=normalize(r["name"]),
                    id_number=r["id_number"],
                    id_number_18=info.number_18 if info else "",
                    id_check=info.status if info else "missing",
                    sex=r["sex"],
                    birth_date=r["birth_date"],
                    relation_to_head=r["relation"],
                    uid=uid,
                    **stamp,
                )
                ids[r["person_no"]] = p.id
            for r in rows:
                if r["mother_person_no"] and r["mother_person_no"] in ids:
                    Birth.create(
                        household=hh.id,
                        mother=ids[r["mother_person_no"]],
                        child=ids[r["person_no"]],
                        child_name=r["name"],
                        child_sex=r["sex"],
                        birth_date=r["birth_date"],
                        birth_order=1,
                        uid=new_uid(),
                        **stamp,
                    )
        index_all()
    close_db()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / "bench" / "independent3" / "out")
    ap.add_argument("--seed", type=int, default=3, help="make_data.py's seed when the data is missing")
    ap.add_argument("--db", type=Path, default=None, help="keep the loaded database here (loaded when missing)")
    ap.add_argument(
        "--show", default="", help="print the misses of this error kind (for a stranger kind: those warned of)"
    )
    ap.add_argument("--splink", default="", help="a Python with Splink and DuckDB: run the peer on the same records")
    args = ap.parse_args()
    if not (args.data / "probes.csv").exists():
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "independent3" / "make_data.py"), "--seed", str(args.seed)]
            + ["--out", str(args.data)],
            check=True,
        )
    folder = tempfile.TemporaryDirectory()
    db = args.db or Path(folder.name) / "t.sqlite"
    from storage.db import open_db
    from storage.dedup import WARN_SCORE, candidates
    from storage.models import Person
    from storage.reflists import _ID_JUNK, parse_date
    from storage.synth import ProbeRecord

    def typed_date(text: str) -> dt.date | None:  # as a list import reads a date cell (2015年3月7日, 2015/3/7)
        got = parse_date(unicodedata.normalize("NFKC", text))
        return dt.date.fromisoformat(got[0]) if got else None

    if not db.exists():
        t = time.perf_counter()
        load(db, args.data)
        print(f"loaded {args.data / 'persons.csv'} in {time.perf_counter() - t:.0f} s")
    open_db(db)
    uid_of = {}  # person_no → uid, through the household code and the order within it (as loaded)
    with open(args.data / "persons.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    # the name and birth date of every person: a stranger who shares both with one of them is warned
    # of by design (issue 16: only the same name and day outweigh two valid numbers)
    born_alike = {(r["name"], r["birth_date"]) for r in rows}
    by_code = {
        (code, seq): uid
        for code, seq, uid in Person._meta.database.execute_sql(
            "SELECT h.household_code, p.seq, p.uid FROM person p JOIN household h ON h.id = p.household_id"
        )
    }
    seen: dict[str, int] = defaultdict(int)
    for r in rows:
        seen[r["household_no"]] += 1
        uid_of[r["person_no"]] = by_code[(r["household_no"], seen[r["household_no"]])]
    twin_of = twins(rows, uid_of)
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # n, top1, top5, warned
    strangers: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # n, warned
    twins_warned = 0
    answers: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # right, answered, with a true match
    peer_records = []  # (group, record) for Splink
    times = []
    misses = []
    with open(args.data / "probes.csv", encoding="utf-8") as f:
        probes = list(csv.DictReader(f))
    for p in probes:
        born = typed_date(p["birth_date"])  # as a list import reads it
        # the ID cell cleaned as a list import cleans it (a leading apostrophe, spaces, full-width
        # digits; a number in scientific notation is no number): what reaches the search
        number = unicodedata.normalize("NFKC", p["id_number"]).translate(_ID_JUNK).upper()
        p["id_number"] = "" if "E+" in number else number
        t = time.perf_counter()
        found = candidates(
            p["id_number"],
            name=p["name"],
            sex=p["sex"],
            birth_date=born,
            mother_id_number=p["mother_id_number"],
            limit=20,
        )
        times.append(time.perf_counter() - t)
        kinds = [k for k in p["errors"].split(";") if k and not k.startswith("fmt_")]
        truth_uid = uid_of[p["truth_person_no"]] if p["truth_person_no"] else None
        group = "stranger" if not truth_uid else "one error" if len(kinds) < 2 else "two or more errors"
        top = found[0] if found and found[0].score >= WARN_SCORE else None  # the answer, as Splink's ≥ 0.5
        answers[group][0] += top is not None and top.person_uid == truth_uid
        answers[group][1] += top is not None
        answers[group][2] += truth_uid is not None
        peer_records.append((group, ProbeRecord(p["name"], p["id_number"], p["sex"], born, "", group, truth_uid)))
        if p["truth_person_no"]:
            truth = uid_of[p["truth_person_no"]]
            uids = [c.person_uid for c in found]
            warned = any(c.person_uid == truth and c.score >= WARN_SCORE for c in found)
            hit = (uids[:1] == [truth], truth in uids[:5], warned)
            hopeless = "hopeless" in p["errors"]
            several = "two or more errors" if len(kinds) >= 2 else "one error"
            groups = ["hopeless"] if hopeless else ["all copies", several, *(f"  {k}" for k in kinds)]
            for g in groups:
                s = stats[g]
                s[0] += 1
                s[1] += hit[0]
                s[2] += hit[1]
                s[3] += hit[2]
            if args.show and args.show in kinds and not hit[2]:
                misses.append((p, [(c.name, c.id_number, c.birth_date, c.score, c.why) for c in found[:3]]))
        else:
            apart = any(k in p["errors"] for k in ("indistinguishable", "near_copy"))
            raised = [c for c in found if c.score >= WARN_SCORE]
            namesake = (p["name"], p["birth_date"]) in born_alike
            groups = ["strangers (set apart)" if apart else "strangers", *[f"  {k}" for k in kinds]]
            if not apart and not namesake:
                groups.append("strangers, no namesake born that day")
            for g in groups:
                strangers[g][0] += 1
                strangers[g][1] += bool(raised)
            sibling = twin_of.get((p["mother_id_number"], p["birth_date"]), set())
            if "twin" in p["errors"] and any(c.person_uid in sibling for c in raised):
                twins_warned += 1
            if args.show and args.show in kinds and raised:
                misses.append((p, [(c.name, c.id_number, c.birth_date, c.score, c.why) for c in raised[:3]]))
    print(
        f"{len(rows)} persons; {sum(1 for p in probes if p['truth_person_no'])} copies, "
        f"{sum(1 for p in probes if not p['truth_person_no'])} strangers"
    )
    print(f"{'copies':34} {'n':>5} {'top-1':>7} {'top-5':>7} {'warned':>7}")
    order = ["all copies", "one error", "two or more errors", "hopeless"]
    for g in order + sorted(k for k in stats if k not in order):
        n, a, b, c = stats[g]
        if n:
            print(f"{g:34} {n:5d} {a / n:7.3f} {b / n:7.3f} {c / n:7.3f}")
    print(f"{'strangers':34} {'n':>5} {'warned':>7}")
    for g in [
        "strangers",
        "strangers, no namesake born that day",
        "strangers (set apart)",
        *sorted(k for k in strangers if k.startswith("  ")),
    ]:
        n, w = strangers[g]
        if n:
            print(f"{g:34} {n:5d} {w / n:7.3%}")
    print(f"twins warned against their twin: {twins_warned}")
    peer = {}
    if args.splink:
        sys.path.insert(0, str(ROOT / "bench"))
        from dedup import run_peer

        with tempfile.TemporaryDirectory() as tmp:
            peer = run_peer(args.splink, Path(tmp), peer_records)
    print(
        f"{'answer (top candidate warned of)':34} {'recall':>7} {'precis.':>7}"
        + ("  Splink: recall precis." if peer else "")
    )
    for g in ("one error", "two or more errors", "stranger"):
        right, answered, real = answers[g]
        line = f"{g:34} {right / real if real else 0:7.3f} {right / answered if answered else 0:7.3f}"
        if g == "stranger":
            line = f"{g:34} {'':7} {'':7}  (answered {answered} of {sum(1 for x in peer_records if x[0] == g)})"
        if peer and g in peer.get("kinds", {}):
            k = peer["kinds"][g]
            line += (
                f"  {k['recall']:7.3f} {k['precision']:7.3f}" if g != "stranger" else f"  Splink answered {k['false']}"
            )
        print(line)
    if peer:
        print(f"Splink: {peer['seconds']:.0f} s, peak {peer['peak_mb']:.0f} MB (training and prediction)")
    ms = sorted(x * 1000 for x in times)
    print(f"search: p50 {statistics.median(ms):.1f} ms, p99 {ms[int(len(ms) * 0.99)]:.1f} ms")
    for p, got in misses[:40]:
        print(p["name"], p["id_number"], p["birth_date"], p["errors"], "→", got)


def twins(rows: list[dict], uid_of: dict[str, str]) -> dict[tuple[str, str], set[str]]:
    """(a mother's ID number, a birth date) → the uids of her children born that day: a stranger
    twin (the other twin on the register) must not be warned of against them."""
    person = {r["person_no"]: r for r in rows}
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in rows:
        mother = person.get(r["mother_person_no"])
        if mother is not None and mother["id_number"]:
            out[(mother["id_number"], r["birth_date"])].add(uid_of[r["person_no"]])
    return out


if __name__ == "__main__":
    main()
