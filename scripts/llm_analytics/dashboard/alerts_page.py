"""Alerts: what fires now and the history, from the alert scripts' state tables (schema `alerts`,
written by `llm-analytics alerts run`: see alerts/state.py). A scope fires now when its latest event
is a firing with no resolve for the same window (state.open_counts' rule, with the details)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from llm_analytics.alerts.state import SCHEMA
from llm_analytics.dashboard import charts
from llm_analytics.dashboard.data import Filters, Warehouse

TITLE = "Alerts"
MARTS: tuple[str, ...] = ()
STATE_TABLES = ("alert_events", "rule_runs")
HISTORY_ROWS = 500

FIRING_SQL = f"""select e.rule_name, e.severity, e.scope_key, e.window_end, e.observed_value, e.threshold,
    e.message
from {SCHEMA}.alert_events e inner join (
    select rule_name, scope_key, max(window_end) as window_end from {SCHEMA}.alert_events
    group by rule_name, scope_key
) latest on e.rule_name = latest.rule_name and e.scope_key = latest.scope_key
    and e.window_end = latest.window_end
where e.state = 'firing'
    and not exists (
        select 1 from {SCHEMA}.alert_events r where r.rule_name = e.rule_name
        and r.scope_key = e.scope_key and r.window_end = e.window_end and r.state = 'resolved'
    )
order by e.severity, e.rule_name, e.scope_key"""

HISTORY_SQL = f"""select window_end, rule_name, severity, state, scope_key, observed_value, threshold,
    notified, message
from {SCHEMA}.alert_events
order by window_end desc, evaluated_at desc, rule_name, scope_key limit {HISTORY_ROWS}"""

RUNS_SQL = f"""select rule_name, max(window_end) as last_window_end, max(evaluated_at) as last_evaluated_at
from {SCHEMA}.rule_runs group by rule_name order by rule_name"""


def firing(wh: Warehouse) -> pd.DataFrame | None:
    return wh.alerts("alert_events", FIRING_SQL)


def firing_now(wh: Warehouse, key: str) -> None:
    frame = firing(wh)
    if frame is None:
        st.info(
            "No alert run recorded: `llm-analytics alerts run` writes the alerts schema "
            "(or this role may not read it)."
        )
    elif frame.empty:
        st.success("Nothing firing.")
    else:
        st.error(f"{len(frame)} scope(s) firing")
        st.caption(f"Source: {SCHEMA}.alert_events")
        st.dataframe(frame, hide_index=True, key=key, width="stretch")


def render(wh: Warehouse, filters: Filters) -> None:
    st.subheader("Firing now")
    firing_now(wh, key="alerts-firing")
    history = wh.alerts("alert_events", HISTORY_SQL)
    if history is None:
        return
    st.subheader("History")
    if not history.empty:
        per_day = history.assign(day=pd.to_datetime(history["window_end"]).dt.date)
        per_day = per_day[per_day["state"] == "firing"].groupby("day", as_index=False).size()
        charts.bars(per_day, "day", "size", "Firings per day", f"{SCHEMA}.alert_events", "alerts-per-day")
    st.caption(f"Source: {SCHEMA}.alert_events (latest {HISTORY_ROWS})")
    st.dataframe(history, hide_index=True, key="alerts-history", width="stretch")
    runs = wh.alerts("rule_runs", RUNS_SQL)
    if runs is not None:
        st.subheader("Last evaluation per rule")
        st.caption(f"Source: {SCHEMA}.rule_runs")
        st.dataframe(runs, hide_index=True, key="alerts-runs", width="stretch")
