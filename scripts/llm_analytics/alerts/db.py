"""One connection for a whole alert run, the same few calls on DuckDB and PostgreSQL.

A run holds the warehouse's write lock from first read to last delivery (the DuckDB file lock, or a
PostgreSQL advisory lock), so two runs at once take turns and the second sees what the first wrote.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..project import Target, UserError

LOCK_KEY = 7_215_048_113  # pg_advisory_lock key of alert runs: any constant shared by all runs
LOCK_WAIT_SECONDS = 120.0


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


def _open_duckdb(target: Target, read_only: bool, wait_seconds: float) -> Any:
    """Open the DuckDB file, waiting while another process (a second run, dbt) holds its lock."""
    import duckdb

    path = target.duckdb_path
    if not path.exists():
        raise UserError(f"{path} does not exist: load data and run `dbt build --target {target.name}` first")
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            con.execute("set TimeZone = 'UTC'")
            return con
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise UserError(f"cannot open {path}: {exc}") from exc
            time.sleep(0.2)


@contextmanager
def connect(target: Target, read_only: bool = False, wait_seconds: float = LOCK_WAIT_SECONDS) -> Iterator[Db]:
    """A Db holding the run lock (unless read-only): callers need not think about concurrency."""
    if target.type == "duckdb":
        con = _open_duckdb(target, read_only, wait_seconds)
        try:
            yield Db("duckdb", con, read_only)
        finally:
            con.close()
        return
    from ..warehouse import postgres_connect

    with postgres_connect(target) as con:
        db = Db("postgres", con, read_only)
        if not read_only:
            db.execute("select pg_advisory_lock(?)", (LOCK_KEY,))
            db.commit()
        try:
            yield db
        finally:
            db.rollback()
            if not read_only:
                db.execute("select pg_advisory_unlock(?)", (LOCK_KEY,))
                db.commit()


def require_marts(db: Db, target: Target) -> None:
    """Refuse early, with the fix, when dbt has not built the marts alerts read."""
    missing = [
        t
        for t in ("mart_alert_metrics_hourly", "fct_llm_sessions", "fct_llm_requests")
        if not db.table_exists("marts", t)
    ]
    if missing:
        raise UserError(
            f"no marts built in the {target.name} warehouse (missing marts.{', marts.'.join(missing)}): "
            f"run `dbt build --target {target.name}` first"
        )
