"""Finding the terms an edit rule reads: amounts, times, severity, scope, hedges, causes, places.

Each extractor takes a text and the stretch [start, end) a hunk changed, and returns the terms
of its kind that overlap the stretch, in a canonical spelling ("30 percent" and "30%" both read
as "30"), so the rules in tracker.classify compare what the two sides say, not how they spell
it. The vocabulary lives in tracker.wordlists.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping

from . import wordlists as words

# Finds the terms of one kind that overlap [start, end) of a text.
Extractor = Callable[[str, int, int], list[str]]

# Longer than any phrase, so every match that overlaps a stretch starts inside the window.
_MARGIN = 80


class Change:
    """The old and new sides of one hunk: (text, start, end) each."""

    def __init__(self, old: tuple[str, int, int], new: tuple[str, int, int]) -> None:
        self.old, self.new = old, new

    def diff(self, extract: Extractor) -> tuple[list[str], list[str]]:
        """Terms found around the change on one side only: (gone, new), with repeats."""
        before, after = Counter(extract(*self.old)), Counter(extract(*self.new))
        return list((before - after).elements()), list((after - before).elements())


class _PatternExtractor:
    """Terms of one pattern that overlap [start, end) (or straddle `start` when empty)."""

    def __init__(
        self,
        pattern: re.Pattern[str],
        canonical: Mapping[str, str] | None = None,
        unless_followed_by: re.Pattern[str] | None = None,
    ) -> None:
        self.pattern, self.canonical = pattern, canonical or {}
        self.unless_followed_by = unless_followed_by

    def __call__(self, text: str, start: int, end: int) -> list[str]:
        terms = []
        for match in self.pattern.finditer(text, max(0, start - _MARGIN), end + _MARGIN):
            if self.unless_followed_by and self.unless_followed_by.match(text, match.end()):
                continue
            if overlaps(match.start(), match.end(), start, end):
                term = _squash(match.group(0))
                term = self.canonical.get(term, term)
                if term:
                    terms.append(term)
        return terms


class _NumberExtractor:
    """Amounts: digits and number words, not clock times, dates, durations or status codes."""

    def __call__(self, text: str, start: int, end: int) -> list[str]:
        lo, hi = max(0, start - _MARGIN), end + _MARGIN
        taken = [m.span() for m in _TIME.finditer(text, lo, hi)]
        taken += [m.span() for m in _STATUS_CODE.finditer(text, lo, hi)]
        values = []
        for match in _NUMBER.finditer(text, lo, hi):
            inside = any(s <= match.start() and match.end() <= e for s, e in taken)
            if not inside and overlaps(match.start(), match.end(), start, end):
                values.append(number_value(match.group(0)))
        return values


class _LocationExtractor:
    def __call__(self, text: str, start: int, end: int) -> list[str]:
        return [
            term
            for extract in (_places, _place_codes, _region_codes)
            for term in extract(text, start, end)
        ]


def overlaps(m_start: int, m_end: int, start: int, end: int) -> bool:
    """Does a match overlap [start, end)? An empty stretch counts when the match straddles it."""
    if start == end:
        return m_start < start < m_end
    return m_start < end and start < m_end


def number_value(token: str) -> str:
    """One spelling per amount: "1,200" → "1200", "30%" → "30", "three" → "3"."""
    token = _squash(token)
    if token in words.NUMBER_WORDS:
        return f"{words.NUMBER_WORDS[token]:g}"
    plain = token.replace(",", "").rstrip("%")
    try:
        return f"{float(plain):g}"
    except ValueError:
        return plain


def plain(word: str) -> str:
    """A word as rules compare it: lower case, and a number by its value."""
    word = word.lower()
    return number_value(word) if _NUMBER.fullmatch(word) else word


def words_of(text: str) -> list[str]:
    """The words and numbers of a text, without punctuation or spacing."""
    return _WORD.findall(text)


def qualifier_words(text: str, start: int, end: int) -> Counter[str]:
    """Words of quantifiers, hedges and times overlapping [start, end), in plain form."""
    return Counter(
        plain(word)
        for pattern in _QUALIFIERS
        for match in pattern.finditer(text, max(0, start - _MARGIN), end + _MARGIN)
        if overlaps(match.start(), match.end(), start, end)
        for word in words_of(match[0])
    )


def has_sentence_end(text: str) -> bool:
    return bool(SENTENCE_END.search(text.strip()))


def sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence (or line) around [start, end); looks back at most a paragraph."""
    lookback = max(0, start - 600)
    before = [m.end() for m in SENTENCE_END.finditer(text, lookback, start)]
    after = SENTENCE_END.search(text, end)
    return (before[-1] if before else lookback), (after.end() if after else len(text))


def _squash(term: str) -> str:
    return re.sub(r"\s+", " ", term.lower())


def _phrases(phrases: Iterable[str], flags: int = re.IGNORECASE) -> re.Pattern[str]:
    ordered = sorted(set(phrases), key=len, reverse=True)
    body = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in ordered)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", flags)


def _fill(pattern: str) -> str:
    """Put the word lists into a TIME_PATTERNS entry (str.format would trip on {1,2})."""
    lists = {
        "{months}": words.MONTHS,
        "{weekdays}": words.WEEKDAYS,
        "{zones}": words.TIME_ZONES,
        "{units}": words.DURATION_UNITS,
        "{number_words}": tuple(words.NUMBER_WORDS),
    }
    for name, values in lists.items():
        ordered = sorted(values, key=len, reverse=True)
        pattern = pattern.replace(name, "|".join(re.escape(v) for v in ordered))
    return pattern


_TIME = re.compile(
    r"(?<![\w:/.-])(?:{})(?![\w:/-])".format(
        "|".join(f"(?:{_fill(p)})" for p in words.TIME_PATTERNS)
    ),
    re.IGNORECASE,
)
_DURATION = re.compile(rf"(?<![\w-])(?:{_fill(words.TIME_PATTERNS[-2])})(?![\w-])", re.IGNORECASE)
_NUMBER = re.compile(
    rf"(?<![\w.,:/-])(?:{words.NUMBER_PATTERN}|{'|'.join(words.NUMBER_WORDS)})(?![\w/-])",
    re.IGNORECASE,
)
_STATUS_CODE = re.compile(rf"(?<![\w.,-]){words.STATUS_CODE_PATTERN}", re.IGNORECASE)
_VAGUE = _phrases(words.VAGUE_QUANTIFIERS)
_SEVERITY = _phrases(words.SEVERITY_PHRASES)
_HEDGES = _phrases(words.HEDGES)
_SCOPE = _phrases(words.SCOPE_WORDS)
CAUSE_MARKER = _phrases(words.CAUSE_MARKERS)
_PLACES = _phrases([p for p in words.LOCATIONS if len(p) > 3])
# Short place codes only in capitals: "US" is a country, "us" a pronoun.
_PLACE_CODES = _phrases([p.upper() for p in words.LOCATIONS if len(p) <= 3], flags=0)
_REGION_CODES = re.compile(rf"(?<![\w-])(?:{words.LOCATION_CODE_PATTERN})(?![\w-])", re.I)
# Words a typo fix may not touch: swapping one of these changes what the text claims.
LEXICON = {
    phrase
    for vocabulary in (
        words.VAGUE_QUANTIFIERS,
        words.SEVERITY_PHRASES,
        words.HEDGES,
        words.SCOPE_WORDS,
        words.CAUSE_MARKERS,
        words.NUMBER_WORDS,
        words.DURATION_UNITS,
        words.MONTHS,
        words.WEEKDAYS,
        words.LOCATIONS,
    )
    for phrase in vocabulary
    if " " not in phrase
} | {"major", "minor", "partial", "complete", "full", "total", "none", "never", "now", "not"}
_TIME_NOUN = re.compile(
    r"\s+(?:{}|time|times|period)\b".format("|".join(words.DURATION_UNITS)), re.IGNORECASE
)
# Quantifiers, hedges and times qualify a statement; a clause is made of other words.
_QUALIFIERS = (_SCOPE, _VAGUE, _HEDGES, _TIME)
SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")
_WORD = re.compile(r"[^\W_]+(?:(?:['\-_]|(?<=\d)[.,:](?=\d))[^\W_]+)*%?")

numbers: Extractor = _NumberExtractor()
durations: Extractor = _PatternExtractor(_DURATION)
times: Extractor = _PatternExtractor(_TIME)
vague: Extractor = _PatternExtractor(_VAGUE)
severity: Extractor = _PatternExtractor(_SEVERITY)
# "the May 8th weekend" names a month, not a possibility.
hedges: Extractor = _PatternExtractor(
    _HEDGES, words.HEDGES, unless_followed_by=re.compile(r"\s+\d")
)
# "a few hours" is an amount of time, not a share of the users.
scope: Extractor = _PatternExtractor(_SCOPE, unless_followed_by=_TIME_NOUN)
causes: Extractor = _PatternExtractor(CAUSE_MARKER)
_places = _PatternExtractor(_PLACES)
_place_codes = _PatternExtractor(_PLACE_CODES)
_region_codes = _PatternExtractor(_REGION_CODES)
locations: Extractor = _LocationExtractor()
