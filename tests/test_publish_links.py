"""--base-url: the report, the feed and `diff --json` link and describe edits for publishing."""

from __future__ import annotations

import json
import os
import stat
import xml.etree.ElementTree as ET

from test_pipeline import seed_case
from test_robots import BODY, JSON

NS = {"a": "http://www.w3.org/2005/Atom", "x": "http://www.w3.org/1999/xhtml"}
BASE = "https://news.example.org/status/"


def self_links(root: ET.Element) -> list[ET.Element]:
    return [link for link in root.findall("a:link", NS) if link.get("rel") == "self"]


def test_feed_links_to_dossiers_under_the_base_url(tracker, httpserver):
    seed_case(tracker, httpserver)
    root = ET.fromstring(tracker("feed", "--base-url", BASE).stdout.encode())
    (self_link,) = self_links(root)
    assert self_link.get("href") == BASE + "feed.xml"
    (entry,) = root.findall("a:entry", NS)
    (edit,) = tracker.json("changes", "--json")
    href = entry.find("a:link", NS).get("href")
    assert href.startswith(BASE + "incidents/apple-") and href.endswith(f"#edit-{edit['id']}")
    content = entry.find("a:content", NS)
    assert content.get("type") == "xhtml"
    (div,) = list(content)  # RFC 4287 §4.1.3.3: one xhtml div, nothing else
    assert div.tag == "{http://www.w3.org/1999/xhtml}div" and not (content.text or "").strip()
    assert [d.text for d in div.iter("{http://www.w3.org/1999/xhtml}del")] == ["30 percent of"]
    assert [i.text for i in div.iter("{http://www.w3.org/1999/xhtml}ins")] == ["some"]
    assert "quantity_vagued" in "".join(div.itertext())
    assert "[-30 percent of-]{+some+}" in entry.findtext("a:summary", namespaces=NS)


def test_the_dossier_link_points_at_a_page_the_report_writes(tracker, home, httpserver, tmp_path):
    seed_case(tracker, httpserver)
    tracker("config", "base-url", BASE)
    tracker("run", "-q")
    feed = ET.fromstring((home / "feed.xml").read_bytes())
    href = feed.find("a:entry/a:link", NS).get("href")
    page, anchor = href.removeprefix(BASE).split("#")
    html = (home / "report" / page).read_text("utf-8")
    assert f'id="{anchor}"' in html
    assert (home / "report" / "feed.xml").read_bytes() == (home / "feed.xml").read_bytes()
    index = (home / "report" / "index.html").read_text("utf-8")
    alternate = '<link rel="alternate" type="application/atom+xml" title="Edits (Atom)"'
    assert f'{alternate} href="{BASE}feed.xml">' in index
    for path in (home / "feed.xml", home / "report" / "index.html", home / "report" / page):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert tracker("config", "base-url").output == BASE + "\n"
    tracker("config", "base-url", "--unset")
    assert "not set" in tracker("config", "base-url").output


def test_without_a_base_url_entries_link_the_incident_page_else_the_source(
    tracker, httpserver, tmp_path
):
    seed_case(tracker, httpserver)  # Apple's notices have no page of their own
    entry = ET.fromstring(tracker("feed").stdout.encode()).find("a:entry", NS)
    assert entry.find("a:link", NS).get("href") == httpserver.url_for(
        "/support/systemstatus/data/system_status_en_US.js"
    )
    assert self_links(ET.fromstring(tracker("feed").stdout.encode())) == []
    tracker("report", "-o", str(tmp_path / "out"))
    index = (tmp_path / "out" / "index.html").read_text("utf-8")
    assert 'href="feed.xml"' in index and (tmp_path / "out" / "feed.xml").exists()
    dossier = next((tmp_path / "out" / "incidents").glob("*.html")).read_text("utf-8")
    assert 'href="../feed.xml"' in dossier


def test_statuspage_entries_link_the_vendors_incident_page(tracker, httpserver):
    page = json.loads(BODY)
    page["page"]["url"] = "https://status.example.com"
    httpserver.expect_request("/api.json").respond_with_data(json.dumps(page), content_type=JSON)
    tracker("add", httpserver.url_for("/api.json"), "--name", "ex", "--format", "statuspage")
    tracker("fetch")
    page["incidents"][0]["incident_updates"][0]["body"] = "All users saw errors."
    httpserver.clear()
    httpserver.expect_request("/api.json").respond_with_data(json.dumps(page), content_type=JSON)
    tracker("fetch")
    entry = ET.fromstring(tracker("feed").stdout.encode()).find("a:entry", NS)
    assert entry.find("a:link", NS).get("href") == "https://status.example.com/incidents/inc1"


def test_a_bad_base_url_is_one_line(tracker, httpserver):
    seed_case(tracker, httpserver)
    result = tracker("feed", "--base-url", "javascript:alert(1)", code=2)
    assert result.stderr.startswith("tracker: base URL 'javascript:alert(1)' must be")


def test_diff_json(tracker, httpserver):
    seed_case(tracker, httpserver)
    data = tracker.json("diff", "apple", "--json")
    assert data["source"] == "apple" and data["old"]["id"] < data["new"]["id"]
    (event,) = [e for e in data["events"] if e["kind"] == "update_edited"]
    assert "[-30 percent of-]{+some+}" in event["diff_text"]
    assert [-1, "30 percent of"] in event["diff"] and "quantity_vagued" in event["flags"]
