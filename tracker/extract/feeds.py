"""RSS 2.0, RSS 1.0 and Atom feeds: every item an incident with one update.

`read_feed` is shared with the Statuspage extractor, which splits a history feed's entries into
their updates.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from ..models import COVERAGE_WINDOW, Document, Incident, Update
from ..text import normalize
from .decode import fail, load_xml
from .markup import fragment_to_text
from .shape import present, unique
from .times import to_utc

FORMAT = "feed"


@dataclass(frozen=True)
class FeedItem:
    """One <item> or <entry>, its times as written (converted by the reader)."""

    guid: str | None
    link: str | None
    title: str
    published: str | None
    updated: str | None
    content: str  # HTML, or plain text when `content_is_html` is False
    content_is_html: bool = True


@dataclass(frozen=True)
class Feed:
    title: str
    items: tuple[FeedItem, ...]


def extract_feed(body: bytes, content_type: str | None, options: dict, url: str | None) -> Document:
    feed = read_feed(FORMAT, body)
    keys = unique((_item_key(item, position) for position, item in enumerate(feed.items)), False)
    incidents = tuple(_incident(key, item) for key, item in zip(keys, feed.items, strict=True))
    return Document(FORMAT, incidents, COVERAGE_WINDOW, present(title=feed.title))


def _incident(key: str, item: FeedItem) -> Incident:
    text = fragment_to_text(item.content) if item.content_is_html else normalize(item.content)
    published, updated = to_utc(item.published), to_utc(item.updated)
    update = Update(
        key="item",
        # What a reader shows as the item's date: RSS pubDate, Atom's updated.
        posted_at=updated or published,
        fields={"body": text},
        meta={"published": published, "updated": updated},
    )
    return Incident(
        key=key, title=item.title, url=item.link, created_at=published, updates=(update,)
    )


def _item_key(item: FeedItem, position: int) -> str:
    # A feed without ids or links leaves only the title and date; the position is the last
    # resort and makes any insertion look like an edit.
    fallback = f"{item.title}@{item.published}" if item.title and item.published else None
    return item.guid or item.link or fallback or f"item[{position + 1}]"


def read_feed(fmt: str, body: bytes) -> Feed:
    """Parse RSS 2.0 / RSS 1.0 (RDF) / Atom; namespaces are ignored, element names matter."""
    root = load_xml(fmt, body)
    name = _local(root.tag)
    if name == "feed":
        entries = [child for child in root if _local(child.tag) == "entry"]
        return Feed(_child_text(root, "title"), tuple(_atom_entry(e) for e in entries))
    if name == "rss":
        channel = _child(root, "channel")
        if channel is None:
            raise fail(fmt, "the RSS feed has no <channel>; it is not an RSS 2.0 feed")
        items = [child for child in channel if _local(child.tag) == "item"]
        return Feed(_child_text(channel, "title"), tuple(_rss_item(i) for i in items))
    if name == "RDF":
        channel = _child(root, "channel")
        items = [child for child in root if _local(child.tag) == "item"]
        title = _child_text(channel, "title") if channel is not None else ""
        return Feed(title, tuple(_rss_item(i) for i in items))
    raise fail(
        fmt,
        f"expected an RSS or Atom feed, found an XML document whose root is <{name}>; "
        "check the URL or choose another format",
    )


def _atom_entry(entry: ET.Element) -> FeedItem:
    links = [child for child in entry if _local(child.tag) == "link"]
    alternate = [link for link in links if link.get("rel", "alternate") == "alternate"]
    link = next(iter(alternate or links), None)
    href = normalize(link.get("href")) if link is not None else ""
    content = _child(entry, "content")
    if content is None:
        content = _child(entry, "summary")
    return FeedItem(
        guid=_child_text(entry, "id") or None,
        link=href or None,
        title=_child_text(entry, "title"),
        published=_child_text(entry, "published") or None,
        updated=_child_text(entry, "updated") or None,
        content=_atom_content(content),
        content_is_html=content is None or content.get("type", "text") != "text",
    )


def _atom_content(content: ET.Element | None) -> str:
    if content is None:
        return ""
    if content.get("type") == "xhtml":
        inner = "".join(ET.tostring(child, encoding="unicode") for child in content)
        return (content.text or "") + inner
    return content.text or ""


def _rss_item(item: ET.Element) -> FeedItem:
    encoded = _child(item, "encoded")  # content:encoded, the full text where a feed has both
    description = encoded if encoded is not None else _child(item, "description")
    return FeedItem(
        guid=_child_text(item, "guid") or None,
        link=_child_text(item, "link") or None,
        title=_child_text(item, "title"),
        published=_child_text(item, "pubDate") or _child_text(item, "date") or None,
        updated=None,
        content=(description.text or "") if description is not None else "",
    )


def _local(tag: object) -> str:
    # Comments and processing instructions have a function, not a string, as their tag.
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element: ET.Element, name: str) -> ET.Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _child_text(element: ET.Element, name: str) -> str:
    child = _child(element, name)
    return normalize("".join(child.itertext())) if child is not None else ""
