"""A partner's scorecard: its engagements, the engaged schools' outcomes before and after, and the
estimated impact per area and outcome (issue 7 §5). Thin: ``access`` decides who sees it,
``services.impact`` reads and computes."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from turnaround.core.exports import table_csv, table_xlsx
from turnaround.organizations.models import State
from turnaround.partners import access
from turnaround.partners.charts_impact import event_study_chart, outcome_means_chart
from turnaround.partners.services.impact import (
    OUTCOMES,
    RELATIVE_YEARS,
    EstimateView,
    impact_compute_partner,
    outcome_label,
    scorecard_for,
)

ORDER = {o: i for i, o in enumerate(OUTCOMES)}


def _access(request: HttpRequest, partner_id: int) -> access.PartnerAccess:
    acc = access.get_partner_for_user(request.user, int(partner_id))
    if not acc.sees_scorecard:
        raise Http404("No such partner.")
    return acc


def _groups(estimates: list[EstimateView]) -> list[dict[str, Any]]:
    """Estimates grouped by state and area (all areas first), outcomes in their fixed order."""
    grouped: dict[tuple[str, str], list[EstimateView]] = defaultdict(list)
    for e in estimates:
        grouped[(e.state_code, e.obj.need_area)].append(e)
    out = []
    for (code, area), items in sorted(grouped.items()):
        first = items[0]
        out.append(
            {
                "key": f"{code}:{area}",
                "state_code": code,
                "state_name": first.state_name,
                "need_area": area,
                "area_label": first.area_label,
                "estimates": items,
                "computed_at": max(i.obj.computed_at for i in items),
                "method": next((i.obj.detail.get("method") for i in items), ""),
                "n_estimated": sum(1 for i in items if not i.is_refused),
            }
        )
    return out


def _means_table(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The before-and-after means as a table: a row per relative year, a column per outcome."""
    outcomes = [o for o in OUTCOMES if any(r["outcome"] == o for r in rows)]
    cell = {(r["outcome"], r["relative_year"]): r for r in rows}
    years = sorted({r["relative_year"] for r in rows})
    return {
        "columns": [(o, outcome_label(o)) for o in outcomes],
        "rows": [
            {"relative_year": y, "cells": [cell.get((o, y)) for o in outcomes]} for y in years
        ],
    }


def _event_rows(group: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for e in group["estimates"]:
        if e.is_refused:
            continue
        for r in e.event_rows:
            rows.append(
                {
                    "outcome": e.obj.outcome,
                    "outcome_label": e.outcome_label,
                    "relative_year": r["relative_year"],
                    "estimate": r["estimate"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "n_treated_schools": r["n_treated_schools"],
                    "reference": r["reference"],
                    "text": e.fmt(r["estimate"], sign=True),
                    "ci_text": (
                        ""
                        if r["ci_low"] is None
                        else f"{e.fmt(r['ci_low'], sign=True)} to {e.fmt(r['ci_high'], sign=True)}"
                    ),
                }
            )
    return rows


@login_required
@require_GET
def scorecard(request: HttpRequest, partner_id: int) -> HttpResponse:
    acc = _access(request, partner_id)
    partner = acc.partner
    sc = scorecard_for(request.user, partner)
    groups = _groups(sc.estimates)
    wanted = f"{request.GET.get('state', '').upper()}:{request.GET.get('area', '')}"
    selected = next((g for g in groups if g["key"] == wanted), None)
    if selected is None:
        state = request.GET.get("state", "").upper()
        selected = next((g for g in groups if g["state_code"] == state), None) or (
            groups[0] if groups else None
        )
    event_rows = _event_rows(selected) if selected else []
    staff_states = access.staff_state_ids(request.user) & sc.state_ids
    recompute_states = list(State.objects.filter(pk__in=staff_states).order_by("code"))
    return render(
        request,
        "partners/scorecard/scorecard.html",
        {
            "partner_section": "registry",
            "partner": partner,
            "acc": acc,
            "sc": sc,
            "groups": groups,
            "selected": selected,
            "event_rows": event_rows,
            "event_spec": event_study_chart(event_rows, order=ORDER) if event_rows else None,
            "means": _means_table(sc.outcome_means),
            "means_spec": (
                outcome_means_chart(sc.outcome_means, order=ORDER) if sc.outcome_means else None
            ),
            "relative_years": f"{RELATIVE_YEARS.start} to +{RELATIVE_YEARS.stop - 1}",
            "recompute_states": recompute_states,
        },
    )


@login_required
@require_POST
def scorecard_recompute(request: HttpRequest, partner_id: int) -> HttpResponse:
    """Recompute every area of the partner in one state (state administrators and staff)."""
    acc = _access(request, partner_id)
    code = request.POST.get("state", "").strip().upper()
    url = reverse("partners:scorecard", args=[acc.partner.pk])
    state = State.objects.filter(code=code).first() if code else None
    if state is None:
        messages.error(request, "Choose the state to recompute the estimates for.")
        return redirect(url)
    if state.pk not in access.staff_state_ids(request.user):
        raise PermissionDenied(
            f"Only state administrators and staff of {state.name} can recompute its estimates."
        )
    try:
        rows = impact_compute_partner(partner=acc.partner, state=state, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(url)
    estimated = sum(1 for r in rows if r.estimate is not None)
    messages.success(
        request,
        f"Recomputed the impact estimates of {acc.partner.name} in {state.name}: "
        f"{estimated} estimated, {len(rows) - estimated} refused (the reasons are shown).",
    )
    return redirect(f"{url}?state={state.code}")


EXPORT_HEADER = [
    "State",
    "Need area",
    "Outcome",
    "Unit",
    "Estimate",
    "Standard error",
    "95% CI low",
    "95% CI high",
    "p-value",
    "Engaged schools",
    "Comparison schools",
    "Pre-trend test p-value",
    "Pre-trend test",
    "Refused because",
    "Caveats",
    "Computed at",
]


@login_required
@require_GET
def scorecard_export(request: HttpRequest, partner_id: int, fmt: str) -> HttpResponse:
    """The impact estimates the viewer sees, as CSV or XLSX."""
    acc = _access(request, partner_id)
    sc = scorecard_for(request.user, acc.partner)
    rows = [
        [
            e.state_code,
            e.area_label,
            e.outcome_label,
            e.unit,
            e.obj.estimate,
            e.obj.se,
            e.obj.ci_low,
            e.obj.ci_high,
            e.obj.p_value,
            e.obj.n_treated,
            e.obj.n_comparison,
            e.obj.pretrend_p_value,
            "" if e.is_refused else e.pretrend_text,
            e.obj.refusal,
            "; ".join(e.caveats),
            e.obj.computed_at.isoformat(),
        ]
        for e in sc.estimates
    ]
    name = f"impact-{acc.partner.pk}"
    if fmt == "xlsx":
        return table_xlsx(EXPORT_HEADER, rows, f"{name}.xlsx", sheet="Impact estimates")
    return table_csv(EXPORT_HEADER, rows, f"{name}.csv")
