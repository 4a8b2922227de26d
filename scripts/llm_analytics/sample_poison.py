"""Poison values for the sample generator (`llm-analytics generate --poison`).

A few rows of the first chunk get one hostile value each: values the loader accepts (they fit the
contract's types and hold no NUL byte, which would refuse the whole file) and that the warehouse
must either set aside in int_rejected_rows with a reason or keep in the facts without breaking a
sum, a percentile or a join. Each recipe is the columns it overwrites on one row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

INT64_MAX = int(np.iinfo(np.int64).max)
CONTROL = "bell\x07 back\x08 tab\t vt\x0b ff\x0c cr\r esc\x1b[31mred\x1b[0m del\x7f unit\x1f end"
UNICODE = "naïve café 🤖 שלום \u202eevil\u202c zero\u200bwidth e\u0301 \ufeffbom"
MEGABYTE = 1_000_000
# DataFrame.attrs key: column -> rows whose NaN is a real NaN (pandas writes NaN as null otherwise)
NAN_CELLS = "nan_cells"


def _at(text: str) -> np.datetime64:
    return np.datetime64(text, "ms")


def request_recipes() -> list[dict[str, Any]]:
    """One dict per poisoned call: column -> value."""
    big = ("a long pasted log line without end " * (MEGABYTE // 35 + 1))[:MEGABYTE]
    return [
        {"total_latency_ms": float("nan")},
        {"total_latency_ms": float("inf")},
        {"total_latency_ms": float("-inf")},
        {"ttft_ms": float("inf")},
        {"temperature": float("nan"), "estimated_cost_usd": float("inf")},
        {"prompt_tokens": INT64_MAX},
        {"completion_tokens": INT64_MAX},
        {"cached_tokens": INT64_MAX},
        {"query_text": "", "response_text": "", "feature_id": "", "user_source": ""},
        {"model_id": "", "provider": "", "model_version": ""},
        {"user_id": "", "tenant_id": "", "session_id": ""},
        {"query_text": big},
        {"query_text": CONTROL, "response_text": CONTROL},
        {"query_text": UNICODE, "response_text": UNICODE},
        {"occurred_at": _at("1900-01-01T00:00:00")},
        {"occurred_at": _at("2999-12-31T23:59:59"), "received_at": _at("2999-12-31T23:59:59")},
        {"occurred_at": pd.NaT},
        {"event_id": None, "user_id": None},
    ]


def feedback_recipes() -> list[dict[str, Any]]:
    return [
        {"comment": CONTROL},
        {"comment": UNICODE},
        {"comment": "x" * 100_000},
        {"comment": ""},
        {"feedback_type": "rating", "rating": INT64_MAX},
        {"occurred_at": _at("1900-01-01T00:00:00")},
        {"request_id": None},
    ]


def plant(df: pd.DataFrame, recipes: list[dict[str, Any]], among: int) -> pd.DataFrame:
    """Each recipe on its own row, spread over the first AMONG rows (the chunk's distinct calls)."""
    rows = np.linspace(0, max(among - 1, 0), len(recipes) + 2).astype(int)[1:-1]
    for column in {c for recipe in recipes for c in recipe}:
        if isinstance(df[column].dtype, pd.ArrowDtype):  # set values one by one on Python objects
            df[column] = df[column].astype(object)
    for row, recipe in zip(rows.tolist(), recipes, strict=True):
        for column, value in recipe.items():
            df.at[row, column] = value
            if isinstance(value, float) and np.isnan(value):  # pandas NaN is Arrow's null: say where
                df.attrs.setdefault(NAN_CELLS, {}).setdefault(column, []).append(row)
    return df


def poison(frames: dict[str, pd.DataFrame], distinct_calls: int) -> dict[str, pd.DataFrame]:
    """The chunk's tables with the poison rows planted (llm_requests and feedback_events)."""
    frames["llm_requests"] = plant(frames["llm_requests"], request_recipes(), distinct_calls)
    fb = frames["feedback_events"]
    frames["feedback_events"] = plant(fb, feedback_recipes(), len(fb))
    return frames
