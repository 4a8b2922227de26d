"""The raw contract, read from the dbt sources file so the loader and dbt share one description."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from .project import project_dir

SOURCES_FILE = Path("models/staging/llm/_llm__sources.yml")
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


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    description: str


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@cache
def raw_tables(root: Path | None = None) -> dict[str, Table]:
    """Every raw table of the contract, by name, with its typed columns in order."""
    path = (root or project_dir()) / SOURCES_FILE
    doc = yaml.safe_load(path.read_text())
    tables: dict[str, Table] = {}
    for source in doc["sources"]:
        for t in source["tables"]:
            cols = tuple(
                Column(c["name"], c["data_type"].lower(), c.get("description", "")) for c in t["columns"]
            )
            for c in cols:
                if c.data_type not in DUCKDB_TYPES:
                    raise ValueError(f"{path}: {t['name']}.{c.name} has unsupported data_type {c.data_type}")
            tables[t["name"]] = Table(t["name"], t.get("description", ""), cols)
    return tables
