"""Check by hand that pywb replays a WARC file from `tracker export --format warc`.

pywb is large and not a dependency of status-tracker, so this is not part of the tests.
Install it apart and point this script at it:

    python3 -m venv /tmp/pywbvenv && /tmp/pywbvenv/bin/pip install pywb
    tracker export --format warc -o /tmp/archive.warc.gz
    python docs/pywb_replay.py /tmp/archive.warc.gz --pywb /tmp/pywbvenv/bin

It makes a pywb collection in a temporary directory, adds the file (`wb-manager add`), starts
`wayback` on a free port of 127.0.0.1, asks it for every response record at its own capture
time in the raw `id_` form, and compares the bytes replayed with the bytes in the record.
Exit status 0 when every record replays exactly, 1 otherwise.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import requests
from warcio.archiveiterator import ArchiveIterator


def responses(path: Path) -> list[tuple[str, str, bytes]]:
    """(target URI, 14-digit timestamp, payload) of every response record."""
    found = []
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle, check_digests="raise"):
            if record.rec_type != "response":
                continue
            uri = record.rec_headers.get_header("WARC-Target-URI")
            date = record.rec_headers.get_header("WARC-Date")
            moment = datetime.fromisoformat(date.replace("Z", "+00:00"))
            found.append((uri, moment.strftime("%Y%m%d%H%M%S"), record.content_stream().read()))
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warc", type=Path)
    parser.add_argument("--pywb", type=Path, required=True, help="Directory of wb-manager, wayback")
    args = parser.parse_args()
    records = responses(args.warc)
    with tempfile.TemporaryDirectory() as work:
        run = {"cwd": work, "check": True, "capture_output": True}
        subprocess.run([str(args.pywb / "wb-manager"), "init", "evidence"], **run)
        subprocess.run(
            [str(args.pywb / "wb-manager"), "add", "evidence", str(args.warc.resolve())], **run
        )
        port = free_port()
        server = subprocess.Popen(
            [str(args.pywb / "wayback"), "-p", str(port), "-b", "127.0.0.1"],
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}/evidence"
            deadline = time.monotonic() + 60
            while True:
                try:
                    requests.get(base + "/", timeout=2)
                    break
                except requests.ConnectionError:
                    if time.monotonic() > deadline:
                        print("pywb did not start", file=sys.stderr)
                        return 1
                    time.sleep(0.5)
            bad = 0
            # pywb addresses a capture by URL and second: captures of one URL within one
            # second are one address, and it replays one of them.
            same_second: dict[tuple[str, str], list[bytes]] = {}
            for uri, stamp, payload in records:
                same_second.setdefault((uri, stamp), []).append(payload)
            for uri, stamp, payload in records:
                replay = requests.get(f"{base}/{stamp}id_/{uri}", timeout=30)
                shared = len(same_second[(uri, stamp)]) > 1
                if shared:
                    same = replay.content in same_second[(uri, stamp)]
                else:
                    same = replay.content == payload
                same = same and replay.status_code == 200
                bad += not same
                note = " (shares its second with another capture)" if shared else ""
                print(
                    f"{'ok ' if same else 'BAD'} {stamp} {uri} "
                    f"({replay.status_code}, {len(replay.content)} of {len(payload)} bytes){note}"
                )
        finally:
            server.terminate()
            server.wait(10)
    print(f"{len(records) - bad} of {len(records)} responses replayed byte for byte")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
