"""The archive: one SQLite database (through sqlite-utils) holding the evidence and its reading.

Tables: sources, fetches (every attempt, kept forever), snapshots (distinct versions), bodies
(every distinct raw body, delta-compressed: `blobs`), incident_items / update_items / layouts
(each version's document as item versions: `items`), update_versions (every wording each update
has had), incidents (latest known header of each incident), edits (derived edit events) and
wordings (each long text of update items and edits, stored once: `wordings`).
Raw bodies are the source of truth; everything derived can be rebuilt from them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import sqlite_utils
import zstandard

from ..errors import ReadOnlyError, UsageError, VerifyError
from ..models import Document, EditEvent, EditRecord, Evidence, Source, edit_entry_id
from . import chain, sql, wordings
from .blobs import BodyStore, Worked
from .home import DB_NAME, read_only_reason, resolve_home, run_lock
from .items import IncidentPiece, Pieces, assemble, canonical, pieces
from .packed import Packer
from .schema import migrations, newer_schema

# Tables computed from the raw bodies: `rebuild` recomputes them, `remove --purge` drops them.
DERIVED = (
    "edits",
    "update_wordings",
    "incidents",
    "update_items",
    "incident_items",
    "layouts",
    "item_dictionaries",
)
# The migrations after which an upgraded archive is compacted (VACUUM) once.
COMPACTING = {
    "m011_compact",
    "m012_wordings_searched",
    "m013_packed_items",
    "m014_edit_titles",
    "m015_wordings_seen",
    "m016_body_bases_by_id",
}
# update_versions with last_seen / last_snapshot read through for wordings still shown.
_WORDINGS = """
    select uv.id, uv.source_id, uv.incident_key, uv.update_key, uv.text, uv.text_hash,
      uv.posted_at, uv.status, uv.first_seen, uv.first_snapshot,
      case when uv.open = 1 and tip.id is not null then tip.last_seen else uv.last_seen end
        as last_seen,
      case when uv.open = 1 and tip.id is not null then tip.id else uv.last_snapshot end
        as last_snapshot
    from update_versions uv
      left join snapshots tip on tip.id = (
        select max(id) from snapshots s
        where s.source_id = uv.source_id and s.doc_hash is not null
      )
"""


def _connect(path: Path, read_only: bool = False) -> sqlite_utils.Database:
    if read_only:
        return sqlite_utils.Database(_connect_read_only(path))
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("pragma busy_timeout = 30000")
    conn.execute("pragma journal_mode = wal")
    conn.execute("pragma synchronous = full")
    conn.execute("pragma foreign_keys = on")
    return sqlite_utils.Database(conn)


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """The database opened for reading only; no lock, no journal, nothing written.

    `mode=ro` still needs the directory writable for the WAL index; where it is not (a
    read-only mount, a copy the user may only read), `immutable=1` reads the file as it is.
    """
    if not path.exists():
        raise UsageError(f"no archive database at {path}: nothing to read")
    uri = path.resolve().as_uri()
    last: sqlite3.Error | None = None
    for mode in ("mode=ro", "immutable=1"):
        conn = sqlite3.connect(
            f"{uri}?{mode}", uri=True, timeout=30, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("pragma busy_timeout = 30000")
            conn.execute("select count(*) from sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            conn.close()
            if not isinstance(exc, sqlite3.OperationalError):
                raise
            last = exc
            continue
        return conn
    raise UsageError(f"cannot open {path} even for reading: {last}")


def _loads(value: str | None, default: Any) -> Any:
    return json.loads(value) if value else default


class Archive:
    """The database and the blob store of one data directory."""

    def __init__(self, home: Path, read_only: bool = False):
        self.home = home
        self.read_only = read_only
        self.db = _connect(home / DB_NAME, read_only)
        self.blobs = BodyStore(self.db, home / "blobs")
        self.packer = Packer(self.db.conn)
        # The newest version recorded of each source: {source_id: (snapshot id, document)}.
        self._documents: dict[int, tuple[int, Document]] = {}
        # The incident rows alive at the newest version of each source, as `_record_items`
        # left them: {source_id: ((count, max id), {slot: (id, hash, header_hash)})}.
        self._open_items: dict[int, tuple[tuple[int, int], dict[str, tuple[int, str, str]]]] = {}
        # A source's id never changes while its row lives: a row is only deleted by a purge
        # (of a source never fetched), and a name purged and added again may get a new id,
        # or an id another source took meanwhile. So the ids are forgotten at a purge here,
        # at a rollback, and when another connection has committed since this one last began
        # a transaction (`pragma data_version` tells).
        self._source_ids: dict[str, int] = {}
        self._data_version: int | None = None
        newer = newer_schema(self.db)
        if newer:
            self.db.close()
            raise UsageError(
                f"{home / DB_NAME} was written by a newer status-tracker (its schema has "
                f"{', '.join(newer)}), which this one cannot read safely; install that release "
                "(in a checkout: `git pull`, then `make test`) and run it again"
            )
        pending = migrations.pending(self.db)
        if pending and read_only:
            self.db.close()
            raise UsageError(
                f"{home / DB_NAME} was written by an older status-tracker and is opened "
                "read-only, so it cannot be upgraded; run `tracker verify` on a writable copy "
                "of the data directory once, then read that copy"
            )
        if pending:
            # BEGIN IMMEDIATE takes the write lock up front, so two processes opening a new
            # archive at once wait for each other (busy timeout) instead of failing.
            self.db.execute("begin immediate")
            try:
                migrations.apply(self.db)
            except BaseException:
                self.db.execute("rollback")
                raise
            self.db.execute("commit")
            # Once each wording is stored once (m011, m012, m014) or item hashes are cut short
            # (m013), the rewritten rows leave pages part empty: compact the file once, so
            # an upgraded archive shrinks on disk too.
            if (
                COMPACTING & {m.name for m in pending}
                and self.db.execute(
                    "select 1 from edits union all select 1 from update_items limit 1"
                ).fetchone()
            ):
                self.db.execute("vacuum")

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction, started with BEGIN IMMEDIATE so it waits on the busy timeout.

        Inside another (an import stores its versions a batch at a time) it is a savepoint:
        what failed is undone, what the outer transaction did before it stays.
        """
        if self.db.conn.in_transaction:
            self.db.execute("savepoint nested")
            try:
                yield
            except BaseException:
                self._undo("rollback to nested", "release nested")
                raise
            self.db.execute("release nested")
            return
        self.begin()
        try:
            yield
            self.db.execute("commit")
        except BaseException:
            self._undo("rollback")
            raise

    def begin(self) -> None:
        """BEGIN IMMEDIATE (the write lock up front, waiting on the busy timeout), forgetting the
        source ids remembered when another connection has committed since the last one."""
        self.db.execute("begin immediate")
        (version,) = self.db.conn.execute("pragma data_version").fetchone()
        if version != self._data_version:
            self._source_ids.clear()
            self.packer.forget()
            self._data_version = version

    def _undo(self, *statements: str) -> None:
        """Roll back what failed and forget what this process remembers of it. SQLite may have
        rolled the whole transaction back itself (a full disk, some I/O errors): then there is
        nothing left to roll back, but the rows remembered are gone all the same."""
        try:
            if self.db.conn.in_transaction:
                for statement in statements:
                    self.db.execute(statement)
        finally:
            self._forget()

    def _forget(self) -> None:
        """Drop what this process remembers of rows a rolled-back transaction may have written."""
        self._documents.clear()
        self._open_items.clear()
        self._source_ids.clear()
        self.packer.forget()
        self.blobs.forget()

    # -- sources ---------------------------------------------------------------------------

    def add_source(self, source: Source) -> Source:
        row = self._source_row(source.name, include_removed=True)
        if row and not row["removed_at"]:
            raise UsageError(
                f"a source named {source.name!r} already exists ({row['url']}); "
                "pick another --name or `tracker remove` it first"
            )
        if row:
            source = self._resume(row, source)
        values = {
            "name": source.name,
            "url": source.url,
            "format": source.format,
            "options": json.dumps(source.options, sort_keys=True),
            "added_at": source.added_at,
            "removed_at": None,
        }
        with self.transaction():
            if row:
                self.db.table("sources").update(row["id"], values)
            else:
                self.db.table("sources").insert(values)
        return source

    def _resume(self, row: dict[str, Any], source: Source) -> Source:
        """A removed source added again: it must read the page as its kept history did."""
        if source.format == "auto" and row["format"] != "auto":
            source = Source(source.name, source.url, row["format"], source.options, source.added_at)
        # Its fetch records seal its name and URL (`chain`): those are kept as they were.
        has_versions = bool(self.db.table("fetches").count_where("source_id = ?", [row["id"]]))
        differs = [
            what
            for what, old, new in (
                ("URL", row["url"], source.url),
                ("format", row["format"], source.format),
                ("options", row["options"], json.dumps(source.options, sort_keys=True)),
            )
            if old != new and not (what == "format" and old == "auto")
        ]
        if differs and has_versions:
            raise UsageError(
                f"{source.name!r} was tracked before with another {' and '.join(differs)} and its "
                "history is kept; pick another --name, or `tracker remove --purge` it first"
            )
        return source

    def _source_row(self, name: str, include_removed: bool = False) -> dict[str, Any] | None:
        where = "name = ?" if include_removed else "name = ? and removed_at is null"
        # A plain query: rows_where would list the tables first, on every fetch.
        return next(iter(self.db.query(f"select * from sources where {where}", [name])), None)

    def source_id(self, name: str) -> int:
        # Asked for several times for every fetch stored: looked up once.
        known = self._source_ids.get(name)
        if known is not None:
            return known
        row = self.db.conn.execute("select id from sources where name = ?", [name]).fetchone()
        if row is None:
            raise UsageError(f"no source named {name!r}; `tracker sources` lists them")
        ident = self._source_ids[name] = int(row[0])
        return ident

    def get_source(self, name: str) -> Source:
        row = self._source_row(name)
        if row is None:
            raise UsageError(
                f"no source named {name!r}; `tracker sources` lists them, `tracker add` adds one"
            )
        return _source(row)

    def setting(self, key: str) -> str | None:
        rows = list(self.db.query("select value from settings where key = ?", [key]))
        return rows[0]["value"] if rows else None

    def set_setting(self, key: str, value: str) -> None:
        self.db.execute(
            "insert into settings (key, value) values (?, ?) "
            "on conflict (key) do update set value = excluded.value",
            [key, value],
        )

    def has_snapshots(self) -> bool:
        return bool(self.db.table("snapshots").count)

    def ever_had_sources(self) -> bool:
        return bool(self.db.table("sources").count)

    def get_source_any(self, name: str) -> dict[str, Any]:
        """A source's row, even when it is no longer tracked (its history is still here)."""
        row = self._source_row(name, include_removed=True)
        if row is None:
            raise UsageError(f"no source named {name!r}; `tracker sources` lists them")
        return row

    def sources(self, include_removed: bool = False) -> list[Source]:
        where = None if include_removed else "removed_at is null"
        rows = self.db.table("sources").rows_where(where, order_by="name")
        return [_source(row) for row in rows]

    def set_format(self, name: str, fmt: str) -> None:
        with self.transaction():
            self.db.execute("update sources set format = ? where name = ?", [fmt, name])

    def remove_source(self, name: str, *, purge: bool, when: str) -> None:
        source_id = self.source_id(name)
        fetched = self.db.table("fetches").count_where("source_id = ?", [source_id])
        if purge and fetched:
            raise UsageError(
                f"cannot purge {name!r}: its {fetched} fetch records are sealed in the "
                "archive's hash chain and are kept forever; `tracker remove` without --purge "
                "stops tracking it, and a page at another URL can be added under another --name"
            )
        with self.transaction():
            if not purge:
                self.db.table("sources").update(source_id, {"removed_at": when})
                return
            for table in (*DERIVED, "noise", "fetches", "snapshots"):
                self.db.execute(f"delete from {table} where source_id = ?", [source_id])
            self.db.execute("update bodies set source_id = null where source_id = ?", [source_id])
            wordings.drop_unused(self.db.conn)
            self._documents.pop(source_id, None)
            self._open_items.pop(source_id, None)
            self.packer.forget(source_id)
            self._source_ids.pop(name, None)
            self.db.execute("delete from sources where id = ?", [source_id])

    # -- snapshots and fetches ---------------------------------------------------------------

    def latest_snapshots(self, source: str, count: int = 1) -> list[dict[str, Any]]:
        """The newest `count` snapshots of a source, newest first."""
        return sql.rows(
            self.db.conn,
            "select * from snapshots where source_id = ? order by id desc limit ?",
            [self.source_id(source), count],
        )

    def snapshot(self, snapshot_id: int) -> dict[str, Any]:
        rows = sql.rows(self.db.conn, "select * from snapshots where id = ?", [snapshot_id])
        if not rows:
            raise UsageError(f"no snapshot {snapshot_id}; `tracker log NAME` lists them")
        return rows[0]

    def version_count(self, source: str) -> int:
        return int(
            self.db.table("snapshots").count_where("source_id = ?", [self.source_id(source)])
        )

    def snapshots(self, source: str) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "select * from snapshots where source_id = ? order by id",
                [self.source_id(source)],
            )
        )

    def snapshot_before(self, source: str, snapshot_id: int) -> dict[str, Any] | None:
        rows = list(
            self.db.query(
                "select * from snapshots where source_id = ? and id < ? order by id desc limit 1",
                [self.source_id(source), snapshot_id],
            )
        )
        return rows[0] if rows else None

    def snapshot_at(self, source: str, when: str) -> dict[str, Any] | None:
        rows = list(
            self.db.query(
                "select * from snapshots where source_id = ? and first_seen <= ? "
                "order by id desc limit 1",
                [self.source_id(source), when],
            )
        )
        return rows[0] if rows else None

    def insert_snapshot(self, values: dict[str, Any]) -> int:
        return sql.insert(self.db.conn, "snapshots", values)

    def touch_snapshot(self, snapshot_id: int, seen_at: str) -> None:
        self.db.execute(
            "update snapshots set last_seen = max(last_seen, ?) where id = ?",
            [seen_at, snapshot_id],
        )

    def record_fetch(self, values: dict[str, Any]) -> int:
        """Record one fetch, sealed onto the hash chain (`chain`)."""
        with self.transaction():
            return chain.append(self.db, values)

    def chain_head(self) -> chain.Head:
        """The chain's head as the archive last wrote it (`verify` recomputes it)."""
        head = self.recorded_head()
        return head if head and head.count >= 0 else chain.Head(chain.GENESIS, 0)

    def recorded_head(self) -> chain.Head | None:
        """The archive's own note of its head: None when there is none, `chain.DAMAGED_HEAD`
        when it cannot be read."""
        return chain.stored_head(self.db)

    def fetches(self, source: str, limit: int | None = None) -> list[dict[str, Any]]:
        sql = "select * from fetches where source_id = ? order by id desc"
        params: list[Any] = [self.source_id(source)]
        if limit:
            sql += " limit ?"
            params.append(limit)
        return list(self.db.query(sql, params))

    def has_reference(self, source: str, origin: str, reference: str) -> bool:
        row = self.db.conn.execute(
            "select 1 from fetches where source_id = ? and origin = ? and reference = ? limit 1",
            [self.source_id(source), origin, reference],
        ).fetchone()
        return row is not None

    # -- bodies ----------------------------------------------------------------------------

    def body(self, sha256: str) -> bytes:
        """The exact bytes received whose SHA-256 is `sha256` (VerifyError if they are lost)."""
        return self.blobs.get(sha256)

    def fetch_body(self, fetch_id: int) -> bytes | None:
        """The bytes one fetch received; None when it brought none (a failure, a 304)."""
        rows = list(self.db.query("select sha256 from fetches where id = ?", [fetch_id]))
        if not rows:
            raise UsageError(f"no fetch {fetch_id}; `tracker log NAME` lists them")
        return self.body(rows[0]["sha256"]) if rows[0]["sha256"] else None

    def snapshot_body(self, snapshot_id: int) -> bytes:
        return self.body(self.snapshot(snapshot_id)["sha256"])

    def store_body(self, source: str, body: bytes, done: Worked | None = None) -> str:
        """Keep `body` (once), as a delta on the body the source's last fetch received.

        `done` is what was worked out about it where it was read (its SHA-256, a delta).
        Call inside the transaction that records the fetch naming it.
        """
        source_id = self.source_id(source)
        row = self.db.conn.execute(
            "select sha256 from fetches where source_id = ? and sha256 is not null "
            "order by id desc limit 1",
            [source_id],
        ).fetchone()
        previous = row[0] if row else None
        return self.blobs.put(body, source_id, previous, done)

    # -- documents -------------------------------------------------------------------------

    def document(self, row: dict[str, Any]) -> Document | None:
        """The document of a snapshot row: rebuilt from its item versions."""
        legacy = _loads(row.get("document"), None)
        if legacy:
            return Document.from_dict(legacy)
        if not row.get("doc_hash") or not row.get("layout_id"):
            return None
        cached = self._documents.get(row["source_id"])
        if cached is not None and cached[0] == row["id"]:
            return cached[1]
        return self._assemble(row)

    def _assemble(self, row: dict[str, Any]) -> Document:
        alive = "source_id = ? and since <= ? and (until is null or until > ?)"
        params = [row["source_id"], row["id"], row["id"]]
        conn, unpack = self.db.conn, self.packer.unpack
        try:
            layout = json.loads(
                unpack(
                    *conn.execute(
                        "select dictionary_id, data from layouts where id = ?", [row["layout_id"]]
                    ).fetchone()
                )
            )
            headers = {
                slot: json.loads(unpack(dictionary_id, data))
                for slot, dictionary_id, data in conn.execute(
                    f"select slot, dictionary_id, data from incident_items where {alive}", params
                )
            }
            stored = {
                (incident_slot, slot): json.loads(unpack(dictionary_id, data))
                for incident_slot, slot, dictionary_id, data in conn.execute(
                    "select incident_slot, slot, dictionary_id, data from update_items "
                    f"where {alive}",
                    params,
                )
            }
        except (KeyError, TypeError, ValueError, zstandard.ZstdError) as exc:
            raise VerifyError(
                f"version {row['id']}'s document cannot be rebuilt: an item row does not "
                f"read back ({exc}); `tracker rebuild` re-reads it from its raw body"
            ) from exc
        known = wordings.texts(
            self.db.conn, (i for data in stored.values() for i in wordings.field_ids(data))
        )
        try:
            updates = {key: wordings.read_update(data, known) for key, data in stored.items()}
        except KeyError as exc:
            raise VerifyError(
                f"version {row['id']}'s document cannot be rebuilt: wording {exc} is missing; "
                "`tracker rebuild` re-reads it from its raw body"
            ) from exc
        try:
            return assemble(layout, headers, updates)
        except KeyError as exc:
            raise VerifyError(
                f"version {row['id']}'s document cannot be rebuilt: item {exc} is missing; "
                "`tracker rebuild` re-reads it from its raw body"
            ) from exc

    def open_incident_hashes(self, previous: dict[str, Any]) -> dict[str, str] | None:
        """{slot: hash} of the incidents of `previous`, the newest version recorded.

        None when that version was stored before documents were kept as items.
        """
        if not previous.get("layout_id"):
            return None
        return {slot: row[1] for slot, row in self._open_rows(previous["source_id"]).items()}

    def _open_rows(self, source_id: int) -> dict[str, tuple[int, str, str]]:
        """{slot: (id, hash, header_hash)} of the incident rows alive at the newest version.

        Kept from the last `_record_items` while the rows are as it left them (their count and
        newest id say so): a version of a large page would otherwise read them all twice.
        """
        db = self.db.conn
        mark = db.execute(
            "select count(*), coalesce(max(id), 0) from incident_items "
            "where source_id = ? and until is null",
            [source_id],
        ).fetchone()
        cached = self._open_items.get(source_id)
        if cached is not None and cached[0] == tuple(mark):
            return cached[1]
        rows = {
            r[0]: (r[1], r[2].hex(), r[3].hex())
            for r in db.execute(
                "select slot, id, hash, header_hash from incident_items "
                "where source_id = ? and until is null",
                [source_id],
            )
        }
        self._open_items[source_id] = ((int(mark[0]), int(mark[1])), rows)
        return rows

    def set_document(
        self, snapshot_id: int, document: Document | None, cut: Pieces | None = None
    ) -> Pieces | None:
        """Store a version's document as item versions; the newest version of its source.

        Versions of a source are recorded in order: rows alive at the previous one are closed
        at this one when they changed. Returns the document's pieces.
        """
        row = self.snapshot(snapshot_id)
        source_id = row["source_id"]
        if document is None:
            self.db.execute(
                "update snapshots set document = null, doc_hash = null, layout_id = null "
                "where id = ?",
                [snapshot_id],
            )
            return None
        cut = cut or pieces(document)
        layout_id = self._record_items(source_id, snapshot_id, cut)
        self.db.execute(
            "update snapshots set document = null, doc_hash = ?, layout_id = ? where id = ?",
            [cut.document_hash, layout_id, snapshot_id],
        )
        self._documents[source_id] = (snapshot_id, document)
        return cut

    def _record_items(self, source_id: int, snapshot_id: int, cut: Pieces) -> int:
        """Close the rows of items that changed or left, write the new ones and the layout
        when it is new, all compressed with one dictionary; returns the layout's id."""
        db = self.db.conn
        open_rows = dict(self._open_rows(source_id))
        self._open_items.pop(source_id, None)
        alive: dict[str, tuple[int, str, str]] = {}
        layout_hash = bytes.fromhex(cut.layout_hash)
        known_layout = db.execute(
            "select id from layouts where source_id = ? and hash = ?", [source_id, layout_hash]
        ).fetchone()
        # The texts of the rows to write: a new layout first, then the items in the page's
        # order (so a new dictionary made of them holds the layout and the newest items).
        texts = [canonical(cut.layout)] if known_layout is None else []
        new_incidents: list[tuple[IncidentPiece, int]] = []  # and the index of its text
        new_updates: list[tuple[str, str, str, list[int], int]] = []
        for slot in cut.order:
            piece = cut.incidents[slot]
            current = open_rows.pop(slot, None)
            if current is not None and current[1] == piece.hash:
                alive[slot] = current
                continue
            if current is not None and current[2] == piece.header_hash:
                db.execute(
                    "update incident_items set hash = ? where id = ?",
                    [bytes.fromhex(piece.hash), current[0]],
                )
                alive[slot] = (current[0], piece.hash, current[2])
            else:
                if current is not None:
                    db.execute(
                        "update incident_items set until = ? where id = ?",
                        [snapshot_id, current[0]],
                    )
                new_incidents.append((piece, len(texts)))
                texts.append(canonical(piece.header))
            open_updates = {
                r[0]: (r[1], r[2].hex())
                for r in db.execute(
                    "select slot, id, hash from update_items "
                    "where source_id = ? and incident_slot = ? and until is null",
                    [source_id, slot],
                )
            }
            for update_slot, data, update_hash in piece.updates:
                was = open_updates.pop(update_slot, None)
                if was is not None and was[1] == update_hash:
                    continue
                if was is not None:
                    db.execute(
                        "update update_items set until = ? where id = ?", [snapshot_id, was[0]]
                    )
                stored = wordings.stored_update(db, data)
                new_updates.append(
                    (slot, update_slot, update_hash, wordings.field_ids(stored), len(texts))
                )
                texts.append(canonical(stored))
            for item_id, _ in open_updates.values():
                db.execute("update update_items set until = ? where id = ?", [snapshot_id, item_id])
        for slot, (item_id, _, _) in open_rows.items():
            db.execute("update incident_items set until = ? where id = ?", [snapshot_id, item_id])
            db.execute(
                "update update_items set until = ? "
                "where source_id = ? and incident_slot = ? and until is null",
                [snapshot_id, source_id, slot],
            )
        dictionary_id = self.packer.dictionary_for(source_id, texts) if texts else None
        packed = [self.packer.pack(dictionary_id, t) for t in texts] if dictionary_id else []
        for piece, index in new_incidents:
            inserted = db.execute(
                "insert into incident_items "
                "(source_id, slot, hash, header_hash, data, dictionary_id, since) "
                "values (?, ?, ?, ?, ?, ?, ?)",
                [
                    source_id,
                    piece.slot,
                    bytes.fromhex(piece.hash),
                    bytes.fromhex(piece.header_hash),
                    packed[index],
                    dictionary_id,
                    snapshot_id,
                ],
            )
            alive[piece.slot] = (int(inserted.lastrowid or 0), piece.hash, piece.header_hash)
        db.executemany(
            "insert into update_items (source_id, incident_slot, slot, hash, data, "
            "dictionary_id, wordings, since) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    source_id,
                    incident_slot,
                    update_slot,
                    bytes.fromhex(update_hash),
                    packed[index],
                    dictionary_id,
                    json.dumps(ids) if ids else None,
                    snapshot_id,
                ]
                for incident_slot, update_slot, update_hash, ids, index in new_updates
            ],
        )
        if known_layout is None:
            layout_id = db.execute(
                "insert into layouts (source_id, hash, data, dictionary_id) values (?, ?, ?, ?)",
                [source_id, layout_hash, packed[0], dictionary_id],
            ).lastrowid
        else:
            layout_id = known_layout[0]
        newest = max((row[0] for row in alive.values()), default=0)
        self._open_items[source_id] = ((len(alive), newest), alive)
        return int(layout_id or 0)

    # -- derived history -----------------------------------------------------------------------

    def record_history(
        self,
        source: str,
        snapshot_id: int,
        seen_at: str,
        document: Document,
        changed: Iterable[str] | None = None,
    ) -> None:
        """Note the incidents and update wordings this version shows.

        `changed` names the incident keys that differ from the previous version (those it
        shows and those it dropped); the others only have their `last_seen` moved. None means
        every incident.
        """
        source_id = self.source_id(source)
        keys = None if changed is None else set(changed)
        shown = {incident.key for incident in document.incidents}
        if keys is not None:
            unchanged = sorted(shown - keys)
            self.db.execute(
                "update incidents set last_seen = ? where source_id = ? "
                "and key in (select value from json_each(?))",
                [seen_at, source_id, json.dumps(unchanged)],
            )
        closing = set(shown if keys is None else keys)
        if keys is None:
            closing |= {
                r["incident_key"]
                for r in self.db.query(
                    "select distinct incident_key from update_wordings "
                    "where source_id = ? and open = 1",
                    [source_id],
                )
            }
        self._close_wordings(source_id, snapshot_id, sorted(closing))
        for incident in document.incidents:
            if keys is not None and incident.key not in keys:
                continue
            self.db.execute(
                """
                insert into incidents
                  (source_id, key, title, status, impact, url, first_seen, last_seen)
                values (?, ?, ?, ?, ?, ?, ?, ?)
                on conflict (source_id, key) do update set title = excluded.title,
                  status = excluded.status, impact = excluded.impact, url = excluded.url,
                  last_seen = excluded.last_seen
                """,
                [
                    source_id,
                    incident.key,
                    incident.title,
                    incident.status,
                    incident.impact,
                    incident.url,
                    seen_at,
                    seen_at,
                ],
            )
            for update in incident.updates:
                text = update.text
                self.db.execute(
                    """
                    insert into update_wordings
                      (source_id, incident_key, update_key, wording_id, posted_at, status,
                       first_snapshot, last_snapshot, open)
                    values (?, ?, ?, ?, ?, ?, ?, ?, 1)
                    on conflict (source_id, incident_key, update_key, wording_id) do update set
                      last_snapshot = excluded.last_snapshot, posted_at = excluded.posted_at,
                      status = excluded.status, open = 1
                    """,
                    [
                        source_id,
                        incident.key,
                        update.key,
                        wordings.ref_id(self.db.conn, text),
                        update.posted_at,
                        update.status,
                        snapshot_id,
                        snapshot_id,
                    ],
                )

    def _close_wordings(self, source_id: int, snapshot_id: int, incident_keys: list[str]) -> None:
        """Wordings of these incidents shown until now are fixed at the previous version."""
        if not incident_keys:
            return
        tips = list(
            self.db.query(
                "select id from snapshots where source_id = ? and id < ? "
                "and doc_hash is not null order by id desc limit 1",
                [source_id, snapshot_id],
            )
        )
        if not tips:
            return
        # `+open`: looked up by incident key (update_wordings_update), not among every open
        # wording of the source, which a page of hundreds of incidents has thousands of.
        self.db.execute(
            "update update_wordings set open = 0, last_snapshot = ? "
            "where source_id = ? and +open = 1 "
            "and incident_key in (select value from json_each(?))",
            [tips[0]["id"], source_id, json.dumps(incident_keys)],
        )

    def earlier_texts(
        self, source: str, up_to: int | None = None
    ) -> Mapping[tuple[str, str], frozenset[str]]:
        """Every wording each (incident, update) has had, looked up by key as asked; with
        `up_to`, only those first seen by that version."""
        return _EarlierTexts(self.db, self.source_id(source), up_to)

    def store_edits(
        self,
        source: str,
        before: dict[str, Any] | None,
        after_id: int,
        window_end: str,
        events: Iterable[EditEvent],
    ) -> int:
        source_id = self.source_id(source)
        after_sha256 = self.snapshot(after_id)["sha256"]
        before_sha256 = before["sha256"] if before else None
        conn = self.db.conn
        rows = [
            {
                "source_id": source_id,
                "entry_id": edit_entry_id(
                    source,
                    e.kind,
                    e.incident_key,
                    e.update_key,
                    e.field,
                    before_sha256,
                    after_sha256,
                ),
                "before_snapshot": before["id"] if before else None,
                "after_snapshot": after_id,
                "kind": e.kind,
                "incident_key": e.incident_key,
                **_texts(conn, incident_title=e.incident_title),
                "update_key": e.update_key,
                "field": e.field,
                **_texts(conn, old=e.old, new=e.new),
                "diff": wordings.compact_diff(e.diff, e.old, e.new),
                "silent": int(e.silent),
                "backdated": int(e.backdated),
                "revert": int(e.revert),
                "flicker": int(e.flicker),
                "flags": json.dumps(list(e.flags)),
                "reasons": json.dumps(list(e.reasons), ensure_ascii=False),
                "score": e.score,
                "posted_at": e.posted_at,
                "verdict": e.verdict,
                "announced_by": e.announced_by,
                "count": e.count,
                "keys": json.dumps(list(e.keys), ensure_ascii=False) if e.keys else None,
                "window_start": before["last_seen"] if before else None,
                "window_end": window_end,
            }
            for e in events
        ]
        sql.insert_many(self.db.conn, "edits", rows)
        return len(rows)

    def mark_flicker(self, snapshot_ids: Iterable[int]) -> None:
        for snapshot_id in snapshot_ids:
            self.db.execute(
                "update edits set flicker = 1, score = score / 10.0 "
                "where after_snapshot = ? and flicker = 0",
                [snapshot_id],
            )

    def clear_derived(self, source: str) -> None:
        source_id = self.source_id(source)
        for table in DERIVED:
            self.db.execute(f"delete from {table} where source_id = ?", [source_id])
        wordings.drop_unused(self.db.conn)
        self._documents.pop(source_id, None)
        self._open_items.pop(source_id, None)
        self.packer.forget(source_id)

    # -- reading edits -------------------------------------------------------------------------

    def edit_rows(
        self,
        *,
        sources: Iterable[str] = (),
        since: str | None = None,
        kinds: Iterable[str] | None = None,
        silent: bool = False,
        incident: tuple[str, str] | None = None,
        edit_id: int | None = None,
        versions: Iterable[int] | None = None,
    ) -> list[dict[str, Any]]:
        """Edit rows joined with their source and both snapshots, most significant first;
        `versions` keeps the edits that these snapshots brought."""
        where = ["1 = 1"]
        params: list[Any] = []
        if edit_id is not None:
            where.append("edits.id = ?")
            params.append(edit_id)
        names = list(sources)
        if names:
            where.append(f"sources.name in ({', '.join('?' for _ in names)})")
            params.extend(names)
        if since:
            where.append("edits.window_end >= ?")
            params.append(since)
        if kinds is not None:
            kind_list = list(kinds)
            where.append(f"edits.kind in ({', '.join('?' for _ in kind_list)})")
            params.extend(kind_list)
        if versions is not None:
            ids = list(versions)
            where.append(f"edits.after_snapshot in ({', '.join('?' for _ in ids) or 'null'})")
            params.extend(ids)
        if silent:
            where.append("edits.silent = 1")
        if incident:
            where.append("sources.name = ? and edits.incident_key = ?")
            params.extend(incident)
        sql = f"""
            select edits.*, {wordings.text_sql("edits.old", "edits.old_id")} as old_text,
              {wordings.text_sql("edits.incident_title", "edits.incident_title_id")}
                as title_text,
              {wordings.text_sql("edits.new", "edits.new_id")} as new_text,
              sources.name as source, sources.url as source_url,
              b.sha256 as b_sha256, b.first_seen as b_first_seen, b.last_seen as b_last_seen,
              b.origin as b_origin, b.reference as b_reference,
              coalesce(b.final_url, b.url) as b_url,
              a.sha256 as a_sha256, a.first_seen as a_first_seen, a.last_seen as a_last_seen,
              a.origin as a_origin, a.reference as a_reference,
              coalesce(a.final_url, a.url) as a_url
            from edits
              join sources on sources.id = edits.source_id
              join snapshots a on a.id = edits.after_snapshot
              left join snapshots b on b.id = edits.before_snapshot
            where {" and ".join(where)}
            order by edits.score desc, edits.window_end desc, edits.id
        """
        rows = list(self.db.query(sql, params))
        for row in rows:
            row["incident_title"] = row.pop("title_text")
        return rows

    def edit_records(self, **filters: Any) -> list[EditRecord]:
        """`edit_rows` decoded: the stored edit events as records, in the same order."""
        return [_record(row) for row in self.edit_rows(**filters)]

    def edit_record(self, edit_id: int) -> EditRecord:
        rows = self.edit_rows(edit_id=edit_id)
        if not rows:
            raise UsageError(f"no edit {edit_id}; `tracker changes --json` lists edit ids")
        return _record(rows[0])

    def incident_row(self, source: str, key: str) -> dict[str, Any] | None:
        rows = list(
            self.db.query(
                "select * from incidents where source_id = ? and key = ?",
                [self.source_id(source), key],
            )
        )
        return rows[0] if rows else None

    def update_versions(self, source: str, incident_key: str) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                f"{_WORDINGS} where uv.source_id = ? and uv.incident_key = ? "
                "order by uv.first_snapshot, uv.id",
                [self.source_id(source), incident_key],
            )
        )

    def search(self, query: str, sources: Iterable[str] = ()) -> list[dict[str, Any]]:
        names = list(sources)
        for name in names:
            self.source_id(name)  # an unknown name is a usage error, not an empty answer
        where = ""
        params: list[Any] = [query]
        if names:
            where = f"and sources.name in ({', '.join('?' for _ in names)})"
            params.extend(names)
        sql = f"""
            select sources.name as source, update_versions.*,
              incidents.title as incident_title,
              snippet(wordings_fts, 0, '[', ']', ' … ', 16) as snippet
            from wordings_fts
              join update_wordings uw on uw.wording_id = wordings_fts.rowid
              join ({_WORDINGS}) update_versions on update_versions.id = uw.id
              join sources on sources.id = update_versions.source_id
              left join incidents on incidents.source_id = update_versions.source_id
                and incidents.key = update_versions.incident_key
            where wordings_fts match ? {where}
            order by wordings_fts.rank, update_versions.first_seen, update_versions.id
        """
        try:
            return list(self.db.query(sql, params))
        except sqlite3.OperationalError as exc:
            raise UsageError(
                f"cannot search for {query!r}: {exc}; quote phrases, e.g. '\"30 percent\"'"
            ) from exc

    def snapshot_digests(self) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "select snapshots.id, snapshots.sha256, sources.name as source from snapshots "
                "join sources on sources.id = snapshots.source_id order by snapshots.id"
            )
        )

    def fetch_digests(self) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "select fetches.id, fetches.sha256, fetches.snapshot_id, fetches.outcome, "
                "sources.name as source from fetches "
                "join sources on sources.id = fetches.source_id "
                "where fetches.sha256 is not null order by fetches.id"
            )
        )

    def fetches_without_body(self) -> list[dict[str, Any]]:
        """Fetches recorded since every body is kept whose body is not in the store."""
        after = int(self.setting("bodies_kept_after") or 0)
        rows = self.db.query(
            "select fetches.id, fetches.sha256, sources.name as source from fetches "
            "join sources on sources.id = fetches.source_id "
            "left join bodies on bodies.sha256 = fetches.sha256 "
            "where fetches.id > ? and fetches.sha256 is not null and bodies.sha256 is null",
            [after],
        )
        return [row for row in rows if not self.blobs.legacy_path(row["sha256"]).exists()]

    def named_digests(self) -> set[str]:
        """Every body sha256 a fetch or a snapshot names."""
        rows = self.db.execute(
            "select sha256 from fetches where sha256 is not null union select sha256 from snapshots"
        ).fetchall()
        return {r[0] for r in rows}

    def drop_unnamed_bodies(self, named: set[str]) -> tuple[int, int]:
        """Delete stored bodies nobody names and no kept body needs: (count, bytes)."""
        rows = self.db.execute(
            "select b.sha256, base.sha256, length(b.data) from bodies b "
            "left join bodies base on base.id = b.base_id order by b.id"
        ).fetchall()
        base_of = {sha: base for sha, base, _ in rows}
        needed: set[str] = set()
        for sha in named:
            while sha in base_of and sha not in needed:
                needed.add(sha)
                sha = base_of[sha]  # type: ignore[assignment]
        dropped = [(sha, size) for sha, _, size in rows if sha not in needed]
        # Deltas before the bodies they are stored against, which the guard keeps while named.
        for sha, _ in reversed(dropped):
            self.db.execute("delete from bodies where sha256 = ?", [sha])
        return len(dropped), sum(size for _, size in dropped)

    def database_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.home.glob(f"{DB_NAME}*") if p.is_file())

    def sizes_by_source(self) -> list[dict[str, Any]]:
        """Per source: its bodies (count, bytes received, bytes stored) and its rows."""
        out = []
        for row in self.db.query("select id, name from sources order by name"):
            sid = row["id"]
            bodies = self.db.execute(
                "select count(*), coalesce(sum(size), 0), coalesce(sum(length(data)), 0) "
                "from bodies where source_id = ?",
                [sid],
            ).fetchone()
            legacy = [
                path
                for (sha,) in self.db.execute(
                    "select distinct sha256 from snapshots where source_id = ?", [sid]
                ).fetchall()
                if (path := self.blobs.legacy_path(sha)).exists()
            ]
            rows = {
                table: self.db.execute(
                    f"select count(*) from {table} where source_id = ?", [sid]
                ).fetchone()[0]
                for table in ("fetches", "snapshots", *DERIVED)
            }
            out.append(
                {
                    "source": row["name"],
                    "bodies": bodies[0] + len(legacy),
                    "body_bytes_received": bodies[1],
                    "body_bytes_stored": bodies[2] + sum(p.stat().st_size for p in legacy),
                    "rows": rows,
                }
            )
        return out

    def dangling_fetches(self) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "select fetches.id, sources.name as source from fetches "
                "join sources on sources.id = fetches.source_id "
                "left join snapshots on snapshots.id = fetches.snapshot_id "
                "where fetches.snapshot_id is not null and snapshots.id is null"
            )
        )

    def warc_fetches(
        self, sources: Iterable[str] = (), since: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Fetch records whose body is kept, oldest first, with what the WARC export needs.

        Response headers and the request are those of the version the fetch brought; a fetch
        that saw a known version again (or only noise) kept no headers of its own.
        """
        where: list[str] = ["fetches.sha256 is not null"]
        params: list[Any] = []
        names = list(sources)
        if names:
            ids = [self.source_id(name) for name in names]
            where.append(f"fetches.source_id in ({', '.join('?' for _ in ids)})")
            params.extend(ids)
        if since:
            where.append("fetches.started_at >= ?")
            params.append(since)
        rows = self.db.query(
            "select fetches.*, sources.name as source, snapshots.content_type, "
            "case when fetches.outcome = 'new' then snapshots.headers end as headers, "
            "case when fetches.outcome = 'new' then snapshots.request end as request "
            "from fetches join sources on sources.id = fetches.source_id "
            "left join snapshots on snapshots.id = fetches.snapshot_id "
            f"where {' and '.join(where)} order by fetches.id",
            params,
        )
        for row in rows:
            if self.blobs.exists(row["sha256"]):
                yield row

    def chain_walk(self) -> chain.Walk:
        """Every fetch record's chain hash recomputed from the rows as they are now."""
        return chain.walk(self.db)

    def chain_guards_missing(self) -> list[str]:
        return chain.missing_triggers(self.db)

    def unsealed_versions(self) -> list[dict[str, Any]]:
        """Versions no fetch record brought (`new`) with the same body: inserted or re-pointed."""
        return list(
            self.db.query(
                "select snapshots.id, sources.name as source from snapshots "
                "left join sources on sources.id = snapshots.source_id "
                "where not exists (select 1 from fetches where fetches.snapshot_id = snapshots.id "
                "and fetches.outcome = 'new' and fetches.sha256 is snapshots.sha256 "
                "and fetches.source_id = snapshots.source_id) order by snapshots.id"
            )
        )

    def moved_last_seen(self) -> list[dict[str, Any]]:
        """Versions whose last_seen is not the time of the last fetch that saw them."""
        return list(
            self.db.query(
                "select s.id, sources.name as source, s.last_seen, seen.last from snapshots s "
                "left join sources on sources.id = s.source_id "
                "join (select snapshot_id, max(finished_at) as last from fetches "
                "where snapshot_id is not null group by snapshot_id) seen "
                "on seen.snapshot_id = s.id where s.last_seen is not seen.last order by s.id"
            )
        )

    def evidence_counts(self) -> dict[str, int]:
        return {
            table: int(self.db.execute(f"select count(*) from {table}").fetchone()[0])
            for table in ("sources", "fetches", "snapshots", "bodies")
        }

    def integrity_check(self) -> str:
        return str(next(iter(self.db.query("pragma integrity_check")))["integrity_check"])

    # -- learned noise (see tracker.noise) ---------------------------------------------------

    def noise(self, source: str) -> list[dict[str, Any]]:
        """The signatures learned for a source, oldest first: place, pattern, learned_at."""
        return sql.rows(
            self.db.conn,
            "select place, pattern, learned_at from noise where source_id = ? order by id",
            [self.source_id(source)],
        )

    def add_noise(self, source: str, signatures: Iterable[tuple[str, str]], learned_at: str) -> int:
        """Keep newly learned signatures (known ones are left as they were); how many were new."""
        source_id = self.source_id(source)
        added = 0
        for place, pattern in signatures:
            cursor = self.db.execute(
                "insert into noise (source_id, place, pattern, learned_at) "
                "values (?, ?, ?, ?) on conflict (source_id, place, pattern) do nothing",
                [source_id, place, pattern, learned_at],
            )
            added += cursor.rowcount
        return added

    def clear_noise(self, source: str) -> int:
        """Forget what was learned about a source's noise; how many signatures were dropped."""
        with self.transaction():
            cursor = self.db.execute(
                "delete from noise where source_id = ?", [self.source_id(source)]
            )
        return int(cursor.rowcount)


def _record(row: dict[str, Any]) -> EditRecord:
    event = EditEvent(
        kind=row["kind"],
        incident_key=row["incident_key"],
        incident_title=row["incident_title"] or "",
        update_key=row["update_key"],
        field=row["field"],
        old=row["old_text"],
        new=row["new_text"],
        diff=wordings.expand_diff(row["diff"], row["old_text"], row["new_text"]),
        silent=bool(row["silent"]),
        backdated=bool(row["backdated"]),
        revert=bool(row["revert"]),
        flicker=bool(row["flicker"]),
        flags=tuple(json.loads(row["flags"] or "[]")),
        reasons=tuple(json.loads(row["reasons"] or "[]")),
        score=float(row["score"] or 0),
        posted_at=row["posted_at"],
        verdict=row.get("verdict") or "",
        announced_by=row.get("announced_by"),
        count=int(row.get("count") or 1),
        keys=tuple(json.loads(row.get("keys") or "[]")),
    )
    return EditRecord(
        id=row["id"],
        source=row["source"],
        source_url=row["source_url"],
        event=event,
        window_start=row["window_start"],
        window_end=row["window_end"],
        before=_evidence(row, "b", row["before_snapshot"]),
        after=_evidence(row, "a", row["after_snapshot"]),  # type: ignore[arg-type]
    )


def _evidence(row: dict[str, Any], prefix: str, snapshot_id: int | None) -> Evidence | None:
    if snapshot_id is None or row[f"{prefix}_sha256"] is None:
        return None
    return Evidence(
        snapshot_id=snapshot_id,
        sha256=row[f"{prefix}_sha256"],
        first_seen=row[f"{prefix}_first_seen"],
        last_seen=row[f"{prefix}_last_seen"],
        origin=row[f"{prefix}_origin"],
        reference=row[f"{prefix}_reference"],
        url=row[f"{prefix}_url"],
    )


class _EarlierTexts(Mapping[tuple[str, str], frozenset[str]]):
    """`{(incident key, update key): wordings}` of one source, read per key from the index."""

    def __init__(self, db: sqlite_utils.Database, source_id: int, up_to: int | None = None):
        self._db = db
        self._source_id = source_id
        # first_snapshot <= up_to; with no bound, every version's (ids are positive).
        self._up_to = up_to if up_to is not None else 2**62
        self._seen: dict[tuple[str, str], frozenset[str]] = {}

    def __getitem__(self, key: tuple[str, str]) -> frozenset[str]:
        if key not in self._seen:
            rows = self._db.execute(
                "select w.text from update_wordings uw join wordings w on w.id = uw.wording_id "
                "where uw.source_id = ? and uw.incident_key = ? and uw.update_key = ? "
                "and uw.first_snapshot <= ?",
                [self._source_id, key[0], key[1], self._up_to],
            ).fetchall()
            self._seen[key] = frozenset(r[0] for r in rows)
        texts = self._seen[key]
        if not texts:
            raise KeyError(key)
        return texts

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        try:
            self[key]  # type: ignore[index]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[tuple[str, str]]:
        rows = self._db.execute(
            "select distinct incident_key, update_key from update_wordings "
            "where source_id = ? and first_snapshot <= ?",
            [self._source_id, self._up_to],
        )
        return iter([(r[0], r[1]) for r in rows.fetchall()])

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _texts(conn: sqlite3.Connection, **texts: str | None) -> dict[str, Any]:
    """An edit's text columns as stored (its old and new text, its incident's title, which
    every edit of that incident repeats): each inline when short, else named by wording id
    in the column of the same name and `_id`."""
    stored: dict[str, Any] = {}
    for column, text in texts.items():
        stored[column], stored[f"{column}_id"] = wordings.split(wordings.ref(conn, text))
    return stored


def _source(row: dict[str, Any]) -> Source:
    return Source(
        name=row["name"],
        url=row["url"],
        format=row["format"],
        options=_loads(row["options"], {}),
        added_at=row["added_at"],
    )


@contextmanager
def open_archive(
    home_option: Path | None,
    lock: str | None = None,
    create: bool = False,
    read_only: bool = False,
) -> Iterator[Archive]:
    """The archive of the data directory `--home` names; with `lock`, for one exclusive run;
    with `create`, a new one when the directory does not exist yet.

    Without `lock` it is opened read-only when asked (`read_only`, TRACKER_READ_ONLY) or when
    the user may not write the directory: every read works on a copy that cannot be changed.
    A command that takes the lock writes, and says in one line that it cannot.
    """
    home = resolve_home(home_option, create=create and not read_only)
    why = read_only_reason(home, read_only)
    if lock and why:
        raise ReadOnlyError(
            f"{home} is read-only ({why}): `tracker {lock}` writes to the archive; run it on a "
            "writable copy of the data directory"
        )
    with run_lock(home, lock) if lock else nullcontext():
        archive = Archive(home, read_only=bool(why) and (home / DB_NAME).exists())
        try:
            yield archive
        finally:
            archive.close()
