"""Exact quantile regression by linear programming with scipy's HiGHS (the references).

``fit_highs`` solves the standard primal LP ``[X, I, -I]`` (what ``sgp.md`` §5 checked against R's
"br"); ``fit_highs_dual`` solves its dual, which has ``p`` rows instead of ``n`` and is one to two
orders of magnitude faster for the same vertex: the simplex multipliers of a basic optimal dual
solution are the coefficients of a primal vertex.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import linprog

FloatArray = npt.NDArray[np.float64]


def fit_highs(X: FloatArray, y: FloatArray, taus: FloatArray) -> FloatArray:
    """One LP per tau: min tau·1'u + (1−tau)·1'v  s.t.  X b + u − v = y,  u, v ≥ 0.

    Returns the coefficient matrix, shape (p, len(taus)).
    """
    n, p = X.shape
    eye = sparse.identity(n, format="csr")
    A_eq = sparse.hstack([sparse.csr_matrix(X), eye, -eye], format="csr")
    bounds = [(None, None)] * p + [(0.0, None)] * (2 * n)
    out = np.empty((p, taus.size), dtype=np.float64)
    for j, tau in enumerate(taus):
        c = np.concatenate([np.zeros(p), np.full(n, tau), np.full(n, 1.0 - tau)])
        res = linprog(c, A_eq=A_eq, b_eq=y, bounds=bounds, method="highs-ds")
        if res.status != 0:
            raise RuntimeError(f"HiGHS did not solve the LP at tau={tau}: {res.message}")
        out[:, j] = res.x[:p]
    return out


def solve_dual_highs(
    X: FloatArray,
    y: FloatArray,
    w: FloatArray,
    tau: float,
    g: FloatArray | None = None,
    *,
    method: str = "highs-ds",
) -> FloatArray:
    """One tau of the weighted dual: max y'a  s.t.  X'a = -g,  (tau-1) w <= a <= tau w.

    Returns the coefficients (the negated equality multipliers) of a vertex: ``method`` is
    ``"highs-ds"`` (dual simplex) or ``"highs-ipm"`` (interior point with crossover, faster on
    hundreds of thousands of rows).
    """
    p = X.shape[1]
    rhs = np.zeros(p) if g is None else -g
    bounds = np.column_stack([(tau - 1.0) * w, tau * w])
    res = linprog(-y, A_eq=X.T, b_eq=rhs, bounds=bounds, method=method)
    if res.status != 0:
        raise RuntimeError(f"HiGHS did not solve the dual LP at tau={tau}: {res.message}")
    return -np.asarray(res.eqlin.marginals, dtype=np.float64)


def fit_highs_dual(X: FloatArray, y: FloatArray, taus: FloatArray) -> FloatArray:
    """One dual LP per tau (see :func:`solve_dual_highs`); shape (p, len(taus))."""
    w = np.ones(X.shape[0])
    out = np.empty((X.shape[1], taus.size), dtype=np.float64)
    for j, tau in enumerate(taus):
        out[:, j] = solve_dual_highs(X, y, w, float(tau))
    return out
