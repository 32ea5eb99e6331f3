"""Fellegi–Sunter weights for duplicate candidates (issue 16, DESIGN.md §6).

The blocking rules of :mod:`storage.dedup` find who *may* be the same person; this module says how
likely it is. Two records are compared field by field (:func:`compare`), each field falling in one
*level* (the ID numbers are the same, one slip apart, two valid different numbers …). Each level has
two probabilities, as in Fellegi & Sunter (1969) and Splink:

- ``m``: that a true pair (one person keyed twice) falls in it;
- ``u``: that two different persons do.

A pair's weight is the sum over its fields of ``log2(m/u)`` plus the prior ``log2(λ/(1-λ))`` (λ the
chance that two persons taken at random are one: the records searched with that are someone
already there, ``share``, over the persons there); its
match probability ``2^w / (1 + 2^w)``; its score (0–100, what the form and the review show and what
:data:`storage.dedup.WARN_SCORE` cuts) that probability in per cent. A field missing on either side
adds nothing. Where a field's values are not equally common the ``u`` of agreement is the value's
own share (Splink's term-frequency adjustment): the same name 李磊 (32 bearers in 50,000) is weaker
evidence than the same 欧阳梓萱 (one), and the same birthday 1 January (the day an unknown one is
keyed) weaker than any other.

The parameters live in ``storage/data/match_model.json``: ``u`` counted on random pairs of persons
and ``m`` estimated by expectation maximisation on the pairs blocking finds, without any label
(``bench/train_model.py``, which says on what data). ``explain`` turns a comparison into the words
the form shows (「同音、生日差1年、母亲同号」).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .names import NameKeys, name_keys

MODEL_FILE = Path(__file__).with_name("data") / "match_model.json"

FIELDS = ("id", "name", "date", "sex", "mother")
LEVELS: dict[str, tuple[str, ...]] = {
    "id": ("same", "one_edit", "cut", "borrowed", "two_valid", "other"),
    "name": ("exact", "homophone", "fuzzy", "one_char", "one_char_short", "surname", "other"),
    "date": ("same", "swap", "near", "day_unknown", "days", "year", "month", "lunar", "other"),
    "sex": ("same", "other"),
    "mother": ("same", "other"),
}
"""Every field's levels, most alike first.

- ``id``: the same number after the 15→18 upgrade; one substitution or adjacent swap apart; the
  first 15 characters the same and one number ending in 000 (``cut``: a spreadsheet keeps 15
  digits); two valid numbers further apart where the one searched with is another person's here
  (``borrowed``: a child given its mother's number); two valid numbers further apart; anything else.
- ``name``: the same characters (simplified); a homophone (a surname's other reading included); alike
  when dictated (n/l, -n/-ng …); one character off, swapped, dropped or added (``one_char``, or
  ``one_char_short`` when both names have two characters: then it is the same surname and any
  other given character, as 李伟/李磊; 李艳勇/李艳 is ``one_char``); the same surname only; another name.
- ``date``: the same day; day and month swapped; 1–3 days apart; the same month with one day the
  1st (``day_unknown``: a day not known, keyed as 01); up to 10 days or the same month; the same
  day a year off; the same day in another month; 20–55 days (a lunar birthday keyed as solar);
  another date.
- ``sex``; ``mother``: the mother's ID number.
"""

WORDS = {
    ("id", "same"): "同号",
    ("id", "one_edit"): "号差一位",
    ("id", "cut"): "号码末三位被表格改成0",
    ("id", "borrowed"): "所填号码属他人",
    ("id", "two_valid"): "两个有效号不同",
    ("id", "other"): "号不同",
    ("name", "exact"): "同名",
    ("name", "homophone"): "同音",
    ("name", "fuzzy"): "音近",
    ("name", "surname"): "仅同姓",
    ("name", "other"): "姓名不同",
    ("date", "same"): "同生日",
    ("date", "swap"): "生日月日颠倒",
    ("date", "year"): "生日差1年",
    ("date", "month"): "生日月份不同",
    ("date", "other"): "生日不同",
    ("sex", "other"): "性别不同",
    ("mother", "same"): "母亲同号",
    ("mother", "other"): "母亲不同",
}


@dataclass(frozen=True)
class Comparison:
    """One pair compared: a level of :data:`LEVELS` per field, ``None`` where a side lacks the field;
    ``days`` the birth dates' distance (for the words), ``name_how`` what kind of one-character
    difference (``char``, ``order``, ``dropped``)."""

    id: str | None = None
    name: str | None = None
    date: str | None = None
    sex: str | None = None
    mother: str | None = None
    days: int = 0
    name_how: str = ""

    def levels(self) -> tuple[str, ...]:
        """``field:level`` for every field compared, in :data:`FIELDS` order."""
        return tuple(f"{f}:{getattr(self, f)}" for f in FIELDS if getattr(self, f) is not None)


def one_char_how(a: str, b: str) -> str:
    """How two names are one character apart: ``char`` (形近字 王/玉), ``order`` (晓玲/玲晓),
    ``dropped`` (李艳勇/李艳), or ``""`` (not so; both need two characters or more)."""
    if a == b or min(len(a), len(b)) < 2:
        return ""
    if len(a) != len(b):
        short, long = sorted((a, b), key=len)
        if len(long) == len(short) + 1 and any(long[:i] + long[i + 1 :] == short for i in range(len(long))):
            return "dropped"
        return ""
    if sum(x != y for x, y in zip(a, b, strict=False)) == 1:
        return "char"
    return "order" if sorted(a) == sorted(b) else ""


def compare_names(keys: NameKeys | None, their: NameKeys | None) -> tuple[str | None, str]:
    """The name level of two names' keys (``None`` when either is empty) and the kind of a
    one-character difference."""
    if keys is None or their is None or not keys.simplified or not their.simplified:
        return None, ""
    if keys.simplified == their.simplified:
        return "exact", ""
    if keys.homophone_keys and set(keys.homophone_keys) & set(their.homophone_keys):
        return "homophone", ""
    how = one_char_how(keys.simplified, their.simplified)
    if how:
        short = len(keys.simplified) == len(their.simplified) == 2  # 李伟/李磊: the surname and any other character
        return ("one_char_short" if short else "one_char"), how
    if keys.fuzzy_keys and set(keys.fuzzy_keys) & set(their.fuzzy_keys):
        return "fuzzy", ""
    if keys.surname and keys.surname == their.surname:
        return "surname", ""
    return "other", ""


def swapped(day: dt.date) -> dt.date | None:
    """``day`` with day and month exchanged (2017-07-03 for 2017-03-07), or ``None`` when that is
    no date or the same one: a date keyed the other way round."""
    try:
        return day.replace(month=day.day, day=day.month) if day.day <= 12 and day.day != day.month else None
    except ValueError:
        return None


def compare_dates(born: dt.date | None, theirs: dt.date | None) -> tuple[str | None, int]:
    """The date level of two birth dates and their distance in days (see :data:`LEVELS`)."""
    if born is None or theirs is None:
        return None, 0
    days = abs((born - theirs).days)
    if days == 0:
        return "same", 0
    if swapped(born) == theirs:
        return "swap", days
    if days <= 3:
        return "near", days
    if (born.year, born.month) == (theirs.year, theirs.month) and 1 in (born.day, theirs.day):
        return "day_unknown", days
    if days <= 10 or (born.year, born.month) == (theirs.year, theirs.month):
        return "days", days
    if (born.month, born.day) == (theirs.month, theirs.day) and abs(born.year - theirs.year) == 1:
        return "year", days
    if (born.year, born.day) == (theirs.year, theirs.day):
        return "month", days
    if 20 <= days <= 55:
        return "lunar", days
    return "other", days


def one_edit(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with one substitution or one adjacent swap (an ID number keyed with one
    slip; :func:`storage.dedup.id_variants` builds all of them)."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y]
    return len(diff) == 1 or (
        len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    )


def cut_alike(a: str, b: str) -> bool:
    """Whether one of two 18-character numbers is the other as a spreadsheet keeps it: the first 15
    characters the same and the last three ``000`` (Excel holds 15 significant digits)."""
    return len(a) == len(b) == 18 and a[:15] == b[:15] and (a.endswith("000") or b.endswith("000"))


def compare_ids(mine: str, mine_valid: bool, theirs: str, theirs_valid: bool, taken: bool = False) -> str | None:
    """The ID level of two numbers (18-character forms where there are, upper case); ``taken``: the
    number searched with belongs to another person already there."""
    if not mine or not theirs:
        return None
    if mine == theirs:
        return "same"
    if one_edit(mine, theirs):
        return "one_edit"
    if cut_alike(mine, theirs) and not (mine_valid and theirs_valid):
        return "cut"  # (a valid number may end in 000 too: sequence 100, check 0)
    if mine_valid and theirs_valid:
        return "borrowed" if taken else "two_valid"
    return "other"


def compare(
    *,
    id_pair: tuple[str, bool, str, bool] = ("", False, "", False),
    taken: bool = False,
    keys: NameKeys | None = None,
    their_name: str = "",
    born: dt.date | None = None,
    their_born: dt.date | None = None,
    sex: str = "",
    their_sex: str = "",
    mother: str = "",
    their_mother: str = "",
    born_from_id: bool = False,
) -> Comparison:
    """Compare one record searched with against one found. ``id_pair`` is (number, valid, their
    number, their validity); ``taken`` that the number searched with is another person's here;
    ``born_from_id`` says the birth date and sex searched with were read
    off the ID number, so that with the same number they are not counted a second time."""
    level_id = compare_ids(*id_pair, taken=taken)
    level_name, how = compare_names(keys, name_keys(their_name) if their_name else None)
    level_date, days = compare_dates(born, their_born)
    known = ("1", "2")  # GB/T 2261.1 0 未知 / 9 未说明, or junk, say nothing (they counted as another sex)
    level_sex = None if sex not in known or their_sex not in known else ("same" if sex == their_sex else "other")
    level_mother = None if not mother or not their_mother else ("same" if mother == their_mother else "other")
    if level_id == "same" and born_from_id:
        # the date and sex are the number's own: one piece of evidence, counted once
        level_date = None if level_date == "same" else level_date
        level_sex = None if level_sex == "same" else level_sex
    return Comparison(level_id, level_name, level_date, level_sex, level_mother, days, how)


@dataclass(frozen=True)
class Model:
    """The parameters: ``m[field][level]``, ``u[field][level]`` and ``share``, the expected number of
    persons already there that a record searched with is (0–1; the prior λ of a pair is ``share``
    over the persons searched among)."""

    m: dict[str, dict[str, float]]
    u: dict[str, dict[str, float]]
    share: float

    def weight(self, field: str, level: str, u: float | None = None) -> float:
        """``log2(m/u)`` of one field's level, with ``u`` replaced by a term frequency when given."""
        return math.log2(self.m[field][level] / (u if u is not None else self.u[field][level]))

    def total(self, c: Comparison, *, persons: int, name_u: float | None = None, date_u: float | None = None) -> float:
        """The pair's weight in bits, prior included, among ``persons`` persons. ``name_u``/``date_u``:
        the share of persons bearing the name / born on the date searched with, used for the exact
        levels (term frequencies)."""
        prior = min(self.share / max(persons, 1), 0.5)
        w = math.log2(prior / (1 - prior))
        for f in FIELDS:
            level = getattr(c, f)
            if level is None:
                continue
            tf = name_u if (f, level) == ("name", "exact") else date_u if (f, level) == ("date", "same") else None
            w += self.weight(f, level, tf)
        return w

    def score(self, c: Comparison, *, persons: int, name_u: float | None = None, date_u: float | None = None) -> int:
        """The match probability in per cent, 0–100 (rounded; 100 means 99.5 % or more)."""
        w = self.total(c, persons=persons, name_u=name_u, date_u=date_u)
        p = 1 / (1 + 2 ** (-w)) if w > -60 else 0.0
        return min(100, int(p * 100 + 0.5)) if p < 0.995 else 100


@lru_cache(maxsize=1)
def model() -> Model:
    """The shipped model (``storage/data/match_model.json``)."""
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    return Model(m=data["m"], u=data["u"], share=data["share"])


def explain(c: Comparison) -> str:
    """The comparison in a few Chinese words, strongest evidence first: 「同音、生日差1年、母亲同号」."""
    words = []
    for f in FIELDS:
        level = getattr(c, f)
        if level is None or (f == "sex" and level == "same"):
            continue
        if f == "name" and level in ("one_char", "one_char_short"):
            words.append({"char": "姓名差一字", "order": "字序颠倒", "dropped": "多字或少字"}.get(c.name_how, "差一字"))
        elif f == "date" and level == "day_unknown":
            words.append("同年同月、一方日为1日")
        elif f == "date" and level in ("near", "days", "lunar"):
            words.append(f"生日差{c.days}天")
        else:
            words.append(WORDS.get((f, level), level))
    return "、".join(words)
