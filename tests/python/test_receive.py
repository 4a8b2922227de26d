"""`llm-analytics receive`: OTLP/HTTP in, each accepted batch on disk before its 200, loadable by `load`.

The client is the real OpenTelemetry SDK's OTLP/HTTP exporter (protobuf, plain and gzip, pointed
at the receiver by OTEL_EXPORTER_OTLP_ENDPOINT as an app would be), plus hand-made bodies for JSON,
refusals and limits. The receiver runs in a thread of the test process, or as the CLI in a
subprocess where a signal must reach it (SIGTERM: a clean exit; SIGKILL in the middle of a stream
of batches: every acknowledged batch is a whole file and the folder loads).
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict
from llm_analytics.otlp_read import is_otlp, messages
from llm_analytics.receive import Receiver, make_server
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult

from .conftest import BIN, Warehouse
from .test_otlp_load import LOGS, SECRET, hex_ids, sdk_spans

PB = "application/x-protobuf"
JSON = "application/json"


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[Receiver, list[str]]]:
    """A receiver on a free port in a thread, landing in tmp_path/landing; its log lines."""
    lines: list[str] = []
    server = make_server("127.0.0.1", 0, tmp_path / "landing", 20, lines.append)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, lines
    server.shutdown()
    server.server_close()


def post(port: int, path: str, body: bytes, content_type: str = PB, **headers: str) -> tuple[int, bytes]:
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        con.request("POST", path, body, {"Content-Type": content_type, **headers})
        response = con.getresponse()
        return response.status, response.read()
    finally:
        con.close()


def landed(folder: Path) -> list[Path]:
    """The files `load` would read in the landing folder."""
    return sorted(p for p in folder.iterdir() if is_otlp(p))


def many_spans(traces: int) -> list[Any]:
    """TRACES traces of the SDK's three spans, each with its own ids."""
    return [s for _ in range(traces) for s in sdk_spans()]


def ids(spans: list[Any]) -> set[tuple[str, str]]:
    return {(f"{s.context.trace_id:032x}", f"{s.context.span_id:016x}") for s in spans}


def test_sdk_exporter_batches_land_and_load_once(
    receiver: tuple[Receiver, list[str]], duckdb_wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, lines = receiver
    port = server.server_address[1]
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")  # as an app sets it
    first = sdk_spans()
    assert OTLPSpanExporter().export(first) == SpanExportResult.SUCCESS
    # a live provider with a batching processor and gzip, as an instrumented app exports
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(compression=Compression.Gzip)))
    tracer = provider.get_tracer("app")
    with tracer.start_as_current_span("POST /chat") as app:
        app.set_attribute("session.id", "live-session")
        app.set_attribute("user.id", "live-user")
        with tracer.start_as_current_span("chat gpt-4o") as llm:
            llm.set_attribute("gen_ai.operation.name", "chat")
            llm.set_attribute("gen_ai.provider.name", "openai")
            llm.set_attribute("gen_ai.request.model", "gpt-4o")
            llm.set_attribute("gen_ai.usage.input_tokens", 100)
            llm.set_attribute("gen_ai.usage.output_tokens", 20)
            llm.set_attribute("gen_ai.prompt.0.content", SECRET)
    with tracer.start_as_current_span("GET /health"):
        pass
    assert provider.force_flush()
    provider.shutdown()
    landing = server.landing
    files = landed(landing)
    assert [f.suffix for f in files] == [".pb", ".pb"] and not list(landing.glob(".*"))
    assert all(re.fullmatch(r"traces-\d{8}T\d{12}Z-[0-9a-f]{32}\.pb", f.name) for f in files)
    assert files[0].read_bytes() == encode_spans(first).SerializeToString()  # the body, as sent
    assert sum(1 for line in lines if line.startswith("traces: ")) == 2
    assert "traces: 3 spans" in lines[0] and str(files[0]) in lines[0]
    assert not any(SECRET in line for line in lines)

    duckdb_wh.cli("load", str(landing), "--target", "duckdb")
    loaded = set(duckdb_wh.query("select trace_id, span_id from raw.otel_spans"))
    sent = ids(first) | {(f"{llm.context.trace_id:032x}", f"{llm.context.span_id:016x}")}
    assert sent <= loaded and len(loaded) == 6
    assert duckdb_wh.scalar("select count(*) from raw.otel_spans") == 6
    again = duckdb_wh.cli("load", str(landing), "--target", "duckdb")
    assert again.stdout.count("skipped") == 2
    assert duckdb_wh.scalar("select count(*) from raw.otel_spans") == 6

    # then built: the live LLM span is a call, with the session and user of its app span
    duckdb_wh.dbt("build")
    request_id = f"{llm.context.trace_id:032x}:{llm.context.span_id:016x}"
    assert duckdb_wh.query(
        "select session_id, user_id, provider, model_id, prompt_tokens, completion_tokens, is_priced "
        f"from marts.fct_llm_requests where request_id = '{request_id}'"
    ) == [("live-session", "live-user", "openai", "gpt-4o", 100, 20, True)]


def test_sdk_logs_and_metrics_land_and_load(
    receiver: tuple[Receiver, list[str]], duckdb_wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, lines = receiver
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    logs = LoggerProvider()
    logs.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter()))
    logs.get_logger("app").emit(body=SECRET, severity_text="INFO", event_name="gen_ai.choice")
    logs.shutdown()
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(), export_interval_millis=3_600_000)
    meters = MeterProvider(metric_readers=[reader])
    meter = meters.get_meter("app")
    meter.create_counter("gen_ai.client.token.usage").add(120, {"gen_ai.token.type": "input"})
    meter.create_histogram("gen_ai.client.operation.duration", unit="s").record(0.9)
    meters.shutdown()  # one export of both points
    names = sorted(f.name.split("-")[0] for f in landed(server.landing))
    assert names == ["logs", "metrics"]
    assert any("logs: 1 log record," in line for line in lines) and not any(SECRET in x for x in lines)
    duckdb_wh.cli("load", str(server.landing), "--target", "duckdb")
    assert duckdb_wh.query("select event_name from raw.otel_logs") == [("gen_ai.choice",)]
    points = duckdb_wh.query("select metric_name, metric_type from raw.otel_metrics order by 1")
    assert points == [("gen_ai.client.operation.duration", "histogram"), ("gen_ai.client.token.usage", "sum")]


def test_json_and_gzip_bodies_are_accepted(receiver: tuple[Receiver, list[str]]) -> None:
    server, lines = receiver
    port = server.server_address[1]
    traces = hex_ids(MessageToDict(encode_spans(sdk_spans())))
    pretty = json.dumps(traces, indent=2).encode()  # a pretty-printed document is one request too
    assert post(port, "/v1/traces", pretty, JSON) == (200, b"{}")
    zipped = gzip.compress(json.dumps(LOGS).encode())
    assert post(port, "/v1/logs", zipped, JSON, **{"Content-Encoding": "gzip"}) == (200, b"{}")
    pb = encode_spans(sdk_spans()).SerializeToString()
    assert post(port, "/v1/traces", gzip.compress(pb), **{"Content-Encoding": "gzip"}) == (200, b"")
    assert post(port, "/v1/traces", pb, "application/x-protobuf; charset=binary")[0] == 200
    files = landed(server.landing)
    assert sorted(f.name.split("-")[0] + "".join(f.suffixes[-2:]) for f in files) == sorted(
        ["traces.otlp.jsonl", "logs.otlp.jsonl", "traces.pb", "traces.pb"]
    )
    assert sorted(m.signal for f in files for m in messages(f)) == ["logs", "traces", "traces", "traces"]
    jsonl = next(f for f in files if f.name.startswith("traces") and f.name.endswith(".jsonl"))
    assert jsonl.read_bytes().count(b"\n") == 1  # one request per line, as the loader reads
    assert any("logs: 2 log records" in line for line in lines)


def bad_span_json(trace_id: str) -> bytes:
    span = {"traceId": trace_id, "spanId": "eee19b7ec3c1b174", "name": "x", "attributes": []}
    span["attributes"].append({"key": "gen_ai.prompt", "value": {"stringValue": SECRET}})
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}).encode()


def test_refusals_write_nothing(receiver: tuple[Receiver, list[str]]) -> None:
    server, lines = receiver
    port = server.server_address[1]
    pb = encode_spans(sdk_spans()).SerializeToString()
    status, body = post(port, "/v1/traces", b"this is not protobuf at all")
    assert status == 400 and b"not an OTLP" in body
    assert post(port, "/v1/traces", b'{"hello": "world"}', JSON)[0] == 400
    assert post(port, "/v1/traces", b"{not json", JSON)[0] == 400
    status, body = post(port, "/v1/logs", pb)  # spans posted as logs
    assert status == 400 and b"/v1/traces" in body
    status, body = post(port, "/v1/traces", bad_span_json("zz" * 16), JSON)
    assert status == 400 and b"traceId" in body and SECRET.encode() not in body
    status, body = post(port, "/v1/traces", bad_span_json("00" * 16), JSON)  # parses, but no valid id
    assert status == 400 and b"spans[0].traceId is all zeros" in json.loads(body)["message"].encode()
    assert post(port, "/v1/traces", pb, "text/plain")[0] == 415
    assert post(port, "/v1/traces", pb, **{"Content-Encoding": "br"})[0] == 415
    assert post(port, "/v1/traces", b"\x1f\x8b garbage", **{"Content-Encoding": "gzip"})[0] == 400
    assert post(port, "/v1/spans", pb)[0] == 404
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    con.request("GET", "/v1/traces")
    response = con.getresponse()
    assert (response.status, response.getheader("Allow")) == (405, "POST")
    con.close()
    assert post(port, "/v1/traces", b"")[0] == 200  # an empty request: accepted, nothing to land
    assert list(server.landing.iterdir()) == []
    assert not any(SECRET in line for line in lines)


def test_bodies_over_the_limit_are_413(tmp_path: Path) -> None:
    server = make_server("127.0.0.1", 0, tmp_path / "landing", 0.01, lambda line: None)  # ~10 KB
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        big = encode_spans(many_spans(20)).SerializeToString()
        assert len(big) > 10_486 > len(gzip.compress(big))
        assert post(port, "/v1/traces", big)[0] == 413
        assert post(port, "/v1/traces", gzip.compress(big), **{"Content-Encoding": "gzip"})[0] == 413
        bomb = gzip.compress(b"\x00" * 5_000_000)  # small on the wire, large inflated
        assert post(port, "/v1/traces", bomb, **{"Content-Encoding": "gzip"})[0] == 413
        assert list(server.landing.iterdir()) == []
    finally:
        server.shutdown()
        server.server_close()


def start_cli(landing: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    """`llm-analytics receive --port 0` as a subprocess, and the port it printed."""
    cmd = [str(BIN / "llm-analytics"), "receive", "--port", "0", "--landing", str(landing)]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    assert found, line
    return proc, int(found.group(1))


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    proc, port = start_cli(tmp_path / "landing", dict(os.environ))
    idle = http.client.HTTPConnection("127.0.0.1", port, timeout=30)  # kept alive, as the SDK does
    idle.request("POST", "/v1/traces", encode_spans(sdk_spans()).SerializeToString(), {"Content-Type": PB})
    assert idle.getresponse().status == 200
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    idle.close()
    assert proc.returncode == 0, err
    assert time.monotonic() - started < 5  # an idle keep-alive connection does not hold the exit
    assert "traces: 3 spans" in err and "stopped" in err


def stream_batches(port: int, acked: list[bytes], stop: threading.Event) -> None:
    """Post distinct span batches on one keep-alive connection until the receiver goes away."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set():
        body = encode_spans(many_spans(30)).SerializeToString()  # 90 spans, fresh ids
        try:
            con.request("POST", "/v1/traces", body, {"Content-Type": PB})
            response = con.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            return
        if response.status == 200:
            acked.append(body)


def test_sigkill_mid_stream_leaves_every_acknowledged_batch_whole(
    tmp_path: Path, duckdb_wh: Warehouse
) -> None:
    landing = tmp_path / "landing"
    proc, port = start_cli(landing, duckdb_wh.env)
    acked: list[bytes] = []
    stop = threading.Event()
    clients = [threading.Thread(target=stream_batches, args=(port, acked, stop)) for _ in range(3)]
    for c in clients:
        c.start()
    deadline = time.monotonic() + 60
    while len(acked) < 30 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)  # no chance to finish anything
    proc.wait(timeout=30)
    stop.set()
    for c in clients:
        c.join(timeout=30)
    assert len(acked) >= 30
    files = landed(landing)
    on_disk = {f.read_bytes() for f in files}
    assert all(body in on_disk for body in acked)  # every 200 is a complete file
    assert len(files) >= len(acked)  # a batch written but not yet answered may be there too
    duckdb_wh.cli("load", str(landing), "--target", "duckdb")  # no partial file to refuse
    assert duckdb_wh.scalar("select count(*) from raw.otel_spans") == 90 * len(files)
    proc, _ = start_cli(landing, duckdb_wh.env)  # a restart sweeps what the kill left half-written
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert not [p for p in landing.iterdir() if p.name.endswith(".tmp")]
