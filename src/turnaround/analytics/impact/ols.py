"""OLS with one absorbed fixed effect, explicit nuisance dummies and a CR1 cluster sandwich.

The regression ``y = X b + N g + a_{absorb} + e`` is fitted by the Frisch–Waugh–Lovell theorem:
every column is demeaned within the absorbed groups (the school-by-stack fixed effects), the
nuisance columns ``N`` (the year-by-stack dummies) are projected out, and ``b`` is the OLS of the
residualised ``y`` on the residualised ``X``. The residuals and the ``b`` block of the sandwich are
then exactly those of the full dummy-variable regression, so the result equals R's
``lm(y ~ X + factor(absorb) + N)`` with ``sandwich::vcovCL``.

Several outcome columns with the same design are fitted at once (``y`` of shape ``(n, m)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import sparse

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

FixefK = Literal["nested", "full"]
FIXEF_K: tuple[FixefK, ...] = ("nested", "full")

#: Relative size below which a singular value counts as zero.
RANK_TOL = 1e-10


class CollinearError(ValueError):
    """A column of interest is a linear combination of the others and the fixed effects."""

    def __init__(self, columns: tuple[int, ...]) -> None:
        super().__init__(f"collinear columns {columns}")
        self.columns = columns


@dataclass(frozen=True, eq=False)
class ClusterFit:
    """Coefficients and CR1 covariance of the columns of interest, for ``m`` outcomes.

    Attributes
    ----------
    coef : ndarray, shape (p, m)
    vcov : ndarray, shape (m, p, p)
        ``G/(G-1) * (N-1)/(N-K) * bread @ meat @ bread``.
    n_obs, n_params, n_clusters : int
        ``N``, ``K`` (as counted by ``fixef_k``) and ``G``.
    df : int
        ``G - 1``, the degrees of freedom of the t and F reference distributions.
    """

    coef: FloatArray
    vcov: FloatArray
    n_obs: int
    n_params: int
    n_clusters: int
    df: int


def _indicator(codes: IntArray, levels: int) -> sparse.csr_matrix:
    n = codes.shape[0]
    return sparse.csr_matrix((np.ones(n), (np.arange(n), codes)), shape=(n, levels))


def _demean(
    a: FloatArray, ind: sparse.csr_matrix, counts: FloatArray, codes: IntArray
) -> FloatArray:
    means = np.asarray(ind.T @ a, dtype=np.float64) / counts[:, None]
    return np.asarray(a - means[codes], dtype=np.float64)


def cluster_ols(
    y: FloatArray,
    X: FloatArray,
    *,
    absorb: IntArray,
    nuisance: FloatArray,
    clusters: IntArray,
    n_strata: int,
    fixef_k: FixefK = "nested",
) -> ClusterFit:
    """Fit ``y = X b + nuisance g + a_{absorb} + e`` and the CR1 cluster covariance of ``b``.

    Parameters
    ----------
    y : ndarray, shape (n, m)
    X : ndarray, shape (n, p)
        Columns of interest.
    absorb : ndarray of int, shape (n,)
        Codes ``0 … A-1`` of the absorbed fixed effect; each level must lie inside one cluster
        for ``fixef_k="nested"`` to be meaningful.
    nuisance : ndarray, shape (n, L)
        Other fixed-effect dummies (may be rank deficient after demeaning; the rank is used).
    clusters : ndarray of int, shape (n,)
        Codes ``0 … G-1``.
    n_strata : int
        Number of separate intercepts implied by the absorbed effect (the stacks); with
        ``fixef_k="nested"``, ``K = rank(nuisance) + p + n_strata`` — the absorbed effects are
        nested in the clusters and not counted, as in Stata's ``xtreg, fe vce(cluster)`` and
        fixest's default. With ``"full"``, ``K = A + rank(nuisance) + p``, the column count of
        the dummy-variable regression, as ``lm`` + ``sandwich::vcovCL(type = "HC1")`` counts.

    Raises
    ------
    CollinearError
        Some columns of ``X`` are not identified.
    """
    n, p = X.shape
    n_abs = int(absorb.max()) + 1
    n_clu = int(clusters.max()) + 1
    ind = _indicator(absorb, n_abs)
    counts = np.bincount(absorb, minlength=n_abs).astype(np.float64)
    yd = _demean(y, ind, counts, absorb)
    Xd = _demean(X, ind, counts, absorb)
    rank_n = 0
    if nuisance.shape[1]:
        Nd = _demean(nuisance, ind, counts, absorb)
        u, s, _ = np.linalg.svd(Nd, full_matrices=False)
        rank_n = int(np.count_nonzero(s > RANK_TOL * max(float(s[0]), 1.0))) if s.size else 0
        basis = u[:, :rank_n]
        yd = yd - basis @ (basis.T @ yd)
        Xd = Xd - basis @ (basis.T @ Xd)
    norms = np.sqrt(np.sum(X * X, axis=0))
    zero = (norms == 0.0) | (np.sqrt(np.sum(Xd * Xd, axis=0)) <= 1e-9 * norms)
    if zero.any():
        raise CollinearError(tuple(int(j) for j in np.flatnonzero(zero)))
    xtx = Xd.T @ Xd
    sv = np.linalg.svd(xtx, compute_uv=False)
    if sv[-1] <= RANK_TOL * sv[0]:
        raise CollinearError(tuple(range(p)))
    bread = np.linalg.inv(xtx)
    coef = bread @ (Xd.T @ yd)
    resid = yd - Xd @ coef
    cind = _indicator(clusters, n_clu)
    # scores[g, j, k] = sum over rows of cluster g of Xd[:, j] * resid[:, k]
    scores = np.stack(
        [np.asarray(cind.T @ (Xd[:, [j]] * resid), dtype=np.float64) for j in range(p)], axis=1
    )
    meat = np.einsum("gjk,glk->kjl", scores, scores)
    k_params = rank_n + p + (n_strata if fixef_k == "nested" else n_abs)
    if n - k_params <= 0 or n_clu < 2:
        raise CollinearError(tuple(range(p)))
    adj = n_clu / (n_clu - 1) * (n - 1) / (n - k_params)
    vcov = adj * np.einsum("ij,kjl,lm->kim", bread, meat, bread)
    return ClusterFit(
        coef=np.asarray(coef, dtype=np.float64),
        vcov=np.asarray(vcov, dtype=np.float64),
        n_obs=n,
        n_params=k_params,
        n_clusters=n_clu,
        df=n_clu - 1,
    )
