"""`tracker gc`: tidy the body store and say what the archive holds."""

from __future__ import annotations

import click

from .. import maintenance
from .app import archive_for, cli, echo_json


def _mb(count: int) -> str:
    return f"{count / 1_000_000:,.2f} MB"


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_context
def gc(ctx: click.Context, as_json: bool) -> None:
    """Drop what a killed run left behind and report the archive's size by source.

    Removes temporary files in the body store and bodies no record names (after a
    `remove --purge`); never a body any fetch or version names.

    \b
    Example:
      tracker gc
      tracker gc --json
    """
    with archive_for(ctx, lock="gc") as archive:
        report = maintenance.collect_garbage(archive)
    if as_json:
        echo_json(report)
        return
    removed = report["removed"]
    click.echo(
        f"removed {removed['temp_files']} temporary files, {removed['orphan_body_files']} "
        f"unnamed body files and {removed['orphan_bodies']} unnamed bodies "
        f"({_mb(removed['bytes'])})"
    )
    click.echo(f"database: {_mb(report['database_bytes'])}")
    for source in report["sources"]:
        rows = source["rows"]
        click.echo(
            f"{source['source']}: {source['bodies']} bodies, {_mb(source['body_bytes_received'])}"
            f" received, {_mb(source['body_bytes_stored'])} stored; {rows['fetches']} fetches, "
            f"{rows['snapshots']} versions, {rows['update_items'] + rows['incident_items']} "
            f"item versions, {rows['edits']} edits"
        )
