"""Sanity checks on the files written by make_data.py (reads only its output)."""

import csv
import os
import sys
import unicodedata
from collections import Counter
from datetime import date

HERE = os.path.dirname(os.path.abspath(__file__))
W17 = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"


def valid(s):
    return (
        len(s) == 18 and s[:17].isdigit() and CHECK[sum(int(c) * w for c, w in zip(s, W17, strict=False)) % 11] == s[17]
    )


def main(folder=None):
    folder = folder or os.path.join(HERE, "out")
    counties = set()
    with open(
        os.path.join(HERE, "..", "..", "..", "shared", "data", "divisions-nbs-2023", "areas.csv"), encoding="utf-8"
    ) as f:
        counties = {r["code"] for r in csv.DictReader(f)}
    retired = {"130182", "130185", "130124"}  # 藁城市, 鹿泉市, 栾城县 before 2014
    persons = list(csv.DictReader(open(os.path.join(folder, "persons.csv"), encoding="utf-8")))
    by_no = {p["person_no"]: p for p in persons}
    problems = Counter()
    ids = Counter(p["id_number"] for p in persons if p["id_number"])
    problems["duplicate id"] = sum(1 for v in ids.values() if v > 1)
    for p in persons:
        i = p["id_number"]
        if i:
            if not valid(i):
                problems["bad check"] += 1
            if i[6:14] != p["birth_date"].replace("-", ""):
                problems["id birth != birth_date"] += 1
            if int(i[16]) % 2 != (1 if p["sex"] == "1" else 0):
                problems["id sex digit"] += 1
            if i[:6] not in counties and i[:6] not in retired:
                problems["unknown region"] += 1
        m = p["mother_person_no"]
        if m:
            mo = by_no[m]
            if mo["household_no"] != p["household_no"]:
                problems["mother in other household"] += 1
            if mo["sex"] != "2":
                problems["mother not female"] += 1
            gap = (date.fromisoformat(p["birth_date"]) - date.fromisoformat(mo["birth_date"])).days / 365.25
            if not 17 <= gap <= 45:
                problems["mother age at birth"] += 1
    print("persons:", len(persons), "problems:", {k: v for k, v in problems.items() if v})
    probes = list(csv.DictReader(open(os.path.join(folder, "probes.csv"), encoding="utf-8")))
    pop_ids = set(ids)
    bad = Counter()
    for r in probes:
        t = r["truth_person_no"]
        iid = unicodedata.normalize("NFKC", r["id_number"]).strip().upper()
        if t:
            p = by_no[t]
            same = (
                r["name"] == p["name"]
                and r["id_number"] == p["id_number"]
                and r["sex"] == p["sex"]
                and r["birth_date"] == p["birth_date"]
            )
            if same:
                bad["copy identical to truth"] += 1
            if iid and iid in pop_ids and iid != p["id_number"] and "child_id_is_mothers" not in r["errors"]:
                bad["copy carries another person's ID"] += 1
        else:
            if iid in pop_ids:
                bad["stranger carries a population ID"] += 1
            if iid and not valid(iid):
                bad["stranger invalid ID"] += 1
        date.fromisoformat(r["birth_date"])
    print("probes:", len(probes), "problems:", dict(bad))
    return 0 if not any(problems.values()) and not bad else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
