"""Plan health dashboards: every school's plan in force in a state (state administrators and
staff) or a district (its leaders, and state administrators and staff), with sort, filters,
drill-down links and CSV/XLSX downloads. The figures are defined in ``health.py``.

Who sees a dashboard: those who see the state's (or district's) restricted data
(``accounts.access``: ``sees_restricted``) — state administrators and staff, and a district's
leaders for their district. Anyone else gets the same 404 as for a missing state or district.
The rows come from ``plans.access.visible_plans``, so a dashboard never shows a plan its reader
could not open.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from turnaround.accounts.access import (
    DistrictAccess,
    StateAccess,
    get_district_for_user,
    get_state_for_user,
)
from turnaround.core.exports import table_csv, table_xlsx
from turnaround.monitoring.forms import DashboardFilterForm
from turnaround.monitoring.health import (
    EXPORT_HEADER,
    HEALTH_LABELS,
    STATUSES,
    PlanHealth,
    export_rows,
    filter_rows,
    plan_health,
    sort_rows,
)
from turnaround.organizations.models import District
from turnaround.plans.access import visible_plans
from turnaround.plans.models import Plan


def state_dashboard_access(user: Any, code: str) -> StateAccess:
    access = get_state_for_user(user, code)
    if not access.sees_restricted:
        raise Http404("No such dashboard.")
    return access


def district_dashboard_access(user: Any, district_id: int) -> DistrictAccess:
    access = get_district_for_user(user, district_id)
    if not access.sees_restricted:
        raise Http404("No such dashboard.")
    return access


def state_plans(user: Any, state_id: int) -> QuerySet[Plan]:
    return visible_plans(user).filter(
        Q(school__district__state_id=state_id) | Q(district__state_id=state_id)
    )


def district_plans(user: Any, district_id: int) -> QuerySet[Plan]:
    return visible_plans(user).filter(
        Q(school__district_id=district_id) | Q(district_id=district_id)
    )


def plan_url(plan_id: int) -> str:
    try:
        return reverse("plans:detail", args=[plan_id])
    except NoReverseMatch:  # the plan pages are built alongside
        return reverse("monitoring:progress", args=[plan_id])


def _links(row: PlanHealth) -> dict[str, str]:
    return {
        "plan": plan_url(row.plan_id),
        "benchmarks": reverse("monitoring:progress", args=[row.plan_id]) + "#benchmarks",
        "session": reverse("monitoring:session_detail", args=[row.last_session_id])
        if row.last_session_id
        else "",
        "sessions": reverse("monitoring:sessions", args=[row.plan_id]),
    }


def _apply(
    request: HttpRequest, rows: list[PlanHealth], districts: list[tuple[int, str]] | None
) -> tuple[DashboardFilterForm, list[PlanHealth]]:
    form = DashboardFilterForm(request.GET or None, districts=districts)
    district_id = None
    health = ""
    sort = "name"
    if form.is_bound and form.is_valid():
        district_id = form.cleaned_data.get("district")
        health = form.cleaned_data["health"]
        sort = form.cleaned_data["sort"] or "name"
    rows = filter_rows(rows, district_id=district_id, health=health)
    return form, sort_rows(rows, sort)


def _summary(rows: list[PlanHealth]) -> dict[str, int]:
    out = dict.fromkeys(HEALTH_LABELS, 0)
    for r in rows:
        out[r.health] += 1
    return out


def _page(
    request: HttpRequest,
    *,
    title: str,
    scope: str,
    rows: list[PlanHealth],
    form: DashboardFilterForm,
    export_url: str,
    back: tuple[str, str],
) -> HttpResponse:
    query = request.GET.urlencode()
    return render(
        request,
        "monitoring/dashboard.html",
        {
            "title": title,
            "scope": scope,
            "rows": [{"row": r, "links": _links(r)} for r in rows],
            "form": form,
            "statuses": STATUSES,
            "health_labels": HEALTH_LABELS,
            "summary": _summary(rows),
            "csv_url": f"{export_url.replace('.FMT', '.csv')}{'?' + query if query else ''}",
            "xlsx_url": f"{export_url.replace('.FMT', '.xlsx')}{'?' + query if query else ''}",
            "back": back,
        },
    )


def _export(rows: list[PlanHealth], fmt: str, name: str) -> HttpResponse:
    if fmt == "csv":
        return table_csv(EXPORT_HEADER, export_rows(rows), f"{name}.csv")
    if fmt == "xlsx":
        return table_xlsx(EXPORT_HEADER, export_rows(rows), f"{name}.xlsx", sheet="Plan health")
    raise Http404("Download as csv or xlsx.")


def _state_rows(request: HttpRequest, code: str) -> tuple[StateAccess, Any, list[PlanHealth]]:
    access = state_dashboard_access(request.user, code)
    state = access.state
    districts = list(
        District.objects.filter(state=state).order_by("name").values_list("pk", "name")
    )
    form, rows = _apply(request, plan_health(state_plans(request.user, state.pk)), districts)
    return access, form, rows


@login_required
def dashboard_state(request: HttpRequest, code: str) -> HttpResponse:
    access, form, rows = _state_rows(request, code)
    state = access.state
    return _page(
        request,
        title=f"Plan health: {state.name}",
        scope="state",
        rows=rows,
        form=form,
        export_url=reverse("monitoring:dashboard_state_export", args=[state.code, "FMT"]),
        back=(reverse("web:state", args=[state.code]), state.name),
    )


@login_required
def dashboard_state_export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    access, _, rows = _state_rows(request, code)
    return _export(rows, fmt, f"plan-health-{access.state.code.lower()}")


def _district_rows(
    request: HttpRequest, district_id: int
) -> tuple[DistrictAccess, Any, list[PlanHealth]]:
    access = district_dashboard_access(request.user, district_id)
    form, rows = _apply(request, plan_health(district_plans(request.user, district_id)), None)
    return access, form, rows


@login_required
def dashboard_district(request: HttpRequest, district_id: int) -> HttpResponse:
    access, form, rows = _district_rows(request, district_id)
    district = access.district
    return _page(
        request,
        title=f"Plan health: {district.name}",
        scope="district",
        rows=rows,
        form=form,
        export_url=reverse("monitoring:dashboard_district_export", args=[district.pk, "FMT"]),
        back=(reverse("web:district", args=[district.pk]), district.name),
    )


@login_required
def dashboard_district_export(request: HttpRequest, district_id: int, fmt: str) -> HttpResponse:
    access, _, rows = _district_rows(request, district_id)
    return _export(rows, fmt, f"plan-health-district-{access.district.pk}")
