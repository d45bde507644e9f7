"""The deadline of one fetch: a wall clock over an attempt, headers and body together.

Timeouts bound each socket read, not a response: a server sending a byte a second never trips
them, in the headers or in the body. So each fetch has a watchdog that, at the deadline, shuts
down the socket the fetch is blocked on, and the read returns at once. Connections pass from
fetch to fetch through the pool, so a watchdog may touch a connection only while its own fetch
holds it: a connection records its holder, under `_LOCK`, when a request is sent on it and
forgets it when it goes back to the pool.
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

_LOCK = threading.Lock()
_INTERRUPTED = "the run was interrupted before this page was complete"


class DeadlinePassed(Exception):
    """Raised in the fetching thread when its attempt is out of time."""


class Watchdog:
    """The deadline of one fetch: when it passes, the connection the fetch holds is cut.

    Used as a context manager around the fetch, in the thread that fetches.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.fired = False
        self.cut = False  # a socket was shut down under this fetch: what it read may be short
        self.received: int | None = None  # body bytes so far; None until the headers are in
        self.connections: set[_WatchedHTTPConnection] = set()  # those it has sent a request on
        self._expires = math.inf  # time.monotonic() at which the current attempt runs out
        self._reason = ""
        self._alarm: int | None = None  # the token of the alarm set for the current attempt
        self._woken = threading.Event()
        self._done = False

    def __enter__(self) -> Watchdog:
        _thread.watch = self
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        with _LOCK:
            self._done = True
            self._stop_timer()
        _thread.watch = None

    def check(self) -> None:
        """Raise `DeadlinePassed` if the current attempt is out of time."""
        if time.monotonic() > self._expires:
            raise DeadlinePassed

    def fire(self, reason: str = "") -> None:
        """End the fetch now: cut the connection it holds and end any wait between attempts."""
        with _LOCK:
            self._fire(reason)

    def _fire(self, reason: str) -> None:  # under _LOCK
        if self._done or self.fired:
            return
        self.fired = True
        self._reason = reason or self._progress()  # as things stood when time ran out
        self._woken.set()
        for conn in self.connections:
            if conn.watchdog is self and conn.sock is not None:
                _shut(conn.sock)
                self.cut = True

    def explain(self) -> str:
        return self._reason or self._progress()

    def start(self) -> None:
        """Start the clock for one attempt."""
        with _LOCK:
            self._stop_timer()
            if self._done:
                return
            self._expires = time.monotonic() + self.seconds
            self._alarm = _ALARMS.set(self, self._expires)

    def wait(self, seconds: float) -> None:
        """Wait between attempts with the clock stopped; an interrupted run ends the wait."""
        with _LOCK:
            self._stop_timer()
            self._expires = math.inf
        self._woken.wait(seconds)
        self.start()

    def _progress(self) -> str:
        if self.received is None:
            return f"no complete response headers after {self.seconds:g}s: the server is too slow"
        return f"body not complete after {self.seconds:g}s (received {self.received} bytes)"

    def _stop_timer(self) -> None:
        self._alarm = None  # the alarm set goes off for nothing (see `_Alarms`)

    def _ring(self, token: int) -> None:
        """The alarm `token` went off: fire, unless it was stopped or set again since."""
        with _LOCK:
            if self._alarm == token:
                self._fire("")


class _Alarms:
    """One thread that fires each watchdog when its attempt runs out of time.

    A timer thread per fetch, started and stopped around every attempt, costs a quarter of a
    millisecond of processor time: as much as storing a fast page. Here an alarm is an entry
    in a heap; one stopped early is left to go off for nothing (`Watchdog._ring`).
    """

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._heap: list[tuple[float, int, Watchdog]] = []
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None

    def set(self, watch: Watchdog, when: float) -> int:
        """Ring `watch` at `when` (time.monotonic()); the token names this alarm."""
        token = next(self._tokens)
        with self._ready:
            heapq.heappush(self._heap, (when, token, watch))
            # (A forked child starts alarms of its own: `_after_fork_in_child`.)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="deadlines", daemon=True)
                self._thread.start()
            # The thread sleeps until the earliest alarm; only a new earliest one wakes it
            # (waking it for every fetch costs a switch of threads each time).
            if self._heap[0][1] == token:
                self._ready.notify()
        return token

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    if self._heap:
                        self._ready.wait(self._heap[0][0] - time.monotonic())
                    else:
                        self._ready.wait()
                _, token, watch = heapq.heappop(self._heap)
            watch._ring(token)


_ALARMS = _Alarms()


def _after_fork_in_child() -> None:
    """A forked child (the downloads of a check run in one) has only the thread that forked:
    a lock another thread held at that moment would stay held there for ever."""
    global _LOCK, _ALARMS
    _LOCK = threading.Lock()
    _ALARMS = _Alarms()


os.register_at_fork(after_in_child=_after_fork_in_child)


class _ThreadState(threading.local):
    watch: Watchdog | None = None  # the fetch this thread is running


_thread = _ThreadState()


class Crew:
    """The fetches under way in one run, so that an interrupted run can cut them short."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: set[Watchdog] = set()
        self._stopped = False

    @contextmanager
    def enlist(self, seconds: float) -> Iterator[Watchdog]:
        """A watchdog for one more fetch, fired at once if the run is already stopping."""
        watch = Watchdog(seconds)
        with self._lock:
            self._live.add(watch)
            stopped = self._stopped
        if stopped:
            watch.fire(_INTERRUPTED)
        try:
            yield watch
        finally:
            with self._lock:
                self._live.discard(watch)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            live = list(self._live)
        for watch in live:
            watch.fire(_INTERRUPTED)


def _shut(sock: object) -> None:
    """Shut a socket down so that a read blocked on it in another thread returns at once."""
    raw = sock
    while not isinstance(raw, socket.socket) and hasattr(raw, "socket"):
        raw = raw.socket  # TLS within TLS (through an HTTPS proxy) wraps the real socket
    if not isinstance(raw, socket.socket):
        return
    # The plain socket's shutdown: an SSLSocket's own would also drop its TLS state under the
    # reading thread's feet. OSError: closed already.
    with suppress(OSError):
        socket.socket.shutdown(raw, socket.SHUT_RDWR)


# -- urllib3's side: connections that know which fetch holds them ------------------------------


class _WatchedHTTPConnection(HTTPConnection):
    """A connection that the deadline of the fetch using it can cut."""

    watchdog: Watchdog | None = None

    def connect(self) -> None:
        super().connect()
        watch = _thread.watch
        if watch is not None and watch.fired:  # it passed while connecting: nothing to cut then
            raise DeadlinePassed

    def request(self, *args: Any, **kwargs: Any) -> None:
        _hold(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, HTTPSConnection):
    pass


def _hold(conn: _WatchedHTTPConnection) -> None:
    """Record that this thread's fetch is using `conn`; refuse to send past its deadline."""
    watch = _thread.watch
    with _LOCK:
        if watch is not None and watch.fired:
            raise DeadlinePassed
        conn.watchdog = watch
        if watch is not None:
            watch.connections.add(conn)


def _let_go(conn: object) -> None:
    if isinstance(conn, _WatchedHTTPConnection):
        with _LOCK:
            conn.watchdog = None


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection

    def _put_conn(self, conn: Any) -> None:
        _let_go(conn)
        super()._put_conn(conn)


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection

    def _put_conn(self, conn: Any) -> None:
        _let_go(conn)
        super()._put_conn(conn)


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """Pools of connections that a fetch's deadline can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS has pool classes of its own
            manager.pool_classes_by_scheme = _POOLS
        return manager


class DeadlineRetry(Retry):
    """urllib3's retries, waiting with the deadline's clock stopped."""

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        watch = _thread.watch
        if watch is None:
            super().sleep(response)
            return
        after = None
        if self.respect_retry_after_header and response:
            after = self.get_retry_after(response)
        watch.wait(after or self.get_backoff_time())
