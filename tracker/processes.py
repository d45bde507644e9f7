"""Forked helper processes of a run (parsing workers, the downloads of a check): each ends with
the run that started it and leaves Ctrl-C to that run."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal

_PR_SET_PDEATHSIG = 1


def die_with(parent: int) -> None:
    """Run first in a forked child: it ends when the run `parent` ends, however it ends (a
    child outliving a killed run would hold the data directory's run lock it inherited).

    An interrupt (Ctrl-C reaches the whole process group) is the run's to handle: it stops
    its children, which would otherwise each print a traceback.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the run was already gone
        os._exit(0)
