"""Shared helpers of the independent generator: ID numbers, names, dates.

Written from the public standards (GB 11643-1999, ISO 7064 MOD 11-2) and common knowledge of
Chinese names; nothing here is taken from hecha's code.
"""
from __future__ import annotations

import csv
import lzma
import datetime as dt
from pathlib import Path

DIVISIONS = Path("/work/shared/data/divisions-nbs-2023")
TOWNSHIP = "130123103"
COUNTY = "130123"

_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_C = "10X98765432"


def check_char(body17: str) -> str:
    s = sum(int(c) * w for c, w in zip(body17, _W))
    return _C[s % 11]


def make_id(area: str, born: dt.date, sex: str, rng, used: set) -> str:
    """A valid 18-character citizen ID number, unique within `used`."""
    for _ in range(1000):
        seq = rng.randrange(0, 1000)
        # odd = male, even = female
        if (seq % 2 == 1) != (sex == "1"):
            seq = (seq + 1) % 1000
        body = f"{area}{born:%Y%m%d}{seq:03d}"
        idno = body + check_char(body)
        if idno not in used:
            used.add(idno)
            return idno
    raise RuntimeError("ID space exhausted")


def is_valid_id(idno: str) -> bool:
    return len(idno) == 18 and idno[:17].isdigit() and check_char(idno[:17]) == idno[17]


def villages_of(township: str = TOWNSHIP) -> list[tuple[str, str]]:
    out = []
    with lzma.open(DIVISIONS / "villages.csv.xz", "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["streetCode"] == township:
                out.append((row["code"], row["name"]))
    return out


def short_village(name: str) -> str:
    """新安村村民委员会 -> 新安村; 吴兴村民委员会 -> 吴兴村 (what people write)."""
    for suf in ("村村民委员会", "村民委员会", "居民委员会", "社区居委会", "委员会"):
        if name.endswith(suf):
            base = name[: -len(suf)]
            return base + ("村" if "村" in suf else "社区")
    return name


def areas() -> dict[str, str]:
    out = {}
    with open(DIVISIONS / "areas.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out[row["code"]] = row["name"]
    return out


def streets_of(area: str) -> list[tuple[str, str]]:
    out = []
    with open(DIVISIONS / "streets.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["areaCode"] == area:
                out.append((row["code"], row["name"]))
    return out


# ---------------------------------------------------------------- names
SURNAMES = (
    "王" * 14 + "李" * 12 + "张" * 11 + "刘" * 9 + "陈" * 7 + "杨" * 6 + "赵" * 6 + "黄" * 4
    + "周" * 4 + "吴" * 4 + "徐" * 3 + "孙" * 3 + "马" * 3 + "朱" * 3 + "胡" * 3 + "郭" * 4
    + "何" * 2 + "高" * 4 + "林" + "罗" + "郑" * 2 + "梁" * 2 + "谢" + "宋" * 2 + "唐" + "许" * 2
    + "韩" * 2 + "冯" * 2 + "邓" + "曹" * 2 + "彭" + "曾" + "肖" + "田" * 2 + "董" * 2 + "袁"
    + "潘" + "于" * 2 + "蒋" + "蔡" + "余" + "杜" * 2 + "程" + "苏" + "魏" * 2 + "吕" + "丁"
    + "任" * 2 + "沈" + "姚" + "卢" + "姜" + "崔" * 2 + "谭" + "陆" + "范" + "金" + "石" * 2
    + "贾" * 2 + "夏" + "付" + "方" + "白" * 2 + "孟" * 2 + "秦" + "邱" + "尹" + "薛" + "闫" * 2
    + "段" + "侯" + "史" + "郝" * 2 + "邵" + "武" * 2 + "康" + "尚" + "靳" + "牛" * 2 + "耿"
    + "甄" + "霍" + "翟" + "齐" + "庞" + "常" * 2 + "安" + "申" + "温" + "解" + "葛"
)
BOY = list("浩宇轩博文俊杰鹏涛磊强伟勇军建国志明辉振宁凯瑞泽子晨睿昊天翔宏鑫泉龙飞洋阳旭斌帅"
           "诚毅锦一航铭硕家豪梓晗逸峰然超华东亮新嘉乐康林")
GIRL = list("欣怡雨涵梓萱诗琪佳慧静丽娜婷晓玲芳燕敏雪梅艳红霞秀兰颖悦可馨妍若汐思彤语桐晴瑶"
            "佳怡璐婉清依心月一诺萌蕊冉露紫菲琳")

# homophones (same pinyin, tone ignored), as a name is written down from dictation
HOMO_GROUPS = [
    "晓小筱", "玲铃灵凌苓", "静晶婧靖", "婷亭庭", "丽莉利立", "伟玮维薇", "宇雨语羽禹",
    "轩萱宣", "浩昊皓豪", "涵含晗寒", "梓子紫", "欣鑫新心馨", "怡宜依一伊", "佳家嘉",
    "俊峻骏", "杰洁婕", "娜纳", "博波柏", "明铭鸣", "泽择", "瑞睿锐", "思斯丝", "雅亚娅",
    "颖莹影", "宁凝", "凯恺楷", "诚成程承", "勇永咏", "芳方", "燕艳妍彦", "梅美玫",
    "悦月越", "琪琦淇祺奇", "慧惠", "晨辰宸琛", "飞菲霏", "鹏朋", "涛韬", "阳洋扬杨",
    "磊蕾", "华花", "国果", "辉晖徽", "兰岚", "霞侠", "红虹宏鸿", "秀绣", "敏闵", "雪学",
    "强蔷", "军君", "东冬", "亮靓", "康慷", "林琳霖", "露璐路", "彤桐童", "瑶遥尧",
    "冉然", "蕊锐", "航杭", "峰锋丰枫", "旭序", "斌彬", "帅率",
]
HOMO = {}
for g in HOMO_GROUPS:
    for c in g:
        alt = [x for x in g if x != c]
        if alt:
            HOMO.setdefault(c, alt)

# characters that look alike (misread from handwriting or a poor copy)
SIMILAR = {
    "王": "玉", "玉": "王", "宇": "字", "晴": "睛", "明": "朋", "未": "末", "己": "已",
    "日": "曰", "大": "太", "太": "大", "天": "夭", "土": "士", "人": "入", "贝": "见",
    "博": "傅", "辉": "晖", "晖": "辉", "玮": "炜", "炜": "玮", "凯": "恺", "锦": "绵",
    "浩": "洁", "佳": "隹", "婷": "停", "琪": "祺", "祺": "琪", "梓": "辛", "萱": "宣",
    "睿": "叡", "瑶": "摇", "涛": "焘", "鹏": "朋", "雯": "雲", "妍": "研", "淇": "琪",
    "悦": "锐", "彤": "丹", "晨": "辰", "旭": "旮", "嘉": "喜", "馨": "磬", "娜": "哪",
}


def given_name(rng, sex: str, n: int | None = None) -> str:
    pool = BOY if sex == "1" else GIRL
    if n is None:
        n = 1 if rng.random() < 0.22 else 2
    return "".join(rng.choice(pool) for _ in range(n))


def full_name(rng, sex: str, surname: str | None = None) -> str:
    return (surname or rng.choice(SURNAMES)) + given_name(rng, sex)


def name_variant(rng, name: str, kind: str, sex: str = "1") -> str | None:
    """A variant of the name as another office wrote it; None when the kind does not apply."""
    sur, given = name[0], name[1:]
    if kind == "homophone":
        idx = [i for i, c in enumerate(given) if c in HOMO]
        if not idx:
            return None
        i = rng.choice(idx)
        return sur + given[:i] + rng.choice(HOMO[given[i]]) + given[i + 1:]
    if kind == "similar":
        idx = [i for i, c in enumerate(name) if c in SIMILAR]
        if not idx:
            return None
        i = rng.choice(idx)
        return name[:i] + SIMILAR[name[i]] + name[i + 1:]
    if kind == "drop":
        if len(given) < 2:
            return None
        i = rng.randrange(len(given))
        return sur + given[:i] + given[i + 1:]
    if kind == "add":
        if len(given) != 1:
            return None
        # 李浩 -> 李浩然: the name as the family says it, or a pet name doubled (李浩浩)
        return name + (given if rng.random() < 0.3 else rng.choice(BOY if sex == "1" else GIRL))
    raise ValueError(kind)


# ---------------------------------------------------------------- dates
def add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    last = (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(y, m, min(d.day, last))


def safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def age_on(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


CN_NUM = "〇一二三四五六七八九"
