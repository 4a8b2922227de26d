"""Cost: daily spend, cost per call, user and session, by model and segment, cache savings; the
reconciliation with the bill and the recommendations when their marts exist."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from llm_analytics.dashboard import charts
from llm_analytics.dashboard.data import Filters, Warehouse

TITLE = "Cost"
MARTS = ("mart_cost_daily", "mart_cost_per_user_monthly", "mart_cost_per_session", "mart_cost_by_segment")
OPTIONAL_MARTS = ("mart_cost_reconciliation_daily", "mart_cost_recommendations")


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def totals(wh: Warehouse, filters: Filters) -> dict[str, float | None]:
    daily = wh.mart("mart_cost_daily", filters)
    users = wh.mart("mart_cost_per_user_monthly", filters)
    sessions = wh.mart("mart_cost_per_session", filters)
    return {
        "cost_usd": float(daily["cost_usd"].sum()),
        "cost_per_call_usd": _ratio(float(daily["cost_usd"].sum()), float(daily["request_count"].sum())),
        # a user's cost per month, averaged over user-months
        "cost_per_user_month_usd": _ratio(float(users["cost_usd"].sum()), float(len(users))),
        "cost_per_session_usd": _ratio(float(sessions["cost_usd"].sum()), float(len(sessions))),
        "cache_savings_usd": float(daily["cache_savings_usd"].sum()),
    }


def _usd(v: float | None, digits: int = 2) -> str:
    return "–" if v is None else f"${v:,.{digits}f}"


def render(wh: Warehouse, filters: Filters) -> None:
    t = totals(wh, filters)
    cols = st.columns(5)
    cols[0].metric("Spend", _usd(t["cost_usd"]), help="marts.mart_cost_daily")
    cols[1].metric("Per call", _usd(t["cost_per_call_usd"], 4), help="marts.mart_cost_daily")
    cols[2].metric(
        "Per user-month", _usd(t["cost_per_user_month_usd"], 4), help="marts.mart_cost_per_user_monthly"
    )
    cols[3].metric("Per session", _usd(t["cost_per_session_usd"], 4), help="marts.mart_cost_per_session")
    cols[4].metric("Cache savings", _usd(t["cache_savings_usd"]), help="marts.mart_cost_daily")
    daily = wh.mart("mart_cost_daily", filters, order_by="activity_date")
    if not daily.empty:
        per_day = daily.groupby("activity_date", as_index=False).agg(
            cost_usd=("cost_usd", "sum"),
            cache_savings_usd=("cache_savings_usd", "sum"),
            is_complete_period=("is_complete_period", "min"),
        )
    else:
        per_day = daily
    charts.timeseries(
        per_day,
        "activity_date",
        ["cost_usd", "cache_savings_usd"],
        "Daily spend",
        "mart_cost_daily",
        "cost-daily",
    )
    by_model = (
        daily.groupby(["provider", "model_id"], as_index=False)["cost_usd"].sum().sort_values("cost_usd")
        if not daily.empty
        else pd.DataFrame(columns=["model_id", "cost_usd"])
    )
    charts.bars(
        by_model, "model_id", "cost_usd", "Spend by model", "mart_cost_daily", "cost-model", horizontal=True
    )
    segments = wh.mart("mart_cost_by_segment", filters, order_by="activity_month, segment")
    charts.bars(
        segments.groupby("segment", as_index=False)["cost_usd"].sum() if not segments.empty else segments,
        "segment",
        "cost_usd",
        "Spend by segment",
        "mart_cost_by_segment",
        "cost-segment",
    )
    charts.table(segments, "mart_cost_by_segment", "cost-segment-table")
    for mart, title in (
        ("mart_cost_reconciliation_daily", "Reconciliation with the provider's bill"),
        ("mart_cost_recommendations", "Recommendations"),
    ):
        if wh.has(mart):
            st.subheader(title)
            charts.generic(wh.mart(mart, filters), mart, f"cost-{mart}")
