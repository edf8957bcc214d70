"""Pages about organisations: state overview, schools table, district page and school profile."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from turnaround.accountability.selectors import (
    designations_for_school,
    determinations_for_school,
)
from turnaround.accounts.access import (
    get_district_for_user,
    get_reach,
    get_school_for_user,
    get_state_for_user,
    visible_districts,
)
from turnaround.assessments.access import visible_assessments
from turnaround.core.concurrency import StaleEditError
from turnaround.growth.selectors import growth_panel_context
from turnaround.organizations import exports
from turnaround.organizations.forms import SchoolForm
from turnaround.organizations.models import School, SchoolType, TitleIStatus
from turnaround.organizations.selectors import (
    LEVEL_CHOICES,
    FilterError,
    SchoolFilters,
    level_counts,
    school_list,
)
from turnaround.organizations.services import school_update
from turnaround.partners.access import can_match_for_school, can_record_engagement_for
from turnaround.partners.selectors import engagements_for_district, engagements_for_school
from turnaround.performance.models import StudentGroup
from turnaround.performance.selectors import (
    groups_present,
    latest_profile,
    school_results,
    trend_chart_spec,
)

PAGE_SIZE = 25
SORTABLE_HEADERS = [
    ("name", "School"),
    ("district", "District"),
    ("type", "Type"),
    ("level", "Accountability status"),
    ("percentile", "Percentile"),
    ("enrollment", "Enrollment"),
]


def _table_context(
    request: HttpRequest, *, base: dict[str, str], table_url: str
) -> tuple[dict[str, Any], int]:
    """The schools table: filters from the query string, merged with the page's fixed ones."""
    params = request.GET.copy()
    for key, value in base.items():
        params[key] = value
    errors: dict[str, str] = {}
    try:
        filters = SchoolFilters.from_params(params)
    except FilterError as exc:
        errors = exc.errors
        filters = SchoolFilters(**_base_filters(base))
    qs = school_list(request.user, filters)
    paginator = Paginator(qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    district_choices = []
    if "district" not in base:
        district_choices = list(
            visible_districts(request.user)
            .filter(**({"state__code": filters.state} if filters.state else {}))
            .values_list("pk", "name")
        )
    context = {
        "filters": filters,
        "filter_errors": errors,
        "page": page,
        "paginator": paginator,
        "table_url": table_url,
        "fixed": base,
        "type_choices": SchoolType.choices,
        "level_choices": LEVEL_CHOICES,
        "title_i_choices": [("any", "Any Title I"), *TitleIStatus.choices],
        "district_choices": district_choices,
        "query": filters.as_params(**dict.fromkeys(base, "")),
        "sort_links": _sort_links(filters, base),
        "sortable_headers": SORTABLE_HEADERS,
        "export_csv": reverse("web:schools_export", args=["csv"]),
        "export_xlsx": reverse("web:schools_export", args=["xlsx"]),
        "export_query": filters.as_params(),
    }
    return context, 400 if errors else 200


def _base_filters(base: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "state" in base:
        out["state"] = base["state"]
    if "district" in base:
        out["district"] = int(base["district"])
    return out


def _sort_links(filters: SchoolFilters, base: dict[str, str]) -> dict[str, dict[str, str]]:
    links = {}
    for key in ("name", "district", "type", "level", "percentile", "enrollment"):
        current = filters.sort == key
        next_sort = f"-{key}" if current and not filters.descending else key
        aria = "none"
        if current:
            aria = "descending" if filters.descending else "ascending"
        links[key] = {
            "query": _urlencode(filters.as_params(sort=next_sort, **dict.fromkeys(base, ""))),
            "aria": aria,
        }
    return links


def _urlencode(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def _wants_table(request: HttpRequest) -> bool:
    """An htmx request that replaces only the schools table."""
    return bool(getattr(request, "htmx", False)) and (
        request.headers.get("HX-Target") == "schools-table"
    )


def _render_table_or_page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int
) -> HttpResponse:
    if _wants_table(request):
        return render(request, "organizations/schools_table.html", context, status=status)
    return render(request, template, context, status=status)


@login_required
def schools(request: HttpRequest) -> HttpResponse:
    context, status = _table_context(request, base={}, table_url=reverse("web:schools"))
    return _render_table_or_page(request, "organizations/schools.html", context, status)


@login_required
def state_overview(request: HttpRequest, code: str) -> HttpResponse:
    access = get_state_for_user(request.user, code)
    state = access.state
    context, status = _table_context(
        request, base={"state": state.code}, table_url=reverse("web:state", args=[state.code])
    )
    if _wants_table(request):
        return render(request, "organizations/schools_table.html", context, status=status)
    all_schools = school_list(request.user, SchoolFilters(state=state.code))
    counts = level_counts(all_schools)
    from turnaround.accountability.selectors import active_designation_count

    context.update(
        {
            "state": state,
            "access": access,
            "level_counts": counts,
            "total_schools": sum(c.count for c in counts),
            "district_count": state.districts.count(),
            "designated": active_designation_count(all_schools),
        }
    )
    return render(request, "organizations/state_overview.html", context, status=status)


@login_required
def district_page(request: HttpRequest, district_id: int) -> HttpResponse:
    access = get_district_for_user(request.user, district_id)
    district = access.district
    context, status = _table_context(
        request,
        base={"district": str(district.pk)},
        table_url=reverse("web:district", args=[district.pk]),
    )
    if _wants_table(request):
        return render(request, "organizations/schools_table.html", context, status=status)
    district_schools = school_list(request.user, SchoolFilters(district=district.pk))
    counts = level_counts(district_schools)
    context.update(
        {
            "district": district,
            "access": access,
            "level_counts": counts,
            "total_schools": sum(c.count for c in counts),
            "engagements": engagements_for_district(request.user, district)[:20],
            "can_record_engagement": can_record_engagement_for(request.user, district=district),
        }
    )
    return render(request, "organizations/district.html", context, status=status)


@login_required
def school_profile(request: HttpRequest, school_id: int) -> HttpResponse:
    access = get_school_for_user(request.user, school_id)
    school = access.school
    rows = school_results(school, restricted=access.sees_restricted)
    groups = groups_present(rows)
    group = request.GET.get("group", StudentGroup.ALL)
    if group not in {g for g, _ in groups}:
        group = StudentGroup.ALL
    group_rows = [r for r in rows if r.group == group]
    determinations = determinations_for_school(school)
    context = {
        "school": school,
        "access": access,
        "profile": latest_profile(school),
        "groups": groups,
        "group": group,
        "group_label": dict(StudentGroup.choices).get(group, group),
        "group_rows": group_rows,
        "chart_spec": trend_chart_spec(rows, group=group, school_name=school.name),
        "reporting_min_n": settings.REPORTING_MIN_N,
        "current": determinations[0] if determinations else None,
        "determinations": determinations,
        "designations": list(designations_for_school(school)),
        "protected": not access.sees_restricted,
        **growth_panel_context(school, group=group, restricted=access.sees_restricted),
        "school_assessments": visible_assessments(request.user).filter(school=school)[:10],
        "can_plan_assessment": _can_plan_assessment(request.user, school),
        "engagements": engagements_for_school(request.user, school)[:20],
        "can_record_engagement": can_record_engagement_for(request.user, school=school),
        "can_match_partners": can_match_for_school(request.user, school),
    }
    if getattr(request, "htmx", False) and request.headers.get("HX-Target") == "results-panel":
        return render(request, "organizations/results_panel.html", context)
    return render(request, "organizations/school_profile.html", context)


def _can_plan_assessment(user: Any, school: School) -> bool:
    """State staff plan site visits; the school's and its district's leaders self-assessments."""
    reach = get_reach(user)
    return (
        school.district.state_id in reach.restricted_state_ids
        or school.district_id in reach.district_ids
        or school.pk in reach.school_ids
    )


@login_required
@require_http_methods(["GET", "POST"])
def school_edit(request: HttpRequest, school_id: int) -> HttpResponse:
    access = get_school_for_user(request.user, school_id)
    if not access.can_edit:
        from django.http import Http404

        raise Http404("No such school.")
    school = access.school
    form = SchoolForm(request.POST or None, instance=school)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                school_update(
                    actor=request.user,
                    school=School.objects.get(pk=school.pk),
                    expected_version=form.cleaned_data["version"],
                    changes={k: v for k, v in form.cleaned_data.items() if k != "version"},
                )
            except StaleEditError as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                for field, errs in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errs)
                status = 422
            else:
                messages.success(request, f"Saved the changes to {school.name}.")
                return redirect("web:school", school_id=school.pk)
        else:
            status = 422
    return render(
        request, "organizations/school_edit.html", {"form": form, "school": school}, status=status
    )


@login_required
def schools_export(request: HttpRequest, fmt: str) -> HttpResponse:
    try:
        filters = SchoolFilters.from_params(request.GET)
    except FilterError as exc:
        return HttpResponse(
            "Cannot export: " + "; ".join(f"{k}: {v}" for k, v in exc.errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    qs = school_list(request.user, filters)
    if fmt == "xlsx":
        return exports.schools_xlsx(qs)
    if fmt == "csv":
        return exports.schools_csv(qs)
    return redirect("web:schools")
