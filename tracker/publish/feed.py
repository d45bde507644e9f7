"""An Atom feed (RFC 4287) of edit events, newest first, for feed readers and newsrooms' tools.

Built with ElementTree, which escapes markup; characters XML 1.0 cannot hold at all (most
control characters, U+FFFE/U+FFFF, lone surrogates) are removed first, so the feed is
well-formed whatever the scraped text contains.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

from tracker.models import EditRecord, Head
from tracker.publish.describe import (
    display_diff,
    event_label,
    event_summary,
    verdict_text,
    window_text,
)
from tracker.publish.feed_xhtml import XHTML, xhtml_content
from tracker.publish.report.safety import safe_href
from tracker.text import marked_diff
from tracker.times import rfc3339, sort_key

ATOM = "http://www.w3.org/2005/Atom"
TAG_AUTHORITY = "tag:status-tracker,2026:"
# An entry's link: its dossier, the vendor's incident page or the tracked page (publish.links).
LinkFor = Callable[[EditRecord], str | None]
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """`value` as text XML 1.0 can carry: characters it forbids are dropped."""
    return _NOT_XML.sub("", "" if value is None else str(value))


def chain_head_text(head: Head) -> str:
    return (
        f"Archive chain head {head.hash} ({head.count} fetch records); "
        f"check it with: tracker verify --head {head.hash}"
    )


def entry_id(record: EditRecord) -> str:
    return record.entry_id


def _content(record: EditRecord) -> str:
    event = record.event
    lines = [f"{event_label(event)} {window_text(record)}."]
    if event.verdict:
        lines.append(verdict_text(event))
    elif event.silent:
        lines.append("Silent: no new update was posted and the displayed time did not change.")
    if event.announced_by:
        lines.append(f"Announced by: {event.announced_by}")
    if event.keys:
        lines.append(f"Items ({event.count}): " + ", ".join(event.keys))
    if event.old is not None:
        lines += ["", "Before:", event.old]
    if event.new is not None:
        lines += ["", "After:", event.new]
    lines += ["", "Word diff:", marked_diff(display_diff(event))]
    if event.reasons:
        lines += ["", "Why it was flagged:", *(f"- {reason}" for reason in event.reasons)]
    after = f"snapshot {record.after.snapshot_id} (sha256 {record.after.sha256})"
    if record.before:
        before = f"snapshot {record.before.snapshot_id} (sha256 {record.before.sha256})"
        lines += ["", f"Evidence: between {before} and {after}."]
    else:
        lines += ["", f"Evidence: {after}."]
    return "\n".join(lines)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _entry(
    feed: ET.Element, record: EditRecord, updated: str, link_for: LinkFor | None = None
) -> None:
    entry = _sub(feed, "entry")
    _sub(entry, "id", entry_id(record))
    _sub(entry, "title", event_summary(record), type="text")
    _sub(entry, "updated", rfc3339(record.window_end, updated))
    author = _sub(entry, "author")
    _sub(author, "name", record.source)
    if link_for is None:
        href = safe_href(record.after.url) or safe_href(record.source_url)
    else:
        href = link_for(record)
    if href:
        _sub(entry, "link", rel="alternate", href=href)
    for flag in record.event.flags:
        _sub(entry, "category", term=flag)
    if record.event.silent:
        _sub(entry, "category", term="silent")
    # The text for readers that show a summary, the coloured diff for those that show content.
    _sub(entry, "summary", _content(record), type="text")
    xhtml_content(entry, record, xml_text, href)


def build_atom(
    records: Sequence[EditRecord],
    *,
    feed_id: str,
    title: str,
    updated: str,
    self_url: str | None = None,
    limit: int = 200,
    chain_head: Head | None = None,
    link_for: LinkFor | None = None,
) -> bytes:
    """The Atom document for the `limit` most recently observed edits, as UTF-8 bytes.

    With `chain_head`, the feed's subtitle names the archive's hash chain head, so a saved
    copy of the feed can later be checked with `tracker verify --head`.
    """
    ET.register_namespace("", ATOM)
    ET.register_namespace("xhtml", XHTML)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", feed_id)
    _sub(feed, "title", title, type="text")
    _sub(feed, "updated", rfc3339(updated, updated))
    if self_url:
        _sub(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    _sub(_sub(feed, "author"), "name", "status-tracker")
    _sub(feed, "generator", "status-tracker")
    if chain_head is not None:
        _sub(feed, "subtitle", chain_head_text(chain_head), type="text")
    newest = sorted(records, key=lambda r: (sort_key(r.window_end), r.id), reverse=True)
    for record in newest[: max(limit, 0)]:
        _entry(feed, record, rfc3339(updated, updated), link_for)
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document
