"""`llm-analytics export` and `llm-analytics query` on the built fixture of each engine: the Parquet
files and the printed rows are checked against the warehouse read directly (a second way in), and
neither command can write to the warehouse."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from llm_analytics.export import watermark_columns

from .conftest import ROOT, Warehouse


def norm(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows order-free, decimals as floats to 12 digits, NaN as text (it equals nothing)."""

    def one(v: Any) -> Any:
        if isinstance(v, Decimal | float):
            return "NaN" if math.isnan(float(v)) else float(f"{float(v):.12g}")
        return v

    return sorted((tuple(one(v) for v in row) for row in rows), key=repr)


def tables(wh: Warehouse, schema: str = "marts") -> list[str]:
    return [
        r[0]
        for r in wh.query(
            f"select table_name from information_schema.tables where table_schema = '{schema}' order by 1"
        )
    ]


def test_export_writes_every_mart_as_parquet_with_its_rows(built_wh: Warehouse, tmp_path: Path) -> None:
    out = tmp_path / "export"
    built_wh.cli("export", "--out", str(out), "--target", built_wh.target)
    names = tables(built_wh)
    assert len(names) >= 40
    assert sorted(p.stem for p in (out / "marts").glob("*.parquet")) == names
    assert not list((out / "marts").glob("*.partial"))
    manifest = json.loads((out / "marts" / "_export.json").read_text())
    assert [t["table"] for t in manifest["tables"]] == names and manifest["since"] is None
    reader = duckdb.connect()
    for name in names:
        expected = built_wh.query(f"select * from marts.{name}")
        parquet = reader.execute(f"select * from read_parquet('{out / 'marts' / name}.parquet')")
        columns = [d[0] for d in parquet.description]
        got = parquet.fetchall()
        assert columns == [
            r[0]
            for r in built_wh.query(
                "select column_name from information_schema.columns where table_schema = 'marts' "
                f"and table_name = '{name}' order by ordinal_position"
            )
        ], name
        assert norm(got) == norm(expected), name
        assert next(t["rows"] for t in manifest["tables"] if t["table"] == name) == len(expected)


def test_export_since_takes_only_newer_rows_of_incremental_models(
    built_wh: Warehouse, tmp_path: Path
) -> None:
    marks = watermark_columns(ROOT)
    # every incremental model, found by a plain scan of the configs, has its watermark column
    incremental = {
        p.stem for p in (ROOT / "models").rglob("*.sql") if "materialized='incremental'" in p.read_text()
    }
    assert marks.keys() == incremental and len(incremental) >= 30
    newest = built_wh.scalar("select max(loaded_at) from marts.fct_llm_requests")
    out = tmp_path / "since"
    built_wh.cli("export", "--out", str(out), "--since", str(newest), "--target", built_wh.target)
    manifest = {t["table"]: t for t in json.loads((out / "marts" / "_export.json").read_text())["tables"]}
    reader = duckdb.connect()
    for name in tables(built_wh):
        rows = reader.execute(
            f"select count(*) from read_parquet('{out / 'marts' / name}.parquet')"
        ).fetchone()
        column = marks.get(name)
        where = f" where {column} >= '{newest}'" if column else ""
        assert rows[0] == built_wh.scalar(f"select count(*) from marts.{name}{where}"), name
        assert manifest[name]["since_column"] == column
    # a moment after the newest load: no row of an incremental fact is new
    later = newest + dt.timedelta(seconds=1)
    built_wh.cli("export", "--out", str(out), "--since", later.isoformat(), "--target", built_wh.target)
    facts = reader.execute(
        f"select count(*) from read_parquet('{out / 'marts' / 'fct_llm_requests'}.parquet')"
    )
    assert facts.fetchone() == (0,)
    full = reader.execute(f"select count(*) from read_parquet('{out / 'marts' / 'dim_users'}.parquet')")
    assert full.fetchone()[0] == built_wh.scalar("select count(*) from marts.dim_users") > 0


def test_query_prints_table_json_and_csv(built_wh: Warehouse) -> None:
    sql = (
        "select request_id, session_id, cost_usd, occurred_at from marts.fct_llm_requests order by request_id"
    )
    expected = built_wh.query(sql)
    assert len(expected) >= 4
    lines = built_wh.cli("query", "--format", "json", sql, "--target", built_wh.target).stdout.splitlines()
    got = [json.loads(line) for line in lines]
    assert [r["request_id"] for r in got] == [r[0] for r in expected]
    for row, want in zip(got, expected, strict=True):
        assert row["occurred_at"] == want[3].isoformat()
        assert (row["cost_usd"] is None) == (want[2] is None)
        if want[2] is not None:
            assert math.isclose(row["cost_usd"], float(want[2]), rel_tol=1e-12)
    text = built_wh.cli("query", "--format", "csv", sql, "--target", built_wh.target).stdout
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == ["request_id", "session_id", "cost_usd", "occurred_at"]
    assert [r[0] for r in parsed[1:]] == [r[0] for r in expected]
    table = built_wh.cli("query", sql, "--target", built_wh.target).stdout
    assert all(r[0] in table for r in expected) and "request_id" in table


def test_query_and_export_cannot_write(built_wh: Warehouse, tmp_path: Path) -> None:
    writes = ["create table marts.written as select 1 as a", "drop table marts.fct_llm_requests"]
    if built_wh.target == "postgres":  # a read-only transaction cannot be made read-write again
        writes += [
            "set transaction read write; create table marts.written (a int)",
            "commit; create table marts.written (a int)",
            "set transaction read write",
        ]
    for sql in writes:
        proc = built_wh.cli("query", sql, "--target", built_wh.target, check=False)
        assert proc.returncode == 2, proc.stdout
        assert re.search(r"error: (duckdb|postgres) refused the query", proc.stderr), (sql, proc.stderr)
    assert "written" not in tables(built_wh) and "fct_llm_requests" in tables(built_wh)
    proc = built_wh.cli(
        "export", "--out", str(tmp_path), "--schema", "nowhere", "--target", built_wh.target, check=False
    )
    assert proc.returncode == 2 and "schema nowhere has no tables" in proc.stderr
    proc = built_wh.cli("export", "--out", str(tmp_path), "--since", "yesterday", check=False)
    assert proc.returncode == 2 and "not an ISO date" in proc.stderr
