"""The exceptions library code raises. The CLI maps each to a message and an exit code."""

from __future__ import annotations


class TrackerError(Exception):
    """Root of every error status-tracker raises on purpose."""

    exit_code = 1


class UsageError(TrackerError):
    """The user asked for something that cannot be done as asked (unknown source, bad URL)."""

    exit_code = 2


class LockedError(TrackerError):
    """Another run holds the data directory's lock."""

    exit_code = 75


class ExtractionError(TrackerError):
    """A body could not be read in the source's format (the fetch becomes `unparseable`)."""


class ImportFailed(TrackerError):
    """An import (git history, Wayback Machine) could not go on."""


class VerifyError(TrackerError):
    """`tracker verify` found stored evidence that does not match its record."""

    exit_code = 3


class OutputError(TrackerError):
    """A file the user asked for (report, feed, export) could not be written."""


class ReadOnlyError(TrackerError):
    """A command that writes was run on an archive that may only be read."""
