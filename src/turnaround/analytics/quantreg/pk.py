"""Exact fits for many taus: globbing, a small exact subproblem, certified vertices.

For each tau in increasing order:

1. **Predict** the residuals at this tau by extrapolating the exact residuals of the two previous
   taus linearly (the first tau uses a Frisch–Newton fit on a random subsample of
   ``sqrt(p) n^(2/3)`` rows, as in Portnoy & Koenker 1997).
2. **Glob** (Portnoy–Koenker preprocessing): rows whose predicted residual, divided by the row's
   leverage scale ``sqrt(x_i'(X'WX)^{-1}x_i)``, lies outside a band around the tau-th weighted
   quantile are assumed to stay above (below) the fit. They enter only through the fixed dual
   contribution ``g = sum_above tau w x + sum_below (tau - 1) w x``. The band's width is adapted
   from how far, in quantile levels, the rows that changed side at the last taus lay.
3. **Solve** the subproblem (the rows inside the band, a few thousand) exactly: a Frisch–Newton
   interior point, then the dual simplex of :mod:`~turnaround.analytics.quantreg.simplex` from the
   basis nearest the interior solution (usually already optimal; if the interior point fails, as
   it can on heavily degenerate rows, from the previous tau's optimal basis). With
   ``start="warm"`` the simplex always starts from the previous tau's basis.
4. **Check** every globbed row against the exact fit. Each globbed term was replaced by a linear
   lower bound of its check function that is tight on the assumed side, so a fit that leaves every
   globbed row on its side (or on the fit) is optimal for the full problem. Rows on the wrong side
   join the subproblem and step 3 resumes from the current basis.

Below ``GLOB_MIN_ROWS`` rows the subproblem is the whole data set and steps 2 and 4 are skipped.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from turnaround.analytics.quantreg.core import ConvergenceWarning
from turnaround.analytics.quantreg.interior import frisch_newton
from turnaround.analytics.quantreg.simplex import (
    SimplexError,
    Vertex,
    basis_near,
    column_mass,
    dual_simplex,
    resid_tol,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

GLOB_MIN_ROWS = 2_000
SEED = 314159
STARTS = ("ip", "warm")  # see fit_pk
#: Rows of a random sample used to place the band.
SAMPLE_ROWS = 10_000
#: The next band is this multiple of the widest band needed over the last ``BAND_MEMORY`` taus.
BAND_SAFETY = 1.5
BAND_MEMORY = 3
#: The band holds at least about this many rows per coefficient.
MIN_BAND_ROWS = 10
#: Relative duality gap at which the interior point hands over to the simplex.
IP_TOL = 1e-8
#: Pivots allowed per subproblem row before the simplex gives up.
MAX_PIVOTS_PER_ROW = 2.0


@dataclass(frozen=True)
class FitStats:
    """What the exact solver did, for benchmarks and tests.

    Attributes
    ----------
    pivots : int
        Dual simplex pivots over all taus.
    subproblem_rows : int
        Largest subproblem solved.
    rechecks : int
        Times globbed rows landed on the wrong side and joined the subproblem.
    fallbacks : int
        Taus solved by the fallback (a full-data fit) after the fast path failed.
    """

    pivots: int
    subproblem_rows: int
    rechecks: int
    fallbacks: int


def pilot_size(n: int, p: int) -> int:
    """Portnoy–Koenker subsample size ``sqrt(p) n^(2/3)`` (at least ``50 p``, at most ``n``)."""
    return int(min(n, max(50 * p, np.ceil(np.sqrt(p) * n ** (2.0 / 3.0)))))


def _max_pivots(m: int, p: int) -> int:
    return int(MAX_PIVOTS_PER_ROW * m + 20 * p + 100)


def _vertex_from_ip(
    X: FloatArray,
    y: FloatArray,
    w: FloatArray,
    tau: float,
    g: FloatArray,
    rtol: float,
    mass: FloatArray,
    warm: tuple[IntArray, BoolArray] | None = None,
) -> Vertex:
    """Frisch–Newton, then the dual simplex from the basis nearest the interior solution.

    If the interior point fails (it can stall on heavily degenerate rows), the simplex starts
    from ``warm`` (a neighbouring tau's optimal basis and bounds) when given, and otherwise from
    the basis nearest the last iterate, with a :class:`ConvergenceWarning`.
    """
    sol = frisch_newton(X, y, w, tau, g, tol=IP_TOL)
    basis, hint = None, sol.dual > 0.5 * w
    if sol.status in ("converged", "stalled"):
        basis = basis_near(X, y, sol.coef)
    elif warm is not None:
        basis, hint = warm
    elif sol.status in ("diverged", "singular") and np.any(g):
        # A subproblem with an infeasible dual (its band too narrow): the caller widens the band.
        raise SimplexError(f"subproblem unbounded or rank deficient (interior point {sol.status})")
    else:
        warnings.warn(
            f"Frisch-Newton failed at tau={tau} ({sol.status} after {sol.iterations} "
            "iterations); the simplex continues from the nearest vertex",
            ConvergenceWarning,
            stacklevel=4,
        )
        basis = basis_near(X, y, sol.coef)
    return dual_simplex(
        X,
        y,
        w,
        tau,
        g,
        basis,
        hint,
        rtol=rtol,
        mass=mass,
        max_pivots=_max_pivots(X.shape[0], X.shape[1]),
    )


def exact_full(
    X: FloatArray, y: FloatArray, w: FloatArray, tau: float, rtol: float, mass: FloatArray
) -> tuple[FloatArray, BoolArray, IntArray | None, int]:
    """One tau on all rows: ``_vertex_from_ip``, or HiGHS if the simplex fails.

    Returns ``(coef, upper, basis, pivots)``; ``basis`` is ``None`` after a HiGHS fallback.
    """
    try:
        vx = _vertex_from_ip(X, y, w, tau, np.zeros(X.shape[1]), rtol, mass)
    except SimplexError as exc:
        warnings.warn(
            f"the dual simplex failed at tau={tau} ({exc}); solved with HiGHS instead",
            ConvergenceWarning,
            stacklevel=3,
        )
        from turnaround.analytics.quantreg.highs import solve_dual_highs

        coef = solve_dual_highs(X, y, w, tau)
        return coef, y - X @ coef > 0, None, 0
    return vx.coef, vx.upper, vx.basis, vx.pivots


def fit_fn(X: FloatArray, y: FloatArray, w: FloatArray, taus: FloatArray) -> FloatArray:
    """Each tau on its own: Frisch–Newton on all rows, then an exact vertex (``exact_full``)."""
    rtol, mass = resid_tol(y), column_mass(X, w)
    out = np.empty((X.shape[1], taus.size))
    for j, tau in enumerate(taus):
        out[:, j] = exact_full(X, y, w, float(tau), rtol, mass)[0]
    return out


def fit_pk(
    X: FloatArray,
    y: FloatArray,
    w: FloatArray,
    taus: FloatArray,
    *,
    glob: bool | None = None,
    start: str | None = None,
) -> tuple[FloatArray, FitStats]:
    """All taus in increasing order (see the module docstring).

    Parameters
    ----------
    X, y, w : ndarrays, shapes (n, p), (n,), (n,)
        Rows, responses and positive weights (counts of collapsed duplicate rows).
    taus : ndarray, shape (m,)
    glob : bool, optional
        Force globbing on or off; by default on from ``GLOB_MIN_ROWS`` rows.
    start : {"ip", "warm"}, optional
        How each (sub)problem is started: from a Frisch–Newton solution, or from the previous
        tau's optimal basis. By default ``"ip"`` with globbing and ``"warm"`` without, the faster
        in each case (``benchmarks/quantreg_bench.py``).

    Returns
    -------
    coef : ndarray, shape (p, m)
    stats : FitStats
    """
    n = X.shape[0]
    if glob is None:
        glob = n >= GLOB_MIN_ROWS
    if start is None:
        start = "ip" if glob else "warm"
    if start not in STARTS:
        raise ValueError(f"unknown start {start!r}; allowed: {', '.join(STARTS)}")
    if not glob:
        return _fit_unglobbed(X, y, w, taus, start)
    return _Globbed(X, y, w, start).fit(taus)


def _fit_unglobbed(
    X: FloatArray, y: FloatArray, w: FloatArray, taus: FloatArray, start: str
) -> tuple[FloatArray, FitStats]:
    n, p = X.shape
    rtol, mass = resid_tol(y), column_mass(X, w)
    out = np.empty((p, taus.size))
    pivots = fallbacks = 0
    basis: IntArray | None = None
    upper = np.zeros(n, dtype=bool)
    zero = np.zeros(p)
    for j in np.argsort(taus, kind="stable"):
        tau = float(taus[j])
        try:
            if start == "warm" and basis is not None:
                vx = dual_simplex(
                    X,
                    y,
                    w,
                    tau,
                    zero,
                    basis,
                    upper,
                    rtol=rtol,
                    mass=mass,
                    max_pivots=_max_pivots(n, p),
                )
            else:
                vx = _vertex_from_ip(X, y, w, tau, zero, rtol, mass)
        except SimplexError:
            fallbacks += 1
            coef, upper, basis, piv = exact_full(X, y, w, tau, rtol, mass)
            pivots += piv
            out[:, j] = coef
            continue
        basis, upper = vx.basis, vx.upper
        pivots += vx.pivots
        out[:, j] = vx.coef
    return out, FitStats(pivots, n, 0, fallbacks)


def leverage_scale(X: FloatArray, w: FloatArray, chunk: int = 65536) -> FloatArray:
    """``sqrt(x_i' (X'WX)^{-1} x_i)`` per row: how far a change of the fit moves row ``i``."""
    gram = np.zeros((X.shape[1], X.shape[1]))
    for start in range(0, X.shape[0], chunk):
        xc = X[start : start + chunk]
        gram += xc.T @ (xc * w[start : start + chunk, None])
    low = np.linalg.cholesky(np.linalg.inv(gram))
    out = np.empty(X.shape[0])
    for start in range(0, X.shape[0], chunk):
        z = X[start : start + chunk] @ low
        out[start : start + chunk] = np.sqrt(np.einsum("ij,ij->i", z, z))
    return np.maximum(out, np.finfo(np.float64).tiny)


class _Globbed:
    """State carried from one tau to the next by the globbed solver."""

    def __init__(self, X: FloatArray, y: FloatArray, w: FloatArray, start: str) -> None:
        n, p = X.shape
        self.X, self.y, self.w, self.start = X, y, w, start
        self.Xf = np.asfortranarray(X)  # column-major: the full-data products are faster
        self.n, self.p = n, p
        self.rtol, self.mass = resid_tol(y), column_mass(X, w)
        self.rng = np.random.default_rng(SEED)
        self.sample = np.sort(self.rng.choice(n, size=min(n, SAMPLE_ROWS), replace=False))
        self.scale = leverage_scale(X, w)
        self.zero_u = self.rtol / float(np.min(self.scale))  # |r| <= rtol implies |u| <= this
        self.total = X.T @ w  # sum_i w_i x_i
        self.below = np.zeros(n, dtype=bool)  # rows globbed below the fit
        self.below_sum = np.zeros(p)  # sum over them of w_i x_i
        self.min_band = MIN_BAND_ROWS * p / n
        self.band = pilot_size(n, p) / n
        self.needed: list[float] = []
        self.basis: IntArray | None = None  # global rows of the last optimal basis
        self.upper = np.zeros(n, dtype=bool)
        self.pivots = self.rechecks = self.fallbacks = self.largest = 0

    def fit(self, taus: FloatArray) -> tuple[FloatArray, FitStats]:
        out = np.empty((self.p, taus.size))
        hist: list[tuple[float, FloatArray]] = []  # (tau, exact residuals) of the last two taus
        for j in np.argsort(taus, kind="stable"):
            tau = float(taus[j])
            if not hist:
                r_hat = self._pilot_residuals(tau)
            elif len(hist) == 1:
                r_hat = hist[0][1]
                self.band = max(self.band, BAND_SAFETY * abs(tau - hist[0][0]))
            else:
                (t1, r1), (t2, r2) = hist
                c = (tau - t2) / (t2 - t1) if t2 > t1 else 0.0
                r_hat = (1.0 + c) * r2 - c * r1
                if len(self.needed) == 0:  # first extrapolated step
                    self.band = max(self.min_band, 0.5 * abs(tau - t2))
            coef, r_star = self._one_tau(tau, r_hat)
            out[:, j] = coef
            hist = [*hist[-1:], (tau, r_star)]
        stats = FitStats(self.pivots, self.largest, self.rechecks, self.fallbacks)
        return out, stats

    def _pilot_residuals(self, tau: float) -> FloatArray:
        pilot = np.sort(self.rng.choice(self.n, size=pilot_size(self.n, self.p), replace=False))
        X, y, w = self.X[pilot], self.y[pilot], self.w[pilot]
        sol = frisch_newton(X, y, w, tau, np.zeros(self.p), tol=1e-6)
        return np.asarray(self.y - self.Xf @ sol.coef, dtype=np.float64)

    def _one_tau(self, tau: float, r_hat: FloatArray) -> tuple[FloatArray, FloatArray]:
        u_hat = r_hat / self.scale
        o = np.argsort(u_hat[self.sample])
        u_sorted = u_hat[self.sample][o]
        cw = np.cumsum(self.w[self.sample][o])
        vx: tuple[FloatArray, FloatArray] | None = None
        for _attempt in range(4):
            try:
                vx = self._solve_band(tau, u_hat, _limits(u_sorted, cw, tau, self.band))
                break
            except SimplexError:  # the band was too narrow: the subproblem is unbounded
                self.band = min(0.5, 4.0 * self.band)
        if vx is None:
            self.fallbacks += 1
            coef, self.upper, self.basis, piv = exact_full(
                self.X, self.y, self.w, tau, self.rtol, self.mass
            )
            self.pivots += piv
            r_star = np.asarray(self.y - self.Xf @ coef, dtype=np.float64)
        else:
            coef, r_star = vx
        # How wide the band had to be: the quantile levels of the rows that changed side.
        rt = self.rtol
        moved = np.flatnonzero(np.where(r_hat > 0, r_star < -rt, (r_hat < 0) & (r_star > rt)))
        pos = np.clip(np.searchsorted(u_sorted, u_hat[moved]), 0, cw.size - 1)
        far = float(np.max(np.abs(cw[pos] / cw[-1] - tau), initial=0.0))
        self.needed = [*self.needed[-(BAND_MEMORY - 1) :], far]
        self.band = max(self.min_band, BAND_SAFETY * max(self.needed))
        return coef, r_star

    def _solve_band(
        self, tau: float, u_hat: FloatArray, limits: tuple[float, float]
    ) -> tuple[FloatArray, FloatArray]:
        """Steps 2 to 4: ``(coef, exact residuals)``; raises SimplexError if unbounded."""
        X, y, w, p = self.X, self.y, self.w, self.p
        # Rows predicted on the fit, up to rounding, are never globbed: with many rows on one
        # hyperplane the band would otherwise cut through them by the noise of their residuals.
        lo, hi = min(limits[0], -self.zero_u), max(limits[1], self.zero_u)
        in_f = (u_hat >= lo) & (u_hat <= hi)
        if self.basis is not None:
            in_f[self.basis] = True
        below = (u_hat < lo) & ~in_f
        self._update_below(below)
        rows = np.flatnonzero(in_f)
        Xs, ys, ws = X[rows], y[rows], w[rows]
        g = tau * (self.total - Xs.T @ ws) - self.below_sum
        if self.start == "warm" and self.basis is not None:
            vx = dual_simplex(
                Xs,
                ys,
                ws,
                tau,
                g,
                np.searchsorted(rows, self.basis).astype(np.intp),
                self.upper[rows],
                rtol=self.rtol,
                mass=self.mass,
                max_pivots=_max_pivots(rows.size, p),
            )
        else:
            warm = None
            if self.basis is not None:
                warm = (np.searchsorted(rows, self.basis).astype(np.intp), self.upper[rows])
            vx = _vertex_from_ip(Xs, ys, ws, tau, g, self.rtol, self.mass, warm)
        while True:
            self.pivots += vx.pivots
            self.largest = max(self.largest, rows.size)
            r = np.asarray(y - self.Xf @ vx.coef, dtype=np.float64)
            wrong = ~in_f & np.where(below, r > self.rtol, r < -self.rtol)
            if not np.any(wrong):
                break
            self.rechecks += 1
            basis, upper = rows[vx.basis], np.zeros(self.n, dtype=bool)
            upper[rows] = vx.upper
            upper[wrong] = r[wrong] > 0
            in_f |= wrong
            self._update_below(below & ~in_f)
            below = self.below
            rows = np.flatnonzero(in_f)
            Xs, ys, ws = X[rows], y[rows], w[rows]
            g = tau * (self.total - Xs.T @ ws) - self.below_sum
            vx = dual_simplex(
                Xs,
                ys,
                ws,
                tau,
                g,
                np.searchsorted(rows, basis).astype(np.intp),
                upper[rows],
                rtol=self.rtol,
                mass=self.mass,
                max_pivots=_max_pivots(rows.size, p),
            )
        self.basis = rows[vx.basis]
        self.upper = r > 0
        self.upper[rows] = vx.upper
        return vx.coef, r

    def _update_below(self, below: BoolArray) -> None:
        """Move ``below_sum`` to the new set of rows globbed below (only the changes are read)."""
        changed = np.flatnonzero(below != self.below)
        if changed.size > self.n // 8:
            self.below_sum = self.Xf.T @ np.where(below, self.w, 0.0)
        elif changed.size:
            sign = np.where(below[changed], 1.0, -1.0) * self.w[changed]
            self.below_sum = self.below_sum + self.X[changed].T @ sign
        self.below = below


def _limits(
    sorted_u: FloatArray, cum_w: FloatArray, tau: float, band: float
) -> tuple[float, float]:
    """Values at the weighted quantile levels ``tau -+ band`` (infinite beyond 0 and 1)."""
    levels = np.array([tau - band, tau + band])
    idx = np.clip(np.searchsorted(cum_w, levels * cum_w[-1], side="left"), 0, sorted_u.size - 1)
    lo = -np.inf if levels[0] <= 0.0 else float(sorted_u[idx[0]])
    hi = np.inf if levels[1] >= 1.0 else float(sorted_u[idx[1]])
    return lo, hi
