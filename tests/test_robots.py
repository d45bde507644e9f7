"""robots.txt (RFC 9309): a disallowed page is not fetched; the verdict is kept with each fetch."""

from __future__ import annotations

import json
import sqlite3

from werkzeug import Request, Response

BODY = json.dumps(
    {
        "page": {"id": "x", "name": "Example", "url": "https://status.example.com"},
        "incidents": [
            {
                "id": "inc1",
                "name": "Elevated errors",
                "status": "resolved",
                "impact": "minor",
                "created_at": "2026-11-01T10:00:00Z",
                "incident_updates": [
                    {
                        "id": "u1",
                        "status": "resolved",
                        "body": "Some users saw errors.",
                        "created_at": "2026-11-01T10:00:00Z",
                        "display_at": "2026-11-01T10:00:00Z",
                        "updated_at": "2026-11-01T10:00:00Z",
                    }
                ],
            }
        ],
    }
)
JSON = "application/json"


def serve(httpserver, robots_status=200, robots="User-agent: *\nDisallow: /private/\n"):
    asked = []

    def robots_txt(request: Request) -> Response:
        asked.append(request.path)
        return Response(robots, status=robots_status, content_type="text/plain")

    httpserver.expect_request("/robots.txt").respond_with_handler(robots_txt)
    for path in ("/private/api.json", "/public/api.json"):
        httpserver.expect_request(path).respond_with_data(BODY, content_type=JSON)
    return asked


def add(tracker, httpserver, path, name, *extra):
    tracker("add", httpserver.url_for(path), "--name", name, "--format", "statuspage", *extra)


def page_requests(httpserver, path):
    return [r for r, _ in httpserver.log if r.path == path]


def fetch_rows(home):
    with sqlite3.connect(home / "tracker.db") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("select * from fetches order by id")]


def test_a_disallowed_page_is_not_fetched(tracker, home, httpserver, own_robots_txt):
    asked = serve(httpserver)
    add(tracker, httpserver, "/private/api.json", "hidden")
    add(tracker, httpserver, "/public/api.json", "open")
    result = tracker("fetch", code=1)
    assert page_requests(httpserver, "/private/api.json") == []
    assert len(page_requests(httpserver, "/public/api.json")) == 1
    line = next(line for line in result.output.splitlines() if line.startswith("hidden"))
    assert "failed" in line and "robots: " in line
    assert "/robots.txt disallows /private/api.json for status-tracker" in line
    (log,) = tracker.json("log", "hidden", "--json")
    assert log["outcome"] == "failed" and log["error"] == "robots"
    rows = {r["url"]: r for r in fetch_rows(home)}
    assert rows[httpserver.url_for("/public/api.json")]["robots"].startswith("allowed by http")
    tracker("fetch", code=1)
    assert asked == ["/robots.txt"]  # kept for 24 hours, for every source of the host


def test_ignore_robots_is_recorded_with_the_source_and_each_fetch(
    tracker, home, httpserver, own_robots_txt
):
    serve(httpserver)
    add(tracker, httpserver, "/private/api.json", "hidden", "--ignore-robots")
    tracker("fetch")
    assert len(page_requests(httpserver, "/private/api.json")) == 1
    assert "ignore_robots = true" in tracker("sources", "--export").output
    (row,) = fetch_rows(home)
    assert row["robots"] == "ignored (--ignore-robots)" and row["outcome"] == "new"


def test_no_robots_txt_means_allowed(tracker, httpserver, own_robots_txt):
    serve(httpserver, robots_status=404, robots="")
    add(tracker, httpserver, "/private/api.json", "hidden")
    tracker("fetch")


def test_a_server_error_on_robots_txt_disallows_and_is_asked_again(
    tracker, httpserver, own_robots_txt
):
    asked = serve(httpserver, robots_status=503, robots="busy")
    add(tracker, httpserver, "/public/api.json", "open")
    result = tracker("fetch", code=1)
    assert "could not be read (HTTP 503), so nothing may be fetched" in result.output
    assert page_requests(httpserver, "/public/api.json") == []
    tracker("fetch", code=1)
    assert len(asked) == 2  # an error is not kept: the next run asks again


def test_an_unreachable_host_disallows(tracker, own_robots_txt):
    tracker("add", "http://127.0.0.1:9/status.json", "--name", "gone", "--format", "statuspage")
    result = tracker("fetch", "--retries", "0", code=1)
    assert "robots: http://127.0.0.1:9/robots.txt could not be read (connection" in result.output


def test_a_group_for_status_tracker_wins(tracker, httpserver, own_robots_txt):
    serve(
        httpserver,
        robots="User-agent: *\nDisallow: /\n\nUser-agent: status-tracker\nAllow: /public/\n",
    )
    add(tracker, httpserver, "/public/api.json", "open")
    tracker("fetch")


def test_adding_an_auto_source_does_not_probe_a_disallowed_page(
    tracker, httpserver, own_robots_txt
):
    serve(httpserver)
    result = tracker("add", httpserver.url_for("/private/api.json"), "--name", "hidden")
    assert "[auto: not probed, http://localhost" in result.output
    assert "disallows /private/api.json" in result.output
    assert page_requests(httpserver, "/private/api.json") == []
    result = tracker("add", httpserver.url_for("/public/api.json"), "--name", "open")
    assert "[statuspage (detected)]" in result.output
