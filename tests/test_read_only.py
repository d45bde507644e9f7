"""A data directory that may only be read: every read command works, writing says why not.

Root may write anything: as root the permission test drops the capabilities that let it
(setpriv), and is skipped where that cannot be done. --read-only and TRACKER_READ_ONLY take
the same path and are tested everywhere.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import cli

READS = [
    ["sources"],
    ["log", "apple-demo"],
    ["show", "apple-demo"],
    ["changes"],
    ["changes", "--json"],
    ["search", "percent"],
    ["diff", "apple-demo"],
    ["feed"],
    ["export", "--format", "csv"],
    ["verify"],
    ["verify", "--json"],
    ["raw", "apple-demo"],
    ["raw", "apple-demo", "--headers"],
]


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("demo") / "home"
    result = CliRunner().invoke(cli, ["demo", "--home", str(home)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    shutil.rmtree(home / "report")
    return home


@pytest.fixture
def copy(demo_home: Path, tmp_path: Path) -> Path:
    home = tmp_path / "copy"
    shutil.copytree(demo_home, home)
    return home


def run(home: Path, *args: str, env: dict | None = None):
    return CliRunner(env=env).invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


def fingerprint(home: Path) -> dict[str, str]:
    """Every file of the data directory but SQLite's shared-memory index and an empty WAL,
    which a reader of a WAL database may leave behind when the directory is writable."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(home.rglob("*"))
        if p.is_file()
        and p.name != "tracker.db-shm"
        and not (p.name == "tracker.db-wal" and not p.stat().st_size)
    }


def check_reads(home: Path, tmp_path: Path, *flag: str, env: dict | None = None) -> None:
    for args in READS:
        result = run(home, *flag, *args, env=env)
        assert result.exit_code == 0, (args, result.output)
        assert "Traceback" not in result.output
    out = tmp_path / "out"
    for args in (
        ["report", "-o", str(out / "report")],
        ["export", "--format", "warc", "-o", str(out / "all.warc.gz")],
        ["feed", "-o", str(out / "feed.xml")],
    ):
        result = run(home, *flag, *args, env=env)
        assert result.exit_code == 0, (args, result.output)
    assert (out / "report" / "index.html").exists() and (out / "all.warc.gz").exists()


def check_fetch_refused(home: Path, *flag: str, env: dict | None = None) -> None:
    for args in (["fetch"], ["rebuild"], ["gc"]):
        result = run(home, *flag, *args, env=env)
        assert result.exit_code == 1, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "read-only" in lines[0], result.stderr
        assert str(home) in lines[0]


@pytest.mark.parametrize("how", ["flag", "env"])
def test_read_only_on_request_reads_everything_and_writes_nothing(copy, tmp_path, how):
    flag = ["--read-only"] if how == "flag" else []
    env = {"TRACKER_READ_ONLY": "1"} if how == "env" else None
    before = fingerprint(copy)
    check_reads(copy, tmp_path, *flag, env=env)
    check_fetch_refused(copy, *flag, env=env)
    assert fingerprint(copy) == before


def test_a_write_without_the_lock_is_one_line_too(copy):
    result = run(copy, "--read-only", "add", "https://status.example.com/")
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def as_plain_user() -> list[str] | None:
    """How to run the CLI so that file permissions apply: as is for a user; for root, without
    the capabilities that override them (setpriv), when that tool is there."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]


@pytest.mark.skipif(
    as_plain_user() is None, reason="root may write anything, and setpriv is not installed"
)
def test_a_directory_the_user_may_only_read(copy, tmp_path):
    prefix = as_plain_user() or []
    before = fingerprint(copy)
    for path in copy.iterdir():
        path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    copy.chmod(stat.S_IRUSR | stat.S_IXUSR)
    out = tmp_path / "out"

    def tracker(*args: str) -> subprocess.CompletedProcess:
        command = [*prefix, sys.executable, "-m", "tracker", "--home", str(copy), *args]
        env = {k: v for k, v in os.environ.items() if k != "TRACKER_READ_ONLY"}
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)

    try:
        for args in [*READS, ["report", "-o", str(out / "report")]]:
            result = tracker(*args)
            assert result.returncode == 0, (args, result.stderr)
        for args in (["fetch"], ["rebuild"], ["add", "https://status.example.com/"]):
            result = tracker(*args)
            assert result.returncode == 1, (args, result.stderr)
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and "is read-only" in lines[0], result.stderr
    finally:
        copy.chmod(stat.S_IRWXU)
        for path in copy.iterdir():
            path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert fingerprint(copy) == before
    assert (out / "report" / "index.html").exists()
