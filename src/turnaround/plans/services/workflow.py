"""Moving a plan through approval: draft → submitted → district-approved → state-approved.

- ``plan_submit`` — draft or returned → submitted, by the plan's authors, once the plan is
  complete (``submit_blockers`` lists what is missing);
- ``plan_district_approve`` — submitted → district-approved, by the district's leaders (school
  plans only: a district plan goes straight to the state);
- ``plan_state_approve`` — district-approved (a district plan: submitted) → state-approved, by
  state administrators and staff;
- ``plan_return`` — submitted or district-approved → returned, with a comment, by the approver at
  that step (the district for a submitted school plan, the state otherwise);
- ``plan_amend`` — state-approved → draft, by the authors, with a reason. The approved version
  stays in the history; the content is then edited as a draft and goes through approval again.

Every transition is atomic and audited, checks the plan's ``version`` against the one the user
loaded (a stale one raises ``StaleEditError`` and changes nothing), and stores a ``PlanVersion``
(number = last + 1) with the full snapshot, the status after the transition, its name, the comment
and who made it. A refused transition raises ``TransitionRefused`` whose message names the current
status, who may do what from it, and who the user is, e.g. "You cannot approve it for the
district: this plan is submitted; the district approves or returns it. You are the school's
leader." ``TransitionNotPermitted`` (also a ``PermissionDenied``) is a role refusal (HTTP 403);
``TransitionNotAvailable`` means the plan's current status does not allow it (HTTP 409).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.http import Http404
from django.utils import timezone

from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record
from turnaround.core.concurrency import StaleEditError, save_versioned
from turnaround.plans.access import PlanAccess, get_plan_for_user, state_id_of
from turnaround.plans.diff import school_year
from turnaround.plans.models import (
    Action,
    Benchmark,
    BenchmarkKind,
    GoalTarget,
    Plan,
    PlanStatus,
    PlanVersion,
)
from turnaround.plans.snapshot import plan_snapshot

S = PlanStatus


@dataclass(frozen=True)
class Transition:
    name: str
    label: str  # the button
    verb: str  # "You cannot {verb}: …"
    needs_comment: bool
    comment_label: str
    past: str  # the message after it happened


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "submit",
            "Submit for approval",
            "submit it",
            False,
            "Note to the approvers",
            "Plan submitted for approval.",
        ),
        Transition(
            "district_approve",
            "Approve for the district",
            "approve it for the district",
            False,
            "Comment",
            "Plan approved for the district; it now goes to the state.",
        ),
        Transition(
            "state_approve",
            "Approve for the state",
            "approve it for the state",
            False,
            "Comment",
            "Plan approved by the state.",
        ),
        Transition(
            "return",
            "Return with comments",
            "return it",
            True,
            "What must change",
            "Plan returned to its authors with your comments.",
        ),
        Transition(
            "amend",
            "Amend the approved plan",
            "amend it",
            True,
            "Reason for the amendment",
            "Plan reopened as a draft for amendment; the approved version stays in the history.",
        ),
    )
}


#: how each ``PlanVersion.transition`` reads in a history
TRANSITION_LABELS = {
    "create": "Created",
    "copy": "Copied from another plan",
    "submit": "Submitted for approval",
    "district_approve": "Approved by the district",
    "state_approve": "Approved by the state",
    "return": "Returned with comments",
    "amend": "Reopened for amendment",
}


def transition_label(name: str) -> str:
    return TRANSITION_LABELS.get(name, name.replace("_", " ").capitalize())


class TransitionRefused(Exception):
    """A transition not open to this user, or not from the plan's status. Nothing changed."""


class TransitionNotPermitted(TransitionRefused, PermissionDenied):
    """The user's role does not allow this transition (HTTP 403)."""


class TransitionNotAvailable(TransitionRefused):
    """The plan's current status does not allow this transition (HTTP 409)."""


# ---------------------------------------------------------------------------------------------
# Rules


def _is_school_plan(plan: Plan) -> bool:
    return plan.school_id is not None


def _available(plan: Plan, name: str) -> bool:
    """Whether ``name`` leads anywhere from the plan's status (whoever asks)."""
    status = plan.status
    if name == "submit":
        return status in (S.DRAFT, S.RETURNED)
    if name == "district_approve":
        return status == S.SUBMITTED and _is_school_plan(plan)
    if name == "state_approve":
        return (status == S.DISTRICT_APPROVED and _is_school_plan(plan)) or (
            status == S.SUBMITTED and not _is_school_plan(plan)
        )
    if name == "return":
        return status in (S.SUBMITTED, S.DISTRICT_APPROVED)
    if name == "amend":
        return status == S.STATE_APPROVED
    return False


def _permitted(access: PlanAccess, name: str) -> bool:
    """Whether the user's role allows ``name`` from the plan's status."""
    plan = access.plan
    if name in ("submit", "amend"):
        return access.is_author
    if name == "district_approve":
        return access.is_district_approver
    if name == "state_approve":
        return access.is_state_approver
    if name == "return":
        if plan.status == S.SUBMITTED and _is_school_plan(plan):
            return access.is_district_approver
        return access.is_state_approver
    return False


def _target(plan: Plan, name: str) -> str:
    if name == "submit":
        return S.SUBMITTED
    if name == "district_approve":
        return S.DISTRICT_APPROVED
    if name == "state_approve":
        return S.STATE_APPROVED
    if name == "return":
        return S.RETURNED
    return S.DRAFT  # amend


def allowed_transitions(access: PlanAccess) -> list[tuple[str, str, bool]]:
    """``(name, label, needs_comment)`` of each transition this user may make now."""
    return [
        (t.name, t.label, t.needs_comment)
        for t in TRANSITIONS.values()
        if _available(access.plan, t.name) and _permitted(access, t.name)
    ]


_STATUS_PHRASE = {
    S.DRAFT: "a draft",
    S.SUBMITTED: "submitted",
    S.DISTRICT_APPROVED: "approved by the district",
    S.STATE_APPROVED: "approved by the state",
    S.RETURNED: "returned with comments",
}


def who_acts(plan: Plan) -> str:
    """Who may do what from the plan's status, e.g. "the district approves or returns it"."""
    authors = (
        "its authors (the school's and the district's leaders)"
        if _is_school_plan(plan)
        else "its authors (the district's leaders)"
    )
    status = plan.status
    if status == S.DRAFT:
        return f"{authors} edit it and submit it for approval"
    if status == S.RETURNED:
        return f"{authors} revise it and submit it again"
    if status == S.SUBMITTED and _is_school_plan(plan):
        return "the district approves or returns it"
    if status in (S.SUBMITTED, S.DISTRICT_APPROVED):
        return "the state approves or returns it"
    return f"{authors} may amend it with a reason, which reopens it as a draft"


def role_phrase(access: PlanAccess) -> str:
    """Who the user is for this plan, e.g. "You are the school's leader."."""
    if access.is_state_approver:
        return "You are state staff."
    if access.is_district_approver or (access.is_author and not _is_school_plan(access.plan)):
        return "You are a district leader."
    if access.is_author:
        return "You are the school's leader."
    if access.is_coach:
        return "You are a partner serving the school: you may read and comment on the plan."
    return "You may read this plan only."


def status_message(access: PlanAccess) -> str:
    """ "This plan is submitted; the district approves or returns it. You are …"."""
    plan = access.plan
    return (
        f"This plan is {_STATUS_PHRASE.get(plan.status, plan.status)}; {who_acts(plan)}. "
        f"{role_phrase(access)}"
    )


def _refusal(access: PlanAccess, name: str) -> TransitionRefused | None:
    t = TRANSITIONS[name]
    plan = access.plan
    why = status_message(access)
    why = why[0].lower() + why[1:]
    if not _available(plan, name):
        return TransitionNotAvailable(f"You cannot {t.verb}: {why}")
    if not _permitted(access, name):
        return TransitionNotPermitted(f"You cannot {t.verb}: {why}")
    return None


# ---------------------------------------------------------------------------------------------
# Completeness


def submit_blockers(plan: Plan) -> list[str]:
    """What the plan still needs before it can be submitted, in plain words (empty: ready)."""
    missing: list[str] = []
    years = plan.years
    goals = list(plan.goals.all())
    if not goals:
        missing.append(
            "Add at least one measurable annual goal, with a target for every plan year "
            f"({', '.join(school_year(y) for y in years)})."
        )
    targets: dict[int, set[int]] = {}
    for goal_id, year in GoalTarget.objects.filter(goal__plan=plan).values_list("goal_id", "year"):
        targets.setdefault(goal_id, set()).add(year)
    for goal in goals:
        lacking = [y for y in years if y not in targets.get(goal.pk, set())]
        if lacking:
            missing.append(
                f"Goal “{goal.description}” needs a target for "
                f"{', '.join(school_year(y) for y in lacking)}."
            )
    has_action = Action.objects.filter(
        strategy__objective__plan=plan, strategy__objective__is_active=True
    ).exists()
    if not has_action:
        missing.append(
            "Add at least one objective with a strategy and an action (owner and dates)."
        )
    kinds = set(Benchmark.objects.filter(plan=plan, is_active=True).values_list("kind", flat=True))
    for kind in BenchmarkKind:
        if kind.value not in kinds:
            missing.append(f"Add at least one {str(kind.label).lower()} benchmark.")
    if _is_school_plan(plan) and plan.exit_eligible_year is None and _in_designation(plan):
        missing.append(
            "Give the school year in which the school becomes eligible to exit its designation."
        )
    return missing


def _in_designation(plan: Plan) -> bool:
    if plan.designation_id is not None:
        return True
    from turnaround.accountability.models import Designation

    return Designation.objects.filter(school_id=plan.school_id, exited_year__isnull=True).exists()


# ---------------------------------------------------------------------------------------------
# Services


def _access(actor: Any, plan: Plan | int) -> PlanAccess:
    """The actor's access to the stored plan (read fresh: status and version are current)."""
    pk = plan if isinstance(plan, int) else plan.pk
    try:
        return get_plan_for_user(actor, pk)
    except Http404 as exc:
        raise PermissionDenied("You cannot see this plan.") from exc


def _transition(
    *, actor: Any, plan: Plan | int, name: str, comment: str, expected_version: int | None
) -> Plan:
    access = _access(actor, plan)
    t = TRANSITIONS[name]
    comment = (comment or "").strip()
    with transaction.atomic():
        # lock the plan row: a content edit (which locks it too) cannot slip in between the
        # checks below and the snapshot, and two transitions cannot both pass the checks
        current = (
            Plan.objects.select_for_update(of=("self",))
            .select_related("school__district__state", "district__state", "designation")
            .get(pk=access.plan.pk)
        )
        access = replace(access, plan=current)
        if expected_version is not None and expected_version != current.version:
            raise StaleEditError(current)
        refused = _refusal(access, name)
        if refused is not None:
            raise refused
        if t.needs_comment and not comment:
            field = "reason" if name == "amend" else "comment"
            message = (
                "An amendment needs a reason: say why the approved plan must change."
                if name == "amend"
                else "Say what must change before the plan can be approved; the authors see "
                "your comment."
            )
            raise ValidationError({field: message})
        if name == "submit":
            blockers = submit_blockers(current)
            if blockers:
                raise ValidationError(blockers)
        before = current.status
        current.status = _target(current, name)
        current.updated_at = timezone.now()
        save_versioned(current, fields=["status", "updated_at"], expected_version=current.version)
        last = PlanVersion.objects.filter(plan=current).aggregate(n=Max("number"))["n"] or 0
        version = PlanVersion.objects.create(
            plan=current,
            number=last + 1,
            status=current.status,
            transition=name,
            comment=comment,
            snapshot=plan_snapshot(current),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=current,
            state_id=state_id_of(current),
            changes={
                "status": [before, current.status],
                "transition": name,
                "comment": comment,
                "plan_version": version.number,
            },
        )
    return current


def plan_submit(
    *, actor: Any, plan: Plan | int, comment: str = "", expected_version: int | None = None
) -> Plan:
    """Draft or returned → submitted (the authors), once nothing is missing."""
    return _transition(
        actor=actor, plan=plan, name="submit", comment=comment, expected_version=expected_version
    )


def plan_district_approve(
    *, actor: Any, plan: Plan | int, comment: str = "", expected_version: int | None = None
) -> Plan:
    """Submitted → district-approved (the district's leaders; school plans only)."""
    return _transition(
        actor=actor,
        plan=plan,
        name="district_approve",
        comment=comment,
        expected_version=expected_version,
    )


def plan_state_approve(
    *, actor: Any, plan: Plan | int, comment: str = "", expected_version: int | None = None
) -> Plan:
    """District-approved (or a submitted district plan) → state-approved (state staff)."""
    return _transition(
        actor=actor,
        plan=plan,
        name="state_approve",
        comment=comment,
        expected_version=expected_version,
    )


def plan_return(
    *, actor: Any, plan: Plan | int, comment: str, expected_version: int | None = None
) -> Plan:
    """Submitted or district-approved → returned, with a comment (the approver at that step)."""
    return _transition(
        actor=actor, plan=plan, name="return", comment=comment, expected_version=expected_version
    )


def plan_amend(
    *, actor: Any, plan: Plan | int, reason: str, expected_version: int | None = None
) -> Plan:
    """State-approved → draft, with a reason (the authors). The approved version is kept."""
    return _transition(
        actor=actor, plan=plan, name="amend", comment=reason, expected_version=expected_version
    )


def plan_transition(
    *,
    actor: Any,
    plan: Plan | int,
    name: str,
    comment: str = "",
    expected_version: int | None = None,
) -> Plan:
    """Run the transition called ``name`` (the web form and the API send the name)."""
    if name not in TRANSITIONS:
        raise ValidationError(
            {"name": f"“{name}” is not a transition; choose one of {', '.join(TRANSITIONS)}."}
        )
    return _transition(
        actor=actor, plan=plan, name=name, comment=comment, expected_version=expected_version
    )


def last_version(plan: Plan) -> PlanVersion | None:
    return (
        PlanVersion.objects.filter(plan=plan)
        .select_related("created_by")
        .order_by("-number")
        .first()
    )


def sees_history(access: PlanAccess) -> bool:
    """The rule lives in ``access.PlanAccess.sees_history``; kept here for the views' imports."""
    return access.sees_history


def versions_for(access: PlanAccess) -> QuerySet[PlanVersion]:
    """The plan's versions this user may read, newest first."""
    qs = PlanVersion.objects.filter(plan=access.plan).select_related("created_by")
    if not sees_history(access):
        qs = qs.filter(status=PlanStatus.STATE_APPROVED)
    return qs.order_by("-number")


__all__ = [
    "TRANSITIONS",
    "TRANSITION_LABELS",
    "TransitionNotAvailable",
    "TransitionNotPermitted",
    "TransitionRefused",
    "allowed_transitions",
    "last_version",
    "plan_amend",
    "plan_district_approve",
    "plan_return",
    "plan_state_approve",
    "plan_submit",
    "plan_transition",
    "role_phrase",
    "sees_history",
    "status_message",
    "submit_blockers",
    "transition_label",
    "versions_for",
    "who_acts",
]
