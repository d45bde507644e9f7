"""HTML → text: whole pages and small fragments (Statuspage bodies, feed descriptions)."""

from __future__ import annotations

import re

from ..text import normalize
from . import dom
from .decode import check_not_binary, decode_html, fail

_TAG_LIKE = re.compile(r"<(?:/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|!--)")


def parse_html(fmt: str, body: bytes, content_type: str | None) -> dom.Node:
    """A whole page as a tree."""
    check_not_binary(fmt, body)
    return parse_markup(fmt, decode_html(body, content_type))


def parse_markup(fmt: str, markup: str) -> dom.Node:
    """Markup already decoded (a feed entry's content, an AWS description) as a tree."""
    try:
        return dom.parse(markup)
    except ValueError as exc:
        raise fail(fmt, f"the HTML cannot be parsed: {exc}") from None


def node_text(node: dom.Node) -> str:
    """An element's visible words, normalised."""
    return normalize(node.text())


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
    try:
        return normalize(dom.parse(fragment).text())
    except ValueError:  # markup the parser rejects: its characters are still the words
        return normalize(fragment)
