"""GPL exports into migration episodes, measured on exports hecha did not make (issue 17).

``bench/independent_gpl/make.py`` (written by a helper who read none of hecha) writes a register of
300 persons of 新安镇, four GPL exports in different real layouts (title rows, merged cells, dates in
every spelling, IDs as Excel numbers, 15-digit IDs, full-width digits, outflows without an address,
duplicates, blank directions) and a truth file. This script keys the register as forms, imports each
export as a ``gpl`` list, places it (:func:`storage.migrants.apply_gpl`, the direction only from the
file itself) and prints, against the truth: rows that should be placed and were, should and were
not, should not and were, and episodes with the wrong direction.

    python bench/independent_gpl/make.py && python bench/migrants_gpl.py [--db /tmp/gpl.sqlite]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from storage import migrants
    from storage.db import open_db
    from storage.forms import HouseholdInput, MemberInput
    from storage.households import WarningsNotConfirmed, confirm, save_household
    from storage.models import AdminDivision, Migration, Person
    from storage.office import init_office
    from storage.reflists import import_list

    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT / "bench" / "independent_gpl" / "out")
    ap.add_argument("--db", type=Path, default=Path("/tmp/hecha-gpl-bench.sqlite"))
    args = ap.parse_args()
    reg = json.loads((args.data / "register.json").read_text(encoding="utf-8"))
    truth = json.loads((args.data / "truth.json").read_text(encoding="utf-8"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    init_office(args.db, "130123103")
    open_db(args.db)
    villages = {v.code for v in AdminDivision.select().where(AdminDivision.level == 5)}
    first = sorted(villages)[0]
    for i, p in enumerate(reg):
        member = MemberInput(
            name=p["name"],
            id_number=p["id_number"],
            relation_to_head="02",
            sex=p["sex"],
            birth_date=p["birth_date"].replace("-", ""),
        )
        village = p["village_code"] if p["village_code"] in villages else first
        form = HouseholdInput(village, "01", f"{i}号", f"{i:04d}", [member], [])
        ids = frozenset({p["id_number"]})
        try:
            save_household(form, confirmed_ids=ids, remember_different=False)
        except WarningsNotConfirmed as exc:
            confirm(form, exc.findings)
            save_household(form, confirmed_ids=ids, remember_different=False)
    print(f"register: {Person.select().count()} persons keyed")
    for n, name in enumerate(sorted({t["file"] for t in truth})):
        report = import_list(args.data / name, "gpl", replace=n > 0)
        result = migrants.apply_gpl()
        print(f"{name}: rows {report.rows_read}, unused columns {report.unused_columns}")
        print(f"  {result.summary()}")
        for why, k in Counter(u[3] for u in result.unmatched).items():
            print(f"    not placed {k}: {why}")
        for *_, why in result.warnings:
            print(f"    to check: {why}")
    placed = {g.person.id_number_18: g.direction for g in Migration.select().where(Migration.deleted == False)}  # noqa: E712
    counts: Counter[str] = Counter()
    for t in truth:
        pid = t.get("id_number_of_register_person_or_null")
        if str(t.get("why_not", "")).startswith("duplicate") or t.get("kind") == "duplicate":
            counts["duplicate rows (one episode)"] += 1
            continue
        got = bool(pid) and pid in placed
        if t["should_place"]:
            counts["should place: placed" if got else "should place: NOT placed"] += 1
            if got and t.get("direction") and placed[pid] != t["direction"]:
                counts["placed with the wrong direction"] += 1
        elif got and not t.get("alt_should_place"):
            counts["should not place: PLACED"] += 1
        else:
            counts["should not place: not placed (or either way)"] += 1
    for key, value in sorted(counts.items()):
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
