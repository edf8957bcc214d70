"""Moving an assessment along: planned → in progress → consensus → finalised, then amendments."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from turnaround.assessments.models import (
    Amendment,
    Assessment,
    ConsensusRating,
    PracticeFinding,
    TeamMember,
)
from turnaround.assessments.selectors import finalise_blockers
from turnaround.assessments.services._common import (
    CREATE,
    UPDATE,
    access_of,
    audit,
    evidence_items,
    indicator_of,
    kind_noun,
    long_date,
    practice_of,
    refuse_if_locked,
    require,
    require_status,
    save_fields,
)
from turnaround.assessments.services.ratings import CONSENSUS_FIELDS, check_consensus_values
from turnaround.audit.services import model_changes, snapshot

Status = Assessment.Status


def _move(
    *, actor: Any, assessment: Assessment, to: str, expected_version: int | None
) -> Assessment:
    before = assessment.status
    assessment.status = to
    with transaction.atomic():
        save_fields(assessment, fields=["status"], expected_version=expected_version)
        audit(
            actor=actor,
            action=UPDATE,
            obj=assessment,
            assessment=assessment,
            changes={"status": [before, to]},
        )
    return assessment


def assessment_start(
    *, actor: Any, assessment: Assessment, expected_version: int | None = None
) -> Assessment:
    """Planned → in progress: evidence and ratings open."""
    access = access_of(actor, assessment)
    current = access.assessment
    refuse_if_locked(current)
    require(
        access.can_manage or (current.kind == Assessment.Kind.SELF and access.can_rate),
        f"Only the lead or state staff start this {kind_noun(current)}.",
    )
    require_status(current, (Status.PLANNED,), "start")
    if (
        current.kind == Assessment.Kind.SITE_VISIT
        and not current.team.filter(role=TeamMember.Role.LEAD).exists()
    ):
        raise ValidationError("Choose the lead reviewer before the visit starts.")
    return _move(
        actor=actor, assessment=current, to=Status.IN_PROGRESS, expected_version=expected_version
    )


def assessment_move_to_consensus(
    *, actor: Any, assessment: Assessment, expected_version: int | None = None
) -> Assessment:
    """In progress → consensus: the lead reconciles the reviewers' ratings and writes findings."""
    access = access_of(actor, assessment)
    current = access.assessment
    refuse_if_locked(current)
    require(
        access.can_record_consensus,
        "Only the lead reviewer or state staff move the visit to consensus.",
    )
    require_status(current, (Status.IN_PROGRESS,), "move to consensus")
    return _move(
        actor=actor, assessment=current, to=Status.CONSENSUS, expected_version=expected_version
    )


def assessment_finalise(
    *, actor: Any, assessment: Assessment, expected_version: int | None = None
) -> Assessment:
    """Lock the assessment. Every indicator needs a consensus row; "not rated" needs a reason."""
    access = access_of(actor, assessment)
    current = access.assessment
    refuse_if_locked(current)
    require(
        access.can_finalise,
        "Only the lead reviewer or state staff finalise a site visit."
        if current.kind == Assessment.Kind.SITE_VISIT
        else "Only the school's or district's team (or state staff) finalise this self-assessment.",
    )
    allowed = (
        (Status.CONSENSUS,)
        if current.kind == Assessment.Kind.SITE_VISIT
        else (Status.IN_PROGRESS, Status.CONSENSUS)
    )
    require_status(current, allowed, "finalise")
    blockers = finalise_blockers(current)
    if blockers:
        shown = "; ".join(blockers[:8])
        more = f"; and {len(blockers) - 8} more" if len(blockers) > 8 else ""
        raise ValidationError(f"Cannot finalise yet: {shown}{more}.")
    current.status = Status.FINALISED
    current.finalised_at = timezone.now()
    current.finalised_by = actor
    with transaction.atomic():
        save_fields(
            current,
            fields=["status", "finalised_at", "finalised_by"],
            expected_version=expected_version,
        )
        audit(
            actor=actor,
            action=UPDATE,
            obj=current,
            assessment=current,
            changes={"status": [Status.CONSENSUS, Status.FINALISED]},
        )
    return current


def assessment_amend(
    *,
    actor: Any,
    assessment: Assessment,
    reason: str,
    changes: dict[str, Any],
    indicator: str | None = None,
    practice: str | None = None,
    expected_version: int | None = None,
) -> Amendment:
    """Change a finalised assessment, with a reason: a consensus rating (``indicator``), a
    practice finding (``practice``) or the executive summary (neither). Records who, when, why,
    and the values before and after.
    """
    access = access_of(actor, assessment)
    current = access.assessment
    if not current.is_locked:
        raise ValidationError(
            f"This {kind_noun(current)} is not finalised; change it directly, no amendment needed."
        )
    if not access.can_amend:
        raise PermissionDenied(
            f"Only the lead reviewer or state staff amend a finalised {kind_noun(current)}."
        )
    reason = reason.strip()
    if not reason:
        raise ValidationError(
            {
                "reason": f"An amendment needs a reason: say why the finalised "
                f"{kind_noun(current)} changes."
            }
        )
    if indicator and practice:
        raise ValidationError("Amend one thing at a time: a rating, a finding or the summary.")
    if indicator:
        return _amend_rating(actor, current, indicator, reason, changes, expected_version)
    if practice:
        return _amend_finding(actor, current, practice, reason, changes, expected_version)
    return _amend_summary(actor, current, reason, changes, expected_version)


def _unknown(changes: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValidationError(
            dict.fromkeys(
                sorted(unknown), f"This cannot be amended here; allowed: {', '.join(allowed)}."
            )
        )


def _record(
    actor: Any, assessment: Assessment, target: str, before: dict, after: dict, reason: str
) -> Amendment:
    diff = model_changes(before, after)
    amendment = Amendment.objects.create(
        assessment=assessment,
        target=target,
        before={k: before.get(k) for k in diff},
        after={k: after.get(k) for k in diff},
        reason=reason,
        made_by=actor,
    )
    audit(
        actor=actor,
        action=CREATE,
        obj=amendment,
        assessment=assessment,
        changes={"target": target, "reason": reason, **diff},
    )
    return amendment


def _nothing_changed(assessment: Assessment) -> ValidationError:
    return ValidationError(
        f"The amendment changes nothing in the finalised {kind_noun(assessment)}."
    )


def _amend_rating(
    actor: Any,
    assessment: Assessment,
    code: str,
    reason: str,
    changes: dict[str, Any],
    expected_version: int | None,
) -> Amendment:
    _unknown(changes, CONSENSUS_FIELDS)
    ind = indicator_of(assessment.framework_version, code)
    row = ConsensusRating.objects.filter(assessment=assessment, indicator=ind).first()
    if row is None:
        raise ValidationError({"indicator": f"{ind.code} has no consensus rating to amend."})
    before = snapshot(row, CONSENSUS_FIELDS)
    for field, value in changes.items():
        setattr(row, field, value.strip() if isinstance(value, str) else value)
    if not row.not_priority:
        row.not_priority_reason = ""
    evidence = evidence_items(assessment, row.evidence.values_list("pk", flat=True))
    check_consensus_values(
        assessment,
        level=row.level,
        rationale=row.rationale,
        evidence=evidence,
        not_priority=row.not_priority,
        not_priority_reason=row.not_priority_reason,
        priority_score=row.priority_score,
        opportunity_score=row.opportunity_score,
    )
    if row.level is None and not row.rationale:
        raise ValidationError({"rationale": f"Say why {ind.code} is not rated."})
    after = snapshot(row, CONSENSUS_FIELDS)
    if before == after:
        raise _nothing_changed(assessment)
    with transaction.atomic():
        row.recorded_by = actor
        save_fields(
            row, fields=[*CONSENSUS_FIELDS, "recorded_by"], expected_version=expected_version
        )
        return _record(actor, assessment, f"rating {ind.code}", before, after, reason)


def _amend_finding(
    actor: Any,
    assessment: Assessment,
    code: str,
    reason: str,
    changes: dict[str, Any],
    expected_version: int | None,
) -> Amendment:
    _unknown(changes, ("strengths", "challenges"))
    prac = practice_of(assessment.framework_version, code)
    row = PracticeFinding.objects.filter(assessment=assessment, practice=prac).first()
    before = (
        snapshot(row, ("strengths", "challenges")) if row else {"strengths": "", "challenges": ""}
    )
    after = {**before, **{k: str(v).strip() for k, v in changes.items()}}
    if before == after:
        raise _nothing_changed(assessment)
    with transaction.atomic():
        if row is None:
            PracticeFinding.objects.create(assessment=assessment, practice=prac, **after)
        else:
            row.strengths, row.challenges = after["strengths"], after["challenges"]
            save_fields(row, fields=["strengths", "challenges"], expected_version=expected_version)
        return _record(actor, assessment, f"findings {prac.code}", before, after, reason)


def _amend_summary(
    actor: Any,
    assessment: Assessment,
    reason: str,
    changes: dict[str, Any],
    expected_version: int | None,
) -> Amendment:
    _unknown(changes, ("executive_summary",))
    before = snapshot(assessment, ("executive_summary",))
    after = {**before, **{k: str(v).strip() for k, v in changes.items()}}
    if before == after:
        raise _nothing_changed(assessment)
    with transaction.atomic():
        assessment.executive_summary = after["executive_summary"]
        save_fields(assessment, fields=["executive_summary"], expected_version=expected_version)
        return _record(actor, assessment, "executive summary", before, after, reason)


def executive_summary_save(
    *, actor: Any, assessment: Assessment, text: str, expected_version: int | None = None
) -> Assessment:
    """The report's executive summary, written before finalising (amended after)."""
    access = access_of(actor, assessment)
    current = access.assessment
    refuse_if_locked(current)
    require(
        access.can_record_consensus,
        f"Only those who record the {kind_noun(current)}'s ratings write its summary.",
    )
    text = text.strip()
    if text == current.executive_summary:
        return current
    before = current.executive_summary
    current.executive_summary = text
    with transaction.atomic():
        save_fields(current, fields=["executive_summary"], expected_version=expected_version)
        audit(
            actor=actor,
            action=UPDATE,
            obj=current,
            assessment=current,
            changes={"executive_summary": [before, text]},
        )
    return current


__all__ = [
    "assessment_amend",
    "assessment_finalise",
    "assessment_move_to_consensus",
    "assessment_start",
    "executive_summary_save",
    "long_date",
]
