"""How fast `tracker import git` reads a git-scraping history.

Builds a repository of N commits (default 1,000) of a Statuspage `api/v2/incidents.json` in a
temporary directory, as a scraper would have committed it: every commit changes the bytes
(the page's `updated_at`), and now and then an incident gets a new update or an update is
reworded. Then imports it into an empty archive, and imports it again (nothing new).

    python -m benchmarks.bench_import [--commits 1000]
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import tempfile
import time
from pathlib import Path

from tracker.archive import Archive
from tracker.importers import import_git

START = 1_681_372_800  # 2023-04-13T08:00:00Z
PAGE = {
    "id": "jq64r4cdpggk",
    "name": "Airbrake",
    "url": "https://status.airbrake.io",
    "time_zone": "America/Los_Angeles",
    "updated_at": "",
}


def incident(number: int) -> dict:
    """An incident shaped like the ones Airbrake's page served (ids, times, components)."""
    key = f"inc{number:09d}"
    created = f"2023-03-{1 + number % 28:02d}T07:53:20.848-07:00"
    return {
        "id": key,
        "name": f"Delay in error processing ({number})",
        "status": "resolved",
        "created_at": created,
        "updated_at": created,
        "monitoring_at": None,
        "resolved_at": created,
        "impact": "minor",
        "shortlink": f"https://stspg.io/{key}",
        "started_at": created,
        "page_id": PAGE["id"],
        "incident_updates": [update(key, 0, created)],
        "components": [],
    }


def update(incident_key: str, number: int, at: str) -> dict:
    return {
        "id": f"{incident_key}u{number}",
        "status": "investigating" if number == 0 else "update",
        "body": (
            "We are currently investigating a delay in error processing. Errors on your error "
            "dashboard and error email notifications might take longer to appear than usual. "
            f"We will share updates as we make progress (update {number})."
        ),
        "incident_id": incident_key,
        "created_at": at,
        "updated_at": at,
        "display_at": at,
        "affected_components": [],
        "deliver_notifications": True,
        "custom_tweet": None,
        "tweet_id": None,
    }


def history(commits: int) -> list[bytes]:
    """The file's bytes at each commit: 50 incidents, changing every 20th commit."""
    incidents = [incident(n) for n in range(50)]
    versions = []
    for index in range(commits):
        if index and index % 20 == 0:
            target = incidents[index % len(incidents)]
            if index % 40 == 0:
                target["incident_updates"][0]["body"] += f" Reworded at commit {index}."
            else:
                at = f"2023-04-{1 + index % 28:02d}T10:00:00.000-07:00"
                target["incident_updates"].insert(0, update(target["id"], index, at))
        page = dict(
            PAGE,
            updated_at=f"2023-04-13T{index // 3600 % 24:02d}:{index // 60 % 60:02d}:"
            f"{index % 60:02d}.000-07:00",
        )
        versions.append(json.dumps({"page": page, "incidents": copy.deepcopy(incidents)}).encode())
    return versions


def build_repo(path: Path, versions: list[bytes]) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    stream = bytearray()
    for index, body in enumerate(versions):
        stream += b"blob\nmark :%d\ndata %d\n" % (index + 1, len(body)) + body + b"\n"
        stream += b"commit refs/heads/main\n"
        stream += b"committer Scraper <scraper@example.com> %d +0000\n" % (START + index * 600)
        stream += b"data 14\nLatest status\n"
        stream += b"M 100644 :%d incidents.json\n\n" % (index + 1)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=bytes(stream), check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=path, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        repo, home = Path(temp) / "repo", Path(temp) / "home"
        home.mkdir()
        build_repo(repo, history(args.commits))
        archive = Archive(home)
        try:
            for label in ("first import", "second import (nothing new)"):
                started = time.perf_counter()
                summary = import_git(
                    archive, repo, "incidents.json", source="airbrake", fmt="statuspage"
                )
                elapsed = time.perf_counter() - started
                print(
                    f"{label}: {summary.found} commits in {elapsed:.2f} s = "
                    f"{summary.found / elapsed:,.0f} commits/s "
                    f"({summary.new} new versions, {summary.unchanged} unchanged, "
                    f"{len(summary.failures)} failed, {summary.edits} edits)"
                )
        finally:
            archive.close()


if __name__ == "__main__":
    main()
