"""`tracker notify`: where the nightly job sends the edits it finds, and `tracker config`."""

from __future__ import annotations

import click

from ..publish import notify as notifier
from ..publish.links import base_url, set_base_url
from .app import archive_for, cli, echo_json


@cli.group()
def notify() -> None:
    """Send each run's new edits to chat, mail or a webhook (needs status-tracker[notify]).

    Targets are apprise URLs (https://github.com/caronc/apprise/wiki). `tracker run` and
    `tracker fetch` send one message per target with the edits that pass its filter; an edit
    is never sent to the same target twice, and a failed delivery is reported on stderr
    without failing the run.

    \b
    Examples:
      tracker notify add 'mailto://user:pass@example.com' --silent-only
      tracker notify add 'json://hooks.example.org/status' --min-score 5 --source apple
      tracker notify test
    """


@notify.command(name="add")
@click.argument("url")
@click.option("--min-score", type=float, help="Only edits scoring at least this much.")
@click.option("--silent-only", is_flag=True, help="Only silent edits.")
@click.option("--source", help="Only this source's edits.")
@click.pass_context
def notify_add(
    ctx: click.Context, url: str, min_score: float | None, silent_only: bool, source: str | None
) -> None:
    """Add a notification target (an apprise URL). Adding it again changes nothing.

    Only edits first seen from now on are sent.

    \b
    Example:
      tracker notify add 'json://127.0.0.1:8080/hook' --min-score 3
    """
    with archive_for(ctx, create=True) as archive:
        target, added = notifier.add_target(
            archive, url, min_score=min_score, silent_only=silent_only, source=source
        )
    click.echo(("added " if added else "already there: ") + target.describe())


@notify.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def notify_list(ctx: click.Context, as_json: bool) -> None:
    """List notification targets (secrets in their URLs hidden).

    \b
    Example:
      tracker notify list
    """
    notifier.apprise_module()
    with archive_for(ctx) as archive:
        found = notifier.targets(archive)
    if as_json:
        echo_json([t.as_json() for t in found])
        return
    if not found:
        click.echo("no notification targets: `tracker notify add URL` adds one")
    for target in found:
        click.echo(target.describe())


@notify.command(name="remove")
@click.argument("number", type=int)
@click.pass_context
def notify_remove(ctx: click.Context, number: int) -> None:
    """Remove a notification target by its number in `tracker notify list`.

    \b
    Example:
      tracker notify remove 1
    """
    notifier.apprise_module()
    with archive_for(ctx) as archive:
        target = notifier.remove_target(archive, number)
    click.echo(f"removed {target.describe()}")


@notify.command(name="test")
@click.argument("number", type=int, required=False)
@click.pass_context
def notify_test(ctx: click.Context, number: int | None) -> None:
    """Send a test message to one target (all by default); exit 1 if one was not delivered.

    \b
    Example:
      tracker notify test 1
    """
    notifier.apprise_module()
    with archive_for(ctx) as archive:
        deliveries = notifier.send_test(archive, number)
    failed = False
    for delivery in deliveries:
        target = delivery.target.describe()
        if delivery.error:
            failed = True
            click.echo(f"tracker: notification to {target} failed: {delivery.error}", err=True)
        else:
            click.echo(f"sent a test message to {target}")
    ctx.exit(1 if failed else 0)


@cli.command()
@click.argument("key", type=click.Choice(["base-url"]))
@click.argument("value", required=False)
@click.option("--unset", is_flag=True, help="Forget the value.")
@click.pass_context
def config(ctx: click.Context, key: str, value: str | None, unset: bool) -> None:
    """Show or set a setting kept in the archive.

    base-url: the http(s) address the report directory is served from; the report, the feed
    and notifications then link each edit to its dossier there (--base-url overrides it).

    \b
    Examples:
      tracker config base-url https://example.org/status/
      tracker config base-url
    """
    with archive_for(ctx, create=value is not None) as archive:
        if unset or value is not None:
            stored = set_base_url(archive, None if unset else value)
            click.echo(f"base-url {stored}" if stored else "base-url unset")
        else:
            click.echo(base_url(archive) or "base-url is not set")
