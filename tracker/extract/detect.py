"""Which format a body is in, from its content first, then its URL and Content-Type.

Content decides because servers mislabel (JSON as text/plain, feeds as text/xml); the URL only
breaks ties, e.g. for a truncated body whose shape cannot be read.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlparse

from .decode import check_not_binary, decode_text, fail, sniff, unwrap_jsonp

_STATUSPAGE_LISTS = frozenset({"incidents", "scheduled_maintenances", "status", "components"})
_GCP_KEYS = frozenset({"external_desc", "affected_products", "most-recent-update", "service_key"})
# A Statuspage-hosted HTML page: its incident markup, and its own asset host or links.
_STATUSPAGE_MARKUP = re.compile(rb"incidents-list|unresolved-incidents?\b|incident-container")
_STATUSPAGE_HOST = re.compile(rb"statuspage\.io|stspg\.io|dka575ofm4ao0\.cloudfront\.net")
_STATUSPAGE_FEED = re.compile(rb"data-var=|tag:[^,<\s]+,2005:Incident/")
# Key names that give a JSON body away even when it is cut short.
_TELLTALE = (
    (re.compile(r'"incident_updates"|"scheduled_maintenances"'), "statuspage"),
    (re.compile(r'"active_incidents"|"notes"\s*:\s*\['), "slack"),
    (re.compile(r'"external_desc"|"affected_products"|"most-recent-update"'), "gcp"),
    (re.compile(r'"serviceName"|"usersAffected"'), "apple"),
    (re.compile(r'"service_name"[^{}]*"summary"|"archive"\s*:\s*\['), "aws"),
)


def detect_format(body: bytes, content_type: str | None, url: str | None) -> str:
    check_not_binary("auto", body)
    kind = sniff(body)
    parsed = urlparse(url or "")
    host, path = (parsed.hostname or "").lower(), parsed.path.lower()
    if kind in ("json", "jsonp"):
        return _json_format(body, content_type, host, path)
    if kind == "feed":
        if path.endswith(("/history.atom", "/history.rss")) or _STATUSPAGE_FEED.search(body):
            return "statuspage"
        return "feed"
    if "json" in (content_type or "").lower() or path.endswith((".json", ".js")):
        raise fail(
            "auto",
            f"{url or 'the source'} should be JSON (by its "
            f"{'Content-Type' if 'json' in (content_type or '').lower() else 'URL'}) but the body "
            "is HTML or text: the server sent an error or challenge page",
        )
    if kind == "xml":
        raise fail("auto", "the body is XML but not an RSS or Atom feed; no format reads it")
    if _STATUSPAGE_MARKUP.search(body) and _STATUSPAGE_HOST.search(body):
        return "statuspage"
    return "html"


def _json_format(body: bytes, content_type: str | None, host: str, path: str) -> str:
    text = unwrap_jsonp(decode_text(body, content_type))
    try:
        data: Any = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    found = _by_shape(data) or _by_url(host, path) or _by_keys(text[:20000])
    if found:
        return found
    if data is None:
        raise fail("auto", "the body looks like JSON but is not valid JSON, and no format fits")
    shape = f"an object with keys {list(data)[:8]}" if isinstance(data, dict) else "a JSON list"
    raise fail(
        "auto",
        f"JSON that no format reads ({shape}): no 'incidents', 'components', 'services', "
        "'active_incidents' or 'current'/'archive' list, and not a list of incidents, so it is "
        "not a status page (a health check or an error answer?); known JSON formats: "
        "statuspage, apple, gcp, slack, aws. Choose the format explicitly if this is one of them",
    )


def _by_shape(data: Any) -> str | None:
    if isinstance(data, dict):
        keys = data.keys()
        if "incident" in keys or "incident_updates" in keys:
            return "statuspage"
        if "page" in keys and _STATUSPAGE_LISTS & keys:
            return "statuspage"
        if isinstance(data.get("services"), list):
            return "apple"
        if "active_incidents" in keys:
            return "slack"
        if {"current", "archive"} & keys:
            return "aws"
        return None
    if isinstance(data, list) and data and isinstance(data[0], dict):
        first = data[0].keys()
        if _GCP_KEYS & first:
            return "gcp"
        if "notes" in first and "date_created" in first:
            return "slack"
    return None


def _by_url(host: str, path: str) -> str | None:
    if host.endswith("status.cloud.google.com") or path.endswith(
        "/appsstatus/dashboard/incidents.json"
    ):
        return "gcp"
    if host.endswith("apple.com") and "systemstatus" in path:
        return "apple"
    if host in ("status.slack.com", "slack-status.com") and "/api/" in path:
        return "slack"
    if host == "status.aws.amazon.com" and path.endswith("data.json"):
        return "aws"
    if "/api/v2/" in path:
        return "statuspage"
    return None


def _by_keys(head: str) -> str | None:
    for pattern, fmt in _TELLTALE:
        if pattern.search(head):
            return fmt
    return None
