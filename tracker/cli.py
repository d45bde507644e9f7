"""The `tracker` command: a thin click shell over the library.

Each command parses options, calls one library function and prints its result. Errors from the
library become a one-line message and an exit code here, in one place (`TrackerGroup.invoke`).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from contextlib import AbstractContextManager as ContextManager
from pathlib import Path
from typing import Any

import click

from . import __version__, catalog, outputs, pipeline, views
from .archive import Archive, open_archive
from .classify import FLAGS
from .cli_history import demo, import_
from .errors import TrackerError
from .extract import FORMATS
from .fetch import Policy


class TrackerGroup(click.Group):
    """Turns every TrackerError into `tracker: <message>` on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TrackerError as exc:
            click.echo(f"tracker: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except sqlite3.OperationalError as exc:
            # Busy for longer than the busy timeout, a full disk, a read-only directory.
            click.echo(f"tracker: the archive database could not be used: {exc}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("tracker: interrupted; everything stored so far is kept", err=True)
            ctx.exit(130)


@click.group(cls=TrackerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="TRACKER_HOME",
    help="Data directory (default: ./snapshots; or set TRACKER_HOME).",
)
@click.version_option(__version__, prog_name="status-tracker")
@click.pass_context
def cli(ctx: click.Context, home: Path | None) -> None:
    """Keep every version of vendor status pages and flag silent edits.

    \b
    Start with:
      tracker add github          # from the built-in catalog (`tracker catalog`)
      tracker fetch               # fetch every source, store new versions
      tracker changes             # what was rewritten, most significant first
    """
    ctx.obj = {"home": home}


def archive_for(ctx: click.Context, lock: str | None = None) -> ContextManager[Archive]:
    """The data directory's archive; with `lock`, holding the single-run lock too."""
    return open_archive(ctx.obj["home"], lock)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


# -- sources ------------------------------------------------------------------------------------


@cli.command()
@click.argument("target")
@click.option("--name", help="Name for the source (default: catalog name or the URL's host).")
@click.option(
    "--format", "fmt", help=f"Format: auto (default for URLs), {', '.join(sorted(FORMATS))}."
)
@click.option("--select", help="CSS selector of the part of an HTML page to keep.")
@click.option(
    "--ignore", multiple=True, help="CSS selector to drop from an HTML page (repeatable)."
)
@click.option("--no-probe", is_flag=True, help="Do not fetch the URL now to pick its format.")
@click.pass_context
def add(
    ctx: click.Context,
    target: str,
    name: str | None,
    fmt: str | None,
    select: str | None,
    ignore: tuple[str, ...],
    no_probe: bool,
) -> None:
    """Track a page: a catalog name or any http(s) URL.

    \b
    Examples:
      tracker add apple
      tracker add https://www.githubstatus.com/api/v2/incidents.json --name github
      tracker add https://example.com/status --format html --select main --ignore .uptime
    """
    source = pipeline.new_source(target, name=name, fmt=fmt, select=select, ignore=ignore)
    with archive_for(ctx) as archive:
        source = archive.add_source(source)
        chosen = source.format
        if chosen == "auto" and not no_probe:
            probe = pipeline.probe_format(source)
            if probe.format:
                archive.set_format(source.name, probe.format)
                chosen = f"{probe.format} (detected)"
            else:
                chosen = f"auto: {probe.problem}; decided at the first fetch, or pass --format"
    click.echo(f"added {source.name}: {source.url} [{chosen}]")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def sources(ctx: click.Context, as_json: bool) -> None:
    """List tracked sources with their latest version.

    \b
    Example:
      tracker sources --json
    """
    with archive_for(ctx) as archive:
        rows = views.source_rows(archive)
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
        archive.remove_source(name, purge=purge, when=pipeline.utc_now())
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


# -- fetching -----------------------------------------------------------------------------------


def _parse_size(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    units = {"": 1, "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}
    text = value.strip().upper()
    number = text.rstrip("KMGB")
    unit = text[len(number) :]
    if not number.isdigit() or unit not in units:
        raise click.BadParameter(f"{value!r} is not a size like 20MB or 500KB")
    return int(number) * units[unit]


def policy_options(command: Any) -> Any:
    """Politeness and patience knobs shared by `fetch` and `run`."""
    defaults = Policy()
    options = [
        click.option(
            "--workers",
            default=defaults.workers,
            show_default=True,
            type=click.IntRange(1, 64),
            help="Sources fetched at once.",
        ),
        click.option(
            "--timeout",
            default=defaults.read_timeout,
            show_default=True,
            type=click.FloatRange(0.1),
            help="Seconds to wait for the server to answer.",
        ),
        click.option(
            "--deadline",
            default=defaults.deadline,
            show_default=True,
            type=click.FloatRange(0.1),
            help="Wall-clock seconds for one attempt at a page, headers and body.",
        ),
        click.option(
            "--retries",
            default=defaults.retries,
            show_default=True,
            type=click.IntRange(0, 10),
            help="Retries on connection errors, 429 and 5xx.",
        ),
        click.option(
            "--max-size",
            default="20MB",
            show_default=True,
            callback=_parse_size,
            help="Largest body accepted, on the wire and decompressed.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _policy(options: dict[str, Any]) -> Policy:
    return Policy(
        workers=options["workers"],
        connect_timeout=min(10.0, options["timeout"]),
        read_timeout=options["timeout"],
        deadline=options["deadline"],
        retries=options["retries"],
        max_bytes=options["max_size"],
    )


def _run_fetch(
    archive: Archive, names: tuple[str, ...], policy: Policy, quiet: bool, as_json: bool
) -> int:
    progress = views.Progress(enabled=sys.stderr.isatty() and not quiet and not as_json)
    outcomes = pipeline.fetch_sources(archive, names, policy, on_outcome=progress.update)
    progress.done()
    if not outcomes and not as_json:
        click.echo("no sources to fetch: `tracker add NAME|URL` adds one", err=True)
    failed = [o for o in outcomes if o.outcome == "failed"]
    if as_json:
        echo_json([o.__dict__ for o in outcomes])
    else:
        for outcome in outcomes:
            if quiet and outcome.outcome != "failed":
                continue
            click.echo(views.outcome_line(outcome), err=outcome.outcome == "failed" and quiet)
    return 1 if failed else 0


@cli.command()
@click.argument("names", nargs=-1)
@policy_options
@click.option("-q", "--quiet", is_flag=True, help="Print only failures (for cron).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcomes as JSON.")
@click.pass_context
def fetch(
    ctx: click.Context, names: tuple[str, ...], quiet: bool, as_json: bool, **options: Any
) -> None:
    """Fetch sources (all by default) and store every new version.

    Exit status: 0 all fetched, 1 some source failed, 2 usage, 75 another run holds the lock.

    \b
    Examples:
      tracker fetch
      tracker fetch github apple --json
    """
    with archive_for(ctx, lock="fetch") as archive:
        for name in names:
            archive.get_source(name)
        code = _run_fetch(archive, names, _policy(options), quiet, as_json)
    ctx.exit(code)


@cli.command()
@policy_options
@click.option("-q", "--quiet", is_flag=True, help="Print only failures (for cron).")
@click.pass_context
def run(ctx: click.Context, quiet: bool, **options: Any) -> None:
    """The nightly job: fetch everything (adding the catalog to an empty archive).

    Quiet with -q unless something failed; exit 1 when a source failed. Safe to overlap
    (a second run exits 75) and to kill (a rerun completes).

    \b
    Example (crontab):
      17 3 * * *  cd /srv/status && tracker run -q
    """
    with archive_for(ctx, lock="run") as archive:
        if not archive.ever_had_sources():
            added = pipeline.add_catalog(archive)
            click.echo(f"the archive had no sources: added the {added} catalog sources", err=True)
        code = _run_fetch(archive, (), _policy(options), quiet, False)
        written = outputs.refresh(archive)
        if not quiet:
            for path in written:
                click.echo(f"wrote {path}")
    ctx.exit(code)


@cli.command()
@click.argument("name")
@click.option("--limit", type=click.IntRange(1), help="Show at most this many fetches.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def log(ctx: click.Context, name: str, limit: int | None, as_json: bool) -> None:
    """The fetches of a source, newest first: outcome, HTTP status, body hash, version.

    \b
    Example:
      tracker log github --json
    """
    with archive_for(ctx) as archive:
        rows = views.log_rows(archive, name, limit)
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(views.log_line(row))


# -- reading the archive -------------------------------------------------------------------------


@cli.command()
@click.argument("name")
@click.option("--at", "at", help="Show the page as it was at this time (ISO 8601, UTC).")
@click.option("--version", "version", type=int, help="Show this version (ids from `tracker log`).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def show(ctx: click.Context, name: str, at: str | None, version: int | None, as_json: bool) -> None:
    """What a page said: its incidents and their updates (latest version by default).

    \b
    Examples:
      tracker show apple
      tracker show github --at 2026-11-20T14:05 --json
    """
    with archive_for(ctx) as archive:
        page = views.page_view(archive, name, at=at, version=version)
    if as_json:
        echo_json(page)
    else:
        click.echo(views.page_text(page))


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
        reports = pipeline.rebuild(archive, names)
    for r in reports:
        click.echo(
            f"{r.source:<20} {r.snapshots} versions, {r.documents_changed} documents changed, "
            f"{r.unparseable} unparseable, edits {r.edits_before} -> {r.edits_after}"
        )


def filter_options(command: Any) -> Any:
    """The filters shared by changes, report, feed and export."""
    options = [
        click.option("--source", "sources", multiple=True, help="Only this source (repeatable)."),
        click.option("--since", help="Only edits first seen at or after this time (ISO 8601)."),
        click.option(
            "--flag",
            "flags",
            multiple=True,
            type=click.Choice(FLAGS),
            help="Only edits with this flag (repeatable).",
        ),
        click.option("--silent", is_flag=True, help="Only silent edits."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _filters(sources, since, flags, silent, all_kinds=False) -> outputs.Filters:  # type: ignore[no-untyped-def]
    return outputs.Filters(
        sources=tuple(sources),
        since=views.parse_when(since) if since else None,
        flags=tuple(flags),
        silent=silent,
        all_kinds=all_kinds,
    )


@cli.command()
@filter_options
@click.option("--all", "all_kinds", is_flag=True, help="Also list new updates and incidents.")
@click.option("--limit", type=click.IntRange(1), help="Show at most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--no-color", is_flag=True, help="Plain text with [-deleted-]{+inserted+} marks.")
@click.pass_context
def changes(
    ctx: click.Context,
    sources: tuple[str, ...],
    since: str | None,
    flags: tuple[str, ...],
    silent: bool,
    all_kinds: bool,
    limit: int | None,
    as_json: bool,
    no_color: bool,
) -> None:
    """Edits to published updates and incidents, most significant first.

    New updates and incidents are normal news and hidden unless --all.

    \b
    Examples:
      tracker changes --silent
      tracker changes --source apple --flag quantity_vagued --json
    """
    with archive_for(ctx) as archive:
        records = outputs.change_records(
            archive, _filters(sources, since, flags, silent, all_kinds)
        )
    records = records[:limit] if limit else records
    if as_json:
        echo_json([views.change_json(r) for r in records])
        return
    if not records:
        click.echo(
            "no edits found; `tracker fetch` gathers versions, `tracker changes --all` "
            "also lists new updates"
        )
        return
    color = views.use_color(no_color)
    for record in records:
        click.echo(views.change_text(record, color), color=color)


@cli.command()
@click.argument("name")
@click.argument("a", type=int, required=False)
@click.argument("b", type=int, required=False)
@click.option("--no-color", is_flag=True, help="Plain text with [-deleted-]{+inserted+} marks.")
@click.pass_context
def diff(ctx: click.Context, name: str, a: int | None, b: int | None, no_color: bool) -> None:
    """Word diff of two versions of a page, update by update (default: the last two).

    A and B are version ids from `tracker log NAME`.

    \b
    Examples:
      tracker diff apple
      tracker diff github 12 15 --no-color | less
    """
    with archive_for(ctx) as archive:
        comparison = views.compare_versions(archive, name, a, b)
    color = views.use_color(no_color)
    click.echo(views.comparison_text(comparison, color), color=color)


@cli.command()
@click.argument("query")
@click.option("--source", "sources", multiple=True, help="Only this source (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def search(ctx: click.Context, query: str, sources: tuple[str, ...], as_json: bool) -> None:
    """Full-text search over every wording every update has ever had.

    QUERY uses SQLite FTS5 syntax: words, "exact phrases", OR, NOT, prefix*.

    \b
    Examples:
      tracker search percent
      tracker search '"some users"' --source apple --json
    """
    with archive_for(ctx) as archive:
        rows = views.search_rows(archive, query, sources)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(f"nothing matches {query!r}")
    for row in rows:
        click.echo(views.search_text(row))


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
        checked, problems = pipeline.verify(archive)
    for problem in problems:
        click.echo(f"problem: {problem}", err=True)
    click.echo(
        f"checked {checked} versions: {'ok' if not problems else f'{len(problems)} problems'}"
    )
    ctx.exit(3 if problems else 0)


# -- publishing ---------------------------------------------------------------------------------


@cli.command()
@filter_options
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Directory, or a .html file.")
@click.pass_context
def report(
    ctx: click.Context,
    sources: tuple[str, ...],
    since: str | None,
    flags: tuple[str, ...],
    silent: bool,
    output: Path | None,
) -> None:
    """Write a static HTML report: ranked edits and a dossier per incident.

    PATH ending in .html gives one self-contained file; otherwise a directory with index.html.
    The report runs no scripts and loads nothing from the network.

    \b
    Examples:
      tracker report -o out/
      tracker report --silent -o silent-edits.html
    """
    with archive_for(ctx) as archive:
        target = output or archive.home / "report"
        outputs.write_report(archive, target, _filters(sources, since, flags, silent))
    shown = target if str(target).endswith(".html") else target / "index.html"
    click.echo(f"wrote {shown}")


@cli.command()
@filter_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File.")
@click.pass_context
def feed(
    ctx: click.Context,
    sources: tuple[str, ...],
    since: str | None,
    flags: tuple[str, ...],
    silent: bool,
    output: Path | None,
) -> None:
    """An Atom feed of edits, newest first (stdout unless -o).

    \b
    Example:
      tracker feed --silent -o edits.xml
    """
    with archive_for(ctx) as archive:
        data = outputs.feed_bytes(archive, _filters(sources, since, flags, silent))
    if output:
        outputs.atomic_write(output, data)
        click.echo(f"wrote {output}")
    else:
        click.echo(data.decode("utf-8"), nl=False)


@cli.command(name="export")
@filter_options
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True
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
    """Export edits (or versions, fetches) as JSON or CSV (stdout unless -o).

    \b
    Examples:
      tracker export --format csv -o edits.csv
      tracker export --what fetches --source github
    """
    with archive_for(ctx) as archive:
        text = outputs.export_text(
            archive, fmt, what, _filters(sources, since, flags, silent, True)
        )
    if output:
        outputs.atomic_write(output, text.encode("utf-8"))
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)


cli.add_command(import_)
cli.add_command(demo)


def main() -> None:
    cli(prog_name="tracker")
