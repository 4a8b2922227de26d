"""`llm-analytics load` reads OpenTelemetry files (OTLP JSON lines, one JSON document, protobuf).

The trace input is made by the real OpenTelemetry SDK (spans exported to memory, encoded by the
SDK's own OTLP encoder), not by the loader's parser, so the two cannot agree on a mistake. Logs and
metrics are small hand-written OTLP JSON documents, worked out by hand.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from google.protobuf.json_format import MessageToDict, ParseDict
from llm_analytics.contract import raw_tables
from llm_analytics.otlp_files import convert
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from .conftest import Warehouse
from .fixtures import REQUESTS, write_jsonl

T0 = 1_795_456_463_620_290_138  # ns, 2026-11-23 17:54:23.620290138 UTC: nanoseconds, as SDKs write
SECRET = "my secret prompt text"
TRACE_HEX = "5b8efff798038103d269b633813fc60c"
SPAN_HEX = "eee19b7ec3c1b174"


def at(ns: int) -> dt.datetime:
    """A nanosecond time as the UTC timestamp the loader writes (microseconds, truncated)."""
    return dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=ns // 1000)


class RateLimitError(Exception):
    pass


def sdk_spans() -> list[Any]:
    """A root app span with the session, a child LLM call, and an ERROR call with an exception event."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource.create({"service.name": "chat-app", "deployment.env": "test"})
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test.instrumentation", "1.2.3")
    root = tracer.start_span(
        "POST /chat", kind=SpanKind.SERVER, attributes={"session.id": "s-1", "user.id": "u-1"}, start_time=T0
    )
    ctx = trace.set_span_in_context(root)
    llm = tracer.start_span(
        "chat gpt-4o",
        context=ctx,
        kind=SpanKind.CLIENT,
        start_time=T0 + 1_000_000,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.response.model": "gpt-4o-2024-08-06",
            "gen_ai.usage.input_tokens": 120,
            "gen_ai.usage.output_tokens": 30,
            "gen_ai.request.temperature": 0.2,
            "gen_ai.request.stream": False,
            "gen_ai.response.finish_reasons": ("stop",),
            "gen_ai.prompt.0.content": SECRET,
        },
    )
    llm.end(end_time=T0 + 901_000_000)
    failed = tracer.start_span("chat gpt-4o", context=ctx, kind=SpanKind.CLIENT, start_time=T0 + 950_000_000)
    failed.record_exception(RateLimitError("429 Too Many Requests"), timestamp=T0 + 960_000_000)
    failed.set_attribute("error.type", "RateLimitError")
    failed.set_status(Status(StatusCode.ERROR, "rate limited"))
    failed.end(end_time=T0 + 970_000_000)
    root.end(end_time=T0 + 1_000_000_000)
    return list(exporter.get_finished_spans())


def hex_ids(node: Any) -> Any:
    """protobuf's JSON mapping writes bytes as base64; OTLP JSON writes trace and span ids as hex."""
    if isinstance(node, list):
        return [hex_ids(v) for v in node]
    if not isinstance(node, dict):
        return node
    ids = ("traceId", "spanId", "parentSpanId")
    return {k: base64.b64decode(v).hex() if k in ids else hex_ids(v) for k, v in node.items()}


def write_traces(folder: Path) -> dict[str, Path]:
    """The SDK's spans as a protobuf request (.pb), a Collector proto stream and OTLP JSON lines."""
    folder.mkdir(parents=True, exist_ok=True)
    request = encode_spans(sdk_spans())
    blob = request.SerializeToString()
    paths = {
        "pb": folder / "spans.pb",
        "stream": folder / "collector-traces.pb",
        "json": folder / "traces.jsonl",
    }
    paths["pb"].write_bytes(blob)
    paths["stream"].write_bytes(len(blob).to_bytes(4, "big") + blob)
    paths["json"].write_text(json.dumps(hex_ids(MessageToDict(request))) + "\n")
    return paths


def kv(key: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, "value": value}


LOGS = {
    "resourceLogs": [
        {
            "resource": {"attributes": [kv("service.name", {"stringValue": "chat-app"})]},
            "scopeLogs": [
                {
                    "scope": {"name": "opentelemetry.instrumentation.openai_v2"},
                    "logRecords": [
                        {
                            "timeUnixNano": str(T0),
                            "observedTimeUnixNano": str(T0 + 5),
                            "severityNumber": 9,
                            "severityText": "INFO",
                            "traceId": TRACE_HEX,
                            "spanId": SPAN_HEX,
                            "body": {"kvlistValue": {"values": [kv("content", {"stringValue": "hi"})]}},
                            "attributes": [
                                kv("event.name", {"stringValue": "gen_ai.user.message"}),
                                kv("gen_ai.system", {"stringValue": "openai"}),
                            ],
                        },
                        {
                            "observedTimeUnixNano": str(T0 + 7_000),
                            "severityNumber": 17,
                            "eventName": "gen_ai.choice",
                            "body": {"stringValue": "plain text"},
                            "attributes": [kv("index", {"intValue": "0"})],
                        },
                    ],
                }
            ],
        }
    ]
}


def number_point(value: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"startTimeUnixNano": str(T0), "timeUnixNano": str(T0 + 60_000_000_000), **value, **kw}


METRICS = {
    "resourceMetrics": [
        {
            "resource": {"attributes": [kv("service.name", {"stringValue": "chat-app"})]},
            "scopeMetrics": [
                {
                    "scope": {"name": "openai.meter", "version": "0.1"},
                    "metrics": [
                        {
                            "name": "gen_ai.client.token.usage",
                            "unit": "{token}",
                            "histogram": {
                                "aggregationTemporality": 2,
                                "dataPoints": [
                                    number_point(
                                        {},
                                        count="3",
                                        sum=420.0,
                                        bucketCounts=["1", "2", "0"],
                                        explicitBounds=[100.0, 1000.0],
                                        attributes=[kv("gen_ai.token.type", {"stringValue": "input"})],
                                    )
                                ],
                            },
                        },
                        {
                            "name": "llm.requests",
                            "description": "Calls made",
                            "sum": {
                                "aggregationTemporality": 1,
                                "isMonotonic": True,
                                "dataPoints": [number_point({"asInt": "42"})],
                            },
                        },
                        {"name": "queue.depth", "gauge": {"dataPoints": [number_point({"asDouble": 2.5})]}},
                    ],
                }
            ],
        }
    ]
}


def load(wh: Warehouse, path: Path, check: bool = True) -> Any:
    return wh.cli("load", str(path), "--target", wh.target, check=check)


def rows(wh: Warehouse, sql: str) -> list[dict[str, Any]]:
    """Query results as dicts keyed by the selected column names (a plain column list)."""
    found = wh.query(sql)
    names = [c.strip().split(" as ")[-1] for c in sql.split("select", 1)[1].split(" from ")[0].split(",")]
    return [dict(zip(names, r, strict=True)) for r in found]


def test_sdk_spans_from_protobuf_load_with_ids_parents_times_status_and_attributes(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    paths = write_traces(folder)
    paths["json"].unlink()
    paths["stream"].unlink()
    write_jsonl(folder / "llm_requests-2026.jsonl", REQUESTS[:2])  # a contract file beside OTLP
    load(warehouse, folder)
    assert warehouse.scalar("select count(*) from raw.llm_requests") == 2
    spans = rows(
        warehouse,
        "select trace_id, span_id, parent_span_id, span_name, span_kind, start_time_unix_nano, "
        "end_time_unix_nano, started_at, ended_at, status_code, status_message, attributes, "
        "resource_attributes, scope_name, scope_version, events, links, _load_id "
        "from raw.otel_spans order by start_time_unix_nano",
    )
    root, llm, failed = spans
    assert len({s["trace_id"] for s in spans}) == 1 and len(root["trace_id"]) == 32
    assert all(len(s["span_id"]) == 16 and s["span_id"] == s["span_id"].lower() for s in spans)
    assert root["parent_span_id"] is None
    assert llm["parent_span_id"] == root["span_id"] and failed["parent_span_id"] == root["span_id"]
    assert (root["span_name"], root["span_kind"], llm["span_kind"]) == ("POST /chat", "server", "client")
    assert root["start_time_unix_nano"] == T0 and root["end_time_unix_nano"] == T0 + 1_000_000_000
    assert root["started_at"] == at(T0) and llm["ended_at"] == at(T0 + 901_000_000)
    assert str(root["started_at"]) == "2026-11-23 17:54:23.620290"
    assert (root["status_code"], llm["status_code"]) == ("unset", "unset")
    assert (failed["status_code"], failed["status_message"]) == ("error", "rate limited")
    attrs = json.loads(llm["attributes"])
    assert attrs["gen_ai.usage.input_tokens"] == 120 and isinstance(attrs["gen_ai.usage.input_tokens"], int)
    assert attrs["gen_ai.request.temperature"] == 0.2 and attrs["gen_ai.request.stream"] is False
    assert attrs["gen_ai.response.finish_reasons"] == ["stop"]
    assert json.loads(root["attributes"]) == {"session.id": "s-1", "user.id": "u-1"}
    resource = json.loads(root["resource_attributes"])
    assert resource["service.name"] == "chat-app" and resource["telemetry.sdk.language"] == "python"
    assert (root["scope_name"], root["scope_version"]) == ("test.instrumentation", "1.2.3")
    (event,) = json.loads(failed["events"])
    assert event["name"] == "exception" and event["time_unix_nano"] == T0 + 960_000_000
    assert event["attributes"]["exception.type"].endswith("RateLimitError")
    assert json.loads(root["events"]) == [] and json.loads(root["links"]) == []
    manifest = warehouse.query("select table_name, file_name, row_count from raw.load_manifest order by 1")
    assert manifest == [("llm_requests", "llm_requests-2026.jsonl", 2), ("otel_spans", "spans.pb", 3)]
    assert {s["_load_id"] for s in spans} == {1}


def test_json_lines_proto_stream_and_protobuf_load_the_same_rows(
    duckdb_wh: Warehouse, tmp_path: Path
) -> None:
    paths = write_traces(tmp_path / "in")
    # protobuf's own JSON mapping (base64 ids, as MessageToDict writes them) is read too
    request = encode_spans(sdk_spans())
    paths["b64"] = tmp_path / "in" / "traces-base64.otlp.json"
    paths["b64"].write_text(json.dumps(MessageToDict(request)))
    for path in paths.values():  # four loads: _load_id 1 to 4
        load(duckdb_wh, path)
    cols = "trace_id, span_id, parent_span_id, span_name, started_at, attributes, events, resource_attributes"
    by_load = [
        duckdb_wh.query(f"select {cols} from raw.otel_spans where _load_id = {n} order by span_id")
        for n in (1, 2, 3)
    ]
    assert len(by_load[0]) == 3 and by_load[0] == by_load[1] == by_load[2]
    b64 = duckdb_wh.query("select trace_id, span_id, parent_span_id from raw.otel_spans where _load_id = 4")
    spans = request.resource_spans[0].scope_spans[0].spans
    expected = {(s.trace_id.hex(), s.span_id.hex(), s.parent_span_id.hex() or None) for s in spans}
    assert set(b64) == expected and len(expected) == 3


def test_logs_and_metrics_one_file_with_two_signals_and_a_pretty_document(
    duckdb_wh: Warehouse, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    # the Collector's file exporter: one request per line, here two signals in one file
    snake = {"resource_logs": [{"scope_logs": [{"log_records": [{"severity_text": "WARN"}]}]}]}
    (folder / "otel-export.json").write_text(json.dumps(LOGS) + "\n" + json.dumps(snake) + "\n")
    (folder / "metrics.otlp.json").write_text(json.dumps(METRICS, indent=2))
    load(duckdb_wh, folder)
    logs = rows(
        duckdb_wh,
        "select trace_id, span_id, time_unix_nano, logged_at, severity_number, severity_text, event_name, "
        "body, attributes, scope_name from raw.otel_logs order by severity_number",
    )
    assert len(logs) == 3
    warn, info, error = logs
    assert (warn["severity_text"], warn["trace_id"], warn["logged_at"], warn["body"]) == (
        "WARN",
        None,
        None,
        None,
    )
    assert (info["trace_id"], info["span_id"], info["time_unix_nano"]) == (TRACE_HEX, SPAN_HEX, T0)
    assert info["logged_at"] == at(T0) and info["event_name"] == "gen_ai.user.message"
    assert json.loads(info["body"]) == {"content": "hi"} and info["scope_name"].endswith("openai_v2")
    assert error["time_unix_nano"] is None and error["logged_at"] == at(T0 + 7_000)  # observed time
    assert error["event_name"] == "gen_ai.choice" and json.loads(error["body"]) == "plain text"
    assert json.loads(error["attributes"]) == {"index": 0}
    metrics = rows(
        duckdb_wh,
        "select metric_name, metric_type, metric_unit, value_double, value_int, point_count, point_sum, "
        "bucket_counts, explicit_bounds, aggregation_temporality, is_monotonic, attributes, observed_at "
        "from raw.otel_metrics order by metric_name",
    )
    tokens, calls, depth = metrics
    assert (tokens["metric_type"], tokens["point_count"], tokens["point_sum"]) == ("histogram", 3, 420.0)
    assert json.loads(tokens["bucket_counts"]) == [1, 2, 0]
    assert json.loads(tokens["explicit_bounds"]) == [100.0, 1000.0]
    assert tokens["aggregation_temporality"] == "cumulative" and tokens["metric_unit"] == "{token}"
    assert json.loads(tokens["attributes"]) == {"gen_ai.token.type": "input"}
    assert (calls["metric_type"], calls["value_int"], calls["value_double"]) == ("sum", 42, None)
    assert (calls["aggregation_temporality"], calls["is_monotonic"]) == ("delta", True)
    assert (depth["metric_type"], depth["value_double"], depth["is_monotonic"]) == ("gauge", 2.5, None)
    assert depth["observed_at"] == at(T0 + 60_000_000_000)
    manifest = duckdb_wh.query("select file_name, table_name, row_count from raw.load_manifest order by 2")
    assert manifest == [
        ("otel-export.json", "otel_logs", 3),
        ("metrics.otlp.json", "otel_metrics", 3),
    ]


def test_loading_twice_adds_nothing(warehouse: Warehouse, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_traces(folder)["stream"].unlink()
    (folder / "logs.jsonl").write_text(json.dumps(LOGS) + "\n")
    load(warehouse, folder)
    again = load(warehouse, folder)
    assert "skipped" in again.stdout
    assert warehouse.scalar("select count(*) from raw.otel_spans") == 6  # two files of three spans
    assert warehouse.scalar("select count(*) from raw.otel_logs") == 2
    assert warehouse.scalar("select count(*) from raw.load_manifest") == 3


def bad_span(**fields: Any) -> str:
    span = {
        "traceId": TRACE_HEX,
        "spanId": SPAN_HEX,
        "name": "chat",
        "startTimeUnixNano": str(T0),
        "attributes": [kv("gen_ai.prompt", {"stringValue": SECRET})],
        **fields,
    }
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]})


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"resourceSpans": [', "line 2: not valid JSON"),
        (bad_span(traceId=""), "line 2: resourceSpans[0].scopeSpans[0].spans[0].traceId is missing"),
        (bad_span(traceId="zz" * 16), "spans[0].traceId is not a hex id"),
        (bad_span(spanId="abcd"), "spans[0].spanId has 2 bytes, not 8"),
        (bad_span(startTimeUnixNano=SECRET), "spans[0].startTimeUnixNano is not an integer"),
        (
            bad_span(attributes=[kv("k", {"intValue": SECRET})]),
            "attributes[0].value.intValue is not an integer",
        ),
        (bad_span(kind=9), "spans[0].kind is 9, not one of 0-5"),
    ],
    ids=["bad-json", "no-trace-id", "non-hex-trace-id", "short-span-id", "time-type", "attr-type", "kind"],
)
def test_a_bad_otlp_line_refuses_the_whole_command(
    duckdb_wh: Warehouse, tmp_path: Path, line: str, expected: str
) -> None:
    first = tmp_path / "first"
    write_traces(first)
    load(duckdb_wh, first)
    before = duckdb_wh.query("select count(*), max(_load_id) from raw.otel_spans")
    folder = tmp_path / "in"
    paths = write_traces(folder)  # good OTLP files load nothing either
    paths["json"].unlink()
    write_jsonl(folder / "llm_requests-new.jsonl", REQUESTS[:1])
    (folder / "traces-bad.jsonl").write_text(bad_span() + "\n" + line + "\n")
    proc = load(duckdb_wh, folder, check=False)
    assert proc.returncode == 1, proc.stderr
    message = " ".join(proc.stderr.split())
    assert "traces-bad.jsonl" in message and expected in message, message
    assert SECRET not in proc.stderr
    assert duckdb_wh.query("select count(*), max(_load_id) from raw.otel_spans") == before
    assert duckdb_wh.scalar("select count(*) from raw.llm_requests") == 0


def test_a_truncated_protobuf_is_refused_with_its_byte_offset(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    paths = write_traces(tmp_path / "in")
    blob = paths["pb"].read_bytes()
    paths["pb"].write_bytes(blob[:-10])
    stream = paths["stream"].read_bytes()
    paths["stream"].write_bytes(stream + stream[:30])  # a second message cut short
    for path, expected in (
        (paths["pb"], "spans.pb (OTLP): byte offset 0: not an OTLP"),
        (paths["stream"], f"byte offset {len(stream)}: the message says"),
    ):
        proc = load(duckdb_wh, path, check=False)
        assert proc.returncode == 1
        assert expected in " ".join(proc.stderr.split())
        assert SECRET not in proc.stderr


def test_non_otlp_json_goes_to_the_contract(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    """Content sniffing leaves contract files alone: a JSONL named after its table loads as before."""
    path = write_jsonl(tmp_path / "llm_requests-2026.jsonl", REQUESTS[:3])
    load(duckdb_wh, path)
    assert duckdb_wh.scalar("select count(*) from raw.llm_requests") == 3
    assert duckdb_wh.scalar("select count(*) from raw.otel_spans") == 0


def test_logs_and_metrics_in_one_collector_proto_stream(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    """The signal of each length-prefixed message is read from its content (the file name says nothing)."""
    logs = ParseDict(base64_ids(LOGS), ExportLogsServiceRequest()).SerializeToString()
    metrics = ParseDict(METRICS, ExportMetricsServiceRequest()).SerializeToString()
    path = tmp_path / "export.pb"
    path.write_bytes(b"".join(len(m).to_bytes(4, "big") + m for m in (metrics, logs, metrics)))
    load(duckdb_wh, path)
    assert duckdb_wh.scalar("select count(*) from raw.otel_metrics") == 6
    info = duckdb_wh.query(
        "select trace_id, span_id, event_name from raw.otel_logs where severity_number = 9"
    )
    assert info == [(TRACE_HEX, SPAN_HEX, "gen_ai.user.message")]
    manifest = duckdb_wh.query("select table_name, row_count from raw.load_manifest order by 1")
    assert manifest == [("otel_logs", 2), ("otel_metrics", 6)]


def base64_ids(node: Any) -> Any:
    """OTLP JSON's hex ids as protobuf's JSON mapping wants bytes: base64."""
    if isinstance(node, list):
        return [base64_ids(v) for v in node]
    if not isinstance(node, dict):
        return node
    ids = ("traceId", "spanId")
    return {
        k: base64.b64encode(bytes.fromhex(v)).decode() if k in ids else base64_ids(v) for k, v in node.items()
    }


def test_exponential_histogram_and_summary_points(tmp_path: Path) -> None:
    """The two point types without a column of their own keep their buckets / quantiles as JSON."""
    point = {"timeUnixNano": str(T0), "count": "4", "sum": 10.5}
    metrics = [
        {
            "name": "latency",
            "exponentialHistogram": {
                "aggregationTemporality": 1,
                "dataPoints": [
                    {
                        **point,
                        "scale": 2,
                        "zeroCount": "1",
                        "positive": {"offset": -1, "bucketCounts": ["2", "1"]},
                    }
                ],
            },
        },
        {
            "name": "ttft",
            "summary": {"dataPoints": [{**point, "quantileValues": [{"quantile": 0.5, "value": 1.25}]}]},
        },
    ]
    path = tmp_path / "m.otlp.jsonl"
    path.write_text(json.dumps({"resourceMetrics": [{"scopeMetrics": [{"metrics": metrics}]}]}) + "\n")
    (converted,) = convert(path, "sha", tmp_path, raw_tables())
    expo, summary = pq.read_table(converted.path).to_pylist()
    assert (expo["metric_type"], expo["point_count"], expo["point_sum"]) == ("exponential_histogram", 4, 10.5)
    assert json.loads(expo["bucket_counts"]) == {
        "scale": 2,
        "zero_count": 1,
        "positive": {"offset": -1, "bucket_counts": [2, 1]},
        "negative": {"offset": 0, "bucket_counts": []},
    }
    assert expo["aggregation_temporality"] == "delta" and expo["explicit_bounds"] is None
    assert (summary["metric_type"], summary["point_count"], summary["aggregation_temporality"]) == (
        "summary",
        4,
        None,
    )
    assert json.loads(summary["bucket_counts"]) == [{"quantile": 0.5, "value": 1.25}]
    assert converted.origin == path and converted.table.name == "otel_metrics"
