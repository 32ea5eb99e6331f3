"""``hecha check`` benchmark: the whole rule engine over 1,000 and 50,000 households.

    python bench/check.py [--households 1000 50000]

Prints the wall time of :func:`storage.check.check_database` (loading included) and the findings it
reports. Budget (issue 3): under 2 s for 1,000 households.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import budget, fast_fill


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, nargs="+", default=[1000, 50000])
    args = ap.parse_args()
    from storage.check import check_database
    from storage.db import close_db, open_db
    from storage.models import Household
    from storage.office import init_office

    for n in args.households:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "town.sqlite"
            init_office(db, "130123103")
            fast_fill(db, int(n * 3.45))  # about 3.45 persons a household in the synthetic population
            close_db()
            open_db(db)
            households = Household.select().count()
            t = time.perf_counter()
            found = list(check_database())
            took = time.perf_counter() - t
            print(
                f"{households} households: check {took:.2f} s ({households / took:.0f} households/s), {len(found)} "
                "findings"
            )
            if n <= 1000:
                budget(f"hecha check, {households} households", took, "s", 2.0, note="issue 3: 1,000 households")
            close_db()


if __name__ == "__main__":
    main()
