"""A check of many pages downloads them in a child process while the run stores what they
bring: each result reaches its own source, a child killed half way leaves the rest to be
fetched by the run, an interrupt stops the child, and deadlines hold there."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.test_fetch import drip_headers, raw_server
from tracker import downloads
from tracker import fetch as fetch_module
from tracker import ingest as ingest_module
from tracker.archive import Archive
from tracker.fetch import Policy, make_session
from tracker.ingest import fetch_sources
from tracker.sources import new_source

PAYLOAD = json.loads((FIXTURES / "formats" / "statuspage-incidents.json").read_text())
PAGES = downloads.MIN_JOBS + 4
_FETCH = fetch_module._fetch
PACE = {"seconds": 0.0}  # how long the server takes over each page


def page(number: int) -> bytes:
    """Airbrake's incidents.json, its first incident named after the page."""
    data = json.loads(json.dumps(PAYLOAD))
    data["incidents"][0]["name"] = f"Page {number}: {data['incidents'][0]['name']}"
    return json.dumps(data).encode()


def answer(handler: BaseHTTPRequestHandler) -> None:
    if handler.path == "/robots.txt":
        handler.send_error(404)
        return
    if handler.path == "/stall":
        drip_headers(handler)
        return
    time.sleep(PACE["seconds"])
    body = page(int(handler.path.strip("/p")))
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@contextmanager
def pages(home: Path, extra: tuple[str, ...] = ()) -> Iterator[Archive]:
    with raw_server(answer) as url:
        archive = Archive(home)
        for number in range(PAGES):
            archive.add_source(new_source(f"{url}/p{number}", name=f"p{number}", fmt="statuspage"))
        for path in extra:
            archive.add_source(new_source(f"{url}/{path}", name=path, fmt="statuspage"))
        try:
            yield archive
        finally:
            archive.close()


def _noted_fetch(session, url, *args, **kwargs):
    """`fetch._fetch`, noting which process fetched what; the child given a `KILL_AT`
    kills itself (SIGKILL) as it starts its fetch of that many."""
    with open(os.environ["FETCH_NOTES"], "a") as notes:
        notes.write(f"{os.getpid()} {url}\n")
    pid = str(os.getpid())
    if pid != os.environ["RUN_PID"] and "KILL_AT" in os.environ:
        with open(os.environ["FETCH_NOTES"]) as notes:
            if sum(1 for line in notes if line.startswith(f"{pid} ")) >= int(os.environ["KILL_AT"]):
                os.kill(os.getpid(), signal.SIGKILL)
    return _FETCH(session, url, *args, **kwargs)


@pytest.fixture
def notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "fetched"
    monkeypatch.setenv("FETCH_NOTES", str(path))
    monkeypatch.setenv("RUN_PID", str(os.getpid()))
    monkeypatch.setattr(fetch_module, "_fetch", _noted_fetch)
    return path


def fetchers(notes: Path) -> dict[str, str]:
    """{url: the pid that fetched it} of the pages (robots.txt is asked by the run), each
    fetched once."""
    lines = [line.split(" ", 1) for line in notes.read_text().splitlines()]
    lines = [(pid, url) for pid, url in lines if not url.endswith("/robots.txt")]
    urls = [url for _, url in lines]
    assert len(urls) == len(set(urls)), urls
    return {url: pid for pid, url in lines}


def test_each_page_downloaded_in_the_child_is_stored_under_its_own_source(home, notes):
    with pages(home) as archive:
        outcomes = fetch_sources(archive, policy=Policy(workers=4), confirm_delay=0)
        assert [o.outcome for o in outcomes] == ["new"] * PAGES
        for number in range(PAGES):
            (version,) = archive.latest_snapshots(f"p{number}")
            assert archive.body(version["sha256"]) == page(number), number
    pids = set(fetchers(notes).values())
    assert len(pids) == 1 and pids != {str(os.getpid())}


def test_a_check_of_few_pages_downloads_them_in_the_run(home, notes, monkeypatch):
    monkeypatch.setattr(downloads, "MIN_JOBS", PAGES + 1)
    with pages(home) as archive:
        fetch_sources(archive, policy=Policy(workers=4), confirm_delay=0)
    assert set(fetchers(notes).values()) == {str(os.getpid())}


def test_a_child_killed_half_way_leaves_the_rest_to_the_run(home, notes, monkeypatch):
    monkeypatch.setenv("KILL_AT", "5")
    with pages(home) as archive:
        outcomes = fetch_sources(archive, policy=Policy(workers=1), confirm_delay=0)
        assert [o.outcome for o in outcomes] == ["new"] * PAGES
        # One fetch record a page: what the child fetched before it died is not fetched again,
        # what it was fetching when it died was never reported, so it is fetched by the run.
        for number in range(PAGES):
            assert [f["outcome"] for f in archive.fetches(f"p{number}")] == ["new"], number
    lines = [line.split(" ", 1) for line in notes.read_text().splitlines()]
    child = [url for pid, url in lines if pid != str(os.getpid())]
    here = [url for pid, url in lines if pid == str(os.getpid()) and "/p" in url]
    # The child started five fetches and brought back at most four (it may die while sending
    # one); the run fetched the rest, the page the child died on included.
    assert len(child) == 5 and child[-1] in here and len(here) >= PAGES - 4
    assert len(set(child) | set(here)) == PAGES


def test_an_interrupt_while_storing_stops_the_child(home, notes, monkeypatch):
    monkeypatch.setitem(PACE, "seconds", 0.3)  # the child would go on for seconds
    told: list[str] = []

    def interrupted(outcome) -> None:
        told.append(outcome.source)
        if len(told) == 3:
            raise KeyboardInterrupt

    with pages(home) as archive:
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            fetch_sources(
                archive, policy=Policy(workers=1), on_outcome=interrupted, confirm_delay=0
            )
        # Stopped at once: not after the child had fetched the other pages (0.3 s each).
        assert time.monotonic() - started < 2.4
        stored = sum(len(archive.fetches(f"p{number}")) for number in range(PAGES))
    assert stored == 3
    assert not [p for p in multiprocessing.active_children() if p.name == "downloads"]
    time.sleep(0.7)  # two pages' time: a child that lived on would have noted them
    assert len(fetchers(notes)) <= 4


def test_the_deadline_holds_in_the_child_after_the_run_fetched_already(home):
    """The run's deadline thread is running when the child is forked (a page was fetched
    before): the child keeps deadlines of its own."""
    with pages(home, extra=("stall",)) as archive:
        policy = Policy(read_timeout=5, deadline=1, retries=0)
        with make_session(policy) as session:
            first = archive.get_source("p0").url
            assert fetch_module.fetch_url(session, first, policy).status == 200
        started = time.monotonic()
        outcomes = fetch_sources(archive, policy=policy, confirm_delay=0)
        elapsed = time.monotonic() - started
    failed = [(o.source, o.error) for o in outcomes if o.outcome == "failed"]
    assert failed == [("stall", "timeout")]
    assert elapsed < 5  # the headers alone drip for ten seconds


@pytest.mark.parametrize("apart", [True, False], ids=["in-a-child", "in-the-run"])
def test_pages_that_piled_up_are_stored_in_one_transaction_and_told_once_committed(
    home, monkeypatch, apart
):
    """While the run stores, the downloads go on (in the child, or on the run's threads): what
    arrived meanwhile is stored together (one commit), and each page is told only once another
    connection can read it."""
    if not apart:
        monkeypatch.setattr(downloads, "MIN_JOBS", PAGES + 1)
    told: list[tuple[str, str]] = []
    commits: list[str] = []

    def committed(outcome) -> None:
        with sqlite3.connect(home / "tracker.db") as other:
            (recorded,) = other.execute(
                "select count(*) from fetches f join sources s on s.id = f.source_id "
                "where s.name = ?",
                [outcome.source],
            ).fetchone()
        told.append((outcome.source, recorded))
        time.sleep(0.05)  # a slow reader of outcomes: the downloads pile up meanwhile

    with pages(home) as archive:
        archive.db.conn.set_trace_callback(
            lambda statement: commits.append(statement) if statement == "commit" else None
        )
        outcomes = fetch_sources(
            archive, policy=Policy(workers=4), on_outcome=committed, confirm_delay=0
        )
        archive.db.conn.set_trace_callback(None)
    assert [o.outcome for o in outcomes] == ["new"] * PAGES
    assert sorted(told) == sorted((f"p{number}", 1) for number in range(PAGES))
    assert len(commits) < PAGES / 2, len(commits)


@pytest.mark.parametrize("apart", [True, False], ids=["in-a-child", "in-the-run"])
def test_an_interrupt_keeps_every_page_that_had_arrived(home, monkeypatch, apart):
    """Pages wait to be stored together while more arrive: Ctrl-C in that wait still keeps
    each page that had arrived (one fetch record each), as storing each on arrival did."""
    if not apart:
        monkeypatch.setattr(downloads, "MIN_JOBS", PAGES + 1)
    arrived: list[str] = []
    real = ingest_module.fetch_apart

    def interrupted(jobs, policy, on_result, *rest):
        def counted(job, result):
            on_result(job, result)
            arrived.append(job.key)
            if len(arrived) == PAGES // 2:
                raise KeyboardInterrupt  # the user presses Ctrl-C now

        return real(jobs, policy, counted, *rest)

    monkeypatch.setattr(ingest_module, "fetch_apart", interrupted)
    with pages(home) as archive:
        with pytest.raises(KeyboardInterrupt):
            fetch_sources(archive, policy=Policy(workers=8), confirm_delay=0)
        kept = {name: len(archive.fetches(name)) for name in arrived}
    assert len(arrived) == PAGES // 2
    assert kept == dict.fromkeys(arrived, 1)
