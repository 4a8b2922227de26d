"""What a rule saw in one scope and window, and how it is worded for a person on call: the
vocabulary shared by evaluation (evaluate.py), the statistical conditions (pooled.py, drift.py),
state and backtests, kept apart from all of them so none imports another to reach it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .rules import STATISTICAL, Rule

FIRING, OK, UNKNOWN = "firing", "ok", "unknown"


@dataclass
class Observation:
    """A rule's verdict on one scope in one window, with what it saw and what it compared against."""

    rule: Rule
    scope_key: str
    scope: dict[str, str]
    window_start: dt.datetime
    window_end: dt.datetime
    status: str
    value: float | None = None
    threshold: float | None = None
    baseline_mean: float | None = None
    baseline_stddev: float | None = None
    zscore: float | None = None
    samples: float | None = None
    reason: str = ""
    successes: float | None = None  # rates: the k of k-of-n (samples is n)
    p_value: float | None = None  # binomial / poisson conditions
    bound: float | None = None  # wilson conditions: the interval bound compared with the threshold

    @property
    def firing(self) -> bool:
        return self.status == FIRING

    def sentence(self) -> str:
        """One line a person on call can act on without opening the warehouse."""
        r, m = self.rule, self.rule.metric
        where = scope_label(self.scope_key, self.scope, r.scope)
        window = window_label(self)
        seen = f"{metric_label(m.name)} was {fmt_value(self.value, m.unit)}"
        base = "same-hour" if r.baseline == "same_hour" else "trailing"
        if r.condition.kind in STATISTICAL:
            cmp = sentence_tail(self, base, fmt_value)
        elif r.condition.kind == "threshold":
            cmp = f"threshold {r.condition.op} {fmt_value(r.condition.number, m.unit)}"
        elif r.condition.kind == "multiple":
            ratio = (self.value or 0) / self.baseline_mean if self.baseline_mean else float("nan")
            cmp = (
                f"{ratio:.1f}x its {base} mean of {fmt_value(self.baseline_mean, m.unit)}; "
                f"threshold {r.condition.op} {r.condition.number:g}x"
            )
        else:
            cmp = (
                f"z-score {self.zscore:+.1f} against a {base} mean of "
                f"{fmt_value(self.baseline_mean, m.unit)}; "
                f"threshold z {r.condition.op} {r.condition.number:g}"
            )
        if r.min_value is not None:
            cmp += f"; floor {fmt_value(r.min_value, m.unit)}"
        if m.name == "session_cost_usd":
            seen = f"session cost {fmt_value(self.value, m.unit)}"
        return f"{where}: {seen} {window} ({cmp})."

    def as_json(self) -> dict[str, Any]:
        r = self.rule
        return {
            "rule": r.name,
            "severity": r.severity,
            "metric": r.metric.name,
            "scope_type": r.scope,
            "scope_key": self.scope_key,
            "scope": self.scope,
            "status": self.status,
            "value": self.value,
            "condition": r.condition.text,
            "threshold": self.threshold,
            "baseline_mean": self.baseline_mean,
            "baseline_stddev": self.baseline_stddev,
            "zscore": self.zscore,
            "samples": self.samples,
            "successes": self.successes,
            "p_value": self.p_value,
            "bound": self.bound,
            "window": r.window.text,
            "window_start": self.window_start.isoformat(sep=" "),
            "window_end": self.window_end.isoformat(sep=" "),
            "message": self.sentence() if self.status == FIRING else self.reason,
        }


def metric_label(name: str) -> str:
    return {
        "request_count": "request count",
        "latency_p95_ms": "latency p95",
        "ttft_p95_ms": "time to first token p95",
        "error_rate": "error rate",
        "cost_usd": "cost",
        "avg_rating": "average rating",
        "spend_usd": "spend",
        "total_tokens": "tokens",
        "thumbs_down_rate": "thumbs-down rate",
        "regeneration_rate": "regeneration rate",
        "error_type_rate": "error rate",
    }.get(name, name)


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "USD":
        return f"{value:,.2f} USD"
    if unit == "ms":
        return f"{value:,.0f} ms"
    if unit in ("requests", "tokens"):
        return f"{value:,.0f}"
    return f"{value:.3g}"


def scope_label(key: str, scope: dict[str, str], scope_type: str) -> str:
    """How a person names the scope in a message; state.py words resolved alerts the same way."""
    if scope_type == "overall":
        return "all traffic"
    if scope_type == "session":
        extra = ", ".join(f"{k} {v}" for k, v in scope.items() if k != "session" and v)
        return f"session {key}" + (f" ({extra})" if extra else "")
    return f"{scope_type.replace('_', '/')} {key}"


def window_label(o: Observation) -> str:
    end = o.window_end.strftime("%Y-%m-%d %H:%M")
    if o.rule.metric.name.startswith("version_"):  # drift: every call since the version's first
        return f"since its first call at {o.window_start:%Y-%m-%d %H:%M} up to {end} UTC"
    if o.rule.window.hours == 0:
        return f"on {o.window_start:%Y-%m-%d} up to {end} UTC"
    if o.rule.window.hours == 1:
        return f"in the hour to {end} UTC"
    return f"in the {o.rule.window.hours} hours to {end} UTC"


def fmt_spec(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def sentence_tail(o: Any, base: str, fmt: Any) -> str:
    """The bracketed comparison of a statistical condition, for Observation.sentence."""
    r, c = o.rule, o.rule.condition
    unit = r.metric.unit
    pv, alpha = fmt_spec(o.p_value, ".2g"), fmt_spec(r.alpha, "g")
    if c.kind == "wilson":
        side = "lower" if c.op in (">", ">=") else "upper"
        return (
            f"{fmt_spec(o.successes, ',.0f')} of {fmt_spec(o.samples, ',.0f')}; "
            f"{fmt_spec(r.confidence, '.0%')} interval "
            f"{side} bound {fmt_spec(o.bound, '.3g')}, threshold {c.op} {c.number:g}; p = {pv} at "
            f"{c.number:g}, alpha {alpha}"
        )
    if c.kind == "binomial":
        return (
            f"{fmt_spec(o.successes, ',.0f')} of {fmt_spec(o.samples, ',.0f')} against a {base} rate of "
            f"{fmt_spec(o.baseline_mean, '.3g')}; p = {pv} against {c.number:g}x that rate, alpha {alpha}"
        )
    return (
        f"against a {base} mean of {fmt(o.baseline_mean, unit)}; p = {pv} against "
        f"{c.number:g}x that mean, alpha {alpha}"
    )
