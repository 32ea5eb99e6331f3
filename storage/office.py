"""Creating an office database (``hecha init``) and reading who and where this office is."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from . import divisions
from .db import DatabaseError, now_iso, open_db, write_txn
from .divisions import short_name
from .models import AdminDivision, Office, Operator
from .paths import operator_login

TOWNSHIP = "township"
COUNTY = "county"
PROVINCE = "province"
UPPER_LEVELS = ("city", PROVINCE)
"""Levels above the county (地级市 4 digits, 省 2 digits, GB/T 2260). They receive a county's
``county-up`` bundles. A province may run hecha's platform on a database of its own (``hecha init
--office 13``, issue 21: :mod:`storage.province`) or only hold keys (``hecha keys upper``)."""


def init_office(path: str | Path, code: str, *, demo: bool = False) -> Office:
    """Create the database at ``path`` for the office ``code`` and load its divisions.

    ``code`` is a 9-digit township, a 6-digit county or a 2-digit province (its platform, issue 21)
    of the NBS 2023 table; the office's name and its villages (for a county: its townships and their
    villages; for a province: its cities and counties) come from that table.
    Raises :class:`DatabaseError` for an unknown code or a database that already has an office.
    """
    code = unicodedata.normalize("NFKC", code or "").strip()  # full-width digits typed by an IME
    if not code.isascii() or not code.isdigit() or len(code) not in (2, 6, 9):
        raise DatabaseError(
            f"单位代码 {code!r} 不对：乡镇填9位统计用区划代码，县填6位，省级平台填2位（如 130123103、130123 或 13）。"
        )
    try:
        subtree = divisions.office_subtree(code)
        if len(code) == 2:  # a province's platform names its cities and counties, not 50,000 villages
            subtree = [d for d in subtree if len(d.code) <= 6]
    except KeyError:
        raise DatabaseError(
            f"单位代码 {code} 不在国家统计局2023年统计用区划代码中：请核对代码（乡镇9位，县6位）。"
        ) from None
    db = open_db(path, create=True)
    if Office.select().exists():
        existing = Office.get()
        raise DatabaseError(f"{path} 已经是 {existing.name}（{existing.code}）的数据库，不能再次初始化。")
    me = next(d for d in subtree if d.code == code)
    names = [d.name for d in subtree if len(d.code) <= len(code) and len(d.code) >= min(6, len(code))]
    with write_txn():
        AdminDivision.insert_many(
            [dict(code=d.code, name=d.name, level=d.level, parent=d.parent, source=divisions.SOURCE) for d in subtree]
        ).execute()
        office = Office.create(
            code=code,
            name=me.name,
            level=TOWNSHIP if len(code) == 9 else COUNTY if len(code) == 6 else PROVINCE,
            county_code=code[:6],
            full_name="".join(names),
            is_demo=demo,
            created_at=now_iso(),
        )
        ensure_operator()
    db.close()
    return office


def ensure_operator(login: str | None = None) -> Operator:
    """The operator row for ``login`` (default: the current login name), created if missing."""
    login = login or operator_login()
    op, _ = Operator.get_or_create(login=login, defaults={"created_at": now_iso()})
    return op


def current_office() -> Office:
    """This database's office. Raises :class:`DatabaseError` when the database was never initialised."""
    try:
        return Office.get()
    except Office.DoesNotExist:
        raise DatabaseError("数据库还没有初始化：请先运行 hecha init --office 代码。") from None


def reference_date() -> dt.date | None:
    """The campaign's reference date (标准时点) this office set, or ``None`` (ages are then judged on
    the day of the check). Issue 14: a woman keyed at 49 must not block the export when she turns 50."""
    text = Office.select(Office.reference_date).scalar() or ""
    return dt.date.fromisoformat(text) if text else None


def set_reference_date(day: dt.date | None) -> None:
    """Set (or with ``None`` clear) the campaign's reference date (标准时点)."""
    with write_txn():
        Office.update(reference_date=day.isoformat() if day else "").execute()


def villages() -> list[AdminDivision]:
    """The office's villages (12-digit codes), in code order."""
    return list(AdminDivision.select().where(AdminDivision.level == 5).order_by(AdminDivision.code))


def division_name(code: str) -> str:
    """The name of a division held in this database, or ``""``."""
    row = AdminDivision.get_or_none(AdminDivision.code == code)
    return row.name if row else ""


@lru_cache(maxsize=4096)
def village_label(code: str) -> str:
    """A village's short name for lists (李家庄村 rather than its full name; divisions do not change
    while hecha runs), its code when this database does not hold it, 村不详 for no code."""
    if not code:
        return "村不详"
    name = division_name(code)
    return short_name(name) if name else code


def find_villages(text: str) -> list[AdminDivision]:
    """The office's villages that ``text`` names: the 12-digit code, its last digits, the name,
    the short name, or the start of the name's pinyin initials (ljz for 李家庄村)."""
    from .names import pinyin

    text = unicodedata.normalize("NFKC", text).strip()  # ２０３, ＬＪＺ as an input method types them
    if not text:
        return []
    found = []
    for v in villages():
        initials = "".join(pinyin(c)[:1] for c in v.name)
        if (
            v.code == text
            or (text.isdigit() and v.code.endswith(text))
            or text in v.name
            or (text.isascii() and text.isalpha() and initials.startswith(text.lower()))
        ):
            found.append(v)
    exact = [v for v in found if text in (v.code, v.name, short_name(v.name))]
    return exact or found


def village_resolver() -> Callable[[str], str]:
    """A function giving the 12-digit code of the office's village that a list's village cell names
    (its code, its name with or without 村民委员会/村委会/居委会, or the name without 村 or 社区),
    ``""`` when it names none or several. Built once per import: it holds the office's villages."""

    def core(name: str) -> str:
        base = short_name(name)
        for tail in ("社区", "村", "居"):
            if base.endswith(tail) and len(base) > len(tail) + 1:
                return base[: -len(tail)]
        return base

    by_code: dict[str, str] = {}
    by_name: dict[str, set[str]] = {}
    for v in villages():
        by_code[v.code] = v.code
        for key in {v.name, short_name(v.name), core(v.name)}:
            by_name.setdefault(key, set()).add(v.code)
    seen: dict[str, str] = {}

    def resolve(text: str) -> str:
        if text in seen:
            return seen[text]
        clean = "".join(unicodedata.normalize("NFKC", text).split())
        code = by_code.get(clean, "")
        if not code:
            for key in (clean, short_name(clean), core(clean)):
                found = by_name.get(key, set())
                if len(found) == 1:
                    code = next(iter(found))
                    break
        seen[text] = code
        return code

    return resolve


def live_counts() -> dict[str, int]:
    """Live (not tombstoned) rows: ``{"household": n, "person": n, "birth": n}``; a person another
    township reports (填报单位, :mod:`storage.decisions`), her birth, and a household of nobody else
    are not counted.

    Counted on the partial indexes of live rows (schema 5): about 10 ms for 200,000 persons, where
    peewee's ``.count()`` (a subquery selecting every column) read the whole table (80 ms). Screens
    still call it from a worker.
    """
    from peewee import SQL, fn

    from .models import Birth, Household, Person

    # "deleted = 0" as a literal: SQLite uses a partial index only when it can see the value
    live = SQL("deleted = 0")
    counts = {m._meta.table_name: m.select(fn.COUNT(SQL("*"))).where(live).scalar() for m in (Household, Person, Birth)}
    for elsewhere in reported_elsewhere().values():
        for table, n in elsewhere.items():
            counts[table] -= n
    return counts


REPORTED_ELSEWHERE = {
    "person": "SELECT origin, count(*) FROM person WHERE deleted = 0 AND uid IN (SELECT person_uid FROM report_unit) "
    "GROUP BY origin",
    "birth": "SELECT b.origin, count(*) FROM birth b JOIN person p ON p.id = b.child_id WHERE b.deleted = 0 "
    "AND p.uid IN (SELECT person_uid FROM report_unit) GROUP BY b.origin",
    # a household whose every live member is reported elsewhere (a one-person household keyed for her)
    "household": """SELECT h.origin, count(*) FROM household h WHERE h.deleted = 0
        AND EXISTS (SELECT 1 FROM person p WHERE p.household_id = h.id AND p.deleted = 0)
        AND NOT EXISTS (SELECT 1 FROM person p WHERE p.household_id = h.id AND p.deleted = 0
                        AND p.uid NOT IN (SELECT person_uid FROM report_unit))
        GROUP BY h.origin""",
}


def reported_elsewhere() -> dict[str, dict[str, int]]:
    """Live rows not counted where they were keyed because the county decided another township
    reports the person (不在本乡镇填报, 填报单位; issue 18), per origin office: ``{origin: {"household":
    n, "person": n, "birth": n}}`` — the persons marked, the births of children marked, and households
    whose every live member is marked. Empty (one cheap query) where nobody is marked. The home
    screen's counts (:func:`live_counts`) and the county's progress (:mod:`storage.county`) both
    subtract them."""
    from .models import ReportUnit, database

    if not ReportUnit.select().exists():
        return {}
    out: dict[str, dict[str, int]] = {}
    for table, sql in REPORTED_ELSEWHERE.items():
        for origin, n in database.execute_sql(sql):
            out.setdefault(origin, {"household": 0, "person": 0, "birth": 0})[table] = n
    return out
