"""Input and output shapes of the monitoring API: quarterly sessions, coaching comments and
notifications, plan health and progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from turnaround.monitoring.health import HEALTH_LABELS
from turnaround.monitoring.models import BenchmarkStatus, StrategySession
from turnaround.monitoring.selectors import TARGET_KINDS

SESSION_STATUSES = list(StrategySession.Status.values)
BENCHMARK_STATUSES = list(BenchmarkStatus.Status.values)


def _enum(values: list[str]) -> dict[str, list[str]]:
    return {"enum": values}


class PersonOut(Schema):
    id: int
    username: str
    name: str


class VersionIn(Schema):
    version: int | None = Field(None, description="The version you loaded, to detect stale edits.")


# ---------------------------------------------------------------------------------------------
# Sessions


class SessionIn(Schema):
    year: int = Field(..., description="Spring year of the school year reviewed (2027 = 2026–27).")
    quarter: int = Field(..., description="1 Jul–Sep, 2 Oct–Dec, 3 Jan–Mar, 4 Apr–Jun.")
    held_on: dt.date = Field(..., description="During the quarter or in the month after it.")
    participant_ids: list[int] = Field(
        default_factory=list, description="Users who can see the plan."
    )
    other_participants: str = Field("", description="People without an account, one per line.")


class SessionPatch(Schema):
    held_on: dt.date | None = None
    participant_ids: list[int] | None = None
    other_participants: str | None = None
    notes: str | None = None
    decisions: str | None = None
    version: int | None = Field(None, description="The version you loaded, to detect stale edits.")


class SessionOut(Schema):
    id: int
    plan_id: int
    year: int
    quarter: int
    label: str = Field(..., examples=["Q1 2026–27"])
    held_on: dt.date
    status: str = Field(..., json_schema_extra=_enum(SESSION_STATUSES))
    participants: list[PersonOut]
    other_participants: str
    snapshot_taken_at: dt.datetime | None
    finalised_at: dt.datetime | None
    version: int


class BenchmarkStatusIn(Schema):
    status: str = Field(..., json_schema_extra=_enum(BENCHMARK_STATUSES))
    value: float | None = Field(
        None, description="Within the benchmark's unit: percent 0–100, count 0 or more."
    )
    evidence: str = ""
    comment: str = ""
    version: int | None = Field(
        None, description="The version you loaded; 0 when you saw no status yet."
    )


class BenchmarkStatusOut(Schema):
    benchmark_id: int
    measure: str
    kind: str
    unit: str
    status: str = Field(..., json_schema_extra=_enum(BENCHMARK_STATUSES))
    value: float | None
    evidence: str
    comment: str
    recorded_by: str
    recorded_at: dt.datetime
    version: int


class NextStepIn(Schema):
    description: str
    owner: str = Field("", description="A name or role; defaults to the owner's account name.")
    owner_user_id: int | None = None
    due_on: dt.date
    objective_id: int | None = None


class NextStepCloseIn(Schema):
    closing_note: str = ""
    session_id: int | None = Field(
        None, description="Close it in this open session of the plan; omit to close it outside."
    )
    version: int | None = Field(None, description="The version you loaded, to detect stale edits.")


class NextStepOut(Schema):
    id: int
    description: str
    owner: str
    owner_user_id: int | None
    due_on: dt.date
    objective_id: int | None
    raised_in_id: int
    raised_in: str = Field(..., description="The session it was raised in, e.g. Q1 2026–27.")
    closed_in_id: int | None
    closed_at: dt.datetime | None
    closing_note: str
    is_open: bool
    version: int


class StepRowOut(NextStepOut):
    carried_forward_from: str | None = Field(
        None, description="For a step raised in an earlier session: that session."
    )


class SessionStepsOut(Schema):
    new: list[StepRowOut]
    carried: list[StepRowOut]
    closed: list[StepRowOut]


class SessionPermissions(Schema):
    can_edit: bool = Field(..., description="Change date, participants, notes and decisions.")
    can_open: bool
    can_record: bool = Field(..., description="Record statuses and next steps (session open).")


class SessionDetailOut(SessionOut):
    notes: str
    decisions: str
    data_snapshot: dict[str, Any]
    benchmark_statuses: list[BenchmarkStatusOut]
    next_steps: SessionStepsOut
    hold_blockers: list[int] = Field(
        ..., description="Active benchmarks still without a status (ids)."
    )
    permissions: SessionPermissions


# ---------------------------------------------------------------------------------------------
# Coaching


class CommentQuery(Schema):
    target_kind: str = Field("plan", json_schema_extra=_enum(list(TARGET_KINDS)))
    target_id: int | None = Field(None, description="The item's id; the plan's own id for plan.")


class CommentIn(Schema):
    body: str = Field(..., description="1 to 5,000 characters.")
    parent_id: int | None = Field(None, description="Reply to this comment (same item).")


class CommentOut(Schema):
    id: int
    plan_id: int
    target_kind: str
    target_id: int
    parent_id: int | None
    depth: int
    author: PersonOut
    body: str
    created_at: dt.datetime


class NotificationOut(Schema):
    id: int
    plan_id: int
    plan_title: str
    item: str = Field(..., description="What was commented on, in words.")
    comment: CommentOut
    url: str = Field(..., description="The thread's page.")
    created_at: dt.datetime
    read_at: dt.datetime | None
    emailed_at: dt.datetime | None


# ---------------------------------------------------------------------------------------------
# Health and progress


class HealthQuery(Schema):
    district: int | None = Field(None, description="Only this district's schools (an id).")
    health: str = Field("", json_schema_extra=_enum(["", *HEALTH_LABELS]))
    sort: str = Field(
        "name",
        description="name, district, health, on_track, at_risk, off_track, met, not_reported, "
        "overdue_actions, overdue_next_steps, last_session, days_since_update, exit_year; "
        "prefix - for descending.",
    )


class StatusCounts(Schema):
    on_track: int
    at_risk: int
    off_track: int
    met: int
    not_reported: int


class StatusShares(Schema):
    on_track: float | None
    at_risk: float | None
    off_track: float | None
    met: float | None
    not_reported: float | None


class PlanHealthOut(Schema):
    plan_id: int
    plan_title: str
    plan_status: str
    kind: str = Field(..., json_schema_extra=_enum(["school", "district"]))
    school_id: int | None
    name: str
    district_id: int
    district_name: str
    designation: str
    designation_entered: int | None
    exit_eligible_year: int | None
    active_benchmarks: int
    counts: StatusCounts
    shares: StatusShares = Field(..., description="Percent of the active benchmarks.")
    overdue_actions: int
    overdue_next_steps: int
    last_session_on: dt.date | None
    last_session_id: int | None
    last_update_on: dt.date | None
    days_since_update: int | None
    health: str = Field(..., json_schema_extra=_enum(list(HEALTH_LABELS)))


class PlanHealthPage(Schema):
    count: int
    items: list[PlanHealthOut]


class SessionProgressOut(Schema):
    session_id: int
    label: str
    held_on: dt.date
    status: str
    counts: StatusCounts


class ActionShareOut(Schema):
    key: str
    label: str
    count: int
    share: float | None


class BenchmarkProgressOut(Schema):
    id: int
    kind: str
    measure: str
    unit: str
    baseline: float | None
    target: float
    due: str
    status: str
    value: float | None
    session_id: int | None
    session: str


class ProgressOut(Schema):
    plan_id: int
    sessions: list[SessionProgressOut]
    actions: list[ActionShareOut]
    actions_total: int
    dropped_actions: int
    benchmarks: list[BenchmarkProgressOut]
