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
    people = list(people)
    if not people:
        return
    PersonKey.delete().where(PersonKey.person.in_([p.id for p in people])).execute()
    rows = []
    for p in people:
        if p.deleted or not p.name:
            continue
        keys = name_keys(p.name)
        rows.append((p.id, "n", keys.simplified))
        rows.extend((p.id, "h", k) for k in keys.homophone_keys)
        rows.extend((p.id, "f", k) for k in keys.fuzzy_keys)
    if rows:
        PersonKey._meta.database.connection().executemany(
            'INSERT INTO "person_key" ("person_id", "kind", "key") VALUES (?, ?, ?)', rows
        )


def index_uids(uids: Iterable[str]) -> None:
    """Name keys for the persons with these uids (the county merge calls it for what it wrote)."""
    uids = list(uids)
    for i in range(0, len(uids), 5000):
        index_persons(Person.select().where(Person.uid.in_(uids[i : i + 5000])))


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
