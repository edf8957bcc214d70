"""Computed median SGPs as inputs to the accountability rules (PPI growth points, exit goal).

The rules in ``turnaround.analytics.accountability`` are pure; this module reads the stored
``GrowthAggregate`` rows (all grades, per school, subject, group and year) and hands them over in
the shapes the rules take:

- ``ma12_growth_frame`` — columns ``median_sgp_{all|high_needs}_{ela|math}`` and ``n_sgp_…`` per
  school code and year, to merge into an ``ma12`` frame: ``ma12_determinations`` turns them into
  growth-indicator points (``sgp_points_cuts``, ``min_n_sgp``).
- ``growth_exit_goal_for_school`` — the Level 4 exit growth goal for one school and year.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from turnaround.analytics.accountability.growth import GrowthGoal, growth_exit_goal
from turnaround.growth.models import GrowthAggregate
from turnaround.organizations.models import School, State
from turnaround.performance.models import ALL_GRADES, StudentGroup, Subject

_GROUPS = (StudentGroup.ALL, StudentGroup.HIGH_NEEDS)
_SUBJECTS = {Subject.ELA: "ela", Subject.MATH: "math"}


def ma12_growth_frame(state: State, years: Iterable[int]) -> pd.DataFrame:
    """One row per school code and year with the computed medians and their n."""
    rows = GrowthAggregate.objects.filter(
        school__district__state=state,
        year__in=list(years),
        grade=ALL_GRADES,
        group__in=_GROUPS,
        subject__in=list(_SUBJECTS),
    ).values_list("school__code", "year", "subject", "group", "median_sgp", "n")
    wide: dict[tuple[str, int], dict[str, object]] = {}
    for code, year, subject, group, median, n in rows:
        record = wide.setdefault((code, year), {"school_id": code, "year": year})
        suffix = f"{group}_{_SUBJECTS[subject]}"
        record[f"median_sgp_{suffix}"] = median
        record[f"n_sgp_{suffix}"] = n
    columns = ["school_id", "year"] + [
        f"{kind}_sgp_{group}_{subject}"
        for group in _GROUPS
        for subject in _SUBJECTS.values()
        for kind in ("median", "n")
    ]
    frame = pd.DataFrame(list(wide.values()), columns=columns)
    return frame.sort_values(["school_id", "year"], ignore_index=True)


def growth_exit_goal_for_school(
    school: School, year: int, *, low: float = 40.0, min_n: int = 20
) -> GrowthGoal:
    """The Level 4 exit goal on growth (median SGP ≥ 40 in ELA and math, all and high needs)."""
    medians = {
        (subject, group): (median, n)
        for subject, group, median, n in GrowthAggregate.objects.filter(
            school=school, year=year, grade=ALL_GRADES, group__in=_GROUPS
        ).values_list("subject", "group", "median_sgp", "n")
    }
    return growth_exit_goal(
        medians,
        subjects=[str(s) for s in _SUBJECTS],
        groups=[str(g) for g in _GROUPS],
        low=low,
        min_n=min_n,
    )
