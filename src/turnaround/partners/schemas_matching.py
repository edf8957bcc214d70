"""Input and output shapes of the partner-matching API."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class MatchingQuery(Schema):
    include_unvetted: bool = Field(
        False,
        description="Also suggest registry partners with no Priority Partner designation in "
        "force (each marked vetted=false, after every designated partner).",
    )


class MatchSchoolOut(Schema):
    id: int
    name: str
    district: str
    state: str
    grade_bands: list[str] = Field(..., description="GradeBand codes the school's grades span")


class MatchAssessmentOut(Schema):
    id: int
    title: str
    kind: str = Field(..., description="site_visit or self")
    school_year: str
    finalised_on: str = Field(..., examples=["12 March 2026"])


class MatchNeedOut(Schema):
    area: str = Field(..., description="NeedArea code")
    area_label: str
    weight: float
    source: str = Field(..., examples=["Site visit, 2025-26", "Performance data, 2017"])
    reason: str = Field(
        ..., examples=["Rated 'Developing' on TP4.1 School-wide behaviour expectations"]
    )


class MatchAreaNeedOut(Schema):
    area: str
    label: str
    weight: float = Field(..., description="the needs of this area added up")
    share: float = Field(..., description="share of the school's total need weight (0–1)")
    reasons: list[str]
    sources: list[str]


class MatchWeightsOut(Schema):
    fit: float
    evidence: float
    impact: float
    grade_band: float


class MatchComponentsOut(Schema):
    fit: float = Field(..., description="share of the weighted needs covered in designated areas")
    evidence: float = Field(..., description="tier 1 → 1, 2 → 0.75, 3 → 0.5, 4 → 0.25, none → 0")
    impact: float = Field(
        ...,
        description="favourable significant 1, favourable 0.75, none measured 0.5, "
        "unfavourable 0.25, unfavourable significant 0",
    )
    grade_band: float = Field(..., description="share of the school's grade bands served")


class MatchSuggestionOut(Schema):
    rank: int
    partner_id: int
    name: str
    vetted: bool = Field(..., description="holds a Priority Partner designation in force")
    score: float = Field(..., description="weighted mean of the components, 0–1")
    components: MatchComponentsOut
    components_text: str
    covered_areas: list[str]
    uncovered_areas: list[str]
    impact_classes: dict[str, str] = Field(
        ...,
        description="per covered area: positive_significant, positive, none, negative or "
        "negative_significant",
    )
    flagged: bool = Field(
        ..., description="a significant unfavourable measured effect: ranked last, never hidden"
    )
    engaged_areas: list[str] = Field(..., description="areas of engagements with the school now")
    regions: list[str]
    reasons: list[str]


class MatchingOut(Schema):
    school: MatchSchoolOut
    as_of: dt.date
    include_unvetted: bool
    any_designated: bool = Field(
        ..., description="some partner holds a designation in force in the school's state"
    )
    assessment: MatchAssessmentOut | None = Field(
        ..., description="the finalised assessment the ratings came from; null when none"
    )
    weights: MatchWeightsOut
    needs: list[MatchNeedOut]
    need_areas: list[MatchAreaNeedOut]
    suggestions: list[MatchSuggestionOut]
