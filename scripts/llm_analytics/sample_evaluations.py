"""Evaluation scores for the sample generator (raw.evaluation_scores), so the quality marts have
something real to find.

What it plants: an LLM judge scores most of the scored calls (relevance, factual accuracy,
hallucination), a heuristic scores toxicity, human reviewers score a few calls and a few whole
sessions (request_id null, with a comment now and then), and one model hallucinates clearly more
than the others. Scores are drawn from the chunk's own generator after every other draw, so the
other tables stay byte for byte what they were.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# the model whose answers the judge finds hallucinated more often
WORSE_HALLUCINATION_MODEL = "gemini-2.0-flash"
JUDGE_SHARE = 0.20  # of successful calls, scored by the LLM judge
HEURISTIC_SHARE = 0.10  # of successful calls, scored for toxicity
HUMAN_SHARE = 0.01  # of successful calls, reviewed by a person
HUMAN_SESSION_SHARE = 0.005  # of sessions, reviewed whole
JUDGE = "gpt-4o-judge-v1"
HEURISTIC = "toxicity-lexicon-v2"
REVIEWERS = np.array(["reviewer_01", "reviewer_02", "reviewer_03"])
COMMENTS = np.array(["Accurate and to the point.", "Misses the second question.", "Cites a wrong figure."])


def evaluation_scores(rng: np.random.Generator, calls: pd.DataFrame) -> pd.DataFrame:
    """The scores of one chunk's calls (a frame with the raw.evaluation_scores columns)."""
    ok = calls[(calls["status"] == "success") & calls["event_id"].notna() & calls["session_id"].notna()]
    ok = ok[["event_id", "session_id", "model_id", "occurred_at"]].reset_index(drop=True)
    r = rng.random(len(ok))
    worse = (ok["model_id"] == WORSE_HALLUCINATION_MODEL).to_numpy()
    frames = []
    judged = ok[r < JUDGE_SHARE]
    bad = worse[r < JUDGE_SHARE]
    n = len(judged)
    frames.append(
        _scores(rng, judged, "relevance", np.clip(rng.normal(0.82, 0.12, n), 0, 1), "llm_judge", JUDGE)
    )
    frames.append(
        _scores(rng, judged, "factual_accuracy", np.clip(rng.normal(0.86, 0.1, n), 0, 1), "llm_judge", JUDGE)
    )
    halluc = np.clip(np.where(bad, rng.normal(0.32, 0.15, n), rng.normal(0.08, 0.06, n)), 0, 1)
    frames.append(_scores(rng, judged, "hallucination", halluc, "llm_judge", JUDGE))
    toxic = ok[(r >= JUDGE_SHARE) & (r < JUDGE_SHARE + HEURISTIC_SHARE)]
    frames.append(
        _scores(rng, toxic, "toxicity", np.round(rng.beta(1, 40, len(toxic)), 3), "heuristic", HEURISTIC)
    )
    human = ok[rng.random(len(ok)) < HUMAN_SHARE]
    value = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0], len(human), p=[0.05, 0.1, 0.15, 0.3, 0.4])
    frames.append(_scores(rng, human, "relevance", value, "human", None, label=True))
    sessions = ok.drop_duplicates("session_id")
    sessions = sessions[rng.random(len(sessions)) < HUMAN_SESSION_SHARE].assign(event_id=None)
    value = rng.choice([0.0, 0.5, 1.0], len(sessions), p=[0.15, 0.35, 0.5])
    frames.append(_scores(rng, sessions, "completeness", value, "human", None, label=True))
    return pd.concat(frames, ignore_index=True)


def _scores(
    rng: np.random.Generator,
    calls: pd.DataFrame,
    name: str,
    value: np.ndarray,
    source: str,
    evaluator: str | None,
    label: bool = False,
) -> pd.DataFrame:
    """One score per row of CALLS (a session-level one when its event_id is None)."""
    n = len(calls)
    human = source == "human"
    delay = pd.to_timedelta(rng.integers(3600, 3 * 86400, n) if human else rng.integers(5, 900, n), unit="s")
    at = calls["occurred_at"] + delay
    request = calls["event_id"].to_numpy()
    key = np.where(pd.isna(request), calls["session_id"].to_numpy(), request.astype(object))
    has_comment = human & (rng.random(n) < 0.3)
    return pd.DataFrame(
        {
            "event_id": [f"ev:{k}:{name}:{source}" for k in key],
            "request_id": request,
            "session_id": calls["session_id"].to_numpy(),
            "score_name": name,
            "score_value": np.round(value, 4),
            "score_label": np.where(value >= 0.5, "pass", "fail") if label else None,
            "source": source,
            "evaluator": rng.choice(REVIEWERS, n) if human else evaluator,
            "comment": np.where(has_comment, rng.choice(COMMENTS, n), None),
            "occurred_at": at.to_numpy(),
            "received_at": (at + pd.to_timedelta(rng.integers(0, 30, n), unit="s")).to_numpy(),
        }
    )
