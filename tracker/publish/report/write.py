"""Render the report with jinja2 and write it so that no reader ever sees half of it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from tracker.errors import OutputError
from tracker.files import atomic_write
from tracker.models import Dossier, EditRecord, Head
from tracker.publish.report.dossiers import DossierLinks, DossierView, dossier_view, raw_name
from tracker.publish.report.safety import plain, scraped
from tracker.publish.report.views import IndexView, index_view, unique_slugs
from tracker.times import parse, short


def when_html(value: str | None) -> Markup:
    """A time for people, inside <time datetime> when the value is ISO 8601."""
    moment = parse(value)
    if moment is None:
        return scraped(short(value))
    return Markup('<time datetime="{}">{}</time>').format(moment.isoformat(), short(value))


def window_html(start: str | None, end: str) -> Markup:
    """The observation window: "between <time>A</time> and <time>B</time>"."""
    if not start:
        return Markup("first seen {}").format(when_html(end))
    return Markup("between {} and {}").format(when_html(start), when_html(end))


def _finalize(value: Any) -> Any:
    # Every {{ }} passes here before autoescaping: plain strings lose characters that cannot
    # be written or could reorder the page, even where a template forgot the `scraped` filter.
    if isinstance(value, str) and not isinstance(value, Markup):
        return plain(value)
    return value


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("tracker", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["scraped"] = scraped
    env.filters["when"] = when_html
    env.globals["window"] = window_html
    return env


def _write_atomic(target: Path, text: str) -> None:
    atomic_write(target, text.encode("utf-8", "replace"))


def _dossier_views(
    dossiers: Sequence[Dossier], single: bool, raw: bool = False
) -> list[DossierView]:
    slugs = unique_slugs(dossiers)
    return [
        dossier_view(dossier, DossierLinks(slug, single, raw))
        for dossier, slug in zip(dossiers, slugs, strict=True)
    ]


def _edit_links(views: Sequence[DossierView], single: bool) -> Callable[[EditRecord], str | None]:
    """A function from an edit record to its place in a dossier (None when it has none)."""
    pages: dict[tuple[str, str], tuple[DossierLinks, set[int]]] = {}
    for view in views:
        key = (view.dossier.source, view.dossier.incident_key)
        ids = {record.id for record in view.dossier.edits}
        pages.setdefault(key, (DossierLinks(view.slug, single), ids))

    def href_for(record: EditRecord) -> str | None:
        found = pages.get((record.source, record.event.incident_key))
        if found is None:
            return None
        links, ids = found
        return links.edit_href(record.id) if record.id in ids else links.href

    return href_for


def write_report(
    path: Path,
    records: Sequence[EditRecord],
    dossiers: Sequence[Dossier],
    *,
    generated_at: str,
    title: str = "status-tracker report",
    chain_head: Head | None = None,
    raw_body: Callable[[str], bytes] | None = None,
    feed_href: str | None = None,
) -> list[Path]:
    """Write the HTML report and return the paths written.

    A path ending in .html gets one self-contained page (the index, then every dossier as a
    section); any other path is a directory that gets index.html and incidents/<slug>.html.
    Every file is written to a temporary name and renamed into place, and the index last, so
    a reader never sees half a page or an index whose links lead nowhere.

    With `raw_body` (sha256 → bytes), each version in an evidence table gets its raw body
    written beside the report as `raw/<sha256>.txt`, before any page that links to it.
    """
    path = Path(path)
    single = path.suffix.lower() == ".html"
    views = _dossier_views(dossiers, single, raw=raw_body is not None)
    index = index_view(records, _edit_links(views, single))
    common = {
        "report_title": title,
        "generated_at": generated_at,
        "chain_head": chain_head,
        "feed_href": feed_href,
    }
    env = environment()
    try:
        raw_files = _write_raw(path.parent if single else path, views, raw_body)
        if single:
            path.parent.mkdir(parents=True, exist_ok=True)
            html = env.get_template("index.html").render(
                index=index, dossiers=views, single=True, index_href="#top", **common
            )
            _write_atomic(path, html)
            return [path, *raw_files]
        return _write_directory(path, env, index, views, common) + raw_files
    except OutputError as error:
        raise OutputError(f"{error}; choose another output path with -o") from error
    except OSError as error:
        raise OutputError(
            f"cannot write the report to {path}: {error.strerror or error}; "
            "choose another output path with -o"
        ) from error


def _write_raw(
    base: Path, views: Sequence[DossierView], raw_body: Callable[[str], bytes] | None
) -> list[Path]:
    if raw_body is None:
        return []
    written = []
    for digest in sorted({row.evidence.sha256 for view in views for row in view.evidence}):
        name = raw_name(digest)
        if name is None:
            continue
        target = base / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, raw_body(digest))
        written.append(target)
    return written


def _write_directory(
    path: Path,
    env: Environment,
    index: IndexView,
    views: Sequence[DossierView],
    common: dict[str, Any],
) -> list[Path]:
    incidents = path / "incidents"
    incidents.mkdir(parents=True, exist_ok=True)
    written = []
    page = env.get_template("dossier.html")
    for view in views:
        target = incidents / f"{view.slug}.html"
        html = page.render(dossier=view, index_href="../index.html", **_from_incidents(common))
        _write_atomic(target, html)
        written.append(target)
    target = path / "index.html"
    html = env.get_template("index.html").render(
        index=index, dossiers=views, single=False, index_href="index.html", **common
    )
    _write_atomic(target, html)
    return [target, *written]


def _from_incidents(common: dict[str, Any]) -> dict[str, Any]:
    """The shared values as seen from incidents/: a relative feed link goes up a level."""
    href = common.get("feed_href")
    if href and "://" not in href:
        return {**common, "feed_href": f"../{href}"}
    return common
