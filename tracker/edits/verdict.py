"""Silent or announced: what a reader of the page could tell about each edit.

An edit is silent unless an update posted in the same observation window tells the reader
about it — it repeats the new wording's distinctive words or numbers, or names the new
severity, impact, status or time — or the vendor's own stamps show it was corrected while being
published. An unrelated update posted at the same time announces nothing, and nobody announces
a deletion. Each event gets a one-line `verdict` saying which, and `announced_by` names the
update that told readers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

from ..models import DELETE, INSERT, Document, EditEvent, Update
from ..text import normalize
from ..times import parse, short
from . import terms
from . import wordlists as words
from .align import EDIT_TOLERANCE, correction_delay
from .classify import INCIDENT_TIMES

# Fields whose value is a time: an update announces the change by giving the new clock time.
TIME_FIELDS = INCIDENT_TIMES | {"posted_at"}
_FIRST_WORDS = 8


@dataclass(frozen=True)
class _Cues:
    """What an update would have to say to tell a reader about one edit."""

    numbers: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()
    phrases: tuple[str, ...] = ()  # labels and severity phrases of the new version
    band: tuple[int, int] | None = None  # severity phrase ranks that name the new label
    statuses: frozenset[str] = frozenset()
    clocks: frozenset[str] = field(default_factory=frozenset)


def judge(
    events: Sequence[EditEvent],
    old: Document | None,
    new: Document,
    *,
    window: tuple[str | None, str | None],
) -> list[EditEvent]:
    """Each event with `silent`, `verdict` and `announced_by` decided."""
    posted: dict[str, list[Update]] = {}
    for event in events:
        if event.kind == "update_added" and event.update_key is not None:
            update = _update(new, event.incident_key, event.update_key)
            if update is not None:
                posted.setdefault(event.incident_key, []).append(update)
    return [
        _judged(event, posted.get(event.incident_key, []), old, new, window) for event in events
    ]


def _judged(
    event: EditEvent,
    posted: Sequence[Update],
    old: Document | None,
    new: Document,
    window: tuple[str | None, str | None],
) -> EditEvent:
    between = _between(*window)
    if event.kind == "update_added":
        if event.backdated:
            shown = short(event.posted_at)
            verdict = f"displayed as posted {shown}, before the page was last seen {_at(window[0])}"
        else:
            verdict = "a new update, posted " + between
        return replace(event, silent=False, verdict=verdict)
    if event.kind == "incident_added":
        return replace(event, silent=False, verdict="a new incident, first seen " + between)
    if event.kind in ("update_removed", "incident_removed"):
        what = "update" if event.kind == "update_removed" else "incident"
        verdict = f"the {what} was deleted {between}; the page gives readers no sign of it"
        return replace(event, silent=True, verdict=verdict)
    if event.kind == "update_edited" and event.update_key is not None:
        after = _update(new, event.incident_key, event.update_key)
        before = _update(old, event.incident_key, event.update_key) if old else None
        delay = correction_delay(before, after) if after is not None else None
        if delay is not None and timedelta(0) <= delay <= EDIT_TOLERANCE:
            verdict = (
                f"corrected {_duration(delay)} after posting, by the vendor's own stamps: "
                "part of publishing it"
            )
            return replace(event, silent=False, verdict=verdict)
    cues = _cues(event)
    for update in posted:
        told = _mentions(update, cues)
        if told:
            name = announcer(update)
            verdict = f"announced by update {name}, which {told}"
            return replace(event, silent=False, announced_by=name, verdict=verdict)
    if not posted:
        return replace(event, silent=True, verdict=f"no update was posted {between}")
    example = _first_words(posted[0].text)
    count = f"{len(posted)} posted" if len(posted) > 1 else "1 posted"
    verdict = f'no update posted {between} mentions it ({count}: "{example}")'
    return replace(event, silent=True, verdict=verdict)


def announcer(update: Update) -> str:
    """How an announcing update is named: its key and first words."""
    return f'{update.key}: "{_first_words(update.text)}"'


# -- what an announcement would say ------------------------------------------------------------


def _cues(event: EditEvent) -> _Cues:
    name = event.field or ""
    if name in TIME_FIELDS:
        return _Cues(clocks=frozenset(_clocks(event.new)))
    if name in ("impact", "status"):
        label = _label(event.new)
        return _Cues(
            phrases=(label,) if label else (),
            band=words.LABEL_PHRASE_BANDS.get(label),
            statuses=frozenset({label}) if name == "status" and label else frozenset(),
        )
    if name == "components":
        before = {c.strip() for c in (event.old or "").split(", ") if c.strip()}
        after = {c.strip() for c in (event.new or "").split(", ") if c.strip()}
        return _Cues(words=frozenset(_distinctive(" ".join(before ^ after), set())))
    return _wording_cues(event)


def _wording_cues(event: EditEvent) -> _Cues:
    inserted = " ".join(text for op, text in event.diff if op == INSERT)
    deleted = " ".join(text for op, text in event.diff if op == DELETE)
    if not event.diff:
        inserted, deleted = event.new or "", event.old or ""
    old_words = {terms.plain(w) for w in terms.words_of(event.old or "")}
    new_words = {terms.plain(w) for w in terms.words_of(event.new or "")}
    fresh = _distinctive(inserted, old_words)
    if not fresh:
        # Only words taken out: an update telling readers names what went.
        fresh = _distinctive(deleted, new_words)
    numbers = frozenset(w for w in fresh if any(c.isdigit() for c in w))
    phrases = tuple(terms.severity(inserted, 0, len(inserted)))
    return _Cues(numbers=numbers, words=frozenset(fresh - numbers), phrases=phrases)


def _distinctive(text: str, known: set[str]) -> set[str]:
    found = set()
    for word in terms.words_of(text):
        plain = terms.plain(word)
        if plain in known or plain in words.COMMON_WORDS:
            continue
        if any(c.isdigit() for c in plain) or len(plain) >= 3:
            found.add(plain)
    return found


def _mentions(update: Update, cues: _Cues) -> str | None:
    """How `update` tells a reader about the edit, in a few words; None when it does not."""
    text = normalize(update.text)
    said = {terms.plain(w) for w in terms.words_of(text)}
    numbers = sorted(cues.numbers & said)
    if numbers:
        return "repeats " + _listing(numbers)
    repeated = sorted(cues.words & said)
    if repeated and len(repeated) >= min(2, len(cues.words)):
        return "repeats " + _listing(repeated)
    if cues.statuses and _label(update.status) in cues.statuses:
        return f'has the new status "{update.status}"'
    lowered = re.sub(r"[\s_-]+", " ", text.lower())
    for phrase in cues.phrases:
        if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", lowered):
            return f'says "{phrase}"'
    if cues.band is not None:
        stated = [p for p in terms.severity(text, 0, len(text)) if p not in words.VAGUE_SEVERITY]
        worst = max(stated, key=lambda p: words.SEVERITY_PHRASES.get(p, -1), default=None)
        low, high = cues.band
        if worst is not None and low <= words.SEVERITY_PHRASES.get(worst, -1) <= high:
            return f'says "{worst}"'
    clocks = sorted(c for c in cues.clocks if re.search(rf"(?<![\d:]){re.escape(c)}(?!\d)", text))
    if clocks:
        return "gives the new time " + _listing(clocks)
    return None


def _clocks(value: str | None) -> list[str]:
    """How a page might print a time: "14:05", and "2:05" on a 12-hour clock."""
    moment = parse(value)
    if moment is None:
        return []
    twelve = f"{(moment.hour % 12) or 12}:{moment.minute:02d}"
    return sorted({f"{moment.hour:02d}:{moment.minute:02d}", twelve})


def _label(value: str | None) -> str:
    return re.sub(r"[\s_-]+", " ", (value or "").strip().lower())


def _listing(items: Iterable[str]) -> str:
    chosen = list(items)[:3]
    return ", ".join(f'"{item}"' for item in chosen)


# -- wording of the verdict --------------------------------------------------------------------


def _update(document: Document, incident_key: str, update_key: str) -> Update | None:
    incident = document.incident(incident_key)
    if incident is None:
        return None
    return next((u for u in incident.updates if u.key == update_key), None)


def _between(start: str | None, end: str | None) -> str:
    a, b = parse(start), parse(end)
    if a is not None and b is not None:
        if a.date() == b.date():
            day = b.strftime("%d %b %Y").lstrip("0")
            clock = "%H:%M" if f"{a:%H:%M}" != f"{b:%H:%M}" else "%H:%M:%S"
            return f"between {a.strftime(clock)} and {b.strftime(clock)} UTC on {day}"
        return f"between {short(start)} and {short(end)}"
    if a is not None:
        return f"since {short(start)}"
    return "in this version"


def _at(value: str | None) -> str:
    return f"at {short(value)}" if value else "before"


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min"


def _first_words(text: str) -> str:
    parts = normalize(text).split()
    head = " ".join(parts[:_FIRST_WORDS])
    return head + ("…" if len(parts) > _FIRST_WORDS else "")
