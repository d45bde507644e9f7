"""A generated git-scraping history of Google Cloud's `incidents.json`, for the benchmarks.

The page is built from the real payload in `tests/fixtures/formats/gcp-incidents.json`: its
incident is replicated into a few hundred incidents (other ids, regions, times, numbers and
update counts) until the file is about `size` bytes, written as `jq .` writes it (the shape
the `outages/gcp-outages` scraper commits). Each commit then changes one incident, as the
real history does: a new update on a recent incident, an update reworded, now and then a new
incident at the top.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path

FIXTURE = Path(__file__).parent.parent / "tests" / "fixtures" / "formats" / "gcp-incidents.json"
TEMPLATE = json.loads(FIXTURE.read_text())[0]
START = 1_755_000_000  # 2025-08-12: the first commit's time
REGIONS = [
    ("us-west1", "Oregon (us-west1)", "Dalles, Oregon"),
    ("us-central1", "Iowa (us-central1)", "Council Bluffs, Iowa"),
    ("europe-west1", "Belgium (europe-west1)", "St. Ghislain, Belgium"),
    ("asia-east1", "Taiwan (asia-east1)", "Changhua County, Taiwan"),
    ("europe-west4", "Netherlands (europe-west4)", "Eemshaven, Netherlands"),
    ("us-east4", "Northern Virginia (us-east4)", "Ashburn, Virginia"),
    ("asia-northeast1", "Tokyo (asia-northeast1)", "Tokyo, Japan"),
    ("southamerica-east1", "São Paulo (southamerica-east1)", "Osasco, São Paulo"),
]
CAUSES = [
    "a planned optical maintenance that caused unexpected congestion",
    "a fiber cut by a third party",
    "a configuration change to our load balancing infrastructure",
    "a software defect in a recent release",
    "an unexpected increase in traffic",
]


def _stamp(seconds: int) -> str:
    import datetime

    moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _id(number: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    digest = hashlib.sha256(b"gcp-incident-%d" % number).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:20])


class Page:
    """The incidents of the page, newest first, each kept serialised until it changes."""

    def __init__(self, size: int, seed: int = 12):
        self.random = random.Random(seed)
        self.incidents: list[dict] = []
        self.text: list[str] = []
        self.clock = START - 400 * 86_400
        self.count = 0
        while sum(len(t) for t in self.text) < size:
            self._add_incident(updates=self.random.randint(1, 6), front=False)
        self.clock = START

    def _new_incident(self, updates: int) -> dict:
        number = self.count
        self.count += 1
        code, title, place = REGIONS[number % len(REGIONS)]
        incident = copy.deepcopy(TEMPLATE)
        begin = self.clock - 3 * 3600
        incident["id"] = _id(number)
        incident["number"] = str(5_789_456_648_280_872_492 + number * 7_919)
        incident["uri"] = f"incidents/{incident['id']}"
        incident["begin"] = _stamp(begin)
        incident["created"] = _stamp(begin + 3600)
        incident["end"] = _stamp(self.clock)
        incident["external_desc"] = incident["external_desc"].replace("us-west1", code)
        incident["previously_affected_locations"] = [
            {"title": "Global", "id": "global"},
            {"title": title, "id": code},
        ]
        incident["affected_products"] = incident["affected_products"][: 2 + number % 5]
        base = TEMPLATE["updates"]
        incident["updates"] = []
        for index in range(updates):
            update = copy.deepcopy(base[index % len(base)])
            when = begin + 3600 + index * 1800
            cause = CAUSES[(number + index) % len(CAUSES)]
            update["text"] = (
                update["text"]
                .replace("us-west1", code)
                .replace("Dalles, Oregon", place)
                .replace(CAUSES[0], cause)
                .replace("2026-08-20 10:22", _stamp(when)[:16].replace("T", " "))
                .replace("2026-08-20 13:30", _stamp(when + 5400)[:16].replace("T", " "))
            )
            update["created"] = update["when"] = _stamp(when)
            update["modified"] = _stamp(when + 1)
            incident["updates"].insert(0, update)
        incident["most_recent_update"] = copy.deepcopy(incident["updates"][0])
        incident["modified"] = incident["updates"][0]["modified"]
        return incident

    def _add_incident(self, updates: int, front: bool) -> None:
        incident = self._new_incident(updates)
        if front:
            self.incidents.insert(0, incident)
            self.text.insert(0, _serialise(incident))
        else:
            self.incidents.append(incident)
            self.text.append(_serialise(incident))
        self.clock += 86_400

    def step(self, index: int) -> None:
        """Change one incident, the way commit `index` of the real history would."""
        self.clock += 600
        if index % 60 == 59:
            self._add_incident(updates=1, front=True)
            return
        if index % 3 == 0:
            position = self.random.randrange(len(self.incidents))
            incident = self.incidents[position]
            update = self.random.choice(incident["updates"])
            update["text"] += f" Reworded ({index})."
            update["modified"] = _stamp(self.clock)
        else:
            position = self.random.randrange(min(12, len(self.incidents)))
            incident = self.incidents[position]
            update = copy.deepcopy(incident["updates"][0])
            update["created"] = update["when"] = update["modified"] = _stamp(self.clock)
            update["text"] = f"We are continuing to monitor ({index}). " + update["text"]
            incident["updates"].insert(0, update)
            del incident["updates"][8:]  # the page keeps a bounded story per incident
            incident["most_recent_update"] = copy.deepcopy(update)
        incident["modified"] = _stamp(self.clock)
        self.text[position] = _serialise(incident)

    def body(self) -> bytes:
        return ("[\n" + ",\n".join(self.text) + "\n]\n").encode()


def _serialise(incident: dict) -> str:
    """One incident as `jq .` prints it inside the top-level array."""
    text = json.dumps(incident, indent=2, ensure_ascii=False)
    return "\n".join("  " + line for line in text.splitlines())


def versions(commits: int, size: int) -> Iterator[bytes]:
    page = Page(size)
    for index in range(commits):
        if index:
            page.step(index)
        yield page.body()


def build_repo(path: Path, commits: int, size: int, file: str = "gcp_outages.json") -> None:
    """A git repository of `commits` commits of `file`, written with `git fast-import`."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    process = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=path, stdin=subprocess.PIPE)
    assert process.stdin is not None
    for index, body in enumerate(versions(commits, size)):
        stream = b"blob\nmark :%d\ndata %d\n" % (index + 1, len(body)) + body + b"\n"
        stream += b"commit refs/heads/main\n"
        stream += b"committer Scraper <scraper@example.com> %d +0000\n" % (START + index * 600)
        stream += b"data 14\nLatest status\n"
        stream += b"M 100644 :%d %s\n\n" % (index + 1, file.encode())
        process.stdin.write(stream)
    process.stdin.close()
    if process.wait():
        raise RuntimeError("git fast-import failed")
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=path, check=True)
    # The pack fast-import writes is not what a clone holds: repack it as git would.
    subprocess.run(["git", "repack", "-adq"], cwd=path, check=True)


def pack_bytes(path: Path) -> int:
    """`size-pack` of `git count-objects -v`, in bytes."""
    output = subprocess.run(
        ["git", "count-objects", "-v"], cwd=path, check=True, capture_output=True, text=True
    ).stdout
    fields = dict(line.split(": ") for line in output.splitlines())
    return (int(fields["size-pack"]) + int(fields["size"])) * 1024
