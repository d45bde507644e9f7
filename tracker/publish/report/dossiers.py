"""The dossier of one incident: its timeline as first published, every rewording, the evidence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup

from tracker.models import (
    DELETE,
    INSERT,
    Dossier,
    EditRecord,
    Evidence,
    TimelineEntry,
    UpdateVersion,
)
from tracker.publish.report.diffhtml import render_diff_html
from tracker.publish.report.safety import safe_href
from tracker.publish.report.views import EditView, counted, edit_view
from tracker.times import sort_key as timestamp


@dataclass(frozen=True)
class VersionView:
    version: UpdateVersion
    previous: UpdateVersion
    diff: Markup
    edit: EditView | None
    first_anchor: str | None  # evidence rows for the snapshots it was seen in
    last_anchor: str | None


@dataclass(frozen=True)
class EntryView:
    entry: TimelineEntry
    first: UpdateVersion | None
    first_anchor: str | None
    first_last_anchor: str | None
    added: EditView | None  # the update_added event that first showed it, if recorded
    later: tuple[VersionView, ...]
    removal: EditView | None


@dataclass(frozen=True)
class EvidenceRow:
    anchor: str
    evidence: Evidence
    reference_href: str | None
    url_href: str | None
    raw_href: str | None  # the raw body, written beside the report as text (when it is)


@dataclass(frozen=True)
class DossierView:
    dossier: Dossier
    slug: str
    anchor: str  # the section's id in a single-file report
    href: str  # from the index
    url_href: str | None
    source_href: str | None
    timeline: tuple[EntryView, ...]
    other_changes: tuple[EditView, ...]
    evidence: tuple[EvidenceRow, ...]
    edit_count: int
    silent_count: int


@dataclass(frozen=True)
class DossierLinks:
    """Where a dossier lives: its own page, or a section of the single-file report."""

    slug: str
    single: bool
    raw: bool = False  # raw bodies are written beside the report

    @property
    def anchor(self) -> str:
        return f"incident-{self.slug}"

    @property
    def prefix(self) -> str:
        # Snapshot and edit anchors repeat across incidents of one page: prefix them when
        # every dossier shares one document.
        return f"{self.slug}-" if self.single else ""

    @property
    def href(self) -> str:
        return f"#{self.anchor}" if self.single else f"incidents/{self.slug}.html"

    def raw_href(self, sha256: str) -> str | None:
        """The raw body's file, from the page the dossier is on (see `raw_name`)."""
        name = raw_name(sha256)
        if not self.raw or name is None:
            return None
        return name if self.single else f"../{name}"

    def edit_anchor(self, record_id: int) -> str:
        return f"{self.prefix}edit-{record_id}"

    def edit_href(self, record_id: int) -> str:
        if self.single:
            return f"#{self.edit_anchor(record_id)}"
        return f"{self.href}#{self.edit_anchor(record_id)}"


def raw_name(sha256: str) -> str | None:
    """Where a raw body is written, relative to the report's index: `raw/<sha256>.txt`.

    `.txt` so that a browser or a web server shows the vendor's bytes as text and never runs
    them as a page. None for a value that is not a SHA-256 (a damaged row): no file, no link.
    """
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        return None
    return f"raw/{sha256}.txt"


def evidence_rows(dossier: Dossier, links: DossierLinks) -> tuple[EvidenceRow, ...]:
    """Each snapshot the dossier's edits lie between, once, oldest first."""
    found: dict[int, Evidence] = {}
    for record in dossier.edits:
        for evidence in (record.before, record.after):
            if evidence is not None:
                found.setdefault(evidence.snapshot_id, evidence)
    ordered = sorted(found.values(), key=lambda e: (timestamp(e.first_seen), e.snapshot_id))
    return tuple(
        EvidenceRow(
            anchor=f"{links.prefix}snapshot-{evidence.snapshot_id}",
            evidence=evidence,
            reference_href=safe_href(evidence.reference),
            url_href=safe_href(evidence.url),
            raw_href=links.raw_href(evidence.sha256),
        )
        for evidence in ordered
    )


class _Edits:
    """The dossier's edit records, each handed out once, to the first place that shows it."""

    def __init__(self, dossier: Dossier, links: DossierLinks) -> None:
        self._left = list(dossier.edits)
        self._links = links

    def take(self, match: Callable[[EditRecord], bool]) -> EditView | None:
        for index, record in enumerate(self._left):
            if match(record):
                del self._left[index]
                return self.view(record)
        return None

    def view(self, record: EditRecord) -> EditView:
        return edit_view(record, anchor=self._links.edit_anchor(record.id), href=None)

    def rest(self) -> tuple[EditView, ...]:
        ordered = sorted(self._left, key=lambda r: (timestamp(r.window_end), r.id))
        return tuple(self.view(record) for record in ordered)


def _rewording(
    key: str, previous: UpdateVersion, version: UpdateVersion, edits: _Edits
) -> tuple[Markup, EditView | None]:
    def match(record: EditRecord) -> bool:
        event = record.event
        if event.kind != "update_edited" or event.field or event.update_key != key:
            return False
        return record.after.snapshot_id == version.first_snapshot or event.new == version.text

    edit = edits.take(match)
    if edit is not None:
        return edit.diff, edit
    # No stored event for this pair: show both wordings in full rather than guess a diff.
    return render_diff_html(((DELETE, previous.text), (INSERT, version.text))), None


def _entry_view(entry: TimelineEntry, edits: _Edits, anchors: dict[int, str]) -> EntryView:
    key = entry.update_key

    def of_kind(kind: str) -> Callable[[EditRecord], bool]:
        return lambda record: record.event.kind == kind and record.event.update_key == key

    later = []
    for previous, version in zip(entry.versions, entry.versions[1:], strict=False):
        diff, edit = _rewording(key, previous, version, edits)
        later.append(
            VersionView(
                version=version,
                previous=previous,
                diff=diff,
                edit=edit,
                first_anchor=anchors.get(version.first_snapshot),
                last_anchor=anchors.get(version.last_snapshot),
            )
        )
    first = entry.versions[0] if entry.versions else None
    return EntryView(
        entry=entry,
        first=first,
        first_anchor=anchors.get(first.first_snapshot) if first else None,
        first_last_anchor=anchors.get(first.last_snapshot) if first else None,
        added=edits.take(of_kind("update_added")),
        later=tuple(later),
        removal=edits.take(of_kind("update_removed")) if entry.removed else None,
    )


def dossier_view(dossier: Dossier, links: DossierLinks) -> DossierView:
    """Lay out one incident: timeline entries claim their edits, the rest are listed after."""
    evidence = evidence_rows(dossier, links)
    anchors = {row.evidence.snapshot_id: row.anchor for row in evidence}
    edits = _Edits(dossier, links)
    timeline = tuple(_entry_view(entry, edits, anchors) for entry in dossier.timeline)
    return DossierView(
        dossier=dossier,
        slug=links.slug,
        anchor=links.anchor,
        href=links.href,
        url_href=safe_href(dossier.url),
        source_href=safe_href(dossier.source_url),
        timeline=timeline,
        other_changes=edits.rest(),
        evidence=evidence,
        edit_count=len(counted(dossier.edits)),
        silent_count=sum(1 for record in counted(dossier.edits) if record.event.silent),
    )
