"""Cohort outcomes of a state: the designations entered in one year, followed year by year.

Reads the designations of the schools the user reaches (one query) and hands them to the pure
``analytics.accountability.cohorts.cohort_survival``; the chart is ``charts.survival_chart_spec``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Max

from turnaround.accountability.access import visible_designations
from turnaround.accountability.models import Designation, DesignationPhase, DesignationStatus
from turnaround.accountability.selectors import latest_year
from turnaround.analytics.accountability.cohorts import (
    ALL_STATUSES,
    CohortMember,
    CohortSurvival,
    cohort_survival,
)
from turnaround.organizations.models import School, State

STATUS_LABELS = dict(DesignationStatus.choices)


@dataclass(frozen=True)
class CohortView:
    cohort_year: int
    through_year: int
    tables: tuple[CohortSurvival, ...]
    schools: dict[str, School]

    def label(self, status: str) -> str:
        return "All statuses" if status == ALL_STATUSES else STATUS_LABELS.get(status, status)

    def names(self, ids: Any) -> list[School]:
        return [self.schools[i] for i in ids if i in self.schools]


def cohort_years(user: Any, state: State) -> list[int]:
    return list(
        visible_designations(user)
        .filter(school__district__state=state)
        .order_by("-entered_year")
        .values_list("entered_year", flat=True)
        .distinct()
    )


def default_through_year(user: Any, state: State, cohort_year: int) -> int:
    found = [cohort_year, latest_year(state) or cohort_year]
    last_exit = (
        visible_designations(user)
        .filter(school__district__state=state, entered_year=cohort_year)
        .aggregate(y=Max("exited_year"))["y"]
    )
    if last_exit is not None:
        found.append(last_exit)
    return max(found)


def cohort_view(
    user: Any,
    state: State,
    cohort_year: int,
    *,
    through_year: int | None = None,
    status: str = "",
) -> CohortView:
    """The survival tables of the designations entered in ``cohort_year`` (one status or all)."""
    through = through_year or default_through_year(user, state, cohort_year)
    qs = (
        visible_designations(user)
        .filter(school__district__state=state, entered_year=cohort_year)
        .select_related("school__district")
        .order_by("school__name")
    )
    if status:
        qs = qs.filter(status=status)
    designations: list[Designation] = list(qs)
    members = [
        CohortMember(
            school_id=str(d.school_id),
            status=d.status,
            entered_year=d.entered_year,
            exited_year=d.exited_year,
            escalated=d.phase == DesignationPhase.ESCALATED,
        )
        for d in designations
    ]
    statuses = [s for s in DesignationStatus.values if any(m.status == s for m in members)]
    tables = cohort_survival(
        members, cohort_year=cohort_year, through_year=max(through, cohort_year), statuses=statuses
    )
    return CohortView(
        cohort_year=cohort_year,
        through_year=max(through, cohort_year),
        tables=tables,
        schools={str(d.school_id): d.school for d in designations},
    )
