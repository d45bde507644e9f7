"""Edit events as flat rows, and those rows as JSON or CSV for spreadsheets and notebooks."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from typing import Any

from tracker.models import EditRecord
from tracker.publish.records import EDIT_COLUMNS, edit_json
from tracker.text import marked_diff

# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SURROGATE = re.compile("[\ud800-\udfff]")


def edit_rows(records: Sequence[EditRecord]) -> list[dict[str, Any]]:
    """One flat dict per edit, in the order given, in the one edit JSON shape."""
    return [edit_json(record) for record in records]


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
