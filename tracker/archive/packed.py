"""Item rows stored compressed against a dictionary made of their own source's rows.

An item row (an incident's header, an update, a layout) is a few hundred bytes of JSON, and
the versions of a page's items are near copies of each other: the same keys, products,
regions and phrasing. Compressed alone a row barely shrinks; compressed with zstandard
against a dictionary of the source's earlier rows it is a few dozen bytes. A dictionary is
the plain texts of the rows one version of the source wrote, stored once (itself
compressed) in `item_dictionaries`; each row names the dictionary it was written with in its
`dictionary_id`, so any row decompresses on its own. A row with no `dictionary_id` (written
by an earlier release) holds its JSON as text and is read as it is.

A source gets its first dictionary from the first rows it writes, and a new one when a
version writes rows at least twice the size of its newest dictionary, up to `CAP`: a page
first seen nearly empty does not keep a dictionary made of almost nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import zstandard

CAP = 112 * 1024  # a dictionary's largest size, in plain bytes
LEVEL = 3
_DICTIONARY_LEVEL = 19  # a dictionary is written once per source: worth the slowest encoding


class Packer:
    """Compresses and decompresses item texts, keeping each dictionary's coders at hand.

    Used from one thread at a time (the archive's writer, or a reader), as the archive is.
    """

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn
        # A compressor's tables take ~0.6 MB for a full dictionary, so one is made only for a
        # dictionary rows are written with; reading needs the dictionary's content alone.
        self._compressors: dict[int, zstandard.ZstdCompressor] = {}
        self._decompressors: dict[int, zstandard.ZstdDecompressor] = {}
        # {source_id: (dictionary id, its plain size)} of each source's newest dictionary.
        self._newest: dict[int, tuple[int, int] | None] = {}

    def forget(self, source_id: int | None = None) -> None:
        """Drop what is known of a source's dictionaries (all sources' when None): its rows
        were deleted, or a transaction that may have added one was rolled back."""
        if source_id is None:
            self._newest.clear()
            self._compressors.clear()
            self._decompressors.clear()
        else:
            self._newest.pop(source_id, None)

    def dictionary_for(self, source_id: int, texts: Sequence[str]) -> int:
        """The dictionary `texts` (the rows one version writes) are to be written with: the
        source's newest, or a new one made of them when it has none or they outgrow it."""
        if source_id not in self._newest:
            row = self._conn.execute(
                "select id, size from item_dictionaries where source_id = ? "
                "order by id desc limit 1",
                [source_id],
            ).fetchone()
            self._newest[source_id] = (int(row[0]), int(row[1])) if row else None
        newest = self._newest[source_id]
        size = sum(len(t) for t in texts)
        if newest is not None and (newest[1] >= CAP or size < 2 * newest[1]):
            return newest[0]
        content = "".join(texts).encode("utf-8")[:CAP]
        stored = zstandard.ZstdCompressor(level=_DICTIONARY_LEVEL).compress(content)
        cursor = self._conn.execute(
            "insert into item_dictionaries (source_id, size, data) values (?, ?, ?)",
            [source_id, len(content), stored],
        )
        dictionary_id = int(cursor.lastrowid or 0)
        self._newest[source_id] = (dictionary_id, len(content))
        self._compressors[dictionary_id] = _compressor(_dictionary(content))
        return dictionary_id

    def pack(self, dictionary_id: int, text: str) -> bytes:
        compressor = self._compressors.get(dictionary_id)
        if compressor is None:
            compressor = self._compressors[dictionary_id] = _compressor(self._read(dictionary_id))
        return compressor.compress(text.encode("utf-8"))

    def unpack(self, dictionary_id: int | None, data: str | bytes) -> str:
        """A row's text from its stored `data` and `dictionary_id`."""
        if dictionary_id is None:
            return data if isinstance(data, str) else data.decode("utf-8")
        assert isinstance(data, bytes)
        decompressor = self._decompressors.get(dictionary_id)
        if decompressor is None:
            decompressor = zstandard.ZstdDecompressor(dict_data=self._read(dictionary_id))
            self._decompressors[dictionary_id] = decompressor
        return decompressor.decompress(data).decode("utf-8")

    def _read(self, dictionary_id: int) -> zstandard.ZstdCompressionDict:
        row = self._conn.execute(
            "select data from item_dictionaries where id = ?", [dictionary_id]
        ).fetchone()
        if row is None:
            raise KeyError(f"dictionary {dictionary_id}")
        return _dictionary(zstandard.ZstdDecompressor().decompress(row[0]))


def _dictionary(content: bytes) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(content, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


def _compressor(dictionary: zstandard.ZstdCompressionDict) -> zstandard.ZstdCompressor:
    dictionary.precompute_compress(level=LEVEL)
    # A row carries the checksum of its text (4 bytes): a damaged row is an error when read,
    # never a document that silently says something else.
    return zstandard.ZstdCompressor(
        level=LEVEL, dict_data=dictionary, write_checksum=True, write_dict_id=False
    )
