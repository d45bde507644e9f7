"""Shared test helpers: a data directory per test, the CLI runner, fixture loading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def quick_second_look(monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed page is fetched again after a pause; in tests the pause is a blink."""
    monkeypatch.setenv("TRACKER_CONFIRM_DELAY", "0.01")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


class Tracker:
    """Runs `tracker --home HOME ...` in-process, the way a user would type it."""

    def __init__(self, home: Path):
        self.home = home
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int | None = 0):
        result = self.runner.invoke(cli, ["--home", str(self.home), *args], catch_exceptions=False)
        if code is not None:
            assert result.exit_code == code, (result.exit_code, result.output, result.stderr)
        return result

    def json(self, *args: str, code: int | None = 0):
        return json.loads(self(*args, code=code).stdout)


@pytest.fixture
def tracker(home: Path) -> Tracker:
    return Tracker(home)


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def drop_guards(conn) -> None:
    """What someone rewriting the database by hand does first: drop the evidence triggers."""
    names = conn.execute(
        "select name from sqlite_master where type = 'trigger' and name like 'evidence_%'"
    ).fetchall()
    for (name,) in names:
        conn.execute(f"drop trigger {name}")


@pytest.fixture
def own_robots_txt():
    """Asked for by a test that serves its own /robots.txt."""


@pytest.fixture(autouse=True)
def robots_txt_absent(request, monkeypatch):
    """Test servers have no robots.txt (404: everything allowed), as most status pages do.

    pytest-httpserver answers 500 to a path nobody expects, which RFC 9309 reads as
    "disallow everything"; so /robots.txt is a 404 here, also after `httpserver.clear()`,
    unless the test asks for `own_robots_txt`.
    """
    if "httpserver" not in request.fixturenames or "own_robots_txt" in request.fixturenames:
        return
    server = request.getfixturevalue("httpserver")

    def absent() -> None:
        server.expect_request("/robots.txt").respond_with_data("not found", status=404)

    original = server.clear

    def clear() -> None:
        original()
        absent()

    monkeypatch.setattr(server, "clear", clear)
    absent()
