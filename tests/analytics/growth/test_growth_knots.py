"""Knots and boundaries (sgp.md §2) against the published sgpData example and brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from turnaround.analytics.growth import GrowthInputError, GrowthPlan, Knots, sgp_plan
from turnaround.analytics.growth.knots import knots_from_scores, quantile_type7


def _wide_to_long(wide: pd.DataFrame, years: list[str]) -> pd.DataFrame:
    parts = [
        pd.DataFrame(
            {
                "CONTENT_AREA": "READING",
                "YEAR": y,
                "ID": wide["ID"],
                "GRADE": wide[f"GRADE_{y}"],
                "SCALE_SCORE": wide[f"SS_{y}"],
            }
        ).dropna(subset=["GRADE"])
        for y in years
    ]
    return pd.concat(parts, ignore_index=True)


def test_published_example_reading_2024_progression_3_4(sgp_wide: pd.DataFrame) -> None:
    # sgp.md §2: wide sgpData, READING, my.year 2024, progression 3:4 uses the 2023 column only:
    # grade 3 knots 510, 548, 580, 617; boundaries 85.5, 859.5; loss/hoss 150, 795.
    long = _wide_to_long(sgp_wide, ["2023", "2024"])
    plan = sgp_plan(long, years=["2024"], max_order=1)
    grade3 = [k for k in plan.knots if k.grade == "3"]
    assert grade3 == [
        Knots(
            content_area="READING",
            grade="3",
            knots=(510.0, 548.0, 580.0, 617.0),
            boundaries=(85.5, 859.5),
            loss_hoss=(150.0, 795.0),
            year="2023",
        )
    ]
    task = next(t for t in plan.tasks if t.grade == "4")
    assert task.progression == ("3", "4") and task.years == ("2023", "2024")


def test_long_file_knots_equal_brute_force_per_prior_panel(
    sgp_long: pd.DataFrame, full_plan: GrowthPlan
) -> None:
    # Every knot set of the full plan: numpy's linear (type 7) quantiles of all the panel's
    # scores (every student, not only the cohort), rounded to 3 decimals; ±10% of the range.
    plan = full_plan
    panels = {
        (str(ca), str(y), str(g)): s.dropna().to_numpy()
        for (ca, y, g), s in sgp_long.groupby(["CONTENT_AREA", "YEAR", "GRADE"])["SCALE_SCORE"]
    }
    used = {
        (t.content_area, y, g)
        for t in plan.tasks
        for g, y in zip(t.progression[:-1], t.years[:-1], strict=True)
    }
    assert {k.key for k in plan.knots} == used
    for k in plan.knots:
        v = panels[(k.content_area, str(k.year), k.grade)]
        q = np.round(np.quantile(v, [0.2, 0.4, 0.6, 0.8]), 3)
        assert k.knots == pytest.approx(tuple(q), abs=1e-9)
        width = v.max() - v.min()
        assert k.boundaries == pytest.approx(
            (round(v.min() - 0.1 * width, 3), round(v.max() + 0.1 * width, 3)), abs=1e-9
        )
        assert k.loss_hoss == (v.min(), v.max())
    reading3 = next(k for k in plan.knots if k.key == ("READING", "2022_2023", "3"))
    assert reading3.knots == (524.0, 559.0, 589.0, 618.0)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 101, 1000])
def test_quantile_type7_matches_numpy_linear(n: int) -> None:
    rng = np.random.default_rng(n)
    v = np.round(rng.normal(500, 50, n))  # integer scores, so ties occur
    probs = [0.2, 0.4, 0.6, 0.8]
    assert quantile_type7(v, probs) == pytest.approx(np.quantile(v, probs), rel=1e-15)


def test_knots_round_to_three_decimals_and_ignore_missing() -> None:
    v = np.array([1.0, 2.0, 2.0, 3.0, 10.0, np.nan, 1.23456])
    k = knots_from_scores(v, content_area="MATH", grade="5", year="2024")
    clean = v[~np.isnan(v)]
    assert k.knots == tuple(round(float(x), 3) for x in np.quantile(clean, [0.2, 0.4, 0.6, 0.8]))
    assert k.boundaries == (round(1.0 - 0.9, 3), round(10.0 + 0.9, 3))
    assert k.loss_hoss == (1.0, 10.0)


def test_supplied_knots_are_validated_and_normalised() -> None:
    k = Knots("READING", 3, (510, 550, 580, 615), (150, 795), (150, 795))  # type: ignore[arg-type]
    assert k.grade == "3" and k.knots == (510.0, 550.0, 580.0, 615.0)
    with pytest.raises(GrowthInputError, match="must ascend and lie within"):
        Knots("READING", "3", (550.0, 510.0, 580.0, 615.0), (150.0, 795.0), (150.0, 795.0))
    with pytest.raises(GrowthInputError, match="boundary_low"):
        Knots("READING", "3", (510.0, 550.0, 580.0, 615.0), (795.0, 150.0), (150.0, 795.0))
