"""The data directory: where it is, its content-addressed blob store, and its single-run lock.

Blobs are named by the SHA-256 of the uncompressed body and written temp → fsync → rename, so
a blob that exists is always whole; the database row that points to it is written after.
"""

from __future__ import annotations

import errno
import fcntl
import gzip
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .errors import LockedError, UsageError, VerifyError

DEFAULT_HOME = "snapshots"
DB_NAME = "tracker.db"


def resolve_home(option: str | os.PathLike[str] | None) -> Path:
    """`--home DIR` > `TRACKER_HOME` > `./snapshots`."""
    chosen = option or os.environ.get("TRACKER_HOME") or DEFAULT_HOME
    home = Path(chosen).expanduser()
    if home.exists() and not home.is_dir():
        raise UsageError(f"data directory {home} is a file, not a directory: pass --home DIR")
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create data directory {home}: {exc.strerror}") from exc
    return home


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class BlobStore:
    """`blobs/<2 hex>/<2 hex>/<sha256>`, gzip-compressed on disk."""

    def __init__(self, root: Path):
        self.root = root

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, body: bytes) -> str:
        digest = sha256(body)
        target = self.path(digest)
        if target.exists():
            return digest
        # mtime=0 keeps the compressed file identical for identical bodies.
        atomic_write(target, gzip.compress(body, mtime=0))
        return digest

    def get(self, digest: str) -> bytes:
        path = self.path(digest)
        try:
            body = gzip.decompress(path.read_bytes())
        except FileNotFoundError as exc:
            raise VerifyError(f"blob {digest} is missing from {self.root}") from exc
        except (OSError, EOFError) as exc:
            raise VerifyError(f"blob {path} is damaged: {exc}") from exc
        if sha256(body) != digest:
            raise VerifyError(f"blob {path} does not hash to its name")
        return body

    def exists(self, digest: str) -> bool:
        return self.path(digest).exists()


def atomic_write(path: Path, data: bytes) -> None:
    """Write a whole file or nothing: temp file, fsync, rename, then fsync the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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
        started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        handle.write(f"`tracker {command}` (pid {os.getpid()}, started {started})\n")
        handle.flush()
        yield
    finally:
        handle.close()
