"""A full check of 100 loopback pages, 10 rounds, next to its floor measured in the same run.

75 generic HTML pages of ~150 KB (benchmarks/sitegen.py: noise on every request — generation
time, CSRF token, request id, relative times, uptime figures) and 25 Statuspage JSON APIs (a
page-level `updated_at` that changes on every request). Each round ~5% of pages get a real
wording edit and ~5% a new update. Printed: planted edits found, false alarms (edit events
nobody planted), ms per page for `tracker fetch` against a bare concurrent GET + SHA-256 of
the same pages, and the archive's size after the run. Where a check's time goes: the processor
time of the storing process, of its children (the parsing workers, and the downloads of a check
of 32 pages or more) and of this bench's own page server per page, and the stages of reading
one HTML page (in a fresh interpreter and read again). A
changed page gets its second look (default settings), so each round with a change holds one
pause of `CONFIRM_DELAY` seconds.
`BENCH_QUICK=1` runs 3 rounds.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import requests

from benchmarks.loopback import LoopbackServer
from benchmarks.sitegen import page_bytes
from benchmarks.sizes import breakdown
from tracker.archive import Archive
from tracker.fetch import Policy
from tracker.ingest import CONFIRM_DELAY, fetch_sources
from tracker.publish.records import Filters, change_records
from tracker.sources import new_source

HTML_PAGES, JSON_PAGES = 75, 25
ROUNDS = 3 if os.environ.get("BENCH_QUICK") else 10
FIXTURE = (
    Path(__file__).parent.parent / "tests" / "fixtures" / "formats" / "statuspage-incidents.json"
)


class State:
    """What each page says this round: planted edits and additions, cumulative."""

    def __init__(self) -> None:
        self.round = 0
        self.edits: dict[int, list[tuple[int, int]]] = {}
        self.additions: dict[int, list[int]] = {}
        self.requests = 0
        self.lock = threading.Lock()
        self.serving = 0.0  # processor seconds this process spent generating and sending pages

    def body(self, index: int) -> tuple[bytes, str]:
        with self.lock:
            self.requests += 1
            seed = self.requests
        if index < HTML_PAGES:
            page = page_bytes(
                index, 0, seed, self.edits.get(index, ()), self.additions.get(index, ())
            )
            return page, "text/html; charset=utf-8"
        data = json.loads(FIXTURE.read_bytes())
        data["page"]["updated_at"] = f"2026-12-02T05:{seed % 60:02d}:{seed % 59:02d}.000Z"
        data["page"]["name"] = f"json-{index}"
        incidents = data["incidents"]
        for incident, update in self.edits.get(index, ()):
            target = incidents[incident % len(incidents)]["incident_updates"]
            target[update % len(target)]["body"] += f" Affected {incident + update + 7}% of calls."
        for incident in self.additions.get(index, ()):
            updates = incidents[incident % len(incidents)]["incident_updates"]
            new = dict(updates[0], id=f"new{index}x{incident}x{len(updates)}")
            new["body"] = f"We are still monitoring ({len(updates)})."
            updates.insert(0, new)
        return json.dumps(data).encode(), "application/json"


def serve(state: State) -> LoopbackServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            started = time.thread_time()
            try:
                self.answer()
            finally:
                spent = time.thread_time() - started
                with state.lock:
                    state.serving += spent

        def answer(self) -> None:
            if self.path == "/robots.txt":  # none: every page may be fetched
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            index = int(self.path.strip("/").split("/")[0][1:])
            body, kind = state.body(index)
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = LoopbackServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def floor(urls: list[str]) -> float:
    """Seconds for a bare concurrent GET + SHA-256 of every page, 8 at a time."""
    with requests.Session() as session:

        def get(url: str) -> str:
            return hashlib.sha256(session.get(url, timeout=30).content).hexdigest()

        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(get, urls))
        return time.perf_counter() - started


def cpu() -> tuple[float, float]:
    """Processor seconds so far: (this process, its children that have ended)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def parse_stages(count: int = 12) -> dict[str, dict[str, float]]:
    """Processor ms per page of each stage of reading a generic HTML page (a parsing worker's
    job), in this process: `cold` the first pass over `count` pages, as a worker of a nightly
    run reads them (its memos empty), `warm` a second pass over the same pages."""
    from tracker.extract import htmlpage, layout
    from tracker.extract.markup import decode_page
    from tracker.ingest import read

    pages = [page_bytes(index, 0, index + 1, (), ()) for index in range(count)]
    names = ("decode + parse (Lexbor)", "find the layout", "read incidents", "whole read")
    passes = {}
    for label in ("cold", "warm"):
        spent: dict[str, float] = dict.fromkeys(names, 0.0)
        for body in pages:
            started = time.process_time()
            read("html", body, "text/html; charset=utf-8", {}, None, ())
            spent["whole read"] += time.process_time() - started
        passes[label] = spent
    # The stages apart, on pages read once already (their memos as a whole read leaves them).
    spent = passes["warm"]
    for body in pages:
        marks = [time.process_time()]
        root = htmlpage.parse_markup("html", decode_page("html", body, "text/html; charset=utf-8"))
        marks.append(time.process_time())
        skip = htmlpage._invisible(root)
        found = layout.find_layout(root, skip)
        marks.append(time.process_time())
        assert found is not None
        layout.read_incidents(found, skip)
        marks.append(time.process_time())
        for name, start, end in zip(names, marks, marks[1:], strict=False):
            spent[name] += end - start
    return {
        label: {name: seconds / count * 1000 for name, seconds in spent.items() if seconds}
        for label, spent in passes.items()
    }


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def stored_bytes(archive: Archive, home: Path) -> tuple[int, int]:
    """(bytes of stored bodies, bytes of the whole data directory), the log checkpointed."""
    archive.db.execute("pragma wal_checkpoint(truncate)")
    (bodies,) = archive.db.execute("select coalesce(sum(length(data)), 0) from bodies").fetchone()
    return bodies, size(home)


def main() -> None:
    state = State()
    server = serve(state)
    host, port = server.server_address[:2]
    total = HTML_PAGES + JSON_PAGES
    urls = [f"http://{host}:{port}/p{i}/" for i in range(total)]
    rng = random.Random(2026)
    planted: dict[str, int] = {}
    floor_rss = 0.0
    times, floors = [], []
    grown: list[tuple[int, int]] = []  # (bodies, everything) after each round
    with tempfile.TemporaryDirectory() as temp:
        home = os.environ.get("BENCH_HOME") or temp  # BENCH_HOME=DIR keeps the archive
        archive = Archive(Path(home))
        for i, url in enumerate(urls):
            fmt = "html" if i < HTML_PAGES else "statuspage"
            archive.add_source(new_source(url, name=f"p{i}", fmt=fmt))
        for number in range(ROUNDS):
            if number:
                for index in rng.sample(range(total), 5):
                    used = state.edits.setdefault(index, [])
                    used.append((len(used) * 3 % 20, len(used) % 2))
                    planted[f"p{index}"] = planted.get(f"p{index}", 0) + 1
                for index in rng.sample(range(total), 5):
                    state.additions.setdefault(index, []).append(rng.randrange(20, 40))
            floors.append(floor(urls))
            if not number:  # what the bare GETs of every page take, before any check
                floor_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            started = time.perf_counter()
            outcomes = fetch_sources(archive, policy=Policy(workers=8))
            times.append(time.perf_counter() - started)
            failed = [o for o in outcomes if o.outcome == "failed"]
            assert not failed, failed[:2]
            grown.append(stored_bytes(archive, Path(home)))
        fetched = archive.db.execute("select count(*) from fetches").fetchone()[0]
        # Each kind of page on its own, next to its own floor (no change planted: noise only).
        split = {}
        usage: dict[str, tuple[float, float, float]] = {}  # per page: check, workers, server
        for kind, chosen in (("HTML", range(HTML_PAGES)), ("JSON", range(HTML_PAGES, total))):
            bare = floor([urls[i] for i in chosen])
            own, children = cpu()
            served = state.serving
            started = time.perf_counter()
            fetch_sources(archive, [f"p{i}" for i in chosen], policy=Policy(workers=8))
            split[kind] = ((time.perf_counter() - started) / len(chosen), bare / len(chosen))
            own_after, children_after = cpu()
            serving = state.serving - served
            usage[kind] = (
                (own_after - own - serving) / len(chosen),
                (children_after - children) / len(chosen),
                serving / len(chosen),
            )
        events: dict[str, int] = {}
        for record in change_records(archive, Filters()):
            events[record.source] = events.get(record.source, 0) + 1
            if os.environ.get("BENCH_SHOW"):
                e = record.event
                print(
                    record.source, e.kind, e.field, e.incident_key, e.update_key, e.old, "->", e.new
                )
        archive.close()
        stored = size(Path(home))
        tables = breakdown(Path(home) / "tracker.db")
    server.shutdown()
    found = sum(min(events.get(name, 0), count) for name, count in planted.items())
    false = sum(max(0, n - planted.get(name, 0)) for name, n in events.items())
    check = sum(times[1:]) / max(1, len(times) - 1) / total * 1000
    bare = sum(floors[1:]) / max(1, len(floors) - 1) / total * 1000
    print(
        f"{total} pages ({HTML_PAGES} HTML ~150 KB with noise, {JSON_PAGES} JSON), {ROUNDS} rounds"
    )
    print(f"  planted edits found   {found} of {sum(planted.values())}")
    print(f"  false alarms          {false}")
    first = times[0] / total * 1000
    print(f"  full check            {check:7.1f} ms/page   (first round {first:.1f})")
    print(f"  floor: GET + SHA-256  {bare:7.1f} ms/page   ratio {check / bare:.1f}x")
    for kind, (spent, bare) in split.items():
        target = 1.5 if kind == "HTML" else 1.2
        print(
            f"  {kind} pages alone       {spent * 1000:7.1f} ms/page   floor {bare * 1000:.1f} "
            f"ms/page   ratio {spent / bare:.1f}x (target {target}x)"
        )
    cores = len(os.sched_getaffinity(0))
    print(f"  where a check's time goes (processor ms per page, {cores} cores):")
    for kind, (check_cpu, workers, serving) in usage.items():
        busy = check_cpu + workers + serving
        print(
            f"    {kind}: storing process {check_cpu * 1000:.1f} (judging, storing; downloads too"
            " under 32 pages)"
            f" + its children (parsing workers, downloads) {workers * 1000:.1f}"
            f" + this bench's page server "
            f"{serving * 1000:.1f} = {busy * 1000:.1f}; on {cores} cores at least "
            f"{busy / cores * 1000:.1f} ms/page of wall time"
        )
    # In a fresh interpreter: this one has read pages already.
    stages = json.loads(
        subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_mix", "--stages"],
            cwd=Path(__file__).parent.parent,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    warm = stages["warm"]
    whole = warm.pop("whole read")
    print(
        f"    reading one HTML page alone: {stages['cold']['whole read']:.1f} ms in a fresh "
        f"worker, {whole:.1f} ms read again: "
        + ", ".join(f"{name} {ms:.1f}" for name, ms in warm.items())
        + f", the rest (noise masking, cutting into items, hashing) "
        f"{whole - sum(warm.values()):.1f}"
    )
    second = fetched - total * ROUNDS
    pause = CONFIRM_DELAY * 1000 / total
    print(
        f"  second looks          {second} pages fetched twice; the full check includes a "
        f"{CONFIRM_DELAY:g} s pause a round ({pause:.0f} ms/page)"
    )
    print(f"  archive after the run {stored / 1024 / 1024:.1f} MB (target 3 MB)")
    (first_bodies, first_all), (last_bodies, last_all) = grown[0], grown[-1]
    rounds = max(1, len(grown) - 1)
    print(
        f"    after the first round {first_all / 1024 / 1024:.1f} MB (bodies "
        f"{first_bodies / 1024 / 1024:.1f} MB, the rest what was read from them: incidents, "
        f"updates, wordings, search index)"
    )
    print(f"    by table, MB: {tables}")
    print(
        f"    each later round      +{(last_all - first_all) / rounds / 1024:.0f} KB (bodies "
        f"+{(last_bodies - first_bodies) / rounds / 1024:.0f} KB) for "
        f"{(fetched - total) / rounds:.0f} fetches, every one a distinct body"
    )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"  peak memory           {own:7.1f} MB (a forked child, pages it shares "
        f"with the check counted: {workers:.1f} MB)   "
        f"floor: after the bare GETs {floor_rss:.1f} MB"
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["--stages"]:
        print(json.dumps(parse_stages()))
    else:
        main()
