#!/usr/bin/env python3
"""Consistency checks for bench/independent4 output (persons.csv, probes.csv).

Standard library only, independent of make_data.py.  Exit status 1 when a hard check fails.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import lzma
import os
import re
import sys
import unicodedata
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
NBS = "/work/shared/data/divisions-nbs-2023"
PERSON_HEADER = ["household_no", "person_no", "name", "id_number", "sex", "birth_date",
                 "mother_person_no", "relation"]
PROBE_HEADER = ["probe_no", "name", "id_number", "sex", "birth_date", "mother_id_number",
                "truth_person_no", "errors"]
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"
RELATIONS = set("01 02 10 11 12 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 "
                "45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 "
                "75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90 91 92 93 94 95 96 97 99".split())
# retired county codes that may legitimately appear in IDs (GB/T 2260 history)
RETIRED = {"413026", "413024", "413027", "413021", "413022", "342423", "342426", "412726", "412828", "513021"}


def valid18(s):
    return bool(re.fullmatch(r"\d{17}[\dX]", s)) and \
        CHECK[sum(int(c) * w for c, w in zip(s[:17], WEIGHTS, strict=False)) % 11] == s[17]


def id_date(s):
    try:
        return dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return None


def norm_id(s):
    return unicodedata.normalize("NFKC", s).replace(" ", "").lstrip("'").upper()


def norm_name(s):
    return unicodedata.normalize("NFKC", s).replace(" ", "")


def parse_date(s):
    s = unicodedata.normalize("NFKC", s).strip()
    if not s:
        return None
    for pat in (r"(\d{4})-(\d{1,2})-(\d{1,2})", r"(\d{4})/(\d{1,2})/(\d{1,2})", r"(\d{4})\.(\d{1,2})\.(\d{1,2})",
                r"(\d{4})年(\d{1,2})月(\d{1,2})日", r"(\d{4})(\d{2})(\d{2})"):
        m = re.fullmatch(pat, s)
        if m:
            return dt.date(*map(int, m.groups()))
    raise ValueError(s)


class Checker:
    def __init__(self):
        self.fail = Counter()
        self.examples = defaultdict(list)

    def bad(self, what, ex):
        self.fail[what] += 1
        if len(self.examples[what]) < 3:
            self.examples[what].append(ex)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    a = ap.parse_args(argv)
    ck = Checker()

    areas = set()
    with open(os.path.join(NBS, "areas.csv"), encoding="utf-8") as f:
        for r in csv.DictReader(f):
            areas.add(r["code"])
    villages = {}
    with lzma.open(os.path.join(NBS, "villages.csv.xz"), "rt", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            villages[r["code"]] = r["streetCode"]

    for fn, header in (("persons.csv", PERSON_HEADER), ("probes.csv", PROBE_HEADER)):
        raw = open(os.path.join(a.out, fn), "rb").read()
        if raw.startswith(b"\xef\xbb\xbf"):
            ck.bad(f"{fn}: BOM", "")
        raw.decode("utf-8")
        with open(os.path.join(a.out, fn), encoding="utf-8", newline="") as f:
            if next(csv.reader(f)) != header:
                ck.bad(f"{fn}: header", "")

    # ---------------------------------------------------------------- persons
    P = list(csv.DictReader(open(os.path.join(a.out, "persons.csv"), encoding="utf-8", newline="")))
    by_no = {}
    ids = Counter()
    hh_rows = defaultdict(list)
    townships = set()
    last_hh = None
    seen_hh = set()
    for i, p in enumerate(P, 1):
        if p["person_no"] != str(i):
            ck.bad("person_no not 1..N in order", p["person_no"])
        by_no[p["person_no"]] = p
        h = p["household_no"]
        if not re.fullmatch(r"\d{18}", h):
            ck.bad("household_no format", h)
        vc = h[:12]
        if vc not in villages:
            ck.bad("household_no village not in NBS 2023", h)
        else:
            townships.add(villages[vc])
        if h != last_hh:
            if h in seen_hh:
                ck.bad("household rows not contiguous", h)
            seen_hh.add(h)
            last_hh = h
        hh_rows[h].append(p)
        if p["sex"] not in ("1", "2"):
            ck.bad("sex code", p["sex"])
        b = dt.date.fromisoformat(p["birth_date"])
        if p["relation"] not in RELATIONS:
            ck.bad("relation code", p["relation"])
        iid = p["id_number"]
        if iid:
            ids[iid] += 1
            if not valid18(iid):
                ck.bad("persons: bad ID check char", iid)
            if id_date(iid) != b:
                ck.bad("persons: ID date != birth_date", (iid, p["birth_date"]))
            if int(iid[14:17]) % 2 != int(p["sex"]) % 2:
                ck.bad("persons: ID parity != sex", (iid, p["sex"]))
            if iid[:6] not in areas and iid[:6] not in RETIRED:
                ck.bad("persons: unknown region", iid[:6])
    for iid, n in ids.items():
        if n > 1:
            ck.bad("persons: duplicate ID", iid)
    if len(townships) != 1 or any(t.startswith("13") for t in townships):
        ck.bad("persons: not exactly one township outside Hebei", townships)
    for h, rows in hh_rows.items():
        heads = [r for r in rows if r["relation"] == "02"]
        if len(heads) != 1:
            ck.bad("household without exactly one head (02)", h)
    for p in P:
        m = p["mother_person_no"]
        if m:
            mo = by_no.get(m)
            if mo is None:
                ck.bad("mother_person_no missing", m)
                continue
            if mo["household_no"] != p["household_no"]:
                ck.bad("mother in another household", m)
            if mo["sex"] != "2":
                ck.bad("mother not female", m)
            gap = (dt.date.fromisoformat(p["birth_date"]) - dt.date.fromisoformat(mo["birth_date"])).days / 365.25
            if not 15 <= gap <= 50:
                ck.bad("mother age at birth outside 15-50", (m, p["person_no"], round(gap, 1)))
    # twins: same mother, same birth date
    twins = defaultdict(list)
    for p in P:
        if p["mother_person_no"]:
            twins[(p["mother_person_no"], p["birth_date"])].append(p)
    twin_pairs = [v for v in twins.values() if len(v) >= 2]
    consec = 0
    for v in twin_pairs:
        s = sorted(int(x["id_number"][14:17]) for x in v if x["id_number"])
        if len(s) == 2 and s[1] - s[0] <= 2 and v[0]["id_number"][:6] == v[1]["id_number"][:6]:
            consec += 1

    # ---------------------------------------------------------------- probes
    Q = list(csv.DictReader(open(os.path.join(a.out, "probes.csv"), encoding="utf-8", newline="")))
    label_count = Counter()
    copy_labels = Counter()
    stranger_kinds = Counter()
    stranger_flags = Counter()
    n_copy = n_str = multi = 0
    truths = Counter()
    pid = {p["id_number"]: p for p in P if p["id_number"]}
    by_name_date = defaultdict(list)
    for p in P:
        by_name_date[(p["name"], p["birth_date"])].append(p)
    for i, q in enumerate(Q, 1):
        if q["probe_no"] != str(i):
            ck.bad("probe_no not 1..N", q["probe_no"])
        labels = [x for x in q["errors"].split(";") if x]
        for lab in labels:
            label_count[lab] += 1
        nid = norm_id(q["id_number"])
        try:
            d = parse_date(q["birth_date"])
        except ValueError:
            ck.bad("probe date unparseable", q["birth_date"])
            d = None
        if q["sex"] not in ("1", "2"):
            ck.bad("probe sex code", q["sex"])
        if q["mother_id_number"] and not valid18(norm_id(q["mother_id_number"])):
            ck.bad("probe mother ID invalid", q["mother_id_number"])
        if q["truth_person_no"]:
            n_copy += 1
            t = by_no.get(q["truth_person_no"])
            if t is None:
                ck.bad("truth missing", q["truth_person_no"])
                continue
            truths[q["truth_person_no"]] += 1
            subst = [x for x in labels if not x.startswith("fmt_") and x != "hopeless"]
            for x in subst:
                copy_labels[x] += 1
            if "hopeless" in labels:
                copy_labels["hopeless"] += 1
            if any(x.startswith("stranger_") for x in labels):
                ck.bad("copy with stranger label", q["errors"])
            if not subst:
                ck.bad("copy without a substantive error", q["probe_no"])
            if len(subst) >= 2:
                multi += 1
            id_err = [x for x in subst if x.startswith("id_")]
            if not id_err and nid != t["id_number"]:
                ck.bad("copy ID differs without id_ label", (q["probe_no"], nid, t["id_number"]))
            if not [x for x in subst if x.startswith(("name_", "surname_"))] and norm_name(q["name"]) != t["name"]:
                ck.bad("copy name differs without name label", (q["probe_no"], q["name"], t["name"]))
            if not [x for x in subst if x.startswith("date_")] and d != dt.date.fromisoformat(t["birth_date"]):
                ck.bad("copy date differs without date label", (q["probe_no"], q["birth_date"], t["birth_date"]))
            if "sex_wrong" not in subst and q["sex"] != t["sex"]:
                ck.bad("copy sex differs without sex_wrong", q["probe_no"])
            if "sex_wrong" in subst and q["sex"] == t["sex"]:
                ck.bad("sex_wrong but same sex", q["probe_no"])
            if nid and not id_err:
                if not valid18(nid):
                    ck.bad("intact copy ID fails check", nid)
                if "sex_wrong" not in subst and int(nid[14:17]) % 2 != int(q["sex"]) % 2:
                    ck.bad("intact copy ID parity != sex", nid)
            if "id_15digit" in subst and not re.fullmatch(r"\d{15}", nid):
                ck.bad("id_15digit not 15 digits", nid)
            if "id_excel000" in subst and not nid.endswith("000"):
                ck.bad("id_excel000 not ending 000", nid)
            if "id_mother" in subst:
                mo = by_no.get(t["mother_person_no"])
                if mo is None or mo["id_number"] != nid:
                    ck.bad("id_mother is not the mother's ID", nid)
            if "id_digit" in subst or "id_transpose" in subst or "id_check" in subst:
                if valid18(nid):
                    ck.bad("damaged ID still valid", nid)
                if sum(x != y for x, y in zip(nid, t["id_number"], strict=False)) > 2:
                    ck.bad("damaged ID differs in >2 places", nid)
            if "id_added" in subst and (t["id_number"] or not valid18(nid) or nid in pid):
                ck.bad("id_added inconsistent", nid)
            if q["mother_id_number"]:
                mo = by_no.get(t["mother_person_no"])
                if mo is None or mo["id_number"] != norm_id(q["mother_id_number"]):
                    ck.bad("copy mother ID is not the mother's ID", q["probe_no"])
            if "date_lunar" in subst and d is not None:
                lag = (dt.date.fromisoformat(t["birth_date"]) - d).days
                if not 15 <= lag <= 60:
                    ck.bad("date_lunar lag outside 15-60 days", lag)
            if "date_lunar_reverse" in subst and d is not None:
                lag = (d - dt.date.fromisoformat(t["birth_date"])).days
                if not 15 <= lag <= 60:
                    ck.bad("date_lunar_reverse lag outside 15-60 days", lag)
        else:
            n_str += 1
            if not labels or not labels[0].startswith("stranger_"):
                ck.bad("stranger without stranger_ kind first", q["errors"])
                continue
            stranger_kinds[labels[0]] += 1
            for x in labels[1:]:
                if x in ("near_copy", "indistinguishable"):
                    stranger_flags[x] += 1
                elif not x.startswith("fmt_"):
                    ck.bad("unexpected stranger label", x)
            if nid:
                if not valid18(nid):
                    ck.bad("stranger ID invalid", nid)
                elif nid in pid:
                    ck.bad("stranger ID belongs to a person", nid)
                else:
                    if d is not None and id_date(nid) != d:
                        ck.bad("stranger ID date != birth_date", (nid, q["birth_date"]))
                    if int(nid[14:17]) % 2 != int(q["sex"]) % 2:
                        ck.bad("stranger ID parity != sex", nid)
            same = by_name_date.get((norm_name(q["name"]), d.isoformat() if d else ""), [])
            must = bool(same) and not nid
            if must != ("indistinguishable" in labels):
                ck.bad("indistinguishable label wrong", (q["probe_no"], q["name"], q["birth_date"]))
            if "twin" in labels[0] and not any(dt.date.fromisoformat(p["birth_date"]) == d and
                                               p["name"][0] == norm_name(q["name"])[0] for p in P
                                               if p["birth_date"] == (d.isoformat() if d else "")):
                ck.bad("twin stranger without a co-twin in persons", q["probe_no"])
    stranger_ids = [norm_id(q["id_number"]) for q in Q if not q["truth_person_no"] and q["id_number"]]
    dup = [k for k, v in Counter(stranger_ids).items() if v > 1]
    if dup:
        ck.bad("stranger IDs duplicated", dup[:3])
    if n_copy and multi / n_copy < 0.40:
        ck.bad("fewer than 40% of copies with >=2 errors", multi / n_copy)

    # ---------------------------------------------------------------- report
    ages = Counter()
    for p in P:
        ages[min((2024 - int(p["birth_date"][:4])) // 10 * 10, 100)] += 1
    print(f"persons: {len(P)} in {len(hh_rows)} households, township(s) {sorted(townships)}, "
          f"{len(set(h[:12] for h in hh_rows))} villages")
    print(f"  IDs: {len(ids)} present, {len(P) - sum(ids.values())} empty; "
          f"{sum(1 for i in ids if i[:6] in RETIRED)} with a retired region code; "
          f"{sum(1 for i in ids if i[:6] not in ('411525', '413026'))} from outside the county")
    print(f"  sex 1/2: {Counter(p['sex'] for p in P)['1']}/{Counter(p['sex'] for p in P)['2']}; "
          f"mean household size {len(P) / len(hh_rows):.2f}; with mother_person_no: "
          f"{sum(1 for p in P if p['mother_person_no'])}")
    print(f"  twin sets in persons (same mother, same day): {len(twin_pairs)}, with adjacent sequence numbers: "
          f"{consec}")
    print("  age by decade:", ", ".join(f"{k}s {v}" for k, v in sorted(ages.items())))
    print("  relations:", " ".join(f"{k}:{v}" for k, v in sorted(Counter(p['relation'] for p in P).items())))
    print(f"probes: {len(Q)} = {n_copy} copies + {n_str} strangers; copies with >=2 substantive errors: "
          f"{multi} ({multi / max(n_copy, 1):.1%}); distinct truths {len(truths)}")
    print("copy error kinds:")
    for k, v in sorted(copy_labels.items(), key=lambda x: (-x[1], x[0])):
        print(f"  {k:30s} {v:5d}  {v / n_copy:6.1%}")
    print("stranger kinds:")
    for k, v in sorted(stranger_kinds.items(), key=lambda x: (-x[1], x[0])):
        print(f"  {k:30s} {v:5d}")
    for k, v in sorted(stranger_flags.items()):
        print(f"  flag {k:25s} {v:5d}")
    print(f"  strangers without ID: {sum(1 for q in Q if not q['truth_person_no'] and not q['id_number'])}, "
          f"with mother_id_number: {sum(1 for q in Q if not q['truth_person_no'] and q['mother_id_number'])}")
    print("format noise (all probes):", " ".join(f"{k}:{v}" for k, v in sorted(label_count.items())
                                                 if k.startswith("fmt_")))
    if ck.fail:
        print("FAILED checks:")
        for k, v in ck.fail.items():
            print(f"  {k}: {v}  e.g. {ck.examples[k]}")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
