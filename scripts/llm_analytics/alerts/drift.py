"""Drift when a model_version changes: the new version's calls against the previous version's.

A provider ships a new snapshot under the same model name, or routing pins a new one: nothing
else changes, so an hourly baseline sees a slow creep, not an event. Here the comparison is the
one a person would make: all calls of the new version so far (since its first call, at most
`alert_baseline_days` ago) against the previous version's calls in the `alert_baseline_days` days
before the change, as rates (k of n) for the rule's binomial condition:

- `version_slow_call_rate`: calls slower than `alert_slow_call_factor` x the previous version's
  median latency (about half of them when latency has doubled);
- `version_regeneration_rate`: calls that regenerated an earlier answer;
- `version_thumbs_down_rate`: thumbs down / thumbs (explicit_rating 'down' of 'up' or 'down').

The evidence grows with every hour of the new version, so a small product's drift fires later
than a large one's, but it fires. A change older than `alert_baseline_days` is no longer watched.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..warehouse import Db
from .observation import UNKNOWN, Observation
from .pooled import Series, judge, project_vars
from .rules import REQUESTS, Rule


def _versions(db: Db, end: dt.datetime, days: int) -> list[tuple[Any, ...]]:
    return db.rows(
        f"select provider, model_id, model_version, min(occurred_at) as first_at from {REQUESTS} "
        "where occurred_at >= ? and occurred_at < ? and model_version is not null "
        "group by provider, model_id, model_version order by provider, model_id, first_at",
        (end - dt.timedelta(days=2 * days), end),
    )


def changes(db: Db, end: dt.datetime, days: int) -> list[tuple[str, str, str, dt.datetime, str, dt.datetime]]:
    """(provider, model, new version, its first call, previous version, its first call) per model
    whose newest version first appeared within `days` before `end`."""
    by_model: dict[tuple[str, str], list[tuple[str, dt.datetime]]] = {}
    for provider, model, version, first_at in _versions(db, end, days):
        by_model.setdefault((provider, model), []).append((version, first_at))
    out = []
    for (provider, model), versions in by_model.items():
        if len(versions) < 2:
            continue
        (old, old_at), (new, new_at) = versions[-2], versions[-1]
        if new_at >= end - dt.timedelta(days=days) and old_at < new_at:
            out.append((provider, model, new, new_at, old, old_at))
    return out


def _counts(db: Db, rule: Rule, change: tuple[Any, ...], end: dt.datetime, days: int) -> tuple[float, ...]:
    """k and n of the new version since its first call, and of the previous one before it."""
    provider, model, new, new_at, old, _ = change
    since = new_at - dt.timedelta(days=days)
    scope = "provider = ? and model_id = ?"
    periods = (new, new_at, end, old, since, new_at)  # new version [new_at, end), old [since, new_at)
    if rule.metric.name == "version_slow_call_rate":
        factor = float(project_vars().get("alert_slow_call_factor") or 2)
        [(median,)] = db.rows(
            f"select percentile_cont(0.5) within group (order by total_latency_ms) from {REQUESTS} "
            f"where {scope} and model_version = ? and occurred_at >= ? and occurred_at < ?",
            (provider, model, old, since, new_at),
        )
        if median is None:
            return (0.0, 0.0, 0.0, 0.0)
        hit, base = f"total_latency_ms > {factor!r} * ?", "total_latency_ms is not null"
        extra: tuple[Any, ...] = (float(median),)
    elif rule.metric.name == "version_regeneration_rate":
        hit, base, extra = "is_regenerated", "1 = 1", ()
    else:
        hit, base, extra = "explicit_rating = 'down'", "explicit_rating in ('up', 'down')", ()
    sums = []
    for version, lo, hi in (periods[:3], periods[3:]):
        [(k, n)] = db.rows(
            f"select sum(case when {hit} then 1 else 0 end), sum(case when {base} then 1 else 0 end) "
            f"from {REQUESTS} where {scope} and model_version = ? and occurred_at >= ? and occurred_at < ?",
            (*extra, provider, model, version, lo, hi),
        )
        sums += [float(k or 0), float(n or 0)]
    return tuple(sums)


def evaluate_drift(db: Db, rule: Rule, start: dt.datetime, end: dt.datetime) -> list[Any]:
    """One observation per model whose version changed recently, keyed by model and new version."""

    days = int(project_vars().get("alert_baseline_days") or 7)
    out = []
    for change in changes(db, end, days):
        provider, model, new, new_at, old, old_at = change
        k, n, kb, nb = _counts(db, rule, change, end, days)
        scope = {"provider": provider, "model": model, "model_version": new, "previous_version": old}
        o = Observation(rule, f"{provider}/{model}@{new}", scope, new_at, end, UNKNOWN)
        history_hours = int((new_at - max(old_at, new_at - dt.timedelta(days=days))) / dt.timedelta(hours=1))
        judge(o, Series("", {}, "k", "n"), [{"k": k, "n": n}], [[{"k": kb, "n": nb}]], history_hours, 1)
        o.reason = o.reason or f"{new} against {old}"
        out.append(o)
    return out
