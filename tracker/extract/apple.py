"""Apple System Status: `system_status_en_US.js` (JSONP `jsonCallback({...});`) or plain JSON.

The consumer and developer pages share one schema: services, each with events. An event is
an incident with a single update whose wording is `message` and `usersAffected` — the field
Apple rewrote in July 2013 from "30 percent of users" to "some users".
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..models import COVERAGE_WINDOW, Document, Incident, Update
from .decode import fail, load_json
from .markup import fragment_to_text
from .shape import found_in, names, need_dicts, present, text, words
from .times import to_utc

FORMAT = "apple"
_EXPECTED = "Apple system status JSON (or JSONP) with a 'services' list"


def extract_apple(
    body: bytes, content_type: str | None, options: dict, url: str | None
) -> Document:
    data = load_json(FORMAT, body, content_type, _EXPECTED)
    if not isinstance(data, dict) or not isinstance(data.get("services"), list):
        raise fail(
            FORMAT,
            "no 'services' list: this is not an Apple system status payload (found "
            f"{found_in(data)}); expected {_EXPECTED}; check the source URL",
        )
    incidents: dict[str, Incident] = {}
    for position, service in enumerate(need_dicts(FORMAT, data["services"], "'services'")):
        name = words(service.get("serviceName"))
        where = f"'services'[{position}].events"
        for event in need_dicts(FORMAT, service.get("events"), where):
            incident = _incident(name, service, event)
            previous = incidents.get(incident.key)
            # An event affecting several services is listed under each of them.
            incidents[incident.key] = _merge(previous, incident) if previous else incident
    notice = fragment_to_text(text(data.get("drMessage"))) if data.get("drpost") else ""
    return Document(FORMAT, tuple(incidents.values()), COVERAGE_WINDOW, present(notice=notice))


def _incident(service_name: str, service: dict[str, Any], event: dict[str, Any]) -> Incident:
    message_id = words(event.get("messageId"))
    start = words(event.get("startDate"))
    key = message_id or f"{service_name}@{to_utc(event.get('epochStartDate')) or start}"
    status = words(event.get("eventStatus")) or None
    posted = to_utc(event.get("datePosted")) or to_utc(event.get("epochStartDate"))
    update = Update(
        key=message_id or "event",
        posted_at=posted or to_utc(start),
        status=status,
        fields={
            "message": fragment_to_text(text(event.get("message"))),
            "usersAffected": fragment_to_text(text(event.get("usersAffected"))),
        },
        meta={"date_posted": words(event.get("datePosted")) or None},
    )
    started = to_utc(event.get("epochStartDate")) or to_utc(start)
    ended = to_utc(event.get("epochEndDate")) or to_utc(event.get("endDate"))
    times = {name: stamp for name, stamp in (("startDate", started), ("endDate", ended)) if stamp}
    return Incident(
        key=key,
        title=service_name,
        status=status,
        impact=words(event.get("statusType")) or None,
        url=words(service.get("redirectUrl")) or None,
        created_at=started,
        resolved_at=ended,
        components=_components(service_name, event.get("affectedServices")),
        updates=(update,),
        times=times,
    )


def _components(service_name: str, affected: Any) -> tuple[str, ...]:
    listed = names(affected) if isinstance(affected, list) else ()
    return tuple(dict.fromkeys(((service_name,) if service_name else ()) + listed))


def _merge(first: Incident, again: Incident) -> Incident:
    return replace(first, components=tuple(dict.fromkeys(first.components + again.components)))
