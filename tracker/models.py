"""Plain values passed between the stages: fetch → archive → extract → diff → classify → report.

Every value here is a frozen dataclass built from strings, numbers, tuples and dicts, so
stages stay pure and anything derived can be recomputed from stored raw bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Diff operations, as diff-match-patch numbers them.
DELETE, EQUAL, INSERT = -1, 0, 1

DiffOps = tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class Source:
    """A tracked page."""

    name: str
    url: str
    format: str
    options: dict[str, Any] = field(default_factory=dict)
    added_at: str | None = None


@dataclass(frozen=True)
class Update:
    """One update of an incident, as the page displays it.

    `fields` holds the wording (Statuspage: `body`; Apple: `message` and `usersAffected`), in
    display order. `meta` holds vendor metadata that is not wording (created_at, updated_at,
    display_at, ...), all as strings or None.
    """

    key: str
    posted_at: str | None = None
    status: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    meta: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The wording fields joined, in order, one per line."""
        return "\n".join(value for value in self.fields.values() if value)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "posted_at": self.posted_at,
            "status": self.status,
            "fields": dict(self.fields),
            "meta": dict(self.meta),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Update:
        return cls(
            key=data["key"],
            posted_at=data.get("posted_at"),
            status=data.get("status"),
            fields=dict(data.get("fields") or {}),
            meta=dict(data.get("meta") or {}),
        )


@dataclass(frozen=True)
class Incident:
    """An incident (or an event, an item, a block of an HTML page) with its updates.

    `updates` are in the order the page shows them; `key` is the vendor id where one exists.
    """

    key: str
    title: str = ""
    status: str | None = None
    impact: str | None = None
    url: str | None = None
    created_at: str | None = None
    resolved_at: str | None = None
    components: tuple[str, ...] = ()
    updates: tuple[Update, ...] = ()
    meta: Mapping[str, str | None] = field(default_factory=dict)
    # The incident's own times as the vendor states them, by the vendor's field name (UTC ISO
    # 8601): Statuspage started_at/resolved_at/scheduled_for/scheduled_until, Google Cloud
    # begin/end, Apple startDate/endDate, AWS date. Rewriting one is an edit.
    times: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "title": self.title,
            "status": self.status,
            "impact": self.impact,
            "url": self.url,
            "created_at": self.created_at,
            "resolved_at": self.resolved_at,
            "components": list(self.components),
            "updates": [u.to_dict() for u in self.updates],
            "meta": dict(self.meta),
        }
        if self.times:
            # Only where a format states times, so other formats' documents hash as before.
            data["times"] = dict(self.times)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Incident:
        return cls(
            key=data["key"],
            title=data.get("title") or "",
            status=data.get("status"),
            impact=data.get("impact"),
            url=data.get("url"),
            created_at=data.get("created_at"),
            resolved_at=data.get("resolved_at"),
            components=tuple(data.get("components") or ()),
            updates=tuple(Update.from_dict(u) for u in data.get("updates") or ()),
            meta=dict(data.get("meta") or {}),
            times=dict(data.get("times") or {}),
        )


# What part of a page's history a document covers. It decides whether an incident that
# disappears between two versions was deleted or merely left the document's window.
COVERAGE_FULL = "full"  # every incident the page has ever shown (a single incident, a whole page)
COVERAGE_WINDOW = "window"  # the newest N incidents (incidents.json, feeds): old ones fall off
COVERAGE_OPEN = "open"  # open incidents only (summary.json, unresolved.json): leaving = resolved


@dataclass(frozen=True)
class Document:
    """What a status page said, extracted from one raw body."""

    format: str
    incidents: tuple[Incident, ...] = ()
    coverage: str = COVERAGE_FULL
    page: Mapping[str, str | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "coverage": self.coverage,
            "page": dict(self.page),
            "incidents": [i.to_dict() for i in self.incidents],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        return cls(
            format=data["format"],
            coverage=data.get("coverage") or COVERAGE_FULL,
            page=dict(data.get("page") or {}),
            incidents=tuple(Incident.from_dict(i) for i in data.get("incidents") or ()),
        )

    def canonical_json(self) -> str:
        """Key-sorted JSON, blind to the order of incidents and of their updates."""
        data = self.to_dict()
        data["incidents"] = sorted(data["incidents"], key=lambda i: i["key"])
        for incident in data["incidents"]:
            incident["updates"] = sorted(incident["updates"], key=lambda u: u["key"])
        return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def hash(self) -> str:
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    def incident(self, key: str) -> Incident | None:
        for incident in self.incidents:
            if incident.key == key:
                return incident
        return None


@dataclass(frozen=True)
class FetchResult:
    """The outcome of one HTTP attempt, before anything is stored.

    `error` is None for a usable body, else a failure kind: timeout, connection, http_4xx,
    http_5xx, blocked, empty, too_large (unparseable is decided after extraction).
    """

    url: str
    started_at: str
    finished_at: str
    status: int | None = None
    final_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    request: dict[str, Any] = field(default_factory=dict)
    body: bytes | None = None
    not_modified: bool = False
    error: str | None = None
    detail: str | None = None

    @property
    def content_type(self) -> str | None:
        for name, value in self.headers.items():
            if name.lower() == "content-type":
                return value
        return None


@dataclass(frozen=True)
class Classification:
    """Flags for one edit, each with a one-line reason, and a significance score."""

    flags: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    score: float = 0.0


@dataclass(frozen=True)
class EditEvent:
    """One change to one update or incident between two consecutive versions.

    kind: update_added, update_edited, update_removed, incident_added, incident_removed,
    incident_changed, bulk_changed. `field` names what changed for incident_changed (title,
    impact, status, components, or an incident time such as started_at) and for update_edited
    that is not about wording (posted_at, status).

    `verdict` says in one line why the edit is silent or who announced it; `announced_by` names
    the update that told readers about it ("key: first words"). `count` and `keys` are for one
    change seen on several items at once (identical rewrites, a bulk re-render): how many, and
    their "incident/update" keys.
    """

    kind: str
    incident_key: str
    incident_title: str = ""
    update_key: str | None = None
    field: str | None = None
    old: str | None = None
    new: str | None = None
    diff: DiffOps = ()
    silent: bool = False
    backdated: bool = False
    revert: bool = False
    flicker: bool = False
    flags: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    score: float = 0.0
    posted_at: str | None = None
    verdict: str = ""
    announced_by: str | None = None
    count: int = 1
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evidence:
    """Where a version came from: enough to prove what the page said and when."""

    snapshot_id: int
    sha256: str
    first_seen: str
    last_seen: str
    origin: str  # live, git, wayback, demo
    reference: str | None  # capture URL, commit hash
    url: str  # the URL the body was served from


@dataclass(frozen=True)
class EditRecord:
    """A stored edit event with its source and the two versions it lies between."""

    id: int
    source: str
    source_url: str
    event: EditEvent
    window_start: str | None  # last time the old wording was seen
    window_end: str  # first time the new wording was seen
    before: Evidence | None  # None for the first version of a page
    after: Evidence

    @property
    def entry_id(self) -> str:
        """The edit's stable id (Atom entry id, Datasette's `atom_id`); see `edit_entry_id`."""
        e = self.event
        before = self.before.sha256 if self.before else None
        return edit_entry_id(
            self.source, e.kind, e.incident_key, e.update_key, e.field, before, self.after.sha256
        )


_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9._~-]+")


def edit_entry_id(
    source: str,
    kind: str,
    incident_key: str,
    update_key: str | None,
    field: str | None,
    before_sha256: str | None,
    after_sha256: str,
) -> str:
    """A tag URI that depends only on what changed and the two bodies it lies between.

    Row ids change when edits are rebuilt from stored snapshots; the bodies' hashes do not, so
    a feed reader never sees the same edit twice. The archive stores it with each edit row.
    """
    parts = (
        source,
        kind,
        incident_key,
        update_key or "",
        field or "",
        before_sha256 or "",
        after_sha256,
    )
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "replace")).hexdigest()[:32]
    slug = _TAG_UNSAFE.sub("-", source).strip("-") or "source"
    return f"tag:status-tracker,2026:edit/{slug}/{digest}"


@dataclass(frozen=True)
class UpdateVersion:
    """One distinct wording an update has had, with when it was seen."""

    text: str
    first_seen: str
    last_seen: str
    first_snapshot: int
    last_snapshot: int


@dataclass(frozen=True)
class TimelineEntry:
    """An update of an incident, with every wording it has had (the first is as published)."""

    update_key: str
    posted_at: str | None
    status: str | None
    versions: tuple[UpdateVersion, ...]
    removed: bool = False


@dataclass(frozen=True)
class Dossier:
    """Everything the report shows about one incident."""

    source: str
    source_url: str
    incident_key: str
    title: str
    impact: str | None
    status: str | None
    url: str | None
    timeline: tuple[TimelineEntry, ...]
    edits: tuple[EditRecord, ...]


@dataclass(frozen=True)
class Outcome:
    """How one observation of one source ended."""

    source: str
    outcome: str  # new, unchanged, not_modified, flap (see ingest.second_look), failed
    error: str | None = None
    detail: str | None = None
    http_status: int | None = None
    snapshot_id: int | None = None
    sha256: str | None = None
    bytes: int | None = None
    edits: int = 0
    elapsed: float = 0.0


@dataclass(frozen=True)
class RebuildReport:
    """What re-reading one source's stored bodies changed."""

    source: str
    snapshots: int
    documents_changed: int
    unparseable: int
    edits_before: int
    edits_after: int


@dataclass(frozen=True)
class Head:
    """Where the chain ends: the last record's chain hash and how many records it seals."""

    hash: str
    count: int

    def __str__(self) -> str:
        return f"{self.hash} ({self.count} records)"

    def to_dict(self) -> dict[str, Any]:
        return {"hash": self.hash, "count": self.count}
