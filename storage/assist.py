"""Assistance requests (协查) between offices, their replies, routing and statistics (DESIGN.md §8;
issue 17).

A township raises a request about a person or a birth that another county must check (a migrant, a
birth on a hospital list to a mother from elsewhere — 外地出生 —, a duplicate whose other record is
another office's, or by hand). The request travels up in the township's next bundle; its county
**routes** it: to one of its own townships (the one named, or the one of the subject's current or
household-registration village), or on to the other county in a ``county-request`` bundle, which
routes it down the same way. The township that receives it has ``window_days`` working days from
the day of receipt (:mod:`storage.workdays`) to reply 一致 / 不一致 (with the fields as found) /
查无此人 / 已迁出 (with where to); the reply travels back the same way. The asking office takes the
reply (``verify``) and applies the corrections to its own rows: a row is written only by its origin
office (DESIGN.md §4).

Requests and replies are immutable **messages** (a uid and the office of origin), not merged rows:
they cross counties through relays, which a row's owner check forbids. Each office keeps its own
state (:class:`~storage.models.AssistRequest`, :class:`~storage.models.AssistReply`), the history of
each request (:class:`~storage.models.AssistEvent`) and the messages waiting for the bundle to the
next office (:class:`~storage.models.AssistOutbox`).

Statistics follow the national platform: per office and month, requests sent, received from
elsewhere, answered (on time, late) and verified.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import divisions, idnumber
from .dates import DateInputError, parse_typed
from .db import now_iso, write_txn
from .errors import OperatorError
from .models import (
    AssistEvent,
    AssistOutbox,
    AssistReply,
    AssistRequest,
    Birth,
    Migration,
    Office,
    PeerOffice,
    Person,
    ReconcileFinding,
)
from .outbox import MAX_TEXT, MessageError, TextError, has_controls, printable
from .outbox import clean_text as _clean_text
from .outbox import queue as _queue
from .paths import operator_login
from .workdays import Calendar, Due, due_date

KINDS_FILE = Path(__file__).resolve().parent / "data" / "assist_kinds.toml"

PRIORITIES = {"1": "紧急", "2": "急", "3": "一般"}
"""DATA.md: 紧急 (pregnant now), 急, 一般."""
ITEMS = {
    "exists": "本人是否存在、是否在当地居住",
    "birth": "生育情况（出生日期、性别、孩次）",
    "birth_cert": "出生医学证明",
    "address": "现住址",
    "marriage": "婚育情况",
    "contraception": "避孕节育",
    "pregnancy": "孕情",
    "children": "子女情况",
    "other": "其他",
}
"""What a request asks (DATA.md: 婚育, 避孕, 生育, 孕情, 子女, 其他; issue 17: exists, the birth, address)."""
OUTCOMES = {"consistent": "一致", "inconsistent": "不一致", "not_found": "查无此人", "moved_out": "已迁出"}
CORRECTABLE = {
    "name": "姓名",
    "sex": "性别",
    "birth_date": "出生日期",
    "id_number": "身份证号",
    "birth_order": "孩次",
    "birth_cert_no": "出生医学证明编号",
    "address": "现住址",
}
"""Fields a reply 不一致 may give as found: of the person the request is about — for a birth (出生核查),
the child; 孩次 and 出生医学证明 of the birth. The birth date of someone whose ID number holds it is
corrected with the number (GB 11643: digits 7–14), or the asker's form refuses it."""
STATUS_TEXT = {
    "draft": "草稿",
    "queued": "待发",
    "sent": "已发",
    "open": "待核",
    "replied": "已复",
    "closed": "已核实",
    "unrouted": "待分派",
    "relayed": "已转",
}
EVENT_TEXT = {
    "created": "发起",
    "sent": "随数据包发出",
    "received": "收到",
    "routed": "转发",
    "opened": "查看",
    "visited": "入户核实",
    "replied": "回复",
    "reply_received": "收到回复",
    "reply_routed": "转发回复",
    "verified": "核实完毕",
}
SUBJECT_FIELDS = {
    "name": "姓名",
    "id_number": "身份证号",
    "sex": "性别",
    "birth_date": "出生日期",
    "hukou_place": "户籍地",
    "current_place": "现居住地",
    "spouse_name": "配偶姓名",
    "spouse_id_number": "配偶身份证号",
    "child_name": "孩子姓名",
    "child_sex": "孩子性别",
    "child_id_number": "孩子身份证号",
    "child_birth_date": "孩子出生日期",
    "birth_order": "孩次",
    "birth_cert_no": "出生医学证明",
    "mother_name": "母亲姓名",
    "mother_id_number": "母亲身份证号",
}
"""The subject snapshot's keys and their labels: who (or which birth) is to be checked."""
MAX_WINDOW = 365  # days: a window longer than a year is no window (DATA.md: 15 or 30)
MAX_ITEMS = len(ITEMS)


def clean_text(text: str, what: str, limit: int = MAX_TEXT) -> str:
    """Typed text stripped; refused with :class:`AssistError` when too long or holding control
    characters (:func:`storage.outbox.clean_text`)."""
    try:
        return _clean_text(text, what, limit)
    except TextError as exc:
        raise AssistError(str(exc)) from None


class AssistError(OperatorError):
    """A request or reply that cannot be made as asked; the message says what and how to fix it."""


def today() -> dt.date:
    """The office's day (local time): receipts, replies and overdue are judged against it — a
    request's working days run in real time, not at the campaign's reference date. Tests replace it."""
    return idnumber.real_day()


@dataclass(frozen=True)
class Window:
    """A request kind's window: ``days``, working days (``working``) or calendar days."""

    kind: str
    label: str
    days: int
    working: bool


@functools.cache
def windows() -> dict[str, Window]:
    """Request kinds and their windows, from ``storage/data/assist_kinds.toml`` (data, not code:
    DATA.md gives provincial rules of 15 days for 紧急 and 30 for others; the plan asks 15 working
    days)."""
    from .sources.profiles import _load

    data = _load(KINDS_FILE)
    return {k: Window(k, v["label"], int(v["days"]), bool(v.get("working", True))) for k, v in data["kinds"].items()}


# ---------------------------------------------------------------------------------------- routing
def _me() -> Office:
    return Office.get()


def next_hop(dest: str, me: Office | None = None) -> str | None:
    """The office a message for ``dest`` (a 6-digit county or 9-digit township code) goes to next
    from this office, or ``None`` when it is for this office. A township talks only to its county;
    a county to its own townships, to other counties and to its province's platform (a 2-digit
    ``dest``, issue 21); the platform to the counties."""
    me = me or _me()
    if dest == me.code:
        return None
    if me.level == "township":
        return me.county_code
    if dest[:6] == me.code:
        return dest
    return dest[:6]


def _request_dest(body: dict[str, Any]) -> str:
    return body.get("to_township") or body["to_county"]


def _route_in_county(body: dict[str, Any], me: Office) -> str:
    """A county's guess of which of its townships answers a request that names none: the township
    of the subject's current or household-registration place, when that place is in this county."""
    subject = body.get("subject") or {}
    for key in ("current_place_code", "hukou_place_code"):
        code = str(subject.get(key) or "")
        if len(code) >= 9 and code.startswith(me.code) and divisions.lookup(code[:9]):
            return code[:9]
    return ""


def _event(uid: str, event: str, operator: str = "", note: str = "") -> None:
    AssistEvent.create(request_uid=uid, at=now_iso(), event=event, operator=operator, note=note[:MAX_TEXT])


def _office_name(code: str) -> str:
    """The division's name (NBS 2023; :func:`storage.divisions.lookup` caches it)."""
    div = divisions.lookup(code) if code else None
    return div.name if div else ""


def _named(code: str) -> str:
    """``行唐县（130125）``: an office as people say it, with its code."""
    name = _office_name(code)
    return f"{name}（{code}）" if name else code


# ------------------------------------------------------------------------------------- raising
def subject_of_person(person: Person) -> dict[str, str]:
    """The subject snapshot of a person registered here (names, number, dates, places)."""
    return {
        k: v
        for k, v in dict(
            name=person.name,
            id_number=person.id_number,
            sex=person.sex,
            birth_date=person.birth_date,
            hukou_place=person.hukou_place_text,
            hukou_place_code=person.hukou_place_code,
            current_place=person.residence_text,
            current_place_code=person.residence_code,
            spouse_name=person.spouse_name,
            spouse_id_number=person.spouse_id_number,
        ).items()
        if v
    }


def subject_of_birth(birth: Birth) -> dict[str, str]:
    """The subject snapshot of a birth registered here: the mother, and the birth in question."""
    subject = subject_of_person(birth.mother)
    subject.update(
        {
            k: str(v)
            for k, v in dict(
                child_name=birth.child.name if birth.child_id else birth.child_name,
                child_id_number=birth.child.id_number if birth.child_id else "",
                child_sex=birth.child.sex if birth.child_id else birth.child_sex,
                child_birth_date=birth.birth_date,
                birth_order=birth.birth_order or "",
                birth_cert_no=birth.birth_cert_no,
            ).items()
            if v
        }
    )
    return subject


def _clean_subject(subject: dict[str, Any]) -> dict[str, str]:
    out = {}
    for k, v in subject.items():
        if k not in SUBJECT_FIELDS and k not in ("hukou_place_code", "current_place_code"):
            raise AssistError(f"协查对象没有「{k}」这一项（可填：{'、'.join(SUBJECT_FIELDS.values())}）")
        text = clean_text(str(v or ""), SUBJECT_FIELDS.get(k, k), 200)
        if text and k in ("id_number", "spouse_id_number", "child_id_number", "mother_id_number"):
            info = idnumber.parse(text)
            if not info.ok:  # a valid 18-character number or a valid 15-digit one (legacy15)
                raise AssistError(f"{SUBJECT_FIELDS[k]}「{text}」不是有效的身份证号：{info.message}")
        if text and k in ("birth_date", "child_birth_date") and text > today().isoformat():
            raise AssistError(f"{SUBJECT_FIELDS[k]} {text} 晚于今天：请核对")
        if text:
            out[k] = text
    if not (out.get("name") or out.get("child_name") or out.get("id_number")):
        raise AssistError("协查对象至少要有姓名或身份证号：请填写后再发起")
    return out


def raise_request(
    *,
    to_county: str,
    subject: dict[str, Any],
    items: Iterable[str] = ("exists",),
    to_township: str = "",
    priority: str = "3",
    kind: str = "birth",
    question: str = "",
    person_uid: str = "",
    birth_uid: str = "",
    migration_uid: str = "",
    source: str = "hand",
    operator: str | None = None,
) -> AssistRequest:
    """Raise a request to another office; it waits (待发) for this office's next bundle.

    ``to_county``: the 6-digit GB/T 2260 county code; ``to_township`` its 9-digit township, when
    known. ``subject``: :data:`SUBJECT_FIELDS` keys (plus ``hukou_place_code``/``current_place_code``).
    ``items``: :data:`ITEMS` keys. ``priority``: :data:`PRIORITIES` key. ``kind``: a key of
    :func:`windows`. Raises :class:`AssistError` for an unknown code, item or kind, or a request to
    this office itself."""
    me = _me()
    to_county, to_township = (to_county or "").strip(), (to_township or "").strip()
    if to_township and not to_county:
        to_county = to_township[:6]
    if not (len(to_county) == 6 and to_county.isdigit()) or divisions.lookup(to_county) is None:
        raise AssistError(f"县级代码「{to_county}」不对：应为6位区划代码（如 130123），见国家统计局统计用区划代码")
    if to_township and (
        len(to_township) != 9 or not to_township.startswith(to_county) or divisions.lookup(to_township) is None
    ):
        raise AssistError(f"乡镇代码「{to_township}」不是 {to_county} 县的乡镇：应为9位区划代码，不知道可以不填")
    if (to_township or to_county) == me.code or (me.level == "township" and to_township == "" and to_county == ""):
        raise AssistError("不能向本单位发协查")
    if me.level == "township" and not to_township and to_county == me.county_code:
        raise AssistError("本县的协查要写明乡镇代码（9位），县里才能转给对方乡镇")
    items = list(dict.fromkeys(items))
    bad = [i for i in items if i not in ITEMS]
    if bad or not items:
        choices = "、".join(f"{k} {v}" for k, v in ITEMS.items())
        raise AssistError(f"协查事项「{'、'.join(bad) or '（空）'}」不对：可选 {choices}")
    if priority not in PRIORITIES:
        raise AssistError(f"紧急程度「{priority}」不对：1 紧急（现孕）、2 急、3 一般")
    wins = windows()
    if kind not in wins:
        raise AssistError(f"协查类别「{kind}」不对：可选 {'、'.join(f'{k} {w.label}' for k, w in wins.items())}")
    subject = _clean_subject(subject)
    who = operator or operator_login()
    year = now_iso()[:4]
    with write_txn():
        serial = AssistRequest.select().where(AssistRequest.request_no.startswith(f"{me.code}-{year}-")).count() + 1
        req = AssistRequest.create(
            request_no=f"{me.code}-{year}-{serial:04d}",
            role="sent",
            origin=me.code,
            origin_name=me.full_name or me.name,
            to_county=to_county,
            to_township=to_township,
            to_name=_office_name(to_township or to_county),
            kind=kind,
            window_days=wins[kind].days,
            window_working=wins[kind].working,
            priority=priority,
            items=json.dumps(items, ensure_ascii=False),
            subject=json.dumps(subject, ensure_ascii=False, sort_keys=True),
            question=clean_text(question, "说明"),
            person_uid=person_uid,
            birth_uid=birth_uid,
            migration_uid=migration_uid,
            source=source,
            created_at=now_iso(),
            created_by=who,
            status="queued",
            updated_at=now_iso(),
        )
        hop = next_hop(to_township or to_county, me)
        req.next_hop = hop or ""
        req.save()
        _queue("request", req.uid, request_message(req), req.next_hop)
        _event(req.uid, "created", who, f"发往 {req.to_name or to_county}（{to_township or to_county}）")
    return req


def request_message(req: AssistRequest) -> dict[str, Any]:
    """The request as it travels: everything the answering office needs, nothing local to the asker."""
    return dict(
        type="request",
        uid=req.uid,
        request_no=req.request_no,
        origin=req.origin,
        origin_name=req.origin_name,
        to_county=req.to_county,
        to_township=req.to_township,
        kind=req.kind,
        window_days=req.window_days,
        window_working=req.window_working,
        priority=req.priority,
        items=json.loads(req.items),
        subject=json.loads(req.subject),
        question=req.question,
        created_at=req.created_at,
    )


def from_person(person_uid: str, *, to_county: str = "", to_township: str = "", **kw: Any) -> AssistRequest:
    """A request about a registered person; the other county defaults to that of her household
    registration (户籍地) when it is not this county. Raises :class:`AssistError`."""
    person = Person.get_or_none((Person.uid == person_uid) & (Person.deleted == False))
    if person is None:
        raise AssistError(f"没有这个人（{person_uid}）")
    if not (to_county or to_township):
        to_county = _other_county(person.hukou_place_code or person.id_number[:6])
    return raise_request(
        to_county=to_county, to_township=to_township, subject=subject_of_person(person), person_uid=person.uid, **kw
    )


def from_birth(birth_uid: str, *, to_county: str = "", to_township: str = "", **kw: Any) -> AssistRequest:
    """A request about a registered birth (the mother and the child), named by its uid or by the
    child's ID number: the birth's date, sex, order, certificate are asked by default."""
    live = Birth.deleted == False  # noqa: E712
    child = Person.get_or_none((Person.id_number == birth_uid.upper()) & (Person.deleted == False))  # noqa: E712
    found = Birth.get_or_none((Birth.child == child.id) & live) if child is not None else None
    birth = found or Birth.get_or_none((Birth.uid == birth_uid) & live)
    if birth is None:
        raise AssistError(f"没有这条出生记录（{birth_uid}）")
    if not (to_county or to_township):
        to_county = _other_county(birth.mother.hukou_place_code or birth.mother.id_number[:6])
    kw.setdefault("items", ("exists", "birth", "birth_cert"))
    person_uid = birth.child.uid if birth.child_id else ""
    return raise_request(
        to_county=to_county,
        to_township=to_township,
        subject=subject_of_birth(birth),
        birth_uid=birth.uid,
        person_uid=person_uid,
        **kw,
    )


def from_migration(migration_uid: str, **kw: Any) -> AssistRequest:
    """A request about a migrant: an inflow is asked of the county of her household registration, an
    outflow of the county she moved to."""
    g = Migration.get_or_none((Migration.uid == migration_uid) & (Migration.deleted == False))
    if g is None:
        raise AssistError(f"没有这条流动记录（{migration_uid}）")
    code = (g.to_code if g.direction == "2" else (g.hukou_place_code or g.from_code)) or g.person.id_number[:6]
    subject = subject_of_person(g.person)
    if g.direction == "2" and g.current_address:
        subject["current_place"] = g.current_address
    if g.to_code:
        subject["current_place_code"] = g.to_code
    kw.setdefault("items", ("exists", "marriage", "contraception", "children"))
    kw.setdefault("kind", "migrant")
    to_township = code[:9] if len(code) >= 9 and divisions.lookup(code[:9]) else ""
    return raise_request(
        to_county=_other_county(code),
        to_township=to_township,
        subject=subject,
        person_uid=g.person.uid,
        migration_uid=g.uid,
        source="migrant",
        **kw,
    )


def from_duplicate(a_uid: str, b_uid: str, **kw: Any) -> AssistRequest:
    """A request about a possible duplicate (重复登记) whose other record is another office's: asked
    of the office that registered it (its ``origin``), about that person. Raises
    :class:`AssistError` when both records are this office's (the review decides those)."""
    me = _me()
    live = Person.deleted == False  # noqa: E712
    people = [Person.get_or_none((Person.uid == u) & live) for u in (a_uid, b_uid)]
    if any(p is None for p in people):
        raise AssistError("两个 uid 中有不是在册人员的：uid 见 hecha duplicates 的最后两列")
    theirs = [p for p in people if p is not None and p.origin != me.code]
    if not theirs:
        raise AssistError("两人都是本单位登记的：请在“重复登记”中判定或合并，不用发协查")
    other = theirs[0]
    ours = next((p for p in people if p is not None and p is not other), None)
    subject = subject_of_person(other)
    question = f"疑似与本单位的 {ours.name}（{ours.id_number or ours.birth_date}）是同一人，请核实" if ours else ""
    kw.setdefault("items", ("exists", "address"))
    kw.setdefault("kind", "person")
    origin = other.origin
    return raise_request(
        to_county=origin[:6],
        to_township=origin if len(origin) == 9 else "",
        subject=subject,
        person_uid=ours.uid if ours and ours.origin == me.code else "",
        source="duplicate",
        question=kw.pop("question", "") or question,
        **kw,
    )


def from_finding(key: str, **kw: Any) -> AssistRequest:
    """A request about a birth the reconciliation found on a hospital list to a mother from another
    county (外地出生, kind ``elsewhere``): asked of the mother's county (from her ID number)."""
    f = ReconcileFinding.get_or_none((ReconcileFinding.key == key) | (ReconcileFinding.code == key))
    if f is None:
        raise AssistError(f"没有比对结果「{key}」：请用 hecha reconcile 列出的编号")
    if not f.mother_id_number:
        raise AssistError("这条比对结果没有母亲的身份证号，不知道向哪个县发协查：请用 hecha assist new 手工发起")
    subject = {
        "name": f.mother_name or "（母亲）",
        "id_number": f.mother_id_number,
        "child_name": f.child_name,
        "child_sex": f.sex,
        "child_birth_date": f.birth_date,
        "mother_name": f.mother_name,
        "mother_id_number": f.mother_id_number,
    }
    kw.setdefault("items", ("exists", "birth", "birth_cert"))
    return raise_request(
        to_county=_other_county(f.mother_id_number[:6]),
        subject=subject,
        source=f"finding:{f.code or f.key}",
        question=kw.pop("question", "") or f"外地出生：{f.reason}",
        **kw,
    )


def _other_county(code: str) -> str:
    code = (code or "")[:6]
    if len(code) != 6 or not code.isdigit():
        raise AssistError("不知道对方是哪个县（没有户籍地代码或身份证号）：请用 --county 写明对方县的6位代码")
    return code


# ------------------------------------------------------------------------------ bundles: out and in
def pending_hops() -> list[str]:
    """The offices with messages waiting for their next bundle from here (a county writes one
    ``county-request`` bundle to each). An office whose keys were revoked is left out: its messages
    wait until its new keys are registered."""
    revoked = PeerOffice.select(PeerOffice.code).where(PeerOffice.revoked_at != "")
    q = (
        AssistOutbox.select(AssistOutbox.next_hop)
        .where(AssistOutbox.bundle_id.is_null() & AssistOutbox.next_hop.not_in(revoked))
        .distinct()
    )
    return sorted(r.next_hop for r in q)


def outbox(hop: str) -> list[AssistOutbox]:
    """Messages waiting for the next bundle to ``hop``, oldest first."""
    return list(
        AssistOutbox.select()
        .where((AssistOutbox.next_hop == hop) & AssistOutbox.bundle_id.is_null())
        .order_by(AssistOutbox.id)
    )


def mark_sent(rows: list[AssistOutbox], bundle_id: str, *, operator: str = "") -> None:
    """Record that ``rows`` left in bundle ``bundle_id`` (inside the export's transaction)."""
    day = today().isoformat()
    for row in rows:
        AssistOutbox.update(bundle_id=bundle_id).where(AssistOutbox.id == row.id).execute()
        if row.kind == "request":
            req = AssistRequest.get_or_none(AssistRequest.uid == row.message_uid)
            if req is None:
                continue
            if req.role == "sent":
                req.sent_on = req.sent_on or day
                req.status = "sent" if req.status == "queued" else req.status
                _event(req.uid, "sent", operator, f"数据包 {bundle_id[:8]}")
            else:
                req.status = "relayed"
                _event(req.uid, "routed", operator, f"转往 {row.next_hop}，数据包 {bundle_id[:8]}")
            req.updated_at = now_iso()
            req.save()
        elif row.kind == "reply":
            body = json.loads(row.body)
            event = "replied" if body["origin"] == _me().code else "reply_routed"
            if event == "reply_routed":
                _event(body["request_uid"], event, operator, f"转往 {row.next_hop}，数据包 {bundle_id[:8]}")


def check_message(body: Any, sender: str, sender_level: str) -> dict[str, Any]:
    """Check one message's shape and that ``sender`` may send it. Raises :class:`MessageError`."""
    if isinstance(body, dict) and body.get("type") == "calendar":
        return _check_calendar(body, sender, sender_level)
    if isinstance(body, dict) and body.get("type") == "annual":
        return _check_annual(body, sender, sender_level)
    if isinstance(body, dict) and body.get("type") == "status":
        return _check_status(body, sender, sender_level)
    if isinstance(body, dict) and body.get("type") in ("decision", "ack"):
        from .decisions import check

        return check(body, sender, sender_level)
    if not isinstance(body, dict) or body.get("type") not in ("request", "reply"):
        raise MessageError("协查记录格式不对")
    need: dict[str, type | tuple[type, ...]] = (
        dict(
            uid=str,
            request_no=str,
            origin=str,
            to_county=str,
            to_township=str,
            window_days=int,
            window_working=bool,
            priority=str,
            items=list,
            subject=dict,
            question=str,
        )
        if body["type"] == "request"
        else dict(uid=str, request_uid=str, request_no=str, origin=str, to=str, outcome=str, corrections=dict, note=str)
    )
    for key, kind in need.items():
        if not isinstance(body.get(key), kind) or (kind is int and isinstance(body.get(key), bool)):
            raise MessageError(f"协查记录缺少或写错了 {key}")
    for key, value in body.items():  # every text a message carries is printed somewhere: short, no controls
        if isinstance(value, str) and (len(value) > MAX_TEXT or has_controls(value)):
            raise MessageError(f"协查记录的 {key} 太长或有控制字符")
    if not _is_uuid(body["uid"]):
        raise MessageError("协查记录的 uid 不对")
    if not _office_code(body["origin"]):
        raise MessageError(f"协查记录的发起单位代码 {body['origin']!r} 不对")
    if body["type"] == "request":
        _check_request_body(body)
    else:
        if body["outcome"] not in OUTCOMES:
            raise MessageError(f"协查回复的结果 {body['outcome']!r} 不对")
        if not _office_code(body["to"]):
            raise MessageError(f"协查回复的收件单位代码 {body['to']!r} 不对")
        try:
            body["corrections"] = check_corrections(body["corrections"], future_ok=True)
        except AssistError as exc:
            raise MessageError(f"协查回复 {body['request_no']} 的更正项：{exc}") from None
        for key in ("moved_to", "replied_on", "replied_by", "received_on", "due_date"):
            if not isinstance(body.get(key, ""), str):
                raise MessageError(f"协查回复的 {key} 不是文字")
    if sender_level == "township" and body["origin"] != sender:
        raise MessageError(f"乡镇 {sender} 的数据包里有 {body['origin']} 的协查记录")
    if sender_level in ("city", "province") and body["origin"] != sender:  # a platform speaks for itself only
        raise MessageError(f"上级 {sender} 的数据包里有 {body['origin']} 的协查记录")
    return body


def _is_uuid(value: Any) -> bool:
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _check_calendar(body: dict[str, Any], sender: str, sender_level: str) -> dict[str, Any]:
    """A county's holiday notice sent down (issue 18: the county's calendar override file): only a
    county sends one, each day a date, 休/班 as a bool and a short note."""
    if sender_level != "county" or body.get("origin") != sender or set(body) != {"type", "uid", "origin", "days"}:
        raise MessageError("放假安排记录格式不对，或不是县里发的")
    if not _is_uuid(body["uid"]):
        raise MessageError("放假安排记录的编号不对")
    days = body["days"]
    if not isinstance(days, list) or not 0 < len(days) <= 5000:
        raise MessageError("放假安排记录的天数不对")
    seen = set()
    for item in days:
        ok = isinstance(item, list) and len(item) == 3 and isinstance(item[1], bool) and isinstance(item[2], str)
        ok = ok and isinstance(item[0], str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", item[0]) is not None
        if ok and item[0] in seen:
            raise MessageError(f"放假安排记录里 {item[0]} 写了两次")
        if ok:
            seen.add(item[0])
        try:
            day = dt.date.fromisoformat(item[0]) if ok and isinstance(item[0], str) and len(item[0]) == 10 else None
        except ValueError:
            day = None
        if day is None or not 2000 <= day.year <= 2100 or len(item[2]) > 100 or has_controls(item[2]):
            raise MessageError(f"放假安排记录里有不对的一天：{str(item)[:40]}")
    return body


def _check_annual(body: dict[str, Any], sender: str, sender_level: str) -> dict[str, Any]:
    """A township's annual-report figures of one of its villages and statistical years."""
    keys = {"type", "uid", "origin", "village_code", "year", "reported", "corrected"}
    if sender_level != "township" or body.get("origin") != sender or set(body) != keys:
        raise MessageError("年报数记录格式不对，或不是乡镇自己的")
    if not _is_uuid(body["uid"]):
        raise MessageError("年报数记录的编号不对")
    village = body["village_code"]
    if not (isinstance(village, str) and len(village) == 12 and village.isdigit() and village.isascii()):
        raise MessageError("年报数的村代码不是12位数字")
    if not village.startswith(sender):
        raise MessageError(f"年报数的村代码 {str(village)[:20]} 不是 {sender} 的村")
    numbers = [body["year"], body["reported"], body["corrected"]]
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        raise MessageError("年报数不是整数")
    if not (1990 <= body["year"] <= 2100 and 0 <= body["reported"] <= 100_000 and 0 <= body["corrected"] <= 100_000):
        raise MessageError("年报数的年度或出生数不合理")
    return body


SUMMARY_FIGURES = ("linked", "omissions", "hidden", "false", "misreports", "pending")
"""The reconciliation figures of a village's year a township's status carries (SummaryRow's)."""


def status_message() -> dict[str, Any]:
    """What a township's bundle says of its own state (issue 18: the county's progress and summary):
    findings of its last reconciliation still open (not 一致, no visit's conclusion yet), those
    concluded by a visit, when it ran, and its summary per village and statistical year."""
    from .models import ReconcileFinding, ReconcileRun, VisitResult
    from .reconcile import summary

    concluded = VisitResult.select(VisitResult.key)
    findings = ReconcileFinding.select().where(ReconcileFinding.kind != "consistent")
    run = ReconcileRun.select().order_by(ReconcileRun.id.desc()).first()
    rows = [r for r in summary() if any(getattr(r, f) for f in SUMMARY_FIGURES)]
    return dict(
        type="status",
        origin=_me().code,
        findings_open=findings.where(ReconcileFinding.key.not_in(concluded)).count(),
        findings_concluded=findings.where(ReconcileFinding.key.in_(concluded)).count(),
        reconciled_at=str(run.at) if run else "",
        summary=[[r.village_code, r.year, *(getattr(r, f) for f in SUMMARY_FIGURES)] for r in rows],
    )


def _check_status(body: dict[str, Any], sender: str, sender_level: str) -> dict[str, Any]:
    """A township's own state (:func:`status_message`)."""
    keys = {"type", "origin", "findings_open", "findings_concluded", "reconciled_at"}
    if sender_level != "township" or body.get("origin") != sender or set(body) - {"summary"} != keys:
        raise MessageError("乡镇状况记录格式不对，或不是乡镇自己的")
    body.setdefault("summary", [])  # a bundle written before the summary travelled (issue 18) has none
    numbers = [body["findings_open"], body["findings_concluded"]]
    if not all(type(n) is int and 0 <= n <= 10_000_000 for n in numbers):
        raise MessageError("乡镇状况的疑点数不合理")
    at = body["reconciled_at"]
    if not isinstance(at, str) or len(at) > 40 or has_controls(at):
        raise MessageError("乡镇状况的比对时间不对")
    rows = body["summary"]
    if not isinstance(rows, list) or len(rows) > 100_000:
        raise MessageError("乡镇状况的汇总不是列表或太长")
    for row in rows:
        if not _summary_row_ok(row, sender):
            raise MessageError("乡镇状况的汇总有一行不对（村代码应是本乡镇的，数应是合理的整数）")
    return body


def _summary_row_ok(row: Any, sender: str) -> bool:
    """``[village, year, *figures]``: a 12-digit village of ``sender``, a plausible year and counts."""
    if not isinstance(row, list) or len(row) != 2 + len(SUMMARY_FIGURES):
        return False
    village, numbers = row[0], row[1:]
    if not (isinstance(village, str) and len(village) == 12 and village.isascii() and village.isdigit()):
        return False
    if not village.startswith(sender) or not all(type(n) is int and 0 <= n <= 10_000_000 for n in numbers):
        return False
    return 1990 <= numbers[0] <= 2100


def _take_status(body: dict[str, Any], sender: str) -> None:
    """A county keeps a township's state and replaces its summary rows (inside the import)."""
    from .models import TownshipStatus, TownshipSummary

    figures = {k: body[k] for k in ("findings_open", "findings_concluded", "reconciled_at")}
    TownshipStatus.insert(code=sender, at=now_iso(), **figures).on_conflict(
        conflict_target=[TownshipStatus.code], update=dict(figures, at=now_iso())
    ).execute()
    TownshipSummary.delete().where(TownshipSummary.village_code.startswith(sender)).execute()
    rows = [dict(zip(("village_code", "year", *SUMMARY_FIGURES), r, strict=True)) for r in body["summary"]]
    for i in range(0, len(rows), 500):
        TownshipSummary.insert_many(rows[i : i + 500]).on_conflict_replace().execute()


def share_calendar(days: list[tuple[dt.date, bool, str]]) -> int:
    """A county queues the notice it loaded for each township registered here (sent with its next
    ``county-request`` bundles). Returns how many townships."""
    me = _me()
    if me.level != "county":
        return 0
    body = dict(
        type="calendar", uid=str(uuid.uuid4()), origin=me.code, days=[[d.isoformat(), w, n] for d, w, n in days]
    )
    towns = [p.code for p in PeerOffice.select().where(PeerOffice.level == "township")]
    with write_txn():
        for town in towns:
            _queue("calendar", body["uid"], body, town)
    return len(towns)


def _office_code(code: Any) -> bool:
    """A township (9 digits), a county (6), or a province's platform (2; issue 21)."""
    return isinstance(code, str) and code.isascii() and code.isdigit() and len(code) in (2, 6, 9)


def _check_request_body(body: dict[str, Any]) -> None:
    no = body["request_no"]
    if not (len(body["to_county"]) == 6 and body["to_county"].isascii() and body["to_county"].isdigit()):
        raise MessageError(f"协查 {no} 的对方县代码不对")
    town = body["to_township"]
    if town and not (_office_code(town) and len(town) == 9 and town.startswith(body["to_county"])):
        raise MessageError(f"协查 {no} 的对方乡镇代码不对")
    if not 1 <= body["window_days"] <= MAX_WINDOW:
        raise MessageError(f"协查 {no} 的期限 {body['window_days']} 天不合理（1～{MAX_WINDOW}）")
    if body["priority"] not in PRIORITIES:
        raise MessageError(f"协查 {no} 的紧急程度不对")
    items = body["items"]
    if not items or len(items) > MAX_ITEMS or not all(isinstance(i, str) and i in ITEMS for i in items):
        raise MessageError(f"协查 {no} 的所问事项不对")
    subject = body["subject"]
    known = set(SUBJECT_FIELDS) | {"hukou_place_code", "current_place_code"}
    if not all(k in known and isinstance(v, str) and len(v) <= 200 and not has_controls(v) for k, v in subject.items()):
        raise MessageError(f"协查 {no} 的协查对象有不认识的项或不是文字")
    if not isinstance(body.get("kind", ""), str) or not isinstance(body.get("origin_name", ""), str):
        raise MessageError(f"协查 {no} 的类别或单位名称不是文字")


def receive(
    messages: list[dict[str, Any]], *, sender: str, operator: str = "", on: dt.date | None = None
) -> dict[str, int]:
    """Take the messages of an imported bundle (inside its transaction): requests for this office go
    to the inbox with their due date, replies to this office's requests wait to be verified, and a
    county queues the rest for the next office. A message already held changes nothing (a bundle
    imported twice, or a relay's copy). ``on``: the day of receipt (default: :func:`today`). Returns
    counts: ``requests``, ``replies``, ``routed``, ``unrouted``."""
    me = _me()
    day = on or today()
    calendar = Calendar()  # read once for the bundle, not per message
    counts = dict(requests=0, replies=0, routed=0, unrouted=0)
    for body in messages:
        kind = body["type"]
        if kind in ("decision", "ack"):
            from .decisions import take

            name = take(body, sender=sender)
        elif kind == "status":
            if me.level != "county":
                continue
            _take_status(body, sender)
            name = "status"
        elif kind == "annual":
            from .reconcile import set_annual

            if me.level != "county":
                continue
            set_annual(body["village_code"], body["year"], reported=body["reported"], corrected=body["corrected"])
            name = "annual"
        elif kind == "calendar":
            from .workdays import store_days

            if me.level != "township" or sender != me.county_code:
                continue  # only a township takes its own county's notice (a county loads its own)
            store_days([(dt.date.fromisoformat(d), w, n) for d, w, n in body["days"]], source=f"县里下发 {sender}")
            counts["calendar"] = counts.get("calendar", 0) + len(body["days"])  # counted in days
            calendar = Calendar()
            refresh_provisional()  # requests received before: their 暂定 due dates counted again
            name = ""
        elif kind == "request":
            name = _take_request(body, me, sender, day, calendar, operator)
        else:
            name = _take_reply(body, me, sender, day, operator)
        if name:
            counts[name] = counts.get(name, 0) + 1
    return counts


def _take_request(
    body: dict[str, Any], me: Office, sender: str, day: dt.date, calendar: Calendar, operator: str
) -> str:
    """A request arriving here: into the inbox (a township), on to the next office or waiting to be
    routed (a county). Returns the count it adds to, ``""`` when already held."""
    if AssistRequest.select().where(AssistRequest.uid == body["uid"]).exists():
        return ""
    dest = _request_dest(body)
    if me.level == "county" and dest == me.code:  # no township named: the county routes it
        body = dict(body, to_township=_route_in_county(body, me))
        dest = _request_dest(body)
    hop = None if me.level == "county" and dest == me.code else next_hop(dest, me)
    if me.level == "township" and hop is not None:
        raise MessageError(f"协查 {body['request_no']} 不是发给本乡镇的（发给 {dest}）")
    common = dict(
        uid=body["uid"],
        request_no=body["request_no"],
        origin=body["origin"],
        origin_name=str(body.get("origin_name") or _office_name(body["origin"])),
        to_county=body["to_county"],
        to_township=body["to_township"],
        to_name=_office_name(dest),
        kind=str(body.get("kind") or "birth"),
        window_days=body["window_days"],
        window_working=body["window_working"],
        priority=body["priority"],
        items=json.dumps(body["items"], ensure_ascii=False),
        subject=json.dumps(body["subject"], ensure_ascii=False, sort_keys=True),
        question=body["question"],
        created_at=str(body.get("created_at") or ""),
        received_on=day.isoformat(),
        updated_at=now_iso(),
    )
    if hop is None and me.level == "township":
        due = (
            calendar.add_working_days(day, body["window_days"])
            if body["window_working"]
            else due_date(day, body["window_days"], False)
        )
        AssistRequest.create(
            **common, role="received", status="open", due_date=due.day.isoformat(), due_provisional=due.provisional
        )
        _event(body["uid"], "received", operator, f"来自 {_named(sender)}，应于 {due.text()} 前回复")
        return "requests"
    if hop is None or not _known_peer(hop):
        AssistRequest.create(**common, role="relay", status="unrouted", next_hop="")
        why = "没有写明乡镇，请分派" if dest == me.code else f"还没有登记 {hop} 的公钥"
        _event(body["uid"], "received", operator, f"来自 {_named(sender)}；{why}")
        return "unrouted"
    AssistRequest.create(**common, role="relay", status="queued", next_hop=hop)
    _queue("request", body["uid"], body, hop)
    _event(body["uid"], "received", operator, f"来自 {_named(sender)}，转往 {_named(hop)}")
    return "routed"


def _take_reply(body: dict[str, Any], me: Office, sender: str, day: dt.date, operator: str) -> str:
    """A reply arriving here: for a request this office sent (from the office asked), or passed on
    toward the asker. Returns the count it adds to, ``""`` when already held."""
    if AssistReply.select().where(AssistReply.uid == body["uid"]).exists():
        return ""
    hop = next_hop(body["to"], me)
    if me.level == "township" and hop is not None:
        raise MessageError(f"协查回复 {body['request_no']} 不是发给本乡镇的")
    req = AssistRequest.get_or_none(AssistRequest.uid == body["request_uid"])
    if hop is None and not _reply_fits(req, body):
        return "ignored"  # kept out, said in the import's summary
    AssistReply.create(
        uid=body["uid"],
        request_uid=body["request_uid"],
        origin=body["origin"],
        outcome=body["outcome"],
        corrections=json.dumps(body["corrections"], ensure_ascii=False, sort_keys=True),
        moved_to=str(body.get("moved_to") or ""),
        note=body["note"],
        visited=bool(body.get("visited")),
        replied_on=str(body.get("replied_on") or ""),
        replied_by=str(body.get("replied_by") or ""),
        received_on=str(body.get("received_on") or ""),
        due_date=str(body.get("due_date") or ""),
        due_provisional=bool(body.get("due_provisional")),
        arrived_on=day.isoformat(),
    )
    if req is not None:
        req.status, req.updated_at = "replied", now_iso()
        req.save()
    if hop is None:
        said = f"{OUTCOMES[body['outcome']]}，来自 {_named(body['origin'])}"
        _event(body["request_uid"], "reply_received", operator, said)
        return "replies"
    _queue("reply", body["uid"], body, hop)
    _event(body["request_uid"], "received", operator, f"回复来自 {_named(sender)}，转往 {_named(hop)}")
    return "routed"


def _reply_fits(req: AssistRequest | None, body: dict[str, Any]) -> bool:
    """Whether a reply reaching its asker answers a request this office sent and has not closed, from
    the office it was asked of (the township named, or a township of the county asked)."""
    if req is None or req.role != "sent" or req.status == "closed":
        return False
    asked = req.to_township or req.to_county
    return body["origin"] == asked or (not req.to_township and body["origin"][:6] == req.to_county)


def _known_peer(code: str) -> bool:
    return PeerOffice.select().where(PeerOffice.code == code).exists()


def route(request: str, township: str, *, operator: str | None = None) -> AssistRequest:
    """A county assigns a request it could not route (no township named, or the next county's key
    not registered yet) to ``township`` (one of its own, 9 digits) or on to another county (6).
    Raises :class:`AssistError`."""
    me = _me()
    req = find(request)
    if me.level != "county" or req.role != "relay" or req.status != "unrouted":
        raise AssistError(f"协查 {req.request_no} 不是等待分派的协查")
    township = (township or "").strip()
    if not (township.isdigit() and len(township) in (6, 9)) or divisions.lookup(township) is None:
        raise AssistError(f"「{township}」不是区划代码：本县乡镇写9位，外县写6位")
    if len(township) == 9 and not township.startswith(me.code) and township[:6] != req.to_county:
        raise AssistError(f"{township} 不是本县的乡镇，也不是协查所问的县的乡镇")
    hop = township if len(township) == 9 and township.startswith(me.code) else township[:6]
    if hop == me.code:
        raise AssistError(f"{township} 是本县：请写本县乡镇的9位代码")
    if hop == req.origin[:6] or hop == req.origin:
        raise AssistError(f"{township} 是发起这件协查的单位：不能转回去；请转给被问的县（{req.to_county}）的乡镇")
    if not _known_peer(hop):
        raise AssistError(f"还没有登记 {hop} 的公钥：请先用 hecha keys add 登记，再分派")
    body = request_message(req)
    if len(township) == 9:
        body["to_township"] = township
    who = operator or operator_login()
    with write_txn():
        req.to_township, req.next_hop, req.status, req.updated_at = body["to_township"], hop, "queued", now_iso()
        req.save()
        _queue("request", req.uid, body, hop)
        _event(req.uid, "routed", who, f"分派给 {hop}")
    return req


# --------------------------------------------------------------------------------------- answering
def find(ref: str) -> AssistRequest:
    """A request by its uid, its number (``130123103-2026-0001``) or the number's last digits when
    they are unique. Raises :class:`AssistError`."""
    ref = (ref or "").strip()
    req = AssistRequest.get_or_none((AssistRequest.uid == ref) | (AssistRequest.request_no == ref))
    if req is None and ref:
        hits = list(AssistRequest.select().where(AssistRequest.request_no.endswith(ref)).limit(2))
        if len(hits) == 1:
            req = hits[0]
    if req is None:
        raise AssistError(f"没有协查「{ref}」：请用 hecha assist 列出的编号")
    return req


def opened(req: AssistRequest, *, operator: str | None = None) -> None:
    """Log the first opening of a received request (its history shows when it was first read)."""
    if req.role != "received":
        return
    seen = (AssistEvent.request_uid == req.uid) & (AssistEvent.event == "opened")
    if AssistEvent.select().where(seen).exists():
        return  # the usual case: no write lock taken to read a request again
    with write_txn():
        if not AssistEvent.select().where(seen).exists():  # two readers at once log it once
            _event(req.uid, "opened", operator or operator_login())


def record_visit(ref: str, note: str = "", *, operator: str | None = None) -> None:
    """Log a home visit (入户核实) made for a received request."""
    req = find(ref)
    if req.role != "received":
        raise AssistError(f"协查 {req.request_no} 不是本单位收到的：入户核实记在收到的协查上")
    note = clean_text(note, "入户情况")
    with write_txn():
        _event(req.uid, "visited", operator or operator_login(), note)


def check_corrections(corrections: dict[str, Any], *, future_ok: bool = False) -> dict[str, str]:
    """Normalise the fields of a 不一致 reply: dates to ISO, sex to GB/T 2261.1 1/2, ID numbers checked
    (GB 11643), 孩次 1–15; no date after today (``future_ok``: a message judged by the office that
    wrote it). Raises :class:`AssistError` naming the field."""
    import unicodedata

    out: dict[str, str] = {}
    for key, raw in corrections.items():
        if not isinstance(raw, str | int) or isinstance(raw, bool):
            raise AssistError(f"「{key}」的更正值不是文字")
        value = unicodedata.normalize("NFKC", str(raw)).strip()
        if key not in CORRECTABLE:
            raise AssistError(f"不能更正「{key}」：可更正 {'、'.join(f'{k}（{v}）' for k, v in CORRECTABLE.items())}")
        label = CORRECTABLE[key]
        if not value:
            raise AssistError(f"{label} 的更正值是空的")
        if len(value) > 100 or has_controls(value):
            raise AssistError(f"{label} 的更正值太长或有控制字符")
        if key == "birth_date":
            digits = value.replace("-", "").replace("/", "")
            if len(digits) != 8:
                raise AssistError(f"{label}「{value}」：更正要写到日（8位年月日，如 20170308）")
            try:
                value = parse_typed(digits)[0]
            except DateInputError as exc:
                raise AssistError(f"{label}：{exc}") from None
            if not future_ok and value > today().isoformat():
                raise AssistError(f"{label} {value} 晚于今天：请核对")
        elif key == "sex":
            value = {"男": "1", "女": "2"}.get(value, value)
            if value not in ("1", "2"):
                raise AssistError(f"{label} 应为 1（男）或 2（女）")
        elif key == "id_number":
            info = idnumber.parse(value)
            if not info.ok:
                raise AssistError(f"{label}「{value}」不是有效的身份证号：{info.message}")
            value = info.number
        elif key == "birth_order" and not (value.isascii() and value.isdigit() and 1 <= int(value) <= 15):
            raise AssistError(f"{label} 应为 1～15")
        out[key] = value[:MAX_TEXT]
    return out


def reply(
    ref: str,
    outcome: str,
    *,
    corrections: dict[str, str] | None = None,
    moved_to: str = "",
    note: str = "",
    visited: bool = False,
    operator: str | None = None,
) -> AssistReply:
    """Record this office's reply to a received request; it goes back in the next bundle.

    ``outcome``: a key of :data:`OUTCOMES` (or its Chinese). 不一致 needs ``corrections``
    (:data:`CORRECTABLE` keys → the value found); 已迁出 needs ``moved_to``. Raises
    :class:`AssistError`."""
    req = find(ref)
    if req.role != "received":
        raise AssistError(f"协查 {req.request_no} 不是本单位收到的，不能回复")
    if AssistReply.select().where((AssistReply.request_uid == req.uid) & (AssistReply.origin == _me().code)).exists():
        raise AssistError(f"协查 {req.request_no} 已经回复过")
    outcome = {v: k for k, v in OUTCOMES.items()}.get(outcome, outcome)
    if outcome not in OUTCOMES:
        raise AssistError(f"结果「{outcome}」不对：一致、不一致、查无此人、已迁出")
    fixed = check_corrections(corrections or {})
    if outcome == "inconsistent" and not fixed:
        raise AssistError("结果为不一致时，要写明核实到的情况（如 出生日期=20260503）")
    if outcome != "inconsistent" and fixed:
        raise AssistError(f"只有「不一致」才写更正项；结果是「{OUTCOMES[outcome]}」")
    if outcome == "moved_out" and not (moved_to or "").strip():
        raise AssistError("结果为已迁出时，要写明迁往何处（地址或区划代码）")
    me = _me()
    who = operator or operator_login()
    day = today()
    with write_txn():
        ans = AssistReply.create(
            request_uid=req.uid,
            origin=me.code,
            outcome=outcome,
            corrections=json.dumps(fixed, ensure_ascii=False, sort_keys=True),
            moved_to=clean_text(moved_to, "迁往何处", 200),
            note=clean_text(note, "说明"),
            visited=visited,
            replied_on=day.isoformat(),
            replied_by=who,
            received_on=req.received_on,
            due_date=req.due_date,
            due_provisional=req.due_provisional,
        )
        req.status, req.updated_at = "replied", now_iso()
        req.save()
        hop = next_hop(req.origin, me)
        if hop:
            _queue("reply", ans.uid, reply_message(ans, req), hop)
        _event(req.uid, "replied", who, f"{OUTCOMES[outcome]}{'（已入户）' if visited else ''}")
    return ans


def reply_message(ans: AssistReply, req: AssistRequest) -> dict[str, Any]:
    """The reply as it travels back to the asking office (``to``)."""
    return dict(
        type="reply",
        uid=ans.uid,
        request_uid=req.uid,
        request_no=req.request_no,
        origin=ans.origin,
        to=req.origin,
        outcome=ans.outcome,
        corrections=json.loads(ans.corrections),
        moved_to=ans.moved_to,
        note=ans.note,
        visited=ans.visited,
        replied_on=ans.replied_on,
        replied_by=ans.replied_by,
        received_on=ans.received_on,
        due_date=ans.due_date,
        due_provisional=ans.due_provisional,
    )


def the_reply(req: AssistRequest) -> AssistReply | None:
    """The reply held for ``req`` (the latest), or ``None``."""
    return AssistReply.select().where(AssistReply.request_uid == req.uid).order_by(AssistReply.id.desc()).first()


def verify(ref: str, *, apply: bool = True, operator: str | None = None) -> AssistReply:
    """The asking office takes the reply to its request: with ``apply``, a 不一致 reply's corrections
    are written to the request's own person and birth through the form's validation (DESIGN.md §4:
    only the origin office writes its rows); the request is closed (已核实). Raises
    :class:`AssistError` (no reply yet; a correction the rules refuse, nothing written)."""
    req = find(ref)
    if req.role != "sent":
        raise AssistError(f"协查 {req.request_no} 不是本单位发出的")
    ans = the_reply(req)
    if ans is None:
        raise AssistError(f"协查 {req.request_no} 还没有收到回复")
    if ans.verified_on:
        raise AssistError(f"协查 {req.request_no} 已于 {ans.verified_on} 核实过")
    who = operator or operator_login()
    applied = ""
    fixed = json.loads(ans.corrections)
    if apply and ans.outcome == "inconsistent" and fixed and _me().level != "province":  # a platform has no rows
        applied = _apply(req, fixed, who)
    with write_txn():
        ans.verified_on, ans.verified_by, ans.applied = today().isoformat(), who, applied
        ans.save()
        req.status, req.updated_at = "closed", now_iso()
        req.save()
        _event(req.uid, "verified", who, applied or ("未改本单位记录" if fixed else OUTCOMES[ans.outcome]))
    return ans


def _apply(req: AssistRequest, fixed: dict[str, str], who: str) -> str:
    """Write a reply's corrections to this office's rows; returns what changed, in words."""
    from .dates import to_typed
    from .households import ValidationFailed, WarningsNotConfirmed, confirm, dup_key, load_household, save_household

    birth = Birth.get_or_none((Birth.uid == req.birth_uid) & (Birth.deleted == False)) if req.birth_uid else None
    person = Person.get_or_none((Person.uid == req.person_uid) & (Person.deleted == False)) if req.person_uid else None
    if person is None and birth is not None and birth.child_id:
        person = birth.child
    if person is None and birth is None:
        raise AssistError(f"协查 {req.request_no} 没有关联本单位的人员或出生记录：请手工更正后用 --no-apply 核实")
    hh_uid = (person or birth).household.uid  # type: ignore[union-attr]
    form = load_household(hh_uid)
    member_pos = next((i for i, m in enumerate(form.members, 1) if person and m.uid == person.uid), None)
    b_input = None
    if birth is not None:
        born = birth.birth_date
        b_input = next(
            (b for b in form.births if (member_pos and b.child == member_pos) or b.birth_date == to_typed(born)), None
        )
    words = []
    for key, value in fixed.items():
        label = CORRECTABLE[key]
        if key == "birth_date":
            if member_pos:
                form.members[member_pos - 1].birth_date = to_typed(value)
            if b_input is not None:
                b_input.birth_date = to_typed(value)
        elif key in ("birth_order", "birth_cert_no"):
            if b_input is None:
                raise AssistError(f"{label} 是出生记录的项，协查 {req.request_no} 没有关联出生记录")
            setattr(b_input, key, int(value) if key == "birth_order" else value)
        elif key == "address":
            if member_pos:
                form.members[member_pos - 1].residence_text = value
        elif member_pos:
            setattr(form.members[member_pos - 1], key, value)
            if b_input is not None and key in ("name", "sex"):
                setattr(b_input, "child_" + key, value)
        words.append(f"{label}改为{value}")
    reason = f"协查 {req.request_no} 回复更正"
    ids = frozenset(dup_key(m) for m in form.members)  # a duplicate the change makes stays for the review
    keep = dict(confirmed_ids=ids, reason=reason, operator=who, remember_different=False)
    try:
        try:
            save_household(form, **keep)  # type: ignore[arg-type]
        except WarningsNotConfirmed as exc:
            confirm(form, exc.findings)
            save_household(form, **keep)  # type: ignore[arg-type]
    except ValidationFailed as exc:
        raise AssistError(
            f"按回复更正后不能保存（{exc}）：没有改动；请入户核实后手工更正，再用 --no-apply 核实"
        ) from None
    return "；".join(words)


def local_matches(req: AssistRequest, limit: int = 5) -> list:
    """The persons here who may be the request's subject (the form's duplicate search,
    :func:`storage.dedup.candidates`), best first."""
    from .dedup import candidates

    subject = json.loads(req.subject or "{}")
    born = str(subject.get("birth_date") or "")
    try:
        day = dt.date.fromisoformat(born) if len(born) == 10 else None
    except ValueError:
        day = None
    found = candidates(
        name=subject.get("name", ""), id_number=subject.get("id_number", ""), birth_date=day, sex=subject.get("sex", "")
    )
    child = str(subject.get("child_birth_date") or "")
    if subject.get("child_name") and len(child) == 10:
        try:
            found += candidates(
                name=subject["child_name"],
                birth_date=dt.date.fromisoformat(child),
                mother_id_number=subject.get("id_number", ""),
                sex=subject.get("child_sex", ""),
            )
        except ValueError:
            pass
    found.sort(key=lambda c: -c.score)
    return found[:limit]


def _kind_label(kind: str) -> str:
    try:
        return windows()[kind].label
    except (KeyError, OSError, ValueError):
        return kind


def describe(req: AssistRequest, shown_time=lambda t: t) -> list[str]:
    """A request in lines, as ``hecha assist show`` prints it and the TUI shows it: who asks whom,
    the window and due date, the subject, what is asked, the local matches (for a received one),
    the reply, and the history (``shown_time`` turns a stored UTC time into local time)."""
    subject = json.loads(req.subject or "{}")
    due = due_of(req)
    to = req.to_township or req.to_county
    lines = [
        f"协查 {req.request_no}（{STATUS_TEXT.get(req.status, req.status)}）",
        f"  发起单位：{req.origin_name}（{req.origin}）  发往：{req.to_name}（{to}）",
        f"  类别：{_kind_label(req.kind)}  紧急：{PRIORITIES.get(req.priority, '')}  期限：{req.window_days}"
        f"{'个工作日' if req.window_working else '天'}"
        + (f"  收到：{req.received_on}  到期：{due.text()}" if due else ""),
    ]
    sexes = {"1": "男", "2": "女", "0": "未知", "9": "未说明"}
    lines += [
        f"  {label}：{sexes.get(subject[key], subject[key]) if key in ('sex', 'child_sex') else subject[key]}"
        for key, label in SUBJECT_FIELDS.items()
        if subject.get(key)
    ]
    lines.append("  所问：" + "；".join(ITEMS.get(i, i) for i in json.loads(req.items or "[]")))
    if req.question:
        lines.append(f"  说明：{req.question}")
    if req.role == "received":
        found = local_matches(req)
        lines.append("  本地可能是同一人：" + ("无" if not found else ""))
        lines += [f"    {c.score:>3} {c.name} {c.id_number} {c.birth_date} {c.where}（{c.why}）" for c in found]
    ans = the_reply(req)
    if ans is not None:
        lines.append(
            f"  回复：{OUTCOMES[ans.outcome]}（{ans.origin}，{ans.replied_on}"
            + ("，已入户" if ans.visited else "")
            + (f"，应于 {ans.due_date} 前" if ans.due_date else "")
            + "）"
        )
        lines += [f"    {CORRECTABLE.get(k, k)} → {v}" for k, v in json.loads(ans.corrections).items()]
        if ans.moved_to:
            lines.append(f"    迁往：{ans.moved_to}")
        if ans.note:
            lines.append(f"    说明：{ans.note}")
        if ans.verified_on:
            lines.append(f"    核实：{ans.verified_on} {ans.verified_by} {ans.applied}".rstrip())
    lines.append("  经过：")
    for e in history(req):
        parts = (shown_time(e.at), EVENT_TEXT.get(e.event, e.event), e.operator, e.note)
        lines.append("    " + " ".join(p for p in parts if p))
    return [printable(line) for line in lines]  # what another office wrote never drives a terminal


# ------------------------------------------------------------------------------------ the inbox
@dataclass(frozen=True)
class InboxRow:
    """One line of the inbox: the request, days left in working days (negative: overdue by)."""

    uid: str
    request_no: str
    role: str
    status: str
    name: str
    origin: str
    origin_name: str
    to_name: str
    due: str
    provisional: bool
    days_left: int | None
    priority: str

    @property
    def state(self) -> str:
        """Status in words, overdue said in text (逾期N天), not by colour alone."""
        if self.role == "received" and self.status == "open" and self.days_left is not None:
            if self.days_left < 0:
                return f"逾期{-self.days_left}个工作日"
            return f"剩{self.days_left}个工作日" if self.days_left else "今天到期"
        return STATUS_TEXT.get(self.status, self.status)


def _row(req: AssistRequest, cal: Calendar, day: dt.date) -> InboxRow:
    subject = json.loads(req.subject or "{}")
    left = None
    if req.due_date:
        left = cal.working_days_between(day, dt.date.fromisoformat(req.due_date))
    return InboxRow(
        uid=req.uid,
        request_no=req.request_no,
        role=req.role,
        status=req.status,
        name=subject.get("name") or subject.get("child_name") or "",
        origin=req.origin,
        origin_name=req.origin_name,
        to_name=req.to_name or (req.to_township or req.to_county),
        due=req.due_date,
        provisional=req.due_provisional,
        days_left=left,
        priority=req.priority,
    )


OPEN = {"received": ("open",), "sent": ("queued", "sent", "replied"), "relay": ("unrouted",)}
"""The statuses that still need this office, per role: to answer; awaiting or to verify; to route."""


def count(role: str = "received", *, open_only: bool = True) -> int:
    """How many requests of ``role`` there are (``open_only``: those that still need this office)."""
    q = AssistRequest.select().where(AssistRequest.role == role)
    if open_only:
        q = q.where(AssistRequest.status.in_(OPEN[role]))
    return q.count()


def inbox(
    role: str = "received", *, open_only: bool = True, offset: int = 0, limit: int = 200, on: dt.date | None = None
) -> list[InboxRow]:
    """A page of requests, the most urgent first: received ones by due date, sent ones by number.
    ``open_only``: received ones not yet replied; sent ones not yet verified."""
    q = AssistRequest.select().where(AssistRequest.role == role)
    if open_only:
        q = q.where(AssistRequest.status.in_(OPEN[role]))
    order = (
        (AssistRequest.due_date, AssistRequest.priority, AssistRequest.id)
        if role == "received"
        else (AssistRequest.id,)
    )
    cal, day = Calendar(), on or today()
    return [_row(r, cal, day) for r in q.order_by(*order).offset(offset).limit(limit)]


def history(req: AssistRequest) -> list[AssistEvent]:
    """The request's history at this office, oldest first."""
    return list(AssistEvent.select().where(AssistEvent.request_uid == req.uid).order_by(AssistEvent.id))


def due_of(req: AssistRequest) -> Due | None:
    """The request's due date as stored, or ``None`` before it is received."""
    return Due(dt.date.fromisoformat(req.due_date), req.due_provisional) if req.due_date else None


def refresh_provisional() -> int:
    """Count again the due dates that were provisional (暂定), now that an override file may cover
    their year; returns how many became exact."""
    n = 0
    with write_txn():
        for req in AssistRequest.select().where(AssistRequest.due_provisional == True):  # noqa: E712
            due = due_date(dt.date.fromisoformat(req.received_on), req.window_days, req.window_working)
            if not due.provisional or due.day.isoformat() != req.due_date:
                n += not due.provisional
                req.due_date, req.due_provisional, req.updated_at = due.day.isoformat(), due.provisional, now_iso()
                req.save()
    return n


# ---------------------------------------------------------------------------------- statistics
@dataclass
class StatRow:
    """One office's month as the national platform publishes it."""

    office: str
    month: str
    sent: int = 0
    received: int = 0
    answered: int = 0
    on_time: int = 0
    late: int = 0
    verified: int = 0


def stats(month: str = "") -> list[StatRow]:
    """Per office and month (``YYYY-MM``, all months when empty): requests sent (left in a bundle),
    received from elsewhere, answered (replied; on time when replied on or before the due date, late
    after it), verified (the asker took the reply). A township counts itself; a county counts each
    of its townships from the messages it routed, and itself."""
    me = _me()
    rows: dict[tuple[str, str], StatRow] = {}

    def at(office: str, day: str) -> StatRow | None:
        m = day[:7]
        if not m or (month and m != month):
            return None
        return rows.setdefault((office, m), StatRow(office, m))

    if me.level == "township":
        for req in AssistRequest.select().where(AssistRequest.role.in_(("sent", "received"))):
            if req.role == "sent" and req.sent_on and (r := at(me.code, req.sent_on)):
                r.sent += 1
            if req.role == "received" and (r := at(me.code, req.received_on)):
                r.received += 1
        for ans in AssistReply.select():
            if ans.origin == me.code and (r := at(me.code, ans.replied_on)):
                r.answered += 1
                late = bool(ans.due_date) and ans.replied_on > ans.due_date
                r.late += late
                r.on_time += not late
            elif ans.origin != me.code and ans.verified_on and (r := at(me.code, ans.verified_on)):
                r.verified += 1
    else:
        for req in AssistRequest.select():
            if req.origin[:6] == me.code and (r := at(req.origin, req.received_on or req.sent_on)):
                r.sent += 1
            dest = req.to_township or req.to_county
            if dest[:6] == me.code and len(dest) == 9 and req.status != "unrouted":
                if r := at(dest, req.received_on):
                    r.received += 1
        for ans in AssistReply.select():
            if ans.origin[:6] == me.code and (r := at(ans.origin, ans.replied_on)):
                r.answered += 1
                late = bool(ans.due_date) and ans.replied_on > ans.due_date
                r.late += late
                r.on_time += not late
    return sorted(rows.values(), key=lambda r: (r.month, r.office))
