"""Pair the incidents and updates of two versions of a page, and name what changed.

The events carry no diff, flags or score yet (tracker.edits adds those). Whether a change was
silent, backdated or a revert is decided here, because it depends on the two documents, not on
the wording.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from ..models import (
    COVERAGE_FULL,
    COVERAGE_OPEN,
    COVERAGE_WINDOW,
    Document,
    EditEvent,
    Incident,
    Update,
)
from ..text import normalize
from .wordlists import LIFECYCLES

# Statuspage stamps updated_at a moment after created_at when it publishes; an edit is only
# an edit when updated_at moved further than this.
EDIT_TOLERANCE = timedelta(minutes=2)
# CDN caches and clock skew: an update may show up this much later than its displayed time.
BACKDATE_TOLERANCE = timedelta(minutes=5)
# Two keyless updates with the same time and status are one update rewritten when their words
# are at least this similar.
SIMILARITY = 0.6

EarlierTexts = Mapping[tuple[str, str], Collection[str]]
_Item = TypeVar("_Item", Incident, Update)


def align(
    old: Document | None,
    new: Document,
    *,
    previous_seen_at: str | None = None,
    earlier_texts: EarlierTexts | None = None,
) -> list[EditEvent]:
    """Events between two versions of a page, in the new page's order, removals last.

    Whether an edit is silent is left to tracker.edits.verdict, which reads the word diff.
    """
    seen_at = parse_time(previous_seen_at)
    # Not `or`: the truth of an archive's mapping would count every wording it holds.
    earlier = earlier_texts if earlier_texts is not None else {}
    if old is None:
        # Nothing was observed before, so nothing can have been published behind our back.
        return [e for incident in new.incidents for e in _added(incident, None, earlier)]
    pairs, vanished, _ = _pair(old.incidents, new.incidents, _same_incident)
    before_of = {id(after): before for before, after in pairs}
    oldest_old = _oldest(old.incidents)
    events: list[EditEvent] = []
    for incident in new.incidents:
        before = before_of.get(id(incident))
        if before is not None:
            events += _changed(before, incident, seen_at, earlier)
        elif _slid_in(incident, old, oldest_old):
            events += _added(incident, None, earlier)
        else:
            events += _added(incident, seen_at, earlier)
    events += [_removed_incident(i) for i in vanished if _was_deleted(i, old, new)]
    return events


# -- pairing ---------------------------------------------------------------------------------


def _pair(
    old: Sequence[_Item], new: Sequence[_Item], similar: Callable[[_Item, _Item], float]
) -> tuple[list[tuple[_Item, _Item]], list[_Item], list[_Item]]:
    """Pair by key (repeated keys in order), then pair leftovers that are clearly the same.

    Returns the pairs, the old items left over (vanished) and the new ones (appeared).
    """
    by_key: dict[str, list[tuple[int, _Item]]] = {}
    for position, item in enumerate(old):
        by_key.setdefault(item.key, []).append((position, item))
    pairs: list[tuple[_Item, _Item]] = []
    appeared: list[_Item] = []
    pending: list[_Item] = []
    # Unchanged items first, so a repeated key reordered on the page pairs with its twin.
    for item in new:
        candidates = by_key.get(item.key) or []
        twin = None
        if len(candidates) > 1:
            mark = _fingerprint(item)
            twin = next((n for n, (_, c) in enumerate(candidates) if _fingerprint(c) == mark), None)
        if twin is None:
            pending.append(item)
        else:
            pairs.append((candidates.pop(twin)[1], item))
    for item in pending:
        candidates = by_key.get(item.key) or []
        if candidates:
            pairs.append((candidates.pop(0)[1], item))
        else:
            appeared.append(item)
    vanished = [item for _, item in sorted(p for ps in by_key.values() for p in ps)]
    scored = sorted(
        (
            (score, i, j)
            for i, before in enumerate(vanished)
            for j, after in enumerate(appeared)
            if (score := similar(before, after)) >= SIMILARITY
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    used_old: set[int] = set()
    used_new: set[int] = set()
    for _, i, j in scored:
        if i not in used_old and j not in used_new:
            used_old.add(i)
            used_new.add(j)
            pairs.append((vanished[i], appeared[j]))
    return (
        pairs,
        [item for i, item in enumerate(vanished) if i not in used_old],
        [item for j, item in enumerate(appeared) if j not in used_new],
    )


def _fingerprint(item: Incident | Update) -> str:
    """Content in a canonical form: the order of an incident's updates does not count."""
    data = item.to_dict()
    if "updates" in data:
        data["updates"] = sorted(json.dumps(u, sort_keys=True) for u in data["updates"])
    return json.dumps(data, sort_keys=True)


def _same_update(before: Update, after: Update) -> float:
    """A derived key changed: same displayed time and status, similar words; or a key made of
    the update's time (AWS, Google Cloud) moved with that time, the words unchanged."""
    if before.status != after.status:
        return 0.0
    if before.posted_at != after.posted_at:
        timed = parse_time(before.key) is not None and parse_time(after.key) is not None
        same = bool(before.text) and normalize(before.text) == normalize(after.text)
        return 0.95 if timed and same else 0.0
    return _similarity(before.text, after.text)


def _same_incident(before: Incident, after: Incident) -> float:
    """A derived incident key changed: it kept an update key, or its start time and title, or
    it is keyed "<name>@<date>" (AWS, Apple without ids) and only the date moved."""
    if {u.key for u in before.updates} & {u.key for u in after.updates}:
        return 1.0
    if before.created_at and before.created_at == after.created_at:
        return _similarity(before.title, after.title)
    stem = _dated_stem(before.key)
    similar_title = _similarity(before.title, after.title) >= SIMILARITY
    if stem and stem == _dated_stem(after.key) and similar_title:
        before_text = "\n".join(u.text for u in before.updates)
        return _similarity(before_text, "\n".join(u.text for u in after.updates))
    return 0.0


def _dated_stem(key: str) -> str | None:
    """ "ec2-us-east-1" of "ec2-us-east-1@1650000000": the part of a derived key that is not
    the event's date."""
    stem, at, date = key.rpartition("@")
    return stem if at and stem and date else None


def _similarity(a: str, b: str) -> float:
    words_a, words_b = _words(a), _words(b)
    if not words_a and not words_b:
        return 1.0
    return difflib.SequenceMatcher(None, words_a, words_b, autojunk=False).ratio()


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", normalize(text).lower())


# -- incidents -------------------------------------------------------------------------------


def _added(incident: Incident, seen_at: datetime | None, earlier: EarlierTexts) -> list[EditEvent]:
    events = [
        EditEvent(
            kind="incident_added",
            incident_key=incident.key,
            incident_title=incident.title,
            new=incident.title,
            posted_at=incident.created_at,
        )
    ]
    return events + [_added_update(incident, u, seen_at, earlier) for u in incident.updates]


def _removed_incident(incident: Incident) -> EditEvent:
    return EditEvent(
        kind="incident_removed",
        incident_key=incident.key,
        incident_title=incident.title,
        old=incident.title,
        posted_at=incident.created_at,
    )


def _changed(
    before: Incident, after: Incident, seen_at: datetime | None, earlier: EarlierTexts
) -> list[EditEvent]:
    # A title, impact or status rewritten with no new update to explain it is as quiet as a
    # reworded update: the page gives readers no sign that anything changed.
    events = [
        EditEvent(
            kind="incident_changed",
            incident_key=after.key,
            incident_title=after.title,
            field=name,
            old=old,
            new=new,
            backdated=name in after.times and _moved_earlier(old, new),
            posted_at=after.created_at,
        )
        for name, old, new in _incident_fields(before, after)
        if not (name == "status" and _announced_status(before, after))
    ]
    return events + _update_events(before, after, seen_at, earlier)


def _incident_fields(before: Incident, after: Incident) -> Iterable[tuple[str, str, str]]:
    """What changed, leaving out a field that is only now filled in (a vendor adding a field
    to its format, an end time set when the incident resolves) and lifecycle moves."""
    if before.title and normalize(before.title) != normalize(after.title):
        yield "title", before.title, after.title
    for name in ("impact", "status"):
        old, new = getattr(before, name) or "", getattr(after, name) or ""
        if old and old != new and not (name == "status" and is_lifecycle(old, new)):
            yield name, old, new
    if before.components and sorted(before.components) != sorted(after.components):
        yield "components", ", ".join(before.components), ", ".join(after.components)
    # Times are compared only where both versions state them: one appearing is news (the end
    # of an incident), one disappearing is a reopening.
    for name, new in after.times.items():
        old = before.times.get(name)
        if old and new and _time_changed(old, new):
            yield name, old, new


def _announced_status(before: Incident, after: Incident) -> bool:
    """The incident's new status is the status of an update posted in the same window: the
    page tells its readers (on pages that show no status of their own, the incident's status
    is read off its newest update, so every update changes it)."""
    known = {u.key for u in before.updates}
    target = _status_label(after.status)
    return bool(target) and any(
        _status_label(u.status) == target for u in after.updates if u.key not in known
    )


def is_lifecycle(old: str | None, new: str | None) -> bool:
    """A status moving forward on a lifecycle (investigating → resolved, scheduled →
    in progress, current → archive): the incident going its course, not a rewrite."""
    a, b = _status_label(old), _status_label(new)
    for stages in LIFECYCLES:
        if a in stages and b in stages and stages.index(b) > stages.index(a):
            return True
    return False


def _status_label(value: str | None) -> str:
    return re.sub(r"[\s_-]+", " ", (value or "").strip().lower())


def _moved_earlier(old: str | None, new: str | None) -> bool:
    a, b = parse_time(old), parse_time(new)
    return a is not None and b is not None and b < a


def _oldest(incidents: Iterable[Incident]) -> datetime | None:
    times = [t for t in map(_incident_time, incidents) if t is not None]
    return min(times, default=None)


def _incident_time(incident: Incident) -> datetime | None:
    created = parse_time(incident.created_at)
    if created is not None:
        return created
    posted = [t for t in (parse_time(u.posted_at) for u in incident.updates) if t]
    return min(posted, default=None)


def _was_deleted(incident: Incident, old: Document, new: Document) -> bool:
    """Did the vendor delete it, or did it just leave what the document covers?"""
    if new.coverage == COVERAGE_OPEN:
        return False  # open incidents only: leaving means resolved
    if new.coverage == COVERAGE_FULL:
        return True
    if not new.incidents:
        # A window that suddenly lists nothing says more about the endpoint than the incidents:
        # the version is kept as evidence, but nothing is called deleted on its word alone.
        return False
    # A window of the newest incidents: an old one falls off the end when new ones arrive.
    when, oldest_kept = _incident_time(incident), _oldest(new.incidents)
    if when is not None and oldest_kept is not None:
        return when >= oldest_kept
    # No times: a window lists newest first, so it was inside if anything after it stayed.
    kept = {i.key for i in new.incidents}
    position = next(n for n, i in enumerate(old.incidents) if i is incident)
    return any(i.key in kept for i in old.incidents[position + 1 :])


def _slid_in(incident: Incident, old: Document, oldest_old: datetime | None) -> bool:
    """An old incident re-entering a window after a newer one left: not news, not backdated."""
    if old.coverage != COVERAGE_WINDOW or oldest_old is None:
        return False
    when = _incident_time(incident)
    return when is not None and when < oldest_old


# -- updates ---------------------------------------------------------------------------------


def _update_events(
    before: Incident, after: Incident, seen_at: datetime | None, earlier: EarlierTexts
) -> list[EditEvent]:
    pairs, vanished, _ = _pair(before.updates, after.updates, _same_update)
    before_of = {id(new): old for old, new in pairs}
    events: list[EditEvent] = []
    for update in after.updates:
        old = before_of.get(id(update))
        if old is None:
            events.append(_added_update(after, update, seen_at, earlier))
            continue
        events += _edited(after, old, update, earlier)
    for update in vanished:
        events.append(
            EditEvent(
                kind="update_removed",
                incident_key=after.key,
                incident_title=after.title,
                update_key=update.key,
                old=normalize(update.text),
                posted_at=update.posted_at,
            )
        )
    return events


def _added_update(
    incident: Incident, update: Update, seen_at: datetime | None, earlier: EarlierTexts
) -> EditEvent:
    posted = parse_time(update.posted_at)
    # An update the history already holds (a reopened incident, one back in the window) was
    # published when we first saw it, not now.
    known = (incident.key, update.key) in earlier
    backdated = bool(seen_at and posted and posted < seen_at - BACKDATE_TOLERANCE and not known)
    return EditEvent(
        kind="update_added",
        incident_key=incident.key,
        incident_title=incident.title,
        update_key=update.key,
        new=normalize(update.text),
        backdated=backdated,
        posted_at=update.posted_at,
    )


def _edited(
    incident: Incident,
    old: Update,
    new: Update,
    earlier: EarlierTexts,
) -> list[EditEvent]:
    edit = EditEvent(
        kind="update_edited",
        incident_key=incident.key,
        incident_title=incident.title,
        update_key=new.key,
        posted_at=new.posted_at,
    )

    events = []
    if old.posted_at and _time_changed(old.posted_at, new.posted_at):
        events.append(replace(edit, field="posted_at", old=old.posted_at, new=new.posted_at))
    if old.status and old.status != new.status and not is_lifecycle(old.status, new.status):
        events.append(replace(edit, field="status", old=old.status, new=new.status or ""))
    old_text, new_text = normalize(old.text), normalize(new.text)
    if old_text != new_text:
        history = {
            normalize(text)
            for key in (old.key, new.key)
            for text in earlier.get((incident.key, key), ())
        }
        revert = new_text in history
        events.append(replace(edit, old=old_text, new=new_text, revert=revert))
    return events


def correction_delay(old: Update | None, new: Update) -> timedelta | None:
    """How long after posting the vendor's own stamps say the update was rewritten, when they
    say so: its edit stamp (Statuspage updated_at, Google Cloud modified) moved."""
    edited_at = edit_stamp(new)
    if edited_at is None or old is None or edited_at == edit_stamp(old):
        return None
    published = _published(new)
    if published is None:
        return None
    return edited_at - published


def edit_stamp(update: Update) -> datetime | None:
    return parse_time(update.meta.get("updated_at") or update.meta.get("modified"))


def _published(update: Update) -> datetime | None:
    stamps = [parse_time(update.meta.get(name)) for name in ("created_at", "created", "display_at")]
    known = [s for s in stamps if s is not None]
    return max(known, default=None)


def _time_changed(old: str | None, new: str | None) -> bool:
    a, b = parse_time(old), parse_time(new)
    if a is not None and b is not None:
        return a != b
    return (old or "") != (new or "")


# -- time ------------------------------------------------------------------------------------

_ZONES = {"UTC": 0, "GMT": 0, "Z": 0, "PST": -8, "PDT": -7, "EST": -5, "EDT": -4, "CET": 1}
_US_STAMP = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})(?: ([A-Z]{1,4}))?")


def parse_time(value: str | None) -> datetime | None:
    """An aware datetime from ISO 8601 or Apple's "02/15/2020 01:00 PST"; None if neither."""
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(value.strip())
    except ValueError:
        return _parse_us_stamp(value.strip())
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _parse_us_stamp(value: str) -> datetime | None:
    match = _US_STAMP.fullmatch(value)
    if not match or (match.group(6) or "UTC") not in _ZONES:
        return None
    month, day, year, hour, minute = (int(g) for g in match.groups()[:5])
    try:
        local = datetime(year, month, day, hour, minute, tzinfo=UTC)
    except ValueError:
        return None
    return local - timedelta(hours=_ZONES[match.group(6) or "UTC"])
