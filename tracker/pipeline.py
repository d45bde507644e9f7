"""Composes the stages: fetch → archive → extract → align+diff → classify.

The live fetch, the git and Wayback imports and the demo all go through `ingest`, so every
version, whatever its origin, is judged, stored and compared the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from . import catalog
from .archive import Archive
from .edits import detect
from .errors import ExtractionError, TrackerError, UsageError
from .extract import FORMATS, SCHEME, detect_format, extract
from .fetch import UNPARSEABLE, Job, Policy, fetch_all, fetch_url, make_session, now_iso
from .models import Document, FetchResult, Source
from .store import sha256

# A version that is replaced by its predecessor's exact document within this many seconds was a
# stale cache or a load balancer flip, not an edit: kept as evidence, ranked as noise.
FLICKER_SECONDS = 30 * 60


@dataclass(frozen=True)
class Outcome:
    """How one observation of one source ended."""

    source: str
    outcome: str  # new, unchanged, not_modified, failed
    error: str | None = None
    detail: str | None = None
    http_status: int | None = None
    snapshot_id: int | None = None
    sha256: str | None = None
    bytes: int | None = None
    edits: int = 0
    elapsed: float = 0.0


def is_changed(previous: dict | None, document: Document) -> bool:
    """The one place that decides whether an observation is a new version."""
    return previous is None or previous["doc_hash"] != document.hash()


def ingest(
    archive: Archive,
    source: Source,
    result: FetchResult,
    *,
    origin: str = "live",
    reference: str | None = None,
    observed_at: str | None = None,
) -> Outcome:
    """Judge one fetched body and store what it proves. Nothing stored is ever altered."""
    seen = observed_at or result.finished_at
    row = _fetch_row(archive, source, result, origin, reference, observed_at)
    if result.error:
        return _failed(archive, source, row, result.error, result.detail)
    previous = _latest(archive, source.name)
    if result.not_modified:
        with archive.transaction():
            if previous:
                archive.touch_snapshot(previous["id"], seen)
                archive.extend_history(source.name, previous["id"], seen)
            row |= {"outcome": "not_modified", "snapshot_id": previous and previous["id"]}
            archive.record_fetch(row)
        return _outcome(source, row)
    body = result.body or b""
    try:
        fmt = _resolve_format(archive, source, body, result)
        document = extract(fmt, body, result.content_type, source.options, result.final_url)
    except ExtractionError as exc:
        return _failed(archive, source, row, UNPARSEABLE, str(exc))
    if fmt != source.format:
        archive.set_format(source.name, fmt)  # `auto` is decided by the first readable body
    digest = sha256(body)
    row["sha256"] = digest
    if not is_changed(previous, document):
        assert previous is not None
        with archive.transaction():
            archive.touch_snapshot(previous["id"], seen)
            archive.extend_history(source.name, previous["id"], seen)
            row |= {"outcome": "unchanged", "snapshot_id": previous["id"]}
            archive.record_fetch(row)
        return _outcome(source, row)
    archive.blobs.put(body)  # the blob first: a row never points at a missing body
    with archive.transaction():
        snapshot_id = archive.insert_snapshot(
            {
                "source_id": row["source_id"],
                "sha256": digest,
                "content_type": result.content_type,
                "headers": _json(result.headers),
                "request": _json(result.request),
                "url": result.url,
                "final_url": result.final_url or result.url,
                "bytes": len(body),
                "first_seen": seen,
                "last_seen": seen,
                "origin": origin,
                "reference": reference,
            }
        )
        archive.set_document(snapshot_id, document)
        count = _compare(archive, source.name, previous, snapshot_id, seen, document)
        row |= {"outcome": "new", "snapshot_id": snapshot_id}
        archive.record_fetch(row)
    return _outcome(source, row, edits=count)


def _compare(
    archive: Archive,
    source: str,
    previous: dict | None,
    snapshot_id: int,
    seen: str,
    document: Document,
) -> int:
    """Edit events between the previous version and this one; then note this one's wording."""
    count = 0
    old = archive.document(previous) if previous else None
    if previous is not None and old is not None:
        events = detect(
            old,
            document,
            previous_seen_at=previous["last_seen"],
            earlier_texts=archive.earlier_texts(source),
        )
        count = archive.store_edits(source, previous, snapshot_id, seen, events)
        older = archive.snapshot_before(source, previous["id"])
        if (
            older
            and older["doc_hash"] == document.hash()
            and (_seconds_between(previous["first_seen"], seen) <= FLICKER_SECONDS)
        ):
            # A → B → A within minutes: B's arrival and its disappearance are both noise.
            archive.mark_flicker([previous["id"], snapshot_id])
    archive.record_history(source, snapshot_id, seen, document)
    return count


def _seconds_between(start: str, end: str) -> float:
    return (_parse_time(end) - _parse_time(start)).total_seconds()


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _fetch_row(
    archive: Archive,
    source: Source,
    result: FetchResult,
    origin: str = "live",
    reference: str | None = None,
    observed_at: str | None = None,
) -> dict[str, Any]:
    """The fetches row every observation gets, whatever its outcome."""
    return {
        "source_id": archive.source_id(source.name),
        "started_at": observed_at or result.started_at,
        "finished_at": observed_at or result.finished_at,
        "http_status": result.status,
        "url": result.url,
        "final_url": result.final_url,
        "bytes": len(result.body) if result.body is not None else None,
        "origin": origin,
        "reference": reference,
    }


def _elapsed(result: FetchResult) -> float:
    """Seconds the fetch itself took (time spent queued behind other sources excluded)."""
    return _seconds_between(result.started_at, result.finished_at)


def _resolve_format(archive: Archive, source: Source, body: bytes, result: FetchResult) -> str:
    """The source's format; for `auto`, the stored choice, else what this body looks like."""
    fmt = source.format
    if fmt == "auto":
        # The Source value may predate an earlier ingest of this run that already decided.
        fmt = archive.get_source_any(source.name)["format"]
    if fmt != "auto":
        return fmt
    return detect_format(body, result.content_type, result.final_url or result.url)


def _failed(archive: Archive, source: Source, row: dict, kind: str, detail: str | None) -> Outcome:
    row |= {"outcome": "failed", "error": kind, "detail": detail, "sha256": None}
    with archive.transaction():
        archive.record_fetch(row)
    return _outcome(source, row)


def _outcome(source: Source, row: dict, edits: int = 0) -> Outcome:
    return Outcome(
        source=source.name,
        outcome=row["outcome"],
        error=row.get("error"),
        detail=row.get("detail"),
        http_status=row.get("http_status"),
        snapshot_id=row.get("snapshot_id"),
        sha256=row.get("sha256"),
        bytes=row.get("bytes"),
        edits=edits,
    )


def _latest(archive: Archive, source: str) -> dict | None:
    rows = archive.latest_snapshots(source, 1)
    return rows[0] if rows else None


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


# -- runs ------------------------------------------------------------------------------------


def fetch_sources(
    archive: Archive,
    names: Iterable[str] = (),
    policy: Policy | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Fetch the named sources (all when none are named) and ingest each result."""
    policy = policy or Policy()
    ensure_current(archive)
    wanted = list(names)
    sources = [archive.get_source(n) for n in wanted] if wanted else archive.sources()
    by_name = {s.name: s for s in sources}
    jobs = [_job(archive, source) for source in sources]
    outcomes: list[Outcome] = []

    def store(job: Job, result: FetchResult) -> None:
        source = by_name[job.key]
        try:
            outcome = ingest(archive, source, result)
        except Exception as exc:  # noqa: BLE001 - one page must never stop the nightly run
            detail = f"internal error while storing this page ({exc!r}); please report it"
            row = _fetch_row(archive, source, result)
            outcome = _failed(archive, source, row, UNPARSEABLE, detail)
        outcome = _with_elapsed(outcome, _elapsed(result))
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)

    fetch_all(jobs, policy, store)
    order = {s.name: i for i, s in enumerate(sources)}
    return sorted(outcomes, key=lambda o: order[o.source])


def _with_elapsed(outcome: Outcome, elapsed: float) -> Outcome:
    return replace(outcome, elapsed=elapsed)


def _job(archive: Archive, source: Source) -> Job:
    previous = _latest(archive, source.name)
    etag = last_modified = None
    if previous and previous.get("headers"):
        headers = {k.lower(): v for k, v in json.loads(previous["headers"]).items()}
        etag = headers.get("etag")
        last_modified = headers.get("last-modified")
    return Job(key=source.name, url=source.url, etag=etag, last_modified=last_modified)


# -- sources -----------------------------------------------------------------------------------

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


def check_url(url: str) -> str:
    problem = None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError as exc:
        problem = str(exc)
    else:
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problem = "it is neither a catalog name nor an http(s) URL"
        elif any(c.isspace() for c in url):
            problem = "it contains spaces (encode them as %20)"
    if problem:
        raise UsageError(f"cannot track {url!r}: {problem}; `tracker catalog` lists the names")
    return url


def name_from_url(url: str) -> str:
    host = (urlsplit(url).hostname or "source").lower()
    host = re.sub(r"^(www|status)\.", "", host)
    slug = re.sub(r"[^a-z0-9]+", "-", host).strip("-")
    return slug[:63] or "source"


def check_name(name: str) -> str:
    chosen = name.lower()
    if not _NAME.match(chosen):
        raise UsageError(
            f"source name {chosen!r} must be lowercase letters, digits, '.', '_' or '-'"
        )
    return chosen


def check_format(fmt: str) -> str:
    if fmt != "auto" and fmt not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise UsageError(f"unknown format {fmt!r}; known formats: auto, {known}")
    return fmt


def new_source(
    target: str,
    *,
    name: str | None = None,
    fmt: str | None = None,
    select: str | None = None,
    ignore: Iterable[str] = (),
) -> Source:
    """A Source from a catalog name or a URL, checked but not yet stored."""
    entry = catalog.lookup(target) if "://" not in target else None
    if entry:
        url, default_name, default_format = entry.url, entry.name, entry.format
    else:
        url, default_name, default_format = check_url(target), name_from_url(target), "auto"
    chosen_name = check_name(name or default_name)
    chosen_format = check_format(fmt or default_format)
    options: dict = {}
    if select:
        options["select"] = select
    ignored = [i for i in ignore if i]
    if ignored:
        options["ignore"] = ignored
    return Source(chosen_name, url, chosen_format, options, now_iso())


@dataclass(frozen=True)
class Probe:
    """What one look at a new source's URL found: a format, or why there is none yet."""

    format: str | None
    problem: str | None = None


def probe_format(source: Source, policy: Policy | None = None) -> Probe:
    """Fetch once to pick the format of an `auto` source."""
    policy = policy or Policy(retries=0)
    with make_session(policy) as session:
        result = fetch_url(session, source.url, policy)
    if result.error or not result.body:
        return Probe(None, f"the page could not be read now ({result.error}: {result.detail})")
    try:
        fmt = detect_format(result.body, result.content_type, result.final_url or source.url)
    except ExtractionError as exc:
        return Probe(None, f"no known format fits what it serves ({exc})")
    return Probe(fmt)


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_catalog(archive: Archive) -> int:
    """Add every catalog source not yet tracked; returns how many were added."""
    known = {s.name for s in archive.sources()}
    added = 0
    for entry in catalog.entries():
        if entry.name in known:
            continue
        archive.add_source(Source(entry.name, entry.url, entry.format, {}, now_iso()))
        added += 1
    return added


@dataclass(frozen=True)
class RebuildReport:
    source: str
    snapshots: int
    documents_changed: int
    unparseable: int
    edits_before: int
    edits_after: int


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
            _compare(archive, source.name, previous, row["id"], row["first_seen"], document)
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
