"""Every time the archive stores or shows: one format, one parser, one way to say "now".

The archive stores UTC ISO 8601 text with microseconds and a `Z` (`2026-11-23T13:41:34.749308Z`),
which sorts as text in time order. Vendor time formats are read by `extract.times`; this module
only handles the archive's own times, what users type and what people read.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from .errors import UsageError

_RELATIVE = re.compile(r"(\d+)\s*(m|min|h|d|w)", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def now() -> datetime:
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """The archive's format; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso() -> str:
    return to_iso(now())


def parse(value: str | None) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text (naive is UTC); None when it is not ISO 8601."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # not ISO 8601, or an offset past year 1 or 9999
        return None


def seconds_between(start: str, end: str) -> float:
    """Seconds from `start` to `end` (archive times); 0 when either cannot be read."""
    first, last = parse(start), parse(end)
    if first is None or last is None:
        return 0.0
    return (last - first).total_seconds()


def sort_key(value: str | None) -> float:
    """Seconds since the epoch for sorting; unreadable times sort first."""
    moment = parse(value)
    return moment.timestamp() if moment else float("-inf")


def rfc3339(value: str | None, fallback: str) -> str:
    """An RFC 3339 UTC time to the second (Atom's <updated>); unreadable times fall back."""
    moment = parse(value)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else fallback


def user_time(value: str, *, reference: datetime | None = None) -> str:
    """What a user typed for --since/--at, as an archive time.

    ISO 8601 (`2026-11-20`, `2026-11-20T14:05`, with `Z` or an offset; naive is UTC), a span
    back from now (`7d`, `24h`, `30m`, `2w`), `today`, `yesterday` or `now`.
    """
    text = value.strip().lower()
    base = reference or now()
    midnight = base.replace(hour=0, minute=0, second=0, microsecond=0)
    words = {"now": base, "today": midnight, "yesterday": midnight - timedelta(days=1)}
    if text in words:
        return to_iso(words[text])
    span = _RELATIVE.fullmatch(text)
    if span:
        amount = int(span.group(1))
        return to_iso(base - timedelta(**{_UNITS[span.group(2)]: amount}))
    moment = parse(value.strip().replace(" ", "T"))
    if moment is None:
        raise UsageError(
            f"cannot read the time {value!r}: use ISO 8601 (2026-11-20 or 2026-11-20T14:05Z), "
            "a span back from now (7d, 24h, 30m) or yesterday"
        )
    return to_iso(moment)


def human(value: str | None) -> str:
    """`2026-11-23T13:41:34.749308Z` → `2026-11-23 13:41:34 UTC`, for a terminal."""
    if not value:
        return "?"
    moment = parse(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else value


def short(value: str | None) -> str:
    """`2026-11-23T13:41:34Z` → `23 Nov 2026, 13:41 UTC`, for reports and feeds; text that is
    not ISO 8601 is kept as it is."""
    moment = parse(value)
    if moment is None:
        return value or "unknown time"
    return moment.strftime("%d %b %Y, %H:%M UTC").lstrip("0")
