"""The recipes in docs/recipes run the commands they say, in files their tools accept."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import click
import pytest

from tracker.cli import cli

RECIPES = Path(__file__).parent.parent / "docs" / "recipes"
TRACKER = Path(sys.executable).parent / "tracker"


def parses(line: str) -> None:
    """`line` is a tracker command line the CLI accepts (options and all), not run."""
    words = shlex.split(line)
    assert words[0].endswith("tracker"), line
    ctx = cli.make_context("tracker", words[1:], resilient_parsing=False)
    with ctx, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # protected_args, until click 9
        name, command, rest = cli.resolve_command(ctx, [*ctx.protected_args, *ctx.args])
        assert command is not None, line
        command.make_context(name, rest, parent=ctx)


def test_systemd_units_verify(tmp_path):
    service = (RECIPES / "status-tracker.service").read_text("utf-8")
    (exec_line,) = [line for line in service.splitlines() if line.startswith("ExecStart=")]
    parses(exec_line.removeprefix("ExecStart="))
    timer = (RECIPES / "status-tracker.timer").read_text("utf-8")
    assert "OnCalendar=" in timer and "WantedBy=timers.target" in timer
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the unit syntax was not checked")
    # The recipe's install path does not exist here: point it at this checkout's command.
    (tmp_path / "status-tracker.service").write_text(
        service.replace("/opt/status-tracker/bin/tracker", str(TRACKER)), "utf-8"
    )
    (tmp_path / "status-tracker.timer").write_text(timer, "utf-8")
    done = subprocess.run(
        [
            analyze,
            "verify",
            str(tmp_path / "status-tracker.service"),
            str(tmp_path / "status-tracker.timer"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    bad = service.replace("/opt/status-tracker/bin/tracker", str(tmp_path / "missing"))
    (tmp_path / "status-tracker.service").write_text(bad, "utf-8")
    failing = subprocess.run(
        [analyze, "verify", str(tmp_path / "status-tracker.service")], capture_output=True
    )
    assert failing.returncode != 0  # the check can fail


def test_github_actions_workflow_runs_the_nightly_job_and_commits_the_data():
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((RECIPES / "github-actions.yml").read_text("utf-8"))
    # YAML 1.1 reads the key `on` as True.
    triggers = workflow.get("on", workflow.get(True))
    (schedule,) = triggers["schedule"]
    assert len(schedule["cron"].split()) == 5
    assert workflow["permissions"] == {"contents": "write"}
    steps = workflow["jobs"]["archive"]["steps"]
    commands = [step["run"] for step in steps if "run" in step]
    tracker_lines = [c for c in commands if c.startswith("tracker ")]
    assert any(" run -q" in c for c in tracker_lines)
    for line in tracker_lines:
        parses(
            line.replace("${{ github.repository_owner }}", "o").replace(
                "${{ github.event.repository.name }}", "r"
            )
        )
    commit = steps[-1]
    assert commit["if"] == "always()"  # a failed source still keeps what was fetched
    assert "git add -- snapshots ':(exclude)snapshots/lock'" in commit["run"]
    assert "git push" in commit["run"]


def test_the_cron_line():
    lines = [
        line
        for line in (RECIPES / "crontab").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    (line,) = lines
    fields = line.split(None, 5)
    ranges = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
    for value, (low, high) in zip(fields[:5], ranges, strict=True):
        assert value == "*" or low <= int(value) <= high, line
    command = fields[5]
    assert command.startswith("cd /srv/status && ")
    parses(command.removeprefix("cd /srv/status && "))


def test_a_bad_command_line_is_caught():
    with pytest.raises(click.UsageError):
        parses("tracker run --no-such-option")


def test_the_recipes_are_documented():
    doc = (Path(__file__).parent.parent / "docs" / "recipes.md").read_text("utf-8")
    for path in RECIPES.iterdir():
        assert f"recipes/{path.name}" in doc


def test_the_workflow_commit_step_commits_the_data_but_not_the_lock(tmp_path):
    yaml = pytest.importorskip("yaml")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    workflow = yaml.safe_load((RECIPES / "github-actions.yml").read_text("utf-8"))
    script = workflow["jobs"]["archive"]["steps"][-1]["run"].replace("git push", "true")
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    from conftest import Tracker

    Tracker(repo / "snapshots")("demo")
    assert (repo / "snapshots" / "lock").exists()
    for _ in range(2):  # the second run finds nothing to commit and still succeeds
        subprocess.run(["bash", "-e", "-c", script], cwd=repo, check=True, capture_output=True)
    files = subprocess.run(
        ["git", "ls-files"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.split()
    assert "snapshots/tracker.db" in files and "snapshots/lock" not in files
    log = subprocess.run(
        ["git", "log", "--format=%s"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.splitlines()
    assert len(log) == 1 and log[0].startswith("Status pages as of ")
