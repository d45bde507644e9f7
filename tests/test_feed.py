"""The Atom feed: well-formed whatever scraped text holds, newest first, stable entry ids."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

from report_samples import apple_record, hostile_seed, hostile_strings, seed

from tracker.publish.feed import build_atom

NS = {"a": "http://www.w3.org/2005/Atom"}
FEED_ID = "tag:status-tracker,2026:feed"
UPDATED = "2026-03-02T08:00:00Z"


def parse(records, **options) -> ET.Element:
    options = {"feed_id": FEED_ID, "title": "Status page edits", "updated": UPDATED, **options}
    return ET.fromstring(build_atom(records, **options))


def test_feed_header_is_rfc4287():
    root = parse(seed()[0], self_url="https://news.example.org/edits.atom")
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert root.findtext("a:id", namespaces=NS) == FEED_ID
    assert root.findtext("a:title", namespaces=NS) == "Status page edits"
    assert root.findtext("a:updated", namespaces=NS) == UPDATED
    assert root.findtext("a:author/a:name", namespaces=NS) == "status-tracker"
    link = root.find("a:link", NS)
    assert (link.get("rel"), link.get("href")) == ("self", "https://news.example.org/edits.atom")


def test_entries_are_newest_first_and_limited():
    root = parse(seed()[0], limit=4)
    entries = root.findall("a:entry", NS)
    assert len(entries) == 4
    updated = [entry.findtext("a:updated", namespaces=NS) for entry in entries]
    assert updated == sorted(updated, reverse=True)
    assert updated[0] == "2023-10-06T11:45:02Z"


def test_apple_entry_has_title_content_and_categories():
    (entry,) = parse([apple_record()]).findall("a:entry", NS)
    assert (
        entry.findtext("a:title", namespaces=NS)
        == "apple: silent edit to iMessage — quantity_vagued"
    )
    assert entry.findtext("a:updated", namespaces=NS) == "2013-07-23T16:40:03Z"
    assert entry.findtext("a:author/a:name", namespaces=NS) == "apple"
    content = entry.find("a:summary", NS)
    assert content.get("type") == "text"
    assert "30 percent of users were affected." in content.text
    assert "some users were affected." in content.text
    assert "[-30 percent of-]{+some+} users were affected." in content.text
    assert 'quantity_vagued: "30 percent of" became "some"' in content.text
    assert "between 22 Jul 2013, 21:05 UTC and 23 Jul 2013, 16:40 UTC" in content.text
    assert apple_record().after.sha256 in content.text
    terms = [category.get("term") for category in entry.findall("a:category", NS)]
    assert terms == ["quantity_vagued", "silent"]
    link = entry.find("a:link", NS)
    assert link.get("href") == "https://www.apple.com/support/systemstatus/"


def test_entry_ids_are_stable_tag_uris_independent_of_row_ids():
    record = apple_record()
    renumbered = dataclasses.replace(record, id=9999)
    first = parse([record]).findtext("a:entry/a:id", namespaces=NS)
    again = parse([renumbered]).findtext("a:entry/a:id", namespaces=NS)
    assert first == again
    assert first.startswith("tag:status-tracker,2026:edit/apple/")
    ids = [
        entry.findtext("a:id", namespaces=NS) for entry in parse(seed()[0]).findall("a:entry", NS)
    ]
    assert len(set(ids)) == len(ids)


def test_hostile_text_keeps_the_feed_well_formed():
    records, _ = hostile_seed()
    raw = build_atom(records, feed_id=FEED_ID, title="]]></title><script>", updated=UPDATED)
    root = ET.fromstring(raw)
    assert root.findtext("a:title", namespaces=NS) == "]]></title><script>"
    entries = root.findall("a:entry", NS)
    assert len(entries) == len(hostile_strings())
    content = " ".join(entry.findtext("a:summary", namespaces=NS) for entry in entries)
    titles = " ".join(entry.findtext("a:title", namespaces=NS) for entry in entries)
    for hostile in hostile_strings():
        kept = "".join(
            char
            for char in hostile
            if char in "\t\n\r"
            or ("\x20" <= char <= "\ud7ff")
            or ("\ue000" <= char <= "\ufffd")
            or char > "\uffff"
        )
        assert kept in content
        assert kept[:60] in titles
    for forbidden in ("\x00", "\x01", "\x07", "\x1b", "\ufffe", "\uffff", "\ud800"):
        assert forbidden not in content
    assert "\u202e" in content
    links = [link.get("href") for link in root.iter("{http://www.w3.org/2005/Atom}link")]
    assert all(href.startswith(("http://", "https://")) for href in links)


def test_unreadable_times_fall_back_to_the_feed_time():
    record = dataclasses.replace(apple_record(), window_end="yesterday-ish")
    assert parse([record]).findtext("a:entry/a:updated", namespaces=NS) == UPDATED
