"""The body store and item versions: every body kept byte for byte, every version rebuilt."""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Tracker, drop_guards
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.archive import Archive, blobs
from tracker.archive.blobs import KEYFRAME_EVERY
from tracker.edits import detect
from tracker.extract import extract
from tracker.importers import import_git
from tracker.models import Source

FIXTURES = Path(__file__).parent / "fixtures"
V0 = FIXTURES / "archive-v0"
V1 = FIXTURES / "archive-v1"
PAYLOAD = json.loads((FIXTURES / "formats" / "statuspage-incidents.json").read_text())


def history(commits: int, incidents: int = 30) -> list[bytes]:
    """Airbrake's incidents.json as a scraper commits it: every commit changes the bytes.

    Odd commits only restamp the page (`updated_at`): noise, the same document. Even ones
    reword an update, add one, or (every tenth) drop the oldest incident.
    """
    template = PAYLOAD["incidents"][0]
    items = []
    for n in range(incidents):
        item = copy.deepcopy(template)
        item["id"] = f"inc{n:04d}"
        item["name"] = f"{template['name']} ({n})"
        item["created_at"] = f"2023-03-{1 + n % 28:02d}T07:53:20.848-07:00"
        for u, update in enumerate(item["incident_updates"]):
            update["id"] = f"inc{n:04d}u{u}"
        items.append(item)
    versions = []
    for index in range(commits):
        target = items[index % len(items)]
        if index % 20 == 10 and len(items) > 5:
            items.pop()
        elif index % 4 == 0:
            target["incident_updates"][0]["body"] += f" Reworded ({index})."
        elif index % 4 == 2:
            update = copy.deepcopy(target["incident_updates"][0])
            update["id"] = f"{target['id']}n{index}"
            update["body"] = f"We are still investigating ({index})."
            update["created_at"] = update["display_at"] = "2023-04-13T10:00:00.000-07:00"
            target["incident_updates"].insert(0, update)
        page = dict(
            PAYLOAD["page"], updated_at=f"2023-04-13T{index // 60 % 24:02d}:{index % 60:02d}:00Z"
        )
        versions.append(json.dumps({"page": page, "incidents": items}, indent=2).encode())
    return versions


def build_repo(path: Path, versions: list[bytes], file: str = "incidents.json") -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    stream = bytearray()
    for index, body in enumerate(versions):
        stream += b"blob\nmark :%d\ndata %d\n" % (index + 1, len(body)) + body + b"\n"
        stream += b"commit refs/heads/main\n"
        stream += b"committer Scraper <s@example.com> %d +0000\n" % (1_681_372_800 + index * 600)
        stream += b"data 7\nLatest\n"
        stream += b"M 100644 :%d %s\n\n" % (index + 1, file.encode())
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=bytes(stream), check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=path, check=True)


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> tuple[Path, list[bytes]]:
    path = tmp_path_factory.mktemp("history") / "repo"
    versions = history(90)
    build_repo(path, versions)
    return path, versions


def imported(home: Path, repo: Path) -> Archive:
    archive = Archive(home)
    import_git(archive, repo, "incidents.json", source="airbrake", fmt="statuspage")
    return archive


def test_every_fetched_body_comes_back_byte_for_byte(home, repo):
    path, versions = repo
    archive = imported(home, path)
    fetches = list(reversed(archive.fetches("airbrake")))
    assert len(fetches) == len(versions)
    outcomes = {f["outcome"] for f in fetches}
    assert outcomes == {"new", "unchanged"}  # noise fetches keep their bodies too
    archive.blobs.forget()
    for fetch, body in zip(fetches, versions, strict=True):
        assert archive.fetch_body(fetch["id"]) == body
        assert archive.body(fetch["sha256"]) == body
    depths = [s.depth for s in archive.blobs.stored()]
    assert depths == list(range(len(depths)))  # one chain, shorter than KEYFRAME_EVERY
    stored = sum(s.stored for s in archive.blobs.stored())
    assert stored < sum(map(len, versions)) / 20
    archive.close()


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.binary(min_size=0, max_size=3000),
    edits=st.lists(
        st.tuples(st.integers(0, 4000), st.integers(0, 50), st.binary(max_size=40)),
        min_size=KEYFRAME_EVERY + 3,
        max_size=KEYFRAME_EVERY + 40,
    ),
)
def test_round_trip_across_keyframes(tmp_path_factory, start, edits):
    home = tmp_path_factory.mktemp("home")
    archive = Archive(home)
    source_id = archive.source_id(archive.add_source(Source("s", "https://x.test/", "auto")).name)
    bodies, content = [start], start
    for at, cut, insert in edits:
        at = at % (len(content) + 1)
        content = content[:at] + insert + content[at + cut :]
        bodies.append(content + b"\n%d" % len(bodies))  # every body a new one
    previous = None
    with archive.transaction():
        for body in bodies:
            previous = archive.blobs.put(body, source_id, previous)
    depths = [s.depth for s in archive.blobs.stored()]
    assert max(depths) == KEYFRAME_EVERY - 1 and depths.count(0) >= 2  # a keyframe every K
    archive.blobs.forget()
    # Each body read from nothing cached: the keyframes, either side of them, the deepest.
    ends = {0, KEYFRAME_EVERY - 1, KEYFRAME_EVERY, KEYFRAME_EVERY + 1, len(bodies) - 1}
    for index in sorted(ends | set(range(0, len(bodies), 37)), reverse=True):
        archive.blobs.forget()
        body = bodies[index]
        assert archive.body(__import__("hashlib").sha256(body).hexdigest()) == body
    archive.close()


def test_show_at_any_time_is_the_extracted_document(home, repo):
    path, _ = repo
    archive = imported(home, path)
    snapshots = archive.snapshots("airbrake")
    assert len(snapshots) > 40
    source = archive.get_source("airbrake")
    archive._documents.clear()
    for row in snapshots:
        body = archive.body(row["sha256"])
        expected = extract(source.format, body, row["content_type"], {}, row["final_url"])
        assert archive.document(row) == expected
        assert row["document"] is None and row["doc_hash"] == expected.hash()
    archive.close()


def test_detection_on_changed_incidents_finds_what_whole_pages_do(home, repo):
    path, _ = repo
    archive = imported(home, path)
    snapshots = archive.snapshots("airbrake")
    wordings = archive.db.execute(
        "select incident_key, update_key, text, first_snapshot from update_versions"
    ).fetchall()

    def shape(e):
        return (
            e.kind,
            e.incident_key,
            e.update_key,
            e.field,
            e.old,
            e.new,
            e.silent,
            e.revert,
            e.backdated,
            e.flags,
        )

    stored = {shape(r.event) for r in archive.edit_records(sources=["airbrake"])}
    full = set()
    for before, after in zip(snapshots, snapshots[1:], strict=False):
        texts: dict[tuple[str, str], set[str]] = {}
        for incident, update, text, first in wordings:
            if first < after["id"]:
                texts.setdefault((incident, update), set()).add(text)
        for e in detect(
            archive.document(before),
            archive.document(after),
            previous_seen_at=before["last_seen"],
            earlier_texts=texts,
        ):
            full.add(shape(e))
    assert stored == full and len(stored) > 30
    archive.close()


def test_running_twice_stores_nothing_new(home, repo, tracker):
    path, _ = repo
    tables = ("fetches", "snapshots", "bodies", "incident_items", "update_items", "layouts")

    def counts():
        with sqlite3.connect(home / "tracker.db") as conn:
            return [conn.execute(f"select count(*) from {t}").fetchone()[0] for t in tables]

    args = ("import", "git", str(path), "incidents.json", "--source", "a", "--format", "statuspage")
    tracker(*args)
    first = counts()
    tracker(*args)
    assert counts() == first


@pytest.mark.parametrize("damage", ["flip", "remove"])
def test_a_broken_delta_makes_verify_name_the_version(home, repo, tracker, damage):
    path, _ = repo
    imported(home, path).close()
    assert "ok" in tracker("verify").stdout
    with sqlite3.connect(home / "tracker.db") as conn:
        sha, data = conn.execute(
            "select sha256, data from bodies where depth = 5 order by rowid limit 1"
        ).fetchone()
        (version,) = conn.execute(
            "select id from snapshots where sha256 = ? union all "
            "select -id from fetches where sha256 = ? limit 1",
            [sha, sha],
        ).fetchone()
        drop_guards(conn)
        if damage == "flip":
            data = bytearray(data)
            data[len(data) // 2] ^= 0xFF
            conn.execute("update bodies set data = ? where sha256 = ?", [bytes(data), sha])
        else:
            conn.execute("delete from bodies where sha256 = ?", [sha])
    result = tracker("verify", code=3)
    assert "Traceback" not in result.output
    named = f"airbrake version {version}" if version > 0 else f"airbrake fetch {-version}"
    lines = result.stderr.splitlines()
    assert any(named in line for line in lines), lines
    assert any("cannot be read" in line for line in lines)  # what was stored on it
    assert all(line.startswith("problem: ") for line in lines)


V2 = FIXTURES / "archive-v2"


def _bodies(conn: sqlite3.Connection, base: str) -> dict[str, tuple]:
    """sha256 -> (the SHA-256 of the body it is a delta on, depth, size, stored bytes)."""
    rows = conn.execute(
        f"select b.sha256, {base}, b.depth, b.size, b.data from bodies b order by b.rowid"
    ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_deltas_name_their_base_by_id_after_upgrade_and_every_body_reads_the_same(tracker):
    """Bodies of the release before name their base by its 64-digit SHA-256: the upgrade
    rewrites them to name it by row id, every stored byte as it was, and verify still
    checks every body through its chain."""
    shutil.copytree(V2 / "home", tracker.home, dirs_exist_ok=True)
    db = tracker.home / "tracker.db"
    with sqlite3.connect(db) as conn:
        before = _bodies(conn, "b.base")
    assert any(base for base, *_ in before.values())
    assert "ok" in tracker("verify").stdout
    with sqlite3.connect(db) as conn:
        after = _bodies(conn, "(select base.sha256 from bodies base where base.id = b.base_id)")
        columns = {r[1] for r in conn.execute("select * from pragma_table_info('bodies')")}
    assert after == before
    assert "base" not in columns and "base_id" in columns
    archive = Archive(tracker.home)
    try:
        for sha in before:
            assert blobs.sha256(archive.body(sha)) == sha
    finally:
        archive.close()


def test_an_older_archive_missing_a_base_body_upgrades_and_verify_names_the_version(tracker):
    """A delta whose base was deleted by hand before the upgrade: the archive still opens,
    the other bodies read back, and verify names the version it cannot read (exit 3)."""
    shutil.copytree(V2 / "home", tracker.home, dirs_exist_ok=True)
    db = tracker.home / "tracker.db"
    with sqlite3.connect(db) as conn:
        base, delta = conn.execute(
            "select base, sha256 from bodies where base is not null order by rowid limit 1"
        ).fetchone()
        (version,) = conn.execute(
            "select id from snapshots where sha256 = ? union all "
            "select -id from fetches where sha256 = ? limit 1",
            [delta, delta],
        ).fetchone()
        drop_guards(conn)
        conn.execute("delete from bodies where sha256 = ?", [base])
    result = tracker("verify", code=3)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    kind = "version" if version > 0 else "fetch"
    assert any(f"{kind} {abs(version)}" in line and "missing" in line for line in lines), lines
    assert all(line.startswith("problem: ") for line in lines)
    # Nothing else is lost: `show` still reads the newest version of every source.
    assert tracker("show", "airbrake", "--json").exit_code == 0


def test_a_damaged_gzip_body_of_an_older_archive_is_one_line(tmp_path, tracker):
    home = tracker.home
    shutil.copytree(V0 / "home", home, dirs_exist_ok=True)
    blob = next(p for p in (home / "blobs").rglob("*") if p.is_file())
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))
    result = tracker("verify", code=3)
    assert "Traceback" not in result.output and "damaged" in result.stderr


def shows_as_before(tracker, fixture: Path) -> None:
    """`show --json` of each source of an archive fixture, and of gcp at a time between its
    versions, give what the release that wrote it printed."""
    for name in ("gcp", "airbrake", "apple"):
        expected = json.loads((fixture / f"show-{name}.json").read_text())
        assert tracker.json("show", name, "--json") == expected
    at = tracker.json("show", "gcp", "--at", "2026-08-20T22:00:00Z", "--json")
    assert at == json.loads((fixture / "show-gcp-at.json").read_text())


def test_an_archive_of_the_previous_release_reads_the_same_after_upgrade(tracker):
    shutil.copytree(V0 / "home", tracker.home, dirs_exist_ok=True)
    shows_as_before(tracker, V0)
    # The same edits with the same values; keys added to the edit JSON since are left out.
    before = json.loads((V0 / "changes.json").read_text())
    after = tracker.json("changes", "--all", "--json")
    assert [{key: edit[key] for key in old} for edit, old in zip(after, before, strict=True)] == (
        before
    )
    assert "checked 7 versions: ok" in tracker("verify").stdout
    # New versions go on top of the old ones: delta-compressed, compared with the old document.
    archive = Archive(tracker.home)
    old = archive.latest_snapshots("apple")[0]
    body = archive.body(old["sha256"]).replace(b"some users", b"a few users")
    from tracker.ingest import ingest
    from tracker.models import FetchResult

    result = FetchResult(
        url=old["url"],
        started_at="2013-07-24T08:00:00Z",
        finished_at="2013-07-24T08:00:00Z",
        status=200,
        headers={"Content-Type": "application/javascript"},
        body=body,
    )
    assert ingest(archive, archive.get_source("apple"), result).edits == 1
    archive.close()
    assert "checked 8 versions: ok" in tracker("verify").stdout
    assert tracker("rebuild").exit_code == 0
    changes = tracker.json("changes", "--all", "--json")
    assert any((c["new"] or "").endswith("a few users were affected") for c in changes)
    assert "ok" in tracker("verify").stdout


def _view_rows(path: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as conn:
        return {
            view: conn.execute(f"select * from {view}").fetchall()
            for view in ("edits_readable", "edits_atom")
        }


def test_an_archive_with_inline_wordings_reads_the_same_once_each_is_stored_once(tracker):
    shutil.copytree(V1 / "home", tracker.home, dirs_exist_ok=True)
    db = tracker.home / "tracker.db"
    views = _view_rows(db)
    with sqlite3.connect(db) as conn:
        texts = conn.execute("select sum(length(data)) from update_items").fetchone()[0]
    for name in ("gcp", "airbrake", "apple"):
        expected = json.loads((V1 / f"show-{name}.json").read_text())
        assert tracker.json("show", name, "--json") == expected
    assert tracker.json("changes", "--all", "--json") == json.loads(
        (V1 / "changes.json").read_text()
    )
    # Datasette's views give every row and column as before, diff text included.
    assert _view_rows(db) == views
    assert any(row[-4] and "{+" in row[-4] for row in views["edits_readable"])
    with sqlite3.connect(db) as conn:
        assert conn.execute("select sum(length(data)) from update_items").fetchone()[0] < texts
        assert conn.execute("select count(*) from edits where old_id or new_id").fetchone()[0]
        # Only lengths are kept of a diff whose ops rebuild its old and new texts.
        diffs = [json.loads(d) for (d,) in conn.execute("select diff from edits")]
    assert diffs and all(isinstance(v, int) for d in diffs for _, v in d)
    assert "checked 7 versions: ok" in tracker("verify").stdout
    # Recomputed from the raw bodies, the edits are the same (under new row ids).
    assert tracker("rebuild").exit_code == 0
    rebuilt = tracker.json("changes", "--all", "--json")
    before = json.loads((V1 / "changes.json").read_text())
    assert [dict(c, id=None) for c in rebuilt] == [dict(c, id=None) for c in before]


def test_a_wording_is_stored_once_and_edits_read_back_whole(home, repo, tracker):
    imported(home, repo[0]).close()
    with sqlite3.connect(home / "tracker.db") as conn:
        counts = conn.execute("select count(*), count(distinct hash) from wordings").fetchone()
        inline = conn.execute(
            "select count(*) from edits where length(old) >= 48 or length(new) >= 48"
        ).fetchone()[0]
    assert counts[0] == counts[1] > 0 and inline == 0
    changes = tracker.json("changes", "--all", "--json")
    edited = [c for c in changes if c["kind"] == "update_edited"]
    assert edited and all(c["new"] and "Reworded" in c["new"] for c in edited)
    for change in edited:
        ops = change["diff"]
        assert "".join(t for op, t in ops if op <= 0) == change["old"]
        assert "".join(t for op, t in ops if op >= 0) == change["new"]


def test_each_wording_is_seen_from_the_first_version_showing_it_to_the_last(home, repo):
    """A wording's first and last sighting are the first_seen of the first version that shows
    it and the last_seen of the last one (restamped copies of a version move its last_seen),
    read off those versions rather than copied onto every wording."""
    path, _ = repo
    archive = imported(home, path)
    expected: dict[tuple[str, str, str], list] = {}
    for row in archive.snapshots("airbrake"):
        document = archive.document(row)
        assert document is not None
        for incident in document.incidents:
            for update in incident.updates:
                span = expected.setdefault((incident.key, update.key, update.text), [])
                span.append((row["id"], row["first_seen"], row["last_seen"]))
    assert any(len({t for i, u, t in expected if (i, u) == key[:2]}) > 1 for key in expected)
    assert any(first[1] != first[2] for spans in expected.values() for first in spans)
    found = {}
    for key in {incident for incident, _, _ in expected}:
        for row in archive.update_versions("airbrake", key):
            found[(key, row["update_key"], row["text"])] = (
                row["first_snapshot"],
                row["first_seen"],
                row["last_snapshot"],
                row["last_seen"],
            )
    assert found == {
        key: (min(spans)[0], min(spans)[1], max(spans)[0], max(spans)[2])
        for key, spans in expected.items()
    }
    columns = {
        r[1] for r in archive.db.execute("select * from pragma_table_info('update_wordings')")
    }
    assert not columns & {"first_seen", "last_seen"}
    archive.close()


def test_a_run_killed_while_storing_bodies_leaves_an_archive_that_verifies(tmp_path, tracker):
    path = tmp_path / "repo"
    versions = history(300, incidents=60)
    build_repo(path, versions)
    env = {**os.environ, "TRACKER_HOME": str(tracker.home)}
    command = [sys.executable, "-m", "tracker", "import", "git", str(path), "incidents.json"]
    command += ["--source", "airbrake", "--format", "statuspage"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _fetch_count(tracker.home) < 40 and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert 0 < _fetch_count(tracker.home) < len(versions)
    assert "ok" in tracker("verify").stdout
    # The hash chain is whole after the kill: every record kept is sealed, the head counts them.
    killed = tracker.json("verify", "--json")
    assert killed["ok"] and killed["head"]["count"] == _fetch_count(tracker.home)
    rerun = subprocess.run(command, env=env, capture_output=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert _fetch_count(tracker.home) == len(versions)
    assert "ok" in tracker("verify").stdout
    # The head seen after the kill is a prefix of the chain the rerun extended.
    assert "unchanged" in tracker("verify", "--head", killed["head"]["hash"]).stdout
    assert tracker.json("verify", "--json")["head"]["count"] == len(versions)


def _fetch_count(home: Path) -> int:
    try:
        with sqlite3.connect(home / "tracker.db", timeout=5) as conn:
            return conn.execute("select count(*) from fetches").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_gc_drops_leftovers_and_reports_sizes(home, repo, tracker):
    path, versions = repo
    imported(home, path).close()
    leftover = home / "blobs" / "ab" / "cd" / ".tmp-x1y2"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half a body")
    unnamed = home / "blobs" / "ab" / "cd" / ("ab" * 32)
    unnamed.write_bytes(b"nobody names me")
    report = tracker.json("gc", "--json")
    assert report["removed"]["temp_files"] == 1 and report["removed"]["orphan_body_files"] == 1
    assert not leftover.exists() and not unnamed.exists()
    [airbrake] = report["sources"]
    assert airbrake["bodies"] == len(set(versions))
    assert airbrake["body_bytes_received"] == sum(len(v) for v in set(versions))
    assert 0 < airbrake["body_bytes_stored"] < airbrake["body_bytes_received"] / 20
    assert airbrake["rows"]["fetches"] == len(versions)
    assert "airbrake: 90 bodies" in tracker("gc").stdout
    assert "ok" in tracker("verify").stdout
    # Fetch records are sealed in the hash chain: a purge is refused and nothing is dropped.
    refused = tracker("remove", "airbrake", "--purge", code=2)
    assert "hash chain" in refused.stderr
    assert tracker.json("gc", "--json")["removed"]["orphan_bodies"] == 0
    assert "ok" in tracker("verify").stdout


def test_gc_drops_a_chain_of_bodies_nobody_names_deltas_first(home, repo, tracker):
    """Bodies a run stored but never recorded (it was killed between the two) form a chain
    of deltas on each other: gc drops the whole chain and keeps every body a record names."""
    path, versions = repo
    archive = imported(home, path)
    kept = archive.db.execute("select count(*) from bodies").fetchone()[0]
    last = archive.fetches("airbrake")[0]["sha256"]
    with archive.transaction():
        previous = last
        for n in range(5):
            previous = archive.blobs.put(versions[-1] + b" unrecorded %d" % n, 1, previous)
    depths = [r[0] for r in archive.db.execute("select depth from bodies order by id desc limit 5")]
    archive.close()
    assert depths == sorted(depths, reverse=True) and depths[-1] > 0  # deltas on each other
    assert tracker.json("gc", "--json")["removed"]["orphan_bodies"] == 5
    with sqlite3.connect(home / "tracker.db") as conn:
        assert conn.execute("select count(*) from bodies").fetchone()[0] == kept
    assert "ok" in tracker("verify").stdout


_WORDS = st.lists(
    st.sampled_from(["30", "percent", "of", "users", "some", "ünïcode", "日本", "😀", "%", " "]),
    max_size=30,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(old=st.one_of(st.none(), _WORDS), new=_WORDS)
def test_a_diff_kept_as_lengths_reads_back_the_same_in_python_and_sql(old, new):
    from tracker.archive import wordings
    from tracker.edits.worddiff import normalize, word_diff
    from tracker.text import marked_diff

    old = normalize(old) if old is not None else None
    new = normalize(new)
    ops = tuple((int(op), text) for op, text in word_diff(old or "", new))
    stored = wordings.compact_diff(ops, old, new)
    assert all(isinstance(length, int) for _, length in json.loads(stored))
    assert wordings.expand_diff(stored, old, new) == ops
    # The views rebuild the same text in SQL, counting characters as Python does.
    conn = sqlite3.connect(":memory:")
    sql = wordings.diff_text_sql("e.diff", "e.old", "e.new")
    conn.execute("create table e (diff text, old text, new text)")
    conn.execute("insert into e values (?, ?, ?)", [stored, old, new])
    (text,) = conn.execute(f"select {sql} from e").fetchone()
    assert (text or "") == marked_diff(ops)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("gcp-incidents.json", "gcp"),
        ("statuspage-incidents.json", "statuspage"),
        ("slack-history.json", "slack"),
        ("apple-system-status-2013-imessage.js", "apple"),
        ("statuspage-page.html", "statuspage"),
        ("statuspage-history.atom", "feed"),
    ],
)
def test_a_version_hashed_from_its_items_has_the_whole_document_hash(name, fmt):
    """The hash that says a fetch showed nothing new is made part by part from the items'
    own texts: it must be the hash of the whole document's canonical JSON, non-ASCII too."""
    from tracker.archive.items import pieces

    body = (FIXTURES / "formats" / name).read_bytes()
    document = extract(fmt, body, None, {}, None)
    assert document.incidents
    assert pieces(document).document_hash == document.hash()
    renamed = copy.deepcopy(document.to_dict())
    renamed["incidents"][0]["title"] = "São Paulo — région dégradée ✓"
    changed = type(document).from_dict(renamed)
    assert pieces(changed).document_hash == changed.hash() != document.hash()


def _fts_ok(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("insert into wordings_fts (wordings_fts) values ('integrity-check')")


def test_update_wordings_are_stored_once_and_searched_the_same_after_upgrade(tracker):
    """An older archive kept every wording twice (update_versions and wordings) with the
    full-text index on the first: after the upgrade the text is stored once, update_versions
    reads as it did, and a search finds the same wordings."""
    shutil.copytree(V1 / "home", tracker.home, dirs_exist_ok=True)
    db = tracker.home / "tracker.db"
    columns = (
        "id, source_id, incident_key, update_key, text, text_hash, posted_at, status, "
        "first_seen, last_seen, first_snapshot, last_snapshot, open"
    )
    queries = ("mitigated", '"optical maintenance"', "congestion OR some", "users")
    with sqlite3.connect(db) as conn:
        before = conn.execute(f"select {columns} from update_versions order by id").fetchall()
        found = {
            query: sorted(
                conn.execute(
                    "select uv.incident_key, uv.update_key, uv.first_snapshot "
                    "from update_versions_fts join update_versions uv "
                    "on uv.id = update_versions_fts.rowid where update_versions_fts match ?",
                    [query],
                ).fetchall()
            )
            for query in queries
        }
    assert all(found.values())
    for query in queries:
        hits = tracker.json("search", query, "--json")
        assert (
            sorted((h["incident"], h["update"], h["first_snapshot"]) for h in hits)
            == (found[query])
        )
    with sqlite3.connect(db) as conn:
        assert conn.execute(f"select {columns} from update_versions order by id").fetchall() == (
            before
        )
        tables = {r[0] for r in conn.execute("select name from sqlite_master")}
        assert "update_versions_fts" not in tables and "update_wordings" in tables
        # No text is kept twice: each wording an update had is one row of wordings.
        assert not conn.execute(
            "select 1 from pragma_table_info('update_wordings') where name = 'text'"
        ).fetchone()
    _fts_ok(db)
    # Rebuilt from the raw bodies, and a source purged: the index follows the wordings.
    assert tracker("rebuild").exit_code == 0
    _fts_ok(db)
    assert sorted(
        (h["incident"], h["update"]) for h in tracker.json("search", "mitigated", "--json")
    ) == sorted((i, u) for i, u, _ in found["mitigated"])
    with sqlite3.connect(db) as conn:
        assert conn.execute(f"select {columns} from update_versions order by id").fetchall()


def test_a_wording_searched_is_one_index_entry_whatever_shows_it(home, repo, tracker):
    path, _ = repo
    imported(home, path).close()
    db = home / "tracker.db"
    _fts_ok(db)
    with sqlite3.connect(db) as conn:
        shown = conn.execute("select count(distinct wording_id) from update_wordings").fetchone()
        indexed = conn.execute("select count(*) from wordings_fts_docsize").fetchone()
        texts = conn.execute("select count(*) from wordings").fetchone()
    assert indexed == texts and shown[0] <= texts[0]
    hits = tracker.json("search", '"Reworded"', "--json")
    assert hits and all("[Reworded]" in h["snippet"] for h in hits)
    assert tracker("gc").exit_code == 0
    _fts_ok(db)


def test_an_archive_kept_open_while_another_process_stores_goes_on_as_a_fresh_one(
    tmp_path, repo, tracker
):
    """The rows alive at a source's newest version are remembered between versions: when
    another process stores versions (or rebuilds) meanwhile, they are read again."""
    path, versions = repo
    archive = Archive(tracker.home)
    stamp = "@%d"
    half, later = stamp % (1_681_372_800 + 30 * 600), stamp % (1_681_372_800 + 60 * 600)
    import_git(archive, path, "incidents.json", source="airbrake", fmt="statuspage", until=half)
    # Its own process, its own connection: more versions, then the rows rebuilt.
    tracker("import", "git", str(path), "incidents.json", "--source", "airbrake", "--until", later)
    import_git(archive, path, "incidents.json", source="airbrake", fmt="statuspage")
    archive.close()
    assert "ok" in tracker("verify").stdout
    with sqlite3.connect(tracker.home / "tracker.db") as conn:  # one live row per incident
        assert not conn.execute(
            "select slot from incident_items where until is null group by slot having count(*) > 1"
        ).fetchall()
    kept = tracker.json("changes", "--all", "--json")
    (tmp_path / "fresh").mkdir()
    fresh = Archive(tmp_path / "fresh")
    import_git(fresh, path, "incidents.json", source="airbrake", fmt="statuspage")
    fresh.close()
    again = Tracker(tmp_path / "fresh").json("changes", "--all", "--json")
    assert len(kept) > 10
    assert [dict(c, id=None) for c in kept] == [dict(c, id=None) for c in again]
    # Every version reads back as the page it was.
    for index in (10, 40, 70, len(versions) - 1):
        moment = 1_681_372_800 + index * 600 + 60  # a minute after that commit
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))
        shown = tracker.json("show", "airbrake", "--at", when, "--json")
        wanted = Tracker(tmp_path / "fresh").json("show", "airbrake", "--at", when, "--json")
        assert {k: v for k, v in shown.items() if k != "snapshot"} == {
            k: v for k, v in wanted.items() if k != "snapshot"
        }


def test_a_source_purged_and_added_again_stores_under_its_new_row(home, repo):
    """A source's id is looked up once per archive opened; a purge forgets it, so a source
    added again under the same name gets its versions under its own new row."""
    path, _ = repo
    archive = Archive(home)
    archive.add_source(Source(name="airbrake", url="https://old.example/", format="statuspage"))
    first = archive.source_id("airbrake")
    archive.add_source(Source(name="other", url="https://other.example/", format="statuspage"))
    archive.remove_source("airbrake", purge=True, when="2026-12-03T08:00:00Z")
    archive.add_source(Source(name="airbrake", url="https://new.example/", format="statuspage"))
    import_git(archive, path, "incidents.json", source="airbrake", fmt="statuspage")
    (row,) = archive.db.conn.execute("select id from sources where name = 'airbrake'").fetchall()
    stored = archive.db.conn.execute("select distinct source_id from snapshots").fetchall()
    archive.close()
    assert row[0] != first and stored == [(row[0],)]


def test_a_source_purged_and_added_again_by_another_process_stores_under_its_new_row(repo, tracker):
    """Another process purges a source this archive has looked up, adds a source that takes
    its old id, then the name again: the next versions of the name go under its new row."""
    path, _ = repo
    archive = Archive(tracker.home)
    archive.add_source(Source(name="other", url="https://other.example/", format="statuspage"))
    archive.add_source(Source(name="airbrake", url="https://old.example/", format="statuspage"))
    first = archive.source_id("airbrake")
    import_git(
        archive, path, "incidents.json", source="other", fmt="statuspage", until="@1681375800"
    )
    tracker("remove", "airbrake", "--purge")
    tracker("add", "https://taker.example/", "--name", "taker", "--format", "statuspage")
    tracker("add", "https://new.example/", "--name", "airbrake", "--format", "statuspage")
    import_git(archive, path, "incidents.json", source="airbrake", fmt="statuspage")
    ids = dict(archive.db.conn.execute("select name, id from sources").fetchall())
    stored = archive.db.conn.execute(
        "select distinct source_id from snapshots where source_id != ?", [ids["other"]]
    ).fetchall()
    archive.close()
    assert ids["taker"] == first  # SQLite gave the purged id to the next source added
    assert stored == [(ids["airbrake"],)]


def test_a_large_page_that_differs_at_both_ends_is_stored_as_a_small_delta(tmp_path, home):
    """A page restamped at its top and its bottom on every commit, one update reworded in the
    middle: each later body costs what changed, not the megabytes the page weighs."""
    template = PAYLOAD["incidents"][0]
    items = []
    for n in range(800):
        item = copy.deepcopy(template)
        item["id"] = f"inc{n:04d}"
        for u, update in enumerate(item["incident_updates"]):
            update["id"] = f"inc{n:04d}u{u}"
        items.append(item)
    versions = []
    for index in range(4):
        if index == 2:
            items[400]["incident_updates"][0]["body"] += " Some users were affected."
        page = dict(PAYLOAD["page"], updated_at=f"2023-04-13T10:0{index}:00Z")
        body = {"page": page, "incidents": items, "generated_in_ms": 100 + index}
        versions.append(json.dumps(body, indent=2).encode())
    assert min(map(len, versions)) > 1_000_000
    build_repo(tmp_path / "repo", versions)
    archive = imported(home, tmp_path / "repo")
    stored = list(archive.blobs.stored())
    assert [s.depth for s in stored] == [0, 1, 2, 3]
    assert all(s.stored < 4_000 for s in stored[1:]), [s.stored for s in stored]
    archive.blobs.forget()
    assert [archive.body(s.sha256) for s in stored] == versions
    archive.close()
