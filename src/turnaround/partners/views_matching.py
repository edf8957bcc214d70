"""The matching page: a school's needs and the partners suggested for them. Thin: the access
helper and ``matching.partner_suggestions`` do the work."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from turnaround.organizations.models import School
from turnaround.partners.matching import BAND_LABELS, partner_suggestions

_TRUE = {"1", "true", "on", "yes"}


@login_required
@require_GET
def school_matches(request: HttpRequest, school_id: int) -> HttpResponse:
    school = School.objects.select_related("district__state").filter(pk=school_id).first()
    if school is None:
        raise Http404("No such school.")
    include_unvetted = request.GET.get("include_unvetted", "").strip().lower() in _TRUE
    matching = partner_suggestions(request.user, school, include_unvetted=include_unvetted)
    return render(
        request,
        "partners/matching/school.html",
        {
            "partner_section": "matching",
            "school": school,
            "m": matching,
            "result": matching.result,
            "suggestions": matching.result.suggestions,
            "area_needs": matching.result.area_needs,
            "school_bands": [BAND_LABELS.get(b, b) for b in matching.result.school_grade_bands],
        },
    )
