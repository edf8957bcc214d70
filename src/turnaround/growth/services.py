"""Writes of the growth app: computing a state's SGPs, and recording reads of student data.

``growth_compute`` loads the state's student scores, asks the engine for a plan, refits only the
cohorts whose inputs changed since they were stored, and stores each refitted cohort — its
students' SGPs and the aggregates they feed — in one transaction of its own. A cohort that fails
leaves nothing of itself behind; cohorts stored before it stay (they are complete and consistent),
the run is marked failed with the reason, and the next run picks up what is left, because the
failed cohort's stored inputs still differ from the data.

No student data goes to the application log: log lines carry run and organisation ids only.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from turnaround.accounts.access import get_reach
from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record
from turnaround.core.jobs import error_place
from turnaround.core.middleware import current_request_id
from turnaround.core.runs import ProgressCallback, RunProgress, claim_run, fail_run, save_run
from turnaround.growth import engine as growth_engine
from turnaround.growth.aggregates import aggregate_sgps
from turnaround.growth.executors import executor_kind, get_executor
from turnaround.growth.models import (
    GROWTH_SUBJECTS,
    CohortFit,
    GrowthAggregate,
    GrowthRun,
    StudentDataAccess,
    StudentDataAccessKey,
    StudentGrowth,
    cohort_label,
)
from turnaround.organizations.models import School, State
from turnaround.partners.models import Engagement
from turnaround.performance.models import ALL_GRADES, StudentAssessment

logger = logging.getLogger(__name__)

ENGINE_COLUMNS = ["CONTENT_AREA", "YEAR", "ID", "GRADE", "SCALE_SCORE"]
FLAG_COLUMNS = ["is_high_needs", "is_econ_disadv", "is_el", "is_swd", "race"]
YEAR_MIN, YEAR_MAX = 1990, 2100
#: A queued or running run with no sign of progress for this long was abandoned (its process
#: stopped): it no longer blocks a new run of the same state.
STALE_AFTER = timedelta(hours=1)
BATCH_SIZE = 2000


class RunInProgress(Exception):
    """Another growth run of the same state is queued or running."""

    def __init__(self, run: GrowthRun) -> None:
        self.run = run
        super().__init__(
            f"A growth run for {run.state.code} is already {run.get_status_display().lower()} "
            f"(run {run.pk}, {run.year}); wait for it to finish."
        )


class _Stop(Exception):
    """A computation stopped with a message for the person who started it."""


class _NoEngineError(Exception):
    """Stands for the engine's input error until the engine is loaded (never raised)."""


# ---------------------------------------------------------------------------------------------
# Requests


def growth_request_validate(
    *, year: Any, content_areas: Sequence[str] | None
) -> tuple[int, tuple[str, ...]]:
    """The year and content areas of a growth request, or a ValidationError naming the field."""
    errors: dict[str, list[str]] = {}
    if isinstance(year, bool) or not isinstance(year, int):
        errors["year"] = [f"year must be a whole number (the spring year), got {year!r}"]
    elif not YEAR_MIN <= year <= YEAR_MAX:
        errors["year"] = [f"year must be between {YEAR_MIN} and {YEAR_MAX}, got {year}"]
    areas: tuple[str, ...] = tuple(GROWTH_SUBJECTS)
    if content_areas is not None:
        given = [str(a).upper() for a in content_areas]
        unknown = [a for a in given if a not in GROWTH_SUBJECTS]
        if unknown:
            errors["content_areas"] = [
                f"unknown content area {unknown[0]!r}; allowed: {', '.join(GROWTH_SUBJECTS)}"
            ]
        elif not given:
            errors["content_areas"] = [
                f"choose at least one content area: {', '.join(GROWTH_SUBJECTS)}"
            ]
        elif len(set(given)) != len(given):
            errors["content_areas"] = ["each content area may be given once"]
        else:
            areas = tuple(a for a in GROWTH_SUBJECTS if a in given)
    if errors:
        raise ValidationError(errors)
    return int(year), areas


def growth_state_resolve(state: State | str | None) -> State:
    """The state to compute: the one given, or the only state that has student records."""
    if isinstance(state, State):
        return state
    if state:
        found = State.objects.filter(code=str(state).upper()).first()
        if found is None:
            raise ValidationError({"state": [f"no state with the code {state!r}"]})
        return found
    with_students = list(
        State.objects.filter(
            pk__in=StudentAssessment.objects.values("school__district__state_id")
        ).order_by("code")
    )
    if len(with_students) == 1:
        return with_students[0]
    if not with_students:
        raise ValidationError({"state": ["no state has student records to compute growth from"]})
    codes = ", ".join(s.code for s in with_students)
    raise ValidationError({"state": [f"several states have student records; name one: {codes}"]})


def _abandon_stale_runs(state: State) -> None:
    cutoff = timezone.now() - STALE_AFTER
    GrowthRun.objects.filter(
        state=state,
        status__in=(GrowthRun.Status.QUEUED, GrowthRun.Status.RUNNING),
        updated_at__lt=cutoff,
    ).update(
        status=GrowthRun.Status.FAILED,
        finished_at=timezone.now(),
        message="Abandoned: no progress for an hour (the process running it stopped). "
        "Start the run again.",
    )


def growth_run_create(
    *, state: State, year: Any, content_areas: Sequence[str] | None, actor: Any
) -> GrowthRun:
    """Queue a growth run for a state; refused while another run of that state is active."""
    year_ok, areas = growth_request_validate(year=year, content_areas=content_areas)
    with transaction.atomic():
        _abandon_stale_runs(state)
        active = (
            GrowthRun.objects.select_related("state")
            .filter(state=state, status__in=(GrowthRun.Status.QUEUED, GrowthRun.Status.RUNNING))
            .first()
        )
        if active is not None:
            raise RunInProgress(active)
        run = GrowthRun.objects.create(
            state=state,
            year=year_ok,
            content_areas=list(areas),
            requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            obj=run,
            state_id=state.pk,
            changes={"year": year_ok, "content_areas": list(areas)},
        )
    return run


def growth_run_claim(run: GrowthRun) -> bool:
    """Mark a queued run as running; False when someone else already took it."""
    return claim_run(run)


# ---------------------------------------------------------------------------------------------
# Loading scores


def _engine_grade(grade: str) -> str:
    """Grades go to the engine as in sgpData_LONG ('3', '10'); non-numeric ones unchanged."""
    return str(int(grade)) if grade.isdigit() else grade


def _load_scores(state: State, year: int, areas: Sequence[str]) -> pd.DataFrame:
    """The state's student scores up to ``year`` in the content areas, one row per record."""
    columns = [
        "student_key",
        "school_id",
        "year",
        "grade",
        "subject",
        "scale_score",
        *FLAG_COLUMNS,
    ]
    rows = (
        StudentAssessment.objects.filter(
            school__district__state=state, subject__in=list(areas), year__lte=year
        )
        .order_by()
        .values_list(*columns)
    )
    frame = pd.DataFrame.from_records(rows.iterator(chunk_size=20_000), columns=columns)
    frame["year"] = frame["year"].astype("int64")
    frame["school_id"] = frame["school_id"].astype("int64")
    for column in FLAG_COLUMNS[:-1]:
        frame[column] = frame[column].astype(bool)
    frame["race"] = frame["race"].astype(str)
    frame["engine_grade"] = [_engine_grade(g) for g in frame["grade"]]
    return frame


def _long(scores: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "CONTENT_AREA": scores["subject"].astype(str).to_numpy(),
            "YEAR": scores["year"].astype(str).to_numpy(),
            "ID": scores["student_key"].astype(str).to_numpy(),
            "GRADE": scores["engine_grade"].astype(str).to_numpy(),
            "SCALE_SCORE": scores["scale_score"].astype(float).to_numpy(),
        }
    )


def _roster(current: pd.DataFrame, subject: str) -> pd.DataFrame:
    """One subject's records of the scored year, by student key: school and group flags."""
    rows = current[current["subject"] == subject]
    return rows.set_index("student_key")[["school_id", *FLAG_COLUMNS]]


def _roster_hash(rows: pd.DataFrame) -> str:
    """A hash of the school and group flags of each student in a cohort's year and grade."""
    part = rows[["student_key", "school_id", *FLAG_COLUMNS]].sort_values("student_key")
    hashed = pd.util.hash_pandas_object(part.reset_index(drop=True), index=False)
    return hashlib.sha256(hashed.to_numpy().tobytes()).hexdigest()


# ---------------------------------------------------------------------------------------------
# The computation


@dataclass(frozen=True)
class _Cohort:
    """A task of the plan with what we know about it here."""

    task: Any
    content_area: str
    year: int
    grade: str  # as stored (e.g. '03')
    engine_grade: str
    roster_hash: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.content_area, self.grade)

    @property
    def label(self) -> str:
        return cohort_label(self.content_area, self.year, self.grade)


def growth_compute(
    *,
    year: Any = None,
    content_areas: Sequence[str] | None = None,
    actor: Any,
    state: State | str | None = None,
    progress: ProgressCallback | None = None,
    run: GrowthRun | None = None,
    executor: str | None = None,
) -> GrowthRun:
    """Compute a state's SGPs for one year; refit only the cohorts whose inputs changed.

    Parameters
    ----------
    year : int
        Spring year to score (ignored when ``run`` is given: the run's year is used).
    content_areas : sequence of str, optional
        ``ELA`` and/or ``MATH``; both when None (ignored when ``run`` is given).
    actor : User or None
        Who asked (recorded on the run and in the audit trail).
    state : State or str, optional
        The state; by default the only state with student records.
    progress : callable, optional
        ``progress(stage, done, total)`` (e.g. a progress bar).
    run : GrowthRun, optional
        A queued run to carry out (from the web or the API); otherwise one is created.
    executor : {"process", "dask", "inline"}, optional
        Overrides ``settings.GROWTH_EXECUTOR``.

    Returns
    -------
    GrowthRun
        Done, or failed with ``message`` saying why. Bad requests raise ``ValidationError``
        and a concurrent run of the same state raises ``RunInProgress`` before anything starts.
    """
    if run is None:
        resolved = growth_state_resolve(state)
        run = growth_run_create(state=resolved, year=year, content_areas=content_areas, actor=actor)
    if run.status == GrowthRun.Status.QUEUED and not growth_run_claim(run):
        return run  # another worker took it
    if run.status != GrowthRun.Status.RUNNING:
        return run
    kind = executor_kind(executor)
    run.executor = kind
    save_run(run, "executor")
    tracker = RunProgress(run, progress)
    error_class: type[Exception] = _NoEngineError
    try:
        try:
            engine = growth_engine.load_engine()
        except ImportError as exc:
            raise _Stop(
                f"The growth engine ({growth_engine.ENGINE_MODULE}) is not installed."
            ) from exc
        error_class = growth_engine.input_error_class(engine)
        _compute(run, engine=engine, kind=kind, tracker=tracker)
    except _Stop as exc:
        _fail(run, str(exc))
    except error_class as exc:
        _fail(run, str(exc))
    except Exception as exc:  # noqa: BLE001 - recorded on the run for the people who may read it
        # Only the exception's type and where it happened (file, line, function; no source
        # text): its message may quote student data.
        where = error_place(exc)
        logger.error("growth run %s failed with %s at\n%s", run.pk, type(exc).__name__, where)
        _fail(run, f"The computation stopped with an unexpected error: {type(exc).__name__}: {exc}")
    finally:
        audit_record(
            actor=actor if actor is not None else run.requested_by,
            action=AuditEvent.Action.LOAD,
            obj=run,
            object_repr=f"Growth percentiles {run.year} {', '.join(run.content_areas)}",
            state_id=run.state_id,
            changes={
                "status": run.status,
                "cohorts_recomputed": run.cohorts_recomputed,
                "cohorts_unchanged": run.cohorts_unchanged,
                "cohorts_removed": run.cohorts_removed,
                "students_scored": run.students_scored,
                "aggregates_written": run.aggregates_written,
            },
        )
    return run


def _fail(run: GrowthRun, message: str) -> None:
    done = list(run.recomputed)
    if done:
        message += f" Stored before it stopped: {', '.join(done)}."
    fail_run(run, message)
    logger.info("growth run %s failed", run.pk)


def _compute(run: GrowthRun, *, engine: Any, kind: str, tracker: RunProgress) -> None:
    state, year, areas = run.state, run.year, tuple(run.content_areas)
    tracker.report("loading scores", 0, 1, force=True)
    scores = _load_scores(state, year, areas)
    current = scores[scores["year"] == year]
    if current.empty:
        raise _Stop(
            f"No student scores in {year} for {', '.join(areas)} in {state.code}: "
            "load the year's student records first."
        )
    long = _long(scores)
    tracker.report("planning cohorts", 1, 1)
    plan = engine.sgp_plan(long, years=[str(year)], content_areas=list(areas))
    grade_labels = dict(zip(current["engine_grade"], current["grade"], strict=False))
    cohorts = []
    for task in plan.tasks:
        if int(task.year) != year or task.content_area not in areas:
            continue
        grade = grade_labels.get(str(task.grade), str(task.grade))
        rows = current[(current["subject"] == task.content_area) & (current["grade"] == grade)]
        cohorts.append(
            _Cohort(
                task=task,
                content_area=task.content_area,
                year=year,
                grade=grade,
                engine_grade=str(task.grade),
                roster_hash=_roster_hash(rows),
            )
        )
    if not cohorts:
        raise _Stop(
            f"No cohort can be computed for {year} ({', '.join(areas)}): growth needs students "
            f"tested in {year} who also have a score from an earlier year in consecutive grades."
        )
    stored = {
        (f.content_area, f.grade): f
        for f in CohortFit.objects.filter(state=state, year=year, content_area__in=areas)
    }
    changed = [
        c
        for c in cohorts
        if c.key not in stored
        or stored[c.key].input_hash != str(c.task.input_hash)
        or stored[c.key].roster_hash != c.roster_hash
    ]
    planned = {c.key for c in cohorts}
    removed = [f for key, f in stored.items() if key not in planned]
    run.cohorts_planned = len(cohorts)
    run.cohorts_unchanged = len(cohorts) - len(changed)
    save_run(run, "cohorts_planned", "cohorts_unchanged")

    fit_total = len(changed)
    store_total = len(changed) + len(removed)
    frame = pd.DataFrame()
    if changed:
        tracker.report("fitting cohorts", 0, fit_total + store_total, force=True)

        def on_fit(done: int, total: int) -> None:
            nonlocal fit_total
            fit_total = max(int(total), 1)
            tracker.report("fitting cohorts", done, fit_total + store_total)

        with get_executor(kind) as pool:
            result = engine.sgp_run(
                long, plan, tasks=tuple(c.task for c in changed), executor=pool, progress=on_fit
            )
        frame = result.frame
        # exact fits all the same; the repairs go to the log, not to the operator's terminal
        for note in getattr(result, "notes", ()):
            logger.info("growth run %s: %s", run.pk, note)
    for i, cohort in enumerate(changed):
        tracker.report(f"storing {cohort.label}", fit_total + i, fit_total + store_total)
        roster = _roster(current, cohort.content_area)
        _store_cohort(run, cohort, frame, roster, stored.get(cohort.key))
    for j, fit in enumerate(removed):
        tracker.report(
            f"removing {fit}", fit_total + len(changed) + j, fit_total + store_total, force=True
        )
        _remove_cohort(run, fit, _roster(current, fit.content_area))

    run.status = GrowthRun.Status.DONE
    run.finished_at = timezone.now()
    run.message = _summary(run, areas, cohorts, changed, removed)
    run.stage = "done"
    run.progress_total = max(run.progress_total, 1)
    run.progress_done = run.progress_total
    save_run(run, "status", "finished_at", "message", "stage", "progress_done", "progress_total")


def _summary(
    run: GrowthRun,
    areas: Sequence[str],
    cohorts: Sequence[_Cohort],
    changed: Sequence[_Cohort],
    removed: Sequence[CohortFit],
) -> str:
    parts = []
    if changed:
        parts.append(
            f"Recomputed {len(changed)} of {len(cohorts)} cohorts "
            f"({run.students_scored:,} students scored, {run.aggregates_written:,} aggregates)."
        )
    else:
        parts.append(
            f"Nothing to recompute: the inputs of all {len(cohorts)} cohorts are unchanged."
        )
    if changed and len(cohorts) > len(changed):
        parts.append(f"{len(cohorts) - len(changed)} unchanged.")
    if removed:
        parts.append(f"Removed {len(removed)} cohorts that the data no longer has.")
    missing = [a for a in areas if not any(c.content_area == a for c in cohorts)]
    if missing:
        parts.append(f"No cohort in {', '.join(missing)}.")
    return " ".join(parts)


# ---------------------------------------------------------------------------------------------
# Storing one cohort


def _cohort_rows(
    cohort: _Cohort, frame: pd.DataFrame, roster: pd.DataFrame
) -> list[dict[str, Any]]:
    """The engine's rows of one cohort as StudentGrowth values, checked before anything is written.

    ``roster`` is the subject's current-year records indexed by student key (school and flags).
    """
    if frame.empty:
        raise _Stop(f"The engine returned no students for {cohort.label}.")
    mask = (
        (frame["CONTENT_AREA"].astype(str) == cohort.content_area)
        & (frame["YEAR"].astype(str) == str(cohort.year))
        & (frame["GRADE"].astype(str) == cohort.engine_grade)
    )
    rows = frame[mask]
    if rows.empty:
        raise _Stop(f"The engine returned no students for {cohort.label}.")
    keys = rows["ID"].astype(str).to_numpy()
    if pd.Series(keys).duplicated().any():
        raise _Stop(f"The engine returned a student twice in {cohort.label}.")
    sgp = _numbers(rows["SGP"])
    if np.isnan(sgp).any() or (sgp < 1).any() or (sgp > 99).any():
        raise _Stop(f"The engine returned an SGP outside 1–99 in {cohort.label}.")
    schools = roster["school_id"].reindex(keys).to_numpy()
    if pd.isna(schools).any():
        raise _Stop(
            f"The engine returned a student without a {cohort.year} record in {cohort.label}."
        )
    order_columns = sorted(
        (str(c) for c in rows.columns if str(c).startswith("SGP_ORDER_")),
        key=lambda c: int(c.rsplit("_", 1)[1]),
    )
    by_order_values = [(c.rsplit("_", 1)[1], _numbers(rows[c])) for c in order_columns]
    orders = _numbers(rows["SGP_ORDER"]) if "SGP_ORDER" in rows else np.full(len(rows), np.nan)
    prior = _column(rows, "SCALE_SCORE_PRIOR")
    prior_std = _column(rows, "SCALE_SCORE_PRIOR_STANDARDIZED")
    norm = (
        rows["SGP_NORM_GROUP"].astype(str).to_numpy()
        if "SGP_NORM_GROUP" in rows
        else np.full(len(rows), "")
    )
    values: list[dict[str, Any]] = []
    for i, key in enumerate(keys):
        by_order = {k: int(v[i]) for k, v in by_order_values if not np.isnan(v[i])}
        order = int(orders[i]) if not np.isnan(orders[i]) else max(map(int, by_order), default=1)
        values.append(
            {
                "student_key": str(key),
                "school_id": int(schools[i]),
                "year": cohort.year,
                "grade": cohort.grade,
                "subject": cohort.content_area,
                "sgp": int(sgp[i]),
                "sgp_order": order,
                "sgp_by_order": by_order,
                "norm_group": str(norm[i])[:300],
                "prior_score": None if np.isnan(prior[i]) else float(prior[i]),
                "prior_score_standardized": None if np.isnan(prior_std[i]) else float(prior_std[i]),
            }
        )
    return values


def _numbers(values: pd.Series) -> np.ndarray:
    """Numbers as floats, NaN for anything missing (nullable integer columns included)."""
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _column(rows: pd.DataFrame, name: str) -> np.ndarray:
    if name not in rows:
        return np.full(len(rows), np.nan)
    return _numbers(rows[name])


def _n_by_order(task: Any) -> dict[str, int]:
    """Cohort size per order: the engine gives one size per order, in the order of ``orders``."""
    sizes = task.n_by_order
    if isinstance(sizes, dict):
        return {str(k): int(v) for k, v in sizes.items()}
    return {str(k): int(v) for k, v in zip(task.orders, sizes, strict=True)}


def _chunks(items: Sequence[str], size: int = 900) -> list[Sequence[str]]:
    """Slices small enough for an SQL ``IN`` list on every backend."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def _store_cohort(
    run: GrowthRun,
    cohort: _Cohort,
    frame: pd.DataFrame,
    roster: pd.DataFrame,
    previous: CohortFit | None,
) -> None:
    """Replace one cohort's SGPs and the aggregates they feed, all or nothing."""
    values = _cohort_rows(cohort, frame, roster)
    task = cohort.task
    keys = [v["student_key"] for v in values]
    with transaction.atomic():
        touched: set[tuple[int, str]] = set()
        if previous is not None:
            old = StudentGrowth.objects.filter(cohort=previous)
            touched |= set(old.values_list("school_id", "grade").distinct())
            old.delete()
        # a student now in this cohort whose stored SGP sits in another cohort (their grade was
        # corrected): that row is superseded; the other cohort is refitted in this run too
        for chunk in _chunks(keys):
            moved = StudentGrowth.objects.filter(
                year=cohort.year, subject=cohort.content_area, student_key__in=chunk
            )
            touched |= set(moved.values_list("school_id", "grade").distinct())
            moved.delete()
        fit, _ = CohortFit.objects.update_or_create(
            state=run.state,
            content_area=cohort.content_area,
            year=cohort.year,
            grade=cohort.grade,
            defaults={
                "progression": [str(g) for g in task.progression],
                "years": [str(y) for y in task.years],
                "orders": [int(o) for o in task.orders],
                "n_by_order": _n_by_order(task),
                "n_scored": len(values),
                "input_hash": str(task.input_hash),
                "roster_hash": cohort.roster_hash,
                "run": run,
                "fitted_at": timezone.now(),
            },
        )
        StudentGrowth.objects.bulk_create(
            [StudentGrowth(cohort=fit, **v) for v in values], batch_size=BATCH_SIZE
        )
        touched |= {(v["school_id"], cohort.grade) for v in values}
        written = _refresh_aggregates(run, cohort.year, cohort.content_area, touched, roster)
        run.students_scored += len(values)
        run.aggregates_written += written
        run.cohorts_recomputed += 1
        run.recomputed = [*run.recomputed, cohort.label]
        save_run(run, "students_scored", "aggregates_written", "cohorts_recomputed", "recomputed")


def _remove_cohort(run: GrowthRun, fit: CohortFit, roster: pd.DataFrame) -> None:
    with transaction.atomic():
        touched = set(fit.students.values_list("school_id", "grade").distinct())
        fit.delete()  # its StudentGrowth rows go with it
        written = _refresh_aggregates(run, fit.year, fit.content_area, touched, roster)
        run.aggregates_written += written
        run.cohorts_removed += 1
        save_run(run, "aggregates_written", "cohorts_removed")


def _refresh_aggregates(
    run: GrowthRun,
    year: int,
    subject: str,
    touched: set[tuple[int, str]],
    roster: pd.DataFrame,
) -> int:
    """Recompute the aggregates of the touched school × grade pairs and of those schools' ALL.

    Group membership comes from the students' records of ``year`` (``roster``, by student key).
    """
    if not touched:
        return 0
    school_ids = sorted({s for s, _ in touched})
    grades = sorted({g for _, g in touched})
    stale = Q(school_id__in=school_ids, grade=ALL_GRADES)
    for grade in grades:
        stale |= Q(school_id__in=sorted({s for s, g in touched if g == grade}), grade=grade)
    GrowthAggregate.objects.filter(stale, year=year, subject=subject).delete()
    scored = pd.DataFrame.from_records(
        StudentGrowth.objects.filter(school_id__in=school_ids, year=year, subject=subject)
        .order_by()
        .values_list("student_key", "school_id", "grade", "sgp")
        .iterator(chunk_size=20_000),
        columns=["student_key", "school_id", "grade", "sgp"],
    )
    if scored.empty:
        return 0
    scored = scored.join(roster[FLAG_COLUMNS], on="student_key")
    for column in FLAG_COLUMNS[:-1]:
        scored[column] = scored[column].fillna(False).astype(bool)
    scored["race"] = scored["race"].fillna("").astype(str)
    aggregates = [
        a
        for a in aggregate_sgps(scored, grades=grades, min_n=settings.GROWTH_MIN_N)
        if a.grade == ALL_GRADES or (a.school_id, a.grade) in touched
    ]
    now = timezone.now()
    GrowthAggregate.objects.bulk_create(
        [
            GrowthAggregate(
                school_id=a.school_id,
                year=year,
                subject=subject,
                grade=a.grade,
                group=a.group,
                n=a.n,
                median_sgp=a.median_sgp,
                mean_sgp=a.mean_sgp,
                missing_reason=GrowthAggregate.Missing.INSUFFICIENT if a.insufficient else "",
                min_n=settings.GROWTH_MIN_N,
                run=run,
                computed_at=now,
            )
            for a in aggregates
        ],
        batch_size=BATCH_SIZE,
    )
    return len(aggregates)


# ---------------------------------------------------------------------------------------------
# The read-access and disclosure log


def _disclosure_basis(user: Any, school: School) -> tuple[str, str]:
    """The membership through which ``user`` reaches the school's student records."""
    reach = get_reach(user)
    state_id = school.district.state_id
    if state_id in reach.restricted_state_ids:
        return StudentDataAccess.Basis.STATE_OFFICIAL, f"state role in {school.district.state}"
    if school.district_id in reach.district_ids:
        return StudentDataAccess.Basis.DISTRICT_OFFICIAL, f"district leader of {school.district}"
    if school.pk in reach.school_ids:
        return StudentDataAccess.Basis.SCHOOL_OFFICIAL, f"school leader of {school}"
    today = timezone.localdate()
    agreement = (
        Engagement.objects.filter(
            school=school,
            partner__memberships__user=user,
            starts_on__lte=today,
            ends_on__gte=today,
        )
        .order_by("ends_on")
        .values_list("agreement_reference", flat=True)
        .first()
    )
    return StudentDataAccess.Basis.CONTRACTOR, f"agreement {agreement or '(no reference)'}"


def student_data_access_record(
    *,
    user: Any,
    school: School,
    record_kind: str,
    student_keys: Sequence[str],
    channel: str,
    purpose: str,
    query: dict[str, Any] | None = None,
) -> StudentDataAccess:
    """Record that ``user`` read these students' records of ``school`` (FERPA §99.32).

    Called by every view, endpoint and export that shows student-level rows, in the same request,
    before the response is sent. Records the read even when no row matched (the attempt is part
    of the record).
    """
    basis, detail = _disclosure_basis(user, school)
    keys = sorted(set(student_keys))
    with transaction.atomic():
        access = StudentDataAccess.objects.create(
            user=user,
            user_label=user.get_username()[:150],
            basis=basis,
            basis_detail=detail[:200],
            purpose=purpose[:200],
            school=school,
            school_label=f"{school.code} {school.name}"[:220],
            record_kind=record_kind,
            record_count=len(keys),
            channel=channel,
            query=dict(query or {}),
            request_id=current_request_id(),
        )
        StudentDataAccessKey.objects.bulk_create(
            [StudentDataAccessKey(access=access, student_key=k) for k in keys],
            batch_size=BATCH_SIZE,
        )
    return access
