"""`tracker rebuild` and `tracker verify`: re-reading and checking the evidence."""

from __future__ import annotations

import re

import click

from .. import maintenance
from ..errors import VerifyError
from .app import archive_for, cli, echo_json
from .text import rebuild_line


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
        reports = maintenance.rebuild(archive, names)
    for report in reports:
        click.echo(rebuild_line(report))


def _head_hash(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[0-9a-fA-F]{12,64}", value.strip()):
        raise click.BadParameter(
            f"{value!r} is not a chain head: give its hash, 12 to 64 hex digits, as `tracker "
            "verify`, the report's footer or the feed's subtitle printed it"
        )
    return value.strip().lower() if value else value


@cli.command()
@click.option(
    "--head",
    "head",
    metavar="HASH",
    callback=_head_hash,
    help="Check that this older head is part of today's chain.",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was checked as JSON.")
@click.pass_context
def verify(ctx: click.Context, head: str | None, as_json: bool) -> None:
    """Recompute the hash chain over every fetch record, re-hash every stored body and check
    every record points at its evidence; print the chain head (hash, record count).

    Exit status 3 naming the first bad record when a problem is found, or when --head is
    not part of today's chain. A head saved from an earlier report, feed or verify proves
    the archive was not rewritten behind it.

    \b
    Examples:
      tracker verify
      tracker verify --head 3f9a2c41d0b7e6f1
      tracker verify --json
    """
    with archive_for(ctx) as archive:
        report = maintenance.verify(archive)
    head_line = None
    head_error = None
    if head:
        try:
            head_line = maintenance.check_head(report, head)
        except VerifyError as exc:
            head_error = str(exc)
    if as_json:
        data = report.to_dict()
        if head:
            data["older_head"] = {"hash": head, "ok": head_error is None}
        echo_json(data)
    else:
        for problem in report.problems:
            click.echo(f"problem: {problem}", err=True)
        state = "ok" if not report.problems else f"{len(report.problems)} problems"
        click.echo(f"checked {report.versions} versions: {state}")
        click.echo(
            f"also {report.fetches} fetch records on the hash chain and {report.bodies} "
            "stored bodies"
        )
        intact = "" if report.walk.first_bad is None else ", not intact: see the problems"
        click.echo(f"chain head: {report.head.hash} ({report.head.count} records{intact})")
        if head_line:
            click.echo(head_line)
    if head_error:
        click.echo(f"tracker: {head_error}", err=True)
    ctx.exit(3 if report.problems or head_error else 0)
