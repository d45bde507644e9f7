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
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from ..memo import Memo
from ..models import Incident, Update
from ..text import normalize, normalize_unremembered
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
# A date or a clock time: "Dec 1", "1 Dec", "2021-01-12", "14:45" (the alternatives that start
# with a digit share it, and are tried in the order written).
_DATED_SOURCE = (
    rf"\b(?:{_MONTH}\s+\d{{1,2}}\b|\d(?:\d?\s+{_MONTH}|\d{{3}}-\d{{2}}-\d{{2}}|\d?:\d{{2}}\b))"
)
_DATED = re.compile(_DATED_SOURCE, re.IGNORECASE)
# The same, for ASCII text once lowered: IGNORECASE then matches exactly what matching the
# lowered text does (at the same positions), and a case-sensitive pattern is tried at each
# position in half the time. (Outside ASCII, IGNORECASE also folds "ſ" to "s" and "K" to "k".)
_DATED_LOWERED = re.compile(_DATED_SOURCE)
_DATE_ONLY = re.compile(
    rf"^[\s,.\-]*(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*)?"
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}\s+{_MONTH}|\d{{4}}-\d{{2}}-\d{{2}})"
    r"(?:,?\s*\d{4})?[\s,.\-]*$",
    re.IGNORECASE,
)
_DAY = re.compile(r"([A-Z][a-z]{2})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})")
_MONTH_NUMBERS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_DAY_OF_MONTH = re.compile(r"3[01]|[12]\d|0[1-9]|[1-9]")
_DIGITS_AS_ZEROS = bytes.maketrans(b"123456789", b"000000000")
_WORDS = re.compile(r"[^\W\d_]{3,}")
_POSTED = re.compile(r"^[\s\W]*(?:(?:posted|updated|published)\b[\s\W]*)?|[\s\W]+$", re.IGNORECASE)
_SEPARATOR = re.compile(r"^\s*[-\u2013\u2014:|]\s*|\s*[-\u2013\u2014|]\s*$")
# The leading halves of _POSTED and _SEPARATOR. Their trailing halves end at the end of the
# text and are tried at every position, which costs more than the rest of an update's reading;
# when the last character rules them out, the leading half alone gives the same result.
_POSTED_LEAD = re.compile(r"^[\s\W]*(?:(?:posted|updated|published)\b[\s\W]*)?", re.IGNORECASE)
_SEPARATOR_LEAD = re.compile(r"^\s*[-\u2013\u2014:|]\s*")
_WORD_CHAR = re.compile(r"\w")
_DAY_HEADING = "h1, h2, h3, h4, h5, h6, [class*=date]"
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_WALKED = 64
_MIN_INCIDENTS = 2
_SAMPLE = 12


@dataclass(frozen=True)
class Layout:
    incidents: list[Node]
    update_selector: str | None  # None: the paragraphs and list items of each incident
    # The title found for each element looked at so far, by mem_id (valid while the tree lives).
    titles: dict[int, Node | None] = field(default_factory=dict, repr=False, compare=False)


def find_layout(root: Node, skip: set[int]) -> Layout | None:
    """The page's incident blocks and how their updates are marked, if it has that layout."""
    titles: dict[int, Node | None] = {}
    qualifying = [members for members in _groups(root, skip) if _is_incident_group(members, titles)]
    # A group inside another group's members holds its parts (updates), not incidents.
    outermost = [
        members
        for members in qualifying
        if not any(other is not members and _contains(other, members[0]) for other in qualifying)
    ]
    if not outermost:
        return None
    incidents = max(outermost, key=len)
    return Layout(incidents, _update_selector(incidents, skip, titles), titles)


def read_incidents(layout: Layout, skip: set[int]) -> tuple[Incident, ...]:
    days: dict[int, re.Match[str] | None] = {}  # the incidents of one day share their ancestors
    incidents = [
        _incident(member, layout.update_selector, skip, days, layout.titles)
        for member in layout.incidents
    ]
    keys = unique(key for key, _ in incidents)
    return tuple(
        incident if incident.key == key else replace(incident, key=key)
        for (_, incident), key in zip(incidents, keys, strict=True)
    )


def _groups(root: Node, skip: set[int]) -> list[list[Node]]:
    by_name: dict[str, list[Node]] = {}
    # A page repeats a few (tag, class attribute) pairs on hundreds of elements: the groups
    # each pair puts an element in are worked out once.
    lists: dict[tuple[str | None, str | None], list[list[Node]]] = {}
    seen: set[int] = set()
    for node in root.css("[class], article, section, details"):
        ident = node.mem_id
        if ident in skip or ident in seen:
            continue
        tag = node.tag
        if tag in ("html", "body"):
            continue
        seen.add(ident)  # an element matching two of the selectors is listed twice
        marks = node.attrs.get("class")  # (`attributes` would build a dict of them all)
        found = lists.get((tag, marks))
        if found is None:
            names = (marks or "").split() or ([f"<{tag}>"] if tag in _UNCLASSED else [])
            found = [by_name.setdefault(f"{tag}.{name}", []) for name in names]
            lists[tag, marks] = found
        for members in found:
            members.append(node)
    return [members for members in by_name.values() if len(members) >= _MIN_INCIDENTS]


def _is_incident_group(members: list[Node], titles: dict[int, Node | None]) -> bool:
    if _nested(members):
        return False
    good = 0
    sample = members[:_SAMPLE]  # the layout repeats: a sample tells as well as every member
    needed = max(_MIN_INCIDENTS, (len(sample) * 4 + 4) // 5)  # good * 5 >= len(sample) * 4
    for position, member in enumerate(sample):
        if good + len(sample) - position < needed:
            return False  # the members left cannot make up the count
        title = _title(member, titles)
        if title is None:
            continue
        if _has_date(member.text()):
            good += 1
    return good >= needed


def _nested(members: list[Node]) -> bool:
    ids = {member.mem_id for member in members}
    return any(dom.enclosed_by(member, ids) for member in members[:3])


def _contains(outer: list[Node], inner: Node) -> bool:
    return dom.enclosed_by(inner, {member.mem_id for member in outer})


def _title(member: Node, titles: dict[int, Node | None]) -> Node | None:
    """The element naming an incident: a heading or a title-classed element whose words are
    neither a date (a day's heading) nor a status word (an update's label).

    `titles` remembers the answer for each member (a member is looked at while its group is
    judged, while its updates' mark is found and while it is read)."""
    ident = member.mem_id
    if ident in titles:
        return titles[ident]
    found = _find_title(member)
    titles[ident] = found
    return found


def _find_title(member: Node) -> Node | None:
    # Without a child element nothing inside can match (and a CSS query costs microseconds).
    if all((child.tag or "-")[0] == "-" for child in member.iter()):
        return None
    # The first match nearly always has words: Lexbor can stop there, listing every match
    # costs more.
    node = member.css_first(_TITLE)
    if node is None:
        return None
    if node.mem_id != member.mem_id and (words := normalize(node.text())):
        return _named(node, words)
    for node in dom.find_all(member, _TITLE):
        words = normalize(node.text())
        if words:
            return _named(node, words)
    return None


def _named(node: Node, words: str) -> Node | None:
    """`node`, unless its words are a date or a status word rather than a name."""
    if _DATE_ONLY.match(words) or _STATUS_ONLY.match(words) or not _WORDS.search(words):
        return None
    return node


def _update_selector(
    incidents: list[Node], skip: set[int], titles: dict[int, Node | None]
) -> str | None:
    """The class (or tag) the updates of these incidents share, if any."""
    counts: Counter[str] = Counter()
    holders: Counter[str] = Counter()
    sample = incidents[:_SAMPLE]
    for member in sample:
        title = _title(member, titles)
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
    for match in _dates(text):
        dated = True
        if _WORDS.search(text, start, match.start()):
            return True
        start = match.end()
    return dated and _WORDS.search(text, start) is not None


def _dates(text: str) -> Iterator[re.Match[str]]:
    """`_DATED.finditer(text)`."""
    if text.isascii():
        if _digitless(text):
            return iter(())
        return _DATED_LOWERED.finditer(text.lower())
    return _DATED.finditer(text)


def _has_date(text: str) -> bool:
    """`_DATED.search(text) is not None`."""
    if text.isascii():
        return not _digitless(text) and _DATED_LOWERED.search(text.lower()) is not None
    return _DATED.search(text) is not None


def _digitless(text: str) -> bool:
    """Whether ASCII `text` has no digit, so no date (each of `_DATED`'s alternatives holds
    one): ten one-character searches cost a fraction of trying the pattern at every place."""
    return not (
        "0" in text
        or "1" in text
        or "2" in text
        or "3" in text
        or "4" in text
        or "5" in text
        or "6" in text
        or "7" in text
        or "8" in text
        or "9" in text
    )


def _nested_updates(incidents: list[Node], selector: str) -> bool:
    for member in incidents[:3]:
        matches = dom.find_all(member, selector)
        if matches and _nested(matches):
            return True
    return False


def _incident(
    member: Node,
    update_selector: str | None,
    skip: set[int],
    days: dict[int, re.Match[str] | None],
    titles: dict[int, Node | None],
) -> tuple[str, Incident]:
    title_node = _title(member, titles)
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
        posted or displayed or f"update[{len(read) - position}]"
        for position, (posted, _, _, displayed) in enumerate(read)
    )
    updates = tuple(
        Update(key, posted, status, {"body": body}, {"displayed": displayed or None})
        for (posted, status, body, displayed), key in zip(read, keys, strict=True)
    )
    link = _link(title_node) or _link(member)
    times = [posted for posted, _, _, _ in read if posted]
    first_shown = read[-1][3] if read else None
    key = (
        dom.attr(member, "id")
        or (f"link:{link}" if link else None)
        or (f"at:{min(times)}" if times else None)
        or (f"shown:{first_shown}" if first_shown else None)
        or f"title:{title}"
    )
    status = read[0][1] if read else None
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


def _update(
    block: Node, skip: set[int], reference: datetime | None
) -> tuple[str | None, str | None, str, str] | None:
    """An update's (posted_at, status, body, displayed time); None for a block saying nothing.

    `skip` (the incident's own set) also leaves out the time and the status word while the
    block's words are read, and is given back as it came: copying it for every update would
    cost more than reading a short update on a page that skips many elements.
    """
    shown_node, label_node = _parts(block, skip)  # neither is in `skip`
    displayed, posted = "", None
    left_out: list[int] = []
    if shown_node is not None:
        displayed = _strip_posted(_clean(dom.text(shown_node, skip)))
        # `attrs` gives None for a `datetime` without a value (`dom.attr` ""): neither is a time.
        posted = to_utc(shown_node.attrs.get("datetime")) if shown_node.tag == "time" else None
        left_out.append(shown_node.mem_id)
    label = ""
    if label_node is not None and label_node.mem_id not in left_out:
        words = normalize(label_node.text())
        if _STATUS_ONLY.match(words):
            label = words.rstrip(".:")
            left_out.append(label_node.mem_id)
    skip.update(left_out)
    try:
        body = _clean(dom.text(block, skip))
    finally:
        skip.difference_update(left_out)
    if not label:
        match = _LEADING_STATUS.match(body)
        if match and len(body) > match.end():
            label, body = match.group(1), body[match.end() :]
    body = _strip_separators(body)
    if not body and not displayed:
        return None
    if posted is None and displayed:
        posted = _displayed_to_utc(displayed, reference)
    return posted, label.lower().replace(" ", "_") or None, body, displayed


def _strip_posted(text: str) -> str:
    """`_POSTED.sub("", text)`: "Posted", "Updated" before a time and marks around it gone."""
    if text and _WORD_CHAR.match(text[-1]):  # no [\s\W]+ can end the text
        first = text[0]
        if (first.isalnum() or first == "_") and first not in "pPuU":
            return text  # nothing to take: no mark before the time, nor a word it names
        return text[_POSTED_LEAD.match(text).end() :]  # type: ignore[union-attr]
    return _POSTED.sub("", text)


def _strip_separators(body: str) -> str:
    """`_SEPARATOR.sub("", body).strip()`: a dash or bar left at either end by the parts taken
    out of an update (its status word, its time) is dropped."""
    if body and not body[-1].isspace() and body[-1] not in "-\u2013\u2014|":
        if not body[0].isspace() and body[0] not in "-\u2013\u2014:|":
            return body.strip()  # nor can a separator start it
        lead = _SEPARATOR_LEAD.match(body)
        return (body[lead.end() :] if lead else body).strip()
    return _SEPARATOR.sub("", body).strip()


def _parts(block: Node, skip: set[int]) -> tuple[Node | None, Node | None]:
    """The element showing an update's time, and the one that may hold its status word.

    One walk over the block's elements: a CSS query per update would compile its selector each
    time, which costs more than the walk.
    """
    shown = label = None
    own = block.mem_id
    for node in block.traverse():  # dom.elements, without a generator around it
        ident = node.mem_id
        if ident == own or ident in skip:
            continue
        tag = node.tag
        if tag is None or tag[0] == "-":  # a comment
            continue
        marks = node.attrs.get("class")  # (`attributes` would build a dict of them all)
        if (
            shown is None
            and (tag == "time" or tag == "small" or (marks and _TIME_CLASS.search(marks)))
            and _has_date(node.text())
        ):
            shown = node
            if label is not None:
                break
        if label is None and (
            tag == "strong" or tag == "b" or (marks and _LABEL_CLASS.search(marks))
        ):
            label = node
            if shown is not None:
                break
    return shown, label


def _reference(member: Node, days: dict[int, re.Match[str] | None]) -> datetime | None:
    """A day near the incident, for the year of "Dec 1, 10:02 UTC": a date the incident shows
    with its year, else the heading of the day it is listed under.

    `days` remembers, for the elements above incidents already read, the day found from there
    up (the tree does not change while a page is read)."""
    match = _find_day(member.text())
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
        heading = _first_heading(current)
        match = _find_day(heading.text()) if heading is not None else None
        if match is not None or current.tag == "body":
            break
        current = current.parent
    for ident in climbed:
        days[ident] = match
    return match


def _first_heading(node: Node) -> Node | None:
    """`dom.first(node, _DAY_HEADING)`. The heading is nearly always among the first elements
    of the block above an incident: a walk that stops there costs a fraction of the query (which
    compiles its selector each time), and past `_WALKED` elements the query takes over."""
    own = node.mem_id
    for walked, element in enumerate(node.traverse()):
        if walked > _WALKED:
            return dom.first(node, _DAY_HEADING)
        tag = element.tag
        if tag is None or tag[0] == "-" or element.mem_id == own:
            continue
        if tag in _HEADING_TAGS:
            return element
        marks = element.attrs.get("class")
        if marks and "date" in marks:
            return element
    return None


def _find_day(text: str) -> re.Match[str] | None:
    """`_DAY.search(text)`. An incident's text seldom shows a year: in ASCII text four digits
    in a row are looked for first, with bytes operations that cost a fifth of the pattern."""
    if text.isascii() and b"0000" not in text.encode("ascii").translate(_DIGITS_AS_ZEROS):
        return None
    return _DAY.search(text)


@functools.lru_cache(maxsize=4096)
def _noon(day: str) -> datetime | None:
    """`datetime.strptime(day, "%b %d %Y")` at noon UTC (noon, so that the day is the same in
    every time zone a page may use), for a `day` that `_DAY` found: "Dec 1 2026".

    Read by hand: strptime costs ten times more. `_DAY` gives a capital and two small letters
    (matched against the C locale's month abbreviations, as strptime does unless a program
    changes LC_TIME), 1-2 digits and 4 digits; `_DAY_OF_MONTH` is strptime's pattern for %d.
    """
    month, date, year = day.split(" ")
    number = _MONTH_NUMBERS.get(month)
    if number is None or not _DAY_OF_MONTH.fullmatch(date):
        return None
    try:
        noon = datetime(int(year), number, int(date), 12, tzinfo=UTC)
    except ValueError:
        return None
    return in_range(noon)


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
    return _CLEAN.get(text, lambda: strip_furniture(normalize_unremembered(text)))
