"""Designations, exit reviews and cohorts over the API.

- ``/designations``: the designations of the schools you reach, with years in status (paused
  years left out); ``POST`` confirms one from a determination (state administrators and staff).
- ``/designations/{id}/transition``: ``start``, ``exit`` or ``escalate``; refused with the
  reason when the designation's phase does not allow it (422), 409 when ``version`` is stale.
- ``/designations/{id}/exit-criteria``: replace the criteria (validated, naming what is allowed).
- ``/designations/{id}/exit-evaluation?year=``: the criteria judged against the stored data now.
- ``/designations/{id}/exit-reviews``: record a decision (exit, continue, escalate).
- ``/exit-reviews``: the reviews you may read (state staff, the school's and district's leaders).
- ``/cohorts``: survival tables of a cohort of designations.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from ninja.errors import HttpError

from turnaround.accountability.access import (
    get_designation_for_user,
    get_exit_review_for_user,
    get_state_scope,
    manages_state,
    visible_designations,
    visible_determinations,
    visible_exit_reviews,
)
from turnaround.accountability.api_common import READ, WRITE, call, invalid, school_ref
from turnaround.accountability.cohorts import cohort_view
from turnaround.accountability.evidence import (
    paused_years_of,
    ruleset_of,
    statewide_gap_years,
    yearly_outcomes,
)
from turnaround.accountability.models import OPEN_PHASES, Designation, ExitReview
from turnaround.accountability.schemas import (
    CohortOut,
    CohortQuery,
    ConfirmIn,
    CriteriaIn,
    DesignationOut,
    DesignationPage,
    DesignationQuery,
    EvaluationOut,
    ExitReviewIn,
    ExitReviewOut,
    ExitReviewPage,
    TransitionIn,
)
from turnaround.accountability.selectors import latest_year
from turnaround.accountability.services.designations import (
    NOT_ALLOWED,
    designation_confirm,
    designation_transition,
    designation_update,
)
from turnaround.accountability.services.exit_reviews import (
    evaluation_data,
    exit_evaluation,
    exit_review_record,
)
from turnaround.analytics.accountability.status_years import designation_years
from turnaround.organizations.schemas import PageQuery

router = Router(tags=["accountability"])

_NAMES = {"eligible_exit_year": "eligible_exit_year", "exited_year": "year"}


def _years_of(designations: list[Designation]) -> dict[int, Any]:
    """Years in status of each designation: one query per rule set and state, not per item."""
    out: dict[int, Any] = {}
    by_ruleset: dict[str, list[Designation]] = {}
    for d in designations:
        by_ruleset.setdefault(ruleset_of(d), []).append(d)
    latest: dict[int, int] = {}
    for ruleset, items in by_ruleset.items():
        outcomes = yearly_outcomes({d.school_id for d in items}, ruleset) if ruleset else {}
        gaps: dict[int, set[int]] = {}
        for d in items:
            state = d.school.district.state
            if state.pk not in latest:
                latest[state.pk] = latest_year(state) or 0
            if state.pk not in gaps:
                gaps[state.pk] = statewide_gap_years(state.pk, ruleset) if ruleset else set()
            out[d.pk] = designation_years(
                entered_year=d.entered_year,
                as_of_year=max(latest[state.pk], d.entered_year),
                exited_year=d.exited_year,
                paused_years=paused_years_of(outcomes.get(d.school_id, {}), gaps[state.pk]),
            )
    return out


def designation_item(d: Designation, user: Any, years: Any = None) -> dict[str, Any]:
    if years is None:
        years = _years_of([d])[d.pk]
    escalated_to = getattr(d, "escalated_to", None)
    return {
        "id": d.pk,
        "school": school_ref(d.school),
        "status": d.status,
        "status_label": d.get_status_display(),
        "phase": d.phase,
        "entered_year": d.entered_year,
        "eligible_exit_year": d.eligible_exit_year,
        "exited_year": d.exited_year,
        "exit_reason": d.exit_reason,
        "years_in_status": years.count,
        "paused_years": list(years.paused),
        "ruleset": d.ruleset,
        "determination_id": d.determination_id,
        "escalated_from_id": d.escalated_from_id,
        "escalated_to_id": escalated_to.pk if escalated_to is not None else None,
        "exit_criteria": list(d.exit_criteria or []),
        "confirmed_by": d.confirmed_by.get_username() if d.confirmed_by else None,
        "confirmed_at": d.confirmed_at,
        "notes": d.notes,
        "version": d.version,
        "can_manage": manages_state(user, d.school.district.state_id),
    }


def review_item(r: ExitReview) -> dict[str, Any]:
    return {
        "id": r.pk,
        "designation_id": r.designation_id,
        "school": school_ref(r.designation.school),
        "review_year": r.review_year,
        "decision": r.decision,
        "rationale": r.rationale,
        "all_met": r.all_met,
        "results": list(r.results or []),
        "next_review_year": r.next_review_year,
        "escalated_to_id": r.escalated_to_id,
        "decided_by": r.decided_by.get_username() if r.decided_by else None,
        "decided_at": r.decided_at,
    }


def _fresh(request: HttpRequest, designation_id: int) -> dict[str, Any]:
    access = get_designation_for_user(request.user, designation_id)
    return designation_item(access.designation, request.user)


def _manage(request: HttpRequest, designation_id: int) -> Designation:
    access = get_designation_for_user(request.user, designation_id)
    if not access.can_manage:
        raise HttpError(403, NOT_ALLOWED)
    return access.designation


@router.get(
    "/designations",
    response={200: DesignationPage, **READ},
    operation_id="designation_list",
    summary="Designations of the schools you reach",
)
def designation_list_api(request: HttpRequest, filters: Query[DesignationQuery]) -> dict[str, Any]:
    """Newest entry first. `in_force=2017` keeps those held in 2016–17."""
    qs = visible_designations(request.user).select_related(
        "school__district__state", "confirmed_by", "escalated_to"
    )
    if filters.state:
        qs = qs.filter(school__district__state__code=filters.state.upper())
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.phase == "open":
        qs = qs.filter(phase__in=list(OPEN_PHASES))
    elif filters.phase:
        qs = qs.filter(phase=filters.phase)
    if filters.in_force:
        year = int(filters.in_force)
        qs = qs.filter(entered_year__lte=year).filter(
            Q(exited_year__isnull=True) | Q(exited_year__gt=year)
        )
    if filters.school:
        qs = qs.filter(school_id=int(filters.school))
    if filters.district:
        qs = qs.filter(school__district_id=int(filters.district))
    qs = qs.order_by("-entered_year", "school__name", "pk")
    rows = list(qs[filters.offset : filters.offset + filters.limit])
    years = _years_of(rows)
    return {
        "count": qs.count(),
        "items": [designation_item(d, request.user, years[d.pk]) for d in rows],
    }


@router.post(
    "/designations",
    response={201: DesignationOut, **WRITE},
    operation_id="designation_confirm",
    summary="Confirm a designation from a determination",
)
def designation_confirm_api(request: HttpRequest, payload: ConfirmIn) -> Status[dict[str, Any]]:
    """State administrators and staff of the school's state. The status defaults to the one the
    determination flags; Levels 4 and 5 beyond 4% of the state's schools need an override note."""
    det = visible_determinations(request.user).filter(pk=payload.determination_id).first()
    if det is None:
        raise invalid("body", "determination_id", f"no determination {payload.determination_id}")
    created = call(
        lambda: designation_confirm(
            actor=request.user,
            determination=det,
            status=payload.status,
            entered_year=payload.entered_year,
            eligible_exit=payload.eligible_exit_year,
            notes=payload.notes,
            override_note=payload.override_note,
        ),
        _NAMES,
    )
    return Status(201, _fresh(request, created.pk))


@router.get(
    "/designations/{designation_id}",
    response={200: DesignationOut, **READ},
    operation_id="designation_detail",
    summary="One designation",
)
def designation_detail_api(request: HttpRequest, designation_id: int) -> dict[str, Any]:
    return _fresh(request, designation_id)


@router.post(
    "/designations/{designation_id}/transition",
    response={200: DesignationOut, **WRITE},
    operation_id="designation_transition",
    summary="Start turnaround, exit or escalate a designation",
)
def designation_transition_api(
    request: HttpRequest, designation_id: int, payload: TransitionIn
) -> dict[str, Any]:
    """`escalate` answers with the new, more severe designation. A closed designation cannot
    change (422, saying why)."""
    d = _manage(request, designation_id)
    result = call(
        lambda: designation_transition(
            actor=request.user,
            designation=d,
            action=payload.action,
            year=payload.year,
            reason=payload.reason,
            expected_version=payload.version,
        ),
        _NAMES,
    )
    return _fresh(request, result.pk)


@router.put(
    "/designations/{designation_id}/exit-criteria",
    response={200: DesignationOut, **WRITE},
    operation_id="designation_exit_criteria",
    summary="Replace a designation's exit criteria",
)
def designation_criteria_api(
    request: HttpRequest, designation_id: int, payload: CriteriaIn
) -> dict[str, Any]:
    d = _manage(request, designation_id)
    call(
        lambda: designation_update(
            actor=request.user,
            designation=d,
            expected_version=payload.version,
            exit_criteria=payload.exit_criteria,
        )
    )
    return _fresh(request, designation_id)


@router.get(
    "/designations/{designation_id}/exit-evaluation",
    response={200: EvaluationOut, **READ},
    operation_id="designation_exit_evaluation",
    summary="The exit criteria judged against the stored data",
)
def designation_evaluation_api(
    request: HttpRequest, designation_id: int, year: int | None = None
) -> dict[str, Any]:
    """`year` defaults to the latest year with determinations. Each criterion is met, not met or
    has no data, with the values behind it. Nothing is recorded."""
    access = get_designation_for_user(request.user, designation_id)
    if not access.sees_reviews:
        raise Http404("Not found.")
    d = access.designation
    review_year = year or max(
        latest_year(d.school.district.state) or d.entered_year, d.entered_year
    )
    if not 1990 <= review_year <= 2100:
        raise invalid("query", "year", "give a spring year between 1990 and 2100")
    evaluation = call(lambda: exit_evaluation(d, review_year))
    return {
        "designation_id": d.pk,
        "review_year": review_year,
        "all_met": evaluation.all_met,
        "results": evaluation_data(evaluation),
    }


@router.post(
    "/designations/{designation_id}/exit-reviews",
    response={201: ExitReviewOut, **WRITE},
    operation_id="exit_review_record",
    summary="Record an exit review's decision",
)
def exit_review_record_api(
    request: HttpRequest, designation_id: int, payload: ExitReviewIn
) -> Status[dict[str, Any]]:
    """`exit` closes the designation from the year after `review_year`; `escalate` opens the more
    severe status from then; `continue` sets the next review year."""
    d = _manage(request, designation_id)
    review = call(
        lambda: exit_review_record(
            actor=request.user,
            designation=d,
            review_year=payload.review_year,
            decision=payload.decision,
            rationale=payload.rationale,
            expected_version=payload.version,
            next_review_year=payload.next_review_year,
        )
    )
    return Status(201, review_item(get_exit_review_for_user(request.user, review.pk)))


@router.get(
    "/exit-reviews",
    response={200: ExitReviewPage, **READ},
    operation_id="exit_review_list",
    summary="Exit reviews you may read",
)
def exit_review_list_api(
    request: HttpRequest, page: Query[PageQuery], designation: int | None = None
) -> dict[str, Any]:
    qs = visible_exit_reviews(request.user).select_related(
        "designation__school__district__state", "decided_by"
    )
    if designation is not None:
        qs = qs.filter(designation_id=designation)
    rows = list(qs[page.offset : page.offset + page.limit])
    return {"count": qs.count(), "items": [review_item(r) for r in rows]}


@router.get(
    "/exit-reviews/{review_id}",
    response={200: ExitReviewOut, **READ},
    operation_id="exit_review_detail",
    summary="One exit review with its evidence",
)
def exit_review_detail_api(request: HttpRequest, review_id: int) -> dict[str, Any]:
    return review_item(get_exit_review_for_user(request.user, review_id))


@router.get(
    "/cohorts",
    response={200: CohortOut, **READ},
    operation_id="cohort_outcomes",
    summary="What became of the schools designated in one year",
)
def cohort_api(request: HttpRequest, filters: Query[CohortQuery]) -> dict[str, Any]:
    """Per status and for all statuses: per year, still in status, exited (that year and by
    then), escalated, and the share not yet exited; with the schools in each outcome."""
    state = get_state_scope(request.user, filters.state)
    if filters.through is not None and filters.through < filters.year:
        raise invalid("query", "through", "must not be before the cohort year")
    view = cohort_view(
        request.user, state, filters.year, through_year=filters.through, status=filters.status
    )

    def refs(ids: Any) -> list[dict[str, Any]]:
        return [school_ref(s) for s in view.names(ids)]

    return {
        "state": state.code,
        "cohort_year": view.cohort_year,
        "through_year": view.through_year,
        "tables": [
            {
                "status": t.status,
                "label": view.label(t.status),
                "size": t.size,
                "rows": [row.__dict__ for row in t.rows],
                "remaining": refs(t.remaining),
                "exited": refs([i for i, _ in t.exited]),
                "escalated": refs([i for i, _ in t.escalated]),
            }
            for t in view.tables
        ],
    }
