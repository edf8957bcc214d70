"""Input and output shapes of the impact and scorecard API (``api_impact.py``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class ComputeIn(Schema):
    state: str = Field(..., description="State code (e.g. MA) whose data to estimate from.")
    need_area: str | None = Field(
        None,
        description="One need area; omit to recompute all areas together and each area the "
        "partner served in the state.",
    )


class CoefficientOut(Schema):
    term: str
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    df: int


class EventTimeOut(Schema):
    relative_year: int = Field(..., description="Year minus start year (0 = first year).")
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_treated_schools: int


class CohortOut(Schema):
    start_year: int
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_treated_schools: int
    n_comparison_schools: int
    weight: float


class PretrendOut(Schema):
    stat: float | None = Field(None, description="Wald F of the joint test that all leads are 0.")
    df: list[int] | None = Field(None, description="Numerator and denominator df.")
    p_value: float | None = None


class CitsOut(Schema):
    trend_difference: CoefficientOut | None = None
    level_change: CoefficientOut | None = None
    slope_change: CoefficientOut | None = None


class BalanceOut(Schema):
    feature: str
    label: str
    mean_treated_before: float | None
    mean_comparison_before: float | None
    smd_before: float | None
    mean_treated_after: float | None
    mean_comparison_after: float | None
    smd_after: float | None


class ImpactDetailOut(Schema):
    method: str = Field("", description="The method in one paragraph, in plain words.")
    estimator: str = Field("", description="The estimator's own description.")
    years: list[int] | None = Field(None, description="First and last year of data used.")
    engaged_school_ids: list[int] = Field(
        default_factory=list,
        description="Engaged schools used (for a refusal: the eligible engaged schools).",
    )
    comparison_school_ids: list[int] = Field(default_factory=list)
    cohorts: list[CohortOut] = Field(default_factory=list)
    reference_year: int | None = None
    leads: list[EventTimeOut] = Field(default_factory=list)
    lags: list[EventTimeOut] = Field(default_factory=list)
    pretrend: PretrendOut | None = None
    cits: CitsOut | None = None
    balance: list[BalanceOut] = Field(default_factory=list)
    caveats: list[str] = Field(default_factory=list)


class ImpactEstimateOut(Schema):
    id: int
    partner_id: int
    state: str = Field(..., description="State code.")
    need_area: str = Field(..., description="Need area code; empty = all areas together.")
    need_area_label: str
    outcome: str
    outcome_label: str
    unit: str
    computed_at: dt.datetime
    estimate: float | None = Field(..., description="Null when refused: see `refusal`.")
    se: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_treated: int
    n_comparison: int
    pretrend_p_value: float | None
    pretrend_summary: str | None = Field(None, description="The pre-trend test in words.")
    refusal: str = Field(..., description="Why there is no estimate; empty when there is one.")
    detail: ImpactDetailOut


class AreaCountOut(Schema):
    need_area: str
    label: str
    total: int
    current: int
    upcoming: int
    ended: int


class StatusCountOut(Schema):
    status: str
    label: str
    count: int


class FundingOut(Schema):
    funding_source: str
    label: str
    engagements: int
    total: Decimal


class EngagementItemOut(Schema):
    id: int
    school_id: int | None
    district_id: int | None
    organisation: str
    state: str
    need_area: str
    need_area_label: str
    starts_on: dt.date
    ends_on: dt.date
    status: str = Field(..., description="current, upcoming or ended")
    cost: Decimal | None
    funding_source: str
    funding_source_label: str


class EngagementSummaryOut(Schema):
    total: int
    schools_served: int
    districts_served: int
    by_area: list[AreaCountOut]
    by_status: list[StatusCountOut]
    cost_by_funding: list[FundingOut]
    total_cost: Decimal
    items: list[EngagementItemOut]


class OutcomeMeanOut(Schema):
    outcome: str
    outcome_label: str
    relative_year: int
    mean: float
    n_schools: int


class PartnerRefOut(Schema):
    id: int
    name: str


class ScorecardOut(Schema):
    partner: PartnerRefOut
    engagements: EngagementSummaryOut = Field(..., description="Only the engagements you may see.")
    outcomes: list[OutcomeMeanOut] = Field(
        ...,
        description="Mean outcome of the engaged schools by year relative to their first start.",
    )
    estimates: list[ImpactEstimateOut]
