"""Reads of determinations, runs, designations and a school's accountability history.

Access is applied by the callers through ``accountability.access`` (the querysets passed in are
already limited to what the user reaches) or here where a function takes the user.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, Q, QuerySet

from turnaround.accountability.access import (
    sees_exit_reviews,
    visible_determinations,
)
from turnaround.accountability.evidence import (
    paused_years_of,
    ruleset_of,
    statewide_gap_years,
    yearly_outcomes,
)
from turnaround.accountability.filters import DeterminationFilters
from turnaround.accountability.models import (
    OPEN_PHASES,
    AccountabilityDetermination,
    Designation,
    ExitReview,
    IdentificationRun,
)
from turnaround.analytics.accountability.designation_rules import (
    TX_TURNAROUND_YEARS,
    Candidate,
    designation_candidate,
)
from turnaround.analytics.accountability.status_years import YearsInStatus, designation_years
from turnaround.organizations.models import School, State


def determinations_for_school(school: School) -> list[AccountabilityDetermination]:
    return list(
        AccountabilityDetermination.objects.filter(school=school).order_by("-year", "-is_official")
    )


def designations_for_school(school: School) -> QuerySet[Designation]:
    return Designation.objects.filter(school=school).order_by("-entered_year")


def active_designation_count(schools: QuerySet[School]) -> int:
    return Designation.objects.filter(school__in=schools, exited_year__isnull=True).count()


def latest_year(state: State, ruleset: str = "") -> int | None:
    """The latest year with a determination in the state (in ``ruleset`` when given)."""
    qs = AccountabilityDetermination.objects.filter(school__district__state=state)
    if ruleset:
        qs = qs.filter(ruleset=ruleset)
    return qs.aggregate(y=Max("year"))["y"]


def determination_years(state: State) -> list[int]:
    return list(
        AccountabilityDetermination.objects.filter(school__district__state=state)
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )


# ---------------------------------------------------------------------------------------------
# Determinations


def flagged_q() -> Q:
    """Determinations that flag a school for a designation (``designation_candidate`` in SQL)."""
    return (
        Q(ruleset="ma-2012", level__in=[3, 4, 5])
        | Q(ruleset="ma-2018", label__startswith="Broad/comprehensive")
        | Q(ruleset="ma-2018", label__startswith="Focused/targeted")
        | Q(ruleset__in=["essa-csi", "ca-csi-grad"], label__in=["CSI", "ATSI", "TSI"])
        | Q(
            ruleset="tx-a-f",
            label__in=["F", "Improvement Required"],
            years_in_status__gte=TX_TURNAROUND_YEARS,
        )
    )


def determination_list(
    user: Any, filters: DeterminationFilters, *, state: State | None = None
) -> QuerySet[AccountabilityDetermination]:
    """The determinations the user reaches, filtered; newest first, then by school name."""
    qs = visible_determinations(user).select_related("school__district__state", "run")
    if state is not None:
        qs = qs.filter(school__district__state=state)
    if filters.year is not None:
        qs = qs.filter(year=filters.year)
    if filters.ruleset:
        qs = qs.filter(ruleset=filters.ruleset)
    if filters.label:
        qs = qs.filter(label=filters.label)
    if filters.level is not None:
        qs = qs.filter(level=filters.level)
    if filters.district is not None:
        qs = qs.filter(school__district_id=filters.district)
    if filters.school is not None:
        qs = qs.filter(school_id=filters.school)
    if filters.origin:
        qs = qs.filter(is_official=filters.origin == "official")
    if filters.run is not None:
        qs = qs.filter(run_id=filters.run)
    if filters.flagged:
        qs = qs.filter(flagged_q())
    return qs.order_by("-year", "ruleset", "school__name", "-is_official", "pk")


def candidate_of(det: AccountabilityDetermination) -> Candidate | None:
    return designation_candidate(det.ruleset, det.label, det.level, det.years_in_status, det.flags)


# ---------------------------------------------------------------------------------------------
# Review of a run


@dataclass(frozen=True)
class ReviewRow:
    """A school a run's rules flag, with what the reviewer needs to confirm a designation."""

    determination: AccountabilityDetermination
    candidate: Candidate
    published_label: str | None
    open_designation: Designation | None

    @property
    def school(self) -> School:
        return self.determination.school


def run_review_rows(run: IdentificationRun) -> list[ReviewRow]:
    """Every school the run's determinations flag, lowest percentile first within a status."""
    dets = list(
        AccountabilityDetermination.objects.filter(
            school__district__state_id=run.state_id,
            year=run.year,
            ruleset=run.ruleset,
            is_official=False,
        )
        .filter(flagged_q())
        .select_related("school__district")
    )
    published = dict(
        AccountabilityDetermination.objects.filter(
            school__district__state_id=run.state_id,
            year=run.year,
            ruleset=run.ruleset,
            is_official=True,
        ).values_list("school_id", "label")
    )
    open_by_school: dict[tuple[int, str], Designation] = {}
    for d in Designation.objects.filter(
        school__district__state_id=run.state_id, phase__in=list(OPEN_PHASES)
    ):
        open_by_school[(d.school_id, d.status)] = d
    rows = []
    for det in dets:
        candidate = candidate_of(det)
        if candidate is None:
            continue
        rows.append(
            ReviewRow(
                determination=det,
                candidate=candidate,
                published_label=published.get(det.school_id),
                open_designation=open_by_school.get((det.school_id, candidate.status)),
            )
        )
    rows.sort(
        key=lambda r: (
            r.candidate.status,
            r.determination.percentile if r.determination.percentile is not None else 100,
            r.school.name,
        )
    )
    return rows


def run_changes(run: IdentificationRun, limit: int = 200) -> list[Any]:
    return list(run.changes.select_related("school").order_by("kind", "school__name")[:limit])


def run_label_counts(run: IdentificationRun) -> list[tuple[str, int]]:
    rows = (
        AccountabilityDetermination.objects.filter(
            school__district__state_id=run.state_id,
            year=run.year,
            ruleset=run.ruleset,
            is_official=False,
        )
        .order_by()
        .values_list("label")
    )
    counts: dict[str, int] = defaultdict(int)
    for (label,) in rows:
        counts[label] += 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


# ---------------------------------------------------------------------------------------------
# A school's history


@dataclass
class DesignationTimeline:
    designation: Designation
    years: YearsInStatus
    as_of: int
    reviews: list[ExitReview] = field(default_factory=list)
    steps: list[tuple[int | None, str]] = field(default_factory=list)


@dataclass
class SchoolHistory:
    school: School
    by_ruleset: list[tuple[str, list[AccountabilityDetermination]]]
    timelines: list[DesignationTimeline]
    sees_reviews: bool


def _timeline_steps(d: Designation) -> list[tuple[int | None, str]]:
    steps: list[tuple[int | None, str]] = []
    if d.escalated_from_id is not None and d.escalated_from is not None:
        steps.append((d.entered_year, f"Escalated from {d.escalated_from.get_status_display()}"))
    how = "Identified"
    if d.confirmed_by is not None:
        how += f", confirmed by {d.confirmed_by.get_username()}"
    if d.determination_id is not None and d.determination is not None:
        how += f" from the {d.determination.ruleset} {d.determination.year} determination"
    steps.append((d.entered_year, how))
    if d.phase != "identified":
        steps.append((None, "In turnaround"))
    if d.eligible_exit_year and d.is_open:
        steps.append((d.eligible_exit_year, "Eligible to exit (exit review)"))
    if d.phase == "exited":
        steps.append((d.exited_year, f"Exited: {d.exit_reason}" if d.exit_reason else "Exited"))
    elif d.phase == "escalated":
        steps.append((d.exited_year, d.exit_reason or "Escalated"))
    return steps


def school_history(user: Any, school: School, *, as_of: int | None = None) -> SchoolHistory:
    dets = list(
        AccountabilityDetermination.objects.filter(school=school)
        .select_related("run")
        .order_by("ruleset", "-year", "-is_official")
    )
    grouped: dict[str, list[AccountabilityDetermination]] = defaultdict(list)
    for det in dets:
        grouped[det.ruleset].append(det)
    designations = list(
        Designation.objects.filter(school=school)
        .select_related("confirmed_by", "determination", "escalated_from")
        .order_by("-entered_year", "-pk")
    )
    reviews_visible = sees_exit_reviews(user, school)
    reviews: dict[int, list[ExitReview]] = defaultdict(list)
    if reviews_visible:
        for r in ExitReview.objects.filter(designation__school=school).select_related("decided_by"):
            reviews[r.designation_id].append(r)
    latest = max((d.year for d in dets), default=None)
    timelines = []
    outcomes_cache: dict[str, dict[int, AccountabilityDetermination]] = {}
    for d in designations:
        ruleset = ruleset_of(d)
        if ruleset not in outcomes_cache:
            outcomes_cache[ruleset] = yearly_outcomes([school.pk], ruleset).get(school.pk, {})
        gaps = statewide_gap_years(school.district.state_id, ruleset) if ruleset else set()
        year = as_of or max(latest or d.entered_year, d.entered_year)
        years = designation_years(
            entered_year=d.entered_year,
            as_of_year=year,
            exited_year=d.exited_year,
            paused_years=paused_years_of(outcomes_cache[ruleset], gaps),
        )
        timelines.append(
            DesignationTimeline(d, years, year, reviews.get(d.pk, []), _timeline_steps(d))
        )
    return SchoolHistory(
        school=school,
        by_ruleset=sorted(grouped.items()),
        timelines=timelines,
        sees_reviews=reviews_visible,
    )
