"""The sample generator: deterministic, exactly sized, and carrying what the marts must find."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
from llm_analytics.generate import generate, incidents

START = dt.datetime(2026, 10, 1)


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for table in ("llm_requests", "feedback_events", "product_events", "users", "experiment_assignments"):
        rows = duckdb.sql(f"select * from '{folder / table}.parquet' order by all").fetchall()
        h.update(repr(rows).encode())
    return h.hexdigest()


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", seed=7, days=7, users=50, requests=3000, start=START)
    b = generate(tmp_path / "b", seed=7, days=7, users=50, requests=3000, start=START)
    generate(tmp_path / "c", seed=8, days=7, users=50, requests=3000, start=START)
    assert a.rows == b.rows
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_sample_carries_dirt_incidents_and_signals(tmp_path: Path) -> None:
    out = tmp_path / "s"
    summary = generate(out, seed=1, days=28, users=400, requests=40_000, start=START)
    req = str(out / "llm_requests.parquet")
    con = duckdb.connect()
    distinct, total = con.execute(f"select count(distinct event_id), count(*) from '{req}'").fetchone()
    assert distinct == 40_000  # exactly --requests calls ...
    assert total > distinct  # ... plus redelivered duplicates
    assert summary.rows["llm_requests"] == total
    late = con.execute(
        f"select avg(case when received_at > occurred_at + interval 1 day then 1 else 0 end) from '{req}'"
    )
    assert 0.005 < late.fetchone()[0] < 0.05
    assert con.execute(f"select count(*) from '{req}' where completion_tokens < 0").fetchone()[0] > 0
    assert (
        con.execute(f"select count(*) from '{req}' where query_text like '%@example.com%'").fetchone()[0] > 0
    )
    assert con.execute(f"select count(*) from '{req}' where model_id = 'acme-llm-7b'").fetchone()[0] > 0
    versions = con.execute(
        f"select distinct model_version from '{req}' where model_id = 'gpt-4o-mini'"
    ).fetchall()
    assert sorted(v[0] for v in versions) == ["v1", "v2"]
    explicit = con.execute(
        f"select avg(case when explicit_rating is not null then 1 else 0 end) from '{req}' "
        "where status = 'success'"
    ).fetchone()[0]
    assert 0.03 <= explicit <= 0.05

    # the error burst hour: anthropic fails far more often than in other hours
    burst = next(i for i in incidents(START, 28) if i.kind == "error_burst")
    in_burst, outside = con.execute(
        f"""select
            avg(case when status = 'error' then 1.0 else 0 end) filter (where occurred_at >= '{burst.start}'
                and occurred_at < '{burst.end}'),
            avg(case when status = 'error' then 1.0 else 0 end) filter (where occurred_at < '{burst.start}')
        from '{req}' where provider = 'anthropic'"""
    ).fetchone()
    assert in_burst > 0.3 > 0.05 > outside
    spike = next(i for i in incidents(START, 28) if i.kind == "latency_spike")
    ratio = con.execute(
        f"""select
            median(total_latency_ms) filter (
                where occurred_at >= '{spike.start}' and occurred_at < '{spike.end}')
            / median(total_latency_ms) filter (where occurred_at < '{spike.start}')
        from '{req}' where provider = 'openai' and status = 'success' and routing_strategy != 'cache'"""
    ).fetchone()[0]
    assert ratio > 3
    # weekly pattern: weekdays busier than weekends
    weekday, weekend = con.execute(
        f"""select count(*) filter (where isodow(occurred_at) <= 5) / 5.0,
                   count(*) filter (where isodow(occurred_at) > 5) / 2.0 from '{req}'"""
    ).fetchone()
    assert weekday > 1.3 * weekend
    # the experiment's treatment converts better
    conv = dict(
        con.execute(
            f"""select a.variant, count(distinct p.session_id) filter (where p.event_name = 'converted')
                / count(distinct p.session_id) filter (where p.event_name = 'ai_query')
            from '{out / "product_events.parquet"}' p
            join '{out / "experiment_assignments.parquet"}' a using (user_id) group by 1"""
        ).fetchall()
    )
    assert conv["treatment"] > conv["control"]
