"""The built-in catalog of well-known vendor status pages (data in catalog.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Entry:
    name: str
    title: str
    url: str
    format: str
    homepage: str


@cache
def entries() -> tuple[Entry, ...]:
    raw = resources.files("tracker").joinpath("catalog.json").read_text("utf-8")
    return tuple(Entry(**item) for item in json.loads(raw)["sources"])


def lookup(name: str) -> Entry | None:
    for entry in entries():
        if entry.name == name.lower():
            return entry
    return None
