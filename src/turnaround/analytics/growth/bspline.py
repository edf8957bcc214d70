"""The cubic B-spline basis of R's ``splines::bs`` as the SGP package calls it (sgp.md §3).

``bs(x, knots = 4 interior knots, Boundary.knots = (lo, hi), degree = 3, intercept = FALSE)``:
the knot vector repeats each boundary knot 4 times (12 knots, 8 cubic B-splines by Cox–de Boor)
and the first function is dropped, leaving 7 columns. A score exactly on the upper boundary gets
the left limit (the last function equals 1). Outside the boundaries R does not return zeros but a
cubic Taylor expansion of every function about a pivot a quarter of the way to the nearest
interior knot; that is only reached with supplied knots that do not cover a score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

DEGREE = 3
N_COLUMNS = 7  # 4 interior knots + degree 3 + 1 - the dropped first function


def knot_vector(knots: Sequence[float], boundaries: Sequence[float]) -> FloatArray:
    """``sort(c(rep(boundaries, 4), knots))``: the 12-knot vector."""
    lo, hi = float(boundaries[0]), float(boundaries[1])
    inner = sorted(float(k) for k in knots)
    return np.array([lo] * (DEGREE + 1) + inner + [hi] * (DEGREE + 1), dtype=np.float64)


def _basis(x: FloatArray, t: FloatArray, degree: int) -> FloatArray:
    """All ``len(t) - degree - 1`` B-splines of ``degree`` on ``t`` at ``x`` (Cox–de Boor).

    ``x`` must lie in ``[t[degree], t[-degree - 1]]``; each point uses the knot interval
    ``t[i] <= x < t[i+1]``, and the upper end uses the last non-empty interval (left limit).
    """
    n_funcs = t.size - degree - 1
    lo, hi = t[degree], t[t.size - degree - 1]
    first = int(np.searchsorted(t, lo, side="right")) - 1
    last = int(np.searchsorted(t, hi, side="left")) - 1
    i: IntArray = np.clip(np.searchsorted(t, x, side="right") - 1, first, last).astype(np.intp)
    n = x.size
    N = np.zeros((n, degree + 1), dtype=np.float64)
    N[:, 0] = 1.0
    left = np.zeros((n, degree + 1), dtype=np.float64)
    right = np.zeros((n, degree + 1), dtype=np.float64)
    for j in range(1, degree + 1):
        left[:, j] = x - t[i + 1 - j]
        right[:, j] = t[i + j] - x
        saved = np.zeros(n, dtype=np.float64)
        for r in range(j):
            temp = N[:, r] / (right[:, r + 1] + left[:, j - r])
            N[:, r] = saved + right[:, r + 1] * temp
            saved = left[:, j - r] * temp
        N[:, j] = saved
    out = np.zeros((n, n_funcs), dtype=np.float64)
    rows = np.arange(n)
    for r in range(degree + 1):
        out[rows, i - degree + r] = N[:, r]
    return out


def _derivatives_at(point: float, t: FloatArray, degree: int) -> FloatArray:
    """``D[d, j]`` = d-th derivative of B-spline ``j`` at ``point``, for d = 0..degree.

    The derivative of a spline with coefficients ``c`` is a spline of one degree less on
    ``t[1:-1]`` with coefficients ``k (c[i+1] - c[i]) / (t[i+k+1] - t[i+1])`` (0 where the
    denominator is 0); applied to the identity it differentiates every basis function at once.
    """
    n_funcs = t.size - degree - 1
    coef = np.eye(n_funcs, dtype=np.float64)  # column j: the coefficients of function j
    knots = t
    out = np.zeros((degree + 1, n_funcs), dtype=np.float64)
    x = np.array([point], dtype=np.float64)
    for d in range(degree + 1):
        k = degree - d
        out[d] = _basis(x, knots, k)[0] @ coef
        if d == degree:
            break
        span = knots[k + 1 : k + 1 + coef.shape[0] - 1] - knots[1 : coef.shape[0]]
        scale = np.divide(k, span, out=np.zeros_like(span), where=span > 0)
        coef = scale[:, None] * (coef[1:] - coef[:-1])
        knots = knots[1:-1]
    return out


def _taylor(x: FloatArray, pivot: float, t: FloatArray) -> FloatArray:
    derivs = _derivatives_at(pivot, t, DEGREE)
    powers = np.column_stack([(x - pivot) ** d / math.factorial(d) for d in range(DEGREE + 1)])
    return np.asarray(powers @ derivs, dtype=np.float64)


def bs_basis(
    x: npt.ArrayLike,
    knots: Sequence[float],
    boundaries: Sequence[float],
    *,
    intercept: bool = False,
) -> FloatArray:
    """``splines::bs(x, knots, Boundary.knots = boundaries, degree = 3)``: shape (n, 7).

    Parameters
    ----------
    x : array_like, shape (n,)
        Finite scores.
    knots : 4 floats
        Interior knots.
    boundaries : (float, float)
        Boundary knots; scores outside get R's cubic Taylor extrapolation.
    intercept : bool
        As R's ``intercept``: True keeps the first function (8 columns, summing to 1 inside the
        boundaries). The SGP design uses False.
    """
    xa = np.asarray(x, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(xa)):
        raise ValueError("bs_basis needs finite x")
    t = knot_vector(knots, boundaries)
    lo, hi = t[0], t[-1]
    full = np.zeros((xa.size, t.size - DEGREE - 1), dtype=np.float64)
    inside = (xa >= lo) & (xa <= hi)
    if inside.any():
        full[inside] = _basis(xa[inside], t, DEGREE)
    below = xa < lo
    if below.any():
        full[below] = _taylor(xa[below], 0.75 * lo + 0.25 * t[DEGREE + 1], t)
    above = xa > hi
    if above.any():
        full[above] = _taylor(xa[above], 0.75 * hi + 0.25 * t[t.size - DEGREE - 2], t)
    return full if intercept else full[:, 1:]
