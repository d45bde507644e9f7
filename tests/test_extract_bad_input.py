"""Bodies that are not what the source promised: a clear ExtractionError or a correct
document, never another exception."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from tracker.errors import ExtractionError
from tracker.extract import FORMATS, detect_format, extract
from tracker.models import COVERAGE_OPEN, COVERAGE_WINDOW

FORMATS_DIR = Path(__file__).parent / "fixtures" / "formats"
JSON_TYPE = "application/json; charset=utf-8"
JSON_FIXTURES = {
    "statuspage": "statuspage-incidents.json",
    "apple": "apple-developer-system-status.json",
    "gcp": "gcp-incidents.json",
    "slack": "slack-current.json",
    "aws": "aws-legacy-data.json",
}
CHALLENGE_PAGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
    b"<body><h1>Checking your browser before accessing the site.</h1></body></html>"
)


def body_of(name: str) -> bytes:
    return (FORMATS_DIR / name).read_bytes()


@pytest.mark.parametrize(("fmt", "fixture"), JSON_FIXTURES.items())
def test_truncated_json_says_so(fmt: str, fixture: str) -> None:
    body = body_of(fixture)
    with pytest.raises(
        ExtractionError, match=rf"^{fmt}: .*not valid JSON \(the body looks truncated\)"
    ):
        extract(fmt, body[: len(body) // 2], "application/json")


@pytest.mark.parametrize("fmt", JSON_FIXTURES)
def test_html_where_json_was_expected(fmt: str) -> None:
    with pytest.raises(ExtractionError, match=rf"^{fmt}: expected .* but the body is HTML"):
        extract(fmt, CHALLENGE_PAGE, "text/html", {}, "https://status.example.com/api/v2/x.json")


def test_statuspage_html_error_page_at_a_json_url_is_refused() -> None:
    with pytest.raises(ExtractionError, match="statuspage: expected a Statuspage JSON object"):
        extract("statuspage", CHALLENGE_PAGE, "text/html", {}, "https://x.io/api/v2/incidents.json")
    # At an HTML address the page is read as HTML, and it is not a Statuspage page either.
    with pytest.raises(ExtractionError, match="statuspage: the HTML page has no Statuspage markup"):
        extract("statuspage", CHALLENGE_PAGE, "text/html", {}, "https://status.example.com/")


def test_auto_refuses_an_html_page_served_for_json() -> None:
    with pytest.raises(ExtractionError, match="should be JSON"):
        detect_format(CHALLENGE_PAGE, "text/html", "https://status.example.com/api/v2/summary.json")
    with pytest.raises(ExtractionError, match="should be JSON"):
        detect_format(CHALLENGE_PAGE, "application/json", None)


@pytest.mark.parametrize(
    ("fmt", "payload", "message"),
    [
        ("statuspage", [], "statuspage: expected a Statuspage JSON object .* found a list"),
        (
            "statuspage",
            {"page": {"name": "x"}, "incidents": {}},
            "expected 'incidents' to be a list",
        ),
        ("statuspage", {"incidents": ["abc"]}, r"'incidents'\[0\] to be an object, found a string"),
        ("statuspage", {"incidents": [{"name": "no id"}]}, r"'incidents'\[0\] has no id"),
        ("apple", {"drpost": False}, "apple: no 'services' list: .*found an object with 'drpost'"),
        ("gcp", {"incidents": []}, "gcp: not a list of incidents: .* Google Cloud incidents.json"),
        ("slack", {"status": "ok"}, "slack: no 'active_incidents' list .* not a Slack status"),
        ("aws", [], "aws: no 'current' or 'archive' list: .*found a list"),
    ],
)
def test_wrong_structure_names_the_format_and_what_was_found(
    fmt: str, payload: object, message: str
) -> None:
    with pytest.raises(ExtractionError, match=message):
        extract(fmt, json.dumps(payload).encode())


# What a URL answers when it is not the status page: a health check, an error object, nothing.
NOT_A_STATUS_PAGE = [{"status": "ok"}, {"error": "rate limited", "code": 429}, {}]
MISSING = {
    "statuspage": "no 'incidents' or 'components' list: this is not a Statuspage payload",
    "gcp": "not a list of incidents: this is not a Google Cloud incidents.json payload",
    "slack": "no 'active_incidents' list and not a list of incidents: this is not a Slack",
    "aws": "no 'current' or 'archive' list: this is not an AWS data.json payload",
    "apple": "no 'services' list: this is not an Apple system status payload",
}
URLS = {
    "statuspage": "https://www.githubstatus.com/api/v2/summary.json",
    "gcp": "https://status.cloud.google.com/incidents.json",
    "slack": "https://status.slack.com/api/v2.0.0/current",
    "aws": "https://status.aws.amazon.com/data.json",
    "apple": "https://www.apple.com/support/systemstatus/data/system_status_en_US.js",
}


@pytest.mark.parametrize("fmt", list(MISSING))
@pytest.mark.parametrize("payload", NOT_A_STATUS_PAGE, ids=["health-check", "error", "empty"])
def test_an_object_without_the_formats_structure_is_not_a_status_page(
    fmt: str, payload: dict
) -> None:
    body = json.dumps(payload).encode()
    found = re.escape(f"found {'an empty object' if not payload else 'an object with '}")
    with pytest.raises(ExtractionError, match=f"^{fmt}: {re.escape(MISSING[fmt])}.*{found}"):
        extract(fmt, body, JSON_TYPE)
    # Detected from the URL, the format names the same missing structure.
    with pytest.raises(ExtractionError, match=f"^{fmt}: {re.escape(MISSING[fmt])}"):
        extract("auto", body, JSON_TYPE, url=URLS[fmt])


@pytest.mark.parametrize("payload", NOT_A_STATUS_PAGE, ids=["health-check", "error", "empty"])
def test_auto_without_a_url_names_the_structure_it_looked_for(payload: dict) -> None:
    with pytest.raises(ExtractionError, match="^auto: JSON that no format reads"):
        extract("auto", json.dumps(payload).encode(), JSON_TYPE)


def test_a_statuspage_status_string_is_not_a_summary() -> None:
    # summary.json's "status" is an object; a bare string is a health check.
    with pytest.raises(ExtractionError, match="not a Statuspage payload"):
        extract("statuspage", b'{"page": {"name": "x"}, "status": "ok"}')


@pytest.mark.parametrize(
    ("fmt", "payload", "coverage"),
    [
        ("statuspage", {"page": {"name": "Example"}, "incidents": []}, COVERAGE_WINDOW),
        (
            "statuspage",
            {"page": {}, "incidents": [], "status": {"description": "All Systems Operational"}},
            COVERAGE_OPEN,
        ),
        ("apple", {"drpost": False, "drMessage": None, "services": []}, COVERAGE_WINDOW),
        ("gcp", [], COVERAGE_WINDOW),
        ("slack", {"status": "ok", "active_incidents": []}, COVERAGE_OPEN),
        ("slack", [], COVERAGE_WINDOW),
        ("aws", {"current": [], "archive": []}, COVERAGE_WINDOW),
    ],
)
def test_empty_incident_list_is_a_valid_empty_document(
    fmt: str, payload: object, coverage: str
) -> None:
    document = extract(fmt, json.dumps(payload).encode())
    assert document.incidents == ()
    assert document.coverage == coverage


def test_empty_feed_is_a_valid_empty_document() -> None:
    feed = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
    assert extract("feed", feed).incidents == ()


@pytest.mark.parametrize("fmt", [*FORMATS, "auto"])
@pytest.mark.parametrize("body", [b"", b"  \r\n\t "])
def test_empty_body(fmt: str, body: bytes) -> None:
    with pytest.raises(ExtractionError, match="the body is empty"):
        extract(fmt, body)


@pytest.mark.parametrize("fmt", [*FORMATS, "auto"])
def test_compressed_body_served_as_text(fmt: str) -> None:
    with pytest.raises(ExtractionError, match="gzip-compressed data"):
        extract(fmt, gzip.compress(body_of("statuspage-incidents.json")))


def test_invalid_utf8_in_json_costs_one_character() -> None:
    body = body_of("statuspage-incident.json").replace(
        b"This incident has been resolved.", b"This incident has been r\xe9solved."
    )
    document = extract("statuspage", body, "application/json")
    assert (
        document.incidents[0].updates[0].fields["body"] == "This incident has been r\ufffdsolved."
    )


def test_invalid_utf8_in_html_costs_one_character() -> None:
    document = extract("html", b"<h1>Status</h1><p>Caf\xe9 \xff down</p>", "text/html")
    assert document.incidents[0].updates[0].text == "Caf\ufffd \ufffd down"


def test_declared_charset_is_honoured() -> None:
    page = "<h1>Statut</h1><p>Réseau dégradé à 30 %</p>".encode("windows-1252")
    by_header = extract("html", page, "text/html; charset=windows-1252")
    assert by_header.incidents[0].updates[0].text == "Réseau dégradé à 30 %"
    by_meta = extract("html", b'<meta charset="windows-1252">' + page, "text/html")
    assert by_meta.incidents[0].updates[0].text == "Réseau dégradé à 30 %"


def test_invalid_utf8_in_a_feed_is_a_clear_error() -> None:
    feed = body_of("apple-derived-rss.xml").replace(b"Some users", b"Some \xff users")
    with pytest.raises(ExtractionError, match="feed: the body is not well-formed XML"):
        extract("feed", feed)


def test_unknown_format() -> None:
    with pytest.raises(ExtractionError, match="unknown format 'rss'.*statuspage"):
        extract("rss", b"<rss/>")


def test_xml_that_is_not_a_feed() -> None:
    sitemap = b'<?xml version="1.0"?><urlset><url><loc>https://x</loc></url></urlset>'
    with pytest.raises(ExtractionError, match="not an RSS or Atom feed"):
        detect_format(sitemap, "application/xml", None)
    with pytest.raises(ExtractionError, match="feed: expected an RSS or Atom feed.*<urlset>"):
        extract("feed", sitemap)


def test_xml_entity_expansion_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><rss><channel><title>&b;</title>'
        b"</channel></rss>"
    )
    with pytest.raises(ExtractionError, match="declares entities"):
        extract("feed", bomb)


def test_five_megabyte_page() -> None:
    section = (
        "<h2>Incident {n}</h2><p>Between 14:05 and 14:45 UTC, 30% of requests failed.<br>"
        "We rolled back.</p><ul><li>API: degraded</li></ul>\n"
    )
    sections = "".join(section.format(n=n) for n in range(5_000_000 // len(section)))
    page = f"<html><body>{sections}</body></html>".encode()
    assert len(page) > 5_000_000
    document = extract("html", page)
    assert len(document.incidents) == 5_000_000 // len(section)
    last = document.incidents[-1]
    assert [u.text for u in last.updates] == [
        "Between 14:05 and 14:45 UTC, 30% of requests failed.\nWe rolled back.",
        "API: degraded",
    ]


def test_five_megabyte_statuspage_json() -> None:
    data = json.loads(body_of("statuspage-incidents.json"))
    template = data["incidents"][0]
    data["incidents"] = [dict(template, id=f"inc{n}") for n in range(1800)]
    body = json.dumps(data).encode()
    assert len(body) > 5_000_000
    assert len(extract("statuspage", body).incidents) == 1800


@pytest.mark.parametrize("fmt", ["html", "statuspage"])
def test_deeply_nested_markup(fmt: str) -> None:
    inner = '<div class="incidents-list"><h2>Deep</h2><p>still read</p></div>'
    page = (
        "<html><body>" + "<div>" * 10_000 + inner + "</div>" * 10_000 + "</body></html>"
    ).encode()
    document = extract(fmt, page)
    if fmt == "html":
        assert document.incidents[0].updates[0].text == "still read"
    else:
        assert document.incidents == ()


def test_deeply_nested_unclosed_inline_markup() -> None:
    page = ("<p>" + "<span><b>" * 10_000 + "deep words").encode()
    assert extract("html", page).incidents[0].updates[0].text == "deep words"


@pytest.mark.parametrize("fmt", list(JSON_FIXTURES))
def test_deeply_nested_json(fmt: str) -> None:
    with pytest.raises(ExtractionError, match=f"^{fmt}: "):
        extract(fmt, b"[" * 100_000 + b"]" * 100_000)


def test_deeply_nested_json_detection() -> None:
    with pytest.raises(ExtractionError, match="^auto: "):
        detect_format(b"[" * 100_000 + b"]" * 100_000, None, None)


def test_deeply_nested_feed() -> None:
    feed = b"<rss><channel>" + b"<x>" * 5000 + b"</x>" * 5000 + b"</channel></rss>"
    assert extract("feed", feed).incidents == ()


def test_html_options_errors() -> None:
    page = b"<h1>Status</h1><p>ok</p>"
    with pytest.raises(ExtractionError, match="not a valid CSS selector"):
        extract("html", page, options={"select": "div[[["})
    with pytest.raises(ExtractionError, match="matched nothing"):
        extract("html", page, options={"select": "#incidents"})
    with pytest.raises(ExtractionError, match="must be a list of CSS selectors"):
        extract("html", page, options={"ignore": [3]})


def test_page_drawn_by_javascript_is_not_a_version() -> None:
    shell = (
        b'<html><head><script src="/app.js"></script></head>'
        b'<body><div id="root"></div></body></html>'
    )
    with pytest.raises(ExtractionError, match="probably drawn by JavaScript"):
        extract("html", shell)


@pytest.mark.parametrize("fmt", ["html", "statuspage", "auto"])
@pytest.mark.parametrize("cut", [0.5, 0.97])
def test_truncated_html_page_is_not_a_version(fmt: str, cut: float) -> None:
    # The real page, as a connection closed mid-transfer (no Content-Length) leaves it.
    body = body_of("statuspage-page.html")
    assert extract(fmt, body, "text/html").incidents  # whole, it is read
    with pytest.raises(ExtractionError, match=r"ends before </html>: it is probably truncated"):
        extract(fmt, body[: int(len(body) * cut)], "text/html")


def test_truncated_html_just_before_the_closing_tag() -> None:
    body = body_of("statuspage-page.html")
    with pytest.raises(ExtractionError, match="html: the page ends before </html>"):
        extract("html", body[: body.rindex(b"</html>")])


@pytest.mark.parametrize(
    "ending",
    [
        "</html>",
        "</HTML>\r\n\r\n",
        "</html>\n<!-- served by cache-fra-1 -->\n",
        "</html ><script>x=1",
    ],
)
def test_html_page_ending_after_its_closing_tag_is_whole(ending: str) -> None:
    body = body_of("statuspage-page.html")
    whole = body[: body.rindex(b"</html>")] + ending.encode()
    assert extract("statuspage", whole).incidents == extract("statuspage", body).incidents


@pytest.mark.parametrize(
    "page",
    [
        b"<h1>Status</h1><p>All systems operational.</p>",  # a fragment: nothing to check
        b"<body><h1>Status</h1><p>All systems operational.</p>",
    ],
)
def test_html_fragments_are_not_called_truncated(page: bytes) -> None:
    assert extract("html", page).incidents[0].updates[0].text == "All systems operational."


@pytest.mark.parametrize(
    "prefix", [b"<!DOCTYPE html>", b"\xef\xbb\xbf  <!-- build 41 -->\n<HTML lang=en>", b"<html>"]
)
def test_document_openings_are_recognised(prefix: bytes) -> None:
    with pytest.raises(ExtractionError, match="ends before </html>"):
        extract("html", prefix + b"<body><h1>Status</h1><p>All systems operational.</p>")


@pytest.mark.parametrize(
    ("fmt", "fixture"),
    [
        ("statuspage", "statuspage-history.atom"),
        ("feed", "statuspage-history.atom"),
        ("feed", "apple-derived-rss.xml"),
        ("auto", "apple-derived-rss.xml"),
    ],
)
def test_truncated_feed_is_not_a_version(fmt: str, fixture: str) -> None:
    body = body_of(fixture)
    assert extract(fmt, body).incidents
    for cut in (len(body) // 2, len(body) - 10):
        with pytest.raises(ExtractionError, match="the body is not well-formed XML"):
            extract(fmt, body[:cut])


FAR_TIMES = [
    "9999-12-31T23:00:00-05:00",  # past datetime's end once in UTC
    "9999-12-31T23:59:00Z",  # representable, but a reader adding a minute overflows
    "0001-01-01T00:00:00+01:00",  # before datetime's start once in UTC
    "1899-12-31T12:00:00Z",
    "Fri, 31 Dec 9999 23:00:00 -0500",
    "12/31/9999 23:59 PST",
    253402300799999,  # epoch milliseconds of 9999-12-31T23:59:59Z
]


@pytest.mark.parametrize("moment", FAR_TIMES)
def test_statuspage_time_out_of_range_is_missing(moment: str | int) -> None:
    data = json.loads(body_of("statuspage-incident.json"))
    incident = data["incident"]
    incident["resolved_at"] = moment
    incident["incident_updates"][0]["display_at"] = moment
    incident["incident_updates"][1]["created_at"] = moment
    document = extract("statuspage", json.dumps(data).encode(), "application/json")
    first, second = document.incidents[0].updates[:2]
    assert document.incidents[0].resolved_at is None
    assert first.meta["display_at"] is None
    assert first.posted_at == first.meta["created_at"] == "2023-01-10T18:14:45Z"
    assert second.meta["created_at"] is None
    assert second.posted_at == second.meta["display_at"]


def test_apple_date_posted_out_of_range_falls_back_to_the_start() -> None:
    data = json.loads(body_of("apple-developer-system-status.json"))
    event = next(e for s in data["services"] for e in s["events"] if e["messageId"] == "1003214")
    event["datePosted"] = "12/31/9999 23:59 PST"
    document = extract("apple", json.dumps(data).encode())
    update = next(i for i in document.incidents if i.key == "1003214").updates[0]
    assert update.posted_at == "2020-02-10T19:45:00Z"  # epochStartDate
    assert update.meta["date_posted"] == "12/31/9999 23:59 PST"  # kept as written


@pytest.mark.parametrize(
    "displayed", ["Dec 31, 9999 - 23:59 EST", "Dec 31, 9999 - 23:59 UTC", "Jan 1, 0001 - 00:30 CET"]
)
def test_statuspage_displayed_time_out_of_range_is_missing(displayed: str) -> None:
    page = (
        '<!DOCTYPE html><html><body><div class="incidents-list">'
        '<div class="incident-container"><div class="incident-title">'
        '<a href="/incidents/abc123">API errors</a></div>'
        '<div class="update"><strong>Resolved</strong> - Fixed.'
        f"<small>{displayed}</small></div></div></div></body></html>"
    ).encode()
    update = extract("statuspage", page).incidents[0].updates[0]
    assert update.posted_at is None
    assert update.key == displayed  # the displayed text still keys it


def test_an_unforeseen_arithmetic_error_is_an_extraction_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def overflowing(body: bytes, content_type: str | None, options: dict, url: str | None):
        raise OverflowError("date value out of range")

    monkeypatch.setitem(FORMATS, "statuspage", overflowing)
    with pytest.raises(ExtractionError, match=r"^statuspage: .*OverflowError"):
        extract("statuspage", b"{}")
