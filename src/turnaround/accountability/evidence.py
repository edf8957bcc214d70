"""Reads behind designations: the rule set a status belongs to, paused years, yearly outcomes,
trend values and the evidence an exit review judges.

A year is *paused* for a school when its determination says it was not rated (Texas Not Rated,
Data Integrity Issues) or held harmless, or when the state has no determination at all in that
rule set for the year while it has some before and after (2020 and 2021). Paused years neither
count towards years in status nor break a run of years (``analytics.accountability``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from turnaround.accountability.models import AccountabilityDetermination, Designation
from turnaround.analytics.accountability.exit_criteria import (
    ExitEvidence,
    GoalOutcome,
    YearOutcome,
)
from turnaround.growth.models import GrowthAggregate
from turnaround.organizations.models import School
from turnaround.performance.models import ALL_GRADES, AssessmentResult, SchoolYearProfile

#: The rule set that identifies each status, where a designation does not name one.
STATUS_RULESETS = {
    "underperforming": "ma-2012",
    "chronic": "ma-2012",
    "csi": "essa-csi",
    "csi_rigorous": "essa-csi",
    "tsi": "essa-csi",
    "atsi": "essa-csi",
    "focused": "ma-2018",
    "tx_turnaround": "tx-a-f",
}
PAUSED_LABELS = ("Not Rated", "Data Integrity Issues")


def ruleset_of(designation: Designation) -> str:
    return designation.ruleset or STATUS_RULESETS.get(designation.status, "")


def is_paused(label: str, flags: Iterable[str]) -> bool:
    return label.startswith(PAUSED_LABELS) or "held_harmless" in set(flags)


def _flags(inputs: Any) -> list[str]:
    if isinstance(inputs, dict):
        found = inputs.get("flags")
        if isinstance(found, list):
            return [str(f) for f in found]
    return []


def statewide_gap_years(state_id: int, ruleset: str) -> set[int]:
    """Years with no determination at all in the state between its first and last such year."""
    years = set(
        AccountabilityDetermination.objects.filter(
            school__district__state_id=state_id, ruleset=ruleset
        )
        .order_by()
        .values_list("year", flat=True)
        .distinct()
    )
    if not years:
        return set()
    return set(range(min(years), max(years) + 1)) - years


def yearly_outcomes(
    school_ids: Iterable[int], ruleset: str, *, through_year: int | None = None
) -> dict[int, dict[int, AccountabilityDetermination]]:
    """School → year → its determination in the rule set (the published one when both exist)."""
    qs = AccountabilityDetermination.objects.filter(
        school_id__in=list(school_ids), ruleset=ruleset
    ).only(
        "school_id",
        "year",
        "label",
        "level",
        "reason",
        "reasons",
        "percentile",
        "is_official",
        "inputs",
        "years_in_status",
    )
    if through_year is not None:
        qs = qs.filter(year__lte=through_year)
    out: dict[int, dict[int, AccountabilityDetermination]] = defaultdict(dict)
    for det in qs.order_by("school_id", "year", "is_official"):
        out[det.school_id][det.year] = det  # the published one comes last and wins
    return out


def paused_years_of(outcomes: dict[int, AccountabilityDetermination], gaps: set[int]) -> set[int]:
    paused = {y for y, det in outcomes.items() if is_paused(det.label, _flags(det.inputs))}
    return paused | gaps


def trend_value(det: Any) -> float | None:
    """The number a trend shows for a determination: its percentile, else its score or index."""
    if det.percentile is not None:
        return float(det.percentile)
    inputs = det.inputs if isinstance(det.inputs, dict) else {}
    values = inputs.get("values") if isinstance(inputs.get("values"), dict) else inputs
    for key in ("score", "index", "cumulative_pct", "pooled_rate"):
        value = values.get(key) if isinstance(values, dict) else None
        if isinstance(value, int | float):
            return float(value)
    return None


def trend_label(ruleset: str) -> str:
    return {
        "ma-2012": "School percentile",
        "ma-2018": "Accountability percentile",
        "tx-a-f": "Overall scaled score",
        "essa-csi": "Summative index",
        "ca-csi-grad": "Pooled graduation rate",
    }.get(ruleset, "Percentile or score")


# ---------------------------------------------------------------------------------------------
# Exit evidence


def _medians(school: School, year: int) -> dict[tuple[int, str, str], tuple[float | None, int]]:
    """Median SGP per subject and group: computed where the growth app has it, else published."""
    out: dict[tuple[int, str, str], tuple[float | None, int]] = {}
    for subject, group, median, n in AssessmentResult.objects.filter(
        school=school, year=year, grade=ALL_GRADES
    ).values_list("subject", "group", "median_sgp", "sgp_n"):
        if median is not None or n is not None:
            out[(year, subject, group)] = (median, int(n or 0))
    for subject, group, median, n in GrowthAggregate.objects.filter(
        school=school, year=year, grade=ALL_GRADES
    ).values_list("subject", "group", "median_sgp", "n"):
        out[(year, subject, group)] = (median, int(n))
    return out


def _plan_goals(designation: Designation, year: int) -> tuple[GoalOutcome, ...]:
    """The goals with a target for ``year`` of the plan of this designation (or the school's
    latest plan), each with the value the stored data gives."""
    from turnaround.plans.models import LOWER_IS_BETTER, GoalTarget, Metric, Plan

    plan = (
        Plan.objects.filter(designation=designation).order_by("-first_year", "-pk").first()
        or Plan.objects.filter(school=designation.school, first_year__lte=year)
        .order_by("-first_year", "-pk")
        .first()
    )
    if plan is None:
        return ()
    targets = GoalTarget.objects.filter(goal__plan=plan, year=year).select_related("goal")
    results = {
        (r.subject, r.group): r
        for r in AssessmentResult.objects.filter(
            school=designation.school, year=year, grade=ALL_GRADES
        )
    }
    growth = {
        (g.subject, g.group): g.median_sgp
        for g in GrowthAggregate.objects.filter(
            school=designation.school, year=year, grade=ALL_GRADES
        )
    }
    profile = SchoolYearProfile.objects.filter(school=designation.school, year=year).first()
    out = []
    for target in targets:
        goal = target.goal
        result = results.get((goal.subject, goal.student_group))
        actual: float | None = None
        if goal.metric == Metric.PROFICIENCY and result is not None:
            actual = result.pct_proficient
        elif goal.metric == Metric.COMPOSITE_INDEX and result is not None:
            actual = result.composite_index
        elif goal.metric == Metric.SCALE_SCORE and result is not None:
            actual = result.mean_scale_score
        elif goal.metric == Metric.GROWTH:
            actual = growth.get((goal.subject, goal.student_group))
            if actual is None and result is not None:
                actual = result.median_sgp
        elif profile is not None and goal.student_group == "all":
            actual = {
                Metric.ATTENDANCE: profile.attendance_rate,
                Metric.CHRONIC_ABSENCE: profile.chronic_absence_rate,
                Metric.GRADUATION: profile.graduation_rate_4yr,
                Metric.DROPOUT: profile.dropout_rate,
            }.get(goal.metric)
        out.append(
            GoalOutcome(
                description=goal.description,
                year=year,
                target=target.value,
                actual=actual,
                lower_is_better=goal.metric in LOWER_IS_BETTER,
            )
        )
    return tuple(out)


def exit_evidence(designation: Designation, review_year: int) -> ExitEvidence:
    """Everything an exit review judges for ``designation`` in ``review_year``, as stored."""
    school = designation.school
    ruleset = ruleset_of(designation)
    dets = yearly_outcomes([school.pk], ruleset, through_year=review_year).get(school.pk, {})
    gaps = statewide_gap_years(school.district.state_id, ruleset) if ruleset else set()
    outcomes = {
        year: YearOutcome(
            label=det.label,
            level=det.level,
            percentile=None if det.percentile is None else float(det.percentile),
            paused=is_paused(det.label, _flags(det.inputs)),
        )
        for year, det in dets.items()
    }
    graduation = dict(
        SchoolYearProfile.objects.filter(school=school, year__lte=review_year).values_list(
            "year", "graduation_rate_4yr"
        )
    )
    return ExitEvidence(
        review_year=review_year,
        outcomes=outcomes,
        median_sgp=_medians(school, review_year),
        graduation=graduation,
        goals=_plan_goals(designation, review_year),
        paused_years=frozenset(gaps),
    )
