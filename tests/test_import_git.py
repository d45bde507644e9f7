"""`tracker import git`: a git-scraping history built in the test, imported commit by commit."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tracker.archive import Archive
from tracker.errors import UsageError
from tracker.importers import import_git
from tracker.publish.records import Filters, change_records

FIXTURES = Path(__file__).parent / "fixtures"
FILE = "data/airbrake/incidents.json"
ORIGINAL = (FIXTURES / "history" / "incidents.json").read_bytes()
BEFORE = b"We are currently investigating a delay in error processing."
AFTER = b"We are currently investigating a brief delay in error processing for some users."
THIRD = b"We are currently investigating a delay in error processing for all users."
# A Statuspage-hosted HTML page, and the plain page its host showed during maintenance.
STATUS_PAGE = (FIXTURES / "formats" / "statuspage-page.html").read_bytes()
MAINTENANCE = (
    b"<html><head><title>Maintenance</title></head><body><h1>We will be back soon</h1>"
    b"<p>Scheduled maintenance in progress.</p></body></html>"
)


class Repo:
    """A git repository in a temporary directory, committed to at chosen times."""

    def __init__(self, path: Path):
        self.path = path
        self.env = {
            **os.environ,
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Scraper",
            "GIT_AUTHOR_EMAIL": "scraper@example.com",
            "GIT_COMMITTER_NAME": "Scraper",
            "GIT_COMMITTER_EMAIL": "scraper@example.com",
        }
        path.mkdir()
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, when: str | None = None) -> str:
        env = dict(self.env, GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when) if when else self.env
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=env, check=True, capture_output=True, text=True
        )
        return done.stdout.strip()

    def commit(self, when: str, files: dict[str, bytes | None], message: str = "Latest") -> str:
        for name, body in files.items():
            target = self.path / name
            if body is None:
                self.git("rm", "-q", name)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
            self.git("add", name)
        self.git("commit", "-q", "-m", message, when=when)
        return self.git("rev-parse", "HEAD")


def reformatted(body: bytes) -> bytes:
    """The same data in another layout: new bytes, the same page."""
    return json.dumps(json.loads(body), indent=4, sort_keys=True).encode()


@pytest.fixture
def history(tmp_path: Path) -> tuple[Repo, list[str]]:
    """Five commits of the file: original, noise, an edit, its revert, the file's deletion."""
    assert BEFORE in ORIGINAL
    repo = Repo(tmp_path / "scraper")
    shas = [
        repo.commit("2023-04-13T09:00:00+02:00", {FILE: ORIGINAL}),
        repo.commit("2023-04-13T10:00:00+02:00", {FILE: reformatted(ORIGINAL)}),
        repo.commit("2023-04-13T11:00:00+02:00", {FILE: ORIGINAL.replace(BEFORE, AFTER)}),
        repo.commit("2023-04-13T12:00:00+02:00", {"README.md": b"scraper\n"}, "Not the page"),
        repo.commit("2023-04-13T13:00:00+02:00", {FILE: ORIGINAL}),
        repo.commit("2023-04-13T14:00:00+02:00", {FILE: None}, "Page gone"),
    ]
    del shas[3]  # did not touch the file
    return repo, shas


@pytest.fixture
def archive(home: Path):
    archive = Archive(home)
    yield archive
    archive.close()


def imported(archive: Archive, repo: Repo, **options):
    return import_git(archive, repo.path, FILE, source="airbrake", fmt="statuspage", **options)


def test_every_commit_is_one_observation_at_its_commit_time(archive, history):
    repo, shas = history
    summary = imported(archive, repo)

    assert (summary.found, summary.new, summary.unchanged) == (5, 3, 1)
    [gone] = summary.failures
    assert gone.reference == shas[4] and gone.kind == "empty" and "deleted" in gone.detail
    fetches = sorted(archive.fetches("airbrake"), key=lambda row: row["id"])
    assert [(f["reference"], f["outcome"]) for f in fetches] == list(
        zip(shas, ["new", "unchanged", "new", "new", "failed"], strict=True)
    )
    assert all(f["origin"] == "git" for f in fetches)
    # +02:00 commit times, stored in UTC in the archive's format
    assert [f["started_at"] for f in fetches][:2] == [
        "2023-04-13T07:00:00.000000Z",
        "2023-04-13T08:00:00.000000Z",
    ]
    versions = archive.snapshots("airbrake")
    assert [v["reference"] for v in versions] == [shas[0], shas[2], shas[3]]
    assert versions[0]["last_seen"] == "2023-04-13T08:00:00.000000Z"  # the noise commit
    assert versions[0]["content_type"] == "application/json"


def test_the_edit_and_its_revert_point_at_their_commits(archive, history):
    repo, shas = history
    summary = imported(archive, repo)

    edits = change_records(archive, Filters(sources=("airbrake",)))
    assert summary.edits >= len(edits) == 2
    by_commit = {record.after.reference: record for record in edits}
    edit, revert = by_commit[shas[2]], by_commit[shas[3]]
    assert edit.event.kind == revert.event.kind == "update_edited"
    assert edit.event.silent and not edit.event.revert
    assert revert.event.revert
    assert edit.before is not None and edit.before.reference == shas[0]
    assert edit.after.origin == "git"
    assert (edit.window_start, edit.window_end) == (
        "2023-04-13T08:00:00.000000Z",
        "2023-04-13T09:00:00.000000Z",
    )
    assert "brief" in (edit.event.new or "") and "brief" not in (edit.event.old or "")


def test_a_second_import_adds_nothing_and_a_later_one_only_new_commits(archive, history, home):
    repo, shas = history
    imported(archive, repo)
    counts = table_counts(home)

    again = imported(archive, repo)
    assert (again.found, again.already_imported, again.read) == (5, 5, 0)
    assert table_counts(home) == counts

    repo.commit("2023-04-14T09:00:00+00:00", {FILE: ORIGINAL.replace(BEFORE, AFTER)})
    later = imported(archive, repo)
    assert (later.already_imported, later.new, later.read) == (5, 1, 1)


def test_an_interrupted_import_keeps_what_it_stored_and_a_rerun_finishes(archive, history):
    repo, shas = history

    def interrupt(done: int, total: int | None) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        imported(archive, repo, on_progress=interrupt)
    assert [f["reference"] for f in archive.fetches("airbrake")][::-1] == shas[:3]

    rest = imported(archive, repo)
    assert (rest.already_imported, rest.read) == (3, 2)
    assert [v["reference"] for v in archive.snapshots("airbrake")] == [shas[0], shas[2], shas[3]]


def test_since_and_until_select_commits(archive, history):
    repo, shas = history
    summary = imported(
        archive, repo, since="2023-04-13T10:30:00+02:00", until="2023-04-13T13:30+02:00"
    )
    assert summary.found == 2
    assert [v["reference"] for v in archive.snapshots("airbrake")] == [shas[2], shas[3]]


def test_commits_older_than_the_newest_stored_version_are_passed_over(archive, history):
    repo, shas = history
    imported(archive, repo, since="2023-04-13T12:30:00+02:00")
    earlier = imported(archive, repo)
    assert (earlier.already_imported, earlier.too_old, earlier.read) == (2, 3, 0)


def test_a_path_is_read_from_the_repository_root_even_from_a_subdirectory(archive, history):
    repo, shas = history
    (repo.path / "data").mkdir()  # the last commit deleted the file, and so its directories
    summary = import_git(archive, repo.path / "data", "airbrake/incidents.json", source="airbrake")
    assert summary.new == 3
    assert archive.get_source("airbrake").format == "statuspage"  # auto, detected
    assert archive.get_source("airbrake").url == f"git:{repo.path.resolve()}:{FILE}"


def test_a_missing_repository_or_file_is_a_usage_error(archive, history, tmp_path):
    repo, _ = history
    with pytest.raises(UsageError, match="not a git repository"):
        import_git(archive, tmp_path, FILE, source="airbrake")
    with pytest.raises(UsageError, match="never committed"):
        import_git(archive, repo.path, "data/other.json", source="airbrake")
    assert archive.sources() == []


def test_commits_dated_before_the_newest_stored_one_are_passed_over(archive, tmp_path):
    # A committer clock that went back an hour: git keeps the order, not the dates.
    repo = Repo(tmp_path / "skewed")
    shas = [
        repo.commit("2024-05-14T10:00:00+00:00", {FILE: ORIGINAL}),
        repo.commit("2024-05-14T12:00:00+00:00", {FILE: ORIGINAL.replace(BEFORE, AFTER)}),
        repo.commit("2024-05-14T11:00:00+00:00", {FILE: ORIGINAL.replace(BEFORE, THIRD)}),
        repo.commit("2024-05-14T13:00:00+00:00", {FILE: ORIGINAL}),
    ]
    summary = imported(archive, repo)

    assert (summary.found, summary.new, summary.too_old) == (4, 3, 1)
    versions = archive.snapshots("airbrake")
    assert [v["reference"] for v in versions] == [shas[0], shas[1], shas[3]]
    assert_in_time_order(archive)
    assert shas[2] not in {f["reference"] for f in archive.fetches("airbrake")}

    again = imported(archive, repo)
    assert (again.already_imported, again.too_old, again.read) == (3, 1, 0)


def test_only_the_branch_line_is_imported_not_the_merged_branch(archive, tmp_path):
    repo = Repo(tmp_path / "merged")
    first = repo.commit("2024-05-14T10:00:00+00:00", {FILE: ORIGINAL})
    repo.git("checkout", "-q", "-b", "side")
    side = [
        repo.commit("2024-05-14T11:00:00+00:00", {FILE: ORIGINAL.replace(BEFORE, THIRD)}),
        repo.commit("2024-05-14T13:00:00+00:00", {FILE: reformatted(ORIGINAL)}),
    ]
    repo.git("checkout", "-q", "main")
    edit = repo.commit("2024-05-14T12:00:00+00:00", {FILE: ORIGINAL.replace(BEFORE, AFTER)})
    repo.git("merge", "-q", "-X", "theirs", "-m", "Merge", "side", when="2024-05-14T14:00:00Z")
    merge = repo.git("rev-parse", "HEAD")

    summary = imported(archive, repo)

    assert summary.found == 3
    fetches = sorted(archive.fetches("airbrake"), key=lambda row: row["id"])
    assert [f["reference"] for f in fetches] == [first, edit, merge]
    assert not set(side) & {f["reference"] for f in fetches}
    assert_in_time_order(archive)


def test_a_maintenance_page_mid_history_is_a_failed_fetch_not_a_new_format(archive, tmp_path):
    repo = Repo(tmp_path / "html")
    shas = [
        repo.commit("2024-01-01T00:00:00+00:00", {"status.html": STATUS_PAGE}),
        repo.commit("2024-01-01T01:00:00+00:00", {"status.html": MAINTENANCE}),
        repo.commit("2024-01-01T02:00:00+00:00", {"status.html": STATUS_PAGE}),
    ]
    summary = import_git(archive, repo.path, "status.html", source="agorapulse")

    assert (summary.new, summary.unchanged, summary.edits) == (1, 1, 0)
    [maintenance] = summary.failures
    assert (maintenance.reference, maintenance.kind) == (shas[1], "unparseable")
    assert "Statuspage" in (maintenance.detail or "")
    assert archive.get_source("agorapulse").format == "statuspage"
    assert [v["reference"] for v in archive.snapshots("agorapulse")] == [shas[0]]
    assert change_records(archive, Filters(sources=("agorapulse",), all_kinds=True)) == []


# -- the command ----------------------------------------------------------------------------------


def test_command_prints_the_summary_and_reruns_quietly(tracker, history):
    repo, shas = history
    first = tracker(
        "import", "git", str(repo.path), FILE, "--source", "airbrake", "--format", "statuspage"
    )
    assert "airbrake: 5 commits read: 3 new versions, 1 unchanged, 1 failed" in first.stdout
    assert f"failed {shas[4]}: empty" in first.stdout
    assert "next: tracker changes --source airbrake" in first.stdout

    again = tracker.json("import", "git", str(repo.path), FILE, "--source", "airbrake", "--json")
    assert (again["found"], again["already_imported"], again["new"]) == (5, 5, 0)
    assert [c["source"] for c in tracker.json("changes", "--json")] == ["airbrake", "airbrake"]


def test_command_errors_name_the_repository_and_the_file(tracker, history, tmp_path):
    repo, _ = history
    missing = tracker("import", "git", str(tmp_path / "nowhere"), FILE, "--source", "x", code=2)
    assert "nowhere" in missing.stderr and "git repository" in missing.stderr
    never = tracker("import", "git", str(repo.path), "status.json", "--source", "x", code=2)
    assert "status.json was never committed" in never.stderr


def assert_in_time_order(archive: Archive, source: str = "airbrake") -> None:
    """Versions and readings stored oldest first; no edit window that ends before it starts."""
    versions = archive.snapshots(source)
    assert [v["first_seen"] for v in versions] == sorted(v["first_seen"] for v in versions)
    assert all(v["first_seen"] <= v["last_seen"] for v in versions)
    readings = sorted(archive.fetches(source), key=lambda row: row["id"])
    times = [f["started_at"] for f in readings if f["outcome"] != "failed"]
    assert times == sorted(times)
    for record in change_records(archive, Filters(sources=(source,), all_kinds=True)):
        assert record.window_start is None or record.window_start <= record.window_end


def table_counts(home: Path) -> dict[str, int]:
    with sqlite3.connect(home / "tracker.db") as conn:
        return {
            table: conn.execute(f"select count(*) from {table}").fetchone()[0]
            for table in ("snapshots", "fetches", "edits", "update_versions")
        }


def test_a_path_that_became_a_directory_stops_the_import_with_one_line(tracker, tmp_path):
    """Versions are read a few ahead of the one being stored: an error met reading ahead is
    raised when its commit's turn comes, after the commits before it are stored."""
    repo = Repo(tmp_path / "scraper")
    first = repo.commit("2023-04-13T09:00:00+02:00", {FILE: ORIGINAL})
    second = repo.commit("2023-04-13T10:00:00+02:00", {FILE: ORIGINAL.replace(BEFORE, AFTER)})
    repo.git("rm", "-q", FILE)
    later = repo.commit("2023-04-13T11:00:00+02:00", {f"{FILE}/part.json": ORIGINAL})
    for hour in range(12, 20):  # more commits after it than are read ahead
        repo.commit(f"2023-04-13T{hour}:00:00+02:00", {f"{FILE}/part.json": b"[%d]" % hour})
    done = tracker(
        "import",
        "git",
        str(repo.path),
        FILE,
        "--source",
        "airbrake",
        "--format",
        "statuspage",
        code=2,
    )
    assert f"{FILE} is a tree in {later}, not a file" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    shown = tracker("log", "airbrake", "--json")
    assert sorted(f["reference"] for f in json.loads(shown.stdout)) == sorted([first, second])
