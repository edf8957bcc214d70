"""Partner suggestions for a school over the API (issue #7 §6).

Who may ask: the school's state administrators and staff, its district's leaders and its own
leaders (``access.can_match_for_school``); anyone else, and a school that does not exist, get the
same 404.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Query, Router

from turnaround.organizations.models import School
from turnaround.organizations.schemas import Message, ValidationErrors
from turnaround.partners.matching import AREA_LABELS, SchoolMatching, partner_suggestions
from turnaround.partners.schemas_matching import MatchingOut, MatchingQuery

router = Router(tags=["partners"])

_ERRORS: dict[int, Any] = {401: Message, 404: Message, 422: ValidationErrors}


def matching_payload(m: SchoolMatching) -> dict[str, Any]:
    """The API's (and any export's) plain-data view of a matching."""
    school = m.school
    a = m.assessment
    return {
        "school": {
            "id": school.pk,
            "name": school.name,
            "district": school.district.name,
            "state": school.district.state.code,
            "grade_bands": list(m.result.school_grade_bands),
        },
        "as_of": m.as_of,
        "include_unvetted": m.include_unvetted,
        "any_designated": m.any_designated,
        "assessment": None
        if a is None
        else {
            "id": a.pk,
            "title": a.title,
            "kind": a.kind,
            "school_year": a.school_year,
            "finalised_on": m.assessment_finalised_on,
        },
        "weights": {
            "fit": m.result.weights.fit,
            "evidence": m.result.weights.evidence,
            "impact": m.result.weights.impact,
            "grade_band": m.result.weights.grade_band,
        },
        "needs": [
            {
                "area": n.area,
                "area_label": AREA_LABELS.get(n.area, n.area),
                "weight": n.weight,
                "source": n.source,
                "reason": n.reason,
            }
            for n in m.needs
        ],
        "need_areas": [
            {
                "area": n.area,
                "label": n.label,
                "weight": n.weight,
                "share": n.share,
                "reasons": list(n.reasons),
                "sources": list(n.sources),
            }
            for n in m.result.area_needs
        ],
        "suggestions": [
            {
                "rank": s.rank,
                "partner_id": s.partner_id,
                "name": s.name,
                "vetted": s.vetted,
                "score": s.score,
                "components": s.components.as_dict(),
                "components_text": s.components_text,
                "covered_areas": list(s.covered_areas),
                "uncovered_areas": list(s.uncovered_areas),
                "impact_classes": dict(s.impact_classes),
                "flagged": s.flagged,
                "engaged_areas": list(s.engaged_areas),
                "regions": list(s.regions),
                "reasons": list(s.reasons),
            }
            for s in m.result.suggestions
        ],
    }


@router.get(
    "/schools/{int:school_id}/partner-suggestions",
    response={200: MatchingOut, **_ERRORS},
    operation_id="school_partner_suggestions",
    summary="Partners suggested for a school's needs",
)
def school_partner_suggestions(
    request: HttpRequest, school_id: int, query: Query[MatchingQuery]
) -> dict[str, Any]:
    """The school's needs (from its latest finalised site visit or self-assessment and its
    performance data, each with its source and reason) and the partners ranked for them: by
    default only partners with a Priority Partner designation in force in the school's state.
    Each suggestion has its score, the components (fit, evidence, impact, grade band) and the
    reasons in plain English; a partner with a significant unfavourable measured effect is
    flagged and ranked last."""
    school = School.objects.select_related("district__state").filter(pk=school_id).first()
    if school is None:
        raise Http404("Not found.")
    matching = partner_suggestions(request.user, school, include_unvetted=query.include_unvetted)
    return matching_payload(matching)
