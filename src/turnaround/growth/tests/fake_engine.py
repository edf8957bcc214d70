"""A tiny stand-in for ``turnaround.analytics.growth`` with the same contract.

It plans cohorts the way the real engine does (consecutive grades in consecutive years, every
order, a hash of each cohort's inputs) but scores a student by the percentile rank of their
gain within the cohort, so tests of storage, idempotency, jobs and executors run in
milliseconds and do not depend on the quantile-regression engine. Module-level functions only, so
a process pool or a Dask worker can import it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

MIN_COHORT = 5
COLUMNS = ("CONTENT_AREA", "YEAR", "ID", "GRADE", "SCALE_SCORE")


class GrowthInputError(ValueError):
    pass


@dataclass(frozen=True)
class CohortTask:
    content_area: str
    year: str
    grade: str
    progression: tuple[str, ...]
    years: tuple[str, ...]
    orders: tuple[int, ...]
    n_by_order: tuple[int, ...]
    input_hash: str


@dataclass(frozen=True)
class GrowthPlan:
    tasks: tuple[CohortTask, ...]
    knots: Any = None


@dataclass(frozen=True)
class SGPResult:
    frame: pd.DataFrame


#: Calls seen, for tests that check what was (re)computed.
CALLS: list[tuple[str, ...]] = []


def _check(long: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in COLUMNS if c not in long.columns]
    if missing:
        raise GrowthInputError(f"the long data lacks the columns {', '.join(missing)}")
    scores = pd.to_numeric(long["SCALE_SCORE"], errors="coerce")
    if scores.isna().any():
        raise GrowthInputError(f"{int(scores.isna().sum())} scale scores are not numbers")
    dup = long.duplicated(["CONTENT_AREA", "YEAR", "ID"], keep=False)
    if dup.any():
        raise GrowthInputError(
            f"{int(dup.sum())} duplicate student-year-content area records; each student may "
            "have one score per year and content area"
        )
    return long.assign(SCALE_SCORE=scores)


def _cohort(long: pd.DataFrame, ca: str, year: str, grade: str, k: int) -> pd.DataFrame:
    """Wide scores of the students in the order-k cohort: columns y, x1..xk."""
    sub = long[long["CONTENT_AREA"] == ca]
    cur = sub[(sub["YEAR"] == year) & (sub["GRADE"] == grade)].set_index("ID")["SCALE_SCORE"]
    wide = pd.DataFrame({"y": cur})
    for j in range(1, k + 1):
        yr, gr = str(int(year) - j), str(int(grade) - j)
        prior = sub[(sub["YEAR"] == yr) & (sub["GRADE"] == gr)].set_index("ID")["SCALE_SCORE"]
        wide[f"x{j}"] = prior
    return wide.dropna()


def sgp_plan(
    long: pd.DataFrame,
    *,
    years: Sequence[str] | None = None,
    content_areas: Sequence[str] | None = None,
    max_order: int | None = None,
    knots: Any = None,
) -> GrowthPlan:
    long = _check(long)
    all_years = sorted(long["YEAR"].unique())
    if years is None:
        years = all_years[2:]
    areas = content_areas or sorted(long["CONTENT_AREA"].unique())
    tasks = []
    for ca in areas:
        for year in years:
            here = long[(long["CONTENT_AREA"] == ca) & (long["YEAR"] == year)]
            for grade in sorted(here["GRADE"].unique(), key=int):
                k = 0
                while (max_order is None or k < max_order) and (
                    (
                        (long["CONTENT_AREA"] == ca)
                        & (long["YEAR"] == str(int(year) - k - 1))
                        & (long["GRADE"] == str(int(grade) - k - 1))
                    ).any()
                ):
                    k += 1
                if k == 0:
                    continue
                n_by_order = tuple(len(_cohort(long, ca, year, grade, j)) for j in range(1, k + 1))
                if n_by_order[0] < MIN_COHORT:
                    raise GrowthInputError(
                        f"cohort {ca} {year} grade {grade} has {n_by_order[0]} students with a "
                        f"prior score; at least {MIN_COHORT} are needed"
                    )
                wide = _cohort(long, ca, year, grade, k)
                one = _cohort(long, ca, year, grade, 1)
                digest = hashlib.sha256(
                    pd.concat([wide, one]).sort_index().to_csv().encode()
                ).hexdigest()
                tasks.append(
                    CohortTask(
                        content_area=ca,
                        year=year,
                        grade=grade,
                        progression=tuple(str(int(grade) - j) for j in range(k, -1, -1)),
                        years=tuple(str(int(year) - j) for j in range(k, -1, -1)),
                        orders=tuple(range(1, k + 1)),
                        n_by_order=n_by_order,
                        input_hash=digest,
                    )
                )
    return GrowthPlan(tasks=tuple(tasks))


def _rank_sgp(gain: pd.Series) -> pd.Series:
    pct = gain.rank(method="average", pct=True) * 100
    return pct.round().clip(1, 99).astype(int)


def fit_task(long: pd.DataFrame, task: CohortTask) -> pd.DataFrame:
    per_order = {}
    for k in task.orders:
        wide = _cohort(long, task.content_area, task.year, task.grade, k)
        prior = wide[[f"x{j}" for j in range(1, k + 1)]].mean(axis=1)
        per_order[k] = _rank_sgp(wide["y"] - prior)
    one = _cohort(long, task.content_area, task.year, task.grade, 1)
    out = pd.DataFrame(index=one.index)
    for k, sgp in per_order.items():
        out[f"SGP_ORDER_{k}"] = sgp
    highest = pd.Series(np.nan, index=out.index)
    order = pd.Series(np.nan, index=out.index)
    for k in task.orders:
        col = out[f"SGP_ORDER_{k}"]
        highest = highest.where(col.isna(), col)
        order = order.where(col.isna(), k)
    out["SGP"] = highest.astype(int)
    out["SGP_ORDER"] = order.astype(int)
    out["SGP_NORM_GROUP"] = [
        "; ".join(
            f"{y}/{task.content_area}_{g}"
            for y, g in list(zip(task.years, task.progression, strict=True))[-(int(o) + 1) :]
        )
        for o in out["SGP_ORDER"]
    ]
    out["SCALE_SCORE_PRIOR"] = one["x1"]
    std = one["x1"].std(ddof=1) or 1.0
    out["SCALE_SCORE_PRIOR_STANDARDIZED"] = ((one["x1"] - one["x1"].mean()) / std).round(3)
    out["CONTENT_AREA"] = task.content_area
    out["YEAR"] = task.year
    out["GRADE"] = task.grade
    return out.rename_axis("ID").reset_index()


def sgp_run(
    long: pd.DataFrame,
    plan: GrowthPlan,
    *,
    tasks: Sequence[CohortTask] | None = None,
    method: str = "auto",
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SGPResult:
    long = _check(long)
    chosen = tuple(plan.tasks if tasks is None else tasks)
    CALLS.append(tuple(f"{t.content_area} {t.year} {t.grade}" for t in chosen))
    frames = []
    if executor is None:
        for i, task in enumerate(chosen, start=1):
            frames.append(fit_task(long, task))
            if progress is not None:
                progress(i, len(chosen))
    else:
        futures = [executor.submit(fit_task, long, task) for task in chosen]
        for i, future in enumerate(futures, start=1):
            frames.append(future.result())
            if progress is not None:
                progress(i, len(chosen))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return SGPResult(frame=frame)
