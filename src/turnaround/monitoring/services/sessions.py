"""Quarterly strategy sessions: schedule → open (the frozen data snapshot) → record benchmark
statuses, notes, decisions and next steps → hold (the minutes are final and the session locked).

Who: the plan's authors (the school's and district's leaders) and state staff record sessions
(``PlanAccess.can_monitor``); anyone who sees the plan reads them.

Which plans: only a plan the state has approved is monitored — its status is state-approved, or
it is being amended after a state approval (an amendment returns the plan to draft, but the school
keeps carrying out the approved plan and its sessions go on). A district-approved plan is not yet
monitored: the state may still return it, and benchmarks reported against a plan that then changes
would lose their meaning (ESSA CSI: the school, district and state approve; the state monitors).
A district plan has no district step: it is monitored once the state approves it.

Next steps carry forward: every open step of the plan shows in each later session until a session
(or, outside sessions, a person who records sessions or the step's owner) closes it; see
``selectors.session_steps``.

``expected_version``: ``None`` skips the stale-edit check (scripts), ``0`` means "I saw no status
yet" (benchmark statuses), any other number is the version the editor loaded. A mismatch raises
``StaleEditError`` and writes nothing. Every function validates before it saves, runs in one
transaction and records an audit event; a refused call writes nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from turnaround.accounts.models import User
from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record, model_changes, snapshot
from turnaround.core.concurrency import StaleEditError, save_versioned
from turnaround.monitoring.models import BenchmarkStatus, NextStep, StrategySession
from turnaround.monitoring.selectors import (
    long_date,
    quarter_dates,
    quarter_label,
    session_label,
    session_steps,
    user_label,
    user_sees_plan,
)
from turnaround.monitoring.snapshot import take_snapshot
from turnaround.plans.access import PlanAccess, get_plan_for_user, state_id_of
from turnaround.plans.models import Benchmark, Objective, Plan, PlanStatus

Status = StrategySession.Status
CREATE, UPDATE = AuditEvent.Action.CREATE, AuditEvent.Action.UPDATE

#: how long after its quarter a session reviewing it may still be held
DAYS_AFTER_QUARTER = 31
NOTES_MAX = 20_000
TEXT_MAX = 5_000
#: the values a benchmark's status may record, by the benchmark's unit (None = unbounded)
UNIT_RANGES: dict[str, tuple[float | None, float | None]] = {
    "percent": (0, 100),
    "count": (0, None),
    "number": (None, None),
}
MONITOR_REFUSAL = (
    "Only the plan's authors (the school's and district's leaders) and state staff record "
    "quarterly sessions."
)


class SessionLockedError(Exception):
    """A change to a held session: its minutes are final."""

    def __init__(self, session: StrategySession) -> None:
        self.session = session
        super().__init__(locked_message(session))


def locked_message(session: StrategySession) -> str:
    when = session.finalised_at
    day = long_date(timezone.localdate(when)) if when is not None else "an earlier date"
    return (
        f"The {session_label(session)} session was held and its minutes made final on {day}; "
        "it can no longer change. Record new information in the next session."
    )


# ---------------------------------------------------------------------------------------------
# Shared by the monitoring services


def access_of(actor: Any, plan: Plan | int) -> PlanAccess:
    """The actor's access to the stored plan (read fresh). ``PermissionDenied`` when they cannot
    see it at all."""
    pk = plan if isinstance(plan, int) else plan.pk
    try:
        return get_plan_for_user(actor, pk)
    except Http404 as exc:
        raise PermissionDenied("You cannot see this plan.") from exc


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def clean_text(
    value: Any, *, field: str, label: str, max_length: int, required: bool = False
) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise ValidationError({field: f"Write the {label}."})
    if len(text) > max_length:
        raise ValidationError(
            {
                field: f"The {label} is {len(text):,} characters long; shorten it to "
                f"{max_length:,} or fewer."
            }
        )
    return text


def audit(
    *, actor: Any, action: str, obj: models.Model, plan: Plan, changes: dict[str, Any] | None
) -> None:
    audit_record(actor=actor, action=action, obj=obj, state_id=state_id_of(plan), changes=changes)


def _collect(errors: dict[str, list[str]], field: str, call: Any) -> Any:
    """Run a check, keeping its message under ``field`` so every problem is reported at once."""
    try:
        return call()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
        else:
            errors.setdefault(field, []).extend(exc.messages)
        return None


# ---------------------------------------------------------------------------------------------
# Rules


def plan_is_monitored(plan: Plan) -> bool:
    """State-approved, or being amended after a state approval (see the module docstring)."""
    if plan.status == PlanStatus.STATE_APPROVED:
        return True
    return plan.versions.filter(
        Q(status=PlanStatus.STATE_APPROVED) | Q(transition="state_approve")
    ).exists()


def require_monitored(plan: Plan) -> None:
    if not plan_is_monitored(plan):
        raise ValidationError(
            "Quarterly sessions start once the state has approved the plan; this plan is "
            f"“{plan.get_status_display().lower()}”. Drafts and plans awaiting approval are "
            "not monitored."
        )


def _monitor(actor: Any, plan: Plan | int) -> PlanAccess:
    access = access_of(actor, plan)
    require(access.can_monitor, MONITOR_REFUSAL)
    return access


def _fresh_session(session: StrategySession | int) -> StrategySession:
    pk = session if isinstance(session, int) else session.pk
    return StrategySession.objects.select_related("plan__school__district", "plan__district").get(
        pk=pk
    )


def _refuse_if_held(session: StrategySession) -> None:
    if session.is_locked:
        raise SessionLockedError(session)


def _require_open(session: StrategySession, what: str) -> None:
    _refuse_if_held(session)
    if session.status != Status.OPEN:
        raise ValidationError(
            f"Open the session before you {what}: opening it takes the data snapshot the "
            "session reviews."
        )


def check_held_on(year: int, quarter: int, held_on: dt.date) -> None:
    start, end = quarter_dates(year, quarter)
    latest = end + dt.timedelta(days=DAYS_AFTER_QUARTER)
    if not start <= held_on <= latest:
        raise ValidationError(
            {
                "held_on": f"A session reviewing {quarter_label(year, quarter)} is held during "
                f"the quarter ({long_date(start)} to {long_date(end)}) or in the month after it "
                f"(by {long_date(latest)}); {long_date(held_on)} is outside."
            }
        )


def check_participants(plan: Plan, users: Iterable[User]) -> list[User]:
    chosen = list(dict.fromkeys(users))
    unseen = [u for u in chosen if not (u.is_active and user_sees_plan(u, plan))]
    if unseen:
        names = ", ".join(user_label(u) for u in unseen)
        raise ValidationError(
            {
                "participants": f"{names} cannot see this plan; add them under other "
                "participants (name and role), or choose people who can see it."
            }
        )
    return chosen


def check_value(benchmark: Benchmark, value: float | None) -> float | None:
    """A benchmark's value must be a number within its unit's range."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"value": "Enter the value as a number, e.g. 42.5."}) from exc
    if not math.isfinite(number):
        raise ValidationError({"value": "Enter the value as a number, e.g. 42.5."})
    low, high = UNIT_RANGES.get(benchmark.unit, (None, None))
    if benchmark.unit == "percent" and not (low <= number <= high):  # type: ignore[operator]
        raise ValidationError(
            {"value": f"This benchmark is a percentage: enter 0 to 100 ({number:g} is outside)."}
        )
    if benchmark.unit == "count":
        if number < 0:
            raise ValidationError(
                {"value": f"This benchmark is a count: enter 0 or more ({number:g} is negative)."}
            )
        if number != int(number):
            raise ValidationError(
                {"value": f"This benchmark is a count: enter a whole number ({number:g} is not)."}
            )
    return number


# ---------------------------------------------------------------------------------------------
# Sessions

SESSION_FIELDS = ("held_on", "other_participants", "notes", "decisions")


def session_schedule(
    *,
    actor: Any,
    plan: Plan,
    year: int,
    quarter: int,
    held_on: dt.date,
    participants: Iterable[User] = (),
    other_participants: str = "",
) -> StrategySession:
    """Schedule the session reviewing one quarter of the plan (one per quarter)."""
    access = _monitor(actor, plan)
    current = access.plan
    require_monitored(current)
    errors: dict[str, list[str]] = {}
    years = current.years
    year_ok = year in years
    if not year_ok:
        first, last = quarter_label(years[0], 1)[3:], quarter_label(years[-1], 1)[3:]
        errors["year"] = [
            f"Choose a school year of the plan ({first} to {last}); "
            f"{year - 1}–{str(year)[-2:]} is outside it."
        ]
    quarter_ok = quarter in (1, 2, 3, 4)
    if not quarter_ok:
        errors["quarter"] = [
            "The quarter is 1 (July–September), 2 (October–December), 3 (January–March) "
            "or 4 (April–June)."
        ]
    if year_ok and quarter_ok:
        if StrategySession.objects.filter(plan=current, year=year, quarter=quarter).exists():
            errors["quarter"] = [
                f"The plan already has a session for {quarter_label(year, quarter)}; open that "
                "one (there is one session per quarter)."
            ]
        if held_on is None:
            errors["held_on"] = ["Choose the date of the session."]
        else:
            _collect(errors, "held_on", lambda: check_held_on(year, quarter, held_on))
    chosen = _collect(errors, "participants", lambda: check_participants(current, participants))
    others = _collect(
        errors,
        "other_participants",
        lambda: clean_text(
            other_participants,
            field="other_participants",
            label="list of other participants",
            max_length=TEXT_MAX,
        ),
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        try:
            with transaction.atomic():
                session = StrategySession.objects.create(
                    plan=current,
                    year=year,
                    quarter=quarter,
                    held_on=held_on,
                    other_participants=others or "",
                    created_by=actor,
                )
        except IntegrityError as exc:  # someone scheduled the same quarter a moment ago
            raise ValidationError(
                {
                    "quarter": f"The plan already has a session for "
                    f"{quarter_label(year, quarter)}; open that one."
                }
            ) from exc
        session.participants.set(chosen or [])
        audit(
            actor=actor,
            action=CREATE,
            obj=session,
            plan=current,
            changes={
                "year": year,
                "quarter": quarter,
                "held_on": held_on.isoformat(),
                "participants": sorted(u.pk for u in chosen or []),
            },
        )
    return session


def session_update(
    *,
    actor: Any,
    session: StrategySession,
    changes: dict[str, Any],
    expected_version: int | None = None,
) -> StrategySession:
    """Change a session that is not held: ``held_on``, ``participants`` (users),
    ``other_participants``, ``notes``, ``decisions``. Unknown keys are refused."""
    current = _fresh_session(session)
    _monitor(actor, current.plan_id)
    _refuse_if_held(current)
    allowed = {*SESSION_FIELDS, "participants"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationError(
            {
                name: f"{name} cannot be changed here; change {', '.join(sorted(allowed))}."
                for name in unknown
            }
        )
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if "held_on" in changes:
        held_on = changes["held_on"]
        if held_on is None:
            errors["held_on"] = ["Choose the date of the session."]
        else:
            _collect(
                errors, "held_on", lambda: check_held_on(current.year, current.quarter, held_on)
            )
            values["held_on"] = held_on
    limits = {
        "other_participants": ("list of other participants", TEXT_MAX),
        "notes": ("discussion notes", NOTES_MAX),
        "decisions": ("decisions", NOTES_MAX),
    }
    for name, (label, limit) in limits.items():
        if name in changes:
            text = _collect(
                errors,
                name,
                lambda n=name, lab=label, lim=limit: clean_text(
                    changes[n], field=n, label=lab, max_length=lim
                ),
            )
            values[name] = text if text is not None else ""
    chosen = None
    if "participants" in changes:
        people = changes["participants"]
        chosen = _collect(errors, "participants", lambda: check_participants(current.plan, people))
    if errors:
        raise ValidationError(errors)
    before = snapshot(current, SESSION_FIELDS)
    before_people = sorted(current.participants.values_list("pk", flat=True))
    for name, value in values.items():
        setattr(current, name, value)
    diff = model_changes(before, snapshot(current, SESSION_FIELDS))
    if chosen is not None:
        after_people = sorted(u.pk for u in chosen)
        if after_people != before_people:
            diff["participants"] = [before_people, after_people]
    expected = current.version if expected_version is None else expected_version
    with transaction.atomic():
        save_versioned(current, fields=list(values) or ["notes"], expected_version=expected)
        if chosen is not None:
            current.participants.set(chosen)
        if diff:
            audit(actor=actor, action=UPDATE, obj=current, plan=current.plan, changes=diff)
    return current


def session_update_notes(
    *,
    actor: Any,
    session: StrategySession,
    notes: str,
    decisions: str,
    expected_version: int | None = None,
) -> StrategySession:
    """Save the discussion notes and the decisions (versioned: a stale edit is refused)."""
    return session_update(
        actor=actor,
        session=session,
        changes={"notes": notes, "decisions": decisions},
        expected_version=expected_version,
    )


def session_open(
    *, actor: Any, session: StrategySession, expected_version: int | None = None
) -> StrategySession:
    """Scheduled → open: take the data snapshot (frozen from now on)."""
    current = _fresh_session(session)
    _monitor(actor, current.plan_id)
    _refuse_if_held(current)
    require_monitored(current.plan)
    if current.status != Status.SCHEDULED:
        raise ValidationError(
            f"The {session_label(current)} session is already open; its data snapshot was "
            "taken when it opened and does not change."
        )
    current.data_snapshot = take_snapshot(current)
    current.snapshot_taken_at = timezone.now()
    current.status = Status.OPEN
    expected = current.version if expected_version is None else expected_version
    with transaction.atomic():
        save_versioned(
            current,
            fields=["status", "data_snapshot", "snapshot_taken_at"],
            expected_version=expected,
        )
        audit(
            actor=actor,
            action=UPDATE,
            obj=current,
            plan=current.plan,
            changes={"status": [Status.SCHEDULED, Status.OPEN]},
        )
    return current


def hold_blockers(session: StrategySession) -> list[Benchmark]:
    """Active benchmarks of the plan with no status in this session."""
    recorded = BenchmarkStatus.objects.filter(session=session).values("benchmark_id")
    return list(
        Benchmark.objects.filter(plan_id=session.plan_id, is_active=True)
        .exclude(pk__in=recorded)
        .order_by("kind", "order", "pk")
    )


def today() -> dt.date:
    """Today's date where the state is (a function so tests can set the day)."""
    return timezone.localdate()


def session_hold(
    *, actor: Any, session: StrategySession, expected_version: int | None = None
) -> StrategySession:
    """Open → held: every active benchmark needs a status; then the session is locked."""
    current = _fresh_session(session)
    _monitor(actor, current.plan_id)
    _refuse_if_held(current)
    if current.status != Status.OPEN:
        raise ValidationError(
            "Open the session and record a status for each benchmark before you hold it."
        )
    if current.held_on > today():
        raise ValidationError(
            f"This session is dated {current.held_on:%B %-d, %Y}; a session is held on or after "
            f"its date. Change its date to today or earlier if it met early."
        )
    missing = hold_blockers(current)
    if missing:
        listed = "; ".join(f"“{b.measure}”" for b in missing[:10])
        more = f"; and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise ValidationError(
            f"Record a status (on track, at risk, off track or met) for every benchmark before "
            f"you hold the session. Still without a status: {listed}{more}."
        )
    current.status = Status.HELD
    current.finalised_at = timezone.now()
    current.finalised_by = actor
    expected = current.version if expected_version is None else expected_version
    with transaction.atomic():
        save_versioned(
            current,
            fields=["status", "finalised_at", "finalised_by"],
            expected_version=expected,
        )
        audit(
            actor=actor,
            action=UPDATE,
            obj=current,
            plan=current.plan,
            changes={"status": [Status.OPEN, Status.HELD]},
        )
    return current


# ---------------------------------------------------------------------------------------------
# Benchmark statuses

STATUS_FIELDS = ("status", "value", "evidence", "comment")


def benchmark_status_record(
    *,
    actor: Any,
    session: StrategySession,
    benchmark: Benchmark | int,
    status: str,
    value: float | None = None,
    evidence: str = "",
    comment: str = "",
    expected_version: int | None = None,
) -> BenchmarkStatus:
    """One benchmark's status in an open session, with its value (within the benchmark's unit:
    a percentage 0–100, a count 0 or more) and the evidence behind it."""
    current = _fresh_session(session)
    _monitor(actor, current.plan_id)
    _require_open(current, "record benchmark statuses")
    bpk = benchmark if isinstance(benchmark, int) else benchmark.pk
    target = Benchmark.objects.filter(pk=bpk, plan_id=current.plan_id).first()
    if target is None:
        raise ValidationError({"benchmark": "That benchmark is not part of this plan."})
    if not target.is_active:
        raise ValidationError(
            {"benchmark": f"“{target.measure}” is retired; it takes no more statuses."}
        )
    errors: dict[str, list[str]] = {}
    if status not in BenchmarkStatus.Status.values:
        errors["status"] = ["Choose a status: on track, at risk, off track or met."]
    number = _collect(errors, "value", lambda: check_value(target, value))
    evidence_text = _collect(
        errors,
        "evidence",
        lambda: clean_text(evidence, field="evidence", label="evidence", max_length=TEXT_MAX),
    )
    comment_text = _collect(
        errors,
        "comment",
        lambda: clean_text(comment, field="comment", label="comment", max_length=TEXT_MAX),
    )
    if errors:
        raise ValidationError(errors)
    row = BenchmarkStatus.objects.filter(session=current, benchmark=target).first()
    if expected_version is not None:
        if row is None and expected_version != 0:
            raise StaleEditError(BenchmarkStatus(session=current, benchmark=target))
        if row is not None and row.version != expected_version:
            raise StaleEditError(row)
    values = {
        "status": status,
        "value": number,
        "evidence": evidence_text or "",
        "comment": comment_text or "",
    }
    with transaction.atomic():
        if row is None:
            try:
                with transaction.atomic():
                    row = BenchmarkStatus.objects.create(
                        session=current, benchmark=target, recorded_by=actor, **values
                    )
            except IntegrityError as exc:  # recorded by someone else a moment ago
                raise StaleEditError(BenchmarkStatus(session=current, benchmark=target)) from exc
            audit(actor=actor, action=CREATE, obj=row, plan=current.plan, changes=values)
            return row
        before = snapshot(row, STATUS_FIELDS)
        for name, v in values.items():
            setattr(row, name, v)
        diff = model_changes(before, snapshot(row, STATUS_FIELDS))
        if not diff:
            return row
        row.recorded_by = actor
        row.recorded_at = timezone.now()
        save_versioned(
            row,
            fields=[*STATUS_FIELDS, "recorded_by", "recorded_at"],
            expected_version=row.version,
        )
        audit(actor=actor, action=UPDATE, obj=row, plan=current.plan, changes=diff)
    return row


# ---------------------------------------------------------------------------------------------
# Next steps


def next_step_add(
    *,
    actor: Any,
    session: StrategySession,
    description: str,
    owner: str = "",
    due_on: dt.date | None,
    owner_user: User | None = None,
    objective: Objective | int | None = None,
) -> NextStep:
    """A next step raised in an open session: what, who (a name or role, and optionally the
    person's account) and by when; optionally the objective it serves."""
    current = _fresh_session(session)
    _monitor(actor, current.plan_id)
    _require_open(current, "add next steps")
    errors: dict[str, list[str]] = {}
    text = _collect(
        errors,
        "description",
        lambda: clean_text(
            description,
            field="description",
            label="next step",
            max_length=TEXT_MAX,
            required=True,
        ),
    )
    if owner_user is not None and not (
        owner_user.is_active and user_sees_plan(owner_user, current.plan)
    ):
        errors["owner_user"] = [
            f"{user_label(owner_user)} cannot see this plan; choose someone who can, or write "
            "the owner's name and role."
        ]
    owner_text = _collect(
        errors,
        "owner",
        lambda: clean_text(owner, field="owner", label="owner", max_length=200),
    )
    if not owner_text and owner_user is not None and "owner_user" not in errors:
        owner_text = (owner_user.get_full_name() or owner_user.get_username())[:200]
    if not owner_text and "owner" not in errors:
        errors["owner"] = ["Write who owns the next step (a name or a role)."]
    if due_on is None:
        errors["due_on"] = ["Choose the date the next step is due."]
    elif due_on < current.held_on:
        errors["due_on"] = [
            f"The due date is before the session ({long_date(current.held_on)}); choose a date "
            "on or after it."
        ]
    linked = None
    if objective is not None:
        opk = objective if isinstance(objective, int) else objective.pk
        linked = Objective.objects.filter(pk=opk, plan_id=current.plan_id).first()
        if linked is None:
            errors["objective"] = ["That objective is not part of this plan."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        step = NextStep.objects.create(
            plan_id=current.plan_id,
            raised_in=current,
            description=text,
            owner=owner_text,
            owner_user=owner_user,
            due_on=due_on,
            objective=linked,
        )
        audit(
            actor=actor,
            action=CREATE,
            obj=step,
            plan=current.plan,
            changes={
                "description": text,
                "owner": owner_text,
                "owner_user": owner_user.pk if owner_user else None,
                "due_on": due_on.isoformat(),  # type: ignore[union-attr]
                "objective": linked.pk if linked else None,
                "session": current.pk,
            },
        )
    return step


def next_step_close(
    *,
    actor: Any,
    step: NextStep,
    closing_note: str = "",
    session: StrategySession | None = None,
    expected_version: int | None = None,
) -> NextStep:
    """Close an open next step — in an open session of the plan (the step must have been raised
    in it or an earlier one), or outside sessions. In a session: people who record sessions.
    Outside: they, or the step's owner."""
    current = NextStep.objects.select_related("raised_in", "plan").get(pk=step.pk)
    access = access_of(actor, current.plan_id)
    is_owner = current.owner_user_id is not None and current.owner_user_id == getattr(
        actor, "pk", None
    )
    if session is None:
        require(
            access.can_monitor or is_owner,
            "Only the step's owner, the plan's authors and state staff close a next step.",
        )
    else:
        require(access.can_monitor, MONITOR_REFUSAL)
    if current.closed_at is not None:
        raise ValidationError(
            f"This next step was already closed on "
            f"{long_date(timezone.localdate(current.closed_at))}."
        )
    closing_in = None
    if session is not None:
        closing_in = StrategySession.objects.filter(pk=session.pk, plan_id=current.plan_id).first()
        if closing_in is None:
            raise ValidationError({"session": "That session is not part of this plan."})
        _require_open(closing_in, "close next steps in it")
        raised = (current.raised_in.year, current.raised_in.quarter)
        if (closing_in.year, closing_in.quarter) < raised:
            raise ValidationError(
                {
                    "session": f"This step was raised in {session_label(current.raised_in)}; "
                    f"it cannot be closed in the earlier {session_label(closing_in)} session."
                }
            )
    note = clean_text(closing_note, field="closing_note", label="closing note", max_length=TEXT_MAX)
    current.closed_in = closing_in
    current.closed_at = timezone.now()
    current.closing_note = note
    expected = current.version if expected_version is None else expected_version
    with transaction.atomic():
        save_versioned(
            current,
            fields=["closed_in", "closed_at", "closing_note"],
            expected_version=expected,
        )
        audit(
            actor=actor,
            action=UPDATE,
            obj=current,
            plan=current.plan,
            changes={
                "closed_at": [None, current.closed_at.isoformat()],
                "closed_in": [None, closing_in.pk if closing_in else None],
                "closing_note": note,
            },
        )
    return current


def carried_forward_steps(session: StrategySession) -> list[NextStep]:
    """Open next steps raised in earlier sessions that this session shows (a shortcut for tests
    and the API)."""
    return [row.step for row in session_steps(session)["carried"]]
