"""The dashboard (`llm-analytics dashboard`) as Streamlit renders it, without a browser: every page
runs on the shared built fixture of each engine with no exception, and the figures it shows equal
values queried here, independently, from the marts. Also: percentiles from histogram buckets, the
DuckDB lock wait, and that an incomplete period is drawn dashed."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from llm_analytics.dashboard.data import latency_percentiles, open_duckdb_waiting

from .conftest import ROOT, Warehouse

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest
PAGES = ("overview", "usage", "performance", "cost", "quality", "models", "product", "alerts")


def _env(monkeypatch: pytest.MonkeyPatch, wh: Warehouse) -> None:
    """Point the in-process app at WH, as `llm-analytics dashboard --target` does."""
    monkeypatch.setenv("LLM_ANALYTICS_DASHBOARD_TARGET", wh.target)
    monkeypatch.setenv("LLM_ANALYTICS_PROJECT_DIR", str(ROOT))
    monkeypatch.setenv("DBT_PROFILES_DIR", str(ROOT))
    if wh.target == "duckdb":
        monkeypatch.setenv("DUCKDB_PATH", str(wh.path))
    else:
        wh.activate()  # its database answers to PGDATABASE while in use (tests/python/conftest.py)
        monkeypatch.setenv("PGDATABASE", wh.env["PGDATABASE"])


def _page(page: str) -> AppTest:
    at = AppTest.from_string(
        f"from llm_analytics.dashboard.app import main\nmain(page={page!r})", default_timeout=60
    )
    return at.run()


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _span(wh: Warehouse) -> tuple[dt.date, dt.date]:
    """The sidebar's default date range: mart_usage_daily's days."""
    lo, hi = wh.query("select min(activity_date), max(activity_date) from marts.mart_usage_daily")[0]
    return pd.Timestamp(lo).date(), pd.Timestamp(hi).date()


def _in_range(wh: Warehouse, column: str) -> str:
    lo, hi = _span(wh)
    return f"{column} >= '{lo}' and {column} < '{hi + dt.timedelta(days=1)}'"


def _num(wh: Warehouse, sql: str) -> float:
    value = wh.scalar(sql)
    return float(value) if value is not None else 0.0


@pytest.fixture
def app(built_wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    _env(monkeypatch, built_wh)
    return built_wh


def test_every_page_renders_without_error(app: Warehouse) -> None:
    for page in PAGES:
        at = _page(page)
        assert not at.exception, f"{page}: {[e.value for e in at.exception]}"
        assert not at.error, f"{page}: {[e.value for e in at.error]}"
        assert at.title[0].value.lower() == page, page


def test_usage_and_product_figures_equal_the_marts(app: Warehouse) -> None:
    shown = _metrics(_page("usage"))
    calls = _num(app, "select sum(request_count) from marts.mart_usage_daily")
    sessions = _num(app, "select sum(session_count) from marts.mart_usage_daily")
    assert shown["Calls"] == f"{calls:,.0f}" and calls > 0
    assert shown["Sessions"] == f"{sessions:,.0f}"
    product = _metrics(_page("product"))
    n = _num(app, f"select count(*) from marts.fct_llm_sessions where {_in_range(app, 'started_at')}")
    per = _num(
        app, f"select avg(request_count) from marts.fct_llm_sessions where {_in_range(app, 'started_at')}"
    )
    assert product["Sessions"] == f"{n:,.0f}" and n > 0
    assert product["Calls per session"] == f"{per:.2f}"


def test_overview_figures_equal_the_marts(app: Warehouse) -> None:
    shown = _metrics(_page("overview"))
    lo, hi = _span(app)
    day = app.scalar(
        "select max(activity_date) from marts.mart_active_users_daily where is_complete_period "
        f"and activity_date between '{lo}' and '{hi}'"
    )
    dau, mau = app.query(f"select dau, mau from marts.mart_active_users_daily where activity_date = '{day}'")[
        0
    ]
    assert shown["DAU"] == f"{dau:,.0f}" and shown["MAU"] == f"{mau:,.0f}"
    week = pd.Timestamp(day).date() - dt.timedelta(days=6)
    calls = _num(
        app,
        "select sum(request_count) from marts.mart_usage_daily "
        f"where activity_date between '{week}' and '{day}'",
    )
    assert shown["Calls (7 days)"] == f"{calls:,.0f}"


def test_cost_and_quality_figures_equal_the_marts(app: Warehouse) -> None:
    shown = _metrics(_page("cost"))
    where = _in_range(app, "activity_date")
    spend = _num(app, f"select sum(cost_usd) from marts.mart_cost_daily where {where}")
    calls = _num(app, f"select sum(request_count) from marts.mart_cost_daily where {where}")
    per_session = _num(
        app, f"select avg(cost_usd) from marts.mart_cost_per_session where {_in_range(app, 'session_date')}"
    )
    assert spend > 0
    assert shown["Spend"] == f"${spend:,.2f}"
    assert shown["Per call"] == f"${spend / calls:,.4f}"
    assert shown["Per session"] == f"${per_session:,.4f}"
    quality = _metrics(_page("quality"))
    up = _num(app, f"select sum(thumbs_up_count) from marts.mart_satisfaction_daily where {where}")
    down = _num(app, f"select sum(thumbs_down_count) from marts.mart_satisfaction_daily where {where}")
    assert quality["Thumbs up"] == f"{up:,.0f}" and up > 0
    assert quality["Net satisfaction"] == f"{(up - down) / (up + down):+.2f}"


def test_performance_percentiles_equal_the_buckets(app: Warehouse) -> None:
    """The page's p50 / p95 equal the histogram recipe run in SQL: the first bucket whose running
    count reaches p x total, interpolated linearly inside it."""
    shown = _metrics(_page("performance"))
    for q in (0.5, 0.95):
        value = app.scalar(
            f"""with b as (
                select bucket_index, min(bucket_lower_ms) as lo, max(bucket_upper_ms) as hi,
                    sum(request_count) as n
                from marts.mart_latency_histogram where {_in_range(app, "activity_hour")}
                group by bucket_index
            ), c as (
                select *, sum(n) over (order by bucket_index) as cum, sum(n) over () as tot from b
            )
            select lo + ({q} * tot - (cum - n)) / n * (hi - lo) from c
            where cum >= {q} * tot order by bucket_index limit 1"""
        )
        assert shown[f"Latency p{round(q * 100)}"] == f"{float(value):,.0f} ms"


def test_models_table_holds_the_mart(app: Warehouse) -> None:
    at = _page("models")
    table = at.dataframe[0].value
    lo, hi = _span(app)
    monday = lo - dt.timedelta(days=lo.weekday())
    rows = app.query(
        "select count(*), sum(request_count) from marts.mart_model_comparison "
        f"where activity_week >= '{monday}' and activity_week < '{hi + dt.timedelta(days=1)}'"
    )[0]
    assert len(table) == rows[0] > 0
    assert table["request_count"].sum() == rows[1]


def test_alerts_page_before_any_alert_run(app: Warehouse) -> None:
    """The fixture has no alert state yet: the page says so instead of failing."""
    at = _page("alerts")
    assert any("No alert run recorded" in i.value for i in at.info)


def test_a_provider_filter_narrows_the_cost_page(app: Warehouse) -> None:
    at = _page("cost")
    provider = at.multiselect(key="providers").options[-1]
    at.multiselect(key="providers").set_value([provider]).run()
    where = f"{_in_range(app, 'activity_date')} and provider = '{provider}'"
    spend = _num(app, f"select sum(cost_usd) from marts.mart_cost_daily where {where}")
    total = _num(
        app, f"select sum(cost_usd) from marts.mart_cost_daily where {_in_range(app, 'activity_date')}"
    )
    assert _metrics(at)["Spend"] == f"${spend:,.2f}"
    assert spend < total


def test_an_incomplete_period_is_drawn_dashed(
    built_duckdb: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mart_usage_daily's last day is in progress in the fixture: its segment is a separate dashed
    trace in the same colour, and every chart's title names its mart."""
    _env(monkeypatch, built_duckdb)
    assert built_duckdb.scalar("select count(*) from marts.mart_usage_daily where not is_complete_period") > 0
    specs = [json.loads(c.proto.spec) for c in _page("usage").get("plotly_chart")]
    assert all("marts.mart_" in s["layout"]["title"]["text"] for s in specs)
    volume = next(s for s in specs if "mart_usage_daily" in s["layout"]["title"]["text"])
    done, open_ = volume["data"][0], volume["data"][1]
    assert open_["line"]["dash"] == "dash" and open_["line"]["color"] == done["line"]["color"]
    assert "in progress" in open_["name"]


def test_latency_percentiles_interpolate_inside_the_bucket() -> None:
    """By hand: buckets [10, 20) x 2 calls, [20, 40) x 6, [40, 80) x 2: total 10.
    p50: goal 5, the second bucket (running 2 -> 8): 20 + (5 - 2) / 6 x 20 = 30.
    p90: goal 9, the third bucket (8 -> 10): 40 + (9 - 8) / 2 x 40 = 60.
    p10: goal 1, the first bucket: 10 + 1 / 2 x 10 = 15. Rows of one bucket add up across models."""
    rows = pd.DataFrame(
        [(0, 10.0, 20.0, 2), (1, 20.0, 40.0, 4), (1, 20.0, 40.0, 2), (2, 40.0, 80.0, 2)],
        columns=["bucket_index", "bucket_lower_ms", "bucket_upper_ms", "request_count"],
    )
    assert latency_percentiles(rows, (0.1, 0.5, 0.9)) == {0.1: 15.0, 0.5: 30.0, 0.9: 60.0}
    assert latency_percentiles(rows.iloc[:0], (0.5,)) == {0.5: None}


def test_duckdb_lock_is_waited_for(tmp_path: Path) -> None:
    """While another process holds the file's write lock (a dbt build), the dashboard retries and
    says so; once it is released, the read-only connection opens."""
    path = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]);"
            "c.execute('create table t as select 1 as x'); print('locked', flush=True);"
            "time.sleep(2.5); c.close()",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        said: list[str] = []
        started = time.monotonic()
        con = open_duckdb_waiting(str(path), wait_seconds=30, on_wait=said.append)
        try:
            assert con.execute("select x from t").fetchone() == (1,)
        finally:
            con.close()
        assert said and "waiting" in said[0] and time.monotonic() - started > 0.5
    finally:
        holder.wait(timeout=30)


def test_before_any_build_the_page_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built_duckdb: Warehouse
) -> None:
    """An empty warehouse file: one message with the fix, no traceback; a missing file: the command
    refuses with exit 2 before starting a server."""
    import duckdb

    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    _env(monkeypatch, built_duckdb)
    monkeypatch.setenv("DUCKDB_PATH", str(empty))
    at = _page("usage")
    assert not at.exception
    assert "dbt build" in at.error[0].value
    env = {**built_duckdb.env, "DUCKDB_PATH": str(tmp_path / "missing.duckdb")}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "llm-analytics"), "dashboard", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "does not exist" in proc.stderr


def test_alerts_pages_show_what_fires(
    duckdb_built_copy: Warehouse, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """After an alert run that fires (a rule of its own: the fixture's last hour has one call of
    30,000 ms), Alerts and Overview list the firing scope, and the history holds the events that
    alerts.alert_events holds."""
    import yaml

    rules = tmp_path / "alerts.yml"
    rule = {"name": "dashboard_slow", "metric": "latency_p95_ms", "scope": "overall"}
    rule |= {"condition": "> 5000", "severity": "warning", "notify": ["file"]}
    notifiers = {"file": {"type": "jsonl", "path": str(tmp_path / "sent.jsonl")}}
    rules.write_text(yaml.safe_dump({"notifiers": notifiers, "rules": [rule]}))
    wh = duckdb_built_copy
    proc = wh.cli("alerts", "run", "--rules", str(rules), "--at", "2026-10-23T00:00", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # 1: something fired
    _env(monkeypatch, wh)
    at = _page("alerts")
    firing = at.dataframe[0].value
    assert list(firing["rule_name"]) == ["dashboard_slow"] and list(firing["scope_key"]) == ["overall"]
    assert len(at.dataframe[1].value) == wh.scalar("select count(*) from alerts.alert_events")
    overview = _page("overview")
    assert "1 scope(s) firing" in overview.error[0].value
    assert list(overview.dataframe[1].value["rule_name"]) == ["dashboard_slow"]
