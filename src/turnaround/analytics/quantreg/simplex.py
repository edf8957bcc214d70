"""Exact vertices: a bounded dual simplex on the dual of quantile regression.

The weighted quantile regression at ``tau`` with a fixed linear term ``g`` (the contribution of
observations whose residual sign is known, see :mod:`~turnaround.analytics.quantreg.pk`),

    min_b  sum_i w_i rho_tau(y_i - x_i'b) - g'b,

has the dual (one variable per observation, ``p`` equality constraints)

    max_a  y'a   s.t.  X'a = -g,   (tau - 1) w_i <= a_i <= tau w_i.

A basis is a set ``h`` of ``p`` observations with ``X_h`` non-singular. Its primal vertex
``b = X_h^{-1} y_h`` interpolates them; every other observation sits at the bound its residual sign
dictates (``a_i = tau w_i`` above the fit, ``(tau - 1) w_i`` below; either when the residual is
zero), which keeps the basis dual feasible. The basic ``a_h = -X_h^{-T}(g + X_N'a_N)`` are then
computed, and the vertex is optimal exactly when they lie in their boxes. Otherwise a basic
observation whose ``a_k`` is out of its box leaves (the fit moves off it, to the side its ``a_k``
asks for), and the step length is the weighted median of the residual crossings along that edge
(the Barrodale–Roberts line search, a dual simplex with bound flipping). Each pivot lowers the
objective or, on a degenerate vertex, keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: Residuals within this multiple of ``max |y|`` of zero count as interpolated.
RESID_RTOL = 1e-9
#: Basic duals may leave their box by this many machine epsilons times a bound on their rounding
#: error, ``|X_h^{-T}| |X|'w``.
DUAL_ERR_FACTOR = 1e4
#: A row joins a starting basis only if this fraction of its norm is new to the basis.
INDEPENDENCE_RTOL = 1e-7


class SimplexError(RuntimeError):
    """The simplex could not finish (unbounded subproblem, singular basis or too many pivots)."""


@dataclass(frozen=True)
class Vertex:
    """An optimal basis of a (sub)problem.

    Attributes
    ----------
    basis : ndarray of int, shape (p,)
        Rows interpolated by the fit.
    coef : ndarray, shape (p,)
        ``X[basis]^{-1} y[basis]``.
    upper : ndarray of bool, shape (m,)
        For every row, whether its dual sits at the upper bound (``tau w``, fit below the point);
        basic rows are ``False`` and meaningless.
    pivots : int
        Simplex pivots taken.
    """

    basis: IntArray
    coef: FloatArray
    upper: BoolArray
    pivots: int


def resid_tol(y: FloatArray) -> float:
    """Absolute tolerance under which a residual is treated as zero."""
    return max(RESID_RTOL * float(np.max(np.abs(y), initial=0.0)), np.finfo(np.float64).tiny)


def column_mass(X: FloatArray, w: FloatArray, chunk: int = 65536) -> FloatArray:
    """``|X|'w``, which bounds the rounding error of the dual sums ``X'a`` (one per column)."""
    out = np.zeros(X.shape[1])
    for start in range(0, X.shape[0], chunk):
        out += np.abs(X[start : start + chunk]).T @ w[start : start + chunk]
    return out


def independent_rows(X: FloatArray, order: IntArray) -> IntArray:
    """The first ``p`` rows of ``X``, in ``order``, that are linearly independent (greedy).

    Raises
    ------
    SimplexError
        If ``order`` does not contain ``p`` independent rows.
    """
    p = X.shape[1]
    q = np.zeros((p, p))
    chosen: list[int] = []
    for i in order.tolist():
        x = X[i]
        nx = float(np.linalg.norm(x))
        if nx == 0.0:
            continue
        u = x.copy()
        k = len(chosen)
        for _ in range(2):  # Gram-Schmidt twice is enough for orthogonality in floating point
            u -= q[:k].T @ (q[:k] @ u)
        nu = float(np.linalg.norm(u))
        if nu > INDEPENDENCE_RTOL * nx:
            q[k] = u / nu
            chosen.append(i)
            if len(chosen) == p:
                return np.asarray(chosen, dtype=np.intp)
    raise SimplexError(f"only {len(chosen)} independent rows among the candidates, {p} needed")


def basis_near(X: FloatArray, y: FloatArray, coef: FloatArray) -> IntArray:
    """A basis from the ``p`` independent rows closest to the fit ``coef`` (smallest residuals)."""
    dist = np.abs(y - X @ coef)
    k = 4 * X.shape[1]
    if k < dist.size:  # usually enough candidates; sorting all rows is the fallback
        near = np.argpartition(dist, k)[:k]
        try:
            return independent_rows(X, near[np.argsort(dist[near])].astype(np.intp))
        except SimplexError:
            pass
    return independent_rows(X, np.argsort(dist).astype(np.intp))


def dual_simplex(
    X: FloatArray,
    y: FloatArray,
    w: FloatArray,
    tau: float,
    g: FloatArray,
    basis: IntArray,
    upper_hint: BoolArray,
    *,
    rtol: float,
    mass: FloatArray,
    max_pivots: int,
) -> Vertex:
    """Pivot from ``basis`` to an optimal vertex of the (sub)problem described in the module.

    Parameters
    ----------
    X, y, w : ndarrays, shapes (m, p), (m,), (m,)
        Rows, responses and positive weights.
    tau : float
    g : ndarray, shape (p,)
        Fixed dual contribution ``sum x_i a_i`` of rows outside the subproblem.
    basis : ndarray of int, shape (p,)
        Starting basis (any ``p`` independent rows).
    upper_hint : ndarray of bool, shape (m,)
        Bound for rows whose residual at the starting vertex is zero.
    rtol : float
        Zero tolerance for residuals.
    mass : ndarray, shape (p,)
        ``|X|'w`` over the full problem (see :func:`column_mass`), which scales the box
        tolerance of the basic duals.
    max_pivots : int

    Returns
    -------
    Vertex

    Raises
    ------
    SimplexError
        Unbounded subproblem (only possible when ``g`` is not from a consistent split), a singular
        basis, or ``max_pivots`` reached.
    """
    p = X.shape[1]
    h = np.array(basis, dtype=np.intp, copy=True)
    err = DUAL_ERR_FACTOR * np.finfo(np.float64).eps * mass
    floor = np.finfo(np.float64).eps * float(np.max(w))
    try:
        binv = np.linalg.inv(X[h])
    except np.linalg.LinAlgError as exc:
        raise SimplexError("singular starting basis") from exc
    coef = binv @ y[h]
    r = y - X @ coef
    sg = np.where(r > rtol, 1.0, np.where(r < -rtol, -1.0, np.where(upper_hint, 1.0, -1.0)))
    sg[h] = 0.0
    wtau = w * tau
    wtau1 = w * (tau - 1.0)

    def full_v() -> FloatArray:
        a = np.where(sg > 0, wtau, np.where(sg < 0, wtau1, 0.0))
        return np.asarray(g + X.T @ a, dtype=np.float64)

    v = full_v()
    pivots = 0
    since_refresh = 0
    while True:
        ah = -(binv.T @ v)
        viol = np.maximum(ah - wtau[h], wtau1[h] - ah)
        k = int(np.argmax(viol))
        if viol[k] <= 0.0 or np.all(viol <= np.abs(binv.T) @ err + floor):
            # Certify from scratch: exact residual signs and duals, not the updated ones.
            if since_refresh:
                coef = np.asarray(np.linalg.solve(X[h], y[h]), dtype=np.float64)
                r = y - X @ coef
                r[h] = 0.0
                bad = ((sg > 0) & (r < -rtol)) | ((sg < 0) & (r > rtol))
                sg[bad] = -sg[bad]
                v = full_v()
                since_refresh = 0
                continue
            upper = sg > 0
            return Vertex(basis=h, coef=coef, upper=upper, pivots=pivots)
        if pivots >= max_pivots:
            raise SimplexError(f"no optimal vertex after {pivots} pivots")
        pivots += 1
        since_refresh += 1
        s = 1.0 if ah[k] > wtau[h[k]] else -1.0
        col = binv[:, k]
        d = (X @ col) * s  # residuals move as r + t d; the leaving row goes to r = s t
        e = -sg * d  # > 0: the residual moves toward (and past) zero
        ci = np.flatnonzero(e > 0)
        if ci.size == 0:
            raise SimplexError("unbounded subproblem")
        tt = np.abs(r[ci]) / e[ci]
        wt = w[ci] * e[ci]
        need = float(viol[k])
        kk = min(ci.size, 4 * p + 16)
        while True:
            sel = np.argpartition(tt, kk - 1)[:kk] if kk < ci.size else np.arange(ci.size)
            o = sel[np.lexsort((-e[ci[sel]], tt[sel]))]
            cum = np.cumsum(wt[o])
            jj = int(np.searchsorted(cum, need, side="left"))
            if jj < o.size:
                break
            if kk == ci.size:
                raise SimplexError("unbounded subproblem")
            kk = min(ci.size, 4 * kk)
        j = int(ci[o[jj]])
        t = float(tt[o[jj]])
        flips = ci[o[:jj]]
        if flips.size:
            v += X[flips].T @ (-sg[flips] * w[flips])
            sg[flips] = -sg[flips]
        v -= X[j] * (wtau[j] if sg[j] > 0 else wtau1[j])
        sg[j] = 0.0
        out = int(h[k])
        sg[out] = s
        v += X[out] * (wtau[out] if s > 0 else wtau1[out])
        h[k] = j
        try:
            binv = np.linalg.inv(X[h])
        except np.linalg.LinAlgError as exc:  # pragma: no cover - the ratio test prevents it
            raise SimplexError("singular basis after a pivot") from exc
        coef = binv @ y[h]
        if since_refresh >= 32:
            r = y - X @ coef
            since_refresh = 1  # still certify at the end
        else:
            r += t * d
        r[h] = 0.0
