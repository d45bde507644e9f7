"""Every format on real payloads: the extracted document equals the reviewed golden file.

Regenerate the golden files after a deliberate change with
`UPDATE_GOLDEN=1 pytest tests/test_extract_formats.py`, then read the diff of
tests/fixtures/golden/ before committing it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tracker.errors import ExtractionError
from tracker.extract import FORMATS, detect_format, extract
from tracker.models import COVERAGE_FULL, COVERAGE_OPEN, COVERAGE_WINDOW

FIXTURES = Path(__file__).parent / "fixtures"
FORMATS_DIR = FIXTURES / "formats"
GOLDEN_DIR = FIXTURES / "golden"

JSON = "application/json; charset=utf-8"
# (fixture, format, Content-Type, URL it is served from)
CASES = [
    (
        "statuspage-summary.json",
        "statuspage",
        JSON,
        "https://www.githubstatus.com/api/v2/summary.json",
    ),
    (
        "statuspage-summary-cloudflare.json",
        "statuspage",
        JSON,
        "https://www.cloudflarestatus.com/api/v2/summary.json",
    ),
    (
        "statuspage-incidents.json",
        "statuspage",
        JSON,
        "https://status.airbrake.io/api/v2/incidents.json",
    ),
    (
        "statuspage-incident.json",
        "statuspage",
        JSON,
        "https://www.githubstatus.com/api/v2/incidents/00km0kwpz23b.json",
    ),
    (
        "incidentio-statuspage-compat-summary.json",
        "statuspage",
        JSON,
        "https://status.openai.com/api/v2/summary.json",
    ),
    (
        "statuspage-history.atom",
        "statuspage",
        "application/atom+xml",
        "https://www.githubstatus.com/history.atom",
    ),
    (
        "statuspage-page.html",
        "statuspage",
        "text/html; charset=utf-8",
        "https://status.agorapulse.com/",
    ),
    ("gcp-incidents.json", "gcp", JSON, "https://status.cloud.google.com/incidents.json"),
    (
        "gcp-incidents-2020-schema.json",
        "gcp",
        JSON,
        "https://status.cloud.google.com/incidents.json",
    ),
    ("aws-legacy-data.json", "aws", JSON, "https://status.aws.amazon.com/data.json"),
    ("slack-current.json", "slack", JSON, "https://status.slack.com/api/v2.0.0/current"),
    ("slack-history.json", "slack", JSON, "https://status.slack.com/api/v2.0.0/history"),
    (
        "apple-developer-system-status.json",
        "apple",
        "application/javascript",
        "https://www.apple.com/support/systemstatus/data/developer/system_status_en_US.js",
    ),
    (
        "apple-system-status-2013-imessage.js",
        "apple",
        "application/javascript",
        "https://www.apple.com/support/systemstatus/data/system_status_en_US.js",
    ),
    (
        "apple-derived-rss.xml",
        "feed",
        "application/rss+xml",
        "https://raw.githubusercontent.com/maatheusgois-dd/apple-developer-system-status-rss/main/rss/all-apple-services.rss",
    ),
]
# The same bodies read by the generic extractors, as a user who picks them would.
GENERIC = [
    (
        "statuspage-history.atom",
        "feed",
        "application/atom+xml",
        "https://www.githubstatus.com/history.atom",
    ),
    ("statuspage-page.html", "html", "text/html; charset=utf-8", "https://status.agorapulse.com/"),
]


def body_of(name: str) -> bytes:
    return (FORMATS_DIR / name).read_bytes()


def golden_path(fixture: str, fmt: str) -> Path:
    return GOLDEN_DIR / f"{fixture.rsplit('.', 1)[0]}--{fmt}.json"


@pytest.mark.parametrize(("fixture", "fmt", "content_type", "url"), CASES + GENERIC)
def test_document_matches_golden(fixture: str, fmt: str, content_type: str, url: str) -> None:
    document = extract(fmt, body_of(fixture), content_type, {}, url)
    path = golden_path(fixture, fmt)
    if os.environ.get("UPDATE_GOLDEN"):
        text = json.dumps(document.to_dict(), indent=2, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}; run with UPDATE_GOLDEN=1 and review it"
    assert document.to_dict() == json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("fixture", "fmt", "content_type", "url"), CASES)
def test_detect_format_from_headers_url_and_content(
    fixture: str, fmt: str, content_type: str, url: str
) -> None:
    assert detect_format(body_of(fixture), content_type, url) == fmt
    assert detect_format(body_of(fixture), None, None) == fmt  # the content alone decides


@pytest.mark.parametrize(("fixture", "fmt", "content_type", "url"), CASES)
def test_auto_extracts_like_the_named_format(
    fixture: str, fmt: str, content_type: str, url: str
) -> None:
    body = body_of(fixture)
    assert extract("auto", body, content_type, {}, url) == extract(fmt, body, content_type, {}, url)


def test_detection_refuses_json_no_format_reads() -> None:
    with pytest.raises(ExtractionError, match="no format reads"):
        detect_format(body_of("upptime-summary.json"), JSON, "https://example.org/summary.json")


def test_formats_is_the_documented_registry() -> None:
    assert list(FORMATS) == ["statuspage", "apple", "gcp", "slack", "aws", "feed", "html"]


@pytest.mark.parametrize(
    ("fixture", "url", "coverage"),
    [
        (
            "statuspage-summary.json",
            "https://www.githubstatus.com/api/v2/summary.json",
            COVERAGE_OPEN,
        ),
        (
            "statuspage-incidents.json",
            "https://status.airbrake.io/api/v2/incidents.json",
            COVERAGE_WINDOW,
        ),
        (
            "statuspage-incidents.json",
            "https://status.airbrake.io/api/v2/incidents/unresolved.json",
            COVERAGE_OPEN,
        ),
        (
            "statuspage-incident.json",
            "https://www.githubstatus.com/api/v2/incidents/00km0kwpz23b.json",
            COVERAGE_FULL,
        ),
        ("statuspage-history.atom", None, COVERAGE_WINDOW),
        ("statuspage-page.html", None, COVERAGE_WINDOW),
    ],
)
def test_statuspage_coverage(fixture: str, url: str | None, coverage: str) -> None:
    assert extract("statuspage", body_of(fixture), None, {}, url).coverage == coverage


def test_statuspage_keeps_the_metadata_that_betrays_a_silent_edit() -> None:
    document = extract("statuspage", body_of("statuspage-summary.json"))
    incident = document.incident("y5hdmv0p49x3")
    assert incident is not None
    rewritten = next(u for u in incident.updates if u.key == "8hh05qltx7ym")
    assert rewritten.posted_at == "2022-03-24T14:43:35Z"  # display_at, not created_at
    assert rewritten.meta == {
        "created_at": "2022-03-24T14:43:35Z",
        "updated_at": "2022-03-24T15:20:07Z",
        "display_at": "2022-03-24T14:43:35Z",
    }
    assert incident.components == ("GitHub Actions",)
    # The page's own updated_at moves with every component change: never part of a document.
    assert "updated_at" not in document.page


def test_statuspage_scheduled_maintenance_is_an_incident() -> None:
    document = extract("statuspage", body_of("statuspage-summary-cloudflare.json"))
    assert [i.key for i in document.incidents] == ["j7960hzg7bbk", "fv3p4w984ll6"]
    maintenance = document.incidents[1]
    assert maintenance.impact == "maintenance"
    assert maintenance.times["scheduled_for"] == "2023-10-10T00:00:00Z"


def test_statuspage_markdown_body_keeps_its_words() -> None:
    document = extract("statuspage", body_of("incidentio-statuspage-compat-summary.json"))
    body = document.incidents[1].updates[1].fields["body"]
    assert "support@openai.com" in body
    assert "We apologize for the inconvenience." in body
    assert "'" in document.incidents[0].updates[0].fields["body"]  # curly quote folded


def test_statuspage_feed_splits_entries_into_updates_with_displayed_times() -> None:
    document = extract("statuspage", body_of("statuspage-history.atom"))
    first = document.incidents[0]
    assert first.key == "bhbcjn4n3jzp"  # the id the API uses, taken from the entry's link
    assert len(first.updates) == 12
    assert first.updates[0].status == "resolved"
    assert first.updates[0].posted_at == "2026-08-21T00:37:00Z"
    assert first.updates[-1].status == "investigating"
    assert first.updates[-1].fields["body"] == (
        "We are investigating reports of impacted performance for some GitHub services."
    )
    # Two updates shown at the same minute: the older keeps the plain key.
    second = document.incidents[1]
    assert [u.key for u in second.updates[-2:]] == [
        "2026-08-18T07:40:00Z#2",
        "2026-08-18T07:40:00Z",
    ]


def test_statuspage_html_converts_the_pages_time_zone() -> None:
    document = extract("statuspage", body_of("statuspage-page.html"), None, {}, None)
    incident = document.incidents[0]
    assert incident.key == "ft95n6s9rswf"
    assert incident.impact == "minor"
    resolved = incident.updates[0]
    assert resolved.meta["displayed"] == "Jan 12, 19:26 CET"
    assert resolved.posted_at == "2021-01-12T18:26:00Z"  # the year from the day heading
    assert resolved.fields["body"].startswith("We are very happy to let you know")


def test_apple_event_is_one_update_with_message_then_users_affected() -> None:
    document = extract("apple", body_of("apple-system-status-2013-imessage.js"))
    (incident,) = document.incidents
    assert (incident.key, incident.title, incident.impact) == ("1000713", "iMessage", "Issue")
    (update,) = incident.updates
    assert list(update.fields.items()) == [
        ("message", "Users may be experiencing issues with iMessage."),
        ("usersAffected", "30 percent of users were affected"),
    ]
    assert update.posted_at == "2013-07-23T00:05:00Z"  # 07/22/2013 17:05 PDT
    assert update.text == (
        "Users may be experiencing issues with iMessage.\n30 percent of users were affected"
    )


def test_apple_rewrite_keeps_keys_and_changes_the_hash() -> None:
    before = body_of("apple-system-status-2013-imessage.js")
    after = before.replace(b"30 percent of users were affected", b"Some users were affected")
    old, new = extract("apple", before), extract("apple", after)
    assert old.hash() != new.hash()
    assert [u.key for u in old.incidents[0].updates] == [u.key for u in new.incidents[0].updates]
    assert new.incidents[0].updates[0].posted_at == old.incidents[0].updates[0].posted_at


def test_apple_event_listed_under_two_services_is_one_incident() -> None:
    data = json.loads(body_of("apple-developer-system-status.json"))
    event = data["services"][0]["events"][0]
    data["services"][1]["events"] = [event]  # also under "Account"
    document = extract("apple", json.dumps(data).encode())
    assert [i.key for i in document.incidents] == ["1003214"]
    assert document.incidents[0].components == ("TestFlight", "Account")


def test_apple_without_message_id_keys_by_service_and_start() -> None:
    data = json.loads(body_of("apple-developer-system-status.json"))
    del data["services"][0]["events"][0]["messageId"]
    (incident,) = extract("apple", json.dumps(data).encode()).incidents
    assert incident.key == "TestFlight@2020-02-10T19:45:00Z"


def test_gcp_updates_are_keyed_by_creation_time() -> None:
    document = extract("gcp", body_of("gcp-incidents.json"))
    (incident,) = document.incidents
    assert [u.key for u in incident.updates] == ["2026-08-20T19:37:40Z", "2026-08-20T19:21:07Z"]
    # The older update was modified after it was posted: kept for the silent-edit check.
    assert incident.updates[1].meta["modified"] == "2026-08-20T19:37:40Z"
    assert (incident.status, incident.impact) == ("SERVICE_OUTAGE", "high")
    assert len(incident.components) == 27
    old = extract("gcp", body_of("gcp-incidents-2020-schema.json"))
    assert [i.key for i in old.incidents] == ["appengine/20008", "compute/20011"]


def test_aws_update_times_come_from_the_event_day() -> None:
    document = extract("aws", body_of("aws-legacy-data.json"))
    incident = document.incidents[0]
    assert incident.key == "ec2-us-east-1@1650382771"
    assert [u.posted_at for u in incident.updates][:2] == [
        "2022-04-19T15:39:00Z",  # 8:39 AM PDT
        "2022-04-19T16:18:00Z",
    ]


def test_aws_update_after_midnight_rolls_to_the_next_day() -> None:
    data = json.loads(body_of("aws-legacy-data.json"))
    event = data["archive"][0]
    event["date"] = "1650436200"  # 2022-04-19 11:30 PM PDT
    event["description"] = (
        '<div><span class="yellowfg">11:30 PM PDT</span>&nbsp;Investigating.</div>'
        '<div><span class="yellowfg">12:15 AM PDT</span>&nbsp;Resolved.</div>'
    )
    data["current"], data["archive"] = [event], []
    (incident,) = extract("aws", json.dumps(data).encode()).incidents
    assert [u.posted_at for u in incident.updates] == [
        "2022-04-20T06:30:00Z",
        "2022-04-20T07:15:00Z",
    ]
    assert incident.status == "current"


def test_slack_current_is_open_and_history_is_a_window() -> None:
    current = extract("slack", body_of("slack-current.json"))
    history = extract("slack", body_of("slack-history.json"))
    assert (current.coverage, history.coverage) == (COVERAGE_OPEN, COVERAGE_WINDOW)
    assert current.incidents == history.incidents
    notes = current.incidents[0].updates
    assert [n.key for n in notes] == ["2024-02-27T16:02:40Z", "2024-02-27T15:41:56Z"]


def test_generic_feed_item_is_one_update() -> None:
    document = extract("feed", body_of("apple-derived-rss.xml"))
    (incident,) = document.incidents
    assert incident.key == "App Store Connect - TestFlight-2000004703-1750983240000"
    (update,) = incident.updates
    assert update.posted_at == "2025-06-29T05:00:00Z"
    assert update.fields["body"].splitlines() == [
        "Started: 06/26/2025 17:14 PDT",
        "Ended: 06/26/2025 17:15 PDT",
        "Users experienced a problem with this service.",
        "Some users were affected",
    ]
    assert "lastBuildDate" not in json.dumps(document.page)


def test_generic_html_sections_and_structural_keys() -> None:
    page = b"""<html><head><title>Example Status</title></head><body>
    <h1>Example Status</h1><p>All systems operational.</p>
    <h2>Past incidents</h2>
    <h3>Jan 12, 2021</h3><p>Database failover.</p><p>Resolved at 14:45.</p>
    <h3>Jan 11, 2021</h3><ul><li>API errors for 30% of requests.</li></ul>
    <h2>Past incidents</h2><p>Older</p>
    </body></html>"""
    document = extract("html", page)
    assert [i.key for i in document.incidents] == [
        "h1[1]:Example Status",
        "h1[1]:Example Status/h2[1]:Past incidents",
        "h1[1]:Example Status/h2[1]:Past incidents/h3[1]:Jan 12, 2021",
        "h1[1]:Example Status/h2[1]:Past incidents/h3[1]:Jan 11, 2021",
        "h1[1]:Example Status/h2[2]:Past incidents",
    ]
    day = document.incidents[2]
    assert [(u.key, u.text) for u in day.updates] == [
        ("p[2]", "Database failover."),
        ("p[1]", "Resolved at 14:45."),
    ]
    assert document.incidents[3].updates[0].text == "API errors for 30% of requests."
    assert document.page == {"title": "Example Status"}
    assert document.coverage == COVERAGE_FULL


def test_generic_html_rewritten_paragraph_keeps_its_key() -> None:
    before = b"<h2>Outage</h2><p>All users were affected.</p><p>Fixed.</p>"
    after = b"<h2>Outage</h2><p>Some users were affected.</p><p>Fixed.</p>"
    old, new = extract("html", before), extract("html", after)
    assert [u.key for u in old.incidents[0].updates] == [u.key for u in new.incidents[0].updates]
    assert new.incidents[0].updates[0].text == "Some users were affected."


def test_generic_html_update_added_at_the_top_moves_no_key() -> None:
    # Status pages put a new update above the others; the older blocks must keep their keys,
    # or one new update reads as every update in the section rewritten.
    before = b"""<!DOCTYPE html><html><head><title>Acme status</title></head><body>
    <h2>API errors</h2>
    <p>Monitoring: a fix was deployed and error rates are dropping.</p>
    <p>Investigating: we are seeing elevated error rates for API requests in EU.</p>
    <ul><li>API</li></ul>
    <h2>Past incidents</h2><p>No incidents in the last 7 days.</p>
    </body></html>"""
    after = before.replace(
        b"<h2>API errors</h2>",
        b"<h2>API errors</h2><p>Resolved: the API is back to normal.</p>",
    )
    old, new = extract("html", before).incidents, extract("html", after).incidents
    old_keys = {u.key: u.text for u in old[0].updates}
    new_keys = {u.key: u.text for u in new[0].updates}
    added = set(new_keys) - set(old_keys)
    assert [new_keys[key] for key in added] == ["Resolved: the API is back to normal."]
    assert {key: new_keys[key] for key in old_keys} == old_keys
    assert [u.key for u in new[0].updates] == ["p[3]", "p[2]", "p[1]", "li[1]"]
    assert old[1] == new[1]


def test_generic_html_select_and_ignore_options() -> None:
    page = b"""<body><nav><p>Home | Blog</p></nav>
    <main><h2>Incidents</h2><p>Partial outage in eu-west.</p>
    <div class="ad"><p>Buy now</p></div></main></body>"""
    document = extract("html", page, options={"select": "main", "ignore": [".ad"]})
    assert [u.text for i in document.incidents for u in i.updates] == ["Partial outage in eu-west."]
    whole = extract("html", page)
    assert "Home | Blog" in [u.text for i in whole.incidents for u in i.updates]


def test_statuspage_feed_year_comes_from_the_entry_date() -> None:
    # "Dec 31" in an entry published on Jan 1 is last year's Dec 31.
    atom = body_of("statuspage-history.atom").decode()
    atom = atom.replace("<published>2026-08-21T00:37:20Z", "<published>2027-01-01T00:20:00Z", 1)
    atom = atom.replace(
        "Aug &lt;var data-var='date'&gt;21&lt;/var&gt;, &lt;var data-var='time'&gt;00:37",
        "Jan &lt;var data-var='date'&gt;1&lt;/var&gt;, &lt;var data-var='time'&gt;00:10",
    ).replace(
        "Aug &lt;var data-var='date'&gt;20&lt;/var&gt;, &lt;var data-var='time'&gt;20:37",
        "Dec &lt;var data-var='date'&gt;31&lt;/var&gt;, &lt;var data-var='time'&gt;23:50",
    )
    updates = extract("statuspage", atom.encode()).incidents[0].updates
    assert [u.posted_at for u in updates[:2]] == ["2027-01-01T00:10:00Z", "2026-12-31T23:50:00Z"]
