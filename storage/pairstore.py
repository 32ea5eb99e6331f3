"""Stored candidate pairs for the duplicate review (重复登记审核) and ``hecha duplicates``.

Issue 15: scoring every blocked pair of a township of 50,000 households took minutes each time the
review opened, and the list was cut to 500 without a word. The pairs are now kept in ``dup_pair``
(schema 18) and the review pages them in SQL (:func:`page`, :func:`count`): the first page is a
query, whatever the size of the database. The database's own triggers list every person changed
since (``dup_dirty``: a save in the form, a merge, a county import; a mother's change marks her
children) and every reference list loaded or replaced (``dup_dirty_batch``); :func:`refresh`
scores again only the pairs that touch them, in chunks of short write transactions, so a refresh
that is stopped (Esc, a dropped connection) keeps what it finished and the next one goes on.

A pair is scored as :func:`storage.dedup.candidates` (two persons, from the one with the lower id:
the form and the review agree) or :func:`storage.dedup.ref_candidates` (a person and a list record,
from the person) score it; which pairs are looked at is the blocking of DESIGN.md §6 (the same ID
number; a homophone key with dates up to 55 days apart, a year or a month off, or day and month
swapped (issue 16); the fuzzy key and the
same date; the same date with a name one character off; the same mother within 5 days). A pair
decided "different" stays stored and is left out when read, so a decision needs no rescoring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from .db import write_txn
from .dedup import (
    DAYS_LUNAR,
    DAYS_MOTHER,
    RULE_ID_EDIT,
    RULE_SAME_ID,
    WARN_SCORE,
    Candidate,
    Pair,
    Scorer,
    _date,
    ref_candidates,
    score_pairs,
)
from .matchmodel import cut_alike, one_edit
from .models import Person
from .names import simplified

CHUNK = 500
"""Scorers per chunk: each chunk is one short write transaction."""

STORE_FLOOR = 10
"""Pairs of two persons the model scores below this are not stored: two persons, by the evidence
(at a county's first review 870,845 of 871,415 blocked pairs of 900,000 persons scored under 10,
most of them the same birthday and surname). A person and a list record are stored whatever their
score (few, and a list row under another's number is a question for the clerk)."""

KIND_CODES = {"": None, "persons": "p", "records": "r"}
"""The review's filter (``hecha duplicates --kind``) → ``dup_pair.kind``."""


def _sql(query: str, params: Iterable = ()) -> list[tuple]:
    return list(Person._meta.database.execute_sql(query, tuple(params)))


def pending() -> tuple[int, int]:
    """(persons, lists) changed since their pairs were last scored: what :func:`refresh` has to do.
    Persons are counted once however often they changed."""
    persons = _sql("SELECT count(DISTINCT person_id) FROM dup_dirty")[0][0]
    lists = _sql("SELECT count(DISTINCT batch_id) FROM dup_dirty_batch")[0][0]
    return persons, lists


def _snapshot() -> tuple[int, int, list[int]]:
    """Fill ``temp.dup_snap`` with the persons changed so far; returns (the last dirty seq seen,
    the last dirty-list seq seen, the active lists changed)."""
    db = Person._meta.database
    top = _sql("SELECT coalesce(max(seq), 0) FROM dup_dirty")[0][0]
    btop = _sql("SELECT coalesce(max(seq), 0) FROM dup_dirty_batch")[0][0]
    db.execute_sql("CREATE TEMP TABLE IF NOT EXISTS dup_snap (id INTEGER PRIMARY KEY)")
    db.execute_sql("DELETE FROM temp.dup_snap")
    db.execute_sql("INSERT OR IGNORE INTO temp.dup_snap SELECT person_id FROM dup_dirty WHERE seq <= ?", (top,))
    batches = [
        b
        for (b,) in _sql(
            "SELECT DISTINCT d.batch_id FROM dup_dirty_batch d JOIN import_batch b ON b.id = d.batch_id "
            "WHERE d.seq <= ? AND b.status = 'active'",
            (btop,),
        )
    ]
    return top, btop, batches


# Both ends of a blocked pair: ``a`` a changed person (in temp.dup_snap), ``b`` anyone; a pair of two
# changed persons is taken once, from the lower id.
_OTHER = "(b.id > a.id OR b.id NOT IN (SELECT id FROM temp.dup_snap))"
_PERSON_BLOCKS = [
    # the same ID number
    f"""SELECT a.id, b.id FROM temp.dup_snap s JOIN person a ON a.id = s.id
        JOIN person b ON b.id_number_18 = a.id_number_18 AND b.id != a.id
        WHERE a.id_number_18 != '' AND a.deleted = 0 AND b.deleted = 0 AND {_OTHER}""",
    # a number a spreadsheet cut to 15 digits (…025000) and the number it was: driven from the few
    # numbers ending in 000 (CROSS JOIN keeps that order; each looks up its prefix's range)
    f"""SELECT a.id, b.id FROM temp.dup_snap s CROSS JOIN person a ON a.id = s.id
        CROSS JOIN person b INDEXED BY person_id_number_18 ON b.id_number_18 >= substr(a.id_number_18, 1, 15)
                           AND b.id_number_18 < substr(a.id_number_18, 1, 15) || '~' AND b.id != a.id
        WHERE a.id_number_18 LIKE '%000' AND length(a.id_number_18) = 18
          AND a.deleted = 0 AND b.deleted = 0 AND {_OTHER}""",
    f"""SELECT a.id, b.id FROM person b CROSS JOIN person a INDEXED BY person_id_number_18
                ON a.id_number_18 >= substr(b.id_number_18, 1, 15)
               AND a.id_number_18 < substr(b.id_number_18, 1, 15) || '~' AND a.id != b.id
        WHERE b.id_number_18 LIKE '%000' AND length(b.id_number_18) = 18
          AND a.id IN (SELECT id FROM temp.dup_snap) AND a.deleted = 0 AND b.deleted = 0 AND {_OTHER}""",
    # a homophone key, dates a few days apart or day and month swapped
    f"""SELECT a.id, b.id FROM temp.dup_snap s JOIN person a ON a.id = s.id
        JOIN person_key ka ON ka.person_id = a.id AND ka.kind = 'h'
        JOIN person_key kb ON kb.key = ka.key AND kb.kind = 'h' AND kb.person_id != a.id
        JOIN person b ON b.id = kb.person_id
        WHERE a.deleted = 0 AND b.deleted = 0 AND a.birth_date != '' AND b.birth_date != '' AND {_OTHER}
          AND (abs(julianday(a.birth_date) - julianday(b.birth_date)) <= {DAYS_LUNAR}
               OR (substr(a.birth_date, 1, 4) = substr(b.birth_date, 1, 4)
                   AND substr(a.birth_date, 6, 2) = substr(b.birth_date, 9, 2)
                   AND substr(a.birth_date, 9, 2) = substr(b.birth_date, 6, 2))
               OR (substr(a.birth_date, 6, 5) = substr(b.birth_date, 6, 5)
                   AND abs(substr(a.birth_date, 1, 4) - substr(b.birth_date, 1, 4)) = 1)
               OR (substr(a.birth_date, 1, 4) = substr(b.birth_date, 1, 4)
                   AND substr(a.birth_date, 9, 2) = substr(b.birth_date, 9, 2)))""",
    # the fuzzy key and the same date (driven from the date: a common key has thousands of bearers)
    f"""SELECT a.id, b.id FROM temp.dup_snap s CROSS JOIN person a ON a.id = s.id
        CROSS JOIN person b ON b.birth_date = a.birth_date AND b.id != a.id
        CROSS JOIN person_key ka ON ka.person_id = a.id AND ka.kind = 'f'
        CROSS JOIN person_key kb INDEXED BY person_key_person_id
                ON kb.person_id = b.id AND kb.kind = 'f' AND kb.key = ka.key
        WHERE a.deleted = 0 AND b.deleted = 0 AND a.birth_date != '' AND {_OTHER}""",
    # the same date, names of one length with the same first or the same last characters
    f"""SELECT a.id, b.id FROM temp.dup_snap s JOIN person a ON a.id = s.id
        JOIN person b ON b.birth_date = a.birth_date AND b.id != a.id
        JOIN person_key ka ON ka.person_id = a.id AND ka.kind = 'n'
        JOIN person_key kb ON kb.person_id = b.id AND kb.kind = 'n'
        WHERE a.deleted = 0 AND b.deleted = 0 AND a.birth_date != '' AND {_OTHER}
          AND abs(length(ka.key) - length(kb.key)) <= 1 AND length(ka.key) >= 2 AND length(kb.key) >= 2
          AND (substr(ka.key, 1, 1) = substr(kb.key, 1, 1) OR substr(ka.key, 2) = substr(kb.key, 2))""",
    # the same mother, within a few days
    f"""SELECT a.id, b.id FROM temp.dup_snap s JOIN person a ON a.id = s.id
        JOIN birth ba ON ba.child_id = a.id AND ba.deleted = 0
        JOIN birth bb ON bb.mother_id = ba.mother_id AND bb.deleted = 0 AND bb.child_id != a.id
        JOIN person b ON b.id = bb.child_id
        WHERE a.deleted = 0 AND b.deleted = 0 AND {_OTHER}
          AND abs(julianday(ba.birth_date) - julianday(bb.birth_date)) <= {DAYS_MOTHER}""",
]


SWEEP_FROM = 20_000
"""Changed persons from which the name-and-date rules (the homophone key, the fuzzy key, the name
one character off) are found by sorting every person once (:func:`_swept_blocks`) rather than by
looking up each changed person's partners (a county's first review: a million persons)."""


def _person_blocks() -> dict[int, set[int]]:
    """Scorer (the lower person id) → the persons it is to be scored against, for every blocked
    pair with a changed person."""
    out: dict[int, set[int]] = {}
    changed = _sql("SELECT count(*) FROM temp.dup_snap")[0][0]
    queries = _PERSON_BLOCKS
    if changed >= SWEEP_FROM:
        queries = [q for i, q in enumerate(_PERSON_BLOCKS) if i not in SWEPT_RULES]
        for a, b in _swept_blocks():
            out.setdefault(a, set()).add(b)
    for query in queries:
        for a, b in _sql(query):
            lo, hi = (a, b) if a < b else (b, a)
            out.setdefault(lo, set()).add(hi)
    return out


SWEPT_RULES = (3, 4, 5)
"""The rules of :data:`_PERSON_BLOCKS` that :func:`_swept_blocks` finds (their order there)."""


def _swept_blocks() -> Iterator[tuple[int, int]]:
    """The pairs of the homophone, fuzzy-key and one-character rules (:data:`SWEPT_RULES`) with at
    least one changed person, each as ``(lower id, higher id)`` (perhaps more than once), found by
    reading every live person's keys once in key (or date) order and pairing within each group in
    Python — what the rules' SQL does per changed person, which at a million persons reads the
    bearers of a common name (王伟) again for each of them. The same pairs as the SQL (a test)."""
    import datetime as dt

    snap = {i for (i,) in _sql("SELECT id FROM temp.dup_snap")}
    db = Person._meta.database

    def ours(a: int, b: int) -> tuple[int, int] | None:
        if a == b or (a not in snap and b not in snap):
            return None
        return (a, b) if a < b else (b, a)

    days: dict[str, int | None] = {}

    def ordinal(text: str) -> int | None:
        if text not in days:
            try:
                days[text] = dt.date.fromisoformat(text).toordinal()
            except ValueError:
                days[text] = None
        return days[text]

    def groups(query: str):
        """Rows of ``query`` (ordered by its first column) grouped by that column."""
        key: object = None
        members: list = []
        for row in db.execute_sql(query):
            if row[0] != key:
                if members:
                    yield key, members
                key, members = row[0], []
            members.append(row[1:])
        if members:
            yield key, members

    # a homophone key, dates within DAYS_LUNAR days, day and month swapped, a year off, or the same
    # year and day of the month (rule 3)
    for _key, members in groups(
        """SELECT k.key, p.id, p.birth_date FROM person_key k JOIN person p ON p.id = k.person_id
           WHERE k.kind = 'h' AND p.deleted = 0 AND p.birth_date != '' ORDER BY k.key"""
    ):
        dated = sorted((o, pid) for pid, born in members if (o := ordinal(born)) is not None)
        for i, (o, a) in enumerate(dated):
            for o2, b in dated[i + 1 :]:
                if o2 - o > DAYS_LUNAR:
                    break
                if pair := ours(a, b):
                    yield pair
        by_text: dict[str, list[int]] = {}
        for pid, born in members:
            by_text.setdefault(born, []).append(pid)
        year_day: dict[tuple[str, str], list[int]] = {}
        for born, ids in by_text.items():
            year_day.setdefault((born[:4], born[8:10]), []).extend(ids)
        for born, ids in by_text.items():
            others = [
                *by_text.get(f"{born[:5]}{born[8:10]}-{born[5:7]}", ()),  # day and month swapped
                *by_text.get(f"{int(born[:4]) + 1:04d}{born[4:]}" if born[:4].isdigit() else "", ()),  # a year on
                *year_day.get((born[:4], born[8:10]), ()),  # the same year and day of the month
            ]
            for a in ids:
                for b in others:
                    if pair := ours(a, b):
                        yield pair
    # the fuzzy key and the same date (rule 4)
    for _key, members in groups(
        """SELECT p.birth_date || ' ' || k.key, p.id FROM person_key k JOIN person p ON p.id = k.person_id
           WHERE k.kind = 'f' AND p.deleted = 0 AND p.birth_date != '' ORDER BY 1"""
    ):
        ids = sorted({m[0] for m in members})
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                if pair := ours(a, b):
                    yield pair
    # the same date, names of one length (or one apart) with the same first or the same last
    # characters (rule 5)
    for _born, members in groups(
        """SELECT p.birth_date, p.id, k.key FROM person p JOIN person_key k ON k.person_id = p.id AND k.kind = 'n'
           WHERE p.deleted = 0 AND p.birth_date != '' AND length(k.key) >= 2 ORDER BY p.birth_date"""
    ):
        first: dict[str, list[tuple[int, str]]] = {}
        tail: dict[str, list[tuple[int, str]]] = {}
        for pid, name in members:
            first.setdefault(name[0], []).append((pid, name))
            tail.setdefault(name[1:], []).append((pid, name))
        for bucket in (*first.values(), *tail.values()):
            for i, (a, na) in enumerate(bucket):
                for b, nb in bucket[i + 1 :]:
                    if abs(len(na) - len(nb)) <= 1 and (pair := ours(a, b)):
                        yield pair


def _record_blocks(batches: list[int]) -> dict[int, set[int]]:
    """Person id → reference records that may be that person but do not agree with it, for the
    changed persons against every active list and for every person against the changed lists
    (the same ID number with another name or date;
    a homophone name born within a few days or day and month swapped, unless both ID numbers are
    there, valid and more than one edit apart; a record that agrees is a link, not a question)."""
    db = Person._meta.database
    out: dict[int, set[int]] = {}
    cols = "p.id, r.id, p.name, r.name, p.birth_date, r.birth_date, p.id_number_18, r.id_number_18, r.birth_date_prec"
    marks = ", ".join("?" * len(batches))
    drivers: list[tuple[str, str, list[int]]] = [
        ("FROM temp.dup_snap s JOIN person p ON p.id = s.id", "b.status = 'active'", [])
    ]
    if batches:
        drivers.append(("FROM person p", f"r.batch_id IN ({marks})", batches))
    for source, records, params in drivers:
        # the homophone pairs go through a temporary index of the records' keys and dates, so that a
        # common name costs one index probe per person, not the product of the two counts
        db.execute_sql("DROP TABLE IF EXISTS temp.ref_key_born")
        db.execute_sql(
            f"""CREATE TEMP TABLE ref_key_born AS
                SELECT k.key AS key, r.birth_date AS born, r.id AS rid FROM ref_key k
                JOIN ref_record r ON r.id = k.record_id JOIN import_batch b ON b.id = r.batch_id
                WHERE k.kind = 'h' AND {records} AND r.birth_date != ''""",
            params,
        )
        db.execute_sql("CREATE INDEX temp.ref_key_born_key ON ref_key_born (key, born)")
        queries = [
            (  # a record's number a spreadsheet cut to 15 digits (…025000): from the few that end so
                f"""SELECT {cols} {source} JOIN ref_record r INDEXED BY ref_record_id_number_18
                        ON r.id_number_18 >= substr(p.id_number_18, 1, 15)
                       AND r.id_number_18 < substr(p.id_number_18, 1, 15) || '~'
                    JOIN import_batch b ON b.id = r.batch_id
                    WHERE p.deleted = 0 AND length(p.id_number_18) = 18 AND {records}
                      AND r.id_number_18 LIKE '%000' AND r.id_number_18 != p.id_number_18""",
                params,
            ),
            (
                f"""SELECT {cols} {source} JOIN ref_record r ON r.id_number_18 = p.id_number_18
                    JOIN import_batch b ON b.id = r.batch_id
                    WHERE p.deleted = 0 AND p.id_number_18 != '' AND {records}
                      AND ((r.name != '' AND r.name != p.name)
                           OR (r.birth_date != '' AND r.birth_date != p.birth_date))""",
                params,
            ),
            *(
                (
                    f"""SELECT {cols} {source} JOIN person_key kp ON kp.person_id = p.id AND kp.kind = 'h'
                        JOIN ref_key_born t ON t.key = kp.key AND {near} JOIN ref_record r ON r.id = t.rid
                        WHERE p.deleted = 0 AND p.birth_date != ''""",
                    [],
                )
                for near in (  # several queries: an OR would not use the index's date
                    f"t.born BETWEEN date(p.birth_date, '-{DAYS_LUNAR} days') "
                    f"AND date(p.birth_date, '+{DAYS_LUNAR} days')",
                    "t.born = substr(p.birth_date, 1, 5) || substr(p.birth_date, 9, 2) "
                    "|| '-' || substr(p.birth_date, 6, 2)",
                    "t.born = date(p.birth_date, '-1 year')",
                    "t.born = date(p.birth_date, '+1 year')",
                    "t.born LIKE substr(p.birth_date, 1, 5) || '__' || substr(p.birth_date, 8, 3)",
                )
            ),
        ]
        for query, qparams in queries:
            for pid, rid, p_name, r_name, p_born, r_born, p_id, r_id, prec in _sql(query, qparams):
                if p_id and r_id and p_id != r_id and not one_edit(p_id, r_id) and not cut_alike(p_id, r_id):
                    continue  # two valid numbers: two persons
                # a list that gives the year and month only (出生年月 202205, stored as the 1st) agrees
                # with any day of that month (a newcomer's finding: half the demo's review was such pairs)
                known = {"M": 7, "Y": 4}.get(prec, 10)  # the characters of the ISO date the list gives
                same_day = p_born[:known] == r_born[:known]
                if (p_id == r_id or not p_id or not r_id) and same_day and simplified(p_name) == simplified(r_name):
                    continue  # agrees: a link, not a question
                out.setdefault(pid, set()).add(rid)
        db.execute_sql("DROP TABLE IF EXISTS temp.ref_key_born")
    return out


def _score_chunk(
    chunk: list[int], persons: dict[int, set[int]], records: dict[int, set[int]], seen: dict | None = None
) -> list[dict]:
    """The stored rows for a chunk of scorers' pairs: person partners scored in bulk
    (:func:`storage.dedup.score_pairs`, a few queries for the chunk), record partners one scorer at a
    time (lists are few at a county and searched by :func:`ref_candidates`)."""
    marks = ", ".join("?" * len(chunk))
    rows = _sql(
        f"""SELECT p.id, p.uid, p.name, p.id_number, p.sex, p.birth_date, p.deleted, h.household_code, h.uid,
                   (SELECT m.id_number FROM birth b JOIN person m ON m.id = b.mother_id
                     WHERE b.child_id = p.id AND b.deleted = 0 LIMIT 1)
            FROM person p JOIN household h ON h.id = p.household_id WHERE p.id IN ({marks})""",
        chunk,
    )
    live = {r[0]: r for r in rows if not r[6]}
    scorers = [
        Scorer(pid, r[1], r[2], r[3], r[4], r[5], r[9] or "") for pid, r in sorted(live.items()) if persons.get(pid)
    ]
    scored = score_pairs(scorers, persons, min_score=STORE_FLOOR, seen=seen)
    partner_ids = sorted({p for s in scorers for p in persons[s.id]})
    partner_uids: dict[str, int] = {}
    for k in range(0, len(partner_ids), 900):
        part = partner_ids[k : k + 900]
        partner_uids.update(_sql(f"SELECT uid, id FROM person WHERE id IN ({', '.join('?' * len(part))})", part))
    out = []
    for pid, r in sorted(live.items()):
        _, uid, name, number, sex, born, _deleted, household_code, household_uid, _mother = r
        wanted = persons.get(pid, set())
        for c in scored.get(pid, []):
            b_id = partner_uids.get(c.person_uid)
            if b_id is None or b_id not in wanted or c.score < STORE_FLOOR:
                continue  # a sibling scored for telling twins apart, not a blocked partner; or too low
            if c.household_uid == household_uid and c.rule not in (RULE_SAME_ID, RULE_ID_EDIT):
                continue  # two lines of one household born the same day are twins, not one person twice
            out.append(_row(pid, uid, name, number, born, household_code, c, b_id=b_id))
        if records.get(pid):
            for c in ref_candidates(number, name=name, sex=sex, birth_date=_date(born), limit=500):
                rid = int(c.person_uid[4:])
                if rid in records[pid]:
                    out.append(_row(pid, uid, name, number, born, household_code, c, record=rid))
    return out


def _row(
    a_id: int,
    uid: str,
    name: str,
    number: str,
    born: str,
    household_code: str,
    c: Candidate,
    *,
    b_id: int | None = None,
    record: int | None = None,
) -> dict:
    pk_a, pk_b = sorted((uid, c.person_uid))
    return dict(
        pk_a=pk_a,
        pk_b=pk_b,
        kind="r" if record is not None else "p",
        score=c.score,
        a_id=a_id,
        b_id=b_id,
        b_record_id=record,
        b_batch_id=None,
        a_uid=uid,
        a_name=name,
        a_id_number=number,
        a_birth_date=born,
        a_household_code=household_code,
        b_uid=c.person_uid,
        b_name=c.name,
        b_id_number=c.id_number,
        b_sex=c.sex,
        b_birth_date=c.birth_date,
        b_household_code=c.household_code,
        b_household_uid=c.household_uid,
        b_where=c.village_name,
        b_source=c.source,
        rule=c.rule,
        rules=",".join(c.rules),
        why=c.why,
        differs=",".join(c.differs),
    )


def mark_all() -> None:
    """Mark every live person and active list changed, so that the next :func:`refresh` scores every
    pair again (``hecha duplicates --rescan``; a new version whose rules score differently does the
    same in its migration, as schema 18 did)."""
    with write_txn():
        _sql("INSERT INTO dup_dirty (person_id) SELECT id FROM person WHERE deleted = 0")
        _sql("INSERT INTO dup_dirty_batch (batch_id) SELECT id FROM import_batch WHERE status = 'active'")


class Stop(Exception):
    """Raised by a refresh's ``progress`` callback to stop it between chunks (what is done stays)."""


class Busy(Exception):
    """Another program is scoring the pairs of this database right now (:func:`refresh`)."""


@contextmanager
def _only_one():
    """Hold ``<database>-pairs.lock`` (an ``flock``, let go by the system when a process dies) for
    one refresh at a time: two at once could remove each other's pairs and marks (a helper lost a
    third of the pairs with one refresh killed while another ran). Raises :class:`Busy`."""
    import fcntl
    import os

    name = Person._meta.database.database
    if not name or name == ":memory:":
        yield
        return
    from pathlib import Path

    fd = os.open(f"{Path(name).resolve()}-pairs.lock", os.O_RDWR | os.O_CREAT, 0o600)  # a symlink shares it
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise Busy("另一个程序正在比对可能重复的人员") from None
        yield
    finally:
        os.close(fd)


def refresh(progress: Callable[[int, int], None] | None = None) -> int:
    """Score again every pair that touches a person or a reference list changed since the last
    refresh; returns the number of scorers run (0 when nothing had changed).

    The blocked pairs are scored in chunks of :data:`CHUNK` scorers in id order, each chunk written in
    its own short transaction: the stale pairs of its scorers' ids go, the new ones come, and the
    change marks it completes are removed (a person pair is always stored under its lower id, so a
    chunk owns the pairs of its id range). ``progress(done, total)`` is called after each chunk and
    may raise :class:`Stop` (the review's Esc): what was written stays and the pairs not reached yet
    stay as they were, with their marks, for the next refresh. One refresh at a time
    (:class:`Busy`); :class:`storage.db.Locked` when another program holds the write lock too long.
    """

    with _only_one():
        from .bulk import suspended

        if suspended():  # its blocking reads the ID-number index (INDEXED BY), set aside meanwhile
            raise Busy("正在成批导入数据包，检索索引导入结束后重建，之后再比对")
        top, btop, batches = _snapshot()
        if not top and not btop:
            return 0
        with write_txn():  # records no longer in an active list (a list replaced): their pairs go
            _sql(
                "DELETE FROM dup_pair WHERE kind = 'r' AND b_record_id NOT IN (SELECT r.id FROM ref_record r "
                "JOIN import_batch b ON b.id = r.batch_id WHERE b.status = 'active')"
            )
        persons = _person_blocks()
        records = _record_blocks(batches)
        scorers = sorted(set(persons) | set(records))
        batch_of: dict[int, int] = {}
        # driven by the chunk's range of scorers (EXISTS, not IN: with IN, SQLite walked every changed
        # person's id for each chunk — at a county's first review, 900,000 ids 700 times over)
        stale = (
            "DELETE FROM dup_pair WHERE id IN (SELECT d.id FROM dup_pair d INDEXED BY dup_pair_a_id "
            "WHERE d.a_id > ? AND d.a_id <= ? "
            "AND (EXISTS (SELECT 1 FROM temp.dup_snap s WHERE s.id = d.a_id) "
            "OR EXISTS (SELECT 1 FROM temp.dup_snap s WHERE s.id = d.b_id) "
            "OR d.b_batch_id IN (SELECT batch_id FROM dup_dirty_batch WHERE seq <= ?)))"
        )
        done_upto = 0
        seen: dict = {}  # names' and dates' frequencies, read once for the whole refresh
        for start in range(0, max(len(scorers), 1), CHUNK):
            chunk = scorers[start : start + CHUNK]
            rows = _score_chunk(chunk, persons, records, seen)
            wanted = sorted({r["b_record_id"] for r in rows if r["b_record_id"] is not None} - set(batch_of))
            for i in range(0, len(wanted), 500):
                part = wanted[i : i + 500]
                marks = ", ".join("?" * len(part))
                batch_of.update(_sql(f"SELECT id, batch_id FROM ref_record WHERE id IN ({marks})", part))
            for r in rows:
                if r["b_record_id"] is not None:
                    r["b_batch_id"] = batch_of.get(r["b_record_id"])
            last = start + CHUNK >= len(scorers)
            upto = 2**62 if last else chunk[-1]
            with write_txn():
                _sql(stale, (done_upto, upto, btop))
                if rows:  # one prepared statement (peewee built each row's SQL text: most of a county's refresh)
                    cols = list(rows[0])
                    Person._meta.database.connection().executemany(
                        f'INSERT OR REPLACE INTO "dup_pair" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})',
                        [tuple(r[c] for c in cols) for r in rows],
                    )
                if last:
                    _sql("DELETE FROM dup_dirty WHERE seq <= ?", (top,))
                    _sql("DELETE FROM dup_dirty_batch WHERE seq <= ?", (btop,))
                else:  # every pair of a person up to ``upto`` is scored by a scorer up to ``upto``
                    # by the person's index (by seq, SQLite read every mark left on each chunk)
                    _sql(
                        "DELETE FROM dup_dirty INDEXED BY dup_dirty_person_id WHERE person_id <= ? AND seq <= ?",
                        (upto, top),
                    )
            done_upto = upto
            if progress and scorers:
                progress(min(start + CHUNK, len(scorers)), len(scorers))
        return len(scorers)


def _where(kind: str, min_score: int) -> tuple[str, list]:
    clauses, params = ["d.score >= ?"], [min_score]  # type: tuple[list[str], list[object]]
    code = KIND_CODES.get(kind)
    if code:
        clauses.append("d.kind = ?")
        params.append(code)
    clauses.append(
        "NOT EXISTS (SELECT 1 FROM match_decision m WHERE m.a_uid = d.pk_a AND m.b_uid = d.pk_b "
        "AND m.decision = 'different')"
    )
    return " AND ".join(clauses), params


def count(*, kind: str = "", min_score: int = WARN_SCORE) -> int:
    """How many stored pairs are open (not decided "different") at ``min_score`` or more; ``kind``
    ``persons`` / ``records`` as :data:`KIND_CODES`."""
    where, params = _where(kind, min_score)
    return _sql(f"SELECT count(*) FROM dup_pair d WHERE {where}", params)[0][0]


def page(*, kind: str = "", min_score: int = WARN_SCORE, offset: int = 0, limit: int = 100) -> list[Pair]:
    """One page of the open stored pairs, best first (score, then 甲's household code), as
    :class:`storage.dedup.Pair` with an earlier "same"/"unsure" decision; read in one query."""
    where, params = _where(kind, min_score)
    rows = _sql(
        f"""SELECT d.a_uid, d.a_name, d.a_id_number, d.a_birth_date, d.a_household_code,
                   d.b_uid, d.b_name, d.b_id_number, d.b_sex, d.b_birth_date, d.b_household_code,
                   d.b_household_uid, d.b_where, d.rule, d.differs, d.score, d.rules, d.b_source, d.why,
                   coalesce((SELECT m.decision FROM match_decision m WHERE m.a_uid = d.pk_a AND m.b_uid = d.pk_b), '')
            FROM dup_pair d WHERE {where}
            ORDER BY d.score DESC, d.a_household_code, d.a_name, d.b_uid LIMIT ? OFFSET ?""",
        [*params, limit, offset],
    )
    out = []
    for r in rows:
        b = Candidate(
            person_uid=r[5],
            name=r[6],
            id_number=r[7],
            sex=r[8],
            birth_date=r[9],
            household_code=r[10],
            household_uid=r[11],
            village_name=r[12],
            rule=r[13],
            differs=tuple(x for x in r[14].split(",") if x),
            score=r[15],
            rules=tuple(x for x in r[16].split(",") if x),
            source=r[17],
            why=r[18],
        )
        out.append(Pair(r[0], r[1], r[2], r[3], r[4], b, r[19]))
    return out
