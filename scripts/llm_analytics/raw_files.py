"""A raw file seen through the contract: what it is, how it is read, how it is cast, how it is refused.

The loader (which checks a file's columns and loads it) and the quality gates (which run the file's
suite) both read a file the same way, as the contract's typed columns; that shared reading lives
here, below both, so neither has to reach into the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .contract import DUCKDB_TYPES, Table
from .project import UserError

FORMATS = {".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


class ContractError(UserError):
    """A file that does not fit the raw contract; it is refused whole."""


class Projection(Protocol):
    """How a file's own fields become contract columns (a mapping file's table, mappings.py)."""

    def projection(self, where: str, fields: list[str]) -> tuple[str, dict[str, str], list[str]]:
        """The select list over the file's FIELDS, the contract columns it gives (each with where it
        comes from), and notes."""
        ...


@dataclass
class LoadFile:
    path: Path
    table: Table
    fmt: str
    sha256: str
    rows: int = 0
    status: str = "pending"  # pending, loaded, skipped
    json_keys: list[str] | None = None  # JSONL only: keys found, read back as text
    warnings: list[str] = field(default_factory=list)  # warn-level quality rules the file breaks
    origin: Path | None = None  # the file the user gave, when `path` is its conversion (OTLP)
    mapping: Projection | None = None  # --mapping: the file's fields projected onto the contract
    projection: str | None = None  # the mapping's select list for this file (set by the check)
    present: list[str] | None = None  # contract columns the file (or its mapping) gives; None: all
    origins: dict[str, str] = field(default_factory=dict)  # mapped column -> the field it is read from

    @property
    def shown(self) -> Path:
        """The file as the user knows it: in messages, the CLI's table and the manifest."""
        return self.origin or self.path


def sql_literal(value: str) -> str:
    """VALUE as a quoted SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    """NAME as a double-quoted SQL identifier (DuckDB, PostgreSQL)."""
    return '"' + name.replace('"', '""') + '"'


def reader_sql(f: LoadFile) -> str:
    """The DuckDB table function that streams the file's rows as they are written."""
    p = sql_literal(str(f.path))
    if f.fmt == "parquet":
        return f"read_parquet({p})"
    if f.fmt == "csv":
        return f"read_csv({p}, header = true, all_varchar = true)"
    if f.json_keys is None:
        return f"read_json({p}, format = 'newline_delimited', sample_size = -1)"
    # every key as text, so a string in a number column is reported rather than read as JSON
    cols = ", ".join(f"{sql_literal(k)}: 'VARCHAR'" for k in f.json_keys)
    return f"read_json({p}, format = 'newline_delimited', columns = {{{cols}}})"


def source_sql(f: LoadFile) -> str:
    """The file's rows under the contract's column names, not yet typed: the file itself, or its
    mapping's projection over it."""
    if f.projection is None:
        return reader_sql(f)
    return f"(select {f.projection} from {reader_sql(f)})"


def typed_sql(name: str, data_type: str) -> str:
    """The file's value of column NAME as its contract type, or NULL when it does not fit exactly.

    A plain cast would load some values wrong rather than refuse them: a timestamp with an offset
    (`12:00+05:00`) would keep its wall clock and lose the offset, and 1.5 cast to bigint is 2. A
    timestamp goes through TIMESTAMPTZ (the session is UTC, so an offset converts to UTC and a
    value without one stays as written), and a bigint must equal the number it was read from.
    """
    col = f'"{name}"'
    if data_type == "timestamp":
        return f"try_cast(try_cast({col} as TIMESTAMPTZ) as TIMESTAMP)"
    if data_type == "bigint":
        whole = f"try_cast({col} as BIGINT)"
        return f"case when try_cast({col} as DOUBLE) = {whole} then {whole} end"
    return f"try_cast({col} as {DUCKDB_TYPES[data_type]})"


def cast_sql(f: LoadFile) -> str:
    """The file's rows as the contract's columns, in order, each cast to its contract type; a
    column the file does not have is null (the loader stamps `when_absent` ones, loader.Stamp)."""
    cols = ", ".join(
        f'{typed_sql(c.name, c.data_type)} as "{c.name}"'
        if f.present is None or c.name in f.present
        else f'cast(null as {DUCKDB_TYPES[c.data_type]}) as "{c.name}"'
        for c in f.table.columns
    )
    return f"select {cols} from {source_sql(f)}"


def shown_value(data_type: str, value: object, limit: int = 24) -> str:
    """A refused value as a message may show it: messages reach terminals and logs, so free text
    (prompts, responses, comments, JSON) is described by its length only, and anything else is cut
    short."""
    if value is None:
        return "null"
    text = value if isinstance(value, str) else str(value)
    if data_type == "varchar":
        return f"<text of {len(text):,} characters, not shown>"
    if len(text) > limit:
        return repr(text[:limit]) + f"... ({len(text):,} characters)"
    return repr(value) if isinstance(value, str) else text
