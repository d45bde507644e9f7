"""Composes the stages for one observation: fetch → store → extract → detect.

The live fetch, the git and Wayback imports and the demo all go through `ingest`, so every
version, whatever its origin, is judged, stored and compared the same way.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from . import noise, robots
from .archive import Archive, blobs
from .archive import nightly as kept
from .archive.items import Pieces, pieces, slots
from .downloads import fetch_apart
from .edits import detect
from .edits.align import parse_time
from .errors import ExtractionError
from .extract import detect_format, extract
from .extract.parallel import Extractors, outcome, worth_a_worker
from .fetch import UNPARSEABLE, Job, Policy, fetch_all
from .models import Document, FetchResult, Incident, Outcome, Source
from .times import seconds_between

# A version that is replaced by its predecessor's exact document within this many seconds was a
# stale cache or a load balancer flip, not an edit: kept as evidence, ranked as noise.
FLICKER_SECONDS = 30 * 60
# Seconds between a fetch that shows a changed page and the second look that confirms it.
CONFIRM_DELAY = 3.0


def ingest(
    archive: Archive,
    source: Source,
    result: FetchResult,
    *,
    origin: str = "live",
    reference: str | None = None,
    observed_at: str | None = None,
    extracted: Callable[[], Reading] | None = None,
) -> Outcome:
    """Judge one fetched body and store what it proves. Nothing stored is ever altered.

    `extracted` gives the body's reading when it was read elsewhere (on a worker process);
    it is read again here when the source's noise was learned anew since.
    """
    judged = observe(archive, source, result, origin, reference, observed_at, extracted)
    if isinstance(judged, Outcome):
        return judged
    return store_version(archive, judged)


@dataclass(frozen=True)
class Reading:
    """A body's document with the source's learned noise masked, and that document cut.

    `document` and `cut` are None when the document is the one `read` was told the last
    version has (`known`): recording an unchanged page needs nothing but that.
    """

    document: Document | None
    cut: Pieces | None
    document_hash: str
    learned: tuple[noise.Signature, ...]  # the signatures masked
    worked: blobs.Worked | None = None  # the body's hash (a delta), worked out where it was read


def read(
    fmt: str,
    body: bytes,
    content_type: str | None,
    options: dict,
    url: str | None,
    learned: tuple[noise.Signature, ...],
    known: str | None = None,
) -> Reading:
    """Extract, mask and cut one body: all of it runs on a parsing worker in a large check, so
    the process that stores versions is left to store them (and for an unchanged page, is
    sent no document back at all)."""
    document = noise.apply(extract(fmt, body, content_type, options, url), learned)
    cut = pieces(document)
    done = blobs.worked(body)
    if cut.document_hash == known:
        return Reading(None, None, cut.document_hash, learned, done)
    return Reading(document, cut, cut.document_hash, learned, done)


@dataclass(frozen=True)
class Observation:
    """A body whose document differs from the last version's, not stored yet (see
    `second_look`). Both documents have the source's learned noise masked."""

    source: Source
    result: FetchResult
    row: dict[str, Any]
    previous: dict | None
    document: Document
    cut: Pieces
    old: Document | None  # the last version's document masked alike, when masking changed it
    seen: str
    origin: str
    reference: str | None
    worked: blobs.Worked | None = None  # about the body, when it was worked out already


def observe(
    archive: Archive,
    source: Source,
    result: FetchResult,
    origin: str = "live",
    reference: str | None = None,
    observed_at: str | None = None,
    extracted: Callable[[], Reading] | None = None,
) -> Outcome | Observation:
    """Record a fetch that proves nothing new (failed, not modified, unchanged) and say how it
    ended; or hand back what a new version would be made of."""
    seen = observed_at or result.finished_at
    row = fetch_row(archive, source, result, origin, reference, observed_at)
    if result.error:
        return failed(archive, source, row, result.error, result.detail)
    previous = latest(archive, source.name)
    if result.not_modified:
        with archive.transaction():
            if previous:
                archive.touch_snapshot(previous["id"], seen)
            row |= {"outcome": "not_modified", "snapshot_id": previous and previous["id"]}
            archive.record_fetch(row)
        return _outcome(source, row)
    body = result.body or b""
    try:
        fmt = _resolve_format(archive, source, body, result)
        reading = extracted() if extracted is not None else None
        if fmt != source.format:
            archive.set_format(source.name, fmt)  # `auto` is decided by the first readable body
        learned = tuple(signatures(archive, source.name))
        known = previous["doc_hash"] if previous else None
        if (
            reading is None
            or reading.learned != learned
            or (reading.document is None and reading.document_hash != known)
        ):
            reading = read(
                fmt, body, result.content_type, source.options, result.final_url, learned
            )
    except ExtractionError as exc:
        return failed(archive, source, row, UNPARSEABLE, str(exc))
    if reading.document is None:  # the last version's document, as the worker was told
        assert previous is not None
        return unchanged(archive, source, row, body, previous, seen, worked=reading.worked)
    document, cut = reading.document, reading.cut
    assert cut is not None
    old = None
    if previous is not None and previous["doc_hash"] != cut.document_hash and learned:
        stored = archive.document(previous)
        masked = noise.apply(stored, learned) if stored is not None else None
        if masked is not None and masked is not stored:
            old = masked
    if previous is not None and cut.document_hash in (previous["doc_hash"], _hash(old)):
        return unchanged(archive, source, row, body, previous, seen, worked=reading.worked)
    return Observation(
        source, result, row, previous, document, cut, old, seen, origin, reference, reading.worked
    )


def unchanged(
    archive: Archive,
    source: Source,
    row: dict[str, Any],
    body: bytes,
    previous: dict,
    seen: str,
    outcome: str = "unchanged",
    worked: blobs.Worked | None = None,
) -> Outcome:
    """Record a fetch that showed the last version (a flap did not: it is not seen then).

    `worked` is what was worked out about the body where it was read."""
    with archive.transaction():
        # Noise is evidence too: a body that differs from the last one is kept.
        row["sha256"] = archive.store_body(source.name, body, worked)
        if outcome != "flap":
            archive.touch_snapshot(previous["id"], seen)
        row |= {"outcome": outcome, "snapshot_id": previous["id"]}
        archive.record_fetch(row)
    return _outcome(source, row)


def store_version(archive: Archive, observation: Observation) -> Outcome:
    """Store an observation as a new version and find the edits since the last one."""
    o = observation
    body, result, row = o.result.body or b"", o.result, dict(o.row)
    with archive.transaction():
        digest = archive.store_body(o.source.name, body, o.worked)
        row["sha256"] = digest
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
                "first_seen": o.seen,
                "last_seen": o.seen,
                "origin": o.origin,
                "reference": o.reference,
            }
        )
        count = compare(
            archive, o.source.name, o.previous, snapshot_id, o.seen, o.document, o.cut, old=o.old
        )
        row |= {"outcome": "new", "snapshot_id": snapshot_id}
        archive.record_fetch(row)
    return _outcome(o.source, row, edits=count)


def signatures(archive: Archive, source: str) -> list[noise.Signature]:
    return [noise.Signature(r["place"], r["pattern"]) for r in archive.noise(source)]


def _hash(document: Document | None) -> str | None:
    return pieces(document).document_hash if document is not None else None


def compare(
    archive: Archive,
    source: str,
    previous: dict | None,
    snapshot_id: int,
    seen: str,
    document: Document,
    cut: Pieces | None = None,
    *,
    old: Document | None = None,
) -> int:
    """Store this version's document, find the edits since the previous one, note its wording.

    Only incidents whose hash changed are aligned, diffed and classified (with what the
    alignment needs to judge a window: see `_reduced`).
    """
    count = 0
    before = None
    if old is None and previous is not None:
        # `old` is given when the learned noise masks the last version differently from how
        # it was stored: its stored item hashes then say nothing about what changed.
        old = archive.document(previous)
        before = archive.open_incident_hashes(previous)
    cut = archive.set_document(snapshot_id, document, cut)
    assert cut is not None
    changed: set[str] | None = None
    if previous is not None and old is not None:
        if before is None:
            before = pieces(old).hashes()
        moved = {slot for slot in cut.order if before.get(slot) != cut.incidents[slot].hash}
        dropped = set(before) - set(cut.order)
        reduced_old, reduced_new = _reduced(old, document, cut.order, moved | dropped)
        events = detect(
            reduced_old,
            reduced_new,
            previous_seen_at=previous["last_seen"],
            earlier_texts=archive.earlier_texts(source),
            seen_at=seen,
        )
        count = archive.store_edits(source, previous, snapshot_id, seen, events)
        older = archive.snapshot_before(source, previous["id"])
        if (
            older
            and older["doc_hash"] == cut.document_hash
            and (seconds_between(previous["first_seen"], seen) <= FLICKER_SECONDS)
        ):
            # A → B → A within minutes: B's arrival and its disappearance are both noise.
            archive.mark_flicker([previous["id"], snapshot_id])
        changed = {_key(slot) for slot in moved | dropped}
    archive.record_history(source, snapshot_id, seen, document, changed)
    return count


def _key(slot: str) -> str:
    return slot.rpartition("#")[0]


def _reduced(
    old: Document, new: Document, new_order: Iterable[str], changed: set[str]
) -> tuple[Document, Document]:
    """The two versions cut down to the incidents that changed, for `detect`.

    An unchanged incident yields no event, but a window's judgement looks at the whole page:
    which incident is the oldest (did one fall off the end, or slide back in?) and whether any
    listed after a vanished one is still there. So the oldest unchanged incident and the last
    unchanged one of the old order stay in both.
    """
    old_slots = slots([i.key for i in old.incidents])
    new_slots = list(new_order)
    shown = set(new_slots)
    unchanged = [s for s in old_slots if s not in changed and s in shown]
    if not unchanged:
        return old, new
    by_slot = dict(zip(new_slots, new.incidents, strict=True))
    timed = [(when, s) for s in unchanged if (when := _incident_time(by_slot[s])) is not None]
    context = {unchanged[-1]}
    if timed:
        context.add(min(timed)[1])
    keep = changed | context
    kept_old = tuple(i for s, i in zip(old_slots, old.incidents, strict=True) if s in keep)
    kept_new = tuple(i for s, i in zip(new_slots, new.incidents, strict=True) if s in keep)
    return replace(old, incidents=kept_old), replace(new, incidents=kept_new)


def _incident_time(incident: Incident) -> datetime | None:
    """When an incident began, as the alignment orders a window: created, else first update."""
    created = parse_time(incident.created_at)
    if created is not None:
        return created
    posted = [t for t in (parse_time(u.posted_at) for u in incident.updates) if t]
    return min(posted, default=None)


def fetch_row(
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
        "robots": result.request.get("robots"),
    }


def _elapsed(result: FetchResult) -> float:
    """Seconds the fetch itself took (time spent queued behind other sources excluded)."""
    return seconds_between(result.started_at, result.finished_at)


def _resolve_format(archive: Archive, source: Source, body: bytes, result: FetchResult) -> str:
    """The source's format; for `auto`, the stored choice, else what this body looks like."""
    fmt = source.format
    if fmt == "auto":
        # The Source value may predate an earlier ingest of this run that already decided.
        fmt = archive.get_source_any(source.name)["format"]
    if fmt != "auto":
        return fmt
    return detect_format(body, result.content_type, result.final_url or result.url)


def failed(archive: Archive, source: Source, row: dict, kind: str, detail: str | None) -> Outcome:
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


def latest(archive: Archive, source: str) -> dict | None:
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
    confirm_delay: float = CONFIRM_DELAY,
) -> list[Outcome]:
    """Fetch the named sources (all when none are named) and ingest each result.

    A page whose document changed is fetched once more `confirm_delay` seconds later (the
    second look, see `second_look`; 0 turns it off) before a version is stored.
    """
    policy = policy or Policy()
    wanted = list(names)
    sources = [archive.get_source(n) for n in wanted] if wanted else archive.sources()
    by_name = {s.name: s for s in sources}
    verdicts = _robots(archive, sources, policy)
    lasts = {s.name: latest(archive, s.name) for s in sources if verdicts[s.name][0]}
    jobs = [_job(source, lasts[source.name]) for source in sources if source.name in lasts]
    outcomes: list[Outcome] = []
    pending: dict[str, Observation] = {}
    last_pending = 0.0

    held: list[Outcome] | None = None  # told once their transaction is committed

    def report(outcome: Outcome, result: FetchResult) -> None:
        outcome = _with_elapsed(outcome, _elapsed(result))
        outcomes.append(outcome)
        if held is not None:
            held.append(outcome)
        elif on_outcome:
            on_outcome(outcome)

    def store(
        job: Job, result: FetchResult, extracted: Callable[[], Reading] | None = None
    ) -> None:
        nonlocal last_pending
        source = by_name[job.key]
        result = robots.stamp(result, verdicts[job.key][1])

        def judge() -> Outcome | None:
            judged = observe(archive, source, result, extracted=extracted)
            if isinstance(judged, Outcome):
                return judged
            if confirm_delay <= 0 or judged.previous is None or source.name in pending:
                # A first version has nothing to differ from; its noise is learned the first
                # time it changes. (A source named twice is looked at twice already.)
                return store_version(archive, judged)
            pending[source.name] = judged
            return None

        outcome = _guarded(archive, source, result, judge)
        if outcome is not None:
            report(outcome, result)
        else:
            last_pending = time.monotonic()

    # Pages are parsed on worker processes while the next ones download, then stored here:
    # those that take reading (HTML, large bodies; a small JSON body is read here faster).
    costly = sum(1 for job in jobs if _costly(by_name[job.key], lasts[job.key]))
    extractors = Extractors.for_pages(costly)
    waiting: list[tuple[Job, FetchResult, Future[Any], tuple[Any, ...]]] = []
    here: list[tuple[Job, FetchResult, None]] = []  # to read and store here, once all are in

    def arrived(job: Job, result: FetchResult) -> None:
        source = by_name[job.key]
        if (
            extractors is None
            or source.format == "auto"
            or result.error
            or not result.body
            or not worth_a_worker(len(result.body), result.content_type)
        ):
            here.append((job, result, None))
        else:
            learned = tuple(signatures(archive, source.name))
            previous = latest(archive, source.name)
            known = previous["doc_hash"] if previous else None
            url, options = result.final_url, source.options
            args = (source.format, result.body, result.content_type, options, url, learned, known)
            waiting.append((job, result, extractors.submit(read, *args), args))
        drain(everything=False)

    def arrived_all() -> None:
        """Every page downloaded so far has arrived: store those read here. They leave `here`
        once stored: what was not is stored page by page if the run stops."""
        together(here[:], here.clear)

    def drain(everything: bool) -> None:
        while waiting:
            if everything:  # waited for outside the transaction, which never waits on a worker
                wait([w[2] for w in waiting], return_when=FIRST_COMPLETED)
            ready = [w for w in waiting if w[2].done()]
            if not ready:
                return
            for entry in ready:
                waiting.remove(entry)
            together([(j, r, partial(outcome, future, read, *a)) for j, r, future, a in ready])

    def together(
        batch: Sequence[tuple[Job, FetchResult, Callable[[], Reading] | None]],
        stored: Callable[[], None] = lambda: None,
    ) -> None:
        """Store pages in one transaction: one commit, one sync of the journal, for them all;
        each page's writes are still all or nothing (a savepoint). `stored` runs once they
        are committed; their outcomes are told after it."""
        nonlocal held
        if len(batch) < 2:  # a page stores in a transaction of its own, kept or lost with it
            stored()
            for job, result, extracted in batch:
                store(job, result, extracted)
            return
        held = []
        looking = set(pending)
        try:
            with archive.transaction():
                for job, result, extracted in batch:
                    store(job, result, extracted)
            stored()
        except BaseException:
            for name in set(pending) - looking:  # its first look was rolled back with the rest
                del pending[name]
            raise
        finally:
            told, held = held, None
        for done in told:
            if on_outcome:
                on_outcome(done)

    for source in sources:
        allowed, reason = verdicts[source.name]
        if not allowed:
            store(Job(key=source.name, url=source.url), robots.refused(source.url, reason))
    try:
        fetch_apart(jobs, policy, arrived, arrived_all)
        drain(everything=True)
    except BaseException:
        # A page that arrived is kept however the run stops (Ctrl-C included), as when each
        # was stored on arrival: only the fetches under way are cut short.
        for job, result, extracted in here:
            with contextlib.suppress(Exception):
                store(job, result, extracted)
        raise
    finally:
        if extractors is not None:
            extractors.close()
    if pending:
        time.sleep(max(0.0, confirm_delay - (time.monotonic() - last_pending)))
        # No validators: a 304 would say nothing about the version seen a moment ago.
        again = [Job(key=name, url=o.source.url) for name, o in pending.items()]

        def confirm(job: Job, result: FetchResult) -> None:
            first = pending.pop(job.key)
            result = robots.stamp(result, verdicts[job.key][1])
            outcome = _guarded(
                archive, first.source, result, lambda: second_look(archive, first, result)
            )
            report(outcome or _outcome(first.source, first.row), first.result)

        fetch_all(again, policy, confirm)
        for first in pending.values():  # not reached unless the second fetch was cut short
            report(store_version(archive, first), first.result)
    order = {s.name: i for i, s in enumerate(sources)}
    return sorted(outcomes, key=lambda o: order[o.source])


def _costly(source: Source, previous: dict | None) -> bool:
    """Whether the source's page is likely to be worth reading on a worker, by its last
    version `previous` (a source never read yet: by its format)."""
    if previous is None:
        return source.format == "html"
    return worth_a_worker(previous["bytes"] or 0, previous["content_type"])


def _guarded(
    archive: Archive, source: Source, result: FetchResult, judge: Callable[[], Outcome | None]
) -> Outcome | None:
    try:
        return judge()
    except Exception as exc:  # noqa: BLE001 - one page must never stop the nightly run
        detail = f"internal error while storing this page ({exc!r}); please report it"
        row = fetch_row(archive, source, result)
        return failed(archive, source, row, UNPARSEABLE, detail)


def second_look(archive: Archive, first: Observation, result: FetchResult) -> Outcome:
    """Settle a changed page with a second fetch taken a moment after the first.

    What differs between the two only by digits and tokens is learned as the source's noise
    first (see `noise.learn`); then, with it masked:

    - the first shows the last version after all: noise only, nothing stored but the body;
    - the second shows the last version again: a flap (A → B → A), recorded as the first
      fetch's outcome, its body kept, no version stored;
    - otherwise the change is real and the first is stored (also when the second could not
      be read: a change is never lost because the second look failed).

    The second fetch is then ingested as any fetch is (usually `unchanged`; a page still
    moving in words gives a version of its own).
    """
    source = first.source
    second: Document | None = None
    if not result.error and not result.not_modified:
        try:
            second = _document(archive, source, result)
        except ExtractionError:
            second = None
    if second is None or first.previous is None or _hash(second) == first.cut.document_hash:
        outcome = store_version(archive, first)
        ingest(archive, source, result)
        return outcome
    previous = first.previous
    learned = noise.learn(first.document, second)
    if learned:
        with archive.transaction():
            archive.add_noise(
                source.name, sorted((s.place, s.pattern) for s in learned), first.seen
            )
        current = signatures(archive, source.name)
        stored = archive.document(previous)
        masked = noise.apply(stored, current) if stored is not None else None
        document = noise.apply(first.document, current)
        note = f"noise learned on the second look: {len(learned)} volatile value(s)"
        first = replace(
            first,
            document=document,
            cut=pieces(document),
            old=masked if masked is not stored else None,
            row=first.row | {"detail": note},
        )
        second = noise.apply(second, current)
    last = {previous["doc_hash"], _hash(first.old)}
    body = first.result.body or b""
    if first.cut.document_hash in last:
        outcome = unchanged(
            archive, source, first.row, body, previous, first.seen, worked=first.worked
        )
    elif _hash(second) in last:
        seconds = seconds_between(first.seen, result.finished_at)
        row = first.row | {
            "detail": f"a different version was served, then the last one again {seconds:.0f} s "
            "later on the second look: kept as evidence, not stored as a version"
        }
        outcome = unchanged(
            archive, source, row, body, previous, first.seen, "flap", worked=first.worked
        )
    else:
        outcome = store_version(archive, first)
    ingest(archive, source, result)
    return outcome


def _document(archive: Archive, source: Source, result: FetchResult) -> Document:
    body = result.body or b""
    fmt = _resolve_format(archive, source, body, result)
    document = extract(fmt, body, result.content_type, source.options, result.final_url)
    return noise.apply(document, signatures(archive, source.name))


def _robots(archive: Archive, sources: list[Source], policy: Policy) -> dict[str, tuple[bool, str]]:
    """Each source's robots.txt verdict (importers never ask: they fetch no live page)."""
    checks = [robots.Check(s.name, s.url, bool(s.options.get("ignore_robots"))) for s in sources]
    return robots.check(
        checks, policy, partial(kept.robots_row, archive), partial(kept.save_robots, archive)
    )


def _with_elapsed(outcome: Outcome, elapsed: float) -> Outcome:
    return replace(outcome, elapsed=elapsed)


def _job(source: Source, previous: dict | None) -> Job:
    """The request for a source, with the validators of its last version `previous`."""
    etag = last_modified = None
    if previous and previous.get("headers"):
        headers = {k.lower(): v for k, v in json.loads(previous["headers"]).items()}
        etag = headers.get("etag")
        last_modified = headers.get("last-modified")
    return Job(key=source.name, url=source.url, etag=etag, last_modified=last_modified)
