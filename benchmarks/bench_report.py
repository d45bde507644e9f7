"""How long write_report takes for 10,000 edits over 500 incidents (both output modes).

Run: python benchmarks/bench_report.py [--edits N] [--incidents M]
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

from tracker.models import (
    DELETE,
    EQUAL,
    INSERT,
    Dossier,
    EditEvent,
    EditRecord,
    Evidence,
    TimelineEntry,
    UpdateVersion,
)
from tracker.publish.feed import build_atom
from tracker.publish.report import write_report

SOURCES = ("apple", "github", "cloudflare", "slack", "openai", "discord", "atlassian", "gcp")
FLAGS = ("quantity_vagued", "severity_down", "cause_changed", "text_removed", "number_changed")
LEAD = (
    "We are continuing to investigate elevated error rates affecting API requests and webhook "
    "deliveries in several regions. Customers may notice delays when pushing or triggering "
    "workflows. "
)


def _evidence(snapshot: int, source: str, day: int, hour: int) -> Evidence:
    seen = f"2025-{1 + day // 28:02d}-{1 + day % 28:02d}T{hour:02d}:00:00Z"
    return Evidence(
        snapshot_id=snapshot,
        sha256=hashlib.sha256(f"{source}:{snapshot}".encode()).hexdigest(),
        first_seen=seen,
        last_seen=seen,
        origin="live",
        reference=None,
        url=f"https://status.{source}.example/api/v2/incidents.json",
    )


def _record(number: int, incident: int, version: int) -> EditRecord:
    source = SOURCES[incident % len(SOURCES)]
    before = _evidence(2 * number, source, incident % 300, version % 12)
    after = _evidence(2 * number + 1, source, incident % 300, version % 12 + 1)
    old, new = f"{10 + version} percent of", "some"
    event = EditEvent(
        kind="update_edited",
        incident_key=f"inc{incident:05d}",
        incident_title=f"Elevated error rates for {source} API (incident {incident})",
        update_key=f"inc{incident:05d}/u{version}",
        old=f"{LEAD}About {old} requests failed.",
        new=f"{LEAD}About {new} requests failed.",
        diff=((EQUAL, f"{LEAD}About "), (DELETE, old), (INSERT, new), (EQUAL, " requests failed.")),
        silent=number % 3 != 0,
        flags=(FLAGS[number % len(FLAGS)],),
        reasons=(f'{FLAGS[number % len(FLAGS)]}: "{old}" became "{new}"',),
        score=float(number % 97) / 10,
    )
    return EditRecord(
        number,
        source,
        f"https://status.{source}.example/",
        event,
        before.last_seen,
        after.first_seen,
        before,
        after,
    )


def _dossier(incident: int, records: list[EditRecord]) -> Dossier:
    entries = tuple(
        TimelineEntry(
            record.event.update_key or "",
            record.window_start,
            "investigating",
            (
                UpdateVersion(
                    record.event.old or "",
                    record.window_start or "",
                    record.window_start or "",
                    record.after.snapshot_id - 1,
                    record.after.snapshot_id - 1,
                ),
                UpdateVersion(
                    record.event.new or "",
                    record.window_end,
                    record.window_end,
                    record.after.snapshot_id,
                    record.after.snapshot_id,
                ),
            ),
        )
        for record in records
    )
    first = records[0]
    return Dossier(
        source=first.source,
        source_url=first.source_url,
        incident_key=first.event.incident_key,
        title=first.event.incident_title,
        impact="major",
        status="resolved",
        url=f"https://status.{first.source}.example/incidents/{incident}",
        timeline=entries,
        edits=tuple(records),
    )


def synthetic(edits: int, incidents: int) -> tuple[list[EditRecord], list[Dossier]]:
    by_incident: dict[int, list[EditRecord]] = {}
    for number in range(1, edits + 1):
        incident = number % incidents
        records = by_incident.setdefault(incident, [])
        records.append(_record(number, incident, len(records)))
    dossiers = [_dossier(incident, records) for incident, records in by_incident.items()]
    return [r for records in by_incident.values() for r in records], dossiers


def _timed(label: str, action) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - start
    print(f"{label}: {elapsed:.2f} s{result}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--edits", type=int, default=10_000)
    parser.add_argument("--incidents", type=int, default=500)
    args = parser.parse_args()
    records, dossiers = synthetic(args.edits, args.incidents)
    print(f"report: {len(records)} edits over {len(dossiers)} incidents")
    with tempfile.TemporaryDirectory() as work:
        out = Path(work)

        def directory() -> str:
            written = write_report(out / "site", records, dossiers, generated_at="2026-03-02")
            size = sum(path.stat().st_size for path in written)
            return f" ({len(written)} files, {size / 1e6:.1f} MB)"

        def single() -> str:
            (path,) = write_report(out / "one.html", records, dossiers, generated_at="2026-03-02")
            return f" ({path.stat().st_size / 1e6:.1f} MB)"

        def feed() -> str:
            data = build_atom(records, feed_id="tag:bench", title="bench", updated="2026-03-02")
            return f" ({len(data) / 1e3:.0f} KB, 200 entries)"

        _timed("write_report, directory", directory)
        _timed("write_report, single file", single)
        _timed("build_atom", feed)


if __name__ == "__main__":
    main()
