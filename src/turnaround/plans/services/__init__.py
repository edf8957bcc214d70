"""Writes to plans. Every function is keyword-only, checks who may act (``plans.access``),
validates before it saves, runs in one transaction, records an audit event and moves the plan's
``updated_at``; a refused call writes nothing.

Errors they raise:

- ``django.core.exceptions.ValidationError`` — bad input, one message per field saying what is
  wrong and what is allowed (keys are field names; a goal's yearly target is ``targets.<year>``);
- ``django.core.exceptions.PermissionDenied`` — the actor may see the plan but not do this (or
  cannot see it at all);
- ``PlanLockedError`` — a content edit of a plan that is submitted or approved (its message names
  the status and the way forward);
- ``turnaround.core.concurrency.StaleEditError`` — someone else saved the item in between
  (``ItemDeletedError``, a subclass: they deleted it).

The workflow transitions live in ``plans.services.workflow``.
"""

from turnaround.plans.services._common import (
    PREPARATION_YEARS,
    ItemDeletedError,
    PlanLockedError,
    locked_message,
)
from turnaround.plans.services.content import (
    BENCHMARK_UNITS,
    ITEM_KINDS,
    action_create,
    action_delete,
    action_update,
    benchmark_create,
    benchmark_delete,
    benchmark_has_history,
    benchmark_update,
    check_action_dates,
    goal_create,
    goal_delete,
    goal_update,
    item_move,
    items_reorder,
    need_create,
    need_delete,
    need_update,
    objective_create,
    objective_delete,
    objective_has_history,
    objective_update,
    root_cause_create,
    root_cause_delete,
    root_cause_update,
    strategy_create,
    strategy_delete,
    strategy_update,
)
from turnaround.plans.services.plan import (
    MAX_PLAN_YEARS,
    NeedsTaken,
    current_spring_year,
    default_exit_year,
    needs_from_assessment,
    open_designation,
    plan_create,
    plan_update,
)

__all__ = [
    "BENCHMARK_UNITS",
    "ITEM_KINDS",
    "MAX_PLAN_YEARS",
    "PREPARATION_YEARS",
    "ItemDeletedError",
    "NeedsTaken",
    "PlanLockedError",
    "action_create",
    "action_delete",
    "action_update",
    "benchmark_create",
    "benchmark_delete",
    "benchmark_has_history",
    "benchmark_update",
    "check_action_dates",
    "current_spring_year",
    "default_exit_year",
    "goal_create",
    "goal_delete",
    "goal_update",
    "item_move",
    "items_reorder",
    "locked_message",
    "need_create",
    "need_delete",
    "need_update",
    "needs_from_assessment",
    "objective_create",
    "objective_delete",
    "objective_has_history",
    "objective_update",
    "open_designation",
    "plan_create",
    "plan_update",
    "root_cause_create",
    "root_cause_delete",
    "root_cause_update",
    "strategy_create",
    "strategy_delete",
    "strategy_update",
]
