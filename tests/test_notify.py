"""Notifications through apprise: a local JSON webhook receives one message per run."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from test_pipeline import apple_payload
from werkzeug import Request, Response

pytest.importorskip("apprise")

PATH = "/support/systemstatus/data/system_status_en_US.js"
BASE = "https://news.example.org/status/"


class Vendor:
    """Apple's page with a wording we change, and a webhook that records what it receives."""

    def __init__(self, httpserver):
        self.users = "30 percent of users were affected"
        self.received: list[dict] = []
        self.hook_status = 200
        httpserver.expect_request(PATH).respond_with_handler(self.page)
        httpserver.expect_request("/hook", method="POST").respond_with_handler(self.hook)
        self.hook_url = f"json://127.0.0.1:{httpserver.port}/hook"
        self.page_url = httpserver.url_for(PATH)

    def page(self, request: Request) -> Response:
        return Response(apple_payload(self.users), content_type="application/javascript")

    def hook(self, request: Request) -> Response:
        self.received.append(json.loads(request.get_data()))
        return Response("{}", status=self.hook_status, content_type="application/json")


@pytest.fixture
def vendor(tracker, httpserver):
    vendor = Vendor(httpserver)
    tracker("add", vendor.page_url, "--name", "apple", "--format", "apple")
    return vendor


def test_one_message_per_run_with_the_edit_and_never_twice(tracker, vendor):
    assert "added 1: json://127.0.0.1" in tracker("notify", "add", vendor.hook_url).output
    tracker("config", "base-url", BASE)
    tracker("fetch")
    assert vendor.received == []  # a first version has no edits
    vendor.users = "some users were affected"
    tracker("fetch")
    (message,) = vendor.received
    assert message["title"] == "status-tracker: 1 new edit (apple)"
    body = message["message"]
    assert "apple: silent edit to iMessage" in body
    assert "Vendor: apple" in body and "Incident: iMessage" in body
    assert "Word diff:\nUsers were unable to send or receive iMessages.\n" in body
    assert "\n[-30 percent of-]{+some+} users were affected\n" in body
    assert "Flags: " in body and "quantity_vagued" in body
    assert '- quantity_vagued: "30 percent of users" became "some users"' in body
    (edit,) = tracker.json("changes", "--json")
    assert f"Link: {BASE}incidents/apple-" in body and f".html#edit-{edit['id']}" in body
    tracker("fetch")
    tracker("run", "-q")
    assert len(vendor.received) == 1  # the same edit is never sent twice


def test_a_failed_delivery_does_not_fail_the_fetch_and_is_sent_later(tracker, vendor):
    tracker("notify", "add", vendor.hook_url)
    tracker("fetch")
    vendor.users = "some users were affected"
    vendor.hook_status = 500
    result = tracker("fetch", "-q")
    assert result.exit_code == 0 and "SILENT" in result.stdout  # -q still shows the edit
    (line,) = result.stderr.splitlines()
    assert line.startswith("tracker: notification to 1: json://127.0.0.1")
    assert "failed" in line and "sent again at the next run" in line
    vendor.hook_status = 200
    tracker("fetch", "-q")
    assert len(vendor.received) == 2
    assert "[-30 percent of-]{+some+}" in vendor.received[-1]["message"]
    tracker("fetch", "-q")
    assert len(vendor.received) == 2


def test_filters_choose_which_edits_a_target_gets(tracker, vendor):
    tracker("notify", "add", vendor.hook_url + "?high", "--min-score", "1000")
    tracker("notify", "add", vendor.hook_url, "--silent-only", "--source", "apple")
    assert (
        "already there"
        in tracker("notify", "add", vendor.hook_url, "--silent-only", "--source", "apple").output
    )
    listed = tracker.json("notify", "list", "--json")
    assert [(t["min_score"], t["silent_only"], t["source"]) for t in listed] == [
        (1000.0, False, None),
        (None, True, "apple"),
    ]
    tracker("fetch")
    vendor.users = "some users were affected"
    tracker("fetch")
    assert len(vendor.received) == 1  # only the silent-only target: the edit scores < 1000
    result = tracker("notify", "add", vendor.hook_url, "--source", "nope", code=2)
    assert "no source named 'nope'" in result.stderr


def test_list_remove_and_test(tracker, vendor):
    assert "no notification targets" in tracker("notify", "list").output
    assert "no notification target to test" in tracker("notify", "test", code=2).stderr
    tracker("notify", "add", vendor.hook_url)
    tracker("notify", "test")
    assert vendor.received[-1]["title"] == "status-tracker: test"
    vendor.hook_status = 503
    (line,) = tracker("notify", "test", "1", code=1).stderr.splitlines()
    assert line.startswith("tracker: notification to 1: json://127.0.0.1:")
    assert "failed: " in line and "503" in line and " - WARNING - " not in line
    assert "removed 1: json://127.0.0.1" in tracker("notify", "remove", "1").output
    assert "no notification target 1" in tracker("notify", "remove", "1", code=2).stderr
    result = tracker("notify", "add", "nonsense://what", code=2)
    assert "apprise does not understand" in result.stderr


def test_secrets_in_target_urls_are_not_printed(tracker, vendor):
    result = tracker("notify", "add", "mailto://user:hunter2@example.com")
    assert "hunter2" not in result.output
    assert "hunter2" not in tracker("notify", "list").output


WITHOUT_APPRISE = (
    "import sys; sys.modules['apprise'] = None; from tracker.cli import main; "
    "sys.argv = ['tracker', *sys.argv[1:]]; main()"
)


def without_apprise(home, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", WITHOUT_APPRISE, "--home", str(home), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_without_apprise_notify_says_how_to_install_it(home):
    assert without_apprise(home, "sources").returncode == 0
    for args in (["list"], ["add", "json://127.0.0.1:9/x"], ["test"], ["remove", "1"]):
        done = without_apprise(home, "notify", *args)
        assert (done.returncode, done.stderr) == (
            2,
            "tracker: notifications need apprise: pip install 'status-tracker[notify]'\n",
        ), args


def test_without_apprise_the_fetch_still_succeeds(tracker, home, vendor):
    tracker("notify", "add", vendor.hook_url)
    tracker("fetch")
    vendor.users = "some users were affected"
    done = without_apprise(home, "fetch", "-q")
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        "tracker: notifications not sent: notifications need apprise: "
        "pip install 'status-tracker[notify]'\n"
    )
    assert len(tracker.json("changes", "--json")) == 1
    tracker("fetch", "-q")
    assert len(vendor.received) == 1  # sent once apprise is there again


def test_a_long_message_lists_the_most_significant_and_counts_the_rest():
    from report_samples import seed

    from tracker.publish.notify import MAX_EDITS, message

    records, _ = seed()
    many = records * 5
    title, body = message(many, None, {})
    assert title == f"status-tracker: {len(many)} new edits (apple, cloudflare, github)"
    assert body.count("\nVendor: ") == MAX_EDITS
    assert body.endswith(f"… and {len(many) - MAX_EDITS} more: `tracker changes` lists them all.")


def test_quiet_run_is_silent_until_a_silent_edit_is_found(tracker, vendor):
    # No notification target: -q's output is what cron mails.
    assert tracker("run", "-q").stdout == ""
    assert tracker("run", "-q").stdout == ""
    vendor.users = "some users were affected"
    out = tracker("run", "-q").stdout
    assert "apple · iMessage · update_edited · SILENT" in out
    assert "[-30 percent of-]{+some+} users were affected" in out
    assert 'quantity_vagued: "30 percent of users" became "some users"' in out
    assert tracker("run", "-q").stdout == ""  # told once
