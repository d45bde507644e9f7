"""The body store: every distinct raw body, byte-exact, named by its SHA-256.

Bodies live in the database's `bodies` table, each compressed with zstandard against the
previous body of the same source (that body is the dictionary), so a version costs what
changed, not the page. What the two share at their start and end is not compressed at all: a
delta names those lengths and compresses only the middle against the previous middle, which
keeps a delta of a 2 MB page that changed in one place a matter of a millisecond.
Every `KEYFRAME_EVERY`-th body of a chain is stored whole, so reading
any body decompresses at most that many. A body is written in the same transaction as the
fetch row that names it: a killed run leaves either both or neither.

Archives written before bodies moved into the database keep their gzip files under
`blobs/<2 hex>/<2 hex>/<sha256>`; they are read where they are and never rewritten.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
import zstandard

from ..errors import VerifyError
from . import sql

# A read decompresses at most this many bodies. A delta of a large page that changed in one
# place is ~100 bytes and its keyframe tens of KB: as deep as `git gc --aggressive` packs
# (250), the keyframes no longer outweigh the history. A step of a read costs one copy of
# the body, so even a 3 MB page reads back from the deepest delta in a fraction of a second.
KEYFRAME_EVERY = 256
KEYFRAME_LEVEL = 9  # a keyframe is written once per chain: worth a slower, smaller encoding
DELTA_LEVEL = 3
MAX_WINDOW_LOG = 27  # 128 MiB: what every zstd decoder accepts by default
_CACHE_BYTES = 64 * 1024 * 1024
# A delta that keeps the shared start and end: this tag, their lengths, then the zstd frame of
# the middle. Deltas written before it are bare zstd frames (they start with 28 b5 2f fd).
_TRIMMED = b"\x00T"
_LENGTHS = struct.Struct("<II")
_BLOCK = 1 << 16


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class Worked:
    """What was worked out about a body where it was read (on a worker): its SHA-256, and,
    when the reader held the body before it (`base`, its SHA-256), the body as a delta on it."""

    sha256: str
    base: str | None = None
    delta: bytes | None = None


def worked(
    body: bytes, before: tuple[str, bytes] | None = None, digest: str | None = None
) -> Worked:
    """`body`'s SHA-256 (`digest` when known), and its delta on `before` (SHA-256, bytes)."""
    digest = digest or sha256(body)
    if before is None:
        return Worked(digest)
    return Worked(digest, before[0], _delta(before[1], body))


@dataclass(frozen=True)
class StoredBody:
    """One row of the body store, as `verify` and `gc` see it."""

    sha256: str
    source_id: int | None
    base: str | None
    depth: int
    size: int
    stored: int


# A body row with the SHA-256 of the body it is a delta on (`base`, None for a keyframe):
# rows name their base by id (`base_id`).
_BASE_COLUMNS = "b.id, b.sha256, base.sha256 as base, b.depth, b.size"


class BodyStore:
    """The `bodies` table, plus read access to the gzip files of older archives."""

    def __init__(self, db: sqlite_utils.Database, legacy_root: Path):
        self.db = db
        self.root = legacy_root
        self._legacy_files = legacy_root.is_dir()
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cached_bytes = 0

    # -- writing -------------------------------------------------------------------------------

    def put(
        self, body: bytes, source_id: int, previous: str | None = None, done: Worked | None = None
    ) -> str:
        """Store `body` (once), as a delta on `previous` when that is a stored body; `done` is
        what was worked out about it already (its hash, perhaps that very delta).

        Run inside the transaction that writes the row naming the body.
        """
        digest = done.sha256 if done is not None else sha256(body)
        if self.exists(digest):
            return digest
        base_row = self._row(previous) if previous else None
        base = base_id = None
        if (
            base_row is not None
            and base_row["depth"] + 1 < KEYFRAME_EVERY
            and _window_log(base_row["size"] + len(body)) <= MAX_WINDOW_LOG
        ):
            base = previous
        if base is None:
            data = zstandard.ZstdCompressor(level=KEYFRAME_LEVEL).compress(body)
            depth = 0
        else:
            assert base_row is not None and previous is not None
            if done is not None and done.base == previous and done.delta is not None:
                data = done.delta
            else:
                data = _delta(self.get(previous), body)
            depth = base_row["depth"] + 1
            base_id = base_row["id"]
        self.db.execute(
            "insert into bodies (sha256, source_id, base_id, depth, size, data) "
            "values (?, ?, ?, ?, ?, ?)",
            [digest, source_id, base_id, depth, len(body), data],
        )
        self._remember(digest, body)
        return digest

    # -- reading -------------------------------------------------------------------------------

    def get(self, digest: str) -> bytes:
        """The exact bytes whose SHA-256 is `digest`; VerifyError when they cannot be had."""
        cached = self._cache.get(digest)
        if cached is not None:
            self._cache.move_to_end(digest)
            return cached
        chain = self._chain(digest)
        if chain is None:
            return self._legacy(digest)
        body: bytes | None = None
        for row in reversed(chain):
            hit = self._cache.get(row["sha256"])
            if hit is not None:
                body = hit
                continue
            body = _decode(row, body)
            self._remember(row["sha256"], body)
        assert body is not None
        return body

    def exists(self, digest: str) -> bool:
        if self.stored_in_database(digest):
            return True
        # An archive that never had body files never gets any: none to look for.
        return self._legacy_files and self.legacy_path(digest).exists()

    def stored_in_database(self, digest: str) -> bool:
        return self._row(digest) is not None

    def stored(self) -> Iterator[StoredBody]:
        """Every row of the body store, in the order it was written (bases before deltas)."""
        for row in self.db.query(
            f"select {_BASE_COLUMNS}, b.source_id, length(b.data) as stored "
            "from bodies b left join bodies base on base.id = b.base_id order by b.id"
        ):
            del row["id"]
            yield StoredBody(**row)

    def legacy_path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:4] / digest

    def forget(self) -> None:
        self._cache.clear()
        self._cached_bytes = 0

    def _row(self, digest: str) -> dict[str, Any] | None:
        rows = sql.rows(
            self.db.conn,
            f"select {_BASE_COLUMNS} from bodies b left join bodies base on base.id = b.base_id "
            "where b.sha256 = ?",
            [digest],
        )
        return rows[0] if rows else None

    def _chain(self, digest: str) -> list[dict[str, Any]] | None:
        """The rows from `digest` back to its keyframe (or to a body already in the cache)."""
        chain: list[dict[str, Any]] = []
        wanted: str | None = digest
        while wanted is not None:
            rows = sql.rows(
                self.db.conn,
                f"select {_BASE_COLUMNS}, b.data from bodies b "
                "left join bodies base on base.id = b.base_id where b.sha256 = ?",
                [wanted],
            )
            if not rows:
                if not chain:
                    return None
                raise VerifyError(
                    f"body {digest[:12]} cannot be read: the body it is stored against "
                    f"({wanted[:12]}) is missing from the database"
                )
            row = rows[0]
            chain.append(row)
            if row["base"] is None and row["depth"] > 0:
                which = (
                    "it" if row["sha256"] == digest else f"body {row['sha256'][:12]} of its chain"
                )
                raise VerifyError(
                    f"body {digest[:12]} cannot be read: {which} is a delta on a body missing "
                    "from the database"
                )
            if wanted in self._cache or row["base"] is None:
                break
            if len(chain) > KEYFRAME_EVERY + 1:
                raise VerifyError(f"body {digest[:12]} cannot be read: its delta chain loops")
            wanted = row["base"]
        return chain

    def _legacy(self, digest: str) -> bytes:
        path = self.legacy_path(digest)
        try:
            body = gzip.decompress(path.read_bytes())
        except FileNotFoundError as exc:
            raise VerifyError(
                f"body {digest[:12]} is missing (not in the database nor at {path})"
            ) from exc
        except (OSError, EOFError, zlib.error) as exc:
            raise VerifyError(f"body file {path} is damaged: {exc}") from exc
        if sha256(body) != digest:
            raise VerifyError(f"body file {path} does not hash to its name")
        return body

    def _remember(self, digest: str, body: bytes) -> None:
        if digest in self._cache:
            return
        self._cache[digest] = body
        self._cached_bytes += len(body)
        while self._cached_bytes > _CACHE_BYTES and len(self._cache) > 1:
            _, dropped = self._cache.popitem(last=False)
            self._cached_bytes -= len(dropped)


def _window_log(size: int) -> int:
    return max(10, (max(size, 1) - 1).bit_length())


def _delta(previous: bytes, body: bytes) -> bytes:
    """`body` as its shared start and end with `previous`, and the rest compressed against it."""
    start = _shared(previous, body, from_end=False)
    limit = min(len(previous), len(body)) - start
    end = min(_shared(previous, body, from_end=True), limit)
    middle = _compress(previous[start : len(previous) - end], body[start : len(body) - end])
    return _TRIMMED + _LENGTHS.pack(start, end) + middle


def _undelta(base: bytes, data: bytes, size: int) -> bytes:
    if not data.startswith(_TRIMMED):  # written before deltas kept the shared start and end
        return _decompress(base, data, size)
    start, end = _LENGTHS.unpack_from(data, len(_TRIMMED))
    if start + end > min(len(base), size):
        raise zstandard.ZstdError("the shared start and end are longer than the body")
    middle = _decompress(
        base[start : len(base) - end], data[len(_TRIMMED) + _LENGTHS.size :], size - start - end
    )
    return base[:start] + middle + base[len(base) - end :]


def _shared(a: bytes, b: bytes, from_end: bool) -> int:
    """How many bytes `a` and `b` share at their start (or end), compared a block at a time."""
    n, la, lb = min(len(a), len(b)), len(a), len(b)

    def same(i: int, j: int) -> bool:
        if from_end:
            return a[la - j : la - i] == b[lb - j : lb - i]
        return a[i:j] == b[i:j]

    done = 0
    while done < n:
        upto = min(n, done + _BLOCK)
        if same(done, upto):
            done = upto
            continue
        low, high = done, upto  # same(done, low) holds, same(done, high) does not
        while high - low > 1:
            mid = (low + high) // 2
            if same(low, mid):
                low = mid
            else:
                high = mid
        return low
    return n


def _compress(previous: bytes, body: bytes) -> bytes:
    """`body` compressed with `previous` as a raw-content dictionary.

    The window covers both, and the match tables are sized for the dictionary: at the level's
    defaults zstd forgets the start of a large dictionary and the delta is as big as the page.
    A table of an eighth of the window's positions finds the same matches (measured on pages
    of 180 KB and 4 MB that differ throughout: deltas of the same size; a 32nd loses them)
    for a third of the time its setting up costs at the window's full size.
    """
    window = _window_log(len(previous) + len(body))
    table = max(10, min(window - 3, 22))
    params = zstandard.ZstdCompressionParameters.from_level(
        DELTA_LEVEL, window_log=window, hash_log=table, chain_log=table
    )
    if not previous:
        return zstandard.ZstdCompressor(compression_params=params).compress(body)
    dictionary = zstandard.ZstdCompressionDict(previous, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    return zstandard.ZstdCompressor(compression_params=params, dict_data=dictionary).compress(body)


def _decompress(previous: bytes, data: bytes, size: int) -> bytes:
    if not previous:
        decoder = zstandard.ZstdDecompressor(max_window_size=2**MAX_WINDOW_LOG)
    else:
        dictionary = zstandard.ZstdCompressionDict(
            previous, dict_type=zstandard.DICT_TYPE_RAWCONTENT
        )
        decoder = zstandard.ZstdDecompressor(
            dict_data=dictionary, max_window_size=2**MAX_WINDOW_LOG
        )
    return decoder.decompress(data, max_output_size=size)


def _decode(row: dict[str, Any], base: bytes | None) -> bytes:
    digest = row["sha256"]
    try:
        if row["base"] is None:
            decoder = zstandard.ZstdDecompressor(max_window_size=2**MAX_WINDOW_LOG)
            body = decoder.decompress(row["data"], max_output_size=row["size"])
        else:
            assert base is not None
            body = _undelta(base, row["data"], row["size"])
    except (zstandard.ZstdError, struct.error) as exc:
        raise VerifyError(f"body {digest[:12]} is damaged: zstandard says {exc}") from exc
    if len(body) != row["size"] or sha256(body) != digest:
        raise VerifyError(f"body {digest[:12]} is damaged: it does not hash to its name")
    return body
