"""`llm-analytics export` and `llm-analytics query`: the warehouse's tables as Parquet, and one
read-only query, on whichever engine the profile's target names.

Both open the warehouse read-only (DuckDB: the file in read-only mode; PostgreSQL: a READ ONLY
transaction, rolled back at the end), so neither can change what dbt built, whatever SQL it is
given. Parquet is what BI tools, notebooks and other engines read; an export of each engine's marts
is also the plain way to compare engines table by table.

`--since` exports only what arrived since a time: for an incremental model, the rows whose watermark
column (the model's `meta.recent_column`: loaded_at, last_loaded_at or first_loaded_at, by load
time, never a sender's clock) is at or after it, that is, rows loaded or recomputed since; a table
or view model, rebuilt whole by every build, is exported whole.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from .project import Target, UserError, project_dir
from .raw_files import quote_ident, sql_literal
from .warehouse import Db, duckdb_connect, postgres_connect

FORMATS = ("table", "json", "csv")
RELATIONS_SQL = "select table_name from information_schema.tables where table_schema = ? order by 1"
BATCH_ROWS = 50_000  # rows held in memory at a time while exporting or printing
# the watermark of an incremental model, as its config names it (docs/incremental.md)
_CONFIG = re.compile(r"materialized\s*=\s*'incremental'.*?'recent_column'\s*:\s*'(\w+)'", re.S)
# PostgreSQL type oids -> Parquet (pyarrow) types; any other type is written as text
_PG_TYPES = {
    16: "bool",
    20: "int64",
    21: "int16",
    23: "int32",
    700: "float32",
    701: "float64",
    1700: "float64",
    1082: "date",
    1114: "timestamp",
    1184: "timestamptz",
}


@dataclass
class Exported:
    """One relation written: where, how many rows, and the watermark column `--since` filtered on."""

    table: str
    rows: int
    path: Path
    since_column: str | None


@dataclass
class Result:
    """A query's column names and its rows, read in batches (never the whole result at once)."""

    columns: list[str]
    batches: Iterator[Sequence[tuple[Any, ...]]]


def parse_since(text: str | None) -> dt.datetime | None:
    """`--since` as a naive UTC time: an ISO date or date-time (a zone, if given, converted to UTC)."""
    if text is None:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"--since {text!r}: not an ISO date or time (2026-11-01, 2026-11-01T06:00)") from None
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when


def watermark_columns(root: Path | None = None) -> dict[str, str]:
    """Each incremental model's watermark column, by model name, read from the models' configs."""
    found = {}
    for path in sorted(((root or project_dir()) / "models").rglob("*.sql")):
        match = _CONFIG.search(path.read_text(encoding="utf-8").split("}}", 1)[0])
        if match:
            found[path.stem] = match.group(1)
    return found


@contextmanager
def read_only(target: Target) -> Iterator[Any]:
    """A read-only connection to TARGET: DuckDB's file opened read-only, PostgreSQL in a READ ONLY
    transaction that has run a query (so it cannot be made read-write) and is rolled back at the end:
    a write fails in the engine, not in this code."""
    if target.type == "duckdb":
        with duckdb_connect(target, read_only=True, wait_seconds=60) as con:
            yield con
    elif target.type == "postgres":
        with postgres_connect(target) as con:
            con.commit()  # keeps the session's UTC time zone; the next transaction is read-only
            con.read_only = True
            # a first query: from here on the transaction cannot be made read-write
            con.execute("select 1")
            try:
                yield con
            finally:
                con.rollback()
    else:
        raise UserError(f"target {target.name}: export and query support duckdb and postgres targets")


def _execute(con: Any, target: Target, sql: str) -> Result:
    """Run SQL and stream its rows; an engine's error is one line naming the engine."""
    import duckdb
    import psycopg

    try:
        # PostgreSQL: prepared, so one statement only (no "commit; ..." out of the read-only transaction)
        cur = con.execute(sql) if target.type == "duckdb" else con.cursor().execute(sql, prepare=True)
    except (duckdb.Error, psycopg.Error) as exc:
        message = target.redact(str(exc)).strip().splitlines()[0]
        raise UserError(f"{target.type} refused the query: {message}") from None
    if cur.description is None:
        return Result([], iter(()))
    columns = [d[0] for d in cur.description]

    def batches() -> Iterator[Sequence[tuple[Any, ...]]]:
        while rows := cur.fetchmany(BATCH_ROWS):
            yield rows

    return Result(columns, batches())


def run_query(target: Target, sql: str, fmt: str, out: TextIO = sys.stdout) -> int:
    """`llm-analytics query`: print SQL's result on OUT as FMT; returns the number of rows."""
    if fmt not in FORMATS:
        raise UserError(f"--format {fmt}: one of {', '.join(FORMATS)}")
    with read_only(target) as con:
        result = _execute(con, target, sql)
        if fmt == "table":
            return _print_table(result, out)
        if fmt == "csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(result.columns)
        count = 0
        for batch in result.batches:
            for row in batch:
                values = [_plain(v) for v in row]
                if fmt == "csv":
                    writer.writerow(["" if v is None else v for v in values])
                else:
                    out.write(json.dumps(dict(zip(result.columns, values, strict=True))) + "\n")
            count += len(batch)
        return count


def _plain(value: Any) -> Any:
    """A value JSON and CSV can hold: times in ISO 8601, decimals as numbers, NaN and infinity null."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return value


def _print_table(result: Result, out: TextIO) -> int:
    from rich.console import Console
    from rich.table import Table

    table = Table(*result.columns)
    count = 0
    for batch in result.batches:
        for row in batch:
            table.add_row(*("" if v is None else str(_plain(v)) for v in row))
        count += len(batch)
    Console(file=out, width=max(80, min(240, 16 * len(result.columns)))).print(table)
    return count


def export(target: Target, out: Path, schema: str, since: dt.datetime | None) -> list[Exported]:
    """`llm-analytics export`: every table and view of SCHEMA as OUT/SCHEMA/<name>.parquet (each
    written to a temporary file, then renamed: a file there is always whole), then _export.json."""
    marks = watermark_columns() if since is not None else {}
    folder = out / schema
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with read_only(target) as con:
        names = [
            r[0]
            for r in Db(target.type, con, True).rows(
                "select table_name from information_schema.tables where table_schema = ? order by 1",
                (schema,),
            )
        ]
        if not names:
            raise UserError(f"{target.name}: schema {schema} has no tables (run dbt build first)")
        for name in names:
            column = marks.get(name)
            where = f" where {quote_ident(column)} >= {sql_literal(str(since))}" if column and since else ""
            sql = f"select * from {quote_ident(schema)}.{quote_ident(name)}{where}"
            path = folder / f"{name}.parquet"
            partial = path.with_suffix(".parquet.partial")
            if target.type == "duckdb":
                rows = _duckdb_parquet(con, sql, partial)
            else:
                rows = _postgres_parquet(con, sql, partial)
            os.replace(partial, path)
            written.append(Exported(name, rows, path, column if since else None))
    manifest = {
        "target": target.name,
        "schema": schema,
        "since": since.isoformat() if since else None,
        "exported_at": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
        "tables": [{"table": e.table, "rows": e.rows, "since_column": e.since_column} for e in written],
    }
    (folder / "_export.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return written


def _duckdb_parquet(con: Any, sql: str, path: Path) -> int:
    """DuckDB writes the Parquet itself (its own types, streamed): the row count comes back."""
    return int(con.execute(f"copy ({sql}) to {sql_literal(str(path))} (format parquet)").fetchone()[0])


def _postgres_parquet(con: Any, sql: str, path: Path) -> int:
    """PostgreSQL's rows through a server-side cursor, BATCH_ROWS at a time, into a Parquet file whose
    types follow the columns' (doubles for numeric; text for types Parquet has no name for)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = {
        "bool": pa.bool_(),
        "int16": pa.int16(),
        "int32": pa.int32(),
        "int64": pa.int64(),
        "float32": pa.float32(),
        "float64": pa.float64(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
        "timestamptz": pa.timestamp("us", tz="UTC"),
    }
    count = 0
    with con.cursor(name="llm_analytics_export") as cur:
        cur.itersize = BATCH_ROWS
        cur.execute(sql)
        rows = cur.fetchmany(BATCH_ROWS)
        assert cur.description is not None
        kinds = [_PG_TYPES.get(d.type_code) for d in cur.description]
        schema = pa.schema(
            [(d.name, arrow[k] if k else pa.string()) for d, k in zip(cur.description, kinds, strict=True)]
        )
        with pq.ParquetWriter(path, schema) as writer:
            while True:
                columns = list(zip(*rows, strict=True)) if rows else [() for _ in kinds]
                arrays = [
                    pa.array([_pg_value(v, k) for v in values], type=field.type)
                    for values, k, field in zip(columns, kinds, schema, strict=True)
                ]
                writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
                count += len(rows)
                rows = cur.fetchmany(BATCH_ROWS)
                if not rows:
                    break
    return count


def _pg_value(value: Any, kind: str | None) -> Any:
    if value is None:
        return None
    if kind in ("float32", "float64"):
        return float(value)
    if kind is None and not isinstance(value, str):
        return json.dumps(value) if isinstance(value, dict | list) else str(value)
    return value
