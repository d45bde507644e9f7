"""Page furniture: the parts of a page that change on every request without saying anything.

Render and generation stamps ("Page generated 2026-12-02T05:00:30.549Z", "Rendered in 43 ms"),
relative times ("Posted 12 minutes ago", "in 2 hours" shown alone), request ids, CSRF tokens
and uptime percentages. Their text is taken out of what an extractor reads, and elements whose
class or id says they hold such a value are skipped whole; a wording next to them is kept.
"""

from __future__ import annotations

import re

from ..text import normalize

# Class or id fragments of elements that hold per-request values.
VOLATILE_NAMES = re.compile(
    r"csrf|xsrf|nonce|request-?id|last-?updated|updated-?ago|time-?ago|relative-?time|^ago$"
    r"|generated-?at|render(?:ed)?-?(?:at|time|in)",
    re.IGNORECASE,
)
_UNIT = r"(?:second|sec|minute|min|hour|hr|day|week|month|year)s?"
_HOW_MANY = r"(?:\d+|an?|one|a\s+few|few)"
# (words one of which the text must hold, a gate, the pattern): looking for words costs far less
# than running a pattern, and most text holds none of them. Prose holds some of the words
# ("requests", "next"), so on ASCII text a gate is tried before the pattern: a pattern without
# IGNORECASE, on the lowered text, that every match of the pattern contains, and whose literal
# start lets the regex engine skip to the places worth trying (a pattern opening with \b tries
# every position). On ASCII text IGNORECASE matches exactly what matching the lowered text
# matches; other text (İ, ı, ſ and K fold to ASCII letters) always runs the pattern.
_PATTERNS = tuple(
    (hints, re.compile(gate) if gate else None, re.compile(pattern, re.IGNORECASE | re.MULTILINE))
    for hints, gate, pattern in (
        (
            ("last",),
            r"last\s+(?:updated|refreshed|checked|modified)",
            r"\blast\s+(?:updated|refreshed|checked|modified)\b[^\n]*?(?:\d|\bago\b|\bnow\b)[^\n]*",
        ),
        (
            ("generat", "render"),
            r"(?:generated|rendered)\s+(?:at|on|in)",
            r"\b(?:page\s+)?(?:generated|rendered)\s+(?:at|on|in)\b[^\n]*?\d[^\n]*",
        ),
        (
            ("page",),
            r"page\s+(?:generated|rendered|built|served)",
            r"\bpage\s+(?:generated|rendered|built|served)\b[^\n]*?\d[^\n]*",
        ),
        (
            ("generat", "render", "served", "built"),
            r"(?:generated|rendered|served|built)\s+in\s+\d",
            r"\b(?:generated|rendered|served|built)\s+in\s+\d+(?:[.,]\d+)?\s*"
            r"(?:ms|s|sec|seconds?|milliseconds?)\b",
        ),
        (
            ("request", "trace", "ray", "correlation"),
            r"(?:request|trace|ray|correlation)[\s_-]?id",
            r"\b(?:request|trace|ray|correlation)[\s_-]?id\b\s*[:#=]?\s*[\w-]{6,}",
        ),
        (
            ("token",),
            r"(?:csrf|xsrf|authenticity)[\s_-]?token",
            r"\b(?:csrf|xsrf|authenticity)[\s_-]?token\b\s*[:#=]?\s*[\w+/=-]{8,}",
        ),
        (
            ("uptime",),
            r"%\s*uptime|uptime\s*[:=]?\s*\d",
            r"\b\d{1,3}(?:[.,]\d+)?\s?%\s*uptime\b|\buptime\s*[:=]?\s*\d{1,3}(?:[.,]\d+)?\s?%",
        ),
        (
            ("ago",),
            rf"{_UNIT}\s+ago|moments?\s+ago",
            rf"\b{_HOW_MANY}\s+{_UNIT}\s+ago\b|\bmoments?\s+ago\b",
        ),
        (("now",), r"just\s+now", r"\bjust\s+now\b"),
        (
            ("next", "refresh"),
            r"(?:next\s+(?:update|refresh|check)|refresh(?:es|ing)?)\s+in\s",
            rf"\b(?:next\s+(?:update|refresh|check)|refresh(?:es|ing)?)\s+in\s+{_HOW_MANY}\s+{_UNIT}\b",
        ),
        (("\nin ",), None, rf"^\s*in\s+{_HOW_MANY}\s+{_UNIT}\s*\.?\s*$"),
    )
)
_HINTS = tuple(sorted({hint for hints, _, _ in _PATTERNS for hint in hints}))
_WORDY = re.compile(r"\w")


def strip_furniture(text: str) -> str:
    """Normalised text without its volatile parts; "" when no word is left."""
    lowered = "\n" + text.lower()  # "\nin " finds a line starting with "in "
    removed = 0
    present = {hint for hint in _HINTS if hint in lowered}
    if present:
        gated = text.isascii()
        for hints, gate, pattern in _PATTERNS:
            if present.isdisjoint(hints):
                continue
            if gated and gate is not None and not gate.search(lowered):
                continue
            text, count = pattern.subn(" ", text)
            if count:
                removed += count
                lowered = "\n" + text.lower()  # the gates that follow look at what is left
    if removed:
        text = normalize(text)
    return text if _WORDY.search(text) else ""
