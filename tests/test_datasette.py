"""The archive in Datasette: metadata.json, the canned queries, the views, the titled feed."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import xml.etree.ElementTree as ET

import pytest
from test_pipeline import seed_case

from tracker.archive.schema import READABLE_WITH_VERDICTS

ATOM = "{http://www.w3.org/2005/Atom}"


def test_metadata_names_the_canned_queries(tracker, home, httpserver):
    seed_case(tracker, httpserver)
    assert tracker("datasette-metadata").output == f"wrote {home / 'metadata.json'}\n"
    meta = json.loads((home / "metadata.json").read_text("utf-8"))
    queries = meta["databases"]["tracker"]["queries"]
    titles = {q["title"] for q in queries.values()}
    assert {"Silent edits this week", "Every wording of an update", "Edits by vendor"} <= titles
    tables = meta["databases"]["tracker"]["tables"]
    assert "diff_text" in tables["edits_readable"]["columns"]
    # Every query runs on the archive as it is, parameters bound.
    with sqlite3.connect(home / "tracker.db") as conn:
        conn.row_factory = sqlite3.Row
        (edit,) = [dict(r) for r in conn.execute(queries["silent_edits_this_week"]["sql"])]
        assert (
            "[-30 percent of-]{+some+}" in edit["diff_text"] and "quantity_vagued" in edit["flags"]
        )
        readable = conn.execute("select * from edits_readable").fetchone()
        wordings = conn.execute(
            queries["every_wording_of_an_update"]["sql"],
            {"source": "apple", "incident": readable["incident"], "update": readable["update"]},
        ).fetchall()
        assert [w["text"].splitlines()[-1] for w in wordings] == [
            "30 percent of users were affected",
            "some users were affected",
        ]
        (vendor,) = conn.execute(queries["edits_by_vendor"]["sql"]).fetchall()
        assert (vendor["source"], vendor["edits"], vendor["silent_edits"]) == ("apple", 1, 1)


def test_the_views_keep_every_earlier_column_and_gain_links(tracker, home, httpserver):
    seed_case(tracker, httpserver)
    with sqlite3.connect(home / "tracker.db") as conn:
        conn.row_factory = sqlite3.Row
        earlier = [c[0] for c in conn.execute(READABLE_WITH_VERDICTS + " limit 0").description]
        now = [c[0] for c in conn.execute("select * from edits_readable limit 0").description]
        assert now[: len(earlier)] == earlier
        assert {"diff_text", "incident_url", "source_url", "link"} <= set(now)
        atom = conn.execute("select * from edits_atom").fetchone()
        assert atom["atom_link"] == httpserver.url_for(
            "/support/systemstatus/data/system_status_en_US.js"
        )
        assert "Flags: quantity_vagued" in atom["atom_content"]


def test_datasette_serves_the_queries_and_a_titled_feed(tracker, home, httpserver):
    datasette_app = pytest.importorskip("datasette.app")
    seed_case(tracker, httpserver)
    tracker("datasette-metadata")
    meta = json.loads((home / "metadata.json").read_text("utf-8"))
    ds = datasette_app.Datasette([str(home / "tracker.db")], metadata=meta)
    try:
        check_pages(ds)
    finally:
        if ds.executor is not None:  # its SQL threads would outlive the test
            ds.executor.shutdown(wait=True)


def check_pages(ds) -> None:
    def get(path: str):
        return asyncio.run(ds.client.get(path))

    page = get("/tracker")
    assert page.status_code == 200
    for title in ("Silent edits this week", "Every wording of an update", "Edits by vendor"):
        assert title in page.text
    rows = get("/tracker/silent_edits_this_week.json?_shape=array").json()
    assert [r["source"] for r in rows] == ["apple"]
    vendors = get("/tracker/edits_by_vendor.json?_shape=array").json()
    assert vendors[0]["edits"] == 1
    pytest.importorskip("datasette_atom")
    feed = get("/tracker/edit_feed.atom")
    assert feed.status_code == 200
    root = ET.fromstring(feed.content)
    assert root.findtext(f"{ATOM}title") == "status-tracker: edits to vendor status pages"
    (entry,) = root.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}link").get("href").startswith("http://")


def test_m009_keeps_every_column_the_views_had_before_it(tmp_path):
    """Whatever the migrations before m009 gave the views, m009's versions still have."""
    import re

    import sqlite_utils

    from tracker.archive import schema

    steps = [getattr(schema, n) for n in sorted(dir(schema)) if re.match(r"m\d{3}_", n)]
    index = [step.__name__ for step in steps].index("m009_nightly")
    db = sqlite_utils.Database(tmp_path / "t.db")
    for step in steps[:index]:
        step(db)

    def columns(view: str) -> list[str]:
        return [c[0] for c in db.execute(f"select * from {view} limit 0").description]

    before = {view: columns(view) for view in ("edits_readable", "edits_atom")}
    steps[index](db)
    for view, names in before.items():
        assert set(names) <= set(columns(view)), view
