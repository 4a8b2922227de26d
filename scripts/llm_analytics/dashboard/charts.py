"""Chart helpers shared by the pages: every chart names the mart it reads, and a period still in
progress (`is_complete_period = false`) is drawn dashed and lighter with a note, not as a cliff."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.colors import qualitative

PALETTE = qualitative.Plotly
INCOMPLETE_NOTE = "dashed, lighter: period still in progress"


def source(mart: str) -> str:
    """MART as a qualified name: marts.<name> unless it names its schema."""
    return mart if "." in mart else f"marts.{mart}"


def titled(title: str, mart: str) -> str:
    return f"{title} <span style='font-size:0.75em;color:grey'>· {source(mart)}</span>"


def show(fig: go.Figure, key: str) -> None:
    fig.update_layout(margin={"l": 10, "r": 10, "t": 50, "b": 10}, height=340, legend={"orientation": "h"})
    st.plotly_chart(fig, key=key, width="stretch")


def timeseries(
    frame: pd.DataFrame,
    x: str,
    ys: Sequence[str],
    title: str,
    mart: str,
    key: str,
    color: str | None = None,
    complete: str = "is_complete_period",
) -> None:
    """Lines of YS (or of one Y per COLOR group) over X; points after the last complete one are drawn
    dashed and lighter, joined to it, with an annotation."""
    fig = go.Figure()
    if frame.empty:
        st.info(f"{title}: no rows in {source(mart)} for these filters.")
        return
    groups = [(None, frame)] if color is None else list(frame.groupby(color, sort=True))
    has_flag = complete in frame.columns
    incomplete_any = False
    n = 0
    for name, part in groups:
        part = part.sort_values(x)
        for y in ys:
            label = y if name is None else (str(name) if len(ys) == 1 else f"{name} {y}")
            done = part[part[complete].astype(bool)] if has_flag else part
            color_ = PALETTE[n % len(PALETTE)]
            n += 1
            fig.add_trace(
                go.Scatter(x=done[x], y=done[y], mode="lines+markers", name=label, line={"color": color_})
            )
            if has_flag and not part[complete].astype(bool).all():
                incomplete_any = True
                open_part = part[~part[complete].astype(bool)]
                bridge = pd.concat([done.tail(1), open_part])
                fig.add_trace(
                    go.Scatter(
                        x=bridge[x],
                        y=bridge[y],
                        mode="lines+markers",
                        name=f"{label} (in progress)",
                        line={"dash": "dash", "color": color_},
                        opacity=0.45,
                    )
                )
    fig.update_layout(title=titled(title, mart))
    if incomplete_any:
        fig.add_annotation(
            text=INCOMPLETE_NOTE, xref="paper", yref="paper", x=1, y=1.08, showarrow=False, font={"size": 10}
        )
    show(fig, key)


def bars(
    frame: pd.DataFrame,
    x: str,
    y: str,
    title: str,
    mart: str,
    key: str,
    highlight: str | None = None,
    horizontal: bool = False,
) -> None:
    """Bars of Y by X; rows where HIGHLIGHT is true are drawn in red (bottlenecks)."""
    if frame.empty:
        st.info(f"{title}: no rows in {source(mart)} for these filters.")
        return
    colors = None
    if highlight is not None and highlight in frame.columns:
        colors = ["#d62728" if bool(v) else "#1f77b4" for v in frame[highlight]]
    bar = (
        go.Bar(y=frame[x].astype(str), x=frame[y], orientation="h", marker_color=colors)
        if horizontal
        else go.Bar(x=frame[x].astype(str), y=frame[y], marker_color=colors)
    )
    fig = go.Figure(bar)
    fig.update_layout(title=titled(title, mart))
    show(fig, key)


def heatmap(frame: pd.DataFrame, x: str, y: str, z: str, title: str, mart: str, key: str) -> None:
    if frame.empty:
        st.info(f"{title}: no rows in {source(mart)} for these filters.")
        return
    grid = frame.pivot_table(index=y, columns=x, values=z, aggfunc="sum")
    fig = go.Figure(
        go.Heatmap(z=grid.values, x=[str(c) for c in grid.columns], y=[str(i) for i in grid.index])
    )
    fig.update_layout(title=titled(title, mart))
    show(fig, key)


def table(frame: pd.DataFrame, mart: str, key: str) -> None:
    st.caption(f"Source: {source(mart)}")
    st.dataframe(frame, key=key, hide_index=True, width="stretch")


def generic(wh_frame: pd.DataFrame, mart: str, key: str) -> None:
    """A mart this dashboard knows only by name (added by another branch): its numeric columns over
    its date column when it has one, and the rows."""
    from .data import DATE_COLUMNS

    date_col = next((c for c in DATE_COLUMNS if c in wh_frame.columns), None)
    numeric = [
        c
        for c in wh_frame.select_dtypes("number").columns
        if c.endswith(("_rate", "_usd", "_count", "_score")) and not c.endswith("_id")
    ][:4]
    if date_col and numeric and not wh_frame.empty:
        daily = wh_frame.groupby(date_col, as_index=False)[numeric].mean(numeric_only=True)
        if "is_complete_period" in wh_frame.columns:
            flags = wh_frame.groupby(date_col, as_index=False)["is_complete_period"].min()
            daily = daily.merge(flags, on=date_col)
        timeseries(daily, date_col, numeric, mart, mart, key=f"{key}-chart")
    table(wh_frame, mart, key=f"{key}-table")
