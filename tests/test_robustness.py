"""Hostile or odd input through the CLI: the run goes on, the terminal stays safe."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tracker.archive import Archive

FIXTURE = Path(__file__).parent / "fixtures" / "http" / "incidents.json"
BODY = FIXTURE.read_bytes()
JSON = "application/json"


def payload(**changes: str) -> bytes:
    data = json.loads(BODY)
    incident = data["incidents"][0]
    for key, value in changes.items():
        if key in incident:
            incident[key] = value
        else:
            incident["incident_updates"][-1][key] = value
    return json.dumps(data).encode()


def test_one_absurd_page_never_stops_the_run(tracker, httpserver):
    for name in ("a-ok", "b-odd", "c-ok"):
        tracker("add", httpserver.url_for(f"/{name}"), "--name", name, "--format", "statuspage")
    httpserver.expect_request("/a-ok").respond_with_data(BODY, content_type=JSON)
    httpserver.expect_request("/b-odd").respond_with_data(
        payload(display_at="9999-12-31T23:00:00-05:00", created_at="9999-12-31T23:59:00Z"),
        content_type=JSON,
    )
    httpserver.expect_request("/c-ok").respond_with_data(BODY, content_type=JSON)
    result = tracker("fetch", "--workers", "1", code=None)
    assert result.exit_code in (0, 1) and "Traceback" not in result.output
    for name in ("a-ok", "b-odd", "c-ok"):
        assert len(tracker.json("log", name, "--json")) == 1
    assert tracker.json("log", "c-ok", "--json")[0]["outcome"] == "new"


def test_escape_sequences_in_scraped_text_never_reach_the_terminal(tracker, httpserver):
    tracker("add", httpserver.url_for("/api"), "--name", "evil", "--format", "statuspage")
    hostile = "Outage \x1b]0;owned\x07\x1b[2J\x1b[H title"
    httpserver.expect_request("/api").respond_with_data(
        payload(name=hostile, body="All \x1b[31mRED\x1b[0m users were affected."),
        content_type=JSON,
    )
    tracker("fetch")
    httpserver.clear()
    httpserver.expect_request("/api").respond_with_data(
        payload(name=hostile, body="Some \x1b[31mRED\x1b[0m users were affected."),
        content_type=JSON,
    )
    tracker("fetch")
    for command in (
        ["changes"],
        ["show", "evil"],
        ["diff", "evil", "--no-color"],
        ["search", "RED"],
        ["changes", "--all"],
    ):
        out = tracker(*command).output
        assert "\x1b" not in out and "\x07" not in out, command
    assert tracker.json("search", "RED", "--json"), "the word is still searchable"


def test_reordered_updates_are_not_a_new_version(tracker, home, httpserver):
    tracker("add", httpserver.url_for("/api"), "--name", "airbrake", "--format", "statuspage")
    httpserver.expect_request("/api").respond_with_data(BODY, content_type=JSON)
    tracker("fetch")
    data = json.loads(BODY)
    for incident in data["incidents"]:
        incident["incident_updates"].reverse()
    data["incidents"].reverse()
    httpserver.clear()
    httpserver.expect_request("/api").respond_with_data(json.dumps(data), content_type=JSON)
    tracker("fetch")
    assert [r["outcome"] for r in tracker.json("log", "airbrake", "--json")] == ["unchanged", "new"]


def test_odd_arguments_are_usage_errors(tracker, httpserver):
    for args in (
        ["add", "http://[::1"],
        ["add", "http://example.com:99999/x"],
        ["add", "https://example.com/a page"],
        ["changes", "--since", "9999-12-31T23:00-05:00"],
        ["changes", "--since", "last tuesday"],
        ["changes", "--flag", "nonsense"],
        ["changes", "--limit", "0"],
        ["search", "x", "--source", "nobody"],
        ["show", "nobody"],
        ["diff", "nobody"],
    ):
        result = tracker(*args, code=2)
        assert "Traceback" not in result.output, args
    tracker("add", httpserver.url_for("/api"), "--name", "s", "--format", "statuspage")
    assert "no stored version yet" in tracker("show", "s", code=2).stderr
    assert "fewer than two versions" in tracker("diff", "s", code=2).stderr


def test_a_removed_name_cannot_be_reused_for_another_page(tracker, httpserver):
    httpserver.expect_request("/a").respond_with_data(BODY, content_type=JSON)
    tracker("add", httpserver.url_for("/a"), "--name", "vendor", "--format", "statuspage")
    tracker("fetch")
    tracker("remove", "vendor")
    result = tracker(
        "add", httpserver.url_for("/b"), "--name", "vendor", "--format", "statuspage", code=2
    )
    assert "history is kept" in result.stderr
    tracker("add", httpserver.url_for("/a"), "--name", "vendor", "--format", "statuspage")


def test_the_nightly_job_respects_removed_sources(tracker, httpserver):
    tracker("add", httpserver.url_for("/a"), "--name", "vendor", "--format", "statuspage")
    tracker("remove", "vendor")
    result = tracker("run", "-q")
    assert tracker.json("sources", "--json") == []
    assert "no sources to fetch" in result.stderr


def test_processes_opening_a_new_archive_at_once(tmp_path):
    home = tmp_path / "race"
    home.mkdir()  # an empty data directory: the database and its schema are made by the race
    env = {**os.environ, "TRACKER_HOME": str(home)}
    command = [sys.executable, "-m", "tracker", "sources", "--json"]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(6)
    ]
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert json.loads(out) == []


def test_readding_a_removed_source_keeps_the_format_its_history_was_read_in(tracker, httpserver):
    atom = (Path(__file__).parent / "fixtures" / "formats" / "statuspage-history.atom").read_bytes()
    httpserver.expect_request("/history.atom").respond_with_data(
        atom, content_type="application/atom+xml"
    )
    url = httpserver.url_for("/history.atom")
    tracker("add", url, "--name", "x", "--format", "feed")
    tracker("fetch")
    tracker("remove", "x")
    assert "[feed]" in tracker("add", url, "--name", "x").output  # not re-detected
    tracker("fetch")
    assert tracker.json("changes", "--all", "--json") == []
    tracker("remove", "x")
    result = tracker("add", url, "--name", "x", "--format", "html", "--select", "main", code=2)
    assert "another format and options" in result.stderr


def test_a_never_fetched_source_can_be_added_again_differently(tracker, httpserver):
    tracker("add", httpserver.url_for("/a"), "--name", "s", "--no-probe")
    tracker("remove", "s")
    tracker("add", httpserver.url_for("/b"), "--name", "s", "--format", "statuspage")
    assert tracker.json("sources", "--json")[0]["format"] == "statuspage"


def test_an_archive_read_by_older_extractors_is_rebuilt_before_comparing(tracker, home, httpserver):
    httpserver.expect_request("/api").respond_with_data(BODY, content_type=JSON)
    tracker("add", httpserver.url_for("/api"), "--name", "airbrake", "--format", "statuspage")
    tracker("fetch")
    # What an older release would have stored: other update keys, another scheme.
    archive = Archive(home)
    data = archive.document(archive.latest_snapshots("airbrake")[0]).to_dict()
    archive.close()
    with sqlite3.connect(home / "tracker.db") as conn:
        for incident in data["incidents"]:
            for update in incident["updates"]:
                update["key"] = "old-" + update["key"]
        conn.execute("update snapshots set document = ?, doc_hash = 'old'", [json.dumps(data)])
        conn.execute("update settings set value = '0' where key = 'extract_scheme'")
    tracker("fetch")
    assert [r["outcome"] for r in tracker.json("log", "airbrake", "--json")] == ["unchanged", "new"]
    assert tracker.json("changes", "--all", "--json") == []


def test_escape_sequences_never_swallow_or_glue_words():
    from tracker.text import normalize

    assert normalize("Degraded \x1b] oops. We are investigating") == (
        "Degraded ] oops. We are investigating"
    )
    assert normalize("Investigating\x0cthe issue\x0bnow. Fixed.\x85We") == (
        "Investigating the issue now. Fixed.\nWe"
    )
    assert normalize("All \x1b[31mRED\x1b[0m users \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\") == (
        "All RED users link"
    )


def test_outputs_never_overwrite_the_evidence(tracker, home, httpserver):
    httpserver.expect_request("/api").respond_with_data(BODY, content_type=JSON)
    tracker("add", httpserver.url_for("/api"), "--name", "s", "--format", "statuspage")
    tracker("fetch")
    database = (home / "tracker.db").read_bytes()
    for args in (
        ["export", "-o", str(home / "tracker.db")],
        ["feed", "-o", str(home / "tracker.db")],
        ["export", "-o", str(home / "tracker.db-wal")],
        ["report", "-o", str(home / "blobs")],
        ["report", "-o", str(home / "blobs" / "x" / "r.html")],
    ):
        result = tracker(*args, code=1)
        assert "refusing to write" in result.stderr and "Traceback" not in result.output, args
    assert (home / "tracker.db").read_bytes()[:100] == database[:100]
    tracker("verify")
    tracker("feed", "-o", str(home / "feed.xml"))  # the nightly job's own outputs are fine
    tracker("report")


def test_a_corrupt_database_is_one_line_on_every_command(tracker, home):
    (home / "tracker.db").write_bytes(b"\x8f\x13 not sqlite at all " * 300)
    for args in (["sources"], ["verify"], ["changes"], ["fetch"]):
        result = tracker(*args, code=1)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "tracker.db is damaged" in lines[0], (args, result.stderr)
        assert "tracker verify" in lines[0]


def test_a_held_write_lock_delays_a_write_instead_of_failing_it(tracker, home, httpserver):
    import sqlite3
    import threading
    import time

    httpserver.expect_request("/api").respond_with_data(BODY, content_type=JSON)
    tracker("add", httpserver.url_for("/api"), "--name", "s", "--format", "statuspage")
    other = sqlite3.connect(home / "tracker.db", isolation_level=None, check_same_thread=False)
    other.execute("begin immediate")  # a backup or another tool holding the write lock
    threading.Timer(2.0, lambda: other.execute("commit")).start()
    started = time.monotonic()
    tracker("add", httpserver.url_for("/api"), "--name", "t", "--format", "statuspage")
    tracker("fetch")
    assert time.monotonic() - started >= 1.5
    assert {row["outcome"] for row in tracker.json("log", "t", "--json")} == {"new"}
    other.close()


def test_a_home_that_does_not_exist_is_an_error_unless_the_command_starts_one(tmp_path, httpserver):
    from click.testing import CliRunner

    from tracker.cli import cli

    typo = tmp_path / "snapshtos"
    runner = CliRunner()
    for args in (["sources"], ["changes"], ["verify"], ["fetch"], ["report"], ["log", "x"]):
        result = runner.invoke(cli, ["--home", str(typo), *args], catch_exceptions=False)
        assert result.exit_code == 2, (args, result.output)
        assert f"no archive at {typo}" in result.stderr
        assert not typo.exists(), args
    httpserver.expect_request("/api").respond_with_data(BODY, content_type=JSON)
    url = httpserver.url_for("/api")
    added = runner.invoke(cli, ["--home", str(typo), "add", url, "--format", "statuspage"])
    assert added.exit_code == 0 and (typo / "tracker.db").exists()
