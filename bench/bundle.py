"""Weekly bundle benchmark: export and import of N changed persons, each in a fresh process.

    python bench/bundle.py [--persons 50000]

Prints wall time of export and import (and, apart, the scrypt passphrase unlock inside them) and
the peak resident memory of each process, beside the floor measured in the same run: the same
tables through the standard tools, ``sqlite3 DB .dump … | gzip | age -r`` for the export and
``age -d | gunzip | sqlite3 NEW`` for the import. Budget (DESIGN.md §11): export ≤ 5 s, import
≤ 5 s, each ≤ 3× its floor, peak RSS ≤ 150 MB (10^6 bytes) for 50,000 changed persons. Ages are
judged at the township's reference date (:func:`common.fast_fill` sets it), never today's.

The township is filled directly (:func:`common.fast_fill`), then checked once with ``hecha check``'s
rules, which keep each household's result as the form's save does (:mod:`storage.checkstore`): the
export gate then checks none again, as after a week of keying. The same export of a copy with no
check kept (rows changed outside the form) is printed beside it.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import budget, child, fast_fill, mb

SHARED = ("household", "person", "birth", "woman_fp", "migration", "audit_log")

CHILD = r"""
import json, time
t0 = time.perf_counter()
from storage.db import open_db
from export import keys
open_db({db!r})
t1 = time.perf_counter()
unlocked = keys.unlock({passphrase!r})
t2 = time.perf_counter()
if {mode!r} == "export":
    from export.bundle import export_bundle
    result = export_bundle(unlocked, {out!r})
    what = str(result.path)
else:
    from export.bundle import import_bundle
    result = import_bundle({out!r}, unlocked)
    what = result.message
t3 = time.perf_counter()
print(json.dumps(dict(open=t1 - t0, unlock=t2 - t1, work=t3 - t2, total=t3 - t0, what=what)))
"""


def run(mode: str, db: Path, passphrase: str, out: str) -> dict:
    """Export or import in a fresh process: its timings, with its peak memory as ``rss_mb``."""
    result, peak = child(CHILD.format(db=str(db), passphrase=passphrase, mode=mode, out=out))
    return dict(result, rss_mb=peak)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=50_000)
    args = ap.parse_args()
    from export import keys as keymod
    from storage.db import close_db, open_db
    from storage.office import init_office

    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        county, town = tmp / "county.sqlite", tmp / "town.sqlite"
        init_office(county, "130123")
        open_db(county)
        keymod.create_keys("bench-county")
        county_pub = keymod.own_public()
        init_office(town, "130123103")
        open_db(town)
        keymod.create_keys("bench-town")
        keymod.register_peer(county_pub)
        town_pub = keymod.own_public()
        open_db(county)
        keymod.register_peer(town_pub)
        close_db()
        t = time.perf_counter()
        n = fast_fill(town, args.persons)
        close_db()
        print(f"filled township: {n} persons in {time.perf_counter() - t:.1f} s")
        import shutil

        unchecked = tmp / "town-unchecked.sqlite"
        shutil.copy(town, unchecked)  # the same township, as if its rows had been changed outside the form
        t = time.perf_counter()
        open_db(town)
        from storage.check import check_database

        errors = sum(x.level == "error" for x in check_database(remember=True))
        close_db()
        assert errors == 0, f"{errors} errors in the synthetic township: the export would be refused"
        print(f"checks kept as the form's saves keep them (hecha check): {time.perf_counter() - t:.1f} s")
        ex = run("export", town, "bench-town", str(tmp / "out"))
        cold = run("export", unchecked, "bench-town", str(tmp / "out-unchecked"))
        print(f"export with no check kept (every household checked at the gate): {cold['work']:.2f} s")
        path = ex["what"]
        size = Path(path).stat().st_size
        print(
            f"export: {ex['total']:.2f} s total (unlock {ex['unlock']:.2f} s, bundle {ex['work']:.2f} s), "
            f"peak RSS {mb(ex['rss_mb']):.0f} MB, bundle {size / 1e6:.1f} MB"
        )
        im = run("import", county, "bench-county", path)
        print(
            f"import: {im['total']:.2f} s total (unlock {im['unlock']:.2f} s, merge {im['work']:.2f} s), "
            f"peak RSS {mb(im['rss_mb']):.0f} MB — {im['what']}"
        )
        dump_s, load_s, dump_mb = floors(town, tmp)
        print(f"floor: sqlite3 .dump | gzip | age {dump_s:.2f} s ({dump_mb:.1f} MB); ", end="")
        print(f"age -d | gunzip | sqlite3 {load_s:.2f} s")
        n = args.persons
        budget(f"weekly bundle export, {n} persons", ex["work"], "s", 5.0, anchor=dump_s, anchor_what="the .dump floor")
        budget(f"weekly bundle import, {n} persons", im["work"], "s", 5.0, anchor=load_s, anchor_what="the load floor")
        budget(f"weekly bundle export, {n} persons, ×floor", ex["work"] / dump_s, "×", 3.0)
        budget(f"weekly bundle import, {n} persons, ×floor", im["work"] / load_s, "×", 3.0)
        budget(f"weekly bundle export, {n} persons, peak RSS", mb(ex["rss_mb"]), "MB", 150)
        budget(f"weekly bundle import, {n} persons, peak RSS", mb(im["rss_mb"]), "MB", 150)


def floors(db: Path, tmp: Path) -> tuple[float, float, float]:
    """The standard tools on the same tables (:data:`SHARED`): seconds of ``sqlite3 .dump | gzip |
    age -r`` and of ``age -d | gunzip | sqlite3`` into a new file, and the encrypted dump's MB."""
    import subprocess

    key = tmp / "floor-key.txt"
    subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True)
    recipient = next(ln.split(": ")[1] for ln in key.read_text().splitlines() if ln.startswith("# public key"))
    enc, new = tmp / "floor.sql.gz.age", tmp / "floor.sqlite"
    tables = " ".join(f'"{t}"' for t in SHARED)
    t = time.perf_counter()
    subprocess.run(f"sqlite3 '{db}' '.dump {tables}' | gzip | age -r {recipient} > '{enc}'", shell=True, check=True)
    dump_s = time.perf_counter() - t
    t = time.perf_counter()
    subprocess.run(f"age -d -i '{key}' '{enc}' | gunzip | sqlite3 '{new}'", shell=True, check=True)
    load_s = time.perf_counter() - t
    return dump_s, load_s, enc.stat().st_size / 1e6


if __name__ == "__main__":
    main()
