"""HTTP: fetch status pages politely and robustly, and say exactly how each attempt ended.

Expected failures are values, not exceptions: every call returns a `FetchResult` whose `error`
is None for a usable body or one of the failure kinds. Bytes are kept exactly as received.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from . import __version__
from .models import FetchResult

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
    deadline: float = 60.0  # wall clock for one fetch, retries excluded
    max_bytes: int = 20 * 1024 * 1024  # both on the wire and decompressed
    retries: int = 3
    backoff: float = 1.0
    retry_after_cap: float = 60
    workers: int = 8
    per_host: int = 2


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_session(policy: Policy) -> requests.Session:
    """One session per run: connection reuse, our User-Agent, retries with backoff."""
    retry = Retry(
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
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=max(policy.workers, 2))
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


_CHALLENGE_MARKERS = (
    b"cf-chl-",
    b"challenge-platform",
    b"<title>just a moment...</title>",
    b"checking your browser before accessing",
    b"enable javascript and cookies to continue",
    b"attention required! | cloudflare",
    b"_incapsula_resource",
    b"px-captcha",
    b"ddos-guard",
)


def is_challenge(status: int, headers: dict[str, str], body: bytes) -> bool:
    """A bot-protection page standing in for the real one (Cloudflare, Imperva, PerimeterX...)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if lowered.get("cf-mitigated", "").lower() == "challenge":
        return True
    head = body[:65536].lower()
    if b"<" not in head:
        return False
    return any(marker in head for marker in _CHALLENGE_MARKERS)


class _BodyTooLarge(Exception):
    pass


class _Deadline(Exception):
    pass


def _read_body(response: requests.Response, policy: Policy, deadline: float) -> bytes:
    """Read the body in small pieces so a dripping server or a gzip bomb cannot hold us."""
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > policy.max_bytes:
        raise _BodyTooLarge(f"Content-Length {declared} exceeds the {policy.max_bytes} byte limit")
    raw = response.raw
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise _Deadline(f"body not complete after {policy.deadline:g}s (received {size} bytes)")
        chunk = raw.read1(65536, decode_content=True)
        if not chunk:
            break
        size += len(chunk)
        if size > policy.max_bytes:
            raise _BodyTooLarge(f"body exceeds the {policy.max_bytes} byte limit once decompressed")
        if raw.tell() > policy.max_bytes:
            raise _BodyTooLarge(f"body exceeds the {policy.max_bytes} byte limit on the wire")
        chunks.append(chunk)
    return b"".join(chunks)


def fetch_url(
    session: requests.Session,
    url: str,
    policy: Policy,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResult:
    """GET one URL, conditionally when validators are known, and describe the outcome."""
    started = now_iso()
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = {"method": "GET", "url": url, "headers": {**session.headers, **headers}}
    base: dict[str, Any] = {"url": url, "started_at": started, "request": _jsonable(request)}
    deadline = time.monotonic() + policy.deadline
    try:
        with session.get(
            url,
            headers=headers,
            timeout=(policy.connect_timeout, policy.read_timeout),
            stream=True,
            allow_redirects=True,
        ) as response:
            status = response.status_code
            response_headers = dict(response.headers)
            final_url = response.url
            common: dict[str, Any] = {**base, "status": status, "final_url": final_url}
            common["headers"] = response_headers
            if status == 304:
                return FetchResult(finished_at=now_iso(), not_modified=True, **common)
            body = _read_body(response, policy, deadline)
    except _Deadline as exc:
        return _failed(base, TIMEOUT, str(exc))
    except _BodyTooLarge as exc:
        return _failed(base, TOO_LARGE, str(exc))
    except requests.exceptions.RetryError as exc:
        return _failed(base, HTTP_5XX, f"gave up after retries: {_reason(exc)}")
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        return _failed(base, TIMEOUT if _timed_out(exc) else CONNECTION, _reason(exc))
    return _judge(common, body)


def _judge(common: dict, body: bytes) -> FetchResult:
    status = common["status"]
    headers = common["headers"]
    finished = now_iso()
    if is_challenge(status, headers, body):
        detail = f"HTTP {status}: a bot-protection challenge page was served instead of the page"
        return FetchResult(finished_at=finished, body=body, error=BLOCKED, detail=detail, **common)
    if 400 <= status < 500:
        detail = f"HTTP {status} {_status_text(status)}"
        return FetchResult(finished_at=finished, body=body, error=HTTP_4XX, detail=detail, **common)
    if status >= 500:
        detail = f"HTTP {status} {_status_text(status)}"
        return FetchResult(finished_at=finished, body=body, error=HTTP_5XX, detail=detail, **common)
    if not body.strip():
        detail = f"HTTP {status} with an empty body"
        return FetchResult(finished_at=finished, body=body, error=EMPTY, detail=detail, **common)
    return FetchResult(finished_at=finished, body=body, **common)


def _failed(base: dict, kind: str, detail: str) -> FetchResult:
    return FetchResult(finished_at=now_iso(), error=kind, detail=detail, **base)


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


def _jsonable(request: dict) -> dict:
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in request.items()}


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
) -> None:
    """Fetch every job on a bounded pool; `on_result` runs in the calling thread, one at a time.

    Keeping storage in the calling thread means one SQLite writer and no locking games.
    """
    session = make_session(policy)
    limiter = HostLimiter(policy.per_host)

    def work(job: Job) -> FetchResult:
        with limiter.slot(job.url):
            return fetch_url(
                session, job.url, policy, etag=job.etag, last_modified=job.last_modified
            )

    with session, ThreadPoolExecutor(max_workers=max(1, policy.workers)) as pool:
        futures = {pool.submit(work, job): job for job in jobs}
        for future in as_completed(futures):
            on_result(futures[future], future.result())
