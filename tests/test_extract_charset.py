"""The same bytes always decode the same way: a BOM, then valid UTF-8, then the document's own
declaration, then the HTTP header. A header that flips between requests changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.extract import extract

FORMATS_DIR = Path(__file__).parent / "fixtures" / "formats"
HEADERS = [
    None,
    "text/html",
    "text/html; charset=utf-8",
    "text/html; charset=windows-1252",
    "text/html; charset=iso-8859-1",
    "text/html; charset=shift_jis",
]
UTF8_PAGE = (
    "<!DOCTYPE html><html><head><title>Statut</title></head><body>"
    "<h1>Statut</h1><p>Réseau dégradé à 30 % — “résolu” 14:45 UTC</p></body></html>"
).encode()


@pytest.mark.parametrize(
    ("fixture", "fmt"), [("statuspage-page.html", "statuspage"), ("statuspage-page.html", "html")]
)
def test_header_charset_flip_on_identical_bytes_gives_the_identical_document(
    fixture: str, fmt: str
) -> None:
    body = (FORMATS_DIR / fixture).read_bytes()
    documents = [extract(fmt, body, header) for header in HEADERS]
    assert all(document == documents[0] for document in documents)
    assert len({document.hash() for document in documents}) == 1


def test_utf8_page_with_a_wrong_header_reads_as_utf8() -> None:
    documents = [extract("html", UTF8_PAGE, header) for header in HEADERS]
    assert {d.hash() for d in documents} == {documents[0].hash()}
    assert documents[3].incidents[0].updates[0].text == 'Réseau dégradé à 30 % - "résolu" 14:45 UTC'


def test_the_pages_own_declaration_wins_over_the_header() -> None:
    text = "<h1>Statut</h1><p>Réseau dégradé à 30 %</p>"
    for declaration in ('<meta charset="windows-1252">', '<?xml version="1.0" encoding="cp1252"?>'):
        body = declaration.encode() + text.encode("windows-1252")
        for header in HEADERS:
            document = extract("html", body, header)
            assert document.incidents[0].updates[0].text == "Réseau dégradé à 30 %", header


def test_the_header_decides_only_for_undeclared_bytes_that_are_not_utf8() -> None:
    body = "<h1>Statut</h1><p>Réseau dégradé</p>".encode("windows-1252")
    document = extract("html", body, "text/html; charset=windows-1252")
    assert document.incidents[0].updates[0].text == "Réseau dégradé"


def test_a_byte_order_mark_wins_over_everything() -> None:
    body = "<h1>Statut</h1><p>Réseau dégradé</p>".encode("utf-16")
    document = extract("html", body, "text/html; charset=windows-1252")
    assert document.incidents[0].updates[0].text == "Réseau dégradé"


def test_a_utf16_meta_declaration_on_ascii_bytes_reads_as_utf8() -> None:
    body = '<meta charset="utf-16"><h1>Status</h1><p>Caf\xc3\xa9 down</p>'.encode("latin-1")
    assert extract("html", body).incidents[0].updates[0].text == "Café down"
