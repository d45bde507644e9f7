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
import signal
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ..errors import ExtractionError
from ..models import Document
from . import extract

# Fewer pages than this are parsed in the calling process: starting workers costs more.
MIN_PAGES = 8
_PR_SET_PDEATHSIG = 1


class Extractors:
    """A pool of worker processes running `extract`; `submit` gives a future of its value."""

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

    def submit(
        self, fmt: str, body: bytes, content_type: str | None, options: dict, url: str | None
    ) -> Future[tuple[Document | None, str | None]]:
        return self._pool.submit(_extract, fmt, body, content_type, options, url)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def outcome(
    future: Future[tuple[Document | None, str | None]],
    fmt: str,
    body: bytes,
    content_type: str | None,
    options: dict,
    url: str | None,
) -> Document:
    """The document a submitted extraction gave, or its ExtractionError raised here.

    A worker that died (killed, out of memory) is no verdict on the page: it is read here.
    """
    try:
        document, error = future.result()
    except BrokenProcessPool:
        return extract(fmt, body, content_type, options, url)
    if error is not None:
        raise ExtractionError(error)
    assert document is not None
    return document


def _die_with(parent: int) -> None:
    """A worker ends when the run that started it ends, however it ends: a worker outliving a
    killed run would hold the data directory's run lock it inherited."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the run was already gone
        os._exit(0)


def _extract(
    fmt: str, body: bytes, content_type: str | None, options: dict, url: str | None
) -> tuple[Document | None, str | None]:
    try:
        return extract(fmt, body, content_type, options, url), None
    except ExtractionError as exc:
        return None, str(exc)
