"""Publishing: the HTML report, the Atom feed and the JSON/CSV exports of the archive.

Every file goes through `files.atomic_write` (`atomic_open` for the WARC file, written record
by record); renderers take plain records from `records`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..archive import Archive
from ..errors import UsageError
from ..files import atomic_open, atomic_write
from ..times import now_iso
from . import export as exporter
from .feed import build_atom
from .links import FEED_NAME, edit_link, feed_url, incident_urls
from .records import EVERY_EDIT, Filters, change_records, dossiers
from .report import write_report as render_report
from .warc import write_warc


def write_report(
    archive: Archive, path: Path, filters: Filters = EVERY_EDIT, base_url: str | None = None
) -> list[Path]:
    """The report; a report directory gets the Atom feed of the same edits beside it."""
    records = change_records(archive, filters)
    written = render_report(
        path,
        records,
        dossiers(archive, records),
        generated_at=now_iso(),
        title="status-tracker: what status pages rewrote",
        chain_head=archive.chain_head(),
        raw_body=archive.body,
        feed_href=_feed_href(path, base_url),
    )
    if written and not str(path).lower().endswith(".html"):
        feed = Path(path) / FEED_NAME
        atomic_write(feed, feed_bytes(archive, filters, base_url))
        written.append(feed)
    return written


def _feed_href(path: Path, base_url: str | None) -> str | None:
    """The report's link to its feed: under the base URL, else beside a report directory
    (where `tracker run` writes it); a lone .html file without a base URL has none."""
    if base_url:
        return feed_url(base_url)
    return None if str(path).lower().endswith(".html") else FEED_NAME


def feed_bytes(
    archive: Archive, filters: Filters = EVERY_EDIT, base_url: str | None = None
) -> bytes:
    records = sorted(change_records(archive, filters), key=lambda r: r.window_end, reverse=True)
    pages = incident_urls(archive, records)
    return build_atom(
        records,
        feed_id="tag:status-tracker,2026:edits",
        title="status-tracker: edits to vendor status pages",
        updated=records[0].window_end if records else now_iso(),
        chain_head=archive.chain_head(),
        self_url=feed_url(base_url) if base_url else None,
        link_for=lambda r: edit_link(r, base_url, pages.get((r.source, r.event.incident_key))),
    )


def export_warc(archive: Archive, target: Path, filters: Filters = EVERY_EDIT) -> tuple[int, int]:
    """Write the WARC file of every kept fetch body (of `filters.sources`, since
    `filters.since`) to `target`, atomically; gzip records for a `.gz` name. Returns
    (fetches, bytes written)."""
    with atomic_open(target) as out:
        count = write_warc(
            out,
            archive.warc_fetches(filters.sources, filters.since),
            archive.body,
            head=archive.chain_head(),
            filename=target.name,
            compress=target.name.endswith(".gz"),
        )
        size = out.tell()
    return count, size


def export_text(archive: Archive, fmt: str, what: str, filters: Filters = EVERY_EDIT) -> str:
    if what == "edits":
        rows = exporter.edit_rows(change_records(archive, filters))
    elif what in ("versions", "fetches"):
        rows = _table_rows(archive, what, filters.sources)
    else:
        raise UsageError(f"cannot export {what!r}: choose edits, versions or fetches")
    if fmt == "json":
        return exporter.export_json(rows)
    if fmt == "csv":
        return exporter.export_csv(rows)
    raise UsageError(f"unknown export format {fmt!r}: choose json or csv")


def _table_rows(archive: Archive, what: str, sources: Iterable[str]) -> list[dict[str, Any]]:
    names = list(sources) or [s.name for s in archive.sources()]
    rows: list[dict[str, Any]] = []
    for name in names:
        if what == "fetches":
            for row in archive.fetches(name):
                rows.append({"source": name, **row})
        else:
            for row in archive.snapshots(name):
                rows.append({"source": name, **{k: v for k, v in row.items() if k != "document"}})
    return rows


def refresh(archive: Archive, base_url: str | None = None) -> list[Path]:
    """What the nightly job keeps up to date in the data directory: the report (with its
    feed) and the feed beside the data."""
    written = write_report(archive, archive.home / "report", base_url=base_url)
    feed = archive.home / "feed.xml"
    atomic_write(feed, feed_bytes(archive, base_url=base_url))
    return [archive.home / "report" / "index.html", feed] if written else [feed]
