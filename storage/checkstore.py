"""Each household's last check kept, for the export gate (issue 19; schema 28 ``household_check``).

The form's save runs every rule on the household it writes, and ``hecha check`` on every household;
the gate before a bundle (:func:`export.bundle.check_before_export`) used to run them all again on
every household the bundle carries — half of a 50,000-person export. A check is kept with the state
of the household's rows it saw (:func:`stamps`) and what else it depended on (:func:`rules_key`);
the gate trusts a kept check only when both are still the same (:func:`unchanged_clean`), so a row
changed outside the form (a decision from the county, ``hecha person set``, a bundle applied) is
checked again.

A leaf below :mod:`storage.check` and :mod:`storage.households` (both keep checks).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from .office import reference_date


def rules_key() -> str:
    """What a household's check depends on besides its rows: the reference date (ages), the
    division table's size (village codes) and the rules themselves (:func:`_rules`): a check kept
    under another key is not trusted."""
    from .models import AdminDivision

    as_of = reference_date()
    return f"{as_of.isoformat() if as_of else 'today'}|{AdminDivision.select().count()}|{_rules()}"


@cache
def _rules() -> str:
    """This program's version and a digest of the rules' source (:mod:`storage.validate`,
    :mod:`storage.idnumber`, :mod:`storage.check`): an upgrade checks every household again once."""
    import hashlib
    from importlib import metadata
    from pathlib import Path

    try:
        version = metadata.version("hecha")
    except metadata.PackageNotFoundError:
        version = "dev"
    here = Path(__file__).resolve().parent
    digest = hashlib.sha1()
    for name in ("validate.py", "idnumber.py", "check.py", "checkstore.py"):
        digest.update((here / name).read_bytes())
    return f"{version}|{digest.hexdigest()[:16]}"


def keep_results(errors: dict[int, int]) -> None:
    """Keep each household's count of errors (``{household id: errors}``) as its rows stand now,
    under :func:`rules_key`, in one short write transaction (or the caller's). A change to any of its
    rows forgets it (schema 28's triggers)."""
    from .db import now_iso, write_txn
    from .models import HouseholdCheck

    if not errors:
        return
    key, at = rules_key(), now_iso()
    rows = [dict(household_id=i, key=key, errors=n, at=at) for i, n in errors.items()]
    with write_txn():
        for i in range(0, len(rows), 500):
            HouseholdCheck.insert_many(rows[i : i + 500]).on_conflict_replace().execute()


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
