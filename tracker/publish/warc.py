"""WARC export (ISO 28500, WARC/1.1 via warcio): the archive as web archivists exchange it.

One `warcinfo` record names the tool and the chain head; then, for every stored fetch that
brought a body, a `request` record and a `response` record whose payload is the body exactly
as it was received (the SHA-256 `verify` checks). The body was stored decoded, so the
response's framing headers that describe the wire (Transfer-Encoding, Content-Encoding,
Content-Length) are replaced by the length of the bytes kept. warcio writes the
WARC-Block-Digest and WARC-Payload-Digest of each record.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .. import __version__
from ..models import Head

# Headers describing how the bytes travelled, not the bytes kept.
_WIRE = {"transfer-encoding", "content-encoding", "content-length", "connection", "keep-alive"}


def write_warc(
    out: BinaryIO,
    fetches: Iterable[dict[str, Any]],
    body: Callable[[str], bytes],
    *,
    head: Head,
    filename: str,
    compress: bool = True,
) -> int:
    """Write the WARC file of these fetch rows (as `Archive.warc_fetches` gives them) to
    `out`, one record at a time; returns how many fetches it holds. Each record is its own
    gzip member when `compress`."""
    writer = WARCWriter(out, gzip=compress, warc_version="WARC/1.1")
    info = {
        "software": f"status-tracker/{__version__}",
        "format": "WARC File Format 1.1",
        "description": "Raw bodies of vendor status pages kept by status-tracker",
        "status-tracker-chain-head": head.hash,
        "status-tracker-chain-records": str(head.count),
    }
    writer.write_record(writer.create_warcinfo_record(filename, info))
    count = 0
    for row in fetches:
        _write_fetch(writer, row, body(row["sha256"]))
        count += 1
    return count


def _write_fetch(writer: WARCWriter, row: dict[str, Any], payload: bytes) -> None:
    uri = row["final_url"] or row["url"]
    date = _warc_date(row["started_at"])
    request = json.loads(row["request"] or "{}")
    request_headers = [(k, str(v)) for k, v in (request.get("headers") or {}).items()]
    parts = urlsplit(uri)
    if not any(k.lower() == "host" for k, _ in request_headers) and parts.netloc:
        request_headers.insert(0, ("Host", parts.netloc))
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request_record = writer.create_warc_record(
        uri,
        "request",
        payload=io.BytesIO(b""),
        http_headers=StatusAndHeaders(
            f"{request.get('method') or 'GET'} {target} HTTP/1.1",
            request_headers,
            is_http_request=True,
        ),
        warc_headers_dict={"WARC-Date": date},
    )
    status = int(row["http_status"] or 200)
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    headers = [
        (k, str(v)) for k, v in json.loads(row["headers"] or "{}").items() if k.lower() not in _WIRE
    ]
    if row["content_type"] and not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", row["content_type"]))
    headers.append(("Content-Length", str(len(payload))))
    response_record = writer.create_warc_record(
        uri,
        "response",
        payload=io.BytesIO(payload),
        length=len(payload),
        http_headers=StatusAndHeaders(f"{status} {reason}".strip(), headers, protocol="HTTP/1.1"),
        warc_headers_dict={
            "WARC-Date": date,
            "WARC-Protocol": "http/1.1",
        },
    )
    writer.write_request_response_pair(request_record, response_record)


def _warc_date(value: str) -> str:
    """WARC-Date: UTC, `YYYY-MM-DDThh:mm:ssZ` (fractions of a second allowed in WARC/1.1)."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
