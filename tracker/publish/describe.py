"""Plain-text descriptions of edit events, shared by the HTML report, the Atom feed and exports.

Nothing here produces markup: callers escape what they take from here.
"""

from __future__ import annotations

from tracker.models import DELETE, INSERT, DiffOps, EditEvent, EditRecord
from tracker.times import short, sort_key

# Flags that make an incident look smaller or vaguer than first published come first: they are
# what a reader of the report is looking for.
FLAG_TONES: dict[str, str] = {
    "quantity_vagued": "alarm",
    "severity_down": "alarm",
    "scope_narrowed": "alarm",
    "hedge_added": "alarm",
    "number_changed": "warn",
    "time_changed": "warn",
    "cause_changed": "warn",
    "text_removed": "warn",
    "severity_up": "info",
    "scope_widened": "info",
    "text_added": "info",
    "cosmetic": "muted",
}

_FIELD_NAMES = {
    "posted_at": "displayed time",
    "components": "affected components",
}


def flag_tone(flag: str) -> str:
    """The colour family of a flag's badge; unknown flags read as neutral."""
    return FLAG_TONES.get(flag, "muted")


def event_label(event: EditEvent) -> str:
    """What happened, in a few words: "Update reworded", "Impact changed", "Update deleted"."""
    field_name = _FIELD_NAMES.get(event.field or "", event.field or "")
    if event.kind == "update_edited":
        return f"Update {field_name} changed" if event.field else "Update reworded"
    if event.kind == "incident_changed":
        return f"{field_name.capitalize()} changed" if field_name else "Incident changed"
    if event.kind == "bulk_changed":
        return f"Same {field_name or 'change'} change on {event.count} items"
    labels = {
        "update_added": "Update added",
        "update_removed": "Update deleted",
        "incident_added": "Incident added",
        "incident_removed": "Incident deleted",
    }
    return labels.get(event.kind, event.kind.replace("_", " ").capitalize())


def display_diff(event: EditEvent) -> DiffOps:
    """The event's word diff, or old-deleted/new-inserted when the event carries no diff."""
    if event.diff:
        return tuple((int(op), str(text)) for op, text in event.diff)
    ops: list[tuple[int, str]] = []
    if event.old:
        ops.append((DELETE, event.old))
    if event.new:
        ops.append((INSERT, event.new))
    return tuple(ops)


def reason_for(flag: str, event: EditEvent) -> str | None:
    """The reason the classifier gave for `flag`: the one prefixed "flag:", else by position."""
    for reason in event.reasons:
        if reason.startswith(flag + ":"):
            return reason
    if len(event.reasons) == len(event.flags) and flag in event.flags:
        return event.reasons[event.flags.index(flag)]
    return None


def window_text(record: EditRecord) -> str:
    """The observation window in words: the edit happened somewhere inside it."""
    end = short(record.window_end)
    if not record.window_start:
        return f"first seen {end}"
    return f"between {short(record.window_start)} and {end}"


def event_summary(record: EditRecord) -> str:
    """One line for a feed title or a notification: "Apple: silent edit to iMessage — flags"."""
    event = record.event
    title = event.incident_title or event.incident_key
    if event.kind == "update_edited" and not event.field:
        what = "silent edit to" if event.silent else "edit to"
    elif event.kind == "update_removed":
        what = "update deleted from"
    elif event.kind == "update_added":
        what = "backdated update added to" if event.backdated else "update added to"
    elif event.kind == "incident_removed":
        what = "incident deleted:"
    elif event.kind == "incident_added":
        what = "incident added:"
    elif event.kind == "bulk_changed":
        what = f"one {event.field or ''} change on {event.count} items, e.g."
    else:
        what = event_label(event).lower() + " on"
    line = f"{record.source}: {what} {title}"
    return f"{line} — {', '.join(event.flags)}" if event.flags else line


def verdict_text(event: EditEvent) -> str:
    """The verdict as a sentence: "Silent: no update posted … mentions it."."""
    if not event.verdict:
        return ""
    label = "Silent" if event.silent else "Not silent"
    return f"{label}: {event.verdict}."


def rank_key(record: EditRecord) -> tuple[float, float, int]:
    """The one order of edits: most significant first, then newest, then oldest row first.

    `Archive.edit_rows` sorts the same way in SQL (score desc, window_end desc, id asc).
    """
    return (-record.event.score, -sort_key(record.window_end), record.id)
