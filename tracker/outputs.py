"""Read stored edits back as plain values and hand them to the report, feed and export renderers."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import export as exporter
from .archive import Archive
from .errors import UsageError
from .feed import build_atom
from .models import (
    Document,
    Dossier,
    EditEvent,
    EditRecord,
    Evidence,
    TimelineEntry,
    UpdateVersion,
)
from .report import write_report as render_report
from .store import atomic_write

# Normal news: a new update or incident is what a status page is for, not a rewrite.
NEWS_KINDS = ("update_added", "incident_added")
EDIT_KINDS = ("update_edited", "update_removed", "incident_removed", "incident_changed")


@dataclass(frozen=True)
class Filters:
    """Which edits a command is about."""

    sources: tuple[str, ...] = ()
    since: str | None = None
    flags: tuple[str, ...] = ()
    silent: bool = False
    all_kinds: bool = False


def change_records(archive: Archive, filters: Filters = Filters()) -> list[EditRecord]:
    """Stored edit events as records, most significant first."""
    for name in filters.sources:
        archive.source_id(name)  # an unknown name is a usage error, not an empty answer
    kinds = None if filters.all_kinds else EDIT_KINDS
    rows = archive.edit_rows(
        sources=filters.sources, since=filters.since, kinds=kinds, silent=filters.silent
    )
    records = [_record(row) for row in rows]
    if filters.flags:
        wanted = set(filters.flags)
        records = [r for r in records if wanted & set(r.event.flags)]
    return records


def _record(row: dict[str, Any]) -> EditRecord:
    event = EditEvent(
        kind=row["kind"],
        incident_key=row["incident_key"],
        incident_title=row["incident_title"] or "",
        update_key=row["update_key"],
        field=row["field"],
        old=row["old"],
        new=row["new"],
        diff=tuple((int(op), text) for op, text in json.loads(row["diff"] or "[]")),
        silent=bool(row["silent"]),
        backdated=bool(row["backdated"]),
        revert=bool(row["revert"]),
        flicker=bool(row["flicker"]),
        flags=tuple(json.loads(row["flags"] or "[]")),
        reasons=tuple(json.loads(row["reasons"] or "[]")),
        score=float(row["score"] or 0),
        posted_at=row["posted_at"],
    )
    return EditRecord(
        id=row["id"],
        source=row["source"],
        source_url=row["source_url"],
        event=event,
        window_start=row["window_start"],
        window_end=row["window_end"],
        before=_evidence(row, "b", row["before_snapshot"]),
        after=_evidence(row, "a", row["after_snapshot"]),  # type: ignore[arg-type]
    )


def _evidence(row: dict[str, Any], prefix: str, snapshot_id: int | None) -> Evidence | None:
    if snapshot_id is None or row[f"{prefix}_sha256"] is None:
        return None
    return Evidence(
        snapshot_id=snapshot_id,
        sha256=row[f"{prefix}_sha256"],
        first_seen=row[f"{prefix}_first_seen"],
        last_seen=row[f"{prefix}_last_seen"],
        origin=row[f"{prefix}_origin"],
        reference=row[f"{prefix}_reference"],
        url=row[f"{prefix}_url"],
    )


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


def write_report(archive: Archive, path: Path, filters: Filters = Filters()) -> list[Path]:
    records = change_records(archive, filters)
    return render_report(
        path,
        records,
        dossiers(archive, records),
        generated_at=_now(),
        title="status-tracker: what status pages rewrote",
    )


def feed_bytes(archive: Archive, filters: Filters = Filters()) -> bytes:
    records = sorted(change_records(archive, filters), key=lambda r: r.window_end, reverse=True)
    return build_atom(
        records,
        feed_id="tag:status-tracker,2026:edits",
        title="status-tracker: edits to vendor status pages",
        updated=records[0].window_end if records else _now(),
    )


def export_text(archive: Archive, fmt: str, what: str, filters: Filters = Filters()) -> str:
    if what == "edits":
        rows = exporter.edit_rows(change_records(archive, filters))
    elif what in ("versions", "fetches"):
        rows = _table_rows(archive, what, filters.sources)
    else:
        raise UsageError(f"cannot export {what!r}: choose edits, versions or fetches")
    if fmt == "json":
        return exporter.export_json(rows)
    if fmt == "csv":
        return exporter.export_csv(rows)
    raise UsageError(f"unknown export format {fmt!r}: choose json or csv")


def _table_rows(archive: Archive, what: str, sources: Iterable[str]) -> list[dict[str, Any]]:
    names = list(sources) or [s.name for s in archive.sources()]
    rows: list[dict[str, Any]] = []
    for name in names:
        if what == "fetches":
            for row in archive.fetches(name):
                rows.append({"source": name, **row})
        else:
            for row in archive.snapshots(name):
                rows.append({"source": name, **{k: v for k, v in row.items() if k != "document"}})
    return rows


def refresh(archive: Archive) -> list[Path]:
    """What the nightly job keeps up to date in the data directory: the report and the feed."""
    written = write_report(archive, archive.home / "report")
    feed = archive.home / "feed.xml"
    atomic_write(feed, feed_bytes(archive))
    return [archive.home / "report" / "index.html", feed] if written else [feed]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
