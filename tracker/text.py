"""Text normalisation shared by extraction and diffing.

Normalising makes entity, quote, dash and whitespace differences vanish, so they never read as
edits, while digits and words are kept exactly.
"""

from __future__ import annotations

import html
import re
import unicodedata

_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ",
    }
)
# Zero-width and bidi control characters: invisible, so never evidence of an edit, and a
# classic way to make two strings look identical while they differ.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_SPACE = re.compile(r"[ \t\f\v]+")
_BLANK_LINES = re.compile(r"\s*\n\s*")


def normalize(text: str | None) -> str:
    """Unescape entities, NFKC, fold quotes and dashes, drop invisibles, collapse whitespace.

    Line breaks survive as single newlines (paragraphs matter to a reader); every other run of
    whitespace becomes one space.
    """
    if not text:
        return ""
    text = html.unescape(text)
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_FOLD)
    text = _INVISIBLE.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACE.sub(" ", text)
    text = _BLANK_LINES.sub("\n", text)
    return text.strip()
