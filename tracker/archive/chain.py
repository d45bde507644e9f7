"""The hash chain over the evidence: every fetch record seals itself and the one before it.

A fetch's chain hash is the SHA-256 of a canonical JSON of its own fields, the source it was
made for (name, URL), the version it names (the evidence fields of that snapshot row: body
SHA-256, headers, request, URLs, first seen, origin, reference) and the previous record's
chain hash. Changing, removing or inserting any of those anywhere changes every hash after
it, so one published head (hash and record count) proves the whole archive up to it.

SQLite triggers refuse UPDATE and DELETE of the sealed fields; a migration that has to
change them lifts the triggers with `lifted` and puts them back. The bodies themselves are
sealed by name: a body row is its SHA-256, and `verify` re-reads every one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from ..models import Head
from . import sql

GENESIS = "0" * 64
# What `stored_head` gives when the archive's note of its head cannot be read.
DAMAGED_HEAD = Head("", -1)
HEAD_SETTING = "chain_head"
FETCH_FIELDS = (
    "id",
    "source_id",
    "started_at",
    "finished_at",
    "outcome",
    "error",
    "detail",
    "http_status",
    "url",
    "final_url",
    "bytes",
    "sha256",
    "snapshot_id",
    "origin",
    "reference",
    "robots",  # the robots.txt verdict a live fetch was made under (a later column: m009)
)
_INTEGERS = {"id", "source_id", "http_status", "bytes", "snapshot_id"}
SNAPSHOT_FIELDS = (
    "id",
    "source_id",
    "sha256",
    "content_type",
    "headers",
    "request",
    "url",
    "final_url",
    "bytes",
    "first_seen",
    "origin",
    "reference",
)
SOURCE_FIELDS = ("name", "url")
BODY_FIELDS = ("sha256", "base_id", "depth", "size", "data")

_REFUSED = "is evidence: status-tracker never changes it (`tracker verify` checks the archive)"
TRIGGERS = {
    "evidence_fetch_update": f"""
        create trigger evidence_fetch_update before update of {", ".join(FETCH_FIELDS)}, chain
        on fetches begin select raise(abort, 'a fetch record {_REFUSED}'); end
    """,
    "evidence_fetch_delete": f"""
        create trigger evidence_fetch_delete before delete on fetches
        begin select raise(abort, 'a fetch record {_REFUSED}'); end
    """,
    "evidence_snapshot_update": f"""
        create trigger evidence_snapshot_update before update of {", ".join(SNAPSHOT_FIELDS)}
        on snapshots begin select raise(abort, 'a version {_REFUSED}'); end
    """,
    "evidence_snapshot_delete": f"""
        create trigger evidence_snapshot_delete before delete on snapshots
        begin select raise(abort, 'a version {_REFUSED}'); end
    """,
    "evidence_body_update": f"""
        create trigger evidence_body_update before update of {", ".join(BODY_FIELDS)}
        on bodies begin select raise(abort, 'a stored body {_REFUSED}'); end
    """,
    # A body no record names (and no kept body is a delta on) may go: `gc` drops those.
    "evidence_body_delete": f"""
        create trigger evidence_body_delete before delete on bodies
        when exists (select 1 from fetches where sha256 = old.sha256)
          or exists (select 1 from snapshots where sha256 = old.sha256)
          or exists (select 1 from bodies where base_id = old.id)
        begin select raise(abort, 'a stored body {_REFUSED}'); end
    """,
    "evidence_source_update": f"""
        create trigger evidence_source_update before update of name, url on sources
        when (old.name is not new.name or old.url is not new.url)
          and exists (select 1 from fetches where source_id = old.id)
        begin select raise(abort, 'a source with fetch records {_REFUSED}'); end
    """,
    "evidence_source_delete": f"""
        create trigger evidence_source_delete before delete on sources
        when exists (select 1 from fetches where source_id = old.id)
        begin select raise(abort, 'a source with fetch records {_REFUSED}'); end
    """,
}


def record_hash(
    previous: str,
    fetch: dict[str, Any],
    source: dict[str, Any] | None,
    snapshot: dict[str, Any] | None,
) -> str:
    """The chain hash of one fetch record, given the chain hash of the one before it."""
    sealed = {
        "previous": previous,
        "fetch": {name: fetch.get(name) for name in FETCH_FIELDS},
        "source": {name: source.get(name) for name in SOURCE_FIELDS} if source else None,
        "snapshot": {name: snapshot.get(name) for name in SNAPSHOT_FIELDS} if snapshot else None,
    }
    text = json.dumps(sealed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def append(db: sqlite_utils.Database, values: dict[str, Any]) -> int:
    """Insert one fetch record sealed onto the chain; returns its id.

    Run inside a write transaction (BEGIN IMMEDIATE): the previous record cannot change
    between reading it and writing this one.
    """
    last = db.execute("select id, chain from fetches order by id desc limit 1").fetchone()
    head = stored_head(db)
    row: dict[str, Any] = {name: values.get(name) for name in FETCH_FIELDS} | dict(values)
    # Sealed as SQLite will store and return it: 200.0 would read back as 200, True as 1.
    for name in FETCH_FIELDS:
        if row[name] is not None:
            row[name] = int(row[name]) if name in _INTEGERS else str(row[name])
    row["id"] = (last[0] if last else 0) + 1
    previous = (last[1] if last else None) or GENESIS
    sealed = record_hash(
        previous, row, _source(db, row["source_id"]), _snapshot(db, row.get("snapshot_id"))
    )
    row["chain"] = sealed
    sql.insert(db.conn, "fetches", row)
    if head is not None and head.count >= 0:
        count = head.count + 1
    else:
        count = int(db.execute("select count(*) from fetches").fetchone()[0])
    _store_head(db, Head(sealed, count))
    return int(row["id"])


def backfill(db: sqlite_utils.Database) -> Head:
    """Seal every fetch record in id order (the migration that introduces the chain)."""
    previous, count = GENESIS, 0
    rows = db.execute("select * from fetches order by id").fetchall()
    columns = [c[0] for c in db.execute("select * from fetches limit 0").description]
    for values in rows:
        row = dict(zip(columns, values, strict=True))
        previous = record_hash(
            previous, row, _source(db, row["source_id"]), _snapshot(db, row["snapshot_id"])
        )
        db.execute("update fetches set chain = ? where id = ?", [previous, row["id"]])
        count += 1
    head = Head(previous, count)
    _store_head(db, head)
    return head


def stored_head(db: sqlite_utils.Database) -> Head | None:
    """The head as the archive last wrote it (a check on the tail, not a proof)."""
    row = db.execute("select value from settings where key = ?", [HEAD_SETTING]).fetchone()
    if not row or not row[0]:
        return None
    try:
        data = json.loads(row[0])
        return Head(str(data["hash"]), int(data["count"]))
    except (ValueError, TypeError, KeyError):
        return DAMAGED_HEAD


# The body guards as they were while a delta named its base by SHA-256 (before migration
# m016): a trigger naming a column its table lacks breaks every later change of the schema.
_BODY_GUARDS_BY_DIGEST = {
    "evidence_body_update": TRIGGERS["evidence_body_update"].replace("base_id", "base"),
    "evidence_body_delete": TRIGGERS["evidence_body_delete"].replace(
        "base_id = old.id", "base = old.sha256"
    ),
}


def install_triggers(db: sqlite_utils.Database) -> None:
    statements = dict(TRIGGERS)
    if "base_id" not in {r[1] for r in db.execute("pragma table_info(bodies)").fetchall()}:
        statements.update(_BODY_GUARDS_BY_DIGEST)
    for name, statement in statements.items():
        db.execute(f"drop trigger if exists {name}")
        db.execute(statement)


def missing_triggers(db: sqlite_utils.Database) -> list[str]:
    present = {
        r[0] for r in db.execute("select name from sqlite_master where type = 'trigger'").fetchall()
    }
    return [name for name in TRIGGERS if name not in present]


@contextmanager
def lifted(db: sqlite_utils.Database) -> Iterator[None]:
    """For a migration only: the guards off while it rewrites evidence rows, then back on."""
    for name in TRIGGERS:
        db.execute(f"drop trigger if exists {name}")
    yield
    install_triggers(db)


@dataclass(frozen=True)
class Walk:
    """What walking the chain found: the head recomputed, every record's hash, the problems.

    `first_bad` is the position (0-based) of the first record whose hash does not match.
    """

    head: Head
    hashes: tuple[str, ...]
    problems: tuple[str, ...]
    first_bad: int | None

    def position(self, head_hash: str) -> int | None:
        """Where an older head is in today's chain (1-based count), when the records up to
        it are intact; None otherwise. A unique prefix of 12 or more hex digits will do."""
        wanted = head_hash.strip().lower()
        if len(wanted) < 12:
            return None
        found = [i for i, value in enumerate(self.hashes) if value.startswith(wanted)]
        if len(found) != 1:
            return None
        if self.first_bad is not None and found[0] >= self.first_bad:
            return None
        return found[0] + 1


def walk(db: sqlite_utils.Database) -> Walk:
    """Recompute every chain hash from the rows as they are now, in id order.

    A problem names a record whose hash does not match and why, when that can be told (a gap
    in the ids: records deleted; its version missing; no hash: inserted). After a bad record
    the walk goes on from the hash that record carries, so each later problem is its own.
    """
    sources = {
        r[0]: {"name": r[1], "url": r[2]} for r in db.execute("select id, name, url from sources")
    }
    columns = [c[0] for c in db.execute("select * from fetches limit 0").description]
    snapshots = {
        r[0]: dict(zip(SNAPSHOT_FIELDS, r, strict=True))
        for r in db.execute(f"select {', '.join(SNAPSHOT_FIELDS)} from snapshots")
    }
    problems: list[str] = []
    hashes: list[str] = []
    first_bad: int | None = None
    previous, last_id = GENESIS, 0
    for values in db.execute("select * from fetches order by id"):
        row = dict(zip(columns, values, strict=True))
        source = sources.get(row["source_id"])
        snapshot = snapshots.get(row["snapshot_id"]) if row["snapshot_id"] is not None else None
        computed = record_hash(previous, row, source, snapshot)
        if row["chain"] != computed:
            name = f"{source['name']} fetch {row['id']}" if source else f"fetch {row['id']}"
            problems.append(f"{name}: {_why(row, last_id, source, snapshot)}")
            if first_bad is None:
                first_bad = len(hashes)
        previous = row["chain"] or computed
        hashes.append(previous)
        last_id = row["id"]
    return Walk(Head(previous, len(hashes)), tuple(hashes), tuple(problems), first_bad)


def _why(
    row: dict[str, Any],
    last_id: int,
    source: dict[str, Any] | None,
    snapshot: dict[str, Any] | None,
) -> str:
    if not row["chain"]:
        return "it carries no chain hash: it was inserted outside status-tracker"
    if source is None:
        return f"its source (id {row['source_id']}) is missing: the source row was deleted"
    if row["snapshot_id"] is not None and snapshot is None:
        return f"the version it names ({row['snapshot_id']}) is missing: it was deleted"
    if row["id"] != last_id + 1 and last_id:
        return (
            f"fetch records {last_id + 1}..{row['id'] - 1} before it are missing: they were deleted"
        )
    return (
        "its chain hash does not match its fields: this record, its source, the version it "
        "names, or the record before it was changed"
    )


def _store_head(db: sqlite_utils.Database, head: Head) -> None:
    db.execute(
        "insert into settings (key, value) values (?, ?) "
        "on conflict (key) do update set value = excluded.value",
        [HEAD_SETTING, json.dumps(head.to_dict())],
    )


def _source(db: sqlite_utils.Database, source_id: int | None) -> dict[str, Any] | None:
    row = db.execute("select name, url from sources where id = ?", [source_id]).fetchone()
    return {"name": row[0], "url": row[1]} if row else None


def _snapshot(db: sqlite_utils.Database, snapshot_id: int | None) -> dict[str, Any] | None:
    if snapshot_id is None:
        return None
    columns = ", ".join(SNAPSHOT_FIELDS)
    row = db.execute(f"select {columns} from snapshots where id = ?", [snapshot_id]).fetchone()
    return dict(zip(SNAPSHOT_FIELDS, row, strict=True)) if row else None
