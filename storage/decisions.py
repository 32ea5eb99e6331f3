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

import peewee as pw

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


CHOICES = {"keep": "保留本库的", "take": "采用数据包的"}


def decide_conflict(
    conflict_id: int, choice: str, *, note: str = "", operator: str | None = None
) -> CountyDecision | None:
    """The county decides a merge conflict (DESIGN.md §9, issue 18 item 3): ``keep`` the row it holds
    or ``take`` the bundle's. A conflict of a row from its own township (a lower version after a
    restored backup, say) is decided through the township: a ``conflict`` decision carrying the
    chosen row goes down in the county's next ``county-request`` bundle, the township writes it to its
    row as a new version (its edit lost with the backup comes back, or its own stays) and acknowledges;
    its next bundle then carries the row newer, as usual. ``take`` also writes the bundle's row here at
    once. A row from an office that is not its origin can only be kept (nothing is sent). Returns the
    decision sent, or ``None`` when nothing goes down. Raises :class:`DecisionError`."""
    import json

    from .models import BundleLog, MergeConflict
    from .outbox import clean_text, queue
    from .rows import TABLES, dump

    me = Office.get()
    if me.level != "county":
        raise DecisionError("冲突由县里裁定：本命令用于县级数据库")
    if choice not in CHOICES:
        raise DecisionError(f"裁定应为 keep（保留本库的）或 take（采用数据包的），不是 {choice!r}")
    c = MergeConflict.get_or_none(MergeConflict.id == conflict_id)
    if c is None:
        raise DecisionError(f"没有编号为 {conflict_id} 的冲突：hecha conflicts 列出编号")
    if c.status != "open":
        raise DecisionError(f"冲突 {conflict_id} 已裁定（{c.status}，{c.decided_by}）")
    model = TABLES.get(c.table)
    try:
        incoming = json.loads(c.row_json)
    except ValueError:
        incoming = None
    if model is None or not isinstance(incoming, dict) or incoming.get("uid") != c.uid:
        raise DecisionError(f"冲突 {conflict_id} 存的记录读不出来：库被改动过？请用 hecha audit verify 检查")
    sender = c.sender or (BundleLog.select(BundleLog.sender).where(BundleLog.bundle_id == c.bundle_id).scalar() or "")
    own = incoming.get("origin") == sender
    if choice == "take" and not own:
        raise DecisionError(
            f"这条记录的来源单位 {incoming.get('origin')} 不是发来它的 {sender}：只能保留本库的（keep）"
        )
    held = model.get_or_none(model.uid == c.uid)
    note = clean_text(note, "说明")
    who = operator or operator_login()
    decision = None
    with write_txn():
        if choice == "take":
            _take_row(model, incoming, held, who, f"县级裁定冲突 {conflict_id}：采用数据包的")
            chosen: dict[str, Any] | None = incoming
        else:
            chosen = next((rec["r"] for rec in dump(model, model.uid == c.uid)), None) if held else None
        if own and chosen is not None:
            decision = CountyDecision.create(
                kind="conflict",
                person_uid=c.uid,
                unit=sender,
                to_office=sender,
                note=note,
                decided_at=now_iso(),
                decided_by=who,
                record_table=c.table,
                choice=choice,
                conflict_id=c.id,
            )
            body = dict(
                type="decision",
                uid=decision.uid,
                origin=me.code,
                kind="conflict",
                record_table=c.table,
                record_uid=c.uid,
                choice=choice,
                row=chosen,
                above=int(held.version) if held is not None else 0,
                seen_version=int(incoming["version"]),  # the township applies it only to the row it sent
                note=note,
            )
            queue("decision", decision.uid, body, sender)
        c.status = "taken" if choice == "take" else "kept"
        c.decided_at, c.decided_by = now_iso(), who
        c.decision_uid = decision.uid if decision else ""
        c.save()
    return decision


STATUS_WORDS = {"open": "待定", "kept": "已裁定：保留本库的", "taken": "已裁定：采用数据包的"}


def field_words(table: str, key: str) -> str:
    """A column of a bundle row in words (姓名, 出生日期 …), as the history names it; the column itself
    when it has no label (version, updated_at …)."""
    from .audit import MORE_LABELS
    from .validate import FIELD_LABELS

    name = key[:-4] if key.endswith("_uid") else key
    return (
        FIELD_LABELS.get(name)
        or MORE_LABELS.get(name)
        or {
            "uid": "记录编号",
            "origin": "来源单位",
            "version": "版本",
            "updated_at": "修改时间",
            "updated_by": "修改人",
        }.get(name, key)
    )


def conflict_sides(conflict_id: int) -> tuple[Any, list[tuple[str, str, str]], bool]:
    """A conflict side by side: ``(the MergeConflict, [(field, this database's value, the bundle's)]
    for the fields that differ, whether this database holds the row)``; references (``…_uid``) are
    not compared (a row number here, a uid in the bundle). Raises :class:`DecisionError` for an
    unknown number or a stored row that cannot be read."""
    import json

    from .models import MergeConflict
    from .rows import TABLES

    c = MergeConflict.get_or_none(MergeConflict.id == conflict_id)
    if c is None:
        raise DecisionError(f"没有编号为 {conflict_id} 的冲突：hecha conflicts 列出编号")
    try:
        incoming = json.loads(c.row_json)
    except ValueError:
        incoming = None
    if not isinstance(incoming, dict):
        raise DecisionError(f"冲突 {c.id} 存的记录读不出来（不是 JSON 对象）：库被改动过？请用 hecha audit verify 检查")
    model = TABLES.get(c.table)
    held = model.select().where(model.uid == c.uid).dicts().first() if model is not None else None
    lines = []
    for key in sorted(incoming):
        if held is not None and key.endswith("_uid"):
            continue
        ours = held.get(key) if held else None
        theirs = incoming[key]
        if held is None or str(ours) != str(theirs):
            lines.append(
                (field_words(c.table, key), "" if ours is None else str(ours), "" if theirs is None else str(theirs))
            )
    _describe([c])
    return c, lines, held is not None


def open_conflicts(limit: int = 1000, *, decided_too: bool = False) -> list[Any]:
    """Merge conflicts, oldest first (open ones only unless ``decided_too``), each described
    (:func:`_describe`)."""
    from .models import MergeConflict

    q = MergeConflict.select().order_by(MergeConflict.id)
    if not decided_too:
        q = q.where(MergeConflict.status == "open")
    return _describe(list(q.limit(limit)))


def _describe(rows: list[Any]) -> list[Any]:
    """Fill each conflict's ``sender`` (older rows from the bundle log), ``town`` (the sender's name),
    ``name`` (the row's 姓名, 户编码 or child's name as the bundle carried it), ``table_words`` and
    ``status_words``."""
    import json

    from .audit import TABLE_WORDS
    from .models import BundleLog
    from .office import division_name

    senders = dict(
        BundleLog.select(BundleLog.bundle_id, BundleLog.sender)
        .where(BundleLog.bundle_id.in_(sorted({c.bundle_id for c in rows})))
        .tuples()
    )
    for c in rows:
        c.sender = c.sender or senders.get(c.bundle_id, "")
        c.town = division_name(c.sender) or c.sender
        c.table_words = TABLE_WORDS.get(c.table, c.table)
        c.status_words = STATUS_WORDS.get(c.status, c.status)
        try:
            r = json.loads(c.row_json)
            c.name = (
                str(r.get("name") or r.get("household_code") or r.get("child_name") or "")
                if isinstance(r, dict)
                else ""
            )
        except ValueError:
            c.name = ""
    return rows


def _take_row(model, incoming: dict[str, Any], held, who: str, reason: str) -> None:
    """Write the bundle's version of a row at the county (its content; the version the higher of the
    two, so the township's next version is newer still), with an audit row."""
    from .audit import chain
    from .models import AuditLog
    from .rows import columns, ids_by_uid, insert_rows, update_rows

    values: dict[str, Any] = {}
    for col in columns(model):
        v = incoming[col.key]
        if col.fk and v is not None:
            found = ids_by_uid(col.field.rel_model, [v]).get(v)
            if found is None:
                raise DecisionError(f"数据包的这条记录引用的 {v} 本库没有：先裁定它引用的那条冲突")
            v = found[0]
        values[col.column] = v
    if held is None:
        insert_rows(model, [values])
    else:
        values["version"] = max(int(held.version), int(incoming["version"]))
        update_rows(model, [(values, held.id)])
    rows = [
        dict(
            at=now_iso(),
            operator=who,
            table=model._meta.table_name,
            uid=incoming["uid"],
            field="*",
            old=str(held.version) if held else None,
            new=str(incoming["version"]),
            reason=reason,
        )
    ]
    chain(rows)
    AuditLog.insert_many(rows).execute()


class _Refused(Exception):
    """The chosen row would break its household's checks here: not written (a savepoint rolls back)."""


def _household_uid(model, row) -> str:
    """The uid of the household ``row`` (of any shared table) belongs to."""
    from .models import Household, Person

    if model is Household:
        return row.uid
    if hasattr(row, "household_id"):
        return Household.get_by_id(row.household_id).uid
    return Household.get_by_id(Person.get_by_id(row.person_id).household_id).uid


def _apply_conflict(body: dict[str, Any], me: Office) -> str:
    """A township writes the county's chosen row to its own row (a new version, audited) when that
    row is still as it sent it (``seen_version``); returns the outcome — ``applied``; ``superseded``
    (edited here since: the newer edit goes up and replaces the county's); ``refused`` (the row would
    break its household's checks, or names a row no longer held); ``ignored`` (not this township's
    row, or the decision was taken before). The first three are acknowledged and kept, so a decision
    arriving twice is taken once."""
    from .audit import save
    from .check import ERROR, check_database
    from .models import AppliedDecision
    from .models import Office as OfficeRow
    from .rows import TABLES, check_owner_of, columns, ids_by_uid

    if AppliedDecision.select().where(AppliedDecision.uid == body["uid"]).exists():
        return "ignored"
    model = TABLES[body["record_table"]]
    row = model.get_or_none(model.uid == body["record_uid"])
    if row is None or row.origin != me.code:
        return "ignored"
    outcome = "applied"
    if row.version != body["seen_version"]:
        outcome = "superseded"
    elif check_owner_of(body["record_table"], body["row"], me.code):
        outcome = "refused"  # a household moved out of this township's villages
    else:
        try:
            with model._meta.database.atomic():  # a savepoint inside the import's transaction
                for col in columns(model):  # type: ignore[arg-type]  # mypy#11469: a class is not seen as Hashable
                    if col.field.name in ("id", "uid", "origin", "version", "updated_at", "updated_by"):
                        continue
                    v = body["row"][col.key]
                    if col.fk and v is not None:
                        found = ids_by_uid(col.field.rel_model, [v]).get(v)
                        if found is None:
                            raise _Refused  # it names a row this township no longer holds
                        setattr(row, col.field.column_name, found[0])
                    elif col.fk:
                        setattr(row, col.field.column_name, None)
                    else:
                        setattr(row, col.field.name, v)
                OfficeRow.update(version_counter=pw.fn.MAX(OfficeRow.version_counter, body["above"])).execute()
                reason = f"县级裁定冲突（{CHOICES[body['choice']]}，决定 {body['uid'][:8]}）"
                save(row, reason=reason, operator="县级裁定")
                household = _household_uid(model, row)
                if any(f.level == ERROR for f in check_database(household_uids=[household])):
                    raise _Refused
        except _Refused:
            outcome = "refused"
    AppliedDecision.create(uid=body["uid"], at=now_iso(), outcome=outcome)
    return outcome


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

    if body.get("type") == "decision" and body.get("kind") == "conflict":
        return _check_conflict(body, sender, sender_level, uid_ok)
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


def _check_conflict(body: dict[str, Any], sender: str, sender_level: str, uid_ok) -> dict[str, Any]:
    """Check a ``conflict`` decision: the county's, a shared table, a row that fits it (the bundle
    record checks of :func:`storage.rows.validate_record`), its uid the one named."""
    from .outbox import MessageError, has_controls
    from .rows import SchemaError, validate_record

    keys = {
        "type",
        "uid",
        "origin",
        "kind",
        "record_table",
        "record_uid",
        "choice",
        "row",
        "above",
        "seen_version",
        "note",
    }
    if sender_level != "county" or body.get("origin") != sender or set(body) != keys:
        raise MessageError("县里的冲突裁定格式不对，或不是县里发的")
    choice, table = body["choice"], body["record_table"]
    if not (isinstance(choice, str) and choice in CHOICES and isinstance(table, str)):
        raise MessageError("县里的冲突裁定的裁定或表不对")
    if not uid_ok(body["uid"]) or not uid_ok(body["record_uid"]):
        raise MessageError("县里的冲突裁定的编号不对")
    for number in (body["above"], body["seen_version"]):
        if type(number) is not int or not 0 <= number < 2**53:  # versions: well below a jump of 10^9 per restore
            raise MessageError("县里的冲突裁定的版本号不对")
    try:
        validate_record({"t": body["record_table"], "r": body["row"]})
    except SchemaError as exc:
        raise MessageError(f"县里的冲突裁定所带的记录不对：{exc}") from None
    if body["row"]["uid"] != body["record_uid"]:
        raise MessageError("县里的冲突裁定所带的记录不是它裁定的那条")
    if any(isinstance(v, str) and has_controls(v) for v in body["row"].values()):
        raise MessageError("县里的冲突裁定所带的记录有控制字符")
    note = body["note"]
    if not isinstance(note, str) or len(note) > 500 or has_controls(note):
        raise MessageError("县里的决定的说明太长或有控制字符")
    return body


def take(body: dict[str, Any], *, sender: str) -> str:
    """Apply a checked message inside the import's transaction: a township marks its record and
    queues the acknowledgement; a county records the acknowledgement. Returns the count's name."""
    from .outbox import queue

    me = Office.get()
    if body["type"] == "decision":
        if me.level != "township":
            return "ignored"
        if body["kind"] == "conflict":
            if _apply_conflict(body, me) == "ignored":
                return "ignored"
            ack = dict(type="ack", uid=str(uuid.uuid4()), origin=me.code, decision=body["uid"])
            queue("ack", ack["uid"], ack, me.county_code)
            return "decisions"
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
