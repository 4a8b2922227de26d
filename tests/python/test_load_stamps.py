"""Incremental scope never depends on a sender's clock (issue 16 §1), on DuckDB and PostgreSQL.

The loader stamps every raw event row with its own load time and number (_loaded_at, _load_id),
and incremental models select by those. Two cases used to leave rows in raw that never reached
the marts: a received_at in the future (it moved the watermark there) and a backfill (received_at
older than the watermark minus the lookback). One run with a future row, then one run with 100
ordinary rows and a backfill, then a full refresh: three builds in all.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from .conftest import BIN, Warehouse
from .fixtures import request, write_fixture, write_jsonl
from .test_pipeline import snapshot

FUTURE = "2099-01-01 00:00:00"
FUZZ_DAY = "2026-10-24 09:00:00"


def fuzz_calls() -> list[dict]:
    """Edge values the loader accepts (issue 16 §2): each must end in the facts or in the rejects
    with a reason, and none may stop the build. (A NUL byte is refused at the door:
    test_loader_safety.py.)"""

    def fz(event_id: str, **kw: object) -> dict:
        row = call(event_id, str(kw.pop("occurred_at", FUZZ_DAY)), str(kw.pop("received_at", FUZZ_DAY)), "sz")
        return {**row, **kw}

    return [
        fz("z_nan", total_latency_ms=float("nan")),
        fz("z_inf", total_latency_ms=float("inf")),
        fz("z_ninf", ttft_ms=float("-inf")),
        fz("z_int64_max", prompt_tokens=2**63 - 1),
        fz("z_int64_min", completion_tokens=-(2**63)),
        fz("z_empty", query_text="", response_text="", feature_id=""),
        fz("z_1mb", query_text="x" * 1_000_000),
        fz("z_far_past", occurred_at="1900-01-01 00:00:00", received_at="1900-01-01 00:00:01"),
        fz("z_far_future", occurred_at="2999-01-01 00:00:00"),
        fz("z_anonymous", user_id=None),
        fz("z_no_latency", total_latency_ms=None),
        fz("", session_id="sz-blank-id"),
    ]


def load(wh: Warehouse, path: Path) -> None:
    wh.cli("load", str(path), "--target", wh.target)


def call(event_id: str, occurred_at: str, received_at: str, session_id: str, user_id: str = "u1") -> dict:
    return request(
        event_id,
        occurred_at=occurred_at,
        received_at=received_at,
        user_id=user_id,
        session_id=session_id,
        provider="openai",
        model_id="gpt-4o",
        prompt_tokens=100,
        completion_tokens=10,
    )


def test_future_and_backfilled_rows_reach_the_marts(warehouse: Warehouse, tmp_path: Path) -> None:
    q = warehouse.query
    load(warehouse, write_fixture(tmp_path / "raw"))
    # a sender's clock far ahead: the loader warns and loads it
    future = call("rf", "2026-10-22 12:00:00", FUTURE, "sf")
    load(warehouse, write_jsonl(tmp_path / "llm_requests-future.jsonl", [future]))
    warehouse.dbt("build", "--exclude-resource-type", "test")  # seeds and models; tested below
    loaded = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    # raw keeps what the sender said; staging and the marts clamp it to the load time
    assert str(warehouse.scalar("select received_at from raw.llm_requests where event_id = 'rf'")).startswith(
        "2099-01-01"
    )
    received, stamped = q(
        "select received_at, loaded_at from marts.fct_llm_requests where request_id = 'rf'"
    )[0]
    assert received == stamped and stamped <= loaded

    # 100 ordinary rows, received after the fixture but long before the future row's clock
    start = dt.datetime(2026, 10, 23, 10, 0, 0)
    ordinary = [
        call(
            f"ro{i:03d}",
            str(start + dt.timedelta(minutes=i)),
            str(start + dt.timedelta(minutes=i, seconds=2)),
            f"so{i // 10}",
            user_id="u2" if i % 2 else "u1",
        )
        for i in range(100)
    ]
    load(warehouse, write_jsonl(tmp_path / "llm_requests-ordinary.jsonl", ordinary))
    # a backfill: received weeks before the newest received_at minus lookback_hours, with its
    # feedback and a product event
    backfill = tmp_path / "backfill"
    backfill.mkdir()
    old_calls = [call(f"rb{i}", f"2026-09-2{i} 08:00:00", f"2026-09-2{i} 08:00:01", "sb") for i in range(5)]
    write_jsonl(backfill / "llm_requests-backfill.jsonl", old_calls)
    write_jsonl(
        backfill / "feedback_events-backfill.jsonl",
        [
            {
                "event_id": "fb1",
                "occurred_at": "2026-09-20 08:01:00",
                "received_at": "2026-09-20 08:01:01",
                "user_id": "u1",
                "session_id": "sb",
                "request_id": "rb0",
                "feedback_type": "thumbs_up",
                "rating": None,
                "comment": None,
            }
        ],
    )
    write_jsonl(
        backfill / "product_events-backfill.jsonl",
        [
            {
                "event_id": "pb1",
                "occurred_at": "2026-09-20 07:59:00",
                "received_at": "2026-09-20 07:59:01",
                "user_id": "u1",
                "session_id": "sb",
                "event_name": "ai_query",
                "properties": '{"feature": "chat"}',
            },
            {
                "event_id": "pb_bad_json",
                "occurred_at": "2026-09-20 07:59:30",
                "received_at": "2026-09-20 07:59:31",
                "user_id": "u1",
                "session_id": "sb",
                "event_name": "ai_query",
                "properties": '{"feature": "chat", oops',
            },
        ],
    )
    fuzz = fuzz_calls()
    write_jsonl(backfill / "llm_requests-fuzz.jsonl", fuzz)
    load(warehouse, backfill)
    warehouse.dbt("build")

    # every load has its own number and a later time than the one before
    loads = q(
        "select _load_id, min(_loaded_at), max(_loaded_at), count(*) from raw.llm_requests "
        "group by _load_id order by _load_id"
    )
    assert [r[0] for r in loads] == [1, 2, 3, 4]
    assert all(r[1] == r[2] for r in loads)
    assert all(a[2] < b[1] for a, b in itertools.pairwise(loads))
    assert [r[3] for r in loads[1:]] == [1, 100, 5 + len(fuzz)]
    assert q("select distinct load_id from raw.load_manifest where file_name like '%backfill%'") == [(4,)]

    requests = {r[0] for r in q("select request_id from marts.fct_llm_requests")}
    expected = {r["event_id"] for r in ordinary + old_calls} | {"rf"}
    assert expected <= requests, sorted(expected - requests)
    rejected = (
        "select count(*) from intermediate.int_rejected_rows where row_id like 'ro%' or row_id like 'rb%'"
    )
    assert warehouse.scalar(rejected + " or row_id in ('rf', 'fb1', 'pb1')") == 0
    assert q("select request_count, thumbs_up_count from marts.fct_llm_sessions where session_id = 'sb'") == [
        (5, 1)
    ]
    assert q("select has_thumbs_up from marts.fct_llm_request_feedback where request_id = 'rb0'") == [(True,)]
    assert (
        warehouse.scalar(
            "select ai_request_count from marts.fct_user_activity_daily where user_day_id = 'u1|2026-09-20'"
        )
        == 1
    )
    ordinary_day = warehouse.scalar(
        "select request_count from marts.mart_usage_daily where activity_date = '2026-10-23'"
    )
    assert ordinary_day == 100

    # a malformed properties document is read as no properties, and stops nothing
    bad_json = "select event_name, feature_id from staging.stg_llm__product_events where product_event_id = "
    assert q(bad_json + "'pb_bad_json'") == [("ai_query", None)]

    # every fuzz row is in the facts or set aside with a reason, none lost
    facts = {r[0] for r in q("select request_id from marts.fct_llm_requests where request_id like 'z%'")}
    rejects = dict(
        q(
            "select coalesce(row_id, 'blank'), reject_reason from intermediate.int_rejected_rows "
            "where row_id like 'z%' or (row_id is null and occurred_at = '" + FUZZ_DAY + "')"
        )
    )
    assert facts == {"z_empty", "z_1mb", "z_anonymous"}
    assert rejects == {
        "z_nan": "non_finite_number",
        "z_inf": "non_finite_number",
        "z_ninf": "non_finite_number",
        "z_int64_max": "tokens_out_of_range",
        "z_int64_min": "negative_tokens",
        "z_far_past": "occurred_too_early",
        "z_far_future": "occurred_in_future",
        "z_no_latency": "missing_latency",
        "blank": "missing_event_id",
    }

    # incremental == full refresh, table by table
    tables = snapshot(warehouse)
    warehouse.dbt("run", "--full-refresh")
    refreshed = snapshot(warehouse)
    assert len(refreshed) >= 30 and refreshed.keys() == tables.keys()
    for name, rows in refreshed.items():
        assert tables[name] == rows, name


# Runs `dbt build` in-process and, the moment its on-run-start hook has recorded the run's load
# horizon, loads a file: a load that commits while the build is under way (PostgreSQL lets the
# loader and dbt work at once; DuckDB's file lock does not).
LOAD_DURING_BUILD = """
import subprocess, sys
from dbt.cli.main import dbtRunner

def on_event(event):
    if event.info.name == "LogHookEndLine":
        subprocess.run([sys.argv[1], "load", sys.argv[2], "--target", "postgres"], check=True)

result = dbtRunner(callbacks=[on_event]).invoke(["run"])
sys.exit(0 if result.success else 1)
"""


def test_a_load_during_a_build_waits_for_the_next_run(postgres_built_copy: Warehouse, tmp_path: Path) -> None:
    """Every model of a run reads the same loads: those committed when it started (the run's load
    horizon). A load committed mid-run is read by none of them, then by the next run, whole, so a
    model that holds a row of load N has seen all of load N and the next run starts after it."""
    wh = postgres_built_copy
    # two calls the day after the fixture's last, one two weeks on: series marts (a row per day or
    # hour, quiet ones included) must fill the days and hours in between, as a full refresh does
    late = [
        call("rl0", "2026-10-23 10:00:00", "2026-10-23 10:00:01", "sl"),
        call("rl1", "2026-10-23 11:00:00", "2026-10-23 11:00:01", "sl"),
        call("rl2", "2026-11-06 12:00:00", "2026-11-06 12:00:01", "sl"),
    ]
    path = write_jsonl(tmp_path / "llm_requests-during-build.jsonl", late)
    script = tmp_path / "build_with_a_load.py"
    script.write_text(LOAD_DURING_BUILD)
    wh.python(script, str(BIN / "llm-analytics"), str(path))

    assert wh.scalar("select count(*) from raw.llm_requests where event_id like 'rl%'") == 3
    assert wh.scalar("select count(*) from staging.stg_llm__requests where request_id like 'rl%'") == 0
    assert wh.scalar("select count(*) from marts.fct_llm_sessions where session_id = 'sl'") == 0
    wh.dbt("run")
    assert wh.scalar("select request_count from marts.fct_llm_sessions where session_id = 'sl'") == 3
    tables = snapshot(wh)
    wh.dbt("run", "--full-refresh")
    refreshed = snapshot(wh)
    for name, rows in refreshed.items():
        assert tables[name] == rows, name
