"""Coaching comments on a plan, its items, benchmarks and sessions — threaded, with notifications
to the people responsible (in the app, and by email through Django's email backend).

Who is notified of a comment (never its author, and only people who can still see the plan):

- the plan's authors: the school's leaders and its district's leaders (for a district plan, the
  district's leaders), from their memberships;
- the person who owns the item commented on, when it is an action or a next step with an account
  (``owner_user``);
- everyone who wrote earlier in the same thread.

Each recipient gets one ``Notification``; the emails go out after the transaction commits (a
comment that is rolled back mails nobody), one per recipient, and ``emailed_at`` records each
email sent.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from turnaround.accounts.models import Membership, Role, User
from turnaround.monitoring.models import Comment, Notification
from turnaround.monitoring.selectors import (
    TARGET_KINDS,
    TARGET_LABELS,
    resolve_target,
    target_title,
    thread_comment_ids,
    user_label,
    user_sees_plan,
)
from turnaround.monitoring.services.sessions import CREATE, access_of, audit, require
from turnaround.plans.access import district_id_of
from turnaround.plans.models import Plan

logger = logging.getLogger(__name__)

COMMENT_MAX = 5_000


def comments_path(plan_id: int, kind: str, target_id: int) -> str:
    return reverse("monitoring:comments", args=[plan_id, kind, target_id])


def plan_author_ids(plan: Plan) -> set[int]:
    """The plan's authors: the school's leaders and its district's leaders."""
    q = Q(role=Role.DISTRICT_LEADER, district_id=district_id_of(plan))
    if plan.school_id is not None:
        q |= Q(role=Role.SCHOOL_LEADER, school_id=plan.school_id)
    return set(Membership.objects.filter(q).values_list("user_id", flat=True))


def _recipients(plan: Plan, comment: Comment, target: Any) -> dict[int, str]:
    """``{user id: why they are told}`` — see the module docstring."""
    why: dict[int, str] = {}
    thread = [pk for pk in thread_comment_ids(comment) if pk != comment.pk]
    for uid in Comment.objects.filter(pk__in=thread).values_list("author_id", flat=True):
        why.setdefault(uid, "you wrote earlier in this thread")
    owner_id = getattr(target, "owner_user_id", None)
    if comment.target_kind in ("action", "next_step") and owner_id is not None:
        why[owner_id] = f"you own this {TARGET_LABELS[comment.target_kind].lower()}"
    for uid in plan_author_ids(plan):
        why.setdefault(uid, "you are one of the plan's authors")
    why.pop(comment.author_id, None)
    users = User.objects.filter(pk__in=why, is_active=True)
    return {u.pk: why[u.pk] for u in users if user_sees_plan(u, plan)}


def comment_add(
    *,
    actor: Any,
    plan: Plan,
    target_kind: str,
    target_id: int,
    body: str,
    parent: Comment | int | None = None,
) -> Comment:
    """Add a coaching comment (or a reply) on the plan or one of its items, and notify the people
    responsible."""
    access = access_of(actor, plan)
    current = access.plan
    require(
        access.can_comment,
        "Only coaches comment on a plan: state staff, the district's and school's leaders, and "
        "partners working with the school.",
    )
    errors: dict[str, str] = {}
    target = None
    if target_kind not in TARGET_KINDS:
        errors["target_kind"] = f"Comment on one of: {', '.join(TARGET_KINDS)}."
    else:
        target = resolve_target(current, target_kind, target_id)
        if target is None:
            errors["target_id"] = (
                f"That {TARGET_LABELS[target_kind].lower()} is not part of this plan."
            )
    text = "" if body is None else str(body).strip()
    if not text:
        errors["body"] = "Write the comment."
    elif len(text) > COMMENT_MAX:
        errors["body"] = (
            f"The comment is {len(text):,} characters long; shorten it to {COMMENT_MAX:,} or "
            "fewer, or split it into two comments."
        )
    reply_to = None
    if parent is not None:
        ppk = parent if isinstance(parent, int) else parent.pk
        reply_to = Comment.objects.filter(pk=ppk, plan=current).first()
        if reply_to is None or (reply_to.target_kind, reply_to.target_id) != (
            target_kind,
            target_id,
        ):
            errors["parent"] = "You can reply only to a comment on the same item."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        comment = Comment.objects.create(
            plan=current,
            target_kind=target_kind,
            target_id=target_id,
            parent=reply_to,
            author=actor,
            body=text,
        )
        recipients = _recipients(current, comment, target)
        Notification.objects.bulk_create(
            [Notification(recipient_id=uid, comment=comment) for uid in sorted(recipients)]
        )
        audit(
            actor=actor,
            action=CREATE,
            obj=comment,
            plan=current,
            changes={
                "target": f"{target_kind}:{target_id}",
                "parent": reply_to.pk if reply_to else None,
                "notified": sorted(recipients),
            },
        )
        reasons = dict(recipients)
        title = target_title(target_kind, target)
        transaction.on_commit(lambda: send_comment_emails(comment.pk, reasons=reasons, item=title))
    return comment


def send_comment_emails(
    comment_id: int, *, reasons: dict[int, str] | None = None, item: str = ""
) -> int:
    """Email every recipient of a comment's notifications not emailed yet; returns how many were
    sent. A failed email is logged and left for a retry (``emailed_at`` stays empty)."""
    comment = (
        Comment.objects.select_related("author", "plan__school", "plan__district")
        .filter(pk=comment_id)
        .first()
    )
    if comment is None:
        return 0
    plan = comment.plan
    if not item:
        target = resolve_target(plan, comment.target_kind, comment.target_id)
        item = target_title(comment.target_kind, target) if target is not None else "the plan"
    org = plan.school.name if plan.school_id else plan.district.name  # type: ignore[union-attr]
    author = user_label(comment.author)
    path = comments_path(plan.pk, comment.target_kind, comment.target_id)
    subject = f"{author} commented on {item} — {plan.title}".replace("\n", " ")[:200]
    sent = 0
    pending = Notification.objects.filter(comment=comment, emailed_at__isnull=True).select_related(
        "recipient"
    )
    for n in pending:
        if not n.recipient.email:
            continue
        why = (reasons or {}).get(n.recipient_id, "you are responsible for this plan")
        body = (
            f"{author} commented on {item} in the plan “{plan.title}” ({org}):\n\n"
            f"{comment.body}\n\n"
            f"Read the thread and reply: {path}\n\n"
            f"You receive this because {why}."
        )
        try:
            send_mail(
                subject, body, settings.DEFAULT_FROM_EMAIL, [n.recipient.email], fail_silently=False
            )
        except Exception:  # the in-app notification stands; the email can be retried
            logger.exception("could not email notification %s", n.pk)
            continue
        Notification.objects.filter(pk=n.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def notification_mark_read(*, actor: Any, notification: Notification | int) -> Notification:
    """Mark one of the actor's own notifications read (idempotent)."""
    pk = notification if isinstance(notification, int) else notification.pk
    found = Notification.objects.filter(pk=pk).first()
    if found is None or found.recipient_id != getattr(actor, "pk", None):
        raise PermissionDenied("That notification is not yours.")
    if found.read_at is None:  # a reader's own state: not audited
        found.read_at = timezone.now()
        Notification.objects.filter(pk=pk, read_at__isnull=True).update(read_at=found.read_at)
    return found


def notifications_mark_all_read(*, actor: Any) -> int:
    """Mark all the actor's unread notifications read; returns how many changed."""
    with transaction.atomic():
        return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
            read_at=timezone.now()
        )
