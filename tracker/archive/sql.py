"""One row written with one statement: the archive's hot inserts, without sqlite-utils' table
introspection and query building on every call (a fetch is recorded thousands of times in an
import). Values are stored as sqlite-utils would store them: a dict, list or tuple as JSON.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any


def insert(conn: sqlite3.Connection, table: str, row: Mapping[str, Any]) -> int:
    """Insert `row` (column names are the archive's own, never user input); its rowid."""
    columns = tuple(row)
    cursor = conn.execute(_statement(table, columns), [_value(row[c]) for c in columns])
    return int(cursor.lastrowid or 0)


def insert_many(conn: sqlite3.Connection, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
    for row in rows:
        insert(conn, table, row)


@lru_cache(maxsize=256)
def _statement(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    return f'insert into "{table}" ({names}) values ({marks})'


def _value(value: Any) -> Any:
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, default=repr, ensure_ascii=False)
    return value


def rows(conn: sqlite3.Connection, statement: str, params: Any = ()) -> list[dict[str, Any]]:
    """The rows a query returns, as dicts: sqlite-utils' `query` without its per-call work."""
    cursor = conn.execute(statement, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
