"""The data directory: where it is, and its single-run lock."""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import LockedError, OutputError, UsageError
from ..times import now

DEFAULT_HOME = "snapshots"
DB_NAME = "tracker.db"


def resolve_home(option: str | os.PathLike[str] | None, create: bool = True) -> Path:
    """`--home DIR` > `TRACKER_HOME` > `./snapshots`; made when missing only with `create`.

    A command that only reads (or fetches what is tracked) must not turn a typo in --home into
    a new, empty archive that answers "nothing found".
    """
    chosen = option or os.environ.get("TRACKER_HOME") or DEFAULT_HOME
    home = Path(chosen).expanduser()
    if home.exists() and not home.is_dir():
        raise UsageError(f"data directory {home} is a file, not a directory: pass --home DIR")
    if not home.exists() and not create:
        raise UsageError(
            f"no archive at {home}: the directory does not exist; check --home or "
            "TRACKER_HOME (`tracker add`, `run`, `import` and `demo` start a new archive)"
        )
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create data directory {home}: {exc.strerror}") from exc
    return home


READ_ONLY_ENV = "TRACKER_READ_ONLY"


def read_only_reason(home: Path, asked: bool = False) -> str | None:
    """Why the data directory is to be read only (None: it may be written).

    Asked for with --read-only or TRACKER_READ_ONLY=1, or because the user may not write the
    directory or its database (root may write anything, so only the flag applies to root).
    """
    if asked:
        return "--read-only"
    if os.environ.get(READ_ONLY_ENV, "").strip().lower() not in ("", "0", "no", "false"):
        return f"{READ_ONLY_ENV} is set"
    database = home / DB_NAME
    if not os.access(home, os.W_OK):
        return "the directory is not writable"
    if database.exists() and not os.access(database, os.W_OK):
        return f"{database} is not writable"
    return None


def check_output(home: Path, target: Path) -> None:
    """Refuse an output path inside the evidence: the database, its journals, the blob store.

    Reports and feeds may live in the data directory (the nightly job writes them there);
    nothing may overwrite what they are evidence of.
    """
    home = home.resolve()
    where = Path(target).expanduser().resolve()
    protected = [home / "blobs", home / "lock"] + [
        home / f"{DB_NAME}{suffix}" for suffix in ("", "-wal", "-shm", "-journal")
    ]
    for path in protected:
        if where == path or path in where.parents:
            raise OutputError(
                f"refusing to write {target}: it is inside the archive's evidence ({path}); "
                "choose an output path outside the database and the blob store"
            )


@contextmanager
def run_lock(home: Path, command: str) -> Iterator[None]:
    """Hold the data directory's lock for a whole run; a second run fails at once.

    flock is released by the kernel when the process dies, so a killed run never leaves a
    stale lock behind.
    """
    path = home / "lock"
    handle = open(path, "a+")  # noqa: SIM115 - held for the whole run
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise LockedError(
                f"{home} is in use by {holder}; wait for it to finish (runs never overlap)"
            ) from exc
        handle.seek(0)
        handle.truncate()
        started = now().strftime("%Y-%m-%dT%H:%M:%SZ")
        handle.write(f"`tracker {command}` (pid {os.getpid()}, started {started})\n")
        handle.flush()
        yield
    finally:
        handle.close()
