"""The unit of work sent to an executor: every order of one cohort, all 100 taus.

``fit_cohort`` is a top-level function of picklable arguments, so a ``ProcessPoolExecutor`` and a
Dask ``Client.get_executor()`` can both run it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from turnaround.analytics.growth.cohorts import Cohort
from turnaround.analytics.growth.design import design_matrix, n_coefficients
from turnaround.analytics.growth.errors import CohortSizeError, SingularCohortError
from turnaround.analytics.growth.knots import Knots
from turnaround.analytics.growth.sgp import TAUS, percentiles
from turnaround.analytics.quantreg import ConvergenceWarning, SingularDesignError, fit_taus

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class CohortWork:
    """Everything one cohort's fits need.

    Attributes
    ----------
    label : str
        Names the cohort in error messages, e.g. ``"READING 2023_2024 grade 5 (3-4-5)"``.
    cohort : Cohort
        Cohort_1 in wide form; order k uses the rows with k priors.
    knots : tuple of Knots
        One per prior, most recent first (at least ``max(orders)``).
    orders : tuple of int
        The orders to fit.
    method : str
        Passed to ``fit_taus``.
    score : bool
        Also compute the in-sample SGPs (False for a baseline fit).
    """

    label: str
    cohort: Cohort
    knots: tuple[Knots, ...]
    orders: tuple[int, ...]
    method: str
    score: bool = True


@dataclass(frozen=True, eq=False)
class CohortFit:
    """``coef[i]``: the (1+7k) × 100 matrix of ``orders[i]``; ``sgp_by_order``: (n, m), 0 = none.

    ``notes``: the solver's ``ConvergenceWarning`` messages, prefixed with the cohort and order,
    returned instead of printed (a pool worker's stderr is nobody's log).
    """

    orders: tuple[int, ...]
    coef: tuple[FloatArray, ...]
    sgp_by_order: IntArray
    notes: tuple[str, ...] = ()


def fit_cohort(work: CohortWork) -> CohortFit:
    """Fit the 100 quantile regressions of every order of one cohort, and score its students."""
    cohort = work.cohort
    n, m = cohort.priors.shape
    sgp = np.zeros((n, m), dtype=np.int64)
    coefs = []
    notes: list[str] = []
    for k in work.orders:
        rows = cohort.member(k)
        size, p = int(rows.sum()), n_coefficients(k)
        if size < p:
            raise CohortSizeError(
                f"{work.label}: order {k} needs at least p = {p} students, found {size}"
            )
        X = design_matrix(cohort.priors[rows, :k], work.knots[:k])
        y = cohort.y[rows]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            try:
                fit = fit_taus(X, y, TAUS, method=work.method)
            except SingularDesignError as exc:
                raise SingularCohortError(f"{work.label}, order {k}: {exc}") from None
        for w in caught:
            if issubclass(w.category, ConvergenceWarning):
                notes.append(f"{work.label}, order {k}: {w.message}")
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        coefs.append(np.ascontiguousarray(fit.coef, dtype=np.float64))
        if work.score:
            sgp[rows, k - 1] = percentiles(X @ fit.coef, y)
    return CohortFit(orders=work.orders, coef=tuple(coefs), sgp_by_order=sgp, notes=tuple(notes))
