"""The seven lists as the offices get them: files, sheets, titles, headers, junk.

Each maker returns a Book; every written row carries a tag: a truth birth id (int), or a word
for rows that are no birth ('title', 'header', 'junk', 'adult', 'childless').
Layouts are chosen per seed among variants written from how county systems export (and how
clerks keep rolls in Excel); none is taken from hecha's README examples or profiles.
"""
from __future__ import annotations

import csv
import datetime as dt
import html
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import xlwt

from common import TOWNSHIP, CN_NUM
from population import EXPORT, ROLL, Pop, Birth

SEX = {"1": "男", "2": "女"}


@dataclass
class Sheet:
    name: str
    rows: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    merges: list = field(default_factory=list)    # (r1, r2, c1, c2), 0-based inclusive

    def add(self, row, tag):
        self.rows.append(list(row))
        self.tags.append(tag)
        return len(self.rows) - 1


@dataclass
class Book:
    kind: str
    fname: str
    fmt: str                     # xls | xlsx | csv | html
    sheets: list
    variant: str
    clerk_map: dict              # header -> field: what a clerk maps when the file is refused
    notes: str = ""
    aliases: list = field(default_factory=list)   # the same workbook saved again under another name


def NUM(x):
    return ("num", x)


def DATE(d, fmt="yyyy-mm-dd"):
    return ("date", d, fmt)


def id_as_number(idno: str):
    """What Excel keeps of an ID number typed into a General cell: 15 significant digits."""
    if not idno or not idno[:18].isdigit():
        return idno
    return NUM(float(idno[:15] + "0" * (len(idno) - 15)))


def fdate(d: dt.date, style: str) -> str:
    if style == "iso":
        return d.isoformat()
    if style == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if style == "compact":
        return f"{d:%Y%m%d}"
    if style == "cn":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "dot":
        return f"{d:%Y.%m.%d}"
    raise ValueError(style)


def ftime(rng, d: dt.date, style: str) -> str:
    h, m = rng.randrange(24), rng.randrange(60)
    if style == "cn":
        return f"{d.year}年{d.month:02d}月{d.day:02d}日{h:02d}时{m:02d}分"
    return f"{d.isoformat()} {h:02d}:{m:02d}"


def junk_tail(sh: Sheet, ncols: int, rng, count: int, who="张秀英"):
    sh.add([""] * ncols, "junk")
    first = ["合计", f"共{count}人"] + [""] * (ncols - 2)
    sh.add(first, "junk")
    sh.add([f"制表人：{who}", "", f"审核人：{rng.choice(['李建军', '王海燕', '赵志刚'])}", "",
            f"制表日期：{EXPORT.year}年{EXPORT.month}月{EXPORT.day}日"] + [""] * max(0, ncols - 5), "junk")


def with_page_headers(sh: Sheet, header, body, every, rng):
    """Rows of a list printed to pages: the header again at each page; a blank line here and there."""
    for i, (row, tag) in enumerate(body):
        if i and i % every == 0:
            sh.add(list(header), "header")
        if rng.random() < 0.004:
            sh.add([""] * len(header), "junk")
        sh.add(row, tag)


def pad(name: str, rng, b: Birth | None = None) -> str:
    """Two-character names padded with a full-width space, as printed rolls align them."""
    if len(name) == 2 and rng.random() < 0.3:
        if b is not None:
            b.features.add("name_padded")
        return name[0] + "\u3000" + name[1]
    return name


def wis_id(pop: Pop, w) -> str:
    """The woman's ID as WIS holds it: an old 15-digit number for some women born before 1985."""
    if getattr(w, "wis_id15", False):
        return w.idno[:6] + w.idno[8:17]
    return w.idno


def parent_of(w, rng, p_mother=0.6):
    if w.grand and rng.random() < 0.15:
        return w.grand[0]          # the grandfather brings the child
    return w.name if (rng.random() < p_mother or not w.hus) else w.hus


def order_key(pop: Pop, b: Birth):
    w = pop.women[b.wid]
    return (w.vcode, w.hh, w.name, b.date, b.tidx)


# ====================================================================== WIS
def make_wis(pop: Pop, rng, variant: str) -> Book:
    # the WIS knows each child under the woman it was keyed under (rec['wid'])
    by_w: dict[int, list] = {}
    for b in pop.births:
        if b.wis:
            by_w.setdefault(b.wis["wid"], []).append(b)
    for wid in pop.childless:
        by_w.setdefault(wid, [])
    wids = sorted(by_w, key=lambda k: (pop.women[k].vcode, pop.women[k].name, k))
    if variant == "by_woman_merged":
        return _wis_by_woman_merged(pop, rng, by_w, wids)
    if variant == "by_woman_grouped":
        return _wis_by_woman_grouped(pop, rng, by_w, wids)
    return _wis_by_child(pop, rng)


def _wis_by_woman_merged(pop, rng, by_w, wids):
    sh = Sheet("育龄妇女信息")
    header = ["序号", "村(居)委会", "育龄妇女姓名", "身份证号", "出生日期", "丈夫姓名", "子女姓名",
              "子女性别", "子女出生日期", "孩次", "现居住地"]
    sh.add(["新安镇育龄妇女生育情况明细表"] + [""] * 10, "title")
    sh.merges.append((0, 0, 0, 10))
    sh.add([f"单位：正定县新安镇人民政府    数据截至：{EXPORT.isoformat()}"] + [""] * 10, "title")
    sh.add(header, "header")
    n_kids = 0
    for i, wid in enumerate(wids, 1):
        w = pop.women[wid]
        kids = sorted(by_w[wid], key=lambda b: (b.wis["date"], b.tidx))
        wcells = [str(i), w.vname, w.name, wis_id(pop, w), w.bdate.isoformat(), w.hus]
        if not kids:
            sh.add(wcells + ["", "", "", "", w.addr], "childless")
            continue
        r1 = None
        for j, b in enumerate(kids):
            r = b.wis
            row = (wcells if j == 0 else [""] * 6) + [
                r["name"], SEX[r["sex"]], r["date"].isoformat(), str(r["order"]), w.addr if j == 0 else ""]
            k = sh.add(row, b.tid)
            r1 = k if j == 0 else r1
            n_kids += 1
        if len(kids) > 1:
            for c in (0, 1, 2, 3, 4, 5, 10):
                sh.merges.append((r1, r1 + len(kids) - 1, c, c))
    junk_tail(sh, 11, rng, n_kids)
    cm = {"村(居)委会": "village", "育龄妇女姓名": "mother_name", "身份证号": "mother_id_number",
          "丈夫姓名": "father_name", "子女姓名": "name", "子女性别": "sex", "子女出生日期": "birth_date",
          "孩次": "birth_order", "现居住地": "address"}
    return Book("wis", "人口系统_育龄妇女生育信息.xls", "xls", [sh], "by_woman_merged", cm,
                "P&WIS export by woman, woman's cells merged over her children's rows, GBK .xls")


def _wis_by_woman_grouped(pop, rng, by_w, wids):
    sh = Sheet("查询结果")
    sh.add(["育龄妇女信息查询结果（新安镇）"] + [""] * 11, "title")
    sh.add(["序号", "村居", "育龄妇女", "", "", "配偶", "", "子女", "", "", "", ""], "header")
    sh.add(["", "", "姓名", "公民身份号码", "出生日期", "姓名", "公民身份号码", "姓名", "性别",
            "出生日期", "孩次", "公民身份号码"], "header")
    sh.merges += [(1, 2, 0, 0), (1, 2, 1, 1), (1, 1, 2, 4), (1, 1, 5, 6), (1, 1, 7, 11)]
    i = 0
    for wid in wids:
        w = pop.women[wid]
        kids = sorted(by_w[wid], key=lambda b: (b.wis["date"], b.tidx))
        wc = [w.vname, w.name, wis_id(pop, w), f"{w.bdate:%Y%m%d}", w.hus, w.hus_id]
        if not kids:
            i += 1
            sh.add([str(i)] + wc + ["", "", "", "", ""], "childless")
        for b in kids:
            i += 1
            r = b.wis
            sh.add([str(i)] + wc + [r["name"], SEX[r["sex"]], f"{r['date']:%Y%m%d}", str(r["order"]),
                                    r["cid"]], b.tid)
    cm = {"村居": "village", "育龄妇女姓名": "mother_name", "育龄妇女公民身份号码": "mother_id_number",
          "配偶姓名": "father_name", "配偶公民身份号码": "father_id_number", "子女姓名": "name",
          "子女性别": "sex", "子女出生日期": "birth_date", "子女孩次": "birth_order",
          "子女公民身份号码": "id_number"}
    return Book("wis", "WIS育龄妇女查询结果.xlsx", "xlsx", [sh], "by_woman_grouped", cm,
                "P&WIS export by woman with two header rows (育龄妇女/配偶/子女 over 姓名, 公民身份号码 …)")


def _wis_by_child(pop, rng):
    sh = Sheet("出生人口")
    header = ["序号", "所在村", "姓名", "性别", "出生日期", "孩次", "公民身份号码", "母亲姓名",
              "母亲公民身份号码", "父亲姓名", "现居住地址"]
    sh.add(header, "header")
    bs = sorted((b for b in pop.births if b.wis), key=lambda b: (pop.women[b.wis["wid"]].vcode, b.wis["date"]))
    for i, b in enumerate(bs, 1):
        r = b.wis
        w = pop.women[r["wid"]]
        sh.add([str(i), w.vname, r["name"], r["sex"], fdate(r["date"], "slash"), str(r["order"]),
                "\t" + r["cid"] if r["cid"] else "", w.name, "\t" + wis_id(pop, w), w.hus, w.addr], b.tid)
    cm = {"所在村": "village", "姓名": "name", "性别": "sex", "出生日期": "birth_date", "孩次": "birth_order",
          "公民身份号码": "id_number", "母亲姓名": "mother_name", "母亲公民身份号码": "mother_id_number",
          "父亲姓名": "father_name", "现居住地址": "address"}
    return Book("wis", "wis_出生人口导出.csv", "csv", [sh], "by_child_csv", cm,
                "P&WIS births export, one row per child, sex as GB/T 2261.1 codes 1/2, GBK csv, ID cells prefixed with a tab")


# ====================================================================== birth certificates
def make_birth_cert(pop: Pop, rng, variant: str) -> Book:
    bs = sorted((b for b in pop.births if "birth_cert" in b.rec), key=lambda b: (b.date, b.cert))
    orgs = ["正定县人民医院", "正定县妇幼保健院", "正定县中医院", "新安镇卫生院"]
    if variant == "html":
        header = ["出生医学证明编号", "新生儿姓名", "性别", "出生时间", "出生孕周", "出生体重(克)", "出生地点",
                  "母亲姓名", "母亲年龄", "母亲民族", "母亲有效身份证件号码", "父亲姓名",
                  "父亲有效身份证件号码", "家庭住址", "签发日期", "签发机构"]
        sh = Sheet("sheet1")
        sh.add(header, "header")
        for b in bs:
            w, r = pop.women[b.wid], b.rec["birth_cert"]
            mid = w.idno.lower() if rng.random() < 0.5 else w.idno
            sh.add([b.cert, r["name"], SEX[r["sex"]], ftime(rng, r["date"], "iso"), str(rng.randint(37, 41)),
                    str(rng.randint(2600, 4100)), "医院", w.name, str(max(16, r["date"].year - w.bdate.year)),
                    "汉族", mid, w.hus, w.hus_id, w.addr,
                    (r["date"] + dt.timedelta(days=rng.randint(1, 40))).isoformat(), rng.choice(orgs)], b.tid)
        cm = {"出生医学证明编号": "birth_cert_no", "新生儿姓名": "name", "性别": "sex", "出生时间": "birth_date",
              "母亲姓名": "mother_name", "母亲有效身份证件号码": "mother_id_number", "父亲姓名": "father_name",
              "父亲有效身份证件号码": "father_id_number", "家庭住址": "address"}
        return Book("birth_cert", "出生医学证明签发查询.xls", "html", [sh], "html_as_xls", cm,
                    "web system's table saved as .xls (HTML, GBK)")
    sh = Sheet("签发登记")
    header = ["序号", "出生证编号", "婴儿姓名", "性别", "出生日期", "母亲姓名", "母亲证件号码", "父亲姓名",
              "父亲证件号码", "家庭住址", "接生机构", "备注"]
    sh.add([f"出生医学证明签发登记（2016年1月—{EXPORT.year}年{EXPORT.month}月）"] + [""] * 11, "title")
    sh.merges.append((0, 0, 0, 11))
    sh.add(header, "header")
    body = []
    for i, b in enumerate(bs, 1):
        w, r = pop.women[b.wid], b.rec["birth_cert"]
        mid = w.idno
        if rng.random() < 0.04:
            mid = id_as_number(mid)
            b.features.add("id_as_number")
        note = "补发" if rng.random() < 0.02 else ""
        body.append(([NUM(i), b.cert, r["name"], SEX[r["sex"]], DATE(r["date"]), w.name, mid, w.hus, w.hus_id,
                      w.addr, rng.choice(orgs), note], b.tid))
    with_page_headers(sh, header, body, 10**9, rng)
    junk_tail(sh, 12, rng, len(bs))
    cm = {"出生证编号": "birth_cert_no", "婴儿姓名": "name", "性别": "sex", "出生日期": "birth_date",
          "母亲姓名": "mother_name", "母亲证件号码": "mother_id_number", "父亲姓名": "father_name",
          "父亲证件号码": "father_id_number", "家庭住址": "address"}
    return Book("birth_cert", "出生证明登记2016-2026.xlsx", "xlsx", [sh], "xlsx_title", cm,
                "xlsx with a title row, Excel date cells, a few mothers' IDs stored as numbers")


# ====================================================================== deliveries
def make_delivery(pop: Pop, rng, variant: str) -> Book:
    bs = sorted((b for b in pop.births if "delivery" in b.rec), key=lambda b: (b.date, b.wid, b.tidx))
    parity = {}
    for w in pop.women.values():
        ds = sorted({b.date for b in pop.kids(w.wid)})
        for i, d in enumerate(ds, 1):
            parity[(w.wid, d)] = i
    if variant == "by_mother_xls":
        sh = Sheet("分娩登记")
        header = ["住院号", "姓名", "年龄", "身份证号", "现住址", "入院日期", "分娩日期", "分娩方式", "孕周",
                  "孕次", "产次", "婴儿性别", "出生体重(g)", "Apgar评分"]
        sh.add(["正定县妇幼保健院住院分娩登记簿"] + [""] * 13, "title")
        sh.add(header, "header")
        body = []
        for b in bs:
            w, r = pop.women[b.wid], b.rec["delivery"]
            p = parity.get((b.wid, b.date), 1)
            mid = w.idno
            if rng.random() < 0.03:
                mid = ""                 # she came without her ID card
                b.features.add("delivery_no_mother_id")
            body.append(([f"{r['date'].year}{rng.randrange(100000):05d}", w.name,
                          NUM(r["date"].year - w.bdate.year), mid, w.addr,
                          fdate(r["date"] - dt.timedelta(days=rng.randint(0, 2)), "iso"),
                          fdate(r["date"], "iso"), rng.choice(["顺产", "顺产", "剖宫产"]),
                          f"{rng.randint(37, 41)}+{rng.randint(0, 6)}", NUM(p + rng.choice([0, 0, 1])), NUM(p),
                          SEX[r["sex"]], NUM(rng.randint(2500, 4200)), "10"], b.tid))
        with_page_headers(sh, header, body, 45, rng)
        junk_tail(sh, 14, rng, len(bs))
        cm = {"姓名": "mother_name", "身份证号": "mother_id_number", "分娩日期": "birth_date",
              "婴儿性别": "sex", "现住址": "address"}
        return Book("delivery", "住院分娩登记.xls", "xls", [sh], "by_mother_xls", cm,
                    "delivery register by mother (姓名/身份证号 are hers), page headers repeated, GBK .xls")
    sh = Sheet("delivery")
    header = ["产妇姓名", "产妇身份证", "户籍地址", "分娩时间", "胎数", "新生儿性别", "新生儿姓名", "产次",
              "分娩机构"]
    sh.add(header, "header")
    for b in bs:
        w, r = pop.women[b.wid], b.rec["delivery"]
        nm = r["name"] if rng.random() < 0.3 else ""
        mid = w.idno
        if rng.random() < 0.03:
            mid = ""
            b.features.add("delivery_no_mother_id")
        sh.add([w.name, mid, w.addr, ftime(rng, r["date"], "iso"), str(b.plural), SEX[r["sex"]], nm,
                str(parity.get((b.wid, b.date), 1)), rng.choice(["正定县人民医院", "正定县妇幼保健院"])], b.tid)
    cm = {"产妇姓名": "mother_name", "产妇身份证": "mother_id_number", "户籍地址": "address",
          "分娩时间": "birth_date", "新生儿性别": "sex", "新生儿姓名": "name"}
    return Book("delivery", "住院分娩活产.csv", "csv", [sh], "by_baby_csv", cm,
                "delivery list per baby, 产妇身份证 header, most babies unnamed, GBK csv")


# ====================================================================== vaccination
def make_vaccination(pop: Pop, rng, variant: str) -> Book:
    bs = sorted((b for b in pop.births if "vaccination" in b.rec), key=lambda b: order_key(pop, b))
    if variant == "xls":
        sh = Sheet("在册儿童")
        header = ["儿童编码", "儿童姓名", "性别", "出生日期", "母亲姓名", "父亲姓名", "联系电话", "现住址",
                  "建档日期", "在册情况"]
        sh.add(header, "header")
        seq = {}
        for b in bs:
            w, r = pop.women[b.wid], b.rec["vaccination"]
            seq[b.date.year] = seq.get(b.date.year, 0) + 1
            code = f"{TOWNSHIP}01{b.date.year}{seq[b.date.year]:03d}"[:18]
            sh.add([code, r["name"], SEX[r["sex"]], fdate(r["date"], "iso"), w.name, w.hus, w.phone, w.addr,
                    fdate(b.date + dt.timedelta(days=rng.randint(0, 3)), "iso"),
                    "在册" if w.res != "inflow" else "流入"], b.tid)
        cm = {"儿童姓名": "name", "性别": "sex", "出生日期": "birth_date", "母亲姓名": "mother_name",
              "父亲姓名": "father_name", "现住址": "address"}
        return Book("vaccination", "预防接种在册儿童.xls", "xls", [sh], "xls", cm,
                    "vaccination register: 18-digit 儿童编码 (not an ID), no ID numbers, GBK .xls")
    sh = Sheet("sheet")
    header = ["受种者姓名", "性别", "生日", "监护人姓名", "与儿童关系", "联系电话", "居住地址", "所属村委会",
              "接种证号"]
    sh.add(header, "header")
    for b in bs:
        w, r = pop.women[b.wid], b.rec["vaccination"]
        mom = rng.random() < 0.7 or not w.hus
        sh.add([r["name"], SEX[r["sex"]], fdate(r["date"], "slash"), w.name if mom else w.hus,
                "母亲" if mom else "父亲", w.phone, w.addr, w.vname, f"{rng.randrange(10**8):08d}"], b.tid)
    cm = {"受种者姓名": "name", "性别": "sex", "生日": "birth_date", "监护人姓名": "parent_name",
          "居住地址": "address", "所属村委会": "village"}
    return Book("vaccination", "接种信息导出.csv", "csv", [sh], "csv_guardian", cm,
                "vaccination export: 受种者姓名, 生日, 监护人姓名 (mother or father), GBK csv")


# ====================================================================== kindergarten
def make_kindergarten(pop: Pop, rng, variant: str) -> Book:
    bs = sorted((b for b in pop.births if "kindergarten" in b.rec), key=lambda b: (b.date, b.tid))

    def klass(d):
        return {2019: "大班", 2020: "中班", 2021: "小班", 2022: "小班"}.get(
            d.year - (1 if d.month < 9 else 0), "小班") + rng.choice("一二")

    if variant == "xlsx_two_sheets":
        centre = [b for b in bs if pop.women[b.wid].vcode[-3:] <= "207"]
        village = [b for b in bs if pop.women[b.wid].vcode[-3:] > "207"]
        sheets = []
        header = ["序号", "班级", "幼儿姓名", "性别", "出生年月", "家长姓名", "联系电话", "家庭住址"]
        note = Sheet("填表说明")
        note.add(["填表说明："], "junk")
        note.add(["1. 出生年月按“2019.09”格式填写。"], "junk")
        note.add(["2. 家长姓名填写父亲或母亲。"], "junk")
        for title, group, as_date in (("新安镇中心幼儿园", centre, False), ("七吉村幼儿园", village, True)):
            sh = Sheet(title)
            sh.add([f"{title}{ROLL.year}年秋季学期在园幼儿花名册"] + [""] * 7, "title")
            sh.merges.append((0, 0, 0, 7))
            sh.add(header, "header")
            for i, b in enumerate(group, 1):
                w, r = pop.women[b.wid], b.rec["kindergarten"]
                d = r["date"]
                if as_date:
                    ym = DATE(dt.date(d.year, d.month, 1), "yyyy-mm")
                else:
                    x = rng.random()
                    ym = NUM(float(f"{d.year}.{d.month:02d}")) if x < 0.6 else (
                        f"{d.year}.{d.month:02d}" if x < 0.8 else f"{d.year}{d.month:02d}")
                sh.add([NUM(i), klass(d), pad(r["name"], rng, b), SEX[r["sex"]], ym, parent_of(w, rng), w.phone,
                        w.addr], b.tid)
            junk_tail(sh, 8, rng, len(group), who="园长")
            sheets.append(sh)
        sheets.append(note)
        for b in bs:
            b.features.add("roll_month")
        cm = {"幼儿姓名": "name", "性别": "sex", "出生年月": "birth_date", "家长姓名": "parent_name",
              "家庭住址": "address"}
        return Book("kindergarten", "幼儿园花名册2025秋.xlsx", "xlsx", sheets, "xlsx_two_sheets", cm,
                    "two kindergartens in two sheets + a note sheet; 出生年月 as 2019.09 numbers/text, or yyyy-mm date cells")
    sh = Sheet("Sheet1")
    header = ["姓名", "性别", "身份证号", "出生日期", "监护人姓名", "联系方式", "所在村"]
    sh.add(header, "header")
    for b in bs:
        w, r = pop.women[b.wid], b.rec["kindergarten"]
        cid = b.cid if rng.random() < 0.85 else ""
        if cid and cid[-1] != "X" and rng.random() < 0.3:
            cid = id_as_number(cid)
            b.features.add("id_as_number")
        sh.add([pad(r["name"], rng, b), SEX[r["sex"]], cid, fdate(r["date"], "compact"), parent_of(w, rng, 0.5),
                w.phone, w.vname], b.tid)
    for _ in range(3):
        sh.add([""] * 7, "junk")
    cm = {"姓名": "name", "性别": "sex", "身份证号": "id_number", "出生日期": "birth_date",
          "监护人姓名": "parent_name", "所在村": "village"}
    return Book("kindergarten", "在园幼儿名单.xls", "xls", [sh], "xls_ids", cm,
                "kindergarten roll with IDs (30 % stored as numbers), 出生日期 as 20190905 text, GBK .xls")


# ====================================================================== school
def make_school(pop: Pop, rng, variant: str) -> Book:
    bs = sorted((b for b in pop.births if "school" in b.rec), key=lambda b: (b.date, b.tid))

    def grade(d):
        g = ROLL.year - d.year - (1 if d.month >= 9 else 0) - 5
        return f"{CN_NUM[max(1, min(6, g))]}年级"

    if variant == "xlsx_two_schools":
        a = [b for b in bs if pop.women[b.wid].vcode[-3:] <= "207"]
        c = [b for b in bs if pop.women[b.wid].vcode[-3:] > "207"]
        s1 = Sheet("新安镇中心小学")
        h1 = ["全国学籍号", "姓名", "性别", "身份证件号", "出生日期", "年级", "班级", "监护人", "家庭住址"]
        s1.add(h1, "header")
        for b in a:
            w, r = pop.women[b.wid], b.rec["school"]
            cid = b.cid
            if cid and cid[-1] != "X" and rng.random() < 0.15:
                cid = id_as_number(cid)
                b.features.add("id_as_number")
            s1.add([("G" + b.cid) if b.cid else f"L{rng.randrange(10**12):012d}", pad(r["name"], rng, b),
                    SEX[r["sex"]], cid, DATE(r["date"]), grade(r["date"]), f"{rng.randint(1, 3)}班",
                    parent_of(w, rng, 0.5), w.addr], b.tid)
        s2 = Sheet("七吉小学")
        h2 = ["学籍号", "学生姓名", "性别", "出生日期", "年级", "家长姓名", "联系电话"]
        s2.add(["七吉小学2025-2026学年学生名册"] + [""] * 6, "title")
        s2.add(h2, "header")
        for b in c:
            w, r = pop.women[b.wid], b.rec["school"]
            b.features.add("school_id_only_in_xjh")
            s2.add([("G" + b.cid) if b.cid else f"L{rng.randrange(10**12):012d}", pad(r["name"], rng, b),
                    SEX[r["sex"]], fdate(r["date"], "dot"), grade(r["date"]), parent_of(w, rng, 0.5), w.phone], b.tid)
        junk_tail(s2, 7, rng, len(c), who="教务处")
        cm = {"姓名": "name", "学生姓名": "name", "性别": "sex", "身份证件号": "id_number", "出生日期": "birth_date",
              "监护人": "parent_name", "家长姓名": "parent_name", "家庭住址": "address"}
        return Book("school", "小学在校生名册.xlsx", "xlsx", [s1, s2], "xlsx_two_schools", cm,
                    "two schools in two sheets; the second has only 学籍号 (G + ID), dates 2015.03.12")
    sh = Sheet("学生名册")
    header = ["序号", "学生姓名", "性别", "出生日期", "身份证号", "就读年级", "家长姓名", "住址"]
    sh.add(["新安镇学区在校小学生名册"] + [""] * 7, "title")
    sh.add(header, "header")
    body = []
    for i, b in enumerate(bs, 1):
        w, r = pop.women[b.wid], b.rec["school"]
        cid = b.cid
        if cid and cid[-1] != "X" and rng.random() < 0.2:
            cid = id_as_number(cid)
            b.features.add("id_as_number")
        body.append(([NUM(i), pad(r["name"], rng, b), SEX[r["sex"]], DATE(r["date"], "yyyy/m/d"), cid,
                      grade(r["date"]), parent_of(w, rng, 0.5), w.addr], b.tid))
    with_page_headers(sh, header, body, 50, rng)
    junk_tail(sh, 8, rng, len(bs), who="学区办")
    cm = {"学生姓名": "name", "性别": "sex", "出生日期": "birth_date", "身份证号": "id_number",
          "家长姓名": "parent_name", "住址": "address"}
    return Book("school", "在校生名册.xls", "xls", [sh], "xls_paged", cm,
                "school roll printed to pages (header repeated), 20 % of IDs stored as numbers, GBK .xls")


# ====================================================================== police
REL_WORD = {"head": "户主", "wife": "妻", "son_wife": "儿媳", "son": "子", "grandson": "孙子", "granddaughter": "孙女"}
ORD = ["长", "次", "三", "四", "五"]


def make_police(pop: Pop, rng, variant: str) -> Book:
    bs = [b for b in pop.births if "police_hukou" in b.rec]
    by_w = {}
    for b in bs:
        by_w.setdefault(b.wid, []).append(b)
    if variant == "register_csv":
        sh = Sheet("hukou")
        header = ["户号", "姓名", "与户主关系", "公民身份号码", "性别", "民族", "出生日期", "户籍地址", "人员状态"]
        sh.add(header, "header")
        for wid in sorted(by_w, key=lambda k: (pop.women[k].vcode, pop.women[k].hukou_no)):
            w = pop.women[wid]
            kids = sorted(by_w[wid], key=lambda b: (b.date, b.tidx))
            hn = w.hukou_no
            rows = []
            if w.grand:
                rows.append(([hn, w.grand[0], "户主", w.grand[1], "男", "汉族", "", w.addr, "正常"], "adult"))
                if w.hus:
                    rows.append(([hn, w.hus, "子", w.hus_id, "男", "汉族", "", w.addr, "正常"], "adult"))
                if w.res != "inflow" and rng.random() < 0.9:
                    rows.append(([hn, w.name, "儿媳", w.idno, "女", "汉族", "", w.addr, "正常"], "adult"))
            else:
                if w.hus:
                    rows.append(([hn, w.hus, "户主", w.hus_id, "男", "汉族", "", w.addr, "正常"], "adult"))
                if rng.random() < 0.9:
                    rows.append(([hn, w.name, "妻" if w.hus else "户主", w.idno, "女", "汉族", "", w.addr, "正常"],
                                 "adult"))
            cnt = {"1": 0, "2": 0}
            for b in kids:
                cnt[b.sex] += 1
                if w.grand:
                    rel = "孙子" if b.sex == "1" else "孙女"
                else:
                    rel = ORD[min(4, cnt[b.sex] - 1)] + ("子" if b.sex == "1" else "女")
                cid = b.cid.lower() if rng.random() < 0.3 else b.cid
                cid = cid + " " if rng.random() < 0.05 else cid
                rows.append(([hn, b.rec["police_hukou"]["name"], rel, cid, SEX[b.sex], "汉族",
                              fdate(b.date, "compact"), w.addr, "正常"], b.tid))
            for row, tag in rows:
                if tag == "adult" and not row[6]:
                    row[6] = fdate(dt.date(int(row[3][6:10]), int(row[3][10:12]), int(row[3][12:14])), "compact") \
                        if len(row[3]) == 18 else ""
                sh.add(row, tag)
        cm = {"户号": "household_no", "姓名": "name", "与户主关系": "relation", "公民身份号码": "id_number",
              "性别": "sex", "出生日期": "birth_date", "户籍地址": "address"}
        return Book("police_hukou", "常住人口户籍信息.csv", "csv", [sh], "register_csv", cm,
                    "police household register (户号, 与户主关系 in words, heads and wives too), GBK csv")
    sh = Sheet("常住人口")
    header = ["姓名", "性别", "出生日期", "公民身份号码", "户号", "与户主关系", "父亲姓名", "父亲公民身份号码",
              "母亲姓名", "母亲公民身份号码", "派出所", "登记日期"]
    sh.add(header, "header")
    for wid in sorted(by_w, key=lambda k: (pop.women[k].vcode, pop.women[k].hukou_no)):
        w = pop.women[wid]
        cnt = {"1": 0, "2": 0}
        for b in sorted(by_w[wid], key=lambda b: (b.date, b.tidx)):
            cnt[b.sex] += 1
            rel = ("41" if b.sex == "1" else "42") if w.grand else (
                f"{2 if b.sex == '1' else 3}{min(9, cnt[b.sex] + 1)}")
            mother_id = w.idno if rng.random() < 0.92 else ""
            sh.add([b.rec["police_hukou"]["name"], SEX[b.sex], DATE(b.date), b.cid, w.hukou_no, rel, w.hus,
                    w.hus_id, w.name, mother_id, "正定县公安局新安派出所",
                    DATE(b.date + dt.timedelta(days=rng.randint(10, 200)))], b.tid)
    cm = {"姓名": "name", "性别": "sex", "出生日期": "birth_date", "公民身份号码": "id_number",
          "户号": "household_no", "与户主关系": "relation", "父亲姓名": "father_name",
          "父亲公民身份号码": "father_id_number", "母亲姓名": "mother_name", "母亲公民身份号码": "mother_id_number"}
    return Book("police_hukou", "户籍儿童信息.xlsx", "xlsx", [sh], "children_xlsx", cm,
                "police children extract with parents' names and IDs, relation as GB/T 4761 codes")


VARIANTS = {
    "wis": ["by_woman_merged", "by_woman_grouped", "by_child_csv"],
    "birth_cert": ["html", "xlsx_title"],
    "delivery": ["by_mother_xls", "by_baby_csv"],
    "vaccination": ["xls", "csv_guardian"],
    "kindergarten": ["xlsx_two_sheets", "xls_ids"],
    "school": ["xlsx_two_schools", "xls_paged"],
    "police_hukou": ["register_csv", "children_xlsx"],
}
MAKERS = {"wis": make_wis, "birth_cert": make_birth_cert, "delivery": make_delivery,
          "vaccination": make_vaccination, "kindergarten": make_kindergarten, "school": make_school,
          "police_hukou": make_police}


# ====================================================================== writers
def write(book: Book, folder: Path) -> Path:
    path = folder / book.fname
    if book.fmt == "xls":
        _write_xls(book, path)
    elif book.fmt == "xlsx":
        _write_xlsx(book, path)
    elif book.fmt == "csv":
        _write_csv(book, path)
    elif book.fmt == "html":
        _write_html(book, path)
    return path


def _merged_skip(sh):
    skip = set()
    for r1, r2, c1, c2 in sh.merges:
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1):
                    skip.add((r, c))
    return skip


def _write_xls(book, path):
    wb = xlwt.Workbook(encoding="gbk")
    styles = {}

    def style(fmt):
        if fmt not in styles:
            st = xlwt.XFStyle()
            st.num_format_str = fmt
            styles[fmt] = st
        return styles[fmt]

    for sh in book.sheets:
        ws = wb.add_sheet(sh.name)
        skip = _merged_skip(sh)
        heads = {(r1, c1): (r2, c2) for r1, r2, c1, c2 in sh.merges}
        for r, row in enumerate(sh.rows):
            for c, v in enumerate(row):
                if (r, c) in skip:
                    continue
                args = ()
                if isinstance(v, tuple) and v[0] == "num":
                    val = v[1]
                elif isinstance(v, tuple) and v[0] == "date":
                    val, args = dt.datetime.combine(v[1], dt.time()), (style(v[2]),)
                else:
                    val = v if v is not None else ""
                    if val == "":
                        if (r, c) in heads:
                            r2, c2 = heads[(r, c)]
                            ws.write_merge(r, r2, c, c2, "")
                        continue
                if (r, c) in heads:
                    r2, c2 = heads[(r, c)]
                    ws.write_merge(r, r2, c, c2, val, *args)
                else:
                    ws.write(r, c, val, *args)
    wb.save(str(path))


def _write_xlsx(book, path):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sh in book.sheets:
        ws = wb.create_sheet(sh.name)
        for r, row in enumerate(sh.rows, 1):
            for c, v in enumerate(row, 1):
                if isinstance(v, tuple) and v[0] == "num":
                    ws.cell(r, c, v[1])
                elif isinstance(v, tuple) and v[0] == "date":
                    cell = ws.cell(r, c, dt.datetime.combine(v[1], dt.time()))
                    cell.number_format = v[2]
                elif v not in (None, ""):
                    cell = ws.cell(r, c, v)
                    cell.number_format = "@"
        for r1, r2, c1, c2 in sh.merges:
            ws.merge_cells(start_row=r1 + 1, end_row=r2 + 1, start_column=c1 + 1, end_column=c2 + 1)
    wb.save(str(path))
    fix_zip_times(path)


def fix_zip_times(path):
    """Byte-identical output per seed: fixed zip entry times and document dates."""
    import re
    import zipfile
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>2026-10-15T09:00:00Z", data)
            zi = zipfile.ZipInfo(info.filename, date_time=(2026, 10, 15, 9, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)


def _cell_text(v):
    if isinstance(v, tuple) and v[0] == "num":
        x = v[1]
        return str(int(x)) if float(x).is_integer() else str(x)
    if isinstance(v, tuple) and v[0] == "date":
        return v[1].isoformat()
    return "" if v is None else str(v)


def _write_csv(book, path):
    assert len(book.sheets) == 1
    with open(path, "w", encoding="gbk", newline="") as f:
        w = csv.writer(f)
        for row in book.sheets[0].rows:
            w.writerow([_cell_text(v) for v in row])


def _write_html(book, path):
    out = ['<html xmlns:x="urn:schemas-microsoft-com:office:excel">',
           '<head><meta http-equiv="Content-Type" content="text/html; charset=gbk"></head><body>',
           '<table border="1">']
    for r, row in enumerate(book.sheets[0].rows):
        tag = "th" if r == 0 else "td"
        cells = []
        for v in row:
            t = html.escape(_cell_text(v))
            style = ' style="mso-number-format:\'\\@\'"' if len(t) >= 15 and t[:6].isdigit() else ""
            cells.append(f"<{tag}{style}>{t}</{tag}>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table></body></html>")
    path.write_bytes("\n".join(out).encode("gbk"))
