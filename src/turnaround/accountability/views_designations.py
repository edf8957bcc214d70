"""A designation (timeline, transitions), its exit criteria, its exit review, a recorded exit
review, and a school's accountability history.

Whoever reaches the school sees the designation and its outcome; the state's administrators and
staff act on it (others get 403 on a form they can see, 404 where they see nothing); exit reviews
are read by state staff and the school's and district's leaders (``accountability.access``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from turnaround.accountability.access import (
    get_designation_for_user,
    get_exit_review_for_user,
    manages_state,
)
from turnaround.accountability.evidence import (
    paused_years_of,
    ruleset_of,
    statewide_gap_years,
    yearly_outcomes,
)
from turnaround.accountability.forms import CriteriaForm, ExitReviewForm, TransitionForm
from turnaround.accountability.models import Designation, DesignationStatus, ExitReview
from turnaround.accountability.selectors import latest_year, school_history
from turnaround.accountability.services.designations import (
    designation_transition,
    designation_update,
)
from turnaround.accountability.services.exit_reviews import (
    evaluation_data,
    exit_evaluation,
    exit_review_record,
)
from turnaround.accounts.access import get_school_for_user
from turnaround.analytics.accountability.designation_rules import ESCALATIONS
from turnaround.analytics.accountability.exit_criteria import CriterionError, criteria_from_data
from turnaround.analytics.accountability.status_years import designation_years
from turnaround.core.concurrency import StaleEditError

T = TypeVar("T")


def _attempt(form: forms.Form, call: Callable[[], T]) -> tuple[T | None, int]:
    """Run a service call; its refusal becomes form errors and the status to answer with."""
    try:
        return call(), 200
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            for message in exc.messages:
                form.add_error(None, message)
        return None, 422
    except StaleEditError as exc:
        form.add_error(None, str(exc))
        return None, 409
    except PermissionDenied as exc:
        form.add_error(None, str(exc) or "You cannot do that.")
        return None, 403


def _status_label(status: str | None) -> str:
    return dict(DesignationStatus.choices).get(status, status or "") if status else ""


def _criteria(d: Designation) -> list[Any]:
    try:
        return list(criteria_from_data(list(d.exit_criteria or [])))
    except CriterionError:
        return []


def _years(d: Designation) -> Any:
    ruleset = ruleset_of(d)
    outcomes = yearly_outcomes([d.school_id], ruleset).get(d.school_id, {}) if ruleset else {}
    gaps = statewide_gap_years(d.school.district.state_id, ruleset) if ruleset else set()
    as_of = max(latest_year(d.school.district.state) or d.entered_year, d.entered_year)
    return designation_years(
        entered_year=d.entered_year,
        as_of_year=as_of,
        exited_year=d.exited_year,
        paused_years=paused_years_of(outcomes, gaps),
    )


@login_required
@require_http_methods(["GET", "POST"])
def designation_detail(request: HttpRequest, designation_id: int) -> HttpResponse:
    access = get_designation_for_user(request.user, designation_id)
    d = access.designation
    form = TransitionForm(initial={"version": d.version})
    status = 200
    if request.method == "POST":
        if not access.can_manage:
            raise PermissionDenied("Only the state's administrators and staff change designations.")
        form = TransitionForm(request.POST)
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            result, status = _attempt(
                form,
                lambda: designation_transition(
                    actor=request.user,
                    designation=d,
                    action=data["action"],
                    year=data["year"],
                    reason=data["reason"],
                    expected_version=data["version"],
                ),
            )
            if result is not None:
                messages.success(
                    request,
                    f"Saved: {result.get_status_display()}, {result.get_phase_display().lower()}.",
                )
                return redirect("accountability:designation", designation_id=result.pk)
    context = {
        "access": access,
        "d": d,
        "school": d.school,
        "state": d.school.district.state,
        "manages": access.can_manage,
        "years": _years(d),
        "criteria": _criteria(d),
        "escalates_to": _status_label(ESCALATIONS.get(d.status)),
        "reviews": list(d.exit_reviews.select_related("decided_by")) if access.sees_reviews else [],
        "escalated_to": getattr(d, "escalated_to", None),
        "form": form,
    }
    return render(request, "accountability/designation.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def designation_criteria(request: HttpRequest, designation_id: int) -> HttpResponse:
    access = get_designation_for_user(request.user, designation_id)
    if not access.can_manage:
        raise Http404("No such designation.")
    d = access.designation
    current = _criteria(d)
    form = CriteriaForm(request.POST or None, current=current, initial={"version": d.version})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            result, status = _attempt(
                form,
                lambda: designation_update(
                    actor=request.user,
                    designation=d,
                    expected_version=form.cleaned_data["version"],
                    exit_criteria=form.criteria_data(),
                ),
            )
            if result is not None:
                messages.success(request, "Saved the exit criteria.")
                return redirect("accountability:designation", designation_id=d.pk)
    context = {
        "d": d,
        "school": d.school,
        "state": d.school.district.state,
        "form": form,
        "manages": True,
    }
    return render(request, "accountability/criteria.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def exit_review(request: HttpRequest, designation_id: int) -> HttpResponse:
    """Evaluate the exit criteria for a year (evidence per criterion) and record the decision."""
    access = get_designation_for_user(request.user, designation_id)
    if not access.can_manage:
        raise Http404("No such designation.")
    d = access.designation
    default_year = max(latest_year(d.school.district.state) or d.entered_year, d.entered_year)
    raw = request.POST.get("review_year") if request.method == "POST" else request.GET.get("year")
    review_year = int(raw) if raw and raw.isdigit() else default_year
    initial = {"review_year": review_year, "version": d.version}
    form = ExitReviewForm(request.POST or None, initial=initial)
    status = 200
    evaluation = None
    evaluation_error = ""
    if d.is_open and 1990 <= review_year <= 2100:
        try:
            evaluation = exit_evaluation(d, review_year)
        except ValidationError as exc:
            evaluation_error = "; ".join(exc.messages)
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            review, status = _attempt(
                form,
                lambda: exit_review_record(
                    actor=request.user,
                    designation=d,
                    review_year=data["review_year"],
                    decision=data["decision"],
                    rationale=data["rationale"],
                    expected_version=data["version"],
                    next_review_year=data["next_review_year"],
                ),
            )
            if review is not None:
                messages.success(
                    request, f"Recorded the exit review: {review.get_decision_display().lower()}."
                )
                return redirect("accountability:exit_review_detail", review_id=review.pk)
    context = {
        "d": d,
        "school": d.school,
        "state": d.school.district.state,
        "manages": True,
        "form": form,
        "review_year": review_year,
        "evaluation": evaluation,
        "results": evaluation_data(evaluation) if evaluation is not None else [],
        "evaluation_error": evaluation_error,
        "escalates_to": _status_label(ESCALATIONS.get(d.status)),
    }
    return render(request, "accountability/exit_review.html", context, status=status)


@login_required
@require_GET
def exit_review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    review = get_exit_review_for_user(request.user, review_id)
    d = review.designation
    context = {
        "review": review,
        "d": d,
        "school": d.school,
        "state": d.school.district.state,
        "decisions": dict(ExitReview.Decision.choices),
        "manages": manages_state(request.user, d.school.district.state_id),
    }
    return render(request, "accountability/exit_review_detail.html", context)


@login_required
@require_GET
def school_accountability(request: HttpRequest, school_id: int) -> HttpResponse:
    """A school's determinations by rule set and year, its designations and their timelines."""
    access = get_school_for_user(request.user, school_id)
    history = school_history(request.user, access.school)
    context = {
        "school": access.school,
        "state": access.school.district.state,
        "history": history,
        "access": access,
        "manages": manages_state(request.user, access.school.district.state_id),
    }
    return render(request, "accountability/school.html", context)
