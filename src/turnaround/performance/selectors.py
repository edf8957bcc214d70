"""Reads of results for a school, protected for audiences that see only suppressed aggregates."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from turnaround.analytics.suppression import code_extreme, suppress
from turnaround.organizations.models import School
from turnaround.performance.charts import yearly_lines_by_subject
from turnaround.performance.models import (
    ALL_GRADES,
    AssessmentResult,
    SchoolYearProfile,
    StudentGroup,
    Subject,
)

#: Groups that partition all students: one hidden member must not be recoverable by subtraction.
RACE_GROUPS = frozenset(
    {
        StudentGroup.AFRICAN_AMERICAN,
        StudentGroup.ASIAN,
        StudentGroup.HISPANIC,
        StudentGroup.WHITE,
        StudentGroup.MULTIRACE,
        StudentGroup.NATIVE_AMERICAN,
        StudentGroup.PACIFIC_ISLANDER,
    }
)
GROUP_ORDER = {g: i for i, g in enumerate(StudentGroup.values)}
SUBJECT_LABELS = dict(Subject.choices)
GROUP_LABELS = dict(StudentGroup.choices)


@dataclass(frozen=True)
class ResultRow:
    """One line of a school's results table, already protected for the audience."""

    year: int
    subject: str
    group: str
    n_tested: int | None
    pct_proficient: float | None
    pct_proficient_coded: str | None
    composite_index: float | None
    median_sgp: float | None
    sgp_n: int | None
    suppressed: bool
    suppressed_reason: str
    missing: dict[str, str]

    @property
    def subject_label(self) -> str:
        return SUBJECT_LABELS.get(self.subject, self.subject)

    @property
    def group_label(self) -> str:
        return GROUP_LABELS.get(self.group, self.group)


def _protect(rows: list[AssessmentResult], *, restricted: bool) -> list[ResultRow]:
    """Apply primary and complementary suppression per year × subject (skipped if restricted)."""
    blocks: dict[tuple[int, str], list[AssessmentResult]] = defaultdict(list)
    for r in rows:
        blocks[(r.year, r.subject)].append(r)
    out: list[ResultRow] = []
    min_n = settings.REPORTING_MIN_N
    for (year, subject), block in sorted(blocks.items()):
        block.sort(key=lambda r: GROUP_ORDER.get(r.group, 99))
        if restricted:
            hidden = [False] * len(block)
            complementary = [False] * len(block)
        else:
            result = suppress(
                [r.n_tested for r in block],
                reporting_min_n=min_n,
                partition=["race" if r.group in RACE_GROUPS else None for r in block],
            )
            hidden = result.hidden.tolist()
            complementary = result.complementary.tolist()
        for r, is_hidden, is_complement in zip(block, hidden, complementary, strict=True):
            pct = r.pct_proficient
            coded = None if restricted or is_hidden else code_extreme(pct, r.n_tested)
            reason = ""
            if is_hidden:
                reason = (
                    "hidden so that a smaller group cannot be worked out"
                    if is_complement
                    else f"fewer than {min_n} students"
                )
            out.append(
                ResultRow(
                    year=year,
                    subject=subject,
                    group=r.group,
                    n_tested=None if is_hidden else r.n_tested,
                    pct_proficient=None if is_hidden or coded else pct,
                    pct_proficient_coded=coded,
                    composite_index=None if is_hidden else r.composite_index,
                    median_sgp=None if is_hidden else r.median_sgp,
                    sgp_n=None if is_hidden else r.sgp_n,
                    suppressed=is_hidden,
                    suppressed_reason=reason,
                    missing=dict(r.missing_reasons or {}),
                )
            )
    return out


def school_results(school: School, *, restricted: bool) -> list[ResultRow]:
    """All-grades results of one school for every year, subject and group, protected."""
    rows = list(
        AssessmentResult.objects.filter(school=school, grade=ALL_GRADES).only(
            "year",
            "subject",
            "group",
            "n_tested",
            "pct_level_3",
            "pct_level_4",
            "composite_index",
            "median_sgp",
            "sgp_n",
            "missing_reasons",
        )
    )
    return _protect(rows, restricted=restricted)


def groups_present(rows: list[ResultRow]) -> list[tuple[str, str]]:
    seen = {r.group for r in rows}
    return [(g, GROUP_LABELS[g]) for g in StudentGroup.values if g in seen]


def trend_chart_spec(rows: list[ResultRow], *, group: str, school_name: str) -> dict[str, Any]:
    """A Vega-Lite spec: % proficient or above by year and subject for one group."""
    values = [
        {
            "year": str(r.year),
            "subject": r.subject_label,
            "pct_proficient": round(r.pct_proficient, 1),
        }
        for r in rows
        if r.group == group and r.pct_proficient is not None
    ]
    return yearly_lines_by_subject(
        values,
        field="pct_proficient",
        title="% proficient or above",
        domain=(0, 100),
        description=(
            "Percent proficient or above by year and subject, "
            f"{GROUP_LABELS.get(group, group)}, {school_name}"
        ),
    )


def latest_profile(school: School) -> SchoolYearProfile | None:
    return SchoolYearProfile.objects.filter(school=school).order_by("-year").first()
