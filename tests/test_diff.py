"""Word diff: tokens, diffs of real update wording, and the properties every diff must keep."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker import diff as diff_module
from tracker.diff import render_text, tokenize, word_diff
from tracker.models import DELETE, EQUAL, INSERT
from tracker.text import normalize

GCP_TEXT = (
    "We have mitigated the issue impacting multiple products in our us-west1 region as of "
    "Thursday, 2026-08-20 10:22 PDT.\nOur engineering teams have restored capacity."
)


def rebuild(diff, keep):
    return "".join(text for op, text in diff if op in (EQUAL, keep))


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("about 30% of users", "30%"),
        ("as of 14:45 UTC", "14:45"),
        ("1,200 developers", "1,200"),
        ("up 3.5 times", "3.5"),
        ("users couldn't sign in", "couldn't"),
        ("in the us-west1 region", "us-west1"),
        ("zones use1-az2 and use1-az6", "use1-az2"),
        ("on 2026-08-20 at", "2026-08-20"),
        ("status SERVICE_OUTAGE now", "SERVICE_OUTAGE"),
    ],
)
def test_tokenize_keeps_numbers_and_compounds_whole(text, token):
    assert token in tokenize(text)


def test_tokenize_splits_punctuation_and_whitespace():
    assert tokenize("Resolved.  Thanks, all!\n") == [
        "Resolved",
        ".",
        "  ",
        "Thanks",
        ",",
        " ",
        "all",
        "!",
        "\n",
    ]


def test_tokenize_is_lossless():
    assert "".join(tokenize(GCP_TEXT)) == GCP_TEXT


def test_apple_2013_rewrite_is_one_phrase_replaced():
    diff = word_diff("30 percent of users were affected", "some users were affected")
    assert diff == (
        (DELETE, "30 percent of"),
        (INSERT, "some"),
        (EQUAL, " users were affected"),
    )
    assert render_text(diff) == "[-30 percent of-]{+some+} users were affected"


def test_semantic_cleanup_keeps_phrases_whole():
    diff = word_diff(
        "We are experiencing a major outage.", "We are experiencing degraded performance."
    )
    assert render_text(diff) == ("We are experiencing [-a major outage-]{+degraded performance+}.")


def test_number_change_never_splits_the_number():
    diff = word_diff("about 30% of requests", "about 35% of requests")
    assert render_text(diff) == "about [-30%-]{+35%+} of requests"


def test_time_change_in_gcp_update():
    diff = word_diff(GCP_TEXT, GCP_TEXT.replace("10:22 PDT", "11:40 PDT"))
    assert (DELETE, "10:22") in diff
    assert (INSERT, "11:40") in diff


def test_entities_quotes_and_spacing_vanish():
    old = "We&#39;re investigating  elevated errors\u200b affecting ChatGPT."
    new = "We\u2019re investigating elevated errors affecting ChatGPT."
    assert word_diff(old, new) == ((EQUAL, normalize(new)),)


def test_identical_and_empty_texts():
    assert word_diff("", "") == ()
    assert word_diff("Resolved.", "Resolved.") == ((EQUAL, "Resolved."),)
    assert word_diff("", "Resolved.") == ((INSERT, "Resolved."),)
    assert word_diff("Resolved.", "") == ((DELETE, "Resolved."),)


def test_adjacent_runs_are_merged():
    diff = word_diff("a b c d e f", "u v w x y z")
    ops = [op for op, _ in diff]
    assert all(a != b for a, b in zip(ops, ops[1:], strict=False))


def test_render_text_marks_every_operation():
    assert render_text([(EQUAL, "a "), (DELETE, "b"), (INSERT, "c")]) == "a [-b-]{+c+}"


def test_large_text_is_diffed_exactly_not_given_up():
    # 70,000 distinct words: more than the Basic Multilingual Plane's private-use area holds.
    words = [f"w{i}" for i in range(70_000)]
    old = " ".join(words)
    new = " ".join(words[:35_000] + ["changed"] + words[35_001:])
    diff = word_diff(old, new)
    assert [t for op, t in diff if op != EQUAL] == ["w35000", "changed"]
    assert rebuild(diff, DELETE) == old
    assert rebuild(diff, INSERT) == new


def test_running_out_of_symbols_degrades_to_an_exact_coarser_diff(monkeypatch):
    monkeypatch.setattr(diff_module, "CAPACITY", 12)
    old = "one two three four five six seven eight nine ten"
    new = "one two three four five six seven eight nine eleven"
    diff = word_diff(old, new)
    assert rebuild(diff, DELETE) == old
    assert rebuild(diff, INSERT) == new
    # Past the limit the rest of each text is one symbol: still exact, only coarser.
    assert render_text(diff) == (
        "one two three four five six [-seven eight nine ten-]{+seven eight nine eleven+}"
    )


# -- properties ------------------------------------------------------------------------------

_WORDS = st.sampled_from(
    [
        "users",
        "some",
        "30%",
        "14:45",
        "1,200",
        "3.5",
        "couldn't",
        "us-west1",
        "outage",
        "major",
        "the",
        "Résolu",
        "&amp;",
        "\u2019",
        "-",
        ".",
        ",",
    ]
)
_TEXTS = st.lists(st.tuples(_WORDS, st.sampled_from([" ", "  ", "\n", "", "\t"])), max_size=40).map(
    lambda parts: "".join(w + s for w, s in parts)
)
_ANY = st.one_of(_TEXTS, st.text(max_size=80))


@settings(max_examples=200, deadline=None)
@given(_ANY)
def test_identical_texts_have_no_change(text):
    assert all(op == EQUAL for op, _ in word_diff(text, text))


@settings(max_examples=200, deadline=None)
@given(_ANY, _ANY)
def test_diff_rebuilds_both_normalised_texts(old, new):
    diff = word_diff(old, new)
    assert rebuild(diff, DELETE) == normalize(old)
    assert rebuild(diff, INSERT) == normalize(new)
    assert all(text for _, text in diff)


_NUMBER = st.one_of(
    st.integers(0, 99_999).map(str),
    st.integers(0, 100).map(lambda n: f"{n}%"),
    st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"{t[0]}:{t[1]:02d}"),
    st.integers(1_000, 999_999).map(lambda n: f"{n:,}"),
    st.tuples(st.integers(0, 99), st.integers(0, 99)).map(lambda t: f"{t[0]}.{t[1]}"),
)


def boundaries(tokens):
    edges, position = {0}, 0
    for token in tokens:
        position += len(token)
        edges.add(position)
    return edges


def cuts(diff, keep):
    edges, position = {0}, 0
    for op, text in diff:
        if op in (EQUAL, keep):
            position += len(text)
            edges.add(position)
    return edges


@settings(max_examples=200, deadline=None)
@given(st.lists(_NUMBER, min_size=1, max_size=8), st.lists(_NUMBER, min_size=1, max_size=8))
def test_numbers_are_never_split(old_numbers, new_numbers):
    old = "Affected: " + " and ".join(old_numbers) + " users."
    new = "Affected: " + " and ".join(new_numbers) + " users."
    assert set(old_numbers) <= set(tokenize(old))
    assert set(new_numbers) <= set(tokenize(new))
    diff = word_diff(old, new)
    # Every place the diff cuts either text is a token boundary: no number is ever split.
    assert cuts(diff, DELETE) <= boundaries(tokenize(old))
    assert cuts(diff, INSERT) <= boundaries(tokenize(new))
