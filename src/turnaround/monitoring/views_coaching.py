"""Coaching comments and notifications.

``comments`` shows the thread on one target (the plan, an item, a benchmark, a session or a next
step) with a form to comment or reply; with ``HX-Request`` it answers the fragment
``monitoring/_comments.html`` alone, so any plan page can load a thread in place::

    <div hx-get="{% url 'monitoring:comments' plan.pk 'goal' goal.pk %}" hx-trigger="load">
      <a href="{% url 'monitoring:comments' plan.pk 'goal' goal.pk %}">Comments</a>
    </div>

(the link is the no-JavaScript fallback). Pages that already hold the context can also
``{% include "monitoring/_comments.html" %}`` with ``comments_context(...)``.
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
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from turnaround.core.concurrency import StaleEditError
from turnaround.monitoring.forms import CommentForm
from turnaround.monitoring.selectors import (
    TARGET_KINDS,
    TARGET_LABELS,
    comment_thread,
    notifications_for,
    resolve_target,
    target_title,
)
from turnaround.monitoring.services import (
    SessionLockedError,
    comment_add,
    notification_mark_read,
    notifications_mark_all_read,
)
from turnaround.plans.access import PlanAccess, get_plan_for_user
from turnaround.plans.tabs import plan_tabs

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# Shared by the monitoring pages


def add_errors(form: forms.Form | None, exc: ValidationError) -> list[str]:
    """Put a service's ValidationError on the form; returns messages that fit no field."""
    loose: list[str] = []
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            if form is not None and name in form.fields:
                form.add_error(name, errors)
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
    """Run a service call: ``(result, 200, [])`` or ``(None, status, messages)``; the messages
    are put on ``form`` when there is one (keeping the user's input)."""
    try:
        return call(), 200, []
    except ValidationError as exc:
        return None, 422, add_errors(form, exc)
    except (StaleEditError, SessionLockedError) as exc:
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


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False)) or request.headers.get("HX-Request") == "true"


def plan_page(
    request: HttpRequest,
    template: str,
    access: PlanAccess,
    tab: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    """A page of one plan: ``plans/_layout.html`` with the plan's tabs."""
    return render(
        request,
        template,
        {"plan": access.plan, "access": access, "tabs": plan_tabs(access, tab), **context},
        status=status,
    )


# ---------------------------------------------------------------------------------------------
# Comments


def comments_context(
    access: PlanAccess,
    kind: str,
    target_id: int,
    *,
    form: CommentForm | None = None,
    errors: list[str] | None = None,
    next_url: str = "",
) -> dict[str, Any]:
    """What ``monitoring/_comments.html`` needs for the thread on one target."""
    plan = access.plan
    target = resolve_target(plan, kind, target_id)
    return {
        "comments_url": reverse("monitoring:comments", args=[plan.pk, kind, target_id]),
        "comments_kind": kind,
        "comments_target_id": target_id,
        "comments_title": target_title(kind, target) if target is not None else "",
        "thread": comment_thread(plan, kind, target_id),
        "can_comment": access.can_comment,
        "comment_form": form or CommentForm(),
        "comment_errors": errors or [],
        "comments_next": next_url,
    }


def _target_access(request: HttpRequest, plan_id: int, kind: str, target_id: int) -> PlanAccess:
    access = get_plan_for_user(request.user, plan_id)
    if kind not in TARGET_KINDS or resolve_target(access.plan, kind, target_id) is None:
        raise Http404("No such item.")
    return access


def _safe_next(request: HttpRequest) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if url and ok else ""


def _comments_response(
    request: HttpRequest, access: PlanAccess, kind: str, target_id: int, status: int, **extra: Any
) -> HttpResponse:
    context = comments_context(access, kind, target_id, next_url=_safe_next(request), **extra)
    if is_htmx(request):
        return render(
            request,
            "monitoring/_comments.html",
            {"plan": access.plan, "access": access, **context},
            status=status,
        )
    tab = "sessions" if kind in ("session", "next_step") else "plan"
    context["kind_label"] = TARGET_LABELS[kind]
    return plan_page(request, "monitoring/comments.html", access, tab, context, status)


@login_required
@require_http_methods(["GET", "POST"])
def comments(request: HttpRequest, plan_id: int, kind: str, target_id: int) -> HttpResponse:
    access = _target_access(request, plan_id, kind, target_id)
    if request.method == "GET":
        return _comments_response(request, access, kind, target_id, 200)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _comments_response(request, access, kind, target_id, 422, form=form)
    comment, status, loose = attempt(
        form,
        lambda: comment_add(
            actor=request.user,
            plan=access.plan,
            target_kind=kind,
            target_id=target_id,
            body=form.cleaned_data["body"],
            parent=form.cleaned_data["parent"],
        ),
    )
    if comment is None:
        return _comments_response(request, access, kind, target_id, status, form=form, errors=loose)
    if is_htmx(request):
        return _comments_response(request, access, kind, target_id, 200)
    messages.success(request, "Your comment is posted; the people responsible are notified.")
    back = _safe_next(request) or reverse("monitoring:comments", args=[plan_id, kind, target_id])
    return redirect(f"{back.split('#')[0]}#comment-{comment.pk}")


# ---------------------------------------------------------------------------------------------
# Notifications


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = list(notifications_for(request.user)[:200])
    rows = []
    for n in items:
        c = n.comment
        target = resolve_target(c.plan, c.target_kind, c.target_id)
        rows.append(
            {
                "n": n,
                "comment": c,
                "title": target_title(c.target_kind, target) if target is not None else "",
                "url": reverse("monitoring:comments", args=[c.plan_id, c.target_kind, c.target_id])
                + f"#comment-{c.pk}",
            }
        )
    unread = sum(1 for n in items if n.read_at is None)
    return render(request, "monitoring/notifications.html", {"rows": rows, "unread": unread})


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        notification_mark_read(actor=request.user, notification=notification_id)
    except PermissionDenied as exc:
        raise Http404("No such notification.") from exc
    return redirect("monitoring:notifications")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    changed = notifications_mark_all_read(actor=request.user)
    messages.success(request, f"Marked {changed} notification{'s' if changed != 1 else ''} read.")
    return redirect("monitoring:notifications")
