"""Load Parquet, JSONL and CSV files into the raw tables, refusing files that break the contract.

Every file is checked with DuckDB before the warehouse is touched (DuckDB reads all three formats
in streaming fashion, so a large file is never held in memory). The load of one command is one
transaction on the warehouse, recorded in a manifest keyed by the file's SHA-256: loading the
same file again adds nothing, and a refused or failed load leaves the warehouse as it was.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

import duckdb

from .contract import DUCKDB_TYPES, POSTGRES_TYPES, RAW_SCHEMA, Table, raw_tables
from .project import Target, UserError
from .quality import QualityGate, warnings_of
from .raw_checks import check_file
from .raw_files import FORMATS, LoadFile, cast_sql, sql_literal
from .warehouse import connect, open_duckdb, postgres_connect

MANIFEST = f"{RAW_SCHEMA}.load_manifest"


def table_for(path: Path, table: str | None, tables: dict[str, Table]) -> Table:
    """The raw table a file belongs to: --table, else the file name before the first '-' or '.'."""
    name = table or re.split(r"[-.]", path.name, maxsplit=1)[0]
    if name not in tables:
        raise UserError(
            f"{path}: no raw table named {name!r} (known: {', '.join(sorted(tables))}); "
            "name the file after its table or pass --table"
        )
    return tables[name]


def discover(path: Path, table: str | None) -> list[LoadFile]:
    """Every loadable file under PATH (a file or a folder), in a stable order."""
    if not path.exists():
        raise UserError(f"{path}: no such file or folder")
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    files = [p for p in files if p.suffix.lower() in FORMATS]
    if not files:
        raise UserError(f"{path}: no .parquet, .jsonl or .csv files found")
    tables = raw_tables()
    return [LoadFile(p, table_for(p, table, tables), FORMATS[p.suffix.lower()], _sha256(p)) for p in files]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _create_sql(table: Table, types: dict[str, str]) -> list[str]:
    cols = ", ".join(f"{c.name} {types[c.data_type]}" for c in table.columns)
    return [
        f"create schema if not exists {RAW_SCHEMA}",
        f"create table if not exists {RAW_SCHEMA}.{table.name} ({cols})",
    ]


MANIFEST_DDL = (
    f"create table if not exists {MANIFEST} (table_name varchar not null, file_name varchar not null, "
    "file_sha256 varchar not null, row_count bigint not null, loaded_at timestamp not null, "
    "primary key (table_name, file_sha256))"
)


def ensure_raw_tables(target: Target) -> None:
    """Create the raw schema, the contract's tables and the manifest if they do not exist yet."""
    duck = target.type == "duckdb"
    types = DUCKDB_TYPES if duck else POSTGRES_TYPES
    with connect(target) as db:
        for t in raw_tables().values():
            for stmt in _create_sql(t, types):
                db.execute(stmt)
        db.execute(MANIFEST_DDL if duck else MANIFEST_DDL.replace("varchar", "text"))
        db.commit()


def load(path: Path, target: Target, table: str | None = None, rules: Path | None = None) -> list[LoadFile]:
    """Check every file (contract, then quality rules), then load the new ones in one transaction."""
    files = discover(path, table)
    gate = QualityGate(rules)
    checker = open_duckdb()
    for f in files:
        check_file(checker, f)
        f.warnings = warnings_of(gate.check_file(checker, f))
    ensure_raw_tables(target)
    if target.type == "duckdb":
        _load_duckdb(checker, files, target)
    else:
        _load_postgres(checker, files, target)
    checker.close()
    return files


def _load_duckdb(checker: duckdb.DuckDBPyConnection, files: list[LoadFile], target: Target) -> None:
    checker.execute(f"attach {sql_literal(str(target.duckdb_path))} as wh")
    try:
        checker.execute("begin transaction")
        for f in files:
            seen = checker.execute(
                f"select 1 from wh.{MANIFEST} where table_name = ? and file_sha256 = ?",
                [f.table.name, f.sha256],
            ).fetchone()
            if seen:
                f.status = "skipped"
                continue
            checker.execute(f"insert into wh.{RAW_SCHEMA}.{f.table.name} {cast_sql(f)}")
            checker.execute(
                f"insert into wh.{MANIFEST} values (?, ?, ?, ?, current_timestamp::timestamp)",
                [f.table.name, f.path.name, f.sha256, f.rows],
            )
            f.status = "loaded"
        checker.execute("commit")
    except Exception:
        checker.execute("rollback")
        for f in files:
            f.status = "pending"
        raise
    finally:
        checker.execute("detach wh")


def _load_postgres(checker: duckdb.DuckDBPyConnection, files: list[LoadFile], target: Target) -> None:
    with postgres_connect(target) as con, tempfile.TemporaryDirectory() as tmp:
        try:
            with con.cursor() as cur:
                # One loader at a time: a second concurrent load waits, then sees the manifest.
                cur.execute(f"lock table {MANIFEST} in exclusive mode")
                for f in files:
                    cur.execute(
                        f"select 1 from {MANIFEST} where table_name = %s and file_sha256 = %s",
                        [f.table.name, f.sha256],
                    )
                    if cur.fetchone():
                        f.status = "skipped"
                        continue
                    csv_path = Path(tmp) / f"{f.table.name}.csv"
                    checker.execute(
                        f"copy ({cast_sql(f)}) to {sql_literal(str(csv_path))} (format csv, header false)"
                    )
                    cols = ", ".join(f.table.column_names)
                    copy_sql = f"copy {RAW_SCHEMA}.{f.table.name} ({cols}) from stdin (format csv)"
                    with cur.copy(copy_sql) as copy, csv_path.open("rb") as fh:
                        for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                            copy.write(block)
                    csv_path.unlink()
                    cur.execute(
                        f"insert into {MANIFEST} values (%s, %s, %s, %s, now() at time zone 'utc')",
                        [f.table.name, f.path.name, f.sha256, f.rows],
                    )
                    f.status = "loaded"
            con.commit()
        except Exception:
            con.rollback()
            for f in files:
                f.status = "pending"
            raise
