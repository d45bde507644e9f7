"""A long git import reads its versions on a worker process, a few ahead of the one stored:
what it stores is what the same import read commit by commit in one process stores, also
when the worker fails on a version or is killed half way."""

from __future__ import annotations

import copy
import json
import os
import signal
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from benchmarks import sitegen
from tests.conftest import FIXTURES, Tracker
from tests.test_import_git import Repo
from tracker.extract import parallel
from tracker.importers import ahead

FILE = "incidents.json"
# The real Google Cloud incident (tests/fixtures/formats/SOURCES.md), cloned into a list.
REAL = json.loads((FIXTURES / "formats" / "gcp-incidents.json").read_text())[0]


def incident(number: int) -> dict:
    made = copy.deepcopy(REAL)
    made["id"] = f"{REAL['id'][:-4]}{number:04d}"
    made["number"] = str(int(REAL["number"]) + number)
    made["external_desc"] = f"{REAL['external_desc']} (case {number})"
    for update in made["updates"]:
        update["text"] = f"{update['text']} Reference {number}."
    return made


def history(repo: Repo) -> int:
    """Commits of a list of incidents, each changing what a version says in another way."""
    listed = [incident(n) for n in range(12)]  # ~100 KB: a body worth reading on a worker
    steps: list[bytes] = []

    def commit(data: list[dict] | bytes) -> None:
        steps.append(data if isinstance(data, bytes) else json.dumps(data, indent=1).encode())

    commit(listed)
    listed[2]["updates"][0]["text"] = listed[2]["updates"][0]["text"].replace(
        "has been mitigated", "is mitigated for most customers"
    )
    commit(listed)
    listed.insert(0, incident(12))  # a new incident on top
    commit(listed)
    commit(b"")  # the scraper wrote an empty file
    first = listed[1]["updates"][-1]
    listed[1]["updates"].append(
        dict(first, text="A new update.", created="2026-08-20T20:00:00+00:00")
    )
    commit(listed)
    commit(b'[{"id": "broken", ')  # cut short: not JSON
    del listed[3]  # an incident gone
    commit(listed)
    listed.reverse()  # the same incidents in another order
    commit(listed)
    listed[0]["updates"][0]["text"] = "Rewritten: " + listed[0]["updates"][0]["text"]
    listed[-1]["external_desc"] = "Renamed incident"
    commit(listed)
    commit(json.dumps(listed, indent=4).encode())  # new bytes, the same page
    listed.append(incident(13))
    commit(listed)
    for number, body in enumerate(steps):
        repo.commit(f"2026-08-21T{number:02d}:00:00+00:00", {FILE: body})
    assert len(steps[-1]) >= parallel.MIN_BYTES
    return len(steps)


def imported(tmp_path: Path, name: str, repo: Repo, file: str = FILE, fmt: str = "gcp") -> Tracker:
    tracker = Tracker(tmp_path / name)
    tracker("import", "git", str(repo.path), file, "--source", "status", "--format", fmt)
    return tracker


def stored(tracker: Tracker) -> dict:
    """Everything an import leaves that a reader sees: fetches, versions, each version's
    document, the changes found; and `verify` must accept the archive."""
    tracker("verify")
    conn = sqlite3.connect(tracker.home / "tracker.db")
    fetches = conn.execute(
        "select reference, outcome, error, detail, sha256, snapshot_id from fetches order by id"
    ).fetchall()
    versions = conn.execute(
        "select id, sha256, doc_hash, first_seen, last_seen from snapshots order by id"
    ).fetchall()
    # Byte for byte the same body store: a delta worked out on the worker is the one this
    # process would have written.
    bodies = conn.execute(
        "select b.sha256, base.sha256, b.depth, b.size, b.data from bodies b "
        "left join bodies base on base.id = b.base_id order by b.id"
    ).fetchall()
    conn.close()
    documents = [
        json.loads(tracker("show", "status", "--version", str(v[0]), "--json").output)
        for v in versions
    ]
    changes = json.loads(tracker("changes", "--all", "--json").output)
    return {
        "fetches": fetches,
        "versions": versions,
        "bodies": bodies,
        "documents": documents,
        "changes": changes,
    }


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "scraper")
    assert history(repo) >= ahead.MIN_PAGES  # long enough for a worker
    return repo


def stored_alone(monkeypatch: pytest.MonkeyPatch, *args: Any) -> dict:
    """`stored(imported(*args))`, every version read in the importing process."""
    with monkeypatch.context() as patch:
        patch.setattr(ahead, "MIN_PAGES", 10_000)
        return stored(imported(*args))


@pytest.fixture
def in_one_process(tmp_path: Path, repo: Repo, monkeypatch: pytest.MonkeyPatch) -> dict:
    return stored_alone(monkeypatch, tmp_path, "alone", repo)


_READ = ahead.read_changes


def _noted(fresh: bool, *args):
    """The worker's reading, noted on the worker in a file; killed at `READ_AHEAD_KILL_AT`."""
    with open(os.environ["READ_AHEAD_NOTES"], "a") as notes:
        notes.write(f"{os.getpid()}\n")
    with open(os.environ["READ_AHEAD_NOTES"]) as notes:
        if sum(1 for _ in notes) == int(os.environ.get("READ_AHEAD_KILL_AT", 0)):
            os.kill(os.getpid(), signal.SIGKILL)
    return _READ(fresh, *args)


def worker_readings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kill_at: int = 0) -> Path:
    notes = tmp_path / "notes"
    monkeypatch.setattr(ahead, "read_changes", _noted)
    monkeypatch.setenv("READ_AHEAD_NOTES", str(notes))
    monkeypatch.setenv("READ_AHEAD_KILL_AT", str(kill_at))
    return notes


def test_an_import_read_on_a_worker_stores_what_one_process_stores(
    tmp_path, repo, in_one_process, monkeypatch
):
    notes = worker_readings(tmp_path, monkeypatch)
    found = stored(imported(tmp_path, "worker", repo))
    assert found == in_one_process
    outcomes = [f[1] for f in found["fetches"]]
    assert outcomes.count("failed") == 2  # the empty file, the body cut short
    assert "unchanged" in outcomes  # reformatted bytes, the same page
    kinds = {c["kind"] for c in found["changes"]}
    assert {"incident_added", "update_added", "update_edited"} <= kinds
    # Every non-empty version was read on one worker, not here.
    readers = notes.read_text().split()
    assert len(readers) == len(outcomes) - 1 and len(set(readers)) == 1
    assert str(os.getpid()) not in readers


def test_a_worker_killed_half_way_leaves_the_rest_read_here(
    tmp_path, repo, in_one_process, monkeypatch
):
    notes = worker_readings(tmp_path, monkeypatch, kill_at=5)
    assert stored(imported(tmp_path, "killed", repo)) == in_one_process
    assert len(notes.read_text().split()) == 5  # the worker died at its fifth version


def test_a_history_of_small_bodies_is_read_here(tmp_path, monkeypatch):
    """Sending a body of a few kilobytes to a worker costs more than reading it."""
    notes = worker_readings(tmp_path, monkeypatch)
    repo = Repo(tmp_path / "small")
    listed = [incident(0)]
    for number in range(ahead.MIN_PAGES + 2):
        listed[0]["external_desc"] = f"Incident, as worded {number} times"
        repo.commit(f"2026-08-21T{number:02d}:00:00+00:00", {FILE: json.dumps(listed).encode()})
    found = stored(imported(tmp_path, "small", repo))
    assert [f[1] for f in found["fetches"]] == ["new"] * (ahead.MIN_PAGES + 2)
    assert not notes.exists()


def test_an_html_history_read_on_a_worker_stores_what_one_process_stores(tmp_path, monkeypatch):
    """A generic HTML page (60 incidents, new noise on every commit) reworded and added to."""
    repo = Repo(tmp_path / "html")
    edits: list[tuple[int, int]] = []
    additions: list[int] = []
    for number in range(ahead.MIN_PAGES + 2):
        if number in (3, 7):
            edits.append((2 + number, number % 2))  # an update reworded
        if number == 5:
            additions.append(4)  # a new update on an incident
        body = sitegen.page_bytes(0, 0, number, tuple(edits), tuple(additions))
        repo.commit(f"2026-08-21T{number:02d}:00:00+00:00", {"status.html": body})
    alone = stored_alone(monkeypatch, tmp_path, "alone", repo, "status.html", "html")
    notes = worker_readings(tmp_path, monkeypatch)
    found = stored(imported(tmp_path, "worker", repo, "status.html", "html"))
    assert found == alone
    assert {c["kind"] for c in found["changes"]} >= {"update_added", "update_edited"}
    readers = notes.read_text().split()
    assert len(readers) == ahead.MIN_PAGES + 2 and str(os.getpid()) not in readers
