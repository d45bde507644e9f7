"""The `tracker` group, the one place errors become messages and exit codes, and the
option helpers the commands share."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager as ContextManager
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from .. import __version__, maintenance
from ..archive import Archive, open_archive
from ..archive.home import DB_NAME, resolve_home
from ..edits.classify import FLAGS
from ..errors import TrackerError
from ..importers import WaybackPolicy
from ..publish.records import Filters
from ..times import user_time
from .text import rebuild_line


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
            if "readonly" in str(exc):
                where = resolve_home((ctx.obj or {}).get("home"), create=False)
                click.echo(
                    f"tracker: {where} is read-only ({exc}): this command writes to the "
                    "archive; run it on a writable copy of the data directory",
                    err=True,
                )
            else:
                click.echo(f"tracker: the archive database could not be used: {exc}", err=True)
            ctx.exit(1)
        except sqlite3.DatabaseError as exc:
            # Random bytes or a truncated file where tracker.db should be.
            where = resolve_home((ctx.obj or {}).get("home")) / DB_NAME
            click.echo(
                f"tracker: {where} is damaged or not a status-tracker database ({exc}); "
                "restore it from a backup or a copy of the data directory, then run "
                "`tracker verify`",
                err=True,
            )
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
@click.option(
    "--read-only",
    is_flag=True,
    envvar="TRACKER_READ_ONLY",
    help="Read the archive without writing to it (or set TRACKER_READ_ONLY=1); automatic "
    "when the directory is not writable.",
)
@click.version_option(__version__, prog_name="status-tracker")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, read_only: bool) -> None:
    """Keep every version of vendor status pages and flag silent edits.

    \b
    Start with:
      tracker add github          # from the built-in catalog (`tracker catalog`)
      tracker fetch               # fetch every source, store new versions
      tracker changes             # what was rewritten, most significant first

    \b
    Exit status:
      0   done (a failure not yet counted by `run --fail-after` is only logged)
      1   a source failed (`run`: failed --fail-after runs in a row, or every source
          failed); a file could not be written
      2   usage: a bad option, name, URL or file
      3   `verify` found a problem
      75  another run holds the data directory's lock; try again later
    """
    ctx.obj = {"home": home, "read_only": read_only}


def archive_for(
    ctx: click.Context, lock: str | None = None, create: bool = False
) -> ContextManager[Archive]:
    """The data directory's archive; with `lock`, holding the single-run lock too."""
    return open_archive(ctx.obj["home"], lock, create=create, read_only=ctx.obj["read_only"])


@contextmanager
def archive_for_run(ctx: click.Context, lock: str, create: bool = True) -> Iterator[Archive]:
    """The archive, locked, with stored versions read as new ones will be (`ensure_current`).

    An upgrade whose extractors read stored bytes differently rebuilds the archive first, and
    says so on stderr: the rebuild is never silent.
    """
    with open_archive(
        ctx.obj["home"], lock, create=create, read_only=ctx.obj["read_only"]
    ) as archive:
        reports = maintenance.ensure_current(archive)
        if reports:
            click.echo("tracker: the extractors changed; re-read every stored version:", err=True)
            for report in reports:
                click.echo("  " + rebuild_line(report), err=True)
        yield archive


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def wayback_options(command: Any) -> Any:
    """How the Wayback Machine is read: pacing, and where its CDX API and captures are."""
    options = [
        click.option(
            "--delay",
            type=click.FloatRange(0),
            default=WaybackPolicy.delay,
            show_default=True,
            help="Seconds between capture downloads.",
        ),
        click.option(
            "--backoff",
            type=click.FloatRange(0),
            default=WaybackPolicy.backoff,
            show_default=True,
            help="Seconds to wait after a 429 answer, doubled each time (up to 10 minutes).",
        ),
        click.option(
            "--cdx-url",
            envvar="TRACKER_WAYBACK_CDX_URL",
            default=WaybackPolicy.cdx_url,
            show_default=True,
            help="CDX API (or set TRACKER_WAYBACK_CDX_URL).",
        ),
        click.option(
            "--archive-url",
            envvar="TRACKER_WAYBACK_ARCHIVE_URL",
            default=WaybackPolicy.archive_url,
            show_default=True,
            help="Capture server (or set TRACKER_WAYBACK_ARCHIVE_URL).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


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


def make_filters(  # type: ignore[no-untyped-def]
    sources, since, flags, silent, all_kinds=False
) -> Filters:
    return Filters(
        sources=tuple(sources),
        since=user_time(since) if since else None,
        flags=tuple(flags),
        silent=silent,
        all_kinds=all_kinds,
    )
