"""`tracker export --format warc`: warcio reads the file back, digests valid, bodies exact."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Tracker
from warcio.archiveiterator import ArchiveIterator

from tracker.cli import cli


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("demo") / "home"
    result = CliRunner().invoke(cli, ["demo", "--home", str(home)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return home


@pytest.fixture
def archive(demo_home: Path, tmp_path: Path) -> Tracker:
    home = tmp_path / "copy"
    shutil.copytree(demo_home, home)
    return Tracker(home)


def records(path: Path) -> list[dict]:
    """Every record, read with digest checking on: a wrong digest raises."""
    out = []
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle, check_digests="raise"):
            out.append(
                {
                    "type": record.rec_type,
                    "headers": dict(record.rec_headers.headers),
                    "http": record.http_headers,
                    "payload": record.content_stream().read(),
                }
            )
    return out


def fetch_rows(home: Path, where: str = "1 = 1") -> list[dict]:
    with sqlite3.connect(home / "tracker.db") as conn:
        conn.row_factory = sqlite3.Row
        return [
            dict(r)
            for r in conn.execute(
                "select fetches.*, sources.name from fetches join sources "
                f"on sources.id = fetches.source_id where sha256 is not null and {where} "
                "order by fetches.id"
            )
        ]


def test_the_warc_round_trip_gives_every_body_byte_for_byte(archive, tmp_path):
    target = tmp_path / "demo.warc.gz"
    out = archive("export", "--format", "warc", "-o", str(target)).stdout
    rows = fetch_rows(archive.home)
    assert f"({len(rows)} fetches," in out
    found = records(target)
    info = found[0]
    assert info["type"] == "warcinfo"
    text = info["payload"].decode()
    head = archive.json("verify", "--json")["head"]
    assert "software: status-tracker/" in text
    assert f"status-tracker-chain-head: {head['hash']}" in text
    assert f"status-tracker-chain-records: {head['count']}" in text
    responses = [r for r in found if r["type"] == "response"]
    requests = [r for r in found if r["type"] == "request"]
    assert len(responses) == len(requests) == len(rows)
    for row, response in zip(rows, responses, strict=True):
        payload = response["payload"]
        assert hashlib.sha256(payload).hexdigest() == row["sha256"]
        http = response["http"]
        assert http.get_statuscode() == str(row["http_status"])
        assert http.get_header("Transfer-Encoding") is None
        assert http.get_header("Content-Encoding") is None
        assert http.get_header("Content-Length") == str(len(payload))
        headers = response["headers"]
        assert headers["WARC-Target-URI"] == (row["final_url"] or row["url"])
        assert headers["WARC-Payload-Digest"].startswith("sha1:")
        assert headers["WARC-Block-Digest"].startswith("sha1:")
    # Every version's bytes are in the WARC exactly as `tracker raw` gives them.
    payloads = {r["payload"] for r in responses}
    with sqlite3.connect(archive.home / "tracker.db") as conn:
        versions = conn.execute(
            "select snapshots.id, sources.name from snapshots join sources "
            "on sources.id = snapshots.source_id"
        ).fetchall()
    for version, name in versions:
        assert archive("raw", name, "--version", str(version)).stdout_bytes in payloads
    for request in requests:
        assert request["http"].protocol == "GET"
        assert request["http"].statusline.endswith(" HTTP/1.1")
        assert request["headers"]["WARC-Concurrent-To"]


def test_source_and_since_choose_the_fetches(archive, tmp_path):
    target = tmp_path / "apple.warc"
    rows = fetch_rows(archive.home, "sources.name = 'apple-demo'")
    since = rows[1]["started_at"]
    archive(
        "export", "--format", "warc", "--source", "apple-demo", "--since", since, "-o", str(target)
    )
    assert target.read_bytes()[:8] == b"WARC/1.1"  # no .gz: plain records
    responses = [r for r in records(target) if r["type"] == "response"]
    assert [hashlib.sha256(r["payload"]).hexdigest() for r in responses] == [
        row["sha256"] for row in rows[1:]
    ]


def test_a_damaged_warc_fails_the_digest_check(archive, tmp_path):
    target = tmp_path / "demo.warc"
    archive("export", "--format", "warc", "-o", str(target))
    data = bytearray(target.read_bytes())
    response = data.find(b"HTTP/1.1 200 OK")
    at = data.find(b"\r\n\r\n", response) + 10  # inside the first response's body
    data[at] ^= 0x01
    target.write_bytes(bytes(data))
    with pytest.raises(Exception, match="(?i)digest"):
        records(target)


def test_warc_needs_an_output_file_outside_the_evidence(archive):
    assert "give -o" in archive("export", "--format", "warc", code=2).stderr
    inside = archive.home / "blobs" / "x.warc.gz"
    result = archive("export", "--format", "warc", "-o", str(inside), code=1)
    assert "refusing to write" in result.stderr
