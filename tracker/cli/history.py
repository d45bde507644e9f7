"""`tracker import git|wayback` and `tracker demo`: click shells over importers and demo."""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from ..demo import DEFAULT_HOME, run_demo
from ..importers import ImportSummary, WaybackPolicy, import_git, import_wayback
from ..models import Outcome
from . import text
from .app import archive_for_run, wayback_options

_NOUNS = {"git": "commit", "wayback": "capture"}
_SHOWN_FAILURES = 20


def _report(summary: ImportSummary, as_json: bool) -> int:
    """Print the summary; exit 1 when some versions could not be read and a rerun should."""
    if as_json:
        data = dataclasses.asdict(summary) | {
            "read": summary.read,
            "retry_later": summary.retry_later,
            "stopped": dataclasses.asdict(summary.stopped) if summary.stopped else None,
        }
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo("\n".join(summary_lines(summary)))
    return 1 if summary.retry_later else 0


def summary_lines(summary: ImportSummary) -> list[str]:
    noun = _NOUNS.get(summary.origin, "version")
    failed = len(summary.failures) - summary.retry_later
    lines = [
        f"{summary.source}: {summary.read} {noun}s read: {summary.new} new versions, "
        f"{summary.unchanged} unchanged, {failed} failed; {summary.edits} edits found"
    ]
    skipped = [
        (summary.already_imported, "already imported"),
        (
            summary.too_old,
            "dated before the newest stored version (out of order, or import into a new --source)",
        ),
        (summary.not_ok, "archived with an HTTP status other than 200 (not fetched)"),
    ]
    if not summary.found:
        lines.append(
            f"  no {noun}s found: check the address and the --from/--to or --since/--until"
        )
    lines.extend(f"  skipped {count} {what}" for count, what in skipped if count)
    recorded = [failure for failure in summary.failures if failure.recorded]
    for failure in recorded[:_SHOWN_FAILURES]:
        lines.append(f"  failed {failure.reference}: {failure.kind}: {failure.detail}")
    if failed > _SHOWN_FAILURES:
        lines.append(
            f"  ... and {failed - _SHOWN_FAILURES} more (`tracker log {summary.source}` lists them)"
        )
    if summary.stopped:
        stop = summary.stopped
        lines.append(
            f"  stopped at {noun} {stop.reference} ({stop.kind}: {stop.detail}); rerun to continue"
        )
    if summary.edits:
        lines.append(f"next: tracker changes --source {summary.source}")
    return lines


# -- tracker import ------------------------------------------------------------------------------


@click.group(name="import")
def import_() -> None:
    """Import a page's past: a git-scraping repository or the Wayback Machine.

    Each imported version keeps where it came from (commit, capture URL) and when it was
    captured, and is compared with its neighbours like a fetched one. A rerun imports only
    what is new; an interrupted import keeps everything stored so far.
    """


@import_.command(name="git")
@click.argument("repo", type=click.Path(path_type=Path))
@click.argument("file")
@click.option("--source", required=True, help="Source to fill; created when it does not exist.")
@click.option("--format", "fmt", help="Format of FILE for a new source (default: auto).")
@click.option("--url", help="The page's web address, for a new source (default: git:REPO:FILE).")
@click.option("--since", help="Only commits after this date (any date git understands).")
@click.option("--until", help="Only commits before this date.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def import_git_command(
    ctx: click.Context,
    repo: Path,
    file: str,
    source: str,
    fmt: str | None,
    url: str | None,
    since: str | None,
    until: str | None,
    as_json: bool,
) -> None:
    """Import every committed version of FILE in the git repository REPO, oldest first.

    Each commit is one observation at its commit time. FILE is a path inside REPO.

    \b
    Examples:
      tracker import git ~/src/github-outages github_summary_v1.json --source github-history \\
          --format statuspage --url https://www.githubstatus.com/api/v2/summary.json
      tracker import git ./scraper data/airbrake/incidents.json --source airbrake --since 2023-01-01
    """
    progress = text.Progress(sys.stderr.isatty() and not as_json, noun="commit")
    with archive_for_run(ctx, "import git") as archive:
        try:
            summary = import_git(
                archive,
                repo,
                file,
                source=source,
                fmt=fmt,
                url=url,
                since=since,
                until=until,
                on_progress=progress.update,
            )
        finally:
            progress.done()
    ctx.exit(_report(summary, as_json))


def _timestamp(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"\d{4,14}", value):
        raise click.BadParameter(f"{value!r} is not a date like 2013 or 20130722 (YYYYMMDDhhmmss)")
    return value


@import_.command(name="wayback")
@click.argument("url")
@click.option("--source", required=True, help="Source to fill; created when it does not exist.")
@click.option("--format", "fmt", help="Format of the page for a new source (default: auto).")
@click.option("--from", "start", callback=_timestamp, help="First capture time, YYYYMMDD[hhmmss].")
@click.option("--to", "end", callback=_timestamp, help="Last capture time, YYYYMMDD[hhmmss].")
@wayback_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def import_wayback_command(
    ctx: click.Context,
    url: str,
    source: str,
    fmt: str | None,
    start: str | None,
    end: str | None,
    delay: float,
    backoff: float,
    cdx_url: str,
    archive_url: str,
    as_json: bool,
) -> None:
    """Import the Wayback Machine's captures of URL, oldest first, at their capture times.

    Captures archived with a status other than 200 are skipped; error and challenge pages
    are recorded as failed fetches, never as versions. Polite by default: a CDX page every
    2.5 s, a capture a second, minutes of waiting when the archive answers 429.

    \b
    Examples:
      tracker import wayback https://www.githubstatus.com/api/v2/incidents.json \\
          --source github --from 2023 --to 20231231
    """
    policy = WaybackPolicy(cdx_url=cdx_url, archive_url=archive_url, delay=delay, backoff=backoff)
    progress = text.Progress(sys.stderr.isatty() and not as_json, noun="capture")
    with archive_for_run(ctx, "import wayback") as archive:
        try:
            summary = import_wayback(
                archive,
                url,
                source=source,
                fmt=fmt,
                start=start,
                end=end,
                policy=policy,
                on_progress=progress.update,
            )
        finally:
            progress.done()
    ctx.exit(_report(summary, as_json))


# -- tracker demo --------------------------------------------------------------------------------


@click.command()
@click.option(
    "--home",
    "demo_home",
    type=click.Path(file_okay=False, path_type=Path),
    help=f"Directory for the demo's archive (default: ./{DEFAULT_HOME}); emptied on each run.",
)
@click.pass_context
def demo(ctx: click.Context, demo_home: Path | None) -> None:
    """The offline tour: replay a recorded history of two status pages and flag the edits.

    A local server plays back Apple's July 2013 iMessage notice ("30 percent of users" became
    "some users") and a Statuspage incident whose impact, cause and updates were rewritten.
    Nothing goes to the network. The demo's own directory is emptied on each run; a directory
    the demo did not make is never touched.

    \b
    Example:
      tracker demo
      tracker demo --home /tmp/tour
    """
    home = demo_home or _typed_home(ctx) or DEFAULT_HOME
    color = text.use_color(False)

    def show_round(number: int, outcomes: list[Outcome]) -> None:
        click.echo(f"round {number}:")
        for outcome in outcomes:
            click.echo("  " + text.outcome_line(outcome))

    click.echo(f"Replaying a recorded history into {home} (nothing goes to the network)")
    result = run_demo(home, on_round=show_round)
    click.echo(f"\n{len(result.edits)} edits found, most significant first:\n")
    for record in result.edits:
        click.echo(text.change_text(record, color), color=color)
    for line in _next_steps(home, result.report):
        click.echo(line)


def _typed_home(ctx: click.Context) -> Any:
    """`tracker --home DIR demo` counts; TRACKER_HOME does not: it may be a real archive."""
    parent = ctx.parent
    if parent and parent.get_parameter_source("home") == ParameterSource.COMMANDLINE:
        return parent.params.get("home")
    return None


def _next_steps(home: Path, report: Path) -> list[str]:
    prefix = f"tracker --home {shlex.quote(str(home))}"
    steps = [
        (f"{prefix} changes --silent", "the silent edits again"),
        (f"{prefix} diff apple-demo", "the word diff of the last two versions"),
        (f"{prefix} search percent", "every wording that ever said 'percent'"),
        (f"open {shlex.quote(str(report))}", "the report: ranked edits, a dossier per incident"),
    ]
    width = max(len(command) for command, _ in steps)
    return [
        f"The HTML report: {report}",
        "",
        "Try next:",
        *(f"  {command:<{width}}  # {why}" for command, why in steps),
    ]
