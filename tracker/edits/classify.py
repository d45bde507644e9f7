"""Typed flags for an edit, each with a reason a reader can check, and a significance score.

Rules are deterministic and look only at the aligned word diff: each changed stretch (a hunk)
is read together with the words around it, so a phrase the diff cut in two ("major → partial"
in "major outage") is still recognised. The terms the rules read (amounts, times, hedges,
scope, severity, causes, places) are found by tracker.terms; the vocabulary lives in
tracker.wordlists.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .. import times
from ..models import DELETE, EQUAL, INSERT, Classification, DiffOps, EditEvent
from . import terms
from . import wordlists as words

FLAGS: tuple[str, ...] = (
    "quantity_vagued",
    "number_changed",
    "severity_down",
    "severity_up",
    "scope_narrowed",
    "scope_widened",
    "hedge_added",
    "time_changed",
    "cause_changed",
    "text_removed",
    "text_added",
    "cosmetic",
)

BASE_SCORES = {
    "update_edited": 50.0,
    "update_removed": 45.0,
    "incident_removed": 45.0,
    "incident_changed": 40.0,
    "update_added": 1.0,
    "incident_added": 1.0,
}
FIELD_BASE_SCORES = {"title": 30.0, "posted_at": 40.0, "status": 40.0}
FLAG_WEIGHTS = {
    "quantity_vagued": 30.0,
    "severity_down": 25.0,
    "scope_narrowed": 20.0,
    "number_changed": 20.0,
    "cause_changed": 20.0,
    "hedge_added": 15.0,
    "time_changed": 15.0,
    "text_removed": 10.0,
    "severity_up": 8.0,
    "scope_widened": 8.0,
    "text_added": 5.0,
    "cosmetic": 0.0,
}
BACKDATED_BONUS = 20.0
SILENT_FACTOR = 2.0
FLICKER_DIVISOR = 10.0
COSMETIC_CEILING = 1.0

# Incident-level times, by the vendor's field names (see Incident.times).
INCIDENT_TIMES = frozenset(
    {"started_at", "resolved_at", "scheduled_for", "scheduled_until", "begin", "end"}
    | {"startDate", "endDate", "date"}
)
_NUMERIC_FLAGS = {"quantity_vagued", "number_changed", "time_changed"}
_QUOTE_LIMIT = 100


def classify(event: EditEvent, diff: DiffOps) -> Classification:
    """Flags, one reason per flag (same order), and a score for one edit event."""
    found = _findings(event, diff)
    flags = tuple(flag for flag in FLAGS if flag in found)
    reasons = tuple(f"{flag}: {found[flag]}" for flag in flags)
    return Classification(flags=flags, reasons=reasons, score=_score(event, flags))


def strongest_reasons(event: EditEvent, limit: int = 3) -> tuple[tuple[str, ...], int]:
    """The `limit` reasons of the flags that weigh most, in flag order, and how many are left
    out: a long rewrite can raise contradicting flags, and a reader needs the main ones."""
    if len(event.reasons) <= limit or len(event.reasons) != len(event.flags):
        return tuple(event.reasons), 0
    ranked = sorted(
        range(len(event.flags)), key=lambda i: (-FLAG_WEIGHTS.get(event.flags[i], 0.0), i)
    )
    kept = sorted(ranked[:limit])
    return tuple(event.reasons[i] for i in kept), len(event.reasons) - limit


def _findings(event: EditEvent, diff: DiffOps) -> dict[str, str]:
    if event.kind == "update_removed":
        return {"text_removed": f'update "{_clip(event.old or "")}" deleted'}
    if event.kind == "incident_removed":
        return {"text_removed": f'incident "{_clip(event.incident_title)}" deleted'}
    if event.kind in ("update_added", "incident_added"):
        return {}
    if event.field == "posted_at" or event.field in INCIDENT_TIMES:
        return _time_findings(event)
    if event.field == "components":
        return _component_findings(event.old or "", event.new or "")
    if event.field in ("impact", "status"):
        return _ladder_findings(event.field, event.old, event.new)
    return _text_findings(diff, listing=event.field == "title")


def _time_findings(event: EditEvent) -> dict[str, str]:
    """A posted or incident time moved; under a minute is a re-stamp (seconds rounded or
    re-recorded), which tells a reader nothing about the outage."""
    name = "posted time" if event.field == "posted_at" else event.field
    seconds = _seconds_apart(event.old, event.new)
    if seconds is not None and seconds < 60:
        unit = "second" if seconds == 1 else "seconds"
        return {
            "cosmetic": f'{name} "{event.old}" became "{event.new}" (moved by {seconds} {unit})'
        }
    moved = " (moved earlier)" if event.backdated else ""
    return {"time_changed": f'{name} "{event.old}" became "{event.new}"{moved}'}


def _seconds_apart(old: str | None, new: str | None) -> int | None:
    before, after = times.parse(old), times.parse(new)
    if before is None or after is None:
        return None
    return round(abs((after - before).total_seconds()))


def _score(event: EditEvent, flags: tuple[str, ...]) -> float:
    base = FIELD_BASE_SCORES.get(event.field or "", BASE_SCORES.get(event.kind, 1.0))
    score = base + sum(FLAG_WEIGHTS[flag] for flag in flags)
    if event.silent:
        score *= SILENT_FACTOR
    if event.backdated:
        score += BACKDATED_BONUS
    if flags == ("cosmetic",):
        score = min(score, COSMETIC_CEILING)
    if event.flicker:
        score /= FLICKER_DIVISOR
    return score


# -- labels: impact, status, components ------------------------------------------------------


def _ladder_findings(field: str, old: str | None, new: str | None) -> dict[str, str]:
    move = _ladder_move(old, new)
    if move is None or move == 0:
        return {}
    flag = "severity_up" if move > 0 else "severity_down"
    return {flag: f'{field} "{old}" became "{new}"'}


def _ladder_move(old: str | None, new: str | None) -> int | None:
    """+1 or -1 when both labels sit on one severity ladder, else None."""
    a, b = _label(old), _label(new)
    for ladder in words.SEVERITY_LADDERS:
        if a in ladder and b in ladder:
            return (ladder[b] > ladder[a]) - (ladder[b] < ladder[a])
    return None


def _label(value: str | None) -> str:
    return re.sub(r"[\s_-]+", " ", (value or "").strip().lower())


def _component_findings(old: str, new: str) -> dict[str, str]:
    before = [c.strip() for c in old.split(", ") if c.strip()]
    after = [c.strip() for c in new.split(", ") if c.strip()]
    found = {}
    dropped = [c for c in before if c not in after]
    added = [c for c in after if c not in before]
    if dropped:
        found["scope_narrowed"] = "components dropped: " + ", ".join(f'"{c}"' for c in dropped)
    if added:
        found["scope_widened"] = "components added: " + ", ".join(f'"{c}"' for c in added)
    return found


# -- wording ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hunk:
    """One changed stretch: [old_start, old_end) of the old text became [new_start, new_end)."""

    old_start: int
    old_end: int
    new_start: int
    new_end: int
    deleted: str
    inserted: str


def _text_findings(diff: DiffOps, listing: bool = False) -> dict[str, str]:
    old_text, new_text, hunks = _hunks(diff)
    meaningful = [
        hunk
        for hunk in hunks
        if not _is_cosmetic(hunk) and not _is_repeat(hunk, old_text, new_text)
    ]
    if not meaningful:
        return {"cosmetic": _cosmetic_reason(old_text, new_text, hunks)}
    found: dict[str, list[str]] = {}
    for hunk in meaningful:
        for flag, detail in _hunk_findings(hunk, old_text, new_text, listing).items():
            found.setdefault(flag, []).append(detail)
    for flag, detail in _place_findings(old_text, new_text).items():
        found.setdefault(flag, []).append(detail)
    return {flag: _with_count(details) for flag, details in found.items()}


def _with_count(details: list[str]) -> str:
    more = len(details) - 1
    return details[0] + (f" (and {more} more)" if more else "")


def _hunks(diff: DiffOps) -> tuple[str, str, list[_Hunk]]:
    """Both texts rebuilt from the diff, and its changed stretches with their offsets."""
    old_parts: list[str] = []
    new_parts: list[str] = []
    hunks: list[_Hunk] = []
    old_pos = new_pos = 0
    deleted = inserted = ""
    start = (0, 0)
    for op, text in (*diff, (EQUAL, "")):
        if op != EQUAL:
            if not deleted and not inserted:
                start = (old_pos, new_pos)
            if op == DELETE:
                deleted += text
            else:
                inserted += text
        elif deleted or inserted:
            hunks.append(_Hunk(start[0], old_pos, start[1], new_pos, deleted, inserted))
            deleted = inserted = ""
        if op in (EQUAL, DELETE):
            old_parts.append(text)
            old_pos += len(text)
        if op in (EQUAL, INSERT):
            new_parts.append(text)
            new_pos += len(text)
    return "".join(old_parts), "".join(new_parts), hunks


def _hunk_findings(hunk: _Hunk, old_text: str, new_text: str, listing: bool) -> dict[str, str]:
    change = terms.Change(
        (old_text, hunk.old_start, hunk.old_end), (new_text, hunk.new_start, hunk.new_end)
    )
    gone, new = _word_delta(hunk)
    # A whole sentence or clause put in or taken out: what its words say is not a rewording
    # of anything, so quantifiers and hedges in it move nothing.
    bulk = not (gone and new) and (len(gone) + len(new) >= 6 or _has_sentence_end(hunk))
    flags = _amount_flags(change, gone, new)
    if not bulk:
        if not flags & {"quantity_vagued", "number_changed"}:
            flags |= _scope_flags(change)
        if _hedge_added(change):
            flags.add("hedge_added")
    flags |= _severity_flags(change)
    flags = _cause_flags(change, flags)

    found = dict.fromkeys(flags, _became(old_text, new_text, hunk))
    if listing and not flags & {"scope_narrowed", "scope_widened"}:
        found |= _conjunct_findings(hunk, old_text, new_text)
    if "quantity_vagued" in flags and len(gone) <= 5:
        return found  # the amount was the edit, not a clause
    gone, new = _content_words(gone, change.old), _content_words(new, change.new)
    if (len(gone) >= 3 and not new) or _outweighs(gone, new):
        found["text_removed"] = f'"{_clip(hunk.deleted)}" removed'
    if (len(new) >= 3 and not gone) or _outweighs(new, gone):
        found["text_added"] = f'"{_clip(hunk.inserted)}" added'
    return found


# A list's joint at the start or at the end of a stretch of text: ", X", "and X", "X and".
_LEADING_JOINT = re.compile(r"\s*(?:,|and\b|or\b|&)", re.IGNORECASE)
_TRAILING_JOINT = re.compile(r"(?:,|\band|\bor|&)\s*$", re.IGNORECASE)
_CONJUNCT_WORDS = 4


def _conjunct_findings(hunk: _Hunk, old_text: str, new_text: str) -> dict[str, str]:
    """In a title, what is affected is a list: a short conjunct put in ("Delays and errors in
    pull request creation", "SSH and HTTPS Git commands") widens it; one taken out narrows it.
    At most one word may be replaced alongside ("Git performance" → "Git, website, and API
    services")."""
    gone, new = _word_delta(hunk)
    if hunk.inserted.strip() and len(gone) <= 1 and 0 < len(new) <= _CONJUNCT_WORDS:
        text, start, end, flag = new_text, hunk.new_start, hunk.new_end, "scope_widened"
        changed, verb = hunk.inserted, "added to"
    elif not new and 0 < len(gone) <= _CONJUNCT_WORDS:
        text, start, end, flag = old_text, hunk.old_start, hunk.old_end, "scope_narrowed"
        changed, verb = hunk.deleted, "taken out of"
    else:
        return {}
    # The joint is in the change ("and errors") or right beside it ("SSH and | HTTPS Git").
    if not (
        _LEADING_JOINT.match(changed)
        or _TRAILING_JOINT.search(changed)
        or _TRAILING_JOINT.search(text[:start])
        or _LEADING_JOINT.match(text[end:])
    ):
        return {}
    what = _clip(changed.strip(" ,&"))
    return {flag: f'"{what}" {verb} the list of what is affected'}


def _hedge_added(change: terms.Change) -> bool:
    """A hedge the new sentence has and the old one lacks. Read over the whole sentence: a
    hedge phrase that only reaches into the change ("Customers may" → "Some customers may")
    is the same hedge."""
    _, new = change.diff(terms.hedges)
    if not new:
        return False
    sentences = terms.Change(_sentence(change.old), _sentence(change.new))
    return bool(sentences.diff(terms.hedges)[1])


def _sentence(side: tuple[str, int, int]) -> tuple[str, int, int]:
    text, start, end = side
    return (text, *terms.sentence_around(text, start, end))


def _word_delta(hunk: _Hunk) -> tuple[list[str], list[str]]:
    """Words only the old side has, and words only the new side has (case ignored)."""
    before = Counter(terms.plain(w) for w in terms.words_of(hunk.deleted))
    after = Counter(terms.plain(w) for w in terms.words_of(hunk.inserted))
    return list((before - after).elements()), list((after - before).elements())


def _content_words(words_: list[str], side: tuple[str, int, int]) -> list[str]:
    """The words left once quantifiers, hedges and times are set aside: what a clause adds."""
    return list((Counter(words_) - terms.qualifier_words(*side)).elements())


def _outweighs(more: list[str], less: list[str]) -> bool:
    return len(more) - len(less) >= 5 and len(less) * 2 <= len(more)


def _has_sentence_end(hunk: _Hunk) -> bool:
    return terms.has_sentence_end(hunk.deleted) or terms.has_sentence_end(hunk.inserted)


def _amount_flags(change: terms.Change, gone: list[str], new: list[str]) -> set[str]:
    """Numbers, amounts and times: made vague, changed, or rewritten."""
    numbers_gone, numbers_new = change.diff(terms.numbers)
    durations_gone, durations_new = change.diff(terms.durations)
    if (numbers_gone or durations_gone) and not (numbers_new or durations_new):
        # "30 percent of users" → "some users"; "affected 30% of customers" → "affected
        # customers": the amount went and nothing precise took its place.
        dropped = not new and len(gone) <= 5
        if dropped or change.diff(terms.vague)[1]:
            return {"quantity_vagued"}
    flags = set()
    if numbers_gone and numbers_new:
        flags.add("number_changed")
    times_gone, times_new = change.diff(terms.times)
    if (times_gone or times_new) and ((gone and new) or max(len(gone), len(new)) <= 5):
        flags.add("time_changed")
    return flags


def _scope_flags(change: terms.Change) -> set[str]:
    """Quantifier words moving on the scope scale: "all users" → "some users"."""
    gone, new = change.diff(terms.scope)
    if not gone and not new:
        return set()
    before = max((words.SCOPE_WORDS[t] for t in gone), default=words.IMPLICIT_SCOPE)
    after = max((words.SCOPE_WORDS[t] for t in new), default=words.IMPLICIT_SCOPE)
    if after < before:
        return {"scope_narrowed"}
    if after > before:
        return {"scope_widened"}
    return set()


def _place_findings(old_text: str, new_text: str) -> dict[str, str]:
    """A place named before and not after narrows the scope; a newly named one widens it."""
    before = set(terms.locations(old_text, 0, len(old_text)))
    after = set(terms.locations(new_text, 0, len(new_text)))
    found = {}
    if before - after:
        found["scope_narrowed"] = _listing(before - after, old_text) + " no longer named"
    if after - before:
        found["scope_widened"] = _listing(after - before, new_text) + " now named"
    return found


def _listing(terms: set[str], text: str) -> str:
    """The terms as the text spells them, quoted."""
    spelled = []
    for term in sorted(terms):
        match = re.search(re.escape(term).replace(r"\ ", r"\s+"), text, re.IGNORECASE)
        spelled.append(f'"{match.group(0) if match else term}"')
    return ", ".join(spelled)


def _severity_flags(change: terms.Change) -> set[str]:
    """The worst severity phrase removed against the worst one added."""
    gone, new = change.diff(terms.severity)
    worst_gone = max((words.SEVERITY_PHRASES[t] for t in gone), default=-1)
    worst_new = max((words.SEVERITY_PHRASES[t] for t in new), default=-1)
    if worst_gone > worst_new:
        return {"severity_down"}
    if worst_new > worst_gone:
        return {"severity_up"}
    return set()


def _cause_flags(change: terms.Change, flags: set[str]) -> set[str]:
    """Inside a stated cause, words describe the cause, not the impact or who was hit."""
    if not _touches_cause(change):
        return flags
    flags = flags - {"severity_down", "severity_up", "scope_narrowed", "scope_widened"}
    if not flags & _NUMERIC_FLAGS or any(change.diff(terms.causes)):
        flags.add("cause_changed")
    return flags


def _touches_cause(change: terms.Change) -> bool:
    """Does the hunk fall inside a stated cause: after a cause marker, in the same sentence?"""
    for text, start, end in (change.old, change.new):
        sentence_start, sentence_end = terms.sentence_around(text, start, end)
        for match in terms.CAUSE_MARKER.finditer(text, sentence_start, sentence_end):
            if match.start() < end or match.start() <= start:
                return True
    return False


# -- cosmetic --------------------------------------------------------------------------------


def _is_cosmetic(hunk: _Hunk) -> bool:
    """Only case, punctuation, whitespace, digit grouping, or a one-letter typo in a long word."""
    old = [terms.plain(w) for w in terms.words_of(hunk.deleted)]
    new = [terms.plain(w) for w in terms.words_of(hunk.inserted)]
    if old == new:
        return True
    if len(old) != len(new):
        return False
    return all(a == b or _is_typo(a, b) for a, b in zip(old, new, strict=True))


def _is_repeat(hunk: _Hunk, old_text: str, new_text: str) -> bool:
    """Words doubled by a slip taken out ("can result in result in" → "can result in"), or
    put in: the same words stand right next to the change."""
    if bool(terms.words_of(hunk.deleted)) == bool(terms.words_of(hunk.inserted)):
        return False
    if hunk.deleted:
        text, start, end, changed = old_text, hunk.old_start, hunk.old_end, hunk.deleted
    else:
        text, start, end, changed = new_text, hunk.new_start, hunk.new_end, hunk.inserted
    repeated = [w.lower() for w in terms.words_of(changed)]
    after = [w.lower() for w in terms.words_of(text[end:])][: len(repeated)]
    before = [w.lower() for w in terms.words_of(text[:start])][-len(repeated) :]
    return repeated in (after, before)


def _is_typo(a: str, b: str) -> bool:
    """A spelling fix (or slip): one letter changed, added, dropped or swapped inside a word,
    whatever word list the result lands in ("potentialy" → "potentially" is no hedge)."""
    if not (a.isalpha() and b.isalpha()) or min(len(a), len(b)) < 4:
        return False
    # Two words that both mean something to the rules are a rewording, not a slip; nor is a
    # different first letter ("unable" → "enable"): typing keeps the first letter.
    if (a in terms.LEXICON and b in terms.LEXICON) or a[0] != b[0]:
        return False
    # One edit only: "increase" → "decrease" is two, and not a typo.
    return _edit_distance(a, b) <= 1


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance with adjacent transpositions counted as one edit."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


# -- reasons ---------------------------------------------------------------------------------


def _became(old_text: str, new_text: str, hunk: _Hunk) -> str:
    before = _quote(old_text, hunk.old_start, hunk.old_end)
    after = _quote(new_text, hunk.new_start, hunk.new_end)
    gone, new = _word_delta(hunk)
    if not new and len(gone) >= 3:
        return f'"{_clip(hunk.deleted)}" removed'
    if not gone and len(new) >= 3:
        return f'"{_clip(hunk.inserted)}" added'
    return f'"{before}" became "{after}"'


def _cosmetic_reason(old_text: str, new_text: str, hunks: list[_Hunk]) -> str:
    if not hunks:
        return "only whitespace, entities or quote marks differ"
    first = hunks[0]
    if not terms.words_of(first.deleted + first.inserted):
        before = re.search(r"\S+\s*$", old_text[: first.old_start])
        after = re.match(r"\s*\S+", old_text[first.old_end :])
        left = before.group(0).strip() if before else ""
        right = after.group(0).strip() if after else ""
        return f'spacing or punctuation changed between "{left}" and "{right}"'
    return _became(old_text, new_text, first)


def _quote(text: str, start: int, end: int) -> str:
    """The changed words with one word of context on each side, within the sentence."""
    sentence_start, sentence_end = terms.sentence_around(text, start, end)
    head = text[sentence_start:start]
    ends_sentence = bool(re.search(r"[.!?]\s*$", text[start:end]))
    tail = "" if ends_sentence else text[end:sentence_end]
    head_match = re.search(r"\S+\s*$", head)
    tail_match = re.match(r"\s*[^\s.!?,;:]+", tail)
    left = head_match.group(0) if head_match else ""
    right = tail_match.group(0) if tail_match else ""
    return _clip(left + text[start:end] + right)


def _clip(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= _QUOTE_LIMIT:
        return text
    half = _QUOTE_LIMIT // 2
    return f"{text[:half].rstrip()} … {text[-half:].lstrip()}"
