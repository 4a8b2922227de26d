"""Suites: the GX expectations of one table, from the raw contract (structure) and quality.yml (rows).

Column names and types come from the one raw contract (models/staging/llm/_llm__sources.yml, via
contract.raw_tables), row rules from quality.yml; nothing else describes the data, so the dbt
sources, the loader's type checks and these suites cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass
from typing import Any

from ..contract import Table
from ..project import UserError
from .rules import Rules

# How GX's SQL datasource names the contract's types (PostgreSQL).
SQL_TYPE_NAMES = {
    "varchar": ["TEXT", "VARCHAR"],
    "timestamp": ["TIMESTAMP WITHOUT TIME ZONE", "TIMESTAMP"],
    "bigint": ["BIGINT"],
    "double precision": ["DOUBLE PRECISION", "DOUBLE_PRECISION", "FLOAT"],
    "boolean": ["BOOLEAN"],
}
PERCENTILE = re.compile(r"(^|_)p(\d{2})(_|$)")


@dataclass
class Check:
    """One expectation with its policy and a name people can read in a report."""

    name: str
    policy: str
    expectation: Any
    key_columns: tuple[str, ...] = ()  # columns shown in sample rows
    query: str | None = None  # daily_volume: validated against this query's result


def _columns_of(rule: dict[str, Any], columns: list[str], where: str) -> list[str]:
    if "columns_matching" in rule:
        pattern = re.compile(rule["columns_matching"])
        return [c for c in columns if pattern.search(c)]
    named = rule.get("columns") or ([rule["column"]] if "column" in rule else [])
    if not named:
        raise UserError(f"{where}: {rule['expect']} needs column, columns or columns_matching")
    missing = [c for c in named if c not in columns]
    if missing:
        raise UserError(f"{where}: no column {', '.join(missing)} (columns: {', '.join(columns)})")
    return list(named)


def build_checks(
    table: str,
    columns: list[str],
    rules: list[dict[str, Any]],
    settings: Rules,
    contract: Table | None = None,
    sql_types: bool = False,
) -> list[Check]:
    """The suite of one table: structure from the contract (refuse), then quality.yml's rules."""
    checks = _contract_checks(table, columns, contract, sql_types) if contract is not None else []
    key = tuple(columns[:1])
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None) + settings.future_tolerance
    for i, rule in enumerate(rules, 1):
        where = f"{settings.path}: {table} rule {i} ({rule['expect']})"
        checks += _rule_checks(table, rule, columns, key, now, where)
    for check in checks:
        check.expectation.meta = {"check": check.name, "policy": check.policy}
    return checks


def _contract_checks(table: str, columns: list[str], contract: Table, sql_types: bool) -> list[Check]:
    """The contract's columns in order; in a database (SQL_TYPES) also each column's type."""
    import great_expectations.expectations as gxe

    checks = [
        Check(
            f"{table} has the contract's columns",
            "refuse",
            gxe.ExpectTableColumnsToMatchOrderedList(column_list=contract.column_names),
        )
    ]
    if sql_types:
        checks += [
            Check(
                f"{c.name} is {c.data_type}",
                "refuse",
                gxe.ExpectColumnValuesToBeInTypeList(column=c.name, type_list=SQL_TYPE_NAMES[c.data_type]),
            )
            for c in contract.columns
            if c.name in columns
        ]
    return checks


def _rule_checks(
    table: str, rule: dict[str, Any], columns: list[str], key: tuple[str, ...], now: dt.datetime, where: str
) -> list[Check]:
    """The checks of one quality.yml rule: one per column it names, or one per pair it orders."""
    import great_expectations.expectations as gxe

    kind, policy = rule["expect"], rule["policy"]
    if kind == "percentiles_ordered":
        return _percentile_checks(columns, policy, key)
    if kind == "column_pair_ordered":
        low, high = _columns_of(rule, columns, where)
        return [_ordered(low, high, policy, key)]
    checks = []
    for col in _columns_of(rule, columns, where):
        cols = (*key, col) if col not in key else key
        if kind == "not_null":
            checks.append(
                Check(f"{col} is not null", policy, gxe.ExpectColumnValuesToNotBeNull(column=col), cols)
            )
        elif kind == "non_negative":
            exp = gxe.ExpectColumnValuesToBeBetween(column=col, min_value=0)
            checks.append(Check(f"{col} >= 0", policy, exp, cols))
        elif kind == "between":
            lo, hi = rule.get("min"), rule.get("max")
            exp = gxe.ExpectColumnValuesToBeBetween(column=col, min_value=lo, max_value=hi)
            text = f"between {lo} and {hi}" if lo is not None and hi is not None else ""
            text = text or (f">= {lo}" if lo is not None else f"<= {hi}")
            checks.append(Check(f"{col} {text}", policy, exp, cols))
        elif kind == "in_set":
            values = list(rule.get("values") or [])
            exp = gxe.ExpectColumnValuesToBeInSet(column=col, value_set=values)
            checks.append(Check(f"{col} in {values}", policy, exp, cols))
        elif kind == "not_in_future":
            exp = gxe.ExpectColumnValuesToBeBetween(column=col, max_value=now)
            checks.append(Check(f"{col} not in the future", policy, exp, cols))
        elif kind == "daily_volume":
            checks.append(_volume_check(table, col, rule, policy))
    return checks


def _ordered(low: str, high: str, policy: str, key: tuple[str, ...]) -> Check:
    """LOW <= HIGH on every row where both are present."""
    import great_expectations.expectations as gxe

    exp = gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=high, column_B=low, or_equal=True, ignore_row_if="either_value_is_missing"
    )
    return Check(f"{low} <= {high}", policy, exp, (*key, low, high))


def _percentile_checks(columns: list[str], policy: str, key: tuple[str, ...]) -> list[Check]:
    """p50 <= p90 <= p95 <= p99 for every family of columns that differ only in the percentile."""
    families: dict[str, list[tuple[int, str]]] = {}
    for col in columns:
        m = PERCENTILE.search(col)
        if m:
            stem = PERCENTILE.sub(lambda m: f"{m.group(1)}p__{m.group(3)}", col, count=1)
            families.setdefault(stem, []).append((int(m.group(2)), col))
    checks = []
    for members in families.values():
        ordered = [c for _, c in sorted(members)]
        checks += [_ordered(low, high, policy, key) for low, high in itertools.pairwise(ordered)]
    return checks


def _volume_check(table: str, col: str, rule: dict[str, Any], policy: str) -> Check:
    """Each complete day's row count against the mean of the trailing days (missing days count 0)."""
    import great_expectations.expectations as gxe

    k = int(rule.get("trailing_days", 7))
    lo, hi = rule.get("min_ratio", 0.5), rule.get("max_ratio", 2.0)
    sql = f"""select * from (
with bounds as (select cast(min({col}) as date) as lo, cast(max({col}) as date) as hi from {table}),
days as (
    select cast(s.d as date) as day from bounds,
        generate_series(cast(bounds.lo as timestamp), cast(bounds.hi as timestamp), interval '1 day') as s(d)
),
daily as (select cast({col} as date) as day, count(*) as n from {table} group by 1),
series as (select days.day, coalesce(daily.n, 0) as n from days left join daily on daily.day = days.day),
banded as (
    select day, n,
        avg(n) over (order by day rows between {k} preceding and 1 preceding) as trailing_avg,
        count(*) over (order by day rows between {k} preceding and 1 preceding) as trailing_days
    from series
)
select day, n as row_count, trailing_avg,
    cast(n as double precision) / nullif(trailing_avg, 0) as ratio_to_trailing
from banded
where trailing_days = {k} and day < (select hi from bounds)
) as volume order by day"""
    exp = gxe.ExpectColumnValuesToBeBetween(column="ratio_to_trailing", min_value=lo, max_value=hi)
    name = f"daily rows by {col} within {lo}x-{hi}x of the trailing {k} days"
    return Check(name, policy, exp, ("day", "row_count", "trailing_avg"), query=sql)
