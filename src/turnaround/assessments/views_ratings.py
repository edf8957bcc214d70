"""Rating pages. A site visit's reviewers each rate every indicator against its descriptors
(rationale and linked evidence); a self-assessment's team rates in the Indistar style (not a
priority with a reason, priority and opportunity scores) and sees how many indicators it is
working on. Each indicator is its own small form: htmx swaps just that card, and without
JavaScript the page posts and comes back to the card."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from turnaround.assessments.access import AssessmentAccess
from turnaround.assessments.forms import RatingForm
from turnaround.assessments.models import Assessment, TeamMember
from turnaround.assessments.selectors import (
    IndicatorNode,
    consensus_by_indicator,
    evidence_by_indicator,
    finalise_blockers,
    findings_by_practice,
    framework_tree,
    my_ratings,
    scale_levels,
    self_assessment_progress,
)
from turnaround.assessments.services import consensus_rating_save, reviewer_rating_save
from turnaround.assessments.views_common import (
    attempt,
    form_messages,
    is_htmx,
    load,
    page,
    require_page,
)


def anchor(code: str) -> str:
    return "ind-" + code.replace(".", "-")


def _int_or_none(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def card(
    node: IndicatorNode,
    row: Any,
    options: list[Any],
    *,
    form: RatingForm | None = None,
    saved: bool = False,
) -> dict[str, Any]:
    """What one indicator's form shows: the stored rating, or what was just posted."""
    values: dict[str, Any] = {
        "level": row.level if row else None,
        "rationale": row.rationale if row else "",
        "strengths": getattr(row, "strengths", "") if row else "",
        "challenges": getattr(row, "challenges", "") if row else "",
        "evidence": {e.pk for e in row.evidence.all()} if row else set(),
        "not_priority": getattr(row, "not_priority", False) if row else False,
        "not_priority_reason": getattr(row, "not_priority_reason", "") if row else "",
        "priority_score": getattr(row, "priority_score", None) if row else None,
        "opportunity_score": getattr(row, "opportunity_score", None) if row else None,
        "version": row.version if row else 0,
    }
    errors: dict[str, list[str]] = {}
    if form is not None and form.is_bound:
        data = form.data
        level = data.get("level", "")
        values.update(
            {
                "level": _int_or_none(level),
                "rationale": data.get("rationale", ""),
                "strengths": data.get("strengths", ""),
                "challenges": data.get("challenges", ""),
                "evidence": {int(v) for v in data.getlist("evidence") if v.isdigit()},
                "not_priority": bool(data.get("not_priority")),
                "not_priority_reason": data.get("not_priority_reason", ""),
                "priority_score": _int_or_none(data.get("priority_score", "")),
                "opportunity_score": _int_or_none(data.get("opportunity_score", "")),
            }
        )
        errors = {("form" if k == "__all__" else k): list(v) for k, v in form.errors.items()}
    return {
        "node": node,
        "code": node.code,
        "anchor": anchor(node.code),
        "row": row,
        "options": options,
        "errors": errors,
        "saved": saved,
        **values,
    }


def _is_rater(access: AssessmentAccess) -> bool:
    return access.seat in (TeamMember.Role.LEAD, TeamMember.Role.REVIEWER)


def _rows(access: AssessmentAccess, user: Any) -> dict[int, Any]:
    a = access.assessment
    if a.kind == Assessment.Kind.SELF:
        return consensus_by_indicator(a)
    return my_ratings(a, user) if _is_rater(access) else {}


def ratings_context(
    access: AssessmentAccess, user: Any, *, posted: RatingForm | None = None
) -> dict[str, Any]:
    a = access.assessment
    tree = framework_tree(a.framework_version)
    rows = _rows(access, user)
    evidence = evidence_by_indicator(a)
    posted_code = posted.data.get("indicator") if posted is not None else None
    findings = findings_by_practice(a) if a.kind == Assessment.Kind.SELF else {}
    practices = []
    for p in tree:
        cards = [
            card(
                node,
                rows.get(node.indicator.pk),
                evidence.get(node.indicator.pk, []),
                form=posted if node.code == posted_code else None,
            )
            for node in p.indicators
        ]
        practices.append(
            {"practice": p.practice, "cards": cards, "finding": findings.get(p.practice.pk)}
        )
    is_self = a.kind == Assessment.Kind.SELF
    return {
        "practices": practices,
        "levels": scale_levels(a.framework_version),
        "scale": a.framework_version.scale,
        "is_self": is_self,
        "can_edit": access.can_rate and (is_self or _is_rater(access)),
        "progress": self_assessment_progress(a) if is_self else None,
        "blockers": finalise_blockers(a) if is_self and access.can_finalise else [],
        "score_choices": [1, 2, 3],
    }


def _save(request: HttpRequest, access: AssessmentAccess, form: RatingForm):
    a = access.assessment
    d = form.cleaned_data
    if a.kind == Assessment.Kind.SELF:
        return attempt(
            form,
            lambda: consensus_rating_save(
                actor=request.user,
                assessment=a,
                indicator=d["indicator"],
                level=d["level"],
                rationale=d["rationale"],
                strengths=d["strengths"],
                challenges=d["challenges"],
                evidence_ids=d["evidence"],
                not_priority=d["not_priority"],
                not_priority_reason=d["not_priority_reason"],
                priority_score=d["priority_score"],
                opportunity_score=d["opportunity_score"],
                expected_version=d["version"],
            ),
        )
    return attempt(
        form,
        lambda: reviewer_rating_save(
            actor=request.user,
            assessment=a,
            indicator=d["indicator"],
            level=d["level"],
            rationale=d["rationale"],
            evidence_ids=d["evidence"],
            expected_version=d["version"],
        ),
    )


def rating_form(access: AssessmentAccess, data: Any) -> RatingForm:
    a = access.assessment
    return RatingForm(
        data,
        level_codes=[lvl.code for lvl in scale_levels(a.framework_version)],
        evidence_ids=list(a.evidence.values_list("pk", flat=True)),
    )


def one_card(
    request: HttpRequest,
    access: AssessmentAccess,
    code: str,
    *,
    template: str,
    rows: dict[int, Any],
    form: RatingForm | None,
    saved: bool,
    extra: dict[str, Any],
    status: int,
) -> HttpResponse | None:
    """Render just the card of ``code`` (for htmx), or None when the code is unknown."""
    a = access.assessment
    for p in framework_tree(a.framework_version):
        for node in p.indicators:
            if node.code == code:
                options = evidence_by_indicator(a).get(node.indicator.pk, [])
                c = card(node, rows.get(node.indicator.pk), options, form=form, saved=saved)
                return render(
                    request,
                    template,
                    {
                        "card": c,
                        "assessment": a,
                        "access": access,
                        "levels": scale_levels(a.framework_version),
                        "scale": a.framework_version.scale,
                        **extra,
                    },
                    status=status,
                )
    return None


@login_required
@require_http_methods(["GET", "POST"])
def ratings(request: HttpRequest, assessment_id: int) -> HttpResponse:
    access = load(request, assessment_id)
    require_page(access.sees_working_papers)
    a = access.assessment
    template = (
        "assessments/self_ratings.html"
        if a.kind == Assessment.Kind.SELF
        else "assessments/ratings.html"
    )
    card_template = (
        "assessments/self_rating_card.html"
        if a.kind == Assessment.Kind.SELF
        else "assessments/rating_card.html"
    )
    if request.method == "GET":
        return page(request, template, access, "ratings", ratings_context(access, request.user))
    form = rating_form(access, request.POST)
    code = request.POST.get("indicator", "")
    status = 422
    if form.is_valid():
        _, status, _ = _save(request, access, form)
    saved = status == 200
    if is_htmx(request):
        fresh = load(request, assessment_id)
        response = one_card(
            request,
            fresh,
            code,
            template=card_template,
            rows=_rows(fresh, request.user),
            form=None if saved else form,
            saved=saved,
            extra={"can_edit": True, "score_choices": [1, 2, 3]},
            status=200,
        )
        if response is not None:
            if not saved:
                response["HX-Reswap"] = "outerHTML"
            return response
    if saved:
        return redirect(reverse("assessment_ratings", args=[assessment_id]) + f"#{anchor(code)}")
    context = {
        **ratings_context(access, request.user, posted=form),
        "page_errors": form_messages(form),
    }
    return page(request, template, access, "ratings", context, status)
