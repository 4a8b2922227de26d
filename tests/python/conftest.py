"""Shared fixtures: an isolated DuckDB file or a fresh PostgreSQL database per test, and runners
for the CLI and dbt as subprocesses (the way users run them)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REQUIRE_POSTGRES = os.environ.get("LLM_ANALYTICS_REQUIRE_POSTGRES") == "1"


@dataclass
class Warehouse:
    """One isolated warehouse: a target name and the environment that points dbt and the CLI at it."""

    target: str
    env: dict[str, str]

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return _run([str(BIN / "llm-analytics"), *args], self.env, check)

    def dbt(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return _run([str(BIN / "dbt"), *args, "--target", self.target], self.env, check)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.target == "duckdb":
            import duckdb

            con = duckdb.connect(self.env["DUCKDB_PATH"], read_only=True)
            try:
                return con.execute(sql).fetchall()
            finally:
                con.close()
        import psycopg

        with psycopg.connect(_pg_conninfo(self.env["PGDATABASE"])) as con, con.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())

    def scalar(self, sql: str) -> Any:
        return self.query(sql)[0][0]


def _run(cmd: list[str], env: dict[str, str], check: bool) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout[-6000:]}\n{proc.stderr[-4000:]}"
        )
    return proc


def _pg_conninfo(dbname: str) -> str:
    host = os.environ.get("PGHOST", "127.0.0.1")
    port = os.environ.get("PGPORT", "5432")
    user = os.environ.get("PGUSER", "postgres")
    pw = os.environ.get("PGPASSWORD", "")
    return f"host={host} port={port} user={user} dbname={dbname}" + (f" password={pw}" if pw else "")


def _base_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["DBT_PROFILES_DIR"] = str(ROOT)
    env["DBT_LOG_PATH"] = str(tmp_path / "dbt-logs")
    env["DBT_TARGET_PATH"] = str(tmp_path / "dbt-target")
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env["LLM_ANALYTICS_PROJECT_DIR"] = str(ROOT)
    return env


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(_pg_conninfo(os.environ.get("PGDATABASE", "postgres")), connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture
def duckdb_wh(tmp_path: Path) -> Warehouse:
    env = _base_env(tmp_path)
    env["DUCKDB_PATH"] = str(tmp_path / "warehouse.duckdb")
    env["DBT_TARGET"] = "duckdb"
    return Warehouse("duckdb", env)


@pytest.fixture
def postgres_wh(tmp_path: Path) -> Iterator[Warehouse]:
    if not postgres_available():
        if REQUIRE_POSTGRES:
            pytest.fail("PostgreSQL is required (LLM_ANALYTICS_REQUIRE_POSTGRES=1) but not reachable")
        pytest.skip("no PostgreSQL server reachable")
    import psycopg

    name = f"llm_analytics_test_{uuid.uuid4().hex[:10]}"
    admin = _pg_conninfo(os.environ.get("PGDATABASE", "postgres"))
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"create database {name}")
    env = _base_env(tmp_path)
    env["PGDATABASE"] = name
    env["DBT_TARGET"] = "postgres"
    try:
        yield Warehouse("postgres", env)
    finally:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f"drop database if exists {name} with (force)")


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest) -> Warehouse:
    """The same test on both engines."""
    return request.getfixturevalue(f"{request.param}_wh")
