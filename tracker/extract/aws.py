"""AWS Service Health Dashboard `data.json` (served until 2023): `current` and `archive` events.

An event's `description` is HTML holding every update, oldest first, each a
`<div><span class="yellowfg"> 8:39 AM PDT</span>&nbsp;text</div>`; only the clock is printed,
the day comes from the event's `date` (epoch seconds of its first update).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..models import COVERAGE_WINDOW, Document, Incident, Update
from . import dom
from .decode import fail, load_json
from .markup import fragment_to_text, node_text, parse_markup
from .shape import found_in, need_dicts, need_key, text, unique, words
from .times import clock_to_utc, format_utc, is_clock, parse_moment

FORMAT = "aws"
_EXPECTED = "AWS data.json: an object with 'current' and 'archive' lists"
_IMPACT = {"0": "operational", "1": "informational", "2": "degraded", "3": "disruption"}


def extract_aws(body: bytes, content_type: str | None, options: dict, url: str | None) -> Document:
    data = load_json(FORMAT, body, content_type, _EXPECTED)
    if not isinstance(data, dict) or not {"current", "archive"} & data.keys():
        raise fail(
            FORMAT,
            "no 'current' or 'archive' list: this is not an AWS data.json payload (found "
            f"{found_in(data)}); expected {_EXPECTED}; check the source URL",
        )
    incidents: dict[str, Incident] = {}
    for listing in ("current", "archive"):
        for position, item in enumerate(need_dicts(FORMAT, data.get(listing), f"'{listing}'")):
            incident = _incident(item, listing, f"'{listing}'[{position}]")
            # An event moving from current to archive keeps its key: it is the same event.
            incidents.setdefault(incident.key, incident)
    return Document(FORMAT, tuple(incidents.values()), COVERAGE_WINDOW, {})


def _incident(item: dict[str, Any], listing: str, where: str) -> Incident:
    service = words(item.get("service"))
    date = need_key(FORMAT, item.get("date"), f"{where}.date")
    started = parse_moment(date)
    updates = _updates(text(item.get("description")) or "", started)
    status_code = words(item.get("status"))
    details = fragment_to_text(text(item.get("details")))
    return Incident(
        key=f"{service or words(item.get('service_name'))}@{date}",
        title=words(item.get("summary")),
        status=listing,
        impact=_IMPACT.get(status_code, status_code or None),
        created_at=format_utc(started) if started else None,
        components=(words(item.get("service_name")),) if item.get("service_name") else (),
        updates=updates,
        meta={"service": service or None} | ({"details": details} if details else {}),
        times={"date": stamp} if started and (stamp := format_utc(started)) else {},
    )


def _updates(description: str, started: datetime | None) -> tuple[Update, ...]:
    root = parse_markup(FORMAT, description)
    outer = dom.holders(root, frozenset({"div"}))
    blocks = [div for div in dom.find_all(root, "div") if div.mem_id not in outer]
    found: list[tuple[str, str | None, str]] = []  # (displayed, posted, body)
    previous = started
    for block in blocks or [root]:
        span = dom.first(block, "span")
        displayed = node_text(span) if span and is_clock(node_text(span)) else ""
        skip = {span.mem_id} if span and displayed else set()
        moment = None
        if previous is not None and displayed:
            moment = clock_to_utc(displayed, previous, follows=previous is not started)
        previous = moment or previous
        found.append((displayed, format_utc(moment) if moment else None, node_text(block, skip)))
    keys = unique(
        (posted or shown or f"update[{n + 1}]" for n, (shown, posted, _) in enumerate(found)),
        newest_first=False,
    )
    return tuple(
        Update(key=key, posted_at=posted, fields={"body": body}, meta={"displayed": shown or None})
        for key, (shown, posted, body) in zip(keys, found, strict=True)
        if body or shown
    )
