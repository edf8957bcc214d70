"""From long records to the wide cohort of one grade progression (sgp.md §1, §4, §8).

The panel of prior ``j`` of a progression ``(g_m, …, g_1, g_0)`` ending in year ``Y`` is the
students tested in grade ``g_j`` in the year ``g_0 - g_j`` places before ``Y`` among the years the
content area has (one year per grade step). Cohort_k is the students present, with a score, in
each of the last ``k + 1`` panels — so their grade matches the progression in every one of them —
and Cohort_k ⊇ Cohort_{k+1}.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from turnaround.analytics.growth.errors import ProgressionError
from turnaround.analytics.growth.records import PanelIndex

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def consecutive_progression(
    panels: PanelIndex, content_area: str, year: str, grade: str, max_order: int | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The longest run of consecutive grades ending at ``grade`` in ``year`` that the data have.

    Prior ``j`` is grade ``grade - j`` in the ``j``-th earlier year; the run stops at the first
    missing panel, at the first year, or after ``max_order`` priors.

    Returns
    -------
    (grades oldest → current, the year of each)
    """
    years = panels.years(content_area)
    i = years.index(year)
    g0 = int(grade)
    m = 0
    while m < i and (max_order is None or m < max_order):
        if not panels.has(content_area, years[i - m - 1], str(g0 - m - 1)):
            break
        m += 1
    grades = tuple(str(g0 - j) for j in range(m, -1, -1))
    return grades, tuple(years[i - m : i + 1])


def progression_years(
    panels: PanelIndex, content_area: str, year: str, progression: Sequence[str]
) -> tuple[str, ...]:
    """The panel year of each grade: ``g_0 - g_j`` places before ``year`` (gap-adjusted, §1)."""
    years = panels.years(content_area)
    if year not in years:
        raise ProgressionError(
            f"{content_area} has no records in {year}; years: {', '.join(years)}"
        )
    grades = [int(g) for g in progression]
    if any(b <= a for a, b in zip(grades, grades[1:], strict=False)):
        raise ProgressionError(f"grade progression {list(progression)} must ascend")
    i = years.index(year)
    out = []
    for g in grades:
        pos = i - (grades[-1] - g)
        if pos < 0:
            raise ProgressionError(
                f"{content_area} {year}: progression {'-'.join(progression)} needs grade {g} "
                f"{grades[-1] - g} year(s) before {year}, but the data start in {years[0]}"
            )
        out.append(years[pos])
    return tuple(out)


@dataclass(frozen=True)
class Cohort:
    """Cohort_1 of a progression in wide form: one row per student, sorted by ID.

    Attributes
    ----------
    ids : ndarray of str, shape (n,)
    y : ndarray, shape (n,)
        Current scores.
    priors : ndarray, shape (n, m)
        ``priors[:, j-1]`` is prior ``x_j`` (most recent first); NaN where the student is not in
        that panel.
    """

    ids: npt.NDArray[np.str_]
    y: FloatArray
    priors: FloatArray

    def member(self, order: int) -> BoolArray:
        """Rows in Cohort_k: a score in each of the ``k`` most recent prior panels."""
        return np.asarray(np.all(~np.isnan(self.priors[:, :order]), axis=1), dtype=np.bool_)

    def sizes(self) -> tuple[int, ...]:
        return tuple(int(self.member(k).sum()) for k in range(1, self.priors.shape[1] + 1))


def build_cohort(
    panels: PanelIndex,
    content_area: str,
    progression: Sequence[str],
    years: Sequence[str],
) -> Cohort:
    """Cast the panels of a progression to Cohort_1 (current score and most recent prior)."""
    if len(progression) != len(years) or len(progression) < 2:
        raise ProgressionError(
            f"a progression needs at least one prior and one year per grade, got grades "
            f"{list(progression)} and years {list(years)}"
        )
    for g, y in zip(progression, years, strict=True):
        if not panels.has(content_area, y, g):
            raise ProgressionError(f"no {content_area} grade {g} scores in {y}")
    current = panels.series(content_area, years[-1], progression[-1])
    recent = panels.series(content_area, years[-2], progression[-2])
    ids = current.index.intersection(recent.index).sort_values()
    m = len(progression) - 1
    priors = np.empty((len(ids), m), dtype=np.float64)
    for j in range(1, m + 1):
        s = panels.series(content_area, years[-1 - j], progression[-1 - j])
        priors[:, j - 1] = s.reindex(ids).to_numpy(dtype=np.float64)
    return Cohort(
        ids=np.asarray(ids.to_numpy(), dtype=str),
        y=current.reindex(ids).to_numpy(dtype=np.float64),
        priors=priors,
    )


def stack_cohorts(cohorts: Sequence[Cohort]) -> Cohort:
    """Several windows of one progression stacked into a baseline super-cohort."""
    return Cohort(
        ids=np.concatenate([c.ids for c in cohorts]),
        y=np.concatenate([c.y for c in cohorts]),
        priors=np.vstack([c.priors for c in cohorts]),
    )
