"""Raw bytes → text, JSON values and XML trees, with errors that name the format and the fix.

Extractors never see an exception from a parser: anything a body can throw at json, expat or the
codecs becomes an ExtractionError saying what was found instead.
"""

from __future__ import annotations

import codecs
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from ..errors import ExtractionError
from ..memo import Memo

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Compressed or binary bodies served as text (a gzip body without Content-Encoding, an image
# behind a wrong URL) would otherwise decode into a page of garbage.
_MAGIC = (
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"PK\x03\x04", "a zip archive"),
    (b"BZh", "bzip2-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"\s*<\?xml[^>]*?encoding\s*=\s*[\"']([\w.:-]+)", re.IGNORECASE)
_PROLOG = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)", re.DOTALL | re.IGNORECASE)
_ROOT = re.compile(r"\s*<([A-Za-z][\w:.-]*)")
_JSONP_HEAD = re.compile(r"\s*[A-Za-z_$][\w$.]*\s*\(")


def fail(fmt: str, message: str) -> ExtractionError:
    """An ExtractionError whose message starts with the format, the way every reader expects."""
    return ExtractionError(f"{fmt}: {message}")


def check_not_binary(fmt: str, body: bytes) -> None:
    if not body or body.isspace():  # (strip() would copy a large body)
        raise fail(fmt, "the body is empty; nothing to extract (the fetch returned no content)")
    for magic, what in _MAGIC:
        if body.startswith(magic):
            raise fail(fmt, f"the body is {what}, not text; check the URL and Content-Encoding")
    head = body[:4096]
    if b"\x00" in head and not any(head.startswith(bom) for bom, _ in _BOMS):
        raise fail(fmt, "the body contains NUL bytes: it is binary data, not a text page")


def charset_of(content_type: str | None) -> str | None:
    """The charset a Content-Type header declares, if Python knows that codec."""
    match = _CHARSET.search(content_type or "")
    if not match:
        return None
    try:
        return codecs.lookup(match.group(1)).name
    except LookupError:
        return None


def decode_text(body: bytes, content_type: str | None = None) -> str:
    """JSON and XML bodies → str: a BOM, then UTF-8, then the declared charset.

    JSON is UTF-8 by definition, and servers often declare a charset they do not use, so
    valid UTF-8 wins. Bytes invalid in the chosen encoding become U+FFFD: one bad byte in a
    vendor's page should cost one character, not the whole observation (the raw bytes are kept).
    """
    return _with_bom(body) or _first_fit(body, "utf-8", charset_of(content_type))


def decode_html(body: bytes, content_type: str | None) -> str:
    """An HTML page's text: a BOM, then UTF-8, then the page's own declaration (`<meta>`
    charset, XML declaration), then the HTTP charset.

    The same bytes always decode the same way, whatever the header says: servers flip the
    header's charset between requests (a CDN node, a proxy) while the bytes stay identical,
    and a header believed first would turn an unchanged page into a page of mojibake. Valid
    UTF-8 is taken as UTF-8 before any declaration: pages that declare one charset and are
    written in another are common, UTF-8 that happens to be valid by accident is not. The
    header only decides for bytes that are not UTF-8 and declare nothing.
    """
    return _with_bom(body) or _first_fit(
        body, "utf-8", declared_charset(body), charset_of(content_type)
    )


def declared_charset(body: bytes) -> str | None:
    """The charset a document declares in its first bytes: `<meta charset>` (or the
    http-equiv form), else an XML declaration's encoding; None if none Python knows."""
    head = body[:4096]
    match = _META_CHARSET.search(head) or _XML_ENCODING.match(head)
    if not match:
        return None
    declared = charset_of("charset=" + match.group(1).decode("ascii"))
    # A page read as text cannot declare UTF-16 or UTF-32 in ASCII; browsers read it as UTF-8.
    return "utf-8" if declared and declared.startswith(("utf-16", "utf-32")) else declared


def _with_bom(body: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body.decode(encoding, errors="replace").lstrip("\ufeff")
    return None


def _first_fit(body: bytes, *encodings: str | None) -> str:
    """The body in the first encoding that decodes it; else the last one named, with U+FFFD."""
    named = [encoding for encoding in encodings if encoding]
    for encoding in named:
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    return body.decode(named[-1], errors="replace")


def sniff(body: bytes) -> str:
    """What a body is, from its first bytes: json, jsonp, feed, xml, html or text."""
    head = decode_text(body[:4096]).lstrip("\ufeff \t\r\n")
    if head[:1] in ("{", "["):
        return "json"
    if _JSONP_HEAD.match(head):
        return "jsonp"
    if not head.startswith("<"):
        return "text"
    position = 0
    while match := _PROLOG.match(head, position):
        position = match.end()
    root = _ROOT.match(head, position)
    name = root.group(1).rsplit(":", 1)[-1].lower() if root else ""
    if name in ("rss", "feed", "rdf"):
        return "feed"
    if head.startswith("<?xml") and name != "html":
        return "xml"
    return "html"


def looks_like_markup(text: str) -> bool:
    return text.lstrip()[:1] == "<"


def describe(text: str) -> str:
    """A short, printable description of what a body starts with, for error messages."""
    head = " ".join(text.strip()[:60].split())
    return repr(head) if head else "an empty body"


def load_json(fmt: str, body: bytes, content_type: str | None, expected: str) -> Any:
    """Parse a JSON (or JSONP-wrapped JSON) body; `expected` says what the format needs."""
    text, payload = json_payload(fmt, body, content_type, expected)
    return parse_json(fmt, text, payload, expected)


def json_payload(fmt: str, body: bytes, content_type: str | None, expected: str) -> tuple[str, str]:
    """The body's text and the JSON in it (a JSONP callback taken off), not yet parsed."""
    check_not_binary(fmt, body)
    text = decode_text(body, content_type)
    if looks_like_markup(text):
        raise fail(
            fmt,
            f"expected {expected} but the body is HTML/XML ({describe(text)}); the server sent "
            "a web page (an error or challenge page?): check the URL or choose another format",
        )
    return text, unwrap_jsonp(text)


def parse_json(fmt: str, text: str, payload: str, expected: str) -> Any:
    """`payload` parsed; an error names what is wrong with the body `text`."""
    try:
        return json.loads(payload)
    except json.JSONDecodeError as exc:
        # The parser stopped at the very end, or in a string that never closes: the body was
        # cut short (a dropped connection, a size limit), not written wrong.
        cut = exc.pos >= len(payload.rstrip()) - 1 or exc.msg.startswith("Unterminated string")
        raise fail(
            fmt,
            f"expected {expected} but the body is not valid JSON"
            f"{' (the body looks truncated)' if cut else ''}: {exc.msg} (line {exc.lineno}, "
            f"column {exc.colno}); the body starts with {describe(text)}",
        ) from None
    except (ValueError, RecursionError) as exc:  # absurd nesting, 5000-digit numbers
        raise fail(fmt, f"expected {expected} but the JSON cannot be read: {exc}") from None


def object_texts(payload: str) -> list[str] | None:
    """The exact text of each element of a top-level JSON array of objects, or None.

    A history shows most elements unchanged from one version to the next: an element whose
    text was seen before is found by comparing text, without parsing it again (an object's
    text ends where its braces close, so matching it from the element's start is exact).
    None when the payload is anything else (not an array, not objects, not valid JSON): the
    caller then parses it whole, and its errors read as they always did.
    """
    end = len(payload)
    at = _SPACE.match(payload, 0).end()  # type: ignore[union-attr]
    if payload[at : at + 1] != "[":
        return None
    at = _SPACE.match(payload, at + 1).end()  # type: ignore[union-attr]
    texts: list[str] = []
    if payload[at : at + 1] == "]":
        return texts if _SPACE.match(payload, at + 1).end() == end else None  # type: ignore[union-attr]
    while True:
        if payload[at : at + 1] != "{":
            return None
        seen = _SEEN.get(payload[at : at + _HEAD], list)
        known = next((t for t in seen if payload.startswith(t, at)), None)
        if known is None:
            try:
                _, stop = _DECODER.raw_decode(payload, at)
            except (ValueError, RecursionError):
                return None
            known = payload[at:stop]
            seen.insert(0, known)
            del seen[_VERSIONS:]
        texts.append(known)
        at = _SPACE.match(payload, at + len(known)).end()  # type: ignore[union-attr]
        mark = payload[at : at + 1]
        at = _SPACE.match(payload, at + 1).end()  # type: ignore[union-attr]
        if mark == "]":
            return texts if at == end else None
        if mark != ",":
            return None


_SPACE = re.compile(r"[ \t\n\r]*")  # what JSON counts as whitespace
_DECODER = json.JSONDecoder()
_HEAD = 96
_VERSIONS = 4
# The last few texts of the elements seen lately, by their first characters.
_SEEN: Memo[str, list[str]] = Memo(budget=_HEAD * 4096)


def unwrap_jsonp(text: str) -> str:
    """`callback({...});` → `{...}`; anything else unchanged."""
    match = _JSONP_HEAD.match(text)
    if not match:
        return text
    close = text.rfind(")")
    if close < match.end() or text[close + 1 :].strip(" \t\r\n;"):
        return text
    return text[match.end() : close]


def load_xml(fmt: str, body: bytes) -> ET.Element:
    """Parse an XML body (feeds). Entity declarations are refused: feeds never need them and
    they are how XML bombs work."""
    check_not_binary(fmt, body)
    if re.search(rb"<!ENTITY", body, re.IGNORECASE):
        raise fail(fmt, "the XML declares entities (<!ENTITY>); refusing to expand them")
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise fail(
            fmt,
            f"the body is not well-formed XML ({exc}); body starts with "
            f"{describe(decode_text(body[:200]))}",
        ) from None
    except RecursionError:
        raise fail(fmt, "the XML is nested too deeply to read") from None
