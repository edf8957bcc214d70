"""Planning a site visit: the schedule by day, document requests and the pre-visit questionnaire."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from turnaround.accounts.models import User
from turnaround.assessments.access import AssessmentAccess
from turnaround.assessments.models import Assessment, DocumentRequest, ScheduleItem, TeamMember
from turnaround.assessments.services._common import (
    CREATE,
    DELETE,
    UPDATE,
    access_of,
    audit,
    long_date,
    plain_snapshot,
    refuse_if_locked,
    require,
    save_fields,
)
from turnaround.audit.services import model_changes

SCHEDULE_FIELDS = (
    "day",
    "starts_at",
    "ends_at",
    "activity",
    "title",
    "participants",
    "location",
    "reviewer_id",
    "consent_required",
    "consent_recorded",
)
#: Activities with students that need recorded consent where the state requires it.
CONSENT_ACTIVITIES = (ScheduleItem.Activity.FOCUS_GROUP, ScheduleItem.Activity.SURVEY)


def needs_consent(activity: str, participants: str) -> bool:
    """A focus group or survey with students needs recorded consent."""
    return activity in CONSENT_ACTIVITIES and "student" in participants.lower()


def _manage(actor: Any, assessment: Assessment) -> AssessmentAccess:
    access = access_of(actor, assessment)
    refuse_if_locked(access.assessment)
    require(access.can_manage, "Only the lead reviewer or state staff plan the visit.")
    return access


def _site_visit_only(assessment: Assessment) -> None:
    if assessment.kind != Assessment.Kind.SITE_VISIT:
        raise ValidationError("A self-assessment has no visit schedule.")


def _check_item(assessment: Assessment, item: ScheduleItem) -> None:
    errors: dict[str, str] = {}
    if not (assessment.start_date <= item.day <= assessment.end_date):
        span = long_date(assessment.start_date)
        if assessment.end_date != assessment.start_date:
            span += f" to {long_date(assessment.end_date)}"
        errors["day"] = f"The day must fall within the visit ({span})."
    if item.ends_at <= item.starts_at:
        errors["ends_at"] = (
            f"The activity must end after it starts ({item.starts_at:%H:%M}); "
            f"it ends at {item.ends_at:%H:%M}."
        )
    if item.activity not in ScheduleItem.Activity.values:
        errors["activity"] = f"Choose one of: {', '.join(ScheduleItem.Activity.values)}."
    if not item.title.strip():
        errors["title"] = "Say what the activity is, e.g. “Grade 4 teacher focus group”."
    if (
        item.reviewer_id is not None
        and not TeamMember.objects.filter(
            assessment=assessment,
            user_id=item.reviewer_id,
            role__in=(TeamMember.Role.LEAD, TeamMember.Role.REVIEWER),
        ).exists()
    ):
        errors["reviewer"] = "The reviewer must be the lead or a reviewer on this visit's team."
    if errors:
        raise ValidationError(errors)
    if needs_consent(item.activity, item.participants):
        item.consent_required = True


def schedule_item_add(
    *,
    actor: Any,
    assessment: Assessment,
    day: dt.date,
    starts_at: dt.time,
    ends_at: dt.time,
    activity: str,
    title: str,
    participants: str = "",
    location: str = "",
    reviewer: User | None = None,
    consent_required: bool = False,
) -> ScheduleItem:
    """Schedule one activity on a day of the visit; a focus group or survey with students is
    flagged as needing consent."""
    current = _manage(actor, assessment).assessment
    _site_visit_only(current)
    item = ScheduleItem(
        assessment=current,
        day=day,
        starts_at=starts_at,
        ends_at=ends_at,
        activity=activity,
        title=title.strip(),
        participants=participants.strip(),
        location=location.strip(),
        reviewer=reviewer,
        consent_required=consent_required,
    )
    _check_item(current, item)
    with transaction.atomic():
        item.save()
        audit(
            actor=actor,
            action=CREATE,
            obj=item,
            assessment=current,
            changes=plain_snapshot(item, SCHEDULE_FIELDS),
        )
    return item


def schedule_item_update(
    *, actor: Any, item: ScheduleItem, changes: dict[str, Any]
) -> ScheduleItem:
    """Change fields of a scheduled activity (``reviewer`` is a user or ``None``)."""
    allowed = {f.removesuffix("_id") for f in SCHEDULE_FIELDS}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed here."))
    current = _manage(actor, item.assessment).assessment
    item = ScheduleItem.objects.get(pk=item.pk)
    before = plain_snapshot(item, SCHEDULE_FIELDS)
    for field, value in changes.items():
        setattr(item, field, value.strip() if isinstance(value, str) else value)
    _check_item(current, item)
    diff = model_changes(before, plain_snapshot(item, SCHEDULE_FIELDS))
    if not diff:
        return item
    with transaction.atomic():
        item.save(update_fields=[f.removesuffix("_id") for f in diff])
        audit(actor=actor, action=UPDATE, obj=item, assessment=current, changes=diff)
    return item


def schedule_item_delete(*, actor: Any, item: ScheduleItem) -> None:
    current = _manage(actor, item.assessment).assessment
    with transaction.atomic():
        audit(
            actor=actor,
            action=DELETE,
            obj=item,
            assessment=current,
            changes=plain_snapshot(item, SCHEDULE_FIELDS),
        )
        item.delete()


# ---------------------------------------------------------------------------------------------
# Document requests

DOCUMENT_FIELDS = ("title", "description", "due_date", "received")


def _check_document(request: DocumentRequest) -> None:
    if not request.title.strip():
        raise ValidationError({"title": "Name the document, e.g. “master schedule”."})
    if len(request.title) > 200:
        raise ValidationError({"title": "A title is at most 200 characters."})


def document_request_add(
    *,
    actor: Any,
    assessment: Assessment,
    title: str,
    description: str = "",
    due_date: dt.date | None = None,
) -> DocumentRequest:
    """Ask the school for a document before the visit."""
    current = _manage(actor, assessment).assessment
    request = DocumentRequest(
        assessment=current, title=title.strip(), description=description.strip(), due_date=due_date
    )
    _check_document(request)
    with transaction.atomic():
        request.save()
        audit(
            actor=actor,
            action=CREATE,
            obj=request,
            assessment=current,
            changes=plain_snapshot(request, DOCUMENT_FIELDS),
        )
    return request


def document_request_update(
    *, actor: Any, request: DocumentRequest, changes: dict[str, Any]
) -> DocumentRequest:
    """The lead or state staff change any field; the school's team marks a document received."""
    unknown = set(changes) - set(DOCUMENT_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed here."))
    access = access_of(actor, request.assessment_id)
    current = access.assessment
    refuse_if_locked(current)
    school_side = access.seat == TeamMember.Role.SCHOOL_TEAM or access.is_subject
    if not access.can_manage:
        require(
            school_side and set(changes) <= {"received"},
            "Only the lead reviewer or state staff change document requests; "
            "the school's team marks them received.",
        )
    request = DocumentRequest.objects.get(pk=request.pk)
    before = plain_snapshot(request, DOCUMENT_FIELDS)
    for field, value in changes.items():
        setattr(request, field, value.strip() if isinstance(value, str) else value)
    _check_document(request)
    diff = model_changes(before, plain_snapshot(request, DOCUMENT_FIELDS))
    if not diff:
        return request
    with transaction.atomic():
        request.save(update_fields=list(diff))
        audit(actor=actor, action=UPDATE, obj=request, assessment=current, changes=diff)
    return request


# ---------------------------------------------------------------------------------------------
# Pre-visit questionnaire: a list of {"question", "answer"} on the assessment


def questionnaire_set(
    *,
    actor: Any,
    assessment: Assessment,
    questions: list[str],
    expected_version: int | None = None,
) -> Assessment:
    """Set the questions; answers already given to an unchanged question are kept."""
    current = _manage(actor, assessment).assessment
    cleaned = [q.strip() for q in questions if q and q.strip()]
    if len(set(cleaned)) != len(cleaned):
        raise ValidationError({"questions": "Each question appears once."})
    if any(len(q) > 1000 for q in cleaned):
        raise ValidationError({"questions": "A question is at most 1,000 characters."})
    answers = {item.get("question"): item.get("answer", "") for item in current.questionnaire}
    before = list(current.questionnaire)
    current.questionnaire = [{"question": q, "answer": answers.get(q, "")} for q in cleaned]
    if current.questionnaire == before:
        return current
    with transaction.atomic():
        save_fields(current, fields=["questionnaire"], expected_version=expected_version)
        audit(
            actor=actor,
            action=UPDATE,
            obj=current,
            assessment=current,
            changes={"questions": [[i["question"] for i in before], cleaned]},
        )
    return current


def questionnaire_answer(
    *,
    actor: Any,
    assessment: Assessment,
    answers: list[str],
    expected_version: int | None = None,
) -> Assessment:
    """The school answers the pre-visit questionnaire, one answer per question, in order."""
    access = access_of(actor, assessment)
    current = access.assessment
    refuse_if_locked(current)
    require(
        access.can_manage or access.seat == TeamMember.Role.SCHOOL_TEAM or access.is_subject,
        "Only the school's or district's team (or the lead) answers the questionnaire.",
    )
    questions = list(current.questionnaire)
    if not questions:
        raise ValidationError({"answers": "This visit has no pre-visit questionnaire yet."})
    if len(answers) != len(questions):
        raise ValidationError(
            {
                "answers": f"Give one answer per question: {len(questions)} questions, "
                f"{len(answers)} answers."
            }
        )
    if any(len(a) > 10000 for a in answers):
        raise ValidationError({"answers": "An answer is at most 10,000 characters."})
    before = [q.get("answer", "") for q in questions]
    after = [a.strip() for a in answers]
    if before == after:
        return current
    current.questionnaire = [
        {"question": q["question"], "answer": a} for q, a in zip(questions, after, strict=True)
    ]
    with transaction.atomic():
        save_fields(current, fields=["questionnaire"], expected_version=expected_version)
        audit(
            actor=actor,
            action=UPDATE,
            obj=current,
            assessment=current,
            changes={"answers": [before, after]},
        )
    return current
