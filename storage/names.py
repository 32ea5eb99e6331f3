"""Name keys for matching (DATA.md "Names", DESIGN.md §6).

A name is kept as written; these keys are what duplicate search compares:

- :func:`normalize`: NFKC, spaces and the middle dots of minority names removed;
- :func:`simplified`: traditional → simplified (OpenCC ``t2s``) except the surname, where 乾/干 and
  於/于 are different surnames (DATA.md);
- :func:`split`: surname and given name, compound surnames (欧阳, 司马 …) kept whole;
- :func:`name_keys`: toneless pinyin of the whole name (``lixiaoling``), its initials (``lxl``), the
  readings of the surname (every reading of 单 曾 解 仇 区 朴 查 覃 缪 盖 乐 …, whose pypinyin default is
  wrong for a surname), the given name's pinyin, and a fuzzy-pinyin form for dictated names
  (n/l, f/h, -n/-ng, z/zh, c/ch, s/sh merged).

Pinyin comes from a per-character table built once from pypinyin's own dictionary
(``pypinyin.pinyin_dict``, first reading): names are not phrases, and the table takes about 1 µs per
name against 23 µs for ``lazy_pinyin`` (DATA.md). A character without a reading keeps itself.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import NamedTuple

_DROP = str.maketrans("", "", " \t\u3000·•・.")

COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 端木 万俟 独孤 南宫 西门 "
    "百里 呼延 申屠 钟离 闻人 赫连 澹台 公冶 太叔 濮阳 淳于 单于 左丘 东郭 拓跋 "
    "歐陽 司馬 諸葛 東方 尉遲 公孫 長孫 軒轅 令狐 鍾離 聞人 赫連 澹臺 濮陽 東郭".split()
)
"""Two-character surnames (《百家姓》 and the common ones in registers), simplified and traditional."""

SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "单": ("shan", "dan", "chan"),
    "曾": ("zeng", "ceng"),
    "解": ("xie", "jie"),
    "仇": ("qiu", "chou"),
    "区": ("ou", "qu"),
    "朴": ("piao", "pu"),
    "查": ("zha", "cha"),
    "覃": ("qin", "tan"),
    "缪": ("miao", "mou", "miu"),
    "盖": ("ge", "gai"),
    "乐": ("yue", "le"),
    "尉迟": ("yuchi", "weichi"),
    "万俟": ("moqi", "wanqi"),
    "长孙": ("zhangsun",),
    "单于": ("chanyu", "shanyu"),
    "秘": ("bi", "mi"),
    "种": ("chong", "zhong"),
    "繁": ("po", "fan"),
    "员": ("yun", "yuan"),
    "纪": ("ji",),
    "任": ("ren",),
    "华": ("hua",),
    "燕": ("yan",),
    "宁": ("ning",),
    "沈": ("shen",),
    "薄": ("bo",),
    "重": ("chong", "zhong"),
    "卜": ("bu",),
    "句": ("gou", "ju"),
    "过": ("guo",),
    "翟": ("zhai", "di"),
    "隗": ("wei", "kui"),
}
"""Readings of surnames whose pinyin as a surname differs from the character's usual (first) reading,
the correct one first, then the readings a clerk may have heard (DATA.md "Names")."""

PROTECTED_SURNAMES = frozenset("乾於")
"""Surnames OpenCC would turn into another surname (乾→干, 於→于): kept as written (DATA.md)."""

FUZZY = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("ng", "n"), ("l", "n"), ("h", "f"))
"""Fuzzy pinyin for dictated names (南方口音): each pair's first member is replaced by the second."""


def normalize(name: str) -> str:
    """NFKC, spaces and the middle dots of minority names removed: ``阿依古丽 · 买买提`` → ``阿依古丽买买提``."""
    return unicodedata.normalize("NFKC", name or "").translate(_DROP)


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def split(name: str) -> tuple[str, str]:
    """``(surname, given)`` of a normalised name; a compound surname stays whole (欧阳娜娜 →
    欧阳, 娜娜); a one-character name is all surname."""
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


def simplified(name: str) -> str:
    """The normalised name in simplified characters, the surname protected where conversion would
    change it into another surname (乾, 於). ``曉玲`` → ``晓玲``; ``於梅`` stays ``於梅``."""
    norm = normalize(name)
    if not norm or norm.isascii():
        return norm
    surname, given = split(norm)
    if surname in PROTECTED_SURNAMES:
        return surname + (_converter().convert(given) if given else "")
    return _converter().convert(norm)  # one call: t2s keeps the length of a name


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    """Character → toneless first reading, from pypinyin's per-character dictionary. That one
    module is loaded from its file: importing ``pypinyin.pinyin_dict`` runs the package's
    ``__init__``, which loads its phrase dictionaries too (56 MB against 12 MB, measured on
    pypinyin 0.55; an office machine has 1–2 GB), and it is dropped once the table is built."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("pypinyin")  # finds the package without importing it
    if spec is None or spec.origin is None:
        raise ImportError("pypinyin is not installed: pip install pypinyin")
    path = os.path.join(os.path.dirname(spec.origin), "pinyin_dict.py")
    if os.path.isfile(path):
        loader = importlib.util.spec_from_file_location("_hecha_pinyin_dict", path)
        if loader is None or loader.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
        pinyin_dict = module.pinyin_dict
    else:  # a packaging without the source file: the ordinary import
        from pypinyin.pinyin_dict import pinyin_dict
    out = {}
    for code, readings in pinyin_dict.items():
        first = readings.split(",", 1)[0]
        decomposed = unicodedata.normalize("NFD", first).replace(
            "u\u0308", "v"
        )  # ü (lǚ) → v, as pinyin input methods type it
        out[chr(code)] = "".join(c for c in decomposed if not unicodedata.combining(c))
    return out


def pinyin(text: str) -> str:
    """Toneless pinyin of ``text``, one character at a time (first reading), lower case, no spaces;
    a character without a reading (Latin letters, digits) is kept."""
    table = _table()
    return "".join(table.get(c, c.lower()) for c in text)


def fuzzy(syllables: str) -> str:
    """A pinyin string with the confusions of dictated names merged (n/l, f/h, -n/-ng, z/zh, c/ch, s/sh)."""
    out = syllables
    for a, b in FUZZY:
        out = out.replace(a, b)
    return out


class NameKeys(NamedTuple):
    """The matching keys of one name (see the module text). All strings lower-case ASCII but
    ``norm``/``simplified``/``surname``/``given``; empty for an empty name. (A named tuple: a list
    of 100,000 rows makes as many, and a frozen dataclass is four times slower to make.)"""

    norm: str
    simplified: str
    surname: str
    given: str
    pinyin: str
    initials: str
    surname_readings: tuple[str, ...]
    given_pinyin: str

    @property
    def homophone_keys(self) -> tuple[str, ...]:
        """``reading|given pinyin`` for every reading of the surname: 李晓玲 and 李小玲 share ``li|xiaoling``,
        曾敏 read zeng or ceng shares a key with 增敏 and 层敏."""
        if not self.given:
            return ()
        return tuple(f"{r}|{self.given_pinyin}" for r in self.surname_readings)

    @property
    def fuzzy_keys(self) -> tuple[str, ...]:
        """The homophone keys with dictated-name confusions merged (刘/牛, 黄/方 …)."""
        return tuple(dict.fromkeys(fuzzy(k) for k in self.homophone_keys))


@lru_cache(maxsize=16384)
def name_keys(name: str) -> NameKeys:
    """Every key of ``name`` (about 9 µs; cached, as lists and searches repeat names)."""
    simple = simplified(name)
    if not simple:
        return NameKeys("", "", "", "", "", "", (), "")
    surname, given = split(simple)
    table = _table()
    given_syllables = [table.get(c) or c.lower() for c in given]
    readings = SURNAME_READINGS.get(surname)
    if readings and len(surname) == 1:
        syllables = [readings[0], *given_syllables]
    else:
        syllables = [table.get(c) or c.lower() for c in surname] + given_syllables
        readings = readings or ("".join(syllables[: len(surname)]),)
    return NameKeys(
        norm=simple if simple == name else normalize(name),
        simplified=simple,
        surname=surname,
        given=given,
        pinyin="".join(syllables),
        initials="".join(s[:1] for s in syllables),
        surname_readings=readings,
        given_pinyin="".join(given_syllables),
    )


def unnamed_child(name: str) -> tuple[str, str] | None:
    """``(mother's name, sex)`` of an unnamed newborn on a health list (王芳之女 → (王芳, "2"),
    王芳之子 → (王芳, "1")); ``None`` for a real name. Sex per GB/T 2261.1."""
    norm = normalize(name)
    for suffix, sex in (("之子", "1"), ("之女", "2")):
        if norm.endswith(suffix) and len(norm) > len(suffix):
            return norm[: -len(suffix)], sex
    return None
