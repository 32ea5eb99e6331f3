"""Each household's last check kept, for the export gate (issue 19; schema 28 ``household_check``).

The form's save runs every rule on the household it writes, and ``hecha check`` on every household;
the gate before a bundle (:func:`export.bundle.check_before_export`) used to run them all again on
every household the bundle carries — half of a 50,000-person export. A check is kept with what it
depended on besides the rows (:func:`rules_key`); any change to one of the household's rows forgets
it, through triggers (schemas 28 and 29), whoever writes: the form, ``hecha person set``, a county
decision applied, a hand edit in ``sqlite3``. The gate trusts a kept check only under the same key
(:func:`unchanged_clean`) and checks the rest again.

A leaf below :mod:`storage.check` and :mod:`storage.households` (both keep checks).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from .office import reference_date


def rules_key() -> str:
    """What a household's check depends on besides its rows: the day ages are judged at (the
    reference date, or with none set the real day, so a check kept yesterday is not trusted today),
    the division table (its codes: village codes) and the rules themselves (:func:`_rules`): a check
    kept under another key is not trusted."""
    import hashlib

    from .idnumber import real_day
    from .models import database

    as_of = reference_date() or real_day()
    codes = database.execute_sql('SELECT group_concat(code) FROM (SELECT code FROM "admin_division" ORDER BY code)')
    divisions = hashlib.sha1((codes.fetchone()[0] or "").encode()).hexdigest()[:12]
    return f"{as_of.isoformat()}|{divisions}|{_rules()}"


@cache
def _rules() -> str:
    """This program's version and a digest of the storage layer's source and data (the rules, the
    code lists, the dates and ID-number parsing they use): an upgrade checks every household again
    once."""
    import hashlib
    from importlib import metadata
    from pathlib import Path

    try:
        version = metadata.version("hecha")
    except metadata.PackageNotFoundError:
        version = "dev"
    here = Path(__file__).resolve().parent
    digest = hashlib.sha1()
    for path in sorted([*here.glob("*.py"), *(here / "data").rglob("*")]):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return f"{version}|{digest.hexdigest()[:16]}"


def keep_results(errors: dict[int, int]) -> None:
    """Keep each household's count of errors (``{household id: errors}``) as its rows stand now,
    under :func:`rules_key`: for a caller that checked them inside the write transaction that wrote
    them (the form's save), so nothing changed in between. A change to any of its rows forgets it
    (the triggers of schemas 28 and 29)."""
    if errors:
        key = rules_key()
        _put([(i, key, n) for i, n in errors.items()])


def _put(checks: list[tuple[int, str, int]]) -> None:
    """Write ``(household id, key, errors)`` rows, each replacing the household's last, in one short
    write transaction."""
    from .db import now_iso, write_txn
    from .models import HouseholdCheck

    at = now_iso()
    rows = [dict(household_id=i, key=key, errors=n, at=at) for i, key, n in checks]
    with write_txn():
        for i in range(0, len(rows), 500):
            HouseholdCheck.insert_many(rows[i : i + 500]).on_conflict_replace().execute()


PENDING = -1
"""``errors`` of a check begun and not yet settled (:func:`begin`): never trusted."""


def begin(household_ids: Iterable[int]) -> None:
    """Mark these households' checks as begun, before their rows are read (a check outside the
    write transaction: ``hecha check``, the export gate): a change to their rows while they are
    checked forgets the mark (the triggers), and :func:`settle` then keeps nothing for them (a
    helper's finding: a result read before an edit was kept after it)."""
    marks = [(i, "", PENDING) for i in household_ids]
    if marks:
        _put(marks)


def settle(errors: dict[int, int], key: str) -> None:
    """Keep the counts of errors of checks :func:`begin` marked, under ``key`` (:func:`rules_key`
    read when the check began), for those whose mark is still there: their rows unchanged since."""
    from .db import write_txn
    from .models import database

    if not errors:
        return
    with write_txn():
        database.connection().executemany(
            'UPDATE "household_check" SET "key" = ?, "errors" = ? WHERE "household_id" = ? AND "errors" = ?',
            [(key, n, i, PENDING) for i, n in errors.items()],
        )


def unchanged_clean(household_ids: Iterable[int]) -> set[int]:
    """Those of ``household_ids`` whose last check, under the rules of now, found no error, their
    rows unchanged since (a change forgets the check)."""
    from .models import HouseholdCheck

    ids = list(household_ids)
    key = rules_key()
    clean: set[int] = set()
    for i in range(0, len(ids), 500):
        q = HouseholdCheck.select(HouseholdCheck.household_id).where(
            HouseholdCheck.household_id.in_(ids[i : i + 500])
            & (HouseholdCheck.key == key)
            & (HouseholdCheck.errors == 0)
        )
        clean.update(hid for (hid,) in q.tuples())
    return clean
