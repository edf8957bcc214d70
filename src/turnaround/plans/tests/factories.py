"""Plans for tests, written with the ORM (the services are tested on their own)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from turnaround.plans.models import (
    Action,
    Benchmark,
    BenchmarkKind,
    Goal,
    GoalTarget,
    Metric,
    NeedStatement,
    Objective,
    Plan,
    PlanStatus,
    RootCause,
    Strategy,
)


def make_plan(
    *, school: Any = None, district: Any = None, status: str = PlanStatus.DRAFT, **extra: Any
) -> Plan:
    """A plan for 2027–2029 with one of everything: a need with a root cause, a goal with three
    yearly targets, an objective with a strategy and an action, and two benchmarks (one of each
    kind, the student one tied to the objective)."""
    fields: dict[str, Any] = {
        "title": "Turnaround plan 2026–2029",
        "first_year": 2027,
        "last_year": 2029,
        "exit_eligible_year": 2029,
        "status": status,
    }
    fields.update(extra)
    plan = Plan.objects.create(school=school, district=district, **fields)
    need = NeedStatement.objects.create(
        plan=plan,
        statement="Only 21% of grade 3 students meet expectations in ELA.",
        source=NeedStatement.Source.DATA,
    )
    RootCause.objects.create(
        need=need,
        cause="No common early-literacy screener; intervention groups are not regrouped.",
        evidence="Site visit 2026: TP3.2 rated developing.",
    )
    goal = Goal.objects.create(
        plan=plan,
        metric=Metric.PROFICIENCY,
        description="ELA proficiency, all students",
        subject="ELA",
        baseline_value=21.0,
        baseline_year=2026,
    )
    for i, year in enumerate(plan.years):
        GoalTarget.objects.create(goal=goal, year=year, value=26.0 + 5 * i)
    objective = Objective.objects.create(plan=plan, title="A tiered system of support in reading")
    strategy = Strategy.objects.create(objective=objective, title="Universal screening")
    Action.objects.create(
        strategy=strategy,
        title="Adopt a screener and train grade teams",
        owner="Assistant principal",
        starts_on=dt.date(2026, 8, 15),
        due_on=dt.date(2026, 10, 1),
    )
    Benchmark.objects.create(
        plan=plan,
        kind=BenchmarkKind.EDUCATOR,
        measure="Grade teams that regroup students after each screener window (%)",
        data_source="Team meeting records",
        baseline=0,
        target=100,
        due_year=2027,
        due_quarter=2,
    )
    Benchmark.objects.create(
        plan=plan,
        objective=objective,
        kind=BenchmarkKind.STUDENT,
        measure="Students in tier 2 moving up a level on the mid-year screener (%)",
        data_source="Screener",
        baseline=30,
        target=50,
        due_year=2027,
        due_quarter=3,
    )
    return plan
