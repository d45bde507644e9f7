"""Fetching an unchanged page whose volatile parts change on every request gives the same
document hash; a change of wording does not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tracker.extract import extract

FORMATS_DIR = Path(__file__).parent / "fixtures" / "formats"

# What changes between two requests for the same page: render time, tokens, request ids,
# uptime figures, relative times, cache-busting query strings.
REQUESTS = [
    {
        "issued": "1611360577",
        "token": "hP2zXq9vL0aK7mN3",
        "rid": "8f3a2b1c9d0e",
        "uptime": "99.98",
        "ago": "5 minutes ago",
        "ts": "2021-01-23 00:09:37",
    },
    {
        "issued": "1611364177",
        "token": "Zt7Qm2Wc5bYd1Ex8",
        "rid": "41e0c7aa93bf",
        "uptime": "99.97",
        "ago": "an hour ago",
        "ts": "2021-01-23 01:09:41",
    },
    {
        "issued": "1611450577",
        "token": "r4Kp8Vn6Jd3Ls0Gu",
        "rid": "c0ffee123456",
        "uptime": "100.0",
        "ago": "1 day ago",
        "ts": "2021-01-24 00:09:02",
    },
]


def statuspage_page(values: dict[str, str], body_edit: tuple[str, str] | None = None) -> bytes:
    page = (FORMATS_DIR / "statuspage-page.html").read_text(encoding="utf-8")
    page = page.replace('content="1611360577"', f'content="{values["issued"]}"')
    page = page.replace(
        '<meta http-equiv="cleartype" content="on">',
        f'<meta http-equiv="cleartype" content="on">\n'
        f'<meta name="csrf-token" content="{values["token"]}">',
    )
    page = page.replace(
        "Operational\n  </span>",
        f'Operational\n  </span><span class="legend-item-uptime-value">'
        f'<var data-var="uptime-percent">{values["uptime"]}</var> % uptime</span>',
    )
    page = page.replace(
        "Jan <var data-var='date'>12</var>, <var data-var='time'>19:26</var> CET",
        f'Posted <span class="ago">{values["ago"]}</span>. '
        "Jan <var data-var='date'>12</var>, <var data-var='time'>19:26</var> CET",
    )
    page = page.replace(
        "  </body>",
        f'<div class="page-footer"><span class="last-updated-stamp">Last updated '
        f"{values['ts']}</span> Request ID: {values['rid']}</div>\n  </body>",
    )
    if body_edit:
        assert body_edit[0] in page
        page = page.replace(*body_edit)
    return page.encode()


GENERIC = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Example Cloud Status</title>
<meta name="csrf-token" content="{token}">
<link rel="stylesheet" href="/assets/app.css?v={issued}">
<script nonce="{token}">window.renderedAt = "{ts}";</script></head>
<body>
<header><img src="/logo.png?cb={issued}" alt=""><h1>Example Cloud Status</h1>
<p class="last-updated">Last updated: {ts} UTC</p></header>
<main>
<h2>Components</h2>
<ul>
<li>API <span class="uptime">{uptime}% uptime</span></li>
<li>Dashboard <span>Uptime: {uptime}%</span></li>
</ul>
<h2>Current incidents</h2>
<article><h3>Elevated error rates in eu-west-1</h3>
<p>Between 14:05 and 14:45 UTC, 30% of API requests in eu-west-1 failed.</p>
<p>Updated {ago}</p>
<p>We rolled back the deploy that caused the errors.</p></article>
<form action="/subscribe" method="post">
<input type="hidden" name="authenticity_token" value="{token}">
<label>Email <input type="email" name="email"></label><button>Subscribe</button></form>
</main>
<footer><p>Page generated in 0.{rid_digits}s. Request ID: {rid}</p>
<p>&copy; Example Cloud</p></footer>
</body></html>"""


def generic_page(values: dict[str, str], text: str = "30% of API requests") -> bytes:
    digits = "".join(c for c in values["rid"] if c.isdigit())[:3]
    page = GENERIC.format(**values, rid_digits=digits).replace("30% of API requests", text)
    return page.encode()


def test_statuspage_html_noise_gives_the_same_hash() -> None:
    hashes = {extract("statuspage", statuspage_page(v)).hash() for v in REQUESTS}
    assert len(hashes) == 1


def test_statuspage_html_rewritten_update_changes_the_hash() -> None:
    edit = ("We are continuing to investigate", "We are still investigating")
    before = extract("statuspage", statuspage_page(REQUESTS[0]))
    after = extract("statuspage", statuspage_page(REQUESTS[1], edit))
    assert before.hash() != after.hash()
    old, new = before.incidents[0].updates, after.incidents[0].updates
    assert [u.key for u in old] == [u.key for u in new]  # an edit, not a removal
    assert new[2].fields["body"] == "We are still investigating this issue."


def test_generic_html_noise_gives_the_same_hash() -> None:
    documents = [extract("html", generic_page(v)) for v in REQUESTS]
    assert len({d.hash() for d in documents}) == 1
    text = json.dumps(documents[0].to_dict())
    for volatile in ("hP2zXq9vL0aK7mN3", "8f3a2b1c9d0e", "99.98", "5 minutes", "00:09:37"):
        assert volatile not in text
    # Noise went, the words a reader came for stayed.
    updates = [u.text for i in documents[0].incidents for u in i.updates]
    assert "Between 14:05 and 14:45 UTC, 30% of API requests in eu-west-1 failed." in updates
    assert "API" in updates and "Dashboard" in updates
    assert documents[0].page == {"title": "Example Cloud Status"}


def test_generic_html_rewording_changes_the_hash_and_keeps_the_key() -> None:
    before = extract("html", generic_page(REQUESTS[0]))
    after = extract("html", generic_page(REQUESTS[1], text="some API requests"))
    assert before.hash() != after.hash()
    changed = [
        (i.key, u.key)
        for i, j in zip(before.incidents, after.incidents, strict=True)
        for u, v in zip(i.updates, j.updates, strict=True)
        if u.text != v.text
    ]
    section = "h1[1]:Example Cloud Status/h2[1]:Current incidents"
    # The first of four paragraphs: keys count from the section's end.
    assert changed == [(f"{section}/h3[1]:Elevated error rates in eu-west-1", "p[4]")]


@pytest.mark.parametrize(
    ("fixture", "fmt", "volatile", "replacement"),
    [
        (
            "statuspage-summary.json",
            "statuspage",
            '"updated_at": "2022-03-24T15:20:07.697Z"',
            '"updated_at": "2022-03-24T15:25:00.000Z"',
        ),
        (
            "statuspage-summary.json",
            "statuspage",
            '"updated_at": "2022-03-23T15:09:34.643Z"',
            '"updated_at": "2022-03-24T15:24:00.000Z"',
        ),
        (
            "statuspage-history.atom",
            "statuspage",
            "<updated>2026-08-22T03:43:56Z</updated>",
            "<updated>2026-08-22T04:00:00Z</updated>",
        ),
        (
            "statuspage-history.atom",
            "feed",
            "<updated>2026-08-22T03:43:56Z</updated>",
            "<updated>2026-08-22T04:00:00Z</updated>",
        ),
        (
            "apple-derived-rss.xml",
            "feed",
            "Sun, 13 Jul 2025 21:22:36 +0000",
            "Sun, 13 Jul 2025 21:37:36 +0000",
        ),
        (
            "slack-current.json",
            "slack",
            '"date_updated": "2024-02-27T08:02:40-08:00",\n  "active',
            '"date_updated": "2024-02-27T08:10:00-08:00",\n  "active',
        ),
    ],
)
def test_page_level_timestamps_are_not_content(
    fixture: str, fmt: str, volatile: str, replacement: str
) -> None:
    body = (FORMATS_DIR / fixture).read_text(encoding="utf-8")
    assert volatile in body
    changed = body.replace(volatile, replacement, 1).encode()
    assert extract(fmt, changed).hash() == extract(fmt, body.encode()).hash()
