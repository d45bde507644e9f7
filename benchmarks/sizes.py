"""Where an archive's bytes go: the database's pages by table, read from SQLite's `dbstat`.

Each table is shown with its indexes folded in; the full-text index's shadow tables count as
"search index"; the space pages hold but no row fills is shown apart. Printed by the storage
benches so a size figure comes with what it is made of.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def table_bytes(db_path: Path) -> tuple[dict[str, int], int]:
    """({table: bytes of its pages and its indexes' pages}, bytes of pages left unfilled)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        owners = dict(conn.execute("select name, tbl_name from sqlite_schema"))
        try:
            rows = conn.execute("select name, sum(pgsize), sum(unused) from dbstat group by name")
            pages = rows.fetchall()
        except sqlite3.OperationalError:  # an SQLite built without dbstat
            return {}, 0
    grouped: dict[str, int] = {}
    unused = 0
    for name, size, free in pages:
        owner = owners.get(name, name)
        if "_fts" in owner:
            owner = "search index"
        grouped[owner] = grouped.get(owner, 0) + size
        unused += free
    return grouped, unused


def breakdown(db_path: Path, top: int = 7) -> str:
    """One line: the largest tables in MB, then the rest and the unfilled page space."""
    grouped, unused = table_bytes(db_path)
    if not grouped:
        return "(this SQLite has no dbstat: no breakdown)"
    ranked = sorted(grouped.items(), key=lambda item: -item[1])
    shown = [f"{name} {size / 1_000_000:.1f}" for name, size in ranked[:top]]
    rest = sum(size for _, size in ranked[top:])
    return (
        ", ".join(shown)
        + f", the rest {rest / 1_000_000:.1f} MB; of all this {unused / 1_000_000:.1f} MB is "
        "page space no row fills"
    )
