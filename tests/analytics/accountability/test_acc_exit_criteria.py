"""Exit criteria: validation naming what is allowed, and each kind judged by hand-worked cases."""

from __future__ import annotations

import pytest

from turnaround.analytics.accountability.exit_criteria import (
    CriterionError,
    ExitEvidence,
    GoalOutcome,
    YearOutcome,
    criteria_from_data,
    criterion_make,
    default_criteria,
    exit_evaluate,
)


def judge(criterion, **evidence):
    return exit_evaluate([criterion], ExitEvidence(**evidence)).results[0]


def test_defaults_and_round_trip() -> None:
    c = criterion_make("median_sgp", low="45")
    assert dict(c.params) == {
        "low": 45.0,
        "high": None,
        "subjects": ("ELA", "MATH"),
        "groups": ("all", "high_needs"),
        "min_n": 20,
    }
    assert criteria_from_data([c.as_data()])[0] == c
    assert c.label == "Median SGP ≥ 45 in ELA and MATH for all students and high needs"
    assert criterion_make("median_sgp", high=60).label.startswith("Median SGP between 40 and 60")
    assert (
        criterion_make("level_at_most").label == "Level 3 or better for 2 consecutive rated years"
    )
    assert (
        criterion_make("percentile_at_least").label == "School percentile ≥ 20 in the review year"
    )
    assert [c.kind for c in default_criteria("underperforming")] == ["annual_goals", "median_sgp"]
    assert default_criteria("unknown") == ()


def test_validation_lists_every_problem_with_the_allowed_values() -> None:
    with pytest.raises(CriterionError) as caught:
        criteria_from_data(
            [
                {"kind": "vibes"},
                {"kind": "median_sgp", "low": "x", "subjects": ["ART"], "size": 2},
                {"kind": "level_at_most", "years": 0},
                {"kind": "level_at_most"},
                {"kind": "median_sgp", "low": 60, "high": 50},
                "nonsense",
            ]
        )
    problems = caught.value.problems
    assert problems[0] == (
        "criterion 1: unknown kind 'vibes'; allowed: annual_goals, median_sgp, level_at_most, "
        "rating_in, status_not, percentile_at_least, graduation_at_least"
    )
    assert "low='x' is invalid (not a number); allowed: a number from 1 to 99" in problems[1]
    assert (
        "subjects=['ART'] is invalid ('ART' is not allowed); "
        "allowed: a list of one or more of ELA, MATH, SCI" in problems[2]
    )
    assert "unknown parameter 'size'; allowed: low, high, subjects, groups, min_n" in problems[3]
    assert "years=0 is invalid (0 is below 1)" in problems[4]
    assert "level_at_most is given twice" in problems[5]
    assert "median_sgp is given twice" in problems[6]
    assert problems[7] == "criterion 6: must be an object with a kind"


GROWTH = {
    (2016, "ELA", "all"): (44.0, 120),
    (2016, "MATH", "all"): (61.0, 118),
    (2016, "ELA", "high_needs"): (40.0, 60),
    (2016, "MATH", "high_needs"): (38.0, 12),  # too few students: not judged
}


def test_median_sgp() -> None:
    r = judge(criterion_make("median_sgp"), review_year=2016, median_sgp=GROWTH)
    assert r.status == "met"
    assert [i.ok for i in r.items] == [True, True, True, True]
    assert r.items[3].value == "38 from 12 students: fewer than 20, not judged"
    r = judge(criterion_make("median_sgp", high=60), review_year=2016, median_sgp=GROWTH)
    assert r.status == "not_met" and r.summary == "not met for MATH, all students"
    assert r.items[2].value == "61 (n = 118) not within 40–60"
    r = judge(criterion_make("median_sgp", subjects=["SCI"]), review_year=2016, median_sgp=GROWTH)
    assert r.status == "no_data"


def outcomes(*rows):
    return {y: YearOutcome(label, level, pct, paused) for y, label, level, pct, paused in rows}


def test_consecutive_years_skip_paused_years() -> None:
    evidence = {
        "review_year": 2022,
        "outcomes": outcomes(
            (2019, "Level 3", 3, 15.0, False),
            (2020, "Not Rated", None, None, True),
            (2021, "Level 2", 2, 31.0, False),
            (2022, "Level 2", 2, 35.0, False),
        ),
    }
    r = judge(criterion_make("level_at_most", max_level=2, years=2), **evidence)
    assert r.status == "met" and r.summary == "met in 2 rated years in a row"
    r = judge(criterion_make("level_at_most", max_level=2, years=3), **evidence)
    assert r.status == "not_met" and r.summary == "not met in 2019: Level 3 (> Level 2)"
    assert [i.year for i in r.items] == [2022, 2021, 2020, 2019]
    assert r.items[2].ok is None and "paused" in r.items[2].value
    r = judge(criterion_make("percentile_at_least", min=30, years=2), **evidence)
    assert r.status == "met"
    # a year with no determination at all ends the look-back: not enough years → no data
    gap = {"review_year": 2022, "outcomes": outcomes((2022, "Level 2", 2, 35.0, False))}
    r = judge(criterion_make("level_at_most", years=2), **gap)
    assert r.status == "no_data" and r.summary == "only 1 of 2 rated years with data"
    # a statewide gap year is paused
    r = judge(
        criterion_make("level_at_most", years=2),
        review_year=2022,
        outcomes=outcomes((2019, "Level 2", 2, None, False), (2022, "Level 2", 2, None, False)),
        paused_years=frozenset({2020, 2021}),
    )
    assert r.status == "met"


def test_ratings_and_status_labels() -> None:
    evidence = {
        "review_year": 2019,
        "outcomes": outcomes((2018, "C", None, None, False), (2019, "B", None, None, False)),
    }
    assert judge(criterion_make("rating_in"), **evidence).status == "met"
    assert judge(criterion_make("rating_in", labels=["A", "B"]), **evidence).status == "not_met"
    csi = {
        "review_year": 2019,
        "outcomes": outcomes(
            (2018, "CSI", None, None, False), (2019, "Not identified", None, None, False)
        ),
    }
    assert judge(criterion_make("status_not", years=1), **csi).status == "met"
    assert judge(criterion_make("status_not", years=2), **csi).status == "not_met"
    missing_level = {
        "review_year": 2019,
        "outcomes": outcomes((2019, "Insufficient data", None, None, False)),
    }
    r = judge(criterion_make("level_at_most", years=1), **missing_level)
    assert r.status == "no_data" and r.items[0].value == "Insufficient data (no level)"


def test_graduation() -> None:
    r = judge(
        criterion_make("graduation_at_least", min=67, years=2),
        review_year=2017,
        graduation={2016: 70.2, 2017: 66.9},
    )
    assert r.status == "not_met" and r.items[0].value == "66.9% < 67%"
    r = judge(criterion_make("graduation_at_least", min=67), review_year=2017, graduation={})
    assert r.status == "no_data"


def test_annual_goals() -> None:
    goals = (
        GoalOutcome("ELA CPI", 2016, 80.0, 82.0),
        GoalOutcome("Chronic absence", 2016, 15.0, 12.0, lower_is_better=True),
        GoalOutcome("Family survey", 2016, 70.0, None),
        GoalOutcome("Last year's goal", 2015, 10.0, 0.0),
    )
    r = judge(criterion_make("annual_goals"), review_year=2016, goals=goals)
    assert r.status == "no_data" and r.summary == "2 of 3 goals met, 1 without a value for 2016"
    assert [i.value for i in r.items[:2]] == ["82 ≥ target 80", "12 ≤ target 15"]
    assert (
        judge(criterion_make("annual_goals", min_share=0.6), review_year=2016, goals=goals).status
        == "met"
    )
    worse = (*goals[:1], GoalOutcome("Math", 2016, 70.0, 50.0), goals[2])
    assert judge(criterion_make("annual_goals"), review_year=2016, goals=worse).status == "not_met"
    assert judge(criterion_make("annual_goals"), review_year=2017, goals=goals).status == "no_data"


def test_evaluation_summary() -> None:
    evaluation = exit_evaluate(
        [criterion_make("median_sgp"), criterion_make("graduation_at_least")],
        ExitEvidence(review_year=2016, median_sgp=GROWTH, graduation={2016: 80.0}),
    )
    assert evaluation.all_met and evaluation.suggestion == "exit"
    assert evaluation.counts == {"met": 2, "not_met": 0, "no_data": 0}
    assert not exit_evaluate([], ExitEvidence(review_year=2016)).all_met
