"""`tracker run`: one flaky vendor does not fail the night; a source failing for days does."""

from __future__ import annotations

from test_robots import BODY, JSON


def setup(tracker, httpserver):
    httpserver.expect_request("/ok.json").respond_with_data(BODY, content_type=JSON)
    httpserver.expect_request("/flaky.json").respond_with_data("down", status=500)
    for name in ("ok", "flaky"):
        url = httpserver.url_for(f"/{name}.json")
        tracker("add", url, "--name", name, "--format", "statuspage")


def test_a_source_counts_after_failing_n_runs_in_a_row(tracker, httpserver):
    setup(tracker, httpserver)
    for _ in range(2):
        result = tracker("run", "-q", "--retries", "0")
        assert result.output == ""  # failed, logged, not yet worth a cron mail
    result = tracker("run", "-q", "--retries", "0", code=1)
    (line,) = result.stderr.splitlines()
    assert line.startswith("flaky") and "http_5xx" in line
    assert line.endswith("(failed 3 runs in a row)")
    log = tracker.json("log", "flaky", "--json")
    assert [r["outcome"] for r in log] == ["failed"] * 3  # every failure is in the log


def test_fail_after_and_the_json_of_a_run(tracker, httpserver):
    setup(tracker, httpserver)
    run = tracker.json("run", "--json", "--retries", "0", "--fail-after", "1", code=1)
    assert run["exit_code"] == 1 and run["every_source_failed"] is False
    assert run["failures"] == [{"source": "flaky", "streak": 1, "counts": True}]
    assert {o["source"]: o["outcome"] for o in run["outcomes"]} == {"ok": "new", "flaky": "failed"}
    assert any(path.endswith("feed.xml") for path in run["written"])
    assert run["notifications"] == []


def test_without_q_a_failure_that_does_not_count_yet_says_so(tracker, httpserver):
    setup(tracker, httpserver)
    result = tracker("run", "--retries", "0")
    (line,) = [line for line in result.output.splitlines() if line.startswith("flaky")]
    assert "failed       http_5xx: HTTP 500" in line
    assert line.endswith("(failed 1 run in a row; exit 1 after 3)")
    assert result.stderr == ""


def test_a_success_resets_the_count(tracker, httpserver):
    setup(tracker, httpserver)
    tracker("run", "-q", "--retries", "0")
    tracker("run", "-q", "--retries", "0")
    httpserver.clear()
    httpserver.expect_request("/ok.json").respond_with_data(BODY, content_type=JSON)
    httpserver.expect_request("/flaky.json").respond_with_data(BODY, content_type=JSON)
    tracker("run", "-q")
    httpserver.clear()
    httpserver.expect_request("/ok.json").respond_with_data(BODY, content_type=JSON)
    httpserver.expect_request("/flaky.json").respond_with_data("down", status=500)
    assert tracker("run", "-q", "--retries", "0").output == ""


def test_every_source_failing_counts_at_once(tracker, httpserver):
    httpserver.expect_request("/flaky.json").respond_with_data("down", status=500)
    tracker("add", httpserver.url_for("/flaky.json"), "--name", "flaky", "--format", "statuspage")
    result = tracker("run", "-q", "--retries", "0", code=1)
    assert "(failed 1 run in a row)" in result.stderr


def test_exit_codes_are_in_the_help(tracker):
    text = tracker("--help").output
    for code in ("0 ", "1 ", "2 ", "3 ", "75 "):
        assert f"  {code}" in text
