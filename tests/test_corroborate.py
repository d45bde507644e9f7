"""`tracker corroborate`: Wayback captures around an edit, against a fake CDX/archive server.

The archive is the previous release's fixture (tests/fixtures/archive-v0): Apple's July 2013
iMessage notice, "30 percent of users" seen at 2013-07-22 19:30, "some users" at 2013-07-23
08:00. The fake server on 127.0.0.1 lists captures before, inside and after that window and
serves the two bodies Apple served; one capture answers 429 before it is served.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, Tracker
from werkzeug import Request, Response

URL = "https://www.apple.com/support/systemstatus/data/system_status_en_US.js"
CAPTURE = re.compile(r"^/web/(\d{14})id_/(.+)$")


@pytest.fixture
def archive(tmp_path: Path) -> Tracker:
    home = tmp_path / "home"
    shutil.copytree(FIXTURES / "archive-v0" / "home", home)
    return Tracker(home)


def apple_edit(archive: Tracker) -> dict:
    [edit] = [
        e
        for e in archive.json("changes", "--json", "--source", "apple")
        if e["kind"] == "update_edited"
    ]
    return edit


class FakeWayback:
    """The CDX API and the capture server, with what each capture serves."""

    def __init__(self, httpserver, captures: dict[str, tuple[int, bytes]], listed: list[list]):
        self.captures = captures
        self.asked: list[str] = []
        self.limited: set[str] = set()
        self.saved: list[str] = []
        self.cdx_queries: list[dict] = []
        header = ["timestamp", "original", "statuscode", "digest", "mimetype"]

        def cdx(request: Request) -> Response:
            self.cdx_queries.append(dict(request.args))
            return Response(json.dumps([header, *listed]), content_type="application/json")

        def web(request: Request) -> Response:
            match = CAPTURE.match(request.path)
            assert match, request.path
            stamp = match.group(1)
            self.asked.append(stamp)
            status, body = self.captures[stamp]
            if status == 429 and stamp not in self.limited:
                self.limited.add(stamp)
                return Response("slow down", status=429, headers={"Retry-After": "0"})
            return Response(body, status=200, content_type="application/javascript")

        def save(request: Request) -> Response:
            self.saved.append(request.path)
            return Response(
                "saved",
                headers={"Content-Location": f"/web/20261202120000/{URL}"},
            )

        httpserver.expect_request("/cdx/search/cdx").respond_with_handler(cdx)
        httpserver.expect_request(re.compile("^/web/")).respond_with_handler(web)
        httpserver.expect_request(re.compile("^/save/")).respond_with_handler(save)


def options(httpserver) -> list[str]:
    return [
        "--cdx-url",
        httpserver.url_for("/cdx/search/cdx"),
        "--archive-url",
        httpserver.url_for("/").rstrip("/"),
        "--save-url",
        httpserver.url_for("/save"),
        "--delay",
        "0",
        "--backoff",
        "0",
    ]


def row(stamp: str, status: str = "200") -> list:
    return [stamp, URL, status, f"D{stamp}", "application/javascript"]


def test_captures_around_the_window_show_the_old_and_the_new_wording(archive, httpserver):
    old = archive("raw", "apple", "--version", "6").stdout_bytes
    new = archive("raw", "apple", "--version", "7").stdout_bytes
    assert b"30 percent" in old and b"some users" in new
    fake = FakeWayback(
        httpserver,
        {
            "20130722100000": (200, old),  # before the window
            "20130722213000": (200, old),  # inside, still the old wording
            "20130723033000": (429, new),  # inside, the new wording, after one 429
            "20130723120000": (200, new),  # after
            "20130724120000": (200, b"<html>Service unavailable</html>"),  # after, neither
        },
        [
            row("20130722100000"),
            row("20130722213000"),
            row("20130723010000", "404"),  # archived as an error: never fetched
            row("20130723033000"),
            row("20130723120000"),
            row("20130724120000"),
        ],
    )
    edit = apple_edit(archive)
    result = archive("corroborate", str(edit["id"]), *options(httpserver))
    out = result.stdout
    lines = out.splitlines()
    archive_url = httpserver.url_for("/").rstrip("/")

    def line_of(stamp: str) -> str:
        [found] = [line for line in lines if f"{archive_url}/web/{stamp}/{URL}" in line]
        return found

    assert "before" in line_of("20130722100000") and "the old wording" in line_of("20130722100000")
    assert "inside" in line_of("20130722213000") and "the old wording" in line_of("20130722213000")
    assert "inside" in line_of("20130723033000") and "the new wording" in line_of("20130723033000")
    assert "after" in line_of("20130723120000") and "the new wording" in line_of("20130723120000")
    assert "neither wording" in line_of("20130724120000")
    assert "old wording in 2, new wording in 2, both in 0, neither in 1" in out
    assert "6 captures listed" in out and "5 read" in out
    assert "20130723010000" not in fake.asked  # a 404 capture is not fetched
    assert fake.asked.count("20130723033000") == 2  # the 429, then the capture
    # The CDX range is the window widened by --days on each side.
    [query] = fake.cdx_queries
    assert query["url"] == URL
    assert query["from"] == "20130715193000" and query["to"] == "20130730080000"
    data = archive.json("corroborate", str(edit["id"]), "--json", *options(httpserver))
    assert [c["shows"] for c in data["captures"]] == ["old", "old", "new", "new", "neither"]
    assert [c["position"] for c in data["captures"]] == [
        "before",
        "inside",
        "inside",
        "after",
        "after",
    ]
    assert data["captures"][0]["raw_url"] == f"{archive_url}/web/20130722100000id_/{URL}"
    assert fake.saved == []


def test_around_limits_the_captures_read_outside_the_window(archive, httpserver):
    old = archive("raw", "apple", "--version", "6").stdout_bytes
    stamps = [f"201307{day:02d}120000" for day in range(15, 22)]
    fake = FakeWayback(httpserver, {s: (200, old) for s in stamps}, [row(s) for s in stamps])
    edit = apple_edit(archive)
    archive("corroborate", str(edit["id"]), "--around", "2", *options(httpserver))
    assert fake.asked == stamps[-2:]


def test_an_archive_that_keeps_answering_429_stops_the_reading(archive, httpserver):
    stamps = ["20130723033000", "20130723120000"]
    asked: list[str] = []

    def always_limited(request: Request) -> Response:
        asked.append(request.path)
        return Response("slow down", status=429)

    header = ["timestamp", "original", "statuscode", "digest", "mimetype"]
    httpserver.expect_request("/cdx/search/cdx").respond_with_json(
        [header, *[row(s) for s in stamps]]
    )
    httpserver.expect_request(re.compile("^/web/")).respond_with_handler(always_limited)
    edit = apple_edit(archive)
    result = archive("corroborate", str(edit["id"]), *options(httpserver), code=1)
    assert "Traceback" not in result.output
    lines = result.stdout.splitlines()
    assert all("not fetched" in line for line in lines if "/web/" in line)
    assert any("429" in line for line in lines if "/web/" in line)
    # Five tries of the first capture, then the archive is left alone.
    assert len(asked) == 5 and all(stamps[0] in path for path in asked)


def test_save_asks_for_a_capture_now(archive, httpserver):
    fake = FakeWayback(httpserver, {}, [])
    edit = apple_edit(archive)
    result = archive("corroborate", str(edit["id"]), "--save", *options(httpserver))
    [path] = fake.saved
    assert path.startswith("/save/https:/") and path.endswith(URL.split("://")[1])
    archive_url = httpserver.url_for("/").rstrip("/")
    assert f"saved now: {archive_url}/web/20261202120000/{URL}" in result.stdout
    assert "0 captures listed" in result.stdout


def test_an_unknown_edit_is_one_line(archive, httpserver):
    result = archive("corroborate", "9999", *options(httpserver), code=2)
    assert result.stderr.strip() == (
        "tracker: no edit 9999; `tracker changes --json` lists edit ids"
    )
