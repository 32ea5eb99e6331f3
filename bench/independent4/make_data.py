#!/usr/bin/env python3
"""Independent test data for the duplicate-person search (bench/independent4).

Writes persons.csv (one township's household register) and probes.csv (1,000 erroneous copies of
registered persons + 1,000 strangers).  Deterministic for a given --seed.  See README.md.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import lzma
import os
import random
import sys
import time
import unicodedata
from bisect import bisect_left
from collections import Counter, defaultdict
from itertools import accumulate

import opencc
from lunardate import LunarDate
from pypinyin import Style, pinyin

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import names_data as ND  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NBS = "/work/shared/data/divisions-nbs-2023"
TOWNSHIP = "411525106"          # 胡族铺镇, 固始县, 信阳市, 河南省
COUNTY, COUNTY_OLD = "411525", "413026"   # 固始县; 413026 = 信阳地区固始县 (retired 1998)
REF = dt.date(2024, 9, 30)      # end of the 2023/24 family-planning statistical year

PERSON_HEADER = ["household_no", "person_no", "name", "id_number", "sex", "birth_date",
                 "mother_person_no", "relation"]
PROBE_HEADER = ["probe_no", "name", "id_number", "sex", "birth_date", "mother_id_number",
                "truth_person_no", "errors"]

S2T = opencc.OpenCC("s2t")
T2S = opencc.OpenCC("t2s")

# --------------------------------------------------------------------------------------------
# ID numbers (GB 11643)

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"


def check_char(s17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(s17, WEIGHTS, strict=False)) % 11]


def make_id(region: str, d: dt.date, seq: int) -> str:
    s = f"{region}{d:%Y%m%d}{seq:03d}"
    return s + check_char(s)


# (current code, retired code, year the retired code stopped being issued)
NEIGHBOURS = [("411526", "413024", 1998), ("411524", "413027", 1998), ("411528", "413021", 1998),
              ("411527", "413022", 1998)]                        # 潢川 商城 息县 淮滨
ANHUI = [("341522", "342423", 1999), ("341524", "342426", 1999)]  # 霍邱 金寨 (六安地区 until 1999)
OTHER_HENAN = [("411625", "412726", 2000), ("411729", "412828", 2000)]  # 郸城 新蔡
FAR = [("522633", None, 0), ("522731", None, 0), ("530621", None, 0), ("450881", None, 0),
       ("511321", "513021", 1993)]                               # 从江 惠水 鲁甸 桂平 南部(南充地区)


def old_code_prob(year: int, change: int) -> float:
    """Chance that someone born in `year` got the pre-`change` county code (ID issued earlier)."""
    if year >= change:
        return 0.0
    age_at_change = change - year
    if age_at_change >= 14:
        return 0.6
    if age_at_change >= 7:
        return 0.5
    return 0.4


def pick_region(rng: random.Random, triple, year: int) -> str:
    cur, old, change = triple
    if old and rng.random() < old_code_prob(year, change):
        return old
    return cur


def county_region(rng, year):
    return pick_region(rng, (COUNTY, COUNTY_OLD, 1998), year)


def married_in_region(rng, year):
    r = rng.random()
    if r < 0.55:
        return county_region(rng, year)
    if r < 0.80:
        return pick_region(rng, rng.choice(NEIGHBOURS), year)
    if r < 0.90:
        return pick_region(rng, rng.choice(ANHUI), year)
    if r < 0.95:
        return pick_region(rng, rng.choice(OTHER_HENAN), year)
    return pick_region(rng, rng.choice(FAR), year)


class IdAllocator:
    def __init__(self, rng):
        self.rng = rng
        self.used = defaultdict(set)
        self.all = set()

    def _free(self, key, seq):
        return seq not in self.used[key]

    def alloc(self, region, d, sex, seq_hint=None):
        key = (region, d)
        if d.year <= 1924 and seq_hint is None:          # 996-999 for centenarians
            cands = [s for s in (996, 997, 998, 999) if s % 2 == sex % 2 and self._free(key, s)]
            if cands:
                s = self.rng.choice(cands)
                self.used[key].add(s)
                return s, make_id(region, d, s)
        if seq_hint is not None:
            s = seq_hint
            while s % 2 != sex % 2 or not self._free(key, s):
                s += 1
            if s <= 995:
                self.used[key].add(s)
                return s, make_id(region, d, s)
        for _ in range(1000):
            s = self.rng.randrange(1, 996)
            if s % 2 != sex % 2:
                s = s + 1 if s < 995 else s - 1
            if self._free(key, s):
                self.used[key].add(s)
                iid = make_id(region, d, s)
                self.all.add(iid)
                return s, iid
        raise RuntimeError("sequence space exhausted")


# --------------------------------------------------------------------------------------------
# Dates

def rand_date(rng, year):
    start = dt.date(year, 1, 1)
    n = 366 if year % 4 == 0 else 365
    return start + dt.timedelta(days=rng.randrange(n))


def age_at(d: dt.date, ref=REF) -> int:
    return ref.year - d.year - ((ref.month, ref.day) < (d.month, d.day))


def lunar_numerals(d: dt.date):
    """The lunar date of solar d, keyed as if it were a solar date (None when impossible)."""
    try:
        lu = LunarDate.from_solar_date(d.year, d.month, d.day)
        return dt.date(lu.year, lu.month, lu.day)
    except (ValueError, TypeError):
        return None


def solar_of_numerals(d: dt.date):
    """The solar date whose lunar date has the numerals of d (d read as a lunar birthday)."""
    try:
        return LunarDate(d.year, d.month, d.day).to_solar_date()
    except (ValueError, TypeError):
        return None


def safe_date(y, m, d):
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------
# Names

def parse_weights(text):
    toks = text.split()
    return [(toks[i], float(toks[i + 1])) for i in range(0, len(toks), 2)]


SURNAME_W = parse_weights(ND.SURNAMES)
SURNAMES = [s for s, _ in SURNAME_W]
SURNAME_CUM = list(accumulate(w for _, w in SURNAME_W))


def era(year):
    if year < 1950:
        return 1
    if year < 1970:
        return 2
    if year < 1990:
        return 3
    if year < 2005:
        return 4
    return 5


def zipf_cum(n, a=10.0):
    return list(accumulate(1.0 / (i + a) for i in range(n)))


WHOLE = {k: v.split() for k, v in ND.WHOLE.items()}
SINGLE = {k: v.split() for k, v in ND.SINGLE.items()}
FIRST = {k: v.split() for k, v in ND.FIRST.items()}
SECOND = {k: v.split() for k, v in ND.SECOND.items()}
CUMS = {}


def zpick(rng, table, key):
    lst = table[key]
    ck = (id(table), key)
    if ck not in CUMS:
        CUMS[ck] = zipf_cum(len(lst))
    cum = CUMS[ck]
    return lst[bisect_left(cum, rng.random() * cum[-1])]


def pick_surname(rng):
    return SURNAMES[bisect_left(SURNAME_CUM, rng.random() * SURNAME_CUM[-1])]


def single_prob(year):
    if year < 1950:
        return 0.12
    if year < 1960:
        return 0.22
    if year <= 1995:
        return 0.38
    if year <= 2004:
        return 0.20
    return 0.07


def gen_use_prob(year):
    return {1: 0.55, 2: 0.5, 3: 0.4, 4: 0.2, 5: 0.1}[era(year)]


def pick_given(rng, sex, year, gen_char=None, share=None):
    e = era(year)
    k = (e, sex)
    if share and rng.random() < 0.6:
        return share + zpick(rng, SECOND, k)
    if rng.random() < single_prob(year):
        return zpick(rng, SINGLE, k)
    if sex == 1 and gen_char and rng.random() < gen_use_prob(year):
        return gen_char + zpick(rng, SECOND, k)
    if rng.random() < 0.6:
        return zpick(rng, WHOLE, k)
    return zpick(rng, FIRST, k) + zpick(rng, SECOND, k)


# Character readings and homophones ----------------------------------------------------------

def _level1_chars():
    out = []
    for b1 in range(0xB0, 0xD8):
        for b2 in range(0xA1, 0xFF):
            try:
                out.append(bytes([b1, b2]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


class CharTables:
    def __init__(self):
        name_chars = set()
        for table in (WHOLE, SINGLE, FIRST, SECOND):
            for lst in table.values():
                for w in lst:
                    name_chars.update(w)
        name_chars.update(ND.GEN_POOL)
        for a, _, b, _ in ND.TWIN_FIXED:
            name_chars.update(a + b)
        self.name_chars = sorted(name_chars)
        self.level1 = [c for c in _level1_chars() if c not in ND.BAD_CHARS]
        self.read = {}
        for c in self.level1 + self.name_chars:
            self.reading(c)
        self.by_read_name = defaultdict(list)
        for c in self.name_chars:
            self.by_read_name[self.read[c]].append(c)
        self.by_read_l1 = defaultdict(list)
        for c in self.level1:
            self.by_read_l1[self.read[c]].append(c)
        self.shape = defaultdict(list)
        for g in ND.SHAPE_GROUPS:
            for c in g:
                for o in g:
                    if o != c and o not in self.shape[c]:
                        self.shape[c].append(o)

    def reading(self, c):
        r = self.read.get(c)
        if r is None:
            r = pinyin(c, style=Style.NORMAL)[0][0]
            self.read[c] = r
        return r

    def homophones(self, c):
        r = self.reading(c)
        a = [x for x in self.by_read_name.get(r, []) if x != c]
        b = [x for x in self.by_read_l1.get(r, []) if x != c and x not in a]
        return a, b

    def pick_homophone(self, rng, c):
        a, b = self.homophones(c)
        if a and (rng.random() < 0.8 or not b):
            return rng.choice(a)
        if b:
            return rng.choice(b)
        return None

    def dictation_variants(self, c):
        r = self.reading(c)
        outs = []
        ini = [("zh", "z"), ("ch", "c"), ("sh", "s")]
        for a, b in ini:
            if r.startswith(a):
                outs.append(b + r[len(a):])
                break
            if r.startswith(b):
                outs.append(a + r[len(b):])
                break
        if r.startswith("n") and not r.startswith("ng"):
            outs.append("l" + r[1:])
        elif r.startswith("l"):
            outs.append("n" + r[1:])
        fh = {"fu": "hu", "fa": "hua", "fan": "huan", "fang": "huang", "fei": "hui", "fen": "hun",
              "feng": "hong"}
        for a, b in fh.items():
            if r == a:
                outs.append(b)
            elif r == b:
                outs.append(a)
        if r.endswith("ng") and r[-3:] in ("ang", "eng", "ing"):
            outs.append(r[:-1])
        elif r.endswith("n") and r[-2:] in ("an", "en", "in"):
            outs.append(r + "g")
        return [o for o in outs if o != r and (self.by_read_name.get(o) or self.by_read_l1.get(o))]

    def pick_dictation(self, rng, c):
        vs = self.dictation_variants(c)
        if not vs:
            return None
        v = rng.choice(vs)
        a = self.by_read_name.get(v, [])
        b = self.by_read_l1.get(v, [])
        if a and (rng.random() < 0.8 or not b):
            return rng.choice(a)
        return rng.choice(b) if b else None


CT: CharTables = None  # built in main


def norm_name(s: str) -> str:
    s = unicodedata.normalize("NFKC", s or "")
    s = s.replace(" ", "").replace("\u3000", "").replace("·", "").replace("•", "")
    return T2S.convert(s)


def name_near(a: str, b: str) -> bool:
    """Could `a` be `b` keyed with at most one name error (or homophones only)?"""
    a, b = norm_name(a), norm_name(b)
    if not a or not b:
        return False
    if a == b:
        return True
    va = ND.SURNAME_VARIANT.get(a[0], a[0]) if a[0] in "萧肖阎闫傅付于於钟锺" else a[0]
    vb = ND.SURNAME_VARIANT.get(b[0], b[0]) if b[0] in "萧肖阎闫傅付于於钟锺" else b[0]
    if {va, a[0]} & {vb, b[0]} and a[1:] == b[1:]:
        return True
    if len(a) == len(b):
        if a[1:] == b[1:] or a[0] == b[0] and a[1:] == b[1:][::-1]:
            return True
        dc = sum(x != y for x, y in zip(a, b, strict=False))
        dp = sum(CT.reading(x) != CT.reading(y) for x, y in zip(a, b, strict=False))
        if dc <= 1 or dp <= 1:
            return True
    if abs(len(a) - len(b)) == 1:
        lo, sh = (a, b) if len(a) > len(b) else (b, a)
        for i in range(len(lo)):
            if lo[:i] + lo[i + 1:] == sh:
                return True
    return False


def date_near(a, b) -> bool:
    """Could date a be date b keyed with at most one date error of the kinds used here?"""
    if a is None or b is None:
        return False
    if a == b:
        return True
    if abs((a - b).days) <= 3:
        return True
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return True
    if a.year == b.year and a.month == b.month:
        if a.day == 1 or a.day % 10 == b.day % 10 or a.day // 10 == b.day // 10:
            return True
    if (a.month, a.day) == (b.month, b.day) and abs(a.year - b.year) in (1, 10):
        return True
    if a.year == b.year and a.day == b.day and abs(a.month - b.month) == 1:
        return True
    if (a.month, a.day) == (1, 1) and a.year == b.year:
        return True
    if lunar_numerals(b) == a or lunar_numerals(a) == b:
        return True
    return False


def near_dates(a: dt.date):
    """All dates b such that date_near(a, b) may hold (a superset)."""
    out = {a + dt.timedelta(days=k) for k in range(-3, 4)}
    for y in (a.year - 10, a.year - 1, a.year, a.year + 1, a.year + 10):
        d = safe_date(y, a.month, a.day)
        if d:
            out.add(d)
    d = safe_date(a.year, a.day, a.month) if a.day <= 12 else None
    if d:
        out.add(d)
    for m in (a.month - 1, a.month + 1):
        if 1 <= m <= 12:
            d = safe_date(a.year, m, a.day)
            if d:
                out.add(d)
    for dd in range(1, 32):
        d = safe_date(a.year, a.month, dd)
        if d:
            out.add(d)
    if (a.month, a.day) == (1, 1):
        d = dt.date(a.year, 1, 1)
        while d.year == a.year:
            out.add(d)
            d += dt.timedelta(days=1)
    for d in (lunar_numerals(a), solar_of_numerals(a)):
        if d:
            out.add(d)
    return out


# --------------------------------------------------------------------------------------------
# Population

class Person:
    __slots__ = ("uid", "surname", "given", "sex", "birth", "father", "mother", "spouse", "children",
                 "alive", "gen", "clan", "married_in", "region", "id", "seq", "twin", "outside",
                 "hh", "pno", "relation", "married")

    def __init__(self, uid, surname, given, sex, birth):
        self.uid = uid
        self.surname, self.given, self.sex, self.birth = surname, given, sex, birth
        self.father = self.mother = self.spouse = None
        self.children = []
        self.alive = True
        self.gen = 0
        self.clan = None
        self.married_in = False
        self.region = None
        self.id = ""
        self.seq = None
        self.twin = None
        self.outside = None     # None = lives in its household; else reason ("married_out", "twin_elsewhere")
        self.hh = None
        self.pno = None
        self.relation = None
        self.married = False

    @property
    def name(self):
        return self.surname + self.given

    @property
    def age(self):
        return age_at(self.birth)


SURV = [(0, 1.0), (50, 0.97), (60, 0.93), (65, 0.89), (70, 0.83), (75, 0.72), (80, 0.53), (85, 0.33),
        (90, 0.15), (95, 0.045), (100, 0.005), (105, 0.0005), (130, 0.0)]


def survival(age, sex):
    a = age - (3 if sex == 2 else 0)
    for (a0, s0), (a1, s1) in zip(SURV, SURV[1:], strict=False):
        if a0 <= a < a1:
            return s0 + (s1 - s0) * (a - a0) / (a1 - a0)
    return 1.0 if a < 0 else 0.0


class Clan:
    def __init__(self, rng, surname):
        self.surname = surname
        self.poem = rng.sample(ND.GEN_POOL, 10)

    def gen_char(self, gen):
        return self.poem[gen % len(self.poem)]


class World:
    def __init__(self, rng):
        self.rng = rng
        self.people = []
        self.clans = {}

    def new(self, surname, given, sex, birth):
        p = Person(len(self.people), surname, given, sex, birth)
        self.people.append(p)
        return p

    # ---- people
    def married_in_wife(self, husband_year):
        rng = self.rng
        y = husband_year + rng.choice([-2, -1, 0, 1, 1, 2, 2, 2, 3, 3, 4, 5])
        d = rand_date(rng, y)
        if d > REF - dt.timedelta(days=365 * 18):
            d = REF - dt.timedelta(days=365 * 18 + rng.randrange(300))
        w = self.new(pick_surname(rng), pick_given(rng, 2, d.year), 2, d)
        w.married_in = True
        w.region = married_in_region(rng, d.year)
        w.alive = rng.random() < survival(w.age, 2)
        return w

    def birth_date_old(self, year):
        rng = self.rng
        if year < 1950 and rng.random() < 0.10:   # birthday unknown: registered on 1 January
            return dt.date(year, 1, 1)
        return rand_date(rng, year)

    def child_names_ok(self, kids, given):
        return all(k.given != given for k in kids)

    def fertility(self, father, mother, marriage_year):
        """Create the children of a couple."""
        rng = self.rng
        my = mother.birth.year
        clan = father.clan
        gen_char = clan.gen_char(father.gen + 1)
        kids = []
        first_age = (rng.randint(19, 24) if my < 1960 else rng.randint(20, 25) if my < 1985
                     else rng.randint(20, 28))
        year = max(marriage_year, my + first_age)
        date = rand_date(rng, year)
        share_f = rng.choice(FIRST[(era(year), 2)]) if rng.random() < 0.25 else None
        nmax = 6 if my < 1950 else 5 if my < 1960 else 4 if my < 1970 else 3
        while date <= REF and len(kids) < nmax and age_at(mother.birth, date) <= 43:
            has_son = any(k.sex == 1 for k in kids)
            p_boy = 0.51
            if 1985 <= date.year <= 2012 and kids and not has_son:
                p_boy = 0.56
            twins = rng.random() < (0.012 if date.year < 2000 else 0.018)
            n = 2 if twins else 1
            sexes = [1 if rng.random() < p_boy else 2 for _ in range(n)]
            if twins and rng.random() < 0.3:
                sexes[1] = sexes[0]
            bd = date if not (date.year < 1950) else self.birth_date_old(date.year) if n == 1 else date
            born = []
            for i in range(n):
                sx = sexes[i]
                for _ in range(20):
                    g = pick_given(rng, sx, bd.year, gen_char=gen_char, share=share_f if sx == 2 else None)
                    if self.child_names_ok(kids + born, g):
                        break
                c = self.new(father.surname, g, sx, bd)
                born.append(c)
            if twins:
                a, b = born
                g1, g2 = self.twin_names(sexes[0], sexes[1], bd.year, gen_char)
                if g1:
                    a.given, b.given = g1, g2
                a.twin, b.twin = b, a
            for c in born:
                c.father, c.mother = father, mother
                c.gen = father.gen + 1
                c.clan = clan
                c.alive = rng.random() < survival(c.age, c.sex)
                father.children.append(c)
                mother.children.append(c)
                kids.append(c)
            # continue?
            n_k, has_son = len(kids), any(k.sex == 1 for k in kids)
            if my < 1950:
                cont = 0.85 if n_k < 4 else 0.5
            elif my < 1960:
                cont = [0.95, 0.95, 0.8 if not has_son else 0.6, 0.5 if not has_son else 0.25, 0.2, 0.1][min(n_k, 5)]
            elif my < 1970:
                cont = [0.9, 0.9, 0.6 if not has_son else 0.3, 0.3 if not has_son else 0.1, 0.05][min(n_k, 4)]
            elif my < 1980:
                cont = [0.9, 0.95 if not has_son else 0.6, 0.45 if not has_son else 0.08, 0.03][min(n_k, 3)]
            elif my < 1990:
                cont = [0.92, 0.9 if not has_son else 0.55, 0.35 if not has_son else 0.08, 0.0][min(n_k, 3)]
            elif my < 2000:
                cont = [0.92, 0.85 if not has_son else 0.7, 0.15, 0.0][min(n_k, 3)]
            else:
                cont = [0.92, 0.55, 0.08, 0.0][min(n_k, 3)]
            if rng.random() >= cont:
                break
            date = date + dt.timedelta(days=rng.randint(420, 365 * 5))
        return kids

    def twin_names(self, s1, s2, year, gen_char):
        rng = self.rng
        r = rng.random()
        if r < 0.35:
            fixed = [t for t in ND.TWIN_FIXED if t[1] == s1 and t[3] == s2]
            if fixed:
                a, _, b, _ = rng.choice(fixed)
                return a, b
        if r < 0.7:   # homophone of the last character
            for _ in range(10):
                g1 = pick_given(rng, s1, year)
                if len(g1) == 2:
                    h = CT.by_read_name.get(CT.reading(g1[1]), [])
                    h = [x for x in h if x != g1[1]]
                    if h:
                        return g1, g1[0] + rng.choice(h)
        # share a character
        e = era(year)
        first = gen_char if (s1 == s2 == 1 and gen_char and rng.random() < 0.5) else rng.choice(FIRST[(e, s1)])
        a = first + zpick(rng, SECOND, (e, s1))
        for _ in range(20):
            b = first + zpick(rng, SECOND, (e, s2))
            if b != a:
                return a, b
        return None, None

    # ---- lineages
    def lineage(self, surname):
        rng = self.rng
        key = surname
        root_year = rng.randint(1910, 1955)
        root = self.new(surname, "", 1, self.birth_date_old(root_year))
        root.gen = (root_year - 1880) // 25
        clan = self.clans.setdefault(key, Clan(rng, surname))
        root.clan = clan
        root.given = pick_given(rng, 1, root_year, gen_char=clan.gen_char(root.gen))
        root.alive = rng.random() < survival(root.age, 1)
        self.marry_and_descend(root)
        return root

    def marry_and_descend(self, man):
        rng = self.rng
        age = man.age
        if age < 22:
            return
        pm = 0.0 if age < 22 else 0.5 if age < 25 else 0.8 if age < 28 else 0.88 if age < 35 else 0.9
        if man.birth.year < 1960:
            pm = max(pm, 0.93)
        if rng.random() >= pm:
            return
        w = self.married_in_wife(man.birth.year)
        man.spouse, w.spouse = w, man
        man.married = w.married = True
        marriage_year = max(man.birth.year + 21, w.birth.year + 20) + rng.randint(0, 3)
        self.fertility(man, w, marriage_year)
        for c in man.children:
            if c.sex == 1:
                self.marry_and_descend(c)
            else:
                a = c.age
                pmo = (0 if a < 19 else 0.12 if a < 22 else 0.35 if a < 24 else 0.6 if a < 26 else 0.8 if a < 30
                       else 0.93)
                if rng.random() < pmo:
                    c.outside = "married_out"
                    c.married = True
        # twins registered elsewhere / not on the household form (kept for the stranger "twin" kind)
        for c in man.children:
            if c.twin and c.outside is None and c.twin.outside is None and c.uid < c.twin.uid \
                    and rng.random() < 0.5:
                t = rng.choice([c, c.twin])
                t.outside = "twin_elsewhere"

    def households(self, root):
        """Split a lineage into households (lists of persons, head first)."""
        rng = self.rng
        out = []

        def unit(man):
            """Return (household list, has_parents) for the unit of `man` and his wife."""
            w = man.spouse
            core = [x for x in (man, w) if x and x.alive]
            home_kids = []
            married_sons = []
            for c in man.children:
                if not c.alive or c.outside:
                    continue
                if c.sex == 1 and c.spouse is not None:
                    married_sons.append(c)
                elif c.sex == 1 and c.age >= 35 and rng.random() < 0.4:
                    out.append([c])          # bachelor on his own
                else:
                    home_kids.append(c)
            son_units = []
            for s in married_sons:
                hh = unit(s)
                if hh is not None:
                    son_units.append((s, hh))
            mine = core + home_kids
            if not mine:
                return None
            elders = core
            old = any(x.age >= 55 for x in elders) or (len(elders) == 1 and man.spouse is not None)
            p_co = 0.7 if len(elders) == 1 and elders else 0.55 if old else 0.2
            if not elders:
                p_co = 0.8   # orphaned unmarried children join a married brother
            cands = [(s, hh) for s, hh in son_units if not hh["absorbed"]]
            if cands and rng.random() < p_co:
                s, hh = cands[-1] if rng.random() < 0.6 else rng.choice(cands)
                hh["members"].extend(mine)
                hh["absorbed"] = True
                # head: elder man if still active, else the son
                head = s
                if man.alive and (man.age < 68 and rng.random() < 0.7 or man.age < 75 and rng.random() < 0.35):
                    head = man
                elif not man.alive and w is not None and w.alive and w.age < 60 and rng.random() < 0.5:
                    head = w
                hh["head"] = head
                return {"members": [], "absorbed": True, "head": None, "dummy": True}
            head = man if man.alive else (w if w is not None and w.alive else max(home_kids, key=lambda k: k.age))
            hh = {"members": mine, "absorbed": False, "head": head}
            out.append(hh)
            return hh

        unit(root)
        res = []
        for hh in out:
            if isinstance(hh, list):
                res.append(hh)
                continue
            if hh.get("dummy") or not hh["members"]:
                continue
            res.append(self.order(hh["members"], hh["head"]))
        return res

    def order(self, members, head):
        rel = {m.uid: relation(head, m) for m in members}
        rank = {"02": 0, "10": 1}

        def key(m):
            r = rel[m.uid]
            if r in rank:
                return (rank[r], m.birth)
            if r[0] == "5" or r[0] == "6":
                return (2, m.birth)
            if r[0] in "23" and r not in ("28", "38"):
                return (3, m.birth)
            if r in ("28", "38"):
                return (4, m.birth)
            if r[0] == "4":
                return (5, m.birth)
            return (6, m.birth)
        members = sorted(members, key=key)
        return [head] + [m for m in members if m is not head]


def is_child(parent, c):
    return c.father is parent or c.mother is parent


def relation(head, m):
    if m is head:
        return "02"
    if m is head.spouse:
        return "10"
    if is_child(head, m) or (head.spouse is not None and is_child(head.spouse, m)):
        return "20" if m.sex == 1 else "30"
    for c in head.children:
        if m is c.spouse:
            return "38" if m.sex == 2 else "28"
        if is_child(c, m):
            return "41" if m.sex == 1 else "42"
    if m is head.father:
        return "51"
    if m is head.mother:
        return "52"
    if head.spouse is not None:
        if m is head.spouse.father:
            return "53" if head.sex == 2 else "55"
        if m is head.spouse.mother:
            return "54" if head.sex == 2 else "56"
    if (m.father is not None and m.father is head.father) or (m.mother is not None and m.mother is head.mother):
        older = m.birth < head.birth
        if m.sex == 1:
            return "71" if older else "73"
        return "75" if older else "77"
    if head.father is not None and m.father is not None and m.father.father is head.father:
        return "93" if m.sex == 1 else "94"
    return "97"


# --------------------------------------------------------------------------------------------
# Building the register

def load_villages():
    rows = []
    with lzma.open(os.path.join(NBS, "villages.csv.xz"), "rt", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["streetCode"] == TOWNSHIP:
                rows.append((r["code"], r["name"]))
    rows.sort()
    return rows


def build_register(rng, n_persons):
    world = World(rng)
    villages = load_villages()
    vinfo = []
    for code, name in villages:
        dom = [c for c in name[:3] if c in SURNAMES and c not in "家三四六小新金黑双"]
        top = SURNAMES[:30]
        if not dom:
            dom = [rng.choice(top)]
        if rng.random() < 0.6:
            dom.append(rng.choice(top))
        groups = rng.randint(6, 14) if code[9:] >= "200" else rng.randint(3, 6)
        vinfo.append({"code": code, "dom": dom, "groups": groups, "weight": groups})
    vcum = list(accumulate(v["weight"] for v in vinfo))
    households = []    # (village code, group, list of persons)
    total = 0
    while total < n_persons:
        v = vinfo[bisect_left(vcum, rng.random() * vcum[-1])]
        r = rng.random()
        if r < 0.45:
            surname = v["dom"][0]
        elif r < 0.6 and len(v["dom"]) > 1:
            surname = v["dom"][1]
        else:
            surname = pick_surname(rng)
        root = world.lineage(surname)
        group = rng.randint(1, v["groups"])
        for hh in world.households(root):
            g = group if rng.random() < 0.85 else rng.randint(1, v["groups"])
            households.append((v["code"], g, hh))
            total += len(hh)
    # trim to exactly n_persons: drop whole households from the end, then top up with people living alone
    while total > n_persons:
        _, _, hh = households.pop()
        total -= len(hh)
    while total < n_persons:
        v = rng.choice(vinfo)
        y = rng.randint(1940, 1985)
        sex = 1 if rng.random() < 0.6 else 2
        surname = rng.choice(v["dom"]) if rng.random() < 0.5 else pick_surname(rng)
        p = world.new(surname, pick_given(rng, sex, y), sex, world.birth_date_old(y))
        p.clan = world.clans.setdefault(surname, Clan(rng, surname))
        if sex == 2:
            p.married_in = True
            p.region = married_in_region(rng, y)
        households.append((v["code"], rng.randint(1, v["groups"]), [p]))
        total += 1
    # order and number
    order = sorted(range(len(households)), key=lambda i: (households[i][0], households[i][1], i))
    serial = Counter()
    persons = []
    birth_order_style = {}
    for i in order:
        code, g, hh = households[i]
        serial[(code, g)] += 1
        hno = f"{code}{g:02d}{serial[(code, g)]:04d}"
        use_order_codes = rng.random() < 0.25
        head = hh[0]
        for m in hh:
            m.hh = hno
            m.relation = relation(head, m)
            if use_order_codes and m.relation in ("20", "30"):
                m.relation = order_code(m)
            if rng.random() < 0.15 and m.relation in ("51", "52"):
                m.relation = "50"
            if rng.random() < 0.2 and m.relation in ("41", "42"):
                m.relation = "40"
            persons.append(m)
        birth_order_style[hno] = use_order_codes
    for k, p in enumerate(persons, 1):
        p.pno = k
    return world, persons


def order_code(m):
    par = m.father or m.mother
    sibs = [c for c in (par.children if par else [m])]
    if len(sibs) == 1:
        return "21" if m.sex == 1 else "31"
    same = sorted((c for c in sibs if c.sex == m.sex), key=lambda c: (c.birth, c.uid))
    k = same.index(m)
    if k >= 5:
        return "29" if m.sex == 1 else "39"
    return str((22 if m.sex == 1 else 32) + k)


def assign_ids(rng, alloc, people):
    """IDs for everybody in `people` (creation order).  Twins get consecutive sequence numbers."""
    for p in people:
        if p.id or p.seq is not None:
            continue
        if p.region is None:
            p.region = county_region(rng, p.birth.year)
        t = p.twin
        if t is not None and t in people_set_holder[0] and not t.id:
            if t.region is None:
                t.region = p.region
            t.region = p.region
            s, p.id = alloc.alloc(p.region, p.birth, p.sex)
            p.seq = s
            s2, t.id = alloc.alloc(t.region, t.birth, t.sex, seq_hint=s + 1)
            t.seq = s2
            alloc.all.update((p.id, t.id))
        else:
            p.seq, p.id = alloc.alloc(p.region, p.birth, p.sex)
            alloc.all.add(p.id)


people_set_holder = [set()]


def blank_missing_ids(rng, persons):
    for p in persons:
        a = (REF - p.birth).days
        pr = 0.0
        if a < 365:
            pr = 0.45
        elif a < 730:
            pr = 0.12
        elif p.age >= 95:
            pr = 0.40
        elif p.age >= 90:
            pr = 0.25
        if pr and rng.random() < pr:
            p.id = ""


# --------------------------------------------------------------------------------------------
# Probes

FULLWIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


class Rec:
    __slots__ = ("surname", "given", "name_override", "id", "sex", "date", "date_str", "mother_id",
                 "labels", "fmt", "truth", "kind")

    def __init__(self):
        self.name_override = None
        self.date_str = None
        self.labels = []
        self.fmt = []
        self.mother_id = ""
        self.truth = None
        self.kind = None

    @property
    def name(self):
        if self.name_override is not None:
            return self.name_override
        return self.surname + self.given


def surname_of(name):
    if name[:2] in ND.COMPOUND_SURNAMES:
        return name[:2]
    return name[:1]


SAFE_TRAD_SURNAME_BLOCK = set("余于干谷姜范后卜曾冲系肖")

NAME_KINDS = {"name_homophone": 10, "name_shape": 4, "name_dictation": 5, "name_swap": 2, "name_drop": 3,
              "name_add": 2, "surname_variant": 25, "surname_reading": 25, "name_traditional": 3,
              "name_former": 1.5, "name_unnamed": 4, "name_blank": 4}
ID_KINDS = {"id_digit": 8, "id_transpose": 5, "id_check": 3, "id_15digit": 4, "id_excel000": 5,
            "id_excel_sci": 1, "id_missing": 10, "id_mother": 2.5, "id_added": 15}
DATE_KINDS = {"date_daymonth_swap": 4, "date_days_off": 6, "date_year_off": 4, "date_month_off": 3,
              "date_ym_only": 3, "date_year_only": 1, "date_lunar": 4, "date_lunar_reverse": 2,
              "date_missing": 1}
SEX_KINDS = {"sex_wrong": 3}
ALL_KINDS = {**NAME_KINDS, **ID_KINDS, **DATE_KINDS, **SEX_KINDS}


def category(kind):
    return kind.split("_")[0] if not kind.startswith("surname") else "name"


class ProbeMaker:
    def __init__(self, rng, world, persons, alloc):
        self.rng = rng
        self.world = world
        self.persons = persons
        self.alloc = alloc
        self.in_persons = set(p.uid for p in persons)
        self.by_date = defaultdict(list)
        self.by_name = defaultdict(list)
        for p in persons:
            self.by_date[p.birth].append(p)
            self.by_name[p.name].append(p)

    def mother_in_persons(self, p):
        m = p.mother
        return m if (m is not None and m.uid in self.in_persons) else None

    # ---- applicability & application of copy errors
    def applicable(self, kind, r: Rec, p: Person, src):
        g = r.given
        days = (REF - p.birth).days
        if kind == "name_homophone":
            return any(CT.homophones(c)[0] or CT.homophones(c)[1] for c in g)
        if kind == "name_shape":
            return any(c in CT.shape for c in r.surname + g)
        if kind == "name_dictation":
            return any(CT.dictation_variants(c) for c in g)
        if kind == "name_swap":
            return len(g) == 2 and g[0] != g[1]
        if kind == "name_drop":
            return len(g) >= 2 or len(r.surname) == 2
        if kind == "name_add":
            return len(g) in (1, 2)
        if kind == "surname_variant":
            return r.surname in ND.SURNAME_VARIANT
        if kind == "surname_reading":
            return r.surname in ND.SURNAME_MISREAD
        if kind == "name_traditional":
            return S2T.convert(g) != g or (r.surname not in SAFE_TRAD_SURNAME_BLOCK and
                                           S2T.convert(r.surname) != r.surname)
        if kind == "name_former":
            return p.age < 40
        if kind == "name_unnamed":
            return days <= 540 and src == "health" and self.mother_in_persons(p) is not None
        if kind == "name_blank":
            return days <= 365 and src == "health"
        if kind.startswith("id_"):
            if kind == "id_added":
                return not p.id and days < 1100
            if not r.id:
                return False
            if kind == "id_15digit":
                return p.birth.year < 1990
            if kind in ("id_excel000", "id_excel_sci"):
                return r.id[-1] != "X"
            if kind == "id_mother":
                m = self.mother_in_persons(p)
                return p.age < 18 and m is not None and bool(m.id)
            return True
        d = r.date
        if kind.startswith("date_"):
            if d is None:
                return False
            if kind == "date_daymonth_swap":
                return d.day <= 12 and d.day != d.month
            if kind == "date_year_off":
                return not (d.month == 2 and d.day == 29)
            if kind == "date_month_off":
                return d.day <= 28
            if kind == "date_ym_only":
                return d.day != 1
            if kind == "date_year_only":
                return p.age >= 50 and (d.month, d.day) != (1, 1)
            if kind == "date_lunar":
                return lunar_numerals(d) not in (None, d)
            if kind == "date_lunar_reverse":
                return solar_of_numerals(d) not in (None, d)
            return True
        if kind == "sex_wrong":
            return True
        raise KeyError(kind)

    def weight(self, kind, p, src):
        w = ALL_KINDS[kind]
        if kind in ("date_lunar", "date_lunar_reverse"):
            w *= 1.0 if p.age >= 40 else 0.35
        if kind == "name_unnamed":
            w *= 12 if (REF - p.birth).days <= 120 else 2.5
        if kind == "date_year_only":
            w *= 3 if p.age >= 60 else 1
        if kind == "id_added":
            w *= 1.5
        return w

    def apply(self, kind, r: Rec, p: Person):
        rng = self.rng
        g = r.given
        if kind == "name_homophone":
            pos = [i for i, c in enumerate(g) if CT.homophones(c)[0] or CT.homophones(c)[1]]
            i = rng.choice(pos)
            r.given = g[:i] + CT.pick_homophone(rng, g[i]) + g[i + 1:]
        elif kind == "name_shape":
            full = r.surname + g
            pos = [i for i, c in enumerate(full) if c in CT.shape]
            gpos = [i for i in pos if i >= len(r.surname)]
            i = rng.choice(gpos) if gpos and rng.random() < 0.8 else rng.choice(pos)
            full = full[:i] + rng.choice(CT.shape[full[i]]) + full[i + 1:]
            r.surname, r.given = full[:len(r.surname)], full[len(r.surname):]
        elif kind == "name_dictation":
            pos = [i for i, c in enumerate(g) if CT.dictation_variants(c)]
            i = rng.choice(pos)
            c = CT.pick_dictation(rng, g[i])
            if c is None:
                return False
            r.given = g[:i] + c + g[i + 1:]
        elif kind == "name_swap":
            r.given = g[::-1]
        elif kind == "name_drop":
            if len(r.surname) == 2 and (len(g) < 2 or rng.random() < 0.5):
                r.surname = r.surname[rng.randrange(2)]
            else:
                i = rng.randrange(len(g))
                r.given = g[:i] + g[i + 1:]
        elif kind == "name_add":
            if len(g) == 1:
                opts = [g + g, "小" + g, "晓" + g]
                if p.clan is not None and p.sex == 1:
                    opts.append(p.clan.gen_char(p.gen) + g)
                r.given = rng.choice(opts)
            else:
                i = rng.randrange(2)
                r.given = g[:i + 1] + g[i] + g[i + 1:]
        elif kind == "surname_variant":
            r.surname = ND.SURNAME_VARIANT[r.surname]
        elif kind == "surname_reading":
            r.surname = rng.choice(ND.SURNAME_MISREAD[r.surname])
        elif kind == "name_traditional":
            r.given = S2T.convert(g)
            if r.surname not in SAFE_TRAD_SURNAME_BLOCK:
                r.surname = S2T.convert(r.surname)
        elif kind == "name_former":
            for _ in range(20):
                ng = pick_given(rng, p.sex, p.birth.year + rng.randint(-3, 3))
                if ng != g and not set(ng) & set(g):
                    r.given = ng
                    break
            else:
                return False
        elif kind == "name_unnamed":
            m = self.mother_in_persons(p)
            r.name_override = m.name + ("之子" if p.sex == 1 else "之女")
        elif kind == "name_blank":
            r.name_override = ""
        elif kind == "id_digit":
            i = rng.randrange(17)
            d = rng.choice([x for x in "0123456789" if x != r.id[i]])
            r.id = r.id[:i] + d + r.id[i + 1:]
        elif kind == "id_transpose":
            pos = [i for i in range(17) if r.id[i] != r.id[i + 1]]
            i = rng.choice(pos)
            r.id = r.id[:i] + r.id[i + 1] + r.id[i] + r.id[i + 2:]
        elif kind == "id_check":
            r.id = r.id[:17] + rng.choice([c for c in "0123456789X" if c != r.id[17]])
        elif kind == "id_15digit":
            r.id = r.id[:6] + r.id[8:17]
        elif kind == "id_excel000":
            r.id = r.id[:15] + "000"
        elif kind == "id_excel_sci":
            r.id = f"{float(r.id):.5E}".replace("E+", "E+")
        elif kind == "id_missing":
            r.id = ""
        elif kind == "id_mother":
            r.id = self.mother_in_persons(p).id
        elif kind == "id_added":
            region = county_region(rng, p.birth.year)
            _, r.id = self.alloc.alloc(region, p.birth, p.sex)
        elif kind == "date_daymonth_swap":
            r.date = dt.date(r.date.year, r.date.day, r.date.month)
        elif kind == "date_days_off":
            d = r.date
            if rng.random() < 0.7:
                r.date = d + dt.timedelta(days=rng.choice([-3, -2, -1, -1, 1, 1, 2, 3]))
            else:
                cands = [safe_date(d.year, d.month, d.day + k) for k in (-20, -10, 10, 20)]
                cands = [c for c in cands if c]
                r.date = rng.choice(cands) if cands else d + dt.timedelta(days=1)
        elif kind == "date_year_off":
            k = rng.choice([-1, 1]) * (10 if rng.random() < 0.1 else 1)
            nd = safe_date(r.date.year + k, r.date.month, r.date.day)
            if nd is None or nd > REF:
                nd = safe_date(r.date.year - abs(k), r.date.month, r.date.day)
            r.date = nd
        elif kind == "date_month_off":
            d = r.date
            m = d.month + rng.choice([-1, 1])
            if m < 1 or m > 12 or safe_date(d.year, m, d.day) is None:
                m = d.month + 1 if d.month < 12 else d.month - 1
            nd = safe_date(d.year, m, d.day)
            if nd > REF:
                nd = safe_date(d.year, d.month - 1, d.day)
            r.date = nd
        elif kind == "date_ym_only":
            r.date = r.date.replace(day=1)
        elif kind == "date_year_only":
            r.date = dt.date(r.date.year, 1, 1)
        elif kind == "date_lunar":
            r.date = lunar_numerals(r.date)
        elif kind == "date_lunar_reverse":
            nd = solar_of_numerals(r.date)
            if nd > REF:
                return False
            r.date = nd
        elif kind == "date_missing":
            r.date = None
        elif kind == "sex_wrong":
            r.sex = 3 - r.sex
        if r.date is None and kind != "date_missing":
            return False
        return True

    def source_of(self, p):
        if p.age < 15:
            return "health"
        if p.sex == 2 and 15 <= p.age <= 49:
            return "wis"
        return "police"

    def make_copy(self, p: Person):
        rng = self.rng
        src = self.source_of(p)
        r = Rec()
        r.surname, r.given, r.id, r.sex, r.date = p.surname, p.given, p.id, p.sex, p.birth
        r.truth = p
        m = self.mother_in_persons(p)
        if src == "health" and m is not None and m.id and rng.random() < 0.85:
            r.mother_id = m.id
        if rng.random() < 0.025:      # scrambled: nothing usable left
            plan = [rng.choice(["id_missing", "id_mother"]), "name_former",
                    rng.choice(["date_year_off", "date_lunar", "date_month_off"]), "name_homophone"]
            for k in plan:
                if self.applicable(k, r, p, src):
                    snapshot = self.snap(r)
                    if self.apply(k, r, p):
                        r.labels.append(k)
                    else:
                        self.restore(r, snapshot)
            if not r.labels:
                r.labels.append("date_days_off")
                self.apply("date_days_off", r, p)
            return r
        x = rng.random()
        k = 1 if x < 0.55 else 2 if x < 0.83 else 3 if x < 0.95 else 4
        cat_count = Counter()
        cap = {"name": 2, "id": 1, "date": 1, "sex": 1}
        tried = set()
        while len(r.labels) < k:
            opts = []
            for kind in ALL_KINDS:
                c = category(kind)
                if kind in tried or cat_count[c] >= cap[c]:
                    continue
                if c == "name" and (r.name_override is not None or
                                    (cat_count[c] and kind in ("name_unnamed", "name_blank", "name_former"))):
                    continue
                if self.applicable(kind, r, p, src):
                    opts.append((kind, self.weight(kind, p, src)))
            if not opts:
                break
            tot = sum(w for _, w in opts)
            x = rng.random() * tot
            kind = opts[-1][0]
            for kd, w in opts:
                x -= w
                if x <= 0:
                    kind = kd
                    break
            tried.add(kind)
            snapshot = self.snap(r)
            if self.apply(kind, r, p):
                r.labels.append(kind)
                cat_count[category(kind)] += 1
            else:
                self.restore(r, snapshot)
        return r

    @staticmethod
    def snap(r):
        return (r.surname, r.given, r.name_override, r.id, r.sex, r.date)

    @staticmethod
    def restore(r, s):
        r.surname, r.given, r.name_override, r.id, r.sex, r.date = s

    # ---- format noise (copies and strangers alike)
    def add_fmt(self, r: Rec):
        rng = self.rng
        if rng.random() >= 0.2:
            return
        n = 1 if rng.random() < 0.8 else 2
        opts = []
        idok = bool(r.id) and "E+" not in r.id
        if idok or r.date is not None:
            opts.append("fmt_fullwidth")
        if idok and r.id.endswith("X"):
            opts += ["fmt_lower_x"] * 3
        if idok or len(r.name) >= 2:
            opts.append("fmt_space")
        if r.date is not None:
            opts.append("fmt_date_format")
        if idok:
            opts.append("fmt_apostrophe")
        chosen = []
        for _ in range(n):
            o = [x for x in opts if x not in chosen]
            if not o:
                break
            chosen.append(rng.choice(o))
        # date string first (fullwidth may apply on top of it)
        if "fmt_date_format" in chosen:
            d = r.date
            r.date_str = rng.choice([f"{d:%Y%m%d}", f"{d.year}/{d.month}/{d.day}", f"{d:%Y.%m.%d}",
                                     f"{d.year}年{d.month}月{d.day}日", f"{d.year}-{d.month}-{d.day}"])
        for f in chosen:
            if f == "fmt_fullwidth":
                if idok and (r.date is None or rng.random() < 0.7):
                    r.id = r.id.translate(FULLWIDTH)
                else:
                    r.date_str = (r.date_str or r.date.isoformat()).translate(FULLWIDTH)
            elif f == "fmt_lower_x":
                r.id = r.id[:-1] + ("x" if r.id[-1] == "X" else "ｘ")
            elif f == "fmt_space":
                if len(r.name) >= 2 and (not idok or rng.random() < 0.6):
                    nm = r.name
                    s = len(surname_of(nm)) if r.name_override is None else 1
                    r.name_override = rng.choice([nm[:s] + " " + nm[s:], nm + " ", " " + nm,
                                                  " ".join(nm)])
                else:
                    iid = r.id
                    r.id = rng.choice([iid + " ", " " + iid, f"{iid[:6]} {iid[6:14]} {iid[14:]}"])
            elif f == "fmt_apostrophe":
                r.id = "'" + r.id
        r.fmt = chosen

    # ---- evaluation helpers
    def id_usable(self, r: Rec, p: Person):
        idl = [k for k in r.labels if k.startswith("id_")]
        return bool(p.id) and bool(r.id) and (not idl or idl[0] in ("id_digit", "id_transpose", "id_check",
                                                                      "id_15digit"))

    def hopeless(self, r: Rec, p: Person):
        s_id = self.id_usable(r, p)
        if s_id:
            return False
        m = self.mother_in_persons(p)
        s_mother = m is not None and bool(m.id) and (r.mother_id == m.id or "id_mother" in r.labels)
        s_name = name_near(r.name, p.name) or "name_unnamed" in r.labels
        s_date = date_near(r.date, p.birth)
        s_part = "id_excel000" in r.labels
        findable = (s_mother and s_date) or (s_name and s_date) or (s_part and (s_name or s_date))
        if not findable and s_name and r.name_override is None:
            # a fuzzy name search alone finds it when no one else in the register has a near name
            findable = self.unique_near_name(r.name, p)
        if not findable:
            return True
        # someone else in the register looks exactly like the probe
        nn = norm_name(r.name)
        for q in self.by_date.get(r.date, []):
            if q is not p and q.name == nn and q.sex == r.sex:
                return True
        return False

    def unique_near_name(self, name, p):
        nn = norm_name(name)
        chars = set(nn)
        for q in self.persons:
            if q is p or abs(len(q.name) - len(nn)) > 1 or not chars & set(q.name) and \
                    CT.reading(q.name[-1]) != CT.reading(nn[-1]):
                continue
            if name_near(nn, q.name):
                return False
        return True

    def stranger_flags(self, r: Rec):
        nn = norm_name(r.name)
        sid = unicodedata.normalize("NFKC", r.id).replace(" ", "").lstrip("'").upper()
        if not sid and r.date is not None:
            for q in self.by_date.get(r.date, []):
                if q.name == nn:
                    return "indistinguishable"
        if r.date is None:
            return None
        for d in near_dates(r.date):
            for q in self.by_date.get(d, []):
                if sid and q.id:
                    continue
                m = self.mother_in_persons(q)
                if r.mother_id and m is not None and m.id and m.id != r.mother_id:
                    continue
                if not date_near(r.date, q.birth):
                    continue
                unnamed_ok = (nn.endswith("之子") or nn.endswith("之女")) and m is not None and nn[:-2] == m.name
                if not (name_near(nn, q.name) or unnamed_ok):
                    continue
                if r.sex != q.sex and not (nn == q.name and r.date == q.birth):
                    continue
                return "near_copy"
        return None


# --------------------------------------------------------------------------------------------
# Strangers

STRANGER_SHARES = [("stranger_same_name", 0.17), ("stranger_same_name_near_birth", 0.12),
                   ("stranger_same_name_same_birth", 0.03), ("stranger_homophone_name", 0.12),
                   ("stranger_same_birthday", 0.10), ("stranger_sibling", 0.10), ("stranger_cousin", 0.05),
                   ("stranger_twin", 0.08), ("stranger_random", 0.23)]


def weighted_sample(rng, items, weights, k):
    keys = sorted(((rng.random() ** (1.0 / w), i) for i, w in enumerate(weights)), reverse=True)
    return [items[i] for _, i in keys[:k]]


def demo_weight(p):
    w = 1.0
    if (REF - p.birth).days < 3 * 365:
        w = 5.0
    elif p.age < 15:
        w = 3.0
    elif p.sex == 2 and p.age <= 49:
        w = 2.5
    if p.twin is not None:
        w *= 3
    return w


class StrangerMaker:
    def __init__(self, rng, pm: ProbeMaker, world, persons, alloc):
        self.rng, self.pm, self.world, self.persons, self.alloc = rng, pm, world, persons, alloc
        self.weights = [demo_weight(p) for p in persons]
        self.cum = list(accumulate(self.weights))
        self.name_count = Counter(p.name for p in persons)
        self.common = [p for p in persons if self.name_count[p.name] >= 2]
        self.common_cum = list(accumulate(demo_weight(p) for p in self.common))
        self.used_keys = set((p.name, p.birth) for p in persons)
        inp = pm.in_persons
        self.twins = [p for p in world.people if p.outside == "twin_elsewhere" and p.alive and
                      p.twin is not None and p.twin.uid in inp]
        self.twins += [p for p in world.people if p.outside == "married_out" and p.alive and
                       p.twin is not None and p.twin.uid in inp]
        self.sisters = [p for p in world.people if p.outside == "married_out" and p.alive and p.twin is None and
                        any(x is not None and x.uid in inp for x in (p.father, p.mother))]
        rng.shuffle(self.twins)
        rng.shuffle(self.sisters)
        self.gen_men = [p for p in persons if p.sex == 1 and p.clan is not None and len(p.given) == 2 and
                        p.given[0] == p.clan.gen_char(p.gen)]

    def template(self, common=False):
        if common and self.common:
            return self.common[bisect_left(self.common_cum, self.rng.random() * self.common_cum[-1])]
        return self.persons[bisect_left(self.cum, self.rng.random() * self.cum[-1])]

    def rec(self, kind, surname, given, sex, birth, region=None, iid=None):
        r = Rec()
        r.kind = kind
        r.surname, r.given, r.sex, r.date = surname, given, sex, birth
        if iid is None:
            if region is None:
                region = county_region(self.rng, birth.year) if self.rng.random() < 0.65 else \
                    married_in_region(self.rng, birth.year)
            _, iid = self.alloc.alloc(region, birth, sex)
        r.id = iid
        r.labels = [kind]
        return r

    def child_mother_id(self, r, mother=None, known=False):
        """Health lists carry the mother's ID for children."""
        rng = self.rng
        if age_at(r.date) >= 15 or rng.random() >= 0.8:
            return
        if known:
            if mother is not None and mother.id:
                r.mother_id = mother.id
            return
        my = r.date.year - rng.randint(20, 36)
        _, r.mother_id = self.alloc.alloc(married_in_region(rng, my), rand_date(rng, my), 2)

    def fresh_date(self, year, avoid_name):
        for _ in range(50):
            d = rand_date(self.rng, year)
            if d <= REF and (avoid_name, d) not in self.used_keys:
                return d
        return None

    def make(self, kind):
        rng = self.rng
        if kind == "stranger_same_name":
            t = self.template(common=rng.random() < 0.7)
            y = min(REF.year, max(1925, t.birth.year + rng.choice([-1, 1]) * rng.randint(1, 8)))
            d = self.fresh_date(y, t.name)
            if d is None:
                return None
            r = self.rec(kind, t.surname, t.given, t.sex, d)
            self.child_mother_id(r)
            return r
        if kind in ("stranger_same_name_near_birth", "stranger_same_name_same_birth"):
            t = self.template(common=rng.random() < 0.5)
            if kind.endswith("same_birth"):
                d = t.birth
            else:
                x = rng.random()
                b = t.birth
                if x < 0.3:
                    d = b + dt.timedelta(days=rng.choice([-3, -2, -1, 1, 2, 3]))
                elif x < 0.5:
                    d = safe_date(b.year, b.month, rng.randint(1, 28)) or b + dt.timedelta(days=5)
                elif x < 0.65:
                    d = safe_date(b.year + rng.choice([-1, 1]), b.month, b.day)
                elif x < 0.75:
                    d = safe_date(b.year, min(12, max(1, b.month + rng.choice([-1, 1]))), b.day)
                else:
                    d = b + dt.timedelta(days=rng.choice([-1, 1]) * rng.randint(4, 60))
                if d is None or d == b or d > REF:
                    d = b - dt.timedelta(days=rng.randint(4, 60))
            r = self.rec(kind, t.surname, t.given, t.sex, d)
            self.child_mother_id(r)
            return r
        if kind == "stranger_homophone_name":
            t = self.template()
            g = t.given
            sur = t.surname
            pos = [i for i, c in enumerate(g) if CT.homophones(c)[0]]
            if pos and (rng.random() < 0.85 or sur not in ND.SURNAME_VARIANT):
                i = rng.choice(pos)
                g = g[:i] + rng.choice([c for c in CT.homophones(g[i])[0]]) + g[i + 1:]
            elif sur in ND.SURNAME_VARIANT:
                sur = ND.SURNAME_VARIANT[sur]
            else:
                return None
            if rng.random() < 0.25:
                d = t.birth + dt.timedelta(days=rng.randint(-40, 40))
                d = min(d, REF)
            else:
                d = rand_date(rng, min(REF.year - 1, max(1925, t.birth.year + rng.randint(-6, 6))))
            r = self.rec(kind, sur, g, t.sex, d)
            self.child_mother_id(r)
            return r
        if kind == "stranger_same_birthday":
            t = self.template()
            if rng.random() < 0.5:
                sur = t.surname
            else:
                sur = pick_surname(rng)
            for _ in range(20):
                g = pick_given(rng, t.sex, t.birth.year)
                if sur + g != t.name:
                    break
            r = self.rec(kind, sur, g, t.sex, t.birth)
            self.child_mother_id(r)
            return r
        if kind == "stranger_sibling":
            if self.sisters and rng.random() < 0.45:
                s = self.sisters.pop()
                r = self.rec(kind, s.surname, s.given, s.sex, s.birth, iid=s.id)
                return r
            # a brother/sister not on the form: moved away, or a newborn not yet registered
            for _ in range(30):
                t = self.template()
                m = self.pm.mother_in_persons(t)
                if m is not None:
                    break
            else:
                return None
            sibs = [c for c in m.children]
            newborn = age_at(m.birth) <= 41 and rng.random() < 0.4
            if newborn:
                d = REF - dt.timedelta(days=rng.randint(5, 150))
            else:
                d = t.birth + dt.timedelta(days=rng.choice([-1, 1]) * rng.randint(400, 365 * 6))
                if d > REF or age_at(m.birth, d) < 18:
                    d = t.birth + dt.timedelta(days=rng.randint(400, 365 * 4))
                if d > REF:
                    return None
            if any(abs((c.birth - d).days) < 300 for c in sibs):
                return None
            sex = 1 if rng.random() < 0.52 else 2
            gen_char = t.clan.gen_char(t.gen) if t.clan else None
            share = t.given[0] if (len(t.given) == 2 and rng.random() < 0.4) else None
            for _ in range(20):
                g = pick_given(rng, sex, d.year, gen_char=gen_char, share=share)
                if all(c.given != g for c in sibs):
                    break
            if newborn and rng.random() < 0.5:
                r = self.rec(kind, t.surname, "", sex, d, region=COUNTY)
                r.name_override = m.name + ("之子" if sex == 1 else "之女")
            else:
                r = self.rec(kind, t.surname, g, sex, d, region=county_region(rng, d.year))
            self.child_mother_id(r, mother=m, known=True)
            return r
        if kind == "stranger_cousin":
            if not self.gen_men:
                return None
            t = rng.choice(self.gen_men)
            y = min(REF.year - 1, t.birth.year + rng.randint(-4, 4))
            for _ in range(20):
                g = t.given[0] + zpick(rng, SECOND, (era(y), 1))
                if g != t.given:
                    break
            d = self.fresh_date(y, t.surname + g)
            if d is None:
                return None
            r = self.rec(kind, t.surname, g, 1, d, region=county_region(rng, y))
            self.child_mother_id(r)
            return r
        if kind == "stranger_twin":
            if not self.twins:
                return None
            s = self.twins.pop()
            r = self.rec(kind, s.surname, s.given, s.sex, s.birth, iid=s.id)
            if s.outside == "married_out":
                r.labels = ["stranger_twin_married_out"]
            else:
                r.labels = ["stranger_twin_elsewhere"]
            m = self.pm.mother_in_persons(s)
            self.child_mother_id(r, mother=m, known=True)
            return r
        if kind == "stranger_random":
            t = self.template()
            y = min(REF.year, max(1925, t.birth.year + rng.randint(-3, 3)))
            sur = pick_surname(rng)
            g = pick_given(rng, t.sex, y)
            d = self.fresh_date(y, sur + g)
            if d is None:
                return None
            r = self.rec(kind, sur, g, t.sex, d)
            self.child_mother_id(r)
            return r
        raise KeyError(kind)


# --------------------------------------------------------------------------------------------

def main(argv=None):
    global CT
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--persons", type=int, default=50000)
    ap.add_argument("--copies", type=int, default=1000)
    ap.add_argument("--strangers", type=int, default=1000)
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    a = ap.parse_args(argv)
    t0 = time.time()
    rng = random.Random(a.seed)
    CT = CharTables()

    world, persons = build_register(rng, a.persons)
    inp = set(p.uid for p in persons)
    extra = [p for p in world.people if p.alive and p.outside and p.uid not in inp and
             ((p.twin is not None and p.twin.uid in inp) or
              any(x is not None and x.uid in inp for x in (p.father, p.mother)))]
    people_set_holder[0] = set(persons) | set(extra)
    alloc = IdAllocator(rng)
    everyone = sorted(people_set_holder[0], key=lambda p: p.uid)
    assign_ids(rng, alloc, everyone)
    blank_missing_ids(rng, persons)
    blank_missing_ids(rng, extra)

    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "persons.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(PERSON_HEADER)
        for p in persons:
            m = p.mother
            mno = m.pno if (m is not None and m.uid in inp and m.hh == p.hh) else ""
            w.writerow([p.hh, p.pno, p.name, p.id, p.sex, p.birth.isoformat(), mno, p.relation])

    pm = ProbeMaker(rng, world, persons, alloc)
    rows = []
    # copies
    truths = weighted_sample(rng, persons, [demo_weight(p) for p in persons], a.copies)
    for p in truths:
        r = pm.make_copy(p)
        pm.add_fmt(r)
        if pm.hopeless(r, p):
            r.labels.append("hopeless")
        rows.append(r)
    # strangers
    sm = StrangerMaker(rng, pm, world, persons, alloc)
    plan = []
    for kind, share in STRANGER_SHARES:
        plan += [kind] * int(round(share * a.strangers))
    while len(plan) < a.strangers:
        plan.append("stranger_random")
    plan = plan[:a.strangers]
    strangers = []
    for kind in plan:
        r = None
        for _ in range(5):
            r = sm.make(kind)
            if r is not None:
                break
        if r is None:
            r = sm.make("stranger_random")
        strangers.append(r)
    for i in rng.sample(range(len(strangers)), round(0.10 * len(strangers))):
        strangers[i].id = ""
    for r in strangers:
        pm.add_fmt(r)
        flag = pm.stranger_flags(r)
        if flag:
            r.labels.append(flag)
        rows.append(r)
    rng.shuffle(rows)
    with open(os.path.join(a.out, "probes.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(PROBE_HEADER)
        for k, r in enumerate(rows, 1):
            ds = r.date_str if r.date_str is not None else (r.date.isoformat() if r.date else "")
            w.writerow([k, r.name, r.id, r.sex, ds, r.mother_id, r.truth.pno if r.truth else "",
                        ";".join(r.labels + r.fmt)])
    c = Counter()
    for r in rows:
        for lab in r.labels + r.fmt:
            c[lab] += 1
    print(f"persons={len(persons)} households={len(set(p.hh for p in persons))} probes={len(rows)} "
          f"seconds={time.time() - t0:.1f}")
    for lab, n in sorted(c.items()):
        print(f"  {lab:34s} {n}")


if __name__ == "__main__":
    main()
