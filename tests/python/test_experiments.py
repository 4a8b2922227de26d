"""mart_experiment_results against scipy.stats: every statistic of every row recomputed in Python
from the facts it reads (dim_user_experiments, fct_llm_requests, fct_llm_request_feedback,
int_funnel_progress), on the shared built fixture of each engine; no build of its own.
Tolerance: relative 1e-9 (absolute 1e-12 near zero). `compare_experiment_results(wh.query)` also
checks any other built warehouse (the demo data, say), where every test has real variation."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from scipy import stats

from .conftest import Warehouse

Query = Callable[[str], Sequence[tuple[Any, ...]]]
REL, ABS = 1e-9, 1e-12
CONTROL, ALPHA, SRM_ALPHA, FUNNEL = "control", 0.05, 0.001, "ai_assist"  # dbt_project.yml defaults
RATES = ("conversion_rate", "thumbs_up_rate")
METRICS = (*RATES, "avg_rating", "cost_per_user_usd", "requests_per_user")
COLUMNS = (
    "experiment_id, variant, metric_name, metric_type, control_variant, is_control, user_count, "
    "observation_count, metric_value, control_value, difference, relative_difference, "
    "difference_ci_lower, difference_ci_upper, test_statistic, degrees_of_freedom, p_value, "
    "is_significant, srm_p_value, has_sample_ratio_mismatch"
)


def _observations(q: Query) -> tuple[dict[str, dict[str, int]], dict[tuple[str, str, str], list[float]]]:
    """Users per experiment and variant, and each metric's observations, computed in Python."""
    assignments = q("select experiment_id, variant, user_id, assigned_at from marts.dim_user_experiments")
    calls = q(
        "select r.user_id, r.occurred_at, r.cost_usd, f.has_thumbs_up, f.has_thumbs_down, f.rating_count, "
        "f.avg_rating from marts.fct_llm_requests r join marts.fct_llm_request_feedback f "
        "using (request_id) where r.user_id is not null"
    )
    last = q(f"select max(step_order) from seeds.funnel_steps where funnel_name = '{FUNNEL}'")[0][0]
    entries = q(
        f"select user_id, entered_at, step_order from intermediate.int_funnel_progress "
        f"where funnel_name = '{FUNNEL}' and user_id is not null"
    )
    by_user: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for c in calls:
        by_user[c[0]].append(c)
    entries_by_user: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for e in entries:
        entries_by_user[e[0]].append(e)
    users: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    obs: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for experiment, variant, user, assigned in assignments:
        users[experiment][variant] += 1
        mine = [c for c in by_user[user] if assigned is None or c[1] >= assigned]
        obs[experiment, variant, "requests_per_user"].append(float(len(mine)))
        obs[experiment, variant, "cost_per_user_usd"].append(sum(float(c[2] or 0) for c in mine))
        obs[experiment, variant, "thumbs_up_rate"] += [float(bool(c[3])) for c in mine if c[3] or c[4]]
        obs[experiment, variant, "avg_rating"] += [float(c[6]) for c in mine if c[5] > 0]
        entered = [e for e in entries_by_user[user] if assigned is None or e[1] >= assigned]
        if entered:
            obs[experiment, variant, "conversion_rate"].append(float(any(e[2] == last for e in entered)))
    return users, obs


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _test(metric: str, x1: list[float], x0: list[float]) -> dict[str, float | None]:
    """The z-test (rates) or Welch's t-test (means) of x1 against x0, and the 95% interval."""
    out: dict[str, float | None] = dict.fromkeys(
        ("difference_ci_lower", "difference_ci_upper", "test_statistic", "degrees_of_freedom", "p_value")
    )
    if not x1 or not x0:
        return out
    n1, n0, m1, m0 = len(x1), len(x0), sum(x1) / len(x1), sum(x0) / len(x0)
    diff = m1 - m0
    if metric in RATES:
        pooled = (sum(x1) + sum(x0)) / (n1 + n0)
        se_test = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
        se_ci = math.sqrt(m1 * (1 - m1) / n1 + m0 * (1 - m0) / n0)
        q = stats.norm.ppf(0.975)
        out["difference_ci_lower"], out["difference_ci_upper"] = diff - q * se_ci, diff + q * se_ci
        if se_test > 0:
            z = diff / se_test
            out["test_statistic"], out["p_value"] = z, 2 * stats.norm.sf(abs(z))
        return out
    if n1 < 2 or n0 < 2:
        return out
    v1, v0 = stats.tvar(x1) / n1, stats.tvar(x0) / n0
    if v1 + v0 <= 0:
        return out
    welch = stats.ttest_ind(x1, x0, equal_var=False)
    df = (v1 + v0) ** 2 / (v1**2 / (n1 - 1) + v0**2 / (n0 - 1))
    half = stats.t.ppf(0.975, df) * math.sqrt(v1 + v0)
    out.update(
        difference_ci_lower=diff - half,
        difference_ci_upper=diff + half,
        test_statistic=float(welch.statistic),
        degrees_of_freedom=df,
        p_value=float(welch.pvalue),
    )
    return out


def expected_experiment_results(q: Query) -> dict[tuple[str, str, str], dict[str, Any]]:
    users, obs = _observations(q)
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for experiment, counts in users.items():
        variants = sorted(counts)
        control = CONTROL if CONTROL in counts else variants[0]
        total, k = sum(counts.values()), len(counts)
        srm = stats.chisquare([counts[v] for v in variants]).pvalue if k > 1 else None
        for variant in variants:
            for metric in METRICS:
                x1, x0 = obs[experiment, variant, metric], obs[experiment, control, metric]
                value, control_value = _mean(x1), _mean(x0)
                is_control = variant == control
                diff = None if is_control or value is None or control_value is None else value - control_value
                tested = dict.fromkeys(_test(metric, [], [])) if is_control else _test(metric, x1, x0)
                rows[experiment, variant, metric] = {
                    "metric_type": "rate" if metric in RATES else "mean",
                    "control_variant": control,
                    "is_control": is_control,
                    "user_count": counts[variant],
                    "observation_count": len(x1),
                    "metric_value": value,
                    "control_value": control_value,
                    "difference": diff,
                    "relative_difference": diff / control_value
                    if diff is not None and control_value
                    else None,
                    **tested,
                    "is_significant": tested["p_value"] is not None and tested["p_value"] < ALPHA,
                    "srm_p_value": float(srm) if srm is not None else None,
                    "has_sample_ratio_mismatch": srm is not None and srm < SRM_ALPHA,
                }
        assert total == sum(counts.values())
    return rows


def compare_experiment_results(q: Query) -> int:
    """Assert the mart equals the Python recomputation; returns the number of p-values compared."""
    names = [c.strip() for c in COLUMNS.split(",")]
    got = {
        tuple(r[:3]): dict(zip(names[3:], r[3:], strict=True))
        for r in q(f"select {COLUMNS} from marts.mart_experiment_results")
    }
    want = expected_experiment_results(q)
    assert set(got) == set(want)
    for key, expected in want.items():
        for column, value in expected.items():
            actual = got[key][column]
            if isinstance(value, float):
                assert actual == pytest.approx(value, rel=REL, abs=ABS), (key, column, actual, value)
            else:
                assert actual == value, (key, column, actual, value)
    return sum(1 for r in want.values() if r["p_value"] is not None)


def test_experiment_results_match_scipy(built_wh: Warehouse) -> None:
    compared = compare_experiment_results(built_wh.query)
    # exp2 (the fixture's block for this test) gives Welch tests on cost and requests per user
    assert compared >= 2
