"""Where a published edit points: its dossier under the base URL the report is served from,
else the vendor's own incident page, else the page that was tracked."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from ..archive import Archive, nightly
from ..errors import UsageError
from ..models import EditRecord
from .report.safety import safe_href
from .report.views import safe_slug

FEED_NAME = "feed.xml"


def check_base_url(url: str) -> str:
    """An http(s) URL ending in one slash: the directory the report is served from."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise UsageError(
            f"base URL {url!r} must be the http(s) address the report directory is served "
            "from, like https://example.org/status/"
        )
    return url.strip().rstrip("/") + "/"


def dossier_url(base_url: str, record: EditRecord) -> str:
    """The edit's place in the report served at `base_url` (see `publish.report.write`)."""
    slug = safe_slug(record.source, record.event.incident_key)
    return f"{base_url}incidents/{slug}.html#edit-{record.id}"


def feed_url(base_url: str) -> str:
    return base_url + FEED_NAME


def edit_link(record: EditRecord, base_url: str | None, incident_url: str | None) -> str | None:
    """The dossier, else the vendor's incident page, else the tracked page (http(s) only)."""
    if base_url:
        return dossier_url(base_url, record)
    return safe_href(incident_url) or safe_href(record.source_url) or None


BASE_URL_SETTING = "base_url"


def base_url(archive: Archive, option: str | None = None) -> str | None:
    """`--base-url` when given, else the one `tracker config base-url` stored."""
    if option:
        return check_base_url(option)
    return archive.setting(BASE_URL_SETTING)


def set_base_url(archive: Archive, value: str | None) -> str | None:
    """Store the base URL (None forgets it); returns what is stored."""
    if value is None:
        nightly.unset_setting(archive, BASE_URL_SETTING)
        return None
    with archive.transaction():
        archive.set_setting(BASE_URL_SETTING, check_base_url(value))
    return archive.setting(BASE_URL_SETTING)


def incident_urls(archive: Archive, records: Sequence[EditRecord]) -> dict[tuple[str, str], str]:
    """The vendor's page of each incident among `records`, where the page gave one."""
    found = {}
    for key in {(r.source, r.event.incident_key) for r in records}:
        row = archive.incident_row(*key)
        if row and row.get("url"):
            found[key] = row["url"]
    return found
