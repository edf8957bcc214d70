"""Who may see and change what. Every permission check in views, the API and the CLI goes here.

The rules (DESIGN.md §1, data-and-privacy.md §5):
- state roles reach every school of their state; district leaders their district's schools;
  school leaders their school; partner staff the schools they serve under an engagement in force
  with a written agreement (a district-wide engagement reaches no school's data);
- state administrators and staff, district and school leaders, and partners under an agreement see
  restricted (unsuppressed) aggregates; TA providers, reviewers and viewers see the protected view;
- only state administrators change organisations and see the audit trail;
- "missing" and "not yours" are the same 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from turnaround.accounts.models import Membership, Role, User
from turnaround.organizations.models import District, School, State
from turnaround.partners.models import Engagement

_CACHE_ATTR = "_turnaround_reach"


@dataclass(frozen=True)
class Reach:
    """Everything one user reaches, computed once per request from their memberships."""

    restricted_state_ids: frozenset[int] = frozenset()
    public_state_ids: frozenset[int] = frozenset()
    admin_state_ids: frozenset[int] = frozenset()
    district_ids: frozenset[int] = frozenset()
    school_ids: frozenset[int] = frozenset()
    partner_school_ids: frozenset[int] = frozenset()
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def state_ids(self) -> frozenset[int]:
        return self.restricted_state_ids | self.public_state_ids

    @property
    def is_empty(self) -> bool:
        return not (
            self.state_ids or self.district_ids or self.school_ids or self.partner_school_ids
        )

    def schools_q(self) -> Q:
        q = Q(pk__in=[])
        if self.state_ids:
            q |= Q(district__state_id__in=self.state_ids)
        if self.district_ids:
            q |= Q(district_id__in=self.district_ids)
        if self.school_ids or self.partner_school_ids:
            q |= Q(pk__in=self.school_ids | self.partner_school_ids)
        return q

    def districts_q(self) -> Q:
        q = Q(pk__in=self.district_ids)
        if self.state_ids:
            q |= Q(state_id__in=self.state_ids)
        return q

    def sees_restricted(self, school: School) -> bool:
        return (
            school.district.state_id in self.restricted_state_ids
            or school.district_id in self.district_ids
            or school.pk in self.school_ids
            or school.pk in self.partner_school_ids
        )

    def administers(self, state_id: int) -> bool:
        return state_id in self.admin_state_ids


def get_reach(user: User | object) -> Reach:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return Reach()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    restricted: set[int] = set()
    public: set[int] = set()
    admin: set[int] = set()
    districts: set[int] = set()
    schools: set[int] = set()
    partners: set[int] = set()
    roles: set[str] = set()
    for m in Membership.objects.filter(user=user).only(
        "role", "state_id", "district_id", "school_id", "partner_id"
    ):
        roles.add(m.role)
        if m.role in (Role.STATE_ADMIN, Role.STATE_STAFF):
            restricted.add(m.state_id)  # type: ignore[arg-type]
            if m.role == Role.STATE_ADMIN:
                admin.add(m.state_id)  # type: ignore[arg-type]
        elif m.role in (Role.TA_PROVIDER, Role.REVIEWER, Role.VIEWER):
            public.add(m.state_id)  # type: ignore[arg-type]
        elif m.role == Role.DISTRICT_LEADER:
            districts.add(m.district_id)  # type: ignore[arg-type]
        elif m.role == Role.SCHOOL_LEADER:
            schools.add(m.school_id)  # type: ignore[arg-type]
        elif m.role == Role.PARTNER_STAFF:
            partners.add(m.partner_id)  # type: ignore[arg-type]
    partner_schools: set[int] = set()
    if partners:
        today = timezone.localdate()
        partner_schools = set(
            Engagement.objects.filter(
                partner_id__in=partners,
                school__isnull=False,
                starts_on__lte=today,
                ends_on__gte=today,
            )
            .exclude(agreement_reference="")
            .values_list("school_id", flat=True)
        )
    reach = Reach(
        restricted_state_ids=frozenset(restricted),
        public_state_ids=frozenset(public - restricted),
        admin_state_ids=frozenset(admin),
        district_ids=frozenset(districts),
        school_ids=frozenset(schools),
        partner_school_ids=frozenset(partner_schools),
        roles=frozenset(roles),
    )
    setattr(user, _CACHE_ATTR, reach)
    return reach


def forget_reach(user: User) -> None:
    """Drop the cached reach after memberships change."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


# ---------------------------------------------------------------------------------------------
# Querysets of what a user can list


def visible_schools(user: User | object) -> QuerySet[School]:
    reach = get_reach(user)
    if reach.is_empty:
        return School.objects.none()
    return School.objects.filter(reach.schools_q())


def visible_districts(user: User | object) -> QuerySet[District]:
    reach = get_reach(user)
    if not (reach.state_ids or reach.district_ids):
        return District.objects.none()
    return District.objects.filter(reach.districts_q())


def visible_states(user: User | object) -> QuerySet[State]:
    reach = get_reach(user)
    if reach.is_empty:
        return State.objects.none()
    q = Q(pk__in=reach.state_ids) | Q(districts__pk__in=reach.district_ids)
    if reach.school_ids or reach.partner_school_ids:
        q |= Q(districts__schools__pk__in=reach.school_ids | reach.partner_school_ids)
    return State.objects.filter(q).distinct()


# ---------------------------------------------------------------------------------------------
# Single objects with what the user may do with them


@dataclass(frozen=True)
class SchoolAccess:
    school: School
    sees_restricted: bool
    can_edit: bool
    sees_district: bool


@dataclass(frozen=True)
class DistrictAccess:
    district: District
    sees_restricted: bool
    can_edit: bool


@dataclass(frozen=True)
class StateAccess:
    state: State
    sees_restricted: bool
    can_administer: bool


def get_school_for_user(user: User | object, school_id: int) -> SchoolAccess:
    reach = get_reach(user)
    school = visible_schools(user).select_related("district__state").filter(pk=school_id).first()
    if school is None:
        raise Http404("No such school.")
    return SchoolAccess(
        school=school,
        sees_restricted=reach.sees_restricted(school),
        can_edit=reach.administers(school.district.state_id),
        sees_district=school.district.state_id in reach.state_ids
        or school.district_id in reach.district_ids,
    )


def get_district_for_user(user: User | object, district_id: int) -> DistrictAccess:
    reach = get_reach(user)
    district = visible_districts(user).select_related("state").filter(pk=district_id).first()
    if district is None:
        raise Http404("No such district.")
    return DistrictAccess(
        district=district,
        sees_restricted=district.state_id in reach.restricted_state_ids
        or district.pk in reach.district_ids,
        can_edit=reach.administers(district.state_id),
    )


def get_state_for_user(user: User | object, code: str) -> StateAccess:
    reach = get_reach(user)
    state = State.objects.filter(code=code.upper(), pk__in=reach.state_ids).first()
    if state is None:
        raise Http404("No such state.")
    return StateAccess(
        state=state,
        sees_restricted=state.pk in reach.restricted_state_ids,
        can_administer=reach.administers(state.pk),
    )


def require_state_admin(user: User | object, state_id: int) -> None:
    if not get_reach(user).administers(state_id):
        raise Http404("Not found.")
