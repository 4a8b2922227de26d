"""Evaluate one rule over one window: read the marts, apply min_samples and the condition.

Every observation says whether it fires, is ok, or is unknown (too few samples or too little
baseline history): unknown never fires and never resolves, so a quiet night neither pages nor
closes an incident that is still open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..warehouse import Db
from .drift import evaluate_drift
from .observation import FIRING, OK, UNKNOWN, Observation
from .pooled import evaluate_pooled
from .rules import BASELINES, MART, REQUESTS, SESSIONS, Rule


@dataclass
class Evaluation:
    """All observations of one rule at one window end; `complete` = absent scopes are known to be ok."""

    rule: Rule
    window_start: dt.datetime
    window_end: dt.datetime
    observations: list[Observation] = field(default_factory=list)
    complete: bool = False

    @property
    def firing(self) -> list[Observation]:
        return [o for o in self.observations if o.firing]


def evaluate(db: Db, rule: Rule, end: dt.datetime) -> Evaluation:
    """The rule's window ends at `end` (a whole UTC hour)."""
    start, end = rule.window.bounds(end)
    ev = Evaluation(rule, start, end)
    if rule.pooled and rule.metric.name.startswith("version_"):
        ev.observations = evaluate_drift(db, rule, start, end)
    elif rule.pooled:
        ev.observations = evaluate_pooled(db, rule, start, end)
    elif rule.metric.source == MART:
        ev.observations = _mart(db, rule, start, end)
    else:
        ev.observations = _entities(db, rule, start, end)
        ev.complete = True
    return ev


def _num(v: Any) -> float | None:
    return None if v is None else float(v)


def _mart(db: Db, rule: Rule, start: dt.datetime, end: dt.datetime) -> list[Observation]:
    """Hourly metrics with the rule's baseline; windows over several hours are summed exactly."""
    m = rule.metric.name
    b = f"{m}_{BASELINES[rule.baseline]}"
    z = f"{m}_zscore" if rule.baseline == "trailing" else f"{b}_zscore"
    rows = db.rows(
        f"select scope_key, provider, model_id, request_count, error_count, rating_count, {m}, "
        f"{b}_mean, {b}_stddev, {b}_hours, {z} "
        f"from {MART} where scope_type = ? and activity_hour >= ? and activity_hour < ? order by scope_key",
        (rule.scope, start, end),
    )
    by_scope: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_scope.setdefault(row[0], []).append(row)
    out = []
    for key, hours in by_scope.items():
        scope = {"provider": hours[0][1], "model": hours[0][2]} if rule.scope == "provider_model" else {}
        o = Observation(rule, key, scope, start, end, UNKNOWN)
        requests = sum(int(h[3] or 0) for h in hours)
        errors = sum(int(h[4] or 0) for h in hours)
        ratings = sum(int(h[5] or 0) for h in hours)
        if len(hours) == 1:
            h = hours[0]
            o.value, o.baseline_mean, o.baseline_stddev, o.zscore = (
                _num(h[6]),
                _num(h[7]),
                _num(h[8]),
                _num(h[10]),
            )
            baseline_hours = int(h[9] or 0)
        else:  # several hours: only additive metrics get here (percentiles are hourly-only)
            baseline_hours = 0
            if m == "request_count":
                o.value = float(requests)
            elif m == "cost_usd":
                o.value = sum(float(h[6] or 0) for h in hours)
            elif m == "error_rate":
                o.value = errors / requests if requests else None
            elif m == "avg_rating":
                o.value = (
                    sum(float(h[6]) * int(h[5]) for h in hours if h[6] is not None) / ratings
                    if ratings
                    else None
                )
        if m == "request_count":
            o.samples = sum(float(h[7] or 0) for h in hours)
        elif m == "avg_rating":
            o.samples = float(ratings)
        else:
            o.samples = float(requests)
        out.append(_judge(o, baseline_hours))
    return out


def _judge(o: Observation, baseline_hours: int) -> Observation:
    r, c = o.rule, o.rule.condition
    if o.value is None:
        o.reason = "no value in the window"
        return o
    if (o.samples or 0) < r.min_samples:
        o.reason = f"{o.samples:g} samples < min_samples {r.min_samples}"
        return o
    if c.kind == "threshold":
        o.threshold = c.number
        o.status = FIRING if c.holds(o.value) else OK
        return o
    if baseline_hours < r.min_baseline_hours or o.baseline_mean is None:
        o.reason = f"{baseline_hours} baseline hours < min_baseline_hours {r.min_baseline_hours}"
        return o
    if c.kind == "multiple":
        o.threshold = c.number * o.baseline_mean
        o.status = FIRING if c.holds(o.value / o.baseline_mean if o.baseline_mean else float("inf")) else OK
        if o.baseline_mean == 0 and o.value == 0:
            o.status = OK
        return o
    if o.zscore is None:
        o.reason = "the baseline does not vary (no z-score)"
        return o
    o.threshold = o.baseline_mean + c.number * (o.baseline_stddev or 0)
    o.status = FIRING if c.holds(o.zscore) else OK
    return o


def _entities(db: Db, rule: Rule, start: dt.datetime, end: dt.datetime) -> list[Observation]:
    """Sessions, users, features: only the firing ones come back (the filter runs in the warehouse)."""
    c = rule.condition  # op is one of four validated strings: safe to place in SQL
    if rule.metric.source == SESSIONS:
        rows = db.rows(
            f"select session_id, user_id, feature_id, cost_usd, request_count from {SESSIONS} "
            f"where started_at < ? and ended_at >= ? and request_count >= ? and cost_usd {c.op} ? "
            "order by cost_usd desc",
            (end, start, rule.min_samples, c.number),
        )
        return [
            Observation(
                rule,
                str(sid),
                {"session": sid, "user": uid, "feature": fid},
                start,
                end,
                FIRING,
                value=float(cost),
                threshold=c.number,
                samples=float(n),
            )
            for sid, uid, fid, cost, n in rows
        ]
    key, extra, group, where = {
        "overall": ("'overall'", "cast(null as varchar)", "", ""),
        "provider_model": ("provider || '/' || model_id", "provider", "group by provider, model_id", ""),
        "feature": ("feature_id", "feature_id", "group by feature_id", ""),
        "user": ("user_id", "user_id", "group by user_id", "and user_id is not null"),
    }[rule.scope]
    rows = db.rows(
        f"select {key}, {extra}, coalesce(sum(cost_usd), 0), count(*) from {REQUESTS} "
        f"where occurred_at >= ? and occurred_at < ? {where} {group} "
        f"having count(*) >= ? and coalesce(sum(cost_usd), 0) {c.op} ? order by 3 desc",
        (start, end, rule.min_samples, c.number),
    )
    out = []
    for k, x, cost, n in rows:
        scope = {"provider_model": {"provider": x, "model": str(k).split("/", 1)[-1]}}.get(
            rule.scope, {rule.scope: x} if rule.scope != "overall" else {}
        )
        out.append(
            Observation(rule, str(k), scope, start, end, FIRING, float(cost), c.number, samples=float(n))
        )
    return out
