"""Reference-list import benchmark (issue 6): rows per second loaded and peak memory.

    python bench/imports.py [--rows 100000]

Writes a list of ``--rows`` rows (8 columns: name, sex, birth date, ID number, mother's name and ID,
address, birth certificate) as ``.xls`` (xlwt; two sheets, a sheet holds 65,536 rows) and as
``.xlsx`` (openpyxl), then for each: xlrd's (or calamine's) bare parse of the file, and
``hecha import-list`` as a fresh process into a new database (name keys, checks and inserts
included), with its wall time and peak RSS. Budget (DESIGN.md §11): ≥ 0.4× the bare parse of the
same file, ≤ 200 MB (10^6 bytes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, budget, child, mb

HEADER = ["姓名", "性别", "出生日期", "身份证号", "母亲姓名", "母亲身份证号", "住址", "出生医学证明编号"]


def rows(n: int, seed: int = 1):
    from storage import idnumber
    from storage.synth import GIVEN_FEMALE, GIVEN_MALE, SURNAMES

    rng = random.Random(seed)
    for _i in range(n):
        sex = rng.choice("12")
        born = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randrange(3650))
        mother_born = born - dt.timedelta(days=rng.randrange(20 * 365, 35 * 365))
        yield [
            rng.choice(SURNAMES) + rng.choice(GIVEN_MALE if sex == "1" else GIVEN_FEMALE) + rng.choice(GIVEN_FEMALE),
            "男" if sex == "1" else "女",
            born.strftime("%Y-%m-%d"),
            idnumber.make("130123", born, rng.randrange(500) * 2 + (1 if sex == "1" else 0)),
            rng.choice(SURNAMES) + rng.choice(GIVEN_FEMALE),
            idnumber.make("130123", mother_born, rng.randrange(500) * 2),
            f"新安镇{rng.randrange(1, 20)}村{rng.randrange(1, 200)}号",
            f"M{rng.randrange(10**9):09d}",
        ]


def write_xls(path: Path, n: int) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet, r = None, 0
    for i, row in enumerate(rows(n)):
        if sheet is None or r == 65536:
            sheet, r = book.add_sheet(f"名单{i // 65535 + 1}"), 0
            for c, h in enumerate(HEADER):
                sheet.write(0, c, h)
            r = 1
        for c, v in enumerate(row):
            sheet.write(r, c, v)
        r += 1
    book.save(str(path))


def write_xlsx(path: Path, n: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("名单")
    sheet.append(HEADER)
    for row in rows(n):
        sheet.append(row)
    book.save(path)


def bare(path: Path) -> float:
    t = time.perf_counter()
    if path.suffix == ".xls":
        import xlrd

        book = xlrd.open_workbook(str(path), on_demand=True)
        for i in range(book.nsheets):
            sheet = book.sheet_by_index(i)
            for r in range(sheet.nrows):
                sheet.row_values(r)
    else:
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()
    return time.perf_counter() - t


def load(path: Path, tmp: Path) -> tuple[float, float]:
    db = tmp / f"{path.suffix[1:]}.sqlite"
    subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "init", "--office", "130123103", "--db", str(db)],
        check=True,
        capture_output=True,
    )
    code = (
        f"import sys, time, json; sys.argv = ['hecha', 'import-list', '--source', 'birth_cert', {str(path)!r}, "
        f"'--db', {str(db)!r}]\n"
        "t = time.perf_counter()\nimport main\ntry:\n    main.cli()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps({'seconds': time.perf_counter() - t}))"
    )
    result, peak = child(code)
    return result["seconds"], peak


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        for suffix, writer in ((".xls", write_xls), (".xlsx", write_xlsx)):
            path = tmp / f"list{suffix}"
            writer(path, args.rows)
            parse = bare(path)
            seconds, peak = load(path, tmp)
            print(
                f"{suffix:<6} {args.rows} rows, {path.stat().st_size / 1e6:.1f} MB: bare parse "
                f"{args.rows / parse:,.0f} rows/s; "
                f"hecha import-list {args.rows / seconds:,.0f} rows/s ({seconds:.1f} s, {parse / seconds:.2f}× the "
                "bare parse), "
                f"peak RSS {mb(peak):.0f} MB"
            )
            rate, bare_rate = args.rows / seconds, args.rows / parse
            what = f"list import {suffix}, {args.rows} rows"
            reader = "xlrd" if suffix == ".xls" else "calamine"
            budget(
                what,
                rate,
                "rows/s",
                0.4 * bare_rate,
                at_most=False,
                anchor=bare_rate,
                anchor_what=f"{reader}'s bare parse",
            )
            budget(f"{what}, peak RSS", mb(peak), "MB", 200)


if __name__ == "__main__":
    main()
