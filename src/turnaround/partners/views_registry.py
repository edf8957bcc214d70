"""Registry pages: the list with its filters and export, a partner's profile, the edit forms
(profile, services, contacts, evidence claims), and the public directory of a state's Priority
Partners (no sign-in).

Every page asks ``partners.access``; every change goes through ``partners.services.registry``.
The forms work without JavaScript: a POST answers a redirect (POST-redirect-GET), or the page
again with the errors and the status saying why (422 bad input, 403 not allowed, 409 stale).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from turnaround.core.concurrency import StaleEditError
from turnaround.core.exports import table_csv, table_xlsx
from turnaround.organizations.models import PartnerOrganization, State
from turnaround.partners import access
from turnaround.partners.forms_registry import (
    ConfirmForm,
    ContactForm,
    EvidenceForm,
    PartnerForm,
    ServiceForm,
)
from turnaround.partners.models import (
    CostModel,
    EvidenceClaim,
    EvidenceTier,
    PartnerContact,
    PriorityDesignation,
    ServiceOffering,
)
from turnaround.partners.needs import GradeBand, NeedArea, area_label
from turnaround.partners.services.registry import (
    RegistryFilters,
    contact_add,
    contact_delete,
    contact_update,
    directory_entries,
    evidence_add,
    evidence_confirm,
    evidence_delete,
    evidence_update,
    grade_band_labels,
    partner_create,
    partner_search,
    partner_update,
    registry_rows,
    registry_table,
    service_delete,
    service_set,
    tier_label,
    viewer_states,
)

PAGE_SIZE = 25

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# Shared


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(
        request,
        f"partners/{template}",
        {"partner_section": "registry", **context},
        status=status,
    )


def _load(request: HttpRequest, partner_id: int) -> access.PartnerAccess:
    return access.get_partner_for_user(request.user, partner_id)


def _refused(
    request: HttpRequest, partner: PartnerOrganization | None, message: str
) -> HttpResponse:
    return _render(request, "registry/refused.html", {"partner": partner, "message": message}, 403)


def _cannot_edit(partner: PartnerOrganization) -> str:
    return f"Only staff of {partner.name} and state administrators can change its registry entry."


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (or above the form)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _attempt(form: forms.Form, call: Callable[[], T]) -> tuple[T | None, int]:
    """Run a service call: ``(result, 200)`` or ``(None, status)`` with the reason on the form."""
    try:
        return call(), 200
    except ValidationError as exc:
        _add_errors(form, exc)
        return None, 422
    except StaleEditError as exc:
        form.add_error(None, str(exc))
        return None, 409
    except PermissionDenied as exc:
        form.add_error(None, str(exc) or "You cannot do that.")
        return None, 403


def _attempt_plain(call: Callable[[], Any]) -> tuple[list[str], int]:
    """A call without a form (deletions): ``([], 200)`` or ``(messages, status)``."""
    try:
        call()
        return [], 200
    except ValidationError as exc:
        return exc.messages, 422
    except PermissionDenied as exc:
        return [str(exc) or "You cannot do that."], 403
    except StaleEditError as exc:
        return [str(exc)], 409


def _edit_tabs(partner: PartnerOrganization, current: str) -> list[dict[str, Any]]:
    items = (
        ("profile", "Profile", "partners:partner_edit"),
        ("services", "Services", "partners:partner_services"),
        ("contacts", "Contacts", "partners:partner_contacts"),
        ("evidence", "Evidence", "partners:partner_evidence"),
    )
    return [
        {"label": label, "url": reverse(name, args=[partner.pk]), "current": key == current}
        for key, label, name in items
    ]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------
# The registry


def _registry_rows(request: HttpRequest) -> tuple[Any, RegistryFilters, dict[str, str]]:
    if not access.sees_registry(request.user):
        raise Http404("No registry for you.")
    filters, errors = RegistryFilters.parse(request.GET)
    qs = partner_search(
        access.visible_partners(request.user), filters, states=viewer_states(request.user)
    )
    return qs, filters, errors


@login_required
@require_GET
def registry(request: HttpRequest) -> HttpResponse:
    qs, filters, errors = _registry_rows(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    states = viewer_states(request.user)
    can_create = access.can_create_partner(request.user)
    return _render(
        request,
        "registry/list.html",
        {
            "page": page,
            "rows": registry_rows(page.object_list),
            "filters": filters,
            "filter_errors": errors,
            "query": filters.as_query(),
            "need_areas": NeedArea.choices,
            "grade_bands": GradeBand.choices,
            "tiers": [
                (t, tier_label(t) if t == 1 else f"Tier {t} or stronger")
                for t in EvidenceTier.values
            ],
            "states": states,
            "can_create": can_create,
            "create_form": PartnerForm() if can_create else None,
        },
    )


def _export(request: HttpRequest) -> tuple[tuple[str, ...], list[list[Any]]]:
    qs, _, _ = _registry_rows(request)
    return registry_table(registry_rows(qs))


@login_required
@require_GET
def registry_export_csv(request: HttpRequest) -> HttpResponse:
    header, rows = _export(request)
    return table_csv(header, rows, "partners.csv")


@login_required
@require_GET
def registry_export_xlsx(request: HttpRequest) -> HttpResponse:
    header, rows = _export(request)
    return table_xlsx(header, rows, "partners.xlsx", sheet="Partners")


@login_required
@require_http_methods(["GET", "POST"])
def partner_new(request: HttpRequest) -> HttpResponse:
    if not access.sees_registry(request.user):
        raise Http404("No registry for you.")
    if not access.can_create_partner(request.user):
        return _refused(request, None, "Only state administrators can add partners.")
    form = PartnerForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            created, status = _attempt(
                form, lambda: partner_create(actor=request.user, **form.values())
            )
            if created is not None:
                messages.success(request, f"{created.name} is in the registry.")
                return redirect("partners:partner_detail", created.pk)
    return _render(request, "registry/partner_form.html", {"form": form, "partner": None}, status)


# ---------------------------------------------------------------------------------------------
# A partner's profile


def _designation_rows(partner: PartnerOrganization) -> list[dict[str, Any]]:
    today = timezone.localdate()
    designations = list(
        PriorityDesignation.objects.filter(partner=partner)
        .select_related("state", "renews")
        .order_by("state__code", "need_area", "-starts_on")
    )
    renewed_by = {
        d.renews_id: d
        for d in PriorityDesignation.objects.filter(renews__in=designations).select_related("state")
    }
    rows = []
    for d in designations:
        if d.revoked_at is not None:
            status = f"Revoked on {timezone.localtime(d.revoked_at):%d %b %Y}"
        elif d.starts_on > today:
            status = "Starts later"
        elif d.expires_on < today:
            status = "Expired"
        else:
            status = "In force"
        rows.append({"d": d, "status": status, "renewed_by": renewed_by.get(d.pk)})
    return rows


def _services(partner: PartnerOrganization) -> list[tuple[ServiceOffering, list[str]]]:
    return [(s, grade_band_labels(s.grade_bands)) for s in partner.services.order_by("need_area")]


@login_required
@require_GET
def partner_detail(request: HttpRequest, partner_id: int) -> HttpResponse:
    found = _load(request, partner_id)
    partner = found.partner
    claims = list(
        partner.evidence.select_related("confirmed_by").order_by("tier", "need_area", "pk")
    )
    best = min((c.effective_tier for c in claims), default=None)
    return _render(
        request,
        "registry/detail.html",
        {
            "partner": partner,
            "access": found,
            "cost_model_label": dict(CostModel.choices).get(partner.cost_model, ""),
            "grade_band_labels": grade_band_labels(partner.grade_bands),
            "services": _services(partner),
            "contacts": partner.contacts.order_by("-is_primary", "name", "pk"),
            "claims": claims,
            "best_tier": best,
            "best_tier_label": tier_label(best),
            "designations": _designation_rows(partner),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def partner_edit(request: HttpRequest, partner_id: int) -> HttpResponse:
    found = _load(request, partner_id)
    partner = found.partner
    if not found.can_edit:
        return _refused(request, partner, _cannot_edit(partner))
    status = 200
    if request.method == "POST":
        form = PartnerForm(request.POST)
        status = 422
        if form.is_valid():
            version = form.cleaned_data["version"]
            saved, status = _attempt(
                form,
                lambda: partner_update(
                    actor=request.user,
                    partner=partner,
                    changes=form.values(),
                    expected_version=version,
                ),
            )
            if saved is not None:
                messages.success(request, f"Saved the profile of {saved.name}.")
                return redirect("partners:partner_detail", partner.pk)
    else:
        form = PartnerForm(initial=PartnerForm.initial_for(partner))
    return _render(
        request,
        "registry/partner_form.html",
        {"form": form, "partner": partner, "tabs": _edit_tabs(partner, "profile")},
        status,
    )


# ---------------------------------------------------------------------------------------------
# Services, contacts and evidence claims


@login_required
@require_http_methods(["GET", "POST"])
def partner_services(request: HttpRequest, partner_id: int) -> HttpResponse:
    found = _load(request, partner_id)
    partner = found.partner
    if not found.can_edit:
        return _refused(request, partner, _cannot_edit(partner))
    here = reverse("partners:partner_services", args=[partner.pk])
    status, errors = 200, list[str]()
    form = ServiceForm()
    editing = ""
    if request.method == "POST" and request.POST.get("action") == "delete":
        area = request.POST.get("need_area", "")
        errors, status = _attempt_plain(
            lambda: service_delete(actor=request.user, partner=partner, need_area=area)
        )
        if not errors:
            messages.success(request, f"Removed the service in {area_label(area)}.")
            return redirect(here)
    elif request.method == "POST":
        form = ServiceForm(request.POST)
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            result, status = _attempt(
                form,
                lambda: service_set(
                    actor=request.user,
                    partner=partner,
                    need_area=data["need_area"],
                    description=data["description"],
                    grade_bands=data["grade_bands"],
                ),
            )
            if result is not None:
                messages.success(request, f"Saved the service in {area_label(data['need_area'])}.")
                return redirect(here)
        editing = request.POST.get("need_area", "")
    else:
        editing = request.GET.get("edit", "")
        existing = ServiceOffering.objects.filter(partner=partner, need_area=editing).first()
        if existing is not None:
            form = ServiceForm(
                initial={
                    "need_area": existing.need_area,
                    "description": existing.description,
                    "grade_bands": list(existing.grade_bands),
                }
            )
        else:
            editing = ""
    return _render(
        request,
        "registry/services.html",
        {
            "partner": partner,
            "tabs": _edit_tabs(partner, "services"),
            "services": _services(partner),
            "form": form,
            "editing": editing,
            "errors": errors,
        },
        status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def partner_contacts(request: HttpRequest, partner_id: int) -> HttpResponse:
    found = _load(request, partner_id)
    partner = found.partner
    if not found.can_edit:
        return _refused(request, partner, _cannot_edit(partner))
    here = reverse("partners:partner_contacts", args=[partner.pk])
    contacts = partner.contacts.order_by("-is_primary", "name", "pk")
    status, errors = 200, list[str]()
    form = ContactForm()
    editing: PartnerContact | None = None
    if request.method == "POST" and request.POST.get("action") == "delete":
        contact = get_object_or_404(
            PartnerContact, pk=_int(request.POST.get("contact_id")), partner=partner
        )
        errors, status = _attempt_plain(lambda: contact_delete(actor=request.user, contact=contact))
        if not errors:
            messages.success(request, f"Removed the contact {contact.name}.")
            return redirect(here)
    elif request.method == "POST":
        form = ContactForm(request.POST)
        contact_id = _int(request.POST.get("contact_id"))
        if contact_id is not None:
            editing = get_object_or_404(PartnerContact, pk=contact_id, partner=partner)
        status = 422
        if form.is_valid():
            values = form.values()
            if editing is not None:
                target = editing
                result, status = _attempt(
                    form,
                    lambda: contact_update(actor=request.user, contact=target, changes=values),
                )
            else:
                result, status = _attempt(
                    form, lambda: contact_add(actor=request.user, partner=partner, **values)
                )
            if result is not None:
                messages.success(request, f"Saved the contact {result.name}.")
                return redirect(here)
    else:
        editing = contacts.filter(pk=_int(request.GET.get("edit"))).first()
        if editing is not None:
            form = ContactForm(
                initial={
                    "contact_id": editing.pk,
                    **{k: getattr(editing, k) for k in ("name", "title", "email", "phone")},
                    "is_primary": editing.is_primary,
                }
            )
    return _render(
        request,
        "registry/contacts.html",
        {
            "partner": partner,
            "tabs": _edit_tabs(partner, "contacts"),
            "contacts": contacts,
            "form": form,
            "editing": editing,
            "errors": errors,
        },
        status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def partner_evidence(request: HttpRequest, partner_id: int) -> HttpResponse:
    found = _load(request, partner_id)
    partner = found.partner
    if not (found.can_edit or found.can_confirm_evidence):
        return _refused(request, partner, _cannot_edit(partner))
    here = reverse("partners:partner_evidence", args=[partner.pk])
    claims = list(
        partner.evidence.select_related("confirmed_by").order_by("tier", "need_area", "pk")
    )
    status, errors = 200, list[str]()
    form = EvidenceForm() if found.can_edit else None
    editing: EvidenceClaim | None = None
    confirm_forms = {
        c.pk: ConfirmForm(prefix=f"c{c.pk}", initial=_confirm_initial(c)) for c in claims
    }
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action in ("delete", "confirm"):
        claim = get_object_or_404(
            EvidenceClaim.objects.select_related("partner"),
            pk=_int(request.POST.get("claim_id")),
            partner=partner,
        )
        if action == "delete":
            errors, status = _attempt_plain(
                lambda: evidence_delete(actor=request.user, claim=claim)
            )
            if not errors:
                messages.success(request, f"Removed the claim “{claim.claim}”.")
                return redirect(here)
        else:
            confirm = ConfirmForm(request.POST, prefix=f"c{claim.pk}")
            confirm_forms[claim.pk] = confirm
            status = 422
            if confirm.is_valid():
                data = confirm.cleaned_data
                result, status = _attempt(
                    confirm,
                    lambda: evidence_confirm(
                        actor=request.user,
                        claim=claim,
                        confirmed_tier=data["confirmed_tier"],
                        expected_version=data["version"],
                    ),
                )
                if result is not None:
                    done = (
                        f"Confirmed {tier_label(result.confirmed_tier).lower()}"
                        if result.confirmed_tier
                        else "Cleared the confirmation"
                    )
                    messages.success(request, f"{done} for “{result.claim}”.")
                    return redirect(here)
    elif request.method == "POST":
        form = EvidenceForm(request.POST)
        claim_id = _int(request.POST.get("claim_id"))
        if claim_id is not None:
            editing = get_object_or_404(
                EvidenceClaim.objects.select_related("partner"), pk=claim_id, partner=partner
            )
        status = 422
        if form.is_valid():
            values = form.values()
            if editing is not None:
                target, version = editing, form.cleaned_data["version"]
                result, status = _attempt(
                    form,
                    lambda: evidence_update(
                        actor=request.user,
                        claim=target,
                        changes=values,
                        expected_version=version,
                    ),
                )
            else:
                result, status = _attempt(
                    form, lambda: evidence_add(actor=request.user, partner=partner, **values)
                )
            if result is not None:
                messages.success(request, f"Saved the claim “{result.claim}”.")
                return redirect(here)
    elif found.can_edit:
        editing = next((c for c in claims if c.pk == _int(request.GET.get("edit"))), None)
        if editing is not None:
            form = EvidenceForm(initial=EvidenceForm.initial_for(editing))
    return _render(
        request,
        "registry/evidence.html",
        {
            "partner": partner,
            "access": found,
            "tabs": _edit_tabs(partner, "evidence") if found.can_edit else [],
            "claims": [(c, confirm_forms[c.pk]) for c in claims],
            "form": form,
            "editing": editing,
            "errors": errors,
        },
        status,
    )


def _confirm_initial(claim: EvidenceClaim) -> dict[str, Any]:
    return {"confirmed_tier": claim.confirmed_tier or "", "version": claim.version}


# ---------------------------------------------------------------------------------------------
# The public directory (no sign-in)


def _state(state_code: str) -> State:
    code = state_code.upper()
    if len(code) != 2 or not code.isalpha():
        raise Http404("No such state.")
    return get_object_or_404(State, code=code)


@require_GET
def directory(request: HttpRequest, state_code: str) -> HttpResponse:
    state = _state(state_code)
    area = request.GET.get("need_area", "")
    error = ""
    if area and area not in NeedArea.values:
        error = f"“{area}” is not a need area; choose one from the list."
        area = ""
    entries = directory_entries(state, need_area=area)
    return render(
        request,
        "partners/directory/list.html",
        {
            "partner_section": "directory",
            "state": state,
            "entries": entries,
            "need_areas": NeedArea.choices,
            "need_area": area,
            "area_error": error,
        },
    )


@require_GET
def directory_detail(request: HttpRequest, state_code: str, partner_id: int) -> HttpResponse:
    state = _state(state_code)
    entries = directory_entries(state, partner_id=partner_id)
    if not entries:
        raise Http404("This partner is not in the directory.")
    return render(
        request,
        "partners/directory/detail.html",
        {"partner_section": "directory", "state": state, "entry": entries[0]},
    )
