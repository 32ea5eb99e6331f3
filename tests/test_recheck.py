"""Quality recheck (质量复查): choosing forms, blind second keying, differences, decisions, rates."""

import copy
import datetime as dt

import pytest

from storage import recheck
from storage.households import ValidationFailed, WomanInput, load_household, save_household
from storage.models import AuditLog, Person, Recheck, RecheckDiff, WomanFP
from storage.stats import log_entry
from storage.synth import Population

from .conftest import reference_input

AS_OF = dt.date(2024, 6, 30)


def _save_many(n: int, operator: str = "clerk1", seed: int = 5) -> list[str]:
    pop = Population("130123", ["130123103203", "130123103204"], AS_OF, seed=seed)
    uids = []
    for form in pop.households(n):
        form.serial = None  # numbered by the database, as the form does
        hh = save_household(
            form, operator=operator, confirmed_ids=frozenset(m.id_number.upper() for m in form.members), today=AS_OF
        )
        uids.append(hh.uid)
    return uids


def test_every_nth_form_in_keying_order_and_never_twice(township_db):
    uids = _save_many(10)
    chosen = recheck.choose_every(3, operator="head")
    assert [r.household_uid for r in chosen] == [uids[2], uids[5], uids[8]]
    assert all(r.plan == "every:3" and r.chosen_by == "head" and r.first_operator == "clerk1" for r in chosen)
    assert recheck.choose_every(3) == []  # the same forms are not chosen twice
    uids += _save_many(2, seed=9)  # forms 11 and 12: the 12th is the next every-3rd
    assert [r.household_uid for r in recheck.choose_every(3)] == [uids[11]]
    with pytest.raises(recheck.RecheckError, match="1 以上"):
        recheck.choose_every(0)


def test_sample_per_village_is_reproducible_from_its_seed(township_db):
    _save_many(12)
    first = recheck.choose_sample(2, seed=42)
    villages = [r.village_code for r in first]
    assert sorted(set(villages)) == ["130123103203", "130123103204"] and all(
        villages.count(v) == 2 for v in set(villages)
    )
    assert first[0].plan == "sample:2:42"
    picked = {r.household_uid for r in first}
    for r in first:
        recheck.delete_recheck(r.id)
    assert {r.household_uid for r in recheck.choose_sample(2, seed=42)} == picked


def _keyed_reference(operator="clerk1"):
    h = reference_input()
    hh = save_household(h, operator=operator, confirmed_ids=frozenset(m.id_number.upper() for m in h.members))
    log_entry(operator, hh.uid, "2026-11-29T08:00:00Z", len(h.members), new_form=True)
    return hh


def test_identical_second_keying_has_no_differences(township_db):
    _keyed_reference()
    (row,) = recheck.choose_every(1)
    done = recheck.record_second_keying(row.id, reference_input(), operator="clerk2")
    assert done.status == "decided" and done.differences == 0 and done.fields_compared > 40
    assert done.second_operator == "clerk2"
    with pytest.raises(recheck.RecheckError, match="已经复录"):
        recheck.record_second_keying(row.id, reference_input())


def test_differences_field_by_field_and_one_id_digit_is_one_difference(township_db):
    _keyed_reference()
    (row,) = recheck.choose_every(1)
    second = reference_input()
    second.members[1].name = "王秀云"  # a similar-sounding character
    ref_id = second.members[2].id_number
    # one wrong digit that keeps a valid check character is hard to find; a wrong check character
    # is refused by the form, so the second keyer types a different valid ID (born one day later)
    from storage import idnumber

    info = idnumber.parse(ref_id)
    assert info.birth_date is not None  # the reference's ID numbers are valid
    second.members[2].id_number = idnumber.make(ref_id[:6], info.birth_date + dt.timedelta(days=1), int(ref_id[14:17]))
    second.address_detail = second.address_detail + "号"
    del second.births[0]
    done = recheck.record_second_keying(row.id, second, operator="clerk2")
    diffs = {(d.section, d.line, d.field): (d.first_value, d.second_value) for d in done.diffs}
    assert diffs[("member", 2, "name")] == ("王秀英", "王秀云")
    assert ("member", 3, "id_number") in diffs
    assert ("member", 3, "birth_date") not in diffs and (
        "member",
        3,
        "sex",
    ) not in diffs  # from the ID: not counted again
    assert ("household", 0, "address_detail") in diffs
    assert diffs[("birth", 1, "*")][1] == ""  # the missing birth line is one difference
    assert done.differences == 4 and done.status == "keyed"
    labels = [d.label for d in done.diffs]
    assert "第2人 姓名" in labels and "第1个出生 整行" in labels


def test_decisions_correct_the_record_and_give_rates(township_db):
    _keyed_reference("clerk1")
    (row,) = recheck.choose_every(1)
    second = reference_input()
    second.members[1].name = "王秀云"
    second.members[0].ethnicity = "02"
    recheck.record_second_keying(row.id, second, operator="clerk2")
    name_diff = RecheckDiff.get(RecheckDiff.field == "name")
    eth_diff = RecheckDiff.get(RecheckDiff.field == "ethnicity")
    before = AuditLog.select().count()
    recheck.decide(name_diff.id, "second", operator="head")
    assert Person.get(Person.seq == 2).name == "王秀云"  # corrected through the form's save
    assert (
        AuditLog.select().where(AuditLog.reason.contains("质量复查更正")).count() >= 1
        and AuditLog.select().count() > before
    )
    assert Recheck.get_by_id(row.id).status == "keyed"  # one still open
    (rate,) = [r for r in recheck.clerk_rates() if r.operator == "clerk1"]
    assert (rate.forms, rate.errors, rate.undecided) == (1, 1, 1)
    recheck.decide(eth_diff.id, "first", operator="head")
    assert Person.get(Person.seq == 1).ethnicity == "01"  # unchanged
    assert Recheck.get_by_id(row.id).status == "decided"
    rates = {r.operator: r for r in recheck.clerk_rates()}
    assert rates["clerk1"].errors == 1 and rates["clerk1"].rate == pytest.approx(
        1 / Recheck.get_by_id(row.id).fields_compared
    )
    assert rates["clerk2"].rechecked == 1 and rates["clerk2"].recheck_errors == 1
    with pytest.raises(recheck.RecheckError, match="已按复查值更正"):
        recheck.decide(name_diff.id, "first")
    with pytest.raises(recheck.RecheckError, match="判定"):
        recheck.decide(eth_diff.id, "maybe")


def test_a_correction_the_record_refuses_changes_nothing(township_db):
    _keyed_reference()
    (row,) = recheck.choose_every(1)
    second = reference_input()
    second.members[0].relation_to_head = "10"  # the head keyed as a spouse: valid alone, two spouses with member 2
    second.members[1].relation_to_head = "02"
    recheck.record_second_keying(row.id, second, operator="clerk2")
    d = RecheckDiff.get((RecheckDiff.line == 1) & (RecheckDiff.field == "relation_to_head"))
    snapshot = copy.deepcopy(load_household(row.household_uid))
    with pytest.raises(recheck.RecheckError, match="不能保存"):
        recheck.decide(d.id, "second")  # alone it leaves a household without a head
    assert load_household(row.household_uid) == snapshot and RecheckDiff.get_by_id(d.id).decision == ""


def test_the_second_keying_must_pass_the_field_checks(township_db):
    _keyed_reference()
    (row,) = recheck.choose_every(1)
    second = reference_input()
    second.members[0].id_number = second.members[0].id_number[:17] + (
        "0" if second.members[0].id_number[17] != "0" else "1"
    )
    with pytest.raises(ValidationFailed):
        recheck.record_second_keying(row.id, second)
    assert Recheck.get_by_id(row.id).status == "pending" and RecheckDiff.select().count() == 0


def test_a_deleted_form_keeps_its_place_in_the_every_nth_count(township_db):
    from storage import audit
    from storage.db import write_txn
    from storage.models import Household

    uids = _save_many(9)
    assert [r.household_uid for r in recheck.choose_every(3)] == [uids[2], uids[5], uids[8]]
    with write_txn():
        audit.tombstone(Household.get(Household.uid == uids[0]), reason="test")
    assert recheck.choose_every(3) == []  # positions do not shift: nothing new was keyed
    assert "抽过的不会再抽" in recheck.nothing_to_choose()


def test_a_page_only_the_second_keying_has_and_a_missing_line(township_db):
    _keyed_reference()
    (row,) = recheck.choose_every(1)
    second = reference_input()
    second.members[1].fp = WomanInput(contraception="03", contraception_start="20170601")
    del second.members[3]  # the last member line missing
    second.births = []
    recheck.record_second_keying(row.id, second, operator="clerk2")
    page = RecheckDiff.get((RecheckDiff.section == "woman") & (RecheckDiff.field == "contraception"))
    done = recheck.decide(page.id, "second")
    assert done.corrected and WomanFP.get().contraception == "03"  # the page was added to the record
    line = RecheckDiff.get((RecheckDiff.section == "member") & (RecheckDiff.field == "*"))
    done = recheck.decide(line.id, "second")
    assert not done.corrected and "补录或删去第4人" in done.todo
    assert Person.select().where(Person.deleted == False).count() == 4  # a whole line is fixed by hand


def test_a_correction_returns_the_warnings_it_confirms(township_db):
    _keyed_reference()
    (row,) = recheck.choose_every(1)
    second = reference_input()
    second.members[1].marital_status = "20"  # married, 15-49, without her page: a warning
    recheck.record_second_keying(row.id, second, operator="clerk2")
    d = RecheckDiff.get(RecheckDiff.field == "marital_status")
    done = recheck.decide(d.id, "second")
    assert done.corrected and "育龄妇女页" in " ".join(done.confirmed)
    assert Person.get(Person.seq == 2).marital_status == "20"


def test_the_second_keying_from_a_json_file(township_db, tmp_path):
    """The CLI twin of the recheck's second keying (issue 13): a form keyed apart as JSON."""
    import json

    from click.testing import CliRunner

    from main import cli
    from storage.forms import form_to_dict

    _keyed_reference()
    (row,) = recheck.choose_every(1)
    second = reference_input()
    second.members[1].name = "王秀云"
    path = tmp_path / "second.json"
    path.write_text(json.dumps(form_to_dict(second), ensure_ascii=False), encoding="utf-8")
    res = CliRunner().invoke(cli, ["recheck", "key", str(row.id), str(path), "--db", str(township_db)])
    assert res.exit_code == 0 and "差异 1 项" in res.output, res.output
    assert [d.second_value for d in RecheckDiff.select()] == ["王秀云"]
    res = CliRunner().invoke(cli, ["recheck", "key", str(row.id), str(path), "--db", str(township_db)])
    assert res.exit_code == 1 and "已经复录" in res.output


def test_a_second_keying_of_another_household_is_refused(township_db):
    """From a bad-input pass: a file of another household was compared with the task's form and
    spoiled the task (17 false differences, then 已经复录)."""
    _keyed_reference()
    (row,) = recheck.choose_every(1)
    other = reference_input()
    other.uid = "f" * 32
    with pytest.raises(recheck.RecheckError, match="是另一户的"):
        recheck.record_second_keying(row.id, other)
    assert recheck.record_second_keying(row.id, reference_input()).status == "decided"  # the task is untouched
