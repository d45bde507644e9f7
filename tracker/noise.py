"""Learned noise: what differed between two fetches of one page taken seconds apart.

When a page's document changes, it is fetched once more a moment later (the second look). A
value that differs between the two only by digits or tokens is volatile — a visitor counter,
the node that served the page, a request token — and is learned for that source as a
*signature*: where it sits (`update text`, `incident title`, a page field, a whole `update`)
and its wording with digits and tokens masked (`Served by edge node # · # visitors today`).
Every later document of the source has the values matching a signature masked the same way
before it is compared, so the counter never makes a version again, while a rewritten wording
next to it, or in it, still does (its masked form no longer matches).

Plain functions over Documents; the archive keeps the signatures (table `noise`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from .models import Document, Incident, Update

# Runs of letters and digits mixed, 8 or more long (session ids, hashes, request tokens) are
# masked whole; then every run of digits (a date stays a date: `#-#-#T#:#:#Z`).
_TOKEN = re.compile(r"\b(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]{8,}\b")
# A number with its thousands or decimal separators is one: 999 and 1,000 mask alike.
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[^\W\d_]{3,}")
TOKEN_MASK, DIGIT_MASK = "*", "#"
_INCIDENT_FIELDS = ("title", "status", "impact", "url", "created_at", "resolved_at")
_UPDATE_FIELDS = ("posted_at", "status")
# Where a whole item that only one of the two looks showed is learned.
WHOLE_UPDATE, WHOLE_INCIDENT = "update", "incident"


@dataclass(frozen=True)
class Signature:
    """One volatile value: where it sits on the page and its masked wording."""

    place: str
    pattern: str


def mask(value: str) -> str:
    """The value with tokens and digits masked: the same for every request of a counter."""
    return _DIGITS.sub(DIGIT_MASK, _TOKEN.sub(TOKEN_MASK, value))


def learn(first: Document, second: Document) -> set[Signature]:
    """What differs between two looks at the same page only by digits and tokens.

    A value whose wording differs between the two looks (a real edit landing between them, a
    rotating text) is not learned: it has no stable signature, and it is not noise to mask.
    An item shown by only one look is learned when the other shows one of the same masked
    wording under another key (a key made of the item's own times or counters). A value with
    hardly a word left once masked (a time, a bare number) is learned for its item only: its
    pattern would match every time and number on the page.
    """
    found: set[Signature] = set()
    for place, scope, a, b in _differences(first, second):
        if a and b and a != b and mask(a) == mask(b):
            pattern = mask(a)
            where = place if _wordy(pattern) or not scope else f"{place} @ {scope}"
            found.add(Signature(where, pattern))
    return found


def apply(document: Document, signatures: Iterable[Signature]) -> Document:
    """The document with every value matching a signature masked (unchanged when none do)."""
    by_place: dict[str, set[str]] = {}
    for signature in signatures:
        by_place.setdefault(signature.place, set()).add(signature.pattern)
    if not by_place:
        return document
    look = _Lookup(by_place)
    page = look.masked_map(document.page, "page", "")
    incidents = tuple(look.incident(i) for i in document.incidents)
    if page is document.page and all(
        a is b for a, b in zip(incidents, document.incidents, strict=True)
    ):
        return document
    return replace(document, page=page, incidents=incidents)


def _wordy(pattern: str) -> bool:
    return len(_WORD.findall(pattern)) >= 2


# -- what differs ------------------------------------------------------------------------------

_Difference = tuple[str, str, str | None, str | None]  # place, scope (item keys), a, b


def _differences(first: Document, second: Document) -> Iterator[_Difference]:
    yield from _map_differences("page", "", first.page, second.page)
    old = {i.key: i for i in first.incidents}
    new = {i.key: i for i in second.incidents}
    yield from _unpaired(WHOLE_INCIDENT, old, new, _incident_text)
    for key in old.keys() & new.keys():
        a, b = old[key], new[key]
        for name in _INCIDENT_FIELDS:
            yield f"incident {name}", key, getattr(a, name), getattr(b, name)
        yield from _map_differences("incident", key, a.meta, b.meta)
        yield from _map_differences("incident", key, a.times, b.times)
        yield from _update_differences(key, a.updates, b.updates)


def _update_differences(
    incident: str, first: Iterable[Update], second: Iterable[Update]
) -> Iterator[_Difference]:
    old = {u.key: u for u in first}
    new = {u.key: u for u in second}
    yield from _unpaired(WHOLE_UPDATE, old, new, _update_text)
    for key in old.keys() & new.keys():
        a, b = old[key], new[key]
        scope = f"{incident} / {key}"
        for name in _UPDATE_FIELDS:
            yield f"update {name}", scope, getattr(a, name), getattr(b, name)
        yield from _map_differences("update", scope, a.fields, b.fields)
        yield from _map_differences("update", scope, a.meta, b.meta)


def _unpaired(
    place: str, old: Mapping[str, Any], new: Mapping[str, Any], text: Callable[[Any], str | None]
) -> Iterator[_Difference]:
    """Items only one look shows, paired across the looks by their masked wording."""
    gone = {mask(text(old[k]) or ""): text(old[k]) for k in old.keys() - new.keys()}
    for key in new.keys() - old.keys():
        value = text(new[key])
        match = gone.get(mask(value or ""))
        if match is not None:
            yield place, "", match, value


def _map_differences(
    prefix: str, scope: str, a: Mapping[str, str | None], b: Mapping[str, str | None]
) -> Iterator[_Difference]:
    for name in a.keys() | b.keys():
        yield f"{prefix} {name}", scope, a.get(name), b.get(name)


def _update_text(update: Update | None) -> str | None:
    return update.text if update is not None else None


def _incident_text(incident: Incident | None) -> str | None:
    if incident is None:
        return None
    return "\n".join([incident.title, *(u.text for u in incident.updates)])


# -- masking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Lookup:
    by_place: Mapping[str, set[str]]

    def masked(self, value: str | None, place: str, scope: str) -> str | None:
        if not value:
            return value
        patterns = self.by_place.get(place, set()) | self.by_place.get(f"{place} @ {scope}", set())
        if patterns and (masked := mask(value)) in patterns:
            return masked
        return value

    def masked_map(
        self, values: Mapping[str, str | None], prefix: str, scope: str
    ) -> Mapping[str, str | None]:
        out = {name: self.masked(v, f"{prefix} {name}", scope) for name, v in values.items()}
        return values if out == dict(values) else out

    def incident(self, incident: Incident) -> Incident:
        whole = self.by_place.get(WHOLE_INCIDENT)
        if whole and mask(_incident_text(incident) or "") in whole:
            return _masked_whole_incident(incident)
        key = incident.key
        changes: dict[str, Any] = {}
        for name in _INCIDENT_FIELDS:
            value = getattr(incident, name)
            if (masked := self.masked(value, f"incident {name}", key)) != value:
                changes[name] = masked
        meta = self.masked_map(incident.meta, "incident", key)
        times = self.masked_map(incident.times, "incident", key)
        updates = tuple(self.update(key, u) for u in incident.updates)
        if meta is not incident.meta:
            changes["meta"] = meta
        if times is not incident.times:
            changes["times"] = times
        if any(a is not b for a, b in zip(updates, incident.updates, strict=True)):
            changes["updates"] = updates
        return replace(incident, **changes) if changes else incident

    def update(self, incident: str, update: Update) -> Update:
        whole = self.by_place.get(WHOLE_UPDATE)
        if whole and mask(update.text) in whole:
            return _masked_whole_update(update)
        scope = f"{incident} / {update.key}"
        changes: dict[str, Any] = {}
        for name in _UPDATE_FIELDS:
            value = getattr(update, name)
            if (masked := self.masked(value, f"update {name}", scope)) != value:
                changes[name] = masked
        fields = self.masked_map(update.fields, "update", scope)
        meta = self.masked_map(update.meta, "update", scope)
        if fields is not update.fields:
            changes["fields"] = fields
        if meta is not update.meta:
            changes["meta"] = meta
        return replace(update, **changes) if changes else update


def _masked_whole_update(update: Update) -> Update:
    """An item that comes and goes between requests: its key (which may be made of its own
    words or times) and every value masked, so each appearance is the same item."""
    fields = {name: mask(value) for name, value in update.fields.items()}
    return Update(
        key=_masked_key(update.text),
        posted_at=mask(update.posted_at) if update.posted_at else None,
        status=update.status,
        fields=fields,
    )


def _masked_whole_incident(incident: Incident) -> Incident:
    text = _incident_text(incident) or ""
    return Incident(
        key=_masked_key(text),
        title=mask(incident.title),
        status=incident.status,
        impact=incident.impact,
        updates=tuple(_masked_whole_update(u) for u in incident.updates),
    )


def _masked_key(text: str) -> str:
    return "noise:" + hashlib.sha256(mask(text).encode("utf-8")).hexdigest()[:12]
