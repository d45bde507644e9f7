"""Incident layouts on any status page: repeated blocks, each a title with dated updates under it.

Most status pages that are not hosted by Statuspage still draw incidents the same way: a block
per incident (`<div class="incident">`, `<article>`, `<li class="event">`) holding a title and
a few updates, each an optional status word, the words, and a displayed time. This module finds
that repetition without per-site rules:

- an *incident group* is the elements sharing a class (or `article`/`section` elements), at
  least two of them, most holding a title that is not a date or a status word and some dated
  text, none inside another; the outermost such group wins (days holding incidents have a date
  for a title, updates have no title of their own);
- inside the incidents, the *updates* are the elements sharing a class (or the paragraphs)
  that hold a displayed time and words besides it.

Page chrome (navigation, headers, component lists, footers) is outside every incident and is
not read. Keys do not depend on positions counted from the top: an incident is its id, its
link, or the time of its first update; an update its displayed time.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from ..memo import Memo
from ..models import Incident, Update
from ..text import normalize
from . import dom
from .dom import Node
from .furniture import strip_furniture
from .shape import unique
from .times import displayed_to_utc, in_range, to_utc

_TITLE = "h1, h2, h3, h4, h5, h6, [class*=title], [class*=name], summary"
_TIME_CLASS = re.compile(r"date|time|posted", re.IGNORECASE)
_LABEL_CLASS = re.compile(r"status|label", re.IGNORECASE)
_UNCLASSED = ("article", "section", "p", "li", "dd", "tr", "details")
_STATUS_WORDS = (
    "resolved|monitoring|identified|investigating|update|updated|scheduled|in progress|"
    "completed|verifying|postmortem|post-mortem|maintenance|degraded|outage|recovering|fixed|"
    "mitigated|closed|open|ongoing|active"
)
_STATUS_ONLY = re.compile(rf"^\s*(?:{_STATUS_WORDS})\s*[.:]?\s*$", re.IGNORECASE)
_LEADING_STATUS = re.compile(rf"^\s*({_STATUS_WORDS})\s*(?:[-\u2013\u2014:|]\s*|$)", re.IGNORECASE)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATED = re.compile(
    rf"\b{_MONTH}\s+\d{{1,2}}\b|\b\d{{1,2}}\s+{_MONTH}|\b\d{{4}}-\d{{2}}-\d{{2}}|\b\d{{1,2}}:\d{{2}}\b",
    re.IGNORECASE,
)
_DATE_ONLY = re.compile(
    rf"^[\s,.\-]*(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*)?"
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}\s+{_MONTH}|\d{{4}}-\d{{2}}-\d{{2}})"
    r"(?:,?\s*\d{4})?[\s,.\-]*$",
    re.IGNORECASE,
)
_DAY = re.compile(r"([A-Z][a-z]{2})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})")
_WORDS = re.compile(r"[^\W\d_]{3,}")
_POSTED = re.compile(r"^[\s\W]*(?:(?:posted|updated|published)\b[\s\W]*)?|[\s\W]+$", re.IGNORECASE)
_SEPARATOR = re.compile(r"^\s*[-\u2013\u2014:|]\s*|\s*[-\u2013\u2014|]\s*$")
# The leading halves of _POSTED and _SEPARATOR. Their trailing halves end at the end of the
# text and are tried at every position, which costs more than the rest of an update's reading;
# when the last character rules them out, the leading half alone gives the same result.
_POSTED_LEAD = re.compile(r"^[\s\W]*(?:(?:posted|updated|published)\b[\s\W]*)?", re.IGNORECASE)
_SEPARATOR_LEAD = re.compile(r"^\s*[-\u2013\u2014:|]\s*")
_WORD_CHAR = re.compile(r"\w")
_MIN_INCIDENTS = 2
_SAMPLE = 12


@dataclass(frozen=True)
class Layout:
    incidents: list[Node]
    update_selector: str | None  # None: the paragraphs and list items of each incident


def find_layout(root: Node, skip: set[int]) -> Layout | None:
    """The page's incident blocks and how their updates are marked, if it has that layout."""
    qualifying = [members for members in _groups(root, skip) if _is_incident_group(members)]
    # A group inside another group's members holds its parts (updates), not incidents.
    outermost = [
        members
        for members in qualifying
        if not any(other is not members and _contains(other, members[0]) for other in qualifying)
    ]
    if not outermost:
        return None
    incidents = max(outermost, key=len)
    return Layout(incidents, _update_selector(incidents, skip))


def read_incidents(layout: Layout, skip: set[int]) -> tuple[Incident, ...]:
    days: dict[int, re.Match[str] | None] = {}  # the incidents of one day share their ancestors
    incidents = [
        _incident(member, layout.update_selector, skip, days) for member in layout.incidents
    ]
    keys = unique(key for key, _ in incidents)
    return tuple(
        replace(incident, key=key) for (_, incident), key in zip(incidents, keys, strict=True)
    )


def _groups(root: Node, skip: set[int]) -> list[list[Node]]:
    by_name: dict[str, list[Node]] = {}
    seen: set[int] = set()
    for node in root.css("[class], article, section, details"):
        ident = node.mem_id
        if ident in skip or ident in seen or node.tag in ("html", "body"):
            continue
        seen.add(ident)  # an element matching two of the selectors is listed twice
        names = dom.classes(node) or ([f"<{node.tag}>"] if node.tag in _UNCLASSED else [])
        for name in names:
            by_name.setdefault(f"{node.tag}.{name}", []).append(node)
    return [members for members in by_name.values() if len(members) >= _MIN_INCIDENTS]


def _is_incident_group(members: list[Node]) -> bool:
    if _nested(members):
        return False
    good = 0
    sample = members[:_SAMPLE]  # the layout repeats: a sample tells as well as every member
    for member in sample:
        title = _title(member)
        if title is None:
            continue
        rest = member.text()
        if _DATED.search(rest):
            good += 1
    return good >= _MIN_INCIDENTS and good * 5 >= len(sample) * 4


def _nested(members: list[Node]) -> bool:
    ids = {member.mem_id for member in members}
    return any(dom.enclosed_by(member, ids) for member in members[:3])


def _contains(outer: list[Node], inner: Node) -> bool:
    return dom.enclosed_by(inner, {member.mem_id for member in outer})


def _title(member: Node) -> Node | None:
    """The element naming an incident: a heading or a title-classed element whose words are
    neither a date (a day's heading) nor a status word (an update's label)."""
    for node in dom.find_all(member, _TITLE):
        words = normalize(node.text())
        if not words:
            continue
        if _DATE_ONLY.match(words) or _STATUS_ONLY.match(words) or not _WORDS.search(words):
            return None
        return node
    return None


def _update_selector(incidents: list[Node], skip: set[int]) -> str | None:
    """The class (or tag) the updates of these incidents share, if any."""
    counts: Counter[str] = Counter()
    holders: Counter[str] = Counter()
    sample = incidents[:_SAMPLE]
    for member in sample:
        title = _title(member)
        seen: set[str] = set()
        listed: set[int] = set()
        for node in dom.find_all(member, "[class], p, li, dd, tr, article, section"):
            ident = node.mem_id
            if ident in skip or ident in listed or (title is not None and ident == title.mem_id):
                continue
            listed.add(ident)
            if not _words_besides_dates(node.text()):
                continue
            names = dom.classes(node) or ([f"<{node.tag}>"] if node.tag in _UNCLASSED else [])
            for name in names:
                if '"' in name or "\\" in name:
                    continue
                tag = node.tag or ""
                # [class~=...] rather than .name: class names may hold ":" or "/" (utility CSS).
                selector = tag if name.startswith("<") else f'{tag}[class~="{name}"]'
                counts[selector] += 1
                seen.add(selector)
        holders.update(seen)
    candidates = [
        selector
        for selector, count in counts.items()
        if holders[selector] * 2 >= len(sample) and not _nested_updates(sample, selector)
    ]
    if not candidates:
        return None
    # The most numerous marks the updates themselves; among equals, the outermost element.
    top = max(counts[selector] for selector in candidates)
    return min((s for s in candidates if counts[s] == top), key=lambda s: (len(s), s))


def _words_besides_dates(text: str) -> bool:
    """Whether `text` holds a date and a word outside its dates: `_WORDS` searched in
    `_DATED.sub(" ", text)`, one stretch between dates at a time, stopping at the first word
    (`_WORDS` has no anchors, so searching a stretch in place equals searching its copy)."""
    start = 0
    dated = False
    for match in _DATED.finditer(text):
        dated = True
        if _WORDS.search(text, start, match.start()):
            return True
        start = match.end()
    return dated and _WORDS.search(text, start) is not None


def _nested_updates(incidents: list[Node], selector: str) -> bool:
    for member in incidents[:3]:
        matches = dom.find_all(member, selector)
        if matches and _nested(matches):
            return True
    return False


def _incident(
    member: Node, update_selector: str | None, skip: set[int], days: dict[int, re.Match[str] | None]
) -> tuple[str, Incident]:
    title_node = _title(member)
    title = _clean(dom.text(title_node, skip)) if title_node else ""
    inner = set(skip)
    if title_node is not None:
        inner.add(title_node.mem_id)
    if update_selector:
        blocks = [n for n in dom.find_all(member, update_selector) if n.mem_id not in skip]
    else:
        blocks = [
            n
            for n in dom.find_all(member, "p, li, dd, tr")
            if n.mem_id not in skip and not _inside_title(n, title_node)
        ]
    reference = _reference(member, days)
    read = [u for u in (_update(block, inner, reference) for block in blocks) if u is not None]
    keys = unique(
        update.posted_at or update.meta.get("displayed") or f"update[{len(read) - position}]"
        for position, update in enumerate(read)
    )
    updates = tuple(
        Update(key, update.posted_at, update.status, update.fields, update.meta)
        for update, key in zip(read, keys, strict=True)
    )
    link = _link(title_node) or _link(member)
    times = [update.posted_at for update in updates if update.posted_at]
    first_shown = updates[-1].meta.get("displayed") if updates else None
    key = (
        dom.attr(member, "id")
        or (f"link:{link}" if link else None)
        or (f"at:{min(times)}" if times else None)
        or (f"shown:{first_shown}" if first_shown else None)
        or f"title:{title}"
    )
    status = updates[0].status if updates else None
    incident = Incident(
        key=key,
        title=title,
        status=status,
        url=link,
        created_at=min(times) if times else None,
        updates=updates,
    )
    return key, incident


def _inside_title(node: Node, title: Node | None) -> bool:
    if title is None:
        return False
    return node.mem_id == title.mem_id or dom.enclosed_by(node, (title.mem_id,))


def _update(block: Node, skip: set[int], reference: datetime | None) -> Update | None:
    local = set(skip)
    shown_node, label_node = _parts(block, local)
    displayed, posted = "", None
    if shown_node is not None:
        displayed = _strip_posted(_clean(dom.text(shown_node, local)))
        posted = to_utc(dom.attr(shown_node, "datetime")) if shown_node.tag == "time" else None
        local.add(shown_node.mem_id)
    label = ""
    if label_node is not None and label_node.mem_id not in local:
        words = normalize(label_node.text())
        if _STATUS_ONLY.match(words):
            label = words.rstrip(".:")
            local.add(label_node.mem_id)
    body = _clean(dom.text(block, local))
    if not label:
        match = _LEADING_STATUS.match(body)
        if match and len(body) > match.end():
            label, body = match.group(1), body[match.end() :]
    body = _strip_separators(body)
    if not body and not displayed:
        return None
    if posted is None and displayed:
        posted = _displayed_to_utc(displayed, reference)
    return Update(
        key="",
        posted_at=posted,
        status=label.lower().replace(" ", "_") or None,
        fields={"body": body},
        meta={"displayed": displayed or None},
    )


def _strip_posted(text: str) -> str:
    """`_POSTED.sub("", text)`: "Posted", "Updated" before a time and marks around it gone."""
    if text and _WORD_CHAR.match(text[-1]):  # no [\s\W]+ can end the text
        return text[_POSTED_LEAD.match(text).end() :]  # type: ignore[union-attr]
    return _POSTED.sub("", text)


def _strip_separators(body: str) -> str:
    """`_SEPARATOR.sub("", body).strip()`: a dash or bar left at either end by the parts taken
    out of an update (its status word, its time) is dropped."""
    if body and not body[-1].isspace() and body[-1] not in "-\u2013\u2014|":
        lead = _SEPARATOR_LEAD.match(body)
        return (body[lead.end() :] if lead else body).strip()
    return _SEPARATOR.sub("", body).strip()


def _parts(block: Node, skip: set[int]) -> tuple[Node | None, Node | None]:
    """The element showing an update's time, and the one that may hold its status word.

    One walk over the block's elements: a CSS query per update would compile its selector each
    time, which costs more than the walk.
    """
    shown = label = None
    for node in dom.elements(block):
        if node.mem_id in skip:
            continue
        tag = node.tag
        marks = node.attributes.get("class") or ""
        timed = tag in ("time", "small") or _TIME_CLASS.search(marks)
        if shown is None and timed and _DATED.search(node.text()):
            shown = node
        if label is None and (tag in ("strong", "b") or _LABEL_CLASS.search(marks)):
            label = node
        if shown is not None and label is not None:
            break
    return shown, label


def _reference(member: Node, days: dict[int, re.Match[str] | None]) -> datetime | None:
    """A day near the incident, for the year of "Dec 1, 10:02 UTC": a date the incident shows
    with its year, else the heading of the day it is listed under.

    `days` remembers, for the elements above incidents already read, the day found from there
    up (the tree does not change while a page is read)."""
    match = _DAY.search(member.text())
    if match is None and member.tag != "body":
        parent = member.parent
        if parent is not None:
            match = _listed_day(parent, days)
    if match is None:
        return None
    return _noon(" ".join(match.groups()))


def _listed_day(node: Node, days: dict[int, re.Match[str] | None]) -> re.Match[str] | None:
    """The date in the first heading (or date-classed element) inside `node`, else inside the
    nearest element above it that has one; no higher than <body>."""
    climbed: list[int] = []
    match: re.Match[str] | None = None
    current: Node | None = node
    while current is not None:
        ident = current.mem_id
        if ident in days:
            match = days[ident]
            break
        climbed.append(ident)
        heading = dom.first(current, "h1, h2, h3, h4, h5, h6, [class*=date]")
        match = _DAY.search(heading.text()) if heading is not None else None
        if match is not None or current.tag == "body":
            break
        current = current.parent
    for ident in climbed:
        days[ident] = match
    return match


@functools.lru_cache(maxsize=4096)
def _noon(day: str) -> datetime | None:
    try:  # noon, so that the day is the same in every time zone a page may use
        noon = datetime.strptime(day, "%b %d %Y")
    except ValueError:
        return None
    return in_range(noon.replace(hour=12, tzinfo=UTC))


# Pure, and the same few displayed times come back on every fetch of a page.
_displayed_to_utc = functools.lru_cache(maxsize=8192)(displayed_to_utc)


def _link(node: Node | None) -> str | None:
    if node is None:
        return None
    anchor = node if node.tag == "a" else dom.first(node, "a[href]")
    href = dom.attr(anchor, "href") if anchor is not None else None
    if not href or href.startswith(("javascript:", "#")) and len(href) < 2:
        return None
    return normalize(href) or None


# Blocks repeat from fetch to fetch (the noise is elsewhere on the page): each text once.
_CLEAN: Memo[str, str] = Memo(budget=8_000_000)


def _clean(text: str) -> str:
    return _CLEAN.get(text, lambda: strip_furniture(normalize(text)))
