"""Assessment pages: the list, planning a new one, the overview with its next step, and the
status changes (start, move to consensus, finalise)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods, require_POST

from turnaround.accounts.access import get_district_for_user, get_reach, get_school_for_user
from turnaround.assessments.access import AssessmentAccess
from turnaround.assessments.forms import AssessmentCreateForm
from turnaround.assessments.models import Assessment
from turnaround.assessments.selectors import (
    assessment_list,
    finalise_blockers,
    published_versions,
    school_years,
    visit_staff,
)
from turnaround.assessments.services import (
    assessment_create,
    assessment_finalise,
    assessment_move_to_consensus,
    assessment_start,
)
from turnaround.assessments.views_common import attempt, load, page, refused
from turnaround.frameworks.models import Framework
from turnaround.organizations.models import District, School

PAGE_SIZE = 25


@login_required
def assessment_list_page(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    year = request.GET.get("school_year", "")
    errors = {}
    if kind and kind not in Assessment.Kind.values:
        errors["kind"] = f"Choose one of: {', '.join(Assessment.Kind.values)}."
        kind = ""
    if status and status not in Assessment.Status.values:
        errors["status"] = f"Choose one of: {', '.join(Assessment.Status.values)}."
        status = ""
    qs = assessment_list(request.user, kind=kind, status=status, school_year=year)
    paginator = Paginator(qs, PAGE_SIZE)
    context = {
        "page": paginator.get_page(request.GET.get("page")),
        "kind": kind,
        "status": status,
        "school_year": year,
        "kinds": Assessment.Kind.choices,
        "statuses": Assessment.Status.choices,
        "years": school_years(request.user),
        "filter_errors": errors,
        "query": {
            k: v for k, v in (("kind", kind), ("status", status), ("school_year", year)) if v
        },
    }
    template = "assessments/list.html"
    if getattr(request, "htmx", False) and request.headers.get("HX-Target") == "assessments-table":
        template = "assessments/list_table.html"
    return render(request, template, context, status=400 if errors else 200)


# ---------------------------------------------------------------------------------------------
# New


def _new(request: HttpRequest, *, subject: School | District) -> HttpResponse:
    reach = get_reach(request.user)
    if isinstance(subject, School):
        state_id = subject.district.state_id
        is_subject = subject.pk in reach.school_ids or subject.district_id in reach.district_ids
        framework_kind = Framework.Kind.SCHOOL
    else:
        state_id = subject.state_id
        is_subject = subject.pk in reach.district_ids
        framework_kind = Framework.Kind.DISTRICT
    is_staff = state_id in reach.restricted_state_ids
    kinds = []
    if is_staff:
        kinds.append((Assessment.Kind.SITE_VISIT.value, "Site visit (an external team, 1–3 days)"))
    if is_staff or is_subject:
        kinds.append((Assessment.Kind.SELF.value, "Self-assessment (by the school's own team)"))
    if not kinds:
        raise Http404("Not found.")
    versions = published_versions(state_id=state_id, kind=framework_kind)
    form = AssessmentCreateForm(
        request.POST or None, kinds=kinds, versions=versions, leads=visit_staff(state_id)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            created, status, _ = attempt(
                form,
                lambda: assessment_create(
                    actor=request.user,
                    kind=data["kind"],
                    framework_version=data["framework_version"],
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                    school=subject if isinstance(subject, School) else None,
                    district=subject if isinstance(subject, District) else None,
                    lead=data.get("lead") if data["kind"] == Assessment.Kind.SITE_VISIT else None,
                    title=data["title"],
                    school_year=data["school_year"],
                    purpose=data["purpose"],
                ),
            )
            if created is not None:
                messages.success(request, f"Planned “{created.title}”.")
                return redirect("assessment_detail", assessment_id=created.pk)
        else:
            status = 422
    return render(
        request,
        "assessments/new.html",
        {
            "form": form,
            "subject": subject,
            "is_school": isinstance(subject, School),
            "no_versions": not versions.exists(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def assessment_new_for_school(request: HttpRequest, school_id: int) -> HttpResponse:
    return _new(request, subject=get_school_for_user(request.user, school_id).school)


@login_required
@require_http_methods(["GET", "POST"])
def assessment_new_for_district(request: HttpRequest, district_id: int) -> HttpResponse:
    return _new(request, subject=get_district_for_user(request.user, district_id).district)


# ---------------------------------------------------------------------------------------------
# Overview


def report_url(assessment_id: int) -> str:
    """The report page (built alongside, in ``urls_reports``)."""
    try:
        return reverse("assessment_report", args=[assessment_id])
    except NoReverseMatch:
        return f"/assessments/{assessment_id}/report/"


def next_step(access: AssessmentAccess) -> dict[str, Any]:
    """What happens next, for this person, with a link when there is one."""
    a = access.assessment
    pk = a.pk
    visit = a.kind == Assessment.Kind.SITE_VISIT
    S = Assessment.Status
    if a.status == S.FINALISED:
        return {
            "text": "Finalised. Read the report; changes now need an amendment with a reason.",
            "url": report_url(pk),
            "link": "Read the report",
        }
    if a.status == S.PLANNED:
        if access.can_manage or (not visit and access.can_rate):
            return {
                "text": "Plan the team, the schedule, document requests and the questionnaire"
                if visit
                else "Add the team, then start the self-assessment.",
                "url": reverse("assessment_plan", args=[pk]),
                "link": "Open the plan",
                "action": "start",
            }
        if access.seat:
            return {
                "text": "The visit is being planned. Answer the pre-visit questionnaire and "
                "send the requested documents.",
                "url": reverse("assessment_plan", args=[pk]),
                "link": "Open the plan",
            }
        return {"text": "Being planned."}
    if a.status == S.IN_PROGRESS:
        if access.can_rate:
            return {
                "text": "Capture evidence and rate each indicator."
                if visit
                else "Rate each indicator; mark what is not a priority, with a reason.",
                "url": reverse(
                    "assessment_ratings" if not visit else "assessment_evidence", args=[pk]
                ),
                "link": "Rate the indicators" if not visit else "Capture evidence",
                "action": "consensus"
                if visit and access.can_record_consensus
                else ("finalise" if not visit else ""),
            }
        return {"text": "The team is collecting evidence and rating."}
    if access.can_record_consensus:
        return {
            "text": "Record the consensus rating of every indicator and the findings, then "
            "finalise.",
            "url": reverse("assessment_consensus" if visit else "assessment_ratings", args=[pk]),
            "link": "Open the consensus",
            "action": "finalise",
        }
    return {"text": "The lead is recording the consensus and writing the report."}


@login_required
def assessment_home(request: HttpRequest, assessment_id: int) -> HttpResponse:
    access = load(request, assessment_id)
    a = access.assessment
    step = next_step(access)
    context = {
        "step": step,
        "team": a.team.select_related("user").order_by("role", "user__username"),
        "blockers": finalise_blockers(a) if step.get("action") == "finalise" else [],
        "subject": a.school or a.district,
        "statuses": Assessment.Status.choices,
    }
    return page(request, "assessments/home.html", access, "home", context)


# ---------------------------------------------------------------------------------------------
# Status changes


def _status_change(request: HttpRequest, assessment_id: int, service: Any, done: str):
    access = load(request, assessment_id)
    try:
        expected = int(request.POST.get("version", ""))
    except ValueError:
        expected = None
    result, status, errors = attempt(
        None,
        lambda: service(
            actor=request.user, assessment=access.assessment, expected_version=expected
        ),
    )
    if result is None:
        return refused(request, access, errors, status)
    messages.success(request, done)
    return redirect("assessment_detail", assessment_id=assessment_id)


@login_required
@require_POST
def assessment_start_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    return _status_change(
        request, assessment_id, assessment_start, "Started: evidence and ratings are open."
    )


@login_required
@require_POST
def assessment_consensus_start_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    return _status_change(
        request, assessment_id, assessment_move_to_consensus, "Moved to consensus."
    )


@login_required
@require_POST
def assessment_finalise_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    return _status_change(
        request,
        assessment_id,
        assessment_finalise,
        "Finalised. Further changes need an amendment with a reason.",
    )
