"""The team of an assessment: the lead, reviewers, and the school's or district's own members."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from turnaround.accounts.models import Membership, Role, User
from turnaround.assessments.models import Assessment, ReviewerRating, TeamMember
from turnaround.assessments.services._common import (
    CREATE,
    DELETE,
    access_of,
    audit,
    kind_noun,
    refuse_if_locked,
    require,
)

#: Roles that may lead or review a site visit, held in the visited organisation's state.
VISIT_ROLES = (Role.STATE_ADMIN, Role.STATE_STAFF, Role.REVIEWER)


def eligible_for_role(
    user: User,
    *,
    role: str,
    state_id: int,
    school_id: int | None = None,
    district_id: int | None = None,
) -> str:
    """Why ``user`` cannot take ``role`` on an assessment in that state ("" when they can)."""
    if not user.is_active:
        return f"{user.get_username()} cannot serve: the account is deactivated."
    memberships = Membership.objects.filter(user=user)
    if role in (TeamMember.Role.LEAD, TeamMember.Role.REVIEWER):
        if memberships.filter(role__in=VISIT_ROLES, state_id=state_id).exists():
            return ""
        noun = "lead a site visit" if role == TeamMember.Role.LEAD else "review on a site visit"
        return (
            f"{user.get_username()} cannot {noun}: only state staff, state administrators and "
            "reviewers of the visited school's state can."
        )
    if role == TeamMember.Role.SCHOOL_TEAM:
        own = memberships.filter(role__in=(Role.STATE_ADMIN, Role.STATE_STAFF), state_id=state_id)
        if school_id is not None:
            own = own | memberships.filter(role=Role.SCHOOL_LEADER, school_id=school_id)
        if district_id is not None:
            own = own | memberships.filter(role=Role.DISTRICT_LEADER, district_id=district_id)
        if own.exists():
            return ""
        return (
            f"{user.get_username()} cannot join the school or district team: only leaders of the "
            "assessed school or district (or state staff) can."
        )
    return f"Choose a role: {', '.join(TeamMember.Role.values)}."


def subject_ids(assessment: Assessment) -> tuple[int, int | None, int]:
    """(state id, school id or None, district id) of the assessed organisation."""
    if assessment.school_id is not None:
        school = assessment.school
        return school.district.state_id, school.pk, school.district_id
    return assessment.district.state_id, None, assessment.district_id  # type: ignore[return-value]


def team_member_add(*, actor: Any, assessment: Assessment, user: User, role: str) -> TeamMember:
    """Seat ``user`` on the team; a site visit has exactly one lead, a self-assessment none."""
    access = access_of(actor, assessment)
    current = access.assessment
    refuse_if_locked(current)
    require(
        access.can_manage or (current.kind == Assessment.Kind.SELF and access.can_rate),
        f"Only the lead or state staff change the team of this {kind_noun(current)}.",
    )
    if role not in TeamMember.Role.values:
        raise ValidationError({"role": f"Choose one of: {', '.join(TeamMember.Role.values)}."})
    if current.kind == Assessment.Kind.SELF and role != TeamMember.Role.SCHOOL_TEAM:
        raise ValidationError(
            {"role": "A self-assessment's team is the school's or district's own team."}
        )
    existing = TeamMember.objects.filter(assessment=current, user=user).first()
    if existing is not None:
        raise ValidationError(
            {
                "user": f"{user.get_username()} is already on the team "
                f"({existing.get_role_display().lower()})."
            }
        )
    if role == TeamMember.Role.LEAD:
        lead = TeamMember.objects.filter(assessment=current, role=TeamMember.Role.LEAD).first()
        if lead is not None:
            raise ValidationError(
                {
                    "role": f"{lead.user.get_username()} already leads this visit; "
                    "a visit has one lead."
                }
            )
    state_id, school_id, district_id = subject_ids(current)
    reason = eligible_for_role(
        user, role=role, state_id=state_id, school_id=school_id, district_id=district_id
    )
    if reason:
        raise ValidationError({"user": reason})
    with transaction.atomic():
        seat = TeamMember.objects.create(assessment=current, user=user, role=role)
        audit(
            actor=actor,
            action=CREATE,
            obj=seat,
            assessment=current,
            changes={"user": user.get_username(), "role": role},
        )
    return seat


def team_member_remove(*, actor: Any, member: TeamMember) -> None:
    """Take someone off the team. The lead stays until another is chosen; a reviewer who has
    rated keeps their seat so their ratings stay attributable."""
    access = access_of(actor, member.assessment_id)
    current = access.assessment
    refuse_if_locked(current)
    require(
        access.can_manage or (current.kind == Assessment.Kind.SELF and access.can_rate),
        f"Only the lead or state staff change the team of this {kind_noun(current)}.",
    )
    name = member.user.get_username()
    if member.role == TeamMember.Role.LEAD:
        raise ValidationError(f"{name} leads this visit; a visit keeps its lead.")
    rated = ReviewerRating.objects.filter(assessment=current, reviewer=member.user).count()
    if rated:
        raise ValidationError(
            f"{name} has rated {rated} indicator{'s' if rated != 1 else ''}; "
            "a reviewer who has rated stays on the team."
        )
    with transaction.atomic():
        audit(
            actor=actor,
            action=DELETE,
            obj=member,
            assessment=current,
            changes={"user": name, "role": member.role},
        )
        member.delete()
