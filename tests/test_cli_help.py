"""The CLI help is the reference: every command explains itself with an example."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from tracker.cli import cli


def commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))
        else:
            yield (*prefix, name)


ALL = list(commands(cli))


def test_the_reference_covers_the_documented_commands():
    names = {" ".join(path) for path in ALL}
    expected = {
        "add",
        "sources",
        "remove",
        "catalog",
        "fetch",
        "run",
        "log",
        "show",
        "rebuild",
        "changes",
        "diff",
        "search",
        "verify",
        "report",
        "feed",
        "export",
        "import git",
        "import wayback",
        "demo",
    }
    assert expected <= names


@pytest.mark.parametrize("path", ALL, ids=[" ".join(p) for p in ALL])
def test_every_command_has_help_with_an_example(path):
    result = CliRunner().invoke(cli, [*path, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Example" in result.output, f"`tracker {' '.join(path)} --help` shows no example"
    assert f"tracker {' '.join(path)}" in result.output.split("Example", 1)[1]
