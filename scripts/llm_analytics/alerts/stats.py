"""The few tail probabilities and intervals the alert conditions need, in pure Python.

Why not fixed minimums: a rule that waits for 50 calls never sees a product with 16 calls an hour,
and one tuned for 16 pages on noise at 10,000. A confidence bound or a tail probability scales with
the evidence: a handful of calls must be far off to fire, a flood of them only a little.

No SciPy: these are a dozen lines each. Tails are summed term by term in log space from the
requested point outwards, away from the mode, so they stay exact for n = 10,000 and for
probabilities far below 1e-300 they underflow to 0 rather than to nonsense.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist

_EPS = 1e-17  # relative size at which further terms of a tail no longer change a double


def z_for(confidence: float) -> float:
    """Two-sided normal quantile: 0.95 -> 1.96 (the z of a 95% interval)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence {confidence!r} must be between 0 and 1")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n: honest at k = 0 and at n = 3, unlike k/n +- z*se."""
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= k <= n:
        raise ValueError(f"k={k} must be within 0..n={n}")
    z = z_for(confidence)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def wilson_lower(k: int, n: int, confidence: float = 0.95) -> float:
    """The rate we are `confidence`-sure the hour is at least (one side of the two-sided interval)."""
    return wilson_interval(k, n, confidence)[0]


def _binom_logpmf(i: int, n: int, p: float) -> float:
    return (
        math.lgamma(n + 1)
        - math.lgamma(i + 1)
        - math.lgamma(n - i + 1)
        + i * math.log(p)
        + (n - i) * math.log1p(-p)
    )


def _poisson_logpmf(i: int, lam: float) -> float:
    return i * math.log(lam) - lam - math.lgamma(i + 1)


def _tail(logpmf: Callable[[int], float], start: int, step: int, stop: int | None) -> float:
    """Sum pmf(start), pmf(start+step), ... until the terms vanish (they fall away from the mode)."""
    total = 0.0
    i = start
    while stop is None or (i <= stop if step > 0 else i >= stop):
        term = math.exp(logpmf(i))
        total += term
        if term <= total * _EPS:
            break
        i += step
    return total


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p): how surprising k failures in n calls are at rate p."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    mode = math.floor((n + 1) * p)

    def lp(i: int) -> float:
        return _binom_logpmf(i, n, p)

    if k > mode:
        return min(1.0, _tail(lp, k, 1, n))
    return max(0.0, 1.0 - _tail(lp, k - 1, -1, 0))


def binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p): how surprising so few successes are at rate p."""
    if k < 0:
        return 0.0
    if k >= n or p <= 0:
        return 1.0
    if p >= 1:
        return 0.0

    def lp(i: int) -> float:
        return _binom_logpmf(i, n, p)

    if k < math.floor((n + 1) * p):
        return min(1.0, _tail(lp, k, -1, 0))
    return max(0.0, 1.0 - _tail(lp, k + 1, 1, n))


def poisson_sf(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam): how surprising k calls are when lam are expected."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    mode = math.floor(lam)

    def lp(i: int) -> float:
        return _poisson_logpmf(i, lam)

    if k > mode:
        return min(1.0, _tail(lp, k, 1, None))
    return max(0.0, 1.0 - _tail(lp, k - 1, -1, 0))


def poisson_cdf(k: int, lam: float) -> float:
    """P(X <= k) for X ~ Poisson(lam): how surprising so few calls are (an outage)."""
    if k < 0:
        return 0.0
    if lam <= 0:
        return 1.0

    def lp(i: int) -> float:
        return _poisson_logpmf(i, lam)

    if k < math.floor(lam):
        return min(1.0, _tail(lp, k, -1, 0))
    return max(0.0, 1.0 - _tail(lp, k + 1, 1, None))
