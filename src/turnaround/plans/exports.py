"""Tables of plan goals, benchmarks and actions, for CSV/XLSX downloads and bulk exports.

Each table has the same organisation columns first (state, district and school codes and names,
the plan's id, title, period and status), so one file can hold every plan of a state; then one
row per goal, benchmark or action. Codes stay text (leading zeros kept); numbers, dates and money
are real numbers and dates in XLSX. Goal targets get one column per school year present in the
exported plans (blank where a plan does not cover that year).

The web page, the API and ``turnaround plans export`` all call ``table_for`` and write it with
``turnaround.core.exports``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse, StreamingHttpResponse

from turnaround.core.exports import table_csv, table_xlsx
from turnaround.plans.diff import school_year
from turnaround.plans.models import Action, Goal, Plan, Strategy

TABLES = ("goals", "benchmarks", "actions")
FORMATS = ("csv", "xlsx")

ORG_HEADER = [
    "State",
    "District code",
    "District",
    "School code",
    "School",
    "Plan id",
    "Plan",
    "First school year",
    "Last school year",
    "Eligible to exit in",
    "Status",
]


@dataclass(frozen=True)
class Table:
    name: str
    header: list[str]
    rows: list[list[Any]]


def _org_columns(plan: Plan) -> list[Any]:
    school = plan.school
    district = school.district if school is not None else plan.district
    return [
        district.state.code,  # type: ignore[union-attr]
        district.code,  # type: ignore[union-attr]
        district.name,  # type: ignore[union-attr]
        school.code if school is not None else "",
        school.name if school is not None else "",
        plan.pk,
        plan.title,
        school_year(plan.first_year),
        school_year(plan.last_year),
        school_year(plan.exit_eligible_year),
        plan.get_status_display(),
    ]


def export_plans(plans: Iterable[Plan] | QuerySet[Plan]) -> list[Plan]:
    """The plans with everything the tables read, fetched in a few queries (a list keeps its
    order; a queryset its own)."""
    order = None if isinstance(plans, QuerySet) else [p.pk for p in plans]
    qs = plans if order is None else Plan.objects.filter(pk__in=order)
    fetched = list(
        qs.select_related("school__district__state", "district__state").prefetch_related(
            Prefetch("goals", queryset=Goal.objects.prefetch_related("targets")),
            "benchmarks__objective",
            Prefetch(
                "objectives__strategies",
                queryset=Strategy.objects.prefetch_related(
                    Prefetch("actions", queryset=Action.objects.order_by("order", "pk"))
                ),
            ),
        )
    )
    if order is None:
        return fetched
    position = {pk: i for i, pk in enumerate(order)}
    return sorted(fetched, key=lambda p: position[p.pk])


def _goals(plans: Sequence[Plan]) -> Table:
    years = sorted({t.year for p in plans for g in p.goals.all() for t in g.targets.all()})
    header = [
        *ORG_HEADER,
        "Goal",
        "Metric",
        "Student group",
        "Subject",
        "Statutory goal area",
        "Baseline",
        "Baseline school year",
        "Data source",
        *[f"Target {school_year(y)}" for y in years],
    ]
    from turnaround.performance.models import StudentGroup

    groups = dict(StudentGroup.choices)
    rows = []
    for plan in plans:
        org = _org_columns(plan)
        for goal in plan.goals.all():
            targets = {t.year: t.value for t in goal.targets.all()}
            rows.append(
                [
                    *org,
                    goal.description,
                    goal.get_metric_display(),
                    groups.get(goal.student_group, goal.student_group),
                    goal.subject,
                    goal.statutory_area,
                    goal.baseline_value,
                    school_year(goal.baseline_year),
                    goal.data_source,
                    *[targets.get(y) for y in years],
                ]
            )
    return Table("goals", header, rows)


def _benchmarks(plans: Sequence[Plan]) -> Table:
    header = [
        *ORG_HEADER,
        "Kind",
        "Measure",
        "Data source",
        "Unit",
        "Baseline",
        "Target",
        "Due school year",
        "Due quarter",
        "Frequency",
        "Objective",
        "Active",
    ]
    rows = []
    for plan in plans:
        org = _org_columns(plan)
        for b in plan.benchmarks.all():
            rows.append(
                [
                    *org,
                    b.get_kind_display(),
                    b.measure,
                    b.data_source,
                    b.unit,
                    b.baseline,
                    b.target,
                    school_year(b.due_year),
                    f"Q{b.due_quarter}",
                    b.frequency,
                    b.objective.title if b.objective is not None else "",
                    "yes" if b.is_active else "no",
                ]
            )
    return Table("benchmarks", header, rows)


def _actions(plans: Sequence[Plan]) -> Table:
    header = [
        *ORG_HEADER,
        "Objective",
        "Strategy",
        "Action",
        "Owner",
        "Starts",
        "Due",
        "Status",
        "Cost",
        "Funding source",
        "Completed",
    ]
    rows = []
    for plan in plans:
        org = _org_columns(plan)
        for objective in plan.objectives.all():
            for strategy in objective.strategies.all():
                for action in strategy.actions.all():
                    rows.append(
                        [
                            *org,
                            objective.title,
                            strategy.title,
                            action.title,
                            action.owner,
                            action.starts_on,
                            action.due_on,
                            action.get_status_display(),
                            action.cost,
                            action.get_funding_source_display() if action.funding_source else "",
                            action.completed_on,
                        ]
                    )
    return Table("actions", header, rows)


_BUILDERS = {"goals": _goals, "benchmarks": _benchmarks, "actions": _actions}


def table_for(plans: Iterable[Plan] | QuerySet[Plan], table: str) -> Table:
    """The ``goals``, ``benchmarks`` or ``actions`` table of ``plans``."""
    if table not in _BUILDERS:
        raise ValueError(f"Unknown table {table!r}; choose one of {', '.join(TABLES)}.")
    return _BUILDERS[table](export_plans(plans))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "plan"


def plan_file_stem(plan: Plan) -> str:
    """``00350001-2026-2029``: the school (or district) code and the plan's school years."""
    org = plan.school if plan.school_id is not None else plan.district
    code = _slug(getattr(org, "code", "") or "plan")
    return f"{code}-{plan.first_year - 1}-{plan.last_year}"


def table_response(table: Table, fmt: str, filename: str) -> HttpResponse | StreamingHttpResponse:
    """The table as a CSV or XLSX download."""
    if fmt == "csv":
        return table_csv(table.header, iter(table.rows), f"{filename}.csv")
    return table_xlsx(
        table.header, iter(table.rows), f"{filename}.xlsx", sheet=table.name.capitalize()
    )


def table_bytes(table: Table, fmt: str) -> bytes:
    """The file's bytes (for writing to disk): the same content as the download."""
    response = table_response(table, fmt, table.name)
    if isinstance(response, StreamingHttpResponse):
        return b"".join(_chunks(response.streaming_content))
    return bytes(response.content)


def _chunks(content: Iterable[Any]) -> Iterator[bytes]:
    for chunk in content:
        yield chunk if isinstance(chunk, bytes) else str(chunk).encode()


def plan_table_response(plan: Plan, table: str, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """One plan's table as a download named after the school code, years and table."""
    return table_response(table_for([plan], table), fmt, f"{plan_file_stem(plan)}-{table}")
