"""Which school gets which story in the demo state: designations, the exit cohort,
trajectories and the subset of schools to load. No database here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from turnaround.accountability.models import DesignationStatus
from turnaround.analytics import synthetic as syn
from turnaround.demo.ma_profiles import SchoolProfile
from turnaround.organizations.grades import GRADE_CODES, grade_range, school_type_for

EXIT_COHORT_SIZE = 30
EXIT_MAX_PERCENTILE = 45


@dataclass(eq=False)
class _Plan:
    """One school's place in the demo: its real row and the story chosen for it."""

    profile: SchoolProfile
    key: int
    grade_low: str
    grade_high: str
    school_type: str
    tested: tuple[str, ...]
    designation: tuple[str, int, int | None] | None = None  # status, entered, exited
    trajectory: str = "steady"
    turn_year: int | None = None
    depth: float | None = None
    series: dict[str, syn.ResultSeries] = field(default_factory=dict)
    real_2017: bool = False

    @property
    def code(self) -> str:
        return self.profile.school_code

    @property
    def level(self) -> int | None:
        return self.profile.level

    @property
    def exited(self) -> bool:
        return self.designation is not None and self.designation[2] is not None


def _tested_grades(low: str, high: str) -> tuple[str, ...]:
    if not low:
        return ()
    span = GRADE_CODES[GRADE_CODES.index(low) : GRADE_CODES.index(high) + 1]
    return tuple(g for g in syn.TESTED_GRADES if g in span)


def _plans(profiles: Sequence[SchoolProfile], seed: int) -> tuple[list[_Plan], list[str]]:
    plans, skipped = [], []
    for p in profiles:
        # a school with no grade span in the file (ungraded special education) is loaded as
        # ungraded, with no tested grades
        low, high = grade_range(list(p.grades)) if p.grades else ("", "")
        plans.append(
            _Plan(
                profile=p,
                key=int(p.school_code),
                grade_low=low,
                grade_high=high,
                school_type=school_type_for(low, high),
                tested=_tested_grades(low, high),
            )
        )
    rng = np.random.default_rng([seed, 1])
    for plan in plans:  # the real Level 4 and 5 schools, still designated in 2017
        if plan.level in (4, 5):
            status = (
                DesignationStatus.CHRONICALLY_UNDERPERFORMING
                if plan.level == 5
                else DesignationStatus.UNDERPERFORMING
            )
            plan.designation = (status.value, int(rng.integers(2011, 2015)), None)
    for plan in _exit_cohort(plans, seed):
        entered = int(rng.integers(2011, 2013))
        exited = int(rng.integers(max(2014, entered + 3), 2017))
        plan.designation = (DesignationStatus.UNDERPERFORMING.value, entered, exited)
        plan.turn_year = entered
        plan.depth = float(rng.uniform(1.6, 2.2))  # low enough to be designated
    for plan in plans:
        plan.trajectory = syn.trajectory_choose(
            level=plan.level, exited=plan.exited, seed=seed, key=plan.key
        )
    return plans, skipped


def _exit_cohort(plans: Sequence[_Plan], seed: int) -> list[_Plan]:
    """About 30 real 2017 Level 1–2 schools, many high-needs students, modest percentile.

    Schools that exited underperformance are plausible among schools that now meet or nearly
    meet their targets but still rank in the lower half; their published 2017 results are the
    end point of the improvement the synthetic history shows.
    """
    candidates = [
        p
        for p in plans
        if p.level in (1, 2)
        and p.profile.mcas
        and p.profile.shares["high_needs"] is not None
        and (p.profile.accountability_percentile or 0) <= EXIT_MAX_PERCENTILE
    ]
    candidates.sort(key=lambda p: (-(p.profile.shares["high_needs"] or 0.0), p.code))
    pool = sorted(candidates[: 3 * EXIT_COHORT_SIZE], key=lambda p: p.code)
    rng = np.random.default_rng([seed, 2])
    picked = rng.choice(len(pool), size=min(EXIT_COHORT_SIZE, len(pool)), replace=False)
    return [pool[i] for i in sorted(picked)]


def _most_designated_district(codes_levels: Iterable[tuple[str, int | None]]) -> str | None:
    counts = Counter(code for code, level in codes_levels if level in (4, 5))
    if not counts:
        return None
    return min(counts, key=lambda code: (-counts[code], code))


def _select(
    plans: list[_Plan], schools: int | None, seed: int, include: Sequence[str]
) -> list[_Plan]:
    """A deterministic subset with designated, exited and Level 1–3 schools (all if None)."""
    if schools is None or schools >= len(plans):
        return plans
    by_code = sorted(plans, key=lambda p: p.code)
    rng = np.random.default_rng([seed, 3])
    chosen: dict[str, _Plan] = {}
    known = {p.code: p for p in by_code}
    for code in include:
        if code not in known:
            raise ValueError(f"include_schools: no school {code!r} in the profiles file")
        chosen[code] = known[code]

    def take(pool: list[_Plan], count: int) -> None:
        pool = [p for p in pool if p.code not in chosen]
        for i in sorted(rng.permutation(len(pool))[: max(0, count)]):
            chosen[pool[i].code] = pool[i]

    quota = max(1, schools // 8)
    designated = [p for p in by_code if p.level in (4, 5)]
    home = _most_designated_district((p.profile.district_code, p.level) for p in designated)
    home_designated = [p for p in designated if p.profile.district_code == home][:3]
    for p in home_designated[:quota]:
        chosen[p.code] = p
    take(designated, quota - min(quota, len(home_designated)))
    take([p for p in by_code if p.exited], quota)
    take([p for p in by_code if p.level == 3], quota)
    take([p for p in by_code if p.level is None], quota // 2)
    take([p for p in by_code if p.level in (1, 2) and not p.exited], schools - len(chosen))
    return sorted(chosen.values(), key=lambda p: p.code)
