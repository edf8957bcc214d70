"""Input and output shapes of the vetting API: cycles, criteria, applications, reviews, scores
with agreement, decisions and Priority Partner designations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from turnaround.partners.models import Application, Decision, ReviewAssignment, VettingCycle
from turnaround.partners.needs import GradeBand, NeedArea
from turnaround.partners.services.vetting import DesignationStatus

CYCLE_STATUSES = list(VettingCycle.Status.values)
APPLICATION_STATUSES = list(Application.Status.values)
AREAS = list(NeedArea.values)
BANDS = list(GradeBand.values)


def _enum(values: list[str]) -> dict[str, list[str]]:
    return {"enum": values}


class Ref(Schema):
    id: int
    name: str


# ---------------------------------------------------------------------------------------------
# Cycles and criteria


class CriterionOut(Schema):
    id: int
    name: str
    description: str
    weight: Decimal
    order: int


class CriterionIn(Schema):
    name: str = Field(..., max_length=200)
    weight: Decimal = Field(..., description="Above 0, two decimals.")
    description: str = ""
    order: int | None = Field(None, description="Position; after the last when omitted.")


class CriterionPatch(Schema):
    name: str | None = Field(None, max_length=200)
    weight: Decimal | None = None
    description: str | None = None
    order: int | None = None


class CyclePermissions(Schema):
    can_manage: bool = Field(..., description="State administrator: criteria, status, decisions.")
    is_state_staff: bool = Field(..., description="Sees every submitted application and score.")
    can_apply: bool = Field(..., description="Partner staff whose organisation may still apply.")


class CycleOut(Schema):
    id: int
    state: str = Field(..., description="The state's code, e.g. MA.")
    name: str
    description: str
    need_areas: list[str] = Field(..., json_schema_extra={"items": _enum(AREAS)})
    status: str = Field(..., json_schema_extra=_enum(CYCLE_STATUSES))
    opens_on: dt.date
    closes_on: dt.date
    scale_min: int
    scale_max: int
    approval_threshold: Decimal
    designation_starts_on: dt.date
    designation_years: int
    version: int = Field(..., description="Send it back when you change the cycle.")


class CycleDetailOut(CycleOut):
    criteria: list[CriterionOut]
    allowed_moves: list[str] = Field(
        ..., description="The statuses the cycle may move to next (for its administrators)."
    )
    permissions: CyclePermissions


class CycleIn(Schema):
    state_id: int | None = Field(
        None, description="The state; may be omitted when you administer exactly one."
    )
    name: str = Field(..., max_length=200)
    description: str = ""
    need_areas: list[str] = Field(..., json_schema_extra={"items": _enum(AREAS)})
    opens_on: dt.date
    closes_on: dt.date = Field(..., description="On or after opens_on.")
    scale_min: int = 1
    scale_max: int = Field(4, description="Above scale_min.")
    approval_threshold: Decimal = Field(Decimal("3"), description="On the scale.")
    designation_starts_on: dt.date
    designation_years: int = Field(3, description="1 to 10.")


class CyclePatch(Schema):
    version: int = Field(..., description="The version you loaded (stale edits answer 409).")
    name: str | None = Field(None, max_length=200)
    description: str | None = None
    need_areas: list[str] | None = None
    opens_on: dt.date | None = None
    closes_on: dt.date | None = None
    scale_min: int | None = None
    scale_max: int | None = None
    approval_threshold: Decimal | None = None
    designation_starts_on: dt.date | None = None
    designation_years: int | None = None


class StatusIn(Schema):
    status: str = Field(
        ...,
        description="The next status: draft → open → review → decided.",
        json_schema_extra=_enum(CYCLE_STATUSES),
    )
    version: int | None = Field(None, description="The version you loaded, to detect stale edits.")


class VersionIn(Schema):
    version: int | None = Field(None, description="The version you loaded, to detect stale edits.")


# ---------------------------------------------------------------------------------------------
# Applications


class EvidenceRef(Schema):
    id: int
    claim: str
    need_area: str
    tier: int = Field(..., description="The tier the partner claims (1 strong … 4 rationale).")
    confirmed_tier: int | None = Field(None, description="The state's confirmation, if any.")


class DecisionOut(Schema):
    outcome: str = Field(..., json_schema_extra=_enum(list(Decision.Outcome.values)))
    need_areas: list[str]
    rationale: str
    decided_at: dt.datetime
    weighted_score: Decimal | None = Field(
        None, description="Shown to those who see the scores; null for the applicant."
    )
    designation_ids: list[int]


class ApplicationPermissions(Schema):
    is_applicant: bool
    can_edit: bool
    can_manage: bool
    is_state_staff: bool
    sees_all_scores: bool
    can_score: bool
    review_id: int | None = Field(None, description="Your own review of it, when you review it.")


class ApplicationOut(Schema):
    id: int
    cycle: Ref
    partner: Ref
    status: str = Field(..., json_schema_extra=_enum(APPLICATION_STATUSES))
    need_areas: list[str]
    grade_bands: list[str]
    track_record: str
    measured_results: str
    approach: str
    capacity: str
    references: str
    evidence: list[EvidenceRef]
    submitted_at: dt.datetime | None
    version: int
    decision: DecisionOut | None
    missing_for_submission: list[str] = Field(
        ..., description="For a draft, the fields still needed before submitting."
    )
    permissions: ApplicationPermissions


class ApplicationPage(Schema):
    count: int
    items: list[ApplicationOut]


class ApplicationIn(Schema):
    partner_id: int | None = Field(
        None, description="Your organisation; may be omitted when you work for exactly one."
    )
    need_areas: list[str] = Field(default_factory=list, json_schema_extra={"items": _enum(AREAS)})
    grade_bands: list[str] = Field(default_factory=list, json_schema_extra={"items": _enum(BANDS)})
    track_record: str = ""
    measured_results: str = ""
    approach: str = ""
    capacity: str = ""
    references: str = ""
    evidence_ids: list[int] = Field(
        default_factory=list, description="Evidence claims of your own registry entry."
    )


class ApplicationPatch(Schema):
    version: int = Field(..., description="The version you loaded (stale edits answer 409).")
    need_areas: list[str] | None = None
    grade_bands: list[str] | None = None
    track_record: str | None = None
    measured_results: str | None = None
    approach: str | None = None
    capacity: str | None = None
    references: str | None = None
    evidence_ids: list[int] | None = None


class ApplicationQuery(Schema):
    cycle: int | None = Field(None, description="Only applications to this cycle (an id).")
    status: str = Field("", json_schema_extra=_enum(APPLICATION_STATUSES))


# ---------------------------------------------------------------------------------------------
# Reviews and scores


class ScoreOut(Schema):
    criterion_id: int
    criterion: str
    score: int
    comment: str


class ReviewOut(Schema):
    id: int
    application_id: int
    partner: Ref
    cycle: Ref
    reviewer_id: int
    reviewer: str
    conflict: str = Field(
        ...,
        description="Empty until declared; none or declared.",
        json_schema_extra=_enum(list(ReviewAssignment.Conflict.values)),
    )
    conflict_note: str
    submitted_at: dt.datetime | None
    version: int


class OwnReviewOut(ReviewOut):
    comment: str
    scores: list[ScoreOut] = Field(..., description="Your own scores only.")
    can_score: bool


class AssignIn(Schema):
    reviewer_id: int


class ConflictIn(Schema):
    conflict: str = Field(..., json_schema_extra=_enum(["none", "declared"]))
    note: str = Field("", description="Required when declaring a conflict.")
    version: int | None = None


class ScoreIn(Schema):
    criterion_id: int
    score: int = Field(..., description="A whole number within the cycle's scale.")
    comment: str = ""


class ScoresIn(Schema):
    scores: list[ScoreIn] = Field(..., description="Every criterion of the cycle exactly once.")
    comment: str | None = Field(None, description="An overall comment (unchanged when omitted).")
    version: int | None = None


class CriterionScoresOut(Schema):
    criterion_id: int
    criterion: str
    weight: Decimal
    scores: list[int | None] = Field(..., description="One per reviewer, in reviewers' order.")
    mean: float | None
    sd: float | None
    range: float | None
    differs_by_more_than_one: bool


class ReviewerTotalOut(Schema):
    review_id: int
    reviewer: str
    weighted_score: Decimal | None


class AgreementOut(Schema):
    metric: str = Field("interval", description="Krippendorff's alpha, interval metric.")
    alpha: float | None
    reading: str = Field(..., description='e.g. "alpha 0.62: moderate agreement".')
    refusal: str = Field(..., description="Why alpha was not computed (empty when it was).")
    n_reviewers: int
    n_pairable: int


class ScoreSummaryOut(Schema):
    application_id: int
    scale_min: int
    scale_max: int
    reviewers: list[ReviewerTotalOut] = Field(
        ..., description="Submitted reviews without a declared conflict."
    )
    criteria: list[CriterionScoresOut]
    weighted_score: Decimal | None
    approval_threshold: Decimal
    meets_threshold: bool | None
    agreement: AgreementOut
    flagged: list[str] = Field(..., description="Criteria where reviewers differ by over 1 point.")
    flagged_text: str
    pending: int
    conflicts: int


# ---------------------------------------------------------------------------------------------
# Decisions and designations


class DecisionIn(Schema):
    outcome: str = Field(..., json_schema_extra=_enum(list(Decision.Outcome.values)))
    need_areas: list[str] = Field(
        default_factory=list, description="Approved areas (a subset of those applied for)."
    )
    rationale: str


class DesignationOut(Schema):
    id: int
    partner: Ref
    state: str
    need_area: str
    starts_on: dt.date
    expires_on: dt.date
    status: str = Field(..., json_schema_extra=_enum(list(DesignationStatus.VALUES)))
    evidence_tier: int | None
    renews_id: int | None
    renewed_by_id: int | None
    decision_application_id: int | None
    revoked_at: dt.datetime | None
    revoked_reason: str


class DesignationQuery(Schema):
    status: str = Field("", json_schema_extra=_enum(list(DesignationStatus.VALUES)))
    partner: int | None = None
    need_area: str = Field("", json_schema_extra=_enum(AREAS))


class RevokeIn(Schema):
    reason: str
