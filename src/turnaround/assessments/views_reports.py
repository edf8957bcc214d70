"""Pages for reports, priorities and the comparison across schools. Thin: access helpers, the
report and comparison selectors, and the priority services do the work."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods

from turnaround.assessments import compare as cmp
from turnaround.assessments.access import AssessmentAccess, get_assessment_for_user
from turnaround.assessments.models import Priority
from turnaround.assessments.pdf import (
    prewarm_in_background,
    render_report_pdf,
    report_pdf_filename,
)
from turnaround.assessments.priorities import (
    PriorityEditRefused,
    max_priorities,
    priorities_agree,
    priorities_editable,
    priorities_propose,
    priority_delete,
    priority_move,
    priority_save,
)
from turnaround.assessments.report import (
    Report,
    ReportNotAvailable,
    priority_rows,
    report_for,
    report_visible,
)
from turnaround.core.concurrency import StaleEditError
from turnaround.frameworks.models import Indicator
from turnaround.organizations.selectors import FilterError


def _report_access(request: HttpRequest, assessment_id: int) -> AssessmentAccess:
    access = get_assessment_for_user(request.user, assessment_id)
    if not report_visible(access):
        raise Http404("No such report.")
    return access


def _report(access: AssessmentAccess, *, include_evidence: bool = True) -> Report:
    try:
        return report_for(access, include_evidence=include_evidence)
    except ReportNotAvailable as exc:
        raise Http404("No such report.") from exc


def _evidence_items(report: Report) -> list[Any]:
    seen: dict[int, Any] = {}
    for p in report.practices:
        for i in p.indicators:
            for e in i.evidence:
                seen.setdefault(e.id, e)
    return list(seen.values())


@login_required
def assessment_report(request: HttpRequest, assessment_id: int) -> HttpResponse:
    access = _report_access(request, assessment_id)
    report = _report(access)
    evidence_url = ""
    if report.shows_evidence:
        try:  # the visit workflow's evidence log, where the team works on the evidence
            evidence_url = reverse("assessment_evidence", args=[assessment_id])
        except NoReverseMatch:
            evidence_url = ""
    response = render(
        request,
        "assessments/report.html",
        {
            "report": report,
            "a": report.assessment,
            "access": access,
            "evidence_items": _evidence_items(report) if report.shows_evidence else [],
            "evidence_url": evidence_url,
            "can_edit_priorities": priorities_editable(access),
        },
    )
    # started after the page is rendered, so it does not compete with it: the PDF link on this
    # page is then answered warm
    prewarm_in_background()
    return response


@login_required
def assessment_report_pdf(request: HttpRequest, assessment_id: int) -> HttpResponse:
    access = _report_access(request, assessment_id)
    report = _report(access, include_evidence=False)
    response = HttpResponse(render_report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{report_pdf_filename(report)}"'
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------------------------------------
# Priorities


def _priority(access: AssessmentAccess, priority_id: Any) -> Priority:
    try:
        pk = int(priority_id)
    except (TypeError, ValueError) as exc:
        raise Http404("No such priority.") from exc
    priority = Priority.objects.filter(pk=pk, assessment=access.assessment).first()
    if priority is None:
        raise Http404("No such priority.")
    return priority


def _version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return -1


def _priorities_context(access: AssessmentAccess, **extra: Any) -> dict[str, Any]:
    a = access.assessment
    indicators = (
        Indicator.objects.filter(framework_version_id=a.framework_version_id)
        .select_related("component__practice")
        .order_by("component__practice__position", "component__position", "position", "code")
    )
    return {
        "a": a,
        "access": access,
        "priorities": priority_rows(a),
        "can_edit": priorities_editable(access),
        "max_priorities": max_priorities(),
        "indicator_choices": [
            (i.pk, f"{i.code} — {i.text[:90]}", i.component.practice.code) for i in indicators
        ],
        "status_choices": Priority.Status.choices,
        "errors": {},
        "form_values": {},
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def assessment_priorities(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """The prioritisation session: propose from the ratings, edit, reorder, agree."""
    access = _report_access(request, assessment_id)
    if request.method == "GET":
        return render(request, "assessments/report_priorities.html", _priorities_context(access))
    if not priorities_editable(access):
        raise Http404("No such page.")
    a = access.assessment
    action = request.POST.get("action", "")
    status = 200
    extra: dict[str, Any] = {}
    try:
        if action == "propose":
            priorities_propose(assessment=a, actor=request.user)
            messages.success(request, "Proposed priorities from the ratings.")
        elif action == "agree":
            changed = priorities_agree(actor=request.user, assessment=a)
            messages.success(request, f"Agreed {changed} priorities with the school.")
        elif action in ("up", "down"):
            priority = _priority(access, request.POST.get("priority"))
            priority_move(
                actor=request.user,
                priority=priority,
                direction=action,
                expected_version=_version(request),
            )
        elif action == "delete":
            priority = _priority(access, request.POST.get("priority"))
            priority_delete(
                actor=request.user, priority=priority, expected_version=_version(request)
            )
            messages.success(request, f"Removed “{priority.title}”.")
        elif action == "save":
            data = {
                name: request.POST.get(name, "")
                for name in ("indicator", "title", "why", "suggested_actions", "owner", "due_date")
            }
            if request.POST.get("status"):
                data["status"] = request.POST["status"]
            pid = request.POST.get("priority")
            if pid:
                priority = _priority(access, pid)
                priority_save(
                    actor=request.user,
                    assessment=a,
                    priority=priority,
                    data=data,
                    expected_version=_version(request),
                )
            else:
                priority_save(actor=request.user, assessment=a, data=data)
            messages.success(request, "Saved the priority.")
        else:
            raise ValidationError(f"Unknown action {action!r}.")
    except StaleEditError as exc:
        status = 409
        extra["error_message"] = str(exc)
    except PriorityEditRefused as exc:
        raise Http404("No such page.") from exc
    except ValidationError as exc:
        status = 422
        extra["errors"] = getattr(exc, "message_dict", {"__all__": exc.messages})
        extra["error_message"] = "; ".join(
            f"{k}: {', '.join(v)}" if k != "__all__" else ", ".join(v)
            for k, v in extra["errors"].items()
        )
        extra["form_values"] = request.POST
        extra["editing"] = request.POST.get("priority", "")
    if status == 200:
        return redirect(reverse("assessment_priorities", args=[a.pk]))
    return render(
        request,
        "assessments/report_priorities.html",
        _priorities_context(access, **extra),
        status=status,
    )


# ---------------------------------------------------------------------------------------------
# Across schools


def _comparison(request: HttpRequest) -> tuple[cmp.Comparison | None, dict[str, str], int]:
    try:
        filters = cmp.CompareFilters.from_params(request.GET)
    except FilterError as exc:
        state = "" if "state" in exc.errors else (request.GET.get("state") or "")
        scope = cmp.compare_scope_for_user(request.user, state)
        filters = cmp.resolve_filters(scope, cmp.CompareFilters(state=scope.state.code))
        return cmp.comparison_for(scope, filters), exc.errors, 400
    scope = cmp.compare_scope_for_user(request.user, filters.state)
    try:
        filters = cmp.resolve_filters(scope, filters)
    except FilterError as exc:
        filters = cmp.resolve_filters(scope, cmp.CompareFilters(state=scope.state.code))
        return cmp.comparison_for(scope, filters), exc.errors, 400
    return cmp.comparison_for(scope, filters), {}, 200


@login_required
def assessments_compare(request: HttpRequest) -> HttpResponse:
    comparison, errors, status = _comparison(request)
    assert comparison is not None
    scope = comparison.scope
    params = comparison.filters.as_params()
    export_query = comparison.filters.as_params(school=None)
    return render(
        request,
        "assessments/compare.html",
        {
            "c": comparison,
            "filters": comparison.filters,
            "filter_errors": errors,
            "frameworks": cmp.framework_choices(scope),
            "districts": cmp.district_choices(scope),
            "years": cmp.year_choices(scope, comparison.filters.framework),
            "school_choices": sorted(
                {(t.school_id, t.school_name) for t in comparison.trajectories},
                key=lambda s: (s[1], s[0]),
            ),
            "query": params,
            "export_query": export_query,
        },
        status=status,
    )


@login_required
def assessments_compare_export(request: HttpRequest, what: str, fmt: str) -> HttpResponse:
    comparison, errors, _ = _comparison(request)
    if errors:
        return HttpResponse(
            "Cannot export: " + "; ".join(f"{k}: {v}" for k, v in errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    assert comparison is not None
    return cmp.export_response(comparison, what, fmt)
