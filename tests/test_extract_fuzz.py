"""Whatever the bytes, every extractor returns a well-formed Document or raises
ExtractionError: random bytes, and real payloads with values replaced, keys deleted, markup
mangled and bodies cut short."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.errors import ExtractionError
from tracker.extract import FORMATS, detect_format, extract
from tracker.models import Document

FORMATS_DIR = Path(__file__).parent / "fixtures" / "formats"
JSON_FIXTURES = [
    "statuspage-summary.json",
    "statuspage-incident.json",
    "incidentio-statuspage-compat-summary.json",
    "gcp-incidents.json",
    "gcp-incidents-2020-schema.json",
    "slack-current.json",
    "aws-legacy-data.json",
    "apple-developer-system-status.json",
]
MARKUP_FIXTURES = ["statuspage-page.html", "statuspage-history.atom", "apple-derived-rss.xml"]
SNIPPETS = [
    "<",
    ">",
    "</div>",
    "<p>",
    "<br>",
    "</p>",
    "&#",
    "&amp",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<!DOCTYPE",
    "<![if",
    "<?xml",
    "\x00",
    "\ufffd",
    "<small>Jan 99, 25:61 XYZ</small>",
    "<strong>",
    '<a href="/incidents/">',
    '<div class="update">',
    "<entry>",
    "</feed>",
]
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def check(run: Any) -> None:
    """`run()` gives a well-formed Document or raises ExtractionError — nothing else."""
    try:
        document = run()
    except ExtractionError as exc:
        assert str(exc)
        return
    assert isinstance(document, Document)
    document.hash()  # serialisable
    keys = [incident.key for incident in document.incidents]
    assert len(keys) == len(set(keys)), keys
    for incident in document.incidents:
        update_keys = [update.key for update in incident.updates]
        assert len(update_keys) == len(set(update_keys)), update_keys
        for moment in (incident.created_at, incident.resolved_at):
            assert moment is None or ISO_UTC.match(moment), moment
        for update in incident.updates:
            assert update.posted_at is None or ISO_UTC.match(update.posted_at), update.posted_at


def every_extractor(body: bytes) -> None:
    for extractor in FORMATS.values():
        check(lambda extractor=extractor: extractor(body, None, {}, None))
    check(lambda: extract(detect_format(body, None, None), body))


def paths(value: Any) -> list[tuple[Any, ...]]:
    """Every place in a JSON value, as a path of keys and indexes."""
    found, stack = [], [((), value)]
    while stack:
        path, node = stack.pop()
        found.append(path)
        items = (
            node.items()
            if isinstance(node, dict)
            else enumerate(node)
            if isinstance(node, list)
            else ()
        )
        stack.extend((path + (key,), child) for key, child in items)
    return found


def mutate(data: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    if not path:
        return value if action == "replace" else data
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if action == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return data


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes(body: bytes) -> None:
    every_extractor(body)


@FUZZ
@given(
    st.sampled_from(
        ["{", "[", "jsonCallback(", "<", "<?xml version='1.0'?><rss><channel>", "<feed>"]
    ),
    st.text(max_size=400),
)
def test_random_text_behind_each_formats_opening(opening: str, rest: str) -> None:
    every_extractor((opening + rest).encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.sampled_from(JSON_FIXTURES), st.data())
def test_mutated_json_payloads(fixture: str, data: st.DataObject) -> None:
    payload = json.loads((FORMATS_DIR / fixture).read_text(encoding="utf-8"))
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        path = data.draw(st.sampled_from(paths(payload)), label="path")
        action = data.draw(st.sampled_from(["replace", "delete"]), label="action")
        payload = mutate(payload, path, action, data.draw(json_values, label="value"))
    body = json.dumps(payload).encode()
    if data.draw(st.booleans(), label="truncate"):
        body = body[: data.draw(st.integers(0, len(body)), label="cut")]
    every_extractor(body)


@FUZZ
@given(st.sampled_from(MARKUP_FIXTURES), st.data())
def test_mangled_markup(fixture: str, data: st.DataObject) -> None:
    text = (FORMATS_DIR / fixture).read_text(encoding="utf-8")
    for _ in range(data.draw(st.integers(1, 5), label="edits")):
        start = data.draw(st.integers(0, len(text)), label="start")
        end = data.draw(st.integers(start, min(len(text), start + 300)), label="end")
        text = (
            text[:start] + data.draw(st.sampled_from(["", *SNIPPETS]), label="insert") + text[end:]
        )
    every_extractor(text.encode("utf-8", "surrogatepass"))
