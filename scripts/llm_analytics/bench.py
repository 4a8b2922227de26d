"""`llm-analytics bench`: one run that measures a full build, its raw lower bound, an incremental
build, and checks that the incremental result equals a full refresh.

Why a command and not a test: speed depends on the machine, so it prints figures (and writes
bench/results.json) rather than asserting on time. Every step runs as a subprocess the way a user
runs it, under a small wrapper that reports the step's peak memory.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from .project import project_dir
from .warehouse import open_duckdb, postgres_admin

BIN = Path(sys.executable).parent
START = dt.datetime(2026, 10, 1)
# runs a command and prints its peak RSS (KiB) on the last line of stderr
PEAK_WRAPPER = (
    "import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
    "print('PEAK_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)"
)


@dataclass
class Step:
    name: str
    seconds: float
    peak_mb: float
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class BenchResult:
    requests: int
    days: int
    machine: dict[str, Any]
    steps: list[Step] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    mismatches: dict[str, int] = field(default_factory=dict)


def _run(name: str, cmd: list[str], env: dict[str, str], log: Path) -> Step:
    """Run one step as a subprocess, timed, with its peak memory; fail loudly with its log."""
    t0 = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.run(
            [sys.executable, "-c", PEAK_WRAPPER, *cmd], env=env, stdout=out, stderr=subprocess.PIPE, text=True
        )
    seconds = time.perf_counter() - t0
    peak_kb = 0
    other = []
    for line in proc.stderr.splitlines():
        if line.startswith("PEAK_KB "):
            peak_kb = int(line.split()[1])
        else:
            other.append(line)
    log.write_text(log.read_text() + "\n".join(other))
    if proc.returncode not in (0,):
        raise RuntimeError(f"step {name} failed (exit {proc.returncode}); see {log}")
    return Step(name, round(seconds, 2), round(peak_kb / 1024, 1))


def _dbt(*args: str) -> list[str]:
    return [str(BIN / "dbt"), *args, "--target", "duckdb"]


def make_increment(
    base: Path, out: Path, seed: int, users: int, requests: int, days: int, realistic_text: bool = False
) -> dict[str, int]:
    """One more day of traffic, plus late events for earlier days and redelivered duplicates.

    The new day comes from the generator (another seed) with its ids prefixed so they do not
    collide with the base. 2% of its calls are made late: they occurred in an existing session of
    the base's last three days, but arrive now. 0.5% of the base's last three days are delivered
    again, now.
    """
    from .generate import Options, generate

    # The base is a snapshot taken after its late arrivals (up to 4 days) came in, so the new
    # day starts after them: received_at grows with arrival, as it does in production.
    day = out / "day"
    new_day = START + dt.timedelta(days=days + 5)
    generate(
        day,
        seed=seed + 1,
        days=1,
        users=users,
        requests=max(1, requests // days),
        start=new_day,
        opts=Options(realistic_text=realistic_text),
    )
    out.mkdir(parents=True, exist_ok=True)
    con = open_duckdb()
    end = START + dt.timedelta(days=days)
    base_req = f"read_parquet('{base / 'llm_requests.parquet'}')"
    con.execute(f"""
        create table day_requests as
        select * replace ('inc_' || event_id as event_id, 'inc_' || session_id as session_id)
        from read_parquet('{day / "llm_requests.parquet"}')
    """)
    _late_and_redelivered(con, base_req, end, new_day)
    con.execute(
        """
        copy (
            select * from day_requests where event_id not in (select event_id from late)
            union all select * exclude (n) from late
            union all select * from dups
        ) to '{out}' (format parquet)
    """.replace("{out}", str(out / "llm_requests-increment.parquet"))
    )
    _increment_events(con, day, out)
    counts = {
        "new_day_requests": con.execute("select count(*) from day_requests").fetchone()[0],
        "late_requests": con.execute("select count(*) from late").fetchone()[0],
        "redelivered_duplicates": con.execute("select count(*) from dups").fetchone()[0],
    }
    con.close()
    shutil.rmtree(day)
    return counts


def _late_and_redelivered(
    con: duckdb.DuckDBPyConnection, base_req: str, end: dt.datetime, new_day: dt.datetime
) -> None:
    """Tables late (2% of the new day's calls, moved into base sessions) and dups (base calls again)."""
    # late events: re-home 2% of the new day's calls into base sessions 1-3 days back
    con.execute(f"""
        create table late_targets as
        select session_id, occurred_at, user_id, tenant_id,
               row_number() over (order by hash(session_id)) as n
        from (select session_id, min(occurred_at) as occurred_at, min(user_id) as user_id,
                     min(tenant_id) as tenant_id
              from {base_req}
              where occurred_at >= timestamp '{end}' - interval 3 day and session_id is not null
              group by session_id)
    """)
    con.execute("""
        create table late as
        select r.* replace (
            t.session_id as session_id, t.user_id as user_id, t.tenant_id as tenant_id,
            t.occurred_at + interval 30 second as occurred_at)
        from (select *, row_number() over (order by hash(event_id)) as n
              from day_requests where hash(event_id) % 50 = 0) as r
        join late_targets as t
          on t.n = (r.n % (select count(*) from late_targets)) + 1
    """)
    con.execute(f"""
        create table dups as
        select * replace (timestamp '{new_day}' + interval 1 hour as received_at)
        from {base_req}
        where occurred_at >= timestamp '{end}' - interval 3 day and hash(event_id) % 200 = 0
    """)


def _increment_events(con: duckdb.DuckDBPyConnection, day: Path, out: Path) -> None:
    """The new day's feedback and product events, their ids prefixed like its calls'."""
    con.execute(f"""
        copy (select * replace ('inc_' || event_id as event_id, 'inc_' || request_id as request_id,
                                'inc_' || session_id as session_id)
              from read_parquet('{day / "feedback_events.parquet"}'))
        to '{out / "feedback_events-increment.parquet"}' (format parquet)
    """)
    con.execute(f"""
        copy (select * replace ('inc_' || event_id as event_id, 'inc_' || session_id as session_id)
              from read_parquet('{day / "product_events.parquet"}'))
        to '{out / "product_events-increment.parquet"}' (format parquet)
    """)


def raw_lower_bound(manifest: Path, db: Path) -> float:
    """Execute every model's compiled SQL directly on DuckDB, in dependency order, timed.

    The database is a copy taken after loading and seeding, so the work is exactly the models'.
    """
    nodes = json.loads(manifest.read_text())["nodes"]
    models = {k: v for k, v in nodes.items() if v["resource_type"] == "model"}
    order: list[str] = []
    seen: set[str] = set()

    def visit(uid: str) -> None:
        if uid in seen or uid not in models:
            return
        seen.add(uid)
        for dep in models[uid]["depends_on"]["nodes"]:
            visit(dep)
        order.append(uid)

    for uid in sorted(models):
        visit(uid)
    con = open_duckdb(db)
    con.execute(f"set threads = {os.environ.get('DBT_THREADS', '2')}")
    con.execute(f"set memory_limit = '{os.environ.get('DUCKDB_MEMORY_LIMIT', '3GB')}'")
    con.execute("set preserve_insertion_order = false")
    t0 = time.perf_counter()
    for uid in order:
        node = models[uid]
        schema, name = node["schema"], node["alias"]
        kind = "view" if node["config"]["materialized"] == "view" else "table"
        con.execute(f"create schema if not exists {schema}")
        con.execute(f"create or replace {kind} {schema}.{name} as {node['compiled_code']}")
    seconds = time.perf_counter() - t0
    con.close()
    return round(seconds, 2)


def compare(
    left: Path, right: Path, schemas: tuple[str, ...] = ("staging", "intermediate", "marts")
) -> dict[str, int]:
    """EXCEPT ALL both ways on every table of the schemas (doubles compared to a relative 1e-9)."""
    con = open_duckdb()
    con.execute(f"attach '{left}' as l (read_only)")
    con.execute(f"attach '{right}' as r (read_only)")
    out: dict[str, int] = {}
    wanted = ", ".join(repr(x) for x in schemas)
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        f"where database_name = 'l' and schema_name in ({wanted}) order by 1, 2"
    ).fetchall()
    for schema, table in tables:
        cols = con.execute(
            "select column_name, data_type from duckdb_columns() "
            "where database_name = 'l' and schema_name = ? and table_name = ? order by column_index",
            [schema, table],
        ).fetchall()
        exact = [f'"{c}"' for c, t in cols if t not in ("DOUBLE", "FLOAT") and c != "last_loaded_at"]
        floats = [f'"{c}"' for c, t in cols if t in ("DOUBLE", "FLOAT")]
        keys = ", ".join(exact)
        diff = con.execute(
            f"select (select count(*) from (select {keys} from l.{schema}.{table} "
            f"except all select {keys} from r.{schema}.{table})) + "
            f"(select count(*) from (select {keys} from r.{schema}.{table} "
            f"except all select {keys} from l.{schema}.{table}))"
        ).fetchone()[0]
        if floats and not diff:
            # same rows: now the numbers, to a relative 1e-9 (sums in another order differ in the last bits)
            on = " and ".join(f"a.{c} is not distinct from b.{c}" for c in exact)
            far = " or ".join(
                f"(a.{c} is null) != (b.{c} is null) or abs(a.{c} - b.{c}) > 1e-9 * greatest(1, abs(a.{c}))"
                for c in floats
            )
            joined = f"l.{schema}.{table} as a join r.{schema}.{table} as b on {on}"
            diff = con.execute(f"select count(*) from {joined} where {far}").fetchone()[0]
        out[f"{schema}.{table}"] = int(diff)
    con.close()
    return out


# An hourly build tests the rows of the last day (var test_recent_hours, macros/test_scope.sql);
# the bench's increment is one day, so a day's window covers it.
HOURLY_TEST_VARS = "{test_recent_hours: 24}"


def run_bench(
    requests: int,
    days: int,
    out: Path,
    seed: int = 42,
    postgres: bool = False,
    reuse_data: bool = False,
    generate_options: tuple[str, ...] = (),
) -> BenchResult:
    """The whole benchmark; see the module docstring.

    reuse_data keeps out/data from an earlier run with the same sizes, and the warehouse it
    loaded (generating and loading 10M rows take minutes and are not what is measured);
    everything else starts afresh. generate_options are passed to `generate` (--realistic-text:
    prompts and responses of realistic length, the text that staging redacts and hashes).
    """
    root = project_dir()
    out = out.resolve()
    data = out / "data"
    reuse = reuse_data and (data / "base").is_dir() and (data / "increment").is_dir()
    if out.exists():
        for child in out.iterdir():
            if not (reuse and child == data):
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    (out / "logs").mkdir(parents=True)
    users = max(100, requests // 50)
    result = BenchResult(requests, days, {**_machine(), "generate_options": list(generate_options)})
    wh = out / "warehouse.duckdb"
    run = _Run(out, _bench_env(root, out, wh), result)
    print(f"bench: {requests:,} requests over {days} days in {out}", flush=True)
    if reuse:
        print(f"  (reusing the generated data in {data})", flush=True)
    else:
        result.steps.append(
            _generate(run.step, run.cli, out, (requests, users, days, seed), generate_options)
        )
        run.save()
    _load_base(run, data, wh, reuse)
    full, raw_seconds = _full_build(run, wh)
    inc, nightly, full_db = _incremental_builds(run, wh)
    result.mismatches = compare(wh, full_db)
    # full_refresh.duckdb is kept next to warehouse.duckdb so a difference can be inspected
    if postgres:
        result.steps.append(_bench_postgres(out, run.env, run.cli))
    result.figures = {
        "rows_per_second_full_build": round(requests / full.seconds),
        "dbt_over_raw": round(full.seconds / raw_seconds, 2) if raw_seconds else None,
        "incremental_over_full": round(inc.seconds / full.seconds, 3),
        "incremental_all_tests_over_full": round(nightly.seconds / full.seconds, 3),
        "peak_mb": max(s.peak_mb for s in result.steps),
        "incremental_equals_full_refresh": all(v == 0 for v in result.mismatches.values()),
    }
    run.save()
    return result


def _machine() -> dict[str, Any]:
    """What the figures were measured on: they mean nothing without it."""
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "duckdb": duckdb.__version__,
        "dbt": _version([str(BIN / "dbt"), "--version"]),
    }


def _bench_env(root: Path, out: Path, wh: Path) -> dict[str, str]:
    """The environment of every step: the project's profile, pointed at the bench's own warehouse."""
    env = dict(os.environ)
    env.update(
        DBT_PROFILES_DIR=str(root),
        LLM_ANALYTICS_PROJECT_DIR=str(root),
        DUCKDB_PATH=str(wh),
        DBT_TARGET="duckdb",
        DBT_TARGET_PATH=str(out / "target"),
        DBT_LOG_PATH=str(out / "logs"),
        # builds are timed as production runs them: dbt's unit tests check logic on fixed inputs,
        # so they belong to development and CI (`make test` runs them), not to every build
        DBT_EXCLUDE_RESOURCE_TYPES="unit_test",
    )
    return env


class _Run:
    """One benchmark run's folder, environment and results; every timed step goes through step()."""

    def __init__(self, out: Path, env: dict[str, str], result: BenchResult) -> None:
        self.out = out
        self.env = env
        self.result = result
        self.cli = str(BIN / "llm-analytics")
        self.logs = out / "logs"

    def save(self) -> None:
        # written after every step, so an interrupted run still leaves its figures
        (self.out / "results.json").write_text(json.dumps(asdict(self.result), indent=2, default=str))

    def step(self, name: str, cmd: list[str], e: dict[str, str] | None = None) -> Step:
        # the warehouse copies just written (gigabytes) would otherwise be flushed to disk
        # while the step runs, and be timed with it
        os.sync()
        s = _run(name, cmd, e or self.env, self.logs / f"{name}.log")
        self.result.steps.append(s)
        self.save()
        print(f"  {name:<24} {s.seconds:>8.1f} s  {s.peak_mb:>8.0f} MB", flush=True)
        return s


def _load_base(run: _Run, data: Path, wh: Path, reuse: bool) -> None:
    """The base data loaded and seeded into the bench warehouse (or an earlier run's copy of it)."""
    loaded = data / "loaded.duckdb"
    if reuse and loaded.exists():
        # the raw tables and seeds an earlier run loaded (loading is checked, and slow, but not
        # what is measured)
        shutil.copy(loaded, wh)
        run.step("dbt_seed", _dbt("seed"))
    else:
        run.step("load", [run.cli, "load", str(run.out / "data/base"), "--target", "duckdb"])
        run.step("dbt_seed", _dbt("seed"))
        shutil.copy(wh, loaded)


def _full_build(run: _Run, wh: Path) -> tuple[Step, float]:
    """A full dbt build, timed, and the same models' compiled SQL run directly: its lower bound."""
    out = run.out
    # same file name in another folder: the compiled SQL names the catalog after the file
    raw_db = out / "raw" / wh.name
    raw_db.parent.mkdir()
    shutil.copy(wh, raw_db)
    full = run.step("dbt_build_full", _dbt("build", "--full-refresh"))
    full.detail = _per_node(out / "target/run_results.json")
    shutil.copy(out / "target/manifest.json", out / "manifest_full.json")
    os.sync()
    raw_seconds = raw_lower_bound(out / "manifest_full.json", raw_db)
    raw_db.unlink()
    run.result.steps.append(Step("raw_lower_bound", raw_seconds, 0.0))
    print(f"  {'raw_lower_bound':<24} {raw_seconds:>8.1f} s", flush=True)
    return full, raw_seconds


def _incremental_builds(run: _Run, wh: Path) -> tuple[Step, Step, Path]:
    """The increment loaded, then built incrementally (hourly tests, then all tests) and fully."""
    out, env, logs = run.out, run.env, run.logs
    run.step("load_increment", [run.cli, "load", str(out / "data/increment"), "--target", "duckdb"])
    # copies of the warehouse with the increment loaded: one for the same incremental build with
    # every test over whole tables (a nightly build), one for the full refresh to compare with
    full_db = out / "full_refresh.duckdb"
    nightly_db = out / "incremental_all_tests.duckdb"
    shutil.copy(wh, full_db)
    shutil.copy(wh, nightly_db)
    # a scheduled build finds the project parsed by the run before it (partial parsing), so
    # parse first, untimed, with the same vars and environment
    _run("parse_hourly", _dbt("parse", "--vars", HOURLY_TEST_VARS), env, logs / "parse_hourly.log")
    inc = run.step("dbt_build_incremental", _dbt("build", "--vars", HOURLY_TEST_VARS))
    inc.detail = _per_node(out / "target/run_results.json")
    env_nightly = dict(env, DUCKDB_PATH=str(nightly_db), DBT_TARGET_PATH=str(out / "target_nightly"))
    _run("parse_nightly", _dbt("parse"), env_nightly, logs / "parse_nightly.log")
    nightly = run.step("dbt_build_incremental_all_tests", _dbt("build"), env_nightly)
    nightly.detail = _per_node(out / "target_nightly/run_results.json")
    nightly_db.unlink()
    env_full = dict(env, DUCKDB_PATH=str(full_db), DBT_TARGET_PATH=str(out / "target_full"))
    run.step("dbt_build_full_refresh", _dbt("build", "--full-refresh"), env_full)
    return inc, nightly, full_db


def _generate(
    step: Any, cli: str, out: Path, sizes: tuple[int, int, int, int], options: tuple[str, ...]
) -> Step:
    """Generate the base data (a timed step) and the increment (a day, late calls, redeliveries)."""
    requests, users, days, seed = sizes
    step(
        "generate",
        [
            cli,
            "generate",
            "--out",
            str(out / "data/base"),
            "--requests",
            str(requests),
            "--users",
            str(users),
            "--days",
            str(days),
            "--seed",
            str(seed),
            "--start",
            START.date().isoformat(),
            *options,
        ],
    )
    t0 = time.perf_counter()
    counts = make_increment(
        out / "data/base", out / "data/increment", seed, users, requests, days, "--realistic-text" in options
    )
    return Step("make_increment", round(time.perf_counter() - t0, 2), 0.0, counts)


def _per_node(run_results: Path) -> dict[str, Any]:
    """Seconds per model, and the summed seconds of models and of tests, from run_results.json."""
    results = json.loads(run_results.read_text())["results"]

    def total(kind: str) -> float:
        return round(sum(r["execution_time"] for r in results if r["unique_id"].startswith(kind)), 2)

    return {
        "models": {
            r["unique_id"].split(".")[-1]: round(r["execution_time"], 2)
            for r in results
            if r["unique_id"].startswith("model.")
        },
        "model_seconds_sum": total("model."),
        "test_seconds_sum": total("test."),
        "unit_test_seconds_sum": total("unit_test."),
    }


def _bench_postgres(out: Path, env: dict[str, str], cli: str) -> Step:
    """Load the same base data into a fresh PostgreSQL database and time a full dbt build there."""
    name = "llm_analytics_bench"
    admin = (
        f"host={env.get('PGHOST', '127.0.0.1')} port={env.get('PGPORT', '5432')} "
        f"user={env.get('PGUSER', 'postgres')} dbname={env.get('PGDATABASE', 'postgres')}"
    )
    with postgres_admin(admin) as con:
        con.execute(f"drop database if exists {name} with (force)")
        con.execute(f"create database {name}")
    pg_env = dict(env, PGDATABASE=name, DBT_TARGET="postgres", DBT_TARGET_PATH=str(out / "target_pg"))
    load = _run(
        "pg_load",
        [cli, "load", str(out / "data/base"), "--target", "postgres"],
        pg_env,
        out / "logs/pg_load.log",
    )
    print(f"  {'pg_load':<24} {load.seconds:>8.1f} s  {load.peak_mb:>8.0f} MB", flush=True)
    cmd = [str(BIN / "dbt"), "build", "--target", "postgres"]
    build = _run("pg_dbt_build_full", cmd, pg_env, out / "logs/pg_build.log")
    print(f"  {'pg_dbt_build_full':<24} {build.seconds:>8.1f} s  {build.peak_mb:>8.0f} MB", flush=True)
    build.detail = {"load_seconds": load.seconds}
    return build


def _version(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.split("\n")[1].strip()
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"
