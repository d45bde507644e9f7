"""The archive: one SQLite database (through sqlite-utils) beside the blob store.

Tables: sources, fetches (every attempt, kept forever), snapshots (distinct versions),
update_versions (every wording each update has had), incidents (latest known header of each
incident) and edits (derived edit events). Raw bodies live in the blob store; everything derived
can be rebuilt from them.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import sqlite_utils

from ..errors import UsageError
from ..models import Document, EditEvent, EditRecord, Evidence, Source, edit_entry_id
from .blobs import BlobStore
from .home import DB_NAME, resolve_home, run_lock
from .schema import migrations


def _connect(path: Path) -> sqlite_utils.Database:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("pragma busy_timeout = 30000")
    conn.execute("pragma journal_mode = wal")
    conn.execute("pragma synchronous = full")
    conn.execute("pragma foreign_keys = on")
    return sqlite_utils.Database(conn)


def _loads(value: str | None, default: Any) -> Any:
    return json.loads(value) if value else default


class Archive:
    """The database and the blob store of one data directory."""

    def __init__(self, home: Path):
        self.home = home
        self.blobs = BlobStore(home / "blobs")
        self.db = _connect(home / DB_NAME)
        if migrations.pending(self.db):
            # BEGIN IMMEDIATE takes the write lock up front, so two processes opening a new
            # archive at once wait for each other (busy timeout) instead of failing.
            self.db.execute("begin immediate")
            try:
                migrations.apply(self.db)
            except BaseException:
                self.db.execute("rollback")
                raise
            self.db.execute("commit")

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.db.atomic():
            yield

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
        with self.db.atomic():
            if row:
                self.db.table("sources").update(row["id"], values)
            else:
                self.db.table("sources").insert(values)
        return source

    def _resume(self, row: dict[str, Any], source: Source) -> Source:
        """A removed source added again: it must read the page as its kept history did."""
        if source.format == "auto" and row["format"] != "auto":
            source = Source(source.name, source.url, row["format"], source.options, source.added_at)
        has_versions = bool(self.db.table("snapshots").count_where("source_id = ?", [row["id"]]))
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
        rows = list(self.db.table("sources").rows_where(where, [name]))
        return rows[0] if rows else None

    def source_id(self, name: str) -> int:
        row = self._source_row(name, include_removed=True)
        if row is None:
            raise UsageError(f"no source named {name!r}; `tracker sources` lists them")
        return int(row["id"])

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
        with self.db.atomic():
            self.db.execute("update sources set format = ? where name = ?", [fmt, name])

    def remove_source(self, name: str, *, purge: bool, when: str) -> None:
        source_id = self.source_id(name)
        with self.db.atomic():
            if not purge:
                self.db.table("sources").update(source_id, {"removed_at": when})
                return
            for table in ("edits", "update_versions", "incidents", "fetches", "snapshots"):
                self.db.execute(f"delete from {table} where source_id = ?", [source_id])
            self.db.execute("delete from sources where id = ?", [source_id])

    # -- snapshots and fetches ---------------------------------------------------------------

    def latest_snapshots(self, source: str, count: int = 1) -> list[dict[str, Any]]:
        """The newest `count` snapshots of a source, newest first."""
        return list(
            self.db.query(
                "select * from snapshots where source_id = ? order by id desc limit ?",
                [self.source_id(source), count],
            )
        )

    def snapshot(self, snapshot_id: int) -> dict[str, Any]:
        rows = list(self.db.query("select * from snapshots where id = ?", [snapshot_id]))
        if not rows:
            raise UsageError(f"no snapshot {snapshot_id}; `tracker log NAME` lists them")
        return rows[0]

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
        table = self.db.table("snapshots").insert(values)
        return int(table.last_pk or 0)

    def touch_snapshot(self, snapshot_id: int, seen_at: str) -> None:
        self.db.execute(
            "update snapshots set last_seen = max(last_seen, ?) where id = ?",
            [seen_at, snapshot_id],
        )

    def record_fetch(self, values: dict[str, Any]) -> int:
        table = self.db.table("fetches").insert(values)
        return int(table.last_pk or 0)

    def fetches(self, source: str, limit: int | None = None) -> list[dict[str, Any]]:
        sql = "select * from fetches where source_id = ? order by id desc"
        params: list[Any] = [self.source_id(source)]
        if limit:
            sql += " limit ?"
            params.append(limit)
        return list(self.db.query(sql, params))

    def has_reference(self, source: str, origin: str, reference: str) -> bool:
        rows = self.db.query(
            "select 1 from fetches where source_id = ? and origin = ? and reference = ? limit 1",
            [self.source_id(source), origin, reference],
        )
        return any(True for _ in rows)

    def document(self, row: dict[str, Any]) -> Document | None:
        data = _loads(row.get("document"), None)
        return Document.from_dict(data) if data else None

    def set_document(self, snapshot_id: int, document: Document | None) -> None:
        values = {
            "document": json.dumps(document.to_dict(), ensure_ascii=False) if document else None,
            "doc_hash": document.hash() if document else None,
        }
        self.db.table("snapshots").update(snapshot_id, values)

    # -- derived history -----------------------------------------------------------------------

    def record_history(
        self, source: str, snapshot_id: int, seen_at: str, document: Document
    ) -> None:
        """Note every incident and update wording this version shows."""
        source_id = self.source_id(source)
        for incident in document.incidents:
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
                    insert into update_versions
                      (source_id, incident_key, update_key, text, text_hash, posted_at, status,
                       first_seen, last_seen, first_snapshot, last_snapshot)
                    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    on conflict (source_id, incident_key, update_key, text_hash) do update set
                      last_seen = excluded.last_seen, last_snapshot = excluded.last_snapshot,
                      posted_at = excluded.posted_at, status = excluded.status
                    """,
                    [
                        source_id,
                        incident.key,
                        update.key,
                        text,
                        _text_hash(text),
                        update.posted_at,
                        update.status,
                        seen_at,
                        seen_at,
                        snapshot_id,
                        snapshot_id,
                    ],
                )

    def extend_history(self, source: str, snapshot_id: int, seen_at: str) -> None:
        """An unchanged fetch: everything the snapshot showed was still there at `seen_at`."""
        source_id = self.source_id(source)
        self.db.execute(
            "update update_versions set last_seen = max(last_seen, ?) "
            "where source_id = ? and last_snapshot = ?",
            [seen_at, source_id, snapshot_id],
        )

    def earlier_texts(self, source: str) -> dict[tuple[str, str], set[str]]:
        texts: dict[tuple[str, str], set[str]] = {}
        rows = self.db.query(
            "select incident_key, update_key, text from update_versions where source_id = ?",
            [self.source_id(source)],
        )
        for row in rows:
            texts.setdefault((row["incident_key"], row["update_key"]), set()).add(row["text"])
        return texts

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
                "incident_title": e.incident_title,
                "update_key": e.update_key,
                "field": e.field,
                "old": e.old,
                "new": e.new,
                "diff": json.dumps([list(op) for op in e.diff], ensure_ascii=False),
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
        if rows:
            self.db.table("edits").insert_all(rows)
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
        for table in ("edits", "update_versions", "incidents"):
            self.db.execute(f"delete from {table} where source_id = ?", [source_id])

    # -- reading edits -------------------------------------------------------------------------

    def edit_rows(
        self,
        *,
        sources: Iterable[str] = (),
        since: str | None = None,
        kinds: Iterable[str] | None = None,
        silent: bool = False,
        incident: tuple[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Edit rows joined with their source and both snapshots, most significant first."""
        where = ["1 = 1"]
        params: list[Any] = []
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
        if silent:
            where.append("edits.silent = 1")
        if incident:
            where.append("sources.name = ? and edits.incident_key = ?")
            params.extend(incident)
        sql = f"""
            select edits.*, sources.name as source, sources.url as source_url,
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
        return list(self.db.query(sql, params))

    def edit_records(self, **filters: Any) -> list[EditRecord]:
        """`edit_rows` decoded: the stored edit events as records, in the same order."""
        return [_record(row) for row in self.edit_rows(**filters)]

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
                "select * from update_versions where source_id = ? and incident_key = ? "
                "order by first_snapshot, id",
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
              snippet(update_versions_fts, 0, '[', ']', ' … ', 16) as snippet
            from update_versions_fts
              join update_versions on update_versions.rowid = update_versions_fts.rowid
              join sources on sources.id = update_versions.source_id
              left join incidents on incidents.source_id = update_versions.source_id
                and incidents.key = update_versions.incident_key
            where update_versions_fts match ? {where}
            order by update_versions_fts.rank, update_versions.first_seen
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

    def dangling_fetches(self) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "select fetches.id, sources.name as source from fetches "
                "join sources on sources.id = fetches.source_id "
                "left join snapshots on snapshots.id = fetches.snapshot_id "
                "where fetches.snapshot_id is not null and snapshots.id is null"
            )
        )

    def integrity_check(self) -> str:
        return str(next(iter(self.db.query("pragma integrity_check")))["integrity_check"])


def _record(row: dict[str, Any]) -> EditRecord:
    event = EditEvent(
        kind=row["kind"],
        incident_key=row["incident_key"],
        incident_title=row["incident_title"] or "",
        update_key=row["update_key"],
        field=row["field"],
        old=row["old"],
        new=row["new"],
        diff=tuple((int(op), text) for op, text in json.loads(row["diff"] or "[]")),
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


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _source(row: dict[str, Any]) -> Source:
    return Source(
        name=row["name"],
        url=row["url"],
        format=row["format"],
        options=_loads(row["options"], {}),
        added_at=row["added_at"],
    )


@contextmanager
def open_archive(home_option: Path | None, lock: str | None = None) -> Iterator[Archive]:
    """The archive of the data directory `--home` names; with `lock`, for one exclusive run."""
    home = resolve_home(home_option)
    with run_lock(home, lock) if lock else nullcontext():
        archive = Archive(home)
        try:
            yield archive
        finally:
            archive.close()
