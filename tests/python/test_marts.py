"""The aggregate marts: hand-worked numbers on the small fixture, and the same rows on both engines."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest

from .conftest import Warehouse
from .test_pipeline import COST


def test_marts_on_the_hand_built_fixture(built_wh: Warehouse) -> None:
    q = built_wh.query

    usage = {
        str(r[0]): r[1:]
        for r in q(
            "select activity_date, request_count, active_user_count, session_count, new_user_count, "
            "anonymous_request_count, requests_per_user from marts.mart_usage_daily"
        )
    }
    # r1 + r2 on 10-05 by u1; r3 + r4 on 10-21 by u2; r5 anonymous on 10-22; r6-r8 rejected
    assert usage["2026-10-05"] == (2, 1, 1, 1, 0, 2.0)
    assert usage["2026-10-21"] == (2, 1, 1, 1, 0, 2.0)
    assert usage["2026-10-22"] == (1, 0, 1, 0, 1, None)

    cost = dict(q("select provider || '/' || model_id, cost_usd from marts.mart_cost_daily"))
    assert cost["openai/gpt-4o-2024-08-06"] == pytest.approx(COST["r1"])
    assert cost["mistral/mistral-large-4"] == pytest.approx(COST["r3"])
    assert cost["acme/acme-llm-7b"] == 0
    unpriced = "select unpriced_request_count from marts.mart_cost_daily where model_id = 'acme-llm-7b'"
    assert q(unpriced) == [(1,)]

    # 10-05 / chat: r1 (thumbs up both as explicit_rating and as an event: counted once), r2 regenerated
    sat = q(
        "select response_count, thumbs_up_count, thumbs_down_count, thumbs_up_rate, regeneration_rate, "
        "net_satisfaction_score "
        "from marts.mart_satisfaction_daily where activity_date = '2026-10-05'"
    )
    assert sat == [(2, 1, 0, 1.0, 0.5, 1.0)]
    rating = q(
        "select rating_count, avg_rating, zero_result_rate from marts.mart_satisfaction_daily "
        "where activity_date = '2026-10-21'"
    )
    assert rating == [(1, 4.0, 0.5)]  # f3 (rating 9) was rejected; r3 said it found nothing

    funnel = q(
        "select cast(entry_week as varchar), step_order, reached_user_count, step_conversion_rate "
        "from marts.mart_funnel_conversion where step_order <= 2 order by 1, 2"
    )
    assert funnel == [
        ("2026-10-05", 1, 1, 1.0),
        ("2026-10-05", 2, 1, 1.0),
        ("2026-10-19", 1, 1, 1.0),
        ("2026-10-19", 2, 0, 0.0),
    ]
    sessions = dict(q("select session_id, is_over_budget from marts.mart_cost_per_session"))
    assert sessions == {"s1": False, "s2": False, "s3": False}


COMPARED = {
    "mart_usage_daily": "activity_date",
    "mart_active_users_daily": "activity_date",
    "mart_cost_daily": "cost_day_id",
    "mart_performance_hourly": "performance_hour_id",
    "mart_latency_histogram": "histogram_bucket_id",
    "mart_satisfaction_daily": "satisfaction_day_id",
    "mart_funnel_conversion": "funnel_step_week_id",
    "mart_cohort_retention": "cohort_week_id",
    "mart_cohort_summary": "signup_cohort_week",
    "mart_cohort_comparison": "comparison_id",
    "mart_model_comparison": "model_week_id",
    "mart_cost_by_segment": "segment_month_id",
    "mart_alert_metrics_hourly": "scope_key, activity_hour",
    "mart_cost_per_user_monthly": "user_month_id",
    "mart_feature_adoption_daily": "feature_day_id",
    "mart_usage_patterns": "cell_id",
    "mart_query_topics_daily": "topic_day_id",
    "mart_query_patterns": "query_pattern_id",
    "mart_answer_quality_daily": "answer_quality_day_id",
    "mart_review_sample": "request_id",
    "mart_session_metrics_daily": "session_day_id",
    "mart_acceptance_daily": "acceptance_day_id",
    "mart_user_engagement_l28_monthly": "engagement_bucket_id",
    "mart_user_engagement_monthly": "engagement_tier_id",
    "mart_feature_cohorts": "feature_cohort_week_id",
    "mart_survey_scores": "survey_month_id",
    "mart_business_monthly": "business_month_id",
}


def normalise(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Engine-neutral values: numbers as floats, dates and times as ISO text."""

    def one(v: Any) -> Any:
        if isinstance(v, dt.datetime | dt.date):
            return v.isoformat()
        if isinstance(v, float) or hasattr(v, "is_finite"):  # float or Decimal
            return None if math.isnan(float(v)) else float(v)
        return v

    return [tuple(one(v) for v in row) for row in rows]


LOAD_TIMES = {"loaded_at", "last_loaded_at", "first_loaded_at", "load_id"}


def same(a: Any, b: Any) -> bool:
    """Equal, floats to 1e-9 relative (sums in another order differ in the last bits)."""
    if isinstance(a, float) and isinstance(b, float | int):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


@pytest.mark.postgres
def test_duckdb_and_postgres_build_the_same_marts(
    duckdb_wh: Warehouse, postgres_wh: Warehouse, tmp_path: Path
) -> None:
    sample = tmp_path / "sample"
    duckdb_wh.cli("generate", "--out", str(sample), "--requests", "6000", "--users", "300", "--days", "14")
    for wh in (duckdb_wh, postgres_wh):
        wh.cli("load", str(sample), "--target", wh.target)
        wh.dbt("build")
    for mart, key in COMPARED.items():
        # load times are each warehouse's own (the loader stamps them): every other column is compared
        columns = [
            c
            for (c,) in duckdb_wh.query(
                "select column_name from information_schema.columns "
                f"where table_schema = 'marts' and table_name = '{mart}' order by ordinal_position"
            )
            if c not in LOAD_TIMES
        ]
        sql = f"select {', '.join(columns)} from marts.{mart} order by {key}"
        left, right = normalise(duckdb_wh.query(sql)), normalise(postgres_wh.query(sql))
        assert len(left) == len(right) > 0, mart
        for a, b in zip(left, right, strict=True):
            assert all(same(x, y) for x, y in zip(a, b, strict=True)), f"{mart}: {a} != {b}"
