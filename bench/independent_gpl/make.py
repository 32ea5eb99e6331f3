#!/usr/bin/env python3
"""Independent generator of GPL (流动人口信息系统) export test files for 新安镇 (130123103).

stdlib + xlwt (+ openpyxl for one .xlsx).  Writes into ./out next to this script:
  register.json, truth.json, three .xls exports with different layouts, one .xlsx.
"""
import datetime as dt
import json
import os
import random
from collections import Counter

import openpyxl
import xlwt

R = random.Random(20200115)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")
os.makedirs(OUT, exist_ok=True)

WTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def chk(s17):
    return "10X98765432"[sum(int(c) * w for c, w in zip(s17, WTS)) % 11]


TOWN = "河北省石家庄市正定县新安镇"
VILLAGES = {"130123103201": "新安村", "130123103202": "东庄村", "130123103203": "李家庄村",
            "130123103204": "王家庄村", "130123103205": "北孙村", "130123103206": "南孙村",
            "130123103207": "大马村", "130123103208": "小马村", "130123103209": "岗上村",
            "130123103210": "南楼村"}
HOMES = {"130125": "河北省石家庄市行唐县", "410521": "河南省安阳市林州市", "341221": "安徽省阜阳市临泉县",
         "511623": "四川省广安市邻水县", "130425": "河北省邯郸市大名县", "372925": "山东省菏泽市单县"}
HOME_TOWNS = ["城关镇", "南桥乡", "北河镇", "石佛乡", "东王庄乡", "杨林镇"]
HOME_VILS = ["前进村", "东街村", "西沟村", "北关村", "张庄村", "刘家湾村", "后营村"]
DESTS = {"110105": "北京市朝阳区", "120116": "天津市滨海新区", "130102": "河北省石家庄市长安区",
         "130104": "河北省石家庄市桥西区", "440306": "广东省深圳市宝安区", "320583": "江苏省苏州市昆山市"}
STREETS = ["建设北大街", "中山东路", "友谊南大街", "福田路", "前进路", "创业大道", "黄河大道", "新华路"]
SURN = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡杜程苏魏吕丁任沈"
GIVEN = {"1": "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆志国建文", "2": "静敏丽艳娟霞秀英玲芳燕红萍慧婷雪琳晶颖梅兰月倩"}
HOMO = {"伟": "玮", "静": "晶", "磊": "蕾", "洋": "阳", "杰": "洁", "敏": "民", "军": "君", "华": "花",
        "红": "虹", "丽": "莉", "明": "铭", "涛": "韬", "芳": "方", "婷": "亭", "英": "瑛", "斌": "彬"}
SEXT = {"1": "男", "2": "女"}
REASONS_IN = ["务工经商", "务工经商", "务工经商", "随迁家属", "婚嫁", "投亲靠友", "学习培训"]
REASONS_OUT = ["务工经商", "务工经商", "务工经商", "婚嫁", "学习培训", "随迁家属"]
MARITAL = ["已婚", "已婚", "已婚", "未婚", "初婚", "再婚", "离婚"]

ALL_IDS = set()


def new_id(region, birth, sex):
    while True:
        seq = R.randint(0, 99) * 10 + R.choice([1, 3, 5, 7, 9] if sex == "1" else [0, 2, 4, 6, 8])
        s17 = f"{region}{birth:%Y%m%d}{seq:03d}"
        full = s17 + chk(s17)
        if full not in ALL_IDS:
            ALL_IDS.add(full)
            return full


def make_person(region, village, lo=1950, hi=2002, sex=None, name=None, birth=None):
    sex = sex or R.choice("12")
    birth = birth or dt.date(R.randint(lo, hi), 1, 1) + dt.timedelta(R.randint(0, 364))
    name = name or R.choice(SURN) + "".join(R.choice(GIVEN[sex]) for _ in range(R.choice((1, 2, 2))))
    return {"name": name, "id_number": new_id(region, birth, sex), "sex": sex,
            "birth_date": birth.isoformat(), "village_code": village}


# ---------------------------------------------------------------- register
VCODES = sorted(VILLAGES)
LOCALS = [make_person("130123", R.choice(VCODES)) for _ in range(218)]
TWINS = [make_person("130123", v, sex="2", name="王秀英", birth=dt.date(1968, 4, 12))
         for v in ("130123103202", "130123103207")]
MIGRANTS = [make_person(R.choice(list(HOMES)), R.choice(VCODES), lo=1960, hi=2000) for _ in range(80)]
REGISTER = LOCALS + TWINS + MIGRANTS
REG_IDS = {p["id_number"] for p in REGISTER}
KEYS = Counter((p["name"], p["birth_date"]) for p in REGISTER)
R.shuffle(LOCALS)
R.shuffle(MIGRANTS)

PRED = {"typo": lambda p: p["name"][-1] in HOMO,
        "lowerx": lambda p: p["id_number"].endswith("X"),
        "float": lambda p: not p["id_number"].endswith("X"),
        "namepad": lambda p: len(p["name"]) == 2,
        "old15": lambda p: p["birth_date"] < "1980"}


def take(pool, kind):
    pred = PRED.get(kind, lambda p: True)
    for i, p in enumerate(pool):
        if pred(p) and KEYS[(p["name"], p["birth_date"])] == 1:
            return pool.pop(i)
    raise RuntimeError("pool exhausted for " + kind)


def stranger(direction):
    """A plausible person who is NOT in the register."""
    while True:
        region = R.choice(list(HOMES)) if direction == "1" else "130123"
        p = make_person(region, R.choice(VCODES), lo=1960, hi=2000)
        if (p["name"], p["birth_date"]) not in KEYS:
            return p


def spec(kind, direction):
    if kind == "notreg":
        p = stranger(direction)
    elif kind == "ambig":
        p = TWINS[0]
    else:
        p = take(MIGRANTS if direction == "1" else LOCALS, kind)
    return {"kind": kind, "dir": direction, "p": p}


# ---------------------------------------------------------------- cell helpers
def fw(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def dfmt(d, style):
    return {"iso": lambda: d.isoformat(), "dot": lambda: f"{d.year}.{d.month}.{d.day}",
            "compact": lambda: d.strftime("%Y%m%d"), "cnym": lambda: f"{d.year}年{d.month}月",
            "cnfull": lambda: f"{d.year}年{d.month}月{d.day}日", "slash": lambda: f"{d.year}/{d.month}/{d.day}",
            "dotym": lambda: f"{d.year}.{d.month:02d}", "xl": lambda: d}[style]()


def birth(s):
    return dt.date.fromisoformat(s["p"]["birth_date"])


def move_date():
    return dt.date(2012, 1, 1) + dt.timedelta(R.randint(0, 2900))


def id_cell(s):
    i, k = s["p"]["id_number"], s["kind"]
    if k == "badchk":
        v = i[:17] + R.choice([c for c in "0123456789X" if c != i[17]])
    elif k in ("noid", "ambig"):
        v = ""
    elif k == "float":
        v = float(i[:15] + "000")        # Excel keeps 15 significant digits
    elif k == "old15":
        v = i[:6] + i[8:17]
    elif k == "fullwidth":
        v = fw(i)
    elif k == "space":
        v = i + R.choice([" ", "  ", "\u3000"])
    elif k == "lowerx":
        v = i.lower()
    else:
        v = i
    s["id_written"] = v if isinstance(v, str) else repr(v)
    return v


def name_cell(s):
    n, k = s["p"]["name"], s["kind"]
    if k == "typo":
        return n[:-1] + HOMO[n[-1]]
    if k == "namepad":
        return n[0] + "\u3000" + n[1]
    if k == "space":
        return n + " "
    return n


def village_addr(p):
    return f"{TOWN}{VILLAGES[p['village_code']]}{R.randint(1, 260)}号"


def home_addr(reg):
    return f"{HOMES[reg]}{R.choice(HOME_TOWNS)}{R.choice(HOME_VILS)}{R.randint(1, 150)}号"


def dest():
    code = R.choice(list(DESTS))
    return code, DESTS[code], f"{DESTS[code]}{R.choice(STREETS)}{R.randint(1, 400)}号"


def cert(reg):
    return "" if R.random() < 0.25 else f"{reg}{R.randint(2012, 2019)}{R.randint(1, 9999):05d}"


# ---------------------------------------------------------------- writers
TXT = xlwt.easyxf("font: name 宋体")
TITLE = xlwt.easyxf("font: name 黑体, bold on, height 320; align: horiz center")
HEAD = xlwt.easyxf("font: name 宋体, bold on; align: horiz center; borders: left thin, right thin, top thin, bottom thin")
DATE = xlwt.easyxf("font: name 宋体", num_format_str="yyyy-mm-dd")
NUM = xlwt.easyxf("font: name 宋体", num_format_str="0")


def write_xls(fname, sheet, titles, header, rows, merge_col=None, footers=()):
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(sheet)
    w = len(header)
    for r, t in enumerate(titles):
        ws.write_merge(r, r, 0, w - 1, t, TITLE if r == 0 else TXT)
    h = len(titles)
    for c, v in enumerate(header):
        ws.write(h, c, v, HEAD)
    for i, row in enumerate(rows):
        for c, v in enumerate(row):
            if c == merge_col:
                continue
            st = DATE if isinstance(v, dt.date) else NUM if isinstance(v, float) else TXT
            if v != "":
                ws.write(h + 1 + i, c, v, st)
    if merge_col is not None:                 # vertical merge of equal runs -> blank cells below
        i = 0
        while i < len(rows):
            j = i
            while j + 1 < len(rows) and rows[j + 1][merge_col] == rows[i][merge_col]:
                j += 1
            ws.write_merge(h + 1 + i, h + 1 + j, merge_col, merge_col, rows[i][merge_col], TXT)
            i = j + 1
    for k, f in enumerate(footers):
        r = h + 1 + len(rows) + k
        ws.write_merge(r, r, 0, w - 1, f, TXT)
    wb.save(os.path.join(OUT, fname))
    return h + 2                              # 1-based Excel row of the first data row


TRUTH = []


def add_truth(fname, sheet, row, s, dup_row=None):
    k, p = s["kind"], s["p"]
    t = {"file": fname, "sheet": sheet, "row": row,
         "id_number_of_register_person_or_null": None if k in ("notreg", "ambig") else p["id_number"],
         "direction": None if k == "blankdir" else s["dir"], "should_place": True, "why_not": "",
         "kind": k, "id_as_written": s.get("id_written", ""), "note": ""}
    if k == "notreg":
        t.update(should_place=False, why_not="person_not_in_register")
    elif k == "ambig":
        t.update(should_place=False, why_not="no_id_and_name_birth_match_several_register_persons",
                 note="candidates: " + ", ".join(x["id_number"] for x in TWINS))
    elif k == "badchk":
        t.update(should_place=False, why_not="invalid_check_character", alt_should_place=True,
                 note="first 17 digits, name and birth date match the register person")
    elif k == "blankdir":
        t.update(should_place=False, why_not="missing_direction",
                 note="direction could be inferred from 户籍地/现居住地 codes, but the column is blank")
    elif k == "noaddr":
        t.update(should_place=False, why_not="outflow_without_current_address")
    elif k == "dup":
        t.update(should_place=False, why_not=f"duplicate_of_row_{dup_row}", alt_should_place=True,
                 note=f"identical to row {dup_row}; merging into the same episode is also acceptable")
    elif k == "float":
        t.update(alt_should_place=False, note="ID stored as Excel number, last 3 digits lost; "
                 "15-digit prefix (region+birth date) + name identify the register person uniquely")
    elif k == "typo":
        t["note"] = f"name is a homophone typo of register name {p['name']}; ID valid and in register"
    elif k == "noid":
        t["note"] = "no ID; name + birth date match exactly one register person"
    elif k == "old15":
        t["note"] = "15-digit pre-1999 ID; converts to the register's 18-digit number"
    elif k in ("fullwidth", "space", "lowerx", "namepad"):
        t["note"] = f"cosmetic: {k}"
    if "alt_should_place" not in t:
        t.pop("note") if not t["note"] else None
    TRUTH.append(t)


def with_dups(specs, n, adjacent):
    """Insert n duplicate rows of normal rows (after the original)."""
    for _ in range(n):
        i = R.choice([x for x, s in enumerate(specs) if s["kind"] == "normal"])
        j = i + 1 if adjacent else R.randint(i + 1, len(specs))
        specs.insert(j, {"kind": "dup", "dir": specs[i]["dir"], "p": specs[i]["p"], "of": specs[i]})
    return specs


def render_all(specs, render):
    rows = []
    for n, s in enumerate(specs, 1):
        if s["kind"] == "dup":
            s["id_written"] = s["of"]["id_written"]
            row = list(s["of"]["cells"])
        else:
            row = s["cells"] = render(s, n)
        row[0] = n if isinstance(row[0], int) else row[0]
        rows.append(row)
    return rows


def truth_all(fname, sheet, first, specs):
    for n, s in enumerate(specs):
        dup_row = first + specs.index(s["of"]) if s["kind"] == "dup" else None
        add_truth(fname, sheet, first + n, s, dup_row)


# ---- file A: inflow 花名册, title rows, no direction column, merged 户籍地
FA, SA = "新安镇流入人口花名册.xls", "流入人口"
HA = ["序号", "姓名", "性别", "出生日期", "公民身份号码", "户籍地", "户籍地详址", "现居住地详址",
      "流入时间", "流动原因", "婚育证明编号"]
kinds = (["normal"] * 22 + ["space"] * 3 + ["fullwidth"] * 2 + ["lowerx"] * 2 + ["namepad"] * 2
         + ["notreg"] * 3 + ["badchk"] * 2 + ["typo"] * 2 + ["noid"] * 2)
sa = sorted((spec(k, "1") for k in R.sample(kinds, len(kinds))), key=lambda s: s["p"]["id_number"][:6])
sa = with_dups(sa, 1, adjacent=False)


def render_a(s, n):
    p, reg = s["p"], s["p"]["id_number"][:6]
    return [n, name_cell(s), SEXT[p["sex"]], dfmt(birth(s), R.choice(["iso", "iso", "dot", "compact", "xl", "cnfull"])),
            id_cell(s), HOMES[reg], home_addr(reg), village_addr(p),
            dfmt(move_date(), R.choice(["iso", "dot", "compact", "cnym", "xl", "dotym"])), R.choice(REASONS_IN), cert(reg)]


rows = render_all(sa, render_a)
first = write_xls(FA, SA, ["新安镇流入人口花名册", "填报单位（盖章）：新安镇计生办　　　　统计截止：2019年12月"], HA, rows,
                  merge_col=5, footers=[f"合计：{len(rows)}人", "填表人：刘丽娟　　　审核人：　　　　填报日期：2019年12月20日"])
truth_all(FA, SA, first, sa)
for k, txt in enumerate(["合计", "填表人"]):
    TRUTH.append({"file": FA, "sheet": SA, "row": first + len(rows) + k, "id_number_of_register_person_or_null": None,
                  "direction": None, "should_place": False, "why_not": "footer_not_a_data_row", "kind": "footer",
                  "note": f"footer row starting with {txt}; skipping it silently is also acceptable"})

# ---- file B: GPL system query export, mixed, direction column 流动类型, header in row 1
FB, SB = "流动人口信息查询结果_20200115.xls", "流动人口信息"
HB = ["人员编号", "姓名", "性别", "民族", "出生日期", "身份证号", "婚姻状况", "流动类型", "户籍地行政区划",
      "户籍地详细地址", "现居住地行政区划", "现居住地详细地址", "离开户籍地时间", "流动原因", "登记单位"]
sb = ([spec(k, "1") for k in ["normal"] * 18 + ["float"] * 2 + ["badchk", "typo", "noid", "notreg", "blankdir", "blankdir"]]
      + [spec(k, "2") for k in ["normal"] * 18 + ["float"] * 2 + ["badchk", "noaddr", "notreg", "space", "blankdir", "ambig"]])
R.shuffle(sb)
sb = with_dups(sb, 2, adjacent=False)


def render_b(s, n):
    p, reg, k = s["p"], s["p"]["id_number"][:6], s["kind"]
    if s["dir"] == "1":
        hc, ha, cc, ca = reg + "000000", home_addr(reg), p["village_code"], village_addr(p)
    else:
        code, _, detail = dest()
        hc, ha, cc, ca = p["village_code"], village_addr(p), code + "000000", detail
    if k == "noaddr":
        cc, ca = "", ""
    dcell = R.choice(["", " "]) if k == "blankdir" else {"1": "流入", "2": "流出"}[s["dir"]]
    if k != "blankdir" and R.random() < 0.1:
        dcell += R.choice([" ", "\u3000"])
    return [f"1301231030{R.randint(1, 9999999):07d}", name_cell(s), SEXT[p["sex"]], R.choice(["汉族"] * 9 + ["回族"]),
            dfmt(birth(s), R.choice(["compact", "compact", "xl"])), id_cell(s), R.choice(MARITAL), dcell, hc, ha, cc, ca,
            dfmt(move_date(), R.choice(["iso", "iso", "compact"])), R.choice(REASONS_IN if s["dir"] == "1" else REASONS_OUT),
            "新安镇人民政府"]


rows = render_all(sb, render_b)
first = write_xls(FB, SB, [], HB, rows)
truth_all(FB, SB, first, sb)

# ---- file C: outflow 登记表, title row, merged 村别, no direction column
FC, SC = "2020年一季度流出人口.xls", "流出人口"
HC = ["序号", "村别", "姓名", "性别", "出生日期", "身份证号码", "流入地（现居住地）", "现居住地详细地址",
      "外出时间", "外出原因", "联系电话", "备注"]
kinds = (["normal"] * 20 + ["old15"] * 4 + ["space"] * 2 + ["fullwidth", "namepad", "namepad"] + ["noaddr"] * 3
         + ["notreg"] * 2 + ["badchk"] + ["typo"] * 2 + ["noid"] + ["float"] * 2)
sc = sorted((spec(k, "2") for k in R.sample(kinds, len(kinds))), key=lambda s: s["p"]["village_code"])
sc = with_dups(sc, 1, adjacent=True)
NOADDR = iter([("", ""), ("不详", ""), ("", "")])


def render_c(s, n):
    p = s["p"]
    _, where, detail = dest()
    if s["kind"] == "noaddr":
        where, detail = next(NOADDR)
    return [n, VILLAGES[p["village_code"]], name_cell(s), SEXT[p["sex"]],
            dfmt(birth(s), R.choice(["iso", "dot", "cnfull", "xl", "slash"])), id_cell(s), where, detail,
            dfmt(move_date(), R.choice(["dot", "dotym", "cnym", "iso", "xl"])), R.choice(REASONS_OUT),
            f"1{R.choice('3578')}{R.randint(0, 999999999):09d}", R.choice([""] * 6 + ["长期外出", "已婚外嫁", "举家外出"])]


rows = render_all(sc, render_c)
first = write_xls(FC, SC, ["新安镇流出人口登记表（2020年第一季度）"], HC, rows, merge_col=1)
truth_all(FC, SC, first, sc)

# ---- file D: small .xlsx check sheet, mixed, real date cells
FD, SD = "流动人口核查表2021.xlsx", "核查结果"
HD = ["序号", "姓名", "公民身份号码", "流动方向", "现居住地", "流动日期", "备注"]
sd = [spec("normal", "1") for _ in range(5)] + [spec("normal", "2") for _ in range(4)] + [spec("blankdir", "2"), spec("notreg", "1")]
R.shuffle(sd)
wb = openpyxl.Workbook()
ws = wb.active
ws.title = SD
ws.append(HD)
for n, s in enumerate(sd, 1):
    cur = village_addr(s["p"]) if s["dir"] == "1" else dest()[2]
    dcell = "" if s["kind"] == "blankdir" else {"1": "流入", "2": "流出"}[s["dir"]]
    ws.append([n, name_cell(s), id_cell(s), dcell, cur, move_date(), ""])
    ws.cell(n + 1, 3).number_format = "@"
    ws.cell(n + 1, 6).number_format = "yyyy-mm-dd"
    add_truth(FD, SD, n + 1, s)
wb.save(os.path.join(OUT, FD))

with open(os.path.join(OUT, "register.json"), "w", encoding="utf-8") as f:
    json.dump(REGISTER, f, ensure_ascii=False, indent=1)
with open(os.path.join(OUT, "truth.json"), "w", encoding="utf-8") as f:
    json.dump(TRUTH, f, ensure_ascii=False, indent=1)
print(len(REGISTER), "register persons;", len(TRUTH), "truth rows")
print(Counter((t["file"], t["kind"]) for t in TRUTH))
