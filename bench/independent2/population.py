"""The truth: women, births, what each source says about each birth.

Two ways to get the people: read the household forms that `hecha demo` wrote into the
SQLite file (scenario forms), or make a township from nothing (scenario noforms). Then the
same planting: omissions, hidden births, false WIS records, WIS misreports, births of mothers
from other counties, and the mess of real lists.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field as dfield

import lunardate

from common import (COUNTY, TOWNSHIP, add_months, age_on, full_name, given_name, make_id,
                    name_variant, safe_date, short_village, villages_of, SURNAMES, areas,
                    streets_of)

AS_OF = dt.date(2026, 6, 30)
WIN_START = dt.date(2016, 7, 1)
EXPORT = dt.date(2026, 10, 15)      # the lists were exported in October 2026
ROLL = dt.date(2025, 9, 1)          # the rolls of the school year 2025/26
LISTS = ["wis", "birth_cert", "delivery", "vaccination", "kindergarten", "school", "police_hukou"]
NONWIS = LISTS[1:]

# counties a mother giving birth in 正定县's hospitals may come from (not 正定县 itself)
NEAR_COUNTIES = ["130125", "130126", "130130", "130184", "130110", "130109", "130111",
                 "130121", "130131", "130132", "130183", "130105", "130108", "130128"]
FAR_AREAS = ["410102", "410303", "371102", "140105", "130434", "130529", "130633", "510104",
             "340104", "130925", "131102", "150102"]


@dataclass
class Woman:
    wid: int
    name: str
    idno: str
    bdate: dt.date
    vcode: str                 # village code (12) where she lives here, '' for elsewhere
    vname: str
    group: int
    hh: str                    # household code (18) or ''
    addr: str
    hus: str
    hus_id: str
    res: str = "local"         # local | inflow | outflow | elsewhere
    kind: str = "pop"          # pop | hidden | wisonly | elsewhere
    grand: tuple | None = None  # (name, id) of the husband's father heading the police household
    hukou_no: str = ""
    phone: str = ""
    on_forms: bool = False


@dataclass
class Birth:
    tid: int
    wid: int
    name: str
    sex: str
    date: dt.date
    order: int
    plural: int = 1
    tidx: int = 1
    cert: str = ""
    cid: str = ""               # the child's ID number ('' = no hukou)
    alive: bool = True
    death: dt.date | None = None
    period: str = "win"         # pre | win | post
    form_uid: str = ""
    real: bool = True
    hosp: bool = False          # born in a hospital of this county (on its certificate/delivery lists)
    expected: str = "consistent"
    sub: str = ""               # the planted error, e.g. misreport:birth_date:lunar
    field: str = ""             # misreport: the field planted
    features: set = dfield(default_factory=set)
    alias: str = ""
    alias_lists: set = dfield(default_factory=set)
    old_name: str = ""
    wis: dict | None = None
    rec: dict = dfield(default_factory=dict)   # list kind -> what that list says

    @property
    def in_window(self):
        return WIN_START <= self.date <= AS_OF


class Pop:
    def __init__(self):
        self.women: dict[int, Woman] = {}
        self.births: list[Birth] = []
        self.used_ids: set[str] = set()
        self.used_certs: set[str] = set()
        self.childless: list[int] = []      # women in WIS without a child (rows without children)
        self.villages = villages_of()
        self.vname = {c: short_village(n) for c, n in self.villages}

    def kids(self, wid):
        return sorted((b for b in self.births if b.wid == wid and b.real), key=lambda b: (b.date, b.tidx))

    def new_cert(self, rng):
        while True:
            c = rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + f"{rng.randrange(10**9):09d}"
            if c not in self.used_certs:
                self.used_certs.add(c)
                return c

    def new_woman(self, rng, **kw) -> Woman:
        wid = len(self.women) + 1
        w = Woman(wid=wid, **kw)
        self.women[wid] = w
        return w

    def new_birth(self, **kw) -> Birth:
        b = Birth(tid=len(self.births) + 1, **kw)
        self.births.append(b)
        return b


def _addr(pop, vcode, group, serial):
    return f"正定县新安镇{pop.vname[vcode]}{group}组{serial}号"


def _phone(rng):
    return "1" + rng.choice("35789") + "".join(str(rng.randrange(10)) for _ in range(9))


# ---------------------------------------------------------------- scenario forms
def from_forms(db: str, rng) -> Pop:
    pop = Pop()
    con = sqlite3.connect(db)
    q = """select b.uid, b.child_name, b.child_sex, b.birth_date, b.birth_order, b.birth_cert_no,
                  b.plurality, b.plurality_index, m.id, m.name, m.id_number, m.birth_date,
                  m.residence_status, coalesce(f.name,''), coalesce(f.id_number,''),
                  coalesce(c.id_number,''), h.household_code, h.village_code, h.address_detail, h.id
           from birth b join person m on m.id = b.mother_id left join person f on f.id = b.father_id
           left join person c on c.id = b.child_id join household h on h.id = b.household_id
           where b.deleted = 0 and h.deleted = 0 order by b.id"""
    by_pid = {}
    for (uid, cname, csex, bdate, order, cert, plural, pidx, mpid, mname, mid, mbd, mres, fname,
         fid, cid, hh, vcode, addr, hid) in con.execute(q):
        w = by_pid.get(mpid)
        if w is None:
            for x in (mid, fid, cid):
                pop.used_ids.add(x)
            w = pop.new_woman(rng, name=mname, idno=mid, bdate=dt.date.fromisoformat(mbd),
                              vcode=vcode, vname=pop.vname.get(vcode, ""), group=int(hh[12:14]),
                              hh=hh, addr=f"正定县新安镇{pop.vname.get(vcode, '')}{addr}", hus=fname,
                              hus_id=fid, res="inflow" if mres == "3" else "local", on_forms=True)
            w._hid = hid
            by_pid[mpid] = w
        pop.used_ids.add(cid)
        if cert:
            pop.used_certs.add(cert)
        pop.new_birth(wid=w.wid, name=cname, sex=csex, date=dt.date.fromisoformat(bdate),
                      order=order or 1, plural=plural, tidx=pidx, cert=cert, cid=cid, form_uid=uid)
    # older children of these mothers, born before the window: persons of the household
    hid_w = {}
    for w in pop.women.values():
        hid_w.setdefault(w._hid, []).append(w)
    child_pids = {r[0] for r in con.execute("select child_id from birth where child_id is not null")}
    for pid, hid, name, idno, sex, bd, rel in con.execute(
            "select id, household_id, name, id_number, sex, birth_date, relation_to_head from person "
            "where deleted = 0 and birth_date >= '2008-01-01' and birth_date < ? "
            "and substr(relation_to_head,1,1) in ('2','3')", (WIN_START.isoformat(),)):
        ws = hid_w.get(hid)
        if not ws or len(ws) != 1 or pid in child_pids:
            continue
        w = ws[0]
        d = dt.date.fromisoformat(bd)
        if age_on(w.bdate, d) < 18:
            continue
        pop.used_ids.add(idno)
        pop.new_birth(wid=w.wid, name=name, sex=sex, date=d, order=0, cid=idno, period="pre")
    # women without a birth (wives of childbearing age): rows of a WIS export by woman with no child
    for pid, name, idno, bd, hh, vcode, addr, hid in con.execute(
            "select p.id, p.name, p.id_number, p.birth_date, h.household_code, h.village_code, "
            "h.address_detail, h.id from person p join household h on h.id = p.household_id "
            "where p.deleted = 0 and p.sex = '2' and p.relation_to_head = '12' "
            "and p.birth_date between '1980-01-01' and '2004-12-31' and p.id_number != '' "
            "and p.id not in (select mother_id from birth)"):
        if rng.random() < 0.15:
            pop.used_ids.add(idno)
            w = pop.new_woman(rng, name=name, idno=idno, bdate=dt.date.fromisoformat(bd), vcode=vcode,
                              vname=pop.vname.get(vcode, ""), group=int(hh[12:14]), hh=hh,
                              addr=f"正定县新安镇{pop.vname.get(vcode, '')}{addr}", hus="", hus_id="",
                              on_forms=True)
            pop.childless.append(w.wid)
    con.close()
    _orders_pre(pop)
    return pop


def _orders_pre(pop):
    """Birth order of the older children: ranked before the mother's first window birth."""
    by_w = {}
    for b in pop.births:
        by_w.setdefault(b.wid, []).append(b)
    for wid, bs in by_w.items():
        pre = sorted((b for b in bs if b.period == "pre"), key=lambda b: b.date)
        win = [b for b in bs if b.period != "pre"]
        first = min((b.order for b in win), default=len(pre) + 1)
        # the forms say how many came before: keep the youngest ones of those
        pre_keep = pre[-(first - 1):] if first > 1 else []
        for b in pre:
            if b not in pre_keep:
                b.real = False          # not her child after all (a nephew, a step-child): drop
                b.period = "drop"
        for i, b in enumerate(pre_keep):
            b.order = i + 1
    pop.births = [b for b in pop.births if b.period != "drop"]
    for i, b in enumerate(pop.births):
        b.tid = i + 1


# ---------------------------------------------------------------- scenario noforms
def generate(rng, target: int) -> Pop:
    pop = Pop()
    vweights = [rng.uniform(0.5, 2.0) for _ in pop.villages]
    serial = {}
    far = FAR_AREAS
    while sum(1 for b in pop.births if b.in_window) < target:
        vcode = rng.choices([c for c, _ in pop.villages], vweights)[0]
        group = rng.randint(1, 9)
        serial[(vcode, group)] = serial.get((vcode, group), 0) + 1
        s = serial[(vcode, group)]
        hh = f"{vcode}{group:02d}{s:04d}"
        hus_sur = rng.choice(SURNAMES)
        wbd = dt.date(1978, 1, 1) + dt.timedelta(days=rng.randrange(365 * 25))
        hbd = wbd + dt.timedelta(days=rng.randint(-400, 365 * 5))
        r = rng.random()
        if r < 0.06:
            res, warea = "inflow", rng.choice(far)
            harea = warea if rng.random() < 0.7 else rng.choice(far)
        else:
            res = "outflow" if rng.random() < 0.08 else "local"
            warea = COUNTY if rng.random() < 0.85 else rng.choice(NEAR_COUNTIES + far[:3])
            harea = COUNTY
        w = pop.new_woman(
            rng, name=full_name(rng, "2"), idno=make_id(warea, wbd, "2", rng, pop.used_ids),
            bdate=wbd, vcode=vcode, vname=pop.vname[vcode], group=group, hh=hh,
            addr=_addr(pop, vcode, group, rng.randint(1, 160)), hus=hus_sur + given_name(rng, "1"),
            hus_id=make_id(harea, hbd, "1", rng, pop.used_ids), res=res)
        w.phone = _phone(rng)
        # her births: marriage at 20-28, first child 10-30 months later, spacing 14-80 months
        nkids = rng.choices([0, 1, 2, 3, 4], [8, 33, 43, 13, 3])[0]
        if nkids == 0:
            pop.childless.append(w.wid)
            continue
        d = add_months(wbd, rng.randint(20 * 12, 28 * 12) + rng.randint(10, 30))
        d += dt.timedelta(days=rng.randrange(28))
        order = 0
        for _ in range(nkids):
            if d > EXPORT or age_on(wbd, d) > 43:
                break
            twins = rng.random() < 0.015
            for t in range(2 if twins else 1):
                order += 1
                sex = "1" if rng.random() < 0.52 else "2"
                hukou = rng.random() < 0.97
                carea = COUNTY if res != "inflow" else harea
                cid = make_id(carea, d, sex, rng, pop.used_ids) if hukou else ""
                per = "pre" if d < WIN_START else ("win" if d <= AS_OF else "post")
                pop.new_birth(wid=w.wid, name=hus_sur + given_name(rng, sex), sex=sex, date=d,
                              order=order, plural=2 if twins else 1, tidx=t + 1,
                              cert=pop.new_cert(rng) if d.year >= 1996 else "", cid=cid, period=per)
            d = add_months(d, rng.randint(14, 80)) + dt.timedelta(days=rng.randrange(28))
    return pop


# ---------------------------------------------------------------- planting
DATE_KINDS = [("day", 25), ("swap", 20), ("year", 15), ("month", 15), ("lunar", 15), ("digit", 10)]


def wrong_date(rng, d: dt.date, kind: str) -> dt.date | None:
    if kind == "day":
        x = d + dt.timedelta(days=rng.choice([-3, -2, -1, 1, 2, 3]))
    elif kind == "swap":
        if d.day > 12 or d.day == d.month:
            return None
        x = safe_date(d.year, d.day, d.month)
    elif kind == "year":
        x = safe_date(d.year + rng.choice([-1, 1]), d.month, d.day)
    elif kind == "month":
        m = rng.choice([k for k in range(1, 13) if k != d.month])
        x = safe_date(d.year, m, d.day)
    elif kind == "lunar":
        lu = lunardate.LunarDate.fromSolarDate(d.year, d.month, d.day)
        x = safe_date(lu.year, lu.month, lu.day)
    elif kind == "digit":
        s = f"{d:%Y%m%d}"
        i = rng.choice([3, 6, 7])        # last digit of the year, or a digit of the day
        s = s[:i] + str((int(s[i]) + rng.choice([1, 2, -1])) % 10) + s[i + 1:]
        x = safe_date(int(s[:4]), int(s[4:6]), int(s[6:]))
        if x and (abs((x - d).days) <= 3 or x.day == d.day and x.month == d.month):
            return None   # that would be a day slip or a year off: not this kind
    else:
        raise ValueError(kind)
    if x is None or x == d or x > EXPORT - dt.timedelta(days=10):
        return None
    return x


def plant(pop: Pop, rng, scenario: str):
    W = [b for b in pop.births if b.period == "win" and b.real]
    nW = len(W)
    pop.stats = {"window births (forms or generated)": nW}
    women = pop.women
    pop_wids = [w.wid for w in women.values() if w.kind == "pop"]

    # --- migrants: some local families work in the cities (their children are not on local rolls)
    if scenario == "forms":
        for w in women.values():
            if w.res == "local" and rng.random() < 0.08:
                w.res = "outflow"
        for w in women.values():
            w.phone = _phone(rng)
    for w in women.values():
        w.wis_id15 = w.bdate.year < 1985 and rng.random() < 0.25
        if rng.random() < 0.15:
            w.grand = (w.hus[0] + given_name(rng, "1") if w.hus else full_name(rng, "1"),
                       make_id(COUNTY, w.bdate - dt.timedelta(days=rng.randint(9000, 11000)), "1",
                               rng, pop.used_ids))
        w.hukou_no = f"{rng.randrange(10**9):09d}"

    # --- deliveries (twins kept together) for omissions
    deliveries = {}
    for b in W:
        deliveries.setdefault((b.wid, b.date), []).append(b)
    dl = list(deliveries.values())
    rng.shuffle(dl)
    n_om = round(0.03 * nW)
    omitted = []
    for grp in dl:
        if len(omitted) >= n_om:
            break
        omitted.extend(grp)
    for b in omitted:
        b.expected, b.sub = "omission", ("omission:on_forms" if scenario == "forms" else "omission:on_lists")
    rest = [b for b in W if b.expected == "consistent"]
    rng.shuffle(rest)
    n_mis = round(0.03 * nW)
    mis = rest[:n_mis]
    # spread evenly: 40 % the date, 20 % each the sex, 孩次 and the mother
    nd, ns, no = round(0.4 * len(mis)), round(0.2 * len(mis)), round(0.2 * len(mis))
    kinds = ["birth_date"] * nd + ["sex"] * ns + ["birth_order"] * no + ["mother"] * (len(mis) - nd - ns - no)
    rng.shuffle(kinds)
    # and the date's mistakes over their kinds, in proportion
    total = sum(w for _, w in DATE_KINDS)
    pop.date_kinds = [k for k, w in DATE_KINDS for _ in range(max(1, round(nd * w / total)))]
    rng.shuffle(pop.date_kinds)
    for b, k in zip(mis, kinds):
        b.expected, b.field = "misreport", k
        b.sub = f"misreport:{k}"
    # a day-month swap needs a day of 12 or less: give those kinds to the births that allow them
    dated = [b for b in mis if b.field == "birth_date"]
    swaps = [k for k in pop.date_kinds if k == "swap"]
    others = [k for k in pop.date_kinds if k != "swap"]
    ok = [b for b in dated if b.date.day <= 12 and b.date.day != b.date.month]
    for b in ok[:len(swaps)]:
        b.date_kind = "swap"
    for b in dated:
        if not hasattr(b, "date_kind"):
            b.date_kind = others.pop() if others else None

    # --- hidden births (neither forms nor WIS) and births after the window, to known mothers
    def next_birth(w_id, lo, hi):
        ks = pop.kids(w_id)
        last = max((b.date for b in ks), default=None)
        start = max(lo, add_months(last, 14) if last else lo,
                    add_months(women[w_id].bdate, 12 * 20))
        if start > hi or age_on(women[w_id].bdate, start) > 44:
            return None
        return start + dt.timedelta(days=rng.randrange((hi - start).days + 1))

    def add_child(w, d, per, **kw):
        ks = pop.kids(w.wid)
        sex = "1" if rng.random() < 0.52 else "2"
        sur = w.hus[0] if w.hus else w.name[0]
        order = max((b.order for b in ks), default=0) + 1
        return pop.new_birth(wid=w.wid, name=sur + given_name(rng, sex), sex=sex, date=d, order=order,
                             cert=pop.new_cert(rng), period=per, **kw)

    n_hid = max(1, round(0.01 * nW))
    hidden = []
    tries = 0
    while len(hidden) < n_hid and tries < 10000:
        tries += 1
        if rng.random() < 0.6:
            w = women[rng.choice(pop_wids)]
            if w.res == "inflow":
                continue
            d = next_birth(w.wid, dt.date(2017, 1, 1), AS_OF - dt.timedelta(days=30))
            if d is None:
                continue
            sub = "omission:hidden_known_mother"
        else:
            vcode = rng.choice(pop.villages)[0]
            wbd = dt.date(1985, 1, 1) + dt.timedelta(days=rng.randrange(365 * 16))
            g = rng.randint(1, 9)
            w = pop.new_woman(rng, name=full_name(rng, "2"), idno=make_id(COUNTY, wbd, "2", rng, pop.used_ids),
                              bdate=wbd, vcode=vcode, vname=pop.vname[vcode], group=g, hh="",
                              addr=_addr(pop, vcode, g, rng.randint(1, 160)), hus=full_name(rng, "1"),
                              hus_id="", kind="hidden", phone=_phone(rng))
            w.hukou_no = f"{rng.randrange(10**9):09d}"
            d = next_birth(w.wid, dt.date(2017, 1, 1), AS_OF - dt.timedelta(days=30))
            sub = "omission:hidden_new_mother"
        b = add_child(w, d, "win")
        b.expected, b.sub = "omission", sub
        b.cid = make_id(COUNTY, d, b.sex, rng, pop.used_ids) if rng.random() < 0.5 else ""
        hidden.append(b)

    n_post = max(1, round(0.005 * nW))
    post = 0
    for _ in range(2000):
        if post >= n_post:
            break
        w = women[rng.choice(pop_wids)]
        d = next_birth(w.wid, AS_OF + dt.timedelta(days=1), EXPORT - dt.timedelta(days=10))
        if d:
            b = add_child(w, d, "post")
            b.cid = make_id(COUNTY, d, b.sex, rng, pop.used_ids) if rng.random() < 0.6 and w.res != "inflow" else ""
            b.expected, b.sub = "none", "none:after_window"
            post += 1

    # --- births of mothers from other counties in the county's hospitals
    n_else = round(0.02 * nW)
    anames = areas()
    for _ in range(n_else):
        area = rng.choice(NEAR_COUNTIES) if rng.random() < 0.85 else rng.choice(FAR_AREAS)
        wbd = dt.date(1986, 1, 1) + dt.timedelta(days=rng.randrange(365 * 17))
        sts = streets_of(area)
        st = rng.choice(sts)[1] if sts else ""
        w = pop.new_woman(rng, name=full_name(rng, "2"), idno=make_id(area, wbd, "2", rng, pop.used_ids),
                          bdate=wbd, vcode="", vname="", group=0, hh="",
                          addr=f"{anames.get(area, '')}{st}{rng.choice('东西南北前后')}{rng.choice('庄营村屯')}",
                          hus=full_name(rng, "1"), hus_id="", res="elsewhere", kind="elsewhere",
                          phone=_phone(rng))
        d = WIN_START + dt.timedelta(days=rng.randrange((AS_OF - WIN_START).days - 20))
        d = max(d, dt.date(2017, 1, 1))
        b = add_child(w, d, "win")
        b.order = rng.choices([1, 2, 3], [50, 40, 10])[0]
        b.expected, b.sub = "elsewhere", "elsewhere"
        b.hosp = True

    # --- false WIS records
    n_false = round(0.015 * nW)
    fakes = 0
    for _ in range(20000):
        if fakes >= n_false:
            break
        if rng.random() < 0.6:
            w = women[rng.choice(pop_wids)]
            if not pop.kids(w.wid):
                continue
            d = next_birth(w.wid, WIN_START, AS_OF - dt.timedelta(days=20))
            if d is None:
                continue
            b = add_child(w, d, "win")
            b.sub = "false:known_mother"
        else:
            vcode = rng.choice(pop.villages)[0]
            wbd = dt.date(1984, 1, 1) + dt.timedelta(days=rng.randrange(365 * 17))
            g = rng.randint(1, 9)
            w = pop.new_woman(rng, name=full_name(rng, "2"), idno=make_id(COUNTY, wbd, "2", rng, pop.used_ids),
                              bdate=wbd, vcode=vcode, vname=pop.vname[vcode], group=g, hh="",
                              addr=_addr(pop, vcode, g, rng.randint(1, 160)), hus=full_name(rng, "1"),
                              hus_id="", kind="wisonly")
            d = WIN_START + dt.timedelta(days=rng.randrange((AS_OF - WIN_START).days - 20))
            b = add_child(w, d, "win")
            b.sub = "false:woman_only_in_wis"
        b.real, b.expected, b.cert = False, "false", ""
        b.cid = make_id(COUNTY, b.date, b.sex, rng, pop.used_ids) if rng.random() < 0.5 else ""
        fakes += 1

    # --- who is where; deaths; names
    for b in pop.births:
        w = women[b.wid]
        if not b.real:
            continue
        if b.period != "post" and b.expected != "elsewhere" and rng.random() < 0.01 and b.period == "win":
            b.alive = False
            b.death = min(b.date + dt.timedelta(days=rng.randint(3, 1200)), EXPORT - dt.timedelta(days=5))
            b.features.add("died")
        if b.expected != "elsewhere":
            p = {"local": 0.85, "outflow": 0.35, "inflow": 0.4}.get(w.res, 0.6)
            if w.kind == "hidden":
                p = 0.6
            b.hosp = rng.random() < p
        if b.plural > 1:
            b.features.add("twin")
        if w.res in ("inflow", "outflow"):
            b.features.add(w.res)
        if getattr(w, "wis_id15", False):
            b.features.add("wis_mother_id15")
        if not b.cid:
            b.features.add("no_child_id")
        if b.date.year >= 2005 and not b.cert:
            b.cert = pop.new_cert(rng)
    # twins: distinct names
    for grp in _twin_groups(pop):
        if len({b.name for b in grp}) < len(grp):
            for b in grp[1:]:
                b.name = b.name[0] + given_name(rng, b.sex, 2)
    for b in pop.births:
        if not b.real:
            continue
        r = rng.random()
        if r < 0.10:
            kind = rng.choice(["homophone", "homophone", "similar", "drop", "add"])
            v = name_variant(rng, b.name, kind, b.sex)
            if v and v != b.name:
                b.alias = v
                b.features.add(f"name_{kind}")
        elif r < 0.13 and b.expected != "elsewhere":
            b.old_name = b.name[0] + given_name(rng, b.sex)    # renamed since the certificate
            if b.old_name != b.name:
                b.features.add("renamed")
            else:
                b.old_name = ""

    # --- the lists each birth is on, and what each list says
    for b in pop.births:
        assign_lists(pop, b, rng)

    # --- WIS records (and their errors)
    for b in pop.births:
        _wis_record(pop, b, rng)

    # a misreport whose planted error could not be made is a consistent birth
    for b in pop.births:
        if b.expected == "misreport" and b.wis is None:
            b.expected, b.sub, b.field = "consistent", "", ""
    # births that no source but WIS knows (in noforms), or no source at all
    for b in pop.births:
        if b.period != "win":
            continue
        srcs = set(b.rec) | ({"forms"} if b.form_uid else set())
        others = srcs - {"wis"}
        if b.real and b.wis is not None and not others:
            b.features.add("only_in_wis")     # real, but no source confirms it: looks false
        if b.expected == "omission" and not others:
            b.features.add("no_source")       # not knowable
        if b.expected == "omission" and others and others <= {"birth_cert", "delivery"} \
                and not pop.women[b.wid].idno.startswith(COUNTY):
            b.features.add("looks_elsewhere")  # only on the hospital's lists, mother's ID of another county
    pop.stats.update({
        "omission (forms/lists)": len(omitted), "hidden (no forms, no WIS)": len(hidden),
        "misreport": sum(b.expected == "misreport" for b in pop.births),
        "false": fakes, "elsewhere": n_else, "after the window": post,
        "before the window": sum(b.period == "pre" for b in pop.births)})


def _twin_groups(pop):
    g = {}
    for b in pop.births:
        if b.plural > 1:
            g.setdefault((b.wid, b.date), []).append(b)
    return g.values()


def alive_on(b, d):
    return b.alive or (b.death and b.death > d)


def assign_lists(pop, b, rng):
    w = pop.women[b.wid]
    if not b.real:
        return
    lives = w.res in ("local", "inflow") and w.kind in ("pop", "hidden")
    on = set()
    if b.expected == "elsewhere":
        on.add("birth_cert") if rng.random() < 0.9 else None
        if rng.random() < 0.8 or not on:
            on.add("delivery")
    else:
        if b.hosp and b.date >= dt.date(2016, 1, 1) and b.date <= EXPORT - dt.timedelta(days=7):
            on.add("birth_cert")
        if b.hosp and b.date >= dt.date(2018, 1, 1) and rng.random() < 0.9:
            on.add("delivery")
        if lives and alive_on(b, EXPORT) and b.date >= dt.date(2019, 10, 16) and rng.random() < 0.95:
            on.add("vaccination")
        if lives and alive_on(b, ROLL) and dt.date(2019, 9, 1) <= b.date <= dt.date(2022, 8, 31) \
                and rng.random() < 0.85:
            on.add("kindergarten")
        if lives and alive_on(b, ROLL) and dt.date(2013, 9, 1) <= b.date <= dt.date(2019, 8, 31) \
                and rng.random() < 0.97:
            on.add("school")
        if w.res in ("local", "outflow") and b.cid and alive_on(b, EXPORT) and rng.random() < 0.98 \
                and b.date <= EXPORT - dt.timedelta(days=20):
            on.add("police_hukou")
        if b.expected == "omission" and b.sub.startswith("omission:hidden") and not on:
            on.add("vaccination" if b.date >= dt.date(2019, 10, 16) else "birth_cert")
    if b.alias:
        cand = sorted(on) + ["wis"]
        k = min(len(cand), max(2, rng.randint(1, len(cand))))
        b.alias_lists = set(rng.sample(cand, k))
    for kind in sorted(on):
        name = b.old_name if (b.old_name and kind in ("birth_cert", "delivery")) else b.name
        if b.alias and kind in b.alias_lists and not (b.old_name and kind in ("birth_cert", "delivery")):
            name = b.alias
        r = {"name": name, "date": b.date, "sex": b.sex}
        if kind == "birth_cert" and rng.random() < 0.08:
            r["name"] = "" if rng.random() < 0.5 else w.name + ("之子" if b.sex == "1" else "之女")
            b.features.add("unnamed_cert")
        if kind == "vaccination":
            if rng.random() < 0.03:
                r["name"] = w.name + ("之子" if b.sex == "1" else "之女")
                b.features.add("unnamed_vacc")
            if rng.random() < 0.10:
                r["date"] = b.date + dt.timedelta(days=rng.choice([-2, -1, 1, 2]))
                b.features.add("vacc_date_off")
        b.rec[kind] = r


def _wis_record(pop, b, rng):
    w = pop.women[b.wid]
    if b.expected in ("omission", "elsewhere"):
        return
    if b.real and b.period == "pre" and rng.random() < 0.05:
        return
    if b.period == "post" and rng.random() < 0.4:
        return
    name = b.alias if (b.alias and "wis" in b.alias_lists) else b.name
    rec = {"name": name, "sex": b.sex, "date": b.date, "order": b.order, "wid": b.wid,
           "cid": b.cid if (b.cid and rng.random() < 0.85) else ""}
    if b.expected == "misreport":
        f = b.field
        if f == "birth_date":
            want = getattr(b, "date_kind", None)
            for i in range(30):
                k = want if (want and i < 10) else rng.choices([k for k, _ in DATE_KINDS],
                                                               [x for _, x in DATE_KINDS])[0]
                x = wrong_date(rng, b.date, k)
                if x:
                    rec["date"], b.sub = x, f"misreport:birth_date:{k}"
                    break
            else:
                b.expected, b.sub, b.field = "consistent", "", ""
        elif f == "sex":
            rec["sex"] = "2" if b.sex == "1" else "1"
            if rec["cid"] and rng.random() < 0.5:
                rec["cid"] = ""      # the clerk keyed the sex by hand, no child ID
        elif f == "birth_order":
            rec["order"] = b.order + (1 if b.order == 1 or rng.random() < 0.6 else -1)
        elif f == "mother":
            others = [x for x in pop.women.values() if x.kind == "pop" and x.vcode == w.vcode
                      and x.wid != w.wid and abs((x.bdate - w.bdate).days) < 365 * 12]
            same_sur = [x for x in others if x.hus and w.hus and x.hus[0] == w.hus[0]]
            pool = same_sur or others
            if pool:
                rec["wid"] = rng.choice(pool).wid
                b.sub = "misreport:mother:" + ("same_surname" if same_sur else "same_village")
            else:
                b.expected, b.sub, b.field = "consistent", "", ""
    b.wis = rec
    b.rec["wis"] = {"name": rec["name"], "date": rec["date"], "sex": rec["sex"]}
