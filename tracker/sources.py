"""What can be tracked: checked names, URLs and formats, format probing, the catalog."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

from . import catalog, robots
from .archive import Archive
from .archive import nightly as kept
from .errors import ExtractionError, UsageError
from .extract import FORMATS, detect_format
from .fetch import Policy, fetch_url, make_session
from .models import Source
from .times import now_iso

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


def check_url(url: str) -> str:
    problem = None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError as exc:
        problem = str(exc)
    else:
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problem = "it is neither a catalog name nor an http(s) URL"
        elif any(c.isspace() for c in url):
            problem = "it contains spaces (encode them as %20)"
    if problem:
        raise UsageError(f"cannot track {url!r}: {problem}; `tracker catalog` lists the names")
    return url


def name_from_url(url: str) -> str:
    host = (urlsplit(url).hostname or "source").lower()
    host = re.sub(r"^(www|status)\.", "", host)
    slug = re.sub(r"[^a-z0-9]+", "-", host).strip("-")
    return slug[:63] or "source"


def check_name(name: str) -> str:
    chosen = name.lower()
    if not _NAME.match(chosen):
        raise UsageError(
            f"source name {chosen!r} must be lowercase letters, digits, '.', '_' or '-'"
        )
    return chosen


def check_format(fmt: str) -> str:
    if fmt != "auto" and fmt not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise UsageError(f"unknown format {fmt!r}; known formats: auto, {known}")
    return fmt


def new_source(
    target: str,
    *,
    name: str | None = None,
    fmt: str | None = None,
    select: str | None = None,
    ignore: Iterable[str] = (),
    ignore_robots: bool = False,
) -> Source:
    """A Source from a catalog name or a URL, checked but not yet stored."""
    entry = catalog.lookup(target) if "://" not in target else None
    if entry:
        url, default_name, default_format = entry.url, entry.name, entry.format
    else:
        url, default_name, default_format = check_url(target), name_from_url(target), "auto"
    chosen_name = check_name(name or default_name)
    chosen_format = check_format(fmt or default_format)
    options: dict = {}
    if select:
        options["select"] = select
    ignored = [i for i in ignore if i]
    if ignored:
        options["ignore"] = ignored
    if ignore_robots:
        options["ignore_robots"] = True  # fetched whatever its robots.txt says (see robots)
    return Source(chosen_name, url, chosen_format, options, now_iso())


@dataclass(frozen=True)
class Probe:
    """What one look at a new source's URL found: a format, or why there is none yet."""

    format: str | None
    problem: str | None = None


def robots_verdicts(
    archive: Archive, new: Iterable[Source], policy: Policy | None = None
) -> dict[str, tuple[bool, str]]:
    """Whether robots.txt lets each source's page be fetched now (see `robots`)."""
    checks = [robots.Check(s.name, s.url, bool(s.options.get("ignore_robots"))) for s in new]
    load, save = partial(kept.robots_row, archive), partial(kept.save_robots, archive)
    return robots.check(checks, policy or Policy(retries=0), load, save)


def probe_format(source: Source, policy: Policy | None = None) -> Probe:
    """Fetch once to pick the format of an `auto` source (robots.txt checked before)."""
    policy = policy or Policy(retries=0)
    with make_session(policy) as session:
        result = fetch_url(session, source.url, policy)
    if result.error or not result.body:
        return Probe(None, f"the page could not be read now ({result.error}: {result.detail})")
    try:
        fmt = detect_format(result.body, result.content_type, result.final_url or source.url)
    except ExtractionError as exc:
        return Probe(None, f"no known format fits what it serves ({exc})")
    return Probe(fmt)


def add_catalog(archive: Archive) -> int:
    """Add every catalog source not yet tracked; returns how many were added."""
    known = {s.name for s in archive.sources()}
    added = 0
    for entry in catalog.entries():
        if entry.name in known:
            continue
        archive.add_source(Source(entry.name, entry.url, entry.format, {}, now_iso()))
        added += 1
    return added
