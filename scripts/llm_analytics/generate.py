"""Deterministic sample data worth analysing, generated with vectorised NumPy in chunks.

What it plants (so that every mart and alert has something real to find):
- providers and models with different latency and price profiles; a mid-period model
  version change (gpt-4o-mini v1 -> v2, slower and more regenerations: drift);
- diurnal and weekly traffic, multi-turn sessions, streaming TTFT, cached tokens, errors by type;
- sparse explicit feedback (~4% of responses) and denser implicit signals;
- funnels with drop-off, signups spread over weeks (cohorts), churn, an A/B experiment whose
  treatment really is better;
- three incidents (see `incidents()`): a latency spike, an error burst and a cost spike;
- dirt at small rates: duplicates, late arrivals, an unknown model, negative and null token
  counts, missing sessions, unknown statuses, emails / phone / card numbers in query text.
Requests are produced in chunks of sessions and streamed to Parquet, so memory stays bounded.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .contract import raw_tables

DEFAULT_START = dt.datetime(2026, 10, 1)
CHUNK_REQUESTS = 500_000
MEAN_TURNS = 3.0
# provider, model_id, model_version, weight, median time to first token ms, output tokens/s.
# A call takes its time to first token plus its completion at the model's speed, so the normal
# hourly p95 stays near 3 s (TTFT p95 near 1 s) and an incident's x5 stands well clear of it.
MODELS = [
    ("openai", "gpt-4o", "2024-08-06", 0.22, 450, 140),
    ("openai", "gpt-4o-mini", "v1", 0.25, 350, 180),
    ("anthropic", "claude-3-5-sonnet-20241022", "2024-10-22", 0.18, 600, 100),
    ("anthropic", "claude-3-5-haiku-latest", "latest", 0.12, 400, 170),
    ("google", "gemini-2.0-flash", "001", 0.13, 300, 250),
    ("mistral", "mistral-large-4", "2512", 0.095, 500, 110),
    ("acme", "acme-llm-7b", "0.3", 0.005, 400, 90),  # unknown to genai-prices: unpriced
]
FEATURES = ["chat", "search", "summarize", "code_assist", "email_draft"]
FEATURE_W = [0.4, 0.25, 0.15, 0.12, 0.08]
SOURCES = ["web", "mobile", "api", "slack"]
SOURCE_W = [0.55, 0.25, 0.12, 0.08]
ERROR_TYPES = [
    "rate_limit",
    "context_window_exceeded",
    "content_filter_blocked",
    "timeout",
    "invalid_response",
    "provider_down",
]
ERROR_W = [0.35, 0.1, 0.1, 0.25, 0.1, 0.1]
TOPIC_QUERIES = {
    "billing": [
        "how do I update my billing address",
        "why was my invoice charged twice",
        "cancel my subscription",
    ],
    "account": ["reset my password", "how do I enable two factor login", "change the account owner"],
    "product": ["what does the export feature do", "compare the pro and enterprise plans", "is there an api"],
    "coding": ["write a python function to parse dates", "fix this sql query", "explain this stack trace"],
    "writing": [
        "draft an email to a customer",
        "summarize this meeting transcript",
        "rewrite this paragraph",
    ],
    "data": [
        "show revenue by region last quarter",
        "find the top customers by usage",
        "chart weekly signups",
    ],
}
PLANS = ["free", "pro", "enterprise"]
PLAN_W = [0.6, 0.3, 0.1]
SEGMENT_OF_PLAN = {"free": "self_serve", "pro": "smb", "enterprise": "enterprise"}
COUNTRIES = ["US", "GB", "DE", "FR", "IN", "BR", "JP", "CA"]
COUNTRY_W = [0.35, 0.1, 0.1, 0.08, 0.15, 0.08, 0.07, 0.07]
# diurnal weight per UTC hour and weekly weight per weekday (Mon=0)
HOUR_W = np.array([2, 1.5, 1, 1, 1, 1.5, 3, 5, 7, 8, 9, 9, 8, 9, 9, 8, 7, 6, 5, 4.5, 4, 3.5, 3, 2.5])
WEEKDAY_W = np.array([1.0, 1.05, 1.05, 1.0, 0.9, 0.45, 0.4])


@dataclass(frozen=True)
class Incident:
    kind: str
    start: str
    end: str
    provider: str | None
    description: str


def incidents(start: dt.datetime, days: int) -> list[Incident]:
    """The planted incidents, as whole UTC hours, at fixed fractions of the period."""

    def hour(frac: float, h: int) -> dt.datetime:
        return start + dt.timedelta(days=int(days * frac), hours=h)

    lat, err, cost = hour(0.55, 15), hour(0.4, 14), hour(0.7, 20)
    one = dt.timedelta(hours=1)
    fmt = "%Y-%m-%d %H:%M:%S"
    return [
        Incident(
            "latency_spike",
            lat.strftime(fmt),
            (lat + one).strftime(fmt),
            "openai",
            "openai latency x5 for one hour",
        ),
        Incident(
            "error_burst",
            err.strftime(fmt),
            (err + one).strftime(fmt),
            "anthropic",
            "anthropic returns provider_down / rate_limit on 60% of calls for one hour",
        ),
        Incident(
            "cost_spike",
            cost.strftime(fmt),
            (cost + one).strftime(fmt),
            None,
            "one user's runaway script sends long gpt-4o prompts for one hour",
        ),
    ]


def _ts(values: np.ndarray) -> pd.Series:
    return pd.Series(values.astype("datetime64[ms]"))


def make_users(rng: np.random.Generator, n: int, start: dt.datetime, days: int) -> pd.DataFrame:
    """Users sign up from three weeks before the period to its end (cohorts), on weekdays more."""
    span = (days + 21) * 86400
    signup = np.datetime64(start - dt.timedelta(days=21)) + (rng.random(n) * span).astype("timedelta64[s]")
    plan = rng.choice(PLANS, n, p=PLAN_W)
    return pd.DataFrame(
        {
            "user_id": [f"u_{i:07d}" for i in range(n)],
            "tenant_id": [f"t_{t:04d}" for t in rng.integers(0, max(1, n // 40), n)],
            "signed_up_at": _ts(np.sort(signup)),
            "plan": plan,
            "segment": [SEGMENT_OF_PLAN[p] for p in plan],
            "country": rng.choice(COUNTRIES, n, p=COUNTRY_W),
        }
    )


def make_experiments(rng: np.random.Generator, users: pd.DataFrame, start: dt.datetime) -> pd.DataFrame:
    """Half the users get the new assistant prompt (treatment): fewer regenerations, more conversions."""
    assigned = np.maximum(users["signed_up_at"].values, np.datetime64(start, "ms"))
    return pd.DataFrame(
        {
            "user_id": users["user_id"],
            "experiment_id": "assistant_prompt_v2",
            "variant": np.where(rng.random(len(users)) < 0.5, "control", "treatment"),
            "assigned_at": _ts(assigned),
        }
    )


def _draw_times(rng: np.random.Generator, n: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Session start times in [lo, hi) (epoch seconds), shaped by weekday and hour of day."""
    day = (lo + rng.random(n) * (hi - lo)) // 86400
    # quieter weekdays (weekends) are redrawn once with probability 1 - weight
    weekday = ((day + 3) % 7).astype(int)  # 1970-01-01 was a Thursday
    redo = rng.random(n) > WEEKDAY_W[weekday] / WEEKDAY_W.max()
    day = np.where(redo, (lo + rng.random(n) * (hi - lo)) // 86400, day)
    hour = rng.choice(24, n, p=HOUR_W / HOUR_W.sum())
    t = day * 86400 + hour * 3600 + rng.integers(0, 3600, n)
    return np.clip(t, lo, hi - 1)


def _chunk(
    rng: np.random.Generator,
    users: pd.DataFrame,
    variant_treat: np.ndarray,
    n_requests: int,
    start: dt.datetime,
    days: int,
    chunk_no: int,
    activity: np.ndarray,
    churn_s: np.ndarray,
) -> dict[str, pd.DataFrame]:
    """One chunk of sessions with their requests, feedback and product events."""
    t0 = int(np.datetime64(start, "s").astype(np.int64))
    t_end = t0 + days * 86400
    # enough sessions for n_requests calls, the last one cut so the count is exact
    turns = rng.geometric(1 / MEAN_TURNS, int(n_requests / MEAN_TURNS * 1.3) + 10)
    cum_turns = np.cumsum(turns)
    n_sessions = int(np.searchsorted(cum_turns, n_requests)) + 1
    turns = turns[:n_sessions]
    turns[-1] -= int(cum_turns[n_sessions - 1]) - n_requests
    total = n_requests
    # users: weighted by activity; 6% of sessions are anonymous
    u_idx = rng.choice(len(users), n_sessions, p=activity)
    anon = rng.random(n_sessions) < 0.06
    signup = users["signed_up_at"].values.astype("datetime64[s]").astype(np.int64)[u_idx]
    lo = np.maximum(t0, signup)
    hi = np.minimum(t_end, np.maximum(lo + 86400, signup + churn_s[u_idx]))
    hi = np.minimum(hi, t_end)
    lo = np.minimum(lo, hi - 3600)
    s_start = _draw_times(rng, n_sessions, lo, hi)

    # explode sessions to requests
    sess = np.repeat(np.arange(n_sessions), turns)
    first = np.repeat(np.cumsum(turns) - turns, turns)
    turn = np.arange(total) - first
    gaps = rng.exponential(70, total).astype(np.int64) + 5
    gaps[turn == 0] = 0
    cum = np.cumsum(gaps)
    offset = cum - np.repeat(cum[np.cumsum(turns) - turns], turns)
    occurred = s_start[sess] + offset
    treat = variant_treat[u_idx][sess] & ~anon[sess]

    # model choice; gpt-4o-mini changes version mid-period
    m_w = np.array([m[3] for m in MODELS])
    m_idx = rng.choice(len(MODELS), total, p=m_w / m_w.sum())
    provider = np.array([m[0] for m in MODELS])[m_idx]
    model = np.array([m[1] for m in MODELS])[m_idx]
    version = np.array([m[2] for m in MODELS])[m_idx]
    mid = t0 + days * 86400 // 2
    is_v2 = (model == "gpt-4o-mini") & (occurred >= mid)
    version = np.where(is_v2, "v2", version)
    routing = rng.choice(["primary", "fallback", "cache"], total, p=[0.9, 0.06, 0.04])

    # tokens: prompts grow with the conversation; cached tokens on later turns and cache routing
    prompt = (rng.lognormal(6.4, 0.7, total) * (1 + 0.6 * turn)).astype(np.int64) + 20
    completion = rng.lognormal(4.8, 0.55, total).astype(np.int64) + 5
    cached = np.where(
        (turn > 0) & (rng.random(total) < 0.55), (prompt * rng.uniform(0.3, 0.8, total)).astype(np.int64), 0
    )
    cached = np.where(routing == "cache", prompt, cached)

    # incidents
    inc = {i.kind: i for i in incidents(start, days)}

    def in_hour(kind: str) -> np.ndarray:
        s = int(np.datetime64(inc[kind].start, "s").astype(np.int64))
        return (occurred >= s) & (occurred < s + 3600)

    lat_spike = in_hour("latency_spike") & (provider == "openai")
    err_burst = in_hour("error_burst") & (provider == "anthropic")

    # latency: time to first token, then the completion streamed at the model's speed; the
    # provider's queue (v2, the incident) slows both
    ttft_med = np.array([m[4] for m in MODELS])[m_idx]
    tps = np.array([m[5] for m in MODELS])[m_idx]
    ttft = ttft_med * rng.lognormal(0, 0.3, total)
    total_latency = ttft + completion / tps * 1000 * rng.lognormal(0, 0.15, total)
    slowdown = np.where(is_v2, 1.35, 1.0) * np.where(lat_spike, 5.0, 1.0)
    ttft, total_latency = ttft * slowdown, total_latency * slowdown
    total_latency = np.where(routing == "cache", rng.uniform(20, 80, total), total_latency)
    streamed = (rng.random(total) < 0.8) & (routing != "cache")
    ttft = np.where(streamed, ttft, np.nan)
    chunks = np.where(streamed, np.maximum(1, completion // 4), 1)

    # errors
    err_p = np.where(err_burst, 0.6, 0.003)
    is_err = rng.random(total) < err_p
    err_type = np.where(
        err_burst,
        rng.choice(["provider_down", "rate_limit"], total, p=[0.6, 0.4]),
        rng.choice(ERROR_TYPES, total, p=ERROR_W),
    )
    err_type = np.where(is_err, err_type, None)
    total_latency = np.where(is_err & (err_type == "timeout"), 30000.0, total_latency)
    completion = np.where(is_err, 0, completion)
    ttft = np.where(is_err, np.nan, ttft)
    stop_reason = np.where(is_err, "error", np.where(rng.random(total) < 0.05, "length", "stop"))

    # queries: a topic, a template, and sometimes personal data
    topics = list(TOPIC_QUERIES)
    topic = rng.choice(len(topics), total)
    tmpl = rng.integers(0, 3, total)
    base_q = np.array([[q for q in TOPIC_QUERIES[t]] for t in topics])[topic, tmpl]
    suffix = rng.choice(
        ["", " please", " asap", " for our team", " step by step", " in detail"],
        total,
        p=[0.5, 0.1, 0.1, 0.1, 0.1, 0.1],
    )
    pii_kind = rng.choice(4, total, p=[0.95, 0.025, 0.015, 0.01])
    n_pii = np.arange(total) % 9000 + 1000
    pii = np.select(
        [pii_kind == 1, pii_kind == 2, pii_kind == 3],
        [
            np.char.add(np.char.add(" - reach me at jane.doe", n_pii.astype(str)), "@example.com"),
            np.char.add(" - call me on +1 415-555-", n_pii.astype(str)),
            np.char.add(" card 4111 1111 1111 ", n_pii.astype(str)),
        ],
        "",
    )
    query_text = np.char.add(np.char.add(base_q.astype(str), suffix.astype(str)), pii.astype(str))
    category = np.array(topics)[topic]

    # responses: sometimes a zero-result answer; response text kept for half the calls
    zero = (~is_err) & (rng.random(total) < np.where(category == "data", 0.08, 0.02))
    resp_len = np.where(is_err, 0, completion * 4)
    resp_text = np.where(
        zero,
        "I couldn't find any results for that request.",
        np.where(rng.random(total) < 0.5, "Here is what I found: ...", None),
    )
    resp_text = np.where(is_err, None, resp_text)

    # implicit and explicit signals: worse when slow, on v2, and in control
    slow = total_latency > 3000
    regen_p = 0.07 + 0.08 * slow + 0.06 * is_v2 - 0.03 * treat + 0.1 * zero
    regenerated = (~is_err) & (rng.random(total) < regen_p)
    edited = (~is_err) & (rng.random(total) < 0.1 - 0.03 * treat)
    rated = (~is_err) & (rng.random(total) < 0.04)
    up_p = np.clip(
        0.78 - 0.25 * slow - 0.15 * is_v2 + 0.08 * treat - 0.4 * zero - 0.2 * regenerated, 0.02, 0.98
    )
    thumbs_up = rng.random(total) < up_p
    explicit = np.where(rated, np.where(thumbs_up, "up", "down"), None)

    occurred_ts = occurred.astype("datetime64[s]")
    late = rng.random(total) < 0.02
    delay = np.where(late, rng.integers(86400, 4 * 86400, total), rng.integers(1, 120, total))
    received_ts = (occurred + delay).astype("datetime64[s]")

    uid_all = users["user_id"].to_numpy()
    user_id = np.where(anon[sess], None, uid_all[u_idx][sess])
    tenant = np.where(anon[sess], "t_anonymous", users["tenant_id"].to_numpy()[u_idx][sess])
    session_id = np.char.add(f"s_{chunk_no:03d}_", np.arange(n_sessions).astype(str))[sess].astype(object)
    event_id = np.char.add(f"r_{chunk_no:03d}_", np.arange(total).astype(str)).astype(object)
    feature = rng.choice(FEATURES, n_sessions, p=FEATURE_W)[sess]
    source = rng.choice(SOURCES, n_sessions, p=SOURCE_W)[sess]

    # the cost spike: one power user's script, many long gpt-4o calls in one hour
    cost_hour = int(np.datetime64(inc["cost_spike"].start, "s").astype(np.int64))
    spike = (rng.random(total) < 0.004) & (chunk_no == 0)
    n_spike = int(spike.sum())
    if n_spike:
        occurred_ts[spike] = (cost_hour + rng.integers(0, 3600, n_spike)).astype("datetime64[s]")
        received_ts[spike] = occurred_ts[spike] + np.timedelta64(30, "s")
        provider[spike], model[spike], version[spike] = "openai", "gpt-4o", "2024-08-06"
        prompt[spike] = rng.integers(60_000, 110_000, n_spike)
        cached[spike] = 0
        completion[spike] = rng.integers(2_000, 4_000, n_spike)
        user_id[spike] = uid_all[0]
        tenant[spike] = users["tenant_id"].iloc[0]
        session_id[spike] = f"s_{chunk_no:03d}_runaway"
        is_err[spike] = False
        err_type[spike] = None

    requests = pd.DataFrame(
        {
            "event_id": event_id,
            "schema_version": "1.2",
            "occurred_at": occurred_ts.astype("datetime64[ms]"),
            "received_at": received_ts.astype("datetime64[ms]"),
            "tenant_id": tenant,
            "user_id": user_id,
            "session_id": session_id,
            "response_id": np.where(is_err, None, np.char.add("resp_", event_id.astype(str))),
            "feature_id": feature,
            "user_source": source,
            "provider": provider,
            "model_id": model,
            "model_version": version,
            "routing_strategy": routing,
            "temperature": np.round(rng.choice([0.0, 0.2, 0.7, 1.0], total), 2),
            "prompt_tokens": pd.array(prompt, dtype="Int64"),
            "completion_tokens": pd.array(completion, dtype="Int64"),
            "cached_tokens": pd.array(cached, dtype="Int64"),
            "ttft_ms": np.round(ttft, 1),
            "total_latency_ms": np.round(total_latency, 1),
            "stream_chunks_received": chunks.astype(np.int64),
            "status": np.where(is_err, "error", "success"),
            "error_type": err_type,
            "stop_reason": stop_reason,
            "query_text": query_text.astype(object),
            "query_category": category,
            "response_text": resp_text,
            "response_length_chars": resp_len.astype(np.int64),
            "user_regenerated": regenerated,
            "user_edited_output": edited,
            "explicit_rating": explicit,
            "estimated_cost_usd": np.where(rng.random(total) < 0.5, np.round(prompt * 2e-6, 6), np.nan),
            "metadata": np.where(rng.random(total) < 0.5, '{"app_version": "4.2.0", "region": "eu"}', None),
        }
    )
    requests = _make_dirty(rng, requests)
    feedback = _feedback(rng, requests, thumbs_up, rated, zero)
    product = _product_events(rng, requests, treat, chunk_no)
    return {"llm_requests": requests, "feedback_events": feedback, "product_events": product}


def _make_dirty(rng: np.random.Generator, df: pd.DataFrame) -> pd.DataFrame:
    """Small rates of the dirt real pipelines see: rule breaks, then redelivered duplicates."""
    n = len(df)
    pick = rng.random(n)
    neg = pick < 0.001
    df.loc[neg, "completion_tokens"] = -df.loc[neg, "completion_tokens"].abs() - 1
    null_tok = (pick >= 0.001) & (pick < 0.002) & (df["status"] == "success")
    df.loc[null_tok, "prompt_tokens"] = pd.NA
    no_session = (pick >= 0.002) & (pick < 0.0025)
    df.loc[no_session, "session_id"] = None
    bad_status = (pick >= 0.0025) & (pick < 0.003)
    df.loc[bad_status, "status"] = "SUCCESS?"
    dup = df[rng.random(n) < 0.01].copy()
    dup["received_at"] = dup["received_at"] + pd.to_timedelta(rng.integers(60, 86400 * 2, len(dup)), unit="s")
    return pd.concat([df, dup], ignore_index=True)


def _feedback(
    rng: np.random.Generator, req: pd.DataFrame, thumbs_up: np.ndarray, rated: np.ndarray, zero: np.ndarray
) -> pd.DataFrame:
    """Feedback events: thumbs mirror explicit ratings; ratings, follow-ups, copies and shares are sparse."""
    base = req.iloc[: len(thumbs_up)]
    ok = (base["status"] == "success").to_numpy()
    r = rng.random(len(base))
    frames = []

    def add(mask: np.ndarray, ftype: str, rating: np.ndarray | None = None) -> None:
        sub = base[mask]
        if sub.empty:
            return
        delay = pd.to_timedelta(rng.integers(5, 600, len(sub)), unit="s")
        frames.append(
            pd.DataFrame(
                {
                    "request_id": sub["event_id"].to_numpy(),
                    "occurred_at": (sub["occurred_at"] + delay).to_numpy(),
                    "received_at": (sub["received_at"] + delay).to_numpy(),
                    "user_id": sub["user_id"].to_numpy(),
                    "session_id": sub["session_id"].to_numpy(),
                    "feedback_type": ftype,
                    "rating": rating[mask] if rating is not None else None,
                }
            )
        )

    add(rated & thumbs_up, "thumbs_up")
    add(rated & ~thumbs_up, "thumbs_down")
    stars = np.clip(np.round(np.where(thumbs_up, 4.5, 2.7) + rng.normal(0, 0.8, len(base))), 1, 5).astype(
        np.int64
    )
    add(ok & (r < 0.015), "rating", stars)
    add(ok & (r >= 0.015) & (r < 0.115) & ~zero, "follow_up")
    add(ok & (r >= 0.115) & (r < 0.265) & ~zero, "copy")
    add(ok & (r >= 0.265) & (r < 0.285), "share")
    add(ok & (r >= 0.285) & (r < 0.315), "save")
    fb = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    fb.insert(0, "event_id", [f"f_{req['event_id'].iloc[0][2:5]}_{i}" for i in range(len(fb))])
    fb["rating"] = fb["rating"].astype("Int64")
    fb["comment"] = np.where(
        rng.random(len(fb)) < 0.05, "great answer, email me at sam.lee@example.org", None
    )
    return fb[
        [
            "event_id",
            "occurred_at",
            "received_at",
            "user_id",
            "session_id",
            "request_id",
            "feedback_type",
            "rating",
            "comment",
        ]
    ]


def _product_events(
    rng: np.random.Generator, req: pd.DataFrame, treat: np.ndarray, chunk_no: int
) -> pd.DataFrame:
    """Funnel events per session (ai_query -> response_received -> satisfied -> action_taken -> converted)."""
    base = req.iloc[: len(treat)]
    first = ~base["session_id"].duplicated().to_numpy()
    s = base[first]
    tr = treat[first]
    n = len(s)
    reached = {
        "page_view": np.ones(n, bool),
        "ai_query": rng.random(n) < 0.97,
    }
    reached["response_received"] = reached["ai_query"] & (rng.random(n) < 0.92)
    reached["satisfied"] = reached["response_received"] & (rng.random(n) < 0.55 + 0.1 * tr)
    reached["action_taken"] = reached["satisfied"] & (rng.random(n) < 0.6)
    reached["converted"] = reached["action_taken"] & (rng.random(n) < 0.25 + 0.1 * tr)
    frames = []
    for step, (name, mask) in enumerate(reached.items()):
        sub = s[mask]
        at = sub["occurred_at"] + pd.to_timedelta(step * 20 + rng.integers(0, 15, len(sub)), unit="s")
        frames.append(
            pd.DataFrame(
                {
                    "occurred_at": at.to_numpy(),
                    "received_at": (at + pd.to_timedelta(rng.integers(1, 90, len(sub)), unit="s")).to_numpy(),
                    "user_id": sub["user_id"].to_numpy(),
                    "session_id": sub["session_id"].to_numpy(),
                    "event_name": name,
                    "properties": np.where(
                        sub["feature_id"].to_numpy() == "",
                        None,
                        '{"feature": "' + sub["feature_id"].astype(str) + '"}',
                    ),
                }
            )
        )
    pe = pd.concat(frames, ignore_index=True)
    pe = pe[pe["session_id"].notna()]
    pe.insert(0, "event_id", [f"p_{chunk_no:03d}_{i}" for i in range(len(pe))])
    return pe


@dataclass
class GenerateSummary:
    out_dir: str
    seed: int
    start: str
    days: int
    users: int
    requests: int
    rows: dict[str, int]
    incidents: list[dict[str, str | None]]


def _write(
    df: pd.DataFrame,
    table: str,
    writers: dict[str, pq.ParquetWriter],
    out: Path,
    schema: pa.Schema,
    jsonl: bool,
) -> None:
    tbl = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
    if table not in writers:
        writers[table] = pq.ParquetWriter(out / f"{table}.parquet", schema)
    writers[table].write_table(tbl)
    if jsonl:
        with (out / f"{table}.jsonl").open("a") as fh:
            df.to_json(fh, orient="records", lines=True, date_format="iso", date_unit="ms")


ARROW_TYPES = {
    "varchar": pa.string(),
    "timestamp": pa.timestamp("ms"),
    "bigint": pa.int64(),
    "double precision": pa.float64(),
    "boolean": pa.bool_(),
}


def _schema(table: str) -> pa.Schema:
    return pa.schema([(c.name, ARROW_TYPES[c.data_type]) for c in raw_tables()[table].columns])


def generate(
    out_dir: Path,
    seed: int = 42,
    days: int = 28,
    users: int = 2_000,
    requests: int = 100_000,
    start: dt.datetime = DEFAULT_START,
    jsonl: bool = False,
    progress: Iterator[None] | None = None,
) -> GenerateSummary:
    """Write one Parquet file (and optionally JSONL) per raw table to out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for p in out_dir.glob("*.jsonl"):
        p.unlink()
    rng = np.random.default_rng(seed)
    user_df = make_users(rng, users, start, days)
    exp = make_experiments(rng, user_df, start)
    treat = (exp["variant"] == "treatment").to_numpy()
    activity = rng.lognormal(0, 1.0, users)
    churn_s = (rng.exponential(18, users) * 86400).astype(np.int64) + 86400
    # users who churned before the period starts, or sign up after it ends, send nothing
    signup_s = user_df["signed_up_at"].values.astype("datetime64[s]").astype(np.int64)
    t0 = int(np.datetime64(start, "s").astype(np.int64))
    # sessions are drawn in proportion to activity x days active in the period, so each user
    # keeps a steady daily rate instead of squeezing a lifetime into a short window
    active_s = np.minimum(t0 + days * 86400, signup_s + churn_s) - np.maximum(t0, signup_s)
    activity = activity * np.clip(active_s, 0, None) / 86400
    if activity.sum() == 0:
        activity = np.ones(users)
    activity /= activity.sum()
    writers: dict[str, pq.ParquetWriter] = {}
    rows: dict[str, int] = {}
    remaining, chunk_no = requests, 0
    while remaining > 0:
        n = min(CHUNK_REQUESTS, remaining)
        crng = np.random.default_rng([seed, chunk_no])
        frames = _chunk(crng, user_df, treat, n, start, days, chunk_no, activity, churn_s)
        for table, df in frames.items():
            _write(df, table, writers, out_dir, _schema(table), jsonl)
            rows[table] = rows.get(table, 0) + len(df)
        remaining -= n
        chunk_no += 1
        if progress is not None:
            next(progress, None)
    for table, df in {"users": user_df, "experiment_assignments": exp}.items():
        _write(df, table, writers, out_dir, _schema(table), jsonl)
        rows[table] = len(df)
    for w in writers.values():
        w.close()
    summary = GenerateSummary(
        str(out_dir),
        seed,
        start.isoformat(),
        days,
        users,
        requests,
        rows,
        [asdict(i) for i in incidents(start, days)],
    )
    (out_dir / "generate_summary.json").write_text(json.dumps(asdict(summary), indent=2))
    return summary
