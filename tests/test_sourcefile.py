"""Sources files: `tracker sources --export` and `tracker add --from` (TOML, OPML)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

TOML = """\
# what we track
[[source]]
name = "apple"

[[source]]
name = "example"
url = "https://status.example.com/"
format = "html"
select = "main"
ignore = [".uptime", "#footer"]
ignore_robots = true

[[source]]
url = "https://other.example.org/api/v2/incidents.json"
format = "statuspage"
"""


def write(tmp_path: Path, text: str, name: str = "tracker.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_a_toml_file_adds_every_source_once_and_exports_back(tracker, tmp_path):
    path = write(tmp_path, TOML)
    assert tracker("add", "--from", str(path)).output == f"added 3 sources from {path}\n"
    listed = {s["name"]: s for s in tracker.json("sources", "--json")}
    assert set(listed) == {"apple", "example", "other-example-org"}
    assert listed["example"]["format"] == "html"
    again = tracker("add", "--from", str(path)).output
    assert again == f"added 0 sources from {path}, 3 already tracked\n"
    exported = tracker("sources", "--export").output
    assert 'ignore = [".uptime", "#footer"]' in exported and "ignore_robots = true" in exported
    copy = tmp_path / "copy"
    copy.mkdir()
    from conftest import Tracker

    other = Tracker(copy)
    other("add", "--from", str(write(tmp_path, exported, "exported.toml")))
    assert other("sources", "--export").output == exported


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[source]]\nname = "apple"\n\n[[source]]\nurl = "ftp://x"\n', "line 4 (source ftp://x)"),
        ('[[source]]\nurl = "https://a.example/"\ncolour = 1\n', "unknown key 'colour'"),
        ('[[source]]\nname = "apple"\n[[source]]\nname = "apple"\n', "used already on line 1"),
        ("[[source]\nname = 1\n", "is not valid TOML"),
        ('[sources]\nname = "x"\n', "unknown table 'sources'"),
        ('[[source]]\nformat = "html"\n', "needs a url"),
        ('[[source]]\nurl = "https://a.example/"\nformat = "pdf"\n', "unknown format 'pdf'"),
    ],
)
def test_bad_entries_are_named_with_their_line_and_add_nothing(tracker, tmp_path, text, message):
    path = write(tmp_path, text)
    result = tracker("add", "--from", str(path), code=2)
    assert message in result.stderr and str(path) in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert tracker.json("sources", "--json") == []


def test_a_listed_name_tracked_with_another_url_is_refused(tracker, tmp_path):
    tracker("add", "https://a.example/status", "--name", "vendor", "--format", "html")
    path = write(tmp_path, '[[source]]\nname = "vendor"\nurl = "https://b.example/"\n')
    assert "line 1 (source vendor)" in tracker("add", "--from", str(path), code=2).stderr


def test_an_opml_list_of_feeds(tracker, tmp_path):
    opml = """<?xml version="1.0"?>
<opml version="2.0"><head><title>Status feeds</title></head><body>
  <outline text="Vendors">
    <outline type="rss" text="GitHub Status" xmlUrl="https://www.githubstatus.com/history.atom"/>
    <outline type="rss" text="GitHub Status" xmlUrl="https://www.githubstatus.com/history.rss"/>
    <outline type="rss" title="Slack" xmlUrl="https://slack-status.com/feed/rss"/>
  </outline>
</body></opml>"""
    path = write(tmp_path, opml, "feeds.opml")
    tracker("add", "--from", str(path))
    listed = {s["name"]: s["format"] for s in tracker.json("sources", "--json")}
    assert listed == {"github-status": "feed", "github-status-2": "feed", "slack": "feed"}
    bad = write(tmp_path, "<opml><body><outline text='x'/></body></opml>", "empty.opml")
    assert "no <outline xmlUrl" in tracker("add", "--from", str(bad), code=2).stderr


def test_notification_targets_travel_in_the_file(tracker, tmp_path):
    pytest.importorskip("apprise")
    text = TOML + '\n[[notify]]\nurl = "json://127.0.0.1:9/hook"\nmin_score = 2\nsource = "apple"\n'
    tracker("add", "--from", str(write(tmp_path, text)))
    (target,) = tracker.json("notify", "list", "--json")
    assert (target["min_score"], target["source"]) == (2.0, "apple")
    assert "[[notify]]" in tracker("sources", "--export").output
    tracker("add", "--from", str(write(tmp_path, text)))
    assert len(tracker.json("notify", "list", "--json")) == 1
    bad = text.replace('source = "apple"', 'source = "nope"')
    assert (
        "no source named 'nope'"
        in tracker("add", "--from", str(write(tmp_path, bad)), code=2).stderr
    )


def test_a_hundred_sources_in_one_process(tracker, tmp_path):
    entries = [
        f'[[source]]\nname = "vendor-{i}"\nurl = "https://status{i}.example.com/api/v2/incidents.json"\n'
        f'format = "statuspage"\n'
        for i in range(100)
    ]
    path = write(tmp_path, "\n".join(entries))
    started = time.monotonic()
    tracker("add", "--from", str(path))
    elapsed = time.monotonic() - started
    assert len(tracker.json("sources", "--json")) == 100
    print(f"100 sources added in {elapsed:.2f}s")  # measured, not asserted
