"""Vetting pages: cycles and their criteria, applications, reviews (conflict first, then scores),
the scores and agreement view, decisions, and the designations list.

Every page reads through ``partners.access`` (missing and not-yours are the same 404; seen but
not allowed is a 403 page) and writes through ``services.vetting``; a refusal re-renders the
page with the service's message and the matching status (422 bad input, 403 not allowed, 409
changed by someone else).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from turnaround.accounts.access import get_reach
from turnaround.core.concurrency import StaleEditError
from turnaround.core.exports import table_csv, table_xlsx
from turnaround.organizations.models import PartnerOrganization, State
from turnaround.partners.access import (
    ApplicationAccess,
    CycleAccess,
    get_application_for_user,
    get_cycle_for_user,
    partner_ids_of,
    staff_state_ids,
    visible_applications,
    visible_cycles,
)
from turnaround.partners.forms_vetting import (
    ApplicationForm,
    AssignReviewerForm,
    ConflictForm,
    CriterionForm,
    CycleForm,
    DecisionForm,
    RevokeForm,
    ScoresForm,
    StatusForm,
    VersionForm,
    comment_field_name,
    score_field_name,
)
from turnaround.partners.models import (
    Application,
    Criterion,
    Decision,
    EvidenceClaim,
    PriorityDesignation,
    ReviewAssignment,
    VettingCycle,
)
from turnaround.partners.needs import GradeBand, area_label
from turnaround.partners.services import vetting as svc

T = TypeVar("T")
SECTION = "vetting"


# ---------------------------------------------------------------------------------------------
# Shared


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(
        request,
        f"partners/vetting/{template}",
        {"partner_section": SECTION, **context},
        status=status,
    )


def _add_errors(form: forms.Form | None, exc: ValidationError) -> list[str]:
    """Put a service's ValidationError on the form; returns the messages that fit no field."""
    loose: list[str] = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            if form is not None and field in form.fields:
                form.add_error(field, errors)
            else:
                loose.extend(errors)
    else:
        loose.extend(exc.messages)
    return loose


def _attempt(form: forms.Form | None, call: Callable[[], T]) -> tuple[T | None, int, list[str]]:
    """Run a service call: ``(result, 200, [])`` or ``(None, status, messages)``."""
    try:
        return call(), 200, []
    except ValidationError as exc:
        return None, 422, _add_errors(form, exc)
    except StaleEditError as exc:
        return None, 409, [str(exc)]
    except PermissionDenied as exc:
        return None, 403, [str(exc) or "You cannot do that."]


def _refused(request: HttpRequest, message: str, *, back: str, back_label: str) -> HttpResponse:
    return _page(
        request,
        "refused.html",
        {"errors": [message], "back": back, "back_label": back_label},
        status=403,
    )


def _version(request: HttpRequest) -> int | None:
    form = VersionForm(request.POST)
    return form.cleaned_data.get("version") if form.is_valid() else None


def _application_access(request: HttpRequest, application_id: int) -> ApplicationAccess:
    return get_application_for_user(request.user, application_id)


def _areas(codes: list[str]) -> list[str]:
    return [area_label(c) for c in codes]


# ---------------------------------------------------------------------------------------------
# Cycles


@login_required
def cycles(request: HttpRequest) -> HttpResponse:
    user = request.user
    rows = []
    for cycle in visible_cycles(user).select_related("state").order_by("-opens_on", "name"):
        access = get_cycle_for_user(user, cycle.pk)
        rows.append(
            {"cycle": cycle, "access": access, "areas": _areas(cycle.need_areas)},
        )
    reach = get_reach(user)
    partners = partner_ids_of(user)
    own = (
        visible_applications(user)
        .filter(partner_id__in=partners)
        .select_related("cycle", "partner")
        .order_by("-created_at")
        if partners
        else Application.objects.none()
    )
    reviews = (
        ReviewAssignment.objects.filter(reviewer=user, application__in=visible_applications(user))
        .select_related("application__partner", "application__cycle")
        .order_by("-application__cycle__opens_on", "application__partner__name")
    )
    return _page(
        request,
        "cycles.html",
        {
            "rows": rows,
            "can_create": bool(reach.admin_state_ids),
            "applications": own,
            "reviews": reviews,
            "sees_designations": bool(staff_state_ids(user)),
        },
    )


def _admin_states(request: HttpRequest) -> list[State]:
    return list(State.objects.filter(pk__in=get_reach(request.user).admin_state_ids))


@login_required
def cycle_new(request: HttpRequest) -> HttpResponse:
    states = _admin_states(request)
    if not states:
        raise Http404("No such page.")
    form = CycleForm(request.POST or None, states=states)
    status = 200
    errors: list[str] = []
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            state = data.get("state") or states[0]
            created, status, errors = _attempt(
                form,
                lambda: svc.cycle_create(
                    actor=request.user,
                    state=state,
                    name=data["name"],
                    description=data["description"],
                    need_areas=data["need_areas"],
                    opens_on=data["opens_on"],
                    closes_on=data["closes_on"],
                    scale_min=data["scale_min"],
                    scale_max=data["scale_max"],
                    approval_threshold=data["approval_threshold"],
                    designation_starts_on=data["designation_starts_on"],
                    designation_years=data["designation_years"],
                ),
            )
            if created is not None:
                messages.success(
                    request, f"Created “{created.name}”. Add its weighted criteria, then open it."
                )
                return redirect("partners:cycle_criteria", created.pk)
        else:
            status = 422
    return _page(
        request,
        "cycle_form.html",
        {"form": form, "errors": errors, "cycle": None, "states": states},
        status=status,
    )


def _cycle_page(
    request: HttpRequest, access: CycleAccess, *, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    cycle = VettingCycle.objects.select_related("state").get(pk=access.cycle.pk)
    user = request.user
    applications = (
        visible_applications(user)
        .filter(cycle=cycle)
        .select_related("partner")
        .order_by("partner__name")
    )
    rows = []
    for application in applications:
        reviews = list(application.reviews.all())
        row: dict[str, Any] = {
            "application": application,
            "areas": _areas(application.need_areas),
            "reviewers": len(reviews),
            "submitted": sum(1 for r in reviews if r.submitted_at is not None),
            "conflicts": sum(1 for r in reviews if r.conflict == "declared"),
        }
        if access.is_state_staff:
            row["summary"] = svc.score_summary(application)
        rows.append(row)
    own = [r["application"] for r in rows if r["application"].partner_id in partner_ids_of(user)]
    moves = [
        {"status": s, "label": VettingCycle.Status(s).label} for s in svc.CYCLE_MOVES[cycle.status]
    ]
    return _page(
        request,
        "cycle_detail.html",
        {
            "cycle": cycle,
            "access": access,
            "areas": _areas(cycle.need_areas),
            "criteria": list(cycle.criteria.all()),
            "rows": rows,
            "own": own,
            "moves": moves if access.can_manage else [],
            "errors": errors or [],
        },
        status=status,
    )


@login_required
def cycle_detail(request: HttpRequest, cycle_id: int) -> HttpResponse:
    return _cycle_page(request, get_cycle_for_user(request.user, cycle_id))


@login_required
def cycle_edit(request: HttpRequest, cycle_id: int) -> HttpResponse:
    access = get_cycle_for_user(request.user, cycle_id)
    cycle = access.cycle
    if not access.can_manage:
        return _refused(
            request,
            f"Only a state administrator of {cycle.state.name} changes this cycle.",
            back=reverse("partners:cycle_detail", args=[cycle.pk]),
            back_label="Back to the cycle",
        )
    form = CycleForm(request.POST or None, initial=CycleForm.initial_for(cycle))
    status = 200
    errors: list[str] = []
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            updated, status, errors = _attempt(
                form,
                lambda: svc.cycle_update(
                    actor=request.user,
                    cycle=cycle,
                    expected_version=data.get("version"),
                    name=data["name"],
                    description=data["description"],
                    need_areas=data["need_areas"],
                    opens_on=data["opens_on"],
                    closes_on=data["closes_on"],
                    scale_min=data["scale_min"],
                    scale_max=data["scale_max"],
                    approval_threshold=data["approval_threshold"],
                    designation_starts_on=data["designation_starts_on"],
                    designation_years=data["designation_years"],
                ),
            )
            if updated is not None:
                messages.success(request, f"Saved “{updated.name}”.")
                return redirect("partners:cycle_detail", cycle.pk)
        else:
            status = 422
    return _page(
        request,
        "cycle_form.html",
        {"form": form, "errors": errors, "cycle": cycle},
        status=status,
    )


@login_required
@require_POST
def cycle_status(request: HttpRequest, cycle_id: int) -> HttpResponse:
    access = get_cycle_for_user(request.user, cycle_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        allowed = ", ".join(VettingCycle.Status.values)
        return _cycle_page(request, access, errors=[f"Choose a status: {allowed}."], status=422)
    moved, status, errors = _attempt(
        None,
        lambda: svc.cycle_set_status(
            actor=request.user,
            cycle=access.cycle,
            status=form.cleaned_data["status"],
            expected_version=form.cleaned_data.get("version"),
        ),
    )
    if moved is None:
        return _cycle_page(request, access, errors=errors, status=status)
    messages.success(request, f"“{moved.name}” is now {moved.get_status_display().lower()}.")
    return redirect("partners:cycle_detail", moved.pk)


# ---------------------------------------------------------------------------------------------
# Criteria


def _criteria_page(
    request: HttpRequest,
    access: CycleAccess,
    *,
    add_form: CriterionForm | None = None,
    editing: tuple[int, CriterionForm] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    cycle = access.cycle
    criteria = list(cycle.criteria.all())
    editable = cycle.status in (VettingCycle.Status.DRAFT, VettingCycle.Status.OPEN)
    rows = []
    for c in criteria:
        if editing is not None and editing[0] == c.pk:
            form = editing[1]
        else:
            form = CriterionForm(initial=CriterionForm.initial_for(c), prefix=f"c{c.pk}")
        rows.append({"criterion": c, "form": form})
    total = sum((c.weight for c in criteria), start=0)
    return _page(
        request,
        "criteria.html",
        {
            "cycle": cycle,
            "access": access,
            "rows": rows,
            "total_weight": total,
            "editable": editable and access.can_manage,
            "add_form": add_form or CriterionForm(prefix="new"),
            "errors": errors or [],
        },
        status=status,
    )


@login_required
def cycle_criteria(request: HttpRequest, cycle_id: int) -> HttpResponse:
    access = get_cycle_for_user(request.user, cycle_id)
    if not access.can_manage:
        return _refused(
            request,
            f"Only a state administrator of {access.cycle.state.name} changes the criteria.",
            back=reverse("partners:cycle_detail", args=[access.cycle.pk]),
            back_label="Back to the cycle",
        )
    if request.method != "POST":
        return _criteria_page(request, access)
    form = CriterionForm(request.POST, prefix="new")
    if not form.is_valid():
        return _criteria_page(request, access, add_form=form, status=422)
    data = form.cleaned_data
    created, status, errors = _attempt(
        form,
        lambda: svc.criterion_add(
            actor=request.user,
            cycle=access.cycle,
            name=data["name"],
            weight=data["weight"],
            description=data["description"],
        ),
    )
    if created is None:
        return _criteria_page(request, access, add_form=form, errors=errors, status=status)
    messages.success(request, f"Added “{created.name}” (weight {created.weight}).")
    return redirect("partners:cycle_criteria", access.cycle.pk)


def _criterion_access(request: HttpRequest, criterion_id: int) -> tuple[Criterion, CycleAccess]:
    criterion = Criterion.objects.filter(pk=criterion_id).first()
    if criterion is None:
        raise Http404("No such criterion.")
    return criterion, get_cycle_for_user(request.user, criterion.cycle_id)


@login_required
@require_POST
def criterion_edit(request: HttpRequest, criterion_id: int) -> HttpResponse:
    criterion, access = _criterion_access(request, criterion_id)
    form = CriterionForm(request.POST, prefix=f"c{criterion.pk}")
    if not form.is_valid():
        return _criteria_page(request, access, editing=(criterion.pk, form), status=422)
    data = form.cleaned_data
    updated, status, errors = _attempt(
        form,
        lambda: svc.criterion_update(
            actor=request.user,
            criterion=criterion,
            name=data["name"],
            weight=data["weight"],
            description=data["description"],
        ),
    )
    if updated is None:
        return _criteria_page(
            request, access, editing=(criterion.pk, form), errors=errors, status=status
        )
    messages.success(request, f"Saved “{updated.name}”.")
    return redirect("partners:cycle_criteria", access.cycle.pk)


@login_required
@require_POST
def criterion_delete(request: HttpRequest, criterion_id: int) -> HttpResponse:
    criterion, access = _criterion_access(request, criterion_id)
    name = criterion.name
    _, status, errors = _attempt(
        None, lambda: svc.criterion_delete(actor=request.user, criterion=criterion)
    )
    if status != 200:
        return _criteria_page(request, access, errors=errors, status=status)
    messages.success(request, f"Deleted “{name}”.")
    return redirect("partners:cycle_criteria", access.cycle.pk)


# ---------------------------------------------------------------------------------------------
# Applications


def _evidence_for(partners: list[PartnerOrganization]) -> Any:
    return (
        EvidenceClaim.objects.filter(partner__in=partners)
        .select_related("partner")
        .order_by("partner__name", "need_area", "tier")
    )


@login_required
def application_new(request: HttpRequest, cycle_id: int) -> HttpResponse:
    access = get_cycle_for_user(request.user, cycle_id)
    cycle = access.cycle
    mine = partner_ids_of(request.user)
    if not access.can_apply:
        existing = Application.objects.filter(cycle=cycle, partner_id__in=mine).first()
        if existing is not None:
            return redirect("partners:application_detail", existing.pk)
        raise Http404("No such page.")
    partners = list(
        PartnerOrganization.objects.filter(pk__in=mine)
        .exclude(applications__cycle=cycle)
        .order_by("name")
    )
    form = ApplicationForm(
        request.POST or None, cycle=cycle, partners=partners, evidence=_evidence_for(partners)
    )
    status = 200
    errors: list[str] = []
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            partner = data.get("partner") or partners[0]
            created, status, errors = _attempt(
                form,
                lambda: svc.application_create(
                    actor=request.user,
                    cycle=cycle,
                    partner=partner,
                    need_areas=data["need_areas"],
                    grade_bands=data["grade_bands"],
                    track_record=data["track_record"],
                    measured_results=data["measured_results"],
                    approach=data["approach"],
                    capacity=data["capacity"],
                    references=data["references"],
                    evidence=list(data["evidence"]),
                ),
            )
            if created is not None:
                messages.success(
                    request,
                    "Saved your draft application. Submit it when every part is filled in.",
                )
                return redirect("partners:application_detail", created.pk)
        else:
            status = 422
    return _page(
        request,
        "application_form.html",
        {
            "form": form,
            "errors": errors,
            "cycle": cycle,
            "partners": partners,
            "areas": _areas(cycle.need_areas),
        },
        status=status,
    )


def _application_page(
    request: HttpRequest,
    access: ApplicationAccess,
    *,
    form: ApplicationForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    application = Application.objects.select_related("cycle__state", "partner").get(
        pk=access.application.pk
    )
    access = ApplicationAccess(
        application=application,
        is_applicant=access.is_applicant,
        can_manage=access.can_manage,
        is_state_staff=access.is_state_staff,
        review=access.review,
    )
    if form is None and access.can_edit:
        form = ApplicationForm(
            initial=ApplicationForm.initial_for(application),
            cycle=application.cycle,
            evidence=_evidence_for([application.partner]),
        )
    decision = Decision.objects.filter(application=application).first()
    designations = list(decision.designations.all()) if decision is not None else []
    reviews = (
        list(application.reviews.select_related("reviewer").order_by("reviewer__username"))
        if access.is_state_staff
        else []
    )
    missing = list(svc.missing_for_submission(application).values()) if access.can_edit else []
    return _page(
        request,
        "application_detail.html",
        {
            "application": application,
            "cycle": application.cycle,
            "access": access,
            "form": form,
            "areas": _areas(application.need_areas),
            "grade_bands": [
                str(dict(GradeBand.choices).get(g, g)) for g in application.grade_bands
            ],
            "evidence": list(application.evidence.all()),
            "decision": decision,
            "decision_areas": _areas(decision.need_areas) if decision else [],
            "designations": designations,
            "reviews": reviews,
            "missing": missing,
            "weighted": svc.weighted_score(application) if access.sees_all_scores else None,
            "can_decide": access.can_manage
            and application.cycle.status == VettingCycle.Status.REVIEW
            and application.status == Application.Status.SUBMITTED,
            "errors": errors or [],
        },
        status=status,
    )


@login_required
def application_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    access = _application_access(request, application_id)
    if request.method != "POST":
        return _application_page(request, access)
    if not access.can_edit:
        return _refused(
            request,
            "Only the applicant's staff change a draft application, while the cycle is open.",
            back=reverse("partners:application_detail", args=[application_id]),
            back_label="Back to the application",
        )
    application = access.application
    form = ApplicationForm(
        request.POST,
        cycle=application.cycle,
        evidence=_evidence_for([application.partner]),
    )
    if not form.is_valid():
        return _application_page(request, access, form=form, status=422)
    data = form.cleaned_data
    updated, status, errors = _attempt(
        form,
        lambda: svc.application_update(
            actor=request.user,
            application=application,
            expected_version=data.get("version"),
            need_areas=data["need_areas"],
            grade_bands=data["grade_bands"],
            track_record=data["track_record"],
            measured_results=data["measured_results"],
            approach=data["approach"],
            capacity=data["capacity"],
            references=data["references"],
            evidence=list(data["evidence"]),
        ),
    )
    if updated is None:
        return _application_page(request, access, form=form, errors=errors, status=status)
    messages.success(request, "Saved your draft.")
    return redirect("partners:application_detail", application.pk)


@login_required
@require_POST
def application_submit(request: HttpRequest, application_id: int) -> HttpResponse:
    access = _application_access(request, application_id)
    done, status, errors = _attempt(
        None,
        lambda: svc.application_submit(
            actor=request.user,
            application=access.application,
            expected_version=_version(request),
        ),
    )
    if done is None:
        return _application_page(request, access, errors=errors, status=status)
    messages.success(
        request, "Submitted. The state will assign reviewers; you will see the decision here."
    )
    return redirect("partners:application_detail", application_id)


@login_required
@require_POST
def application_withdraw(request: HttpRequest, application_id: int) -> HttpResponse:
    access = _application_access(request, application_id)
    done, status, errors = _attempt(
        None,
        lambda: svc.application_withdraw(
            actor=request.user,
            application=access.application,
            expected_version=_version(request),
        ),
    )
    if done is None:
        return _application_page(request, access, errors=errors, status=status)
    messages.success(request, "Withdrawn.")
    return redirect("partners:application_detail", application_id)


# ---------------------------------------------------------------------------------------------
# Reviewers (state administrators)


def _reviewers_page(
    request: HttpRequest,
    access: ApplicationAccess,
    *,
    form: AssignReviewerForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    application = access.application
    reviews = list(application.reviews.select_related("reviewer").order_by("reviewer__username"))
    return _page(
        request,
        "reviewers.html",
        {
            "application": application,
            "cycle": application.cycle,
            "reviews": reviews,
            "form": form or AssignReviewerForm(reviewers=svc.eligible_reviewers(application)),
            "can_assign": application.status == Application.Status.SUBMITTED
            and application.cycle.status in (VettingCycle.Status.OPEN, VettingCycle.Status.REVIEW),
            "errors": errors or [],
        },
        status=status,
    )


@login_required
def application_reviewers(request: HttpRequest, application_id: int) -> HttpResponse:
    access = _application_access(request, application_id)
    if not access.can_manage:
        return _refused(
            request,
            "Only a state administrator of the cycle's state assigns reviewers.",
            back=reverse("partners:application_detail", args=[application_id]),
            back_label="Back to the application",
        )
    if request.method != "POST":
        return _reviewers_page(request, access)
    form = AssignReviewerForm(request.POST, reviewers=svc.eligible_reviewers(access.application))
    if not form.is_valid():
        return _reviewers_page(request, access, form=form, status=422)
    reviewer = form.cleaned_data["reviewer"]
    created, status, errors = _attempt(
        form,
        lambda: svc.review_assign(
            actor=request.user, application=access.application, reviewer=reviewer
        ),
    )
    if created is None:
        return _reviewers_page(request, access, form=form, errors=errors, status=status)
    messages.success(request, f"Assigned {reviewer.get_username()}.")
    return redirect("partners:application_reviewers", application_id)


@login_required
@require_POST
def review_unassign(request: HttpRequest, review_id: int) -> HttpResponse:
    review = ReviewAssignment.objects.filter(pk=review_id).select_related("reviewer").first()
    if review is None:
        raise Http404("No such review.")
    access = _application_access(request, review.application_id)
    if not access.is_state_staff:
        raise Http404("No such review.")
    if not access.can_manage:
        return _refused(
            request,
            "Only a state administrator of the cycle's state removes reviewers.",
            back=reverse("partners:application_detail", args=[review.application_id]),
            back_label="Back to the application",
        )
    name = review.reviewer.get_username()
    _, status, errors = _attempt(
        None, lambda: svc.review_unassign(actor=request.user, review=review)
    )
    if status != 200:
        return _reviewers_page(request, access, errors=errors, status=status)
    messages.success(request, f"Removed {name} from this application's reviewers.")
    return redirect("partners:application_reviewers", review.application_id)


# ---------------------------------------------------------------------------------------------
# The reviewer's page


def _review_page(
    request: HttpRequest,
    access: ApplicationAccess,
    *,
    conflict_form: ConflictForm | None = None,
    scores_form: ScoresForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    review = ReviewAssignment.objects.select_related(
        "application__cycle__state", "application__partner"
    ).get(pk=access.review.pk)  # type: ignore[union-attr]
    application = review.application
    access = ApplicationAccess(
        application=application,
        is_applicant=access.is_applicant,
        can_manage=access.can_manage,
        is_state_staff=access.is_state_staff,
        review=review,
    )
    cycle = application.cycle
    criteria = list(cycle.criteria.all())
    can_declare = application.status == Application.Status.SUBMITTED and not (
        review.conflict == ReviewAssignment.Conflict.DECLARED and review.scores.exists()
    )
    if conflict_form is None:
        conflict_form = ConflictForm(
            initial={
                "conflict": review.conflict or None,
                "conflict_note": review.conflict_note,
                "version": review.version,
            }
        )
    if scores_form is None and access.can_score:
        scores_form = ScoresForm(
            initial=ScoresForm.initial_for(review),
            criteria=criteria,
            scale=(cycle.scale_min, cycle.scale_max),
        )
    scored = {s.criterion_id: s for s in review.scores.all()}
    own = [{"criterion": c, "score": scored.get(c.pk)} for c in criteria]
    return _page(
        request,
        "review_detail.html",
        {
            "review": review,
            "application": application,
            "cycle": cycle,
            "access": access,
            "conflict_form": conflict_form,
            "scores_form": scores_form,
            "can_declare": can_declare,
            "own": own,
            "all_scored": bool(criteria) and all(c.pk in scored for c in criteria),
            "areas": _areas(application.need_areas),
            "evidence": list(application.evidence.all()),
            "errors": errors or [],
        },
        status=status,
    )


@login_required
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    return _review_page(request, svc.review_for_reviewer(request.user, review_id))


@login_required
@require_POST
def review_conflict(request: HttpRequest, review_id: int) -> HttpResponse:
    access = svc.review_for_reviewer(request.user, review_id)
    form = ConflictForm(request.POST)
    if not form.is_valid():
        return _review_page(request, access, conflict_form=form, status=422)
    data = form.cleaned_data
    done, status, errors = _attempt(
        form,
        lambda: svc.review_declare_conflict(
            actor=request.user,
            review=access.review,  # type: ignore[arg-type]
            conflict=data["conflict"],
            note=data["conflict_note"],
            expected_version=data.get("version"),
        ),
    )
    if done is None:
        return _review_page(request, access, conflict_form=form, errors=errors, status=status)
    if done.conflict == ReviewAssignment.Conflict.DECLARED:
        messages.success(
            request,
            "Declared. You will not score this application; the state administrator may assign "
            "another reviewer.",
        )
    else:
        messages.success(request, "Declared: no conflict of interest. You can score now.")
    return redirect("partners:review_detail", review_id)


@login_required
@require_POST
def review_scores(request: HttpRequest, review_id: int) -> HttpResponse:
    access = svc.review_for_reviewer(request.user, review_id)
    review = access.review
    assert review is not None
    cycle = access.application.cycle
    criteria = list(cycle.criteria.all())
    form = ScoresForm(request.POST, criteria=criteria, scale=(cycle.scale_min, cycle.scale_max))
    if not form.is_valid():
        # a missing or non-numeric score: nothing is sent to the service, nothing saved
        return _review_page(request, access, scores_form=form, status=422)
    data = form.cleaned_data
    entries = [
        svc.ScoreInput(
            criterion_id=c.pk,
            score=data[score_field_name(c.pk)],
            comment=data[comment_field_name(c.pk)],
        )
        for c in criteria
    ]
    done, status, errors = _attempt(
        form,
        lambda: svc.review_score(
            actor=request.user,
            review=review,
            scores=entries,
            comment=data["comment"],
            expected_version=data.get("version"),
        ),
    )
    if done is None:
        return _review_page(request, access, scores_form=form, errors=errors, status=status)
    messages.success(request, "Saved your scores. Submit the review when you are done.")
    return redirect("partners:review_detail", review_id)


@login_required
@require_POST
def review_submit(request: HttpRequest, review_id: int) -> HttpResponse:
    access = svc.review_for_reviewer(request.user, review_id)
    done, status, errors = _attempt(
        None,
        lambda: svc.review_submit(
            actor=request.user,
            review=access.review,  # type: ignore[arg-type]
            expected_version=_version(request),
        ),
    )
    if done is None:
        return _review_page(request, access, errors=errors, status=status)
    messages.success(
        request, "Submitted. Your scores are locked; you can now see the other reviewers' scores."
    )
    return redirect("partners:review_detail", review_id)


@login_required
def reviews(request: HttpRequest) -> HttpResponse:
    mine = (
        ReviewAssignment.objects.filter(
            reviewer=request.user, application__in=visible_applications(request.user)
        )
        .select_related("application__partner", "application__cycle")
        .order_by("-application__cycle__opens_on", "application__partner__name")
    )
    return _page(request, "reviews.html", {"reviews": mine})


# ---------------------------------------------------------------------------------------------
# Scores and agreement


@login_required
def application_scores(request: HttpRequest, application_id: int) -> HttpResponse:
    access = _application_access(request, application_id)
    if not access.sees_all_scores:
        raise Http404("No such page.")
    summary = svc.score_summary(access.application)
    if request.GET.get("format") in ("csv", "xlsx"):
        header = ["Criterion", "Weight", *[c.label for c in summary.reviewers], "Mean", "Range"]
        rows = [
            [
                r.criterion.name,
                r.criterion.weight,
                *r.scores,
                r.mean,
                r.spread,
            ]
            for r in summary.rows
        ]
        rows.append(
            [
                "Weighted total",
                "",
                *[c.weighted for c in summary.reviewers],
                summary.weighted_score,
                "",
            ]
        )
        name = f"scores-application-{application_id}"
        if request.GET["format"] == "csv":
            return table_csv(header, rows, f"{name}.csv")
        return table_xlsx(header, rows, f"{name}.xlsx", sheet="Scores")
    return _page(
        request,
        "scores.html",
        {
            "application": access.application,
            "cycle": access.application.cycle,
            "access": access,
            "summary": summary,
            "comments": [
                (
                    row.criterion.name,
                    [
                        (col.label, note)
                        for col, note in zip(summary.reviewers, row.comments, strict=True)
                        if note
                    ],
                )
                for row in summary.rows
                if any(row.comments)
            ],
        },
    )


# ---------------------------------------------------------------------------------------------
# Decisions


@login_required
def application_decision(request: HttpRequest, application_id: int) -> HttpResponse:
    access = _application_access(request, application_id)
    application = access.application
    if not access.can_manage:
        return _refused(
            request,
            f"Only a state administrator of {application.cycle.state.name} records decisions.",
            back=reverse("partners:application_detail", args=[application_id]),
            back_label="Back to the application",
        )
    form = DecisionForm(request.POST or None, areas=application.need_areas)
    status = 200
    errors: list[str] = []
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            decision, status, errors = _attempt(
                form,
                lambda: svc.decision_record(
                    actor=request.user,
                    application=application,
                    outcome=data["outcome"],
                    need_areas=data["need_areas"],
                    rationale=data["rationale"],
                ),
            )
            if decision is not None:
                made = decision.designations.count()
                messages.success(
                    request,
                    f"Recorded: {decision.get_outcome_display().lower()}"
                    + (f"; {made} Priority Partner designation(s) created." if made else "."),
                )
                return redirect("partners:application_detail", application_id)
        else:
            status = 422
    return _page(
        request,
        "decision.html",
        {
            "application": application,
            "cycle": application.cycle,
            "form": form,
            "summary": svc.score_summary(application),
            "areas": _areas(application.need_areas),
            "errors": errors,
            "starts_on": application.cycle.designation_starts_on,
            "expires_on": svc.designation_expiry(
                application.cycle.designation_starts_on, application.cycle.designation_years
            ),
        },
        status=status,
    )


# ---------------------------------------------------------------------------------------------
# Designations


def _designations(request: HttpRequest) -> Any:
    states = staff_state_ids(request.user)
    if not states:
        raise Http404("No such page.")
    return (
        PriorityDesignation.objects.filter(state_id__in=states)
        .select_related("partner", "state", "renews", "decision__application__cycle")
        .order_by("state__code", "partner__name", "need_area", "-starts_on")
    )


def _designations_page(
    request: HttpRequest,
    *,
    revoking: tuple[int, RevokeForm] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    qs = _designations(request)
    wanted = request.GET.get("status", "")
    filter_error = ""
    if wanted and wanted not in svc.DesignationStatus.VALUES:
        filter_error = (
            f"“{wanted}” is not a status; choose one of {', '.join(svc.DesignationStatus.VALUES)}."
        )
        wanted = ""
    reach = get_reach(request.user)
    rows = []
    for d in qs:
        state = svc.designation_status(d)
        if wanted and state != wanted:
            continue
        renewed_by = PriorityDesignation.objects.filter(renews=d).first()
        form = (
            revoking[1]
            if revoking is not None and revoking[0] == d.pk
            else RevokeForm(prefix=f"d{d.pk}")
        )
        rows.append(
            {
                "designation": d,
                "status": state,
                "status_label": svc.DesignationStatus.LABELS[state],
                "renewed_by": renewed_by,
                "can_revoke": reach.administers(d.state_id) and d.revoked_at is None,
                "form": form,
            }
        )
    if request.GET.get("format") in ("csv", "xlsx"):
        header = [
            "Partner",
            "State",
            "Need area",
            "Starts on",
            "Expires on",
            "Status",
            "Evidence tier",
            "Renews (id)",
            "Renewed by (id)",
            "Revoked reason",
        ]
        table = [
            [
                r["designation"].partner.name,
                r["designation"].state.code,
                r["designation"].get_need_area_display(),
                r["designation"].starts_on.isoformat(),
                r["designation"].expires_on.isoformat(),
                r["status_label"],
                r["designation"].evidence_tier,
                r["designation"].renews_id,
                r["renewed_by"].pk if r["renewed_by"] else None,
                r["designation"].revoked_reason,
            ]
            for r in rows
        ]
        if request.GET["format"] == "csv":
            return table_csv(header, table, "priority-partner-designations.csv")
        return table_xlsx(header, table, "priority-partner-designations.xlsx", sheet="Designations")
    return _page(
        request,
        "designations.html",
        {
            "rows": rows,
            "statuses": list(svc.DesignationStatus.LABELS.items()),
            "status": wanted,
            "filter_error": filter_error,
            "errors": errors or [],
        },
        status=400 if filter_error else status,
    )


@login_required
def designations(request: HttpRequest) -> HttpResponse:
    return _designations_page(request)


@login_required
@require_POST
def designation_revoke(request: HttpRequest, designation_id: int) -> HttpResponse:
    designation = _designations(request).filter(pk=designation_id).first()
    if designation is None:
        raise Http404("No such designation.")
    form = RevokeForm(request.POST, prefix=f"d{designation.pk}")
    form.is_valid()
    done, status, errors = _attempt(
        form,
        lambda: svc.designation_revoke(
            actor=request.user,
            designation=designation,
            reason=form.cleaned_data.get("reason", ""),
        ),
    )
    if done is None:
        return _designations_page(
            request, revoking=(designation.pk, form), errors=errors, status=status
        )
    messages.success(
        request,
        f"Revoked {designation.partner.name}'s designation in "
        f"{designation.get_need_area_display()}.",
    )
    return redirect("partners:designations")
