"""A raw file seen through the contract: what it is, how it is read, how it is cast, how it is refused.

The loader (which checks a file's columns and loads it) and the quality gates (which run the file's
suite) both read a file the same way, as the contract's typed columns; that shared reading lives
here, below both, so neither has to reach into the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .contract import DUCKDB_TYPES, Table
from .project import UserError

FORMATS = {".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


class ContractError(UserError):
    """A file that does not fit the raw contract; it is refused whole."""


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


def sql_literal(value: str) -> str:
    """VALUE as a quoted SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


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


def cast_sql(f: LoadFile) -> str:
    """The file's rows as the contract's columns, in order, each cast to its contract type."""
    cols = ", ".join(
        f'try_cast("{c.name}" as {DUCKDB_TYPES[c.data_type]}) as "{c.name}"' for c in f.table.columns
    )
    return f"select {cols} from {reader_sql(f)}"
