"""robots.txt (RFC 9309): may a tracked page be fetched?

Each origin's robots.txt is fetched once and kept 24 hours. As the RFC says: a 4xx answer means
there are no rules (allowed); a 5xx answer or no answer at all means everything is disallowed
until it can be read, so that one is asked again at the next run rather than kept. A source added
with `--ignore-robots` is fetched whatever the rules say, and each fetch records which applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from protego import Protego

from .fetch import USER_AGENT, Job, Policy, fetch_all
from .models import FetchResult
from .times import now_iso, seconds_between

ROBOTS = "robots"  # the failure kind of a fetch robots.txt disallowed
KEEP_SECONDS = 24 * 3600
# RFC 9309 §2.5: crawlers must read at least 500 KiB of a robots.txt.
MAX_BYTES = 512 * 1024
TOKEN = "status-tracker"  # the product token a robots.txt group names us by
IGNORED = "ignored (--ignore-robots)"

Load = Callable[[str], dict[str, Any] | None]
Save = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Check:
    """One tracked page to check: `key` names it (the source), `url` is what will be fetched."""

    key: str
    url: str
    ignore: bool = False


def origin(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{host}{port}"


def fresh(row: dict[str, Any] | None, now: str) -> bool:
    """A stored robots.txt still good: read (or absent, 4xx) within the last 24 hours."""
    if row is None or row.get("error") or (row.get("status") or 0) >= 500:
        return False
    return 0 <= seconds_between(row["fetched_at"], now) < KEEP_SECONDS


def row_from(result: FetchResult, site: str) -> dict[str, Any]:
    """What is kept of one robots.txt fetch."""
    status = result.status
    body = error = None
    if status is None:
        error = f"{result.error}: {result.detail}" if result.error else "no answer"
    elif status >= 500:
        error = f"HTTP {status}"
    elif 200 <= status < 300:
        body = (result.body or b"")[:MAX_BYTES].decode("utf-8", "replace")
    # A 4xx keeps no body and no error: there are no rules, everything is allowed.
    return {
        "origin": site,
        "fetched_at": result.finished_at,
        "status": status,
        "body": body,
        "error": error,
    }


def verdict(row: dict[str, Any], url: str) -> tuple[bool, str]:
    """Whether `url` may be fetched under the robots.txt in `row`, and in a few words why."""
    where = f"{row['origin']}/robots.txt"
    if row.get("error"):
        return False, f"{where} could not be read ({row['error']}), so nothing may be fetched"
    status = row.get("status")
    if status is not None and 400 <= status < 500:
        return True, f"allowed ({where}: HTTP {status}, no rules)"
    rules = Protego.parse(row.get("body") or "")
    if rules.can_fetch(url, TOKEN) and rules.can_fetch(url, USER_AGENT):
        return True, f"allowed by {where}"
    return False, f"{where} disallows {urlsplit(url).path or '/'} for {TOKEN}"


def check(
    pages: Iterable[Check], policy: Policy, load: Load, save: Save, now: str | None = None
) -> dict[str, tuple[bool, str]]:
    """Each page's verdict; the robots.txt files not known fresh are fetched concurrently."""
    wanted = list(pages)
    now = now or now_iso()
    sites = {origin(p.url) for p in wanted if not p.ignore}
    rows = {site: load(site) for site in sites}
    stale = [site for site, row in rows.items() if not fresh(row, now)]
    if stale:

        def keep(job: Job, result: FetchResult) -> None:
            row = row_from(result, job.key)
            save(row)
            rows[job.key] = row

        # One try each: a server error is not kept, so the next run asks again anyway.
        quick = replace(policy, retries=0, max_bytes=max(policy.max_bytes, MAX_BYTES))
        fetch_all([Job(key=site, url=f"{site}/robots.txt") for site in stale], quick, keep)
    found = {}
    for page in wanted:
        if page.ignore:
            found[page.key] = (True, IGNORED)
        else:
            row = rows[origin(page.url)]
            assert row is not None
            found[page.key] = verdict(row, page.url)
    return found


def refused(url: str, reason: str) -> FetchResult:
    """The failed fetch of a page robots.txt disallows: nothing was asked of the page."""
    when = now_iso()
    return FetchResult(
        url=url,
        started_at=when,
        finished_at=when,
        error=ROBOTS,
        detail=reason,
        request={"robots": reason},
    )


def stamp(result: FetchResult, reason: str) -> FetchResult:
    """The result with the robots.txt verdict it was fetched under, kept as its provenance."""
    return replace(result, request={**result.request, "robots": reason})
