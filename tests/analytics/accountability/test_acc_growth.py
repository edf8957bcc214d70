"""Median SGPs in the rules: growth-indicator points, the ma-2012 PPI, and the exit growth goal."""

from __future__ import annotations

import pandas as pd
import pytest

from turnaround.analytics.accountability import evaluate
from turnaround.analytics.accountability.growth import growth_exit_goal, sgp_points
from turnaround.analytics.accountability.ruleset import RuleSetError


@pytest.mark.parametrize(
    ("median", "points"),
    [
        (1.0, 0.0),
        (29.5, 0.0),
        (30.0, 25.0),
        (39.9, 25.0),
        (40.0, 50.0),
        (50.5, 50.0),
        (51.0, 75.0),
        (59.9, 75.0),
        (60.0, 100.0),
        (99.0, 100.0),
    ],
)
def test_points_by_band_edges(median: float, points: float) -> None:
    assert sgp_points(median, 25).points == points


def test_too_few_students_or_no_median_is_no_indicator_never_zero() -> None:
    few = sgp_points(70.0, 19)
    assert few.points is None
    assert few.reason == "median SGP from 19 students < 20: the growth indicator does not apply"
    assert sgp_points(None, 100).points is None
    assert sgp_points(float("nan"), 100).points is None


def test_reason_names_the_median_n_and_band() -> None:
    assert sgp_points(44.5, 63).reason == "median SGP 44.5 (n = 63) ≥ 40: 50 points"
    assert sgp_points(12.0, 63).reason == "median SGP 12 (n = 63) < 30: 0 points"


def test_bad_configuration_and_values_are_refused() -> None:
    with pytest.raises(ValueError, match="4 cut points"):
        sgp_points(50.0, 30, cuts=(30.0, 40.0))
    with pytest.raises(ValueError, match="rise strictly"):
        sgp_points(50.0, 30, cuts=(40.0, 30.0, 51.0, 60.0))
    with pytest.raises(ValueError, match="within 1–99"):
        sgp_points(0.0, 30)


def _frame(year: int, median_ela: float, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "school_id": ["00010001"],
            "year": [year],
            "grades": ["03,04,05"],
            "pts_all_ela_cpi": ["75"],
            "pts_all_math_cpi": ["75"],
            "median_sgp_all_ela": [median_ela],
            "n_sgp_all_ela": [n],
            "median_sgp_all_math": [62.0],
            "n_sgp_all_math": [n],
        }
    )


def test_ma12_turns_medians_into_growth_points_in_the_annual_ppi() -> None:
    # ELA CPI 75 + math CPI 75 + ELA growth (44 → 50) + math growth (62 → 100) = 300 / 4 = 75
    (det,) = evaluate("ma-2012", [_frame(2014, 44.0, 40)])
    assert det.values["cum_ppi_all"] == pytest.approx(75.0)
    # with too few students the growth indicators drop out: (75 + 75) / 2 = 75 as well, so
    # use a median that would score 0 to see the difference
    (low,) = evaluate("ma-2012", [_frame(2014, 10.0, 40)])
    (few,) = evaluate("ma-2012", [_frame(2014, 10.0, 5)])
    assert low.values["cum_ppi_all"] == pytest.approx((75 + 75 + 0 + 100) / 4)
    assert few.values["cum_ppi_all"] == pytest.approx(75.0)


def test_ma12_growth_cut_points_are_configurable() -> None:
    (det,) = evaluate("ma-2012", [_frame(2014, 44.0, 40)], sgp_points_cuts="20,30,40,50")
    # 44 ≥ 40 → 75; 62 ≥ 50 → 100: (75 + 75 + 75 + 100) / 4
    assert det.values["cum_ppi_all"] == pytest.approx(81.25)
    with pytest.raises(RuleSetError, match="sgp_points_cuts"):
        evaluate("ma-2012", [_frame(2014, 44.0, 40)], sgp_points_cuts="50,40,30,20")


def test_exit_goal_needs_typical_growth_in_both_subjects_and_groups() -> None:
    medians = {
        ("ELA", "all"): (45.0, 120),
        ("MATH", "all"): (52.0, 120),
        ("ELA", "high_needs"): (41.0, 80),
        ("MATH", "high_needs"): (38.5, 80),
    }
    goal = growth_exit_goal(medians)
    assert goal.met is False
    assert "MATH high-needs: median SGP 38.5 (n = 80) < 40" in goal.reasons
    medians[("MATH", "high_needs")] = (40.0, 80)
    assert growth_exit_goal(medians).met is True


def test_exit_goal_cannot_be_judged_without_all_students_but_skips_a_small_group() -> None:
    assert growth_exit_goal({("ELA", "all"): (50.0, 100)}).met is None
    medians = {
        ("ELA", "all"): (50.0, 100),
        ("MATH", "all"): (55.0, 100),
        ("ELA", "high_needs"): (20.0, 12),
        ("MATH", "high_needs"): (None, 0),
    }
    goal = growth_exit_goal(medians)
    assert goal.met is True
    assert "ELA high-needs: fewer than 20 students, not judged" in goal.reasons
