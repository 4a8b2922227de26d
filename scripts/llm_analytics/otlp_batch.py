"""One OTLP/HTTP request body checked as `load` would check it, before a receiver accepts it.

The receiver must never land a batch the loader would later refuse (one refused file refuses the
whole load), so a body goes through the loader's own code: otlp_read recognises and parses it (a
JSON body exactly as a line of an OTLP JSON file), otlp_rows converts every span, log record and
metric point (the values the contract cannot hold raise here). What is landed is what the loader
will read: the protobuf body as sent (one serialized request, `.pb`), or the JSON body as one line
(`.otlp.jsonl`). Messages name the field's path and the problem, never a value.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path

from .otlp_files import SIGNAL_TABLES
from .otlp_read import Message, decode, requests_of
from .otlp_rows import OtlpValueError
from .raw_files import ContractError

BODY = Path("the request body")  # how refusals name what they read
PROTOBUF_TYPES = ("application/x-protobuf", "application/protobuf")
JSON_TYPE = "application/json"
ITEM_WORDS = {"traces": "spans", "logs": "log records", "metrics": "metric points"}


class BatchError(Exception):
    """A body the receiver refuses: the HTTP status to answer and a message without values."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Batch:
    """An accepted body: what to land, under which suffix, and how many items it holds."""

    signal: str
    data: bytes
    suffix: str
    items: int


def media_type(content_type: str | None) -> str:
    """'protobuf' or 'json' for a Content-Type header (parameters ignored); refused otherwise (415)."""
    base = (content_type or "").split(";", 1)[0].strip().lower()
    if base in PROTOBUF_TYPES:
        return "protobuf"
    if base == JSON_TYPE:
        return "json"
    raise BatchError(415, "Content-Type must be application/x-protobuf or application/json")


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """The body without its Content-Encoding (identity or gzip), refused past LIMIT bytes (413)."""
    encoding = (encoding or "identity").strip().lower()
    if encoding == "identity":
        return body
    if encoding != "gzip":
        raise BatchError(415, "Content-Encoding must be gzip or absent")
    out, rest = bytearray(), body
    while rest:  # a gzip file may hold several members, one after another
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(rest, limit + 1 - len(out))
        except zlib.error:
            raise BatchError(400, "the body is not valid gzip") from None
        if len(out) > limit:
            raise BatchError(413, f"the decompressed body is larger than {limit:,} bytes")
        if not inflater.eof:
            raise BatchError(400, "the gzip body is cut short")
        rest = inflater.unused_data
    return bytes(out)


def check(signal: str, body: bytes, kind: str) -> Batch:
    """BODY (uncompressed, of media KIND) as a batch of SIGNAL, or BatchError(400) saying why not."""
    try:
        if kind == "json":
            data, found = _json_messages(body)
            suffix = ".otlp.jsonl"
        else:
            data, found = _proto_message(body)
            suffix = ".pb"
        items = sum(_count(signal, m) for m in found)
    except ContractError as exc:
        raise BatchError(400, str(exc)) from None
    return Batch(signal, data, suffix, items)


def _proto_message(body: bytes) -> tuple[bytes, list[Message]]:
    if not body:  # an empty request: no resources, nothing to land
        return body, []
    message = decode(BODY, body, 0)
    # the loader reads a file that does not start with field 1 (0x0A) as a length-prefixed stream
    data = body if body[:1] == b"\x0a" else message.request.SerializeToString()
    return data, [message]


def _json_messages(body: bytes) -> tuple[bytes, list[Message]]:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        problem = f"{exc.msg} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
        raise BatchError(400, f"{BODY} (OTLP): not valid JSON ({problem})") from None
    line = json.dumps(doc, separators=(",", ":")).encode("ascii") + b"\n"  # before ids are rewritten
    return line, list(requests_of(BODY, doc, "the document"))


def _count(signal: str, message: Message) -> int:
    """The rows the message gives (the loader's conversion, so a value it would refuse is refused)."""
    if message.signal != signal:
        problem = f"holds {message.signal}, not {signal}: post it to /v1/{message.signal}"
        raise BatchError(400, f"{BODY}: {problem}")
    _, rows_of = SIGNAL_TABLES[signal]
    try:
        return sum(1 for _ in rows_of(message.request))
    except OtlpValueError as exc:
        raise BatchError(400, f"{BODY} (OTLP): {message.at}: {exc}") from None
    except (RecursionError, UnicodeError) as exc:
        raise BatchError(400, f"{BODY} (OTLP): a value cannot be stored ({type(exc).__name__})") from None


def rpc_status(kind: str, message: str) -> bytes:
    """A google.rpc.Status (code 3, INVALID_ARGUMENT) with MESSAGE, as OTLP/HTTP answers a refusal."""
    if kind == "json":
        return json.dumps({"code": 3, "message": message}).encode()
    text = message.encode()
    length, size = bytearray(), len(text)
    while True:  # varint
        length.append((size & 0x7F) | (0x80 if size > 0x7F else 0))
        size >>= 7
        if not size:
            break
    return b"\x08\x03\x12" + bytes(length) + text


def describe(batch: Batch) -> str:
    """'3 spans', '1 log record': what the batch holds, for the receiver's log line."""
    words = ITEM_WORDS[batch.signal]
    return f"{batch.items:,} {words if batch.items != 1 else words[:-1]}"
