"""The one rule for editing a registered manifest: nothing changes but ``evaluations``, which
may only grow at its end. ``check`` (refusing an edit) and history (marking one) both ask it."""

from __future__ import annotations

from typing import Any

WHOLE_FILE = "the whole file"


def edited_fields(old: Any, new: Any) -> list[str]:
    """Top-level fields of a manifest that differ between ``old`` and ``new``, apart from
    evaluations appended at the end; a document that is not a mapping is edited whole."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return [] if old == new else [WHOLE_FILE]
    keys = list(dict.fromkeys([*old, *new]))
    fields = [str(k) for k in keys if k != "evaluations" and old.get(k) != new.get(k)]
    before, after = old.get("evaluations") or [], new.get("evaluations") or []
    if not isinstance(before, list) or not isinstance(after, list) or after[: len(before)] != before:
        fields.append("evaluations")
    return fields


def appended_evaluations(old: Any, new: Any) -> list[Any] | None:
    """The evaluations ``new`` appends to ``old``, or None when anything else was edited."""
    if edited_fields(old, new):
        return None
    assert isinstance(old, dict) and isinstance(new, dict)
    return list((new.get("evaluations") or [])[len(old.get("evaluations") or []) :])
