"""Identification runs for state staff: start one, watch its progress, see what it found and what
changed, review the schools its rules flag and confirm designations; export its determinations.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from turnaround.accountability.access import (
    get_managed_state,
    get_run_for_user,
    staff_states,
    visible_runs,
)
from turnaround.accountability.exports import determinations_response
from turnaround.accountability.filters import DeterminationFilters
from turnaround.accountability.forms import ConfirmForm, RunForm
from turnaround.accountability.jobs import job_start
from turnaround.accountability.models import AccountabilityDetermination, DesignationStatus
from turnaround.accountability.selectors import (
    determination_list,
    run_changes,
    run_label_counts,
    run_review_rows,
)
from turnaround.accountability.services.designations import designation_confirm
from turnaround.accountability.services.runs import (
    RunInProgress,
    identification_run_create,
    parse_param_pairs,
)
from turnaround.analytics.accountability import ruleset_list

RUNS_SHOWN = 20


def _htmx_target(request: HttpRequest) -> str:
    return request.headers.get("HX-Target", "") if getattr(request, "htmx", False) else ""


def _runs_context(request: HttpRequest, state: Any, form: RunForm) -> dict[str, Any]:
    runs = list(
        visible_runs(request.user)
        .filter(state=state)
        .select_related("state", "requested_by")[:RUNS_SHOWN]
    )
    return {
        "state": state,
        "form": form,
        "runs": runs,
        "any_active": any(r.is_active for r in runs),
        "rulesets": ruleset_list(),
        "section": "runs",
    }


@login_required
@require_GET
def runs_page(request: HttpRequest, code: str) -> HttpResponse:
    state = get_managed_state(request.user, code)
    form = RunForm(states=staff_states(request.user), initial={"state": state.pk})
    context = _runs_context(request, state, form)
    if _htmx_target(request) == "identification-runs":
        return render(request, "accountability/runs_table.html", context)
    return render(request, "accountability/runs.html", context)


@login_required
@require_POST
def run_start(request: HttpRequest, code: str) -> HttpResponse:
    state = get_managed_state(request.user, code)
    form = RunForm(request.POST, states=staff_states(request.user))
    status = 422
    if form.is_valid():
        try:
            params = parse_param_pairs(form.cleaned_data["params"] or "")
            run = identification_run_create(
                state=form.cleaned_data["state"],
                ruleset=form.cleaned_data["ruleset"],
                year=form.cleaned_data["year"],
                params=params,
                actor=request.user,
            )
        except RunInProgress as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            how = job_start(run)
            run.refresh_from_db()
            text = {
                "immediate": f"Identification run {run.pk}: {run.get_status_display().lower()}.",
                "worker": f"Identification run {run.pk} is queued for the worker.",
                "thread": f"Identification run {run.pk} has started.",
            }[how]
            messages.success(request, text)
            return redirect("accountability:run", run_id=run.pk)
    return render(
        request, "accountability/runs.html", _runs_context(request, state, form), status=status
    )


@login_required
@require_GET
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_run_for_user(request.user, run_id)
    context: dict[str, Any] = {"run": run, "state": run.state, "section": "runs"}
    if _htmx_target(request) == "run-progress":
        return render(request, "accountability/run_progress.html", context)
    if run.status == run.Status.DONE:
        context.update(
            {
                "label_counts": run_label_counts(run),
                "changes": run_changes(run),
                "flagged": run.flagged_count,
            }
        )
    return render(request, "accountability/run_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def run_review(request: HttpRequest, run_id: int) -> HttpResponse:
    """The schools the run's rules flag, with reasons; confirm a designation for each."""
    run = get_run_for_user(request.user, run_id)
    status = 200
    form: ConfirmForm | None = None
    failed_for: int | None = None
    if request.method == "POST":
        form = ConfirmForm(request.POST)
        status = 422
        if form.is_valid():
            det = AccountabilityDetermination.objects.filter(
                pk=form.cleaned_data["determination"],
                school__district__state=run.state,
                ruleset=run.ruleset,
            ).first()
            failed_for = form.cleaned_data["determination"]
            if det is None:
                form.add_error(None, "That determination is not one of this run's.")
            else:
                try:
                    designation = designation_confirm(
                        actor=request.user,
                        determination=det,
                        status=form.cleaned_data["status"],
                        entered_year=form.cleaned_data["entered_year"],
                        eligible_exit=form.cleaned_data["eligible_exit_year"],
                        notes=form.cleaned_data["notes"],
                        override_note=form.cleaned_data["override_note"],
                    )
                except ValidationError as exc:
                    for name, errors in exc.message_dict.items():
                        form.add_error(name if name in form.fields else None, errors)
                except PermissionDenied as exc:
                    form.add_error(None, str(exc))
                    status = 403
                else:
                    messages.success(
                        request,
                        f"{det.school.name} is designated "
                        f"{designation.get_status_display()} from {designation.entered_year}.",
                    )
                    return redirect(
                        reverse("accountability:run_review", args=[run.pk]) + f"#det-{det.pk}"
                    )
        else:
            raw = request.POST.get("determination", "")
            failed_for = int(raw) if raw.isdigit() else None
    rows = run_review_rows(run) if run.status == run.Status.DONE else []
    context = {
        "run": run,
        "state": run.state,
        "rows": rows,
        "form": form,
        "failed_for": failed_for,
        "status_choices": DesignationStatus.choices,
        "section": "runs",
    }
    return render(request, "accountability/run_review.html", context, status=status)


@login_required
@require_GET
def run_export(request: HttpRequest, run_id: int, fmt: str) -> HttpResponse:
    run = get_run_for_user(request.user, run_id)
    filters = DeterminationFilters(year=run.year, ruleset=run.ruleset)
    qs = determination_list(request.user, filters, state=run.state)
    return determinations_response(
        qs, fmt, f"determinations-{run.state.code}-{run.ruleset}-{run.year}"
    )
