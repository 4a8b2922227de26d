"""Load Parquet, JSONL and CSV files into the raw tables, refusing files that break the contract.

OpenTelemetry files (OTLP JSON or protobuf) are first converted to the otel tables' rows as Parquet
(otlp_files), then loaded exactly like the others.

Every file is checked with DuckDB before the warehouse is touched (DuckDB reads all three formats
in streaming fashion, so a large file is never held in memory). The load of one command is one
transaction on the warehouse, recorded in a manifest keyed by the file's SHA-256: loading the
same file again adds nothing, and a refused or failed load leaves the warehouse as it was.

Every row a load inserts is stamped with the load's own time and number (`_loaded_at`, `_load_id`:
the contract's columns with `stamped_by: loader`), both increasing from one load to the next.
Incremental models select by them, never by a sender's clock (docs/loading.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .contract import DUCKDB_TYPES, POSTGRES_TYPES, RAW_SCHEMA, Table, raw_tables
from .mappings import Mapping, read_mapping
from .otlp_files import convert
from .otlp_read import is_otlp
from .project import Target, UserError
from .quality import QualityGate, warnings_of
from .raw_checks import check_file
from .raw_files import FORMATS, LoadFile, cast_sql, sql_literal
from .warehouse import connect, open_duckdb, postgres_connect

MANIFEST = f"{RAW_SCHEMA}.load_manifest"


def table_for(
    path: Path, table: str | None, tables: dict[str, Table], mapping: Mapping | None = None
) -> Table:
    """The raw table a file belongs to: --table, else the file name before the first '-' or '.'
    (through a mapping of one table, a file named for no raw table goes to that table)."""
    name = table or re.split(r"[-.]", path.name, maxsplit=1)[0]
    if mapping is not None:
        name = mapping.table_for(name, tables)
    if name not in tables:
        raise UserError(
            f"{path}: no raw table named {name!r} (known: {', '.join(sorted(tables))}); "
            "name the file after its table or pass --table"
        )
    return tables[name]


def discover(path: Path, table: str | None, workdir: Path, mapping: Path | None = None) -> list[LoadFile]:
    """Every loadable file under PATH (a file or a folder), in a stable order.

    OTLP files (otlp_read.is_otlp: by name or content) are converted to the otel tables' rows under
    WORKDIR, one LoadFile per table they hold; every other file goes to the table it is named after,
    read through MAPPING (a mapping file, mappings.py) when it maps that table.
    """
    if not path.exists():
        raise UserError(f"{path}: no such file or folder")
    found = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    tables = raw_tables()
    mapped = read_mapping(mapping, tables) if mapping is not None else None
    files: list[LoadFile] = []
    for p in found:
        if is_otlp(p):
            files += convert(p, _sha256(p), workdir, tables)
        elif p.suffix.lower() in FORMATS:
            t = table_for(p, table, tables, mapped)
            f = LoadFile(p, t, FORMATS[p.suffix.lower()], _sha256(p))
            f.mapping = mapped.tables.get(t.name) if mapped else None
            files.append(f)
    if not files:
        raise UserError(f"{path}: no .parquet, .jsonl, .csv or OTLP (.json, .jsonl, .pb) files found")
    return files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _create_sql(table: Table, types: dict[str, str]) -> list[str]:
    """Create the table; add the stamp columns to one created before they existed (old rows: null)."""
    cols = ", ".join(f"{c.name} {types[c.data_type]}" for c in table.stored().columns)
    return [
        f"create schema if not exists {RAW_SCHEMA}",
        f"create table if not exists {RAW_SCHEMA}.{table.name} ({cols})",
        *(
            f"alter table {RAW_SCHEMA}.{table.name} add column if not exists {c.name} {types[c.data_type]}"
            for c in table.stamps
        ),
    ]


# loaded_at is the load's stamp (the rows' _loaded_at), load_id its number (null before stamps).
MANIFEST_DDL = (
    f"create table if not exists {MANIFEST} (table_name varchar not null, file_name varchar not null, "
    "file_sha256 varchar not null, row_count bigint not null, loaded_at timestamp not null, "
    "load_id bigint, primary key (table_name, file_sha256))"
)
MANIFEST_MIGRATION = f"alter table {MANIFEST} add column if not exists load_id bigint"
MANIFEST_INSERT = (
    f"insert into {{prefix}}{MANIFEST} (table_name, file_name, file_sha256, row_count, loaded_at, load_id) "
    "values ({p}, {p}, {p}, {p}, {p}, {p})"
)


@dataclass(frozen=True)
class Stamp:
    """What a load writes on each of its rows: its time (UTC) and its number."""

    loaded_at: dt.datetime
    load_id: int

    def literal(self, what: str) -> str:
        """The load's time (`loaded_at`) as a SQL timestamp literal."""
        assert what == "loaded_at"
        return f"cast('{self.loaded_at.isoformat(sep=' ')}' as timestamp)"

    def values(self, table: Table) -> list[str]:
        """SQL literals of TABLE's stamp columns, in order."""
        known = {"_loaded_at": self.literal("loaded_at"), "_load_id": f"cast({self.load_id} as bigint)"}
        unknown = [n for n in table.stamp_names if n not in known]
        if unknown:
            raise UserError(f"raw.{table.name}: the loader cannot stamp {', '.join(unknown)}")
        return [known[n] for n in table.stamp_names]


def next_stamp(previous_at: dt.datetime | None, previous_id: int | None) -> Stamp:
    """The next load's stamp: now, or 1 µs after the previous load when the clock is behind it, so
    _loaded_at and _load_id only increase (read under the load's lock, see _load_*)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if previous_at is not None and now <= previous_at:
        now = previous_at + dt.timedelta(microseconds=1)
    return Stamp(now, (previous_id or 0) + 1)


def stamped_sql(f: LoadFile, stamp: Stamp) -> str:
    """The file's rows as the contract's columns, then the load's stamps. A column the file does not
    have and the contract says `when_absent: loaded_at` (received_at) is the load's time."""
    absent = [
        f'{stamp.literal(c.when_absent)} as "{c.name}"'
        for c in f.table.columns
        if c.when_absent and f.present is not None and c.name not in f.present
    ]
    star = f"* replace ({', '.join(absent)})" if absent else "*"
    return f"select {star}, {', '.join(stamp.values(f.table))} from ({cast_sql(f)}) as file_rows"


def _insert_columns(table: Table) -> str:
    return ", ".join(c.name for c in table.stored().columns)


def ensure_raw_tables(target: Target) -> None:
    """Create the raw schema, the contract's tables and the manifest if they do not exist yet."""
    duck = target.type == "duckdb"
    types = DUCKDB_TYPES if duck else POSTGRES_TYPES
    with connect(target) as db:
        for t in raw_tables().values():
            for stmt in _create_sql(t, types):
                db.execute(stmt)
        db.execute(MANIFEST_DDL if duck else MANIFEST_DDL.replace("varchar", "text"))
        db.execute(MANIFEST_MIGRATION)
        db.commit()


def load(
    path: Path,
    target: Target,
    table: str | None = None,
    rules: Path | None = None,
    mapping: Path | None = None,
) -> list[LoadFile]:
    """Check every file (contract, then quality rules), then load the new ones in one transaction."""
    with tempfile.TemporaryDirectory(prefix="llm-analytics-load-") as workdir:
        files = discover(path, table, Path(workdir), mapping)
        gate = QualityGate(rules)
        checker = open_duckdb()
        try:
            for f in files:
                check_file(checker, f)
                f.warnings += warnings_of(gate.check_file(checker, f))
            ensure_raw_tables(target)
            if target.type == "duckdb":
                _load_duckdb(checker, files, target)
            else:
                _load_postgres(checker, files, target)
        finally:
            checker.close()
    return files


def _load_duckdb(checker: duckdb.DuckDBPyConnection, files: list[LoadFile], target: Target) -> None:
    checker.execute(f"attach {sql_literal(str(target.duckdb_path))} as wh")
    try:
        checker.execute("begin transaction")
        previous = checker.execute(f"select max(loaded_at), max(load_id) from wh.{MANIFEST}").fetchone()
        stamp = next_stamp(*(previous or (None, None)))
        for f in files:
            seen = checker.execute(
                f"select 1 from wh.{MANIFEST} where table_name = ? and file_sha256 = ?",
                [f.table.name, f.sha256],
            ).fetchone()
            if seen:
                f.status = "skipped"
                continue
            into = f"wh.{RAW_SCHEMA}.{f.table.name} ({_insert_columns(f.table)})"
            checker.execute(f"insert into {into} {stamped_sql(f, stamp)}")
            checker.execute(
                MANIFEST_INSERT.format(prefix="wh.", p="?"),
                [f.table.name, f.shown.name, f.sha256, f.rows, stamp.loaded_at, stamp.load_id],
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
                cur.execute(f"select max(loaded_at), max(load_id) from {MANIFEST}")
                stamp = next_stamp(*(cur.fetchone() or (None, None)))
                for f in files:
                    cur.execute(
                        f"select 1 from {MANIFEST} where table_name = %s and file_sha256 = %s",
                        [f.table.name, f.sha256],
                    )
                    if cur.fetchone():
                        f.status = "skipped"
                        continue
                    csv_path = Path(tmp) / f"{f.table.name}.csv"
                    out = sql_literal(str(csv_path))
                    checker.execute(f"copy ({stamped_sql(f, stamp)}) to {out} (format csv, header false)")
                    cols = _insert_columns(f.table)
                    copy_sql = f"copy {RAW_SCHEMA}.{f.table.name} ({cols}) from stdin (format csv)"
                    with cur.copy(copy_sql) as copy, csv_path.open("rb") as fh:
                        for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                            copy.write(block)
                    csv_path.unlink()
                    cur.execute(
                        MANIFEST_INSERT.format(prefix="", p="%s"),
                        [f.table.name, f.shown.name, f.sha256, f.rows, stamp.loaded_at, stamp.load_id],
                    )
                    f.status = "loaded"
            con.commit()
        except Exception:
            con.rollback()
            for f in files:
                f.status = "pending"
            raise
