"""Citizen ID numbers (公民身份号码), GB 11643-1999.

An 18-character number is a 6-digit address code, an 8-digit birth date (YYYYMMDD), a 3-digit
sequence (odd for men, even for women) and a check character computed with ISO 7064 MOD 11-2
(GB 11643-1999 §5.4–§5.5). A 15-digit first-generation number (address, YYMMDD, sequence) is
upgraded by inserting "19" and adding the check character.

A bad check character is an error when typed and a warning on import (DESIGN.md §5: the old
national system stopped checking it in 2009); callers decide the level, this module only says what
is wrong. It does not gate on the address code being a current county: numbers keep the code of the
county where they were first issued, retired codes included.
"""

from __future__ import annotations

import datetime as dt
import time
import unicodedata
from functools import lru_cache
from operator import mul
from typing import NamedTuple

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ZERO = 48 * sum(WEIGHTS)
CHECK_CHARS = "10X98765432"
# Province-level codes of GB/T 2260 plus 71 Taiwan, 81 Hong Kong, 82 Macao (residence permits use
# 810000/820000/830000, so 83 is accepted too).
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)

OK = "ok"
BAD_CHECKSUM = "bad_checksum"
BAD_DATE = "bad_date"
BAD_FORMAT = "bad_format"
UNKNOWN_REGION = "unknown_region"
LEGACY15 = "legacy15"
MISSING = "missing"

MESSAGES = {
    BAD_CHECKSUM: "身份证号码校验位不对：请逐位核对号码（最后一位可能是X）",
    BAD_DATE: "身份证号码中的出生日期不存在或晚于今天：请核对第7–14位",
    BAD_FORMAT: "身份证号码应为18位（前17位数字，末位数字或X）或15位数字",
    UNKNOWN_REGION: "身份证号码前两位不是省级代码：请核对前6位地址码",
}


class IdInfo(NamedTuple):
    """What a citizen ID number says (a named tuple: an import builds 200,000 of them, and a frozen
    dataclass takes four times as long to make).

    ``number`` is the input upper-cased and stripped; ``number_18`` the 18-character form (the input,
    or its upgrade from 15 digits; ``""`` when the format is wrong); ``status`` one of ``ok``,
    ``legacy15`` (a valid 15-digit number), ``bad_checksum``, ``bad_date``, ``bad_format``,
    ``unknown_region``, ``missing``; ``birth_date`` and ``sex`` (GB/T 2261.1 ``"1"``/``"2"``) are
    filled whenever the date part is a real date.
    """

    number: str
    number_18: str
    status: str
    birth_date: dt.date | None = None
    sex: str | None = None

    @property
    def ok(self) -> bool:
        """True for a valid 18-character number or a valid 15-digit one."""
        return self.status in (OK, LEGACY15)

    @property
    def message(self) -> str:
        """A Chinese message saying what is wrong and what to do; ``""`` when valid."""
        return MESSAGES.get(self.status, "")


def check_char(first17: str) -> str:
    """The GB 11643 check character for 17 digits. Raises ``ValueError`` on a non-digit."""
    if len(first17) != 17 or not first17.isdigit() or not first17.isascii():
        raise ValueError(f"need 17 digits, got {first17!r}")
    # the digits' ASCII codes times the weights, less 48 ("0") times the weights' sum: the same sum
    # as int(d) * w, without a Python step per digit (imports check every row's numbers)
    return CHECK_CHARS[(sum(map(mul, first17.encode("ascii"), WEIGHTS)) - _ZERO) % 11]


def upgrade15(number15: str) -> str:
    """Upgrade a 15-digit first-generation number to 18 characters (insert "19", add check)."""
    if len(number15) != 15 or not number15.isdigit():
        raise ValueError(f"need 15 digits, got {number15!r}")
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_char(first17)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def parse(number: str | None, today: dt.date | None = None) -> IdInfo:
    """Check ``number`` and say what it holds (see :class:`IdInfo`).

    ``today`` bounds the birth date (default: the real date); a birth date after it is ``bad_date``.
    Never raises. Results are cached (the checks ask about the same number several times).
    """
    return _parse(unicodedata.normalize("NFKC", number or "").strip().upper(), today or real_day())


_TODAY: list = [-1e9, None]  # (monotonic seconds when read, the date)


def real_day() -> dt.date:
    """Today's date, read again at most once a minute (an import parses 200,000 numbers): the one
    place hecha reads the real day. Bounds use it ("a date not after today": a physical fact, never
    an age or a window — those are judged at the campaign's reference date,
    storage.validate.judged_at), and so do deadlines that run in real days (协查, keys' grace), the
    clerks' workload window (``hecha clerks --days``) and the dates printed as labels (the county's
    recovery sheet, a work list's default file name)."""
    now = time.monotonic()
    if now - _TODAY[0] > 60:
        _TODAY[:] = [now, dt.date.today()]
    return _TODAY[1]


@lru_cache(maxsize=8192)  # the checks of one household or row ask again; a list of 100,000 numbers
# mostly does not (65,536 entries held 20 MiB of an import's 200 MB budget and rarely hit)
def _parse(text: str, today: dt.date) -> IdInfo:
    if not text:
        return IdInfo("", "", MISSING)
    if not text.isascii():  # full-width digits are ASCII after NFKC; ¹ or ٣ are digits to isdigit(), not here
        return IdInfo(text, "", BAD_FORMAT)
    if len(text) == 15 and text.isdigit():
        full = upgrade15(text)
        legacy = True
    elif len(text) == 18 and text[:17].isdigit() and (text[17].isdigit() or text[17] == "X"):
        full = text
        legacy = False
    else:
        return IdInfo(text, "", BAD_FORMAT)
    born = _date(full[6:14])
    sex = "1" if int(full[16]) % 2 else "2"
    if born is None or born > today or born.year < 1880:
        return IdInfo(text, full, BAD_DATE, None, sex)
    if full[:2] not in PROVINCES:
        return IdInfo(text, full, UNKNOWN_REGION, born, sex)
    if not legacy and check_char(full[:17]) != full[17]:
        return IdInfo(text, full, BAD_CHECKSUM, born, sex)
    return IdInfo(text, full, LEGACY15 if legacy else OK, born, sex)


def make(region6: str, born: dt.date, seq3: int) -> str:
    """Build a valid 18-character number from a 6-digit region, a birth date and a sequence 0–999.

    The sequence's parity gives the sex (odd male). Used by the synthetic population generator.
    """
    first17 = f"{region6}{born:%Y%m%d}{seq3:03d}"
    return first17 + check_char(first17)


def mask(number: str, *, date_shown: bool = False) -> str:
    """An ID number as a list shows it: all but its last four characters hidden
    (``**************0046``), or, when the person's birth date is shown beside it (``date_shown``),
    every character hidden: the county's code, the date and the last four characters would give the
    whole number back (GB 11643: region 6 + date 8 + sequence 3 + check 1). Issue 14."""
    if not number:
        return ""
    if date_shown:
        return "*" * len(number)
    return "*" * (len(number) - 4) + number[-4:] if len(number) > 4 else number


def mask_pair(a: str, b: str) -> tuple[str, str]:
    """Two ID numbers compared on a review screen: each masked as :func:`mask`, except that the
    positions where they differ stay visible in both, which is what the clerk decides on
    (``130123198707220046`` / ``130123198707202046`` → ``*************20046`` / ``*************02046``
    shows two digits swapped; the other characters stay hidden). Numbers of different lengths, or a
    missing one, are each masked alone. Issue 14: whole numbers only on a record's own detail."""
    if not a or not b or len(a) != len(b):
        return mask(a), mask(b)
    keep = {i for i in range(len(a)) if a[i] != b[i]} | set(range(len(a) - 4, len(a)))
    return tuple("".join(c if i in keep else "*" for i, c in enumerate(x)) for x in (a, b))  # type: ignore[return-value]
