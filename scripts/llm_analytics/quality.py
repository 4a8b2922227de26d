"""Quality gates with Great Expectations: suites generated from the raw contract plus quality.yml.

Column names and types come from the one raw contract (models/staging/llm/_llm__sources.yml, via
contract.raw_tables), row rules from quality.yml; nothing else describes the data, so the dbt
sources, the loader's type checks and these suites cannot drift apart. Files and DuckDB tables are
validated in pandas batches of `chunk_rows` rows (GX has no working DuckDB datasource), so memory
stays bounded; PostgreSQL tables are validated by GX's SQL datasource, inside the database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .contract import RAW_SCHEMA, Table, raw_tables
from .project import Target, UserError, project_dir

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from .loader import LoadFile

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TQDM_DISABLE", "1")

RULES_FILE = "quality.yml"
POLICIES = ("refuse", "warn")
KINDS = (
    "not_null",
    "non_negative",
    "between",
    "in_set",
    "not_in_future",
    "column_pair_ordered",
    "percentiles_ordered",
    "daily_volume",
)
# How GX's SQL datasource names the contract's types (PostgreSQL).
SQL_TYPE_NAMES = {
    "varchar": ["TEXT", "VARCHAR"],
    "timestamp": ["TIMESTAMP WITHOUT TIME ZONE", "TIMESTAMP"],
    "bigint": ["BIGINT"],
    "double precision": ["DOUBLE PRECISION", "DOUBLE_PRECISION", "FLOAT"],
    "boolean": ["BOOLEAN"],
}
PERCENTILE = re.compile(r"(^|_)p(\d{2})(_|$)")


# ---------------------------------------------------------------- rules (quality.yml)


@dataclass(frozen=True)
class Rules:
    """quality.yml, checked: the policy and row rules per table."""

    path: Path
    default_policy: str
    chunk_rows: int
    sample_rows: int
    future_tolerance: dt.timedelta
    raw: dict[str, list[dict[str, Any]]]
    warehouse: dict[str, list[dict[str, Any]]]


def _dbt_vars() -> dict[str, Any]:
    doc = yaml.safe_load((project_dir() / "dbt_project.yml").read_text())
    return doc.get("vars") or {}


def load_rules(path: Path | None = None) -> Rules:
    """Read and check quality.yml (or PATH); a mistake names the file, the table and the rule."""
    path = path or Path(os.environ.get("LLM_ANALYTICS_QUALITY_FILE", project_dir() / RULES_FILE))
    if not path.exists():
        raise UserError(f"{path}: quality rules file not found")
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML: {exc}") from exc
    default = doc.get("default_policy", "warn")
    if default not in POLICIES:
        raise UserError(f"{path}: default_policy must be one of {', '.join(POLICIES)}, not {default!r}")
    dbt_vars = _dbt_vars()
    contract = raw_tables()
    raw = doc.get("raw") or {}
    for name in raw:
        if name not in contract:
            raise UserError(f"{path}: raw.{name} is not a table of the raw contract")
    sections = {"raw": raw, "warehouse": doc.get("warehouse") or {}}
    for section, tables in sections.items():
        for name, rules in tables.items():
            if not isinstance(rules, list):
                raise UserError(f"{path}: {section}.{name} must be a list of rules")
            for i, rule in enumerate(rules, 1):
                where = f"{path}: {section}.{name} rule {i}"
                if not isinstance(rule, dict) or rule.get("expect") not in KINDS:
                    raise UserError(f"{where}: 'expect' must be one of {', '.join(KINDS)}")
                rule.setdefault("policy", default)
                if rule["policy"] not in POLICIES:
                    raise UserError(f"{where}: policy must be one of {', '.join(POLICIES)}")
                if section == "raw" and rule["expect"] == "daily_volume":
                    raise UserError(f"{where}: daily_volume needs a whole table; use it under warehouse")
                values = rule.get("values")
                if isinstance(values, str) and values.startswith("var:"):
                    var = values[4:]
                    if var not in dbt_vars:
                        raise UserError(f"{where}: dbt_project.yml has no var {var!r}")
                    rule["values"] = list(dbt_vars[var])
    return Rules(
        path=path,
        default_policy=default,
        chunk_rows=int(doc.get("chunk_rows", 200_000)),
        sample_rows=int(doc.get("sample_rows", 5)),
        future_tolerance=dt.timedelta(minutes=float(doc.get("future_tolerance_minutes", 10))),
        raw=raw,
        warehouse=sections["warehouse"],
    )


# ---------------------------------------------------------------- suites


@dataclass
class Check:
    """One expectation with its policy and a name people can read in a report."""

    name: str
    policy: str
    expectation: Any
    key_columns: tuple[str, ...] = ()  # columns shown in sample rows
    query: str | None = None  # daily_volume: validated against this query's result


@dataclass
class CheckResult:
    name: str
    policy: str
    success: bool = True
    element_count: int = 0
    unexpected_count: int = 0
    samples: list[str] = field(default_factory=list)

    def describe(self, rows: int) -> str:
        count = (
            f"{self.unexpected_count:,} of {self.element_count or rows:,} rows" if self.element_count else ""
        )
        text = self.name + (f": {count}" if count else "")
        if self.samples:
            text += "; e.g. " + "; ".join(self.samples)
        return text


@dataclass
class TableReport:
    """The outcome of one suite on one file or table."""

    table: str
    source: str
    rows: int = 0
    checks: list[CheckResult] = field(default_factory=list)
    gx_result: Any = None
    batches: int = 0  # pandas batches the rows were validated in (0: validated in the database)

    def failed(self, policy: str) -> list[CheckResult]:
        return [c for c in self.checks if not c.success and c.policy == policy]

    @property
    def refused(self) -> bool:
        return bool(self.failed("refuse"))

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "source": self.source,
            "rows": self.rows,
            "success": not self.refused,
            "warnings": len(self.failed("warn")),
            "batches": self.batches,
            "batch_spec": (self.gx_result.meta.get("batch_spec") if self.gx_result is not None else None),
            "checks": [c.__dict__ for c in self.checks],
        }


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
    import great_expectations.expectations as gxe

    checks: list[Check] = []
    key = tuple(columns[:1])
    if contract is not None:
        checks.append(
            Check(
                f"{table} has the contract's columns",
                "refuse",
                gxe.ExpectTableColumnsToMatchOrderedList(column_list=contract.column_names),
            )
        )
        if sql_types:
            checks += [
                Check(
                    f"{c.name} is {c.data_type}",
                    "refuse",
                    gxe.ExpectColumnValuesToBeInTypeList(
                        column=c.name, type_list=SQL_TYPE_NAMES[c.data_type]
                    ),
                )
                for c in contract.columns
                if c.name in columns
            ]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None) + settings.future_tolerance
    for i, rule in enumerate(rules, 1):
        where = f"{settings.path}: {table} rule {i} ({rule['expect']})"
        kind, policy = rule["expect"], rule["policy"]
        if kind == "percentiles_ordered":
            checks += _percentile_checks(columns, policy, key)
            continue
        if kind == "column_pair_ordered":
            low, high = _columns_of(rule, columns, where)
            exp = gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=high, column_B=low, or_equal=True, ignore_row_if="either_value_is_missing"
            )
            checks.append(Check(f"{low} <= {high}", policy, exp, (*key, low, high)))
            continue
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
                exp = gxe.ExpectColumnValuesToBeBetween(
                    column=col, min_value=rule.get("min"), max_value=rule.get("max")
                )
                lo, hi = rule.get("min"), rule.get("max")
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
    for check in checks:
        check.expectation.meta = {"check": check.name, "policy": check.policy}
    return checks


def _percentile_checks(columns: list[str], policy: str, key: tuple[str, ...]) -> list[Check]:
    """p50 <= p90 <= p95 <= p99 for every family of columns that differ only in the percentile."""
    import great_expectations.expectations as gxe

    families: dict[str, list[tuple[int, str]]] = {}
    for col in columns:
        m = PERCENTILE.search(col)
        if m:
            stem = PERCENTILE.sub(lambda m: f"{m.group(1)}p__{m.group(3)}", col, count=1)
            families.setdefault(stem, []).append((int(m.group(2)), col))
    checks = []
    for members in families.values():
        ordered = [c for _, c in sorted(members)]
        for low, high in itertools.pairwise(ordered):
            exp = gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=high, column_B=low, or_equal=True, ignore_row_if="either_value_is_missing"
            )
            checks.append(Check(f"{low} <= {high}", policy, exp, (*key, low, high)))
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


# ---------------------------------------------------------------- running suites


@cache
def _context() -> Any:
    """One ephemeral GX context per process: nothing is written into the repository."""
    import logging

    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return ctx


@cache
def _frame_batch_definition() -> Any:
    asset = _context().data_sources.add_pandas("frames").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole")


def _suite(name: str, checks: list[Check]) -> Any:
    import great_expectations as gx

    ctx = _context()
    with contextlib.suppress(Exception):  # not there yet
        ctx.suites.delete(name)
    return ctx.suites.add(gx.ExpectationSuite(name=name, expectations=[c.expectation for c in checks]))


def _result_format(settings: Rules) -> dict[str, Any]:
    return {"result_format": "SUMMARY", "partial_unexpected_count": settings.sample_rows}


def _by_check(gx_result: Any, source: str) -> dict[str, Any]:
    out = {}
    for res in gx_result.results:
        info = res.exception_info or {}
        if info.get("raised_exception"):
            raise UserError(
                f"{source}: expectation {res.expectation_config.meta.get('check')} could not run: "
                f"{info.get('exception_message')}"
            )
        out[res.expectation_config.meta["check"]] = res
    return out


def _fmt(value: Any) -> str:
    if value is None or (not isinstance(value, str | list | dict) and value != value):  # NaN / NA
        return "null"
    if isinstance(value, dt.date | dt.datetime) or hasattr(value, "isoformat"):
        return str(value)
    return repr(value.item() if hasattr(value, "item") else value)


def _merge(
    report: TableReport, results: dict[str, Any], checks: list[Check], frame: pd.DataFrame | None, n: int
) -> None:
    """Add one batch's results to the report: counts add up, the first sample rows are kept."""
    for check, acc in zip(checks, report.checks, strict=True):
        res = results[check.name]
        r = res.result or {}
        acc.success = acc.success and bool(res.success)
        acc.element_count += int(r.get("element_count") or 0)
        acc.unexpected_count += int(r.get("unexpected_count") or 0)
        room = n - len(acc.samples)
        if res.success or room <= 0:
            continue
        if "observed_value" in r and "unexpected_count" not in r:
            acc.samples.append(f"observed {r['observed_value']}")
        elif frame is not None and r.get("partial_unexpected_index_list"):
            for idx in r["partial_unexpected_index_list"][:room]:
                cols = [c for c in check.key_columns if c in frame.columns]
                if isinstance(idx, dict):  # GX names the index columns itself
                    acc.samples.append(", ".join(f"{c}={_fmt(v)}" for c, v in idx.items()))
                    continue
                row = frame.loc[idx]
                text = ", ".join(f"{c}={_fmt(row[c])}" for c in cols)
                acc.samples.append(text if check.query is not None else f"row {idx}: {text}")
        elif r.get("partial_unexpected_list"):
            acc.samples.append("values " + ", ".join(_fmt(v) for v in r["partial_unexpected_list"][:room]))


def _merge_gx(total: Any, part: Any) -> Any:
    """Fold one batch's GX result into the running one so data docs show whole-table counts."""
    if total is None:
        return part
    parts = {res.expectation_config.meta["check"]: res for res in part.results}
    for res in total.results:
        other = parts[res.expectation_config.meta["check"]]
        res.success = bool(res.success and other.success)
        for k in ("element_count", "unexpected_count", "missing_count"):
            if k in res.result and k in other.result:
                res.result[k] += other.result[k]
        if res.result.get("element_count"):
            res.result["unexpected_percent"] = (
                100 * res.result["unexpected_count"] / res.result["element_count"]
            )
    total.success = all(r.success for r in total.results)
    ok = sum(1 for r in total.results if r.success)
    total.statistics.update(
        successful_expectations=ok,
        unsuccessful_expectations=len(total.results) - ok,
        success_percent=100 * ok / max(len(total.results), 1),
    )
    return total


def validate_frames(
    table: str, source: str, frames: Iterable[pd.DataFrame], checks: list[Check], settings: Rules
) -> TableReport:
    """Run a suite over pandas batches; the index of each batch is the 1-based row number."""
    report = TableReport(table, source, checks=[CheckResult(c.name, c.policy) for c in checks])
    if not checks:
        return report
    suite = _suite(f"{table} ({source})", checks)
    bd = _frame_batch_definition()
    for frame in frames:
        report.rows += len(frame)
        report.batches += 1
        res = bd.get_batch(batch_parameters={"dataframe": frame}).validate(
            suite, result_format=_result_format(settings)
        )
        _merge(report, _by_check(res, source), checks, frame, settings.sample_rows)
        report.gx_result = _merge_gx(report.gx_result, res)
    return report


def arrow_frames(reader: Any, schema_only: Any = None) -> Iterator[pd.DataFrame]:
    """pandas batches from an Arrow record batch reader, numbered by row; one empty batch if none."""
    import pandas as pd
    import pyarrow as pa

    types = {pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype(), pa.bool_(): pd.BooleanDtype()}
    offset = 0
    for batch in reader:
        if batch.num_rows == 0:
            continue
        frame = batch.to_pandas(types_mapper=types.get)
        frame.index = pd.RangeIndex(offset + 1, offset + 1 + len(frame))
        offset += len(frame)
        yield frame
    if offset == 0:
        yield reader.schema.empty_table().to_pandas(types_mapper=types.get)


# ---------------------------------------------------------------- at the door: files


class QualityGate:
    """Validates each file with its raw table's suite before the loader touches the warehouse."""

    def __init__(self, rules_path: Path | None = None) -> None:
        self.settings = load_rules(rules_path)

    def check_file(self, con: duckdb.DuckDBPyConnection, f: LoadFile) -> TableReport:
        """Stream the file's rows, cast to the contract, through the suite; raise if a refuse rule fails."""
        from .loader import ContractError, _select_cast

        table = f.table
        checks = build_checks(
            f"{RAW_SCHEMA}.{table.name}",
            table.column_names,
            self.settings.raw.get(table.name, []),
            self.settings,
            contract=table,
        )
        cur = con.cursor()  # its own result, so the caller's connection stays free
        try:
            reader = cur.sql(_select_cast(f)).to_arrow_reader(self.settings.chunk_rows)
            report = validate_frames(
                f"{RAW_SCHEMA}.{table.name}", str(f.path), arrow_frames(reader), checks, self.settings
            )
        finally:
            cur.close()
        refused = report.failed("refuse")
        if refused:
            lines = "\n  ".join(f"[refuse] {c.describe(report.rows)}" for c in refused)
            rules = self.settings.path.name
            raise ContractError(
                f"{f.path} (raw.{table.name}): refused by quality rules ({rules}):\n  {lines}"
            )
        return report


def warnings_of(report: TableReport) -> list[str]:
    return [c.describe(report.rows) for c in report.failed("warn")]


# ---------------------------------------------------------------- in the warehouse: validate


@dataclass
class Summary:
    target: str
    out: Path
    reports: list[TableReport]
    docs: str | None = None

    @property
    def refused(self) -> bool:
        return any(r.refused for r in self.reports)


def _list_tables(target: Target, schema: str) -> dict[str, list[str]]:
    """Tables of a schema with their columns in order (information_schema works on both engines)."""
    from .warehouse import query

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
        checks = build_checks(full, raw[name], settings.raw.get(name, []), settings, table, sql_types=sql)
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
    from .warehouse import duckdb_connect

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
    from .warehouse import query

    ctx = _context()
    name = f"pg_{os.getpid()}_{len(ctx.data_sources.all())}"
    try:
        ds = ctx.data_sources.add_postgres(name, connection_string=sqlalchemy_url(target))
    except Exception as exc:
        raise UserError(f"cannot connect to PostgreSQL ({target.postgres_conninfo()}): {exc}") from exc
    reports = []
    for i, (table, _cols, checks) in enumerate(plan):
        schema, _, tname = table.partition(".")
        row_checks = [c for c in checks if c.query is None]
        report = TableReport(
            table, f"{target.name}:{table}", checks=[CheckResult(c.name, c.policy) for c in row_checks]
        )
        report.rows = int(query(target, f"select count(*) from {table}")[0][0])
        if row_checks:
            asset = ds.add_table_asset(f"t{i}_{table}", table_name=tname, schema_name=schema)
            res = (
                asset.add_batch_definition_whole_table("whole")
                .get_batch()
                .validate(
                    _suite(f"{table} ({target.name})", row_checks), result_format=_result_format(settings)
                )
            )
            _merge(report, _by_check(res, report.source), row_checks, None, settings.sample_rows)
            report.gx_result = res
        for j, check in enumerate(c for c in checks if c.query is not None):
            asset = ds.add_query_asset(f"q{i}_{j}_{table}", query=check.query)
            res = (
                asset.add_batch_definition_whole_table("whole")
                .get_batch()
                .validate(
                    _suite(f"{table} daily {j} ({target.name})", [check]),
                    result_format=_result_format(settings),
                )
            )
            acc = CheckResult(check.name, check.policy)
            part = TableReport(table, report.source, checks=[acc])
            _merge(part, _by_check(res, report.source), [check], None, settings.sample_rows)
            report.checks.append(acc)
        reports.append(report)
    return reports


def _write_docs(reports: list[TableReport], out: Path) -> str | None:
    """GX's HTML data docs for every validated table, under OUT/data_docs (nowhere else)."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    ctx = _context()
    site = "llm_analytics_docs"
    if site in (ctx.get_site_names() or []):
        ctx.delete_data_docs_site(site)
    ctx.add_data_docs_site(
        site,
        {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(out / "data_docs"),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    run_id = RunIdentifier(run_name="validate", run_time=dt.datetime.now(dt.UTC))
    for r in reports:
        if r.gx_result is None:
            continue
        suite_name = r.gx_result.suite_name
        key = ValidationResultIdentifier(ExpectationSuiteIdentifier(name=suite_name), run_id, r.table)
        ctx.validation_results_store.set(key, r.gx_result)
    urls = ctx.build_data_docs(site_names=[site])
    return urls.get(site)


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
    summary.docs = _write_docs(reports, out)
    doc = {
        "target": target.name,
        "validated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "rules": str(settings.path),
        "success": not summary.refused,
        "tables": [r.to_json() for r in reports],
        "data_docs": summary.docs,
    }
    (out / "summary.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
    return summary
