"""Input and output schemas of the plan-content API (``api_content``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from turnaround.partners.models import FundingSource
from turnaround.performance.models import StudentGroup
from turnaround.plans.models import ActionStatus, BenchmarkKind, Metric, NeedStatement, PlanStatus
from turnaround.plans.services.content import BENCHMARK_UNITS
from turnaround.plans.services.content import ITEM_KINDS as _ITEM_KINDS


def _enum(values: list[str]) -> dict[str, list[str]]:
    return {"enum": values}


VERSION = Field(..., description="The version you loaded; a stale one is refused with 409.")


# ---------------------------------------------------------------------------------------------
# Plans


class OrgRef(Schema):
    id: int
    name: str


class PlanPermissions(Schema):
    is_author: bool
    is_district_approver: bool
    is_state_approver: bool
    can_edit: bool = Field(..., description="Change the content (a draft or returned plan).")
    can_monitor: bool = Field(..., description="Record sessions and update action statuses.")
    can_comment: bool


class PlanOut(Schema):
    id: int
    title: str
    school: OrgRef | None
    district: OrgRef | None
    first_year: int = Field(..., description="Spring year of the first plan year.")
    last_year: int
    exit_eligible_year: int | None
    designation_id: int | None
    status: str = Field(..., json_schema_extra=_enum(list(PlanStatus.values)))
    copied_from_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class PlanDetailOut(PlanOut):
    summary: str
    permissions: PlanPermissions


class PlanPage(Schema):
    count: int
    items: list[PlanOut]


class PlanQuery(Schema):
    status: str = Field(
        "", description="Only plans in this status.", json_schema_extra=_enum(PlanStatus.values)
    )
    district: int | None = Field(None, description="Plans of this district and its schools.")
    school: int | None = Field(None, description="Plans of this school.")
    year: int | None = Field(None, description="Plans covering this spring year.")


class PlanIn(Schema):
    school_id: int | None = Field(None, description="The school (or give district_id).")
    district_id: int | None = None
    title: str = Field(..., max_length=200)
    first_year: int
    last_year: int = Field(..., description="At most five years after first_year.")
    exit_eligible_year: int | None = Field(
        None, description="Left out: three years after the school's open designation began."
    )
    designation_id: int | None = None
    template: str | None = Field(None, description="A template key, e.g. ma-turnaround-practices.")
    copy_from_id: int | None = Field(None, description="A plan to copy, shifted to the new years.")


class PlanPatch(Schema):
    version: int = VERSION
    title: str | None = Field(None, max_length=200)
    summary: str | None = None
    first_year: int | None = None
    last_year: int | None = None
    exit_eligible_year: int | None = None
    designation_id: int | None = None


class DeleteOut(Schema):
    result: str = Field(
        ...,
        description="deleted, or retired for an item quarterly sessions reported on.",
        json_schema_extra=_enum(["deleted", "retired"]),
    )
    detail: str


class ReorderIn(Schema):
    kind: str = Field(..., json_schema_extra=_enum(list(_ITEM_KINDS)))
    ids: list[int] = Field(..., description="Every sibling item once, in the new order.")


# ---------------------------------------------------------------------------------------------
# Needs and root causes


class NeedIn(Schema):
    statement: str
    source: str = Field(..., json_schema_extra=_enum(NeedStatement.Source.values))
    evidence: str = ""
    priority_id: int | None = Field(None, description="An agreed assessment priority.")


class NeedPatch(Schema):
    version: int = VERSION
    statement: str | None = None
    source: str | None = Field(None, json_schema_extra=_enum(NeedStatement.Source.values))
    evidence: str | None = None
    priority_id: int | None = None


class NeedOut(Schema):
    id: int
    statement: str
    source: str
    evidence: str
    priority_id: int | None
    order: int
    version: int


class NeedsFromAssessmentIn(Schema):
    assessment_id: int


class RootCauseIn(Schema):
    need_id: int
    cause: str
    evidence: str
    indicators: list[str] = Field(default_factory=list, description="Indicator codes, e.g. TP2.3.")


class RootCausePatch(Schema):
    version: int = VERSION
    need_id: int | None = None
    cause: str | None = None
    evidence: str | None = None
    indicators: list[str] | None = None


class RootCauseOut(Schema):
    id: int
    need_id: int
    cause: str
    evidence: str
    indicators: list[str]
    order: int
    version: int


class RootCauseQuery(Schema):
    need: int | None = Field(None, description="Only the root causes of this need.")


# ---------------------------------------------------------------------------------------------
# Goals


class GoalIn(Schema):
    metric: str = Field(..., json_schema_extra=_enum(Metric.values))
    description: str = Field(..., max_length=300)
    student_group: str = Field("all", json_schema_extra=_enum(StudentGroup.values))
    subject: str = Field("", description="ELA, MATH, SCI or blank.")
    baseline_value: float | None = None
    baseline_year: int | None = None
    data_source: str = ""
    statutory_area: str = ""
    targets: dict[int, float | None] = Field(
        default_factory=dict,
        description="Spring year → target, each within the metric's range; a year left out has "
        "no target (allowed in a draft, not on submission).",
    )


class GoalPatch(Schema):
    version: int = VERSION
    metric: str | None = Field(None, json_schema_extra=_enum(Metric.values))
    description: str | None = Field(None, max_length=300)
    student_group: str | None = None
    subject: str | None = None
    baseline_value: float | None = None
    baseline_year: int | None = None
    data_source: str | None = None
    statutory_area: str | None = None
    targets: dict[int, float | None] | None = Field(
        None, description="The whole set: years left out lose their target."
    )


class GoalOut(Schema):
    id: int
    metric: str
    description: str
    student_group: str
    subject: str
    baseline_value: float | None
    baseline_year: int | None
    data_source: str
    statutory_area: str
    targets: dict[str, float]
    order: int
    version: int


# ---------------------------------------------------------------------------------------------
# Objectives, strategies, actions


class ObjectiveIn(Schema):
    title: str = Field(..., max_length=300)
    description: str = ""
    indicators: list[str] = Field(default_factory=list, description="Indicator codes.")
    priority_ids: list[int] = Field(default_factory=list)


class ObjectivePatch(Schema):
    version: int = VERSION
    title: str | None = Field(None, max_length=300)
    description: str | None = None
    indicators: list[str] | None = None
    priority_ids: list[int] | None = None
    is_active: bool | None = Field(None, description="true brings a retired objective back.")


class ObjectiveOut(Schema):
    id: int
    title: str
    description: str
    indicators: list[str]
    priority_ids: list[int]
    is_active: bool
    order: int
    version: int


class StrategyIn(Schema):
    objective_id: int
    title: str = Field(..., max_length=300)
    rationale: str = ""


class StrategyPatch(Schema):
    version: int = VERSION
    objective_id: int | None = None
    title: str | None = Field(None, max_length=300)
    rationale: str | None = None


class StrategyOut(Schema):
    id: int
    objective_id: int
    title: str
    rationale: str
    order: int
    version: int


class StrategyQuery(Schema):
    objective: int | None = None


class ActionIn(Schema):
    strategy_id: int
    title: str = Field(..., max_length=300)
    owner: str = Field(..., max_length=200, description="The person or role responsible.")
    owner_user_id: int | None = None
    starts_on: dt.date
    due_on: dt.date
    status: str = Field(ActionStatus.NOT_STARTED, json_schema_extra=_enum(ActionStatus.values))
    cost: Decimal | None = Field(None, description="Dollars, 0 or more.")
    funding_source: str = Field("", json_schema_extra=_enum(["", *FundingSource.values]))


class ActionPatch(Schema):
    version: int = VERSION
    strategy_id: int | None = None
    title: str | None = Field(None, max_length=300)
    owner: str | None = Field(None, max_length=200)
    owner_user_id: int | None = None
    starts_on: dt.date | None = None
    due_on: dt.date | None = None
    status: str | None = Field(
        None,
        description="Alone (with completed_on), a monitoring update allowed in any plan status.",
        json_schema_extra=_enum(ActionStatus.values),
    )
    completed_on: dt.date | None = None
    cost: Decimal | None = None
    funding_source: str | None = None


class ActionOut(Schema):
    id: int
    strategy_id: int
    title: str
    owner: str
    owner_user_id: int | None
    starts_on: dt.date
    due_on: dt.date
    status: str
    completed_on: dt.date | None
    cost: float | None
    funding_source: str
    updated_at: dt.datetime
    order: int
    version: int


class ActionQuery(Schema):
    strategy: int | None = None
    status: str = Field("", json_schema_extra=_enum(["", *ActionStatus.values]))


# ---------------------------------------------------------------------------------------------
# Benchmarks


class BenchmarkIn(Schema):
    kind: str = Field(..., json_schema_extra=_enum(BenchmarkKind.values))
    measure: str = Field(..., max_length=300)
    data_source: str = Field(..., max_length=200)
    unit: str = Field("percent", json_schema_extra=_enum(list(BENCHMARK_UNITS)))
    baseline: float | None = None
    target: float
    due_year: int = Field(..., description="A spring year of the plan period.")
    due_quarter: int = Field(..., description="1 Jul–Sep, 2 Oct–Dec, 3 Jan–Mar, 4 Apr–Jun.")
    frequency: str = "quarterly"
    objective_id: int | None = None


class BenchmarkPatch(Schema):
    version: int = VERSION
    kind: str | None = Field(None, json_schema_extra=_enum(BenchmarkKind.values))
    measure: str | None = Field(None, max_length=300)
    data_source: str | None = Field(None, max_length=200)
    unit: str | None = None
    baseline: float | None = None
    target: float | None = None
    due_year: int | None = None
    due_quarter: int | None = None
    frequency: str | None = None
    objective_id: int | None = None
    is_active: bool | None = Field(None, description="true brings a retired benchmark back.")


class BenchmarkOut(Schema):
    id: int
    objective_id: int | None
    kind: str
    measure: str
    data_source: str
    unit: str
    baseline: float | None
    target: float
    due_year: int
    due_quarter: int
    due_label: str
    frequency: str
    is_active: bool
    order: int
    version: int


class BenchmarkQuery(Schema):
    kind: str = Field("", json_schema_extra=_enum(["", *BenchmarkKind.values]))
    include_retired: bool = False


class NeedsTakenOut(Schema):
    needs: list[NeedOut]
    objectives: list[ObjectiveOut]
    skipped_priority_ids: list[int]
