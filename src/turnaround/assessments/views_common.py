"""What the assessment pages share: access to one assessment, the tabs, and turning a service's
refusal into a form error with the right status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from turnaround.assessments.access import AssessmentAccess, get_assessment_for_user
from turnaround.assessments.models import Assessment
from turnaround.assessments.services import AssessmentLockedError
from turnaround.core.concurrency import StaleEditError

T = TypeVar("T")


def load(request: HttpRequest, assessment_id: int) -> AssessmentAccess:
    return get_assessment_for_user(request.user, assessment_id)


def sees_plan(access: AssessmentAccess) -> bool:
    return (
        access.is_state_staff
        or access.seat != ""
        or (access.assessment.kind == Assessment.Kind.SELF and access.is_subject)
    )


def require_page(allowed: bool) -> None:
    """Pages someone may not see are the same 404 as a missing assessment."""
    if not allowed:
        raise Http404("No such assessment.")


def tabs(access: AssessmentAccess, current: str) -> list[dict[str, Any]]:
    a = access.assessment
    items: list[tuple[str, str, str]] = [("home", "Overview", "assessment_detail")]
    if sees_plan(access):
        items.append(("plan", "Plan", "assessment_plan"))
    if access.sees_working_papers:
        items.append(("evidence", "Evidence", "assessment_evidence"))
        items.append(("ratings", "Ratings", "assessment_ratings"))
        if a.kind == Assessment.Kind.SITE_VISIT:
            items.append(("consensus", "Consensus", "assessment_consensus"))
    if a.is_locked or a.amendments.exists():
        items.append(("amendments", "Amendments", "assessment_amendments"))
    out = [
        {"key": k, "label": label, "url": reverse(name, args=[a.pk]), "current": k == current}
        for k, label, name in items
    ]
    if a.is_locked:
        try:
            url = reverse("assessment_report", args=[a.pk])
        except NoReverseMatch:  # the report pages are built alongside
            url = f"/assessments/{a.pk}/report/"
        out.insert(1, {"key": "report", "label": "Report", "url": url, "current": False})
    return out


def page(
    request: HttpRequest,
    template: str,
    access: AssessmentAccess,
    tab: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        template,
        {
            "assessment": access.assessment,
            "access": access,
            "tab": tab,
            "tabs": tabs(access, tab),
            **context,
        },
        status=status,
    )


def add_errors(form: forms.Form | None, exc: ValidationError) -> list[str]:
    """Put a service's ValidationError on the form; returns messages that fit no field."""
    loose: list[str] = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            if form is not None and field in form.fields:
                form.add_error(field, errors)
            else:
                loose.extend(errors)
    else:
        loose.extend(exc.messages)
    if form is not None and loose:
        for message in loose:
            form.add_error(None, message)
        return []
    return loose


def attempt(form: forms.Form | None, call: Callable[[], T]) -> tuple[T | None, int, list[str]]:
    """Run a service call: ``(result, 200, [])`` or ``(None, status, messages)``."""
    try:
        return call(), 200, []
    except ValidationError as exc:
        return None, 422, add_errors(form, exc)
    except (StaleEditError, AssessmentLockedError) as exc:
        if form is not None:
            form.add_error(None, str(exc))
            return None, 409, []
        return None, 409, [str(exc)]
    except PermissionDenied as exc:
        message = str(exc) or "You cannot do that."
        if form is not None:
            form.add_error(None, message)
            return None, 403, []
        return None, 403, [message]


def refused(request: HttpRequest, access: AssessmentAccess, messages: list[str], status: int):
    return page(
        request,
        "assessments/refused.html",
        access,
        "",
        {"errors": messages or ["The change was not saved."]},
        status=status,
    )


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def form_messages(form: forms.Form | None) -> list[str]:
    """Every error of a bound form, flattened (shown when its own card cannot show them)."""
    if form is None or not form.is_bound:
        return []
    return [e for errors in form.errors.values() for e in errors]
