"""Working days (工作日) and due dates of assistance requests (DESIGN.md §8; issue 17).

A working day is a day of the State Council's holiday calendar on which offices work: Monday to
Friday outside the public holidays, and the weekend days declared working days (调休). Three sources,
in this order:

1. the office's **override file** (table ``calendar_override``), loaded from the State Council's
   notice for a new year (国务院办公厅关于某年部分节假日安排的通知) with :func:`load_override`; it wins
   wherever it names a day;
2. ``chinesecalendar`` (the package ``chinese_calendar``) for the years it knows (2004 up to the
   release's last year);
3. otherwise weekends only: the day is judged **provisionally** (暂定) and every due date counted
   over it says so.

A year the package does not know counts as covered once the file names at least :data:`NOTICE_DAYS`
of its days (a notice lists every holiday and 调休 day of its year; a file with a day or two is a
correction, not the notice). Nothing here raises on a date: a year outside every source is
provisional, never an error.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .db import now_iso, write_txn
from .errors import OperatorError
from .models import CalendarOverride

DEFAULT_WINDOW = 15  # working days from receipt (the plan, 三.四)
NOTICE_DAYS = 10
"""A year the package does not know is exact once the office's file names this many of its days: a
State Council notice lists 25–30 (seven holidays and their 调休 Saturdays); fewer are corrections to
single days, and the rest of such a year stays provisional."""
MOST_DAYS = 3660  # working days counted at most (ten years): a window past that is no window


class CalendarFileError(OperatorError):
    """An override file that cannot be read; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class Due:
    """A due date: ``day`` and whether any day counted was judged by weekends only (``provisional``,
    shown as 暂定)."""

    day: dt.date
    provisional: bool

    def text(self) -> str:
        """``2026-10-15`` or ``2027-01-12（暂定）``."""
        return self.day.isoformat() + ("（暂定）" if self.provisional else "")


def _package_day(day: dt.date) -> bool | None:
    """chinesecalendar's judgement, or ``None`` for a year it does not know."""
    try:
        import chinese_calendar

        return bool(chinese_calendar.is_workday(day))
    except (NotImplementedError, ImportError, ValueError, OverflowError):
        return None


class Calendar:
    """Working days as this office knows them: the override rows are read once (a few dozen)."""

    def __init__(self, rows: Iterable[tuple[str, bool]] | None = None) -> None:
        """``rows``: the override's ``(ISO day, working)`` pairs; ``None`` reads them from the
        office database (``hecha doctor`` gives them from its read-only connection)."""
        if rows is None:
            rows = CalendarOverride.select(CalendarOverride.day, CalendarOverride.working).tuples()
        self.override: dict[dt.date, bool] = {}
        for day, working in rows:
            try:
                self.override[dt.date.fromisoformat(day)] = bool(working)
            except (TypeError, ValueError):
                continue
        per_year: dict[int, int] = {}
        for d in self.override:
            per_year[d.year] = per_year.get(d.year, 0) + 1
        self.notice_years = {y for y, n in per_year.items() if n >= NOTICE_DAYS}

    def judge(self, day: dt.date) -> tuple[bool, bool]:
        """``(working, provisional)`` for ``day``: a day the office's file names; else
        chinesecalendar's judgement; else, in a year whose whole notice the file holds, a plain
        weekday or weekend; else weekends only, provisionally."""
        if day in self.override:
            return self.override[day], False
        known = _package_day(day)
        if known is not None:
            return known, False
        weekday = day.weekday() < 5
        if day.year in self.notice_years:
            return weekday, False  # the notice named its year's holidays and 调休 days: the rest is plain
        return weekday, True

    def is_working_day(self, day: dt.date) -> bool:
        """Whether offices work on ``day``."""
        return self.judge(day)[0]

    def add_working_days(self, start: dt.date, days: int) -> Due:
        """The day ``days`` working days after ``start`` (``start`` itself not counted: a request
        received on the 18th of September 2026 with 15 working days is due on the 15th of October).
        ``days`` < 1 gives ``start``. Provisional when any day passed over was judged by weekends only.
        """
        day, provisional, left = start, False, min(days, MOST_DAYS)
        while left > 0:
            try:
                day += dt.timedelta(days=1)
            except OverflowError:
                return Due(dt.date.max, True)
            working, guess = self.judge(day)
            provisional |= guess
            left -= working
        return Due(day, provisional)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative when ``end`` is
        earlier): the days left until a due date, or overdue by."""
        if end == start:
            return 0
        sign, a, b = (1, start, end) if end > start else (-1, end, start)
        n, day = 0, a
        while day < b:
            day += dt.timedelta(days=1)
            n += self.is_working_day(day)
        return sign * n

    def covered_until(self, start: dt.date) -> dt.date:
        """The last day from ``start`` on that is judged without guessing (for ``hecha doctor`` and
        the inbox's notice): the day before the first provisional day, at most two years ahead."""
        day = start
        try:
            end = start + dt.timedelta(days=731)
        except OverflowError:
            end = dt.date.max
        while day < end:
            if self.judge(day)[1]:
                return day if day == start else day - dt.timedelta(days=1)
            day += dt.timedelta(days=1)
        return end


def due_date(received: dt.date, window: int = DEFAULT_WINDOW, working: bool = True) -> Due:
    """The due date of a request received on ``received``: ``window`` working days later (calendar
    days when ``working`` is false, never provisional). DESIGN.md §8."""
    if not working:
        try:
            return Due(received + dt.timedelta(days=window), False)
        except OverflowError:
            return Due(dt.date.max, True)
    return Calendar().add_working_days(received, window)


def parse_override(path: str | Path) -> list[tuple[dt.date, bool, str]]:
    """Read an override file: one day per line, ``YYYY-MM-DD`` then ``休`` (a holiday or a rest day)
    or ``班`` (a working day, 调休), then an optional note; blank lines and lines starting with ``#``
    are skipped. Also accepted for the second column: ``off``/``0`` and ``work``/``1``. Returns
    ``[(day, working, note)]``. Raises :class:`CalendarFileError` with the file and line number."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CalendarFileError(f"找不到日历文件 {path}：请检查路径。") from None
    except UnicodeDecodeError:
        raise CalendarFileError(f"{path} 不是 UTF-8 文本：请用记事本另存为 UTF-8 后再导入。") from None
    except OSError as exc:
        raise CalendarFileError(f"读不了日历文件 {path}：{exc.strerror}") from None
    days: list[tuple[dt.date, bool, str]] = []
    seen: dict[dt.date, int] = {}
    for no, line in enumerate(text.splitlines(), start=1):
        line = unicodedata.normalize("NFKC", line).replace("，", ",").replace(",", " ").strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        shown = "".join("?" if unicodedata.category(c) in ("Cc", "Cf") else c for c in line[:40])
        where = f"{path.name} 第{no}行「{shown}」"
        shape = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", parts[0])
        if not shape:
            raise CalendarFileError(f"{where}：日期应写成 2027-01-01 这样。")
        try:
            day = dt.date(*map(int, shape.groups()))
        except ValueError:
            raise CalendarFileError(f"{where}：没有 {parts[0]} 这一天，请按通知核对。") from None
        if not 2000 <= day.year <= 2100:
            raise CalendarFileError(f"{where}：{day.year} 年不是放假安排的年份（2000～2100）。")
        if len(parts) < 2:
            raise CalendarFileError(f"{where}：日期后面要写「休」（放假）或「班」（调休上班）。")
        kind = parts[1].lower()
        if kind in ("休", "off", "0", "假"):
            working = False
        elif kind in ("班", "work", "1"):
            working = True
        else:
            raise CalendarFileError(f"{where}：第二栏应为「休」或「班」，不是「{parts[1]}」。")
        if day in seen:
            raise CalendarFileError(f"{where}：{day} 在第{seen[day]}行已写过。")
        seen[day] = no
        note = parts[2] if len(parts) > 2 else ""
        if len(note) > 100 or any(unicodedata.category(c) in ("Cc", "Cf") for c in note):
            raise CalendarFileError(f"{path.name} 第{no}行：说明太长（最多100字）或有控制字符。")
        days.append((day, working, note))
        if len(days) > 5000:
            raise CalendarFileError(f"{path} 超过 5000 天：放假安排每年只有几十天，请检查是不是拿错了文件。")
    if not days:
        raise CalendarFileError(f"{path} 里没有日期：每行写一天，如「2027-02-16 休 春节」。")
    return days


def load_override(path: str | Path, *, operator: str = "") -> tuple[int, list[int]]:
    """Load an override file into the office's calendar, replacing what it held for the years the
    file names (a corrected notice replaces the old one). Returns ``(days, years)``. All or nothing.
    Raises :class:`CalendarFileError`."""
    days = parse_override(path)
    with write_txn():
        years = store_days(days, source=Path(path).name, operator=operator)
    return len(days), years


def store_days(days: list[tuple[dt.date, bool, str]], *, source: str, operator: str = "") -> list[int]:
    """Write ``days`` in place of what the office held for their years (inside the caller's write
    transaction). Returns the years."""
    years = sorted({d.year for d, _, _ in days})
    for year in years:
        CalendarOverride.delete().where(CalendarOverride.day.startswith(f"{year}-")).execute()
    rows = [
        dict(day=d.isoformat(), working=w, note=note, source=source, loaded_at=now_iso(), loaded_by=operator)
        for d, w, note in days
    ]
    for at in range(0, len(rows), 100):  # SQLite's bound-variable limit: 100 rows a statement
        CalendarOverride.insert_many(rows[at : at + 100]).execute()
    return years
