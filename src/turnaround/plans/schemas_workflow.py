"""Input and output shapes of the plan workflow API: versions, differences, transitions, exports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from turnaround.plans.exports import FORMATS, TABLES
from turnaround.plans.models import PlanStatus
from turnaround.plans.services.workflow import TRANSITIONS

STATUSES = list(PlanStatus.values)
TRANSITION_NAMES = list(TRANSITIONS)


def _enum(values: list[str]) -> dict[str, list[str]]:
    return {"enum": values}


class PlanVersionOut(Schema):
    number: int
    status: str = Field(
        ..., description="The plan's status after this step.", json_schema_extra=_enum(STATUSES)
    )
    status_label: str
    transition: str = Field(
        ..., description="submit, district_approve, state_approve, return, amend (or create)."
    )
    transition_label: str
    comment: str
    created_by: str | None = Field(None, description="The username of who made the step.")
    created_at: dt.datetime


class PlanVersionDetailOut(PlanVersionOut):
    snapshot: dict[str, Any] = Field(
        ...,
        description="The plan's whole content at this version: plan fields, needs with root "
        "causes, goals with targets, objectives with strategies and actions, benchmarks. Every "
        'item has a stable "key" such as "goal:12".',
    )


class DiffQuery(Schema):
    from_: int = Field(..., alias="from", description="The older version's number.")
    to: int = Field(..., description="The newer version's number.")


class FieldChangeOut(Schema):
    field: str = Field(..., examples=["target:2028"])
    label: str = Field(..., examples=["Target for 2027–28"])
    before: str = Field(..., description="The value before, as text (empty when blank).")
    after: str = Field(..., description="The value after, as text (empty when blank).")


class ChangeOut(Schema):
    action: str = Field(..., json_schema_extra=_enum(["added", "removed", "changed"]))
    key: str = Field(..., examples=["goal:12"])
    kind: str = Field(
        ...,
        json_schema_extra=_enum(
            ["plan", "need", "root_cause", "goal", "objective", "strategy", "action", "benchmark"]
        ),
    )
    kind_label: str
    name: str
    context: str
    summary: str
    fields: list[FieldChangeOut]


class DiffOut(Schema):
    from_version: PlanVersionOut
    to_version: PlanVersionOut
    changes: list[ChangeOut] = Field(..., description="In document order.")


class TransitionIn(Schema):
    name: str = Field(..., json_schema_extra=_enum(TRANSITION_NAMES))
    comment: str = Field(
        "", description="Required to return a plan (what must change) and to amend it (why)."
    )
    version: int = Field(..., description="The plan's version you loaded (a stale one → 409).")


class AllowedTransitionOut(Schema):
    name: str = Field(..., json_schema_extra=_enum(TRANSITION_NAMES))
    label: str
    needs_comment: bool


class WorkflowOut(Schema):
    id: int
    status: str = Field(..., json_schema_extra=_enum(STATUSES))
    status_label: str
    version: int = Field(..., description="Send it back with the next transition.")
    plan_version: int | None = Field(
        None, description="The number of the latest stored version (None before the first step)."
    )
    status_message: str = Field(..., description="Who may do what from this status; who you are.")
    allowed_transitions: list[AllowedTransitionOut]
    submit_blockers: list[str] = Field(
        ..., description="What is still missing before the plan can be submitted (if you may)."
    )


class ExportQuery(Schema):
    table: str = Field(..., json_schema_extra=_enum(list(TABLES)))
    format: str = Field("csv", json_schema_extra=_enum(list(FORMATS)))
