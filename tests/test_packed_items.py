"""Item rows (incident headers, updates, layouts) are stored compressed against a dictionary of
their own source's rows: every version reads back exactly, the rows cost a fraction of their
JSON, a damaged row is a clear error that `tracker rebuild` mends, and an archive written
before reads the same after the upgrade."""

from __future__ import annotations

import copy
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.test_storage import _view_rows, build_repo, history, imported, shows_as_before
from tracker.archive import Archive
from tracker.archive.packed import CAP
from tracker.ingest import ingest
from tracker.models import FetchResult, Source

V2 = FIXTURES / "archive-v2"
PAYLOAD = json.loads((FIXTURES / "formats" / "statuspage-incidents.json").read_text())
TABLES = ("incident_items", "update_items", "layouts")


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("history") / "repo"
    build_repo(path, history(60))
    return path


def _fetched(url: str, body: bytes, at: str) -> FetchResult:
    return FetchResult(
        url=url,
        started_at=at,
        finished_at=at,
        status=200,
        final_url=url,
        headers={"Content-Type": "application/json"},
        body=body,
    )


def _page(incidents: int, reworded: str = "") -> bytes:
    data = copy.deepcopy(PAYLOAD)
    template = data["incidents"][0]
    data["incidents"] = []
    for n in range(incidents):
        item = copy.deepcopy(template)
        item["id"] = f"inc{n:04d}"
        item["name"] = f"{template['name']} ({n})"
        for u, update in enumerate(item["incident_updates"]):
            update["id"] = f"inc{n:04d}u{u}"
        data["incidents"].append(item)
    if reworded:
        data["incidents"][0]["incident_updates"][0]["body"] = reworded
    return json.dumps(data).encode()


def test_every_version_reads_back_exactly_from_rows_a_fraction_of_their_json(home, repo):
    imported(home, repo).close()
    archive = Archive(home)  # opened afresh: nothing of the import is remembered
    conn = archive.db.conn
    for table in TABLES:
        kinds = conn.execute(
            f"select distinct typeof(data), dictionary_id is null from {table}"
        ).fetchall()
        assert kinds == [("blob", 0)], table
    stored = plain = 0
    for table in TABLES:
        for dictionary_id, data in conn.execute(f"select dictionary_id, data from {table}"):
            stored += len(data)
            plain += len(archive.packer.unpack(dictionary_id, data).encode())
    assert stored * 4 < plain, (stored, plain)
    versions = archive.db.conn.execute(
        "select id from snapshots where doc_hash is not null order by id"
    ).fetchall()
    assert len(versions) > 20
    for (version,) in versions:
        fresh = Archive(home)
        row = fresh.snapshot(version)
        document = fresh.document(row)
        assert document is not None and document.hash() == row["doc_hash"], version
        fresh.close()
    archive.close()


def test_a_page_first_seen_nearly_empty_gets_a_dictionary_of_its_own_rows_once_it_grows(home):
    archive = Archive(home)
    url = "https://status.example.com/api/v2/incidents.json"
    source = archive.add_source(Source("example", url, "statuspage", {}, "2026-12-01T00:00:00Z"))
    ingest(archive, source, _fetched(url, _page(1), "2026-12-01T01:00:00Z"))
    ingest(archive, source, _fetched(url, _page(30), "2026-12-01T02:00:00Z"))
    outcome = ingest(archive, source, _fetched(url, _page(30, "Reworded."), "2026-12-01T03:00:00Z"))
    assert outcome.edits == 1
    conn = archive.db.conn
    sizes = [s for (s,) in conn.execute("select size from item_dictionaries order by id")]
    assert len(sizes) == 2 and sizes[0] * 2 <= sizes[1] <= CAP, sizes
    # The small change of the third version is written with the second dictionary.
    used = conn.execute(
        "select distinct i.dictionary_id from update_items i join snapshots s on s.id = i.since "
        "where s.first_seen = '2026-12-01T03:00:00Z'"
    ).fetchall()
    newest = conn.execute("select max(id) from item_dictionaries").fetchone()
    assert used == [newest]
    archive.close()


@pytest.mark.parametrize("table", TABLES)
def test_a_damaged_item_row_is_one_clear_error_that_rebuild_mends(home, repo, tracker, table):
    imported(home, repo).close()
    expected = tracker.json("show", "airbrake", "--json")
    with sqlite3.connect(home / "tracker.db") as conn:
        shown = (
            "id = (select layout_id from snapshots order by id desc limit 1)"
            if table == "layouts"
            else "until is null order by id limit 1"
        )
        item_id, data = conn.execute(f"select id, data from {table} where {shown}").fetchone()
        damaged = bytearray(data)
        damaged[len(damaged) // 2] ^= 0xFF
        conn.execute(f"update {table} set data = ? where id = ?", [bytes(damaged), item_id])
    result = tracker("show", "airbrake", "--json", code=None)
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "cannot be rebuilt" in result.stderr and "tracker rebuild" in result.stderr
    tracker("rebuild")
    assert tracker.json("show", "airbrake", "--json") == expected
    assert "ok" in tracker("verify").stdout


def test_an_archive_of_the_release_before_packed_items_reads_the_same_after_upgrade(tracker):
    shutil.copytree(V2 / "home", tracker.home, dirs_exist_ok=True)
    db = tracker.home / "tracker.db"
    views = _view_rows(db)
    shows_as_before(tracker, V2)
    before = json.loads((V2 / "changes.json").read_text())
    assert tracker.json("changes", "--all", "--json") == before
    assert "checked 7 versions: ok" in tracker("verify").stdout
    # Datasette's views read every edit as before; a long incident title is stored once.
    assert _view_rows(db) == views
    with sqlite3.connect(db) as conn:
        titles = conn.execute(
            "select count(*), count(distinct incident_title_id), count(incident_title) "
            "from edits where kind != 'incident_added' and source_id = "
            "(select id from sources where name = 'gcp')"
        ).fetchone()
        assert titles[0] > 1 and titles[1:] == (1, 0), titles
    with sqlite3.connect(db) as conn:
        # The rows written before keep their JSON text; their hashes are cut to 16 bytes.
        for table in TABLES:
            assert conn.execute(
                f"select distinct typeof(data), dictionary_id, length(hash) from {table}"
            ).fetchall() == [("text", None, 16)]
        counts = [conn.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES]
    # The same document in other bytes matches the old rows: nothing new is written.
    archive = Archive(tracker.home)
    gcp = archive.get_source("gcp")
    first = json.loads((FIXTURES / "formats" / "gcp-incidents.json").read_text())
    url = "https://status.cloud.google.com/incidents.json"
    same = ingest(archive, gcp, _fetched(url, json.dumps(first).encode(), "2026-08-22T09:00:00Z"))
    assert same.outcome == "unchanged"
    with sqlite3.connect(db) as conn:
        assert [conn.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES] == counts
    # A change on top is written compressed, next to the old rows, and found.
    first[0]["updates"][0]["text"] = first[0]["updates"][0]["text"].replace(
        "a planned optical maintenance", "a planned maintenance"
    )
    changed = ingest(
        archive, gcp, _fetched(url, json.dumps(first).encode(), "2026-08-22T10:00:00Z")
    )
    archive.close()
    assert changed.edits == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute(
            "select count(*) from update_items where dictionary_id is not null"
        ).fetchone()[0]
    assert "checked 8 versions: ok" in tracker("verify").stdout
    # Rebuilt from the raw bodies, every row is compressed and the edits are the same.
    tracker("rebuild")
    with sqlite3.connect(db) as conn:
        for table in TABLES:
            assert conn.execute(
                f"select count(*) from {table} where dictionary_id is null"
            ).fetchone() == (0,)
    rebuilt = [
        dict(c, id=None)
        for c in tracker.json("changes", "--all", "--json")
        if "a planned maintenance" not in (c["new"] or "")
    ]
    assert rebuilt == [dict(c, id=None) for c in before]


def test_a_version_that_fills_the_disk_leaves_an_archive_that_goes_on(home):
    """SQLite rolls a transaction back itself when the disk is full: the error says so (not
    that there is nothing to roll back), and nothing remembered of the lost rows is used."""
    archive = Archive(home)
    url = "https://status.example.com/api/v2/incidents.json"
    source = archive.add_source(Source("example", url, "statuspage", {}, "2026-12-01T00:00:00Z"))
    ingest(archive, source, _fetched(url, _page(2), "2026-12-01T01:00:00Z"))
    (pages,) = archive.db.conn.execute("pragma page_count").fetchone()
    archive.db.conn.execute(f"pragma max_page_count = {pages + 80}")  # a disk that is full
    with pytest.raises(sqlite3.OperationalError, match="full"):
        ingest(archive, source, _fetched(url, _page(400, "Reworded."), "2026-12-01T02:00:00Z"))
    assert not archive.db.conn.in_transaction
    archive.db.conn.execute("pragma max_page_count = 1073741823")  # room again
    outcome = ingest(archive, source, _fetched(url, _page(300), "2026-12-01T03:00:00Z"))
    assert outcome.outcome == "new"
    archive.close()
    fresh = Archive(home)
    versions = fresh.snapshots("example")
    assert len(versions) == 2
    for row in versions:
        document = fresh.document(row)
        assert document is not None and document.hash() == row["doc_hash"]
    fresh.close()


def test_an_archive_written_by_a_newer_release_is_refused_in_one_line(tracker):
    """Rows a newer release wrote (compressed, say) would not read back here: the archive is
    refused with what to do, never read into tracebacks or written to."""
    shutil.copytree(V2 / "home", tracker.home, dirs_exist_ok=True)
    tracker("sources")  # upgraded to this release's schema
    db = tracker.home / "tracker.db"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "insert into _sqlite_migrations (migration_set, name, applied_at) "
            "values ('status-tracker', 'm999_from_the_future', '2027-01-01 00:00:00+00:00')"
        )
    before = db.read_bytes()
    for command in (("sources",), ("show", "gcp", "--json"), ("verify",)):
        result = tracker(*command, code=None)
        assert result.exit_code != 0 and "Traceback" not in result.output
        assert "newer status-tracker" in result.stderr and "m999_from_the_future" in result.stderr
    assert db.read_bytes() == before
