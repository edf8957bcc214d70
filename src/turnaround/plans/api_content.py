"""Plans and their content over the API: thin wrappers around ``plans.access`` and
``plans.services``.

- Reads start from ``plans.access``: "missing" and "not yours" are the same 404; an item is found
  only inside a plan you see.
- Writes answer 422 for bad input (``loc`` names the field: ``["body", "targets", "2028"]`` for a
  goal's 2028 target), 403 when you see the plan but may not do this (state staff read plans but
  do not write their content), and 409 for a stale edit (send the ``version`` you loaded) or a
  plan that is submitted or approved (its content changes only when it is returned, or by an
  amendment). An action's ``status`` alone is monitoring: the plan's authors and state staff
  update it in any plan status.
- ``DELETE`` takes ``?version=``; a benchmark or objective that quarterly sessions reported on is
  retired rather than deleted (``result: "retired"``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.errors import HttpError, ValidationError

from turnaround.accounts.access import get_district_for_user, get_school_for_user
from turnaround.assessments.access import get_assessment_for_user
from turnaround.core.concurrency import StaleEditError
from turnaround.organizations.schemas import Message, PageQuery, ValidationErrors
from turnaround.plans import services
from turnaround.plans.access import PlanAccess, get_plan_for_user
from turnaround.plans.models import (
    Action,
    Benchmark,
    Goal,
    NeedStatement,
    Objective,
    Plan,
    RootCause,
    Strategy,
)
from turnaround.plans.schemas_content import (
    ActionIn,
    ActionOut,
    ActionPatch,
    ActionQuery,
    BenchmarkIn,
    BenchmarkOut,
    BenchmarkPatch,
    BenchmarkQuery,
    DeleteOut,
    GoalIn,
    GoalOut,
    GoalPatch,
    NeedIn,
    NeedOut,
    NeedPatch,
    NeedsFromAssessmentIn,
    NeedsTakenOut,
    ObjectiveIn,
    ObjectiveOut,
    ObjectivePatch,
    PlanDetailOut,
    PlanIn,
    PlanPage,
    PlanPatch,
    PlanQuery,
    ReorderIn,
    RootCauseIn,
    RootCauseOut,
    RootCausePatch,
    RootCauseQuery,
    StrategyIn,
    StrategyOut,
    StrategyPatch,
    StrategyQuery,
)
from turnaround.plans.selectors import PlanFilters, plan_list

router = Router(tags=["plans"])

_READ: dict[int, Any] = {401: Message, 404: Message, 422: ValidationErrors}
_WRITE: dict[int, Any] = {**_READ, 403: Message, 409: Message}

T = TypeVar("T")

#: service argument → API field, for error locations
_API_NAMES = {
    "priority": "priority_id",
    "priorities": "priority_ids",
    "objective": "objective_id",
    "strategy": "strategy_id",
    "need": "need_id",
    "owner_user": "owner_user_id",
    "copy_from": "copy_from_id",
    "designation": "designation_id",
    "school": "school_id",
}


def _loc(key: str) -> list[str]:
    if key == "__all__":
        return ["body"]
    head, _, rest = key.partition(".")
    return ["body", _API_NAMES.get(head, head), *([rest] if rest else [])]


def _call(fn: Callable[[], T]) -> T:
    """Run a service call, turning its refusals into the API's error shape."""
    try:
        return fn()
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            items = [
                {"loc": _loc(field), "msg": m, "type": "value_error"}
                for field, messages in exc.message_dict.items()
                for m in messages
            ]
        else:
            items = [{"loc": ["body"], "msg": m, "type": "value_error"} for m in exc.messages]
        raise ValidationError(items) from exc
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "You cannot do that.") from exc
    except (StaleEditError, services.PlanLockedError) as exc:
        raise HttpError(409, str(exc)) from exc


def _access(request: HttpRequest, plan_id: int) -> PlanAccess:
    return get_plan_for_user(request.user, plan_id)


def _bad(field: str, message: str) -> ValidationError:
    return ValidationError([{"loc": ["body", field], "msg": message, "type": "value_error"}])


def _changes(payload: Any, renames: dict[str, str] | None = None) -> dict[str, Any]:
    """The fields the client sent (not ``version``), renamed to the services' arguments."""
    data = payload.model_dump(exclude_unset=True, exclude={"version"})
    return {(renames or {}).get(k, k): v for k, v in data.items()}


def _deleted(result: str, noun: str) -> dict[str, str]:
    if result == "retired":
        return {
            "result": "retired",
            "detail": f"The {noun} is retired: quarterly sessions reported on it, so it leaves "
            "the plan and stays in the monitoring history.",
        }
    return {"result": "deleted", "detail": f"The {noun} is deleted."}


# ---------------------------------------------------------------------------------------------
# Shaping


def _org(obj: Any) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": obj.name}


def _plan(p: Plan) -> dict[str, Any]:
    return {
        "id": p.pk,
        "title": p.title,
        "school": _org(p.school),
        "district": _org(p.district),
        "first_year": p.first_year,
        "last_year": p.last_year,
        "exit_eligible_year": p.exit_eligible_year,
        "designation_id": p.designation_id,
        "status": p.status,
        "copied_from_id": p.copied_from_id,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "version": p.version,
    }


def _plan_detail(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    access = _access(request, plan_id)
    return {
        **_plan(access.plan),
        "summary": access.plan.summary,
        "permissions": {
            "is_author": access.is_author,
            "is_district_approver": access.is_district_approver,
            "is_state_approver": access.is_state_approver,
            "can_edit": access.can_edit,
            "can_monitor": access.can_monitor,
            "can_comment": access.can_comment,
        },
    }


def _need(n: NeedStatement) -> dict[str, Any]:
    return {
        "id": n.pk,
        "statement": n.statement,
        "source": n.source,
        "evidence": n.evidence,
        "priority_id": n.priority_id,
        "order": n.order,
        "version": n.version,
    }


def _root_cause(r: RootCause) -> dict[str, Any]:
    return {
        "id": r.pk,
        "need_id": r.need_id,
        "cause": r.cause,
        "evidence": r.evidence,
        "indicators": [i.code for i in r.indicators.all()],
        "order": r.order,
        "version": r.version,
    }


def _goal(g: Goal) -> dict[str, Any]:
    return {
        "id": g.pk,
        "metric": g.metric,
        "description": g.description,
        "student_group": g.student_group,
        "subject": g.subject,
        "baseline_value": g.baseline_value,
        "baseline_year": g.baseline_year,
        "data_source": g.data_source,
        "statutory_area": g.statutory_area,
        "targets": {str(t.year): t.value for t in g.targets.all()},
        "order": g.order,
        "version": g.version,
    }


def _objective(o: Objective) -> dict[str, Any]:
    return {
        "id": o.pk,
        "title": o.title,
        "description": o.description,
        "indicators": [i.code for i in o.indicators.all()],
        "priority_ids": sorted(p.pk for p in o.priorities.all()),
        "is_active": o.is_active,
        "order": o.order,
        "version": o.version,
    }


def _strategy(s: Strategy) -> dict[str, Any]:
    return {
        "id": s.pk,
        "objective_id": s.objective_id,
        "title": s.title,
        "rationale": s.rationale,
        "order": s.order,
        "version": s.version,
    }


def _action(a: Action) -> dict[str, Any]:
    return {
        "id": a.pk,
        "strategy_id": a.strategy_id,
        "title": a.title,
        "owner": a.owner,
        "owner_user_id": a.owner_user_id,
        "starts_on": a.starts_on,
        "due_on": a.due_on,
        "status": a.status,
        "completed_on": a.completed_on,
        "cost": None if a.cost is None else float(a.cost),
        "funding_source": a.funding_source,
        "updated_at": a.updated_at,
        "order": a.order,
        "version": a.version,
    }


def _benchmark(b: Benchmark) -> dict[str, Any]:
    return {
        "id": b.pk,
        "objective_id": b.objective_id,
        "kind": b.kind,
        "measure": b.measure,
        "data_source": b.data_source,
        "unit": b.unit,
        "baseline": b.baseline,
        "target": b.target,
        "due_year": b.due_year,
        "due_quarter": b.due_quarter,
        "due_label": b.due_label,
        "frequency": b.frequency,
        "is_active": b.is_active,
        "order": b.order,
        "version": b.version,
    }


# ---------------------------------------------------------------------------------------------
# Plans


@router.get(
    "/plans",
    response={200: PlanPage, **_READ},
    operation_id="plan_list",
    summary="Plans you can see",
)
def plan_list_api(
    request: HttpRequest, filters: Query[PlanQuery], page: Query[PageQuery]
) -> dict[str, Any]:
    """Newest period first. A school's and its district's leaders see its plans in every status;
    state staff every plan of their state; partners serving a school its plans; readers
    state-approved plans."""
    parsed = PlanFilters.from_params(filters.model_dump())
    qs = plan_list(request.user, parsed)
    rows = list(qs[page.offset : page.offset + page.limit])
    return {"count": qs.count(), "items": [_plan(p) for p in rows]}


@router.post(
    "/plans",
    response={201: PlanDetailOut, **_WRITE},
    operation_id="plan_create",
    summary="Start a plan (blank, from a template, or a copy)",
)
def plan_create_api(request: HttpRequest, payload: PlanIn) -> Status[dict[str, Any]]:
    """For a school (``school_id``) or a district (``district_id``), by their leaders; 1–6
    years; version 1 is stored."""
    school = district = None
    if payload.school_id is not None:
        school = get_school_for_user(request.user, payload.school_id).school
    if payload.district_id is not None:
        district = get_district_for_user(request.user, payload.district_id).district
    created = _call(
        lambda: services.plan_create(
            actor=request.user,
            school=school,
            district=district,
            title=payload.title,
            first_year=payload.first_year,
            last_year=payload.last_year,
            exit_eligible_year=payload.exit_eligible_year,
            designation=payload.designation_id,
            template=payload.template,
            copy_from=payload.copy_from_id,
        )
    )
    return Status(201, _plan_detail(request, created.pk))


@router.get(
    "/plans/{plan_id}",
    response={200: PlanDetailOut, **_READ},
    operation_id="plan_detail",
    summary="One plan's cover and what you may do with it",
)
def plan_detail_api(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    return _plan_detail(request, plan_id)


@router.patch(
    "/plans/{plan_id}",
    response={200: PlanDetailOut, **_WRITE},
    operation_id="plan_update",
    summary="Change the cover: title, summary, period, year eligible to exit",
)
def plan_update_api(request: HttpRequest, plan_id: int, payload: PlanPatch) -> dict[str, Any]:
    access = _access(request, plan_id)
    changes = _changes(payload, {"designation_id": "designation"})
    _call(
        lambda: services.plan_update(
            actor=request.user,
            plan=access.plan,
            expected_version=payload.version,
            changes=changes,
        )
    )
    return _plan_detail(request, plan_id)


@router.post(
    "/plans/{plan_id}/reorder",
    response={204: None, **_WRITE},
    operation_id="plan_items_reorder",
    summary="Put sibling items in a new order",
)
def plan_reorder_api(request: HttpRequest, plan_id: int, payload: ReorderIn):
    """``kind`` is needs, root-causes, goals, objectives, strategies, actions or benchmarks;
    ``ids`` lists every item of one group (the root causes of one need, the actions of one
    strategy, the benchmarks of one kind, …)."""
    access = _access(request, plan_id)
    _call(
        lambda: services.items_reorder(
            actor=request.user, plan=access.plan, kind=payload.kind, ordered_ids=payload.ids
        )
    )
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Needs


@router.get(
    "/plans/{plan_id}/needs",
    response={200: list[NeedOut], **_READ},
    operation_id="plan_need_list",
    summary="Need statements, in order",
)
def need_list_api(request: HttpRequest, plan_id: int) -> list[dict[str, Any]]:
    access = _access(request, plan_id)
    return [
        _need(n) for n in NeedStatement.objects.filter(plan=access.plan).order_by("order", "pk")
    ]


@router.post(
    "/plans/{plan_id}/needs",
    response={201: NeedOut, **_WRITE},
    operation_id="plan_need_create",
    summary="Add a need statement",
)
def need_create_api(request: HttpRequest, plan_id: int, payload: NeedIn):
    access = _access(request, plan_id)
    need = _call(
        lambda: services.need_create(
            actor=request.user,
            plan=access.plan,
            statement=payload.statement,
            source=payload.source,
            evidence=payload.evidence,
            priority=payload.priority_id,
        )
    )
    return Status(201, _need(need))


@router.post(
    "/plans/{plan_id}/needs/from-assessment",
    response={200: NeedsTakenOut, **_WRITE},
    operation_id="plan_needs_from_assessment",
    summary="Take a finalised assessment's agreed priorities as needs and objectives",
)
def needs_from_assessment_api(
    request: HttpRequest, plan_id: int, payload: NeedsFromAssessmentIn
) -> dict[str, Any]:
    """Idempotent: priorities this plan already took are skipped."""
    access = _access(request, plan_id)
    assessment = get_assessment_for_user(request.user, payload.assessment_id).assessment
    taken = _call(
        lambda: services.needs_from_assessment(
            actor=request.user, plan=access.plan, assessment=assessment
        )
    )
    return {
        "needs": [_need(n) for n in taken.needs],
        "objectives": [_objective(o) for o in taken.objectives],
        "skipped_priority_ids": [p.pk for p in taken.skipped],
    }


@router.get(
    "/plans/{plan_id}/needs/{item_id}",
    response={200: NeedOut, **_READ},
    operation_id="plan_need_detail",
    summary="One need statement",
)
def need_detail_api(request: HttpRequest, plan_id: int, item_id: int) -> dict[str, Any]:
    access = _access(request, plan_id)
    return _need(get_object_or_404(NeedStatement, pk=item_id, plan=access.plan))


@router.patch(
    "/plans/{plan_id}/needs/{item_id}",
    response={200: NeedOut, **_WRITE},
    operation_id="plan_need_update",
    summary="Change a need statement",
)
def need_update_api(
    request: HttpRequest, plan_id: int, item_id: int, payload: NeedPatch
) -> dict[str, Any]:
    access = _access(request, plan_id)
    item = get_object_or_404(NeedStatement, pk=item_id, plan=access.plan)
    changed = _call(
        lambda: services.need_update(
            actor=request.user,
            need=item,
            expected_version=payload.version,
            changes=_changes(payload, {"priority_id": "priority"}),
        )
    )
    return _need(changed)


@router.delete(
    "/plans/{plan_id}/needs/{item_id}",
    response={200: DeleteOut, **_WRITE},
    operation_id="plan_need_delete",
    summary="Delete a need statement and its root causes",
)
def need_delete_api(request: HttpRequest, plan_id: int, item_id: int, version: int):
    access = _access(request, plan_id)
    item = get_object_or_404(NeedStatement, pk=item_id, plan=access.plan)
    result = _call(
        lambda: services.need_delete(actor=request.user, need=item, expected_version=version)
    )
    return _deleted(result, "need statement")


# ---------------------------------------------------------------------------------------------
# Root causes


def _root_causes(access: PlanAccess) -> Any:
    return RootCause.objects.filter(need__plan=access.plan).prefetch_related("indicators")


@router.get(
    "/plans/{plan_id}/root-causes",
    response={200: list[RootCauseOut], **_READ},
    operation_id="plan_root_cause_list",
    summary="Root causes, need by need",
)
def root_cause_list_api(
    request: HttpRequest, plan_id: int, filters: Query[RootCauseQuery]
) -> list[dict[str, Any]]:
    qs = _root_causes(_access(request, plan_id))
    if filters.need is not None:
        qs = qs.filter(need_id=filters.need)
    return [_root_cause(r) for r in qs.order_by("need__order", "need_id", "order", "pk")]


@router.post(
    "/plans/{plan_id}/root-causes",
    response={201: RootCauseOut, **_WRITE},
    operation_id="plan_root_cause_create",
    summary="Add a root cause to a need",
)
def root_cause_create_api(request: HttpRequest, plan_id: int, payload: RootCauseIn):
    access = _access(request, plan_id)
    need = NeedStatement.objects.filter(pk=payload.need_id, plan=access.plan).first()
    if need is None:
        raise _bad("need_id", "Choose a need statement of this plan.")
    root = _call(
        lambda: services.root_cause_create(
            actor=request.user,
            need=need,
            cause=payload.cause,
            evidence=payload.evidence,
            indicators=payload.indicators,
        )
    )
    return Status(201, _root_cause(root))


@router.get(
    "/plans/{plan_id}/root-causes/{item_id}",
    response={200: RootCauseOut, **_READ},
    operation_id="plan_root_cause_detail",
    summary="One root cause",
)
def root_cause_detail_api(request: HttpRequest, plan_id: int, item_id: int) -> dict[str, Any]:
    return _root_cause(get_object_or_404(_root_causes(_access(request, plan_id)), pk=item_id))


@router.patch(
    "/plans/{plan_id}/root-causes/{item_id}",
    response={200: RootCauseOut, **_WRITE},
    operation_id="plan_root_cause_update",
    summary="Change a root cause",
)
def root_cause_update_api(
    request: HttpRequest, plan_id: int, item_id: int, payload: RootCausePatch
) -> dict[str, Any]:
    item = get_object_or_404(_root_causes(_access(request, plan_id)), pk=item_id)
    changed = _call(
        lambda: services.root_cause_update(
            actor=request.user,
            root_cause=item,
            expected_version=payload.version,
            changes=_changes(payload, {"need_id": "need"}),
        )
    )
    return _root_cause(RootCause.objects.prefetch_related("indicators").get(pk=changed.pk))


@router.delete(
    "/plans/{plan_id}/root-causes/{item_id}",
    response={200: DeleteOut, **_WRITE},
    operation_id="plan_root_cause_delete",
    summary="Delete a root cause",
)
def root_cause_delete_api(request: HttpRequest, plan_id: int, item_id: int, version: int):
    item = get_object_or_404(_root_causes(_access(request, plan_id)), pk=item_id)
    result = _call(
        lambda: services.root_cause_delete(
            actor=request.user, root_cause=item, expected_version=version
        )
    )
    return _deleted(result, "root cause")


# ---------------------------------------------------------------------------------------------
# Goals


def _goals(access: PlanAccess) -> Any:
    return Goal.objects.filter(plan=access.plan).prefetch_related("targets")


@router.get(
    "/plans/{plan_id}/goals",
    response={200: list[GoalOut], **_READ},
    operation_id="plan_goal_list",
    summary="Measurable annual goals with their yearly targets",
)
def goal_list_api(request: HttpRequest, plan_id: int) -> list[dict[str, Any]]:
    return [_goal(g) for g in _goals(_access(request, plan_id)).order_by("order", "pk")]


@router.post(
    "/plans/{plan_id}/goals",
    response={201: GoalOut, **_WRITE},
    operation_id="plan_goal_create",
    summary="Add a goal (targets inside)",
)
def goal_create_api(request: HttpRequest, plan_id: int, payload: GoalIn):
    """Each target lies within the metric's range (e.g. 0–100 for a percentage, 1–99 for a
    median growth percentile) and in a year of the plan."""
    access = _access(request, plan_id)
    data = payload.model_dump()
    goal = _call(lambda: services.goal_create(actor=request.user, plan=access.plan, **data))
    return Status(201, _goal(Goal.objects.prefetch_related("targets").get(pk=goal.pk)))


@router.get(
    "/plans/{plan_id}/goals/{item_id}",
    response={200: GoalOut, **_READ},
    operation_id="plan_goal_detail",
    summary="One goal",
)
def goal_detail_api(request: HttpRequest, plan_id: int, item_id: int) -> dict[str, Any]:
    return _goal(get_object_or_404(_goals(_access(request, plan_id)), pk=item_id))


@router.patch(
    "/plans/{plan_id}/goals/{item_id}",
    response={200: GoalOut, **_WRITE},
    operation_id="plan_goal_update",
    summary="Change a goal; targets replace the whole set",
)
def goal_update_api(
    request: HttpRequest, plan_id: int, item_id: int, payload: GoalPatch
) -> dict[str, Any]:
    item = get_object_or_404(_goals(_access(request, plan_id)), pk=item_id)
    changed = _call(
        lambda: services.goal_update(
            actor=request.user,
            goal=item,
            expected_version=payload.version,
            changes=_changes(payload),
        )
    )
    return _goal(Goal.objects.prefetch_related("targets").get(pk=changed.pk))


@router.delete(
    "/plans/{plan_id}/goals/{item_id}",
    response={200: DeleteOut, **_WRITE},
    operation_id="plan_goal_delete",
    summary="Delete a goal and its targets",
)
def goal_delete_api(request: HttpRequest, plan_id: int, item_id: int, version: int):
    item = get_object_or_404(_goals(_access(request, plan_id)), pk=item_id)
    result = _call(
        lambda: services.goal_delete(actor=request.user, goal=item, expected_version=version)
    )
    return _deleted(result, "goal")


# ---------------------------------------------------------------------------------------------
# Objectives


def _objectives(access: PlanAccess) -> Any:
    return Objective.objects.filter(plan=access.plan).prefetch_related("indicators", "priorities")


@router.get(
    "/plans/{plan_id}/objectives",
    response={200: list[ObjectiveOut], **_READ},
    operation_id="plan_objective_list",
    summary="Objectives (retired ones included, marked)",
)
def objective_list_api(request: HttpRequest, plan_id: int) -> list[dict[str, Any]]:
    return [_objective(o) for o in _objectives(_access(request, plan_id)).order_by("order", "pk")]


@router.post(
    "/plans/{plan_id}/objectives",
    response={201: ObjectiveOut, **_WRITE},
    operation_id="plan_objective_create",
    summary="Add an objective linked to indicators and priorities",
)
def objective_create_api(request: HttpRequest, plan_id: int, payload: ObjectiveIn):
    access = _access(request, plan_id)
    objective = _call(
        lambda: services.objective_create(
            actor=request.user,
            plan=access.plan,
            title=payload.title,
            description=payload.description,
            indicators=payload.indicators,
            priorities=payload.priority_ids,
        )
    )
    return Status(201, _objective(_objectives(access).get(pk=objective.pk)))


@router.get(
    "/plans/{plan_id}/objectives/{item_id}",
    response={200: ObjectiveOut, **_READ},
    operation_id="plan_objective_detail",
    summary="One objective",
)
def objective_detail_api(request: HttpRequest, plan_id: int, item_id: int) -> dict[str, Any]:
    return _objective(get_object_or_404(_objectives(_access(request, plan_id)), pk=item_id))


@router.patch(
    "/plans/{plan_id}/objectives/{item_id}",
    response={200: ObjectiveOut, **_WRITE},
    operation_id="plan_objective_update",
    summary="Change an objective",
)
def objective_update_api(
    request: HttpRequest, plan_id: int, item_id: int, payload: ObjectivePatch
) -> dict[str, Any]:
    access = _access(request, plan_id)
    item = get_object_or_404(_objectives(access), pk=item_id)
    _call(
        lambda: services.objective_update(
            actor=request.user,
            objective=item,
            expected_version=payload.version,
            changes=_changes(payload, {"priority_ids": "priorities"}),
        )
    )
    return _objective(_objectives(access).get(pk=item.pk))


@router.delete(
    "/plans/{plan_id}/objectives/{item_id}",
    response={200: DeleteOut, **_WRITE},
    operation_id="plan_objective_delete",
    summary="Delete an objective (or retire one sessions reported on)",
)
def objective_delete_api(request: HttpRequest, plan_id: int, item_id: int, version: int):
    item = get_object_or_404(_objectives(_access(request, plan_id)), pk=item_id)
    result = _call(
        lambda: services.objective_delete(
            actor=request.user, objective=item, expected_version=version
        )
    )
    return _deleted(result, "objective")


# ---------------------------------------------------------------------------------------------
# Strategies


def _strategies(access: PlanAccess) -> Any:
    return Strategy.objects.filter(objective__plan=access.plan)


@router.get(
    "/plans/{plan_id}/strategies",
    response={200: list[StrategyOut], **_READ},
    operation_id="plan_strategy_list",
    summary="Strategies, objective by objective",
)
def strategy_list_api(
    request: HttpRequest, plan_id: int, filters: Query[StrategyQuery]
) -> list[dict[str, Any]]:
    qs = _strategies(_access(request, plan_id))
    if filters.objective is not None:
        qs = qs.filter(objective_id=filters.objective)
    return [_strategy(s) for s in qs.order_by("objective__order", "objective_id", "order", "pk")]


@router.post(
    "/plans/{plan_id}/strategies",
    response={201: StrategyOut, **_WRITE},
    operation_id="plan_strategy_create",
    summary="Add a strategy to an objective",
)
def strategy_create_api(request: HttpRequest, plan_id: int, payload: StrategyIn):
    access = _access(request, plan_id)
    objective = Objective.objects.filter(pk=payload.objective_id, plan=access.plan).first()
    if objective is None:
        raise _bad("objective_id", "Choose an objective of this plan.")
    strategy = _call(
        lambda: services.strategy_create(
            actor=request.user,
            objective=objective,
            title=payload.title,
            rationale=payload.rationale,
        )
    )
    return Status(201, _strategy(strategy))


@router.get(
    "/plans/{plan_id}/strategies/{item_id}",
    response={200: StrategyOut, **_READ},
    operation_id="plan_strategy_detail",
    summary="One strategy",
)
def strategy_detail_api(request: HttpRequest, plan_id: int, item_id: int) -> dict[str, Any]:
    return _strategy(get_object_or_404(_strategies(_access(request, plan_id)), pk=item_id))


@router.patch(
    "/plans/{plan_id}/strategies/{item_id}",
    response={200: StrategyOut, **_WRITE},
    operation_id="plan_strategy_update",
    summary="Change a strategy",
)
def strategy_update_api(
    request: HttpRequest, plan_id: int, item_id: int, payload: StrategyPatch
) -> dict[str, Any]:
    item = get_object_or_404(_strategies(_access(request, plan_id)), pk=item_id)
    changed = _call(
        lambda: services.strategy_update(
            actor=request.user,
            strategy=item,
            expected_version=payload.version,
            changes=_changes(payload, {"objective_id": "objective"}),
        )
    )
    return _strategy(changed)


@router.delete(
    "/plans/{plan_id}/strategies/{item_id}",
    response={200: DeleteOut, **_WRITE},
    operation_id="plan_strategy_delete",
    summary="Delete a strategy and its actions",
)
def strategy_delete_api(request: HttpRequest, plan_id: int, item_id: int, version: int):
    item = get_object_or_404(_strategies(_access(request, plan_id)), pk=item_id)
    result = _call(
        lambda: services.strategy_delete(
            actor=request.user, strategy=item, expected_version=version
        )
    )
    return _deleted(result, "strategy")


# ---------------------------------------------------------------------------------------------
# Actions


def _actions(access: PlanAccess) -> Any:
    return Action.objects.filter(strategy__objective__plan=access.plan)


_ACTION_RENAMES = {"strategy_id": "strategy", "owner_user_id": "owner_user"}


@router.get(
    "/plans/{plan_id}/actions",
    response={200: list[ActionOut], **_READ},
    operation_id="plan_action_list",
    summary="Actions, strategy by strategy",
)
def action_list_api(
    request: HttpRequest, plan_id: int, filters: Query[ActionQuery]
) -> list[dict[str, Any]]:
    qs = _actions(_access(request, plan_id))
    if filters.strategy is not None:
        qs = qs.filter(strategy_id=filters.strategy)
    if filters.status:
        qs = qs.filter(status=filters.status)
    ordering = ("strategy__objective__order", "strategy__order", "strategy_id", "order", "pk")
    return [_action(a) for a in qs.order_by(*ordering)]


@router.post(
    "/plans/{plan_id}/actions",
    response={201: ActionOut, **_WRITE},
    operation_id="plan_action_create",
    summary="Add an action to a strategy",
)
def action_create_api(request: HttpRequest, plan_id: int, payload: ActionIn):
    """Dates inside the plan period (a start up to a year before it, to prepare); cost ≥ 0."""
    access = _access(request, plan_id)
    strategy = Strategy.objects.filter(pk=payload.strategy_id, objective__plan=access.plan).first()
    if strategy is None:
        raise _bad("strategy_id", "Choose a strategy of this plan.")
    data = payload.model_dump(exclude={"strategy_id"})
    data["owner_user"] = data.pop("owner_user_id")
    action = _call(lambda: services.action_create(actor=request.user, strategy=strategy, **data))
    return Status(201, _action(action))


@router.get(
    "/plans/{plan_id}/actions/{item_id}",
    response={200: ActionOut, **_READ},
    operation_id="plan_action_detail",
    summary="One action",
)
def action_detail_api(request: HttpRequest, plan_id: int, item_id: int) -> dict[str, Any]:
    return _action(get_object_or_404(_actions(_access(request, plan_id)), pk=item_id))


@router.patch(
    "/plans/{plan_id}/actions/{item_id}",
    response={200: ActionOut, **_WRITE},
    operation_id="plan_action_update",
    summary="Change an action, or just its status (monitoring)",
)
def action_update_api(
    request: HttpRequest, plan_id: int, item_id: int, payload: ActionPatch
) -> dict[str, Any]:
    item = get_object_or_404(_actions(_access(request, plan_id)), pk=item_id)
    changed = _call(
        lambda: services.action_update(
            actor=request.user,
            action=item,
            expected_version=payload.version,
            changes=_changes(payload, _ACTION_RENAMES),
        )
    )
    return _action(changed)


@router.delete(
    "/plans/{plan_id}/actions/{item_id}",
    response={200: DeleteOut, **_WRITE},
    operation_id="plan_action_delete",
    summary="Delete an action",
)
def action_delete_api(request: HttpRequest, plan_id: int, item_id: int, version: int):
    item = get_object_or_404(_actions(_access(request, plan_id)), pk=item_id)
    result = _call(
        lambda: services.action_delete(actor=request.user, action=item, expected_version=version)
    )
    return _deleted(result, "action")


# ---------------------------------------------------------------------------------------------
# Benchmarks


def _benchmarks(access: PlanAccess) -> Any:
    return Benchmark.objects.filter(plan=access.plan)


@router.get(
    "/plans/{plan_id}/benchmarks",
    response={200: list[BenchmarkOut], **_READ},
    operation_id="plan_benchmark_list",
    summary="Benchmarks by kind",
)
def benchmark_list_api(
    request: HttpRequest, plan_id: int, filters: Query[BenchmarkQuery]
) -> list[dict[str, Any]]:
    qs = _benchmarks(_access(request, plan_id))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if not filters.include_retired:
        qs = qs.filter(is_active=True)
    return [_benchmark(b) for b in qs.order_by("kind", "order", "pk")]


@router.post(
    "/plans/{plan_id}/benchmarks",
    response={201: BenchmarkOut, **_WRITE},
    operation_id="plan_benchmark_create",
    summary="Add an educator or student benchmark",
)
def benchmark_create_api(request: HttpRequest, plan_id: int, payload: BenchmarkIn):
    """Due in a year of the plan period and a quarter 1–4; a percentage is 0–100."""
    access = _access(request, plan_id)
    data = payload.model_dump()
    data["objective"] = data.pop("objective_id")
    benchmark = _call(
        lambda: services.benchmark_create(actor=request.user, plan=access.plan, **data)
    )
    return Status(201, _benchmark(benchmark))


@router.get(
    "/plans/{plan_id}/benchmarks/{item_id}",
    response={200: BenchmarkOut, **_READ},
    operation_id="plan_benchmark_detail",
    summary="One benchmark",
)
def benchmark_detail_api(request: HttpRequest, plan_id: int, item_id: int) -> dict[str, Any]:
    return _benchmark(get_object_or_404(_benchmarks(_access(request, plan_id)), pk=item_id))


@router.patch(
    "/plans/{plan_id}/benchmarks/{item_id}",
    response={200: BenchmarkOut, **_WRITE},
    operation_id="plan_benchmark_update",
    summary="Change a benchmark",
)
def benchmark_update_api(
    request: HttpRequest, plan_id: int, item_id: int, payload: BenchmarkPatch
) -> dict[str, Any]:
    item = get_object_or_404(_benchmarks(_access(request, plan_id)), pk=item_id)
    changed = _call(
        lambda: services.benchmark_update(
            actor=request.user,
            benchmark=item,
            expected_version=payload.version,
            changes=_changes(payload, {"objective_id": "objective"}),
        )
    )
    return _benchmark(changed)


@router.delete(
    "/plans/{plan_id}/benchmarks/{item_id}",
    response={200: DeleteOut, **_WRITE},
    operation_id="plan_benchmark_delete",
    summary="Delete a benchmark (or retire one with session statuses)",
)
def benchmark_delete_api(request: HttpRequest, plan_id: int, item_id: int, version: int):
    item = get_object_or_404(_benchmarks(_access(request, plan_id)), pk=item_id)
    result = _call(
        lambda: services.benchmark_delete(
            actor=request.user, benchmark=item, expected_version=version
        )
    )
    return _deleted(result, "benchmark")
