"""A document in pieces: incidents and updates as item versions, hashed one by one.

A version's document is not stored whole. Each incident (its fields and the order of its
updates) and each update is an item; a row is written when an item's hash changes, with the
snapshot that first showed it (`since`) and the first that no longer did (`until`). The page
fields and the order of incidents form a layout, stored once per distinct value. Reading the
rows alive at a snapshot gives its document back exactly.

An item's place is its slot: the key, and `#n` for the n-th repeat of that key in the list.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..memo import Memo
from ..models import Document, Incident

# `json.dumps` with these arguments builds this very encoder on every call; one is kept.
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical(data: Any) -> str:
    """The key-sorted compact JSON `Document.canonical_json` is made of."""
    return _ENCODER.encode(data)


# An item's hash is the first 128 bits of the SHA-256 of its canonical text, in hex: it only
# tells a changed item from an unchanged one (a version's whole document keeps its full
# SHA-256, which `verify` checks the rebuilt document against), and it is stored as 16 bytes.
ITEM_HASH_HEX = 32


def digest_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:ITEM_HASH_HEX]


def slots(keys: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for key in keys:
        count = seen.get(key, 0)
        seen[key] = count + 1
        out.append(f"{key}#{count}")
    return out


@dataclass(frozen=True)
class IncidentPiece:
    """One incident of a version. Its parts are only cut when it is stored (it changed)."""

    slot: str
    incident: Incident
    hash: str  # the whole incident, updates included (blind to their order, as documents are)

    @cached_property
    def header(self) -> dict[str, Any]:
        """The incident without its updates, with their slots in order."""
        data = self.incident.to_dict()
        updates = data.pop("updates")
        return dict(data, updates=slots([u["key"] for u in updates]))

    @cached_property
    def header_hash(self) -> str:
        return digest_text(canonical(self.header))

    @cached_property
    def updates(self) -> tuple[tuple[str, dict[str, Any], str], ...]:
        """(slot, Update.to_dict(), hash) of each update, in order."""
        data = [u.to_dict() for u in self.incident.updates]
        return tuple(
            (s, u, digest_text(canonical(u)))
            for s, u in zip(self.header["updates"], data, strict=True)
        )


@dataclass(frozen=True)
class Pieces:
    """One document cut into items, with the document's own hash computed from them."""

    document_hash: str
    order: tuple[str, ...]
    incidents: Mapping[str, IncidentPiece]
    layout: dict[str, Any]
    layout_hash: str

    def hashes(self) -> dict[str, str]:
        return {slot: piece.hash for slot, piece in self.incidents.items()}


# An extractor hands back the very same Incident for an item that did not change, so its
# canonical text and hash are remembered by identity (the value is kept, so the id stays its).
_TEXTS: Memo[int, tuple[Incident, bytes, str]] = Memo(budget=4_000, weight=lambda _: 1)


def _incident_text(incident: Incident) -> tuple[bytes, str]:
    """The incident's canonical JSON (updates sorted by key), UTF-8, and its SHA-256."""
    kept, text, digest = _TEXTS.get(id(incident), lambda: _cut(incident))
    if kept is not incident:  # an id reused by a new value after the old one was dropped
        kept, text, digest = _cut(incident)
    return text, digest


def _cut(incident: Incident) -> tuple[Incident, bytes, str]:
    data = incident.to_dict()
    data["updates"].sort(key=lambda u: u["key"])
    text = canonical(data).encode("utf-8")
    return incident, text, hashlib.sha256(text).hexdigest()[:ITEM_HASH_HEX]


def pieces(document: Document) -> Pieces:
    """Cut `document` into items. `document_hash` equals `document.hash()`."""
    order = slots([i.key for i in document.incidents])
    by_slot: dict[str, IncidentPiece] = {}
    whole: list[tuple[str, bytes]] = []
    for slot, incident in zip(order, document.incidents, strict=True):
        text, digest = _incident_text(incident)
        whole.append((incident.key, text))
        by_slot[slot] = IncidentPiece(slot=slot, incident=incident, hash=digest)
    # Document.canonical_json sorts incidents by key (stably) and dumps with sorted keys:
    # coverage, format, incidents, page. Hashing the same UTF-8 text part by part, from the
    # incidents' own (remembered) texts, avoids serialising and encoding the whole page.
    whole.sort(key=lambda pair: pair[0])
    document_hash = hashlib.sha256(
        f'{{"coverage":{canonical(document.coverage)},"format":{canonical(document.format)},'
        '"incidents":['.encode()
    )
    for number, (_, text) in enumerate(whole):
        if number:
            document_hash.update(b",")
        document_hash.update(text)
    document_hash.update(f'],"page":{canonical(dict(document.page))}}}'.encode())
    layout = {
        "format": document.format,
        "coverage": document.coverage,
        "page": dict(document.page),
        "incidents": order,
    }
    return Pieces(
        document_hash=document_hash.hexdigest(),
        order=tuple(order),
        incidents=by_slot,
        layout=layout,
        layout_hash=digest_text(canonical(layout)),
    )


def assemble(
    layout: dict[str, Any],
    headers: Mapping[str, dict[str, Any]],
    updates: Mapping[tuple[str, str], dict[str, Any]],
) -> Document:
    """The document a layout and its live item rows describe."""
    incidents = []
    for slot in layout["incidents"]:
        header = dict(headers[slot])
        header["updates"] = [updates[(slot, u)] for u in header["updates"]]
        incidents.append(header)
    return Document.from_dict(
        {
            "format": layout["format"],
            "coverage": layout["coverage"],
            "page": layout["page"],
            "incidents": incidents,
        }
    )
