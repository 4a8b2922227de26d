"""Performance: latency percentiles over the chosen range from mart_latency_histogram's buckets (they
add up across hours and models, so any span's percentile is exact to a bucket), TTFT, errors by type
and throughput from mart_performance_hourly."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from llm_analytics.dashboard import charts
from llm_analytics.dashboard.data import Filters, Warehouse, latency_percentiles

TITLE = "Performance"
MARTS = ("mart_latency_histogram", "mart_performance_hourly")
QUANTILES = (0.5, 0.9, 0.95, 0.99)
ERROR_COLUMNS = (
    "rate_limit_count",
    "context_window_exceeded_count",
    "content_filter_blocked_count",
    "timeout_count",
    "invalid_response_count",
    "provider_down_count",
)


def buckets(wh: Warehouse, filters: Filters) -> pd.DataFrame:
    return wh.mart(
        "mart_latency_histogram",
        filters,
        columns="bucket_index, bucket_lower_ms, bucket_upper_ms, request_count",
    )


def percentiles(wh: Warehouse, filters: Filters) -> dict[float, float | None]:
    return latency_percentiles(buckets(wh, filters), QUANTILES)


def errors_by_type(hourly: pd.DataFrame) -> pd.DataFrame:
    sums = [
        (c.removesuffix("_count"), float(hourly[c].sum()) if not hourly.empty else 0.0) for c in ERROR_COLUMNS
    ]
    return pd.DataFrame(sums, columns=["error_type", "error_count"])


def render(wh: Warehouse, filters: Filters) -> None:
    rows = buckets(wh, filters)
    pct = latency_percentiles(rows, QUANTILES)
    cols = st.columns(len(QUANTILES))
    for col, q in zip(cols, QUANTILES, strict=True):
        v = pct[q]
        col.metric(
            f"Latency p{round(q * 100)}",
            "–" if v is None else f"{v:,.0f} ms",
            help="marts.mart_latency_histogram",
        )
    hist = rows.groupby("bucket_index", as_index=False).agg(
        bucket_upper_ms=("bucket_upper_ms", "max"), request_count=("request_count", "sum")
    )
    if hist.empty:
        st.info("No latencies in marts.mart_latency_histogram for these filters.")
    else:
        fig = go.Figure(go.Bar(x=hist["bucket_upper_ms"], y=hist["request_count"]))
        fig.update_xaxes(type="log", title="latency (ms, bucket upper bound)")
        fig.update_layout(title=charts.titled("Latency histogram", "mart_latency_histogram"))
        charts.show(fig, "perf-histogram")
    hourly = wh.mart("mart_performance_hourly", filters, order_by="activity_hour")
    charts.timeseries(
        hourly,
        "activity_hour",
        ["ttft_p95_ms"],
        "Time to first token p95 (ms)",
        "mart_performance_hourly",
        "perf-ttft",
        color="model_id",
    )
    charts.bars(
        errors_by_type(hourly),
        "error_type",
        "error_count",
        "Errors by type",
        "mart_performance_hourly",
        "perf-errors",
    )
    charts.timeseries(
        hourly,
        "activity_hour",
        ["throughput_rps"],
        "Throughput (calls per second)",
        "mart_performance_hourly",
        "perf-throughput",
        color="model_id",
    )
