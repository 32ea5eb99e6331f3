"""The county's progress at a glance (给各乡镇算好细账, issue 18 item 2): per township of the county,
its bundles (the last imported, weeks missing by the calendar, bundles held for a gap, a new epoch
after a restored backup), what it holds here (households, persons, births), possible duplicates
still open and assistance requests it has not answered in time — sorted so that the township that
needs a phone call is on top. Counted in SQL over the county's own database; nothing is loaded whole.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import peewee as pw

from .dates import iso_week
from .models import (
    AdminDivision,
    AssistReply,
    AssistRequest,
    Birth,
    BundleLog,
    BundleRefusal,
    CountyDecision,
    Household,
    MergeConflict,
    PeerOffice,
    Person,
    TownshipStatus,
)
from .office import reported_elsewhere
from .workdays import Calendar


@dataclass
class TownshipProgress:
    """One township's line. ``weeks_missing``: ISO weeks before the current one with no bundle since
    the last imported (by the calendar, not the sequence); ``held``: bundles waiting for a missing
    sequence number (their numbers in ``held_numbers``); ``epoch`` above 1: the township restored a
    backup and re-based its data (its first bundle of the new epoch carried everything again)."""

    code: str
    name: str
    registered: bool = False
    revoked: bool = False
    last_sequence: int = 0
    last_week: str = ""
    last_at: str = ""
    epoch: int = 0
    weeks_missing: int = 0
    held: int = 0
    held_numbers: str = ""
    households: int = 0
    persons: int = 0
    births: int = 0
    duplicates: int = 0
    overdue: int = 0
    unacked: int = 0  # decisions sent down and not yet acknowledged
    refused: str = ""  # codes of signed bundles refused since its last import, e.g. "B08 B10"
    findings_open: int = 0  # its reconciliation's findings not yet concluded (as its last bundle said)
    findings_concluded: int = 0
    reconciled_at: str = ""
    conflicts: int = 0  # rows its bundles carried that could not be merged, not yet decided

    @property
    def calls_for(self) -> list[str]:
        """Why to call the township, in words (empty: nothing to chase)."""
        why = []
        if self.revoked:
            why.append("公钥已吊销（换新密钥后 hecha keys replace）")
        if not self.registered:
            why.append("未登记公钥")
        elif not self.last_sequence:
            why.append("还没有数据包")
        codes = self.refused.split()
        if {"B08", "B10", "B16"} & set(codes):
            why.append(f"链断开（恢复过旧备份？请乡镇 hecha rebaseline --epoch {max(self.epoch, 1) + 1}）")
        other = [c for c in codes if c not in ("B08", "B10", "B16")]
        if other:
            why.append(f"数据包被拒（{' '.join(other)}）")
        if self.weeks_missing:
            why.append(f"缺{self.weeks_missing}周")
        if self.held:
            why.append(f"暂存{self.held}个（缺号）")
        if self.overdue:
            why.append(f"协查逾期{self.overdue}")
        if self.unacked:
            why.append(f"决定未回执{self.unacked}")
        if self.conflicts:
            why.append(f"冲突待定{self.conflicts}")
        if self.epoch > 1 and self.last_sequence == 1:
            why.append(f"从备份恢复过（第{self.epoch}纪元，全部记录重传）")
        return why

    @property
    def urgency(self) -> tuple[int, ...]:
        """Sort key, most urgent first: a township with something to ask before one with nothing; one
        that sends bundles before one not yet registered; then no bundle at all, weeks missing, held,
        overdue requests, decisions unacknowledged, duplicates."""
        return (
            int(not self.calls_for),
            int(not self.registered),
            -int(self.registered and not self.last_sequence),
            -int(bool(self.refused)),
            -self.weeks_missing,
            -self.held,
            -self.overdue,
            -self.unacked,
            -self.conflicts,
            -self.duplicates,
        )


def _week_index(week: str) -> int | None:
    """``2026-W48`` → a running week number (Monday of that ISO week, in weeks since 1 January 1)."""
    try:
        year, number = str(week).split("-W")
        return dt.date.fromisocalendar(int(year), int(number), 1).toordinal() // 7
    except (ValueError, TypeError):
        return None


def progress(today: dt.date) -> list[TownshipProgress]:
    """Every township of this county (the NBS table), most urgent first. ``today``: the office's day
    (the current ISO week is not yet missing: its bundle may come later in the week)."""
    townships = list(AdminDivision.select().where(AdminDivision.level == 4).order_by(AdminDivision.code))
    rows = {t.code: TownshipProgress(t.code, t.name) for t in townships}
    for peer in PeerOffice.select().where(PeerOffice.level == "township"):
        if peer.code in rows:
            rows[peer.code].registered = True
            rows[peer.code].revoked = bool(peer.revoked_at)
    # the last imported bundle of each township's newest epoch
    for log in BundleLog.select().where((BundleLog.direction == "in") & (BundleLog.status == "imported")):
        row = rows.get(log.sender)
        if row is None:
            continue
        if (log.epoch, log.sequence) > (row.epoch, row.last_sequence):
            row.epoch, row.last_sequence, row.last_at = log.epoch, log.sequence, log.at
            try:
                week = json.loads(log.manifest).get("iso_week", "")
            except (ValueError, AttributeError):
                week = ""
            row.last_week = week if _week_index(week) is not None else ""
    held = BundleLog.select(BundleLog.sender, BundleLog.epoch, BundleLog.sequence).where(
        (BundleLog.direction == "in") & (BundleLog.status == "held")
    )
    for sender, epoch, sequence in held.order_by(BundleLog.sequence).tuples():
        row = rows.get(sender)
        if row is None or epoch < row.epoch:
            continue  # held for a number of an epoch the township has left (re-based since): never applies
        row.held += 1
        row.held_numbers = f"{row.held_numbers},{sequence}".lstrip(",")
    now = _week_index(iso_week(today))
    for row in rows.values():
        last = _week_index(row.last_week)
        if row.registered and last is not None and now is not None:
            row.weeks_missing = max(0, now - last - 1)
    for model, attr in ((Household, "households"), (Person, "persons"), (Birth, "births")):
        q = (
            model.select(model.origin, pw.fn.COUNT(model.id))
            .where(model.deleted == False)  # noqa: E712
            .group_by(model.origin)
            .tuples()
        )
        for origin, n in q:
            if origin in rows:
                setattr(rows[origin], attr, n)
    for origin, elsewhere in reported_elsewhere().items():  # 不在本乡镇填报: counted once, by the reporting township
        if origin in rows:
            row = rows[origin]
            row.households -= elsewhere["household"]
            row.persons -= elsewhere["person"]
            row.births -= elsewhere["birth"]
    pending = (
        CountyDecision.select(CountyDecision.to_office, pw.fn.COUNT(CountyDecision.id))
        .where(CountyDecision.acked_at == "")
        .group_by(CountyDecision.to_office)
        .tuples()
    )
    for office, n in pending:
        if office in rows:
            rows[office].unacked = n
    _refusals(rows)
    _conflicts(rows)
    for st in TownshipStatus.select():
        if st.code in rows:
            r = rows[st.code]
            r.findings_open, r.findings_concluded, r.reconciled_at = (
                st.findings_open,
                st.findings_concluded,
                st.reconciled_at,
            )
    _duplicates(rows)
    _overdue(rows, today)
    return sorted(rows.values(), key=lambda r: (r.urgency, r.code))


def _refusals(rows: dict[str, TownshipProgress]) -> None:
    """Codes of the signed bundles refused since each township's last imported bundle (a later good
    import, after ``hecha rebaseline`` say, clears them)."""
    last_in = dict(
        BundleLog.select(BundleLog.sender, pw.fn.MAX(BundleLog.id))
        .where((BundleLog.direction == "in") & (BundleLog.status == "imported"))
        .group_by(BundleLog.sender)
        .tuples()
    )
    q = BundleRefusal.select(BundleRefusal.sender, BundleRefusal.code, BundleRefusal.after_log)
    for sender, code, after in q.order_by(BundleRefusal.id).tuples():
        row = rows.get(sender)
        if row is None or last_in.get(sender, 0) > after:
            continue
        if code not in row.refused.split():
            row.refused = f"{row.refused} {code}".strip()


def _conflicts(rows: dict[str, TownshipProgress]) -> None:
    """Merge conflicts still open, per township whose bundle carried the row."""
    q = (
        MergeConflict.select(BundleLog.sender, pw.fn.COUNT(MergeConflict.id))
        .join(BundleLog, on=(MergeConflict.bundle_id == BundleLog.bundle_id))
        .where((MergeConflict.status == "open") & (BundleLog.direction == "in"))
        .group_by(BundleLog.sender)
        .tuples()
    )
    for sender, n in q:
        if sender in rows:
            rows[sender].conflicts = n


def _duplicates(rows: dict[str, TownshipProgress]) -> None:
    """Possible duplicates the county's review holds at the warned score and nobody has decided yet
    (same, unsure; pairs decided different are not stored), per township of the first person (as of
    the review's last scoring)."""
    from .dedup import WARN_SCORE
    from .models import DupPair, MatchDecision

    decided = MatchDecision.select().where(
        (MatchDecision.a_uid == DupPair.pk_a) & (MatchDecision.b_uid == DupPair.pk_b)
    )
    q = (
        DupPair.select(Person.origin, pw.fn.COUNT(DupPair.id))
        .join(Person, on=(DupPair.a_id == Person.id))
        .where((DupPair.score >= WARN_SCORE) & ~pw.fn.EXISTS(decided))
        .group_by(Person.origin)
        .tuples()
    )
    try:
        for origin, n in q:
            if origin in rows:
                rows[origin].duplicates = n
    except pw.OperationalError:  # a layout without the stored pairs' columns: nothing to count
        return


def _overdue(rows: dict[str, TownshipProgress], today: dt.date) -> None:
    """Requests this county passed to a township with no reply back, older than their window counted
    from the day the county passed them on (the township's own receipt is a few days later at most)."""
    calendar = Calendar()
    replied = {r.request_uid for r in AssistReply.select(AssistReply.request_uid)}
    q = AssistRequest.select().where((AssistRequest.role == "relay") & (AssistRequest.status == "relayed"))
    for req in q:
        town = req.next_hop or req.to_township
        if town not in rows or req.uid in replied or not req.received_on:
            continue
        try:
            start = dt.date.fromisoformat(req.received_on)
        except ValueError:
            continue
        due = calendar.add_working_days(start, req.window_days) if req.window_working else None
        if due is not None and due.day < today:
            rows[town].overdue += 1
