"""The blob store: every distinct raw body, compressed on disk, named by its SHA-256.

Blobs are named by the SHA-256 of the uncompressed body and written through the one atomic
writer, so a blob that exists is always whole; the database row that points to it is written
after.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from ..errors import VerifyError
from ..files import atomic_write


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
