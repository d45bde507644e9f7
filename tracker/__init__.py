"""status-tracker: keep every version of vendor status pages and flag silent edits."""

__version__ = "0.1.0"
