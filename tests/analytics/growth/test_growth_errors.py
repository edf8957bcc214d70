"""Bad input is reported with a specific exception and a message that says what and where."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from turnaround.analytics.growth import (
    CohortSizeError,
    DuplicateRecordError,
    GrowthInputError,
    Knots,
    ProgressionError,
    ScoreValueError,
    SingularCohortError,
    sgp_compute,
    sgp_plan,
    sgp_run,
)

YEARS = ("2022", "2023", "2024")


def _synthetic(n: int, seed: int = 0, start_grade: int = 3) -> pd.DataFrame:
    """n students followed over three years from ``start_grade``, correlated scores."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(0, 1, n)
    rows = []
    for j, year in enumerate(YEARS):
        score = np.round(500 + 20 * j + 40 * ability + rng.normal(0, 15, n))
        rows.append(
            pd.DataFrame(
                {
                    "CONTENT_AREA": "MATH",
                    "YEAR": year,
                    "ID": [f"S{i:04d}" for i in range(n)],
                    "GRADE": start_grade + j,
                    "SCALE_SCORE": score,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_valid_input_plans() -> None:
    plan = sgp_plan(_synthetic(60))
    assert [(t.grade, t.n_by_order) for t in plan.tasks] == [("5", (60, 60))]


def test_non_numeric_scores_are_named() -> None:
    long = _synthetic(30).astype({"SCALE_SCORE": object})
    long.loc[3, "SCALE_SCORE"] = "abc"
    long.loc[7, "SCALE_SCORE"] = "5OO"
    long.loc[9, "SCALE_SCORE"] = None  # missing is "not tested", not an error
    with pytest.raises(ScoreValueError, match=r"2 SCALE_SCORE value\(s\) are not numbers") as e:
        sgp_plan(long)
    assert "'abc'" in str(e.value) and "S0003" in str(e.value) and "S0007" in str(e.value)


def test_non_finite_scores_are_named() -> None:
    long = _synthetic(30)
    long.loc[4, "SCALE_SCORE"] = np.inf
    with pytest.raises(ScoreValueError, match=r"out of range \(not finite\).*IDs S0004"):
        sgp_plan(long)


def test_duplicate_records_are_counted() -> None:
    long = _synthetic(30)
    long = pd.concat([long, long.iloc[[5, 6]]], ignore_index=True)
    with pytest.raises(DuplicateRecordError, match=r"2 student-year-subject key\(s\).*ID S0005"):
        sgp_plan(long)
    # rows that are not VALID_CASE are dropped first
    marked = long.assign(VALID_CASE="VALID_CASE")
    marked.loc[marked.index[-2:], "VALID_CASE"] = "INVALID_CASE"
    assert len(sgp_plan(marked).tasks) == 1


def test_unsupported_years_and_content_areas() -> None:
    long = _synthetic(60)
    with pytest.raises(GrowthInputError, match="content area.*READING not in the data"):
        sgp_plan(long, content_areas=["READING"])
    with pytest.raises(ProgressionError, match="2030 not in the data"):
        sgp_plan(long, years=["2030"])
    with pytest.raises(ProgressionError, match="first year of the data"):
        sgp_plan(long, years=["2022"])
    with pytest.raises(ProgressionError, match="at least 2 earlier years"):
        sgp_plan(long.loc[long["YEAR"] != "2022"])
    # one earlier year is enough when the year is asked for
    assert sgp_plan(long, years=["2023"]).tasks[0].progression == ("3", "4")


def test_cohort_too_small_says_how_many_are_needed() -> None:
    long = _synthetic(60)
    # only 5 of the grade-5 students have a grade-3 score two years back
    long = long.loc[~((long["YEAR"] == "2022") & (long["ID"] >= "S0005"))]
    with pytest.raises(CohortSizeError, match="order 2 needs at least p = 15 students, found 5"):
        sgp_plan(long)
    assert sgp_plan(long, max_order=1).tasks[0].n_by_order == (60,)


def test_singular_design_is_reported_with_the_cohort() -> None:
    long = _synthetic(40)
    prior = long["YEAR"] == "2023"
    long.loc[prior, "SCALE_SCORE"] = np.where(long.loc[prior].index % 2 == 0, 500.0, 560.0)
    knots = [Knots("MATH", "4", (510.0, 530.0, 550.0, 570.0), (400.0, 700.0), (400.0, 700.0))]
    with pytest.raises(SingularCohortError, match="MATH 2024 grade 5 .*order 1: singular design"):
        sgp_compute(long, years=["2024"], max_order=1, knots=knots, method="highs")


def test_configuration_errors_list_what_is_allowed() -> None:
    long = _synthetic(60)
    with pytest.raises(GrowthInputError, match="unknown method 'newton'; allowed: .*highs"):
        sgp_plan(long, method="newton")
    with pytest.raises(GrowthInputError, match="max_order"):
        sgp_plan(long, max_order=0)
    with pytest.raises(GrowthInputError, match="lacks column.*GRADE"):
        sgp_plan(long.drop(columns=["GRADE"]))
    bad_grade = long.astype({"GRADE": object})
    bad_grade.loc[0, "GRADE"] = "K"
    with pytest.raises(GrowthInputError, match="GRADE must be a whole number.*'K'"):
        sgp_plan(bad_grade)
    with pytest.raises(ProgressionError, match="no knots for MATH grade 3"):
        sgp_plan(
            long,
            knots=[
                Knots("MATH", "4", (510.0, 530.0, 550.0, 570.0), (400.0, 700.0), (400.0, 700.0))
            ],
        )
    with pytest.raises(TypeError):
        sgp_plan(long, max_orders=2)  # type: ignore[call-arg]


def test_run_refuses_data_that_changed_since_the_plan() -> None:
    long = _synthetic(60)
    plan = sgp_plan(long)
    with pytest.raises(GrowthInputError, match="changed since the plan"):
        sgp_run(long.iloc[1:], plan)
