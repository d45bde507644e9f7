"""Time extraction per format on a large body, in seconds per MB.

Each body is built from the real fixture of its format by repeating its incidents (with fresh
ids) until it reaches the target size; the figure is the best of a few runs, so start-up noise
stays out. Usage: `python benchmarks/bench_extract.py [MB]` (default 5).
"""

from __future__ import annotations

import copy
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tracker.extract import extract

try:  # run as a script (`python benchmarks/bench_extract.py`) or through `python -m benchmarks`
    from benchmarks import sitegen
except ImportError:  # pragma: no cover - the script's own folder is on sys.path instead
    import sitegen  # type: ignore[no-redef]

FIXTURES = Path(__file__).parent.parent / "tests" / "fixtures" / "formats"
RUNS = 3


def _read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _repeat(unit: Callable[[int], str], target: int) -> list[str]:
    parts, size, n = [], 0, 0
    while size < target:
        part = unit(n)
        parts.append(part)
        size += len(part.encode())
        n += 1
    return parts


def _json_list(items: list, rekey: Callable[[dict, int], None], target: int) -> list:
    """`items` repeated with fresh keys until their JSON is about `target` bytes."""
    one = len(json.dumps(items).encode())
    result = []
    for n in range(max(1, target // one + 1)):
        for item in copy.deepcopy(items):
            rekey(item, n)
            result.append(item)
    return result


def statuspage_json(target: int) -> bytes:
    data = json.loads(_read("statuspage-incidents.json"))

    def rekey(item: dict, n: int) -> None:
        item["id"] = f"{item['id']}{n}"
        for update in item["incident_updates"]:
            update["id"] = f"{update['id']}{n}"

    data["incidents"] = _json_list(data["incidents"], rekey, target)
    return json.dumps(data, indent=2).encode()


def statuspage_html(target: int) -> bytes:
    page = _read("statuspage-page.html")
    start = page.index('<div class="status-day font-regular ">')
    end = page.index("  </div>\n      </div>\n  </body>")
    day = page[start:end] + "  </div>\n"
    days = _repeat(lambda n: day.replace("ft95n6s9rswf", f"ft95n6s9r{n:06d}"), target)
    return (page[:start] + "".join(days) + page[end + len("  </div>\n") :]).encode()


def statuspage_atom(target: int) -> bytes:
    feed = _read("statuspage-history.atom")
    start, end = feed.index("<entry>"), feed.rindex("</entry>") + len("</entry>")
    entries = feed[start:end]
    repeated = _repeat(
        lambda n: re.sub(r"incidents/(\w+)", rf"incidents/\g<1>{n}", entries), target
    )
    return (feed[:start] + "".join(repeated) + feed[end:]).encode()


def apple(target: int) -> bytes:
    data = json.loads(_read("apple-developer-system-status.json"))
    service = data["services"][0]

    def rekey(event: dict, n: int) -> None:
        event["messageId"] = f"{event['messageId']}{n}"

    service["events"] = _json_list(service["events"], rekey, target)
    return f"jsonCallback({json.dumps(data)});".encode()


def gcp(target: int) -> bytes:
    data = json.loads(_read("gcp-incidents.json"))

    def rekey(item: dict, n: int) -> None:
        item["id"] = f"{item['id']}{n}"

    return json.dumps(_json_list(data, rekey, target), indent=2).encode()


def slack(target: int) -> bytes:
    data = json.loads(_read("slack-history.json"))

    def rekey(item: dict, n: int) -> None:
        item["id"] = item["id"] * 100000 + n

    return json.dumps(_json_list(data, rekey, target), indent=2).encode()


def aws(target: int) -> bytes:
    data = json.loads(_read("aws-legacy-data.json"))

    def rekey(item: dict, n: int) -> None:
        item["date"] = str(int(item["date"]) + n * 86400)

    data["archive"] = _json_list(data["archive"], rekey, target)
    return json.dumps(data, indent=2).encode()


def feed(target: int) -> bytes:
    rss = _read("apple-derived-rss.xml")
    start, end = rss.index("<item>"), rss.rindex("</item>") + len("</item>")
    item = rss[start:end]
    items = _repeat(lambda n: item.replace("</guid>", f"-{n}</guid>"), target)
    return (rss[:start] + "".join(items) + rss[end:]).encode()


def html(target: int) -> bytes:
    section = (
        "<h2>Incident {n}: elevated error rates</h2>\n"
        "<p>Between 14:05 and 14:45 UTC, 30% of API requests in eu-west-1 failed.<br>"
        "We rolled back the deploy.</p>\n<ul><li>API: degraded</li><li>Dashboard: ok</li></ul>\n"
        "<table><tr><td>Started</td><td>14:05</td></tr><tr><td>Ended</td><td>14:45</td></tr></table>\n"
    )
    body = "".join(_repeat(lambda n: section.format(n=n), target))
    return f"<html><head><title>Status</title></head><body>{body}</body></html>".encode()


def incident_page(target: int) -> bytes:
    """A generated status page in a common (non-Statuspage) layout, with as many incidents as
    fill `target` bytes."""
    per_incident = len(sitegen.render(sitegen.site(0, incidents=10), 0, padded=False)) // 10
    return sitegen.render(sitegen.site(0, incidents=max(1, target // per_incident)), 0, False)


CASES: list[tuple[str, str, Callable[[int], bytes]]] = [
    ("statuspage (API JSON)", "statuspage", statuspage_json),
    ("statuspage (HTML page)", "statuspage", statuspage_html),
    ("statuspage (history.atom)", "statuspage", statuspage_atom),
    ("apple (JSONP)", "apple", apple),
    ("gcp", "gcp", gcp),
    ("slack (history)", "slack", slack),
    ("aws (data.json)", "aws", aws),
    ("feed (RSS)", "feed", feed),
    ("html (generic page)", "html", html),
    ("html (incident layout)", "html", incident_page),
]


def per_page() -> None:
    """Milliseconds per ~150 KB page, the size of a real status page."""
    pages = [
        ("html: generated 60-incident page", "html", sitegen.page_bytes(0, 0, 1)),
        ("html: generated, <article> layout", "html", sitegen.page_bytes(1, 0, 1)),
        ("statuspage: HTML page", "statuspage", statuspage_html(150_000)),
    ]
    for label, fmt, body in pages:
        best = float("inf")
        for _ in range(RUNS * 3):
            started = time.perf_counter()
            document = extract(fmt, body)
            best = min(best, time.perf_counter() - started)
        print(
            f"{label:<36}{len(body) / 1000:>6.0f} KB{len(document.incidents):>6} incidents"
            f"{best * 1000:>8.1f} ms"
        )


def main(megabytes: float = 5.0) -> None:
    target = int(megabytes * 1_000_000)
    print(f"{'format':<28}{'MB':>7}{'incidents':>11}{'seconds':>10}{'s/MB':>8}")
    for label, fmt, build in CASES:
        body = build(target)
        best = float("inf")
        for _ in range(RUNS):
            started = time.perf_counter()
            document = extract(fmt, body)
            best = min(best, time.perf_counter() - started)
        size = len(body) / 1_000_000
        print(
            f"{label:<28}{size:>7.2f}{len(document.incidents):>11}{best:>10.2f}{best / size:>8.2f}"
        )


if __name__ == "__main__":
    per_page()
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
