"""Reads of growth data, each through the access helpers of ``turnaround.accounts.access``.

- Runs are per state: a user sees and starts the runs of the states where they hold a state
  administrator or state staff role (``Reach.restricted_state_ids``).
- Aggregates follow the school's access: roles that see restricted aggregates read them as
  stored; everyone else reads them through small-cell suppression (the same rules as the
  school's results), and a median below the growth minimum n reads "insufficient data" for all.
- Student-level SGPs are read only by roles that see the school's restricted data; the caller
  records each read with ``services.student_data_access_record``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404

from turnaround.accounts.access import get_reach, visible_schools
from turnaround.analytics.suppression import suppress
from turnaround.growth.models import GROWTH_SUBJECTS, GrowthAggregate, GrowthRun, StudentGrowth
from turnaround.organizations.models import School, State
from turnaround.performance.charts import yearly_lines_by_subject
from turnaround.performance.models import ALL_GRADES, StudentAssessment, StudentGroup, Subject
from turnaround.performance.selectors import GROUP_LABELS, GROUP_ORDER, RACE_GROUPS

SUBJECT_LABELS = dict(Subject.choices)

# ---------------------------------------------------------------------------------------------
# Runs


def growth_states_for_user(user: Any) -> QuerySet[State]:
    """States whose growth runs the user may see and start (state administrators and staff)."""
    return State.objects.filter(pk__in=get_reach(user).restricted_state_ids).order_by("name")


def growth_runs_for_user(user: Any) -> QuerySet[GrowthRun]:
    return (
        GrowthRun.objects.filter(state_id__in=get_reach(user).restricted_state_ids)
        .select_related("state", "requested_by")
        .order_by("-created_at", "-pk")
    )


def get_growth_run_for_user(user: Any, run_id: int) -> GrowthRun:
    run = growth_runs_for_user(user).filter(pk=run_id).first()
    if run is None:
        raise Http404("No such growth run.")
    return run


def growth_years(state: State) -> list[int]:
    """Years with student records in the state, newest first (those that can be scored)."""
    years = (
        StudentAssessment.objects.filter(
            school__district__state=state, subject__in=list(GROWTH_SUBJECTS)
        )
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )
    return list(years)


# ---------------------------------------------------------------------------------------------
# Aggregates


@dataclass(frozen=True)
class GrowthRow:
    """One aggregate, already protected for the audience."""

    school_id: int
    year: int
    subject: str
    grade: str
    group: str
    n: int | None
    median_sgp: float | None
    mean_sgp: float | None
    insufficient: bool
    suppressed: bool
    suppressed_reason: str
    min_n: int

    @property
    def subject_label(self) -> str:
        return SUBJECT_LABELS.get(self.subject, self.subject)

    @property
    def group_label(self) -> str:
        return GROUP_LABELS.get(self.group, self.group)

    @property
    def status(self) -> str:
        """``reported``, ``insufficient_data`` or ``suppressed``."""
        if self.suppressed:
            return "suppressed"
        if self.insufficient:
            return "insufficient_data"
        return "reported"


def protect_growth(rows: Iterable[GrowthAggregate], *, restricted: bool) -> list[GrowthRow]:
    """Primary and complementary suppression per school × year × subject × grade block.

    ``rows`` must hold every group of each block they touch, or a hidden group could be worked
    out from the others.
    """
    blocks: dict[tuple[int, int, str, str], list[GrowthAggregate]] = defaultdict(list)
    for r in rows:
        blocks[(r.school_id, r.year, r.subject, r.grade)].append(r)
    min_n = settings.REPORTING_MIN_N
    out: list[GrowthRow] = []
    for (school_id, year, subject, grade), block in sorted(blocks.items()):
        block.sort(key=lambda r: GROUP_ORDER.get(r.group, 99))
        if restricted:
            hidden = complementary = [False] * len(block)
        else:
            result = suppress(
                [r.n for r in block],
                reporting_min_n=min_n,
                partition=["race" if r.group in RACE_GROUPS else None for r in block],
            )
            hidden, complementary = result.hidden.tolist(), result.complementary.tolist()
        for r, is_hidden, is_complement in zip(block, hidden, complementary, strict=True):
            reason = ""
            if is_hidden:
                reason = (
                    "hidden so that a smaller group cannot be worked out"
                    if is_complement
                    else f"fewer than {min_n} students"
                )
            out.append(
                GrowthRow(
                    school_id=school_id,
                    year=year,
                    subject=subject,
                    grade=grade,
                    group=r.group,
                    n=None if is_hidden else r.n,
                    median_sgp=None if is_hidden else r.median_sgp,
                    mean_sgp=None if is_hidden else r.mean_sgp,
                    insufficient=not r.reported,
                    suppressed=is_hidden,
                    suppressed_reason=reason,
                    min_n=r.min_n,
                )
            )
    return out


def school_growth(school: School, *, restricted: bool, grade: str = ALL_GRADES) -> list[GrowthRow]:
    """A school's growth aggregates for every year, subject and group, protected."""
    rows = GrowthAggregate.objects.filter(school=school, grade=grade)
    return protect_growth(rows, restricted=restricted)


def growth_aggregates_page(
    user: Any,
    *,
    school_id: int | None = None,
    year: int | None = None,
    subject: str | None = None,
    grade: str | None = None,
    group: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[int, list[GrowthRow], bool]:
    """Aggregates of the schools the user reaches, filtered, protected per audience, paged.

    Returns the number of matching rows, the page, and whether any of its rows was protected.

    Suppression needs whole blocks: the page's rows are found first, then every group of their
    blocks is read to decide what is hidden.
    """
    reach = get_reach(user)
    qs = GrowthAggregate.objects.filter(school__in=visible_schools(user))
    if school_id is not None:
        qs = qs.filter(school_id=school_id)
    if year is not None:
        qs = qs.filter(year=year)
    if subject:
        qs = qs.filter(subject=subject)
    if grade:
        qs = qs.filter(grade=grade)
    if group:
        qs = qs.filter(group=group)
    qs = qs.order_by("school_id", "-year", "subject", "grade", "group", "pk")
    count = qs.count()
    page = list(qs[offset : offset + limit])
    if not page:
        return count, [], False
    block_q = Q(pk__in=[])
    for school, yr, subj, gr in {(r.school_id, r.year, r.subject, r.grade) for r in page}:
        block_q |= Q(school_id=school, year=yr, subject=subj, grade=gr)
    by_school: dict[int, list[GrowthAggregate]] = defaultdict(list)
    for row in GrowthAggregate.objects.filter(block_q).select_related("school__district"):
        by_school[row.school_id].append(row)
    protected: dict[tuple[int, int, str, str, str], GrowthRow] = {}
    any_protected = False
    for rows in by_school.values():
        restricted = reach.sees_restricted(rows[0].school)
        any_protected = any_protected or not restricted
        for r in protect_growth(rows, restricted=restricted):
            protected[(r.school_id, r.year, r.subject, r.grade, r.group)] = r
    items = [protected[(r.school_id, r.year, r.subject, r.grade, r.group)] for r in page]
    return count, items, any_protected


def growth_medians(
    school_ids: Iterable[int], *, year: int, subject: str, group: str = StudentGroup.ALL
) -> dict[int, tuple[float | None, int]]:
    """School id → (median SGP or None when insufficient, n), all grades: for the rules engine."""
    rows = GrowthAggregate.objects.filter(
        school_id__in=list(school_ids), year=year, subject=subject, grade=ALL_GRADES, group=group
    ).values_list("school_id", "median_sgp", "n")
    return {school: (median, n) for school, median, n in rows}


def growth_trend_chart_spec(
    rows: list[GrowthRow], *, group: str, school_name: str
) -> dict[str, Any]:
    """A Vega-Lite spec: median SGP by year and subject for one group (reported values only)."""
    values = [
        {"year": str(r.year), "subject": r.subject_label, "median_sgp": r.median_sgp}
        for r in rows
        if r.group == group and r.median_sgp is not None
    ]
    return yearly_lines_by_subject(
        values,
        field="median_sgp",
        title="Median SGP",
        domain=(1, 99),
        description=(
            "Median student growth percentile by year and subject, "
            f"{GROUP_LABELS.get(group, group)}, {school_name}"
        ),
        height=220,
        reference=50,
    )


def growth_panel_context(school: School, *, group: str, restricted: bool) -> dict[str, Any]:
    """What the school profile's growth panel shows for one group."""
    rows = school_growth(school, restricted=restricted)
    group_rows = [r for r in rows if r.group == group]
    return {
        "growth_rows": group_rows,
        "growth_chart_spec": growth_trend_chart_spec(rows, group=group, school_name=school.name),
        "growth_min_n": settings.GROWTH_MIN_N,
        "growth_any": bool(rows),
    }


# ---------------------------------------------------------------------------------------------
# Student-level rows (restricted)


def student_growth_years(school: School) -> list[int]:
    return list(
        StudentGrowth.objects.filter(school=school)
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )


def student_growth_for_school(
    school: School, *, year: int, subject: str | None = None, grade: str | None = None
) -> QuerySet[StudentGrowth]:
    """The school's students' SGPs in a year. Callers must have checked ``sees_restricted``."""
    qs = StudentGrowth.objects.filter(school=school, year=year)
    if subject:
        qs = qs.filter(subject=subject)
    if grade:
        qs = qs.filter(grade=grade)
    return qs.order_by("subject", "grade", "student_key")
