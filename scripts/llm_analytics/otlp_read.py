"""Read OTLP files as Export{Trace,Logs,Metrics}ServiceRequest messages, one at a time.

What is read (recognised by content, so a file keeps its exporter's name):
- OTLP JSON: one request per line (the Collector's `file` exporter), or one document, pretty-printed
  or not. Ids are hex (base64 accepted, as protobuf's own JSON mapping writes them), 64-bit
  integers decimal strings or numbers, enums numbers (or names); lowerCamelCase keys as the spec
  writes them, snake_case ones too. Unknown fields are ignored, as the OTLP spec asks of
  receivers. A line may hold several signals.
- OTLP protobuf: one serialized request, or the Collector's `format: proto` stream, where each
  request is preceded by its length as a 4-byte big-endian unsigned integer.

A file that does not read is refused whole (ContractError) with the file, the position (line, or
byte offset for protobuf), the field's path in the message and what is wrong, never a value.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import json_format, unknown_fields
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from .raw_files import ContractError

# signal: (request class, its field in OTLP JSON, the same in snake_case)
SIGNALS: dict[str, tuple[type, str, str]] = {
    "traces": (ExportTraceServiceRequest, "resourceSpans", "resource_spans"),
    "logs": (ExportLogsServiceRequest, "resourceLogs", "resource_logs"),
    "metrics": (ExportMetricsServiceRequest, "resourceMetrics", "resource_metrics"),
}
LAYOUT = {
    "traces": ("resource_spans", "scope_spans", "spans"),
    "logs": ("resource_logs", "scope_logs", "log_records"),
    "metrics": ("resource_metrics", "scope_metrics", "metrics"),
}
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
OTLP_SUFFIXES = (".otlp.json", ".otlp.jsonl", ".otlp.ndjson", ".pb", ".binpb")
_DOC_START = re.compile(rb'^\s*\{\s*"(resource_?(spans|logs|metrics))"\s*:', re.IGNORECASE)
_ID_KEYS = {"traceId", "trace_id", "spanId", "span_id", "parentSpanId", "parent_span_id"}
_NO_IDS_BELOW = {"attributes", "body", "value", "resource", "scope"}  # values, not OTLP structure
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")
# a 16- or 8-byte id as protobuf's own JSON mapping writes it (padded base64: never valid hex)
_BASE64_ID = re.compile(r"[A-Za-z0-9+/_-]{22}==|[A-Za-z0-9+/_-]{11}=")
SNIFF_BYTES = 1 << 16


@dataclass(frozen=True)
class Message:
    """One request read from a file, with where it starts (for messages to the user)."""

    signal: str
    request: Any
    at: str  # "line 3", "byte offset 120", "the document"


def is_otlp(path: Path) -> bool:
    """Whether PATH is an OTLP file: named so (*.otlp.json[l], *.pb), or JSON that starts like one."""
    name = path.name.lower()
    if name.endswith(OTLP_SUFFIXES):
        return True
    if not name.endswith(JSON_SUFFIXES):
        return False
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    return bool(_DOC_START.match(head.removeprefix(b"\xef\xbb\xbf")))


def messages(path: Path) -> Iterator[Message]:
    """Every request in the file, in order: JSON for a .json / .jsonl name or content starting with
    '{', else protobuf."""
    with path.open("rb") as fh:
        first = fh.read(SNIFF_BYTES).removeprefix(b"\xef\xbb\xbf").lstrip()
    if path.name.lower().endswith(JSON_SUFFIXES) or first.startswith(b"{"):
        yield from json_messages(path)
    else:
        yield from proto_messages(path)


def refuse(path: Path, at: str, problem: str) -> ContractError:
    return ContractError(f"{path} (OTLP): {at}: {problem}")


def json_messages(path: Path) -> Iterator[Message]:
    """JSON lines, or one document when the first line is not a whole JSON value."""
    lines_mode, blank = False, True
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            blank = False
            try:
                doc = json.loads(line)
            except ValueError as exc:
                if not lines_mode:
                    break  # not one document per line: read the file as one document
                raise refuse(path, f"line {lineno}", f"not valid JSON ({_json_problem(exc)})") from None
            lines_mode = True
            yield from requests_of(path, doc, f"line {lineno}")
    if not (lines_mode or blank):
        try:
            doc = json.loads(path.read_bytes())
        except ValueError as exc:
            at = f"line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else "the document"
            raise refuse(path, at, f"not valid JSON ({_json_problem(exc)})") from None
        yield from requests_of(path, doc, "the document")


def _json_problem(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    return "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else type(exc).__name__


def requests_of(path: Path, doc: Any, at: str) -> Iterator[Message]:
    """The requests of one OTLP JSON document: one per signal it holds."""
    found = False
    if isinstance(doc, dict):
        for signal, (cls, camel, snake) in SIGNALS.items():
            for key in (camel, snake):
                if key in doc:
                    found = True
                    part = {key: doc[key]}
                    _hex_ids_to_base64(path, at, part, "")
                    yield Message(signal, _parse_json(path, at, part, cls), at)
    if not found:
        raise refuse(path, at, "not an OTLP document (no resourceSpans, resourceLogs or resourceMetrics)")


def _hex_ids_to_base64(path: Path, at: str, node: Any, where: str) -> None:
    """OTLP JSON writes ids as hex, protobuf's JSON mapping reads bytes as base64: convert in place."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in list(items):
        inner = f"{where}.{key}" if isinstance(key, str) else f"{where}[{key}]"
        if key in _ID_KEYS and isinstance(value, str):
            if _HEX.fullmatch(value):
                node[key] = base64.b64encode(bytes.fromhex(value)).decode("ascii")
            elif not _BASE64_ID.fullmatch(value):
                problem = "is not a hex id (OTLP JSON writes trace and span ids as hex digits)"
                raise refuse(path, at, f"{inner.lstrip('.')} {problem}")
        elif isinstance(value, dict | list) and key not in _NO_IDS_BELOW:
            _hex_ids_to_base64(path, at, value, inner)


def _parse_json(path: Path, at: str, part: dict[str, Any], cls: type) -> Any:
    try:
        return json_format.ParseDict(part, cls(), ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise refuse(path, at, parse_problem(str(exc))) from None


def parse_problem(message: str) -> str:
    """protobuf's ParseError as a path and a reason, without the value it quotes."""
    path = re.search(r" at \w+\.([\w\[\]]+(?:\.[\w\[\]]+)*)", message)
    fields = re.findall(r"Failed to parse (\w+) field", message)
    where = path.group(1) if path else ".".join(fields[:12]) + (".…" if len(fields) > 12 else "")
    where = where or "a field"
    reasons = (
        ("Couldn't parse integer", "is not an integer"),
        ("Couldn't parse float", "is not a number"),
        ("expected string", "is not a string"),
        ("must be in []", "must be a list"),
        ("must be in a dict", "must be an object"),
        ("Invalid enum value", "is not a known enum value"),
        ("Integer out of range", "is out of range"),
        ("Expected true or false", "is not a boolean"),
        ("Failed to load", "is not valid base64"),
        ("too deep", "is nested more than 100 levels deep"),
    )
    reason = next((r for key, r in reasons if key in message), "has a value of the wrong type")
    return f"{where} {reason}"


def proto_messages(path: Path) -> Iterator[Message]:
    """One request, or a stream of length-prefixed ones (a request itself starts with byte 0x0A)."""
    with path.open("rb") as fh:
        head = fh.read(1)
        if head == b"\x0a":
            data = head + fh.read()
            yield decode(path, data, 0)
            return
        fh.seek(0)
        offset = 0
        while prefix := fh.read(4):
            if len(prefix) < 4:
                raise refuse(path, f"byte offset {offset}", "truncated length prefix (file cut short)")
            size = int.from_bytes(prefix, "big")
            data = fh.read(size)
            if len(data) < size:
                problem = f"the message says {size:,} bytes but only {len(data):,} remain (file cut short)"
                raise refuse(path, f"byte offset {offset}", problem)
            yield decode(path, data, offset + 4)
            offset += 4 + size


def decode(path: Path, data: bytes, offset: int) -> Message:
    """The request DATA holds: the first signal whose message parses with no unknown fields."""
    for signal, (cls, _, _) in SIGNALS.items():
        request = cls()
        try:
            request.ParseFromString(data)
        except DecodeError:
            continue
        if fits(signal, request):
            return Message(signal, request, f"byte offset {offset}")
    bad = corrupt_offset(data)
    at = f"byte offset {offset + (bad or 0)}"
    problem = "not an OTLP Export{Trace,Logs,Metrics}ServiceRequest (truncated or corrupt protobuf)"
    raise refuse(path, at, problem)


def fits(signal: str, request: Any) -> bool:
    """Whether a parsed request is really SIGNAL: the three share their wire layout at the top, so
    another signal's bytes may parse; they then leave unknown fields in the first resource, scope or
    item (and a span must have a 16-byte trace id)."""
    resources_field, scopes_field, items_field = LAYOUT[signal]
    checked: list[Any] = []
    for resource in getattr(request, resources_field)[:1]:
        checked.append(resource)
        for scope in getattr(resource, scopes_field)[:1]:
            checked.append(scope)
            checked += getattr(scope, items_field)[:1]
    if signal == "traces" and len(checked) == 3 and len(checked[2].trace_id) != 16:
        return False
    return not any(len(unknown_fields.UnknownFieldSet(m)) for m in checked)


def corrupt_offset(data: bytes) -> int | None:
    """The offset of the first top-level field whose length runs past the end, if one does."""
    pos = 0
    while pos < len(data):
        start = pos
        tag, pos = _varint(data, pos)
        wire = (tag or 0) & 7
        if tag is None or wire not in (0, 1, 2, 5):
            return start
        if wire == 2:
            length, pos = _varint(data, pos)
            if length is None:
                return start
            pos += length
        elif wire == 0:
            value, pos = _varint(data, pos)
            if value is None:
                return start
        else:
            pos += 8 if wire == 1 else 4
        if pos > len(data):
            return start
    return None


def _varint(data: bytes, pos: int) -> tuple[int | None, int]:
    value, shift = 0, 0
    while pos < len(data) and shift < 64:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    return None, pos
