import datetime as dt
import shutil
import sqlite3
import subprocess
import sys

import pytest

from storage import audit
from storage import db as dbmod
from storage.dates import DateInputError, parse_typed
from storage.divisions import lookup, office_subtree, short_name
from storage.households import (
    DuplicatesNotConfirmed,
    MemberInput,
    ValidationFailed,
    load_household,
    save_household,
    update_person,
)
from storage.models import AuditLog, Birth, Household, Office, Person
from storage.office import init_office, villages

from .conftest import ROOT, reference_input


def test_init_takes_name_and_villages_from_the_nbs_table(township_db):
    office = Office.get()
    assert office.name == "新安镇" and office.level == "township" and office.county_code == "130123"
    codes = [v.code for v in villages()]
    assert "130123103203" in codes and all(c.startswith("130123103") for c in codes)
    village = lookup("130123103203")
    assert village is not None and short_name(village.name) == "李家庄村"


def test_init_refuses_unknown_codes_and_second_init(tmp_path, township_db):
    with pytest.raises(dbmod.DatabaseError, match="不在国家统计局"):
        init_office(tmp_path / "x.sqlite", "130123999")
    with pytest.raises(dbmod.DatabaseError, match="9位"):
        init_office(tmp_path / "y.sqlite", "12345")
    with pytest.raises(dbmod.DatabaseError, match="已经是"):
        init_office(township_db, "130123103")


def test_county_gets_its_townships():
    divs = office_subtree("130123")
    assert {d.code for d in divs if d.level == 4} >= {"130123103"}
    assert divs[0].code == "13"  # ancestors first


def test_pragmas_and_schema_version(township_db):
    con = dbmod.models.database
    assert con.pragma("journal_mode") == "wal"
    assert con.pragma("foreign_keys") == 1
    assert con.pragma("busy_timeout") == dbmod.BUSY_TIMEOUT_MS
    assert con.pragma("user_version") == dbmod.SCHEMA_VERSION


def test_newer_schema_is_refused_and_garbage_is_refused(tmp_path, township_db):
    dbmod.close_db()
    raw = sqlite3.connect(str(township_db))
    raw.execute(f"PRAGMA user_version = {dbmod.SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(dbmod.DatabaseError, match="升级 hecha"):
        dbmod.open_db(township_db)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(dbmod.DatabaseError, match="不是 SQLite 数据库文件"):
        dbmod.open_db(junk)
    assert junk.read_bytes() == b"this is not sqlite" * 100


def test_never_writes_into_another_programs_database(tmp_path):
    other = tmp_path / "contacts.sqlite"
    con = sqlite3.connect(str(other))
    con.execute("create table contacts (name text)")
    con.commit()
    con.close()
    before = other.read_bytes()
    with pytest.raises(dbmod.DatabaseError, match="别的程序"):
        dbmod.open_db(other)
    with pytest.raises(dbmod.DatabaseError, match="别的程序"):
        init_office(other, "130123103")
    assert other.read_bytes() == before
    tiny = tmp_path / "x.txt"
    tiny.write_bytes(b"x")
    with pytest.raises(dbmod.DatabaseError, match="不是 SQLite"):
        init_office(tiny, "130123103")
    assert tiny.read_bytes() == b"x"
    with pytest.raises(dbmod.DatabaseError, match="是文件夹"):
        dbmod.open_db(tmp_path)


def _rows(path, table, columns=None):
    con = sqlite3.connect(str(path))
    try:
        cols = columns or [r[1] for r in con.execute(f'pragma table_info("{table}")')]
        return cols, sorted(con.execute(f'select {", ".join(chr(34) + c + chr(34) for c in cols)} from "{table}"'))
    finally:
        con.close()


def test_a_skeleton_database_migrates_and_keeps_every_row(tmp_path):
    """tests/data/skeleton-v1.sqlite was written by the skeleton's own code (schema 1, hecha demo)."""
    old = tmp_path / "v1.sqlite"
    old.write_bytes((ROOT / "tests" / "data" / "skeleton-v1.sqlite").read_bytes())
    tables = ["office", "operator", "admin_division", "household", "person", "birth", "audit_log"]
    before = {t: _rows(old, t) for t in tables}
    assert sqlite3.connect(str(old)).execute("pragma user_version").fetchone() == (1,)
    dbmod.open_db(old)
    assert dbmod.models.database.pragma("user_version") == dbmod.SCHEMA_VERSION
    dbmod.close_db()
    for t in tables:
        cols, rows = before[t]
        assert _rows(old, t, cols)[1] == rows, t  # every row, every old column, unchanged
    dbmod.open_db(old)
    person = Person.select().first()
    assert person.vital_status == "1" and person.id_type == "01" and person.confirmed == ""
    assert Birth.select().first().plurality == 1
    backups = list((tmp_path / "backups").glob("*pre-migration-1-to-*.sqlite"))
    assert len(backups) == 1 and _rows(backups[0], "person")[1] == before["person"][1]
    # and the migrated schema is the one the models describe
    fresh = tmp_path / "fresh.sqlite"
    init_office(fresh, "130123103")
    dbmod.close_db()

    def schema(path):
        con = sqlite3.connect(str(path))
        names = [
            r[0] for r in con.execute("select name from sqlite_master where type='table' and name not like 'sqlite_%'")
        ]
        cols = {n: sorted((r[1], r[2], r[3]) for r in con.execute(f'pragma table_info("{n}")')) for n in names}
        idx = sorted(r[0] for r in con.execute("select name from sqlite_master where type='index' and sql is not null"))
        triggers = sorted(r[0] for r in con.execute("select sql from sqlite_master where type='trigger'"))
        return cols, idx, triggers

    assert schema(old) == schema(fresh)


def test_save_reference_household_stamps_and_audits(township_db):
    h = reference_input()
    hh = save_household(h, operator="clerk1")
    assert hh.household_code == "130123103203030001"
    people = list(Person.select().order_by(Person.seq))
    assert [p.name for p in people] == ["李建国", "王秀英", "李浩然", "李梓涵"]
    assert people[3].sex == "2" and people[3].birth_date == "2017-03-06"  # derived from the ID
    assert all(p.origin == "130123103" and p.updated_by == "clerk1" and len(p.uid) == 36 for p in people)
    birth = Birth.get()
    assert birth.mother.name == "王秀英" and birth.child.name == "李梓涵" and birth.father.name == "李建国"
    assert birth.birth_date == "2017-03-06" and birth.child_sex == "2" and birth.birth_cert_no == "M130456789"
    versions = sorted([hh.version] + [p.version for p in people] + [birth.version])
    assert versions == list(range(1, 7)) and Office.get().version_counter == 6
    assert AuditLog.select().where((AuditLog.uid == people[0].uid) & (AuditLog.field == "name")).get().new == "李建国"


def test_edit_writes_only_what_changed(township_db):
    h = reference_input()
    save_household(h)
    before = {p.uid: p.version for p in Person.select()}
    p = update_person("130123198707220046", {"name": "王秀瑛"}, reason="核对户口簿", operator="clerk2")
    after = {q.uid: q.version for q in Person.select()}
    assert [u for u in after if after[u] != before[u]] == [p.uid]
    log = (
        AuditLog.select()
        .where((AuditLog.uid == p.uid) & (AuditLog.field == "name") & (AuditLog.old.is_null(False)))
        .get()
    )
    assert (log.old, log.new, log.operator, log.reason) == ("王秀英", "王秀瑛", "clerk2", "核对户口簿")
    assert Household.get().version == 1  # household untouched


def test_removing_a_member_leaves_a_tombstone(township_db):
    h = reference_input()
    save_household(h)
    assert h.uid is not None  # set by save_household
    form = load_household(h.uid)
    form.births = []
    form.members.pop(2)  # 李浩然
    save_household(form)
    gone = Person.get(Person.name == "李浩然")
    assert gone.deleted and Person.select().count() == 4
    assert Birth.get().deleted


def test_duplicate_id_must_be_confirmed(township_db):
    save_household(reference_input())
    other = reference_input()
    other.group_no, other.births = "04", []
    other.members = [MemberInput("李建国", "130123198503140036", "02")]
    with pytest.raises(DuplicatesNotConfirmed) as err:
        save_household(other)
    hit = err.value.hits[0][0]
    assert hit.household_code == "130123103203030001" and hit.rule == "same_id"
    save_household(other, confirmed_ids=frozenset({"130123198503140036"}))
    row = Person.select().where(Person.household == Household.get(Household.uid == other.uid)).get()
    assert "重号警告已确认" in AuditLog.select().where(AuditLog.uid == row.uid).first().reason


def test_a_save_with_a_warning_and_a_duplicate_validates_once_and_searches_once(township_db, monkeypatch):
    import storage.households as households

    save_household(reference_input())
    calls = {"check": 0, "search": 0}
    check, search = households.check_household, households.duplicate_hits

    def counted(name, real):
        def run(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return run

    monkeypatch.setattr(households, "check_household", counted("check", check))
    monkeypatch.setattr(households, "duplicate_hits", counted("search", search))
    other = reference_input()
    other.group_no, other.births = "04", []
    other.members = [MemberInput("李建国", "130123198503140036", "02", marital_status="20")]  # married at 40: fine
    other.members.append(
        MemberInput("李小芳", "", "30", sex="2", birth_date="20100101", marital_status="20")
    )  # married at 16
    on = dt.date(2026, 11, 29)
    with pytest.raises(households.WarningsNotConfirmed) as warned:
        save_household(other, today=on)
    households.confirm(other, warned.value.findings)
    with pytest.raises(DuplicatesNotConfirmed) as dup:
        save_household(other, precheck=warned.value.precheck, today=on)
    save_household(other, confirmed_ids=frozenset({"130123198503140036"}), precheck=dup.value.precheck, today=on)
    assert calls == {"check": 1, "search": 1}
    assert Person.select().where(Person.name == "李小芳").count() == 1

    changed = reference_input()  # a precheck of another form's content is not used
    changed.group_no, changed.births = "05", []
    changed.members = [MemberInput("赵六", "", "02", sex="1", birth_date="19700101")]
    save_household(changed, precheck=dup.value.precheck, today=on)
    assert calls["check"] == 2


def test_validation_names_field_and_fix(township_db):
    h = reference_input()
    h.members[1].id_number = "130123198707220047"  # bad check character
    h.members[2].relation_to_head = "02"  # two heads
    h.births[0].birth_cert_no = "130456789"
    with pytest.raises(ValidationFailed) as err:
        save_household(h)
    rules = {f.rule for f in err.value.findings}
    assert {"id.bad_checksum", "household.head", "birth.cert_no"} <= rules
    assert Person.select().count() == 0


def test_a_mother_must_be_a_woman_and_born_before_her_child(township_db):
    h = reference_input()
    h.births[0].mother = 1
    with pytest.raises(ValidationFailed) as err:
        save_household(h)
    assert "birth.mother_sex" in {f.rule for f in err.value.findings}
    h = reference_input()
    h.births[0].mother, h.births[0].child = 2, None
    h.births[0].child_name, h.births[0].birth_date = "王秀英之女", "19800101"
    with pytest.raises(ValidationFailed) as err:
        save_household(h)
    assert "birth.before_mother" in {f.rule for f in err.value.findings}


def test_typed_dates():
    assert parse_typed("20170306") == ("2017-03-06", "D")
    assert parse_typed("201703") == ("2017-03-01", "M")
    with pytest.raises(DateInputError):
        parse_typed("20170230")
    with pytest.raises(DateInputError):
        parse_typed("2017036")


def test_core_never_imports_textual():
    code = (
        "import sys, pkgutil, importlib, storage, export\n"
        "for pkg in (storage, export):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "import main\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'tui'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_version_counter_is_shared_by_all_tables(township_db):
    from storage.db import write_txn

    with write_txn():
        a = audit.next_version()
        b = audit.next_version()
    assert b == a + 1


def test_backup_rotates(township_db):
    for _ in range(3):
        dbmod.backup(township_db, reason="test", keep=2)
    assert len(list((township_db.parent / "backups").glob("*.sqlite"))) == 2


def test_synthetic_population_is_valid_and_seeded():
    from storage.synth import Population

    villages_ = ["130123103203", "130123103201"]
    a = [h for h in Population("130123", villages_, dt.date(2024, 2, 29), seed=3).households(400)]
    b = [h for h in Population("130123", villages_, dt.date(2024, 2, 29), seed=3).households(400)]
    assert a == b  # the same seed and date give the same population
    ids = [m.id_number for h in a for m in h.members]
    assert len(ids) == len(set(ids))
    from storage import idnumber

    assert all(idnumber.parse(n, dt.date(2024, 2, 29)).ok for n in ids)
    births = [bi for h in a for bi in h.births]
    assert births and all(
        bi.mother is not None and h.members[bi.mother - 1].relation_to_head == "12" for h in a for bi in h.births
    )
    assert any(m.residence_status == "3" for h in a for m in h.members)  # a few migrants


def test_free_text_and_codes_are_checked(township_db):
    h = reference_input()
    h.members[0].name = "王\x1b[2J五"
    h.members[1].residence_status = "zz"
    h.members[2].hukou_place_text = "长" * 101
    with pytest.raises(ValidationFailed) as err:
        save_household(h)
    rules = {f.rule for f in err.value.findings}
    assert {"member.text", "member.code"} <= rules
    assert {f.field for f in err.value.findings if f.rule == "member.text"} == {"name", "hukou_place_text"}
    save_household(reference_input())
    with pytest.raises(ValidationFailed, match="居住状况"):
        update_person("130123198707220046", {"residence_status": ""})


def test_full_width_office_code(tmp_path):
    office = init_office(tmp_path / "fw.sqlite", "１３０１２３１０３")
    assert office.code == "130123103"


def test_save_household_derives_twins_for_every_caller(township_db):
    """Two births of one mother on one day get 胎数 2 (1 and 2) from save_household itself, not
    only from the form's screen (issue 13: the CLI and a confirmed omission skipped it)."""
    import datetime as dt

    from storage import idnumber
    from storage.households import BirthInput, HouseholdInput, MemberInput, dup_key, save_household

    mum = idnumber.make("130123", dt.date(1990, 5, 6), 22)
    kids = [idnumber.make("130123", dt.date(2020, 2, 2), n) for n in (13, 15)]
    members = [
        MemberInput("王芳", mum, "02"),
        MemberInput("李大宝", kids[0], "20"),
        MemberInput("李二宝", kids[1], "20"),
    ]
    h = HouseholdInput(
        "130123103203",
        "01",
        "",
        "",
        members,
        [BirthInput(mother=1, child=2, birth_order=1), BirthInput(mother=1, child=3, birth_order=2)],
    )
    save_household(h, confirmed_ids=frozenset(dup_key(m) for m in members), today=dt.date(2026, 6, 30))
    assert sorted((b.plurality, b.plurality_index) for b in Birth.select()) == [(2, 1), (2, 2)]


def test_an_empty_or_full_width_id_number_names_the_right_person(township_db):
    """``hecha person set "" …`` edited the first person without an ID number; a full-width number
    (typed on a Chinese input method) raised ValueError (issue 14)."""
    from storage.households import find_person

    h = reference_input()
    h.members.append(MemberInput("无证人", "", "30", sex="2", birth_date="20200101"))
    save_household(h, today=dt.date(2026, 11, 29))
    assert find_person("") is None and find_person("  ") is None
    full_width = "１３０１２３１９８５０３１４００３６"
    found = find_person(full_width)
    assert found is not None and found.name == "李建国"
    with pytest.raises(KeyError):
        update_person("", {"work_unit": "某厂"})


def test_audit_verify_finds_an_edited_row_a_deleted_row_and_a_direct_edit(township_db, tmp_path):
    """The audit log is a hash chain; ``hecha audit verify`` finds an audit row edited or deleted in
    SQLite, the end cut off, and a record changed, marked deleted, deleted or filled in without hecha
    (issue 14)."""
    from click.testing import CliRunner

    from main import cli

    save_household(reference_input(), today=dt.date(2026, 11, 29))
    runner = CliRunner()

    def verify():
        dbmod.close_db()
        res = runner.invoke(cli, ["audit", "verify", "--db", str(township_db)])
        dbmod.open_db(township_db)
        return res

    assert verify().exit_code == 0
    backup = tmp_path / "clean.sqlite"
    shutil.copyfile(township_db, backup)
    cases = [
        "UPDATE audit_log SET new = '王秀瑛' WHERE id = (SELECT min(id) FROM audit_log WHERE field = 'name')",
        "DELETE FROM audit_log WHERE id = 3",
        "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
        "UPDATE person SET name = '李建设' WHERE name = '李建国'",
        # found by an outside tester: a row marked deleted, a row deleted, an empty field filled
        "UPDATE person SET deleted = 1 WHERE name = '李建国'",
        "DELETE FROM birth",
        "UPDATE household SET phone = '13900000000' WHERE phone = ''",
        "UPDATE person SET work_unit = '某厂' WHERE name = '李浩然'",
    ]
    words_of = ("被改动", "被改动", "不见了", "绕过 hecha", "绕过 hecha", "直接删除", "绕过 hecha", "绕过 hecha")
    for sql, words in zip(cases, words_of, strict=True):
        dbmod.close_db()
        shutil.copyfile(backup, township_db)
        with sqlite3.connect(township_db) as con:
            con.execute(sql)
        res = verify()
        assert res.exit_code == 1 and words in res.output, (sql, res.output)


def test_daily_backups_once_a_day_seven_days_and_four_weeks(township_db):
    """One backup a day however often it is asked for; kept: the last 7 days' and the newest of
    each of the last 4 weeks (issue 14)."""
    from storage.db import daily_backup

    start = dt.datetime(2026, 10, 1, 8, tzinfo=dt.timezone.utc)
    for day in range(60):
        assert daily_backup(township_db, now=start + dt.timedelta(days=day)) is not None
        assert daily_backup(township_db, now=start + dt.timedelta(days=day, hours=3)) is None
    kept = sorted(p.name.split("-")[1][:8] for p in (township_db.parent / "backups").glob("*-daily.sqlite"))
    assert kept == ["20261108", "20261115", "20261122", *(f"202611{d}" for d in range(23, 30))]


def test_ages_are_judged_at_the_reference_date_not_the_day_of_the_check(township_db):
    """A woman keyed at 49 with her family-planning page must not become an export-blocking error
    the week she turns 50: with the campaign's reference date (标准时点) set, her age is taken there
    (issue 14)."""
    from click.testing import CliRunner

    from main import cli
    from storage.forms import WomanInput
    from storage.validate import check_household

    h = reference_input()
    from storage import idnumber

    born = idnumber.make("130123", dt.date(1976, 12, 1), 2)  # a woman: the sequence is even
    h.members.append(MemberInput("张桂兰", born, "99", fp=WomanInput(contraception="03")))  # 非亲属
    checked_on = dt.date(2026, 12, 4)  # she turned 50 on 2026-12-01
    rules = {f.rule for f in check_household(h, {"130123103203"}, checked_on)}
    assert "woman.eligible" in rules
    rules = {f.rule for f in check_household(h, {"130123103203"}, checked_on, as_of=dt.date(2026, 11, 1))}
    assert "woman.eligible" not in rules
    h.survey_date = "20261120"  # no reference date set: the household's own 核查日期, not the day of the check
    assert "woman.eligible" not in {f.rule for f in check_household(h, {"130123103203"}, checked_on)}
    h.survey_date = "20271120"  # a verification date after the real day is no date to judge at
    assert "woman.eligible" in {f.rule for f in check_household(h, {"130123103203"}, checked_on)}
    h.survey_date = ""
    res = CliRunner().invoke(cli, ["reference-date", "20261101", "--db", str(township_db)])
    assert res.exit_code == 0 and "2026年11月01日" in res.output, res.output
    dbmod.open_db(township_db)
    save_household(h, today=checked_on, remember_different=False)  # saved: judged at 2026-11-01
    res = CliRunner().invoke(cli, ["reference-date", "2026", "--db", str(township_db)])
    assert res.exit_code == 1 and "YYYYMMDD" in res.output


def test_times_people_read_are_local(township_db, monkeypatch):
    """Issue 15: times were shown in UTC, 8 hours off for an office in China; a clerk's day was the
    UTC day (a Monday morning counted on Sunday)."""
    import time

    from storage.dates import local_time
    from storage.models import EntryLog
    from storage.stats import clerk_days

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        assert local_time("2026-12-05T01:43:56Z") == "2026-12-05 09:43" and local_time("") == ""
        EntryLog.create(  # saved at 07:50 on the 30th in China
            operator="clerk1",
            household_uid="hh-1",
            started_at="2026-11-29T23:40:00Z",
            saved_at="2026-11-29T23:50:00Z",
            seconds=600,
            persons=3,
            new_form=True,
        )
        assert [(d.day, d.operator) for d in clerk_days()] == [("2026-11-30", "clerk1")]
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_a_database_that_became_read_only_is_said_in_chinese(township_db):
    """Issue 15: SQLite's 「attempt to write a readonly database」 reached the clerk as it was."""
    from storage.models import Office

    dbmod.open_db(township_db)
    Office._meta.database.execute_sql("PRAGMA query_only = 1")  # as a file or disk turned read-only does
    try:
        with pytest.raises(dbmod.DatabaseError, match="数据库现在是只读的"):
            with dbmod.write_txn():
                Office.update(reference_date="2026-06-30").execute()
    finally:
        Office._meta.database.execute_sql("PRAGMA query_only = 0")


def test_a_database_made_in_a_clerks_group_folder_is_group_writable(tmp_path):
    """A folder a group of clerks shares (set-group-ID, 2770): the database hecha makes there is 0660
    with its -wal, so the next clerk can write (issue 20: SQLite made it 0640, less the umask)."""
    import stat

    from click.testing import CliRunner

    from main import cli

    shared = tmp_path / "office"
    shared.mkdir()
    shared.chmod(0o2770)
    db = shared / "hecha.sqlite"
    dbmod.close_db()
    res = CliRunner().invoke(cli, ["init", "--office", "130123103", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert stat.S_IMODE(db.stat().st_mode) == 0o660
    wal = shared / "hecha.sqlite-wal"
    if wal.exists():
        assert stat.S_IMODE(wal.stat().st_mode) == 0o660
    dbmod.close_db()
    runner = CliRunner()
    assert runner.invoke(cli, ["backup", "--db", str(db)]).exit_code == 0
    saved = next((shared / "backups").glob("*.sqlite"))
    dbmod.close_db()
    res = runner.invoke(cli, ["restore", str(saved), "--db", str(db), "--yes"])
    assert res.exit_code == 0, res.output
    assert stat.S_IMODE(db.stat().st_mode) == 0o660  # restored, still the group's (it was 0640)
    dbmod.close_db()
    private = tmp_path / "mine.sqlite"
    assert CliRunner().invoke(cli, ["init", "--office", "130123103", "--db", str(private)]).exit_code == 0
    assert stat.S_IMODE(private.stat().st_mode) == 0o600  # a folder of one's own: the owner's only


def test_a_stored_time_past_the_last_local_time_is_shown_as_stored():
    """A bundle log's time a breaker wrote (9999-12-31T23:59:59-10:00) ended ``hecha status`` with
    OverflowError; an unreadable time is shown as it is."""
    from storage.dates import local_time

    assert local_time("9999-12-31T23:59:59-10:00") == "9999-12-31T23:59:59-10:00"
    assert local_time("not a time") == "not a time"
    assert len(local_time("2026-12-05T01:43:56Z")) == len("2026-12-05 09:43")
