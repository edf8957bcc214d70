"""Growth over the API: runs (state staff and administrators), aggregates, student SGPs.

- ``/growth/runs``: the runs of the states where you are a state administrator or state staff;
  ``POST`` creates one and starts it, answering 201 with the run at once (queued, running, or
  already done when jobs run immediately); poll ``/growth/runs/{id}`` for its progress.
- ``/growth/aggregates``: median and mean SGP per school × year × subject × grade × group for the
  schools you reach; protected by small-cell suppression unless your role sees the school's
  restricted aggregates, exactly as a school's results are.
- ``/schools/{id}/growth/students``: restricted student SGPs, for roles that see the school's
  restricted data; every call is recorded in the student data access log.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from ninja.errors import ValidationError

from turnaround.accounts.access import get_school_for_user
from turnaround.growth.jobs import job_start
from turnaround.growth.models import GROWTH_SUBJECTS, GrowthRun, StudentDataAccess
from turnaround.growth.schemas import (
    AggregateQuery,
    GrowthAggregatePage,
    GrowthRunIn,
    GrowthRunOut,
    GrowthRunPage,
    StudentGrowthPage,
    StudentGrowthQuery,
)
from turnaround.growth.selectors import (
    GrowthRow,
    get_growth_run_for_user,
    growth_aggregates_page,
    growth_runs_for_user,
    growth_states_for_user,
    student_growth_for_school,
    student_growth_years,
)
from turnaround.growth.services import (
    RunInProgress,
    growth_run_create,
    student_data_access_record,
)
from turnaround.organizations.schemas import Message, PageQuery, ValidationErrors
from turnaround.performance.models import StudentGroup

router = Router(tags=["growth"])

_ERRORS: dict[int, Any] = {401: Message, 422: ValidationErrors}
_ERRORS_404: dict[int, Any] = {**_ERRORS, 404: Message}


def _invalid(where: str, field: str, msg: str) -> ValidationError:
    return ValidationError([{"loc": [where, field], "msg": msg, "type": "value_error"}])


def _run_item(run: GrowthRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "state": run.state.code,
        "year": run.year,
        "content_areas": list(run.content_areas),
        "status": run.status,
        "stage": run.stage,
        "progress_done": run.progress_done,
        "progress_total": run.progress_total,
        "percent": run.percent,
        "message": run.message,
        "requested_by": run.requested_by.get_username() if run.requested_by else None,
        "executor": run.executor,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "cohorts_planned": run.cohorts_planned,
        "cohorts_recomputed": run.cohorts_recomputed,
        "cohorts_unchanged": run.cohorts_unchanged,
        "cohorts_removed": run.cohorts_removed,
        "students_scored": run.students_scored,
        "aggregates_written": run.aggregates_written,
        "recomputed": list(run.recomputed),
    }


def _aggregate_item(row: GrowthRow) -> dict[str, Any]:
    return {
        "school_id": row.school_id,
        "year": row.year,
        "subject": row.subject,
        "subject_label": row.subject_label,
        "grade": row.grade,
        "group": row.group,
        "group_label": row.group_label,
        "n": row.n,
        "median_sgp": row.median_sgp,
        "mean_sgp": row.mean_sgp,
        "status": row.status,
        "suppressed_reason": row.suppressed_reason,
        "min_n": row.min_n,
    }


# ---------------------------------------------------------------------------------------------
# Runs


@router.get(
    "/growth/runs",
    response={200: GrowthRunPage, **_ERRORS},
    operation_id="growth_run_list",
    summary="Growth runs of your states",
)
def growth_run_list(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """Newest first; empty unless you are a state administrator or state staff."""
    qs = growth_runs_for_user(request.user)
    rows = list(qs[page.offset : page.offset + page.limit])
    return {"count": qs.count(), "items": [_run_item(r) for r in rows]}


@router.post(
    "/growth/runs",
    response={201: GrowthRunOut, 409: Message, **_ERRORS_404},
    operation_id="growth_run_start",
    summary="Start a growth run",
)
def growth_run_start(request: HttpRequest, payload: GrowthRunIn) -> Status[dict[str, Any]]:
    """Queue a computation of a state's SGPs for a year and start it. Only cohorts whose inputs
    changed are computed again. 409 while another run of the state is queued or running; 404
    when you are not a state administrator or state staff of the state."""
    states = growth_states_for_user(request.user)
    if payload.state:
        state = states.filter(code=payload.state.upper()).first()
        if state is None:
            raise Http404("Not found.")
    else:
        choices = list(states[:2])
        if not choices:
            raise Http404("Not found.")
        if len(choices) > 1:
            codes = ", ".join(states.values_list("code", flat=True))
            raise _invalid("body", "state", f"you work in several states; name one: {codes}")
        state = choices[0]
    try:
        run = growth_run_create(
            state=state, year=payload.year, content_areas=payload.content_areas, actor=request.user
        )
    except DjangoValidationError as exc:
        raise ValidationError(
            [
                {"loc": ["body", field], "msg": " ".join(msgs), "type": "value_error"}
                for field, msgs in exc.message_dict.items()
            ]
        ) from exc
    except RunInProgress as exc:
        return Status(409, {"detail": str(exc)})
    job_start(run)
    run.refresh_from_db()
    return Status(201, _run_item(run))


@router.get(
    "/growth/runs/{run_id}",
    response={200: GrowthRunOut, **_ERRORS_404},
    operation_id="growth_run_detail",
    summary="One growth run with its progress",
)
def growth_run_detail(request: HttpRequest, run_id: int) -> dict[str, Any]:
    return _run_item(get_growth_run_for_user(request.user, run_id))


# ---------------------------------------------------------------------------------------------
# Aggregates


@router.get(
    "/growth/aggregates",
    response={200: GrowthAggregatePage, **_ERRORS_404},
    operation_id="growth_aggregate_list",
    summary="Median and mean SGP by school, year, subject, grade and group",
)
def growth_aggregate_list(request: HttpRequest, filters: Query[AggregateQuery]) -> dict[str, Any]:
    """Rows of the schools you reach. `status` says whether the median is reported, not
    reported for insufficient data (fewer students than the growth minimum n), or hidden from
    you by small-cell suppression (roles that see only protected aggregates)."""
    if filters.subject and filters.subject not in GROWTH_SUBJECTS:
        raise _invalid("query", "subject", f"allowed: {', '.join(GROWTH_SUBJECTS)}")
    if filters.group and filters.group not in StudentGroup.values:
        raise _invalid("query", "group", f"allowed: {', '.join(StudentGroup.values)}")
    if filters.school is not None:
        get_school_for_user(request.user, filters.school)  # 404 when not yours
    count, rows, protected = growth_aggregates_page(
        request.user,
        school_id=filters.school,
        year=filters.year,
        subject=filters.subject,
        grade=filters.grade,
        group=filters.group,
        offset=filters.offset,
        limit=filters.limit,
    )
    return {"count": count, "protected": protected, "items": [_aggregate_item(r) for r in rows]}


# ---------------------------------------------------------------------------------------------
# Student-level SGPs (restricted, logged)


@router.get(
    "/schools/{school_id}/growth/students",
    response={200: StudentGrowthPage, **_ERRORS_404},
    operation_id="school_student_growth",
    summary="Students' growth percentiles of one school (restricted; every read is logged)",
)
def school_student_growth(
    request: HttpRequest, school_id: int, filters: Query[StudentGrowthQuery]
) -> dict[str, Any]:
    """For roles that see the school's restricted data (state administrators and staff, its
    district and school leaders, partners under an agreement in force); 404 for everyone else.
    Each call is recorded with the students it returned (`access_id`)."""
    access = get_school_for_user(request.user, school_id)
    if not access.sees_restricted:
        raise Http404("Not found.")
    if filters.subject and filters.subject not in GROWTH_SUBJECTS:
        raise _invalid("query", "subject", f"allowed: {', '.join(GROWTH_SUBJECTS)}")
    school = access.school
    year = filters.year
    if year is None:
        years = student_growth_years(school)
        year = years[0] if years else None
    rows: list[Any] = []
    count = 0
    if year is not None:
        qs = student_growth_for_school(school, year=year, subject=filters.subject)
        count = qs.count()
        rows = list(qs[filters.offset : filters.offset + filters.limit])
    entry = student_data_access_record(
        user=request.user,
        school=school,
        record_kind="student_growth",
        student_keys=[r.student_key for r in rows],
        channel=StudentDataAccess.Channel.API,
        purpose="read student growth percentiles",
        query={
            "year": year,
            "subject": filters.subject or "",
            "offset": filters.offset,
            "limit": filters.limit,
        },
    )
    return {
        "count": count,
        "year": year,
        "access_id": entry.pk,
        "items": [
            {
                "student_key": r.student_key,
                "year": r.year,
                "grade": r.grade,
                "subject": r.subject,
                "sgp": r.sgp,
                "sgp_order": r.sgp_order,
                "sgp_by_order": r.sgp_by_order,
                "norm_group": r.norm_group,
                "prior_score": r.prior_score,
                "prior_score_standardized": r.prior_score_standardized,
            }
            for r in rows
        ],
    }
