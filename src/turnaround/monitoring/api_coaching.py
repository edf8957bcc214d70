"""Coaching comments and notifications over the API.

- ``GET /plans/{id}/comments?target_kind=&target_id=``: the thread on one item (anyone who sees
  the plan); ``POST`` the same URL adds a comment or a reply (coaches only: 403 for others who see
  the plan). The item must belong to the plan (422 otherwise).
- ``GET /notifications``: your notifications, unread first; ``POST /notifications/{id}/read``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Query, Router, Status
from ninja.errors import ValidationError

from turnaround.monitoring import services
from turnaround.monitoring.api_sessions import READ, WRITE, call, person
from turnaround.monitoring.models import Comment, Notification
from turnaround.monitoring.schemas import CommentIn, CommentOut, CommentQuery, NotificationOut
from turnaround.monitoring.selectors import (
    TARGET_KINDS,
    comment_thread,
    notifications_for,
    resolve_target,
    target_title,
)
from turnaround.organizations.schemas import Message, PageQuery
from turnaround.plans.access import get_plan_for_user
from turnaround.plans.models import Plan

router = Router(tags=["plans"])


def _comment(c: Comment, depth: int = 0) -> dict[str, Any]:
    return {
        "id": c.pk,
        "plan_id": c.plan_id,
        "target_kind": c.target_kind,
        "target_id": c.target_id,
        "parent_id": c.parent_id,
        "depth": depth,
        "author": person(c.author),
        "body": c.body,
        "created_at": c.created_at,
    }


def _target(plan: Plan, query: CommentQuery) -> tuple[str, int]:
    kind = query.target_kind
    if kind not in TARGET_KINDS:
        raise ValidationError(
            [
                {
                    "loc": ["query", "target_kind"],
                    "msg": f"allowed: {', '.join(TARGET_KINDS)}",
                    "type": "value_error",
                }
            ]
        )
    target_id = plan.pk if query.target_id is None and kind == "plan" else query.target_id
    if target_id is None or resolve_target(plan, kind, target_id) is None:
        raise ValidationError(
            [
                {
                    "loc": ["query", "target_id"],
                    "msg": f"No {kind.replace('_', ' ')} with this id in this plan.",
                    "type": "value_error",
                }
            ]
        )
    return kind, target_id


@router.get(
    "/plans/{int:plan_id}/comments",
    response={200: list[CommentOut], **READ},
    operation_id="plan_comment_list",
    summary="The coaching thread on a plan item",
)
def comment_list_api(
    request: HttpRequest, plan_id: int, query: Query[CommentQuery]
) -> list[dict[str, Any]]:
    """Thread order: each reply follows its parent (``depth`` says how far it is indented)."""
    access = get_plan_for_user(request.user, plan_id)
    kind, target_id = _target(access.plan, query)
    return [_comment(i.comment, i.depth) for i in comment_thread(access.plan, kind, target_id)]


@router.post(
    "/plans/{int:plan_id}/comments",
    response={201: CommentOut, **WRITE},
    operation_id="plan_comment_add",
    summary="Comment on a plan item, or reply",
)
def comment_add_api(
    request: HttpRequest, plan_id: int, query: Query[CommentQuery], payload: CommentIn
) -> Status[dict[str, Any]]:
    """Notifies the plan's authors, the owner of an action or next step, and everyone earlier
    in the thread (never you), in the app and by email."""
    access = get_plan_for_user(request.user, plan_id)
    kind, target_id = _target(access.plan, query)
    comment = call(
        lambda: services.comment_add(
            actor=request.user,
            plan=access.plan,
            target_kind=kind,
            target_id=target_id,
            body=payload.body,
            parent=payload.parent_id,
        )
    )
    return Status(201, _comment(comment))


def _notification(n: Notification) -> dict[str, Any]:
    c = n.comment
    target = resolve_target(c.plan, c.target_kind, c.target_id)
    return {
        "id": n.pk,
        "plan_id": c.plan_id,
        "plan_title": c.plan.title,
        "item": target_title(c.target_kind, target) if target is not None else "",
        "comment": _comment(c),
        "url": reverse("monitoring:comments", args=[c.plan_id, c.target_kind, c.target_id])
        + f"#comment-{c.pk}",
        "created_at": n.created_at,
        "read_at": n.read_at,
        "emailed_at": n.emailed_at,
    }


@router.get(
    "/notifications",
    response={200: list[NotificationOut], 401: Message},
    operation_id="notification_list",
    summary="Your notifications",
)
def notification_list_api(request: HttpRequest, page: Query[PageQuery]) -> list[dict[str, Any]]:
    """Unread first, then newest first."""
    rows = notifications_for(request.user)[page.offset : page.offset + page.limit]
    return [_notification(n) for n in rows]


@router.post(
    "/notifications/{int:notification_id}/read",
    response={200: NotificationOut, 401: Message, 404: Message},
    operation_id="notification_read",
    summary="Mark a notification read",
)
def notification_read_api(request: HttpRequest, notification_id: int) -> dict[str, Any]:
    try:
        services.notification_mark_read(actor=request.user, notification=notification_id)
    except PermissionDenied as exc:
        raise Http404("Not found.") from exc
    n = Notification.objects.select_related("comment__author", "comment__plan").get(
        pk=notification_id
    )
    return _notification(n)
