"""States, districts and schools over the API: thin wrappers around access helpers and selectors.

Every list is what ``turnaround.accounts.access`` lets the caller see; every detail is a 404 when
the object is missing or not theirs. Lists cost a constant number of queries whatever the page
size (the current determination and enrolment are annotations, districts are joined).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest
from ninja import Path, Query, Router

from turnaround.accountability.selectors import designations_for_school, determinations_for_school
from turnaround.accounts.access import (
    get_district_for_user,
    get_school_for_user,
    get_state_for_user,
    visible_districts,
    visible_states,
)
from turnaround.organizations.models import District, School, State
from turnaround.organizations.schemas import (
    STATE_CODE_PARAM_PATTERN,
    DistrictDetailOut,
    DistrictPage,
    DistrictQuery,
    Message,
    PageQuery,
    SchoolDetailOut,
    SchoolPage,
    SchoolQuery,
    StateDetailOut,
    StateOut,
    ValidationErrors,
)
from turnaround.organizations.selectors import (
    SchoolFilters,
    annotate_current,
    level_counts,
    school_list,
)
from turnaround.performance.selectors import ResultRow, school_results

router = Router(tags=["organisations"])

_ERRORS: dict[int, Any] = {401: Message, 422: ValidationErrors}
_ERRORS_404: dict[int, Any] = {**_ERRORS, 404: Message}


# ---------------------------------------------------------------------------------------------
# Shaping rows for the output schemas


def _level_counts(qs: QuerySet[School]) -> list[dict[str, Any]]:
    return [
        {"key": c.key, "label": c.label, "level": c.level, "count": c.count}
        for c in level_counts(qs)
    ]


def _district_ref(district: District) -> dict[str, Any]:
    return {
        "id": district.pk,
        "code": district.code,
        "nces_leaid": district.nces_leaid or None,
        "name": district.name,
    }


def _district_item(district: District, school_count: int) -> dict[str, Any]:
    """A district with ``state`` joined."""
    return {
        **_district_ref(district),
        "state": district.state.code,
        "is_charter": district.is_charter,
        "school_count": school_count,
    }


def _school_item(school: Any) -> dict[str, Any]:
    """A school annotated by ``annotate_current``, with ``district__state`` joined."""
    current = None
    if school.current_label is not None:
        current = {
            "year": school.current_year,
            "label": school.current_label,
            "level": school.current_level,
            "reason": school.current_reason or "",
            "percentile": school.current_percentile,
        }
    return {
        "id": school.pk,
        "code": school.code,
        "nces_id": school.nces_id or None,
        "name": school.name,
        "district": _district_ref(school.district),
        "state": school.district.state.code,
        "school_type": school.school_type,
        "grade_low": school.grade_low,
        "grade_high": school.grade_high,
        "grade_span": school.grade_span,
        "title_i": school.title_i,
        "is_charter": school.is_charter,
        "current": current,
        "enrollment": school.current_enrollment,
    }


def _result_item(row: ResultRow) -> dict[str, Any]:
    return {**asdict(row), "subject_label": row.subject_label, "group_label": row.group_label}


def _page(qs: QuerySet[Any], page: PageQuery) -> tuple[int, list[Any]]:
    return qs.count(), list(qs[page.offset : page.offset + page.limit])


# ---------------------------------------------------------------------------------------------
# States


@router.get(
    "/states",
    response={200: list[StateOut], **_ERRORS},
    operation_id="state_list",
    summary="States you reach",
)
def state_list(request: HttpRequest) -> QuerySet[State]:
    """States in which you hold a role, or hold one in a district or school."""
    return visible_states(request.user).order_by("name")


@router.get(
    "/states/{code}",
    response={200: StateDetailOut, **_ERRORS_404},
    operation_id="state_detail",
    summary="One state with its schools by current level",
)
def state_detail(
    request: HttpRequest,
    code: str = Path(..., pattern=STATE_CODE_PARAM_PATTERN, description="USPS code, e.g. MA."),
) -> dict[str, Any]:
    """A state's data note and how many of the schools you can see are at each level."""
    try:
        state = get_state_for_user(request.user, code).state
        whole_state = True
    except Http404:
        # District and school roles reach a state only through their own schools: they may see
        # the state itself, and counts of just those schools (school_list applies the access).
        found = visible_states(request.user).filter(code=code.upper()).first()
        if found is None:
            raise
        state, whole_state = found, False
    counts = _level_counts(school_list(request.user, SchoolFilters(state=state.code)))
    return {
        "code": state.code,
        "fips": state.fips,
        "name": state.name,
        "data_note": state.data_note,
        "whole_state": whole_state,
        "school_count": sum(c["count"] for c in counts),
        "level_counts": counts,
    }


# ---------------------------------------------------------------------------------------------
# Districts


def _districts(user: Any) -> QuerySet[District]:
    return (
        visible_districts(user)
        .select_related("state")
        .annotate(school_count=Count("schools", distinct=True))
    )


@router.get(
    "/districts",
    response={200: DistrictPage, **_ERRORS},
    operation_id="district_list",
    summary="Districts you reach",
)
def district_list(
    request: HttpRequest, filters: Query[DistrictQuery], page: Query[PageQuery]
) -> dict[str, Any]:
    """Districts of the states you hold a role in, or the districts you lead; by name."""
    qs = _districts(request.user)
    if filters.state:
        qs = qs.filter(state__code=filters.state.upper())
    text = filters.q.strip()[:100]
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(code__startswith=text) | Q(nces_leaid=text))
    count, rows = _page(qs.order_by("name", "pk"), page)
    return {"count": count, "items": [_district_item(d, d.school_count) for d in rows]}


@router.get(
    "/districts/{district_id}",
    response={200: DistrictDetailOut, **_ERRORS_404},
    operation_id="district_detail",
    summary="One district with its schools by current level",
)
def district_detail(request: HttpRequest, district_id: int) -> dict[str, Any]:
    district = get_district_for_user(request.user, district_id).district
    counts = _level_counts(school_list(request.user, SchoolFilters(district=district.pk)))
    return {
        **_district_item(district, district.schools.count()),
        "state_name": district.state.name,
        "level_counts": counts,
    }


# ---------------------------------------------------------------------------------------------
# Schools


@router.get(
    "/schools",
    response={200: SchoolPage, **_ERRORS},
    operation_id="school_list",
    summary="Schools you reach, filtered and sorted",
)
def school_list_view(
    request: HttpRequest, filters: Query[SchoolQuery], page: Query[PageQuery]
) -> dict[str, Any]:
    """The schools you may see with their current determination; a bad filter value is a 422
    naming the parameter and the allowed values."""
    parsed = SchoolFilters.from_params(filters.model_dump())
    count, rows = _page(school_list(request.user, parsed), page)
    return {"count": count, "items": [_school_item(s) for s in rows]}


@router.get(
    "/schools/{school_id}",
    response={200: SchoolDetailOut, **_ERRORS_404},
    operation_id="school_detail",
    summary="One school: designations, determinations and results",
)
def school_detail(request: HttpRequest, school_id: int) -> dict[str, Any]:
    """Results are protected by small-cell suppression unless your role sees restricted
    aggregates of this school (`protected` says which)."""
    access = get_school_for_user(request.user, school_id)
    school = annotate_current(
        School.objects.select_related("district__state").filter(pk=access.school.pk)
    ).get()
    return {
        **_school_item(school),
        "town": school.town,
        "designations": [
            {
                "status": d.status,
                "status_label": d.get_status_display(),
                "entered_year": d.entered_year,
                "exited_year": d.exited_year,
                "exit_reason": d.exit_reason,
            }
            for d in designations_for_school(school)
        ],
        "determinations": [
            {
                "year": d.year,
                "ruleset": d.ruleset,
                "label": d.label,
                "level": d.level,
                "reason": d.reason,
                "percentile": d.percentile,
                "is_official": d.is_official,
            }
            for d in determinations_for_school(school)
        ],
        "protected": not access.sees_restricted,
        "results": [
            _result_item(r) for r in school_results(school, restricted=access.sees_restricted)
        ],
    }
