"""Input and output shapes of the assessments API (self-assessments and site visits)."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Field, Schema

from turnaround.assessments.models import Assessment, Evidence, ScheduleItem, TeamMember

KINDS = list(Assessment.Kind.values)
STATUSES = list(Assessment.Status.values)
SCHOOL_YEAR_PATTERN = r"^\d{4}-\d{2}$"
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"


def _enum(values: list[str]) -> dict[str, list[str]]:
    return {"enum": values}


# ---------------------------------------------------------------------------------------------
# Queries


class AssessmentQuery(Schema):
    kind: str = Field("", description="self or site_visit.", json_schema_extra=_enum(KINDS))
    status: str = Field(
        "",
        description="planned, in_progress, consensus or finalised.",
        json_schema_extra=_enum(STATUSES),
    )
    school_year: str = Field("", description="e.g. 2025-26.")
    school: int | None = Field(None, description="Only assessments of this school (an id).")
    district: int | None = Field(
        None, description="Only assessments of this district (an id), not of its schools."
    )


class EvidenceQuery(Schema):
    indicator: str = Field("", description="Only evidence tagged to this indicator code.")


# ---------------------------------------------------------------------------------------------
# Assessments


class OrgRef(Schema):
    id: int
    name: str


class VersionRef(Schema):
    id: int
    framework: str
    number: int
    label: str
    scale: str


class Permissions(Schema):
    seat: str = Field(..., description="lead, reviewer, school_team, or empty when not seated.")
    sees_working_papers: bool = Field(
        ..., description="Evidence notes and each reviewer's own ratings."
    )
    can_manage: bool
    can_rate: bool
    can_record_consensus: bool
    can_finalise: bool
    can_amend: bool


class AssessmentOut(Schema):
    id: int
    kind: str = Field(..., json_schema_extra=_enum(KINDS))
    status: str = Field(..., json_schema_extra=_enum(STATUSES))
    title: str
    school_year: str
    start_date: dt.date
    end_date: dt.date
    school: OrgRef | None
    district: OrgRef | None
    framework_version: VersionRef
    version: int = Field(..., description="Send it back when you change the assessment.")
    finalised_at: dt.datetime | None


class AssessmentPage(Schema):
    count: int
    items: list[AssessmentOut]


class TeamMemberOut(Schema):
    id: int
    user_id: int
    username: str
    role: str = Field(..., json_schema_extra=_enum(list(TeamMember.Role.values)))


class QuestionOut(Schema):
    question: str
    answer: str


class AssessmentDetailOut(AssessmentOut):
    purpose: str
    executive_summary: str
    questionnaire: list[QuestionOut] = Field(
        ..., description="Shown to the team and state staff; empty for others."
    )
    team: list[TeamMemberOut]
    permissions: Permissions


class AssessmentIn(Schema):
    kind: str = Field(..., json_schema_extra=_enum(KINDS))
    school_id: int | None = Field(None, description="The school assessed (or give district_id).")
    district_id: int | None = None
    framework_version_id: int = Field(..., description="A published framework version.")
    start_date: dt.date
    end_date: dt.date = Field(..., description="A site visit lasts 1–3 days.")
    lead_id: int | None = Field(None, description="Site visits: the lead reviewer's user id.")
    title: str = Field("", max_length=300)
    school_year: str = Field("", description="e.g. 2025-26; taken from start_date when empty.")
    purpose: str = ""


class AssessmentPatch(Schema):
    version: int = Field(..., description="The version you loaded (stale edits answer 409).")
    title: str | None = Field(None, max_length=300)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    school_year: str | None = None
    purpose: str | None = None


class VersionIn(Schema):
    version: int | None = Field(None, description="The version you loaded, to detect stale edits.")


# ---------------------------------------------------------------------------------------------
# Team and schedule


class TeamMemberIn(Schema):
    user_id: int
    role: str = Field(..., json_schema_extra=_enum(list(TeamMember.Role.values)))


class ScheduleItemOut(Schema):
    id: int
    day: dt.date
    starts_at: dt.time
    ends_at: dt.time
    activity: str = Field(..., json_schema_extra=_enum(list(ScheduleItem.Activity.values)))
    title: str
    participants: str
    location: str
    reviewer_id: int | None
    consent_required: bool
    consent_recorded: bool


class ScheduleItemIn(Schema):
    day: dt.date
    starts_at: dt.time
    ends_at: dt.time
    activity: str = Field(..., json_schema_extra=_enum(list(ScheduleItem.Activity.values)))
    title: str = Field(..., max_length=200)
    participants: str = Field("", max_length=300, description="Roles, not student names.")
    location: str = Field("", max_length=100)
    reviewer_id: int | None = None
    consent_required: bool = False


class ScheduleItemPatch(Schema):
    day: dt.date | None = None
    starts_at: dt.time | None = None
    ends_at: dt.time | None = None
    activity: str | None = Field(None, json_schema_extra=_enum(list(ScheduleItem.Activity.values)))
    title: str | None = Field(None, max_length=200)
    participants: str | None = Field(None, max_length=300)
    location: str | None = Field(None, max_length=100)
    reviewer_id: int | None = None
    consent_required: bool | None = None
    consent_recorded: bool | None = None


# ---------------------------------------------------------------------------------------------
# Evidence


class EvidenceOut(Schema):
    id: int
    client_id: uuid.UUID
    kind: str = Field(..., json_schema_extra=_enum(list(Evidence.Kind.values)))
    source: str
    note: str
    indicators: list[str]
    has_file: bool
    collected_by: str
    collected_at: dt.datetime
    updated_at: dt.datetime
    version: int


class EvidenceIn(Schema):
    kind: str = Field(..., json_schema_extra=_enum(list(Evidence.Kind.values)))
    source: str = Field(..., max_length=200, description="Who or what, by role.")
    note: str = Field(..., description="No student names.")
    indicators: list[str] = Field(default_factory=list, description="Indicator codes, e.g. TP1.1.")
    version: int | None = Field(
        None, description="The version you loaded; omit for an autosave of your own draft."
    )


# ---------------------------------------------------------------------------------------------
# Ratings


class RatingIn(Schema):
    level: int | None = Field(..., description="A scale code, or null for not rated.")
    rationale: str = ""
    evidence: list[int] = Field(default_factory=list, description="Evidence ids of this visit.")
    version: int | None = Field(
        None, description="The version you loaded; 0 when you saw no rating yet."
    )


class ReviewerRatingOut(Schema):
    indicator: str
    level: int | None
    rationale: str
    evidence: list[int]
    version: int
    updated_at: dt.datetime


class ConsensusIn(RatingIn):
    strengths: str = ""
    challenges: str = ""
    not_priority: bool = False
    not_priority_reason: str = ""
    priority_score: int | None = Field(None, ge=1, le=3)
    opportunity_score: int | None = Field(None, ge=1, le=3)


class ConsensusOut(Schema):
    indicator: str
    level: int | None
    level_label: str
    rationale: str
    strengths: str
    challenges: str
    not_priority: bool
    not_priority_reason: str
    priority_score: int | None
    opportunity_score: int | None
    evidence: list[int] = Field(..., description="Empty unless you see the working papers.")
    version: int


class FindingIn(Schema):
    strengths: str = ""
    challenges: str = ""
    version: int | None = None


class FindingOut(Schema):
    practice: str
    strengths: str
    challenges: str
    version: int


class ReviewerLevelOut(Schema):
    reviewer: str
    level: int | None
    label: str
    recorded: bool


class DisagreementOut(Schema):
    indicator: str
    practice: str
    levels: list[ReviewerLevelOut]
    spread: int | None
    disagree: bool
    marker: str = Field(..., examples=["Disagree (spread 2)"])
    consensus_level: int | None
    has_consensus: bool


class FinaliseBlockersOut(Schema):
    ready: bool
    blockers: list[str]


# ---------------------------------------------------------------------------------------------
# Amendments


class AmendmentIn(Schema):
    reason: str = Field(..., description="Why the finalised assessment changes (required).")
    indicator: str | None = Field(None, description="Amend this indicator's consensus rating.")
    practice: str | None = Field(None, description="Amend this practice's findings.")
    changes: dict[str, str | int | bool | None] = Field(
        ...,
        description="Rating: level, rationale, strengths, challenges, not_priority, "
        "not_priority_reason, priority_score, opportunity_score. Findings: strengths, "
        "challenges. Neither: executive_summary.",
    )
    version: int | None = None


class AmendmentOut(Schema):
    id: int
    target: str
    reason: str
    before: dict[str, str | int | bool | None]
    after: dict[str, str | int | bool | None]
    made_by: str
    made_at: dt.datetime
