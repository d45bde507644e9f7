"""Rebuilding, upgrading and verifying an archive: always reported, never silent."""

from __future__ import annotations

from collections.abc import Iterable

from .archive import Archive
from .errors import ExtractionError, TrackerError
from .extract import SCHEME, detect_format, extract
from .ingest import compare
from .models import Document, RebuildReport, Source


def rebuild(archive: Archive, names: Iterable[str] = ()) -> list[RebuildReport]:
    """Re-extract every stored version from its raw bytes and recompute all derived data."""
    wanted = list(names)
    sources = [archive.get_source(n) for n in wanted] if wanted else archive.sources()
    reports = [_rebuild_source(archive, source) for source in sources]
    if not wanted:
        archive.set_setting("extract_scheme", str(SCHEME))
    return reports


def ensure_current(archive: Archive) -> list[RebuildReport]:
    """Before new versions are compared with stored ones, make sure both were read alike.

    An archive whose documents came from another extraction scheme is rebuilt first (every
    source, removed ones included, since their history stays comparable too).
    """
    if archive.setting("extract_scheme") == str(SCHEME):
        return []
    if not archive.has_snapshots():
        archive.set_setting("extract_scheme", str(SCHEME))
        return []
    reports = [_rebuild_source(archive, s) for s in archive.sources(include_removed=True)]
    archive.set_setting("extract_scheme", str(SCHEME))
    return reports


def _rebuild_source(archive: Archive, source: Source) -> RebuildReport:
    rows = archive.snapshots(source.name)
    edits_before = len(archive.edit_rows(sources=[source.name]))
    changed = unparseable = 0
    with archive.transaction():
        archive.clear_derived(source.name)
        previous: dict | None = None
        for row in rows:
            body = archive.blobs.get(row["sha256"])
            try:
                fmt = (
                    source.format
                    if source.format != "auto"
                    else detect_format(body, row["content_type"], row["final_url"])
                )
                document: Document | None = extract(
                    fmt, body, row["content_type"], source.options, row["final_url"]
                )
            except ExtractionError:
                document = None
                unparseable += 1
            if (document.hash() if document else None) != row["doc_hash"]:
                changed += 1
                archive.set_document(row["id"], document)
            if document is None:
                continue
            row = archive.snapshot(row["id"])
            compare(archive, source.name, previous, row["id"], row["first_seen"], document)
            archive.extend_history(source.name, row["id"], row["last_seen"])
            previous = row
    edits_after = len(archive.edit_rows(sources=[source.name]))
    return RebuildReport(source.name, len(rows), changed, unparseable, edits_before, edits_after)


def verify(archive: Archive) -> tuple[int, list[str]]:
    """Re-hash every stored body and check every record's pointers: (checked, problems)."""
    problems: list[str] = []
    rows = archive.snapshot_digests()
    for row in rows:
        try:
            archive.blobs.get(row["sha256"])
        except TrackerError as exc:
            problems.append(f"{row['source']} version {row['id']}: {exc}")
    for row in archive.dangling_fetches():
        problems.append(f"{row['source']} fetch {row['id']} points at a missing version")
    integrity = archive.integrity_check()
    if integrity != "ok":
        problems.append(f"database integrity check: {integrity}")
    return len(rows), problems
