"""`select` / `ignore` CSS options: Lexbor runs CSS Selectors level 4, and selectors only
soupsieve knows keep working as they did on Beautiful Soup."""

from __future__ import annotations

import pytest

from tracker.errors import ExtractionError
from tracker.extract import extract

PAGE = b"""<!DOCTYPE html><html><head><title>T</title></head><body>
<nav><p>Home | Blog</p></nav>
<main><h2>Incidents</h2><p class="a">Partial outage in eu-west.</p><p class="b">Resolved.</p>
<div class="ad"><p>Buy now</p></div></main><footer><p>Imprint</p></footer></body></html>"""


def texts(options: dict) -> list[str]:
    document = extract("html", PAGE, options=options)
    return [u.text for i in document.incidents for u in i.updates]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"select": "main", "ignore": [".ad"]}, ["Partial outage in eu-west.", "Resolved."]),
        ({"select": "main > p:nth-child(2 of p)"}, ["Resolved."]),
        ({"select": "main p:not(.a, .b)"}, ["Buy now"]),
        ({"select": "main:has(> h2)", "ignore": [":is(.a, .ad)"]}, ["Resolved."]),
        ({"select": "p:-soup-contains('outage')"}, ["Partial outage in eu-west."]),
        (
            {"select": "main", "ignore": ["p:-soup-contains('Buy')", ".b"]},
            ["Partial outage in eu-west."],
        ),
        ({"ignore": ["nav", "footer", "main"]}, []),
    ],
)
def test_selectors(options: dict, expected: list[str]) -> None:
    if not expected:
        with pytest.raises(ExtractionError, match="no visible text"):
            texts(options)
        return
    assert texts(options) == expected


def test_an_invalid_selector_is_named() -> None:
    with pytest.raises(ExtractionError, match=r"option 'ignore': 'p:nope\(' is not a valid CSS"):
        texts({"ignore": ["p:nope("]})
