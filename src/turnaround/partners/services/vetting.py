"""Vetting cycles: criteria, applications, reviews with conflict declarations, scores, decisions
and the Priority Partner designations they create.

Every write is a keyword-only ``<entity>_<action>`` function that checks who is acting and what
is asked *before* it saves, runs inside one transaction, records an audit event, and raises
``ValidationError`` (per-field messages saying what is wrong and how to fix it) or
``PermissionDenied`` (the reason) with nothing written.

The life of a cycle is ``draft → open → review → decided`` (``CYCLE_MOVES``):

- *draft*: the state administrator sets areas, dates, the score scale, the approval threshold and
  the weighted criteria; a cycle opens only with at least one criterion.
- *open*: partner staff apply (a draft they may edit, then submit, or withdraw); the
  administrator assigns reviewers to submitted applications. Criteria may still change.
- *review*: criteria are frozen; each reviewer first declares a conflict of interest ("none" or
  "declared" with a note) and, without a conflict, scores every criterion once on the cycle's
  scale, then submits (scores are locked after that). The administrator records a decision per
  application; an approval creates one ``PriorityDesignation`` per approved area.
- *decided*: every submitted application has a decision.

Reads shared by the pages and the API (``weighted_score``, ``score_summary``,
``designation_status``, ``eligible_reviewers``) live here too; who may *see* them is
``partners.access``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.http import Http404
from django.utils import timezone

from turnaround.accounts.access import get_reach
from turnaround.accounts.models import Membership, Role, User
from turnaround.analytics.agreement import AlphaResult, krippendorff_alpha, unit_descriptives
from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record, model_changes, snapshot
from turnaround.core.concurrency import save_versioned
from turnaround.organizations.models import PartnerOrganization, State
from turnaround.partners.access import (
    ApplicationAccess,
    get_application_for_user,
    partner_ids_of,
)
from turnaround.partners.models import (
    Application,
    Criterion,
    Decision,
    EvidenceClaim,
    PriorityDesignation,
    ReviewAssignment,
    Score,
    VettingCycle,
)
from turnaround.partners.needs import GradeBand, NeedArea, area_label

__all__ = [
    "CYCLE_MOVES",
    "REVIEWER_ROLES",
    "DesignationStatus",
    "ScoreInput",
    "ScoreSummary",
    "application_create",
    "application_submit",
    "application_update",
    "application_withdraw",
    "criterion_add",
    "criterion_delete",
    "criterion_update",
    "cycle_create",
    "cycle_mark_decided",
    "cycle_open",
    "cycle_set_status",
    "cycle_start_review",
    "cycle_update",
    "decision_record",
    "designation_expiry",
    "designation_revoke",
    "designation_status",
    "eligible_reviewers",
    "missing_for_submission",
    "review_assign",
    "review_declare_conflict",
    "review_for_reviewer",
    "review_score",
    "review_submit",
    "review_unassign",
    "score_summary",
    "weighted_score",
]

Status = VettingCycle.Status
AppStatus = Application.Status
Conflict = ReviewAssignment.Conflict

#: the status moves a cycle may make
CYCLE_MOVES: dict[str, tuple[str, ...]] = {
    Status.DRAFT: (Status.OPEN,),
    Status.OPEN: (Status.REVIEW,),
    Status.REVIEW: (Status.DECIDED,),
    Status.DECIDED: (),
}

#: the state roles that may review applications of the state's cycles
REVIEWER_ROLES = (Role.STATE_ADMIN, Role.STATE_STAFF, Role.REVIEWER)

#: designations expiring within this many days are "expiring"
EXPIRING_DAYS = 90

CREATE, UPDATE, DELETE = (
    AuditEvent.Action.CREATE,
    AuditEvent.Action.UPDATE,
    AuditEvent.Action.DELETE,
)

CYCLE_FIELDS = (
    "name",
    "description",
    "need_areas",
    "opens_on",
    "closes_on",
    "scale_min",
    "scale_max",
    "approval_threshold",
    "designation_starts_on",
    "designation_years",
)
APPLICATION_TEXT = ("track_record", "measured_results", "approach", "capacity", "references")
#: what an application needs before it can be submitted, and how the message names it
REQUIRED_TO_SUBMIT = {
    "need_areas": "the need areas",
    "grade_bands": "the grade bands",
    "track_record": "the track record",
    "measured_results": "the measured results",
    "approach": "the approach",
}
_UNSET: Any = object()


# ---------------------------------------------------------------------------------------------
# Shared


def long_date(value: dt.date | dt.datetime) -> str:
    """``14 May 2026``."""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return f"{value.day} {value:%B %Y}"


def status_label(status: str) -> str:
    return str(Status(status).label).lower()


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _administers(actor: Any, state_id: int) -> bool:
    return get_reach(actor).administers(state_id)


def _require_admin(actor: Any, state: State | int, doing: str) -> None:
    state_id = state if isinstance(state, int) else state.pk
    if not _administers(actor, state_id):
        name = state.name if isinstance(state, State) else "this state"
        raise PermissionDenied(f"Only a state administrator of {name} can {doing}.")


def _audit(
    *,
    actor: Any,
    action: str,
    obj: Any,
    state_id: int,
    changes: Mapping[str, Any] | None = None,
) -> None:
    audit_record(actor=actor, action=action, obj=obj, state_id=state_id, changes=changes)


def _save(obj: Any, *, fields: list[str], expected_version: int | None) -> None:
    """Conditional update against the version the editor loaded (``expected_version``); without
    one, against the version just read inside this transaction."""
    expected = obj.version if expected_version is None else expected_version
    save_versioned(obj, fields=fields, expected_version=expected)


def _fresh_cycle(cycle: VettingCycle) -> VettingCycle:
    return VettingCycle.objects.select_related("state").get(pk=cycle.pk)


def _fresh_application(application: Application) -> Application:
    return Application.objects.select_related("cycle__state", "partner").get(pk=application.pk)


def _fresh_review(review: ReviewAssignment) -> ReviewAssignment:
    return ReviewAssignment.objects.select_related(
        "application__cycle__state", "application__partner", "reviewer"
    ).get(pk=review.pk)


def _area_names(codes: Iterable[str]) -> str:
    return ", ".join(area_label(c) for c in codes) or "none"


def clean_areas(values: Iterable[Any], *, allowed: Sequence[str] | None = None) -> list[str]:
    """Need-area codes, de-duplicated in the listed order; refuses unknown codes and, with
    ``allowed``, codes outside it. Raises a bare ``ValidationError`` (the caller names the
    field)."""
    wanted = {str(v).strip() for v in values if str(v).strip()}
    unknown = sorted(v for v in wanted if v not in NeedArea.values)
    if unknown:
        listed = ", ".join(NeedArea.values)
        raise ValidationError([f"“{v}” is not a need area; choose from {listed}." for v in unknown])
    if allowed is not None:
        outside = [v for v in NeedArea.values if v in wanted and v not in allowed]
        if outside:
            raise ValidationError(
                [
                    f"{area_label(v)} is not an area of this cycle; it vets {_area_names(allowed)}."
                    for v in outside
                ]
            )
    return [v for v in NeedArea.values if v in wanted]


def _clean_grade_bands(values: Iterable[Any]) -> list[str]:
    wanted = {str(v).strip() for v in values if str(v).strip()}
    unknown = sorted(v for v in wanted if v not in GradeBand.values)
    if unknown:
        listed = ", ".join(GradeBand.values)
        raise ValidationError(
            [f"“{v}” is not a grade band; choose from {listed}." for v in unknown]
        )
    return [v for v in GradeBand.values if v in wanted]


def _whole_number(value: Any) -> int | None:
    """``value`` as an int when it is a whole number (not a bool, not 3.5), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


# ---------------------------------------------------------------------------------------------
# Cycles


def _clean_cycle(values: dict[str, Any], *, state: State, pk: int | None) -> dict[str, Any]:
    """Check every cycle setting together; returns the cleaned values or raises per field."""
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    out: dict[str, Any] = {}
    name = _text(values.get("name"))
    if not name:
        err("name", "Give the cycle a name, e.g. “Priority Partners 2026–2029”.")
    elif len(name) > 200:
        err("name", f"Keep the name to 200 characters; it has {len(name)}.")
    elif VettingCycle.objects.filter(state=state, name=name).exclude(pk=pk).exists():
        err("name", f"{state.name} already has a cycle named “{name}”; choose another name.")
    out["name"] = name
    out["description"] = _text(values.get("description"))
    try:
        areas = clean_areas(values.get("need_areas") or ())
    except ValidationError as exc:
        errors.setdefault("need_areas", []).extend(exc.messages)
        areas = []
    else:
        if not areas:
            err("need_areas", "Choose at least one need area the cycle vets.")
    out["need_areas"] = areas
    for key, label in (
        ("opens_on", "the date applications open"),
        ("closes_on", "the date applications close"),
        ("designation_starts_on", "the date designations start"),
    ):
        value = values.get(key)
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            err(key, f"Give {label} (YYYY-MM-DD).")
            value = None
        out[key] = value
    if out["opens_on"] and out["closes_on"] and out["closes_on"] < out["opens_on"]:
        err(
            "closes_on",
            f"Applications cannot close ({out['closes_on']}) before they open "
            f"({out['opens_on']}); choose a closing date on or after the opening date.",
        )
    scale_min = _whole_number(values.get("scale_min"))
    scale_max = _whole_number(values.get("scale_max"))
    if scale_min is None or not 0 <= scale_min <= 99:
        err("scale_min", "The lowest score is a whole number from 0 to 99.")
        scale_min = None
    if scale_max is None or not 1 <= scale_max <= 100:
        err("scale_max", "The highest score is a whole number from 1 to 100.")
        scale_max = None
    if scale_min is not None and scale_max is not None and scale_min >= scale_max:
        err(
            "scale_max",
            f"The highest score ({scale_max}) must be above the lowest ({scale_min}), "
            "e.g. a scale from 1 to 4.",
        )
    out["scale_min"], out["scale_max"] = scale_min, scale_max
    threshold = _decimal(values.get("approval_threshold"))
    if threshold is None:
        err("approval_threshold", "Give the approval threshold as a number on the scale.")
    else:
        threshold = threshold.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if (
            scale_min is not None
            and scale_max is not None
            and scale_min < scale_max
            and not scale_min <= threshold <= scale_max
        ):
            err(
                "approval_threshold",
                f"The approval threshold ({threshold}) must lie on the scale, from {scale_min} "
                f"to {scale_max}.",
            )
    out["approval_threshold"] = threshold
    years = _whole_number(values.get("designation_years"))
    if years is None or not 1 <= years <= 10:
        err("designation_years", "Designations last a whole number of years, from 1 to 10.")
    out["designation_years"] = years
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def cycle_create(
    *,
    actor: User,
    state: State,
    name: str,
    need_areas: Sequence[str],
    opens_on: dt.date,
    closes_on: dt.date,
    designation_starts_on: dt.date,
    description: str = "",
    scale_min: int = 1,
    scale_max: int = 4,
    approval_threshold: Decimal | float | int | str = Decimal("3"),
    designation_years: int = 3,
) -> VettingCycle:
    """A new cycle in ``draft`` (state administrators of ``state``)."""
    _require_admin(actor, state, "create a vetting cycle")
    values = _clean_cycle(
        {
            "name": name,
            "description": description,
            "need_areas": need_areas,
            "opens_on": opens_on,
            "closes_on": closes_on,
            "scale_min": scale_min,
            "scale_max": scale_max,
            "approval_threshold": approval_threshold,
            "designation_starts_on": designation_starts_on,
            "designation_years": designation_years,
        },
        state=state,
        pk=None,
    )
    cycle = VettingCycle.objects.create(state=state, created_by=actor, **values)
    _audit(
        actor=actor,
        action=CREATE,
        obj=cycle,
        state_id=state.pk,
        changes=snapshot(cycle, ("state_id", *CYCLE_FIELDS)),
    )
    return cycle


@transaction.atomic
def cycle_update(
    *,
    actor: User,
    cycle: VettingCycle,
    expected_version: int | None = None,
    name: str = _UNSET,
    description: str = _UNSET,
    need_areas: Sequence[str] = _UNSET,
    opens_on: dt.date = _UNSET,
    closes_on: dt.date = _UNSET,
    scale_min: int = _UNSET,
    scale_max: int = _UNSET,
    approval_threshold: Decimal | float | int | str = _UNSET,
    designation_starts_on: dt.date = _UNSET,
    designation_years: int = _UNSET,
) -> VettingCycle:
    """Change a cycle's settings; only the arguments given change.

    A decided cycle is part of the record and does not change. From review on, the areas and
    the score scale are fixed (reviewers score on them); while open, an area somebody applied
    for stays.
    """
    cycle = _fresh_cycle(cycle)
    _require_admin(actor, cycle.state, "change this vetting cycle")
    given = {
        k: v
        for k, v in (
            ("name", name),
            ("description", description),
            ("need_areas", need_areas),
            ("opens_on", opens_on),
            ("closes_on", closes_on),
            ("scale_min", scale_min),
            ("scale_max", scale_max),
            ("approval_threshold", approval_threshold),
            ("designation_starts_on", designation_starts_on),
            ("designation_years", designation_years),
        )
        if v is not _UNSET
    }
    if cycle.status == Status.DECIDED:
        raise ValidationError(
            "This cycle is decided; its settings are part of the record and no longer change."
        )
    before = snapshot(cycle, CYCLE_FIELDS)
    merged = {**{k: getattr(cycle, k) for k in CYCLE_FIELDS}, **given}
    values = _clean_cycle(merged, state=cycle.state, pk=cycle.pk)
    errors: dict[str, str] = {}
    if cycle.status == Status.REVIEW:
        if values["need_areas"] != list(cycle.need_areas):
            errors["need_areas"] = (
                "The need areas are fixed once the cycle is in review: applications and scores "
                "refer to them."
            )
        for key in ("scale_min", "scale_max"):
            if values[key] != getattr(cycle, key):
                errors[key] = (
                    "The score scale is fixed once the cycle is in review: reviewers score on it."
                )
    elif cycle.status == Status.OPEN:
        removed = set(cycle.need_areas) - set(values["need_areas"])
        applied = {
            area
            for areas in cycle.applications.values_list("need_areas", flat=True)
            for area in areas
        }
        kept = [a for a in NeedArea.values if a in removed & applied]
        if kept:
            errors["need_areas"] = (
                f"Partners have applied for {_area_names(kept)}; those areas stay in the cycle."
            )
    if errors:
        raise ValidationError(errors)
    changed = [k for k in CYCLE_FIELDS if values[k] != getattr(cycle, k)]
    for key in changed:
        setattr(cycle, key, values[key])
    if changed:
        _save(cycle, fields=changed, expected_version=expected_version)
        _audit(
            actor=actor,
            action=UPDATE,
            obj=cycle,
            state_id=cycle.state_id,
            changes=model_changes(before, snapshot(cycle, CYCLE_FIELDS)),
        )
    elif expected_version is not None and cycle.version != expected_version:
        save_versioned(cycle, fields=[], expected_version=expected_version)  # stale: raises
    return cycle


def _move_label(status: str) -> str:
    return f"“{status_label(status)}”"


@transaction.atomic
def cycle_set_status(
    *, actor: User, cycle: VettingCycle, status: str, expected_version: int | None = None
) -> VettingCycle:
    """Move a cycle one step along ``draft → open → review → decided``."""
    cycle = _fresh_cycle(cycle)
    _require_admin(actor, cycle.state, "change the status of this vetting cycle")
    if status not in Status.values:
        raise ValidationError(
            {"status": f"“{status}” is not a status; allowed: {', '.join(Status.values)}."}
        )
    allowed = CYCLE_MOVES[cycle.status]
    if status not in allowed:
        if not allowed:
            message = "This cycle is decided; its status does not change any more."
        else:
            names = " or ".join(f"“{s}” ({status_label(s)})" for s in allowed)
            message = (
                f"A cycle that is {_move_label(cycle.status)} can move only to {names}, "
                f"not to “{status}”."
            )
        raise ValidationError({"status": message})
    if status == Status.OPEN:
        if not cycle.criteria.exists():
            raise ValidationError(
                {"status": "Add at least one weighted criterion before opening the cycle."}
            )
        if not cycle.need_areas:
            raise ValidationError(
                {"status": "Choose the need areas the cycle vets before opening it."}
            )
    if status == Status.DECIDED:
        undecided = list(
            cycle.applications.filter(status=AppStatus.SUBMITTED)
            .order_by("partner__name")
            .values_list("partner__name", flat=True)
        )
        if undecided:
            raise ValidationError(
                {
                    "status": "Record a decision for every submitted application first; "
                    f"still undecided: {', '.join(undecided)}."
                }
            )
    before = cycle.status
    cycle.status = status
    _save(cycle, fields=["status"], expected_version=expected_version)
    _audit(
        actor=actor,
        action=UPDATE,
        obj=cycle,
        state_id=cycle.state_id,
        changes={"status": [before, status]},
    )
    return cycle


def cycle_open(
    *, actor: User, cycle: VettingCycle, expected_version: int | None = None
) -> VettingCycle:
    return cycle_set_status(
        actor=actor, cycle=cycle, status=Status.OPEN, expected_version=expected_version
    )


def cycle_start_review(
    *, actor: User, cycle: VettingCycle, expected_version: int | None = None
) -> VettingCycle:
    return cycle_set_status(
        actor=actor, cycle=cycle, status=Status.REVIEW, expected_version=expected_version
    )


def cycle_mark_decided(
    *, actor: User, cycle: VettingCycle, expected_version: int | None = None
) -> VettingCycle:
    return cycle_set_status(
        actor=actor, cycle=cycle, status=Status.DECIDED, expected_version=expected_version
    )


# ---------------------------------------------------------------------------------------------
# Criteria


def _require_criteria_editable(cycle: VettingCycle) -> None:
    if cycle.status not in (Status.DRAFT, Status.OPEN):
        raise ValidationError(
            f"The criteria are fixed once the cycle is in review (it is "
            f"{_move_label(cycle.status)}): reviewers score against them."
        )


def _clean_criterion(
    values: dict[str, Any], *, cycle: VettingCycle, pk: int | None
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = _text(values.get("name"))
    if not name:
        errors["name"] = "Name the criterion, e.g. “Evidence of results”."
    elif len(name) > 200:
        errors["name"] = f"Keep the name to 200 characters; it has {len(name)}."
    elif Criterion.objects.filter(cycle=cycle, name=name).exclude(pk=pk).exists():
        errors["name"] = f"This cycle already has a criterion named “{name}”."
    weight = _decimal(values.get("weight"))
    if weight is None:
        errors["weight"] = "Give the weight as a number above 0, e.g. 2 or 0.5."
    else:
        weight = weight.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if not Decimal("0") < weight < Decimal("1000"):
            errors["weight"] = (
                f"The weight must be above 0 and below 1000 (two decimals); got {weight}."
            )
    order = values.get("order")
    order_value = _whole_number(order) if order is not None else None
    if order is not None and (order_value is None or not 0 <= order_value <= 32767):
        errors["order"] = "The position is a whole number from 0 to 32767."
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "weight": weight,
        "description": _text(values.get("description")),
        "order": order_value,
    }


@transaction.atomic
def criterion_add(
    *,
    actor: User,
    cycle: VettingCycle,
    name: str,
    weight: Decimal | float | int | str,
    description: str = "",
    order: int | None = None,
) -> Criterion:
    cycle = _fresh_cycle(cycle)
    _require_admin(actor, cycle.state, "change the criteria of this vetting cycle")
    _require_criteria_editable(cycle)
    values = _clean_criterion(
        {"name": name, "weight": weight, "description": description, "order": order},
        cycle=cycle,
        pk=None,
    )
    if values["order"] is None:
        last = cycle.criteria.aggregate(m=Max("order"))["m"]
        values["order"] = 0 if last is None else last + 1
    criterion = Criterion.objects.create(cycle=cycle, **values)
    _audit(
        actor=actor,
        action=CREATE,
        obj=criterion,
        state_id=cycle.state_id,
        changes=snapshot(criterion, ("cycle_id", "name", "weight", "description", "order")),
    )
    return criterion


@transaction.atomic
def criterion_update(
    *,
    actor: User,
    criterion: Criterion,
    name: str | None = None,
    weight: Decimal | float | int | str | None = None,
    description: str | None = None,
    order: int | None = None,
) -> Criterion:
    criterion = Criterion.objects.select_related("cycle__state").get(pk=criterion.pk)
    cycle = criterion.cycle
    _require_admin(actor, cycle.state, "change the criteria of this vetting cycle")
    _require_criteria_editable(cycle)
    fields = ("name", "weight", "description", "order")
    before = snapshot(criterion, fields)
    values = _clean_criterion(
        {
            "name": criterion.name if name is None else name,
            "weight": criterion.weight if weight is None else weight,
            "description": criterion.description if description is None else description,
            "order": criterion.order if order is None else order,
        },
        cycle=cycle,
        pk=criterion.pk,
    )
    changed = [k for k in fields if values[k] != getattr(criterion, k)]
    for key in changed:
        setattr(criterion, key, values[key])
    if changed:
        criterion.save(update_fields=changed)
        _audit(
            actor=actor,
            action=UPDATE,
            obj=criterion,
            state_id=cycle.state_id,
            changes=model_changes(before, snapshot(criterion, fields)),
        )
    return criterion


@transaction.atomic
def criterion_delete(*, actor: User, criterion: Criterion) -> None:
    criterion = Criterion.objects.select_related("cycle__state").get(pk=criterion.pk)
    cycle = criterion.cycle
    _require_admin(actor, cycle.state, "change the criteria of this vetting cycle")
    _require_criteria_editable(cycle)
    if cycle.status == Status.OPEN and cycle.criteria.count() == 1:
        raise ValidationError(
            "An open cycle keeps at least one criterion; add another before deleting this one."
        )
    _audit(
        actor=actor,
        action=DELETE,
        obj=criterion,
        state_id=cycle.state_id,
        changes=snapshot(criterion, ("cycle_id", "name", "weight", "description", "order")),
    )
    criterion.delete()


# ---------------------------------------------------------------------------------------------
# Applications


def _require_applicant(actor: Any, partner: PartnerOrganization) -> None:
    _require(
        partner.pk in partner_ids_of(actor),
        f"Only staff of {partner.name} can apply for it or change its application.",
    )


def _require_accepting(cycle: VettingCycle, *, doing: str) -> None:
    if cycle.status != Status.OPEN:
        raise ValidationError(
            f"You can {doing} only while the cycle is open for applications; it is "
            f"{_move_label(cycle.status)}."
        )
    today = timezone.localdate()
    if cycle.closes_on < today:
        raise ValidationError(
            f"Applications to “{cycle.name}” closed on {long_date(cycle.closes_on)}."
        )


def _evidence_of(partner: PartnerOrganization, items: Iterable[Any]) -> list[EvidenceClaim]:
    ids: list[int] = []
    bad: list[str] = []
    for item in items:
        value = item.pk if isinstance(item, EvidenceClaim) else _whole_number(item)
        if value is None:
            bad.append(f"“{item}” is not an evidence claim id.")
        elif value not in ids:
            ids.append(value)
    found = {e.pk: e for e in EvidenceClaim.objects.filter(partner=partner, pk__in=ids)}
    bad += [
        f"Evidence claim #{i} is not one of {partner.name}'s claims; choose claims from its "
        "registry entry."
        for i in ids
        if i not in found
    ]
    if bad:
        raise ValidationError({"evidence": bad})
    return [found[i] for i in ids]


def _clean_application(
    values: dict[str, Any], *, cycle: VettingCycle, partner: PartnerOrganization
) -> tuple[dict[str, Any], list[EvidenceClaim]]:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    try:
        out["need_areas"] = clean_areas(values.get("need_areas") or (), allowed=cycle.need_areas)
    except ValidationError as exc:
        errors["need_areas"] = exc.messages
    try:
        out["grade_bands"] = _clean_grade_bands(values.get("grade_bands") or ())
    except ValidationError as exc:
        errors["grade_bands"] = exc.messages
    for key in APPLICATION_TEXT:
        out[key] = _text(values.get(key))
    evidence: list[EvidenceClaim] = []
    try:
        evidence = _evidence_of(partner, values.get("evidence") or ())
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return out, evidence


@transaction.atomic
def application_create(
    *,
    actor: User,
    cycle: VettingCycle,
    partner: PartnerOrganization,
    need_areas: Sequence[str] = (),
    grade_bands: Sequence[str] = (),
    track_record: str = "",
    measured_results: str = "",
    approach: str = "",
    capacity: str = "",
    references: str = "",
    evidence: Iterable[EvidenceClaim | int] = (),
) -> Application:
    """A draft application of ``partner`` to an open cycle (its own staff only)."""
    cycle = _fresh_cycle(cycle)
    _require_applicant(actor, partner)
    _require_accepting(cycle, doing="apply")
    if Application.objects.filter(cycle=cycle, partner=partner).exists():
        raise ValidationError(
            f"{partner.name} has already applied to “{cycle.name}”; continue that application."
        )
    values, claims = _clean_application(
        {
            "need_areas": need_areas,
            "grade_bands": grade_bands,
            "track_record": track_record,
            "measured_results": measured_results,
            "approach": approach,
            "capacity": capacity,
            "references": references,
            "evidence": evidence,
        },
        cycle=cycle,
        partner=partner,
    )
    try:
        with transaction.atomic():
            application = Application.objects.create(cycle=cycle, partner=partner, **values)
    except IntegrityError as exc:  # a second tab applying at the same moment
        raise ValidationError(
            f"{partner.name} has already applied to “{cycle.name}”; continue that application."
        ) from exc
    application.evidence.set(claims)
    _audit(
        actor=actor,
        action=CREATE,
        obj=application,
        state_id=cycle.state_id,
        changes={
            **snapshot(application, ("cycle_id", "partner_id", "need_areas", "grade_bands")),
            "evidence": [c.pk for c in claims],
        },
    )
    return application


@transaction.atomic
def application_update(
    *,
    actor: User,
    application: Application,
    expected_version: int | None = None,
    need_areas: Sequence[str] = _UNSET,
    grade_bands: Sequence[str] = _UNSET,
    track_record: str = _UNSET,
    measured_results: str = _UNSET,
    approach: str = _UNSET,
    capacity: str = _UNSET,
    references: str = _UNSET,
    evidence: Iterable[EvidenceClaim | int] = _UNSET,
) -> Application:
    """Change a draft application (its partner's staff, while the cycle is open)."""
    application = _fresh_application(application)
    _require_applicant(actor, application.partner)
    _require_draft(application, action="changed")
    _require_accepting(application.cycle, doing="change an application")
    fields = ("need_areas", "grade_bands", *APPLICATION_TEXT)
    given = {
        k: v
        for k, v in (
            ("need_areas", need_areas),
            ("grade_bands", grade_bands),
            ("track_record", track_record),
            ("measured_results", measured_results),
            ("approach", approach),
            ("capacity", capacity),
            ("references", references),
        )
        if v is not _UNSET
    }
    current_evidence = list(application.evidence.order_by("pk").values_list("pk", flat=True))
    merged = {
        **{k: getattr(application, k) for k in fields},
        **given,
        "evidence": current_evidence if evidence is _UNSET else evidence,
    }
    values, claims = _clean_application(
        merged, cycle=application.cycle, partner=application.partner
    )
    before = snapshot(application, fields)
    changed = [k for k in fields if values[k] != getattr(application, k)]
    for key in changed:
        setattr(application, key, values[key])
    _save(application, fields=changed, expected_version=expected_version)
    new_evidence = sorted(c.pk for c in claims)
    changes: dict[str, Any] = model_changes(before, snapshot(application, fields))
    if new_evidence != sorted(current_evidence):
        application.evidence.set(claims)
        changes["evidence"] = [sorted(current_evidence), new_evidence]
    _audit(
        actor=actor,
        action=UPDATE,
        obj=application,
        state_id=application.cycle.state_id,
        changes=changes,
    )
    return application


def _require_draft(application: Application, *, action: str) -> None:
    if application.status != AppStatus.DRAFT:
        raise ValidationError(
            f"Only a draft application can be {action}; this one is "
            f"“{application.get_status_display().lower()}”."
        )


def missing_for_submission(application: Application) -> dict[str, str]:
    """What a draft still needs before it can be submitted: field → message."""
    missing: dict[str, str] = {}
    for key, label in REQUIRED_TO_SUBMIT.items():
        value = getattr(application, key)
        if not (value.strip() if isinstance(value, str) else value):
            missing[key] = f"Fill in {label} before submitting."
    return missing


@transaction.atomic
def application_submit(
    *, actor: User, application: Application, expected_version: int | None = None
) -> Application:
    """Submit a complete draft for review; refuses naming every missing part."""
    application = _fresh_application(application)
    _require_applicant(actor, application.partner)
    _require_draft(application, action="submitted")
    _require_accepting(application.cycle, doing="submit an application")
    missing = missing_for_submission(application)
    if missing:
        names = ", ".join(REQUIRED_TO_SUBMIT[k] for k in missing)
        raise ValidationError(
            {**missing, "__all__": f"Not submitted: fill in {names}, then submit again."}
        )
    application.status = AppStatus.SUBMITTED
    application.submitted_at = timezone.now()
    application.submitted_by = actor
    _save(
        application,
        fields=["status", "submitted_at", "submitted_by"],
        expected_version=expected_version,
    )
    _audit(
        actor=actor,
        action=UPDATE,
        obj=application,
        state_id=application.cycle.state_id,
        changes={"status": [AppStatus.DRAFT, AppStatus.SUBMITTED]},
    )
    return application


@transaction.atomic
def application_withdraw(
    *, actor: User, application: Application, expected_version: int | None = None
) -> Application:
    """Withdraw a draft or submitted application before it is decided."""
    application = _fresh_application(application)
    _require_applicant(actor, application.partner)
    if application.status not in (AppStatus.DRAFT, AppStatus.SUBMITTED):
        raise ValidationError(
            "Only a draft or submitted application can be withdrawn; this one is "
            f"“{application.get_status_display().lower()}”."
        )
    if application.cycle.status == Status.DECIDED:
        raise ValidationError("The cycle is decided; its applications no longer change.")
    before = application.status
    application.status = AppStatus.WITHDRAWN
    _save(application, fields=["status"], expected_version=expected_version)
    _audit(
        actor=actor,
        action=UPDATE,
        obj=application,
        state_id=application.cycle.state_id,
        changes={"status": [before, AppStatus.WITHDRAWN]},
    )
    return application


# ---------------------------------------------------------------------------------------------
# Reviews


def _reviewer_refusal(reviewer: User, application: Application) -> str:
    """Why ``reviewer`` cannot review ``application`` ("" when they can)."""
    state = application.cycle.state
    if not reviewer.is_active:
        return f"{reviewer.get_username()} has no active account."
    if not Membership.objects.filter(
        user=reviewer, state_id=state.pk, role__in=REVIEWER_ROLES
    ).exists():
        return (
            f"{reviewer.get_username()} holds no state role in {state.name}; reviewers are "
            "state administrators, state staff or reviewers of the cycle's state."
        )
    if Membership.objects.filter(
        user=reviewer, role=Role.PARTNER_STAFF, partner_id=application.partner_id
    ).exists():
        return (
            f"{reviewer.get_username()} works for {application.partner.name} and cannot review "
            "its application."
        )
    if ReviewAssignment.objects.filter(application=application, reviewer=reviewer).exists():
        return f"{reviewer.get_username()} is already a reviewer of this application."
    return ""


def eligible_reviewers(application: Application) -> QuerySet[User]:
    """Users who may be assigned to review ``application`` (not yet assigned)."""
    state_id = application.cycle.state_id
    applicant_staff = Membership.objects.filter(
        role=Role.PARTNER_STAFF, partner_id=application.partner_id
    ).values("user_id")
    assigned = ReviewAssignment.objects.filter(application=application).values("reviewer_id")
    holders = Membership.objects.filter(state_id=state_id, role__in=REVIEWER_ROLES).values(
        "user_id"
    )
    return (
        User.objects.filter(pk__in=holders, is_active=True)
        .exclude(pk__in=applicant_staff)
        .exclude(pk__in=assigned)
        .order_by("username")
    )


@transaction.atomic
def review_assign(*, actor: User, application: Application, reviewer: User) -> ReviewAssignment:
    """Assign a reviewer (state administrators of the cycle's state)."""
    application = _fresh_application(application)
    cycle = application.cycle
    _require_admin(actor, cycle.state, "assign reviewers")
    if application.status != AppStatus.SUBMITTED:
        raise ValidationError(
            "Reviewers are assigned to submitted applications; this one is "
            f"“{application.get_status_display().lower()}”."
        )
    if cycle.status not in (Status.OPEN, Status.REVIEW):
        raise ValidationError(
            f"Reviewers are assigned while the cycle is open or in review; it is "
            f"{_move_label(cycle.status)}."
        )
    refusal = _reviewer_refusal(reviewer, application)
    if refusal:
        raise ValidationError({"reviewer": refusal})
    try:
        with transaction.atomic():
            review = ReviewAssignment.objects.create(application=application, reviewer=reviewer)
    except IntegrityError as exc:
        raise ValidationError(
            {"reviewer": f"{reviewer.get_username()} is already a reviewer of this application."}
        ) from exc
    _audit(
        actor=actor,
        action=CREATE,
        obj=review,
        state_id=cycle.state_id,
        changes={"application_id": application.pk, "reviewer_id": reviewer.pk},
    )
    return review


@transaction.atomic
def review_unassign(*, actor: User, review: ReviewAssignment) -> None:
    """Remove a reviewer who has not submitted (their unsubmitted scores go with them)."""
    review = _fresh_review(review)
    application = review.application
    _require_admin(actor, application.cycle.state, "remove reviewers")
    if review.submitted_at is not None:
        raise ValidationError(
            f"{review.reviewer.get_username()} submitted their review on "
            f"{long_date(review.submitted_at)}; a submitted review is part of the record."
        )
    if application.status == AppStatus.DECIDED:
        raise ValidationError("This application is decided; its reviewers no longer change.")
    scores = {s.criterion.name: s.score for s in review.scores.select_related("criterion")}
    _audit(
        actor=actor,
        action=DELETE,
        obj=review,
        state_id=application.cycle.state_id,
        changes={
            "application_id": application.pk,
            "reviewer_id": review.reviewer_id,
            "conflict": review.conflict,
            "scores": scores,
        },
    )
    review.delete()


def _require_reviewer(actor: Any, review: ReviewAssignment) -> None:
    _require(
        getattr(actor, "pk", None) == review.reviewer_id,
        "Only the assigned reviewer can declare conflicts, score and submit this review.",
    )


@transaction.atomic
def review_declare_conflict(
    *,
    actor: User,
    review: ReviewAssignment,
    conflict: str,
    note: str = "",
    expected_version: int | None = None,
) -> ReviewAssignment:
    """Declare "none" or "declared" (with a note) before scoring.

    A declared conflict removes the reviewer from scoring: their scores, if any, are kept for the
    record but not counted, a submitted review is reopened, and the declaration cannot be taken
    back once scores exist. Without scores a declaration may be corrected.
    """
    review = _fresh_review(review)
    _require_reviewer(actor, review)
    application = review.application
    if application.status not in (AppStatus.SUBMITTED,):
        raise ValidationError(
            "Conflicts are declared on submitted applications; this one is "
            f"“{application.get_status_display().lower()}”."
        )
    errors: dict[str, str] = {}
    if conflict not in (Conflict.NONE, Conflict.DECLARED):
        errors["conflict"] = (
            f"Choose “{Conflict.NONE.value}” (no conflict of interest) or "
            f"“{Conflict.DECLARED.value}” (a conflict, described in the note)."
        )
    note = _text(note)
    if conflict == Conflict.DECLARED and not note:
        errors["conflict_note"] = (
            f"Describe the conflict with {application.partner.name} (e.g. a former employer, a "
            "relative on its staff, a paid engagement) so the administrator can reassign it."
        )
    if errors:
        raise ValidationError(errors)
    has_scores = review.scores.exists()
    if review.conflict == Conflict.DECLARED and conflict == Conflict.NONE and has_scores:
        raise ValidationError(
            {
                "conflict": "You declared a conflict of interest after scoring; the declaration "
                "stands and your scores are not counted."
            }
        )
    if review.conflict == conflict and (conflict == Conflict.NONE or note == review.conflict_note):
        if expected_version is not None and review.version != expected_version:
            save_versioned(review, fields=[], expected_version=expected_version)  # stale: raises
        return review
    before = snapshot(review, ("conflict", "conflict_note", "submitted_at"))
    review.conflict = conflict
    review.conflict_note = note if conflict == Conflict.DECLARED else ""
    review.declared_at = timezone.now()
    fields = ["conflict", "conflict_note", "declared_at"]
    if conflict == Conflict.DECLARED and review.submitted_at is not None:
        review.submitted_at = None
        fields.append("submitted_at")
    _save(review, fields=fields, expected_version=expected_version)
    _audit(
        actor=actor,
        action=UPDATE,
        obj=review,
        state_id=application.cycle.state_id,
        changes=model_changes(
            before, snapshot(review, ("conflict", "conflict_note", "submitted_at"))
        ),
    )
    return review


def _refuse_unless_scoring(review: ReviewAssignment) -> None:
    """The reasons a reviewer may not score (or submit) now, most specific first."""
    partner = review.application.partner.name
    if review.conflict == Conflict.UNDECLARED:
        raise PermissionDenied(
            f"Declare first whether you have a conflict of interest with {partner}; "
            "scoring opens after the declaration."
        )
    if review.conflict == Conflict.DECLARED:
        raise PermissionDenied(
            f"You declared a conflict of interest with {partner}, so you cannot score this "
            "application; the state administrator may assign another reviewer."
        )
    if review.submitted_at is not None:
        raise PermissionDenied(
            f"You submitted this review on {long_date(review.submitted_at)}; its scores are locked."
        )
    application = review.application
    if application.status != AppStatus.SUBMITTED:
        raise ValidationError(
            "Only submitted applications are scored; this one is "
            f"“{application.get_status_display().lower()}”."
        )
    if application.cycle.status != Status.REVIEW:
        raise ValidationError(
            f"Scoring opens when the cycle moves to review; it is "
            f"{_move_label(application.cycle.status)}."
        )


@dataclass(frozen=True)
class ScoreInput:
    """One criterion's score (and optional comment) in a ``review_score`` call."""

    criterion_id: int
    score: Any
    comment: str = ""


def score_key(criterion_id: int) -> str:
    """The error key of one criterion's score (``score_<id>``; a form field of that name)."""
    return f"score_{criterion_id}"


@transaction.atomic
def review_score(
    *,
    actor: User,
    review: ReviewAssignment,
    scores: Sequence[ScoreInput] | Mapping[int, Any],
    comment: str | None = None,
    expected_version: int | None = None,
) -> ReviewAssignment:
    """Set every criterion's score in one call (all or nothing).

    Every criterion of the cycle exactly once, each an integer within the cycle's scale; a
    reviewer who has not declared, or who declared a conflict, is refused with that reason.
    """
    review = _fresh_review(review)
    _require_reviewer(actor, review)
    _refuse_unless_scoring(review)
    cycle = review.application.cycle
    entries = (
        [ScoreInput(criterion_id=k, score=v) for k, v in scores.items()]
        if isinstance(scores, Mapping)
        else list(scores)
    )
    criteria = {c.pk: c for c in cycle.criteria.all()}
    low, high = cycle.scale_min, cycle.scale_max
    errors: dict[str, list[str]] = {}
    seen: dict[int, tuple[int, str]] = {}
    for entry in entries:
        cid = _whole_number(entry.criterion_id)
        if cid is None or cid not in criteria:
            errors.setdefault("scores", []).append(
                f"Criterion #{entry.criterion_id} is not a criterion of “{cycle.name}”."
            )
            continue
        name = criteria[cid].name
        if cid in seen:
            errors.setdefault(score_key(cid), []).append(
                f"“{name}” is scored more than once; give each criterion one score."
            )
            continue
        value = _whole_number(entry.score)
        if value is None:
            errors.setdefault(score_key(cid), []).append(
                f"“{name}”: “{entry.score}” is not a whole number; give a score from {low} to "
                f"{high}."
            )
            continue
        if not low <= value <= high:
            errors.setdefault(score_key(cid), []).append(
                f"“{name}”: {value} is outside the scale; give a whole number from {low} to {high}."
            )
            continue
        seen[cid] = (value, _text(entry.comment))
    missing = [
        c.name for pk, c in criteria.items() if pk not in seen and score_key(pk) not in errors
    ]
    if missing:
        errors.setdefault("scores", []).append(
            "Score every criterion in one go; not scored: "
            + ", ".join(f"“{n}”" for n in missing)
            + "."
        )
    if errors:
        raise ValidationError(errors)
    before = {s.criterion_id: s.score for s in review.scores.all()}
    for cid, (value, note) in seen.items():
        Score.objects.update_or_create(
            review=review, criterion_id=cid, defaults={"score": value, "comment": note}
        )
    fields: list[str] = []
    if comment is not None:
        review.comment = _text(comment)
        fields.append("comment")
    _save(review, fields=fields, expected_version=expected_version)
    _audit(
        actor=actor,
        action=UPDATE,
        obj=review,
        state_id=cycle.state_id,
        changes={
            "scores": {
                criteria[cid].name: [before.get(cid), value] for cid, (value, _) in seen.items()
            }
        },
    )
    return review


@transaction.atomic
def review_submit(
    *, actor: User, review: ReviewAssignment, expected_version: int | None = None
) -> ReviewAssignment:
    """Submit a fully scored review; its scores are locked after this."""
    review = _fresh_review(review)
    _require_reviewer(actor, review)
    _refuse_unless_scoring(review)
    scored = set(review.scores.values_list("criterion_id", flat=True))
    missing = [c.name for c in review.application.cycle.criteria.all() if c.pk not in scored]
    if missing:
        raise ValidationError(
            {
                "scores": "Score every criterion before submitting; not yet scored: "
                + ", ".join(f"“{n}”" for n in missing)
                + "."
            }
        )
    review.submitted_at = timezone.now()
    _save(review, fields=["submitted_at"], expected_version=expected_version)
    _audit(
        actor=actor,
        action=UPDATE,
        obj=review,
        state_id=review.application.cycle.state_id,
        changes={"submitted_at": [None, review.submitted_at.isoformat()]},
    )
    return review


def review_for_reviewer(user: Any, review_id: int) -> ApplicationAccess:
    """The user's own review ``review_id`` with their access to its application (404 otherwise).

    The access's ``review`` is that review; the application's visibility is ``access``'s rule.
    """
    application_id = (
        ReviewAssignment.objects.filter(pk=review_id, reviewer_id=getattr(user, "pk", None))
        .values_list("application_id", flat=True)
        .first()
    )
    if application_id is None:
        raise Http404("No such review.")
    access = get_application_for_user(user, application_id)
    if access.review is None or access.review.pk != review_id:
        raise Http404("No such review.")
    return access


# ---------------------------------------------------------------------------------------------
# Scores: weighted totals and agreement

_CENT = Decimal("0.01")


def _counted_reviews(application: Application) -> list[ReviewAssignment]:
    """Submitted reviews without a declared conflict, in reviewer order."""
    return list(
        ReviewAssignment.objects.filter(
            application=application, submitted_at__isnull=False, conflict=Conflict.NONE
        )
        .select_related("reviewer")
        .prefetch_related("scores")
        .order_by("reviewer__username", "pk")
    )


def _review_weighted(review: ReviewAssignment, criteria: Sequence[Criterion]) -> Decimal | None:
    by_criterion = {s.criterion_id: s.score for s in review.scores.all()}
    total = Decimal(0)
    weights = Decimal(0)
    for c in criteria:
        if c.pk in by_criterion:
            total += c.weight * by_criterion[c.pk]
            weights += c.weight
    if weights == 0:
        return None
    return total / weights


def weighted_score(application: Application) -> Decimal | None:
    """The application's weighted score: each submitted, conflict-free review's weighted mean
    ``sum(weight × score) / sum(weight)``, averaged over those reviews, to two decimals.

    ``None`` while no review is submitted.
    """
    criteria = list(application.cycle.criteria.all())
    totals = [
        t
        for t in (_review_weighted(r, criteria) for r in _counted_reviews(application))
        if t is not None
    ]
    if not totals:
        return None
    return (sum(totals, Decimal(0)) / len(totals)).quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CriterionRow:
    criterion: Criterion
    #: one entry per reviewer column (None where that reviewer left it unscored)
    scores: list[int | None]
    comments: list[str]
    mean: float | None
    sd: float | None
    spread: float | None
    #: two reviewers differ by more than one scale point
    differs: bool


@dataclass(frozen=True)
class ReviewerColumn:
    review: ReviewAssignment
    label: str
    weighted: Decimal | None


@dataclass(frozen=True)
class ScoreSummary:
    """Every counted reviewer's scores per criterion, weighted totals and the agreement."""

    application: Application
    reviewers: list[ReviewerColumn]
    rows: list[CriterionRow]
    weighted_score: Decimal | None
    threshold: Decimal
    alpha: AlphaResult
    #: reviewers assigned who have not submitted yet (conflicts excluded)
    pending: int
    #: reviewers who declared a conflict (their scores, if any, are not counted)
    conflicts: int
    scale_min: int
    scale_max: int
    flagged: list[str] = field(default_factory=list)

    @property
    def meets_threshold(self) -> bool | None:
        if self.weighted_score is None:
            return None
        return self.weighted_score >= self.threshold

    @property
    def agreement_text(self) -> str:
        """e.g. ``alpha 0.62: moderate agreement`` or why it was not computed."""
        return self.alpha.reading

    @property
    def flagged_text(self) -> str:
        if not self.rows or not self.reviewers:
            return ""
        if not self.flagged:
            return "On every criterion the reviewers are within one point of each other."
        names = ", ".join(f"“{n}”" for n in self.flagged)
        return f"Reviewers differ by more than one point on {names}."


def score_summary(application: Application) -> ScoreSummary:
    """The scores view of one application (submitted, conflict-free reviews only).

    Agreement is Krippendorff's alpha (interval) with criteria as units and reviewers as raters.
    """
    cycle = application.cycle
    criteria = list(cycle.criteria.all())
    reviews = _counted_reviews(application)
    columns = [
        ReviewerColumn(
            review=r,
            label=r.reviewer.get_full_name() or r.reviewer.get_username(),
            weighted=(
                w.quantize(_CENT, rounding=ROUND_HALF_UP)
                if (w := _review_weighted(r, criteria)) is not None
                else None
            ),
        )
        for r in reviews
    ]
    matrix = np.full((len(criteria), len(reviews)), np.nan)
    comments: list[list[str]] = [["" for _ in reviews] for _ in criteria]
    row_of = {c.pk: i for i, c in enumerate(criteria)}
    for j, r in enumerate(reviews):
        for s in r.scores.all():
            if s.criterion_id in row_of:
                matrix[row_of[s.criterion_id], j] = s.score
                comments[row_of[s.criterion_id]][j] = s.comment
    units = unit_descriptives(matrix.reshape(len(criteria), len(reviews)), tolerance=1.0)
    alpha = krippendorff_alpha(matrix.reshape(len(criteria), len(reviews)), metric="interval")
    differs = units.spread_beyond_tolerance
    rows = []
    for i, c in enumerate(criteria):
        rows.append(
            CriterionRow(
                criterion=c,
                scores=[None if np.isnan(v) else int(v) for v in matrix[i]],
                comments=comments[i],
                mean=None if np.isnan(units.mean[i]) else round(float(units.mean[i]), 2),
                sd=None if np.isnan(units.sd[i]) else round(float(units.sd[i]), 2),
                spread=None if np.isnan(units.range[i]) else float(units.range[i]),
                differs=bool(differs[i]),
            )
        )
    all_reviews = ReviewAssignment.objects.filter(application=application)
    return ScoreSummary(
        application=application,
        reviewers=columns,
        rows=rows,
        weighted_score=weighted_score(application),
        threshold=cycle.approval_threshold,
        alpha=alpha,
        pending=all_reviews.filter(submitted_at__isnull=True)
        .exclude(conflict=Conflict.DECLARED)
        .count(),
        conflicts=all_reviews.filter(conflict=Conflict.DECLARED).count(),
        scale_min=cycle.scale_min,
        scale_max=cycle.scale_max,
        flagged=[r.criterion.name for r in rows if r.differs],
    )


# ---------------------------------------------------------------------------------------------
# Decisions and designations


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (29 February → 1 March in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def designation_expiry(starts_on: dt.date, years: int) -> dt.date:
    """The last day of a designation: the day before the ``years``-th anniversary."""
    return add_years(starts_on, years) - dt.timedelta(days=1)


def _best_tier(application: Application, area: str) -> int | None:
    tiers = [e.effective_tier for e in application.evidence.all() if e.need_area == area]
    return min(tiers) if tiers else None


def _renewed(
    partner_id: int, state_id: int, area: str, starts_on: dt.date
) -> PriorityDesignation | None:
    """The designation a new one renews: same partner, state and area, not revoked, started
    earlier, and in force on ``starts_on`` or expired within the year before it."""
    return (
        PriorityDesignation.objects.filter(
            partner_id=partner_id,
            state_id=state_id,
            need_area=area,
            revoked_at__isnull=True,
            starts_on__lt=starts_on,
            expires_on__gte=add_years(starts_on, -1),
            renewed_by__isnull=True,
        )
        .order_by("-expires_on", "-pk")
        .first()
    )


@transaction.atomic
def decision_record(
    *,
    actor: User,
    application: Application,
    outcome: str,
    rationale: str,
    need_areas: Sequence[str] = (),
) -> Decision:
    """Approve (some of the areas applied for) or decline a submitted application.

    An approval creates one ``PriorityDesignation`` per approved area, from the cycle's
    ``designation_starts_on`` for ``designation_years`` years, with the best evidence tier the
    application cites for that area, renewing the partner's designation in that state and area
    that is in force or expired within the last year.
    """
    application = _fresh_application(application)
    cycle = application.cycle
    _require_admin(actor, cycle.state, "record decisions")
    if cycle.status != Status.REVIEW:
        raise ValidationError(
            f"Decisions are recorded while the cycle is in review; it is "
            f"{_move_label(cycle.status)}."
        )
    existing = Decision.objects.filter(application=application).first()
    if existing is not None:
        raise ValidationError(
            f"This application was decided on {long_date(existing.decided_at)} "
            f"({existing.get_outcome_display().lower()})."
        )
    if application.status != AppStatus.SUBMITTED:
        raise ValidationError(
            "Only submitted applications are decided; this one is "
            f"“{application.get_status_display().lower()}”."
        )
    errors: dict[str, list[str]] = {}
    if outcome not in Decision.Outcome.values:
        errors["outcome"] = [
            f"Choose “{Decision.Outcome.APPROVED.value}” or “{Decision.Outcome.DECLINED.value}”."
        ]
    rationale = _text(rationale)
    if not rationale:
        errors["rationale"] = [
            "Give the rationale: what the scores and evidence show, and why this decision."
        ]
    areas: list[str] = []
    try:
        areas = clean_areas(need_areas)
    except ValidationError as exc:
        errors["need_areas"] = exc.messages
    else:
        outside = [a for a in areas if a not in application.need_areas]
        if outside:
            errors["need_areas"] = [
                f"{area_label(a)} was not applied for; approve only areas of the application: "
                f"{_area_names(application.need_areas)}."
                for a in outside
            ]
        elif outcome == Decision.Outcome.APPROVED and not areas:
            errors["need_areas"] = ["Choose the areas approved (at least one)."]
        elif outcome == Decision.Outcome.DECLINED and areas:
            errors["need_areas"] = ["A decline approves no areas; leave the areas unticked."]
    score = weighted_score(application)
    if outcome == Decision.Outcome.APPROVED and score is None and "outcome" not in errors:
        errors.setdefault("outcome", []).append(
            "Approve after at least one reviewer has submitted scores."
        )
    if errors:
        raise ValidationError(errors)
    decision = Decision.objects.create(
        application=application,
        outcome=outcome,
        need_areas=areas,
        rationale=rationale,
        weighted_score=score,
        decided_by=actor,
    )
    _audit(
        actor=actor,
        action=CREATE,
        obj=decision,
        state_id=cycle.state_id,
        changes=snapshot(decision, ("application_id", "outcome", "need_areas", "weighted_score")),
    )
    starts_on = cycle.designation_starts_on
    expires_on = designation_expiry(starts_on, cycle.designation_years)
    for area in areas:
        designation = PriorityDesignation.objects.create(
            partner_id=application.partner_id,
            state_id=cycle.state_id,
            need_area=area,
            decision=decision,
            starts_on=starts_on,
            expires_on=expires_on,
            evidence_tier=_best_tier(application, area),
            renews=_renewed(application.partner_id, cycle.state_id, area, starts_on),
        )
        _audit(
            actor=actor,
            action=CREATE,
            obj=designation,
            state_id=cycle.state_id,
            changes=snapshot(
                designation,
                (
                    "partner_id",
                    "need_area",
                    "starts_on",
                    "expires_on",
                    "evidence_tier",
                    "renews_id",
                ),
            ),
        )
    application.status = AppStatus.DECIDED
    _save(application, fields=["status"], expected_version=None)
    return decision


@transaction.atomic
def designation_revoke(
    *, actor: User, designation: PriorityDesignation, reason: str
) -> PriorityDesignation:
    """Revoke a designation with a reason (state administrators of its state)."""
    designation = PriorityDesignation.objects.select_related("state", "partner").get(
        pk=designation.pk
    )
    _require_admin(actor, designation.state, "revoke Priority Partner designations")
    if designation.revoked_at is not None:
        raise ValidationError(
            f"This designation was already revoked on {long_date(designation.revoked_at)}."
        )
    reason = _text(reason)
    if not reason:
        raise ValidationError(
            {"reason": "Give the reason for revoking, e.g. what the monitoring found."}
        )
    designation.revoked_at = timezone.now()
    designation.revoked_reason = reason
    designation.save(update_fields=["revoked_at", "revoked_reason"])
    _audit(
        actor=actor,
        action=UPDATE,
        obj=designation,
        state_id=designation.state_id,
        changes={"revoked_at": [None, designation.revoked_at.isoformat()], "reason": reason},
    )
    return designation


class DesignationStatus:
    UPCOMING = "upcoming"
    IN_FORCE = "in_force"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    REVOKED = "revoked"
    LABELS = {
        UPCOMING: "Starts later",
        IN_FORCE: "In force",
        EXPIRING: f"In force, expiring within {EXPIRING_DAYS} days",
        EXPIRED: "Expired",
        REVOKED: "Revoked",
    }
    VALUES = tuple(LABELS)


def designation_status(designation: PriorityDesignation, *, today: dt.date | None = None) -> str:
    """One of ``DesignationStatus.VALUES`` on ``today``."""
    day = today or timezone.localdate()
    if designation.revoked_at is not None:
        return DesignationStatus.REVOKED
    if designation.starts_on > day:
        return DesignationStatus.UPCOMING
    if designation.expires_on < day:
        return DesignationStatus.EXPIRED
    if (designation.expires_on - day).days <= EXPIRING_DAYS:
        return DesignationStatus.EXPIRING
    return DesignationStatus.IN_FORCE
