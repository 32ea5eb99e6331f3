"""Every validation rule, each with a valid and an invalid case (issue 3)."""

from __future__ import annotations

import datetime as dt

import pytest

from storage import idnumber
from storage.households import BirthInput, MemberInput, MigrationInput, WomanInput
from storage.validate import RULES, check_household, check_id_number, id_damage

from .conftest import reference_input

TODAY = dt.date(2026, 11, 29)
VILLAGES = {"130123103203", "130123103201"}


def base():
    """The reference household, with the wife's family-planning page and marital statuses filled."""
    h = reference_input()
    h.members[0].marital_status = h.members[1].marital_status = "20"
    h.members[1].first_marriage_date = "20100501"
    h.members[1].fp = WomanInput(contraception="03", contraception_start="20170601")
    h.births[0].outcome, h.births[0].birth_place_kind, h.births[0].policy_attribute = "1", "1", "1"
    return h


def rules_of(h):
    return {f.rule for f in check_household(h, VILLAGES, TODAY)}


def test_the_base_household_is_clean():
    assert rules_of(base()) == set()


def _set(obj, **values):
    for k, v in values.items():
        setattr(obj, k, v)


def add_twins(h, gap_days=0, plurality=1):
    """Two more births of 王秀英 after 2017: same day (twins) or ``gap_days`` apart."""
    first = dt.date(2019, 6, 1)
    second = first + dt.timedelta(days=gap_days)
    h.births += [
        BirthInput(
            mother=2,
            father=1,
            child_name="王秀英之子",
            child_sex="1",
            birth_date=f"{first:%Y%m%d}",
            birth_order=3,
            plurality=plurality,
        ),
        BirthInput(
            mother=2,
            father=1,
            child_name="王秀英之女",
            child_sex="2",
            birth_date=f"{second:%Y%m%d}",
            birth_order=4,
            plurality=plurality,
            plurality_index=2 if plurality > 1 else 1,
        ),
    ]


CASES = {
    "id.bad_checksum": lambda h: _set(h.members[1], id_number="130123198707220047"),
    "id.bad_date": lambda h: _set(h.members[1], id_number="130123198702300040"),
    "id.bad_format": lambda h: _set(h.members[1], id_number="13012319870722004"),
    "id.unknown_region": lambda h: _set(h.members[1], id_number="990123198707220040"),
    "id.damaged": lambda h: _set(h.members[1], id_number="130123198707220000"),
    "household.village": lambda h: _set(h, village_code="130123103999"),
    "household.group": lambda h: _set(h, group_no="0"),
    "household.members": lambda h: _set(h, members=[], births=[]),
    "household.head": lambda h: _set(h.members[2], relation_to_head="02"),
    "household.code": lambda h: _set(h, household_kind="7"),
    "household.date": lambda h: _set(h, survey_date="20301201"),
    "household.text": lambda h: _set(h, address_detail="三组\x1b[2J18号"),
    "member.name": lambda h: _set(h.members[2], name=" "),
    "member.text": lambda h: _set(h.members[2], work_unit="厂" * 61),
    "member.code": lambda h: _set(h.members[2], education="99"),
    "member.required": lambda h: _set(h.members[2], ethnicity=""),
    "member.id_repeated": lambda h: _set(h.members[3], id_number="130123201205090012"),
    "member.id_sex": lambda h: _set(h.members[1], sex="1"),
    "member.id_birth": lambda h: _set(h.members[1], birth_date="19870723"),
    "member.sex_missing": lambda h: _set(h.members[2], id_number="", birth_date="20120509"),
    "member.birth_missing": lambda h: _set(h.members[2], id_number="", sex="1"),
    "member.date": lambda h: _set(h.members[1], first_marriage_date="20100231"),
    "member.relation_sex": lambda h: _set(h.members[2], relation_to_head="32"),  # 长女 for a boy
    "member.relation_age": lambda h: h.members.append(MemberInput("李老太", "", "52", sex="2", birth_date="19900101")),
    "member.marital_age": lambda h: h.members.append(
        MemberInput("李小芳", idnumber.make("130123", dt.date(2007, 7, 22), 4), "38", marital_status="20")
    ),
    "member.marital_child": lambda h: _set(h.members[2], marital_status="20"),
    "member.outflow": lambda h: _set(h.members[0], residence_status="2"),
    "member.inflow": lambda h: _set(h.members[0], residence_status="3"),
    "member.dead_date": lambda h: _set(h.members[0], vital_status="2"),
    "woman.eligible": lambda h: _set(h.members[3], fp=WomanInput(contraception="03")),
    "woman.missing": lambda h: _set(h.members[1], fp=None),
    "woman.code": lambda h: _set(h.members[1].fp, contraception="77"),
    "woman.no_reason": lambda h: _set(h.members[1].fp, contraception="00"),
    "woman.date": lambda h: _set(h.members[1].fp, contraception_start="20290101"),
    "migration.direction": lambda h: h.members[0].migrations.append(MigrationInput(direction="5")),
    "migration.code": lambda h: h.members[0].migrations.append(MigrationInput(direction="1", reason="009")),
    "migration.address": lambda h: h.members[0].migrations.append(MigrationInput(direction="2")),
    "migration.date": lambda h: h.members[0].migrations.append(MigrationInput(direction="1", move_date="20261301")),
    "birth.mother": lambda h: _set(h.births[0], mother=9),
    "birth.mother_sex": lambda h: _set(h.births[0], mother=1, father=None),
    "birth.father": lambda h: _set(h.births[0], father=9),
    "birth.child": lambda h: _set(h.births[0], child=9),
    "birth.child_name": lambda h: _set(h.births[0], child=None, birth_date="20170306", child_sex="2"),
    "birth.date": lambda h: _set(h.births[0], child=None, child_name="某某之女", birth_date="20170231"),
    "birth.date_missing": lambda h: _set(h.births[0], child=None, child_name="某某之女"),
    "birth.before_mother": lambda h: _set(h.births[0], child=None, child_name="某某之女", birth_date="19800101"),
    "birth.after_mother_death": lambda h: _set(h.members[1], vital_status="2", vital_date="20160101"),
    "birth.mother_age": lambda h: _set(
        h.births[0], child=None, child_name="某某之女", birth_date="20010101", birth_order=1
    ),
    "birth.code": lambda h: _set(h.births[0], outcome="8"),
    "birth.order": lambda h: _set(h.births[0], birth_order=16),
    "birth.order_sequence": lambda h: (add_twins(h), _set(h.births[2], birth_order=5)),
    "birth.order_high": lambda h: _set(h.births[0], birth_order=11),  # 1 and 结局 1 typed together
    "birth.interval": lambda h: add_twins(h, gap_days=200),
    "birth.twins": lambda h: add_twins(h, plurality=1),
    "birth.cert_no": lambda h: _set(h.births[0], birth_cert_no="M13045678"),
    "birth.cert_before_1996": lambda h: (
        h.members.append(MemberInput("李大姐", "130123199001010021", "32")),
        h.births.append(BirthInput(mother=2, child=5, birth_cert_no="M130456780")),
    ),
    "birth.sex_missing": lambda h: _set(
        h.births[0], child=None, child_name="某某之女", birth_date="20170306", child_sex=""
    ),
    "birth.text": lambda h: _set(h.births[0], child=None, child_name="王\x07", birth_date="20170306"),
}


@pytest.mark.parametrize(
    "section, field, value, line, rule",
    [
        ("household", "group_no", "0", None, "household.group"),
        ("member", "id_number", "130123198707220047", 1, "id.bad_checksum"),
        ("member", "ethnicity", "99", 2, "member.code"),
        ("birth", "birth_order", "16", 0, "birth.order"),
        ("birth", "birth_cert_no", "m13045678", 0, "birth.cert_no"),
        ("birth", "mother", "1", 0, "birth.mother_sex"),
    ],
)
def test_a_field_left_in_the_form_meets_the_rule_the_save_applies(section, field, value, line, rule):
    """check_field (the form, as a field is left) and check_household (the save) say the same."""
    from storage.validate import check_field

    h = base()
    if section == "household":
        setattr(h, field, value)
        record = None
    else:
        record = (h.members if section == "member" else h.births)[line]
        setattr(record, field, int(value) if field in ("birth_order", "mother") else value)
    saved = next(f for f in check_household(h, VILLAGES, TODAY) if f.rule == rule)
    left = check_field(
        section, field, value, form=h, index=-1 if line is None else line, line=record, villages=VILLAGES, today=TODAY
    ).finding
    assert left is not None and (left.rule, left.message, left.field) == (saved.rule, saved.message, saved.field)


def test_a_field_as_typed_is_kept_as_the_core_spells_it():
    from storage.validate import check_field

    assert check_field("household", "group_no", "3").value == "03"
    assert check_field("member", "ethnicity", "1").value == "01"  # GB 3304 by its number without the zero
    assert check_field("member", "id_number", "11010519491231002x").value == "11010519491231002X"
    assert check_field("birth", "birth_cert_no", "m130456789").value == "M130456789"
    assert check_field("household", "group_no", "3", stored=True).finding is not None  # a saved value must be exact


def test_every_rule_has_a_case():
    assert set(CASES) == set(RULES) - {"person.two_households"}  # that one spans households: test_check


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule(rule):
    h = base()
    CASES[rule](h)
    found = check_household(h, VILLAGES, TODAY)
    assert rule in {f.rule for f in found}, [(f.rule, f.message) for f in found]
    f = next(f for f in found if f.rule == rule)
    assert f.level == RULES[rule][0] and f.message  # level from the table, a Chinese message


def test_data_md_example_numbers_and_a_15_digit_number():
    for number in ("11010519491231002X", "360426199101010071", "110105491231002"):
        assert check_id_number(number, TODAY) is None
    h = base()
    h.members[1].id_number = "130123870722004"  # her number before the 1999 upgrade
    assert "id.bad_checksum" not in rules_of(h) and not {r for r in rules_of(h) if r.startswith("id.")}


def test_float_damage_in_both_forms():
    assert id_damage("1.30123E+17") and id_damage("130123198707220000")
    assert id_damage("130123198707220046") is None
    finding = check_id_number("1.30123198707E+17")
    assert finding is not None and finding.rule == "id.damaged"


def test_twins_are_not_an_interval_problem_and_confirmed_warnings_stay_quiet():
    h = base()
    add_twins(h, plurality=2)
    assert rules_of(h) == set()  # a twin pair: same date, 胎数 2, orders 3 and 4
    h = base()
    add_twins(h, gap_days=200)
    warning = next(f for f in check_household(h, VILLAGES, TODAY) if f.rule == "birth.interval")
    assert warning.level == "warning" and "200" in warning.message
    from storage.households import confirm

    confirm(h, [warning])
    assert all(f.confirmed for f in check_household(h, VILLAGES, TODAY) if f.rule == "birth.interval")
    h.births[warning.index].birth_date = "20190702"  # the data changes: the confirmation lapses
    again = next(f for f in check_household(h, VILLAGES, TODAY) if f.rule == "birth.interval")
    assert not again.confirmed and "31" in again.message


def test_an_outflow_with_its_episode_and_address_is_fine():
    h = base()
    h.members[2].residence_status = "2"
    h.members[2].migrations.append(
        MigrationInput(
            direction="2", move_date="202401", reason="001", current_address="广东省东莞市长安镇上沙社区18号"
        )
    )
    assert rules_of(h) == set()


def test_two_households_spans_the_database(township_db):
    from storage.check import check_database
    from storage.households import save_household

    save_household(reference_input())
    other = reference_input()
    other.group_no, other.births = "04", []
    other.members = [MemberInput("李建国", "130123198503140036", "02")]
    save_household(other, confirmed_ids=frozenset({"130123198503140036"}))
    found = [x for x in check_database() if x.finding.rule == "person.two_households"]
    assert {x.household_code for x in found} == {"130123103203030001", "130123103203040001"}
    # marked as moved out in one of them: no longer a problem
    from storage.households import load_household

    form = load_household(found[1].household_uid)
    form.members[0].residence_status = "2"
    form.members[0].migrations.append(
        MigrationInput(direction="2", move_date="202401", current_address="北京市朝阳区十八里店乡吕家营村")
    )
    save_household(form, confirmed_ids=frozenset({"130123198503140036"}))
    assert not [x for x in check_database() if x.finding.rule == "person.two_households"]


def test_code_lists_are_data_with_sources_and_old_spellings():
    from storage.codes import DATA_DIR, code_list

    for path in DATA_DIR.glob("*.csv"):
        codes = code_list(path.stem)
        assert codes.source and codes.items, path.name  # every list names its source and edition
    assert code_list("ethnicity").lookup("毛难族") == "36" and code_list("ethnicity").lookup("崩龙族") == "46"
    assert code_list("migration_reason").lookup("1") == "001" and code_list("education").lookup("初中") == "70"
    assert code_list("marital_status").name("21") == "初婚" and code_list("relation").name("22") == "长子"
