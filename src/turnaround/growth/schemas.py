"""Input and output shapes of the growth API."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from turnaround.growth.models import GROWTH_SUBJECTS, GrowthRun
from turnaround.organizations.schemas import DEFAULT_LIMIT, MAX_LIMIT, STATE_CODE_PARAM_PATTERN
from turnaround.performance.models import ALL_GRADES, StudentGroup

GRADE_PATTERN = r"^(ALL|\d{1,2}|[A-Z]{1,2})$"


class GrowthRunIn(Schema):
    year: int = Field(..., description="Spring year to score, e.g. 2017 for 2016–17.")
    content_areas: list[str] | None = Field(
        None,
        description=f"Content areas: {', '.join(GROWTH_SUBJECTS)} (default: all of them).",
        json_schema_extra={"items": {"type": "string", "enum": list(GROWTH_SUBJECTS)}},
    )
    state: str | None = Field(
        None,
        pattern=STATE_CODE_PARAM_PATTERN,
        description="Two-letter state code; needed only when you work in several states.",
    )


class GrowthRunOut(Schema):
    id: int
    state: str = Field(..., description="Two-letter state code.")
    year: int
    content_areas: list[str]
    status: str = Field(..., json_schema_extra={"enum": GrowthRun.Status.values})
    stage: str = Field(..., description="What the run is doing now.")
    progress_done: int
    progress_total: int = Field(..., description="0 while the total is not known yet.")
    percent: int = Field(..., ge=0, le=100)
    message: str = Field(..., description="The outcome, or why the run failed.")
    requested_by: str | None
    executor: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cohorts_planned: int
    cohorts_recomputed: int
    cohorts_unchanged: int
    cohorts_removed: int
    students_scored: int
    aggregates_written: int
    recomputed: list[str] = Field(..., description="The cohorts fitted again by this run.")


class GrowthRunPage(Schema):
    count: int
    items: list[GrowthRunOut]


class AggregateQuery(Schema):
    school: int | None = Field(None, description="A school id; default: every school you reach.")
    year: int | None = Field(None, description="Spring year.")
    subject: str | None = Field(
        None, description="ELA or MATH.", json_schema_extra={"enum": list(GROWTH_SUBJECTS)}
    )
    grade: str | None = Field(
        None, pattern=GRADE_PATTERN, description=f"A tested grade such as 05, or {ALL_GRADES}."
    )
    group: str | None = Field(
        None, description="Student group.", json_schema_extra={"enum": StudentGroup.values}
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")
    offset: int = Field(0, ge=0, description="Items to skip.")


class GrowthAggregateOut(Schema):
    school_id: int
    year: int
    subject: str
    subject_label: str
    grade: str
    group: str
    group_label: str
    n: int | None = Field(..., description="Students with an SGP (null when hidden).")
    median_sgp: float | None
    mean_sgp: float | None
    status: str = Field(
        ...,
        description="`reported`; `insufficient_data` when fewer than `min_n` students have an "
        "SGP (the median is not reported to anyone); `suppressed` when hidden from you by "
        "small-cell suppression.",
        json_schema_extra={"enum": ["reported", "insufficient_data", "suppressed"]},
    )
    suppressed_reason: str
    min_n: int = Field(..., description="The growth minimum n in force when computed.")


class GrowthAggregatePage(Schema):
    count: int
    protected: bool = Field(
        ..., description="True when some rows were protected by small-cell suppression for you."
    )
    items: list[GrowthAggregateOut]


class StudentGrowthQuery(Schema):
    year: int | None = Field(None, description="Spring year; default: the latest with growth.")
    subject: str | None = Field(
        None, description="ELA or MATH.", json_schema_extra={"enum": list(GROWTH_SUBJECTS)}
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")
    offset: int = Field(0, ge=0, description="Items to skip.")


class StudentGrowthOut(Schema):
    student_key: str = Field(..., description="Pseudonymous student key (never a state id).")
    year: int
    grade: str
    subject: str
    sgp: int = Field(..., ge=1, le=99)
    sgp_order: int = Field(..., description="Number of prior scores used.")
    sgp_by_order: dict[str, int] = Field(..., description="SGP per number of priors.")
    norm_group: str
    prior_score: float | None
    prior_score_standardized: float | None


class StudentGrowthPage(Schema):
    count: int
    year: int | None
    access_id: int = Field(..., description="The entry of this read in the data access log.")
    items: list[StudentGrowthOut]
