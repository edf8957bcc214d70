"""Who may see and do what with determinations, runs, designations and exit reviews.

Views, the API, the CLI and the services ask here only. The reach is ``accounts.access``:

- **Determinations and designations** are the state's published accountability decisions: whoever
  reaches a school sees them (state roles of its state, its district's and its own leaders,
  partner staff serving it under an agreement), exactly as the school profile shows them.
- **Identification runs** (start, watch, results, the review list) and **decisions on
  designations** (confirm, start turnaround, exit criteria, exit reviews, escalation) belong to the
  state's administrators and turnaround staff.
- **Exit reviews** (the evidence and the reviewer's rationale) are read by the state's
  administrators and staff and by the leaders of the school and its district; technical-assistance
  providers, reviewers, viewers and partners see the outcome on the designation, not the review.
- A state's pages (board, cohorts) are open to anyone who reaches a school in it, and list only
  the schools they reach. "Missing" and "not yours" are the same 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from turnaround.accountability.models import (
    AccountabilityDetermination,
    Designation,
    ExitReview,
    IdentificationRun,
)
from turnaround.accounts.access import get_reach, visible_schools, visible_states
from turnaround.accounts.models import User
from turnaround.organizations.models import School, State


def staff_states(user: User | object) -> QuerySet[State]:
    """States whose identification runs and designations the user manages."""
    return State.objects.filter(pk__in=get_reach(user).restricted_state_ids).order_by("name")


def manages_state(user: User | object, state_id: int) -> bool:
    return state_id in get_reach(user).restricted_state_ids


def get_state_scope(user: User | object, code: str) -> State:
    """A state the user reaches at least one school of (board and cohorts), else 404."""
    state = visible_states(user).filter(code=str(code).upper()).first()
    if state is None:
        raise Http404("No such state.")
    return state


def get_managed_state(user: User | object, code: str) -> State:
    """A state the user manages (runs, review), else 404."""
    state = staff_states(user).filter(code=str(code).upper()).first()
    if state is None:
        raise Http404("No such state.")
    return state


# ---------------------------------------------------------------------------------------------
# Determinations and designations


def visible_determinations(user: User | object) -> QuerySet[AccountabilityDetermination]:
    return AccountabilityDetermination.objects.filter(school__in=visible_schools(user))


def visible_designations(user: User | object) -> QuerySet[Designation]:
    return Designation.objects.filter(school__in=visible_schools(user))


def _review_schools_q(user: User | object, prefix: str) -> Q:
    reach = get_reach(user)
    q = Q(pk__in=[])
    if reach.restricted_state_ids:
        q |= Q(**{f"{prefix}district__state_id__in": reach.restricted_state_ids})
    if reach.district_ids:
        q |= Q(**{f"{prefix}district_id__in": reach.district_ids})
    if reach.school_ids:
        q |= Q(**{f"{prefix}pk__in": reach.school_ids})
    return q


def sees_exit_reviews(user: User | object, school: School) -> bool:
    reach = get_reach(user)
    return (
        school.district.state_id in reach.restricted_state_ids
        or school.district_id in reach.district_ids
        or school.pk in reach.school_ids
    )


def visible_exit_reviews(user: User | object) -> QuerySet[ExitReview]:
    schools = School.objects.filter(_review_schools_q(user, ""))
    return ExitReview.objects.filter(designation__school__in=schools)


@dataclass(frozen=True)
class DesignationAccess:
    designation: Designation
    #: state administrator or staff of the school's state: transitions, criteria, exit reviews
    can_manage: bool
    #: may read the exit reviews (evidence and rationale)
    sees_reviews: bool


def get_designation_for_user(user: User | object, designation_id: int) -> DesignationAccess:
    designation = (
        visible_designations(user)
        .select_related(
            "school__district__state", "determination", "confirmed_by", "escalated_from"
        )
        .filter(pk=designation_id)
        .first()
    )
    if designation is None:
        raise Http404("No such designation.")
    school = designation.school
    return DesignationAccess(
        designation=designation,
        can_manage=manages_state(user, school.district.state_id),
        sees_reviews=sees_exit_reviews(user, school),
    )


def get_exit_review_for_user(user: User | object, review_id: int) -> ExitReview:
    review = (
        visible_exit_reviews(user)
        .select_related("designation__school__district__state", "decided_by")
        .filter(pk=review_id)
        .first()
    )
    if review is None:
        raise Http404("No such exit review.")
    return review


# ---------------------------------------------------------------------------------------------
# Runs


def visible_runs(user: User | object) -> QuerySet[IdentificationRun]:
    return IdentificationRun.objects.filter(state_id__in=get_reach(user).restricted_state_ids)


def get_run_for_user(user: User | object, run_id: int) -> IdentificationRun:
    run = visible_runs(user).select_related("state", "requested_by").filter(pk=run_id).first()
    if run is None:
        raise Http404("No such identification run.")
    return run
