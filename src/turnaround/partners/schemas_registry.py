"""Input and output shapes of the partner registry API and the public directory.

Codes are documented with their allowed values (``enum``); the services check them and answer a
422 naming the field and the allowed values, so clients see one rule and one message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ninja import Field, Schema

from turnaround.partners.models import CostModel, EvidenceClaim, EvidenceTier
from turnaround.partners.needs import GradeBand, NeedArea

NEED_AREAS = list(NeedArea.values)
GRADE_BANDS = list(GradeBand.values)
COST_MODELS = list(CostModel.values)
DESIGNS = list(EvidenceClaim.Design.values)
WWC_RATINGS = list(EvidenceClaim.WWCRating.values)
TIERS = list(EvidenceTier.values)


def _enum(values: list[Any]) -> dict[str, Any]:
    return {"enum": values}


def _param_doc(**rules: Any) -> Callable[[dict[str, Any]], None]:
    """Document an optional filter's allowed values; the empty default means "no filter"."""

    def apply(schema: dict[str, Any]) -> None:
        if schema.get("default") == "":
            del schema["default"]
        schema.update(rules)

    return apply


def _choices(choices: list[tuple[Any, Any]]) -> str:
    return ", ".join(f"{value} ({label})" for value, label in choices)


# ---------------------------------------------------------------------------------------------
# Queries


class PartnerQuery(Schema):
    """Filters of the registry list, parsed by ``RegistryFilters.from_params`` (bad → 422)."""

    q: str = Field("", description="Text in the partner's name.", json_schema_extra=_param_doc())
    need_area: str = Field(
        "",
        description="Partners offering a service in this need area: " + _choices(NeedArea.choices),
        json_schema_extra=_param_doc(enum=NEED_AREAS),
    )
    grade_band: str = Field(
        "",
        description="Partners serving this grade band: " + _choices(GradeBand.choices),
        json_schema_extra=_param_doc(enum=GRADE_BANDS),
    )
    tier: str = Field(
        "",
        description="Partners whose best evidence claim (the state's confirmed tier where "
        "recorded, else the claimed one) is this ESSA tier or stronger: 1 strong, 2 moderate, "
        "3 promising, 4 rationale.",
        json_schema_extra=_param_doc(enum=["1", "2", "3", "4"]),
    )
    priority: str = Field(
        "",
        description="true: only partners with a Priority Partner designation in force in your "
        "states (every state for partner staff).",
        json_schema_extra=_param_doc(enum=["true", "false"]),
    )


# ---------------------------------------------------------------------------------------------
# Outputs


class DesignationOut(Schema):
    id: int
    state: str = Field(..., description="USPS code of the designating state.")
    need_area: str = Field(..., json_schema_extra=_enum(NEED_AREAS))
    need_area_label: str
    starts_on: dt.date
    expires_on: dt.date
    evidence_tier: int | None = Field(None, description="Best confirmed ESSA tier behind it.")
    evidence_tier_label: str
    starred: bool = Field(..., description="Evidence-based: ESSA tier 1–3.")
    in_force: bool
    revoked: bool
    renews: int | None = Field(None, description="The designation this one renews.")
    renewed_by: int | None = Field(None, description="The designation renewing this one.")


class PartnerItemOut(Schema):
    id: int
    name: str
    website: str
    cost_model: str = Field(..., json_schema_extra=_enum(["", *COST_MODELS]))
    grade_bands: list[str]
    regions: list[str]
    need_areas: list[str] = Field(..., description="Areas the partner offers a service in.")
    best_tier: int | None = Field(
        None, description="Best effective ESSA tier of its claims (confirmed, else claimed)."
    )
    best_tier_label: str
    priority_status: str = Field(
        ..., description="Priority Partner status in your states, in words."
    )
    designations_in_force: list[DesignationOut] = Field(
        ..., description="Designations in force in your states."
    )
    version: int


class PartnerPage(Schema):
    count: int
    items: list[PartnerItemOut]


class ServiceOut(Schema):
    need_area: str = Field(..., json_schema_extra=_enum(NEED_AREAS))
    need_area_label: str
    description: str
    grade_bands: list[str]


class ContactOut(Schema):
    id: int
    name: str
    title: str
    email: str
    phone: str
    is_primary: bool


class EvidenceOut(Schema):
    id: int
    need_area: str = Field(..., json_schema_extra=_enum(NEED_AREAS))
    claim: str
    outcome_domain: str
    study_citation: str
    study_url: str
    design: str = Field(..., json_schema_extra=_enum(DESIGNS))
    design_label: str
    tier: int = Field(..., json_schema_extra=_enum(TIERS))
    tier_label: str
    wwc_rating: str = Field(..., json_schema_extra=_enum(WWC_RATINGS))
    wwc_rating_label: str
    summary: str
    confirmed_tier: int | None
    confirmed_tier_label: str
    confirmed_by: str | None = Field(None, description="Username of who confirmed the tier.")
    confirmed_on: dt.date | None
    effective_tier: int
    version: int


class PartnerPermissions(Schema):
    can_edit: bool = Field(..., description="Change the entry, its services, contacts, claims.")
    can_confirm_evidence: bool
    sees_scorecard: bool


class PartnerDetailOut(PartnerItemOut):
    description: str
    cost_notes: str
    services: list[ServiceOut]
    contacts: list[ContactOut]
    evidence: list[EvidenceOut]
    designations: list[DesignationOut] = Field(..., description="Every designation, any state.")
    permissions: PartnerPermissions


# ---------------------------------------------------------------------------------------------
# Inputs


class PartnerIn(Schema):
    name: str = Field(..., max_length=200)
    website: str = Field("", description="http:// or https:// address.")
    description: str = ""
    cost_model: str = Field(
        "", description=_choices(CostModel.choices), json_schema_extra=_param_doc(enum=COST_MODELS)
    )
    cost_notes: str = ""
    grade_bands: list[str] = Field(
        default_factory=list, description="Grade band codes: " + _choices(GradeBand.choices)
    )
    regions: list[str] = Field(
        default_factory=list, description='Where the partner works, e.g. "Western Massachusetts".'
    )


class PartnerPatch(Schema):
    version: int = Field(..., description="The version you loaded (stale edits answer 409).")
    name: str | None = Field(None, max_length=200)
    website: str | None = None
    description: str | None = None
    cost_model: str | None = Field(None, description=_choices(CostModel.choices))
    cost_notes: str | None = None
    grade_bands: list[str] | None = None
    regions: list[str] | None = None


class ServiceIn(Schema):
    description: str = Field(..., description="What the partner does in this area.")
    grade_bands: list[str] = Field(default_factory=list, description="Grade band codes.")


class ContactIn(Schema):
    name: str = Field(..., max_length=200)
    title: str = ""
    email: str = ""
    phone: str = ""
    is_primary: bool = Field(False, description="Replaces the current primary contact.")


class ContactPatch(Schema):
    name: str | None = Field(None, max_length=200)
    title: str | None = None
    email: str | None = None
    phone: str | None = None
    is_primary: bool | None = None


class EvidenceIn(Schema):
    need_area: str = Field(..., json_schema_extra=_enum(NEED_AREAS))
    claim: str = Field(..., max_length=300)
    outcome_domain: str = Field(..., max_length=100, examples=["mathematics achievement"])
    design: str = Field(..., description=_choices(EvidenceClaim.Design.choices))
    tier: int = Field(
        ...,
        description="ESSA tier: 1 needs a randomised controlled trial, 2 a trial or a "
        "quasi-experimental design, 3 at least a correlational study with controls; 1–3 need "
        "the study's citation.",
    )
    summary: str = Field(..., description="What the evidence shows, and what it does not show.")
    study_citation: str = ""
    study_url: str = ""
    wwc_rating: str = Field("", description=_choices(EvidenceClaim.WWCRating.choices))


class EvidencePatch(Schema):
    version: int = Field(..., description="The version you loaded (stale edits answer 409).")
    need_area: str | None = None
    claim: str | None = Field(None, max_length=300)
    outcome_domain: str | None = Field(None, max_length=100)
    design: str | None = None
    tier: int | None = None
    summary: str | None = None
    study_citation: str | None = None
    study_url: str | None = None
    wwc_rating: str | None = None


class EvidenceConfirmIn(Schema):
    confirmed_tier: int | None = Field(
        ..., description="The tier the state confirms (1–4), or null to clear the confirmation."
    )
    version: int | None = Field(None, description="The version you loaded, to detect stale edits.")


# ---------------------------------------------------------------------------------------------
# The public directory


class DirectoryStateOut(Schema):
    code: str
    name: str


class DirectoryDesignationOut(Schema):
    need_area: str = Field(..., json_schema_extra=_enum(NEED_AREAS))
    need_area_label: str
    evidence_tier: int | None
    evidence_tier_label: str
    starred: bool = Field(..., description="Evidence-based: ESSA tier 1–3.")
    starts_on: dt.date
    expires_on: dt.date


class DirectoryContactOut(Schema):
    name: str
    email: str


class DirectoryPartnerOut(Schema):
    id: int
    name: str
    website: str
    description: str
    designations: list[DirectoryDesignationOut]
    services: list[ServiceOut] = Field(..., description="Services in the designated areas.")
    contact: DirectoryContactOut | None = Field(
        None, description="The primary contact (name and email only)."
    )


class DirectoryOut(Schema):
    state: DirectoryStateOut
    partners: list[DirectoryPartnerOut]
