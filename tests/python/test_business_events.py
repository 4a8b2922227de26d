"""Revenue and survey values on product events, at the door: the loader types them from the
contract, the quality gate warns on a negative amount or a score off every scale (staging then
rejects them with a reason: dbt unit tests), and a score that is not a number refuses the file."""

from __future__ import annotations

from pathlib import Path

from .conftest import Warehouse
from .fixtures import write_jsonl

BASE = {"occurred_at": "2026-10-05 10:00:00", "received_at": "2026-10-05 10:00:05", "user_id": "u1"}


def flat(text: str) -> str:
    return " ".join(text.split())


def test_amounts_and_scores_load_typed_and_bad_ones_warn(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    rows = [
        {**BASE, "event_id": "b1", "event_name": "subscription_payment", "amount_usd": 20.5},
        {**BASE, "event_id": "b2", "event_name": "subscription_payment", "amount_usd": -5},
        {**BASE, "event_id": "b3", "event_name": "nps_response", "score": 11},
        {**BASE, "event_id": "b4", "event_name": "csat_response", "score": 4},
        {**BASE, "event_id": "b5", "event_name": "page_view"},
    ]
    path = write_jsonl(tmp_path / "product_events.jsonl", rows)
    err = flat(duckdb_wh.cli("load", str(path)).stderr)
    assert "amount_usd >= 0: 1 of 5 rows; e.g. row 2: event_id='b2', amount_usd=-5" in err
    assert "score between 0 and 10: 1 of 5 rows; e.g. row 3: event_id='b3', score=11" in err
    loaded = duckdb_wh.scalar("select sum(amount_usd) + sum(score) from raw.product_events")
    assert loaded == 20.5 - 5 + 11 + 4  # every row landed, typed: cleaning is staging's job


def test_a_score_that_is_not_a_number_refuses_the_file(duckdb_wh: Warehouse, tmp_path: Path) -> None:
    rows = [{**BASE, "event_id": "b1", "event_name": "nps_response", "score": "great"}]
    path = write_jsonl(tmp_path / "product_events.jsonl", rows)
    proc = duckdb_wh.cli("load", str(path), check=False)
    assert proc.returncode != 0
    assert "column score must be double precision but row 1" in flat(proc.stderr)
    # refused before the warehouse is touched
    assert not duckdb_wh.path.exists() or duckdb_wh.scalar("select count(*) from raw.product_events") == 0
