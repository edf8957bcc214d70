"""A plan's approval workflow, versions, differences and table exports over the API.

Thin wrappers around ``plans.access`` and ``plans.services.workflow``:

- "missing" and "not yours" are the same 404; a version a reader may not see (TA providers,
  reviewers and viewers see approved versions only) is a 404 too;
- ``POST /plans/{id}/transitions`` answers 403 when your role does not allow the step, 409 when the
  plan's status does not (or the ``version`` you send is stale), 422 for a missing comment, an
  unknown transition or an incomplete plan (each missing part one item), and otherwise the plan's
  new status and version. Nothing changes on a refusal.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.errors import HttpError, ValidationError

from turnaround.core.concurrency import StaleEditError
from turnaround.organizations.schemas import Message, ValidationErrors
from turnaround.plans.access import PlanAccess, get_plan_for_user
from turnaround.plans.diff import snapshot_diff
from turnaround.plans.exports import FORMATS, TABLES, plan_table_response
from turnaround.plans.models import PlanVersion
from turnaround.plans.schemas_workflow import (
    DiffOut,
    DiffQuery,
    ExportQuery,
    PlanVersionDetailOut,
    PlanVersionOut,
    TransitionIn,
    WorkflowOut,
)
from turnaround.plans.services.workflow import (
    TransitionNotAvailable,
    allowed_transitions,
    last_version,
    plan_transition,
    status_message,
    submit_blockers,
    transition_label,
    versions_for,
)

router = Router(tags=["plan workflow"])

_READ: dict[int, Any] = {401: Message, 404: Message, 422: ValidationErrors}
_WRITE: dict[int, Any] = {**_READ, 403: Message, 409: Message}
_FILE_RESPONSE = {
    "responses": {
        200: {
            "description": "The table as CSV (UTF-8 with a byte-order mark) or XLSX.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    }
}


def _access(request: HttpRequest, plan_id: int) -> PlanAccess:
    return get_plan_for_user(request.user, plan_id)


def _version(v: PlanVersion) -> dict[str, Any]:
    return {
        "number": v.number,
        "status": v.status,
        "status_label": v.get_status_display(),
        "transition": v.transition,
        "transition_label": transition_label(v.transition),
        "comment": v.comment,
        "created_by": v.created_by.get_username() if v.created_by is not None else None,
        "created_at": v.created_at,
    }


def _visible_version(access: PlanAccess, number: int) -> PlanVersion:
    found = versions_for(access).filter(number=number).first()
    if found is None:
        raise Http404("Not found.")
    return found


def _workflow(access: PlanAccess) -> dict[str, Any]:
    plan = access.plan
    allowed = allowed_transitions(access)
    last = last_version(plan)
    return {
        "id": plan.pk,
        "status": plan.status,
        "status_label": plan.get_status_display(),
        "version": plan.version,
        "plan_version": last.number if last is not None else None,
        "status_message": status_message(access),
        "allowed_transitions": [
            {"name": n, "label": label, "needs_comment": c} for n, label, c in allowed
        ],
        "submit_blockers": submit_blockers(plan) if any(n == "submit" for n, *_ in allowed) else [],
    }


@router.get(
    "/plans/{int:plan_id}/versions",
    response={200: list[PlanVersionOut], **_READ},
    operation_id="plan_version_list",
    summary="A plan's versions, newest first",
)
def plan_version_list(request: HttpRequest, plan_id: int) -> list[dict[str, Any]]:
    """One version per workflow step (submit, approvals, return, amendment), with who, when,
    the step's comment and the plan's status after it."""
    return [_version(v) for v in versions_for(_access(request, plan_id))]


@router.get(
    "/plans/{int:plan_id}/versions/{int:number}",
    response={200: PlanVersionDetailOut, **_READ},
    operation_id="plan_version_detail",
    summary="One version of a plan, with its full snapshot",
)
def plan_version_detail(request: HttpRequest, plan_id: int, number: int) -> dict[str, Any]:
    v = _visible_version(_access(request, plan_id), number)
    return {**_version(v), "snapshot": v.snapshot}


@router.get(
    "/plans/{int:plan_id}/diff",
    response={200: DiffOut, **_READ},
    operation_id="plan_version_diff",
    summary="What changed between two versions of a plan",
)
def plan_version_diff(
    request: HttpRequest, plan_id: int, query: Query[DiffQuery]
) -> dict[str, Any]:
    """Items added, removed and changed from version ``from`` to version ``to``, in document
    order, each changed field with its value before and after as text."""
    access = _access(request, plan_id)
    old = _visible_version(access, query.from_)
    new = _visible_version(access, query.to)
    return {
        "from_version": _version(old),
        "to_version": _version(new),
        "changes": [c.as_dict() for c in snapshot_diff(old.snapshot, new.snapshot)],
    }


@router.get(
    "/plans/{int:plan_id}/transitions",
    response={200: WorkflowOut, **_READ},
    operation_id="plan_workflow",
    summary="A plan's status and the transitions open to you",
)
def plan_workflow(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    return _workflow(_access(request, plan_id))


def _invalid(exc: DjangoValidationError) -> ValidationError:
    items: list[dict[str, Any]] = []
    if hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            name = "comment" if field == "reason" else field  # amend's reason is the comment
            loc = ["body"] if field == "__all__" else ["body", name]
            items += [{"loc": loc, "msg": m, "type": "value_error"} for m in msgs]
    else:
        items = [{"loc": ["body"], "msg": m, "type": "value_error"} for m in exc.messages]
    return ValidationError(items)


@router.post(
    "/plans/{int:plan_id}/transitions",
    response={200: WorkflowOut, **_WRITE},
    operation_id="plan_transition",
    summary="Move a plan: submit, district_approve, state_approve, return or amend",
)
def plan_transition_api(request: HttpRequest, plan_id: int, payload: TransitionIn) -> Any:
    """Send the plan's ``version`` you loaded. ``return`` needs a comment saying what must change;
    ``amend`` (an approved plan back to draft) needs the reason in ``comment``. Submitting an
    incomplete plan answers 422 with one item per missing part."""
    access = _access(request, plan_id)
    try:
        plan_transition(
            actor=request.user,
            plan=access.plan,
            name=payload.name,
            comment=payload.comment,
            expected_version=payload.version,
        )
    except DjangoValidationError as exc:
        raise _invalid(exc) from exc
    except (StaleEditError, TransitionNotAvailable) as exc:
        raise HttpError(409, str(exc)) from exc
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "You cannot do that.") from exc
    return _workflow(_access(request, plan_id))


@router.get(
    "/plans/{int:plan_id}/export",
    response={200: None, **_READ},
    operation_id="plan_export",
    summary="A plan's goals, benchmarks or actions as CSV or XLSX",
    openapi_extra=_FILE_RESPONSE,
)
def plan_export(request: HttpRequest, plan_id: int, query: Query[ExportQuery]) -> HttpResponse:
    """The same table as the plan page's download: organisation columns, then one row per goal
    (with a target column per school year), benchmark or action. Codes stay text."""
    access = _access(request, plan_id)
    errors = []
    if query.table not in TABLES:
        errors.append(
            {
                "loc": ["query", "table"],
                "msg": f"Choose one of {', '.join(TABLES)}.",
                "type": "value_error",
            }
        )
    if query.format not in FORMATS:
        errors.append(
            {
                "loc": ["query", "format"],
                "msg": f"Choose one of {', '.join(FORMATS)}.",
                "type": "value_error",
            }
        )
    if errors:
        raise ValidationError(errors)
    return plan_table_response(access.plan, query.table, query.format)  # type: ignore[return-value]
