"""Histories from elsewhere: a git-scraping repository, the Wayback Machine."""

from .common import Failure, ImportSummary
from .corroborate import CorroboratePolicy, Corroboration, corroborate
from .git import import_git
from .wayback import WaybackPolicy, import_wayback

__all__ = [
    "CorroboratePolicy",
    "Corroboration",
    "Failure",
    "ImportSummary",
    "WaybackPolicy",
    "corroborate",
    "import_git",
    "import_wayback",
]
