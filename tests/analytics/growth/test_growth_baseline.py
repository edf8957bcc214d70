"""Baseline-referenced SGPs (sgp.md §9): stacked fits, stored matrices reused on later years."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.interpolate import BSpline

from turnaround.analytics.growth import (
    TAUS,
    CoefficientMatrix,
    ProgressionError,
    SGPResult,
    baseline_fit,
    baseline_score,
)
from turnaround.analytics.growth.bspline import knot_vector
from turnaround.analytics.quantreg import fit_taus, rq_objective


def _scipy_design(
    x: np.ndarray, knots: tuple[float, ...], bounds: tuple[float, float]
) -> np.ndarray:
    t = knot_vector(knots, bounds)
    return np.column_stack([BSpline(t, np.eye(8)[j], 3, extrapolate=True)(x) for j in range(1, 8)])


def _slice(long: pd.DataFrame, year: str, grade: int, name: str) -> pd.DataFrame:
    part = long.loc[(long["YEAR"] == year) & (long["GRADE"] == grade), ["ID", "SCALE_SCORE"]]
    return part.dropna().rename(columns={"SCALE_SCORE": name})


def test_one_window_baseline_reproduces_the_cohort_fit(
    tiny: pd.DataFrame, tiny_result: SGPResult
) -> None:
    # the same method as tiny_result (the default): the same LPs give the same vertices
    mats = baseline_fit(
        tiny, content_area="READING", progression=[3, 4, 5], baseline_years=["2023_2024"]
    )
    assert [(m.order, m.progression, m.year) for m in mats] == [
        (1, ("4", "5"), "BASELINE"),
        (2, ("3", "4", "5"), "BASELINE"),
    ]
    cohort = {m.order: m for m in tiny_result.coefficients if m.grade == "5"}
    for m in mats:
        assert m.coef.shape == (1 + 7 * m.order, 100)
        assert [(k.knots, k.boundaries) for k in m.knots] == [
            (k.knots, k.boundaries) for k in cohort[m.order].knots
        ]
        np.testing.assert_allclose(m.coef, cohort[m.order].coef, rtol=0, atol=1e-9)
    scored = baseline_score(tiny, mats, year="2023_2024")
    ours = tiny_result.frame.loc[tiny_result.frame["GRADE"] == "5"].reset_index(drop=True)
    assert list(scored.columns) == [
        "SGP_BASELINE" if c == "SGP" else c for c in tiny_result.frame.columns
    ]
    pd.testing.assert_frame_equal(scored.rename(columns={"SGP_BASELINE": "SGP"}), ours)


@pytest.fixture(scope="module")
def stacked(tiny: pd.DataFrame) -> tuple[CoefficientMatrix, ...]:
    mats = baseline_fit(
        tiny,
        content_area="READING",
        progression=["3", "4"],
        baseline_years=["2022_2023", "2023_2024"],
        method="highs",
    )
    return mats


def test_stacked_baseline_is_the_lp_optimum_over_both_windows(
    tiny: pd.DataFrame, stacked: tuple[CoefficientMatrix, ...]
) -> None:
    (mat,) = stacked
    assert (mat.grade, mat.order, mat.progression) == ("4", 1, ("3", "4"))
    windows = [("2021_2022", "2022_2023"), ("2022_2023", "2023_2024")]
    # knots pooled over both windows' prior panels (all students in them)
    pooled = np.concatenate([_slice(tiny, prior, 3, "x")["x"].to_numpy() for prior, _ in windows])
    assert mat.knots[0].knots == tuple(np.round(np.quantile(pooled, [0.2, 0.4, 0.6, 0.8]), 3))
    assert mat.knots[0].year == "BASELINE"
    rows = pd.concat(
        [
            _slice(tiny, cur, 4, "y").merge(_slice(tiny, prior, 3, "x"), on="ID")
            for prior, cur in windows
        ]
    )
    assert len(rows) > 150  # both windows contribute
    X = np.hstack(
        [
            np.ones((len(rows), 1)),
            _scipy_design(rows["x"].to_numpy(), mat.knots[0].knots, mat.knots[0].boundaries),
        ]
    )
    y = rows["y"].to_numpy()
    ref = fit_taus(X, y, TAUS, method="highs")
    np.testing.assert_allclose(
        rq_objective(X, y, mat.coef, TAUS), ref.objective, rtol=1e-10, atol=1e-8
    )


def test_later_year_scored_with_stored_matrices_extrapolates_outside_the_boundaries(
    tiny: pd.DataFrame, stacked: tuple[CoefficientMatrix, ...]
) -> None:
    (mat,) = stacked
    lo, hi = mat.knots[0].boundaries
    later = tiny.copy()
    prior = later.index[(later["YEAR"] == "2022_2023") & (later["GRADE"] == 3)]
    later.loc[prior[:3], "SCALE_SCORE"] = [lo - 40.0, hi + 25.0, lo - 1.0]
    scored = baseline_score(later, stacked, year="2023_2024")
    assert set(scored["GRADE"]) == {"4"}  # only the grade the matrices are for
    rows = _slice(later, "2023_2024", 4, "y").merge(_slice(later, "2022_2023", 3, "x"), on="ID")
    X = np.hstack(
        [
            np.ones((len(rows), 1)),
            _scipy_design(rows["x"].to_numpy(), mat.knots[0].knots, mat.knots[0].boundaries),
        ]
    )
    q = np.sort(X @ mat.coef, axis=1).round(5)
    expected = np.clip((q < rows["y"].to_numpy()[:, None]).sum(axis=1), 1, 99)
    got = scored.set_index("ID").loc[rows["ID"].astype(str), "SGP_BASELINE"].to_numpy()
    np.testing.assert_array_equal(got, expected)
    outside = rows["x"].lt(lo) | rows["x"].gt(hi)
    assert outside.sum() == 3


def test_scoring_years_the_data_cannot_support(
    tiny: pd.DataFrame, stacked: tuple[CoefficientMatrix, ...]
) -> None:
    with pytest.raises(ProgressionError, match="no records in 2030"):
        baseline_score(tiny, stacked, year="2030")
    # the first year has no prior: nobody is scored
    assert baseline_score(tiny, stacked, year="2021_2022").empty
    with pytest.raises(ProgressionError, match="data start in 2021_2022"):
        baseline_fit(
            tiny,
            content_area="READING",
            progression=[3, 4, 5],
            baseline_years=["2022_2023"],
        )
