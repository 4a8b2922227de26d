"""Models: mart_model_comparison week by week, per provider × model × version × routing strategy: the
comparison table and the drift of latency, errors, cost and quality across versions; routing when
its mart exists."""

from __future__ import annotations

import streamlit as st

from llm_analytics.dashboard import charts
from llm_analytics.dashboard.data import Filters, Warehouse

TITLE = "Models"
MARTS = ("mart_model_comparison",)
OPTIONAL_MARTS = ("mart_routing_daily",)
DRIFT = (
    ("latency_p95_ms", "Latency p95 (ms)"),
    ("error_rate", "Error rate"),
    ("cost_per_request_usd", "Cost per call (USD)"),
    ("avg_implicit_quality_score", "Implicit quality score"),
    ("thumbs_up_rate", "Thumbs-up rate"),
)


def comparison(wh: Warehouse, filters: Filters):
    frame = wh.mart(
        "mart_model_comparison", filters, order_by="activity_week, provider, model_id, model_version"
    )
    return frame.assign(version=frame["model_id"] + " " + frame["model_version"].fillna("(none)").astype(str))


def render(wh: Warehouse, filters: Filters) -> None:
    frame = comparison(wh, filters)
    st.subheader("Comparison")
    charts.table(
        frame.drop(columns=["model_week_id", "last_loaded_at", "version"], errors="ignore"),
        "mart_model_comparison",
        "models-table",
    )
    st.subheader("Drift across versions")
    for col, title in DRIFT:
        charts.timeseries(
            frame, "activity_week", [col], title, "mart_model_comparison", f"models-{col}", color="version"
        )
    if wh.has("mart_routing_daily"):
        st.subheader("Routing")
        charts.generic(wh.mart("mart_routing_daily", filters), "mart_routing_daily", "models-routing")
