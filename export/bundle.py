"""Bundles (数据包): write, verify and read them, exactly as DESIGN.md §9 lays down.

A bundle is a zip of three stored entries, in this order:

* ``manifest.json``: format ``hecha-bundle/1``, kind, bundle id, sender and its signing-key
  fingerprint, recipient and its encryption-key fingerprints, stream, epoch, sequence, SHA-256 of the
  previous manifest in the stream, ISO week, creation time, payload size and SHA-256, schema and
  software versions. No personal data, no counts.
* ``manifest.json.sig``: an SSHSIG (Ed25519, namespace ``hecha-bundle``) over the manifest's bytes,
  which ``ssh-keygen -Y verify`` checks.
* ``payload.age``: an age v1 file for the county's key and its offline recovery key, holding gzip'd
  JSON Lines. The first line repeats bundle id, sender, recipient, epoch and sequence and gives the
  record counts; every other line is a record (:mod:`export.merge`).

The importer never extracts to disk. It checks, in this order, each failure with its own code
(:data:`CODES`): size and zip structure, manifest format, addressed to us, sender registered,
signature, payload size and hash, already imported, sequence reused (replay), sequence ahead (held),
chain, encrypted to a key we hold, decryption, inner header, schema. An import is all-or-nothing.
"""

from __future__ import annotations

import datetime as dt
import errno
import gzip
import hashlib
import io
import json
import os
import re
import sqlite3
import stat
import struct
import uuid
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import peewee as pw
import pyrage
from peewee import fn

from storage import program_version
from storage.auditchain import CHAINED, link
from storage.dates import iso_week
from storage.db import write_txn
from storage.errors import OperatorError
from storage.models import SHARED_MODELS, AuditLog, BundleLog, BundleRefusal, Office, PeerOffice, database
from storage.office import UPPER_LEVELS, ensure_operator
from storage.paths import operator_login

from . import merge, sshsig
from .keys import (
    SIGN_NAMESPACE,
    KeyError_,
    UnlockedKeys,
    age_fingerprint,
    county_peer,
    own_encrypt_fingerprints,
    signing_keys,
)

FORMAT = "hecha-bundle/1"
SCHEMA_VERSION = 3  # the record layout: raised with every change of a shared table (storage/db.py)
SCHEMA_READ = (2, 3)  # layouts this version imports: 3 added the assistance messages ("t": "assist")
KIND_TOWNSHIP = "township-increment"
KIND_COUNTY_REQUEST = "county-request"  # a county's bundle to a township of its own or another county (协查)
KIND_COUNTY_UP = "county-up"  # a county's bundle to the next level (a city or the province), issue 18
KINDS = ("township-increment", "county-request", "county-up", "ack", "key-announcement")
NAMES = ("manifest.json", "manifest.json.sig", "payload.age")
MAX_BUNDLE = 512 * 1024 * 1024
MAX_MANIFEST = 64 * 1024
MAX_SIG = 8 * 1024
MAX_RECORD = 1024 * 1024  # one JSON line of the payload: a record is a few hundred bytes
EPOCH = 1  # an office's first epoch; hecha restore raises it (Office.epoch)

MANIFEST_FIELDS: dict[str, type | tuple[type, ...]] = {
    "format": str,
    "kind": str,
    "bundle_id": str,
    "sender": str,
    "sender_key": str,
    "recipient": str,
    "recipient_keys": list,
    "stream": str,
    "epoch": int,
    "sequence": int,
    "prev_manifest_sha256": (str, type(None)),
    "iso_week": str,
    "created_at": str,
    "payload_size": int,
    "payload_sha256": str,
    "schema_version": int,
    "software": str,
}

# code → Chinese message (what happened and what to do). Codes are stable: scripts and the
# county's staff refer to them.
CODES = {
    "B01": "文件不是完整的 hecha 数据包（大小或 zip 结构不对）：可能传输不完整或被改动，请让对方重新发送。",
    "B02": "数据包清单（manifest.json）格式不对：请让对方用 hecha 重新导出。",
    "B03": "数据包不是发给本单位的：请检查是否拿错了文件。",
    "B04": "发送单位的公钥没有登记或已吊销：没登记的先用 hecha keys add 登记对方的公钥文件（核对指纹）；"
    "已吊销的等对方换了新密钥，核对新指纹后 hecha keys replace。",
    "B05": "签名无效或不是发送单位已登记的密钥签的：若对方刚换过密钥（hecha keys rotate），请要来新公钥文件、"
    "电话核对新指纹后 hecha keys replace；否则文件可能被改动或伪造，请不要导入，与对方电话核实。",
    "B06": "数据内容与清单不符（大小或校验值不对）：文件被改动或不完整，请让对方重新发送。",
    "I07": "这个数据包已经导入过，本次没有任何改动。",
    "B08": "这个序号已经导入过另一个数据包（重放或重复导出）：请与对方核实，不要导入。",
    "H09": "序号超前，中间缺号：已暂存，缺的数据包导入后会自动导入这一个。请向对方要缺号的数据包。",
    "B10": "与上一个数据包接不上（链断开），对方可能从备份恢复过数据库：请与对方核实后处理。",
    "B11": "数据包不是用本单位持有的密钥加密的：请核对本单位公钥是否已交给对方并被正确登记。",
    "B12": "解密失败：文件损坏或密钥不符，请让对方重新发送。",
    "B13": "数据包内部头与清单不符：文件被改动过，请不要导入，与对方核实。",
    "B14": "数据结构不对（版本不支持或记录有误）：请升级 hecha 或让对方重新导出。",
    "B15": "数据包里有不属于发送单位的户（村或户编码不是该乡镇的）：文件有误或被伪造，请不要导入，与对方电话核实。",
    "B17": "数据包里的协查记录有误或不该由发送单位发出：请不要导入，与对方电话核实。",
    "B19": "这个数据包属于对方已经放弃的旧纪元（对方恢复过备份、重新接了链），新纪元的数据包已带上全部记录："
    "不用导入，可以删掉。",
    "B18": "这种数据包不该发给本单位（如乡镇收到了另一个乡镇的数据包）：请检查是否拿错了文件。",
    "B16": "数据包的修改记录（审计链）接不上本县上次收到的，或有记录没有修改记录：乡镇的审计记录被改动过，"
    "或有人绕过 hecha 直接改了数据库。请不要导入；请乡镇运行 hecha audit verify，并与对方电话核实。",
}


class ExportBlocked(OperatorError):
    """The export is refused while validation errors remain (DESIGN.md §5); the message says how many
    and where."""


class _Deflater:
    """Writes to a :class:`gzip.GzipFile` from a second thread, in order: zlib lets go of the GIL
    while it deflates, so the next records are encoded meanwhile (issue 19: compression was a fifth
    of a 50,000-person export). At most :attr:`AHEAD` writes wait; an error in one is raised by a
    later :meth:`write` or on leaving."""

    AHEAD = 4

    def __init__(self, gz: gzip.GzipFile):
        from concurrent.futures import ThreadPoolExecutor

        self.gz = gz
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="hecha-gzip")
        self.pending: list = []

    def write(self, data: bytes) -> None:
        self.pending.append(self.pool.submit(self.gz.write, data))
        if len(self.pending) > self.AHEAD:
            self.pending.pop(0).result()

    def __enter__(self) -> _Deflater:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        try:
            for done in self.pending:
                if exc_type is None:
                    done.result()  # a write that failed raises here
                else:
                    done.exception()  # waited for; the error already on its way is the one to report
        finally:
            self.pool.shutdown(wait=True)


def _line(obj: Any) -> bytes:
    """One payload line: ``obj`` as compact UTF-8 JSON (orjson: the bytes ``json.dumps(obj,
    ensure_ascii=False, separators=(",", ":"))`` would write, in half the time; issue 19)."""
    return orjson.dumps(obj) + b"\n"


def _changed_households(office_code: str, since: int) -> dict[str, int]:
    """Households that have a row of this office newer than version ``since`` (the next bundle's),
    uid → id: one query, each household once (a row per changed row cost a tenth of an export)."""
    newer = "origin = ? AND version > ?"
    sql = (
        f'SELECT uid, id FROM "household" WHERE ({newer})'
        f' OR id IN (SELECT household_id FROM "person" WHERE {newer})'
        f' OR id IN (SELECT household_id FROM "birth" WHERE {newer})'
        ' OR id IN (SELECT p.household_id FROM "woman_fp" x JOIN "person" p ON p.id = x.person_id'
        " WHERE x.origin = ? AND x.version > ?)"
        ' OR id IN (SELECT p.household_id FROM "migration" x JOIN "person" p ON p.id = x.person_id'
        " WHERE x.origin = ? AND x.version > ?)"
    )
    return dict(database.execute_sql(sql, (office_code, since) * 5).fetchall())


def check_before_export(office_code: str, since: int) -> None:
    """Refuse with :class:`ExportBlocked` while a household the bundle would carry has errors.

    A household whose last check (the form's save, ``hecha check``, an earlier gate) found no error
    in the state its rows are still in, under the same rules and reference date, is not checked
    again (:func:`storage.checkstore.unchanged_clean`; issue 19: re-checking every household was half of a
    50,000-person export); the others are, and their results kept. Persons registered in two
    households are looked for across every household the bundle carries."""
    from storage.check import check_database, error_summary, two_households
    from storage.checkstore import unchanged_clean

    changed = _changed_households(office_code, since)
    if not changed:
        return
    clean = unchanged_clean(changed.values())
    todo = {uid for uid, hid in changed.items() if hid not in clean}
    found = list(check_database(household_uids=todo, across=False, remember=True)) if todo else []
    found += two_households(household_uids=set(changed))
    count, where = error_summary(found)
    if count:
        raise ExportBlocked(
            f"还有 {count} 处错误，不能导出：{where}{' …' if count > 5 else ''}。请运行 hecha check "
            "或在“审核校验”中逐条修正。"
        )


class BundleError(OperatorError):
    """A bundle was refused: ``code`` (see :data:`CODES`), Chinese ``message``, ``detail`` for logs."""

    def __init__(self, code: str, detail: str = "", path: str | Path | None = None):
        self.code = code
        self.detail = detail
        self.path = str(path) if path else ""
        self.message = CODES[code]
        where = f"{Path(self.path).name}：" if self.path else ""
        super().__init__(f"[{code}] {where}{self.message}" + (f"（{detail}）" if detail else ""))


MESSAGE_WORDS = {
    "request": "协查",
    "reply": "协查回复",
    "calendar": "放假安排",
    "decision": "县里的决定",
    "ack": "已执行的决定",
    "annual": "年报数（村、年度）",
    "report_unit": "填报单位",
}
"""A message's kind as the export's summary says it (the importer says them in :attr:`ImportResult.assist_text`)."""


@dataclass
class ExportResult:
    """A bundle written: its ``path``, ``sequence``, record ``counts`` per table and ``bundle_id``;
    ``messages``: the messages it carries (counted under ``assist``) by kind."""

    path: Path
    sequence: int
    bundle_id: str
    counts: dict[str, int]
    messages: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """No record changed since the last bundle (audit rows alone do not count)."""
        return not any(n for table, n in self.counts.items() if table != "audit_log")

    def summary(self) -> str:
        """What it carries, in Chinese: ``第4号：人 1，出生 2（修改记录 5 条）`` or ``第5号：空包（本周没有变动）``."""
        if self.empty:
            return f"第{self.sequence}号：空包（本周没有变动）"
        records = "，".join(
            f"{merge.TABLE_LABELS[t]} {n}" + (self._kinds() if t == "assist" else "")
            for t, n in self.counts.items()
            if n and t != "audit_log"
        )
        audit = self.counts.get("audit_log", 0)
        return f"第{self.sequence}号：{records}" + (f"（修改记录 {audit} 条）" if audit else "")

    def _kinds(self) -> str:
        """``（年报数（村、年度） 47，协查 2）``: the messages by kind, as the importing office will say them."""
        kinds = "，".join(f"{MESSAGE_WORDS.get(k, k)} {n}" for k, n in self.messages.items() if n)
        return f"（{kinds}）" if kinds else ""


@dataclass
class ImportResult:
    """A bundle read: ``status`` ``imported``, ``already`` (I07), ``held`` (H09), or ``refused`` (only
    for a held bundle tried after the one before it was imported; ``error`` says why)."""

    path: str
    status: str
    sender: str
    sequence: int
    code: str = ""
    stats: merge.MergeStats | None = None
    error: BundleError | None = None  # for a held bundle that was refused when its turn came
    also_imported: list[ImportResult] = field(default_factory=list)
    assist: dict[str, int] = field(default_factory=dict)  # storage.assist.receive's counts

    @property
    def message(self) -> str:
        if self.status == "imported" and self.stats:
            return f"{self.sender} 第{self.sequence}号：{self.stats.summary()}{self.assist_text}"
        if self.error is not None:
            return f"{self.sender} 第{self.sequence}号（暂存的）：{self.error}"
        return f"{self.sender} 第{self.sequence}号：[{self.code}] " + CODES.get(self.code, self.status)

    @property
    def assist_text(self) -> str:
        """The assistance messages taken, in words (empty when none)."""
        words = {
            "requests": "收到协查",
            "replies": "收到协查回复",
            "routed": "转发协查",
            "unrouted": "待分派协查",
            "ignored": "不是答本单位协查的回复（未收）",
            "calendar": "县里下发的放假安排（天）",
            "decisions": "县里的决定（填报单位、冲突裁定）",
            "acks": "乡镇已执行的决定",
            "annual": "年报数（村、年度）",
        }
        parts = [f"{words[k]} {n} 件" for k, n in self.assist.items() if n]
        return "；" + "，".join(parts) if parts else ""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


# --------------------------------------------------------------------------------------------- write


def _stream(sender: str, recipient: str) -> str:
    return f"{sender}>{recipient}"


def _last_out(sender: str, recipient: str, epoch: int, kind: str = "") -> BundleLog | None:
    """The last bundle this office wrote to ``recipient`` in ``epoch`` (of ``kind`` when given)."""
    q = BundleLog.select().where(
        (BundleLog.direction == "out")
        & (BundleLog.sender == sender)
        & (BundleLog.recipient == recipient)
        & (BundleLog.epoch == epoch)
    )
    if kind:
        q = q.where(BundleLog.kind == kind)
    return q.order_by(BundleLog.sequence.desc()).first()


def _zip_entry(name: str, when: dt.datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = 3
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def upper_peer(to: str | None = None) -> PeerOffice:
    """The office above this county that its ``county-up`` bundles go to (a city's or the province's
    key registered with ``hecha keys add``; ``to`` picks one of several). Raises :class:`KeyError_`."""
    q = PeerOffice.select().where(PeerOffice.level.in_(list(UPPER_LEVELS)))
    if to:
        q = q.where(PeerOffice.code == to)
    found = list(q)
    if not found:
        raise KeyError_(
            "还没有登记上级（市或省）的公钥：请向上级要公钥文件（上级用 hecha keys upper 生成），"
            "电话核对指纹后 hecha keys add 文件。"
        )
    if len(found) > 1:
        raise KeyError_(f"登记了几个上级（{'、'.join(p.code for p in found)}）：用 --to 指定发往哪个。")
    if found[0].revoked_at:
        raise KeyError_(f"上级 {found[0].code} 的公钥已吊销：登记它的新公钥（hecha keys replace）后再导出。")
    return found[0]


def _up_messages() -> list[dict[str, Any]]:
    """What a county's upward bundle says besides rows: each 填报单位 decision (the person counted by
    the township named, once county-wide) and each village's annual-report births."""
    from storage.models import AnnualReport, ReportUnit

    out: list[dict[str, Any]] = [
        dict(type="report_unit", person_uid=r.person_uid, unit=r.unit, decision=r.decision_uid)
        for r in ReportUnit.select().order_by(ReportUnit.id)
    ]
    out += [
        dict(type="annual", village_code=a.village_code, year=a.year, reported=a.reported, corrected=a.corrected)
        for a in AnnualReport.select().order_by(AnnualReport.village_code, AnnualReport.year)
    ]
    return out


def export_bundle(
    keys: UnlockedKeys, out_dir: str | Path, *, to: str | None = None, up: bool = False, operator: str | None = None
) -> ExportResult:
    """Write a bundle into ``out_dir`` and log it.

    A township writes its weekly bundle for its county (``township-increment``): every row of this
    office whose version is newer than the last bundle's (tombstones included), its audit rows, and
    the assistance requests and replies waiting for the county; an empty week still gets a bundle and
    its sequence number. A county writes a ``county-request`` bundle to ``to`` (one of its townships,
    another county, or its province's platform) with the requests and replies routed there
    (:mod:`storage.assist`), and so does a province's platform to a county (issue 21); or, with
    ``up`` its ``county-up`` bundle to the level above (:func:`upper_peer`): every row it holds the
    first time, then the rows merged or changed here since the last one (by this county's audit
    rows), with the 填报单位 decisions and annual-report births (:func:`_up_messages`). The
    sequence is allocated in the same transaction that records the export, so a failure leaves
    neither a file nor a log row. Raises :class:`~export.keys.KeyError_` when the recipient is not
    registered and :class:`ExportBlocked` while the households it would carry have validation errors.
    """
    from storage import assist

    out_dir = Path(out_dir)
    me = Office.get()
    township = me.level == "township"
    if township and up:
        raise KeyError_("向上导出（--up）是县级的：乡镇的数据包发给县里（hecha export）")
    if township:
        peer = county_peer()
    elif up:
        peer = upper_peer(to)
    else:
        peer = PeerOffice.get_or_none(PeerOffice.code == (to or ""))
        if peer is None:
            raise KeyError_(f"还没有登记 {to} 的公钥：请先用 hecha keys add 登记对方的公钥文件。")
        if peer.revoked_at:
            raise KeyError_(f"{peer.name}（{to}）的公钥已吊销：登记它的新公钥（hecha keys replace）后才能发给它。")
    kind = KIND_TOWNSHIP if township else KIND_COUNTY_UP if up else KIND_COUNTY_REQUEST
    last = _last_out(me.code, peer.code, me.epoch)
    if township:
        check_before_export(me.code, last.max_version if last else 0)
    out_dir.mkdir(parents=True, exist_ok=True)
    _finish_parts(out_dir)
    who = operator or operator_login()
    status = assist.status_message() if township else None  # read before the write lock is taken
    database.pragma("synchronous", "full")
    final: Path | None = None
    tmp: Path | None = None
    try:
        with write_txn():
            me = Office.get()
            last = _last_out(me.code, peer.code, me.epoch)
            sequence = (last.sequence + 1) if last else 1
            since = last.max_version if last else 0  # a new epoch's first bundle: every row (a re-baseline)
            upto = me.version_counter
            bundle_id = str(uuid.uuid4())
            counts = {m._meta.table_name: 0 for m in SHARED_MODELS}

            top = AuditLog.select(fn.MAX(AuditLog.id)).scalar() or 0
            # the last county-up, not the stream's last bundle: the stream to the province also carries
            # this county's county-request bundles (replies to the platform's 协查, issue 21), whose
            # audit_upto is 0, and a reply made the next upward bundle resend every row (a helper's finding)
            last_up = _last_out(me.code, peer.code, me.epoch, KIND_COUNTY_UP) if up else None

            def selection(model):
                if up:  # every row the first time; then those this county's audit rows name since
                    if last_up is None:
                        return model.id > 0
                    touched = AuditLog.select(AuditLog.uid).where(
                        (AuditLog.table == model._meta.table_name)
                        & (AuditLog.id > last_up.audit_upto)
                        & (AuditLog.id <= top)
                    )
                    return model.uid.in_(touched)
                if not township:  # a county passes on messages down and across
                    return model.id < 0
                return (model.origin == me.code) & (model.version > since) & (model.version <= upto)

            if up:
                audit_prev, audit_upto, audit_head = None, top, ""
                audit_rows = AuditLog.select().where(AuditLog.id < 0)
            elif township:
                audit_prev, audit_from, audit_upto = _audit_span(last)
                audit_rows = AuditLog.select().where((AuditLog.id > audit_from) & (AuditLog.id <= audit_upto))
                audit_head = _check_audit_span(audit_prev, audit_rows, Office.get().audit_head)
            else:
                audit_prev, audit_upto, audit_head = None, 0, ""
                audit_rows = AuditLog.select().where(AuditLog.id < 0)
            messages = [] if up else assist.outbox(peer.code)
            extra = _up_messages() if up else []

            # counted first (the header leads the payload), then streamed straight into gzip: the
            # records are never all in memory (the write lock keeps the two passes consistent)
            for model in SHARED_MODELS:
                counts[model._meta.table_name] = model.select(fn.COUNT(model.id)).where(selection(model)).scalar()
            counts["audit_log"] = audit_rows.count()
            counts["assist"] = len(messages) + len(extra)
            kinds = Counter([*(m.kind for m in messages), *(e["type"] for e in extra)])  # for the summary
            body = io.BytesIO()
            with gzip.GzipFile(fileobj=body, mode="wb", mtime=0, compresslevel=6) as gzfile, _Deflater(gzfile) as gz:
                header = dict(
                    bundle_id=bundle_id,
                    sender=me.code,
                    recipient=peer.code,
                    epoch=me.epoch,
                    sequence=sequence,
                    counts=counts,
                    audit={"prev": audit_prev, "head": audit_head},
                )
                if status is not None:  # its own state for the county's progress (issue 18), not a record
                    header["status"] = status
                gz.write(_line(header))
                lines: list[bytes] = []  # written a few hundred at a time: GzipFile.write per record cost 15 %
                for model in SHARED_MODELS:
                    for rec in merge.dump(model, selection(model)):
                        lines.append(orjson.dumps(rec))
                        if len(lines) >= 500:
                            gz.write(b"\n".join(lines) + b"\n")
                            lines.clear()
                for row in audit_rows.dicts().iterator():
                    lines.append(orjson.dumps({"t": "audit_log", "r": {k: row[k] for k in (*CHAINED, "hash")}}))
                if lines:
                    gz.write(b"\n".join(lines) + b"\n")
                for body_ in [*(json.loads(msg.body) for msg in messages), *extra]:
                    gz.write(_line({"t": "assist", "r": body_}))
                assist.mark_sent(messages, bundle_id, operator=who)
            recipients = [pyrage.x25519.Recipient.from_str(peer.encrypt_public)]
            recipient_keys = [age_fingerprint(peer.encrypt_public)]
            if peer.recovery_public:
                recipients.append(pyrage.x25519.Recipient.from_str(peer.recovery_public))
                recipient_keys.append(age_fingerprint(peer.recovery_public))
            body.seek(0)
            sealed = io.BytesIO()
            pyrage.encrypt_io(body, sealed, recipients)
            payload = sealed.getvalue()
            del body, sealed
            created = _now()
            manifest = {
                "format": FORMAT,
                "kind": kind,
                "bundle_id": bundle_id,
                "sender": me.code,
                "sender_key": sshsig.fingerprint(keys.sign_blob),
                "recipient": peer.code,
                "recipient_keys": recipient_keys,
                "stream": _stream(me.code, peer.code),
                "epoch": me.epoch,
                "sequence": sequence,
                "prev_manifest_sha256": last.manifest_sha256 if last else None,
                "iso_week": iso_week(created.date()),
                "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "payload_size": len(payload),
                "payload_sha256": _sha256(payload),
                "schema_version": SCHEMA_VERSION,
                "software": f"hecha {program_version()}",
            }
            manifest_bytes = (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
            signature = sshsig.sign(keys.sign, manifest_bytes, SIGN_NAMESPACE).encode()
            epoch = f"e{me.epoch}-" if me.epoch > 1 else ""  # after a restore: not the name of an earlier bundle
            name = f"hecha-{me.code}-{peer.code}-{manifest['iso_week']}-{epoch}{sequence:06d}.zip"
            if (out_dir / name).exists():
                raise FileExistsError(
                    errno.EEXIST,
                    f"{out_dir / name} 已存在：本库的序号比这个文件夹里已导出的旧——数据库可能是从旧备份直接复制回来的。"
                    "请运行 hecha rebaseline（开始新纪元，县里才能接上），再导出；不要移走旧文件",
                    str(out_dir / name),
                )
            final = out_dir / name
            tmp = out_dir / f".{name}.part"  # named after the bundle: a later export finishes or removes it
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
                for entry, data in zip(NAMES, (manifest_bytes, signature, payload), strict=True):
                    zf.writestr(_zip_entry(entry, created), data)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            ensure_operator(who)
            BundleLog.create(
                direction="out",
                status="exported",
                bundle_id=bundle_id,
                kind=kind,
                sender=me.code,
                recipient=peer.code,
                epoch=me.epoch,
                sequence=sequence,
                manifest_sha256=_sha256(manifest_bytes),
                manifest=manifest_bytes.decode(),
                payload_sha256=manifest["payload_sha256"],
                max_version=upto,
                counts=json.dumps(counts),
                audit_head=audit_head,
                audit_upto=audit_upto,
                file_name=name,
                at=manifest["created_at"],
                operator=who,
            )
        # committed first, renamed after: a kill in between leaves a logged .part that the next
        # export renames, never a final bundle the township does not know it made (issue 14)
        os.replace(tmp, final)
    except BaseException:
        if tmp is not None and not _logged(final.name if final else ""):
            tmp.unlink(missing_ok=True)  # only our own file: nothing else in the folder is touched
        raise
    finally:
        database.pragma("synchronous", "normal")
    return ExportResult(final, sequence, bundle_id, counts, dict(kinds))


def _audit_span(last: BundleLog | None) -> tuple[str | None, int, int]:
    """Which audit rows the next bundle carries: ``(the hash they continue from, id after which,
    id up to which)``. The first bundle of an epoch (and the first since bundles carried audit rows)
    carries none and starts the county's chain at this office's newest hash (``prev`` ``None``)."""
    top = AuditLog.select(fn.MAX(AuditLog.id)).scalar() or 0
    if last is None or not last.audit_head:
        return None, top, top
    return last.audit_head, last.audit_upto, top


def _check_audit_span(prev: str | None, rows, office_head: str) -> str:
    """The hash the carried audit rows end on, checked before they leave: each row must chain on from
    the one before, starting at ``prev`` (issue 14). Raises :class:`ExportBlocked` when one does not
    (an audit row edited or deleted since the last bundle)."""
    if prev is None:
        return office_head
    head = prev
    for row in rows.dicts().iterator():
        head = link(head, row)
        if head != row["hash"]:
            raise ExportBlocked(
                f"审计记录第 {row['id']} 条与前一条接不上（被改动、删除或调换过），不能导出："
                "请运行 hecha audit verify，并联系县里。"
            )
    return head


def _finish_parts(out_dir: Path) -> None:
    """Finish what a killed export left in ``out_dir``: a ``.part`` of a bundle the log holds is
    renamed to its name (it was committed), one the log does not hold is removed (it was not)."""
    for part in out_dir.glob(".hecha-*.zip.part"):
        name = part.name[1 : -len(".part")]
        if _logged(name):
            if not (out_dir / name).exists():
                os.replace(part, out_dir / name)
        else:
            part.unlink(missing_ok=True)


def _logged(file_name: str) -> bool:
    return BundleLog.select().where((BundleLog.direction == "out") & (BundleLog.file_name == file_name)).exists()


# ---------------------------------------------------------------------------------------------- read


@dataclass
class Opened:
    """A bundle whose structure and manifest passed checks 1–2; nothing is trusted yet."""

    path: str
    manifest_bytes: bytes
    manifest: dict[str, Any]
    signature: bytes
    payload: bytes
    raw: bytes = b""  # the whole zip, kept for a bundle that is held

    @property
    def manifest_sha256(self) -> str:
        return _sha256(self.manifest_bytes)


_EOCD = struct.Struct("<4s4H2LH")
_CDIR = struct.Struct("<4s6H3L5H2L")
_LOCAL = struct.Struct("<4s5H3L2H")


def read_zip(raw: bytes, path: str | Path) -> dict[str, bytes]:
    """The three entries of a bundle zip, read strictly: exactly the layout hecha writes.

    The end record must be the file's last 22 bytes (no comment), count three entries and point at a
    central directory that ends where it begins; each central record must name the next expected
    entry, stored (method 0), unencrypted, without extra fields, comments or a link/directory mode;
    each local header must repeat its central record exactly and the entries must follow one another
    with no gap from offset 0; every CRC-32 must match. Raises :class:`BundleError` B01.
    """

    def bad(why: str) -> BundleError:
        return BundleError("B01", why, path)

    if not raw.startswith((b"PK\x03\x04", b"PK\x05\x06")):  # a zip begins with an entry (or ends at once, empty)
        raise bad("不是 zip 文件（开头不是 zip 的标记：可能是改了扩展名的其他文件）")
    if len(raw) < _EOCD.size:
        raise bad("文件过短")
    sig, disk, cd_disk, n_disk, n_total, cd_size, cd_offset, comment_len = _EOCD.unpack_from(raw, len(raw) - _EOCD.size)
    if sig != b"PK\x05\x06" or comment_len:
        raise bad("zip 结尾记录不在文件末尾（文件不完整、被截断或末尾有多余数据）")
    if (disk, cd_disk, n_disk, n_total) != (0, 0, len(NAMES), len(NAMES)):
        raise bad(f"应恰好含 {len(NAMES)} 个条目")
    if cd_offset + cd_size != len(raw) - _EOCD.size:
        raise bad("zip 目录的位置或大小不对")
    entries: dict[str, bytes] = {}
    pos, expected_offset = cd_offset, 0
    limits = {"manifest.json": MAX_MANIFEST, "manifest.json.sig": MAX_SIG, "payload.age": MAX_BUNDLE}
    for name in NAMES:
        if pos + _CDIR.size > len(raw) - _EOCD.size:
            raise bad("zip 目录不完整")
        (
            c_sig,
            _made,
            need,
            flags,
            method,
            mtime,
            mdate,
            crc,
            csize,
            usize,
            nlen,
            elen,
            clen,
            _dstart,
            _iattr,
            eattr,
            offset,
        ) = _CDIR.unpack_from(raw, pos)
        c_name = raw[pos + _CDIR.size : pos + _CDIR.size + nlen]
        pos += _CDIR.size + nlen + elen + clen
        if c_sig != b"PK\x01\x02":
            raise bad("zip 目录记录损坏")
        if c_name != name.encode():
            raise bad(f"应恰好含 {', '.join(NAMES)}（按此顺序），遇到 {c_name.decode(errors='replace')!r}")
        if method != 0 or flags & 0x1 or flags & 0x8 or elen or clen or csize != usize:
            raise bad(f"{name} 不是不压缩、不加密的简单条目")
        mode = eattr >> 16
        if mode and not stat.S_ISREG(mode):
            raise bad(f"{name} 是链接或目录")
        if usize > limits[name]:
            raise bad(f"{name} 过大")
        if offset != expected_offset:
            raise bad(f"{name} 的位置不对（条目之间或之前有多余数据）")
        if offset + _LOCAL.size > cd_offset:
            raise bad(f"{name} 的本地头不完整")
        local = _LOCAL.unpack_from(raw, offset)
        if local != (b"PK\x03\x04", need, flags, method, mtime, mdate, crc, csize, usize, nlen, 0) or (
            raw[offset + _LOCAL.size : offset + _LOCAL.size + nlen] != c_name
        ):
            raise bad(f"{name} 的本地头与 zip 目录不一致")
        start = offset + _LOCAL.size + nlen
        body = raw[start : start + csize]
        if len(body) != csize or zlib.crc32(body) != crc:
            raise bad(f"{name} 的 CRC 校验不符（数据损坏）")
        entries[name] = body
        expected_offset = start + csize
    if expected_offset != cd_offset or pos != cd_offset + cd_size:
        raise bad("zip 目录之前或之中有多余数据")
    return entries


def open_bundle(path: str | Path, data: bytes | None = None) -> Opened:
    """Checks 1 (size and zip structure) and 2 (manifest format). Raises :class:`BundleError`.

    Reads the file at ``path``, or the bytes ``data`` (a held bundle) named ``path``. Entries are read
    into memory only, never extracted.
    """
    path = Path(path)
    if data is None:
        try:
            st = os.lstat(path)
        except OSError as exc:
            raise BundleError("B01", f"打不开文件：{exc.strerror}", path) from None
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
            raise BundleError("B01", "不是普通文件", path)
        size = st.st_size
    else:
        size = len(data)
    if size > MAX_BUNDLE or size < 22:
        raise BundleError("B01", f"文件大小 {size} 字节不合理", path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise BundleError("B01", f"读不出文件：{exc.strerror}", path) from None
    entries = read_zip(data, path)
    manifest_bytes = entries["manifest.json"]
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError("B02", f"不是 JSON：{exc}", path) from None
    except RecursionError:  # [[[…]]] thousands deep, read before the signature is checked
        raise BundleError("B02", "不是清单：括号嵌套过深", path) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError("B02", f"格式不是 {FORMAT}", path)
    for key, kind in MANIFEST_FIELDS.items():
        if key not in manifest or not isinstance(manifest[key], kind) or isinstance(manifest[key], bool):
            raise BundleError("B02", f"字段 {key} 缺失或类型不对", path)
    if set(manifest) != set(MANIFEST_FIELDS):
        raise BundleError("B02", f"多出字段 {sorted(set(manifest) - set(MANIFEST_FIELDS))}", path)
    if manifest["kind"] not in KINDS or manifest["sequence"] < 1 or manifest["epoch"] < 1:
        raise BundleError("B02", "种类、序号或纪元不对", path)
    week = re.fullmatch(r"(\d{4})-W(\d{2})", manifest["iso_week"])
    if not week or not 1 <= int(week.group(2)) <= dt.date(int(week.group(1)), 12, 28).isocalendar()[1]:
        raise BundleError("B02", "所属周（iso_week）不对", path)
    if not all(isinstance(k, str) for k in manifest["recipient_keys"]):
        raise BundleError("B02", "recipient_keys 应为字符串列表", path)
    return Opened(str(path), manifest_bytes, manifest, entries["manifest.json.sig"], entries["payload.age"], data)


def _stream_last(sender: str, recipient: str, epoch: int) -> BundleLog | None:
    return (
        BundleLog.select()
        .where(
            (BundleLog.direction == "in")
            & (BundleLog.status == "imported")
            & (BundleLog.sender == sender)
            & (BundleLog.recipient == recipient)
            & (BundleLog.epoch == epoch)
        )
        .order_by(BundleLog.sequence.desc())
        .first()
    )


def verify(b: Opened) -> PeerOffice:
    """Checks 3–6: addressed to us, sender registered, signature by its pinned key, payload hash.

    Returns the sender's registration. Raises :class:`BundleError`.
    """
    m = b.manifest
    me = Office.get()
    if m["recipient"] != me.code:
        raise BundleError("B03", f"收件单位是 {m['recipient']}，本单位是 {me.code}", b.path)
    peer = PeerOffice.get_or_none(PeerOffice.code == m["sender"])
    if peer is None:
        raise BundleError("B04", f"发送单位 {m['sender']}", b.path)
    if peer.revoked_at:
        raise BundleError("B04", f"发送单位 {m['sender']} 的公钥已于 {peer.revoked_at[:10]} 吊销", b.path)
    try:
        pinned = [sshsig.blob_from_line(line) for line in signing_keys(peer)]
        signer = sshsig.verify(b.signature, b.manifest_bytes, SIGN_NAMESPACE)
    except sshsig.SignatureError as exc:
        raise BundleError("B05", str(exc), b.path) from None
    if signer not in pinned or m["sender_key"] != sshsig.fingerprint(signer):
        raise BundleError("B05", f"签名密钥 {sshsig.fingerprint(signer)} 不是 {m['sender']} 登记的密钥", b.path)
    if len(b.payload) != m["payload_size"] or _sha256(b.payload) != m["payload_sha256"]:
        raise BundleError("B06", "payload.age 的大小或 SHA-256 与清单不符", b.path)
    return peer


class _Records:
    """The records of a decrypted payload, parsed and checked one line at a time (check 14).

    Iterating yields each record after :func:`merge.validate_record`; afterwards ``counts`` holds the
    records per table, which must equal the inner header's (check 13). Streaming keeps a
    50,000-person bundle's merge within the memory budget.
    """

    def __init__(self, lines, path: str):
        self.lines = lines
        self.path = path
        self.counts: dict[str, int] = {}
        self.audit: list[dict[str, Any]] = []  # the township's audit rows, checked, not merged
        self.uids: set[str] = set()  # the records carried, whose audit rows must be there too
        self.assist: list[Any] = []  # assistance requests and replies (协查), taken after the rows

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for no, line in enumerate(self.lines, start=2):
            try:
                rec = orjson.loads(line)
                if isinstance(rec, dict) and rec.get("t") == "audit_log":
                    self.audit.append(_audit_record(rec))
                elif isinstance(rec, dict) and rec.get("t") == "assist" and set(rec) == {"t", "r"}:
                    self.assist.append(rec["r"])  # checked against the sender by storage.assist.receive
                else:
                    merge.validate_record(rec)
                    self.uids.add(rec["r"]["uid"])
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise BundleError("B14", f"第{no}行不是 JSON：{exc}", self.path) from None
            except merge.SchemaError as exc:
                raise BundleError("B14", f"第{no}行：{exc}", self.path) from None
            self.counts[rec["t"]] = self.counts.get(rec["t"], 0) + 1
            if rec["t"] not in ("audit_log", "assist"):
                yield rec


def _audit_record(rec: dict[str, Any]) -> dict[str, Any]:
    """One audit row of a bundle, its fields and types checked. Raises :class:`merge.SchemaError`."""
    row = rec.get("r")
    if set(rec) != {"t", "r"} or not isinstance(row, dict) or set(row) != {*CHAINED, "hash"}:
        raise merge.SchemaError("审计记录格式不对")
    for key, value in row.items():
        if not (isinstance(value, str) or (value is None and key in ("old", "new"))):
            raise merge.SchemaError(f"审计记录的 {key} 不是文字")
    return row


def _check_audit(header: dict[str, Any], records: _Records, held_head: str, path: str) -> str:
    """Check the audit rows a township's bundle carries (issue 14) and return the hash they end on.

    They must continue the chain from ``held_head`` (the hash this county took with the stream's
    last bundle), each row's hash over the one before (:func:`storage.auditchain.link`), and every
    record carried must have audit rows among them (hecha writes one with every change; a record
    changed in SQLite has none). A bundle that starts the chain (``prev`` ``None``: an epoch's first,
    or the first since bundles carried audit rows) is taken only when nothing is held. Raises
    :class:`BundleError` ``B16`` (``B13`` for a header without the chain)."""
    audit = header.get("audit")
    if not isinstance(audit, dict) or not isinstance(audit.get("head"), str):
        raise BundleError("B13", "内部头缺少审计链", path)
    prev = audit.get("prev")
    if prev is None:
        if held_head or records.audit:
            raise BundleError("B16", "数据包没有接上上次收到的审计链", path)
        return audit["head"]
    if prev != held_head:
        raise BundleError("B16", f"审计链应接 {held_head[:12]}…，数据包接的是 {str(prev)[:12]}…", path)
    head = prev
    for n, row in enumerate(records.audit, start=1):
        head = link(head, row)
        if head != row["hash"]:
            raise BundleError("B16", f"数据包中第 {n} 条审计记录与前一条接不上", path)
    if head != audit["head"]:
        raise BundleError("B16", "审计链的最后一条与内部头不符", path)
    missing = records.uids - {row["uid"] for row in records.audit}
    if missing:
        raise BundleError("B16", f"{len(missing)} 条记录没有修改记录，如 {sorted(missing)[:3]}", path)
    return head


def _decrypt(b: Opened, keys: UnlockedKeys) -> tuple[dict[str, Any], _Records]:
    """Checks 12–14: decrypt, inner header equals manifest, schema version; records stream after."""
    m = b.manifest
    try:
        plain = io.BytesIO()
        pyrage.decrypt_io(io.BytesIO(b.payload), plain, keys.identities)
    except Exception as exc:  # pyrage.DecryptError
        raise BundleError("B12", str(exc), b.path) from None
    plain.seek(0)
    lines = gzip.GzipFile(fileobj=plain, mode="rb")
    try:
        first = lines.readline(MAX_RECORD + 1)
        header = json.loads(first) if first and len(first) <= MAX_RECORD else None
    except (OSError, EOFError) as exc:
        raise BundleError("B12", f"解密后的内容不是 gzip：{exc}", b.path) from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        header = None
    wanted = {k: m[k] for k in ("bundle_id", "sender", "recipient", "epoch", "sequence")}
    if not isinstance(header, dict) or {k: header.get(k) for k in wanted} != wanted:
        raise BundleError("B13", "内部头的编号、单位、纪元或序号与清单不同", b.path)
    if m["schema_version"] not in SCHEMA_READ:
        raise BundleError("B14", f"数据结构版本 {m['schema_version']}，本程序支持 {SCHEMA_READ}", b.path)
    if not isinstance(header.get("counts"), dict):
        raise BundleError("B13", "内部头缺少记录数", b.path)

    def read() -> Iterator[bytes]:
        no = 1
        try:
            while True:
                line = lines.readline(MAX_RECORD + 1)
                no += 1
                if not line:
                    return
                if len(line) > MAX_RECORD:
                    raise BundleError("B14", f"第{no}行超过 {MAX_RECORD} 字节", b.path)
                yield line
        except (OSError, EOFError) as exc:
            raise BundleError("B12", f"解密后的内容不完整：{exc}", b.path) from None

    return header, _Records(read(), b.path)


def import_order(paths: list[Path]) -> list[Path]:
    """Bundle files in the order to import them: those that cannot be opened first (their refusal
    is said before the rest), then by sender, epoch and sequence, so a bundle that comes before
    another in its stream is imported before it instead of the later one being held."""
    return _survey(paths)[0]


def _survey(paths: list[Path], *, new_bytes: bool = False) -> tuple[list[Path], int]:
    """:func:`import_order` of ``paths``, and with ``new_bytes`` the bytes of the files not imported
    before (an inbox folder keeps last week's bundles: they would make a weekly batch look like a
    first import), each file read once."""
    keyed: list[tuple[tuple, Path]] = []
    fresh = 0
    for path in paths:
        try:
            b = open_bundle(path)
        except BundleError:
            keyed.append(((0, "", 0, 0, str(path)), path))
            continue
        m = b.manifest
        keyed.append(((1, m["sender"], m["epoch"], m["sequence"], str(path)), path))
        if new_bytes and not _imported_before(b):
            fresh += len(b.raw)
    return [path for _, path in sorted(keyed, key=lambda kp: kp[0])], fresh


def import_many(
    paths: list[Path], keys: UnlockedKeys, *, operator: str | None = None, say: Callable[[str], None] | None = None
) -> Iterator[tuple[Path, ImportResult | BundleError]]:
    """Import bundle files in :func:`import_order`, each all or nothing (:func:`import_bundle`);
    yields ``(path, result)`` per file, the result an :class:`ImportResult` or the
    :class:`BundleError` that refused it. The command line and the import screen both use it.

    A batch that brings at least as many persons as the database holds (a county's first import
    of its townships, :func:`storage.bulk.worth_it`) sets the search indexes aside while it merges
    and builds them again at its end, ``say`` told each one first (issue 18: the county's first
    import of 30 × 30,000 persons ≤ 60 s). A batch stopped halfway leaves them to the next start.
    """
    from storage import bulk

    ordered, new_bytes = _survey(paths, new_bytes=True)

    def tell(line: str) -> None:
        if say:
            say(line)

    def rebuild() -> None:
        try:
            bulk.restore(lambda label: tell(f"正在重建检索索引（{label}）…"))
        except bulk.Locked:
            tell("检索索引还没能重建：另一个程序一直占用数据库。下次启动 hecha 时会自动重建，查询在此之前较慢。")

    with ExitStack() as stack:
        held = database.execute_sql("SELECT count(*) FROM person").fetchone()[0]
        _import_cache(stack, held + new_bytes // bulk.BUNDLE_BYTES_PER_PERSON)
        if Office.get().level != "province" and bulk.worth_it(new_bytes, held):  # a platform's rows: Parquet
            try:
                stack.enter_context(bulk.running(database.database))
            except BlockingIOError:
                pass  # another batch runs on this database: merge with the indexes as they are
            else:
                rebuild()  # left by a batch stopped halfway, should there be any
                stack.callback(rebuild)
                try:
                    if bulk.suspend():
                        tell("这批数据包比本库还大：先停用检索索引，全部导入后重建（省去逐条维护的时间）。")
                except (pw.OperationalError, sqlite3.OperationalError) as exc:
                    if "locked" not in str(exc).lower() and "busy" not in str(exc).lower():
                        raise
                    # another program holds the write lock (a helper's finding: this was a traceback):
                    # the indexes stay, and each bundle waits for the lock or is refused in words
                    tell("另一个程序正在写数据库：检索索引不停用，逐个导入。")
        for path in ordered:
            try:
                yield path, import_bundle(path, keys, operator=operator)
            except BundleError as exc:
                yield path, exc


def import_bundle(path: str | Path, keys: UnlockedKeys, *, operator: str | None = None) -> ImportResult:
    """Check and import one bundle, all or nothing; then any held bundle that now follows it.

    Returns an :class:`ImportResult` (``imported``, ``already`` or ``held``); raises
    :class:`BundleError` for every refusal, leaving the database unchanged.
    """
    b = open_bundle(path)
    with ExitStack() as stack:
        _import_cache(stack)
        try:
            result = _import_opened(b, keys, operator or operator_login())
        except BundleError as exc:
            _log_refusal(b, exc, operator or operator_login())
            raise
        if result.status == "imported":
            result.also_imported = _import_held(b.manifest, keys, operator or operator_login())
    return result


def _imported_before(b: Opened) -> bool:
    return (
        BundleLog.select()
        .where(
            (BundleLog.direction == "in")
            & (BundleLog.status == "imported")
            & (BundleLog.manifest_sha256 == b.manifest_sha256)
        )
        .exists()
    )


def _import_cache(stack: ExitStack, persons: int | None = None) -> None:
    """Give SQLite more page cache until ``stack`` closes: :data:`IMPORT_CACHE_KIB` when the
    database holds (or, with ``persons``, will hold) :data:`LARGE` persons or more, else
    :data:`SMALL_CACHE_KIB`; nothing when it has as much already (a batch sets it once: resizing it
    for each bundle cost 4 % of a county's import)."""
    cache = database.pragma("cache_size")
    if persons is None:
        persons = database.execute_sql("SELECT max(id) FROM person").fetchone()[0] or 0
    want = IMPORT_CACHE_KIB if persons >= LARGE else SMALL_CACHE_KIB
    if cache < 0 and -cache >= want:
        return
    database.pragma("cache_size", -want)  # the indexes stay in memory while it merges
    stack.callback(database.pragma, "cache_size", cache)


SMALL_CACHE_KIB = 24_576
"""SQLite's page cache while a bundle is merged into a database under :data:`LARGE` persons (24
MiB): the weekly import of 50,000 persons into a new county took 8.4 s with the default 2 MiB and
6.6 s with 64 MiB, which took it to 173 MB against its 150 (DESIGN.md §11)."""

LARGE = 200_000
"""Persons (by the largest row id) from which an import gives SQLite :data:`IMPORT_CACHE_KIB` of
cache: a county's. Below, the weekly import of 50,000 persons into a township-sized database keeps
within its 150 MB (DESIGN.md §11; with the larger cache it took 173 MB)."""


def _import_opened(b: Opened, keys: UnlockedKeys, who: str) -> ImportResult:
    from storage import assist

    m = b.manifest
    if _imported_before(b):  # these exact manifest bytes were checked and imported before: nothing to
        # do (a key replaced since would otherwise call an old bundle forged)
        return ImportResult(status="already", code="I07", path=b.path, sender=m["sender"], sequence=m["sequence"])
    peer = verify(b)
    me = Office.get()
    if me.level == "township":
        expected = {("county", KIND_COUNTY_REQUEST)}
    elif me.level == "province":  # the platform (issue 21): the counties' reports, and their replies
        expected = {("county", KIND_COUNTY_UP), ("county", KIND_COUNTY_REQUEST)}
    else:  # a county: its townships, other counties, and requests from the province's platform
        expected = {("township", KIND_TOWNSHIP), ("county", KIND_COUNTY_REQUEST)}
        expected |= {(level, KIND_COUNTY_REQUEST) for level in UPPER_LEVELS}
    if (peer.level, m["kind"]) not in expected:
        raise BundleError("B18", f"{peer.level} {peer.code} 发来的 {m['kind']} 数据包", b.path)
    base = dict(path=b.path, sender=peer.code, sequence=m["sequence"])
    newer_epoch = (
        BundleLog.select()
        .where((BundleLog.direction == "in") & (BundleLog.sender == m["sender"]) & (BundleLog.epoch > m["epoch"]))
        .exists()
    )
    if newer_epoch:
        raise BundleError("B19", f"第 {m['epoch']} 纪元第 {m['sequence']} 号", b.path)
    last = _stream_last(m["sender"], m["recipient"], m["epoch"])
    last_seq = last.sequence if last else 0
    if m["sequence"] <= last_seq:
        raise BundleError("B08", f"第{m['sequence']}号已导入过内容不同的数据包", b.path)
    if m["sequence"] > last_seq + 1:
        _hold(b, who)
        return ImportResult(status="held", code="H09", **base)
    expected_prev = last.manifest_sha256 if last else None
    if m["prev_manifest_sha256"] != expected_prev:
        raise BundleError("B10", f"上一清单校验值应为 {expected_prev}，数据包中为 {m['prev_manifest_sha256']}", b.path)
    ours = own_encrypt_fingerprints()
    if not ours & set(m["recipient_keys"]):
        raise BundleError("B11", "清单中的加密密钥没有一把是本单位的", b.path)
    header, records = _decrypt(b, keys)
    store = None
    try:
        with write_txn():
            if _imported_before(b):  # by another program, while this one read it: nothing to do
                return ImportResult(status="already", code="I07", **base)
            rebaseline = m["epoch"] > 1 and m["sequence"] == 1  # after a restore: the whole office again
            if me.level == "province":  # rows go to the platform's Parquet store, renamed in after the commit
                from storage.province import platform

                store = platform.writer(peer.code, m["bundle_id"])
                stored, passed = platform.take_rows(store, records, county=peer.code, created_at=m["created_at"])
                stats = merge.MergeStats(inserted=stored, unchanged=passed)
            else:
                # a county sends a township messages only, and a province a county
                rows = records if me.level == "county" and peer.level not in UPPER_LEVELS else _no_rows(records)
                stats = merge.apply(
                    rows, sender=peer.code, bundle_id=m["bundle_id"], operator=who, rebaseline=rebaseline
                )
            declared = {k: v for k, v in header["counts"].items() if v}
            if declared != records.counts:
                raise BundleError("B13", f"内部头的记录数 {declared} 与实际 {records.counts} 不符", b.path)
            audit_head = _check_audit(header, records, last.audit_head if last else "", b.path)
            bodies = records.assist
            if me.level == "province":  # a county's 填报单位 decisions and annual reports: not the platform's
                bodies = [x for x in bodies if not (isinstance(x, dict) and x.get("type") in ("report_unit", "annual"))]
            messages = [assist.check_message(body, peer.code, peer.level) for body in bodies]
            if "status" in header:  # a township's own state (issue 18; bundles before it have none)
                messages.append(assist.check_message(header["status"], peer.code, peer.level))
            assist_counts = assist.receive(messages, sender=peer.code, operator=who)
            assist_counts.pop("status", None)
            ensure_operator(who)
            BundleLog.delete().where(
                (BundleLog.direction == "in")
                & (BundleLog.status == "held")
                & (BundleLog.manifest_sha256 == b.manifest_sha256)
            ).execute()
            _log_in(b, "imported", who, counts=json.dumps(header["counts"]), audit_head=audit_head)
    except BaseException as exc:
        if store is not None:
            store.abort()
        _translate(exc, b.path)
        raise
    if store is not None:  # committed: the rows' files take their names; should that stop halfway (a
        # full disk, Ctrl-C), the .part files stay for the next read (storage.province.platform.recover)
        store.commit()
    return ImportResult(status="imported", stats=stats, assist=assist_counts, **base)


def rebuild_platform_rows(path: str | Path, keys: UnlockedKeys, *, only: set[str]) -> str:
    """Read again, into the province's store, a ``county-up`` bundle this platform imported before
    whose rows the store lost (issue 21; ``only``: the manifests' SHA-256 the store lacks, from
    :func:`storage.province.platform.missing`). Its manifest is one the log holds as imported, so its
    signature was checked then (a key revoked since does not stop it); its payload, decryption and
    record counts are checked again; the bundle log is not touched. Returns what was written,
    ``""`` for a bundle not among ``only``. Raises :class:`BundleError`."""
    from storage.province import platform

    b = open_bundle(path)
    if b.manifest_sha256 not in only:
        return ""
    # these exact manifest bytes were verified when imported (as _imported_before trusts them): the
    # sender's key may have been revoked or replaced since, and the rows must still come back
    m = b.manifest
    if len(b.payload) != m["payload_size"] or _sha256(b.payload) != m["payload_sha256"]:
        raise BundleError("B06", "payload.age 的大小或 SHA-256 与清单不符", b.path)
    peer = PeerOffice.get(PeerOffice.code == m["sender"])
    header, records = _decrypt(b, keys)
    try:
        with write_txn():  # the write lock: an import meanwhile would sweep this rebuild's files
            store = platform.writer(peer.code, b.manifest["bundle_id"])
            try:
                stored, _ = platform.take_rows(store, records, county=peer.code, created_at=b.manifest["created_at"])
                declared = {k: v for k, v in header["counts"].items() if v}
                if declared != records.counts:
                    raise BundleError("B13", f"内部头的记录数 {declared} 与实际 {records.counts} 不符", b.path)
                store.commit()
            except BaseException:
                store.abort()
                raise
    except BaseException as exc:
        _translate(exc, b.path)
        raise
    return f"{Path(path).name}：{peer.name}（{peer.code}）人 {stored['person']}，出生 {stored['birth']}"


def _translate(exc: BaseException, path: str) -> None:
    """Raise the :class:`BundleError` an import's failure stands for (a row or message the sender may
    not send, a record of the wrong shape, a clash with a row held); return for anything else."""
    from storage import assist

    if isinstance(exc, merge.SchemaError):
        raise BundleError("B14", str(exc), path) from None
    if isinstance(exc, merge.ForeignRow):
        raise BundleError("B15", str(exc), path) from None
    if isinstance(exc, assist.MessageError):
        raise BundleError("B17", str(exc), path) from None
    if type(exc).__name__ == "IntegrityError":
        raise BundleError("B14", f"与本库已有记录冲突：{exc}", path) from None


IMPORT_CACHE_KIB = 65_536
"""SQLite's page cache while a bundle is merged (64 MiB; the default 2 MiB): a county's person
indexes at 900,000 persons no longer fit the default, and each insert read pages again (import
at 30 × 30,000 persons 35 % faster; DESIGN.md §11 allows the county's import 300 MB)."""

LOGGED_REFUSALS = frozenset({"B08", "B10", "B11", "B12", "B13", "B14", "B15", "B16", "B17", "B18"})
"""Refusals kept on record (the sender's signature was good, so the sender is who it says): what the
county's progress shows, a chain broken after a restored backup above all."""


def _log_refusal(b: Opened, exc: BundleError, who: str) -> None:
    """Keep a refusal of a signed bundle on record, after the import's transaction rolled back: the
    bundle changed nothing, this row only says it was refused (issue 18: a broken chain reported).
    Never raises: a refusal is reported whether or not it could be logged."""
    if exc.code not in LOGGED_REFUSALS:
        return
    m = b.manifest
    try:
        with write_txn():
            BundleRefusal.insert(
                sender=m["sender"],
                kind=m["kind"],
                epoch=m["epoch"],
                sequence=m["sequence"],
                manifest_sha256=b.manifest_sha256,
                code=exc.code,
                detail=str(exc.detail)[:500],
                file_name=Path(b.path).name,
                at=_now().strftime("%Y-%m-%dT%H:%M:%SZ"),
                operator=who,
                after_log=BundleLog.select(fn.MAX(BundleLog.id)).scalar() or 0,
            ).on_conflict_ignore().execute()
    except Exception:  # a read-only or locked database: the refusal itself still stands
        return


def _no_rows(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The records of a bundle that may carry none (a county's bundle to a township: only messages;
    a row there would be written into the township's own tables): raises on the first."""
    for rec in records:
        raise merge.SchemaError(f"县里下发的数据包不应带{merge.TABLE_LABELS.get(rec['t'], rec['t'])}记录")
        yield rec  # never reached: a generator that refuses


def _hold(b: Opened, who: str) -> None:
    if (
        BundleLog.select()
        .where((BundleLog.status == "held") & (BundleLog.manifest_sha256 == b.manifest_sha256))
        .exists()
    ):
        return
    with write_txn():
        _log_in(b, "held", who, data=b.raw)


def _log_in(b: Opened, status: str, who: str, **extra: Any) -> BundleLog:
    """The log row of a bundle read (``imported`` or ``held``), from its manifest."""
    m = b.manifest
    return BundleLog.create(
        direction="in",
        status=status,
        bundle_id=m["bundle_id"],
        kind=m["kind"],
        sender=m["sender"],
        recipient=m["recipient"],
        epoch=m["epoch"],
        sequence=m["sequence"],
        manifest_sha256=b.manifest_sha256,
        manifest=b.manifest_bytes.decode(),
        payload_sha256=m["payload_sha256"],
        file_name=Path(b.path).name,
        at=_now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        operator=who,
        **extra,
    )


def _import_held(m: dict[str, Any], keys: UnlockedKeys, who: str) -> list[ImportResult]:
    """Import held bundles that now follow in the stream of ``m``, one after another."""
    done: list[ImportResult] = []
    seq = m["sequence"]
    while True:
        held = BundleLog.get_or_none(
            (BundleLog.direction == "in")
            & (BundleLog.status == "held")
            & (BundleLog.sender == m["sender"])
            & (BundleLog.recipient == m["recipient"])
            & (BundleLog.epoch == m["epoch"])
            & (BundleLog.sequence == seq + 1)
        )
        if held is None:
            return done
        opened = None
        try:
            opened = open_bundle(held.file_name, bytes(held.data))
            result = _import_opened(opened, keys, who)
        except BundleError as exc:
            if opened is not None:
                _log_refusal(opened, exc, who)
            # the bundle before it is committed already: report this one, keep it held
            done.append(
                ImportResult(
                    path=held.file_name,
                    status="refused",
                    sender=held.sender,
                    sequence=held.sequence,
                    code=exc.code,
                    error=exc,
                )
            )
            return done
        done.append(result)
        seq += 1
