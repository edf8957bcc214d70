"""A plan's whole content as JSON-ready data: what a ``PlanVersion`` stores.

``plan_snapshot(plan)`` reads the plan and every item under it and returns plain dicts, lists,
strings, numbers and ``None`` — nothing that needs Django to read back. Keys are stable so that
``plans.diff.snapshot_diff`` can compare any two versions, however far apart:

- every item carries ``key`` = ``"<kind>:<primary key>"`` (``"goal:12"``, ``"action:40"``), which
  survives edits, renames and reordering;
- items are listed in document order (the plan's own ordering);
- dates are ISO strings, money a decimal string (``"1200.00"``), goal targets a mapping from the
  spring year as a string to the value (JSON object keys are strings, so a stored snapshot reads
  back equal to a fresh one);
- indicators are kept by code, priorities by id, the action owner's account by user id.

``SNAPSHOT_SCHEMA`` is written into the snapshot; bump it when the shape changes, and teach
``diff.py`` to read the old shape.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch

from turnaround.plans.models import (
    Action,
    Goal,
    NeedStatement,
    Objective,
    Plan,
    RootCause,
    Strategy,
)

SNAPSHOT_SCHEMA = 1


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _money(value: Decimal | None) -> str | None:
    return f"{value:.2f}" if value is not None else None


def _org(obj: Any) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {"id": obj.pk, "code": obj.code, "name": obj.name}


def _plan_fields(plan: Plan) -> dict[str, Any]:
    school = plan.school
    district = school.district if school is not None else plan.district
    designation = plan.designation
    return {
        "key": "plan",
        "id": plan.pk,
        "title": plan.title,
        "summary": plan.summary,
        "status": plan.status,
        "kind": "school" if school is not None else "district",
        "school": _org(school),
        "district": _org(district),
        "state": district.state.code if district is not None else None,
        "first_year": plan.first_year,
        "last_year": plan.last_year,
        "exit_eligible_year": plan.exit_eligible_year,
        "designation": None
        if designation is None
        else {
            "id": designation.pk,
            "status": designation.status,
            "label": designation.get_status_display(),
            "entered_year": designation.entered_year,
        },
        "copied_from": plan.copied_from_id,
    }


def _codes(indicators: Any) -> list[str]:
    return sorted(i.code for i in indicators.all())


def _root_cause(cause: RootCause) -> dict[str, Any]:
    return {
        "key": f"root_cause:{cause.pk}",
        "id": cause.pk,
        "cause": cause.cause,
        "evidence": cause.evidence,
        "indicators": _codes(cause.indicators),
    }


def _need(need: NeedStatement) -> dict[str, Any]:
    return {
        "key": f"need:{need.pk}",
        "id": need.pk,
        "statement": need.statement,
        "source": need.source,
        "evidence": need.evidence,
        "priority": need.priority_id,
        "root_causes": [_root_cause(c) for c in need.root_causes.all()],
    }


def _goal(goal: Goal) -> dict[str, Any]:
    return {
        "key": f"goal:{goal.pk}",
        "id": goal.pk,
        "metric": goal.metric,
        "description": goal.description,
        "student_group": goal.student_group,
        "subject": goal.subject,
        "baseline_value": goal.baseline_value,
        "baseline_year": goal.baseline_year,
        "data_source": goal.data_source,
        "statutory_area": goal.statutory_area,
        "targets": {str(t.year): t.value for t in goal.targets.all()},
    }


def _action(action: Action) -> dict[str, Any]:
    return {
        "key": f"action:{action.pk}",
        "id": action.pk,
        "title": action.title,
        "owner": action.owner,
        "owner_user": action.owner_user_id,
        "starts_on": _date(action.starts_on),
        "due_on": _date(action.due_on),
        "status": action.status,
        "cost": _money(action.cost),
        "funding_source": action.funding_source,
        "completed_on": _date(action.completed_on),
    }


def _strategy(strategy: Strategy) -> dict[str, Any]:
    return {
        "key": f"strategy:{strategy.pk}",
        "id": strategy.pk,
        "title": strategy.title,
        "rationale": strategy.rationale,
        "actions": [_action(a) for a in strategy.actions.all()],
    }


def _objective(objective: Objective) -> dict[str, Any]:
    return {
        "key": f"objective:{objective.pk}",
        "id": objective.pk,
        "title": objective.title,
        "description": objective.description,
        "indicators": _codes(objective.indicators),
        "priorities": sorted(p.pk for p in objective.priorities.all()),
        "is_active": objective.is_active,
        "strategies": [_strategy(s) for s in objective.strategies.all()],
    }


def plan_snapshot(plan: Plan) -> dict[str, Any]:
    """The plan's whole content, read fresh from the database, as JSON-ready data."""
    plan = Plan.objects.select_related(
        "school__district__state", "district__state", "designation"
    ).get(pk=plan.pk)
    needs = NeedStatement.objects.filter(plan=plan).prefetch_related(
        Prefetch(
            "root_causes",
            queryset=RootCause.objects.order_by("order", "pk").prefetch_related("indicators"),
        )
    )
    goals = Goal.objects.filter(plan=plan).prefetch_related("targets")
    objectives = Objective.objects.filter(plan=plan).prefetch_related(
        "indicators",
        "priorities",
        Prefetch(
            "strategies",
            queryset=Strategy.objects.order_by("order", "pk").prefetch_related(
                Prefetch("actions", queryset=Action.objects.order_by("order", "pk"))
            ),
        ),
    )
    benchmarks = plan.benchmarks.all()
    return {
        "schema": SNAPSHOT_SCHEMA,
        "plan": _plan_fields(plan),
        "needs": [_need(n) for n in needs],
        "goals": [_goal(g) for g in goals],
        "objectives": [_objective(o) for o in objectives],
        "benchmarks": [
            {
                "key": f"benchmark:{b.pk}",
                "id": b.pk,
                "kind": b.kind,
                "measure": b.measure,
                "data_source": b.data_source,
                "unit": b.unit,
                "baseline": b.baseline,
                "target": b.target,
                "due_year": b.due_year,
                "due_quarter": b.due_quarter,
                "frequency": b.frequency,
                "objective": f"objective:{b.objective_id}" if b.objective_id else None,
                "is_active": b.is_active,
            }
            for b in benchmarks
        ],
    }
