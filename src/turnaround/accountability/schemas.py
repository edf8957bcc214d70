"""Input and output shapes of the accountability API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from turnaround.accountability.filters import ORIGINS
from turnaround.accountability.models import (
    DesignationPhase,
    DesignationStatus,
    ExitReview,
    IdentificationRun,
)
from turnaround.analytics.accountability import ruleset_list
from turnaround.analytics.accountability.exit_criteria import KINDS
from turnaround.organizations.schemas import DEFAULT_LIMIT, MAX_LIMIT, STATE_CODE_PARAM_PATTERN

RULESETS = sorted({r.id for r in ruleset_list()})


def _doc(**rules: Any) -> Any:
    def apply(schema: dict[str, Any]) -> None:
        if schema.get("default") in ("", None):
            schema.pop("default", None)
        schema.update(rules)

    return apply


class SchoolRef(Schema):
    id: int
    code: str = Field(..., description="State school code (text; leading zeros kept).")
    name: str
    district: str
    state: str


# ---------------------------------------------------------------------------------------------
# Determinations


class DeterminationQuery(Schema):
    state: str = Field(
        "",
        description="Two-letter state code.",
        json_schema_extra=_doc(pattern=STATE_CODE_PARAM_PATTERN),
    )
    year: str = Field("", description="Spring year.", json_schema_extra=_doc(pattern=r"^\d{4}$"))
    ruleset: str = Field("", description="Rule-set id.", json_schema_extra=_doc(enum=RULESETS))
    label: str = Field("", description="Exact determination label, e.g. `Level 3` or `CSI`.")
    level: str = Field("", description="Level 1–5.", json_schema_extra=_doc(pattern=r"^[1-5]$"))
    district: str = Field("", description="District id.", json_schema_extra=_doc(pattern=r"^\d+$"))
    school: str = Field("", description="School id.", json_schema_extra=_doc(pattern=r"^\d+$"))
    origin: str = Field(
        "",
        description="`official` (published by the state) or `computed` (by a run).",
        json_schema_extra=_doc(enum=list(ORIGINS)),
    )
    run: str = Field(
        "", description="Identification run id.", json_schema_extra=_doc(pattern=r"^\d+$")
    )
    flagged: str = Field(
        "",
        description="`true`: only determinations that flag a school for a designation.",
        json_schema_extra=_doc(enum=["true", "false"]),
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")
    offset: int = Field(0, ge=0, description="Items to skip.")


class DeterminationOut(Schema):
    id: int
    school: SchoolRef
    year: int
    ruleset: str
    ruleset_version: str
    label: str
    level: int | None
    reasons: list[str] = Field(..., description="Every reason that applies, deciding one first.")
    percentile: int | None
    ppi_all: float | None
    ppi_high_needs: float | None
    years_in_status: int | None
    flags: list[str]
    is_official: bool = Field(..., description="Published by the state (never overwritten).")
    run_id: int | None
    candidate_status: str | None = Field(
        ..., description="The designation status the determination flags the school for."
    )
    inputs: dict[str, Any] = Field(
        ..., description="What the rules read and computed: `input`, `values`, `flags`."
    )


class DeterminationPage(Schema):
    count: int
    items: list[DeterminationOut]


# ---------------------------------------------------------------------------------------------
# Runs


class RunIn(Schema):
    ruleset: str = Field(..., description="Rule-set id.", json_schema_extra={"enum": RULESETS})
    year: int = Field(..., description="Accountability year (spring year), e.g. 2017.")
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="Rule-set parameters by name (see `turnaround rules list`); unknown names and "
        "refused values answer 422 naming what is allowed.",
    )
    state: str | None = Field(
        None,
        pattern=STATE_CODE_PARAM_PATTERN,
        description="Two-letter state code; needed only when you work in several states.",
    )


class RunOut(Schema):
    id: int
    state: str
    year: int
    ruleset: str
    ruleset_version: str
    params: dict[str, Any]
    status: str = Field(..., json_schema_extra={"enum": IdentificationRun.Status.values})
    stage: str
    progress_done: int
    progress_total: int
    percent: int = Field(..., ge=0, le=100)
    message: str
    requested_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    schools_evaluated: int
    created_count: int
    updated_count: int
    unchanged_count: int
    flagged_count: int
    official_count: int
    official_agree: int
    inputs_summary: dict[str, Any]


class RunPage(Schema):
    count: int
    items: list[RunOut]


# ---------------------------------------------------------------------------------------------
# Designations and exit reviews


class DesignationQuery(Schema):
    state: str = Field(
        "",
        description="Two-letter state code.",
        json_schema_extra=_doc(pattern=STATE_CODE_PARAM_PATTERN),
    )
    status: str = Field("", json_schema_extra=_doc(enum=DesignationStatus.values))
    phase: str = Field(
        "",
        description="A phase, or `open` for identified and in turnaround.",
        json_schema_extra=_doc(enum=[*DesignationPhase.values, "open"]),
    )
    in_force: str = Field(
        "",
        description="Only designations held in this spring year.",
        json_schema_extra=_doc(pattern=r"^\d{4}$"),
    )
    school: str = Field("", json_schema_extra=_doc(pattern=r"^\d+$"))
    district: str = Field("", json_schema_extra=_doc(pattern=r"^\d+$"))
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0)


class DesignationOut(Schema):
    id: int
    school: SchoolRef
    status: str = Field(..., json_schema_extra={"enum": DesignationStatus.values})
    status_label: str
    phase: str = Field(..., json_schema_extra={"enum": DesignationPhase.values})
    entered_year: int
    eligible_exit_year: int | None
    exited_year: int | None = Field(..., description="First year out of the status.")
    exit_reason: str
    years_in_status: int = Field(
        ..., description="Years held by the latest year with determinations; paused years left out."
    )
    paused_years: list[int]
    ruleset: str
    determination_id: int | None
    escalated_from_id: int | None
    escalated_to_id: int | None
    exit_criteria: list[dict[str, Any]]
    confirmed_by: str | None
    confirmed_at: datetime | None
    notes: str
    version: int
    can_manage: bool


class DesignationPage(Schema):
    count: int
    items: list[DesignationOut]


class ConfirmIn(Schema):
    determination_id: int
    status: str | None = Field(
        None,
        description="Default: the status the determination flags.",
        json_schema_extra={"enum": DesignationStatus.values},
    )
    entered_year: int | None = Field(None, description="Default: the determination's year.")
    eligible_exit_year: int | None = Field(None, description="Default: the status's usual time.")
    notes: str = ""
    override_note: str = Field(
        "", description="Required to confirm Level 4 or 5 beyond the 4% cap, saying why."
    )


class TransitionIn(Schema):
    action: str = Field(..., json_schema_extra={"enum": ["start", "exit", "escalate"]})
    year: int | None = Field(
        None, description="For exit and escalate: the first year out of the status."
    )
    reason: str = ""
    version: int = Field(..., description="The version you loaded (409 when it changed).")


class CriteriaIn(Schema):
    exit_criteria: list[dict[str, Any]] = Field(
        ...,
        description="Each `{kind, …parameters}`; kinds: " + ", ".join(KINDS) + ".",
    )
    version: int


class EvidenceItemOut(Schema):
    what: str
    year: int | None
    value: str
    ok: bool | None = Field(..., description="true meets, false does not, null not judged.")


class CriterionResultOut(Schema):
    kind: str = Field(..., json_schema_extra={"enum": list(KINDS)})
    label: str
    params: dict[str, Any]
    status: str = Field(..., json_schema_extra={"enum": ["met", "not_met", "no_data"]})
    summary: str
    items: list[EvidenceItemOut]


class EvaluationOut(Schema):
    designation_id: int
    review_year: int
    all_met: bool
    results: list[CriterionResultOut]


class ExitReviewIn(Schema):
    review_year: int
    decision: str = Field(..., json_schema_extra={"enum": ExitReview.Decision.values})
    rationale: str
    next_review_year: int | None = None
    version: int = Field(..., description="The designation's version you loaded.")


class ExitReviewOut(Schema):
    id: int
    designation_id: int
    school: SchoolRef
    review_year: int
    decision: str = Field(..., json_schema_extra={"enum": ExitReview.Decision.values})
    rationale: str
    all_met: bool
    results: list[CriterionResultOut]
    next_review_year: int | None
    escalated_to_id: int | None
    decided_by: str | None
    decided_at: datetime


class ExitReviewPage(Schema):
    count: int
    items: list[ExitReviewOut]


# ---------------------------------------------------------------------------------------------
# Cohorts


class CohortQuery(Schema):
    state: str = Field(..., pattern=STATE_CODE_PARAM_PATTERN, description="Two-letter state code.")
    year: int = Field(..., description="Cohort: the year the schools were designated.")
    through: int | None = Field(None, description="Last year followed (default: latest data).")
    status: str = Field("", json_schema_extra=_doc(enum=DesignationStatus.values))


class SurvivalRowOut(Schema):
    year: int
    in_status: int
    exited_in_year: int
    exited: int
    escalated: int
    share_not_exited: float


class CohortTableOut(Schema):
    status: str = Field(..., description="A status, or `all` for every status together.")
    label: str
    size: int
    rows: list[SurvivalRowOut]
    remaining: list[SchoolRef]
    exited: list[SchoolRef]
    escalated: list[SchoolRef]


class CohortOut(Schema):
    state: str
    cohort_year: int
    through_year: int
    tables: list[CohortTableOut]
