"""Per-clerk keying figures (issue 4): forms and persons keyed per day, average time per form.

Read from :class:`~storage.models.EntryLog`, which the household form writes when it saves (the time
runs from the form's first keystroke to its saving; a form continued from a draft counts from its
first start). Dates are UTC calendar days of the saving.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from peewee import fn

from .db import now_iso, write_txn
from .models import EntryLog


@dataclass(frozen=True)
class ClerkDay:
    """One operator's day: new forms, edited forms, persons on the new forms, average seconds per new form."""

    operator: str
    day: str
    forms: int
    edits: int
    persons: int
    average_seconds: float


def log_entry(operator: str, household_uid: str, started_at: str, persons: int, new_form: bool) -> None:
    """Record a saved form (``started_at`` is an ISO UTC time, as :func:`storage.db.now_iso` writes)."""
    saved = now_iso()
    start = dt.datetime.fromisoformat(started_at.replace("Z", "+00:00"))
    seconds = max(int((dt.datetime.fromisoformat(saved.replace("Z", "+00:00")) - start).total_seconds()), 0)
    with write_txn():
        EntryLog.create(
            operator=operator,
            household_uid=household_uid,
            started_at=started_at,
            saved_at=saved,
            seconds=seconds,
            persons=persons,
            new_form=new_form,
        )


def clerk_days(since: dt.date | None = None) -> list[ClerkDay]:
    """Figures per operator and day, oldest first (from ``since`` on, when given). The day is the
    office's own (local time, SQLite's ``localtime``): a clerk's morning in China is not yesterday's
    UTC evening (issue 15)."""
    day = fn.date(EntryLog.saved_at, "localtime")
    query = (
        EntryLog.select(
            EntryLog.operator,
            day.alias("day"),
            fn.SUM(EntryLog.new_form).alias("forms"),
            fn.SUM(1 - EntryLog.new_form).alias("edits"),
            fn.SUM(EntryLog.persons * EntryLog.new_form).alias("persons"),
            fn.SUM(EntryLog.seconds * EntryLog.new_form).alias("seconds"),
        )
        .group_by(EntryLog.operator, day)
        .order_by(day, EntryLog.operator)
    )
    if since:
        query = query.where(EntryLog.saved_at >= since.isoformat())
    return [
        ClerkDay(
            r.operator,
            r.day,
            r.forms or 0,
            r.edits or 0,
            r.persons or 0,
            (r.seconds or 0) / r.forms if r.forms else 0.0,
        )
        for r in query
    ]
