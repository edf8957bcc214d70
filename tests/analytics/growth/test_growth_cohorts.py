"""Cohorts of each order (sgp.md §4, §8): matching grades in every panel, nested orders."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from turnaround.analytics.growth import GrowthPlan, ProgressionError, sgp_plan
from turnaround.analytics.growth.cohorts import build_cohort, consecutive_progression
from turnaround.analytics.growth.records import PanelIndex, prepare_long


def _records(rows: list[tuple[str, str, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["ID", "YEAR", "GRADE", "SCALE_SCORE"]).assign(
        CONTENT_AREA="MATH"
    )


def test_grades_must_match_in_every_panel() -> None:
    y1, y2, y3 = "2022", "2023", "2024"
    long = _records(
        [
            # A: 3 → 4 → 5, in Cohort_1 and Cohort_2
            ("A", y1, 3, 300.0),
            ("A", y2, 4, 400.0),
            ("A", y3, 5, 500.0),
            # B: retained in grade 4 (grade 4 in y2 and y3): not in the grade-5 cohort
            ("B", y2, 4, 410.0),
            ("B", y3, 4, 420.0),
            # C: no y1 record: Cohort_1 only
            ("C", y2, 4, 430.0),
            ("C", y3, 5, 530.0),
            # D: tested in y2 but no score: in no cohort
            ("D", y1, 3, 330.0),
            ("D", y2, 4, np.nan),
            ("D", y3, 5, 540.0),
            # E: skipped y2: older panels alone do not make a cohort
            ("E", y1, 3, 340.0),
            ("E", y3, 5, 550.0),
            # F: like A
            ("F", y1, 3, 350.0),
            ("F", y2, 4, 450.0),
            ("F", y3, 5, 560.0),
            # G: grade 2 (not 3) two years back: Cohort_1 only
            ("G", y1, 2, 250.0),
            ("G", y2, 4, 460.0),
            ("G", y3, 5, 570.0),
        ]
    )
    panels = PanelIndex(prepare_long(long))
    cohort = build_cohort(panels, "MATH", ("3", "4", "5"), (y1, y2, y3))
    assert cohort.ids.tolist() == ["A", "C", "F", "G"]
    assert cohort.member(1).tolist() == [True, True, True, True]
    assert cohort.member(2).tolist() == [True, False, True, False]
    np.testing.assert_array_equal(cohort.y, [500.0, 530.0, 560.0, 570.0])
    np.testing.assert_array_equal(cohort.priors[:, 0], [400.0, 430.0, 450.0, 460.0])
    # B (grade 4 in y2 and y3) would need grade 3 in y2, which nobody has
    with pytest.raises(ProgressionError, match="no MATH grade 3 scores in 2023"):
        build_cohort(panels, "MATH", ("3", "4"), (y2, y3))


def test_progressions_follow_section_8(sgp_long: pd.DataFrame, full_plan: GrowthPlan) -> None:
    panels = PanelIndex(prepare_long(sgp_long))
    assert consecutive_progression(panels, "READING", "2023_2024", "8", None) == (
        ("4", "5", "6", "7", "8"),
        ("2019_2020", "2020_2021", "2021_2022", "2022_2023", "2023_2024"),
    )
    assert consecutive_progression(panels, "READING", "2023_2024", "4", None)[0] == ("3", "4")
    assert consecutive_progression(panels, "READING", "2023_2024", "3", None)[0] == ("3",)
    assert consecutive_progression(panels, "READING", "2023_2024", "8", 2)[0] == ("6", "7", "8")
    plan = full_plan
    # analysis years: every year with at least two earlier years; grades 4–10 get SGPs
    assert sorted({t.year for t in plan.tasks}) == ["2021_2022", "2022_2023", "2023_2024"]
    assert sorted({int(t.grade) for t in plan.tasks}) == list(range(4, 11))
    assert len(plan.tasks) == 2 * 3 * 7
    for t in plan.tasks:
        i = ["2019_2020", "2020_2021", "2021_2022", "2022_2023", "2023_2024"].index(t.year)
        assert len(t.progression) - 1 == min(i, int(t.grade) - 3)
        assert t.orders == tuple(range(1, len(t.progression)))


def test_cohorts_nest_and_match_an_independent_merge(sgp_long: pd.DataFrame) -> None:
    plan = sgp_plan(sgp_long, content_areas=["MATHEMATICS"], years=["2023_2024"])
    panels = PanelIndex(prepare_long(sgp_long))
    math = sgp_long.loc[
        (sgp_long["CONTENT_AREA"] == "MATHEMATICS") & sgp_long["SCALE_SCORE"].notna()
    ]
    slices = {
        (str(y), int(g)): set(ids.astype(str))
        for (y, g), ids in math.groupby(["YEAR", "GRADE"])["ID"]
    }
    for task in plan.tasks:
        assert all(a >= b for a, b in zip(task.n_by_order, task.n_by_order[1:], strict=False))
        cohort = build_cohort(panels, task.content_area, task.progression, task.years)
        members = [set(cohort.ids[cohort.member(k)]) for k in task.orders]
        for bigger, smaller in zip(members, members[1:], strict=False):
            assert smaller <= bigger
        # independent: intersect the IDs of the k+1 (year, grade) slices of the long file
        for k in task.orders:
            ids = set.intersection(
                *(
                    slices[(y, int(g))]
                    for g, y in zip(task.progression[-k - 1 :], task.years[-k - 1 :], strict=True)
                )
            )
            assert members[k - 1] == ids
            assert task.n_by_order[k - 1] == len(ids)
