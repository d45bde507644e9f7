"""The archive and the fetcher against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tracker.archive import Archive
from tracker.deadline import Watchdog
from tracker.fetch import Job, Policy, fetch_all, fetch_url, make_session
from tracker.ingest import fetch_sources
from tracker.sources import new_source

FIXTURES = Path(__file__).parent / "fixtures"

BODY = (FIXTURES / "http" / "incidents.json").read_bytes()
JSON = "application/json"
FAST = ["--retries", "1", "--timeout", "2", "--deadline", "3"]


def edited(body: bytes, old: bytes, new: bytes) -> bytes:
    assert old in body
    return body.replace(old, new)


def add(tracker, httpserver: HTTPServer, path: str = "/api/v2/incidents.json", name="airbrake"):
    tracker("add", httpserver.url_for(path), "--name", name, "--format", "statuspage")


def snapshot_count(home: Path) -> int:
    with sqlite3.connect(home / "tracker.db") as conn:
        return conn.execute("select count(*) from snapshots").fetchone()[0]


def blob_files(home: Path) -> list[Path]:
    return (
        [p for p in (home / "blobs").rglob("*") if p.is_file()] if (home / "blobs").exists() else []
    )


def test_versions_are_stored_only_when_the_page_changes(tracker, home, httpserver):
    add(tracker, httpserver)
    httpserver.expect_request("/api/v2/incidents.json").respond_with_data(BODY, content_type=JSON)
    tracker("fetch", *FAST)
    tracker("fetch", *FAST)
    changed = edited(BODY, b"Delay in error processing", b"Delay in processing")
    httpserver.clear()
    httpserver.expect_request("/api/v2/incidents.json").respond_with_data(
        changed, content_type=JSON
    )
    tracker("fetch", *FAST)

    log = tracker.json("log", "airbrake", "--json")
    # The change was confirmed by a second look, which found the new version again.
    second_look, *log = log
    assert second_look["outcome"] == "unchanged" and second_look["snapshot"] == log[0]["snapshot"]
    assert [row["outcome"] for row in log] == ["new", "unchanged", "new"]
    assert log[1]["snapshot"] == log[2]["snapshot"] and log[0]["snapshot"] != log[1]["snapshot"]
    assert all(row["error"] is None and row["http_status"] == 200 for row in log)
    assert log[2]["sha256"] == log[1]["sha256"] != log[0]["sha256"]
    assert snapshot_count(home) == 2
    # Bytes are stored exactly as received.
    archive = Archive(home)
    stored = [archive.blobs.get(row["sha256"]) for row in archive.snapshots("airbrake")]
    assert stored == [BODY, changed]


def test_etag_gives_a_conditional_get_and_304_is_not_modified(tracker, home, httpserver):
    add(tracker, httpserver)

    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(BODY, content_type=JSON, headers={"ETag": '"v1"'})

    httpserver.expect_request("/api/v2/incidents.json").respond_with_handler(handler)
    tracker("fetch", *FAST)
    tracker("fetch", *FAST)
    log = tracker.json("log", "airbrake", "--json")
    assert [row["outcome"] for row in log] == ["not_modified", "new"]
    assert log[0]["http_status"] == 304 and log[0]["snapshot"] == log[1]["snapshot"]
    assert snapshot_count(home) == 1


def gzip_bomb() -> bytes:
    return gzip.compress(b"{" + b" " * (50 * 1024 * 1024) + b"}", compresslevel=9)


@pytest.mark.parametrize(
    ("kind", "respond"),
    [
        ("http_4xx", lambda: Response(b"Not Found", status=404)),
        ("http_5xx", lambda: Response(b"oops", status=500)),
        ("http_5xx", lambda: Response(b"busy", status=503)),
        ("empty", lambda: Response(b"", status=200, content_type=JSON)),
        ("empty", lambda: Response(b"  \n", status=200, content_type=JSON)),
        (
            "blocked",
            lambda: Response(
                b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
                b"<body><div id='cf-chl-widget'></div></body></html>",
                status=403,
                headers={"cf-mitigated": "challenge", "Server": "cloudflare"},
                content_type="text/html",
            ),
        ),
        (
            "blocked",
            lambda: Response(
                b"<html><head><title>Just a moment...</title></head><body>"
                b"<script src='/cdn-cgi/challenge-platform/h/b/orchestrate/jsch/v1'></script>"
                b"Enable JavaScript and cookies to continue</body></html>",
                status=200,
                content_type="text/html",
            ),
        ),
        (
            "blocked",
            lambda: Response(
                b"<!DOCTYPE html><html lang='en-US'><head><title>Just a moment...</title>"
                b"<style>" + b"body{margin:0}" * 512 + b"</style></head><body></body></html>",
                status=200,
                content_type="text/html",
            ),
        ),
        (
            "blocked",
            lambda: Response(
                b'<html style="height:100%"><head><META NAME="ROBOTS" CONTENT="NOINDEX, NOFOLLOW">'
                b'</head><body style="margin:0px;height:100%"><iframe id="main-iframe" '
                b'src="/_Incapsula_Resource?CWUDNSAI=24&xinfo=5-66117460-0&incident_id=1" '
                b'frameborder=0 width="100%" height="100%">Request unsuccessful. Incapsula '
                b"incident ID: 1</iframe></body></html>",
                status=200,
                content_type="text/html",
            ),
        ),
        (
            "blocked",
            lambda: Response(
                b"<!DOCTYPE html><html lang='en'><head><title>Access to this page has been "
                b"denied.</title></head><body><div id='px-captcha'></div></body></html>",
                status=403,
                content_type="text/html",
            ),
        ),
        ("http_4xx", lambda: Response(BODY, status=300, content_type=JSON)),
        ("http_4xx", lambda: Response(BODY, status=301, content_type=JSON)),
        ("too_large", lambda: Response(b"x" * (2 * 1024 * 1024), content_type=JSON)),
        (
            "too_large",
            lambda: Response(gzip_bomb(), content_type=JSON, headers={"Content-Encoding": "gzip"}),
        ),
        (
            "unparseable",
            lambda: Response(b"<html><body>Maintenance</body></html>", content_type="text/html"),
        ),
        ("unparseable", lambda: Response(BODY[: len(BODY) // 2], content_type=JSON)),
    ],
    ids=[
        "404",
        "500",
        "503-after-retries",
        "empty",
        "blank",
        "cf-mitigated",
        "challenge-body",
        "challenge-of-any-size",
        "imperva-block",
        "perimeterx-403",
        "300-not-followed",
        "301-without-location",
        "oversized",
        "gzip-bomb",
        "html-not-json",
        "truncated-json",
    ],
)
def test_failed_fetches_never_become_versions(tracker, home, httpserver, kind, respond):
    add(tracker, httpserver)
    httpserver.expect_request("/api/v2/incidents.json").respond_with_handler(
        lambda request: respond()
    )
    result = tracker("fetch", *FAST, "--max-size", "1MB", code=1)
    assert f"failed       {kind}" in result.output
    log = tracker.json("log", "airbrake", "--json")
    assert len(log) == 1
    assert log[0]["outcome"] == "failed" and log[0]["error"] == kind
    assert log[0]["sha256"] is None and log[0]["snapshot"] is None
    assert snapshot_count(home) == 0 and blob_files(home) == []


def test_503_is_retried_before_giving_up(tracker, httpserver):
    add(tracker, httpserver)
    httpserver.expect_request("/api/v2/incidents.json").respond_with_data("busy", status=503)
    tracker("fetch", "--retries", "2", "--timeout", "2", code=1)
    pages = [r for r, _ in httpserver.log if r.path != "/robots.txt"]
    assert len(pages) == 3  # the first try and two retries


def test_failure_keeps_what_was_stored(tracker, home, httpserver):
    add(tracker, httpserver)
    httpserver.expect_request("/api/v2/incidents.json").respond_with_data(BODY, content_type=JSON)
    tracker("fetch", *FAST)
    httpserver.clear()
    httpserver.expect_request("/api/v2/incidents.json").respond_with_data("x", status=500)
    tracker("fetch", *FAST, code=1)
    assert snapshot_count(home) == 1
    assert [r["outcome"] for r in tracker.json("log", "airbrake", "--json")] == ["failed", "new"]


def test_oversized_body_without_content_length(home):
    """A chunked body has no Content-Length: the limit must hold while reading."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    server.expect_request("/robots.txt").respond_with_data("", status=404)
    try:

        def chunks():
            for _ in range(64):
                yield b" " * 65536

        server.expect_request("/big").respond_with_handler(
            lambda request: Response(chunks(), content_type=JSON, direct_passthrough=True)
        )
        archive = Archive(home)
        archive.add_source(new_source(server.url_for("/big"), name="big", fmt="statuspage"))
        [outcome] = fetch_sources(archive, policy=Policy(max_bytes=1024 * 1024, retries=0))
        assert (outcome.outcome, outcome.error) == ("failed", "too_large")
    finally:
        server.clear()
        server.stop()


def test_timeout_and_slow_drip_are_bounded(home):
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    server.expect_request("/robots.txt").respond_with_data("", status=404)
    try:

        def drip():
            for _ in range(30):
                time.sleep(0.5)
                yield b" "

        def silent(request: Request) -> Response:
            time.sleep(3)
            return Response(BODY, content_type=JSON)

        server.expect_request("/drip").respond_with_handler(
            lambda request: Response(drip(), content_type=JSON, direct_passthrough=True)
        )
        server.expect_request("/silent").respond_with_handler(silent)
        archive = Archive(home)
        archive.add_source(new_source(server.url_for("/drip"), name="drip", fmt="statuspage"))
        archive.add_source(new_source(server.url_for("/silent"), name="silent", fmt="statuspage"))
        started = time.monotonic()
        outcomes = fetch_sources(archive, policy=Policy(read_timeout=1, deadline=2, retries=0))
        elapsed = time.monotonic() - started
        assert {(o.source, o.outcome, o.error) for o in outcomes} == {
            ("drip", "failed", "timeout"),
            ("silent", "failed", "timeout"),
        }
        assert elapsed < 10  # the drip alone would take 15 s
    finally:
        server.clear()
        server.stop()


def test_redirect_records_the_final_url(tracker, httpserver):
    add(tracker, httpserver, "/old")
    httpserver.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": httpserver.url_for("/api/v2/incidents.json")}
    )
    httpserver.expect_request("/api/v2/incidents.json").respond_with_data(BODY, content_type=JSON)
    tracker("fetch", *FAST)
    [row] = tracker.json("log", "airbrake", "--json")
    assert row["outcome"] == "new"
    assert row["final_url"] == httpserver.url_for("/api/v2/incidents.json")


def test_unusual_charset_is_stored_byte_for_byte(tracker, home, httpserver):
    data = json.loads(BODY)
    data["incidents"][0]["name"] = "Störung – Verzögerung"
    body = json.dumps(data, ensure_ascii=False).encode("utf-16")
    add(tracker, httpserver)
    httpserver.expect_request("/api/v2/incidents.json").respond_with_data(
        body, content_type="application/json; charset=utf-16"
    )
    tracker("fetch", *FAST, code=None)
    archive = Archive(home)
    for snapshot in archive.snapshots("airbrake"):
        assert archive.blobs.get(snapshot["sha256"]) == body
    log = tracker.json("log", "airbrake", "--json")
    assert log[0]["bytes"] == len(body)


def test_same_bytes_from_two_sources_are_one_blob(tracker, home, httpserver):
    add(tracker, httpserver, "/a.json", name="a")
    add(tracker, httpserver, "/b.json", name="b")
    httpserver.expect_request("/a.json").respond_with_data(BODY, content_type=JSON)
    httpserver.expect_request("/b.json").respond_with_data(BODY, content_type=JSON)
    tracker("fetch", *FAST)
    assert snapshot_count(home) == 2
    with sqlite3.connect(home / "tracker.db") as conn:
        assert conn.execute("select count(*) from bodies").fetchone() == (1,)


def test_unknown_name_and_bad_url_are_usage_errors(tracker, home):
    result = tracker("add", "not-a-vendor", code=2)
    assert result.stderr.count("\n") == 1 and "catalog" in result.stderr
    result = tracker("add", "ftp://example.com/x", code=2)
    assert "http(s) URL" in result.stderr
    result = tracker("fetch", "nobody", code=2)
    assert "no source named 'nobody'" in result.stderr
    assert tracker.json("sources", "--json") == []
    assert snapshot_count(home) == 0


def test_catalog_add_and_sources(tracker):
    tracker("add", "github")
    [row] = tracker.json("sources", "--json")
    assert row["name"] == "github" and row["format"] == "statuspage"
    assert row["url"].startswith("https://www.githubstatus.com/")
    tracker("add", "github", code=2)
    tracker("remove", "github")
    assert tracker.json("sources", "--json") == []
    tracker("add", "github")  # history kept, tracking resumes


def test_a_second_run_exits_75_naming_the_holder(tracker, home):
    from tracker.archive.home import run_lock

    with run_lock(home, "fetch"):
        result = tracker("fetch", code=75)
    assert "in use by `tracker fetch` (pid" in result.stderr


def test_sigkill_mid_run_leaves_a_sound_archive(tmp_path, home):
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    server.expect_request("/robots.txt").respond_with_data("", status=404)
    try:

        def slow(request: Request) -> Response:
            time.sleep(0.2)
            name = request.path.strip("/").encode()
            return Response(BODY.replace(b"Airbrake", b"Airbrake " + name), content_type=JSON)

        server.expect_request("").respond_with_handler(slow)
        archive = Archive(home)
        for i in range(40):
            archive.add_source(new_source(server.url_for(f"/s{i}"), name=f"s{i}", fmt="statuspage"))
        archive.close()
        env = {**os.environ, "TRACKER_HOME": str(home)}
        command = [sys.executable, "-m", "tracker", "fetch", "--workers", "4", "-q"]
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while snapshot_count_safe(home) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        killed_at = snapshot_count_safe(home)
        assert 0 < killed_at < 40
        with sqlite3.connect(home / "tracker.db") as conn:
            assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        # The pages stored a batch at a time: every fetch kept is whole, bodies and chain.
        verify = [sys.executable, "-m", "tracker", "verify"]
        verified = subprocess.run(verify, env=env, capture_output=True, timeout=60)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        rerun = subprocess.run(command, env=env, capture_output=True, timeout=60)
        assert rerun.returncode == 0, rerun.stderr
        assert snapshot_count(home) == 40
        archive = Archive(home)
        for i in range(40):
            for snapshot in archive.snapshots(f"s{i}"):
                assert archive.blobs.get(snapshot["sha256"])  # every row has its blob
    finally:
        server.clear()
        server.stop()


def snapshot_count_safe(home: Path) -> int:
    try:
        return snapshot_count(home)
    except sqlite3.Error:
        return 0


def test_concurrent_fetches_respect_the_per_host_limit(home):
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    server.expect_request("/robots.txt").respond_with_data("", status=404)
    in_flight = 0
    peak = 0
    lock = threading.Lock()
    try:

        def handler(request: Request) -> Response:
            nonlocal in_flight, peak
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            time.sleep(0.1)
            with lock:
                in_flight -= 1
            return Response(BODY, content_type=JSON)

        server.expect_request("").respond_with_handler(handler)
        archive = Archive(home)
        for i in range(10):
            archive.add_source(new_source(server.url_for(f"/s{i}"), name=f"s{i}", fmt="statuspage"))
        outcomes = fetch_sources(archive, policy=Policy(workers=8, per_host=2, retries=0))
        assert [o.outcome for o in outcomes] == ["new"] * 10
        assert peak == 2
    finally:
        server.clear()
        server.stop()


@pytest.mark.parametrize(("retry_after", "waits"), [("1", 1.0), ("3600", 1.5), ("soon", 0.0)])
def test_429_honours_retry_after_up_to_the_cap(home, retry_after, waits):
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    server.expect_request("/robots.txt").respond_with_data("", status=404)
    try:
        calls = []

        def handler(request: Request) -> Response:
            calls.append(time.monotonic())
            if len(calls) == 1:
                return Response(b"slow down", status=429, headers={"Retry-After": retry_after})
            return Response(BODY, content_type=JSON)

        server.expect_request("/api").respond_with_handler(handler)
        archive = Archive(home)
        archive.add_source(new_source(server.url_for("/api"), name="api", fmt="statuspage"))
        # The wait between attempts does not count against the deadline of either.
        policy = Policy(retries=2, backoff=0, retry_after_cap=1.5, deadline=1)
        [outcome] = fetch_sources(archive, policy=policy)
        if retry_after == "soon":  # an unreadable Retry-After is a failed fetch, not a crash
            assert outcome.outcome == "failed" and len(calls) == 1
            return
        assert outcome.outcome == "new"
        assert len(calls) == 2
        assert waits - 0.1 <= calls[1] - calls[0] < waits + 1.0
    finally:
        server.clear()
        server.stop()


# What Cloudflare's bot detection adds before </body> of the ordinary pages it passes through.
CLOUDFLARE_JSD = (
    b"<script>(function(){function c(){var b=a.contentDocument||a.contentWindow.document;"
    b"if(b){var d=b.createElement('script');d.innerHTML=\"window.__CF$cv$params={r:"
    b"'8a1b2c3d4e5f6a7b',t:'MTcxNTY5NjAwMA=='};var a=document.createElement('script');"
    b"a.nonce='';a.src='/cdn-cgi/challenge-platform/scripts/jsd/main.js';"
    b"document.getElementsByTagName('head')[0].appendChild(a);\";"
    b"b.getElementsByTagName('head')[0].appendChild(d)}}if(document.body){var a=document."
    b"createElement('iframe');a.height=1;a.width=1;a.style.position='absolute';a.style.top=0;"
    b"a.style.left=0;a.style.border='none';a.style.visibility='hidden';document.body."
    b"appendChild(a);if('loading'!==document.readyState)c();else if(window.addEventListener)"
    b"document.addEventListener('DOMContentLoaded',c);else{var e=document.onreadystatechange||"
    b"function(){};document.onreadystatechange=function(b){e(b);'loading'!==document.readyState"
    b"&&(document.onreadystatechange=e,c())}}}})();</script>"
)
# What Imperva adds to the ordinary pages it passes through.
IMPERVA_SCRIPT = (
    b'<script type="text/javascript" '
    b'src="/_Incapsula_Resource?SWJIYLWA=719d34d31c8e3a6e6fffd425f7e032f3&ns=2&cb=1178417394" '
    b"async></script>"
)


@pytest.mark.parametrize("script", [CLOUDFLARE_JSD, IMPERVA_SCRIPT], ids=["cloudflare", "imperva"])
def test_protection_scripts_on_an_ordinary_page_are_not_a_challenge(
    tracker, home, httpserver, script
):
    page = (FIXTURES / "formats" / "statuspage-page.html").read_bytes()
    page = edited(page, b"</body>", script + b"\n</body>")
    add(tracker, httpserver, "/")
    httpserver.expect_request("/").respond_with_data(
        page,
        content_type="text/html; charset=utf-8",
        headers={"Server": "cloudflare", "CF-RAY": "8a1b2c3d4e5f6a7b-CDG"},
    )
    tracker("fetch", *FAST)
    [row] = tracker.json("log", "airbrake", "--json")
    assert (row["outcome"], row["error"]) == ("new", None)
    [snapshot] = Archive(home).snapshots("airbrake")
    assert Archive(home).blobs.get(snapshot["sha256"]) == page


@pytest.mark.parametrize("content_type", [JSON, "text/html"])
def test_json_is_never_read_as_a_challenge_page(tracker, home, httpserver, content_type):
    """Incident text may name a protection vendor, quote its page and carry HTML tags."""
    data = json.loads(BODY)
    incident = data["incidents"][0]
    incident["incident_updates"] = incident["incident_updates"][:1]
    incident["incident_updates"][0]["body"] = (
        "Visitors from some regions were shown a DDoS-Guard check page saying <i>Enable "
        "JavaScript and cookies to continue</i> instead of the dashboard. <b>Resolved</b>."
    )
    data["incidents"] = [incident]
    body = json.dumps(data).encode()
    assert len(body) < 4096  # as small as a challenge page: only its being JSON saves it
    add(tracker, httpserver)
    httpserver.expect_request("/api/v2/incidents.json").respond_with_data(
        body, content_type=content_type
    )
    tracker("fetch", *FAST)
    [row] = tracker.json("log", "airbrake", "--json")
    assert (row["outcome"], row["error"]) == ("new", None)
    assert snapshot_count(home) == 1


def test_an_unfollowed_redirect_says_why(httpserver):
    httpserver.expect_request("/choices").respond_with_data(
        BODY, status=300, content_type=JSON, headers={"Location": "/a.json"}
    )
    httpserver.expect_request("/moved").respond_with_data(BODY, status=301, content_type=JSON)
    policy = Policy(retries=0)
    with make_session(policy) as session:
        choices = fetch_url(session, httpserver.url_for("/choices"), policy)
        moved = fetch_url(session, httpserver.url_for("/moved"), policy)
    assert (choices.error, choices.status) == ("http_4xx", 300)
    assert choices.detail == "HTTP 300 Multiple Choices: a redirect that could not be followed"
    assert (moved.error, moved.status) == ("http_4xx", 301)
    assert moved.detail == (
        "HTTP 301 Moved Permanently: a redirect that could not be followed (no Location header)"
    )


@contextmanager
def raw_server(respond: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[str]:
    """A threaded HTTP/1.1 server on 127.0.0.1 whose `respond` may write bytes as it likes."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            with suppress(OSError):  # the client hung up on us: that is the point
                respond(self)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def drip_headers(handler: BaseHTTPRequestHandler) -> None:
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: ")
    for _ in range(100):  # a byte every 0.1 s: never a read timeout, ten seconds in all
        handler.wfile.write(b"a")
        time.sleep(0.1)
    handler.wfile.write(b"\r\nContent-Length: 2\r\n\r\n{}")


def stall_body(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", JSON)
    handler.send_header("Content-Length", str(len(BODY)))
    handler.end_headers()
    handler.wfile.write(BODY[:100])
    time.sleep(4)  # shorter than the read timeout, longer than the deadline
    handler.wfile.write(BODY[100:])


@pytest.mark.parametrize(
    ("respond", "detail"),
    [
        (drip_headers, "no complete response headers after 1s: the server is too slow"),
        (stall_body, "body not complete after 1s (received 100 bytes)"),
    ],
    ids=["headers-drip", "body-stall"],
)
def test_the_deadline_holds_however_the_server_stalls(respond, detail):
    policy = Policy(read_timeout=5, deadline=1, retries=2)
    with raw_server(respond) as url, make_session(policy) as session:
        started = time.monotonic()
        result = fetch_url(session, url + "/api/v2/incidents.json", policy)
        elapsed = time.monotonic() - started
    assert (result.error, result.detail) == ("timeout", detail)
    assert result.body is None
    assert elapsed < 2  # the server would hold out for 4 s or more


def send_body(handler: BaseHTTPRequestHandler) -> None:
    """The incidents JSON, whole, as a 200."""
    handler.send_response(200)
    handler.send_header("Content-Type", JSON)
    handler.send_header("Content-Length", str(len(BODY)))
    handler.end_headers()
    handler.wfile.write(BODY)


def test_a_finished_fetch_leaves_its_reused_connection_alone():
    """The deadline of a fetch must never cut a later fetch on the same connection."""
    ports = []

    def respond(handler: BaseHTTPRequestHandler) -> None:
        ports.append(handler.client_address[1])
        if handler.path == "/slow":
            time.sleep(0.8)
        send_body(handler)

    policy = Policy(deadline=1, retries=0)
    with raw_server(respond) as url, make_session(policy) as session:
        first = fetch_url(session, url + "/fast", policy)
        time.sleep(0.5)
        # Runs across the moment the first fetch's deadline would have passed.
        second = fetch_url(session, url + "/slow", policy)
    assert (first.error, second.error) == (None, None)
    assert second.body == BODY
    assert len(ports) == 2 and ports[0] == ports[1]  # one connection, reused


def test_a_retry_has_a_deadline_of_its_own():
    """The first attempt's deadline passes while the retry is under way: the retry goes on."""
    attempts = []

    def respond(handler: BaseHTTPRequestHandler) -> None:
        attempts.append(time.monotonic())
        time.sleep(0.7)  # each attempt within the deadline, the two together past it
        if len(attempts) == 1:
            handler.send_response(503)
            handler.send_header("Retry-After", "0")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        send_body(handler)

    policy = Policy(deadline=1, retries=1)
    with raw_server(respond) as url, make_session(policy) as session:
        result = fetch_url(session, url + "/api/v2/incidents.json", policy)
    assert (result.error, result.body) == (None, BODY)
    assert len(attempts) == 2


def test_a_deadline_earlier_than_those_set_before_goes_off_on_time():
    """Deadlines are kept by one thread, woken only by an alarm earlier than every other: a
    short deadline set while a long one is waiting still goes off on time, and so does one
    set after it that is not the earliest."""
    waiting, short, later = Watchdog(30), Watchdog(0.3), Watchdog(0.6)
    started = time.monotonic()
    for watch in (waiting, short, later):
        watch.start()
    while not later.fired and time.monotonic() - started < 5:
        time.sleep(0.02)
    elapsed = time.monotonic() - started
    assert short.fired and later.fired and not waiting.fired
    assert elapsed < 2
    for watch in (waiting, short, later):
        watch.__exit__(None, None, None)


def test_an_interrupted_run_stops_at_once(httpserver):
    """Ctrl-C while results are stored: no waiting for the queue or for fetches under way."""

    def slow(request: Request) -> Response:
        time.sleep(0.5)
        return Response(BODY, content_type=JSON)

    httpserver.expect_request("").respond_with_handler(slow)
    jobs = [Job(key=f"s{i}", url=httpserver.url_for(f"/s{i}")) for i in range(6)]
    stored = []

    def on_result(job: Job, result) -> None:
        stored.append(job.key)
        raise KeyboardInterrupt

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        fetch_all(jobs, Policy(workers=1, retries=0, deadline=30), on_result)
    assert time.monotonic() - started < 0.5 * 6 / 2  # half the time the six jobs take
    assert stored == ["s0"]
    # The fetch that was under way is cut short rather than waited for in the background.
    deadline = time.monotonic() + 0.3
    while any(t.name.startswith("ThreadPoolExecutor") for t in threading.enumerate()):
        assert time.monotonic() < deadline, "a fetch kept running after the interrupt"
        time.sleep(0.02)
    assert len(httpserver.log) <= 2  # the queued jobs were never requested
