"""Who may see and do what with an assessment. Views, the API and reports ask here, nowhere else.

- State administrators and state staff of the assessed organisation's state see every
  assessment there, with the working papers (evidence, each reviewer's ratings), and manage them
  (plan, team, amendments).
- Team members see the working papers of the assessments they serve on: a reviewer sees only the
  visits on which they serve. Reviewers rate; the lead records consensus and finalises.
- The assessed school or district sees its own self-assessments (its leaders edit them until they
  are finalised) and its *finalised* site-visit reports, never the working papers.
- A district leader also sees its schools' self-assessments and finalised reports; partner staff,
  TA providers and viewers see finalised reports of the schools they reach.
- "Missing" and "not yours" are the same 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from turnaround.accounts.access import get_reach
from turnaround.accounts.models import User
from turnaround.assessments.models import Assessment, TeamMember


def _state_staff_q(state_ids: frozenset[int]) -> Q:
    return Q(school__district__state_id__in=state_ids) | Q(district__state_id__in=state_ids)


def visible_assessments(user: User | object) -> QuerySet[Assessment]:
    reach = get_reach(user)
    if not getattr(user, "is_authenticated", False):
        return Assessment.objects.none()
    q = Q(team__user=user)
    if reach.restricted_state_ids:
        q |= _state_staff_q(reach.restricted_state_ids)
    # the assessed organisation (and those who reach it) see self-assessments and final reports
    own_school = Q(school_id__in=reach.school_ids) | Q(school__district_id__in=reach.district_ids)
    own_district = Q(district_id__in=reach.district_ids)
    q |= (own_school | own_district) & (
        Q(kind=Assessment.Kind.SELF) | Q(status=Assessment.Status.FINALISED)
    )
    # partners, TA providers and viewers: finalised site-visit reports of schools they reach
    others = Q(school_id__in=reach.partner_school_ids)
    if reach.public_state_ids:
        public_roles = reach.roles & {"ta_provider", "viewer"}
        if public_roles:
            others |= _state_staff_q(reach.public_state_ids)
    q |= others & Q(status=Assessment.Status.FINALISED)
    return Assessment.objects.filter(q).distinct()


@dataclass(frozen=True)
class AssessmentAccess:
    assessment: Assessment
    #: the user's seat on the team ("lead", "reviewer", "school_team") or "" for none
    seat: str
    #: state administrator or state staff of the assessed organisation's state
    is_state_staff: bool
    #: a leader of the assessed school or district (or of the district of the assessed school)
    is_subject: bool

    @property
    def sees_working_papers(self) -> bool:
        """Evidence notes and each reviewer's individual ratings (a site visit's school-team seat
        takes part in planning but does not see the reviewers' working papers)."""
        if self.assessment.kind == Assessment.Kind.SELF:
            return self.is_state_staff or self.seat != "" or self.is_subject
        return self.is_state_staff or self.seat in (TeamMember.Role.LEAD, TeamMember.Role.REVIEWER)

    @property
    def can_manage(self) -> bool:
        """Plan the visit (team, schedule, document requests); amend it after finalising."""
        return self.is_state_staff or self.seat == TeamMember.Role.LEAD

    @property
    def can_rate(self) -> bool:
        """Record evidence and one's own ratings (site visit) or the team's ratings (self)."""
        if self.assessment.is_locked:
            return False
        if self.assessment.kind == Assessment.Kind.SELF:
            return self.seat != "" or self.is_subject or self.is_state_staff
        return self.seat in (TeamMember.Role.LEAD, TeamMember.Role.REVIEWER)

    @property
    def can_record_consensus(self) -> bool:
        if self.assessment.is_locked:
            return False
        if self.assessment.kind == Assessment.Kind.SELF:
            return self.can_rate
        return self.seat == TeamMember.Role.LEAD or self.is_state_staff

    @property
    def can_finalise(self) -> bool:
        return not self.assessment.is_locked and self.can_record_consensus

    @property
    def can_amend(self) -> bool:
        return self.assessment.is_locked and self.can_manage


def get_assessment_for_user(user: User | object, assessment_id: int) -> AssessmentAccess:
    assessment = (
        visible_assessments(user)
        .select_related(
            "school__district__state",
            "district__state",
            "framework_version__framework",
            "framework_version__scale",
        )
        .filter(pk=assessment_id)
        .first()
    )
    if assessment is None:
        raise Http404("No such assessment.")
    reach = get_reach(user)
    if assessment.school_id is not None:
        state_id = assessment.school.district.state_id
        subject = (
            assessment.school_id in reach.school_ids
            or assessment.school.district_id in reach.district_ids
        )
    else:
        state_id = assessment.district.state_id
        subject = assessment.district_id in reach.district_ids
    seat = (
        TeamMember.objects.filter(assessment=assessment, user_id=getattr(user, "pk", None))
        .values_list("role", flat=True)
        .first()
    )
    return AssessmentAccess(
        assessment=assessment,
        seat=seat or "",
        is_state_staff=state_id in reach.restricted_state_ids,
        is_subject=subject,
    )
