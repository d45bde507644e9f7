"""Any HTML page: headings become incidents, the blocks under them become updates.

A block is a paragraph, list item, table row (and the like), or loose text in a container.
Keys are structural — a section is its heading path (`h2[1]:Past incidents/h3[1]:Jan 12`), a
block its position among blocks of its kind in that section counted from the section's end
(`p[1]` is the last paragraph) — never the text alone, so a rewritten paragraph reads as an
edit of that paragraph, not a removal and an addition, and a paragraph added at the top (where
status pages put new updates) moves no other key.

Volatile parts of a page (render times, "last updated" lines, CSRF tokens, request ids, uptime
percentages, "5 minutes ago") are dropped, so fetching an unchanged page gives the same
document. Options: `select` (CSS of the part to keep), `ignore` (CSS of parts to drop).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import soupsieve
from bs4 import BeautifulSoup, ParserRejectedMarkup
from selectolax.lexbor import SelectolaxError
from soupsieve import SelectorSyntaxError

from ..models import COVERAGE_FULL, COVERAGE_WINDOW, Document, Incident, Update
from ..text import normalize
from . import dom
from .decode import fail
from .dom import Node
from .furniture import VOLATILE_NAMES, strip_furniture
from .layout import find_layout, read_incidents
from .markup import decode_page, node_text, parse_markup
from .shape import present

FORMAT = "html"

# Form controls go, forms stay: ASP.NET pages wrap their whole body in one <form>.
_DROPPED = frozenset(
    {
        "script", "style", "noscript", "template", "svg", "math", "title", "meta", "link", "base",
        "input", "button", "select", "textarea", "option", "iframe", "object", "embed",
        "canvas", "relative-time", "time-ago",
    }
)  # fmt: skip
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# For the Beautiful Soup pass of the CSS options: html.parser reports no end tag for `<br>`,
# and Beautiful Soup then scans a list of every such tag on each later end tag; a 5 MB page
# with many <br> took 30 s instead of 3. Written self-closing, void elements avoid that path.
_VOID = re.compile(
    r"<(area|base|br|col|embed|hr|img|input|link|meta|param|source|track|wbr)(\s[^<>]*?)?\s*/?>",
    re.IGNORECASE,
)
_LEAVES = frozenset(
    {"p", "li", "tr", "dt", "dd", "pre", "caption", "figcaption", "address", "summary"}
)
_CONTAINERS = frozenset(
    {
        "html", "body", "div", "section", "article", "main", "header", "footer", "nav",
        "aside", "ul", "ol", "dl", "menu", "table", "thead", "tbody", "tfoot", "td", "th",
        "blockquote", "figure", "details", "fieldset", "form", "center", "hgroup",
    }
)  # fmt: skip
_BLOCKISH = frozenset(_HEADINGS) | _LEAVES | _CONTAINERS
_IGNORED = "data-status-tracker-ignored"  # marks what the `ignore` option matched
_NUMBER = "data-status-tracker-number"  # numbers elements for a soupsieve-only selector
_HIDDEN = ", ".join(("[hidden]", '[aria-hidden="true"]', f"[{_IGNORED}]"))


@dataclass(frozen=True)
class _Outer:
    """ids of the elements that hold blocks, and of those that hold headings, inside them."""

    blocks: set[int]
    headings: set[int]


@dataclass
class _Section:
    key: str
    title: str
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (tag, text)


def extract_html(body: bytes, content_type: str | None, options: dict, url: str | None) -> Document:
    select, ignore = _options(options)
    markup = decode_page(FORMAT, body, content_type)
    root = parse_markup(FORMAT, markup)
    title_tag = dom.first(root, "title")
    title = _clean(node_text(title_tag)) if title_tag else ""
    if select or ignore:
        root = _narrow(root, select, ignore)
    skip = _invisible(root)
    layout = find_layout(root, skip)
    incidents = read_incidents(layout, skip) if layout else ()
    if incidents:
        # Incidents fall off the bottom of such a page as they age: a window, not the archive.
        return Document(FORMAT, incidents, COVERAGE_WINDOW, present(title=title))
    sections = _sections(root, skip)
    if not sections:
        raise fail(
            FORMAT,
            "the page has no visible text outside scripts and forms; it is probably drawn by "
            "JavaScript: track its JSON API or feed instead",
        )
    incidents = tuple(_incident(section) for section in sections)
    return Document(FORMAT, incidents, COVERAGE_FULL, present(title=title))


def _options(options: dict[str, Any]) -> tuple[str | None, list[str]]:
    select = options.get("select") or None
    ignore = options.get("ignore") or []
    if isinstance(ignore, str):
        ignore = [ignore]
    if select is not None and not isinstance(select, str):
        raise fail(FORMAT, f"option 'select' must be a CSS selector, got {select!r}")
    if not isinstance(ignore, list) or not all(isinstance(i, str) for i in ignore):
        raise fail(FORMAT, f"option 'ignore' must be a list of CSS selectors, got {ignore!r}")
    return select, ignore


def _narrow(root: Node, select: str | None, ignore: list[str]) -> Node:
    """Apply the CSS options: the elements `ignore` matches are marked (and left out on
    reading); the tree returned holds only what `select` matched, outermost matches once."""
    for selector in ignore:
        for node in _select(root, selector, "ignore"):
            node.attrs[_IGNORED] = ""
    if not select:
        return root
    matched = _select(root, select, "select")
    if not matched:
        raise fail(
            FORMAT,
            f"the 'select' selector {select!r} matched nothing on this page; the page's layout "
            "may have changed, or an error page was served",
        )
    chosen = {node.mem_id for node in matched}
    kept = [node.html or "" for node in matched if not dom.enclosed_by(node, chosen)]
    return parse_markup(FORMAT, "\n".join(kept))


def _select(root: Node, selector: str, option: str) -> list[Node]:
    """Matches in document order. Lexbor reads CSS Selectors level 4; selectors only
    soupsieve knows (`:-soup-contains()`, `:contains()`) are run by soupsieve on a copy of
    the same tree, so every selector that worked before still works."""
    try:
        return list(root.css(selector))
    except SelectolaxError:
        pass
    try:
        compiled = soupsieve.compile(selector)
    except (SelectorSyntaxError, ValueError, NotImplementedError) as exc:
        message = f"option {option!r}: {selector!r} is not a valid CSS selector ({exc})"
        raise fail(FORMAT, message) from None
    return _select_with_soupsieve(root, compiled)


def _select_with_soupsieve(root: Node, compiled: Any) -> list[Node]:
    # Number every element, let soupsieve match on a Beautiful Soup copy built from the
    # serialised tree (void elements self-closed: html.parser is quadratic on bare <br>),
    # and map the numbers back.
    nodes = list(dom.elements(root))
    for number, node in enumerate(nodes):
        node.attrs[_NUMBER] = str(number)
    markup = _VOID.sub(_self_closing, root.html or "")
    try:
        soup = BeautifulSoup(markup, "html.parser")
    except ParserRejectedMarkup as exc:
        raise fail(FORMAT, f"the HTML cannot be parsed: {exc}") from None
    found = []
    for tag in compiled.select(soup):
        number = tag.get(_NUMBER)
        if isinstance(number, str) and number.isdigit() and int(number) < len(nodes):
            found.append(nodes[int(number)])
    for node in nodes:
        del node.attrs[_NUMBER]
    return found


def _self_closing(match: re.Match[str]) -> str:
    return f"<{match.group(1)}{match.group(2) or ''}/>"


def _invisible(root: Node) -> set[int]:
    """mem_ids of the elements no reader sees, or that hold per-request values."""
    # By name in one walk: Lexbor goes over the tree once per selector of a list, and a list of
    # the twenty dropped names costs three times the walk.
    skip = {node.mem_id for node in root.traverse() if node.tag in _DROPPED}
    skip.update(node.mem_id for node in root.css(_HIDDEN))
    # A page repeats a few class attributes on hundreds of elements: each value is judged once.
    volatile: dict[tuple[str | None, str | None], bool] = {}
    for node in root.css("[class], [id]"):
        marks = (node.attrs.get("class"), node.id)  # (`attributes` would build a dict)
        found = volatile.get(marks)
        if found is None:
            names = (*(marks[0] or "").split(), marks[1] or "")
            found = any(VOLATILE_NAMES.search(name) for name in names if name)
            volatile[marks] = found
        if found:
            skip.add(node.mem_id)
    return skip


def _sections(root: Node, skip: set[int]) -> list[_Section]:
    top = _Section("top", "")
    sections = [top]
    path: list[tuple[int, str]] = []  # (heading level, key so far)
    seen: Counter[tuple[str, str]] = Counter()
    outer = _Outer(dom.holders(root, _BLOCKISH), dom.holders(root, frozenset(_HEADINGS)))
    for kind, tag, text in _events(root, outer, skip):
        if kind == "block":
            sections[-1].blocks.append((tag, text))
            continue
        level = int(tag[1])
        while path and path[-1][0] >= level:
            path.pop()
        parent = path[-1][1] if path else ""
        # Numbered among same-named siblings only, so a new section elsewhere shifts no key.
        seen[(parent, f"{tag}:{text}")] += 1
        segment = f"{tag}[{seen[parent, f'{tag}:{text}']}]:{text[:100]}"
        key = f"{parent}/{segment}" if parent else segment
        path.append((level, key))
        sections.append(_Section(key, text))
    if not top.blocks:
        sections.remove(top)
    return sections


def _incident(section: _Section) -> Incident:
    # Counted from the section's last block: status pages add updates at the top, so the
    # oldest block keeps `p[1]` and a new paragraph is one added update, not every one edited.
    counts: Counter[str] = Counter()
    updates = []
    for tag, text in reversed(section.blocks):
        counts[tag] += 1
        updates.append(Update(key=f"{tag}[{counts[tag]}]", fields={"text": text}))
    return Incident(key=section.key, title=section.title, updates=tuple(reversed(updates)))


def _events(root: Node, outer: _Outer, skip: set[int]) -> Iterator[tuple[str, str, str]]:
    """("heading", "h2", text) and ("block", "p", text) in document order.

    Iterative on purpose: a page of 10,000 nested <div>s must not exhaust Python's stack.
    """
    stack: list[tuple[str, Iterator[Node], list[str]]] = [(root.tag or "-", dom.children(root), [])]
    while stack:
        name, children, loose = stack[-1]
        for child in children:  # resumed where it stopped when a container inside was entered
            tag = child.tag or "-"
            if tag == dom.TEXT:
                loose.append(child.text_content or "")
            elif tag[0] == "-" or child.mem_id in skip:
                continue
            elif tag in _HEADINGS:
                if loose:
                    yield from _flush(name, loose)
                text = _clean(node_text(child, skip))
                if text:
                    yield ("heading", tag, text)
            elif tag in _LEAVES and child.mem_id not in outer.headings:
                if loose:
                    yield from _flush(name, loose)
                text = _clean(node_text(child, skip))
                if text:
                    yield ("block", tag, text)
            elif tag in _CONTAINERS or child.mem_id in outer.blocks:
                if loose:
                    yield from _flush(name, loose)
                stack.append((tag, dom.children(child), []))
                break
            else:
                loose.append(dom.text(child, skip))
        else:
            stack.pop()
            if loose:
                yield from _flush(name, loose)


def _flush(name: str, loose: list[str]) -> Iterator[tuple[str, str, str]]:
    """Loose text (text not inside any block) as a block named after its container."""
    if not loose:
        return
    text = _clean(normalize("".join(loose)))
    loose.clear()
    if text:
        yield ("block", name if name in _BLOCKISH else "text", text)


def _clean(text: str) -> str:
    """Normalised text without its volatile parts; "" when no word is left."""
    return strip_furniture(text)
