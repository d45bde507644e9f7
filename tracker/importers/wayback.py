"""Import a page's history from the Internet Archive's Wayback Machine.

The CDX API lists the captures of a URL; each capture is fetched raw (the `id_` form, without
the archive's toolbar) and ingested at the time it was captured, never as our own observation.
The archive asks for fewer than ~24 CDX requests a minute and answers 429 beyond its limits;
every wait goes through an injectable `sleep`, so tests need not wait.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import urlencode

from ..archive import Archive
from ..errors import ImportFailed
from ..fetch import CONNECTION, HTTP_5XX, TIMEOUT, Policy, fetch_url, make_session
from ..models import FetchResult
from .common import ImportSummary, ProgressCallback, Run, ensure_source, iso_utc

ORIGIN = "wayback"
FIELDS = ("timestamp", "original", "statuscode", "digest", "mimetype")
TRANSIENT = (TIMEOUT, CONNECTION, HTTP_5XX)
_CAPTURE_TIME = re.compile(r"/web/(\d{14})id_/")

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class WaybackPolicy:
    """Where the archive is and how gently to ask it."""

    cdx_url: str = "https://web.archive.org/cdx/search/cdx"
    archive_url: str = "https://web.archive.org"
    page_size: int = 500
    cdx_interval: float = 2.5  # seconds between CDX pages: at most 24 a minute
    delay: float = 1.0  # seconds between capture downloads
    backoff: float = 60.0  # first wait after a 429, doubled each time
    backoff_cap: float = 600.0
    tries: int = 5  # attempts of one request while the archive answers 429
    retries: int = 2  # more attempts after a timeout, a connection error or a 5xx
    retry_wait: float = 10.0
    http: Policy = field(default_factory=lambda: Policy(retries=0, read_timeout=60.0))


@dataclass(frozen=True)
class Capture:
    timestamp: str  # 14 digits, UTC
    original: str
    statuscode: str
    digest: str = ""
    mimetype: str = ""

    def url(self, archive_url: str) -> str:
        return f"{archive_url.rstrip('/')}/web/{self.timestamp}id_/{self.original}"


def import_wayback(
    archive: Archive,
    url: str,
    *,
    source: str,
    fmt: str | None = None,
    start: str | None = None,
    end: str | None = None,
    policy: WaybackPolicy | None = None,
    sleep: Sleep = time.sleep,
    on_progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Ingest every capture of `url` (from/to as YYYYMMDD...), oldest first.

    Captures already imported are skipped, so a rerun after an interruption or a later
    import of newer captures only fetches what is missing. A capture the archive cannot serve
    right now (timeout, connection error, 5xx, 429 after every wait) stops the import there:
    the summary's `stopped` names it, and a rerun continues from it.
    """
    policy = policy or WaybackPolicy()
    run = Run(archive, ensure_source(archive, source, url, fmt), ORIGIN)
    with _Client(policy, sleep) as client:
        for found, capture in enumerate(client.captures(url, start, end), start=1):
            run.tally.count("found")
            reference = capture.url(policy.archive_url)
            if capture.statuscode != "200":
                run.tally.count("not_ok")
            elif not run.skipped(reference, capture_time(capture.timestamp)):
                result = client.capture(reference)
                if is_transient(result):
                    # Nothing after it may be stored: a later version would put this capture
                    # before the newest stored one, and the rerun would pass over it for good.
                    run.tally.stop(reference, result.error or "", result.detail)
                    break
                seen = capture_time(_served_timestamp(result) or capture.timestamp)
                run.store(reference, result, seen)
            if on_progress:
                on_progress(found, None)
    return run.tally.summary()


def is_transient(result: FetchResult) -> bool:
    """A failure of the archive, not of the capture: the same request may work later."""
    return result.error in TRANSIENT or result.status == 429


def capture_time(timestamp: str) -> str:
    moment = datetime.strptime(timestamp[:14].ljust(14, "0"), "%Y%m%d%H%M%S")
    return iso_utc(moment.replace(tzinfo=UTC))


def _served_timestamp(result: FetchResult) -> str | None:
    """The capture the archive actually served: it redirects to the nearest one it has."""
    match = _CAPTURE_TIME.search(result.final_url or "")
    return match.group(1) if match else None


def parse_cdx(body: bytes) -> tuple[list[Capture], str | None]:
    """Captures and the resume key from one page of CDX JSON output.

    The first row names the fields; with showResumeKey an empty row is followed by the key.
    """
    try:
        rows = json.loads(body)
    except ValueError as exc:
        raise ImportFailed(f"the CDX API answered something that is not JSON: {exc}") from exc
    if not isinstance(rows, list) or not rows:
        return [], None
    header = rows[0]
    captures: list[Capture] = []
    for index, row in enumerate(rows[1:], start=1):
        if not row:
            after = rows[index + 1 : index + 2]
            return captures, (after[0][0] if after and after[0] else None)
        values = dict(zip(header, row, strict=False))
        captures.append(Capture(**{name: str(values.get(name) or "") for name in FIELDS}))
    return captures, None


class _Client:
    """The archive's two endpoints, paced, with long pauses when it says 429."""

    def __init__(self, policy: WaybackPolicy, sleep: Sleep):
        self.policy = policy
        self.sleep = sleep
        self.session = make_session(policy.http)
        self._fetched = False

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.close()

    def captures(self, url: str, start: str | None, end: str | None) -> Iterator[Capture]:
        resume: str | None = None
        seen_keys: set[str] = set()
        while True:
            if seen_keys:
                self.sleep(self.policy.cdx_interval)
            result = self._get(self._cdx_url(url, start, end, resume))
            if result.error:
                later = "" if result.status == 429 else "; try again later"
                raise ImportFailed(
                    f"the CDX API failed for {url}: {result.detail}{later} "
                    "(captures already imported are skipped)"
                )
            page, resume = parse_cdx(result.body or b"")
            yield from page
            if not resume or resume in seen_keys:
                return
            seen_keys.add(resume)

    def capture(self, reference: str) -> FetchResult:
        if self._fetched:
            self.sleep(self.policy.delay)
        self._fetched = True
        return self._get(reference)

    def _cdx_url(self, url: str, start: str | None, end: str | None, resume: str | None) -> str:
        params = {
            "url": url,
            "output": "json",
            "fl": ",".join(FIELDS),
            "collapse": "digest",
            "showResumeKey": "true",
            "limit": str(self.policy.page_size),
        }
        if start:
            params["from"] = start
        if end:
            params["to"] = end
        if resume:
            params["resumeKey"] = resume
        return f"{self.policy.cdx_url}?{urlencode(params)}"

    def _get(self, url: str) -> FetchResult:
        """One GET; on 429 wait minutes (doubling), on transient failures seconds."""
        policy = self.policy
        wait, waited, limited, retries = policy.backoff, 0.0, 0, 0
        while True:
            result = fetch_url(self.session, url, policy.http)
            if result.status == 429:
                limited += 1
                if limited >= policy.tries:
                    return replace(result, detail=_rate_limited(limited, waited))
                pause = min(max(wait, _retry_after(result)), policy.backoff_cap)
                self.sleep(pause)
                waited, wait = waited + pause, wait * 2
            elif result.error in TRANSIENT and retries < policy.retries:
                retries += 1
                self.sleep(policy.retry_wait)
            else:
                return result


def _rate_limited(times: int, waited: float) -> str:
    return (
        f"HTTP 429 Too Many Requests {times} times (after {waited:.0f} s of waiting): the "
        "Wayback Machine limits clients that ask too often; wait an hour before running the "
        "same command again"
    )


def _retry_after(result: FetchResult) -> float:
    for name, value in result.headers.items():
        if name.lower() == "retry-after" and value.strip().isdigit():
            return float(value)
    return 0.0
