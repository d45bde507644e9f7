"""Time `tracker add --from` with 100 sources in one process, as a new user would run it.

Three figures, each next to its floor measured in the same run: 100 sources with their format
given (no fetch), 100 `auto` sources probed on a loopback server (a page each, eight at a time),
and the floor, a process that only starts and imports the CLI. Usage:
`python benchmarks/bench_sources.py`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from benchmarks.loopback import LoopbackServer

COUNT = 100
PAGE = json.dumps(
    {"page": {"id": "p", "name": "Example"}, "incidents": [], "scheduled_maintenances": []}
).encode()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        time.sleep(0.02)  # a nearby server's answer time
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: object) -> None:
        pass


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def sources_file(path: Path, base: str, fmt: str | None) -> Path:
    lines = []
    for i in range(COUNT):
        lines += ["[[source]]", f'name = "vendor-{i}"', f'url = "{base}/s{i}/api/v2/status.json"']
        if fmt:
            lines.append(f'format = "{fmt}"')
        lines.append("")
    path.write_text("\n".join(lines), "utf-8")
    return path


def main() -> None:
    server = LoopbackServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    tracker = [sys.executable, "-m", "tracker"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        floor = min(timed([sys.executable, "-c", "import tracker.cli"]) for _ in range(3))
        given = sources_file(root / "given.toml", base, "statuspage")
        auto = sources_file(root / "auto.toml", base, None)
        with_format = timed([*tracker, "--home", str(root / "a"), "add", "--from", str(given)])
        probed = timed([*tracker, "--home", str(root / "b"), "add", "--from", str(auto)])
        again = timed([*tracker, "--home", str(root / "a"), "add", "--from", str(given)])
    server.shutdown()
    print(
        f"  {COUNT} sources, format given   {with_format:6.2f} s   "
        f"floor: start + import {floor:.2f} s"
    )
    print(
        f"  {COUNT} sources, probed (auto)  {probed:6.2f} s   floor: {COUNT} x 20 ms / 8 at once "
        f"= {COUNT * 0.02 / 8:.2f} s + start"
    )
    print(f"  the same file again        {again:6.2f} s   floor: start + import {floor:.2f} s")


if __name__ == "__main__":
    main()
