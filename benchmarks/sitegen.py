"""Realistic generic status pages, deterministic from a seed, with per-request noise.

Each page is about 150 KB in a common status-page layout that is not Statuspage's: a header
with navigation, a component list with uptime figures, ~60 incidents of 2-6 updates each
(status word, words, displayed time), a subscribe form with a CSRF token and a footer
"Powered by … Page generated <timestamp>". What changes on every request: the generation time
and render duration, the CSRF token (meta and form), the request id, the nonce, "Posted N
minutes ago" on recent updates, "Last updated N seconds ago" and the uptime figures.

`page_bytes(index, round, noise_seed, edits, additions)` is the page a loopback server returns:
the content depends on `index` (and `round` for the content clock), the noise on `noise_seed`
only. `edits` are real wording edits `(incident, update)` (numbers as the page lists them, 0 =
top); `additions` are incidents that gained a new update at the top.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from html import escape

INCIDENTS = 60
LAYOUTS = ("div", "article")  # two common markups, so the reader depends on neither

_COMPONENTS = (
    "API", "Dashboard", "Webhooks", "Authentication", "Billing", "Search", "Notifications",
    "File storage", "CDN", "Database", "Background jobs", "Email delivery", "Mobile app",
    "Status API", "Single sign-on", "Reporting",
)  # fmt: skip
_REGIONS = ("eu-west-1", "us-east-1", "us-west-2", "ap-southeast-1", "sa-east-1")
_PROBLEMS = (
    "elevated error rates", "increased latency", "degraded performance", "partial outage",
    "delayed processing", "failed logins", "intermittent timeouts", "missing data",
)  # fmt: skip
_STEPS = (
    ("Investigating", "We are investigating reports of {problem} affecting {component} in "
     "{region}. About {pct}% of requests are failing and we will share more within {mins} "
     "minutes."),
    ("Identified", "The issue has been identified as a faulty configuration change deployed "
     "at {clock} UTC to {component}. We are rolling it back across {count} clusters."),
    ("Update", "The rollback is {pct}% complete. Customers in {region} may still see "
     "{problem} on about {count} percent of requests while caches warm up."),
    ("Monitoring", "A fix has been implemented and error rates for {component} have returned "
     "to normal. We are monitoring the results for the next {mins} minutes."),
    ("Update", "Queued work for {component} is being processed; the backlog of {count},000 "
     "items should clear within {mins} minutes."),
    ("Resolved", "This incident has been resolved. Between {start} and {clock} UTC, {pct}% of "
     "requests to {component} in {region} failed. We will publish a postmortem."),
)  # fmt: skip
_EDITS = (
    ("About ", "Fewer than "),
    ("% of requests", "% of some requests"),
    ("failed", "were slow"),
)
# Inline CSS and a script bundle, as real pages carry, so the page weighs what they weigh.
_STYLE = "".join(
    f".c{n}{{margin:{n % 7}px {n % 5}px;padding:{n % 3}px;"
    f"color:#{(n * 2654435761) % 0xFFFFFF:06x}}}\n"
    for n in range(1400)
)
_SCRIPT = "".join(f"function f{n}(a){{return a*{n}+{n % 13};}}\n" for n in range(900))
_EPOCH = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Update:
    status: str
    text: str
    posted: datetime


@dataclass(frozen=True)
class Incident:
    ident: str
    title: str
    updates: tuple[Update, ...]  # newest first, as pages show them


@dataclass(frozen=True)
class Site:
    index: int
    name: str
    layout: str
    now: datetime
    components: tuple[str, ...]
    incidents: tuple[Incident, ...]  # newest first


def site(index: int, round: int = 0, incidents: int = INCIDENTS) -> Site:
    """The content of page `index`: the same for every request in a round."""
    rng = random.Random(f"site-{index}")
    now = _EPOCH + timedelta(minutes=15 * round)
    found: list[Incident] = []
    moment = _EPOCH - timedelta(minutes=rng.randint(20, 50))
    for number in range(incidents):
        steps = rng.randint(2, 6)
        chosen = [_STEPS[0]] + rng.sample(_STEPS[1:5], steps - 2) + [_STEPS[5]]
        values = {
            "problem": rng.choice(_PROBLEMS),
            "component": rng.choice(_COMPONENTS),
            "region": rng.choice(_REGIONS),
            "pct": rng.randint(2, 60),
            "mins": rng.choice((15, 30, 45, 60)),
            "count": rng.randint(2, 40),
        }
        start = moment
        updates = []
        for status, template in chosen:
            moment = moment + timedelta(minutes=rng.randint(4, 40))
            text = template.format(**values, clock=moment.strftime("%H:%M"),
                                   start=start.strftime("%H:%M"))  # fmt: skip
            updates.append(Update(status, text, moment))
        ident = hashlib.sha1(f"{index}-{number}".encode()).hexdigest()[:12]
        title = f"{values['problem'].capitalize()} for {values['component']} in {values['region']}"
        found.append(Incident(ident, title, tuple(reversed(updates))))
        moment = start - timedelta(hours=rng.randint(8, 60))
    components = tuple(rng.sample(_COMPONENTS, 12))
    name = f"Example{index} Cloud"
    return Site(index, name, LAYOUTS[index % len(LAYOUTS)], now, components, tuple(found))


def plant_edit(content: Site, incident: int, update: int) -> Site:
    """A real wording edit of one update (numbers as listed: 0 = top)."""
    chosen = content.incidents[incident]
    old = chosen.updates[update]
    text = old.text
    for before, after in _EDITS:
        if before in text:
            text = text.replace(before, after, 1)
            break
    else:
        text = text.replace("We ", "Our engineers ", 1) if "We " in text else text + " (revised)"
    updates = list(chosen.updates)
    updates[update] = replace(old, text=text)
    return _with(content, incident, replace(chosen, updates=tuple(updates)))


def add_update(content: Site, incident: int) -> Site:
    """A new update at the top of one incident, posted now."""
    chosen = content.incidents[incident]
    new = Update("Update", f"We are continuing to monitor {chosen.title.lower()}.", content.now)
    return _with(content, incident, replace(chosen, updates=(new, *chosen.updates)))


def _with(content: Site, number: int, incident: Incident) -> Site:
    incidents = list(content.incidents)
    incidents[number] = incident
    return replace(content, incidents=tuple(incidents))


def render(content: Site, noise_seed: int, padded: bool = True) -> bytes:
    """The page as one request sees it: the content, plus this request's noise.

    `padded` adds the inline stylesheet and script bundle real pages carry (~100 KB); test
    fixtures leave them out."""
    rng = random.Random(f"noise-{content.index}-{noise_seed}")
    token = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
                    for _ in range(43))  # fmt: skip
    request_id = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    generated = content.now + timedelta(
        seconds=rng.randint(0, 899), milliseconds=rng.randint(0, 999)
    )
    stamp = generated.strftime("%Y-%m-%dT%H:%M:%S.") + f"{generated.microsecond // 1000:03d}Z"
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(content.name)} Status</title>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="csrf-token" content="{token}">',
        f'<meta name="request-id" content="{request_id}">',
        f'<link rel="stylesheet" href="/assets/status.css?v={rng.randint(10**6, 10**7)}">',
        f"<style>{_STYLE if padded else ''}</style>",
        f'<script nonce="{token[:16]}">window.__RENDERED_AT="{stamp}";'
        f"{_SCRIPT if padded else ''}</script>",
        "</head><body>",
        '<header class="site-header"><nav class="top-nav"><ul>'
        '<li><a href="/">Status</a></li><li><a href="/history">Incident history</a></li>'
        '<li><a href="/subscribe">Subscribe to updates</a></li>'
        '<li><a href="https://example.com/support">Contact support</a></li></ul></nav>',
        f'<div class="brand"><h1>{escape(content.name)} Status</h1></div></header>',
        '<main class="container">',
        '<section class="overall-status"><h2>All Systems Operational</h2>'
        f'<p class="refreshed">Last updated {rng.randint(1, 59)} seconds ago</p></section>',
        '<section class="components"><h2>Components</h2><ul class="component-list">',
    ]
    for component in content.components:
        uptime = f"{rng.uniform(99.5, 100):.2f}"
        parts.append(
            f'<li class="component"><span class="component-name">{escape(component)}</span> '
            f'<span class="component-state">Operational</span> '
            f'<span class="component-uptime">{uptime}% uptime</span></li>'
        )
    parts.append('</ul></section><section class="history"><h2>Past Incidents</h2>')
    day = None
    for incident in content.incidents:
        shown_day = incident.updates[-1].posted.date()
        if shown_day != day:
            if day is not None:
                parts.append("</div>")
            day = shown_day
            parts.append(
                f'<div class="day"><h3 class="day-date">{shown_day.strftime("%b")} '
                f"{shown_day.day}, {shown_day.year}</h3>"
            )
        parts.append(_incident(content, incident, rng))
    parts.append("</div></section>")
    parts.append(
        '<form class="subscribe" method="post" action="/subscribe">'
        f'<input type="hidden" name="csrf_token" value="{token}">'
        '<label>Email <input type="email" name="email"></label>'
        '<button type="submit">Subscribe</button></form></main>'
    )
    parts.append(
        '<footer class="site-footer"><p>Powered by Statusly · '
        f"Page generated {stamp} · Rendered in {rng.randint(12, 180)} ms · "
        f"Request ID {request_id}</p><p>© 2026 {escape(content.name)}</p></footer>"
        "</body></html>\n"
    )
    return "".join(parts).encode()


def _incident(content: Site, incident: Incident, rng: random.Random) -> str:
    if content.layout == "div":
        head = (
            f'<div class="incident" id="incident-{incident.ident}">'
            f'<h4 class="incident-title"><a href="/incidents/{incident.ident}">'
            f'{escape(incident.title)}</a></h4><div class="incident-updates">'
        )
        tail = "</div></div>"
    else:
        head = (
            f'<article class="incident-card"><h4><a href="/incidents/{incident.ident}">'
            f'{escape(incident.title)}</a></h4><ol class="timeline">'
        )
        tail = "</ol></article>"
    body = [head]
    for update in incident.updates:
        shown = f"{update.posted.strftime('%b')} {update.posted.day}, {update.posted:%H:%M} UTC"
        age = content.now - update.posted
        posted = ""
        if age < timedelta(hours=2):  # recent updates say how long ago, counted at request time
            minutes = int(age.total_seconds() // 60) + rng.randint(0, 14)
            posted = f"Posted {minutes} minutes ago · "
        if content.layout == "div":
            body.append(
                f'<div class="update"><strong>{update.status}</strong> - {escape(update.text)}'
                f"<br><small>{posted}{shown}</small></div>"
            )
        else:
            body.append(
                f'<li class="timeline-entry"><span class="label">{update.status}</span>'
                f"<p>{escape(update.text)}</p>"
                f'<time datetime="{update.posted:%Y-%m-%dT%H:%M:%SZ}">{posted}{shown}</time></li>'
            )
    body.append(tail)
    return "".join(body)


def page_bytes(
    index: int,
    round: int = 0,
    noise_seed: int = 0,
    edits: Iterable[tuple[int, int]] = (),
    additions: Iterable[int] = (),
) -> bytes:
    """Page `index` as served in `round` to the request `noise_seed`, with real edits
    `(incident, update)` and new updates on the incidents in `additions` planted."""
    content = site(index, round)
    for incident in additions:
        content = add_update(content, incident)
    for incident, update in edits:
        content = plant_edit(content, incident, update)
    return render(content, noise_seed)
