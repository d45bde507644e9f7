"""Word diffs as HTML: ``<del class="diff-del">`` and ``<ins class="diff-ins">``, text escaped.

Never diff-match-patch's diff_prettyHtml: it writes inline styles and escapes too little.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from markupsafe import Markup

from tracker.errors import TrackerError
from tracker.models import DELETE, EQUAL, INSERT
from tracker.publish.report.safety import scraped

ELLIPSIS = "\u2026"
# How much unchanged text a one-line preview keeps either side of a change, and how much of
# one changed run it shows; the dossier always shows everything.
PREVIEW_CONTEXT = 70
PREVIEW_CHANGE = 280


def _marked(tag: str, css: str, text: str) -> str:
    # Spaces at the edges of a change go outside the mark, so a deleted word is not drawn as a
    # struck-through blank; a change that is only whitespace stays marked, or it would vanish.
    core = text.strip()
    if not core:
        return f'<{tag} class="{css}">{scraped(text)}</{tag}>'
    start = len(text) - len(text.lstrip())
    lead, trail = text[:start], text[start + len(core) :]
    return f'{scraped(lead)}<{tag} class="{css}">{scraped(core)}</{tag}>{scraped(trail)}'


def render_diff_html(diff: Iterable[Sequence[object]]) -> Markup:
    """Render `diff` ((op, text) pairs, op -1/0/1) as escaped HTML with <del> and <ins>."""
    parts: list[str] = []
    for op, text in diff:
        if op == DELETE:
            parts.append(_marked("del", "diff-del", str(text)))
        elif op == INSERT:
            parts.append(_marked("ins", "diff-ins", str(text)))
        elif op == EQUAL:
            parts.append(scraped(text))
        else:
            raise TrackerError(f"diff operation must be -1, 0 or 1, got {op!r}")
    return Markup("".join(parts))


def _head(text: str, size: int) -> str:
    """The start of `text`, at most `size` characters, cut at a word boundary."""
    if len(text) <= size:
        return text
    cut = text[:size]
    space = cut.rfind(" ")
    return (cut[:space] if space > size // 2 else cut).rstrip() + ELLIPSIS


def _tail(text: str, size: int) -> str:
    """The end of `text`, at most `size` characters, cut at a word boundary."""
    if len(text) <= size:
        return text
    cut = text[-size:]
    space = cut.find(" ")
    return ELLIPSIS + (cut[space + 1 :] if 0 <= space < size // 2 else cut).lstrip()


def trim_diff(
    diff: Sequence[tuple[int, str]], context: int = PREVIEW_CONTEXT
) -> list[tuple[int, str]]:
    """Shorten unchanged stretches (and very long changed runs) so a diff fits one line."""
    trimmed: list[tuple[int, str]] = []
    last = len(diff) - 1
    for index, (op, raw) in enumerate(diff):
        text = str(raw)
        if op != EQUAL:
            trimmed.append((op, _head(text, PREVIEW_CHANGE)))
            continue
        # Whitespace at the edges says whether a change is a whole word or inside one.
        lead = " " if text[:1].isspace() else ""
        trail = " " if text[-1:].isspace() else ""
        core = " ".join(text.split())
        if index == 0 and index == last:
            trimmed.append((op, _head(core, 2 * context)))
        elif index == 0:
            trimmed.append((op, _tail(core, context) + trail))
        elif index == last:
            trimmed.append((op, lead + _head(core, context)))
        elif len(core) > 2 * context + 20:
            start = _head(core, context).removesuffix(ELLIPSIS)
            end = _tail(core, context).removeprefix(ELLIPSIS)
            trimmed.append((op, f"{lead}{start} {ELLIPSIS} {end}{trail}"))
        else:
            trimmed.append((op, lead + core + trail))
    return trimmed


def render_preview_html(diff: Sequence[tuple[int, str]]) -> Markup:
    """The diff trimmed around its changes, for the one-line summary in the index."""
    return render_diff_html(trim_diff(diff))
