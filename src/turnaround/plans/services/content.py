"""The plan's content: needs and root causes, goals with yearly targets, objectives → strategies →
actions, and benchmarks — create, change, reorder and delete.

Every function here:

- is refused unless the actor may edit the plan (``access.can_edit``: an author while the plan
  is a draft or returned). The one exception is an action's *status*: monitoring, not content,
  so the plan's authors and state staff (``access.can_monitor``) update it in any plan status;
- validates all of its input before writing, and writes nothing when anything is wrong
  (``ValidationError`` with one message per field, saying what is wrong and what is allowed);
- takes ``expected_version`` for a change to an existing item and refuses a stale edit
  (``StaleEditError``: someone else saved in between) instead of overwriting it;
- runs in one transaction that locks the plan row, records an audit event and moves the plan's
  ``updated_at``.

A benchmark with statuses from quarterly sessions, or an objective that sessions reported on
(a benchmark of it has statuses, or a next step names it), is *retired* (``is_active = False``)
rather than deleted, so the monitoring history keeps its subject; the delete functions say which
happened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from turnaround.accounts.models import User
from turnaround.assessments.models import Priority
from turnaround.audit.services import model_changes
from turnaround.core.concurrency import StaleEditError, save_versioned
from turnaround.frameworks.models import Indicator
from turnaround.partners.models import FundingSource
from turnaround.performance.models import StudentGroup, Subject
from turnaround.plans.access import PlanAccess, visible_plans
from turnaround.plans.models import (
    METRIC_RANGES,
    Action,
    ActionStatus,
    Benchmark,
    BenchmarkKind,
    Goal,
    GoalTarget,
    Metric,
    NeedStatement,
    Objective,
    Plan,
    RootCause,
    Strategy,
)
from turnaround.plans.services._common import (
    CREATE,
    DELETE,
    PREPARATION_YEARS,
    UPDATE,
    ItemDeletedError,
    NotANumber,
    audit,
    check_unknown,
    codes,
    edit_access,
    fresh,
    lock_plan,
    long_date,
    monitor_access,
    next_order,
    number_text,
    parse_decimal,
    parse_int,
    parse_number,
    period_dates,
    period_label,
    plain,
    range_text,
    resolve_indicators,
    resolve_priorities,
    school_year_label,
    touch,
)

DeleteResult = Literal["deleted", "retired"]

#: benchmark units: percent 0–100, count ≥ 0, any other number
BENCHMARK_UNITS = {"percent": (0.0, 100.0), "count": (0.0, None), "number": (None, None)}
UNIT_LABELS = {
    "percent": "a percentage (0–100)",
    "count": "a count (0 or more)",
    "number": "a number",
}
#: metrics measured per subject
SUBJECT_METRICS = frozenset(
    {Metric.PROFICIENCY, Metric.COMPOSITE_INDEX, Metric.SCALE_SCORE, Metric.GROWTH}
)
MAX_COST = Decimal("9999999999.99")


# ---------------------------------------------------------------------------------------------
# Shared write steps


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value))


def _required(errors: dict[str, Any], field: str, value: str, message: str, limit: int) -> None:
    if not value:
        errors[field] = message
    elif len(value) > limit:
        errors[field] = f"Keep it to {limit:,} characters; this is {len(value):,}."


def _raise(errors: Mapping[str, Any]) -> None:
    if errors:
        raise ValidationError(dict(errors))


def _create(
    *,
    actor: Any,
    plan: Plan,
    obj: models.Model,
    fields: Iterable[str],
    siblings: models.QuerySet[Any],
    m2m: Mapping[str, list[Any]] | None = None,
    after: Callable[[], dict[str, Any]] | None = None,
) -> None:
    with transaction.atomic():
        lock_plan(plan)
        obj.order = next_order(siblings)  # type: ignore[attr-defined]
        obj.save()
        changes = plain(obj, fields)
        for name, values in (m2m or {}).items():
            getattr(obj, name).set(values)
            changes[name] = _labels(values)
        if after is not None:
            changes.update(after())
        audit(actor=actor, action=CREATE, obj=obj, plan=plan, changes=changes)
        touch(plan)


def _labels(values: Iterable[Any]) -> list[Any]:
    return [v.code if isinstance(v, Indicator) else v.pk for v in values]


def _update(
    *,
    actor: Any,
    plan: Plan,
    obj: models.Model,
    before: dict[str, Any],
    after: dict[str, Any],
    expected_version: int,
    m2m: Mapping[str, list[Any]] | None = None,
    extra: Callable[[], None] | None = None,
    editable: bool = True,
) -> None:
    """Write the fields that changed (``before``/``after`` snapshots, attnames for foreign keys,
    M2M fields as lists) if the stored version is still ``expected_version``."""
    diff = model_changes(before, after)
    if not diff:
        if obj.version != expected_version:  # type: ignore[attr-defined]
            raise StaleEditError(obj)
        return
    concrete = {f.attname for f in obj._meta.concrete_fields}
    fields = [f for f in diff if f in concrete]
    if "updated_at" in concrete and "updated_at" not in fields:
        obj.updated_at = timezone.now()  # type: ignore[attr-defined]
        fields.append("updated_at")
    with transaction.atomic():
        lock_plan(plan, editable=editable)
        save_versioned(obj, fields=fields, expected_version=expected_version)
        for name, values in (m2m or {}).items():
            if name in diff:
                getattr(obj, name).set(values)
        if extra is not None:
            extra()
        audit(actor=actor, action=UPDATE, obj=obj, plan=plan, changes=diff)
        touch(plan)


def _delete(
    *,
    actor: Any,
    access: PlanAccess,
    item: models.Model,
    expected_version: int,
    fields: Iterable[str],
) -> None:
    with transaction.atomic():
        lock_plan(access.plan)
        stored = type(item)._default_manager.filter(pk=item.pk).first()
        if stored is None:
            raise ItemDeletedError(item)
        if stored.version != expected_version:
            raise StaleEditError(stored)
        audit(
            actor=actor, action=DELETE, obj=stored, plan=access.plan, changes=plain(stored, fields)
        )
        stored.delete()
        touch(access.plan)


def _retire(*, actor: Any, access: PlanAccess, item: Any, expected_version: int) -> None:
    with transaction.atomic():
        lock_plan(access.plan)
        item.is_active = False
        save_versioned(item, fields=["is_active"], expected_version=expected_version)
        audit(
            actor=actor,
            action=UPDATE,
            obj=item,
            plan=access.plan,
            changes={"is_active": [True, False], "retired": "reported on in quarterly sessions"},
        )
        touch(access.plan)


# ---------------------------------------------------------------------------------------------
# Needs


NEED_FIELDS = ("statement", "source", "evidence", "priority_id")


def _check_need(plan: Plan, data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    out: dict[str, Any] = {}
    if "statement" in data:
        out["statement"] = _text(data["statement"])
        _required(
            errors,
            "statement",
            out["statement"],
            "State the problem, with the numbers behind it (e.g. “Only 21% of grade 3 students "
            "meet expectations in ELA”).",
            5000,
        )
    if "source" in data:
        out["source"] = _text(data["source"])
        if out["source"] not in NeedStatement.Source.values:
            errors["source"] = "Choose where the need comes from: " + ", ".join(
                f"{v} ({label})" for v, label in NeedStatement.Source.choices
            )
    if "evidence" in data:
        out["evidence"] = _text(data["evidence"])
        if len(out["evidence"]) > 5000:
            errors["evidence"] = "Keep the evidence to 5,000 characters."
    if "priority" in data:
        value = data["priority"]
        if value in (None, ""):
            out["priority_id"] = None
        else:
            try:
                out["priority_id"] = resolve_priorities(plan, [value])[0].pk
            except ValidationError as exc:
                errors["priority"] = exc.message_dict["priorities"]
    _raise(errors)
    return out


def need_create(
    *,
    actor: Any,
    plan: Plan,
    statement: str,
    source: str,
    evidence: str = "",
    priority: Priority | int | None = None,
) -> NeedStatement:
    """Add a problem statement drawn from data or findings (``priority``: the site-visit
    priority it comes from, an agreed priority of this school's or district's assessments)."""
    access = edit_access(actor, plan)
    current = access.plan
    values = _check_need(
        current,
        {"statement": statement, "source": source, "evidence": evidence, "priority": priority},
    )
    need = NeedStatement(plan=current, **values)
    _create(actor=actor, plan=current, obj=need, fields=NEED_FIELDS, siblings=current.needs.all())
    return need


def need_update(
    *, actor: Any, need: NeedStatement, expected_version: int, changes: dict[str, Any]
) -> NeedStatement:
    """Change ``statement``, ``source``, ``evidence`` or ``priority`` (a priority or None)."""
    check_unknown(changes, ("statement", "source", "evidence", "priority"))
    access = edit_access(actor, need.plan_id)
    item = fresh(NeedStatement, need)
    before = plain(item, NEED_FIELDS)
    for field, value in _check_need(access.plan, changes).items():
        setattr(item, field, value)
    _update(
        actor=actor,
        plan=access.plan,
        obj=item,
        before=before,
        after=plain(item, NEED_FIELDS),
        expected_version=expected_version,
    )
    return item


def need_delete(*, actor: Any, need: NeedStatement, expected_version: int) -> DeleteResult:
    """Delete a need and its root causes."""
    access = edit_access(actor, need.plan_id)
    _delete(
        actor=actor, access=access, item=need, expected_version=expected_version, fields=NEED_FIELDS
    )
    return "deleted"


# ---------------------------------------------------------------------------------------------
# Root causes


ROOT_CAUSE_FIELDS = ("need_id", "cause", "evidence")


def _check_root_cause(
    plan: Plan, data: dict[str, Any], keep: Iterable[Indicator] = ()
) -> tuple[dict[str, Any], list[Indicator] | None]:
    errors: dict[str, Any] = {}
    out: dict[str, Any] = {}
    if "cause" in data:
        out["cause"] = _text(data["cause"])
        _required(errors, "cause", out["cause"], "Say what causes the problem.", 5000)
    if "evidence" in data:
        out["evidence"] = _text(data["evidence"])
        _required(
            errors,
            "evidence",
            out["evidence"],
            "Say what shows this is a cause: data, findings or observations.",
            5000,
        )
    indicators = None
    if "indicators" in data:
        try:
            indicators = resolve_indicators(plan, data["indicators"] or (), keep=keep)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    _raise(errors)
    return out, indicators


def _need_of(plan: Plan, need: NeedStatement | int) -> NeedStatement:
    pk = need.pk if isinstance(need, NeedStatement) else need
    found = NeedStatement.objects.filter(pk=pk, plan=plan).first()
    if found is None:
        raise ValidationError({"need": "Choose a need statement of this plan."})
    return found


def root_cause_create(
    *,
    actor: Any,
    need: NeedStatement,
    cause: str,
    evidence: str,
    indicators: Iterable[str | Indicator] = (),
) -> RootCause:
    """Add a root cause of a need, with the evidence behind it and the indicators (codes such as
    ``TP2.3``, of the published framework) it concerns."""
    access = edit_access(actor, need.plan_id)
    current = access.plan
    parent = _need_of(current, need)
    values, found = _check_root_cause(
        current, {"cause": cause, "evidence": evidence, "indicators": list(indicators)}
    )
    root = RootCause(need=parent, **values)
    _create(
        actor=actor,
        plan=current,
        obj=root,
        fields=ROOT_CAUSE_FIELDS,
        siblings=parent.root_causes.all(),
        m2m={"indicators": found or []},
    )
    return root


def _root_snapshot(item: RootCause) -> dict[str, Any]:
    return {**plain(item, ROOT_CAUSE_FIELDS), "indicators": sorted(codes(item.indicators.all()))}


def root_cause_update(
    *, actor: Any, root_cause: RootCause, expected_version: int, changes: dict[str, Any]
) -> RootCause:
    """Change ``cause``, ``evidence``, ``indicators`` (codes) or ``need`` (another need of the
    plan)."""
    check_unknown(changes, ("cause", "evidence", "indicators", "need"))
    plan_id = NeedStatement.objects.filter(pk=root_cause.need_id).values_list("plan_id", flat=True)
    access = edit_access(actor, plan_id.first() or 0)
    item = fresh(RootCause, root_cause)
    before = _root_snapshot(item)
    current_links = list(item.indicators.all())
    values, found = _check_root_cause(access.plan, changes, keep=current_links)
    if "need" in changes:
        values["need_id"] = _need_of(access.plan, changes["need"]).pk
    for field, value in values.items():
        setattr(item, field, value)
    after = {**plain(item, ROOT_CAUSE_FIELDS), "indicators": before["indicators"]}
    if found is not None:
        after["indicators"] = sorted(codes(found))
    _update(
        actor=actor,
        plan=access.plan,
        obj=item,
        before=before,
        after=after,
        expected_version=expected_version,
        m2m={"indicators": found} if found is not None else None,
    )
    return item


def root_cause_delete(*, actor: Any, root_cause: RootCause, expected_version: int) -> DeleteResult:
    plan_id = NeedStatement.objects.filter(pk=root_cause.need_id).values_list("plan_id", flat=True)
    access = edit_access(actor, plan_id.first() or 0)
    _delete(
        actor=actor,
        access=access,
        item=root_cause,
        expected_version=expected_version,
        fields=ROOT_CAUSE_FIELDS,
    )
    return "deleted"


# ---------------------------------------------------------------------------------------------
# Goals and their yearly targets


GOAL_FIELDS = (
    "metric",
    "description",
    "student_group",
    "subject",
    "baseline_value",
    "baseline_year",
    "data_source",
    "statutory_area",
)


def _metric_label(metric: str) -> str:
    return str(Metric(metric).label)


def _value_errors(metric: str, value: float, what: str) -> str | None:
    low, high = METRIC_RANGES[metric]
    if (low is not None and value < low) or (high is not None and value > high):
        return (
            f"{what} must be {range_text(low, high)} for “{_metric_label(metric)}”; "
            f"{number_text(value)} is outside that range."
        )
    return None


def _parse_targets(plan: Plan, raw: Any, errors: dict[str, Any]) -> dict[int, float]:
    """``{year: value}`` from a mapping of year → number (text allowed); a blank value means no
    target for that year. Errors go to ``targets`` or ``targets.<year>``."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        errors["targets"] = "Give the targets as a year → value mapping, e.g. {2027: 30}."
        return {}
    out: dict[int, float] = {}
    for key, value in raw.items():
        try:
            year = parse_int(key)
        except NotANumber:
            errors["targets"] = (
                f"“{key}” is not a year; use spring years such as {plan.first_year}."
            )
            continue
        if year is None:
            continue
        where = f"targets.{year}"
        if not (plan.first_year <= year <= plan.last_year):
            errors[where] = (
                f"{year} ({school_year_label(year)}) is outside the plan period "
                f"{period_label(plan)}; set targets only for the plan's years."
            )
            continue
        try:
            number = parse_number(value)
        except NotANumber as exc:
            errors[where] = (
                f"The target for {school_year_label(year)}: {exc}; enter a number such as 45 or "
                "45.5."
            )
            continue
        if number is not None:
            out[year] = number
    return out


def _check_goal(
    plan: Plan, data: dict[str, Any], current: Goal | None, targets: dict[int, float] | None
) -> tuple[dict[str, Any], dict[int, float] | None]:
    """Validate the goal fields given in ``data`` (merged over ``current``) and its targets.

    ``targets`` are the stored targets (for an update without new targets); ``data["targets"]``
    when present replaces them. Returns (field values, new targets or None for unchanged).
    """
    errors: dict[str, Any] = {}
    out: dict[str, Any] = {}
    for field in ("description", "data_source", "statutory_area", "subject", "student_group"):
        if field in data:
            out[field] = _text(data[field])
    if "metric" in data:
        out["metric"] = _text(data["metric"])
    merged = {f: getattr(current, f) for f in GOAL_FIELDS} if current is not None else {}
    merged.update(out)
    metric = merged.get("metric", "")
    if metric not in Metric.values:
        errors["metric"] = "Choose what the goal measures: " + ", ".join(Metric.values) + "."
    if "description" in out:
        _required(
            errors,
            "description",
            out["description"],
            "Say the goal in words, e.g. “ELA proficiency, all students”.",
            300,
        )
    if len(merged.get("data_source", "")) > 200:
        errors["data_source"] = "Keep the data source to 200 characters."
    if len(merged.get("statutory_area", "")) > 100:
        errors["statutory_area"] = "Keep the goal area to 100 characters."
    if "student_group" in out and not out["student_group"]:
        out["student_group"] = "all"
    group = merged.get("student_group", "all") or "all"
    if group not in StudentGroup.values:
        errors["student_group"] = "Choose a student group: " + ", ".join(StudentGroup.values) + "."
    subject = merged.get("subject", "")
    if subject and subject not in Subject.values:
        errors["subject"] = "Choose ELA, MATH or SCI, or leave it blank."
    elif not subject and metric in SUBJECT_METRICS:
        errors["subject"] = (
            f"Choose the subject (ELA, MATH or SCI) for a goal on “{_metric_label(metric)}”."
        )
    for field in ("baseline_value", "baseline_year"):
        if field in data:
            try:
                out[field] = (parse_number if field == "baseline_value" else parse_int)(data[field])
            except NotANumber as exc:
                label = "The baseline" if field == "baseline_value" else "The baseline year"
                errors[field] = f"{label}: {exc}."
    merged.update(out)
    base, base_year = merged.get("baseline_value"), merged.get("baseline_year")
    if "baseline_value" not in errors and "baseline_year" not in errors:
        if (base is None) != (base_year is None):
            missing = "baseline_year" if base_year is None else "baseline_value"
            errors[missing] = "A baseline needs both a value and the year it is from."
        if base_year is not None and not (plan.first_year - 10 <= base_year <= plan.first_year):
            errors["baseline_year"] = (
                f"The baseline year is the latest year with results before the plan, between "
                f"{plan.first_year - 10} and {plan.first_year}; {base_year} is not."
            )
        if base is not None and metric in Metric.values:
            message = _value_errors(metric, base, "The baseline")
            if message:
                errors["baseline_value"] = message
    new_targets = None
    if "targets" in data:
        new_targets = _parse_targets(plan, data["targets"], errors)
    if metric in Metric.values:
        checked = new_targets if new_targets is not None else (targets or {})
        for year, value in sorted(checked.items()):
            if not (plan.first_year <= year <= plan.last_year):
                errors[f"targets.{year}"] = (
                    f"{year} ({school_year_label(year)}) is outside the plan period "
                    f"{period_label(plan)}; remove that target."
                )
                continue
            message = _value_errors(metric, value, f"The target for {school_year_label(year)}")
            if message:
                errors[f"targets.{year}"] = message
    _raise(errors)
    return out, new_targets


def _targets_of(goal: Goal) -> dict[int, float]:
    return {t.year: t.value for t in GoalTarget.objects.filter(goal=goal)}


def _write_targets(goal: Goal, targets: dict[int, float]) -> None:
    GoalTarget.objects.filter(goal=goal).exclude(year__in=list(targets)).delete()
    existing = {t.year: t for t in GoalTarget.objects.filter(goal=goal)}
    for year, value in targets.items():
        if year in existing:
            if existing[year].value != value:
                GoalTarget.objects.filter(pk=existing[year].pk).update(value=value)
        else:
            GoalTarget.objects.create(goal=goal, year=year, value=value)


def _targets_json(targets: dict[int, float]) -> dict[str, float]:
    return {str(y): v for y, v in sorted(targets.items())}


def goal_create(
    *,
    actor: Any,
    plan: Plan,
    metric: str,
    description: str,
    student_group: str = "all",
    subject: str = "",
    baseline_value: Any = None,
    baseline_year: Any = None,
    data_source: str = "",
    statutory_area: str = "",
    targets: Mapping[Any, Any] | None = None,
) -> Goal:
    """Add a measurable annual goal. ``targets`` maps plan years to values (each within the
    metric's range, ``METRIC_RANGES``); years without a target may stay empty while the plan is a
    draft — submitting it needs one for every year."""
    access = edit_access(actor, plan)
    current = access.plan
    values, new_targets = _check_goal(
        current,
        {
            "metric": metric,
            "description": description,
            "student_group": student_group,
            "subject": subject,
            "baseline_value": baseline_value,
            "baseline_year": baseline_year,
            "data_source": data_source,
            "statutory_area": statutory_area,
            "targets": dict(targets or {}),
        },
        None,
        None,
    )
    goal = Goal(plan=current, **values)
    chosen = new_targets or {}

    def after() -> dict[str, Any]:
        _write_targets(goal, chosen)
        return {"targets": _targets_json(chosen)}

    _create(
        actor=actor,
        plan=current,
        obj=goal,
        fields=GOAL_FIELDS,
        siblings=current.goals.all(),
        after=after,
    )
    return goal


def goal_update(*, actor: Any, goal: Goal, expected_version: int, changes: dict[str, Any]) -> Goal:
    """Change goal fields and/or ``targets`` — the whole set at once: a year left out (or
    blank) has no target afterwards. A change of metric re-checks the stored targets."""
    check_unknown(changes, (*GOAL_FIELDS, "targets"))
    access = edit_access(actor, goal.plan_id)
    item = fresh(Goal, goal)
    stored = _targets_of(item)
    before = {**plain(item, GOAL_FIELDS), "targets": _targets_json(stored)}
    values, new_targets = _check_goal(access.plan, changes, item, stored)
    for field, value in values.items():
        setattr(item, field, value)
    chosen = stored if new_targets is None else new_targets
    after = {**plain(item, GOAL_FIELDS), "targets": _targets_json(chosen)}
    _update(
        actor=actor,
        plan=access.plan,
        obj=item,
        before=before,
        after=after,
        expected_version=expected_version,
        extra=lambda: _write_targets(item, chosen),
    )
    return item


def goal_delete(*, actor: Any, goal: Goal, expected_version: int) -> DeleteResult:
    access = edit_access(actor, goal.plan_id)
    _delete(
        actor=actor, access=access, item=goal, expected_version=expected_version, fields=GOAL_FIELDS
    )
    return "deleted"


# ---------------------------------------------------------------------------------------------
# Objectives


OBJECTIVE_FIELDS = ("title", "description")


def _check_objective(
    plan: Plan, data: dict[str, Any], keep: Iterable[Indicator] = ()
) -> tuple[dict[str, Any], list[Indicator] | None, list[Priority] | None]:
    errors: dict[str, Any] = {}
    out: dict[str, Any] = {}
    if "title" in data:
        out["title"] = _text(data["title"])
        _required(
            errors,
            "title",
            out["title"],
            "Name the objective, e.g. “A tiered system of support in reading”.",
            300,
        )
    if "description" in data:
        out["description"] = _text(data["description"])
        if len(out["description"]) > 5000:
            errors["description"] = "Keep the description to 5,000 characters."
    indicators = priorities = None
    if "indicators" in data:
        try:
            indicators = resolve_indicators(plan, data["indicators"] or (), keep=keep)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if "priorities" in data:
        try:
            priorities = resolve_priorities(plan, data["priorities"] or ())
        except ValidationError as exc:
            errors.update(exc.message_dict)
    _raise(errors)
    return out, indicators, priorities


def objective_create(
    *,
    actor: Any,
    plan: Plan,
    title: str,
    description: str = "",
    indicators: Iterable[str | Indicator] = (),
    priorities: Iterable[Priority | int] = (),
) -> Objective:
    """Add an objective linked to framework indicators (codes) and to site-visit priorities of
    this school's (or district's) assessments."""
    access = edit_access(actor, plan)
    current = access.plan
    values, found, prios = _check_objective(
        current,
        {
            "title": title,
            "description": description,
            "indicators": list(indicators),
            "priorities": list(priorities),
        },
    )
    objective = Objective(plan=current, **values)
    _create(
        actor=actor,
        plan=current,
        obj=objective,
        fields=OBJECTIVE_FIELDS,
        siblings=current.objectives.all(),
        m2m={"indicators": found or [], "priorities": prios or []},
    )
    return objective


def _objective_snapshot(item: Objective) -> dict[str, Any]:
    return {
        **plain(item, (*OBJECTIVE_FIELDS, "is_active")),
        "indicators": sorted(codes(item.indicators.all())),
        "priorities": sorted(item.priorities.values_list("pk", flat=True)),
    }


def objective_update(
    *, actor: Any, objective: Objective, expected_version: int, changes: dict[str, Any]
) -> Objective:
    """Change ``title``, ``description``, ``indicators`` (codes), ``priorities`` (ids), or
    ``is_active`` (True brings a retired objective back)."""
    check_unknown(changes, (*OBJECTIVE_FIELDS, "indicators", "priorities", "is_active"))
    access = edit_access(actor, objective.plan_id)
    item = fresh(Objective, objective)
    before = _objective_snapshot(item)
    values, found, prios = _check_objective(access.plan, changes, keep=item.indicators.all())
    if "is_active" in changes:
        if not isinstance(changes["is_active"], bool):
            raise ValidationError({"is_active": "Give true or false."})
        values["is_active"] = changes["is_active"]
    for field, value in values.items():
        setattr(item, field, value)
    after = {**before, **plain(item, (*OBJECTIVE_FIELDS, "is_active"))}
    m2m: dict[str, list[Any]] = {}
    if found is not None:
        after["indicators"] = sorted(codes(found))
        m2m["indicators"] = found
    if prios is not None:
        after["priorities"] = sorted(p.pk for p in prios)
        m2m["priorities"] = prios
    _update(
        actor=actor,
        plan=access.plan,
        obj=item,
        before=before,
        after=after,
        expected_version=expected_version,
        m2m=m2m,
    )
    return item


def objective_has_history(objective: Objective) -> bool:
    """Quarterly sessions reported on it: a benchmark of it has statuses, or a next step names
    it."""
    from turnaround.monitoring.models import BenchmarkStatus, NextStep

    return (
        BenchmarkStatus.objects.filter(benchmark__objective=objective).exists()
        or NextStep.objects.filter(objective=objective).exists()
    )


def objective_delete(*, actor: Any, objective: Objective, expected_version: int) -> DeleteResult:
    """Delete an objective with its strategies and actions — or, when quarterly sessions
    reported on it, retire it (it leaves the plan, the monitoring history keeps it)."""
    access = edit_access(actor, objective.plan_id)
    item = fresh(Objective, objective)
    if objective_has_history(item):
        _retire(actor=actor, access=access, item=item, expected_version=expected_version)
        return "retired"
    _delete(
        actor=actor,
        access=access,
        item=item,
        expected_version=expected_version,
        fields=OBJECTIVE_FIELDS,
    )
    return "deleted"


# ---------------------------------------------------------------------------------------------
# Strategies


STRATEGY_FIELDS = ("objective_id", "title", "rationale")


def _objective_of(plan: Plan, objective: Objective | int) -> Objective:
    pk = objective.pk if isinstance(objective, Objective) else objective
    found = Objective.objects.filter(pk=pk, plan=plan).first()
    if found is None:
        raise ValidationError({"objective": "Choose an objective of this plan."})
    if not found.is_active:
        raise ValidationError(
            {"objective": f"The objective “{found}” is retired; choose an active one."}
        )
    return found


def _check_strategy(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    out: dict[str, Any] = {}
    if "title" in data:
        out["title"] = _text(data["title"])
        _required(
            errors, "title", out["title"], "Name the strategy, e.g. “Universal screening”.", 300
        )
    if "rationale" in data:
        out["rationale"] = _text(data["rationale"])
        if len(out["rationale"]) > 5000:
            errors["rationale"] = "Keep the rationale to 5,000 characters."
    _raise(errors)
    return out


def strategy_create(
    *, actor: Any, objective: Objective, title: str, rationale: str = ""
) -> Strategy:
    access = edit_access(actor, objective.plan_id)
    parent = _objective_of(access.plan, objective)
    strategy = Strategy(
        objective=parent, **_check_strategy({"title": title, "rationale": rationale})
    )
    _create(
        actor=actor,
        plan=access.plan,
        obj=strategy,
        fields=STRATEGY_FIELDS,
        siblings=parent.strategies.all(),
    )
    return strategy


def _plan_id_of_strategy(strategy: Strategy) -> int:
    return (
        Objective.objects.filter(pk=strategy.objective_id).values_list("plan_id", flat=True).first()
        or 0
    )


def strategy_update(
    *, actor: Any, strategy: Strategy, expected_version: int, changes: dict[str, Any]
) -> Strategy:
    """Change ``title``, ``rationale`` or ``objective`` (another active objective of the plan)."""
    check_unknown(changes, ("title", "rationale", "objective"))
    access = edit_access(actor, _plan_id_of_strategy(strategy))
    item = fresh(Strategy, strategy)
    before = plain(item, STRATEGY_FIELDS)
    values = _check_strategy(changes)
    if "objective" in changes:
        values["objective_id"] = _objective_of(access.plan, changes["objective"]).pk
    for field, value in values.items():
        setattr(item, field, value)
    _update(
        actor=actor,
        plan=access.plan,
        obj=item,
        before=before,
        after=plain(item, STRATEGY_FIELDS),
        expected_version=expected_version,
    )
    return item


def strategy_delete(*, actor: Any, strategy: Strategy, expected_version: int) -> DeleteResult:
    """Delete a strategy and its actions."""
    access = edit_access(actor, _plan_id_of_strategy(strategy))
    _delete(
        actor=actor,
        access=access,
        item=strategy,
        expected_version=expected_version,
        fields=STRATEGY_FIELDS,
    )
    return "deleted"


# ---------------------------------------------------------------------------------------------
# Actions


ACTION_FIELDS = (
    "strategy_id",
    "title",
    "owner",
    "owner_user_id",
    "starts_on",
    "due_on",
    "status",
    "cost",
    "funding_source",
    "completed_on",
)
ACTION_CONTENT = (
    "strategy",
    "title",
    "owner",
    "owner_user",
    "starts_on",
    "due_on",
    "status",
    "cost",
    "funding_source",
    "completed_on",
)
#: what monitoring changes in any plan status
ACTION_STATUS_FIELDS = frozenset({"status", "completed_on"})


def _date(value: Any, field: str, label: str, errors: dict[str, Any]) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors[field] = f"{label}: “{value}” is not a date; write it as YYYY-MM-DD."
        return None


def check_action_dates(plan: Plan, starts_on: dt.date, due_on: dt.date) -> dict[str, str]:
    """The plan period runs from 1 July before the first plan year to 30 June of the last.

    An action may start (and even finish) up to ``PREPARATION_YEARS`` (one year) before the first
    plan year: plans are written and approved in the spring before they begin, and hiring,
    scheduling, contracting and summer training have to happen before students arrive. It must be
    due by the end of the plan period.
    """
    errors: dict[str, str] = {}
    begins, ends = period_dates(plan.first_year, plan.last_year)
    earliest = begins.replace(year=begins.year - PREPARATION_YEARS)
    if due_on < starts_on:
        errors["due_on"] = (
            f"The due date ({long_date(due_on)}) is before the start date "
            f"({long_date(starts_on)}); an action is due on or after the day it starts."
        )
    if starts_on < earliest:
        errors["starts_on"] = (
            f"An action may start at the earliest on {long_date(earliest)}, a year before the "
            f"plan begins on {long_date(begins)} (time to prepare); {long_date(starts_on)} is "
            "earlier."
        )
    if due_on > ends:
        errors.setdefault(
            "due_on",
            f"An action must be due within the plan period {period_label(plan)}, which ends on "
            f"{long_date(ends)}; {long_date(due_on)} is later.",
        )
    return errors


def _check_action(plan: Plan, data: dict[str, Any], current: Action | None) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    out: dict[str, Any] = {}
    if "strategy" in data:
        value = data["strategy"]
        pk = value.pk if isinstance(value, Strategy) else value
        strategy = Strategy.objects.filter(pk=pk, objective__plan=plan).select_related("objective")
        found = strategy.first()
        if found is None:
            errors["strategy"] = "Choose a strategy of this plan."
        else:
            out["strategy_id"] = found.pk
    for field, message in (
        ("title", "Say what will be done, e.g. “Train grade teams on the screener”."),
        ("owner", "Name the person or role responsible, e.g. “Assistant principal”."),
    ):
        if field in data:
            out[field] = _text(data[field])
            _required(errors, field, out[field], message, 300 if field == "title" else 200)
    if "owner_user" in data:
        user = data["owner_user"]
        if user in (None, ""):
            out["owner_user_id"] = None
        else:
            if not isinstance(user, User):
                user = User.objects.filter(pk=user).first()
            if user is None or not visible_plans(user).filter(pk=plan.pk).exists():
                name = user.get_username() if user is not None else "That person"
                errors["owner_user"] = (
                    f"{name} cannot see this plan; choose someone who can, or write the "
                    "owner's name or role only."
                )
            else:
                out["owner_user_id"] = user.pk
    for field, label in (("starts_on", "The start date"), ("due_on", "The due date")):
        if field in data:
            out[field] = _date(data[field], field, label, errors)
            if out[field] is None and field not in errors:
                errors[field] = f"{label} is required."
    if "completed_on" in data:
        out["completed_on"] = _date(data["completed_on"], "completed_on", "The date done", errors)
    if "status" in data:
        out["status"] = _text(data["status"]) or ActionStatus.NOT_STARTED
        if out["status"] not in ActionStatus.values:
            errors["status"] = "Choose a status: " + ", ".join(ActionStatus.values) + "."
    if "cost" in data:
        try:
            cost = parse_decimal(data["cost"])
        except NotANumber as exc:
            errors["cost"] = f"The cost: {exc}; enter an amount in dollars such as 12500."
        else:
            if cost is not None and cost < 0:
                errors["cost"] = (
                    f"A cost cannot be negative ({number_text(cost)}); enter 0 or more dollars."
                )
            elif cost is not None and cost > MAX_COST:
                errors["cost"] = "A cost is at most $9,999,999,999.99."
            out["cost"] = (
                None if cost is None else cost.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            )
    if "funding_source" in data:
        out["funding_source"] = _text(data["funding_source"])
        if out["funding_source"] and out["funding_source"] not in FundingSource.values:
            errors["funding_source"] = (
                "Choose a funding source: "
                + ", ".join(FundingSource.values)
                + ", or leave it blank."
            )
    merged = {f: getattr(current, f) for f in ACTION_FIELDS} if current is not None else {}
    merged.update(out)
    starts, due = merged.get("starts_on"), merged.get("due_on")
    if starts is not None and due is not None and not ({"starts_on", "due_on"} & set(errors)):
        errors.update(check_action_dates(plan, starts, due))
    status = merged.get("status", ActionStatus.NOT_STARTED)
    done = merged.get("completed_on")
    if status == ActionStatus.DONE:
        if done is None:
            out["completed_on"] = timezone.localdate()
        elif done > timezone.localdate():
            errors["completed_on"] = "The date done cannot be in the future."
    elif "status" in out or "completed_on" in out:
        out["completed_on"] = None
    _raise(errors)
    return out


def action_create(
    *,
    actor: Any,
    strategy: Strategy,
    title: str,
    owner: str,
    starts_on: dt.date,
    due_on: dt.date,
    owner_user: User | None = None,
    status: str = ActionStatus.NOT_STARTED,
    cost: Any = None,
    funding_source: str = "",
) -> Action:
    """Add an action to a strategy: owner (a name or role, and optionally the user responsible),
    dates inside the plan period (see ``check_action_dates``), status, cost (≥ 0 dollars) and
    funding source."""
    access = edit_access(actor, _plan_id_of_strategy(strategy))
    current = access.plan
    values = _check_action(
        current,
        {
            "strategy": strategy,
            "title": title,
            "owner": owner,
            "owner_user": owner_user,
            "starts_on": starts_on,
            "due_on": due_on,
            "status": status,
            "cost": cost,
            "funding_source": funding_source,
        },
        None,
    )
    action = Action(**values)
    _create(
        actor=actor,
        plan=current,
        obj=action,
        fields=ACTION_FIELDS,
        siblings=Action.objects.filter(strategy_id=values["strategy_id"]),
    )
    return action


def _plan_id_of_action(action: Action) -> int:
    return (
        Strategy.objects.filter(pk=action.strategy_id)
        .values_list("objective__plan_id", flat=True)
        .first()
        or 0
    )


def action_update(
    *, actor: Any, action: Action, expected_version: int, changes: dict[str, Any]
) -> Action:
    """Change an action. A change of ``status`` (and ``completed_on``) alone is monitoring: the
    plan's authors and state staff make it in any plan status, approved plans included. Any other
    field is plan content and needs ``can_edit``. Marking an action done records today as the
    date done unless ``completed_on`` is given; moving it out of done clears that date."""
    check_unknown(changes, ACTION_CONTENT)
    plan_id = _plan_id_of_action(action)
    status_only = bool(changes) and set(changes) <= ACTION_STATUS_FIELDS
    access = monitor_access(actor, plan_id) if status_only else edit_access(actor, plan_id)
    item = fresh(Action, action)
    before = plain(item, ACTION_FIELDS)
    for field, value in _check_action(access.plan, changes, item).items():
        setattr(item, field, value)
    _update(
        actor=actor,
        plan=access.plan,
        obj=item,
        before=before,
        after=plain(item, ACTION_FIELDS),
        expected_version=expected_version,
        editable=not status_only,
    )
    return item


def action_delete(*, actor: Any, action: Action, expected_version: int) -> DeleteResult:
    access = edit_access(actor, _plan_id_of_action(action))
    _delete(
        actor=actor,
        access=access,
        item=action,
        expected_version=expected_version,
        fields=ACTION_FIELDS,
    )
    return "deleted"


# ---------------------------------------------------------------------------------------------
# Benchmarks


BENCHMARK_FIELDS = (
    "objective_id",
    "kind",
    "measure",
    "data_source",
    "unit",
    "baseline",
    "target",
    "due_year",
    "due_quarter",
    "frequency",
    "is_active",
)
BENCHMARK_CONTENT = (
    "objective",
    "kind",
    "measure",
    "data_source",
    "unit",
    "baseline",
    "target",
    "due_year",
    "due_quarter",
    "frequency",
    "is_active",
)


def _check_benchmark(plan: Plan, data: dict[str, Any], current: Benchmark | None) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    out: dict[str, Any] = {}
    if "kind" in data:
        out["kind"] = _text(data["kind"])
        if out["kind"] not in BenchmarkKind.values:
            errors["kind"] = (
                "Choose the kind: educator (adult practice, process) or student (early evidence)."
            )
    for field, message, limit in (
        (
            "measure",
            "Say what is measured, e.g. “Teachers receiving feedback after an observation (%)”.",
            300,
        ),
        ("data_source", "Say where the numbers come from, e.g. “walkthrough log”.", 200),
    ):
        if field in data:
            out[field] = _text(data[field])
            _required(errors, field, out[field], message, limit)
    if "frequency" in data:
        out["frequency"] = _text(data["frequency"])
        if len(out["frequency"]) > 50:
            errors["frequency"] = "Keep the frequency to 50 characters, e.g. “monthly”."
    if "unit" in data:
        out["unit"] = _text(data["unit"]) or "percent"
        if out["unit"] not in BENCHMARK_UNITS:
            errors["unit"] = "Choose the unit: percent (0–100), count (0 or more) or number."
    if "objective" in data:
        value = data["objective"]
        if value in (None, ""):
            out["objective_id"] = None
        else:
            try:
                out["objective_id"] = _objective_of(plan, value).pk
            except ValidationError as exc:
                errors.update(exc.message_dict)
    for field, label in (("baseline", "The baseline"), ("target", "The target")):
        if field in data:
            try:
                out[field] = parse_number(data[field])
            except NotANumber as exc:
                errors[field] = f"{label}: {exc}; enter a number such as 80."
            else:
                if out[field] is None and field == "target":
                    errors[field] = "Set the target the benchmark aims at."
    for field, label in (("due_year", "The year due"), ("due_quarter", "The quarter due")):
        if field in data:
            try:
                out[field] = parse_int(data[field])
            except NotANumber as exc:
                errors[field] = f"{label}: {exc}."
            else:
                if out[field] is None:
                    errors[field] = f"{label} is required."
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            errors["is_active"] = "Give true or false."
        else:
            out["is_active"] = data["is_active"]
    merged = {f: getattr(current, f) for f in BENCHMARK_FIELDS} if current is not None else {}
    merged.update(out)
    unit = merged.get("unit", "percent")
    if unit in BENCHMARK_UNITS:
        low, high = BENCHMARK_UNITS[unit]
        for field, label in (("baseline", "baseline"), ("target", "target")):
            value = merged.get(field)
            if (
                field not in errors
                and value is not None
                and not ((low is None or value >= low) and (high is None or value <= high))
            ):
                errors[field] = (
                    f"The {label} is {UNIT_LABELS[unit]}, so it must be {range_text(low, high)}; "
                    f"{number_text(value)} is outside that range."
                )
    year = merged.get("due_year")
    if (
        "due_year" not in errors
        and year is not None
        and not (plan.first_year <= year <= plan.last_year)
    ):
        errors["due_year"] = (
            f"The benchmark is due in {year} ({school_year_label(year)}), outside the plan "
            f"period {period_label(plan)}; choose a year of the plan."
        )
    quarter = merged.get("due_quarter")
    if "due_quarter" not in errors and quarter is not None and not (1 <= quarter <= 4):
        errors["due_quarter"] = (
            f"Choose a quarter from 1 to 4 (Q1 July–September … Q4 April–June); {quarter} is "
            "not one."
        )
    _raise(errors)
    return out


def benchmark_create(
    *,
    actor: Any,
    plan: Plan,
    kind: str,
    measure: str,
    data_source: str,
    target: Any,
    due_year: Any,
    due_quarter: Any,
    unit: str = "percent",
    baseline: Any = None,
    frequency: str = "quarterly",
    objective: Objective | int | None = None,
) -> Benchmark:
    """Add an educator/process or student/early-evidence benchmark: due in a year of the plan
    period and a quarter 1–4; a percentage is 0–100, a count 0 or more."""
    access = edit_access(actor, plan)
    current = access.plan
    values = _check_benchmark(
        current,
        {
            "kind": kind,
            "measure": measure,
            "data_source": data_source,
            "unit": unit,
            "baseline": baseline,
            "target": target,
            "due_year": due_year,
            "due_quarter": due_quarter,
            "frequency": frequency,
            "objective": objective,
        },
        None,
    )
    benchmark = Benchmark(plan=current, **values)
    _create(
        actor=actor,
        plan=current,
        obj=benchmark,
        fields=BENCHMARK_FIELDS,
        siblings=current.benchmarks.filter(kind=values["kind"]),
    )
    return benchmark


def benchmark_update(
    *, actor: Any, benchmark: Benchmark, expected_version: int, changes: dict[str, Any]
) -> Benchmark:
    """Change benchmark fields (``objective`` an objective of the plan or None; ``is_active``
    True brings a retired benchmark back)."""
    check_unknown(changes, BENCHMARK_CONTENT)
    access = edit_access(actor, benchmark.plan_id)
    item = fresh(Benchmark, benchmark)
    before = plain(item, BENCHMARK_FIELDS)
    for field, value in _check_benchmark(access.plan, changes, item).items():
        setattr(item, field, value)
    _update(
        actor=actor,
        plan=access.plan,
        obj=item,
        before=before,
        after=plain(item, BENCHMARK_FIELDS),
        expected_version=expected_version,
    )
    return item


def benchmark_has_history(benchmark: Benchmark) -> bool:
    from turnaround.monitoring.models import BenchmarkStatus

    return BenchmarkStatus.objects.filter(benchmark=benchmark).exists()


def benchmark_delete(*, actor: Any, benchmark: Benchmark, expected_version: int) -> DeleteResult:
    """Delete a benchmark — or, when quarterly sessions recorded statuses for it, retire it."""
    access = edit_access(actor, benchmark.plan_id)
    item = fresh(Benchmark, benchmark)
    if benchmark_has_history(item):
        _retire(actor=actor, access=access, item=item, expected_version=expected_version)
        return "retired"
    _delete(
        actor=actor,
        access=access,
        item=item,
        expected_version=expected_version,
        fields=BENCHMARK_FIELDS,
    )
    return "deleted"


# ---------------------------------------------------------------------------------------------
# Order


#: kind (as in URLs and the API) → (model, the field that groups siblings)
ITEM_KINDS: dict[str, tuple[type[models.Model], str]] = {
    "needs": (NeedStatement, "plan_id"),
    "root-causes": (RootCause, "need_id"),
    "goals": (Goal, "plan_id"),
    "objectives": (Objective, "plan_id"),
    "strategies": (Strategy, "objective_id"),
    "actions": (Action, "strategy_id"),
    "benchmarks": (Benchmark, "plan_id"),
}


def _plan_filter(kind: str, plan: Plan) -> dict[str, Any]:
    return {
        "root-causes": {"need__plan": plan},
        "strategies": {"objective__plan": plan},
        "actions": {"strategy__objective__plan": plan},
    }.get(kind, {"plan": plan})


def _siblings(kind: str, item: Any) -> models.QuerySet[Any]:
    model, group = ITEM_KINDS[kind]
    qs = model._default_manager.filter(**{group: getattr(item, group)})
    if kind == "benchmarks":
        qs = qs.filter(kind=item.kind)
    return qs.order_by("order", "pk")


def items_reorder(*, actor: Any, plan: Plan, kind: str, ordered_ids: list[int]) -> None:
    """Put sibling items (the needs of a plan, the root causes of one need, the strategies of one
    objective, the actions of one strategy, the benchmarks of one kind, …) in the given order.
    ``ordered_ids`` lists every sibling once. Order is not content another editor works on, so
    it does not change the items' versions."""
    if kind not in ITEM_KINDS:
        raise ValidationError({"kind": "Choose one of: " + ", ".join(ITEM_KINDS) + "."})
    access = edit_access(actor, plan)
    model, _ = ITEM_KINDS[kind]
    ids = [int(i) for i in ordered_ids]
    items = {
        i.pk: i
        for i in model._default_manager.filter(pk__in=ids, **_plan_filter(kind, access.plan))
    }
    if not ids or len(items) != len(ids) or len(set(ids)) != len(ids):
        raise ValidationError({"ids": f"List each of the {kind.replace('-', ' ')} once."})
    siblings = list(_siblings(kind, items[ids[0]]).values_list("pk", flat=True))
    if sorted(siblings) != sorted(ids):
        raise ValidationError(
            {"ids": f"List all the {kind.replace('-', ' ')} of the same group, and only those."}
        )
    with transaction.atomic():
        lock_plan(access.plan)
        for position, pk in enumerate(ids):
            model._default_manager.filter(pk=pk).update(order=position)
        audit(
            actor=actor,
            action=UPDATE,
            obj=access.plan,
            plan=access.plan,
            changes={"reordered": kind, "ids": ids},
        )
        touch(access.plan)


def item_move(*, actor: Any, kind: str, item: Any, direction: str) -> None:
    """Move one item up or down among its siblings (the pages' buttons)."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": "Move up or down."})
    ids = list(_siblings(kind, item).values_list("pk", flat=True))
    if item.pk not in ids:
        raise ItemDeletedError(item)
    at = ids.index(item.pk)
    to = at - 1 if direction == "up" else at + 1
    if not 0 <= to < len(ids):
        return
    ids[at], ids[to] = ids[to], ids[at]
    plan_id = {
        "root-causes": lambda: NeedStatement.objects.get(pk=item.need_id).plan_id,
        "strategies": lambda: Objective.objects.get(pk=item.objective_id).plan_id,
        "actions": lambda: _plan_id_of_action(item),
    }.get(kind, lambda: item.plan_id)()
    items_reorder(actor=actor, plan=Plan(pk=plan_id), kind=kind, ordered_ids=ids)
