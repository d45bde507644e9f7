"""The second look, end to end on 127.0.0.1: a changed page is fetched again a moment later;
what differs between the two fetches is learned as the source's noise, a flap is logged, and
only a change that survives becomes a version."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from werkzeug import Request, Response

from tracker import noise
from tracker.archive import Archive
from tracker.extract import extract
from tracker.models import Document, Update

PATH = "/status"


def page(counter: int, *, edited: bool = False, resolved: bool = True) -> bytes:
    """A small status page read by the generic HTML reader, whose footer (read as the last
    update of the last incident) names the node that served it and a visitor counter."""
    words = "some users" if edited else "30 percent of users"
    state = "Resolved" if resolved else "Monitoring"
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Example Cloud status</title></head>
<body>
<h1>Example Cloud status</h1>
<h2>Email delivery delays</h2>
<p>{state} - Between 09:10 and 10:40 UTC {words} saw delayed email delivery. Queued mail
has been sent.</p>
<p>Investigating - We are investigating delays in outgoing email.</p>
<h2>API errors</h2>
<p>Resolved - The API error rate is back to normal after a faulty deploy was rolled back.</p>
<footer><p>Served by edge node {counter % 7} &middot; {880 + 53 * counter:,} visitors today
</p></footer>
</body></html>""".encode()


class Site:
    """What the server sends: a fresh counter on every request, and what the page says."""

    def __init__(self) -> None:
        self.requests = 0
        self.edited = False
        self.flap_once = False
        self.fail_at: int | None = None

    def __call__(self, request: Request) -> Response:
        self.requests += 1
        if self.requests == self.fail_at:
            return Response("upstream trouble", status=500)
        resolved = True
        if self.flap_once:  # one request gets another version, the next the usual one
            self.flap_once = False
            resolved = False
        body = page(self.requests, edited=self.edited, resolved=resolved)
        return Response(body, content_type="text/html; charset=utf-8")


def setup(tracker, httpserver) -> Site:
    site = Site()
    httpserver.expect_request(PATH).respond_with_handler(site)
    tracker("add", httpserver.url_for(PATH), "--name", "example", "--format", "html")
    return site


def versions(home: Path) -> int:
    with sqlite3.connect(home / "tracker.db") as conn:
        return int(conn.execute("select count(*) from snapshots").fetchone()[0])


def test_a_counter_in_the_footer_stores_one_version_over_ten_fetches(tracker, home, httpserver):
    site = setup(tracker, httpserver)
    for _ in range(10):
        tracker("fetch")
    assert versions(home) == 1
    assert tracker.json("changes", "--json") == []
    log = tracker.json("log", "example", "--json")
    # The second fetch found the page changed and looked again: the counter was learned.
    assert [r["outcome"] for r in log].count("new") == 1
    assert all(r["outcome"] == "unchanged" for r in log if r["outcome"] != "new")
    assert len(log) == site.requests == 11
    assert any("noise learned on the second look" in (r["detail"] or "") for r in log)
    # Every distinct body is kept as the evidence of its fetch.
    archive = Archive(home)
    assert len({r["sha256"] for r in log}) == 11
    assert all(archive.body(r["sha256"]) for r in log)
    archive.close()

    [source] = tracker.json("sources", "--json")
    patterns = [(n["place"], n["pattern"]) for n in source["noise"]]
    assert patterns == [("update text", "Served by edge node # · # visitors today")]
    assert tracker.json("show", "example", "--noise", "--json")["noise"] == source["noise"]
    assert "Served by edge node # · # visitors today" in tracker("noise", "example").output

    # A real edit next to the noise is a version, reported once.
    site.edited = True
    for _ in range(3):
        tracker("fetch")
    assert versions(home) == 2
    [change] = tracker.json("changes", "--json")
    assert change["kind"] == "update_edited" and change["silent"]
    assert "quantity_vagued" in change["flags"]
    assert "30 percent of users" in change["old"] and "some users" in change["new"]
    out = tracker("show", "example").output
    assert "some users" in out and "visitors today" in out

    # Re-reading the stored bodies masks the noise the same way (the first version too, which
    # was stored before the noise was learned).
    assert "2 versions, 1 documents changed, 0 unparseable, edits 1 -> 1" in (
        tracker("rebuild").output
    )
    assert [c["kind"] for c in tracker.json("changes", "--json")] == ["update_edited"]


def test_a_flap_is_logged_and_kept_as_evidence(tracker, home, httpserver):
    site = setup(tracker, httpserver)
    tracker("fetch")
    tracker("fetch")  # learns the counter
    site.flap_once = True
    out = tracker("fetch").output
    assert "flap" in out
    assert versions(home) == 1 and tracker.json("changes", "--json") == []
    second_look, flap, *_ = tracker.json("log", "example", "--json")
    assert flap["outcome"] == "flap" and second_look["outcome"] == "unchanged"
    assert "then the last one again" in flap["detail"]
    assert flap["snapshot"] == second_look["snapshot"]
    archive = Archive(home)
    assert b"Monitoring - Between" in archive.body(flap["sha256"])
    archive.close()
    lines = tracker("log", "example").output.splitlines()
    assert "flap" in lines[1] and "not stored as a version" in lines[1]


def test_noise_is_cleared_through_the_cli_and_learned_again(tracker, home, httpserver):
    setup(tracker, httpserver)
    tracker("fetch")
    tracker("fetch")
    assert len(tracker.json("noise", "example", "--json")["noise"]) == 1
    assert tracker("noise", "example", "--clear").output.strip() == (
        "example: forgot 1 noise signature"
    )
    assert tracker.json("sources", "--json")[0]["noise"] == []
    assert tracker("show", "example", "--noise").output.strip() == "example: no noise learned"
    tracker("fetch")
    assert len(tracker.json("noise", "example", "--json")["noise"]) == 1
    assert versions(home) == 1 and tracker.json("changes", "--json") == []
    result = tracker("noise", "nowhere", code=2)
    assert "nowhere" in result.stderr
    result = tracker("show", "example", "--noise", "--version", "1", code=2)
    assert "--noise" in result.stderr and "Traceback" not in result.output


def test_a_failed_second_look_keeps_the_change(tracker, home, httpserver):
    site = setup(tracker, httpserver)
    tracker("fetch")
    tracker("fetch")  # learns the counter (requests 2 and 3)
    site.edited = True
    site.fail_at = 5  # the second look at the edited page
    tracker("fetch", code=0)
    second_look, first, *_ = tracker.json("log", "example", "--json")
    assert second_look["error"] == "http_5xx" and first["outcome"] == "new"
    assert versions(home) == 2
    [change] = tracker.json("changes", "--json")
    assert "some users" in change["new"]


def test_confirm_delay_zero_turns_the_second_look_off(tracker, home, httpserver):
    site = setup(tracker, httpserver)
    tracker("fetch", "--confirm-delay", "0")
    tracker("fetch", "--confirm-delay", "0")
    assert site.requests == 2 and versions(home) == 2
    assert tracker.json("noise", "example", "--json")["noise"] == []


# -- what is learned, on a real payload ---------------------------------------------------------

FORMATS = Path(__file__).parent / "fixtures" / "formats"


def airbrake(**changes: str) -> Document:
    """statuspage-incidents.json with the given texts replaced (old=new pairs as kwargs)."""
    body = (FORMATS / "statuspage-incidents.json").read_text(encoding="utf-8")
    for old, new in changes.values():
        assert old in body
        body = body.replace(old, new, 1)
    return extract("statuspage", body.encode(), "application/json", {}, None)


def test_a_volatile_time_is_learned_for_its_item_only():
    stamp = "2023-03-15T07:53:20.841-07:00"
    first = airbrake()
    second = airbrake(t=(stamp, "2023-03-15T07:58:20.841-07:00"))
    [learned] = noise.learn(first, second)
    assert learned.place == "incident started_at @ 645jyxdr7qmx"
    assert learned.pattern == "#-#-#T#:#:#Z"
    masked = noise.apply(second, [learned])
    assert noise.apply(first, [learned]) == masked
    # Every other time on the page is still compared.
    others = [i.times for i in masked.incidents if i.key != "645jyxdr7qmx"]
    assert others == [i.times for i in first.incidents if i.key != "645jyxdr7qmx"]


def test_a_wording_that_differs_between_the_looks_is_not_noise():
    first = airbrake()
    second = airbrake(w=("Delay in error processing", "Delay in processing"))
    assert noise.learn(first, second) == set()


def test_a_rewritten_wording_in_a_noisy_value_is_still_a_change():
    old = "Delay in error processing"
    first = airbrake(w=(old, "Delay in error processing (served by node 3)"))
    second = airbrake(w=(old, "Delay in error processing (served by node 8)"))
    learned = noise.learn(first, second)
    assert [s.pattern for s in learned] == ["Delay in error processing (served by node #)"]
    assert noise.apply(first, learned).hash() == noise.apply(second, learned).hash()
    edited = airbrake(w=(old, "Delay in processing (served by node 5)"))
    assert noise.apply(edited, learned) == edited


def test_tokens_and_digits_are_masked_and_words_kept():
    assert noise.mask("Served by web-8f3a2b1c9d0e in 43 ms, 1,480 visitors") == (
        "Served by web-* in # ms, # visitors"
    )
    assert noise.mask("30 percent of users") == "# percent of users"
    assert noise.mask("999 visitors, 99.98% uptime") == noise.mask("1,000 visitors, 100% uptime")


def test_a_flap_is_told_from_noise_learned_on_the_same_look(tracker, home, httpserver):
    site = setup(tracker, httpserver)
    tracker("fetch")
    site.flap_once = True  # nothing learned yet: the counter moves on both looks too
    tracker("fetch")
    _, flap, _ = tracker.json("log", "example", "--json")
    assert flap["outcome"] == "flap"
    assert versions(home) == 1 and tracker.json("changes", "--json") == []
    assert len(tracker.json("noise", "example", "--json")["noise"]) == 1


def test_an_item_whose_key_moves_with_its_counter_is_one_masked_item():
    def with_banner(doc: Document, n: int) -> Document:
        first = doc.incidents[0]
        banner = Update(key=f"notice-{n}", fields={"body": f"{n} subscribers get these updates"})
        return replace(
            doc, incidents=(replace(first, updates=(banner, *first.updates)), *doc.incidents[1:])
        )

    doc = airbrake()
    a, b, c = with_banner(doc, 1480), with_banner(doc, 1533), with_banner(doc, 1601)
    [learned] = noise.learn(a, b)
    assert learned == noise.Signature("update", "# subscribers get these updates")
    assert noise.apply(a, [learned]) == noise.apply(c, [learned])
    # A new update is not a counter: it has no twin in the other look.
    added = replace(
        doc,
        incidents=(
            replace(
                doc.incidents[0],
                updates=(
                    Update(key="n1", fields={"body": "We are monitoring the fix."}),
                    *doc.incidents[0].updates,
                ),
            ),
            *doc.incidents[1:],
        ),
    )
    assert noise.learn(doc, added) == set()
