"""Word-level diff of two wordings of one update.

diff-match-patch works on characters; we give it words by encoding each distinct token as one
character (the library's lines-to-chars idea, applied to tokens), so a change never splits a
number or a word: "[-30 percent of-]{+some+}", never "3[-0-]{+5+}%".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from diff_match_patch import diff_match_patch

from .models import DELETE, EQUAL, INSERT, DiffOps
from .text import normalize

# A word: letters and digits, joined by apostrophes, hyphens and underscores (couldn't,
# us-west1, SERVICE_OUTAGE); digit groups joined by . , : (3.5, 1,200, 14:45); a % that follows
# a digit. Whitespace runs are one token; any other character is a token of its own.
_TOKEN = re.compile(
    r"[^\W_]+(?:(?:['\-_]|(?<=\d)[.,:](?=\d))[^\W_]+)*(?:(?<=\d)%)?|\s+|.",
    re.DOTALL,
)

# Characters that stand for tokens. Private-use planes first, then the unassigned planes 4-13:
# none of them is a letter, a digit or whitespace, so the library's boundary scoring treats
# them all alike, and none can occur in normalised text by accident.
_ALPHABET: tuple[tuple[int, int], ...] = (
    (0xE000, 0xF8FF),
    (0xF0000, 0xFFFFD),
    (0x100000, 0x10FFFD),
    (0x40000, 0xDFFFF),
)
CAPACITY = sum(end - start + 1 for start, end in _ALPHABET)


def tokenize(text: str) -> list[str]:
    """Split text into words, numbers, single punctuation marks and whitespace runs.

    >>> tokenize("30% of us-west1 couldn't log in at 14:45.")
    ['30%', ' ', 'of', ' ', 'us-west1', ' ', "couldn't", ' ', 'log', ' ', 'in', ' ', 'at', ' ', '14:45', '.']
    """  # noqa: E501
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> DiffOps:
    """The word diff of two wordings, after normalising both.

    EQUAL and DELETE runs rebuild normalize(old); EQUAL and INSERT runs rebuild normalize(new).
    Identical texts give no DELETE or INSERT at all.
    """
    return _diff_tokens(tokenize(normalize(old)), tokenize(normalize(new)), CAPACITY)


def render_text(diff: Iterable[tuple[int, str]]) -> str:
    """Plain-text rendering: deletions as [-…-], insertions as {+…+}."""
    parts = []
    for op, text in diff:
        if op == DELETE:
            parts.append(f"[-{text}-]")
        elif op == INSERT:
            parts.append(f"{{+{text}+}}")
        else:
            parts.append(text)
    return "".join(parts)


def _diff_tokens(old: Sequence[str], new: Sequence[str], capacity: int) -> DiffOps:
    if list(old) == list(new):
        text = "".join(old)
        return ((EQUAL, text),) if text else ()
    vocabulary: dict[str, str] = {}
    # Like diff_linesToChars: two thirds of the alphabet for the old text, the rest for the new;
    # past that, the remaining tail becomes one token, a coarser but still exact diff.
    # Each text may add one tail token past its limit, so the vocabulary never exceeds capacity.
    encoded_old = _encode(old, vocabulary, capacity * 2 // 3 - 1)
    encoded_new = _encode(new, vocabulary, capacity - 1)
    engine = diff_match_patch()
    # With a timeout the library returns "all deleted, all inserted" on large inputs.
    engine.Diff_Timeout = 0
    diffs = engine.diff_main(encoded_old, encoded_new, False)
    # On the encoded form, so the cleanup moves whole tokens, never parts of words.
    engine.diff_cleanupSemantic(diffs)
    decoding = {char: token for token, char in vocabulary.items()}
    diffs = _slide(_merge(diffs), decoding)
    return _merge((op, "".join(decoding[char] for char in chars)) for op, chars in diffs)


def _slide(diffs: DiffOps, decoding: dict[str, str]) -> DiffOps:
    """Move each lone insertion or deletion along repeated text to the most readable place.

    The library's own pass for this scores characters, and our characters all look alike, so
    "[-do not have an ETA.\nWe-]" stays where it fell; here the score is read from the tokens:
    a change should start and end at a line break, a sentence end or a space.
    """
    result = list(diffs)
    for i in range(1, len(result) - 1):
        (op_a, a), (op_e, e), (op_b, b) = result[i - 1], result[i], result[i + 1]
        if op_a != EQUAL or op_b != EQUAL or op_e == EQUAL:
            continue
        shift = _common_suffix(a, e)
        if shift:
            a, e, b = a[:-shift], a[-shift:] + e[:-shift], e[-shift:] + b
        best, best_score = (a, e, b), _edges(a, e, b, decoding)
        while b and e[0] == b[0]:
            a, e, b = a + e[0], e[1:] + b[0], b[1:]
            score = _edges(a, e, b, decoding)
            if score >= best_score:
                best, best_score = (a, e, b), score
        result[i - 1], result[i], result[i + 1] = (
            (EQUAL, best[0]),
            (op_e, best[1]),
            (EQUAL, best[2]),
        )
    return tuple(result)


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _edges(before: str, change: str, after: str, decoding: dict[str, str]) -> int:
    def token(chars: str, index: int) -> str | None:
        return decoding[chars[index]] if chars else None

    return _edge(token(before, -1), token(change, 0)) + _edge(token(change, -1), token(after, 0))


def _edge(left: str | None, right: str | None) -> int:
    """How natural a cut between two tokens reads: 6 at the text's edge, 0 inside a phrase."""
    if left is None or right is None:
        return 6
    if "\n" in left or "\n" in right:
        return 5
    if left in ".!?" and right.isspace():
        return 4
    if left.isspace() or right.isspace():
        return 3
    if not left[-1].isalnum() or not right[0].isalnum():
        return 2
    return 0


def _encode(tokens: Sequence[str], vocabulary: dict[str, str], limit: int) -> str:
    chars = []
    for index, token in enumerate(tokens):
        char = vocabulary.get(token)
        if char is None:
            if len(vocabulary) >= limit:
                tail = "".join(tokens[index:])
                chars.append(vocabulary.get(tail) or _add(tail, vocabulary))
                break
            char = _add(token, vocabulary)
        chars.append(char)
    return "".join(chars)


def _add(token: str, vocabulary: dict[str, str]) -> str:
    char = _char(len(vocabulary))
    vocabulary[token] = char
    return char


def _char(index: int) -> str:
    """The index-th character of the alphabet; _encode keeps index below CAPACITY."""
    for start, end in _ALPHABET[:-1]:
        size = end - start + 1
        if index < size:
            return chr(start + index)
        index -= size
    return chr(_ALPHABET[-1][0] + index)


def _merge(diffs: Iterable[tuple[int, str]]) -> DiffOps:
    """Join adjacent runs of the same operation and drop empty ones."""
    merged: list[tuple[int, str]] = []
    for op, text in diffs:
        if not text:
            continue
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        else:
            merged.append((op, text))
    return tuple(merged)
