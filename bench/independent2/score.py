"""Score hecha's reconcile_finding rows against the truth."""
from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict

KINDS = ["omission", "false", "misreport", "elsewhere", "consistent"]
GOALS = {"omission": "P>=0.95 R>=0.98", "false": "P>=0.90", "misreport": "F1>=0.95"}


def expected(b):
    return b.expected if b.period == "win" else "none"


def score(db, pop, books):
    births = {b.tid: b for b in pop.births}
    by_uid = {b.form_uid: b.tid for b in pop.births if b.form_uid}
    rowtag = {}
    single = {}
    book_of = {}
    for book, path in books:
        for fname in [path.name] + book.aliases:
            book_of[fname] = book
            for s in book.sheets:
                for i, t in enumerate(s.tags):
                    rowtag[(fname, s.name, i + 1)] = t
            if len(book.sheets) == 1:
                s = book.sheets[0]
                for i, t in enumerate(s.tags):
                    single[(fname, i + 1)] = t
    con = sqlite3.connect(db)
    ref = {}
    src = {}
    check = Counter()
    unmapped_rows = []
    for rid, fname, sheet, row_no, name, bdate, kind in con.execute(
            "select r.id, i.file_name, r.sheet, r.row_no, r.name, r.birth_date, i.source from ref_record r "
            "join import_batch i on i.id = r.batch_id where i.status = 'active'"):
        t = rowtag.get((fname, sheet, row_no), single.get((fname, row_no)))
        if t is None:
            unmapped_rows.append((fname, sheet, row_no, name))
            continue
        ref[rid] = t
        src[rid] = kind
        if isinstance(t, int):
            rec = births[t].rec.get(kind)
            if rec and bdate:
                ok = bdate[:7] == rec["date"].isoformat()[:7] or bdate[:4] == str(rec["date"].year)
                check["agree" if ok else "disagree"] += 1
            else:
                check["no date"] += 1
        else:
            check[f"row tagged {t}"] += 1

    findings = []
    for fid, key, kind, ev, diffs, reason, cname, bdate, code in con.execute(
            "select id, key, kind, evidence, differences, reason, child_name, birth_date, code "
            "from reconcile_finding"):
        ev = json.loads(ev or "[]")
        diffs = json.loads(diffs or "[]")
        tids = []
        for e in ev:
            k = e.get("key", "")
            if k.startswith("ref:"):
                t = ref.get(int(k[4:]))
            elif k.startswith("birth:"):
                t = by_uid.get(k[6:])
            else:
                t = None
            tids.append(t)
        real = [t for t in tids if isinstance(t, int)]
        cnt = Counter(real)
        tid = None
        if cnt:
            top = max(cnt.values())
            cands = [t for t, n in cnt.items() if n == top]
            # a tie: the birth of the WIS record, else of the form, else the first
            keys = [e.get("key", "") for e in ev]
            wis_t = [t for k, t in zip(keys, tids) if t in cands and k.startswith("ref:")
                     and src.get(int(k[4:])) == "wis"]
            form_t = [t for k, t in zip(keys, tids) if t in cands and k.startswith("birth:")]
            tid = (wis_t or form_t or cands)[0]
        fields = sorted({d[0] for d in diffs if d})
        findings.append({"id": fid, "code": code, "kind": kind, "tid": tid, "records": len(ev),
                         "mapped": tids, "mixed": len(cnt) > 1, "fields": fields, "child_name": cname,
                         "birth_date": bdate, "reason": reason, "diffs": diffs})
    con.close()

    per_tid = defaultdict(list)
    for f in findings:
        if f["tid"] is not None:
            per_tid[f["tid"]].append(f)

    def correct(f):
        if f["tid"] is None:
            return False
        b = births[f["tid"]]
        if f["kind"] != expected(b):
            return False
        return f["kind"] != "misreport" or b.field in f["fields"]

    table = {}
    for k in KINDS:
        fk = [f for f in findings if f["kind"] == k]
        found = {f["tid"] for f in fk if correct(f)}
        truth = [b.tid for b in pop.births if expected(b) == k]
        table[k] = (len(fk), len(found), len(truth))
    return {"findings": findings, "per_tid": per_tid, "table": table, "correct": correct,
            "check": check, "unmapped_rows": unmapped_rows, "expected": expected}


def _prf(found, nf, nt):
    p = found / nf if nf else float("nan")
    r = found / nt if nt else float("nan")
    f1 = 2 * p * r / (p + r) if nf and nt and (p + r) else float("nan")
    return p, r, f1


def _got(fs, b, correct):
    if not fs:
        return "nothing"
    parts = []
    for f in sorted(fs, key=lambda f: f["kind"]):
        s = f["kind"]
        if f["kind"] == "misreport":
            s += "(" + ",".join(f["fields"]) + ")"
        parts.append(s)
    return "+".join(parts)


def print_report(hdr, pop, res, imports, recon_out):
    lines = []
    out = lines.append
    births = {b.tid: b for b in pop.births}
    expected, correct, per_tid = res["expected"], res["correct"], res["per_tid"]
    out("=" * 100)
    out(hdr)
    out("planted: " + ", ".join(f"{k} {v}" for k, v in pop.stats.items()))
    out("")
    out(f"{'kind':<11}{'findings':>9}{'true':>7}{'truth':>7}{'prec':>8}{'recall':>8}{'F1':>8}   goal")
    for k in KINDS:
        nf, found, nt = res["table"][k]
        p, r, f1 = _prf(found, nf, nt)
        out(f"{k:<11}{nf:>9}{found:>7}{nt:>7}{p:>8.3f}{r:>8.3f}{f1:>8.3f}   {GOALS.get(k, '')}")
    # what lies outside knowability
    only_wis = [b for b in pop.births if expected(b) == "consistent" and "only_in_wis" in b.features]
    if only_wis:
        as_false = sum(any(f["kind"] == "false" for f in per_tid.get(b.tid, [])) for b in only_wis)
        nf, found, nt = res["table"]["false"]
        p2 = found / (nf - as_false) if nf - as_false else float("nan")
        out(f"  note: {len(only_wis)} real births are in WIS and on no other source (a child who died young, "
            f"born outside the county, no hukou); {as_false} of them found as false; false precision without "
            f"them {p2:.3f}")
    nosrc = [b for b in pop.births if expected(b) == "omission" and "no_source" in b.features]
    if nosrc:
        out(f"  note: {len(nosrc)} omitted births are on no source at all (not knowable); "
            f"omission recall without them {res['table']['omission'][1] / (res['table']['omission'][2] - len(nosrc)):.3f}")
    lk = [b for b in pop.births if expected(b) == "omission" and "looks_elsewhere" in b.features]
    if lk:
        got = sum(any(f["kind"] == "elsewhere" for f in per_tid.get(b.tid, [])) for b in lk)
        out(f"  note: {len(lk)} omitted births of mothers with an ID of another county are only on the hospital's "
            f"lists (indistinguishable from a birth elsewhere); {got} found as elsewhere")
    outside = [f for f in res["findings"] if f["tid"] is not None and expected(births[f["tid"]]) == "none"]
    if outside:
        c = Counter((births[f["tid"]].period, f["kind"]) for f in outside)
        out("  findings on births outside the window (counted wrong above): "
            + ", ".join(f"{p}/{k} {n}" for (p, k), n in sorted(c.items())))
    unass = [f for f in res["findings"] if f["tid"] is None]
    if unass:
        c = Counter(f["kind"] for f in unass)
        out("  findings with no record of a truth birth (junk/adult rows): "
            + ", ".join(f"{k} {n}" for k, n in sorted(c.items())))
    def twins_only(f):
        ts = [births[t] for t in {t for t in f["mapped"] if isinstance(t, int)}]
        return len({(b.wid, b.date) for b in ts}) == 1 and all(b.plural > 1 for b in ts)
    mixed = [f for f in res["findings"] if f["mixed"] and not twins_only(f)]
    tw = [f for f in res["findings"] if f["mixed"] and twins_only(f)]
    if mixed:
        c = Counter(f["kind"] for f in mixed)
        out(f"  findings whose records belong to two or more truth births (wrong links): {len(mixed)} ("
            + ", ".join(f"{k} {n}" for k, n in sorted(c.items())) + ")")
    if tw:
        out(f"  findings holding a row of the other twin (same mother and day; rows without a name): {len(tw)}")
    wrong_mis = [f for f in res["findings"] if f["kind"] == "misreport" and not correct(f)]
    if wrong_mis:
        c = Counter(f"{d[0]} ({d[3] if len(d) > 3 else ''})" for f in wrong_mis for d in f["diffs"])
        out("  wrong misreports, by the difference they name (field (other source)): "
            + "; ".join(f"{k} {n}" for k, n in c.most_common(6)))

    out("")
    out("recall per planted kind (and what the births got instead)")
    subs = defaultdict(list)
    for b in pop.births:
        if b.period == "win" and b.expected != "consistent":
            subs[b.sub].append(b)
    for sub in sorted(subs):
        bs = subs[sub]
        ok = sum(any(correct(f) for f in per_tid.get(b.tid, [])) for b in bs)
        other = Counter(_got(per_tid.get(b.tid, []), b, correct) for b in bs
                        if not any(correct(f) for f in per_tid.get(b.tid, [])))
        o = "; ".join(f"{k} {n}" for k, n in other.most_common(4))
        out(f"  {sub:<38}{len(bs):>5}{ok:>5}  {ok / len(bs):6.3f}   {o}")

    out("")
    multi = {t: fs for t, fs in per_tid.items() if len(fs) > 1}
    c = Counter("+".join(sorted(f["kind"] for f in fs)) + f" (truth {expected(births[t])})"
                for t, fs in multi.items())
    out(f"births with more than one finding: {len(multi)}" + ("" if not multi else ": " + "; ".join(
        f"{k} {n}" for k, n in c.most_common(8))))
    nothing = [b for b in pop.births if b.period == "win" and expected(b) != "none" and not per_tid.get(b.tid)]
    if nothing:
        c = Counter(expected(b) for b in nothing)
        out("window births with no finding at all: " + ", ".join(f"{k} {n}" for k, n in c.most_common()))

    out("")
    out("by feature of the mess (window births; correct = one finding, of the right kind and field)")
    feats = defaultdict(list)
    for b in pop.births:
        if b.period == "win":
            for ft in b.features:
                feats[ft].append(b)
    for ft in sorted(feats):
        bs = feats[ft]
        ok = sum(len(per_tid.get(b.tid, [])) == 1 and correct(per_tid[b.tid][0]) for b in bs)
        bad = Counter(f"{expected(b)}->{_got(per_tid.get(b.tid, []), b, correct)}" for b in bs
                      if not (len(per_tid.get(b.tid, [])) == 1 and correct(per_tid[b.tid][0])))
        o = "; ".join(f"{k} {n}" for k, n in bad.most_common(3))
        out(f"  {ft:<24}{len(bs):>5}{ok:>5}  {ok / len(bs):6.3f}   {o}")

    ch = res["check"]
    out("")
    out("row mapping check (list rows hecha loaded vs. rows written): "
        + ", ".join(f"{k} {v}" for k, v in sorted(ch.items()))
        + (f"; rows not found in the files: {len(res['unmapped_rows'])}" if res["unmapped_rows"] else ""))

    out("")
    out("imports")
    for rec in imports:
        out(f"- {rec['kind']}: {rec['file']} [{rec['variant']}: {rec['notes']}]")
        for i, a in enumerate(rec["attempts"], 1):
            args = " ".join(a["args"])
            label = f"re-import ({a['careful']})" if a.get("careful") else f"attempt {i}"
            out(f"    {label}{(' ' + args) if args else ' (no --map)'}: exit {a['rc']}")
            text = "\n".join(x for x in (a["out"], a["err"]) if x)
            tl = text.splitlines()
            for ln in tl[:14]:
                out("      " + ln[:220])
            if len(tl) > 14:
                out(f"      … ({len(tl) - 14} more lines)")
        if not rec["loaded"]:
            out("    NOT LOADED")
    out("")
    out("hecha reconcile (first lines):")
    for ln in recon_out.splitlines()[:8]:
        out("  " + ln[:200])
    text = "\n".join(lines)
    print(text)
    return text
