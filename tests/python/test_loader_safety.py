"""What the loader says and stores (issue 16 §3): values land as they were meant, refusals name
file, column and row without a traceback or the raw text, and no password reaches the output."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .conftest import Warehouse
from .fixtures import REQUESTS, USERS_CSV, write_jsonl

SECRET_PROMPT = "my secret prompt about a.b@example.com"


def _message(proc: object) -> str:
    return " ".join((proc.stdout + proc.stderr).split())  # type: ignore[attr-defined]


def _feedback_parquet(path: Path, rating: list[float], rows: int = 3) -> Path:
    """feedback_events as Parquet, with RATING written as doubles (as a careless export would)."""
    table = pa.table(
        {
            "event_id": [f"f{i}" for i in range(rows)],
            "occurred_at": ["2026-10-05 10:00:00"] * rows,
            "received_at": ["2026-10-05 10:00:00"] * rows,
            "user_id": ["u1"] * rows,
            "session_id": ["s1"] * rows,
            "request_id": ["r1"] * rows,
            "feedback_type": ["rating"] * rows,
            "rating": pa.array(rating, pa.float64()),
            "comment": [SECRET_PROMPT] * rows,
        }
    )
    pq.write_table(table, path, row_group_size=max(rows // 4, 1))
    return path


def test_offsets_are_converted_to_utc(warehouse: Warehouse, tmp_path: Path) -> None:
    rows = [dict(REQUESTS[0])]
    rows[0]["occurred_at"] = "2026-10-05T12:00:00+05:00"
    rows[0]["received_at"] = "2026-10-05T12:00:02Z"
    write_jsonl(tmp_path / "llm_requests.jsonl", rows)
    (tmp_path / "users.csv").write_text(USERS_CSV + "u3,t1,2026-10-05T12:00:00-02:30,pro,smb,us\n")
    warehouse.cli("load", str(tmp_path), "--target", warehouse.target)
    occurred, received = warehouse.query("select occurred_at, received_at from raw.llm_requests")[0]
    assert (str(occurred), str(received)) == ("2026-10-05 07:00:00", "2026-10-05 12:00:02")
    signed_up = warehouse.scalar("select signed_up_at from raw.users where user_id = 'u3'")
    assert str(signed_up) == "2026-10-05 14:30:00"
    # a timestamp without an offset is UTC already and stays as written
    assert str(warehouse.scalar("select signed_up_at from raw.users where user_id = 'u1'")) == (
        "2026-09-30 08:00:00"
    )


def test_fraction_in_a_bigint_column_is_refused(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    path = _feedback_parquet(tmp_path / "feedback_events.parquet", [4.0, 1.5, 5.0])
    proc = duckdb_wh.cli("load", str(path), check=False)
    assert proc.returncode == 1, _message(proc)
    message = _message(proc)
    assert "feedback_events.parquet" in message
    assert "column rating must be bigint but row 2 has 1.5" in message
    assert "Traceback" not in message
    assert SECRET_PROMPT not in message


def test_corrupt_parquet_is_refused_with_column_and_rows(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    path = _feedback_parquet(
        tmp_path / "feedback_events.parquet", [float(i % 5 + 1) for i in range(400)], 400
    )
    meta = pq.ParquetFile(path).metadata
    chunk = meta.row_group(1).column(8)  # comment, rows 101-200
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    data = bytearray(path.read_bytes())
    for i in range(start, start + chunk.total_compressed_size):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    proc = duckdb_wh.cli("load", str(path), check=False)
    message = _message(proc)
    assert proc.returncode == 1, message
    assert "Traceback" not in message
    assert "feedback_events.parquet" in message
    assert "corrupt at column comment, rows 101-200" in message
    assert not Path(duckdb_wh.env["DUCKDB_PATH"]).exists()  # refused before the warehouse was opened


def test_nul_byte_is_refused_before_postgres_sees_it(postgres_wh: Warehouse, tmp_path: Path) -> None:
    good = dict(REQUESTS[0], event_id="ok")
    bad = dict(REQUESTS[0], event_id="nul", query_text="before\x00after " + SECRET_PROMPT)
    path = write_jsonl(tmp_path / "llm_requests.jsonl", [good, bad])
    proc = postgres_wh.cli("load", str(path), "--target", "postgres", check=False)
    message = _message(proc)
    assert proc.returncode == 1, message
    assert "Traceback" not in message
    assert "llm_requests.jsonl" in message
    assert "column query_text: row 2 has a NUL byte" in message
    assert SECRET_PROMPT not in message
    tables = postgres_wh.scalar("select count(*) from information_schema.tables where table_schema = 'raw'")
    assert tables == 0  # refused before the warehouse was touched


def test_refusals_show_no_raw_text(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    row = dict(REQUESTS[0], query_text=SECRET_PROMPT, response_text=SECRET_PROMPT)
    del row["total_latency_ms"]  # a required column (metadata, say, may be absent: loaded as null)
    path = write_jsonl(tmp_path / "llm_requests.jsonl", [row])
    proc = duckdb_wh.cli("load", str(path), check=False)
    message = _message(proc)
    assert proc.returncode == 1
    assert "missing column(s) total_latency_ms" in message
    assert SECRET_PROMPT not in message and "example.com" not in message
    row = dict(REQUESTS[0], query_text=SECRET_PROMPT, prompt_tokens="x" * 300)
    write_jsonl(path, [row])
    proc = duckdb_wh.cli("load", str(path), check=False)
    message = _message(proc)
    assert proc.returncode == 1
    assert "column prompt_tokens must be bigint but row 1 has 'xxxxxxxxxxxxxxxxxxxxxxxx'..." in message
    assert "x" * 40 not in message
    assert SECRET_PROMPT not in message and "example.com" not in message


def test_connection_failure_never_prints_the_password(postgres_wh: Warehouse, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "llm_requests.jsonl", [REQUESTS[0]])
    postgres_wh.env.update(PGPORT="1", PGPASSWORD="hunter2-s3cret")
    proc = postgres_wh.cli("load", str(path), "--target", "postgres", check=False)
    message = _message(proc)
    assert proc.returncode == 2, message
    assert "cannot connect to PostgreSQL" in message
    assert "hunter2-s3cret" not in message
    assert "password=***" in message
