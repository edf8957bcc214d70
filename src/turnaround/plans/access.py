"""Who may see and do what with a plan, its sessions and comments. Views, the API, the CLI and
services ask here only.

- **Authors** write the plan: the school's leaders and its district's leaders for a school plan,
  the district's leaders for a district plan. They edit content while it is a draft or returned,
  submit it, ask for an amendment of an approved plan, and record quarterly sessions.
- **District approvers** (the district's leaders) approve or return a submitted school plan.
- **State approvers** (state administrators and staff of the plan's state) approve or return a
  plan approved by its district (a district plan, once submitted), record and lead sessions, and
  coach. They see every plan of their state in every status.
- **Coaches** comment: state administrators and staff, the district's leaders, the school's
  leaders, and partner staff serving the school under an engagement in force.
- Partner staff serving the school read its plans; TA providers, reviewers and viewers of the
  state read state-approved plans only. Nobody else sees a plan: "missing" and "not yours" are
  the same 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from turnaround.accounts.access import get_reach
from turnaround.accounts.models import User
from turnaround.plans.models import Plan, PlanStatus


def visible_plans(user: User | object) -> QuerySet[Plan]:
    if not getattr(user, "is_authenticated", False):
        return Plan.objects.none()
    reach = get_reach(user)
    if reach.is_empty:
        return Plan.objects.none()
    q = Q(pk__in=[])
    if reach.restricted_state_ids:
        q |= Q(school__district__state_id__in=reach.restricted_state_ids)
        q |= Q(district__state_id__in=reach.restricted_state_ids)
    if reach.district_ids:
        q |= Q(school__district_id__in=reach.district_ids) | Q(district_id__in=reach.district_ids)
    if reach.school_ids or reach.partner_school_ids:
        q |= Q(school_id__in=reach.school_ids | reach.partner_school_ids)
    if reach.public_state_ids:
        q |= (
            Q(school__district__state_id__in=reach.public_state_ids)
            | Q(district__state_id__in=reach.public_state_ids)
        ) & Q(status=PlanStatus.STATE_APPROVED)
    return Plan.objects.filter(q)


def state_id_of(plan: Plan) -> int:
    if plan.school_id is not None:
        return plan.school.district.state_id  # type: ignore[union-attr]
    return plan.district.state_id  # type: ignore[union-attr]


def district_id_of(plan: Plan) -> int:
    if plan.school_id is not None:
        return plan.school.district_id  # type: ignore[union-attr]
    return plan.district_id  # type: ignore[return-value]


@dataclass(frozen=True)
class PlanAccess:
    plan: Plan
    is_author: bool
    is_district_approver: bool
    is_state_approver: bool
    is_coach: bool

    @property
    def can_edit(self) -> bool:
        """Change the plan's content (only while it is a draft or returned)."""
        return self.is_author and self.plan.is_editable

    @property
    def can_monitor(self) -> bool:
        """Schedule and record quarterly sessions, update action statuses."""
        return self.is_author or self.is_state_approver

    @property
    def can_comment(self) -> bool:
        return self.is_coach

    @property
    def sees_history(self) -> bool:
        """Authors, approvers and coaches see every version with its comments; readers who see
        only approved plans (TA providers, reviewers, viewers) see the approved versions only."""
        return (
            self.is_author or self.is_district_approver or self.is_state_approver or self.is_coach
        )


def plan_access_for(user: User | object, plan: Plan) -> PlanAccess:
    """What ``user`` may do with ``plan`` (assumes it is visible; see ``get_plan_for_user``)."""
    reach = get_reach(user)
    state_id = state_id_of(plan)
    district_id = district_id_of(plan)
    district_leader = district_id in reach.district_ids
    school_leader = plan.school_id is not None and plan.school_id in reach.school_ids
    state_staff = state_id in reach.restricted_state_ids
    partner = plan.school_id is not None and plan.school_id in reach.partner_school_ids
    return PlanAccess(
        plan=plan,
        is_author=school_leader or district_leader,
        is_district_approver=district_leader and plan.school_id is not None,
        is_state_approver=state_staff,
        is_coach=state_staff or district_leader or school_leader or partner,
    )


def get_plan_for_user(user: User | object, plan_id: int) -> PlanAccess:
    plan = (
        visible_plans(user)
        .select_related("school__district__state", "district__state", "designation")
        .filter(pk=plan_id)
        .first()
    )
    if plan is None:
        raise Http404("No such plan.")
    return plan_access_for(user, plan)


def can_create_plan_for(
    user: User | object, *, school_id: int | None = None, district_id: int | None = None
) -> bool:
    """Authors (the school's leaders, the district's leaders) start plans."""
    from turnaround.organizations.models import District, School

    reach = get_reach(user)
    if school_id is not None:
        school = School.objects.select_related("district").filter(pk=school_id).first()
        return school is not None and (
            school.pk in reach.school_ids or school.district_id in reach.district_ids
        )
    if district_id is not None:
        return District.objects.filter(pk=district_id, pk__in=reach.district_ids).exists()
    return False
