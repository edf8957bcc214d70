"""The partner registry over the API, and the public directory: thin wrappers around
``partners.access`` and ``partners.services.registry``.

- Every signed-in person with a role reads the registry; a partner someone may not see is a 404.
- Writes answer 422 for bad input (``loc`` names the field), 403 when you may see the partner but
  not change it (partner staff changing another partner; viewers; TA providers), and 409 for a
  stale edit (send the ``version`` you loaded).
- ``GET /directory/{state_code}`` is public (no credentials): the partners with a Priority
  Partner designation in force in that state, with the primary contact's name and email only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Path, Query, Router, Status
from ninja.errors import HttpError, ValidationError

from turnaround.core.concurrency import StaleEditError
from turnaround.organizations.models import PartnerOrganization, State
from turnaround.organizations.schemas import (
    STATE_CODE_PARAM_PATTERN,
    Message,
    PageQuery,
    ValidationErrors,
)
from turnaround.partners import access
from turnaround.partners.models import (
    EvidenceClaim,
    PartnerContact,
    PriorityDesignation,
    ServiceOffering,
)
from turnaround.partners.needs import NeedArea, area_label
from turnaround.partners.schemas_registry import (
    ContactIn,
    ContactOut,
    ContactPatch,
    DirectoryOut,
    EvidenceConfirmIn,
    EvidenceIn,
    EvidenceOut,
    EvidencePatch,
    PartnerDetailOut,
    PartnerIn,
    PartnerPage,
    PartnerPatch,
    PartnerQuery,
    ServiceIn,
    ServiceOut,
)
from turnaround.partners.services import registry as services
from turnaround.partners.services.registry import (
    RegistryFilters,
    RegistryRow,
    partner_search,
    registry_rows,
    tier_label,
    viewer_states,
)

router = Router(tags=["partners"])

_READ: dict[int, Any] = {401: Message, 404: Message, 422: ValidationErrors}
_WRITE: dict[int, Any] = {**_READ, 403: Message, 409: Message}

T = TypeVar("T")


def _call(fn: Callable[[], T]) -> T:
    """Run a service call, turning its refusals into the API's error shape."""
    try:
        return fn()
    except DjangoValidationError as exc:
        items = []
        if hasattr(exc, "error_dict"):
            for name, messages in exc.message_dict.items():
                loc = ["body"] if name == "__all__" else ["body", name]
                items += [{"loc": loc, "msg": m, "type": "value_error"} for m in messages]
        else:
            items = [{"loc": ["body"], "msg": m, "type": "value_error"} for m in exc.messages]
        raise ValidationError(items) from exc
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "You cannot do that.") from exc
    except StaleEditError as exc:
        raise HttpError(409, str(exc)) from exc


def _access(request: HttpRequest, partner_id: int) -> access.PartnerAccess:
    return access.get_partner_for_user(request.user, partner_id)


def _editable(request: HttpRequest, partner_id: int) -> access.PartnerAccess:
    found = _access(request, partner_id)
    if not found.can_edit:
        raise HttpError(
            403,
            f"Only staff of {found.partner.name} and state administrators can change its "
            "registry entry.",
        )
    return found


def _need_area(need_area: str) -> str:
    if need_area not in NeedArea.values:
        raise ValidationError(
            [
                {
                    "loc": ["path", "need_area"],
                    "msg": f"unknown need area {need_area!r}; allowed: "
                    + ", ".join(NeedArea.values),
                    "type": "value_error",
                }
            ]
        )
    return need_area


# ---------------------------------------------------------------------------------------------
# Shaping


def _designation(d: PriorityDesignation, renewed_by: dict[int, int]) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "id": d.pk,
        "state": d.state.code,
        "need_area": d.need_area,
        "need_area_label": d.get_need_area_display(),
        "starts_on": d.starts_on,
        "expires_on": d.expires_on,
        "evidence_tier": d.evidence_tier,
        "evidence_tier_label": tier_label(d.evidence_tier)
        if d.evidence_tier
        else "No tier recorded",
        "starred": d.is_starred,
        "in_force": d.in_force_on(today),
        "revoked": d.revoked_at is not None,
        "renews": d.renews_id,
        "renewed_by": renewed_by.get(d.pk),
    }


def _renewals(designations: list[PriorityDesignation]) -> dict[int, int]:
    return dict(
        PriorityDesignation.objects.filter(renews__in=designations).values_list("renews_id", "pk")
    )


def _item(row: RegistryRow, renewed_by: dict[int, int]) -> dict[str, Any]:
    p = row.partner
    return {
        "id": p.pk,
        "name": p.name,
        "website": p.website,
        "cost_model": p.cost_model,
        "grade_bands": list(p.grade_bands),
        "regions": list(p.regions),
        "need_areas": row.need_areas,
        "best_tier": row.best_tier,
        "best_tier_label": row.best_tier_label,
        "priority_status": row.status_label,
        "designations_in_force": [_designation(d, renewed_by) for d in row.designations],
        "version": p.version,
    }


def _service(s: ServiceOffering) -> dict[str, Any]:
    return {
        "need_area": s.need_area,
        "need_area_label": area_label(s.need_area),
        "description": s.description,
        "grade_bands": list(s.grade_bands),
    }


def _contact(c: PartnerContact) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "title": c.title,
        "email": c.email,
        "phone": c.phone,
        "is_primary": c.is_primary,
    }


def _evidence(e: EvidenceClaim) -> dict[str, Any]:
    return {
        "id": e.pk,
        "need_area": e.need_area,
        "claim": e.claim,
        "outcome_domain": e.outcome_domain,
        "study_citation": e.study_citation,
        "study_url": e.study_url,
        "design": e.design,
        "design_label": e.get_design_display(),
        "tier": e.tier,
        "tier_label": tier_label(e.tier),
        "wwc_rating": e.wwc_rating,
        "wwc_rating_label": e.get_wwc_rating_display(),
        "summary": e.summary,
        "confirmed_tier": e.confirmed_tier,
        "confirmed_tier_label": tier_label(e.confirmed_tier)
        if e.confirmed_tier
        else "Not confirmed",
        "confirmed_by": e.confirmed_by.get_username() if e.confirmed_by else None,
        "confirmed_on": e.confirmed_on,
        "effective_tier": e.effective_tier,
        "version": e.version,
    }


def _detail(request: HttpRequest, partner_id: int) -> dict[str, Any]:
    found = _access(request, partner_id)
    base = PartnerOrganization.objects.filter(pk=found.partner.pk)
    row = registry_rows(
        partner_search(base, RegistryFilters(), states=viewer_states(request.user))
    )[0]
    p = row.partner
    designations = list(
        PriorityDesignation.objects.filter(partner=p)
        .select_related("state")
        .order_by("state__code", "need_area", "-starts_on")
    )
    renewed_by = _renewals(designations)
    return {
        **_item(row, renewed_by),
        "description": p.description,
        "cost_notes": p.cost_notes,
        "services": [_service(s) for s in p.services.all()],
        "contacts": [_contact(c) for c in p.contacts.order_by("-is_primary", "name", "pk")],
        "evidence": [
            _evidence(e)
            for e in p.evidence.select_related("confirmed_by").order_by("tier", "need_area", "pk")
        ],
        "designations": [_designation(d, renewed_by) for d in designations],
        "permissions": {
            "can_edit": found.can_edit,
            "can_confirm_evidence": found.can_confirm_evidence,
            "sees_scorecard": found.sees_scorecard,
        },
    }


# ---------------------------------------------------------------------------------------------
# Partners


@router.get(
    "/partners",
    response={200: PartnerPage, **_READ},
    operation_id="partner_list",
    summary="The partner registry, filtered",
)
def partner_list_api(
    request: HttpRequest, filters: Query[PartnerQuery], page: Query[PageQuery]
) -> dict[str, Any]:
    """By name. A bad filter value is a 422 naming the parameter and the allowed values."""
    parsed = RegistryFilters.from_params(filters.model_dump())
    qs = partner_search(
        access.visible_partners(request.user), parsed, states=viewer_states(request.user)
    )
    rows = registry_rows(qs[page.offset : page.offset + page.limit])
    renewed_by = _renewals([d for r in rows for d in r.designations])
    return {"count": qs.count(), "items": [_item(r, renewed_by) for r in rows]}


@router.post(
    "/partners",
    response={201: PartnerDetailOut, **_WRITE},
    operation_id="partner_create",
    summary="Add a partner to the registry (state administrators)",
)
def partner_create_api(request: HttpRequest, payload: PartnerIn) -> Status[dict[str, Any]]:
    if not access.sees_registry(request.user):
        raise Http404("Not found.")
    created = _call(lambda: services.partner_create(actor=request.user, **payload.model_dump()))
    return Status(201, _detail(request, created.pk))


@router.get(
    "/partners/{partner_id}",
    response={200: PartnerDetailOut, **_READ},
    operation_id="partner_detail",
    summary="One partner: profile, services, contacts, evidence, designations",
)
def partner_detail_api(request: HttpRequest, partner_id: int) -> dict[str, Any]:
    return _detail(request, partner_id)


@router.patch(
    "/partners/{partner_id}",
    response={200: PartnerDetailOut, **_WRITE},
    operation_id="partner_update",
    summary="Change the profile (send the version you loaded)",
)
def partner_update_api(
    request: HttpRequest, partner_id: int, payload: PartnerPatch
) -> dict[str, Any]:
    found = _access(request, partner_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"version"})
    _call(
        lambda: services.partner_update(
            actor=request.user,
            partner=found.partner,
            changes=changes,
            expected_version=payload.version,
        )
    )
    return _detail(request, partner_id)


# ---------------------------------------------------------------------------------------------
# Services


@router.put(
    "/partners/{partner_id}/services/{need_area}",
    response={200: ServiceOut, 201: ServiceOut, **_WRITE},
    operation_id="partner_service_set",
    summary="Create or replace the service in one need area",
)
def service_set_api(
    request: HttpRequest, partner_id: int, need_area: str, payload: ServiceIn
) -> Status[dict[str, Any]]:
    """201 when the partner had no service in the area, 200 after."""
    found = _access(request, partner_id)
    service, what = _call(
        lambda: services.service_set(
            actor=request.user,
            partner=found.partner,
            need_area=_need_area(need_area),
            description=payload.description,
            grade_bands=payload.grade_bands,
        )
    )
    return Status(201 if what == "created" else 200, _service(service))


@router.delete(
    "/partners/{partner_id}/services/{need_area}",
    response={204: None, **_WRITE},
    operation_id="partner_service_delete",
    summary="Remove the service in one need area",
)
def service_delete_api(request: HttpRequest, partner_id: int, need_area: str) -> Status[None]:
    found = _editable(request, partner_id)
    _need_area(need_area)
    if not ServiceOffering.objects.filter(partner=found.partner, need_area=need_area).exists():
        raise Http404("Not found.")
    _call(
        lambda: services.service_delete(
            actor=request.user, partner=found.partner, need_area=need_area
        )
    )
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Contacts


@router.get(
    "/partners/{partner_id}/contacts",
    response={200: list[ContactOut], **_READ},
    operation_id="partner_contacts",
    summary="The partner's contacts, primary first",
)
def contact_list_api(request: HttpRequest, partner_id: int) -> list[dict[str, Any]]:
    found = _access(request, partner_id)
    return [_contact(c) for c in found.partner.contacts.order_by("-is_primary", "name", "pk")]


@router.post(
    "/partners/{partner_id}/contacts",
    response={201: ContactOut, **_WRITE},
    operation_id="partner_contact_add",
    summary="Add a contact",
)
def contact_add_api(
    request: HttpRequest, partner_id: int, payload: ContactIn
) -> Status[dict[str, Any]]:
    found = _access(request, partner_id)
    contact = _call(
        lambda: services.contact_add(
            actor=request.user, partner=found.partner, **payload.model_dump()
        )
    )
    return Status(201, _contact(contact))


def _contact_of(request: HttpRequest, partner_id: int, contact_id: int) -> PartnerContact:
    found = _access(request, partner_id)
    return get_object_or_404(
        PartnerContact.objects.select_related("partner"), pk=contact_id, partner=found.partner
    )


@router.patch(
    "/partners/{partner_id}/contacts/{contact_id}",
    response={200: ContactOut, **_WRITE},
    operation_id="partner_contact_update",
    summary="Change a contact",
)
def contact_update_api(
    request: HttpRequest, partner_id: int, contact_id: int, payload: ContactPatch
) -> dict[str, Any]:
    contact = _contact_of(request, partner_id, contact_id)
    changes = payload.model_dump(exclude_unset=True)
    _call(lambda: services.contact_update(actor=request.user, contact=contact, changes=changes))
    return _contact(contact)


@router.delete(
    "/partners/{partner_id}/contacts/{contact_id}",
    response={204: None, **_WRITE},
    operation_id="partner_contact_delete",
    summary="Remove a contact",
)
def contact_delete_api(request: HttpRequest, partner_id: int, contact_id: int) -> Status[None]:
    contact = _contact_of(request, partner_id, contact_id)
    _call(lambda: services.contact_delete(actor=request.user, contact=contact))
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Evidence claims


@router.get(
    "/partners/{partner_id}/evidence",
    response={200: list[EvidenceOut], **_READ},
    operation_id="partner_evidence",
    summary="The partner's evidence claims, strongest first",
)
def evidence_list_api(request: HttpRequest, partner_id: int) -> list[dict[str, Any]]:
    found = _access(request, partner_id)
    claims = found.partner.evidence.select_related("confirmed_by").order_by(
        "tier", "need_area", "pk"
    )
    return [_evidence(e) for e in claims]


@router.post(
    "/partners/{partner_id}/evidence",
    response={201: EvidenceOut, **_WRITE},
    operation_id="partner_evidence_add",
    summary="Add an evidence claim",
)
def evidence_add_api(
    request: HttpRequest, partner_id: int, payload: EvidenceIn
) -> Status[dict[str, Any]]:
    found = _access(request, partner_id)
    claim = _call(
        lambda: services.evidence_add(
            actor=request.user, partner=found.partner, **payload.model_dump()
        )
    )
    return Status(201, _evidence(claim))


def _claim_of(request: HttpRequest, partner_id: int, claim_id: int) -> EvidenceClaim:
    found = _access(request, partner_id)
    return get_object_or_404(
        EvidenceClaim.objects.select_related("partner", "confirmed_by"),
        pk=claim_id,
        partner=found.partner,
    )


@router.get(
    "/partners/{partner_id}/evidence/{claim_id}",
    response={200: EvidenceOut, **_READ},
    operation_id="partner_evidence_detail",
    summary="One evidence claim",
)
def evidence_detail_api(request: HttpRequest, partner_id: int, claim_id: int) -> dict[str, Any]:
    return _evidence(_claim_of(request, partner_id, claim_id))


@router.patch(
    "/partners/{partner_id}/evidence/{claim_id}",
    response={200: EvidenceOut, **_WRITE},
    operation_id="partner_evidence_update",
    summary="Change an evidence claim (send the version you loaded)",
)
def evidence_update_api(
    request: HttpRequest, partner_id: int, claim_id: int, payload: EvidencePatch
) -> dict[str, Any]:
    """Changing the tier, design or study of a confirmed claim clears the confirmation."""
    claim = _claim_of(request, partner_id, claim_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"version"})
    _call(
        lambda: services.evidence_update(
            actor=request.user, claim=claim, changes=changes, expected_version=payload.version
        )
    )
    return _evidence(_claim_of(request, partner_id, claim_id))


@router.delete(
    "/partners/{partner_id}/evidence/{claim_id}",
    response={204: None, **_WRITE},
    operation_id="partner_evidence_delete",
    summary="Remove an evidence claim",
)
def evidence_delete_api(request: HttpRequest, partner_id: int, claim_id: int) -> Status[None]:
    claim = _claim_of(request, partner_id, claim_id)
    _call(lambda: services.evidence_delete(actor=request.user, claim=claim))
    return Status(204, None)


@router.post(
    "/partners/{partner_id}/evidence/{claim_id}/confirm",
    response={200: EvidenceOut, **_WRITE},
    operation_id="partner_evidence_confirm",
    summary="Record the state's confirmed tier (state administrators and staff)",
)
def evidence_confirm_api(
    request: HttpRequest, partner_id: int, claim_id: int, payload: EvidenceConfirmIn
) -> dict[str, Any]:
    claim = _claim_of(request, partner_id, claim_id)
    _call(
        lambda: services.evidence_confirm(
            actor=request.user,
            claim=claim,
            confirmed_tier=payload.confirmed_tier,
            expected_version=payload.version,
        )
    )
    return _evidence(_claim_of(request, partner_id, claim_id))


# ---------------------------------------------------------------------------------------------
# The public directory


@router.get(
    "/directory/{state_code}",
    response={200: DirectoryOut, 404: Message, 422: ValidationErrors},
    operation_id="partner_directory",
    summary="Public: a state's Priority Partners (no credentials needed)",
    auth=None,
)
def directory_api(
    request: HttpRequest,
    state_code: str = Path(..., pattern=STATE_CODE_PARAM_PATTERN, description="e.g. MA."),
) -> dict[str, Any]:
    """Partners with a Priority Partner designation in force in the state, the designated
    areas with their evidence tier and expiry, services in those areas, and the primary
    contact's name and email."""
    state = State.objects.filter(code=state_code.upper()).first()
    if state is None:
        raise Http404("Not found.")
    return {
        "state": {"code": state.code, "name": state.name},
        "partners": [
            {
                "id": e.partner.pk,
                "name": e.partner.name,
                "website": e.partner.website,
                "description": e.partner.description,
                "designations": [
                    {
                        "need_area": d.need_area,
                        "need_area_label": d.get_need_area_display(),
                        "evidence_tier": d.evidence_tier,
                        "evidence_tier_label": tier_label(d.evidence_tier)
                        if d.evidence_tier
                        else "No tier recorded",
                        "starred": d.is_starred,
                        "starts_on": d.starts_on,
                        "expires_on": d.expires_on,
                    }
                    for d in e.designations
                ],
                "services": [_service(s) for s in e.services],
                "contact": {"name": e.contact_name, "email": e.contact_email}
                if e.contact_name
                else None,
            }
            for e in services.directory_entries(state)
        ],
    }
