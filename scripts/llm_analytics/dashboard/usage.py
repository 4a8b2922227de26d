"""Usage: call volume, active users, feature adoption and the weekday × hour heat map."""

from __future__ import annotations

import streamlit as st

from llm_analytics.dashboard import charts
from llm_analytics.dashboard.data import Filters, Warehouse

TITLE = "Usage"
MARTS = ("mart_usage_daily", "mart_active_users_daily", "mart_feature_adoption_daily", "mart_usage_patterns")


def totals(wh: Warehouse, filters: Filters) -> dict[str, float]:
    usage = wh.mart("mart_usage_daily", filters)
    return {
        "calls": float(usage["request_count"].sum()),
        "sessions": float(usage["session_count"].sum()),
        "new_users": float(usage["new_user_count"].sum()),
    }


def render(wh: Warehouse, filters: Filters) -> None:
    t = totals(wh, filters)
    a, b, c = st.columns(3)
    a.metric("Calls", f"{t['calls']:,.0f}", help="marts.mart_usage_daily")
    b.metric("Sessions", f"{t['sessions']:,.0f}", help="marts.mart_usage_daily")
    c.metric("New users", f"{t['new_users']:,.0f}", help="marts.mart_usage_daily")
    usage = wh.mart("mart_usage_daily", filters, order_by="activity_date")
    charts.timeseries(
        usage,
        "activity_date",
        ["request_count", "session_count"],
        "Volume",
        "mart_usage_daily",
        "usage-volume",
    )
    active = wh.mart("mart_active_users_daily", filters, order_by="activity_date")
    charts.timeseries(
        active,
        "activity_date",
        ["dau", "wau", "mau"],
        "Active users",
        "mart_active_users_daily",
        "usage-active",
    )
    adoption = wh.mart("mart_feature_adoption_daily", filters, order_by="activity_date")
    charts.timeseries(
        adoption,
        "activity_date",
        ["adoption_rate"],
        "Feature adoption (users of the feature / active product users)",
        "mart_feature_adoption_daily",
        "usage-adoption",
        color="feature_id",
    )
    patterns = wh.mart("mart_usage_patterns", order_by="day_of_week, hour_of_day")
    charts.heatmap(
        patterns,
        "hour_of_day",
        "day_of_week",
        "requests_per_day",
        "Calls per day by weekday (1 = Monday) × hour (UTC); whole history, not filtered",
        "mart_usage_patterns",
        "usage-heatmap",
    )
