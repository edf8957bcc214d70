"""Plan health and progress over the API.

- ``GET /states/{code}/plan-health`` (state administrators and staff) and
  ``GET /districts/{id}/plan-health`` (the district's leaders, state administrators and staff):
  one row per school with a plan in force; see ``monitoring.health`` for every figure. 404 when
  you do not see the state or district, 403 when you see it but not its plan health.
- ``GET /plans/{id}/progress``: the "where are we now" figures of one plan (anyone who sees it).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router
from ninja.errors import HttpError, ValidationError

from turnaround.accounts.access import get_district_for_user, get_state_for_user
from turnaround.monitoring.api_sessions import READ
from turnaround.monitoring.health import (
    HEALTH_LABELS,
    SORTS,
    PlanHealth,
    filter_rows,
    plan_health,
    plan_progress,
    sort_rows,
)
from turnaround.monitoring.schemas import HealthQuery, PlanHealthPage, ProgressOut
from turnaround.monitoring.views_dashboard import district_plans, state_plans
from turnaround.organizations.schemas import Message
from turnaround.plans.access import get_plan_for_user

router = Router(tags=["plans"])

_HEALTH_ERRORS: dict[int, Any] = {**READ, 403: Message}
_NOT_ALLOWED = "Plan health is for state administrators and staff, and for a district's leaders."


def _shape(rows: list[PlanHealth], query: HealthQuery) -> dict[str, Any]:
    errors = []
    if query.health and query.health not in HEALTH_LABELS:
        allowed = ", ".join(HEALTH_LABELS)
        errors.append(
            {"loc": ["query", "health"], "msg": f"allowed: {allowed}", "type": "value_error"}
        )
    if query.sort.lstrip("-") not in SORTS:
        allowed = ", ".join(SORTS)
        errors.append(
            {"loc": ["query", "sort"], "msg": f"allowed: {allowed}", "type": "value_error"}
        )
    if errors:
        raise ValidationError(errors)
    rows = sort_rows(filter_rows(rows, district_id=query.district, health=query.health), query.sort)
    return {"count": len(rows), "items": [r.as_dict() for r in rows]}


@router.get(
    "/states/{code}/plan-health",
    response={200: PlanHealthPage, **_HEALTH_ERRORS},
    operation_id="state_plan_health",
    summary="Every plan in force in a state, at a glance",
)
def state_plan_health(request: HttpRequest, code: str, query: Query[HealthQuery]) -> dict[str, Any]:
    access = get_state_for_user(request.user, code)
    if not access.sees_restricted:
        raise HttpError(403, _NOT_ALLOWED)
    return _shape(plan_health(state_plans(request.user, access.state.pk)), query)


@router.get(
    "/districts/{int:district_id}/plan-health",
    response={200: PlanHealthPage, **_HEALTH_ERRORS},
    operation_id="district_plan_health",
    summary="Every plan in force in a district, at a glance",
)
def district_plan_health(
    request: HttpRequest, district_id: int, query: Query[HealthQuery]
) -> dict[str, Any]:
    access = get_district_for_user(request.user, district_id)
    if not access.sees_restricted:
        raise HttpError(403, _NOT_ALLOWED)
    return _shape(plan_health(district_plans(request.user, district_id)), query)


@router.get(
    "/plans/{int:plan_id}/progress",
    response={200: ProgressOut, **READ},
    operation_id="plan_progress",
    summary="Where a plan is now",
)
def plan_progress_api(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    """Benchmark statuses per session (counts), the share of actions done, in progress, not
    started and overdue, and each active benchmark's latest status."""
    access = get_plan_for_user(request.user, plan_id)
    return plan_progress(access.plan).as_dict()
