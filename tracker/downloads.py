"""The downloads of a check in a process of their own, beside the process that stores them.

A check spends its processor time in two places that both want one interpreter lock: the
download threads (requests and urllib3 cost a few milliseconds a page) and storing what they
bring (judging the body, SQLite). In one process the two queue behind each other; with the
downloads in a forked child (its own interpreter lock, another core), a page is stored while
the next ones download. The child runs `fetch_all` as the run would and sends each result
back through a pipe; `on_result` runs in the calling thread, one at a time, as with
`fetch_all`. A child that dies leaves the jobs it did not bring back to be fetched here.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection

from .fetch import Job, Policy, fetch_all
from .models import FetchResult
from .processes import die_with

# Fewer jobs than this are fetched in the calling process: forking the child and starting it
# take ~15-25 ms (more from a larger process), about what storing a page beside the download
# of the next saves on 15-25 small pages.
MIN_JOBS = 32


def fetch_apart(
    jobs: Iterable[Job],
    policy: Policy,
    on_result: Callable[[Job, FetchResult], None],
    arrived_all: Callable[[], None] = lambda: None,
) -> None:
    """`fetch_all`, with the downloads in a child process when there are enough of them and
    a core to spare. `arrived_all` runs whenever every result downloaded so far has been
    given to `on_result` (so a caller may store what piled up in one go), and at the end.
    Anything raised (Ctrl-C included) stops the child at once: fetches under way are cut
    short and never reported, and the exception propagates."""
    jobs = list(jobs)
    if len(jobs) < MIN_JOBS or not _cores_to_spare():
        fetch_all(jobs, policy, on_result, arrived_all)
        return
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_download, args=(jobs, policy, sender, os.getpid()), name="downloads", daemon=True
    )
    brought: set[int] = set()
    try:
        # Ctrl-C stays blocked in the child until it has chosen to leave Ctrl-C to the run.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            child.start()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        sender.close()  # so that the child's end closing is the end of the results
        while True:
            try:
                index, result = receiver.recv()
            except (EOFError, OSError):  # the end, or the child died in the middle of a result
                break
            brought.add(index)
            on_result(jobs[index], result)
            if not receiver.poll():
                arrived_all()
    except BaseException:
        if child.pid is not None:
            child.kill()
        raise
    finally:
        receiver.close()
        if child.pid is not None:
            child.join()
    arrived_all()
    rest = [job for index, job in enumerate(jobs) if index not in brought]
    if rest:  # the child died (killed, out of memory) before it brought them all
        fetch_all(rest, policy, on_result, arrived_all)


def _cores_to_spare() -> bool:
    return sys.platform.startswith("linux") and len(os.sched_getaffinity(0)) >= 2


def _download(jobs: list[Job], policy: Policy, sender: Connection, parent: int) -> None:
    """The child's whole life. It ends with `os._exit`: the exit hooks it inherited belong to
    the run (they would poke the run's parsing pool through pipes the two share). A child that
    fails says nothing: the run fetches what it did not bring back, and meets the same error
    where it can report it."""
    die_with(parent)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # ignored from here
    positions = {id(job): index for index, job in enumerate(jobs)}
    try:
        fetch_all(jobs, policy, lambda job, result: sender.send((positions[id(job)], result)))
        sender.close()
    except BaseException:  # noqa: BLE001 - see above
        os._exit(1)
    os._exit(0)
