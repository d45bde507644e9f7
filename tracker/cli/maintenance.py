"""`tracker rebuild` and `tracker verify`: re-reading and checking the evidence."""

from __future__ import annotations

import click

from .. import maintenance
from .app import archive_for, cli
from .text import rebuild_line


@cli.command()
@click.argument("names", nargs=-1)
@click.pass_context
def rebuild(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Re-extract every stored version with the current extractors and recompute the edits.

    Raw bodies are the source of truth: run this after upgrading status-tracker.

    \b
    Example:
      tracker rebuild github
    """
    with archive_for(ctx, lock="rebuild") as archive:
        reports = maintenance.rebuild(archive, names)
    for report in reports:
        click.echo(rebuild_line(report))


@cli.command()
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Re-hash every stored body and check every record points at its evidence.

    Exit status 3 when a problem is found.

    \b
    Example:
      tracker verify
    """
    with archive_for(ctx) as archive:
        checked, problems = maintenance.verify(archive)
    for problem in problems:
        click.echo(f"problem: {problem}", err=True)
    click.echo(
        f"checked {checked} versions: {'ok' if not problems else f'{len(problems)} problems'}"
    )
    ctx.exit(3 if problems else 0)
