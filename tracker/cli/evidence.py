"""`tracker raw` and `tracker corroborate`: the exact bytes a page was received as, and what
an independent archive saw around an edit."""

from __future__ import annotations

from pathlib import Path

import click

from ..archive.home import check_output
from ..files import atomic_write
from ..importers import CorroboratePolicy, Corroboration, WaybackPolicy, corroborate
from ..publish import pages
from ..text import printable
from .app import archive_for, cli, echo_json, wayback_options


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


_SHOWS = {
    "old": "the old wording",
    "new": "the new wording",
    "both": "both wordings",
    "neither": "neither wording",
    "unreadable": "could not be read",
    "not_fetched": "not fetched",
}


@cli.command(name="corroborate")
@click.argument("edit_id", type=int)
@click.option("--save", is_flag=True, help="Also ask the Wayback Machine to capture the page now.")
@click.option(
    "--days",
    type=click.FloatRange(0),
    default=CorroboratePolicy.days,
    show_default=True,
    help="List captures this many days before and after the edit's window.",
)
@click.option(
    "--around",
    type=click.IntRange(0),
    default=CorroboratePolicy.around,
    show_default=True,
    help="Captures read before and after the window (all inside it are read, up to 20).",
)
@wayback_options
@click.option(
    "--save-url",
    envvar="TRACKER_WAYBACK_SAVE_URL",
    default=CorroboratePolicy.save_url,
    show_default=True,
    help="Save Page Now (or set TRACKER_WAYBACK_SAVE_URL).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the captures as JSON.")
@click.pass_context
def corroborate_command(
    ctx: click.Context,
    edit_id: int,
    save: bool,
    days: float,
    around: int,
    delay: float,
    backoff: float,
    cdx_url: str,
    archive_url: str,
    save_url: str,
    as_json: bool,
) -> None:
    """Which Wayback Machine captures around an edit show its old wording, which the new.

    Asks the CDX API for captures of the source's URL from --days before the edit's window
    to --days after, reads the nearest ones raw (politely, as `tracker import wayback`
    does) and lists each with its capture URL. Nothing is stored. Exit status 1 when the
    archive stopped answering before every capture was read.

    \b
    Examples:
      tracker changes --json          # edit ids
      tracker corroborate 12
      tracker corroborate 12 --save   # and ask for a capture now
    """
    policy = CorroboratePolicy(
        wayback=WaybackPolicy(
            cdx_url=cdx_url, archive_url=archive_url, delay=delay, backoff=backoff
        ),
        save_url=save_url,
        days=days,
        around=around,
    )
    with archive_for(ctx) as archive:
        found = corroborate(archive, edit_id, policy=policy, save=save)
    if as_json:
        echo_json(found.to_dict())
    else:
        _print_corroboration(found)
    ctx.exit(0 if found.complete else 1)


def _print_corroboration(found: Corroboration) -> None:
    click.echo(f"edit {found.edit_id} of {found.source} ({found.url})")
    if found.window_start:
        click.echo(f"  last seen old: {found.window_start}; first seen new: {found.window_end}")
    else:
        click.echo(f"  first seen: {found.window_end}")
    for label, wording in (("old", found.old), ("new", found.new)):
        if wording is not None:
            click.echo(f"  {label}: " + printable(wording).replace("\n", "\n       "))
    read = found.observations
    click.echo(f"{found.found} captures listed around the window; {len(read)} read:")
    for o in read:
        t = o.timestamp
        when = f"{t[:4]}-{t[4:6]}-{t[6:8]} {t[8:10]}:{t[10:12]}:{t[12:14]}"
        line = f"  {o.position:<6}  {when}  {_SHOWS[o.shows]:<16}  {o.capture_url}"
        failed = o.shows in ("unreadable", "not_fetched")
        click.echo(line + (f"  ({printable(o.detail)})" if failed and o.detail else ""))
    tally = {
        key: sum(1 for o in read if o.shows == key) for key in ("old", "new", "both", "neither")
    }
    click.echo(
        f"old wording in {tally['old']}, new wording in {tally['new']}, both in "
        f"{tally['both']}, neither in {tally['neither']}"
    )
    if found.saved:
        click.echo(f"saved now: {found.saved}")
