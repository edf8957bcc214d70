"""Exact quantile regression: every method against independent references.

References, all computed here or quoted with the script that produced them:

- scipy's HiGHS on the standard primal LP ``[X, I, -I]`` (``method="highs"``), and on the dual LP
  (``"highs-dual"``, itself checked against the primal) where the primal is too slow;
- brute force: every ``p``-subset of rows gives a candidate vertex, the best is the optimum;
- the sample quantile (``numpy.quantile(..., method="inverted_cdf")``) for the intercept-only fit;
- R's ``quantreg::rq.fit.br`` (see ``R_BR_SCRIPT``).

Objectives must agree to ``1e-9 * max(1, |objective|)``. Coefficients must agree to ``1e-7``
(relative to their size) wherever the optimum is unique, which :func:`unique_optimum` certifies
from the dual; otherwise the methods may return different optimal vertices.
"""

from __future__ import annotations

import itertools
import warnings
from functools import cache

import numpy as np
import pytest
from scipy.interpolate import BSpline

import turnaround.analytics.quantreg.pk as pk
from turnaround.analytics.quantreg import (
    METHODS,
    ConvergenceWarning,
    QuantRegResult,
    SingularDesignError,
    check_design,
    fit_taus,
    rq_objective,
)
from turnaround.analytics.quantreg.core import collapse_duplicates, design_rank
from turnaround.analytics.quantreg.simplex import SimplexError

FAST = ("auto", "pk", "simplex", "fn")
TAUS = np.array([0.005, 0.05, 0.25, 0.5, 0.77, 0.95, 0.995])
SGP_TAUS = (np.arange(100) + 0.5) / 100


# --- references and checks -------------------------------------------------------------------


def objective(X: np.ndarray, y: np.ndarray, coef: np.ndarray, tau: float) -> float:
    r = y - X @ coef
    return float(np.sum(np.where(r >= 0, tau * r, (tau - 1.0) * r)))


def unique_optimum(X: np.ndarray, y: np.ndarray, coef: np.ndarray, tau: float) -> bool:
    """Whether ``coef`` is the unique optimum: a non-degenerate vertex with a strictly
    complementary dual (each interpolated row's dual strictly inside ``(tau - 1, tau)``)."""
    r = y - X @ coef
    zero = np.abs(r) <= 1e-9 * max(1.0, float(np.max(np.abs(y))))
    if np.count_nonzero(zero) != X.shape[1]:
        return False
    a_out = np.where(r[~zero] > 0, tau, tau - 1.0)
    a_h = -np.linalg.solve(X[zero].T, X[~zero].T @ a_out)
    return bool(np.min(np.minimum(tau - a_h, a_h - (tau - 1.0))) > 1e-7)


def assert_same_fit(
    X: np.ndarray, y: np.ndarray, taus: np.ndarray, coef: np.ndarray, ref: np.ndarray
) -> None:
    for j, tau in enumerate(taus):
        got, want = objective(X, y, coef[:, j], tau), objective(X, y, ref[:, j], tau)
        assert got == pytest.approx(want, rel=0, abs=1e-9 * max(1.0, abs(want))), f"tau={tau}"
        if unique_optimum(X, y, ref[:, j], tau):
            scale = max(1.0, float(np.max(np.abs(ref[:, j]))))
            np.testing.assert_allclose(coef[:, j], ref[:, j], rtol=0, atol=1e-7 * scale)


def assert_vertex(X: np.ndarray, y: np.ndarray, coef: np.ndarray) -> None:
    """Each fit interpolates at least ``p`` linearly independent rows."""
    for j in range(coef.shape[1]):
        r = y - X @ coef[:, j]
        on_fit = np.abs(r) <= 1e-8 * max(1.0, float(np.max(np.abs(y))))
        assert np.linalg.matrix_rank(X[on_fit]) == X.shape[1]


def brute_force(X: np.ndarray, y: np.ndarray, tau: float) -> tuple[float, list[np.ndarray]]:
    """The optimum over all vertices (an LP optimum is attained at one): value and minimisers."""
    best, argbest = np.inf, []
    for rows in itertools.combinations(range(X.shape[0]), X.shape[1]):
        sub = X[list(rows)]
        if abs(np.linalg.det(sub)) < 1e-10:
            continue
        b = np.linalg.solve(sub, y[list(rows)])
        val = objective(X, y, b, tau)
        if not argbest or val < best - 1e-9 * max(1.0, abs(best)):
            best, argbest = val, [b]
        elif val <= best + 1e-9 * max(1.0, abs(best)):
            argbest.append(b)
    return best, argbest


# --- data --------------------------------------------------------------------------------------


def bs(x: np.ndarray, knots: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """Cubic B-spline basis without its first column, like R's ``splines::bs``."""
    t = np.r_[[bounds[0]] * 4, knots, [bounds[1]] * 4]
    return BSpline.design_matrix(x, t, 3).toarray()[:, 1:]


def sgp_design(n: int, priors: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Correlated integer scale scores; intercept plus a B-spline basis per prior."""
    rng = np.random.default_rng(seed)
    corr = np.full((priors + 1, priors + 1), 0.8) + 0.2 * np.eye(priors + 1)
    scores = np.round(500 + 50 * rng.standard_normal((n, priors + 1)) @ np.linalg.cholesky(corr).T)
    cols = [np.ones((n, 1))]
    for k in range(priors):
        x = scores[:, k]
        lo, hi = x.min(), x.max()
        pad = 0.1 * (hi - lo)
        cols.append(bs(x, np.quantile(x, [0.2, 0.4, 0.6, 0.8]), (lo - pad, hi + pad)))
    return np.hstack(cols), scores[:, priors]


def random_problem(n: int, p: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, p - 1))])
    y = X @ rng.standard_normal(p) + rng.standard_t(3, n)
    return X, y


def degenerate(kind: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    n = 150
    if kind == "ties_in_y":
        x = rng.standard_normal(n)
        X, y = np.column_stack([np.ones(n), x]), np.round(2 * x + rng.standard_normal(n))
    elif kind == "duplicated_rows":
        X0, y0 = random_problem(50, 3, 8)
        X, y = np.vstack([X0, X0, X0[:20]]), np.concatenate([y0, y0, y0[:20]])
    elif kind == "identical_x":
        x = rng.integers(0, 4, n).astype(float)
        X, y = np.column_stack([np.ones(n), x, x**2]), np.round(x + rng.standard_normal(n), 1)
    elif kind == "on_hyperplane":
        X, y = random_problem(n, 3, 9)
        y[: n // 2] = X[: n // 2] @ np.array([1.0, -2.0, 0.5])
    elif kind == "boundary_knot":
        scores = rng.integers(300, 341, n).astype(float)
        scores[:10], scores[-10:] = 300.0, 340.0  # exactly on the boundary knots
        X = np.column_stack([np.ones(n), bs(scores, np.array([310.0, 320.0, 330.0]), (300, 340))])
        y = np.round(0.9 * scores + rng.normal(0, 8, n))
    else:  # pragma: no cover
        raise ValueError(kind)
    return X, y


DEGENERATE = ("ties_in_y", "duplicated_rows", "identical_x", "on_hyperplane", "boundary_knot")


@cache
def highs_reference(case: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if case.startswith("random"):
        _, n, p, seed = case.split("-")
        X, y = random_problem(int(n), int(p), int(seed))
    else:
        X, y = degenerate(case)
    return X, y, fit_taus(X, y, TAUS, method="highs").coef


# --- agreement with the references ---------------------------------------------------------------


@pytest.mark.parametrize("case", ["random-12-4-1", "random-60-2-2", "random-300-5-3"])
@pytest.mark.parametrize("method", [*FAST, "highs-dual"])
def test_random_problems_match_highs(case: str, method: str) -> None:
    X, y, ref = highs_reference(case)
    res = fit_taus(X, y, TAUS, method=method)
    assert_same_fit(X, y, TAUS, res.coef, ref)
    assert_vertex(X, y, res.coef)
    np.testing.assert_allclose(res.objective, rq_objective(X, y, res.coef, TAUS))


@pytest.mark.parametrize("case", DEGENERATE)
@pytest.mark.parametrize("method", FAST)
def test_degenerate_problems_match_highs(case: str, method: str) -> None:
    X, y, ref = highs_reference(case)
    res = fit_taus(X, y, TAUS, method=method)
    assert_same_fit(X, y, TAUS, res.coef, ref)
    assert_vertex(X, y, res.coef)


@pytest.mark.parametrize("start", pk.STARTS)
@pytest.mark.parametrize("case", DEGENERATE)
def test_globbing_on_degenerate_rows_without_collapsing(case: str, start: str) -> None:
    # fit_pk directly: duplicate rows stay separate rows and the globbing runs at this small n.
    X, y, ref = highs_reference(case)
    coef, _ = pk.fit_pk(X, y, np.ones(y.size), TAUS, glob=True, start=start)
    assert_same_fit(X, y, TAUS, coef, ref)


@cache
def sgp_reference(priors: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y = sgp_design(2000, priors, 10 + priors)
    return X, y, fit_taus(X, y, SGP_TAUS[::13], method="highs-dual").coef


@pytest.mark.parametrize("priors", [1, 2])
def test_sgp_design_all_taus_match_highs(priors: int) -> None:
    # Large enough for the globbed path (>= 2,000 rows): all 100 taus are fitted in one warm
    # sequence and every 13th is checked against the dual LP by HiGHS.
    X, y, ref = sgp_reference(priors)
    res = fit_taus(X, y, SGP_TAUS)
    assert res.method == "pk"
    assert_same_fit(X, y, SGP_TAUS[::13], res.coef[:, ::13], ref)


def test_sgp_design_warm_simplex_start_matches_highs() -> None:
    X, y, ref = sgp_reference(2)
    coef, stats = pk.fit_pk(X, y, np.ones(y.size), SGP_TAUS, start="warm")
    assert stats.pivots > 0
    assert_same_fit(X, y, SGP_TAUS[::13], coef[:, ::13], ref)


def test_highs_dual_is_the_primal_vertex() -> None:
    X, y = sgp_design(300, 1, 3)
    assert_same_fit(
        X,
        y,
        TAUS,
        fit_taus(X, y, TAUS, method="highs-dual").coef,
        fit_taus(X, y, TAUS, method="highs").coef,
    )


@pytest.mark.parametrize("data", ["continuous", "integer"])
def test_brute_force_small_problems(data: str) -> None:
    rng = np.random.default_rng(5)
    X = np.column_stack([np.ones(9), rng.standard_normal((9, 2))])
    if data == "integer":
        X[:, 1:] = np.round(2 * X[:, 1:])
    y = X @ np.array([1.0, 2.0, -1.0]) + rng.standard_normal(9)
    if data == "integer":
        y = np.round(y)
    for method in FAST:
        res = fit_taus(X, y, TAUS, method=method)
        for j, tau in enumerate(TAUS):
            best, argbest = brute_force(X, y, tau)
            assert res.objective[j] == pytest.approx(best, rel=1e-9, abs=1e-12)
            assert any(np.allclose(res.coef[:, j], b, rtol=0, atol=1e-9) for b in argbest)


def test_intercept_only_is_a_sample_quantile() -> None:
    rng = np.random.default_rng(6)
    y = rng.integers(0, 12, 37).astype(float)  # ties, and n * tau is never an integer below
    taus = np.array([0.01, 0.1, 0.3, 0.5, 0.62, 0.9, 0.99])
    for method in FAST:
        res = fit_taus(np.ones((37, 1)), y, taus, method=method)
        np.testing.assert_array_equal(res.coef[0], np.quantile(y, taus, method="inverted_cdf"))
        for j, tau in enumerate(taus):  # brute force over the sample values
            assert res.objective[j] == pytest.approx(
                min(objective(np.ones((37, 1)), y, np.array([c]), tau) for c in y), rel=1e-12
            )


def test_intercept_only_with_nonunique_quantile_picks_an_order_statistic() -> None:
    y = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])  # n * 0.5 = 4: any value in [3, 4]
    for method in FAST:
        res = fit_taus(np.ones((8, 1)), y, [0.5], method=method)
        assert res.coef[0, 0] in (3.0, 4.0)
        assert res.objective[0] == objective(np.ones((8, 1)), y, np.array([3.0]), 0.5)


def test_n_equals_p_interpolates_every_row() -> None:
    X, y = random_problem(4, 4, 10)
    for method in FAST:
        res = fit_taus(X, y, TAUS, method=method)
        np.testing.assert_allclose(res.coef, np.tile(np.linalg.solve(X, y)[:, None], TAUS.size))
        np.testing.assert_allclose(res.objective, 0.0, atol=1e-10)


R_BR_SCRIPT = """
library(quantreg)  # 5.94, Debian r-cran-quantreg
i <- 0:59; x <- (i * 7) %% 23; y <- (i * 13) %% 31 + x
X <- cbind(1, x, x^2)
for (tau in c(0.1, 0.25, 0.5, 0.9)) print(rq.fit.br(X, y, tau = tau)$coefficients, digits = 17)
"""
R_BR_COEF = {
    0.10: [0.36000000000000032, 1.3399999999999999, -0.0099999999999999881],
    0.25: [5.5999999999999996, 1.4142857142857141, -0.014285714285714277],
    0.50: [12.19999999999998, 1.2000000000000035, -1.5959455978986625e-16],
    0.90: [25.599999999999994, 1.4142857142857139, -0.014285714285714299],
}


def test_matches_r_quantreg_br() -> None:
    i = np.arange(60)
    x = (i * 7) % 23
    X = np.column_stack([np.ones(60), x, x**2]).astype(float)
    y = ((i * 13) % 31 + x).astype(float)
    taus = np.array(list(R_BR_COEF))
    ref = np.array(list(R_BR_COEF.values())).T
    for method in FAST:
        assert_same_fit(X, y, taus, fit_taus(X, y, taus, method=method).coef, ref)


def test_taus_in_any_order_with_repeats() -> None:
    X, y = sgp_design(2200, 1, 4)
    taus = np.array([0.7, 0.2, 0.7, 0.005, 0.5])
    res = fit_taus(X, y, taus)
    np.testing.assert_array_equal(res.taus, taus)
    np.testing.assert_allclose(res.coef[:, 0], res.coef[:, 2])
    assert_same_fit(X, y, taus, res.coef, fit_taus(X, y, taus, method="highs-dual").coef)


# --- repair paths --------------------------------------------------------------------------------


def test_interior_point_failure_warns_and_is_repaired(monkeypatch: pytest.MonkeyPatch) -> None:
    real = pk.frisch_newton
    monkeypatch.setattr(pk, "frisch_newton", lambda *a, **k: real(*a, **{**k, "max_iter": 2}))
    X, y, ref = highs_reference("random-300-5-3")
    with pytest.warns(ConvergenceWarning, match=r"Frisch-Newton failed .* \(max_iter after 2"):
        res = fit_taus(X, y, TAUS, method="fn")
    assert_same_fit(X, y, TAUS, res.coef, ref)


def test_globbed_interior_point_failure_starts_from_the_previous_basis(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = pk.frisch_newton
    monkeypatch.setattr(pk, "frisch_newton", lambda *a, **k: real(*a, **{**k, "max_iter": 2}))
    X, y, ref = sgp_reference(1)
    with pytest.warns(ConvergenceWarning, match="Frisch-Newton failed") as record:
        coef, _ = pk.fit_pk(X, y, np.ones(y.size), SGP_TAUS)
    # only at the first tau: later taus start from their neighbour's basis instead
    assert {str(w.message).split(" (")[0] for w in record} == {"Frisch-Newton failed at tau=0.005"}
    assert_same_fit(X, y, SGP_TAUS[::13], coef[:, ::13], ref)


def test_simplex_failure_falls_back_to_highs(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise SimplexError("no optimal vertex after 0 pivots")

    monkeypatch.setattr(pk, "dual_simplex", broken)
    X, y = sgp_design(2000, 1, 13)
    taus = np.array([0.1, 0.6])
    with pytest.warns(ConvergenceWarning, match="solved with HiGHS"):
        coef, stats = pk.fit_pk(X, y, np.ones(y.size), taus)
    assert stats.fallbacks == 2
    assert_same_fit(X, y, taus, coef, fit_taus(X, y, taus, method="highs-dual").coef)


def test_too_narrow_band_is_widened_and_rechecked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pk, "BAND_SAFETY", 0.05)
    monkeypatch.setattr(pk, "MIN_BAND_ROWS", 0.5)
    X, y = sgp_design(2000, 2, 14)
    taus = SGP_TAUS[40:47]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # unbounded subproblems are routine
        coef, stats = pk.fit_pk(X, y, np.ones(y.size), taus)
    assert stats.rechecks > 0
    assert_same_fit(X, y, taus, coef, fit_taus(X, y, taus, method="highs-dual").coef)


# --- helpers and input checks ------------------------------------------------------------------


def test_collapse_duplicates_is_exact() -> None:
    X, y = degenerate("duplicated_rows")
    Xu, yu, w = collapse_duplicates(X, y) or pytest.fail("duplicates not collapsed")
    assert (Xu.shape[0], w.sum()) == (50, 120)
    coef = fit_taus(X, y, TAUS).coef
    np.testing.assert_allclose(
        [
            np.sum(w * np.where(r >= 0, t * r, (t - 1) * r))
            for t, r in zip(TAUS, (yu[:, None] - Xu @ coef).T, strict=True)
        ],
        rq_objective(X, y, coef, TAUS),
    )
    assert collapse_duplicates(*random_problem(50, 3, 1)) is None


def test_design_rank_matches_numpy() -> None:
    X, _ = random_problem(70000, 4, 2)  # more rows than one block
    assert design_rank(X) == 4
    X[:, 3] = X[:, 1] - 2 * X[:, 2]
    assert design_rank(X) == np.linalg.matrix_rank(X) == 3


def test_result_is_immutable() -> None:
    res = fit_taus(*random_problem(20, 2, 3), [0.5])
    assert isinstance(res, QuantRegResult)
    with pytest.raises(AttributeError):
        res.method = "x"  # type: ignore[misc]


def test_unknown_start_lists_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="unknown start 'cold'; allowed: ip, warm"):
        pk.fit_pk(np.ones((3, 1)), np.ones(3), np.ones(3), np.array([0.5]), start="cold")


def test_unknown_method_lists_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="unknown method 'br'; allowed: auto, pk, simplex"):
        fit_taus(*random_problem(20, 2, 3), [0.5], method="br")
    assert METHODS[0] == "auto"


def test_unknown_keyword_is_rejected() -> None:
    with pytest.raises(TypeError, match="unexpected keyword"):
        fit_taus(*random_problem(20, 2, 3), [0.5], solver="highs")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("X", "y", "taus", "message"),
    [
        (np.ones(5), np.ones(5), [0.5], "X must be a 2-d array, got 1 dimensions"),
        (np.ones((5, 1)), np.ones(4), [0.5], r"y must have shape \(5,\) to match X"),
        (np.ones((5, 0)), np.ones(5), [0.5], "at least one column"),
        (np.ones((5, 1)), np.ones(5), [], "taus must be a non-empty 1-d sequence"),
        (np.ones((5, 1)), np.r_[np.ones(4), np.nan], [0.5], "must be finite"),
        (np.ones((5, 1)), np.ones(5), [0.5, 1.0], "strictly between 0 and 1"),
        (np.ones((5, 1)), np.ones(5), [0.0], "strictly between 0 and 1"),
    ],
)
def test_bad_input_is_named(X: np.ndarray, y: np.ndarray, taus: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit_taus(X, y, taus)


def test_too_few_rows_is_singular() -> None:
    with pytest.raises(SingularDesignError, match="3 observations cannot identify 4 coefficients"):
        check_design(np.ones((3, 4)), np.ones(3), [0.5])


def test_rank_deficient_design_names_the_rank() -> None:
    X, y = random_problem(40, 3, 4)
    X = np.column_stack([X, X[:, 1] + X[:, 2]])
    with pytest.raises(SingularDesignError, match="rank 3 < 4 columns"):
        fit_taus(X, y, [0.5])
