"""Duplicate search (DESIGN.md §6): each rule names the right person; twins and decided pairs are left out."""

import datetime as dt

import pytest

from storage import dedup, idnumber, matchmodel
from storage.households import BirthInput, DuplicatesNotConfirmed, HouseholdInput, MemberInput, dup_key, save_household
from storage.models import Person
from storage.names import name_keys, simplified, split, unnamed_child

VILLAGE = "130123103203"
MOTHER_ID = idnumber.make("130123", dt.date(1990, 5, 6), 22)
FATHER_ID = idnumber.make("130123", dt.date(1988, 2, 3), 11)


def listed_pairs(**how) -> list:
    """Every open pair as the review lists them: the stored pairs brought up to date, then read."""
    from storage import pairstore

    pairstore.refresh()
    return pairstore.page(limit=100_000, **how)


def _save(group: str, members: list[MemberInput], births=()) -> None:
    h = HouseholdInput(VILLAGE, group, "测试地址", "", members, list(births))
    save_household(h, confirmed_ids=frozenset(dup_key(m) for m in members))


@pytest.fixture
def people(township_db):
    """One family with twins (李大宝, 李二宝, same day) and a daughter 李晓玲; and 曾敏 elsewhere."""
    _save(
        "01",
        [
            MemberInput("李强", FATHER_ID, "02"),
            MemberInput("王芳", MOTHER_ID, "10"),
            MemberInput("李晓玲", "", "30", sex="2", birth_date="20150307"),
            MemberInput("李大宝", "", "20", sex="1", birth_date="20190901"),
            MemberInput("李二宝", "", "20", sex="1", birth_date="20190901"),
        ],
        [
            BirthInput(mother=2, child=4, father=1, birth_order=2, plurality=2, plurality_index=1),
            BirthInput(mother=2, child=5, father=1, birth_order=3, plurality=2, plurality_index=2),
        ],
    )
    _save("02", [MemberInput("曾敏", idnumber.make("130123", dt.date(1980, 1, 15), 33), "02")])
    return township_db


def test_name_keys():
    assert name_keys("李晓玲").homophone_keys == name_keys("李小玲").homophone_keys == ("li|xiaoling",)
    assert name_keys("李曉玲").simplified == "李晓玲"  # traditional → simplified
    assert simplified("於梅") == "於梅" and simplified("乾坤") == "乾坤"  # surnames OpenCC would change
    assert set(name_keys("曾敏").surname_readings) == {"zeng", "ceng"} and name_keys("单田芳").pinyin.startswith("shan")
    assert split("欧阳娜娜") == ("欧阳", "娜娜") and split("阿依古丽·买买提") == ("阿", "依古丽·买买提")
    assert name_keys("刘南").fuzzy_keys == name_keys("牛兰").fuzzy_keys  # n/l in dictated names
    assert name_keys("吕女").pinyin == "lvnv" and name_keys("李小龙").initials == "lxl"
    assert unnamed_child("王芳之女") == ("王芳", "2") and unnamed_child("王芳") is None


def test_id_variants():
    number = "130123198503140036"
    variants = dedup.id_variants(number)
    assert "130123198503140063" in variants  # the last two swapped
    assert "130123198503140037" in variants and number not in variants
    assert len(variants) == 17 * 9 + 10 + sum(number[i] != number[i + 1] for i in range(17))


def _rules(found):
    return {c.name: c.rule for c in found}


def test_homophone_with_the_same_or_a_swapped_birth_date(people):
    """Issue 16: every candidate is scored by the weights of its fields (storage.matchmodel): the
    candidates are those the blocking finds, the score says how alike, and the words say why."""
    girl = dedup.candidates(name="李小玲", birth_date=dt.date(2015, 3, 7), sex="2")
    assert (
        _rules(girl) == {"李晓玲": "homophone"} and girl[0].score >= dedup.WARN_SCORE and girl[0].why == "同音、同生日"
    )
    swapped = dedup.candidates(name="李小玲", birth_date=dt.date(2015, 7, 3))
    assert _rules(swapped) == {"李晓玲": "homophone"} and swapped[0].score < girl[0].score
    assert "birth_date" in swapped[0].differs and swapped[0].why == "同音、生日月日颠倒"
    # another sex counts against; the same name and day outweigh it (the sex keyed wrong)
    boy = dedup.candidates(name="李小玲", birth_date=dt.date(2015, 3, 7), sex="1")
    assert boy[0].score < girl[0].score and boy[0].why == "同音、同生日、性别不同"
    same_boy = dedup.candidates(name="李晓玲", birth_date=dt.date(2015, 3, 7), sex="1")
    assert same_boy[0].score >= dedup.WARN_SCORE and "sex" in same_boy[0].differs
    # a year off is found, and the same name weighs more than a homophone
    year_off = dedup.candidates(name="李小玲", birth_date=dt.date(2016, 3, 7))
    same_name = dedup.candidates(name="李晓玲", birth_date=dt.date(2016, 3, 7))
    assert _rules(year_off) == {"李晓玲": "homophone"} and year_off[0].score < same_name[0].score
    assert same_name[0].score >= dedup.WARN_SCORE and same_name[0].why == "同名、生日差1年"
    lunar = dedup.candidates(name="李晓玲", birth_date=dt.date(2015, 4, 17))  # a lunar birthday keyed as solar
    assert _rules(lunar) == {"李晓玲": "homophone"} and lunar[0].why == "同名、生日差41天"
    # 115 days off: not looked for (同名同年 alone weighs against, and read thousands of rows for 王燕)
    assert dedup.candidates(name="李晓玲", birth_date=dt.date(2015, 6, 30)) == []


def test_two_valid_different_id_numbers_are_two_persons(people):
    """Issue 16: 王然 / 王英 of one birthday, each with her own valid number, were warned of (形近
    at 75); two valid numbers more than one slip apart outweigh a name one character off, and only
    the same name on the same day still warns."""
    born = dt.date(1980, 1, 15)
    theirs = Person.get(Person.name == "曾敏").id_number
    other = idnumber.make("130123", born, 135)  # valid, another person's sequence
    assert other != theirs
    near = dedup.candidates(other, name="曾民", birth_date=born)
    assert near and all(c.score < dedup.WARN_SCORE for c in near)
    same = dedup.candidates(other, name="曾敏", birth_date=born)
    assert same and same[0].score >= dedup.WARN_SCORE and same[0].why == "两个有效号不同、同名、同生日"
    # a number next to hers (twins are numbered together) with another name: her twin, not her
    twin = idnumber.make("130123", born, 35)
    assert dedup.twin_numbers(twin, Person.get(Person.name == "曾敏").id_number)
    assert dedup.candidates(twin, name="曾民", birth_date=born) == []
    assert dedup.candidates(twin, name="曾敏", birth_date=born)  # the same name: still asked


def test_a_surname_with_two_readings(people):
    born = dt.date(1980, 1, 15)
    assert _rules(dedup.candidates(name="增敏", birth_date=born)) == {"曾敏": "homophone"}  # 曾 read zeng
    assert _rules(dedup.candidates(name="层敏", birth_date=born)) == {"曾敏": "homophone"}  # or ceng


def test_one_wrong_id_digit_with_the_same_name(people):
    right = Person.get(Person.name == "曾敏").id_number
    wrong = right[:10] + right[11] + right[10] + right[12:]  # two digits swapped
    assert wrong != right
    found = dedup.candidates(wrong, name="曾敏")
    assert _rules(found) == {"曾敏": "id_one_edit"} and "id_number" in found[0].differs
    assert dedup.candidates(wrong, name="张三") == []  # the name must agree too


def test_a_number_a_spreadsheet_cut_to_15_digits(people, tmp_path):
    """Issue 16: Excel keeps 15 digits and writes the rest as 000; such a number with another name
    spelling (a second error) was found by nothing. Found by its first 15 characters, here and in
    the review; a valid number that happens to end in 000 is no such number."""
    from storage.reflists import import_list

    right = Person.get(Person.name == "曾敏").id_number
    cut = right[:15] + "000"
    found = dedup.candidates(cut, name="曾民")
    assert [c.name for c in found] == ["曾敏"] and found[0].why.startswith("号码末三位被表格改成0")
    assert found[0].score >= dedup.WARN_SCORE
    path = tmp_path / "户籍.csv"  # a list that went through Excel
    path.write_text(f"姓名,公民身份号码,性别,出生日期\n曾民,{cut},女,1980-01-15\n", encoding="utf-8")
    import_list(path, "police_hukou")
    on_list = dedup.ref_candidates(right, name="曾敏")
    assert [c.name for c in on_list] == ["曾民"] and on_list[0].why.startswith("号码末三位被表格改成0")
    assert any({p.a_name, p.b.name} == {"曾敏", "曾民"} and p.b.score >= dedup.WARN_SCORE for p in listed_pairs())
    assert matchmodel.compare_ids(right[:15] + "000", True, right, True) == "two_valid"


def test_a_child_found_through_the_mother_and_twins_kept_apart(people):
    found = dedup.candidates(name="王芳之子", mother_id_number=MOTHER_ID, birth_date=dt.date(2019, 9, 3), sex="1")
    assert {c.name for c in found} == {"李大宝", "李二宝"} and {c.rule for c in found} == {"same_mother"}
    found = dedup.candidates(name="李大宝", mother_id_number=MOTHER_ID, birth_date=dt.date(2019, 9, 1), sex="1")
    assert [c.name for c in found] == ["李大宝"]  # his twin brother, same mother and day, other name: not him


def test_a_pair_decided_different_is_not_raised_again(people):
    a = Person.get(Person.name == "李大宝")
    found = dedup.candidates(
        name="李大宝", birth_date=dt.date(2019, 9, 1), sex="1", exclude_person_uids=frozenset({a.uid})
    )
    assert [c.name for c in found] == ["李二宝"]  # without the mother, a twin one character apart is a candidate
    assert (
        dedup.candidates(
            name="李大宝",
            birth_date=dt.date(2019, 9, 1),
            sex="1",
            mother_id_number=MOTHER_ID,
            exclude_person_uids=frozenset({a.uid}),
        )
        == []
    )  # with her, he is his twin
    stranger = HouseholdInput(
        VILLAGE, "03", "别处", "", [MemberInput("李小玲", "", "02", sex="2", birth_date="20150307")]
    )
    with pytest.raises(DuplicatesNotConfirmed) as err:
        save_household(stranger)
    assert err.value.hits[0][0].name == "李晓玲"
    save_household(stranger, confirmed_ids=frozenset({"name:李小玲"}))  # the clerk says: someone else
    new = Person.get(Person.name == "李小玲")
    assert dedup.candidates(name="李小玲", birth_date=dt.date(2015, 3, 7), person_uid=new.uid) == []
    assert _rules(dedup.candidates(name="李小玲", birth_date=dt.date(2015, 3, 7))) == {
        "李晓玲": "homophone",
        "李小玲": "homophone",
    }


def test_same_id_is_the_strongest_and_scores_are_not_summed(people):
    mother = Person.get(Person.name == "王芳")
    found = dedup.candidates(MOTHER_ID, name="王芳")
    assert found[0].person_uid == mother.uid and found[0].rule == "same_id" and found[0].score == 100
    assert "homophone" in found[0].rules and found[0].score == 100  # the ID's own birth date not counted again


def test_hecha_duplicates_while_another_program_scores_for_the_first_time(people):
    """A newcomer's finding: a second `hecha duplicates` while the first scoring ran said there were
    no duplicates (nothing was stored yet); it says it cannot tell yet, and the finished run lists."""
    from click.testing import CliRunner

    from main import cli
    from storage import pairstore
    from storage.models import MatchDecision

    _save("07", [MemberInput("李小玲", "", "02", sex="2", birth_date="20150307")])  # 李晓玲's homophone
    MatchDecision.delete().execute()  # saved past the warning; left open here
    runner, db = CliRunner(), ["--db", str(people)]
    with pairstore._only_one():  # another program's refresh
        res = runner.invoke(cli, ["duplicates", *db])
    assert res.exit_code == 0 and "还不能说有没有重复" in res.output and "没有得分" not in res.output, res.output
    assert "李小玲" in runner.invoke(cli, ["duplicates", *db]).output


def test_hecha_duplicates_lists_and_decides_pairs(people):
    from click.testing import CliRunner

    from main import cli

    stranger = HouseholdInput(
        VILLAGE, "04", "别处", "", [MemberInput("李小玲", "", "02", sex="2", birth_date="20150703")]
    )
    save_household(stranger, confirmed_ids=frozenset({"name:李小玲"}))  # saved past the warning: decided different
    twin = HouseholdInput(
        VILLAGE,
        "05",
        "别处",
        "",
        [MemberInput("曾敏", "", "02", sex=Person.get(Person.name == "曾敏").sex, birth_date="19800115")],
    )
    save_household(twin, confirmed_ids=frozenset({"name:曾敏"}))
    from storage.models import MatchDecision

    MatchDecision.delete().execute()  # forget the decisions: both pairs are open again
    runner = CliRunner()
    db = ["--db", str(people)]
    res = runner.invoke(cli, ["duplicates", *db])
    assert res.exit_code == 0 and "共 2 对" in res.output, res.output
    assert "李小玲" in res.output and "曾敏" in res.output and "李大宝" not in res.output  # twins are not a pair
    line = next(x for x in res.output.splitlines() if "李小玲" in x)
    a, b = line.split()[-2:]
    res = runner.invoke(cli, ["duplicates", "decide", "different", a, b, *db])
    assert res.exit_code == 0 and "不再提示" in res.output
    assert "共 1 对" in runner.invoke(cli, ["duplicates", *db]).output
    res = runner.invoke(cli, ["duplicates", "--limit", "1", "--kind", "persons", *db])  # the review's F7, here
    assert "共 1 对" in res.output and "曾敏" in res.output and "名单" not in res.output, res.output
    assert "没有得分不低于" in runner.invoke(cli, ["duplicates", "--kind", "records", *db]).output
    assert runner.invoke(cli, ["duplicates", "decide", "same", a, "nope", *db]).exit_code == 1


def test_a_name_one_character_off_or_swapped_on_the_same_day(people):
    born = dt.date(2015, 3, 7)
    assert _rules(dedup.candidates(name="李玲晓", birth_date=born, sex="2")) == {
        "李晓玲": "name_similar"
    }  # characters swapped
    mother_born = dt.date(1990, 5, 6)
    assert _rules(dedup.candidates(name="玉芳", birth_date=mother_born, sex="2")) == {
        "王芳": "name_similar"
    }  # 王/玉 by shape
    # a day off as well: two errors, found (issue 16) but not warned of for a name of two characters
    day_off = dedup.candidates(name="玉芳", birth_date=mother_born + dt.timedelta(days=1), sex="2")
    assert [c.name for c in day_off] == ["王芳"] and day_off[0].score < dedup.WARN_SCORE


def test_a_child_given_the_mothers_id_ranks_the_child_first(people):
    found = dedup.candidates(MOTHER_ID, name="李晓玲", birth_date=dt.date(2015, 3, 7), sex="2")
    assert found[0].name == "李晓玲" and found[0].rule == "homophone"
    mother = next(c for c in found if c.name == "王芳")
    assert mother.rule == "same_id" and mother.score < found[0].score  # still listed, below the child


def test_a_child_under_its_mothers_number_with_another_name_is_found_among_her_children(people):
    """Issue 16: a health list's record of a child carrying its mother's number, its name written
    another way (李大堡 for 李大宝): found among the children of the woman the number is hers, and
    said so; his twin brother, another name, is not warned of."""
    found = dedup.candidates(MOTHER_ID, name="李大堡", birth_date=dt.date(2019, 9, 1), sex="1")
    child = next(c for c in found if c.name == "李大宝")
    assert child.why == "同音、同生日、母亲同号", child  # he has no number of his own: the number is his mother's
    assert child.score >= dedup.WARN_SCORE and found[0] == child
    assert all(c.score < dedup.WARN_SCORE for c in found if c.name != "李大宝"), [
        (c.name, c.score, c.why) for c in found
    ]


def test_merging_a_person_registered_twice(people):
    from click.testing import CliRunner

    from main import cli
    from storage.models import AuditLog, Birth, Household, MatchDecision

    # 李晓玲 registered a second time as a child of another mother's household, with her ID number
    her_id = idnumber.make("130123", dt.date(2015, 3, 7), 8)
    other = HouseholdInput(
        VILLAGE,
        "06",
        "别处",
        "",
        [
            MemberInput("赵丽", idnumber.make("130123", dt.date(1989, 1, 2), 20), "02"),
            MemberInput("李小玲", her_id, "30"),
        ],
        [BirthInput(mother=1, child=2, birth_order=1)],
    )
    save_household(other, confirmed_ids=frozenset({her_id, other.members[0].id_number}))
    keep = Person.get(Person.name == "李晓玲")
    drop = Person.get(Person.name == "李小玲")
    runner = CliRunner()
    db = ["--db", str(people)]
    res = runner.invoke(cli, ["duplicates", "merge", keep.uid, drop.uid, "--yes", *db])
    assert res.exit_code == 0 and "转移 1 条" in res.output and "id_number" in res.output, res.output
    assert Person.get_by_id(drop.id).deleted and not Person.get_by_id(keep.id).deleted
    assert Person.get_by_id(keep.id).id_number == her_id  # she had none: she takes the duplicate's
    birth = Birth.get(Birth.mother == Person.get(Person.name == "赵丽").id)
    assert birth.child_id == keep.id  # the birth follows the survivor
    assert AuditLog.select().where(AuditLog.uid == birth.uid, AuditLog.reason.contains("重复登记合并")).exists()
    assert MatchDecision.get().decision == "same"
    assert dedup.candidates(her_id)[0].person_uid == keep.uid  # the search finds the survivor only
    assert not Household.get(Household.uid == other.uid).deleted  # 赵丽 is still there
    # refused: two different valid ID numbers; a head with others in the household
    res = runner.invoke(
        cli,
        [
            "duplicates",
            "merge",
            Person.get(Person.name == "曾敏").uid,
            Person.get(Person.name == "李强").uid,
            "--yes",
            *db,
        ],
    )
    assert res.exit_code == 1 and "身份证号不同" in res.output
    res = runner.invoke(
        cli,
        [
            "duplicates",
            "merge",
            Person.get(Person.name == "李大宝").uid,
            Person.get(Person.name == "李强").uid,
            "--yes",
            *db,
        ],
    )
    assert res.exit_code == 1 and "户主" in res.output


def test_the_review_lists_names_one_character_off_and_shows_earlier_decisions(people):
    for group, name in (("07", "周明帅"), ("08", "周朋帅")):
        save_household(
            HouseholdInput(VILLAGE, group, "别处", "", [MemberInput(name, "", "02", sex="1", birth_date="19540513")]),
            confirmed_ids=frozenset({"name:" + name}),
        )
    from storage.models import MatchDecision

    MatchDecision.delete().execute()
    found = {(p.a_name, p.b.name): p for p in listed_pairs()}
    pair = found.get(("周明帅", "周朋帅")) or found.get(("周朋帅", "周明帅"))
    assert pair is not None and pair.b.rule == "name_similar" and pair.decision == ""
    dedup.decide_pair(pair.a_uid, pair.b.person_uid, "unsure")
    again = {(p.a_name, p.b.name): p for p in listed_pairs()}
    decided = again.get(("周明帅", "周朋帅")) or again.get(("周朋帅", "周明帅"))
    assert decided is not None and decided.decision == "unsure"


def test_merging_a_mother_moves_her_births_to_the_survivors_household(people):
    from storage.check import check_database
    from storage.models import Birth, Household

    copy_id = MOTHER_ID  # 王芳 registered again, alone, with her ID: the same person
    save_household(
        HouseholdInput(VILLAGE, "09", "娘家", "", [MemberInput("王芳", copy_id, "02")]),
        confirmed_ids=frozenset({copy_id}),
    )
    keep = Person.select().join(Household).where((Person.name == "王芳") & (Household.group_no == "09")).get()
    drop = Person.select().join(Household).where((Person.name == "王芳") & (Household.group_no == "01")).get()
    dedup.merge_persons(keep.uid, drop.uid)
    births = list(Birth.select().where(Birth.deleted == False))
    assert births and all(b.mother_id == keep.id and b.household_id == keep.household_id for b in births)
    assert all(
        b.father_id is None and b.father_name == "李强" for b in births
    )  # her husband lives in the other household
    mother_errors = [f for f in check_database() if "mother" in f.finding.rule or "母亲" in f.finding.message]
    assert mother_errors == []


def test_each_injected_error_kind_finds_the_true_person_first(township_db):
    """The generator's error kinds (issue 5), each on a record that can carry it: the true person
    is the top candidate. Twins and old 15-digit IDs are in the population."""
    import random

    from storage import synth
    from storage.models import Birth

    synth.fill(120, as_of=dt.date(2024, 6, 30), seed=3)
    pop = synth.Population("130123", [VILLAGE], dt.date(2024, 6, 30), seed=3)
    births = [b for h in pop.households(400) for b in h.births]
    twins = [b for b in births if b.plurality == 2]
    assert twins and len(twins) % 2 == 0 and {b.plurality_index for b in twins} == {1, 2}  # about 2 % of births
    assert Person.select().where(Person.id_check == "legacy15").exists()
    rng = random.Random(7)
    mothers = {b.child_id: b.mother for b in Birth.select()}
    truths = []
    for p in Person.select().where(Person.deleted == False).order_by(Person.id):
        mother = mothers.get(p.id)
        truths.append(
            (
                synth.ProbeRecord(
                    p.name,
                    p.id_number,
                    p.sex,
                    dt.date.fromisoformat(p.birth_date),
                    mother.id_number if mother else "",
                    "clean",
                    p.uid,
                ),
                mother.name if mother else "",
            )
        )
    for kind in synth.ERROR_KINDS:
        done = 0
        for truth, mother_name in truths:
            rec = synth.inject(truth, kind, rng, mother_name=mother_name)
            if rec is None:
                continue
            found = dedup.candidates(
                rec.id_number,
                name=rec.name,
                sex=rec.sex,
                birth_date=rec.birth_date,
                mother_id_number=rec.mother_id_number,
            )
            assert found and found[0].person_uid == truth.true_uid, (kind, rec, found[:2])
            done += 1
            if done == 5:
                break
        assert done == 5, kind


def test_the_review_lists_persons_a_reference_record_may_be(people, tmp_path):
    """A police register (written as a real CSV, imported) against the persons: a record that agrees
    is a link, not a question; the same ID under another name, and a homophone name on the same day
    without an ID, are listed; a homophone with another valid ID is another person. A pair decided
    different is not listed again; a record decided the same person is recorded, never merged."""
    from click.testing import CliRunner

    from main import cli
    from storage.reflists import import_list

    father = Person.get(Person.name == "李强")
    other = idnumber.make("130123", dt.date(1988, 2, 3), 57)  # the father's birthday, another person's number
    path = tmp_path / "户籍.csv"
    path.write_text(
        "姓名,公民身份号码,性别,出生日期\n"
        f"王芳,{MOTHER_ID},女,1990-05-06\n"  # agrees: not a question
        f"李强国,{FATHER_ID},男,1988-02-03\n"  # the father's ID under another name
        "李小玲,,女,2015-03-07\n"  # 李晓玲 on the register as a homophone, no ID
        f"李墙,{other},男,1988-02-03\n",
        encoding="utf-8-sig",
    )  # homophone of 李强, another valid ID
    import_list(path, "police_hukou")
    found = [p for p in listed_pairs() if p.b.is_record]
    assert sorted((p.a_name, p.b.name) for p in found) == [("李强", "李强国"), ("李晓玲", "李小玲")]
    by_name = {p.b.name: p for p in found}
    assert (
        by_name["李强国"].b.rule == "same_id"
        and by_name["李强国"].b.differs == ("name",)
        and by_name["李强国"].a_uid == father.uid
    )
    assert (
        by_name["李小玲"].b.differs_text == "姓名"
        and "户籍人口登记" in by_name["李小玲"].b.where
        and "第4行" in by_name["李小玲"].b.where
    )
    assert not listed_pairs(kind="persons") or all(not p.b.is_record for p in listed_pairs(kind="persons"))

    runner, db = CliRunner(), ["--db", str(people)]
    res = runner.invoke(cli, ["duplicates", *db])
    assert res.exit_code == 0 and "李强国" in res.output and "第3行" in res.output, res.output
    ref = by_name["李小玲"].b.person_uid
    res = runner.invoke(cli, ["duplicates", "decide", "different", by_name["李小玲"].a_uid, ref, *db])
    assert res.exit_code == 0 and "不再提示" in res.output
    assert "李小玲" not in runner.invoke(cli, ["duplicates", *db]).output
    assert dedup.ref_candidates(name="李晓玲", birth_date=dt.date(2015, 3, 7), person_uid=by_name["李小玲"].a_uid) == []
    res = runner.invoke(cli, ["duplicates", "decide", "same", father.uid, by_name["李强国"].b.person_uid, *db])
    assert res.exit_code == 0 and "对应" in res.output
    res = runner.invoke(cli, ["duplicates", "merge", father.uid, by_name["李强国"].b.person_uid, "--yes", *db])
    assert res.exit_code == 1 and "不能合并" in res.output and Person.get_by_id(father.id).name == "李强"
    assert runner.invoke(cli, ["duplicates", "decide", "same", father.uid, "ref:999999", *db]).exit_code == 1


def test_list_records_in_traditional_characters_or_with_a_parents_number(people, tmp_path):
    """A register row that agrees but in traditional characters is a link, not a question; a row
    under the father's number with another name and date ranks below a real match; a child
    listed under the father's number (born 30 years after him) is loaded without it and reported
    (issue 12); a record uid typed with full-width digits is understood."""
    from click.testing import CliRunner

    from main import cli
    from storage.reflists import import_list

    path = tmp_path / "户籍.csv"
    path.write_text(
        "姓名,公民身份号码,性别,出生日期\n"
        f"李強,{FATHER_ID},男,1988-02-03\n"  # 李强 in traditional characters
        f"李小宝,{FATHER_ID},男,1990-02-03\n"  # another name and date under his number
        f"李小明,{FATHER_ID},男,2019-09-01\n",
        encoding="utf-8",
    )  # a child under the father's number
    report = import_list(path, "police_hukou")
    messages = [w["message"] for w in report.warned]
    assert report.rows_warned == 2 and "与身份证号里的 1988-02-03 不同" in messages[0]  # 李小宝: said, kept
    assert "不是本人的号码" in messages[1]  # 李小明
    listed = [(p.a_name, p.b.name) for p in listed_pairs() if p.b.is_record]
    assert ("李强", "李強") not in listed
    found = {c.name: c for c in dedup.ref_candidates(FATHER_ID, name="李强", birth_date=dt.date(1988, 2, 3))}
    assert set(found) == {"李強", "李小宝"}  # 李小明 carries no ID number
    assert found["李強"].score == 100 and found["李強"].why == "同号、同名"  # the date is the number's own
    assert found["李小宝"].score < dedup.WARN_SCORE and found["李小宝"].why == "同号、仅同姓、生日不同"
    assert not any(p.b.name == "李小宝" for p in listed_pairs())  # below the warning score
    pair = next(p for p in listed_pairs(min_score=0) if p.b.is_record and p.b.name == "李小宝")
    rid = pair.b.person_uid[4:]
    wide = "ｒｅｆ：" + "".join(chr(ord(c) + 0xFEE0) for c in rid)
    res = CliRunner().invoke(cli, ["duplicates", "decide", "different", pair.a_uid, wide, "--db", str(people)])
    assert res.exit_code == 0, res.output
    assert not any(p.b.name == "李小宝" for p in listed_pairs(min_score=0))


def test_the_warning_score_is_one_fact():
    """main.py (which imports click only) repeats the warning score as --min-score's default: it
    must be storage.dedup.WARN_SCORE."""
    from main import cli

    option = next(p for p in cli.commands["duplicates"].params if p.name == "min_score")
    assert option.default == dedup.WARN_SCORE


def test_the_review_masks_id_numbers_but_shows_where_they_differ(people):
    """Issue 14: a list shows no whole ID number. The pair's two numbers keep their last four
    characters and the positions where they differ, which is what the clerk decides on."""
    import re

    from click.testing import CliRunner

    from main import cli

    assert idnumber.mask_pair("130123198707220046", "130123198707202046") == (
        "*************20046",
        "*************02046",
    )
    assert idnumber.mask_pair("130123198707220046", "") == ("**************0046", "")
    assert idnumber.mask_pair("130123198707220046", "130123198707220046") == ("*" * 14 + "0046",) * 2
    wang = idnumber.make("130123", dt.date(1987, 7, 21), 4)
    for group in ("07", "08"):  # the same woman registered twice under the same number
        save_household(
            HouseholdInput(VILLAGE, group, "别处", "", [MemberInput("王秀英", wang, "02")]),
            confirmed_ids=frozenset({wang}),
        )
    res = CliRunner().invoke(cli, ["duplicates", "--db", str(people)])
    assert res.exit_code == 0 and "王秀英" in res.output, res.output
    assert wang not in res.output and not re.search(r"(?<!户)\d{17}[\dX]", res.output), res.output  # no whole ID
    line = next(x for x in res.output.splitlines() if "王秀英" in x)
    assert line.count("*" * 14 + wang[-4:]) == 2  # both sides: the tail only, as the numbers agree


def _stored() -> set[tuple]:
    """Every stored pair, as the review would show it (without the row ids)."""
    from storage.models import DupPair

    return {
        tuple(getattr(r, f) for f in ("pk_a", "pk_b", "kind", "score", "rule", "differs", "a_name", "b_name"))
        for r in DupPair.select()
    }


def test_stored_pairs_follow_every_change_as_a_full_rescan_would(demo_db, tmp_path):
    """Issue 15: the review pages stored pairs and rescores only what changed (the database's
    triggers mark it). After saves, an edit, a merge, a deleted household and a replaced list, the
    incremental refresh holds exactly the pairs a rescan of everything finds; a refresh stopped
    part-way keeps its chunks and the next one ends at the same pairs."""
    from storage import pairstore, synth
    from storage.audit import tombstone
    from storage.db import write_txn
    from storage.models import DupDirty, DupPair, Household

    as_of = dt.date(2026, 6, 30)
    synth.demo(80, as_of=as_of, seed=3, lists_folder=tmp_path / "lists")
    assert pairstore.pending()[0] == Person.select().where(Person.deleted == False).count()  # noqa: E712
    pairstore.refresh()
    assert pairstore.pending() == (0, 0)
    first = _stored()
    assert {k[2] for k in first} == {"p", "r"}, first  # the demo plants both kinds
    # changes, each through its own path
    person = listed_pairs(kind="persons")[0]
    merged = dedup.merge_persons(person.a_uid, person.b.person_uid)
    assert merged.moved >= 0
    twin = Person.select().where(Person.deleted == False).order_by(Person.id.desc()).first()  # noqa: E712
    _save("09", [MemberInput(twin.name, "", "02", sex=twin.sex, birth_date=twin.birth_date.replace("-", ""))])
    renamed = Person.select().where(Person.deleted == False, Person.id_number_18 == "").first()  # noqa: E712
    if renamed is not None:
        Person.update(name=renamed.name + "明").where(Person.id == renamed.id).execute()
        assert DupDirty.select().where(DupDirty.person_id == renamed.id).exists()  # the trigger saw it
    gone = Household.select().where(Household.deleted == False).order_by(Household.id).first()  # noqa: E712
    with write_txn():
        for row in [*Person.select().where(Person.household == gone.id), gone]:
            tombstone(row, reason="test")
    synth.reference_lists(as_of, seed=4, folder=tmp_path / "lists2")  # every list replaced
    assert pairstore.pending() != (0, 0)
    # a refresh stopped after its first chunk keeps that chunk; the next one finishes
    pairstore.CHUNK, chunk = 5, pairstore.CHUNK

    def stop(done: int, total: int) -> None:
        raise pairstore.Stop

    before = len(_stored())
    try:
        with pytest.raises(pairstore.Stop):
            pairstore.refresh(stop)
        assert DupDirty.select().count() > 0
        assert len(_stored()) > before / 2  # the pairs not reached yet are still listed, not emptied
        with pairstore._only_one(), pytest.raises(pairstore.Busy):  # one refresh at a time
            pairstore.refresh()
        pairstore.refresh()
    finally:
        pairstore.CHUNK = chunk
    incremental = _stored()
    assert pairstore.pending() == (0, 0) and incremental != first
    assert not any(person.b.person_uid in (k[0], k[1]) for k in incremental)  # the merged person's pairs went
    DupPair.delete().execute()
    pairstore.mark_all()
    pairstore.refresh()
    assert _stored() == incremental


def test_an_edit_decides_no_pair_it_did_not_make(people):
    """A newcomer's and a tester's finding: saving a household again (a phone number changed, by
    the form or ``hecha person set``) searched every member again and recorded their open pairs as
    different persons, so the pairs left the review for good; a name-and-date match was refused as
    「身份证号已有人登记」. Members saved before and unchanged are not searched again; a change made
    outside the form leaves what it finds open for the review."""
    from storage.households import update_person
    from storage.models import MatchDecision

    _save("07", [MemberInput("李小玲", "", "02", sex="2", birth_date="20150307")])  # 李晓玲's homophone
    MatchDecision.delete().execute()
    assert any({p.a_name, p.b.name} == {"李晓玲", "李小玲"} for p in listed_pairs())
    update_person(FATHER_ID, {"phone": "13800000000"})  # 李强, in 李晓玲's household
    assert not MatchDecision.select().exists()
    assert any({p.a_name, p.b.name} == {"李晓玲", "李小玲"} for p in listed_pairs())
    h = HouseholdInput(VILLAGE, "08", "别处", "", [MemberInput("李晓伶", "", "02", sex="2", birth_date="20150307")])
    with pytest.raises(DuplicatesNotConfirmed) as err:
        save_household(h)
    assert "可能已有登记（同音、同生日" in str(err.value) and "身份证号" not in str(err.value), str(err.value)


def test_the_levels_a_pair_of_records_falls_in():
    """storage.matchmodel's levels (issue 16), each as the words the form shows."""
    keys = name_keys("李艳勇")
    d = dt.date(1990, 5, 20)
    cases: list[tuple[dict, tuple[str, ...], str]] = [
        (dict(keys=keys, their_name="李艳"), ("name:one_char",), "多字或少字"),
        (dict(keys=name_keys("李伟"), their_name="李磊"), ("name:one_char_short",), "姓名差一字"),
        (dict(keys=keys, their_name="李燕勇"), ("name:homophone",), "同音"),
        (dict(born=d, their_born=dt.date(1990, 5, 1)), ("date:day_unknown",), "同年同月、一方日为1日"),
        (dict(born=d, their_born=dt.date(1991, 5, 20)), ("date:year",), "生日差1年"),
        (dict(born=d, their_born=dt.date(1990, 6, 30)), ("date:lunar",), "生日差41天"),
        (dict(born=d, their_born=dt.date(1990, 8, 20)), ("date:month",), "生日月份不同"),
    ]
    for kwargs, levels, words in cases:
        c = matchmodel.compare(**kwargs)
        assert c.levels() == levels and matchmodel.explain(c) == words, (kwargs, c)
    valid = idnumber.make("130123", d, 12)
    mothers = idnumber.make("130123", dt.date(1965, 1, 2), 44)
    assert matchmodel.compare_ids(valid, True, mothers, True) == "two_valid"
    assert matchmodel.compare_ids(valid, True, mothers, True, taken=True) == "borrowed"
    assert matchmodel.compare_ids(valid[:15] + "000", False, valid, True) == "cut"
    # the same number: its own date and sex are not counted a second time
    same = matchmodel.compare(
        id_pair=(valid, True, valid, True), born=d, their_born=d, sex="1", their_sex="1", born_from_id=True
    )
    assert same.levels() == ("id:same",)
    model = matchmodel.model()
    persons = 50_000
    rare = model.score(
        matchmodel.compare(keys=keys, their_name="李艳勇", born=d, their_born=d),
        persons=persons,
        name_u=1 / persons,
        date_u=2 / persons,
    )
    common = model.score(
        matchmodel.compare(keys=keys, their_name="李艳勇", born=d, their_born=d),
        persons=persons,
        name_u=300 / persons,
        date_u=2 / persons,
    )
    assert rare > common  # the same name weighs by how many bear it


def test_dates_at_the_calendars_ends_and_an_unknown_sex(people):
    """A bad-input helper's findings: 9999-12-31 (an "unknown" date) or 0001-01-01 ended the search
    in an OverflowError; sex 9 (未说明, GB/T 2261.1) or junk counted as the other sex."""
    for day in (dt.date(9999, 12, 31), dt.date(1, 1, 1), dt.date(9999, 11, 30)):
        assert dedup.candidates(name="李晓玲", birth_date=day, mother_id_number=MOTHER_ID) == []
        assert dedup.ref_candidates(name="李晓玲", birth_date=day, mother_id_number="GARBAGE") == []
    for sex in ("9", "0", "x"):
        found = dedup.candidates(name="李晓玲", birth_date=dt.date(2015, 3, 9), sex=sex)
        assert found and "性别不同" not in found[0].why and not any(x.startswith("sex:") for x in found[0].levels)


def test_a_list_giving_the_birth_month_only_agrees_with_any_day_of_it(people, tmp_path):
    """A newcomer's finding: half the demo's review were kindergarten and school records that give
    出生年月 only (stored as the 1st) against the same name born later that month, each a "question"
    though the record agrees with the person as far as it goes."""
    from storage.reflists import import_list

    path = tmp_path / "幼儿园.csv"
    path.write_text("姓名,性别,出生年月\n李晓玲,女,201503\n李晓玲,女,201504\n", encoding="utf-8")
    import_list(path, "police_hukou")
    listed = [p.b.birth_date for p in listed_pairs(min_score=0) if p.b.is_record and p.a_name == "李晓玲"]
    assert listed == ["2015-04-01"], listed  # the month that agrees is a link; April is still a question


def test_the_reviews_bulk_scoring_scores_as_the_form_does(demo_db, tmp_path):
    """Issue 18 (item 7): the review scores a chunk of persons' blocked pairs in bulk
    (dedup.score_pairs: a few queries per chunk, not several per person). On the demo's township,
    with its planted duplicates, twins and children under their mother's number, every scorer's
    candidates among its partners are those the form's search gives (candidates with ``only``):
    the same persons, scores, rules and reasons."""
    from storage import pairstore, synth
    from storage.dedup import Scorer, candidates, score_pairs

    synth.demo(400, as_of=dt.date(2026, 6, 30), seed=5, lists_folder=tmp_path / "lists")
    pairstore.mark_all()  # every person, as a first scoring
    pairstore._snapshot()
    blocks = pairstore._person_blocks()
    assert len(blocks) > 10, len(blocks)
    sql = Person._meta.database.execute_sql
    scorers = []
    for pid in sorted(blocks):
        uid, name, number, sex, born, mother = sql(
            """SELECT p.uid, p.name, p.id_number, p.sex, p.birth_date,
                      (SELECT m.id_number FROM birth b JOIN person m ON m.id = b.mother_id
                        WHERE b.child_id = p.id AND b.deleted = 0 LIMIT 1)
               FROM person p WHERE p.id = ?""",
            (pid,),
        ).fetchone()
        scorers.append(Scorer(pid, uid, name, number, sex, born, mother or ""))
    bulk = score_pairs(scorers, blocks)
    uid_of = dict(sql("SELECT id, uid FROM person"))
    compared = warned = 0
    for s in scorers:
        wanted = {uid_of[p] for p in blocks[s.id]}
        one = candidates(
            s.id_number,
            name=s.name,
            sex=s.sex,
            birth_date=dedup._date(s.birth_date),
            mother_id_number=s.mother_id_number,
            exclude_person_uids=frozenset({s.uid}),
            limit=500,
            only=frozenset(blocks[s.id]),
        )

        def seen(found, wanted=wanted):
            return sorted((c.person_uid, c.score, c.rule, c.why) for c in found if c.person_uid in wanted)

        assert seen(bulk[s.id]) == seen(one), s
        compared += len(seen(one))
        warned += sum(c.score >= dedup.WARN_SCORE for c in one if c.person_uid in wanted)
    assert compared >= 15 and warned >= 5, (compared, warned)


def test_the_swept_blocks_are_the_rules_pairs(township_db, tmp_path):
    """Issue 18 (item 7): at a county's first review the homophone, fuzzy-key and one-character
    rules are found by sorting every person once (pairstore._swept_blocks) instead of by each changed
    person's lookups, which read a common name's bearers again for each. Both give the same pairs:
    for everyone changed, and for a few changed persons."""
    import itertools

    from storage import pairstore
    from storage.db import write_txn
    from storage.models import Household
    from storage.namekeys import index_all

    # names that share a homophone or fuzzy key or are one character apart, on dates a few days
    # apart, a year apart, day and month swapped, the same day of another month, and far away
    names = ["王伟", "王玮", "汪伟", "王卫", "王伟东", "李娜", "李那", "黎娜", "李小娜", "张三", "章三", "张山"]
    base = [dt.date(1990, 3, 4), dt.date(1991, 3, 4), dt.date(1990, 5, 4), dt.date(1990, 1, 12), dt.date(1990, 12, 1)]
    born = [d + dt.timedelta(days=k) for d in base for k in (0, 2, 40, 60)] + [dt.date(1990, 3, 4).replace(day=1)]
    with write_txn():
        h = Household.create(
            household_code=f"{VILLAGE}010001",
            village_code=VILLAGE,
            group_no="01",
            serial=1,
            origin="130123103",
            version=1,
            updated_at="x",
            updated_by="t",
        )
        rows = [
            dict(
                household=h.id,
                seq=i,
                name=n,
                name_norm=n,
                birth_date=d.isoformat(),
                sex="1",
                origin="130123103",
                version=1,
                updated_at="x",
                updated_by="t",
                uid=f"{i:08d}-0000-4000-8000-000000000000",
            )
            for i, (n, d) in enumerate(itertools.product(names, born), start=1)
        ]
        Person.insert_many(rows).execute()
        index_all()

    def by_sql() -> set[tuple[int, int]]:
        out = set()
        for i in pairstore.SWEPT_RULES:
            for a, b in pairstore._sql(pairstore._PERSON_BLOCKS[i]):
                out.add((min(a, b), max(a, b)))
        return out

    pairstore.mark_all()
    pairstore._snapshot()
    every = by_sql()
    assert len(every) > 2000, len(every)
    assert set(pairstore._swept_blocks()) == every
    Person._meta.database.execute_sql("DELETE FROM temp.dup_snap WHERE id % 7 != 0")  # a few changed
    some = by_sql()
    assert 0 < len(some) < len(every)
    assert set(pairstore._swept_blocks()) == some
