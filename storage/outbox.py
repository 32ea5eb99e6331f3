"""What offices send each other besides rows (issue 17, 18): the outbox of messages waiting for the
bundle to the next office, and the checks every text in them passes (no control characters: what
one office wrote is printed on another's terminal). Shared by :mod:`storage.assist` (协查) and
:mod:`storage.decisions` (the county's decisions)."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from .db import now_iso
from .errors import OperatorError
from .models import AssistOutbox

MAX_TEXT = 500


class TextError(OperatorError):
    """Typed text too long or holding control characters; the message says which and how long."""


def has_controls(text: str) -> bool:
    """Whether ``text`` holds control or format characters (ESC, BEL, CR …): never in a name, a
    question or a note, and never to be printed on another office's terminal."""
    return any(unicodedata.category(c) in ("Cc", "Cf") for c in text)


def printable(text: Any) -> str:
    """``text`` with control and format characters shown as ``?``: what reaches a terminal."""
    return "".join("?" if unicodedata.category(c) in ("Cc", "Cf") else c for c in str(text))


def clean_text(text: str, what: str, limit: int = MAX_TEXT) -> str:
    """Typed text stripped; refused with :class:`TextError` when too long or holding control
    characters (say what, and how long it may be)."""
    text = (text or "").strip()
    if len(text) > limit:
        raise TextError(f"{what}太长（{len(text)} 字）：最多 {limit} 字，请写得简短些")
    if has_controls(text):
        raise TextError(f"{what}里有控制字符（如从别处粘贴带进来的）：请重新输入")
    return text


def queue(kind: str, uid: str, body: dict[str, Any], hop: str) -> None:
    """Put a message (``kind``: request, reply, calendar, decision, ack) in the outbox for the next
    bundle to ``hop``; the same message to the same office is queued once."""
    AssistOutbox.insert(
        message_uid=uid,
        kind=kind,
        next_hop=hop,
        body=json.dumps(body, ensure_ascii=False, sort_keys=True),
        queued_at=now_iso(),
    ).on_conflict_ignore().execute()


class MessageError(OperatorError):
    """A message in a bundle that is not a well-formed request or reply, or that its sender may not
    send (a township sending another office's message). The bundle is refused."""
