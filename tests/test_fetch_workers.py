"""A check of many pages parses them on worker processes: what it stores is what a check of
one page at a time (parsed in the calling process) stores."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

from pytest_httpserver import HTTPServer

from tests.conftest import FIXTURES, Tracker
from tracker import ingest as ingest_module
from tracker.archive import Archive
from tracker.extract.parallel import MIN_PAGES, Extractors
from tracker.fetch import Policy
from tracker.ingest import Reading, fetch_sources, ingest, latest, read
from tracker.models import FetchResult, Outcome
from tracker.noise import Signature
from tracker.sources import new_source

FORMATS = FIXTURES / "formats"
# (name, fixture, format, content type): more pages than MIN_PAGES, in several formats.
PAGES = [
    ("sp-incidents", "statuspage-incidents.json", "statuspage", "application/json"),
    ("sp-summary", "statuspage-summary.json", "statuspage", "application/json"),
    ("sp-cloudflare", "statuspage-summary-cloudflare.json", "statuspage", "application/json"),
    ("sp-incident", "statuspage-incident.json", "statuspage", "application/json"),
    ("sp-page", "statuspage-page.html", "statuspage", "text/html; charset=utf-8"),
    ("sp-atom", "statuspage-history.atom", "feed", "application/atom+xml"),
    ("gcp", "gcp-incidents.json", "gcp", "application/json"),
    ("gcp-2020", "gcp-incidents-2020-schema.json", "gcp", "application/json"),
    ("slack", "slack-history.json", "slack", "application/json"),
    ("apple", "apple-developer-system-status.json", "apple", "application/json"),
    ("aws", "aws-legacy-data.json", "aws", "application/json"),
    ("generic", "statuspage-page.html", "html", "text/html; charset=utf-8"),
    *[
        (f"generic-{n}", "statuspage-page.html", "html", "text/html; charset=utf-8")
        for n in range(2, 9)
    ],
]
# An error page where JSON belongs: a failed fetch, never a version, wherever it is parsed.
BROKEN = ("broken", b"<html><body>Service Unavailable</body></html>", "statuspage", "text/html")


def serve(httpserver: HTTPServer, edit: bool) -> None:
    httpserver.clear()
    for name, fixture, _, kind in PAGES:
        body = (FORMATS / fixture).read_bytes()
        if edit and name == "gcp":
            body = body.replace(b"us-west1", b"us-west2", 1)
        if edit and name == "sp-incidents":
            body = body.replace(b"investigating", b"looking into", 1)
        httpserver.expect_request(f"/{name}").respond_with_data(body, content_type=kind)
    httpserver.expect_request("/broken").respond_with_data(BROKEN[1], content_type=BROKEN[3])


def add_all(tracker: Tracker, httpserver: HTTPServer) -> list[str]:
    names = []
    for name, _, fmt, _ in [*PAGES, BROKEN]:
        tracker("add", httpserver.url_for(f"/{name}"), "--name", name, "--format", fmt)
        names.append(name)
    return names


def shown(t: Tracker, name: str) -> dict:
    """`show --json` but for when the page was fetched and the id its version got."""
    data = t.json("show", name, "--json")
    return {k: v for k, v in data.items() if k not in ("first_seen", "last_seen", "snapshot")}


_READ = ingest_module.read


def _noted_read(*args):
    """`ingest.read`, noting in a file which process read what: (pid, content type)."""
    with open(os.environ["READ_NOTES"], "a") as notes:
        notes.write(f"{os.getpid()} {args[2]}\n")
    return _READ(*args)


def test_many_pages_store_what_one_page_at_a_time_stores(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch
):
    html = [name for name, _, _, kind in PAGES if kind.startswith("text/html")]
    assert len(html) >= MIN_PAGES
    notes = tmp_path / "notes"
    monkeypatch.setenv("READ_NOTES", str(notes))
    monkeypatch.setattr(ingest_module, "read", _noted_read)
    together, alone = Tracker(tmp_path / "together"), Tracker(tmp_path / "alone")
    for t in (together, alone):
        t.home.mkdir()
    names = add_all(together, httpserver)
    add_all(alone, httpserver)
    for edit in (False, True):
        serve(httpserver, edit)
        together("fetch", "-q", code=1)  # `broken` fails
        for name in names:
            alone("fetch", "-q", name, code=1 if name == "broken" else 0)

    for name in names:
        log = [
            (row["outcome"], row["error"], row["sha256"])
            for row in together.json("log", name, "--json")
        ]
        assert log == [
            (row["outcome"], row["error"], row["sha256"])
            for row in alone.json("log", name, "--json")
        ], name
        if name != "broken":
            assert shown(together, name) == shown(alone, name), name
    assert [o for o, _, _ in log] == ["failed", "failed"]

    def edits(t: Tracker) -> list[tuple]:
        return sorted(
            (e["source"], e["kind"], e["incident"], e["update"], e["old"], e["new"], e["flags"])
            for e in t.json("changes", "--json")
        )

    found = edits(together)
    assert found == edits(alone)
    assert {source for source, *_ in found} == {"gcp", "sp-incidents"}
    # The HTML pages of the check of many were read on workers; small JSON bodies here.
    here = str(os.getpid())
    readers = [line.split(" ", 1) for line in notes.read_text().splitlines()]
    on_workers = [kind for pid, kind in readers if pid != here]
    assert on_workers and all(kind.startswith("text/html") for kind in on_workers)
    assert len(on_workers) >= 2 * len(html)  # fetched twice by the check of many
    assert any(kind.startswith("application/json") for pid, kind in readers if pid == here)


def test_a_workers_reading_is_used_only_while_it_still_holds(home: Path):
    """A worker reads a page with the noise it was given and is told the last version's hash;
    the process that stores it reads the page again when either no longer holds."""
    archive = Archive(home)
    url = "http://127.0.0.1:9/x"
    source = archive.add_source(new_source(url, name="x", fmt="statuspage"))
    kind = "application/json"
    body = (FORMATS / "statuspage-incidents.json").read_bytes()
    edited = body.replace(b"investigating", b"looking into", 1)

    def fetched(data: bytes) -> FetchResult:
        at = "2026-12-02T10:00:00Z"
        return FetchResult(url, at, at, 200, url, {"Content-Type": kind}, body=data)

    assert ingest(archive, source, fetched(body)).outcome == "new"
    # A reading of the old body masked with noise the source has not learned: read again, so
    # the edited body is a new version, not the old one seen again.
    stale = replace(read("statuspage", body, kind, {}, url, ()), learned=(Signature("a", "b"),))
    assert ingest(archive, source, fetched(edited), extracted=lambda: stale).outcome == "new"
    # "The last version again", said of a version that is not the last: not believed.
    wrong = Reading(None, None, "0" * 64, ())
    assert ingest(archive, source, fetched(body), extracted=lambda: wrong).outcome == "new"
    last = latest(archive, "x")
    assert last is not None
    same = read("statuspage", body, kind, {}, url, (), known=last["doc_hash"])
    assert same.document is None and same.document_hash == last["doc_hash"]
    done = ingest(archive, source, fetched(body), extracted=lambda: same)
    assert (done.outcome, done.snapshot_id) == ("unchanged", last["id"])
    assert [f["outcome"] for f in archive.fetches("x")] == ["unchanged", "new", "new", "new"]
    archive.close()


def test_a_large_check_tells_a_pages_outcome_once_it_is_committed(
    home: Path, httpserver: HTTPServer
):
    """The pages the workers have read are stored a batch at a time, in one transaction; a
    page is reported done only when another connection can read its fetch record."""
    body = (FORMATS / "statuspage-page.html").read_bytes()  # HTML: read on the workers
    archive = Archive(home)
    names = [f"p{i}" for i in range(MIN_PAGES + 4)]
    for name in names:
        httpserver.expect_request(f"/{name}").respond_with_data(body, content_type="text/html")
        url = httpserver.url_for(f"/{name}")
        archive.add_source(new_source(url, name=name, fmt="html"))
    told: list[tuple[str, str, str]] = []

    def committed(outcome: Outcome) -> None:
        with sqlite3.connect(home / "tracker.db") as other:
            [(recorded,)] = other.execute(
                "select group_concat(outcome) from fetches f join sources s on s.id = f.source_id "
                "where s.name = ?",
                [outcome.source],
            ).fetchall()
        told.append((outcome.source, outcome.outcome, recorded))

    policy = Policy(workers=4)
    for _ in range(2):
        fetch_sources(archive, policy=policy, on_outcome=committed, confirm_delay=0)
    archive.close()
    assert sorted(told) == sorted(
        [(n, "new", "new") for n in names] + [(n, "unchanged", "new,unchanged") for n in names]
    )


def test_an_interrupt_is_left_to_the_run_not_printed_by_a_worker(capfd):
    """Ctrl-C reaches every process of the group: the run stops its workers itself."""
    pool = Extractors(workers=1)
    try:
        pid, _ = pool.submit(os.getpid).result()
        os.kill(pid, signal.SIGINT)
        time.sleep(0.2)
        assert pool.submit(os.getpid).result() == (pid, None)  # still there, still working
    finally:
        pool.close()
    assert "Traceback" not in capfd.readouterr().err
