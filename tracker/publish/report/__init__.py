"""The static HTML report: an index of edits ranked by significance and a dossier per incident.

Scraped text is always escaped and never rendered as markup, links are only ever http(s), and
pages carry a Content-Security-Policy that forbids scripts and any outside request.
"""

from tracker.publish.report.diffhtml import render_diff_html
from tracker.publish.report.write import write_report

__all__ = ["render_diff_html", "write_report"]
