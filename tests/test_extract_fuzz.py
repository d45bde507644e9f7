"""Whatever the bytes, every extractor returns a well-formed Document or raises
ExtractionError: random bytes, and real payloads with values replaced, keys deleted, markup
mangled and bodies cut short."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tracker.errors import ExtractionError
from tracker.extract import FORMATS, detect_format, extract
from tracker.extract.times import to_utc
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


offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
moments = st.builds(
    lambda naive, zone: naive.replace(tzinfo=zone),
    st.datetimes(min_value=datetime.min, max_value=datetime.max).map(
        lambda d: d.replace(microsecond=0)
    ),
    offsets,
)


def written(moment: datetime) -> list[str]:
    """`moment` the ways vendors write times: ISO 8601, RFC 822, Apple's slashed form."""
    offset = moment.strftime("%z")
    slashed = (
        f"{moment.month:02d}/{moment.day:02d}/{moment.year:04d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} {offset[:3]}:{offset[3:]}"
    )
    return [moment.isoformat(), format_datetime(moment), slashed]


def utc_or_none(moment: datetime) -> datetime | None:
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        return None
    return utc if 1900 <= utc.year <= 9998 else None


@FUZZ
@given(moments)
@example(datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))))
@example(datetime(9999, 12, 31, 23, 59, tzinfo=UTC))
@example(datetime(9998, 12, 31, 23, 59, tzinfo=UTC))
@example(datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=1))))
@example(datetime(1900, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))))
def test_any_time_reads_as_utc_or_missing_never_an_overflow(moment: datetime) -> None:
    # A time is returned only with a year of room on either side, so a reader can add to it.
    expected = utc_or_none(moment)
    for text in written(moment):
        result = to_utc(text)
        if result is not None:
            assert ISO_UTC.match(result), (text, result)
            parsed = datetime.fromisoformat(result)
            assert 1 < parsed.year < 9999, (text, result)
        if moment.year >= 100:  # RFC 822 reads two-digit years as 19xx/20xx
            assert result == (expected.strftime("%Y-%m-%dT%H:%M:%SZ") if expected else None)


@FUZZ
@given(st.floats() | st.integers(-(10**20), 10**20))
def test_any_epoch_number_reads_as_utc_or_missing(value: float) -> None:
    result = to_utc(value)
    assert result is None or 1900 <= datetime.fromisoformat(result).year <= 9998


@FUZZ
@given(moments, st.sampled_from(["display_at", "created_at", "updated_at"]))
@example(datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))), "display_at")
@example(datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=1))), "created_at")
def test_statuspage_times_anywhere_in_datetimes_range(moment: datetime, field: str) -> None:
    payload = json.loads((FORMATS_DIR / "statuspage-incident.json").read_text(encoding="utf-8"))
    payload["incident"]["resolved_at"] = moment.isoformat()
    for update in payload["incident"]["incident_updates"]:
        update[field] = moment.isoformat()
    document = extract("statuspage", json.dumps(payload).encode(), "application/json")
    check(lambda: document)


def _element_texts(payload: str) -> list[str]:
    """Each element's exact text, found by decoding the array from its start."""
    decoder = json.JSONDecoder()
    at, texts = payload.index("[") + 1, []
    while True:
        at = len(payload) - len(payload[at:].lstrip())
        if payload[at] == "]":
            return texts
        _, stop = decoder.raw_decode(payload, at)
        texts.append(payload[at:stop])
        at = len(payload) - len(payload[stop:].lstrip())
        at += 1 if payload[at] == "," else 0


_GCP = json.loads(
    (Path(__file__).parent / "fixtures" / "formats" / "gcp-incidents.json").read_text()
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(["reword", "add", "drop", "layout", "same"]), st.integers(0, 99)),
        min_size=1,
        max_size=10,
    )
)
def test_a_history_read_element_by_element_reads_as_a_whole_parse_would(steps):
    """Version after version, incidents.json is read reusing what the last version shared
    with it at its start and end: each element's text, and the document, are what reading
    the version on its own gives."""
    from tracker.extract import extract
    from tracker.extract.decode import object_texts
    from tracker.extract.markup import fragment_to_text

    incidents = [dict(_GCP[0], id=f"inc{n}", external_desc=f"Incident {n}") for n in range(8)]
    indent: int | None = 2
    for step, n in steps:
        if step == "reword" and incidents:
            target = incidents[n % len(incidents)]
            target["external_desc"] += f" (update {n})"
        elif step == "add":
            incidents.insert(n % (len(incidents) + 1), dict(_GCP[0], id=f"new{n}"))
        elif step == "drop" and incidents:
            incidents.pop(n % len(incidents))
        elif step == "layout":
            indent = None if indent else 2
        payload = json.dumps(incidents, indent=indent, ensure_ascii=n % 2 == 0)
        assert object_texts(payload) == _element_texts(payload)
        document = extract("gcp", payload.encode(), "application/json", {}, None)
        keys = list(dict.fromkeys(i["id"] for i in incidents))
        assert [i.key for i in document.incidents] == keys
        titles: dict[str, str] = {}
        for incident in incidents:
            titles.setdefault(incident["id"], fragment_to_text(incident["external_desc"]))
        assert [i.title for i in document.incidents] == [titles[k] for k in keys]
