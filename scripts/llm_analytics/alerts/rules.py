"""The alert rules file (alerts.yml) and the catalogue of metrics a rule may watch.

A rules file is checked whole before anything runs, so a typo never half-evaluates a schedule:
every problem names the file, the rule and what is wrong.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..project import UserError

MART = "marts.mart_alert_metrics_hourly"
SESSIONS = "marts.fct_llm_sessions"
REQUESTS = "marts.fct_llm_requests"
SEVERITIES = ("info", "warning", "high", "critical")
OPERATORS = (">=", "<=", ">", "<")
NOTIFIER_TYPES = ("stdout", "jsonl", "webhook")
# Baselines the hourly mart carries (column prefix after the metric name), and how many hours of
# history each needs by default before a baseline condition may fire.
BASELINES = {"trailing": "baseline", "same_hour": "same_hour"}
# conditions that test the evidence rather than compare a number (alerts/pooled.py, alerts/stats.py)
STATISTICAL = ("wilson", "binomial", "poisson")
MIN_BASELINE_HOURS = {"trailing": 24, "same_hour": 7}


@dataclass(frozen=True)
class Metric:
    """One metric the marts provide, where it is read from and what a rule may do with it."""

    name: str
    source: str
    scopes: tuple[str, ...]
    unit: str
    samples: str
    description: str
    hourly_only: bool = False  # percentiles of hours do not add up: the window must be 1h
    has_baseline: bool = False  # the mart carries baselines (trailing, same hour): mean, stddev, z-score
    # how the statistical conditions see it (alerts/pooled.py): 'rate' (successes of trials: wilson,
    # binomial), 'count' (events: poisson), 'amount' (a sum: baseline multiples); '' none of them
    kind: str = ""


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric(
            "request_count",
            MART,
            ("overall", "provider_model"),
            "requests",
            "the expected requests (the baseline mean), so a drop to zero still counts",
            "Valid LLM calls in the window.",
            has_baseline=True,
            kind="count",
        ),
        Metric(
            "latency_p95_ms",
            MART,
            ("overall", "provider_model"),
            "ms",
            "requests in the window",
            "Exact 95th percentile of total latency in the hour.",
            hourly_only=True,
            has_baseline=True,
        ),
        Metric(
            "ttft_p95_ms",
            MART,
            ("overall", "provider_model"),
            "ms",
            "requests in the window",
            "Exact 95th percentile of time to first token (streamed calls) in the hour.",
            hourly_only=True,
            has_baseline=True,
        ),
        Metric(
            "error_rate",
            MART,
            ("overall", "provider_model"),
            "",
            "requests in the window",
            "Failed calls / calls in the window (0..1).",
            has_baseline=True,
            kind="rate",
        ),
        Metric(
            "cost_usd",
            MART,
            ("overall", "provider_model"),
            "USD",
            "requests in the window",
            "Cost of the priced calls in the window.",
            has_baseline=True,
            kind="amount",
        ),
        Metric(
            "total_tokens",
            MART,
            ("overall", "provider_model"),
            "tokens",
            "requests in the window",
            "Prompt + completion tokens of the window's calls.",
            kind="amount",
        ),
        Metric(
            "thumbs_down_rate",
            MART,
            ("overall", "provider_model"),
            "",
            "thumbs (up or down) in the window",
            "Thumbs down / thumbs given to the window's calls (0..1).",
            kind="rate",
        ),
        Metric(
            "regeneration_rate",
            MART,
            ("overall", "provider_model"),
            "",
            "requests in the window",
            "Calls that regenerated an earlier answer / calls (0..1).",
            kind="rate",
        ),
        Metric(
            "slow_call_rate",
            REQUESTS,
            ("overall", "provider_model"),
            "",
            "requests in the window",
            "Calls slower than var alert_slow_call_factor (2) x the baseline's median latency / calls: "
            "about half of them when latency has doubled.",
            hourly_only=True,
            kind="rate",
        ),
        *(
            Metric(
                f"version_{what}",
                REQUESTS,
                ("provider_model",),
                "",
                "calls of the new version (thumbs of them for thumbs_down)",
                f"{text} of a model's newest model_version since its first call, against the previous "
                "version's in the alert_baseline_days days before it (alerts/drift.py).",
                kind="rate",
            )
            for what, text in (
                ("slow_call_rate", "Share of calls slower than alert_slow_call_factor x the previous median"),
                ("regeneration_rate", "Share of calls regenerating an earlier answer"),
                ("thumbs_down_rate", "Thumbs down / thumbs"),
            )
        ),
        Metric(
            "error_type_rate",
            MART,
            ("overall", "provider_model"),
            "",
            "requests in the window",
            "Calls failed with one error type / calls, one scope per type in var error_types (0..1).",
            kind="rate",
        ),
        Metric(
            "avg_rating",
            MART,
            ("overall", "provider_model"),
            "",
            "1-5 ratings in the window",
            "Mean 1-5 rating given to the window's calls.",
            has_baseline=True,
        ),
        Metric(
            "session_cost_usd",
            SESSIONS,
            ("session",),
            "USD",
            "calls in the session",
            "Whole cost of each session active in the window (fct_llm_sessions.cost_usd).",
        ),
        Metric(
            "spend_usd",
            REQUESTS,
            ("overall", "provider_model", "feature", "user"),
            "USD",
            "calls in the window and scope",
            "Cost of the calls in the window per scope (anonymous calls have no user scope).",
        ),
    ]
}


@dataclass(frozen=True)
class Condition:
    """`> 8000` (threshold), `> 2x baseline` (multiple of the baseline mean), `zscore > 3`, or a
    statistical one (alerts/pooled.py): `wilson > 0.05` (the rate's confidence bound beyond a number),
    `binomial > 2x baseline` (a rate significantly beyond a multiple of its baseline rate),
    `poisson > 3x baseline` (a count significantly beyond a multiple of its baseline mean)."""

    kind: str  # threshold | multiple | zscore | wilson | binomial | poisson
    op: str
    number: float
    text: str

    def holds(self, value: float) -> bool:
        return {
            ">": value > self.number,
            "<": value < self.number,
            ">=": value >= self.number,
            "<=": value <= self.number,
        }[self.op]


@dataclass(frozen=True)
class Window:
    """Whole hours ending at the evaluated hour, or `today`: the UTC day of the evaluated hour."""

    text: str
    hours: int  # 0 for today

    def bounds(self, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        if self.hours == 0:
            day = (end - dt.timedelta(hours=1)).replace(hour=0, minute=0, second=0, microsecond=0)
            return day, end
        return end - dt.timedelta(hours=self.hours), end


@dataclass(frozen=True)
class Rule:
    name: str
    metric: Metric
    scope: str
    condition: Condition
    window: Window
    min_samples: int
    severity: str
    cooldown: dt.timedelta
    notify: tuple[str, ...]
    min_baseline_hours: int = 24
    description: str = ""
    baseline: str = "trailing"  # trailing | same_hour: which of the mart's baselines conditions use
    alpha: float | None = None  # binomial / poisson: fire when the one-sided p-value is below this
    confidence: float | None = None  # wilson: two-sided level of the interval whose bound is compared
    min_value: float | None = None  # the value must also reach this (an absolute floor: USD, tokens)

    @property
    def pooled(self) -> bool:
        """Evaluated from the mart's counts with baselines pooled in Python (alerts/pooled.py)."""
        return (
            self.condition.kind in STATISTICAL
            or self.min_value is not None
            or (self.condition.kind == "multiple" and self.window.hours != 1)
            or (self.metric.kind != "" and not self.metric.has_baseline)
        )


@dataclass(frozen=True)
class Notifier:
    name: str
    type: str
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleSet:
    path: Path
    rules: tuple[Rule, ...]
    notifiers: dict[str, Notifier]


DEFAULTS: dict[str, Any] = {"window": "1h", "min_samples": 0, "cooldown": "6h", "notify": ["stdout"]}
RULE_KEYS = {
    "name",
    "metric",
    "scope",
    "condition",
    "window",
    "min_samples",
    "severity",
    "cooldown",
    "notify",
    "min_baseline_hours",
    "baseline",
    "description",
    "alpha",
    "confidence",
    "min_value",
}
REQUIRED = ("name", "metric", "scope", "condition", "severity")
_NUM = r"-?\d+(?:\.\d+)?"
_OP = r"(>=|<=|>|<)"
_CONDITIONS = [
    ("threshold", re.compile(rf"^{_OP}\s*({_NUM})$")),
    ("multiple", re.compile(rf"^{_OP}\s*({_NUM})\s*[x×]\s*baseline$")),
    ("zscore", re.compile(rf"^zscore\s*{_OP}\s*({_NUM})$")),
    ("wilson", re.compile(rf"^wilson\s*{_OP}\s*({_NUM})$")),
    ("binomial", re.compile(rf"^binomial\s*{_OP}\s*({_NUM})\s*[x×]\s*baseline$")),
    ("poisson", re.compile(rf"^poisson\s*{_OP}\s*({_NUM})\s*[x×]\s*baseline$")),
]
_DURATION = re.compile(r"^(-?\d+)\s*([mhd])$")


class RulesError(UserError):
    """A rules file that cannot be used: nothing is evaluated."""


def parse_duration(text: Any, what: str, allow_zero: bool) -> dt.timedelta:
    """`30m`, `6h`, `2d`: the units people write in cron-adjacent configs."""
    m = _DURATION.match(str(text).strip())
    if not m:
        raise ValueError(f"{what} {text!r} is not a duration like 30m, 6h or 1d")
    n = int(m.group(1))
    if n < 0 or (n == 0 and not allow_zero):
        raise ValueError(f"{what} {text!r} must be positive")
    unit = {"m": "minutes", "h": "hours", "d": "days"}[m.group(2)]
    return dt.timedelta(**{unit: n})


def format_duration(delta: dt.timedelta) -> str:
    """The way alerts.yml writes it: 6h rather than 6:00:00."""
    minutes = int(delta.total_seconds() // 60)
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes and minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


def parse_condition(text: Any) -> Condition:
    s = str(text).strip()
    for kind, pattern in _CONDITIONS:
        m = pattern.match(s)
        if m:
            return Condition(kind, m.group(1), float(m.group(2)), s)
    op = re.match(r"^(?:(?:zscore|wilson|binomial|poisson)\s*)?([=!<>]+)", s)
    if op and op.group(1) not in OPERATORS:
        raise ValueError(f"condition {s!r}: operator {op.group(1)!r} is not one of {', '.join(OPERATORS)}")
    raise ValueError(
        f"condition {s!r} is not one of '> 8000' (a number), '> 2x baseline' (a multiple of the "
        "baseline mean), 'zscore > 3' (against the baseline), 'wilson > 0.05', 'binomial > 2x baseline' "
        "or 'poisson > 3x baseline'; operators: " + ", ".join(OPERATORS)
    )


def parse_window(text: Any) -> Window:
    s = str(text).strip()
    if s == "today":
        return Window(s, 0)
    delta = parse_duration(s, "window", allow_zero=False)
    if delta % dt.timedelta(hours=1):
        raise ValueError(f"window {s!r} must be whole hours (alerts read hourly marts)")
    return Window(s, int(delta / dt.timedelta(hours=1)))


def _rule(raw: dict[str, Any], defaults: dict[str, Any], notifiers: dict[str, Notifier]) -> Rule:
    unknown = sorted(set(raw) - RULE_KEYS)
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)} (fields: {', '.join(sorted(RULE_KEYS))})")
    missing = [k for k in REQUIRED if raw.get(k) in (None, "")]
    if missing:
        raise ValueError(f"missing field(s): {', '.join(missing)}")
    spec = {**defaults, **raw}
    metric = METRICS.get(str(spec["metric"]))
    if metric is None:
        raise ValueError(f"unknown metric {spec['metric']!r} (known: {', '.join(METRICS)})")
    scope = str(spec["scope"])
    if scope not in metric.scopes:
        raise ValueError(f"metric {metric.name} has no scope {scope!r} (scopes: {', '.join(metric.scopes)})")
    condition = parse_condition(spec["condition"])
    window = parse_window(spec["window"])
    if metric.hourly_only and window.hours != 1:
        raise ValueError(f"metric {metric.name} is an hourly percentile: window must be 1h")
    if metric.source == MART and window.hours == 0:
        raise ValueError(f"window 'today' is for spend_usd and session_cost_usd, not {metric.name}")
    stat = _statistical(metric, condition, spec)
    if condition.kind in ("multiple", "zscore"):
        if not (metric.has_baseline or metric.kind):
            raise ValueError(f"metric {metric.name} has no baseline: use a number, like '> 0.5'")
        if condition.kind == "zscore" and not metric.has_baseline:
            raise ValueError(f"metric {metric.name} has no z-score: use '> 2x baseline' or a test")
        if window.hours != 1 and not (metric.kind and condition.kind == "multiple"):
            raise ValueError("baseline conditions compare one hour with its baseline: window must be 1h")
    if stat["min_value"] is not None and metric.source != MART:
        raise ValueError("min_value is for hourly metrics (use the condition's number for the others)")
    baseline = str(spec.get("baseline") or "trailing")
    if baseline not in BASELINES:
        raise ValueError(f"baseline {baseline!r} is not one of {', '.join(BASELINES)}")
    severity = str(spec["severity"])
    if severity not in SEVERITIES:
        raise ValueError(f"severity {severity!r} is not one of {', '.join(SEVERITIES)}")
    for key in ("min_samples", "min_baseline_hours"):
        value = spec.get(key, MIN_BASELINE_HOURS[baseline] if key == "min_baseline_hours" else 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{key} {value!r} must be a whole number >= 0")
    notify = _notify_list(spec["notify"], notifiers)
    return Rule(
        name=str(spec["name"]),
        metric=metric,
        scope=scope,
        condition=condition,
        window=window,
        min_samples=int(spec["min_samples"]),
        severity=severity,
        cooldown=parse_duration(spec["cooldown"], "cooldown", allow_zero=True),
        notify=tuple(str(n) for n in notify),
        min_baseline_hours=int(spec.get("min_baseline_hours", MIN_BASELINE_HOURS[baseline])),
        description=str(spec.get("description") or ""),
        baseline=baseline,
        **stat,
    )


def _notify_list(notify: Any, notifiers: dict[str, Notifier]) -> list[str]:
    """The rule's notifiers: one name or a list, each defined under notifiers."""
    if isinstance(notify, str):
        notify = [notify]
    if not isinstance(notify, list) or not notify:
        raise ValueError("notify must be a list of notifier names")
    for n in notify:
        if n not in notifiers:
            raise ValueError(f"notify: no notifier named {n!r} (defined: {', '.join(notifiers)})")
    return [str(n) for n in notify]


def _statistical(metric: Metric, condition: Condition, spec: dict[str, Any]) -> dict[str, float | None]:
    """alpha / confidence / min_value, checked against the condition that uses them."""
    out: dict[str, float | None] = {}
    for key, lo, hi in (("alpha", 0.0, 0.5), ("confidence", 0.5, 1.0), ("min_value", None, None)):
        value = spec.get(key)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise ValueError(f"{key} {value!r} must be a number")
        if value is not None and lo is not None and hi is not None and not lo < value < hi:
            raise ValueError(f"{key} {value!r} must be between {lo:g} and {hi:g}")
        out[key] = None if value is None else float(value)
    need = {
        "wilson": ("rate", ("confidence", "alpha")),
        "binomial": ("rate", ("alpha",)),
        "poisson": ("count", ("alpha",)),
    }
    if condition.kind in need:
        kind, keys = need[condition.kind]
        if metric.kind != kind:
            raise ValueError(
                f"condition {condition.text!r} tests a {kind}; {metric.name} is not one "
                f"(wilson and binomial are for rates, poisson for request_count)"
            )
        for key in keys:
            if out[key] is None:
                raise ValueError(f"condition {condition.text!r} needs {key} (on the rule or under defaults:)")
    return out


def _notifier(name: str, raw: Any) -> Notifier:
    if not isinstance(raw, dict) or raw.get("type") not in NOTIFIER_TYPES:
        raise ValueError(f"type must be one of {', '.join(NOTIFIER_TYPES)}")
    settings = {k: v for k, v in raw.items() if k != "type"}
    if raw["type"] == "jsonl" and not settings.get("path"):
        raise ValueError("a jsonl notifier needs a path")
    if raw["type"] == "webhook" and not (settings.get("url") or settings.get("url_env")):
        raise ValueError("a webhook notifier needs url or url_env (the environment variable holding it)")
    for key in ("timeout_seconds", "backoff_seconds"):
        if key in settings and (not isinstance(settings[key], int | float) or settings[key] < 0):
            raise ValueError(f"{key} must be a number >= 0")
    if "retries" in settings and (not isinstance(settings["retries"], int) or settings["retries"] < 0):
        raise ValueError("retries must be a whole number >= 0")
    return Notifier(name, str(raw["type"]), settings)


def load_rules(path: Path) -> RuleSet:
    """Read and check the whole rules file; any problem raises RulesError naming file and rule."""
    if not path.exists():
        raise RulesError(f"{path}: rules file not found (pass --rules PATH)")
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise RulesError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise RulesError(f"{path}: expected a mapping with a 'rules:' list")
    notifiers = {"stdout": Notifier("stdout", "stdout")}
    for name, raw in (doc.get("notifiers") or {}).items():
        try:
            notifiers[str(name)] = _notifier(str(name), raw)
        except ValueError as exc:
            raise RulesError(f"{path}: notifier {name!r}: {exc}") from exc
    defaults = {**DEFAULTS, **(doc.get("defaults") or {})}
    rules: list[Rule] = []
    for i, raw in enumerate(doc["rules"], start=1):
        label = raw.get("name") if isinstance(raw, dict) and raw.get("name") else f"#{i}"
        if not isinstance(raw, dict):
            raise RulesError(f"{path}: rule {label}: expected a mapping of fields")
        try:
            rule = _rule(raw, defaults, notifiers)
        except ValueError as exc:
            raise RulesError(f"{path}: rule {label}: {exc}") from exc
        if any(r.name == rule.name for r in rules):
            raise RulesError(f"{path}: rule {label}: the name is used twice")
        rules.append(rule)
    return RuleSet(path, tuple(rules), notifiers)


def webhook_url(notifier: Notifier) -> str | None:
    """The URL from the file or from the environment (so secrets stay out of alerts.yml)."""
    if notifier.settings.get("url"):
        return str(notifier.settings["url"])
    return os.environ.get(str(notifier.settings.get("url_env")))
