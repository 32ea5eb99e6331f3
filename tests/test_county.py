"""The county's progress per township (issue 18, item 2): gaps by sequence and by calendar, bundles
held, counts, through real bundles; the screen at 80x24 with a county of 39 townships."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner
from textual.widgets import Static

from export.bundle import export_bundle, import_bundle
from main import cli
from storage import county
from storage.dates import iso_week
from storage.db import close_db, open_db
from storage.households import save_household
from storage.office import init_office

from .conftest import TOWNSHIP, reference_input


def test_progress_reports_weeks_missing_by_calendar_and_bundles_held(offices, monkeypatch):
    import export.bundle

    monkeypatch.setattr(export.bundle, "_now", lambda: dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.timezone.utc))
    offices.use_township()
    save_household(reference_input(), confirmed_ids=frozenset(m.id_number for m in reference_input().members))
    first = export_bundle(offices.township_keys, offices.tmp / "out")
    second = export_bundle(offices.township_keys, offices.tmp / "out")
    third = export_bundle(offices.township_keys, offices.tmp / "out")
    offices.use_county()
    import_bundle(first.path, offices.county_keys)
    today = dt.date(2026, 11, 25)  # the week the bundles were written in (2026-W48)
    (row,) = [r for r in county.progress(today) if r.code == TOWNSHIP]
    assert (row.last_sequence, row.last_week, row.weeks_missing, row.held) == (1, iso_week(today), 0, 0)
    assert (row.households, row.persons, row.births) == (1, 4, 1) and row.calls_for == []
    assert import_bundle(third.path, offices.county_keys).status == "held"  # no 2 yet
    later = today + dt.timedelta(days=21)
    rows = county.progress(later)
    top = rows[0]
    assert top.code == TOWNSHIP and (top.weeks_missing, top.held, top.held_numbers) == (2, 1, "3")
    assert top.calls_for == ["缺2周", "暂存1个（缺号）"]
    assert all(r.calls_for == ["未登记公钥"] for r in rows[1:])  # the county's other townships
    import_bundle(second.path, offices.county_keys)  # the missing one: the held one follows
    (row,) = [r for r in county.progress(today) if r.code == TOWNSHIP]
    assert (row.last_sequence, row.held) == (3, 0)
    close_db()
    res = CliRunner().invoke(cli, ["county", "--db", str(offices.county_db)])
    assert res.exit_code == 0 and "新安镇" in res.output and "未登记公钥" in res.output, res.output
    res = CliRunner().invoke(cli, ["county", "--db", str(offices.township_db)])
    assert res.exit_code == 1 and "县级数据库" in res.output


async def test_the_progress_screen_of_a_county_of_39_townships_at_80x24(tmp_path):
    from tui.app import make_app
    from tui.screens.county import CountyScreen
    from tui.widgets.fields import MarkedTable

    db = tmp_path / "county.sqlite"
    init_office(db, "130828")  # 围场满族蒙古族自治县: 39 townships in the NBS 2023 table
    close_db()
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        for _ in range(400):
            if isinstance(app.screen, CountyScreen) and app.screen.query_one(MarkedTable).row_count == 39:
                break
            await pilot.pause(0.01)
        screen = app.screen
        assert isinstance(screen, CountyScreen) and screen.query_one(MarkedTable).row_count == 39
        assert "共 39 个乡镇，39 个要问" in str(screen.query_one("#county-state", Static).render())
        assert screen.query_one("#county-state").region.bottom <= 23  # the count is on the screen
        assert "未登记公钥" in str(screen.query_one(MarkedTable).get_row_at(0)[-1])
        await pilot.press("escape")
        for _ in range(100):
            if not isinstance(app.screen, CountyScreen):
                break
            await pilot.pause(0.01)
        assert not isinstance(app.screen, CountyScreen)
    open_db(db)
    close_db()


def test_a_person_registered_in_two_townships_is_reported_by_one(tmp_path):
    """Issue 18 (item 4): the county decides which township reports a person both keyed; the decision
    goes down in a real bundle, the other township marks its record (kept, out of its counts) and
    acknowledges in its next bundle; the county then counts her once and sees the acknowledgement."""
    from storage.forms import HouseholdInput, MemberInput
    from storage.models import CountyDecision, Person, ReportUnit
    from storage.office import live_counts

    from .test_assist import Office

    runner = CliRunner()
    a, b, x = (Office(tmp_path, code, runner) for code in ("130123103", "130123104", "130123"))
    for one, other in ((a, x), (x, a), (b, x), (x, b)):
        one.add(other)
    open_db(a.db)
    form = reference_input()
    save_household(form, confirmed_ids=frozenset(m.id_number for m in form.members))
    wife = next(m for m in form.members if m.name == "王秀英")
    close_db()
    open_db(b.db)
    save_household(
        HouseholdInput(
            "130123104201",
            "01",
            "南岗村1号",
            "0001",
            [MemberInput(name="王秀英", id_number=wife.id_number, relation_to_head="02")],
            [],
        ),
        confirmed_ids=frozenset({wife.id_number}),
    )
    assert live_counts()["person"] == 1
    close_db()
    x.take(a.export() + b.export())
    open_db(x.db)
    uid_a, uid_b = (p.uid for p in Person.select().where(Person.id_number == wife.id_number).order_by(Person.origin))
    close_db()
    refused = x.cli("report-unit", uid_a, uid_b, "130123105", ok=False)
    assert refused.exit_code == 1 and "填报单位应是" in refused.output
    open_db(x.db)
    stranger = Person.get((Person.origin == "130123103") & (Person.name == "李建国")).uid
    close_db()
    refused = x.cli("report-unit", stranger, uid_b, "130123103", ok=False)  # a helper's finding: two persons
    assert refused.exit_code == 1 and "不是同号" in refused.output
    res = x.cli("report-unit", uid_a, uid_b, "130123103", "--note", "户籍在新安镇")
    assert "130123104 的记录标为不在本乡镇填报" in res.output
    progress = x.cli("county").output
    assert "决定未回执1" in progress
    assert progress.splitlines()[1].startswith("南岗镇")  # the township to ask is on top
    again = x.cli("report-unit", uid_a, uid_b, "130123104", ok=False)
    assert again.exit_code == 1 and "已定由 130123103 填报" in again.output
    down = x.export()
    assert len(down) == 1 and "-130123-130123104-" in down[0]
    assert "县里的决定（填报单位、冲突裁定） 1 件" in b.take(down)
    open_db(b.db)
    assert [(r.person_uid, r.unit) for r in ReportUnit.select()] == [(uid_b, "130123103")]
    assert live_counts()["person"] == 0 and Person.get(Person.uid == uid_b).deleted is False  # kept, not counted
    assert live_counts()["household"] == 0  # her one-person household is not this township's either
    assert "不在本乡镇填报" in b.cli("person", "show", uid_b).output
    close_db()
    assert "乡镇已执行的决定 1 件" in x.take(b.export())
    open_db(x.db)
    assert CountyDecision.get().acked_at
    (row_b,) = [r for r in county.progress(dt.date(2026, 12, 5)) if r.code == "130123104"]
    assert row_b.persons == 0 and row_b.unacked == 0
    close_db()


def test_annual_report_figures_travel_up_and_the_county_summary_names_the_township(offices):
    """Issue 18: the county's summary counted every 年报 as 0 and listed villages without their
    township. A township's 年报 entered with `hecha reconcile annual` goes up in its next bundle."""
    runner = CliRunner()
    close_db()
    res = runner.invoke(
        cli, ["reconcile", "annual", "130123103203", "2017", "--reported", "5", "--db", str(offices.township_db)]
    )
    assert res.exit_code == 0, res.output
    offices.use_township()
    up = export_bundle(offices.township_keys, offices.tmp / "out")
    assert up.counts["assist"] == 1
    offices.use_county()
    got = import_bundle(up.path, offices.county_keys)
    assert got.assist == {"requests": 0, "replies": 0, "routed": 0, "unrouted": 0, "annual": 1}
    close_db()
    res = runner.invoke(cli, ["reconcile", "summary", "--db", str(offices.county_db)])
    assert res.exit_code == 0 and "新安镇李家庄村" in res.output and " 5 " in res.output, res.output


async def test_the_conflicts_screen_shows_both_sides_and_decides(offices, tmp_path):
    """Issue 18, item 3 in the TUI: menu C, F3 lists the open merge conflicts with the highlighted one's
    fields side by side; F3 (take the bundle's) is refused for a row from another origin; F2 keeps
    this database's after Y, and the conflict leaves the list."""
    from export import keys as keymod
    from storage.models import MergeConflict
    from tui.app import make_app
    from tui.screens.county import ConflictsScreen
    from tui.screens.dialogs import ConfirmScreen
    from tui.widgets.fields import MarkedTable

    from .forge import rebuild

    offices.use_township()
    save_household(reference_input())
    first = export_bundle(offices.township_keys, offices.tmp / "out")
    offices.use_county()
    pub = keymod.own_public()

    def foreign(lines):
        lines[2]["r"]["origin"] = "130123104"
        lines[2]["r"]["name"] = "改过的名字"

    forged = rebuild(
        first.path,
        tmp_path / "o.zip",
        offices.township_keys.sign,
        lines_edit=foreign,
        identity=offices.county_keys.identity,
        recipients=[pub.encrypt, pub.recovery],
    )
    import_bundle(forged, offices.county_keys)
    assert MergeConflict.select().where(MergeConflict.status == "open").count() == 2
    close_db()

    async def until(pilot, ok, what: str) -> None:
        for _ in range(500):
            if ok():
                return
            await pilot.pause(0.01)
        raise AssertionError(what)

    app = make_app(offices.county_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await until(pilot, lambda: getattr(app.screen, "ready_for_keys", False), "the county screen")
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, ConflictsScreen) and app.screen.ready_for_keys, "conflicts")
        screen = app.screen
        sides = screen.query_one("#conflict-sides", MarkedTable)
        await until(pilot, lambda: sides.row_count > 0, "the sides")
        assert any("改过的名字" in str(sides.get_row_at(i)[2]) for i in range(sides.row_count))
        assert screen.query_one("#conflict-list", MarkedTable).row_count == 2
        await pilot.press("f3")  # take: refused for a row whose origin is not the sender
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        state = screen.query_one("#conflict-state", Static)
        await until(pilot, lambda: "只能保留本库的" in str(state.render()), "the refusal")
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        await until(pilot, lambda: "已裁定" in str(state.render()), "the decision")
        await until(pilot, lambda: screen.query_one("#conflict-list", MarkedTable).row_count == 1, "one left")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ConflictsScreen), "back")
    open_db(offices.county_db)
    assert MergeConflict.select().where(MergeConflict.status == "kept").count() == 1


def test_a_county_bundle_to_a_township_carries_messages_only(offices, tmp_path):
    """A county-request bundle with a row in it is refused at the township (B14): a row there would
    be written into the township's own tables (a helper inserted a household so)."""
    import pytest

    from export import keys as keymod
    from export.bundle import BundleError
    from storage import assist
    from storage.models import Person

    from .forge import rebuild

    offices.use_county()
    assert assist.share_calendar([(dt.date(2027, 2, 7), False, "春节")]) == 1
    down = export_bundle(offices.county_keys, tmp_path / "down", to=TOWNSHIP)
    offices.use_township()
    pub = keymod.own_public()
    row = {"uid": "0" * 8 + "-0000-4000-8000-" + "0" * 12}

    def with_row(lines):
        lines[0]["counts"]["household"] = 1
        lines.insert(1, {"t": "household", "r": row})

    forged = rebuild(
        down.path,
        tmp_path / "f.zip",
        offices.county_keys.sign,
        lines_edit=with_row,
        identity=offices.township_keys.identity,
        recipients=[pub.encrypt],
    )
    with pytest.raises(BundleError) as err:
        import_bundle(forged, offices.township_keys)
    assert err.value.code == "B14", err.value
    assert Person.select().count() == 0
    assert import_bundle(down.path, offices.township_keys).status == "imported"  # the real one is taken


def test_a_conflict_decision_is_checked_and_taken_once(offices):
    """Issue 18, item 3 (a helper's findings): a decision whose fields are of the wrong kind or carry
    control characters is refused (MessageError, never a crash); one for a row the township edited
    since is superseded (its newer edit goes up); one that would move a household out of the
    township's villages is refused; the same decision twice is taken once."""
    import uuid

    import pytest

    from storage import decisions
    from storage.models import AppliedDecision, AssistOutbox, Household, Person
    from storage.outbox import MessageError
    from storage.rows import dump

    offices.use_township()
    save_household(reference_input())
    person = Person.get(Person.id_number == "130123198707220046")
    household = Household.get()

    def body(table, model, uid, **row_changes):
        (rec,) = list(dump(model, model.uid == uid))
        return dict(
            type="decision",
            uid=str(uuid.uuid4()),
            origin="130123",
            kind="conflict",
            record_table=table,
            record_uid=uid,
            choice="keep",
            row=dict(rec["r"], **row_changes),
            above=rec["r"]["version"],
            seen_version=rec["r"]["version"],
            note="",
        )

    for bad in ({"choice": ["keep"]}, {"record_table": ["person"]}, {"above": 2**60}, {"seen_version": True}):
        with pytest.raises(MessageError):
            decisions.check(dict(body("person", Person, person.uid), **bad), "130123", "county")
    with pytest.raises(MessageError):
        decisions.check(body("person", Person, person.uid, name="王\x1b秀英"), "130123", "county")
    from storage.db import write_txn

    moved = decisions.check(
        body("household", Household, household.uid, village_code="130123100200"), "130123", "county"
    )
    kept = decisions.check(body("person", Person, person.uid, name="王秀瑛"), "130123", "county")
    with write_txn():
        assert decisions.take(moved, sender="130123") == "decisions"
        assert decisions.take(kept, sender="130123") == "decisions"
        assert decisions.take(kept, sender="130123") == "ignored"  # the same decision again
    assert Household.get().village_code == household.village_code
    assert Person.get_by_id(person.id).name == "王秀瑛"
    outcomes = dict(AppliedDecision.select(AppliedDecision.uid, AppliedDecision.outcome).tuples())
    assert outcomes == {moved["uid"]: "refused", kept["uid"]: "applied"}
    assert AssistOutbox.select().where(AssistOutbox.kind == "ack").count() == 2
    # the township edits the row again before the next decision about it arrives: superseded
    later = decisions.check(body("person", Person, person.uid, name="王秀英"), "130123", "county")
    from storage.households import update_person

    update_person("130123198707220046", {"phone": "13800000000"}, reason="入户")
    with write_txn():
        decisions.take(later, sender="130123")
    assert Person.get_by_id(person.id).name == "王秀瑛"  # the newer edit stands
    assert AppliedDecision.get(AppliedDecision.uid == later["uid"]).outcome == "superseded"


def test_flat_file_cells_stay_text():
    """Issue 18, item 6 (a helper's finding): a name typed like a formula stays text in the CSV, and
    control or bidi characters pasted into it are dropped."""
    from export.upfiles import _cell

    assert _cell('=HYPERLINK("http://e.vu","点")') == '\'=HYPERLINK("http://e.vu","点")'
    assert _cell("王\x07秀\u202e英") == "王秀英"
    assert (_cell(True), _cell(None), _cell(3), _cell("-")) == ("1", "", 3, "'-")


def test_taking_the_bundles_version_writes_it_here_and_sends_it_down(offices, tmp_path):
    """``hecha conflicts N --take``: the county writes the bundle's row in place of its own (its
    version the higher of the two, audited) and sends the decision to the row's township."""
    from export import keys as keymod
    from storage.decisions import decide_conflict
    from storage.households import update_person
    from storage.models import AssistOutbox, AuditLog, CountyDecision, MergeConflict, Person

    from .forge import rebuild

    offices.use_township()
    save_household(reference_input())
    first = export_bundle(offices.township_keys, offices.tmp / "out")
    offices.use_county()
    import_bundle(first.path, offices.county_keys)
    held = Person.get(Person.id_number == "130123198707220046")
    offices.use_township()
    update_person("130123198707220046", {"name": "王秀瑛"}, reason="核对")
    second = export_bundle(offices.township_keys, offices.tmp / "out2")
    offices.use_county()
    pub = keymod.own_public()

    def same_version(lines):  # the township's change carried under the number the county holds
        rec = next(x for x in lines if x.get("t") == "person")
        rec["r"]["version"] = held.version

    forged = rebuild(
        second.path,
        tmp_path / "same.zip",
        offices.township_keys.sign,
        lines_edit=same_version,
        identity=offices.county_keys.identity,
        recipients=[pub.encrypt, pub.recovery],
    )
    result = import_bundle(forged, offices.county_keys)
    assert result.stats is not None and result.stats.conflicts["person"] == 1, result.stats
    conflict = MergeConflict.get()
    assert "版本" in conflict.reason and Person.get_by_id(held.id).name == "王秀英"
    decision = decide_conflict(conflict.id, "take", operator="县里")
    assert decision is not None and CountyDecision.get().choice == "take"
    now = Person.get_by_id(held.id)
    assert (now.name, now.version) == ("王秀瑛", held.version)
    assert AuditLog.select().where((AuditLog.uid == held.uid) & AuditLog.reason.contains("采用数据包的")).exists()
    assert AssistOutbox.select().where(AssistOutbox.kind == "decision").count() == 1
    assert MergeConflict.get().status == "taken"
