"""Realistic free text for the sample generator (`llm-analytics generate --realistic-text`).

Prompts keep the generator's topic question as their first sentence (so topic keywords still match
as whole words) and add context cut from a chunk-wide corpus of neutral filler words at a random
word boundary: almost every prompt is distinct, lengths are lognormal (median a few hundred
characters, a tail to tens of thousands). Responses start with the planted zero-result sentence or
a neutral lead and go on the same way (median ~1.5k characters, a tail to 20k). Personal data of the
kinds the redaction macros target (macros/privacy.sql) is planted at low rates in prompts,
responses and feedback comments. The filler holds no digits, '@', ':' and none of the topic
keywords or zero-result words, so what the marts find is what was planted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

# Words that are no topic keyword (seeds/query_topics.csv) and cannot form a zero-result phrase.
FILLER_WORDS = (
    "the a an we our team needs this that with for about report meeting project notes context "
    "following details question see below quarter last week next steps help thanks also because "
    "when which they it is are was were have has will would should more some each other new list "
    "items table document version change review issue message text section page file value time "
    "today tomorrow yesterday morning afternoon manager colleague office budget timeline schedule "
    "priority status goal owner approved pending shared folder link deadline launch "
    "sprint backlog ticket roadmap vendor contract renewal policy legal security audit onboarding "
    "training workshop slide deck template format style tone short long clear simple formal "
    "friendly. below. today. thanks. please. again. soon. later. first, then, finally, however,"
)
FILLER = [*FILLER_WORDS.split(), "\n", "\n\n"]
PROMPT_MEDIAN, PROMPT_SIGMA, PROMPT_MAX = 320, 1.25, 50_000
RESPONSE_MEDIAN, RESPONSE_SIGMA, RESPONSE_MAX = 1500, 0.9, 20_000
COMMENT_MEDIAN, COMMENT_SIGMA, COMMENT_MAX = 60, 0.8, 2_000
PROMPT_PII_RATE, RESPONSE_PII_RATE, COMMENT_PII_RATE = 0.02, 0.004, 0.03
BATCH_ROWS = 25_000  # texts turned into Arrow at a time
CORPUS_WORDS = 400_000  # ~3 MB of filler per chunk: far more start points than calls
RESPONSE_LEADS = [
    "Here is what I found.",
    "Sure, here are the details.",
    "Happy to help with that.",
    "Below is a summary.",
    "Good question, here is an overview.",
]
COMMENT_LEADS = ["great answer", "not what I asked", "too long", "helpful, thanks", "wrong again", "ok"]
PII_KINDS = ["email", "phone", "card", "iban", "ipv4", "ipv6", "ssn"]
PII_W = [0.3, 0.2, 0.12, 0.08, 0.12, 0.06, 0.12]


@dataclass(frozen=True)
class Corpus:
    text: str
    word_starts: np.ndarray  # offset of every word in text, ascending


def corpus(rng: np.random.Generator, words: int = CORPUS_WORDS) -> Corpus:
    """A long run of filler words to cut texts from (one join, no per-text Python loop)."""
    vocab = np.array(FILLER, dtype=object)
    idx = rng.integers(0, len(vocab), words)
    lengths = np.array([len(w) for w in FILLER])[idx] + 1
    return Corpus(" ".join(vocab[idx]), np.concatenate([[0], np.cumsum(lengths)[:-1]]))


def lengths(rng: np.random.Generator, n: int, median: int, sigma: float, most: int) -> np.ndarray:
    """Lognormal text lengths in characters, at least 1 and at most MOST."""
    return np.clip(rng.lognormal(np.log(median), sigma, n), 1, most).astype(np.int64)


def spans(rng: np.random.Generator, body: Corpus, want: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per length: where its slice of the corpus begins and ends, both on a word boundary."""
    starts = body.word_starts
    usable = starts[starts < len(body.text) - int(want.max(initial=0)) - 64]
    begin = usable[rng.integers(0, len(usable), len(want))]
    end = starts[np.minimum(np.searchsorted(starts, begin + want), len(starts) - 1)] - 1
    return begin, np.maximum(end, begin)


def arrow_text(n: int, make: Callable[[int, int], list[str | None]]) -> pd.api.extensions.ExtensionArray:
    """N texts as an Arrow-backed array, built BATCH_ROWS at a time by MAKE(lo, hi).

    The chunk's text is most of its memory: Arrow holds it in one buffer per batch instead of a
    Python object per text, writing it to Parquet copies nothing, and only one batch of Python
    strings exists at a time.
    """
    batches = [pa.array(make(lo, min(lo + BATCH_ROWS, n)), pa.string()) for lo in range(0, n, BATCH_ROWS)]
    return pd.arrays.ArrowExtensionArray(pa.chunked_array(batches, pa.string()))


def pii(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """Per text: '' or one piece of personal data with a lead-in, at RATE."""
    out = np.full(n, "", dtype=object)
    where = np.flatnonzero(rng.random(n) < rate)
    kinds = rng.choice(len(PII_KINDS), len(where), p=PII_W)
    d = rng.integers(0, 10_000, (len(where), 6))
    for i, k, r in zip(where.tolist(), kinds.tolist(), d.tolist(), strict=True):
        out[i] = _one_pii(PII_KINDS[k], r)
    return out


def _one_pii(kind: str, r: list[int]) -> str:
    if kind == "email":
        name = ["jane.doe", "sam.lee", "a.kumar", "m_rossi", "li.wei"][r[0] % 5]
        return f" reach me at {name}{r[1]}@{['example.com', 'example.org', 'mail.example.net'][r[2] % 3]}"
    if kind == "phone":
        forms = [f"+1 415-555-{r[1]:04d}", f"+44 20 7946 {r[1]:04d}", f"(212) 555-{r[1]:04d}"]
        return f" call me on {forms[r[0] % 3]}"
    if kind == "card":
        return f" my card is 4{r[0] % 1000:03d} {r[1]:04d} {r[2]:04d} {r[3]:04d}"
    if kind == "iban":
        return f" pay to IBAN DE{r[0] % 90 + 10} {r[1]:04d} {r[2]:04d} {r[3]:04d} {r[4]:04d} {r[5] % 100:02d}"
    if kind == "ipv4":
        return f" from ip {r[0] % 223 + 1}.{r[1] % 256}.{r[2] % 256}.{r[3] % 254 + 1}"
    if kind == "ipv6":
        return f" from 2001:db8:{r[0]:x}:{r[1]:x}::{r[2]:x}"
    return f" my ssn is {r[0] % 800 + 100}-{r[1] % 90 + 10}-{r[2]:04d}"


def prompts(rng: np.random.Generator, body: Corpus, question: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """The topic question (with any planted personal data), then context of lognormal length."""
    n = len(question)
    begin, end = spans(rng, body, lengths(rng, n, PROMPT_MEDIAN, PROMPT_SIGMA, PROMPT_MAX))
    personal, q, text = pii(rng, n, PROMPT_PII_RATE).tolist(), question.tolist(), body.text
    a, b = begin.tolist(), end.tolist()
    return arrow_text(n, lambda lo, hi: [f"{q[i]}{personal[i]}. {text[a[i] : b[i]]}" for i in range(lo, hi)])


def responses(
    rng: np.random.Generator, body: Corpus, kept: np.ndarray, zero: np.ndarray, zero_text: str
) -> tuple[pd.api.extensions.ExtensionArray, np.ndarray]:
    """Response text where KEPT (None elsewhere) and every call's response length in characters."""
    n = len(kept)
    want = lengths(rng, n, RESPONSE_MEDIAN, RESPONSE_SIGMA, RESPONSE_MAX)
    lead = np.where(zero, zero_text, np.array(RESPONSE_LEADS, dtype=object)[rng.integers(0, 5, n)]).tolist()
    begin, end = spans(rng, body, want)
    personal = np.full(n, "", dtype=object)
    personal[kept] = pii(rng, int(kept.sum()), RESPONSE_PII_RATE)
    a, b, p, keep, text = begin.tolist(), end.tolist(), personal.tolist(), kept.tolist(), body.text
    out = arrow_text(
        n, lambda lo, hi: [f"{lead[i]} {text[a[i] : b[i]]}{p[i]}" if keep[i] else None for i in range(lo, hi)]
    )
    # the length of what was kept; for the others, the length drawn
    length = np.where(kept, [len(x) + 1 for x in lead] + (end - begin) + [len(x) for x in p], want)
    return out, length


def comments(rng: np.random.Generator, body: Corpus, has_comment: np.ndarray) -> np.ndarray:
    """Feedback comments where HAS_COMMENT: a short verdict, a few words, sometimes personal data."""
    n = len(has_comment)
    rows = np.flatnonzero(has_comment)
    lead = np.array(COMMENT_LEADS, dtype=object)[rng.integers(0, len(COMMENT_LEADS), len(rows))]
    begin, end = spans(rng, body, lengths(rng, len(rows), COMMENT_MEDIAN, COMMENT_SIGMA, COMMENT_MAX))
    personal, text = pii(rng, len(rows), COMMENT_PII_RATE), body.text
    out = np.full(n, None, dtype=object)
    out[rows] = [
        f"{lead[j]}, {text[a:b]}{personal[j]}"
        for j, (a, b) in enumerate(zip(begin.tolist(), end.tolist(), strict=True))
    ]
    return out
