"""In the warehouse: the raw tables and the marts quality.yml names, validated where they live.

DuckDB tables are streamed in pandas batches through the same suites as files; PostgreSQL tables
are validated by GX's SQL datasource, inside the database, so only counts and samples come back.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ..contract import RAW_SCHEMA, raw_tables
from ..project import Target, UserError
from ..warehouse import duckdb_connect, query
from .engine import add_suite, arrow_frames, by_check, context, result_format, validate_frames, write_docs
from .reports import CheckResult, Summary, TableReport, merge_results, write_summary
from .rules import Rules, load_rules
from .suites import Check, build_checks


def _list_tables(target: Target, schema: str) -> dict[str, list[str]]:
    """Tables of a schema with their columns in order (information_schema works on both engines)."""
    rows = query(
        target,
        "select table_name, column_name from information_schema.columns "
        f"where table_schema = '{schema}' order by table_name, ordinal_position",
    )
    tables: dict[str, list[str]] = {}
    for name, col in rows:
        tables.setdefault(name, []).append(col)
    return tables


def _plan(target: Target, settings: Rules) -> list[tuple[str, list[str], list[Check]]]:
    """Which tables to validate and each one's checks; a missing required table is a user error."""
    plan = []
    raw = _list_tables(target, RAW_SCHEMA)
    sql = target.type != "duckdb"
    for name, table in raw_tables().items():
        if name not in raw:
            raise UserError(
                f"{RAW_SCHEMA}.{name} does not exist in {target.name}: run llm-analytics load first"
            )
        full = f"{RAW_SCHEMA}.{name}"
        # in the warehouse a raw table also holds the loader's stamps (_loaded_at, _load_id)
        stored = table.stored()
        checks = build_checks(full, raw[name], settings.raw.get(name, []), settings, stored, sql_types=sql)
        plan.append((full, raw[name], checks))
    schemas: dict[str, dict[str, list[str]]] = {}
    for pattern, rules in settings.warehouse.items():
        schema, _, name = pattern.partition(".")
        if not name:
            raise UserError(f"{settings.path}: warehouse table {pattern!r} must be schema.table")
        existing = schemas.setdefault(schema, _list_tables(target, schema))
        if "*" in name:
            rx = re.compile("^" + re.escape(name).replace(r"\*", ".*") + "$")
            names = sorted(n for n in existing if rx.match(n))
        elif name in existing:
            names = [name]
        else:
            raise UserError(f"{pattern} does not exist in {target.name}: run dbt build first")
        for n in names:
            full = f"{schema}.{n}"
            plan.append((full, existing[n], build_checks(full, existing[n], rules, settings)))
    return plan


def _validate_duckdb(target: Target, plan: list[Any], settings: Rules) -> list[TableReport]:
    reports = []
    with duckdb_connect(target, read_only=True) as con:
        for table, _cols, checks in plan:
            row_checks = [c for c in checks if c.query is None]
            cur = con.cursor()
            reader = cur.sql(f"select * from {table}").to_arrow_reader(settings.chunk_rows)
            report = validate_frames(
                table, f"{target.name}:{table}", arrow_frames(reader), row_checks, settings
            )
            cur.close()
            for check in (c for c in checks if c.query is not None):
                frame = con.execute(check.query).df()
                part = validate_frames(table, f"{target.name}:{table} daily", [frame], [check], settings)
                report.checks += part.checks
            reports.append(report)
    return reports


def sqlalchemy_url(target: Target) -> str:
    """The dbt profile's PostgreSQL settings as a SQLAlchemy URL (psycopg 3 driver)."""
    from sqlalchemy.engine import URL

    s = target.settings
    url = URL.create(
        "postgresql+psycopg",
        username=s.get("user") or None,
        password=s.get("password") or None,
        host=s.get("host") or None,
        port=int(s["port"]) if s.get("port") else None,
        database=s.get("dbname") or s.get("database"),
    )
    return url.render_as_string(hide_password=False)


def _validate_postgres(target: Target, plan: list[Any], settings: Rules) -> list[TableReport]:
    """Every expectation is compiled to SQL by GX and runs in the database; only counts come back."""
    ctx = context()
    name = f"pg_{os.getpid()}_{len(ctx.data_sources.all())}"
    try:
        ds = ctx.data_sources.add_postgres(name, connection_string=sqlalchemy_url(target))
    except Exception as exc:
        message = target.redact(str(exc))
        raise UserError(f"cannot connect to PostgreSQL ({target.postgres_display()}): {message}") from None
    return [
        _validate_postgres_table(ds, i, table, checks, target, settings)
        for i, (table, _, checks) in enumerate(plan)
    ]


def _validate_postgres_table(
    ds: Any, i: int, table: str, checks: list[Check], target: Target, settings: Rules
) -> TableReport:
    """One table: its row checks on the table asset, each daily_volume check on its own query asset."""
    schema, _, tname = table.partition(".")
    row_checks = [c for c in checks if c.query is None]
    report = TableReport(
        table, f"{target.name}:{table}", checks=[CheckResult(c.name, c.policy) for c in row_checks]
    )
    report.rows = int(query(target, f"select count(*) from {table}")[0][0])
    if row_checks:
        asset = ds.add_table_asset(f"t{i}_{table}", table_name=tname, schema_name=schema)
        res = _validate_whole(asset, f"{table} ({target.name})", row_checks, settings)
        merge_results(report, by_check(res, report.source), row_checks, None, settings.sample_rows)
        report.gx_result = res
    for j, check in enumerate(c for c in checks if c.query is not None):
        asset = ds.add_query_asset(f"q{i}_{j}_{table}", query=check.query)
        res = _validate_whole(asset, f"{table} daily {j} ({target.name})", [check], settings)
        acc = CheckResult(check.name, check.policy)
        part = TableReport(table, report.source, checks=[acc])
        merge_results(part, by_check(res, report.source), [check], None, settings.sample_rows)
        report.checks.append(acc)
    return report


def _validate_whole(asset: Any, suite_name: str, checks: list[Check], settings: Rules) -> Any:
    """Validate a GX SQL asset as one batch: the database computes, only the result comes back."""
    batch = asset.add_batch_definition_whole_table("whole").get_batch()
    return batch.validate(add_suite(suite_name, checks), result_format=result_format(settings))


def validate_warehouse(target: Target, out: Path, rules_path: Path | None = None) -> Summary:
    """Validate the raw tables and marts of the target; write summary.json and data docs to OUT."""
    settings = load_rules(rules_path)
    plan = _plan(target, settings)
    if target.type == "duckdb":
        reports = _validate_duckdb(target, plan, settings)
    else:
        reports = _validate_postgres(target, plan, settings)
    out.mkdir(parents=True, exist_ok=True)
    summary = Summary(target.name, out, reports)
    summary.docs = write_docs(reports, out)
    write_summary(summary, settings)
    return summary
