"""Vetting over the API: cycles, criteria, applications, reviews, scores with agreement,
decisions and Priority Partner designations — thin wrappers around ``partners.access`` and
``services.vetting``.

- Reads start from ``partners.access``: a cycle, application or review you cannot see is a 404,
  whether it exists or not. Scores are a 404 for those who do not see them (applicants never;
  a reviewer only after submitting their own review).
- Writes answer 422 for bad input (``loc`` names the field; a score outside the scale is
  ``["body", "scores", <criterion id>]``), 403 when you see the object but may not do this
  (with the reason, e.g. a declared conflict of interest), and 409 for a stale edit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from ninja.errors import HttpError, ValidationError

from turnaround.accounts.access import get_reach
from turnaround.accounts.models import User
from turnaround.core.concurrency import StaleEditError
from turnaround.organizations.models import PartnerOrganization, State
from turnaround.organizations.schemas import Message, ValidationErrors
from turnaround.partners.access import (
    ApplicationAccess,
    get_application_for_user,
    get_cycle_for_user,
    partner_ids_of,
    staff_state_ids,
    visible_applications,
    visible_cycles,
)
from turnaround.partners.models import (
    Application,
    Criterion,
    Decision,
    PriorityDesignation,
    ReviewAssignment,
    VettingCycle,
)
from turnaround.partners.schemas_vetting import (
    ApplicationIn,
    ApplicationOut,
    ApplicationPage,
    ApplicationPatch,
    ApplicationQuery,
    AssignIn,
    ConflictIn,
    CriterionIn,
    CriterionOut,
    CriterionPatch,
    CycleDetailOut,
    CycleIn,
    CycleOut,
    CyclePatch,
    DecisionIn,
    DesignationOut,
    DesignationQuery,
    OwnReviewOut,
    ReviewOut,
    RevokeIn,
    ScoresIn,
    ScoreSummaryOut,
    StatusIn,
    VersionIn,
)
from turnaround.partners.services import vetting as svc

router = Router(tags=["partners"])

_READ: dict[int, Any] = {401: Message, 404: Message, 422: ValidationErrors}
_WRITE: dict[int, Any] = {**_READ, 403: Message, 409: Message}

T = TypeVar("T")


def _loc(field: str) -> list[str | int]:
    if field == "__all__":
        return ["body"]
    if field.startswith("score_") and field[6:].isdigit():
        return ["body", "scores", int(field[6:])]
    return ["body", field]


def _call(fn: Callable[[], T]) -> T:
    """Run a service call, turning its refusals into the API's error shape."""
    try:
        return fn()
    except DjangoValidationError as exc:
        items: list[dict[str, Any]] = []
        if hasattr(exc, "error_dict"):
            for field, messages in exc.message_dict.items():
                items += [{"loc": _loc(field), "msg": m, "type": "value_error"} for m in messages]
        else:
            items = [{"loc": ["body"], "msg": m, "type": "value_error"} for m in exc.messages]
        raise ValidationError(items) from exc
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "You cannot do that.") from exc
    except StaleEditError as exc:
        raise HttpError(409, str(exc)) from exc


def _bad(field: str, message: str, where: str = "body") -> ValidationError:
    return ValidationError([{"loc": [where, field], "msg": message, "type": "value_error"}])


# ---------------------------------------------------------------------------------------------
# Shaping


def _cycle(c: VettingCycle) -> dict[str, Any]:
    return {
        "id": c.pk,
        "state": c.state.code,
        "name": c.name,
        "description": c.description,
        "need_areas": list(c.need_areas),
        "status": c.status,
        "opens_on": c.opens_on,
        "closes_on": c.closes_on,
        "scale_min": c.scale_min,
        "scale_max": c.scale_max,
        "approval_threshold": c.approval_threshold,
        "designation_starts_on": c.designation_starts_on,
        "designation_years": c.designation_years,
        "version": c.version,
    }


def _criterion(c: Criterion) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "description": c.description,
        "weight": c.weight,
        "order": c.order,
    }


def _cycle_detail(request: HttpRequest, cycle_id: int) -> dict[str, Any]:
    access = get_cycle_for_user(request.user, cycle_id)
    c = access.cycle
    return {
        **_cycle(c),
        "criteria": [_criterion(x) for x in c.criteria.all()],
        "allowed_moves": list(svc.CYCLE_MOVES[c.status]) if access.can_manage else [],
        "permissions": {
            "can_manage": access.can_manage,
            "is_state_staff": access.is_state_staff,
            "can_apply": access.can_apply,
        },
    }


def _application(access: ApplicationAccess) -> dict[str, Any]:
    a = access.application
    decision = Decision.objects.filter(application=a).first()
    return {
        "id": a.pk,
        "cycle": {"id": a.cycle_id, "name": a.cycle.name},
        "partner": {"id": a.partner_id, "name": a.partner.name},
        "status": a.status,
        "need_areas": list(a.need_areas),
        "grade_bands": list(a.grade_bands),
        "track_record": a.track_record,
        "measured_results": a.measured_results,
        "approach": a.approach,
        "capacity": a.capacity,
        "references": a.references,
        "evidence": [
            {
                "id": e.pk,
                "claim": e.claim,
                "need_area": e.need_area,
                "tier": e.tier,
                "confirmed_tier": e.confirmed_tier,
            }
            for e in a.evidence.all()
        ],
        "submitted_at": a.submitted_at,
        "version": a.version,
        "decision": (
            {
                "outcome": decision.outcome,
                "need_areas": list(decision.need_areas),
                "rationale": decision.rationale,
                "decided_at": decision.decided_at,
                "weighted_score": decision.weighted_score if access.sees_all_scores else None,
                "designation_ids": list(decision.designations.values_list("pk", flat=True)),
            }
            if decision is not None
            else None
        ),
        "missing_for_submission": (
            list(svc.missing_for_submission(a)) if a.status == Application.Status.DRAFT else []
        ),
        "permissions": {
            "is_applicant": access.is_applicant,
            "can_edit": access.can_edit,
            "can_manage": access.can_manage,
            "is_state_staff": access.is_state_staff,
            "sees_all_scores": access.sees_all_scores,
            "can_score": access.can_score,
            "review_id": access.review.pk if access.review is not None else None,
        },
    }


def _application_access(request: HttpRequest, application_id: int) -> ApplicationAccess:
    return get_application_for_user(request.user, application_id)


def _review(r: ReviewAssignment) -> dict[str, Any]:
    a = r.application
    return {
        "id": r.pk,
        "application_id": a.pk,
        "partner": {"id": a.partner_id, "name": a.partner.name},
        "cycle": {"id": a.cycle_id, "name": a.cycle.name},
        "reviewer_id": r.reviewer_id,
        "reviewer": r.reviewer.get_username(),
        "conflict": r.conflict,
        "conflict_note": r.conflict_note,
        "submitted_at": r.submitted_at,
        "version": r.version,
    }


def _own_review(access: ApplicationAccess) -> dict[str, Any]:
    review = (
        ReviewAssignment.objects.select_related(
            "application__partner", "application__cycle", "reviewer"
        )
        .prefetch_related("scores__criterion")
        .get(pk=access.review.pk)  # type: ignore[union-attr]
    )
    return {
        **_review(review),
        "comment": review.comment,
        "scores": [
            {
                "criterion_id": s.criterion_id,
                "criterion": s.criterion.name,
                "score": s.score,
                "comment": s.comment,
            }
            for s in review.scores.all()
        ],
        "can_score": access.can_score,
    }


def _designation(d: PriorityDesignation, renewed_by: dict[int, int]) -> dict[str, Any]:
    return {
        "id": d.pk,
        "partner": {"id": d.partner_id, "name": d.partner.name},
        "state": d.state.code,
        "need_area": d.need_area,
        "starts_on": d.starts_on,
        "expires_on": d.expires_on,
        "status": svc.designation_status(d),
        "evidence_tier": d.evidence_tier,
        "renews_id": d.renews_id,
        "renewed_by_id": renewed_by.get(d.pk),
        "decision_application_id": d.decision.application_id if d.decision_id else None,
        "revoked_at": d.revoked_at,
        "revoked_reason": d.revoked_reason,
    }


# ---------------------------------------------------------------------------------------------
# Cycles


@router.get(
    "/vetting/cycles",
    response={200: list[CycleOut], **_READ},
    operation_id="partner_cycle_list",
    summary="Vetting cycles you can see",
)
def cycle_list(request: HttpRequest) -> list[dict[str, Any]]:
    """State staff see their states' cycles; partner staff open cycles and those they applied
    to; reviewers the cycles of applications assigned to them."""
    qs = visible_cycles(request.user).select_related("state").order_by("-opens_on", "name")
    return [_cycle(c) for c in qs]


@router.post(
    "/vetting/cycles",
    response={201: CycleDetailOut, **_WRITE},
    operation_id="partner_cycle_create",
    summary="Create a vetting cycle (draft)",
)
def cycle_create(request: HttpRequest, payload: CycleIn) -> Status[dict[str, Any]]:
    admin_states = get_reach(request.user).admin_state_ids
    if payload.state_id is None:
        if len(admin_states) != 1:
            raise _bad("state_id", "Give the state_id of a state you administer.")
        state_id = next(iter(admin_states))
    else:
        state_id = payload.state_id
    state = State.objects.filter(pk=state_id).first()
    if state is None:
        raise _bad("state_id", "No such state.")
    created = _call(
        lambda: svc.cycle_create(
            actor=request.user,
            state=state,
            **payload.model_dump(exclude={"state_id"}),
        )
    )
    return Status(201, _cycle_detail(request, created.pk))


@router.get(
    "/vetting/cycles/{cycle_id}",
    response={200: CycleDetailOut, **_READ},
    operation_id="partner_cycle_detail",
    summary="One cycle with its weighted criteria",
)
def cycle_detail(request: HttpRequest, cycle_id: int) -> dict[str, Any]:
    return _cycle_detail(request, cycle_id)


@router.patch(
    "/vetting/cycles/{cycle_id}",
    response={200: CycleDetailOut, **_WRITE},
    operation_id="partner_cycle_update",
    summary="Change a cycle's settings (state administrators)",
)
def cycle_update(request: HttpRequest, cycle_id: int, payload: CyclePatch) -> dict[str, Any]:
    access = get_cycle_for_user(request.user, cycle_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"version"})
    nulls = [k for k, v in changes.items() if v is None]
    if nulls:
        raise _bad(nulls[0], "Give a value or leave the field out.")
    _call(
        lambda: svc.cycle_update(
            actor=request.user, cycle=access.cycle, expected_version=payload.version, **changes
        )
    )
    return _cycle_detail(request, cycle_id)


@router.post(
    "/vetting/cycles/{cycle_id}/status",
    response={200: CycleDetailOut, **_WRITE},
    operation_id="partner_cycle_status",
    summary="Move a cycle: draft → open → review → decided",
)
def cycle_status(request: HttpRequest, cycle_id: int, payload: StatusIn) -> dict[str, Any]:
    access = get_cycle_for_user(request.user, cycle_id)
    _call(
        lambda: svc.cycle_set_status(
            actor=request.user,
            cycle=access.cycle,
            status=payload.status,
            expected_version=payload.version,
        )
    )
    return _cycle_detail(request, cycle_id)


# ---------------------------------------------------------------------------------------------
# Criteria


@router.get(
    "/vetting/cycles/{cycle_id}/criteria",
    response={200: list[CriterionOut], **_READ},
    operation_id="partner_criterion_list",
    summary="A cycle's weighted criteria",
)
def criterion_list(request: HttpRequest, cycle_id: int) -> list[dict[str, Any]]:
    access = get_cycle_for_user(request.user, cycle_id)
    return [_criterion(c) for c in access.cycle.criteria.all()]


@router.post(
    "/vetting/cycles/{cycle_id}/criteria",
    response={201: CriterionOut, **_WRITE},
    operation_id="partner_criterion_add",
    summary="Add a criterion (before the cycle is in review)",
)
def criterion_add(
    request: HttpRequest, cycle_id: int, payload: CriterionIn
) -> Status[dict[str, Any]]:
    access = get_cycle_for_user(request.user, cycle_id)
    created = _call(
        lambda: svc.criterion_add(actor=request.user, cycle=access.cycle, **payload.model_dump())
    )
    return Status(201, _criterion(created))


def _criterion_for(request: HttpRequest, criterion_id: int) -> Criterion:
    criterion = Criterion.objects.filter(pk=criterion_id).first()
    if criterion is None:
        raise Http404("No such criterion.")
    get_cycle_for_user(request.user, criterion.cycle_id)
    return criterion


@router.patch(
    "/vetting/criteria/{criterion_id}",
    response={200: CriterionOut, **_WRITE},
    operation_id="partner_criterion_update",
    summary="Change a criterion (before the cycle is in review)",
)
def criterion_update(
    request: HttpRequest, criterion_id: int, payload: CriterionPatch
) -> dict[str, Any]:
    criterion = _criterion_for(request, criterion_id)
    updated = _call(
        lambda: svc.criterion_update(
            actor=request.user, criterion=criterion, **payload.model_dump(exclude_unset=True)
        )
    )
    return _criterion(updated)


@router.delete(
    "/vetting/criteria/{criterion_id}",
    response={204: None, **_WRITE},
    operation_id="partner_criterion_delete",
    summary="Delete a criterion (before the cycle is in review)",
)
def criterion_delete(request: HttpRequest, criterion_id: int) -> Status[None]:
    criterion = _criterion_for(request, criterion_id)
    _call(lambda: svc.criterion_delete(actor=request.user, criterion=criterion))
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Applications


@router.get(
    "/vetting/applications",
    response={200: ApplicationPage, **_READ},
    operation_id="partner_application_list",
    summary="Applications you can see",
)
def application_list(request: HttpRequest, filters: Query[ApplicationQuery]) -> dict[str, Any]:
    """Partner staff see their own organisation's (drafts included), never another partner's;
    state staff their states' submitted applications; reviewers those assigned to them."""
    if filters.status and filters.status not in Application.Status.values:
        raise _bad("status", f"allowed: {', '.join(Application.Status.values)}", where="query")
    qs = visible_applications(request.user).select_related("cycle__state", "partner")
    if filters.cycle is not None:
        qs = qs.filter(cycle_id=filters.cycle)
    if filters.status:
        qs = qs.filter(status=filters.status)
    items = [
        _application(get_application_for_user(request.user, a.pk))
        for a in qs.order_by("cycle__opens_on", "partner__name")
    ]
    return {"count": len(items), "items": items}


@router.post(
    "/vetting/cycles/{cycle_id}/applications",
    response={201: ApplicationOut, **_WRITE},
    operation_id="partner_application_create",
    summary="Apply to an open cycle (a draft, for partner staff)",
)
def application_create(
    request: HttpRequest, cycle_id: int, payload: ApplicationIn
) -> Status[dict[str, Any]]:
    access = get_cycle_for_user(request.user, cycle_id)
    mine = partner_ids_of(request.user)
    partner_id = payload.partner_id
    if partner_id is None:
        if len(mine) != 1:
            raise _bad("partner_id", "Give the partner_id of the organisation you apply for.")
        partner_id = next(iter(mine))
    partner = PartnerOrganization.objects.filter(pk=partner_id).first()
    if partner is None:
        raise _bad("partner_id", "No such partner organisation.")
    created = _call(
        lambda: svc.application_create(
            actor=request.user,
            cycle=access.cycle,
            partner=partner,
            evidence=payload.evidence_ids,
            **payload.model_dump(exclude={"partner_id", "evidence_ids"}),
        )
    )
    return Status(201, _application(_application_access(request, created.pk)))


@router.get(
    "/vetting/applications/{application_id}",
    response={200: ApplicationOut, **_READ},
    operation_id="partner_application_detail",
    summary="One application (scores are separate)",
)
def application_detail(request: HttpRequest, application_id: int) -> dict[str, Any]:
    return _application(_application_access(request, application_id))


@router.patch(
    "/vetting/applications/{application_id}",
    response={200: ApplicationOut, **_WRITE},
    operation_id="partner_application_update",
    summary="Change a draft application",
)
def application_update(
    request: HttpRequest, application_id: int, payload: ApplicationPatch
) -> dict[str, Any]:
    access = _application_access(request, application_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"version", "evidence_ids"})
    nulls = [k for k, v in changes.items() if v is None]
    if nulls:
        raise _bad(nulls[0], "Give a value or leave the field out.")
    if "evidence_ids" in payload.model_fields_set and payload.evidence_ids is not None:
        changes["evidence"] = payload.evidence_ids
    _call(
        lambda: svc.application_update(
            actor=request.user,
            application=access.application,
            expected_version=payload.version,
            **changes,
        )
    )
    return _application(_application_access(request, application_id))


@router.post(
    "/vetting/applications/{application_id}/submit",
    response={200: ApplicationOut, **_WRITE},
    operation_id="partner_application_submit",
    summary="Submit a complete draft (422 names what is missing)",
)
def application_submit(
    request: HttpRequest, application_id: int, payload: VersionIn
) -> dict[str, Any]:
    access = _application_access(request, application_id)
    _call(
        lambda: svc.application_submit(
            actor=request.user, application=access.application, expected_version=payload.version
        )
    )
    return _application(_application_access(request, application_id))


@router.post(
    "/vetting/applications/{application_id}/withdraw",
    response={200: ApplicationOut, **_WRITE},
    operation_id="partner_application_withdraw",
    summary="Withdraw an application before it is decided",
)
def application_withdraw(
    request: HttpRequest, application_id: int, payload: VersionIn
) -> dict[str, Any]:
    access = _application_access(request, application_id)
    _call(
        lambda: svc.application_withdraw(
            actor=request.user, application=access.application, expected_version=payload.version
        )
    )
    return _application(_application_access(request, application_id))


# ---------------------------------------------------------------------------------------------
# Reviews


@router.get(
    "/vetting/applications/{application_id}/reviews",
    response={200: list[ReviewOut], **_READ},
    operation_id="partner_review_list",
    summary="Reviewers of an application, with their declarations (state staff; no scores)",
)
def review_list(request: HttpRequest, application_id: int) -> list[dict[str, Any]]:
    access = _application_access(request, application_id)
    if not access.is_state_staff:
        raise Http404("Not found.")
    qs = access.application.reviews.select_related(
        "application__partner", "application__cycle", "reviewer"
    ).order_by("reviewer__username")
    return [_review(r) for r in qs]


@router.post(
    "/vetting/applications/{application_id}/reviews",
    response={201: ReviewOut, **_WRITE},
    operation_id="partner_review_assign",
    summary="Assign a reviewer (state administrators)",
)
def review_assign(
    request: HttpRequest, application_id: int, payload: AssignIn
) -> Status[dict[str, Any]]:
    access = _application_access(request, application_id)
    reviewer = User.objects.filter(pk=payload.reviewer_id).first()
    if reviewer is None:
        raise _bad("reviewer_id", "No such user.")
    review = _call(
        lambda: svc.review_assign(
            actor=request.user, application=access.application, reviewer=reviewer
        )
    )
    return Status(201, _review(review))


@router.delete(
    "/vetting/reviews/{review_id}",
    response={204: None, **_WRITE},
    operation_id="partner_review_unassign",
    summary="Remove a reviewer who has not submitted (state administrators)",
)
def review_unassign(request: HttpRequest, review_id: int) -> Status[None]:
    review = ReviewAssignment.objects.filter(pk=review_id).first()
    if review is None:
        raise Http404("Not found.")
    access = _application_access(request, review.application_id)
    if not access.is_state_staff:
        raise Http404("Not found.")
    _call(lambda: svc.review_unassign(actor=request.user, review=review))
    return Status(204, None)


@router.get(
    "/vetting/reviews",
    response={200: list[ReviewOut], **_READ},
    operation_id="partner_my_reviews",
    summary="The reviews assigned to you",
)
def my_reviews(request: HttpRequest) -> list[dict[str, Any]]:
    qs = (
        ReviewAssignment.objects.filter(
            reviewer_id=request.user.pk, application__in=visible_applications(request.user)
        )
        .select_related("application__partner", "application__cycle", "reviewer")
        .order_by("-application__cycle__opens_on", "application__partner__name")
    )
    return [_review(r) for r in qs]


@router.get(
    "/vetting/reviews/{review_id}",
    response={200: OwnReviewOut, **_READ},
    operation_id="partner_review_detail",
    summary="Your own review and your own scores",
)
def review_detail(request: HttpRequest, review_id: int) -> dict[str, Any]:
    return _own_review(svc.review_for_reviewer(request.user, review_id))


@router.post(
    "/vetting/reviews/{review_id}/conflict",
    response={200: OwnReviewOut, **_WRITE},
    operation_id="partner_review_declare",
    summary="Declare a conflict of interest (none, or declared with a note) before scoring",
)
def review_declare(request: HttpRequest, review_id: int, payload: ConflictIn) -> dict[str, Any]:
    access = svc.review_for_reviewer(request.user, review_id)
    _call(
        lambda: svc.review_declare_conflict(
            actor=request.user,
            review=access.review,  # type: ignore[arg-type]
            conflict=payload.conflict,
            note=payload.note,
            expected_version=payload.version,
        )
    )
    return _own_review(svc.review_for_reviewer(request.user, review_id))


@router.put(
    "/vetting/reviews/{review_id}/scores",
    response={200: OwnReviewOut, **_WRITE},
    operation_id="partner_review_scores",
    summary="Set every criterion's score at once (all or nothing)",
)
def review_scores(request: HttpRequest, review_id: int, payload: ScoresIn) -> dict[str, Any]:
    """403 with the reason for a reviewer who has not declared, declared a conflict, or already
    submitted; 422 naming the criterion and the allowed range for a score outside the scale.
    Nothing of a refused call is saved."""
    access = svc.review_for_reviewer(request.user, review_id)
    entries = [
        svc.ScoreInput(criterion_id=s.criterion_id, score=s.score, comment=s.comment)
        for s in payload.scores
    ]
    _call(
        lambda: svc.review_score(
            actor=request.user,
            review=access.review,  # type: ignore[arg-type]
            scores=entries,
            comment=payload.comment,
            expected_version=payload.version,
        )
    )
    return _own_review(svc.review_for_reviewer(request.user, review_id))


@router.post(
    "/vetting/reviews/{review_id}/submit",
    response={200: OwnReviewOut, **_WRITE},
    operation_id="partner_review_submit",
    summary="Submit your review (scores are locked after this)",
)
def review_submit(request: HttpRequest, review_id: int, payload: VersionIn) -> dict[str, Any]:
    access = svc.review_for_reviewer(request.user, review_id)
    _call(
        lambda: svc.review_submit(
            actor=request.user,
            review=access.review,  # type: ignore[arg-type]
            expected_version=payload.version,
        )
    )
    return _own_review(svc.review_for_reviewer(request.user, review_id))


# ---------------------------------------------------------------------------------------------
# Scores and agreement


@router.get(
    "/vetting/applications/{application_id}/scores",
    response={200: ScoreSummaryOut, **_READ},
    operation_id="partner_application_scores",
    summary="Every reviewer's scores, weighted totals and Krippendorff's alpha",
)
def application_scores(request: HttpRequest, application_id: int) -> dict[str, Any]:
    """State staff of the cycle, and a reviewer once their own review is submitted; a 404 for
    everybody else (applicants never see scores)."""
    access = _application_access(request, application_id)
    if not access.sees_all_scores:
        raise Http404("Not found.")
    s = svc.score_summary(access.application)
    return {
        "application_id": access.application.pk,
        "scale_min": s.scale_min,
        "scale_max": s.scale_max,
        "reviewers": [
            {"review_id": c.review.pk, "reviewer": c.label, "weighted_score": c.weighted}
            for c in s.reviewers
        ],
        "criteria": [
            {
                "criterion_id": r.criterion.pk,
                "criterion": r.criterion.name,
                "weight": r.criterion.weight,
                "scores": r.scores,
                "mean": r.mean,
                "sd": r.sd,
                "range": r.spread,
                "differs_by_more_than_one": r.differs,
            }
            for r in s.rows
        ],
        "weighted_score": s.weighted_score,
        "approval_threshold": s.threshold,
        "meets_threshold": s.meets_threshold,
        "agreement": {
            "metric": s.alpha.metric,
            "alpha": s.alpha.alpha,
            "reading": s.alpha.reading,
            "refusal": s.alpha.refusal,
            "n_reviewers": s.alpha.n_raters,
            "n_pairable": s.alpha.n_pairable,
        },
        "flagged": s.flagged,
        "flagged_text": s.flagged_text,
        "pending": s.pending,
        "conflicts": s.conflicts,
    }


# ---------------------------------------------------------------------------------------------
# Decisions and designations


@router.post(
    "/vetting/applications/{application_id}/decision",
    response={201: ApplicationOut, **_WRITE},
    operation_id="partner_application_decide",
    summary="Approve areas or decline (creates Priority Partner designations)",
)
def application_decide(
    request: HttpRequest, application_id: int, payload: DecisionIn
) -> Status[dict[str, Any]]:
    access = _application_access(request, application_id)
    _call(
        lambda: svc.decision_record(
            actor=request.user,
            application=access.application,
            outcome=payload.outcome,
            need_areas=payload.need_areas,
            rationale=payload.rationale,
        )
    )
    return Status(201, _application(_application_access(request, application_id)))


def _visible_designations(request: HttpRequest) -> Any:
    return PriorityDesignation.objects.filter(
        state_id__in=staff_state_ids(request.user)
    ).select_related("partner", "state", "decision")


@router.get(
    "/vetting/designations",
    response={200: list[DesignationOut], **_READ},
    operation_id="partner_designation_list",
    summary="Priority Partner designations of your states (state staff)",
)
def designation_list(
    request: HttpRequest, filters: Query[DesignationQuery]
) -> list[dict[str, Any]]:
    if filters.status and filters.status not in svc.DesignationStatus.VALUES:
        raise _bad("status", f"allowed: {', '.join(svc.DesignationStatus.VALUES)}", where="query")
    qs = _visible_designations(request).order_by(
        "state__code", "partner__name", "need_area", "-starts_on"
    )
    if filters.partner is not None:
        qs = qs.filter(partner_id=filters.partner)
    if filters.need_area:
        qs = qs.filter(need_area=filters.need_area)
    renewed_by = dict(
        PriorityDesignation.objects.filter(renews__in=qs).values_list("renews_id", "pk")
    )
    rows = [_designation(d, renewed_by) for d in qs]
    if filters.status:
        rows = [r for r in rows if r["status"] == filters.status]
    return rows


@router.post(
    "/vetting/designations/{designation_id}/revoke",
    response={200: DesignationOut, **_WRITE},
    operation_id="partner_designation_revoke",
    summary="Revoke a designation, with the reason (state administrators)",
)
def designation_revoke(
    request: HttpRequest, designation_id: int, payload: RevokeIn
) -> dict[str, Any]:
    designation = _visible_designations(request).filter(pk=designation_id).first()
    if designation is None:
        raise Http404("Not found.")
    done = _call(
        lambda: svc.designation_revoke(
            actor=request.user, designation=designation, reason=payload.reason
        )
    )
    renewed_by = dict(
        PriorityDesignation.objects.filter(renews=done).values_list("renews_id", "pk")
    )
    return _designation(
        PriorityDesignation.objects.select_related("partner", "state", "decision").get(pk=done.pk),
        renewed_by,
    )
