"""Computed median SGPs reach the accountability rules: the ma-2012 PPI and the exit goal."""

from __future__ import annotations

import pandas as pd
import pytest

from turnaround.analytics.accountability import evaluate
from turnaround.growth.models import GrowthAggregate
from turnaround.growth.rule_inputs import growth_exit_goal_for_school, ma12_growth_frame


def _aggregate(school, subject: str, group: str, median: float | None, n: int, year: int = 2017):
    return GrowthAggregate.objects.create(
        school=school,
        year=year,
        subject=subject,
        grade="ALL",
        group=group,
        n=n,
        median_sgp=median,
        mean_sgp=median,
        missing_reason="" if median is not None else "insufficient_data",
        min_n=20,
    )


@pytest.fixture
def medians(org):
    _aggregate(org.school, "ELA", "all", 44.0, 120)
    _aggregate(org.school, "MATH", "all", 62.0, 118)
    _aggregate(org.school, "ELA", "high_needs", 41.0, 70)
    _aggregate(org.school, "MATH", "high_needs", None, 12)
    _aggregate(org.school, "ELA", "white", 80.0, 30)  # not a group the ma-2012 rules use
    return org


def test_frame_has_medians_and_n_per_school_and_year(medians):
    frame = ma12_growth_frame(medians.state, [2017])
    assert frame.shape[0] == 1
    row = frame.iloc[0]
    assert row["school_id"] == medians.school.code
    assert row["median_sgp_all_ela"] == 44.0
    assert row["n_sgp_all_math"] == 118
    assert row["median_sgp_high_needs_ela"] == 41.0
    assert pd.isna(row["median_sgp_high_needs_math"])  # missing, never zero
    assert ma12_growth_frame(medians.other_state, [2017]).empty


def test_ma12_rules_score_growth_points_from_the_stored_medians(medians):
    frame = ma12_growth_frame(medians.state, [2017])
    frame["grades"] = "K,01,02,03,04,05"
    frame["pts_all_ela_cpi"] = "75"
    frame["pts_all_math_cpi"] = "75"
    (det,) = evaluate("ma-2012", [frame])
    # CPI 75 + 75, ELA growth 44 → 50 points, math growth 62 → 100 points
    assert det.values["cum_ppi_all"] == pytest.approx((75 + 75 + 50 + 100) / 4)


def test_exit_goal_from_the_stored_medians(medians):
    goal = growth_exit_goal_for_school(medians.school, 2017)
    assert goal.met is True  # high-needs math has too few students and is not judged
    assert "MATH high-needs: fewer than 20 students, not judged" in goal.reasons
    _aggregate(medians.school, "ELA", "all", 45.0, 100, year=2016)
    assert growth_exit_goal_for_school(medians.school, 2016).met is None  # no math median
