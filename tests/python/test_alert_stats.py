"""The alert statistics against values worked by hand and against a second, exact method.

The second method is brute force in exact rational arithmetic (`fractions`, `math.comb`), which
shares no code with the log-space tails under test.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from llm_analytics.alerts import stats


def exact_binomial_sf(k: int, n: int, p: Fraction) -> float:
    return float(sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(max(k, 0), n + 1)))


def exact_poisson_cdf(k: int, lam: int) -> float:
    """e^-lam * sum lam^i / i!, the sum done exactly."""
    return math.exp(-lam) * float(sum(Fraction(lam**i, math.factorial(i)) for i in range(k + 1)))


# --- values worked by hand --------------------------------------------------------------------


def test_binomial_by_hand() -> None:
    # P(X >= 3), n = 10, p = 0.1: 1 - (0.9^10 + 10 * 0.1 * 0.9^9 + 45 * 0.01 * 0.9^8)
    assert stats.binomial_sf(3, 10, 0.1) == pytest.approx(0.0701908264, rel=1e-9)
    # P(X <= 1), n = 4, p = 0.5: (1 + 4) / 16
    assert stats.binomial_cdf(1, 4, 0.5) == pytest.approx(5 / 16, rel=1e-12)
    assert stats.binomial_sf(0, 5, 0.3) == 1.0
    assert stats.binomial_sf(6, 5, 0.3) == 0.0
    assert stats.binomial_sf(1, 5, 0.0) == 0.0


def test_poisson_by_hand() -> None:
    # P(X >= 3), lam = 1: 1 - e^-1 (1 + 1 + 1/2)
    assert stats.poisson_sf(3, 1.0) == pytest.approx(1 - 2.5 / math.e, rel=1e-9)
    # an outage: nothing at all where 10 calls are expected, e^-10
    assert stats.poisson_cdf(0, 10.0) == pytest.approx(math.exp(-10), rel=1e-9)
    # P(X <= 2), lam = 2: e^-2 (1 + 2 + 2)
    assert stats.poisson_cdf(2, 2.0) == pytest.approx(5 * math.exp(-2), rel=1e-9)
    assert stats.poisson_sf(0, 3.0) == 1.0
    assert stats.poisson_sf(1, 0.0) == 0.0


def test_wilson_by_hand() -> None:
    # 5/10 at 95%: centre (0.5 + z^2/20) / (1 + z^2/10) = 0.5; half 1.96 * sqrt(0.025 + z^2/400) / 1.38416
    lo, hi = stats.wilson_interval(5, 10, 0.95)
    assert lo == pytest.approx(0.236593, abs=1e-5)
    assert hi == pytest.approx(0.763407, abs=1e-5)
    # 0/10: lower bound 0, upper z^2 / (n + z^2) = 3.8415 / 13.8415
    lo, hi = stats.wilson_interval(0, 10, 0.95)
    assert lo == pytest.approx(0.0, abs=1e-12) and hi == pytest.approx(3.841459 / 13.841459, rel=1e-5)
    assert stats.z_for(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert stats.wilson_interval(0, 0) == (0.0, 1.0)


# --- against the exact second method ------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "n", "p"),
    [(0, 7, Fraction(1, 3)), (4, 20, Fraction(1, 20)), (12, 30, Fraction(3, 10)), (45, 60, Fraction(1, 2))],
)
def test_binomial_matches_exact(k: int, n: int, p: Fraction) -> None:
    assert stats.binomial_sf(k, n, float(p)) == pytest.approx(exact_binomial_sf(k, n, p), rel=1e-9)
    assert stats.binomial_cdf(k, n, float(p)) == pytest.approx(
        1 - exact_binomial_sf(k + 1, n, p), rel=1e-9, abs=1e-15
    )


@pytest.mark.parametrize(("k", "lam"), [(0, 3), (5, 12), (12, 5), (40, 20), (300, 400)])
def test_poisson_matches_exact(k: int, lam: int) -> None:
    assert stats.poisson_cdf(k, float(lam)) == pytest.approx(exact_poisson_cdf(k, lam), rel=1e-9)
    assert stats.poisson_sf(k + 1, float(lam)) == pytest.approx(
        1 - exact_poisson_cdf(k, lam), rel=1e-8, abs=1e-15
    )


def test_large_counts_stay_finite() -> None:
    """10,000 calls an hour: tails far below any alpha, no overflow, and the sides add up to 1."""
    assert 0.0 < stats.binomial_sf(100, 10_000, 0.003) < 1e-12
    assert stats.binomial_sf(30, 10_000, 0.003) + stats.binomial_cdf(29, 10_000, 0.003) == pytest.approx(1)
    assert stats.poisson_cdf(0, 10_000.0) == 0.0
    assert stats.poisson_sf(10_500, 10_000.0) == pytest.approx(
        1 - stats.poisson_cdf(10_499, 10_000.0), rel=1e-9
    )
    # Binomial(n, lam/n) tends to Poisson(lam): a check between the two implementations
    assert stats.binomial_sf(12, 100_000, 5e-5) == pytest.approx(stats.poisson_sf(12, 5.0), rel=1e-3)
    # Wilson's lower bound tends to p - z * sqrt(p(1-p)/n)
    p, n = 0.1, 1_000_000
    assert stats.wilson_lower(int(p * n), n) == pytest.approx(
        p - 1.959964 * math.sqrt(p * (1 - p) / n), rel=1e-4
    )
