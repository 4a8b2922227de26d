"""The statistics macros of macros/stats.sql against scipy.stats, over a grid of inputs including
small and non-integer degrees of freedom and extreme tails. The macros are pure Jinja over plain
SQL arithmetic, so a Jinja environment renders them (no dbt run) and an in-memory DuckDB evaluates
every grid point in one query: the test takes well under a second. PostgreSQL runs the same SQL in
the shared build (mart_experiment_results, compared with scipy in test_experiments.py)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import jinja2
from scipy import stats

MACROS = Path(__file__).resolve().parents[2] / "macros" / "stats.sql"
# relative tolerance, or absolute for probabilities under 1e-300 (exp is floored at -700)
REL, TINY = 1e-9, 1e-300


def _macros() -> Any:
    return jinja2.Environment().from_string(MACROS.read_text()).module


def _evaluate(expression: str, rows: list[tuple[float, ...]], columns: str) -> list[float]:
    values = ", ".join("(" + ", ".join(f"cast({float(v)!r} as double)" for v in r) + ")" for r in rows)
    sql = f"select {expression} from (values {values}) as grid({columns})"
    return [r[0] for r in duckdb.connect().execute(sql).fetchall()]


def _close(got: float, want: float, rel: float = REL, tiny: float = TINY) -> bool:
    return abs(got - want) <= max(rel * abs(want), tiny)


def _check(
    name: str,
    inputs: list[tuple[float, ...]],
    got: list[float],
    want: list[float],
    rel: float = REL,
    tiny: float = TINY,
) -> None:
    bad = [(i, g, w) for i, g, w in zip(inputs, got, want, strict=True) if not _close(g, w, rel, tiny)]
    assert not bad, f"{name}: (input, sql, scipy) {bad[:5]}"


Z = [0.0, 1e-6, 0.3, 0.5, 1.0, 1.5, 1.959963984540054, 2.5, 3.0, 4.0, 6.0, 8.0, 12.0, 20.0, 30.0, 37.0]
DF = [1.0, 1.5, 2.0, 2.7, 5.0, 10.0, 30.3, 100.0, 1234.5, 1e4, 1e5, 1e6]
T = [0.0, 0.01, 0.5, 1.0, 1.96, 3.0, 5.0, 8.0, 15.0, 40.0]


def test_normal_cdf_and_two_sided_p() -> None:
    m = _macros()
    xs = [(s * z,) for z in Z for s in (1, -1)]
    _check("cdf", xs, _evaluate(m.stats_normal_cdf("x"), xs, "x"), [stats.norm.cdf(x) for (x,) in xs])
    ps = [(z,) for z in Z]
    _check(
        "p", ps, _evaluate(m.stats_normal_two_sided_p("z"), ps, "z"), [2 * stats.norm.sf(z) for (z,) in ps]
    )


def test_student_t_two_sided_p_and_cdf() -> None:
    m = _macros()
    grid = [(t, df) for df in DF for t in T]
    want = [2 * stats.t.sf(t, df) for t, df in grid]
    _check("t p", grid, _evaluate(m.stats_t_two_sided_p("t", "df"), grid, "t, df"), want)
    signed = [(s * t, df) for df in (1.0, 2.7, 30.3, 1e5) for t in T for s in (1, -1)]
    got = _evaluate(m.stats_t_cdf("t", "df"), signed, "t, df")
    _check("t cdf", signed, got, [stats.t.cdf(t, df) for t, df in signed])


def test_chi_square_survival() -> None:
    m = _macros()
    grid = [
        (x, k) for k in (1, 2, 3, 4, 5, 9, 20) for x in (1e-4, 0.1, 0.5, 1, 2, 3, 5, 10, 20, 40, 80, 150, 400)
    ]
    got = _evaluate(m.stats_chi_square_sf("x", "k"), grid, "x, k")
    _check("chi2", grid, got, [stats.chi2.sf(x, k) for x, k in grid])


def test_log_gamma_and_regularized_beta() -> None:
    m = _macros()
    zs = [(z,) for z in (0.5, 1.0, 1.5, 2.5, 7.0, 33.3, 1e3, 5e5)]
    got = _evaluate(m.stats_log_gamma("z"), zs, "z")
    _check("lgamma", zs, got, [math.lgamma(z) for (z,) in zs], rel=1e-13, tiny=1e-13)
    grid = [
        (x, a, b)
        for a, b in ((0.5, 0.5), (2.0, 3.0), (10.0, 1.5), (0.7, 40.0))
        for x in (0.0, 0.01, 0.3, 0.5, 0.9, 1.0)
    ]
    got = _evaluate(m.stats_regularized_beta("x", "a", "b"), grid, "x, a, b")
    _check("ibeta", grid, got, [stats.beta.cdf(x, a, b) for x, a, b in grid])


def test_presorted_beta_and_t_density() -> None:
    m = _macros()
    # arguments already on the converging side (x < (a + 1) / (a + b + 2)); swapped: 1 - I
    grid = [
        (x, a, b, s)
        for a, b in ((0.5, 0.5), (2.0, 3.0), (0.7, 40.0), (5e5, 0.5))
        for x in (0.0, 1e-7, 0.05, 0.2)
        for s in (0, 1)
        if x < (a + 1) / (a + b + 2)
    ]
    rows = [(x, 1 - x, a, b, s) for x, a, b, s in grid]
    got = _evaluate(m.stats_regularized_beta_presorted("x", "y", "a", "b", "s = 1"), rows, "x, y, a, b, s")
    want = [1 - stats.beta.cdf(x, a, b) if s else stats.beta.cdf(x, a, b) for x, a, b, s in grid]
    _check("presorted", rows, got, want)
    grid = [(t, df) for df in (1.0, 2.7, 1e4) for t in (0.0, 1.0, 5.0)]
    _check(
        "density",
        grid,
        _evaluate(m.stats_t_density("t", "df"), grid, "t, df"),
        [stats.t.pdf(t, df) for t, df in grid],
    )


def test_t_quantile() -> None:
    """As mart_experiment_results: a Cornish-Fisher start and two Halley steps."""
    m = _macros()
    z = 1.959963984540054
    dfs = [(df,) for df in (1.0, 1.3, 2.0, 2.5, 4.0, 7.7, 15.0, 50.0, 300.0, 1e4, 1e6)]
    # the steps chain through subqueries, as the mart chains them through CTE columns
    sql = f"select df, {m.stats_t_quantile_guess(z, 'df')} as q from grid"
    for _ in range(2):
        p, f = m.stats_t_two_sided_p("q", "df"), m.stats_t_density("q", "df")
        step = m.stats_t_quantile_halley("q", "df", 0.05, "p", "f")
        sql = f"select df, {step} as q from (select df, q, {p} as p, {f} as f from ({sql}))"
    values = ", ".join(f"(cast({df!r} as double))" for (df,) in dfs)
    rows = duckdb.connect().execute(f"with grid(df) as (values {values}) {sql}").fetchall()
    for (df,), (_, q) in zip(dfs, rows, strict=True):
        assert _close(q, stats.t.ppf(0.975, df)), (df, q)
