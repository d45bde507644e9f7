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
from tracker.outputs import Filters, change_records

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


class FakeArchive:
    """The CDX API and the `id_` capture server, counting what is asked of them."""

    def __init__(self, server: HTTPServer, limited: dict[str, int] | None = None, paged=True):
        self.cdx_queries: list[dict[str, str]] = []
        self.captures: list[str] = []
        self.limited = dict(limited or {})  # timestamp → how many 429s before answering
        self.paged = paged
        server.expect_request("/cdx/search/cdx").respond_with_handler(self.cdx)
        for timestamp in [*BODIES, "20230413090000"]:
            server.expect_request(f"/web/{timestamp}id_/{PAGE}").respond_with_handler(self.capture)

    def cdx(self, request: Request) -> Response:
        self.cdx_queries.append(dict(request.args))
        rows = PAGE_TWO if request.args.get("resumeKey") else PAGE_ONE
        if not self.paged:
            rows = PAGE_ONE[:-2] + PAGE_TWO[1:]
        return Response(json.dumps(rows), content_type=JSON)

    def capture(self, request: Request) -> Response:
        timestamp = request.path.split("/")[2].removesuffix("id_")
        self.captures.append(timestamp)
        if self.limited.get(timestamp, 0) > 0:
            self.limited[timestamp] -= 1
            return Response("slow down", status=429, content_type="text/plain")
        return Response(BODIES[timestamp], content_type=JSON)


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


def test_persistent_429_gives_up_after_a_bounded_number_of_tries(archive, httpserver):
    fake = FakeArchive(httpserver, limited={"20230413080000": 100})
    sleeps: list[float] = []
    with pytest.raises(ImportFailed, match="429 Too Many Requests 4 times.*wait an hour"):
        imported(archive, httpserver, sleeps, tries=4, backoff=60.0, backoff_cap=200.0)
    assert fake.captures == ["20230413080000"] * 4
    assert sleeps == [60.0, 120.0, 200.0]
    assert archive.snapshots("airbrake") == []


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
    FakeArchive(httpserver, paged=False)
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
