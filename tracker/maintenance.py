"""Rebuilding, upgrading and verifying an archive: always reported, never silent."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import noise
from .archive import Archive
from .archive.chain import Head, Walk
from .archive.items import pieces
from .errors import ExtractionError, TrackerError, VerifyError
from .extract import SCHEME, detect_format, extract
from .files import TEMP_PREFIX
from .ingest import compare, signatures
from .models import Document, RebuildReport, Source


@dataclass(frozen=True)
class VerifyReport:
    """What `tracker verify` checked and found: `head` is the recomputed chain head, `walk`
    the chain as walked (to place an older head in it)."""

    versions: int
    fetches: int
    sources: int
    bodies: int
    head: Head
    problems: tuple[str, ...]
    walk: Walk

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": not self.problems,
            "checked": {
                "sources": self.sources,
                "fetches": self.fetches,
                "versions": self.versions,
                "bodies": self.bodies,
                "chain_records": self.head.count,
            },
            "head": self.head.to_dict(),
            "problems": list(self.problems),
        }


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
    # The noise learned so far, so versions compare as they do when fetched.
    learned = signatures(archive, source.name)
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
            if document is not None:
                document = noise.apply(document, learned)
            cut = pieces(document) if document else None
            if (cut.document_hash if cut else None) != row["doc_hash"]:
                changed += 1
            if document is None:
                archive.set_document(row["id"], None)
                continue
            compare(archive, source.name, previous, row["id"], row["first_seen"], document, cut)
            previous = archive.snapshot(row["id"])
    edits_after = len(archive.edit_rows(sources=[source.name]))
    return RebuildReport(source.name, len(rows), changed, unparseable, edits_before, edits_after)


def verify(archive: Archive) -> VerifyReport:
    """Recompute the hash chain, re-read every stored body through its delta chain, re-hash
    it, and check every pointer.

    Each problem is one line naming the record (fetch, version, body) whose evidence is
    damaged, missing or not sealed; the first one is the first bad record of the chain.
    """
    walk = archive.chain_walk()
    problems = list(walk.problems)
    stored = archive.recorded_head()
    if stored is None:
        if walk.head.count:
            problems.append(
                "the archive's note of its chain head is missing: the settings table was "
                "changed outside status-tracker (check a published head with --head)"
            )
    elif stored.count < 0:
        problems.append(
            "the archive's note of its chain head cannot be read: the settings table was "
            "changed outside status-tracker (check a published head with --head)"
        )
    elif (stored.count, stored.hash) != (walk.head.count, walk.head.hash):
        problems.append(_tail_problem(stored, walk))
    for row in archive.unsealed_versions():
        problems.append(
            f"{row['source'] or 'unknown source'} version {row['id']}: no fetch record brought "
            "this body as a new version; the row was inserted or re-pointed outside status-tracker"
        )
    for row in archive.moved_last_seen():
        problems.append(
            f"{row['source']} version {row['id']}: last seen {row['last_seen']} but the last "
            f"fetch that saw it finished {row['last']}; the row was edited"
        )
    problems.extend(_body_problems(archive))
    missing = archive.chain_guards_missing()
    if missing:
        problems.append(
            f"the triggers guarding the evidence are missing ({', '.join(missing)}): "
            "the database was changed outside status-tracker"
        )
    integrity = archive.integrity_check()
    if integrity != "ok":
        problems.append(f"database integrity check: {integrity}")
    counts = archive.evidence_counts()
    return VerifyReport(
        versions=counts["snapshots"],
        fetches=counts["fetches"],
        sources=counts["sources"],
        bodies=counts["bodies"],
        head=walk.head,
        problems=tuple(problems),
        walk=walk,
    )


def check_head(report: VerifyReport, head: str) -> str:
    """One line saying an older head is part of today's chain; VerifyError if it is not."""
    position = report.walk.position(head)
    if position is None:
        raise VerifyError(
            f"head {head} is not part of today's intact chain ({report.head}): the archive was "
            "rewritten or cut after that head was published, or the hash is mistyped (give "
            "at least 12 hex digits)"
        )
    return (
        f"head {head} is record {position} of today's chain ({report.head.count} records): "
        f"the {position} records it sealed are unchanged"
    )


def _tail_problem(stored: Head, walk: Walk) -> str:
    if stored.count > walk.head.count:
        return (
            f"the chain ends after {walk.head.count} records but the archive recorded "
            f"{stored.count} (head {stored.hash[:16]}): the last records were deleted"
        )
    return (
        f"the chain head is {walk.head} but the archive recorded {stored}: records were "
        "added or changed outside status-tracker"
    )


def _body_problems(archive: Archive) -> list[str]:
    problems: list[str] = []
    users = _body_users(archive)
    broken: dict[str, str] = {}
    for stored in archive.blobs.stored():
        if stored.base is not None and stored.base in broken:
            broken[stored.sha256] = broken[stored.base]
            problems.append(
                f"{_named(users, stored.sha256)}: cannot be read, it is stored as a delta on "
                f"the damaged body of {broken[stored.base]}"
            )
            continue
        try:
            archive.blobs.get(stored.sha256)
        except TrackerError as exc:
            broken[stored.sha256] = _named(users, stored.sha256)
            problems.append(f"{broken[stored.sha256]}: {exc}")
    archive.blobs.forget()
    for row in archive.snapshot_digests():
        if row["sha256"] in broken or archive.blobs.stored_in_database(row["sha256"]):
            continue
        try:
            archive.blobs.get(row["sha256"])  # a body file of an older archive
        except TrackerError as exc:
            problems.append(f"{row['source']} version {row['id']}: {exc}")
    for row in archive.fetches_without_body():
        problems.append(
            f"{row['source']} fetch {row['id']}: its body {row['sha256'][:12]} is not kept"
        )
    for row in archive.dangling_fetches():
        problems.append(f"{row['source']} fetch {row['id']} points at a missing version")
    return problems


def _body_users(archive: Archive) -> dict[str, list[str]]:
    """{sha256: ["gcp version 4", "gcp fetch 9", ...]}: who names each body."""
    users: dict[str, list[str]] = {}
    for row in archive.snapshot_digests():
        users.setdefault(row["sha256"], []).append(f"{row['source']} version {row['id']}")
    for row in archive.fetch_digests():
        if row["snapshot_id"] is None or row["outcome"] != "new":
            users.setdefault(row["sha256"], []).append(f"{row['source']} fetch {row['id']}")
    return users


def _named(users: dict[str, list[str]], digest: str) -> str:
    names = users.get(digest)
    if not names:
        return f"body {digest[:12]} (no version names it)"
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def collect_garbage(archive: Archive) -> dict[str, Any]:
    """Drop what no record needs, then say what the archive holds, source by source.

    Removed: temporary files a killed run left in the body store (`.tmp-*`), body files of
    older archives no record names, and stored bodies no record names (after a purge) that
    no kept body is a delta on. Run under the single-run lock: nothing is being written.
    """
    root = archive.blobs.root
    temp_files = [p for p in root.rglob(f"{TEMP_PREFIX}*") if p.is_file()] if root.exists() else []
    freed = 0
    for path in temp_files:
        freed += path.stat().st_size
        path.unlink()
    named = archive.named_digests()
    orphan_files = []
    if root.exists():
        for path in root.glob("*/*/*"):
            if path.is_file() and not path.name.startswith(TEMP_PREFIX) and path.name not in named:
                orphan_files.append(path)
    for path in orphan_files:
        freed += path.stat().st_size
        path.unlink()
    with archive.transaction():
        dropped, dropped_bytes = archive.drop_unnamed_bodies(named)
    return {
        "removed": {
            "temp_files": len(temp_files),
            "orphan_body_files": len(orphan_files),
            "orphan_bodies": dropped,
            "bytes": freed + dropped_bytes,
        },
        "database_bytes": archive.database_bytes(),
        "sources": archive.sizes_by_source(),
    }
