"""Atlassian Statuspage, and pages speaking its API (incident.io): JSON, HTML pages and feeds.

The JSON API (`/api/v2/incidents.json`, `summary.json`, `incidents/unresolved.json`, a single
`incidents/<id>.json`) carries vendor ids and the metadata that tells a silent edit apart:
each update's `created_at`, `display_at` and `updated_at`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlparse

from ..models import COVERAGE_FULL, COVERAGE_OPEN, COVERAGE_WINDOW, Document, Incident, Update
from .decode import fail, load_json, sniff
from .markup import fragment_to_text
from .shape import (
    found_in,
    kind,
    names,
    need_dict,
    need_dicts,
    need_key,
    present,
    read_once,
    text,
    unique,
    words,
)
from .statuspage_markup import FORMAT, from_feed, from_page
from .times import to_utc

_EXPECTED = (
    "a Statuspage JSON object with 'incidents' (api/v2/incidents.json, summary.json, "
    "incidents/unresolved.json) or 'incident' (api/v2/incidents/<id>.json)"
)
# Endpoints that list only what is open now: an incident leaving them was resolved.
_OPEN_ENDPOINTS = ("unresolved", "/active", "/upcoming")
_INCIDENT_META = ("monitoring_at",)
# The times a reader is told: when it started and ended, a maintenance's window.
_INCIDENT_TIMES = ("started_at", "resolved_at", "scheduled_for", "scheduled_until")


def extract_statuspage(
    body: bytes, content_type: str | None, options: dict, url: str | None
) -> Document:
    sniffed = sniff(body)
    if sniffed in ("json", "jsonp") or _declares_json(content_type, url):
        return from_json(body, content_type, url)
    if sniffed in ("feed", "xml"):
        return from_feed(body)
    return from_page(body, content_type, url)


def from_json(body: bytes, content_type: str | None, url: str | None) -> Document:
    data = load_json(FORMAT, body, content_type, _EXPECTED)
    if not isinstance(data, dict):
        raise fail(FORMAT, f"expected {_EXPECTED}, found {kind(data)}; check the source URL")
    page = _page(data)
    page_url = page.get("url")
    if "incident" in data:
        incident = need_dict(FORMAT, data["incident"], "'incident'")
        return Document(FORMAT, (_incident(incident, page_url, "'incident'"),), COVERAGE_FULL, page)
    if "incident_updates" in data:  # a bare incident object
        return Document(FORMAT, (_incident(data, page_url, "the incident"),), COVERAGE_FULL, page)
    lists = [key for key in ("incidents", "scheduled_maintenances") if key in data]
    if not lists and not _is_summary(data):
        # A health check ({"status": "ok"}) or an error object where the page was: storing it
        # would read as every incident removed, then every incident added again.
        raise fail(
            FORMAT,
            "no 'incidents' or 'components' list: this is not a Statuspage payload (found "
            f"{found_in(data)}); expected {_EXPECTED}; check the source URL",
        )
    incidents = [
        read_once(
            FORMAT,
            item,
            (page_url or "",),
            lambda: _incident(item, page_url, f"'{key}'[{position}]"),  # noqa: B023 - called now
        )
        for key in lists
        for position, item in enumerate(need_dicts(FORMAT, data[key], f"'{key}'"))
    ]
    return Document(FORMAT, _unique_incidents(incidents), _coverage(data, url), page)


def _is_summary(data: dict[str, Any]) -> bool:
    """summary.json / status.json: a components list, or the page's status object."""
    status = data.get("status")
    return isinstance(data.get("components"), list) or (
        isinstance(status, dict) and bool({"indicator", "description"} & status.keys())
    )


def _coverage(data: dict[str, Any], url: str | None) -> str:
    path = urlparse(url or "").path.lower()
    if any(marker in path for marker in _OPEN_ENDPOINTS):
        return COVERAGE_OPEN
    # summary.json: what is open now, beside the components and the overall status.
    if "status" in data or "components" in data:
        return COVERAGE_OPEN
    return COVERAGE_WINDOW


def _page(data: dict[str, Any]) -> dict[str, str | None]:
    """The page's name, address and overall status; never its `updated_at`, which moves on
    every component change and would make an unchanged incident list a new version."""
    page, status = data.get("page"), data.get("status")
    page = page if isinstance(page, dict) else {}
    status = status if isinstance(status, dict) else {}
    return present(
        name=words(page.get("name")),
        url=words(page.get("url")),
        status=words(status.get("description")),
        indicator=words(status.get("indicator")),
    )


def _incident(item: dict[str, Any], page_url: str | None, where: str) -> Incident:
    key = need_key(FORMAT, item.get("id"), where)
    raw_updates = need_dicts(FORMAT, item.get("incident_updates"), f"{where}.incident_updates")
    updates = [
        _update(update, f"{where}.incident_updates[{position}]")
        for position, update in enumerate(raw_updates)
    ]
    postmortem = _postmortem(item)
    if postmortem:
        updates.insert(0, postmortem)
    keys = unique(update.key for update in updates)
    shortlink = words(item.get("shortlink")) or None
    meta = {name: to_utc(item.get(name)) for name in _INCIDENT_META if item.get(name)}
    if shortlink:
        meta["shortlink"] = shortlink
    times = {name: stamp for name in _INCIDENT_TIMES if (stamp := to_utc(item.get(name)))}
    return Incident(
        key=key,
        title=words(item.get("name")),
        status=words(item.get("status")) or None,
        impact=words(item.get("impact")) or None,
        url=_incident_url(page_url, key) or shortlink,
        created_at=to_utc(item.get("created_at")),
        resolved_at=to_utc(item.get("resolved_at")),
        components=names(item.get("components"), "name"),
        updates=tuple(replace(u, key=k) for u, k in zip(updates, keys, strict=True)),
        meta=meta,
        times=times,
    )


def _update(item: dict[str, Any], where: str) -> Update:
    created, display = to_utc(item.get("created_at")), to_utc(item.get("display_at"))
    return Update(
        key=need_key(FORMAT, item.get("id"), where),
        posted_at=display or created,
        status=words(item.get("status")) or None,
        fields={"body": fragment_to_text(text(item.get("body")))},
        meta={
            "created_at": created,
            "updated_at": to_utc(item.get("updated_at")),
            "display_at": display,
        },
    )


def _postmortem(item: dict[str, Any]) -> Update | None:
    """A published postmortem is wording too, and gets edited like any update."""
    body = fragment_to_text(text(item.get("postmortem_body")))
    if not body:
        return None
    published = to_utc(item.get("postmortem_published_at"))
    return Update(
        key="postmortem",
        posted_at=published,
        status="postmortem",
        fields={"body": body},
        meta={
            "created_at": None,
            "updated_at": to_utc(item.get("postmortem_body_last_updated_at")),
            "display_at": published,
        },
    )


def _incident_url(page_url: str | None, key: str) -> str | None:
    if not page_url or urlparse(page_url).scheme not in ("http", "https"):
        return None
    return f"{page_url.rstrip('/')}/incidents/{key}"


def _unique_incidents(incidents: list[Incident]) -> tuple[Incident, ...]:
    # The same id listed twice (an incident also shown as a maintenance) is one incident.
    seen: set[str] = set()
    kept = []
    for incident in incidents:
        if incident.key not in seen:
            seen.add(incident.key)
            kept.append(incident)
    return tuple(kept)


def _declares_json(content_type: str | None, url: str | None) -> bool:
    path = urlparse(url or "").path.lower()
    return "json" in (content_type or "").lower() or path.endswith(".json")
