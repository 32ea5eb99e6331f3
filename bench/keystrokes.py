"""Keystrokes to key the reference household, against the minimum (DESIGN.md §11: ≤ 1.15×).

    python bench/keystrokes.py

Drives the real TUI (App.run_test at 80x24) with the key sequence a clerk types for
``../shared/data/reference-household.json`` (4 members, 1 birth), checks the saved rows, and prints
the keys pressed against the minimum the file defines (the characters of every typed value plus one
Enter per field; a Chinese character committed by the input method counts 1).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from storage.validate import MAX_BIRTH_ORDER  # noqa: E402 - after the path is set
from tui.widgets.fields import complete  # noqa: E402


def minimum(ref: dict) -> int:
    """The file's minimum: characters of every typed value plus one Enter per typed field."""
    records = [ref["household"], *ref["members"], *ref["births"]]
    return sum(len(str(v)) + 1 for r in records for v in r["typed"].values())


def sequence(ref: dict) -> list[str]:
    """The keys, one entry per key press (a Chinese character is one press: the IME commits it)."""
    keys: list[str] = ["f2"]
    hh = ref["household"]["typed"]
    keys += list(hh["village_code"]) + list(hh["group_no"])  # full fields move on by themselves
    keys += list(hh["address_detail"]) + ["enter"] + list(hh["form_no"]) + ["enter"]
    keys += list(hh["household_kind"]) + list(hh["hukou_type"]) + ["enter"] + list(hh["phone"]) + ["f10"]
    names = [m["typed"]["name"] for m in ref["members"]]
    for m in ref["members"]:
        t = m["typed"]
        keys += list(t["name"]) + ["enter"] + list(t["id_number"]) + list(t["relation_to_head"]) + list(t["ethnicity"])
        for code in ("marital_status", "education"):
            keys += list(t[code]) if code in t else ["enter"]
        keys += list(t["residence_status"])
        if "contraception" in t:
            keys += (  # a married woman of 15–49: section 三 opens by itself
                list(t["first_marriage_date"]) + list(t["contraception"]) + list(t["contraception_start"]) + ["f10"]
            )
    keys += ["enter"]
    for b in ref["births"]:
        t = b["typed"]
        keys += (
            list(str(names.index(t["child"]) + 1))
            + ["enter"]
            + list(str(names.index(t["mother"]) + 1))
            + ["enter", "enter"]
        )
        order = t["birth_order"]  # 2–9 move on by themselves; 1 waits for a second digit or Enter
        keys += list(order) + ([] if complete(order, 2, MAX_BIRTH_ORDER) else ["enter"])
        keys += list(t["outcome"]) + list(t["birth_place_kind"])
        keys += list(t["birth_cert_no"]) + list(t["policy_attribute"])
    keys += ["enter", "enter"]  # a blank birth line saves
    return keys


async def run(db: Path, keys: list[str]) -> None:
    from tui.app import make_app

    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        for key in keys:
            await pilot.press(key)
        await pilot.pause()


def main() -> None:
    ref = json.loads((ROOT.parent / "shared" / "data" / "reference-household.json").read_text(encoding="utf-8"))
    from storage.db import close_db, open_db
    from storage.models import Birth, Person, WomanFP
    from storage.office import init_office

    keys = sequence(ref)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "t.sqlite"
        init_office(db, ref["office"])
        close_db()
        asyncio.run(run(db, keys))
        open_db(db)
        saved = (Person.select().count(), Birth.select().count(), WomanFP.select().count())
    assert saved == (4, 1, 1), f"the household was not saved as expected: {saved}"
    least = minimum(ref)
    print(
        f"reference household: {len(keys) - 1} keys typed (plus F2 to open the form) against the minimum {least}: "
        f"{(len(keys) - 1) / least:.2f}×"
    )
    sys.path.insert(0, str(ROOT / "bench"))  # the tests import this module as bench.keystrokes
    from common import budget

    budget("keys for the reference household, ×minimum", (len(keys) - 1) / least, "×", 1.15)


if __name__ == "__main__":
    main()
