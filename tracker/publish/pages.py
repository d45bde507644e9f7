"""The archive read for people and scripts: fetch logs, sources, pages as they were, search
results, the comparison of two versions. Plain dicts and values; the CLI renders them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..archive import Archive
from ..edits import detect
from ..errors import UsageError
from ..models import Incident
from ..times import user_time


def log_rows(archive: Archive, name: str, limit: int | None) -> list[dict[str, Any]]:
    return [
        {
            "id": row["id"],
            "started_at": row["started_at"],
            "finished_at": row["finished_at"],
            "outcome": row["outcome"],
            "error": row["error"],
            "detail": row["detail"],
            "http_status": row["http_status"],
            "url": row["url"],
            "final_url": row["final_url"],
            "bytes": row["bytes"],
            "sha256": row["sha256"],
            "snapshot": row["snapshot_id"],
            "origin": row["origin"],
            "reference": row["reference"],
            "chain": row.get("chain"),
        }
        for row in archive.fetches(name, limit)
    ]


def source_rows(archive: Archive) -> list[dict[str, Any]]:
    rows = []
    for source in archive.sources():
        fetches = archive.fetches(source.name, 1)
        rows.append(
            {
                "name": source.name,
                "url": source.url,
                "format": source.format,
                "options": source.options,
                "added_at": source.added_at,
                "versions": archive.version_count(source.name),
                "last_fetch": fetches[0]["started_at"] if fetches else None,
                "last_outcome": fetches[0]["outcome"] if fetches else None,
                "noise": archive.noise(source.name),
            }
        )
    return rows


def noise_view(archive: Archive, name: str) -> dict[str, Any]:
    """What the second look learned about a source's noise: the JSON of `tracker noise`."""
    archive.get_source_any(name)
    return {"source": name, "noise": archive.noise(name)}


def page_view(
    archive: Archive, name: str, *, at: str | None = None, version: int | None = None
) -> dict[str, Any]:
    """The page as it was: the JSON of `tracker show --json`."""
    source = archive.get_source_any(name)
    row = version_row(archive, name, at=at, version=version)
    document = archive.document(row)
    return {
        "source": name,
        "url": source["url"],
        "format": document.format if document else source["format"],
        "snapshot": row["id"],
        "sha256": row["sha256"],
        "first_seen": row["first_seen"],
        "last_seen": row["last_seen"],
        "origin": row["origin"],
        "reference": row["reference"],
        "page": document.page if document else {},
        "incidents": [_incident_json(i) for i in document.incidents] if document else [],
    }


def version_row(
    archive: Archive, name: str, *, at: str | None = None, version: int | None = None
) -> dict[str, Any]:
    """The snapshot row a user means: `--version ID`, the one seen at `--at`, else the latest."""
    source = archive.get_source_any(name)
    row: dict[str, Any] | None
    if version is not None:
        row = archive.snapshot(version)
        if row["source_id"] != source["id"]:
            raise UsageError(f"version {version} belongs to another source, not {name!r}")
    elif at:
        row = archive.snapshot_at(name, user_time(at))
        if row is None:
            raise UsageError(f"{name} has no version seen at or before {at}")
    else:
        rows = archive.latest_snapshots(name, 1)
        if not rows:
            raise UsageError(f"{name} has no stored version yet: run `tracker fetch {name}`")
        row = rows[0]
    return row


def raw_capture(
    archive: Archive,
    name: str,
    *,
    at: str | None = None,
    version: int | None = None,
    headers: bool = False,
) -> bytes:
    """The exact bytes a version was received as; with `headers`, its response headers."""
    row = version_row(archive, name, at=at, version=version)
    if headers:
        values = json.loads(row["headers"] or "{}")
        lines = [f"{key}: {value}" for key, value in values.items()]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8", "replace")
    return archive.body(row["sha256"])


def _incident_json(incident: Incident) -> dict[str, Any]:
    data = incident.to_dict()
    data["updates"] = [{**u.to_dict(), "text": u.text} for u in incident.updates]
    return data


def compare_versions(archive: Archive, name: str, a: int | None, b: int | None) -> dict[str, Any]:
    if a is None or b is None:
        rows = archive.latest_snapshots(name, 2)
        if len(rows) < 2:
            raise UsageError(f"{name} has fewer than two versions; nothing to compare yet")
        new_row, old_row = rows[0], rows[1]
        if a is not None:
            old_row = archive.snapshot(a)
    else:
        old_row, new_row = archive.snapshot(a), archive.snapshot(b)
    source_id = archive.source_id(name)
    for row in (old_row, new_row):
        if row["source_id"] != source_id:
            raise UsageError(f"version {row['id']} belongs to another source, not {name!r}")
    old, new = archive.document(old_row), archive.document(new_row)
    if old is None or new is None:
        raise UsageError("one of these versions could not be read; run `tracker rebuild`")
    # The wordings seen up to the old version (a return to one is a revert, as in `tracker
    # changes`) and the window the verdicts speak of: old last seen, new first seen.
    earlier = archive.earlier_texts(name, up_to=old_row["id"])
    events = detect(
        old,
        new,
        previous_seen_at=old_row["last_seen"],
        seen_at=new_row["first_seen"],
        earlier_texts=earlier,
    )
    return {"source": name, "old": old_row, "new": new_row, "events": events}


def search_rows(archive: Archive, query: str, sources: Iterable[str]) -> list[dict[str, Any]]:
    return [
        {
            "source": row["source"],
            "incident": row["incident_key"],
            "incident_title": row["incident_title"],
            "update": row["update_key"],
            "posted_at": row["posted_at"],
            "status": row["status"],
            "text": row["text"],
            "snippet": row["snippet"],
            "first_seen": row["first_seen"],
            "last_seen": row["last_seen"],
            "first_snapshot": row["first_snapshot"],
            "last_snapshot": row["last_snapshot"],
        }
        for row in archive.search(query, sources)
    ]
