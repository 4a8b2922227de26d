"""The shipped alerts.yml at 10, 300 and 10,000 calls an hour: incidents fire, quiet weeks stay quiet.

Issue 16 §5: minimums tuned on one traffic level silence a smaller product. Here the same rules
file runs against three products that differ only in traffic. Calls are generated one by one
(numpy), with the sample generator's daily and weekly cycle, then aggregated into the two tables
the rules read (`marts.mart_alert_metrics_hourly`, `marts.fct_llm_requests`) in an in-memory
DuckDB by plain SQL written here, independent of the dbt model, and evaluated hour by hour by
`alerts.backtest` exactly as `llm-analytics alerts backtest` does.

Timeline (21 days from a Monday): week 1 is history only, week 2 is quiet (false alarms are
counted there, at most one incident per rule), week 3 holds the planted incidents, each of which
must fire its rule for the right scope at every level.

Not covered here: rules that keep a volume minimum by design (high_latency, slow_first_token,
quality_drop: SLOs for busy hours) and the session / user spend rules, which read
fct_llm_sessions; test_alerts.py covers those on the generated sample.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from llm_analytics.alerts.backtest import RuleReport, backtest
from llm_analytics.alerts.evaluate import evaluate
from llm_analytics.alerts.pooled import project_vars
from llm_analytics.alerts.rules import Rule, load_rules
from llm_analytics.generate import HOUR_W, WEEKDAY_W
from llm_analytics.warehouse import Db

from .conftest import ROOT

START = dt.datetime(2026, 10, 5)  # a Monday
DAYS = 21
HOURS = DAYS * 24
LEVELS = (10, 300, 10_000)
RULES = {r.name: r for r in load_rules(ROOT / "alerts.yml").rules if r.pooled}
# provider, model, share of calls, USD per million tokens, median latency (ms)
MODELS = [
    ("openai", "gpt-4o", 0.4, 5.0, 1200.0),
    ("anthropic", "claude-sonnet", 0.3, 6.0, 1500.0),
    ("google", "gemini-flash", 0.2, 0.5, 600.0),
    ("mistral", "mistral-small", 0.1, 1.0, 800.0),
]
ERROR_RATE, THUMBS_RATE, THUMBS_DOWN_SHARE, REGENERATION_RATE = 0.01, 0.10, 0.2, 0.05


def at(day: int, hour: int) -> dt.datetime:
    return START + dt.timedelta(days=day, hours=hour)


@dataclass(frozen=True)
class Planted:
    """An incident: its hours, the rule that must fire in them, and for which scope."""

    kind: str
    first: dt.datetime
    hours: int
    rule: str
    scope_key: str


def key(m: int) -> str:
    return f"{MODELS[m][0]}/{MODELS[m][1]}"


# the rating drop first (a weekday's thumbs), the others on later weekdays at busy hours
PLANTED = [
    Planted("rating_drop", at(14, 0), 36, "thumbs_down_rise", "overall"),
    Planted("error_burst", at(15, 14), 1, "error_rate", key(1)),
    Planted("error_burst", at(15, 14), 1, "error_type_rise", f"{key(1)}:provider_down"),
    Planted("latency_spike", at(16, 15), 1, "latency_doubling", key(0)),
    Planted("outage", at(17, 14), 1, "request_drop", "overall"),
    Planted("cost_spike", at(17, 20), 1, "cost_spike", "overall"),
    Planted("cost_spike", at(17, 20), 1, "token_spike", "overall"),
    Planted("runaway_script", at(18, 11), 1, "request_spike", key(2)),
    # google's new version all week: latency x2, regenerations 5% -> 20%, thumbs down 20% -> 70%,
    # against the old version's quiet week; the evidence grows with the new version's calls
    Planted("version_drift", at(14, 0), 168, "version_latency_drift", f"{key(2)}@v2"),
    Planted("version_drift", at(14, 0), 168, "version_regeneration_drift", f"{key(2)}@v2"),
    Planted("version_drift", at(14, 0), 168, "version_rating_drift", f"{key(2)}@v2"),
]
DRIFT = at(14, 0)
DRIFT_CHECKS = (6, 24, 48, 96, 168)  # hours after the change at which drift rules are evaluated


def expected_calls(level: int) -> np.ndarray:
    """Mean calls per hour and model: `level` a day on average, shaped by the generator's cycles."""
    hod = np.arange(HOURS) % 24
    dow = (np.arange(HOURS) // 24 + START.weekday()) % 7
    per_hour = level * HOUR_W[hod] / HOUR_W.mean() * WEEKDAY_W[dow] / WEEKDAY_W.mean()
    return per_hour[:, None] * np.array([m[2] for m in MODELS])[None, :]


def generate(level: int, seed: int | None = None) -> pd.DataFrame:
    """One row per call, with the planted incidents applied (seed: the level, unless measuring)."""
    rng = np.random.default_rng(level if seed is None else seed)
    lam = expected_calls(level)
    counts = rng.poisson(lam)

    def hour_of(t: dt.datetime) -> int:
        return int((t - START) / dt.timedelta(hours=1))

    # runaway script: 7x the model's usual calls on top (8x in all); cost spike: a user's long prompts
    run = hour_of(at(18, 11))
    counts[run, 2] += round(7 * lam[run, 2])
    cost_h = hour_of(at(17, 20))
    long_calls = max(3, round(0.5 * lam[cost_h, 0]))
    counts[cost_h, 0] += long_calls
    hour_idx = np.repeat(np.repeat(np.arange(HOURS), len(MODELS)), counts.ravel())
    model_idx = np.repeat(np.tile(np.arange(len(MODELS)), HOURS), counts.ravel())
    n = len(hour_idx)
    median = np.array([m[4] for m in MODELS])[model_idx]
    latency = median * rng.lognormal(0.0, 0.5, n)
    types = project_vars()["error_types"]
    is_error = rng.random(n) < ERROR_RATE
    error_type = np.where(is_error, rng.choice(types, n), None)
    tokens = np.round(rng.lognormal(np.log(1500), 0.8, n) * np.where(rng.random(n) < 0.01, 10, 1))
    thumbs = rng.random(n) < THUMBS_RATE
    down_share = np.full(n, THUMBS_DOWN_SHARE)
    drift = (hour_idx >= hour_of(DRIFT)) & (model_idx == 2)
    regenerated = rng.random(n) < np.where(drift, 0.2, REGENERATION_RATE)
    latency = np.where(drift, latency * 2, latency)

    in_hours = lambda first, hours: (hour_idx >= hour_of(first)) & (hour_idx < hour_of(first) + hours)  # noqa: E731
    # error burst: 60% of anthropic's calls fail with provider_down / rate_limit
    burst = in_hours(at(15, 14), 1) & (model_idx == 1) & (rng.random(n) < 0.6)
    is_error |= burst
    error_type = np.where(burst, rng.choice(["provider_down", "rate_limit"], n), error_type)
    # latency spike: openai x4
    latency = np.where(in_hours(at(16, 15), 1) & (model_idx == 0), latency * 4, latency)
    # cost spike: the long calls are the last ones of that hour and model; together 35x the hour's cost
    mean_cost = float((tokens * np.array([m[3] for m in MODELS])[model_idx] / 1e6).mean())
    hour_cost = 35 * lam[cost_h].sum() * mean_cost
    spike = np.flatnonzero(in_hours(at(17, 20), 1) & (model_idx == 0))[-long_calls:]
    tokens[spike] = np.round(hour_cost / long_calls / MODELS[0][3] * 1e6)
    # rating drop: 80% of thumbs are down for 36 hours
    down_share = np.where(in_hours(at(14, 0), 36), 0.8, down_share)
    down_share = np.where(drift, 0.7, down_share)
    thumbs_down = thumbs & (rng.random(n) < down_share)
    frame = pd.DataFrame(
        {
            "request_hour": pd.to_datetime(START) + pd.to_timedelta(hour_idx, unit="h"),
            "occurred_at": pd.to_datetime(START)
            + pd.to_timedelta(hour_idx * 3600 + rng.random(n) * 3599, unit="s"),
            "model_version": np.where(drift, "v2", "v1"),
            "provider": np.array([m[0] for m in MODELS])[model_idx],
            "model_id": np.array([m[1] for m in MODELS])[model_idx],
            "total_latency_ms": latency,
            "is_error": is_error,
            "error_type": error_type,
            "total_tokens": tokens.astype(np.int64),
            "cost_usd": tokens * np.array([m[3] for m in MODELS])[model_idx] / 1e6,
            "is_regenerated": regenerated,
            "has_thumbs": thumbs,
            "is_thumbs_down": thumbs_down,
            "explicit_rating": np.where(thumbs, np.where(thumbs_down, "down", "up"), None),
        }
    )
    # outage: no call at all for an hour
    return frame[~in_hours(at(17, 14), 1)].reset_index(drop=True)


def warehouse(calls: pd.DataFrame) -> Db:
    """The two tables the rules read, aggregated here with a dense hour spine (as the mart has)."""
    con = duckdb.connect(":memory:")
    con.execute("set TimeZone = 'UTC'")
    con.register("calls", calls)
    con.execute("create schema marts")
    con.execute("create table marts.fct_llm_requests as select * from calls")
    types = project_vars()["error_types"]
    per_type = ", ".join(f"sum(case when error_type = '{t}' then 1 else 0 end) as {t}_count" for t in types)
    counts = (
        "count(*) as request_count, sum(is_error::int) as error_count, sum(total_tokens) as total_tokens, "
        "sum(cost_usd) as cost_usd, sum(is_regenerated::int) as regeneration_count, "
        "sum(has_thumbs::int) as thumbs_count, sum(is_thumbs_down::int) as thumbs_down_count, " + per_type
    )
    zero = ", ".join(
        f"coalesce(a.{c}, 0) as {c}"
        for c in [
            "request_count",
            "error_count",
            "total_tokens",
            "cost_usd",
            "regeneration_count",
            "thumbs_count",
            "thumbs_down_count",
            *(f"{t}_count" for t in types),
        ]
    )
    con.execute(
        f"""
        create table marts.mart_alert_metrics_hourly as
        with hours as (
            select unnest(generate_series(?::timestamp, ?::timestamp, interval 1 hour)) as activity_hour
        ),
        scopes as (
            select distinct 'provider_model' as scope_type, provider || '/' || model_id as scope_key,
                provider, model_id
            from calls
            union all
            select 'overall', 'overall', null, null
        ),
        agg as (
            select request_hour, provider || '/' || model_id as scope_key, {counts}
            from calls group by request_hour, provider, model_id
            union all
            select request_hour, 'overall', {counts} from calls group by request_hour
        )
        select h.activity_hour, s.scope_type, s.scope_key, s.provider, s.model_id, {zero}
        from hours as h cross join scopes as s
        left join agg as a on a.request_hour = h.activity_hour and a.scope_key = s.scope_key
        """,
        [START, at(DAYS - 1, 23)],
    )
    return Db("duckdb", con, read_only=False)


@pytest.fixture(scope="module", params=LEVELS, ids=[f"{n}_per_hour" for n in LEVELS])
def traffic(request: pytest.FixtureRequest) -> tuple[int, Db, pd.DataFrame]:
    calls = generate(request.param)
    return request.param, warehouse(calls), calls


def test_traffic_level_is_what_it_says(traffic: tuple[int, Db, pd.DataFrame]) -> None:
    """The generated product has the traffic named (a test of the test), and the mart adds up."""
    level, db, calls = traffic
    quiet = calls[(calls.request_hour >= at(7, 0)) & (calls.request_hour < at(14, 0))]
    assert len(quiet) / 168 == pytest.approx(level, rel=0.1 if level == 10 else 0.03)
    overall = db.rows(
        "select sum(request_count), sum(thumbs_down_count) from marts.mart_alert_metrics_hourly "
        "where scope_type = 'overall'"
    )[0]
    assert overall == (len(calls), int(calls.is_thumbs_down.sum()))


def test_every_incident_fires(traffic: tuple[int, Db, pd.DataFrame]) -> None:
    level, db, _ = traffic
    missed = []
    for p in PLANTED:
        rule = RULES[p.rule]
        if p.kind == "version_drift":  # a cumulative comparison: a few evaluations suffice
            ends = [p.first + dt.timedelta(hours=h) for h in DRIFT_CHECKS]
            if not any(o.scope_key == p.scope_key for e in ends for o in evaluate(db, rule, e).firing):
                missed.append(f"{p.kind}: {p.rule} did not fire for {p.scope_key} at {level} calls/hour")
            continue
        # a window of several hours fires from the first hour it holds enough of the incident on
        last = p.first + dt.timedelta(hours=p.hours + rule.window.hours - 1)
        [report] = backtest(db, [rule], p.first, last)
        if not any(i.scope_key == p.scope_key for i in report.incidents):
            missed.append(f"{p.kind}: {p.rule} did not fire for {p.scope_key} at {level} calls/hour")
    assert missed == []


def quiet_week(db: Db) -> list[RuleReport]:
    """Every rule at every hour of week 2; the version rules have no change there to compare, so
    they are left out (they would find nothing, slowly)."""
    rules = [r for r in RULES.values() if not r.metric.name.startswith("version_")]
    return backtest(db, rules, at(7, 0), at(14, 0))


def test_quiet_week_at_most_one_false_alarm_per_rule(traffic: tuple[int, Db, pd.DataFrame]) -> None:
    level, db, _ = traffic
    reports = quiet_week(db)
    rates = {r.rule.name: len(r.incidents) for r in reports}
    print(f"\nfalse alarms in a quiet week at {level} calls/hour: {rates}")  # for docs/alerts.md
    noisy = {r.rule.name: [(i.scope_key, str(i.first_hour)) for i in r.incidents] for r in reports}
    assert {k: v for k, v in noisy.items() if len(v) > 1} == {}


def test_rules_covered() -> None:
    """Every pooled rule shipped in alerts.yml is in the quiet-week count; these in the incidents."""
    assert {p.rule for p in PLANTED} <= set(RULES)
    assert all(isinstance(r, Rule) for r in RULES.values()) and len(RULES) >= 16
    assert Path(ROOT / "alerts.yml").exists()


def test_drift_counts_match_the_calls(traffic: tuple[int, Db, pd.DataFrame]) -> None:
    """The drift rule's k of n, for both versions, against the calls counted here with pandas."""
    _, db, calls = traffic
    end = DRIFT + dt.timedelta(hours=48)
    google = calls[(calls.provider == MODELS[2][0]) & (calls.occurred_at < end)]
    first_new = google[google.model_version == "v2"].occurred_at.min()
    new = google[google.model_version == "v2"]
    old = google[(google.model_version == "v1") & (google.occurred_at >= first_new - pd.Timedelta(days=7))]
    [o] = evaluate(db, RULES["version_regeneration_drift"], end).observations
    assert o.scope == {
        "provider": MODELS[2][0],
        "model": MODELS[2][1],
        "model_version": "v2",
        "previous_version": "v1",
    }
    assert (o.successes, o.samples) == (new.is_regenerated.sum(), len(new))
    assert o.baseline_mean == pytest.approx((old.is_regenerated.sum() + 0.5) / (len(old) + 1))
    [r] = evaluate(db, RULES["version_rating_drift"], end).observations
    assert (r.successes, r.samples) == (
        (new.explicit_rating == "down").sum(),
        new.explicit_rating.notna().sum(),
    )
