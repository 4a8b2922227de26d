"""Product: sessions, funnels with their bottlenecks, the retention triangle, and (when their marts
exist) session metrics, business metrics and experiments with confidence intervals."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from llm_analytics.dashboard import charts
from llm_analytics.dashboard.data import Filters, Warehouse

TITLE = "Product"
MARTS = ("fct_llm_sessions", "mart_funnel_conversion", "mart_cohort_retention")
OPTIONAL_MARTS = (
    "mart_session_metrics_daily",
    "mart_business_monthly",
    "mart_user_engagement_monthly",
    "mart_survey_scores",
    "mart_experiment_results",
)
# names other branches may give a confidence interval's bounds
CI_BOUNDS = (
    ("difference_ci_lower", "difference_ci_upper"),
    ("ci_lower", "ci_upper"),
    ("ci_low", "ci_high"),
)


def session_totals(wh: Warehouse, filters: Filters) -> dict[str, float | None]:
    s = wh.mart(
        "fct_llm_sessions",
        filters,
        columns="session_id, request_count, duration_seconds",
        extra_where=_started(wh, filters),
    )
    n = len(s)
    return {
        "sessions": float(n),
        "calls_per_session": float(s["request_count"].mean()) if n else None,
        "avg_duration_seconds": float(s["duration_seconds"].mean()) if n else None,
    }


def _started(wh: Warehouse, filters: Filters) -> str | None:
    """fct_llm_sessions has no activity date: the date filter applies to started_at (literal dates
    from the date picker, not user text)."""
    parts = []
    if filters.start:
        parts.append(f"started_at >= '{filters.start.isoformat()}'")
    if filters.end:
        parts.append(f"started_at < '{(filters.end + pd.Timedelta(days=1)).isoformat()}'")
    return " and ".join(parts) or None


def funnel(wh: Warehouse, filters: Filters) -> pd.DataFrame:
    """Each funnel's steps over the chosen entry weeks: actors reaching each step summed, its
    conversion from the previous step, and a bottleneck where any week flagged one."""
    f = wh.mart("mart_funnel_conversion", filters)
    if f.empty:
        return f
    steps = (
        f.groupby(["funnel_name", "step_order", "event_name"], as_index=False)
        .agg(reached_user_count=("reached_user_count", "sum"), is_bottleneck=("is_bottleneck", "max"))
        .sort_values(["funnel_name", "step_order"])
    )
    prev = steps.groupby("funnel_name")["reached_user_count"].shift(1)
    steps["step_conversion_rate"] = (steps["reached_user_count"] / prev).where(prev > 0, 1.0)
    return steps


def render(wh: Warehouse, filters: Filters) -> None:
    t = session_totals(wh, filters)
    a, b, c = st.columns(3)
    a.metric("Sessions", f"{t['sessions']:,.0f}", help="marts.fct_llm_sessions")
    b.metric(
        "Calls per session",
        "–" if t["calls_per_session"] is None else f"{t['calls_per_session']:.2f}",
        help="marts.fct_llm_sessions",
    )
    c.metric(
        "Avg duration",
        "–" if t["avg_duration_seconds"] is None else f"{t['avg_duration_seconds']:,.0f} s",
        help="marts.fct_llm_sessions",
    )
    steps = funnel(wh, filters)
    if steps.empty:
        st.info("No funnel rows in marts.mart_funnel_conversion for these filters.")
    for name, part in steps.groupby("funnel_name") if not steps.empty else ():
        part = part.assign(step=[f"{o}. {e}" for o, e in zip(part.step_order, part.event_name, strict=True)])
        charts.bars(
            part,
            "step",
            "reached_user_count",
            f"Funnel {name} (red: bottleneck)",
            "mart_funnel_conversion",
            f"product-funnel-{name}",
            highlight="is_bottleneck",
        )
    retention = wh.mart("mart_cohort_retention", filters, order_by="signup_cohort_week, weeks_since_signup")
    charts.heatmap(
        retention,
        "weeks_since_signup",
        "signup_cohort_week",
        "retention_rate",
        "Retention triangle (share of the cohort active N weeks after signup)",
        "mart_cohort_retention",
        "product-retention",
    )
    for mart, title in (
        ("mart_session_metrics_daily", "Sessions and conversations"),
        ("mart_business_monthly", "Business"),
        ("mart_user_engagement_monthly", "Engagement"),
        ("mart_survey_scores", "Surveys"),
    ):
        if wh.has(mart):
            st.subheader(title)
            charts.generic(wh.mart(mart, filters), mart, f"product-{mart}")
    if wh.has("mart_experiment_results"):
        st.subheader("Experiments")
        experiments(wh.mart("mart_experiment_results", filters))


def experiments(frame: pd.DataFrame) -> None:
    """Each variant's difference against control with its confidence interval, when the mart names
    its bounds in one of the usual ways; the rows in any case."""
    bounds = next(((lo, hi) for lo, hi in CI_BOUNDS if lo in frame.columns and hi in frame.columns), None)
    if bounds and not frame.empty:
        lo, hi = bounds
        mid = (frame[lo] + frame[hi]) / 2
        label = (
            frame.drop(columns=[lo, hi]).select_dtypes(exclude="number").astype(str).agg(" · ".join, axis=1)
        )
        fig = go.Figure(
            go.Scatter(
                x=mid,
                y=label,
                mode="markers",
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": frame[hi] - mid,
                    "arrayminus": mid - frame[lo],
                },
            )
        )
        fig.add_vline(x=0, line_dash="dot")
        fig.update_layout(
            title=charts.titled("Difference against control, 95% CI", "mart_experiment_results")
        )
        charts.show(fig, "product-experiments")
    charts.table(frame, "mart_experiment_results", "product-experiments-table")
