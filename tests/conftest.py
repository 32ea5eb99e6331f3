"""Shared fixtures: offices with real keys, made once per test session and copied per test.

Making and opening age passphrase-protected keys costs seconds (scrypt), so the session builds a
county (正定县 130123) and a township (新安镇 130123103) that have registered each other, unlocks
their keys once, and each test works on fresh copies of the two database files.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from export import keys as keymod
from storage.db import close_db, open_db
from storage.households import BirthInput, HouseholdInput, MemberInput, WomanInput
from storage.office import init_office

os.umask(0o077)  # the suite writes its databases as hecha does: readable by their owner only (issue 14)


@pytest.fixture(autouse=True)
def _private_umask():
    """Every test starts with the suite's umask: a command run in-process on a group's folder sets
    the process umask to 007 (storage.paths.keep_private), which would leak into the next test."""
    os.umask(0o077)
    yield
    os.umask(0o077)


ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
COUNTY = "130123"
TOWNSHIP = "130123103"
COUNTY_PASS = "county-passphrase"
TOWNSHIP_PASS = "township-passphrase"


def keystroke_sequence(ref: dict) -> list[str]:
    """The keys of ``bench/keystrokes.py`` for the reference household ``ref`` (Textual key names)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("keystrokes", ROOT / "bench" / "keystrokes.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return list(bench.sequence(ref))


def assert_reference_household_stored(ref: dict) -> None:
    """Every typed and derived value of the reference household ``ref`` is in the open database as
    the file gives it (the household, each member with her woman's page, the birth)."""
    from storage.models import Birth, Household, Person, WomanFP

    hh = Household.get()
    for field, value in {**ref["household"]["typed"], **ref["household"]["derived"]}.items():
        assert str(getattr(hh, field)) == value, field
    people = {p.name: p for p in Person.select()}
    for m in ref["members"]:
        person = people[m["typed"]["name"]]
        for field, value in {**m["typed"], **m["derived"]}.items():
            stored = getattr(person, field, None)
            if stored is None:  # a field of her woman's page (section 三)
                stored = getattr(WomanFP.get(WomanFP.person == person), field)
            assert str(stored).replace("-", "") == str(value).replace("-", ""), (m["typed"]["name"], field)
    birth = Birth.get()
    by_id = {p.id: p.name for p in Person.select()}
    for field, value in {**ref["births"][0]["typed"], **ref["births"][0]["derived"]}.items():
        stored = getattr(birth, field)
        stored = by_id[stored.id] if field in ("child", "mother", "father") else stored
        assert str(stored).replace("-", "") == str(value).replace("-", ""), field


def reference_household() -> dict:
    """The reference household of ``../shared/data/reference-household.json`` (beside the checkout)."""
    path = SHARED / "data" / "reference-household.json"
    if not path.exists():
        pytest.fail(f"{path} not found: the tests need the project's shared/ folder beside the checkout")
    return json.loads(path.read_text(encoding="utf-8"))


def reference_input(complete: bool = False) -> HouseholdInput:
    """The reference household as the form's input: names, IDs, relations, ethnicity, residence and
    the births' keys; ``complete`` adds every other field the reference has as typed (as the
    TUI tests key it: household page, marriage and education, her page, the birth's codes)."""
    ref = reference_household()
    hh = ref["household"]["typed"]
    members = []
    for m in ref["members"]:
        t = m["typed"]
        fields: tuple[str, ...] = ("name", "id_number", "relation_to_head", "ethnicity", "residence_status")
        fields += ("marital_status", "education", "first_marriage_date") if complete else ()
        member = MemberInput(**{k: t[k] for k in fields if k in t})
        if complete and "contraception" in t:
            member.fp = WomanInput(contraception=t["contraception"], contraception_start=t["contraception_start"])
        members.append(member)
    names = [m.name for m in members]
    births = [
        BirthInput(
            mother=names.index(b["typed"]["mother"]) + 1,
            child=names.index(b["typed"]["child"]) + 1,
            father=names.index(b["derived"]["father"]) + 1,
            birth_order=int(b["typed"]["birth_order"]),
            birth_cert_no=b["typed"]["birth_cert_no"],
            **({k: b["typed"][k] for k in ("outcome", "birth_place_kind", "policy_attribute")} if complete else {}),
        )
        for b in ref["births"]
    ]
    extra = {k: hh[k] for k in ("household_kind", "hukou_type", "phone")} if complete else {}
    return HouseholdInput(
        hh["village_code"], hh["group_no"], hh["address_detail"], hh["form_no"], members, births, **extra
    )


def dump_db(path: Path) -> str:
    """Every row of the database as SQL text, to prove an operation changed nothing."""
    con = sqlite3.connect(str(path))
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


@dataclass
class Offices:
    """Copies of the session's county and township databases for one test."""

    county_db: Path
    township_db: Path
    county_keys: keymod.UnlockedKeys
    township_keys: keymod.UnlockedKeys
    tmp: Path

    def use_county(self) -> None:
        open_db(self.county_db)

    def use_township(self) -> None:
        open_db(self.township_db)


@pytest.fixture(scope="session")
def office_templates(tmp_path_factory):
    base = tmp_path_factory.mktemp("offices")
    county_db, township_db = base / "county.sqlite", base / "township.sqlite"
    init_office(county_db, COUNTY)
    open_db(county_db)
    recovery = keymod.create_keys(COUNTY_PASS)
    county_pub = keymod.own_public()
    county_keys = keymod.unlock(COUNTY_PASS)
    init_office(township_db, TOWNSHIP)
    open_db(township_db)
    keymod.create_keys(TOWNSHIP_PASS)
    township_pub = keymod.own_public()
    township_keys = keymod.unlock(TOWNSHIP_PASS)
    keymod.register_peer(county_pub)
    open_db(county_db)
    keymod.register_peer(township_pub)
    close_db()
    for db in (county_db, township_db):  # fold the WAL into the file so a plain copy is complete
        con = sqlite3.connect(str(db))
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
    return dict(
        base=base,
        county_db=county_db,
        township_db=township_db,
        county_keys=county_keys,
        township_keys=township_keys,
        recovery=recovery,
        county_pub=county_pub,
        township_pub=township_pub,
    )


@pytest.fixture
def offices(office_templates, tmp_path) -> Iterator[Offices]:
    c, t = tmp_path / "county.sqlite", tmp_path / "township.sqlite"
    shutil.copy(office_templates["county_db"], c)
    shutil.copy(office_templates["township_db"], t)
    yield Offices(c, t, office_templates["county_keys"], office_templates["township_keys"], tmp_path)
    close_db()


@pytest.fixture
def demo_db(tmp_path) -> Iterator[Path]:
    """A fresh demo township database (what ``hecha demo`` makes, which alone takes demo data), open."""
    path = tmp_path / "demo.sqlite"
    init_office(path, TOWNSHIP, demo=True)
    open_db(path)
    yield path
    close_db()


@pytest.fixture
def township_db(tmp_path) -> Iterator[Path]:
    """A fresh township database (新安镇) without keys, open."""
    path = tmp_path / "t.sqlite"
    init_office(path, TOWNSHIP)
    open_db(path)
    yield path
    close_db()


def require_tool(name: str) -> str:
    """The path of an external tool; skip without it, except on CI (CI=true), where it must exist."""
    found = shutil.which(name)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not installed: .ci/run must install it")
    pytest.skip(f"{name} not installed")


HEAVY_FIRST = (
    "test_platform.py",
    "test_kills.py",
    "test_bench.py",
    "test_kit.py",
    "test_tui.py",
    "test_county_week.py",
)
"""Files whose tests take tens of seconds each: run first, so that the workers (``-n 4 --dist
worksteal``, dev.sh) end together instead of one waiting on a long test that started last."""


def pytest_collection_modifyitems(items):
    """Put the tests of :data:`HEAVY_FIRST` first, in that order (the rest keep theirs)."""
    last = len(HEAVY_FIRST)
    items.sort(key=lambda item: HEAVY_FIRST.index(item.path.name) if item.path.name in HEAVY_FIRST else last)
