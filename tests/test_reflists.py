"""Reference lists (issue 6): real files written by the tests, read and loaded, every row accounted for."""

import csv
import datetime as dt

import pytest
import xlwt
from click.testing import CliRunner

from main import cli
from storage.models import ImportBatch, RefRecord, RowError
from storage.reflists import NeedsReplace, UnknownLayout, import_list, parse_date
from storage.sources import SourceError, open_table, sniff

CHILD = ("李梓涵", "女", dt.date(2017, 3, 6), "王秀英", "130123198707220046", "M130456789")


def _xls(path, header, rows, *, merged=None, encoding="gbk"):
    book = xlwt.Workbook(encoding=encoding)
    sheet = book.add_sheet("名单")
    date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    start = 0
    if merged:  # a group title row over the header: (first column, last column, text)
        for c1, c2, text in merged:
            sheet.write_merge(0, 0, c1, c2, text)
        start = 1
    for c, h in enumerate(header):
        sheet.write(start, c, h)
    for r, row in enumerate(rows, start=start + 1):
        for c, v in enumerate(row):
            sheet.write(r, c, v, date) if isinstance(v, dt.date) else sheet.write(r, c, v)
    book.save(str(path))
    return path


def test_an_xls_in_gbk_with_dates_and_an_id_stored_as_a_number(township_db, tmp_path):
    header = ["序号", "新生儿姓名", "性别", "出生日期", "母亲姓名", "母亲身份证号", "出生医学证明编号"]
    rows = [
        [1, *CHILD],
        [2, "王芳之子", "男", "2019/9/1", "王芳", 130123199005060229.0, ""],
        [3, "张三", "", "不详", "", "", ""],
    ]
    path = _xls(tmp_path / "出生证.xls", header, rows)
    report = import_list(path, "birth_cert")
    # the row whose mother's ID a spreadsheet stored as a number is loaded without it, and reported (issue 12)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected, report.rows_warned) == (3, 2, 1, 1)
    rec = RefRecord.get(RefRecord.row_no == 2)
    assert (rec.name, rec.sex, rec.birth_date, rec.mother_id_number, rec.birth_cert_no) == (
        "李梓涵",
        "2",
        "2017-03-06",
        CHILD[4],
        CHILD[5],
    )
    kept = RefRecord.get(RefRecord.row_no == 3)
    assert (kept.name, kept.mother_name, kept.mother_id_number, kept.birth_date) == (
        "王芳之子",
        "王芳",
        "",
        "2019-09-01",
    )
    errors = {e.row_no: e for e in RowError.select()}
    assert "存成数字" in errors[3].message and errors[3].column == "第6列 母亲身份证号" and errors[3].sheet == "名单"
    assert errors[3].level == "warning" and "已导入" in errors[3].message
    assert "认不出" in errors[4].message and errors[4].value == "不详" and errors[4].level == "rejected"
    again = import_list(path, "birth_cert")  # the same file: nothing changes
    assert again.same_file and RefRecord.select().count() == 2 and ImportBatch.select().count() == 1


def test_merged_group_headers(township_db, tmp_path):
    header = ["姓名", "出生日期", "姓名", "身份证号"]
    path = _xls(
        tmp_path / "接种.xls",
        header,
        [["李梓涵", dt.date(2017, 3, 6), "王秀英", CHILD[4]]],
        merged=[(0, 1, "儿童"), (2, 3, "母亲")],
    )
    import_list(path, "vaccination")
    rec = RefRecord.get()
    assert (rec.name, rec.mother_name, rec.mother_id_number, rec.birth_date) == (
        "李梓涵",
        "王秀英",
        CHILD[4],
        "2017-03-06",
    )


def test_an_html_xls_whose_header_spans_two_rows(township_db, tmp_path):
    """A web export's header in two rows (rowspan for the single columns, colspan for 母亲 over
    姓名 and 身份证号): every column stays in its place and the second header row is no person."""
    cells = "".join(f'<td rowspan="2">{h}</td>' for h in ("序号", "姓名", "性别", "出生日期"))
    rows = [
        f'<tr>{cells}<td colspan="2">母亲</td><td rowspan="2">接种单位</td></tr>',
        "<tr><td>姓名</td><td>身份证号</td></tr>",
        f"<tr><td>1</td><td>李梓涵</td><td>女</td><td>2017-03-06</td><td>王秀英</td><td>{CHILD[4]}</td><td>卫生院</td></tr>",
    ]
    path = tmp_path / "接种.xls"
    path.write_text(f'<html><meta charset="utf-8"><table>{"".join(rows)}</table></html>', encoding="utf-8")
    report = import_list(path, "vaccination")
    assert report.rows_loaded == 1 and report.rows_read == 1 and not report.errors, report
    rec = RefRecord.get()
    assert (rec.name, rec.sex, rec.birth_date, rec.mother_name, rec.mother_id_number) == (
        "李梓涵",
        "2",
        "2017-03-06",
        "王秀英",
        CHILD[4],
    )


def test_xlsx_csv_gbk_and_utf8_bom_and_html_named_xls(township_db, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["姓名", "公民身份号码", "住址"])
    book.active.append(["李建国", "130123198503140036", "李家庄村"])
    book.save(tmp_path / "户籍.xlsx")
    assert import_list(tmp_path / "户籍.xlsx", "police_hukou").rows_loaded == 1
    for name, encoding in (("gbk.csv", "gbk"), ("bom.csv", "utf-8-sig")):
        with open(tmp_path / name, "w", encoding=encoding, newline="") as fh:
            csv.writer(fh).writerows([["学生姓名", "出生日期", "性别"], ["李浩然", "2012-05-09", "男"]])
        assert open_table(tmp_path / name)[0].rows().__next__()[0] == "学生姓名"
    assert import_list(tmp_path / "gbk.csv", "school").rows_loaded == 1
    assert import_list(tmp_path / "bom.csv", "kindergarten").rows_loaded == 1
    html = (
        "<html><body><table><tr><th>姓名</th><th>身份证号</th></tr>"
        "<tr><td>王秀英</td><td>130123198707220046</td></tr></table></body></html>"
    )
    (tmp_path / "wis.xls").write_text(html, encoding="gbk")
    assert sniff(tmp_path / "wis.xls") == "html"
    assert import_list(tmp_path / "wis.xls", "wis").rows_loaded == 1
    assert RefRecord.select().where(RefRecord.name == "李浩然").get().sex == "1"


def test_an_xlsx_whose_list_starts_at_c3_keeps_the_files_rows_and_columns(township_db, tmp_path):
    """calamine reads from the first used cell; row numbers and 第N列 stay those of the file."""
    from openpyxl import Workbook

    book = Workbook()
    book.active["C3"], book.active["D3"] = "名字", "号码"
    book.active["C4"], book.active["D4"] = "李建国", "130123198503140036"
    book.save(tmp_path / "偏移.xlsx")
    rows = list(open_table(tmp_path / "偏移.xlsx")[0].rows())
    assert rows[2][2:] == ["名字", "号码"] and rows[3][:2] == [None, None] and len(rows) == 4
    with pytest.raises(UnknownLayout):
        import_list(tmp_path / "偏移.xlsx", "police_hukou")
    report = import_list(tmp_path / "偏移.xlsx", "police_hukou", mapping={"第3列": "name", "第4列": "id_number"})
    rec = RefRecord.get()
    assert report.rows_loaded == 1 and (rec.name, rec.id_number, rec.row_no) == ("李建国", "130123198503140036", 4)


def test_files_that_are_not_lists(township_db, tmp_path):
    (tmp_path / "empty.xls").write_bytes(b"")
    with pytest.raises(SourceError, match="空文件"):
        import_list(tmp_path / "empty.xls", "wis")
    (tmp_path / "x.xls").write_text(
        '<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>'
    )
    with pytest.raises(SourceError, match="XML"):
        import_list(tmp_path / "x.xls", "wis")
    path = _xls(tmp_path / "only-header.xls", ["姓名", "身份证号"], [])
    with pytest.raises(SourceError, match="只有表头"):
        import_list(path, "wis")
    with pytest.raises(ValueError, match="来源"):
        import_list(path, "nosuch")
    book = xlwt.Workbook(encoding="gbk")
    book.add_sheet("Sheet1"), book.add_sheet("Sheet2")
    book.save(str(tmp_path / "blank.xls"))
    with pytest.raises(SourceError, match="工作表都是空的"):
        import_list(tmp_path / "blank.xls", "wis")
    from storage.reflists import preview_list

    with pytest.raises(SourceError, match="工作表都是空的"):
        preview_list(tmp_path / "blank.xls", "wis")
    assert ImportBatch.select().count() == 0
    import_list(_xls(tmp_path / "wis.xls", ["姓名", "身份证号"], [["李建国", "130123198503140036"]]), "wis")
    notes = _xls(tmp_path / "说明.xls", ["填表说明", "备注"], [["本表由卫生院导出", ""]])
    with pytest.raises(UnknownLayout):  # not a list: said before asking whether to replace the loaded one
        import_list(notes, "wis")
    with pytest.raises(NeedsReplace):
        import_list(_xls(tmp_path / "wis2.xls", ["姓名", "身份证号"], [["张三", "130123198609010133"]]), "wis")
    # the header-only file is refused as such, before any question of replacing the loaded list
    # (a newcomer's finding: --replace was asked for first)
    with pytest.raises(SourceError, match="只有表头"):
        import_list(path, "wis")
    titled = _xls(tmp_path / "titled.xls", ["姓名", "身份证号"], [[], [], ["王芳", "130123199005060028"]])
    with pytest.raises(NeedsReplace):  # rows under the header after blank ones: a list, so the question
        import_list(titled, "wis")


def test_an_unknown_layout_mapped_once_is_recognised_the_second_time(township_db, tmp_path):
    header = ["编号", "户主", "号码"]
    first = _xls(tmp_path / "a.xls", header, [[1, "李建国", "130123198503140036"]])
    with pytest.raises(UnknownLayout):
        import_list(first, "gpl")
    import_list(first, "gpl", mapping={"户主": "name", "号码": "id_number"})
    second = _xls(
        tmp_path / "b.xls", header, [[1, "王秀英", "130123198707220046"], [2, "李浩然", "130123201205090012"]]
    )
    with pytest.raises(NeedsReplace):
        import_list(second, "gpl")
    report = import_list(second, "gpl", replace=True)  # recognised without a mapping; the old list replaced
    assert report.rows_loaded == 2 and report.replaced == 1
    assert {r.name for r in RefRecord.select()} == {"王秀英", "李浩然"}
    third = _xls(tmp_path / "c.xls", header, [[1, "张三", "130123198609010133"]])
    import_list(third, "gpl", replace=True, mapping={"编号": "birth_cert_no"})
    rec = RefRecord.get()  # a mapping given for one column keeps what the kept mapping reads of the others
    assert (rec.name, rec.id_number, rec.birth_cert_no) == ("张三", "130123198609010133", "1")
    fresh = _xls(tmp_path / "d.xls", ["序", "某人"], [[1, "李四"]])
    report = import_list(fresh, "school", mapping={"某人": "name"})  # one column named, as the screen allows
    assert report.rows_loaded == 1 and RefRecord.get(RefRecord.source == "school").name == "李四"


def test_a_full_xls_sheet_of_65536_rows(township_db, tmp_path):
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("满表")
    sheet.write(0, 0, "姓名")
    sheet.write(0, 1, "出生日期")
    for r in range(1, 65536):
        sheet.write(r, 0, f"张{r % 97}")
        sheet.write(r, 1, f"2015{r % 12 + 1:02d}{r % 28 + 1:02d}")
    book.save(str(tmp_path / "full.xls"))
    report = import_list(tmp_path / "full.xls", "school")
    assert report.rows_read == 65535 and report.rows_loaded == 65535 and report.rows_duplicate > 0


def test_import_list_command_and_rejects_sheet(township_db, tmp_path):
    path = _xls(tmp_path / "list.xls", ["姓名", "出生日期"], [["李梓涵", "20170306"], ["", "2017"]])
    out = tmp_path / "rejects.xlsx"
    res = CliRunner().invoke(
        cli, ["import-list", "--source", "delivery", str(path), "--rejects", str(out), "--db", str(township_db)]
    )
    assert res.exit_code == 0 and "导入 1 条" in res.output and "错误 1 行" in res.output, res.output
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("错误行").to_python()
    assert rows[1][1] == 3 and rows[1][2] == "未导入" and isinstance(rows[1][5], str) and "姓名" in rows[1][5]
    res = CliRunner().invoke(cli, ["import-list", "--source", "delivery", str(path), "--db", str(township_db)])
    assert "已经导入过" in res.output
    res = CliRunner().invoke(cli, ["lists", "--db", str(township_db)])
    assert "住院分娩" in res.output and "list.xls" in res.output
    twice = ["import-list", "--source", "delivery", str(path), "--map", "姓名=name", "--map", "出生日期=name"]
    res = CliRunner().invoke(cli, [*twice, "--replace", "--db", str(township_db)])
    assert res.exit_code == 1 and "一个字段只能对应一列" in res.output, res.output  # a column would be lost


def test_dates_as_lists_write_them():
    assert parse_date("2015年3月7日") == ("2015-03-07", "D") and parse_date("201503") == ("2015-03-01", "M")
    assert parse_date("２０１９－０３－０７") == ("2019-03-07", "D")  # full-width, from an input method
    assert (
        parse_date("2015.3.7") == ("2015-03-07", "D") and parse_date("20150230") is None and parse_date("不详") is None
    )


def test_a_person_on_a_police_list_is_found_while_typing(township_db, tmp_path):
    """Duplicate warnings run against reference records too (issue 6 item 5): same ID, homophone
    with the same birth date, mother's ID for an unnamed newborn; a list that was replaced is not searched."""
    from storage import dedup

    path = _xls(
        tmp_path / "户籍.xls",
        ["姓名", "身份证号", "出生日期", "母亲身份证号"],
        [
            ["李建国", "130123198503140036", "", ""],
            ["李小玲", "", "20150307", ""],
            ["王秀英之女", "", "20170306", CHILD[4]],
        ],
    )
    import_list(path, "police_hukou")
    found = dedup.ref_candidates("130123198503140036")
    assert (
        found[0].name == "李建国"
        and found[0].rule == "same_id"
        and "户籍" in found[0].source
        and "第2行" in found[0].village_name
    )
    assert [c.name for c in dedup.ref_candidates(name="李晓玲", birth_date=dt.date(2015, 3, 7))] == ["李小玲"]
    assert [
        c.rule for c in dedup.ref_candidates(name="李梓涵", mother_id_number=CHILD[4], birth_date=dt.date(2017, 3, 5))
    ] == ["same_mother"]
    newer = _xls(tmp_path / "户籍2.xls", ["姓名", "身份证号"], [["张三", "130123198609010133"]])
    import_list(newer, "police_hukou", replace=True)
    assert dedup.ref_candidates("130123198503140036") == []


TYPICAL = {  # each kind's usual headers (as the departments' exports name them) and one row
    "wis": (
        ["姓名", "性别", "公民身份号码", "出生日期", "现居住地"],
        ["王秀英", "女", "130123198707220046", "1987-07-22", "李家庄村"],
    ),
    "gpl": (["姓名", "证件号码", "户籍地址", "暂住地址"], ["张伟", "410102199001011237", "河南省郑州市", "新安镇"]),
    "birth_cert": (
        ["新生儿姓名", "性别", "出生时间", "母亲姓名", "母亲身份证号码", "父亲姓名", "出生医学证明编号"],
        ["李梓涵", "女", "2017-03-06", "王秀英", "130123198707220046", "李建国", "M130456789"],
    ),
    "delivery": (
        ["产妇姓名", "产妇身份证号", "婴儿性别", "出生日期"],
        ["王秀英", "130123198707220046", "女", "20170306"],
    ),
    "vaccination": (
        ["儿童姓名", "儿童出生日期", "性别", "母亲姓名", "家庭住址"],
        ["李梓涵", "2017/3/6", "女", "王秀英", "李家庄村"],
    ),
    "kindergarten": (
        ["幼儿姓名", "性别", "出生年月", "身份证号", "家长姓名"],
        ["李梓涵", "女", "2017.03", "130123201703060027", "王秀英"],
    ),
    "school": (["学生姓名", "性别", "出生日期", "学生身份证号"], ["李浩然", "男", "2012-05-09", "130123201205090012"]),
    "police_hukou": (
        ["姓名", "公民身份号码", "性别", "出生日期", "住址"],
        ["李建国", "130123198503140036", "男", "1985-03-14", "李家庄村"],
    ),
    "police_temporary": (["姓名", "身份证号码", "暂住地址"], ["张伟", "410102199001011237", "新安镇"]),
    "marriage": (["姓名", "身份证件号码", "性别"], ["李建国", "130123198503140036", "男"]),
}


@pytest.mark.parametrize("kind", sorted(TYPICAL))
def test_each_source_kind_with_its_typical_headers(township_db, tmp_path, kind):
    header, row = TYPICAL[kind]
    report = import_list(_xls(tmp_path / f"{kind}.xls", header, [row]), kind)
    assert (report.rows_loaded, report.rows_rejected) == (1, 0), report.errors
    rec = RefRecord.get()
    named = rec.mother_name if kind == "delivery" else rec.name  # a delivery list names the mother (产妇)
    assert named == row[0] and rec.sex in ("1", "2")


def test_what_spreadsheets_do_to_lists(township_db, tmp_path):
    """From a bad-input pass: headers only in the upper row of a two-row header, full-width and
    apostrophe IDs, placeholders, totals rows, note sheets, 15-digit numbers, Excel serial dates."""
    book = xlwt.Workbook(encoding="gbk")
    note = book.add_sheet("说明")
    note.write(0, 0, "本表由县妇幼保健院导出")
    note.write(1, 0, "月份")
    note.write(1, 1, "人数")
    sheet = book.add_sheet("出生")
    for c1, text in ((0, "新生儿姓名"), (1, "出生日期")):
        sheet.write_merge(0, 1, c1, c1, text)  # vertical merges: only the upper row holds these
    sheet.write_merge(0, 0, 2, 3, "母亲")
    sheet.write(1, 2, "姓名")
    sheet.write(1, 3, "身份证号")
    rows: list[list[str | int | float]] = [
        ["李梓涵", 42800, "王秀英", "１３０１２３１９８７０７２２００４６"],  # full-width digits; an Excel serial date
        ["李浩然", "2012-05-09", "王秀英", "'130123198707220046"],  # a leading apostrophe
        ["张三", "2016-01-02", "赵丽", "无"],  # a placeholder: loaded by name
        ["王五", "2015-02-03", "钱芳", 130123550830541.0],  # a 15-digit number: nothing lost
        ["合计", "4人", "", ""],
    ]
    for r, row in enumerate(rows, start=2):
        for c, v in enumerate(row):
            sheet.write(r, c, v)
    book.save(str(tmp_path / "出生.xls"))
    report = import_list(tmp_path / "出生.xls", "birth_cert")
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (4, 4, 0), report.errors
    assert report.skipped_sheets == ["说明"]
    recs = {r.name: r for r in RefRecord.select()}
    assert recs["李梓涵"].mother_id_number == "130123198707220046" and recs["李梓涵"].birth_date == "2017-03-06"
    assert recs["李浩然"].mother_id_number == "130123198707220046" and recs["张三"].mother_id_number == ""
    assert recs["王五"].mother_id_number == "130123550830541" and "合计" not in recs and "4人" not in recs


def test_other_text_files_and_mapping_mistakes(township_db, tmp_path):
    (tmp_path / "semi.csv").write_text("姓名;出生日期;性别\n李浩然;2012-05-09;男\n", encoding="gbk")
    assert import_list(tmp_path / "semi.csv", "school").rows_loaded == 1
    (tmp_path / "u16.txt").write_text("姓名\t身份证号\n李建国\t130123198503140036\n", encoding="utf-16")
    assert import_list(tmp_path / "u16.txt", "police_hukou").rows_loaded == 1
    (tmp_path / "x.xls").write_text(
        '<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Table/></Workbook>'
    )
    assert sniff(tmp_path / "x.xls") == "xml"
    path = _xls(tmp_path / "odd.xls", ["编号", "户主", "号码"], [[1, "李建国", "130123198503140036"]])
    with pytest.raises(ValueError, match="只有 3 列"):
        import_list(path, "gpl", mapping={"第99列": "name"})
    with pytest.raises(ValueError, match="没有这个表头"):
        import_list(path, "gpl", mapping={"不存在": "name", "号码": "id_number"})
    with pytest.raises(ValueError, match="编码"):
        import_list(path, "gpl", encoding="nosuch")
    res = CliRunner().invoke(
        cli,
        [
            "import-list",
            "--source",
            "gpl",
            str(path),
            "--map",
            "户主=name",
            "--rejects",
            str(tmp_path / "no" / "r.xlsx"),
            "--db",
            str(township_db),
        ],
    )
    assert res.exit_code == 1 and "已有文件夹" in res.output and ImportBatch.select().count() == 2  # nothing imported
    res = CliRunner().invoke(
        cli,
        [
            "import-list",
            "--source",
            "gpl",
            str(path),
            "--map",
            "户主=name",
            "--map",
            "户主=id_number",
            "--db",
            str(township_db),
        ],
    )
    assert res.exit_code == 1 and "指定了两次" in res.output
    res = CliRunner().invoke(
        cli,
        [
            "import-list",
            "--source",
            "GPL",
            str(path),
            "--map",
            "户主=姓名",
            "--map",
            "号码=身份证号",
            "--db",
            str(township_db),
        ],
    )  # field names in Chinese, the kind in capitals
    assert res.exit_code == 0 and "导入 1 条" in res.output, res.output


def test_damaged_renamed_and_mixed_workbooks(township_db, tmp_path):
    """From a bad-input pass: a cut-off .xls is refused in words; a .xlsx named .xls is read; a
    mapping applies to the sheet it fits and a note sheet is skipped; the same file again with a
    mapping rescues a sheet skipped the first time (after the replace confirmation)."""
    from openpyxl import Workbook

    whole = _xls(tmp_path / "whole.xls", ["姓名", "身份证号"], [["李建国", "130123198503140036"]] * 50)
    (tmp_path / "cut.xls").write_bytes(whole.read_bytes()[:2000])
    with pytest.raises(SourceError, match="读不出"):
        import_list(tmp_path / "cut.xls", "wis")
    book = Workbook()
    book.active.title = "说明"
    book.active.append(["本表由派出所导出"])
    data = book.create_sheet("一组")
    data.append(["甲列", "乙列"])
    data.append(["李建国", "130123198503140036"])
    data.append(["王秀英", "130123198707220046"])
    book.save(tmp_path / "mixed.xls")  # a .xlsx under an .xls name
    with pytest.raises(UnknownLayout):
        import_list(tmp_path / "mixed.xls", "police_hukou")
    from storage.reflists import preview_list

    seen = preview_list(tmp_path / "mixed.xls", "police_hukou")  # the screen's preview: the first sheet with rows
    assert seen.sheets == 2 and seen.header is None and seen.rows[0] == ["本表由派出所导出"]
    whole_seen = preview_list(whole, "wis")
    assert whole_seen.header is not None and whole_seen.rows[1][0] == "李建国"
    report = import_list(tmp_path / "mixed.xls", "police_hukou", mapping={"甲列": "name", "乙列": "id_number"})
    assert report.rows_loaded == 2 and report.skipped_sheets == ["说明"]
    with pytest.raises(ValueError, match="对不上"):
        import_list(tmp_path / "mixed.xls", "police_hukou", mapping={"丙列": "name"}, replace=True)
    # the same file with a mapping is read again (a sheet skipped before), replacing the batch
    with pytest.raises(NeedsReplace):
        import_list(tmp_path / "mixed.xls", "police_hukou", mapping={"第1列": "name", "第2列": "id_number"})


def test_rows_a_clerk_would_not_load(township_db, tmp_path):
    """Dates outside 1900..today, a date with a time of day, the header repeated on each printed page,
    a totals row after a 序号, a name 无."""
    path = _csv(
        tmp_path / "l.csv",
        ["序号", "姓名", "出生日期", "身份证号"],
        [
            ["1", "李浩然", "2099-01-01", ""],
            ["2", "王秀英", "1988/03/03 00:00:00", ""],
            ["序号", "姓名", "出生日期", "身份证号"],
            ["3", "无", "2015-01-01", ""],
            ["8", "合计", "", ""],
        ],
    )
    report = import_list(path, "wis")
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (3, 1, 2)
    assert RefRecord.get().birth_date == "1988-03-03"
    messages = sorted(e.message for e in RowError.select())
    assert "不合理" in messages[0] or "不合理" in messages[1]
    assert any("既没有姓名" in m for m in messages)


def _csv(path, header, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def test_dates_that_contradict_the_id_or_are_numbers_and_invisible_characters(township_db, tmp_path):
    """Found by an outside tester (issue 14): a birth date that contradicts a valid ID number was
    taken without a word; a number formatted as a date (36 → 1900-02-05) was loaded as a birth date;
    control and zero-width characters stayed in names, making 王芳 and 王\u200b芳 two names."""
    from storage import idnumber

    own = idnumber.make("130123", dt.date(2015, 3, 7), 1)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("名单")
    date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for c, h in enumerate(["姓名", "性别", "出生日期", "公民身份号码"]):
        sheet.write(0, c, h)
    rows = [
        ["李四", "男", dt.date(2015, 3, 8), own],  # a day off the ID's: loaded as written, with a warning
        ["王\u200b芳", "女", 36, ""],  # the serial 36 in a date-formatted cell: 1900-02-05
        ["张\x07三\t", "男", dt.date(2016, 1, 1), ""],
        ["赵\u3000六", "男", dt.date(2016, 1, 2), ""],
    ]
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            sheet.write(r, c, v, date) if c == 2 else sheet.write(r, c, v)
    path = tmp_path / "户籍.xls"
    book.save(str(path))
    report = import_list(path, "police_hukou")
    assert (report.rows_read, report.rows_loaded, report.rows_rejected, report.rows_warned) == (4, 3, 1, 1), report
    assert "早于1910年" in report.errors[0]["message"] and report.errors[0]["row_no"] == 3
    assert "与身份证号里的 2015-03-07 不同" in report.warned[0]["message"]
    names = {r.name: r.birth_date for r in RefRecord.select()}
    assert names == {"李四": "2015-03-08", "张三": "2016-01-01", "赵 六": "2016-01-02"}
