"""Notifications: after a run, one message per target with the new edits that pass its filter.

Delivery goes through apprise (the optional `status-tracker[notify]` extra), which speaks to
mail, chat services and plain JSON webhooks alike. What each target was sent is recorded, so an
edit is never sent to it twice; a failed delivery is retried at the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..archive import Archive
from ..archive import nightly as store
from ..errors import UsageError
from ..models import EditRecord
from ..text import marked_diff
from ..times import now_iso
from .describe import display_diff, event_label, event_summary, verdict_text, window_text
from .links import edit_link, incident_urls
from .records import Filters, change_records

# A message with more edits than this lists the most significant and says how many are left.
MAX_EDITS = 20


@dataclass(frozen=True)
class Target:
    """Where to send, and which edits: all, those scoring at least `min_score`, the silent
    ones, one source's."""

    id: int
    url: str
    min_score: float | None
    silent_only: bool
    source: str | None
    added_at: str

    def describe(self) -> str:
        parts = [f"{self.id}: {redact(self.url)}"]
        if self.min_score is not None:
            parts.append(f"score >= {self.min_score:g}")
        if self.silent_only:
            parts.append("silent edits only")
        if self.source:
            parts.append(f"source {self.source}")
        return "  ".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "url": redact(self.url)}


@dataclass(frozen=True)
class Delivery:
    """What one target was sent, or why it could not be."""

    target: Target
    edits: int
    error: str | None = None


def apprise_module() -> Any:
    """apprise, or a one-line error saying how to install it."""
    try:
        import apprise
    except ImportError:
        raise UsageError(
            "notifications need apprise: pip install 'status-tracker[notify]'"
        ) from None
    return apprise


def redact(url: str) -> str:
    """A target URL fit to print: apprise URLs often carry a token or a password."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    host = rest.split("/", 1)[0].rpartition("@")[2]
    return f"{scheme}://{host}/…" if "/" in rest or "@" in rest else url


def check_url(url: str) -> str:
    """`url` when apprise can send to it, else a usage error saying so."""
    if not apprise_module().Apprise().add(url):
        raise UsageError(
            f"apprise does not understand the notification URL {redact(url)!r}; "
            "see https://github.com/caronc/apprise/wiki for the forms it takes"
        )
    return url


def targets(archive: Archive) -> list[Target]:
    return [_target(row) for row in store.notify_targets(archive)]


def add_target(
    archive: Archive,
    url: str,
    *,
    min_score: float | None = None,
    silent_only: bool = False,
    source: str | None = None,
) -> tuple[Target, bool]:
    """Check the URL with apprise and keep it (once: the same settings again change nothing)."""
    if source is not None:
        archive.source_id(source)
    check_url(url)
    row, added = store.add_notify_target(
        archive, url, min_score=min_score, silent_only=silent_only, source=source, when=now_iso()
    )
    return _target(row), added


def remove_target(archive: Archive, target_id: int) -> Target:
    return _target(store.remove_notify_target(archive, target_id))


def pending(archive: Archive, target: Target) -> list[EditRecord]:
    """Edits first seen since the target was added that pass its filter and it was not sent."""
    sources = (target.source,) if target.source else ()
    if target.source and target.source not in {s.name for s in archive.sources()}:
        return []
    records = change_records(
        archive, Filters(sources=sources, since=target.added_at, silent=target.silent_only)
    )
    sent = store.sent_entries(archive, target.id)
    return [
        r
        for r in records
        if r.entry_id not in sent
        and (target.min_score is None or r.event.score >= target.min_score)
    ]


def message(
    records: Sequence[EditRecord], base_url: str | None, incident_urls: dict[tuple[str, str], str]
) -> tuple[str, str]:
    """The title and plain-text body of one message about `records` (most significant first)."""
    count = len(records)
    vendors = sorted({r.source for r in records})
    title = f"status-tracker: {count} new edit{'s' if count != 1 else ''} ({', '.join(vendors)})"
    blocks = []
    for record in records[:MAX_EDITS]:
        blocks.append(_block(record, base_url, incident_urls))
    if count > MAX_EDITS:
        blocks.append(f"… and {count - MAX_EDITS} more: `tracker changes` lists them all.")
    return title, "\n\n".join(blocks)


def _block(
    record: EditRecord, base_url: str | None, incident_urls: dict[tuple[str, str], str]
) -> str:
    event = record.event
    lines = [
        event_summary(record),
        f"Vendor: {record.source}",
        f"Incident: {event.incident_title or event.incident_key}",
        f"{event_label(event)} {window_text(record)}.",
    ]
    if event.verdict:
        lines.append(verdict_text(event))
    lines += ["Word diff:", marked_diff(display_diff(event))]
    if event.flags:
        lines.append("Flags: " + ", ".join(event.flags))
    lines += [f"- {reason}" for reason in event.reasons]
    link = edit_link(record, base_url, incident_urls.get((record.source, event.incident_key)))
    if link:
        lines.append(f"Link: {link}")
    return "\n".join(lines)


def send_new_edits(archive: Archive, base_url: str | None = None) -> list[Delivery]:
    """One message to each target with its pending edits; nothing is sent when none are."""
    found = targets(archive)
    if not found:
        return []
    deliveries = []
    for target in found:
        records = pending(archive, target)
        if not records:
            continue
        title, body = message(records, base_url, incident_urls(archive, records))
        error = _send(target.url, title, body)
        if error is None:
            store.mark_sent(archive, target.id, [r.entry_id for r in records], now_iso())
        deliveries.append(Delivery(target, len(records), error))
    return deliveries


def send_test(archive: Archive, target_id: int | None = None) -> list[Delivery]:
    """A test message to one target (all when None), recording nothing."""
    chosen = [t for t in targets(archive) if target_id is None or t.id == target_id]
    if not chosen:
        raise UsageError(
            "no notification target to test: `tracker notify add URL` adds one"
            if target_id is None
            else f"no notification target {target_id}; `tracker notify list` shows them"
        )
    body = "A test message from status-tracker: new edits will be sent to this target."
    return [Delivery(t, 0, _send(t.url, "status-tracker: test", body)) for t in chosen]


def _send(url: str, title: str, body: str) -> str | None:
    """None when apprise delivered the message, else what went wrong in one line."""
    apprise = apprise_module()
    notifier = apprise.Apprise()
    if not notifier.add(url):
        return f"apprise does not understand {redact(url)}"
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as log:
        try:
            # Plain text: a service that shows HTML gets it escaped, never scraped markup.
            delivered = notifier.notify(
                title=title, body=body, body_format=apprise.NotifyFormat.TEXT
            )
        except Exception as exc:  # noqa: BLE001 - a notifier must never stop the nightly run
            return f"{type(exc).__name__}: {exc}"
        problems = [line.strip() for line in log.getvalue().splitlines() if line.strip()]
    if delivered:
        return None
    return (problems[-1] if problems else "the message was not delivered")[:300]


def _target(row: dict[str, Any]) -> Target:
    return Target(
        id=row["id"],
        url=row["url"],
        min_score=row["min_score"],
        silent_only=bool(row["silent_only"]),
        source=row["source"],
        added_at=row["added_at"],
    )
