"""Tamper evidence through the CLI: the hash chain, its head, the guards, the raw bytes.

Every test starts from the demo's archive (two sources, six versions, eight fetch records,
bodies stored as keyframes and zstd deltas) and changes it the way someone rewriting the
database by hand would: the evidence triggers dropped first, then one row or one byte.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Tracker, drop_guards

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


def tamper(tracker: Tracker, *statements: str, params: tuple = ()) -> None:
    with sqlite3.connect(tracker.home / "tracker.db") as conn:
        drop_guards(conn)
        for statement in statements:
            conn.execute(statement, params if statement.count("?") else ())


def first_problem(tracker: Tracker) -> str:
    result = tracker("verify", code=3)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("problem: ")]
    assert lines, result.stderr
    return lines[0]


def one(tracker: Tracker, sql: str, *params):
    with sqlite3.connect(tracker.home / "tracker.db") as conn:
        return conn.execute(sql, params).fetchone()


def test_the_demo_archive_verifies_and_prints_its_head(archive):
    out = archive("verify").stdout
    assert "checked 6 versions: ok" in out
    (head,) = one(archive, "select chain from fetches order by id desc limit 1")
    assert f"chain head: {head} (8 records)" in out
    report = archive.json("verify", "--json")
    assert report["ok"] is True and report["problems"] == []
    assert report["head"] == {"hash": head, "count": 8}
    assert report["checked"] == {
        "sources": 2,
        "fetches": 8,
        "versions": 6,
        "bodies": 6,
        "chain_records": 8,
    }


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_a_flipped_byte_in_any_stored_body_names_the_version(archive, depth):
    sha, data = one(
        archive, "select sha256, data from bodies where depth = ? order by rowid limit 1", depth
    )
    (version,) = one(archive, "select id from snapshots where sha256 = ?", sha)
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0x01
    tamper(archive, "update bodies set data = ? where sha256 = ?", params=(bytes(flipped), sha))
    result = archive("verify", code=3)
    assert f"version {version}" in result.stderr.splitlines()[0]
    assert "damaged" in result.stderr or "cannot be read" in result.stderr


def test_a_version_re_pointed_at_another_body_is_found(archive):
    (other,) = one(archive, "select sha256 from snapshots where id = 1")
    tamper(archive, "update snapshots set sha256 = ? where id = 3", params=(other,))
    # Fetch 3 brought version 3: it is the first record whose seal no longer holds.
    assert " fetch 3: " in first_problem(archive)
    stderr = archive("verify", code=3).stderr
    assert "version 3: no fetch record brought this body" in stderr


# The record each change is found at: the first fetch record that seals the changed field.
FIRST_FETCH = "select min(f.id), s.name from fetches f join sources s on s.id = f.source_id"


@pytest.mark.parametrize(
    "statement, target",
    [
        (
            "update fetches set http_status = 203 where id = ?",
            f"{FIRST_FETCH} where f.outcome = 'new' and f.id > 3",
        ),
        (
            "update fetches set started_at = '2020-01-01T00:00:00Z' where id = ?",
            f"{FIRST_FETCH} where f.id = 2",
        ),
        ("update fetches set outcome = 'failed' where id = ?", f"{FIRST_FETCH} where f.id = 5"),
        ("update fetches set robots = 'ignored' where id = ?", f"{FIRST_FETCH} where f.id = 3"),
        (
            "update snapshots set headers = '{}' where id = (select snapshot_id from fetches "
            "where id = ?)",
            f"{FIRST_FETCH} where f.outcome = 'new' and f.id > 4",
        ),
        (
            "update snapshots set reference = 'forged' where id = (select snapshot_id "
            "from fetches where id = ?)",
            f"{FIRST_FETCH} where f.id = 1",
        ),
        (
            "update sources set url = 'https://example.org/' where id = (select source_id "
            "from fetches where id = ?)",
            f"{FIRST_FETCH} where f.id = 2",
        ),
    ],
)
def test_an_edited_row_is_named(archive, statement, target):
    fetch_id, source = one(archive, target)
    tamper(archive, statement, params=(fetch_id,))
    problem = first_problem(archive)
    assert problem.startswith(f"problem: {source} fetch {fetch_id}:"), problem


def test_an_edited_last_seen_is_named(archive):
    # A version seen again by a later fetch ("unchanged"): its window is shortened.
    (version,) = one(archive, "select snapshot_id from fetches where outcome = 'unchanged'")
    tamper(archive, "update snapshots set last_seen = first_seen where id = ?", params=(version,))
    assert f"version {version}: last seen" in first_problem(archive)


def test_a_deleted_version_is_found(archive):
    tamper(archive, "delete from snapshots where id = 4")
    problem = first_problem(archive)
    assert " fetch 4: " in problem and "(4) is missing" in problem


def test_a_version_deleted_with_its_fetch_rows_is_found(archive):
    tamper(
        archive, "delete from fetches where snapshot_id = 4", "delete from snapshots where id = 4"
    )
    problem = first_problem(archive)
    assert "fetch records 4.." in problem and "before it are missing" in problem


def test_the_last_records_deleted_are_found(archive):
    tamper(archive, "delete from fetches where id >= 7", "delete from snapshots where id = 6")
    problem = first_problem(archive)
    assert "ends after 6 records but the archive recorded 8" in problem


def test_an_inserted_version_is_found(archive):
    tamper(
        archive,
        "insert into snapshots (source_id, sha256, first_seen, last_seen, origin) "
        "select source_id, sha256, first_seen, last_seen, origin from snapshots where id = 2",
    )
    assert "version 7: no fetch record brought this body" in first_problem(archive)


def test_an_inserted_fetch_record_is_found(archive):
    tamper(
        archive,
        "insert into fetches (source_id, started_at, finished_at, outcome, http_status) "
        "values (1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', 'failed', 500)",
    )
    assert "apple-demo fetch 9: it carries no chain hash" in first_problem(archive)


def test_evidence_cannot_be_changed_through_the_database(archive):
    db = archive.home / "tracker.db"
    for statement in (
        "update fetches set http_status = 203 where id = 1",
        "delete from fetches where id = 8",
        "update snapshots set sha256 = 'x' where id = 1",
        "delete from snapshots where id = 6",
        "update bodies set data = x'00' where depth = 0",
        "delete from sources where id = 1",
        "update sources set url = 'https://example.org/' where id = 1",
    ):
        with sqlite3.connect(db) as conn, pytest.raises(sqlite3.IntegrityError, match="evidence"):
            conn.execute(statement)
    assert "ok" in archive("verify").stdout


def test_dropped_guards_are_reported(archive):
    tamper(archive)
    assert "triggers guarding the evidence are missing" in first_problem(archive)


def test_purging_a_source_with_fetch_records_is_refused(archive):
    result = archive("remove", "apple-demo", "--purge", code=2)
    assert "hash chain" in result.stderr and "--name" in result.stderr
    assert "ok" in archive("verify").stdout
    # Removing without --purge keeps every record: the chain is untouched.
    before = archive.json("verify", "--json")["head"]
    archive("remove", "apple-demo")
    assert archive.json("verify", "--json")["head"] == before


def test_rebuild_recomputes_only_derived_tables(archive):
    before = archive.json("verify", "--json")["head"]
    archive("rebuild")
    after = archive.json("verify", "--json")
    assert after["ok"] and after["head"] == before


def test_an_older_head_is_a_prefix_of_todays_chain(archive):
    (third,) = one(archive, "select chain from fetches where id = 3")
    out = archive("verify", "--head", third).stdout
    assert "is record 3 of today's chain (8 records)" in out
    assert "record 3" in archive("verify", "--head", third[:16]).stdout
    data = archive.json("verify", "--json", "--head", third)
    assert data["older_head"] == {"hash": third, "ok": True}


def test_an_older_head_the_chain_no_longer_holds_exits_3(archive):
    (fifth,) = one(archive, "select chain from fetches where id = 5")
    result = archive("verify", "--head", "ab" * 32, code=3)
    assert "is not part of today's intact chain" in result.stderr
    tamper(archive, "update fetches set http_status = 201 where id = 2")
    result = archive("verify", "--head", fifth, code=3)
    assert "is not part of today's intact chain" in result.stderr


def test_a_mistyped_head_is_a_usage_error_not_a_verdict(archive):
    for typo in ("zz", "9ca041e", "g" * 16):
        result = archive("verify", "--head", typo, code=2)
        assert "is not a chain head: give its hash, 12 to 64 hex digits" in result.stderr
        assert "Traceback" not in result.stderr


def test_report_and_feed_show_the_head_and_link_raw_bodies(archive, tmp_path):
    head = archive.json("verify", "--json")["head"]
    out = tmp_path / "report"
    archive("report", "-o", str(out))
    index = (out / "index.html").read_text("utf-8")
    assert head["hash"] in index and f"({head['count']} fetch records)" in index
    dossier = next((out / "incidents").glob("apple-demo-*.html")).read_text("utf-8")
    (version, sha) = one(
        archive,
        "select min(s.id), s.sha256 from snapshots s join sources on sources.id = s.source_id "
        "where sources.name = 'apple-demo'",
    )
    assert f'href="../raw/{sha}.txt"' in dossier
    raw = out / "raw" / f"{sha}.txt"
    assert raw.read_bytes() == archive("raw", "apple-demo", "--version", str(version)).stdout_bytes
    assert oct(raw.stat().st_mode & 0o777) == "0o644"
    single = tmp_path / "one" / "report.html"
    archive("report", "-o", str(single))
    assert f'href="raw/{sha}.txt"' in single.read_text("utf-8")
    assert (single.parent / "raw" / f"{sha}.txt").exists()
    feed = archive("feed").stdout
    assert f"Archive chain head {head['hash']} ({head['count']} fetch records)" in feed


def test_raw_headers_are_the_response_headers(archive):
    (version,) = one(archive, "select min(id) from snapshots where source_id = 1")
    (name,) = one(archive, "select name from sources where id = 1")
    out = archive("raw", name, "--version", str(version), "--headers").stdout_bytes
    assert out.endswith(b"\r\n")
    assert any(line.lower().startswith(b"content-type:") for line in out.splitlines())


def test_a_record_is_sealed_as_sqlite_stores_it(archive):
    """A value SQLite stores in another type (200.0 → 200, True → 1) must not break the seal."""
    from tracker.archive import Archive

    store = Archive(archive.home)
    (source_id,) = one(archive, "select min(id) from sources")
    store.record_fetch(
        {
            "source_id": source_id,
            "started_at": "2026-12-01T00:00:00Z",
            "finished_at": "2026-12-01T00:00:01Z",
            "outcome": "failed",
            "error": "http_5xx",
            "http_status": 503.0,
            "bytes": True,
        }
    )
    store.close()
    report = archive.json("verify", "--json")
    assert report["ok"], report["problems"]
    assert report["head"]["count"] == 9


def test_an_archive_of_the_previous_release_gets_its_chain_on_upgrade(tmp_path):
    from conftest import FIXTURES

    home = tmp_path / "v0"
    shutil.copytree(FIXTURES / "archive-v0" / "home", home)
    with sqlite3.connect(home / "tracker.db") as conn:
        (fetches,) = conn.execute("select count(*) from fetches").fetchone()
    tracker = Tracker(home)
    report = tracker.json("verify", "--json")
    assert report["ok"] and report["head"]["count"] == fetches == 9
    assert not one(tracker, "select count(*) from fetches where chain is null")[0]
    # `log --json` gives each record's chain hash, the last one being the head.
    last, source = one(
        tracker,
        "select f.id, s.name from fetches f join sources s on s.id = f.source_id "
        "order by f.id desc limit 1",
    )
    hashes = {entry["id"]: entry["chain"] for entry in tracker.json("log", source, "--json")}
    assert hashes[last] == report["head"]["hash"]
    assert all(len(value) == 64 for value in hashes.values())
    # Older bodies stay gzip files; a flipped byte in one is named too.
    blob = next(p for p in (home / "blobs").rglob("*") if p.is_file())
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))
    assert "damaged" in first_problem(tracker) or "does not hash" in first_problem(tracker)


@pytest.mark.parametrize(
    "statement, said",
    [
        ("delete from settings where key = 'chain_head'", "is missing"),
        ("update settings set value = 'garbage' where key = 'chain_head'", "cannot be read"),
    ],
)
def test_the_archives_note_of_its_head_tampered_with_is_found(archive, statement, said):
    tamper(archive, statement)
    result = archive("verify", code=3)
    assert "Traceback" not in result.output
    assert f"note of its chain head {said}" in result.stderr
