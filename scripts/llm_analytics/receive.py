"""`llm-analytics receive`: an OTLP/HTTP endpoint that lands every accepted batch in a folder.

An app exporting OTLP/HTTP (`OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318`) posts to
`/v1/traces`, `/v1/logs` and `/v1/metrics`; each body is checked as `load` would check it
(otlp_batch), written durably (landing), and only then answered 200, so a batch the app saw
accepted is on disk whole. `llm-analytics load <folder>` loads the folder. The standard library's
threading HTTP server is enough for the volumes one app sends; no payload is ever logged.

Answers: 200 with an empty Export…ServiceResponse; 400 for a body that is not OTLP or not the
path's signal (a google.rpc.Status saying why, without values); 413 past --max-body-mb; 415 for
another Content-Type or Content-Encoding; 404 for another path; 405 for another method; 503 when
the folder cannot be written (the SDK retries a 503).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .landing import land, prepare
from .otlp_batch import BatchError, check, decompress, describe, media_type, rpc_status

PATHS = {"/v1/traces": "traces", "/v1/logs": "logs", "/v1/metrics": "metrics"}
CONTENT_TYPES = {"protobuf": "application/x-protobuf", "json": "application/json"}
EMPTY_RESPONSE = {"protobuf": b"", "json": b"{}"}
DISCARD_FACTOR = 4  # an oversize body up to this many times the limit is read and dropped
DRAIN_SECONDS = 10.0  # how long a shutdown waits for requests being written


class Receiver(ThreadingHTTPServer):
    """The HTTP server, with where batches land, the body limit, the log, and requests in flight."""

    daemon_threads = True  # idle keep-alive connections do not hold the exit; in-flight ones drain

    def __init__(self, address: tuple[str, int], landing: Path, max_body: int, log: Callable[[str], None]):
        super().__init__(address, Handler)
        self.landing = landing
        self.max_body = max_body
        self.log = log
        self.in_flight = 0
        self.idle = threading.Condition()

    def track(self, delta: int) -> None:
        with self.idle:
            self.in_flight += delta
            self.idle.notify_all()

    def drain(self, timeout: float = DRAIN_SECONDS) -> bool:
        """Wait until no request is being handled; whether that happened within TIMEOUT seconds."""
        with self.idle:
            return self.idle.wait_for(lambda: self.in_flight == 0, timeout)


class Handler(BaseHTTPRequestHandler):
    server: Receiver
    protocol_version = "HTTP/1.1"  # keep-alive: the SDK exporters reuse their connection
    server_version = "llm-analytics-receive"
    timeout = 60  # seconds a connection may sit idle or send a body slowly

    def do_POST(self) -> None:
        self.server.track(1)
        try:
            self.receive()
        except Exception as exc:  # a bug, not a bad body: one line (its text may quote a value), 500
            self.server.log(f"internal error handling {self.path[:40]} ({type(exc).__name__}); 500")
            self.close_connection = True
            self.answer(500, b"internal error")
        finally:
            self.server.track(-1)

    def do_other(self) -> None:
        self.close_connection = True  # a body, if any, is not read
        path = self.path.split("?", 1)[0]
        if path not in PATHS:
            self.answer(404, b"not found: OTLP/HTTP paths are /v1/traces, /v1/logs and /v1/metrics")
        else:
            self.answer(405, b"method not allowed: use POST", extra={"Allow": "POST"})

    do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_other

    def receive(self) -> None:
        signal_name = PATHS.get(self.path.split("?", 1)[0])
        if signal_name is None:
            self.close_connection = True  # the body is not read
            self.answer(404, b"not found: OTLP/HTTP paths are /v1/traces, /v1/logs and /v1/metrics")
            return
        kind = "protobuf"
        try:
            kind = media_type(self.headers.get("Content-Type"))
            body = decompress(self.read_body(), self.headers.get("Content-Encoding"), self.server.max_body)
            batch = check(signal_name, body, kind)
        except BatchError as exc:
            self.refuse(signal_name, kind, exc)
            return
        if batch.items:
            try:
                path = land(self.server.landing, batch.signal, batch.data, batch.suffix)
            except OSError as exc:
                self.server.log(f"{signal_name}: not written ({type(exc).__name__}: {exc.strerror}); 503")
                self.answer(503, b"the landing folder cannot be written; retry later")
                return
            self.server.log(f"{signal_name}: {describe(batch)}, {len(batch.data):,} bytes -> {path}")
        else:
            self.server.log(f"{signal_name}: an empty batch, nothing written")
        self.answer(200, EMPTY_RESPONSE[kind], CONTENT_TYPES[kind])

    def read_body(self) -> bytes:
        """The body, after its Content-Length is checked against the limit (the rest is not read)."""
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            raise BatchError(411, "a Content-Length header is required")
        if int(length) > self.server.max_body:
            self.discard(int(length))
            raise BatchError(413, f"the body is larger than {self.server.max_body:,} bytes")
        body = self.rfile.read(int(length))
        if len(body) < int(length):
            self.close_connection = True
            raise BatchError(400, "the body is shorter than its Content-Length")
        return body

    def discard(self, length: int) -> None:
        """Read and drop an oversize body, so the client reads the 413 rather than a reset connection
        (one far over the limit is not read: the connection is closed instead)."""
        if length > DISCARD_FACTOR * self.server.max_body:
            self.close_connection = True
            return
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 20))
            if not chunk:
                self.close_connection = True
                return
            length -= len(chunk)

    def refuse(self, signal_name: str, kind: str, exc: BatchError) -> None:
        self.server.log(f"{signal_name}: refused with {exc.status}: {exc}")
        if exc.status == 415:
            self.answer(415, str(exc).encode())
        else:
            self.answer(exc.status, rpc_status(kind, str(exc)), CONTENT_TYPES[kind])

    def answer(self, status: int, body: bytes, content_type: str = "text/plain", extra: Any = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request access log: `receive` logs one line per batch itself."""


def make_server(
    host: str, port: int, landing: Path, max_body_mb: float, log: Callable[[str], None]
) -> Receiver:
    """A bound receiver (port 0: any free port, read it from `server_address`)."""
    removed = prepare(landing)
    if removed:
        log(f"removed {removed} unfinished temporary file(s) from {landing}")
    return Receiver((host, port), landing, int(max_body_mb * 1024 * 1024), log)


def serve(server: Receiver) -> None:
    """Serve until SIGINT or SIGTERM, then stop taking requests and let those in flight finish."""

    def stop(signum: int, frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.serve_forever()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        server.server_close()
        if not server.drain():
            server.log(f"stopped with requests still in flight after {DRAIN_SECONDS:.0f} s")
