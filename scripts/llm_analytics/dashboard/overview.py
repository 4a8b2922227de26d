"""Overview, the executive view: DAU / WAU / MAU, calls, cost, satisfaction and retention at the last
complete day, each with its change week over week (against 7 days earlier) and month over month
(against 28 days earlier: four whole weeks, so weekdays match), and the alerts firing now.

Windows: DAU/WAU/MAU are the mart's values on day D; calls, cost and satisfaction are the 7 days
ending on D (against the 7 days ending D-7 and D-28); retention is day-7 retention of the latest
signup cohort week with eligible users (against the cohort 1 and 4 weeks before)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

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


KpiRow = tuple[str, float | None, float | None, float | None, str]


def _kpi(label: str, value: Callable[[dt.date], float | None], day: dt.date, mart: str) -> KpiRow:
    """A KPI's value on DAY, its change against a week and a month before, and the mart it reads."""
    now = value(day)
    week, month = value(day - dt.timedelta(WEEK)), value(day - dt.timedelta(MONTH))
    return (label, now, _change(now, week), _change(now, month), mart)


def kpis(wh: Warehouse, filters: Filters) -> pd.DataFrame:
    """One row per KPI: value, its week-over-week and month-over-month change, the mart read."""
    active = _dates(wh.mart("mart_active_users_daily", filters, order_by="activity_date"))
    complete = active[active["is_complete_period"].astype(bool)]
    if complete.empty:
        return pd.DataFrame(columns=["kpi", "value", "wow_change", "mom_change", "mart"])
    day = complete["activity_date"].max()
    by_day = active.set_index("activity_date")

    def daily(col: str) -> Callable[[dt.date], float | None]:
        return lambda d: float(by_day.at[d, col]) if d in by_day.index else None

    rows = [_kpi(col.upper(), daily(col), day, "mart_active_users_daily") for col in ("dau", "wau", "mau")]
    usage = _dates(wh.mart("mart_usage_daily", filters))
    cost = _dates(wh.mart("mart_cost_daily", filters))
    sat = _dates(wh.mart("mart_satisfaction_daily", filters))
    for label, frame, col, mart in (
        ("Calls (7 days)", usage, "request_count", "mart_usage_daily"),
        ("Cost USD (7 days)", cost, "cost_usd", "mart_cost_daily"),
    ):
        rows.append(_kpi(label, lambda d, f=frame, c=col: _window_sum(f, c, d), day, mart))

    def net(end: dt.date) -> float | None:
        up, down = _window_sum(sat, "thumbs_up_count", end), _window_sum(sat, "thumbs_down_count", end)
        if up is None or down is None or up + down == 0:
            return None
        return (up - down) / (up + down)

    rows.append(_kpi("Net satisfaction (7 days)", net, day, "mart_satisfaction_daily"))
    cohorts = wh.mart("mart_cohort_summary", filters, order_by="signup_cohort_week")
    cohorts = cohorts[cohorts["d7_eligible_user_count"] > 0].copy()
    if not cohorts.empty:
        cohorts["signup_cohort_week"] = pd.to_datetime(cohorts["signup_cohort_week"]).dt.date
        by_week = cohorts.set_index("signup_cohort_week")["d7_retention_rate"]

        def ret(w: dt.date) -> float | None:
            return float(by_week[w]) if w in by_week.index else None

        rows.append(_kpi("D7 retention (latest cohort)", ret, by_week.index.max(), "mart_cohort_summary"))
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
