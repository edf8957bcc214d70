"""Reads for quarterly sessions and coaching: one session with the user's access to its plan, the
next steps a session shows (new, carried forward, closed), the people who may take part, comment
threads, coaching targets and a user's notifications.

Permission questions go to ``plans.access``; "missing" and "not yours" are the same 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from turnaround.accounts.models import Membership, User
from turnaround.monitoring.models import Comment, NextStep, Notification, StrategySession
from turnaround.partners.models import Engagement
from turnaround.plans.access import (
    PlanAccess,
    district_id_of,
    get_plan_for_user,
    state_id_of,
    visible_plans,
)
from turnaround.plans.models import (
    Action,
    Benchmark,
    Goal,
    NeedStatement,
    Objective,
    Plan,
    Strategy,
)

QUARTER_MONTHS = {1: "July–September", 2: "October–December", 3: "January–March", 4: "April–June"}


def quarter_label(year: int, quarter: int) -> str:
    """``Q1 2026–27`` for quarter 1 of the school year whose spring is 2027."""
    return f"Q{quarter} {year - 1}–{str(year)[-2:]}"


def session_label(session: StrategySession) -> str:
    return quarter_label(session.year, session.quarter)


def quarter_dates(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a quarter of the school year (Q1 Jul–Sep … Q4 Apr–Jun)."""
    starts = {
        1: (year - 1, 7, 1),
        2: (year - 1, 10, 1),
        3: (year, 1, 1),
        4: (year, 4, 1),
    }
    ends = {
        1: (year - 1, 9, 30),
        2: (year - 1, 12, 31),
        3: (year, 3, 31),
        4: (year, 6, 30),
    }
    return dt.date(*starts[quarter]), dt.date(*ends[quarter])


def long_date(value: dt.date) -> str:
    """``14 May 2026`` (no platform-specific strftime flags)."""
    return f"{value.day} {value:%B %Y}"


def user_label(user: User | None) -> str:
    if user is None:
        return ""
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()


# ---------------------------------------------------------------------------------------------
# Sessions


def get_session_for_user(user: Any, session_id: int) -> tuple[PlanAccess, StrategySession]:
    """The session and the user's access to its plan; 404 when either is not there for them."""
    plan_id = (
        StrategySession.objects.filter(pk=session_id).values_list("plan_id", flat=True).first()
    )
    if plan_id is None:
        raise Http404("No such session.")
    access = get_plan_for_user(user, plan_id)
    session = StrategySession.objects.select_related("plan", "finalised_by", "created_by").get(
        pk=session_id
    )
    session.plan = access.plan  # the plan as loaded by the access check (school, district)
    return access, session


def get_next_step_for_user(user: Any, step_id: int) -> tuple[PlanAccess, NextStep]:
    plan_id = NextStep.objects.filter(pk=step_id).values_list("plan_id", flat=True).first()
    if plan_id is None:
        raise Http404("No such next step.")
    access = get_plan_for_user(user, plan_id)
    step = NextStep.objects.select_related("raised_in", "closed_in", "owner_user").get(pk=step_id)
    return access, step


def plan_sessions(plan: Plan) -> QuerySet[StrategySession]:
    """The plan's sessions, earliest quarter first."""
    return StrategySession.objects.filter(plan=plan).order_by("year", "quarter")


@dataclass(frozen=True)
class StepRow:
    """A next step as one session shows it."""

    step: NextStep
    #: "new" (raised in this session), "carried" (raised earlier, still open then) or "closed"
    kind: str
    raised_label: str
    #: raised in an earlier session (a closed row may be new or carried)
    carried: bool
    closed_label: str

    @property
    def is_open(self) -> bool:
        return self.kind != "closed"


def _closing_keys(
    steps: list[NextStep], sessions: list[StrategySession]
) -> dict[int, tuple[int, int] | None]:
    """The session (as ``(year, quarter)``) each closed step counts as closed in.

    A step closed in a session belongs to that session. A step closed outside any session belongs
    to the first session, not earlier than the one it was raised in, held on or after the day it
    was closed ("closed since the last session"); ``None`` while there is no such session yet.
    """
    key = {s.pk: (s.year, s.quarter) for s in sessions}
    out: dict[int, tuple[int, int] | None] = {}
    for step in steps:
        if step.closed_at is None:
            out[step.pk] = None
        elif step.closed_in_id is not None and step.closed_in_id in key:
            out[step.pk] = key[step.closed_in_id]
        else:
            day = timezone.localdate(step.closed_at)
            raised = key[step.raised_in_id]
            out[step.pk] = next(
                ((s.year, s.quarter) for s in sessions if key[s.pk] >= raised and s.held_on >= day),
                None,
            )
    return out


def session_steps(session: StrategySession) -> dict[str, list[StepRow]]:
    """The carry-forward rule: every next step raised up to this session that was still open at
    it — ``new`` (raised here), ``carried`` (raised earlier, "carried forward from Q1 2026–27") —
    and ``closed`` (closed in this session, or outside sessions since the one before). A step
    closed in session N shows as closed in N and not in N+1."""
    sessions = list(plan_sessions(session.plan))
    key = {s.pk: (s.year, s.quarter) for s in sessions}
    here = (session.year, session.quarter)
    steps = list(
        NextStep.objects.filter(plan_id=session.plan_id)
        .select_related("raised_in", "closed_in", "owner_user", "objective")
        .order_by("due_on", "pk")
    )
    closing = _closing_keys(steps, sessions)
    out: dict[str, list[StepRow]] = {"new": [], "carried": [], "closed": []}
    for step in steps:
        raised = key[step.raised_in_id]
        if raised > here:
            continue
        closed = closing[step.pk]
        if closed is not None and closed < here:
            continue
        if step.closed_at is not None and closed is None:
            continue  # closed outside a session after every session so far: shown as open before
        if closed == here:
            kind = "closed"
        elif raised == here:
            kind = "new"
        else:
            kind = "carried"
        closed_label = ""
        if kind == "closed":
            closed_label = (
                f"closed in this session ({session_label(step.closed_in)})"
                if step.closed_in_id == session.pk and step.closed_in is not None
                else f"closed on {long_date(timezone.localdate(step.closed_at))}"
            )
        out[kind].append(
            StepRow(
                step=step,
                kind=kind,
                raised_label=session_label(step.raised_in),
                carried=raised < here,
                closed_label=closed_label,
            )
        )
    return out


def participant_candidates(plan: Plan) -> list[User]:
    """People with an account who can see the plan (the choices for "participants")."""
    state_id = state_id_of(plan)
    district_id = district_id_of(plan)
    q = Q(state_id=state_id) | Q(district_id=district_id)
    if plan.school_id is not None:
        q |= Q(school_id=plan.school_id)
        today = timezone.localdate()
        partner_ids = (
            Engagement.objects.filter(
                school_id=plan.school_id, starts_on__lte=today, ends_on__gte=today
            )
            .exclude(agreement_reference="")
            .values_list("partner_id", flat=True)
        )
        q |= Q(partner_id__in=list(partner_ids))
    ids = set(Membership.objects.filter(q).values_list("user_id", flat=True))
    users = User.objects.filter(pk__in=ids, is_active=True).order_by("last_name", "username")
    return [u for u in users if user_sees_plan(u, plan)]


def user_sees_plan(user: User, plan: Plan) -> bool:
    return visible_plans(user).filter(pk=plan.pk).exists()


# ---------------------------------------------------------------------------------------------
# Coaching targets and threads

#: what a comment can be attached to: the kinds of ``Comment.TargetKind`` and a next step
TARGET_LABELS: dict[str, str] = {
    **{str(k): str(label) for k, label in Comment.TargetKind.choices},
    "next_step": "Next step",
}
TARGET_KINDS: tuple[str, ...] = tuple(TARGET_LABELS)


def resolve_target(plan: Plan, kind: str, target_id: int) -> Any | None:
    """The item ``target_id`` of ``kind`` if it belongs to ``plan``, else ``None``."""
    lookups: dict[str, Any] = {
        "need": NeedStatement.objects.filter(plan=plan),
        "goal": Goal.objects.filter(plan=plan),
        "objective": Objective.objects.filter(plan=plan),
        "strategy": Strategy.objects.filter(objective__plan=plan),
        "action": Action.objects.filter(strategy__objective__plan=plan),
        "benchmark": Benchmark.objects.filter(plan=plan),
        "session": StrategySession.objects.filter(plan=plan),
        "next_step": NextStep.objects.filter(plan=plan),
    }
    if kind == "plan":
        return plan if target_id == plan.pk else None
    qs = lookups.get(kind)
    if qs is None:
        return None
    return qs.filter(pk=target_id).first()


def target_title(kind: str, target: Any) -> str:
    """``Goal “ELA proficiency, all students”`` — the item, named for people."""
    if kind == "session":
        return f"the {session_label(target)} strategy session"
    if kind == "plan":
        return "the plan"
    text = str(target)
    if len(text) > 70:
        text = text[:69].rstrip() + "…"
    return f"{TARGET_LABELS.get(kind, kind).lower()} “{text}”"


@dataclass(frozen=True)
class ThreadItem:
    comment: Comment
    depth: int


def comment_thread(plan: Plan, kind: str, target_id: int) -> list[ThreadItem]:
    """Every comment on one target, each reply under its parent (oldest first)."""
    comments = list(
        Comment.objects.filter(plan=plan, target_kind=kind, target_id=target_id)
        .select_related("author")
        .order_by("created_at", "pk")
    )
    children: dict[int | None, list[Comment]] = {}
    for c in comments:
        children.setdefault(c.parent_id, []).append(c)
    out: list[ThreadItem] = []

    def walk(parent: int | None, depth: int) -> None:
        for c in children.get(parent, []):
            out.append(ThreadItem(comment=c, depth=depth))
            walk(c.pk, depth + 1)

    walk(None, 0)
    return out


def thread_comment_ids(comment: Comment) -> list[int]:
    """The whole thread a comment belongs to: its root and every reply under that root."""
    root = comment
    seen = {root.pk}
    while root.parent_id is not None and root.parent_id not in seen:
        root = Comment.objects.get(pk=root.parent_id)
        seen.add(root.pk)
    same_target = Comment.objects.filter(
        plan_id=comment.plan_id, target_kind=comment.target_kind, target_id=comment.target_id
    ).values_list("pk", "parent_id")
    children: dict[int | None, list[int]] = {}
    for pk, parent in same_target:
        children.setdefault(parent, []).append(pk)
    ids, todo = [], [root.pk]
    while todo:
        pk = todo.pop()
        ids.append(pk)
        todo.extend(children.get(pk, []))
    return ids


def comment_counts(plan: Plan, kind: str) -> dict[int, int]:
    """Comments per target of one kind (for "3 comments" links beside items)."""
    out: dict[int, int] = {}
    for target_id in Comment.objects.filter(plan=plan, target_kind=kind).values_list(
        "target_id", flat=True
    ):
        out[target_id] = out.get(target_id, 0) + 1
    return out


def notifications_for(user: Any) -> QuerySet[Notification]:
    """The user's notifications about plans they can still see: unread first, newest first."""
    return (
        Notification.objects.filter(recipient=user, comment__plan__in=visible_plans(user))
        .select_related("comment__author", "comment__plan")
        .order_by(
            Case(
                When(read_at__isnull=True, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            "-created_at",
            "-pk",
        )
    )


def unread_count(user: Any) -> int:
    return notifications_for(user).filter(read_at__isnull=True).count()
