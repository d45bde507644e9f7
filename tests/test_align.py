"""Aligning two versions of a page: which events, and when they are silent, backdated, reverts."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.edits import detect
from tracker.edits.align import align
from tracker.edits.worddiff import render_text
from tracker.models import (
    COVERAGE_FULL,
    COVERAGE_OPEN,
    COVERAGE_WINDOW,
    Document,
    Incident,
    Update,
)

FIRST = "We are investigating a delay in error processing."
SECOND = "We have identified the issue and are working to process the backlog of notifications."


def update(key, text, posted, status="investigating", **meta) -> Update:
    return Update(key=key, posted_at=posted, status=status, fields={"body": text}, meta=meta)


def incident(key, *updates, created=None, title="Delay in error processing", **values) -> Incident:
    return Incident(
        key=key,
        title=title,
        created_at=created or (updates[-1].posted_at if updates else None),
        updates=tuple(updates),
        **values,
    )


def doc(*incidents, coverage=COVERAGE_WINDOW) -> Document:
    return Document(format="statuspage", incidents=tuple(incidents), coverage=coverage)


def airbrake(first=FIRST, *more: Update, **values) -> Incident:
    return incident(
        "645jyxdr7qmx", *more, update("q3tvllql8qyg", first, "2023-03-15T14:53:20Z"), **values
    )


def older() -> Incident:
    return incident(
        "npcd6t7j0c2r",
        update("dzcyzvlbzsys", "This incident has been resolved.", "2022-08-24T19:25:30Z"),
        title="Increased queue size",
    )


def kinds(events):
    return [(e.kind, e.incident_key, e.update_key, e.field) for e in events]


# -- the Apple seed case ---------------------------------------------------------------------


def apple(users: str) -> Document:
    event = Update(
        key="X",
        posted_at="07/22/2013 10:00 PDT",
        status="resolved",
        fields={
            "message": "Users may have experienced issues with iMessage.",
            "usersAffected": users,
        },
    )
    return Document(
        format="apple",
        coverage=COVERAGE_WINDOW,
        incidents=(Incident(key="X", title="iMessage", impact="Outage", updates=(event,)),),
    )


def test_apple_2013_rewrite_is_one_silent_vagued_edit():
    before, after = apple("30 percent of users were affected"), apple("some users were affected")
    (event,) = detect(before, after, previous_seen_at="2013-07-22T19:00:00Z")
    assert (event.kind, event.incident_key, event.update_key) == ("update_edited", "X", "X")
    assert event.silent and not event.backdated and not event.revert
    assert "quantity_vagued" in event.flags
    assert render_text(event.diff).endswith("[-30 percent of-]{+some+} users were affected")
    assert event.old.endswith("30 percent of users were affected")
    assert event.score > 100


# -- nothing to report -----------------------------------------------------------------------


def test_a_document_against_itself_gives_nothing():
    page = doc(airbrake(FIRST, update("yhghwvmhx9d3", SECOND, "2023-03-15T16:38:46Z")), older())
    assert align(page, page) == []


def test_reordered_incidents_and_updates_give_nothing():
    a = update("a", FIRST, "2023-03-15T14:53:20Z")
    b = update("b", SECOND, "2023-03-15T16:38:46Z")
    before = doc(incident("i", b, a), older())
    after = doc(older(), incident("i", a, b))
    assert align(before, after) == []


def test_reordered_components_give_nothing():
    before = doc(airbrake(components=("Web App", "Notifications")))
    after = doc(airbrake(components=("Notifications", "Web App")))
    assert align(before, after) == []


# -- first version ---------------------------------------------------------------------------


def test_first_version_adds_everything_and_backdates_nothing():
    page = doc(airbrake(FIRST, update("yhghwvmhx9d3", SECOND, "2023-03-15T16:38:46Z")))
    events = align(None, page, previous_seen_at="2024-01-01T00:00:00Z")
    assert kinds(events) == [
        ("incident_added", "645jyxdr7qmx", None, None),
        ("update_added", "645jyxdr7qmx", "yhghwvmhx9d3", None),
        ("update_added", "645jyxdr7qmx", "q3tvllql8qyg", None),
    ]
    assert not any(e.backdated or e.silent for e in events)
    assert events[1].new == SECOND


# -- incidents leaving -----------------------------------------------------------------------


def newer() -> Incident:
    return incident(
        "tq0bf2vx8f3k", update("7w1xk9l3m2qp", "Investigating.", "2023-04-12T17:02:11Z")
    )


def test_window_fall_off_is_not_a_deletion():
    before = doc(airbrake(), older())
    after = doc(newer(), airbrake())
    assert kinds(align(before, after)) == [
        ("incident_added", "tq0bf2vx8f3k", None, None),
        ("update_added", "tq0bf2vx8f3k", "7w1xk9l3m2qp", None),
    ]


def test_window_deletion_inside_the_window():
    before = doc(airbrake(), older())
    (event,) = align(before, doc(older()))
    assert (event.kind, event.incident_key, event.old) == (
        "incident_removed",
        "645jyxdr7qmx",
        "Delay in error processing",
    )


def test_window_without_times_decides_by_position():
    def bare(key):
        return Incident(key=key, title=key, updates=(Update(key=key, fields={"b": key}),))

    before = doc(bare("c"), bare("b"), bare("a"))
    assert kinds(align(before, doc(bare("c"), bare("a")))) == [
        ("incident_removed", "b", None, None)
    ]
    assert align(before, doc(bare("c"), bare("b"))) == []


def test_open_coverage_leaving_means_resolved():
    before = doc(airbrake(), coverage=COVERAGE_OPEN)
    assert align(before, doc(coverage=COVERAGE_OPEN)) == []


def test_full_coverage_leaving_means_deleted():
    before = doc(airbrake(), older(), coverage=COVERAGE_FULL)
    after = doc(airbrake(), coverage=COVERAGE_FULL)
    assert kinds(align(before, after)) == [("incident_removed", "npcd6t7j0c2r", None, None)]


def test_incident_sliding_back_into_a_window_is_not_backdated():
    before = doc(newer(), airbrake())
    after = doc(airbrake(), older())
    events = align(before, after, previous_seen_at="2023-04-13T08:00:00Z")
    assert ("incident_added", "npcd6t7j0c2r", None, None) in kinds(events)
    assert not any(e.backdated for e in events)


# -- incident fields -------------------------------------------------------------------------


def test_incident_fields_changed():
    before = doc(airbrake(impact="major", status="resolved", components=("Web App", "API")))
    after = doc(
        replace(
            airbrake(impact="minor", status="identified", components=("Web App",)),
            title="Delayed notifications",
        )
    )
    events = align(before, after)
    assert [(e.field, e.old, e.new) for e in events] == [
        ("title", "Delay in error processing", "Delayed notifications"),
        ("impact", "major", "minor"),
        ("status", "resolved", "identified"),
        ("components", "Web App, API", "Web App"),
    ]
    assert all(e.kind == "incident_changed" for e in events)


def test_lifecycle_moves_and_fields_filled_in_are_not_edits():
    # Resolving, a maintenance starting, AWS archiving an event, a field appearing.
    for old, new in [
        ("identified", "resolved"),
        ("scheduled", "in_progress"),
        ("current", "archive"),
    ]:
        assert align(doc(airbrake(status=old)), doc(airbrake(status=new))) == []
    assert align(doc(airbrake(impact=None)), doc(airbrake(impact="minor"))) == []
    bare = doc(incident("i", update("u", FIRST, "2023-03-15T14:53:20Z", status=None)))
    labelled = doc(incident("i", update("u", FIRST, "2023-03-15T14:53:20Z")))
    assert align(bare, labelled) == []


# -- updates ---------------------------------------------------------------------------------


def test_update_removed_inside_a_present_incident():
    before = doc(airbrake(FIRST, update("yhghwvmhx9d3", SECOND, "2023-03-15T16:38:46Z")))
    (event,) = align(before, doc(airbrake()))
    assert (event.kind, event.update_key, event.old) == ("update_removed", "yhghwvmhx9d3", SECOND)


def test_status_label_and_displayed_time_changes():
    before = doc(incident("i", update("u", FIRST, "2023-03-15T14:53:20Z")))
    after = doc(incident("i", update("u", FIRST, "2023-03-15T14:33:20Z", status="monitoring")))
    events = align(before, after)
    assert [(e.kind, e.field, e.old, e.new) for e in events] == [
        ("update_edited", "posted_at", "2023-03-15T14:53:20Z", "2023-03-15T14:33:20Z"),
    ]
    wrong_label = doc(incident("i", update("u", FIRST, "2023-03-15T14:53:20Z", status="bogus")))
    assert [(e.field, e.new) for e in align(before, wrong_label)] == [("status", "bogus")]


def test_same_instant_in_another_notation_is_not_a_time_change():
    before = doc(incident("i", update("u", FIRST, "2023-03-15T07:53:20-07:00")))
    after = doc(incident("i", update("u", FIRST, "2023-03-15T14:53:20Z")))
    assert align(before, after) == []


def test_whitespace_and_entities_are_not_edits():
    before = doc(airbrake("We&#39;re investigating  a delay."))
    after = doc(airbrake("We\u2019re investigating a delay.\n"))
    assert align(before, after) == []


# -- silent ----------------------------------------------------------------------------------


def test_rewrite_without_any_sign_is_silent():
    before = doc(airbrake(FIRST))
    after = doc(airbrake(FIRST.replace("a delay", "a short delay")))
    (event,) = detect(before, after, previous_seen_at="2023-03-15T22:00:00Z")
    assert event.silent and event.announced_by is None
    assert event.verdict == "no update was posted since 15 Mar 2023, 22:00 UTC"
    (event,) = detect(
        before, after, previous_seen_at="2023-03-15T22:00:00Z", seen_at="2023-03-15T22:20:00Z"
    )
    assert event.verdict == "no update was posted between 22:00 and 22:20 UTC on 15 Mar 2023"


def test_rewrite_posted_with_an_unrelated_update_is_silent():
    before = doc(airbrake(FIRST))
    after = doc(airbrake("We are investigating.", update("n", SECOND, "2023-03-15T16:38:46Z")))
    edited = [e for e in detect(before, after) if e.kind == "update_edited"]
    assert len(edited) == 1 and edited[0].silent
    assert (
        "mentions it" in edited[0].verdict and "We have identified the issue" in edited[0].verdict
    )


def test_rewrite_repeated_by_a_new_update_is_announced():
    before = doc(airbrake(FIRST))
    note = update("n", "About 40% of notifications are delayed by 2 hours.", "2023-03-15T16:38:46Z")
    after = doc(airbrake(FIRST.replace("a delay", "a 2 hour delay"), note))
    (edited,) = [e for e in detect(before, after) if e.kind == "update_edited"]
    assert not edited.silent
    assert edited.announced_by == 'n: "About 40% of notifications are delayed by 2…"'
    assert edited.verdict.startswith("announced by update n") and '"2"' in edited.verdict


def test_rewrite_with_a_moved_display_time_is_still_silent():
    # A new displayed time is no sign of an edit to someone who never saw the old one.
    before = doc(incident("i", update("u", FIRST, "2023-03-15T14:53:20Z")))
    after = doc(incident("i", update("u", "Investigating.", "2023-03-15T15:53:20Z")))
    wording = [e for e in detect(before, after) if e.field is None]
    assert len(wording) == 1 and wording[0].silent


def statuspage(text, updated, *more):
    first = update(
        "2d6kt8hbd4p4",
        text,
        "2022-03-24T14:43:35.000Z",
        created_at="2022-03-24T14:43:35.388Z",
        updated_at=updated,
        display_at="2022-03-24T14:43:35.000Z",
    )
    return doc(incident("y5hdmv0p49x3", *more, first), coverage=COVERAGE_OPEN)


SECOND_GH = update(
    "rv4q1qv3dmyj",
    "Webhooks is experiencing degraded performance.",
    "2022-03-24T15:10:26.626Z",
    created_at="2022-03-24T15:10:26.626Z",
    updated_at="2022-03-24T15:10:26.626Z",
)


def test_rewrite_after_an_unrelated_new_update_is_silent():
    before = statuspage("Delays of up to 30 minutes in Actions.", "2022-03-24T14:43:35.388Z")
    for stamp in ("2022-03-24T15:20:07.634Z", "2022-03-24T15:11:00.000Z"):
        after = statuspage("Delays in Actions.", stamp, SECOND_GH)
        edited = [e for e in detect(before, after) if e.kind == "update_edited"]
        assert len(edited) == 1 and edited[0].silent, stamp


def test_correction_while_publishing_is_not_silent():
    before = statuspage("Delasy in Actions.", "2022-03-24T14:43:35.388Z")
    after = statuspage("Delays in Actions.", "2022-03-24T14:44:10.000Z")
    (event,) = detect(before, after)
    assert not event.silent and event.announced_by is None
    assert event.verdict.startswith("corrected 34 s after posting")
    late = statuspage("Delays in Actions.", "2022-03-24T14:47:10.000Z")
    assert detect(before, late)[0].silent


def test_gcp_modified_stamp_bumped_by_a_new_update_is_silent_unless_it_tells():
    def gcp(text, modified, *more):
        own = update(
            "19:21",
            text,
            "2026-08-20T19:21:07+00:00",
            created="2026-08-20T19:21:07+00:00",
            modified=modified,
        )
        return doc(incident("utF3", *more, own))

    new = update(
        "19:37", "Mitigated.", "2026-08-20T19:37:40+00:00", created="2026-08-20T19:37:40+00:00"
    )
    before = gcp("Update by 13:30 PDT.", "2026-08-20T19:21:07+00:00")
    after = gcp("Update by 14:00 PDT.", "2026-08-20T19:37:40+00:00", new)
    edited = [e for e in detect(before, after) if e.kind == "update_edited"]
    assert len(edited) == 1 and edited[0].silent  # "Mitigated." says nothing of 14:00
    told = gcp(
        "Update by 14:00 PDT.",
        "2026-08-20T19:37:40+00:00",
        replace(new, fields={"body": "Mitigated. Next update by 14:00 PDT."}),
    )
    edited = [e for e in detect(before, told) if e.kind == "update_edited"]
    assert len(edited) == 1 and not edited[0].silent and edited[0].announced_by
    alone = gcp("Update by 14:00 PDT.", "2026-08-20T19:30:00+00:00")
    assert detect(before, alone)[0].silent


# -- backdated -------------------------------------------------------------------------------


def test_update_displayed_before_the_last_observation_is_backdated():
    before = doc(airbrake())
    after = doc(airbrake(FIRST, update("n", SECOND, "2023-03-15T16:38:46Z")))
    (late,) = align(before, after, previous_seen_at="2023-03-15T22:40:00Z")
    assert late.kind == "update_added" and late.backdated
    (ok,) = align(before, after, previous_seen_at="2023-03-15T16:42:00Z")
    assert not ok.backdated
    (unknown,) = align(before, after)
    assert not unknown.backdated


def test_update_already_in_the_history_is_not_backdated():
    before = doc(airbrake())
    after = doc(airbrake(FIRST, update("n", SECOND, "2023-03-15T16:38:46Z")))
    history = {("645jyxdr7qmx", "n"): {SECOND}}
    (event,) = align(before, after, previous_seen_at="2023-03-15T22:40:00Z", earlier_texts=history)
    assert not event.backdated


# -- revert ----------------------------------------------------------------------------------


def test_return_to_an_earlier_wording_is_a_revert():
    history = {("645jyxdr7qmx", "q3tvllql8qyg"): {"We&#39;re investigating.", "We are on it."}}
    before = doc(airbrake("We are on it."))
    (event,) = detect(before, doc(airbrake("We\u2019re investigating.")), earlier_texts=history)
    assert event.revert and event.silent
    (fresh,) = align(before, doc(airbrake("Something new.")), earlier_texts=history)
    assert not fresh.revert


# -- keyless pages ---------------------------------------------------------------------------


def keyless(*texts: str) -> Document:
    updates = [
        update(f"h-{abs(hash(text)) % 10**8}", text, f"Jan 12, 1{n}:00 CET", status="Update")
        for n, text in enumerate(texts)
    ]
    return doc(incident("ft95n6s9rswf", *updates, created=None), coverage=COVERAGE_FULL)


MONITORING = "Facebook has pushed a fix and we are seeing a dramatic improvement."


def test_keyless_rewrite_is_one_edit():
    before = keyless(MONITORING, "We are continuing to investigate this issue.")
    after = keyless(
        MONITORING.replace("a dramatic", "some"), "We are continuing to investigate this issue."
    )
    (event,) = align(before, after)
    assert event.kind == "update_edited"
    assert event.update_key == after.incidents[0].updates[0].key
    assert event.old == MONITORING


def test_keyless_text_beyond_recognition_is_removed_and_added():
    before = keyless(MONITORING)
    after = keyless("Posting works again.")
    assert [e.kind for e in align(before, after)] == ["update_added", "update_removed"]


def test_repeated_keys_pair_in_order():
    a = update("same", FIRST, "2023-03-15T14:53:20Z")
    b = update("same", SECOND, "2023-03-15T14:53:20Z")
    assert align(doc(incident("i", a, b)), doc(incident("i", a, b))) == []


# -- properties ------------------------------------------------------------------------------

_TEXT = st.sampled_from(
    [FIRST, SECOND, "Resolved.", "", "30 percent of users were affected", "We&#39;re on it."]
)
_TIME = st.sampled_from(
    [None, "2023-03-15T14:53:20Z", "2023-03-15T07:53:20-07:00", "02/15/2020 01:00 PST", "Jan 12"]
)
_UPDATES = st.lists(
    st.builds(
        update,
        key=st.text("abc", min_size=1, max_size=2),
        text=_TEXT,
        posted=_TIME,
        status=st.sampled_from([None, "investigating", "resolved"]),
    ),
    max_size=4,
)
_INCIDENTS = st.lists(
    st.builds(
        lambda key, updates, impact, created: Incident(
            key=key, title=key, impact=impact, created_at=created, updates=tuple(updates)
        ),
        key=st.text("xyz", min_size=1, max_size=2),
        updates=_UPDATES,
        impact=st.sampled_from([None, "minor", "major"]),
        created=_TIME,
    ),
    max_size=4,
)
_DOCS = st.builds(
    lambda incidents, coverage: Document(
        format="statuspage", incidents=tuple(incidents), coverage=coverage
    ),
    _INCIDENTS,
    st.sampled_from([COVERAGE_FULL, COVERAGE_WINDOW, COVERAGE_OPEN]),
)


@settings(max_examples=200, deadline=None)
@given(_DOCS, st.randoms(use_true_random=False))
def test_any_document_aligned_with_itself_or_reordered_gives_nothing(page, rng: random.Random):
    assert align(page, page, previous_seen_at="2030-01-01T00:00:00Z") == []
    incidents = [
        replace(i, updates=tuple(rng.sample(i.updates, len(i.updates)))) for i in page.incidents
    ]
    shuffled = replace(page, incidents=tuple(rng.sample(incidents, len(incidents))))
    assert detect(page, shuffled) == []
