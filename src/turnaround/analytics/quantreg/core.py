"""The public entry point, input checks and the objective shared by every solver."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.linalg import qr

FloatArray = npt.NDArray[np.float64]

METHODS = ("auto", "pk", "simplex", "fn", "highs", "highs-dual")
#: What ``method="auto"`` runs: the fastest exact method (``benchmarks/quantreg_bench.py``).
AUTO_METHOD = "pk"
#: Rows per block when a pass over ``X`` would otherwise copy it whole.
CHUNK_ROWS = 65536


class SingularDesignError(ValueError):
    """The design matrix does not have full column rank, so the fit is not identified."""


class ConvergenceWarning(RuntimeWarning):
    """An iterative step did not converge; the fit was repaired and is still an exact optimum."""


@dataclass(frozen=True)
class QuantRegResult:
    """Coefficients of a quantile regression fitted at several quantiles.

    Attributes
    ----------
    coef : ndarray, shape (p, m)
        One column of coefficients per tau, in the order of ``taus``.
    taus : ndarray, shape (m,)
    objective : ndarray, shape (m,)
        ``sum_i rho_tau(y_i - X_i b)`` at the solution, per tau.
    method : str
        The solver used (``"auto"`` is resolved to the method it ran).
    """

    coef: FloatArray
    taus: FloatArray
    objective: FloatArray
    method: str


def rq_objective(X: FloatArray, y: FloatArray, coef: FloatArray, taus: FloatArray) -> FloatArray:
    """``sum_i rho_tau(y_i - X_i b_tau)`` for each column of ``coef``."""
    out = np.zeros(coef.shape[1])
    step = max(1, CHUNK_ROWS * 16 // max(1, coef.shape[1]))  # about a million residuals a block
    for start in range(0, X.shape[0], step):
        resid = y[start : start + step, None] - X[start : start + step] @ coef
        out += np.sum(resid * np.where(resid >= 0, taus, taus - 1.0), axis=0)
    return out


def design_rank(X: FloatArray) -> int:
    """Numerical rank of ``X`` with ``numpy.linalg.matrix_rank``'s tolerance.

    The singular values come from the ``R`` of a blockwise QR (TSQR), so a tall ``X`` is never
    copied whole.
    """
    n, p = X.shape
    r = np.zeros((0, p))
    for start in range(0, n, CHUNK_ROWS):
        block = np.vstack([r, X[start : start + CHUNK_ROWS]])
        r = qr(block, mode="r", overwrite_a=True, check_finite=False)[0][: min(p, block.shape[0])]
    sv = np.linalg.svd(r, compute_uv=False)
    if sv.size == 0 or sv[0] == 0.0:
        return 0
    return int(np.count_nonzero(sv > sv[0] * max(n, p) * np.finfo(np.float64).eps))


def check_design(
    X: npt.ArrayLike, y: npt.ArrayLike, taus: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate and convert the inputs; raise with a message that says what is wrong."""
    Xa = np.asarray(X, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    ta = np.atleast_1d(np.asarray(taus, dtype=np.float64))
    if Xa.ndim != 2:
        raise ValueError(f"X must be a 2-d array, got {Xa.ndim} dimensions")
    n, p = Xa.shape
    if p == 0:
        raise ValueError("X must have at least one column")
    if ya.shape != (n,):
        raise ValueError(f"y must have shape ({n},) to match X, got {ya.shape}")
    if ta.ndim != 1 or ta.size == 0:
        raise ValueError(f"taus must be a non-empty 1-d sequence, got shape {ta.shape}")
    if not (np.all(np.isfinite(Xa)) and np.all(np.isfinite(ya))):
        raise ValueError("X and y must be finite (no NaN or infinity)")
    if not np.all((ta > 0.0) & (ta < 1.0)):
        raise ValueError("every tau must be strictly between 0 and 1")
    if n < p:
        raise SingularDesignError(
            f"{n} observations cannot identify {p} coefficients: at least {p} are needed"
        )
    rank = design_rank(Xa)
    if rank < p:
        raise SingularDesignError(f"singular design matrix: rank {rank} < {p} columns")
    return Xa, ya, ta


def collapse_duplicates(
    X: FloatArray, y: FloatArray, *, max_fraction: float = 0.75
) -> tuple[FloatArray, FloatArray, FloatArray] | None:
    """Merge identical rows of ``[X, y]`` into one row weighted by its count.

    An exact transformation of the LP: the same optimal set and the same vertices. Returns
    ``(X_unique, y_unique, counts)``, or ``None`` when fewer than ``1 - max_fraction`` of the rows
    are duplicates (not worth the copy).
    """
    n, p = X.shape
    rng = np.random.default_rng(20240607)
    key = X @ rng.standard_normal(p) + y * rng.standard_normal()
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    new_group = np.empty(n, dtype=bool)
    new_group[:1] = True
    np.not_equal(sorted_key[1:], sorted_key[:-1], out=new_group[1:])
    starts = np.flatnonzero(new_group)
    if starts.size > max_fraction * n:
        return None
    first = order[starts]  # the stable sort makes each group's first member its first row
    counts = np.diff(np.append(starts, n))
    inverse = np.empty(n, dtype=np.intp)
    inverse[order] = np.cumsum(new_group) - 1
    Xu, yu = X[first], y[first]
    for start in range(0, n, CHUNK_ROWS):  # equal keys must be equal rows, not a collision
        sl = slice(start, start + CHUNK_ROWS)
        inv = inverse[sl]
        if not (np.array_equal(Xu[inv], X[sl]) and np.array_equal(yu[inv], y[sl])):
            return None
    return Xu, yu, counts.astype(np.float64)


def fit_taus(
    X: npt.ArrayLike, y: npt.ArrayLike, taus: npt.ArrayLike, *, method: str = "auto"
) -> QuantRegResult:
    """Fit ``y ~ X`` at every tau.

    Parameters
    ----------
    X : array_like, shape (n, p)
        The design, including any intercept column.
    y : array_like, shape (n,)
    taus : array_like, shape (m,)
        Quantiles strictly between 0 and 1, in any order.
    method : {"auto", "pk", "simplex", "fn", "highs", "highs-dual"}
        Every method returns an exact LP optimum at a vertex (the fit interpolates ``p``
        observations), like quantreg's ``"br"``; where the optimum is not unique, methods may
        return different optimal vertices.

        - ``"auto"`` (default): the fastest exact method, currently ``"pk"``.
        - ``"pk"``: Portnoy–Koenker globbing around a prediction from the neighbouring taus, the
          small subproblem solved by Frisch–Newton and finished by a dual simplex, every fit
          certified optimal for the full data (see ``quantreg.pk``). Below 2,000 rows, the
          ``"simplex"`` method.
        - ``"simplex"``: a dual simplex on all rows, warm-started from the previous tau's basis.
        - ``"fn"``: each tau on its own: Frisch–Newton interior point on all rows (like
          ``quantreg``'s ``"fn"``), then the exact vertex by the dual simplex from the basis
          nearest the interior solution.
        - ``"highs"``: one primal LP per tau with scipy's HiGHS, the reference (slow beyond a few
          thousand rows).
        - ``"highs-dual"``: the dual LP (``p`` rows) with HiGHS; the same vertices, far faster.

        The methods other than HiGHS first merge identical rows of ``[X, y]`` into weighted rows.

    Returns
    -------
    QuantRegResult

    Raises
    ------
    ValueError
        Unknown method, malformed or non-finite input, tau outside (0, 1).
    SingularDesignError
        ``X`` does not have full column rank (the message gives the rank).

    Warns
    -----
    ConvergenceWarning
        The interior point failed with no neighbouring basis to start the simplex from, or the
        simplex failed and HiGHS finished that tau. The fit is an exact optimum either way.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")
    Xa, ya, ta = check_design(X, y, taus)
    used = AUTO_METHOD if method == "auto" else method
    if used in ("highs", "highs-dual"):
        from turnaround.analytics.quantreg.highs import fit_highs, fit_highs_dual

        coef = fit_highs(Xa, ya, ta) if used == "highs" else fit_highs_dual(Xa, ya, ta)
    else:
        from turnaround.analytics.quantreg.pk import fit_fn, fit_pk

        collapsed = collapse_duplicates(Xa, ya)
        Xs, ys, ws = collapsed if collapsed else (Xa, ya, np.ones(ya.size))
        if used == "fn":
            coef = fit_fn(Xs, ys, ws, ta)
        else:
            coef = fit_pk(Xs, ys, ws, ta, glob=False if used == "simplex" else None)[0]
    return QuantRegResult(coef=coef, taus=ta, objective=rq_objective(Xa, ya, coef, ta), method=used)
