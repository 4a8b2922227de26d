"""Quality gates: every file validated before it is loaded, and `validate` on the warehouse.

Structural failures refuse a file whole; rule breaks warn by default and refuse when quality.yml
says so; a refused file leaves the warehouse as it was. `validate` runs in PostgreSQL itself and
in pandas batches on DuckDB.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from llm_analytics.contract import raw_tables
from llm_analytics.quality import build_checks, load_rules

from .conftest import ROOT, Warehouse
from .fixtures import FEEDBACK, REQUESTS, USERS_CSV, write_fixture, write_jsonl

TABLES = list(raw_tables())
CLEAN_REQUESTS = [r for r in REQUESTS if r["event_id"] not in ("r6", "r7", "r8")]
MARTS = ["+fct_llm_requests", "+fct_llm_sessions", "+fct_feedback"]
BUILD_MARTS = ["build", "--select", *MARTS, "--exclude-resource-type", "test", "unit_test"]


def counts(wh: Warehouse) -> dict[str, int]:
    return {t: wh.scalar(f"select count(*) from raw.{t}") for t in TABLES}


def flat(text: str) -> str:
    return " ".join(text.split())


def rules_file(tmp_path: Path, edit: dict[str, object]) -> Path:
    """quality.yml with some top-level keys or table rule lists replaced."""
    doc = yaml.safe_load((ROOT / "quality.yml").read_text())
    for key, value in edit.items():
        section, _, table = key.partition(":")
        if table:
            doc[section][table] = value
        else:
            doc[section] = value
    path = tmp_path / "quality.yml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_clean_batch_passes_without_warnings(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "llm_requests.jsonl", CLEAN_REQUESTS)
    proc = duckdb_wh.cli("load", str(path))
    assert "warn" not in proc.stderr
    assert duckdb_wh.scalar("select count(*) from raw.llm_requests") == len(CLEAN_REQUESTS)


def test_bad_values_warn_with_counts_and_rows_and_nothing_is_dropped(
    duckdb_wh: Warehouse, tmp_path: Path
) -> None:
    future = {**REQUESTS[2], "event_id": "r9", "occurred_at": "2999-01-01 00:00:00"}
    (tmp_path / "raw").mkdir()
    write_jsonl(tmp_path / "raw" / "llm_requests.jsonl", [*REQUESTS, future])
    write_jsonl(tmp_path / "raw" / "feedback_events.jsonl", FEEDBACK)
    proc = duckdb_wh.cli("load", str(tmp_path / "raw"))
    err = flat(proc.stderr)
    assert "completion_tokens >= 0: 1 of 10 rows; e.g. row 7: event_id='r6', completion_tokens=-5" in err
    assert "status in ['success', 'error']: 1 of 10 rows; e.g. row 9: event_id='r8', status='weird'" in err
    assert "session_id is not null: 1 of 10 rows; e.g. row 8: event_id='r7', session_id=null" in err
    assert "occurred_at not in the future: 1 of 10 rows; e.g. row 10: event_id='r9'" in err
    assert "rating between 1 and 5: 1 of 3 rows; e.g. row 3: event_id='f3', rating=9" in err
    # warn only: every row landed, cleaning is dbt's job
    assert duckdb_wh.scalar("select count(*) from raw.llm_requests") == len(REQUESTS) + 1
    assert duckdb_wh.scalar("select count(*) from raw.feedback_events") == len(FEEDBACK)


def test_refuse_policy_refuses_the_file_and_changes_nothing(warehouse: Warehouse, tmp_path: Path) -> None:
    warehouse.cli("load", str(write_fixture(tmp_path / "raw")), "--target", warehouse.target)
    before = counts(warehouse)
    rules = rules_file(
        tmp_path,
        {"raw:llm_requests": [{"expect": "non_negative", "column": "completion_tokens", "policy": "refuse"}]},
    )
    bad = tmp_path / "bad"
    bad.mkdir()
    write_jsonl(bad / "llm_requests-new.jsonl", [{**r, "event_id": r["event_id"] + "-new"} for r in REQUESTS])
    write_jsonl(bad / "feedback_events-new.jsonl", [{**FEEDBACK[0], "event_id": "f-new"}])
    proc = warehouse.cli("load", str(bad), "--target", warehouse.target, "--rules", str(rules), check=False)
    assert proc.returncode == 1
    err = flat(proc.stderr)
    assert "llm_requests-new.jsonl (raw.llm_requests): refused by quality rules (quality.yml)" in err
    assert "[refuse] completion_tokens >= 0: 1 of 9 rows; e.g. row 7: event_id='r6-new'" in err
    assert counts(warehouse) == before  # the good feedback file in the same load did not land either


STRUCTURAL = [
    (
        "users.csv",
        "user_id,tenant_id,plan,segment,country\nu9,t1,pro,smb,us\n",
        "missing column(s) signed_up_at",
    ),
    ("users.csv", USERS_CSV + "u3,t1,yesterday,pro,smb,us\n", "column signed_up_at must be timestamp"),
    (
        "feedback_events.jsonl",
        json.dumps({**FEEDBACK[1], "rating": "five"}) + "\n",
        "column rating must be bigint but row 1 has 'five'",
    ),
    ("users.csv", "user_id,tenant_id,signed_up_at,plan,segment,country\n", "the file has no rows"),
]


def test_structural_failures_refuse_the_file(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    """Missing column, unparseable timestamp, wrong type, empty file: refused whole, nothing lands."""
    duckdb_wh.cli("load", str(write_fixture(tmp_path / "raw")))
    before = counts(duckdb_wh)
    for i, (name, content, message) in enumerate(STRUCTURAL):
        path = tmp_path / f"case{i}" / name
        path.parent.mkdir()
        path.write_text(content)
        proc = duckdb_wh.cli("load", str(path), check=False)
        assert proc.returncode == 1, message
        assert f"case{i}/{name}" in flat(proc.stderr)
        assert message in flat(proc.stderr)
        assert counts(duckdb_wh) == before


def test_duplicate_file_is_skipped(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "llm_requests.jsonl", CLEAN_REQUESTS)
    duckdb_wh.cli("load", str(path))
    before = counts(duckdb_wh)
    copy = tmp_path / "again" / "llm_requests-copy.jsonl"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    proc = duckdb_wh.cli("load", str(copy))
    assert "skipped" in proc.stdout
    assert counts(duckdb_wh) == before


def test_file_is_validated_in_batches_with_counts_added_up(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    rules = rules_file(tmp_path, {"chunk_rows": 2})
    path = write_jsonl(tmp_path / "llm_requests.jsonl", REQUESTS)
    proc = duckdb_wh.cli("validate-file", str(path), "--rules", str(rules))
    err = flat(proc.stderr)
    assert "completion_tokens >= 0: 1 of 9 rows; e.g. row 7: event_id='r6'" in err
    assert "status in ['success', 'error']: 1 of 9 rows; e.g. row 9: event_id='r8'" in err
    assert "9 rows validated" in proc.stdout
    assert "peak memory" in proc.stdout


def test_rules_drive_the_suite_and_a_bad_rule_names_the_file(tmp_path: Path) -> None:
    settings = load_rules()
    mart = ["hour", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "error_rate", "cost_usd"]
    names = [c.name for c in build_checks("marts.mart_x", mart, settings.warehouse["marts.mart_*"], settings)]
    assert "latency_p50_ms <= latency_p95_ms" in names
    assert "latency_p95_ms <= latency_p99_ms" in names
    assert "error_rate between 0 and 1" in names
    assert "cost_usd >= 0" in names
    # statuses come from dbt_project.yml, the same list staging uses
    assert settings.raw["llm_requests"][1]["values"] == ["success", "error"]
    bad = rules_file(tmp_path, {"raw:users": [{"expect": "not_null", "column": "no_such_column"}]})
    with pytest.raises(Exception, match="no column no_such_column"):
        table = raw_tables()["users"]
        build_checks("raw.users", table.column_names, load_rules(bad).raw["users"], load_rules(bad), table)


def test_validate_duckdb_writes_summary_and_docs(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    duckdb_wh.cli("load", str(write_fixture(tmp_path / "raw")))
    proc = duckdb_wh.cli("validate", "--out", str(tmp_path / "v0"), check=False)
    assert proc.returncode == 2
    assert "marts.fct_llm_requests does not exist in duckdb: run dbt build first" in flat(proc.stderr)

    duckdb_wh.dbt(*BUILD_MARTS)
    out = tmp_path / "validation"
    duckdb_wh.cli("validate", "--out", str(out))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["success"] is True
    tables = {t["table"]: t for t in summary["tables"]}
    assert {
        "raw.llm_requests",
        "marts.fct_llm_requests",
        "marts.fct_llm_sessions",
        "marts.fct_feedback",
    } <= set(tables)
    req = tables["raw.llm_requests"]
    assert req["rows"] == len(REQUESTS) and req["batches"] == 1
    neg = next(c for c in req["checks"] if c["name"] == "completion_tokens >= 0")
    assert (neg["success"], neg["unexpected_count"], neg["policy"]) == (False, 1, "warn")
    assert (out / "data_docs" / "index.html").exists()

    rules = rules_file(
        tmp_path,
        {
            "warehouse:marts.fct_feedback": [
                {"expect": "between", "column": "rating", "max": 3, "policy": "refuse"}
            ]
        },
    )
    proc = duckdb_wh.cli("validate", "--out", str(tmp_path / "v2"), "--rules", str(rules), check=False)
    assert proc.returncode == 1
    # a warehouse table has no row order (preserve_insertion_order is off): any row number
    assert re.search(
        r"refuse: marts\.fct_feedback: rating <= 3: 1 of 2 rows; e\.g\. row [12]: feedback_id='f2', rating=4",
        flat(proc.stderr),
    )


def test_validate_postgres_runs_in_the_database(postgres_wh: Warehouse, tmp_path: Path) -> None:
    postgres_wh.cli("load", str(write_fixture(tmp_path / "raw")), "--target", "postgres")
    postgres_wh.dbt(*BUILD_MARTS)
    out = tmp_path / "validation"
    proc = postgres_wh.cli("validate", "--target", "postgres", "--out", str(out))
    assert "completion_tokens >= 0: 1 of 9 rows; e.g. values -5" in flat(proc.stderr)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["success"] is True
    for table in summary["tables"]:
        # a SQL table batch, not a DataFrame: GX compiled every expectation to SQL
        assert table["batches"] == 0
        assert table["batch_spec"]["type"] == "table"
    raw = next(t for t in summary["tables"] if t["table"] == "raw.llm_requests")
    types = {c["name"]: c["success"] for c in raw["checks"] if " is " in c["name"]}
    assert types["prompt_tokens is bigint"] and types["occurred_at is timestamp"]
    assert (out / "data_docs" / "index.html").exists()


def test_a_rule_on_free_text_never_shows_the_text(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    """A team's own rule on a prompt column (here: a prompt must not be one of these) warns with the
    row's id and the text's length, never the prompt: warnings reach terminals and cron logs."""
    secret = "my card is 4111 1111 1111 1111, call me at 415-555-0100"
    rows = [{**REQUESTS[0], "event_id": "r-secret", "query_text": secret}]
    rules = rules_file(
        tmp_path,
        {"raw:llm_requests": [{"expect": "in_set", "column": "query_text", "values": ["hello"]}]},
    )
    path = write_jsonl(tmp_path / "llm_requests-secret.jsonl", rows)
    proc = duckdb_wh.cli("load", str(path), "--target", "duckdb", "--rules", str(rules))
    err = flat(proc.stderr)
    assert "query_text in ['hello']: 1 of 1 rows" in err
    assert "event_id='r-secret'" in err and f"<text of {len(secret)} characters, not shown>" in err
    assert "4111" not in err and "415-555" not in err and "4111" not in proc.stdout
