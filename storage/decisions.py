"""The county's decisions sent down (issue 18): which township reports a person registered in two
(填报单位). The county records the decision and marks its own copy; a ``decision`` message goes to the
township whose record is not the reporting one, in the county's next ``county-request`` bundle; that
township marks its record 不在本乡镇填报 (kept, never deleted, out of its counts) and acknowledges in
its next bundle (an ``ack`` message), which the county's progress shows. Messages travel as the
assistance requests do (:mod:`storage.assist`); a row is still written only by its origin office
(DESIGN.md §4): the mark is a table of its own at each office, not a change of the person's row.
"""

from __future__ import annotations

import uuid
from typing import Any

from .db import now_iso, write_txn
from .errors import OperatorError
from .models import CountyDecision, Office, Person, ReportUnit
from .paths import operator_login


class DecisionError(OperatorError):
    """A decision that cannot be made as asked; the message says why."""


def decide_report_unit(
    a_uid: str, b_uid: str, unit: str, *, note: str = "", operator: str | None = None
) -> CountyDecision:
    """The county decides that township ``unit`` reports the person registered as ``a_uid`` and
    ``b_uid`` (two townships' records of her). Raises :class:`DecisionError`."""
    from .outbox import clean_text, queue

    me = Office.get()
    if me.level != "county":
        raise DecisionError("填报单位由县里决定：本命令用于县级数据库")
    live = Person.deleted == False  # noqa: E712
    people = [Person.get_or_none((Person.uid == u) & live) for u in (a_uid, b_uid)]
    if any(p is None for p in people):
        raise DecisionError("两个 uid 中有不是在册人员的：uid 见 hecha duplicates 的最后两列")
    a, b = people[0], people[1]
    assert a is not None and b is not None
    if a.uid == b.uid:
        raise DecisionError("甲和乙是同一条记录：请给出两个乡镇各自登记的那两条")
    if not _same_person(a, b):
        raise DecisionError(
            f"{a.name} 和 {b.name} 不是同号，也不是重复登记审查里的一对：先用 hecha duplicates 核对是同一人"
        )
    held = ReportUnit.select().where(ReportUnit.person_uid.in_([a.uid, b.uid])).first()
    if held is not None:
        raise DecisionError(f"这两人已定由 {held.unit} 填报（决定 {held.decision_uid[:8]}）：本版本还不能改")
    if a.origin == b.origin:
        raise DecisionError(f"两人都是 {a.origin} 登记的：同一乡镇的重复由乡镇合并，不用定填报单位")
    if unit not in (a.origin, b.origin):
        raise DecisionError(f"填报单位应是登记这两人的乡镇之一：{a.origin} 或 {b.origin}")
    other = b if unit == a.origin else a
    note = clean_text(note, "说明")
    with write_txn():
        decision = CountyDecision.create(
            kind="report_unit",
            person_uid=other.uid,
            unit=unit,
            to_office=other.origin,
            note=note,
            decided_at=now_iso(),
            decided_by=operator or operator_login(),
        )
        _mark(other.uid, unit, decision.uid)
        from .dedup import decide_pair

        decide_pair(a.uid, b.uid, "same", who=operator or operator_login(), note=f"填报单位 {unit}")
        body = dict(
            type="decision",
            uid=decision.uid,
            origin=me.code,
            kind="report_unit",
            person_uid=other.uid,
            unit=unit,
            note=note,
        )
        queue("decision", decision.uid, body, other.origin)
    return decision


def _same_person(a: Person, b: Person) -> bool:
    """Two records the county may decide on: the same valid ID number, or a pair its review holds."""
    from .models import DupPair

    if a.id_number_18 and a.id_number_18 == b.id_number_18:
        return True
    return (
        DupPair.select()
        .where(((DupPair.a_id == a.id) & (DupPair.b_id == b.id)) | ((DupPair.a_id == b.id) & (DupPair.b_id == a.id)))
        .exists()
    )


def check(body: dict[str, Any], sender: str, sender_level: str) -> dict[str, Any]:
    """Check a ``decision`` (only a county sends one) or an ``ack`` (a township's, of a decision).
    Raises :class:`storage.outbox.MessageError`."""
    from .outbox import MessageError, has_controls

    def uid_ok(value: Any) -> bool:
        try:
            return isinstance(value, str) and str(uuid.UUID(value)) == value
        except ValueError:
            return False

    if body.get("type") == "decision":
        keys = {"type", "uid", "origin", "kind", "person_uid", "unit", "note"}
        if sender_level != "county" or body.get("origin") != sender or set(body) != keys:
            raise MessageError("县里的决定格式不对，或不是县里发的")
        unit = body["unit"]
        ok_unit = isinstance(unit, str) and len(unit) == 9 and unit.isascii() and unit.isdigit()
        if body["kind"] != "report_unit" or not ok_unit or not unit.startswith(sender):
            raise MessageError("县里的决定的类别或填报单位不对")
        note = body["note"]
        if not uid_ok(body["uid"]) or not uid_ok(body["person_uid"]) or not isinstance(note, str):
            raise MessageError("县里的决定的编号不对")
        if len(note) > 500 or has_controls(note):
            raise MessageError("县里的决定的说明太长或有控制字符")
        return body
    if sender_level != "township" or body.get("origin") != sender or set(body) != {"type", "uid", "origin", "decision"}:
        raise MessageError("乡镇的回执格式不对")
    if not uid_ok(body["uid"]) or not uid_ok(body["decision"]):
        raise MessageError("乡镇的回执的编号不对")
    return body


def take(body: dict[str, Any], *, sender: str) -> str:
    """Apply a checked message inside the import's transaction: a township marks its record and
    queues the acknowledgement; a county records the acknowledgement. Returns the count's name."""
    from .outbox import queue

    me = Office.get()
    if body["type"] == "decision":
        if me.level != "township":
            return "ignored"
        person = Person.get_or_none(Person.uid == body["person_uid"])
        if person is None or person.origin != me.code or body["unit"] == me.code:
            return "ignored"  # not ours (a decision about a record merged away meanwhile): nothing to mark
        _mark(person.uid, body["unit"], body["uid"])
        ack = dict(type="ack", uid=str(uuid.uuid4()), origin=me.code, decision=body["uid"])
        queue("ack", ack["uid"], ack, me.county_code)
        return "decisions"
    decision = CountyDecision.get_or_none(
        (CountyDecision.uid == body["decision"]) & (CountyDecision.to_office == sender)
    )
    if decision is None:
        return "ignored"
    if not decision.acked_at:
        decision.acked_at = now_iso()
        decision.save()
    return "acks"


def _mark(person_uid: str, unit: str, decision_uid: str) -> None:
    """Mark a record 不在本乡镇填报 (``unit`` reports her); a later decision replaces an earlier."""
    ReportUnit.insert(person_uid=person_uid, unit=unit, decision_uid=decision_uid, at=now_iso()).on_conflict(
        conflict_target=[ReportUnit.person_uid],
        update={ReportUnit.unit: unit, ReportUnit.decision_uid: decision_uid, ReportUnit.at: now_iso()},
    ).execute()
