"""Overview, the executive view: DAU / WAU / MAU, calls, cost, satisfaction and retention at the last
complete day, each with its change week over week (against 7 days earlier) and month over month
(against 28 days earlier: four whole weeks, so weekdays match), and the alerts firing now.

Windows: DAU/WAU/MAU are the mart's values on day D; calls, cost and satisfaction are the 7 days
ending on D (against the 7 days ending D-7 and D-28); retention is day-7 retention of the latest
signup cohort week with eligible users (against the cohort 1 and 4 weeks before)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from llm_analytics.dashboard import alerts_page, charts
from llm_analytics.dashboard.data import Filters, Warehouse

TITLE = "Overview"
MARTS = (
    "mart_active_users_daily",
    "mart_usage_daily",
    "mart_cost_daily",
    "mart_satisfaction_daily",
    "mart_cohort_summary",
)
WEEK, MONTH = 7, 28


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or before is None or pd.isna(now) or pd.isna(before) or before == 0:
        return None
    return (now - before) / before


def _window_sum(frame: pd.DataFrame, col: str, end: dt.date, days: int = WEEK) -> float | None:
    part = frame[(frame["activity_date"] > end - dt.timedelta(days=days)) & (frame["activity_date"] <= end)]
    return None if part.empty else float(part[col].sum())


def _dates(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["activity_date"] = pd.to_datetime(frame["activity_date"]).dt.date
    return frame


def kpis(wh: Warehouse, filters: Filters) -> pd.DataFrame:
    """One row per KPI: value, its week-over-week and month-over-month change, the mart read."""
    active = _dates(wh.mart("mart_active_users_daily", filters, order_by="activity_date"))
    complete = active[active["is_complete_period"].astype(bool)]
    if complete.empty:
        return pd.DataFrame(columns=["kpi", "value", "wow_change", "mom_change", "mart"])
    day = complete["activity_date"].max()
    rows: list[tuple[str, float | None, float | None, float | None, str]] = []
    by_day = active.set_index("activity_date")
    for col in ("dau", "wau", "mau"):

        def at(d: dt.date, col: str = col) -> float | None:
            return float(by_day.at[d, col]) if d in by_day.index else None

        now = at(day)
        rows.append(
            (
                col.upper(),
                now,
                _change(now, at(day - dt.timedelta(WEEK))),
                _change(now, at(day - dt.timedelta(MONTH))),
                "mart_active_users_daily",
            )
        )
    usage = _dates(wh.mart("mart_usage_daily", filters))
    cost = _dates(wh.mart("mart_cost_daily", filters))
    sat = _dates(wh.mart("mart_satisfaction_daily", filters))
    for label, frame, col, mart in (
        ("Calls (7 days)", usage, "request_count", "mart_usage_daily"),
        ("Cost USD (7 days)", cost, "cost_usd", "mart_cost_daily"),
    ):
        now = _window_sum(frame, col, day)
        rows.append(
            (
                label,
                now,
                _change(now, _window_sum(frame, col, day - dt.timedelta(WEEK))),
                _change(now, _window_sum(frame, col, day - dt.timedelta(MONTH))),
                mart,
            )
        )

    def net(end: dt.date) -> float | None:
        up, down = _window_sum(sat, "thumbs_up_count", end), _window_sum(sat, "thumbs_down_count", end)
        if up is None or down is None or up + down == 0:
            return None
        return (up - down) / (up + down)

    now = net(day)
    rows.append(
        (
            "Net satisfaction (7 days)",
            now,
            _change(now, net(day - dt.timedelta(WEEK))),
            _change(now, net(day - dt.timedelta(MONTH))),
            "mart_satisfaction_daily",
        )
    )
    cohorts = wh.mart("mart_cohort_summary", filters, order_by="signup_cohort_week")
    cohorts = cohorts[cohorts["d7_eligible_user_count"] > 0].copy()
    if not cohorts.empty:
        cohorts["signup_cohort_week"] = pd.to_datetime(cohorts["signup_cohort_week"]).dt.date
        by_week = cohorts.set_index("signup_cohort_week")["d7_retention_rate"]
        last = by_week.index.max()

        def ret(w: dt.date) -> float | None:
            return float(by_week[w]) if w in by_week.index else None

        now = ret(last)
        rows.append(
            (
                "D7 retention (latest cohort)",
                now,
                _change(now, ret(last - dt.timedelta(WEEK))),
                _change(now, ret(last - dt.timedelta(MONTH))),
                "mart_cohort_summary",
            )
        )
    out = pd.DataFrame(rows, columns=["kpi", "value", "wow_change", "mom_change", "mart"])
    out.attrs["day"] = day
    return out


def _fmt(kpi: str, value: float | None) -> str:
    if value is None or pd.isna(value):
        return "–"
    if "USD" in kpi:
        return f"${value:,.2f}"
    if "satisfaction" in kpi or "retention" in kpi:
        return f"{value:.1%}"
    return f"{value:,.0f}"


def render(wh: Warehouse, filters: Filters) -> None:
    table = kpis(wh, filters)
    if table.empty:
        st.info("No complete day in marts.mart_active_users_daily for these filters.")
        return
    st.caption(f"At the last complete day, {table.attrs['day']}; deltas: week over week.")
    cols = st.columns(4)
    for i, row in enumerate(table.itertuples(index=False)):
        delta = None if row.wow_change is None or pd.isna(row.wow_change) else f"{row.wow_change:+.1%} WoW"
        cols[i % 4].metric(row.kpi, _fmt(row.kpi, row.value), delta, help=f"marts.{row.mart}")
    shown = table.assign(value=[_fmt(k, v) for k, v in zip(table.kpi, table.value, strict=True)])
    shown.attrs = {}
    st.subheader("Week over week and month over month")
    st.dataframe(shown, hide_index=True, key="overview-kpis", width="stretch")
    usage = wh.mart("mart_usage_daily", filters, order_by="activity_date")
    charts.timeseries(
        usage, "activity_date", ["request_count"], "Calls per day", "mart_usage_daily", "ov-calls"
    )
    st.subheader("Firing now")
    alerts_page.firing_now(wh, key="overview-firing")
