"""A sources file: every tracked page (and where edits are sent) in one TOML file, or the feeds
of an OPML list, added in one go.

`tracker sources --export > tracker.toml` writes the file; `tracker add --from tracker.toml`
reads it back. Adding the same file twice changes nothing; an entry that cannot be added is
named with its line, and nothing of the file is added then.
"""

from __future__ import annotations

import json
import re
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import sources as tracking
from .archive import Archive
from .errors import TrackerError, UsageError
from .models import Source
from .publish import notify

SOURCE_KEYS = {"name", "url", "format", "select", "ignore", "ignore_robots"}
NOTIFY_KEYS = {"url", "min_score", "silent_only", "source"}


@dataclass(frozen=True)
class Entry:
    """One source of the file, where it was written."""

    line: int
    source: Source


@dataclass(frozen=True)
class Target:
    line: int
    url: str
    min_score: float | None = None
    silent_only: bool = False
    source: str | None = None


@dataclass(frozen=True)
class SourcesFile:
    path: str
    sources: tuple[Entry, ...]
    targets: tuple[Target, ...] = ()


@dataclass
class AddReport:
    """What adding a file did, source by source."""

    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    targets_added: int = 0
    probed: dict[str, str] = field(default_factory=dict)  # name → format found or the problem


# -- reading ---------------------------------------------------------------------------------


def read(path: Path) -> SourcesFile:
    """The sources (and notification targets) a TOML or OPML file lists, checked."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    head = raw[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml") or head.startswith(b"<opml"):
        return read_opml(str(path), raw)
    return read_toml(str(path), raw)


def read_toml(path: str, raw: bytes) -> SourcesFile:
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path} is not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - {"source", "notify"})
    if unknown:
        raise UsageError(
            f"{path}: unknown table {unknown[0]!r}; a sources file has [[source]] and "
            "[[notify]] entries"
        )
    source_lines = _header_lines(text, "source")
    notify_lines = _header_lines(text, "notify")
    entries = []
    for number, item in enumerate(_tables(path, data, "source")):
        line = _nth(source_lines, number)
        entries.append(Entry(line, _source(path, line, item)))
    _no_duplicates(path, entries)
    targets = []
    for number, item in enumerate(_tables(path, data, "notify")):
        line = _nth(notify_lines, number)
        targets.append(_target(path, line, item))
    return SourcesFile(path, tuple(entries), tuple(targets))


def _header_lines(text: str, name: str) -> list[int]:
    pattern = re.compile(rf"^[ \t]*\[\[[ \t]*{name}[ \t]*\]\]", re.MULTILINE)
    return [text.count("\n", 0, m.start()) + 1 for m in pattern.finditer(text)]


def _nth(lines: list[int], number: int) -> int:
    return lines[number] if number < len(lines) else 0


def _tables(path: str, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise UsageError(f"{path}: {key!r} must be a list of tables, written [[{key}]]")
    return items


def _where(path: str, line: int, what: str) -> str:
    return f"{path}, line {line} ({what})" if line else f"{path} ({what})"


def _source(path: str, line: int, item: dict[str, Any]) -> Source:
    where = _where(path, line, f"source {item.get('name') or item.get('url') or '?'}")
    unknown = sorted(set(item) - SOURCE_KEYS)
    if unknown:
        raise UsageError(
            f"{where}: unknown key {unknown[0]!r}; known: {', '.join(sorted(SOURCE_KEYS))}"
        )
    target = item.get("url") or item.get("name")
    if not isinstance(target, str) or not target:
        raise UsageError(f"{where}: a source needs a url (or a catalog name)")
    ignore = item.get("ignore", [])
    if isinstance(ignore, str):
        ignore = [ignore]
    for key, value, kind in (
        ("name", item.get("name"), str),
        ("format", item.get("format"), str),
        ("select", item.get("select"), str),
        ("ignore_robots", item.get("ignore_robots"), bool),
    ):
        if value is not None and not isinstance(value, kind):
            raise UsageError(f"{where}: {key} must be a {kind.__name__}")
    if not isinstance(ignore, list) or not all(isinstance(i, str) for i in ignore):
        raise UsageError(f"{where}: ignore must be a list of CSS selectors")
    try:
        return tracking.new_source(
            target,
            name=item.get("name"),
            fmt=item.get("format"),
            select=item.get("select"),
            ignore=ignore,
            ignore_robots=bool(item.get("ignore_robots")),
        )
    except TrackerError as exc:
        raise UsageError(f"{where}: {exc}") from exc


def _target(path: str, line: int, item: dict[str, Any]) -> Target:
    where = _where(path, line, "notify")
    unknown = sorted(set(item) - NOTIFY_KEYS)
    if unknown:
        raise UsageError(
            f"{where}: unknown key {unknown[0]!r}; known: {', '.join(sorted(NOTIFY_KEYS))}"
        )
    url = item.get("url")
    score = item.get("min_score")
    if not isinstance(url, str) or not url:
        raise UsageError(f"{where}: a notification target needs a url (an apprise URL)")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
        raise UsageError(f"{where}: min_score must be a number")
    source = item.get("source")
    if source is not None and not isinstance(source, str):
        raise UsageError(f"{where}: source must be a source name")
    silent = item.get("silent_only", False)
    if not isinstance(silent, bool):
        raise UsageError(f"{where}: silent_only must be true or false")
    return Target(line, url, None if score is None else float(score), silent, source)


def _no_duplicates(path: str, entries: Sequence[Entry]) -> None:
    seen: dict[str, int] = {}
    for entry in entries:
        name = entry.source.name
        if name in seen:
            raise UsageError(
                f"{_where(path, entry.line, f'source {name}')}: the name is used already on "
                f"line {seen[name]}; give one of them another name"
            )
        seen[name] = entry.line


def read_opml(path: str, raw: bytes) -> SourcesFile:
    """The feeds of an OPML subscription list (`<outline xmlUrl=...>`), as `feed` sources."""
    if b"<!ENTITY" in raw.upper():  # no entity expansion games
        raise UsageError(f"{path}: OPML with entity declarations is not read")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise UsageError(f"{path} is not valid OPML: {exc}") from exc
    if root.tag.lower() != "opml":
        raise UsageError(f"{path} is neither TOML nor OPML (its root element is <{root.tag}>)")
    entries = []
    taken: set[str] = set()
    for number, outline in enumerate(root.iter("outline"), start=1):
        url = outline.get("xmlUrl") or outline.get("xmlurl")
        if not url:
            continue
        title = outline.get("title") or outline.get("text") or ""
        where = f"{path} (outline {number}: {title or url})"
        try:
            name = _unique(_slug(title) or tracking.name_from_url(url), taken)
            source = tracking.new_source(url, name=name, fmt="feed")
        except TrackerError as exc:
            raise UsageError(f"{where}: {exc}") from exc
        entries.append(Entry(0, source))
    if not entries:
        raise UsageError(f"{path}: no <outline xmlUrl=...> feed in this OPML file")
    return SourcesFile(path, tuple(entries))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63].strip("-")


def _unique(name: str, taken: set[str]) -> str:
    chosen, counter = name, 2
    while chosen in taken:
        chosen = f"{name[:60]}-{counter}"
        counter += 1
    taken.add(chosen)
    return chosen


# -- adding ----------------------------------------------------------------------------------


def add_all(archive: Archive, listed: SourcesFile, probe: bool = True) -> AddReport:
    """Add every source and target not there yet; a source already tracked as listed is kept.

    Everything is checked before anything is added. `auto` sources are probed concurrently.
    """
    report = AddReport()
    tracked = {s.name: s for s in archive.sources()}
    fresh: list[Source] = []
    for entry in listed.sources:
        source = entry.source
        known = tracked.get(source.name)
        if known is None:
            fresh.append(source)
        elif (
            known.url == source.url
            and (source.format in ("auto", known.format))
            and (_plain(known.options) == _plain(source.options))
        ):
            report.unchanged.append(source.name)
        else:
            where = _where(listed.path, entry.line, f"source {source.name}")
            raise UsageError(
                f"{where}: {source.name!r} is tracked already with another URL, format or "
                f"options ({known.url} [{known.format}]); rename the entry or "
                "`tracker remove` the source first"
            )
    names = {s.name for s in fresh} | set(tracked)
    for target in listed.targets:
        try:
            notify.check_url(target.url)
        except TrackerError as exc:
            raise UsageError(f"{_where(listed.path, target.line, 'notify')}: {exc}") from exc
        if target.source and target.source not in names:
            raise UsageError(
                f"{_where(listed.path, target.line, 'notify')}: no source named "
                f"{target.source!r} in the file or the archive"
            )
    with archive.transaction():
        for source in fresh:
            archive.add_source(source)
            report.added.append(source.name)
    if probe:
        report.probed = _probe([s for s in fresh if s.format == "auto"], archive)
    for target in listed.targets:
        _, added = notify.add_target(
            archive,
            target.url,
            min_score=target.min_score,
            silent_only=target.silent_only,
            source=target.source,
        )
        report.targets_added += added
    return report


def _plain(options: dict[str, Any]) -> str:
    return json.dumps(options, sort_keys=True)


def _probe(auto: Sequence[Source], archive: Archive) -> dict[str, str]:
    """Look at each `auto` source's page at once (a few at a time) to pick its format."""
    if not auto:
        return {}
    verdicts = tracking.robots_verdicts(archive, auto)
    found = {s.name: f"auto: not probed, {verdicts[s.name][1]}" for s in auto}
    auto = [s for s in auto if verdicts[s.name][0]]
    with ThreadPoolExecutor(max_workers=8) as pool:
        probes = list(pool.map(tracking.probe_format, auto))
    for source, probe in zip(auto, probes, strict=True):
        if probe.format:
            archive.set_format(source.name, probe.format)
            found[source.name] = probe.format
        else:
            found[source.name] = f"auto: {probe.problem}"
    return found


# -- writing ---------------------------------------------------------------------------------


def export_toml(sources: Sequence[Source], targets: Sequence[notify.Target]) -> str:
    """The archive's sources and targets as a sources file `tracker add --from` reads back."""
    lines = [
        "# status-tracker sources: `tracker add --from tracker.toml` adds them (again: no change)",
        "",
    ]
    for source in sources:
        lines.append("[[source]]")
        lines.append(f"name = {_toml(source.name)}")
        lines.append(f"url = {_toml(source.url)}")
        lines.append(f"format = {_toml(source.format)}")
        options = source.options
        if options.get("select"):
            lines.append(f"select = {_toml(options['select'])}")
        if options.get("ignore"):
            lines.append(f"ignore = [{', '.join(_toml(i) for i in options['ignore'])}]")
        if options.get("ignore_robots"):
            lines.append("ignore_robots = true")
        lines.append("")
    for target in targets:
        lines.append("[[notify]]")
        lines.append(f"url = {_toml(target.url)}")
        if target.min_score is not None:
            lines.append(f"min_score = {target.min_score!r}")
        if target.silent_only:
            lines.append("silent_only = true")
        if target.source:
            lines.append(f"source = {_toml(target.source)}")
        lines.append("")
    return "\n".join(lines)


def _toml(value: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's; DEL is the one control JSON leaves."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
