"""Pages for a plan's approval workflow, its versions and their differences, and its downloads.

Thin: ``plans.access`` decides who sees the plan, ``plans.services.workflow`` moves it and says
what each user may do, ``plans.diff`` compares versions, ``plans.exports`` and ``plans.pdf`` write
the files.

``workflow_panel_context(access)`` gives the context of ``plans/workflow_panel.html``, the
fragment the plan page includes: ``{% include "plans/workflow_panel.html" %}`` with
``**workflow_panel_context(access)`` in the page's context.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST

from turnaround.core.concurrency import StaleEditError
from turnaround.plans.access import PlanAccess, get_plan_for_user
from turnaround.plans.diff import ADDED, REMOVED, snapshot_diff
from turnaround.plans.exports import TABLES, plan_table_response
from turnaround.plans.models import PlanVersion
from turnaround.plans.pdf import plan_pdf_filename, render_plan_pdf
from turnaround.plans.services.workflow import (
    TRANSITIONS,
    TransitionNotAvailable,
    allowed_transitions,
    last_version,
    plan_transition,
    sees_history,
    status_message,
    submit_blockers,
    transition_label,
    versions_for,
)
from turnaround.plans.tabs import plan_tabs


def _access(request: HttpRequest, plan_id: int) -> PlanAccess:
    return get_plan_for_user(request.user, plan_id)


def _plan_url(plan_id: int) -> str:
    """The plan's page, or its versions page while the plan page is not installed."""
    try:
        return reverse("plans:detail", args=[plan_id])
    except NoReverseMatch:
        return reverse("plans:versions", args=[plan_id])


def _version_row(v: PlanVersion) -> dict[str, Any]:
    who = v.created_by
    return {
        "number": v.number,
        "status": v.status,
        "status_label": v.get_status_display(),
        "transition": v.transition,
        "transition_label": transition_label(v.transition),
        "who": (who.get_full_name() or who.get_username()) if who is not None else "",
        "created_at": v.created_at,
        "comment": v.comment,
    }


def workflow_panel_context(
    access: PlanAccess, *, comment: str = "", errors: list[str] | None = None
) -> dict[str, Any]:
    """The context of ``plans/workflow_panel.html`` (one key, ``workflow``)."""
    plan = access.plan
    transitions = [
        {
            "name": name,
            "label": label,
            "needs_comment": needs_comment,
            "comment_label": TRANSITIONS[name].comment_label,
        }
        for name, label, needs_comment in allowed_transitions(access)
    ]
    names = {t["name"] for t in transitions}
    last = last_version(plan) if sees_history(access) else None
    return {
        "workflow": {
            "plan_id": plan.pk,
            "status": plan.status,
            "status_label": plan.get_status_display(),
            "status_message": status_message(access),
            "transitions": transitions,
            "needs_comment": [t["label"] for t in transitions if t["needs_comment"]],
            "blockers": submit_blockers(plan) if "submit" in names else [],
            "last": _version_row(last) if last is not None else None,
            "version": plan.version,
            "comment": comment,
            "errors": errors or [],
            "tables": TABLES,
        }
    }


def _versions_page(
    request: HttpRequest,
    access: PlanAccess,
    *,
    comment: str = "",
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    versions = [_version_row(v) for v in versions_for(access)]
    numbers = [v["number"] for v in versions]
    return render(
        request,
        "plans/versions.html",
        {
            "plan": access.plan,
            "access": access,
            "tabs": plan_tabs(access, "workflow"),
            "versions": versions,
            "compare_from": numbers[1] if len(numbers) > 1 else None,
            "compare_to": numbers[0] if numbers else None,
            **workflow_panel_context(access, comment=comment, errors=errors),
        },
        status=status,
    )


@login_required
@require_GET
def plan_versions(request: HttpRequest, plan_id: int) -> HttpResponse:
    return _versions_page(request, _access(request, plan_id))


@login_required
@require_POST
def plan_transition_view(request: HttpRequest, plan_id: int) -> HttpResponse:
    access = _access(request, plan_id)
    name = request.POST.get("name", "").strip()
    comment = request.POST.get("comment", "")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1  # a form without the version it was loaded with is treated as stale
    try:
        plan_transition(
            actor=request.user,
            plan=access.plan,
            name=name,
            comment=comment,
            expected_version=version,
        )
    except StaleEditError as exc:
        status, errors = 409, [str(exc)]
    except TransitionNotAvailable as exc:
        status, errors = 409, [str(exc)]
    except PermissionDenied as exc:
        status, errors = 403, [str(exc) or "You cannot do that."]
    except ValidationError as exc:
        status, errors = 422, list(exc.messages)
        if name == "submit" and not hasattr(exc, "error_dict"):
            errors = ["The plan cannot be submitted yet:", *errors]
    else:
        messages.success(request, TRANSITIONS[name].past)
        return redirect(_plan_url(plan_id))
    # the page again, from the stored plan, keeping what the user typed
    return _versions_page(
        request, _access(request, plan_id), comment=comment, errors=errors, status=status
    )


def _number(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None  # type: ignore[arg-type]
    except ValueError:
        return None


@login_required
@require_GET
def plan_diff(request: HttpRequest, plan_id: int) -> HttpResponse:
    access = _access(request, plan_id)
    versions = {v.number: v for v in versions_for(access)}
    numbers = sorted(versions, reverse=True)
    context: dict[str, Any] = {
        "plan": access.plan,
        "access": access,
        "tabs": plan_tabs(access, "workflow"),
        "numbers": numbers,
        "error": "",
    }
    raw_from, raw_to = request.GET.get("from"), request.GET.get("to")
    to_n = _number(raw_to) if raw_to not in (None, "") else (numbers[0] if numbers else None)
    from_n = (
        _number(raw_from)
        if raw_from not in (None, "")
        else (numbers[1] if len(numbers) > 1 else None)
    )
    old, new = versions.get(from_n or -1), versions.get(to_n or -1)
    if len(numbers) < 2:
        context["error"] = "This plan has fewer than two versions, so there is nothing to compare."
        return render(request, "plans/diff.html", context)
    if old is None or new is None:
        shown = ", ".join(str(n) for n in sorted(numbers))
        context["error"] = f"Choose two versions to compare from those listed: {shown}."
        context.update(from_n=from_n, to_n=to_n)
        return render(request, "plans/diff.html", context, status=404)
    changes = snapshot_diff(old.snapshot, new.snapshot)
    context.update(
        from_n=old.number,
        to_n=new.number,
        old=_version_row(old),
        new=_version_row(new),
        changes=changes,
        counts={
            "added": sum(1 for c in changes if c.action == ADDED),
            "removed": sum(1 for c in changes if c.action == REMOVED),
            "changed": sum(1 for c in changes if c.action not in (ADDED, REMOVED)),
        },
    )
    return render(request, "plans/diff.html", context)


@login_required
@require_GET
def plan_export(request: HttpRequest, plan_id: int, fmt: str) -> HttpResponse:
    access = _access(request, plan_id)
    table = request.GET.get("table", "goals")
    if table not in TABLES:
        return HttpResponseBadRequest(
            f"Unknown table “{table}”: choose table={', '.join(TABLES)}.",
            content_type="text/plain; charset=utf-8",
        )
    if fmt not in ("csv", "xlsx"):
        raise Http404("No such format.")
    response = plan_table_response(access.plan, table, fmt)
    response["Cache-Control"] = "private, no-store"
    return response  # type: ignore[return-value]


@login_required
@require_GET
def plan_pdf(request: HttpRequest, plan_id: int) -> HttpResponse:
    access = _access(request, plan_id)
    pdf = render_plan_pdf(access.plan, full_history=sees_history(access))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{plan_pdf_filename(access.plan)}"'
    response["Cache-Control"] = "private, no-store"
    return response
