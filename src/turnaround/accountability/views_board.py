"""The identification board of a state, its exports, the state's determinations export and the
cohort outcomes page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from turnaround.accountability import exports
from turnaround.accountability.access import get_state_scope, manages_state
from turnaround.accountability.board import board_page, board_rows, status_counts
from turnaround.accountability.charts import sparkline_svg, survival_chart_spec
from turnaround.accountability.cohorts import STATUS_LABELS, cohort_view, cohort_years
from turnaround.accountability.evidence import trend_label
from turnaround.accountability.filters import (
    PHASE_FILTERS,
    BoardFilters,
    DeterminationFilters,
    ruleset_ids,
)
from turnaround.accountability.models import DesignationStatus
from turnaround.accountability.selectors import determination_list, determination_years
from turnaround.accounts.access import visible_districts
from turnaround.organizations.selectors import FilterError


def _plain_error(errors: dict[str, str]) -> HttpResponse:
    return HttpResponse(
        "Cannot export: " + "; ".join(f"{k}: {v}" for k, v in errors.items()),
        status=400,
        content_type="text/plain; charset=utf-8",
    )


def _board_filters(request: HttpRequest) -> tuple[BoardFilters, dict[str, str]]:
    try:
        return BoardFilters.from_params(request.GET), {}
    except FilterError as exc:
        good = {k: v for k, v in request.GET.items() if k not in exc.errors}
        return BoardFilters.from_params(good), exc.errors


@login_required
@require_GET
def board(request: HttpRequest, code: str) -> HttpResponse:
    state = get_state_scope(request.user, code)
    filters, errors = _board_filters(request)
    year, page, rows = board_page(request.user, state, filters, request.GET.get("page"))
    context = {
        "state": state,
        "filters": filters,
        "filter_errors": errors,
        "query": filters.as_query(),
        "year": year,
        "page": page,
        "rows": [
            {
                "row": row,
                "sparkline": sparkline_svg(
                    row.trend, label=f"{trend_label(row.ruleset)} of {row.school.name}"
                ),
            }
            for row in rows
        ],
        "counts": status_counts(request.user, state, year) if year else [],
        "years": determination_years(state),
        "statuses": DesignationStatus.choices,
        "phases": list(PHASE_FILTERS.items()),
        "rulesets": ruleset_ids(),
        "districts": visible_districts(request.user).filter(state=state).order_by("name"),
        "manages": manages_state(request.user, state.pk),
        "section": "board",
    }
    return render(request, "accountability/board.html", context, status=400 if errors else 200)


@login_required
@require_GET
def board_export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    state = get_state_scope(request.user, code)
    try:
        filters = BoardFilters.from_params(request.GET)
    except FilterError as exc:
        return _plain_error(exc.errors)
    year, rows = board_rows(request.user, state, filters)
    return exports.response(
        exports.BOARD_HEADER,
        exports.board_table_rows(rows),
        fmt,
        f"identification-board-{state.code}-{year or 'none'}",
        sheet="Board",
    )


@login_required
@require_GET
def determinations_export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    state = get_state_scope(request.user, code)
    try:
        filters = DeterminationFilters.from_params(request.GET)
    except FilterError as exc:
        return _plain_error(exc.errors)
    qs = determination_list(request.user, filters, state=state)
    suffix = "-".join(v for v in (filters.ruleset, str(filters.year or "")) if v)
    return exports.determinations_response(
        qs, fmt, f"determinations-{state.code}" + (f"-{suffix}" if suffix else "")
    )


# ---------------------------------------------------------------------------------------------
# Cohorts


def _cohort_params(request: HttpRequest, years: list[int]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    raw_year = request.GET.get("year", "").strip()
    year = min(years) if years else None  # the earliest cohort has the longest follow-up
    if raw_year:
        if raw_year.isdigit() and int(raw_year) in years:
            year = int(raw_year)
        else:
            shown = ", ".join(str(y) for y in sorted(years)) or "none yet"
            errors["year"] = f"choose a year in which schools were designated: {shown}"
    status = request.GET.get("status", "").strip()
    if status and status not in DesignationStatus.values:
        errors["status"] = (
            f"unknown status {status!r}; allowed: {', '.join(DesignationStatus.values)}"
        )
        status = ""
    through: int | None = None
    raw_through = request.GET.get("through", "").strip()
    if raw_through:
        if raw_through.isdigit() and year is not None and year <= int(raw_through) <= year + 30:
            through = int(raw_through)
        else:
            errors["through"] = "give a year from the cohort year to 30 years after it"
    return {"year": year, "status": status, "through": through}, errors


@login_required
@require_GET
def cohorts(request: HttpRequest, code: str) -> HttpResponse:
    state = get_state_scope(request.user, code)
    years = sorted(cohort_years(request.user, state))
    params, errors = _cohort_params(request, years)
    view = None
    spec = None
    if params["year"] is not None:
        view = cohort_view(
            request.user,
            state,
            params["year"],
            through_year=params["through"],
            status=params["status"],
        )
        labels = {t.status: view.label(t.status) for t in view.tables}
        spec = survival_chart_spec(view.tables, labels=labels, cohort_year=view.cohort_year)
    query = {k: str(v) for k, v in params.items() if v}
    tables = [
        {
            "t": t,
            "label": view.label(t.status),
            "remaining": view.names(t.remaining),
            "exited": [(view.schools[i], y) for i, y in t.exited if i in view.schools],
            "escalated": [(view.schools[i], y) for i, y in t.escalated if i in view.schools],
        }
        for t in (view.tables if view is not None else ())
    ]
    context = {
        "tables": tables,
        "state": state,
        "years": years,
        "params": params,
        "errors": errors,
        "view": view,
        "chart_spec": spec,
        "statuses": [(s, STATUS_LABELS[s]) for s in DesignationStatus.values],
        "query": query,
        "manages": manages_state(request.user, state.pk),
        "section": "cohorts",
    }
    return render(request, "accountability/cohorts.html", context, status=400 if errors else 200)


@login_required
@require_GET
def cohorts_export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    state = get_state_scope(request.user, code)
    years = sorted(cohort_years(request.user, state))
    params, errors = _cohort_params(request, years)
    if errors:
        return _plain_error(errors)
    if params["year"] is None:
        return _plain_error({"year": "no school of the state has been designated yet"})
    view = cohort_view(
        request.user, state, params["year"], through_year=params["through"], status=params["status"]
    )
    return exports.response(
        exports.COHORT_HEADER,
        exports.cohort_table_rows(view),
        fmt,
        f"cohort-{state.code}-{view.cohort_year}",
        sheet="Cohort",
    )
