"""Text normalisation shared by extraction and diffing.

Normalising makes entity, quote, dash and whitespace differences vanish, so they never read as
edits, while digits and words are kept exactly.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence

from .memo import Memo

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
        "\x0b": " ",
        "\x0c": " ",
        "\x85": "\n",
    }
)
# The characters _FOLD maps, found in one pass and each replaced on its own: translating looks
# every character of a text up in _FOLD, which for text that is not ASCII costs more than the
# rest of normalising it. (No character _FOLD gives is one it maps, so the order is free.)
_FOLDED = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_FOLD)) + "]")
# Zero-width and bidi control characters: invisible, so never evidence of an edit, and a
# classic way to make two strings look identical while they differ.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
# Control characters (C0 but tab and newlines, DEL, C1): never wording, and in a terminal an
# escape sequence hidden in a status page could clear the screen or forge a hyperlink.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Whole terminal escape sequences (CSI such as colours, OSC such as titles and hyperlinks) go
# first, so the words around them stay searchable.
_ESCAPES = re.compile(r"\x1b\[[0-?]{0,64}[ -/]{0,16}[@-~]|\x1b\][^\x07\x1b]{0,512}(?:\x07|\x1b\\)")
_SPACE = re.compile(r"[ \t\f\v]+")


# Wordings repeat from version to version: each distinct one is normalised once.
_MEMO: Memo[str, str] = Memo(budget=8_000_000)
_MEMO_LONGEST = 64_000


def normalize(text: str | None) -> str:
    """Unescape entities, NFKC, fold quotes and dashes, drop invisibles, collapse whitespace.

    Line breaks survive as single newlines (paragraphs matter to a reader); every other run of
    whitespace becomes one space.
    """
    if not text:
        return ""
    if len(text) > _MEMO_LONGEST:
        return _normalize(text)
    return _MEMO.get(text, lambda: _normalize(text))


def normalize_unremembered(text: str | None) -> str:
    """`normalize(text)`, for a caller that remembers what it makes of the result itself: a
    second memo would only cost a look-up and the memory."""
    return _normalize(text) if text else ""


def _normalize(text: str) -> str:
    # Each step is skipped when a cheap test shows it would change nothing: most wordings are
    # plain ASCII with single spaces, and the steps cost more than the tests.
    text = html.unescape(text)
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        for char in set(_FOLDED.findall(text)):
            text = text.replace(char, _FOLD[ord(char)])
        text = _INVISIBLE.sub("", text)  # its characters are all outside ASCII
    elif "\x0b" in text or "\x0c" in text:  # the only ASCII characters _FOLD maps
        text = text.translate(_FOLD)
    if "\x1b" in text:
        text = _ESCAPES.sub("", text)
    if not text.isprintable():  # printable text holds no control character
        text = _CONTROL.sub("", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "  " in text or "\t" in text or "\f" in text or "\v" in text:  # else each run is one " "
        if "\u1680" in text or "\u2028" in text or "\u2029" in text:
            text = _SPACE.sub(" ", text)
        else:
            # The only whitespace left is " ", "\t" and "\n" (NFKC, _FOLD and _CONTROL took the
            # rest out but for the three above): splitting a line at whitespace and joining its
            # words with " " is what collapsing its runs and stripping it does, in a fraction
            # of the time the pattern takes on indented markup.
            if "\n" in text:
                return "\n".join([line for line in map(_words, text.split("\n")) if line])
            return " ".join(text.split())
    if "\n" in text:
        return lines(text)
    return text.strip()


def _words(line: str) -> str:
    return " ".join(line.split())


def lines(text: str) -> str:
    r"""`re.sub(r"\s*\n\s*", "\n", text).strip()`: each run of whitespace holding a line break
    becomes one line break, and none is left at either end. Splitting costs a few string
    operations where the pattern is tried at every character."""
    return "\n".join([line for line in map(str.strip, text.split("\n")) if line])


def printable(text: str | None) -> str:
    """Text safe to print in a terminal: control characters shown as visible escapes.

    Stored wording is already normalised; this guards what older archives or error messages hold.
    """
    if not text:
        return ""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def marked_diff(diff: Iterable[Sequence[object]]) -> str:
    """A diff as wdiff-style text: `[-deleted-]{+inserted+}`, readable in any plain medium."""
    parts = []
    for op, text in diff:
        if op == -1:
            parts.append(f"[-{text}-]")
        elif op == 1:
            parts.append(f"{{+{text}+}}")
        else:
            parts.append(str(text))
    return "".join(parts)
