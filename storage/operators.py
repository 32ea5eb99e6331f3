"""Named operators with a PIN, for an office whose clerks share one Linux account (issue 14).

Every change records its operator (DESIGN.md §4). Normally that is the Linux login name
(:func:`storage.paths.operator_login`). Where an office runs hecha under one shared account, the login
says nothing about who keyed what: the head of office then registers each clerk under a chosen name
with a PIN (``hecha operators add``), and from then on the TUI and every command ask for a name and PIN
before they open the office's data, and record that name.

The PIN (4–8 digits) is kept as an scrypt hash (RFC 7914; N = 2^14, r = 8, p = 1, 16-byte salt), never
in clear. Five wrong PINs in a row lock the name for :data:`LOCK_MINUTES` minutes: a PIN has few
digits, and the lock is what keeps guessing slow.
"""

from __future__ import annotations

import datetime as dt
import hmac
import os
import re
import unicodedata

from .db import now_iso, write_txn
from .errors import OperatorError
from .models import Operator
from .paths import set_signed_in

PIN_RE = re.compile(r"[0-9]{4,8}")
LOG_N = 14
MAX_TRIES = 5
LOCK_MINUTES = 10
REMOVED = "removed"  # the pin_hash of an operator who may no longer sign in
WRONG = "名字或 PIN 不对。"  # one answer for an unknown name and a wrong PIN


class PinRefused(OperatorError):
    """A sign-in refused: unknown name, wrong PIN, or a name locked after too many wrong PINs."""


def _hash(pin: str, salt: bytes, log_n: int = LOG_N) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=2**log_n, r=8, p=1).derive(pin.encode("ascii"))


def clean_name(name: str) -> str:
    """The operator name as stored: NFKC, stripped; 1–20 characters, no control characters.
    Raises :class:`PinRefused` otherwise."""
    name = unicodedata.normalize("NFKC", name or "").strip()
    if not 1 <= len(name) <= 20 or any(unicodedata.category(c).startswith("C") for c in name):
        raise PinRefused("录入员名字要1–20个字，不能有控制字符（如 张三、李会计）。")
    return name


def clean_pin(pin: str) -> str:
    """The PIN as stored: NFKC (full-width digits from an IME count), 4–8 ASCII digits.
    Raises :class:`PinRefused` otherwise."""
    pin = unicodedata.normalize("NFKC", pin or "").strip()
    if not PIN_RE.fullmatch(pin):
        raise PinRefused("PIN 要4–8位数字。")
    return pin


def named() -> list[Operator]:
    """The operators registered with a PIN, by name. Empty where each clerk has a Linux account."""
    return list(Operator.select().where(Operator.pin_hash != "").order_by(Operator.login))


def required() -> bool:
    """Whether this office signs in with a name and PIN (any named operator is registered)."""
    return Operator.select().where((Operator.pin_hash != "") & (Operator.pin_hash != REMOVED)).exists()


def add(name: str, pin: str) -> tuple[Operator, bool]:
    """Register ``name`` with ``pin``, or give an existing named operator a new PIN (and unlock it).
    Returns the row and whether the name is new.

    Raises :class:`PinRefused` for a bad name or PIN, or a name that is already a Linux login's
    operator row without a PIN (the changes recorded under it would become the new clerk's).
    """
    name, pin = clean_name(name), clean_pin(pin)
    salt = os.urandom(16)
    stored = f"scrypt${LOG_N}${salt.hex()}${_hash(pin, salt).hex()}"
    with write_txn():
        row = Operator.get_or_none(Operator.login == name)
        if row is not None and not row.pin_hash:
            raise PinRefused(f"「{name}」已是一个系统账户名（记录过修改）：请给录入员另取一个名字。")
        new = row is None
        if row is None:
            row = Operator.create(login=name, name=name, created_at=now_iso(), pin_hash=stored)
        else:
            row.pin_hash, row.failed_pins, row.locked_until = stored, 0, ""
            row.save()
    return row, new


def remove(name: str) -> None:
    """Stop ``name`` signing in (its PIN is replaced by :data:`REMOVED`; the changes it made keep its
    name; ``add`` gives it a PIN again). Raises :class:`PinRefused` for a name that is not a named operator."""
    name = clean_name(name)
    with write_txn():
        row = Operator.get_or_none((Operator.login == name) & (Operator.pin_hash != ""))
        if row is None or row.pin_hash == REMOVED:
            raise PinRefused(f"没有叫「{name}」的录入员。")
        row.pin_hash, row.failed_pins, row.locked_until = REMOVED, 0, ""
        row.save()


def sign_in(name: str, pin: str, *, now: dt.datetime | None = None) -> str:
    """Check ``name`` and ``pin``; on success record ``name`` as this process's operator and return it.

    ``now`` (UTC, for tests) judges the lock. Raises :class:`PinRefused`: an unknown or removed name
    and a wrong PIN alike (:data:`WRONG`, so that names cannot be found out by trying), or a locked
    name (saying until when, local time, and how the head of office resets it).
    """
    name = clean_name(name)
    now = now or dt.datetime.now(dt.timezone.utc)
    try:
        pin = clean_pin(pin)
    except PinRefused:  # not 4–8 digits (an Enter by mistake): no PIN can be, and no try is counted
        raise PinRefused(WRONG) from None
    # the whole check in one write transaction: tries from several processes at once are counted one
    # after another, so the lock holds against guesses run in parallel (a tester ran 40 at once)
    with write_txn():
        row = Operator.get_or_none((Operator.login == name) & (Operator.pin_hash != ""))
        if row is None or row.pin_hash == REMOVED:  # said as a wrong PIN is: the names are not given away
            _hash("0000", b"\0" * 16)  # and in the same time
            raise PinRefused(WRONG)
        if row.locked_until and now < dt.datetime.fromisoformat(row.locked_until.replace("Z", "+00:00")):
            until = dt.datetime.fromisoformat(row.locked_until.replace("Z", "+00:00")).astimezone()
            raise PinRefused(
                f"「{name}」连续输错 PIN {MAX_TRIES} 次，已锁定到 {until:%H:%M}：请稍后再试，"
                f"或请负责人用 hecha operators add {name} 重设 PIN（要本单位口令）。"
            )
        _, log_n, salt, digest = row.pin_hash.split("$")
        ok = hmac.compare_digest(_hash(pin, bytes.fromhex(salt), int(log_n)), bytes.fromhex(digest))
        if ok:
            row.failed_pins, row.locked_until = 0, ""
        else:
            row.failed_pins += 1
            if row.failed_pins >= MAX_TRIES:
                row.failed_pins = 0
                row.locked_until = (now + dt.timedelta(minutes=LOCK_MINUTES)).strftime("%Y-%m-%dT%H:%M:%SZ")
        row.save()
    if not ok:
        if row.locked_until:
            raise PinRefused(f"{WRONG}「{name}」已连续输错 {MAX_TRIES} 次，锁定 {LOCK_MINUTES} 分钟。")
        raise PinRefused(WRONG)
    set_signed_in(name)
    return name
