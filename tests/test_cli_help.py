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


def test_the_readme_reference_is_generated_from_the_help():
    """Every command and option is in the README, as `make docs` writes it from --help."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parent.parent / "docs" / "reference.py"
    spec = importlib.util.spec_from_file_location("reference", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readme = module.README.read_text("utf-8")
    assert module.reference() in readme, "README.md is stale: run `make docs`"
    for command_path in ALL:
        assert f"`tracker {' '.join(command_path)}" in readme


def test_one_progress_line_for_fetches_and_imports(capsys):
    from tracker.cli.text import Progress
    from tracker.models import Outcome

    fetches = Progress(True, total=2)
    fetches.outcome(Outcome("github", "new"))
    fetches.outcome(Outcome("apple\x1b[31m", "failed"))
    fetches.done()
    imports = Progress(True, noun="commit")
    imports.update(120, None)
    imports.update(1000, 1000)
    imports.done()
    err = capsys.readouterr().err
    assert "[1/2] github new" in err and "[2/2] apple" in err and "\x1b[31m" not in err
    assert "[120] commits" in err and "[1000/1000] commits" in err
    assert err.endswith("\r\x1b[K")
    Progress(False, total=3).outcome(Outcome("quiet", "new"))
    assert capsys.readouterr().err == ""
