"""Connections to the warehouse named by a dbt target (DuckDB file or PostgreSQL server)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

from .project import Target, UserError


@contextmanager
def duckdb_connect(target: Target, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the DuckDB file of the target; the folder is created so a first load just works."""
    path = target.duckdb_path
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.exists():
        raise UserError(f"{path} does not exist: load data and run dbt build first")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        raise UserError(f"cannot open {path}: {exc}") from exc
    try:
        con.execute("set TimeZone = 'UTC'")
        yield con
    finally:
        con.close()


@contextmanager
def postgres_connect(target: Target) -> Iterator[Any]:
    """Open a psycopg connection with the target's settings (autocommit off: callers commit)."""
    import psycopg

    try:
        con = psycopg.connect(target.postgres_conninfo(), connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise UserError(f"cannot connect to PostgreSQL ({target.postgres_conninfo()}): {exc}") from exc
    try:
        with con.cursor() as cur:
            cur.execute("set time zone 'UTC'")
        yield con
    finally:
        con.close()


def query(target: Target, sql: str) -> list[tuple[Any, ...]]:
    """Run one read query on the target and return all rows (small results only)."""
    if target.type == "duckdb":
        with duckdb_connect(target, read_only=True) as con:
            return con.execute(sql).fetchall()
    with postgres_connect(target) as con, con.cursor() as cur:
        cur.execute(sql)
        return list(cur.fetchall())
