"""Write the seed files of the list-reader fuzz test (tests/test_hostile_files.py) to tests/data/fuzz/.

Run from the repository: ``.venv/bin/python scripts/make_fuzz_corpus.py``. Each file is small and
is either a list as offices get them or one of the files that broke the readers (issue 14); the
fuzz test mutates them. Writing them again gives the same content apart from the .xlsx zip dates.
The ``outside-*`` files beside them were made by a tester who had not read hecha's code (issue 14)
and are kept as they came; this script does not write them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import xlwt

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "fuzz"
HEAD: list[object] = ["姓名", "性别", "出生日期", "身份证号", "母亲姓名", "母亲身份证号"]
ROWS: list[list[object]] = [
    ["王梓涵", "女", dt.date(2017, 3, 6), "130123201703060027", "王秀英", "130123198707220046"],
    ["李浩然", "男", dt.date(2016, 5, 20), "130123201605200031", "张丽", "130123199001010028"],
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    book = xlwt.Workbook(encoding="gbk")
    sheet = book.add_sheet("名单")
    date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for c, h in enumerate(HEAD):
        sheet.write(0, c, h)
    for r, row in enumerate(ROWS, start=1):
        for c, v in enumerate(row):
            sheet.write(r, c, v, date) if isinstance(v, dt.date) else sheet.write(r, c, v)
    book.save(str(OUT / "valid.xls"))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEAD)
    for row in ROWS:
        ws.append(row)
    wb.save(OUT / "valid.xlsx")
    text = "\n".join(",".join(str(v) for v in row) for row in [HEAD, *ROWS]) + "\n"
    (OUT / "valid-gbk.csv").write_bytes(text.encode("gbk"))
    cells = "".join(f"<th>{h}</th>" for h in HEAD)
    body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>" for row in ROWS)
    (OUT / "valid-html.xls").write_text(f"<html><body><table><tr>{cells}</tr>{body}</table></body></html>", "utf-8")
    # the files that broke the readers (issue 14)
    (OUT / "extra-cell.csv").write_text(
        text + "赵六,男,20150101,130123201501010011,钱七,130123198801010022,多一格\n", "utf-8"
    )
    (OUT / "extra-cell-html.xls").write_text(
        f"<html><table><tr>{cells}</tr><tr><td>王芳</td><td>女</td><td>2017-03-06</td><td>x</td><td>y</td>"
        "<td>z</td><td>多一格</td></tr></table></html>",
        "utf-8",
    )
    (OUT / "colspan.xls").write_text(
        '<html><table><tr><th>姓名</th><th>身份证号</th></tr><tr><td colspan="100000000">王芳</td></tr></table></html>',
        "utf-8",
    )
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "出生日期"])
    ws.append(["王芳", "130123201703060027", 12345678901.5])
    wb.save(OUT / "huge-date.xlsx")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号"])
    ws.append(["王芳", "130123201703060027"])
    ws["XFD1048576"] = "x"
    wb.save(OUT / "far-cell.xlsx")
    data = (OUT / "huge-date.xlsx").read_bytes()
    (OUT / "cut-off.xlsx").write_bytes(data[: len(data) // 2])
    (OUT / "control-and-formula.csv").write_text(
        '姓名,身份证号\n王\x01芳,1301232017\n李四,"=HYPERLINK(""http://example.com"",""点"")"\n', "utf-8"
    )
    package = "EncryptedPackage".encode("utf-16-le")
    (OUT / "encrypted.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2552) + package + bytes(1024))


if __name__ == "__main__":
    main()
