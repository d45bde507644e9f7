"""HTML → text: whole pages as Beautiful Soup trees, small fragments straight to words."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from bs4 import BeautifulSoup, ParserRejectedMarkup
from bs4.element import Tag

from ..text import normalize
from .decode import check_not_binary, decode_html, fail

# Elements whose content is never text a reader sees.
INVISIBLE = frozenset(
    {"script", "style", "noscript", "template", "svg", "math", "head", "title", "meta", "link"}
)
# Elements that start a new line when rendered.
BREAKING = frozenset(
    {
        "p", "div", "li", "tr", "ul", "ol", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot",
        "section", "article", "header", "footer", "main", "nav", "aside", "blockquote", "pre",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "br", "figure", "figcaption", "address",
        "details", "summary", "caption", "center", "form", "fieldset",
    }
)  # fmt: skip
# html.parser never sees an end tag for `<br>`; Beautiful Soup then remembers every such tag
# in a list it scans on each later end tag, which made a 5 MB page with many <br> take 30 s
# instead of 3. Written self-closing (`<br/>`), void elements take the linear path.
_VOID = re.compile(
    r"<(area|base|br|col|embed|hr|img|input|link|meta|param|source|track|wbr)(\s[^<>]*?)?\s*/?>",
    re.IGNORECASE,
)
_TAG_LIKE = re.compile(r"<(?:/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|!--)")


def parse_html(fmt: str, body: bytes, content_type: str | None) -> BeautifulSoup:
    """A whole page as a tree; `<br>` becomes a newline so text keeps its lines."""
    check_not_binary(fmt, body)
    try:
        return parse_fragment(decode_html(body, content_type))
    except ParserRejectedMarkup as exc:
        raise fail(fmt, f"the HTML cannot be parsed: {exc}") from None


def parse_fragment(markup: str) -> BeautifulSoup:
    """Markup already decoded (a feed entry's content) as a tree, <br> as a newline."""
    soup = BeautifulSoup(_VOID.sub(_self_closing, markup), "html.parser")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    return soup


def _self_closing(match: re.Match[str]) -> str:
    return f"<{match.group(1)}{match.group(2) or ''}/>"


def tag_text(tag: Tag) -> str:
    """A tree element's visible words, normalised."""
    return normalize(tag.get_text())


def fragment_to_text(fragment: str | None) -> str:
    """Vendor text that may hold HTML (Statuspage bodies, feed descriptions) → plain words.

    Tags are dropped, block elements and <br> become line breaks, script and style content is
    dropped, every word is kept. Text without anything tag-like is only normalised, so a body
    saying "latency < 5 ms" keeps its "<".
    """
    if not fragment:
        return ""
    if not _TAG_LIKE.search(fragment):
        return normalize(fragment)
    parser = _TextParser()
    parser.feed(fragment)
    parser.close()
    return normalize("".join(parser.parts))


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in INVISIBLE and tag not in ("meta", "link"):
            self._hidden += 1
        elif tag in BREAKING:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BREAKING:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in INVISIBLE and tag not in ("meta", "link"):
            self._hidden = max(0, self._hidden - 1)
        elif tag in BREAKING:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)
