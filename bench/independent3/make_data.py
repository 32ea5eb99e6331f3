"""Independent test data for hecha's duplicate-person search.

Writes persons.csv (a township population in households), probes.csv (clerk-keyed
copies of some of those persons with labelled errors, plus confusable strangers)
into --out.  Deterministic for a given --seed.  Made without reading hecha's
matching or data-generating code; see README.md beside this file.

    .venv/bin/python bench/independent3/make_data.py [--seed 3] [--persons 50000]
        [--copies 1000] [--strangers 1000] [--out bench/independent3/out]
"""

from __future__ import annotations

import argparse
import bisect
import csv
import itertools
import math
import os
import random
import sys
from collections import Counter, defaultdict
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import names_pools as NP  # noqa: E402

try:
    from pypinyin import Style, lazy_pinyin
except ImportError:  # pragma: no cover
    lazy_pinyin = None
try:
    import opencc

    _S2T = opencc.OpenCC("s2t")
except Exception:  # pragma: no cover
    _S2T = None
try:
    import lunardate
except ImportError:  # pragma: no cover
    lunardate = None

HERE = os.path.dirname(os.path.abspath(__file__))
DIVISIONS = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data", "divisions-nbs-2023"))

# ---------------------------------------------------------------------------
# ID numbers (GB 11643-1999)
W17 = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"


def check_char(s17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(s17, W17, strict=True)) % 11]


def make_id(region: str, birth: date, seq: int) -> str:
    s17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return s17 + check_char(s17)


def valid_id(s: str) -> bool:
    return len(s) == 18 and s[:17].isdigit() and check_char(s[:17]) == s[17]


# ---------------------------------------------------------------------------
# regions

HOME = "130123"  # 正定县
# neighbours in 石家庄 as written in IDs issued before the 2014 district changes
NEIGHBOURS = [
    "130125",
    "130126",
    "130130",
    "130184",
    "130131",
    "130182",
    "130185",
    "130124",
    "130183",
    "130181",
    "130132",
    "130104",
    "130105",
]


def load_counties():
    path = os.path.join(DIVISIONS, "areas.csv")
    by_prov = defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            code = row["code"]
            last2 = int(code[4:])
            if 1 <= last2 <= 70 and code[2:4] != "00":
                by_prov[code[:2]].append(code)
    return by_prov


PROVINCE_WEIGHTS = {
    "41": 25,
    "37": 20,
    "14": 12,
    "15": 8,
    "23": 6,
    "22": 4,
    "21": 5,
    "51": 6,
    "52": 5,
    "53": 5,
    "45": 4,
    "42": 4,
    "43": 4,
    "36": 3,
    "34": 5,
    "61": 4,
    "62": 3,
}
HEBEI_OTHER_CITIES = ["1306", "1305", "1311", "1304", "1309", "1302", "1310"]


class World:
    def __init__(self, seed: int, ref: date):
        self.rng = random.Random(seed)
        self.ref = ref
        self.counties = load_counties()
        self.hebei_other = [c for c in self.counties["13"] if c[:4] in HEBEI_OTHER_CITIES]
        self.prov_keys = sorted(PROVINCE_WEIGHTS)
        self.prov_w = [PROVINCE_WEIGHTS[k] for k in self.prov_keys]
        self.used_seq: dict[tuple[str, date], set] = defaultdict(set)
        sw = NP.surname_weights()
        self.surnames = list(sw)
        self.surname_cum = list(itertools.accumulate(sw.values()))
        self.one, self.two = NP.pools()
        self.cum_one = {k: list(itertools.accumulate(zipf(len(v)))) for k, v in self.one.items()}
        self.cum_two = {k: list(itertools.accumulate(zipf(len(v)))) for k, v in self.two.items()}
        self.next_pno = 1
        self.single_chars, self.first_chars, self.second_chars = {}, {}, {}
        for key in self.one:
            self.single_chars[key] = sorted(set(self.one[key]) | set(NP.EXTRA_SECOND[key]))
            self.first_chars[key] = sorted({g[0] for g in self.two[key]} | set(NP.EXTRA_FIRST[key]))
            self.second_chars[key] = sorted({g[1] for g in self.two[key]} | set(NP.EXTRA_SECOND[key]))

    # -- regions
    def region_married_in(self) -> str:
        r = self.rng.random()
        if r < 0.85:
            return HOME
        if r < 0.90:
            return self.rng.choice(NEIGHBOURS)
        if r < 0.95:
            return self.rng.choice(self.hebei_other)
        prov = self.rng.choices(self.prov_keys, self.prov_w)[0]
        return self.rng.choice(self.counties[prov])

    def region_man(self) -> str:
        r = self.rng.random()
        if r < 0.97:
            return HOME
        if r < 0.99:
            return self.rng.choice(NEIGHBOURS)
        prov = self.rng.choices(self.prov_keys, self.prov_w)[0]
        return self.rng.choice(self.counties[prov])

    def region_stranger(self) -> str:
        r = self.rng.random()
        if r < 0.6:
            return HOME
        if r < 0.85:
            return self.rng.choice(NEIGHBOURS)
        if r < 0.93:
            return self.rng.choice(self.hebei_other)
        prov = self.rng.choices(self.prov_keys, self.prov_w)[0]
        return self.rng.choice(self.counties[prov])

    # -- ids
    def new_seq(self, region: str, birth: date, sex: int, near: int | None = None) -> int:
        used = self.used_seq[(region, birth)]
        if near is not None:
            # twins: adjacent sequence numbers
            for cand in (near + 2, near + 1, near - 1, near - 2, near + 3, near + 4):
                if 1 <= cand <= 995 and cand % 2 == (1 if sex == 1 else 0) and cand not in used:
                    used.add(cand)
                    return cand
        while True:
            cand = self.rng.randint(1, 995)
            if cand % 2 != (1 if sex == 1 else 0):
                cand += 1 if cand < 995 else -1
            if cand not in used:
                used.add(cand)
                return cand

    # -- names
    def surname(self) -> str:
        return self.surnames[bisect.bisect(self.surname_cum, self.rng.random() * self.surname_cum[-1])]

    def given(self, sex: int, year: int, avoid=()) -> str:
        """A given name: 25 % from the famous lists (Zipf), else composed (long tail)."""
        era = NP.era_of(year)
        key = (sex, era)
        rng = self.rng
        g = ""
        for _ in range(20):
            single = rng.random() < NP.SINGLE_SHARE[key]
            if rng.random() < 0.25:
                pool, cum = (self.one[key], self.cum_one[key]) if single else (self.two[key], self.cum_two[key])
                g = pool[bisect.bisect(cum, rng.random() * cum[-1])]
            elif single:
                g = rng.choice(self.single_chars[key])
            else:
                g = rng.choice(self.first_chars[key]) + rng.choice(self.second_chars[key])
                if g[0] == g[1] and rng.random() < 0.7:
                    continue
            if g not in avoid:
                return g
        return g

    def sibling_given(self, sex: int, year: int, first: str, avoid=()) -> str:
        """A sibling's name sharing the generation character of `first`."""
        era = NP.era_of(year)
        seconds = sorted({g[1] for g in self.two[(sex, era)] if len(g) == 2})
        for _ in range(20):
            g = first[0] + self.rng.choice(seconds)
            if g not in avoid and g[0] != g[1]:
                return g
        return self.given(sex, year, avoid)

    # -- dates
    def date_in_year(self, year: int) -> date:
        start = date(year, 1, 1)
        n = (date(year + 1, 1, 1) - start).days
        return start + timedelta(days=self.rng.randrange(n))

    def person(self, surname, given, sex, birth, region, in_pop=False, seq_near=None, no_id=False):
        seq = self.new_seq(region, birth, sex, seq_near)
        p = {
            "pno": None,
            "surname": surname,
            "given": given,
            "sex": sex,
            "birth": birth,
            "region": region,
            "seq": seq,
            "id": make_id(region, birth, seq),
            "has_id": not no_id,
            "mother": None,
            "father": None,
            "relation": "",
            "hh": None,
            "in_pop": in_pop,
            "twin_of": None,
            "siblings": [],
        }
        return p


def zipf(n, s=0.7, q=5.0):
    return [1.0 / (i + q) ** s for i in range(n)]


def age_at(birth: date, ref: date) -> int:
    return ref.year - birth.year - ((ref.month, ref.day) < (birth.month, birth.day))


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


# ---------------------------------------------------------------------------
# population


def children_count(rng, mother_year):
    if mother_year < 1945:
        return rng.choices([2, 3, 4, 5, 6], [1, 3, 4, 3, 2])[0]
    if mother_year < 1955:
        return rng.choices([1, 2, 3, 4, 5], [0.5, 3, 4, 2.5, 1])[0]
    if mother_year < 1965:
        return rng.choices([1, 2, 3, 4], [1.5, 5, 2.5, 0.7])[0]
    if mother_year < 1980:
        return rng.choices([1, 2, 3], [4, 5, 0.8])[0]
    if mother_year < 1990:
        return rng.choices([1, 2, 3], [3.5, 5, 0.7])[0]
    return rng.choices([0, 1, 2, 3], [0.5, 4, 4, 0.5])[0]


def first_birth_age(rng, mother_year):
    mu = (
        21
        if mother_year < 1950
        else 22.5
        if mother_year < 1965
        else 23.5
        if mother_year < 1980
        else 24.5
        if mother_year < 1995
        else 25.5
    )
    return min(35.0, max(19.0, rng.gauss(mu, 2.0)))


def make_children(W: World, father, mother, surname):
    """All children a couple had (alive), with twins. Not yet placed."""
    rng = W.rng
    mb = mother["birth"]
    n = children_count(rng, mb.year)
    kids = []
    t = mb + timedelta(days=int(first_birth_age(rng, mb.year) * 365.25))
    born = 0
    old_style = mb.year < 1975
    gen_char = None
    while born < n:
        if t > W.ref or age_at(mb, t) > 42:
            break
        twins = rng.random() < 0.015
        if twins:
            code = rng.choices(["MM", "FF", "MF"], [1, 1, 1.2])[0]
            pairs = (NP.TWIN_PAIRS_NEW if t.year >= 1995 else NP.TWIN_PAIRS_OLD)[code]
            a, b = rng.choice(pairs)
            sexes = {"MM": (1, 1), "FF": (2, 2), "MF": (1, 2)}[code]
            if code == "MF" and rng.random() < 0.5:
                sexes, (a, b) = (2, 1), (b, a)
            used = {k["given"] for k in kids}
            if a in used or b in used:
                twins = False
            else:
                k1 = W.person(surname, a, sexes[0], t, HOME)
                k2 = W.person(surname, b, sexes[1], t, HOME, seq_near=k1["seq"])
                k1["twin_of"], k2["twin_of"] = k2, k1
                kids += [k1, k2]
                born += 2
        if not twins:
            sex = 1 if rng.random() < 0.53 else 2  # rural sex ratio at birth of the period
            used = {k["given"] for k in kids} | {father["given"] if father else "", mother["given"]}
            same_sex = [k for k in kids if k["sex"] == sex and len(k["given"]) == 2]
            if same_sex and rng.random() < (0.55 if old_style else 0.2):
                if gen_char is None:
                    gen_char = same_sex[0]["given"]
                g = W.sibling_given(sex, t.year, gen_char, used)
            else:
                g = W.given(sex, t.year, used)
            kids.append(W.person(surname, g, sex, t, HOME))
            born += 1
        t = t + timedelta(days=int((1.3 + rng.expovariate(1 / 2.2)) * 365.25))
    for k in kids:
        k["mother"], k["father"] = mother, father
    for k in kids:
        k["siblings"] = [o for o in kids if o is not k]
    return kids


def marries(rng, p, ref):
    """Whether an adult child has married (and so may have left)."""
    a = age_at(p["birth"], ref)
    if p["sex"] == 2:
        return a >= 20 and rng.random() < min(0.97, (a - 19) / 7)
    return a >= 22 and rng.random() < min(0.92, (a - 21) / 9)


def wife_for(W: World, husband):
    rng = W.rng
    yb = husband["birth"].year + round(rng.gauss(1.5, 1.7))
    b = W.date_in_year(min(yb, W.ref.year - 18))
    s = W.surname()
    return W.person(s, W.given(2, b.year), 2, b, W.region_married_in())


def couple(W: World, hyear):
    h_birth = W.date_in_year(hyear)
    h = W.person(None, None, 1, h_birth, W.region_man())
    h["surname"] = W.village_surname()
    h["given"] = W.given(1, h_birth.year)
    w = wife_for(W, h)
    return h, w


def elderly_dates(W, p):
    """Older people's birth dates cluster on 1 January (unknown birthdays)."""
    if p["birth"].year < 1950 and W.rng.random() < 0.03:
        b = date(p["birth"].year, 1, 1)
        W.used_seq[(p["region"], p["birth"])].discard(p["seq"])
        p["birth"] = b
        p["seq"] = W.new_seq(p["region"], b, p["sex"])
        p["id"] = make_id(p["region"], b, p["seq"])


def survive(W, h, w):
    """Widowhood among the old: returns (husband alive, wife alive)."""
    rng = W.rng
    a = age_at(h["birth"], W.ref)
    hd = rng.random() < min(0.6, max(0.0, (a - 60) / 40))
    wd = (not hd) and rng.random() < min(0.4, max(0.0, (a - 65) / 50))
    return not hd, not wd


def build_household(W: World):
    """Returns (members in order with relations, off-population relatives)."""
    rng = W.rng
    kind = rng.choices(["elder", "nuclear", "3gen", "single"], [25, 42, 28, 5])[0]
    ref_year = W.ref.year
    off = []
    if kind == "single":
        b = W.date_in_year(rng.randint(ref_year - 65, ref_year - 25))
        p = W.person(W.village_surname(), None, 1, b, W.region_man())
        p["given"] = W.given(1, b.year)
        p["relation"] = "02"
        return [p], off
    if kind == "elder":
        hyear = rng.randint(ref_year - 92, ref_year - 56)
    elif kind == "nuclear":
        hyear = rng.randint(ref_year - 60, ref_year - 24)
    else:
        hyear = rng.randint(ref_year - 85, ref_year - 48)
    h, w = couple(W, hyear)
    elderly_dates(W, h)
    elderly_dates(W, w)
    kids = make_children(W, h, w, h["surname"] if rng.random() < 0.96 else w["surname"])
    h_alive, w_alive = survive(W, h, w) if kind != "nuclear" else (True, True)
    stay = None
    if kind == "3gen":
        sons = [k for k in kids if k["sex"] == 1 and age_at(k["birth"], W.ref) >= 23]
        if not sons:
            kind = "elder"
        else:
            stay = rng.choice(sons[:2])
    home, gone = [], []
    for k in kids:
        if k is stay:
            continue
        a = age_at(k["birth"], W.ref)
        if a < 18:
            (home if rng.random() < 0.98 else gone).append(k)
        elif marries(rng, k, W.ref):
            gone.append(k)
        elif a >= 19 and rng.random() < 0.12:
            gone.append(k)  # hukou moved for study or work
        else:
            home.append(k)
    members = []
    if stay is None:
        if h_alive:
            members.append((h, "02"))
            if w_alive:
                members.append((w, "10"))
        else:
            members.append((w, "02"))
        for k in home:
            members.append((k, "20" if k["sex"] == 1 else "30"))
    else:
        dil = wife_for(W, stay)
        gkids = make_children(W, stay, dil, stay["surname"])
        for g in gkids:
            a = age_at(g["birth"], W.ref)
            if a >= 18 and marries(rng, g, W.ref):
                off.append(g)
        gkids = [g for g in gkids if g not in off]
        old_head = h_alive and age_at(h["birth"], W.ref) < 75 and rng.random() < 0.6
        if old_head:
            members.append((h, "02"))
            if w_alive:
                members.append((w, "10"))
            members.append((stay, "20"))
            members.append((dil, "38"))
            for g in gkids:
                members.append((g, "41" if g["sex"] == 1 else "42"))
            for k in home:
                members.append((k, "20" if k["sex"] == 1 else "30"))
        else:
            members.append((stay, "02"))
            members.append((dil, "10"))
            for g in gkids:
                members.append((g, "20" if g["sex"] == 1 else "30"))
            if h_alive:
                members.append((h, "51"))
            if w_alive:
                members.append((w, "52"))
            for k in home:
                older = k["birth"] < stay["birth"]
                rel = ("71" if older else "73") if k["sex"] == 1 else ("75" if older else "77")
                members.append((k, rel))
    for p, rel in members:
        p["relation"] = rel
    off += [k for k in gone]
    if not (h_alive and w_alive):
        pass
    return [p for p, _ in members], off


def village_surname_factory(W: World):
    """Each village has two or three clan surnames that take ~40 % of the men."""
    state = {"clans": None}

    def set_village(_code):
        k = W.rng.choice([2, 3, 3])
        clans = []
        while len(clans) < k:
            s = W.surname()
            if s not in clans and len(s) == 1:
                clans.append(s)
        state["clans"] = clans

    def pick():
        if state["clans"] and W.rng.random() < 0.40:
            return W.rng.choices(state["clans"], [5, 3, 2][: len(state["clans"])])[0]
        return W.surname()

    return set_village, pick


def load_villages(township="130123104"):
    import lzma

    out = []
    with lzma.open(os.path.join(DIVISIONS, "villages.csv.xz"), "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["streetCode"] == township:
                out.append(row["code"])
    return out


def assign_missing_ids(W: World, persons):
    rng = W.rng
    for p in persons:
        a = age_at(p["birth"], W.ref)
        if a < 1:
            q = 0.45  # not yet registered, or registered and not yet copied into the register
        elif a < 3:
            q = 0.15
        elif a < 16:
            q = 0.02
        elif a >= 80:
            q = 0.15  # never applied, or lost with an old 15-digit card
        else:
            q = 0.005
        if rng.random() < q:
            p["has_id"] = False


def build_population(W: World, n_persons: int):
    set_village, pick = village_surname_factory(W)
    W.village_surname = pick
    villages = load_villages()
    per_village = math.ceil(n_persons / len(villages))
    persons, households, off_pop = [], [], []
    vi = 0
    serial = 0
    set_village(villages[0])
    count_in_village = 0
    while len(persons) < n_persons:
        if count_in_village >= per_village and vi < len(villages) - 1:
            vi += 1
            serial = 0
            count_in_village = 0
            set_village(villages[vi])
        members, off = build_household(W)
        room = n_persons - len(persons)
        if len(members) > room:
            # finish with one-person households
            for p in members:
                W.used_seq[(p["region"], p["birth"])].discard(p["seq"])
            members = []
            b = W.date_in_year(W.rng.randint(W.ref.year - 80, W.ref.year - 25))
            p = W.person(pick(), None, 1, b, W.region_man())
            p["given"] = W.given(1, b.year)
            p["relation"] = "02"
            members, off = [p], []
        serial += 1
        group = 1 + (serial - 1) * 8 // max(1, per_village // 3)
        group = min(group, 9)
        hh_no = f"{villages[vi]}{group:02d}{serial:04d}"
        households.append(hh_no)
        for p in members:
            p["hh"] = hh_no
            p["pno"] = W.next_pno
            W.next_pno += 1
            persons.append(p)
        count_in_village += len(members)
        for o in off:
            o["in_pop"] = False
        off_pop += off
    for p in persons:
        p["in_pop"] = True
    assign_missing_ids(W, persons)
    return persons, off_pop


# ---------------------------------------------------------------------------
# name errors


class NameTools:
    def __init__(self, W: World):
        self.W = W
        self.hom = {}
        for grp in NP.HOMOPHONE_GROUPS.split():
            for c in grp:
                self.hom.setdefault(c, [])
                self.hom[c] += [o for o in grp if o != c and o not in self.hom[c]]
        self.sur_hom = {}
        for grp in NP.SURNAME_HOMOPHONES.split():
            for c in grp:
                self.sur_hom.setdefault(c, [])
                self.sur_hom[c] += [o for o in grp if o != c and o not in self.sur_hom[c]]
        self.look = {}
        for grp in NP.LOOKALIKE_GROUPS.split():
            for c in grp:
                self.look.setdefault(c, [])
                self.look[c] += [o for o in grp if o != c and o not in self.look[c]]
        inv = set()
        for v in list(W.one.values()) + list(W.two.values()):
            for g in v:
                inv.update(g)
        for grp in NP.HOMOPHONE_GROUPS.split():
            inv.update(grp)
        self.inventory = sorted(inv)
        self.by_py = defaultdict(list)
        for c in self.inventory:
            self.by_py[self.py(c)].append(c)

    _py_cache: dict = {}

    @classmethod
    def py(cls, text: str) -> str:
        r = cls._py_cache.get(text)
        if r is None:
            r = text if lazy_pinyin is None else "".join(lazy_pinyin(text, style=Style.NORMAL))
            cls._py_cache[text] = r
        return r

    def has_strict_homophone(self, given):
        return any(self.py(o) == self.py(c) for c in given for o in self.hom.get(c, []))

    def name_py(self, surname, given):
        s = surname
        if surname in NP.WRONG_READING:
            s_py = NP.WRONG_READING[surname][0]
        else:
            s_py = self.py(s)
        return s_py + self.py(given)

    def homophone(self, given):
        """Replace one given-name character by another of the same sound."""
        idx = [i for i, c in enumerate(given) if c in self.hom]
        if not idx:
            return None
        i = self.W.rng.choice(idx)
        c = given[i]
        same = [o for o in self.hom[c] if self.py(o) == self.py(c)]
        cands = same or self.hom[c]
        o = self.W.rng.choice(cands)
        kind = "name_homophone" if self.py(o) == self.py(c) else "name_sound_alike"
        return given[:i] + o + given[i + 1 :], kind

    def sound_variants(self, p):
        out = []
        if p[:1] == "n":
            out.append("l" + p[1:])
        if p[:1] == "l":
            out.append("n" + p[1:])
        for a, b in (("zh", "z"), ("ch", "c"), ("sh", "s")):
            if p.startswith(a):
                out.append(b + p[2:])
        for a, b in (("z", "zh"), ("c", "ch"), ("s", "sh")):
            if p.startswith(a) and not p.startswith(a + "h"):
                out.append(b + p[1:])
        if p.endswith("ng"):
            out.append(p[:-1])
        elif p.endswith("n"):
            out.append(p + "g")
        if p in NP.FH:
            out.append(NP.FH[p])
        return out

    def sound_alike(self, given):
        opts = []
        for i, c in enumerate(given):
            for v in self.sound_variants(self.py(c)):
                for o in self.by_py.get(v, []):
                    if o != c:
                        opts.append((i, o))
        if not opts:
            return None
        i, o = self.W.rng.choice(opts)
        return given[:i] + o + given[i + 1 :]

    def lookalike(self, surname, given):
        opts = [("g", i, o) for i, c in enumerate(given) for o in self.look.get(c, [])]
        if len(surname) == 1:
            opts += [("s", 0, o) for o in self.look.get(surname, [])]
        if not opts:
            return None
        where, i, o = self.W.rng.choice(opts)
        if where == "s":
            return o, given
        return surname, given[:i] + o + given[i + 1 :]

    def traditional(self, surname, given):
        if _S2T is None:
            return None
        s = surname if surname in NP.SURNAME_KEEP_TRAD else _S2T.convert(surname)
        g = _S2T.convert(given)
        if s + g == surname + given:
            return None
        return s, g


# ---------------------------------------------------------------------------
# probes

NAME_KINDS = {
    "name_homophone": 9,
    "surname_homophone": 2.5,
    "name_sound_alike": 4,
    "name_lookalike": 6,
    "name_swap": 3,
    "name_drop_char": 4,
    "name_add_char": 3,
    "name_traditional": 4,
    "surname_other_reading": 2.5,
    "surname_variant": 1.5,
}
ID_KINDS = {
    "id_one_digit": 9,
    "id_adjacent_swap": 5,
    "id_legacy15": 4,
    "id_missing": 12,
    "id_bad_check": 3,
    "id_excel_damaged": 1.5,
    "child_id_is_mothers": 2.5,
    "id_new_in_probe": 1,
}
BIRTH_KINDS = {
    "birth_day_month_swap": 4,
    "birth_days_off": 6,
    "birth_year_off": 4,
    "birth_month_off": 3,
    "birth_lunar_earlier": 2.5,
    "birth_lunar_later": 2.5,
    "birth_year_month_only": 4,
    "birth_year_only": 1,
}
SEX_KINDS = {"sex_wrong": 0.8}
GROUPS = {"name": NAME_KINDS, "id": ID_KINDS, "birth": BIRTH_KINDS, "sex": SEX_KINDS}
KIND_GROUP = {k: g for g, d in GROUPS.items() for k in d}
ALL_KINDS = {k: w for d in GROUPS.values() for k, w in d.items()}


def clamp_date(y, m, d):
    while True:
        try:
            return date(y, m, d)
        except ValueError:
            d -= 1
            if d < 1:
                raise


class Prober:
    def __init__(self, W: World, persons, nt: NameTools):
        self.W, self.persons, self.nt = W, persons, nt
        self.by_pno = {p["pno"]: p for p in persons}

    # eligibility -----------------------------------------------------------
    def eligible(self, kind, p) -> bool:
        W = self.W
        s, g = p["surname"], p["given"]
        age = age_at(p["birth"], W.ref)
        b = p["birth"]
        has = p["has_id"]
        m = p["mother"]
        if kind == "name_homophone":
            return self.nt.has_strict_homophone(g)
        if kind == "surname_homophone":
            return s in self.nt.sur_hom
        if kind == "name_sound_alike":
            return self.nt.sound_alike(g) is not None
        if kind == "name_lookalike":
            return any(c in self.nt.look for c in g) or (s in self.nt.look)
        if kind == "name_swap":
            return len(g) == 2 and g[0] != g[1]
        if kind == "name_drop_char":
            return len(g) == 2
        if kind == "name_add_char":
            return len(g) == 1
        if kind == "name_traditional":
            return self.nt.traditional(s, g) is not None
        if kind == "surname_other_reading":
            return s in NP.WRONG_READING
        if kind == "surname_variant":
            return s in NP.SURNAME_VARIANTS
        if kind in ("id_one_digit", "id_adjacent_swap", "id_missing", "id_bad_check", "id_excel_damaged"):
            return has
        if kind == "id_legacy15":
            return has and b.year <= 1983
        if kind == "child_id_is_mothers":
            return age <= 6 and m is not None and m["in_pop"] and m["has_id"]
        if kind == "id_new_in_probe":
            return (not has) and age < 7
        if kind == "birth_day_month_swap":
            return b.day <= 12 and b.day != b.month
        if kind in ("birth_days_off", "birth_year_off", "birth_month_off", "sex_wrong"):
            return True
        if kind == "birth_lunar_earlier":
            return lunardate is not None and b.year < 2000 and b.year >= 1901
        if kind == "birth_lunar_later":
            if lunardate is None or b.year >= 2000 or b.year < 1901:
                return False
            try:
                lunardate.LunarDate(b.year, b.month, b.day).to_solar_date()
                return True
            except Exception:
                return False
        if kind == "birth_year_month_only":
            return b.day != 1
        if kind == "birth_year_only":
            return b.year < 1960 and (b.month, b.day) != (1, 1)
        raise KeyError(kind)

    # application -----------------------------------------------------------
    def apply(self, kind, rec, p):
        rng = self.W.rng
        nt = self.nt
        if kind == "name_homophone":
            rec["given"], _ = self._homophone_strict(rec["given"])
        elif kind == "surname_homophone":
            rec["surname"] = rng.choice(nt.sur_hom[rec["surname"]])
        elif kind == "name_sound_alike":
            rec["given"] = nt.sound_alike(rec["given"])
        elif kind == "name_lookalike":
            rec["surname"], rec["given"] = nt.lookalike(rec["surname"], rec["given"])
        elif kind == "name_swap":
            rec["given"] = rec["given"][::-1]
        elif kind == "name_drop_char":
            g = rec["given"]
            rec["given"] = g[0] if rng.random() < 0.8 else g[1]
        elif kind == "name_add_char":
            g = rec["given"]
            r = rng.random()
            if r < 0.4:
                rec["given"] = g + g  # 伟 -> 伟伟, as family calls the child
            elif r < 0.55:
                rec["given"] = "小" + g
            else:
                extra = self.W.given(rec_sex(p), p["birth"].year)
                rec["given"] = g + extra[-1] if extra[-1] != g else g + "一"
        elif kind == "name_traditional":
            rec["surname"], rec["given"] = nt.traditional(rec["surname"], rec["given"])
        elif kind == "surname_other_reading":
            rec["surname"] = NP.WRONG_READING[rec["surname"]][2]
        elif kind == "surname_variant":
            rec["surname"] = NP.SURNAME_VARIANTS[rec["surname"]]
        elif kind == "id_one_digit":
            s = rec["id"]
            i = rng.randrange(17)
            d = rng.choice([c for c in "0123456789" if c != s[i]])
            rec["id"] = s[:i] + d + s[i + 1 :]
        elif kind == "id_adjacent_swap":
            s = rec["id"]
            opts = [i for i in range(17) if s[i] != s[i + 1]]
            i = rng.choice(opts)
            rec["id"] = s[:i] + s[i + 1] + s[i] + s[i + 2 :]
        elif kind == "id_legacy15":
            s = rec["id"]
            rec["id"] = s[:6] + s[8:17]
        elif kind == "id_missing":
            rec["id"] = ""
        elif kind == "id_bad_check":
            s = rec["id"]
            rec["id"] = s[:17] + rng.choice([c for c in "0123456789X" if c != s[17]])
        elif kind == "id_excel_damaged":
            rec["id"] = rec["id"][:15] + "000"
        elif kind == "child_id_is_mothers":
            m = p["mother"]
            rec["id"] = m["id"]
            if rng.random() < 0.7:
                rec["mother_id"] = m["id"]
            if age_at(p["birth"], self.W.ref) < 2 and rng.random() < 0.5:
                rec["surname"], rec["given"] = m["surname"], m["given"] + ("之子" if p["sex"] == 1 else "之女")
                rec["extra"].append("name_unnamed_newborn")
        elif kind == "id_new_in_probe":
            rec["id"] = p["id"]  # the number issued after the register was taken
        elif kind == "birth_day_month_swap":
            b = rec["birth"]
            rec["birth"] = date(b.year, b.day, b.month) if b.day <= 12 else b
        elif kind == "birth_days_off":
            k = rng.randint(1, 10) * rng.choice([-1, 1])
            nb = rec["birth"] + timedelta(days=k)
            if nb > self.W.ref:
                nb = rec["birth"] - timedelta(days=abs(k))
            rec["birth"] = nb
        elif kind == "birth_year_off":
            b = rec["birth"]
            dy = rng.choice([-1, 1]) if b.year < self.W.ref.year - 1 else -1
            rec["birth"] = clamp_date(b.year + dy, b.month, b.day)
        elif kind == "birth_month_off":
            b = rec["birth"]
            dm = rng.choice([-1, 1]) if rng.random() < 0.8 else rng.choice([-3, -2, 2, 3])
            mm = b.month + dm
            yy = b.year
            if mm < 1 or mm > 12:
                mm = b.month - dm
            nb = clamp_date(yy, mm, b.day)
            if nb > self.W.ref:
                nb = clamp_date(yy, b.month - abs(dm), b.day)
            rec["birth"] = nb
        elif kind == "birth_lunar_earlier":
            b = rec["birth"]
            ld = lunardate.LunarDate.from_solar_date(b.year, b.month, b.day)
            rec["birth"] = clamp_date(ld.year, ld.month, ld.day)
        elif kind == "birth_lunar_later":
            b = rec["birth"]
            rec["birth"] = lunardate.LunarDate(b.year, b.month, b.day).to_solar_date()
        elif kind == "birth_year_month_only":
            rec["birth"] = rec["birth"].replace(day=1)
        elif kind == "birth_year_only":
            rec["birth"] = date(rec["birth"].year, 1, 1)
        elif kind == "sex_wrong":
            rec["sex"] = 3 - rec["sex"]
        else:
            raise KeyError(kind)

    def _homophone_strict(self, given):
        rng = self.W.rng
        nt = self.nt
        idx = [i for i, c in enumerate(given) if c in nt.hom]
        rng.shuffle(idx)
        for i in idx:
            c = given[i]
            same = [o for o in nt.hom[c] if nt.py(o) == nt.py(c)]
            if same:
                return given[:i] + rng.choice(same) + given[i + 1 :], "name_homophone"
        i = idx[0]
        return given[:i] + rng.choice(nt.hom[given[i]]) + given[i + 1 :], "name_sound_alike"


def rec_sex(p):
    return p["sex"]


def base_record(W, p):
    m = p["mother"]
    mother_id = ""
    if m is not None and m["in_pop"] and m["has_id"] and age_at(p["birth"], W.ref) < 16:
        if W.rng.random() < 0.5:
            mother_id = m["id"]
    return {
        "surname": p["surname"],
        "given": p["given"],
        "id": p["id"] if p["has_id"] else "",
        "sex": p["sex"],
        "birth": p["birth"],
        "mother_id": mother_id,
        "extra": [],
    }


def format_noise(W, rec):
    """Keying/import noise that any matcher must normalise: labelled fmt_*."""
    rng = W.rng
    name = rec["surname"] + rec["given"]
    labels = []
    if rec["id"].endswith("X") and rng.random() < 0.4:
        rec["id"] = rec["id"][:-1] + "x"
        labels.append("fmt_lowercase_x")
    if rng.random() < 0.02 and len(name) <= 4:
        name = rec["surname"] + " " + rec["given"]
        labels.append("fmt_space_in_name")
    if rec["id"] and rng.random() < 0.01:
        rec["id"] = rec["id"].translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
        labels.append("fmt_fullwidth_id")
    return name, labels


def make_copies(W: World, persons, nt: NameTools, n_copies: int):
    rng = W.rng
    pr = Prober(W, persons, nt)
    weights = []
    for p in persons:
        a = age_at(p["birth"], W.ref)
        w = 1.0
        if a < 18:
            w = 2.0
        elif p["sex"] == 2 and 15 <= a <= 49:
            w = 1.8
        weights.append(w)
    cum = list(itertools.accumulate(weights))
    used = set()
    kinds = list(ALL_KINDS)
    kw = [ALL_KINDS[k] for k in kinds]
    out = []

    def pick_person(pred):
        for _ in range(20000):
            p = persons[bisect.bisect(cum, rng.random() * cum[-1])]
            if p["pno"] not in used and pred(p):
                return p
        cands = [p for p in persons if p["pno"] not in used and pred(p)]
        return rng.choice(cands) if cands else None

    for _ in range(n_copies):
        r = rng.random()
        if r < 0.02:
            p = pick_person(lambda q: age_at(q["birth"], W.ref) >= 20)
            used.add(p["pno"])
            rec = base_record(W, p)
            g2 = W.given(p["sex"], p["birth"].year, avoid={p["given"]})
            while nt.py(g2) == nt.py(p["given"]):
                g2 = W.given(p["sex"], p["birth"].year, avoid={p["given"], g2})
            rec["given"] = g2
            labels = ["hopeless", "name_former"]
            if rec["id"]:
                rec["id"] = ""
                labels.append("id_missing")
            if p["birth"].year < 1960 and rng.random() < 0.5:
                pr.apply("birth_year_only", rec, p)
                labels.append("birth_year_only")
            else:
                pr.apply("birth_year_off", rec, p)
                pr.apply("birth_month_off", rec, p)
                labels += ["birth_year_off", "birth_month_off"]
            out.append((p, rec, labels))
            continue
        n_err = 1 if r < 0.615 else 2 if r < 0.915 else 3
        for _attempt in range(50):
            k0 = rng.choices(kinds, kw)[0]
            p = pick_person(lambda q, k0=k0: pr.eligible(k0, q))
            if p is not None:
                break
        used.add(p["pno"])
        chosen = [k0]
        groups = {KIND_GROUP[k0]}
        if k0 == "child_id_is_mothers" or k0 == "id_new_in_probe":
            groups.add("id")
        while len(chosen) < n_err:
            opts = [k for k in kinds if KIND_GROUP[k] not in groups and pr.eligible(k, p)]
            if not opts:
                break
            k = rng.choices(opts, [ALL_KINDS[o] for o in opts])[0]
            chosen.append(k)
            groups.add(KIND_GROUP[k])
        rec = base_record(W, p)
        order = {"name": 0, "id": 1, "birth": 2, "sex": 3}
        chosen.sort(key=lambda k: order[KIND_GROUP[k]])
        for k in chosen:
            pr.apply(k, rec, p)
        labels = chosen + rec["extra"]
        out.append((p, rec, labels))
    return out


# ---------------------------------------------------------------------------
# strangers

STRANGER_KINDS = {
    "stranger_same_name_same_birth": 15,
    "stranger_same_name": 17,
    "stranger_same_name_near_birth": 8,
    "stranger_homophone_name": 9,
    "stranger_same_birth": 10,
    "stranger_sibling": 16,
    "stranger_twin": 8,
    "stranger_random": 10,
    "stranger_same_name_birth_no_id": 3,
}


def make_strangers(W: World, persons, off_pop, nt: NameTools, n: int):
    rng = W.rng
    name_count = Counter(p["surname"] + p["given"] for p in persons)
    adults_by_common = [p for p in persons]
    cw = list(itertools.accumulate(name_count[p["surname"] + p["given"]] ** 0.8 for p in adults_by_common))
    off_sib = [o for o in off_pop if any(s["in_pop"] for s in o["siblings"])]
    rng.shuffle(off_sib)
    twin_base = [
        p
        for p in persons
        if p["mother"] is not None and p["mother"]["in_pop"] and p["twin_of"] is None and age_at(p["birth"], W.ref) < 30
    ]
    kinds = list(STRANGER_KINDS)
    kw = [STRANGER_KINDS[k] for k in kinds]
    out = []
    off_i = 0

    def common_person():
        return adults_by_common[bisect.bisect(cw, rng.random() * cw[-1])]

    def fresh(surname, given, sex, birth, region=None, seq_near=None):
        region = region or W.region_stranger()
        if birth.year < 1901 or birth > W.ref:
            birth = min(W.ref, max(date(1901, 1, 1), birth))
        return W.person(surname, given, sex, birth, region, in_pop=False, seq_near=seq_near)

    for _ in range(n):
        k = rng.choices(kinds, kw)[0]
        labels = [k]
        mother_id = ""
        base = None
        if k in ("stranger_same_name_same_birth", "stranger_same_name_birth_no_id"):
            base = common_person()
            s = fresh(base["surname"], base["given"], base["sex"], base["birth"])
        elif k == "stranger_same_name":
            base = common_person()
            yy = base["birth"].year + rng.randint(-20, 20)
            yy = min(max(yy, 1925), W.ref.year - 1)
            s = fresh(base["surname"], base["given"], base["sex"], W.date_in_year(yy))
        elif k == "stranger_same_name_near_birth":
            base = common_person()
            b = base["birth"]
            r = rng.random()
            if r < 0.5:
                nb = b + timedelta(days=rng.choice([-1, 1]) * rng.randint(1, 10))
            elif r < 0.8:
                nb = clamp_date(b.year + rng.choice([-1, 1]), b.month, b.day)
            else:
                nb = clamp_date(b.year, b.month, rng.randint(1, 28))
            s = fresh(base["surname"], base["given"], base["sex"], nb)
        elif k == "stranger_homophone_name":
            for _t in range(200):
                base = common_person()
                if any(c in nt.hom for c in base["given"]):
                    break
            g, kind2 = Prober(W, persons, nt)._homophone_strict(base["given"])
            yy = base["birth"].year + rng.randint(-3, 3)
            yy = min(max(yy, 1925), W.ref.year - 1)
            s = fresh(base["surname"], g, base["sex"], W.date_in_year(yy))
        elif k == "stranger_same_birth":
            base = rng.choice(persons)
            sur = base["surname"] if rng.random() < 0.5 else W.surname()
            g = W.given(base["sex"], base["birth"].year, avoid={base["given"]})
            reg = base["region"] if rng.random() < 0.7 else None
            s = fresh(sur, g, base["sex"], base["birth"], region=reg)
        elif k == "stranger_sibling":
            if off_i < len(off_sib):
                s = off_sib[off_i]
                off_i += 1
                base = next(x for x in s["siblings"] if x["in_pop"])
            else:
                base = rng.choice([p for p in persons if p["mother"] is not None])
                b = add_years(base["birth"], rng.choice([-4, -3, -2, 2, 3, 5]))
                b = min(b, W.ref)
                sx = rng.choice([1, 2])
                s = fresh(base["surname"], W.given(sx, b.year, avoid={base["given"]}), sx, b, region=HOME)
                s["mother"] = base["mother"]
            m = s["mother"]
            if m is not None and m["in_pop"] and m["has_id"] and rng.random() < 0.5:
                mother_id = m["id"]
        elif k == "stranger_twin":
            base = rng.choice(twin_base)
            sx = base["sex"] if rng.random() < 0.6 else 3 - base["sex"]
            bg = base["given"]
            if len(bg) == 2 and nt.has_strict_homophone(bg) and rng.random() < 0.5:
                g, _ = Prober(W, persons, nt)._homophone_strict(bg)  # 思雨 / 思语
            elif len(bg) == 2:
                g = W.sibling_given(sx, base["birth"].year, bg, avoid={bg})  # 浩然 / 浩宇
            else:
                g = W.given(sx, base["birth"].year, avoid={bg})
            s = fresh(base["surname"], g, sx, base["birth"], region=base["region"], seq_near=base["seq"])
            m = base["mother"]
            if m["has_id"] and rng.random() < 0.6:
                mother_id = m["id"]
        elif k == "stranger_random":
            yy = rng.randint(1935, W.ref.year - 1)
            sx = rng.choice([1, 2])
            s = fresh(W.surname(), W.given(sx, yy), sx, W.date_in_year(yy))
        else:
            raise KeyError(k)
        rec = {
            "surname": s["surname"],
            "given": s["given"],
            "id": s["id"],
            "sex": s["sex"],
            "birth": s["birth"],
            "mother_id": mother_id,
            "extra": [],
        }
        if k == "stranger_same_name_birth_no_id":
            rec["id"] = ""
        elif rng.random() < 0.10 and k != "stranger_same_name_same_birth":
            rec["id"] = ""
            labels.append("id_missing")
        out.append((s, rec, labels, base))
    return out


# ---------------------------------------------------------------------------
# main


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--persons", type=int, default=50_000)
    ap.add_argument("--copies", type=int, default=1_000)
    ap.add_argument("--strangers", type=int, default=1_000)
    ap.add_argument("--ref-date", default="2024-06-30", help="date the register describes")
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    args = ap.parse_args(argv)
    ref = date.fromisoformat(args.ref_date)
    W = World(args.seed, ref)
    persons, off_pop = build_population(W, args.persons)
    nt = NameTools(W)
    copies = make_copies(W, persons, nt, args.copies)
    strangers = make_strangers(W, persons, off_pop, nt, args.strangers)

    # label probes that the data cannot separate from another population person
    key_index = defaultdict(list)
    for p in persons:
        key_index[(p["sex"], p["birth"], nt.name_py(p["surname"], p["given"]))].append(p)

    def others_fitting(rec, exclude):
        key = (rec["sex"], rec["birth"], nt.name_py(rec["surname"], rec["given"]))
        return [q for q in key_index.get(key, []) if q is not exclude]

    rows = []
    for p, rec, labels in copies:
        if rec["id"] != p["id"] and others_fitting(rec, p):
            labels.append("also_fits_other")
        name, fmt = format_noise(W, rec)
        rows.append((name, rec, p["pno"], labels + fmt))
    by_name_sex = defaultdict(list)
    for p in persons:
        by_name_sex[(p["sex"], nt.name_py(p["surname"], p["given"]))].append(p["birth"])

    def near_copy(rec):
        """A population person with the same sound of name and sex, born within 10 days
        or on the same day and month one year apart: what an erroneous copy would look like."""
        for b in by_name_sex.get((rec["sex"], nt.name_py(rec["surname"], rec["given"])), []):
            d = abs((b - rec["birth"]).days)
            if d <= 10 or (
                (b.month, b.day) == (rec["birth"].month, rec["birth"].day) and abs(b.year - rec["birth"].year) == 1
            ):
                return True
        return False

    for _s, rec, labels, _base in strangers:
        if not rec["id"] and others_fitting(rec, None):
            labels.append("indistinguishable")
        elif not rec["id"] and near_copy(rec):
            labels.append("near_copy")
        name, fmt = format_noise(W, rec)
        rows.append((name, rec, "", labels + fmt))
    W.rng.shuffle(rows)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "persons.csv"), "w", encoding="utf-8", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(
            ["household_no", "person_no", "name", "id_number", "sex", "birth_date", "mother_person_no", "relation"]
        )
        for p in persons:
            m = p["mother"]
            mno = m["pno"] if (m is not None and m["in_pop"] and m["hh"] == p["hh"]) else ""
            wr.writerow(
                [
                    p["hh"],
                    p["pno"],
                    p["surname"] + p["given"],
                    p["id"] if p["has_id"] else "",
                    p["sex"],
                    p["birth"].isoformat(),
                    mno,
                    p["relation"],
                ]
            )
    with open(os.path.join(args.out, "probes.csv"), "w", encoding="utf-8", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(
            ["probe_no", "name", "id_number", "sex", "birth_date", "mother_id_number", "truth_person_no", "errors"]
        )
        for i, (name, rec, truth, labels) in enumerate(rows, 1):
            wr.writerow(
                [i, name, rec["id"], rec["sex"], rec["birth"].isoformat(), rec["mother_id"], truth, ";".join(labels)]
            )

    report(W, persons, off_pop, copies, strangers, rows, args)


def report(W, persons, off_pop, copies, strangers, rows, args):
    n_hh = len({p["hh"] for p in persons})
    print(
        f"persons: {len(persons)} in {n_hh} households "
        f"(mean size {len(persons) / n_hh:.2f}); off-population relatives generated: {len(off_pop)}"
    )
    no_id = sum(1 for p in persons if not p["has_id"])
    print(f"  without ID number: {no_id} ({100 * no_id / len(persons):.1f} %)")
    home = sum(1 for p in persons if p["region"] == HOME)
    print(f"  ID region {HOME}: {home} ({100 * home / len(persons):.1f} %)")
    wives = [p for p in persons if p["relation"] in ("10", "38") and p["sex"] == 2 or (p["relation"] in ("52",))]
    wo = sum(1 for p in wives if p["region"] != HOME)
    print(f"  married-in women from other counties: {wo}/{len(wives)} ({100 * wo / max(1, len(wives)):.1f} %)")
    twins = sum(1 for p in persons if p["twin_of"] is not None and p["twin_of"]["in_pop"])
    print(f"  persons with their twin in the population: {twins}")
    names = Counter(p["surname"] + p["given"] for p in persons)
    print("  commonest names:", ", ".join(f"{n} {c}" for n, c in names.most_common(12)))
    sur = Counter(p["surname"] for p in persons)
    print("  commonest surnames:", ", ".join(f"{n} {c}" for n, c in sur.most_common(12)))
    comp = sum(c for s, c in sur.items() if len(s) == 2)
    poly = sum(c for s, c in sur.items() if s in NP.WRONG_READING)
    print(f"  two-character surnames: {comp}; polyphonic surnames: {poly}")
    dup_nb = Counter((p["surname"] + p["given"], p["birth"]) for p in persons)
    print(f"  (name, birth date) pairs shared by 2+ persons: {sum(1 for v in dup_nb.values() if v > 1)}")
    rel = Counter(p["relation"] for p in persons)
    print("  relations:", dict(sorted(rel.items())))
    ages = Counter(min(age_at(p["birth"], W.ref) // 10 * 10, 90) for p in persons)
    print("  ages by decade:", dict(sorted(ages.items())))

    print(f"\nprobes: {len(rows)} = {len(copies)} erroneous copies + {len(strangers)} strangers")
    n_real = Counter()
    kinds = Counter()
    for _p, _rec, labels in copies:
        real = [x for x in labels if not x.startswith("fmt_") and x not in ("also_fits_other", "hopeless")]
        if "hopeless" in labels:
            n_real["hopeless"] += 1
        else:
            n_real[len([x for x in real if x != "name_unnamed_newborn"])] += 1
        for x in labels:
            kinds[x] += 1
    multi = sum(v for k, v in n_real.items() if k == "hopeless" or k >= 2)
    print(
        "  copies by number of errors:",
        dict(sorted(n_real.items(), key=str)),
        f"-> two or more: {100 * multi / len(copies):.1f} %",
    )
    print("  copies, per error kind (a copy may carry several):")
    for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print(f"    {k:28s} {v:5d}  {100 * v / len(copies):5.1f} %")
    sk = Counter()
    for _s, _rec, labels, _base in strangers:
        for x in labels:
            sk[x] += 1
    print("  strangers, per kind:")
    for k, v in sorted(sk.items(), key=lambda kv: -kv[1]):
        print(f"    {k:32s} {v:5d}")
    fm = Counter(x for *_, labels in rows for x in labels if x.startswith("fmt_"))
    print("  format noise (all probes):", dict(fm))
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
