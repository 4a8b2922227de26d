"""The dashboard's only data access: SQL on the marts in, pandas out.

Pages never open a connection: they ask `Mart.frame` for a mart's rows under the sidebar's filters, so
what a page shows is a plain query on one mart, testable without a browser. Only the `marts` schema
and the alert state (`alerts`, the alert scripts' own tables) are read: raw, staging and intermediate,
where prompt text lives, are never touched.

DuckDB allows one writer: the file is opened read-only for each query batch and closed at once, so a
`dbt build` can take its lock between two page loads; while a build holds it, `open_duckdb_waiting`
retries and says so instead of failing. PostgreSQL uses the dbt profile's settings, which read the PG*
environment variables (PGUSER=llm_analytics_reader and its PGPASSWORD for the read-only role).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

from ..project import Target, UserError, load_target
from ..warehouse import open_waiting, postgres_connect
from . import TARGET_ENV

MARTS_SCHEMA = "marts"
ALERTS_SCHEMA = "alerts"
LOCK_WAIT_ENV = "LLM_ANALYTICS_DASHBOARD_LOCK_WAIT"
LOCK_WAIT_SECONDS = 600.0  # how long a page waits for a build to release the DuckDB file
# the date or time column each mart is filtered on, first match wins
DATE_COLUMNS = (
    "activity_date",
    "activity_hour",
    "activity_week",
    "activity_month",
    "session_date",
    "entry_week",
    "signup_cohort_week",
)


@dataclass(frozen=True)
class Filters:
    """The sidebar's choices; None or empty means no restriction. Applied only to marts with the column."""

    start: dt.date | None = None
    end: dt.date | None = None  # inclusive
    features: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()

    def by_column(self) -> dict[str, tuple[str, ...]]:
        return {
            "feature_id": self.features,
            "provider": self.providers,
            "model_id": self.models,
            "segment": self.segments,
        }


def open_duckdb_waiting(
    path: str, wait_seconds: float, on_wait: Callable[[str], None] | None = None
) -> duckdb.DuckDBPyConnection:
    """The file read-only; while another process (dbt) holds its write lock, retry every second and
    tell ON_WAIT, up to WAIT_SECONDS (the loaders' own wait, warehouse.open_waiting, with a message)."""

    def said(waited: int) -> None:
        if on_wait is not None:
            on_wait(
                f"A build holds the warehouse {path} (DuckDB allows one writer): "
                f"waiting for it to finish ({waited} s)…"
            )

    return open_waiting(path, True, wait_seconds, on_wait=said, poll_seconds=1.0)


def _plain(value: Any) -> Any:
    """PostgreSQL numerics arrive as Decimal: floats, so both engines give the same frame."""
    return float(value) if isinstance(value, Decimal) else value


@dataclass
class Warehouse:
    """One dashboard's view of a warehouse: which marts exist and their columns, and queries on them."""

    target: Target
    on_wait: Callable[[str], None] | None = None
    wait_seconds: float = field(
        default_factory=lambda: float(os.environ.get(LOCK_WAIT_ENV, LOCK_WAIT_SECONDS))
    )
    _columns: dict[tuple[str, str], list[str]] | None = None

    def sql(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """One read query (`?` placeholders) as a frame."""
        if self.target.type == "duckdb":
            path = str(self.target.duckdb_path)
            if not self.target.duckdb_path.exists():
                raise UserError(f"{path} does not exist: load data and run `dbt build` first")
            con = open_duckdb_waiting(path, self.wait_seconds, self.on_wait)
            try:
                cur = con.execute(sql, list(params))
                names = [d[0] for d in cur.description]
                rows = cur.fetchall()
            finally:
                con.close()
        else:
            with postgres_connect(self.target) as con, con.cursor() as cur:
                cur.execute(sql.replace("?", "%s"), list(params))
                names = [d[0] for d in cur.description or ()]
                rows = cur.fetchall()
        return pd.DataFrame([[_plain(v) for v in r] for r in rows], columns=names)

    def columns(self, schema: str, table: str) -> list[str]:
        """The table's columns (empty when it does not exist), read once for all tables."""
        if self._columns is None:
            frame = self.sql(
                "select table_schema, table_name, column_name from information_schema.columns "
                "where table_schema in (?, ?) order by table_schema, table_name, ordinal_position",
                (MARTS_SCHEMA, ALERTS_SCHEMA),
            )
            cols: dict[tuple[str, str], list[str]] = {}
            for s, t, c in frame.itertuples(index=False):
                cols.setdefault((s, t), []).append(c)
            self._columns = cols
        return self._columns.get((schema, table), [])

    def has(self, mart: str) -> bool:
        return bool(self.columns(MARTS_SCHEMA, mart))

    def mart(
        self,
        mart: str,
        filters: Filters | None = None,
        columns: str = "*",
        order_by: str | None = None,
        extra_where: str | None = None,
    ) -> pd.DataFrame:
        """Rows of marts.MART under FILTERS (each filter only where the mart has its column)."""
        if not self.has(mart):
            raise UserError(f"marts.{mart} does not exist: run `dbt build` first")
        where, params = self.where(mart, filters)
        if extra_where:
            where.append(extra_where)
        sql = f"select {columns} from {MARTS_SCHEMA}.{mart}"
        if where:
            sql += " where " + " and ".join(where)
        if order_by:
            sql += f" order by {order_by}"
        return self.sql(sql, params)

    def where(self, mart: str, filters: Filters | None) -> tuple[list[str], list[Any]]:
        """The SQL conditions and parameters FILTERS put on MART."""
        if filters is None:
            return [], []
        cols = self.columns(MARTS_SCHEMA, mart)
        where: list[str] = []
        params: list[Any] = []
        date_col = next((c for c in DATE_COLUMNS if c in cols), None)
        if date_col and filters.start:
            where.append(f"{date_col} >= ?")
            params.append(dt.datetime.combine(period_start(date_col, filters.start), dt.time()))
        if date_col and filters.end:
            where.append(f"{date_col} < ?")
            params.append(dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time()))
        for col, values in filters.by_column().items():
            if values and col in cols:
                where.append(f"{col} in ({', '.join('?' for _ in values)})")
                params.extend(values)
        return where, params

    def distinct(self, mart: str, column: str) -> list[str]:
        """The values of COLUMN in MART, for a filter's choices (empty when either is missing)."""
        if column not in self.columns(MARTS_SCHEMA, mart):
            return []
        frame = self.sql(
            f"select distinct {column} from {MARTS_SCHEMA}.{mart} where {column} is not null order by 1"
        )
        return [str(v) for v in frame.iloc[:, 0]]

    def date_span(self, mart: str, column: str) -> tuple[dt.date | None, dt.date | None]:
        frame = self.sql(f"select min({column}), max({column}) from {MARTS_SCHEMA}.{mart}")
        lo, hi = frame.iloc[0, 0], frame.iloc[0, 1]
        return (_as_date(lo), _as_date(hi))

    def alerts(self, table: str, sql: str) -> pd.DataFrame | None:
        """A query on the alert scripts' state table (None before the first `alerts run`)."""
        if not self.columns(ALERTS_SCHEMA, table):
            return None
        return self.sql(sql)


def period_start(column: str, day: dt.date) -> dt.date:
    """The first day of the week or month holding DAY, for marts by week or month: a range from the
    middle of a month still shows that month."""
    if column.endswith("_week"):
        return day - dt.timedelta(days=day.weekday())
    if column.endswith("_month"):
        return day.replace(day=1)
    return day


def _as_date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


def from_env(on_wait: Callable[[str], None] | None = None) -> Warehouse:
    """The warehouse `llm-analytics dashboard` was started on (its target name in the environment)."""
    return Warehouse(load_target(os.environ.get(TARGET_ENV, "duckdb")), on_wait)


def latency_percentiles(buckets: pd.DataFrame, quantiles: Sequence[float]) -> dict[float, float | None]:
    """Percentiles from histogram buckets (bucket_index, bucket_lower_ms, bucket_upper_ms, request_count),
    summed over any rows: the p-th lies in the first bucket whose running count reaches p x total,
    interpolated linearly inside it (mart_latency_histogram's recipe)."""
    if buckets.empty:
        return {q: None for q in quantiles}
    per = (
        buckets.groupby("bucket_index", as_index=False)
        .agg(lower=("bucket_lower_ms", "min"), upper=("bucket_upper_ms", "max"), n=("request_count", "sum"))
        .sort_values("bucket_index")
    )
    total = float(per["n"].sum())
    out: dict[float, float | None] = {}
    for q in quantiles:
        goal, before = q * total, 0.0
        value = None
        for lower, upper, n in per[["lower", "upper", "n"]].itertuples(index=False):
            if n > 0 and before + n >= goal:
                value = float(lower) + (goal - before) / float(n) * (float(upper) - float(lower))
                break
            before += n
        out[q] = value
    return out
