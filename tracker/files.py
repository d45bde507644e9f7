"""The one way status-tracker writes a file: whole or not at all, readable by a web server.

Blobs, reports, the feed and exports all go through `atomic_write`: a temporary file beside the
target, fsync, rename over the target, fsync of the directory. A reader never sees half a file,
and a killed run leaves at most a `.tmp-*` file that `tracker gc` removes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .errors import OutputError

TEMP_PREFIX = ".tmp-"
FILE_MODE = 0o644  # mkstemp makes 0600 files; reports and feeds are meant to be served


def atomic_write(path: Path, data: bytes, *, mode: int = FILE_MODE) -> None:
    """Write `data` to `path` atomically; any OS error becomes one OutputError naming the path."""
    with atomic_open(path, mode=mode) as handle:
        handle.write(data)


@contextmanager
def atomic_open(path: Path, *, mode: int = FILE_MODE) -> Iterator[BinaryIO]:
    """A binary file to write that appears at `path` whole when the block ends, or not at all
    (an exception in the block leaves nothing behind); OS errors become one OutputError."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException as exc:
        Path(temp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
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
