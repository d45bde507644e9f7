"""Statuspage as people see it: the HTML status page and the history.atom / history.rss feeds.

Both show each update as a block of markup — a status in <strong>, the words, and the displayed
time in <small> ("Aug <var>22</var>, <var>03:43</var> UTC") — and no update ids. An update is
keyed by its displayed time, so a rewrite under the same time reads as an edit of that update.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

from ..models import COVERAGE_WINDOW, Document, Incident, Update
from . import dom
from .decode import fail
from .dom import Node
from .feeds import FeedItem, read_feed
from .furniture import strip_furniture
from .markup import node_text, parse_html, parse_markup
from .shape import present, unique
from .times import displayed_to_utc, in_range, parse_moment, to_utc

FORMAT = "statuspage"

_INCIDENT_LINK = re.compile(r"/incidents/([A-Za-z0-9_-]+)")
_CONTAINER = ".unresolved-incident, .scheduled-maintenance, .incident-container"
_MARKUP = ".incidents-list, .page-status, .unresolved-incidents, .incident-container"
_IMPACT = re.compile(r"^impact-(\w+)$")
_DAY = re.compile(r"([A-Z][a-z]{2})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})")
_POSTED = re.compile(r"^[\s.\u00b7\u2022,|-]*(?:Posted\b[\s.\u00b7\u2022,|:-]*)?")
_SEPARATOR = re.compile(r"^\s*[-\u2013\u2014]\s*")


@dataclass(frozen=True)
class _Block:
    label: str  # "Resolved", "Update", "In progress"
    displayed: str  # "Aug 22, 03:43 UTC"
    body: str


def from_page(body: bytes, content_type: str | None, url: str | None) -> Document:
    root = parse_html(FORMAT, body, content_type)
    if dom.first(root, _MARKUP) is None:
        raise fail(
            FORMAT,
            "the HTML page has no Statuspage markup (no incidents list, page status or incident "
            "containers): it is another kind of page, or the server sent an error page; use the "
            "'html' format for pages not hosted by Statuspage",
        )
    rendered = _rendered_at(root)
    base = url or _canonical(root)
    incidents: dict[str, Incident] = {}
    for container in dom.find_all(root, _CONTAINER):
        incident = _page_incident(container, _day_of(container) or rendered, base)
        # An open incident is shown twice: at the top and under today's date.
        incidents.setdefault(incident.key, incident)
    page_status = dom.first(root, ".page-status")
    status = dom.first(page_status, ".status") if page_status else None
    title = dom.first(root, "title")
    page = present(
        name=node_text(title) if title else "", status=node_text(status) if status else ""
    )
    return Document(FORMAT, tuple(incidents.values()), COVERAGE_WINDOW, page)


def from_feed(body: bytes) -> Document:
    feed = read_feed(FORMAT, body)
    incidents: dict[str, Incident] = {}
    for item in feed.items:
        incident = _feed_incident(item)
        incidents.setdefault(incident.key, incident)
    return Document(FORMAT, tuple(incidents.values()), COVERAGE_WINDOW, present(title=feed.title))


def _feed_incident(item: FeedItem) -> Incident:
    content = parse_markup(FORMAT, item.content)
    top = dom.body(content)
    paragraphs = [child for child in dom.children(top) if child.tag == "p"] or [top]
    reference = parse_moment(item.published) or parse_moment(item.updated)
    updates = _updates([_read_block(p) for p in paragraphs], reference)
    link = _INCIDENT_LINK.search(item.link or "")
    return Incident(
        key=link.group(1) if link else item.guid or f"title:{item.title}",
        title=item.title,
        status=updates[0].status if updates else None,
        url=item.link,
        created_at=_earliest(updates),
        updates=updates,
        meta={"published": to_utc(item.published), "updated": to_utc(item.updated)},
    )


def _page_incident(container: Node, reference: datetime | None, base: str | None) -> Incident:
    heading = dom.first(container, ".incident-title")
    link = _incident_link(heading or container)
    title = node_text(link or heading or container)
    href = dom.attr(link, "href") if link else None
    match = _INCIDENT_LINK.search(href) if href else None
    blocks = dom.find_all(container, ".update")
    updates = _updates([_read_block(b) for b in blocks], reference)
    return Incident(
        key=match.group(1) if match else f"title:{title}",
        title=title,
        status=updates[0].status if updates else None,
        impact=_impact(heading) or _impact(container),
        url=_join(base, href),
        created_at=_earliest(updates),
        updates=updates,
    )


def _incident_link(node: Node) -> Node | None:
    for link in dom.find_all(node, "a[href]"):
        if _INCIDENT_LINK.search(dom.attr(link, "href") or ""):
            return link
    return None


def _read_block(block: Node) -> _Block:
    # "Posted <span class=ago>5 minutes ago</span>" is filled in by the page's script: volatile.
    skip = {ago.mem_id for ago in dom.find_all(block, ".ago")}
    strong, small = _outside(block, "strong", skip), _outside(block, "small", skip)
    label = node_text(strong, skip) if strong else ""
    displayed = node_text(small, skip) if small else ""
    skip.update(part.mem_id for part in (strong, small) if part)
    # "Posted 12 minutes ago. Aug 22, 03:43 UTC" when the page, not its script, wrote the age.
    displayed = _POSTED.sub("", strip_furniture(displayed))
    return _Block(label, displayed, _SEPARATOR.sub("", node_text(block, skip)))


def _outside(block: Node, selector: str, skip: set[int]) -> Node | None:
    """The first match not inside a skipped element (or inside the other part)."""
    for match in dom.find_all(block, selector):
        parent = match.parent
        while parent is not None and parent.mem_id != block.mem_id:
            if parent.mem_id in skip:
                break
            parent = parent.parent
        else:
            if match.mem_id not in skip:
                return match
    return None


def _updates(blocks: list[_Block], reference: datetime | None) -> tuple[Update, ...]:
    posted = [displayed_to_utc(block.displayed, reference) for block in blocks]
    # Without a readable time, the displayed text, then the position counted from the oldest
    # update (new ones are added at the top), keep the key stable.
    keys = unique(
        time or block.displayed or f"update[{len(blocks) - position}]"
        for position, (time, block) in enumerate(zip(posted, blocks, strict=True))
    )
    return tuple(
        Update(
            key=key,
            posted_at=time,
            status=block.label.lower().replace(" ", "_") or None,
            fields={"body": block.body},
            meta={"displayed": block.displayed or None},
        )
        for key, time, block in zip(keys, posted, blocks, strict=True)
    )


def _earliest(updates: tuple[Update, ...]) -> str | None:
    times = [update.posted_at for update in updates if update.posted_at]
    return min(times) if times else None


def _impact(node: Node | None) -> str | None:
    for name in dom.classes(node) if node else ():
        match = _IMPACT.match(name)
        if match:
            return match.group(1)
    return None


def _day_of(container: Node) -> datetime | None:
    """The date heading a past incident is listed under ("Jan 12, 2021")."""
    day = dom.ancestor(container, "status-day")
    heading = dom.first(day, ".date") if day else None
    match = _DAY.search(node_text(heading)) if heading else None
    if not match:
        return None
    try:  # noon, so that the day is the same in every time zone a page may use
        noon = datetime.strptime(" ".join(match.groups()), "%b %d %Y")
    except ValueError:
        return None
    return in_range(noon.replace(hour=12, tzinfo=UTC))  # not a reference if out of range


def _canonical(root: Node) -> str | None:
    link = dom.first(root, 'link[rel="canonical"]')
    return dom.attr(link, "href") if link else None


def _rendered_at(root: Node) -> datetime | None:
    # Only a reference for the year of "Mar 24, 15:10 UTC"-style times; never stored, since it
    # changes on every request.
    issued = dom.first(root, 'meta[name="issued"]')
    return parse_moment(dom.attr(issued, "content")) if issued else None


def _join(base: str | None, href: str | None) -> str | None:
    """The incident link made absolute; a link urllib cannot read (`http://[`) stays as is."""
    if not (base and href):
        return href
    try:
        return urljoin(base, href)
    except ValueError:
        return href
