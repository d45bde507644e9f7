"""Reading vendor JSON defensively, and keeping keys unique.

A payload is checked where the extractor relies on its shape (the list of incidents, each
incident an object with an id); anything optional that has the wrong type is read as missing.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ..errors import ExtractionError
from ..memo import Memo
from ..text import normalize
from .decode import fail

_JSON_TYPES = {
    dict: "an object",
    list: "a list",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
}


T = TypeVar("T")
# JSON from a parser holds no cycles; the check would only cost time.
_KEY = json.JSONEncoder(separators=(",", ":"), check_circular=False)
# Incidents read from JSON, by their exact content: a history shows most of them unchanged in
# every version, and reading one again would give the same value.
_READ: Memo[tuple[str, ...], Any] = Memo(budget=16_000_000, weight=lambda key: len(key[-1]))


def read_once(fmt: str, item: Any, context: tuple[str, ...], read: Callable[[], T]) -> T:
    """`read()`, which depends only on `item` (a JSON value, or its exact text) and `context`,
    done once per distinct item.

    An error is raised again for every version that holds the item: only values are kept.
    """
    key = (fmt, *context, item if isinstance(item, str) else _KEY.encode(item))
    return _READ.get(key, read)


def kind(value: Any) -> str:
    """How a JSON value reads in an error message: "a list", "a string"."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def need_dict(fmt: str, value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(fmt, f"expected {where} to be a JSON object, found {kind(value)}")
    return value


def need_dicts(fmt: str, value: Any, where: str) -> list[dict[str, Any]]:
    """A list of objects; null or missing is an empty list (vendors write both)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(fmt, f"expected {where} to be a list, found {kind(value)}")
    for position, item in enumerate(value):
        if not isinstance(item, dict):
            raise fail(fmt, f"expected {where}[{position}] to be an object, found {kind(item)}")
    return value


def text(value: Any) -> str | None:
    """A scalar as a string; containers and booleans (never text on a page) are None."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def words(value: Any) -> str:
    """A plain-text field (a title, a status), normalised."""
    return normalize(text(value))


def names(values: Any, field: str | None = None) -> tuple[str, ...]:
    """Names from a list of strings, or of objects carrying the name in `field`."""
    if not isinstance(values, list):
        return ()
    found: list[str] = []
    for value in values:
        raw = value.get(field) if field and isinstance(value, dict) else value
        name = words(raw)
        if name and name not in found:
            found.append(name)
    return tuple(found)


def found_in(value: Any) -> str:
    """What a payload is, for a message saying it is not the expected one."""
    if isinstance(value, dict):
        keys = ", ".join(repr(key) for key in list(value)[:8])
        return f"an object with {keys}" if keys else "an empty object"
    return kind(value)


def present(**fields: str) -> dict[str, str | None]:
    """Page-level fields that have a value (an empty one is no content)."""
    return {name: value for name, value in fields.items() if value}


def need_key(fmt: str, value: Any, where: str) -> str:
    """A vendor id: the identity of an incident or update across versions of a page."""
    key = normalize(text(value))
    if not key:
        raise fail(fmt, f"{where} has no id; without one its versions cannot be matched")
    return key


def unique(keys: Iterable[str], newest_first: bool = True) -> list[str]:
    """Keys made unique with `#2`, `#3`… counted from the oldest item.

    Counting from the oldest keeps a key stable when later items are added at the top (the
    order every status page uses), e.g. two updates shown at the same minute.
    """
    ordered = list(keys)
    if len(set(ordered)) == len(ordered):
        return ordered  # nearly always: nothing to number
    if newest_first:
        ordered.reverse()
    seen: Counter[str] = Counter()
    taken: set[str] = set()
    result = []
    for key in ordered:
        seen[key] += 1
        candidate = key if seen[key] == 1 else f"{key}#{seen[key]}"
        while candidate in taken:  # a vendor key that already looks like "x#2"
            seen[key] += 1
            candidate = f"{key}#{seen[key]}"
        taken.add(candidate)
        result.append(candidate)
    if newest_first:
        result.reverse()
    return result


def guard(fmt: str, error: Exception) -> ExtractionError:
    """The error for a payload whose structure or values broke an assumption the checks above
    missed."""
    return fail(fmt, f"the payload is not what this format expects ({error!r})")
