"""`tracker demo`: the recorded history replayed through the real fetch path, offline."""

from __future__ import annotations

import sqlite3
from importlib import resources
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from tracker.cli import cli
from tracker.demo import MARKER, PAGES, serve_history


def run(*args: str, code: int = 0):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, (result.output, result.stderr)
    return result


def test_demo_flags_the_apple_edit_and_writes_the_report(tmp_path: Path):
    home = tmp_path / "tour"
    output = run("demo", "--home", str(home)).stdout

    assert "apple-demo · iMessage · update_edited" in output
    assert "quantity_vagued" in output
    assert "[-30 percent of-]" in output and "{+Some+}" in output
    assert "statuspage-demo" in output
    index = home / "report" / "index.html"
    assert f"The HTML report: {index}" in output
    assert "iMessage" in index.read_text("utf-8")
    assert f"tracker --home {home} changes" in output


def test_the_statuspage_history_shows_a_downgrade_a_new_cause_and_a_deletion(tmp_path: Path):
    home = tmp_path / "tour"
    run("demo", "--home", str(home))
    with sqlite3.connect(home / "tracker.db") as conn:
        rows = conn.execute(
            "select kind, field, flags from edits join sources on sources.id = edits.source_id "
            "where sources.name = 'statuspage-demo' and kind != 'update_added' "
            "and kind != 'incident_added'"
        ).fetchall()
    kinds = {(kind, field) for kind, field, _ in rows}
    assert ("incident_changed", "impact") in kinds
    assert ("update_removed", None) in kinds
    flags = " ".join(flags for _, _, flags in rows)
    assert "severity_down" in flags and "cause_changed" in flags


def test_a_rerun_starts_clean(tmp_path: Path):
    home = tmp_path / "tour"
    run("demo", "--home", str(home))
    first = snapshot_count(home)
    run("demo", "--home", str(home))
    assert snapshot_count(home) == first == 2 + 4  # apple v1, v2; statuspage v1..v4


def test_the_demo_leaves_a_directory_it_did_not_make_alone(tmp_path: Path):
    real = tmp_path / "snapshots"
    real.mkdir()
    (real / "tracker.db").write_bytes(b"precious")
    result = run("demo", "--home", str(real), code=2)
    assert "not made by `tracker demo`" in result.stderr
    assert (real / "tracker.db").read_bytes() == b"precious"
    assert not (real / MARKER).exists()


def test_tracker_home_from_the_environment_is_not_the_demo_home(tmp_path: Path, monkeypatch):
    real = tmp_path / "snapshots"
    real.mkdir()
    (real / "tracker.db").write_bytes(b"precious")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRACKER_HOME", str(real))
    run("demo")
    assert (real / "tracker.db").read_bytes() == b"precious"
    assert (tmp_path / "snapshots-demo" / "report" / "index.html").exists()


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_the_server_plays_each_version_in_turn_then_keeps_the_last(page):
    recorded = [(resources.files("tracker") / "data" / "demo" / f).read_bytes() for f in page.files]
    with serve_history() as (base_url, server):
        bodies = []
        for number in range(1, len(page.files) + 2):
            server.round = number
            response = requests.get(base_url + page.path, timeout=5)
            assert response.status_code == 200
            assert response.headers["Content-Type"] == page.content_type
            bodies.append(response.content)
    assert bodies == [*recorded, recorded[-1]]


def snapshot_count(home: Path) -> int:
    with sqlite3.connect(home / "tracker.db") as conn:
        return conn.execute("select count(*) from snapshots").fetchone()[0]
