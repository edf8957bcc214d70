"""Quarterly strategy sessions over the API: thin wrappers around ``plans.access`` and the
services.

- Reads: anyone who sees the plan. "Missing" and "not yours" are the same 404.
- Writes: the plan's authors and state staff (403 for others who see the plan); 422 for bad input
  (``loc`` names the field); 409 for a stale edit (send the ``version`` you loaded) or a change to
  a held session.
- ``PUT /sessions/{id}/benchmarks/{benchmark_id}`` answers 201 the first time a status is
  recorded, 200 after.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.errors import HttpError, ValidationError

from turnaround.accounts.models import User
from turnaround.core.concurrency import StaleEditError
from turnaround.monitoring import services
from turnaround.monitoring.models import BenchmarkStatus, NextStep, StrategySession
from turnaround.monitoring.pdf import minutes_pdf_filename, render_minutes_pdf
from turnaround.monitoring.schemas import (
    BenchmarkStatusIn,
    BenchmarkStatusOut,
    NextStepCloseIn,
    NextStepIn,
    NextStepOut,
    SessionDetailOut,
    SessionIn,
    SessionOut,
    SessionPatch,
    VersionIn,
)
from turnaround.monitoring.selectors import (
    StepRow,
    get_next_step_for_user,
    get_session_for_user,
    plan_sessions,
    session_label,
    session_steps,
)
from turnaround.organizations.schemas import Message, ValidationErrors
from turnaround.plans.access import PlanAccess, get_plan_for_user
from turnaround.plans.models import Benchmark

router = Router(tags=["plans"])

READ: dict[int, Any] = {401: Message, 404: Message, 422: ValidationErrors}
WRITE: dict[int, Any] = {**READ, 403: Message, 409: Message}
_PDF_RESPONSE = {
    "responses": {
        200: {
            "description": "The minutes as a PDF.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}

T = TypeVar("T")

#: service field names that the API calls differently
_RENAMED = {
    "participants": "participant_ids",
    "owner_user": "owner_user_id",
    "objective": "objective_id",
    "session": "session_id",
}


def call(fn: Callable[[], T]) -> T:
    """Run a service call, turning its refusals into the API's error shape."""
    try:
        return fn()
    except DjangoValidationError as exc:
        items = []
        if hasattr(exc, "error_dict"):
            for name, messages in exc.message_dict.items():
                loc = ["body"] if name == "__all__" else ["body", _RENAMED.get(name, name)]
                items += [{"loc": loc, "msg": m, "type": "value_error"} for m in messages]
        else:
            items = [{"loc": ["body"], "msg": m, "type": "value_error"} for m in exc.messages]
        raise ValidationError(items) from exc
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "You cannot do that.") from exc
    except (StaleEditError, services.SessionLockedError) as exc:
        raise HttpError(409, str(exc)) from exc


def person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.get_username(), "name": user.get_full_name()}


def _users(ids: list[int], field: str) -> list[User]:
    wanted = list(dict.fromkeys(ids))
    found = {u.pk: u for u in User.objects.filter(pk__in=wanted)}
    unknown = [i for i in wanted if i not in found]
    if unknown:
        raise ValidationError(
            [
                {"loc": ["body", field], "msg": f"No such user: {i}.", "type": "value_error"}
                for i in unknown
            ]
        )
    return [found[i] for i in wanted]


# ---------------------------------------------------------------------------------------------
# Shaping


def _session(s: StrategySession) -> dict[str, Any]:
    return {
        "id": s.pk,
        "plan_id": s.plan_id,
        "year": s.year,
        "quarter": s.quarter,
        "label": session_label(s),
        "held_on": s.held_on,
        "status": s.status,
        "participants": [person(u) for u in s.participants.order_by("last_name", "username")],
        "other_participants": s.other_participants,
        "snapshot_taken_at": s.snapshot_taken_at,
        "finalised_at": s.finalised_at,
        "version": s.version,
    }


def _status(row: BenchmarkStatus) -> dict[str, Any]:
    b = row.benchmark
    return {
        "benchmark_id": b.pk,
        "measure": b.measure,
        "kind": b.kind,
        "unit": b.unit,
        "status": row.status,
        "value": row.value,
        "evidence": row.evidence,
        "comment": row.comment,
        "recorded_by": row.recorded_by.get_username() if row.recorded_by else "",
        "recorded_at": row.recorded_at,
        "version": row.version,
    }


def _step(step: NextStep) -> dict[str, Any]:
    return {
        "id": step.pk,
        "description": step.description,
        "owner": step.owner,
        "owner_user_id": step.owner_user_id,
        "due_on": step.due_on,
        "objective_id": step.objective_id,
        "raised_in_id": step.raised_in_id,
        "raised_in": session_label(step.raised_in),
        "closed_in_id": step.closed_in_id,
        "closed_at": step.closed_at,
        "closing_note": step.closing_note,
        "is_open": step.is_open,
        "version": step.version,
    }


def _row(row: StepRow) -> dict[str, Any]:
    return {**_step(row.step), "carried_forward_from": row.raised_label if row.carried else None}


def _detail(access: PlanAccess, session_id: int) -> dict[str, Any]:
    s = StrategySession.objects.select_related("plan").get(pk=session_id)
    statuses = BenchmarkStatus.objects.filter(session=s).select_related("benchmark", "recorded_by")
    steps = session_steps(s)
    can_record = access.can_monitor and s.status == StrategySession.Status.OPEN
    return {
        **_session(s),
        "notes": s.notes,
        "decisions": s.decisions,
        "data_snapshot": s.data_snapshot or {},
        "benchmark_statuses": [
            _status(r) for r in statuses.order_by("benchmark__kind", "benchmark__order")
        ],
        "next_steps": {key: [_row(r) for r in rows] for key, rows in steps.items()},
        "hold_blockers": [b.pk for b in services.hold_blockers(s)] if can_record else [],
        "permissions": {
            "can_edit": access.can_monitor and not s.is_locked,
            "can_open": access.can_monitor and s.status == StrategySession.Status.SCHEDULED,
            "can_record": can_record,
        },
    }


# ---------------------------------------------------------------------------------------------
# Endpoints


@router.get(
    "/plans/{int:plan_id}/sessions",
    response={200: list[SessionOut], **READ},
    operation_id="plan_session_list",
    summary="A plan's quarterly sessions",
)
def session_list_api(request: HttpRequest, plan_id: int) -> list[dict[str, Any]]:
    """Earliest quarter first."""
    access = get_plan_for_user(request.user, plan_id)
    return [_session(s) for s in plan_sessions(access.plan).prefetch_related("participants")]


@router.post(
    "/plans/{int:plan_id}/sessions",
    response={201: SessionDetailOut, **WRITE},
    operation_id="plan_session_schedule",
    summary="Schedule a quarterly session",
)
def session_schedule_api(
    request: HttpRequest, plan_id: int, payload: SessionIn
) -> Status[dict[str, Any]]:
    """One session per quarter of a plan the state has approved; the date falls in the quarter
    or the month after it; participants must be able to see the plan."""
    access = get_plan_for_user(request.user, plan_id)
    people = _users(payload.participant_ids, "participant_ids")
    session = call(
        lambda: services.session_schedule(
            actor=request.user,
            plan=access.plan,
            year=payload.year,
            quarter=payload.quarter,
            held_on=payload.held_on,
            participants=people,
            other_participants=payload.other_participants,
        )
    )
    return Status(201, _detail(access, session.pk))


@router.get(
    "/sessions/{int:session_id}",
    response={200: SessionDetailOut, **READ},
    operation_id="plan_session_get",
    summary="One quarterly session",
)
def session_get_api(request: HttpRequest, session_id: int) -> dict[str, Any]:
    """With the frozen data snapshot, the benchmark statuses, and the next steps it shows: new,
    carried forward from earlier sessions, and closed."""
    access, _ = get_session_for_user(request.user, session_id)
    return _detail(access, session_id)


@router.patch(
    "/sessions/{int:session_id}",
    response={200: SessionDetailOut, **WRITE},
    operation_id="plan_session_update",
    summary="Change a session's date, participants, notes or decisions",
)
def session_update_api(
    request: HttpRequest, session_id: int, payload: SessionPatch
) -> dict[str, Any]:
    """Only the fields you send change. A held session is locked (409)."""
    access, session = get_session_for_user(request.user, session_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    changes: dict[str, Any] = {}
    for name in ("held_on", "other_participants", "notes", "decisions"):
        if name in data:
            changes[name] = "" if data[name] is None and name != "held_on" else data[name]
    if data.get("participant_ids") is not None:
        changes["participants"] = _users(data["participant_ids"], "participant_ids")
    call(
        lambda: services.session_update(
            actor=request.user, session=session, changes=changes, expected_version=version
        )
    )
    return _detail(access, session_id)


@router.post(
    "/sessions/{int:session_id}/open",
    response={200: SessionDetailOut, **WRITE},
    operation_id="plan_session_open",
    summary="Open a session: take its data snapshot",
)
def session_open_api(request: HttpRequest, session_id: int, payload: VersionIn) -> dict[str, Any]:
    """The snapshot (latest results, attendance, benchmark statuses, goals, open next steps) is
    frozen from now on."""
    access, session = get_session_for_user(request.user, session_id)
    call(
        lambda: services.session_open(
            actor=request.user, session=session, expected_version=payload.version
        )
    )
    return _detail(access, session_id)


@router.put(
    "/sessions/{int:session_id}/benchmarks/{int:benchmark_id}",
    response={200: BenchmarkStatusOut, 201: BenchmarkStatusOut, **WRITE},
    operation_id="plan_session_benchmark_status",
    summary="Record a benchmark's status in an open session",
)
def benchmark_status_api(
    request: HttpRequest, session_id: int, benchmark_id: int, payload: BenchmarkStatusIn
) -> Status[dict[str, Any]]:
    """Status on_track, at_risk, off_track or met; the value within the benchmark's unit
    (percent 0–100, count 0 or more). Send ``version`` 0 for a first status."""
    access, session = get_session_for_user(request.user, session_id)
    benchmark = Benchmark.objects.filter(pk=benchmark_id, plan=access.plan).first()
    if benchmark is None:
        raise Http404("Not found.")
    existed = BenchmarkStatus.objects.filter(session=session, benchmark=benchmark).exists()
    row = call(
        lambda: services.benchmark_status_record(
            actor=request.user,
            session=session,
            benchmark=benchmark,
            status=payload.status,
            value=payload.value,
            evidence=payload.evidence,
            comment=payload.comment,
            expected_version=payload.version,
        )
    )
    row = BenchmarkStatus.objects.select_related("benchmark", "recorded_by").get(pk=row.pk)
    return Status(200 if existed else 201, _status(row))


@router.post(
    "/sessions/{int:session_id}/next-steps",
    response={201: NextStepOut, **WRITE},
    operation_id="plan_session_next_step_add",
    summary="Add a next step in an open session",
)
def next_step_add_api(
    request: HttpRequest, session_id: int, payload: NextStepIn
) -> Status[dict[str, Any]]:
    """It carries forward into every later session until it is closed."""
    access, session = get_session_for_user(request.user, session_id)
    owner_user = None
    if payload.owner_user_id is not None:
        owner_user = _users([payload.owner_user_id], "owner_user_id")[0]
    step = call(
        lambda: services.next_step_add(
            actor=request.user,
            session=session,
            description=payload.description,
            owner=payload.owner,
            owner_user=owner_user,
            due_on=payload.due_on,
            objective=payload.objective_id,
        )
    )
    step = NextStep.objects.select_related("raised_in").get(pk=step.pk)
    return Status(201, _step(step))


@router.post(
    "/next-steps/{int:step_id}/close",
    response={200: NextStepOut, **WRITE},
    operation_id="plan_next_step_close",
    summary="Close a next step",
)
def next_step_close_api(
    request: HttpRequest, step_id: int, payload: NextStepCloseIn
) -> dict[str, Any]:
    """In an open session of the plan (``session_id``), or outside sessions (the plan's authors,
    state staff, or the step's owner)."""
    access, step = get_next_step_for_user(request.user, step_id)
    session = None
    if payload.session_id is not None:
        session = StrategySession.objects.filter(pk=payload.session_id, plan=access.plan).first()
        if session is None:
            raise ValidationError(
                [
                    {
                        "loc": ["body", "session_id"],
                        "msg": "That session is not part of this plan.",
                        "type": "value_error",
                    }
                ]
            )
    call(
        lambda: services.next_step_close(
            actor=request.user,
            step=step,
            closing_note=payload.closing_note,
            session=session,
            expected_version=payload.version,
        )
    )
    return _step(NextStep.objects.select_related("raised_in").get(pk=step_id))


@router.post(
    "/sessions/{int:session_id}/hold",
    response={200: SessionDetailOut, **WRITE},
    operation_id="plan_session_hold",
    summary="Hold a session: its minutes become final",
)
def session_hold_api(request: HttpRequest, session_id: int, payload: VersionIn) -> dict[str, Any]:
    """Refused (422) while an active benchmark has no status; the message lists them. Then the
    session is locked."""
    access, session = get_session_for_user(request.user, session_id)
    call(
        lambda: services.session_hold(
            actor=request.user, session=session, expected_version=payload.version
        )
    )
    return _detail(access, session_id)


@router.get(
    "/sessions/{int:session_id}/minutes.pdf",
    response={200: None, **READ},
    operation_id="plan_session_minutes_pdf",
    summary="A session's minutes as a PDF",
    openapi_extra=_PDF_RESPONSE,
)
def session_minutes_api(request: HttpRequest, session_id: int) -> HttpResponse:
    """Date, participants, the data snapshot, benchmark statuses with values and evidence,
    notes, decisions and next steps. A session not yet held prints as a draft."""
    _, session = get_session_for_user(request.user, session_id)
    response = HttpResponse(render_minutes_pdf(session), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{minutes_pdf_filename(session)}"'
    return response
