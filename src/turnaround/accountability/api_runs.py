"""Determinations and identification runs over the API.

- ``/determinations``: every determination of the schools you reach (published and computed),
  filtered like the pages' exports.
- ``/identification/runs``: the runs of the states where you are a state administrator or state
  staff; ``POST`` validates the rule set's parameters (422 naming the allowed values), queues the
  run and starts it, answering 201 at once (queued, running, or already done when jobs run
  immediately); poll ``/identification/runs/{id}`` for its progress. 409 while another run of
  the state is active.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from ninja.errors import ValidationError

from turnaround.accountability.access import get_run_for_user, staff_states, visible_runs
from turnaround.accountability.api_common import READ, WRITE, invalid, school_ref
from turnaround.accountability.filters import DeterminationFilters
from turnaround.accountability.jobs import job_start
from turnaround.accountability.models import AccountabilityDetermination, IdentificationRun
from turnaround.accountability.schemas import (
    DeterminationPage,
    DeterminationQuery,
    RunIn,
    RunOut,
    RunPage,
)
from turnaround.accountability.selectors import candidate_of, determination_list
from turnaround.accountability.services.runs import RunInProgress, identification_run_create
from turnaround.accounts.access import visible_states
from turnaround.organizations.schemas import PageQuery

router = Router(tags=["accountability"])


def determination_item(d: AccountabilityDetermination) -> dict[str, Any]:
    candidate = candidate_of(d)
    reasons = [str(r) for r in (d.reasons or [])] or ([d.reason] if d.reason else [])
    return {
        "id": d.pk,
        "school": school_ref(d.school),
        "year": d.year,
        "ruleset": d.ruleset,
        "ruleset_version": d.ruleset_version,
        "label": d.label,
        "level": d.level,
        "reasons": reasons,
        "percentile": d.percentile,
        "ppi_all": d.ppi_all,
        "ppi_high_needs": d.ppi_high_needs,
        "years_in_status": d.years_in_status,
        "flags": d.flags,
        "is_official": d.is_official,
        "run_id": d.run_id,
        "candidate_status": candidate.status if candidate else None,
        "inputs": d.inputs if isinstance(d.inputs, dict) else {},
    }


def run_item(run: IdentificationRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "state": run.state.code,
        "year": run.year,
        "ruleset": run.ruleset,
        "ruleset_version": run.ruleset_version,
        "params": dict(run.params or {}),
        "status": run.status,
        "stage": run.stage,
        "progress_done": run.progress_done,
        "progress_total": run.progress_total,
        "percent": run.percent,
        "message": run.message,
        "requested_by": run.requested_by.get_username() if run.requested_by else None,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "schools_evaluated": run.schools_evaluated,
        "created_count": run.created_count,
        "updated_count": run.updated_count,
        "unchanged_count": run.unchanged_count,
        "flagged_count": run.flagged_count,
        "official_count": run.official_count,
        "official_agree": run.official_agree,
        "inputs_summary": dict(run.inputs_summary or {}),
    }


@router.get(
    "/determinations",
    response={200: DeterminationPage, **READ},
    operation_id="determination_list",
    summary="Accountability determinations of the schools you reach",
)
def determination_list_api(
    request: HttpRequest, filters: Query[DeterminationQuery]
) -> dict[str, Any]:
    """Newest year first. Published (`is_official`) and computed determinations of the same school,
    year and rule set are both listed; a computation never overwrites a published one."""
    params = filters.model_dump()
    parsed = DeterminationFilters.from_params(params)  # FilterError → 422
    state = None
    if filters.state:
        state = visible_states(request.user).filter(code=filters.state.upper()).first()
        if state is None:
            raise Http404("Not found.")
    qs = determination_list(request.user, parsed, state=state)
    rows = list(qs[filters.offset : filters.offset + filters.limit])
    return {"count": qs.count(), "items": [determination_item(d) for d in rows]}


@router.get(
    "/identification/runs",
    response={200: RunPage, **READ},
    operation_id="identification_run_list",
    summary="Identification runs of your states",
)
def run_list_api(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """Newest first; empty unless you are a state administrator or state staff."""
    qs = visible_runs(request.user).select_related("state", "requested_by")
    rows = list(qs[page.offset : page.offset + page.limit])
    return {"count": qs.count(), "items": [run_item(r) for r in rows]}


@router.post(
    "/identification/runs",
    response={201: RunOut, **WRITE},
    operation_id="identification_run_start",
    summary="Start an identification run",
)
def run_start_api(request: HttpRequest, payload: RunIn) -> Status[dict[str, Any]]:
    """Apply a rule set to a state's stored data for a year. 404 when you are not a state
    administrator or state staff of the state; 409 while another run of the state is active."""
    states = staff_states(request.user)
    if payload.state:
        state = states.filter(code=payload.state.upper()).first()
        if state is None:
            raise Http404("Not found.")
    else:
        choices = list(states[:2])
        if not choices:
            raise Http404("Not found.")
        if len(choices) > 1:
            codes = ", ".join(states.values_list("code", flat=True))
            raise invalid("body", "state", f"you work in several states; name one: {codes}")
        state = choices[0]
    try:
        run = identification_run_create(
            state=state,
            ruleset=payload.ruleset,
            year=payload.year,
            params=payload.params,
            actor=request.user,
        )
    except DjangoValidationError as exc:
        raise ValidationError(
            [
                {"loc": ["body", field], "msg": msg, "type": "value_error"}
                for field, msgs in exc.message_dict.items()
                for msg in msgs
            ]
        ) from exc
    except RunInProgress as exc:
        return Status(409, {"detail": str(exc)})
    job_start(run)
    run.refresh_from_db()
    return Status(201, run_item(run))


@router.get(
    "/identification/runs/{run_id}",
    response={200: RunOut, **READ},
    operation_id="identification_run_detail",
    summary="One identification run with its progress",
)
def run_detail_api(request: HttpRequest, run_id: int) -> dict[str, Any]:
    return run_item(get_run_for_user(request.user, run_id))
