"""One change seen on many items at once is one event.

A vendor re-rendering its page, re-stamping a feed or rewriting one paragraph that several
updates share changes many items in one version in the same way. Listed item by item, that is
a flood that hides the edits a reader cares about. Here it becomes one `bulk_changed` event
(the field, how many, one example, every key), ranked last and never silent; identical
rewrites of a few updates become one event with a count.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import replace

from ..models import EQUAL, Document, EditEvent
from .align import parse_time
from .verdict import TIME_FIELDS

# At least this many items changed the same way, or at least half of them and this many.
BULK_MIN = 5
BULK_HALF_MIN = 3
BULK_SCORE = 0.05
_GROUPED = ("update_edited", "incident_changed")


def group(events: Sequence[EditEvent], new: Document) -> list[EditEvent]:
    """Events with bulk changes folded into one `bulk_changed` each, and identical rewrites
    of several updates into one event with a count; otherwise in the same order."""
    totals = {
        "update": sum(len(incident.updates) for incident in new.incidents),
        "incident": len(new.incidents),
    }
    members: dict[Hashable, list[int]] = {}
    for index, event in enumerate(events):
        for signature in _signatures(event):
            members.setdefault(signature, []).append(index)
    taken: dict[int, Hashable] = {}
    # The largest groups first: an event belongs to the biggest change it is part of.
    for signature, indexes in sorted(members.items(), key=lambda item: -len(item[1])):
        free = [i for i in indexes if i not in taken]
        if not free:
            continue
        level = "update" if events[free[0]].kind == "update_edited" else "incident"
        if _is_bulk(len(free), totals[level]):
            taken.update(dict.fromkeys(free, signature))
    out: list[EditEvent] = []
    done: set[Hashable] = set()
    for index, event in enumerate(events):
        signature = taken.get(index)
        if signature is None:
            out.append(event)
        elif signature not in done:
            done.add(signature)
            same = [events[i] for i, s in taken.items() if s == signature]
            out.append(_bulk(same))
    return _collapse_identical(out)


def _is_bulk(count: int, total: int) -> bool:
    return count >= BULK_MIN or (count >= BULK_HALF_MIN and count * 2 >= total)


def _signatures(event: EditEvent) -> list[Hashable]:
    """What "the same change" means for this event: the same words put in and taken out; the
    same label change; a time moved by the same amount or set to the same value."""
    if event.kind not in _GROUPED:
        return []
    name = event.field or "wording"
    if name in TIME_FIELDS:
        old, new = parse_time(event.old), parse_time(event.new)
        found: list[Hashable] = [(event.kind, name, "to", event.new)]
        if old is not None and new is not None:
            found.append((event.kind, name, "by", (new - old).total_seconds()))
        return found
    if event.diff and name in ("wording", "title"):
        changed = tuple((op, text) for op, text in event.diff if op != EQUAL)
        return [(event.kind, name, "diff", changed)]
    return [(event.kind, name, "from", event.old, event.new)]


def _key(event: EditEvent) -> str:
    return f"{event.incident_key}/{event.update_key}" if event.update_key else event.incident_key


def _bulk(same: Sequence[EditEvent]) -> EditEvent:
    example = same[0]
    item = "update" if example.kind == "update_edited" else "incident"
    what = example.field or "wording"
    verdict = (
        f"the same {what} change on {len(same)} {item}s in one version (a re-render, a "
        f"re-stamp or one shared paragraph): not a silent edit of one {item}"
    )
    return replace(
        example,
        kind="bulk_changed",
        field=what,
        silent=False,
        backdated=False,
        revert=False,
        announced_by=None,
        verdict=verdict,
        count=len(same),
        keys=tuple(_key(e) for e in same),
        score=BULK_SCORE,
    )


def _collapse_identical(events: Sequence[EditEvent]) -> list[EditEvent]:
    """Several updates rewritten from the same words to the same words: one event."""
    by_text: dict[tuple[str, str], list[int]] = {}
    for index, event in enumerate(events):
        if event.kind == "update_edited" and not event.field:
            by_text.setdefault((event.old or "", event.new or ""), []).append(index)
    first_of: dict[int, list[int]] = {}
    for indexes in by_text.values():
        if len(indexes) > 1:
            first_of[indexes[0]] = indexes
    skip = {i for indexes in first_of.values() for i in indexes[1:]}
    out = []
    for index, event in enumerate(events):
        if index in skip:
            continue
        same = first_of.get(index)
        if same:
            event = replace(
                event,
                count=len(same),
                keys=tuple(_key(events[i]) for i in same),
                verdict=event.verdict + f" (the same rewrite on {len(same)} updates)",
            )
        out.append(event)
    return out
