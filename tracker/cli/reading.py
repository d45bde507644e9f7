"""`tracker log`, `show`, `changes`, `diff`, `search`: reading the archive."""

from __future__ import annotations

from dataclasses import replace

import click

from ..errors import UsageError
from ..publish import pages
from ..publish import records as read
from ..publish.comparison import comparison_json
from . import text
from .app import archive_for, cli, echo_json, filter_options, make_filters


@cli.command()
@click.argument("name")
@click.option("--at", "at", help="Show the page as it was at this time (ISO 8601, UTC).")
@click.option("--version", "version", type=int, help="Show this version (ids from `tracker log`).")
@click.option("--noise", "noise", is_flag=True, help="Show the noise learned for the page instead.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def show(
    ctx: click.Context,
    name: str,
    at: str | None,
    version: int | None,
    noise: bool,
    as_json: bool,
) -> None:
    """What a page said: its incidents and their updates (latest version by default).

    With --noise: the values the second look found changing between two fetches seconds
    apart, which are masked before versions are compared (`tracker noise NAME --clear`
    forgets them).

    \b
    Examples:
      tracker show apple
      tracker show github --at 2026-11-20T14:05 --json
      tracker show example --noise
    """
    if noise:
        if at or version is not None:
            raise UsageError("--noise shows what is learned now: it takes no --at or --version")
        ctx.invoke(noise_command, name=name, clear=False, as_json=as_json)
        return
    with archive_for(ctx) as archive:
        page = pages.page_view(archive, name, at=at, version=version)
    if as_json:
        echo_json(page)
    else:
        click.echo(text.page_text(page))


@cli.command(name="noise")
@click.argument("name")
@click.option("--clear", is_flag=True, help="Forget the noise learned for this source.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def noise_command(ctx: click.Context, name: str, clear: bool, as_json: bool) -> None:
    """The noise learned for a source, or --clear to forget it.

    When a fetch finds a page changed, the page is fetched again a moment later (`fetch
    --confirm-delay`); a value that differs between the two only by digits or tokens (a
    visitor counter, the node that served the page) is learned, with digits as # and tokens
    as *, and masked in every later version. After --clear the next fetch that sees such a
    value change learns it again.

    \b
    Examples:
      tracker noise example
      tracker noise example --clear
    """
    if clear:
        with archive_for(ctx, "noise") as archive:
            archive.get_source_any(name)
            dropped = archive.clear_noise(name)
        click.echo(f"{name}: forgot {dropped} noise signature{'s' if dropped != 1 else ''}")
        return
    with archive_for(ctx) as archive:
        view = pages.noise_view(archive, name)
    if as_json:
        echo_json(view)
        return
    if not view["noise"]:
        click.echo(f"{name}: no noise learned")
    for row in view["noise"]:
        learned = text.human(row["learned_at"])
        click.echo(text.printable(f"{row['place']:<24} {row['pattern']}  (learned {learned})"))


@cli.command()
@filter_options
@click.option(
    "--announced",
    is_flag=True,
    help="Only edits readers were told about (by a new update, or fixed while being posted).",
)
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
    announced: bool,
    all_kinds: bool,
    limit: int | None,
    as_json: bool,
    no_color: bool,
) -> None:
    """Edits to published updates and incidents, most significant first.

    New updates and incidents are normal news and hidden unless --all. Each edit says why it
    is silent, or which update announced it.

    \b
    Examples:
      tracker changes --silent
      tracker changes --announced
      tracker changes --source apple --flag quantity_vagued --json
    """
    with archive_for(ctx) as archive:
        if silent and announced:
            raise UsageError("--silent and --announced exclude each other; choose one")
        filters = make_filters(sources, since, flags, silent, all_kinds)
        records = read.change_records(archive, replace(filters, announced=announced))
    records = records[:limit] if limit else records
    if as_json:
        echo_json([read.edit_json(r) for r in records])
        return
    if not records:
        click.echo(
            "no edits found; `tracker fetch` gathers versions, `tracker changes --all` "
            "also lists new updates"
        )
        return
    color = text.use_color(no_color)
    for record in records:
        click.echo(text.change_text(record, color), color=color)


@cli.command()
@click.argument("name")
@click.argument("a", type=int, required=False)
@click.argument("b", type=int, required=False)
@click.option("--no-color", is_flag=True, help="Plain text with [-deleted-]{+inserted+} marks.")
@click.option("--json", "as_json", is_flag=True, help="Print the versions and edits as JSON.")
@click.pass_context
def diff(
    ctx: click.Context, name: str, a: int | None, b: int | None, no_color: bool, as_json: bool
) -> None:
    """Word diff of two versions of a page, update by update (default: the last two).

    A and B are version ids from `tracker log NAME`.

    \b
    Examples:
      tracker diff apple
      tracker diff github 12 15 --no-color | less
      tracker diff apple --json
    """
    with archive_for(ctx) as archive:
        comparison = pages.compare_versions(archive, name, a, b)
    if as_json:
        echo_json(comparison_json(comparison))
        return
    color = text.use_color(no_color)
    click.echo(text.comparison_text(comparison, color), color=color)


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
        rows = pages.search_rows(archive, query, sources)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(f"nothing matches {query!r}")
    for row in rows:
        click.echo(text.search_text(row))
