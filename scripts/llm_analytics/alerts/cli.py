"""`llm-analytics alerts run | list | history`: made for cron and orchestrators.

Exit codes of `run`: 0 nothing fires, 1 something fires, 2 the rules, the warehouse or a rule's
query failed (the message names which).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from ..cli_params import AlertRulesOpt, FormatOpt, TargetOpt, fail
from ..project import UserError, load_target, project_dir

if TYPE_CHECKING:
    from ..warehouse import Db
    from .evaluate import Evaluation
    from .notify import Delivery
    from .rules import RuleSet

app = typer.Typer(help="Evaluate alert rules (alerts.yml) against the marts.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)  # one line per message: logs stay greppable


def _rules_path(rules: Path | None) -> Path:
    return rules if rules is not None else project_dir() / "alerts.yml"


def parse_at(text: str | None) -> dt.datetime:
    """The evaluated window ends at the start of --at's UTC hour: the last complete hour."""
    if text is None:
        at = dt.datetime.now(dt.UTC)
    else:
        try:
            at = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise UserError(f"--at {text!r} is not a timestamp like 2026-10-12T16:00 (UTC)") from exc
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at.replace(minute=0, second=0, microsecond=0)


def _check_format(fmt: str) -> None:
    if fmt not in ("table", "json"):
        raise UserError(f"--format {fmt!r}: choose table or json")


@app.command()
def run(
    target: TargetOpt = "duckdb",
    rules: AlertRulesOpt = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Evaluate the hour before this UTC time (default: now); backtests."),
    ] = None,
    fmt: FormatOpt = "table",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Evaluate and print; record and send nothing.")
    ] = False,
) -> None:
    """Evaluate every rule for the window ending at --at, record state, send notifications."""
    from . import state
    from .db import connect, require_marts
    from .notify import with_delivery
    from .rules import load_rules

    try:
        _check_format(fmt)
        ruleset = load_rules(_rules_path(rules))
        end = parse_at(at)
        tgt = load_target(target)
    except UserError as exc:
        fail(err, exc)
    out = sys.stdout
    notes_to = sys.stderr if fmt == "json" else sys.stdout
    try:
        with connect(tgt, read_only=dry_run) as db:
            require_marts(db, tgt)
            if not dry_run:
                state.ensure_schema(db)
            evaluations, errors = _evaluate_all(db, ruleset, end)
            if dry_run:
                results = [
                    {**o.as_json(), "state": "firing", "notification": "dry run"}
                    for ev in evaluations
                    for o in ev.firing
                ]
            else:
                results = _record(db, evaluations, errors, end)
                results = with_delivery(results, _deliver(db, ruleset, notes_to))
    except UserError as exc:
        fail(err, exc)
    _print_run(results, fmt, end, out)
    for msg in errors:
        err.print(f"[bold red]error:[/] {escape(msg)}", highlight=False)
    if errors:
        raise typer.Exit(2)
    raise typer.Exit(1 if any(r["state"] == "firing" for r in results) else 0)


def _evaluate_all(db: Db, ruleset: RuleSet, end: dt.datetime) -> tuple[list[Evaluation], list[str]]:
    """Every rule's evaluation; a rule that fails is reported and must not silence the others."""
    from .evaluate import evaluate

    evaluations, errors = [], []
    for rule in ruleset.rules:
        try:
            evaluations.append(evaluate(db, rule, end))
        except Exception as exc:  # one broken rule must not silence the others
            db.rollback()
            errors.append(f"{ruleset.path}: rule {rule.name}: evaluation failed: {exc}")
    return evaluations, errors


def _record(
    db: Db, evaluations: list[Evaluation], errors: list[str], end: dt.datetime
) -> list[dict[str, Any]]:
    """Record the hour's state changes and rule errors in one transaction; what to show comes back."""
    from . import state

    results: list[dict[str, Any]] = []
    db.begin()
    for ev in evaluations:
        for e in state.record(db, ev):
            results.append(_event_json(e))
        recorded = {r["scope_key"] for r in results if r["rule"] == ev.rule.name}
        for o in ev.firing:  # fired again in an hour already evaluated: shown, not re-sent
            if o.scope_key not in recorded:
                results.append({**o.as_json(), "state": "firing", "notification": "already recorded"})
    for msg in errors:
        name = msg.split(": rule ", 1)[1].split(":", 1)[0]
        state.record_error(db, name, end, msg)
    db.commit()
    return results


def _deliver(db: Db, ruleset: RuleSet, notes_to: TextIO) -> list[Delivery]:
    """Send what the outbox holds; a failed delivery stays there and is retried next run."""
    from . import notify

    deliveries = notify.deliver(db, ruleset, notes_to)
    for d in deliveries:
        if not d.ok:
            err.print(
                f"[yellow]warn:[/] {escape(f'{d.notifier}: {d.rule_name} ({d.scope_key})')}"
                f" {d.state} not delivered, will retry next run: {escape(str(d.error))}",
                highlight=False,
            )
    return deliveries


def _event_json(e: Any) -> dict[str, Any]:
    note = "queued" if e.notified else e.note  # until delivery says what happened
    return {**e.payload, "state": e.state, "notification": note}


def _print_run(results: list[dict[str, Any]], fmt: str, end: dt.datetime, out: Any) -> None:
    if fmt == "json":
        for r in results:
            print(json.dumps(r, default=str), file=out)
        return
    console = Console(file=out, width=160)
    firing = [r for r in results if r["state"] == "firing"]
    if not results:
        console.print(f"no alerts for the hour to {end:%Y-%m-%d %H:%M} UTC", highlight=False)
        return
    table = RichTable(title=f"alerts for the hour to {end:%Y-%m-%d %H:%M} UTC")
    for col in ("severity", "rule", "state", "scope", "value", "threshold", "notification", "message"):
        table.add_column(col, overflow="fold")
    for r in results:
        table.add_row(
            str(r.get("severity")),
            str(r["rule"]),
            r["state"],
            str(r.get("scope_key")),
            _short(r.get("value")),
            _short(r.get("threshold")),
            str(r.get("notification")),
            escape(str(r.get("message"))),
        )
    console.print(table)
    console.print(f"{len(firing)} firing, {len(results) - len(firing)} resolved", highlight=False)


def _short(v: Any) -> str:
    return "" if v is None else f"{v:,.4g}" if isinstance(v, float) else str(v)


@app.command("list")
def list_rules(target: TargetOpt = "duckdb", rules: AlertRulesOpt = None) -> None:
    """The rules, and for each its last evaluated hour and the scopes still firing."""
    from . import state
    from .db import connect
    from .rules import format_duration, load_rules

    try:
        ruleset = load_rules(_rules_path(rules))
        tgt = load_target(target)
    except UserError as exc:
        fail(err, exc)
    runs: dict[str, Any] = {}
    open_: dict[str, int] = {}
    try:
        with connect(tgt, read_only=True) as db:
            runs, open_ = state.last_runs(db), state.open_counts(db)
    except UserError as exc:
        err.print(f"[yellow]warn:[/] no state read: {escape(str(exc))}", highlight=False)
    table = RichTable(title=f"alert rules in {ruleset.path}")
    for col in (
        "rule",
        "severity",
        "metric",
        "scope",
        "condition",
        "window",
        "min samples",
        "cooldown",
        "notify",
        "last hour",
        "last state",
    ):
        table.add_column(col, overflow="fold")
    for r in ruleset.rules:
        last = runs.get(r.name)
        if last is None:
            when, status = "never", "-"
        else:
            when = f"{last[0]:%Y-%m-%d %H:%M}"
            status = (
                f"error: {last[3]}"
                if last[3]
                else (f"firing ({open_[r.name]})" if open_.get(r.name) else "ok")
            )
        table.add_row(
            r.name,
            r.severity,
            r.metric.name,
            r.scope,
            r.condition.text + ("" if r.condition.kind == "threshold" else f" ({r.baseline})"),
            r.window.text,
            str(r.min_samples),
            format_duration(r.cooldown),
            ", ".join(r.notify),
            when,
            escape(status),
        )
    Console(width=180).print(table)


@app.command()
def history(
    target: TargetOpt = "duckdb",
    rule: Annotated[str | None, typer.Option("--rule", help="Only this rule.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Most recent events to show.")] = 50,
    fmt: FormatOpt = "table",
) -> None:
    """What fired and resolved, newest first (from alerts.alert_events)."""
    from . import state
    from .db import connect

    try:
        _check_format(fmt)
        with connect(load_target(target), read_only=True) as db:
            rows = state.history(db, rule, limit)
    except UserError as exc:
        fail(err, exc)
    cols = ("window_end", "rule", "severity", "state", "scope", "value", "threshold", "notified", "message")
    if fmt == "json":
        for row in rows:
            print(json.dumps(dict(zip(cols, row, strict=True)), default=str))
        return
    table = RichTable(title="alert history (newest first)")
    for col in cols:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(
            *(escape(_short(v)) if not isinstance(v, dt.datetime) else f"{v:%Y-%m-%d %H:%M}" for v in row)
        )
    Console(width=180).print(table)


@app.command()
def backtest(
    start: Annotated[str, typer.Option("--from", help="First hour evaluated (UTC), e.g. 2026-10-01T00:00.")],
    stop: Annotated[str, typer.Option("--to", help="Hours starting before this (UTC) are evaluated.")],
    target: TargetOpt = "duckdb",
    rules: AlertRulesOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """Evaluate every hour from --from to --to; print per rule its incidents. Records and sends nothing."""
    from . import backtest as bt
    from .db import connect, require_marts
    from .rules import load_rules

    errors: list[str] = []
    try:
        _check_format(fmt)
        ruleset = load_rules(_rules_path(rules))
        first, last = parse_at(start), parse_at(stop)
        if last <= first:
            raise UserError(f"--to {stop!r} must be after --from {start!r}")
        tgt = load_target(target)
        with connect(tgt, read_only=True) as db:
            require_marts(db, tgt)
            reports = bt.backtest(
                db,
                ruleset.rules,
                first,
                last,
                on_error=lambda r, at, e: errors.append(
                    f"{ruleset.path}: rule {r.name}: evaluation failed at {at:%Y-%m-%d %H:%M}: {e}"
                ),
            )
    except UserError as exc:
        fail(err, exc)
    if fmt == "json":
        for rep in reports:
            for inc in rep.incidents:
                print(json.dumps(inc.as_json(), default=str))
    else:
        _print_backtest(reports, first, last)
    for msg in errors:
        err.print(f"[bold red]error:[/] {escape(msg)}", highlight=False)
    raise typer.Exit(2 if errors else 0)


def _print_backtest(reports: list[Any], first: dt.datetime, last: dt.datetime) -> None:
    console = Console(width=180)
    hours = int((last - first).total_seconds() // 3600)
    summary = RichTable(
        title=f"backtest of {hours} hours, {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC"
    )
    for col in ("rule", "severity", "condition", "hours fired", "incidents"):
        summary.add_column(col)
    for rep in reports:
        summary.add_row(
            rep.rule.name,
            rep.rule.severity,
            rep.rule.condition.text,
            str(rep.firing_hours),
            str(len(rep.incidents)),
        )
    console.print(summary)
    for rep in reports:
        if not rep.incidents:
            continue
        table = RichTable(title=f"{rep.rule.name}: {len(rep.incidents)} incident(s)")
        for col in ("scope", "from", "to", "hours", "peak", "peak hour", "message at the peak"):
            table.add_column(col, overflow="fold")
        for inc in rep.incidents:
            table.add_row(
                escape(inc.scope_key),
                f"{inc.first_hour:%Y-%m-%d %H:%M}",
                f"{inc.last_hour + dt.timedelta(hours=1):%Y-%m-%d %H:%M}",
                str(inc.hours),
                _short(inc.peak_value),
                f"{inc.peak_hour:%Y-%m-%d %H:%M}",
                escape(inc.peak_message),
            )
        console.print(table)
