"""Times as vendors write them → UTC ISO 8601 (`YYYY-MM-DDTHH:MM:SSZ`).

Every parser returns None for a value it cannot read: a missing or odd time is a gap in the
document, never a reason to reject the page. That includes times outside 1900–9998 (see
`FIRST_YEAR`): no helper here raises, whatever the value.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache

# Abbreviations vendors print after a displayed time. Where one is ambiguous (CST, IST) the
# meaning status pages use is taken: US Central, India.
_ZONE_HOURS: dict[str, float] = {
    "UTC": 0,
    "GMT": 0,
    "UT": 0,
    "Z": 0,
    "WET": 0,
    "WEST": 1,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
    "MET": 1,
    "MEST": 2,
    "EET": 2,
    "EEST": 3,
    "MSK": 3,
    "SAST": 2,
    "IST": 5.5,
    "SGT": 8,
    "HKT": 8,
    "AWST": 8,
    "JST": 9,
    "KST": 9,
    "ACST": 9.5,
    "ACDT": 10.5,
    "AEST": 10,
    "AEDT": 11,
    "NZST": 12,
    "NZDT": 13,
    "BRT": -3,
    "ART": -3,
    "AST": -4,
    "ADT": -3,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "AKST": -9,
    "AKDT": -8,
    "HST": -10,
}
# Python's datetime ends at 9999-12-31. A vendor's "9999-12-31T23:59:00Z" (a placeholder for
# "never") overflows as soon as it is shifted to another zone or a reader adds a few minutes to
# it, and a year before 1900 is a zero value ("0001-01-01"), not a time. Both read as missing,
# so every time these helpers return is at least a year away from datetime's limits.
FIRST_YEAR, LAST_YEAR = 1900, 9998
_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?$")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# Apple: "02/15/2020 01:00 PST".
_SLASHED = re.compile(
    r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([A-Za-z]{1,5}|[+-][\d:]{2,5})?\s*$"
)
# What a page displays: "Aug 22, 03:43 UTC", "Jan 12, 2021 - 19:26 CET", "Mar 24, 15:10 PDT".
_DISPLAYED = re.compile(
    r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+(?P<day>\d{1,2})"
    r"(?:st|nd|rd|th)?(?:\s*,?\s*(?P<year>\d{4}))?\s*(?:[-,]|\bat\b)?\s*"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::\d{2})?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?\s*"
    r"(?P<zone>\b[A-Z]{1,5}\b|[+-]\d{2}:?\d{2})?"
)
# Less than half the shortest year: a time nearer than this to a reference is the nearest of
# the times a year apart.
_HALF_YEAR = timedelta(days=182)
# A clock time alone, as AWS prints it: " 8:39 AM PDT" (the date comes from the event).
_CLOCK = re.compile(
    r"^\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::\d{2})?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?\s*"
    r"(?P<zone>[A-Z]{1,5}|[+-]\d{2}:?\d{2})?\s*$"
)


def format_utc(moment: datetime) -> str | None:
    """`moment` as `YYYY-MM-DDTHH:MM:SSZ`; a naive datetime is taken to be UTC already.

    None when the time is outside FIRST_YEAR–LAST_YEAR in UTC.
    """
    utc = in_range(moment)
    if utc is None:
        return None
    # %-formatting: half the time of the f-string with format specs, for the same digits.
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (  # noqa: UP031
        utc.year,
        utc.month,
        utc.day,
        utc.hour,
        utc.minute,
        utc.second,
    )


def in_range(moment: datetime) -> datetime | None:
    """`moment` in UTC (naive: taken as UTC), or None when its year is out of range."""
    try:
        utc = moment.astimezone(UTC) if moment.tzinfo is not None else moment
    except (ArithmeticError, ValueError):  # 9999-12-31T23:00-05:00 is past datetime.max
        return None
    return utc if FIRST_YEAR <= utc.year <= LAST_YEAR else None


def zone_offset(name: str | None) -> timezone | None:
    """The fixed offset of a zone abbreviation or a numeric offset ("+0200"); None if unknown."""
    if not name:
        return None
    return _zone_offset(name)


@lru_cache(maxsize=1024)
def _zone_offset(name: str) -> timezone | None:
    # A page prints the same few zones on every update.
    name = name.strip().upper()
    if name in _ZONE_HOURS:
        return timezone(timedelta(hours=_ZONE_HOURS[name]))
    match = _OFFSET.match(name)
    if not match:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if delta >= timedelta(hours=24):
        return None
    return timezone(-delta if sign == "-" else delta)


def to_utc(value: object) -> str | None:
    """Any vendor time (ISO 8601, RFC 822, epoch seconds or ms, Apple's "MM/DD/YYYY HH:MM TZ")."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return _cached_utc(value)
    moment = parse_moment(value)
    return format_utc(moment) if moment else None


# A time already written as `to_utc` writes it (most <time datetime> and API stamps).
_CANONICAL = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z")


@lru_cache(maxsize=65536)
def _cached_utc(value: str | int | float) -> str | None:
    # A history repeats the same stamps in every version: imports parse each one once.
    if isinstance(value, str) and (match := _CANONICAL.fullmatch(value)):
        try:  # a real time in range reads back as itself; anything else takes the long way
            year, month, day, hour, minute, second = map(int, match.groups())
            if FIRST_YEAR <= datetime(year, month, day, hour, minute, second).year <= LAST_YEAR:
                return value
        except ValueError:
            pass
    moment = parse_moment(value)
    return format_utc(moment) if moment else None


def parse_moment(value: object) -> datetime | None:
    """Like `to_utc`, but the aware datetime (kept for year inference and day arithmetic).

    The datetime keeps the zone it was written in (AWS places clock times on the local day).
    """
    try:
        moment = _parse(value)
    except (ValueError, ArithmeticError, OSError):
        return None
    return moment if moment is not None and in_range(moment) is not None else None


def _parse(value: object) -> datetime | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if re.fullmatch(r"-?\d{9,13}(?:\.\d+)?", text):
        return _from_epoch(float(text))
    return _from_iso(text) or _from_slashed(text) or _from_rfc822(text)


def displayed_to_utc(text: str | None, reference: datetime | None) -> str | None:
    """A displayed "Mon DD[, YYYY], HH:MM ZONE" time as UTC.

    Pages often leave the year out; it is taken as the one that puts the date nearest to
    `reference` (the incident's day, the feed entry's date), so "Dec 31" shown in January is
    last year's. Without a year, a reference or a known zone the result is None.
    """
    if not text:
        return None
    match = _DISPLAYED.search(text)
    if not match:
        return None
    # One call for every group: looking each up by name costs more than the arithmetic.
    shown_month, shown_day, shown_year, shown_hour, shown_minute, ampm, zone_name = match.group(
        "mon", "day", "year", "hour", "minute", "ampm", "zone"
    )
    zone = zone_offset(zone_name)
    if zone is None:
        return None
    try:
        hour = _hour(int(shown_hour), ampm)
        month, day, minute = _MONTHS[shown_month.lower()], int(shown_day), int(shown_minute)
        if shown_year:
            return format_utc(datetime(int(shown_year), month, day, hour, minute, tzinfo=zone))
        if reference is None:
            return None
        try:
            middle: datetime | None = datetime(
                reference.year, month, day, hour, minute, tzinfo=zone
            )
        except ValueError:  # Feb 29 outside a leap year
            middle = None
        if middle is not None and abs(middle - reference) < _HALF_YEAR:
            return format_utc(middle)  # the same day a year away is 365 or 366 days away
        candidates = []
        for year in (reference.year - 1, reference.year, reference.year + 1):
            try:
                candidates.append(datetime(year, month, day, hour, minute, tzinfo=zone))
            except ValueError:  # Feb 29 outside a leap year
                continue
        if not candidates:
            return None
        return format_utc(min(candidates, key=lambda c: abs(c - reference)))
    except (ValueError, ArithmeticError):
        return None


def is_clock(text: str) -> bool:
    """Whether `text` is a clock time alone, as AWS prints one before each update."""
    return bool(_CLOCK.match(text))


def clock_to_utc(text: str | None, reference: datetime, follows: bool) -> datetime | None:
    """A clock time alone ("8:39 AM PDT") placed on the day around `reference`.

    AWS lists an event's updates oldest first and prints only the clock. The first update is
    the candidate nearest the event's start; each later one (`follows`) is the first candidate
    not before the previous update, so 12:15 AM after 11:50 PM lands on the next day.
    """
    match = _CLOCK.match(text or "")
    if not match:
        return None
    zone = zone_offset(match["zone"]) if match["zone"] else UTC
    if zone is None:
        return None
    try:
        hour, minute = _hour(int(match["hour"]), match["ampm"]), int(match["minute"])
        local = reference.astimezone(zone).date()
        candidates = [
            datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
            for day in (local - timedelta(days=1), local, local + timedelta(days=1))
        ]
        if follows:
            later = [c for c in candidates if c >= reference - timedelta(minutes=1)]
            chosen = later[0] if later else None
        else:
            chosen = min(candidates, key=lambda c: abs(c - reference))
    except (ValueError, ArithmeticError):  # a reference at the edge of datetime's range
        return None
    return chosen if chosen is not None and in_range(chosen) is not None else None


def _hour(hour: int, ampm: str | None) -> int:
    if not ampm:
        return hour
    if not 1 <= hour <= 12:
        raise ValueError(f"hour {hour} with {ampm}")
    pm = ampm.lower().startswith("p")
    return (hour % 12) + (12 if pm else 0)


def _from_epoch(seconds: float) -> datetime:
    # Milliseconds since the epoch (Apple's epochStartDate) are 1000 times too large to be
    # seconds for any date before the year 5000.
    if abs(seconds) >= 1e11:
        seconds /= 1000
    return datetime.fromtimestamp(seconds, UTC)


def _from_iso(text: str) -> datetime | None:
    candidate = text.replace(" ", "T", 1) if re.match(r"^\d{4}-\d{2}-\d{2} \d", text) else text
    if not re.match(r"^\d{4}-\d{2}-\d{2}", candidate):
        return None
    candidate = re.sub(r"[zZ]$", "+00:00", candidate)
    # fromisoformat takes at most 6 fractional digits; some vendors print 7 or 9.
    candidate = re.sub(r"(\.\d{6})\d+", r"\1", candidate)
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _from_slashed(text: str) -> datetime | None:
    match = _SLASHED.match(text)
    if not match:
        return None
    month, day, year, hour, minute, second, zone_name = match.groups()
    zone = zone_offset(zone_name) if zone_name else UTC
    if zone is None:
        return None
    return datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=zone
    )


def _from_rfc822(text: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
