"""Datasette's metadata.json for the archive: titles, descriptions, column notes, canned queries.

`datasette snapshots/tracker.db -m snapshots/metadata.json` then opens on what a journalist asks
first; with the datasette-atom plugin, the `edit_feed` query is an Atom feed with a real title
and a link per entry. The SQL reads the views `edits_readable` and `edits_atom` (schema m009).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..archive.home import DB_NAME
from .records import EDIT_KINDS

_EDIT_KINDS_SQL = ", ".join(f"'{kind}'" for kind in EDIT_KINDS)
FEED_TITLE = "status-tracker: edits to vendor status pages"

QUERIES: dict[str, dict[str, Any]] = {
    "silent_edits_this_week": {
        "title": "Silent edits this week",
        "description": "Published updates rewritten in the last seven days with nothing on the "
        "page telling readers so, most significant first.",
        "sql": f"""select source, incident_title, "update",
  (select group_concat(f.value, ', ') from json_each(flags) f) as flags,
  (select group_concat(r.value, char(10)) from json_each(reasons) r) as reasons,
  diff_text, window_start, window_end, link, id
from edits_readable
where silent = 1 and kind in ({_EDIT_KINDS_SQL})
  and window_end >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-7 days')
order by score desc, window_end desc""",
    },
    "every_wording_of_an_update": {
        "title": "Every wording of an update",
        "description": "Each distinct text one update has had, oldest first, with when it was "
        "first and last seen. Source, incident and update keys are in edits_readable.",
        # A wording the newest version still shows was last seen then (see archive._WORDINGS).
        "sql": """select uv.first_seen,
  case when uv.open = 1 and tip.id is not null then tip.last_seen else uv.last_seen end
    as last_seen,
  uv.text, uv.posted_at, uv.status, uv.first_snapshot,
  case when uv.open = 1 and tip.id is not null then tip.id else uv.last_snapshot end
    as last_snapshot
from update_versions uv join sources on sources.id = uv.source_id
  left join snapshots tip on tip.id = (
    select max(id) from snapshots s where s.source_id = uv.source_id and s.doc_hash is not null)
where sources.name = :source and uv.incident_key = :incident and uv.update_key = :update
order by uv.first_seen, uv.id""",
    },
    "edits_by_vendor": {
        "title": "Edits by vendor",
        "description": "How often each vendor rewrote what it had published, and how silently.",
        "sql": f"""select source, count(*) as edits, sum(silent) as silent_edits,
  round(max(score), 1) as top_score, max(window_end) as latest
from edits_readable
where kind in ({_EDIT_KINDS_SQL})
group by source
order by edits desc, source""",
    },
    "edit_feed": {
        "title": FEED_TITLE,
        "description": "The newest edits as an Atom feed: add .atom to this page's address "
        "(with the datasette-atom plugin).",
        "sql": "select atom_id, atom_title, atom_updated, atom_content, atom_link "
        "from edits_atom limit 200",
    },
}

EDIT_COLUMNS = {
    "source": "The tracked page (`tracker sources`)",
    "kind": "update_edited, update_removed, incident_removed, incident_changed, bulk_changed "
    "(update_added and incident_added are news, not edits)",
    "incident": "The incident's key on the vendor's page",
    "update": "The update's key within its incident",
    "silent": "1 when nothing on the page told readers of the change",
    "flags": "What kind of rewrite: quantity_vagued, number_changed, severity_down, ...",
    "reasons": "One line per flag, as a journalist would read it",
    "verdict": "Why it is silent, or who announced it",
    "score": "Significance: higher ranks first",
    "window_start": "Last time the old wording was seen (UTC)",
    "window_end": "First time the new wording was seen (UTC)",
    "old": "The text before",
    "new": "The text after",
    "diff_text": "Word diff: [-deleted-]{+inserted+}",
    "incident_url": "The vendor's own page for the incident, where it has one",
    "source_url": "The tracked page's URL",
    "link": "The incident's page, else the tracked page",
    "before_snapshot": "The version before (snapshots.id)",
    "after_snapshot": "The version after (snapshots.id)",
}


def metadata(base_url: str | None = None) -> dict[str, Any]:
    """metadata.json for the archive's database (named `tracker` after tracker.db)."""
    database = DB_NAME.removesuffix(".db")
    about = {"about": "status-tracker", "about_url": "https://pypi.org/project/status-tracker/"}
    if base_url:
        about |= {"source": "The report", "source_url": base_url}
    return {
        "title": "status-tracker archive",
        "description": "Every version of the tracked vendor status pages, and every edit "
        "found between them.",
        **about,
        "databases": {
            database: {
                "description": "One row per fetch, per distinct version and per edit; the raw "
                "bodies are in `bodies`, byte-exact.",
                "tables": {
                    "edits_readable": {
                        "title": "Edits, readable",
                        "description": "Every edit with its source, flags, reasons, the word "
                        "diff as text and links, most significant first.",
                        "columns": EDIT_COLUMNS,
                    },
                    "edits_atom": {
                        "title": FEED_TITLE,
                        "description": "The columns datasette-atom reads; the `edit_feed` "
                        "query serves them as a titled feed.",
                    },
                    "sources": {
                        "title": "Tracked pages",
                        "label_column": "name",
                        "columns": {"options": "select/ignore CSS, ignore_robots"},
                    },
                    "snapshots": {
                        "title": "Versions",
                        "description": "One row per distinct version of a page; sha256 is "
                        "over the exact bytes received.",
                    },
                    "fetches": {
                        "title": "Fetches",
                        "description": "Every attempt, kept forever: outcome, failure kind "
                        "(robots when robots.txt disallowed it), HTTP status.",
                        "columns": {"robots": "The robots.txt verdict it was fetched under"},
                    },
                    "update_versions": {
                        "title": "Wordings",
                        "description": "Every distinct text each update has had (full-text "
                        "search).",
                        # A view over update_wordings: its texts are searched in wordings.
                        "fts_table": "wordings_fts",
                        "fts_pk": "wording_id",
                    },
                },
                "queries": QUERIES,
            }
        },
    }


def metadata_json(base_url: str | None = None) -> bytes:
    return (json.dumps(metadata(base_url), indent=2, ensure_ascii=False) + "\n").encode()


def default_path(home: Path) -> Path:
    return home / "metadata.json"
