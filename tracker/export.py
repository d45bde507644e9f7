"""Edit events as flat rows, and those rows as JSON or CSV for spreadsheets and notebooks."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Sequence
from typing import Any

from tracker.models import EditRecord
from tracker.text import marked_diff

EDIT_COLUMNS = (
    "id",
    "source",
    "kind",
    "incident",
    "incident_title",
    "update",
    "field",
    "silent",
    "backdated",
    "revert",
    "flicker",
    "flags",
    "reasons",
    "score",
    "window_start",
    "window_end",
    "old",
    "new",
    "diff",
    "before_snapshot",
    "after_snapshot",
    "before_sha256",
    "after_sha256",
)
# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SURROGATE = re.compile("[\ud800-\udfff]")


def edit_rows(records: Sequence[EditRecord]) -> list[dict[str, Any]]:
    """One flat dict per edit, in the order given, with the columns of EDIT_COLUMNS."""
    rows = []
    for record in records:
        event = record.event
        score = float(event.score)
        rows.append(
            {
                "id": record.id,
                "source": record.source,
                "kind": event.kind,
                "incident": event.incident_key,
                "incident_title": event.incident_title,
                "update": event.update_key,
                "field": event.field,
                "silent": event.silent,
                "backdated": event.backdated,
                "revert": event.revert,
                "flicker": event.flicker,
                "flags": list(event.flags),
                "reasons": list(event.reasons),
                "score": score if math.isfinite(score) else None,
                "window_start": record.window_start,
                "window_end": record.window_end,
                "old": event.old,
                "new": event.new,
                "diff": [[int(op), text] for op, text in event.diff],
                "before_snapshot": record.before.snapshot_id if record.before else None,
                "after_snapshot": record.after.snapshot_id,
                "before_sha256": record.before.sha256 if record.before else None,
                "after_sha256": record.after.sha256,
            }
        )
    return rows


def export_json(rows: Sequence[dict[str, Any]]) -> str:
    """Rows as a JSON array, readable UTF-8 text that json.loads turns back into the rows."""
    text = json.dumps(list(rows), ensure_ascii=False, indent=2)
    # A lone surrogate cannot be written as UTF-8; as a \\u escape it stays valid JSON and
    # still reads back as the same string.
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if column == "diff" and isinstance(value, list):
        text = marked_diff(value)
    elif column == "reasons" and isinstance(value, list):
        text = "\n".join(str(item) for item in value)
    elif isinstance(value, list | tuple):
        text = " ".join(str(item) for item in value)
    else:
        text = str(value)
    text = _SURROGATE.sub("\ufffd", text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_csv(rows: Sequence[dict[str, Any]]) -> str:
    """Rows as CSV (RFC 4180, header first); text cells that a spreadsheet would run as a
    formula are prefixed with a single quote, so opening the file never executes anything."""
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([_cell("", column) for column in columns or EDIT_COLUMNS])
    for row in rows:
        writer.writerow([_cell(column, row.get(column)) for column in columns])
    return buffer.getvalue()
