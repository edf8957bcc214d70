"""Input and output shapes of the report, priorities and comparison API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from turnaround.organizations.schemas import STATE_CODE_PARAM_PATTERN

# ---------------------------------------------------------------------------------------------
# Report


class LevelOut(Schema):
    code: int
    label: str


class LevelCountOut(Schema):
    label: str
    count: int


class TeamSeatOut(Schema):
    name: str
    role: str


class SubjectOut(Schema):
    kind: str = Field(..., description="school or district")
    name: str


class PreviousVisitOut(Schema):
    id: int
    title: str
    school_year: str
    start_date: dt.date


class ChangeOut(Schema):
    kind: str = Field(
        ...,
        description="first_visit (no earlier finalised visit), new (no counterpart in the "
        "earlier framework version), not_rated_before, not_rated_now, or rated",
    )
    text: str = Field(..., examples=["Developing → Providing (+1)"])
    previous_level: int | None
    previous_label: str
    previous_code: str = Field(..., description="the indicator's code at the previous visit")
    delta: int | None


class EvidenceOut(Schema):
    id: int
    kind: str
    kind_label: str
    source: str
    note: str
    collected_by: str
    collected_at: str


class IndicatorRatingOut(Schema):
    code: str
    text: str
    is_key: bool
    level: int | None = Field(..., description="scale code; null = not rated")
    level_label: str
    rationale: str
    strengths: str
    challenges: str
    not_priority: bool
    not_priority_reason: str
    change: ChangeOut
    evidence: list[EvidenceOut] | None = Field(
        ..., description="the evidence behind the rating; null unless you see working papers"
    )


class PracticeOut(Schema):
    code: str
    name: str
    strengths: str
    challenges: str
    counts: list[LevelCountOut]
    not_rated: int
    mean_level: float | None
    indicators: list[IndicatorRatingOut]


class AmendmentOut(Schema):
    target: str
    reason: str
    made_by: str
    made_at: dt.datetime
    before: str
    after: str


class PriorityOut(Schema):
    id: int
    version: int
    rank: int
    title: str
    practice_code: str
    practice_name: str
    indicator_id: int | None
    indicator_code: str
    why: str
    suggested_actions: str
    owner: str
    due_date: dt.date | None
    status: str
    status_label: str


class ReportOut(Schema):
    id: int
    title: str
    kind: str
    status: str
    is_draft: bool
    subject: SubjectOut
    state: str
    framework: str
    school_year: str
    start_date: dt.date
    end_date: dt.date
    finalised_at: dt.datetime | None
    levels: list[LevelOut]
    team: list[TeamSeatOut]
    executive_summary: str
    key_points: list[str]
    previous: PreviousVisitOut | None
    practices: list[PracticeOut]
    amendments: list[AmendmentOut]
    priorities: list[PriorityOut]
    shows_evidence: bool
    chart: dict[str, Any] = Field(..., description="the practice profile as a Vega-Lite spec")


# ---------------------------------------------------------------------------------------------
# Priorities


class PriorityIn(Schema):
    indicator: int | None = Field(None, description="an indicator id of the assessment's framework")
    practice: int | None = Field(
        None, description="a practice id; follows from the indicator when that is given"
    )
    title: str = Field(..., min_length=1, max_length=300)
    why: str = Field(..., min_length=1)
    suggested_actions: str = ""
    owner: str = Field("", max_length=200)
    due_date: dt.date | None = None


class PriorityPatch(Schema):
    version: int = Field(..., description="the version you edited; a stale one answers 409")
    indicator: int | None = None
    practice: int | None = None
    title: str | None = Field(None, min_length=1, max_length=300)
    why: str | None = Field(None, min_length=1)
    suggested_actions: str | None = None
    owner: str | None = Field(None, max_length=200)
    due_date: dt.date | None = None
    status: str | None = Field(None, description="proposed or agreed")


class ProposeIn(Schema):
    limit: int | None = Field(
        None, ge=0, le=20, description="how many priorities in all (default: the product's 4)"
    )


class PriorityVersion(Schema):
    id: int
    version: int


class ReorderIn(Schema):
    order: list[int] = Field(..., description="every priority id of the assessment, once")
    versions: list[PriorityVersion] = Field(
        default_factory=list, description="versions you saw; a stale one answers 409"
    )


# ---------------------------------------------------------------------------------------------
# Across schools


class CompareQuery(Schema):
    state: str = Field(
        "",
        description="Two-letter state code (default: your first state).",
        json_schema_extra={"pattern": STATE_CODE_PARAM_PATTERN},
    )
    framework: str = Field(
        "", description="A framework id (default: the framework of the latest visit)."
    )
    year: str = Field(
        "", description="School year such as 2025-26 (default: the year of the latest visit)."
    )
    district: str = Field("", description="A district id, to compare one district's schools.")
    school: str = Field("", description="The school whose trajectory the page draws.")


class FrameworkRefOut(Schema):
    id: int
    name: str
    version: int | None = Field(..., description="the version number the columns follow")


class PracticeColumnOut(Schema):
    code: str
    name: str


class IndicatorColumnOut(Schema):
    code: str
    text: str
    practice_code: str
    is_key: bool


class CellOut(Schema):
    level: int | None
    label: str


class HeatmapRowOut(Schema):
    school_id: int
    school_code: str
    school_name: str
    district_name: str
    assessment_id: int
    visit_date: dt.date
    framework_version: str
    practice_means: list[float | None]
    cells: list[CellOut]


class DistributionRowOut(Schema):
    code: str
    practice_code: str
    counts: list[int | None] = Field(
        ..., description="schools per level (then not rated); null = suppressed"
    )
    total: int


class TrajectoryRowOut(Schema):
    school_id: int
    school_name: str
    practice_code: str
    means: list[float | None]


class CompareOut(Schema):
    state: str
    framework: FrameworkRefOut | None
    year: str
    district: int | None
    public: bool = Field(
        ..., description="true for the public-view roles: distribution only, suppressed"
    )
    reporting_min_n: int
    levels: list[LevelOut]
    practices: list[PracticeColumnOut]
    columns: list[IndicatorColumnOut]
    rows: list[HeatmapRowOut]
    distribution_labels: list[str]
    distribution: list[DistributionRowOut]
    trajectory_years: list[str]
    trajectories: list[TrajectoryRowOut]
