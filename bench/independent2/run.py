#!/usr/bin/env python3
"""Independent generator and scorer for hecha's reconciliation (核查比对).

    /work/main/.venv/bin/python bench/independent2/run.py --scenario forms --seed 1 [--keep DIR]

Builds a township database (hecha demo's forms, or `hecha init` and a population made here),
writes the seven lists as files in layouts of its own, imports them with `hecha import-list`
(as a clerk: without --map, then with the --map a refusal suggests), runs `hecha reconcile`
and scores its findings against the truth kept here. See README.md.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from layouts import MAKERS, VARIANTS, write          # noqa: E402
from population import LISTS, AS_OF, from_forms, generate, plant   # noqa: E402
from score import score, print_report               # noqa: E402

HECHA = str(Path(sys.executable).parent / "hecha")
if not Path(HECHA).exists():
    HECHA = "/work/main/.venv/bin/hecha"


def sh(cmd, log):
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    log.append({"cmd": cmd, "rc": p.returncode, "out": p.stdout, "err": p.stderr,
                "seconds": round(time.time() - t, 1)})
    return p


def clerk_retry_maps(msg: str, book) -> list[str]:
    """The --map a clerk gives after a refusal: what the message suggests, else her own reading."""
    if "--replace" in msg and "--map" not in msg:
        return ["--replace"]
    maps = []
    # specific suggestions: 「请指定：--map 身份证号=mother_id_number」
    for m in re.finditer(r"--map\s+([^\s，。；、）)」]+=[A-Za-z_]+)", msg):
        s = m.group(1)
        if s.startswith("第2列=name") and "如 --map 第2列=name" in msg:
            continue    # the generic example, not a suggestion for this file
        if s.startswith("表头=") or s.startswith("H="):
            continue
        maps.append(s)
    if maps:
        return [a for s in maps for a in ("--map", s)]
    # the header was not understood: the clerk names the columns she knows, as hecha shows them
    shown = dict(re.findall(r"第(\d+)列 ([^|\n]+?)(?: \||$)", msg, flags=re.M))
    out = []
    for col, head in shown.items():
        head = head.strip()
        if head in book.clerk_map:
            out += ["--map", f"{head}={book.clerk_map[head]}"]
    if not out:
        for h, f in book.clerk_map.items():
            out += ["--map", f"{h}={f}"]
    return out


def careful_maps(msg: str, book, by_column=False) -> list[str]:
    out = []
    for line in msg.splitlines():
        if "未使用的列：" not in line:
            continue
        for item in line.split("未使用的列：", 1)[1].split("、"):
            m = re.search(r"第(\d+)列\s*(.*)$", item.strip())
            if not m:
                continue
            col, head = m.group(1), m.group(2).strip()
            if head in book.clerk_map:
                out += ["--map", f"第{col}列={book.clerk_map[head]}" if by_column else f"{head}={book.clerk_map[head]}"]
    return out


def lost_sheets(before: str, after: str, book) -> list[str]:
    """Sheets of the book with births that the later import names as not read and the earlier did not."""
    def unread(msg):
        m = re.search(r"没有读的工作表[^：]*：([^。\n]+)", msg)
        return set(x.strip() for x in m.group(1).split("、")) if m else set()
    with_rows = {s.name for s in book.sheets if any(isinstance(t, int) for t in s.tags)}
    return sorted((unread(after) - unread(before)) & with_rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", choices=["forms", "noforms"], default="forms")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="keep the database, lists, truth and logs in this folder")
    ap.add_argument("--households", type=int, default=5000, help="forms: households of hecha demo")
    ap.add_argument("--births", type=int, default=1600, help="noforms: births in the window")
    ap.add_argument("--layout", action="append", default=[],
                    help="force a layout: KIND=VARIANT (default: chosen by the seed)")
    ap.add_argument("--no-careful", dest="careful", action="store_false",
                    help="do not re-import a list whose report names an unused column the clerk knows "
                         "(the report's own advice: --map 表头=字段 --replace)")
    args = ap.parse_args()

    t0 = time.time()
    rng = random.Random(f"{args.scenario}-{args.seed}")
    if args.keep:
        work = Path(args.keep)
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="hecha-ind2-"))
    db = str(work / "township.sqlite")
    log = []
    if args.scenario == "forms":
        p = sh([HECHA, "demo", "--households", str(args.households), "--seed", str(args.seed),
                "--as-of", AS_OF.strftime("%Y%m%d"), "--no-lists", "--db", db], log)
        if p.returncode:
            sys.exit(f"hecha demo failed: {p.stderr}")
        pop = from_forms(db, rng)
    else:
        p = sh([HECHA, "init", "--office", "130123103", "--db", db], log)
        if p.returncode:
            sys.exit(f"hecha init failed: {p.stderr}")
        pop = generate(rng, args.births)
    plant(pop, rng, args.scenario)
    t_pop = time.time() - t0

    forced = dict(x.split("=", 1) for x in args.layout)
    folder = work / "名单"
    folder.mkdir()
    books, imports = [], []
    for k, kind in enumerate(LISTS):
        vs = VARIANTS[kind]
        variant = forced.get(kind) or vs[(args.seed - 1 + k) % len(vs)]
        book = MAKERS[kind](pop, rng, variant)
        path = write(book, folder)
        books.append((book, path))
    for book, path in books:
        rec = {"kind": book.kind, "file": path.name, "variant": book.variant, "notes": book.notes,
               "attempts": []}
        cmd = [HECHA, "import-list", "--source", book.kind, str(path), "--db", db]
        tried = set()
        for attempt in range(3):
            p = sh(cmd, log)
            rec["attempts"].append({"args": cmd[4:-2][1:] if len(cmd) > 6 else [], "rc": p.returncode,
                                    "out": p.stdout.strip(), "err": p.stderr.strip()})
            if p.returncode == 0:
                break
            extra = clerk_retry_maps(p.stdout + p.stderr, book)
            key = tuple(extra)
            if not extra or key in tried:
                break
            tried.add(key)
            cmd = [HECHA, "import-list", "--source", book.kind, str(path)] + extra + ["--db", db]
        rec["loaded"] = p.returncode == 0
        if rec["loaded"] and args.careful:
            # the report names the columns no field took and says: --map 表头=字段 and --replace.
            # The clerk does so for the columns she knows are the list's key fields.
            report = p.stdout + p.stderr
            for by_column in (False, True):
                extra = careful_maps(report, book, by_column)
                if not extra:
                    break
                cmd = [HECHA, "import-list", "--source", book.kind, str(path), "--replace"] + extra + ["--db", db]
                p = sh(cmd, log)
                rec["attempts"].append({"args": cmd[4:-2][1:], "rc": p.returncode, "out": p.stdout.strip(),
                                        "err": p.stderr.strip(),
                                        "careful": "the report's advice for unused columns"
                                        + (", by column number" if by_column else "")})
                # refused because the header as the report printed it is not one --map takes:
                # the clerk names the column by its number instead
                if p.returncode == 0 or "表头" not in (p.stdout + p.stderr):
                    break
            lost = lost_sheets(report, p.stdout + p.stderr, book) if p.returncode == 0 else []
            if lost:
                # the mapped re-import left a sheet of the list unread: the clerk maps that sheet's
                # columns too, as the report says ...
                extra2 = list(extra)
                for sh_ in book.sheets:
                    if sh_.name in lost:
                        heads = next((r for r, t in zip(sh_.rows, sh_.tags) if t == "header"), [])
                        for h in heads:
                            if isinstance(h, str) and h in book.clerk_map and f"{h}={book.clerk_map[h]}" not in extra2:
                                extra2 += ["--map", f"{h}={book.clerk_map[h]}"]
                cmd = [HECHA, "import-list", "--source", book.kind, str(path), "--replace"] + extra2 + ["--db", db]
                p = sh(cmd, log)
                rec["attempts"].append({"args": cmd[4:-2][1:], "rc": p.returncode, "out": p.stdout.strip(),
                                        "err": p.stderr.strip(), "careful": "the unread sheet's columns too"})
                if p.returncode != 0 and path.suffix == ".xlsx":
                    # ... and when that is refused too, saves the workbook again under another name and
                    # imports it without --map (the same file again would be "没有改动")
                    import openpyxl
                    copy = path.with_name(path.stem + "(另存)" + path.suffix)
                    openpyxl.load_workbook(path).save(copy)
                    from layouts import fix_zip_times
                    fix_zip_times(copy)
                    book.aliases.append(copy.name)
                    cmd = [HECHA, "import-list", "--source", book.kind, str(copy), "--replace", "--db", db]
                    p = sh(cmd, log)
                    rec["attempts"].append({"args": [copy.name, "--replace"], "rc": p.returncode,
                                            "out": p.stdout.strip(), "err": p.stderr.strip(),
                                            "careful": "the workbook saved again, no --map"})
        imports.append(rec)
    t_imp = time.time() - t0 - t_pop

    p = sh([HECHA, "reconcile", "--as-of", AS_OF.strftime("%Y%m%d"), "--limit", "1", "--db", db], log)
    recon_out = (p.stdout + p.stderr).strip()
    t_rec = time.time() - t0 - t_pop - t_imp

    res = score(db, pop, books)
    # keep the truth
    truth = [{"tid": b.tid, "wid": b.wid, "mother": pop.women[b.wid].name, "mother_id": pop.women[b.wid].idno,
              "name": b.name, "sex": b.sex, "date": b.date.isoformat(), "order": b.order, "period": b.period,
              "expected": b.expected, "sub": b.sub, "field": b.field, "form_uid": b.form_uid, "cid": b.cid,
              "cert": b.cert, "real": b.real, "features": sorted(b.features), "alias": b.alias,
              "old_name": b.old_name,
              "wis": ({**b.wis, "date": b.wis["date"].isoformat(), "mother_id": pop.women[b.wis["wid"]].idno}
                      if b.wis else None),
              "lists": {k: {**v, "date": v["date"].isoformat()} for k, v in b.rec.items()}}
             for b in pop.births]
    (work / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=0), encoding="utf-8")
    (work / "rows.json").write_text(json.dumps(
        [{"file": path.name, "sheet": s.name, "row": i + 1, "tag": t}
         for book, path in books for s in book.sheets for i, t in enumerate(s.tags)],
        ensure_ascii=False), encoding="utf-8")
    (work / "commands.json").write_text(json.dumps(log, ensure_ascii=False, indent=1), encoding="utf-8")
    (work / "findings_scored.json").write_text(json.dumps(res["findings"], ensure_ascii=False, indent=0),
                                               encoding="utf-8")
    hdr = (f"scenario {args.scenario}, seed {args.seed}: {sum(b.period == 'win' and b.real for b in pop.births)} "
           f"real births in the window, as of {AS_OF}; population {t_pop:.0f} s, imports {t_imp:.0f} s, "
           f"reconcile {t_rec:.1f} s; files in {work}")
    text = print_report(hdr, pop, res, imports, recon_out)
    (work / "report.txt").write_text(text, encoding="utf-8")
    if not args.keep:
        print(f"(temporary folder {work} removed; --keep DIR keeps it)")
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
