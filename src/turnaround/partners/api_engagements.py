"""Engagements over the API: thin wrappers around ``partners.access`` and the services.

- Reads list only the engagements you see (``access.visible_engagements``); one you do not see
  is the same 404 as a missing one.
- Writes answer 422 for bad input (``loc`` names the field, e.g. ``["body", "starts_on"]``),
  403 when you see the engagement (or the school) but may not record for it, and 409 when the
  ``version`` you send is not the stored one (someone else changed it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.errors import HttpError, ValidationError

from turnaround.core.concurrency import StaleEditError
from turnaround.organizations.models import District, School
from turnaround.organizations.schemas import Message, PageQuery, ValidationErrors
from turnaround.partners.access import (
    EngagementAccess,
    can_record_engagement_for,
    can_record_engagements,
    get_engagement_for_user,
    visible_partners,
)
from turnaround.partners.models import Engagement, PriorityDesignation
from turnaround.partners.schemas_engagements import (
    EngagementEndIn,
    EngagementIn,
    EngagementOut,
    EngagementPage,
    EngagementPatch,
    EngagementQuery,
)
from turnaround.partners.selectors import (
    EngagementFilters,
    FilterError,
    engagement_list,
    engagement_status,
)
from turnaround.partners.services.engagements import (
    NOT_ALLOWED,
    engagement_create,
    engagement_delete,
    engagement_end,
    engagement_update,
)

router = Router(tags=["partners"])

_READ: dict[int, Any] = {401: Message, 404: Message, 422: ValidationErrors}
_WRITE: dict[int, Any] = {**_READ, 403: Message, 409: Message}

#: the service's field names → the API's
_BODY_NAME = {
    "partner": "partner_id",
    "school": "school_id",
    "district": "district_id",
    "designation": "designation_id",
}

T = TypeVar("T")


def _call(fn: Callable[[], T]) -> T:
    """Run a service call, turning its refusals into the API's error shape."""
    try:
        return fn()
    except DjangoValidationError as exc:
        items = []
        if hasattr(exc, "error_dict"):
            for name, msgs in exc.message_dict.items():
                loc = ["body"] if name == "__all__" else ["body", _BODY_NAME.get(name, name)]
                items += [{"loc": loc, "msg": m, "type": "value_error"} for m in msgs]
        else:
            items = [{"loc": ["body"], "msg": m, "type": "value_error"} for m in exc.messages]
        raise ValidationError(items) from exc
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "You cannot do that.") from exc
    except StaleEditError as exc:
        raise HttpError(409, str(exc)) from exc


def _bad(field: str, message: str) -> ValidationError:
    return ValidationError([{"loc": ["body", field], "msg": message, "type": "value_error"}])


def _partner(request: HttpRequest, partner_id: int | None) -> Any:
    if partner_id is None:
        raise _bad("partner_id", "Choose the partner (a registry id).")
    partner = visible_partners(request.user).filter(pk=partner_id).first()
    if partner is None:
        raise _bad("partner_id", f"No partner with id {partner_id} in the registry.")
    return partner


def _school(school_id: int | None) -> School | None:
    if school_id is None:
        return None
    school = School.objects.select_related("district__state").filter(pk=school_id).first()
    if school is None:
        raise _bad("school_id", f"No school with id {school_id}.")
    return school


def _district(district_id: int | None) -> District | None:
    if district_id is None:
        return None
    district = District.objects.select_related("state").filter(pk=district_id).first()
    if district is None:
        raise _bad("district_id", f"No district with id {district_id}.")
    return district


def _designation(designation_id: int | None) -> PriorityDesignation | None:
    if designation_id is None:
        return None
    found = (
        PriorityDesignation.objects.select_related("partner", "state")
        .filter(pk=designation_id)
        .first()
    )
    if found is None:
        raise _bad("designation_id", f"No Priority Partner designation with id {designation_id}.")
    return found


def _org(obj: Any, state_code: str) -> dict[str, Any]:
    return {"id": obj.pk, "code": obj.code, "name": obj.name, "state": state_code}


def _out(e: Engagement, user: Any) -> dict[str, Any]:
    d = e.designation
    return {
        "id": e.pk,
        "partner": {"id": e.partner.pk, "name": e.partner.name},
        "school": _org(e.school, e.school.district.state.code) if e.school else None,
        "district": _org(e.district, e.district.state.code) if e.district else None,
        "need_area": e.need_area,
        "need_area_label": e.get_need_area_display(),
        "scope": e.scope,
        "starts_on": e.starts_on,
        "ends_on": e.ends_on,
        "status": engagement_status(e),
        "cost": e.cost,
        "funding_source": e.funding_source,
        "agreement_reference": e.agreement_reference,
        "designation": None
        if d is None
        else {
            "id": d.pk,
            "need_area": d.need_area,
            "state": d.state.code,
            "starts_on": d.starts_on,
            "expires_on": d.expires_on,
            "revoked": d.revoked_at is not None,
        },
        "version": e.version,
        "can_edit": can_record_engagement_for(user, school=e.school, district=e.district),
    }


def _access(request: HttpRequest, engagement_id: int) -> EngagementAccess:
    return get_engagement_for_user(request.user, engagement_id)


def _fresh_out(request: HttpRequest, engagement_id: int) -> dict[str, Any]:
    return _out(_access(request, engagement_id).engagement, request.user)


@router.get(
    "/engagements",
    response={200: EngagementPage, **_READ},
    operation_id="engagement_list",
    summary="Partner engagements you can see",
)
def engagement_list_api(
    request: HttpRequest, filters: Query[EngagementQuery], page: Query[PageQuery]
) -> dict[str, Any]:
    """Newest start first. State staff see their state's; district leaders their district's and
    its schools'; school leaders their school's; partner staff their own organisation's."""
    try:
        f = EngagementFilters.from_params(filters.model_dump())
    except FilterError as exc:
        raise ValidationError(
            [
                {"loc": ["query", name], "msg": msg, "type": "value_error"}
                for name, msg in exc.errors.items()
            ]
        ) from exc
    qs = engagement_list(request.user, f).select_related("designation__state")
    rows = list(qs[page.offset : page.offset + page.limit])
    return {"count": qs.count(), "items": [_out(e, request.user) for e in rows]}


@router.post(
    "/engagements",
    response={201: EngagementOut, **_WRITE},
    operation_id="engagement_create",
    summary="Record an engagement",
)
def engagement_create_api(request: HttpRequest, payload: EngagementIn) -> Status[dict[str, Any]]:
    """State administrators and staff record for their state's schools and districts; district
    leaders for their district and its schools. A school engagement needs its written agreement;
    one under a designation lies within the designation's area, state and dates."""
    if not can_record_engagements(request.user):
        raise HttpError(403, NOT_ALLOWED)
    created = _call(
        lambda: engagement_create(
            actor=request.user,
            partner=_partner(request, payload.partner_id),
            school=_school(payload.school_id),
            district=_district(payload.district_id),
            need_area=payload.need_area,
            scope=payload.scope,
            starts_on=payload.starts_on,
            ends_on=payload.ends_on,
            cost=payload.cost,
            funding_source=payload.funding_source,
            agreement_reference=payload.agreement_reference,
            designation=_designation(payload.designation_id),
        )
    )
    return Status(201, _fresh_out(request, created.pk))


@router.get(
    "/engagements/{engagement_id}",
    response={200: EngagementOut, **_READ},
    operation_id="engagement_detail",
    summary="One engagement",
)
def engagement_detail_api(request: HttpRequest, engagement_id: int) -> dict[str, Any]:
    return _fresh_out(request, engagement_id)


@router.patch(
    "/engagements/{engagement_id}",
    response={200: EngagementOut, **_WRITE},
    operation_id="engagement_update",
    summary="Change an engagement (send the version you loaded)",
)
def engagement_update_api(
    request: HttpRequest, engagement_id: int, payload: EngagementPatch
) -> dict[str, Any]:
    """Only the fields you send change; the whole engagement is checked again. 409 when someone
    else changed it after you loaded ``version``."""
    access = _access(request, engagement_id)
    sent = payload.model_dump(exclude_unset=True, exclude={"version"})
    changes: dict[str, Any] = {}
    for name, value in sent.items():
        if name == "partner_id":
            changes["partner"] = _partner(request, value)
        elif name == "school_id":
            changes["school"] = _school(value)
        elif name == "district_id":
            changes["district"] = _district(value)
        elif name == "designation_id":
            changes["designation"] = _designation(value)
        elif value is None and name in ("need_area", "scope", "starts_on", "ends_on"):
            raise _bad(name, "This field cannot be empty.")
        elif value is None and name in ("funding_source", "agreement_reference"):
            changes[name] = ""
        else:
            changes[name] = value
    _call(
        lambda: engagement_update(
            actor=request.user,
            engagement=access.engagement,
            expected_version=payload.version,
            changes=changes,
        )
    )
    return _fresh_out(request, engagement_id)


@router.post(
    "/engagements/{engagement_id}/end",
    response={200: EngagementOut, **_WRITE},
    operation_id="engagement_end",
    summary="End an engagement early, with a reason",
)
def engagement_end_api(
    request: HttpRequest, engagement_id: int, payload: EngagementEndIn
) -> dict[str, Any]:
    """Moves the end earlier (not before the start). Once ended, the partner's staff no longer
    see the school's data."""
    access = _access(request, engagement_id)
    _call(
        lambda: engagement_end(
            actor=request.user,
            engagement=access.engagement,
            ends_on=payload.ends_on,
            reason=payload.reason,
            expected_version=payload.version,
        )
    )
    return _fresh_out(request, engagement_id)


@router.delete(
    "/engagements/{engagement_id}",
    response={204: None, **_WRITE},
    operation_id="engagement_delete",
    summary="Delete an engagement recorded by mistake (before it starts)",
)
def engagement_delete_api(
    request: HttpRequest, engagement_id: int, version: int | None = None
) -> Status[None]:
    """Only before it starts; end a started engagement instead. ``version`` (optional, in the
    query) guards against deleting one someone else just changed."""
    access = _access(request, engagement_id)
    _call(
        lambda: engagement_delete(
            actor=request.user, engagement=access.engagement, expected_version=version
        )
    )
    return Status(204, None)
