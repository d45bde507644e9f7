"""The extract stage: raw bytes of a status page → a `Document`.

Every extractor is a pure function `(body, content_type, options, url) -> Document` that raises
only ExtractionError. `FORMATS` below is the whole list of formats.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import ExtractionError
from ..models import Document
from .apple import extract_apple
from .aws import extract_aws
from .decode import fail
from .detect import detect_format
from .feeds import extract_feed
from .gcp import extract_gcp
from .htmlpage import extract_html
from .shape import guard
from .slack import extract_slack
from .statuspage import extract_statuspage

Extractor = Callable[[bytes, str | None, dict, str | None], Document]

# Bump when any extractor reads the same bytes differently (keys, fields, normalisation):
# archives built with another scheme are rebuilt from their raw bodies before the next fetch,
# so an upgrade never reads as a wave of edits.
# 2: generic HTML reads repeated incident blocks as incidents (a window of them); generation
#    stamps, relative times and tokens it used to keep are page furniture; a Statuspage page's
#    displayed time drops a "Posted 12 minutes ago" its server wrote; HTML decodes by BOM,
#    UTF-8, the page's declaration, then the header; Lexbor builds HTML trees as browsers do.
# 3: incidents carry their times (start, end, maintenance window) to be compared.
SCHEME = 3

FORMATS: dict[str, Extractor] = {
    "statuspage": extract_statuspage,  # Statuspage API JSON, HTML page, history.atom/.rss
    "apple": extract_apple,  # system_status_en_US.js (JSONP) or plain JSON
    "gcp": extract_gcp,  # Google Cloud / Workspace incidents.json
    "slack": extract_slack,  # Slack status API v2.0.0 current and history
    "aws": extract_aws,  # AWS Service Health Dashboard data.json (AWS RSS is `feed`)
    "feed": extract_feed,  # any RSS 2.0 / RSS 1.0 / Atom feed
    "html": extract_html,  # any page: incident blocks, else headings → incidents, blocks → updates
}

__all__ = ["FORMATS", "detect_format", "extract"]


def extract(
    fmt: str,
    body: bytes,
    content_type: str | None = None,
    options: dict | None = None,
    url: str | None = None,
) -> Document:
    """Extract `body` in format `fmt` (`auto` detects it first)."""
    if fmt == "auto":
        fmt = detect_format(body, content_type, url)
    extractor = FORMATS.get(fmt)
    if extractor is None:
        raise ExtractionError(f"unknown format {fmt!r}; known formats: auto, {', '.join(FORMATS)}")
    try:
        return extractor(bytes(body), content_type, dict(options or {}), url)
    except ExtractionError:
        raise
    except RecursionError:
        raise fail(fmt, "the body is nested too deeply to read") from None
    except (LookupError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        # A payload shape or value no check anticipated (a missing key, a date past the year
        # 9999): the fetch is unparseable, the run goes on.
        raise guard(fmt, exc) from exc
