"""What the terminal shows: lines and colours for outcomes, logs, pages, edits and diffs.

Pure rendering of values the library returns; no queries and no domain rules here.
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
from typing import Any

import click

from ..edits.classify import strongest_reasons
from ..models import DELETE, EQUAL, DiffOps, EditEvent, EditRecord, Outcome, RebuildReport
from ..text import printable
from ..times import human


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
    """`[34/100] github new` on one stderr line, only when stderr is a terminal.

    The one progress line of every long command: `outcome` counts fetched sources against
    `total`; `update(done, total)` is the importers' callback (total None while unknown).
    """

    def __init__(self, enabled: bool, total: int | None = None, noun: str = "item"):
        self.enabled = enabled
        self.total = total
        self.noun = noun
        self.count = 0
        self._last = 0.0

    def outcome(self, outcome: Outcome) -> None:
        self.count += 1
        self._show(self.count, self.total, f"{outcome.source} {outcome.outcome}", force=True)

    def update(self, done: int, total: int | None) -> None:
        self.count = done
        self._show(done, total, f"{self.noun}s", force=done == total)

    def _show(self, done: int, total: int | None, label: str, force: bool) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self._last < 0.1):
            return
        self._last = now
        count = f"{done}/{total}" if total is not None else str(done)
        sys.stderr.write(f"\r\033[K[{count}] {printable(label)}")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self.count:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def log_line(row: dict[str, Any]) -> str:
    status = str(row["http_status"] or "-")
    digest = (row["sha256"] or "")[:12] or "-"
    version = f"version {row['snapshot']}" if row["snapshot"] else ""
    what = row["outcome"] if not row["error"] else f"failed: {row['error']}"
    line = f"{human(row['started_at']):<23} {what:<22} {status:>3}  {digest:<12}  {version}"
    if row["detail"]:  # why it failed, a flap, noise learned
        line += f"  ({row['detail']})"
    return printable(line.rstrip())


# -- parsing what the user typed ------------------------------------------------------------------


def use_color(no_color: bool) -> bool:
    return not no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ


# -- show -----------------------------------------------------------------------------------------


def page_text(page: dict[str, Any]) -> str:
    lines = [
        f"{page['source']} — version {page['snapshot']} ({page['format']}), "
        f"seen {human(page['first_seen'])} to {human(page['last_seen'])}",
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
            posted = human(update["posted_at"]) if update["posted_at"] else "undated"
            label = f"· {update['status']}" if update["status"] else ""
            lines.append(f"  • {posted}  {label}")
            lines.extend(
                textwrap.fill(part, 96, initial_indent="      ", subsequent_indent="      ")
                for part in update["text"].split("\n")
                if part
            )
    return printable("\n".join(lines))


# -- changes --------------------------------------------------------------------------------------


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


def _marks(e: EditEvent) -> list[str]:
    """The verdict marks of an edit, the same in `tracker changes` and `tracker diff`."""
    return [
        mark
        for mark, on in (
            ("SILENT", e.silent),
            ("BACKDATED", e.backdated),
            ("REVERT", e.revert),
            ("flicker", e.flicker),
        )
        if on
    ]


def change_text(record: EditRecord, color: bool) -> str:
    e = record.event
    marks = _marks(e)
    title = printable(e.incident_title or e.incident_key)
    what = e.kind if not e.field else f"{e.kind} ({e.field})"
    if e.count > 1:
        what += f" ×{e.count}"
    head = f"#{record.id} {printable(record.source)} · {title} · {what}"
    if marks:
        head += " · " + " ".join(marks)
    head += f" · score {e.score:g}"
    if color:
        head = click.style(head, bold=True)
    start = human(record.window_start) if record.window_start else "the first version"
    window = f"between {start} and {human(record.window_end)}"
    lines = [head, f"    {window}"]
    if e.verdict:
        lines.append(f"    {verdict_line(e)}")
    if e.diff:
        lines.append("    " + render_diff(e.diff, color).replace("\n", "\n    "))
    elif e.old or e.new:
        lines.append(f"    {printable(e.old) or '∅'} → {printable(e.new) or '∅'}")
    lines.extend(f"    {printable(reason)}" for reason in reason_lines(e))
    return "\n".join(lines) + "\n"


def verdict_line(e: EditEvent) -> str:
    """ "silent: no update …" or "announced: announced by update …"; the keys a bulk change
    touched are in `changes --json`."""
    label = "silent" if e.silent else "why"
    return printable(f"{label}: {e.verdict}")


def reason_lines(e: EditEvent) -> list[str]:
    """The three strongest reasons; `--json` keeps every one."""
    shown, left_out = strongest_reasons(e)
    lines = list(shown)
    if left_out:
        lines.append(f"(and {left_out} more reason{'s' if left_out > 1 else ''}: --json lists all)")
    return lines


# -- diff of two versions -------------------------------------------------------------------------


def comparison_text(comparison: dict[str, Any], color: bool) -> str:
    old, new = comparison["old"], comparison["new"]
    lines = [
        f"{comparison['source']}: version {old['id']} (seen {human(old['first_seen'])} to "
        f"{human(old['last_seen'])}) → version {new['id']} (first seen {human(new['first_seen'])})"
    ]
    events: list[EditEvent] = comparison["events"]
    if not events:
        lines.append("no difference in incidents or updates (only noise or order changed)")
    for e in events:
        title = printable(e.incident_title or e.incident_key)
        where = f"{title} / update {e.update_key}" if e.update_key else title
        what = e.kind if not e.field else f"{e.kind} ({e.field})"
        if e.count > 1:
            what += f" ×{e.count}"
        flags = f"  [{', '.join(e.flags)}]" if e.flags else ""
        silent = "".join(f"  {mark}" for mark in _marks(e) if mark != "flicker")
        lines.append("")
        lines.append(f"● {where}: {what}{silent}{flags}")
        if e.verdict and e.kind not in ("update_added", "incident_added"):
            lines.append(f"  {verdict_line(e)}")
        if e.diff:
            lines.append("  " + render_diff(e.diff, color, context=1000).replace("\n", "\n  "))
        else:
            lines.append(f"  {printable(e.old) or '∅'} → {printable(e.new) or '∅'}")
    return "\n".join(lines)


# -- search ---------------------------------------------------------------------------------------


def search_text(row: dict[str, Any]) -> str:
    title = row["incident_title"] or row["incident"]
    return printable(
        f"{row['source']} · {title} · update {row['update']}\n"
        f"    seen {human(row['first_seen'])} to {human(row['last_seen'])} "
        f"(versions {row['first_snapshot']}–{row['last_snapshot']})\n"
        f"    {row['snippet']}\n"
    )


def rebuild_line(r: RebuildReport) -> str:
    return (
        f"{r.source:<20} {r.snapshots} versions, {r.documents_changed} documents changed, "
        f"{r.unparseable} unparseable, edits {r.edits_before} -> {r.edits_after}"
    )
