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

from bs4 import BeautifulSoup
from bs4.element import Tag

from ..models import COVERAGE_WINDOW, Document, Incident, Update
from .decode import fail
from .feeds import FeedItem, read_feed
from .markup import parse_fragment, parse_html, tag_text
from .shape import unique
from .times import displayed_to_utc, parse_moment, to_utc

FORMAT = "statuspage"

_INCIDENT_LINK = re.compile(r"/incidents/([A-Za-z0-9_-]+)")
_CONTAINERS = ".unresolved-incident, .scheduled-maintenance, .incident-container"
_MARKERS = ".incidents-list, .page-status, .unresolved-incidents, .incident-container"
_IMPACT = re.compile(r"^impact-(\w+)$")
_DAY = re.compile(r"([A-Z][a-z]{2})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})")
_SEPARATOR = re.compile(r"^\s*[-\u2013\u2014]\s*")


@dataclass(frozen=True)
class _Block:
    label: str  # "Resolved", "Update", "In progress"
    displayed: str  # "Aug 22, 03:43 UTC"
    body: str


def from_page(body: bytes, content_type: str | None, url: str | None) -> Document:
    soup = parse_html(FORMAT, body, content_type)
    if soup.select_one(_MARKERS) is None:
        raise fail(
            FORMAT,
            "the HTML page has no Statuspage markup (no incidents list, page status or incident "
            "containers): it is another kind of page, or the server sent an error page; use the "
            "'html' format for pages not hosted by Statuspage",
        )
    rendered = _rendered_at(soup)
    base = url or _canonical(soup)
    incidents: dict[str, Incident] = {}
    for container in soup.select(_CONTAINERS):
        incident = _page_incident(container, _day_of(container) or rendered, base)
        # An open incident is shown twice: at the top and under today's date.
        incidents.setdefault(incident.key, incident)
    status = soup.select_one(".page-status .status")
    page = {
        "name": tag_text(soup.title) if soup.title else "",
        "status": tag_text(status) if status else "",
    }
    return Document(
        FORMAT, tuple(incidents.values()), COVERAGE_WINDOW, {k: v for k, v in page.items() if v}
    )


def from_feed(body: bytes) -> Document:
    feed = read_feed(FORMAT, body)
    incidents: dict[str, Incident] = {}
    for item in feed.items:
        incident = _feed_incident(item)
        incidents.setdefault(incident.key, incident)
    page = {"title": feed.title} if feed.title else {}
    return Document(FORMAT, tuple(incidents.values()), COVERAGE_WINDOW, page)


def _feed_incident(item: FeedItem) -> Incident:
    soup = parse_fragment(item.content)
    paragraphs = soup.find_all("p", recursive=False) or [soup]
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


def _page_incident(container: Tag, reference: datetime | None, base: str | None) -> Incident:
    heading = container.select_one(".incident-title")
    link = (heading or container).find("a", href=_INCIDENT_LINK)
    title = tag_text(link if isinstance(link, Tag) else heading or container)
    href = str(link.get("href")) if isinstance(link, Tag) else None
    match = _INCIDENT_LINK.search(href) if href else None
    updates = _updates([_read_block(b) for b in container.select(".update")], reference)
    return Incident(
        key=match.group(1) if match else f"title:{title}",
        title=title,
        status=updates[0].status if updates else None,
        impact=_impact(heading) or _impact(container),
        url=urljoin(base, href) if base and href else href,
        created_at=_earliest(updates),
        updates=updates,
    )


def _read_block(block: Tag | BeautifulSoup) -> _Block:
    # "Posted <span class=ago>5 minutes ago</span>" is filled in by the page's script: volatile.
    for ago in block.select(".ago"):
        ago.decompose()
    strong, small = block.find("strong"), block.find("small")
    label = tag_text(strong) if isinstance(strong, Tag) else ""
    displayed = tag_text(small) if isinstance(small, Tag) else ""
    for part in (strong, small):
        if isinstance(part, Tag):
            part.extract()
    displayed = re.sub(r"^Posted\s*\.?\s*", "", displayed)
    return _Block(label, displayed, _SEPARATOR.sub("", tag_text(block)))


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


def _impact(tag: Tag | None) -> str | None:
    classes = tag.get("class") if tag is not None else None
    for name in classes or ():
        match = _IMPACT.match(str(name))
        if match:
            return match.group(1)
    return None


def _day_of(container: Tag) -> datetime | None:
    """The date heading a past incident is listed under ("Jan 12, 2021")."""
    day = container.find_parent(class_="status-day")
    heading = day.select_one(".date") if day else None
    match = _DAY.search(tag_text(heading)) if heading else None
    if not match:
        return None
    try:  # noon, so that the day is the same in every time zone a page may use
        day = datetime.strptime(" ".join(match.groups()), "%b %d %Y")
    except ValueError:
        return None
    return day.replace(hour=12, tzinfo=UTC)


def _canonical(soup: BeautifulSoup) -> str | None:
    link = soup.find("link", rel="canonical", href=True)
    return str(link["href"]) if isinstance(link, Tag) else None


def _rendered_at(soup: BeautifulSoup) -> datetime | None:
    # Only a reference for the year of "Mar 24, 15:10 UTC"-style times; never stored, since it
    # changes on every request.
    issued = soup.find("meta", attrs={"name": "issued"})
    value = issued.get("content") if isinstance(issued, Tag) else None
    moment = parse_moment(str(value)) if value else None
    return moment.astimezone(UTC) if moment else None
