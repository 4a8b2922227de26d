"""OTLP files converted to the raw otel tables' rows, as Parquet files the loader loads like any other.

An OTLP file is read one request at a time (otlp_read) and its rows are written in batches to one
Parquet file per table it holds (otel_spans, otel_logs, otel_metrics), typed by the contract: memory
stays bounded by a batch, and the load itself (checks, one transaction, manifest, stamps) is the
same code path for every file on both engines. Each converted file keeps the OTLP file's SHA-256 and
name, so the manifest has one row per (table, file): a file with spans and logs gets two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .contract import Table
from .otlp_read import messages, refuse
from .otlp_rows import OtlpValueError, Row, log_rows, metric_rows, span_rows
from .raw_files import ContractError, LoadFile

ARROW_TYPES = {
    "varchar": pa.string(),
    "timestamp": pa.timestamp("us"),
    "bigint": pa.int64(),
    "double precision": pa.float64(),
    "boolean": pa.bool_(),
}
SIGNAL_TABLES: dict[str, tuple[str, Callable[[Any], Iterator[Row]]]] = {
    "traces": ("otel_spans", span_rows),
    "logs": ("otel_logs", log_rows),
    "metrics": ("otel_metrics", metric_rows),
}
BATCH_ROWS = 10_000


class TableWriter:
    """Rows of one raw table, written to a Parquet file in batches."""

    def __init__(self, table: Table, path: Path) -> None:
        self.table = table
        self.path = path
        self.schema = pa.schema([(c.name, ARROW_TYPES[c.data_type]) for c in table.columns])
        self.rows: list[Row] = []
        self.count = 0
        self.writer: pq.ParquetWriter | None = None

    def add(self, row: Row) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, self.schema)
        self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
        self.count += len(self.rows)
        self.rows = []

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def convert(source: Path, sha256: str, workdir: Path, tables: dict[str, Table]) -> list[LoadFile]:
    """The OTLP file SOURCE as one LoadFile per raw table it has rows for, written under WORKDIR."""
    writers: dict[str, TableWriter] = {}
    stem = f"{len(list(workdir.iterdir())):05d}"
    at = "the end of the file"
    try:
        for message in messages(source):
            at = message.at
            name, rows_of = SIGNAL_TABLES[message.signal]
            if name not in writers:
                writers[name] = TableWriter(tables[name], workdir / f"{stem}-{name}.parquet")
            for row in rows_of(message.request):
                writers[name].add(row)
        for writer in writers.values():
            writer.flush()
    except OtlpValueError as exc:
        raise refuse(source, at, str(exc)) from None
    except (RecursionError, UnicodeError, pa.ArrowException) as exc:
        # the exception's text may quote a value: name its kind only
        raise refuse(source, at, f"a value cannot be stored ({type(exc).__name__})") from None
    finally:
        for writer in writers.values():
            writer.close()
    found = [w for w in writers.values() if w.count]
    if not found:
        raise ContractError(f"{source} (OTLP): the file has no spans, log records or metric data points")
    return [LoadFile(w.path, w.table, "parquet", sha256, origin=source) for w in found]
