"""Deterministic sample data worth analysing, generated with vectorised NumPy in chunks.

What it plants (so that every mart and alert has something real to find):
- providers and models with different latency and price profiles; a mid-period model
  version change (gpt-4o-mini v1 -> v2, slower and more regenerations: drift);
- diurnal and weekly traffic, multi-turn sessions, streaming TTFT, cached tokens, errors by type;
- sparse explicit feedback (~4% of responses) and denser implicit signals;
- funnels with drop-off, signups spread over weeks (cohorts), churn, an A/B experiment whose
  treatment really is better (more thumbs up, more conversions), and two without effect, one with
  a sample-ratio mismatch (sample_experiments.py);
- evaluation scores (sample_evaluations): LLM judge, heuristic and human, one model hallucinating more;
- answers accepted or inserted, sessions reaching a goal (`sample_product`);
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
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import (
    sample_bills,
    sample_business,
    sample_evaluations,
    sample_experiments,
    sample_product,
    sample_routing,
    sample_text,
)
from .contract import raw_tables
from .sample_poison import NAN_CELLS, poison

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
ZERO_RESULT_TEXT = "I couldn't find any results for that request."
PRE_START_DAYS = 180  # --pre-start-users sign up at most this many days before the first day


@dataclass(frozen=True)
class Options:
    """What the optional switches of `generate` add; the defaults give the classic sample byte for byte.

    Every option draws from its own random streams, so turning one on leaves the columns it does
    not touch exactly as they were.
    """

    realistic_text: bool = False  # distinct prompts/responses of realistic length, PII at real rates
    poison: bool = False  # hostile values in a few rows of the first chunk
    pre_start_users: float = 0.0  # share of users who signed up before the first day


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


def make_users(
    rng: np.random.Generator, n: int, start: dt.datetime, days: int, pre_start: float = 0.0, seed: int = 0
) -> pd.DataFrame:
    """Users sign up from three weeks before the period to its end (cohorts), on weekdays more.

    With PRE_START > 0, that share of users signed up up to PRE_START_DAYS before the first day
    (an installed product's existing users) and the others during the period.
    """
    span = (days + 21) * 86400
    signup = np.datetime64(start - dt.timedelta(days=21)) + (rng.random(n) * span).astype("timedelta64[s]")
    if pre_start > 0:
        signup = _pre_start_signups(np.random.default_rng([seed, 1, 1]), n, start, days, pre_start)
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


def _pre_start_signups(
    prng: np.random.Generator, n: int, start: dt.datetime, days: int, share: float
) -> np.ndarray:
    """round(share * n) signups in the PRE_START_DAYS before START, the rest within the period."""
    before = round(share * n)
    ahead = 1 + np.floor(prng.random(before) * (PRE_START_DAYS * 86400 - 1))
    offset = np.concatenate([-ahead, np.floor(prng.random(n - before) * days * 86400)])
    return np.datetime64(start, "s") + offset.astype("timedelta64[s]")


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


# Columns of one chunk's calls while they are being built: name -> one value per call (or per
# session, for the session-level entries), filled in by the steps of _chunk in order.
Cols = dict[str, Any]


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
    opts: Options = Options(),
    trng: np.random.Generator | None = None,
) -> dict[str, pd.DataFrame]:
    """One chunk of sessions with their requests, feedback and product events.

    Every step draws from RNG; the order of the draws is part of the output (a seed must give the
    same bytes), so the steps run in this fixed order and none may be moved or skipped. The options'
    text draws come from TRNG, so the other columns stay as they are without the options.
    """
    t0 = int(np.datetime64(start, "s").astype(np.int64))
    t_end = t0 + days * 86400
    c = _sessions(rng, users, n_requests, t0, t_end, activity, churn_s)
    _explode(rng, c, variant_treat, n_requests)
    _choose_models(rng, c, mid=t0 + days * 86400 // 2)
    _tokens(rng, c)
    inc = {i.kind: i for i in incidents(start, days)}
    _latency(rng, c, lat_spike=_in_hour(c, inc["latency_spike"]) & (c["provider"] == "openai"))
    _errors(rng, c, err_burst=_in_hour(c, inc["error_burst"]) & (c["provider"] == "anthropic"))
    _queries(rng, c)
    _responses(rng, c)
    if opts.realistic_text:
        _realistic_text(trng or np.random.default_rng(chunk_no), c)
    _signals(rng, c)
    _arrival(rng, c)
    _identities(rng, c, users, chunk_no)
    sample_routing.plant(c)  # pricier fallbacks of one feature, same-answer regenerations of one model
    _cost_spike(rng, c, users, inc["cost_spike"], chunk_no)
    requests = _make_dirty(rng, _requests_frame(rng, c))
    # the feedback and funnel steps copy rows of the calls: without the long texts, when there are any
    calls = requests.drop(columns=["query_text", "response_text"]) if opts.realistic_text else requests
    feedback = _feedback(rng, calls, c["thumbs_up"], c["rated"], c["zero"])
    product = _product_events(rng, calls, c["treat"], chunk_no)
    # accept / insert and goal events for the product marts, from a stream of their own
    signals = sample_product.product_signals(rng, calls.iloc[: c["total"]], chunk_no)
    product = pd.concat([product, signals], ignore_index=True)
    if opts.realistic_text:
        has_comment = feedback["comment"].notna().to_numpy()
        feedback["comment"] = sample_text.comments(c["trng"], c["corpus"], has_comment)
    frames = {"llm_requests": requests, "feedback_events": feedback, "product_events": product}
    # drawn last, so every table above stays as it was without it
    frames["evaluation_scores"] = sample_evaluations.evaluation_scores(rng, calls)
    return poison(frames, c["total"]) if opts.poison and chunk_no == 0 else frames


def _sessions(
    rng: np.random.Generator,
    users: pd.DataFrame,
    n_requests: int,
    t0: int,
    t_end: int,
    activity: np.ndarray,
    churn_s: np.ndarray,
) -> Cols:
    """Enough sessions for n_requests calls (the last cut so the count is exact), their users, starts."""
    turns = rng.geometric(1 / MEAN_TURNS, int(n_requests / MEAN_TURNS * 1.3) + 10)
    cum_turns = np.cumsum(turns)
    n_sessions = int(np.searchsorted(cum_turns, n_requests)) + 1
    turns = turns[:n_sessions]
    turns[-1] -= int(cum_turns[n_sessions - 1]) - n_requests
    # users: weighted by activity; 6% of sessions are anonymous
    u_idx = rng.choice(len(users), n_sessions, p=activity)
    anon = rng.random(n_sessions) < 0.06
    signup = users["signed_up_at"].values.astype("datetime64[s]").astype(np.int64)[u_idx]
    lo = np.maximum(t0, signup)
    hi = np.minimum(t_end, np.maximum(lo + 86400, signup + churn_s[u_idx]))
    hi = np.minimum(hi, t_end)
    lo = np.minimum(lo, hi - 3600)
    s_start = _draw_times(rng, n_sessions, lo, hi)
    return {"turns": turns, "n_sessions": n_sessions, "u_idx": u_idx, "anon": anon, "s_start": s_start}


def _explode(rng: np.random.Generator, c: Cols, variant_treat: np.ndarray, total: int) -> None:
    """Sessions to calls: each call's session, turn and time (turns some seconds apart)."""
    turns = c["turns"]
    sess = np.repeat(np.arange(c["n_sessions"]), turns)
    first = np.repeat(np.cumsum(turns) - turns, turns)
    turn = np.arange(total) - first
    gaps = rng.exponential(70, total).astype(np.int64) + 5
    gaps[turn == 0] = 0
    cum = np.cumsum(gaps)
    offset = cum - np.repeat(cum[np.cumsum(turns) - turns], turns)
    c.update(
        total=total,
        sess=sess,
        turn=turn,
        occurred=c["s_start"][sess] + offset,
        treat=variant_treat[c["u_idx"]][sess] & ~c["anon"][sess],
    )


def _choose_models(rng: np.random.Generator, c: Cols, mid: int) -> None:
    """Model choice by weight; gpt-4o-mini changes version at MID (the drift to find)."""
    total = c["total"]
    m_w = np.array([m[3] for m in MODELS])
    m_idx = rng.choice(len(MODELS), total, p=m_w / m_w.sum())
    model = np.array([m[1] for m in MODELS])[m_idx]
    version = np.array([m[2] for m in MODELS])[m_idx]
    is_v2 = (model == "gpt-4o-mini") & (c["occurred"] >= mid)
    c.update(
        m_idx=m_idx,
        provider=np.array([m[0] for m in MODELS])[m_idx],
        model=model,
        version=np.where(is_v2, "v2", version),
        is_v2=is_v2,
        routing=rng.choice(["primary", "fallback", "cache"], total, p=[0.9, 0.06, 0.04]),
    )


def _tokens(rng: np.random.Generator, c: Cols) -> None:
    """Prompts grow with the conversation; cached tokens on later turns and on cache routing."""
    total, turn = c["total"], c["turn"]
    prompt = (rng.lognormal(6.4, 0.7, total) * (1 + 0.6 * turn)).astype(np.int64) + 20
    completion = rng.lognormal(4.8, 0.55, total).astype(np.int64) + 5
    cached = np.where(
        (turn > 0) & (rng.random(total) < 0.55), (prompt * rng.uniform(0.3, 0.8, total)).astype(np.int64), 0
    )
    c.update(prompt=prompt, completion=completion, cached=np.where(c["routing"] == "cache", prompt, cached))


def _in_hour(c: Cols, incident: Incident) -> np.ndarray:
    """The calls that occurred in the incident's hour."""
    s = int(np.datetime64(incident.start, "s").astype(np.int64))
    return (c["occurred"] >= s) & (c["occurred"] < s + 3600)


def _latency(rng: np.random.Generator, c: Cols, lat_spike: np.ndarray) -> None:
    """Time to first token, then the completion streamed at the model's speed; the provider's
    queue (v2, the latency incident) slows both."""
    total, m_idx, routing = c["total"], c["m_idx"], c["routing"]
    ttft_med = np.array([m[4] for m in MODELS])[m_idx]
    tps = np.array([m[5] for m in MODELS])[m_idx]
    ttft = ttft_med * rng.lognormal(0, 0.3, total)
    total_latency = ttft + c["completion"] / tps * 1000 * rng.lognormal(0, 0.15, total)
    slowdown = np.where(c["is_v2"], 1.35, 1.0) * np.where(lat_spike, 5.0, 1.0)
    ttft, total_latency = ttft * slowdown, total_latency * slowdown
    total_latency = np.where(routing == "cache", rng.uniform(20, 80, total), total_latency)
    streamed = (rng.random(total) < 0.8) & (routing != "cache")
    c.update(
        ttft=np.where(streamed, ttft, np.nan),
        total_latency=total_latency,
        chunks=np.where(streamed, np.maximum(1, c["completion"] // 4), 1),
    )


def _errors(rng: np.random.Generator, c: Cols, err_burst: np.ndarray) -> None:
    """A low error rate by type, and the error incident's burst; a failed call completes nothing."""
    total = c["total"]
    err_p = np.where(err_burst, 0.6, 0.003)
    is_err = rng.random(total) < err_p
    err_type = np.where(
        err_burst,
        rng.choice(["provider_down", "rate_limit"], total, p=[0.6, 0.4]),
        rng.choice(ERROR_TYPES, total, p=ERROR_W),
    )
    err_type = np.where(is_err, err_type, None)
    c.update(
        is_err=is_err,
        err_type=err_type,
        total_latency=np.where(is_err & (err_type == "timeout"), 30000.0, c["total_latency"]),
        completion=np.where(is_err, 0, c["completion"]),
        ttft=np.where(is_err, np.nan, c["ttft"]),
        stop_reason=np.where(is_err, "error", np.where(rng.random(total) < 0.05, "length", "stop")),
    )


def _queries(rng: np.random.Generator, c: Cols) -> None:
    """A topic, a template, and sometimes personal data (for the PII masking to catch)."""
    total = c["total"]
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
    question = np.char.add(base_q.astype(str), suffix.astype(str))
    query_text = np.char.add(question, pii.astype(str))
    c.update(query_text=query_text, question=question, category=np.array(topics)[topic])


def _responses(rng: np.random.Generator, c: Cols) -> None:
    """Sometimes a zero-result answer; response text kept for half the calls."""
    total, is_err = c["total"], c["is_err"]
    zero = (~is_err) & (rng.random(total) < np.where(c["category"] == "data", 0.08, 0.02))
    resp_text = np.where(
        zero,
        ZERO_RESULT_TEXT,
        np.where(rng.random(total) < 0.5, "Here is what I found: ...", None),
    )
    c.update(
        zero=zero,
        resp_len=np.where(is_err, 0, c["completion"] * 4),
        resp_text=np.where(is_err, None, resp_text),
    )


def _realistic_text(trng: np.random.Generator, c: Cols) -> None:
    """--realistic-text: distinct prompts and responses of realistic length in place of the templates."""
    body = sample_text.corpus(trng)
    kept = pd.notna(c["resp_text"])
    resp_text, resp_len = sample_text.responses(trng, body, kept, c["zero"], ZERO_RESULT_TEXT)
    c.update(
        trng=trng,
        corpus=body,
        query_text=sample_text.prompts(trng, body, c["question"]),
        resp_text=resp_text,
        resp_len=np.where(c["is_err"], 0, resp_len),
    )


def _signals(rng: np.random.Generator, c: Cols) -> None:
    """Implicit and explicit signals: worse when slow, on v2, and in control."""
    total, is_err, treat, zero, is_v2 = c["total"], c["is_err"], c["treat"], c["zero"], c["is_v2"]
    slow = c["total_latency"] > 3000
    regen_p = 0.07 + 0.08 * slow + 0.06 * is_v2 - 0.03 * treat + 0.1 * zero
    regenerated = (~is_err) & (rng.random(total) < regen_p)
    edited = (~is_err) & (rng.random(total) < 0.1 - 0.03 * treat)
    rated = (~is_err) & (rng.random(total) < 0.04)
    up_p = np.clip(
        0.78 - 0.25 * slow - 0.15 * is_v2 + 0.08 * treat - 0.4 * zero - 0.2 * regenerated, 0.02, 0.98
    )
    thumbs_up = rng.random(total) < up_p
    c.update(
        regenerated=regenerated,
        edited=edited,
        rated=rated,
        thumbs_up=thumbs_up,
        explicit=np.where(rated, np.where(thumbs_up, "up", "down"), None),
    )


def _arrival(rng: np.random.Generator, c: Cols) -> None:
    """Most calls arrive within two minutes; 2% arrive one to four days late."""
    total, occurred = c["total"], c["occurred"]
    late = rng.random(total) < 0.02
    delay = np.where(late, rng.integers(86400, 4 * 86400, total), rng.integers(1, 120, total))
    c.update(
        occurred_ts=occurred.astype("datetime64[s]"), received_ts=(occurred + delay).astype("datetime64[s]")
    )


def _identities(rng: np.random.Generator, c: Cols, users: pd.DataFrame, chunk_no: int) -> None:
    """Who made each call, in which session, feature and client; ids unique across chunks."""
    sess, anon, u_idx, n_sessions = c["sess"], c["anon"], c["u_idx"], c["n_sessions"]
    uid_all = users["user_id"].to_numpy()
    event_id = np.char.add(f"r_{chunk_no:03d}_", np.arange(c["total"]).astype(str)).astype(object)
    c.update(
        user_id=np.where(anon[sess], None, uid_all[u_idx][sess]),
        tenant=np.where(anon[sess], "t_anonymous", users["tenant_id"].to_numpy()[u_idx][sess]),
        session_id=np.char.add(f"s_{chunk_no:03d}_", np.arange(n_sessions).astype(str))[sess].astype(object),
        event_id=event_id,
        feature=rng.choice(FEATURES, n_sessions, p=FEATURE_W)[sess],
        source=rng.choice(SOURCES, n_sessions, p=SOURCE_W)[sess],
    )


def _cost_spike(
    rng: np.random.Generator, c: Cols, users: pd.DataFrame, incident: Incident, chunk_no: int
) -> None:
    """The cost incident: one power user's script, many long gpt-4o calls in one hour (chunk 0 only)."""
    cost_hour = int(np.datetime64(incident.start, "s").astype(np.int64))
    spike = (rng.random(c["total"]) < 0.004) & (chunk_no == 0)
    n_spike = int(spike.sum())
    if not n_spike:
        return
    c["occurred_ts"][spike] = (cost_hour + rng.integers(0, 3600, n_spike)).astype("datetime64[s]")
    c["received_ts"][spike] = c["occurred_ts"][spike] + np.timedelta64(30, "s")
    c["provider"][spike], c["model"][spike], c["version"][spike] = "openai", "gpt-4o", "2024-08-06"
    c["prompt"][spike] = rng.integers(60_000, 110_000, n_spike)
    c["cached"][spike] = 0
    c["completion"][spike] = rng.integers(2_000, 4_000, n_spike)
    c["user_id"][spike] = users["user_id"].to_numpy()[0]
    c["tenant"][spike] = users["tenant_id"].iloc[0]
    c["session_id"][spike] = f"s_{chunk_no:03d}_runaway"
    c["is_err"][spike] = False
    c["err_type"][spike] = None


def _requests_frame(rng: np.random.Generator, c: Cols) -> pd.DataFrame:
    """The llm_requests table of the chunk, in the contract's column order."""
    total, is_err, prompt = c["total"], c["is_err"], c["prompt"]
    return pd.DataFrame(
        {
            "event_id": c["event_id"],
            "schema_version": "1.2",
            "occurred_at": c["occurred_ts"].astype("datetime64[ms]"),
            "received_at": c["received_ts"].astype("datetime64[ms]"),
            "tenant_id": c["tenant"],
            "user_id": c["user_id"],
            "session_id": c["session_id"],
            "response_id": np.where(is_err, None, np.char.add("resp_", c["event_id"].astype(str))),
            "feature_id": c["feature"],
            "user_source": c["source"],
            "provider": c["provider"],
            "model_id": c["model"],
            "model_version": c["version"],
            "routing_strategy": c["routing"],
            "temperature": np.round(rng.choice([0.0, 0.2, 0.7, 1.0], total), 2),
            "prompt_tokens": pd.array(prompt, dtype="Int64"),
            "completion_tokens": pd.array(c["completion"], dtype="Int64"),
            "cached_tokens": pd.array(c["cached"], dtype="Int64"),
            "ttft_ms": np.round(c["ttft"], 1),
            "total_latency_ms": np.round(c["total_latency"], 1),
            "stream_chunks_received": c["chunks"].astype(np.int64),
            "status": np.where(is_err, "error", "success"),
            "error_type": c["err_type"],
            "stop_reason": c["stop_reason"],
            "query_text": _as_text(c["query_text"]),
            "query_category": c["category"],
            "response_text": c["resp_text"],
            "response_length_chars": c["resp_len"].astype(np.int64),
            "user_regenerated": c["regenerated"],
            "user_edited_output": c["edited"],
            "explicit_rating": c["explicit"],
            "estimated_cost_usd": np.where(rng.random(total) < 0.5, np.round(prompt * 2e-6, 6), np.nan),
            "metadata": np.where(rng.random(total) < 0.5, '{"app_version": "4.2.0", "region": "eu"}', None),
        }
    )


def _as_text(values: Any) -> Any:
    """A text column: Arrow-backed text as it is (no Python copy), a NumPy array as objects."""
    return values if isinstance(values, pd.api.extensions.ExtensionArray) else values.astype(object)


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
    absent = {name: None for name in schema.names if name not in df.columns}  # optional, not drawn
    if absent:
        df = df.assign(**absent)
    tbl = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
    for column, rows in df.attrs.get(NAN_CELLS, {}).items():  # --poison: NaN kept as NaN, not null
        mask = pa.array(np.isin(np.arange(len(df)), rows))
        i = tbl.schema.get_field_index(column)
        tbl = tbl.set_column(i, column, pc.if_else(mask, pa.scalar(float("nan")), tbl[column]))
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


def _activity(
    rng: np.random.Generator, user_df: pd.DataFrame, start: dt.datetime, days: int, pre_start: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Each user's share of the sessions, and how long after signing up they churn (seconds).

    With PRE_START, users who signed up before the first day are existing users: their churn clock
    starts on the first day, so they are active from it.
    """
    users = len(user_df)
    activity = rng.lognormal(0, 1.0, users)
    churn_s = (rng.exponential(18, users) * 86400).astype(np.int64) + 86400
    # users who churned before the period starts, or sign up after it ends, send nothing
    signup_s = user_df["signed_up_at"].values.astype("datetime64[s]").astype(np.int64)
    t0 = int(np.datetime64(start, "s").astype(np.int64))
    if pre_start:
        churn_s = np.where(signup_s < t0, t0 - signup_s + churn_s, churn_s)
    # sessions are drawn in proportion to activity x days active in the period, so each user
    # keeps a steady daily rate instead of squeezing a lifetime into a short window
    active_s = np.minimum(t0 + days * 86400, signup_s + churn_s) - np.maximum(t0, signup_s)
    activity = activity * np.clip(active_s, 0, None) / 86400
    if activity.sum() == 0:
        activity = np.ones(users)
    activity /= activity.sum()
    return activity, churn_s


def _write_once(
    frames: dict[str, pd.DataFrame],
    writers: dict[str, pq.ParquetWriter],
    rows: dict[str, int],
    out_dir: Path,
    start: dt.datetime,
    jsonl: bool,
) -> None:
    """The tables written once, after the chunks of calls (revenue and survey events join the
    product events), then the providers' bills for the calls written (sample_bills: one model-day
    planted off), which reads them back, so every writer is closed first."""
    for table, df in frames.items():
        _write(df, table, writers, out_dir, _schema(table), jsonl)
        rows[table] = rows.get(table, 0) + len(df)
    for w in writers.values():
        w.close()
    bills = sample_bills.provider_costs(out_dir / "llm_requests.parquet", start)
    _write(bills, "provider_costs", writers, out_dir, _schema("provider_costs"), jsonl)
    writers["provider_costs"].close()
    rows["provider_costs"] = len(bills)


def calls_for_rate(calls_per_hour: float, days: int) -> int:
    """The number of calls that gives CALLS_PER_HOUR on average over DAYS days (at least one)."""
    if not calls_per_hour > 0 or calls_per_hour == float("inf"):
        raise ValueError(f"calls per hour must be a positive number, not {calls_per_hour}")
    return max(1, round(calls_per_hour * 24 * days))


def generate(
    out_dir: Path,
    seed: int = 42,
    days: int = 28,
    users: int = 2_000,
    requests: int = 100_000,
    start: dt.datetime = DEFAULT_START,
    jsonl: bool = False,
    progress: Iterator[None] | None = None,
    *,
    calls_per_hour: float | None = None,
    opts: Options = Options(),
) -> GenerateSummary:
    """Write one Parquet file (and optionally JSONL) per raw table to out_dir.

    CALLS_PER_HOUR, when given, sets the size instead of REQUESTS: round(N x 24 x days) calls,
    spread with the usual weekday and hour-of-day shape around that mean.
    """
    if calls_per_hour is not None:
        requests = calls_for_rate(calls_per_hour, days)
    out_dir.mkdir(parents=True, exist_ok=True)
    for p in out_dir.glob("*.jsonl"):
        p.unlink()
    rng = np.random.default_rng(seed)
    user_df = make_users(rng, users, start, days, opts.pre_start_users, seed)
    exp = make_experiments(rng, user_df, start)
    treat = (exp["variant"] == "treatment").to_numpy()
    # more experiments (sample-ratio mismatch, three arms): assignment rows only
    exp = pd.concat([exp, sample_experiments.more_experiments(seed, user_df, start)], ignore_index=True)
    activity, churn_s = _activity(rng, user_df, start, days, opts.pre_start_users > 0)
    writers: dict[str, pq.ParquetWriter] = {}
    rows: dict[str, int] = {}
    remaining, chunk_no = requests, 0
    while remaining > 0:
        n = min(CHUNK_REQUESTS, remaining)
        crng, trng = np.random.default_rng([seed, chunk_no]), np.random.default_rng([seed, chunk_no, 2])
        frames = _chunk(crng, user_df, treat, n, start, days, chunk_no, activity, churn_s, opts, trng)
        for table, df in frames.items():
            _write(df, table, writers, out_dir, _schema(table), jsonl)
            rows[table] = rows.get(table, 0) + len(df)
        del frames, df  # free this chunk before the next one is built: memory is one chunk's
        remaining -= n
        chunk_no += 1
        if progress is not None:
            next(progress, None)
    business = sample_business.events(np.random.default_rng([seed, 3]), user_df, start, days, churn_s)
    once = {"product_events": business, "users": user_df, "experiment_assignments": exp}
    _write_once(once, writers, rows, out_dir, start, jsonl)
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
