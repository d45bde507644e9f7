"""HTML → text: whole pages and small fragments (Statuspage bodies, feed descriptions)."""

from __future__ import annotations

import re
from collections.abc import Collection

from ..memo import Memo
from ..text import normalize
from . import dom
from .decode import check_not_binary, decode_html, fail

_TAG_LIKE = re.compile(r"<(?:/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|!--)")
# A body that opens as a whole document: "<!DOCTYPE html>" or "<html", after whitespace, an XML
# declaration or comments. Searched in the first few kilobytes only.
_DOCUMENT_START = re.compile(
    r"(?:\s|<\?xml[^>]*>|<!--.*?-->)*(?:<!doctype\s+html|<html[\s>])", re.IGNORECASE | re.DOTALL
)
_DOCUMENT_END = re.compile(r"</html\s*>", re.IGNORECASE)


def parse_html(fmt: str, body: bytes, content_type: str | None) -> dom.Node:
    """A whole page as a tree."""
    return parse_markup(fmt, decode_page(fmt, body, content_type))


def decode_page(fmt: str, body: bytes, content_type: str | None) -> str:
    """A whole page's text; refused when it is empty, binary or cut short."""
    check_not_binary(fmt, body)
    markup = decode_html(body, content_type)
    check_complete(fmt, markup)
    return markup


def check_complete(fmt: str, markup: str) -> None:
    """Refuse a document that never reaches </html>.

    A connection closed mid-page without a Content-Length parses fine and would be stored as
    a version in which every later incident was removed. Anything after </html> (comments,
    a script a proxy appended) is accepted: the document itself arrived whole. Fragments
    (no doctype, no <html>) cannot be checked this way and are read as they are.
    """
    if _DOCUMENT_START.match(markup[:4096]) and not _ends_document(markup):
        raise fail(
            fmt,
            "the page ends before </html>: it is probably truncated (a connection closed "
            "early); it will be fetched again",
        )


def _ends_document(markup: str) -> bool:
    """Whether `markup` holds a `</html>`: nearly always in its last bytes, and looking there
    first spares a pass of the pattern over a page of 150 KB."""
    return bool(_DOCUMENT_END.search(markup, len(markup) - 256) or _DOCUMENT_END.search(markup))


def parse_markup(fmt: str, markup: str) -> dom.Node:
    """Markup already decoded (a feed entry's content, an AWS description) as a tree."""
    try:
        return dom.parse(markup)
    except ValueError as exc:
        raise fail(fmt, f"the HTML cannot be parsed: {exc}") from None


def node_text(node: dom.Node, skip: Collection[int] = ()) -> str:
    """An element's visible words, normalised (without the elements whose mem_id is in `skip`)."""
    return normalize(dom.text(node, skip))


# The same fragments come back in every version of a page: each is parsed once.
_FRAGMENTS: Memo[str, str] = Memo(budget=8_000_000)


def fragment_to_text(fragment: str | None) -> str:
    """Vendor text that may hold HTML → plain words.

    Tags are dropped, block elements and <br> become line breaks, script and style content is
    dropped, every word is kept. Text without anything tag-like is only normalised, so a body
    saying "latency < 5 ms" keeps its "<".
    """
    if not fragment:
        return ""
    if not _TAG_LIKE.search(fragment):
        return normalize(fragment)
    return _FRAGMENTS.get(fragment, lambda: _markup_to_text(fragment))


def _markup_to_text(fragment: str) -> str:
    try:
        return normalize(dom.text(dom.parse(fragment)))
    except ValueError:  # markup the parser rejects: its characters are still the words
        return normalize(fragment)
