"""The whole path through the CLI: fetch from 127.0.0.1 → versions → edits → show/diff/search."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from conftest import drop_guards
from pytest_httpserver import HTTPServer

JS = "application/javascript"


def apple_payload(users_affected: str, extra_event: bool = False) -> bytes:
    """Apple's system_status_en_US.js (JSONP) with the July 2013 iMessage notice."""
    events = [
        {
            "startDate": "07/22/2013 07:00 PDT",
            "endDate": "07/22/2013 11:30 PDT",
            "affectedServices": None,
            "eventStatus": "resolved",
            "usersAffected": users_affected,
            "epochStartDate": 1374501600000,
            "epochEndDate": 1374517800000,
            "messageId": "1000072001",
            "statusType": "Issue",
            "datePosted": "07/22/2013 12:15 PDT",
            "message": "Users were unable to send or receive iMessages.",
        }
    ]
    if extra_event:
        events.append(
            {
                "startDate": "07/23/2013 09:00 PDT",
                "endDate": None,
                "affectedServices": None,
                "eventStatus": "ongoing",
                "usersAffected": "Some users are affected",
                "epochStartDate": 1374595200000,
                "epochEndDate": None,
                "messageId": "1000072002",
                "statusType": "Issue",
                "datePosted": "07/23/2013 09:30 PDT",
                "message": "Users may be unable to sign in to FaceTime.",
            }
        )
    data = {
        "drpost": False,
        "drMessage": None,
        "services": [
            {"serviceName": "iMessage", "redirectUrl": None, "events": events[:1]},
            {"serviceName": "FaceTime", "redirectUrl": None, "events": events[1:]},
            {"serviceName": "iCloud Mail", "redirectUrl": None, "events": []},
        ],
    }
    return b"jsonCallback(" + json.dumps(data, indent=1).encode() + b");"


def serve(server: HTTPServer, path: str, body: bytes, content_type: str = JS) -> None:
    server.clear()
    server.expect_request(path).respond_with_data(body, content_type=content_type)


def seed_case(tracker, httpserver: HTTPServer) -> None:
    path = "/support/systemstatus/data/system_status_en_US.js"
    tracker("add", httpserver.url_for(path), "--name", "apple", "--format", "apple")
    serve(httpserver, path, apple_payload("30 percent of users were affected"))
    tracker("fetch")
    serve(httpserver, path, apple_payload("some users were affected"))
    tracker("fetch")


def test_seed_case_is_one_silent_vague_edit(tracker, httpserver):
    seed_case(tracker, httpserver)
    changes = tracker.json("changes", "--json")
    assert len(changes) == 1
    [edit] = changes
    assert edit["source"] == "apple" and edit["kind"] == "update_edited"
    assert edit["silent"] is True
    assert "quantity_vagued" in edit["flags"]
    assert edit["incident"] == "1000072001" and edit["update"] == "1000072001"
    assert "30 percent of users were affected" in edit["old"]
    assert "some users were affected" in edit["new"]
    assert [-1, "30 percent of"] in edit["diff"] and [1, "some"] in edit["diff"]
    assert edit["window_start"] < edit["window_end"]
    assert edit["before_snapshot"] != edit["after_snapshot"]
    assert any("30 percent" in reason for reason in edit["reasons"])


def test_diff_search_and_show_tell_the_story(tracker, httpserver):
    seed_case(tracker, httpserver)
    out = tracker("diff", "apple", "--no-color").output
    assert "[-30 percent of-]{+some+}" in out and "SILENT" in out
    hits = tracker.json("search", "percent", "--json")
    assert len(hits) == 1 and hits[0]["update"] == "1000072001"
    assert hits[0]["first_snapshot"] == hits[0]["last_snapshot"] == 1
    assert "30 percent" in hits[0]["text"]
    page = tracker.json("show", "apple", "--json")
    assert page["snapshot"] == 2
    [incident] = page["incidents"]
    assert {"key", "title", "status", "impact", "updates"} <= incident.keys()
    [update] = incident["updates"]
    assert {"key", "status", "posted_at", "text"} <= update.keys()
    assert update["posted_at"] == "2013-07-22T19:15:00Z"
    assert "some users were affected" in update["text"]
    assert "Users were unable to send or receive iMessages." in update["text"]
    earlier = tracker.json("show", "apple", "--json", "--version", "1")
    assert "30 percent" in earlier["incidents"][0]["updates"][0]["text"]
    text = tracker("show", "apple").output
    assert "iMessage" in text and "some users were affected" in text


def test_refetching_the_same_page_is_idempotent(tracker, home, httpserver):
    seed_case(tracker, httpserver)
    before = tracker.json("changes", "--all", "--json")
    tracker("fetch")
    tracker("fetch")
    assert tracker.json("changes", "--all", "--json") == before
    assert [r["outcome"] for r in tracker.json("log", "apple", "--json")][:2] == [
        "unchanged",
        "unchanged",
    ]


def test_a_new_update_is_news_not_an_edit(tracker, httpserver):
    seed_case(tracker, httpserver)
    path = "/support/systemstatus/data/system_status_en_US.js"
    serve(httpserver, path, apple_payload("some users were affected", extra_event=True))
    tracker("fetch")
    assert len(tracker.json("changes", "--json")) == 1
    news = [c for c in tracker.json("changes", "--all", "--json") if c["kind"] == "incident_added"]
    assert [c["incident"] for c in news] == ["1000072002"]


def test_stale_cache_flip_is_kept_but_marked(tracker, httpserver):
    seed_case(tracker, httpserver)
    path = "/support/systemstatus/data/system_status_en_US.js"
    serve(httpserver, path, apple_payload("30 percent of users were affected"))
    tracker("fetch")
    changes = tracker.json("changes", "--json")
    assert len(changes) == 2
    assert all(c["flicker"] for c in changes)
    assert any(c["revert"] for c in changes)


def test_diff_marks_a_revert_as_changes_does(tracker, httpserver):
    seed_case(tracker, httpserver)
    path = "/support/systemstatus/data/system_status_en_US.js"
    serve(httpserver, path, apple_payload("30 percent of users were affected"))
    tracker("fetch")
    assert [c["revert"] for c in tracker.json("changes", "--json") if c["after_snapshot"] == 3] == [
        True
    ]
    out = tracker("diff", "apple", "--no-color").output
    assert "REVERT" in out and "{+30 percent of+}" in out
    assert "REVERT" not in tracker("diff", "apple", "1", "2", "--no-color").output


def test_rebuild_recomputes_the_same_history(tracker, httpserver):
    seed_case(tracker, httpserver)
    before = tracker.json("changes", "--json")
    out = tracker("rebuild").output
    assert "2 versions, 0 documents changed, 0 unparseable, edits 1 -> 1" in out
    after = tracker.json("changes", "--json")
    strip = lambda rows: [{k: v for k, v in r.items() if k != "id"} for r in rows]  # noqa: E731
    assert strip(after) == strip(before)


def test_verify_finds_a_damaged_blob(tracker, home, httpserver):
    seed_case(tracker, httpserver)
    assert "checked 2 versions: ok" in tracker("verify").output
    with sqlite3.connect(home / "tracker.db") as conn:
        drop_guards(conn)
        conn.execute("update bodies set data = ? where base_id is null", [b"tampered"])
    result = tracker("verify", code=3)
    assert "apple version 1: body" in result.stderr and "is damaged" in result.stderr
    # Fetch 3 is the second look that confirmed version 2: it received the same bytes.
    assert "apple version 2, apple fetch 3: cannot be read" in result.stderr


def test_noisy_html_page_stores_one_version(tracker, home, httpserver):
    counter = {"n": 0}

    def page(request):
        from werkzeug import Response

        counter["n"] += 1
        n = counter["n"]
        html = f"""<!DOCTYPE html><html><head><title>Example Status</title>
        <meta name="csrf-token" content="tok{n}x{n * 7919}">
        <script>window.requestId = "req-{n * 31337}";</script></head>
        <body><header><p class="updated">Last updated {n} seconds ago</p></header>
        <main><h1>Example Cloud status</h1>
        <section class="uptime"><p>API uptime: {99.9 - n / 100:.2f}%</p></section>
        <h2>Past incidents</h2>
        <h3>Elevated error rates for API requests</h3>
        <p>Resolved - This incident has been resolved.</p>
        <p>Investigating - We are investigating elevated error rates affecting 12% of API
        requests in the us-east region.</p>
        <form><input type="hidden" name="authenticity_token" value="t{n}"></form>
        <footer><p>Request ID: {n:08x}-{n * 3:04x}</p>
        <p>Generated at 2026-11-23 10:{n:02d}:00 UTC</p>
        </footer></main></body></html>"""
        return Response(html, content_type="text/html; charset=utf-8")

    httpserver.expect_request("/status").respond_with_handler(page)
    tracker("add", httpserver.url_for("/status"), "--name", "example")
    assert tracker.json("sources", "--json")[0]["format"] == "html"
    for _ in range(3):
        tracker("fetch")
    log = tracker.json("log", "example", "--json")
    assert [r["outcome"] for r in log] == ["unchanged", "unchanged", "new"]
    assert len({r["sha256"] for r in log}) == 3  # the bytes differ every time
    with sqlite3.connect(home / "tracker.db") as conn:
        assert conn.execute("select count(*) from snapshots").fetchone()[0] == 1


def test_report_feed_and_export_from_the_cli(tracker, home, httpserver, tmp_path: Path):
    seed_case(tracker, httpserver)
    tracker("report", "-o", str(tmp_path / "out"))
    index = (tmp_path / "out" / "index.html").read_text()
    assert "quantity_vagued" in index and "iMessage" in index
    tracker("report", "-o", str(tmp_path / "one.html"))
    assert "30 percent of" in (tmp_path / "one.html").read_text()
    feed = tracker("feed").output
    assert feed.startswith("<?xml") and "quantity_vagued" in feed
    rows = tracker.json("export", "--format", "json")
    assert any(r["kind"] == "update_edited" for r in rows)
    csv_text = tracker("export", "--format", "csv").output
    assert csv_text.splitlines()[0].startswith("id,")


def test_nightly_run_is_quiet_on_success_and_refreshes_outputs(tracker, home, httpserver):
    seed_case(tracker, httpserver)
    result = tracker("run", "-q")
    assert result.output == ""
    assert (home / "report" / "index.html").exists()
    assert (home / "feed.xml").read_bytes().startswith(b"<?xml")
    httpserver.clear()
    httpserver.expect_request(
        "/support/systemstatus/data/system_status_en_US.js"
    ).respond_with_data("down", status=500)
    result = tracker("run", "-q", "--retries", "0", code=1)
    assert "apple" in result.stderr and "http_5xx" in result.stderr


def test_catalog_fills_an_empty_archive(home):
    from tracker import catalog
    from tracker.archive import Archive
    from tracker.sources import add_catalog

    archive = Archive(home)
    assert add_catalog(archive) == len(catalog.entries()) >= 25
    assert add_catalog(archive) == 0
    formats = {s.format for s in archive.sources()}
    assert {"statuspage", "apple", "gcp", "slack", "feed"} <= formats


def test_raw_gives_back_the_exact_bytes_served(tracker, home, httpserver, tmp_path: Path):
    seed_case(tracker, httpserver)
    first, second = (
        apple_payload("30 percent of users were affected"),
        apple_payload("some users were affected"),
    )
    assert tracker("raw", "apple").stdout_bytes == second
    assert tracker("raw", "apple", "--version", "1").stdout_bytes == first
    out = tmp_path / "before.js"
    tracker("raw", "apple", "--version", "1", "-o", str(out))
    assert out.read_bytes() == first
    assert tracker("raw", "apple", "--at", "2000-01-01", code=2).stderr.startswith("tracker: ")
    headers = tracker("raw", "apple", "--headers").stdout
    assert "application/javascript" in headers.lower()
    assert (
        "refusing to write"
        in tracker("raw", "apple", "-o", str(home / "tracker.db"), code=1).stderr
    )
