"""Slack status API v2.0.0: `/current` (an object with `active_incidents`) and `/history`
(a list of incidents). Notes have no id; a note's `date_created` is its key."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..models import COVERAGE_OPEN, COVERAGE_WINDOW, Document, Incident, Update
from .decode import fail, load_json
from .markup import fragment_to_text
from .shape import found_in, names, need_dicts, need_key, present, text, unique, words
from .times import to_utc

FORMAT = "slack"
_EXPECTED = (
    "Slack status API JSON: an object with 'active_incidents' (api/v2.0.0/current) or a list "
    "of incidents (api/v2.0.0/history)"
)


def extract_slack(
    body: bytes, content_type: str | None, options: dict, url: str | None
) -> Document:
    data = load_json(FORMAT, body, content_type, _EXPECTED)
    if isinstance(data, list):
        items, coverage, where = data, COVERAGE_WINDOW, "the incident list"
        page = present()
    elif isinstance(data, dict) and "active_incidents" in data:
        items, coverage, where = data["active_incidents"], COVERAGE_OPEN, "'active_incidents'"
        page = present(status=words(data.get("status")))
    else:
        raise fail(
            FORMAT,
            "no 'active_incidents' list and not a list of incidents: this is not a Slack status "
            f"payload (found {found_in(data)}); expected {_EXPECTED}; check the source URL",
        )
    incidents: dict[str, Incident] = {}
    for position, item in enumerate(need_dicts(FORMAT, items, where)):
        incident = _incident(item, f"{where}[{position}]")
        incidents.setdefault(incident.key, incident)
    return Document(FORMAT, tuple(incidents.values()), coverage, page)


def _incident(item: dict[str, Any], where: str) -> Incident:
    notes = [_note(note) for note in need_dicts(FORMAT, item.get("notes"), f"{where}.notes")]
    keys = unique(note.key for note in notes)
    return Incident(
        key=need_key(FORMAT, item.get("id"), where),
        title=words(item.get("title")),
        status=words(item.get("status")) or None,
        impact=words(item.get("type")) or None,
        url=words(item.get("url")) or None,
        created_at=to_utc(item.get("date_created")),
        components=names(item.get("services")),
        updates=tuple(replace(note, key=key) for note, key in zip(notes, keys, strict=True)),
        # Slack's only sign that a note was rewritten: the incident's date_updated moves.
        meta={"date_updated": to_utc(item.get("date_updated"))},
    )


def _note(item: dict[str, Any]) -> Update:
    created = to_utc(item.get("date_created"))
    return Update(
        key=created or "note",
        posted_at=created,
        fields={"body": fragment_to_text(text(item.get("body")))},
    )
