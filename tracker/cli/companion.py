"""`tracker datasette-metadata`: open the archive in Datasette on what matters."""

from __future__ import annotations

from pathlib import Path

import click

from ..archive.home import check_output
from ..files import atomic_write
from ..publish import datasette, links
from .app import archive_for, cli
from .nightly import base_url_option


@cli.command(name="datasette-metadata")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File (default: metadata.json in the data directory).",
)
@base_url_option
@click.pass_context
def datasette_metadata(ctx: click.Context, output: Path | None, base_url: str | None) -> None:
    """Write Datasette's metadata.json: titles, column notes, canned queries (silent edits this
    week, every wording of an update, edits by vendor) and a titled Atom feed of edits.

    \b
    Example:
      tracker datasette-metadata
      datasette snapshots/tracker.db -m snapshots/metadata.json
    """
    with archive_for(ctx) as archive:
        target = output or datasette.default_path(archive.home)
        check_output(archive.home, target)
        atomic_write(target, datasette.metadata_json(links.base_url(archive, base_url)))
    click.echo(f"wrote {target}")
