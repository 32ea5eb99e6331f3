"""A synthetic township population for the demo, tests and benchmarks.

Seeded and given its reference date (``as_of``) explicitly: the same arguments give the same
population, and nothing here reads today's date. Households live in the office's real villages;
ID numbers are valid GB 11643 numbers with the office's real county code (migrants: other real
counties); surnames follow a Zipf-like weighting; women have births in the ten years before
``as_of`` with birth certificates, birth orders and the GB/T 4761 relation codes that carry the order.

Twins (two children of one mother on the same day, other names), same-name strangers (few given
names, Zipf surnames) and old 15-digit ID numbers are in it, as duplicate search must tell them
apart; :func:`inject` and :data:`ERROR_KINDS` put keying errors into copies of its records, with
the truth kept, for tests and ``bench/dedup.py``.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from . import idnumber
from .dates import add_years
from .errors import OperatorError
from .households import BirthInput, HouseholdInput, MemberInput, MigrationInput, WomanInput

SURNAMES = (
    "王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 胡 朱 高 林 何 郭 马 罗 梁 宋 郑 谢 韩 唐 冯 于 董 萧 程 曹 袁 邓 "
    "许 傅 沈 曾 彭 吕 苏 卢 蒋 蔡 贾 丁 魏 薛 叶 阎 余 潘 杜 戴 夏 钟 汪 田 任 姜 范 方 石 姚 谭 廖 邹 熊 "
    "金 陆 郝 孔 白 崔 康 毛 邱 秦 江 史 顾 侯 邵 孟 龙 万 段 单 欧阳 司马"
).split()
GIVEN_MALE = (
    "伟 强 磊 军 勇 杰 涛 明 超 刚 平 辉 鹏 华 飞 鑫 波 宇 浩 凯 健 俊 帆 帅 旭 宁 龙 林 阳 "
    "建 国 志 文 海 东 峰 亮 成 博 然 轩 睿 泽 铭 子 豪 晨 磊 刚 振 德 福"
).split()
GIVEN_FEMALE = (
    "芳 娜 敏 静 丽 艳 娟 霞 秀 英 玲 燕 红 梅 琳 雪 婷 慧 颖 洁 萍 欣 怡 涵 梓 萱 悦 诗 雨 晨 "
    "琪 佳 妍 可 馨 兰 桂 凤 春 月"
).split()
# Real GB/T 2260 counties that migrants come from (code, name).
MIGRANT_ORIGINS = (
    ("410102", "河南省郑州市中原区"),
    ("340104", "安徽省合肥市蜀山区"),
    ("510104", "四川省成都市锦江区"),
    ("130102", "河北省石家庄市长安区"),
    ("110105", "北京市朝阳区"),
)
OUTFLOW_PLACES = (
    "广东省东莞市长安镇上沙社区振安路18号",
    "北京市朝阳区十八里店乡吕家营村",
    "天津市滨海新区塘沽街道新华路6号",
    "浙江省义乌市稠城街道宾王路102号",
    "河北省石家庄市长安区建北街道中山东路55号",
)
CONTRACEPTIONS = ("03", "03", "03", "02", "06", "05", "04")
SONS = ("22", "23", "24", "25", "26")
DAUGHTERS = ("32", "33", "34", "35", "36")
CERT_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"
TWIN_RATE = 0.02  # about one birth in 50 is a twin birth (both children registered, plurality 2)
LEGACY_ID_RATE = 0.05  # persons born before 1975 still registered with a 15-digit number


@dataclass
class _Person:
    name: str
    sex: str
    born: dt.date
    region: str
    relation: str
    residence: str = "1"
    hukou_text: str = ""
    married: bool = False


class Population:
    """Generate households for an office.

    ``county_code`` (6 digits) is used in locals' ID numbers; ``villages`` are 12-digit village codes;
    ``as_of`` is the reference date (births fall in the ten years before it).
    """

    def __init__(self, county_code: str, villages: list[str], as_of: dt.date, seed: int = 1):
        if not villages:
            raise ValueError("need at least one village")
        self.county = county_code
        self.villages = villages
        self.as_of = as_of
        self.rng = random.Random(seed)
        self.used_ids: set[str] = set()
        self.used_certs: set[str] = set()
        self.surname_weights = [1 / (rank + 1) ** 0.9 for rank in range(len(SURNAMES))]
        self.next_group_serial: dict[tuple[str, str], int] = {}

    def _date(self, start: dt.date, end: dt.date) -> dt.date:
        days = max((end - start).days, 0)
        return start + dt.timedelta(days=self.rng.randint(0, days))

    def _surname(self) -> str:
        return self.rng.choices(SURNAMES, self.surname_weights)[0]

    def _given(self, sex: str) -> str:
        pool = GIVEN_MALE if sex == "1" else GIVEN_FEMALE
        return "".join(self.rng.choice(pool) for _ in range(self.rng.choice((1, 2, 2, 2))))

    def _id(self, p: _Person) -> str:
        """A valid ID number not used before; 500 sequence numbers per birth date and sex (GB 11643)."""
        for _ in range(5000):
            seq = self.rng.randrange(0, 500) * 2 + (1 if p.sex == "1" else 0)  # odd for men (GB 11643)
            number = idnumber.make(p.region, p.born, seq)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number
        raise ValueError(f"{p.region} {p.born} 的身份证顺序码已用完：同一天出生的人太多")

    def _cert(self) -> str:
        while True:
            cert = self.rng.choice(CERT_LETTERS) + f"{self.rng.randrange(10**9):09d}"
            if cert not in self.used_certs:
                self.used_certs.add(cert)
                return cert

    def household(self) -> HouseholdInput:
        """One household: a head, usually a wife, children, sometimes a parent; births in the window."""
        rng = self.rng
        migrant = rng.random() < 0.04
        region, hukou_text = rng.choice(MIGRANT_ORIGINS) if migrant else (self.county, "")
        residence = "3" if migrant else "1"
        surname = self._surname()
        head_born = self._date(dt.date(1950, 1, 1), add_years(self.as_of, -22))
        head = _Person(surname + self._given("1"), "1", head_born, region, "02", residence, hukou_text)
        people = [head]
        wife: _Person | None = None
        births: list[BirthInput] = []
        if rng.random() < 0.85:
            wife_born = self._date(head_born + dt.timedelta(days=-3 * 365), head_born + dt.timedelta(days=5 * 365))
            if wife_born > add_years(self.as_of, -20):  # at least 20: redrawn, not clamped (a clamp piles
                wife_born = self._date(add_years(self.as_of, -26), add_years(self.as_of, -20))  # thousands on one day)
            wife = _Person(
                self._surname() + self._given("2"), "2", wife_born, region, "12", residence, hukou_text, married=True
            )
            head.married = True
            people.append(wife)
            wife_pos = len(people)
            window_start = add_years(self.as_of, -10)
            first = add_years(wife_born, 21)
            born = self._date(first, first + dt.timedelta(days=5 * 365))
            sons = daughters = 0
            order = 0  # the mother's live births so far (twins counted one by one)
            for _ in range(rng.choice((1, 1, 2, 2, 2, 3))):
                if born > self.as_of - dt.timedelta(days=30) or (born - wife_born).days > 45 * 365:
                    break
                sex = rng.choice("12")
                if sex == "1":
                    relation, sons = SONS[min(sons, 4)], sons + 1
                else:
                    relation, daughters = DAUGHTERS[min(daughters, 4)], daughters + 1
                child = _Person(surname + self._given(sex), sex, born, region, relation, residence, hukou_text)
                if rng.random() < 0.08 and (self.as_of - born).days > 18 * 365:
                    child.residence = "2"  # 户在人不在: working elsewhere
                people.append(child)
                order += 1
                twins = [child]
                if rng.random() < TWIN_RATE:  # 双胞胎: a second child the same day, another name
                    sex2 = rng.choice("12")
                    if sex2 == "1":
                        relation2, sons = SONS[min(sons, 4)], sons + 1
                    else:
                        relation2, daughters = DAUGHTERS[min(daughters, 4)], daughters + 1
                    given = self._given(sex2)
                    while surname + given == child.name:
                        given = self._given(sex2)
                    twins.append(_Person(surname + given, sex2, born, region, relation2, residence, hukou_text))
                    people.append(twins[-1])
                    order += 1
                if born >= window_start:
                    for index, kid in enumerate(twins, start=1):
                        births.append(
                            BirthInput(
                                mother=wife_pos,
                                child=people.index(kid) + 1,
                                father=1,
                                birth_order=order - len(twins) + index,
                                birth_cert_no=self._cert()
                                if born >= dt.date(1996, 1, 1) and rng.random() < 0.95
                                else "",
                                plurality=len(twins),
                                plurality_index=index,
                            )
                        )
                born = born + dt.timedelta(days=rng.randint(400, 6 * 365))
        if rng.random() < 0.25 and head_born.year > 1965:
            mother_born = self._date(add_years(head_born, -35), add_years(head_born, -20))
            people.append(
                _Person(self._surname() + self._given("2"), "2", mother_born, region, "52", residence, hukou_text)
            )
        village = rng.choice(self.villages)
        group = f"{rng.randint(1, 8):02d}"
        key = (village, group)
        serial = self.next_group_serial.get(key, 0) + 1
        self.next_group_serial[key] = serial
        members = []
        for p in people:
            age = self.as_of.year - p.born.year - ((self.as_of.month, self.as_of.day) < (p.born.month, p.born.day))
            number = self._id(p)
            if p.born.year < 1975 and rng.random() < LEGACY_ID_RATE:  # an old 15-digit card never replaced
                number = number[:6] + number[8:17]
            m = MemberInput(
                name=p.name,
                id_number=number,
                relation_to_head=p.relation,
                ethnicity="01" if rng.random() < 0.97 else rng.choice(("03", "11", "06")),
                residence_status=p.residence,
                hukou_place_text=p.hukou_text,
                marital_status="20" if p.married else ("10" if age >= 15 else ""),
                education=rng.choice(("71", "71", "61", "81", "31", "21")) if age >= 16 else "",
            )
            if p.married and p.sex == "2" and 15 <= age <= 49:
                method = rng.choice(CONTRACEPTIONS)
                m.fp = WomanInput(
                    contraception=method,
                    contraception_start=f"{min(max(p.born.year + 23, self.as_of.year - 12), self.as_of.year - 1)}0601",
                )
            if p.residence == "2":
                m.migrations.append(
                    MigrationInput(
                        direction="2",
                        move_date=self._date(add_years(self.as_of, -5), self.as_of).strftime("%Y%m"),
                        reason="001",
                        current_address=rng.choice(OUTFLOW_PLACES),
                    )
                )
            if p.residence == "3":
                m.migrations.append(
                    MigrationInput(
                        direction="1",
                        move_date=self._date(add_years(self.as_of, -6), self.as_of).strftime("%Y%m"),
                        reason=rng.choice(("001", "002")),
                        hukou_place_code=p.region,
                    )
                )
            members.append(m)
        return HouseholdInput(
            village_code=village,
            group_no=group,
            address_detail=f"{group}组{serial}号",
            form_no=f"{len(self.used_ids):05d}",
            members=members,
            births=births,
            serial=serial,
        )

    def households(self, n: int) -> Iterator[HouseholdInput]:
        """``n`` households, one after another."""
        for _ in range(n):
            yield self.household()


def fill(
    n: int, *, as_of: dt.date, seed: int = 1, progress: Callable[[int, int], None] | None = None, duplicates: int = 0
) -> int:
    """Add ``n`` synthetic households to the open database, through the form's own save path, and
    ``duplicates`` persons registered a second time (a one-person household elsewhere, the name or
    birth date keyed with an error of :data:`ERROR_KINDS` and no ID number), as the duplicate
    review finds them in real offices.

    Returns the number of persons written. ``progress(done, n)`` is called every 25 households.
    """
    from .db import write_txn
    from .households import dup_key, save_household
    from .models import Office
    from .office import villages

    office = Office.get()
    pop = Population(office.county_code, [v.code for v in villages()], as_of, seed)
    persons = 0
    adults: list[tuple[MemberInput, str]] = []
    with write_txn():
        for i, h in enumerate(pop.households(n), start=1):
            h.serial = None  # let the database number it, as the form does
            save_household(h, reason="演示数据", today=as_of, confirmed_ids=frozenset(dup_key(m) for m in h.members))
            persons += len(h.members)
            adults.extend((m, h.village_code) for m in h.members if m.relation_to_head == "02")
            if progress and (i % 25 == 0 or i == n):
                progress(i, n)
        kinds = ("homophone", "similar_shape", "given_swapped", "surname_misread", "day_month_swap", "clean")
        for m, village in pop.rng.sample(adults, min(duplicates, len(adults))):
            info = idnumber.parse(m.id_number)
            truth = ProbeRecord(m.name, m.id_number, info.sex or "", info.birth_date, "", "clean", None)
            rec = next((r for r in (inject(truth, k, pop.rng) for k in pop.rng.sample(kinds, len(kinds))) if r), truth)
            assert rec.birth_date is not None  # every generated ID number is valid, and inject keeps a date
            twice = MemberInput(rec.name, "", "02", sex=rec.sex, birth_date=rec.birth_date.strftime("%Y%m%d"))
            again = HouseholdInput(village, f"{pop.rng.randint(1, 9):02d}", "暂住", "", [twice])
            save_household(
                again,
                reason="演示数据：重复登记",
                today=as_of,
                confirmed_ids=frozenset({dup_key(twice)}),
                remember_different=False,
            )  # left open for the review
            persons += 1
    return persons


# ---------------------------------------------------------------------------- error injection
ERROR_KINDS = (
    "clean",
    "homophone",
    "similar_shape",
    "given_swapped",
    "surname_misread",
    "id_digit",
    "id_swap",
    "day_month_swap",
    "mother_id",
    "missing_name",
    "drop_char",
    "date_days",
    "date_year",
    "date_month",
    "lunar",
    "sex",
    "no_id",
    "id_excel",
    "date_day_unknown",
)
"""What a second record of the same person may get wrong (issue 5): a homophone in the given name,
a character of similar shape, the given name's two characters swapped, the surname read another
way, one wrong ID digit, two adjacent ID digits swapped, day and month swapped, a child given its
mother's ID number, no name (某某之女); and (issue 16) a character of the given name dropped
(李艳勇 → 李艳), the birth date 1–10 days off, a year off, in another month, 20–50 days later (a
lunar birthday keyed as the solar date), the sex keyed wrong, no ID number. The date and sex errors
come without the ID number, which would carry the right ones; a number a spreadsheet cut to 15
digits (the last three written as 000); a birth date whose day was not known, keyed as the 1st."""

RATES = {"clean": 0.005, "typical": 0.03, "messy": 0.10}
"""Per-field error rates of the three data sets (issue 5)."""

SIMILAR_SHAPE = {
    "王": "玉",
    "玉": "王",
    "己": "已",
    "已": "己",
    "未": "末",
    "末": "未",
    "刁": "刀",
    "宫": "官",
    "官": "宫",
    "戊": "戌",
    "萧": "肖",
    "肖": "萧",
    "阎": "闫",
    "闫": "阎",
    "傅": "付",
    "付": "傅",
    "侯": "候",
    "钟": "锺",
    "浩": "皓",
    "睿": "叡",
    "晨": "辰",
    "婷": "亭",
    "琳": "淋",
    "娟": "绢",
    "霞": "瑕",
    "梅": "海",
    "杰": "傑",
    "伟": "纬",
    "敏": "繁",
    "明": "朋",
    "丽": "俪",
    "玲": "伶",
    "芳": "方",
    "红": "虹",
    "英": "瑛",
    "平": "苹",
}
"""Characters clerks and scanners confuse by shape (形近字, DATA.md "Names"), with some common name characters."""

SURNAME_MISREAD = {
    "曾": "增",
    "单": "丹",
    "解": "谢",
    "仇": "邱",
    "区": "欧",
    "朴": "瓢",
    "查": "扎",
    "覃": "秦",
    "缪": "苗",
    "盖": "葛",
    "乐": "岳",
    "萧": "肖",
    "阎": "闫",
    "于": "余",
    "吕": "律",
}
"""A surname written from how it was heard: the right reading, another character (曾 zeng → 增)."""


@dataclass(frozen=True)
class ProbeRecord:
    """A record of a person as another list or clerk holds it, with the truth kept: ``true_uid`` is
    the person it stands for (``None`` for a person not in the database), ``kind`` the error put in."""

    name: str
    id_number: str
    sex: str
    birth_date: dt.date | None
    mother_id_number: str
    kind: str
    true_uid: str | None


@lru_cache(maxsize=1)
def _homophone_table() -> dict[str, list[str]]:
    from .names import pinyin

    pool = set("".join(GIVEN_MALE + GIVEN_FEMALE)) | set(
        "晓小萧潇筱笑孝效肖玲灵凌铃龄伶羚琳林麟霖临磊蕾雷垒泪伟维卫玮炜薇蔚微威娜纳那钠敏民闽珉悯"
    )
    by_sound: dict[str, list[str]] = {}
    for c in sorted(pool):
        by_sound.setdefault(pinyin(c), []).append(c)
    return {c: [o for o in by_sound[pinyin(c)] if o != c] for c in pool if len(by_sound[pinyin(c)]) > 1}


def inject(truth: ProbeRecord, kind: str, rng: random.Random, *, mother_name: str = "") -> ProbeRecord | None:
    """``truth`` with one error of ``kind`` put in, or ``None`` when the record cannot carry it (no
    homophone for its characters, no mother for ``mother_id`` …). Only the field the kind names changes."""
    from .names import split

    name, number, born = truth.name, truth.id_number, truth.birth_date
    surname, given = split(name)
    if kind == "clean":
        pass
    elif kind == "homophone":
        table = _homophone_table()
        spots = [i for i, c in enumerate(given) if c in table]
        if not spots:
            return None
        i = rng.choice(spots)
        name = surname + given[:i] + rng.choice(table[given[i]]) + given[i + 1 :]
    elif kind == "similar_shape":
        spots = [i for i, c in enumerate(name) if c in SIMILAR_SHAPE]
        if not spots:
            return None
        i = rng.choice(spots)
        name = name[:i] + SIMILAR_SHAPE[name[i]] + name[i + 1 :]
    elif kind == "given_swapped":
        if len(given) != 2 or given[0] == given[1]:
            return None
        name = surname + given[::-1]
    elif kind == "surname_misread":
        if surname not in SURNAME_MISREAD:
            return None
        name = SURNAME_MISREAD[surname] + given
    elif kind in ("id_digit", "id_swap"):
        if len(number) != 18:
            return None
        if kind == "id_digit":
            i = rng.randrange(17)
            number = number[:i] + rng.choice([d for d in "0123456789" if d != number[i]]) + number[i + 1 :]
        else:
            spots = [i for i in range(17) if number[i] != number[i + 1]]
            i = rng.choice(spots)
            number = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
    elif kind == "day_month_swap":
        from .matchmodel import swapped

        born = swapped(born) if born else None
        if born is None:
            return None
        number = ""  # a list that holds a date holds no ID (the ID would carry the right date)
    elif kind == "mother_id":
        if not truth.mother_id_number:
            return None
        number = truth.mother_id_number
    elif kind == "missing_name":
        if not truth.mother_id_number or not mother_name:
            return None
        name, number = mother_name + ("之子" if truth.sex == "1" else "之女"), ""
    elif kind == "drop_char":
        if len(given) < 2:
            return None
        i = rng.randrange(len(given))
        name = surname + given[:i] + given[i + 1 :]
    elif kind in ("date_days", "date_year", "date_month", "lunar", "date_day_unknown"):
        if born is None or (kind == "date_day_unknown" and born.day == 1):
            return None
        if kind == "date_day_unknown":
            born = born.replace(day=1)
        elif kind == "date_days":
            born = born + dt.timedelta(days=rng.choice((-1, 1)) * rng.randint(1, 10))
        elif kind == "lunar":
            born = born + dt.timedelta(days=rng.randint(20, 50))
        else:
            try:
                if kind == "date_year":
                    born = born.replace(year=born.year + rng.choice((-1, 1)))
                else:
                    born = born.replace(month=rng.choice([m for m in range(1, 13) if m != born.month]))
            except ValueError:  # 29 February, or the 31st of a shorter month
                return None
        number = ""
    elif kind == "sex":
        if truth.sex not in ("1", "2"):
            return None
        number = ""
    elif kind == "id_excel":
        if len(number) != 18 or number.endswith("000"):
            return None
        number = number[:15] + "000"
    elif kind == "no_id":
        if not number:
            return None
        number = ""
    else:
        raise ValueError(f"unknown error kind {kind!r}")
    sex = {"1": "2", "2": "1"}[truth.sex] if kind == "sex" else truth.sex
    return ProbeRecord(name, number, sex, born, truth.mother_id_number, kind, truth.true_uid)


# ---------------------------------------------------------------------------- reference lists for reconciliation
LIST_KINDS = ("wis", "birth_cert", "delivery", "vaccination", "kindergarten", "school", "police_hukou")
TRUTHS = ("consistent", "omission", "false", "misreport", "elsewhere")
"""What a synthetic birth really is (issue 7): in WIS and right; missing from WIS (漏报, also 瞒报:
missing from the forms too); in WIS only and not real (虚报); in WIS with a wrong date, sex, birth
order or mother (错报); born in the county to a mother from elsewhere (not this township's)."""
MISREPORTS = (
    "date_days",
    "date_year",
    "date_month",
    "date_swap",
    "date_lunar",
    "date_far",
    "sex",
    "birth_order",
    "mother",
)
"""What a misreport puts wrong in WIS (issue 12): the date a few days off, a year off, another month,
day and month swapped, the lunar calendar's date, far off; the sex; 孩次; the mother."""
RELATION_WORDS = {
    "02": "户主",
    "10": "配偶",
    "11": "夫",
    "12": "妻",
    "20": "子",
    "22": "长子",
    "23": "次子",
    "24": "三子",
    "30": "女",
    "32": "长女",
    "33": "次女",
    "34": "三女",
    "50": "父母",
    "51": "父亲",
    "52": "母亲",
    "99": "其他",
}
LIST_FILES = {
    "wis": "人口系统育龄妇女导出.xls",
    "birth_cert": "出生医学证明.xlsx",
    "delivery": "住院分娩登记.csv",
    "vaccination": "预防接种花名册.xls",
    "kindergarten": "幼儿园花名册.xls",
    "school": "学生花名册.xlsx",
    "police_hukou": "户籍人口登记.xls",
}
LIST_HEADERS = {
    "wis": (
        "序号",
        "村(居)委会",
        "育龄妇女姓名",
        "身份证号",
        "婚姻状况",
        "丈夫姓名",
        "子女姓名",
        "子女性别",
        "子女出生日期",
        "孩次",
        "节育措施",
    ),
    "birth_cert": (
        "新生儿姓名",
        "性别",
        "出生日期",
        "助产机构",
        "母亲姓名",
        "母亲身份证件号码",
        "父亲姓名",
        "父亲身份证件号码",
        "出生医学证明编号",
    ),
    "delivery": ("住院号", "姓名", "身份证号", "分娩日期", "婴儿性别", "分娩方式", "联系电话"),
    "vaccination": ("儿童姓名", "性别", "出生日期", "母亲姓名", "现住址", "联系电话", "接种单位"),
    "kindergarten": ("幼儿姓名", "性别", "出生年月", "家长姓名", "班级"),
    "school": ("学籍号", "学生姓名", "性别", "出生年月", "身份证号", "家长姓名", "年级"),
    "police_hukou": ("户号", "姓名", "与户主关系", "性别", "民族", "出生日期", "公民身份号码", "住址"),
}


@dataclass
class ListRates:
    """How often each thing happens in :func:`reference_lists` (shares of the forms' births)."""

    omission: float = 0.03  # a birth on the forms missing from WIS
    hidden: float = 0.01  # a birth on neither the forms nor WIS (瞒报), but on health and education lists
    misreport: float = 0.03  # WIS holds a wrong date, sex, birth order or mother (MISREPORTS)
    false: float = 0.01  # WIS holds a child that does not exist
    elsewhere: float = 0.02  # a birth certificate of a child whose mother lives in another county
    name_error: float = (
        0.04  # the child's name miswritten (homophone, similar shape, a character dropped), in several lists
    )
    id_as_number: float = 0.02  # a police row whose ID number a spreadsheet stored as a number


def _some(n: int, rate: float) -> int:
    """``n × rate`` births, at least one when the rate is not zero (a demo of 80 births still shows each case)."""
    return max(1, round(n * rate)) if rate and n else 0


@dataclass
class MadeLists:
    """What :func:`reference_lists` wrote and imported: rows per list kind, the files, the truth
    (:data:`TRUTHS`) of each of the forms' births by uid, and of each list row by ``(kind, row
    number)`` as ``(truth id, truth, what was planted)`` (planted: a :data:`MISREPORTS` item,
    ``name_variant``, ``month_date``, ``id_as_number``, ``unnamed`` … joined by ``+``)."""

    rows: dict[str, int]
    form_truths: dict[str, str]
    files: list = field(default_factory=list)
    row_truths: dict[tuple[str, int], tuple[str, str, str]] = field(default_factory=dict)
    planted: dict[str, str] = field(default_factory=dict)  # truth id → what its WIS record got wrong


def _variant(name: str, rng: random.Random) -> str:
    """``name`` miswritten as lists do: a homophone, a similar shape, or a character of the given name dropped."""
    kind = rng.choice(("homophone", "similar_shape", "dropped"))
    if kind == "dropped":
        return name[:-1] if len(name) >= 3 else name
    wrong = inject(ProbeRecord(name, "", "", None, "", "clean", None), kind, random.Random(rng.random()))
    return wrong.name if wrong else name


def _write_list(path, header: tuple[str, ...], rows: list[list]):
    """Write a list as offices get it: ``.xls`` (xlwt, GBK; dates as text, numbers as numbers),
    ``.xlsx`` (openpyxl) or a GBK ``.csv``; an ``.xls`` of more rows than BIFF holds becomes ``.xlsx``.
    Returns the path written (a ``pathlib.Path``)."""
    from pathlib import Path

    path = Path(path)
    if path.suffix == ".xls" and len(rows) >= 65535:
        path = path.with_suffix(".xlsx")
    if path.suffix == ".xls":
        import xlwt

        book = xlwt.Workbook(encoding="gbk")
        sheet = book.add_sheet("Sheet1")
        for c, h in enumerate(header):
            sheet.write(0, c, h)
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row):
                if v not in (None, ""):
                    sheet.write(r, c, v)
        book.save(str(path))
    elif path.suffix == ".xlsx":
        from openpyxl import Workbook

        from .sources import save_xlsx

        book = Workbook(write_only=True)
        sheet = book.create_sheet("Sheet1")
        sheet.append(list(header))
        for row in rows:
            sheet.append([None if v == "" else v for v in row])
        save_xlsx(book, path)
    else:
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
        path.write_bytes(out.getvalue().encode("gb18030"))
    return path


def reference_lists(
    as_of: dt.date,
    *,
    seed: int = 1,
    rates: ListRates | None = None,
    folder=None,
    progress: Callable[[str], None] | None = None,
) -> MadeLists:
    """Write the seven birth-bearing lists of a township as offices get them (issue 12) from the
    births on the forms of the open database, into ``folder`` (a temporary one when ``None``), and
    import each with :func:`storage.reflists.import_list` (replacing a list of its kind), no
    mapping given:

    - WIS: the P&WIS export by woman, one row per child (村(居)委会, the woman's 身份证号, 丈夫姓名,
      子女…, 孩次, columns hecha does not use), GBK ``.xls``;
    - birth certificates with 母亲身份证件号码 (``.xlsx``, most newborns unnamed or 王芳之女), the
      delivery register by mother (GBK ``.csv``), vaccinations with the day of the first shot
      sometimes (``.xls``, no ID numbers), kindergarten and school rolls with 出生年月 to the month
      and 家长姓名 (mother or father), the police register of whole households with 户号 and
      与户主关系, a few ID numbers stored as numbers;
    - planted: omissions, hidden births, false WIS records, misreports (:data:`MISREPORTS`), births
      to mothers of other counties, a child's name miswritten the same way in several lists.

    Seeded. Returns :class:`MadeLists` with the truth of every forms birth and list row."""
    import tempfile
    from pathlib import Path

    import peewee

    from .divisions import short_name
    from .matchmodel import swapped
    from .models import Birth, Household, Office, Person
    from .office import division_name
    from .reflists import import_list

    rates = rates or ListRates()
    rng = random.Random(seed * 7919 + 17)
    first = add_years(as_of, -10) + dt.timedelta(days=1)
    mother, child, father = Person.alias(), Person.alias(), Person.alias()
    births = list(
        Birth.select(
            Birth.uid,
            Birth.child_sex,
            Birth.birth_date,
            Birth.birth_cert_no,
            Birth.child_status,
            child.name,
            child.id_number,
            mother.name,
            mother.id_number,
            Household.address_detail,
            Birth.birth_order,
            father.name,
            father.id_number,
            Household.village_code,
            Household.id,
        )
        .join(mother, on=(Birth.mother == mother.id))
        .switch(Birth)
        .join(child, on=(Birth.child == child.id))
        .switch(Birth)
        .join(father, peewee.JOIN.LEFT_OUTER, on=(Birth.father == father.id))
        .switch(Birth)
        .join(Household)
        .where(
            (Birth.deleted == False) & (Birth.birth_date >= first.isoformat()) & (Birth.birth_date <= as_of.isoformat())
        )
        .order_by(Birth.id)
        .tuples()
    )
    mothers = sorted({(b[7], b[8], b[13]) for b in births})
    county = Office.get().county_code
    out: dict[str, list[list]] = {k: [] for k in LIST_KINDS}
    truth_rows: dict[str, list[tuple[str, str, str]]] = {k: [] for k in LIST_KINDS}
    certs: set[str] = {b[3] for b in births if b[3]}
    villages: dict[str, str] = {}
    planted: dict[str, str] = {}

    def village_name(code: str) -> str:
        if code not in villages:
            name = short_name(division_name(code) or "")
            villages[code] = rng.choice((name, name + "委会", division_name(code) or name)) if name else ""
        return villages[code]

    def cert() -> str:
        while True:
            c = rng.choice(CERT_LETTERS) + f"{rng.randrange(10**9):09d}"
            if c not in certs:
                certs.add(c)
                return c

    def add(kind: str, row: list, tid: str, truth: str, mark: str = "") -> None:
        out[kind].append(row)
        truth_rows[kind].append((tid, truth, mark))

    def shown(day: dt.date, how: str = "D") -> str:
        return f"{day:%Y%m}" if how == "M6" else f"{day:%Y.%m}" if how == "M." else day.isoformat()

    def others(
        tid: str,
        truth: str,
        name: str,
        sex: str,
        born: dt.date,
        child_id: str,
        m_name: str,
        m_id: str,
        f_name: str,
        f_id: str,
        cert_no: str,
        dead: bool,
        address: str,
        variant: str,
    ) -> None:
        """The health and education records of one child (the police register is written per household)."""
        age = (as_of - born).days / 365.25
        sex_word = {"1": "男", "2": "女"}[sex]

        def called(mark: list[str]) -> str:
            if variant and rng.random() < 0.7:  # the same wrong name in several lists
                mark.append("name_variant")
                return variant
            return name

        if rng.random() < 0.95:
            mark: list[str] = []
            baby = called(mark) if rng.random() < 0.3 else rng.choice(("", f"{m_name}之{'子' if sex == '1' else '女'}"))
            if not baby or baby.endswith(("之子", "之女")):
                mark.append("unnamed")
            add(
                "birth_cert",
                [baby, sex_word, born.isoformat(), "县医院", m_name, m_id, f_name, f_id, cert_no or cert()],
                tid,
                truth,
                "+".join(mark),
            )
        if rng.random() < 0.9:
            add(
                "delivery",
                [
                    f"Z{rng.randrange(10**6):06d}",
                    m_name,
                    m_id,
                    born.strftime("%Y/%m/%d"),
                    sex_word,
                    rng.choice(("顺产", "剖宫产")),
                    f"13{rng.randrange(10**9):09d}",
                ],
                tid,
                truth,
            )
        if rng.random() < 0.95 and not (dead and rng.random() < 0.5):
            mark = []
            shift = rng.choice((0, 0, 0, 0, 1, -1))  # vaccination lists often take the day of the first shot
            if shift:
                mark.append("shot_day")
            add(
                "vaccination",
                [
                    called(mark),
                    sex_word,
                    (born + dt.timedelta(days=shift)).strftime("%Y%m%d"),
                    m_name,
                    address,
                    "",
                    "乡卫生院",
                ],
                tid,
                truth,
                "+".join(mark),
            )
        if 3 <= age < 6.5 and not dead and rng.random() < 0.8:
            mark = ["month_date"]
            parent = m_name if rng.random() < 0.7 else (f_name or m_name)
            add(
                "kindergarten",
                [called(mark), sex_word, shown(born, "M6"), parent, rng.choice(("小班", "中班", "大班"))],
                tid,
                truth,
                "+".join(mark),
            )
        if age >= 6.5 and not dead and rng.random() < 0.85:
            mark = ["month_date"]
            parent = m_name if rng.random() < 0.6 else (f_name or m_name)
            number = child_id if rng.random() < 0.5 else ""
            add(
                "school",
                [
                    f"G{child_id[:6] if child_id else '000000'}{rng.randrange(10**6):06d}",
                    called(mark),
                    sex_word,
                    shown(born, rng.choice(("M6", "M."))),
                    number,
                    parent,
                    f"{int(age) - 5}年级",
                ],
                tid,
                truth,
                "+".join(mark),
            )

    say = progress or (lambda text: None)
    say(f"正在生成 {len(births)} 个出生的各来源名单...")
    truths: dict[str, str] = {}
    births_of: dict[int, list] = {}  # household id → its births' (uid, truth) for the police register
    wis_rows: list[tuple] = []
    for (
        uid,
        sex,
        born_iso,
        cert_no,
        status,
        c_name,
        c_id,
        m_name,
        m_id,
        address,
        order,
        f_name,
        f_id,
        village,
        hh,
    ) in births:
        born = dt.date.fromisoformat(born_iso)
        c_id18 = idnumber.parse(c_id).number_18 if c_id else ""
        m_id18 = idnumber.parse(m_id).number_18 if m_id else ""
        dead = status == "2"
        r = rng.random()
        truth = (
            "omission" if r < rates.omission else "misreport" if r < rates.omission + rates.misreport else "consistent"
        )
        truths[uid] = truth
        variant = _variant(c_name, rng) if rng.random() < rates.name_error else ""
        if truth != "omission":
            w_born, w_sex, w_order, w_mother = born, sex, order or 0, (m_name, m_id18, village, f_name or "")
            what = ""
            if truth == "misreport":
                what = rng.choice(MISREPORTS)
                if what == "date_days":
                    w_born = born + dt.timedelta(days=rng.choice((-1, 1)) * rng.randint(4, 9))
                elif what == "date_year":
                    w_born = add_years(born, rng.choice((-1, 1)))
                elif what == "date_month":
                    w_born = _month_off(born, rng)
                elif what == "date_swap" and (day := swapped(born)):
                    w_born = day
                elif what == "date_lunar":
                    from .reconcile import lunar_as_solar

                    w_born = lunar_as_solar(born) or born
                elif what in ("date_far", "date_swap"):
                    what = "date_far"
                    w_born = born + dt.timedelta(days=rng.choice((-1, 1)) * rng.randint(40, 200))
                elif what == "sex":
                    w_sex = "1" if sex == "2" else "2"
                elif what == "birth_order":
                    w_order = (order or 1) + rng.choice((1, -1)) if (order or 1) > 1 else 2
                else:
                    other = rng.choice([m for m in mothers if m[1] != m_id])
                    w_mother = (other[0], idnumber.parse(other[1]).number_18, other[2], "")
                if w_born > as_of or w_born < first:
                    w_born, what = born, "sex"
                    w_sex = "1" if sex == "2" else "2"
                planted[uid] = what
            name_w = variant if variant and rng.random() < 0.5 else c_name
            wis_rows.append(
                (
                    w_mother,
                    name_w,
                    w_sex,
                    w_born,
                    w_order,
                    uid,
                    truth,
                    "+".join(x for x in (what, "name_variant" if name_w != c_name else "") if x),
                )
            )
        others(
            uid,
            truth,
            c_name,
            sex,
            born,
            c_id18,
            m_name,
            m_id18,
            f_name or "",
            idnumber.parse(f_id).number_18 if f_id else "",
            cert_no,
            dead,
            address,
            variant,
        )
        births_of.setdefault(hh, []).append((c_id, uid, truth))
    days = (as_of - first).days
    n = len(births)
    pop = Population(county, ["000000000000"], as_of, seed + 99)
    for i in range(_some(n, rates.hidden)):  # 瞒报: a child of a mother here, on neither the forms nor WIS
        m_name, m_id, _ = rng.choice(mothers)
        sex = rng.choice("12")
        born = first + dt.timedelta(days=rng.randrange(days))
        kid = _Person(rng.choice(SURNAMES) + pop._given(sex), sex, born, county, "20")
        others(
            f"hidden{i}",
            "omission",
            kid.name,
            sex,
            born,
            pop._id(kid) if rng.random() < 0.5 else "",
            m_name,
            idnumber.parse(m_id).number_18,
            "",
            "",
            "",
            False,
            "",
            "",
        )
    for i in range(_some(n, rates.false)):  # 虚报: a child WIS holds that was never born
        m_name, m_id, village = rng.choice(mothers)
        sex = rng.choice("12")
        born = first + dt.timedelta(days=rng.randrange(days))
        kid = _Person(rng.choice(SURNAMES) + pop._given(sex), sex, born, county, "20")
        wis_rows.append(
            (
                (m_name, idnumber.parse(m_id).number_18, village, ""),
                kid.name,
                sex,
                born,
                rng.randint(1, 3),
                f"false{i}",
                "false",
                "",
            )
        )
    for i in range(_some(n, rates.elsewhere)):  # born here, mother from another county
        region = rng.choice(MIGRANT_ORIGINS)[0]
        sex = rng.choice("12")
        born = first + dt.timedelta(days=rng.randrange(days))
        mum = _Person(rng.choice(SURNAMES) + pop._given("2"), "2", add_years(born, -rng.randint(20, 38)), region, "10")
        m_id = pop._id(mum)
        sex_word = {"1": "男", "2": "女"}[sex]
        add(
            "birth_cert",
            ["", sex_word, born.isoformat(), "县医院", mum.name, m_id, "", "", cert()],
            f"elsewhere{i}",
            "elsewhere",
            "unnamed",
        )
        if rng.random() < 0.8:
            add(
                "delivery",
                [f"Z{rng.randrange(10**6):06d}", mum.name, m_id, born.strftime("%Y/%m/%d"), sex_word, "顺产", ""],
                f"elsewhere{i}",
                "elsewhere",
            )
    # WIS: by woman, in the woman's order; the woman's columns repeat on each of her children's rows
    wis_rows.sort(key=lambda w: (w[0][2], w[0][1], w[3]))
    for w_mother, name_w, w_sex, w_born, w_order, tid, truth, mark in wis_rows:
        (m_name, m_id, village, f_name) = w_mother
        add(
            "wis",
            [
                len(out["wis"]) + 1,
                village_name(village),
                m_name,
                m_id,
                "初婚",
                f_name,
                name_w,
                {"1": "男", "2": "女"}[w_sex],
                w_born.isoformat(),
                w_order or "",
                rng.choice(("宫内节育器", "皮下埋植", "未避孕")),
            ],
            tid,
            truth,
            mark,
        )
    _police(out, truth_rows, births_of, rates, rng)
    say("正在导入生成的名单...")
    keep = tempfile.TemporaryDirectory() if folder is None else None
    where = Path(keep.name if keep else folder)
    where.mkdir(parents=True, exist_ok=True)
    files, row_truths = [], {}
    try:
        for kind in LIST_KINDS:
            path = _write_list(where / LIST_FILES[kind], LIST_HEADERS[kind], out[kind])
            files.append(path)
            for row_no, t in enumerate(truth_rows[kind], start=2):
                row_truths[(kind, row_no)] = t
            import_list(path, kind, replace=True, operator="demo")
    finally:
        if keep:
            keep.cleanup()
    return MadeLists(
        {k: len(v) for k, v in out.items()}, truths, files if folder is not None else [], row_truths, planted
    )


def _month_off(day: dt.date, rng: random.Random) -> dt.date:
    """``day`` in another month of its year (a month keyed wrong), the day kept where it exists."""
    for _ in range(20):
        month = rng.choice([m for m in range(1, 13) if m != day.month])
        try:
            return day.replace(month=month)
        except ValueError:
            continue
    return day


def _police(out: dict, truth_rows: dict, births_of: dict, rates: ListRates, rng: random.Random) -> None:
    """The police register (户籍) of every household with a birth on the forms: every living member
    with 户号 and 与户主关系, a few ID numbers stored by the spreadsheet as numbers."""
    from .models import Household, Person

    by_child = {c_id: (uid, truth) for home in births_of.values() for c_id, uid, truth in home if c_id}
    ids = sorted(births_of)
    for i in range(0, len(ids), 500):
        people = (
            Person.select(
                Person.household,
                Person.name,
                Person.relation_to_head,
                Person.sex,
                Person.birth_date,
                Person.id_number,
                Household.household_code,
                Household.address_detail,
            )
            .join(Household)
            .where(Person.household.in_(ids[i : i + 500]) & (Person.deleted == False) & (Person.vital_status != "2"))
            .order_by(Person.household, Person.id)
            .tuples()
        )
        for _hh, name, relation, sex, born, number, code, address in people:
            if rng.random() > 0.97 or not number:
                continue
            uid, truth = by_child.get(number, ("", ""))
            cell: object = number
            mark = ""
            if uid and rng.random() < rates.id_as_number and len(number) == 18 and number.isdigit():
                cell, mark = float(number), "id_as_number"
            out["police_hukou"].append(
                [
                    code,
                    name,
                    RELATION_WORDS.get(relation or "", relation or ""),
                    {"1": "男", "2": "女"}.get(sex, ""),
                    "汉族",
                    (born or "").replace("-", ""),
                    cell,
                    address,
                ]
            )
            truth_rows["police_hukou"].append((uid or f"adult:{number}", truth or "adult", mark))


class NotADemo(OperatorError):
    """Demo data asked for in a database that is not a demo township's."""


def demo_check():
    """The open office, if it may take demo data: a township database ``hecha demo`` made
    (``Office.is_demo``). One ``hecha init`` made is an office's own, even empty: a newcomer filled
    one between ``init`` and ``keys new``, and its next bundle carried 300 synthetic households to
    the county (issue 20). Raises :class:`NotADemo` with what to do."""
    from .office import current_office

    office = current_office()
    if office.level != "township":
        raise NotADemo("演示数据只能填入乡镇数据库。")
    if not office.is_demo:
        raise NotADemo(
            f"这个数据库（{office.name}）是 hecha init 建的正式数据库，不能填入演示数据。"
            "演示请另用一个文件：hecha demo --db ~/演示.sqlite"
        )
    return office


def demo(
    households: int, *, as_of: dt.date, seed: int = 1, lists_folder=None, say: Callable[..., None] | None = None
) -> None:
    """The demo recipe (``hecha demo``, ``bash dev.sh run``) on the open database: ``households``
    synthetic households (about 2 % registering someone a second time, for the duplicate review);
    then, unless ``lists_folder`` is ``None``, the seven reference lists written there and imported
    (:func:`reference_lists`), a reconciliation at ``as_of`` and the annual report as WIS held it.
    ``say(text, end=True)`` reports progress in Chinese. Raises :class:`NotADemo`."""
    from .models import Household

    say = say or (lambda text, end=True: None)
    office = demo_check()

    def progress(done: int, total: int) -> None:
        say(f"\r生成演示户 {done}/{total}", end=done == total)

    persons = fill(
        households,
        as_of=as_of,
        seed=seed + Household.select().count(),
        progress=progress,
        duplicates=max(households // 50, 1),
    )
    say(f"已加入 {households} 户、{persons} 人（{office.name}）。")
    if lists_folder is None:
        say("未生成名单（--no-lists）：用 hecha import-list 导入名单后再 hecha reconcile。")
        return
    from . import reconcile

    made = reference_lists(as_of, seed=seed, folder=lists_folder)
    from .sources.profiles import profiles

    names = profiles()[0]  # the lists as a clerk calls them (人口信息系统, 出生医学证明 …), not their codes
    loaded = "，".join(f"{names.get(k, k)} {n} 行" for k, n in made.rows.items())
    say(f"已导入演示名单：{loaded}（文件在 {lists_folder}）")
    report = reconcile.run(as_of)
    annual_reports_from_wis()  # the annual report as WIS held it, for the summary to compare
    say(f"已比对：{report.births} 个出生，" + "，".join(f"{reconcile.KINDS[k]} {n}" for k, n in report.kinds.items()))
    n = demo_requests(as_of, seed=seed)
    say(f"已放入演示协查 {n} 件（菜单 A）：外县问本乡的人和出生，有的快到期，有的已逾期。")


def annual_reports_from_wis() -> int:
    """Enter, for the demo, each village's annual-report births as WIS held them in the last
    reconciliation (births with a WIS record, not those born elsewhere): what an office's annual
    report would say before the verification. Returns the rows entered."""
    from collections import Counter

    from .models import ReconcileFinding
    from .reconcile import set_annual, stat_year

    counts: Counter = Counter()
    for kind, village, born, groups in ReconcileFinding.select(
        ReconcileFinding.kind, ReconcileFinding.village_code, ReconcileFinding.birth_date, ReconcileFinding.groups
    ).tuples():
        if village and "wis" in groups.split() and kind != "elsewhere":
            counts[(village, stat_year(dt.date.fromisoformat(born)))] += 1
    for (village, year), n in counts.items():
        set_annual(village, year, reported=n)
    return len(counts)


DEMO_ASKERS = (("130125103", "口头镇"), ("410521100", "林州市开元街道"), ("341221100", "临泉县城关镇"))


def demo_requests(as_of: dt.date, *, seed: int = 1, n: int = 6) -> int:
    """Assistance requests (协查) from other counties about births registered here, received over
    the weeks before ``as_of`` as a county's bundle would bring them (:func:`storage.assist.receive`):
    the demo's inbox (menu A) has some due soon and some overdue. Returns how many."""
    from . import assist
    from .db import write_txn
    from .models import Birth, Office

    rng = random.Random(seed + 17)
    me = Office.get()
    births = list(Birth.select().where(Birth.deleted == False).order_by(Birth.id).limit(200))  # noqa: E712
    rng.shuffle(births)
    made = 0
    for i, birth in enumerate(births[:n]):
        code, name = DEMO_ASKERS[i % len(DEMO_ASKERS)]
        subject = assist.subject_of_birth(birth)
        body = dict(
            type="request",
            uid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            request_no=f"{code}-{as_of.year}-{i + 1:04d}",
            origin=code,
            origin_name=name,
            to_county=me.county_code,
            to_township=me.code,
            kind="birth",
            window_days=15,
            window_working=True,
            priority="1" if i == 0 else "3",
            items=["exists", "birth", "birth_cert"],
            subject=subject,
            question="孩子在我县医院出生，母亲说户籍在贵乡：请核实出生日期、性别、孩次和出生医学证明",
        )
        received = as_of - dt.timedelta(days=7 * i + 3)
        with write_txn():
            assist.receive([assist.check_message(body, me.county_code, "county")], sender=me.county_code, on=received)
        made += 1
    return made
