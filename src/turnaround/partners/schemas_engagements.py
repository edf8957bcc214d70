"""Input and output shapes of the engagements API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from turnaround.partners.models import FundingSource, NeedArea
from turnaround.partners.selectors import EngagementStatus

NEED_AREAS = list(NeedArea.values)
FUNDING_SOURCES = list(FundingSource.values)
STATUSES = list(EngagementStatus.VALUES)


def _enum(values: list[str]) -> dict[str, list[str]]:
    return {"enum": values}


class EngagementQuery(Schema):
    partner: int | None = Field(None, description="Only this partner's engagements (an id).")
    need_area: str = Field("", description="A need area code.", json_schema_extra=_enum(NEED_AREAS))
    status: str = Field(
        "",
        description="current (in force today), upcoming or ended.",
        json_schema_extra=_enum(STATUSES),
    )
    district: int | None = Field(
        None, description="Only engagements with this district or its schools (an id)."
    )
    school: int | None = Field(None, description="Only engagements with this school (an id).")
    funding_source: str = Field(
        "", description="A funding source code.", json_schema_extra=_enum(FUNDING_SOURCES)
    )


class EngagementPartnerRef(Schema):
    id: int
    name: str


class EngagementOrgRef(Schema):
    id: int
    code: str
    name: str
    state: str = Field(..., description="The state's postal code, e.g. MA.")


class EngagementDesignationRef(Schema):
    id: int
    need_area: str = Field(..., json_schema_extra=_enum(NEED_AREAS))
    state: str
    starts_on: dt.date
    expires_on: dt.date
    revoked: bool


class EngagementOut(Schema):
    id: int
    partner: EngagementPartnerRef
    school: EngagementOrgRef | None = Field(
        ..., description="The school served (or null: district-wide)."
    )
    district: EngagementOrgRef | None = Field(
        ..., description="The district, for district-wide work (null for a school engagement)."
    )
    need_area: str = Field(..., json_schema_extra=_enum(NEED_AREAS))
    need_area_label: str
    scope: str
    starts_on: dt.date
    ends_on: dt.date
    status: str = Field(..., json_schema_extra=_enum(STATUSES))
    cost: Decimal | None = Field(..., description="US dollars, two decimals.")
    funding_source: str = Field(
        ..., description="A funding source code, or empty when not recorded."
    )
    agreement_reference: str = Field(
        ...,
        description="The written agreement (FERPA §99.31(a)(1)) that lets the partner's staff "
        "see the school's data.",
    )
    designation: EngagementDesignationRef | None = Field(
        ..., description="The Priority Partner designation it is made under, if any."
    )
    version: int = Field(..., description="Send it back when you change the engagement.")
    can_edit: bool = Field(..., description="You may change, end or delete it.")


class EngagementPage(Schema):
    count: int
    items: list[EngagementOut]


class EngagementIn(Schema):
    partner_id: int = Field(..., description="The partner (a registry id).")
    school_id: int | None = Field(None, description="The school served; or give district_id.")
    district_id: int | None = Field(
        None, description="For district-wide work, instead of a school."
    )
    need_area: str = Field(..., json_schema_extra=_enum(NEED_AREAS))
    scope: str = Field(..., description="What the partner does, with whom, how often.")
    starts_on: dt.date
    ends_on: dt.date
    cost: Decimal | None = Field(None, description="US dollars, at most two decimals, ≥ 0.")
    funding_source: str = Field(
        "", description="A funding source code.", json_schema_extra=_enum(["", *FUNDING_SOURCES])
    )
    agreement_reference: str = Field(
        "", max_length=200, description="Required for a school engagement (FERPA §99.31(a)(1))."
    )
    designation_id: int | None = Field(
        None, description="A Priority Partner designation of the same partner, area and state."
    )


class EngagementPatch(Schema):
    version: int = Field(..., description="The version you loaded; 409 if it changed since.")
    partner_id: int | None = None
    school_id: int | None = None
    district_id: int | None = None
    need_area: str | None = Field(None, json_schema_extra=_enum(NEED_AREAS))
    scope: str | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    cost: Decimal | None = None
    funding_source: str | None = Field(None, json_schema_extra=_enum(["", *FUNDING_SOURCES]))
    agreement_reference: str | None = Field(None, max_length=200)
    designation_id: int | None = None


class EngagementEndIn(Schema):
    ends_on: dt.date = Field(..., description="Earlier than the current end.")
    reason: str = Field(..., description="Why it ends early; kept in the audit trail.")
    version: int | None = Field(None, description="The version you loaded; 409 if it changed.")
