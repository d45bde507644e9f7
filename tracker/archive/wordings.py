"""Texts stored once: update wordings and the before/after of edits, named by id.

A wording of an update is the same text in the item version that shows it, in the edit that
changed it and in the edit that changed it again. Each such text is one row of `wordings`,
found by its SHA-256; update items and edits name it by its id when it is long (a text
shorter than `INLINE` characters stays where it is, since a reference would cost about as
much). Every wording an update has had is a row, short or long: `update_wordings` names it,
and `wordings_fts` is the full-text index over the rows, so a text is stored once and
searched where it is stored.

An edit's word diff is stored as the length of each op when its ops rebuild the edit's old
and new texts exactly (they do when those are the normalised texts the diff was made from);
the op's text is then read back out of old or new, in Python here and in SQL by the views.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

INLINE = 48


def ref(conn: sqlite3.Connection, text: str | None) -> str | int | None:
    """The text itself when short (or None), else the id of its `wordings` row."""
    if text is None or len(text) < INLINE:
        return text
    return ref_id(conn, text)


def ref_id(conn: sqlite3.Connection, text: str) -> int:
    """The id of the `wordings` row of `text`, short or long (added when new)."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    row = conn.execute("select id from wordings where hash = ?", [digest]).fetchone()
    if row:
        return int(row[0])
    cursor = conn.execute("insert into wordings (hash, text) values (?, ?)", [digest, text])
    return int(cursor.lastrowid or 0)


def split(value: str | int | None) -> tuple[str | None, int | None]:
    """(inline text, wording id) for a column pair such as edits.old / edits.old_id."""
    return (None, value) if isinstance(value, int) else (value, None)


def texts(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = conn.execute(
        "select id, text from wordings where id in (select value from json_each(?))",
        [json.dumps(wanted)],
    )
    return {int(r[0]): r[1] for r in rows}


def stored_update(conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    """An update item's dict with each long field value replaced by its wording id."""
    fields = {name: ref(conn, value) for name, value in (data.get("fields") or {}).items()}
    return dict(data, fields=fields)


def field_ids(data: dict[str, Any]) -> list[int]:
    return [v for v in (data.get("fields") or {}).values() if isinstance(v, int)]


def read_update(data: dict[str, Any], known: dict[int, str]) -> dict[str, Any]:
    """`stored_update` undone, given the texts of the wording ids it names."""
    fields = data.get("fields") or {}
    if not any(isinstance(v, int) for v in fields.values()):
        return data
    return dict(data, fields={k: known[v] if isinstance(v, int) else v for k, v in fields.items()})


def compact_diff(ops: Sequence[Sequence[Any]], old: str | None, new: str | None) -> str:
    """The diff as stored: op lengths when the ops rebuild old and new exactly, else the ops."""
    full = [[int(op), text] for op, text in ops]
    before, after = old or "", new or ""
    # SQLite's text functions stop at NUL: such texts keep their ops whole.
    if full and "\x00" not in before + after:
        rebuilt_old = "".join(text for op, text in full if op <= 0)
        rebuilt_new = "".join(text for op, text in full if op >= 0)
        if rebuilt_old == before and rebuilt_new == after:
            return json.dumps([[op, len(text)] for op, text in full])
    return json.dumps(full, ensure_ascii=False)


def expand_diff(
    stored: str | None, old: str | None, new: str | None
) -> tuple[tuple[int, str], ...]:
    """`compact_diff` undone: the diff's (op, text) values."""
    out: list[tuple[int, str]] = []
    before, after = old or "", new or ""
    i = j = 0
    for op, value in json.loads(stored or "[]"):
        op = int(op)
        if isinstance(value, str):
            out.append((op, value))
            continue
        if op > 0:
            out.append((op, after[j : j + value]))
            j += value
            continue
        out.append((op, before[i : i + value]))
        i += value
        if op == 0:
            j += value
    return tuple(out)


def text_sql(inline: str, ref_id: str) -> str:
    """SQL for a column pair's text (inline, else the wording it names)."""
    return f"coalesce({inline}, (select text from wordings where wordings.id = {ref_id}))"


def diff_text_sql(diff: str, old: str, new: str) -> str:
    """SQL for the word diff as wdiff-style text ([-old-]{+new+}), as `tracker diff` prints
    it without colour, from a stored diff column and the SQL of the edit's old and new texts.
    """
    is_length = "json_type(op.value, '$[1]') = 'integer'"
    op_of, value_of = "json_extract(op.value, '$[0]')", "json_extract(op.value, '$[1]')"
    return f"""(
      select group_concat(
        case d.o when -1 then '[-' || d.t || '-]' when 1 then '{{+' || d.t || '+}}'
          else d.t end, '')
      from (
        select p.k, p.o, case when p.n is null then p.v
            when p.o = 1 then substr({new}, p.j - p.n + 1, p.n)
            else substr({old}, p.i - p.n + 1, p.n) end as t
        from (
          select op.key as k, {op_of} as o, {value_of} as v,
            case when {is_length} then {value_of} end as n,
            sum(case when {is_length} and {op_of} <= 0 then {value_of} else 0 end)
              over (order by op.key) as i,
            sum(case when {is_length} and {op_of} >= 0 then {value_of} else 0 end)
              over (order by op.key) as j
          from json_each(coalesce({diff}, '[]')) op
        ) p order by p.k
      ) d
    )"""


def drop_unused(conn: sqlite3.Connection) -> None:
    """Delete wordings no update item and no edit names any more."""
    conn.execute(
        """
        delete from wordings where id not in (
          select old_id from edits where old_id is not null
          union select new_id from edits where new_id is not null
          union select incident_title_id from edits where incident_title_id is not null
          union select wording_id from update_wordings
          union select w.value from update_items, json_each(update_items.wordings) w
            where update_items.wordings is not null
        )
        """
    )
