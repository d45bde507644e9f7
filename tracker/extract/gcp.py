"""Google Cloud (and Google Workspace) `incidents.json`.

Two schemas are in the wild: the current one (`id`, `status_impact`, `affected_products`) and
the one served until 2021 (`number` per service, `uri`, `most-recent-update`, no status).
Updates carry no id; their `created` time is what stays fixed when one is rewritten (its
`modified` moves), so it is the key.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from urllib.parse import urljoin

from ..models import COVERAGE_WINDOW, Document, Incident, Update
from .decode import fail, json_payload, object_texts, parse_json
from .markup import fragment_to_text
from .shape import found_in, names, need_dicts, need_key, read_once, text, unique, words
from .times import to_utc

FORMAT = "gcp"
_EXPECTED = "a Google Cloud incidents.json list of incidents"
_SITE = "https://status.cloud.google.com/"


def extract_gcp(body: bytes, content_type: str | None, options: dict, url: str | None) -> Document:
    text, payload = json_payload(FORMAT, body, content_type, _EXPECTED)
    base = url or _SITE
    texts = object_texts(payload)
    if texts is not None:
        # Each incident read from its own text, once per distinct text: as parsing the whole
        # list would, since every element is an object.
        incidents: dict[str, Incident] = {}
        for position, item in enumerate(texts):
            incident = read_once(
                FORMAT,
                item,
                (base,),
                lambda: _incident(json.loads(item), f"incident [{position}]", base),  # noqa: B023
            )
            incidents.setdefault(incident.key, incident)
        return Document(FORMAT, tuple(incidents.values()), COVERAGE_WINDOW, {})
    data = parse_json(FORMAT, text, payload, _EXPECTED)
    if not isinstance(data, list):
        raise fail(
            FORMAT,
            "not a list of incidents: this is not a Google Cloud incidents.json payload (found "
            f"{found_in(data)}); expected {_EXPECTED}; check the source URL",
        )
    read: dict[str, Incident] = {}
    for position, raw in enumerate(need_dicts(FORMAT, data, "the incident list")):
        incident = _incident(raw, f"incident [{position}]", base)
        read.setdefault(incident.key, incident)
    return Document(FORMAT, tuple(read.values()), COVERAGE_WINDOW, {})


def _incident(item: dict[str, Any], where: str, base: str) -> Incident:
    service_key = words(item.get("service_key"))
    if item.get("id") is not None:
        key = need_key(FORMAT, item.get("id"), where)
    else:  # 2020 schema: numbers restart per service ("/incident/appengine/20008")
        key = f"{service_key}/{need_key(FORMAT, item.get('number'), where)}"
    updates = [
        _update(update) for update in need_dicts(FORMAT, item.get("updates"), f"{where}.updates")
    ]
    keys = unique(update.key for update in updates)
    products = names(item.get("affected_products"), "title")
    uri = words(item.get("uri"))
    times = {name: stamp for name in ("begin", "end") if (stamp := to_utc(item.get(name)))}
    return Incident(
        key=key,
        title=fragment_to_text(text(item.get("external_desc"))),
        status=words(item.get("status_impact")) or None,
        impact=words(item.get("severity")) or None,
        url=urljoin(base, uri) if uri else None,
        created_at=to_utc(item.get("created")),
        resolved_at=to_utc(item.get("end")),
        components=products or names([item.get("service_name")]),
        updates=tuple(replace(u, key=k) for u, k in zip(updates, keys, strict=True)),
        meta={"modified": to_utc(item.get("modified"))}
        | {"service": words(item.get("service_name")) or None},
        times=times,
    )


def _update(item: dict[str, Any]) -> Update:
    created, when = to_utc(item.get("created")), to_utc(item.get("when"))
    return Update(
        key=created or when or "update",
        posted_at=when or created,
        status=words(item.get("status")) or None,
        fields={"body": fragment_to_text(text(item.get("text")))},
        meta={"created": created, "modified": to_utc(item.get("modified")), "when": when},
    )
