"""`tracker raw`: the exact bytes a page was received as, for a journalist to show."""

from __future__ import annotations

from pathlib import Path

import click

from ..archive.home import check_output
from ..files import atomic_write
from ..publish import pages
from .app import archive_for, cli


@cli.command()
@click.argument("name")
@click.option("--version", "version", type=int, help="This version (ids from `tracker log`).")
@click.option("--at", "at", help="The version seen at this time (ISO 8601, 7d, yesterday).")
@click.option("--headers", is_flag=True, help="The response headers instead of the body.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File.")
@click.pass_context
def raw(
    ctx: click.Context,
    name: str,
    version: int | None,
    at: str | None,
    headers: bool,
    output: Path | None,
) -> None:
    """Write the exact bytes received for a version (latest by default), byte for byte.

    Its SHA-256 is the one `tracker log` and the report show.

    \b
    Examples:
      tracker raw apple --at 2013-07-22T20:00 -o apple-before.js
      tracker raw github --version 12 --headers
    """
    with archive_for(ctx) as archive:
        data = pages.raw_capture(archive, name, at=at, version=version, headers=headers)
        if output:
            check_output(archive.home, output)
            atomic_write(output, data)
    if output:
        click.echo(f"wrote {output} ({len(data)} bytes)", err=True)
    else:
        # click.echo writes bytes to the binary stream under stdout, untouched.
        click.echo(data, nl=False)
