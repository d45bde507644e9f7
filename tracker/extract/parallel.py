"""Extraction on worker processes, so that parsing pages runs beside the downloads.

A check of many pages spends most of its processor time parsing HTML. In the process that
downloads, that parsing holds the interpreter lock the download threads need, so the pages
queue behind each other; on worker processes it runs while the next pages arrive. The result
is the same value `extract` returns in the calling process: only where it is computed moves.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from ..errors import ExtractionError
from ..processes import die_with

T = TypeVar("T")

# Fewer pages than this are parsed in the calling process: starting workers costs more.
MIN_PAGES = 8
# A smaller body that is not HTML is read in the calling process: reading it there costs
# less than sending it to a worker and its reading back.
MIN_BYTES = 64 * 1024


class Extractors:
    """A pool of worker processes reading bodies; `submit` gives a future of the value.

    The reading function is the caller's (`extract`, or `extract` and what the caller works
    out from the document), so what comes back needs no more work in the calling process.
    """

    def __init__(self, workers: int):
        # Forked, so a worker starts at once with the code already loaded (a fresh interpreter
        # would import the caller's main module again), and forked now, before the caller's
        # download threads start: a fork copies only the forking thread, so it cannot copy a
        # lock another thread was holding.
        context = multiprocessing.get_context("fork")
        self._pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_die_with, initargs=(os.getpid(),)
        )
        for started in [self._pool.submit(os.getpid) for _ in range(workers)]:
            started.result()

    @classmethod
    def for_pages(cls, count: int) -> Extractors | None:
        """A pool sized for this machine when `count` pages make one worth starting (Linux)."""
        if count < MIN_PAGES or not sys.platform.startswith("linux"):
            return None
        cores = len(os.sched_getaffinity(0))
        if cores < 2:
            return None
        return cls(workers=min(cores, 4))

    def submit(self, read: Callable[..., T], *args: Any) -> Future[tuple[T | None, str | None]]:
        """`read(*args)` on a worker; `read` must be a module-level function."""
        return self._pool.submit(_read, read, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def worth_a_worker(size: int, content_type: str | None) -> bool:
    """Whether a body of `size` bytes is worth reading on a worker: HTML (laying out and
    reading a page's incidents is the costly reading), or a large body of any kind."""
    kind = (content_type or "").split(";")[0].strip().lower()
    return size >= MIN_BYTES or (size > 0 and kind in _HTML)


_HTML = ("text/html", "application/xhtml+xml")


def outcome(future: Future[tuple[T | None, str | None]], read: Callable[..., T], *args: Any) -> T:
    """The value a submitted reading gave, or its ExtractionError raised here.

    A worker that died (killed, out of memory) is no verdict on the page: it is read here.
    """
    try:
        value, error = future.result()
    except BrokenProcessPool:
        return read(*args)
    if error is not None:
        raise ExtractionError(error)
    assert value is not None
    return value


def _die_with(parent: int) -> None:
    """A worker ends with the run that started it and finishes the page in hand on Ctrl-C
    (the run stops the pool); it keeps the memory it frees for the next page."""
    die_with(parent)
    _keep_freed_memory()


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_KEPT = 256 * 1024 * 1024


def _keep_freed_memory() -> None:
    """Have glibc's malloc keep what a worker frees for its next page.

    A worker receives each body through a pipe and frees it once read; with the default
    thresholds a large body's buffers are mapped afresh from the system for every page and
    unmapped after it, so the worker spends more time taking page faults than reading.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024)  # glibc's largest
        libc.mallopt(_M_TRIM_THRESHOLD, _KEPT)


def _read(read: Callable[..., T], *args: Any) -> tuple[T | None, str | None]:
    try:
        return read(*args), None
    except ExtractionError as exc:
        return None, str(exc)
