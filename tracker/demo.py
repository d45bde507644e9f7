"""The offline tour: replay a recorded history of two status pages through the real fetch path.

A server on 127.0.0.1 serves version k of each page on round k; `ingest.fetch_sources`
fetches, stores and compares them exactly as the nightly job would, at real times.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

from . import ingest, publish
from .archive import Archive
from .archive.home import run_lock
from .errors import UsageError
from .fetch import Policy
from .models import EditRecord, Outcome, Source
from .times import now_iso

DEFAULT_HOME = Path("snapshots-demo")
LOOPBACK = "127.0.0.1"
MARKER = ".tracker-demo"  # only a directory holding this file is ever emptied by the demo


@dataclass(frozen=True)
class Page:
    """One recorded page: where the demo server serves it, and its versions in order."""

    name: str
    format: str
    path: str
    content_type: str
    files: tuple[str, ...]


PAGES = (
    Page(
        "apple-demo",
        "apple",
        "/support/systemstatus/data/system_status_en_US.js",
        "application/javascript; charset=utf-8",
        ("apple/1.js", "apple/2.js", "apple/3.js"),
    ),
    Page(
        "statuspage-demo",
        "statuspage",
        "/api/v2/incidents.json",
        "application/json; charset=utf-8",
        ("statuspage/1.json", "statuspage/2.json", "statuspage/3.json", "statuspage/4.json"),
    ),
)
ROUNDS = max(len(page.files) for page in PAGES)


@dataclass(frozen=True)
class DemoResult:
    home: Path
    url: str  # where the recorded pages were served
    rounds: tuple[tuple[Outcome, ...], ...]
    edits: tuple[EditRecord, ...]  # most significant first
    report: Path  # the report's index.html


def run_demo(
    home: Path = DEFAULT_HOME, on_round: Callable[[int, list[Outcome]], None] | None = None
) -> DemoResult:
    """Start `home` afresh, replay every round, and write the report into `home/report`."""
    home = Path(home)
    check_demo_home(home)
    home.mkdir(parents=True, exist_ok=True)
    with run_lock(home, "demo"):
        _empty(home)
        (home / MARKER).write_text("made by `tracker demo`; the demo empties it on every run\n")
        archive = Archive(home)
        try:
            return _replay(archive, on_round)
        finally:
            archive.close()


def check_demo_home(home: Path) -> None:
    """Refuse any directory the demo did not make: it is about to be emptied."""
    if home.exists() and not home.is_dir():
        raise UsageError(f"{home} is a file; pass --home with a directory for the demo")
    if home.is_dir() and any(home.iterdir()) and not (home / MARKER).exists():
        raise UsageError(
            f"{home} is not empty and was not made by `tracker demo`; it is left alone: "
            "pass --home with a new directory for the demo"
        )


def _empty(home: Path) -> None:
    for entry in home.iterdir():
        if entry.name == "lock":  # held by this run
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _replay(archive: Archive, on_round: Callable[[int, list[Outcome]], None] | None) -> DemoResult:
    rounds: list[tuple[Outcome, ...]] = []
    with serve_history() as (base_url, server):
        for page in PAGES:
            archive.add_source(Source(page.name, base_url + page.path, page.format, {}, now_iso()))
        names = [page.name for page in PAGES]
        policy = Policy(retries=0, connect_timeout=5, read_timeout=5, deadline=10)
        for number in range(1, ROUNDS + 1):
            server.round = number
            # The recorded pages hold still within a round: a second look would fetch the
            # same bytes again, so the tour takes none (its eight fetch records are the tour's).
            outcomes = ingest.fetch_sources(archive, names, policy, confirm_delay=0)
            rounds.append(tuple(outcomes))
            if on_round:
                on_round(number, outcomes)
    filters = publish.records.Filters(sources=tuple(names))
    edits = publish.records.change_records(archive, filters)
    publish.write_report(archive, archive.home / "report", filters)
    return DemoResult(
        home=archive.home,
        url=base_url,
        rounds=tuple(rounds),
        edits=tuple(edits),
        report=archive.home / "report" / "index.html",
    )


# -- the local server ----------------------------------------------------------------------------


class HistoryServer(ThreadingHTTPServer):
    """Serves, for each page, the version of the current round (the last one once it runs out)."""

    daemon_threads = True
    round = 1

    def version(self, path: str) -> tuple[Page, bytes] | None:
        for page in PAGES:
            if page.path == path:
                name = page.files[min(self.round, len(page.files)) - 1]
                return page, _recorded(name)
        return None


class _Handler(BaseHTTPRequestHandler):
    server: HistoryServer

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        found = self.server.version(self.path.split("?", 1)[0])
        if found is None:
            self.send_error(404)
            return
        page, body = found
        self.send_response(200)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # the demo prints its own account of each round


@contextmanager
def serve_history() -> Iterator[tuple[str, HistoryServer]]:
    """The recorded pages on http://127.0.0.1:<free port>, for the duration of the block."""
    server = HistoryServer((LOOPBACK, 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, name="demo-server", daemon=True)
    thread.start()
    try:
        with _no_proxy_for_loopback():
            yield f"http://{LOOPBACK}:{server.server_port}", server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def _no_proxy_for_loopback() -> Iterator[None]:
    """An HTTP proxy set in the environment must not intercept the demo's local server."""
    saved = {key: os.environ.get(key) for key in ("NO_PROXY", "no_proxy")}
    for key, value in saved.items():
        os.environ[key] = ",".join(filter(None, [value, "127.0.0.1", "localhost"]))
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _recorded(name: str) -> bytes:
    return (resources.files("tracker") / "data" / "demo" / name).read_bytes()
