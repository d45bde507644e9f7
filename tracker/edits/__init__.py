"""Edit detection: align two versions, word-diff what changed, classify each change."""

from __future__ import annotations

from dataclasses import replace

from ..models import DiffOps, Document, EditEvent
from .align import EarlierTexts, align
from .classify import classify
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
) -> list[EditEvent]:
    """Complete edit events (diff, flags, reasons, score) between two versions of a page.

    `previous_seen_at` is when the old version was last observed; `earlier_texts` maps
    (incident key, update key) to every wording that update has had, from the stored history.
    """
    events = align(old, new, previous_seen_at=previous_seen_at, earlier_texts=earlier_texts)
    return [_complete(event) for event in events]


def _complete(event: EditEvent) -> EditEvent:
    diff: DiffOps = ()
    if event.kind in _DIFFED:
        diff = word_diff(event.old or "", event.new or "")
    found = classify(event, diff)
    return replace(event, diff=diff, flags=found.flags, reasons=found.reasons, score=found.score)
