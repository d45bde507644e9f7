"""`tracker import wayback` against a fake CDX API and capture server on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tracker.archive import Archive
from tracker.errors import ImportFailed
from tracker.fetch import Policy
from tracker.importers import WaybackPolicy, import_wayback
from tracker.publish.records import Filters, change_records

PAGE = "https://status.airbrake.io/api/v2/incidents.json"
ORIGINAL = (Path(__file__).parent / "fixtures" / "history" / "incidents.json").read_bytes()
BEFORE = b"We are currently investigating a delay in error processing."
AFTER = b"We are currently investigating a brief delay in error processing for some users."
CHALLENGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    b"<div id='cf-chl-widget'>Checking your browser before accessing status.airbrake.io"
    b"</div></body></html>"
)
HEADER = ["timestamp", "original", "statuscode", "digest", "mimetype"]
JSON = "application/json"


def row(timestamp: str, status: str = "200", digest: str = "") -> list[str]:
    return [timestamp, PAGE, status, digest or f"DIGEST{timestamp}", JSON]


# Two CDX pages; the first ends with the resume key after an empty row.
PAGE_ONE = [
    HEADER,
    row("20230413080000"),  # the original
    row("20230413090000", status="301"),  # a redirect: listed, never fetched
    row("20230413100000"),  # a challenge page archived with status 200
    [],
    ["status.airbrake.io/api/v2/incidents.json 20230413100000"],
]
PAGE_TWO = [
    HEADER,
    row("20230414080000"),  # the edit
    row("20230415080000"),  # the same page in another layout; rate limited once
]
BODIES = {
    "20230413080000": ORIGINAL,
    "20230413100000": CHALLENGE,
    "20230414080000": ORIGINAL.replace(BEFORE, AFTER),
    "20230415080000": json.dumps(json.loads(ORIGINAL.replace(BEFORE, AFTER)), indent=1).encode(),
}


# Three captures on three days: the original, the edit, a second edit.
DAYS = [
    HEADER,
    row("20230413080000"),
    row("20230414080000"),
    row("20230415080000"),
]
DAILY = {
    "20230413080000": ORIGINAL,
    "20230414080000": ORIGINAL.replace(BEFORE, AFTER),
    "20230415080000": ORIGINAL.replace(
        BEFORE, b"We are currently investigating a delay in error processing for all users."
    ),
}


class FakeArchive:
    """The CDX API and the `id_` capture server, counting what is asked of them."""

    def __init__(
        self,
        server: HTTPServer,
        limited: dict[str, int] | None = None,
        pages: tuple[list, ...] = (PAGE_ONE, PAGE_TWO),
        bodies: dict[str, bytes] = BODIES,
    ):
        self.cdx_queries: list[dict[str, str]] = []
        self.captures: list[str] = []
        self.limited = dict(limited or {})  # timestamp → how many 429s before answering
        self.down: set[str] = set()  # timestamps answered with 503 for now
        self.pages = pages
        self.bodies = bodies
        server.expect_request("/cdx/search/cdx").respond_with_handler(self.cdx)
        for page in pages:
            for timestamp in (values[0] for values in page[1:] if len(values) == len(HEADER)):
                route = f"/web/{timestamp}id_/{PAGE}"
                server.expect_request(route).respond_with_handler(self.capture)

    def cdx(self, request: Request) -> Response:
        self.cdx_queries.append(dict(request.args))
        rows = self.pages[1] if request.args.get("resumeKey") else self.pages[0]
        return Response(json.dumps(rows), content_type=JSON)

    def capture(self, request: Request) -> Response:
        timestamp = request.path.split("/")[2].removesuffix("id_")
        self.captures.append(timestamp)
        if self.limited.get(timestamp, 0) > 0:
            self.limited[timestamp] -= 1
            return Response("slow down", status=429, content_type="text/plain")
        if timestamp in self.down:
            return Response("backend unavailable", status=503, content_type="text/plain")
        return Response(self.bodies[timestamp], content_type=JSON)


@pytest.fixture
def archive(home: Path):
    archive = Archive(home)
    yield archive
    archive.close()


def policy(server: HTTPServer, **changes) -> WaybackPolicy:
    base = server.url_for("/").rstrip("/")
    fast = Policy(retries=0, connect_timeout=2, read_timeout=2, deadline=5)
    return WaybackPolicy(cdx_url=f"{base}/cdx/search/cdx", archive_url=base, http=fast, **changes)


def imported(archive, server, sleeps: list[float], **changes):
    return import_wayback(
        archive,
        PAGE,
        source="airbrake",
        fmt="statuspage",
        policy=policy(server, **changes),
        sleep=sleeps.append,
    )


def capture_url(server: HTTPServer, timestamp: str) -> str:
    return f"{server.url_for('/').rstrip('/')}/web/{timestamp}id_/{PAGE}"


def test_captures_are_listed_page_by_page_and_ingested_at_capture_time(archive, httpserver):
    fake = FakeArchive(httpserver, limited={"20230415080000": 1})
    sleeps: list[float] = []
    summary = imported(archive, httpserver, sleeps)

    first, second = fake.cdx_queries
    assert first["url"] == PAGE and first["collapse"] == "digest" and first["output"] == "json"
    assert first["showResumeKey"] == "true" and "resumeKey" not in first
    assert second["resumeKey"] == PAGE_ONE[-1][0]
    # the 301 capture is never fetched; the rate-limited one twice
    assert fake.captures == [
        "20230413080000",
        "20230413100000",
        "20230414080000",
        "20230415080000",
        "20230415080000",
    ]
    assert (summary.found, summary.not_ok, summary.new, summary.unchanged) == (5, 1, 2, 1)
    [blocked] = summary.failures
    assert blocked.kind == "blocked" and blocked.reference == capture_url(
        httpserver, "20230413100000"
    )
    versions = archive.snapshots("airbrake")
    assert [(v["origin"], v["first_seen"]) for v in versions] == [
        ("wayback", "2023-04-13T08:00:00.000000Z"),
        ("wayback", "2023-04-14T08:00:00.000000Z"),
    ]
    assert versions[1]["reference"] == capture_url(httpserver, "20230414080000")
    assert versions[1]["last_seen"] == "2023-04-15T08:00:00.000000Z"
    [edit] = change_records(archive, Filters(sources=("airbrake",)))
    assert edit.after.reference == capture_url(httpserver, "20230414080000")
    assert edit.window_start == "2023-04-13T08:00:00.000000Z"


def test_waits_go_through_the_sleeper_politely(archive, httpserver):
    FakeArchive(httpserver, limited={"20230415080000": 1})
    sleeps: list[float] = []
    imported(archive, httpserver, sleeps, delay=1.0, cdx_interval=2.5, backoff=60.0)
    # captures 1s apart, one CDX pause between the pages, one minute after the 429
    assert sorted(sleeps) == [1.0, 1.0, 1.0, 2.5, 60.0]


def test_persistent_429_stops_the_import_after_a_bounded_number_of_tries(archive, httpserver):
    fake = FakeArchive(httpserver, limited={"20230413080000": 100})
    sleeps: list[float] = []
    summary = imported(archive, httpserver, sleeps, tries=4, backoff=60.0, backoff_cap=200.0)

    assert fake.captures == ["20230413080000"] * 4  # and nothing after it
    assert sleeps == [60.0, 120.0, 200.0]
    stopped = summary.stopped
    assert stopped is not None and stopped.reference == capture_url(httpserver, "20230413080000")
    assert "429 Too Many Requests 4 times (after 380 s" in (stopped.detail or "")
    assert "wait an hour" in (stopped.detail or "")
    assert (summary.found, summary.read, summary.retry_later) == (1, 0, 1)
    assert archive.snapshots("airbrake") == [] and archive.fetches("airbrake") == []


def test_persistent_429_on_the_listing_is_an_error_that_says_to_wait(archive, httpserver):
    httpserver.expect_request("/cdx/search/cdx").respond_with_data("slow down", status=429)
    with pytest.raises(ImportFailed, match="429 Too Many Requests 2 times.*wait an hour"):
        imported(archive, httpserver, [], tries=2)


def test_a_capture_the_archive_cannot_serve_stops_the_import_and_a_rerun_resumes(
    archive, httpserver
):
    fake = FakeArchive(httpserver, pages=(DAYS,), bodies=DAILY)
    fake.down.add("20230414080000")
    sleeps: list[float] = []
    first = imported(archive, httpserver, sleeps, retries=2, retry_wait=10.0)

    # retried twice, then nothing after it: a later version would bury it for good
    assert fake.captures == ["20230413080000"] + ["20230414080000"] * 3
    assert sleeps.count(10.0) == 2
    stopped = first.stopped
    assert stopped is not None and stopped.reference == capture_url(httpserver, "20230414080000")
    assert (stopped.kind, stopped.recorded) == ("http_5xx", False)
    assert (first.new, first.retry_later) == (1, 1)
    assert len(archive.fetches("airbrake")) == 1  # the failure is not stored: the rerun retries

    fake.down.clear()
    second = imported(archive, httpserver, [])
    assert (second.already_imported, second.too_old, second.new, second.stopped) == (1, 0, 2, None)
    versions = archive.snapshots("airbrake")
    assert [v["reference"] for v in versions] == [
        capture_url(httpserver, timestamp) for timestamp in DAILY
    ]
    assert [v["first_seen"][:10] for v in versions] == ["2023-04-13", "2023-04-14", "2023-04-15"]
    edits = change_records(archive, Filters(sources=("airbrake",)))
    assert len(edits) == 2
    assert all(edit.window_start <= edit.window_end for edit in edits)


def test_command_names_the_capture_it_stopped_at_and_exits_1(tracker, httpserver):
    # rate limited for good (--backoff 0: the test does not wait); a 5xx would wait 20 s
    fake = FakeArchive(httpserver, limited={"20230414080000": 100}, pages=(DAYS,), bodies=DAILY)
    base = httpserver.url_for("/").rstrip("/")
    options = ["--delay", "0", "--backoff", "0", "--cdx-url", f"{base}/cdx/search/cdx"]
    result = tracker(
        "import", "wayback", PAGE, "--source", "airbrake", *options, "--archive-url", base, code=1
    )
    assert capture_url(httpserver, "20230414080000") in result.stdout
    assert "429 Too Many Requests 5 times" in result.stdout
    assert "20230415080000" not in fake.captures


def test_a_second_import_fetches_no_capture_again(archive, httpserver):
    fake = FakeArchive(httpserver)
    imported(archive, httpserver, [])
    fetched = len(fake.captures)
    again = imported(archive, httpserver, [])
    assert (again.already_imported, again.read, again.not_ok) == (4, 0, 1)
    assert len(fake.captures) == fetched


def test_from_and_to_are_passed_to_the_cdx_api(archive, httpserver):
    fake = FakeArchive(httpserver)
    import_wayback(
        archive,
        PAGE,
        source="airbrake",
        start="20230413",
        end="20230414",
        policy=policy(httpserver),
        sleep=lambda _: None,
    )
    assert {(q["from"], q["to"]) for q in fake.cdx_queries} == {("20230413", "20230414")}
    assert archive.get_source("airbrake").format == "statuspage"  # auto, detected


def test_command_imports_with_no_delay(tracker, httpserver):
    FakeArchive(httpserver, pages=(PAGE_ONE[:-2] + PAGE_TWO[1:],))
    base = httpserver.url_for("/").rstrip("/")
    result = tracker(
        "import",
        "wayback",
        PAGE,
        "--source",
        "airbrake",
        "--format",
        "statuspage",
        "--delay",
        "0",
        "--cdx-url",
        f"{base}/cdx/search/cdx",
        "--archive-url",
        base,
    )
    assert "airbrake: 4 captures read: 2 new versions, 1 unchanged, 1 failed" in result.stdout
    assert "skipped 1 archived with an HTTP status other than 200" in result.stdout


def test_command_says_when_the_archive_has_no_captures(tracker, httpserver):
    httpserver.expect_request("/cdx/search/cdx").respond_with_data("[]", content_type=JSON)
    base = httpserver.url_for("/").rstrip("/")
    result = tracker(
        "import", "wayback", PAGE, "--source", "airbrake", "--cdx-url", f"{base}/cdx/search/cdx"
    )
    assert "airbrake: 0 captures read" in result.stdout
    assert "no captures found" in result.stdout


def test_command_rejects_a_malformed_date(tracker):
    result = tracker("import", "wayback", PAGE, "--source", "x", "--from", "2023-04", code=2)
    assert "2023-04" in result.stderr
