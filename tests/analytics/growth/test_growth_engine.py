"""Planning and running: agreement with exact LP fits, determinism, executors, input hashes."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest
from conftest import reading_sample

from turnaround.analytics.growth import (
    DEFAULT_METHOD,
    GrowthPlan,
    Knots,
    SGPResult,
    sgp_compute,
    sgp_plan,
    sgp_run,
)


def _same_result(a: SGPResult, b: SGPResult) -> None:
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert a.tasks == b.tasks
    assert len(a.coefficients) == len(b.coefficients)
    for x, y in zip(a.coefficients, b.coefficients, strict=True):
        assert (x.content_area, x.year, x.grade, x.order, x.progression, x.knots) == (
            y.content_area,
            y.year,
            y.grade,
            y.order,
            y.progression,
            y.knots,
        )
        np.testing.assert_array_equal(x.coef, y.coef)


@pytest.fixture(scope="module")
def agreement_data(sgp_long: pd.DataFrame) -> pd.DataFrame:
    # READING, analysis year 2023_2024, grades 4 (order 1) and 5 (orders 1 and 2): about 300
    # students per cohort
    return reading_sample(sgp_long, 700, seed=11)


def test_default_method_agrees_with_exact_highs_fits(agreement_data: pd.DataFrame) -> None:
    default = sgp_compute(agreement_data)
    exact = sgp_compute(agreement_data, method="highs")
    assert [t.n_by_order for t in default.tasks] == [t.n_by_order for t in exact.tasks]
    assert min(n for t in default.tasks for n in t.n_by_order) > 200
    cols = ["ID", "GRADE", "SGP", "SGP_ORDER", "SGP_ORDER_1", "SGP_ORDER_2"]
    pd.testing.assert_frame_equal(default.frame[cols], exact.frame[cols])
    assert len(default.frame) == sum(t.n_by_order[0] for t in default.tasks)


def test_deterministic_and_independent_of_row_order(
    tiny: pd.DataFrame, tiny_result: SGPResult
) -> None:
    shuffled = tiny.sample(frac=1.0, random_state=5).reset_index(drop=True)
    _same_result(sgp_compute(shuffled), tiny_result)


def test_process_pool_gives_the_same_result(tiny: pd.DataFrame, tiny_result: SGPResult) -> None:
    calls: list[tuple[int, int]] = []
    with ProcessPoolExecutor(max_workers=2) as pool:
        pooled = sgp_compute(tiny, executor=pool, progress=lambda d, t: calls.append((d, t)))
    _same_result(pooled, tiny_result)
    assert calls == [(0, 2), (1, 2), (2, 2)]


def test_run_a_subset_of_tasks(tiny: pd.DataFrame, tiny_result: SGPResult) -> None:
    plan = sgp_plan(tiny)
    assert plan.tasks == tiny_result.tasks
    grade4 = [t for t in plan.tasks if t.grade == "4"]
    part = sgp_run(tiny, plan, tasks=grade4)
    assert part.tasks == tuple(grade4)
    full = tiny_result.frame
    pd.testing.assert_frame_equal(
        part.frame.drop(columns=["SGP_ORDER_2"], errors="ignore"),
        full.loc[full["GRADE"] == "4"].drop(columns=["SGP_ORDER_2"]).reset_index(drop=True),
    )


def test_input_hash_tracks_what_the_fit_depends_on(tiny: pd.DataFrame) -> None:
    base = {t.grade: t.input_hash for t in sgp_plan(tiny).tasks}
    assert base == {t.grade: t.input_hash for t in sgp_plan(tiny.iloc[::-1]).tasks}

    # a grade-4 score in 2023_2024 is used by the grade-4 cohort only
    changed = tiny.copy()
    i = changed.index[(changed["YEAR"] == "2023_2024") & (changed["GRADE"] == 4)][0]
    changed.loc[i, "SCALE_SCORE"] += 1
    after = {t.grade: t.input_hash for t in sgp_plan(changed).tasks}
    assert after["4"] != base["4"] and after["5"] == base["5"]

    # a record in a panel no task uses changes nothing
    extra = pd.concat(
        [
            tiny,
            pd.DataFrame(
                {
                    "VALID_CASE": ["VALID_CASE"],
                    "CONTENT_AREA": ["READING"],
                    "YEAR": ["2023_2024"],
                    "ID": [99999999],
                    "GRADE": [3],
                    "SCALE_SCORE": [500.0],
                }
            ),
        ]
    )
    assert {t.grade: t.input_hash for t in sgp_plan(extra).tasks} == base

    # the method and the knots are inputs too
    assert {t.grade: t.input_hash for t in sgp_plan(tiny, method="highs").tasks} == base or (
        DEFAULT_METHOD != "highs"
    )
    plan = sgp_plan(tiny)
    supplied = list(plan.knots)  # data-derived knots carry their panel year; pass them back
    assert {t.grade: t.input_hash for t in sgp_plan(tiny, knots=supplied).tasks} == base
    moved = [dataclasses.replace(k, knots=(k.knots[0] - 1, *k.knots[1:])) for k in supplied]
    assert all(t.input_hash != base[t.grade] for t in sgp_plan(tiny, knots=moved).tasks)


def test_supplied_knots_apply_to_every_year(tiny: pd.DataFrame) -> None:
    demo = [
        Knots("READING", "3", (510.0, 550.0, 580.0, 615.0), (150.0, 795.0), (150.0, 795.0)),
        Knots("READING", "4", (545.0, 580.0, 610.0, 645.0), (180.0, 820.0), (180.0, 820.0)),
    ]
    plan = sgp_plan(tiny, knots=demo, max_order=1)
    assert plan.knots == tuple(demo)
    assert all(len(t.progression) == 2 for t in plan.tasks)


def test_plan_of_the_full_file_is_complete(full_plan: GrowthPlan) -> None:
    plan = full_plan
    assert len(plan.tasks) == 42
    assert len({t.input_hash for t in plan.tasks}) == 42
    top = next(
        t for t in plan.tasks if (t.content_area, t.year, t.grade) == ("READING", "2023_2024", "8")
    )
    assert top.orders == (1, 2, 3, 4)
    assert top.n_by_order == tuple(sorted(top.n_by_order, reverse=True))


def test_dask_executor(tiny: pd.DataFrame, tiny_result: SGPResult) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.Client(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
    ) as client:
        got = sgp_compute(tiny, executor=client.get_executor())
    _same_result(got, tiny_result)


def test_solver_repairs_are_returned_as_notes_not_printed(
    tiny: pd.DataFrame, tiny_result: SGPResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An interior point that fails is repaired exactly by the simplex; the run says so in
    ``notes`` (for the log) instead of a warning on a pool worker's stderr."""
    import warnings

    from turnaround.analytics.quantreg import pk

    real = pk.frisch_newton
    monkeypatch.setattr(pk, "frisch_newton", lambda *a, **k: real(*a, **{**k, "max_iter": 2}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        repaired = sgp_compute(tiny)
    assert repaired.notes
    assert all(
        " order " in note and "Frisch-Newton failed at tau=" in note for note in repaired.notes
    )
    pd.testing.assert_frame_equal(repaired.frame, tiny_result.frame)
    assert tiny_result.notes == ()
