"""What every plan service shares: who may write, the lock once a plan leaves the authors' hands,
the audit entry, bumping the plan's "last update", and the checks of numbers, years, dates,
indicators and priorities against the plan."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.utils import timezone

from turnaround.assessments.models import Priority
from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record, snapshot
from turnaround.core.concurrency import StaleEditError, save_versioned
from turnaround.frameworks.models import FrameworkVersion, Indicator
from turnaround.frameworks.selectors import (
    DISTRICT_CAPACITY,
    TURNAROUND_PRACTICES,
    current_version,
)
from turnaround.plans.access import PlanAccess, get_plan_for_user, state_id_of
from turnaround.plans.models import EDITABLE_STATUSES, Plan, PlanStatus

CREATE, UPDATE, DELETE = (
    AuditEvent.Action.CREATE,
    AuditEvent.Action.UPDATE,
    AuditEvent.Action.DELETE,
)

#: how long before the first plan year an action may start (see ``check_action_dates``)
PREPARATION_YEARS = 1


class PlanLockedError(Exception):
    """A content edit of a plan that is not a draft or returned (submitted or approved)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        super().__init__(locked_message(plan))


class ItemDeletedError(StaleEditError):
    """The item was deleted by someone else after the editor loaded it."""

    def __init__(self, obj: models.Model) -> None:
        self.obj = obj
        Exception.__init__(
            self,
            f"{str(obj._meta.verbose_name).capitalize()} “{obj}” was deleted by someone else "
            "after you opened it; there is nothing left to change.",
        )


def locked_message(plan: Plan) -> str:
    """Why the content of ``plan`` cannot change now, naming its status and the way forward."""
    status = plan.status
    if status == PlanStatus.STATE_APPROVED:
        return "This plan is approved by the state; ask for an amendment to change it."
    if status == PlanStatus.DISTRICT_APPROVED:
        return (
            "This plan is approved by the district and waiting for the state; it can change "
            "only if the state returns it with comments."
        )
    if status == PlanStatus.SUBMITTED:
        return (
            "This plan is submitted for approval; it can change only if it is returned with "
            "comments."
        )
    return f"This plan is {plan.get_status_display().lower()}; its content cannot change now."


# ---------------------------------------------------------------------------------------------
# Who may write


def access_of(actor: Any, plan: Plan | int) -> PlanAccess:
    """The actor's access to the stored plan (read fresh: status and version are current).

    Raises ``PermissionDenied`` when the actor cannot see the plan at all.
    """
    pk = plan if isinstance(plan, int) else plan.pk
    try:
        return get_plan_for_user(actor, pk)
    except Http404 as exc:
        raise PermissionDenied("You cannot see this plan.") from exc


def not_author_message(access: PlanAccess) -> str:
    who = (
        "the school's leaders and its district's leaders"
        if access.plan.school_id is not None
        else "the district's leaders"
    )
    tail = " and comment on it" if access.can_comment else ""
    return f"Only {who} change this plan's content; you can read it{tail}."


def edit_access(actor: Any, plan: Plan | int) -> PlanAccess:
    """Access for a content edit: an author, while the plan is a draft or returned."""
    access = access_of(actor, plan)
    if not access.is_author:
        raise PermissionDenied(not_author_message(access))
    if not access.plan.is_editable:
        raise PlanLockedError(access.plan)
    return access


def monitor_access(actor: Any, plan: Plan | int) -> PlanAccess:
    """Access for monitoring writes (action statuses): authors and state staff, in any status."""
    access = access_of(actor, plan)
    if not access.can_monitor:
        raise PermissionDenied(
            "Only the plan's authors and state turnaround staff update the status of actions."
        )
    return access


def lock_plan(plan: Plan, *, editable: bool = True) -> Plan:
    """Inside a transaction: lock the plan row (so a workflow transition cannot slip in between
    the check and the write) and re-check that its content is still editable."""
    locked = Plan.objects.select_for_update().get(pk=plan.pk)
    if editable and locked.status not in EDITABLE_STATUSES:
        raise PlanLockedError(locked)
    return locked


def touch(plan: Plan) -> None:
    """Every write to a plan's content moves its "last update" (dashboards count days since)."""
    now = timezone.now()
    Plan.objects.filter(pk=plan.pk).update(updated_at=now)
    plan.updated_at = now


def audit(
    *, actor: Any, action: str, obj: models.Model, plan: Plan, changes: dict[str, Any] | None = None
) -> None:
    audit_record(actor=actor, action=action, obj=obj, state_id=state_id_of(plan), changes=changes)


def plain(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return snapshot(obj, fields)


def fresh(model: type[models.Model], obj: models.Model) -> Any:
    """The stored row of ``obj``; ``ItemDeletedError`` when it is gone."""
    found = model._default_manager.filter(pk=obj.pk).first()
    if found is None:
        raise ItemDeletedError(obj)
    return found


def save_item(obj: models.Model, *, fields: list[str], expected_version: int) -> None:
    save_versioned(obj, fields=fields, expected_version=expected_version)


def check_unknown(changes: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed here."))


# ---------------------------------------------------------------------------------------------
# Words for years and periods


def school_year_label(year: int) -> str:
    """``2027`` → ``2026–27`` (years are spring years)."""
    return f"{year - 1}–{str(year)[-2:]}"


def period_label(plan: Plan | tuple[int, int]) -> str:
    first, last = (plan.first_year, plan.last_year) if isinstance(plan, Plan) else plan
    if first == last:
        return f"{first} (school year {school_year_label(first)})"
    return f"{first}–{last} (school years {school_year_label(first)} to {school_year_label(last)})"


def period_dates(first_year: int, last_year: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a plan period: 1 July before the first spring year to 30 June
    of the last."""
    return dt.date(first_year - 1, 7, 1), dt.date(last_year, 6, 30)


def long_date(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def number_text(value: float | Decimal | None) -> str:
    if value is None:
        return "blank"
    f = float(value)
    return str(int(f)) if f.is_integer() else f"{f:g}"


# ---------------------------------------------------------------------------------------------
# Numbers


class NotANumber(ValueError):
    pass


def parse_number(value: Any) -> float | None:
    """A finite number from a number or text (``None`` and blank text are "no value").

    Raises ``NotANumber`` (with the plain-English reason) for anything else.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise NotANumber(f"“{value}” is not a number")
    if isinstance(value, (int, float, Decimal)):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise NotANumber(f"“{value.strip()}” is not a number") from None
    else:
        raise NotANumber(f"“{value}” is not a number")
    if math.isnan(number) or math.isinf(number):
        raise NotANumber(f"“{value}” is not a number")
    return number


def parse_decimal(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise NotANumber(f"“{value}” is not a number")
    try:
        number = Decimal(str(value).strip().replace(",", "").lstrip("$"))
    except (InvalidOperation, ValueError):
        raise NotANumber(f"“{value}” is not a number") from None
    if not number.is_finite():
        raise NotANumber(f"“{value}” is not a number")
    return number


def parse_int(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise NotANumber(f"“{value}” is not a whole number")
    if isinstance(value, int):
        return value
    try:
        number = float(str(value).strip())
    except ValueError:
        raise NotANumber(f"“{value}” is not a whole number") from None
    if not number.is_integer():
        raise NotANumber(f"“{value}” is not a whole number")
    return int(number)


def range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"between {number_text(low)} and {number_text(high)}"
    if low is not None:
        return f"at least {number_text(low)}"
    if high is not None:
        return f"at most {number_text(high)}"
    return "any number"


def in_range(value: float, low: float | None, high: float | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


# ---------------------------------------------------------------------------------------------
# Framework indicators and site-visit priorities


def framework_versions(plan: Plan) -> list[FrameworkVersion]:
    """The published frameworks a plan's items link to: the Turnaround Practices (and, for the
    district's own work, district capacity) as published for the plan's state."""
    from turnaround.organizations.models import State

    state = State.objects.filter(pk=state_id_of(plan)).first()
    found = [current_version(key, state=state) for key in (TURNAROUND_PRACTICES, DISTRICT_CAPACITY)]
    return [v for v in found if v is not None]


def indicator_queryset(plan: Plan) -> models.QuerySet[Indicator]:
    versions = framework_versions(plan)
    return (
        Indicator.objects.filter(framework_version__in=versions)
        .select_related("component__practice", "framework_version__framework")
        .order_by("framework_version__framework__key", "component__practice__position", "position")
    )


def resolve_indicators(
    plan: Plan, values: Iterable[str | Indicator], *, keep: Iterable[Indicator] = ()
) -> list[Indicator]:
    """Indicators by code (``TP1.3``) or object, from the published frameworks of the plan's
    state; ``keep`` (the item's current links) stays valid even if its version was superseded."""
    kept = {i.pk: i for i in keep}
    versions = framework_versions(plan)
    out: list[Indicator] = []
    unknown: list[str] = []
    for value in values:
        if isinstance(value, Indicator):
            if value.pk in kept or value.framework_version_id in {v.pk for v in versions}:
                out.append(value)
                continue
            value = value.code
        code = str(value).strip()
        if not code:
            continue
        match = next((i for i in kept.values() if i.code == code), None)
        if match is None:
            match = (
                Indicator.objects.filter(framework_version__in=versions, code=code)
                .order_by("framework_version__framework__key")
                .first()
            )
        if match is None:
            unknown.append(code)
        else:
            out.append(match)
    if unknown:
        if not versions:
            raise ValidationError(
                {
                    "indicators": "No framework is published for this state yet, so indicators "
                    "cannot be linked; a state administrator publishes the Turnaround Practices "
                    "first."
                }
            )
        names = " or ".join(str(v) for v in versions)
        raise ValidationError(
            {
                "indicators": [
                    f"{code} is not an indicator of the published framework ({names})."
                    for code in unknown
                ]
            }
        )
    return list({i.pk: i for i in out}.values())


def organisation_name(plan: Plan) -> str:
    org = plan.school if plan.school_id is not None else plan.district
    return str(getattr(org, "name", org))


def priority_queryset(plan: Plan) -> models.QuerySet[Priority]:
    """Priorities a plan may link: agreed (or already taken) priorities of the assessments of the
    plan's own school or district."""
    qs = Priority.objects.exclude(status=Priority.Status.PROPOSED)
    if plan.school_id is not None:
        qs = qs.filter(assessment__school_id=plan.school_id)
    else:
        qs = qs.filter(assessment__district_id=plan.district_id)
    return qs.select_related("assessment", "practice", "indicator").order_by(
        "-assessment__start_date", "rank"
    )


def resolve_priorities(plan: Plan, values: Iterable[int | Priority | str]) -> list[Priority]:
    wanted: list[int] = []
    bad: list[str] = []
    for value in values:
        if isinstance(value, Priority):
            wanted.append(value.pk)
            continue
        try:
            wanted.append(int(value))
        except (TypeError, ValueError):
            bad.append(str(value))
    found = {p.pk: p for p in priority_queryset(plan).filter(pk__in=wanted)}
    bad += [f"#{pk}" for pk in wanted if pk not in found]
    if bad:
        name = organisation_name(plan)
        raise ValidationError(
            {
                "priorities": [
                    f"Priority {b} is not an agreed priority of an assessment of {name}."
                    for b in dict.fromkeys(bad)
                ]
            }
        )
    return [found[pk] for pk in dict.fromkeys(wanted)]


def next_order(qs: models.QuerySet[Any]) -> int:
    last = qs.aggregate(m=models.Max("order"))["m"]
    return 0 if last is None else last + 1


def codes(indicators: Sequence[Indicator]) -> list[str]:
    return [i.code for i in indicators]
