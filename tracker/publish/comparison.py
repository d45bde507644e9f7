"""`tracker diff --json`: two versions of a page and the edits between them, as data."""

from __future__ import annotations

import math
from typing import Any

from ..models import EditEvent
from ..text import marked_diff
from .describe import display_diff

VERSION_FIELDS = ("id", "sha256", "first_seen", "last_seen", "origin", "reference", "url")


def comparison_json(comparison: dict[str, Any]) -> dict[str, Any]:
    """The versions compared (ids as `tracker log` shows them) and each event with its diff,
    as ops ([op, text]: -1 deleted, 0 kept, 1 inserted) and as [-marked-]{+text+}."""
    return {
        "source": comparison["source"],
        "old": _version(comparison["old"]),
        "new": _version(comparison["new"]),
        "events": [_event(event) for event in comparison["events"]],
    }


def _version(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row.get(key) for key in VERSION_FIELDS}


def _event(e: EditEvent) -> dict[str, Any]:
    score = float(e.score)
    return {
        "kind": e.kind,
        "incident": e.incident_key,
        "incident_title": e.incident_title,
        "update": e.update_key,
        "field": e.field,
        "silent": e.silent,
        "backdated": e.backdated,
        "revert": e.revert,
        "flags": list(e.flags),
        "reasons": list(e.reasons),
        "verdict": e.verdict,
        "announced_by": e.announced_by,
        "count": e.count,
        "keys": list(e.keys),
        "score": score if math.isfinite(score) else None,
        "posted_at": e.posted_at,
        "old": e.old,
        "new": e.new,
        "diff": [[int(op), text] for op, text in e.diff],
        "diff_text": marked_diff(display_diff(e)),
    }
