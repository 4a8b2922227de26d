"""`llm-analytics dashboard`: serve the Streamlit dashboard (scripts/llm_analytics/dashboard/) over a
target's marts, on 127.0.0.1 unless told otherwise.

This command checks the target first (a missing DuckDB file or an unreachable server is one clear
message, not a page of traceback), then becomes the Streamlit server (exec, same process id), so a
scheduler's or a test's stop signal reaches the server itself and leaves nothing running.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from .dashboard import TARGET_ENV
from .project import UserError, load_target

APP = Path(__file__).resolve().parent / "dashboard" / "app.py"


def streamlit_command(port: int, host: str) -> list[str]:
    """The `streamlit run` command line: headless (no browser opened), no usage statistics, no file
    watcher (the app is installed code, not edited live)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
        "--theme.base",
        "light",
    ]


def dashboard(
    target: Annotated[str, typer.Option("--target", "-t", help="Warehouse: duckdb or postgres.")] = "duckdb",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8501,
    host: Annotated[
        str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")
    ] = "127.0.0.1",
) -> None:
    """Serve the dashboard over the marts (Overview, Usage, Performance, Cost, Quality, Models,
    Product, Alerts). PostgreSQL: the profile's PG* settings, e.g. PGUSER=llm_analytics_reader."""
    t = load_target(target)
    if t.type == "duckdb" and not t.duckdb_path.exists():
        raise UserError(
            f"{t.duckdb_path} does not exist: load data and run `dbt build --target {target}` first"
        )
    env = dict(os.environ)
    env[TARGET_ENV] = target
    if t.type == "duckdb":  # absolute: the server's working folder need not be this one
        env["DUCKDB_PATH"] = str(t.duckdb_path)
    print(f"dashboard on {target}: open http://{host}:{port} (Ctrl-C stops it)", file=sys.stderr, flush=True)
    command = streamlit_command(port, host)
    os.execve(command[0], command, env)
