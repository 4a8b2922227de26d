"""The one command-line entry point: `llm-analytics <command>`.

Expected failures (bad input, unreachable warehouse) print one clear message and exit 2 (1 for a
refused file), never a traceback.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from .cli_params import MappingOpt, QualityRulesOpt, TargetOpt, fail
from .project import UserError, load_target, project_dir

app = typer.Typer(
    help="LLM product analytics warehouse: generate sample data, load raw files, refresh prices.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder to write one file per raw table to.")] = Path(
        "data/sample"
    ),
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 42,
    days: Annotated[int, typer.Option(min=1, help="Days of traffic.")] = 28,
    users: Annotated[int, typer.Option(min=1, help="Number of users.")] = 2_000,
    requests: Annotated[
        int | None,
        typer.Option(min=1, help="LLM calls to generate (before duplicates) [default: 100000]."),
    ] = None,
    start: Annotated[str, typer.Option(help="First day (UTC), YYYY-MM-DD.")] = "2026-10-01",
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Also write JSONL files.")] = False,
    calls_per_hour: Annotated[
        float | None,
        typer.Option(help="Traffic level instead of --requests: N x 24 x days calls, weekday/hour shaped."),
    ] = None,
    realistic_text: Annotated[
        bool,
        typer.Option(
            "--realistic-text",
            help="Distinct prompts and responses of realistic length, personal data at realistic rates.",
        ),
    ] = False,
    pre_start_users: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, help="Share of users signed up before the first day (active from it)."
        ),
    ] = 0.0,
    poison: Annotated[
        bool,
        typer.Option(
            "--poison", help="Plant hostile values (NaN, inf, huge, empty, far dates) in a few rows."
        ),
    ] = False,
) -> None:
    """Generate deterministic sample data (Parquet per raw table) with planted incidents and dirt."""
    from .generate import CHUNK_REQUESTS, Options
    from .generate import generate as run

    size = _generate_size(requests, calls_per_hour, days)
    try:
        start_dt = dt.datetime.fromisoformat(start)
    except ValueError:
        fail(console, UserError(f"--start {start!r} is not a date (YYYY-MM-DD)"))
    from rich.progress import Progress

    opts = Options(realistic_text=realistic_text, poison=poison, pre_start_users=pre_start_users)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("generating", total=-(-size // CHUNK_REQUESTS))

        def tick():
            while True:
                progress.advance(task)
                yield None

        summary = run(out, seed, days, users, size, start_dt, jsonl, tick(), opts=opts)
    _print_rows(out, summary.rows)


def _print_rows(out: Path, rows_per_table: dict[str, int]) -> None:
    """The rows generate wrote, per table."""
    table = RichTable(title=f"sample data in {out}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in rows_per_table.items():
        table.add_row(name, f"{rows:,}")
    Console().print(table)


def _generate_size(requests: int | None, calls_per_hour: float | None, days: int) -> int:
    """The number of calls: --requests or --calls-per-hour (one of them; 100,000 when neither)."""
    from .generate import calls_for_rate

    if calls_per_hour is None:
        return 100_000 if requests is None else requests
    if requests is not None:
        raise typer.BadParameter(
            "give either --requests or --calls-per-hour, not both", param_hint="'--calls-per-hour'"
        )
    try:
        return calls_for_rate(calls_per_hour, days)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--calls-per-hour'") from None


@app.command()
def load(
    path: Annotated[
        Path,
        typer.Argument(help="A file or folder of .parquet, .jsonl, .csv and OTLP (.json, .jsonl, .pb) files"),
    ],
    target: TargetOpt = "duckdb",
    table: Annotated[
        str | None, typer.Option(help="Raw table for every file (default: from the file name).")
    ] = None,
    rules: QualityRulesOpt = None,
    mapping: MappingOpt = None,
) -> None:
    """Load raw files into the raw schema: checked against the contract, idempotent, all or nothing."""
    from .loader import load as run
    from .raw_files import ContractError

    try:
        files = run(path, load_target(target), table, rules, mapping)
    except ContractError as exc:
        fail(console, exc, 1)
    except UserError as exc:
        fail(console, exc)
    out = RichTable(title=f"load into {target}")
    for col in ("file", "table", "rows", "status"):
        out.add_column(col)
    for f in files:
        out.add_row(str(f.shown), f"raw.{f.table.name}", f"{f.rows:,}", f.status)
    Console().print(out)
    for f in files:
        for warning in f.warnings:
            console.print(
                f"[yellow]warn:[/] {escape(f'{f.shown} (raw.{f.table.name}): {warning}')}", highlight=False
            )


@app.command()
def receive(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (4318 is OTLP/HTTP's; 0: any).")] = 4318,
    landing: Annotated[Path, typer.Option(help="Folder accepted batches are written to.")] = Path(
        "data/otlp"
    ),
    max_body_mb: Annotated[
        float, typer.Option(min=0.001, help="Largest body accepted, compressed or not (MB); else 413.")
    ] = 20.0,
) -> None:
    """Receive OTLP/HTTP (/v1/traces, /v1/logs, /v1/metrics): each batch checked, landed durably, then 200."""
    from .receive import make_server, serve

    def log(line: str) -> None:
        console.print(escape(line), highlight=False, soft_wrap=True)

    try:
        server = make_server(host, port, landing, max_body_mb, log)
    except OSError as exc:
        fail(console, UserError(f"cannot listen on {host}:{port} or use {landing}: {exc.strerror or exc}"))
    bound_host, bound_port = server.server_address[:2]
    log(
        f"receiving OTLP/HTTP on http://{bound_host}:{bound_port} (/v1/traces, /v1/logs, /v1/metrics) "
        f"into {landing}; bodies up to {max_body_mb:g} MB; Ctrl-C or SIGTERM stops"
    )
    serve(server)
    log("stopped")


@app.command()
def validate(
    target: TargetOpt = "duckdb",
    out: Annotated[Path, typer.Option(help="Folder for summary.json and the HTML data docs.")] = Path(
        "validation"
    ),
    rules: QualityRulesOpt = None,
) -> None:
    """Validate raw tables and marts with Great Expectations; exit 1 when a refuse-level rule fails."""
    from .quality import validate_warehouse, warnings_of

    try:
        summary = validate_warehouse(load_target(target), out, rules)
    except UserError as exc:
        fail(console, exc)
    table = RichTable(title=f"validate {target}")
    for col in ("table", "rows", "refused", "warnings"):
        table.add_column(col)
    for r in summary.reports:
        table.add_row(r.table, f"{r.rows:,}", str(len(r.failed("refuse"))), str(len(r.failed("warn"))))
    Console().print(table)
    for r in summary.reports:
        for c in r.failed("refuse"):
            console.print(
                f"[bold red]refuse:[/] {escape(r.table + ': ' + c.describe(r.rows))}", highlight=False
            )
        for w in warnings_of(r):
            console.print(f"[yellow]warn:[/] {escape(r.table + ': ' + w)}", highlight=False, soft_wrap=True)
    Console().print(f"summary: {out / 'summary.json'}; data docs: {summary.docs}")
    if summary.refused:
        raise typer.Exit(1)


@app.command("validate-file")
def validate_file(
    path: Annotated[Path, typer.Argument(help="One .parquet / .jsonl / .csv file.")],
    table: Annotated[str | None, typer.Option(help="Raw table (default: from the file name).")] = None,
    rules: QualityRulesOpt = None,
    mapping: MappingOpt = None,
) -> None:
    """Check one file as `load` would, without a warehouse, and print the peak memory (a benchmark)."""
    import resource
    import tempfile
    import time

    from .loader import discover
    from .quality import QualityGate, warnings_of
    from .raw_checks import check_file
    from .raw_files import ContractError
    from .warehouse import open_duckdb

    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="llm-analytics-check-") as workdir:
            files = discover(path, table, Path(workdir), mapping)
            gate = QualityGate(rules)
            con = open_duckdb()
            for f in files:
                check_file(con, f)
                for w in f.warnings + warnings_of(gate.check_file(con, f)):
                    shown = escape(f"{f.shown}: {w}")
                    console.print(f"[yellow]warn:[/] {shown}", highlight=False, soft_wrap=True)
    except ContractError as exc:
        fail(console, exc, 1)
    except UserError as exc:
        fail(console, exc)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = sum(f.rows for f in files)
    Console().print(
        f"{rows:,} rows validated in {time.perf_counter() - started:.1f} s; peak memory {peak_mb:,.0f} MB"
    )


@app.command()
def prices(
    seeds_dir: Annotated[
        Path | None, typer.Option(help="Folder of the seeds (default: the project's seeds/).")
    ] = None,
    today: Annotated[
        str | None, typer.Option(help="Date a newly seen price takes effect (default: today).")
    ] = None,
) -> None:
    """Regenerate seeds/model_prices.csv and model_aliases.csv from genai-prices, keeping price history."""
    from .prices import update_seeds

    folder = seeds_dir or project_dir() / "seeds"
    day = dt.date.fromisoformat(today) if today else dt.datetime.now(dt.UTC).date()
    build, merged, changed = update_seeds(folder, day)
    models = len({r.key for r in merged})
    Console().print(
        f"{len(merged):,} price rows for {models:,} models ({changed} rows new or changed), "
        f"{len(build.aliases):,} aliases; {build.skipped_models} models without token prices and "
        f"{build.skipped_patterns} regex patterns not exported. Written to {folder}."
    )


@app.command()
def bench(
    requests: Annotated[int, typer.Option(min=1000, help="LLM calls to generate and build.")] = 10_000_000,
    days: Annotated[int, typer.Option(min=2, help="Days of traffic in the base data.")] = 30,
    out: Annotated[Path, typer.Option(help="Folder for data, warehouses, logs and results.json.")] = Path(
        "bench"
    ),
    postgres: Annotated[bool, typer.Option("--postgres", help="Also load and build on PostgreSQL.")] = False,
    reuse_data: Annotated[
        bool, typer.Option("--reuse-data", help="Keep the data an earlier run generated in --out.")
    ] = False,
    realistic_text: Annotated[
        bool, typer.Option("--realistic-text", help="Generate prompts and responses of realistic length.")
    ] = False,
) -> None:
    """Benchmark: full build vs its raw SQL lower bound, an incremental day, incremental == full refresh."""
    from .bench import run_bench

    options = ("--realistic-text",) if realistic_text else ()
    result = run_bench(
        requests, days, out, postgres=postgres, reuse_data=reuse_data, generate_options=options
    )
    table = RichTable(title=f"bench: {requests:,} requests, {days} days, {result.machine['cores']} cores")
    for col in ("step", "seconds", "peak MB"):
        table.add_column(col, justify="right" if col != "step" else "left")
    for s in result.steps:
        table.add_row(s.name, f"{s.seconds:,.1f}", f"{s.peak_mb:,.0f}" if s.peak_mb else "")
    Console().print(table)
    for key, value in result.figures.items():
        Console().print(f"{key}: {value}")
    bad = {k: v for k, v in result.mismatches.items() if v}
    Console().print(
        f"incremental vs full refresh: {len(result.mismatches)} tables compared, "
        f"{len(bad)} differ {bad if bad else ''}"
    )
    Console().print(f"written: {out / 'results.json'}")
    if bad:
        raise typer.Exit(1)


@app.command("export")
def export_tables(
    out: Annotated[Path, typer.Option("--out", help="Folder: writes OUT/<schema>/<table>.parquet.")],
    target: TargetOpt = "duckdb",
    schema: Annotated[
        str, typer.Option(help="Schema to export (marts, staging, intermediate, raw).")
    ] = "marts",
    since: Annotated[
        str | None,
        typer.Option(help="Incremental models: only rows loaded or recomputed since this UTC time (ISO)."),
    ] = None,
) -> None:
    """Every table and view of a schema as Parquet, read-only (docs/cli.md#export)."""
    from .export import export, parse_since

    try:
        written = export(load_target(target), out, schema, parse_since(since))
    except UserError as exc:
        fail(console, exc)
    table = RichTable(title=f"export of {schema} from {target}")
    for col in ("table", "rows", "file"):
        table.add_column(col, justify="right" if col == "rows" else "left")
    for e in written:
        table.add_row(
            e.table + (f" (since, by {e.since_column})" if e.since_column else ""), f"{e.rows:,}", str(e.path)
        )
    Console(width=160).print(table)


@app.command("query")
def query_warehouse(
    sql: Annotated[str, typer.Argument(help="The SQL to run (read-only).")],
    target: TargetOpt = "duckdb",
    fmt: Annotated[str, typer.Option("--format", help="table, json (one object per line) or csv.")] = "table",
) -> None:
    """Run one read-only query on the warehouse and print its rows (docs/cli.md#query)."""
    from .export import run_query

    try:
        run_query(load_target(target), sql, fmt)
    except UserError as exc:
        fail(console, exc)


@app.command("grant")
def grant_access(
    target: TargetOpt = "postgres",
    role: Annotated[
        str | None,
        typer.Option(help="Read-only role (NOLOGIN) [default: var bi_reader_role, llm_analytics_reader]."),
    ] = None,
    login: Annotated[
        bool, typer.Option("--login", help="Also a login role for the BI tool, a member of --role.")
    ] = False,
    login_role: Annotated[str, typer.Option(help="Name of the login role.")] = "llm_analytics_bi",
    password_env: Annotated[
        str, typer.Option(help="Environment variable holding the login role's password.")
    ] = "LLM_ANALYTICS_BI_PASSWORD",
    build_user: Annotated[
        str | None,
        typer.Option(help="The user dbt builds as, whose new marts the role may read [default: yours]."),
    ] = None,
) -> None:
    """PostgreSQL: a read-only role for BI tools: SELECT on the marts, now and after builds; nothing else."""
    from .grant import Request, default_role, grant, password_from_env

    try:
        password = password_from_env(password_env) if login else None
        request = Request(role or default_role(), login_role if login else None, password, build_user)
        result = grant(load_target(target), request)
    except UserError as exc:
        fail(console, exc)
    created = "created" if result.role_created else "exists"
    out = Console()
    out.print(
        f"role {result.role} ({created}, NOLOGIN) in database {result.database}: USAGE on schema marts, "
        f"SELECT on its {result.relations} tables and views, and on those {result.build_user} creates "
        "there from now on; nothing in raw, staging, intermediate, seeds or alerts.",
        highlight=False,
        soft_wrap=True,
    )
    if result.login_role:
        state = "created" if result.login_created else "password reset"
        out.print(
            f"login role {result.login_role} ({state}), member of {result.role}, password from "
            f"${password_env}. Connect the BI tool as {result.login_role} to database {result.database}, "
            "schema marts (docs/bi.md).",
            highlight=False,
            soft_wrap=True,
        )
    if result.role != default_role():
        console.print(
            f"[yellow]warn:[/] dbt grants to var bi_reader_role ({default_role()} unless set): build "
            f"with --vars '{{bi_reader_role: {result.role}}}', or the incremental marts' builds revoke "
            f"{result.role}'s SELECT (docs/bi.md)",
            highlight=False,
            soft_wrap=True,
        )


def _register_dashboard() -> None:
    """`llm-analytics dashboard` lives in its own module (dashboard_cli.py)."""
    from .dashboard_cli import dashboard

    app.command()(dashboard)


def _register_alerts() -> None:
    """`llm-analytics alerts ...` lives in its own package; imported lazily by its commands."""
    from .alerts.cli import app as alerts_app

    app.add_typer(alerts_app, name="alerts")


_register_alerts()
_register_dashboard()


def main() -> None:
    try:
        app()
    except UserError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        sys.exit(2)


if __name__ == "__main__":
    main()
