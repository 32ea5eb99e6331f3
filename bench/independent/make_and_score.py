#!/usr/bin/env python3
"""Independent test data for `hecha reconcile`: lists as offices receive them, with a truth file.

Run with hecha's venv (it has xlwt, openpyxl and lunardate):

    /work/main/.venv/bin/python bench/independent/make_and_score.py --scenario forms --seed 1
    /work/main/.venv/bin/python bench/independent/make_and_score.py --scenario noforms --seed 1 --keep /tmp/x

Only the CLI and the SQLite file are used; nothing of hecha is imported. See README.md here.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import lzma
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import lunardate
import openpyxl
import xlwt

HERE = Path(__file__).resolve().parent
MAIN = HERE.parent.parent
HECHA = str(MAIN / ".venv" / "bin" / "hecha")
DIVS = MAIN.parent / "shared" / "data" / "divisions-nbs-2023"
OFFICE = "130123103"
COUNTY = "130123"
ASOF = dt.date(2026, 6, 30)
WSTART = dt.date(2016, 7, 1)  # the ten years up to ASOF

# ----------------------------------------------------------------------------------------------
# names

SURNAMES = ("王" * 16 + "李" * 14 + "张" * 13 + "刘" * 10 + "陈" * 6 + "杨" * 6 + "赵" * 6 + "黄" * 3
            + "周" * 3 + "吴" * 3 + "徐" * 3 + "孙" * 3 + "胡" * 2 + "朱" * 2 + "高" * 3 + "林" + "何"
            + "郭" * 3 + "马" * 3 + "罗" + "梁" * 2 + "宋" * 2 + "郑" + "谢" + "韩" * 2 + "唐" + "冯"
            + "于" * 2 + "董" * 2 + "萧" + "程" + "曹" + "袁" + "邓" + "许" + "傅" + "沈" + "曾" + "彭"
            + "吕" + "苏" + "卢" + "蒋" + "蔡" + "贾" * 2 + "丁" + "魏" + "薛" + "叶" + "阎" + "余"
            + "潘" + "杜" + "戴" + "夏" + "钟" + "汪" + "田" * 2 + "任" + "姜" + "范" + "方" + "石"
            + "姚" + "谭" + "廖" + "邹" + "熊" + "金" + "陆" + "郝" * 2 + "孔" + "白" + "崔" * 2 + "康"
            + "毛" + "邱" + "秦" + "江" + "史" + "顾" + "侯" * 2 + "邵" + "孟" + "龙" + "万" + "段"
            + "武" * 2 + "乔" + "牛" * 2 + "耿" + "霍")
BOY = "浩宇轩子涵博文杰俊明铭晨辰睿泽一鑫磊伟涛强勇军刚飞鹏建志国东海亮凯宁阳成超振华斌波"
GIRL = "欣怡梓涵雨佳思诗婷静雪丽娜琪晓玲萱瑶彤然慧敏芳燕萍春梅兰英红霞秀娟月悦妍可馨蕊璐倩楠"

HOMOPHONES = ["晓小筱", "玲灵铃凌菱", "静晶婧靖敬", "婷庭亭廷", "欣馨新鑫心", "宇雨语禹羽", "浩昊皓豪",
              "轩萱宣", "涵寒晗含", "梓子紫", "怡宜仪艺", "佳嘉家加", "杰洁捷", "俊骏峻君", "明铭鸣名",
              "文雯闻", "丽莉利立力", "娜纳", "琪琦奇淇", "然冉", "思斯丝", "依伊一衣", "彤桐童同",
              "瑶遥尧", "诗时世", "睿瑞锐", "泽择", "博波柏", "晨辰臣", "雪学", "华花", "燕艳雁彦",
              "芳方", "萍平苹", "春纯", "月悦越岳", "英莹迎颖", "阳杨扬洋", "梅玫美", "兰蓝岚",
              "飞菲非", "强蔷", "成城诚程", "超潮", "勇永咏", "振震", "刚钢", "国果", "林琳霖",
              "慧惠蕙", "红宏鸿洪", "军均钧", "伟玮炜", "磊蕾", "涛韬", "亮靓", "凯恺", "东冬",
              "志智治", "娟涓", "霞夏", "秀绣", "敏民", "建健剑", "可珂柯", "妍研言", "鹏朋",
              "宁凝", "雅亚", "璐露路", "倩茜", "楠南", "斌彬", "波"]
SHAPES = ["王玉", "己已", "未末", "晴睛", "侯候", "祯桢", "徐涂", "贾贯", "土士", "天夭", "日曰",
          "刀刁", "干千", "博搏", "婷停", "凯剀", "泽译", "勇甬", "俊浚", "瑶摇", "琳淋", "萍苹",
          "鹏棚", "超趋", "丽郦", "梅海", "娜哪", "杰木"]
HOMO = {}
for g in HOMOPHONES:
    for c in g:
        HOMO.setdefault(c, [x for x in g if x != c])
SHAPE = {}
for a, b in SHAPES:
    SHAPE.setdefault(a, []).append(b)
    SHAPE.setdefault(b, []).append(a)


def given_name(rng, sex):
    pool = BOY if sex == "1" else GIRL
    n = 1 if rng.random() < 0.2 else 2
    return "".join(rng.choice(pool) for _ in range(n))


def variant(rng, name):
    """A name as another clerk wrote it: (new name, type)."""
    sur, giv = name[0], name[1:]
    kinds = ["homophone"] * 5 + ["shape"] * 3 + ["drop"] * 2
    rng.shuffle(kinds)
    for k in kinds:
        if k == "homophone":
            pos = [i for i, c in enumerate(giv) if c in HOMO]
            if pos:
                i = rng.choice(pos)
                return sur + giv[:i] + rng.choice(HOMO[giv[i]]) + giv[i + 1:], k
        elif k == "shape":
            pos = [i for i, c in enumerate(name) if c in SHAPE]
            if pos:
                i = rng.choice(pos)
                return name[:i] + rng.choice(SHAPE[name[i]]) + name[i + 1:], k
        elif k == "drop" and len(giv) >= 2:
            i = rng.randrange(len(giv))
            return sur + giv[:i] + giv[i + 1:], k
    return sur + giv + rng.choice(GIRL), "homophone"  # unreachable in practice


# ----------------------------------------------------------------------------------------------
# ID numbers (GB 11643)

W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def check_char(s17):
    return "10X98765432"[sum(int(a) * b for a, b in zip(s17, W)) % 11]


USED_IDS: set = set()


def make_id(rng, area, birth, sex):
    for _ in range(2000):
        seq = rng.randrange(1, 1000)
        if (seq % 2 == 1) != (sex == "1"):
            seq = seq + 1 if seq < 999 else seq - 1
        s17 = f"{area}{birth:%Y%m%d}{seq:03d}"
        idn = s17 + check_char(s17)
        if idn not in USED_IDS:
            USED_IDS.add(idn)
            return idn
    raise RuntimeError("id space")


def typo(rng, idn):
    """One digit of an ID number keyed wrong (the check character no longer fits)."""
    while True:
        i = rng.randrange(6, 17)
        c = str((int(idn[i]) + rng.randrange(1, 10)) % 10)
        if (i == 10 and c not in "01") or (i == 12 and c not in "012"):  # keep month/day plausible
            continue
        return idn[:i] + c + idn[i + 1:]


def rand_date(rng, a, b):
    return a + dt.timedelta(days=rng.randrange((b - a).days + 1))


def d8(d):
    return d.strftime("%Y%m%d")


def iso(d):
    return d.isoformat()


# ----------------------------------------------------------------------------------------------
# divisions

def load_areas():
    out = {}
    with open(DIVS / "areas.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            out[r["code"]] = r["name"]
    prov = {}
    with open(DIVS / "provinces.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            prov[r["code"]] = r["name"]
    return out, prov


def load_villages():
    out = []
    with lzma.open(DIVS / "villages.csv.xz", "rt", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["streetCode"] == OFFICE:
                out.append((r["code"], r["name"]))
    return sorted(out)


def short_village(name):
    for suf in ("村村民委员会", "村民委员会", "居民委员会", "村委会"):
        if name.endswith(suf):
            base = name[: -len(suf)]
            return base + ("村" if suf != "居民委员会" else "社区")
    return name


NEIGHBOURS = ["130125", "130126", "130127", "130130", "130181", "130183", "130184", "130102", "130104",
              "130108", "130682"]
FARAWAY = ["410102", "410725", "370102", "140105", "150102", "510104", "340104", "230103", "130229"]

RELATION = {"02": "户主", "10": "配偶", "11": "夫", "12": "妻", "20": "子", "21": "独生子", "22": "长子",
            "23": "次子", "24": "三子", "30": "女", "31": "独生女", "32": "长女", "33": "次女", "34": "三女",
            "41": "孙子", "42": "孙女", "51": "父亲", "52": "母亲", "28": "女婿", "38": "儿媳"}
CHILD_REL = ("20", "21", "22", "23", "24", "25", "26", "29", "30", "31", "32", "33", "34", "35", "36", "39")


def child_relation(sex, k):
    if sex == "1":
        return ["长子", "次子", "三子", "四子"][min(k, 3)]
    return ["长女", "次女", "三女", "四女"][min(k, 3)]


# ----------------------------------------------------------------------------------------------
# the CLI

def run(args, env, check=False, timeout=1800):
    t = time.time()
    p = subprocess.run([HECHA, *args], capture_output=True, text=True, env=env, timeout=timeout)
    if check and p.returncode != 0:
        sys.exit(f"hecha {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p, time.time() - t


# ----------------------------------------------------------------------------------------------
# the population

class World:
    def __init__(self, rng, villages):
        self.rng = rng
        self.villages = villages  # [(code, name)]
        self.vname = dict(villages)
        self.persons = {}  # key -> person dict
        self.households = {}  # key -> dict(police_no, village, address, members [(pkey, relation)], hukou)
        self.births = []  # truth births (dicts)
        self.n = 0
        self.police_nos = set()

    def pkey(self):
        self.n += 1
        return f"P{self.n:06d}"

    def police_no(self):
        while True:
            x = f"{self.rng.randrange(10**8, 10**9)}"
            if x not in self.police_nos:
                self.police_nos.add(x)
                return x

    def new_person(self, name, sex, birth, idn, village, hh=None, phone=None, local=True):
        k = self.pkey()
        p = dict(key=k, name=name, sex=sex, birth=birth, id=idn, village=village, hh=hh,
                 phone=phone or f"1{self.rng.choice('35789')}{self.rng.randrange(10**8, 10**9)}",
                 local=local)
        self.persons[k] = p
        return p

    def new_household(self, village, hukou=True):
        k = f"H{len(self.households) + 1:06d}"
        grp = self.rng.randrange(1, 9)
        self.households[k] = dict(key=k, police_no=self.police_no(), village=village,
                                  address=f"河北省正定县新安镇{short_village(self.vname[village])}{grp}组"
                                          f"{self.rng.randrange(1, 200)}号",
                                  members=[], hukou=hukou)
        return self.households[k]

    def new_birth(self, **kw):
        b = dict(tid=f"T{len(self.births) + 1:05d}", cat=None, uid=None, on_forms=False, hh_code="",
                 child_id="", cert_no="", plural=1, twin_idx=1, flags=[], names={}, mis=None,
                 wis_mother=None, order=None, father=None, hh=None)
        b.update(kw)
        b["in_window"] = WSTART <= b["date"] <= ASOF
        self.births.append(b)
        return b

    def new_cert(self):
        while True:
            x = self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + f"{self.rng.randrange(10**9):09d}"
            if x not in self.police_nos:
                self.police_nos.add(x)
                return x


def local_woman(w, rng, village, hh=None, lo=1980, hi=2002, area=None):
    sex = "2"
    birth = rand_date(rng, dt.date(lo, 1, 1), dt.date(hi, 12, 31))
    area = area or COUNTY
    name = rng.choice(SURNAMES) + given_name(rng, sex)
    return w.new_person(name, sex, birth, make_id(rng, area, birth, sex), village, hh, local=area == COUNTY)


def local_man(w, rng, village, near, hh=None, area=None):
    birth = near + dt.timedelta(days=rng.randrange(-400, 2500))
    area = area or COUNTY
    name = rng.choice(SURNAMES) + given_name(rng, "1")
    return w.new_person(name, "1", birth, make_id(rng, area, birth, "1"), village, hh, local=area == COUNTY)


def far_from(dates, d, days=365):
    return all(abs((d - x).days) >= days for x in dates)


# ---------------------------------------------------------------------------------------------- forms

def build_forms(w, rng, births_target, seed, db, env):
    hh = max(50, round(births_target * 3.55))
    p, secs = run(["demo", "--households", str(hh), "--seed", str(seed), "--as-of", d8(ASOF), "--no-lists",
                   "--db", str(db)], env, check=True)
    print(f"hecha demo --households {hh}: {secs:.0f} s", file=sys.stderr)
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    id2key = {}
    for h in con.execute("select * from household where deleted=0 order by id"):
        k = f"H{h['id']:06d}"
        w.households[k] = dict(key=k, police_no=h["police_hukou_no"] or w.police_no(), village=h["village_code"],
                               address=f"河北省正定县新安镇{short_village(w.vname.get(h['village_code'], ''))}"
                                       f"{h['address_detail']}", members=[], hukou=True,
                               code=h["household_code"])
    for r in con.execute("select * from person where deleted=0 order by household_id, seq"):
        hk = f"H{r['household_id']:06d}"
        if hk not in w.households:
            continue
        idn = r["id_number"]
        if idn:
            USED_IDS.add(idn)
        try:
            bd = dt.date.fromisoformat(r["birth_date"][:10])
        except ValueError:
            bd = dt.date(int(r["birth_date"][:4]), int(r["birth_date"][5:7] or 1), 1)
        pp = w.new_person(r["name"], r["sex"], bd, idn, w.households[hk]["village"], hk,
                          phone=r["phone"] or None, local=not idn or idn.startswith(COUNTY))
        pp.update(dbid=r["id"], rel=r["relation_to_head"], res=r["residence_status"],
                  married=r["marital_status"])
        id2key[r["id"]] = pp["key"]
        w.households[hk]["members"].append((pp["key"], RELATION.get(r["relation_to_head"], "其他")))
    child_of_birth = set()
    for r in con.execute("select b.*, h.household_code from birth b join household h on h.id=b.household_id "
                         "where b.deleted=0 order by b.id"):
        bd = dt.date.fromisoformat(r["birth_date"][:10])
        m = w.persons[id2key[r["mother_id"]]]
        f = w.persons[id2key[r["father_id"]]] if r["father_id"] in id2key else None
        c = w.persons.get(id2key.get(r["child_id"])) if r["child_id"] else None
        if c:
            child_of_birth.add(c["key"])
        b = w.new_birth(name=r["child_name"], sex=r["child_sex"], date=bd, order=r["birth_order"], mother=m,
                        father=f, village=w.households[f"H{r['household_id']:06d}"]["village"],
                        hh=f"H{r['household_id']:06d}", hh_code=r["household_code"],
                        child_id=c["id"] if c else "", child_key=c["key"] if c else None,
                        cert_no=r["birth_cert_no"], plural=r["plurality"], twin_idx=r["plurality_index"],
                        uid=r["uid"], on_forms=True)
        if not b["in_window"]:
            b["cat"] = "outside"
    # older children registered as persons without a birth line: their mother is the head's wife
    for hk, h in w.households.items():
        mem = [w.persons[k] for k, _ in h["members"]]
        mothers = [p for p in mem if p["sex"] == "2" and p.get("rel") in ("02", "10", "12")]
        fathers = [p for p in mem if p["sex"] == "1" and p.get("rel") in ("02", "10", "11")]
        for p in mem:
            if p["key"] in child_of_birth or p.get("rel") not in CHILD_REL:
                continue
            if p["birth"] < dt.date(2007, 1, 1) or p["birth"] >= WSTART or not mothers:
                continue
            m = mothers[0]
            b = w.new_birth(name=p["name"], sex=p["sex"], date=p["birth"], order=None, mother=m,
                            father=fathers[0] if fathers else None, village=h["village"], hh=hk,
                            child_id=p["id"], child_key=p["key"], on_forms=False, cat="outside")
            b["flags"].append("person-only")
    con.close()


# ---------------------------------------------------------------------------------------------- noforms

def build_noforms(w, rng, births_target):
    vcodes = [c for c, _ in w.villages]
    while sum(1 for b in w.births if b["in_window"]) < births_target:
        v = rng.choice(vcodes)
        h = w.new_household(v)
        foreign = rng.random() < 0.15
        area = rng.choice(NEIGHBOURS + FARAWAY) if foreign else COUNTY
        m = local_woman(w, rng, v, h["key"], 1978, 2003, area)
        f = local_man(w, rng, v, m["birth"], h["key"])
        f_head = rng.random() < 0.8
        h["members"].append((f["key"], "户主" if f_head else "夫"))
        if not foreign or rng.random() < 0.5:  # a married-in woman often keeps her hukou at home
            h["members"].append((m["key"], "妻" if f_head else "户主"))
        if rng.random() < 0.3:  # grandparents
            gf = local_man(w, rng, v, f["birth"] - dt.timedelta(days=365 * 27), h["key"])
            gm = local_woman(w, rng, v, h["key"], f["birth"].year - 30, f["birth"].year - 22)
            h["members"] += [(gf["key"], "父亲"), (gm["key"], "母亲")]
        nkids = rng.choices([0, 1, 2, 3], [6, 38, 44, 12])[0]
        d = m["birth"] + dt.timedelta(days=rng.randrange(int(365.25 * 20), int(365.25 * 32)))
        order = 0
        ks = {"1": 0, "2": 0}
        for _ in range(nkids):
            if d > ASOF:
                break
            twins = rng.random() < 0.012
            for t in range(2 if twins else 1):
                order += 1
                sex = rng.choice("12")
                name = f["name"][0] + given_name(rng, sex)
                reg = rng.random() < (0.97 if (ASOF - d).days > 200 else 0.55)
                cid = make_id(rng, COUNTY, d, sex) if reg else ""
                b = w.new_birth(name=name, sex=sex, date=d, order=order, mother=m, father=f, village=v,
                                hh=h["key"], child_id=cid, plural=2 if twins else 1, twin_idx=t + 1)
                if foreign:
                    b["flags"].append("foreign-id-mother")
                if reg:
                    c = w.new_person(name, sex, d, cid, v, h["key"])
                    b["child_key"] = c["key"]
                    h["members"].append((c["key"], child_relation(sex, ks[sex])))
                    ks[sex] += 1
                if not b["in_window"]:
                    b["cat"] = "outside"
            d = d + dt.timedelta(days=rng.randrange(500, 2600))
    # women registered in WIS with no child (married lately, or none yet)
    extra = []
    for _ in range(max(5, births_target // 12)):
        v = rng.choice(vcodes)
        h = w.new_household(v)
        m = local_woman(w, rng, v, h["key"], 1990, 2004)
        f = local_man(w, rng, v, m["birth"], h["key"])
        h["members"] += [(f["key"], "户主"), (m["key"], "妻")]
        m["husband"] = f
        extra.append(m)
    w.childless = extra


# ---------------------------------------------------------------------------------------------- plant

def women_pool(w):
    out = defaultdict(list)
    for p in w.persons.values():
        if p["sex"] == "2" and dt.date(1977, 1, 1) <= p["birth"] <= dt.date(2004, 12, 31) and p.get("res", "1") != "3":
            out[p["village"]].append(p)
    return out


def husband_of(w, m):
    if m.get("husband"):
        return m["husband"]
    h = w.households.get(m.get("hh"))
    if not h:
        return None
    for k, rel in h["members"]:
        p = w.persons[k]
        if p["sex"] == "1" and rel in ("户主", "夫", "配偶") and k != m["key"]:
            return p
    return None


def mother_births(w):
    out = defaultdict(list)
    for b in w.births:
        if b["cat"] not in ("false", "elsewhere"):
            out[b["mother"]["key"]].append(b)
    return out


def wis_date_error(rng, d):
    types = ["year", "month", "swap", "lunar", "days"]
    rng.shuffle(types)
    for t in types:
        if t == "year":
            y = d.year + rng.choice([-1, 1])
            nd = dt.date(y, d.month, min(d.day, 28 if d.month == 2 else d.day))
            if nd > ASOF:
                nd = dt.date(d.year - 1, d.month, min(d.day, 28 if d.month == 2 else d.day))
        elif t == "month":
            mm = [m for m in range(1, 13) if m != d.month and abs(m - d.month) <= 3]
            m = rng.choice(mm)
            nd = dt.date(d.year, m, min(d.day, 28))
            nd = nd.replace(day=d.day) if d.day <= 28 else nd
        elif t == "swap":
            if d.day > 12 or d.day == d.month:
                continue
            nd = dt.date(d.year, d.day, d.month)
        elif t == "lunar":
            nd = None
            for dd in (d.day, d.day - 1):
                try:
                    nd = lunardate.LunarDate(d.year, d.month, dd).to_solar_date()
                    break
                except ValueError:
                    continue
            if nd is None or not 15 <= (nd - d).days <= 60:
                continue
        else:
            nd = d + dt.timedelta(days=rng.choice([-6, -5, -4, -3, -2, 2, 3, 4, 5, 6]))
        if nd != d and nd <= ASOF:
            return nd, t
    return d + dt.timedelta(days=-3), "days"


def plant(w, rng, scenario):
    real = [b for b in w.births if b["in_window"] and b["cat"] is None]
    n = len(real)
    order = list(real)
    rng.shuffle(order)
    n_om = round(n * (0.03 if scenario == "forms" else 0.04))
    n_mis = round(n * 0.025)
    for b in order[:n_om]:
        b["cat"] = "omission"
    mis_fields = ["birth_date", "sex", "birth_date", "mother", "birth_date", "birth_order", "birth_date", "sex",
                  "birth_date", "mother", "birth_date", "birth_order", "birth_date", "mother", "birth_date", "sex",
                  "birth_date", "birth_order", "birth_date", "mother"]  # 10 date, 3 sex, 3 order, 4 mother
    pool = women_pool(w)
    for i, b in enumerate(order[n_om:n_om + n_mis]):
        b["cat"] = "misreport"
        f = mis_fields[i % len(mis_fields)]
        b["mis"] = f
        if f == "birth_date":
            b["wis_date"], b["date_err"] = wis_date_error(rng, b["date"])
        elif f == "sex":
            b["wis_sex"] = "2" if b["sex"] == "1" else "1"
        elif f == "birth_order":
            o = b["order"] or 1
            b["wis_order"] = 2 if o == 1 else o + rng.choice([-1, 1])
        else:
            cands = [p for p in pool[b["village"]] if p["key"] != b["mother"]["key"]]
            b["wis_mother"] = rng.choice(cands)
    for b in real:
        if b["cat"] is None:
            b["cat"] = "consistent"
    mb = mother_births(w)
    vcodes = [c for c, _ in w.villages]
    # hidden births: neither forms nor WIS, only health / education / police lists
    n_hid = round(n * 0.01) if scenario == "forms" else 0
    allw = [p for v in sorted(pool) for p in pool[v] if p["birth"] >= dt.date(1983, 1, 1)]
    for i in range(n_hid):
        if i % 2 == 0:
            m = rng.choice(allw)
            f = husband_of(w, m)
            dates = [x["date"] for x in mb[m["key"]]]
            for _ in range(50):
                d = rand_date(rng, max(WSTART, m["birth"] + dt.timedelta(days=365 * 19)), ASOF - dt.timedelta(days=20))
                if far_from(dates, d, 400):
                    break
            else:
                continue
            v, hk = m["village"], m["hh"]
        else:
            v = rng.choice(vcodes)
            h = w.new_household(v)
            m = local_woman(w, rng, v, h["key"], 1985, 2002)
            f = local_man(w, rng, v, m["birth"], h["key"])
            h["members"] += [(f["key"], "户主"), (m["key"], "妻")]
            d = rand_date(rng, max(WSTART, m["birth"] + dt.timedelta(days=365 * 20)), ASOF - dt.timedelta(days=20))
            v, hk = v, h["key"]
        sex = rng.choice("12")
        sur = (f or m)["name"][0]
        name = sur + given_name(rng, sex)
        cid = make_id(rng, COUNTY, d, sex) if (ASOF - d).days > 200 else ""
        b = w.new_birth(name=name, sex=sex, date=d, order=len(mb[m["key"]]) + 1, mother=m, father=f,
                        village=v, hh=hk, child_id=cid, cat="hidden")
        b["flags"].append("hidden-mother-on-forms" if i % 2 == 0 else "hidden-mother-not-on-forms")
        if cid:
            c = w.new_person(name, sex, d, cid, v, hk)
            b["child_key"] = c["key"]
            w.households[hk]["members"].append((c["key"], child_relation(sex, 1)))
        mb[m["key"]].append(b)
    # false WIS records: a child that does not exist
    n_false = max(3, round(n * 0.015))
    mothers_here = [w.persons[k] for k in mb if w.persons[k].get("res", "1") != "3"]
    for i in range(n_false):
        if i % 2 == 0:
            m = rng.choice(mothers_here)
            dates = [x["date"] for x in mb[m["key"]]]
            d = None
            for _ in range(80):
                x = rand_date(rng, max(WSTART, m["birth"] + dt.timedelta(days=365 * 19)), ASOF - dt.timedelta(days=30))
                if far_from(dates, x, 500):
                    d = x
                    break
            if d is None:
                continue
            f = husband_of(w, m) or (mb[m["key"]][0]["father"] if mb[m["key"]] else None)
            order = len([x for x in dates if x < d]) + 1
            kind = "false-child-of-known-mother"
        else:
            v = rng.choice(vcodes)
            m = local_woman(w, rng, v, None, 1984, 2000)
            f = local_man(w, rng, v, m["birth"])
            m["husband"] = f
            d = rand_date(rng, max(WSTART, m["birth"] + dt.timedelta(days=365 * 20)), ASOF - dt.timedelta(days=30))
            order = 1
            kind = "false-woman-only-in-wis"
        sex = rng.choice("12")
        b = w.new_birth(name=(f or m)["name"][0] + given_name(rng, sex), sex=sex, date=d, order=order,
                        mother=m, father=f, village=m["village"], cat="false")
        b["flags"].append(kind)
    # births in the county's hospital to mothers of other counties
    n_else = max(3, round(n * 0.02))
    areas = NEIGHBOURS * 3 + FARAWAY
    for i in range(n_else):
        area = rng.choice(areas)
        m = local_woman(w, rng, None, None, 1985, 2003, area)
        f = local_man(w, rng, None, m["birth"], area=area)
        d = rand_date(rng, WSTART, ASOF - dt.timedelta(days=5))
        sex = rng.choice("12")
        b = w.new_birth(name=f["name"][0] + given_name(rng, sex), sex=sex, date=d, order=1, mother=m, father=f,
                        village=None, cat="elsewhere")
        b["flags"].append("elsewhere-neighbour" if area in NEIGHBOURS else "elsewhere-far")
        m["home"] = area


# ---------------------------------------------------------------------------------------------- coverage

LISTS = ["wis", "birth_cert", "delivery", "vaccination", "kindergarten", "school", "police_hukou"]


def coverage(w, rng, scenario):
    for b in w.births:
        d = b["date"]
        on = []
        cat = b["cat"]
        migrant = b["mother"].get("res") == "3"
        if cat == "false":
            b["on"] = ["wis"]
            continue
        if cat == "elsewhere":
            while not on:
                if rng.random() < 0.9:
                    on.append("birth_cert")
                if rng.random() < 0.8:
                    on.append("delivery")
            b["on"] = on
            continue
        if cat in ("consistent", "misreport", "outside"):
            if cat != "outside" or b["mother"]["birth"] >= dt.date(1976, 7, 1):
                on.append("wis")
        if cat != "outside" and rng.random() < 0.85:
            if rng.random() < 0.95:
                on.append("birth_cert")
            if rng.random() < 0.9:
                on.append("delivery")
        pv = 0.9 if d >= dt.date(2019, 7, 1) else (0.6 if d >= dt.date(2014, 1, 1) else 0.0)
        if rng.random() < pv:
            on.append("vaccination")
        if dt.date(2020, 9, 1) <= d <= dt.date(2023, 8, 31) and rng.random() < 0.85:
            on.append("kindergarten")
        if dt.date(2013, 9, 1) <= d <= dt.date(2020, 8, 31) and rng.random() < 0.97:
            on.append("school")
        if b["child_id"] and not migrant and w.households.get(b["hh"], {}).get("hukou", False) and rng.random() < 0.95:
            on.append("police_hukou")
        nonwis = [x for x in on if x != "wis"]
        if not nonwis and cat != "outside" and (scenario == "noforms" or not b["on_forms"]):
            # every real birth shows somewhere besides WIS (else it is invisible, not a test)
            on.append("police_hukou" if b["child_id"] and not migrant else "vaccination")
        b["on"] = on
    # name variants: the same wrong spelling on several lists at once
    real = [b for b in w.births if b["in_window"] and b["cat"] not in ("false",)]
    for b in real:
        if rng.random() < 0.08:
            cand = [x for x in b["on"] if x in ("wis", "vaccination", "kindergarten", "school", "police_hukou",
                                                 "birth_cert")]
            if not cand:
                continue
            sibs = [x["name"] for x in w.births if x["mother"]["key"] == b["mother"]["key"] and x is not b]
            for _ in range(10):
                vn, vt = variant(rng, b["name"])
                if vn not in sibs:
                    break
            else:
                continue
            k = min(len(cand), rng.choice([1, 2, 2, 3]))
            chosen = rng.sample(cand, k)
            for c in chosen:
                b["names"][c] = vn
            b["flags"].append(f"name-variant:{vt}")
            b["variant"] = [vn, vt, chosen]


# ---------------------------------------------------------------------------------------------- writers

class Sheet:
    def __init__(self, name):
        self.name = name
        self.rows = []  # list of (cells, truth tid or None, tag)

    def add(self, cells, tid=None, tag="data", plants=None):
        self.rows.append((cells, tid, tag, list(dict.fromkeys(plants or []))))


class Num(float):
    """A cell the spreadsheet stored as a number."""


def write_xls(path, sheets):
    wb = xlwt.Workbook(encoding="gbk")
    for sh in sheets:
        ws = wb.add_sheet(sh.name)
        for r, (cells, *_) in enumerate(sh.rows):
            for c, v in enumerate(cells):
                if v is None or v == "":
                    continue
                if isinstance(v, (Num, int, float)) and not isinstance(v, bool):
                    ws.write(r, c, float(v) if isinstance(v, Num) else v)
                else:
                    ws.write(r, c, str(v))
    wb.save(str(path))


def write_xlsx(path, sheets, merge_title=None):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sh in sheets:
        ws = wb.create_sheet(sh.name)
        for cells, *_ in sh.rows:
            ws.append([float(v) if isinstance(v, Num) else (None if v == "" else v) for v in cells])
        if merge_title:
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=merge_title)
    wb.save(str(path))


def write_csv(path, sheet):
    with open(path, "w", encoding="gbk", newline="") as f:
        wr = csv.writer(f)
        for cells, *_ in sheet.rows:
            wr.writerow(["" if v is None else v for v in cells])


def sx(s):
    return "男" if s == "1" else "女"


def unnamed(m, sex):
    return m["name"] + ("之子" if sex == "1" else "之女")


def build_lists(w, rng, outdir):
    files = []  # (kind, path, sheets)
    B = [b for b in w.births if b.get("on")]

    def nm(b, kind):
        return b["names"].get(kind, b["name"])

    # ---- WIS: P&WIS export by woman, one row per child
    sh = Sheet("育龄妇女信息")
    sh.add(["序号", "村(居)委会", "育龄妇女姓名", "身份证号", "婚姻状况", "丈夫姓名", "子女姓名", "子女性别",
            "子女出生日期", "孩次", "节育措施", "户籍性质", "联系电话"], None, "header")
    rows = defaultdict(list)  # woman key -> [(birth, ...)]
    women = {}
    for b in B:
        if "wis" not in b["on"]:
            continue
        m = b.get("wis_mother") or b["mother"]
        women[m["key"]] = m
        rows[m["key"]].append(b)
    # mothers whose only births are missing in WIS are still registered there, without the child
    for b in w.births:
        m = b["mother"]
        if b["cat"] in ("omission", "hidden") and m["key"] not in women and m.get("local", True) \
                and (b["on_forms"] or b["cat"] == "omission") and rng.random() < 0.7:
            women[m["key"]] = m
    for m in getattr(w, "childless", []):
        women[m["key"]] = m
    if hasattr(w, "forms_childless"):
        for m in w.forms_childless:
            women.setdefault(m["key"], m)
    wl = sorted(women.values(), key=lambda p: (p["village"] or "", p["name"], p["key"]))
    seq = 0
    for m in wl:
        hus = husband_of(w, m)
        kids = sorted(rows.get(m["key"], []), key=lambda b: (b.get("wis_date") or b["date"], b["twin_idx"]))
        vn = short_village(w.vname.get(m["village"], "")) if m["village"] else ""
        common = dict(mar=rng.choice(["初婚"] * 9 + ["再婚"]), jy=rng.choice(["放置宫内节育器", "绝育", "避孕套",
                                                                           "无", "皮埋", ""]),
                      hj=rng.choice(["农业", "农业", "非农业", "居民"]))
        if not kids:
            seq += 1
            sh.add([seq, vn, m["name"], m["id"], common["mar"], hus["name"] if hus else "", "", "", "", "",
                    common["jy"], common["hj"], m["phone"]], None, "childless-woman")
            continue
        for b in kids:
            seq += 1
            d = b.get("wis_date") or b["date"]
            sex = b.get("wis_sex") or b["sex"]
            order = b.get("wis_order") or b["order"] or (kids.index(b) + 1)
            pl = (["name-variant"] if "wis" in b["names"] else []) + (["twin"] if b["plural"] > 1 else [])
            if b["cat"] == "misreport":
                pl.append(f"wis-wrong-{b['mis']}" + (f"-{b['date_err']}" if b["mis"] == "birth_date" else ""))
            sh.add([seq, vn, m["name"], m["id"], common["mar"], hus["name"] if hus else "", nm(b, "wis"), sx(sex),
                    iso(d), order, common["jy"], common["hj"], m["phone"]], b["tid"],
                   "child" if b["cat"] != "outside" else "child-outside-window", pl)
    files.append(("wis", outdir / "新安镇育龄妇女信息_按子女.xls", [sh], "xls"))

    # ---- birth certificates: county hospitals, title row, issue date, 合计
    sh = Sheet("Sheet1")
    sh.add(["正定县出生医学证明签发登记表（新安镇）", *[""] * 11], None, "title")
    sh.add(["序号", "出生医学证明编号", "新生儿姓名", "性别", "出生日期", "出生地点", "助产机构", "母亲姓名",
            "母亲身份证件号码", "父亲姓名", "父亲身份证件号码", "签发日期"], None, "header")
    orgs = ["正定县人民医院", "正定县妇幼保健院", "正定县中医院", "新安镇卫生院"]
    bc = sorted([b for b in B if "birth_cert" in b["on"]], key=lambda b: (b["date"], b["tid"]))
    for i, b in enumerate(bc, 1):
        if not b["cert_no"]:
            b["cert_no"] = w.new_cert()
        r = rng.random()
        pl = ["twin"] if b["plural"] > 1 else []
        if b["names"].get("birth_cert"):
            name = b["names"]["birth_cert"]
            pl.append("name-variant")
        elif r < 0.35:
            name = ""
            pl.append("cert-unnamed-empty")
        elif r < 0.60:
            name = unnamed(b["mother"], b["sex"])
            pl.append("cert-unnamed-zhi")
        elif r < 0.63:
            name = b["name"][0] + given_name(rng, b["sex"])
            pl.append("cert-renamed-later")
        else:
            name = b["name"]
        b["flags"] += [x for x in pl if x.startswith("cert-")]
        mid = b["mother"]["id"]
        if rng.random() < 0.01:
            mid = typo(rng, mid)
            pl.append("mother-id-typo")
        t = dt.datetime.combine(b["date"], dt.time(rng.randrange(24), rng.randrange(60)))
        f = b["father"]
        issue = b["date"] + dt.timedelta(days=rng.randrange(1, 40))
        org = rng.choice(orgs)
        sh.add([i, b["cert_no"], name, sx(b["sex"]), t, "医院", org, b["mother"]["name"], mid,
                f["name"] if f else "", f["id"] if f and rng.random() < 0.85 else "",
                min(issue, ASOF)], b["tid"], "row", pl)
    sh.add([""] * 12, None, "junk-blank")
    sh.add(["合计", f"{len(bc)}条", *[""] * 10], None, "junk-total")
    files.append(("birth_cert", outdir / "出生医学证明签发登记_新安镇.xlsx", [sh], "xlsx"))

    # ---- delivery: hospital register, GBK csv, one row per newborn, repeated header mid-file
    sh = Sheet("")
    hdr = ["住院号", "产妇姓名", "年龄", "产妇身份证号", "家庭住址", "入院日期", "分娩日期", "分娩方式", "孕周",
           "胎数", "婴儿性别", "出生体重(g)", "分娩机构"]
    sh.add(hdr, None, "header")
    dl = sorted([b for b in B if "delivery" in b["on"]], key=lambda b: (b["date"], b["tid"]))
    half = len(dl) // 2
    areas, provs = w.areas, w.provs
    for i, b in enumerate(dl):
        if i == half:
            sh.add(hdr, None, "junk-header-again")
        m = b["mother"]
        if b["cat"] == "elsewhere" and rng.random() < 0.6:
            ac = m["id"][:6]
            addr = f"{provs.get(ac[:2], '')}{areas.get(ac, '')}{rng.choice(SURNAMES)}家庄村"
        elif b["cat"] == "elsewhere":
            addr = f"河北省正定县新安镇{short_village(w.vname[rng.choice(w.villages)[0]])}（租住）"
        else:
            addr = w.households[b["hh"]]["address"] if b.get("hh") in w.households else \
                f"河北省正定县新安镇{short_village(w.vname.get(b['village'], ''))}"
        age = (b["date"] - m["birth"]).days // 365
        pl = ["twin"] if b["plural"] > 1 else []
        mid = m["id"]
        if rng.random() < 0.015:
            mid = typo(rng, mid)
            pl.append("mother-id-typo")
            b["flags"].append("mother-id-typo")
        adm = b["date"] - dt.timedelta(days=rng.choice([0, 1, 1, 2, 3]))
        sh.add([f"{b['date']:%y}{rng.randrange(100000, 999999)}", m["name"], age, mid, addr,
                f"{adm.year}/{adm.month}/{adm.day}", f"{b['date'].year}/{b['date'].month}/{b['date'].day}",
                rng.choice(["顺产", "顺产", "剖宫产"]), f"{rng.randrange(37, 42)}+{rng.randrange(7)}",
                b["plural"], sx(b["sex"]), rng.randrange(2400, 4300), rng.choice(orgs)], b["tid"], "row", pl)
    sh.add([f"{rng.randrange(10**7, 10**8)}", *[""] * 12], None, "junk-only-number")
    files.append(("delivery", outdir / "住院分娩登记.csv", [sh], "csv"))

    # ---- vaccination: no IDs, date noise, some unnamed
    sh = Sheet("儿童基本信息")
    sh.add(["儿童姓名", "性别", "出生日期", "母亲姓名", "母亲电话", "现住址", "接种单位"], None, "header")
    vl = sorted([b for b in B if "vaccination" in b["on"]], key=lambda b: (b["village"] or "", b["date"], b["tid"]))
    for b in vl:
        d = b["date"]
        pl = ["twin"] if b["plural"] > 1 else []
        if rng.random() < 0.12:
            d = d + dt.timedelta(days=rng.choice([-2, -1, 1, 2]))
            b["flags"].append("vacc-date-off")
            pl.append("vacc-date-off")
        name = nm(b, "vaccination")
        if "vaccination" in b["names"]:
            pl.append("name-variant")
        r = rng.random()
        if "vaccination" not in b["names"] and r < 0.03:
            name = unnamed(b["mother"], b["sex"])
            b["flags"].append("vacc-unnamed")
            pl.append("vacc-unnamed")
        vn = short_village(w.vname.get(b["village"], ""))
        sh.add([name, sx(b["sex"]), iso(d), b["mother"]["name"], b["mother"]["phone"],
                f"新安镇{vn}{rng.randrange(1, 9)}组", "新安镇卫生院预防接种门诊"], b["tid"], "row", pl)
    sh.add(["制表人：赵医生", "", "制表日期：2026-07-02", "", "", "", ""], None, "junk-footer")
    files.append(("vaccination", outdir / "预防接种儿童名单.xls", [sh], "xls"))

    def parent(b):
        f = b["father"]
        if f and rng.random() < 0.25:
            return f["name"], "father"
        return b["mother"]["name"], "mother"

    # ---- kindergarten: two kindergartens, month precision
    kl = sorted([b for b in B if "kindergarten" in b["on"]], key=lambda b: (b["date"], b["tid"]))
    s1, s2 = Sheet("新安镇中心幼儿园"), Sheet("李家庄幼儿园")
    s1.add(["序号", "学生姓名", "性别", "出生年月", "家长姓名", "联系电话", "班级", "学籍号"], None, "header")
    s2.add(["序号", "学生姓名", "性别", "出生年月", "身份证号", "家长姓名", "联系电话", "班级", "学籍号"], None, "header")
    for b in kl:
        cls = {2020: "大班", 2021: "中班", 2022: "中班", 2023: "小班"}.get(b["date"].year, "大班")
        pn, pk = parent(b)
        pl = ["twin"] if b["plural"] > 1 else []
        if "kindergarten" in b["names"]:
            pl.append("name-variant")
        if pk == "father":
            b["flags"].append("roll-parent-is-father")
            pl.append("roll-parent-is-father")
        b["flags"].append("month-precision")
        if rng.random() < 0.6:
            s1.add([len(s1.rows), nm(b, "kindergarten"), sx(b["sex"]), f"{b['date']:%Y%m}", pn, b["mother"]["phone"],
                    cls + rng.choice("一二"), f"YE{b['date']:%Y}{rng.randrange(10**5, 10**6)}"], b["tid"], "row",
                   pl + ["month-text-YYYYMM", "no-child-id"])
        else:
            cid = b["child_id"] if rng.random() < 0.7 else ""
            s2.add([len(s2.rows), nm(b, "kindergarten"), sx(b["sex"]), f"{b['date']:%Y.%m}",
                    cid, pn, b["mother"]["phone"], cls,
                    f"YE{b['date']:%Y}{rng.randrange(10**5, 10**6)}"], b["tid"], "row",
                   pl + ["month-text-YYYY.MM"] + ([] if cid else ["no-child-id"]))
    files.append(("kindergarten", outdir / "幼儿园花名册.xlsx", [s1, s2], "xlsx"))

    # ---- school: two schools, 出生年月 typed as a number (2018.09 -> 2018.1 for October), 学籍号 = G + ID
    sl = [b for b in B if "school" in b["on"]]
    s1, s2 = Sheet("新安镇中心小学"), Sheet("李家庄小学")
    s1.add(["学籍号", "学生姓名", "性别", "出生年月", "身份证号", "家长姓名", "班级"], None, "header")
    s2.add(["学籍号", "学生姓名", "性别", "出生年月", "家长姓名", "班级"], None, "header")

    def grade(d):
        sy = d.year + 6 + (1 if d.month >= 9 else 0)  # school entry year
        g = 2025 - sy + 1
        return max(1, min(6, g))

    sl.sort(key=lambda b: (grade(b["date"]), b["tid"]))
    which = {b["tid"]: (1 if rng.random() < 0.6 else 2) for b in sl}
    for sheet, no in ((s1, 1), (s2, 2)):
        last = None
        cnt = 0
        for b in sl:
            if which[b["tid"]] != no:
                continue
            g = grade(b["date"])
            cls = f"{'一二三四五六'[g - 1]}年级{1 + (int(b['tid'][1:]) % 2)}班" if no == 1 else \
                f"{'一二三四五六'[g - 1]}年级"
            if last is not None and g != last:
                sheet.add([f"{'一二三四五六'[last - 1]}年级 共{cnt}人", *[""] * (6 if no == 1 else 5)], None,
                          "junk-class-total")
                sheet.add([""] * (7 if no == 1 else 6), None, "junk-blank")
                cnt = 0
            last = g
            cnt += 1
            pn, pk = parent(b)
            pl = ["twin"] if b["plural"] > 1 else []
            if "school" in b["names"]:
                pl.append("name-variant")
            if pk == "father":
                b["flags"].append("roll-parent-is-father")
                pl.append("roll-parent-is-father")
            b["flags"].append("month-precision")
            xj = "G" + b["child_id"] if b["child_id"] else f"L{rng.randrange(10**15, 10**16)}"
            if no == 1:
                ym = Num(float(f"{b['date']:%Y.%m}"))  # 2018.10 is stored as 2018.1
                pl.append("month-number-YYYY.MM")
                if b["date"].month == 10:
                    b["flags"].append("month-as-number-oct")
                    pl.append("month-number-oct-2018.1")
                idc = b["child_id"]
                if idc and idc[-1] != "X" and rng.random() < 0.05:
                    idc = Num(float(idc))
                    b["flags"].append("id-as-number")
                    pl.append("id-as-number")
                if not idc:
                    pl.append("no-child-id")
                sheet.add([xj, nm(b, "school"), sx(b["sex"]), ym, idc, pn, cls], b["tid"],
                          "row" if b["in_window"] else "row-outside-window", pl)
            else:
                sheet.add([xj, nm(b, "school"), sx(b["sex"]), int(f"{b['date']:%Y%m}"), pn, cls], b["tid"],
                          "row" if b["in_window"] else "row-outside-window", pl + ["month-int-YYYYMM", "no-child-id"])
    files.append(("school", outdir / "小学学籍花名册.xls", [s1, s2], "xls"))

    # ---- police hukou register: whole households, some IDs stored as numbers
    sh = Sheet("户籍人口")
    sh.add(["户号", "姓名", "与户主关系", "性别", "民族", "出生日期", "公民身份号码", "住址"], None, "header")
    child_rows = {}
    for b in B:
        if "police_hukou" in b["on"] and b.get("child_key"):
            child_rows[b["child_key"]] = b
    hks = []
    for b in B:
        if "police_hukou" in b["on"] and b.get("hh") in w.households and b["hh"] not in hks:
            hks.append(b["hh"])
    hks.sort()
    for hk in hks:
        h = w.households[hk]
        for pk, rel in h["members"]:
            p = w.persons[pk]
            if p.get("res") == "3" or not p["id"]:
                continue
            b = child_rows.get(pk)
            if p["birth"] >= dt.date(2007, 1, 1) and b is None:
                continue  # a child the police list does not hold (not registered yet, or not on it)
            name = nm(b, "police_hukou") if b else p["name"]
            pl = (["name-variant"] if b and "police_hukou" in b["names"] else []) + \
                (["twin"] if b and b["plural"] > 1 else [])
            idv = p["id"]
            if idv[-1] != "X" and rng.random() < 0.04:
                idv = Num(float(idv))
                pl.append("id-as-number")
                if b:
                    b["flags"].append("id-as-number")
            tag = "adult" if not b else ("child" if b["in_window"] else "child-outside-window")
            sh.add([h["police_no"], name, rel, sx(p["sex"]), "汉族" if rng.random() < 0.97 else "回族",
                    d8(p["birth"]), idv, h["address"]], b["tid"] if b else None, tag, pl)
    sh.add(["以下空白", *[""] * 7], None, "junk-footer")
    files.append(("police_hukou", outdir / "户籍人口登记_新安镇.xlsx", [sh], "xlsx"))

    for kind, path, sheets, fmt in files:
        if fmt == "xls":
            write_xls(path, sheets)
        elif fmt == "xlsx":
            write_xlsx(path, sheets, merge_title=12 if kind == "birth_cert" else None)
        else:
            write_csv(path, sheets[0])
    return files


# ---------------------------------------------------------------------------------------------- score

EXPECT = {"consistent": "consistent", "omission": "omission", "hidden": "omission", "misreport": "misreport",
          "false": "false", "elsewhere": "elsewhere"}
KINDS = ["omission", "false", "misreport", "consistent", "elsewhere"]
GOALS = {"omission": "P>=0.95 R>=0.98", "false": "P>=0.90", "misreport": "F1>=0.95"}


def score(w, files, db, imports, out, dump=None, scenario="forms"):
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    reg = {}
    for kind, path, sheets, fmt in files:
        for sh in sheets:
            for i, (cells, tid, tag, plants) in enumerate(sh.rows, 1):
                reg[(path.name, sh.name, i)] = (tid, tag, cells, plants)
    nsheets = {path.name: len(sheets) for _, path, sheets, _ in files}
    sheet_names = {path.name: sheets[0].name for _, path, sheets, _ in files}
    refmap, refinfo, unmapped = {}, {}, 0
    ref_tags = Counter()

    def regkey(fn, sheet, row_no):
        key = (fn, sheet, row_no)
        if key not in reg and nsheets.get(fn) == 1:
            key = (fn, sheet_names[fn], row_no)
        return key

    for r in con.execute("select r.id, r.sheet, r.row_no, r.name, r.source, b.file_name from ref_record r "
                         "join import_batch b on b.id=r.batch_id where b.status='active'"):
        key = regkey(Path(r["file_name"]).name, r["sheet"], r["row_no"])
        if key in reg:
            refmap[r["id"]] = reg[key][0]
            refinfo[r["id"]] = (r["source"], key, reg[key])
            ref_tags[(r["source"], reg[key][1])] += 1
        else:
            unmapped += 1
            ref_tags[(r["source"], "UNMAPPED")] += 1
    loaded_keys = {v[1] for v in refinfo.values()}
    errors = []
    for r in con.execute("select e.sheet, e.row_no, e.\"column\", e.message, b.file_name, b.source from row_error e "
                         "join import_batch b on b.id=e.batch_id where b.status='active'"):
        key = regkey(Path(r["file_name"]).name, r["sheet"], r["row_no"])
        errors.append((r["source"], key, reg.get(key), r["message"], key in loaded_keys))
    uid2tid = {b["uid"]: b["tid"] for b in w.births if b["uid"]}
    T = {b["tid"]: b for b in w.births}
    findings = []
    for f in con.execute("select * from reconcile_finding"):
        ev = json.loads(f["evidence"] or "[]")
        diffs = json.loads(f["differences"] or "[]")
        votes = Counter()
        for e in ev:
            k = e.get("key", "") if isinstance(e, dict) else str(e)
            if k.startswith("ref:"):
                t = refmap.get(int(k[4:]))
            elif k.startswith("birth:"):
                t = uid2tid.get(k[6:])
            else:
                t = None
            votes[t] += 1
        real_votes = Counter({k: v for k, v in votes.items() if k})
        tid = real_votes.most_common(1)[0][0] if real_votes else None
        fields = [d[0] for d in diffs if d]
        refs = [int(e["key"][4:]) for e in ev if isinstance(e, dict) and str(e.get("key", "")).startswith("ref:")]
        findings.append(dict(kind=f["kind"], tid=tid, fields=fields, n_ev=len(ev), refs=refs,
                             mixed=len(real_votes) > 1, key=f["key"], diffs=diffs,
                             votes=sum(v for k, v in real_votes.items() if k == tid)))
    by_tid = defaultdict(list)
    for f in findings:
        by_tid[f["tid"]].append(f)

    def correct(b, f):
        exp = EXPECT.get(b["cat"])
        if f["kind"] != exp:
            return False
        if exp == "misreport":
            return b["mis"] in f["fields"]
        return True

    truth_in = [b for b in w.births if b["cat"] in EXPECT]
    P = print if out is None else out
    P("")
    P(f"births in truth: {len(truth_in)} (window births on lists/forms/WIS); findings: {len(findings)}; "
      f"list records mapped {len(refmap)}, unmapped {unmapped}")
    P("")
    P(f"{'kind':<11}{'findings':>9}{'true':>7}{'truth':>7}{'prec':>8}{'recall':>8}{'F1':>8}   goal")

    def line(label, k, fk, truth_k):
        hit_t = set()
        for f in fk:
            b = T.get(f["tid"])
            if b is not None and b["tid"] not in hit_t and b["cat"] in EXPECT and correct(b, f):
                hit_t.add(b["tid"])
        tp = len(hit_t)
        p = tp / len(fk) if fk else float("nan")
        r = tp / len(truth_k) if truth_k else float("nan")
        f1 = 2 * p * r / (p + r) if fk and truth_k and (p + r) else float("nan")
        goal = GOALS.get(k, "")
        met = {"omission": p >= 0.95 and r >= 0.98, "false": p >= 0.90, "misreport": f1 >= 0.95}.get(k)
        P(f"{label:<11}{len(fk):>9}{tp:>7}{len(truth_k):>7}{p:>8.3f}{r:>8.3f}{f1:>8.3f}   {goal}"
          + ("" if met is None else ("  met" if met else "  NOT MET")))

    for k in KINDS:
        line(k, k, [f for f in findings if f["kind"] == k], [b for b in truth_in if EXPECT[b["cat"]] == k])
    if scenario == "noforms":
        bo = {b["tid"] for b in truth_in if b["cat"] == "misreport" and b["mis"] == "birth_order"}
        P("  (noforms: no list besides WIS carries 孩次, so a wrong birth order in WIS cannot be seen; without "
          f"those {len(bo)} plants:)")
        line("misreport*", "misreport", [f for f in findings if f["kind"] == "misreport" and f["tid"] not in bo],
             [b for b in truth_in if b["cat"] == "misreport" and b["tid"] not in bo])
    # confusion
    P("")
    P("truth category x finding kind (a birth with several findings counts in each; '-' = no finding)")
    cats = ["consistent", "omission", "hidden", "misreport:birth_date", "misreport:sex", "misreport:birth_order",
            "misreport:mother", "false", "elsewhere", "outside-window"]
    cols = KINDS + ["-"]
    P(f"{'':<23}" + "".join(f"{c:>11}" for c in cols))
    for c in cats:
        bs = [b for b in w.births if (b["cat"] if b["cat"] != "misreport" else f"misreport:{b['mis']}") ==
              c.replace("outside-window", "outside")]
        if c == "outside-window":
            bs = [b for b in w.births if b["cat"] == "outside"]
        cnt = Counter()
        for b in bs:
            fs = by_tid.get(b["tid"], [])
            if not fs:
                cnt["-"] += 1
            for f in fs:
                cnt[f["kind"]] += 1
        P(f"{c + f' ({len(bs)})':<23}" + "".join(f"{cnt[k]:>11}" for k in cols))
    un = Counter(f["kind"] for f in by_tid.get(None, []))
    P(f"{'no truth birth':<23}" + "".join(f"{un[k]:>11}" for k in KINDS))
    # misreports with the wrong field
    wrongfield = Counter()
    for b in truth_in:
        if b["cat"] == "misreport":
            for f in by_tid.get(b["tid"], []):
                if f["kind"] == "misreport" and b["mis"] not in f["fields"]:
                    wrongfield[(b["mis"], ",".join(f["fields"]))] += 1
    fp_mis = Counter()
    for b in truth_in:
        if b["cat"] != "misreport":
            for f in by_tid.get(b["tid"], []):
                if f["kind"] == "misreport":
                    fp_mis[",".join(f["fields"])] += 1
    if wrongfield:
        P("misreports found with another field than planted: " +
          "; ".join(f"{a}->{b or '(none)'}: {n}" for (a, b), n in wrongfield.most_common()))
    if fp_mis:
        P("misreport findings on births without a planted misreport, by reported field: " +
          "; ".join(f"{a or '(none)'}: {n}" for a, n in fp_mis.most_common()))

    # recall per planted kind
    P("")
    P("recall per planted kind (births whose findings include the right one; n = births with the plant)")
    groups = defaultdict(list)
    for b in truth_in:
        if b["cat"] == "misreport":
            groups[f"misreport field {b['mis']}"].append(b)
            if b["mis"] == "birth_date":
                groups[f"  date error {b['date_err']}"].append(b)
        for fl in dict.fromkeys(b["flags"]):
            key = fl.split(":")[0] if fl.startswith("name-variant") else fl
            groups[key].append(b)
            if fl.startswith("name-variant"):
                groups["  " + fl].append(b)
        if b["plural"] > 1:
            groups["twins"].append(b)
        srcs = [x for x in b.get("on", []) if x != "wis"] + (["forms"] if b["on_forms"] else [])
        if srcs and all(x in ("kindergarten", "school") for x in srcs):
            groups["only education besides WIS (month precision)"].append(b)
        if srcs == ["police_hukou"]:
            groups["only police besides WIS"].append(b)
        if srcs == ["vaccination"]:
            groups["only vaccination besides WIS"].append(b)
        if "id-as-number" in b["flags"] and srcs == ["police_hukou"]:
            groups["id-as-number, police the only other source"].append(b)
        if b["cat"] in ("omission", "hidden") and not b["on_forms"]:
            groups["omission not on forms (lists only)"].append(b)
    order = sorted(groups, key=lambda k: (k.lstrip().split(" ")[0], k))
    for k in ["misreport field birth_date", "  date error year", "  date error month", "  date error swap",
              "  date error lunar", "  date error days", "misreport field sex", "misreport field birth_order",
              "misreport field mother"] + [k for k in order if not k.startswith(("misreport field", "  date error"))]:
        bs = groups.get(k)
        if not bs:
            continue
        ok = sum(1 for b in bs if any(correct(b, f) for f in by_tid.get(b["tid"], [])))
        byc = Counter(b["cat"] for b in bs)
        P(f"  {k:<48} {ok:>5}/{len(bs):<5} {ok / len(bs):6.3f}   ({', '.join(f'{c} {n}' for c, n in byc.items())})")
    if dump:
        with open(dump, "w", encoding="utf-8") as fh:
            for f in findings:
                b = T.get(f["tid"])
                fh.write(json.dumps(dict(f, truth=b["cat"] if b else None, mis=b.get("mis") if b else None,
                                         right=bool(b and b["cat"] in EXPECT and correct(b, f))),
                                    ensure_ascii=False) + "\n")
            for b in truth_in:
                if not by_tid.get(b["tid"]):
                    fh.write(json.dumps(dict(kind=None, tid=b["tid"], truth=b["cat"]), ensure_ascii=False) + "\n")
    multi = [t for t, fs in by_tid.items() if t and len(fs) > 1]
    P("")
    P(f"births with more than one finding: {len(multi)}"
      + (f" (by truth category: {dict(Counter(T[t]['cat'] for t in multi))})" if multi else ""))
    mixed = [f for f in findings if f["mixed"]]
    P(f"findings mixing records of several truth births: {len(mixed)}"
      + (f" (of which on twins: {sum(1 for f in mixed if T[f['tid']]['plural'] > 1)})" if mixed else ""))
    # row level: is each planted row in its own birth's main finding?
    main = {}
    for t, fs in by_tid.items():
        if t:
            main[t] = max(fs, key=lambda f: (f["votes"], f["n_ev"]))["key"]
    where = defaultdict(list)
    for f in findings:
        for rid in f["refs"]:
            where[rid].append(f)
    stats = defaultdict(Counter)
    for rid, (src, key, (tid, tag, cells, plants)) in refinfo.items():
        b = T.get(tid)
        if not b or b["cat"] not in EXPECT:
            continue
        fs = where.get(rid, [])
        if not fs:
            res = "in no finding"
        elif any(f["key"] == main.get(tid) for f in fs):
            res = "linked"
        elif any(f["tid"] == tid for f in fs):
            res = "split off"
        else:
            res = "in another birth's finding"
        for pl in plants + [f"(all {src} rows)"]:
            stats[(src, pl)][res] += 1
    for src, key, ent, msg, loaded in errors:
        if ent and not loaded and T.get(ent[0]) and T[ent[0]]["cat"] in EXPECT:
            for pl in ent[3] + [f"(all {src} rows)"]:
                stats[(src, pl)]["refused"] += 1
    P("")
    P("list rows of window births: linked into their birth's main finding (row-level plants)")
    cols = ["linked", "split off", "in another birth's finding", "in no finding", "refused"]
    P(f"  {'source':<13}{'row plant':<26}{'rows':>6}" + "".join(f"{c[:14]:>16}" for c in cols))
    for (src, pl), c in sorted(stats.items(), key=lambda kv: (kv[0][0], not kv[0][1].startswith("("), kv[0][1])):
        n = sum(c.values())
        P(f"  {src:<13}{pl:<26}{n:>6}" + "".join(f"{c[k]:>16}" for k in cols))
    P("")
    P("rows hecha reported (row_error), by what the row is:")
    ec = Counter()
    for src, key, ent, msg, loaded in errors:
        what = ent[1] if ent else "UNMAPPED"
        if ent and ent[3]:
            what += "[" + ",".join(x for x in ent[3] if x in ("id-as-number", "mother-id-typo", "vacc-unnamed",
                                                               "cert-unnamed-empty")) + "]"
        short = re.sub(r"[0-9X]{15,18}|「[^」]*」", "…", msg)[:46]
        ec[(src, what, "loaded" if loaded else "REFUSED", short)] += 1
    for (src, what, st, short), n in sorted(ec.items()):
        P(f"  {src:<13}{what:<28}{st:<8}{n:>5}  {short}")
    P("")
    P("list records loaded, by what the row is (source, row kind: n)")
    for (src, tag), n in sorted(ref_tags.items()):
        P(f"  {src:<14}{tag:<22}{n:>6}")
    con.close()
    return findings


# ---------------------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", choices=["forms", "noforms"], default="forms")
    ap.add_argument("--births", type=int, default=1500, help="about this many births in the ten years")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="keep database, lists and truth in this folder")
    a = ap.parse_args()
    import random
    rng = random.Random(a.seed * 1000003 + (1 if a.scenario == "forms" else 2))
    USED_IDS.clear()
    if a.keep:
        work = a.keep.resolve()
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="hecha-indep-"))
    lists_dir = work / "lists"
    lists_dir.mkdir()
    db = work / "township.sqlite"
    env = dict(os.environ)
    env["XDG_CONFIG_HOME"] = str(work / "config")
    env["XDG_DATA_HOME"] = str(work / "data")
    env["HOME"] = str(work / "home")
    (work / "home").mkdir()
    env.pop("HECHA_DB", None)
    env.pop("HECHA_CONFIG", None)
    env["HECHA_OPERATOR"] = "indep"
    t0 = time.time()

    w = World(rng, load_villages())
    w.areas, w.provs = load_areas()
    if a.scenario == "forms":
        build_forms(w, rng, a.births, a.seed, db, env)
        # women on the forms without children: registered in WIS too
        have = {b["mother"]["key"] for b in w.births}
        w.forms_childless = [p for p in w.persons.values() if p["sex"] == "2" and p.get("res") != "3"
                             and dt.date(1980, 1, 1) <= p["birth"] <= dt.date(2003, 12, 31)
                             and p.get("married") in ("20", "21", "22", "23") and p["key"] not in have]
    else:
        run(["init", "--office", OFFICE, "--db", str(db)], env, check=True)
        build_noforms(w, rng, a.births)
    plant(w, rng, a.scenario)
    coverage(w, rng, a.scenario)
    files = build_lists(w, rng, lists_dir)
    nwin = sum(1 for b in w.births if b["in_window"] and b["cat"] != "false")
    gen_s = time.time() - t0

    # truth file
    with open(work / "truth.jsonl", "w", encoding="utf-8") as f:
        for b in w.births:
            rec = {k: v for k, v in b.items() if k not in ("mother", "father", "wis_mother")}
            rec["mother"] = {k: b["mother"][k] for k in ("name", "id", "village")}
            rec["father"] = {k: b["father"][k] for k in ("name", "id")} if b["father"] else None
            if b.get("wis_mother"):
                rec["wis_mother"] = {k: b["wis_mother"][k] for k in ("name", "id")}
            f.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
    with open(work / "rows.jsonl", "w", encoding="utf-8") as f:
        for kind, path, sheets, fmt in files:
            for sh in sheets:
                for i, (cells, tid, tag, plants) in enumerate(sh.rows, 1):
                    f.write(json.dumps(dict(file=path.name, sheet=sh.name, row=i, tid=tid, tag=tag, plants=plants,
                                            cells=[str(c) for c in cells]), ensure_ascii=False) + "\n")

    imports = []
    t1 = time.time()
    for kind, path, sheets, fmt in files:
        p, secs = run(["import-list", "--source", kind, str(path), "--db", str(db)], env)
        imports.append(dict(kind=kind, file=path.name, rc=p.returncode, out=p.stdout.strip(), err=p.stderr.strip(),
                            rows=sum(len(s.rows) for s in sheets), secs=secs))
    imp_s = time.time() - t1
    p, rec_s = run(["reconcile", "--as-of", d8(ASOF), "--db", str(db), "--limit", "5"], env)
    lists_out, _ = run(["lists", "--db", str(db)], env)

    print(f"== hecha independent reconciliation test: scenario {a.scenario}, seed {a.seed}, "
          f"{nwin} real births in the window (+{sum(1 for b in w.births if b['cat'] == 'false')} false WIS records)")
    print(f"   generate {gen_s:.0f} s, imports {imp_s:.0f} s, reconcile {rec_s:.1f} s (exit {p.returncode}); "
          f"work folder {work}")
    print("")
    print("imports (hecha import-list --source KIND FILE, no --map):")
    for im in imports:
        print(f"-- {im['kind']} {im['file']} ({im['rows']} spreadsheet rows written): exit {im['rc']}")
        for line in (im["out"] + ("\n" + im["err"] if im["err"] else "")).splitlines():
            print(f"   | {line}")
    print("")
    print("hecha lists:")
    for line in lists_out.stdout.strip().splitlines():
        print(f"   | {line}")
    print("")
    print("hecha reconcile (first lines of its output):")
    for line in (p.stdout + p.stderr).strip().splitlines()[:12]:
        print(f"   | {line}")
    score(w, files, db, imports, None, dump=work / "findings_scored.jsonl", scenario=a.scenario)
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
