"""`tracker fetch` and `tracker run`: the nightly job and its politeness knobs."""

from __future__ import annotations

import sys
from typing import Any

import click

from .. import ingest, publish, runs, sources
from ..archive import Archive
from ..fetch import Policy
from ..models import Outcome
from ..publish import links, pages
from . import nightly, text
from .app import archive_for, archive_for_run, cli, echo_json
from .nightly import base_url_option


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


def confirm_option(command: Any) -> Any:
    """The second look, shared by `fetch` and `run`."""
    return click.option(
        "--confirm-delay",
        default=ingest.CONFIRM_DELAY,
        show_default=True,
        envvar="TRACKER_CONFIRM_DELAY",
        type=click.FloatRange(0),
        help="Seconds before a changed page is fetched again to confirm the change (what "
        "differs between the two is learned as noise; 0 turns it off; or set "
        "TRACKER_CONFIRM_DELAY).",
    )(command)


def _fetch_outcomes(
    archive: Archive,
    names: tuple[str, ...],
    policy: Policy,
    quiet: bool,
    as_json: bool,
    confirm_delay: float = ingest.CONFIRM_DELAY,
) -> list[Outcome]:
    total = len(names) or len(archive.sources())
    progress = text.Progress(sys.stderr.isatty() and not quiet and not as_json, total=total)
    outcomes = ingest.fetch_sources(
        archive, names, policy, on_outcome=progress.outcome, confirm_delay=confirm_delay
    )
    progress.done()
    if not outcomes and not as_json:
        click.echo("no sources to fetch: `tracker add NAME|URL` adds one", err=True)
    return outcomes


def _run_fetch(
    archive: Archive,
    names: tuple[str, ...],
    policy: Policy,
    quiet: bool,
    as_json: bool,
    confirm_delay: float = ingest.CONFIRM_DELAY,
) -> int:
    outcomes = _fetch_outcomes(archive, names, policy, quiet, as_json, confirm_delay)
    failed = [o for o in outcomes if o.outcome == "failed"]
    if as_json:
        echo_json([o.__dict__ for o in outcomes])
    else:
        for outcome in outcomes:
            if quiet and outcome.outcome != "failed":
                continue
            click.echo(text.outcome_line(outcome), err=outcome.outcome == "failed" and quiet)
        if quiet:
            _print_new_silent_edits(archive, outcomes)
    return 1 if failed else 0


def _print_new_silent_edits(archive: Archive, outcomes: list[Outcome]) -> None:
    """With -q, the silent edits this run found, in full: the one thing cron should mail."""
    versions = [o.snapshot_id for o in outcomes if o.outcome == "new" and o.edits]
    if not versions:
        return
    for record in archive.edit_records(silent=True, versions=versions):
        click.echo(text.change_text(record, color=False))


@cli.command()
@click.argument("names", nargs=-1)
@policy_options
@confirm_option
@base_url_option
@click.option(
    "-q", "--quiet", is_flag=True, help="Print only failures and new silent edits (for cron)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcomes as JSON.")
@click.pass_context
def fetch(
    ctx: click.Context,
    names: tuple[str, ...],
    quiet: bool,
    as_json: bool,
    confirm_delay: float,
    base_url: str | None,
    **options: Any,
) -> None:
    """Fetch sources (all by default) and store every new version.

    New edits go to the `tracker notify` targets.
    Exit status: 0 all fetched, 1 some source failed, 2 usage, 75 another run holds the lock.

    \b
    Examples:
      tracker fetch
      tracker fetch github apple --json
    """
    with archive_for_run(ctx, "fetch", create=False) as archive:
        for name in names:
            archive.get_source(name)
        link_base = links.base_url(archive, base_url)
        code = _run_fetch(archive, names, _policy(options), quiet, as_json, confirm_delay)
        nightly.send_notifications(archive, link_base, quiet or as_json)
    ctx.exit(code)


@cli.command()
@policy_options
@confirm_option
@base_url_option
@click.option(
    "--fail-after",
    default=runs.FAIL_AFTER,
    show_default=True,
    type=click.IntRange(1),
    help="Exit 1 when a source has failed this many runs in a row.",
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Print only failures that count and new silent edits (for cron).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
@click.pass_context
def run(
    ctx: click.Context,
    quiet: bool,
    as_json: bool,
    fail_after: int,
    base_url: str | None,
    confirm_delay: float,
    **options: Any,
) -> None:
    """The nightly job: fetch everything (adding the catalog to an empty archive), refresh
    the report and the feed, send new edits to the `tracker notify` targets.

    Quiet with -q unless a failure counts or a silent edit was found. Exit 1 only when a
    source has failed --fail-after runs in a row or every source failed this run; every
    failure is in `tracker log`. Safe to overlap (a second run exits 75) and to kill (a rerun
    completes).

    \b
    Example (crontab):
      17 3 * * *  cd /srv/status && tracker run -q
    """
    with archive_for_run(ctx, "run") as archive:
        if not archive.ever_had_sources():
            added = sources.add_catalog(archive)
            if not quiet and not as_json:
                click.echo(f"the archive had no sources: added the {added} catalog sources")
        link_base = links.base_url(archive, base_url)
        outcomes = _fetch_outcomes(archive, (), _policy(options), quiet, as_json, confirm_delay)
        verdict = runs.judge(archive, outcomes, fail_after)
        if not as_json and not quiet:
            for outcome in outcomes:
                if outcome.outcome != "failed":
                    click.echo(text.outcome_line(outcome))
        if not as_json:
            nightly.print_failures(verdict, quiet, fail_after)
        if quiet and not as_json:
            _print_new_silent_edits(archive, outcomes)
        written = publish.refresh(archive, link_base)
        if not quiet and not as_json:
            for path in written:
                click.echo(f"wrote {path}")
        sent = nightly.send_notifications(archive, link_base, quiet or as_json)
    if as_json:
        echo_json(
            {
                "outcomes": [o.__dict__ for o in outcomes],
                "failures": nightly.verdict_json(verdict),
                "every_source_failed": verdict.every_source_failed,
                "written": [str(p) for p in written],
                "notifications": sent,
                "exit_code": verdict.exit_code,
            }
        )
    ctx.exit(verdict.exit_code)


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
        rows = pages.log_rows(archive, name, limit)
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(text.log_line(row))
