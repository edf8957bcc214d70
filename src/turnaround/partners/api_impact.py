"""A partner's impact estimates and scorecard over the API.

The same rules as the scorecard page (``partners.access``): whoever sees the scorecard sees the
estimates of the states in ``scorecard_state_ids``; a partner they may not see, or whose
scorecard they may not see, is 404. Computing needs a state administrator or staff member of the
state (403 otherwise).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.errors import ValidationError

from turnaround.organizations.models import State
from turnaround.organizations.schemas import Message, ValidationErrors
from turnaround.partners import access
from turnaround.partners.needs import NeedArea
from turnaround.partners.schemas_impact import ComputeIn, ImpactEstimateOut, ScorecardOut
from turnaround.partners.services.impact import (
    EstimateView,
    impact_compute,
    impact_compute_partner,
    scorecard_for,
    visible_estimates,
)

router = Router(tags=["partners"])

_ERRORS: dict[int, Any] = {401: Message, 404: Message, 422: ValidationErrors}
_WRITE_ERRORS: dict[int, Any] = {**_ERRORS, 403: Message}


class ImpactQuery(Schema):
    state: str | None = None
    need_area: str | None = None


def _access(request: HttpRequest, partner_id: int) -> access.PartnerAccess:
    acc = access.get_partner_for_user(request.user, partner_id)
    if not acc.sees_scorecard:
        raise Http404("Not found.")
    return acc


def _check_area(value: str | None, loc: str) -> None:
    if value and value not in NeedArea.values:
        raise ValidationError(
            [
                {
                    "loc": [loc, "need_area"],
                    "msg": f"{value!r} is not a need area; choose one of "
                    f"{', '.join(NeedArea.values)}, or leave it out for all areas.",
                    "type": "value_error",
                }
            ]
        )


def _items(views: list[EstimateView]) -> list[dict[str, Any]]:
    return [v.as_dict() for v in views]


@router.get(
    "/partners/{int:partner_id}/impact",
    response={200: list[ImpactEstimateOut], **_ERRORS},
    operation_id="partner_impact_list",
    summary="A partner's stored impact estimates",
)
def partner_impact_list(
    request: HttpRequest, partner_id: int, filters: Query[ImpactQuery]
) -> list[dict[str, Any]]:
    """Every stored estimate you may see (the states of the scorecard), one per state, need area
    (empty = all areas together) and outcome, with its detail: start-year cohorts, event-study
    leads and lags, the pre-trend test, interrupted-time-series terms, balance and caveats. A
    refused estimate has `estimate` null and says why in `refusal`."""
    acc = _access(request, partner_id)
    _check_area(filters.need_area, "query")
    views = visible_estimates(request.user, acc.partner)
    if filters.state:
        views = [v for v in views if v.state_code == filters.state.upper()]
    if filters.need_area is not None:
        views = [v for v in views if v.obj.need_area == filters.need_area]
    return _items(views)


@router.post(
    "/partners/{int:partner_id}/impact/compute",
    response={200: list[ImpactEstimateOut], **_WRITE_ERRORS},
    operation_id="partner_impact_compute",
    summary="Recompute a partner's impact estimates in a state",
)
def partner_impact_compute(request: HttpRequest, partner_id: int, payload: ComputeIn) -> Any:
    """Estimate again from the data as they are now and return the stored estimates of that
    state (one area, or all areas together and each area). State administrators and staff of
    the state only; it takes a few seconds."""
    acc = _access(request, partner_id)
    _check_area(payload.need_area, "body")
    state = State.objects.filter(code=payload.state.strip().upper()).first()
    if state is None:
        raise ValidationError(
            [
                {
                    "loc": ["body", "state"],
                    "msg": f"No state with the code {payload.state!r}; use a code such as MA.",
                    "type": "value_error",
                }
            ]
        )
    try:
        if payload.need_area:
            impact_compute(
                partner=acc.partner,
                state=state,
                need_area=payload.need_area,
                actor=request.user,
            )
        else:
            impact_compute_partner(partner=acc.partner, state=state, actor=request.user)
    except PermissionDenied as exc:
        return Status(403, {"detail": str(exc)})
    except DjangoValidationError as exc:
        raise ValidationError(
            [
                {"loc": ["body", field], "msg": " ".join(msgs), "type": "value_error"}
                for field, msgs in exc.message_dict.items()
            ]
        ) from exc
    views = [
        v
        for v in visible_estimates(request.user, acc.partner)
        if v.state_code == state.code
        and (not payload.need_area or v.obj.need_area == payload.need_area)
    ]
    return _items(views)


@router.get(
    "/partners/{int:partner_id}/scorecard",
    response={200: ScorecardOut, **_ERRORS},
    operation_id="partner_scorecard",
    summary="A partner's scorecard",
)
def partner_scorecard(request: HttpRequest, partner_id: int) -> dict[str, Any]:
    """The engagements you may see (counts by area and status, schools served, cost by funding
    source, the list), the engaged schools' mean outcomes by year relative to the start, and the
    stored impact estimates."""
    acc = _access(request, partner_id)
    sc = scorecard_for(request.user, acc.partner)
    return {
        "partner": {"id": acc.partner.pk, "name": acc.partner.name},
        "engagements": sc.engagement_summary(),
        "outcomes": sc.outcome_means,
        "estimates": _items(sc.estimates),
    }
