"""Evidence capture: a compact form for a tablet, a note draft that saves itself (htmx, keyed by
the client's id so a retried save updates the same row), and the list filterable by indicator.

Evidence is the team's working paper: only those who see working papers reach these pages.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from turnaround.assessments.access import AssessmentAccess
from turnaround.assessments.forms import EvidenceForm
from turnaround.assessments.models import Evidence
from turnaround.assessments.selectors import evidence_for, framework_tree
from turnaround.assessments.services import evidence_delete, evidence_save
from turnaround.assessments.views_common import attempt, is_htmx, load, page, refused, require_page


def _access(request: HttpRequest, assessment_id: int) -> AssessmentAccess:
    access = load(request, assessment_id)
    require_page(access.sees_working_papers)
    return access


def _codes(access: AssessmentAccess) -> list[str]:
    return list(
        access.assessment.framework_version.indicators.order_by("code").values_list(
            "code", flat=True
        )
    )


def _list_context(request: HttpRequest, access: AssessmentAccess) -> dict[str, Any]:
    codes = _codes(access)
    chosen = request.GET.get("indicator", "")
    if chosen not in codes:
        chosen = ""
    items = list(evidence_for(access.assessment, indicator_code=chosen))
    return {"evidence_items": items, "indicator_filter": chosen, "indicator_codes": codes}


def _page(
    request: HttpRequest, access: AssessmentAccess, form: EvidenceForm, status: int = 200
) -> HttpResponse:
    selected = set(form["indicators"].value() or [])
    context = {
        "form": form,
        "tree": framework_tree(access.assessment.framework_version),
        "selected_codes": selected,
        "can_capture": access.can_rate,
        "editing": request.GET.get("edit") or (form.is_bound and form.data.get("editing")),
        **_list_context(request, access),
    }
    return page(request, "assessments/evidence.html", access, "evidence", context, status)


@login_required
@require_GET
def evidence_page(request: HttpRequest, assessment_id: int) -> HttpResponse:
    access = _access(request, assessment_id)
    if is_htmx(request) and request.headers.get("HX-Target") == "evidence-list":
        return render(
            request,
            "assessments/evidence_list.html",
            {"assessment": access.assessment, "access": access, **_list_context(request, access)},
        )
    initial: dict[str, Any] = {}
    edit = request.GET.get("edit", "")
    if edit:
        item = Evidence.objects.filter(assessment=access.assessment, client_id=edit).first()
        if item is None:
            raise Http404("No such evidence.")
        initial = {
            "client_id": item.client_id,
            "kind": item.kind,
            "source": item.source,
            "note": item.note,
            "indicators": list(item.indicators.values_list("code", flat=True)),
        }
    form = EvidenceForm(initial=initial, indicator_codes=_codes(access))
    return _page(request, access, form)


def _save(request: HttpRequest, access: AssessmentAccess, form: EvidenceForm, with_file: bool):
    data = form.cleaned_data
    return attempt(
        form,
        lambda: evidence_save(
            actor=request.user,
            assessment=access.assessment,
            client_id=data["client_id"],
            kind=data["kind"],
            source=data["source"],
            note=data["note"],
            indicator_codes=data["indicators"],
            file=data.get("file") if with_file else None,
        ),
    )


@login_required
@require_POST
def evidence_submit(request: HttpRequest, assessment_id: int) -> HttpResponse:
    access = _access(request, assessment_id)
    form = EvidenceForm(request.POST, request.FILES, indicator_codes=_codes(access))
    if not form.is_valid():
        return _page(request, access, form, 422)
    result, status, _ = _save(request, access, form, with_file=True)
    if result is None:
        return _page(request, access, form, status)
    evidence, created = result
    messages.success(
        request, f"{'Saved' if created else 'Updated'} the evidence from {evidence.source}."
    )
    return redirect(reverse("assessment_evidence", args=[assessment_id]) + "#capture")


@login_required
@require_POST
def evidence_autosave(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """The note draft, saved as the reviewer types: answers a status line for aria-live.

    A draft that cannot be saved yet answers 200 too (htmx swaps only successful answers), with
    what is missing; a refusal by the service keeps its status for other clients.
    """
    access = _access(request, assessment_id)
    form = EvidenceForm(request.POST, indicator_codes=_codes(access))
    status = 422
    if form.is_valid():
        result, status, _ = _save(request, access, form, with_file=False)
        if result is not None:
            saved_at = timezone.localtime(result[0].updated_at)
            return _status(request, saved_at=saved_at, problems=[], status=200)
    problems = [
        f"{form.fields[name].label}: {error}" if name in form.fields else error
        for name, errors in form.errors.items()
        for error in errors
    ]
    return _status(
        request, saved_at=None, problems=problems, status=200 if is_htmx(request) else status
    )


def _status(request: HttpRequest, *, saved_at: Any, problems: list[str], status: int):
    return render(
        request,
        "assessments/autosave_status.html",
        {"saved_at": saved_at, "problems": problems},
        status=status,
    )


@login_required
@require_POST
def evidence_remove(request: HttpRequest, assessment_id: int, evidence_id: int) -> HttpResponse:
    access = _access(request, assessment_id)
    item = get_object_or_404(Evidence, pk=evidence_id, assessment=access.assessment)
    _, status, errors = attempt(None, lambda: evidence_delete(actor=request.user, evidence=item))
    if status != 200:
        return refused(request, access, errors, status)
    messages.success(request, f"Deleted the evidence from {item.source}.")
    return redirect("assessment_evidence", assessment_id=assessment_id)


@login_required
@require_GET
def evidence_file(request: HttpRequest, assessment_id: int, evidence_id: int) -> HttpResponse:
    """An evidence file, served only to those who see the working papers."""
    access = _access(request, assessment_id)
    item = get_object_or_404(Evidence, pk=evidence_id, assessment=access.assessment)
    if not item.file:
        raise Http404("No file.")
    name = item.file.name.rsplit("/", 1)[-1]
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=name)
