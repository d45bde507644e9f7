"""`tracker report`, `feed`, `export`: publishing what the archive found."""

from __future__ import annotations

from pathlib import Path

import click

from .. import publish
from ..archive.home import check_output
from ..errors import UsageError
from ..files import atomic_write
from ..publish import links
from .app import archive_for, cli, filter_options, make_filters
from .nightly import base_url_option


@cli.command()
@filter_options
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Directory, or a .html file.")
@base_url_option
@click.pass_context
def report(
    ctx: click.Context,
    sources: tuple[str, ...],
    since: str | None,
    flags: tuple[str, ...],
    silent: bool,
    output: Path | None,
    base_url: str | None,
) -> None:
    """Write a static HTML report: ranked edits and a dossier per incident.

    -o ending in .html gives one self-contained file; otherwise a directory with index.html.
    The report runs no scripts and loads nothing from the network.

    \b
    Examples:
      tracker report -o out/
      tracker report --silent -o silent-edits.html
    """
    with archive_for(ctx) as archive:
        target = output or archive.home / "report"
        check_output(archive.home, target)
        filters = make_filters(sources, since, flags, silent)
        publish.write_report(archive, target, filters, links.base_url(archive, base_url))
    shown = target if str(target).endswith(".html") else target / "index.html"
    click.echo(f"wrote {shown}")


@cli.command()
@filter_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File.")
@base_url_option
@click.pass_context
def feed(
    ctx: click.Context,
    sources: tuple[str, ...],
    since: str | None,
    flags: tuple[str, ...],
    silent: bool,
    output: Path | None,
    base_url: str | None,
) -> None:
    """An Atom feed of edits, newest first (stdout unless -o).

    \b
    Example:
      tracker feed --silent -o edits.xml
    """
    with archive_for(ctx) as archive:
        filters = make_filters(sources, since, flags, silent)
        data = publish.feed_bytes(archive, filters, links.base_url(archive, base_url))
    if output:
        check_output(archive.home, output)
        atomic_write(output, data)
        click.echo(f"wrote {output}")
    else:
        click.echo(data.decode("utf-8"), nl=False)


@cli.command(name="export")
@filter_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "warc"]),
    default="json",
    show_default=True,
    help="warc: every kept raw body as request/response records (needs -o FILE.warc.gz).",
)
@click.option(
    "--what",
    type=click.Choice(["edits", "versions", "fetches"]),
    default="edits",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File.")
@click.pass_context
def export_command(
    ctx: click.Context,
    sources: tuple[str, ...],
    since: str | None,
    flags: tuple[str, ...],
    silent: bool,
    fmt: str,
    what: str,
    output: Path | None,
) -> None:
    """Export edits (or versions, fetches) as JSON or CSV (stdout unless -o), or every kept
    raw body as a WARC file web archives read (pywb, warcio, the Wayback Machine's tools).

    The WARC file starts with a warcinfo record naming the tool and the chain head; then a
    request and a response record per fetch that brought a body, the bytes as received.
    With --format warc, --source and --since choose the fetches.

    \b
    Examples:
      tracker export --format csv -o edits.csv
      tracker export --what fetches --source github
      tracker export --format warc --source apple --since 2013-07-01 -o apple.warc.gz
    """
    if fmt == "warc":
        if output is None:
            raise UsageError("a WARC file is binary: give -o FILE.warc.gz (or FILE.warc)")
        with archive_for(ctx) as archive:
            check_output(archive.home, output)
            count, size = publish.export_warc(
                archive, output, make_filters(sources, since, flags, silent, True)
            )
        click.echo(f"wrote {output} ({count} fetches, {size} bytes)")
        return
    with archive_for(ctx) as archive:
        text = publish.export_text(
            archive, fmt, what, make_filters(sources, since, flags, silent, True)
        )
    if output:
        check_output(archive.home, output)
        atomic_write(output, text.encode("utf-8"))
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)
