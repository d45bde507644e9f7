"""The read model of edits: which ones a command is about, and the dossier of each incident."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..archive import Archive
from ..models import (
    Document,
    Dossier,
    EditEvent,
    EditRecord,
    Evidence,
    TimelineEntry,
    UpdateVersion,
)

# Normal news: a new update or incident is what a status page is for, not a rewrite.
NEWS_KINDS = ("update_added", "incident_added")
EDIT_KINDS = (
    "update_edited",
    "update_removed",
    "incident_removed",
    "incident_changed",
    "bulk_changed",
)


@dataclass(frozen=True)
class Filters:
    """Which edits a command is about."""

    sources: tuple[str, ...] = ()
    since: str | None = None
    flags: tuple[str, ...] = ()
    silent: bool = False
    all_kinds: bool = False
    announced: bool = False  # only edits a reader was told about (not silent)


EVERY_EDIT = Filters()


def change_records(archive: Archive, filters: Filters = Filters()) -> list[EditRecord]:
    """Stored edit events as records, most significant first."""
    for name in filters.sources:
        archive.source_id(name)  # an unknown name is a usage error, not an empty answer
    kinds = None if filters.all_kinds else EDIT_KINDS
    records = archive.edit_records(
        sources=filters.sources, since=filters.since, kinds=kinds, silent=filters.silent
    )
    if filters.flags:
        wanted = set(filters.flags)
        records = [r for r in records if wanted & set(r.event.flags)]
    if filters.announced:
        records = [r for r in records if is_announced(r.event)]
    return records


def is_announced(event: EditEvent) -> bool:
    """An edit readers were told about: by a new update, or corrected while being published.
    Bulk re-renders are not silent, but nobody announced them either."""
    return event.kind in EDIT_KINDS and event.kind != "bulk_changed" and not event.silent


def dossiers(archive: Archive, records: Sequence[EditRecord]) -> list[Dossier]:
    """One dossier per incident that has an edit among `records`."""
    seen: dict[tuple[str, str], None] = {}
    for record in records:
        seen.setdefault((record.source, record.event.incident_key), None)
    # Each source's edits and latest version are read once, not once per incident.
    by_incident: dict[tuple[str, str], list[EditRecord]] = {}
    current: dict[str, Document | None] = {}
    for source in {source for source, _ in seen}:
        for record in change_records(archive, Filters(sources=(source,))):
            by_incident.setdefault((source, record.event.incident_key), []).append(record)
        latest = archive.latest_snapshots(source, 1)
        current[source] = archive.document(latest[0]) if latest else None
    return [
        _dossier(archive, source, key, current[source], tuple(by_incident.get((source, key), ())))
        for source, key in seen
    ]


def _dossier(
    archive: Archive,
    source: str,
    key: str,
    current: Document | None,
    edits: tuple[EditRecord, ...],
) -> Dossier:
    info = archive.incident_row(source, key) or {}
    present = set()
    incident = current.incident(key) if current else None
    if incident:
        present = {u.key for u in incident.updates}
    versions: dict[str, list[dict[str, Any]]] = {}
    for row in archive.update_versions(source, key):
        versions.setdefault(row["update_key"], []).append(row)
    timeline = tuple(
        TimelineEntry(
            update_key=update_key,
            posted_at=rows[-1]["posted_at"],
            status=rows[-1]["status"],
            versions=tuple(
                UpdateVersion(
                    text=r["text"],
                    first_seen=r["first_seen"],
                    last_seen=r["last_seen"],
                    first_snapshot=r["first_snapshot"],
                    last_snapshot=r["last_snapshot"],
                )
                for r in rows
            ),
            removed=incident is None or update_key not in present,
        )
        for update_key, rows in sorted(
            versions.items(), key=lambda item: (item[1][0]["posted_at"] or "", item[0])
        )
    )
    source_row = archive.get_source_any(source)
    return Dossier(
        source=source,
        source_url=source_row["url"],
        incident_key=key,
        title=info.get("title") or (edits[0].event.incident_title if edits else key),
        impact=info.get("impact"),
        status=info.get("status"),
        url=info.get("url"),
        timeline=timeline,
        edits=edits,
    )


def edit_json(record: EditRecord) -> dict[str, Any]:
    """The one JSON shape of an edit: `changes --json`, `export`, and the Datasette view's
    column names all follow it (`EDIT_COLUMNS` is its key order)."""
    e = record.event
    score = float(e.score)
    return {
        "id": record.id,
        "entry_id": record.entry_id,
        "source": record.source,
        "kind": e.kind,
        "incident": e.incident_key,
        "incident_title": e.incident_title,
        "update": e.update_key,
        "field": e.field,
        "silent": e.silent,
        "backdated": e.backdated,
        "revert": e.revert,
        "flicker": e.flicker,
        "flags": list(e.flags),
        "reasons": list(e.reasons),
        "verdict": e.verdict,
        "announced_by": e.announced_by,
        "count": e.count,
        "keys": list(e.keys),
        "score": score if math.isfinite(score) else None,
        "posted_at": e.posted_at,
        "window_start": record.window_start,
        "window_end": record.window_end,
        "old": e.old,
        "new": e.new,
        "diff": [[int(op), text] for op, text in e.diff],
        "before_snapshot": record.before.snapshot_id if record.before else None,
        "after_snapshot": record.after.snapshot_id,
        "before_sha256": record.before.sha256 if record.before else None,
        "after_sha256": record.after.sha256,
    }


EDIT_COLUMNS = tuple(
    edit_json(
        EditRecord(
            0, "", "", EditEvent("", ""), None, "", None, Evidence(0, "", "", "", "", None, "")
        )
    )
)
