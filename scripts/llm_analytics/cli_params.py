"""Options and the error exit every command shares, defined once (as dbt-core's cli/params.py does).

An option typed under two commands must mean the same under both: defining it here once means its
flag, short flag and help cannot drift apart between `llm-analytics` and `llm-analytics alerts`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from .project import TARGETS

TargetOpt = Annotated[str, typer.Option("--target", "-t", help=f"Warehouse: one of {', '.join(TARGETS)}.")]
QualityRulesOpt = Annotated[
    Path | None, typer.Option("--rules", help="Quality rules and policies (default: quality.yml).")
]
AlertRulesOpt = Annotated[
    Path | None, typer.Option("--rules", help="Rules file (default: alerts.yml at the project root).")
]
MappingOpt = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        help="Mapping file: your events' fields onto the raw contract (see mappings/, docs/loading.md).",
    ),
]
FormatOpt = Annotated[str, typer.Option("--format", help="table or json (one object per line).")]


def fail(console: Console, exc: Exception, code: int = 2) -> NoReturn:
    """An expected failure: one line on CONSOLE (stderr), no traceback, exit CODE (2 unless refused)."""
    console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
