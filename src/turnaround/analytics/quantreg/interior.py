"""Frisch–Newton interior point for one quantile (Portnoy & Koenker 1997, as in ``rq.fit.fnb``).

It solves the bounded dual LP of :mod:`~turnaround.analytics.quantreg.simplex` written with
``d = a - (tau - 1) w`` in ``[0, w]``:

    min_d  -y'd   s.t.  X'd = (1 - tau) X'w - g,   0 <= d <= w,

by Mehrotra's predictor–corrector, from the feasible interior start ``d = (1 - tau) w`` when
``g = 0`` and from the centre ``d = w / 2`` (infeasible) otherwise. The equality multipliers are
``-b``. The result is near optimal, not a vertex; the exact methods use it only to choose a
starting basis for the simplex, so it may also stop where it stalls close to the optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.linalg import cho_solve

FloatArray = npt.NDArray[np.float64]

STEP_FRACTION = 0.99995  # rq.fit.fnb's beta
#: Starting dual slacks are shifted off zero by this multiple of the residual scale.
SHIFT_FEASIBLE = 1e-3
SHIFT_INFEASIBLE = 1.0
#: After this many iterations, an infeasibility above half its start means an infeasible LP,
#: and a duality gap below ``USABLE_GAP`` that did not halve over the last ``STALL_WINDOW``
#: iterations a stall.
STALL_ITERATIONS = 25
STALL_WINDOW = 10
#: A stalled iterate this close to the optimum (relative gap) still gives a good starting basis.
USABLE_GAP = 1e-2
#: A duality gap this many times the objective scale means the iterates diverge.
DIVERGED = 1e4


@dataclass(frozen=True)
class InteriorSolution:
    """An approximate solution.

    Attributes
    ----------
    coef : ndarray, shape (p,)
    dual : ndarray, shape (m,)
        ``d`` in ``[0, w]``; near ``w`` for observations above the fit, near 0 below.
    iterations : int
    status : {"converged", "stalled", "max_iter", "diverged", "singular"}
        ``"converged"``: the relative duality gap and infeasibility fell below the tolerance.
        ``"stalled"``: progress stalled (as on heavily degenerate problems) within
        ``USABLE_GAP`` of the optimum, close enough to hand over to the simplex.
        ``"max_iter"``: stopped by the iteration limit.
        ``"diverged"``: the duality gap grew without bound, or the infeasibility stalled, the
        signs of an infeasible LP (an unbounded quantile regression, possible for a subproblem
        whose band is too narrow).
        ``"singular"``: ``X'QX`` lost positive definiteness (rank-deficient rows).
    """

    coef: FloatArray
    dual: FloatArray
    iterations: int
    status: str

    @property
    def converged(self) -> bool:
        return self.status == "converged"


@dataclass(frozen=True)
class _Iterate:
    """One Newton system of the predictor–corrector: the factorised ``X'QX`` and the iterate."""

    X: FloatArray
    xq: FloatArray  # X scaled by q row-wise
    chol: FloatArray  # Cholesky factor of X'QX
    q: FloatArray
    d: FloatArray
    s: FloatArray
    z: FloatArray
    u: FloatArray
    rp: FloatArray
    rd: FloatArray

    def direction(
        self, rho_z: FloatArray, rho_u: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Newton step ``(dd, dlam, dz, du)`` for complementarity targets ``rho_z, rho_u``."""
        t = rho_z / self.d - rho_u / self.s - self.rd
        rhs = self.rp - self.xq.T @ t
        dlam = np.asarray(cho_solve((self.chol, True), rhs, check_finite=False), dtype=np.float64)
        dd = self.q * (self.X @ dlam + t)
        dz = (rho_z - self.z * dd) / self.d
        du = (rho_u + self.u * dd) / self.s
        return dd, dlam, dz, du


def _step(x: FloatArray, dx: FloatArray) -> float:
    """Largest ``alpha <= 1`` keeping ``x + alpha dx >= 0`` (times the step fraction)."""
    # min over dx < 0 of x / -dx, as the max of -dx / x (x > 0): one pass, no masks
    worst = float(np.max(-dx / x))
    return 1.0 if worst <= STEP_FRACTION else STEP_FRACTION / worst


def frisch_newton(
    X: FloatArray,
    y: FloatArray,
    w: FloatArray,
    tau: float,
    g: FloatArray,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> InteriorSolution:
    """Mehrotra predictor–corrector for the dual above.

    Parameters
    ----------
    X, y, w : ndarrays, shapes (m, p), (m,), (m,)
    tau : float
    g : ndarray, shape (p,)
        Fixed dual contribution of observations outside the problem (zeros for a plain fit).
    tol : float
        Relative duality gap and infeasibility at which to stop.
    max_iter : int

    Returns
    -------
    InteriorSolution
    """
    m, p = X.shape
    b = (1.0 - tau) * (X.T @ w) - g
    c = -y
    # Feasible start (rq.fit.fnb) for a plain fit; with globbed rows the start is infeasible
    # anyway and the subproblem's rows split about evenly around the fit, so start centred.
    d = (1.0 - tau) * w if not np.any(g) else 0.5 * w
    s = w - d
    gram = X.T @ X
    lam = np.linalg.solve(gram + 1e-12 * np.trace(gram) / p * np.eye(p), X.T @ c)
    rc = c - X @ lam
    # Dual slacks from the least-squares residuals, shifted off zero. From the feasible start a
    # small shift suffices (rq.fit.fnb); an infeasible start needs room to move, so its
    # complementarity products start at the residual scale (Mehrotra's heuristic in spirit).
    spread = max(float(np.mean(np.abs(rc))), 1e-3 * float(np.mean(np.abs(y))), 1e-8)
    shift = (SHIFT_INFEASIBLE if np.any(g) else SHIFT_FEASIBLE) * spread
    z = np.maximum(rc, 0.0) + shift
    u = np.maximum(-rc, 0.0) + shift
    scale = 1.0 + float(np.abs(c) @ w)
    bnorm = 1.0 + float(np.linalg.norm(b))
    it = 0
    status = "max_iter"
    gaps: list[float] = []
    while it < max_iter:
        rp = b - X.T @ d
        rd = c - X @ lam - z + u
        gap = float(d @ z + s @ u)
        if gap < tol * scale and np.linalg.norm(rp) < tol * bnorm:
            status = "converged"
            break
        if not gap < DIVERGED * scale:  # also catches NaN
            status = "diverged"
            break
        infeas = float(np.linalg.norm(rp))
        gaps.append(gap / scale)
        if it == 0:
            infeas0 = infeas
        elif it >= STALL_ITERATIONS and infeas > 0.5 * infeas0 > tol * bnorm:
            status = "diverged"
            break
        elif (
            it >= STALL_ITERATIONS
            and gaps[-1] > 0.5 * gaps[-1 - STALL_WINDOW]
            and gaps[-1] < USABLE_GAP
            and infeas < USABLE_GAP * bnorm
        ):
            status = "stalled"
            break
        it += 1
        q = 1.0 / (z / d + u / s)
        xq = X * q[:, None]
        try:
            chol = np.asarray(np.linalg.cholesky(X.T @ xq), dtype=np.float64)  # lower
        except np.linalg.LinAlgError:
            status = "singular"
            break
        it_state = _Iterate(X, xq, chol, q, d, s, z, u, rp, rd)

        # predictor (affine scaling)
        dd, dlam, dz, du = it_state.direction(-d * z, -s * u)
        ap = min(_step(d, dd), _step(s, -dd))
        ad = min(_step(z, dz), _step(u, du))
        mu = gap / (2 * m)
        gap_aff = float((d + ap * dd) @ (z + ad * dz) + (s - ap * dd) @ (u + ad * du))
        sigma = (gap_aff / gap) ** 3
        # corrector with centring
        rho_z = sigma * mu - d * z - dd * dz
        rho_u = sigma * mu - s * u + dd * du
        dd, dlam, dz, du = it_state.direction(rho_z, rho_u)
        ap = min(_step(d, dd), _step(s, -dd))
        ad = min(_step(z, dz), _step(u, du))
        d = d + ap * dd
        s = s - ap * dd
        lam = lam + ad * dlam
        z = z + ad * dz
        u = u + ad * du
    return InteriorSolution(coef=-lam, dual=d, iterations=it, status=status)
