"""The Streamlit entry point: sidebar filters, then the chosen page.

`streamlit run app.py` (what `llm-analytics dashboard` does) shows every page in the navigation;
`main(page="usage")` renders one page directly, which is how the AppTest tests drive each page.
"""

from __future__ import annotations

import datetime as dt
from types import ModuleType

import streamlit as st

from llm_analytics.dashboard import alerts_page, cost, models, overview, performance, product, quality, usage
from llm_analytics.dashboard.data import Filters, Warehouse, from_env
from llm_analytics.project import UserError

PAGES: dict[str, ModuleType] = {
    "overview": overview,
    "usage": usage,
    "performance": performance,
    "cost": cost,
    "quality": quality,
    "models": models,
    "product": product,
    "alerts": alerts_page,
}


def sidebar_filters(wh: Warehouse) -> Filters:
    """Date range, feature, provider, model and segment, with choices read from the marts."""
    st.sidebar.header("Filters")
    lo, hi = wh.date_span("mart_usage_daily", "activity_date")
    start = end = None
    if lo and hi:
        picked = st.sidebar.date_input("Date range", value=(lo, hi), key="dates")
        if isinstance(picked, tuple | list) and len(picked) == 2:
            start, end = picked
        elif isinstance(picked, tuple | list) and len(picked) == 1:
            start = picked[0]
        elif isinstance(picked, dt.date):
            start = picked
    features = st.sidebar.multiselect(
        "Feature", wh.distinct("mart_feature_adoption_daily", "feature_id"), key="features"
    )
    providers = st.sidebar.multiselect(
        "Provider", wh.distinct("mart_cost_daily", "provider"), key="providers"
    )
    models_ = st.sidebar.multiselect("Model", wh.distinct("mart_cost_daily", "model_id"), key="models")
    segments = st.sidebar.multiselect(
        "Segment", wh.distinct("mart_cost_by_segment", "segment"), key="segments"
    )
    st.sidebar.caption("Each filter applies to the charts whose mart has that column.")
    return Filters(start, end, tuple(features), tuple(providers), tuple(models_), tuple(segments))


def _warehouse() -> Warehouse:
    notice = st.empty()
    wh = from_env(on_wait=notice.info)
    wh.columns("marts", "")  # open once now: a lock is waited for (and said) before anything draws
    if not wh.has("mart_usage_daily"):
        raise UserError(
            f"no marts in the {wh.target.name} warehouse: run `dbt build --target {wh.target.name}`"
        )
    notice.empty()
    return wh


def main(page: str | None = None) -> None:
    st.set_page_config(page_title="llm-analytics", layout="wide")
    try:
        wh = _warehouse()
        filters = sidebar_filters(wh)
    except UserError as exc:
        st.error(str(exc))
        return

    def runner(module: ModuleType):
        def run() -> None:
            st.title(module.TITLE)
            try:
                module.render(wh, filters)
            except UserError as exc:
                st.error(str(exc))

        run.__name__ = module.__name__.rsplit(".", 1)[-1]
        return run

    if page is not None:
        runner(PAGES[page])()
        return
    nav = st.navigation(
        [
            st.Page(runner(m), title=m.TITLE, url_path=name, default=name == "overview")
            for name, m in PAGES.items()
        ]
    )
    nav.run()


if __name__ == "__main__":
    main()
