"""What a growth run returns: the students' SGPs, the coefficient matrices and the tasks run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from turnaround.analytics.growth.knots import Knots

if TYPE_CHECKING:
    from turnaround.analytics.growth.engine import CohortTask


@dataclass(frozen=True, eq=False)
class CoefficientMatrix:
    """The 100 fitted quantile regressions of one order of one progression.

    Attributes
    ----------
    content_area, year, grade : str
        ``year`` is the analysis year, or ``"BASELINE"`` for a baseline fit; ``grade`` is the
        current grade ``g_0``.
    order : int
        Number of priors ``k``.
    progression : tuple of str
        The ``k + 1`` grades, oldest → current.
    coef : ndarray, shape (1 + 7k, 100)
        Rows: intercept, the 7 spline columns of the most recent prior, then older priors; one
        column per tau 0.005 … 0.995.
    knots : tuple of Knots
        One per prior, **most recent first** (the order of the design's column blocks).
    """

    content_area: str
    year: str
    grade: str
    order: int
    progression: tuple[str, ...]
    coef: npt.NDArray[np.float64]
    knots: tuple[Knots, ...]


@dataclass(frozen=True, eq=False)
class SGPResult:
    """Cohort-referenced SGPs.

    Attributes
    ----------
    frame : DataFrame
        One row per student scored: ``CONTENT_AREA, YEAR, ID, GRADE, SGP`` (int 1…99),
        ``SGP_ORDER`` (the order used), ``SGP_ORDER_1 … SGP_ORDER_K`` (nullable Int64),
        ``SGP_NORM_GROUP``, ``SCALE_SCORE_PRIOR``, ``SCALE_SCORE_PRIOR_STANDARDIZED``.
    coefficients : tuple of CoefficientMatrix
        One per task and order.
    tasks : tuple of CohortTask
        The tasks run, with ``input_hash`` for the method actually used.
    notes : tuple of str
        What the solver repaired on the way (a ``ConvergenceWarning`` per cohort, order and tau,
        e.g. an interior point that stalled before the simplex finished exactly), for the log.
        The fits are exact LP optima all the same.
    """

    frame: pd.DataFrame
    coefficients: tuple[CoefficientMatrix, ...]
    tasks: tuple[CohortTask, ...]
    notes: tuple[str, ...] = ()
