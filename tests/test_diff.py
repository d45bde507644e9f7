"""Word diff: tokens, diffs of real update wording, and the properties every diff must keep."""

from __future__ import annotations

import random
import re
from unittest import mock

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tracker.edits import worddiff as diff_module
from tracker.edits.worddiff import render_text, tokenize, word_diff
from tracker.models import DELETE, EQUAL, INSERT
from tracker.text import lines, normalize

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
    # Six word-for-word substitutions read as one deletion and one insertion, not twelve runs.
    assert word_diff("a b c d e f", "u v w x y z") == (
        (DELETE, "a b c d e f"),
        (INSERT, "u v w x y z"),
    )


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


# -- large texts -----------------------------------------------------------------------------

# Real update wording (Google Cloud, Airbrake, GitHub), the material long updates are made of.
SENTENCES = [
    "Customers in us-west1 may have experienced timeouts, service degradations, errors, and "
    "elevated latencies across multiple products.",
    "We have mitigated the issue impacting multiple products in our us-west1 region as of "
    "Thursday, 2026-08-20 10:22 PDT.",
    "Our engineering teams have restored capacity on a planned optical maintenance that caused "
    "unexpected congestion in Dalles, Oregon metro /us-west1 region.",
    "Our systems stabilized and services have recovered once capacity was restored.",
    "Approximately 30 percent of requests to the API failed between 14:02 and 14:49 UTC.",
    "Errors on your error dashboard and error email notifications might take longer to appear "
    "than usual.",
    "We will share updates as we make progress in addressing this issue.",
    "If you have any questions or concerns, please reach us at support@airbrake.io.",
    "Some action hosted runners are experiencing longer than normal run times.",
    "We are investigating reports of degraded performance for Git Operations.",
]


def long_text(sentences: int, offset: int = 0) -> str:
    """Real sentences, each made distinct by its number, as in a long incident write-up."""
    return " ".join(
        f"Step {n}: {SENTENCES[n % len(SENTENCES)]}" for n in range(offset, offset + sentences)
    )


def changes(diff):
    return [text for op, text in diff if op != EQUAL]


def long_enough(old, new):
    """Past the work limit, so word_diff lines the texts up sentence by sentence first."""
    return len(tokenize(normalize(old))) * len(tokenize(normalize(new))) > diff_module.WORK_LIMIT


def assert_exact(diff, old, new):
    assert rebuild(diff, DELETE) == normalize(old)
    assert rebuild(diff, INSERT) == normalize(new)
    assert all(text for _, text in diff)
    ops = [op for op, _ in diff]
    assert all(a != b for a, b in zip(ops, ops[1:], strict=False))


def test_edits_in_a_long_update_stay_word_level():
    old = long_text(800)
    removed = " Step 613: Our systems stabilized and services have recovered once capacity was "
    new = (
        old.replace("Step 1: We have mitigated", "Step 1: We mitigated")
        .replace("Step 4: Approximately 30 percent of", "Step 4: Some")
        .replace("Step 401: We have mitigated the issue", "Step 401: We have mitigated an issue")
        .replace("10:22 PDT. Step 412:", "11:40 PDT. Step 412:")
        .replace(removed + "restored.", "")
    )
    assert long_enough(old, new)
    diff = word_diff(old, new)
    assert_exact(diff, old, new)
    assert changes(diff) == [
        "have ",
        "Approximately 30 percent of",
        "Some",
        "the",
        "an",
        "10:22",
        "11:40",
        removed.lstrip() + "restored. ",
    ]


def test_moved_sentence_in_a_long_update():
    sentences = long_text(600).split(". ")
    old = ". ".join(sentences)
    new = ". ".join([*sentences[1:-1], sentences[0], sentences[-1]])
    assert long_enough(old, new)
    diff = word_diff(old, new)
    assert_exact(diff, old, new)
    # The moved sentence goes out at the top and comes back near the end; the rest is equal.
    assert [op for op, _ in diff] == [DELETE, EQUAL, INSERT, EQUAL]
    assert changes(diff) == [sentences[0] + ". ", sentences[0] + ". "]


def test_long_line_without_sentence_ends_lines_up_around_edits():
    old = " ".join(f"host{i}" for i in range(30_000))
    new = old.replace("host100 ", "gateway ").replace("host29000 ", "router ")
    assert long_enough(old, new)
    diff = word_diff(old, new)
    assert_exact(diff, old, new)
    assert changes(diff) == ["host100", "gateway", "host29000", "router"]


def fully_rewritten_prose():
    return long_text(2_200), long_text(2_200, offset=5_000).replace("Step", "Update")


def shuffled_short_sentences():
    # Few distinct sentences, many times over, in another order: nothing lines up uniquely.
    shuffle = random.Random(7).shuffle
    old = [f"{letter}." for letter in "abcdefghij" * 7_000]
    new = list(old)
    shuffle(new)
    return " ".join(old), " ".join(new)


def one_unbroken_line():
    words = [f"alpha{i}" for i in range(25_000)]
    return " ".join(words), " ".join(w.replace("alpha", "omega") for w in words)


@pytest.mark.parametrize(
    "make", [fully_rewritten_prose, shuffled_short_sentences, one_unbroken_line]
)
def test_200_kb_rewritten_finishes_and_stays_exact(make):
    old, new = make()
    assert len(old) >= 200_000
    assert long_enough(old, new)
    diff = word_diff(old, new)
    assert_exact(diff, old, new)
    # Rewritten throughout: whole sentences out and in, not thousands of fragments.
    assert len(diff) <= 3


_LONG_SENTENCE = st.one_of(
    st.sampled_from(SENTENCES),
    st.sampled_from(SENTENCES),
    st.integers(0, 100).map(lambda n: f"About {n}% of requests failed at 14:{n % 60:02d} UTC."),
    _TEXTS,
)


@st.composite
def long_pairs(draw):
    """A long update and an edited copy: sentences put in, taken out, moved, reworded."""
    old = draw(st.lists(_LONG_SENTENCE, min_size=200, max_size=260))
    new = list(old)
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(new) - 1))
        size = draw(st.integers(1, 40))
        action = draw(st.sampled_from(["insert", "delete", "replace", "reword", "move", "shuffle"]))
        if action == "insert":
            new[at:at] = draw(st.lists(_LONG_SENTENCE, min_size=1, max_size=size))
        elif action == "delete":
            del new[at : at + size]
        elif action == "replace":
            new[at : at + size] = draw(st.lists(_LONG_SENTENCE, max_size=size))
        elif action == "reword":
            new[at] = new[at].replace(" ", draw(st.sampled_from([" not ", "  ", " 30% "])), 1)
        elif action == "move":
            new.insert(draw(st.integers(0, len(new) - 1)), new.pop(at))
        else:
            new[at : at + size] = draw(st.permutations(new[at : at + size]))
    separator = draw(st.sampled_from([" ", "\n", " \n", "  "]))
    return separator.join(old), separator.join(new)


@settings(max_examples=40, deadline=None)
@given(long_pairs())
def test_long_diff_rebuilds_both_texts_and_never_splits_a_token(pair):
    old, new = pair
    assume(long_enough(old, new))
    diff = word_diff(old, new)
    assert_exact(diff, old, new)
    assert cuts(diff, DELETE) <= boundaries(tokenize(normalize(old)))
    assert cuts(diff, INSERT) <= boundaries(tokenize(normalize(new)))


@settings(max_examples=20, deadline=None)
@given(long_pairs())
def test_long_identical_texts_have_no_change(pair):
    old, _ = pair
    assume(long_enough(old, old))
    assert word_diff(old, old) == ((EQUAL, normalize(old)),)


# Short sentences that repeat, so equal sentences have to be lined up, not just found.
_REPEATS = st.lists(
    st.sampled_from(
        ["Resolved. ", "We are investigating. ", "30% of users.\n", "some users. ", "a "]
    ),
    max_size=30,
).map("".join)
_SHORT = st.one_of(_ANY, _REPEATS)


@settings(max_examples=300, deadline=None)
@given(_SHORT, _SHORT, st.integers(0, 2_000), st.integers(0, 400), st.integers(1, 8))
def test_any_budget_keeps_the_diff_exact(old, new, work, run, sentence):
    # Tiny limits send short, odd texts through every branch of the large-text path: runs
    # word-diffed, runs shown whole, the budget running out, long sentences cut.
    limits = {"WORK_LIMIT": work, "RUN_LIMIT": run, "LONG_SENTENCE": sentence}
    with mock.patch.multiple(diff_module, **limits):
        diff = word_diff(old, new)
        same = word_diff(old, old)
    assert_exact(diff, old, new)
    assert cuts(diff, DELETE) <= boundaries(tokenize(normalize(old)))
    assert cuts(diff, INSERT) <= boundaries(tokenize(normalize(new)))
    assert all(op == EQUAL for op, _ in same)


@given(st.text(alphabet="ab \n\t\x0c\x1c\x85\xa0\u2003\u2028\u3000", max_size=40))
def test_line_breaks_are_folded_as_the_pattern_folds_them(text):
    """Whitespace around line breaks, Unicode spaces included, is folded by splitting exactly as
    `\\s*\\n\\s*` folds it (str.strip and the pattern's \\s know the same spaces)."""
    assert lines(text) == re.sub(r"\s*\n\s*", "\n", text).strip()
