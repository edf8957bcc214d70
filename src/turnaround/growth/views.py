"""Growth pages: runs for state staff (start one, watch its progress) and a school's student SGPs.

Student-level SGPs are restricted: only roles that see the school's restricted data reach the
page (everyone else gets the same 404 as for a missing school), every view is recorded in the
read-access log, and the response is never cached.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from turnaround.accounts.access import get_school_for_user
from turnaround.growth.forms import GrowthRunForm
from turnaround.growth.jobs import job_start
from turnaround.growth.models import GROWTH_SUBJECTS, StudentDataAccess
from turnaround.growth.selectors import (
    get_growth_run_for_user,
    growth_runs_for_user,
    growth_states_for_user,
    growth_years,
    student_growth_for_school,
    student_growth_years,
)
from turnaround.growth.services import (
    RunInProgress,
    growth_run_create,
    student_data_access_record,
)
from turnaround.performance.models import Subject

RUNS_SHOWN = 20
STUDENTS_PER_PAGE = 50
SUBJECT_LABELS = dict(Subject.choices)


def _htmx_target(request: HttpRequest) -> str:
    return request.headers.get("HX-Target", "") if getattr(request, "htmx", False) else ""


def _form(request: HttpRequest, data: Any = None) -> GrowthRunForm:
    states = growth_states_for_user(request.user)
    years = sorted({y for s in states for y in growth_years(s)}, reverse=True)
    return GrowthRunForm(data, states=states, years=years)


def _home_context(request: HttpRequest, form: GrowthRunForm) -> dict[str, Any]:
    runs = list(growth_runs_for_user(request.user)[:RUNS_SHOWN])
    return {
        "form": form,
        "runs": runs,
        "any_active": any(r.is_active for r in runs),
        "has_years": bool(form.fields["year"].choices),
    }


@login_required
@require_GET
def growth_home(request: HttpRequest) -> HttpResponse:
    """State staff and administrators: start a run and see the state's runs."""
    if not growth_states_for_user(request.user).exists():
        raise Http404("Not found.")
    context = _home_context(request, _form(request))
    if _htmx_target(request) == "growth-runs":
        return render(request, "growth/runs_table.html", context)
    return render(request, "growth/home.html", context)


@login_required
@require_POST
def growth_run_start(request: HttpRequest) -> HttpResponse:
    if not growth_states_for_user(request.user).exists():
        raise Http404("Not found.")
    form = _form(request, request.POST)
    status = 422
    if form.is_valid():
        try:
            run = growth_run_create(
                state=form.cleaned_data["state"],
                year=form.cleaned_data["year"],
                content_areas=form.cleaned_data["content_areas"],
                actor=request.user,
            )
        except RunInProgress as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            how = job_start(run)
            run.refresh_from_db()
            text = {
                "immediate": f"Growth run {run.pk}: {run.get_status_display().lower()}.",
                "worker": f"Growth run {run.pk} is queued for the growth worker.",
                "thread": f"Growth run {run.pk} has started.",
            }[how]
            messages.success(request, text)
            return redirect("growth:run", run_id=run.pk)
    return render(request, "growth/home.html", _home_context(request, form), status=status)


@login_required
@require_GET
def growth_run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_growth_run_for_user(request.user, run_id)
    context = {"run": run}
    if _htmx_target(request) == "run-progress":
        return render(request, "growth/run_progress.html", context)
    return render(request, "growth/run_detail.html", context)


@login_required
@require_GET
@never_cache
def student_growth(request: HttpRequest, school_id: int) -> HttpResponse:
    """A school's students' SGPs: restricted, and every view is recorded."""
    access = get_school_for_user(request.user, school_id)
    if not access.sees_restricted:
        raise Http404("No such school.")
    school = access.school
    years = student_growth_years(school)
    errors: dict[str, str] = {}
    year = years[0] if years else None
    raw_year = request.GET.get("year", "")
    if raw_year:
        if raw_year.isdigit() and int(raw_year) in years:
            year = int(raw_year)
        else:
            errors["year"] = f"choose one of the years with growth: {', '.join(map(str, years))}"
    subject = request.GET.get("subject", "")
    if subject and subject not in GROWTH_SUBJECTS:
        errors["subject"] = f"allowed: {', '.join(GROWTH_SUBJECTS)}"
        subject = ""
    page = None
    rows: list[Any] = []
    if year is not None:
        paginator = Paginator(
            student_growth_for_school(school, year=year, subject=subject or None),
            STUDENTS_PER_PAGE,
        )
        page = paginator.get_page(request.GET.get("page"))
        rows = list(page.object_list)
        student_data_access_record(
            user=request.user,
            school=school,
            record_kind="student_growth",
            student_keys=[r.student_key for r in rows],
            channel=StudentDataAccess.Channel.WEB,
            purpose="view student growth percentiles",
            query={"year": year, "subject": subject, "page": page.number},
        )
    context = {
        "school": school,
        "years": years,
        "year": year,
        "subject": subject,
        "subjects": [(s, SUBJECT_LABELS[s]) for s in GROWTH_SUBJECTS],
        "page": page,
        "rows": rows,
        "errors": errors,
        "query": {"year": year or "", "subject": subject},
    }
    return render(request, "growth/student_growth.html", context, status=400 if errors else 200)
