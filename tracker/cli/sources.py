"""`tracker add`, `sources`, `remove`, `catalog`: what is tracked."""

from __future__ import annotations

from pathlib import Path

import click

from .. import catalog, sourcefile
from .. import sources as tracking
from ..archive import Archive
from ..extract import FORMATS
from ..models import Source
from ..publish import notify, pages
from ..times import now_iso
from .app import archive_for, cli, echo_json


@cli.command()
@click.argument("target", required=False)
@click.option(
    "--from",
    "from_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Add every source of a sources file (TOML, as `sources --export` writes) or OPML.",
)
@click.option("--name", help="Name for the source (default: catalog name or the URL's host).")
@click.option(
    "--format", "fmt", help=f"Format: auto (default for URLs), {', '.join(sorted(FORMATS))}."
)
@click.option("--select", help="CSS selector of the part of an HTML page to keep.")
@click.option(
    "--ignore", multiple=True, help="CSS selector to drop from an HTML page (repeatable)."
)
@click.option(
    "--ignore-robots",
    is_flag=True,
    help="Fetch it even where its robots.txt disallows (recorded with every fetch).",
)
@click.option("--no-probe", is_flag=True, help="Do not fetch the URL now to pick its format.")
@click.pass_context
def add(
    ctx: click.Context,
    target: str | None,
    from_file: Path | None,
    name: str | None,
    fmt: str | None,
    select: str | None,
    ignore: tuple[str, ...],
    ignore_robots: bool,
    no_probe: bool,
) -> None:
    """Track a page: a catalog name or any http(s) URL; or every page of a sources file.

    \b
    Examples:
      tracker add apple
      tracker add https://www.githubstatus.com/api/v2/incidents.json --name github
      tracker add https://example.com/status --format html --select main --ignore .uptime
      tracker add --from tracker.toml
      tracker add --from feeds.opml
    """
    if from_file is not None:
        if target or name or fmt or select or ignore or ignore_robots:
            raise click.UsageError("--from takes no TARGET and no per-source options")
        _add_from(ctx, from_file, not no_probe)
        return
    if not target:
        raise click.UsageError("give a catalog name or a URL to track, or --from FILE")
    source = tracking.new_source(
        target, name=name, fmt=fmt, select=select, ignore=ignore, ignore_robots=ignore_robots
    )
    with archive_for(ctx, create=True) as archive:
        source = archive.add_source(source)
        chosen = source.format
        if chosen == "auto" and not no_probe:
            chosen = _probe(archive, source)
    click.echo(f"added {source.name}: {source.url} [{chosen}]")


def _probe(archive: Archive, source: Source) -> str:
    """Fetch the page once (where robots.txt allows) to pick its format; says what it found."""
    allowed, why = tracking.robots_verdicts(archive, [source])[source.name]
    if not allowed:
        return f"auto: not probed, {why}; pass --format, or --ignore-robots"
    probe = tracking.probe_format(source)
    if not probe.format:
        return f"auto: {probe.problem}; decided at the first fetch, or pass --format"
    archive.set_format(source.name, probe.format)
    return f"{probe.format} (detected)"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _add_from(ctx: click.Context, path: Path, probe: bool) -> None:
    listed = sourcefile.read(path)
    with archive_for(ctx, create=True) as archive:
        report = sourcefile.add_all(archive, listed, probe=probe)
    for name, found in report.probed.items():
        click.echo(f"  {name}: {found}")
    click.echo(
        f"added {_count(len(report.added), 'source')} from {path}"
        + (f", {len(report.unchanged)} already tracked" if report.unchanged else "")
        + (
            f", {_count(report.targets_added, 'notification target')}"
            if report.targets_added
            else ""
        )
    )


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--export",
    "as_toml",
    is_flag=True,
    help="Print a sources file (TOML) that `tracker add --from` reads back; it includes the "
    "notification targets, with any secrets in their URLs.",
)
@click.pass_context
def sources(ctx: click.Context, as_json: bool, as_toml: bool) -> None:
    """List tracked sources with their latest version.

    \b
    Examples:
      tracker sources --json
      tracker sources --export > tracker.toml
    """
    with archive_for(ctx) as archive:
        if as_toml:
            text = sourcefile.export_toml(archive.sources(), notify.targets(archive))
            click.echo(text, nl=False)
            return
        rows = pages.source_rows(archive)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no sources yet: `tracker add NAME|URL`, or `tracker run` adds the catalog")
        return
    for row in rows:
        last = row["last_fetch"] or "never fetched"
        click.echo(
            f"{row['name']:<20} {row['format']:<11} {row['versions']:>4} versions  "
            f"{last:<24} {row['url']}"
        )


@cli.command()
@click.argument("name")
@click.option("--purge", is_flag=True, help="Also delete its fetches, versions and edits.")
@click.pass_context
def remove(ctx: click.Context, name: str, purge: bool) -> None:
    """Stop tracking a source. Its history is kept unless --purge.

    \b
    Example:
      tracker remove github
    """
    with archive_for(ctx, lock="remove") as archive:
        archive.remove_source(name, purge=purge, when=now_iso())
    kept = "history deleted" if purge else "history kept; `tracker add` resumes it"
    click.echo(f"removed {name} ({kept})")


@cli.command(name="catalog")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def catalog_command(as_json: bool) -> None:
    """List the built-in catalog of well-known vendor status pages.

    \b
    Example:
      tracker catalog
      tracker add cloudflare
    """
    entries = catalog.entries()
    if as_json:
        echo_json([entry.__dict__ for entry in entries])
        return
    for entry in entries:
        click.echo(f"{entry.name:<18} {entry.format:<11} {entry.title:<34} {entry.url}")
