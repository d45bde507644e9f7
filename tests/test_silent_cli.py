"""Silent as a reader sees it, through the CLI: the verdict and `announced_by` in
`changes --json`, the terminal, `diff`, the report and the feed; `changes --announced`; a bulk
change listed once, last, and kept out of the report's headline counts."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from conftest import FIXTURES
from pytest_httpserver import HTTPServer

PATH = "/api/v2/summary.json"
SUMMARY = json.loads((FIXTURES / "formats" / "statuspage-summary-cloudflare.json").read_text())
NOISE = FIXTURES / "noise" / "edits"


def cloudflare(first: str, posted: str | None = None) -> bytes:
    """Cloudflare's summary.json with incident j7960hzg7bbk: its first update says `first`;
    with `posted`, the monitoring update (posted at 11:02) says that."""
    data = copy.deepcopy(SUMMARY)
    data["scheduled_maintenances"] = []
    incident = data["incidents"][0]
    monitoring, opening = incident["incident_updates"]
    opening["body"] = first
    if posted is None:
        opening["updated_at"] = opening["created_at"]
        incident["incident_updates"] = [opening]
        incident["status"] = "investigating"
    else:
        monitoring["body"] = posted
    return json.dumps(data).encode()


def serve(server: HTTPServer, body: bytes) -> None:
    server.clear()
    server.expect_request(PATH).respond_with_data(body, content_type="application/json")


def history(tracker, httpserver: HTTPServer, *bodies: bytes) -> None:
    tracker("add", httpserver.url_for(PATH), "--name", "cloudflare", "--format", "statuspage")
    for body in bodies:
        serve(httpserver, body)
        tracker("fetch")


BEFORE = "Cloudflare is observing elevated 502 errors for 12% of requests in Frankfurt (FRA)."
AFTER = "Cloudflare is observing elevated 502 errors for 3% of requests in Frankfurt (FRA)."
TOLD = (
    "A fix has been implemented. Failed requests in Frankfurt dropped to 3% and we are monitoring."
)
BOILERPLATE = "A fix has been implemented and we are monitoring the results."


def test_an_update_repeating_the_new_number_announces_the_edit(tracker, httpserver):
    history(tracker, httpserver, cloudflare(BEFORE), cloudflare(AFTER, TOLD))
    (edit,) = tracker.json("changes", "--json")
    assert edit["kind"] == "update_edited" and edit["silent"] is False
    assert edit["announced_by"] == 'drlnjql8b371: "A fix has been implemented. Failed requests in…"'
    assert (
        edit["verdict"].startswith("announced by update drlnjql8b371") and '"3"' in edit["verdict"]
    )
    assert edit["count"] == 1 and edit["keys"] == []
    assert [e["id"] for e in tracker.json("changes", "--announced", "--json")] == [edit["id"]]
    assert tracker.json("changes", "--silent", "--json") == []
    shown = tracker("changes", "--announced", "--no-color").output
    assert "why: announced by update drlnjql8b371" in shown
    assert (
        "why: announced by update drlnjql8b371"
        in tracker("diff", "cloudflare", "--no-color").output
    )


def test_boilerplate_posted_at_the_same_time_announces_nothing(tracker, httpserver, tmp_path):
    history(tracker, httpserver, cloudflare(BEFORE), cloudflare(AFTER, BOILERPLATE))
    (edit,) = tracker.json("changes", "--silent", "--json")
    assert edit["announced_by"] is None
    assert edit["verdict"].startswith("no update posted between ")
    assert edit["verdict"].endswith(
        'mentions it (1 posted: "A fix has been implemented and we are…")'
    )
    assert tracker.json("changes", "--announced", "--json") == []
    assert "silent: no update posted between" in tracker("changes", "--no-color").output
    tracker("report", "-o", str(tmp_path / "out"))
    index = (tmp_path / "out" / "index.html").read_text()
    assert "no update posted between" in index
    dossier = next((tmp_path / "out" / "incidents").glob("*.html")).read_text()
    assert "no update posted between" in dossier
    assert "no update posted between" in tracker("feed").output


def test_silent_and_announced_together_is_a_usage_error(tracker):
    result = tracker("changes", "--silent", "--announced", code=2)
    assert "--silent and --announced exclude each other" in result.output


def test_a_bulk_rewrite_is_listed_once_last_and_not_counted(tracker, httpserver, tmp_path):
    pair = next(
        p
        for p in json.loads((NOISE / "pairs.json").read_text())
        if p["name"] == "bitbucket-nine-maintenances-rewritten"
    )
    before, after = (NOISE / pair["before"]).read_bytes(), (NOISE / pair["after"]).read_bytes()
    # A real silent edit in the same version, next to the bulk rewrite.
    data = json.loads(after)
    data["scheduled_maintenances"][0]["name"] += " (postponed)"
    history(tracker, httpserver, before, json.dumps(data).encode())
    changes = tracker.json("changes", "--json")
    assert [c["kind"] for c in changes] == ["incident_changed", "bulk_changed"]
    bulk = changes[-1]
    assert bulk["count"] == 9 and len(bulk["keys"]) == 9 and bulk["silent"] is False
    assert "May, June, and July" in bulk["old"] and "June - August" in bulk["new"]
    assert "bulk_changed (wording) ×9" in tracker("changes", "--no-color").output
    tracker("report", "-o", str(tmp_path / "out"))
    index = (tmp_path / "out" / "index.html").read_text()
    assert "<strong>1</strong> edit</li>" in index  # the bulk change is listed, not counted
    assert "bulk ×9" in index


def test_report_shows_who_announced_it(tracker, httpserver, tmp_path: Path):
    history(tracker, httpserver, cloudflare(BEFORE), cloudflare(AFTER, TOLD))
    tracker("report", "-o", str(tmp_path / "one.html"))
    page = (tmp_path / "one.html").read_text()
    assert "Not silent: announced by update drlnjql8b371" in page
    assert "announced" in page
