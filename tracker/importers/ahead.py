"""An import's versions read on a worker process, a few ahead of the one being stored.

A long history is read in order, and each version differs from the one before in a few
incidents. The worker reads (extracts, masks, cuts) every body and sends back only the
incidents whose hash changed since the version it read before; `Mirror` puts the whole
reading together again here from those and the incidents it already holds. So the storing
process stores while the next versions are read, and a multi-megabyte document never crosses
between the two.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..archive import blobs
from ..archive.blobs import Worked
from ..archive.items import IncidentPiece, Pieces
from ..errors import ExtractionError
from ..extract.parallel import MIN_PAGES, Extractors, worth_a_worker
from ..ingest import Reading, read
from ..models import Document, FetchResult, Incident
from ..noise import Signature

# How many versions are handed to the worker before the first of them is stored.
DEPTH = 4


@dataclass(frozen=True)
class Changes:
    """A reading, told against the reading before it on the same worker."""

    document_hash: str
    learned: tuple[Signature, ...]
    layout: dict[str, Any]  # format, coverage, page, and the incidents' slots in order
    layout_hash: str
    changed: dict[str, tuple[Incident, str]]  # slot -> (incident, its hash), new or changed
    worked: Worked | None  # the body's hash, and its delta on the body read before it


# The slot -> incident hash of the last reading this worker sent, and that reading's body
# with its SHA-256 (on a worker process only).
_LAST: dict[str, str] = {}
_BODY: list[tuple[str, bytes]] = []


def read_changes(fresh: bool, *args: Any) -> Changes:
    """`ingest.read(*args)` as Changes since this worker's previous reading; `fresh` starts
    a new series (a worker may be told several imports)."""
    if fresh:
        _LAST.clear()
        _BODY.clear()
    reading = read(*args)
    body: bytes = args[1]
    # The body the storing process will keep it as a delta on, if it read the same history.
    known = reading.worked.sha256 if reading.worked else None
    done = blobs.worked(body, _BODY[0] if _BODY else None, known)
    _BODY[:] = [(done.sha256, body)]
    cut = reading.cut
    assert cut is not None  # `read` is not told a known hash here
    changed = {
        slot: (piece.incident, piece.hash)
        for slot, piece in cut.incidents.items()
        if _LAST.get(slot) != piece.hash
    }
    _LAST.clear()
    _LAST.update(cut.hashes())
    return Changes(cut.document_hash, reading.learned, cut.layout, cut.layout_hash, changed, done)


class Mirror:
    """The worker's last reading, kept here: each Changes makes the next whole Reading."""

    def __init__(self) -> None:
        self._pieces: dict[str, IncidentPiece] = {}

    def apply(self, changes: Changes) -> Reading:
        layout = changes.layout
        order = tuple(layout["incidents"])
        pieces: dict[str, IncidentPiece] = {}
        for slot in order:
            new = changes.changed.get(slot)
            if new is None:
                pieces[slot] = self._pieces[slot]
            else:
                pieces[slot] = IncidentPiece(slot=slot, incident=new[0], hash=new[1])
        self._pieces = pieces
        document = Document(
            format=layout["format"],
            incidents=tuple(piece.incident for piece in pieces.values()),
            coverage=layout["coverage"],
            page=layout["page"],
        )
        cut = Pieces(changes.document_hash, order, pieces, layout, changes.layout_hash)
        return Reading(document, cut, changes.document_hash, changes.learned, changes.worked)


# What an import hands the pipeline to learn how a version is read: its format (None while
# the source's format is not decided yet: read where it is stored), options, learned noise.
Plan = Callable[[], tuple[str | None, dict, tuple[Signature, ...]]]
Extracted = Callable[[], Reading] | None


@contextmanager
def read_ahead(
    results: Iterable[FetchResult], plan: Plan, count: int, size: int, content_type: str
) -> Iterator[Iterator[tuple[FetchResult, Extracted]]]:
    """Each result with its reading made on a worker (None: read it where it is stored).

    The worker is started (forked, so enter this before any transaction or thread begins)
    only for a history worth it: `count` versions of about `size` bytes of `content_type`.
    A worker that dies leaves the rest of the history to be read where it is stored.
    """
    worth = count >= MIN_PAGES and worth_a_worker(size, content_type)
    if not worth or not sys.platform.startswith("linux"):
        yield ((result, None) for result in results)
        return
    extractors = Extractors(workers=1)
    try:
        yield _pipeline(extractors, iter(results), plan)
    finally:
        extractors.close()


def _pipeline(
    extractors: Extractors, results: Iterator[FetchResult], plan: Plan
) -> Iterator[tuple[FetchResult, Extracted]]:
    mirror = Mirror()
    fresh, broken = True, False
    queued: deque[tuple[FetchResult, Future[tuple[Changes | None, str | None]] | None]] = deque()
    failure: Exception | None = None  # met reading ahead: raised when its turn comes
    while True:
        while failure is None and len(queued) < DEPTH:
            try:
                result = next(results)
            except StopIteration:
                break
            except Exception as exc:  # noqa: BLE001 - raised below, after the versions before it
                failure = exc
                break
            future = None
            fmt, options, learned = plan()
            if not broken and fmt is not None and not result.error and result.body:
                args = (fmt, result.body, result.content_type, options, result.final_url)
                try:
                    future = extractors.submit(read_changes, fresh, *args, learned)
                    fresh = False
                except BrokenProcessPool:
                    broken = True
            queued.append((result, future))
        if not queued:
            if failure is not None:
                raise failure
            return
        result, future = queued.popleft()
        if future is None:
            yield result, None
            continue
        try:
            changes, error = future.result()
        except BrokenProcessPool:  # killed, out of memory: the rest is read here
            broken = True
            yield result, None
            continue
        except Exception:  # noqa: BLE001 - read here again, where it fails as it would
            yield result, None
            continue
        if error is not None:
            yield result, _raising(error)
            continue
        assert changes is not None
        yield result, _given(mirror.apply(changes))


def _given(reading: Reading) -> Callable[[], Reading]:
    return lambda: reading


def _raising(error: str) -> Callable[[], Reading]:
    def extracted() -> Reading:
        raise ExtractionError(error)

    return extracted
