"""Who may see and do what with partners. Views, the API, the CLI and services ask here only.

- **Registry.** Every signed-in person with a role sees the registry (partners, services,
  evidence, contacts). State administrators create partners and edit any of them; partner staff
  edit their own organisation's entry. The public directory (no sign-in) lists only partners with
  a Priority Partner designation in force in that state, and never contacts' phone numbers.
- **Vetting.** A cycle belongs to a state. Its state administrators manage it (criteria,
  reviewers, status, decisions); its state staff follow it and see every score. Partner staff see
  open cycles of every state and apply; they see their own organisation's applications — never
  another partner's, and never the scores, only the decision. A reviewer sees the applications
  assigned to them; they see other reviewers' scores only after submitting their own.
- **Engagements.** State administrators and staff see and record every engagement in their state;
  district leaders those of their district and its schools (and record them); school leaders see
  their school's; partner staff see their own organisation's, read-only.
- **Scorecards and impact.** State administrators and staff of a state, district leaders of it,
  and the partner's own staff see a partner's scorecard; the engagements listed on it are only
  those the viewer may see. Impact estimates are school-level aggregates over many schools.
- **Matching.** Suggestions for a school are for those who choose partners for it: its state's
  administrators and staff, its district's leaders and its own leaders.
- "Missing" and "not yours" are the same 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from turnaround.accounts.access import get_reach
from turnaround.accounts.models import Membership, Role, User
from turnaround.organizations.models import District, PartnerOrganization, School, State
from turnaround.partners.models import (
    Application,
    Engagement,
    PriorityDesignation,
    ReviewAssignment,
    VettingCycle,
)


def _authenticated(user: User | object) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def partner_ids_of(user: User | object) -> frozenset[int]:
    """The partner organisations the user works for (partner staff memberships)."""
    if not _authenticated(user):
        return frozenset()
    cached = getattr(user, "_turnaround_partner_ids", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    ids = frozenset(
        Membership.objects.filter(user=user, role=Role.PARTNER_STAFF).values_list(
            "partner_id", flat=True
        )
    )
    user._turnaround_partner_ids = ids  # type: ignore[union-attr]
    return ids  # type: ignore[return-value]


def staff_state_ids(user: User | object) -> frozenset[int]:
    """States where the user is a state administrator or state staff (restricted state roles)."""
    return get_reach(user).restricted_state_ids


# ---------------------------------------------------------------------------------------------
# Registry


def sees_registry(user: User | object) -> bool:
    return _authenticated(user) and (not get_reach(user).is_empty or bool(partner_ids_of(user)))


def visible_partners(user: User | object) -> QuerySet[PartnerOrganization]:
    if not sees_registry(user):
        return PartnerOrganization.objects.none()
    return PartnerOrganization.objects.all()


def can_create_partner(user: User | object) -> bool:
    return bool(get_reach(user).admin_state_ids)


@dataclass(frozen=True)
class PartnerAccess:
    partner: PartnerOrganization
    #: the user works for this partner
    is_own: bool
    #: edit the registry entry (services, contacts, evidence claims)
    can_edit: bool
    #: see the scorecard (engagements they may see, outcomes, impact)
    sees_scorecard: bool
    #: confirm evidence tiers (state administrators and staff)
    can_confirm_evidence: bool


def get_partner_for_user(user: User | object, partner_id: int) -> PartnerAccess:
    partner = visible_partners(user).filter(pk=partner_id).first()
    if partner is None:
        raise Http404("No such partner.")
    reach = get_reach(user)
    own = partner.pk in partner_ids_of(user)
    return PartnerAccess(
        partner=partner,
        is_own=own,
        can_edit=own or bool(reach.admin_state_ids),
        sees_scorecard=own or bool(reach.restricted_state_ids) or bool(reach.district_ids),
        can_confirm_evidence=bool(reach.restricted_state_ids),
    )


def designations_in_force(state: State, *, on: object = None) -> QuerySet[PriorityDesignation]:
    day = on or timezone.localdate()
    return PriorityDesignation.objects.filter(
        state=state, revoked_at__isnull=True, starts_on__lte=day, expires_on__gte=day
    )


def directory_partners(state: State) -> QuerySet[PartnerOrganization]:
    """The public directory: partners with a designation in force in ``state``."""
    ids = designations_in_force(state).values("partner_id")
    return PartnerOrganization.objects.filter(pk__in=ids)


def scorecard_state_ids(user: User | object, partner: PartnerOrganization) -> frozenset[int]:
    """The states whose estimates of ``partner`` the user sees on its scorecard."""
    reach = get_reach(user)
    states = set(reach.restricted_state_ids)
    if reach.district_ids:
        states |= set(
            District.objects.filter(pk__in=reach.district_ids).values_list("state_id", flat=True)
        )
    if partner.pk in partner_ids_of(user):
        states |= set(
            Engagement.objects.filter(partner=partner, school__isnull=False).values_list(
                "school__district__state_id", flat=True
            )
        )
        states |= set(
            Engagement.objects.filter(partner=partner, district__isnull=False).values_list(
                "district__state_id", flat=True
            )
        )
        states |= set(
            PriorityDesignation.objects.filter(partner=partner).values_list("state_id", flat=True)
        )
    return frozenset(states)


# ---------------------------------------------------------------------------------------------
# Vetting


def visible_cycles(user: User | object) -> QuerySet[VettingCycle]:
    if not _authenticated(user):
        return VettingCycle.objects.none()
    reach = get_reach(user)
    q = Q(state_id__in=reach.restricted_state_ids)
    q |= Q(applications__reviews__reviewer=user)
    partners = partner_ids_of(user)
    if partners:
        q |= Q(status=VettingCycle.Status.OPEN) | Q(applications__partner_id__in=partners)
    return VettingCycle.objects.filter(q).distinct()


@dataclass(frozen=True)
class CycleAccess:
    cycle: VettingCycle
    #: state administrator of the cycle's state: criteria, reviewers, status, decisions
    can_manage: bool
    #: state administrator or staff of the cycle's state: sees every application and score
    is_state_staff: bool
    #: partner staff may apply (the cycle is open and their organisation has not applied yet)
    can_apply: bool


def get_cycle_for_user(user: User | object, cycle_id: int) -> CycleAccess:
    cycle = visible_cycles(user).select_related("state").filter(pk=cycle_id).first()
    if cycle is None:
        raise Http404("No such vetting cycle.")
    reach = get_reach(user)
    partners = partner_ids_of(user)
    applied = set(
        Application.objects.filter(cycle=cycle, partner_id__in=partners).values_list(
            "partner_id", flat=True
        )
    )
    return CycleAccess(
        cycle=cycle,
        can_manage=reach.administers(cycle.state_id),
        is_state_staff=cycle.state_id in reach.restricted_state_ids,
        can_apply=cycle.status == VettingCycle.Status.OPEN and bool(set(partners) - applied),
    )


def visible_applications(user: User | object) -> QuerySet[Application]:
    """State staff see submitted (and decided, withdrawn) applications of their states; partner
    staff their own organisation's (drafts included); reviewers those assigned to them."""
    if not _authenticated(user):
        return Application.objects.none()
    reach = get_reach(user)
    q = Q(cycle__state_id__in=reach.restricted_state_ids) & ~Q(status=Application.Status.DRAFT)
    q |= Q(partner_id__in=partner_ids_of(user))
    q |= Q(reviews__reviewer=user) & ~Q(status=Application.Status.DRAFT)
    return Application.objects.filter(q).distinct()


@dataclass(frozen=True)
class ApplicationAccess:
    application: Application
    #: staff of the applying partner
    is_applicant: bool
    #: state administrator of the cycle's state (assigns reviewers, decides)
    can_manage: bool
    #: state administrator or staff of the cycle's state
    is_state_staff: bool
    #: the user's own review of this application, when they are one of its reviewers
    review: ReviewAssignment | None

    @property
    def can_edit(self) -> bool:
        """The applicant edits (and submits or withdraws) a draft while the cycle is open."""
        return (
            self.is_applicant
            and self.application.status == Application.Status.DRAFT
            and self.application.cycle.status == VettingCycle.Status.OPEN
        )

    @property
    def sees_all_scores(self) -> bool:
        """Every reviewer's scores and the agreement between them: state staff of the cycle, and a
        reviewer once their own review is submitted. Applicants never see scores."""
        if self.is_state_staff:
            return True
        return self.review is not None and self.review.submitted_at is not None

    @property
    def can_score(self) -> bool:
        """A reviewer without a declared conflict, before submitting, while the cycle is in
        review (declare first: an undeclared reviewer is asked to declare)."""
        return (
            self.review is not None
            and self.review.submitted_at is None
            and self.review.conflict == ReviewAssignment.Conflict.NONE
            and self.application.status == Application.Status.SUBMITTED
            and self.application.cycle.status == VettingCycle.Status.REVIEW
        )


def get_application_for_user(user: User | object, application_id: int) -> ApplicationAccess:
    application = (
        visible_applications(user)
        .select_related("cycle__state", "partner")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        raise Http404("No such application.")
    reach = get_reach(user)
    state_id = application.cycle.state_id
    review = (
        ReviewAssignment.objects.filter(application=application, reviewer=user).first()
        if _authenticated(user)
        else None
    )
    return ApplicationAccess(
        application=application,
        is_applicant=application.partner_id in partner_ids_of(user),
        can_manage=reach.administers(state_id),
        is_state_staff=state_id in reach.restricted_state_ids,
        review=review,
    )


# ---------------------------------------------------------------------------------------------
# Engagements


def visible_engagements(user: User | object) -> QuerySet[Engagement]:
    if not _authenticated(user):
        return Engagement.objects.none()
    reach = get_reach(user)
    q = Q(partner_id__in=partner_ids_of(user))
    if reach.restricted_state_ids:
        q |= Q(school__district__state_id__in=reach.restricted_state_ids)
        q |= Q(district__state_id__in=reach.restricted_state_ids)
    if reach.district_ids:
        q |= Q(school__district_id__in=reach.district_ids) | Q(district_id__in=reach.district_ids)
    if reach.school_ids:
        q |= Q(school_id__in=reach.school_ids)
    return Engagement.objects.filter(q)


def can_record_engagement_for(
    user: User | object, *, school: School | None = None, district: District | None = None
) -> bool:
    """State administrators and staff of the organisation's state, and its district leaders."""
    reach = get_reach(user)
    if school is not None:
        return (
            school.district.state_id in reach.restricted_state_ids
            or school.district_id in reach.district_ids
        )
    if district is not None:
        return district.state_id in reach.restricted_state_ids or district.pk in reach.district_ids
    return False


def can_record_engagements(user: User | object) -> bool:
    reach = get_reach(user)
    return bool(reach.restricted_state_ids or reach.district_ids)


@dataclass(frozen=True)
class EngagementAccess:
    engagement: Engagement
    can_edit: bool


def get_engagement_for_user(user: User | object, engagement_id: int) -> EngagementAccess:
    engagement = (
        visible_engagements(user)
        .select_related("partner", "school__district__state", "district__state", "designation")
        .filter(pk=engagement_id)
        .first()
    )
    if engagement is None:
        raise Http404("No such engagement.")
    return EngagementAccess(
        engagement=engagement,
        can_edit=can_record_engagement_for(
            user, school=engagement.school, district=engagement.district
        ),
    )


# ---------------------------------------------------------------------------------------------
# Matching


def can_match_for_school(user: User | object, school: School) -> bool:
    reach = get_reach(user)
    return (
        school.district.state_id in reach.restricted_state_ids
        or school.district_id in reach.district_ids
        or school.pk in reach.school_ids
    )
