"""raw.evaluation_scores through the loader (issue 17 §5): the contract's columns, the stamps,
received_at stamped when a file lacks it, the manifest, all-or-nothing refusals, on both
engines. Loader only: the staging rules are dbt unit tests (models/staging/llm/_llm__models.yml)."""

from __future__ import annotations

from pathlib import Path

from .conftest import Warehouse
from .fixtures import write_jsonl

SCORES = [
    {
        "event_id": "ev1",
        "request_id": "r1",
        "session_id": "s1",
        "score_name": "relevance",
        "score_value": 0.9,
        "source": "llm_judge",
        "evaluator": "judge-v1",
        "occurred_at": "2026-10-05T10:01:00Z",
        "received_at": "2026-10-05T10:01:02Z",
    },
    {
        "event_id": "ev2",
        "session_id": "s1",
        "score_name": "completeness",
        "score_label": "complete",
        "source": "human",
        "comment": "reach me at jane@example.com",
        "occurred_at": "2026-10-06T09:00:00Z",
        "received_at": "2026-10-06T09:00:05Z",
    },
]


def test_evaluation_scores_load_with_stamps_manifest_and_refusals(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    wh = warehouse
    wh.cli("load", str(write_jsonl(tmp_path / "evaluation_scores.jsonl", SCORES)), "--target", wh.target)
    rows = wh.query(
        "select event_id, request_id, score_value, score_label, _load_id, _loaded_at is not null "
        "from raw.evaluation_scores order by event_id"
    )
    assert rows == [("ev1", "r1", 0.9, None, 1, True), ("ev2", None, None, "complete", 1, True)]
    # a later file without received_at: the loader stamps it with the load's own time
    late = [{k: v for k, v in SCORES[0].items() if k != "received_at"} | {"event_id": "ev3"}]
    wh.cli("load", str(write_jsonl(tmp_path / "evaluation_scores-late.jsonl", late)), "--target", wh.target)
    stamped = wh.query(
        "select _load_id, received_at = _loaded_at from raw.evaluation_scores where event_id = 'ev3'"
    )
    assert stamped == [(2, True)]
    files = wh.scalar("select count(*) from raw.load_manifest where table_name = 'evaluation_scores'")
    assert files == 2

    # a file without a required column is refused whole, naming the column and never a value
    bad = [{k: v for k, v in SCORES[1].items() if k != "score_name"} | {"event_id": "ev4"}]
    path = write_jsonl(tmp_path / "evaluation_scores-bad.jsonl", bad)
    proc = wh.cli("load", str(path), "--target", wh.target, check=False)
    assert proc.returncode == 1
    message = " ".join(proc.stderr.split())
    assert "missing column(s) score_name" in message
    assert "jane@example.com" not in message + proc.stdout  # never a comment's text
    assert wh.scalar("select count(*) from raw.evaluation_scores") == 3
