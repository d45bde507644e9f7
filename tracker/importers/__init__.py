"""Histories from elsewhere: a git-scraping repository, the Wayback Machine."""

from .common import Failure, ImportSummary
from .git import import_git
from .wayback import WaybackPolicy, import_wayback

__all__ = ["Failure", "ImportSummary", "WaybackPolicy", "import_git", "import_wayback"]
