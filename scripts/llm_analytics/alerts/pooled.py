"""Hourly rules judged on the evidence: counts from the mart, baselines pooled here.

Why pooled: the mart's `M_same_hour_mean` of an error rate is a mean of hourly rates, where an hour
with 2 calls weighs as much as one with 2,000, and a rate of a type that never failed is 0. Summing
the counts over the baseline hours (errors / calls over the previous `alert_baseline_days` days)
gives the rate a statistical test needs, for any metric, error type or window length, without a
baseline column per count in the mart.

Baselines (the rule's `baseline:`):
- `same_hour`: the same window shifted back by 1..days days (the same hours of day), mean per day;
- `trailing`: every hour of the `days` days before the window, scaled to the window's length.
A rate's baseline is smoothed by half an event, (k + 0.5) / (n + 1): an error type never seen in a
week is rare, not impossible, so its first occurrence is not infinitely surprising.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..project import project_dir
from ..warehouse import Db
from . import stats
from .observation import FIRING, OK, UNKNOWN, Observation
from .rules import MART, REQUESTS, Rule

HOUR = dt.timedelta(hours=1)
SMOOTHING = 0.5  # events added to a baseline: the Jeffreys prior's half an event (see module doc)
RATES = {
    "error_rate": ("error_count", "request_count"),
    "thumbs_down_rate": ("thumbs_down_count", "thumbs_count"),
    "regeneration_rate": ("regeneration_count", "request_count"),
}


@lru_cache
def project_vars(path: Path | None = None) -> dict[str, Any]:
    """The dbt vars' defaults (dbt_project.yml): the baseline length and the error types the mart counts."""
    doc = yaml.safe_load((path or project_dir() / "dbt_project.yml").read_text()) or {}
    return dict(doc.get("vars") or {})


@dataclass(frozen=True)
class Series:
    """One thing a rule watches in a scope: numerator column, denominator column (rates) or None."""

    suffix: str  # appended to the scope key ('' or ':timeout')
    extra: dict[str, str]
    value_col: str
    trials_col: str | None


def _series(rule: Rule) -> list[Series]:
    m = rule.metric
    if m.name == "error_type_rate":
        types = project_vars().get("error_types") or []
        return [Series(f":{t}", {"error_type": str(t)}, f"{t}_count", "request_count") for t in types]
    if m.name in RATES:
        k, n = RATES[m.name]
        return [Series("", {}, k, n)]
    return [Series("", {}, m.name, None)]


def _baseline_windows(rule: Rule, start: dt.datetime, end: dt.datetime, days: int) -> list[list[dt.datetime]]:
    """The hours each baseline sample covers: one window per previous day, or the trailing hours."""
    width = int((end - start) / HOUR)
    if rule.baseline == "same_hour":
        return [[start - dt.timedelta(days=d) + i * HOUR for i in range(width)] for d in range(1, days + 1)]
    first = start - dt.timedelta(days=days)
    return [[first + i * HOUR] for i in range(days * 24)]


def evaluate_pooled(db: Db, rule: Rule, start: dt.datetime, end: dt.datetime) -> list[Any]:
    """Observations of a pooled rule for the window [start, end)."""

    days = int(project_vars().get("alert_baseline_days") or 7)
    if rule.metric.name == "slow_call_rate":
        return _slow_calls(db, rule, start, end, days)
    series = _series(rule)
    cols = sorted({c for s in series for c in (s.value_col, s.trials_col) if c} | {"request_count"})
    rows = db.rows(
        f"select scope_key, provider, model_id, activity_hour, {', '.join(cols)} from {MART} "
        "where scope_type = ? and activity_hour >= ? and activity_hour < ? order by scope_key, activity_hour",
        (rule.scope, start - dt.timedelta(days=days), end),
    )
    by_scope: dict[str, dict[dt.datetime, dict[str, Any]]] = {}
    names: dict[str, tuple[Any, Any]] = {}
    for row in rows:
        by_scope.setdefault(row[0], {})[row[3]] = dict(zip(cols, row[4:], strict=True))
        names[row[0]] = (row[1], row[2])
    window = [start + i * HOUR for i in range(int((end - start) / HOUR))]
    samples = _baseline_windows(rule, start, end, days)
    out = []
    for key, hours in by_scope.items():
        here = [hours[h] for h in window if h in hours]
        if not here:
            continue
        history = [[hours[h] for h in w] for w in samples if all(h in hours for h in w)]
        base_hours = len(history)  # days (same_hour) or hours (trailing), as min_baseline_hours counts
        provider, model = names[key]
        for s in series:
            scope = {"provider": provider, "model": model} if rule.scope == "provider_model" else {}
            o = Observation(rule, key + s.suffix, {**scope, **s.extra}, start, end, UNKNOWN)
            judge(o, s, here, history, base_hours, len(window))
            out.append(o)
    return out


def _slow_calls(db: Db, rule: Rule, start: dt.datetime, end: dt.datetime, days: int) -> list[Any]:
    """Latency doubling as a sign test: calls slower than factor x the baseline median, k of n.

    A p95 of the 3 calls of a quiet night is its slowest call, so comparing percentiles pages on
    noise; counting calls beyond twice the usual median is a binomial count at any traffic, and when
    latency doubles about half of the calls are beyond it (against a few percent normally).
    """

    factor = float(project_vars().get("alert_slow_call_factor") or 2)
    key, group = {
        "overall": ("'overall'", ""),
        "provider_model": ("provider || '/' || model_id", "group by provider, model_id"),
    }[rule.scope]
    same = rule.baseline == "same_hour"
    hour_filter = "extract(hour from request_hour) = ?" if same else "1 = 1"
    hour_arg: tuple[Any, ...] = (start.hour,) if same else ()
    first = start - dt.timedelta(days=days)
    tail = (start, start, factor, start, start, factor, start)
    rows = db.rows(
        f"""
        with base as (
            select {key} as scope_key,
                percentile_cont(0.5) within group (order by total_latency_ms) as median_ms
            from {REQUESTS}
            where request_hour >= ? and request_hour < ? and {hour_filter} and total_latency_ms is not null
            {group}
        ),
        calls as (
            select {key} as scope_key, provider, model_id, request_hour, total_latency_ms from {REQUESTS}
            where request_hour >= ? and request_hour < ? and total_latency_ms is not null
                and (request_hour >= ? or {hour_filter})
        )
        select calls.scope_key, min(calls.provider), min(calls.model_id),
            sum(case when request_hour >= ? then 1 else 0 end),
            sum(case when request_hour >= ? and total_latency_ms > ? * median_ms then 1 else 0 end),
            sum(case when request_hour < ? then 1 else 0 end),
            sum(case when request_hour < ? and total_latency_ms > ? * median_ms then 1 else 0 end),
            count(distinct case when request_hour < ? then request_hour end)
        from calls inner join base on calls.scope_key = base.scope_key
        group by calls.scope_key
        order by calls.scope_key
        """,
        [first, start, *hour_arg, first, end, start, *hour_arg, *tail],
    )
    out = []
    for scope_key, provider, model, n, k, nb, kb, base_hours in rows:
        if not n:
            continue
        scope = {"provider": provider, "model": model} if rule.scope == "provider_model" else {}
        o = Observation(rule, str(scope_key), scope, start, end, UNKNOWN)
        here = [{"k": k, "n": n, "request_count": n}]
        history = [[{"k": kb, "n": nb, "request_count": nb}]]
        judge(o, Series("", {}, "k", "n"), here, history, int(base_hours or 0), 1)
        out.append(o)
    return out


def _sum(rows: Sequence[dict[str, Any]], col: str | None) -> float:
    return sum(float(r[col] or 0) for r in rows) if col else 0.0


def _observe(
    o: Any, s: Series, here: Sequence[dict[str, Any]], history: Sequence[Sequence[dict[str, Any]]], width: int
) -> None:
    """The window's value and the baseline it is compared with: a rate as k of n against the pooled
    (smoothed) baseline rate, a count or amount against the mean of the baseline windows."""
    r = o.rule
    k = _sum(here, s.value_col)
    flat = [row for w in history for row in w]
    if s.trials_col:  # a rate: k of n
        n = _sum(here, s.trials_col)
        o.successes, o.samples = k, n
        o.value = k / n if n else None
        kb, nb = _sum(flat, s.value_col), _sum(flat, s.trials_col)
        o.baseline_mean = (kb + SMOOTHING) / (nb + 1) if history else None
    else:  # a count or an amount: the window's sum against the mean of the baseline windows
        o.value = k
        # the trailing samples are single hours: scale their mean to the window's length
        per = width if r.baseline == "trailing" else 1
        o.baseline_mean = (_sum(flat, s.value_col) / len(history)) * per if history else None
        o.samples = o.baseline_mean if r.metric.kind == "count" else _sum(here, "request_count")


def _wilson(o: Any, k: int, floor_ok: bool) -> Any:
    """Wilson's interval is generous at one or two calls (1 failure in 1 call has a 99% lower bound
    of 13%, yet happens 1 time in 20 at a 5% rate), so the exact binomial tail against the threshold
    must also be below alpha: a thin hour cannot page on one failed call."""
    r, c = o.rule, o.rule.condition
    n = int(o.samples or 0)
    lo, hi = stats.wilson_interval(k, n, r.confidence)
    up = c.op in (">", ">=")
    o.bound = lo if up else hi
    o.threshold = c.number
    p = min(1.0, max(0.0, c.number))
    o.p_value = stats.binomial_sf(k, n, p) if up else stats.binomial_cdf(k, n, p)
    o.status = FIRING if c.holds(o.bound) and o.p_value < (r.alpha or 0) and floor_ok else OK
    return o


def judge(
    o: Any,
    s: Series,
    here: Sequence[dict[str, Any]],
    history: Sequence[Sequence[dict[str, Any]]],
    base_hours: int,
    width: int,
) -> Any:
    """Apply the rule's condition to one series: the window's rows against the baseline samples."""
    r, c = o.rule, o.rule.condition
    k = _sum(here, s.value_col)
    flat = [row for w in history for row in w]
    _observe(o, s, here, history, width)
    if o.value is None:
        o.reason = "no value in the window"
        return o
    if (o.samples or 0) < r.min_samples:
        o.reason = f"{o.samples:g} samples < min_samples {r.min_samples}"
        return o
    floor_ok = r.min_value is None or o.value >= r.min_value
    if c.kind == "threshold":
        o.threshold = c.number
        o.status = FIRING if c.holds(o.value) and floor_ok else OK
        return o
    if c.kind == "wilson":
        return _wilson(o, int(k), floor_ok)
    if base_hours < r.min_baseline_hours or o.baseline_mean is None:
        o.reason = f"{base_hours} baseline hours < min_baseline_hours {r.min_baseline_hours}"
        return o
    expected = o.baseline_mean
    if c.kind == "poisson":  # smoothed like the rates: a week without calls expects a few, not none
        per = width if r.baseline == "trailing" else 1
        expected = (_sum(flat, s.value_col) + SMOOTHING) / len(history) * per
    o.threshold = c.number * expected
    if c.kind == "multiple":
        ratio = o.value / o.baseline_mean if o.baseline_mean else (0.0 if o.value == 0 else float("inf"))
        o.status = FIRING if c.holds(ratio) and floor_ok else OK
        return o
    up = c.op in (">", ">=")
    if c.kind == "binomial":
        p0 = min(1.0, o.threshold)
        n = int(o.samples or 0)
        o.p_value = stats.binomial_sf(int(k), n, p0) if up else stats.binomial_cdf(int(k), n, p0)
    else:
        o.p_value = stats.poisson_sf(int(k), o.threshold) if up else stats.poisson_cdf(int(k), o.threshold)
    o.status = FIRING if o.p_value < (r.alpha or 0) and floor_ok else OK
    return o
