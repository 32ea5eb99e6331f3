#!/usr/bin/env python3
"""Show the wrong findings of a kept run with the truth beside them.

    python bench/independent2/explain.py DIR [--kind misreport] [--limit 20]

DIR is the folder given to run.py --keep (it holds truth.json and findings_scored.json).
"""
import argparse
import json
from collections import defaultdict
from pathlib import Path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--kind")
    ap.add_argument("--limit", type=int, default=20)
    a = ap.parse_args()
    d = Path(a.dir)
    T = {t["tid"]: t for t in json.loads((d / "truth.json").read_text(encoding="utf-8"))}
    F = json.loads((d / "findings_scored.json").read_text(encoding="utf-8"))
    per = defaultdict(list)
    for f in F:
        if f["tid"]:
            per[f["tid"]].append(f)

    def exp(t):
        return t["expected"] if t["period"] == "win" else "none"

    def ok(f):
        t = T.get(f["tid"])
        return t and f["kind"] == exp(t) and (f["kind"] != "misreport" or t["field"] in f["fields"])

    shown = 0
    for f in F:
        if ok(f) and len(per.get(f["tid"], [])) == 1:
            continue
        if a.kind and f["kind"] != a.kind:
            continue
        shown += 1
        if shown > a.limit:
            break
        print(f"finding {f['code']} {f['kind']} diffs={f['diffs']} reason={f['reason']}")
        print(f"  records -> truth births: {f['mapped']}")
        for tid in sorted({x for x in f["mapped"] if isinstance(x, int)}):
            t = T[tid]
            print(f"  truth {tid}: {t['name']} {t['sex']} {t['date']} 孩次{t['order']} mother {t['mother']} "
                  f"{t['mother_id']} [{t['period']} {exp(t)} {t['sub']}] {t['features']}"
                  + (f" alias {t['alias']}" if t['alias'] else "") + (f" old {t['old_name']}" if t['old_name'] else ""))
            print(f"    wis: {t['wis']}")
            print(f"    lists: " + "; ".join(f"{k} {v['name']} {v['date']} {v['sex']}" for k, v in t["lists"].items()))
            others = [g for g in per.get(tid, []) if g is not f]
            for g in others:
                print(f"    also finding {g['code']} {g['kind']} {g['diffs']}")


if __name__ == "__main__":
    main()
