#!/usr/bin/env python3
"""Print the wrong findings of a run kept with --keep DIR: the finding, its records and the truth.

    /work/main/.venv/bin/python bench/independent/explain.py DIR [--all-kinds] [--limit N]
"""
import argparse
import json
import sqlite3
from pathlib import Path

ap = argparse.ArgumentParser()
ap.add_argument("dir", type=Path)
ap.add_argument("--limit", type=int, default=40)
a = ap.parse_args()
T = {}
for line in open(a.dir / "truth.jsonl", encoding="utf-8"):
    r = json.loads(line)
    T[r["tid"]] = r
UID = {r["uid"]: t for t, r in T.items() if r.get("uid")}
F = [json.loads(line) for line in open(a.dir / "findings_scored.jsonl", encoding="utf-8")]
con = sqlite3.connect(a.dir / "township.sqlite")
rows = {}
for line in open(a.dir / "rows.jsonl", encoding="utf-8"):
    r = json.loads(line)
    rows[(r["file"], r["row"], r["sheet"])] = r
n = 0
for f in F:
    if f.get("right") or f.get("truth") == "outside":
        continue
    n += 1
    if n > a.limit:
        break
    b = T.get(f.get("tid"))
    print(f"== finding {f['kind']} fields={f.get('fields')}  truth={f.get('truth')} {f.get('tid')}")
    if b:
        print(f"   truth: {b['name']} sex {b['sex']} {b['date']} order {b['order']} mother {b['mother']['name']} "
              f"{b['mother']['id']} mis={b.get('mis')} wis_date={b.get('wis_date')} err={b.get('date_err')} "
              f"on={b.get('on')} forms={b['on_forms']} flags={b['flags']} names={b.get('names')}")
    if not f.get("key"):
        continue
    ev, diff, reason = con.execute("select evidence, differences, reason from reconcile_finding where key=?",
                                   (f["key"],)).fetchone()
    for e in json.loads(ev):
        tid = UID.get(e["key"][6:]) if e["key"].startswith("birth:") else None
        if e["key"].startswith("ref:"):
            r = con.execute("select r.sheet, r.row_no, b.file_name from ref_record r join import_batch b "
                            "on b.id=r.batch_id where r.id=?", (int(e["key"][4:]),)).fetchone()
            cand = [v for k, v in rows.items() if k[0] == Path(r[2]).name and k[1] == r[1]
                    and (k[2] == r[0] or len({kk[2] for kk in rows if kk[0] == k[0]}) == 1)]
            tid = cand[0]["tid"] if cand else "?"
        print(f"   [{tid}] {e.get('source'):<12} {e.get('where')}: {e.get('name')} {e.get('sex')} {e.get('born')} "
              f"mother {e.get('mother_name')} {e.get('mother_id')} child {e.get('child_id')} order {e.get('order')}")
    print(f"   differences {diff}  reason {reason}")
