"""The archive's schema, as sqlite-utils migrations applied in order on every open."""

from __future__ import annotations

import json

import sqlite_utils
from sqlite_utils import Migrations

from ..models import edit_entry_id
from . import chain, wordings
from .items import ITEM_HASH_HEX, canonical

migrations = Migrations("status-tracker")


@migrations()
def m001_core(db: sqlite_utils.Database) -> None:
    db.table("sources").create(
        {
            "id": int,
            "name": str,
            "url": str,
            "format": str,
            "options": str,
            "added_at": str,
            "removed_at": str,
        },
        pk="id",
        not_null={"name", "url", "format"},
    )
    db.table("sources").create_index(["name"], unique=True)
    db.table("snapshots").create(
        {
            "id": int,
            "source_id": int,
            "sha256": str,
            "doc_hash": str,
            "document": str,
            "content_type": str,
            "headers": str,
            "request": str,
            "url": str,
            "final_url": str,
            "bytes": int,
            "first_seen": str,
            "last_seen": str,
            "origin": str,
            "reference": str,
        },
        pk="id",
        foreign_keys=[("source_id", "sources", "id")],
        not_null={"source_id", "sha256", "first_seen", "last_seen", "origin"},
    )
    db.table("snapshots").create_index(["source_id", "id"])
    db.table("fetches").create(
        {
            "id": int,
            "source_id": int,
            "started_at": str,
            "finished_at": str,
            "outcome": str,
            "error": str,
            "detail": str,
            "http_status": int,
            "url": str,
            "final_url": str,
            "bytes": int,
            "sha256": str,
            "snapshot_id": int,
            "origin": str,
            "reference": str,
        },
        pk="id",
        foreign_keys=[("source_id", "sources", "id"), ("snapshot_id", "snapshots", "id")],
        not_null={"source_id", "started_at", "outcome"},
    )
    db.table("fetches").create_index(["source_id", "id"])
    db.table("fetches").create_index(["source_id", "origin", "reference"])


@migrations()
def m002_history(db: sqlite_utils.Database) -> None:
    db.table("incidents").create(
        {
            "id": int,
            "source_id": int,
            "key": str,
            "title": str,
            "status": str,
            "impact": str,
            "url": str,
            "first_seen": str,
            "last_seen": str,
        },
        pk="id",
        foreign_keys=[("source_id", "sources", "id")],
    )
    db.table("incidents").create_index(["source_id", "key"], unique=True)
    db.table("update_versions").create(
        {
            "id": int,
            "source_id": int,
            "incident_key": str,
            "update_key": str,
            "text": str,
            "text_hash": str,
            "posted_at": str,
            "status": str,
            "first_seen": str,
            "last_seen": str,
            "first_snapshot": int,
            "last_snapshot": int,
        },
        pk="id",
        foreign_keys=[("source_id", "sources", "id")],
    )
    db.table("update_versions").create_index(
        ["source_id", "incident_key", "update_key", "text_hash"], unique=True
    )
    db.table("update_versions").enable_fts(["text"], create_triggers=True, tokenize="porter")
    db.table("edits").create(
        {
            "id": int,
            "source_id": int,
            "before_snapshot": int,
            "after_snapshot": int,
            "kind": str,
            "incident_key": str,
            "incident_title": str,
            "update_key": str,
            "field": str,
            "old": str,
            "new": str,
            "diff": str,
            "silent": int,
            "backdated": int,
            "revert": int,
            "flicker": int,
            "flags": str,
            "reasons": str,
            "score": float,
            "posted_at": str,
            "window_start": str,
            "window_end": str,
        },
        pk="id",
        foreign_keys=[
            ("source_id", "sources", "id"),
            ("after_snapshot", "snapshots", "id"),
        ],
    )
    db.table("edits").create_index(["source_id", "after_snapshot"])
    db.table("edits").create_index(["score"])


@migrations()
def m003_views(db: sqlite_utils.Database) -> None:
    db.create_view(
        "edits_readable",
        """
        select edits.id, sources.name as source, edits.kind, edits.incident_title as incident,
          edits.update_key as "update", edits.field, edits.silent, edits.flags, edits.score,
          edits.window_start, edits.window_end, edits.old, edits.new,
          edits.before_snapshot, edits.after_snapshot
        from edits join sources on sources.id = edits.source_id
        order by edits.score desc, edits.window_end desc
        """,
    )
    # Atom ids are built from the versions and the item, not the edit row id: `tracker
    # rebuild` recomputes edit rows, and a feed reader must not see every entry again.
    db.create_view(
        "edits_atom",
        """
        select
          'tag:status-tracker,2026:edit/' || sources.name || '/'
            || coalesce(edits.before_snapshot, 0) || '-' || edits.after_snapshot || '/'
            || edits.kind || '/' || edits.incident_key || '/' || coalesce(edits.update_key, '')
            || '/' || coalesce(edits.field, '') as atom_id,
          sources.name || ': ' || edits.kind || ' - ' || coalesce(edits.incident_title, '')
            as atom_title,
          edits.window_end as atom_updated,
          'Before: ' || coalesce(edits.old, '') || char(10) || 'After: '
            || coalesce(edits.new, '') || char(10) || 'Flags: ' || coalesce(edits.flags, '')
            as atom_content
        from edits join sources on sources.id = edits.source_id
        where edits.kind not in ('update_added', 'incident_added')
        order by edits.window_end desc
        """,
    )


@migrations()
def m004_settings(db: sqlite_utils.Database) -> None:
    db.table("settings").create({"key": str, "value": str}, pk="key")


# The column names of `edits_readable` follow the one edit JSON shape (`changes --json`).
READABLE = """
    select edits.id, edits.entry_id, sources.name as source, edits.kind,
      edits.incident_key as incident, edits.incident_title, edits.update_key as "update",
      edits.field, edits.silent, edits.backdated, edits.revert, edits.flicker, edits.flags,
      edits.reasons, edits.score, edits.posted_at, edits.window_start, edits.window_end,
      edits.old, edits.new, edits.before_snapshot, edits.after_snapshot
    from edits join sources on sources.id = edits.source_id
    order by edits.score desc, edits.window_end desc, edits.id
"""
# One id scheme: the Atom feed's entry id, stored with each edit row.
ATOM = """
    select
      edits.entry_id as atom_id,
      sources.name || ': ' || edits.kind || ' - ' || coalesce(edits.incident_title, '')
        as atom_title,
      edits.window_end as atom_updated,
      'Before: ' || coalesce(edits.old, '') || char(10) || 'After: '
        || coalesce(edits.new, '') || char(10) || 'Flags: ' || coalesce(edits.flags, '')
        as atom_content
    from edits join sources on sources.id = edits.source_id
    where edits.kind not in ('update_added', 'incident_added')
    order by edits.window_end desc
"""


@migrations()
def m005_edit_entry_ids(db: sqlite_utils.Database) -> None:
    db.table("edits").add_column("entry_id", str)
    rows = db.query(
        """
        select edits.id, sources.name as source, edits.kind, edits.incident_key,
          edits.update_key, edits.field, b.sha256 as before_sha256, a.sha256 as after_sha256
        from edits join sources on sources.id = edits.source_id
          join snapshots a on a.id = edits.after_snapshot
          left join snapshots b on b.id = edits.before_snapshot
        """
    )
    for row in list(rows):
        entry = edit_entry_id(
            row["source"],
            row["kind"],
            row["incident_key"],
            row["update_key"],
            row["field"],
            row["before_sha256"],
            row["after_sha256"],
        )
        db.execute("update edits set entry_id = ? where id = ?", [entry, row["id"]])
    db.create_view("edits_readable", READABLE, replace=True)
    db.create_view("edits_atom", ATOM, replace=True)


@migrations()
def m006_edit_verdicts(db: sqlite_utils.Database) -> None:
    """Why an edit is silent or who announced it, and how many items one change touched."""
    edits = db.table("edits")
    edits.add_column("verdict", str)
    edits.add_column("announced_by", str)
    edits.add_column("count", int, not_null_default=1)
    edits.add_column("keys", str)
    db.create_view("edits_readable", READABLE_WITH_VERDICTS, replace=True)


READABLE_WITH_VERDICTS = READABLE.replace(
    "edits.reasons,", "edits.reasons, edits.verdict, edits.announced_by, edits.count, edits.keys,"
)


@migrations()
def m007_bodies_and_items(db: sqlite_utils.Database) -> None:
    """Delta-compressed bodies in the database; documents stored as item versions.

    Rows written before keep their `document` JSON and their gzip body files: both are read
    as they are. From here on every fetch that brought a body keeps it (`bodies_kept_after`
    is the last fetch recorded before, which `verify` does not hold to that).
    """
    db.execute(
        """
        create table bodies (
          sha256 text primary key,
          source_id integer references sources(id),
          base text,
          depth integer not null,
          size integer not null,
          data blob not null
        )
        """
    )
    db.execute("create index bodies_source on bodies (source_id)")
    db.execute("create index bodies_base on bodies (base)")
    # One row per item version: `since` is the first snapshot that showed it, `until` the
    # first that no longer did (null while the newest version still shows it).
    db.execute(
        """
        create table incident_items (
          id integer primary key,
          source_id integer not null references sources(id),
          slot text not null,
          hash text not null,
          header_hash text not null,
          data text not null,
          since integer not null,
          until integer
        )
        """
    )
    db.execute("create index incident_items_open on incident_items (source_id, until, slot)")
    db.execute("create index incident_items_since on incident_items (source_id, since)")
    db.execute(
        """
        create table update_items (
          id integer primary key,
          source_id integer not null references sources(id),
          incident_slot text not null,
          slot text not null,
          hash text not null,
          data text not null,
          since integer not null,
          until integer
        )
        """
    )
    db.execute(
        "create index update_items_open on update_items (source_id, incident_slot, until, slot)"
    )
    db.execute("create index update_items_since on update_items (source_id, since)")
    db.execute(
        """
        create table layouts (
          id integer primary key,
          source_id integer not null references sources(id),
          hash text not null,
          data text not null
        )
        """
    )
    db.execute("create unique index layouts_hash on layouts (source_id, hash)")
    db.table("snapshots").add_column("layout_id", int)
    # A wording still shown by the newest version is `open`: its last_seen/last_snapshot are
    # that version's, read through, so an unchanged version writes nothing per update.
    db.table("update_versions").add_column("open", int)
    db.execute(
        """
        update update_versions set open = 1
        where last_snapshot = (
          select max(id) from snapshots
          where snapshots.source_id = update_versions.source_id and doc_hash is not null
        )
        """
    )
    db.execute("create index update_versions_open on update_versions (source_id, open)")
    db.execute(
        "create index update_versions_update on update_versions (source_id, incident_key, "
        "update_key)"
    )
    db.execute("create index fetches_snapshot on fetches (snapshot_id)")
    db.execute("create index edits_before on edits (before_snapshot)")
    db.execute(
        "insert into settings (key, value) select 'bodies_kept_after', "
        "coalesce(max(id), 0) from fetches where true "
        "on conflict (key) do update set value = excluded.value"
    )


@migrations()
def m008_evidence_chain(db: sqlite_utils.Database) -> None:
    """Every fetch record sealed onto a hash chain; triggers refuse changes to evidence."""
    db.table("fetches").add_column("chain", str)
    with chain.lifted(db):
        chain.backfill(db)


# The word diff as wdiff-style text ([-old-]{+new+}), as `tracker diff` prints it without colour.
_DIFF_TEXT = """(
      select group_concat(
        case json_extract(op.value, '$[0]')
          when -1 then '[-' || json_extract(op.value, '$[1]') || '-]'
          when 1 then '{+' || json_extract(op.value, '$[1]') || '+}'
          else json_extract(op.value, '$[1]')
        end, '')
      from json_each(coalesce(edits.diff, '[]')) op
    )"""
# Every column `edits_readable` had (m005, m006), then the diff as text and the links.
READABLE_WITH_LINKS = f"""
    select edits.id, edits.entry_id, sources.name as source, edits.kind,
      edits.incident_key as incident, edits.incident_title, edits.update_key as "update",
      edits.field, edits.silent, edits.backdated, edits.revert, edits.flicker, edits.flags,
      edits.reasons, edits.verdict, edits.announced_by, edits.count, edits.keys,
      edits.score, edits.posted_at, edits.window_start, edits.window_end,
      edits.old, edits.new, edits.before_snapshot, edits.after_snapshot,
      {_DIFF_TEXT} as diff_text,
      incidents.url as incident_url, sources.url as source_url,
      coalesce(incidents.url, sources.url) as link
    from edits join sources on sources.id = edits.source_id
      left join incidents on incidents.source_id = edits.source_id
        and incidents.key = edits.incident_key
    order by edits.score desc, edits.window_end desc, edits.id
"""
# datasette-atom reads atom_id, atom_title, atom_updated, atom_content and atom_link.
ATOM_WITH_LINKS = f"""
    select
      edits.entry_id as atom_id,
      sources.name || ': ' || edits.kind || ' - ' || coalesce(edits.incident_title, '')
        as atom_title,
      edits.window_end as atom_updated,
      'Before: ' || coalesce(edits.old, '') || char(10) || 'After: '
        || coalesce(edits.new, '') || char(10) || 'Diff: ' || coalesce({_DIFF_TEXT}, '')
        || char(10) || 'Flags: '
        || coalesce((select group_concat(f.value, ', ') from json_each(edits.flags) f), '')
        || char(10) || 'Why: '
        || coalesce((select group_concat(r.value, '; ') from json_each(edits.reasons) r), '')
        as atom_content,
      coalesce(incidents.url, sources.url) as atom_link
    from edits join sources on sources.id = edits.source_id
      left join incidents on incidents.source_id = edits.source_id
        and incidents.key = edits.incident_key
    where edits.kind not in ('update_added', 'incident_added')
    order by edits.window_end desc
"""


@migrations()
def m009_nightly(db: sqlite_utils.Database) -> None:
    """Notification targets and what each was sent, robots.txt per host, linked views."""
    db.execute(
        """
        create table notify_targets (
          id integer primary key,
          url text not null,
          min_score real,
          silent_only integer not null default 0,
          source text,
          added_at text not null
        )
        """
    )
    # One row per edit delivered to a target: an edit is never sent to it twice.
    db.execute(
        """
        create table notify_sent (
          target_id integer not null references notify_targets(id) on delete cascade,
          entry_id text not null,
          sent_at text not null,
          primary key (target_id, entry_id)
        )
        """
    )
    # The robots.txt of each origin (scheme://host:port) as last fetched; kept 24 hours.
    db.execute(
        """
        create table robots (
          origin text primary key,
          fetched_at text not null,
          status integer,
          body text,
          error text
        )
        """
    )
    # Which robots.txt verdict a live fetch was made under (null for imports).
    db.table("fetches").add_column("robots", str)
    db.create_view("edits_readable", READABLE_WITH_LINKS, replace=True)
    db.create_view("edits_atom", ATOM_WITH_LINKS, replace=True)


@migrations()
def m010_noise(db: sqlite_utils.Database) -> None:
    # What the second look learned about each source: a place on the page and the masked
    # wording of a value found there that changed between two fetches seconds apart.
    db.execute(
        """
        create table noise (
          id integer primary key,
          source_id integer not null references sources(id),
          place text not null,
          pattern text not null,
          learned_at text not null
        )
        """
    )
    db.execute("create unique index noise_signature on noise (source_id, place, pattern)")


# From m011 an edit's old and new are inline (short) or a `wordings` id, and its diff may be
# op lengths into them: the views read the texts back and rebuild the diff text in SQL.
_OLD = wordings.text_sql("edits.old", "edits.old_id")
_NEW = wordings.text_sql("edits.new", "edits.new_id")
_COMPACT_DIFF_TEXT = wordings.diff_text_sql("edits.diff", _OLD, _NEW)
READABLE_COMPACT = READABLE_WITH_LINKS.replace(
    "edits.old, edits.new,", f"{_OLD} as old, {_NEW} as new,"
).replace(_DIFF_TEXT, _COMPACT_DIFF_TEXT)
ATOM_COMPACT = (
    ATOM_WITH_LINKS.replace("coalesce(edits.old, '')", f"coalesce({_OLD}, '')")
    .replace("coalesce(edits.new, '')", f"coalesce({_NEW}, '')")
    .replace(_DIFF_TEXT, _COMPACT_DIFF_TEXT)
)


@migrations()
def m011_compact(db: sqlite_utils.Database) -> None:
    """Each long wording stored once; an edit's diff as op lengths into its old and new.

    Update items and edits name their long texts by a `wordings` id instead of repeating
    them. Only derived tables change (no evidence row, so the chain's guards stay on).
    """
    conn = db.conn
    db.execute(
        "create table wordings (id integer primary key, hash blob not null, text text not null)"
    )
    db.execute("create unique index wordings_hash on wordings (hash)")
    db.table("edits").add_column("old_id", int)
    db.table("edits").add_column("new_id", int)
    rows = conn.execute("select id, old, new, diff from edits order by id").fetchall()
    for edit_id, old, new, diff in rows:
        ops = json.loads(diff or "[]")
        old_text, old_id = wordings.split(wordings.ref(conn, old))
        new_text, new_id = wordings.split(wordings.ref(conn, new))
        conn.execute(
            "update edits set old = ?, old_id = ?, new = ?, new_id = ?, diff = ? where id = ?",
            [old_text, old_id, new_text, new_id, wordings.compact_diff(ops, old, new), edit_id],
        )
    rows = conn.execute("select id, data from update_items order by id").fetchall()
    for item_id, data in rows:
        stored = canonical(wordings.stored_update(conn, json.loads(data)))
        conn.execute("update update_items set data = ? where id = ?", [stored, item_id])
    db.create_view("edits_readable", READABLE_COMPACT, replace=True)
    db.create_view("edits_atom", ATOM_COMPACT, replace=True)


# From m012 an update's wordings are rows of `update_wordings` naming a `wordings` row;
# `update_versions` is the view that reads them as the table they were before.
UPDATE_VERSIONS = """
    select uw.id, uw.source_id, uw.incident_key, uw.update_key, w.text,
      lower(hex(w.hash)) as text_hash, uw.posted_at, uw.status, uw.first_seen, uw.last_seen,
      uw.first_snapshot, uw.last_snapshot, uw.open, uw.wording_id
    from update_wordings uw join wordings w on w.id = uw.wording_id
"""
WORDINGS_FTS_TRIGGERS = {
    "wordings_fts_insert": """
        create trigger wordings_fts_insert after insert on wordings begin
          insert into wordings_fts (rowid, text) values (new.id, new.text);
        end
    """,
    "wordings_fts_delete": """
        create trigger wordings_fts_delete after delete on wordings begin
          insert into wordings_fts (wordings_fts, rowid, text) values ('delete', old.id, old.text);
        end
    """,
    "wordings_fts_update": """
        create trigger wordings_fts_update after update on wordings begin
          insert into wordings_fts (wordings_fts, rowid, text) values ('delete', old.id, old.text);
          insert into wordings_fts (rowid, text) values (new.id, new.text);
        end
    """,
}


@migrations()
def m012_wordings_searched(db: sqlite_utils.Database) -> None:
    """Each wording of an update stored once, and searched where it is stored.

    `update_versions` repeated every text `wordings` holds and carried its own full-text
    index: its rows become `update_wordings`, naming the wording by id (short texts get a
    row too), the full-text index moves onto `wordings`, and `update_versions` is a view
    with the columns it had (plus `wording_id`). Only derived tables change.
    """
    conn = db.conn
    conn.execute(
        """
        create table update_wordings (
          id integer primary key,
          source_id integer references sources(id),
          incident_key text,
          update_key text,
          wording_id integer not null references wordings(id),
          posted_at text,
          status text,
          first_seen text,
          last_seen text,
          first_snapshot integer,
          last_snapshot integer,
          open integer
        )
        """
    )
    rows = conn.execute(
        "select id, source_id, incident_key, update_key, text, posted_at, status, first_seen, "
        "last_seen, first_snapshot, last_snapshot, open from update_versions order by id"
    ).fetchall()
    for row in rows:
        wording = wordings.ref_id(conn, row[4] or "")
        conn.execute(
            "insert into update_wordings values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [*row[:4], wording, *row[5:]],
        )
    db.table("update_versions").disable_fts()
    conn.execute("drop table update_versions")
    conn.execute(
        "create unique index update_wordings_update on update_wordings "
        "(source_id, incident_key, update_key, wording_id)"
    )
    conn.execute("create index update_wordings_open on update_wordings (source_id, open)")
    conn.execute(f"create view update_versions as {UPDATE_VERSIONS}")
    conn.execute(
        "create virtual table wordings_fts using fts5 "
        "(text, content='wordings', content_rowid='id', tokenize='porter')"
    )
    conn.execute("insert into wordings_fts (wordings_fts) values ('rebuild')")
    for statement in WORDINGS_FTS_TRIGGERS.values():
        conn.execute(statement)


@migrations()
def m013_packed_items(db: sqlite_utils.Database) -> None:
    """Item rows compressed against a dictionary of their source's rows (`packed`), and
    item hashes stored as 16 bytes (`items.ITEM_HASH_HEX`) instead of 64 hex digits.

    The data of rows written before stays as it is (JSON text, no `dictionary_id`) and is
    read as such; `tracker rebuild` writes a source's rows again, compressed. Their hashes
    are cut to the new length here, so they still match the hashes of the same items read
    again. An update item names the wordings its fields refer to in `wordings`, so the
    unused ones can be found without reading its data. Only derived tables change.
    """
    conn = db.conn
    for table, columns in (
        ("incident_items", ("hash", "header_hash")),
        ("update_items", ("hash",)),
        ("layouts", ("hash",)),
    ):
        rows = conn.execute(f"select id, {', '.join(columns)} from {table}").fetchall()
        conn.executemany(
            f"update {table} set {', '.join(f'{c} = ?' for c in columns)} where id = ?",
            [[*(bytes.fromhex(h[:ITEM_HASH_HEX]) for h in row[1:]), row[0]] for row in rows],
        )
    conn.execute(
        """
        create table item_dictionaries (
          id integer primary key autoincrement,
          source_id integer not null references sources(id),
          size integer not null,
          data blob not null
        )
        """
    )
    conn.execute("create index item_dictionaries_source on item_dictionaries (source_id)")
    # The rows alive at the newest version are found by source (and incident): their slots
    # in the index were a second copy of every slot for nothing.
    conn.execute("drop index update_items_open")
    conn.execute("create index update_items_open on update_items (source_id, incident_slot, until)")
    conn.execute("drop index incident_items_open")
    conn.execute("create index incident_items_open on incident_items (source_id, until)")
    for table in ("incident_items", "update_items", "layouts"):
        conn.execute(f"alter table {table} add column dictionary_id integer")
    conn.execute("alter table update_items add column wordings text")
    conn.execute(
        """
        update update_items set wordings = (
          select json_group_array(f.value) from json_each(update_items.data, '$.fields') f
          where f.type = 'integer'
        )
        where exists (
          select 1 from json_each(update_items.data, '$.fields') f where f.type = 'integer'
        )
        """
    )


# From m014 an edit's incident title is inline (short) or a `wordings` id, as old and new are.
_TITLE = wordings.text_sql("edits.incident_title", "edits.incident_title_id")
READABLE_TITLED = READABLE_COMPACT.replace("edits.incident_title,", f"{_TITLE} as incident_title,")
ATOM_TITLED = ATOM_COMPACT.replace("coalesce(edits.incident_title, '')", f"coalesce({_TITLE}, '')")


@migrations()
def m014_edit_titles(db: sqlite_utils.Database) -> None:
    """An edit's incident title stored once in `wordings` when long, as its old and new texts
    are: every edit of an incident repeated it. The views read it back; only derived tables
    change."""
    conn = db.conn
    conn.execute("alter table edits add column incident_title_id integer")
    rows = conn.execute(
        "select id, incident_title from edits where length(incident_title) >= ?",
        [wordings.INLINE],
    ).fetchall()
    for edit_id, title in rows:
        conn.execute(
            "update edits set incident_title = null, incident_title_id = ? where id = ?",
            [wordings.ref_id(conn, title), edit_id],
        )
    db.create_view("edits_readable", READABLE_TITLED, replace=True)
    db.create_view("edits_atom", ATOM_TITLED, replace=True)


# From m015 a wording's first and last sighting are read off the versions it names: the
# first version's first_seen, the last version's last_seen.
UPDATE_VERSIONS_SEEN = """
    select uw.id, uw.source_id, uw.incident_key, uw.update_key, w.text,
      lower(hex(w.hash)) as text_hash, uw.posted_at, uw.status, first.first_seen,
      last.last_seen, uw.first_snapshot, uw.last_snapshot, uw.open, uw.wording_id
    from update_wordings uw join wordings w on w.id = uw.wording_id
      left join snapshots first on first.id = uw.first_snapshot
      left join snapshots last on last.id = uw.last_snapshot
"""


@migrations()
def m015_wordings_seen(db: sqlite_utils.Database) -> None:
    """A wording's `first_seen` and `last_seen` read off its first and last version instead
    of being a copy of their times on every row (54 bytes of each).

    The copies agree with the versions: a wording is first written with the time of the
    version that shows it and closed with the last_seen of the version before the one that
    no longer does. The one difference is `update_versions.last_seen` of a wording the
    newest version still shows, which was the time it was last written and is now that
    version's last_seen (every reader already took the newest version's there). A search
    finds the rows of a wording by index. Only derived tables change.
    """
    conn = db.conn
    conn.execute("drop view update_versions")
    conn.execute(
        """
        create table update_wordings_seen (
          id integer primary key,
          source_id integer references sources(id),
          incident_key text,
          update_key text,
          wording_id integer not null references wordings(id),
          posted_at text,
          status text,
          first_snapshot integer references snapshots(id),
          last_snapshot integer references snapshots(id),
          open integer
        )
        """
    )
    conn.execute(
        "insert into update_wordings_seen select id, source_id, incident_key, update_key, "
        "wording_id, posted_at, status, first_snapshot, last_snapshot, open "
        "from update_wordings order by id"
    )
    conn.execute("drop table update_wordings")
    conn.execute("alter table update_wordings_seen rename to update_wordings")
    conn.execute(
        "create unique index update_wordings_update on update_wordings "
        "(source_id, incident_key, update_key, wording_id)"
    )
    conn.execute("create index update_wordings_open on update_wordings (source_id, open)")
    # A search finds wordings and then the updates that showed them: without this index each
    # wording found was a scan of every row.
    conn.execute("create index update_wordings_wording on update_wordings (wording_id)")
    conn.execute(f"create view update_versions as {UPDATE_VERSIONS_SEEN}")


@migrations()
def m016_body_bases_by_id(db: sqlite_utils.Database) -> None:
    """A delta names the body it is stored against by that row's id (`base_id`) instead of
    repeating its 64-digit SHA-256, in the row and in the index over it.

    The bodies are evidence: the table is rewritten row for row, ids kept, every byte of
    `data` as it was, with the guards lifted only while it is. A delta whose base is not in
    the database (only a change made outside status-tracker leaves one) keeps no base, and
    `verify` reports it as stored against a missing body, as it did.
    """
    conn = db.conn
    with chain.lifted(db):
        conn.execute(
            """
            create table bodies_by_id (
              id integer primary key,
              sha256 text not null unique,
              source_id integer references sources(id),
              base_id integer references bodies_by_id(id),
              depth integer not null,
              size integer not null,
              data blob not null
            )
            """
        )
        conn.execute(
            "insert into bodies_by_id (id, sha256, source_id, base_id, depth, size, data) "
            "select b.rowid, b.sha256, b.source_id, base.rowid, b.depth, b.size, b.data "
            "from bodies b left join bodies base on base.sha256 = b.base order by b.rowid"
        )
        conn.execute("drop table bodies")
        conn.execute("alter table bodies_by_id rename to bodies")
        conn.execute("create index bodies_source on bodies (source_id)")
        conn.execute("create index bodies_base on bodies (base_id)")


def newer_schema(db: sqlite_utils.Database) -> list[str]:
    """The migrations applied to `db` that this release does not have: written by a newer one."""
    known = {m.name for m in migrations._migrations}  # where sqlite-utils keeps those registered
    return [m.name for m in migrations.applied(db) if m.name not in known]
