"""Planning and running cohort-referenced SGPs over a long file (sgp.md §8).

``sgp_plan`` works out, for each content area, analysis year and grade tested that year, the
grade progression the data allow, its cohort sizes, the knots it uses and a hash of its inputs;
it raises before anything is fitted when the data cannot give SGPs. ``sgp_run`` fits the planned
cohorts — one executor task per cohort, all orders and all 100 taus inside — and assembles the
students' SGPs. ``sgp_compute`` does both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from turnaround.analytics.growth.cohorts import build_cohort, consecutive_progression
from turnaround.analytics.growth.design import n_coefficients
from turnaround.analytics.growth.errors import (
    CohortSizeError,
    GrowthInputError,
    ProgressionError,
)
from turnaround.analytics.growth.fitting import CohortFit, CohortWork, fit_cohort
from turnaround.analytics.growth.knots import Knots, KnotTable, knots_from_scores
from turnaround.analytics.growth.records import PanelIndex, prepare_long
from turnaround.analytics.growth.results import CoefficientMatrix, SGPResult
from turnaround.analytics.growth.sgp import TAUS, ScoredCohort, scored_frame
from turnaround.analytics.quantreg.core import METHODS

#: ``"auto"`` once the quantile-regression package offers it, else the exact HiGHS LP.
DEFAULT_METHOD = "auto" if "auto" in METHODS else "highs"

#: Part of every input hash: change it when a change to this package changes SGPs.
ENGINE_VERSION = "growth-sgp-1"

#: By default a year is analysed when the content area has at least this many earlier years.
MIN_EARLIER_YEARS = 2

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class CohortTask:
    """One grade progression to fit: all its orders in one executor task.

    Attributes
    ----------
    content_area, year, grade : str
        The analysis year and the current grade ``g_0``.
    progression : tuple of str
        Grades oldest → current.
    years : tuple of str
        The panel year of each grade in ``progression``.
    orders : tuple of int
        ``1 … len(progression) - 1``.
    n_by_order : tuple of int
        The size of Cohort_k for each order.
    input_hash : str
        sha256 over everything the fit depends on: the IDs and scores of every panel used (so
        also the students' grades), the knots, the taus, the method and the engine version.
    """

    content_area: str
    year: str
    grade: str
    progression: tuple[str, ...]
    years: tuple[str, ...]
    orders: tuple[int, ...]
    n_by_order: tuple[int, ...]
    input_hash: str

    @property
    def label(self) -> str:
        return f"{self.content_area} {self.year} grade {self.grade} ({'-'.join(self.progression)})"


@dataclass(frozen=True)
class GrowthPlan:
    """The tasks of a run, and every knot set they use (sorted by content area, year, grade)."""

    tasks: tuple[CohortTask, ...]
    knots: tuple[Knots, ...]


def check_method(method: str) -> str:
    if method not in METHODS:
        raise GrowthInputError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")
    return method


def _check_max_order(max_order: int | None) -> None:
    if max_order is not None and (
        isinstance(max_order, bool) or not isinstance(max_order, int | np.integer) or max_order < 1
    ):
        raise GrowthInputError(
            f"max_order must be a whole number of priors >= 1, got {max_order!r}"
        )


def _task_hash(
    panels: PanelIndex,
    content_area: str,
    progression: Sequence[str],
    years: Sequence[str],
    knots: Sequence[Knots],
    method: str,
) -> str:
    h = hashlib.sha256()
    h.update(f"{ENGINE_VERSION}\x1e{content_area}\x1e".encode())
    h.update(("\x1f".join(progression) + "\x1e" + "\x1f".join(years) + "\x1e").encode())
    for g, y in zip(progression, years, strict=True):
        h.update(panels.digest(content_area, y, g))
    for k in knots:
        h.update(repr((k.grade, k.knots, k.boundaries, k.loss_hoss)).encode())
    h.update(np.ascontiguousarray(TAUS, dtype="<f8").tobytes())
    h.update(f"\x1e{method}".encode())
    return h.hexdigest()


class _KnotSource:
    """Supplied knots when given, else knots from each prior panel's scores (cached)."""

    def __init__(self, panels: PanelIndex, supplied: Sequence[Knots] | None) -> None:
        self._panels = panels
        self._table = None if supplied is None else KnotTable(supplied)
        self._derived: dict[tuple[str, str, str], Knots] = {}

    def get(self, content_area: str, year: str, grade: str, *, needed_by: str) -> Knots:
        if self._table is not None:
            return self._table.get(content_area, year, grade, needed_by=needed_by)
        key = (content_area, year, grade)
        if key not in self._derived:
            self._derived[key] = knots_from_scores(
                self._panels.panel(*key).scores, content_area=content_area, grade=grade, year=year
            )
        return self._derived[key]


def _prior_knots(
    source: _KnotSource | KnotTable,
    content_area: str,
    progression: Sequence[str],
    years: Sequence[str],
    label: str,
) -> tuple[Knots, ...]:
    """The knots of each prior, most recent first."""
    m = len(progression) - 1
    return tuple(
        source.get(content_area, years[-1 - j], progression[-1 - j], needed_by=label)
        for j in range(1, m + 1)
    )


def _plan(
    panels: PanelIndex,
    *,
    years: Sequence[str] | None,
    content_areas: Sequence[str] | None,
    max_order: int | None,
    knots: Sequence[Knots] | None,
    method: str,
) -> GrowthPlan:
    areas = tuple(str(c) for c in content_areas) if content_areas is not None else None
    areas = areas or panels.content_areas
    if not areas:
        raise GrowthInputError("the long file has no (valid) records")
    wanted = None if years is None else tuple(dict.fromkeys(str(y) for y in years))
    if wanted is not None:
        known = {y for ca in areas for y in panels.years(ca)}
        absent = [y for y in wanted if y not in known]
        if absent:
            raise ProgressionError(
                f"year(s) {', '.join(absent)} not in the data for {', '.join(areas)}; "
                f"years: {', '.join(sorted(known))}"
            )
    source = _KnotSource(panels, knots)
    tasks: list[CohortTask] = []
    used: dict[tuple[str, str | None, str], Knots] = {}
    for ca in areas:
        ca_years = panels.years(ca)
        if wanted is None:
            analysis = ca_years[MIN_EARLIER_YEARS:]
        else:
            analysis = tuple(y for y in wanted if y in ca_years)
        for year in analysis:
            found = 0
            for grade in panels.grades(ca, year):
                progression, panel_years = consecutive_progression(
                    panels, ca, year, grade, max_order
                )
                if len(progression) < 2:
                    continue
                label = f"{ca} {year} grade {grade} ({'-'.join(progression)})"
                cohort = build_cohort(panels, ca, progression, panel_years)
                sizes = cohort.sizes()
                for k, n in enumerate(sizes, start=1):
                    if n < n_coefficients(k):
                        raise CohortSizeError(
                            f"{label}: order {k} needs at least p = {n_coefficients(k)} "
                            f"students, found {n}"
                        )
                prior_knots = _prior_knots(source, ca, progression, panel_years, label)
                for kn in prior_knots:
                    used[kn.key] = kn
                tasks.append(
                    CohortTask(
                        content_area=ca,
                        year=year,
                        grade=grade,
                        progression=progression,
                        years=panel_years,
                        orders=tuple(range(1, len(progression))),
                        n_by_order=sizes,
                        input_hash=_task_hash(
                            panels, ca, progression, panel_years, prior_knots, method
                        ),
                    )
                )
                found += 1
            if wanted is not None and found == 0:
                earlier = ca_years.index(year)
                raise ProgressionError(
                    f"{ca} {year}: no grade has a prior score "
                    + (
                        "(it is the first year of the data)"
                        if earlier == 0
                        else f"(no grade's next-lower grade was tested in {ca_years[earlier - 1]})"
                    )
                )
    if not tasks:
        raise ProgressionError(
            "no year to analyse: by default a year needs at least "
            f"{MIN_EARLIER_YEARS} earlier years in the data (pass years= to choose)"
        )
    ordered = sorted(used.values(), key=lambda k: (k.content_area, k.year or "", int(k.grade)))
    return GrowthPlan(tasks=tuple(tasks), knots=tuple(ordered))


def sgp_plan(
    long: pd.DataFrame,
    *,
    years: Sequence[str] | None = None,
    content_areas: Sequence[str] | None = None,
    max_order: int | None = None,
    knots: Sequence[Knots] | None = None,
    method: str = DEFAULT_METHOD,
) -> GrowthPlan:
    """Plan cohort-referenced SGPs for a long file.

    Parameters
    ----------
    long : DataFrame
        ``CONTENT_AREA, YEAR, ID, GRADE, SCALE_SCORE`` and optionally ``VALID_CASE`` (rows other
        than ``"VALID_CASE"`` are dropped). Years sort as strings; a missing score means not
        tested.
    years : sequence of str, optional
        Analysis years. Default: every year with at least two earlier years in the content area.
    content_areas : sequence of str, optional
        Default: all.
    max_order : int, optional
        At most this many priors. Default: as many as the years and grades allow.
    knots : sequence of Knots, optional
        Supplied knots (``year=None`` applies to every year). Default: from each prior panel.
    method : str
        The solver the run will use; part of each task's ``input_hash``.

    Returns
    -------
    GrowthPlan
        One task per content area, analysis year and grade tested that year that has a prior.

    Raises
    ------
    GrowthInputError
        Bad scores, duplicate records, unknown content areas or years, a year without a prior,
        a cohort smaller than its design (``CohortSizeError``), or missing supplied knots.
    """
    check_method(method)
    _check_max_order(max_order)
    panels = PanelIndex(prepare_long(long, content_areas))
    return _plan(
        panels,
        years=years,
        content_areas=content_areas,
        max_order=max_order,
        knots=knots,
        method=method,
    )


def run_works(
    works: Sequence[CohortWork],
    executor: Executor | None,
    progress: Progress | None,
) -> list[CohortFit]:
    """Run ``fit_cohort`` on every work item: in-process, or one submit each, largest first."""
    total = len(works)
    if progress is not None:
        progress(0, total)
    results: list[CohortFit | None] = [None] * total
    if executor is None:
        for i, work in enumerate(works):
            results[i] = fit_cohort(work)
            if progress is not None:
                progress(i + 1, total)
    else:

        def cost(i: int) -> int:
            c = works[i].cohort
            return int(c.ids.size) * sum(n_coefficients(k) for k in works[i].orders)

        futures: dict[Future[CohortFit], int] = {}
        for i in sorted(range(total), key=cost, reverse=True):
            futures[executor.submit(fit_cohort, works[i])] = i
        done = 0
        try:
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                done += 1
                if progress is not None:
                    progress(done, total)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return [r for r in results if r is not None]


def _run(
    panels: PanelIndex,
    plan: GrowthPlan,
    todo: Sequence[CohortTask],
    *,
    method: str,
    executor: Executor | None,
    progress: Progress | None,
) -> SGPResult:
    table = KnotTable(plan.knots)
    works: list[CohortWork] = []
    tasks: list[CohortTask] = []
    for task in todo:
        if not isinstance(task, CohortTask):
            raise GrowthInputError(f"tasks must be CohortTask objects, got {type(task).__name__}")
        cohort = build_cohort(panels, task.content_area, task.progression, task.years)
        sizes = cohort.sizes()
        planned = tuple(sizes[k - 1] for k in task.orders)
        if planned != task.n_by_order:
            raise GrowthInputError(
                f"{task.label}: cohort sizes {planned} differ from the plan's {task.n_by_order}; "
                "the data changed since the plan was made"
            )
        prior_knots = _prior_knots(
            table, task.content_area, task.progression, task.years, task.label
        )
        works.append(
            CohortWork(
                label=task.label,
                cohort=cohort,
                knots=prior_knots,
                orders=task.orders,
                method=method,
            )
        )
        tasks.append(
            replace(
                task,
                input_hash=_task_hash(
                    panels, task.content_area, task.progression, task.years, prior_knots, method
                ),
            )
        )
    fits = run_works(works, executor, progress)
    blocks: list[ScoredCohort] = []
    matrices: list[CoefficientMatrix] = []
    for task, work, fit in zip(tasks, works, fits, strict=True):
        blocks.append(
            ScoredCohort(
                content_area=task.content_area,
                year=task.year,
                grade=task.grade,
                progression=task.progression,
                years=task.years,
                ids=work.cohort.ids,
                sgp_by_order=fit.sgp_by_order,
                prior=work.cohort.priors[:, 0],
            )
        )
        for k, coef in zip(fit.orders, fit.coef, strict=True):
            matrices.append(
                CoefficientMatrix(
                    content_area=task.content_area,
                    year=task.year,
                    grade=task.grade,
                    order=k,
                    progression=task.progression[-k - 1 :],
                    coef=coef,
                    knots=work.knots[:k],
                )
            )
    return SGPResult(
        frame=scored_frame(blocks),
        coefficients=tuple(matrices),
        tasks=tuple(tasks),
        notes=tuple(note for fit in fits for note in fit.notes),
    )


def sgp_run(
    long: pd.DataFrame,
    plan: GrowthPlan,
    *,
    tasks: Sequence[CohortTask] | None = None,
    method: str = DEFAULT_METHOD,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> SGPResult:
    """Fit the planned cohorts and compute their students' SGPs.

    Parameters
    ----------
    long : DataFrame
        The long file the plan was made from.
    plan : GrowthPlan
    tasks : sequence of CohortTask, optional
        A subset of ``plan.tasks`` (e.g. only those whose ``input_hash`` changed). Default: all.
    method : str
        Passed to ``turnaround.analytics.quantreg.fit_taus``.
    executor : concurrent.futures.Executor, optional
        Receives one ``fit_cohort`` call per task (all orders and taus inside); a process pool
        or a Dask ``Client.get_executor()``. Default: run in this process.
    progress : callable(done, total), optional
        Called with (0, total) first, then after each task.

    Returns
    -------
    SGPResult
        ``tasks`` carry the input hash for ``method``.
    """
    check_method(method)
    todo = plan.tasks if tasks is None else tuple(tasks)
    areas = sorted({t.content_area for t in todo})
    panels = PanelIndex(prepare_long(long, areas))
    return _run(panels, plan, todo, method=method, executor=executor, progress=progress)


def sgp_compute(
    long: pd.DataFrame,
    *,
    years: Sequence[str] | None = None,
    content_areas: Sequence[str] | None = None,
    max_order: int | None = None,
    knots: Sequence[Knots] | None = None,
    method: str = DEFAULT_METHOD,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> SGPResult:
    """``sgp_plan`` then ``sgp_run`` (the long file is checked once)."""
    check_method(method)
    _check_max_order(max_order)
    panels = PanelIndex(prepare_long(long, content_areas))
    plan = _plan(
        panels,
        years=years,
        content_areas=content_areas,
        max_order=max_order,
        knots=knots,
        method=method,
    )
    return _run(panels, plan, plan.tasks, method=method, executor=executor, progress=progress)
