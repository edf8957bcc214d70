"""The design matrix of order k: intercept, then 7 spline columns per prior, most recent first."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from turnaround.analytics.growth.bspline import N_COLUMNS, bs_basis
from turnaround.analytics.growth.knots import Knots

FloatArray = npt.NDArray[np.float64]


def n_coefficients(order: int) -> int:
    """``p = 1 + 7k`` columns for ``k`` priors."""
    return 1 + N_COLUMNS * order


def design_matrix(priors: FloatArray, knots: Sequence[Knots]) -> FloatArray:
    """``[1, bs(x_1), …, bs(x_k)]`` (sgp.md §3).

    Parameters
    ----------
    priors : ndarray, shape (n, k)
        Prior scores, column ``j-1`` holding ``x_j`` (the most recent prior first).
    knots : sequence of k Knots
        The knots of each prior's grade, in the same order.
    """
    x = np.asarray(priors, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != len(knots):
        raise ValueError(f"priors must have one column per knot set ({len(knots)}), got {x.shape}")
    blocks = [np.ones((x.shape[0], 1), dtype=np.float64)]
    for j, k in enumerate(knots):
        blocks.append(bs_basis(x[:, j], k.knots, k.boundaries))
    return np.hstack(blocks)
