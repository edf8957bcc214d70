"""Designations: confirmed from a determination, then identified → in turnaround → exited, or
escalated to a more severe status (Level 4 → Level 5 receivership, CSI not exiting → more
rigorous action).

Only the state's administrators and turnaround staff decide (``access.manages_state``). Each write
checks the version the editor loaded (``StaleEditError`` otherwise) and is audited. Invalid
transitions are refused with the reason and what is possible instead.

Massachusetts caps Levels 4 and 5 together at 4% of the state's schools (M.G.L. c.69 §1J):
confirming one more beyond the cap is refused unless an override note says why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from turnaround.accountability.access import manages_state
from turnaround.accountability.models import (
    CLOSED_PHASES,
    AccountabilityDetermination,
    Designation,
    DesignationPhase,
    DesignationStatus,
)
from turnaround.analytics.accountability.designation_rules import (
    designation_candidate,
    eligible_exit_year,
    escalation_of,
)
from turnaround.analytics.accountability.exit_criteria import (
    CriterionError,
    criteria_from_data,
    default_criteria,
)
from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record, model_changes, snapshot
from turnaround.core.concurrency import StaleEditError, save_versioned
from turnaround.organizations.models import School

#: Statuses under the Massachusetts 4% cap, and the cap (share of the state's open schools).
CAPPED_STATUSES = (DesignationStatus.UNDERPERFORMING, DesignationStatus.CHRONICALLY_UNDERPERFORMING)
MA_CAP_SHARE = 0.04
AUDITED = (
    "status",
    "phase",
    "entered_year",
    "exited_year",
    "exit_reason",
    "eligible_exit_year",
    "exit_criteria",
    "notes",
)
NOT_ALLOWED = (
    "Only the state's administrators and turnaround staff decide designations; ask one of them."
)


def _require_manager(actor: Any, school: School) -> None:
    if not manages_state(actor, school.district.state_id):
        raise PermissionDenied(NOT_ALLOWED)


def _fresh(designation: Designation | int) -> Designation:
    pk = designation if isinstance(designation, int) else designation.pk
    return Designation.objects.select_related("school__district__state").get(pk=pk)


def _check_version(current: Designation, expected: int | None) -> int:
    version = current.version if expected is None else expected
    if current.version != version:
        raise StaleEditError(current)
    return version


def _label(status: str) -> str:
    return DesignationStatus(status).label if status in DesignationStatus.values else status


def cap_check(school: School, status: str, *, exclude: Designation | None = None) -> str:
    """A sentence when one more designation in ``status`` would break the 4% cap, else ""."""
    if status not in CAPPED_STATUSES:
        return ""
    state_id = school.district.state_id
    schools = School.objects.filter(district__state_id=state_id, is_open=True).count()
    allowed = math.floor(MA_CAP_SHARE * schools)
    held = Designation.objects.filter(
        school__district__state_id=state_id,
        status__in=list(CAPPED_STATUSES),
        phase__in=[DesignationPhase.IDENTIFIED, DesignationPhase.IN_TURNAROUND],
    ).exclude(school=school)
    if exclude is not None:
        held = held.exclude(pk=exclude.pk)
    count = held.values("school_id").distinct().count()
    if count + 1 <= allowed:
        return ""
    return (
        f"Levels 4 and 5 together may not exceed 4% of the state's {schools} open schools "
        f"({allowed}); {count} schools already hold one. Give an override note to confirm "
        "anyway."
    )


def designation_confirm(
    *,
    actor: Any,
    determination: AccountabilityDetermination,
    status: str | None = None,
    entered_year: int | None = None,
    eligible_exit: int | None = None,
    notes: str = "",
    override_note: str = "",
) -> Designation:
    """Designate the determination's school (phase *identified*).

    ``status`` defaults to the one the determination flags; ``entered_year`` to its year;
    ``eligible_exit`` to the status's usual time to exit. The status's default exit criteria are
    attached (edit them with ``designation_criteria_update``).
    """
    school = School.objects.select_related("district__state").get(pk=determination.school_id)
    _require_manager(actor, school)
    errors: dict[str, list[str]] = {}
    candidate = designation_candidate(
        determination.ruleset,
        determination.label,
        determination.level,
        determination.years_in_status,
        determination.flags,
    )
    chosen = status or (candidate.status if candidate else "")
    if not chosen:
        errors["status"] = [
            f"{determination.label} ({determination.ruleset} {determination.year}) does not flag "
            "the school for a designation; choose the status to designate it in."
        ]
    elif chosen not in DesignationStatus.values:
        allowed = ", ".join(DesignationStatus.values)
        errors["status"] = [f"unknown status {chosen!r}; allowed: {allowed}"]
    entered = determination.year if entered_year is None else entered_year
    if not isinstance(entered, int) or isinstance(entered, bool) or not 1990 <= entered <= 2100:
        errors["entered_year"] = [f"the year entered must be a spring year, got {entered!r}"]
    if "status" not in errors and "entered_year" not in errors:
        open_one = Designation.objects.filter(
            school=school,
            status=chosen,
            phase__in=[DesignationPhase.IDENTIFIED, DesignationPhase.IN_TURNAROUND],
        ).first()
        if open_one is not None:
            errors["status"] = [
                f"{school.name} is already designated {_label(chosen)} (since "
                f"{open_one.entered_year}); open that designation instead."
            ]
        elif Designation.objects.filter(
            school=school, status=chosen, entered_year=entered
        ).exists():
            errors["entered_year"] = [
                f"{school.name} already has a {_label(chosen)} designation entered in {entered}."
            ]
    exit_year = eligible_exit
    if exit_year is None and "status" not in errors and "entered_year" not in errors:
        exit_year = eligible_exit_year(chosen, entered)
    if exit_year is not None and isinstance(entered, int) and exit_year <= entered:
        errors["eligible_exit_year"] = [
            f"the year eligible to exit ({exit_year}) must be after the year entered ({entered})"
        ]
    override_note = (override_note or "").strip()
    if not errors and not override_note:
        problem = cap_check(school, chosen)
        if problem:
            errors["override_note"] = [problem]
    if errors:
        raise ValidationError(errors)
    notes = (notes or "").strip()
    if override_note:
        notes = (notes + "\n" if notes else "") + f"Cap override: {override_note}"
    with transaction.atomic():
        designation = Designation.objects.create(
            school=school,
            status=chosen,
            phase=DesignationPhase.IDENTIFIED,
            entered_year=entered,
            eligible_exit_year=exit_year,
            ruleset=determination.ruleset,
            determination=determination,
            exit_criteria=[c.as_data() for c in default_criteria(chosen)],
            notes=notes,
            confirmed_by=actor if getattr(actor, "is_authenticated", False) else None,
            confirmed_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            obj=designation,
            object_repr=f"{school.name}: {_label(chosen)} from {entered}",
            state_id=school.district.state_id,
            changes={
                **snapshot(designation, AUDITED),
                "determination": determination.pk,
                "override_note": override_note,
            },
        )
    return designation


# ---------------------------------------------------------------------------------------------
# Transitions

ACTIONS = ("start", "exit", "escalate")


def _closed_message(d: Designation, action: str) -> str:
    how = "exited" if d.phase == DesignationPhase.EXITED else "escalated"
    return (
        f"This designation {how} in {d.exited_year}, so it cannot {action}: a closed "
        "designation stays as recorded. Confirm a new designation if the school is identified "
        "again."
    )


def _save(
    actor: Any, current: Designation, before: dict[str, Any], expected: int, **extra: Any
) -> None:
    after = snapshot(current, AUDITED)
    diff = model_changes(before, after)
    current.updated_at = timezone.now()
    save_versioned(current, fields=[*diff, "updated_at"], expected_version=expected)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=current,
        object_repr=f"{current.school.name}: {_label(current.status)} from {current.entered_year}",
        state_id=current.school.district.state_id,
        changes={**diff, **extra},
    )


def designation_start(
    *, actor: Any, designation: Designation, expected_version: int | None = None
) -> Designation:
    """Identified → in turnaround (the turnaround work has begun)."""
    current = _fresh(designation)
    _require_manager(actor, current.school)
    expected = _check_version(current, expected_version)
    if current.phase in CLOSED_PHASES:
        raise ValidationError({"action": _closed_message(current, "start turnaround")})
    if current.phase == DesignationPhase.IN_TURNAROUND:
        raise ValidationError({"action": "This designation is already in turnaround."})
    before = snapshot(current, AUDITED)
    current.phase = DesignationPhase.IN_TURNAROUND
    with transaction.atomic():
        _save(actor, current, before, expected, action="start")
    return current


def _close_year(current: Designation, year: Any, field: str) -> int:
    if isinstance(year, bool) or not isinstance(year, int):
        raise ValidationError({field: f"give the first year out of the status, got {year!r}"})
    if year <= current.entered_year:
        raise ValidationError(
            {
                field: f"The first year out of the status must be after the year entered "
                f"({current.entered_year}); got {year}."
            }
        )
    if year > 2100:
        raise ValidationError({field: f"{year} is not a school year."})
    return year


def designation_exit(
    *,
    actor: Any,
    designation: Designation,
    exited_year: Any,
    reason: str,
    expected_version: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Designation:
    """Close an open designation by exit: ``exited_year`` is the first year out of the status."""
    current = _fresh(designation)
    _require_manager(actor, current.school)
    expected = _check_version(current, expected_version)
    if current.phase in CLOSED_PHASES:
        raise ValidationError({"action": _closed_message(current, "exit")})
    year = _close_year(current, exited_year, "exited_year")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the school exits; the reason is kept on record."})
    before = snapshot(current, AUDITED)
    current.phase = DesignationPhase.EXITED
    current.exited_year = year
    current.exit_reason = reason[:300]
    with transaction.atomic():
        _save(actor, current, before, expected, action="exit", **dict(extra or {}))
    return current


def designation_escalate(
    *,
    actor: Any,
    designation: Designation,
    year: Any,
    reason: str,
    expected_version: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Designation:
    """Close an open designation by escalation and open the more severe one from ``year``.

    Returns the new designation (phase *identified*, its ``escalated_from`` the old one).
    """
    current = _fresh(designation)
    _require_manager(actor, current.school)
    expected = _check_version(current, expected_version)
    if current.phase in CLOSED_PHASES:
        raise ValidationError({"action": _closed_message(current, "escalate")})
    target = escalation_of(current.status)
    if target is None:
        raise ValidationError(
            {
                "action": f"{_label(current.status)} has no more severe status here to escalate "
                "to; continue the designation, or exit it."
            }
        )
    first = _close_year(current, year, "year")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": "Say why the designation escalates; the reason is kept on record."}
        )
    if Designation.objects.filter(
        school=current.school,
        status=target,
        phase__in=[DesignationPhase.IDENTIFIED, DesignationPhase.IN_TURNAROUND],
    ).exists():
        raise ValidationError(
            {"action": f"{current.school.name} already holds an open {_label(target)} designation."}
        )
    before = snapshot(current, AUDITED)
    current.phase = DesignationPhase.ESCALATED
    current.exited_year = first
    current.exit_reason = f"Escalated to {_label(target)}: {reason}"[:300]
    with transaction.atomic():
        _save(actor, current, before, expected, action="escalate", **dict(extra or {}))
        new = Designation.objects.create(
            school=current.school,
            status=target,
            phase=DesignationPhase.IDENTIFIED,
            entered_year=first,
            eligible_exit_year=eligible_exit_year(target, first),
            ruleset=current.ruleset,
            escalated_from=current,
            exit_criteria=[c.as_data() for c in default_criteria(target)],
            notes=reason,
            confirmed_by=actor if getattr(actor, "is_authenticated", False) else None,
            confirmed_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            obj=new,
            object_repr=f"{current.school.name}: {_label(target)} from {first}",
            state_id=current.school.district.state_id,
            changes={**snapshot(new, AUDITED), "escalated_from": current.pk},
        )
    return new


def designation_transition(
    *,
    actor: Any,
    designation: Designation,
    action: str,
    year: Any = None,
    reason: str = "",
    expected_version: int | None = None,
) -> Designation:
    """One of :data:`ACTIONS`; returns the designation (the new one for ``escalate``)."""
    if action == "start":
        return designation_start(
            actor=actor, designation=designation, expected_version=expected_version
        )
    if action == "exit":
        return designation_exit(
            actor=actor,
            designation=designation,
            exited_year=year,
            reason=reason,
            expected_version=expected_version,
        )
    if action == "escalate":
        return designation_escalate(
            actor=actor,
            designation=designation,
            year=year,
            reason=reason,
            expected_version=expected_version,
        )
    raise ValidationError({"action": f"unknown action {action!r}; allowed: {', '.join(ACTIONS)}"})


def designation_update(
    *,
    actor: Any,
    designation: Designation,
    expected_version: int | None,
    exit_criteria: Sequence[Mapping[str, Any]] | None = None,
    eligible_exit: int | None = None,
    notes: str | None = None,
) -> Designation:
    """Change the exit criteria, the year eligible to exit or the notes of an open designation."""
    current = _fresh(designation)
    _require_manager(actor, current.school)
    expected = _check_version(current, expected_version)
    if current.phase in CLOSED_PHASES:
        raise ValidationError({"action": _closed_message(current, "change")})
    errors: dict[str, list[str]] = {}
    before = snapshot(current, AUDITED)
    if exit_criteria is not None:
        try:
            criteria = criteria_from_data(list(exit_criteria))
        except CriterionError as exc:
            errors["exit_criteria"] = list(exc.problems)
        else:
            current.exit_criteria = [c.as_data() for c in criteria]
    if eligible_exit is not None:
        if isinstance(eligible_exit, bool) or not isinstance(eligible_exit, int):
            errors["eligible_exit_year"] = [f"give a spring year, got {eligible_exit!r}"]
        elif eligible_exit <= current.entered_year or eligible_exit > 2100:
            errors["eligible_exit_year"] = [
                f"the year eligible to exit must be after the year entered "
                f"({current.entered_year}); got {eligible_exit}"
            ]
        else:
            current.eligible_exit_year = eligible_exit
    if notes is not None:
        current.notes = notes.strip()
    if errors:
        raise ValidationError(errors)
    if not model_changes(before, snapshot(current, AUDITED)):
        return current
    with transaction.atomic():
        _save(actor, current, before, expected)
    return current
