"""Quality: thumbs, ratings, net satisfaction, regeneration and edit rates, the implicit score and the
zero-result rate (mart_satisfaction_daily), and answer-quality scores when their mart exists.
Rates over the range are pooled from the mart's counts (a day's rate times its denominator), not
averages of daily rates."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from llm_analytics.dashboard import charts
from llm_analytics.dashboard.data import Filters, Warehouse

TITLE = "Quality"
MARTS = ("mart_satisfaction_daily",)
OPTIONAL_MARTS = ("mart_answer_quality_daily",)


def _weighted(frame: pd.DataFrame, rate: str, weight: str) -> float | None:
    sub = frame[frame[rate].notna()]
    den = float(sub[weight].sum())
    return float((sub[rate] * sub[weight]).sum()) / den if den else None


def totals(wh: Warehouse, filters: Filters) -> dict[str, float | None]:
    sat = wh.mart("mart_satisfaction_daily", filters)
    up, down = float(sat["thumbs_up_count"].sum()), float(sat["thumbs_down_count"].sum())
    return {
        "thumbs_up_count": up,
        "thumbs_down_count": down,
        "net_satisfaction_score": (up - down) / (up + down) if up + down else None,
        "avg_rating": _weighted(sat, "avg_rating", "rating_count"),
        "regeneration_rate": _weighted(sat, "regeneration_rate", "response_count"),
        "edit_rate": _weighted(sat, "edit_rate", "response_count"),
    }


def pooled_daily(sat: pd.DataFrame) -> pd.DataFrame:
    """All features together per day: counts summed, rates weighted by their denominators."""
    rows = []
    for day, part in sat.groupby("activity_date", sort=True):
        rows.append(
            {
                "activity_date": day,
                "thumbs_up_count": float(part["thumbs_up_count"].sum()),
                "thumbs_down_count": float(part["thumbs_down_count"].sum()),
                "regeneration_rate": _weighted(part, "regeneration_rate", "response_count"),
                "edit_rate": _weighted(part, "edit_rate", "response_count"),
                "is_complete_period": bool(part["is_complete_period"].all()),
            }
        )
    return pd.DataFrame(rows)


def _fmt(v: float | None, pattern: str) -> str:
    return "–" if v is None else pattern.format(v)


def render(wh: Warehouse, filters: Filters) -> None:
    t = totals(wh, filters)
    cols = st.columns(6)
    help_ = "marts.mart_satisfaction_daily"
    cols[0].metric("Thumbs up", _fmt(t["thumbs_up_count"], "{:,.0f}"), help=help_)
    cols[1].metric("Thumbs down", _fmt(t["thumbs_down_count"], "{:,.0f}"), help=help_)
    cols[2].metric("Net satisfaction", _fmt(t["net_satisfaction_score"], "{:+.2f}"), help=help_)
    cols[3].metric("Avg rating", _fmt(t["avg_rating"], "{:.2f}"), help=help_)
    cols[4].metric("Regeneration rate", _fmt(t["regeneration_rate"], "{:.1%}"), help=help_)
    cols[5].metric("Edit rate", _fmt(t["edit_rate"], "{:.1%}"), help=help_)
    sat = wh.mart("mart_satisfaction_daily", filters, order_by="activity_date")
    daily = pooled_daily(sat)
    charts.timeseries(
        daily,
        "activity_date",
        ["thumbs_up_count", "thumbs_down_count"],
        "Thumbs",
        "mart_satisfaction_daily",
        "q-thumbs",
    )
    charts.timeseries(
        daily,
        "activity_date",
        ["regeneration_rate", "edit_rate"],
        "Regeneration and edit rates",
        "mart_satisfaction_daily",
        "q-regen",
    )
    for y, title, key in (
        ("net_satisfaction_score", "Net satisfaction by feature", "q-net"),
        ("avg_rating", "Average rating by feature", "q-rating"),
        ("avg_implicit_quality_score", "Implicit quality score by feature", "q-implicit"),
        ("zero_result_rate", "Zero-result rate by feature", "q-zero"),
    ):
        charts.timeseries(
            sat, "activity_date", [y], title, "mart_satisfaction_daily", key, color="feature_id"
        )
    if wh.has("mart_answer_quality_daily"):
        st.subheader("Answer-quality scores")
        charts.generic(wh.mart("mart_answer_quality_daily", filters), "mart_answer_quality_daily", "q-answer")
