"""Dates as clerks type them and as hecha stores them (DESIGN.md §4, §10).

Typed: ``YYYYMMDD``, or ``YYYYMM`` when the day is unknown (also ``YYYY-MM-DD``). Stored: an ISO
date string with a precision, ``D`` (day known) or ``M`` (month known; day stored as 01) or ``Y``.
"""

from __future__ import annotations

import datetime as dt

from .errors import OperatorError


class DateInputError(OperatorError, ValueError):
    """A typed date that is not a real date; the message is Chinese and says the expected form."""


def parse_typed(text: str) -> tuple[str, str]:
    """``"20170306"`` → ``("2017-03-06", "D")``; ``"201703"`` → ``("2017-03-01", "M")``.

    Raises :class:`DateInputError` for anything else or a date that does not exist.
    """
    raw = (text or "").strip().replace("-", "").replace("/", "").replace(".", "")
    if not raw.isdigit() or len(raw) not in (4, 6, 8):
        raise DateInputError(f"日期“{text}”应为8位年月日（如20170306）或6位年月（如201703）")
    year = int(raw[:4])
    month = int(raw[4:6]) if len(raw) >= 6 else 1
    day = int(raw[6:8]) if len(raw) == 8 else 1
    try:
        value = dt.date(year, month, day)
    except ValueError:
        raise DateInputError(f"日期“{text}”不存在：请核对年、月、日") from None
    if year < 1880:
        raise DateInputError(f"日期“{text}”的年份早于1880年：请核对")
    prec = {8: "D", 6: "M", 4: "Y"}[len(raw)]
    return value.isoformat(), prec


def typed_date(text: str) -> dt.date | None:
    """The date a typed value means (a missing day or month as the 1st), or ``None`` when empty or
    not a date."""
    try:
        return dt.date.fromisoformat(parse_typed(text)[0]) if text else None
    except DateInputError:
        return None


def to_typed(iso: str, prec: str = "D") -> str:
    """The stored form back as typed: ``("2017-03-06", "D")`` → ``"20170306"``."""
    if not iso:
        return ""
    digits = iso.replace("-", "")
    return digits[: {"D": 8, "M": 6, "Y": 4}.get(prec, 8)]


def iso_week(day: dt.date) -> str:
    """ISO 8601 week of ``day``, as ``"2026-W48"``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved by ``years`` (negative for earlier); 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def local_time(stamp: str) -> str:
    """A stored UTC time (``2026-12-05T01:43:56Z``) as a person reads it: this machine's local time,
    ``2026-12-05 09:43`` for an office in China. ``""`` stays ``""``; text that is not such a time is
    returned as it is."""
    if not stamp:
        return ""
    try:
        when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    try:
        return when.astimezone().strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError):  # 9999-12-31T23:59:59-10:00 is past the last local time
        return stamp
