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
_VOLATILE_TEXT = re.compile(
    "|".join(
        (
            r"\blast\s+(?:updated|refreshed|checked|modified)\b[^\n]*?(?:\d|\bago\b|\bnow\b)[^\n]*",
            r"\b(?:page\s+)?(?:generated|rendered)\s+(?:at|on|in)\b[^\n]*?\d[^\n]*",
            r"\bpage\s+(?:generated|rendered|built|served)\b[^\n]*?\d[^\n]*",
            r"\b(?:generated|rendered|served|built)\s+in\s+\d+(?:[.,]\d+)?\s*(?:ms|s|sec|seconds?|"
            r"milliseconds?)\b",
            r"\b(?:request|trace|ray|correlation)[\s_-]?id\b\s*[:#=]?\s*[\w-]{6,}",
            r"\b(?:csrf|xsrf|authenticity)[\s_-]?token\b\s*[:#=]?\s*[\w+/=-]{8,}",
            r"\b\d{1,3}(?:[.,]\d+)?\s?%\s*uptime\b",
            r"\buptime\s*[:=]?\s*\d{1,3}(?:[.,]\d+)?\s?%",
            rf"\b{_HOW_MANY}\s+{_UNIT}\s+ago\b",
            r"\b(?:just\s+now|moments?\s+ago)\b",
            rf"\b(?:next\s+(?:update|refresh|check)|refresh(?:es|ing)?)\s+in\s+{_HOW_MANY}\s+{_UNIT}\b",
            rf"^\s*in\s+{_HOW_MANY}\s+{_UNIT}\s*\.?\s*$",
        )
    ),
    re.IGNORECASE | re.MULTILINE,
)
_WORDY = re.compile(r"\w")


# Every pattern above holds one of these words; most text holds none, and looking for words
# costs far less than running the patterns.
_HINTS = (
    "ago", "uptime", "generat", "render", "served", "built", "request", "trace", "ray",
    "correlation", "token", "now", "refresh", "next", "last", "\nin ",
)  # fmt: skip


def strip_furniture(text: str) -> str:
    """Normalised text without its volatile parts; "" when no word is left."""
    lowered = text.lower()
    if not lowered.startswith("in ") and not any(hint in lowered for hint in _HINTS):
        return text if _WORDY.search(text) else ""
    text, removed = _VOLATILE_TEXT.subn(" ", text)
    if removed:
        text = normalize(text)
    return text if _WORDY.search(text) else ""
