"""The B-spline basis (sgp.md §3) against scipy's independent evaluation and calculus checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.interpolate import BSpline

from turnaround.analytics.growth.bspline import bs_basis, knot_vector

KNOT_SETS = [
    ((510.0, 548.0, 580.0, 617.0), (85.5, 859.5)),  # sgpData READING grade 3 (data-derived)
    ((510.0, 550.0, 580.0, 615.0), (150.0, 795.0)),  # DEMO: boundaries = LOSS/HOSS
    ((2.0, 2.0, 5.0, 9.0), (0.0, 10.0)),  # a repeated interior knot
    ((0.0, 3.0, 4.0, 10.0), (0.0, 10.0)),  # interior knots on both boundaries
]


def _scipy_full(x: np.ndarray, knots: tuple[float, ...], bounds: tuple[float, float]) -> np.ndarray:
    t = knot_vector(knots, bounds)
    return np.column_stack([BSpline(t, np.eye(8)[j], 3, extrapolate=True)(x) for j in range(8)])


@pytest.mark.parametrize(("knots", "bounds"), KNOT_SETS)
def test_inside_matches_scipy_and_sums_to_one(
    knots: tuple[float, ...], bounds: tuple[float, float]
) -> None:
    lo, hi = bounds
    rng = np.random.default_rng(0)
    x = np.concatenate([[lo, hi], knots, rng.uniform(lo, hi, 500)])
    full = bs_basis(x, knots, bounds, intercept=True)
    assert full.shape == (x.size, 8)
    # scipy agrees everywhere in [lo, hi] (the upper end too), except at an upper end that is
    # also an interior knot (5 equal knots), where scipy lands on an empty interval and returns
    # zeros; R's splineDesign, and this module, take the left limit there (checked below).
    check = np.ones(x.size, dtype=bool) if knots[-1] < hi else x < hi
    np.testing.assert_allclose(
        full[check], _scipy_full(x[check], knots, bounds), rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(
        bs_basis(np.array([hi]), knots, bounds, intercept=True),
        _scipy_full(np.array([hi - 1e-9 * (hi - lo)]), knots, bounds),
        atol=1e-6,
    )
    np.testing.assert_allclose(full.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.all(full >= -1e-15)
    # the design drops the first function: 7 columns
    np.testing.assert_array_equal(bs_basis(x, knots, bounds), full[:, 1:])


@pytest.mark.parametrize(("knots", "bounds"), KNOT_SETS[:3])
def test_end_points(knots: tuple[float, ...], bounds: tuple[float, float]) -> None:
    lo, hi = bounds
    b = bs_basis(np.array([lo, hi]), knots, bounds)
    # lower boundary: only the dropped first function is non-zero
    np.testing.assert_allclose(b[0], np.zeros(7), atol=1e-15)
    # upper boundary included as the left limit: the last function is exactly 1
    np.testing.assert_allclose(b[1], np.eye(7)[6], atol=1e-15)


@pytest.mark.parametrize(("knots", "bounds"), KNOT_SETS[:2])
def test_taylor_extrapolation_outside(
    knots: tuple[float, ...], bounds: tuple[float, float]
) -> None:
    lo, hi = bounds
    width = hi - lo
    t = knot_vector(knots, bounds)
    below = lo - np.array([1e-9, 0.01, 0.3, 1.0]) * width
    above = hi + np.array([1e-9, 0.01, 0.3, 1.0]) * width
    got = bs_basis(np.concatenate([below, above]), knots, bounds, intercept=True)
    # analytic: the cubic Taylor polynomial about R's pivot, derivatives from scipy
    pivots = (0.75 * lo + 0.25 * t[4], 0.75 * hi + 0.25 * t[7])
    expected = []
    for xs, p in ((below, pivots[0]), (above, pivots[1])):
        for x in xs:
            row = []
            for j in range(8):
                spline = BSpline(t, np.eye(8)[j], 3)
                row.append(
                    sum(
                        (spline.derivative(d)(p) if d else spline(p))
                        * (x - p) ** d
                        / math.factorial(d)
                        for d in range(4)
                    )
                )
            expected.append(row)
    np.testing.assert_allclose(got, np.array(expected), rtol=1e-10, atol=1e-10)
    # a cubic's Taylor expansion is the end piece itself: scipy's polynomial extrapolation
    np.testing.assert_allclose(
        got, _scipy_full(np.concatenate([below, above]), knots, bounds), rtol=1e-9, atol=1e-9
    )
    # not zeros outside, and continuous with the inside values at the boundaries
    assert np.abs(got).max() > 0.1
    edge = bs_basis(np.array([lo, hi]), knots, bounds, intercept=True)
    np.testing.assert_allclose(got[[0, 4]], edge, atol=1e-7)


def test_taylor_extension_has_the_end_derivatives() -> None:
    # finite differences across the lower boundary: one-sided slopes agree
    knots, bounds = KNOT_SETS[0]
    lo = bounds[0]
    h = 1e-3
    f = bs_basis(np.array([lo - 2 * h, lo - h, lo, lo + h, lo + 2 * h]), knots, bounds)
    left = (3 * f[2] - 4 * f[1] + f[0]) / (2 * h)
    right = (-3 * f[2] + 4 * f[3] - f[4]) / (2 * h)
    np.testing.assert_allclose(left, right, rtol=1e-4, atol=1e-7)


def test_extrapolation_with_a_repeated_interior_knot() -> None:
    # scipy cannot differentiate across the double knot, but the end pieces are unaffected:
    # the Taylor expansion equals scipy's polynomial extrapolation of the end pieces
    knots, bounds = KNOT_SETS[2]
    x = np.array([-5.0, -0.5, 10.5, 20.0])
    np.testing.assert_allclose(
        bs_basis(x, knots, bounds, intercept=True), _scipy_full(x, knots, bounds), atol=1e-9
    )
