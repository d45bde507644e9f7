"""What the nightly job keeps between runs: notification targets and what each was sent,
robots.txt per origin, and how many runs in a row each source has failed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import UsageError
from . import Archive


def notify_targets(archive: Archive) -> list[dict[str, Any]]:
    return [dict(row) for row in archive.db.query("select * from notify_targets order by id")]


def add_notify_target(
    archive: Archive,
    url: str,
    *,
    min_score: float | None,
    silent_only: bool,
    source: str | None,
    when: str,
) -> tuple[dict[str, Any], bool]:
    """The target with these settings, added unless it is there already (then False)."""
    for row in notify_targets(archive):
        if (row["url"], row["min_score"], bool(row["silent_only"]), row["source"]) == (
            url,
            min_score,
            silent_only,
            source,
        ):
            return row, False
    with archive.transaction():
        archive.db.execute(
            "insert into notify_targets (url, min_score, silent_only, source, added_at) "
            "values (?, ?, ?, ?, ?)",
            [url, min_score, int(silent_only), source, when],
        )
    return notify_targets(archive)[-1], True


def remove_notify_target(archive: Archive, target_id: int) -> dict[str, Any]:
    rows = [row for row in notify_targets(archive) if row["id"] == target_id]
    if not rows:
        raise UsageError(
            f"no notification target {target_id}; `tracker notify list` shows their numbers"
        )
    with archive.transaction():
        archive.db.execute("delete from notify_sent where target_id = ?", [target_id])
        archive.db.execute("delete from notify_targets where id = ?", [target_id])
    return rows[0]


def sent_entries(archive: Archive, target_id: int) -> set[str]:
    rows = archive.db.query("select entry_id from notify_sent where target_id = ?", [target_id])
    return {row["entry_id"] for row in rows}


def mark_sent(archive: Archive, target_id: int, entry_ids: Iterable[str], when: str) -> None:
    with archive.transaction():
        archive.db.conn.executemany(
            "insert or ignore into notify_sent (target_id, entry_id, sent_at) values (?, ?, ?)",
            [(target_id, entry, when) for entry in entry_ids],
        )


def robots_row(archive: Archive, origin: str) -> dict[str, Any] | None:
    rows = list(archive.db.query("select * from robots where origin = ?", [origin]))
    return dict(rows[0]) if rows else None


def save_robots(archive: Archive, row: dict[str, Any]) -> None:
    with archive.transaction():
        archive.db.execute(
            "insert into robots (origin, fetched_at, status, body, error) values (?, ?, ?, ?, ?) "
            "on conflict (origin) do update set fetched_at = excluded.fetched_at, "
            "status = excluded.status, body = excluded.body, error = excluded.error",
            [row["origin"], row["fetched_at"], row["status"], row["body"], row["error"]],
        )


def failure_streaks(archive: Archive, names: Iterable[str]) -> dict[str, int]:
    """How many live fetches in a row, up to the newest, each named source has failed."""
    streaks = {}
    for name in names:
        source_id = archive.source_id(name)
        row = next(
            archive.db.query(
                """
                select count(*) as n from fetches
                where source_id = :s and origin = 'live' and outcome = 'failed' and id > coalesce(
                  (select max(id) from fetches
                   where source_id = :s and origin = 'live' and outcome != 'failed'), 0)
                """,
                {"s": source_id},
            )
        )
        streaks[name] = int(row["n"])
    return streaks


def unset_setting(archive: Archive, key: str) -> None:
    with archive.transaction():
        archive.db.execute("delete from settings where key = ?", [key])
