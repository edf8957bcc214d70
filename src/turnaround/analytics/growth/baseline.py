"""Baseline-referenced SGPs (sgp.md §9): fit once on a stacked cohort, score later years with it.

``baseline_fit`` stacks the cohort of one grade progression over several baseline years (each
baseline year is the *current* year of one window) and fits every order up to ``max_order``
(the package's default is 3) on the exact sub-progression of that order. The coefficient
matrices come back as plain arrays with their knots, to be stored and reused: ``baseline_score``
applies them to a later year's students — the steps of §6 with fixed matrices — so a year's
baseline SGPs need not spread evenly over 1…99.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import Executor

import numpy as np
import pandas as pd

from turnaround.analytics.growth.cohorts import (
    Cohort,
    build_cohort,
    progression_years,
    stack_cohorts,
)
from turnaround.analytics.growth.design import design_matrix, n_coefficients
from turnaround.analytics.growth.engine import DEFAULT_METHOD, check_method, run_works
from turnaround.analytics.growth.errors import (
    CohortSizeError,
    GrowthInputError,
    ProgressionError,
)
from turnaround.analytics.growth.fitting import CohortWork
from turnaround.analytics.growth.knots import Knots, KnotTable, knots_from_scores
from turnaround.analytics.growth.records import PanelIndex, normalise_grade, prepare_long
from turnaround.analytics.growth.results import CoefficientMatrix
from turnaround.analytics.growth.sgp import ScoredCohort, percentiles, scored_frame
from turnaround.analytics.quantreg import ConvergenceWarning

BASELINE = "BASELINE"
DEFAULT_BASELINE_MAX_ORDER = 3


def _member_rows(cohort: Cohort, order: int) -> Cohort:
    rows = cohort.member(order)
    return Cohort(ids=cohort.ids[rows], y=cohort.y[rows], priors=cohort.priors[rows, :order])


def baseline_fit(
    long: pd.DataFrame,
    *,
    content_area: str,
    progression: Sequence[str | int],
    baseline_years: Sequence[str],
    max_order: int = DEFAULT_BASELINE_MAX_ORDER,
    knots: Sequence[Knots] | None = None,
    method: str = DEFAULT_METHOD,
    executor: Executor | None = None,
) -> tuple[CoefficientMatrix, ...]:
    """Coefficient matrices of a baseline super-cohort, one per order.

    Parameters
    ----------
    long : DataFrame
        As for ``sgp_plan``.
    content_area : str
    progression : sequence of grades
        Oldest → current, ascending; cut from the left to ``max_order + 1`` grades. Prior ``j``
        is taken ``g_0 - g_j`` years before the current year.
    baseline_years : sequence of str
        The current years of the stacked windows; every window must be in the data.
    max_order : int
        At most this many priors (3, the package's baseline default).
    knots : sequence of Knots, optional
        Supplied knots; default: from the prior panels of all windows pooled
        (``year="BASELINE"``).
    method, executor
        As for ``sgp_run``; one executor task per order.

    Returns
    -------
    tuple of CoefficientMatrix
        ``year="BASELINE"``, orders 1 … k ascending.
    """
    check_method(method)
    if isinstance(max_order, bool) or not isinstance(max_order, int) or max_order < 1:
        raise GrowthInputError(f"max_order must be a whole number >= 1, got {max_order!r}")
    grades = tuple(normalise_grade(g) for g in progression)
    if len(grades) < 2:
        raise ProgressionError(f"a progression needs a prior grade, got {list(progression)}")
    grades = grades[-(max_order + 1) :]
    windows_years = tuple(dict.fromkeys(str(y) for y in baseline_years))
    if not windows_years:
        raise GrowthInputError("baseline_years is empty")
    panels = PanelIndex(prepare_long(long, [content_area]))
    windows = [progression_years(panels, content_area, y, grades) for y in windows_years]
    for w in windows:
        for g, y in zip(grades, w, strict=True):
            if not panels.has(content_area, y, g):
                raise ProgressionError(
                    f"baseline {content_area} {'-'.join(grades)}: no grade {g} scores in {y}"
                )
    m = len(grades) - 1
    table = None if knots is None else KnotTable(knots)
    prior_knots: list[Knots] = []
    for j in range(1, m + 1):
        g = grades[-1 - j]
        if table is not None:
            prior_knots.append(
                table.get(content_area, BASELINE, g, needed_by=f"baseline {content_area}")
            )
        else:
            pooled = np.concatenate(
                [panels.panel(content_area, w[-1 - j], g).scores for w in windows]
            )
            prior_knots.append(
                knots_from_scores(pooled, content_area=content_area, grade=g, year=BASELINE)
            )
    works = []
    for k in range(1, m + 1):
        sub = grades[-k - 1 :]
        stacked = stack_cohorts(
            [_member_rows(build_cohort(panels, content_area, sub, w[-k - 1 :]), k) for w in windows]
        )
        label = (
            f"baseline {content_area} grade {grades[-1]} ({'-'.join(sub)}; "
            f"{', '.join(windows_years)})"
        )
        if stacked.ids.size < n_coefficients(k):
            raise CohortSizeError(
                f"{label}: order {k} needs at least p = {n_coefficients(k)} students, "
                f"found {stacked.ids.size}"
            )
        works.append(
            CohortWork(
                label=label,
                cohort=stacked,
                knots=tuple(prior_knots[:k]),
                orders=(k,),
                method=method,
                score=False,
            )
        )
    fits = run_works(works, executor, None)
    for fit in fits:
        for note in fit.notes:  # raised again here, in the caller's process
            warnings.warn(note, ConvergenceWarning, stacklevel=2)
    return tuple(
        CoefficientMatrix(
            content_area=content_area,
            year=BASELINE,
            grade=grades[-1],
            order=k,
            progression=grades[-k - 1 :],
            coef=fit.coef[0],
            knots=tuple(prior_knots[:k]),
        )
        for k, fit in zip(range(1, m + 1), fits, strict=True)
    )


def _by_grade(
    matrices: Sequence[CoefficientMatrix],
) -> dict[tuple[str, str], dict[int, CoefficientMatrix]]:
    groups: dict[tuple[str, str], dict[int, CoefficientMatrix]] = defaultdict(dict)
    for mat in matrices:
        if not isinstance(mat, CoefficientMatrix):
            raise GrowthInputError(
                f"matrices must be CoefficientMatrix objects, got {type(mat).__name__}"
            )
        k = mat.order
        if mat.coef.shape != (n_coefficients(k), 100) or len(mat.knots) != k:
            raise GrowthInputError(
                f"{mat.content_area} grade {mat.grade} order {k}: expected a "
                f"{n_coefficients(k)} × 100 matrix and {k} knot sets, got {mat.coef.shape} and "
                f"{len(mat.knots)}"
            )
        key = (mat.content_area, normalise_grade(mat.grade))
        if k in groups[key]:
            raise GrowthInputError(f"two order-{k} matrices for {key[0]} grade {key[1]}")
        groups[key][k] = mat
    for (ca, g), by_order in groups.items():
        top = by_order[max(by_order)].progression
        for k, mat in by_order.items():
            if tuple(mat.progression) != tuple(top[-k - 1 :]):
                raise GrowthInputError(
                    f"{ca} grade {g}: order-{k} progression {mat.progression} is not the tail of "
                    f"{top}"
                )
    return groups


def baseline_score(
    long: pd.DataFrame, matrices: Sequence[CoefficientMatrix], *, year: str
) -> pd.DataFrame:
    """Baseline SGPs of ``year``'s students from stored coefficient matrices.

    Each student gets the SGP of the highest order whose matrix exists and whose priors they
    have. Scores outside the stored boundaries use the spline's Taylor extrapolation (§3).

    Returns
    -------
    DataFrame
        The columns of ``SGPResult.frame`` with ``SGP_BASELINE`` in place of ``SGP``.
    """
    groups = _by_grade(matrices)
    year = str(year)
    areas = sorted({ca for ca, _ in groups})
    panels = PanelIndex(prepare_long(long, areas))
    for ca in areas:
        if year not in panels.years(ca):
            raise ProgressionError(
                f"{ca} has no records in {year}; years: {', '.join(panels.years(ca))}"
            )
    blocks = []
    for (ca, g0), by_order in sorted(groups.items(), key=lambda kv: (kv[0][0], int(kv[0][1]))):
        if not panels.has(ca, year, g0):
            continue
        top = by_order[max(by_order)].progression
        usable = 0
        panel_years: tuple[str, ...] = ()
        for k in range(1, len(top)):
            try:
                yrs = progression_years(panels, ca, year, top[-k - 1 :])
            except ProgressionError:
                break
            if not all(panels.has(ca, y, g) for g, y in zip(top[-k - 1 :], yrs, strict=True)):
                break
            usable, panel_years = k, yrs
        if usable == 0:
            continue
        progression = tuple(top[-usable - 1 :])
        cohort = build_cohort(panels, ca, progression, panel_years)
        sgp = np.zeros((cohort.ids.size, usable), dtype=np.int64)
        for k in range(1, usable + 1):
            mat = by_order.get(k)
            if mat is None:
                continue
            rows = cohort.member(k)
            if rows.any():
                X = design_matrix(cohort.priors[rows, :k], mat.knots)
                sgp[rows, k - 1] = percentiles(X @ mat.coef, cohort.y[rows])
        blocks.append(
            ScoredCohort(
                content_area=ca,
                year=year,
                grade=g0,
                progression=progression,
                years=panel_years,
                ids=cohort.ids,
                sgp_by_order=sgp,
                prior=cohort.priors[:, 0],
            )
        )
    return scored_frame(blocks, sgp_column="SGP_BASELINE")
