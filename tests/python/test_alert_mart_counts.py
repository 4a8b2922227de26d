"""The alert mart's count columns (tokens, regenerations, thumbs, one per error type) against the
same counts taken straight from fct_llm_requests and fct_feedback by SQL written here.

One small sample (3,000 calls over 6 days), built once for the module on DuckDB; the PostgreSQL
build of the same model is exercised by test_alerts.py.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from llm_analytics.alerts.pooled import project_vars

from .conftest import BIN, ROOT, Warehouse, _base_env


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    tmp = tmp_path_factory.mktemp("alert-mart-counts")
    env = _base_env(tmp)
    env["DBT_TARGET"] = "duckdb"
    env["DUCKDB_PATH"] = str(tmp / "warehouse.duckdb")
    raw = Path(tmp / "raw")
    cmd = [str(BIN / "llm-analytics"), "generate", "--out", str(raw), "--requests", "3000", "--users", "150"]
    cmd += ["--days", "6", "--start", "2026-10-01"]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    w = Warehouse("duckdb", env)
    w.cli("load", str(raw), "--target", "duckdb")
    w.dbt("build", "--select", "+mart_alert_metrics_hourly", "--exclude-resource-type", "test")
    return w


def test_counts_match_the_facts(wh: Warehouse) -> None:
    types = project_vars()["error_types"]
    per_type = "".join(f", sum(case when error_type = '{t}' then 1 else 0 end)" for t in types)
    facts = f"""
        with thumbs as (
            select r.request_hour, r.provider || '/' || r.model_id as scope_key, count(*) as thumbs_count,
                sum(case when f.feedback_type = 'thumbs_down' then 1 else 0 end) as thumbs_down_count
            from marts.fct_feedback f join marts.fct_llm_requests r on f.request_id = r.request_id
            where f.feedback_type in ('thumbs_up', 'thumbs_down')
            group by 1, 2
        ),
        calls as (
            select request_hour, provider || '/' || model_id as scope_key, sum(total_tokens),
                sum(case when is_regenerated then 1 else 0 end){per_type}
            from marts.fct_llm_requests group by 1, 2
        )
        select c.*, coalesce(t.thumbs_count, 0), coalesce(t.thumbs_down_count, 0)
        from calls c left join thumbs t on c.request_hour = t.request_hour and c.scope_key = t.scope_key
    """
    cols = ", ".join(["total_tokens", "regeneration_count", *(f"{t}_count" for t in types)])
    mart = f"""
        select activity_hour, scope_key, {cols}, thumbs_count, thumbs_down_count
        from marts.mart_alert_metrics_hourly where scope_type = 'provider_model'
    """
    expected = {(r[0], r[1]): tuple(int(v) for v in r[2:]) for r in wh.query(facts)}
    got = {(r[0], r[1]): tuple(int(v) for v in r[2:]) for r in wh.query(mart)}
    assert len(expected) > 100 and sum(v[-2] for v in expected.values()) > 50  # thumbs were given
    assert {k: got.get(k) for k in expected} == expected
    # hours without calls are present and zero
    assert all(v == (0,) * len(v) for k, v in got.items() if k not in expected)
    overall = wh.query(
        "select sum(total_tokens), sum(thumbs_down_count), min(thumbs_down_rate), max(thumbs_down_rate), "
        "sum(case when thumbs_count > 0 and abs(thumbs_down_rate - thumbs_down_count * 1.0 / thumbs_count) "
        "> 1e-12 then 1 else 0 end) from marts.mart_alert_metrics_hourly where scope_type = 'overall'"
    )[0]
    assert overall[0] == sum(v[0] for v in expected.values())
    assert overall[1] == sum(v[-1] for v in expected.values())
    assert 0 <= overall[2] <= overall[3] <= 1 and overall[4] == 0
