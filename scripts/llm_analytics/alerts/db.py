"""One connection for a whole alert run, holding the run lock; the connection itself is warehouse.py's.

A run holds the warehouse's write lock from first read to last delivery (the DuckDB file lock, or a
PostgreSQL advisory lock), so two runs at once take turns and the second sees what the first wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..project import Target, UserError
from ..warehouse import Db
from ..warehouse import connect as connect_warehouse

LOCK_KEY = 7_215_048_113  # pg_advisory_lock key of alert runs: any constant shared by all runs
LOCK_WAIT_SECONDS = 120.0


@contextmanager
def connect(target: Target, read_only: bool = False, wait_seconds: float = LOCK_WAIT_SECONDS) -> Iterator[Db]:
    """A Db holding the run lock (unless read-only): callers need not think about concurrency."""
    path = target.duckdb_path if target.type == "duckdb" else None
    if path is not None and not path.exists():
        raise UserError(f"{path} does not exist: load data and run `dbt build --target {target.name}` first")
    with connect_warehouse(target, read_only, wait_seconds) as db:
        if db.engine == "duckdb":  # the file lock is the run lock
            yield db
            return
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
