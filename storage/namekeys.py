"""Name keys of persons (:class:`~storage.models.PersonKey`): what the duplicate search looks up
(:mod:`storage.dedup`), written when persons are saved or merged and by schema 6's migration.

A leaf of the storage package (models and names only), so :mod:`storage.db`'s migration can call it
without an import circle through the duplicate search (issue 13).
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import Person, PersonKey
from .names import name_keys


def index_persons(people: Iterable[Person]) -> None:
    """(Re)write the name keys of ``people`` (inside the caller's transaction); a tombstoned person
    keeps none."""
    index_rows([(p.id, p.name, p.deleted) for p in people])


def index_rows(rows: Iterable[tuple[int, str, bool]], *, fresh: bool = False) -> None:
    """(Re)write the name keys of persons given as ``(id, name, deleted)`` (inside the caller's
    transaction): the county's merge indexes tens of thousands at a time without loading rows.
    ``fresh``: persons just inserted, who have no keys to delete yet."""
    rows = list(rows)
    if not rows:
        return
    con = PersonKey._meta.database.connection()
    ids = [] if fresh else [r[0] for r in rows]
    for i in range(0, len(ids), 900):  # SQLite's default limit of bound values
        part = ids[i : i + 900]
        con.execute(f'DELETE FROM "person_key" WHERE "person_id" IN ({",".join("?" * len(part))})', part)
    out = []
    for pid, name, deleted in rows:
        if deleted or not name:
            continue
        keys = name_keys(name)
        out.append((pid, "n", keys.simplified))
        out.extend((pid, "h", k) for k in keys.homophone_keys)
        out.extend((pid, "f", k) for k in keys.fuzzy_keys)
    if out:
        con.executemany('INSERT INTO "person_key" ("person_id", "kind", "key") VALUES (?, ?, ?)', out)


def index_all(page: int = 5000) -> int:
    """Name keys for every live person, in pages (schema 6's migration); returns how many."""
    done, last = 0, 0
    while True:
        people = list(
            Person.select().where((Person.id > last) & (Person.deleted == False)).order_by(Person.id).limit(page)
        )
        if not people:
            return done
        index_persons(people)
        done += len(people)
        last = people[-1].id


# ---------------------------------------------------------------------------- ID variants
