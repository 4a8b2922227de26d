"""The loader: contract checks with clear messages, idempotence, all-or-nothing loads, on both engines."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import Warehouse
from .fixtures import ASSIGNMENTS, REQUESTS, USERS_CSV, write_fixture, write_jsonl

TABLES = ["llm_requests", "feedback_events", "product_events", "users", "experiment_assignments"]


def counts(wh: Warehouse) -> dict[str, int]:
    return {t: wh.scalar(f"select count(*) from raw.{t}") for t in TABLES}


def test_load_is_idempotent_and_names_tables_from_files(warehouse: Warehouse, tmp_path: Path) -> None:
    data = write_fixture(tmp_path / "raw")
    warehouse.cli("load", str(data), "--target", warehouse.target)
    first = counts(warehouse)
    assert first == {
        "llm_requests": len(REQUESTS),
        "feedback_events": 3,
        "product_events": 3,
        "users": 2,
        "experiment_assignments": len(ASSIGNMENTS),
    }
    out = warehouse.cli("load", str(data), "--target", warehouse.target)
    assert "skipped" in out.stdout
    assert counts(warehouse) == first
    assert warehouse.scalar("select count(*) from raw.load_manifest") == 5


def test_missing_column_refuses_the_file_and_changes_nothing(warehouse: Warehouse, tmp_path: Path) -> None:
    warehouse.cli("load", str(write_fixture(tmp_path / "raw")), "--target", warehouse.target)
    before = counts(warehouse)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "users-new.csv").write_text("user_id,tenant_id,plan,segment,country\nu9,t1,pro,smb,us\n")
    good = json.loads(json.dumps(REQUESTS[0]))
    good["event_id"] = "new-event"
    write_jsonl(bad / "llm_requests-new.jsonl", [good])
    proc = warehouse.cli("load", str(bad), "--target", warehouse.target, check=False)
    assert proc.returncode == 1
    message = " ".join(proc.stderr.split())
    assert "users-new.csv" in message
    assert "missing column(s) signed_up_at" in message
    assert "Columns found: user_id, tenant_id" in message and "u9" not in message  # no values
    # all or nothing: the good file in the same load did not land either
    assert counts(warehouse) == before


def test_wrong_type_names_column_and_row(warehouse: Warehouse, tmp_path: Path) -> None:
    rows = [dict(r) for r in REQUESTS[:3]]
    rows[2]["prompt_tokens"] = "lots"
    path = write_jsonl(tmp_path / "llm_requests.jsonl", rows)
    proc = warehouse.cli("load", str(path), "--target", warehouse.target, check=False)
    assert proc.returncode == 1
    message = " ".join(proc.stderr.split())
    assert "llm_requests.jsonl" in message
    assert "column prompt_tokens must be bigint but row 3 has 'lots'" in message


def test_csv_with_bad_timestamp_is_refused(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text(USERS_CSV + "u3,t1,yesterday,pro,smb,us\n")
    proc = duckdb_wh.cli("load", str(path), check=False)
    assert proc.returncode == 1
    assert "column signed_up_at must be timestamp but row 3 has 'yesterday'" in " ".join(proc.stderr.split())


def test_unknown_table_and_empty_file(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    (tmp_path / "sessions.csv").write_text("a,b\n1,2\n")
    proc = duckdb_wh.cli("load", str(tmp_path / "sessions.csv"), check=False)
    assert proc.returncode == 2
    assert "no raw table named 'sessions'" in " ".join(proc.stderr.split())
    (tmp_path / "users.csv").write_text("user_id,tenant_id,signed_up_at,plan,segment,country\n")
    proc = duckdb_wh.cli("load", str(tmp_path / "users.csv"), check=False)
    assert proc.returncode == 1
    assert "has no rows" in proc.stderr


def test_rule_breaking_rows_are_loaded_as_they_are(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    duckdb_wh.cli("load", str(write_fixture(tmp_path / "raw")))
    assert duckdb_wh.scalar("select completion_tokens from raw.llm_requests where event_id = 'r6'") == -5
    assert duckdb_wh.scalar("select count(*) from raw.llm_requests where event_id = 'r1'") == 2
