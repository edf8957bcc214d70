"""Self-assessments and site visits over the API: thin wrappers around ``access`` and the
services.

- Every read starts from ``assessments.access``: "missing" and "not yours" are the same 404;
  working papers (evidence, each reviewer's ratings, disagreement) are a 404 for those who do
  not see them — the assessed school sees only finalised results.
- Writes answer 422 for bad input (``loc`` names the field), 403 when you may see the
  assessment but not do this, and 409 for a stale edit (send the ``version`` you loaded) or an
  ordinary edit of a finalised assessment (amend it, with a reason).
- Evidence is created or updated by its client id (``PUT …/evidence/{client_id}``): 201 the
  first time, 200 after, so a retried autosave is stored once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.errors import HttpError, ValidationError

from turnaround.accounts.access import get_district_for_user, get_school_for_user
from turnaround.accounts.models import User
from turnaround.assessments import services
from turnaround.assessments.access import AssessmentAccess, get_assessment_for_user
from turnaround.assessments.models import (
    Amendment,
    Assessment,
    ConsensusRating,
    Evidence,
    PracticeFinding,
    ReviewerRating,
    ScheduleItem,
    TeamMember,
)
from turnaround.assessments.schemas import (
    AmendmentIn,
    AmendmentOut,
    AssessmentDetailOut,
    AssessmentIn,
    AssessmentPage,
    AssessmentPatch,
    AssessmentQuery,
    ConsensusIn,
    ConsensusOut,
    DisagreementOut,
    EvidenceIn,
    EvidenceOut,
    EvidenceQuery,
    FinaliseBlockersOut,
    FindingIn,
    FindingOut,
    RatingIn,
    ReviewerRatingOut,
    ScheduleItemIn,
    ScheduleItemOut,
    ScheduleItemPatch,
    TeamMemberIn,
    TeamMemberOut,
    VersionIn,
)
from turnaround.assessments.selectors import (
    assessment_list,
    evidence_for,
    finalise_blockers,
    indicator_disagreement,
    scale_levels,
)
from turnaround.core.concurrency import StaleEditError
from turnaround.frameworks.models import FrameworkVersion
from turnaround.organizations.schemas import Message, PageQuery, ValidationErrors

router = Router(tags=["assessments"])

_READ: dict[int, Any] = {401: Message, 404: Message, 422: ValidationErrors}
_WRITE: dict[int, Any] = {**_READ, 403: Message, 409: Message}

T = TypeVar("T")


def _call(fn: Callable[[], T]) -> T:
    """Run a service call, turning its refusals into the API's error shape."""
    try:
        return fn()
    except DjangoValidationError as exc:
        items = []
        if hasattr(exc, "error_dict"):
            for field, messages in exc.message_dict.items():
                loc = ["body"] if field == "__all__" else ["body", field]
                items += [{"loc": loc, "msg": m, "type": "value_error"} for m in messages]
        else:
            items = [{"loc": ["body"], "msg": m, "type": "value_error"} for m in exc.messages]
        raise ValidationError(items) from exc
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "You cannot do that.") from exc
    except (StaleEditError, services.AssessmentLockedError) as exc:
        raise HttpError(409, str(exc)) from exc


def _access(request: HttpRequest, assessment_id: int) -> AssessmentAccess:
    return get_assessment_for_user(request.user, assessment_id)


def _working_papers(request: HttpRequest, assessment_id: int) -> AssessmentAccess:
    access = _access(request, assessment_id)
    if not access.sees_working_papers:
        raise Http404("Not found.")
    return access


def _sees_plan(access: AssessmentAccess) -> bool:
    return (
        access.is_state_staff
        or access.seat != ""
        or (access.assessment.kind == Assessment.Kind.SELF and access.is_subject)
    )


# ---------------------------------------------------------------------------------------------
# Shaping


def _item(a: Assessment) -> dict[str, Any]:
    v = a.framework_version
    return {
        "id": a.pk,
        "kind": a.kind,
        "status": a.status,
        "title": a.title,
        "school_year": a.school_year,
        "start_date": a.start_date,
        "end_date": a.end_date,
        "school": {"id": a.school.pk, "name": a.school.name} if a.school_id else None,
        "district": {"id": a.district.pk, "name": a.district.name} if a.district_id else None,
        "framework_version": {
            "id": v.pk,
            "framework": v.framework.name,
            "number": v.number,
            "label": v.label,
            "scale": v.scale.name,
        },
        "version": a.version,
        "finalised_at": a.finalised_at,
    }


def _detail(access: AssessmentAccess) -> dict[str, Any]:
    a = Assessment.objects.select_related(
        "school", "district", "framework_version__framework", "framework_version__scale"
    ).get(pk=access.assessment.pk)
    fresh = AssessmentAccess(
        assessment=a,
        seat=access.seat,
        is_state_staff=access.is_state_staff,
        is_subject=access.is_subject,
    )
    return {
        **_item(a),
        "purpose": a.purpose,
        "executive_summary": a.executive_summary
        if (a.is_locked or fresh.sees_working_papers)
        else "",
        "questionnaire": a.questionnaire if _sees_plan(fresh) else [],
        "team": [_member(m) for m in a.team.select_related("user")],
        "permissions": {
            "seat": fresh.seat,
            "sees_working_papers": fresh.sees_working_papers,
            "can_manage": fresh.can_manage and not a.is_locked,
            "can_rate": fresh.can_rate,
            "can_record_consensus": fresh.can_record_consensus,
            "can_finalise": fresh.can_finalise,
            "can_amend": fresh.can_amend,
        },
    }


def _member(m: TeamMember) -> dict[str, Any]:
    return {"id": m.pk, "user_id": m.user_id, "username": m.user.get_username(), "role": m.role}


def _schedule_item(i: ScheduleItem) -> dict[str, Any]:
    return {
        "id": i.pk,
        "day": i.day,
        "starts_at": i.starts_at,
        "ends_at": i.ends_at,
        "activity": i.activity,
        "title": i.title,
        "participants": i.participants,
        "location": i.location,
        "reviewer_id": i.reviewer_id,
        "consent_required": i.consent_required,
        "consent_recorded": i.consent_recorded,
    }


def _evidence(e: Evidence) -> dict[str, Any]:
    return {
        "id": e.pk,
        "client_id": e.client_id,
        "kind": e.kind,
        "source": e.source,
        "note": e.note,
        "indicators": [i.code for i in e.indicators.all()],
        "has_file": bool(e.file),
        "collected_by": e.collected_by.get_username(),
        "collected_at": e.collected_at,
        "updated_at": e.updated_at,
        "version": e.version,
    }


def _reviewer_rating(r: ReviewerRating) -> dict[str, Any]:
    return {
        "indicator": r.indicator.code,
        "level": r.level,
        "rationale": r.rationale,
        "evidence": sorted(e.pk for e in r.evidence.all()),
        "version": r.version,
        "updated_at": r.updated_at,
    }


def _consensus(c: ConsensusRating, labels: dict[int, str], papers: bool) -> dict[str, Any]:
    return {
        "indicator": c.indicator.code,
        "level": c.level,
        "level_label": labels.get(c.level, "") if c.level is not None else "Not rated",
        "rationale": c.rationale,
        "strengths": c.strengths,
        "challenges": c.challenges,
        "not_priority": c.not_priority,
        "not_priority_reason": c.not_priority_reason,
        "priority_score": c.priority_score,
        "opportunity_score": c.opportunity_score,
        "evidence": sorted(e.pk for e in c.evidence.all()) if papers else [],
        "version": c.version,
    }


def _amendment(a: Amendment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "target": a.target,
        "reason": a.reason,
        "before": a.before,
        "after": a.after,
        "made_by": a.made_by.get_username(),
        "made_at": a.made_at,
    }


# ---------------------------------------------------------------------------------------------
# Assessments


@router.get(
    "/assessments",
    response={200: AssessmentPage, **_READ},
    operation_id="assessment_list",
    summary="Self-assessments and site visits you can see",
)
def assessment_list_api(
    request: HttpRequest, filters: Query[AssessmentQuery], page: Query[PageQuery]
) -> dict[str, Any]:
    """Newest first. Reviewers see the visits they serve on; state staff their state's; a school
    or district its self-assessments and finalised visits."""
    if filters.kind and filters.kind not in Assessment.Kind.values:
        raise ValidationError(
            [{"loc": ["query", "kind"], "msg": "allowed: self, site_visit", "type": "value_error"}]
        )
    if filters.status and filters.status not in Assessment.Status.values:
        raise ValidationError(
            [
                {
                    "loc": ["query", "status"],
                    "msg": f"allowed: {', '.join(Assessment.Status.values)}",
                    "type": "value_error",
                }
            ]
        )
    qs = assessment_list(
        request.user, kind=filters.kind, status=filters.status, school_year=filters.school_year
    ).select_related("framework_version__scale")
    if filters.school is not None:
        qs = qs.filter(school_id=filters.school)
    if filters.district is not None:
        qs = qs.filter(district_id=filters.district)
    rows = list(qs[page.offset : page.offset + page.limit])
    return {"count": qs.count(), "items": [_item(a) for a in rows]}


@router.post(
    "/assessments",
    response={201: AssessmentDetailOut, **_WRITE},
    operation_id="assessment_create",
    summary="Plan a self-assessment or a site visit",
)
def assessment_create_api(request: HttpRequest, payload: AssessmentIn) -> Status[dict[str, Any]]:
    """Site visits: state staff, with a lead (``lead_id``), 1–3 days. Self-assessments: the
    school's or district's leaders or state staff. The framework version must be published."""
    school = district = None
    if payload.school_id is not None:
        school = get_school_for_user(request.user, payload.school_id).school
    if payload.district_id is not None:
        district = get_district_for_user(request.user, payload.district_id).district
    version = FrameworkVersion.objects.filter(pk=payload.framework_version_id).first()
    if version is None:
        raise ValidationError(
            [
                {
                    "loc": ["body", "framework_version_id"],
                    "msg": "No such framework version.",
                    "type": "value_error",
                }
            ]
        )
    lead = None
    if payload.lead_id is not None:
        lead = User.objects.filter(pk=payload.lead_id).first()
        if lead is None:
            raise ValidationError(
                [{"loc": ["body", "lead_id"], "msg": "No such user.", "type": "value_error"}]
            )
    created = _call(
        lambda: services.assessment_create(
            actor=request.user,
            kind=payload.kind,
            framework_version=version,
            start_date=payload.start_date,
            end_date=payload.end_date,
            school=school,
            district=district,
            lead=lead,
            title=payload.title,
            school_year=payload.school_year,
            purpose=payload.purpose,
        )
    )
    return Status(201, _detail(_access(request, created.pk)))


@router.get(
    "/assessments/{assessment_id}",
    response={200: AssessmentDetailOut, **_READ},
    operation_id="assessment_detail",
    summary="One assessment, its team and what you may do with it",
)
def assessment_detail_api(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    return _detail(_access(request, assessment_id))


@router.patch(
    "/assessments/{assessment_id}",
    response={200: AssessmentDetailOut, **_WRITE},
    operation_id="assessment_update",
    summary="Change the title, dates, school year or purpose",
)
def assessment_update_api(
    request: HttpRequest, assessment_id: int, payload: AssessmentPatch
) -> dict[str, Any]:
    access = _access(request, assessment_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"version"})
    _call(
        lambda: services.assessment_update(
            actor=request.user,
            assessment=access.assessment,
            expected_version=payload.version,
            changes=changes,
        )
    )
    return _detail(_access(request, assessment_id))


def _transition(request: HttpRequest, assessment_id: int, payload: VersionIn, service: Any):
    access = _access(request, assessment_id)
    _call(
        lambda: service(
            actor=request.user, assessment=access.assessment, expected_version=payload.version
        )
    )
    return _detail(_access(request, assessment_id))


@router.post(
    "/assessments/{assessment_id}/start",
    response={200: AssessmentDetailOut, **_WRITE},
    operation_id="assessment_start",
    summary="Planned → in progress",
)
def assessment_start_api(request: HttpRequest, assessment_id: int, payload: VersionIn):
    return _transition(request, assessment_id, payload, services.assessment_start)


@router.post(
    "/assessments/{assessment_id}/move-to-consensus",
    response={200: AssessmentDetailOut, **_WRITE},
    operation_id="assessment_move_to_consensus",
    summary="In progress → consensus",
)
def assessment_consensus_api(request: HttpRequest, assessment_id: int, payload: VersionIn):
    return _transition(request, assessment_id, payload, services.assessment_move_to_consensus)


@router.get(
    "/assessments/{assessment_id}/finalise",
    response={200: FinaliseBlockersOut, **_READ},
    operation_id="assessment_finalise_check",
    summary="What still stops finalising",
)
def assessment_finalise_check(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    access = _working_papers(request, assessment_id)
    blockers = [] if access.assessment.is_locked else finalise_blockers(access.assessment)
    return {"ready": not blockers and not access.assessment.is_locked, "blockers": blockers}


@router.post(
    "/assessments/{assessment_id}/finalise",
    response={200: AssessmentDetailOut, **_WRITE},
    operation_id="assessment_finalise",
    summary="Finalise and lock (every indicator needs a consensus rating)",
)
def assessment_finalise_api(request: HttpRequest, assessment_id: int, payload: VersionIn):
    return _transition(request, assessment_id, payload, services.assessment_finalise)


# ---------------------------------------------------------------------------------------------
# Team and schedule


@router.get(
    "/assessments/{assessment_id}/team",
    response={200: list[TeamMemberOut], **_READ},
    operation_id="assessment_team",
    summary="The team",
)
def team_list(request: HttpRequest, assessment_id: int) -> list[dict[str, Any]]:
    access = _access(request, assessment_id)
    return [_member(m) for m in access.assessment.team.select_related("user")]


@router.post(
    "/assessments/{assessment_id}/team",
    response={201: TeamMemberOut, **_WRITE},
    operation_id="assessment_team_add",
    summary="Seat someone on the team",
)
def team_add(request: HttpRequest, assessment_id: int, payload: TeamMemberIn):
    access = _access(request, assessment_id)
    user = User.objects.filter(pk=payload.user_id).first()
    if user is None:
        raise ValidationError(
            [{"loc": ["body", "user_id"], "msg": "No such user.", "type": "value_error"}]
        )
    seat = _call(
        lambda: services.team_member_add(
            actor=request.user, assessment=access.assessment, user=user, role=payload.role
        )
    )
    return Status(201, _member(seat))


@router.delete(
    "/assessments/{assessment_id}/team/{member_id}",
    response={204: None, **_WRITE},
    operation_id="assessment_team_remove",
    summary="Take someone off the team",
)
def team_remove(request: HttpRequest, assessment_id: int, member_id: int):
    access = _access(request, assessment_id)
    member = get_object_or_404(TeamMember, pk=member_id, assessment=access.assessment)
    _call(lambda: services.team_member_remove(actor=request.user, member=member))
    return Status(204, None)


def _plan_access(request: HttpRequest, assessment_id: int) -> AssessmentAccess:
    access = _access(request, assessment_id)
    if not _sees_plan(access):
        raise Http404("Not found.")
    return access


@router.get(
    "/assessments/{assessment_id}/schedule",
    response={200: list[ScheduleItemOut], **_READ},
    operation_id="assessment_schedule",
    summary="The visit schedule, by day and time",
)
def schedule_list(request: HttpRequest, assessment_id: int) -> list[dict[str, Any]]:
    access = _plan_access(request, assessment_id)
    return [_schedule_item(i) for i in access.assessment.schedule.all()]


def _user_or_none(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise ValidationError(
            [{"loc": ["body", "reviewer_id"], "msg": "No such user.", "type": "value_error"}]
        )
    return user


@router.post(
    "/assessments/{assessment_id}/schedule",
    response={201: ScheduleItemOut, **_WRITE},
    operation_id="assessment_schedule_add",
    summary="Schedule an activity on a day of the visit",
)
def schedule_add(request: HttpRequest, assessment_id: int, payload: ScheduleItemIn):
    access = _plan_access(request, assessment_id)
    data = payload.model_dump()
    reviewer = _user_or_none(data.pop("reviewer_id"))
    item = _call(
        lambda: services.schedule_item_add(
            actor=request.user, assessment=access.assessment, reviewer=reviewer, **data
        )
    )
    return Status(201, _schedule_item(item))


@router.patch(
    "/assessments/{assessment_id}/schedule/{item_id}",
    response={200: ScheduleItemOut, **_WRITE},
    operation_id="assessment_schedule_update",
    summary="Change a scheduled activity",
)
def schedule_update(
    request: HttpRequest, assessment_id: int, item_id: int, payload: ScheduleItemPatch
) -> dict[str, Any]:
    access = _plan_access(request, assessment_id)
    item = get_object_or_404(ScheduleItem, pk=item_id, assessment=access.assessment)
    changes = payload.model_dump(exclude_unset=True)
    if "reviewer_id" in changes:
        changes["reviewer"] = _user_or_none(changes.pop("reviewer_id"))
    updated = _call(
        lambda: services.schedule_item_update(actor=request.user, item=item, changes=changes)
    )
    return _schedule_item(updated)


@router.delete(
    "/assessments/{assessment_id}/schedule/{item_id}",
    response={204: None, **_WRITE},
    operation_id="assessment_schedule_delete",
    summary="Delete a scheduled activity",
)
def schedule_delete(request: HttpRequest, assessment_id: int, item_id: int):
    access = _plan_access(request, assessment_id)
    item = get_object_or_404(ScheduleItem, pk=item_id, assessment=access.assessment)
    _call(lambda: services.schedule_item_delete(actor=request.user, item=item))
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Evidence (working papers)


@router.get(
    "/assessments/{assessment_id}/evidence",
    response={200: list[EvidenceOut], **_READ},
    operation_id="assessment_evidence_list",
    summary="Evidence, newest first (the team's working papers)",
)
def evidence_list(
    request: HttpRequest, assessment_id: int, filters: Query[EvidenceQuery]
) -> list[dict[str, Any]]:
    access = _working_papers(request, assessment_id)
    return [_evidence(e) for e in evidence_for(access.assessment, indicator_code=filters.indicator)]


@router.put(
    "/assessments/{assessment_id}/evidence/{client_id}",
    response={200: EvidenceOut, 201: EvidenceOut, **_WRITE},
    operation_id="assessment_evidence_save",
    summary="Create or update evidence by its client id (idempotent)",
)
def evidence_put(
    request: HttpRequest, assessment_id: int, client_id: uuid.UUID, payload: EvidenceIn
):
    """201 when created, 200 when updated or unchanged: a retried save is stored once."""
    access = _working_papers(request, assessment_id)
    evidence, created = _call(
        lambda: services.evidence_save(
            actor=request.user,
            assessment=access.assessment,
            client_id=client_id,
            kind=payload.kind,
            source=payload.source,
            note=payload.note,
            indicator_codes=payload.indicators,
            expected_version=payload.version,
        )
    )
    evidence = Evidence.objects.select_related("collected_by").get(pk=evidence.pk)
    return Status(201 if created else 200, _evidence(evidence))


@router.delete(
    "/assessments/{assessment_id}/evidence/{client_id}",
    response={204: None, **_WRITE},
    operation_id="assessment_evidence_delete",
    summary="Delete evidence that supports no rating",
)
def evidence_remove(request: HttpRequest, assessment_id: int, client_id: uuid.UUID):
    access = _working_papers(request, assessment_id)
    item = get_object_or_404(Evidence, client_id=client_id, assessment=access.assessment)
    _call(lambda: services.evidence_delete(actor=request.user, evidence=item))
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Ratings


@router.get(
    "/assessments/{assessment_id}/ratings/mine",
    response={200: list[ReviewerRatingOut], **_READ},
    operation_id="assessment_my_ratings",
    summary="Your own ratings on a site visit",
)
def my_ratings(request: HttpRequest, assessment_id: int) -> list[dict[str, Any]]:
    access = _working_papers(request, assessment_id)
    rows = (
        ReviewerRating.objects.filter(assessment=access.assessment, reviewer=request.user)
        .select_related("indicator")
        .prefetch_related("evidence")
    )
    return [_reviewer_rating(r) for r in rows]


@router.put(
    "/assessments/{assessment_id}/ratings/mine/{indicator}",
    response={200: ReviewerRatingOut, **_WRITE},
    operation_id="assessment_my_rating_save",
    summary="Rate one indicator (lead and reviewers of a site visit)",
)
def my_rating_put(request: HttpRequest, assessment_id: int, indicator: str, payload: RatingIn):
    """A level needs a rationale and at least one evidence id of this visit; null = not rated."""
    access = _working_papers(request, assessment_id)
    row = _call(
        lambda: services.reviewer_rating_save(
            actor=request.user,
            assessment=access.assessment,
            indicator=indicator,
            level=payload.level,
            rationale=payload.rationale,
            evidence_ids=payload.evidence,
            expected_version=payload.version,
        )
    )
    return _reviewer_rating(
        ReviewerRating.objects.select_related("indicator")
        .prefetch_related("evidence")
        .get(pk=row.pk)
    )


def _consensus_access(request: HttpRequest, assessment_id: int) -> AssessmentAccess:
    """Consensus ratings are working papers until finalised; then everyone who sees the
    assessment reads them (the report's content)."""
    access = _access(request, assessment_id)
    if not (access.sees_working_papers or access.assessment.is_locked):
        raise Http404("Not found.")
    return access


@router.get(
    "/assessments/{assessment_id}/consensus",
    response={200: list[ConsensusOut], **_READ},
    operation_id="assessment_consensus_list",
    summary="The assessment's rating of each indicator",
)
def consensus_list(request: HttpRequest, assessment_id: int) -> list[dict[str, Any]]:
    access = _consensus_access(request, assessment_id)
    a = access.assessment
    labels = {lvl.code: lvl.label for lvl in scale_levels(a.framework_version)}
    rows = (
        ConsensusRating.objects.filter(assessment=a)
        .select_related("indicator")
        .prefetch_related("evidence")
        .order_by("indicator__code")
    )
    return [_consensus(c, labels, access.sees_working_papers) for c in rows]


@router.put(
    "/assessments/{assessment_id}/consensus/{indicator}",
    response={200: ConsensusOut, **_WRITE},
    operation_id="assessment_consensus_save",
    summary="Record the consensus (or a self-assessment team's) rating of one indicator",
)
def consensus_put(
    request: HttpRequest, assessment_id: int, indicator: str, payload: ConsensusIn
) -> dict[str, Any]:
    access = _working_papers(request, assessment_id)
    row = _call(
        lambda: services.consensus_rating_save(
            actor=request.user,
            assessment=access.assessment,
            indicator=indicator,
            level=payload.level,
            rationale=payload.rationale,
            strengths=payload.strengths,
            challenges=payload.challenges,
            evidence_ids=payload.evidence,
            not_priority=payload.not_priority,
            not_priority_reason=payload.not_priority_reason,
            priority_score=payload.priority_score,
            opportunity_score=payload.opportunity_score,
            expected_version=payload.version,
        )
    )
    labels = {lvl.code: lvl.label for lvl in scale_levels(access.assessment.framework_version)}
    fresh = (
        ConsensusRating.objects.select_related("indicator")
        .prefetch_related("evidence")
        .get(pk=row.pk)
    )
    return _consensus(fresh, labels, True)


@router.put(
    "/assessments/{assessment_id}/findings/{practice}",
    response={200: FindingOut, **_WRITE},
    operation_id="assessment_finding_save",
    summary="Strengths and challenges for one practice",
)
def finding_put(request: HttpRequest, assessment_id: int, practice: str, payload: FindingIn):
    access = _working_papers(request, assessment_id)
    row = _call(
        lambda: services.practice_finding_save(
            actor=request.user,
            assessment=access.assessment,
            practice=practice,
            strengths=payload.strengths,
            challenges=payload.challenges,
            expected_version=payload.version,
        )
    )
    row = PracticeFinding.objects.select_related("practice").get(pk=row.pk)
    return {
        "practice": row.practice.code,
        "strengths": row.strengths,
        "challenges": row.challenges,
        "version": row.version,
    }


@router.get(
    "/assessments/{assessment_id}/disagreement",
    response={200: list[DisagreementOut], **_READ},
    operation_id="assessment_disagreement",
    summary="Each reviewer's level per indicator, the spread and the consensus",
)
def disagreement(request: HttpRequest, assessment_id: int) -> list[dict[str, Any]]:
    access = _working_papers(request, assessment_id)
    return [
        {
            "indicator": d.code,
            "practice": d.practice_code,
            "levels": [
                {
                    "reviewer": lvl.reviewer,
                    "level": lvl.level,
                    "label": lvl.label,
                    "recorded": lvl.recorded,
                }
                for lvl in d.levels
            ],
            "spread": d.spread,
            "disagree": d.disagree,
            "marker": d.marker,
            "consensus_level": d.consensus_level,
            "has_consensus": d.has_consensus,
        }
        for d in indicator_disagreement(access.assessment)
    ]


# ---------------------------------------------------------------------------------------------
# Amendments


@router.get(
    "/assessments/{assessment_id}/amendments",
    response={200: list[AmendmentOut], **_READ},
    operation_id="assessment_amendment_list",
    summary="Changes made after finalising, newest first",
)
def amendment_list(request: HttpRequest, assessment_id: int) -> list[dict[str, Any]]:
    access = _access(request, assessment_id)
    return [_amendment(a) for a in access.assessment.amendments.select_related("made_by")]


@router.post(
    "/assessments/{assessment_id}/amendments",
    response={201: AmendmentOut, **_WRITE},
    operation_id="assessment_amend",
    summary="Amend a finalised assessment, with a reason",
)
def amendment_create(request: HttpRequest, assessment_id: int, payload: AmendmentIn):
    access = _access(request, assessment_id)
    amendment = _call(
        lambda: services.assessment_amend(
            actor=request.user,
            assessment=access.assessment,
            reason=payload.reason,
            changes=dict(payload.changes),
            indicator=payload.indicator,
            practice=payload.practice,
            expected_version=payload.version,
        )
    )
    return Status(201, _amendment(Amendment.objects.select_related("made_by").get(pk=amendment.pk)))
