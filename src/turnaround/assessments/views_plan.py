"""The plan tab: dates and purpose, the team, the schedule by day, document requests and the
pre-visit questionnaire. Each form posts to its own URL and comes back to the plan."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods, require_POST

from turnaround.accounts.models import User
from turnaround.assessments.access import AssessmentAccess
from turnaround.assessments.forms import (
    AssessmentPlanForm,
    DocumentRequestForm,
    QuestionnaireAnswerForm,
    QuestionnaireForm,
    ScheduleItemForm,
    TeamMemberForm,
)
from turnaround.assessments.models import Assessment, DocumentRequest, ScheduleItem, TeamMember
from turnaround.assessments.selectors import subject_team_candidates, visit_staff
from turnaround.assessments.services import (
    assessment_update,
    document_request_add,
    document_request_update,
    questionnaire_answer,
    questionnaire_set,
    schedule_item_add,
    schedule_item_delete,
    schedule_item_update,
    team_member_add,
    team_member_remove,
)
from turnaround.assessments.services.team import subject_ids
from turnaround.assessments.views_common import (
    attempt,
    load,
    page,
    refused,
    require_page,
    sees_plan,
)


def _team_candidates(a: Assessment) -> Any:
    seated = a.team.values("user_id")
    if a.kind == Assessment.Kind.SELF:
        return subject_team_candidates(a).exclude(pk__in=seated)
    state_id = subject_ids(a)[0]
    ids = set(visit_staff(state_id).values_list("pk", flat=True))
    ids |= set(subject_team_candidates(a).values_list("pk", flat=True))
    return User.objects.filter(pk__in=ids).exclude(pk__in=seated).order_by("username")


def _role_choices(a: Assessment) -> list[tuple[str, str]]:
    if a.kind == Assessment.Kind.SELF:
        return [(TeamMember.Role.SCHOOL_TEAM.value, TeamMember.Role.SCHOOL_TEAM.label)]
    return [
        (TeamMember.Role.REVIEWER.value, TeamMember.Role.REVIEWER.label),
        (TeamMember.Role.SCHOOL_TEAM.value, TeamMember.Role.SCHOOL_TEAM.label),
    ]


def _raters(a: Assessment) -> Any:
    return User.objects.filter(
        assessment_seats__assessment=a,
        assessment_seats__role__in=(TeamMember.Role.LEAD, TeamMember.Role.REVIEWER),
    ).order_by("username")


def _can_plan(access: AssessmentAccess) -> bool:
    a = access.assessment
    return not a.is_locked and (
        access.can_manage or (a.kind == Assessment.Kind.SELF and access.can_rate)
    )


def plan_context(access: AssessmentAccess, **forms: Any) -> dict[str, Any]:
    a = access.assessment
    can_plan = _can_plan(access)
    can_answer = not a.is_locked and (
        access.can_manage or access.seat == TeamMember.Role.SCHOOL_TEAM or access.is_subject
    )
    items = list(a.schedule.select_related("reviewer"))
    by_day = [(day, list(rows)) for day, rows in groupby(items, key=lambda i: i.day)]
    forms.setdefault(
        "plan_form",
        AssessmentPlanForm(
            initial={
                "title": a.title,
                "start_date": a.start_date,
                "end_date": a.end_date,
                "school_year": a.school_year,
                "purpose": a.purpose,
                "version": a.version,
            }
        ),
    )
    if can_plan:
        forms.setdefault(
            "team_form", TeamMemberForm(users=_team_candidates(a), roles=_role_choices(a))
        )
    if a.kind == Assessment.Kind.SITE_VISIT and access.can_manage:
        forms.setdefault(
            "schedule_form",
            ScheduleItemForm(reviewers=_raters(a), initial={"day": a.start_date}),
        )
        forms.setdefault("document_form", DocumentRequestForm())
        forms.setdefault(
            "questions_form",
            QuestionnaireForm(
                initial={
                    "questions": "\n".join(q["question"] for q in a.questionnaire),
                    "version": a.version,
                }
            ),
        )
    if a.questionnaire and can_answer:
        forms.setdefault(
            "answer_form",
            QuestionnaireAnswerForm(questions=a.questionnaire, initial={"version": a.version}),
        )
    return {
        "can_plan": can_plan,
        "can_manage": access.can_manage and not a.is_locked,
        "can_answer": can_answer,
        "is_visit": a.kind == Assessment.Kind.SITE_VISIT,
        "team": a.team.select_related("user").order_by("role", "user__username"),
        "schedule_by_day": by_day,
        "documents": a.document_requests.all(),
        **forms,
    }


def _plan_page(request: HttpRequest, access: AssessmentAccess, status: int = 200, **forms: Any):
    return page(
        request, "assessments/plan.html", access, "plan", plan_context(access, **forms), status
    )


def _access_for_plan(request: HttpRequest, assessment_id: int) -> AssessmentAccess:
    access = load(request, assessment_id)
    require_page(sees_plan(access))
    return access


def _back(assessment_id: int, anchor: str) -> HttpResponse:
    from django.urls import reverse

    return redirect(reverse("assessment_plan", args=[assessment_id]) + f"#{anchor}")


@login_required
def plan(request: HttpRequest, assessment_id: int) -> HttpResponse:
    return _plan_page(request, _access_for_plan(request, assessment_id))


@login_required
@require_POST
def plan_update(request: HttpRequest, assessment_id: int) -> HttpResponse:
    access = _access_for_plan(request, assessment_id)
    form = AssessmentPlanForm(request.POST)
    if not form.is_valid():
        return _plan_page(request, access, 422, plan_form=form)
    data = dict(form.cleaned_data)
    version = data.pop("version")
    _, status, _ = attempt(
        form,
        lambda: assessment_update(
            actor=request.user,
            assessment=access.assessment,
            expected_version=version,
            changes=data,
        ),
    )
    if status != 200:
        return _plan_page(request, access, status, plan_form=form)
    messages.success(request, "Saved the dates and purpose.")
    return _back(assessment_id, "dates")


@login_required
@require_POST
def team_add(request: HttpRequest, assessment_id: int) -> HttpResponse:
    access = _access_for_plan(request, assessment_id)
    a = access.assessment
    form = TeamMemberForm(request.POST, users=_team_candidates(a), roles=_role_choices(a))
    if form.is_valid():
        _, status, _ = attempt(
            form,
            lambda: team_member_add(
                actor=request.user,
                assessment=a,
                user=form.cleaned_data["user"],
                role=form.cleaned_data["role"],
            ),
        )
        if status == 200:
            messages.success(request, f"Added {form.cleaned_data['user'].get_username()}.")
            return _back(assessment_id, "team")
    else:
        status = 422
    return _plan_page(request, access, status, team_form=form)


@login_required
@require_POST
def team_remove(request: HttpRequest, assessment_id: int, member_id: int) -> HttpResponse:
    access = _access_for_plan(request, assessment_id)
    member = get_object_or_404(TeamMember, pk=member_id, assessment=access.assessment)
    _, status, errors = attempt(None, lambda: team_member_remove(actor=request.user, member=member))
    if status != 200:
        return refused(request, access, errors, status)
    messages.success(request, f"Removed {member.user.get_username()} from the team.")
    return _back(assessment_id, "team")


def _schedule_changes(form: ScheduleItemForm) -> dict[str, Any]:
    return dict(form.cleaned_data)


@login_required
@require_POST
def schedule_add(request: HttpRequest, assessment_id: int) -> HttpResponse:
    access = _access_for_plan(request, assessment_id)
    a = access.assessment
    form = ScheduleItemForm(request.POST, reviewers=_raters(a))
    if form.is_valid():
        data = _schedule_changes(form)
        data.pop("consent_recorded", None)
        _, status, _ = attempt(
            form, lambda: schedule_item_add(actor=request.user, assessment=a, **data)
        )
        if status == 200:
            messages.success(request, f"Scheduled “{data['title']}”.")
            return _back(assessment_id, "schedule")
    else:
        status = 422
    return _plan_page(request, access, status, schedule_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def schedule_edit(request: HttpRequest, assessment_id: int, item_id: int) -> HttpResponse:
    access = _access_for_plan(request, assessment_id)
    a = access.assessment
    item = get_object_or_404(ScheduleItem, pk=item_id, assessment=a)
    if not access.can_manage:
        raise Http404("Not found.")
    initial = {
        "day": item.day,
        "starts_at": item.starts_at,
        "ends_at": item.ends_at,
        "activity": item.activity,
        "title": item.title,
        "participants": item.participants,
        "location": item.location,
        "reviewer": item.reviewer_id,
        "consent_required": item.consent_required,
        "consent_recorded": item.consent_recorded,
    }
    form = ScheduleItemForm(request.POST or None, reviewers=_raters(a), initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            _, status, _ = attempt(
                form,
                lambda: schedule_item_update(
                    actor=request.user, item=item, changes=_schedule_changes(form)
                ),
            )
            if status == 200:
                messages.success(request, f"Saved “{form.cleaned_data['title']}”.")
                return _back(assessment_id, "schedule")
        else:
            status = 422
    return page(
        request,
        "assessments/schedule_edit.html",
        access,
        "plan",
        {"form": form, "item": item},
        status,
    )


@login_required
@require_POST
def schedule_delete(request: HttpRequest, assessment_id: int, item_id: int) -> HttpResponse:
    access = _access_for_plan(request, assessment_id)
    item = get_object_or_404(ScheduleItem, pk=item_id, assessment=access.assessment)
    _, status, errors = attempt(None, lambda: schedule_item_delete(actor=request.user, item=item))
    if status != 200:
        return refused(request, access, errors, status)
    messages.success(request, f"Deleted “{item.title}” from the schedule.")
    return _back(assessment_id, "schedule")


@login_required
@require_POST
def document_add(request: HttpRequest, assessment_id: int) -> HttpResponse:
    access = _access_for_plan(request, assessment_id)
    form = DocumentRequestForm(request.POST)
    if form.is_valid():
        _, status, _ = attempt(
            form,
            lambda: document_request_add(
                actor=request.user, assessment=access.assessment, **form.cleaned_data
            ),
        )
        if status == 200:
            messages.success(request, f"Requested “{form.cleaned_data['title']}”.")
            return _back(assessment_id, "documents")
    else:
        status = 422
    return _plan_page(request, access, status, document_form=form)


@login_required
@require_POST
def document_received(request: HttpRequest, assessment_id: int, request_id: int) -> HttpResponse:
    access = _access_for_plan(request, assessment_id)
    doc = get_object_or_404(DocumentRequest, pk=request_id, assessment=access.assessment)
    received = request.POST.get("received") == "1"
    _, status, errors = attempt(
        None,
        lambda: document_request_update(
            actor=request.user, request=doc, changes={"received": received}
        ),
    )
    if status != 200:
        return refused(request, access, errors, status)
    state = "received" if received else "not received yet"
    messages.success(request, f"Marked “{doc.title}” {state}.")
    return _back(assessment_id, "documents")


@login_required
@require_POST
def questions_set(request: HttpRequest, assessment_id: int) -> HttpResponse:
    access = _access_for_plan(request, assessment_id)
    form = QuestionnaireForm(request.POST)
    if form.is_valid():
        _, status, _ = attempt(
            form,
            lambda: questionnaire_set(
                actor=request.user,
                assessment=access.assessment,
                questions=form.question_list(),
                expected_version=form.cleaned_data["version"],
            ),
        )
        if status == 200:
            messages.success(request, "Saved the questionnaire.")
            return _back(assessment_id, "questionnaire")
    else:
        status = 422
    return _plan_page(request, access, status, questions_form=form)


@login_required
@require_POST
def questions_answer(request: HttpRequest, assessment_id: int) -> HttpResponse:
    access = _access_for_plan(request, assessment_id)
    a = access.assessment
    form = QuestionnaireAnswerForm(request.POST, questions=a.questionnaire)
    if form.is_valid():
        _, status, _ = attempt(
            form,
            lambda: questionnaire_answer(
                actor=request.user,
                assessment=a,
                answers=form.answers(),
                expected_version=form.cleaned_data["version"],
            ),
        )
        if status == 200:
            messages.success(request, "Saved your answers.")
            return _back(assessment_id, "questionnaire")
    else:
        status = 422
    return _plan_page(request, access, status, answer_form=form)
