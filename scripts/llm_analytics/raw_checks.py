"""Check one raw file against the contract before anything is loaded, and say exactly what is wrong.

Every refusal names the file, the column and the row, and shows at most a short value: refusals
are printed to terminals and appended to logs, and raw files carry prompts, responses and comments
that must not end up there. The checks are the loader's casts (raw_files.typed_sql), so a file that
passes here loads exactly as checked, on either engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .contract import Column
from .raw_files import ContractError, LoadFile, reader_sql, shown_value, source_sql, typed_sql


@dataclass(frozen=True)
class ValueCheck:
    """One way a column's value can be refused: the SQL that spots it and what to tell the user."""

    column: Column
    bad_sql: str
    message: str  # with {column}, {type}, {row} and {value}: the sentence the user reads


def value_checks(columns: tuple[Column, ...]) -> list[ValueCheck]:
    """Per column: a value that does not fit its type; for text, a NUL byte PostgreSQL cannot store."""
    checks = []
    for c in columns:
        col = f'"{c.name}"'
        checks.append(
            ValueCheck(c, f"{col} is not null and {typed_sql(c.name, c.data_type)} is null", _type_hint(c))
        )
        if c.data_type == "varchar":
            checks.append(
                ValueCheck(
                    c,
                    f"strpos(cast({col} as varchar), chr(0)) > 0",
                    "column {column}: row {row} has a NUL byte (\\x00) in its text, which PostgreSQL "
                    "cannot store; remove it",
                )
            )
    return checks


def _type_hint(c: Column) -> str:
    hints = {
        "bigint": " (a whole number: 1.5 is not rounded, it is refused)",
        "timestamp": " (ISO 8601 such as 2026-10-05T12:00:00Z; an offset is converted to UTC)",
    }
    return "column {column} must be {type} but row {row} has {value}" + hints.get(c.data_type, "")


def check_file(con: duckdb.DuckDBPyConnection, f: LoadFile) -> None:
    """Refuse the file unless it has the contract's required columns and no column outside it (or,
    through a mapping, every field the mapping uses), and every value fits its column's type."""
    where = f"{f.shown} (raw.{f.table.name})"
    try:
        described = con.execute(f"describe select * from {reader_sql(f)}").fetchall()
    except duckdb.Error as exc:
        raise ContractError(f"{where}: cannot be read as {f.fmt}: {_first_line(exc)}") from None
    fields = [row[0] for row in described]
    if f.fmt == "jsonl":
        f.json_keys = fields
    if f.mapping is not None:
        f.projection, f.origins, notes = f.mapping.projection(where, fields)
        f.warnings += notes
        present = list(f.origins)
    else:
        present = fields
        _check_columns(where, f, present)
    f.present = [c for c in f.table.column_names if c in present]
    checks = value_checks(tuple(c for c in f.table.columns if c.name in f.present))
    firsts = "".join(f", min(case when {c.bad_sql} then rn end)" for c in checks)
    numbered = f"select *, row_number() over () as rn from {source_sql(f)}"
    with reading(f):
        row = con.execute(f"select count(*){firsts} from ({numbered})").fetchone()
    assert row is not None
    f.rows = int(row[0])
    if f.rows == 0:
        raise ContractError(f"{where}: the file has no rows")
    found = [(int(n), c) for c, n in zip(checks, row[1:], strict=True) if n is not None]
    if found:
        bad_row, check = min(found, key=lambda pair: pair[0])
        name = check.column.name
        value = con.execute(f'select "{name}" from ({numbered}) where rn = {bad_row}').fetchone()
        shown = shown_value(check.column.data_type, value[0] if value else None)
        text = check.message.format(column=name, type=check.column.data_type, row=bad_row, value=shown)
        origin = f" ({f.origins[name]})" if name in f.origins else ""
        raise ContractError(f"{where}: {text}{origin}")


def _check_columns(where: str, f: LoadFile, present: list[str]) -> None:
    """Refuse missing required or unknown columns, naming them and the columns found (never their
    values). An optional column may be absent: it is loaded as null."""
    missing = [c for c in f.table.required_names if c not in present]
    extra = [c for c in present if c not in f.table.column_names]
    if not (missing or extra):
        return
    parts = []
    if missing:
        parts.append(f"missing column(s) {', '.join(missing)}")
    if extra:
        parts.append(f"column(s) not in the contract {', '.join(extra)}")
    raise ContractError(f"{where}: {'; '.join(parts)}. Columns found: {', '.join(present)}")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@contextmanager
def reading(f: LoadFile) -> Iterator[None]:
    """Turn a failure to read the file's data (not just its header) into a refusal of the file.

    DuckDB reads a Parquet file's footer first and its pages only when a query needs them, so a
    corrupt page can surface in any later read (the contract check, the quality gate): each of
    them reads inside this, and the user gets the file, column and rows instead of a traceback.
    """
    try:
        yield
    except (duckdb.Error, OSError) as exc:  # OSError: the same failure met through an Arrow reader
        raise ContractError(f"{f.shown} (raw.{f.table.name}): {_unreadable(f, exc)}") from None


def _unreadable(f: LoadFile, exc: Exception) -> str:
    """A file whose metadata reads but whose data does not (a corrupt Parquet page): where it breaks."""
    if f.fmt != "parquet":
        return f"cannot be read as {f.fmt}: {_first_line(exc)}"
    place = _corrupt_place(f.path)
    at = f"column {place[0]}, rows {place[1]:,}-{place[2]:,}" if place else "an unknown column and row"
    return f"the Parquet file is corrupt at {at} ({_first_line(exc)}); export it again"


def _corrupt_place(path: Path) -> tuple[str, int, int] | None:
    """The first column and row range (1-based, one row group) whose pages cannot be decoded."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception:  # the footer itself is unreadable: nothing to point at
        return None
    start = 1
    for group in range(pf.num_row_groups):
        rows = pf.metadata.row_group(group).num_rows
        for name in pf.schema_arrow.names:
            try:
                pf.read_row_group(group, columns=[name])
            except Exception:  # any decoding failure is the place to report
                return name, start, start + rows - 1
        start += rows
    return None
