"""Time `tracker fetch` for 200 sources served from 127.0.0.1, with 8 workers and with 1.

Each source is a Statuspage incidents.json served by a threaded local server that answers after
a small delay, as a real status host would; the figure is wall-clock seconds for the whole run.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from benchmarks.loopback import LoopbackServer
from tracker.archive import Archive
from tracker.fetch import Policy
from tracker.ingest import fetch_sources
from tracker.sources import new_source

BODY = (
    Path(__file__).parent.parent / "tests" / "fixtures" / "http" / "incidents.json"
).read_bytes()
LATENCY = 0.05  # seconds the server takes to answer, like a nearby CDN edge


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        time.sleep(LATENCY)
        data = json.loads(BODY)
        data["page"]["name"] = self.path  # every source has its own page
        body = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def run(sources: int, workers: int, hosts: int) -> float:
    servers = [LoopbackServer(("127.0.0.1", 0), Handler) for _ in range(hosts)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with tempfile.TemporaryDirectory() as home:
            archive = Archive(Path(home))
            for i in range(sources):
                host, port = servers[i % hosts].server_address[:2]
                url = f"http://{host}:{port}/s{i}/api/v2/incidents.json"
                archive.add_source(new_source(url, name=f"s{i}", fmt="statuspage"))
            started = time.perf_counter()
            outcomes = fetch_sources(archive, policy=Policy(workers=workers))
            elapsed = time.perf_counter() - started
            assert all(o.outcome == "new" for o in outcomes), outcomes[:3]
            archive.close()
            return elapsed
    finally:
        for server in servers:
            server.shutdown()


def main() -> None:
    sources = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    # 20 hosts so the per-host limit (2 in flight) is not the only bound, as in a real catalog.
    for workers in (8, 1):
        elapsed = run(sources, workers, hosts=20)
        print(
            f"fetch {sources} sources from 127.0.0.1, {workers} workers: {elapsed:.2f} s "
            f"({sources / elapsed:.0f} sources/s)"
        )


if __name__ == "__main__":
    main()
