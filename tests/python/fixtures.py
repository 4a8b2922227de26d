"""A small hand-built raw dataset whose expected results are worked out in the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from llm_analytics.contract import raw_tables


def request(event_id: str, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {c: None for c in raw_tables()["llm_requests"].column_names}
    base.update(
        event_id=event_id,
        schema_version="1.2",
        tenant_id="t1",
        feature_id="chat",
        user_source="web",
        routing_strategy="primary",
        temperature=0.2,
        cached_tokens=0,
        status="success",
        stop_reason="stop",
        query_text="hello",
        user_regenerated=False,
        user_edited_output=False,
        total_latency_ms=1000.0,
    )
    base.update(kw)
    if base["received_at"] is None:
        base["received_at"] = base["occurred_at"]
    return base


REQUESTS = [
    request(
        "r1",
        occurred_at="2026-10-05 10:00:00",
        received_at="2026-10-05 10:00:02",
        user_id="u1",
        session_id="s1",
        provider="openai",
        model_id="gpt-4o-2024-08-06",
        prompt_tokens=1000,
        cached_tokens=400,
        completion_tokens=500,
        ttft_ms=300.0,
        total_latency_ms=1200.0,
        query_text="Reset my password, email me at a.b@example.com",
        response_text="Done.",
        explicit_rating="up",
    ),
    # the same event delivered again two days later: must count once
    request(
        "r1",
        occurred_at="2026-10-05 10:00:00",
        received_at="2026-10-07 08:00:00",
        user_id="u1",
        session_id="s1",
        provider="openai",
        model_id="gpt-4o-2024-08-06",
        prompt_tokens=1000,
        cached_tokens=400,
        completion_tokens=500,
        ttft_ms=300.0,
        total_latency_ms=1200.0,
        query_text="Reset my password, email me at a.b@example.com",
        response_text="Done.",
    ),
    request(
        "r2",
        occurred_at="2026-10-05 10:01:00",
        user_id="u1",
        session_id="s1",
        provider="anthropic",
        model_id="claude-3-5-sonnet-20241022",
        prompt_tokens=2000,
        completion_tokens=100,
        total_latency_ms=4000.0,
        user_regenerated=True,
        query_text="call me on +1 415-555-0134",
    ),
    request(
        "r3",
        occurred_at="2026-10-21 09:00:00",
        user_id="u2",
        session_id="s2",
        provider="mistral",
        model_id="mistral-large-4",
        prompt_tokens=1000,
        cached_tokens=400,
        completion_tokens=500,
        query_text="Summarize this invoice",
        response_text="Sorry, I couldn't find any results.",
    ),
    request(
        "r4",
        occurred_at="2026-10-21 09:02:00",
        user_id="u2",
        session_id="s2",
        provider="acme",
        model_id="acme-llm-7b",
        prompt_tokens=100,
        completion_tokens=10,
        query_text="card 4111 1111 1111 1111 please",
    ),
    request(
        "r5",
        occurred_at="2026-10-22 23:00:00",
        user_id=None,
        session_id="s3",
        provider="openai",
        model_id="gpt-4o-mini",
        prompt_tokens=50,
        completion_tokens=0,
        status="error",
        error_type="timeout",
        total_latency_ms=30000.0,
        stop_reason="error",
    ),
    # rule breaks: kept out of the facts, kept in int_rejected_rows
    request(
        "r6",
        occurred_at="2026-10-22 10:00:00",
        user_id="u1",
        session_id="s4",
        provider="openai",
        model_id="gpt-4o",
        prompt_tokens=10,
        completion_tokens=-5,
    ),
    request(
        "r7",
        occurred_at="2026-10-22 10:00:00",
        user_id="u1",
        session_id=None,
        provider="openai",
        model_id="gpt-4o",
        prompt_tokens=10,
        completion_tokens=5,
    ),
    request(
        "r8",
        occurred_at="2026-10-22 10:00:00",
        user_id="u1",
        session_id="s4",
        provider="openai",
        model_id="gpt-4o",
        prompt_tokens=10,
        completion_tokens=5,
        status="weird",
    ),
]

FEEDBACK = [
    {
        "event_id": "f1",
        "occurred_at": "2026-10-05 10:00:30",
        "received_at": "2026-10-05 10:00:31",
        "user_id": "u1",
        "session_id": "s1",
        "request_id": "r1",
        "feedback_type": "thumbs_up",
        "rating": None,
        "comment": "great, write to me at a.b@example.com",
    },
    {
        "event_id": "f2",
        "occurred_at": "2026-10-21 09:05:00",
        "received_at": "2026-10-21 09:05:01",
        "user_id": "u2",
        "session_id": "s2",
        "request_id": "r3",
        "feedback_type": "rating",
        "rating": 4,
        "comment": None,
    },
    {
        "event_id": "f3",
        "occurred_at": "2026-10-21 09:06:00",
        "received_at": "2026-10-21 09:06:01",
        "user_id": "u2",
        "session_id": "s2",
        "request_id": "r3",
        "feedback_type": "rating",
        "rating": 9,
        "comment": None,
    },
]

PRODUCT_EVENTS = [
    {
        "event_id": f"p{i}",
        "occurred_at": at,
        "received_at": at,
        "user_id": u,
        "session_id": s,
        "event_name": name,
        "properties": '{"feature": "chat"}',
    }
    for i, (at, u, s, name) in enumerate(
        [
            ("2026-10-05 10:00:00", "u1", "s1", "ai_query"),
            ("2026-10-05 10:00:05", "u1", "s1", "response_received"),
            ("2026-10-21 09:00:00", "u2", "s2", "ai_query"),
        ]
    )
]

USERS_CSV = (
    "user_id,tenant_id,signed_up_at,plan,segment,country\n"
    "u1,t1,2026-09-30 08:00:00,pro,smb,us\n"
    "u2,t1,2026-10-20 12:00:00,free,self_serve,de\n"
)

ASSIGNMENTS = [
    {"user_id": "u1", "experiment_id": "exp1", "variant": "control", "assigned_at": "2026-10-01 00:00:00"},
    {"user_id": "u2", "experiment_id": "exp1", "variant": "treatment", "assigned_at": "2026-10-20 12:00:00"},
]

# A second experiment, only so that mart_experiment_results has variances to test (exp1 has one
# user per variant): u3-u5 are assigned but never active (and not in users.csv), so exp2's
# per-user means mix real calls and zeros; 2 users in a, 3 in b.
STATS_ASSIGNMENTS = [
    {"user_id": u, "experiment_id": "exp2", "variant": v, "assigned_at": "2026-10-01 00:00:00"}
    for u, v in (("u1", "a"), ("u3", "a"), ("u2", "b"), ("u4", "b"), ("u5", "b"))
]
ASSIGNMENTS += STATS_ASSIGNMENTS


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def write_fixture(folder: Path) -> Path:
    """The whole hand-built dataset as JSONL and CSV files named after their tables."""
    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(folder / "llm_requests-2026-10.jsonl", REQUESTS)
    write_jsonl(folder / "feedback_events.jsonl", FEEDBACK)
    write_jsonl(folder / "product_events.jsonl", PRODUCT_EVENTS)
    (folder / "users.csv").write_text(USERS_CSV)
    write_jsonl(folder / "experiment_assignments.jsonl", ASSIGNMENTS)
    return folder
