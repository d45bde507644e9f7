"""A new user's first steps: `tracker add URL` picks the format, `fetch` stores one version."""

from __future__ import annotations

from pathlib import Path

import pytest

FORMATS = Path(__file__).parent / "fixtures" / "formats"

# (fixture, path it is served at, content type the vendor sends, format to pick)
CASES = [
    ("statuspage-incidents.json", "/api/v2/incidents.json", "application/json", "statuspage"),
    ("statuspage-summary.json", "/api/v2/summary.json", "application/json", "statuspage"),
    (
        "statuspage-incident.json",
        "/api/v2/incidents/00km0kwpz23b.json",
        "application/json",
        "statuspage",
    ),
    (
        "incidentio-statuspage-compat-summary.json",
        "/api/v2/summary.json",
        "application/json; charset=utf-8",
        "statuspage",
    ),
    ("statuspage-history.atom", "/history.atom", "application/atom+xml", "statuspage"),
    ("statuspage-page.html", "/", "text/html; charset=utf-8", "statuspage"),
    (
        "apple-system-status-2013-imessage.js",
        "/support/systemstatus/data/system_status_en_US.js",
        "application/x-javascript",
        "apple",
    ),
    (
        "apple-developer-system-status.json",
        "/support/systemstatus/data/developer/system_status_en_US.js",
        "application/json",
        "apple",
    ),
    ("gcp-incidents.json", "/incidents.json", "application/json", "gcp"),
    ("gcp-incidents-2020-schema.json", "/incidents.json", "application/json", "gcp"),
    ("slack-current.json", "/api/v2.0.0/current", "application/json", "slack"),
    ("slack-history.json", "/api/v2.0.0/history", "application/json", "slack"),
    ("aws-legacy-data.json", "/data.json", "application/json", "aws"),
    ("apple-derived-rss.xml", "/rss/all-apple-services.rss", "application/rss+xml", "feed"),
]


@pytest.mark.parametrize(
    ("fixture", "path", "content_type", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_add_picks_the_format_and_fetch_stores_one_version(
    tracker, httpserver, fixture, path, content_type, expected
):
    body = (FORMATS / fixture).read_bytes()
    httpserver.expect_request(path).respond_with_data(body, content_type=content_type)
    out = tracker("add", httpserver.url_for(path), "--name", "vendor").output
    assert f"[{expected} (detected)]" in out
    [source] = tracker.json("sources", "--json")
    assert source["format"] == expected
    tracker("fetch")
    tracker("fetch")
    log = tracker.json("log", "vendor", "--json")
    assert [row["outcome"] for row in log] == ["unchanged", "new"]
    page = tracker.json("show", "vendor", "--json")
    assert page["format"] == expected
    assert page["incidents"], "a journalist would see incidents on this page"
    for incident in page["incidents"]:
        assert incident["key"] and incident["title"]
