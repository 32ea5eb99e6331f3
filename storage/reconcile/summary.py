"""Per village and statistical year (:func:`summary`): reported, found, concluded; the annual report's figures.

Part of :mod:`storage.reconcile` (issue 13: one job a module).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .records import stat_year

# ---------------------------------------------------------------------------- summary


COUNT_HEADINGS = ("年报", "已纠正", "核查出生", "漏报", "瞒报", "虚报", "错报", "待核", "差额")
"""The headings of :meth:`SummaryRow.counts`: births reported, corrected, found; the conclusions; the gap."""


@dataclass
class SummaryRow:
    """One village's year (statistical year, :func:`stat_year`): the annual report's births and
    earlier corrections (:class:`~storage.models.AnnualReport`), the births this verification
    found (the last run's linked births, not counting births elsewhere or WIS-only records), the
    visits' conclusions and the findings still open."""

    village_code: str
    year: int
    reported: int = 0
    corrected: int = 0
    linked: int = 0
    omissions: int = 0
    hidden: int = 0
    false: int = 0
    misreports: int = 0
    pending: int = 0

    def counts(self) -> tuple[int, ...]:
        """The figures of the row as every table of the summary shows them, in :data:`COUNT_HEADINGS`'
        order (the command line, the screen and the spreadsheet)."""
        f = self
        return f.reported, f.corrected, f.linked, f.omissions, f.hidden, f.false, f.misreports, f.pending, f.gap

    @property
    def gap(self) -> int:
        """Births found less births reported (with earlier corrections): what the report misses."""
        return self.linked - self.reported - self.corrected

    @property
    def omission_rate(self) -> float:
        """Confirmed omissions (漏报 + 瞒报) per birth found (0 when none were found)."""
        return (self.omissions + self.hidden) / self.linked if self.linked else 0.0


def summary(*, village: str = "") -> list[SummaryRow]:
    """Per village and statistical year, villages in code order, years ascending (see
    :class:`SummaryRow`); conclusions count only for births of the last run. A county that has not
    reconciled itself shows its townships' figures as their last bundles said them (issue 18)."""
    from ..models import AnnualReport, ReconcileFinding, VisitResult

    rows: dict[tuple[str, int], SummaryRow] = {}

    def row(code: str, day: str) -> SummaryRow | None:
        if not day or (village and not code.startswith(village)):
            return None
        year = stat_year(dt.date.fromisoformat(day))
        return rows.setdefault((code, year), SummaryRow(code, year))

    for a in AnnualReport.select():
        r = (
            rows.setdefault((a.village_code, a.year), SummaryRow(a.village_code, a.year))
            if not village or a.village_code.startswith(village)
            else None
        )
        if r:
            r.reported, r.corrected = a.reported, a.corrected
    concluded = {}
    current = {k for (k,) in ReconcileFinding.select(ReconcileFinding.key).tuples()}
    for v in VisitResult.select():
        if v.key not in current:  # its birth is not in the last run (another reference date, a list replaced)
            continue
        concluded[v.key] = v.conclusion
        r = row(v.village_code, v.birth_date)
        if r:
            if v.conclusion == "1":
                r.omissions += 1
            elif v.conclusion == "2":
                r.hidden += 1
            elif v.conclusion == "3":
                r.false += 1
            elif v.conclusion == "4":
                r.misreports += 1
    for key, kind, code, day in (
        ReconcileFinding.select(
            ReconcileFinding.key, ReconcileFinding.kind, ReconcileFinding.village_code, ReconcileFinding.birth_date
        )
        .tuples()
        .iterator()
    ):
        r = row(code, day)
        if r is None:
            continue
        if kind not in ("elsewhere", "false"):
            r.linked += 1
        if kind in ("omission", "false", "misreport") and key not in concluded:
            r.pending += 1
    if not current:  # a county that has not reconciled itself: its townships' figures, as their bundles said
        from ..models import TownshipSummary

        for t in TownshipSummary.select().order_by(TownshipSummary.village_code, TownshipSummary.year):
            if village and not t.village_code.startswith(village):
                continue
            r = rows.setdefault((t.village_code, t.year), SummaryRow(t.village_code, t.year))
            r.linked, r.omissions, r.hidden = t.linked, t.omissions, t.hidden
            r.false, r.misreports, r.pending = t.false, t.misreports, t.pending
    return [rows[k] for k in sorted(rows)]


def set_annual(village_code: str, year: int, *, reported: int, corrected: int = 0) -> tuple[int, int] | None:
    """Enter a village's births of a statistical year as the annual report gave them, and the
    births corrected by earlier verifications; returns the figures it replaced, if any."""
    from ..db import write_txn
    from ..models import AnnualReport

    if reported < 0 or corrected < 0:
        raise ValueError("出生数不能为负")
    before = AnnualReport.get_or_none((AnnualReport.village_code == village_code) & (AnnualReport.year == year))
    with write_txn():
        AnnualReport.insert(village_code=village_code, year=year, reported=reported, corrected=corrected).on_conflict(
            conflict_target=[AnnualReport.village_code, AnnualReport.year],
            update=dict(reported=reported, corrected=corrected),
        ).execute()
        _send_up(village_code, year, reported, corrected)
    return (before.reported, before.corrected) if before else None


def _send_up(village_code: str, year: int, reported: int, corrected: int) -> None:
    """A township's annual-report figures travel up in its next bundle (issue 18: the county's summary
    counted every 年报 as 0), as an ``annual`` message (:mod:`storage.outbox`)."""
    import uuid

    from ..models import Office
    from ..outbox import queue

    me = Office.get()
    if me.level != "township":
        return
    body = dict(
        type="annual",
        uid=str(uuid.uuid4()),
        origin=me.code,
        village_code=village_code,
        year=year,
        reported=reported,
        corrected=corrected,
    )
    queue("annual", body["uid"], body, me.county_code)


def total(rows: list[SummaryRow], year: int = 0) -> SummaryRow:
    """The sum of ``rows`` (village code ``""``; ``year`` 0 for the 合计 line)."""
    return SummaryRow(
        "",
        year,
        **{
            a: sum(getattr(r, a) for r in rows)
            for a in ("reported", "corrected", "linked", "omissions", "hidden", "false", "misreports", "pending")
        },
    )


def by_year(rows: list[SummaryRow]) -> list[SummaryRow]:
    """The villages' rows summed per statistical year, years ascending (the summary's bars)."""
    return [total([r for r in rows if r.year == year], year) for year in sorted({r.year for r in rows})]
