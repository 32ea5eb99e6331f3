"""A county's first import sets its search indexes aside and builds them again (issue 18, item 7;
:mod:`storage.bulk`): through the CLI with real bundles, a bundle refused in the middle of the batch,
and a batch stopped halfway whose indexes the next start builds again — never while a batch runs."""

from __future__ import annotations

import copy
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from storage import bulk
from storage.db import close_db, open_db
from storage.forms import form_to_dict
from storage.office import init_office

from .cli_office import Office
from .conftest import reference_input

ROOT = Path(__file__).resolve().parent.parent
COUNTY, T1, T3 = "130123", "130123103", "130123104"
SHARED_ID = "130123198707220046"  # 王秀英 of the reference household, keyed again in 南岗镇


def _indexes(db: Path) -> list[str]:
    con = sqlite3.connect(str(db))
    try:
        rows = con.execute("select name from sqlite_master where type='index' and sql is not null")
        return sorted(r[0] for r in rows)
    finally:
        con.close()


def _fresh_indexes(tmp: Path) -> list[str]:
    fresh = tmp / "fresh.sqlite"
    init_office(fresh, COUNTY)
    close_db()
    return _indexes(fresh)


def _key(office: Office, tmp: Path, form: dict) -> None:
    path = tmp / f"form-{office.code}.json"
    path.write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")
    office.cli("household", "add", str(path), "--confirm")


def _county_with_a_bundle(tmp_path: Path) -> tuple[Office, list[str]]:
    """A county and a township registered with each other, the reference household keyed there and
    exported: ``(county, the township's bundle paths)``."""
    runner = CliRunner()
    county, town = Office(tmp_path, COUNTY, runner), Office(tmp_path, T1, runner)
    county.add(town)
    town.add(county)
    _key(town, tmp_path, form_to_dict(reference_input()))
    return county, town.export()


def test_worth_it_by_the_batch_and_the_database():
    assert bulk.worth_it(100_000_000, 0)  # a county's first import of 30 townships (bench/county.py)
    assert not bulk.worth_it(6_600_000, 900_000)  # a weekly import of 30 × 2,000 into a full county
    assert not bulk.worth_it(1_000_000, 0)  # a few townships' small bundles: under SUSPEND_FROM
    assert bulk.worth_it(bulk.SUSPEND_FROM * bulk.BUNDLE_BYTES_PER_PERSON, bulk.SUSPEND_FROM)
    assert not bulk.worth_it(bulk.SUSPEND_FROM * bulk.BUNDLE_BYTES_PER_PERSON, bulk.SUSPEND_FROM + 1)


def test_first_import_sets_search_indexes_aside_and_builds_them_again(tmp_path, monkeypatch):
    runner = CliRunner()
    county = Office(tmp_path, COUNTY, runner)
    t1, t3 = Office(tmp_path, T1, runner), Office(tmp_path, T3, runner)
    for town in (t1, t3):
        county.add(town)
        town.add(county)
    _key(t1, tmp_path, form_to_dict(reference_input()))
    form = form_to_dict(reference_input())
    (village,) = t3.sql(f"select code from admin_division where level = 5 and code like '{T3}%' limit 1")
    form.update(village_code=village[0], births=[])
    form["members"] = [dict(form["members"][1], relation_to_head="02")]  # 王秀英 again, in 南岗镇
    _key(t3, tmp_path, form)
    bundles = t1.export() + t3.export()
    garbage = tmp_path / "hecha-broken.zip"
    garbage.write_bytes(b"PK\x03\x04 not a bundle")

    monkeypatch.setattr(bulk, "BUNDLE_BYTES_PER_PERSON", 1)  # these small bundles count as a first import
    monkeypatch.setattr(bulk, "SUSPEND_FROM", 1)
    seen: list[tuple[list[str], list[str]]] = []
    import export.bundle

    real = export.bundle.import_bundle

    def watched(path, keys, **kw):
        present = export.bundle.database.execute_sql("select name from sqlite_master where type='index'")
        seen.append((bulk.suspended(), [r[0] for r in present.fetchall()]))
        return real(path, keys, **kw)

    monkeypatch.setattr(export.bundle, "import_bundle", watched)
    res = county.cli("import-bundle", str(garbage), *bundles, ok=False)
    assert res.exit_code == 1 and "拒绝" in res.output, res.output  # the broken file refused, the rest taken
    assert res.output.count("已导入") == 2, res.output
    assert "先停用检索索引" in res.output and "正在重建检索索引（姓名）" in res.output, res.output
    assert len(seen) == 3  # the broken file too: import_bundle opens it, and refuses it
    for aside, present in seen:
        assert aside == list(bulk.SUSPENDABLE)
        assert not set(bulk.SUSPENDABLE) & set(present)
    assert _indexes(county.db) == _fresh_indexes(tmp_path)
    assert county.sql("select count(*) from suspended_index") == [(0,)]
    # what the indexes and name keys are for works: the person keyed in both townships is found twice
    uids = dict(county.sql(f"select origin, uid from person where id_number = '{SHARED_ID}'"))
    dups = county.cli("duplicates").output
    assert uids[T1] in dups and uids[T3] in dups, dups
    assert county.sql("select count(*) from person_key")[0][0] >= 5 * 2

    # a weekly bundle into a county holding more persons (5) than it brings keeps the indexes, though
    # the inbox still holds last week's bundles (a helper's finding: they were counted as new)
    t1.cli("person", "set", "130123198503140036", "name=李建华", "--reason", "核对")
    (weekly,) = t1.export()
    monkeypatch.setattr(bulk, "BUNDLE_BYTES_PER_PERSON", Path(weekly).stat().st_size // 4 + 1)  # about 3 persons
    assert bulk.worth_it(sum(Path(p).stat().st_size for p in [*bundles, weekly]), 5)  # all counted: would
    seen.clear()
    out = county.take([*bundles, weekly])
    assert out.count("已导入过") == 2 and "重建" not in out and "停用" not in out, out
    assert seen and all(aside == [] for aside, _ in seen)


def test_a_batch_stopped_halfway_gets_its_indexes_back_at_the_next_start(tmp_path):
    db = tmp_path / "county.sqlite"
    init_office(db, COUNTY)
    open_db(db)
    assert bulk.suspend() == list(bulk.SUSPENDABLE)
    close_db()  # the batch dies here: nothing builds them again
    assert not set(bulk.SUSPENDABLE) & set(_indexes(db))

    with bulk.running(db):  # a batch is running: another process opening the database leaves them
        opened = subprocess.run(
            [sys.executable, "-c", f"from storage.db import open_db; open_db({str(db)!r})"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert opened.returncode == 0, opened.stderr
        assert not set(bulk.SUSPENDABLE) & set(_indexes(db))

    open_db(db)  # nobody runs a batch: the next start builds them
    assert bulk.suspended() == []
    close_db()
    assert _indexes(db) == _fresh_indexes(tmp_path)


def test_suspending_twice_and_restoring_an_index_already_there(tmp_path):
    db = tmp_path / "county.sqlite"
    init_office(db, COUNTY)
    open_db(db)
    bulk.suspend()
    assert bulk.suspend() == []  # nothing left to set aside
    from storage.models import database

    database.execute_sql('CREATE INDEX "person_name_norm" ON "person" ("name_norm")')  # built by hand meanwhile
    assert bulk.restore() == list(bulk.SUSPENDABLE)
    assert bulk.suspended() == []
    close_db()
    assert _indexes(db) == _fresh_indexes(tmp_path)


def _hold_write_lock(db: Path, seconds: float):
    """Another program's write transaction on ``db``, let go after ``seconds`` (a thread)."""
    import threading

    con = sqlite3.connect(str(db), isolation_level=None, check_same_thread=False)
    con.execute("BEGIN IMMEDIATE")

    def let_go() -> None:
        con.execute("COMMIT")
        con.close()

    timer = threading.Timer(seconds, let_go)
    timer.start()
    return timer


def test_restore_waits_for_another_writer_and_a_start_never_fails_for_one(tmp_path, monkeypatch):
    db = tmp_path / "county.sqlite"
    init_office(db, COUNTY)
    open_db(db)
    bulk.suspend()
    holder = _hold_write_lock(db, 0.5)  # a helper's finding: restore failed at once, "database is locked"
    assert bulk.restore() == list(bulk.SUSPENDABLE)
    holder.join()
    bulk.suspend()
    close_db()

    import storage.db as dbmod

    monkeypatch.setattr(dbmod, "PRAGMAS", [("busy_timeout", 50), *dbmod.PRAGMAS[1:]])
    monkeypatch.setattr(bulk, "RESTORE_TRIES", 1)
    holder = _hold_write_lock(db, 30)
    try:
        open_db(db)  # someone writes for long: this start opens anyway, the indexes wait for the next
        assert bulk.suspended() == list(bulk.SUSPENDABLE)
    finally:
        holder.cancel()
        holder.function()
    close_db()
    open_db(db)
    assert bulk.suspended() == []


def test_the_review_waits_while_the_indexes_are_aside(tmp_path):
    db = tmp_path / "county.sqlite"
    init_office(db, COUNTY)
    open_db(db)
    bulk.suspend()
    close_db()
    with bulk.running(db):  # a batch runs
        from main import cli

        res = CliRunner().invoke(cli, ["duplicates", "--db", str(db)])
    assert res.exit_code == 0, res.output  # a helper's finding: a traceback (no such index)
    assert "正在成批导入数据包" in res.output, res.output


def test_a_bundle_another_program_imported_meanwhile_is_already_imported(tmp_path, monkeypatch):
    runner = CliRunner()
    county = Office(tmp_path, COUNTY, runner)
    t1 = Office(tmp_path, T1, runner)
    county.add(t1)
    t1.add(county)
    _key(t1, tmp_path, form_to_dict(reference_input()))
    (bundle,) = t1.export()
    import export.bundle

    real = export.bundle._decrypt

    def and_meanwhile(b, keys):  # the other program imports the same bundle between the checks and the write
        done = subprocess.run(
            [sys.executable, "main.py", "import-bundle", bundle, "--db", str(county.db)],
            cwd=ROOT,
            env={**os.environ, "HECHA_PASSPHRASE_FILE": str(county.secret)},
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0 and "已导入" in done.stderr + done.stdout, done.stderr
        return real(b, keys)

    monkeypatch.setattr(export.bundle, "_decrypt", and_meanwhile)
    res = county.cli("import-bundle", bundle)  # a helper's finding: B14, UNIQUE constraint failed
    assert "已导入过" in res.output and "拒绝" not in res.output, res.output
    assert county.sql("select count(*) from bundle_refusal") == [(0,)]
    assert county.sql("select count(*) from person") == [(4,)]


def test_the_batch_lock_is_the_same_however_the_path_is_spelled(tmp_path):
    from storage.db import in_use_file

    (tmp_path / "real").mkdir()
    (tmp_path / "alias").mkdir()
    db = tmp_path / "real" / "county.sqlite"
    init_office(db, COUNTY)
    close_db()
    alias = tmp_path / "alias" / "county.sqlite"
    alias.symlink_to(db)
    assert bulk.lock_file(alias) == bulk.lock_file(db) and in_use_file(alias) == in_use_file(db)
    with bulk.running(alias):  # a helper's finding: a start by the real path rebuilt them mid-batch
        try:
            with bulk.running(db):
                raise AssertionError("a second batch lock by the real path")
        except BlockingIOError:
            pass


def _triggers(office: Office) -> list[tuple[str, str]]:
    return sorted(office.sql("select name, sql from sqlite_master where type = 'trigger'"))


def test_every_insert_trigger_of_a_merged_table_has_its_bulk_effect(tmp_path):
    """A trigger added by a later migration without its entry in INSERT_TRIGGER_EFFECTS would keep
    its table's triggers on (never wrong, but the merge slow again): name it there."""
    db = tmp_path / "county.sqlite"
    init_office(db, COUNTY)
    close_db()
    con = sqlite3.connect(str(db))
    found = {
        name
        for name, sql in con.execute("select name, sql from sqlite_master where type = 'trigger'")
        if " INSERT ON " in sql and sql.split(" INSERT ON ")[1].split()[0].strip('"') in MERGED
    }
    con.close()
    assert found == set(bulk.INSERT_TRIGGER_EFFECTS)


MERGED = ("household", "person", "birth", "woman_fp", "migration")


def test_a_merge_with_its_insert_triggers_aside_leaves_what_the_triggers_would(tmp_path, monkeypatch):
    """Two counties import the same bundles: one with the INSERT triggers set aside for every
    insert, one with them firing row by row. The duplicate review's dirty list and the kept checks
    come out the same, and so do the triggers themselves."""
    runner = CliRunner()
    aside, town = Office(tmp_path, COUNTY, runner), Office(tmp_path, T1, runner)
    aside.add(town)
    town.add(aside)
    close_db()
    firing = copy.copy(aside)  # the same county, keys and all, in a second file
    firing.db = tmp_path / "twin.sqlite"
    shutil.copy(aside.db, firing.db)
    _key(town, tmp_path, form_to_dict(reference_input()))
    bundles = town.export()
    before = _triggers(aside)
    for county in (aside, firing):  # kept checks where the bundle's household will go (id 1), and others
        county.sql("select 1")
        con = sqlite3.connect(str(county.db))
        con.executemany(
            "insert into household_check (household_id, key, errors, at) values (?, 'k', 0, 'x')", [(1,), (2,), (99,)]
        )
        con.commit()
        con.close()
    calls: list[str] = []
    original = bulk.TriggersAside.inserted

    def counted(self, table, first_id, last_id, *, insert):
        calls.append(table)
        return original(self, table, first_id, last_id, insert=insert)

    monkeypatch.setattr(bulk.TriggersAside, "inserted", counted)
    monkeypatch.setattr(bulk, "TRIGGERS_ASIDE_FROM", 1)
    aside.take(bundles)
    assert {"person", "household", "birth"} <= set(calls)
    monkeypatch.setattr(bulk, "TRIGGERS_ASIDE_FROM", 10**9)
    firing.take(bundles)
    dirty = "select person_id from dup_dirty order by seq"
    assert aside.sql(dirty) == firing.sql(dirty)
    assert len(aside.sql(dirty)) > len(aside.sql("select id from person"))  # persons, then births' children
    checks = "select household_id from household_check order by household_id"
    assert aside.sql(checks) == firing.sql(checks) == [(2,), (99,)]  # the one household merged: checked again
    assert _triggers(aside) == before == _triggers(firing)


def test_a_merge_that_fails_with_its_triggers_aside_keeps_them(tmp_path, monkeypatch):
    """The triggers are dropped inside the bundle's transaction: a failure after the first insert
    rolls them back with the rows, and the next import of the same bundle goes through."""
    county, bundles = _county_with_a_bundle(tmp_path)
    before = _triggers(county)
    monkeypatch.setattr(bulk, "TRIGGERS_ASIDE_FROM", 1)
    import export.merge

    def broken(rows, **kwargs):
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(export.merge, "index_rows", broken)  # after the first persons went in
    failed = county.cli("import-bundle", *bundles, ok=False)
    assert failed.exit_code != 0
    assert county.sql("select count(*) from person") == [(0,)]
    assert _triggers(county) == before
    monkeypatch.undo()
    county.take(bundles)
    assert county.sql("select count(*) from person")[0][0] > 0
    assert _triggers(county) == before


def test_a_failure_while_the_triggers_come_back_does_not_hide_the_first(tmp_path, monkeypatch):
    """Leaving by an error, TriggersAside creates the triggers again; when that fails too (the disk,
    the lock), the first error is the one raised, and the rollback keeps the triggers."""
    import pytest

    from storage.db import write_txn

    db = tmp_path / "county.sqlite"
    init_office(db, COUNTY)
    open_db(db)
    con = sqlite3.connect(str(db))
    before = sorted(con.execute("select name, sql from sqlite_master where type = 'trigger'").fetchall())
    con.close()
    original = bulk.database.execute_sql

    def failing(sql, *args, **kwargs):
        if sql.startswith("CREATE TRIGGER IF NOT EXISTS"):
            raise sqlite3.OperationalError("disk I/O error")
        return original(sql, *args, **kwargs)

    with pytest.raises(RuntimeError, match="the first error"):
        with write_txn(), bulk.TriggersAside() as aside:
            aside.inserted("person", 1, 500, insert=lambda: None)
            assert aside.aside  # set aside: the person table's INSERT triggers are gone for now
            monkeypatch.setattr(bulk.database, "execute_sql", failing)
            raise RuntimeError("the first error")
    monkeypatch.undo()
    close_db()
    con = sqlite3.connect(str(db))
    assert sorted(con.execute("select name, sql from sqlite_master where type = 'trigger'").fetchall()) == before
    con.close()


def test_a_batch_whose_indexes_cannot_be_set_aside_for_the_lock_imports_with_them(tmp_path, monkeypatch):
    """Another program holds the write lock when a first import would set the indexes aside (a
    helper's finding: a traceback, and nothing imported): the batch keeps them and goes on."""
    import peewee as pw

    county, bundles = _county_with_a_bundle(tmp_path)
    monkeypatch.setattr(bulk, "BUNDLE_BYTES_PER_PERSON", 1)  # a first import
    monkeypatch.setattr(bulk, "SUSPEND_FROM", 1)

    def locked() -> list[str]:
        raise pw.OperationalError("database is locked")

    monkeypatch.setattr(bulk, "suspend", locked)
    res = county.cli("import-bundle", *bundles)
    assert "检索索引不停用" in res.output and "Traceback" not in res.output, res.output
    assert county.sql("select count(*) from person") == [(4,)]
    assert _indexes(county.db) == _fresh_indexes(tmp_path)


def test_a_manifest_nested_thousands_deep_is_refused_and_the_rest_of_the_folder_imported(tmp_path):
    """A file anyone can drop in the inbox: three members named right, the manifest ``[[[…]]]`` 3,000
    deep, read before any signature (a helper's finding: RecursionError ended the whole batch)."""
    from .forge import read_parts, write_zip

    county, (bundle,) = _county_with_a_bundle(tmp_path)
    parts = read_parts(Path(bundle))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(bundle, inbox)
    deep = [(n, b"[" * 3000 + b"]" * 3000 if n == "manifest.json" else parts[n]) for n in parts]
    write_zip(inbox / "hecha-deep.zip", deep)
    res = county.cli("import-bundle", str(inbox), ok=False)
    assert "B02" in res.output and "嵌套过深" in res.output and "Traceback" not in res.output, res.output
    assert county.sql("select count(*) from person") == [(4,)]
