"""Product signals for the sample: answers accepted or inserted, and sessions that reach their goal.

Why a module of its own: the product marts (models/marts/product) need events the funnel does not
send, shaped so their numbers say something. An accept or insert event carries the request id of
the answer it takes (a tenth carry only their session, as some front ends do), and is likelier on
code and email features, on the stronger models and on answers not regenerated. A session reaches
its goal (`task_completed`) far more often when one of its answers was taken, and rarely when its
user gave up and opened a new session within minutes (a restart). Restarts and power users come
from the traffic itself: users' activity is long-tailed, so the busiest are active most days.

It draws from a random stream spawned from the chunk's, so the other tables' rows stay as they were.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# the share of successful answers taken, by feature, and the event that takes them
ACCEPT_SHARE = {"code_assist": 0.30, "email_draft": 0.28, "summarize": 0.18, "chat": 0.12, "search": 0.08}
ACCEPT_EVENT = {"code_assist": "insert", "email_draft": "insert"}  # others: "accept"
# stronger models' answers are taken more often, the unknown small model's less
MODEL_FACTOR = {
    "gpt-4o": 1.25,
    "claude-3-5-sonnet-20241022": 1.3,
    "gemini-2.0-flash": 0.9,
    "acme-llm-7b": 0.4,
}
GOAL_EVENT = "task_completed"
RESTART_S = 10 * 60  # the default of var session_restart_window_minutes


def product_signals(rng: np.random.Generator, calls: pd.DataFrame, chunk_no: int) -> pd.DataFrame:
    """Accept / insert and goal events for CALLS (one row per call), in the product_events columns."""
    prng = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])
    calls = calls[calls["session_id"].notna()]
    n = len(calls)
    feature = calls["feature_id"].astype(str).to_numpy()
    ok = (calls["status"] == "success").to_numpy()
    share = np.array([ACCEPT_SHARE.get(f, 0.1) for f in feature])
    factor = calls["model_id"].map(MODEL_FACTOR).fillna(1.0).to_numpy()
    regenerated = calls["user_regenerated"].fillna(False).to_numpy(dtype=bool)
    accepted = ok & (prng.random(n) < share * factor * np.where(regenerated, 0.3, 1.0))
    done = calls["occurred_at"] + pd.to_timedelta(calls["total_latency_ms"].fillna(0), unit="ms")

    taken = calls[accepted]
    by_session_only = prng.random(len(taken)) < 0.1
    accepts = _events(
        prng,
        taken,
        done[accepted] + pd.to_timedelta(prng.integers(3, 90, len(taken)), unit="s"),
        np.array([ACCEPT_EVENT.get(f, "accept") for f in feature[accepted]]),
        np.where(by_session_only, None, taken["event_id"].to_numpy()),
    )

    sessions = _sessions(calls, done, accepted)
    next_start = sessions.groupby("user_id", sort=False)["start"].shift(-1)
    restarted = (next_start - sessions["end"]).dt.total_seconds().le(RESTART_S).to_numpy()
    goal_p = np.where(sessions["accepted"].to_numpy(), 0.6, 0.15) * np.where(restarted, 0.3, 1.0)
    reached = sessions[prng.random(len(sessions)) < goal_p]
    goals = _events(
        prng,
        reached,
        reached["done"] + pd.to_timedelta(prng.integers(10, 180, len(reached)), unit="s"),
        np.full(len(reached), GOAL_EVENT),
        np.full(len(reached), None),
    )
    events = pd.concat([accepts, goals], ignore_index=True)
    events.insert(0, "event_id", [f"pp_{chunk_no:03d}_{i}" for i in range(len(events))])
    return events


def _sessions(calls: pd.DataFrame, done: pd.Series, accepted: np.ndarray) -> pd.DataFrame:
    """One row per session of CALLS: user, first feature, start, last call, end of the last answer,
    whether an answer was taken; ordered by user and start, so a shift finds the next session."""
    return (
        pd.DataFrame(
            {
                "session_id": calls["session_id"],
                "user_id": calls["user_id"],
                "feature_id": calls["feature_id"],
                "start": calls["occurred_at"],
                "end": calls["occurred_at"],
                "done": done,
                "accepted": accepted,
            }
        )
        .groupby("session_id", sort=False)
        .agg(
            user_id=("user_id", "first"),
            feature_id=("feature_id", "first"),
            start=("start", "min"),
            end=("end", "max"),
            done=("done", "max"),
            accepted=("accepted", "any"),
        )
        .reset_index()
        .sort_values(["user_id", "start"], kind="stable")
    )


def _events(
    prng: np.random.Generator, rows: pd.DataFrame, at: pd.Series, names: np.ndarray, request_ids: np.ndarray
) -> pd.DataFrame:
    """Product events at AT for ROWS (with user, session and feature), properties naming the call."""
    feature = rows["feature_id"].astype(str).to_numpy()
    props = [
        f'{{"feature": "{f}", "request_id": "{r}"}}' if r is not None else f'{{"feature": "{f}"}}'
        for f, r in zip(feature, request_ids, strict=True)
    ]
    at = at.astype("datetime64[ms]")
    return pd.DataFrame(
        {
            "occurred_at": at.to_numpy(),
            "received_at": (at + pd.to_timedelta(prng.integers(1, 90, len(rows)), unit="s")).to_numpy(),
            "user_id": rows["user_id"].to_numpy(),
            "session_id": rows["session_id"].to_numpy(),
            "event_name": names,
            "properties": props,
        }
    )
