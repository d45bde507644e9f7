"""Generic HTML in a common status-page layout: repeated incident blocks become incidents with
dated updates, page chrome is not read, keys survive insertions and edits, and per-request
noise never changes the document. Pages come from `benchmarks.sitegen`."""

from __future__ import annotations

import json

import pytest

from benchmarks import sitegen
from tracker.extract import extract
from tracker.models import COVERAGE_WINDOW, Document

LAYOUTS = [0, 1]  # page 0: <div class="incident">; page 1: <article> with <time>


def read(body: bytes) -> Document:
    return extract("html", body, "text/html; charset=utf-8")


def changed(before: Document, after: Document) -> list[tuple[str, str]]:
    old = {(i.key, u.key): u for i in before.incidents for u in i.updates}
    new = {(i.key, u.key): u for i in after.incidents for u in i.updates}
    return sorted(key for key in old.keys() | new.keys() if old.get(key) != new.get(key))


@pytest.mark.parametrize("index", LAYOUTS)
def test_sixty_incidents_with_their_updates(index: int) -> None:
    body = sitegen.page_bytes(index)
    assert 120_000 < len(body) < 220_000
    content = sitegen.site(index)
    document = read(body)
    assert document.coverage == COVERAGE_WINDOW
    assert len(document.incidents) == sitegen.INCIDENTS
    for incident, expected in zip(document.incidents, content.incidents, strict=True):
        assert incident.title == expected.title
        assert [u.text for u in incident.updates] == [u.text for u in expected.updates]
        assert [u.status for u in incident.updates] == [u.status.lower() for u in expected.updates]
        assert [u.posted_at for u in incident.updates] == [
            f"{u.posted:%Y-%m-%dT%H:%M:00Z}" for u in expected.updates
        ]
    assert document.page == {"title": f"{content.name} Status"}


@pytest.mark.parametrize("index", LAYOUTS)
def test_page_chrome_is_not_read(index: int) -> None:
    text = json.dumps(read(sitegen.page_bytes(index)).to_dict())
    for chrome in ("Powered by", "Page generated", "Subscribe", "uptime", "Components",
                   "Incident history", "All Systems Operational", "Request ID"):  # fmt: skip
        assert chrome not in text


@pytest.mark.parametrize("index", LAYOUTS)
def test_two_requests_with_different_noise_give_the_same_document(index: int) -> None:
    first, second = sitegen.page_bytes(index, 0, 1), sitegen.page_bytes(index, 0, 2)
    assert first != second
    assert read(first) == read(second)
    # Later rounds: every relative time and the generation stamp moved.
    assert read(sitegen.page_bytes(index, 5, 3)).hash() == read(first).hash()


@pytest.mark.parametrize("index", LAYOUTS)
@pytest.mark.parametrize(("incident", "update"), [(0, 0), (7, 1), (59, 1)])
def test_a_planted_edit_changes_exactly_that_update(index: int, incident: int, update: int) -> None:
    before = read(sitegen.page_bytes(index, 0, 1))
    after = read(sitegen.page_bytes(index, 0, 2, edits=[(incident, update)]))
    key = (before.incidents[incident].key, before.incidents[incident].updates[update].key)
    assert changed(before, after) == [key]
    old = before.incidents[incident].updates[update].text
    new = after.incidents[incident].updates[update].text
    assert old != new


@pytest.mark.parametrize("index", LAYOUTS)
def test_a_new_update_is_one_added_update(index: int) -> None:
    before = read(sitegen.page_bytes(index, 2, 1))
    after = read(sitegen.page_bytes(index, 2, 2, additions=[4]))
    added = changed(before, after)
    assert len(added) == 1
    assert added[0][0] == before.incidents[4].key
    assert added[0][1] not in {u.key for u in before.incidents[4].updates}


@pytest.mark.parametrize("index", LAYOUTS)
def test_keys_survive_a_new_incident_at_the_top(index: int) -> None:
    content = sitegen.site(index)
    older = sitegen.render(sitegen.Site(**{**vars(content), "incidents": content.incidents[1:]}), 1)
    before, after = read(older), read(sitegen.render(content, 2))
    assert len(after.incidents) == len(before.incidents) + 1
    assert after.incidents[1:] == before.incidents


def test_keys_without_ids_come_from_links_then_times() -> None:
    page = b"""<!DOCTYPE html><html><head><title>Acme status</title></head><body>
    <nav><a href="/">Home</a></nav>
    <section class="incident"><h3>API errors</h3>
      <p><b>Resolved</b> - Error rates are back to normal. <small>Dec 1, 2026 10:40 UTC</small></p>
      <p><b>Investigating</b> - 30% of API requests fail. <small>Dec 1, 2026 10:02 UTC</small></p>
    </section>
    <section class="incident"><h3><a href="/incidents/42">Slow dashboard</a></h3>
      <p>Monitoring: a fix was deployed. <small>Nov 30, 2026 08:15 UTC</small></p>
    </section>
    <footer>Page generated 2026-12-02T05:00:30.549Z</footer></body></html>"""
    document = read(page)
    assert [i.key for i in document.incidents] == ["at:2026-12-01T10:02:00Z", "link:/incidents/42"]
    first = document.incidents[0]
    assert first.title == "API errors" and first.status == "resolved"
    assert [(u.key, u.status, u.text) for u in first.updates] == [
        ("2026-12-01T10:40:00Z", "resolved", "Error rates are back to normal."),
        ("2026-12-01T10:02:00Z", "investigating", "30% of API requests fail."),
    ]
    assert document.incidents[1].updates[0].status == "monitoring"
    reworded = read(page.replace(b"30% of API", b"some API"))
    assert changed(document, reworded) == [("at:2026-12-01T10:02:00Z", "2026-12-01T10:02:00Z")]


def test_pages_without_incident_blocks_keep_the_heading_reading() -> None:
    page = b"""<html><body><h1>Status</h1><p>All good.</p>
    <h2>Past incidents</h2><h3>Jan 12, 2021</h3><p>Database failover at 14:45.</p></body></html>"""
    document = read(page)
    assert [i.key for i in document.incidents][-1] == (
        "h1[1]:Status/h2[1]:Past incidents/h3[1]:Jan 12, 2021"
    )
