"""Routing and duplicate generations for the sample generator: what mart_routing_daily and
mart_duplicate_generations_daily are there to find.

- Fallback calls of one feature (FALLBACK_FEATURE) go to a pricier model (FALLBACK_MODEL), so that
  feature's fallback cost multiplier stands out from the others' (near 1: fallbacks elsewhere draw
  the same model mix as primary calls).
- A regeneration (the call after one the user regenerated, in the same session) resends the same
  query; on one model (DUPLICATE_MODEL) it gives the same answer again, in other case and spacing
  (which response_hash ignores): that model's duplicate generation rate stands out.
- Templated answers (without --realistic-text) carry their call's id, so two answers are the same
  only where planted, or where both are the zero-result sentence to the same query (a real
  duplicate too).

No random draws: the rules are deterministic, so the generator's other columns stay as the seed
made them, and a seed still gives the same bytes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

FALLBACK_FEATURE = "summarize"
FALLBACK_MODEL = ("anthropic", "claude-3-5-sonnet-20241022", "2024-10-22")
DUPLICATE_MODEL = "gemini-2.0-flash"


def plant(c: dict[str, Any]) -> None:
    """Both signals, on one chunk's calls (the generator's columns by name, after _identities)."""
    _pricier_fallbacks(c)
    _distinct_templated_answers(c)
    _duplicate_regenerations(c)


def _pricier_fallbacks(c: dict[str, Any]) -> None:
    """FALLBACK_FEATURE's fallback calls are served by FALLBACK_MODEL."""
    moved = (c["feature"] == FALLBACK_FEATURE) & (c["routing"] == "fallback")
    for column, value in zip(("provider", "model", "version"), FALLBACK_MODEL, strict=True):
        c[column] = np.where(moved, value, c[column].astype(object))


def _distinct_templated_answers(c: dict[str, Any]) -> None:
    """A templated answer (a NumPy column; realistic text is an Arrow one, distinct already) other
    than the zero-result sentence gets its call's id."""
    text = c["resp_text"]
    if isinstance(text, pd.api.extensions.ExtensionArray):
        return
    plain = pd.notna(text) & ~c["zero"]
    tagged = np.char.add(np.char.add(" [answer ", c["event_id"].astype(str)), "]").astype(object)
    out = text.astype(object)
    out[plain] = out[plain] + tagged[plain]
    c["resp_text"] = out


def _duplicate_regenerations(c: dict[str, Any]) -> None:
    """Each regeneration resends the regenerated call's query; on DUPLICATE_MODEL, when both calls
    succeeded and the first kept its text, the answer is the first's again (upper-cased, spaced)."""
    first = np.flatnonzero(c["regenerated"][:-1])
    again = first + 1
    same_session = c["sess"][again] == c["sess"][first]
    first, again = first[same_session], again[same_session]
    c["query_text"] = _copied(c["query_text"], again, c["query_text"].take(first))
    c["category"] = _copied(c["category"], again, c["category"].take(first))
    text = c["resp_text"]
    kept = pd.notna(np.asarray(text.take(first), dtype=object))
    same = (c["model"][again] == DUPLICATE_MODEL) & ~c["is_err"][again] & ~c["is_err"][first] & kept
    src, dst = first[same], again[same]
    if not len(dst):
        return
    answers = np.asarray(text.take(src), dtype=object)
    c["resp_text"] = _copied(text, dst, [f" {a.upper()} " for a in answers])
    c["resp_len"] = c["resp_len"].copy()
    c["resp_len"][dst] = c["resp_len"][src] + 2  # the spaces around the copy


def _copied(values: Any, dst: np.ndarray, new: Any) -> Any:
    """VALUES (a NumPy or Arrow-backed column) with the rows DST replaced by NEW; Arrow text stays
    Arrow (no Python copy of the whole column), NumPy text becomes objects (no truncation to the
    width of a fixed-size string array)."""
    if isinstance(values, pd.api.extensions.ExtensionArray):
        series = pd.Series(values, copy=True)
        series.iloc[dst] = np.asarray(new, dtype=object)
        return series.array
    out = values.astype(object)
    out[dst] = np.asarray(new, dtype=object)
    return out
