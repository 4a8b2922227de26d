"""Your own events, as your SDK sends them (issue "Real telemetry in" §4): optional contract columns
may be absent, received_at is stamped when it is, and `load --mapping` projects an SDK's fields onto
the contract (renames, constants, unit conversions, a few derived expressions) on the loader's path."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from llm_analytics.contract import raw_tables
from llm_analytics.mappings import read_mapping
from llm_analytics.project import UserError

from .conftest import ROOT, Warehouse
from .fixtures import REQUESTS, write_jsonl

MAPPINGS = ROOT / "mappings"
AI_MAPPING = MAPPINGS / "ai_interaction.yml"
AI_EXAMPLE = MAPPINGS / "ai_interaction.example.jsonl"
LITELLM_MAPPING = MAPPINGS / "litellm_spend_logs.yml"
LITELLM_EXAMPLE = MAPPINGS / "litellm_spend_logs.example.jsonl"


def _flat(proc: object) -> str:
    return " ".join((proc.stdout + proc.stderr).split())  # type: ignore[attr-defined]


def _write_mapping(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc))  # JSON is YAML
    return path


def test_contract_declares_the_required_columns() -> None:
    tables = raw_tables()
    assert tables["llm_requests"].required_names == [
        "event_id",
        "occurred_at",
        "session_id",
        "provider",
        "model_id",
        "prompt_tokens",
        "completion_tokens",
        "total_latency_ms",
        "status",
    ]
    assert tables["feedback_events"].required_names == [
        "event_id",
        "occurred_at",
        "request_id",
        "feedback_type",
    ]
    assert tables["product_events"].required_names == ["event_id", "occurred_at", "event_name"]
    assert tables["users"].required_names == ["user_id", "signed_up_at"]
    received = {t: [c.when_absent for c in tables[t].columns if c.name == "received_at"] for t in tables}
    assert received["llm_requests"] == received["feedback_events"] == ["loaded_at"]


def test_ai_interaction_example_lands_as_meant(duckdb_wh: Warehouse) -> None:
    duckdb_wh.cli("load", "--mapping", str(AI_MAPPING), str(AI_EXAMPLE))
    rows = duckdb_wh.query(
        "select event_id, occurred_at, received_at = _loaded_at, session_id, user_id, feature_id, provider, "
        "model_id, prompt_tokens, completion_tokens, total_latency_ms, ttft_ms, status, error_type, "
        "tenant_id from raw.llm_requests order by event_id"
    )
    # 1791201600123 ms: 20,731 days after 1970-01-01 (56 years with 14 leap days, then January to
    # September 2026, 273 days, and 4) = 2026-10-05, 1,791,158,400 s; plus 43,200 s = 12:00:00; .123 s
    assert rows == [
        ("ai-0001", dt.datetime(2026, 10, 5, 12, 0, 0, 123000), True, "s-1", "u-1", "chat", "openai",
         "gpt-4o-mini", 1200, 300, 850.5, 210.0, "success", None, None),
        ("ai-0002", dt.datetime(2026, 10, 5, 12, 1), True, "s-1", "u-1", "chat", "openai",
         "gpt-4o-mini", None, None, 120.0, None, "error", "rate_limit", None),
        ("ai-0003", dt.datetime(2026, 10, 5, 13, 0, 0, 500000), True, "s-2", None, "search", "anthropic",
         "claude-sonnet-4-5", 800, 150, 1430.0, 390.5, "success", None, None),
    ]  # fmt: skip


def test_ai_interaction_without_optional_fields_loads(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    """interaction_id instead of event_id, `success` instead of `status`, no user, feature, ttft or
    error type, no received_at: it loads, the missing columns null, and the load says which."""
    row = {
        "interaction_id": "i-1",
        "timestamp": 1791201600000,
        "session_id": "s-9",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "input_tokens": 10,
        "output_tokens": 5,
        "total_latency_ms": 99,
        "success": False,
        "implicit_quality_score": 0.1,
    }
    path = write_jsonl(tmp_path / "ai_interaction-2026-10-05.jsonl", [row])
    proc = duckdb_wh.cli("load", "--mapping", str(AI_MAPPING), str(path))
    assert "no field time_to_first_token_ms for ttft_ms; loaded as null" in _flat(proc)
    got = duckdb_wh.query(
        "select event_id, occurred_at, status, user_id, feature_id, ttft_ms, error_type, "
        "received_at = _loaded_at from raw.llm_requests"
    )
    assert got == [("i-1", dt.datetime(2026, 10, 5, 12), "error", None, None, None, None, True)]


def test_conversions_constants_and_derived_columns(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    mapping = _write_mapping(
        tmp_path / "mine.yml",
        {
            "tables": {
                "llm_requests": {
                    "event_id": "id",
                    "occurred_at": {"field": "at", "convert": "epoch_s"},
                    "session_id": {"coalesce": ["conversation", "id"]},
                    "provider": {"const": "openai"},
                    "model_id": "model",
                    "prompt_tokens": "tokens_in",
                    "completion_tokens": "tokens_out",
                    "total_latency_ms": {"field": "latency_s", "convert": "s_to_ms"},
                    "ttft_ms": {"diff_ms": ["first_token_at", "started_at"]},
                    "status": {"field": "ok", "values": {True: "success", False: "error"}},
                    "estimated_cost_usd": {"field": "cost_cents", "convert": "cents_to_usd"},
                }
            }
        },
    )
    row = {
        "id": "c-1",
        "at": 1791201600.5,
        "conversation": "",
        "model": "gpt-4o-mini",
        "tokens_in": 7,
        "tokens_out": 3,
        "latency_s": 1.25,
        "started_at": "2026-10-05T14:00:00+02:00",
        "first_token_at": "2026-10-05T12:00:00.320Z",
        "ok": True,
        "cost_cents": 12.5,
        "unused": "ignored",
    }
    path = write_jsonl(tmp_path / "llm_requests-mine.jsonl", [row])
    duckdb_wh.cli("load", "--mapping", str(mapping), str(path))
    got = duckdb_wh.query(
        "select occurred_at, session_id, provider, total_latency_ms, ttft_ms, status, estimated_cost_usd "
        "from raw.llm_requests"
    )
    # 1.25 s = 1,250 ms; 12.5 cents = 0.125 USD; 14:00+02:00 is 12:00Z, 320 ms before the first token
    assert got == [
        (dt.datetime(2026, 10, 5, 12, 0, 0, 500000), "c-1", "openai", 1250.0, 320.0, "success", 0.125)
    ]


def test_missing_required_field_is_refused_naming_it(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    rows = [json.loads(line) for line in AI_EXAMPLE.read_text().splitlines()]
    for r in rows:
        del r["session_id"]
    path = write_jsonl(tmp_path / "ai_interaction.jsonl", rows)
    proc = duckdb_wh.cli("load", "--mapping", str(AI_MAPPING), str(path), check=False)
    message = _flat(proc)
    assert proc.returncode == 1, message
    assert "ai_interaction.jsonl (raw.llm_requests)" in message
    assert (
        f"mapping {AI_MAPPING} maps required column llm_requests.session_id from field session_id" in message
    )
    assert not Path(duckdb_wh.path).exists()  # refused before the warehouse was opened


def test_bad_value_is_refused_naming_row_column_and_field(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    rows = [json.loads(line) for line in AI_EXAMPLE.read_text().splitlines()]
    rows[1]["timestamp"] = "yesterday"
    path = write_jsonl(tmp_path / "ai_interaction.jsonl", rows)
    proc = duckdb_wh.cli("load", "--mapping", str(AI_MAPPING), str(path), check=False)
    message = _flat(proc)
    assert proc.returncode == 1, message
    assert "column occurred_at must be timestamp but row 2 has 'yesterday'" in message
    assert "(from field timestamp (epoch_ms) by mapping ai_interaction.yml)" in message


def test_plain_file_without_optional_columns_or_received_at(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    """Without a mapping: optional columns may be absent, required ones may not, unknown ones neither."""
    keep = ["event_id", "occurred_at", "session_id", "provider", "model_id", "prompt_tokens",
            "completion_tokens", "total_latency_ms", "status"]  # fmt: skip
    row = {k: REQUESTS[0][k] for k in keep}
    path = write_jsonl(tmp_path / "llm_requests.jsonl", [row])
    duckdb_wh.cli("load", str(path))
    assert duckdb_wh.query("select received_at = _loaded_at, metadata from raw.llm_requests") == [
        (True, None)
    ]
    del row["status"]
    write_jsonl(path, [dict(row, event_id="x", extra_field=1)])
    proc = duckdb_wh.cli("load", str(path), check=False)
    assert proc.returncode == 1
    assert "missing column(s) status; column(s) not in the contract extra_field" in _flat(proc)


def test_litellm_example_loads(warehouse: Warehouse) -> None:
    warehouse.cli(
        "load", "--mapping", str(LITELLM_MAPPING), str(LITELLM_EXAMPLE), "--target", warehouse.target
    )
    got = warehouse.query(
        "select event_id, occurred_at, session_id, user_id, tenant_id, provider, total_latency_ms, status, "
        "routing_strategy, estimated_cost_usd, received_at = _loaded_at "
        "from raw.llm_requests order by event_id"
    )
    assert got == [
        ("chatcmpl-7f3a1c", dt.datetime(2026, 10, 5, 12), "sess-1", "customer-42", "team-a", "openai",
         1250.0, "success", None, 0.000525, True),
        ("chatcmpl-8b2d9e", dt.datetime(2026, 10, 5, 12, 5), "chatcmpl-8b2d9e", "internal-team-a", "team-a",
         "anthropic", 180.0, "error", None, 0.0, True),
        ("chatcmpl-9c4e0f", dt.datetime(2026, 10, 5, 12, 10), "sess-1", "customer-42", "team-a", "openai",
         30.0, "success", "cache", 0.0, True),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        ({"prompt": "x"}, "table llm_requests: 'prompt' is not a column of the contract"),
        ({"event_id": {"field": "id", "convert": "ms_to_days"}}, "unknown conversion 'ms_to_days'"),
        ({"event_id": {"diff_ms": ["a"]}}, "diff_ms takes [later, earlier]"),
        ({"event_id": {"field": "id", "sql": "drop table x"}}, "unknown key(s) sql"),
        ({"event_id": "id"}, "required column(s) occurred_at, session_id, provider"),
    ],
)
def test_bad_mappings_are_refused(tmp_path: Path, columns: dict, expected: str) -> None:
    path = _write_mapping(tmp_path / "bad.yml", {"tables": {"llm_requests": columns}})
    with pytest.raises(UserError) as err:
        read_mapping(path, raw_tables())
    assert str(path) in str(err.value) and expected in str(err.value)


def test_unknown_column_is_refused_by_the_cli(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    doc = json.loads(json.dumps({"tables": {"llm_requests": {"quality_score": "implicit_quality_score"}}}))
    mapping = _write_mapping(tmp_path / "typo.yml", doc)
    proc = duckdb_wh.cli("load", "--mapping", str(mapping), str(AI_EXAMPLE), check=False)
    assert proc.returncode == 2
    assert f"{mapping}: table llm_requests: 'quality_score' is not a column of the contract" in _flat(proc)
    assert "Traceback" not in proc.stderr


def test_dbt_build_puts_the_ai_interaction_calls_into_the_facts(duckdb_wh: Warehouse) -> None:
    duckdb_wh.cli("load", "--mapping", str(AI_MAPPING), str(AI_EXAMPLE))
    duckdb_wh.dbt("build")
    got = duckdb_wh.query(
        "select request_id, provider, model_id, status, total_latency_ms "
        "from marts.fct_llm_requests order by 1"
    )
    assert got == [
        ("ai-0001", "openai", "gpt-4o-mini", "success", 850.5),
        ("ai-0002", "openai", "gpt-4o-mini", "error", 120.0),
        ("ai-0003", "anthropic", "claude-sonnet-4-5", "success", 1430.0),
    ]
