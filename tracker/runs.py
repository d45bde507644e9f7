"""How a nightly run ended: which failures matter enough to exit 1.

One flaky vendor must not make every night fail (and cron mail): a source's failure counts
once it has failed `fail_after` runs in a row, or when every source failed at once (then the
network, not a vendor, is down). Every failure is in the log whatever the verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .archive import Archive
from .archive import nightly as store
from .models import Outcome

FAIL_AFTER = 3


@dataclass(frozen=True)
class Failure:
    """A failed source and how many runs in a row it has failed, this one included."""

    outcome: Outcome
    streak: int
    counts: bool  # crossed the threshold (or every source failed)


@dataclass(frozen=True)
class RunVerdict:
    failures: tuple[Failure, ...]
    every_source_failed: bool

    @property
    def exit_code(self) -> int:
        return 1 if any(f.counts for f in self.failures) else 0


def judge(
    archive: Archive, outcomes: Sequence[Outcome], fail_after: int = FAIL_AFTER
) -> RunVerdict:
    failed = [o for o in outcomes if o.outcome == "failed"]
    every = bool(outcomes) and len(failed) == len(outcomes)
    streaks = store.failure_streaks(archive, [o.source for o in failed])
    failures = tuple(
        Failure(o, streaks[o.source], every or streaks[o.source] >= fail_after) for o in failed
    )
    return RunVerdict(failures, every)
