"""The plan as a PDF, in the state template's order, laid out for print by WeasyPrint.

Cover (school, district, period, year of designation and of exit eligibility, status and
approval dates), then I. Needs and root causes, II. Measurable annual goals, III. Objectives,
strategies and actions, IV. Benchmarks by kind with the quarter each is due, V. Approval history.

The renderer is the one of the site-visit report (``assessments.pdf``): the same typeface, the
same lock (WeasyPrint does not promise thread safety) and the same URL fetcher that refuses every
URL, so text in a plan can never make the server read a file or call out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from turnaround.assessments.pdf import PDF_FONT, _refuse, _render_lock
from turnaround.performance.models import StudentGroup
from turnaround.plans.diff import school_year
from turnaround.plans.exports import plan_file_stem
from turnaround.plans.models import (
    Action,
    BenchmarkKind,
    Goal,
    NeedStatement,
    Objective,
    Plan,
    PlanStatus,
    PlanVersion,
    RootCause,
    Strategy,
)
from turnaround.plans.services.workflow import transition_label


@dataclass
class PlanDocument:
    """Everything the PDF shows, read once."""

    plan: Plan
    school_name: str
    district_name: str
    state_name: str
    period: str
    designation: str
    designation_year: str
    exit_year: str
    district_approved_at: Any
    state_approved_at: Any
    needs: list[NeedStatement]
    goals: list[Goal]
    years: list[tuple[int, str]]
    objectives: list[Objective]
    benchmarks_by_kind: list[tuple[str, list[Any]]]
    versions: list[PlanVersion]
    is_approved: bool
    generated_at: Any = field(default_factory=timezone.localtime)


def _last_at(versions: list[PlanVersion], transition: str) -> Any:
    done = [v.created_at for v in versions if v.transition == transition]
    return max(done) if done else None


def plan_document(plan: Plan, *, full_history: bool = True) -> PlanDocument:
    """The PDF's content. ``full_history=False`` keeps only the approved versions in the history
    (for readers who see approved plans only; see ``PlanAccess.sees_history``)."""
    plan = Plan.objects.select_related(
        "school__district__state", "district__state", "designation"
    ).get(pk=plan.pk)
    district = plan.school.district if plan.school_id else plan.district
    needs = list(NeedStatement.objects.filter(plan=plan).prefetch_related(_prefetch_causes()))
    goals = list(Goal.objects.filter(plan=plan).prefetch_related("targets"))
    objectives = list(
        Objective.objects.filter(plan=plan, is_active=True).prefetch_related(
            "indicators", _prefetch_strategies()
        )
    )
    benchmarks = list(plan.benchmarks.filter(is_active=True).select_related("objective"))
    version_qs = PlanVersion.objects.filter(plan=plan).select_related("created_by")
    if not full_history:
        version_qs = version_qs.filter(status=PlanStatus.STATE_APPROVED)
    versions = list(version_qs.order_by("number"))
    for v in versions:
        v.transition_label = transition_label(v.transition)  # type: ignore[attr-defined]
    groups = dict(StudentGroup.choices)
    for g in goals:
        g.group_label = groups.get(g.student_group, g.student_group)  # type: ignore[attr-defined]
    by_kind = [
        (str(kind.label), [b for b in benchmarks if b.kind == kind.value]) for kind in BenchmarkKind
    ]
    designation = plan.designation
    return PlanDocument(
        plan=plan,
        school_name=plan.school.name if plan.school_id else "",  # type: ignore[union-attr]
        district_name=district.name,  # type: ignore[union-attr]
        state_name=district.state.name,  # type: ignore[union-attr]
        period=f"{school_year(plan.first_year)} to {school_year(plan.last_year)}",
        designation=designation.get_status_display() if designation else "",
        designation_year=school_year(designation.entered_year) if designation else "",
        exit_year=school_year(plan.exit_eligible_year),
        district_approved_at=_last_at(versions, "district_approve"),
        state_approved_at=_last_at(versions, "state_approve"),
        needs=needs,
        goals=goals,
        years=[(y, school_year(y)) for y in plan.years],
        objectives=objectives,
        benchmarks_by_kind=by_kind,
        versions=versions,
        is_approved=plan.status == PlanStatus.STATE_APPROVED,
    )


def _prefetch_causes() -> Prefetch:
    return Prefetch(
        "root_causes",
        queryset=RootCause.objects.order_by("order", "pk").prefetch_related("indicators"),
    )


def _prefetch_strategies() -> Prefetch:
    return Prefetch(
        "strategies",
        queryset=Strategy.objects.order_by("order", "pk").prefetch_related(
            Prefetch("actions", queryset=Action.objects.order_by("order", "pk"))
        ),
    )


def plan_pdf_filename(plan: Plan) -> str:
    """``plan-00350001-2026-2029.pdf`` (``-draft`` until the state approves it)."""
    draft = "" if plan.status == PlanStatus.STATE_APPROVED else "-draft"
    return f"plan-{plan_file_stem(plan)}{draft}.pdf"


def render_plan_html(plan: Plan, *, full_history: bool = True) -> str:
    doc = plan_document(plan, full_history=full_history)
    return render_to_string("plans/pdf.html", {"doc": doc, "plan": doc.plan, "font": PDF_FONT})


def render_plan_pdf(plan: Plan, *, full_history: bool = True) -> bytes:
    """The plan as PDF bytes."""
    from weasyprint import HTML

    html = render_plan_html(plan, full_history=full_history)
    with _render_lock:
        document = HTML(string=html, base_url=None, url_fetcher=_refuse)
        return bytes(document.write_pdf())
