"""Consensus (site visits): where reviewers disagree, the lead's rating per indicator, practice
findings, the executive summary and finalising; and the amendments page with its history."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from turnaround.assessments.access import AssessmentAccess
from turnaround.assessments.forms import AmendForm, FindingForm, RatingForm, SummaryForm
from turnaround.assessments.models import Assessment, ReviewerRating
from turnaround.assessments.selectors import (
    consensus_by_indicator,
    evidence_by_indicator,
    finalise_blockers,
    findings_by_practice,
    framework_tree,
    indicator_disagreement,
    raters,
    scale_levels,
)
from turnaround.assessments.services import (
    assessment_amend,
    consensus_rating_save,
    executive_summary_save,
    practice_finding_save,
)
from turnaround.assessments.views_common import (
    attempt,
    form_messages,
    is_htmx,
    load,
    page,
    require_page,
)
from turnaround.assessments.views_ratings import anchor, card, one_card, rating_form


def _access(request: HttpRequest, assessment_id: int) -> AssessmentAccess:
    access = load(request, assessment_id)
    require_page(
        access.sees_working_papers and access.assessment.kind == Assessment.Kind.SITE_VISIT
    )
    return access


def _reviewer_notes(a: Assessment) -> dict[int, list[ReviewerRating]]:
    out: dict[int, list[ReviewerRating]] = defaultdict(list)
    for r in ReviewerRating.objects.filter(assessment=a).select_related("reviewer"):
        out[r.indicator_id].append(r)
    return out


def consensus_context(
    access: AssessmentAccess,
    *,
    posted: RatingForm | None = None,
    finding_form: FindingForm | None = None,
    summary_form: SummaryForm | None = None,
) -> dict[str, Any]:
    a = access.assessment
    rows = consensus_by_indicator(a)
    evidence = evidence_by_indicator(a)
    disagreement = {d.indicator_id: d for d in indicator_disagreement(a)}
    notes = _reviewer_notes(a)
    findings = findings_by_practice(a)
    labels = {lvl.code: lvl.label for lvl in scale_levels(a.framework_version)}
    posted_code = posted.data.get("indicator") if posted is not None else None
    practices = []
    for p in framework_tree(a.framework_version):
        cards = []
        for node in p.indicators:
            c = card(
                node,
                rows.get(node.indicator.pk),
                evidence.get(node.indicator.pk, []),
                form=posted if node.code == posted_code else None,
            )
            c["disagreement"] = disagreement.get(node.indicator.pk)
            c["notes"] = [
                {
                    "reviewer": r.reviewer.get_username(),
                    "level": r.level,
                    "label": labels.get(r.level, "Not rated"),
                    "rationale": r.rationale,
                }
                for r in notes.get(node.indicator.pk, [])
            ]
            cards.append(c)
        finding = findings.get(p.practice.pk)
        posted_finding = (
            finding_form
            if finding_form is not None and finding_form.data.get("practice") == p.practice.code
            else None
        )
        practices.append(
            {
                "practice": p.practice,
                "cards": cards,
                "finding": finding,
                "finding_values": {
                    "strengths": posted_finding.data.get("strengths", "")
                    if posted_finding
                    else (finding.strengths if finding else ""),
                    "challenges": posted_finding.data.get("challenges", "")
                    if posted_finding
                    else (finding.challenges if finding else ""),
                    "version": finding.version if finding else 0,
                    "errors": posted_finding.non_field_errors() if posted_finding else [],
                },
            }
        )
    can_edit = access.can_record_consensus
    return {
        "practices": practices,
        "table": list(disagreement.values()),
        "reviewers": raters(a),
        "levels": scale_levels(a.framework_version),
        "scale": a.framework_version.scale,
        "can_edit": can_edit,
        "is_self": False,
        "blockers": finalise_blockers(a) if access.can_finalise else [],
        "summary_form": summary_form
        or SummaryForm(initial={"executive_summary": a.executive_summary, "version": a.version}),
        "disagreements": sum(1 for d in disagreement.values() if d.disagree),
        "recorded": len(rows),
    }


@login_required
@require_http_methods(["GET", "POST"])
def consensus(request: HttpRequest, assessment_id: int) -> HttpResponse:
    access = _access(request, assessment_id)
    if request.method == "GET":
        return page(
            request, "assessments/consensus.html", access, "consensus", consensus_context(access)
        )
    a = access.assessment
    form = rating_form(access, request.POST)
    code = request.POST.get("indicator", "")
    status = 422
    if form.is_valid():
        d = form.cleaned_data
        _, status, _ = attempt(
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
                expected_version=d["version"],
            ),
        )
    saved = status == 200
    if is_htmx(request):
        fresh = load(request, assessment_id)
        response = one_card(
            request,
            fresh,
            code,
            template="assessments/consensus_card.html",
            rows=consensus_by_indicator(fresh.assessment),
            form=None if saved else form,
            saved=saved,
            extra={"can_edit": True},
            status=200,
        )
        if response is not None:
            return response
    if saved:
        return redirect(reverse("assessment_consensus", args=[assessment_id]) + f"#{anchor(code)}")
    return page(
        request,
        "assessments/consensus.html",
        access,
        "consensus",
        {**consensus_context(access, posted=form), "page_errors": form_messages(form)},
        status,
    )


@login_required
@require_POST
def finding_save(request: HttpRequest, assessment_id: int) -> HttpResponse:
    access = load(request, assessment_id)
    require_page(access.sees_working_papers)
    form = FindingForm(request.POST)
    status = 422
    if form.is_valid():
        d = form.cleaned_data
        _, status, _ = attempt(
            form,
            lambda: practice_finding_save(
                actor=request.user,
                assessment=access.assessment,
                practice=d["practice"],
                strengths=d["strengths"],
                challenges=d["challenges"],
                expected_version=d["version"],
            ),
        )
    target = _after_findings(access)
    if status == 200:
        messages.success(request, f"Saved the findings on {form.cleaned_data['practice']}.")
        return redirect(target + f"#findings-{form.cleaned_data['practice']}")
    return _findings_failed(request, access, form, status)


def _after_findings(access: AssessmentAccess) -> str:
    name = (
        "assessment_consensus"
        if access.assessment.kind == Assessment.Kind.SITE_VISIT
        else "assessment_ratings"
    )
    return reverse(name, args=[access.assessment.pk])


def _findings_failed(
    request: HttpRequest, access: AssessmentAccess, form: FindingForm, status: int
) -> HttpResponse:
    if access.assessment.kind == Assessment.Kind.SITE_VISIT:
        return page(
            request,
            "assessments/consensus.html",
            access,
            "consensus",
            consensus_context(access, finding_form=form),
            status,
        )
    from turnaround.assessments.views_common import refused

    errors = [e for errs in form.errors.values() for e in errs]
    return refused(request, access, errors, status)


@login_required
@require_POST
def summary_save(request: HttpRequest, assessment_id: int) -> HttpResponse:
    access = _access(request, assessment_id)
    form = SummaryForm(request.POST)
    status = 422
    if form.is_valid():
        _, status, _ = attempt(
            form,
            lambda: executive_summary_save(
                actor=request.user,
                assessment=access.assessment,
                text=form.cleaned_data["executive_summary"],
                expected_version=form.cleaned_data["version"],
            ),
        )
    if status == 200:
        messages.success(request, "Saved the executive summary.")
        return redirect(reverse("assessment_consensus", args=[assessment_id]) + "#summary")
    return page(
        request,
        "assessments/consensus.html",
        access,
        "consensus",
        consensus_context(access, summary_form=form),
        status,
    )


# ---------------------------------------------------------------------------------------------
# Amendments


@login_required
@require_http_methods(["GET", "POST"])
def amendments(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """The history of changes after finalising (who, when, why, before and after) — visible to
    everyone who sees the assessment — and, for the lead and state staff, the amend form."""
    access = load(request, assessment_id)
    a = access.assessment
    levels = scale_levels(a.framework_version)
    form = AmendForm(request.POST or None, level_codes=[lvl.code for lvl in levels])
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            d = form.cleaned_data
            _, status, _ = attempt(
                form,
                lambda: assessment_amend(
                    actor=request.user,
                    assessment=a,
                    reason=d["reason"],
                    changes=form.changes(),
                    indicator=d["indicator"] if d["target"] == "rating" else None,
                    practice=d["practice"] if d["target"] == "finding" else None,
                ),
            )
        if status == 200:
            messages.success(request, "Recorded the amendment.")
            return redirect("assessment_amendments", assessment_id=assessment_id)
    rows = consensus_by_indicator(a)
    tree = framework_tree(a.framework_version)
    context = {
        "history": a.amendments.select_related("made_by"),
        "form": form,
        "levels": levels,
        "labels": {lvl.code: lvl.label for lvl in levels},
        "indicators": [
            {"code": n.code, "text": n.indicator.text, "row": rows.get(n.indicator.pk)}
            for p in tree
            for n in p.indicators
        ],
        "practice_codes": [p.practice.code for p in tree],
        "can_amend": access.can_amend,
    }
    return page(request, "assessments/amendments.html", access, "amendments", context, status)
