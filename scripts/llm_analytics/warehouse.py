"""The one connection layer: DuckDB files and PostgreSQL servers named by a dbt target.

The loader, the quality gates, alerts and bench all connect through here, so the session time zone
(UTC), the message a user sees for a missing file or an unreachable server, and waiting while
another process holds DuckDB's file lock are decided once, not once per command.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from .project import Target, UserError


def open_duckdb(database: str | Path = ":memory:", read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection in UTC: in memory (checking files, comparing copies) or on a file by path."""
    con = duckdb.connect(str(database), read_only=read_only)
    con.execute("set TimeZone = 'UTC'")
    return con


def open_waiting(
    path: str | Path,
    read_only: bool,
    wait_seconds: float,
    on_wait: Callable[[int], None] | None = None,
    poll_seconds: float = 0.2,
) -> duckdb.DuckDBPyConnection:
    """Open PATH, waiting up to WAIT_SECONDS while another process (a second run, dbt) holds its lock,
    retrying every POLL_SECONDS and telling ON_WAIT (the dashboard) how many retries it has waited."""
    deadline = time.monotonic() + wait_seconds
    retries = 0
    while True:
        try:
            return open_duckdb(path, read_only=read_only)
        except duckdb.IOException as exc:
            locked = "lock" in str(exc).lower()
            if wait_seconds <= 0 or not locked or time.monotonic() > deadline:
                raise UserError(f"cannot open {path}: {exc}") from exc
            if on_wait is not None:
                on_wait(retries)
            time.sleep(poll_seconds)
            retries += 1


@contextmanager
def duckdb_connect(
    target: Target, read_only: bool = False, wait_seconds: float = 0.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the DuckDB file of the target; the folder is created so a first load just works."""
    path = target.duckdb_path
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.exists():
        raise UserError(f"{path} does not exist: load data and run dbt build first")
    con = open_waiting(path, read_only, wait_seconds)
    try:
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
        message = target.redact(str(exc))
        raise UserError(f"cannot connect to PostgreSQL ({target.postgres_display()}): {message}") from None
    try:
        with con.cursor() as cur:
            cur.execute("set time zone 'UTC'")
        yield con
    finally:
        con.close()


@contextmanager
def postgres_admin(conninfo: str) -> Iterator[Any]:
    """An autocommit connection to a server's maintenance database: create and drop databases."""
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as con:
        yield con


class Db:
    """A thin cursor: `?` placeholders everywhere, explicit commit, engine name for the few differences."""

    def __init__(self, engine: str, con: Any, read_only: bool) -> None:
        self.engine = engine
        self.con = con
        self.read_only = read_only
        self._open_tx = False  # DuckDB refuses commit/rollback outside an explicit transaction

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.engine == "postgres" else sql

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.engine == "duckdb":
            return self.con.execute(sql, list(params)).fetchall()
        with self.con.cursor() as cur:
            cur.execute(self._sql(sql), list(params))
            return list(cur.fetchall()) if cur.description else []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        if self.engine == "duckdb":
            self.con.execute(sql, list(params))
        else:
            with self.con.cursor() as cur:
                cur.execute(self._sql(sql), list(params))

    def begin(self) -> None:
        if self.engine == "duckdb" and not self._open_tx:
            self.con.execute("begin transaction")
            self._open_tx = True

    def commit(self) -> None:
        if self.engine == "postgres":
            self.con.commit()
        elif self._open_tx:
            self.con.execute("commit")
        self._open_tx = False

    def rollback(self) -> None:
        with contextlib.suppress(Exception):  # nothing to roll back
            if self.engine == "postgres":
                self.con.rollback()
            elif self._open_tx:
                self.con.execute("rollback")
        self._open_tx = False

    def table_exists(self, schema: str, table: str) -> bool:
        return bool(
            self.rows(
                "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                (schema, table),
            )[0][0]
        )


@contextmanager
def connect(target: Target, read_only: bool = False, wait_seconds: float = 0.0) -> Iterator[Db]:
    """The same few calls on either engine, for code that needs no engine-specific API."""
    if target.type == "duckdb":
        with duckdb_connect(target, read_only, wait_seconds) as con:
            yield Db("duckdb", con, read_only)
    else:
        with postgres_connect(target) as con:
            yield Db("postgres", con, read_only)


def query(target: Target, sql: str) -> list[tuple[Any, ...]]:
    """Run one read query on the target and return all rows (small results only)."""
    if target.type == "duckdb":
        with duckdb_connect(target, read_only=True) as con:
            return con.execute(sql).fetchall()
    with postgres_connect(target) as con, con.cursor() as cur:
        cur.execute(sql)
        return list(cur.fetchall())
