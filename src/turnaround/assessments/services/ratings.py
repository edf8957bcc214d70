"""Ratings: each reviewer's own, the consensus (or a self-assessment team's) and practice findings.

``expected_version`` on every save: ``None`` skips the check (scripts, the demo), ``0`` means
"I saw no rating yet", and any other number is the version the editor loaded. A mismatch raises
``StaleEditError`` and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from turnaround.assessments.models import (
    Assessment,
    ConsensusRating,
    Evidence,
    PracticeFinding,
    ReviewerRating,
    TeamMember,
)
from turnaround.assessments.services._common import (
    CREATE,
    UPDATE,
    access_of,
    audit,
    check_level,
    check_rated_with_reasons,
    evidence_items,
    indicator_of,
    kind_noun,
    practice_of,
    refuse_if_locked,
    require,
    require_status,
    save_fields,
)
from turnaround.audit.services import model_changes, snapshot
from turnaround.core.concurrency import StaleEditError
from turnaround.frameworks.models import Indicator, Practice

RATING_OPEN = (Assessment.Status.IN_PROGRESS, Assessment.Status.CONSENSUS)
REVIEWER_FIELDS = ("level", "rationale")
CONSENSUS_FIELDS = (
    "level",
    "rationale",
    "strengths",
    "challenges",
    "not_priority",
    "not_priority_reason",
    "priority_score",
    "opportunity_score",
)
FINDING_FIELDS = ("strengths", "challenges")


def _check_expected(row: Any, expected_version: int | None, blank: Any) -> None:
    if expected_version is None:
        return
    if row is None and expected_version != 0:
        raise StaleEditError(blank)
    if row is not None and row.version != expected_version:
        raise StaleEditError(row)


def _create_once(model: type[Any], **values: Any) -> Any:
    """Create the row; if someone else created it a moment ago, that is a stale edit."""
    try:
        with transaction.atomic():
            return model.objects.create(**values)
    except IntegrityError as exc:
        raise StaleEditError(model(**values)) from exc


def _evidence_ids(evidence: Sequence[Evidence]) -> list[int]:
    return sorted(e.pk for e in evidence)


def reviewer_rating_save(
    *,
    actor: Any,
    assessment: Assessment,
    indicator: str | Indicator,
    level: int | None,
    rationale: str = "",
    evidence_ids: Sequence[int] = (),
    expected_version: int | None = None,
) -> ReviewerRating:
    """A site-visit reviewer's (or the lead's) own rating of one indicator.

    A level needs a rationale and at least one piece of this visit's evidence (turnaround-practice
    §2.1); ``level=None`` records "not rated".
    """
    access = access_of(actor, assessment)
    current = access.assessment
    refuse_if_locked(current)
    if current.kind != Assessment.Kind.SITE_VISIT:
        raise ValidationError(
            "A self-assessment has no individual reviewer ratings; record the team's rating."
        )
    require(
        access.seat in (TeamMember.Role.LEAD, TeamMember.Role.REVIEWER),
        "Only the visit's lead and reviewers rate; you are not on this visit's team.",
    )
    require_status(current, RATING_OPEN, "rate")
    version = current.framework_version
    ind = indicator_of(version, indicator)
    check_level(version, level)
    rationale = rationale.strip()
    evidence = evidence_items(current, evidence_ids)
    check_rated_with_reasons(
        current, level=level, rationale=rationale, evidence=evidence, needs_evidence=True
    )
    row = ReviewerRating.objects.filter(assessment=current, indicator=ind, reviewer=actor).first()
    _check_expected(
        row,
        expected_version,
        ReviewerRating(assessment=current, indicator=ind, reviewer=actor),
    )
    with transaction.atomic():
        if row is None:
            row = _create_once(
                ReviewerRating,
                assessment=current,
                indicator=ind,
                reviewer=actor,
                level=level,
                rationale=rationale,
            )
            row.evidence.set(evidence)
            audit(
                actor=actor,
                action=CREATE,
                obj=row,
                assessment=current,
                changes={
                    "indicator": ind.code,
                    "level": level,
                    "evidence": _evidence_ids(evidence),
                },
            )
            return row
        before = {
            **snapshot(row, REVIEWER_FIELDS),
            "evidence": sorted(row.evidence.values_list("pk", flat=True)),
        }
        row.level, row.rationale = level, rationale
        after = {**snapshot(row, REVIEWER_FIELDS), "evidence": _evidence_ids(evidence)}
        diff = model_changes(before, after)
        if not diff:
            return row
        save_fields(row, fields=list(REVIEWER_FIELDS), expected_version=row.version)
        if "evidence" in diff:
            row.evidence.set(evidence)
        audit(
            actor=actor,
            action=UPDATE,
            obj=row,
            assessment=current,
            changes={"indicator": ind.code, **diff},
        )
    return row


def check_consensus_values(
    assessment: Assessment,
    *,
    level: int | None,
    rationale: str,
    evidence: Sequence[Evidence],
    not_priority: bool,
    not_priority_reason: str,
    priority_score: int | None,
    opportunity_score: int | None,
) -> None:
    """The rules of a consensus (or self-assessment) rating, shared with amendments."""
    version = assessment.framework_version
    check_level(version, level)
    check_rated_with_reasons(
        assessment,
        level=level,
        rationale=rationale,
        evidence=evidence,
        needs_evidence=assessment.kind == Assessment.Kind.SITE_VISIT,
    )
    errors: dict[str, str] = {}
    for field, value in (
        ("priority_score", priority_score),
        ("opportunity_score", opportunity_score),
    ):
        if value is not None and value not in (1, 2, 3):
            name = "priority" if field == "priority_score" else "opportunity"
            errors[field] = f"The {name} score is 1, 2 or 3 (it was {value})."
    if not_priority:
        scale = version.scale
        lowest = scale.levels.order_by("code").first()
        if not scale.allows_not_priority:
            errors["not_priority"] = f"The scale “{scale.name}” has no “not a priority” mark."
        elif lowest is None or level != lowest.code:
            label = f"{lowest.code} {lowest.label}" if lowest else "the lowest level"
            errors["not_priority"] = (
                f"Only an indicator rated at the lowest level ({label}) can be marked "
                "not a priority."
            )
        if not not_priority_reason.strip():
            errors["not_priority_reason"] = "Say why this indicator is not a priority."
        if priority_score is not None or opportunity_score is not None:
            errors["priority_score"] = (
                "An indicator marked not a priority takes no priority or opportunity score."
            )
    if errors:
        raise ValidationError(errors)


def consensus_rating_save(
    *,
    actor: Any,
    assessment: Assessment,
    indicator: str | Indicator,
    level: int | None,
    rationale: str = "",
    strengths: str = "",
    challenges: str = "",
    evidence_ids: Sequence[int] = (),
    not_priority: bool = False,
    not_priority_reason: str = "",
    priority_score: int | None = None,
    opportunity_score: int | None = None,
    expected_version: int | None = None,
) -> ConsensusRating:
    """The assessment's rating of one indicator: the lead's or state staff's consensus on a site
    visit, the team's own rating on a self-assessment."""
    access = access_of(actor, assessment)
    current = access.assessment
    refuse_if_locked(current)
    require(
        access.can_record_consensus,
        "Only the lead reviewer or state staff record the consensus."
        if current.kind == Assessment.Kind.SITE_VISIT
        else "Only the school's or district's team (or state staff) rate this self-assessment.",
    )
    require_status(current, RATING_OPEN, "rate")
    ind = indicator_of(current.framework_version, indicator)
    rationale, strengths, challenges = rationale.strip(), strengths.strip(), challenges.strip()
    not_priority_reason = not_priority_reason.strip() if not_priority else ""
    evidence = evidence_items(current, evidence_ids)
    check_consensus_values(
        current,
        level=level,
        rationale=rationale,
        evidence=evidence,
        not_priority=not_priority,
        not_priority_reason=not_priority_reason,
        priority_score=priority_score,
        opportunity_score=opportunity_score,
    )
    values = {
        "level": level,
        "rationale": rationale,
        "strengths": strengths,
        "challenges": challenges,
        "not_priority": not_priority,
        "not_priority_reason": not_priority_reason,
        "priority_score": priority_score,
        "opportunity_score": opportunity_score,
    }
    row = ConsensusRating.objects.filter(assessment=current, indicator=ind).first()
    _check_expected(
        row, expected_version, ConsensusRating(assessment=current, indicator=ind, recorded_by=actor)
    )
    with transaction.atomic():
        if row is None:
            row = _create_once(
                ConsensusRating, assessment=current, indicator=ind, recorded_by=actor, **values
            )
            row.evidence.set(evidence)
            audit(
                actor=actor,
                action=CREATE,
                obj=row,
                assessment=current,
                changes={"indicator": ind.code, **values, "evidence": _evidence_ids(evidence)},
            )
            return row
        before = {
            **snapshot(row, CONSENSUS_FIELDS),
            "evidence": sorted(row.evidence.values_list("pk", flat=True)),
        }
        for field, value in values.items():
            setattr(row, field, value)
        after = {**snapshot(row, CONSENSUS_FIELDS), "evidence": _evidence_ids(evidence)}
        diff = model_changes(before, after)
        if not diff:
            return row
        row.recorded_by = actor
        save_fields(row, fields=[*CONSENSUS_FIELDS, "recorded_by"], expected_version=row.version)
        if "evidence" in diff:
            row.evidence.set(evidence)
        audit(
            actor=actor,
            action=UPDATE,
            obj=row,
            assessment=current,
            changes={"indicator": ind.code, **diff},
        )
    return row


def practice_finding_save(
    *,
    actor: Any,
    assessment: Assessment,
    practice: str | Practice,
    strengths: str,
    challenges: str,
    expected_version: int | None = None,
) -> PracticeFinding:
    """The strengths and challenges the team writes for one practice."""
    access = access_of(actor, assessment)
    current = access.assessment
    refuse_if_locked(current)
    require(
        access.can_record_consensus,
        f"Only those who record the {kind_noun(current)}'s ratings write its findings.",
    )
    require_status(current, RATING_OPEN, "write findings")
    prac = practice_of(current.framework_version, practice)
    strengths, challenges = strengths.strip(), challenges.strip()
    row = PracticeFinding.objects.filter(assessment=current, practice=prac).first()
    _check_expected(row, expected_version, PracticeFinding(assessment=current, practice=prac))
    with transaction.atomic():
        if row is None:
            row = _create_once(
                PracticeFinding,
                assessment=current,
                practice=prac,
                strengths=strengths,
                challenges=challenges,
            )
            audit(
                actor=actor,
                action=CREATE,
                obj=row,
                assessment=current,
                changes={"practice": prac.code, **snapshot(row, FINDING_FIELDS)},
            )
            return row
        before = snapshot(row, FINDING_FIELDS)
        row.strengths, row.challenges = strengths, challenges
        diff = model_changes(before, snapshot(row, FINDING_FIELDS))
        if not diff:
            return row
        save_fields(row, fields=list(FINDING_FIELDS), expected_version=row.version)
        audit(
            actor=actor,
            action=UPDATE,
            obj=row,
            assessment=current,
            changes={"practice": prac.code, **diff},
        )
    return row
