"""Word-level diff of two wordings of one update.

diff-match-patch works on characters; we give it words by encoding each distinct token as one
character (the library's lines-to-chars idea, applied to tokens), so a change never splits a
number or a word: "[-30 percent of-]{+some+}", never "3[-0-]{+5+}%".

Its exact algorithm compares up to every old token with every new token when the texts share
little, so a fully rewritten 20 KB text costs seconds and a 200 KB one minutes. Texts past
WORK_LIMIT token pairs are therefore lined up sentence by sentence first, and word-diffed only
inside the runs of sentences that changed; the output stays exact either way.
"""

from __future__ import annotations

import re
import zlib
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

from diff_match_patch import diff_match_patch

from ..models import DELETE, EQUAL, INSERT, DiffOps
from ..text import marked_diff, normalize

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

# Old tokens × new tokens: the most pairs one word diff may compare. The exact diff's cost grows
# with this product when the texts share little (2,000 × 2,000 tokens rewritten: about a
# second). Texts within it are diffed whole; larger ones sentence by sentence, every comparison
# charged to a budget of this size, so no input costs more than that plus linear work.
WORK_LIMIT = 2_000 * 2_000
# The largest changed run of sentences in a large text still diffed word by word; larger runs
# read as whole sentences deleted and inserted.
RUN_LIMIT = 500 * 500
# A sentence this many tokens long may also be cut inside (see _sentences).
LONG_SENTENCE = 64


def tokenize(text: str) -> list[str]:
    """Split text into words, numbers, single punctuation marks and whitespace runs.

    >>> tokenize("30% of us-west1 couldn't log in at 14:45.")
    ['30%', ' ', 'of', ' ', 'us-west1', ' ', "couldn't", ' ', 'log', ' ', 'in', ' ', 'at', ' ', '14:45', '.']
    """  # noqa: E501
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> DiffOps:
    """The word diff of two wordings, after normalising both.

    EQUAL and DELETE runs rebuild normalize(old); EQUAL and INSERT runs rebuild normalize(new).
    Identical texts give no DELETE or INSERT at all. Texts past WORK_LIMIT token pairs are
    lined up sentence by sentence first (_diff_large).
    """
    old_tokens, new_tokens = tokenize(normalize(old)), tokenize(normalize(new))
    if len(old_tokens) * len(new_tokens) <= WORK_LIMIT:
        return _diff_tokens(old_tokens, new_tokens, CAPACITY)
    return _diff_large(old_tokens, new_tokens)


def render_text(diff: Iterable[tuple[int, str]]) -> str:
    """Plain-text rendering: deletions as [-…-], insertions as {+…+}."""
    return marked_diff(diff)


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


def _common_prefix(a: Sequence[str], b: Sequence[str]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _common_suffix(a: Sequence[str], b: Sequence[str]) -> int:
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
    # Texts are collected and joined once: adding strings one by one is quadratic, and a
    # large text arrives as one EQUAL part per sentence.
    merged: list[tuple[int, list[str]]] = []
    for op, text in diffs:
        if not text:
            continue
        if merged and merged[-1][0] == op:
            merged[-1][1].append(text)
        else:
            merged.append((op, [text]))
    return tuple((op, "".join(texts)) for op, texts in merged)


# -- large texts -----------------------------------------------------------------------------


class _Budget:
    """How many more token or sentence pairs a large diff may compare."""

    def __init__(self, pairs: int) -> None:
        self.left = pairs

    def take(self, pairs: int) -> bool:
        if pairs > self.left:
            return False
        self.left -= pairs
        return True


def _diff_large(old: Sequence[str], new: Sequence[str]) -> DiffOps:
    """Sentence by sentence, then word by word inside changed runs, within WORK_LIMIT pairs.

    What the budget cannot pay for is shown as whole sentences deleted and inserted: coarser,
    never wrong, and never slower than one diff of WORK_LIMIT pairs plus linear work.
    """
    budget = _Budget(WORK_LIMIT)
    return _merge(_sentence_diff(_sentences(old), _sentences(new), budget))


def _sentences(tokens: Sequence[str]) -> list[list[str]]:
    """Tokens cut after each line break and sentence end (the space goes with the sentence).

    A sentence past LONG_SENTENCE tokens is also cut after a word its checksum picks: a cut
    chosen by the words, not by a count, falls at the same place in both texts, so a long
    line without full stops still lines up around an edit.
    """
    sentences: list[list[str]] = []
    current: list[str] = []
    for token in tokens:
        ends = bool(current) and token.isspace() and _ends_sentence(current, token)
        current.append(token)
        if ends:
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    return sentences


def _ends_sentence(current: list[str], space: str) -> bool:
    if "\n" in space or current[-1] in (".", "!", "?"):
        return True
    word = current[-1].encode("utf-8", "surrogatepass")
    return len(current) >= LONG_SENTENCE and zlib.crc32(word) % 16 == 0


def _sentence_diff(
    old: list[list[str]], new: list[list[str]], budget: _Budget
) -> Iterator[tuple[int, str]]:
    """Equal sentences as EQUAL; each changed run between them diffed by _changed_run."""
    old_keys, new_keys = ["".join(s) for s in old], ["".join(s) for s in new]
    i = j = 0
    for match_i, match_j in [*_matches(old_keys, new_keys, budget), (len(old), len(new))]:
        old_run = [token for sentence in old[i:match_i] for token in sentence]
        new_run = [token for sentence in new[j:match_j] for token in sentence]
        yield from _changed_run(old_run, new_run, budget)
        if match_i < len(old):
            yield EQUAL, old_keys[match_i]
        i, j = match_i + 1, match_j + 1


def _changed_run(old: list[str], new: list[str], budget: _Budget) -> Iterable[tuple[int, str]]:
    pairs = len(old) * len(new)
    if pairs and pairs <= RUN_LIMIT and budget.take(pairs):
        return _diff_tokens(old, new, CAPACITY)
    return ((DELETE, "".join(old)), (INSERT, "".join(new)))


def _matches(old: list[str], new: list[str], budget: _Budget) -> list[tuple[int, int]]:
    """Pairs (i, j) of equal sentences, increasing in both.

    The common head and tail, then what _anchored finds in between.
    """
    head = _common_prefix(old, new)
    tail = _common_suffix(old[head:], new[head:])
    middle = _anchored(old[head : len(old) - tail], new[head : len(new) - tail], budget)
    return [
        *((k, k) for k in range(head)),
        *((head + i, head + j) for i, j in middle),
        *((len(old) - tail + k, len(new) - tail + k) for k in range(tail)),
    ]


def _anchored(old: list[str], new: list[str], budget: _Budget) -> list[tuple[int, int]]:
    """Equal sentences of two runs, in two passes.

    Sentences found once in each run are lined up first (patience diff); between two of them,
    an exact longest common subsequence where the budget allows.
    """
    matches: list[tuple[int, int]] = []
    i = j = 0
    for anchor_i, anchor_j in [*_unique_anchors(old, new), (len(old), len(new))]:
        between = _common_subsequence(old[i:anchor_i], new[j:anchor_j], budget)
        matches.extend((i + a, j + b) for a, b in between)
        matches.append((anchor_i, anchor_j))
        i, j = anchor_i + 1, anchor_j + 1
    return matches[:-1]  # the last pair is the end of both texts, not a sentence


def _unique_anchors(old: list[str], new: list[str]) -> list[tuple[int, int]]:
    """Sentences found exactly once in each text: the longest chain of them in the same order."""
    old_count, new_count = Counter(old), Counter(new)
    where = {key: j for j, key in enumerate(new) if new_count[key] == 1}
    pairs = [(i, where[key]) for i, key in enumerate(old) if old_count[key] == 1 and key in where]
    # Longest increasing subsequence of j (patience sorting): tops[n] is the smallest j that
    # ends a chain of n + 1 pairs, ends[n] that pair's index, back[k] the pair before pair k.
    tops: list[int] = []
    ends: list[int] = []
    back: list[int] = []
    for index, (_, j) in enumerate(pairs):
        length = bisect_left(tops, j)
        if length == len(tops):
            tops.append(j)
            ends.append(index)
        else:
            tops[length], ends[length] = j, index
        back.append(ends[length - 1] if length else -1)
    chain = []
    index = ends[-1] if ends else -1
    while index >= 0:
        chain.append(pairs[index])
        index = back[index]
    return chain[::-1]


def _common_subsequence(old: list[str], new: list[str], budget: _Budget) -> list[tuple[int, int]]:
    """Pairs of equal sentences in a longest common subsequence, or none if it costs too much.

    Sentences only one side has can never be equal, so they are left out before the diff: a
    fully rewritten text then costs nothing to line up.
    """
    shared = set(old) & set(new)
    old_kept = [i for i, key in enumerate(old) if key in shared]
    new_kept = [j for j, key in enumerate(new) if key in shared]
    if not shared or not budget.take(len(old_kept) * len(new_kept)):
        return []
    # Fewer distinct sentences than the shorter side, which the budget holds to 2,000 or so:
    # far below CAPACITY, so each sentence gets a character of its own.
    vocabulary: dict[str, str] = {}
    encoded_old = _encode([old[i] for i in old_kept], vocabulary, CAPACITY)
    encoded_new = _encode([new[j] for j in new_kept], vocabulary, CAPACITY)
    engine = diff_match_patch()
    engine.Diff_Timeout = 0
    pairs: list[tuple[int, int]] = []
    x = y = 0
    for op, chars in engine.diff_main(encoded_old, encoded_new, False):
        if op == EQUAL:
            pairs.extend((old_kept[x + k], new_kept[y + k]) for k in range(len(chars)))
        x += len(chars) if op != INSERT else 0
        y += len(chars) if op != DELETE else 0
    return pairs
