"""Reports, priorities and the comparison across schools over the API.

The same access rules as the pages (``assessments.access`` and ``report.report_visible``): a
draft site-visit report is the team's and state staff's only; evidence appears only for viewers
with working-paper access; "missing" and "not yours" are the same 404. Changing priorities needs
the lead, state staff, or the assessed school once the report is final (403 otherwise); a stale
``version`` answers 409.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Query, Router, Status
from ninja.errors import ValidationError

from turnaround.assessments import compare as cmp
from turnaround.assessments.access import AssessmentAccess, get_assessment_for_user
from turnaround.assessments.models import Priority
from turnaround.assessments.pdf import render_report_pdf, report_pdf_filename
from turnaround.assessments.priorities import (
    PriorityEditRefused,
    priorities_propose,
    priority_delete,
    priority_reorder,
    priority_save,
)
from turnaround.assessments.report import (
    ReportNotAvailable,
    priority_rows,
    report_for,
    report_visible,
)
from turnaround.assessments.schemas_reports import (
    CompareOut,
    CompareQuery,
    PriorityIn,
    PriorityOut,
    PriorityPatch,
    ProposeIn,
    ReorderIn,
    ReportOut,
)
from turnaround.core.concurrency import StaleEditError
from turnaround.organizations.schemas import Message, ValidationErrors

router = Router(tags=["assessment reports"])

_ERRORS: dict[int, Any] = {401: Message, 404: Message, 422: ValidationErrors}
_WRITE_ERRORS: dict[int, Any] = {**_ERRORS, 403: Message, 409: Message}
_PDF_RESPONSE = {
    "responses": {
        200: {
            "description": "The report as a PDF.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def _access(request: HttpRequest, assessment_id: int) -> AssessmentAccess:
    access = get_assessment_for_user(request.user, assessment_id)
    if not report_visible(access):
        raise Http404("Not found.")
    return access


def _invalid(exc: DjangoValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        items = [
            {"loc": ["body", field], "msg": " ".join(msgs), "type": "value_error"}
            for field, msgs in exc.message_dict.items()
        ]
    else:
        items = [{"loc": ["body"], "msg": " ".join(exc.messages), "type": "value_error"}]
    return ValidationError(items)


def _priority_item(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "version": row.version,
        "rank": row.rank,
        "title": row.title,
        "practice_code": row.practice_code,
        "practice_name": row.practice_name,
        "indicator_id": row.indicator_id,
        "indicator_code": row.indicator_code,
        "why": row.why,
        "suggested_actions": row.suggested_actions,
        "owner": row.owner,
        "due_date": row.due_date,
        "status": row.status,
        "status_label": row.status_label,
    }


def _priorities(access: AssessmentAccess) -> list[dict[str, Any]]:
    return [_priority_item(r) for r in priority_rows(access.assessment)]


def _priority(access: AssessmentAccess, priority_id: int) -> Priority:
    priority = Priority.objects.filter(pk=priority_id, assessment=access.assessment).first()
    if priority is None:
        raise Http404("Not found.")
    return priority


# ---------------------------------------------------------------------------------------------
# Report


@router.get(
    "/assessments/{int:assessment_id}/report",
    response={200: ReportOut, **_ERRORS},
    operation_id="assessment_report",
    summary="An assessment's report",
)
def assessment_report(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    """The report's content: summary, practice profile (with its Vega-Lite spec), ratings with
    the change since the previous visit, findings, amendments and priorities. `evidence` is null
    unless you may see the team's working papers."""
    try:
        report = report_for(_access(request, assessment_id))
    except ReportNotAvailable as exc:
        raise Http404("Not found.") from exc
    return {**report.as_dict(), "chart": report.chart_spec}


@router.get(
    "/assessments/{int:assessment_id}/report.pdf",
    response={200: None, **_ERRORS},
    operation_id="assessment_report_pdf",
    summary="An assessment's report as a PDF",
    openapi_extra=_PDF_RESPONSE,
)
def assessment_report_pdf(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """The printable report (cover, page numbers, the practice profile chart). It never contains
    the team's working papers."""
    try:
        report = report_for(_access(request, assessment_id), include_evidence=False)
    except ReportNotAvailable as exc:
        raise Http404("Not found.") from exc
    response = HttpResponse(render_report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{report_pdf_filename(report)}"'
    return response


# ---------------------------------------------------------------------------------------------
# Priorities


@router.get(
    "/assessments/{int:assessment_id}/priorities",
    response={200: list[PriorityOut], **_ERRORS},
    operation_id="assessment_priority_list",
    summary="An assessment's priorities, in rank order",
)
def assessment_priority_list(request: HttpRequest, assessment_id: int) -> list[dict[str, Any]]:
    return _priorities(_access(request, assessment_id))


@router.post(
    "/assessments/{int:assessment_id}/priorities/propose",
    response={200: list[PriorityOut], **_WRITE_ERRORS},
    operation_id="assessment_priority_propose",
    summary="Propose priorities from the ratings",
)
def assessment_priority_propose(
    request: HttpRequest, assessment_id: int, payload: ProposeIn
) -> Any:
    """Replace the priorities that are still only proposed with a fresh proposal: lowest ratings
    first, KEY indicators and practices with several low ratings ahead among equals, at most two
    per practice while others have candidates. Agreed priorities stay. Returns them all."""
    access = _access(request, assessment_id)
    try:
        priorities_propose(assessment=access.assessment, actor=request.user, limit=payload.limit)
    except PriorityEditRefused as exc:
        return Status(403, {"detail": str(exc)})
    return _priorities(access)


@router.post(
    "/assessments/{int:assessment_id}/priorities",
    response={201: PriorityOut, **_WRITE_ERRORS},
    operation_id="assessment_priority_create",
    summary="Add a priority (ranked last)",
)
def assessment_priority_create(
    request: HttpRequest, assessment_id: int, payload: PriorityIn
) -> Any:
    access = _access(request, assessment_id)
    try:
        priority = priority_save(
            actor=request.user,
            assessment=access.assessment,
            data=payload.model_dump(exclude={"practice"} if payload.practice is None else set()),
        )
    except PriorityEditRefused as exc:
        return Status(403, {"detail": str(exc)})
    except DjangoValidationError as exc:
        raise _invalid(exc) from exc
    row = next(r for r in priority_rows(access.assessment) if r.id == priority.pk)
    return Status(201, _priority_item(row))


@router.put(
    "/assessments/{int:assessment_id}/priorities/order",
    response={200: list[PriorityOut], **_WRITE_ERRORS},
    operation_id="assessment_priority_reorder",
    summary="Put the priorities in a new order",
)
def assessment_priority_reorder(
    request: HttpRequest, assessment_id: int, payload: ReorderIn
) -> Any:
    access = _access(request, assessment_id)
    try:
        priority_reorder(
            actor=request.user,
            assessment=access.assessment,
            order=payload.order,
            expected_versions={v.id: v.version for v in payload.versions},
        )
    except PriorityEditRefused as exc:
        return Status(403, {"detail": str(exc)})
    except StaleEditError as exc:
        return Status(409, {"detail": str(exc)})
    except DjangoValidationError as exc:
        raise _invalid(exc) from exc
    return _priorities(access)


@router.patch(
    "/assessments/{int:assessment_id}/priorities/{int:priority_id}",
    response={200: PriorityOut, **_WRITE_ERRORS},
    operation_id="assessment_priority_update",
    summary="Change a priority",
)
def assessment_priority_update(
    request: HttpRequest, assessment_id: int, priority_id: int, payload: PriorityPatch
) -> Any:
    """Send the fields to change and the `version` you edited. Setting `status` to agreed needs
    a finalised report."""
    access = _access(request, assessment_id)
    priority = _priority(access, priority_id)
    data = {k: getattr(payload, k) for k in payload.model_fields_set if k != "version"}
    try:
        priority_save(
            actor=request.user,
            assessment=access.assessment,
            priority=priority,
            data=data,
            expected_version=payload.version,
        )
    except PriorityEditRefused as exc:
        return Status(403, {"detail": str(exc)})
    except StaleEditError as exc:
        return Status(409, {"detail": str(exc)})
    except DjangoValidationError as exc:
        raise _invalid(exc) from exc
    row = next(r for r in priority_rows(access.assessment) if r.id == priority.pk)
    return _priority_item(row)


@router.delete(
    "/assessments/{int:assessment_id}/priorities/{int:priority_id}",
    response={204: None, **_WRITE_ERRORS},
    operation_id="assessment_priority_delete",
    summary="Remove a priority",
)
def assessment_priority_delete(
    request: HttpRequest, assessment_id: int, priority_id: int, version: int = Query(...)
) -> Any:
    """`version` is the version you saw (409 when it changed since)."""
    access = _access(request, assessment_id)
    priority = _priority(access, priority_id)
    try:
        priority_delete(actor=request.user, priority=priority, expected_version=version)
    except PriorityEditRefused as exc:
        return Status(403, {"detail": str(exc)})
    except StaleEditError as exc:
        return Status(409, {"detail": str(exc)})
    except DjangoValidationError as exc:
        raise _invalid(exc) from exc
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Across schools


@router.get(
    "/compare/assessments",
    response={200: CompareOut, **_ERRORS},
    operation_id="assessment_compare",
    summary="Consensus ratings across schools: heatmap, distribution, trajectories",
)
def assessment_compare(request: HttpRequest, query: Query[CompareQuery]) -> dict[str, Any]:
    """The latest finalised site visit of each school in a school year. State administrators
    and staff see every school of their state, a district leader its district's schools; viewers
    and TA providers get the distribution only (`public`: rows and trajectories empty, counts
    under `reporting_min_n` null). Anyone else: 404."""
    filters = cmp.CompareFilters.from_params(query.model_dump())  # FilterError → 422
    scope = cmp.compare_scope_for_user(request.user, filters.state)
    c = cmp.comparison_for(scope, cmp.resolve_filters(scope, filters))
    return {
        "state": scope.state.code,
        "framework": None
        if c.framework is None
        else {
            "id": c.framework.pk,
            "name": c.framework.name,
            "version": c.column_version.number if c.column_version else None,
        },
        "year": c.filters.year,
        "district": c.filters.district,
        "public": c.public,
        "reporting_min_n": c.reporting_min_n,
        "levels": [{"code": code, "label": label} for code, label in c.levels],
        "practices": [{"code": p.code, "name": p.name} for p in c.practices],
        "columns": [
            {
                "code": col.code,
                "text": col.text,
                "practice_code": col.practice_code,
                "is_key": col.is_key,
            }
            for col in c.columns
        ],
        "rows": [
            {
                "school_id": r.school_id,
                "school_code": r.school_code,
                "school_name": r.school_name,
                "district_name": r.district_name,
                "assessment_id": r.assessment_id,
                "visit_date": r.visit_date,
                "framework_version": r.framework_version,
                "practice_means": list(r.practice_means),
                "cells": [{"level": level, "label": label} for level, label in r.cells],
            }
            for r in c.rows
        ],
        "distribution_labels": list(c.distribution_labels),
        "distribution": [
            {
                "code": d.code,
                "practice_code": d.practice_code,
                "counts": list(d.counts),
                "total": d.total,
            }
            for d in c.distribution
        ],
        "trajectory_years": list(c.trajectory_years),
        "trajectories": [
            {
                "school_id": t.school_id,
                "school_name": t.school_name,
                "practice_code": t.practice_code,
                "means": list(t.means),
            }
            for t in c.trajectories
        ],
    }
