"""What the templates show, computed from edit records and dossiers as plain values.

Templates only lay these out; every decision (order, links, badges, what counts as silent)
is made here, where it can be read and tested.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from markupsafe import Markup

from tracker.models import Dossier, EditRecord
from tracker.publish.describe import (
    display_diff,
    event_label,
    flag_tone,
    rank_key,
    reason_for,
    verdict_text,
)
from tracker.publish.report.diffhtml import render_diff_html, render_preview_html
from tracker.publish.report.safety import safe_href


@dataclass(frozen=True)
class Badge:
    text: str
    tone: str  # alarm, warn, info, muted, silent, removed, backdated, revert
    title: str | None = None


@dataclass(frozen=True)
class EditView:
    id: int
    anchor: str
    href: str | None  # the edit in its dossier, from the index
    source: str
    incident_title: str
    label: str
    badges: tuple[Badge, ...]
    reasons: tuple[str, ...]
    verdict: str  # why it is silent, or who announced it
    window_start: str | None
    window_end: str
    record: EditRecord

    # Rendered on demand: the index shows only previews, a dossier only full diffs.
    @property
    def preview(self) -> Markup:
        return render_preview_html(display_diff(self.record.event))

    @property
    def diff(self) -> Markup:
        return render_diff_html(display_diff(self.record.event))


@dataclass(frozen=True)
class VendorRow:
    source: str
    href: str | None
    edits: int
    silent: int
    flags: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class IndexView:
    edits: tuple[EditView, ...]
    vendors: tuple[VendorRow, ...]
    edit_count: int
    silent_count: int
    incident_count: int


def safe_slug(source: str, key: str) -> str:
    """A file name for an incident: ASCII letters, digits and dashes, plus a hash of the pair.

    The hash makes the name depend on nothing but (source, key), so links stay stable across
    regenerations, and two keys that clean up to the same letters still get distinct names.
    """
    base = re.sub(r"[^a-z0-9]+", "-", f"{source}-{key}".lower()).strip("-")[:48].strip("-")
    digest = hashlib.sha256(f"{source}\x00{key}".encode("utf-8", "replace")).hexdigest()[:10]
    return f"{base or 'incident'}-{digest}"


def unique_slugs(dossiers: Sequence[Dossier]) -> list[str]:
    """One slug per dossier, unique even when the same (source, key) is passed twice."""
    seen: set[str] = set()
    slugs = []
    for dossier in dossiers:
        slug = candidate = safe_slug(dossier.source, dossier.incident_key)
        counter = 2
        while candidate in seen:
            candidate = f"{slug}-{counter}"
            counter += 1
        seen.add(candidate)
        slugs.append(candidate)
    return slugs


def rank(records: Sequence[EditRecord]) -> list[EditRecord]:
    """Most significant first: by score, then the most recently observed."""
    return sorted(records, key=rank_key)


_SILENT = Badge(
    "silent edit", "silent", "Changed with no update posted in the same window mentioning it"
)
_DELETED = Badge("deleted", "removed", "Removed from the page after it was published")
_BACKDATED = Badge(
    "backdated", "backdated", "Appeared with a displayed time before the previous observation"
)
_REVERT = Badge("revert", "revert", "Restores an earlier wording")
_FLICKER = Badge("flicker", "revert", "Changed, then changed back, between observations")


def counted(records: Sequence[EditRecord]) -> list[EditRecord]:
    """The edits headline counts are made of: a bulk re-render is listed, never counted."""
    return [record for record in records if record.event.kind != "bulk_changed"]


def badges(record: EditRecord) -> tuple[Badge, ...]:
    """The event's markers (silent, deleted, backdated, revert) then one badge per flag."""
    event = record.event
    found: list[Badge] = []
    if event.silent:
        found.append(replace(_SILENT, title=event.verdict) if event.verdict else _SILENT)
    elif event.announced_by:
        found.append(Badge("announced", "info", event.verdict or None))
    if event.kind == "bulk_changed":
        found.append(Badge(f"bulk ×{event.count}", "muted", event.verdict or None))
    if event.kind in ("update_removed", "incident_removed"):
        found.append(_DELETED)
    if event.backdated:
        found.append(_BACKDATED)
    if event.revert:
        found.append(_REVERT)
    if event.flicker:
        found.append(_FLICKER)
    for flag in event.flags:
        found.append(Badge(flag, flag_tone(flag), reason_for(flag, event)))
    return tuple(found)


def edit_view(record: EditRecord, *, anchor: str, href: str | None) -> EditView:
    return EditView(
        id=record.id,
        anchor=anchor,
        href=href,
        source=record.source,
        incident_title=record.event.incident_title or record.event.incident_key,
        label=event_label(record.event),
        badges=badges(record),
        reasons=tuple(record.event.reasons),
        verdict=verdict_text(record.event),
        window_start=record.window_start,
        window_end=record.window_end,
        record=record,
    )


def vendor_rows(records: Sequence[EditRecord]) -> list[VendorRow]:
    """Per vendor: edits, silent edits and how often each flag was raised."""
    edits: Counter[str] = Counter()
    silent: Counter[str] = Counter()
    flags: dict[str, Counter[str]] = {}
    urls: dict[str, str] = {}
    for record in records:
        edits[record.source] += 1
        silent[record.source] += int(record.event.silent)
        flags.setdefault(record.source, Counter()).update(record.event.flags)
        urls.setdefault(record.source, record.source_url)
    return [
        VendorRow(
            source=source,
            href=safe_href(urls[source]),
            edits=count,
            silent=silent[source],
            flags=tuple(sorted(flags[source].items(), key=lambda item: (-item[1], item[0]))),
        )
        for source, count in sorted(edits.items(), key=lambda item: (-item[1], item[0]))
    ]


def index_view(
    records: Sequence[EditRecord], href_for: Callable[[EditRecord], str | None]
) -> IndexView:
    """The ranked list of edits, each linked (by `href_for`) to its place in its dossier."""
    views = tuple(
        edit_view(record, anchor=f"edit-{record.id}", href=href_for(record))
        for record in rank(records)
    )
    headline = counted(records)
    return IndexView(
        edits=views,
        vendors=tuple(vendor_rows(headline)),
        edit_count=len(headline),
        silent_count=sum(1 for record in headline if record.event.silent),
        incident_count=len({(r.source, r.event.incident_key) for r in headline}),
    )
