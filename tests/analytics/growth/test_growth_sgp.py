"""From predicted quantiles to SGPs (sgp.md §6–§7): the count, orders, norm groups, priors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.interpolate import BSpline

from turnaround.analytics.growth import TAUS, SGPResult
from turnaround.analytics.growth.bspline import knot_vector
from turnaround.analytics.growth.sgp import highest_order, norm_group, percentiles


def test_taus_are_the_100_midpoints() -> None:
    assert TAUS.size == 100
    assert TAUS[0] == pytest.approx(0.005) and TAUS[-1] == pytest.approx(0.995)
    np.testing.assert_allclose(np.diff(TAUS), 0.01)


def test_count_is_strictly_below() -> None:
    q = np.tile(np.arange(1.0, 101.0), (3, 1))  # quantiles 1, 2, …, 100
    y = np.array([50.0, 50.5, 49.999])
    # a tie goes to the lower count: 49 values are < 50, 50 are < 50.5, 49 are < 49.999
    np.testing.assert_array_equal(percentiles(q, y), [49, 50, 49])


def test_rounding_to_five_decimals_makes_near_ties_ties() -> None:
    base = np.arange(1.0, 101.0)
    y = np.array([50.0, 50.0])
    q = np.vstack([base, base])
    q[0, 49] = 50.0 - 4e-6  # rounds to 50.00000: a tie, not counted
    q[1, 49] = 50.0 - 6e-6  # rounds to 49.99999: below, counted
    np.testing.assert_array_equal(percentiles(q, y), [49, 50])


def test_rows_are_sorted_before_counting_and_ends_are_converted() -> None:
    rng = np.random.default_rng(3)
    q = np.tile(np.arange(1.0, 101.0), (4, 1))
    shuffled = np.array([rng.permutation(row) for row in q])
    y = np.array([0.5, 1000.0, 1.0, 100.0])
    # 0 below → 1, 100 below → 99, a tie with the lowest → 0 → 1, 99 below the top → 99
    np.testing.assert_array_equal(percentiles(shuffled, y), [1, 99, 1, 99])


def test_highest_order_is_reported() -> None:
    by_order = np.array([[5, 7, 0], [3, 0, 0], [0, 0, 0], [2, 4, 9]], dtype=np.int64)
    sgp, order = highest_order(by_order)
    np.testing.assert_array_equal(sgp, [7, 3, 0, 9])
    np.testing.assert_array_equal(order, [2, 1, 0, 3])


def test_norm_group_string() -> None:
    assert (
        norm_group("READING", ("3", "4"), ("2022_2023", "2023_2024"))
        == "2022_2023/READING_3; 2023_2024/READING_4"
    )


def test_result_columns_orders_and_norm_groups(tiny_result: SGPResult) -> None:
    f = tiny_result.frame
    assert list(f.columns) == [
        "CONTENT_AREA",
        "YEAR",
        "ID",
        "GRADE",
        "SGP",
        "SGP_ORDER",
        "SGP_ORDER_1",
        "SGP_ORDER_2",
        "SGP_NORM_GROUP",
        "SCALE_SCORE_PRIOR",
        "SCALE_SCORE_PRIOR_STANDARDIZED",
    ]
    assert f["SGP"].dtype == np.int64 and f["SGP"].between(1, 99).all()
    assert str(f["SGP_ORDER_1"].dtype) == "Int64" and str(f["SGP_ORDER_2"].dtype) == "Int64"
    assert not f.duplicated(["CONTENT_AREA", "YEAR", "ID"]).any()
    # the reported SGP is the one of the highest order the student has
    two = f["SGP_ORDER"] == 2
    assert (f.loc[two, "SGP"] == f.loc[two, "SGP_ORDER_2"]).all()
    assert (f.loc[~two, "SGP"] == f.loc[~two, "SGP_ORDER_1"]).all()
    assert f.loc[~two, "SGP_ORDER_2"].isna().all()
    assert f["SGP_ORDER_1"].notna().all()  # every student scored is in Cohort_1
    g4 = f["GRADE"] == "4"
    assert set(f.loc[g4, "SGP_ORDER"]) == {1}
    assert set(f.loc[g4, "SGP_NORM_GROUP"]) == {"2022_2023/READING_3; 2023_2024/READING_4"}
    g5 = f["GRADE"] == "5"
    assert set(f.loc[g5 & two, "SGP_NORM_GROUP"]) == {
        "2021_2022/READING_3; 2022_2023/READING_4; 2023_2024/READING_5"
    }
    assert set(f.loc[g5 & ~two, "SGP_NORM_GROUP"]) == {"2022_2023/READING_4; 2023_2024/READING_5"}
    sizes = {t.grade: t.n_by_order for t in tiny_result.tasks}
    assert int(g4.sum()) == sizes["4"][0] and int((g5 & two).sum()) == sizes["5"][1]


def test_prior_score_fields(tiny: pd.DataFrame, tiny_result: SGPResult) -> None:
    f = tiny_result.frame
    prior = tiny.loc[(tiny["YEAR"] == "2022_2023") & (tiny["GRADE"] == 4)]
    rows = f.loc[f["GRADE"] == "5"].merge(
        prior.assign(ID=prior["ID"].astype(str))[["ID", "SCALE_SCORE"]], on="ID"
    )
    assert len(rows) == int((f["GRADE"] == "5").sum())
    np.testing.assert_array_equal(rows["SCALE_SCORE_PRIOR"], rows["SCALE_SCORE"])
    x = rows["SCALE_SCORE"].to_numpy()
    z = np.round((x - x.mean()) / x.std(ddof=1), 3)  # over Cohort_1, sample SD
    np.testing.assert_array_equal(rows["SCALE_SCORE_PRIOR_STANDARDIZED"], z)


def test_sgps_recomputed_from_the_coefficients_independently(
    tiny: pd.DataFrame, tiny_result: SGPResult
) -> None:
    # rebuild the order-2 design of grade 5 with scipy's B-splines and the stored knots, predict
    # with the stored matrix, and count by hand
    mat = next(m for m in tiny_result.coefficients if m.grade == "5" and m.order == 2)
    assert mat.coef.shape == (15, 100) and mat.progression == ("3", "4", "5")
    wide = None
    for year, grade, name in (
        ("2023_2024", 5, "y"),
        ("2022_2023", 4, "x1"),
        ("2021_2022", 3, "x2"),
    ):
        part = tiny.loc[(tiny["YEAR"] == year) & (tiny["GRADE"] == grade), ["ID", "SCALE_SCORE"]]
        part = part.dropna().rename(columns={"SCALE_SCORE": name})
        wide = part if wide is None else wide.merge(part, on="ID")
    assert wide is not None
    blocks = [np.ones((len(wide), 1))]
    for col, k in zip(("x1", "x2"), mat.knots, strict=True):
        t = knot_vector(k.knots, k.boundaries)
        blocks.append(
            np.column_stack(
                [BSpline(t, np.eye(8)[j], 3)(wide[col].to_numpy()) for j in range(1, 8)]
            )
        )
    q = np.sort(np.hstack(blocks) @ mat.coef, axis=1).round(5)
    expected = np.clip((q < wide["y"].to_numpy()[:, None]).sum(axis=1), 1, 99)
    got = tiny_result.frame.set_index("ID").loc[wide["ID"].astype(str), "SGP_ORDER_2"]
    np.testing.assert_array_equal(got.to_numpy(dtype=np.int64), expected)
