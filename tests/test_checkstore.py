"""The export gate trusts a household's kept check only while nothing it depended on changed (issue 19;
:mod:`storage.checkstore`): saved through the form and unchanged, it is not checked again; changed
outside the form, moved, under another reference date or with another check kept, it is."""

from __future__ import annotations

import datetime as dt

import pytest

import storage.check
from export.bundle import ExportBlocked, export_bundle
from storage import checkstore
from storage.db import write_txn
from storage.households import save_household
from storage.models import Household, HouseholdCheck, Migration, Office, Person, WomanFP, new_uid
from storage.office import set_reference_date

from .conftest import reference_input


@pytest.fixture
def counted(monkeypatch):
    """How many households the gate's check_database looked at."""
    seen: list[int] = []
    real = storage.check.load_households

    def load(page):
        seen.extend(hh.id for hh in page)
        return real(page)

    monkeypatch.setattr(storage.check, "load_households", load)
    return seen


def _raise_version(sql: str) -> None:
    """A change made outside the form, as a county decision or ``hecha person set`` makes it: the
    row's version raised to the office's next."""
    with write_txn():
        office = Office.get()
        office.version_counter += 1
        office.save()
        Person._meta.database.execute_sql(sql.format(version=office.version_counter))


def test_a_household_saved_through_the_form_is_not_checked_again(offices, counted):
    offices.use_township()
    hh = save_household(reference_input())
    assert HouseholdCheck.get_by_id(hh.id).errors == 0
    assert checkstore.unchanged_clean([hh.id]) == {hh.id}
    export_bundle(offices.township_keys, offices.tmp / "out")
    assert counted == []


def test_a_change_outside_the_form_is_checked_and_an_error_refuses_the_export(offices, counted):
    offices.use_township()
    hh = save_household(reference_input())
    _raise_version(
        "UPDATE person SET residence_status = '2', version = {version} WHERE name = '李浩然'"
    )  # 流出, no episode
    assert checkstore.unchanged_clean([hh.id]) == set()
    with pytest.raises(ExportBlocked, match="还有 1 处错误"):
        export_bundle(offices.township_keys, offices.tmp / "out")
    assert counted == [hh.id]
    assert HouseholdCheck.get_by_id(hh.id).errors == 1  # kept: the next gate checks it again too
    assert checkstore.unchanged_clean([hh.id]) == set()


def test_any_change_to_its_rows_forgets_a_kept_check_whoever_makes_it(offices, counted):
    offices.use_township()
    hh = save_household(reference_input())
    other = Household.get_by_id(hh.id)  # a second household, written as it was
    other.id, other.uid, other.serial = None, new_uid(), 9999
    other.household_code = other.household_code[:-4] + "9999"
    other.save(force_insert=True)
    checkstore.keep_results({hh.id: 0, other.id: 0})
    db = Person._meta.database
    with write_txn():  # a member moved by hand, no version raised: both households forget
        db.execute_sql("UPDATE person SET household_id = ? WHERE household_id = ? AND seq = 3", (other.id, hh.id))
    assert checkstore.unchanged_clean([hh.id, other.id]) == set()
    for sql in (  # each table, through the household's own rows or its persons'
        "UPDATE household SET address_detail = 'x' WHERE id = {h}",
        "UPDATE birth SET birth_cert_no = 'x' WHERE household_id = {h}",
    ):
        checkstore.keep_results({hh.id: 0})
        with write_txn():
            db.execute_sql(sql.format(h=hh.id))
        assert checkstore.unchanged_clean([hh.id]) == set(), sql
    wife = Person.get((Person.household == hh.id) & (Person.seq == 2))
    for model in (WomanFP, Migration):  # a page added to a member, then changed: through the person
        checkstore.keep_results({hh.id: 0})
        extra = {"direction": "2"} if model is Migration else {}
        page = model.create(
            person=wife, uid=new_uid(), origin="130123103", version=1, updated_at="", updated_by="", **extra
        )
        assert checkstore.unchanged_clean([hh.id]) == set(), model
        checkstore.keep_results({hh.id: 0})
        model.update(confirmed="x").where(model.id == page.id).execute()
        assert checkstore.unchanged_clean([hh.id]) == set(), model
    # a hand edit that plants an error, no version raised: the first export still carries it and is refused
    checkstore.keep_results({hh.id: 0, other.id: 0})  # 李浩然 lives in the second household now
    with write_txn():
        db.execute_sql("UPDATE person SET residence_status = '2' WHERE name = '李浩然'")
    counted.clear()
    with pytest.raises(ExportBlocked, match="不能导出.*130123103203039999 第1人 居住状况"):
        export_bundle(offices.township_keys, offices.tmp / "out")
    assert other.id in counted


def test_another_reference_date_or_rules_check_again(offices, counted, monkeypatch):
    offices.use_township()
    hh = save_household(reference_input())
    set_reference_date(dt.date(2026, 6, 30))  # ages judged at another day: every kept check is stale
    assert checkstore.unchanged_clean([hh.id]) == set()
    export_bundle(offices.township_keys, offices.tmp / "out")
    assert counted == [hh.id]
    assert checkstore.unchanged_clean([hh.id]) == {hh.id}  # the gate kept what it found
    checkstore._rules.cache_clear()
    monkeypatch.setattr(checkstore, "_rules", lambda: "another release")
    assert checkstore.unchanged_clean([hh.id]) == set()


def test_hecha_check_keeps_what_it_found(offices):
    from click.testing import CliRunner

    from main import cli

    offices.use_township()
    save_household(reference_input())
    HouseholdCheck.delete().execute()
    res = CliRunner().invoke(cli, ["check", "--db", str(offices.township_db)])
    assert res.exit_code == 0, res.output
    offices.use_township()
    ids = [h.id for h in Household.select()]
    assert ids and checkstore.unchanged_clean(ids) == set(ids)


def test_a_row_replaced_by_hand_forgets_the_check_of_the_household_it_left(offices):
    """INSERT OR REPLACE deletes without firing DELETE triggers (a helper's finding): schema 29."""
    offices.use_township()
    hh = save_household(reference_input())
    db = Person._meta.database
    db.pragma("foreign_keys", 0)  # as a hand session in sqlite3 has it

    def replace_by_hand(table: str, where: str, change: str) -> None:
        """A row copied out, changed, and put back over itself with INSERT OR REPLACE."""
        db.execute_sql(f"CREATE TEMP TABLE copy_{table} AS SELECT * FROM {table} WHERE {where}")
        db.execute_sql(f"UPDATE copy_{table} SET {change}")
        db.execute_sql(f"INSERT OR REPLACE INTO {table} SELECT * FROM copy_{table}")

    replace_by_hand("household", f"id = {hh.id}", "village_code = '130123103299'")
    assert checkstore.unchanged_clean([hh.id]) == set()
    checkstore.keep_results({hh.id: 0})
    replace_by_hand("person", f"household_id = {hh.id} AND seq = 1", "household_id = 999")
    assert checkstore.unchanged_clean([hh.id]) == set()
    db.pragma("foreign_keys", 1)


def test_without_a_reference_date_a_check_is_trusted_on_its_day_only(offices, monkeypatch):
    from storage import idnumber

    offices.use_township()
    set_reference_date(None)
    monkeypatch.setattr(idnumber, "real_day", lambda: dt.date(2026, 12, 5))
    hh = save_household(reference_input())
    assert checkstore.unchanged_clean([hh.id]) == {hh.id}
    monkeypatch.setattr(idnumber, "real_day", lambda: dt.date(2026, 12, 6))  # a woman may have turned 50
    assert checkstore.unchanged_clean([hh.id]) == set()


def test_divisions_renamed_check_again(offices):
    offices.use_township()
    hh = save_household(reference_input())
    with write_txn():  # the same number of divisions, one code another
        Person._meta.database.execute_sql(
            "UPDATE admin_division SET code = '130123103299' WHERE code = (SELECT max(code) FROM admin_division)"
        )
    assert checkstore.unchanged_clean([hh.id]) == set()


def test_an_edit_while_a_check_runs_is_not_covered_by_its_result(offices):
    """A check outside the write transaction marks its households first; an edit meanwhile forgets the
    mark and the result is not kept (a helper's finding: ``hecha check`` kept 0 errors over an edit)."""
    offices.use_township()
    hh = save_household(reference_input())
    key = checkstore.rules_key()
    checkstore.begin([hh.id])
    assert checkstore.unchanged_clean([hh.id]) == set()  # a check begun is not a result
    with write_txn():
        Person._meta.database.execute_sql(f"UPDATE person SET name = '李建华' WHERE household_id = {hh.id} AND seq = 1")
    checkstore.settle({hh.id: 0}, key)  # what the check read before the edit
    assert checkstore.unchanged_clean([hh.id]) == set()
    checkstore.begin([hh.id])
    checkstore.settle({hh.id: 0}, key)  # nothing changed this time
    assert checkstore.unchanged_clean([hh.id]) == {hh.id}


def test_a_precheck_under_another_reference_date_is_not_reused(offices, monkeypatch):
    import storage.households as households
    from storage.households import Precheck, fingerprint

    offices.use_township()
    h = reference_input()
    stale = Precheck(f"{fingerprint(h)}|{checkstore.rules_key()}", [])  # what a refusal carried
    set_reference_date(dt.date(2026, 6, 30))  # meanwhile, in another program
    ran = []
    real = households.check_household

    def counted_check(*a, **k):
        ran.append(1)
        return real(*a, **k)

    monkeypatch.setattr(households, "check_household", counted_check)
    save_household(h, precheck=stale)
    assert ran == [1]
