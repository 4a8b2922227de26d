"""Shared fixtures: an isolated DuckDB file or a fresh PostgreSQL database per test, the hand-built
fixture loaded and built once per engine for the session, and runners for the CLI and dbt as
subprocesses (the way users run them).

Speed without losing isolation:
- `built_wh` is the hand-built fixture after one `dbt build`, shared by every test that only reads it;
  `built_copy` is a private copy of it (DuckDB: the file; PostgreSQL: `create database ... template`)
  for tests that load more data or rebuild.
- dbt runs in the warehouse's own folder with a relative DuckDB path, so the profile is the same for
  every DuckDB warehouse and dbt's partial parse, seeded once per session, skips the full parse.
  PostgreSQL's profile names a database, and dbt parses in full when it changes: so every
  PostgreSQL warehouse of a worker answers to one name while it is used (`Warehouse.activate`
  renames it so, and the previous one back), and its builds parse partially too.
- `llm-analytics load` runs in the test's own process (the same typer app, with the warehouse's
  environment and working folder): a load's quality gates import Great Expectations, three
  seconds a process, and the suite loads over a hundred times. Every other command is a subprocess.
- `pytest -n 2 --dist loadgroup` (the Makefile) runs the DuckDB and the PostgreSQL tests side by side:
  `pytest_itemcollected` puts each test in its engine's group.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

from .fixtures import write_fixture

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REQUIRE_POSTGRES = os.environ.get("LLM_ANALYTICS_REQUIRE_POSTGRES") == "1"
DUCKDB_FILE = "warehouse.duckdb"  # relative to Warehouse.home: the same profile for every DuckDB test
ENGINES = ("duckdb", "postgres")
# the one name a worker's PostgreSQL warehouse answers to while in use (its PGDATABASE): see activate
ACTIVE_PG = f"llm_analytics_test_active_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
# the own name of the database that now answers to ACTIVE_PG, if any
_ACTIVE: dict[str, str | None] = {"database": None, "stale_dropped": None}

# the partial-parse file of a first `dbt` call per target, copied into later warehouses' target folders
_PARSED: dict[str, Path] = {}


@dataclass
class Warehouse:
    """One isolated warehouse: a target name, the folder dbt and the CLI run in, and the environment
    that points them at it."""

    target: str
    env: dict[str, str]
    home: Path
    database: str | None = None  # PostgreSQL: the database's own name (it answers to ACTIVE_PG in use)

    def activate(self) -> None:
        """PostgreSQL: make this warehouse's database the one named ACTIVE_PG (its PGDATABASE),
        giving the previous one its own name back. One test uses a worker at a time, and every
        command returns before the next, so no connection is open when the names move."""
        if self.database is None or _ACTIVE["database"] == self.database:
            return
        if _ACTIVE["stale_dropped"] is None:  # left by an interrupted run of this worker
            _drop_database(ACTIVE_PG)
            _ACTIVE["stale_dropped"] = "yes"
        if _ACTIVE["database"] is not None:
            _rename_database(ACTIVE_PG, _ACTIVE["database"])
            _ACTIVE["database"] = None
        _rename_database(self.database, ACTIVE_PG)
        _ACTIVE["database"] = self.database

    @property
    def current_database(self) -> str:
        """The name the PostgreSQL database has now."""
        assert self.database is not None
        return ACTIVE_PG if _ACTIVE["database"] == self.database else self.database

    @property
    def path(self) -> Path:
        """The DuckDB file."""
        return self.home / self.env["DUCKDB_PATH"]

    @property
    def target_path(self) -> Path:
        return Path(self.env["DBT_TARGET_PATH"])

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        self.activate()
        if args and args[0] in IN_PROCESS:
            return _run_in_process(list(args), self.env, check, self.home)
        return _run([str(BIN / "llm-analytics"), *args], self.env, check, self.home)

    def python(self, script: Path, *args: str) -> subprocess.CompletedProcess[str]:
        """A Python script in the warehouse's environment (dbt driven in-process, say)."""
        self.activate()
        return _run([sys.executable, str(script), *args], self.env, True, self.home)

    def dbt(
        self, *args: str, check: bool = True, unit_tests: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """dbt as users run it. A `build` skips unit tests unless asked: they check logic on fixed
        inputs, so they run once per engine (in the shared built fixture), not in every one of the
        suite's forty builds."""
        self.activate()
        if args and args[0] == "build" and not unit_tests:
            args = (*args, "--exclude-resource-type", "unit_test")
        parsed = self.target_path / "partial_parse.msgpack"
        seed = _PARSED.get(self.target)
        if seed and not parsed.exists():
            self.target_path.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(seed, parsed)
        proc = _run([str(BIN / "dbt"), *args, "--target", self.target], self.env, check, self.home)
        if self.target not in _PARSED and parsed.exists() and "--project-dir" not in args:
            keep = self.home.parent / f"partial_parse-{self.target}-{uuid.uuid4().hex[:6]}.msgpack"
            shutil.copyfile(parsed, keep)
            _PARSED[self.target] = keep
        return proc

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        self.activate()
        if self.target == "duckdb":
            import duckdb

            con = duckdb.connect(str(self.path), read_only=True)
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


def _run(cmd: list[str], env: dict[str, str], check: bool, cwd: Path) -> subprocess.CompletedProcess[str]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    _record_timing(cmd, time.perf_counter() - started)
    if check and proc.returncode != 0:
        _failed(proc)
    return proc


def _failed(proc: subprocess.CompletedProcess[str]) -> NoReturn:
    """A command's failure as a test sees it: the command, its exit code and the end of its output."""
    raise AssertionError(
        f"{' '.join(proc.args)} exited {proc.returncode}\n{proc.stdout[-6000:]}\n{proc.stderr[-4000:]}"
    )


IN_PROCESS = {"load"}  # CLI commands run in the test's process (see the module's docstring)


def _run_in_process(
    args: list[str], env: dict[str, str], check: bool, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """`llm-analytics ARGS` through the CLI's typer app in this process, with exactly ENV as the
    environment and CWD as the working folder (both restored after), answered like `_run`: exit
    code, stdout and stderr. An error the command does not handle is raised with its traceback."""
    from llm_analytics.cli import app
    from llm_analytics.project import UserError
    from typer.testing import CliRunner

    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    started = time.perf_counter()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, args)
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
    _record_timing(["llm-analytics-in-process", *args], time.perf_counter() - started)
    code, stderr = result.exit_code, result.stderr
    if isinstance(result.exception, UserError):  # as cli.main answers it
        code, stderr = 2, f"{stderr}error: {result.exception}\n"
    elif result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    proc = subprocess.CompletedProcess(["llm-analytics", *args], code, result.stdout, stderr)
    if check and code != 0:
        _failed(proc)
    return proc


def _record_timing(cmd: list[str], seconds: float) -> None:
    """With LLM_ANALYTICS_TEST_TIMINGS=<file>, one line per command the tests run (seconds, the test,
    the command): where the suite's time goes (docs/development.md)."""
    log = os.environ.get("LLM_ANALYTICS_TEST_TIMINGS")
    if log:
        test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
        words = [Path(cmd[0]).name, *(a for a in cmd[1:4] if not a.startswith("/"))]
        with open(log, "a") as f:
            f.write(f"{seconds:.2f}\t{test}\t{' '.join(words)}\n")


def _pg_conninfo(dbname: str) -> str:
    host = os.environ.get("PGHOST", "127.0.0.1")
    port = os.environ.get("PGPORT", "5432")
    user = os.environ.get("PGUSER", "postgres")
    pw = os.environ.get("PGPASSWORD", "")
    return f"host={host} port={port} user={user} dbname={dbname}" + (f" password={pw}" if pw else "")


def _admin() -> str:
    return _pg_conninfo(os.environ.get("PGDATABASE", "postgres"))


def _base_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["DBT_PROFILES_DIR"] = str(ROOT)
    env["DBT_PROJECT_DIR"] = str(ROOT)
    env["DBT_LOG_PATH"] = str(tmp_path / "dbt-logs")
    env["DBT_TARGET_PATH"] = str(tmp_path / "dbt-target")
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env.setdefault("DBT_THREADS", "4")  # the tests' models are small: dbt waits more than it computes
    env.setdefault("DBT_WRITE_JSON", "false")  # no test reads manifest.json or run_results.json
    env["LLM_ANALYTICS_PROJECT_DIR"] = str(ROOT)
    return env


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(_admin(), connect_timeout=3):
            return True
    except Exception:
        return False


def _need_postgres() -> None:
    if not postgres_available():
        if REQUIRE_POSTGRES:
            pytest.fail("PostgreSQL is required (LLM_ANALYTICS_REQUIRE_POSTGRES=1) but not reachable")
        pytest.skip("no PostgreSQL server reachable")


def _create_database(name: str, template: str | None = None) -> None:
    """`create database`, from a template when given; the template must have no open connections,
    so a copy retries briefly while a just-finished query's backend exits."""
    import psycopg

    sql = f"create database {name}" + (f" template {template}" if template else "")
    for attempt in range(20):
        try:
            with psycopg.connect(_admin(), autocommit=True) as con:
                con.execute(sql)
            return
        except psycopg.errors.ObjectInUse:
            if attempt == 19:
                raise
            time.sleep(0.25)


def _drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(_admin(), autocommit=True) as con:
        con.execute(f"drop database if exists {name} with (force)")


def _rename_database(old: str, new: str) -> None:
    """`alter database ... rename`, retried briefly while a just-closed connection's backend exits."""
    import psycopg

    for attempt in range(40):
        try:
            with psycopg.connect(_admin(), autocommit=True) as con:
                con.execute(f"alter database {old} rename to {new}")
            return
        except psycopg.errors.ObjectInUse:
            if attempt == 39:
                raise
            time.sleep(0.25)


def new_warehouse(engine: str, home: Path, template: Warehouse | None = None) -> Iterator[Warehouse]:
    """A warehouse in its own folder: empty, or a copy of `template` (its data and dbt's target
    folder, so incremental models and partial parse carry on from it)."""
    home.mkdir(parents=True, exist_ok=True)
    env = _base_env(home)
    env["DBT_TARGET"] = engine
    wh = Warehouse(engine, env, home)
    if template is not None and template.target_path.exists():
        shutil.copytree(template.target_path, wh.target_path)
    if engine == "duckdb":
        env["DUCKDB_PATH"] = DUCKDB_FILE
        if template is not None:
            shutil.copyfile(template.path, wh.path)
            wal = template.path.with_name(template.path.name + ".wal")
            if wal.exists():
                shutil.copyfile(wal, wh.path.with_name(wh.path.name + ".wal"))
        yield wh
        return
    _need_postgres()
    name = f"llm_analytics_test_{uuid.uuid4().hex[:10]}"
    _create_database(name, template.current_database if template else None)
    env["PGDATABASE"] = ACTIVE_PG
    wh.database = name
    try:
        yield wh
    finally:
        current = wh.current_database
        if current == ACTIVE_PG:
            _ACTIVE["database"] = None
        _drop_database(current)


@pytest.fixture
def duckdb_wh(tmp_path: Path) -> Iterator[Warehouse]:
    yield from new_warehouse("duckdb", tmp_path / "wh-duckdb")


@pytest.fixture
def postgres_wh(tmp_path: Path) -> Iterator[Warehouse]:
    yield from new_warehouse("postgres", tmp_path / "wh-postgres")


@pytest.fixture(params=ENGINES)
def warehouse(request: pytest.FixtureRequest) -> Warehouse:
    """The same test on both engines."""
    return request.getfixturevalue(f"{request.param}_wh")


def _built(engine: str, factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """The hand-built fixture (tests/python/fixtures.py) loaded and built with `dbt build`."""
    tmp = factory.mktemp(f"built-{engine}")
    for wh in new_warehouse(engine, tmp / "wh"):
        wh.cli("load", str(write_fixture(tmp / "raw")), "--target", engine)
        wh.dbt("build", unit_tests=True)
        yield wh


@pytest.fixture(scope="session")
def built_duckdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    yield from _built("duckdb", tmp_path_factory)


@pytest.fixture(scope="session")
def built_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    yield from _built("postgres", tmp_path_factory)


@pytest.fixture(params=ENGINES)
def built_wh(request: pytest.FixtureRequest) -> Warehouse:
    """The hand-built fixture after `dbt build`, shared by the session: read it, never write it."""
    return request.getfixturevalue(f"built_{request.param}")


@pytest.fixture
def duckdb_built_copy(built_duckdb: Warehouse, tmp_path: Path) -> Iterator[Warehouse]:
    yield from new_warehouse("duckdb", tmp_path / "wh-duckdb-built", built_duckdb)


@pytest.fixture
def postgres_built_copy(built_postgres: Warehouse, tmp_path: Path) -> Iterator[Warehouse]:
    yield from new_warehouse("postgres", tmp_path / "wh-postgres-built", built_postgres)


@pytest.fixture(params=ENGINES)
def built_copy(request: pytest.FixtureRequest) -> Warehouse:
    """A private copy of `built_wh`, for tests that load more data or rebuild."""
    return request.getfixturevalue(f"{request.param}_built_copy")


def _engine(item: pytest.Item) -> str | None:
    """The engine a test runs on, for xdist's loadgroup: its warehouse parameter, else the engine
    fixture it uses (a test on both engines runs with the DuckDB ones)."""
    params = getattr(item, "callspec", None)
    for value in params.params.values() if params else ():
        if value in ENGINES:
            return str(value)
    names = getattr(item, "fixturenames", ())
    for engine in ENGINES:
        if f"{engine}_wh" in names or f"built_{engine}" in names or f"{engine}_built_copy" in names:
            return engine
    return None


def pytest_itemcollected(item: pytest.Item) -> None:
    """Each test in its engine's xdist group (set as it is collected, before xdist reads the groups)."""
    engine = _engine(item)
    if engine:
        item.add_marker(pytest.mark.xdist_group(engine))
