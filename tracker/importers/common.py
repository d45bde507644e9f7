"""What the git and Wayback imports share: the source they fill, the order rule, the tally.

An imported version goes through `pipeline.ingest` like a live fetch; only its origin
(`git`, `wayback`), its reference (commit, capture URL) and its observation time differ.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..archive import Archive
from ..errors import UsageError
from ..ingest import Reading, ingest
from ..models import FetchResult, Outcome, Source
from ..sources import check_format, check_name, new_source
from ..times import now_iso, to_iso

# Called after each version with (done, total); total is None while it is not yet known.
ProgressCallback = Callable[[int, int | None], None]
# An import commits its versions a batch at a time (a commit waits for the disk): at most this
# many versions, or this many seconds of work, so others waiting to write are not held long.
BATCH_VERSIONS = 200
BATCH_SECONDS = 1.0


@dataclass(frozen=True)
class Failure:
    reference: str
    kind: str
    detail: str | None
    recorded: bool = True  # False: the transient failure the import stopped at


@dataclass(frozen=True)
class ImportSummary:
    """How an import ended. `read` versions went through ingest; the others were passed over."""

    source: str
    origin: str
    found: int = 0
    already_imported: int = 0
    too_old: int = 0
    not_ok: int = 0  # Wayback captures whose archived status was not 200: never fetched
    new: int = 0
    unchanged: int = 0
    edits: int = 0
    failures: tuple[Failure, ...] = ()

    @property
    def read(self) -> int:
        return self.new + self.unchanged + sum(1 for f in self.failures if f.recorded)

    @property
    def retry_later(self) -> int:
        return sum(1 for f in self.failures if not f.recorded)

    @property
    def stopped(self) -> Failure | None:
        """The version the import stopped at (not stored): a rerun continues from it."""
        return next((f for f in self.failures if not f.recorded), None)


@dataclass
class Tally:
    """Counts an import as it goes; `summary()` freezes it."""

    source: str
    origin: str
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)

    def count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def ingested(self, reference: str, outcome: Outcome) -> None:
        if outcome.outcome == "failed":
            self.failures.append(Failure(reference, outcome.error or "failed", outcome.detail))
            return
        self.count("new" if outcome.outcome == "new" else "unchanged")
        self.counts["edits"] = self.counts.get("edits", 0) + outcome.edits

    def stop(self, reference: str, kind: str, detail: str | None) -> None:
        self.failures.append(Failure(reference, kind, detail, recorded=False))

    def summary(self) -> ImportSummary:
        count = self.counts.get
        return ImportSummary(
            self.source,
            self.origin,
            found=count("found", 0),
            already_imported=count("already_imported", 0),
            too_old=count("too_old", 0),
            not_ok=count("not_ok", 0),
            new=count("new", 0),
            unchanged=count("unchanged", 0),
            edits=count("edits", 0),
            failures=tuple(self.failures),
        )


class Run:
    """One import into one source: versions are stored in time order, or not at all.

    The archive compares each version with the one stored before it, so a version observed
    before the newest stored one (a skewed commit clock, a capture that came back late) would
    make an edit whose window ends before it starts: it is counted as too old instead.
    """

    def __init__(self, archive: Archive, source: Source, origin: str):
        self.archive = archive
        self.source = source
        self.origin = origin
        self.tally = Tally(source.name, origin)
        self.floor = newest_seen(archive, source.name)
        self._pending, self._since = 0, time.monotonic()

    def skipped(self, reference: str, observed_at: str) -> bool:
        """Count, and pass over, a version already imported or older than the newest stored."""
        if self.archive.has_reference(self.source.name, self.origin, reference):
            self.tally.count("already_imported")
        elif self.too_old(observed_at):
            self.tally.count("too_old")
        else:
            return False
        return True

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Versions stored inside are committed together, a batch at a time.

        Each version is still all or nothing (a savepoint); when the import stops on an error
        or an interrupt, the versions stored before it are committed, as one by one they were.
        """
        self._pending, self._since = 0, time.monotonic()
        self.archive.begin()
        try:
            yield
        finally:
            if self.archive.db.conn.in_transaction:
                self.archive.db.execute("commit")

    def _commit_batch(self) -> None:
        if not self.archive.db.conn.in_transaction:
            return
        self._pending += 1
        if self._pending >= BATCH_VERSIONS or time.monotonic() - self._since >= BATCH_SECONDS:
            self.archive.db.execute("commit")
            self.archive.begin()
            self._pending, self._since = 0, time.monotonic()

    def too_old(self, observed_at: str) -> bool:
        return self.floor is not None and observed_at < self.floor

    def store(
        self,
        reference: str,
        result: FetchResult,
        observed_at: str,
        extracted: Callable[[], Reading] | None = None,
    ) -> None:
        """Ingest one version observed at `observed_at`, unless it is too old by now.

        `extracted` gives its reading when it was read on a worker (see `ahead`)."""
        if self.too_old(observed_at):
            self.tally.count("too_old")
            return
        outcome = ingest(
            self.archive,
            self.source,
            result,
            origin=self.origin,
            reference=reference,
            observed_at=observed_at,
            extracted=extracted,
        )
        self.tally.ingested(reference, outcome)
        self._commit_batch()
        if outcome.outcome == "failed":
            return
        self.floor = max(self.floor or observed_at, observed_at)
        if self.source.format == "auto":
            # The first readable version decided the format; later ones are read in it, so an
            # error page in the middle of a history is a failed fetch, not another format.
            self.source = self.archive.get_source(self.source.name)


def ensure_source(archive: Archive, name: str, url: str, fmt: str | None) -> Source:
    """The source an import fills: the existing one, or a new one with `url` and `fmt`."""
    existing = {source.name: source for source in archive.sources()}.get(name)
    if existing is None:
        return archive.add_source(_new_source(name, url, fmt))
    if fmt and fmt not in ("auto", existing.format):
        raise UsageError(
            f"source {name!r} already exists with format {existing.format!r}, not {fmt!r}; "
            "drop --format, or import into a new --source"
        )
    return existing


def _new_source(name: str, url: str, fmt: str | None) -> Source:
    if url.startswith(("http://", "https://")):
        return new_source(url, name=name, fmt=fmt or "auto")
    # A git history may have no web address: the name and format are still checked.
    return Source(check_name(name), url, check_format(fmt or "auto"), {}, now_iso())


def newest_seen(archive: Archive, source: str) -> str | None:
    """When the source's newest version was last seen: imports add nothing observed before."""
    rows = archive.latest_snapshots(source, 1)
    return rows[0]["last_seen"] if rows else None


iso_utc = to_iso
