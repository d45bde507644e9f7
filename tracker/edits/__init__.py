"""Edit detection: align two versions, word-diff what changed, classify each change."""

from __future__ import annotations

from dataclasses import replace

from ..models import DiffOps, Document, EditEvent
from .align import EarlierTexts, align
from .bulk import group
from .classify import classify
from .verdict import judge
from .worddiff import word_diff

# Events whose old/new strings are wording or labels worth showing as a word diff. An added
# or removed incident carries only its title, which the report shows as it is.
_DIFFED = {"update_edited", "update_added", "update_removed", "incident_changed"}


def detect(
    old: Document | None,
    new: Document,
    *,
    previous_seen_at: str | None = None,
    earlier_texts: EarlierTexts | None = None,
    seen_at: str | None = None,
) -> list[EditEvent]:
    """Complete edit events (diff, verdict, flags, reasons, score) between two versions.

    `previous_seen_at` is when the old version was last observed and `seen_at` when the new one
    was first (the observation window the verdicts speak of); `earlier_texts` maps (incident
    key, update key) to every wording that update has had, from the stored history.
    """
    events = align(old, new, previous_seen_at=previous_seen_at, earlier_texts=earlier_texts)
    diffed = [replace(event, diff=_diff(event)) for event in events]
    judged = judge(diffed, old, new, window=(previous_seen_at, seen_at))
    return group([_classified(event) for event in judged], new)


def _diff(event: EditEvent) -> DiffOps:
    if event.kind in _DIFFED:
        return word_diff(event.old or "", event.new or "")
    return ()


def _classified(event: EditEvent) -> EditEvent:
    found = classify(event, event.diff)
    return replace(event, flags=found.flags, reasons=found.reasons, score=found.score)
