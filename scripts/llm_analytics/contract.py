"""The raw contract, read from the dbt sources files so the loader and dbt share one description.

Two sources make the raw schema: `llm` (the application's events) and `otel` (OpenTelemetry
telemetry converted from OTLP files); `raw_tables()` is the one entry point to both.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from .project import project_dir

SOURCES_FILES = (
    Path("models/staging/llm/_llm__sources.yml"),
    Path("models/staging/otel/_otel__sources.yml"),
)
RAW_SCHEMA = "raw"

# Contract types and the DuckDB type used to check a file's values against them.
DUCKDB_TYPES = {
    "varchar": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "bigint": "BIGINT",
    "double precision": "DOUBLE",
    "boolean": "BOOLEAN",
}
POSTGRES_TYPES = {
    "varchar": "text",
    "timestamp": "timestamp",
    "bigint": "bigint",
    "double precision": "double precision",
    "boolean": "boolean",
}


# What a column may say in `meta` about a file that lacks it: `required: true` (the file is refused),
# `when_absent: loaded_at` (the loader stamps it with the load's time). Any other column a file
# lacks is loaded as null.
WHEN_ABSENT = ("loaded_at",)


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    description: str
    required: bool = False  # `meta: {required: true}`: a file must hold it (its values may be null)
    when_absent: str | None = None  # `meta: {when_absent: loaded_at}`: stamped when a file lacks it


@dataclass(frozen=True)
class Table:
    """A raw table: `columns` are what a file may hold (the `required` ones it must); `stamps` are
    added by the loader to every row it inserts (`meta: {stamped_by: loader}` in the contract),
    never read from a file."""

    name: str
    description: str
    columns: tuple[Column, ...]
    stamps: tuple[Column, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_names(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def stamp_names(self) -> list[str]:
        return [c.name for c in self.stamps]

    def stored(self) -> Table:
        """The table as it is in the warehouse: the file's columns, then the loader's stamps."""
        return Table(self.name, self.description, self.columns + self.stamps)


@cache
def raw_tables(root: Path | None = None) -> dict[str, Table]:
    """Every raw table of the contract (all sources files), by name, with its typed columns in order."""
    tables: dict[str, Table] = {}
    for sources_file in SOURCES_FILES:
        path = (root or project_dir()) / sources_file
        for name, table in _read_tables(path).items():
            if name in tables:
                raise ValueError(f"{path}: raw table {name} is already declared in another sources file")
            tables[name] = table
    return tables


def _read_tables(path: Path) -> dict[str, Table]:
    """The tables of one dbt sources file."""
    doc = yaml.safe_load(path.read_text())
    tables: dict[str, Table] = {}
    for source in doc["sources"]:
        for t in source["tables"]:
            cols, stamps = [], []
            for c in t["columns"]:
                col, stamped = _read_column(path, t["name"], c)
                (stamps if stamped else cols).append(col)
            tables[t["name"]] = Table(t["name"], t.get("description", ""), tuple(cols), tuple(stamps))
    return tables


def _read_column(path: Path, table: str, c: dict) -> tuple[Column, bool]:
    """One column of the contract, and whether the loader stamps it on every row."""
    where = f"{path}: {table}.{c['name']}"
    meta = c.get("meta") or (c.get("config") or {}).get("meta") or {}
    data_type = c["data_type"].lower()
    if data_type not in DUCKDB_TYPES:
        raise ValueError(f"{where} has unsupported data_type {data_type}")
    stamped_by = meta.get("stamped_by")
    if stamped_by not in (None, "loader"):
        raise ValueError(f"{where} has unknown stamped_by {stamped_by}")
    when_absent = meta.get("when_absent")
    if when_absent is not None and when_absent not in WHEN_ABSENT:
        raise ValueError(f"{where} has unknown when_absent {when_absent} (known: {', '.join(WHEN_ABSENT)})")
    required = meta.get("required", False)
    if not isinstance(required, bool):
        raise ValueError(f"{where}: required must be true or false")
    col = Column(c["name"], data_type, c.get("description", ""), required, when_absent)
    return col, bool(stamped_by)
