"""Time the edit engine: word diff + classification per changed update, and a 1 MB history.

Texts are built from real update wording (Google Cloud, Airbrake, GitHub), so token counts and
vocabulary look like the pages the tool reads. Each figure is the best of a few runs, so start-up
noise stays out. The worst case, a fully rewritten text, is timed twice: unbounded (the whole
text in one exact diff, as before WORK_LIMIT existed; once only, it is slow, and estimated
past 20 KB) and as word_diff runs it now. Usage: `python benchmarks/bench_diff.py [MB]`
(default 1).
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from tracker.edits import detect
from tracker.edits import worddiff as diff
from tracker.edits.classify import classify
from tracker.edits.worddiff import word_diff
from tracker.models import COVERAGE_WINDOW, Document, EditEvent, Incident, Update

RUNS = 3
SENTENCES = [
    "We have mitigated the issue impacting multiple products in our us-west1 region as of "
    "Thursday, 2026-08-20 10:22 PDT.",
    "Our engineering teams have restored capacity on a planned optical maintenance that caused "
    "unexpected congestion in Dalles, Oregon metro /us-west1 region.",
    "Our systems stabilized and services have recovered once capacity was restored.",
    "Customers in us-west1 may have experienced timeouts, service degradations, errors, and "
    "elevated latencies across multiple products.",
    "Approximately 30 percent of requests to the API failed between 14:02 and 14:49 UTC.",
    "Errors on your error dashboard and error email notifications might take longer to appear "
    "than usual.",
    "We will share updates as we make progress in addressing this issue.",
    "If you have any questions or concerns, please reach us at support@airbrake.io.",
    "Some action hosted runners are experiencing longer than normal run times.",
    "We are investigating reports of degraded performance for Git Operations.",
]
EDITS = [
    ("Approximately 30 percent of", "Some"),
    ("10:22 PDT", "11:40 PDT"),
    (" Our systems stabilized and services have recovered once capacity was restored.", ""),
    ("may have experienced", "experienced"),
]


def update_text(words: int, offset: int = 0) -> str:
    """About `words` words of real wording, rotated by `offset` so updates differ."""
    parts: list[str] = []
    n = offset
    while sum(len(p.split()) for p in parts) < words:
        parts.append(SENTENCES[n % len(SENTENCES)])
        n += 1
    return " ".join(parts)


def edit(text: str) -> str:
    for old, new in EDITS:
        text = text.replace(old, new, 1)
    return text


def best(function: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def per_update(words: int, repeat: int = 50) -> float:
    old = update_text(words)
    new = edit(old)
    event = EditEvent(kind="update_edited", incident_key="i", update_key="u", old=old, new=new)

    def run() -> None:
        for _ in range(repeat):
            classify(event, word_diff(old, new))

    return best(run) / repeat


def rewritten(size: int) -> tuple[str, str]:
    """Worst case: every word different, no common stretch to trim (Diff_Timeout is 0)."""
    old = " ".join(f"alpha{i}" for i in range(size // 8))
    new = " ".join(f"omega{i}" for i in range(size // 8))
    return old, new


def unbounded(old: str, new: str) -> float:
    """One run with no work limit: the whole text in one exact diff, as before the limit."""
    saved = diff.WORK_LIMIT
    diff.WORK_LIMIT = sys.maxsize
    try:
        start = time.perf_counter()
        word_diff(old, new)
        return time.perf_counter() - start
    finally:
        diff.WORK_LIMIT = saved


def scrambled(sentences: int) -> tuple[str, str]:
    """The hardest input found for the bounded diff: 300 short sentences in random order.

    Few sentences occur once on each side, so they cannot anchor the alignment, and the exact
    sentence-level diff spends the whole budget.
    """
    pool = [f"Region {n} is back to normal." for n in range(300)]
    pick = random.Random(1).choice
    old = " ".join(pick(pool) for _ in range(sentences))
    new = " ".join(pick(pool) for _ in range(sentences))
    return old, new


def worst_cases() -> None:
    slow = 0.0
    for size in (5_000, 20_000, 100_000):
        old, new = rewritten(size)
        if size <= 20_000:
            slow = unbounded(old, new)
            before = f"{slow:.2f} s"
        else:
            # The exact diff's cost grows with the square of the size.
            before = f"~{slow * (size / 20_000) ** 2:.0f} s (estimated from 20 KB)"
        after = best(partial(word_diff, old, new))
        print(
            f"word_diff, {size // 1000} KB fully rewritten: unbounded {before}, now {after:.3f} s"
        )
    # Just under the square root of WORK_LIMIT: the sentence-level diff still runs, and costs.
    old, new = scrambled(1_990)
    print(
        f"word_diff, {len(old) // 1000} KB of short sentences in random order (hardest found): "
        f"{best(partial(word_diff, old, new)):.2f} s"
    )


def history(megabytes: float, changed_every: int) -> tuple[Document, Document, int, int]:
    """Two versions of a window document of about `megabytes` MB; every Nth update edited."""
    incidents, updates, size, n = [], 0, 0, 0
    while size < megabytes * 1_000_000:
        batch = []
        for k in range(4):
            text = update_text(60, offset=n + k)
            batch.append(
                Update(
                    key=f"u{n}-{k}",
                    posted_at=f"2024-03-{1 + n % 28:02d}T{k + 8:02d}:00:00Z",
                    status="investigating",
                    fields={"body": text},
                )
            )
            size += len(text) + 120
        incidents.append(
            Incident(
                key=f"i{n}",
                title=f"Incident {n}",
                created_at=batch[0].posted_at,
                updates=tuple(batch),
            )
        )
        updates += len(batch)
        n += 1
    old = Document(format="statuspage", coverage=COVERAGE_WINDOW, incidents=tuple(incidents))
    edited, count = [], 0
    for incident in incidents:
        changed = []
        for update in incident.updates:
            if (count := count + 1) % changed_every == 0:
                update = replace(update, fields={"body": edit(update.text)})
            changed.append(update)
        edited.append(replace(incident, updates=tuple(changed)))
    new = replace(old, incidents=tuple(edited))
    return old, new, updates, updates // changed_every


def main() -> None:
    megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    for words in (50, 300, 1000):
        print(f"diff+classify, {words}-word update, 4 edits: {per_update(words) * 1000:.2f} ms")
    worst_cases()
    old, new, updates, changed = history(megabytes, changed_every=20)
    unchanged = best(lambda: detect(old, old))
    elapsed = best(lambda: detect(old, new, previous_seen_at="2024-04-01T00:00:00Z"))
    print(
        f"detect, {megabytes:g} MB history, {updates} updates, nothing changed: {unchanged:.3f} s"
    )
    print(
        f"detect, {megabytes:g} MB history, {updates} updates, {changed} edited: {elapsed:.3f} s "
        f"({elapsed / changed * 1000:.2f} ms per edited update)"
    )


if __name__ == "__main__":
    main()
