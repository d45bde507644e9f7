"""What `tracker run` and `tracker fetch` do after fetching: notifications, the run's verdict."""

from __future__ import annotations

from typing import Any

import click

from ..archive import Archive
from ..errors import TrackerError
from ..publish import notify as notifier
from ..runs import RunVerdict
from . import text


def base_url_option(command: Any) -> Any:
    return click.option(
        "--base-url",
        envvar="TRACKER_BASE_URL",
        help="Where the report directory is served (default: `tracker config base-url`); "
        "links then go to each edit's dossier there.",
    )(command)


def send_notifications(archive: Archive, base_url: str | None, quiet: bool) -> list[dict]:
    """Send the run's new edits; a failure is a line on stderr, never a failed run."""
    try:
        deliveries = notifier.send_new_edits(archive, base_url)
    except TrackerError as exc:  # apprise missing: the fetch itself went fine
        click.echo(f"tracker: notifications not sent: {exc}", err=True)
        return [{"error": str(exc)}]
    shown = []
    for delivery in deliveries:
        target = delivery.target.describe()
        if delivery.error:
            click.echo(
                f"tracker: notification to {target} failed ({delivery.error}); "
                "its edits are sent again at the next run",
                err=True,
            )
        elif not quiet:
            plural = "s" if delivery.edits != 1 else ""
            click.echo(f"notified {target}: {delivery.edits} edit{plural}")
        shown.append(
            {"target": delivery.target.id, "edits": delivery.edits, "error": delivery.error}
        )
    return shown


def print_failures(verdict: RunVerdict, quiet: bool, fail_after: int) -> None:
    """With -q, the failures that count; without, a note on those that do not count yet."""
    for failure in verdict.failures:
        line = text.outcome_line(failure.outcome)
        runs = f"failed {failure.streak} run{'s' if failure.streak != 1 else ''} in a row"
        if failure.counts:
            click.echo(f"{line} ({runs})", err=True)
        elif not quiet:
            click.echo(f"{line} ({runs}; exit 1 after {fail_after})")


def verdict_json(verdict: RunVerdict) -> list[dict]:
    return [
        {"source": f.outcome.source, "streak": f.streak, "counts": f.counts}
        for f in verdict.failures
    ]
