"""Flags, reasons and scores for single edits, on wording taken from real status updates."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tracker.edits import terms
from tracker.edits.classify import FLAGS, classify
from tracker.edits.worddiff import word_diff
from tracker.models import EditEvent


def edited(old: str, new: str, **values) -> EditEvent:
    return EditEvent(
        kind="update_edited", incident_key="i", update_key="u", old=old, new=new, **values
    )


def flags_of(old: str, new: str) -> set[str]:
    return set(classify(edited(old, new), word_diff(old, new)).flags)


def test_flag_names_are_the_published_set():
    assert FLAGS == (
        "quantity_vagued",
        "number_changed",
        "severity_down",
        "severity_up",
        "scope_narrowed",
        "scope_widened",
        "hedge_added",
        "time_changed",
        "cause_changed",
        "text_removed",
        "text_added",
        "cosmetic",
    )


def test_apple_2013_rewrite():
    old = "Users experienced a problem with this service.\n30 percent of users were affected"
    new = "Users experienced a problem with this service.\nsome users were affected"
    found = classify(edited(old, new, silent=True), word_diff(old, new))
    assert found.flags == ("quantity_vagued",)
    assert found.reasons == ('quantity_vagued: "30 percent of users" became "some users"',)
    assert found.score == (50 + 30) * 2


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # amounts
        ("30% of users were affected", "some users were affected", {"quantity_vagued"}),
        ("affected 30% of customers", "affected customers", {"quantity_vagued"}),
        (
            "unable to sign in for 2 hours.",
            "unable to sign in for a brief period.",
            {"quantity_vagued"},
        ),
        ("about 30% of requests", "about 35% of requests", {"number_changed"}),
        ("affected 4 regions", "affected 2 regions", {"number_changed"}),
        ("three zones", "two zones", {"number_changed"}),
        ("About 1,200 developers", "About 1200 developers", {"cosmetic"}),
        # times
        ("an update by 13:30 PDT.", "an update by 14:30 PDT.", {"time_changed"}),
        ("Between 6:35 AM and 11:00 AM", "Between 8:35 AM and 11:00 AM", {"time_changed"}),
        ("delays of 2 hours", "delays of 3 hours", {"time_changed"}),
        ("as of 2020-11-05 13:11", "as of 2020-11-04 13:11", {"time_changed"}),
        # severity
        (
            "We are experiencing a major outage.",
            "We are experiencing degraded performance.",
            {"severity_down"},
        ),
        (
            "We are investigating a minor issue.",
            "We are investigating a partial outage.",
            {"severity_up"},
        ),
        (
            "The API is down.",
            "The API may be experiencing issues.",
            {"severity_down", "hedge_added"},
        ),
        # scope
        ("All users were affected", "Some users were affected", {"scope_narrowed"}),
        ("Some users were affected", "All users were affected", {"scope_widened"}),
        ("Users were affected", "A small number of users were affected", {"scope_narrowed"}),
        ("in the us-west1 and us-east4 regions.", "in the us-west1 region.", {"scope_narrowed"}),
        (
            "in North American locations.",
            "in North American and European locations.",
            {"scope_widened"},
        ),
        ("it can take a few hours", "it can take up to 2 hours", {"time_changed"}),
        # hedges
        (
            "Webhooks is experiencing delays.",
            "Webhooks may be experiencing delays.",
            {"hedge_added"},
        ),
        ("Some users may see errors.", "All users may see errors.", {"scope_widened"}),
        ("Customers may be unable to log in.", "Customers are unable to log in.", set()),
        ("Users cannot sign in.", "Users could not sign in.", set()),
        ("A fix is coming.", "A fix is coming as soon as possible.", {"text_added"}),
        # causes
        (
            "It was caused by a configuration change to our load balancers.",
            "It was caused by an issue with an upstream provider.",
            {"cause_changed"},
        ),
        (
            "It was due to a power outage at our provider.",
            "It was due to a network issue at our provider.",
            {"cause_changed"},
        ),
        # sentences and clauses
        (
            "Resolved. If you have any questions, please reach us at support@airbrake.io.",
            "Resolved.",
            {"text_removed"},
        ),
        (
            "We are investigating.",
            "We are investigating. The delay was caused by a failed database migration.",
            {"cause_changed", "text_added"},
        ),
        (
            "Observing 403 errors and increased congestion.",
            "Observing increased congestion.",
            {"text_removed"},
        ),
        # cosmetic
        ("a problem with this servcie.", "a problem with this service.", {"cosmetic"}),
        ("we are investigating", "We are investigating.", {"cosmetic"}),
        ("error rates increase", "error rates decrease", set()),
        ("resolved now", "resolved not", set()),
        # real Bitbucket rewrites
        (
            "Bitbucket Cloud is going to conduct an emergency maintenance that will impact access.",
            "Bitbucket Cloud is going to conduct a database maintenance that will impact access.",
            {"severity_down"},
        ),
        (
            "This scheduled maintenance will be ongoing through the end of February 2024.",
            "This scheduled maintenance will be ongoing through the end of March 2024.",
            {"time_changed"},
        ),
        (
            "As a result, the service is currently experiencing degradation.",
            "As a result, the service is currently experiencing major degradation.",
            {"severity_up"},
        ),
        # a conjunct in prose is not read as a list of what is affected
        ("We are investigating.", "We are investigating and monitoring.", set()),
    ],
)
def test_wording_rules(old, new, expected):
    assert flags_of(old, new) == expected


def test_numbers_and_typo_in_one_edit_report_only_the_number():
    old = "About 20% of runners are experiencing longer run tiems."
    new = "About 10% of runners are experiencing longer run times."
    assert flags_of(old, new) == {"number_changed"}


def test_every_reason_names_its_flag_and_the_words():
    old = "All customers are unable to access the dashboard."
    new = "A small number of customers may be unable to access the dashboard."
    found = classify(edited(old, new), word_diff(old, new))
    assert found.flags == ("scope_narrowed", "hedge_added")
    assert len(found.reasons) == len(found.flags)
    for flag, reason in zip(found.flags, found.reasons, strict=True):
        assert reason.startswith(f"{flag}: ")
        assert '"All customers are unable"' in reason
        assert '"A small number of customers may be unable"' in reason


def test_repeated_flag_reason_counts_the_other_places():
    old = "30% of users in the API and 40% of users in the dashboard"
    new = "some users in the API and some users in the dashboard"
    found = classify(edited(old, new), word_diff(old, new))
    assert found.flags == ("quantity_vagued",)
    assert found.reasons[0].endswith("(and 1 more)")


def test_removed_sentence_reason_quotes_it():
    old = "Resolved. We apologize for any inconvenience."
    found = classify(edited(old, "Resolved."), word_diff(old, "Resolved."))
    assert found.reasons == ('text_removed: "We apologize for any inconvenience." removed',)


@pytest.mark.parametrize(
    ("field", "old", "new", "expected"),
    [
        ("impact", "major", "minor", ("severity_down",)),
        ("impact", "none", "critical", ("severity_up",)),
        ("impact", "Outage", "Issue", ("severity_down",)),
        ("impact", "SERVICE_OUTAGE", "SERVICE_DISRUPTION", ("severity_down",)),
        ("status", "major_outage", "degraded_performance", ("severity_down",)),
        ("status", "investigating", "resolved", ()),
        ("impact", "major", "Issue", ()),
    ],
)
def test_label_ladders(field, old, new, expected):
    event = EditEvent(kind="incident_changed", incident_key="i", field=field, old=old, new=new)
    found = classify(event, word_diff(old, new))
    assert found.flags == expected
    if expected:
        assert found.reasons == (f'{expected[0]}: {field} "{old}" became "{new}"',)


def test_update_status_label_uses_the_ladder():
    event = edited("SERVICE_OUTAGE", "SERVICE_DISRUPTION", field="status")
    assert classify(event, word_diff(event.old, event.new)).flags == ("severity_down",)


def test_components_dropped_and_added():
    event = EditEvent(
        kind="incident_changed",
        incident_key="i",
        field="components",
        old="Web App, Notifications",
        new="Web App, API",
    )
    found = classify(event, word_diff(event.old, event.new))
    assert found.flags == ("scope_narrowed", "scope_widened")
    assert found.reasons == (
        'scope_narrowed: components dropped: "Notifications"',
        'scope_widened: components added: "API"',
    )


def test_title_change_reads_the_words():
    event = EditEvent(
        kind="incident_changed",
        incident_key="i",
        field="title",
        old="Close button not appearing for some users",
        new="Close button not appearing for a small number of users",
    )
    found = classify(event, word_diff(event.old, event.new))
    assert found.flags == ("scope_narrowed",)
    assert found.score == 30 + 20


def title_flags(old: str, new: str) -> tuple[str, ...]:
    event = EditEvent(kind="incident_changed", incident_key="i", field="title", old=old, new=new)
    return classify(event, word_diff(old, new)).flags


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "Delays in pull request creation",
            "Delays and errors in pull request creation",
            ("scope_widened",),
        ),
        (
            "SSH and Git commands impaired",
            "SSH and HTTPS Git commands impaired",
            ("scope_widened",),
        ),
        (
            "Performance degradation with Git performance",
            "Performance degradation with Git, website, and API services",
            ("scope_widened",),
        ),
        (
            "Incident with Actions and Git Operations",
            "Incident with Actions",
            ("scope_narrowed", "text_removed"),
        ),
        (
            "Delays and errors in pull request creation",
            "Delays in pull request creation",
            ("scope_narrowed",),
        ),
        (
            "Bitbucket Cloud is hard down",
            "Bitbucket Cloud service has been restored.",
            ("severity_down",),
        ),
        # not a list: a cause named, a word replaced
        (
            "Pipelines slow to start due to slow Docker image pulls",
            "Pipelines slow to start due to slow Docker image pulls from GCR",
            ("cause_changed",),
        ),
        ("Bitbucket performance degraded", "Bitbucket availability degraded", ()),
    ],
)
def test_title_lists_of_what_is_affected(old, new, expected):
    assert title_flags(old, new) == expected


def test_a_time_moved_by_seconds_is_a_restamp():
    event = EditEvent(
        kind="incident_changed",
        incident_key="i",
        field="started_at",
        old="2021-06-10T04:46:53Z",
        new="2021-06-10T04:46:54Z",
    )
    found = classify(event, ())
    assert found.flags == ("cosmetic",)
    assert found.reasons == (
        'cosmetic: started_at "2021-06-10T04:46:53Z" became "2021-06-10T04:46:54Z" '
        "(moved by 1 second)",
    )
    later = replace(event, new="2021-06-10T04:47:53Z")
    assert classify(later, ()).flags == ("time_changed",)


def test_posted_time_rewritten():
    event = edited("2023-01-10T18:14:45Z", "2023-01-10T17:54:45Z", field="posted_at")
    found = classify(event, word_diff(event.old, event.new))
    assert found.flags == ("time_changed",)
    assert found.reasons == (
        'time_changed: posted time "2023-01-10T18:14:45Z" became "2023-01-10T17:54:45Z"',
    )


def test_removals_and_additions():
    removed = EditEvent(
        kind="update_removed", incident_key="i", update_key="u", old="We are investigating."
    )
    found = classify(removed, ())
    assert found.flags == ("text_removed",)
    assert found.reasons == ('text_removed: update "We are investigating." deleted',)
    assert found.score == 45 + 10
    gone = EditEvent(kind="incident_removed", incident_key="i", incident_title="Delayed emails")
    assert classify(gone, ()).reasons == ('text_removed: incident "Delayed emails" deleted',)
    added = EditEvent(kind="update_added", incident_key="i", update_key="u", new="Fixed.")
    assert classify(added, ()) == classify(added, ())
    assert classify(added, ()).flags == ()
    assert classify(added, ()).score == 1
    assert classify(replace(added, backdated=True), ()).score == 21


def scored(old: str, new: str, **values) -> float:
    return classify(edited(old, new, **values), word_diff(old, new)).score


def test_scores_rank_silent_meaning_changes_first_and_cosmetic_last():
    vagued = scored("30% of users", "some users", silent=True)
    announced = scored("30% of users", "some users")
    reworded = scored("We are looking into it.", "Our team is looking into it.", silent=True)
    removed = classify(
        EditEvent(kind="update_removed", incident_key="i", old="We are investigating."), ()
    ).score
    cosmetic = scored("this servcie", "this service", silent=True)
    added = classify(EditEvent(kind="update_added", incident_key="i"), ()).score
    assert vagued > announced > removed > added
    assert vagued > reworded > cosmetic
    assert cosmetic <= 1


def test_flicker_divides_and_revert_keeps_the_score():
    base = scored("30% of users", "some users", silent=True)
    assert scored("30% of users", "some users", silent=True, flicker=True) == base / 10
    assert scored("30% of users", "some users", silent=True, revert=True) == base


def test_identical_normalised_texts_are_cosmetic():
    found = classify(
        edited("It&#39;s fixed", "It's fixed"), word_diff("It&#39;s fixed", "It's fixed")
    )
    assert found.flags == ("cosmetic",)
    assert found.score <= 1


# -- the term finders the rules read (tracker.edits.terms) -----------------------------------------


@pytest.mark.parametrize(
    ("extract", "text", "expected"),
    [
        # Clock times and status codes are not amounts; spelled-out numbers are.
        (
            terms.numbers,
            "About 1,200 users (thirty percent) saw HTTP 503 errors at 14:45 UTC.",
            ["1200", "30"],
        ),
        (terms.times, "errors at 14:45 UTC for 2 hours.", ["14:45 utc", "2 hours"]),
        (terms.durations, "errors at 14:45 UTC for 2 hours.", ["2 hours"]),
        (terms.vague, "some users were affected", ["some"]),
        (terms.scope, "a few users were affected", ["a few"]),
        (terms.scope, "it can take a few hours", []),
        (terms.hedges, "Some users may be experiencing issues", ["may"]),
        (terms.severity, "We are experiencing a major outage.", ["major outage"]),
        (terms.causes, "It was caused by a configuration error.", ["caused by"]),
        (terms.locations, "Customers in Europe saw errors.", ["europe"]),
        (terms.locations, "Let us know.", []),
    ],
)
def test_term_finders(extract, text, expected):
    assert extract(text, 0, len(text)) == expected


@pytest.mark.parametrize(
    ("token", "value"), [("30%", "30"), ("1,200", "1200"), ("three", "3"), ("3.50", "3.5")]
)
def test_amounts_are_compared_by_value(token, value):
    assert terms.number_value(token) == value


def test_terms_count_only_where_they_overlap_the_change():
    text = "30% of users in Europe"
    assert terms.numbers(text, 1, 1) == ["30"]  # an insertion inside the number
    assert terms.numbers(text, 4, 6) == []
    assert terms.locations(text, 0, 3) == []
    assert terms.locations(text, 16, 22) == ["europe"]


def test_a_change_reports_terms_found_on_one_side_only():
    change = terms.Change(
        ("30% of users were affected", 0, 12), ("some users were affected", 0, 10)
    )
    assert change.diff(terms.numbers) == (["30"], [])
    assert change.diff(terms.vague) == ([], ["some"])
    assert change.diff(terms.severity) == ([], [])
