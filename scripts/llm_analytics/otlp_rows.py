"""OTLP messages (opentelemetry-proto's classes) as rows of the raw otel tables.

One row per span, per log record and per metric data point, its resource's and scope's columns
repeated on each. Ids become lowercase hex, nanosecond times stay exact (bigint) beside a UTC
timestamp at microsecond precision, attribute maps become JSON objects of plain values. A value
the contract cannot hold raises OtlpValueError naming the field by its path in the message, never
its value: attributes and bodies carry prompts and responses.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any

Row = dict[str, Any]

SPAN_KINDS = ("unspecified", "internal", "server", "client", "producer", "consumer")
STATUS_CODES = ("unset", "ok", "error")
TEMPORALITIES = ("unspecified", "delta", "cumulative")
INT64_MAX = 2**63 - 1
# a metric's data field and its name in OTLP JSON (the path in messages)
METRIC_FIELDS = {
    "gauge": "gauge",
    "sum": "sum",
    "histogram": "histogram",
    "exponential_histogram": "exponentialHistogram",
    "summary": "summary",
}


class OtlpValueError(Exception):
    """A value the raw contract cannot hold; `where` is the field's path in the message."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where} {problem}")
        self.where = where
        self.problem = problem


def json_text(value: Any) -> str:
    """VALUE as compact JSON text (non-ASCII kept as is)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def finite(x: float) -> float | None:
    """A double for JSON: NaN and infinities have no JSON form and become null."""
    return x if math.isfinite(x) else None


def any_value(v: Any) -> Any:
    """An AnyValue as its plain JSON value: int64 a number, bytes base64 text, arrays and kvlists nested."""
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return attributes(v.kvlist_value.values)
    if kind == "bytes_value":
        return base64.b64encode(v.bytes_value).decode("ascii")
    if kind == "double_value":
        return finite(v.double_value)
    return getattr(v, kind)


def attributes(kvs: Iterable[Any]) -> dict[str, Any]:
    """A repeated KeyValue as a JSON object (a repeated key keeps its last value)."""
    return {kv.key: any_value(kv.value) for kv in kvs}


def hex_id(raw: bytes, size: int, where: str, required: bool) -> str | None:
    """A trace (16 bytes) or span (8 bytes) id as lowercase hex; an optional empty or all-zero one is null."""
    if not raw or not any(raw):
        if required:
            problem = "is all zeros, which is not a valid id" if raw else f"is missing ({size}-byte id)"
            raise OtlpValueError(where, problem)
        return None
    if len(raw) != size:
        raise OtlpValueError(where, f"has {len(raw)} bytes, not {size} ({2 * size} hex digits)")
    return raw.hex()


def nanos(value: int, where: str) -> int | None:
    """Nanoseconds since the epoch, null when absent (zero); refused past a bigint (year 2262)."""
    if value == 0:
        return None
    if value > INT64_MAX:
        raise OtlpValueError(where, "is after the year 2262 and does not fit a bigint")
    return value


def micros(value: int | None) -> int | None:
    """Nanoseconds as microseconds (the timestamp columns' precision), truncated."""
    return None if value is None else value // 1000


def count(value: int, where: str) -> int:
    if value > INT64_MAX:
        raise OtlpValueError(where, "does not fit a bigint")
    return value


def text(value: str, where: str, empty_is_null: bool = True) -> str | None:
    """A string field; PostgreSQL cannot store a NUL byte, so one is refused here."""
    if "\x00" in value:
        raise OtlpValueError(where, "holds a NUL byte (\\x00), which PostgreSQL cannot store")
    return (value or None) if empty_is_null else value


def enum_name(names: tuple[str, ...], value: int, where: str) -> str:
    if not 0 <= value < len(names):
        raise OtlpValueError(where, f"is {value}, not one of 0-{len(names) - 1} ({', '.join(names)})")
    return names[value]


def scoped(resources: Iterable[Any], scopes: str, items: str, path: tuple[str, str, str]) -> Iterator:
    """(path, resource and scope columns, item) for every item of every scope of every resource."""
    for i, r in enumerate(resources):
        res = {"resource_attributes": json_text(attributes(r.resource.attributes))}
        for j, s in enumerate(getattr(r, scopes)):
            where = f"{path[0]}[{i}].{path[1]}[{j}]"
            ctx = {
                **res,
                "scope_name": text(s.scope.name, f"{where}.scope.name"),
                "scope_version": text(s.scope.version, f"{where}.scope.version"),
            }
            for k, item in enumerate(getattr(s, items)):
                yield f"{where}.{path[2]}[{k}]", ctx, item


def span_rows(request: Any) -> Iterator[Row]:
    """The rows of raw.otel_spans in an ExportTraceServiceRequest."""
    for where, ctx, span in scoped(
        request.resource_spans, "scope_spans", "spans", ("resourceSpans", "scopeSpans", "spans")
    ):
        yield {**span_row(span, where), **ctx}


def span_row(span: Any, where: str) -> Row:
    start = nanos(span.start_time_unix_nano, f"{where}.startTimeUnixNano")
    end = nanos(span.end_time_unix_nano, f"{where}.endTimeUnixNano")
    return {
        "trace_id": hex_id(span.trace_id, 16, f"{where}.traceId", required=True),
        "span_id": hex_id(span.span_id, 8, f"{where}.spanId", required=True),
        "parent_span_id": hex_id(span.parent_span_id, 8, f"{where}.parentSpanId", required=False),
        "trace_state": text(span.trace_state, f"{where}.traceState"),
        "span_name": text(span.name, f"{where}.name", empty_is_null=False),
        "span_kind": enum_name(SPAN_KINDS, span.kind, f"{where}.kind"),
        "start_time_unix_nano": start,
        "end_time_unix_nano": end,
        "started_at": micros(start),
        "ended_at": micros(end),
        "status_code": enum_name(STATUS_CODES, span.status.code, f"{where}.status.code"),
        "status_message": text(span.status.message, f"{where}.status.message"),
        "attributes": json_text(attributes(span.attributes)),
        "events": json_text([_event(e, f"{where}.events[{n}]") for n, e in enumerate(span.events)]),
        "links": json_text([_link(x, f"{where}.links[{n}]") for n, x in enumerate(span.links)]),
    }


def _event(event: Any, where: str) -> dict[str, Any]:
    return {
        "name": text(event.name, f"{where}.name", empty_is_null=False),
        "time_unix_nano": nanos(event.time_unix_nano, f"{where}.timeUnixNano"),
        "attributes": attributes(event.attributes),
    }


def _link(link: Any, where: str) -> dict[str, Any]:
    return {
        "trace_id": hex_id(link.trace_id, 16, f"{where}.traceId", required=True),
        "span_id": hex_id(link.span_id, 8, f"{where}.spanId", required=True),
        "attributes": attributes(link.attributes),
    }


def log_rows(request: Any) -> Iterator[Row]:
    """The rows of raw.otel_logs in an ExportLogsServiceRequest."""
    for where, ctx, rec in scoped(
        request.resource_logs, "scope_logs", "log_records", ("resourceLogs", "scopeLogs", "logRecords")
    ):
        yield {**log_row(rec, where), **ctx}


def log_row(rec: Any, where: str) -> Row:
    time = nanos(rec.time_unix_nano, f"{where}.timeUnixNano")
    observed = nanos(rec.observed_time_unix_nano, f"{where}.observedTimeUnixNano")
    attrs = attributes(rec.attributes)
    body = any_value(rec.body) if rec.HasField("body") else None
    return {
        "trace_id": hex_id(rec.trace_id, 16, f"{where}.traceId", required=False),
        "span_id": hex_id(rec.span_id, 8, f"{where}.spanId", required=False),
        "time_unix_nano": time,
        "observed_time_unix_nano": observed,
        "logged_at": micros(time if time is not None else observed),
        "severity_number": int(rec.severity_number),
        "severity_text": text(rec.severity_text, f"{where}.severityText"),
        "event_name": text(rec.event_name, f"{where}.eventName") or _event_name(attrs, where),
        "body": None if body is None else json_text(body),
        "attributes": json_text(attrs),
    }


def _event_name(attrs: dict[str, Any], where: str) -> str | None:
    """The `event.name` attribute, for records written before LogRecord.event_name existed."""
    value = attrs.get("event.name")
    if value is None or isinstance(value, str):
        return text(value or "", f"{where}.attributes[event.name]")
    return json_text(value)


def metric_rows(request: Any) -> Iterator[Row]:
    """The rows of raw.otel_metrics (one per data point) in an ExportMetricsServiceRequest."""
    for where, ctx, metric in scoped(
        request.resource_metrics, "scope_metrics", "metrics", ("resourceMetrics", "scopeMetrics", "metrics")
    ):
        for row in point_rows(metric, where):
            yield {**row, **ctx}


def point_rows(metric: Any, where: str) -> Iterator[Row]:
    kind = metric.WhichOneof("data")
    if kind is None:  # a metric without data has no points
        return
    data = getattr(metric, kind)
    base = {
        "metric_name": text(metric.name, f"{where}.name", empty_is_null=False),
        "metric_description": text(metric.description, f"{where}.description"),
        "metric_unit": text(metric.unit, f"{where}.unit"),
        "metric_type": kind,
        "aggregation_temporality": None,
        "is_monotonic": data.is_monotonic if kind == "sum" else None,
    }
    if kind in ("sum", "histogram", "exponential_histogram"):
        field = f"{where}.{METRIC_FIELDS[kind]}.aggregationTemporality"
        base["aggregation_temporality"] = enum_name(TEMPORALITIES, data.aggregation_temporality, field)
    values = POINT_VALUES[kind]
    for n, p in enumerate(data.data_points):
        at = f"{where}.{METRIC_FIELDS[kind]}.dataPoints[{n}]"
        time = nanos(p.time_unix_nano, f"{at}.timeUnixNano")
        yield {
            **base,
            "start_time_unix_nano": nanos(p.start_time_unix_nano, f"{at}.startTimeUnixNano"),
            "time_unix_nano": time,
            "observed_at": micros(time),
            **values(p, at),
            "attributes": json_text(attributes(p.attributes)),
        }


def _number(p: Any, at: str) -> Row:
    which = p.WhichOneof("value")
    return {
        "value_double": p.as_double if which == "as_double" else None,
        "value_int": p.as_int if which == "as_int" else None,
        "point_count": None,
        "point_sum": None,
        "bucket_counts": None,
        "explicit_bounds": None,
    }


def _histogram(p: Any, at: str) -> Row:
    return {
        **_counted(p, at),
        "bucket_counts": json_text(list(p.bucket_counts)),
        "explicit_bounds": json_text([finite(b) for b in p.explicit_bounds]),
    }


def _exponential(p: Any, at: str) -> Row:
    def side(b: Any) -> dict[str, Any]:
        return {"offset": b.offset, "bucket_counts": list(b.bucket_counts)}

    buckets = {
        "scale": p.scale,
        "zero_count": p.zero_count,
        "positive": side(p.positive),
        "negative": side(p.negative),
    }
    return {**_counted(p, at), "bucket_counts": json_text(buckets), "explicit_bounds": None}


def _summary(p: Any, at: str) -> Row:
    quantiles = [{"quantile": finite(q.quantile), "value": finite(q.value)} for q in p.quantile_values]
    return {
        "value_double": None,
        "value_int": None,
        "point_count": count(p.count, f"{at}.count"),
        "point_sum": p.sum,
        "bucket_counts": json_text(quantiles),
        "explicit_bounds": None,
    }


def _counted(p: Any, at: str) -> Row:
    """Count and sum of a histogram point (its sum is optional: null when not recorded)."""
    return {
        "value_double": None,
        "value_int": None,
        "point_count": count(p.count, f"{at}.count"),
        "point_sum": p.sum if p.HasField("sum") else None,
    }


POINT_VALUES: dict[str, Callable[[Any, str], Row]] = {
    "gauge": _number,
    "sum": _number,
    "histogram": _histogram,
    "exponential_histogram": _exponential,
    "summary": _summary,
}
