"""Independent corroboration of an edit: what the Wayback Machine saw around its window.

The CDX API lists the captures of the source's URL from some days before the edit's
observation window to some days after; the captures nearest the window (a few before, those
inside, a few after) are fetched raw (`id_`), read with the source's extractor, and each is
said to show the old wording, the new one, both or neither. Requests go through the same
paced client as `tracker import wayback` (a pause between downloads, minutes of waiting on
429). Nothing is stored: the archive is only read. `save_page_now` asks the Wayback Machine
to capture the page now, so a later reader has an independent copy.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from ..archive import Archive
from ..errors import ExtractionError, ImportFailed, UsageError
from ..extract import extract
from ..models import Document, EditRecord
from ..text import normalize
from ..times import parse
from .wayback import Capture, Sleep, WaybackPolicy, _Client, capture_time, is_transient

SAVE_URL = "https://web.archive.org/save"


@dataclass(frozen=True)
class CorroboratePolicy:
    wayback: WaybackPolicy = field(default_factory=WaybackPolicy)
    save_url: str = SAVE_URL
    days: float = 7.0  # how far before and after the window to list captures
    around: int = 3  # captures kept before and after the window
    inside: int = 20  # captures kept inside the window


@dataclass(frozen=True)
class Observation:
    """One capture: when, where it lies against the window, which wording it shows."""

    timestamp: str
    captured_at: str
    position: str  # before | inside | after
    shows: str  # old | new | both | neither | unreadable | not_fetched
    capture_url: str  # the Wayback page an editor can open
    raw_url: str  # the bytes as captured (`id_`)
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "timestamp": self.timestamp,
            "captured_at": self.captured_at,
            "position": self.position,
            "shows": self.shows,
            "capture_url": self.capture_url,
            "raw_url": self.raw_url,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Corroboration:
    edit_id: int
    source: str
    url: str
    window_start: str | None
    window_end: str
    old: str | None
    new: str | None
    found: int  # captures the CDX API listed in the range
    observations: tuple[Observation, ...]
    saved: str | None = None  # the capture Save Page Now made

    @property
    def complete(self) -> bool:
        return all(o.shows != "not_fetched" for o in self.observations)

    def to_dict(self) -> dict[str, Any]:
        return {
            "edit": self.edit_id,
            "source": self.source,
            "url": self.url,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "old": self.old,
            "new": self.new,
            "captures_listed": self.found,
            "captures": [o.to_dict() for o in self.observations],
            "saved": self.saved,
        }


def corroborate(
    archive: Archive,
    edit_id: int,
    *,
    policy: CorroboratePolicy | None = None,
    save: bool = False,
    sleep: Sleep = time.sleep,
) -> Corroboration:
    """Look for Wayback captures of the edit's page around its window and read each."""
    policy = policy or CorroboratePolicy()
    record = archive.edit_record(edit_id)
    source = archive.get_source_any(record.source)
    url = source["url"]
    start, end = _window(record)
    margin = timedelta(days=policy.days)
    observations: list[Observation] = []
    with _Client(policy.wayback, sleep) as client:
        listed = list(client.captures(url, _cdx_time(start - margin), _cdx_time(end + margin)))
        chosen = _nearest([c for c in listed if c.statuscode == "200"], start, end, policy)
        stopped: str | None = None
        for capture, position in chosen:
            observation = _observe(client, capture, position, policy, source, record, stopped)
            if observation.shows == "not_fetched" and stopped is None:
                stopped = f"not asked: the archive had stopped answering ({observation.detail})"
            observations.append(observation)
        saved = save_page_now(client, url, policy) if save else None
    return Corroboration(
        edit_id=record.id,
        source=record.source,
        url=url,
        window_start=record.window_start,
        window_end=record.window_end,
        old=record.event.old,
        new=record.event.new,
        found=len(listed),
        observations=tuple(observations),
        saved=saved,
    )


def _observe(
    client: _Client,
    capture: Capture,
    position: str,
    policy: CorroboratePolicy,
    source: dict[str, Any],
    record: EditRecord,
    stopped: str | None,
) -> Observation:
    archive_url = policy.wayback.archive_url.rstrip("/")
    raw_url = capture.url(archive_url)
    page = f"{archive_url}/web/{capture.timestamp}/{capture.original}"

    def seen(shows: str, detail: str | None = None) -> Observation:
        stamp = capture.timestamp
        return Observation(stamp, capture_time(stamp), position, shows, page, raw_url, detail)

    if stopped:
        return seen("not_fetched", stopped)
    result = client.capture(raw_url)
    if result.error or result.body is None:
        failure = result.detail or result.error or "no body"
        return seen("not_fetched" if is_transient(result) else "unreadable", failure)
    shows, detail = _reading(source, result.body, result.content_type, source["url"], record)
    return seen(shows, detail)


def save_page_now(client: _Client, url: str, policy: CorroboratePolicy) -> str:
    """Ask the Wayback Machine to capture `url` now; the capture's address, from its answer."""
    result = client.capture(f"{policy.save_url.rstrip('/')}/{url}")
    if result.error:
        raise ImportFailed(
            f"Save Page Now did not capture {url}: {result.detail or result.error}; "
            "try again later, or save it at https://web.archive.org/save"
        )
    for name, value in result.headers.items():
        if name.lower() == "content-location" and value:
            return _absolute(policy.wayback.archive_url, value)
    return str(result.final_url or result.url)


def _absolute(base: str, location: str) -> str:
    if urlsplit(location).scheme in ("http", "https"):
        return location
    return f"{base.rstrip('/')}/{location.lstrip('/')}"


def _window(record: EditRecord) -> tuple[datetime, datetime]:
    end = parse(record.window_end)
    if end is None:
        raise UsageError(f"edit {record.id} has no usable observation time ({record.window_end!r})")
    start = parse(record.window_start) or end
    return start.astimezone(UTC), end.astimezone(UTC)


def _cdx_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def _nearest(
    captures: Iterable[Capture], start: datetime, end: datetime, policy: CorroboratePolicy
) -> list[tuple[Capture, str]]:
    """The last captures before the window, those inside it, the first after it, in order.

    Capture times have whole seconds: one in the second the window starts in is inside.
    """
    start = start.replace(microsecond=0)
    before, inside, after = [], [], []
    for capture in sorted(captures, key=lambda c: c.timestamp):
        moment = datetime.strptime(capture.timestamp[:14].ljust(14, "0"), "%Y%m%d%H%M%S")
        moment = moment.replace(tzinfo=UTC)
        if moment < start:
            before.append(capture)
        elif moment <= end:
            inside.append(capture)
        else:
            after.append(capture)
    keep = policy.around
    return (
        [(c, "before") for c in (before[-keep:] if keep else [])]
        + [(c, "inside") for c in inside[: policy.inside]]
        + [(c, "after") for c in after[:keep]]
    )


def _reading(
    source: dict[str, Any], body: bytes, content_type: str | None, url: str, record: EditRecord
) -> tuple[str, str | None]:
    """Which of the edit's wordings a captured page shows."""
    options = json.loads(source["options"] or "{}")
    try:
        text = _page_text(extract(source["format"], body, content_type, options, url))
        detail = None
    except ExtractionError as exc:
        # Not readable as the source's format (an error page the archive kept, a redesign):
        # the words are looked for in the bytes themselves.
        text = normalize(body.decode("utf-8", "replace"))
        detail = f"read as plain text: {exc}"
    return _shows(text, record.event.old, record.event.new), detail


def _page_text(document: Document) -> str:
    parts = []
    for incident in document.incidents:
        parts.append(incident.title or "")
        parts.extend(update.text for update in incident.updates)
    return normalize("\n".join(parts))


def _shows(text: str, old: str | None, new: str | None) -> str:
    old_n, new_n = normalize(old), normalize(new)
    has_old = bool(old_n) and old_n in text
    has_new = bool(new_n) and new_n in text
    if has_old and has_new:
        # One wording inside the other ("...users." → "...users. We are sorry."): the longer
        # one is what the page showed.
        if old_n in new_n:
            return "new"
        if new_n in old_n:
            return "old"
        return "both"
    if has_old:
        return "old"
    if has_new:
        return "new"
    return "neither"
