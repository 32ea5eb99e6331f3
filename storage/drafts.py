"""Drafts of unfinished household forms (DESIGN.md §10: a dropped connection loses at most the field
being typed). The form writes its whole state, the form plus the line being keyed and where the
cursor goes next, every time a field is left; saving or discarding the form removes the draft, and
the next start offers to continue it. One draft per operator."""

from __future__ import annotations

import json
from typing import Any

from .db import now_iso, write_txn
from .forms import HouseholdInput, form_from_dict, form_to_dict
from .models import Draft

KIND = "household"


def save_draft(operator: str, form: HouseholdInput, state: dict[str, Any]) -> None:
    """Write ``operator``'s draft: the form and the screen ``state`` (editor values, focus …)."""
    data = json.dumps({"form": form_to_dict(form), "state": state}, ensure_ascii=False)
    with write_txn():
        Draft.insert(operator=operator, kind=KIND, data=data, updated_at=now_iso()).on_conflict(
            conflict_target=[Draft.operator, Draft.kind], update={Draft.data: data, Draft.updated_at: now_iso()}
        ).execute()


def load_draft(operator: str) -> tuple[HouseholdInput, dict[str, Any], str] | None:
    """``(form, state, updated_at)`` of ``operator``'s draft, or ``None``. A draft that no longer
    reads (a newer program changed the form) is ignored, not raised."""
    row = Draft.get_or_none((Draft.operator == operator) & (Draft.kind == KIND))
    if row is None:
        return None
    try:
        data = json.loads(row.data)
        return form_from_dict(data["form"]), data.get("state", {}), row.updated_at
    except (ValueError, TypeError, KeyError):
        return None


def clear_draft(operator: str) -> None:
    """Remove ``operator``'s draft (the form was saved or discarded)."""
    with write_txn():
        Draft.delete().where((Draft.operator == operator) & (Draft.kind == KIND)).execute()
