"""What the CLI prints: rows and lines built from archive queries. No domain rules here."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import click

from .archive import Archive
from .edits import detect
from .errors import UsageError
from .models import DELETE, EQUAL, DiffOps, EditEvent, EditRecord, Incident
from .pipeline import Outcome
from .text import printable


def human_bytes(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def outcome_line(outcome: Outcome) -> str:
    status = str(outcome.http_status or "-")
    if outcome.outcome == "failed":
        return printable(f"{outcome.source:<20} failed       {outcome.error}: {outcome.detail}")
    parts = [f"{outcome.source:<20} {outcome.outcome:<12} {status:>3}"]
    parts.append(f"{human_bytes(outcome.bytes):>9}")
    if outcome.snapshot_id:
        parts.append(f"version {outcome.snapshot_id}")
    if outcome.edits:
        parts.append(f"{outcome.edits} edit{'s' if outcome.edits != 1 else ''}")
    parts.append(f"{outcome.elapsed:.2f}s")
    return "  ".join(parts)


class Progress:
    """`[3/32] github new` on one stderr line, only when stderr is a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.count = 0

    def update(self, outcome: Outcome) -> None:
        self.count += 1
        if self.enabled:
            sys.stderr.write(f"\r\033[K[{self.count}] {outcome.source} {outcome.outcome}")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self.count:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def log_rows(archive: Archive, name: str, limit: int | None) -> list[dict[str, Any]]:
    return [
        {
            "id": row["id"],
            "started_at": row["started_at"],
            "finished_at": row["finished_at"],
            "outcome": row["outcome"],
            "error": row["error"],
            "detail": row["detail"],
            "http_status": row["http_status"],
            "url": row["url"],
            "final_url": row["final_url"],
            "bytes": row["bytes"],
            "sha256": row["sha256"],
            "snapshot": row["snapshot_id"],
            "origin": row["origin"],
            "reference": row["reference"],
        }
        for row in archive.fetches(name, limit)
    ]


def log_line(row: dict[str, Any]) -> str:
    status = str(row["http_status"] or "-")
    digest = (row["sha256"] or "")[:12] or "-"
    version = f"version {row['snapshot']}" if row["snapshot"] else ""
    what = row["outcome"] if not row["error"] else f"failed: {row['error']}"
    line = f"{when(row['started_at']):<23} {what:<22} {status:>3}  {digest:<12}  {version}"
    if row["error"] and row["detail"]:
        line += f"  ({row['detail']})"
    return printable(line.rstrip())


def source_rows(archive: Archive) -> list[dict[str, Any]]:
    rows = []
    for source in archive.sources():
        snapshots = archive.snapshots(source.name)
        fetches = archive.fetches(source.name, 1)
        rows.append(
            {
                "name": source.name,
                "url": source.url,
                "format": source.format,
                "options": source.options,
                "added_at": source.added_at,
                "versions": len(snapshots),
                "last_fetch": fetches[0]["started_at"] if fetches else None,
                "last_outcome": fetches[0]["outcome"] if fetches else None,
            }
        )
    return rows


# -- parsing what the user typed ------------------------------------------------------------------


def parse_when(value: str) -> str:
    """`2026-11-20`, `2026-11-20T14:05`, `...Z` or with an offset → UTC ISO 8601 text."""
    text = value.strip().replace(" ", "T")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise UsageError(
            f"cannot read the time {value!r}: use ISO 8601, e.g. 2026-11-20 or 2026-11-20T14:05Z"
        ) from exc
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def when(value: str | None) -> str:
    """`2026-11-23T13:41:34.749308Z` → `2026-11-23 13:41:34 UTC`, for people to read."""
    if not value:
        return "?"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def use_color(no_color: bool) -> bool:
    return not no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ


# -- show -----------------------------------------------------------------------------------------


def page_view(
    archive: Archive, name: str, *, at: str | None = None, version: int | None = None
) -> dict[str, Any]:
    """The page as it was: the JSON of `tracker show --json`."""
    source = archive.get_source_any(name)
    row: dict[str, Any] | None
    if version is not None:
        row = archive.snapshot(version)
        if row["source_id"] != source["id"]:
            raise UsageError(f"version {version} belongs to another source, not {name!r}")
    elif at:
        row = archive.snapshot_at(name, parse_when(at))
        if row is None:
            raise UsageError(f"{name} has no version seen at or before {at}")
    else:
        rows = archive.latest_snapshots(name, 1)
        if not rows:
            raise UsageError(f"{name} has no stored version yet: run `tracker fetch {name}`")
        row = rows[0]
    document = archive.document(row)
    return {
        "source": name,
        "url": source["url"],
        "format": document.format if document else source["format"],
        "snapshot": row["id"],
        "sha256": row["sha256"],
        "first_seen": row["first_seen"],
        "last_seen": row["last_seen"],
        "origin": row["origin"],
        "reference": row["reference"],
        "page": document.page if document else {},
        "incidents": [_incident_json(i) for i in document.incidents] if document else [],
    }


def _incident_json(incident: Incident) -> dict[str, Any]:
    data = incident.to_dict()
    data["updates"] = [{**u.to_dict(), "text": u.text} for u in incident.updates]
    return data


def page_text(page: dict[str, Any]) -> str:
    lines = [
        f"{page['source']} — version {page['snapshot']} ({page['format']}), "
        f"seen {when(page['first_seen'])} to {when(page['last_seen'])}",
        f"{page['url']}",
    ]
    status = page["page"].get("status") if page["page"] else None
    if status:
        lines.append(f"page status: {status}")
    if not page["incidents"]:
        lines.append("\nno incidents on the page")
    for incident in page["incidents"]:
        header = " · ".join(
            x
            for x in (incident["status"], incident["impact"] and f"impact {incident['impact']}")
            if x
        )
        lines.append("")
        lines.append(f"■ {incident['title'] or incident['key']}  [{incident['key']}]")
        if header:
            lines.append(f"  {header}")
        for update in incident["updates"]:
            posted = when(update["posted_at"]) if update["posted_at"] else "undated"
            label = f"· {update['status']}" if update["status"] else ""
            lines.append(f"  • {posted}  {label}")
            lines.extend(
                textwrap.fill(part, 96, initial_indent="      ", subsequent_indent="      ")
                for part in update["text"].split("\n")
                if part
            )
    return printable("\n".join(lines))


# -- changes --------------------------------------------------------------------------------------


def change_json(record: EditRecord) -> dict[str, Any]:
    e = record.event
    return {
        "id": record.id,
        "source": record.source,
        "kind": e.kind,
        "incident": e.incident_key,
        "incident_title": e.incident_title,
        "update": e.update_key,
        "field": e.field,
        "silent": e.silent,
        "backdated": e.backdated,
        "revert": e.revert,
        "flicker": e.flicker,
        "flags": list(e.flags),
        "reasons": list(e.reasons),
        "score": e.score,
        "posted_at": e.posted_at,
        "window_start": record.window_start,
        "window_end": record.window_end,
        "old": e.old,
        "new": e.new,
        "diff": [[op, text] for op, text in e.diff],
        "before_snapshot": record.before.snapshot_id if record.before else None,
        "after_snapshot": record.after.snapshot_id,
    }


def render_diff(diff: DiffOps, color: bool, context: int = 12) -> str:
    """The changed words with a few words of context around them; colour or [-x-]{+y+} marks."""
    pieces: list[str] = []
    last = len(diff) - 1
    for index, (op, text) in enumerate(diff):
        if op == EQUAL:
            pieces.append(
                _trim_equal(printable(text), context, first=index == 0, final=index == last)
            )
        elif color:
            if op == DELETE:
                pieces.append(click.style(printable(text), fg="red", strikethrough=True))
            else:
                pieces.append(click.style(printable(text), fg="green", underline=True))
        else:
            pieces.append(f"[-{printable(text)}-]" if op == DELETE else f"{{+{printable(text)}+}}")
    return "".join(pieces)


def _trim_equal(text: str, context: int, *, first: bool, final: bool) -> str:
    words = text.split(" ")
    if len(words) <= context * 2 + 1:
        return text
    if first:
        return "… " + " ".join(words[-context:])
    if final:
        return " ".join(words[:context]) + " …"
    return " ".join(words[:context]) + " … " + " ".join(words[-context:])


def change_text(record: EditRecord, color: bool) -> str:
    e = record.event
    marks = [
        m
        for m, on in (
            ("SILENT", e.silent),
            ("BACKDATED", e.backdated),
            ("REVERT", e.revert),
            ("flicker", e.flicker),
        )
        if on
    ]
    title = printable(e.incident_title or e.incident_key)
    what = e.kind if not e.field else f"{e.kind} ({e.field})"
    head = f"#{record.id} {printable(record.source)} · {title} · {what}"
    if marks:
        head += " · " + " ".join(marks)
    head += f" · score {e.score:g}"
    if color:
        head = click.style(head, bold=True)
    start = when(record.window_start) if record.window_start else "the first version"
    window = f"between {start} and {when(record.window_end)}"
    lines = [head, f"    {window}"]
    if e.diff:
        lines.append("    " + render_diff(e.diff, color).replace("\n", "\n    "))
    elif e.old or e.new:
        lines.append(f"    {printable(e.old) or '∅'} → {printable(e.new) or '∅'}")
    lines.extend(f"    {printable(reason)}" for reason in e.reasons)
    return "\n".join(lines) + "\n"


# -- diff of two versions -------------------------------------------------------------------------


def compare_versions(archive: Archive, name: str, a: int | None, b: int | None) -> dict[str, Any]:
    if a is None or b is None:
        rows = archive.latest_snapshots(name, 2)
        if len(rows) < 2:
            raise UsageError(f"{name} has fewer than two versions; nothing to compare yet")
        new_row, old_row = rows[0], rows[1]
        if a is not None:
            old_row = archive.snapshot(a)
    else:
        old_row, new_row = archive.snapshot(a), archive.snapshot(b)
    source_id = archive.source_id(name)
    for row in (old_row, new_row):
        if row["source_id"] != source_id:
            raise UsageError(f"version {row['id']} belongs to another source, not {name!r}")
    old, new = archive.document(old_row), archive.document(new_row)
    if old is None or new is None:
        raise UsageError("one of these versions could not be read; run `tracker rebuild`")
    events = detect(old, new, previous_seen_at=old_row["last_seen"])
    return {"source": name, "old": old_row, "new": new_row, "events": events}


def comparison_text(comparison: dict[str, Any], color: bool) -> str:
    old, new = comparison["old"], comparison["new"]
    lines = [
        f"{comparison['source']}: version {old['id']} (seen {when(old['first_seen'])} to "
        f"{when(old['last_seen'])}) → version {new['id']} (first seen {when(new['first_seen'])})"
    ]
    events: list[EditEvent] = comparison["events"]
    if not events:
        lines.append("no difference in incidents or updates (only noise or order changed)")
    for e in events:
        title = printable(e.incident_title or e.incident_key)
        where = f"{title} / update {e.update_key}" if e.update_key else title
        what = e.kind if not e.field else f"{e.kind} ({e.field})"
        flags = f"  [{', '.join(e.flags)}]" if e.flags else ""
        silent = "  SILENT" if e.silent else ""
        lines.append("")
        lines.append(f"● {where}: {what}{silent}{flags}")
        if e.diff:
            lines.append("  " + render_diff(e.diff, color, context=1000).replace("\n", "\n  "))
        else:
            lines.append(f"  {printable(e.old) or '∅'} → {printable(e.new) or '∅'}")
    return "\n".join(lines)


# -- search ---------------------------------------------------------------------------------------


def search_rows(archive: Archive, query: str, sources: Iterable[str]) -> list[dict[str, Any]]:
    return [
        {
            "source": row["source"],
            "incident": row["incident_key"],
            "incident_title": row["incident_title"],
            "update": row["update_key"],
            "posted_at": row["posted_at"],
            "status": row["status"],
            "text": row["text"],
            "snippet": row["snippet"],
            "first_seen": row["first_seen"],
            "last_seen": row["last_seen"],
            "first_snapshot": row["first_snapshot"],
            "last_snapshot": row["last_snapshot"],
        }
        for row in archive.search(query, sources)
    ]


def search_text(row: dict[str, Any]) -> str:
    title = row["incident_title"] or row["incident"]
    return printable(
        f"{row['source']} · {title} · update {row['update']}\n"
        f"    seen {when(row['first_seen'])} to {when(row['last_seen'])} "
        f"(versions {row['first_snapshot']}–{row['last_snapshot']})\n"
        f"    {row['snippet']}\n"
    )
