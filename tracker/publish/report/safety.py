"""Turning scraped text and URLs into markup that cannot run, reorder or hide anything.

Scraped text is escaped, and characters a reader cannot see (controls, bidi overrides,
zero-width spaces) are shown as small labelled markers instead: they are part of the
evidence, and left raw they could reorder the report around them or hide a difference.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from markupsafe import Markup, escape

_NAMES = {
    "\u061c": "ALM",
    "\u200b": "ZWSP",
    "\u200e": "LRM",
    "\u200f": "RLM",
    "\u202a": "LRE",
    "\u202b": "RLE",
    "\u202c": "PDF",
    "\u202d": "LRO",
    "\u202e": "RLO",
    "\u2060": "WJ",
    "\u2066": "LRI",
    "\u2067": "RLI",
    "\u2068": "FSI",
    "\u2069": "PDI",
    "\ufeff": "BOM",
}
# C0/C1 controls except tab and newlines, bidi controls, zero-width space, word joiner, BOM,
# non-characters and lone surrogates (which cannot even be written as UTF-8).
_HIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e"
    "\u2060\u2066-\u2069\ufeff\ufffe\uffff\ud800-\udfff]"
)
_URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def _marker(match: re.Match[str]) -> str:
    char = match.group()
    code = f"U+{ord(char):04X}"
    label = _NAMES.get(char, code)
    try:
        name = unicodedata.name(char)
    except ValueError:
        name = "control character" if ord(char) < 0xD800 else "invalid character"
    title = f"hidden character {code} {name}"
    return f'<span class="hidden-char" title="{title}">{label}</span>'


def scraped(text: object) -> Markup:
    """Escape scraped text for HTML, showing hidden characters as visible markers."""
    escaped = str(escape("" if text is None else text))
    if _HIDDEN.search(escaped) is None:
        return Markup(escaped)
    return Markup(_HIDDEN.sub(_marker, escaped))


def safe_href(url: object) -> str | None:
    """`url` when it is an absolute http(s) URL a browser will read as written, else None.

    Anything else (javascript:, data:, relative paths, URLs with spaces, controls or bidi
    characters that browsers would strip or that would disguise the target) is shown as text.
    """
    if not isinstance(url, str) or not url or len(url) > 4096:
        return None
    if _URL_FORBIDDEN.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def plain(text: str) -> str:
    """`text` without hidden characters, for attributes and places markers cannot go."""
    if _HIDDEN.search(text) is None:
        return text
    return _HIDDEN.sub("\ufffd", text)
