"""Exit reviews: judge a designation's exit criteria against the stored data and record the
reviewer's decision — exit, continue or escalate — with the rationale.

The evidence is evaluated again when the decision is recorded (``evidence.exit_evidence`` and the
pure ``exit_evaluate``) and kept with the review as it stood, so a later data change does not
rewrite why a decision was made. An *exit* closes the designation (the first year out of status is
the year after the review year, with the rationale as the reason); *escalate* closes it and opens
the more severe status from that year; *continue* keeps it open and sets the next review year.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from turnaround.accountability.access import manages_state
from turnaround.accountability.evidence import exit_evidence
from turnaround.accountability.models import (
    CLOSED_PHASES,
    Designation,
    ExitReview,
)
from turnaround.accountability.services.designations import (
    AUDITED,
    NOT_ALLOWED,
    _check_version,
    _fresh,
    _label,
    _save,
    designation_escalate,
    designation_exit,
)
from turnaround.analytics.accountability.designation_rules import escalation_of
from turnaround.analytics.accountability.exit_criteria import (
    CriterionError,
    ExitEvaluation,
    criteria_from_data,
    exit_evaluate,
)
from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record, snapshot


def evaluation_data(evaluation: ExitEvaluation) -> list[dict[str, Any]]:
    """The evaluation as stored with a review (and served by the API)."""
    return [
        {
            "kind": r.criterion.kind,
            "label": r.criterion.label,
            "params": r.criterion.as_data(),
            "status": r.status,
            "summary": r.summary,
            "items": [
                {"what": i.what, "year": i.year, "value": i.value, "ok": i.ok} for i in r.items
            ],
        }
        for r in evaluation.results
    ]


def exit_evaluation(designation: Designation, review_year: int) -> ExitEvaluation:
    """The designation's exit criteria judged against the stored data for ``review_year``."""
    try:
        criteria = criteria_from_data(list(designation.exit_criteria or []))
    except CriterionError as exc:
        raise ValidationError({"exit_criteria": list(exc.problems)}) from exc
    return exit_evaluate(criteria, exit_evidence(designation, review_year))


def exit_review_record(
    *,
    actor: Any,
    designation: Designation,
    review_year: Any,
    decision: str,
    rationale: str,
    expected_version: int | None = None,
    next_review_year: int | None = None,
) -> ExitReview:
    """Record an exit review and apply its decision to the designation (one transaction)."""
    current = _fresh(designation)
    if not manages_state(actor, current.school.district.state_id):
        raise PermissionDenied(NOT_ALLOWED)
    expected = _check_version(current, expected_version)
    errors: dict[str, list[str]] = {}
    if current.phase in CLOSED_PHASES:
        raise ValidationError(
            {
                "decision": f"This designation already ended in {current.exited_year}; exit "
                "reviews are for open designations."
            }
        )
    if isinstance(review_year, bool) or not isinstance(review_year, int):
        errors["review_year"] = [f"give the year judged (a spring year), got {review_year!r}"]
    elif not current.entered_year <= review_year <= 2100:
        errors["review_year"] = [
            f"the year judged must be from the year entered ({current.entered_year}) on; "
            f"got {review_year}"
        ]
    choices = ExitReview.Decision.values
    if decision not in choices:
        errors["decision"] = [f"choose one of {', '.join(choices)}; got {decision!r}"]
    elif decision == ExitReview.Decision.ESCALATE and escalation_of(current.status) is None:
        errors["decision"] = [
            f"{_label(current.status)} has no more severe status to escalate to; choose exit "
            "or continue."
        ]
    rationale = (rationale or "").strip()
    if not rationale:
        errors["rationale"] = ["Give the reviewer's rationale: it is kept with the decision."]
    if (
        next_review_year is not None
        and isinstance(review_year, int)
        and next_review_year <= review_year
    ):
        errors["next_review_year"] = [
            f"the next review comes after this one ({review_year}); got {next_review_year}"
        ]
    if errors:
        raise ValidationError(errors)
    evaluation = exit_evaluation(current, review_year)
    with transaction.atomic():
        review = ExitReview.objects.create(
            designation=current,
            review_year=review_year,
            criteria=list(current.exit_criteria or []),
            results=evaluation_data(evaluation),
            all_met=evaluation.all_met,
            decision=decision,
            rationale=rationale,
            next_review_year=(
                (next_review_year or review_year + 1)
                if decision == ExitReview.Decision.CONTINUE
                else None
            ),
            decided_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            obj=review,
            object_repr=f"Exit review of {current.school.name} ({review_year}): {decision}",
            state_id=current.school.district.state_id,
            changes={
                "designation": current.pk,
                "review_year": review_year,
                "decision": decision,
                "all_met": evaluation.all_met,
                "counts": evaluation.counts,
            },
        )
        extra = {"exit_review": review.pk}
        if decision == ExitReview.Decision.EXIT:
            designation_exit(
                actor=actor,
                designation=current,
                exited_year=review_year + 1,
                reason=rationale,
                expected_version=expected,
                extra=extra,
            )
        elif decision == ExitReview.Decision.ESCALATE:
            new = designation_escalate(
                actor=actor,
                designation=current,
                year=review_year + 1,
                reason=rationale,
                expected_version=expected,
                extra=extra,
            )
            ExitReview.objects.filter(pk=review.pk).update(escalated_to=new)
            review.escalated_to = new
        else:  # continue: the next review year becomes the year eligible to exit
            before = snapshot(current, AUDITED)
            current.eligible_exit_year = review.next_review_year
            _save(actor, current, before, expected, action="continue", **extra)
    return review
