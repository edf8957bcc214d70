"""Input and output shapes of the organisations API (states, districts, schools).

Identifiers are strings with their patterns in the schema (data-and-privacy.md §1): clients and
contract tests see the same rule as the model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ninja import Field, Schema

from turnaround.organizations.models import SchoolType, TitleIStatus
from turnaround.organizations.selectors import LEVEL_CHOICES, SORTS

LEAID_PATTERN = r"^\d{7}$"
NCESSCH_PATTERN = r"^\d{12}$"
STATE_CODE_PATTERN = r"^[A-Z]{2}$"
STATE_CODE_PARAM_PATTERN = r"^[A-Za-z]{2}$"
FIPS_PATTERN = r"^\d{2}$"
ORG_CODE_PATTERN = r"^[0-9A-Za-z-]{1,20}$"

MAX_LIMIT = 500
DEFAULT_LIMIT = 50


def _enum(values: list[str]) -> dict[str, Any]:
    return {"enum": values}


def _param_doc(**rules: Any) -> Callable[[dict[str, Any]], None]:
    """Document an optional filter's allowed values (``enum``, ``pattern``) in the schema.

    The value itself is checked by ``SchoolFilters.from_params``, whose messages list what is
    allowed. The empty default means "no filter" and is left out of the schema, where it would
    contradict the documented rule.
    """

    def apply(schema: dict[str, Any]) -> None:
        if schema.get("default") == "":
            del schema["default"]
        schema.update(rules)

    return apply


# ---------------------------------------------------------------------------------------------
# Query parameters


class SchoolQuery(Schema):
    """Filters of the school list, parsed by ``SchoolFilters.from_params`` (a bad value → 422)."""

    q: str = Field(
        "",
        description="Text in the school's name or its district's name, or the start of its "
        "state school code.",
        json_schema_extra=_param_doc(),
    )
    state: str = Field(
        "",
        description="Two-letter state code, e.g. MA.",
        json_schema_extra=_param_doc(pattern=STATE_CODE_PARAM_PATTERN),
    )
    district: str = Field(
        "",
        description="A district id (a whole number), from /districts.",
        json_schema_extra=_param_doc(pattern=r"^\d+$"),
    )
    type: str = Field(
        "",
        description="School type: " + ", ".join(f"{v} ({lbl})" for v, lbl in SchoolType.choices),
        json_schema_extra=_param_doc(enum=SchoolType.values),
    )
    level: str = Field(
        "",
        description="Current level: " + ", ".join(f"{k} ({lbl})" for k, lbl in LEVEL_CHOICES),
        json_schema_extra=_param_doc(enum=[k for k, _ in LEVEL_CHOICES]),
    )
    title_i: str = Field(
        "",
        description="Title I status, or `any` for schoolwide and targeted together.",
        json_schema_extra=_param_doc(enum=[*TitleIStatus.values, "any"]),
    )
    charter: str = Field(
        "",
        description="`true` for charter schools only, `false` to leave them out.",
        json_schema_extra=_param_doc(enum=["true", "false"]),
    )
    sort: str = Field(
        "name",
        description="Order of the list; prefix with `-` to reverse.",
        json_schema_extra=_param_doc(enum=[s for key in SORTS for s in (key, f"-{key}")]),
    )


class DistrictQuery(Schema):
    q: str = Field(
        "",
        description="Text in the district's name, the start of its state code, or its NCES LEAID.",
    )
    state: str | None = Field(
        None, description="Two-letter state code, e.g. MA.", pattern=STATE_CODE_PARAM_PATTERN
    )


class PageQuery(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")
    offset: int = Field(0, ge=0, description="Items to skip.")


# ---------------------------------------------------------------------------------------------
# Errors (documented on every operation; produced by the handlers in turnaround.api.router)


class Message(Schema):
    detail: str = Field(..., examples=["Not found."])


class ErrorItem(Schema):
    loc: list[str | int] = Field(..., description='Where the bad value is, e.g. ["query", "type"].')
    msg: str = Field(..., description="What is wrong with it and what is allowed.")
    type: str = Field("value_error", description="A machine-readable error kind.")


class ValidationErrors(Schema):
    detail: list[ErrorItem]


# ---------------------------------------------------------------------------------------------
# Organisations


class LevelCountOut(Schema):
    key: str = Field(..., description="1–5, `insufficient` or `none`.")
    label: str
    level: int | None
    count: int


class StateOut(Schema):
    code: str = Field(..., pattern=STATE_CODE_PATTERN, description="USPS code, e.g. MA.")
    fips: str = Field(..., pattern=FIPS_PATTERN, description="State FIPS code, e.g. 25.")
    name: str
    data_note: str = Field(..., description="Which figures are real or synthetic, and similar.")


class StateDetailOut(StateOut):
    whole_state: bool = Field(
        ...,
        description="True when you reach every school of the state; false when the counts cover "
        "only the districts or schools you work with.",
    )
    school_count: int = Field(..., description="Schools of this state you can see.")
    level_counts: list[LevelCountOut] = Field(
        ..., description="Schools you can see by current accountability level."
    )


class DistrictRef(Schema):
    id: int
    code: str = Field(..., pattern=ORG_CODE_PATTERN, description="State district code.")
    nces_leaid: str | None = Field(
        None, pattern=LEAID_PATTERN, description="NCES LEAID: seven digits (state FIPS + 5)."
    )
    name: str


class DistrictOut(DistrictRef):
    state: str = Field(..., pattern=STATE_CODE_PATTERN)
    is_charter: bool
    school_count: int


class DistrictPage(Schema):
    count: int
    items: list[DistrictOut]


class DistrictDetailOut(DistrictOut):
    state_name: str
    level_counts: list[LevelCountOut]


class CurrentDetermination(Schema):
    year: int = Field(..., description="Spring year of the school year, e.g. 2017 for 2016–17.")
    label: str
    level: int | None
    reason: str
    percentile: int | None


class SchoolOut(Schema):
    id: int
    code: str = Field(..., pattern=ORG_CODE_PATTERN, description="State school code.")
    nces_id: str | None = Field(
        None,
        pattern=NCESSCH_PATTERN,
        description="NCES school id (NCESSCH): twelve digits, "
        "the LEAID followed by a five-digit school number.",
    )
    name: str
    district: DistrictRef
    state: str = Field(..., pattern=STATE_CODE_PATTERN)
    school_type: str = Field(..., json_schema_extra=_enum(SchoolType.values))
    grade_low: str
    grade_high: str
    grade_span: str
    title_i: str = Field(..., json_schema_extra=_enum(TitleIStatus.values))
    is_charter: bool
    current: CurrentDetermination | None = Field(
        ..., description="The latest determination, or null when there is none."
    )
    enrollment: int | None = Field(..., description="Enrolment in the latest year reported.")


class SchoolPage(Schema):
    count: int
    items: list[SchoolOut]


class DesignationOut(Schema):
    status: str
    status_label: str
    entered_year: int
    exited_year: int | None
    exit_reason: str


class DeterminationOut(Schema):
    year: int
    ruleset: str
    label: str
    level: int | None
    reason: str
    percentile: int | None
    is_official: bool


class ResultOut(Schema):
    year: int
    subject: str
    subject_label: str
    group: str
    group_label: str
    n_tested: int | None
    pct_proficient: float | None
    pct_proficient_coded: str | None = Field(
        ..., description="A band such as ≤5% shown instead of an exact percentage near 0 or 100."
    )
    composite_index: float | None
    median_sgp: float | None
    sgp_n: int | None
    suppressed: bool = Field(..., description="The row's values are withheld from you.")
    suppressed_reason: str
    missing: dict[str, str] = Field(..., description="Why a value is missing in the source.")


class SchoolDetailOut(SchoolOut):
    town: str
    designations: list[DesignationOut]
    determinations: list[DeterminationOut]
    protected: bool = Field(
        ...,
        description="True when small-cell suppression was applied to `results` (public, "
        "reviewer and TA audiences); false for roles that see restricted aggregates.",
    )
    results: list[ResultOut] = Field(
        ..., description="All-grades results by year, subject and student group."
    )
