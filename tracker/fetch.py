"""HTTP: fetch status pages politely and robustly, and say exactly how each attempt ended.

Expected failures are values, not exceptions: every call returns a `FetchResult` whose `error`
is None for a usable body or one of the failure kinds. Bytes are kept exactly as received.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from . import __version__
from .deadline import Crew, DeadlineAdapter, DeadlinePassed, DeadlineRetry, Watchdog
from .models import FetchResult
from .times import now_iso

USER_AGENT = (
    f"status-tracker/{__version__} (+https://pypi.org/project/status-tracker/; "
    "archives public status pages)"
)

# Failure kinds, as stored in fetches.error.
TIMEOUT, CONNECTION, HTTP_4XX, HTTP_5XX = "timeout", "connection", "http_4xx", "http_5xx"
BLOCKED, EMPTY, TOO_LARGE, UNPARSEABLE = "blocked", "empty", "too_large", "unparseable"


@dataclass(frozen=True)
class Policy:
    """How patient and how greedy one run is."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    # Wall clock for one attempt at a page, headers and body together; every retry gets it
    # afresh, and the waits between retries do not count.
    deadline: float = 60.0
    max_bytes: int = 20 * 1024 * 1024  # both on the wire and decompressed
    retries: int = 3
    backoff: float = 1.0
    retry_after_cap: float = 60
    workers: int = 8
    per_host: int = 2


def make_session(policy: Policy) -> requests.Session:
    """One session per run: connection reuse, our User-Agent, retries with backoff."""
    retry = DeadlineRetry(
        total=policy.retries,
        connect=policy.retries,
        read=0,
        status=policy.retries,
        other=0,
        redirect=10,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=(429, 502, 503, 504),
        backoff_factor=policy.backoff,
        backoff_max=policy.retry_after_cap,
        respect_retry_after_header=True,
        retry_after_max=math.ceil(policy.retry_after_cap),
        raise_on_status=False,
        raise_on_redirect=False,
    )
    session = requests.Session()
    adapter = DeadlineAdapter(max_retries=retry, pool_maxsize=max(policy.workers, 2))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update(
        {
            "User-Agent": USER_AGENT,
            "Accept": "application/json, application/atom+xml, application/rss+xml, "
            "text/html;q=0.9, */*;q=0.8",
            "Accept-Encoding": "gzip, deflate",
        }
    )
    return session


# -- bot protection ----------------------------------------------------------------------------

# The titles of Cloudflare's challenge and block pages count whatever the page's size or status:
# a title tag quoted in an incident's text would be escaped.
_CHALLENGE_MARKUP = (
    b"<title>just a moment...</title>",
    b"<title>attention required! | cloudflare</title>",
)
# Names and texts that an ordinary page may carry too, so they count only on a refusal or a
# tiny page. Not `challenge-platform`: Cloudflare injects /cdn-cgi/challenge-platform/scripts/
# jsd/main.js into ordinary pages it serves. Not a vendor's bare name either: an incident may
# well say "DDoS-Guard".
_CHALLENGE_HINTS = (
    b"cf-chl-",
    b"_cf_chl_opt",
    b"enable javascript and cookies to continue",
    b"checking your browser before accessing",
    b"_incapsula_resource",
    b"px-captcha",
)
_REFUSALS = frozenset({403, 429, 503})
# Challenge and block pages served with a 200 (Imperva's) weigh a kilobyte or so; a real status
# page is far larger. Imperva injects its `_Incapsula_Resource` script into the pages it lets
# through, so on a 200 only a page this small can be its challenge.
_TINY_PAGE = 4 * 1024
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")
_DATA_STARTS = (b"{", b"[", b"<?xml", b"<rss", b"<feed")


def is_challenge(status: int, headers: dict[str, str], body: bytes) -> bool:
    """A bot-protection page standing in for the real one (Cloudflare, Imperva, PerimeterX...).

    `cf-mitigated: challenge` is proof on its own. Otherwise only an HTML body is read, never
    JSON or XML: Cloudflare's challenge titles count; names and texts that ordinary pages may
    carry too count on a refusal status (403, 429, 503) or a tiny page.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    if lowered.get("cf-mitigated", "").strip().lower() == "challenge":
        return True
    if not _is_html(lowered.get("content-type", ""), body):
        return False
    head = body[:65536].lower()
    if any(marker in head for marker in _CHALLENGE_MARKUP):
        return True
    if status not in _REFUSALS and len(body) > _TINY_PAGE:
        return False
    return any(marker in head for marker in _CHALLENGE_HINTS)


def _is_html(content_type: str, body: bytes) -> bool:
    """What the body looks like wins over what the server says it is."""
    start = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(_HTML_STARTS):
        return True
    if start.startswith(_DATA_STARTS):
        return False
    return "html" in content_type.lower()


# -- one fetch ---------------------------------------------------------------------------------


class _BodyTooLarge(Exception):
    pass


def fetch_url(
    session: requests.Session,
    url: str,
    policy: Policy,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResult:
    """GET one URL, conditionally when validators are known, and describe the outcome.

    Each attempt ends by `policy.deadline` however slowly the server sends, headers included.
    """
    watch = Watchdog(policy.deadline)
    return _fetch(session, url, policy, watch, etag=etag, last_modified=last_modified)


def _fetch(
    session: requests.Session,
    url: str,
    policy: Policy,
    watch: Watchdog,
    *,
    etag: str | None,
    last_modified: str | None,
) -> FetchResult:
    started = now_iso()
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = {"method": "GET", "url": url, "headers": {**session.headers, **headers}}
    base: dict[str, Any] = {"url": url, "started_at": started, "request": request}
    try:
        with watch:
            result = _exchange(session, url, headers, policy, base, watch)
    except (
        DeadlinePassed,
        _BodyTooLarge,
        requests.exceptions.RequestException,
        urllib3.exceptions.HTTPError,
        OSError,
    ) as exc:
        return _failed(base, *_failure(exc, watch))
    if watch.cut:  # a body ended by the cut socket looks complete but may be short
        return _failed(base, TIMEOUT, watch.explain())
    return result


def _exchange(
    session: requests.Session,
    url: str,
    headers: dict[str, str],
    policy: Policy,
    base: dict[str, Any],
    watch: Watchdog,
) -> FetchResult:
    with session.get(
        url,
        headers=headers,
        timeout=(policy.connect_timeout, policy.read_timeout),
        stream=True,
        allow_redirects=True,
    ) as response:
        status = response.status_code
        common: dict[str, Any] = {**base, "status": status, "final_url": response.url}
        common["headers"] = dict(response.headers)
        if status == 304:
            return FetchResult(finished_at=now_iso(), not_modified=True, **common)
        body = _read_body(response, policy, watch)
    return _judge(common, body)


def _read_body(response: requests.Response, policy: Policy, watch: Watchdog) -> bytes:
    """Read the body in small pieces so a dripping server or a gzip bomb cannot hold us."""
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > policy.max_bytes:
        raise _BodyTooLarge(f"Content-Length {declared} exceeds the {policy.max_bytes} byte limit")
    raw = response.raw
    chunks: list[bytes] = []
    size = watch.received = 0
    while True:
        watch.check()
        chunk = raw.read1(65536, decode_content=True)
        if not chunk:
            break
        size += len(chunk)
        watch.received = size
        if size > policy.max_bytes:
            raise _BodyTooLarge(f"body exceeds the {policy.max_bytes} byte limit once decompressed")
        if raw.tell() > policy.max_bytes:
            raise _BodyTooLarge(f"body exceeds the {policy.max_bytes} byte limit on the wire")
        chunks.append(chunk)
    return b"".join(chunks)


def _judge(common: dict, body: bytes) -> FetchResult:
    status, headers = common["status"], common["headers"]
    kind: str | None = None
    detail: str | None = None
    if is_challenge(status, headers, body):
        kind = BLOCKED
        detail = f"HTTP {status}: a bot-protection challenge page was served instead of the page"
    elif not 200 <= status < 300:
        kind, detail = _status_failure(status, headers)
    elif not body or body.isspace():  # (strip() would copy a large body)
        kind, detail = EMPTY, f"HTTP {status} with an empty body"
    return FetchResult(finished_at=now_iso(), body=body, error=kind, detail=detail, **common)


def _status_failure(status: int, headers: dict[str, str]) -> tuple[str, str]:
    """The failure kind and detail of any status but 2xx (304 never gets here)."""
    detail = f"HTTP {status} {_status_text(status)}".rstrip()
    if status >= 500:
        return HTTP_5XX, detail
    if 300 <= status < 400:
        # Redirects are followed before we get here, so this one could not be: a 300 Multiple
        # Choices, or a 3xx without a Location. It is filed with the 4xx on purpose: as after a
        # 404, the URL as configured does not give the page, retrying will not help, and the
        # fix is to change the URL. The detail says what happened.
        has_location = any(name.lower() == "location" for name in headers)
        missing = "" if has_location else " (no Location header)"
        return HTTP_4XX, f"{detail}: a redirect that could not be followed{missing}"
    return HTTP_4XX, detail


def _failed(base: dict, kind: str, detail: str) -> FetchResult:
    return FetchResult(finished_at=now_iso(), error=kind, detail=detail, **base)


def _failure(exc: Exception, watch: Watchdog) -> tuple[str, str]:
    """The failure kind and a plain account of what was raised while fetching."""
    if isinstance(exc, _BodyTooLarge):
        return TOO_LARGE, str(exc)
    if isinstance(exc, DeadlinePassed) or watch.fired:
        return TIMEOUT, watch.explain()
    if isinstance(exc, requests.exceptions.RetryError):
        return HTTP_5XX, f"gave up after retries: {_reason(exc)}"
    return (TIMEOUT if _timed_out(exc) else CONNECTION), _reason(exc)


def _status_text(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _cause(exc: BaseException) -> BaseException:
    """The urllib3 error behind a requests exception (requests wraps it in MaxRetryError)."""
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    return getattr(inner, "reason", None) or inner


def _timed_out(exc: BaseException) -> bool:
    """requests reports a read timeout behind retries as a ConnectionError: look inside."""
    cause = _cause(exc)
    # NewConnectionError subclasses ConnectTimeoutError in urllib3, but a refused or
    # unresolvable host is a connection failure, not a slow one.
    if isinstance(cause, urllib3.exceptions.NewConnectionError):
        return False
    return isinstance(exc, requests.exceptions.Timeout) or isinstance(
        cause, TimeoutError | urllib3.exceptions.TimeoutError
    )


def _reason(exc: BaseException) -> str:
    """A short, plain account of a network failure."""
    cause = _cause(exc)
    if isinstance(cause, urllib3.exceptions.NameResolutionError):
        host = getattr(cause.conn, "host", None) or "the host"
        return f"cannot resolve {host}: check the network and DNS"
    if isinstance(cause, urllib3.exceptions.NewConnectionError):
        message = str(cause).rsplit("] ", 1)[-1].rstrip("\"'")
        return f"cannot connect: {message}"
    if isinstance(cause, urllib3.exceptions.ReadTimeoutError):
        return "the server stopped answering (read timeout)"
    if isinstance(cause, urllib3.exceptions.ConnectTimeoutError):
        return "the server did not accept the connection in time (connect timeout)"
    text = str(cause)
    match = re.search(r"\(Caused by (\w+)\((.*)\)\)$", text)
    if match:
        text = f"{match.group(1)}: {match.group(2)}"
    return text[:300]


# -- many fetches ------------------------------------------------------------------------------


class HostLimiter:
    """At most `per_host` requests in flight to any one host."""

    def __init__(self, per_host: int):
        self._per_host = per_host
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            semaphore = self._slots.setdefault(host, threading.Semaphore(self._per_host))
        with semaphore:
            yield


@dataclass(frozen=True)
class Job:
    """One URL to fetch, with the validators of the last version we hold."""

    key: str
    url: str
    etag: str | None = None
    last_modified: str | None = None


def fetch_all(
    jobs: Iterable[Job],
    policy: Policy,
    on_result: Callable[[Job, FetchResult], None],
    arrived_all: Callable[[], None] = lambda: None,
) -> None:
    """Fetch every job on a bounded pool; `on_result` runs in the calling thread, one at a time.

    Keeping storage in the calling thread means one SQLite writer and no locking games.
    `arrived_all` runs whenever every fetch finished so far has been given to `on_result` (so
    a caller may store what piled up in one go), and at the end. When anything is raised
    there (Ctrl-C included), the run stops at once: queued jobs are dropped, fetches under way
    are cut short and never reported, and the exception propagates.
    """
    session = make_session(policy)
    limiter = HostLimiter(policy.per_host)
    crew = Crew()

    def work(job: Job) -> FetchResult:
        with crew.enlist(policy.deadline) as watch, limiter.slot(job.url):
            return _fetch(
                session, job.url, policy, watch, etag=job.etag, last_modified=job.last_modified
            )

    with session:
        pool = ThreadPoolExecutor(max_workers=max(1, policy.workers))
        try:
            finished = [0]  # fetches done, counted by the pool's threads
            counting = threading.Lock()

            def count(_: Future[FetchResult]) -> None:
                with counting:
                    finished[0] += 1

            futures = {pool.submit(work, job): job for job in jobs}
            for future in futures:
                future.add_done_callback(count)
            for handed, future in enumerate(as_completed(futures), 1):
                on_result(futures[future], future.result())
                with counting:
                    more = finished[0] > handed
                if not more:  # none finished since that one
                    arrived_all()
        except BaseException:
            crew.stop()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
