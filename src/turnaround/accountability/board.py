"""The identification board: every school in a designation status in a year, with its reasons,
its years in status (paused years left out) and the trend of its percentile or score.

Built for a state of thousands of schools: the designations are one paginated query; the page's
determinations (for reasons and trends), its paused years and the state's gap years are one query
each, whatever the page size (``board_page``). ``board_rows`` does the same for a whole export.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from turnaround.accountability.access import visible_designations
from turnaround.accountability.evidence import (
    STATUS_RULESETS,
    is_paused,
    ruleset_of,
    statewide_gap_years,
    trend_value,
)
from turnaround.accountability.filters import BoardFilters
from turnaround.accountability.models import (
    OPEN_PHASES,
    AccountabilityDetermination,
    Designation,
)
from turnaround.accountability.selectors import latest_year
from turnaround.analytics.accountability.status_years import YearsInStatus, designation_years
from turnaround.organizations.models import State

PAGE_SIZE = 50
TREND_YEARS = 6


@dataclass(frozen=True)
class BoardRow:
    designation: Designation
    years: YearsInStatus
    determination: DetRow | None
    trend: tuple[tuple[int, float], ...]
    ruleset: str

    @property
    def school(self) -> Any:
        return self.designation.school

    @property
    def reasons(self) -> list[str]:
        if self.determination is None:
            return []
        return [str(r) for r in (self.determination.reasons or [])] or (
            [self.determination.reason] if self.determination.reason else []
        )

    @property
    def trend_text(self) -> str:
        return ", ".join(f"{y}: {v:g}" for y, v in self.trend)


def board_year(state: State, filters: BoardFilters) -> int | None:
    return filters.year or latest_year(state)


def board_queryset(
    user: Any, state: State, filters: BoardFilters, year: int
) -> QuerySet[Designation]:
    qs = (
        visible_designations(user)
        .filter(school__district__state=state, entered_year__lte=year)
        .filter(Q(exited_year__isnull=True) | Q(exited_year__gt=year))
        .select_related("school__district")
    )
    if filters.phase == "open":
        qs = qs.filter(phase__in=list(OPEN_PHASES))
    else:
        qs = qs.filter(phase=filters.phase)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.district is not None:
        qs = qs.filter(school__district_id=filters.district)
    if filters.ruleset:
        statuses = [s for s, r in STATUS_RULESETS.items() if r == filters.ruleset]
        qs = qs.filter(Q(ruleset=filters.ruleset) | Q(ruleset="", status__in=statuses))
    if filters.q:
        qs = qs.filter(
            Q(school__name__icontains=filters.q)
            | Q(school__code__startswith=filters.q)
            | Q(school__district__name__icontains=filters.q)
        )
    return qs.order_by("status", "school__name", "pk")


@dataclass(frozen=True)
class DetRow:
    """The fields of a determination the board shows (read without building model objects)."""

    school_id: int
    year: int
    ruleset: str
    label: str
    level: int | None
    reason: str
    reasons: list[str]
    percentile: int | None
    inputs: dict[str, Any]
    is_official: bool

    @property
    def flags(self) -> list[str]:
        found = self.inputs.get("flags", []) if isinstance(self.inputs, dict) else []
        return [str(f) for f in found]


_DET_FIELDS = [f.name for f in DetRow.__dataclass_fields__.values()]


def _rows(designations: Sequence[Designation], state: State, year: int) -> list[BoardRow]:
    """Rows for these designations: one query for their determinations, one per rule set for the
    state's gap years."""
    rulesets = {ruleset_of(d) for d in designations} - {""}
    schools = {d.school_id for d in designations}
    first = min((d.entered_year for d in designations), default=year)
    by_key: dict[tuple[int, str], dict[int, DetRow]] = defaultdict(dict)
    if schools and rulesets:
        rows = (
            AccountabilityDetermination.objects.filter(
                school_id__in=schools,
                ruleset__in=rulesets,
                year__lte=year,
                year__gte=min(first, year - TREND_YEARS + 1),
            )
            .order_by("school_id", "year", "is_official")
            .values_list(*_DET_FIELDS)
        )
        for values in rows:
            det = DetRow(*values)
            by_key[(det.school_id, det.ruleset)][det.year] = det  # published wins
    gaps = _gaps(state, rulesets)
    out = []
    for d in designations:
        ruleset = ruleset_of(d)
        yearly = by_key.get((d.school_id, ruleset), {})
        paused = {y for y, det in yearly.items() if is_paused(det.label, det.flags)}
        years = designation_years(
            entered_year=d.entered_year,
            as_of_year=year,
            exited_year=d.exited_year,
            paused_years=paused | gaps.get(ruleset, set()),
        )
        current = yearly.get(year) or (yearly[max(yearly)] if yearly else None)
        trend = tuple(
            (y, value)
            for y in sorted(yearly)[-TREND_YEARS:]
            if (value := trend_value(yearly[y])) is not None
        )
        out.append(BoardRow(d, years, current, trend, ruleset))
    return out


def _gaps(state: State, rulesets: Iterable[str]) -> dict[str, set[int]]:
    return {r: statewide_gap_years(state.pk, r) for r in sorted(rulesets)}


def board_page(
    user: Any, state: State, filters: BoardFilters, page_number: Any
) -> tuple[int | None, Page[Designation] | None, list[BoardRow]]:
    """The board's year, page and rows (no page when the state has no determination yet)."""
    year = board_year(state, filters)
    if year is None:
        return None, None, []
    page = Paginator(board_queryset(user, state, filters, year), PAGE_SIZE).get_page(page_number)
    return year, page, _rows(list(page.object_list), state, year)


def board_rows(user: Any, state: State, filters: BoardFilters) -> tuple[int | None, list[BoardRow]]:
    """Every row of the board (exports), built in chunks."""
    year = board_year(state, filters)
    if year is None:
        return None, []
    designations = list(board_queryset(user, state, filters, year))
    rows: list[BoardRow] = []
    for start in range(0, len(designations), 500):
        rows.extend(_rows(designations[start : start + 500], state, year))
    return year, rows


def status_counts(user: Any, state: State, year: int) -> list[tuple[str, str, int]]:
    """(status, label, count) of the open designations in force in ``year``."""
    qs = board_queryset(user, state, BoardFilters(year=year), year)
    counts: dict[str, int] = defaultdict(int)
    labels: dict[str, str] = {}
    for status in qs.values_list("status", flat=True):
        counts[status] += 1
    for value, label in Designation._meta.get_field("status").choices:  # type: ignore[union-attr]
        labels[str(value)] = str(label)
    return [(s, labels.get(s, s), n) for s, n in sorted(counts.items())]
