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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

from ..archive import Archive
from ..errors import ImportFailed
from ..fetch import CONNECTION, HTTP_5XX, TIMEOUT, Policy, fetch_url, make_session
from ..models import FetchResult
from ..pipeline import ingest
from .common import ImportSummary, ProgressCallback, Tally, ensure_source, iso_utc, newest_seen

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
    import of newer captures only fetches what is missing.
    """
    policy = policy or WaybackPolicy()
    target = ensure_source(archive, source, url, fmt)
    tally = Tally(target.name, ORIGIN)
    floor = newest_seen(archive, target.name)
    client = _Client(policy, sleep)
    with client:
        for capture in client.captures(url, start, end):
            tally.count("found")
            reference = capture.url(policy.archive_url)
            if capture.statuscode != "200":
                tally.count("not_ok")
            elif archive.has_reference(target.name, ORIGIN, reference):
                tally.count("already_imported")
            elif floor and capture_time(capture.timestamp) < floor:
                tally.count("too_old")
            else:
                result = client.capture(reference)
                if result.error in TRANSIENT:
                    tally.transient(reference, result.error or "", result.detail)
                else:
                    seen = capture_time(_served_timestamp(result) or capture.timestamp)
                    outcome = ingest(
                        archive,
                        target,
                        result,
                        origin=ORIGIN,
                        reference=reference,
                        observed_at=seen,
                    )
                    tally.ingested(reference, outcome)
            if on_progress:
                on_progress(tally.counts["found"], None)
    return tally.summary()


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
                raise ImportFailed(
                    f"the CDX API failed for {url}: {result.detail}; "
                    "try again later (captures already imported are skipped)"
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
                    break
                pause = min(max(wait, _retry_after(result)), policy.backoff_cap)
                self.sleep(pause)
                waited, wait = waited + pause, wait * 2
            elif result.error in TRANSIENT and retries < policy.retries:
                retries += 1
                self.sleep(policy.retry_wait)
            else:
                return result
        raise ImportFailed(
            f"the Wayback Machine answered 429 Too Many Requests {limited} times for {url} "
            f"(after {waited:.0f} s of waiting); it limits clients that ask too often: wait an "
            "hour, then run the same command again (captures already imported are skipped)"
        )


def _retry_after(result: FetchResult) -> float:
    for name, value in result.headers.items():
        if name.lower() == "retry-after" and value.strip().isdigit():
            return float(value)
    return 0.0
