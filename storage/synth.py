"""A synthetic township population for the demo, tests and benchmarks.

Seeded and given its reference date (``as_of``) explicitly: the same arguments give the same
population, and nothing here reads today's date. Households live in the office's real villages;
ID numbers are valid GB 11643 numbers with the office's real county code (migrants: other real
counties); surnames follow a Zipf-like weighting; women have births in the ten years before
``as_of`` with birth certificates, birth orders and the GB/T 4761 relation codes that carry the order.

The duplicate issue extends this generator with error injection and kept truth.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Callable, Iterator

from . import idnumber
from .dates import add_years
from .households import (
    BirthInput,
    HouseholdInput,
    MemberInput,
    MigrationInput,
    WomanInput,
)

SURNAMES = (
    "王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 胡 朱 高 林 何 郭 马 罗 梁 宋 郑 谢 韩 唐 冯 于 董 萧 程 曹 袁 邓 "
    "许 傅 沈 曾 彭 吕 苏 卢 蒋 蔡 贾 丁 魏 薛 叶 阎 余 潘 杜 戴 夏 钟 汪 田 任 姜 范 方 石 姚 谭 廖 邹 熊 "
    "金 陆 郝 孔 白 崔 康 毛 邱 秦 江 史 顾 侯 邵 孟 龙 万 段 单 欧阳 司马"
).split()
GIVEN_MALE = "伟 强 磊 军 勇 杰 涛 明 超 刚 平 辉 鹏 华 飞 鑫 波 宇 浩 凯 健 俊 帆 帅 旭 宁 龙 林 阳 建 国 志 文 海 东 峰 亮 成 博 然 轩 睿 泽 铭 子 豪 晨 磊 刚 振 德 福".split()
GIVEN_FEMALE = "芳 娜 敏 静 丽 艳 娟 霞 秀 英 玲 燕 红 梅 琳 雪 婷 慧 颖 洁 萍 欣 怡 涵 梓 萱 悦 诗 雨 晨 琪 佳 妍 可 馨 兰 桂 凤 春 月".split()
# Real GB/T 2260 counties that migrants come from (code, name).
MIGRANT_ORIGINS = (
    ("410102", "河南省郑州市中原区"),
    ("340104", "安徽省合肥市蜀山区"),
    ("510104", "四川省成都市锦江区"),
    ("130102", "河北省石家庄市长安区"),
    ("110105", "北京市朝阳区"),
)
OUTFLOW_PLACES = ("广东省东莞市长安镇上沙社区振安路18号", "北京市朝阳区十八里店乡吕家营村", "天津市滨海新区塘沽街道新华路6号",
                  "浙江省义乌市稠城街道宾王路102号", "河北省石家庄市长安区建北街道中山东路55号")
CONTRACEPTIONS = ("03", "03", "03", "02", "06", "05", "04")
SONS = ("22", "23", "24", "25", "26")
DAUGHTERS = ("32", "33", "34", "35", "36")
CERT_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"


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
        while True:
            seq = self.rng.randrange(0, 500) * 2 + (1 if p.sex == "1" else 0)  # odd for men (GB 11643)
            number = idnumber.make(p.region, p.born, seq)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

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
        region, hukou_text = (rng.choice(MIGRANT_ORIGINS) if migrant else (self.county, ""))
        residence = "3" if migrant else "1"
        surname = self._surname()
        head_born = self._date(dt.date(1950, 1, 1), add_years(self.as_of, -22))
        head = _Person(surname + self._given("1"), "1", head_born, region, "02", residence, hukou_text)
        people = [head]
        wife: _Person | None = None
        births: list[BirthInput] = []
        if rng.random() < 0.85:
            wife_born = self._date(head_born + dt.timedelta(days=-3 * 365), head_born + dt.timedelta(days=5 * 365))
            wife_born = min(wife_born, add_years(self.as_of, -20))
            wife = _Person(self._surname() + self._given("2"), "2", wife_born, region, "12", residence, hukou_text, married=True)
            head.married = True
            people.append(wife)
            wife_pos = len(people)
            window_start = add_years(self.as_of, -10)
            first = add_years(wife_born, 21)
            born = self._date(first, first + dt.timedelta(days=5 * 365))
            sons = daughters = 0
            for order in range(1, rng.choice((1, 1, 2, 2, 2, 3)) + 1):
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
                if born >= window_start:
                    births.append(
                        BirthInput(
                            mother=wife_pos,
                            child=len(people),
                            father=1,
                            birth_order=order,
                            birth_cert_no=self._cert() if born >= dt.date(1996, 1, 1) and rng.random() < 0.95 else "",
                        )
                    )
                born = born + dt.timedelta(days=rng.randint(400, 6 * 365))
        if rng.random() < 0.25 and head_born.year > 1965:
            mother_born = self._date(add_years(head_born, -35), add_years(head_born, -20))
            people.append(_Person(self._surname() + self._given("2"), "2", mother_born, region, "52", residence, hukou_text))
        village = rng.choice(self.villages)
        group = f"{rng.randint(1, 8):02d}"
        key = (village, group)
        serial = self.next_group_serial.get(key, 0) + 1
        self.next_group_serial[key] = serial
        members = []
        for p in people:
            age = self.as_of.year - p.born.year - ((self.as_of.month, self.as_of.day) < (p.born.month, p.born.day))
            m = MemberInput(
                name=p.name,
                id_number=self._id(p),
                relation_to_head=p.relation,
                ethnicity="01" if rng.random() < 0.97 else rng.choice(("03", "11", "06")),
                residence_status=p.residence,
                hukou_place_text=p.hukou_text,
                marital_status="20" if p.married else ("10" if age >= 15 else ""),
                education=rng.choice(("71", "71", "61", "81", "31", "21")) if age >= 16 else "",
            )
            if p.married and p.sex == "2" and 15 <= age <= 49:
                method = rng.choice(CONTRACEPTIONS)
                m.fp = WomanInput(contraception=method, contraception_start=f"{min(max(p.born.year + 23, self.as_of.year - 12), self.as_of.year - 1)}0601")
            if p.residence == "2":
                m.migrations.append(MigrationInput(direction="2", move_date=self._date(add_years(self.as_of, -5), self.as_of).strftime("%Y%m"),
                                                   reason="001", current_address=rng.choice(OUTFLOW_PLACES)))
            if p.residence == "3":
                m.migrations.append(MigrationInput(direction="1", move_date=self._date(add_years(self.as_of, -6), self.as_of).strftime("%Y%m"),
                                                   reason=rng.choice(("001", "002")), hukou_place_code=p.region))
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


def fill(n: int, *, as_of: dt.date, seed: int = 1, progress: Callable[[int, int], None] | None = None) -> int:
    """Add ``n`` synthetic households to the open database, through the form's own save path.

    Returns the number of persons written. ``progress(done, n)`` is called every 25 households.
    """
    from .db import write_txn
    from .households import dup_key, save_household
    from .models import Office
    from .office import villages

    office = Office.get()
    pop = Population(office.county_code, [v.code for v in villages()], as_of, seed)
    persons = 0
    with write_txn():
        for i, h in enumerate(pop.households(n), start=1):
            h.serial = None  # let the database number it, as the form does
            save_household(h, reason="演示数据", today=as_of, confirmed_ids=frozenset(dup_key(m) for m in h.members))
            persons += len(h.members)
            if progress and (i % 25 == 0 or i == n):
                progress(i, n)
    return persons

