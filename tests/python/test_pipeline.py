"""End to end on the hand-built fixture: load -> dbt build -> facts, on DuckDB and PostgreSQL.

Expected numbers are worked out here, independently of the models: costs come from
genai-prices' own calculator, counts from the fixture's rows.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from pathlib import Path

import pytest
from genai_prices import Usage, calc_price

from .conftest import ROOT, Warehouse
from .fixtures import request, write_jsonl

# Between the loads of a scenario only the incremental models and what they read need to run: a
# table or view model is recomputed whole by the scenario's last build, as by any build.
INCREMENTAL = ("--select", "+config.materialized:incremental")


def price(provider: str, model: str, prompt: int, cached: int, completion: int, at: str) -> float:
    when = dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC)
    usage = Usage(input_tokens=prompt, cache_read_tokens=cached or None, output_tokens=completion)
    return float(calc_price(usage, model, provider_id=provider, genai_request_timestamp=when).total_price)


COST = {
    "r1": price("openai", "gpt-4o-2024-08-06", 1000, 400, 500, "2026-10-05 10:00:00"),
    "r2": price("anthropic", "claude-3-5-sonnet-20241022", 2000, 0, 100, "2026-10-05 10:01:00"),
    "r3": price("mistral", "mistral-large-4", 1000, 400, 500, "2026-10-21 09:00:00"),
    "r5": price("openai", "gpt-4o-mini", 50, 0, 0, "2026-10-22 23:00:00"),
}


def snapshot(wh: Warehouse) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every staging, intermediate and mart relation, order-free, floats to 9 digits
    (NaN as text: it equals nothing, itself included, and staging keeps the rows it rejects)."""

    def norm(value: object) -> object:
        if isinstance(value, float):
            return "NaN" if math.isnan(value) else float(f"{value:.9g}")
        return value

    names = wh.query(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('staging', 'intermediate', 'marts') order by 1, 2"
    )
    return {
        f"{schema}.{table}": sorted(
            (tuple(norm(v) for v in row) for row in wh.query(f"select * from {schema}.{table}")), key=repr
        )
        for schema, table in names
    }


def test_end_to_end(built_wh: Warehouse) -> None:
    warehouse = built_wh
    q = warehouse.query

    # dedupe and rejects: 9 raw rows, r1 twice, r6-r8 break rules
    assert sorted(r[0] for r in q("select request_id from marts.fct_llm_requests")) == [
        "r1",
        "r2",
        "r3",
        "r4",
        "r5",
    ]
    rejected = q("select row_id, reject_reason from intermediate.int_rejected_rows order by row_id")
    assert rejected == [
        ("f3", "rating_out_of_range"),
        ("r6", "negative_tokens"),
        ("r7", "missing_session_id"),
        ("r8", "unknown_status"),
    ]
    # cost as of the call's time, against genai-prices' own calculator
    costs = dict(q("select request_id, cost_usd from marts.fct_llm_requests"))
    for rid, expected in COST.items():
        assert costs[rid] == pytest.approx(expected, rel=1e-9), rid
    assert COST["r1"] == pytest.approx(float(Decimal("0.007")))  # (600 x 2.5 + 400 x 1.25 + 500 x 10) / 1e6
    assert costs["r4"] is None
    assert q("select is_priced from marts.fct_llm_requests where request_id = 'r4'") == [(False,)]
    # the dated snapshot resolved to its priced model
    assert (
        warehouse.scalar("select priced_model_id from marts.fct_llm_requests where request_id = 'r1'")
        == "gpt-4o"
    )
    # quality score: r2 regenerated and slow = (1 - 0.3) x 0.6
    assert warehouse.scalar(
        "select implicit_quality_score from marts.fct_llm_requests where request_id = 'r2'"
    ) == pytest.approx(0.42)
    assert q("select is_zero_result from marts.fct_llm_requests where request_id = 'r3'") == [(True,)]

    sessions = {
        r[0]: r[1:]
        for r in q(
            "select session_id, request_count, cost_usd, thumbs_up_count, rating_count "
            "from marts.fct_llm_sessions"
        )
    }
    assert set(sessions) == {"s1", "s2", "s3"}
    assert sessions["s1"][0] == 2
    assert sessions["s1"][1] == pytest.approx(COST["r1"] + COST["r2"])
    assert sessions["s1"][2] == 1
    assert sessions["s2"][1] == pytest.approx(COST["r3"])  # r4 is unpriced
    assert sessions["s2"][3] == 1  # the out-of-range rating was rejected

    users = dict(q("select user_id, experiment_variants from marts.dim_users"))
    assert users == {"u1": "exp1=control; exp2=a", "u2": "exp1=treatment; exp2=b"}
    assert warehouse.scalar(
        "select cast(signup_cohort_week as varchar) from marts.dim_users where user_id = 'u2'"
    ) == ("2026-10-19")


def test_no_raw_personal_data_leaves_staging(built_wh: Warehouse) -> None:
    warehouse = built_wh
    cols = warehouse.query(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema in ('staging', 'intermediate', 'marts') "
        "and lower(data_type) in ('text', 'varchar', 'character varying')"
    )
    assert cols
    for schema, table, column in cols:
        leaks = warehouse.scalar(
            f"select count(*) from {schema}.{table} where {column} like '%example.com%' "
            f"or {column} like '%415-555%' or {column} like '%4111 1111%'"
        )
        assert leaks == 0, f"{schema}.{table}.{column} holds personal data"
        assert column not in ("query_text", "response_text", "comment")


def test_incremental_run_equals_full_refresh(built_copy: Warehouse, tmp_path: Path) -> None:
    warehouse = built_copy  # the hand-built fixture, built
    # a late event for session s1 (occurred days ago), and r3 redelivered
    late = [
        request(
            "r9",
            occurred_at="2026-10-05 10:05:00",
            received_at="2026-10-23 12:00:00",
            user_id="u1",
            session_id="s1",
            provider="openai",
            model_id="gpt-4o",
            prompt_tokens=100,
            completion_tokens=10,
        ),
        request(
            "r3",
            occurred_at="2026-10-21 09:00:00",
            received_at="2026-10-23 12:00:00",
            user_id="u2",
            session_id="s2",
            provider="mistral",
            model_id="mistral-large-4",
            prompt_tokens=1000,
            cached_tokens=400,
            completion_tokens=500,
        ),
    ]
    warehouse.cli(
        "load", str(write_jsonl(tmp_path / "llm_requests-late.jsonl", late)), "--target", warehouse.target
    )
    warehouse.dbt("run", *INCREMENTAL)  # the scenario's last build runs every model and data test
    sql = (
        "select request_id, session_id, cost_usd, received_at, implicit_quality_score "
        "from marts.fct_llm_requests order by request_id"
    )
    incremental = warehouse.query(sql)
    sessions_inc = warehouse.query(
        "select session_id, request_count, cost_usd from marts.fct_llm_sessions order by 1"
    )
    assert [r[0] for r in incremental] == ["r1", "r2", "r3", "r4", "r5", "r9"]
    assert dict((r[0], r[1]) for r in sessions_inc)["s1"] == 3
    # then an on-time call, which moves the watermark past r9, and a run whose only late call
    # (10-22) has traffic before it: the hourly baselines and the rolling user windows must be
    # recomputed from the days before that call
    batches = {
        "r11": request(
            "r11",
            occurred_at="2026-10-23 19:59:00",
            received_at="2026-10-23 20:00:00",
            user_id="u1",
            session_id="s11",
            provider="openai",
            model_id="gpt-4o",
            prompt_tokens=100,
            completion_tokens=10,
        ),
        "r10": request(
            "r10",
            occurred_at="2026-10-22 10:00:00",
            received_at="2026-10-24 08:00:00",
            user_id="u3",
            session_id="s10",
            provider="mistral",
            model_id="mistral-large-4",
            prompt_tokens=200,
            completion_tokens=20,
            total_latency_ms=4000.0,
        ),
        # u2's first call was on 10-21: a late one on 10-20 moves their first day earlier, so
        # mart_usage_daily.new_users must move from 10-21 (not a touched day) to 10-20; and it
        # gives r3's answer to r3's query (case and spacing apart) a day earlier, so r3 (10-21,
        # an older load) becomes a duplicate generation although nothing of 10-21 is loaded
        "r12": request(
            "r12",
            occurred_at="2026-10-20 09:00:00",
            received_at="2026-10-24 09:00:00",
            user_id="u2",
            session_id="s12",
            provider="openai",
            model_id="gpt-4o",
            prompt_tokens=100,
            completion_tokens=10,
            query_text="Summarize this invoice",
            response_text="  sorry, I couldn't find ANY results. ",
        ),
    }

    # and funnel events: an entry on Monday 10-26 (moves the funnel's watermark past u2's entry on
    # 10-21), then a step in that week reaching u2's entry of the week before, whose week must
    # be recomputed although the event is in a later one
    def product_event(
        event_id: str, at: str, user: str, name: str, received_at: str | None = None
    ) -> dict[str, str]:
        return {
            "event_id": event_id,
            "occurred_at": at,
            "received_at": received_at or at,
            "user_id": user,
            "session_id": f"s-{user}",
            "event_name": name,
            "properties": "{}",
        }

    loads = [
        *(("llm_requests", key, row) for key, row in batches.items()),
        ("product_events", "p8", product_event("p8", "2026-10-26 00:30:00", "u1", "ai_query")),
        ("product_events", "p9", product_event("p9", "2026-10-26 08:00:00", "u2", "response_received")),
        # a late product event, no AI call: u3 becomes active on 10-21, a day no new call touches,
        # so mart_feature_adoption_daily must rebuild that day for its active users
        (
            "product_events",
            "p10",
            product_event("p10", "2026-10-21 15:00:00", "u3", "page_view", received_at="2026-10-26 09:00:00"),
        ),
    ]
    for n, (table, key, row) in enumerate(loads, start=1):
        path = write_jsonl(tmp_path / f"{table}-{key}.jsonl", [row])
        warehouse.cli("load", str(path), "--target", warehouse.target)
        # the incremental models between loads; the last build runs every model and data test
        if n == len(loads):
            warehouse.dbt("build")
        else:
            warehouse.dbt("run", *INCREMENTAL)
    new_users = warehouse.query(
        "select cast(activity_date as varchar), new_user_count from marts.mart_usage_daily "
        "where activity_date in ('2026-10-20', '2026-10-21') order by 1"
    )
    assert new_users == [("2026-10-20", 1), ("2026-10-21", 0)]
    # 10-21's active users by hand: u2 (calls r3, r4 and a product event) and u3 (p10 alone)
    adoption = warehouse.query(
        "select distinct active_product_user_count from marts.mart_feature_adoption_daily "
        "where activity_date = '2026-10-21'"
    )
    assert adoption == [(2,)]
    duplicates = warehouse.query(
        "select cast(activity_date as varchar), model_id, response_count, duplicate_response_count "
        "from marts.mart_duplicate_generations_daily where activity_date in ('2026-10-20', '2026-10-21') "
        "order by 1"
    )
    assert duplicates == [("2026-10-20", "gpt-4o", 1, 0), ("2026-10-21", "mistral-large-4", 1, 1)]
    tables = snapshot(warehouse)
    warehouse.dbt("run", "--full-refresh")
    assert [r for r in warehouse.query(sql) if r[0] not in batches] == incremental
    refreshed = snapshot(warehouse)
    assert len(refreshed) >= 30 and refreshed.keys() == tables.keys()
    for name, rows in refreshed.items():
        assert tables[name] == rows, name


def test_price_change_between_runs_keeps_past_costs(built_copy: Warehouse, tmp_path: Path) -> None:
    """`llm-analytics prices` closes a price and opens a new one; an incremental run prices new calls
    at the new price and leaves every past cost as it was."""
    import shutil

    project = tmp_path / "project"
    shutil.copytree(
        ROOT, project, ignore=shutil.ignore_patterns(".venv", "data", "target", "logs", "bench", ".git")
    )
    warehouse = built_copy  # the hand-built fixture, built
    before = dict(warehouse.query("select request_id, cost_usd from marts.fct_llm_requests"))
    prices = project / "seeds" / "model_prices.csv"
    rows = prices.read_text().splitlines()
    current = next(r for r in rows if r.startswith("openai,gpt-4o,") and r.endswith(","))
    changed = "2026-10-23 00:00:00"
    rows[rows.index(current)] = current + changed
    rows.append(f"openai,gpt-4o,25,100,12.5,{changed},")  # ten times the old price
    prices.write_text("\n".join(rows) + "\n")
    late = [
        request(
            "r10",
            occurred_at="2026-10-22 12:00:00",
            received_at="2026-10-23 13:00:00",
            user_id="u1",
            session_id="s10",
            provider="openai",
            model_id="gpt-4o",
            prompt_tokens=1000,
            completion_tokens=100,
        ),
        request(
            "r11",
            occurred_at="2026-10-23 12:00:00",
            received_at="2026-10-23 13:00:00",
            user_id="u1",
            session_id="s10",
            provider="openai",
            model_id="gpt-4o",
            prompt_tokens=1000,
            completion_tokens=100,
        ),
    ]
    warehouse.cli(
        "load", str(write_jsonl(tmp_path / "llm_requests-new.jsonl", late)), "--target", warehouse.target
    )
    # seeds (the new price) and models; the data tests run in the other scenarios' builds
    warehouse.dbt("build", "--project-dir", str(project), "--exclude-resource-type", "test")
    after = dict(warehouse.query("select request_id, cost_usd from marts.fct_llm_requests"))
    assert {k: after[k] for k in before} == before
    assert after["r10"] == pytest.approx((1000 * 2.5 + 100 * 10) / 1e6)  # before the change
    assert after["r11"] == pytest.approx((1000 * 25 + 100 * 100) / 1e6)  # after it
    assert warehouse.scalar(
        "select cost_usd from marts.fct_llm_sessions where session_id = 's10'"
    ) == pytest.approx(after["r10"] + after["r11"])


def test_incremental_replaces_whole_days_not_partial_ones(built_copy: Warehouse, tmp_path: Path) -> None:
    """A late call into a closed day must add to that day's totals, not replace them with its own."""
    warehouse = built_copy  # the hand-built fixture, built
    day = "select request_count, session_count from marts.mart_usage_daily where activity_date = '2026-10-05'"
    cost = (
        "select request_count, cost_usd from marts.mart_cost_daily "
        "where activity_date = '2026-10-05' and model_id = 'gpt-4o'"
    )
    assert warehouse.query(day) == [(2, 1)]
    late = [
        request(
            "r12",
            occurred_at="2026-10-05 18:00:00",
            received_at="2026-10-24 09:00:00",
            user_id="u2",
            session_id="s12",
            provider="openai",
            model_id="gpt-4o",
            prompt_tokens=10,
            completion_tokens=1,
        ),
        request(
            "r13",
            occurred_at="2026-10-05 18:01:00",
            received_at="2026-10-24 09:00:00",
            user_id="u2",
            session_id="s12",
            provider="openai",
            model_id="gpt-4o",
            prompt_tokens=10,
            completion_tokens=1,
        ),
    ]
    warehouse.cli(
        "load", str(write_jsonl(tmp_path / "llm_requests-late.jsonl", late)), "--target", warehouse.target
    )
    warehouse.dbt("run")  # models only: the data tests run in the other scenarios' builds
    assert warehouse.query(day) == [(4, 2)]
    requests, cost_usd = warehouse.query(cost)[0]
    assert requests == 2
    assert cost_usd == pytest.approx(2 * (10 * 2.5 + 1 * 10) / 1e6)
    hourly = (
        "select request_count from marts.mart_performance_hourly where activity_hour = '2026-10-05 18:00:00'"
    )
    assert warehouse.query(hourly) == [(2,)]
    sessions = "select count(*), sum(request_count) from marts.fct_llm_sessions"
    activity = (
        "select ai_request_count from marts.fct_user_activity_daily where user_day_id = 'u2|2026-10-05'"
    )
    incremental = (warehouse.query(sessions), warehouse.query(activity))
    warehouse.dbt("run", "--full-refresh")
    assert (warehouse.query(sessions), warehouse.query(activity)) == incremental
    assert warehouse.query(day) == [(4, 2)]
