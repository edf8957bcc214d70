"""Quarterly session pages: the plan's sessions (and scheduling), one session (snapshot,
benchmark statuses, notes and decisions, next steps new / carried forward / closed, hold), the
minutes PDF, and the plan's "where are we now" progress. Every form posts to its own URL and
comes back to the session (POST-redirect-GET); a refused post re-renders the page with the
user's input and the message, with status 422 (bad input), 403 (not allowed) or 409 (stale edit,
or the session is held)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from turnaround.monitoring.charts import action_shares, statuses_over_sessions
from turnaround.monitoring.forms import (
    BenchmarkStatusForm,
    NextStepCloseForm,
    NextStepForm,
    SessionDetailsForm,
    SessionNotesForm,
    SessionScheduleForm,
    VersionForm,
)
from turnaround.monitoring.health import STATUSES, plan_progress
from turnaround.monitoring.models import BenchmarkStatus, StrategySession
from turnaround.monitoring.pdf import minutes_pdf_filename, render_minutes_pdf
from turnaround.monitoring.selectors import (
    get_next_step_for_user,
    get_session_for_user,
    participant_candidates,
    plan_sessions,
    session_label,
    session_steps,
)
from turnaround.monitoring.services import (
    benchmark_status_record,
    hold_blockers,
    next_step_add,
    next_step_close,
    plan_is_monitored,
    session_hold,
    session_open,
    session_schedule,
    session_update,
    session_update_notes,
)
from turnaround.monitoring.views_coaching import attempt, comments_context, plan_page
from turnaround.plans.access import PlanAccess, get_plan_for_user
from turnaround.plans.models import Benchmark

Status = StrategySession.Status


# ---------------------------------------------------------------------------------------------
# The plan's sessions


def _sessions_page(
    request: HttpRequest,
    access: PlanAccess,
    status: int = 200,
    form: SessionScheduleForm | None = None,
) -> HttpResponse:
    plan = access.plan
    monitored = plan_is_monitored(plan)
    can_schedule = access.can_monitor and monitored
    errors: list[str] = []
    if form is not None and not can_schedule:  # a refused post the page has no form for
        errors = list(form.non_field_errors())
        form = None
    if can_schedule and form is None:
        taken = set(plan_sessions(plan).values_list("year", "quarter"))
        free = next(((y, q) for y in plan.years for q in (1, 2, 3, 4) if (y, q) not in taken), None)
        initial = {"year": free[0], "quarter": free[1]} if free else {}
        form = SessionScheduleForm(plan=plan, people=participant_candidates(plan), initial=initial)
    sessions = []
    counted = plan_sessions(plan).annotate(
        n_statuses=Count("benchmark_statuses", distinct=True),
        n_raised=Count("next_steps_raised", distinct=True),
    )
    for s in counted:
        sessions.append(
            {
                "session": s,
                "label": session_label(s),
                "statuses": s.n_statuses,
                "raised": s.n_raised,
            }
        )
    return plan_page(
        request,
        "monitoring/sessions.html",
        access,
        "sessions",
        {
            "sessions": sessions,
            "monitored": monitored,
            "can_schedule": can_schedule,
            "form": form,
            "errors": errors,
        },
        status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def sessions(request: HttpRequest, plan_id: int) -> HttpResponse:
    access = get_plan_for_user(request.user, plan_id)
    if request.method == "GET":
        return _sessions_page(request, access)
    plan = access.plan
    form = SessionScheduleForm(request.POST, plan=plan, people=participant_candidates(plan))
    if not form.is_valid():
        return _sessions_page(request, access, 422, form)
    data = form.cleaned_data
    session, status, _ = attempt(
        form,
        lambda: session_schedule(
            actor=request.user,
            plan=plan,
            year=data["year"],
            quarter=data["quarter"],
            held_on=data["held_on"],
            participants=list(data["participants"]),
            other_participants=data["other_participants"],
        ),
    )
    if session is None:
        return _sessions_page(request, access, status, form)
    messages.success(request, f"Scheduled the {session_label(session)} session.")
    return redirect("monitoring:session_detail", session.pk)


# ---------------------------------------------------------------------------------------------
# One session


def _benchmark_rows(
    access: PlanAccess, session: StrategySession, can_record: bool, bound: dict[int, Any]
) -> list[dict[str, Any]]:
    statuses = {
        s.benchmark_id: s
        for s in BenchmarkStatus.objects.filter(session=session).select_related("recorded_by")
    }
    benchmarks = list(
        Benchmark.objects.filter(plan=access.plan)
        .filter(Q(is_active=True) | Q(pk__in=list(statuses)))
        .order_by("kind", "order", "pk")
    )
    earlier = {
        b["id"]: b.get("latest") for b in (session.data_snapshot or {}).get("benchmarks", [])
    }
    rows = []
    for b in benchmarks:
        row = statuses.get(b.pk)
        form = None
        if can_record and b.is_active:
            form = bound.get(b.pk) or BenchmarkStatusForm(
                prefix=f"b{b.pk}",
                unit=b.unit,
                initial={
                    "status": row.status if row else None,
                    "value": row.value if row else None,
                    "evidence": row.evidence if row else "",
                    "version": row.version if row else 0,
                },
            )
        rows.append({"benchmark": b, "status": row, "form": form, "earlier": earlier.get(b.pk)})
    return rows


def _detail_page(
    request: HttpRequest,
    access: PlanAccess,
    session: StrategySession,
    status: int = 200,
    *,
    errors: list[str] | None = None,
    bench_forms: dict[int, Any] | None = None,
    close_forms: dict[int, Any] | None = None,
    **forms: Any,
) -> HttpResponse:
    plan = access.plan
    can_monitor = access.can_monitor
    editable = can_monitor and not session.is_locked
    can_record = can_monitor and session.status == Status.OPEN
    people = participant_candidates(plan) if editable else []
    # a refused form the page will not show (e.g. a reader's post): show its message at the top
    errors = list(errors or [])
    hidden = (
        [*(bench_forms or {}).values(), *(close_forms or {}).values()] if not can_record else []
    )
    if not can_record and "step_form" in forms:
        hidden.append(forms.pop("step_form"))
    if not editable:
        hidden += [forms.pop(name) for name in ("details_form", "notes_form") if name in forms]
    for form in hidden:
        errors += [e for e in form.non_field_errors() if e not in errors]
    if editable:
        forms.setdefault(
            "details_form",
            SessionDetailsForm(
                people=people,
                initial={
                    "held_on": session.held_on,
                    "participants": list(session.participants.values_list("pk", flat=True)),
                    "other_participants": session.other_participants,
                    "version": session.version,
                },
            ),
        )
        forms.setdefault(
            "notes_form",
            SessionNotesForm(
                initial={
                    "notes": session.notes,
                    "decisions": session.decisions,
                    "version": session.version,
                }
            ),
        )
    if can_record:
        forms.setdefault("step_form", NextStepForm(plan=plan, people=people))
    steps = session_steps(session)
    close_forms = close_forms or {}
    titles = {
        "new": "Raised in this session",
        "carried": "Carried forward (still open)",
        "closed": "Closed",
    }
    step_groups = []
    for key, title in titles.items():
        items = []
        for row in steps[key]:
            form = None
            if can_record and row.is_open:
                form = close_forms.get(row.step.pk) or NextStepCloseForm(
                    prefix=f"s{row.step.pk}", initial={"version": row.step.version}
                )
            items.append({"row": row, "form": form})
        step_groups.append({"key": key, "title": title, "rows": items})
    snapshot = session.data_snapshot or {}
    context = {
        "session": session,
        "label": session_label(session),
        "participants": list(session.participants.order_by("last_name", "username")),
        "other_participants": [
            line.strip() for line in session.other_participants.splitlines() if line.strip()
        ],
        "snapshot": snapshot,
        "benchmark_rows": _benchmark_rows(access, session, can_record, bench_forms or {}),
        "step_groups": step_groups,
        "can_monitor": can_monitor,
        "editable": editable,
        "can_record": can_record,
        "can_open": can_monitor and session.status == Status.SCHEDULED,
        "blockers": hold_blockers(session) if can_record else [],
        "errors": errors,
        "status_choices": BenchmarkStatus.Status.choices,
        **comments_context(access, "session", session.pk),
        **forms,
    }
    return plan_page(request, "monitoring/session_detail.html", access, "sessions", context, status)


def _load(request: HttpRequest, session_id: int) -> tuple[PlanAccess, StrategySession]:
    return get_session_for_user(request.user, session_id)


def _back(session_id: int, anchor: str = "") -> HttpResponse:
    url = reverse("monitoring:session_detail", args=[session_id])
    return redirect(f"{url}#{anchor}" if anchor else url)


@login_required
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    access, session = _load(request, session_id)
    return _detail_page(request, access, session)


@login_required
@require_POST
def session_open_view(request: HttpRequest, session_id: int) -> HttpResponse:
    access, session = _load(request, session_id)
    form = VersionForm(request.POST)
    version = form.cleaned_data["version"] if form.is_valid() else None
    opened, status, loose = attempt(
        None,
        lambda: session_open(actor=request.user, session=session, expected_version=version),
    )
    if opened is None:
        return _detail_page(request, access, session, status, errors=loose)
    messages.success(
        request, "The session is open: the data snapshot is taken and will not change."
    )
    return _back(session_id, "snapshot")


@login_required
@require_POST
def session_details(request: HttpRequest, session_id: int) -> HttpResponse:
    access, session = _load(request, session_id)
    form = SessionDetailsForm(request.POST, people=participant_candidates(access.plan))
    if not form.is_valid():
        return _detail_page(request, access, session, 422, details_form=form)
    data = form.cleaned_data
    saved, status, _ = attempt(
        form,
        lambda: session_update(
            actor=request.user,
            session=session,
            changes={
                "held_on": data["held_on"],
                "participants": list(data["participants"]),
                "other_participants": data["other_participants"],
            },
            expected_version=data["version"],
        ),
    )
    if saved is None:
        return _detail_page(request, access, session, status, details_form=form)
    messages.success(request, "Saved the date and participants.")
    return _back(session_id, "participants")


@login_required
@require_POST
def session_notes(request: HttpRequest, session_id: int) -> HttpResponse:
    access, session = _load(request, session_id)
    form = SessionNotesForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, access, session, 422, notes_form=form)
    data = form.cleaned_data
    saved, status, _ = attempt(
        form,
        lambda: session_update_notes(
            actor=request.user,
            session=session,
            notes=data["notes"],
            decisions=data["decisions"],
            expected_version=data["version"],
        ),
    )
    if saved is None:
        return _detail_page(request, access, session, status, notes_form=form)
    messages.success(request, "Saved the notes and decisions.")
    return _back(session_id, "notes")


@login_required
@require_POST
def session_benchmark(request: HttpRequest, session_id: int, benchmark_id: int) -> HttpResponse:
    access, session = _load(request, session_id)
    benchmark = Benchmark.objects.filter(pk=benchmark_id, plan=access.plan).first()
    if benchmark is None:
        raise Http404("No such benchmark.")
    form = BenchmarkStatusForm(request.POST, prefix=f"b{benchmark.pk}", unit=benchmark.unit)
    if not form.is_valid():
        return _detail_page(request, access, session, 422, bench_forms={benchmark.pk: form})
    data = form.cleaned_data
    saved, status, _ = attempt(
        form,
        lambda: benchmark_status_record(
            actor=request.user,
            session=session,
            benchmark=benchmark,
            status=data["status"],
            value=data["value"],
            evidence=data["evidence"],
            expected_version=data["version"],
        ),
    )
    if saved is None:
        return _detail_page(request, access, session, status, bench_forms={benchmark.pk: form})
    messages.success(request, f"Saved the status of “{benchmark.measure}”.")
    return _back(session_id, f"benchmark-{benchmark.pk}")


@login_required
@require_POST
def session_next_step_add(request: HttpRequest, session_id: int) -> HttpResponse:
    access, session = _load(request, session_id)
    form = NextStepForm(request.POST, plan=access.plan, people=participant_candidates(access.plan))
    if not form.is_valid():
        return _detail_page(request, access, session, 422, step_form=form)
    data = form.cleaned_data
    step, status, _ = attempt(
        form,
        lambda: next_step_add(
            actor=request.user,
            session=session,
            description=data["description"],
            owner=data["owner"],
            owner_user=data["owner_user"],
            due_on=data["due_on"],
            objective=data["objective"],
        ),
    )
    if step is None:
        return _detail_page(request, access, session, status, step_form=form)
    messages.success(request, "Added the next step.")
    return _back(session_id, "next-steps")


@login_required
@require_POST
def next_step_close_view(request: HttpRequest, step_id: int) -> HttpResponse:
    """Close a step; with ``session`` in the form, in that session (back to its page)."""
    access, step = get_next_step_for_user(request.user, step_id)
    session_id = request.POST.get("session") or ""
    session = None
    if session_id.isdigit():
        session = StrategySession.objects.filter(pk=int(session_id), plan=access.plan).first()
    form = NextStepCloseForm(request.POST, prefix=f"s{step.pk}")
    target = session or step.raised_in
    if not form.is_valid():
        return _detail_page(request, access, target, 422, close_forms={step.pk: form})
    closed, status, _ = attempt(
        form,
        lambda: next_step_close(
            actor=request.user,
            step=step,
            closing_note=form.cleaned_data["closing_note"],
            session=session,
            expected_version=form.cleaned_data["version"],
        ),
    )
    if closed is None:
        return _detail_page(request, access, target, status, close_forms={step.pk: form})
    messages.success(request, "Closed the next step.")
    return _back(target.pk, "next-steps")


@login_required
@require_POST
def session_hold_view(request: HttpRequest, session_id: int) -> HttpResponse:
    access, session = _load(request, session_id)
    form = VersionForm(request.POST)
    version = form.cleaned_data["version"] if form.is_valid() else None
    held, status, loose = attempt(
        None,
        lambda: session_hold(actor=request.user, session=session, expected_version=version),
    )
    if held is None:
        return _detail_page(request, access, session, status, errors=loose)
    messages.success(request, f"The {session_label(held)} session is held: its minutes are final.")
    return _back(session_id)


@login_required
def session_minutes(request: HttpRequest, session_id: int) -> HttpResponse:
    _, session = _load(request, session_id)
    response = HttpResponse(render_minutes_pdf(session), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{minutes_pdf_filename(session)}"'
    return response


# ---------------------------------------------------------------------------------------------
# Where are we now


@login_required
def progress(request: HttpRequest, plan_id: int) -> HttpResponse:
    access = get_plan_for_user(request.user, plan_id)
    p = plan_progress(access.plan)
    return plan_page(
        request,
        "monitoring/progress.html",
        access,
        "progress",
        {
            "progress": p,
            "statuses": STATUSES,
            "status_chart": statuses_over_sessions(p),
            "action_chart": action_shares(p),
        },
    )
