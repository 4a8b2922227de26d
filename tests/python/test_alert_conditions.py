"""Statistical conditions end to end on a tiny hand-made mart (in-memory DuckDB, no dbt).

The product of issue 16 §5: about 16 calls an hour over 4 models, then an hour of 125 calls (8x)
with 39% errors, about 30 calls per model, and an hour costing 35x its mean. The old per-model
minimums (50, 30, 150 calls) fired nothing; the shipped rules must fire error_rate, request_spike
and cost_spike, with the p-values and bounds worked out here independently.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest
from llm_analytics.alerts.backtest import backtest, group_incidents, hour_ends
from llm_analytics.alerts.evaluate import evaluate
from llm_analytics.alerts.observation import FIRING, Observation
from llm_analytics.alerts.pooled import project_vars
from llm_analytics.alerts.rules import MART, RulesError, load_rules
from llm_analytics.warehouse import Db

from .conftest import ROOT

START = dt.datetime(2026, 10, 1)
SPIKE = START + dt.timedelta(days=8, hours=14)  # a Friday afternoon, after a week of history
MODELS = ["openai/gpt-4o", "anthropic/claude", "google/gemini", "mistral/small"]
RULES = {r.name: r for r in load_rules(ROOT / "alerts.yml").rules}


def mart(hour_rows: dict[dt.datetime, dict[str, dict[str, float]]], path: str = ":memory:") -> Db:
    """Every hour of 9 days x 4 models + overall: 4 calls per model (16 an hour), 0.04 USD each call."""
    con = duckdb.connect(path)
    con.execute("create schema marts")
    types = project_vars()["error_types"]
    cols = ["request_count", "error_count", "cost_usd", "total_tokens", "thumbs_count", "thumbs_down_count"]
    cols += ["regeneration_count", *(f"{t}_count" for t in types)]
    con.execute(
        "create table marts.mart_alert_metrics_hourly (activity_hour timestamp, scope_type varchar, "
        "scope_key varchar, provider varchar, model_id varchar, "
        + ", ".join(f"{c} double" for c in cols)
        + ")"
    )
    for i in range(9 * 24):
        hour = START + dt.timedelta(hours=i)
        total = dict.fromkeys(cols, 0.0)
        for m in MODELS:
            row = {**dict.fromkeys(cols, 0.0), "request_count": 4, "cost_usd": 0.04, "total_tokens": 8000}
            row.update(hour_rows.get(hour, {}).get(m, {}))
            for c in cols:
                total[c] += row[c]
            provider, model = m.split("/")
            con.execute(
                "insert into marts.mart_alert_metrics_hourly values (?, 'provider_model', ?, ?, ?, "
                + ", ".join("?" for _ in cols)
                + ")",
                [hour, m, provider, model, *(row[c] for c in cols)],
            )
        con.execute(
            "insert into marts.mart_alert_metrics_hourly values (?, 'overall', 'overall', null, null, "
            + ", ".join("?" for _ in cols)
            + ")",
            [hour, *(total[c] for c in cols)],
        )
    return Db("duckdb", con, read_only=False)


def spike_hour() -> dict[dt.datetime, dict[str, dict[str, float]]]:
    # 31 + 31 + 31 + 32 = 125 calls, 12 failures each = 48 (38.4%), rate_limit; cost 35x: 35 * 0.16 USD
    rows = {m: {"request_count": 31, "error_count": 12, "rate_limit_count": 12} for m in MODELS}
    rows[MODELS[3]]["request_count"] = 32
    rows[MODELS[0]]["cost_usd"] = 35 * 0.16 - 3 * 0.04
    return {SPIKE: rows}


@pytest.fixture(scope="module")
def db() -> Db:
    return mart(spike_hour())


def exact_binomial_sf(k: int, n: int, p: Fraction) -> float:
    return float(sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1)))


def test_small_product_spike_fires(db: Db) -> None:
    end = SPIKE + dt.timedelta(hours=1)
    err = {o.scope_key: o for o in evaluate(db, RULES["error_rate"], end).observations}
    assert all(o.status == FIRING for o in err.values())
    o = err["openai/gpt-4o"]
    assert (o.successes, o.samples) == (12, 31)
    # exact tail of 12+ failures in 31 calls at the 5% threshold
    assert o.p_value == pytest.approx(exact_binomial_sf(12, 31, Fraction(1, 20)), rel=1e-9)
    assert "12 of 31" in o.sentence() and "lower bound" in o.sentence()

    spikes = {o.scope_key: o for o in evaluate(db, RULES["request_spike"], end).firing}
    assert set(spikes) == set(MODELS)
    o = spikes["openai/gpt-4o"]
    # same-hour baseline: 7 days of 4 calls; tested against 3x that (smoothed by half a call a week)
    lam = 3 * (7 * 4 + 0.5) / 7
    assert o.threshold == pytest.approx(lam)
    by_hand = 1 - math.exp(-lam) * float(sum(Fraction(lam) ** i / math.factorial(i) for i in range(31)))
    assert o.p_value == pytest.approx(by_hand, rel=1e-6)

    [cost] = evaluate(db, RULES["cost_spike"], end).firing
    assert cost.value == pytest.approx(35 * 0.16) and cost.baseline_mean == pytest.approx(0.16)
    assert "floor 1.00 USD" in cost.sentence()
    rise = {o.scope_key for o in evaluate(db, RULES["error_type_rise"], end).firing}
    assert rise == {f"{m}:rate_limit" for m in MODELS}


def test_quiet_hours_do_not_fire(db: Db) -> None:
    for name, rule in RULES.items():
        if not rule.pooled or rule.metric.source != MART:  # this mart has no fct_llm_requests
            continue
        for end in (SPIKE, SPIKE + dt.timedelta(hours=2)):
            assert evaluate(db, rule, end).firing == [], name


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        (
            "{name: x, metric: request_count, scope: overall, condition: 'wilson > 0.05', severity: high,"
            " alpha: 0.01, confidence: 0.9}",
            "tests a rate",
        ),
        (
            "{name: x, metric: error_rate, scope: overall, condition: 'poisson > 2x baseline',"
            " severity: high, alpha: 0.01}",
            "tests a count",
        ),
        (
            "{name: x, metric: error_rate, scope: overall, condition: 'binomial > 2x baseline',"
            " severity: high}",
            "needs alpha",
        ),
        (
            "{name: x, metric: error_rate, scope: overall, condition: 'binomial > 2x baseline',"
            " severity: high, alpha: 0.9}",
            "alpha 0.9 must be between",
        ),
        (
            "{name: x, metric: session_cost_usd, scope: session, condition: '> 1', severity: high,"
            " min_value: 2}",
            "min_value is for hourly metrics",
        ),
        (
            "{name: x, metric: thumbs_down_rate, scope: overall, condition: 'zscore > 3', severity: high}",
            "has no z-score",
        ),
    ],
)
def test_bad_statistical_rules_refused(tmp_path: Path, rule: str, problem: str) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(f"rules:\n  - {rule}\n")
    with pytest.raises(RulesError, match=problem):
        load_rules(path)


def test_backtest_groups_consecutive_hours(db: Db) -> None:
    ends = hour_ends(SPIKE - dt.timedelta(hours=2), SPIKE + dt.timedelta(hours=3))
    assert ends[0] == SPIKE - dt.timedelta(hours=1) and len(ends) == 5
    [report] = backtest(
        db, [RULES["error_rate_overall"]], SPIKE - dt.timedelta(hours=2), SPIKE + dt.timedelta(hours=3)
    )
    assert report.firing_hours == 1
    [inc] = report.incidents
    assert (inc.first_hour, inc.last_hour, inc.hours) == (SPIKE, SPIKE, 1)
    assert inc.peak_value == pytest.approx(48 / 125)
    # three firing hours with a gap: two incidents, the first two hours' peak the larger value
    rule = RULES["error_rate"]
    obs = [
        Observation(rule, "a", {}, h - dt.timedelta(hours=1), h, FIRING, value=v)
        for h, v in ((SPIKE, 0.2), (SPIKE + dt.timedelta(hours=1), 0.5), (SPIKE + dt.timedelta(hours=3), 0.1))
    ]
    first, second = group_incidents(rule, obs)
    assert (first.hours, first.peak_value, first.peak_hour) == (2, 0.5, SPIKE)
    assert (second.hours, second.first_hour) == (1, SPIKE + dt.timedelta(hours=2))


def test_backtest_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`llm-analytics alerts backtest` on a warehouse file: the incidents as JSON, nothing written."""
    from llm_analytics.alerts.cli import app
    from typer.testing import CliRunner

    path = tmp_path / "warehouse.duckdb"
    db = mart(spike_hour(), str(path))
    for table in ("fct_llm_sessions", "fct_llm_requests"):  # present, as require_marts wants
        db.execute(f"create table marts.{table} (request_id varchar)")
    db.con.close()
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "defaults: {alpha: 0.0001, confidence: 0.99}\n"
        "rules:\n"
        "  - {name: err, metric: error_rate, scope: overall, condition: 'wilson > 0.05', severity: high}\n"
        "  - {name: calls, metric: request_count, scope: provider_model, baseline: same_hour,"
        " condition: 'poisson > 3x baseline', severity: high}\n"
    )
    monkeypatch.setenv("DUCKDB_PATH", str(path))
    monkeypatch.setenv("DBT_PROFILES_DIR", str(ROOT))
    args = ["backtest", "--from", f"{SPIKE - dt.timedelta(hours=3):%Y-%m-%dT%H:%M}"]
    args += [
        "--to",
        f"{SPIKE + dt.timedelta(hours=3):%Y-%m-%dT%H:%M}",
        "--rules",
        str(rules),
        "--format",
        "json",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    incidents = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert sorted((i["rule"], i["scope_key"]) for i in incidents) == [
        ("calls", m) for m in sorted(MODELS)
    ] + [("err", "overall")]
    assert all(i["hours"] == 1 and i["first_hour"] == f"{SPIKE:%Y-%m-%d %H:%M:%S}" for i in incidents)
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute(
        "select count(*) from information_schema.schemata where schema_name = 'alerts'"
    ).fetchone() == (0,)
    bad = CliRunner().invoke(
        app, ["backtest", "--from", "2026-10-09", "--to", "2026-10-08", "--rules", str(rules)]
    )
    assert bad.exit_code == 2 and "must be after" in bad.output
