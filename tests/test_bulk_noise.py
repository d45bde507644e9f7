"""The noise corpus (tests/fixtures/noise/edits): pairs of real-format pages that differ only in
what is not an edit — a field appearing, lifecycle moves, re-stamps, re-renders, one paragraph
rewritten in many updates. Each pair gives no event, or exactly one `bulk_changed`."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from tracker.edits import detect
from tracker.edits.bulk import BULK_SCORE
from tracker.extract import extract
from tracker.models import Document

NOISE = Path(__file__).parent / "fixtures" / "noise" / "edits"
PAIRS = json.loads((NOISE / "pairs.json").read_text(encoding="utf-8"))


def documents(pair: dict, after: bytes | None = None) -> tuple[Document, Document]:
    def read(body: bytes) -> Document:
        return extract(pair["format"], body, pair["content_type"], {}, pair["url"])

    before = read((NOISE / pair["before"]).read_bytes())
    return before, read(after if after is not None else (NOISE / pair["after"]).read_bytes())


@pytest.mark.parametrize("pair", PAIRS, ids=[p["name"] for p in PAIRS])
def test_noise_pair_gives_no_edit_or_one_bulk_change(pair):
    before, after = documents(pair)
    assert before.hash() != after.hash(), "the pair must differ, or it tests nothing"
    events = detect(before, after, previous_seen_at="2026-01-01T00:00:00Z")
    got = [{"kind": e.kind, "field": e.field, "count": e.count} for e in events]
    assert got == pair["expected"], pair["description"]
    for event in events:
        assert not event.silent and event.score == BULK_SCORE
        assert len(event.keys) == event.count and len(set(event.keys)) == event.count
        assert event.verdict.startswith(f"the same {event.field} change on {event.count} ")


def test_corpus_covers_every_kind_of_noise():
    names = {pair["name"] for pair in PAIRS}
    assert len(names) == len(PAIRS) >= 8
    assert (NOISE / "README.md").is_file()


def test_a_real_edit_next_to_a_restamp_is_still_reported():
    pair = next(p for p in PAIRS if p["name"] == "apple-derived-rss-restamped")
    body = (NOISE / pair["after"]).read_text(encoding="utf-8")
    edited = body.replace("Some users were affected", "A few users were affected", 1)
    before, after = documents(pair, edited.encode())
    events = detect(before, after, previous_seen_at="2025-07-13T21:22:36Z")
    assert sorted((e.kind, e.field) for e in events) == [
        ("bulk_changed", "posted_at"),
        ("update_edited", None),
    ]
    (edit,) = [e for e in events if e.kind == "update_edited"]
    assert edit.silent and "scope_narrowed" in edit.flags and edit.count == 1


def test_identical_rewrites_of_a_few_updates_are_one_event_with_a_count():
    pair = next(p for p in PAIRS if p["name"] == "bitbucket-nine-maintenances-rewritten")
    before, after = documents(pair)
    # Keep two of the nine maintenances: below the bulk threshold, still one event.
    rewritten = [
        i.key for i in after.incidents if "June - August" in " ".join(u.text for u in i.updates)
    ]
    keep = set(rewritten[:2]) | {i.key for i in after.incidents if i.key not in rewritten}
    before = Document(
        before.format,
        tuple(i for i in before.incidents if i.key in keep),
        before.coverage,
        before.page,
    )
    after = Document(
        after.format, tuple(i for i in after.incidents if i.key in keep), after.coverage, after.page
    )
    events = detect(before, after, previous_seen_at="2021-06-10T05:00:28Z")
    (edit,) = [e for e in events if e.kind in ("update_edited", "bulk_changed")]
    assert edit.kind == "update_edited" and edit.count == 2 and len(edit.keys) == 2
    assert edit.silent and edit.verdict.endswith("(the same rewrite on 2 updates)")


def test_a_status_read_off_a_new_update_is_announced_not_an_edit():
    pair = {
        "format": "html",
        "content_type": "text/html; charset=utf-8",
        "url": "https://status.acme.example/history",
        "before": "html-postmortem-update.before.html",
        "after": "html-postmortem-update.after.html",
    }
    before, after = documents(pair)
    assert before.incidents[0].status == "resolved" and after.incidents[0].status == "update"
    events = detect(before, after, previous_seen_at="2026-12-02T09:00:00Z")
    assert [(e.kind, e.field) for e in events] == [("update_added", None)]
    # The same status move with no update to tell readers is still reported.
    quiet = after.incidents[0]
    rewritten = replace(
        before, incidents=(replace(before.incidents[0], status="update"),) + before.incidents[1:]
    )
    events = detect(before, rewritten, previous_seen_at="2026-12-02T09:00:00Z")
    assert [(e.kind, e.field, e.old, e.new) for e in events] == [
        ("incident_changed", "status", "resolved", "update")
    ]
    assert events[0].silent and quiet.key == events[0].incident_key
