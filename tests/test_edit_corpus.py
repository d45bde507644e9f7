"""The labelled corpus of before/after pairs (tests/fixtures/edits): events and flags.

Each case states the events a reader should be told about and the flags a person gave each
one. A case whose `disagreement` note records where the rules and the person differ must keep
differing: when the classifier learns it, the note (and the label) must be revisited.
Run with -s to see the per-flag precision and recall table.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tracker.edits import detect
from tracker.edits.classify import FLAGS
from tracker.models import Document, EditEvent

CORPUS = Path(__file__).parent / "fixtures" / "edits"
CASES = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(CORPUS.glob("*.json"))]


def run(case: dict) -> list[EditEvent]:
    before = Document.from_dict(case["before"]) if case["before"] else None
    earlier = {(e["incident"], e["update"]): set(e["texts"]) for e in case["earlier_texts"]}
    return detect(
        before,
        Document.from_dict(case["after"]),
        previous_seen_at=case["previous_seen_at"],
        earlier_texts=earlier,
    )


def identity(kind, incident, update, field):
    return (kind, incident, update or "", field or "")


def actual_events(case: dict) -> dict[tuple, EditEvent]:
    return {identity(e.kind, e.incident_key, e.update_key, e.field): e for e in run(case)}


def expected_events(case: dict) -> dict[tuple, dict]:
    return {
        identity(e["kind"], e["incident"], e["update"], e["field"]): e for e in case["expected"]
    }


def test_corpus_is_large_and_varied():
    assert len(CASES) >= 60
    formats = Counter(case["after"]["format"] for case in CASES)
    assert {"statuspage", "apple", "gcp", "html"} <= set(formats)
    labelled = Counter(flag for case in CASES for e in case["expected"] for flag in e["flags"])
    assert set(FLAGS) <= set(labelled)
    assert (CORPUS / "README.md").is_file()


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case(case):
    got, want = actual_events(case), expected_events(case)
    assert sorted(got) == sorted(want), case["description"]
    for key, event in got.items():
        expected = want[key]
        assert (event.silent, event.backdated, event.revert) == (
            expected["silent"],
            expected["backdated"],
            expected["revert"],
        ), key
        assert len(event.reasons) == len(event.flags)
        assert event.verdict, key  # every event says why it is silent or not
        if "announced_by" in expected:
            assert event.announced_by == expected["announced_by"], key
        elif not event.silent and event.kind not in ("update_added", "incident_added"):
            assert event.announced_by is None or "announced by" in event.verdict, key
    agree = all(set(got[key].flags) == set(want[key]["flags"]) for key in got)
    if "disagreement" in case:
        assert not agree, f"now agrees with the label; revisit: {case['disagreement']}"
    else:
        assert agree, [(key, got[key].flags, want[key]["flags"]) for key in got]


def test_precision_and_recall_per_flag():
    counts = {flag: Counter() for flag in FLAGS}
    for case in CASES:
        got, want = actual_events(case), expected_events(case)
        for key in set(got) & set(want):
            predicted, labelled = set(got[key].flags), set(want[key]["flags"])
            for flag in predicted & labelled:
                counts[flag]["tp"] += 1
            for flag in predicted - labelled:
                counts[flag]["fp"] += 1
            for flag in labelled - predicted:
                counts[flag]["fn"] += 1
    total = sum(counts.values(), Counter())
    print(f"\n{'flag':<16} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>10} {'recall':>8}")
    for flag, count in [*counts.items(), ("all", total)]:
        print(
            f"{flag:<16} {count['tp']:>4} {count['fp']:>4} {count['fn']:>4} "
            f"{ratio(count['tp'], count['fp']):>10.2f} {ratio(count['tp'], count['fn']):>8.2f}"
        )
    assert ratio(total["tp"], total["fp"]) >= 0.9
    assert ratio(total["tp"], total["fn"]) >= 0.9


def ratio(hits: int, misses: int) -> float:
    return hits / (hits + misses) if hits + misses else 1.0
