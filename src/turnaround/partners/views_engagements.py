"""Engagement pages: the list (filters, totals by funding source, CSV/XLSX), recording, the
detail page, editing, ending early and deleting one recorded by mistake.

Who sees and records what is ``partners.access``; the rules of an engagement are in
``partners.services.engagements``. A page someone may see but not act on answers 403; one they
may not see at all is the same 404 as a missing engagement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from turnaround.core.concurrency import StaleEditError
from turnaround.core.exports import table_csv, table_xlsx
from turnaround.organizations.models import District
from turnaround.partners.access import (
    can_record_engagements,
    get_engagement_for_user,
    visible_engagements,
    visible_partners,
)
from turnaround.partners.forms_engagements import (
    EngagementDeleteForm,
    EngagementEndForm,
    EngagementForm,
)
from turnaround.partners.models import Engagement, FundingSource, NeedArea, PriorityDesignation
from turnaround.partners.selectors import (
    EngagementFilters,
    EngagementStatus,
    FilterError,
    cost_by_funding,
    designation_choices,
    designation_label,
    engagement_list,
    engagement_status,
    recordable_districts,
    recordable_schools,
    status_label,
)
from turnaround.partners.services.engagements import (
    EDITABLE_FIELDS,
    engagement_create,
    engagement_delete,
    engagement_end,
    engagement_update,
)

PAGE_SIZE = 50
SECTION = {"partner_section": "engagements"}
NOT_RECORDER = (
    "Only state administrators, state staff and district leaders record engagements. "
    "Ask one of them to record this one."
)
NOT_EDITOR = (
    "You can see this engagement but not change it: state staff and the district's leaders do."
)

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# Shared


def _attempt(form: forms.Form, call: Callable[[], T]) -> tuple[T | None, int]:
    """Run a service call; its refusal becomes form errors and the status to answer with."""
    try:
        return call(), 200
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            for message in exc.messages:
                form.add_error(None, message)
        return None, 422
    except StaleEditError as exc:
        form.add_error(None, str(exc))
        return None, 409
    except PermissionDenied as exc:
        form.add_error(None, str(exc) or "You cannot do that.")
        return None, 403


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _engagement_form(
    request: HttpRequest,
    *,
    data: Any = None,
    initial: dict[str, Any] | None = None,
    keep: PriorityDesignation | None = None,
) -> EngagementForm:
    """The form with the choices this user has. Input is checked against every designation in
    the user's states (so the service can say why a designation does not fit); call
    ``_show_partner_designations`` before rendering."""
    form = EngagementForm(
        data,
        initial=initial,
        partners=visible_partners(request.user).order_by("name"),
        schools=recordable_schools(request.user),
        districts=recordable_districts(request.user),
        designations=designation_choices(request.user, partner_id=None, keep=keep),
        designations_with_partner=True,
    )
    form.fields["partner"].widget.attrs.update(
        {
            "hx-get": reverse("partners:engagement_designations"),
            "hx-target": "#designation-field",
            "hx-swap": "outerHTML",
            "hx-trigger": "change",
        }
    )
    return form


def _show_partner_designations(
    request: HttpRequest, form: EngagementForm, keep: PriorityDesignation | None = None
) -> EngagementForm:
    """List only the chosen partner's designations, labelled with area and dates (without a
    chosen partner: every partner's, labelled with the partner too)."""
    source = form.data if form.is_bound else request.GET
    partner_id = _int(source.get("partner")) or _int(form.initial.get("partner"))
    if partner_id is not None:
        field = form.fields["designation"]
        field.queryset = designation_choices(request.user, partner_id=partner_id, keep=keep)  # type: ignore[attr-defined]
        field.with_partner = False  # type: ignore[attr-defined]
    return form


def _designation_text(e: Engagement) -> str:
    if e.designation_id is None:
        return "no"
    return f"yes — {e.designation.get_need_area_display()}"  # type: ignore[union-attr]


def _organisation(e: Engagement) -> str:
    return e.school.name if e.school_id else e.district.name  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------
# The list


def _filters(request: HttpRequest) -> tuple[EngagementFilters, dict[str, str]]:
    try:
        return EngagementFilters.from_params(request.GET), {}
    except FilterError as exc:
        good = {k: v for k, v in request.GET.items() if k not in exc.errors}
        return EngagementFilters.from_params(good), exc.errors


@login_required
@require_GET
def engagement_list_page(request: HttpRequest) -> HttpResponse:
    filters, errors = _filters(request)
    qs = engagement_list(request.user, filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    visible = visible_engagements(request.user)
    query = filters.as_query()
    context = {
        **SECTION,
        "page": page,
        "filters": filters,
        "filter_errors": errors,
        "query": query,
        "totals": cost_by_funding(qs),
        "can_record": can_record_engagements(request.user),
        "partners": visible_partners(request.user)
        .filter(pk__in=visible.values("partner_id"))
        .order_by("name"),
        "districts": District.objects.filter(
            Q(pk__in=visible.values("district_id"))
            | Q(pk__in=visible.values("school__district_id"))
        ).order_by("name"),
        "need_areas": NeedArea.choices,
        "statuses": EngagementStatus.CHOICES,
        "funding_sources": FundingSource.choices,
    }
    return render(request, "partners/engagements/list.html", context, status=400 if errors else 200)


EXPORT_HEADER = [
    "Partner",
    "School",
    "School code",
    "District",
    "District code",
    "State",
    "Need area",
    "Scope",
    "Starts",
    "Ends",
    "Status",
    "Cost",
    "Funding source",
    "Priority Partner designation",
    "Written agreement",
]


def _export_rows(qs: Any) -> Iterator[list[Any]]:
    today = timezone.localdate()
    for e in qs.iterator(chunk_size=500):
        district = e.school.district if e.school_id else e.district
        yield [
            e.partner.name,
            e.school.name if e.school_id else "",
            e.school.code if e.school_id else "",
            district.name,
            district.code,
            district.state.code,
            e.get_need_area_display(),
            e.scope,
            e.starts_on,
            e.ends_on,
            status_label(engagement_status(e, today=today)),
            e.cost,
            e.get_funding_source_display() if e.funding_source else "",
            _designation_text(e),
            e.agreement_reference,
        ]


def _export_qs(request: HttpRequest) -> Any:
    filters, errors = _filters(request)
    if errors:
        return None, HttpResponse(
            "Cannot export: " + "; ".join(f"{k}: {v}" for k, v in errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    qs = engagement_list(request.user, filters).select_related("school__district__state")
    return qs, None


def _filename(ext: str) -> str:
    return f"engagements-{timezone.localdate():%Y-%m-%d}.{ext}"


@login_required
@require_GET
def engagements_export_csv(request: HttpRequest) -> HttpResponse:
    qs, refusal = _export_qs(request)
    if refusal is not None:
        return refusal  # type: ignore[no-any-return]
    return table_csv(EXPORT_HEADER, _export_rows(qs), _filename("csv"))  # type: ignore[return-value]


@login_required
@require_GET
def engagements_export_xlsx(request: HttpRequest) -> HttpResponse:
    qs, refusal = _export_qs(request)
    if refusal is not None:
        return refusal  # type: ignore[no-any-return]
    return table_xlsx(EXPORT_HEADER, _export_rows(qs), _filename("xlsx"), sheet="Engagements")


# ---------------------------------------------------------------------------------------------
# Recording


@login_required
@require_http_methods(["GET", "POST"])
def engagement_new(request: HttpRequest) -> HttpResponse:
    if not can_record_engagements(request.user):
        raise PermissionDenied(NOT_RECORDER)
    initial = {
        name: request.GET[name]
        for name in ("partner", "school", "district", "need_area")
        if request.GET.get(name)
    }
    form = _engagement_form(
        request, data=request.POST if request.method == "POST" else None, initial=initial
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            created, status = _attempt(
                form,
                lambda: engagement_create(
                    actor=request.user,
                    partner=data["partner"],
                    school=data["school"],
                    district=data["district"],
                    need_area=data["need_area"],
                    scope=data["scope"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    cost=data["cost"],
                    funding_source=data["funding_source"],
                    agreement_reference=data["agreement_reference"],
                    designation=data["designation"],
                ),
            )
            if created is not None:
                messages.success(request, f"Recorded the engagement: {created}.")
                return redirect("partners:engagement_detail", engagement_id=created.pk)
        else:
            status = 422
    return render(
        request,
        "partners/engagements/form.html",
        {**SECTION, "form": _show_partner_designations(request, form), "engagement": None},
        status=status,
    )


@login_required
@require_GET
def engagement_designations(request: HttpRequest) -> HttpResponse:
    """The designation field for the chosen partner (an HTMX fragment of the form)."""
    if not can_record_engagements(request.user):
        raise PermissionDenied(NOT_RECORDER)
    form = _show_partner_designations(request, _engagement_form(request))
    return render(request, "partners/engagements/_designation_field.html", {"form": form})


# ---------------------------------------------------------------------------------------------
# One engagement


@login_required
@require_GET
def engagement_detail(request: HttpRequest, engagement_id: int) -> HttpResponse:
    access = get_engagement_for_user(request.user, engagement_id)
    e = access.engagement
    status = engagement_status(e)
    return render(
        request,
        "partners/engagements/detail.html",
        {
            **SECTION,
            "engagement": e,
            "access": access,
            "status": status,
            "status_label": status_label(status),
            "designation_label": designation_label(e.designation) if e.designation else "",
            "can_end": access.can_edit and status != EngagementStatus.ENDED,
            "can_delete": access.can_edit and status == EngagementStatus.UPCOMING,
        },
    )


def _editable(request: HttpRequest, engagement_id: int) -> Engagement:
    access = get_engagement_for_user(request.user, engagement_id)
    if not access.can_edit:
        raise PermissionDenied(NOT_EDITOR)
    return access.engagement


@login_required
@require_http_methods(["GET", "POST"])
def engagement_edit(request: HttpRequest, engagement_id: int) -> HttpResponse:
    e = _editable(request, engagement_id)
    initial = {name: getattr(e, name) for name in EDITABLE_FIELDS}
    initial.update(
        partner=e.partner_id,
        school=e.school_id,
        district=e.district_id,
        designation=e.designation_id,
        version=e.version,
    )
    form = _engagement_form(
        request,
        data=request.POST if request.method == "POST" else None,
        initial=initial,
        keep=e.designation,
    )
    form.fields["version"].required = True
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            changes = {name: data[name] for name in EDITABLE_FIELDS}
            saved, status = _attempt(
                form,
                lambda: engagement_update(
                    actor=request.user,
                    engagement=e,
                    expected_version=data["version"],
                    changes=changes,
                ),
            )
            if saved is not None:
                messages.success(request, "Saved the engagement.")
                return redirect("partners:engagement_detail", engagement_id=e.pk)
        else:
            status = 422
    return render(
        request,
        "partners/engagements/form.html",
        {
            **SECTION,
            "form": _show_partner_designations(request, form, e.designation),
            "engagement": e,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def engagement_end_page(request: HttpRequest, engagement_id: int) -> HttpResponse:
    e = _editable(request, engagement_id)
    form = EngagementEndForm(
        request.POST if request.method == "POST" else None,
        initial={"ends_on": timezone.localdate(), "version": e.version},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            ended, status = _attempt(
                form,
                lambda: engagement_end(
                    actor=request.user,
                    engagement=e,
                    ends_on=data["ends_on"],
                    reason=data["reason"],
                    expected_version=data["version"],
                ),
            )
            if ended is not None:
                messages.success(request, f"The engagement now ends on {ended.ends_on:%d %b %Y}.")
                return redirect("partners:engagement_detail", engagement_id=e.pk)
        else:
            status = 422
    return render(
        request,
        "partners/engagements/end.html",
        {**SECTION, "form": form, "engagement": e},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def engagement_delete_page(request: HttpRequest, engagement_id: int) -> HttpResponse:
    e = _editable(request, engagement_id)
    form = EngagementDeleteForm(
        request.POST if request.method == "POST" else None, initial={"version": e.version}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            label = str(e)
            _, status = _attempt(
                form,
                lambda: engagement_delete(
                    actor=request.user, engagement=e, expected_version=form.cleaned_data["version"]
                ),
            )
            if status == 200:
                messages.success(request, f"Deleted the engagement: {label}.")
                return redirect("partners:engagements")
        else:
            status = 422
    return render(
        request,
        "partners/engagements/delete.html",
        {
            **SECTION,
            "form": form,
            "engagement": e,
            "started": engagement_status(e) != EngagementStatus.UPCOMING,
        },
        status=status,
    )
