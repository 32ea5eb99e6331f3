"""Reconciliation on lists as offices really get them (issue 12): hand-made files in the layouts of
the P&WIS export by woman, birth certificates with 母亲身份证件号码, month-precision school rolls with
家长姓名, police registers with 户号 and 与户主关系; each case named with the finding it must give.

These lists are written here by hand, not by :mod:`storage.synth`, so that the linker is not only
tried on its own generator's data."""

import datetime as dt
import json

import pytest
import xlwt
from click.testing import CliRunner

from main import cli
from storage import idnumber, reconcile
from storage.households import BirthInput, HouseholdInput, MemberInput, dup_key, save_household
from storage.models import ImportBatch, ReconcileFinding, RefRecord, RowError
from storage.reflists import ColumnMismatch, import_list

AS_OF = dt.date(2026, 6, 30)
VILLAGE = "130123103203"  # 李家庄村
MUM = idnumber.make("130123", dt.date(1990, 5, 6), 22)  # 王芳
DAD = idnumber.make("130123", dt.date(1988, 2, 3), 11)  # 李强
MUM2 = idnumber.make("130123", dt.date(1992, 8, 9), 42)  # 张丽, not on the forms
KID1 = idnumber.make("130123", dt.date(2017, 4, 12), 13)  # 李浩然, boy, first child
KID2 = idnumber.make("130123", dt.date(2019, 9, 14), 24)  # 李思琪, girl, second child


def _xls(path, header, rows):
    book = xlwt.Workbook(encoding="gbk")
    sheet = book.add_sheet("Sheet1")
    for c, h in enumerate(header):
        sheet.write(0, c, h)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if v not in (None, ""):
                sheet.write(r, c, v)
    book.save(str(path))
    return path


def _xlsx(path, header, rows):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _csv(path, header, rows):
    path.write_text("\n".join(",".join(str(v) for v in r) for r in [header, *rows]) + "\n", encoding="gbk")
    return path


WIS_HEAD = [
    "序号",
    "村(居)委会",
    "育龄妇女姓名",
    "身份证号",
    "丈夫姓名",
    "子女姓名",
    "子女性别",
    "子女出生日期",
    "孩次",
    "婚姻状况",
    "节育措施",
]


def _family(with_second: bool = True):
    """李强 and 王芳 on the forms with 李浩然 (2017-04-12, 孩次 1) and 李思琪 (2019-09-14, 孩次 2)."""
    members = [MemberInput("李强", DAD, "02"), MemberInput("王芳", MUM, "10"), MemberInput("李浩然", KID1, "20")]
    births = [BirthInput(mother=2, child=3, father=1, birth_order=1)]
    if with_second:
        members.append(MemberInput("李思琪", KID2, "30"))
        births.append(BirthInput(mother=2, child=4, father=1, birth_order=2))
    save_household(
        HouseholdInput(VILLAGE, "01", "李家庄1号", "", members, births),
        confirmed_ids=frozenset(dup_key(m) for m in members),
        today=AS_OF,
    )


def _wis(tmp_path, rows, name="wis.xls"):
    return import_list(_xls(tmp_path / name, WIS_HEAD, rows), "wis")


def _findings():
    reconcile.run(AS_OF)
    return list(ReconcileFinding.select())


def _only(findings, kind):
    got = [f for f in findings if f.kind == kind]
    assert len(got) == 1, [(f.kind, f.child_name, f.differences) for f in findings]
    return got[0]


def test_the_pwis_export_by_woman_is_read_without_a_map(township_db, tmp_path):
    """身份证号 is the woman's, 孩次 and 村(居)委会 are kept, and the unused columns are named."""
    report = _wis(
        tmp_path,
        [
            [1, "李家庄村", "王芳", MUM, "李强", "李浩然", "男", "2017-04-12", "1", "初婚", "宫内节育器"],
            [2, "李家庄村委会", "王芳", MUM, "李强", "李思琪", "女", "2019-09-14", "二", "初婚", "宫内节育器"],
        ],
    )
    assert report.layouts == ["人口系统育龄妇女导出（一行一个子女）"]
    assert report.unused_columns == ["第10列 婚姻状况", "第11列 节育措施"]
    recs = list(RefRecord.select().order_by(RefRecord.row_no))
    assert [(r.name, r.mother_id_number, r.id_number, r.father_name, r.birth_order, r.village_code) for r in recs] == [
        ("李浩然", MUM, "", "李强", 1, VILLAGE),
        ("李思琪", MUM, "", "李强", 2, VILLAGE),
    ]
    assert json.loads(ImportBatch.get().unused_columns) == ["第10列 婚姻状况", "第11列 节育措施"]
    # an office with no forms keyed yet: WIS-only births fall in their village, not in 村不详
    found = _findings()
    assert {f.kind for f in found} == {"false"} and {f.village_code for f in found} == {VILLAGE}


def test_the_import_report_names_unused_columns_on_the_command_line(township_db, tmp_path):
    path = _xlsx(
        tmp_path / "出生证.xlsx",
        ["新生儿姓名", "性别", "出生日期", "助产机构", "母亲姓名", "母亲身份证件号码", "出生医学证明编号"],
        [["李浩然", "男", "2017-04-12", "县医院", "王芳", MUM, "M130000001"]],
    )
    res = CliRunner().invoke(cli, ["import-list", "--source", "birth_cert", str(path), "--db", str(township_db)])
    assert res.exit_code == 0 and "未使用的列：第4列 助产机构" in res.output, res.output
    assert RefRecord.get().mother_id_number == MUM  # 母亲身份证件号码 is used, not dropped
    res = CliRunner().invoke(cli, ["lists", "--db", str(township_db)])
    assert "第4列 助产机构" in res.output


def test_a_mothers_id_mapped_as_the_childs_is_refused_with_the_fix(township_db, tmp_path):
    """Mapped naively (身份证号 → the child's ID), the numbers are 25 years older than the children."""
    rows = [
        [i, "李家庄村", "王芳", MUM, "李强", name, "男", day, str(i), "", ""]
        for i, (name, day) in enumerate(
            (("李浩然", "2017-04-12"), ("李思琪", "2019-09-14"), ("李三", "2021-01-05")), start=1
        )
    ]
    path = _xls(tmp_path / "wis.xls", WIS_HEAD, rows)
    with pytest.raises(ColumnMismatch) as err:
        import_list(path, "wis", mapping={"身份证号": "id_number"})
    assert "--map 身份证号=mother_id_number" in str(err.value) and "早15年以上" in str(err.value)
    assert RefRecord.select().count() == 0 and ImportBatch.select().count() == 0  # all or nothing
    res = CliRunner().invoke(
        cli, ["import-list", "--source", "wis", str(path), "--map", "身份证号=id_number", "--db", str(township_db)]
    )
    assert res.exit_code == 1 and "mother_id_number" in res.output


def test_a_month_precision_school_roll_links_to_the_day_and_makes_no_misreport(township_db, tmp_path):
    """出生年月 201704 is any day of April 2017: consistent, never an omission nor a 错报."""
    _family(with_second=False)
    _wis(tmp_path, [[1, "李家庄村", "王芳", MUM, "李强", "李浩然", "男", "2017-04-12", "1", "", ""]])
    import_list(
        _xls(
            tmp_path / "school.xls",
            ["学籍号", "学生姓名", "性别", "出生年月", "家长姓名", "班级"],
            [["G1", "李浩然", "男", "201704", "李强", "四(2)班"]],
        ),
        "school",
    )
    rec = RefRecord.get(RefRecord.source == "school")
    assert (rec.birth_date, rec.birth_date_prec, rec.parent_name) == ("2017-04-01", "M", "李强")
    found = _findings()
    f = _only(found, "consistent")
    assert "education" in f.groups.split() and json.loads(f.differences) == []


def test_the_date_inside_a_valid_id_is_the_rows_date(township_db, tmp_path):
    import_list(
        _xlsx(
            tmp_path / "school.xlsx", ["学生姓名", "性别", "出生年月", "身份证号"], [["李浩然", "男", "2017.04", KID1]]
        ),
        "school",
    )
    rec = RefRecord.get()
    assert (rec.birth_date, rec.birth_date_prec) == ("2017-04-12", "D")


@pytest.mark.parametrize(
    "case, wis_date, wis_sex, wis_order, field",
    [
        ("sex misreported", "2019-09-14", "男", "2", "sex"),
        ("a year off", "2018-09-14", "女", "2", "birth_date"),
        ("the lunar date keyed as solar", "2019-08-16", "女", "2", "birth_date"),  # 2019-09-14 is 农历 八月十六
        ("day and month swapped", "2019-09-14", "女", "2", None),  # 14 cannot be a month: no swap possible, consistent
        ("another month", "2019-03-14", "女", "2", "birth_date"),
        ("birth order misreported", "2019-09-14", "女", "3", "birth_order"),
    ],
)
def test_one_wrong_key_field_in_wis_is_one_misreport(township_db, tmp_path, case, wis_date, wis_sex, wis_order, field):
    """The WIS row of 李思琪 with one key field wrong links to her forms and certificate records
    (through the mother's ID) and gives one 错报 naming that field, not a 虚报 and an omission."""
    _family()
    _wis(
        tmp_path,
        [
            [1, "李家庄村", "王芳", MUM, "李强", "李浩然", "男", "2017-04-12", "1", "", ""],
            [2, "李家庄村", "王芳", MUM, "李强", "李思琪", wis_sex, wis_date, wis_order, "", ""],
        ],
    )
    import_list(
        _csv(
            tmp_path / "cert.csv",
            ["新生儿姓名", "性别", "出生日期", "母亲姓名", "母亲身份证件号码", "出生医学证明编号"],
            [["", "女", "2019-09-14", "王芳", MUM, "M130000002"]],
        ),
        "birth_cert",
    )
    found = _findings()
    assert not [f for f in found if f.kind in ("false", "omission")], [(f.kind, f.child_name) for f in found]
    if field is None:
        assert {f.kind for f in found} == {"consistent"}
        return
    f = _only(found, "misreport")
    assert [d[0] for d in json.loads(f.differences)] == [field] and f.child_name == "李思琪"


def test_day_and_month_swapped_in_wis_is_a_date_misreport(township_db, tmp_path):
    members = [MemberInput("王芳", MUM, "02"), MemberInput("李晓玲", "", "30", sex="2", birth_date="20170307")]
    save_household(
        HouseholdInput(VILLAGE, "02", "", "", members, [BirthInput(mother=1, child=2, birth_order=1)]),
        confirmed_ids=frozenset(dup_key(m) for m in members),
        today=AS_OF,
    )
    _wis(tmp_path, [[1, "李家庄村", "王芳", MUM, "", "李小玲", "女", "2017-07-03", "1", "", ""]])  # a homophone too
    f = _only(_findings(), "misreport")
    assert json.loads(f.differences)[0][:3] == ["birth_date", "2017-07-03", "2017-03-07"]


def test_a_misreported_mother_links_by_name_and_day(township_db, tmp_path):
    """WIS lists 李思琪 under another woman: same name, sex and day, the mother differs."""
    _family()
    _wis(
        tmp_path,
        [
            [1, "李家庄村", "王芳", MUM, "李强", "李浩然", "男", "2017-04-12", "1", "", ""],
            [2, "李家庄村", "张丽", MUM2, "", "李思琪", "女", "2019-09-14", "1", "", ""],
        ],
    )
    f = _only(_findings(), "misreport")
    assert "mother" in [d[0] for d in json.loads(f.differences)]


def test_a_name_variant_with_a_wrong_year_still_links(township_db, tmp_path):
    """李思琪 as 李思奇 on a vaccination roll and a year off in WIS: one 错报 of the date."""
    _family()
    _wis(
        tmp_path,
        [
            [1, "李家庄村", "王芳", MUM, "李强", "李浩然", "男", "2017-04-12", "1", "", ""],
            [2, "李家庄村", "王芳", MUM, "李强", "李思奇", "女", "2020-09-14", "2", "", ""],
        ],
    )
    f = _only(_findings(), "misreport")
    assert [d[0] for d in json.loads(f.differences)] == ["birth_date"]


def test_an_id_stored_as_a_number_keeps_the_row(township_db, tmp_path):
    """A police row whose ID a spreadsheet stored as a number is loaded (name, sex, date) and
    reported; the birth links by name and date, no omission."""
    _family(with_second=False)
    _wis(tmp_path, [[1, "李家庄村", "王芳", MUM, "李强", "李浩然", "男", "2017-04-12", "1", "", ""]])
    report = import_list(
        _xls(
            tmp_path / "police.xls",
            ["户号", "姓名", "与户主关系", "性别", "出生日期", "公民身份号码"],
            [["0012", "李浩然", "子", "男", "20170412", float(KID1)]],
        ),
        "police_hukou",
    )
    assert (report.rows_loaded, report.rows_rejected, report.rows_warned) == (1, 0, 1)
    assert RowError.get().level == "warning" and "存成数字" in RowError.get().message
    rec = RefRecord.get(RefRecord.source == "police_hukou")
    assert (rec.name, rec.id_number, rec.id_check, rec.birth_date) == ("李浩然", "", "unusable", "2017-04-12")
    f = _only(_findings(), "consistent")
    assert "police" in f.groups.split()


def test_the_police_register_gives_children_their_mother_through_the_household(township_db, tmp_path):
    report = import_list(
        _xls(
            tmp_path / "police.xls",
            ["户号", "姓名", "与户主关系", "性别", "出生日期", "公民身份号码"],
            [
                ["0012", "李强", "户主", "男", "19880203", DAD],
                ["0012", "王芳", "妻", "女", "19900506", MUM],
                ["0012", "李浩然", "长子", "男", "20170412", KID1],
                ["0013", "李思琪", "孙女", "女", "20190914", KID2],
                ["0012", "李浩宇", "次子", "男", "20200101", ""],  # the 户号 again after another's rows
            ],
        ),
        "police_hukou",
    )
    assert report.parents_found == 2
    for name in ("李浩然", "李浩宇"):
        kid = RefRecord.get(RefRecord.name == name)
        assert (kid.mother_name, kid.mother_id_number, kid.father_name) == ("王芳", MUM, "李强")
    assert RefRecord.get(RefRecord.name == "李思琪").mother_id_number == ""  # a grandchild: her mother is not known


def test_a_truly_omitted_birth_gets_one_finding(township_db, tmp_path):
    """李思琪 on the forms, the certificate (unnamed), vaccinations (a day off, name miswritten) and the
    police register, never in WIS: one omission, one visit."""
    _family()
    _wis(tmp_path, [[1, "李家庄村", "王芳", MUM, "李强", "李浩然", "男", "2017-04-12", "1", "", ""]])
    import_list(
        _csv(
            tmp_path / "cert.csv",
            ["新生儿姓名", "性别", "出生日期", "母亲姓名", "母亲身份证件号码", "出生医学证明编号"],
            [["王芳之女", "女", "2019-09-14", "王芳", MUM, "M130000002"]],
        ),
        "birth_cert",
    )
    import_list(
        _xls(
            tmp_path / "vacc.xls",
            ["儿童姓名", "性别", "出生日期", "母亲姓名", "现住址"],
            [["李思奇", "女", "20190915", "王芳", "李家庄1号"]],
        ),
        "vaccination",
    )
    import_list(
        _xls(
            tmp_path / "police.xls",
            ["户号", "姓名", "与户主关系", "性别", "出生日期", "公民身份号码"],
            [["0012", "李思琪", "女", "女", "20190914", KID2]],
        ),
        "police_hukou",
    )
    found = _findings()
    f = _only(found, "omission")
    assert set(f.groups.split()) == {"forms", "health", "police"} and len(json.loads(f.evidence)) == 4


def test_twins_with_close_names_stay_two_births(township_db, tmp_path):
    """Twins 李明辉 (boy) and 李明慧 (girl), same mother and day: the looser rules (names one
    character apart, a differing sex) must not join them."""
    t1, t2 = idnumber.make("130123", dt.date(2020, 2, 2), 13), idnumber.make("130123", dt.date(2020, 2, 2), 24)
    members = [MemberInput("王芳", MUM, "02"), MemberInput("李明辉", t1, "20"), MemberInput("李明慧", t2, "30")]
    save_household(
        HouseholdInput(
            VILLAGE,
            "03",
            "",
            "",
            members,
            [
                BirthInput(mother=1, child=2, birth_order=1, plurality=2, plurality_index=1),
                BirthInput(mother=1, child=3, birth_order=2, plurality=2, plurality_index=2),
            ],
        ),
        confirmed_ids=frozenset(dup_key(m) for m in members),
        today=AS_OF,
    )
    _wis(
        tmp_path,
        [
            [1, "李家庄村", "王芳", MUM, "", "李明辉", "男", "2020-02-02", "1", "", ""],
            [2, "李家庄村", "王芳", MUM, "", "李明慧", "女", "2020-02-02", "2", "", ""],
        ],
    )
    found = _findings()
    assert sorted(f.kind for f in found) == ["consistent", "consistent"]


def test_a_delivery_register_by_mother_is_read_as_the_babys_record(township_db, tmp_path):
    report = import_list(
        _csv(
            tmp_path / "分娩.csv",
            ["住院号", "姓名", "身份证号", "分娩日期", "婴儿性别", "分娩方式"],
            [["Z001", "王芳", MUM, "2019/09/14", "女", "顺产"]],
        ),
        "delivery",
    )
    assert report.layouts == ["住院分娩名单（一行一个产妇）"]
    rec = RefRecord.get()
    assert (rec.name, rec.mother_name, rec.mother_id_number, rec.id_number, rec.birth_date, rec.sex) == (
        "",
        "王芳",
        MUM,
        "",
        "2019-09-14",
        "2",
    )


# ---------------------------------------------------------------------------- lists a newcomer broke (issue 12 review)
def test_a_month_column_of_date_cells_is_months(township_db, tmp_path):
    """出生年月 as Excel date cells formatted yyyy-mm hold the 1st: months, not days (no false omissions)."""
    book = xlwt.Workbook(encoding="gbk")
    sheet = book.add_sheet("花名册")
    month = xlwt.easyxf(num_format_str="yyyy-mm")
    for c, h in enumerate(["幼儿姓名", "性别", "出生年月", "家长姓名"]):
        sheet.write(0, c, h)
    for c, v in enumerate(["李浩然", "男", dt.date(2017, 4, 1), "王芳"]):
        sheet.write(1, c, v, month) if isinstance(v, dt.date) else sheet.write(1, c, v)
    book.save(str(tmp_path / "kg.xls"))
    import_list(tmp_path / "kg.xls", "kindergarten")
    rec = RefRecord.get()
    assert (rec.birth_date, rec.birth_date_prec) == ("2017-04-01", "M")


def test_footer_rows_are_not_people(township_db, tmp_path):
    report = _wis(
        tmp_path,
        [
            [1, "李家庄村", "王芳", MUM, "李强", "李浩然", "男", "2017-04-12", "1", "", ""],
            ["", "", "", "", "", "审核人：李四", "", "2026-06-30", "", "", ""],
            ["", "", "", "", "", "", "", "", "", "", "本页小计：1人"],
        ],
    )
    assert (report.rows_read, report.rows_loaded) == (1, 1) and RefRecord.get().name == "李浩然"


def test_a_womans_merged_cells_are_carried_down_to_her_children(township_db, tmp_path):
    """The P&WIS export by woman printed with her cells merged over her children's rows."""
    report = _wis(
        tmp_path,
        [
            [1, "李家庄村", "王芳", MUM, "李强", "李浩然", "男", "2017-04-12", "1", "", ""],
            [2, "", "", "", "", "李思琪", "女", "2019-09-14", "2", "", ""],
        ],
    )
    from storage.reflists import report_lines

    assert report.rows_filled == 1 and any("合并单元格" in line for line in report_lines(report))
    kid = RefRecord.get(RefRecord.name == "李思琪")
    assert (kid.mother_name, kid.mother_id_number, kid.father_name, kid.village_code) == ("王芳", MUM, "李强", VILLAGE)


def test_a_file_of_which_no_row_loads_replaces_nothing(township_db, tmp_path):
    from storage.sources import SourceError

    _wis(tmp_path, [[1, "李家庄村", "王芳", MUM, "李强", "李浩然", "男", "2017-04-12", "1", "", ""]])
    bad = _xls(tmp_path / "bad.xls", WIS_HEAD, [[1, "李家庄村", "", "", "", "", "男", "2017年13月", "1", "", ""]])
    with pytest.raises(SourceError, match="没有一行能导入"):
        import_list(bad, "wis", replace=True)
    assert ImportBatch.get().status == "active" and RefRecord.select().count() == 1


def test_text_dates_as_numbers_exported(township_db, tmp_path):
    from storage.reflists import parse_date

    assert parse_date("20180914.0") == ("2018-09-14", "D")
    assert parse_date(2018.1) == ("2018-10-01", "M")  # a number: October whose last zero was dropped
    assert parse_date("2018.1") == ("2018-01-01", "Y")  # text: January typed, or October exported: the year


def test_a_kept_mapping_is_used_where_the_profiles_read_the_other_columns(township_db, tmp_path):
    head = [*WIS_HEAD]
    head[3] = "育妇证件号"  # a header no profile knows, beside headers they do
    rows = [[1, "李家庄村", "王芳", MUM, "李强", "李浩然", "男", "2017-04-12", "1", "", ""]]
    import_list(_xls(tmp_path / "a.xls", head, rows), "wis", mapping={"育妇证件号": "mother_id_number"})
    import_list(
        _xls(
            tmp_path / "b.xls",
            head,
            rows + [[2, "李家庄村", "王芳", MUM, "李强", "李思琪", "女", "2019-09-14", "2", "", ""]],
        ),
        "wis",
        replace=True,
    )
    assert {r.mother_id_number for r in RefRecord.select()} == {MUM}


def test_police_relations_as_codes_wives_and_two_families_in_one_household(township_db, tmp_path):
    head = ["户号", "姓名", "与户主关系", "性别", "出生日期", "公民身份号码"]
    report = import_list(
        _xls(
            tmp_path / "police.xls",
            head,
            [
                ["0012", "李强", 2.0, "男", "19880203", DAD],
                ["0012", "王芳", "妻子", "女", "19900506", MUM],
                ["0012", "李浩然", 20.0, "男", "20170412", KID1],  # codes read from number cells: 2 is 02 户主, 20 子
                ["0013", "张三", "户主", "男", "19800101", ""],
                ["0013", "赵四", "户主", "男", "19820101", ""],
                ["0013", "张小", "子", "男", "20180101", ""],  # two heads under one 户号: whose child is not known
                [130123103203010001.0, "钱五", "子", "男", "20180202", ""],
            ],
        ),
        "police_hukou",
    )
    assert report.parents_found == 1
    kid = RefRecord.get(RefRecord.name == "李浩然")
    assert (kid.mother_id_number, kid.father_name) == (MUM, "李强")
    assert RefRecord.get(RefRecord.name == "王芳").mother_name == ""  # a wife is not her own child
    assert RefRecord.get(RefRecord.name == "张小").father_name == ""
    assert RefRecord.get(RefRecord.name == "钱五").household_no == "" and report.rows_warned == 1


def test_villages_of_another_township_are_reported(township_db, tmp_path):
    report = _wis(tmp_path, [[1, "城关村", "王芳", MUM, "李强", "李浩然", "男", "2017-04-12", "1", "", ""]])
    assert report.villages_unknown == {"城关村": 1}
    from storage.reflists import report_lines

    assert any("不是本乡镇的村（居）委会：城关村（1 行）" in line for line in report_lines(report))


def test_rejects_of_the_same_file_again_include_rows_loaded_with_a_field_left_out(township_db, tmp_path):
    path = _xls(
        tmp_path / "police.xls",
        ["姓名", "性别", "出生日期", "公民身份号码"],
        [["李浩然", "男", "20170412", float(KID1)]],
    )
    db = ["--db", str(township_db)]
    assert CliRunner().invoke(cli, ["import-list", "--source", "police_hukou", str(path), *db]).exit_code == 0
    out = tmp_path / "r.xlsx"
    res = CliRunner().invoke(cli, ["import-list", "--source", "police_hukou", str(path), "--rejects", str(out), *db])
    assert res.exit_code == 0 and out.exists(), res.output


def test_a_work_list_gives_the_mothers_household_for_a_birth_no_form_holds(township_db, tmp_path):
    _family(with_second=False)
    _wis(tmp_path, [[1, "李家庄村", "王芳", MUM, "李强", "李浩然", "男", "2017-04-12", "1", "", ""]])
    import_list(
        _csv(
            tmp_path / "cert.csv",
            ["新生儿姓名", "性别", "出生日期", "母亲姓名", "母亲身份证件号码"],
            [["王芳之女", "女", "2025-03-01", "王芳", MUM]],
        ),
        "birth_cert",
    )
    reconcile.run(AS_OF)
    rows = [r for rows in reconcile.worklist_rows(masked=False).values() for r in rows]
    assert len(rows) == 1 and rows[0][2] == "疑似漏报" and rows[0][9].startswith("户130123103203")


def test_twins_one_missing_from_wis_unnamed_certificates(township_db, tmp_path):
    """Twin girls 李慧 (in WIS) and 李丽芳 (omitted), both on the police register and on unnamed
    certificates: WIS's 李慧 links to her own records by name, not to her sister's unnamed
    certificate, so the omission is 李丽芳's."""
    t1, t2 = idnumber.make("130123", dt.date(2018, 8, 30), 24), idnumber.make("130123", dt.date(2018, 8, 30), 26)
    import_list(
        _csv(
            tmp_path / "cert.csv",
            ["新生儿姓名", "性别", "出生日期", "母亲姓名", "母亲身份证件号码"],
            [["王芳之女", "女", "2018-08-30", "王芳", MUM], ["王芳之女", "女", "2018-08-30", "王芳", MUM]],
        ),
        "birth_cert",
    )
    import_list(
        _xls(
            tmp_path / "police.xls",
            ["户号", "姓名", "与户主关系", "性别", "出生日期", "公民身份号码"],
            [
                ["0012", "李强", "户主", "男", "19880203", DAD],
                ["0012", "王芳", "妻", "女", "19900506", MUM],
                ["0012", "李丽芳", "长女", "女", "20180830", t1],
                ["0012", "李慧", "次女", "女", "20180830", t2],
            ],
        ),
        "police_hukou",
    )
    _wis(tmp_path, [[1, "李家庄村", "王芳", MUM, "李强", "李慧", "女", "2018-08-30", "2", "", ""]])
    found = _findings()
    assert sorted(f.kind for f in found) == ["consistent", "omission"]
    assert _only(found, "omission").child_name == "李丽芳" and _only(found, "consistent").child_name == "李慧"


# ------------------------------------------------------------ from the second independent set (issue 12 review)
def test_the_womans_own_birth_date_beside_her_childs_is_not_the_childs(township_db, tmp_path):
    head = [
        "村(居)委会",
        "育龄妇女姓名",
        "身份证号",
        "出生日期",
        "性别",
        "配偶姓名",
        "子女姓名",
        "子女性别",
        "子女出生日期",
        "孩次",
    ]
    report = import_list(
        _xls(
            tmp_path / "wis.xls",
            head,
            [["李家庄村", "王芳", MUM, "1990-05-06", "女", "李强", "李浩然", "男", "2017-04-12", "1"]],
        ),
        "wis",
    )
    rec = RefRecord.get()
    assert (rec.birth_date, rec.sex, rec.mother_id_number, rec.father_name) == ("2017-04-12", "1", MUM, "李强")
    assert "第4列 出生日期" in report.unused_columns


def test_a_date_column_that_is_the_mothers_own_is_refused_with_the_childs_column_as_the_fix(township_db, tmp_path):
    head = ["母亲姓名", "母亲身份证号", "出生日期", "婴儿出生日期", "婴儿性别"]
    mothers = [idnumber.make("130123", dt.date(1990 + i, 5, 6), 22 + 2 * i) for i in range(3)]
    rows = [["王芳", m, f"{1990 + i}-05-06", "2020-01-0" + str(i + 1), "女"] for i, m in enumerate(mothers)]
    with pytest.raises(ColumnMismatch, match="--map 婴儿出生日期=birth_date"):
        import_list(_xls(tmp_path / "d.xls", head, rows), "delivery")
    import_list(tmp_path / "d.xls", "delivery", mapping={"婴儿出生日期": "birth_date"})
    assert {r.birth_date for r in RefRecord.select()} == {"2020-01-01", "2020-01-02", "2020-01-03"}


def test_a_wis_date_keyed_wrong_beside_the_childs_id_is_a_misreport(township_db, tmp_path):
    """The child's ID holds the right day; the date WIS keyed is what WIS reports: 错报 of the date."""
    _family()
    head = [*WIS_HEAD, "子女身份证号"]
    import_list(
        _xls(
            tmp_path / "wis.xls",
            head,
            [
                [1, "李家庄村", "王芳", MUM, "李强", "李浩然", "男", "2017-04-12", "1", "", "", KID1],
                [2, "李家庄村", "王芳", MUM, "李强", "李思琪", "女", "2019-11-09", "2", "", "", KID2],
            ],
        ),
        "wis",
    )  # keyed 11-09, born 09-14
    f = _only(_findings(), "misreport")
    assert json.loads(f.differences)[0][:3] == ["birth_date", "2019-11-09", "2019-09-14"]


def test_wis_birth_order_lower_than_the_births_seen_is_questioned_not_a_higher_one(township_db, tmp_path):
    """No forms keyed: WIS's 孩次 1 for a second child the police register shows is a 错报 (至少2);
    孩次 3 for a first child seen is not judged (older children may be on no list)."""
    _wis(
        tmp_path,
        [
            [1, "李家庄村", "王芳", MUM, "李强", "李浩然", "男", "2017-04-12", "3", "", ""],
            [2, "李家庄村", "王芳", MUM, "李强", "李思琪", "女", "2019-09-14", "1", "", ""],
        ],
    )
    import_list(
        _xls(
            tmp_path / "police.xls",
            ["户号", "姓名", "与户主关系", "性别", "出生日期", "公民身份号码"],
            [
                ["0012", "李强", "户主", "男", "19880203", DAD],
                ["0012", "王芳", "妻", "女", "19900506", MUM],
                ["0012", "李浩然", "长子", "男", "20170412", KID1],
                ["0012", "李思琪", "长女", "女", "20190914", KID2],
            ],
        ),
        "police_hukou",
    )
    found = _findings()
    f = _only(found, "misreport")
    assert f.child_name == "李思琪" and json.loads(f.differences)[0][:3] == ["birth_order", "1", "至少2"]


def test_a_column_named_from_a_group_title_can_be_mapped_by_that_name(township_db, tmp_path):
    from tests.test_reflists import _xls as grouped

    path = grouped(
        tmp_path / "接种.xls",
        ["姓名", "出生日期", "姓名", "证号"],
        [["李浩然", dt.date(2017, 4, 12), "王芳", MUM]],
        merged=[(0, 1, "儿童"), (2, 3, "母亲")],
    )
    import_list(path, "vaccination", mapping={"母亲证号": "mother_id_number"})
    assert RefRecord.get().mother_id_number == MUM


def test_a_mapping_for_one_sheet_leaves_the_other_sheet_as_the_profiles_read_it(township_db, tmp_path):
    """Two schools' rolls in one workbook, one with a header no profile knows: mapping it keeps the
    other school's sheet (it was skipped, and the list replaced with half its rows)."""
    from openpyxl import Workbook

    book = Workbook()
    one = book.active
    one.title = "中心小学"
    one.append(["学生姓名", "性别", "出生年月", "身份证号"])
    one.append(["李浩然", "男", "201704", KID1])
    two = book.create_sheet("李家庄小学")
    two.append(["学生姓名", "性别", "出生年月", "学生证件号"])
    two.append(["李思琪", "女", "201909", KID2])
    book.save(tmp_path / "rolls.xlsx")
    report = import_list(tmp_path / "rolls.xlsx", "school", mapping={"学生证件号": "id_number"})
    assert report.rows_loaded == 2 and not report.skipped_sheets
    assert {r.name: r.id_number for r in RefRecord.select()} == {"李浩然": KID1, "李思琪": KID2}


def test_a_child_with_no_woman_above_is_reported(township_db, tmp_path):
    """From a bad-input pass: the first child row of an export by woman with her cells empty (nothing
    to carry down) was loaded without a mother and without a word."""
    report = _wis(
        tmp_path,
        [
            [1, "", "", "", "", "张小一", "男", "2017-04-12", "1", "", ""],
            [2, "李家庄村", "王芳", MUM, "李强", "李浩然", "男", "2018-04-12", "1", "", ""],
        ],
    )
    assert report.rows_loaded == 2 and report.rows_warned == 1 and "母亲不详" in report.warned[0]["message"]
