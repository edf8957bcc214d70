"""Input and output shapes of the imports API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from turnaround.imports.models import ImportChange, ImportJob
from turnaround.imports.readers.base import OPTION_TYPES
from turnaround.imports.targets import MISSING_REASONS, TARGETS
from turnaround.organizations.schemas import DEFAULT_LIMIT, MAX_LIMIT, STATE_CODE_PARAM_PATTERN


class ImportOptionOut(Schema):
    name: str
    label: str
    help: str
    kind: str = Field(..., json_schema_extra={"enum": list(OPTION_TYPES)})
    allowed: list[str] = Field(..., description="Allowed values (of a mapping: its values).")


class ImportFormatOut(Schema):
    key: str = Field(..., description="The format's key, given as `format` when uploading.")
    label: str
    description: str
    extensions: list[str] = Field(..., description="File name endings it reads, e.g. .csv.")
    targets: list[str] = Field(
        ...,
        description="Tables it fills.",
        json_schema_extra={"items": {"type": "string", "enum": list(TARGETS)}},
    )
    restricted: bool = Field(..., description="True for student-level (restricted) records.")
    options: list[ImportOptionOut] = Field(
        ..., description="Options of this format beyond year and grade (upload `options`)."
    )


class ImportUploadIn(Schema):
    format: str = Field(..., description="A format key from /imports/formats.")
    state: str | None = Field(
        None,
        pattern=STATE_CODE_PARAM_PATTERN,
        description="Two-letter state code; needed only when you administer several states.",
    )
    year: int | None = Field(
        None, ge=1990, le=2100, description="Spring year, for files that do not say their year."
    )
    grade: int | None = Field(
        None, ge=3, le=12, description="Tested grade, for files of one grade that do not say it."
    )
    options: str | None = Field(
        None,
        description="The format's own options (`options` of /imports/formats) as a JSON object: "
        "text for `choice` and `text` options, a list of text for `choices` and `texts`, an "
        'object of text for `mapping`, e.g. `{"title_i_yes": "targeted", "targets": '
        '["schools"]}`. Unknown options and values not allowed are refused (422) with the '
        "allowed ones named.",
    )


class DistrictCountsOut(Schema):
    new: int
    changed: int
    unchanged: int


class TargetSummaryOut(Schema):
    rows: int = Field(..., description="Rows of this table in the file.")
    new: int = Field(..., description="Rows the commit creates (created).")
    changed: int = Field(..., description="Stored rows whose values differ (updated).")
    unchanged: int = Field(..., description="Stored rows already equal to the file's.")
    missing: dict[str, int] = Field(
        ...,
        description="Values given as missing, by reason: " + ", ".join(MISSING_REASONS) + ".",
    )
    fields: dict[str, int] = Field(..., description="Changed rows by field.")
    districts: DistrictCountsOut | None = Field(
        None, description="For the school directory: districts new, changed, unchanged."
    )
    kept_newer: int | None = Field(
        None,
        description="For the school directory: rows not applied because the school already "
        "holds directory data of a later year (kept: newer data stored).",
    )
    schools: int | None = Field(None, description="For student records: schools in the file.")


class ImportJobOut(Schema):
    id: int
    state: str = Field(..., description="Two-letter state code.")
    format: str
    file_name: str
    size: int = Field(..., description="Bytes.")
    sha256: str
    options: dict[str, Any]
    restricted: bool
    status: str = Field(..., json_schema_extra={"enum": ImportJob.Status.values})
    stage: str = Field(..., description="What the job is doing now.")
    progress_done: int
    progress_total: int = Field(..., description="0 while the total is not known.")
    percent: int = Field(..., ge=0, le=100)
    message: str
    problem_total: int = Field(..., description="Problems found in all (see /problems).")
    summary: dict[str, TargetSummaryOut] = Field(
        ..., description="Per table, what a commit will do (from the check)."
    )
    outcome: dict[str, TargetSummaryOut] = Field(
        ..., description="Per table, what the commit did (once committed)."
    )
    preview: dict[str, list[dict[str, Any]]] = Field(
        ...,
        description="Per table, the first rows as they will be stored; `_row` is the row in the "
        "file and `_action` new, changed, unchanged or, for the school directory, `kept: newer "
        "data stored`. Student records are shown as counts by school, year and subject, never "
        "row by row.",
    )
    notes: list[str]
    duplicate_of: int | None = Field(
        None, description="An earlier committed import of the same file, format and options."
    )
    data_source: int | None
    created_by: str | None
    created_at: datetime
    validated_at: datetime | None
    committed_by: str | None
    committed_at: datetime | None


class ImportJobPage(Schema):
    count: int
    items: list[ImportJobOut]


class ProblemOut(Schema):
    row: int | None = Field(..., description="Row in the file (the header is row 1).")
    column: str | None
    value: str | None
    reason: str


class ProblemPage(Schema):
    total: int = Field(..., description="Problems found in all.")
    kept: int = Field(..., description="Problems kept and listed (the first ones).")
    items: list[ProblemOut]


class ChangeQuery(Schema):
    target: str | None = Field(
        None,
        description="Only this table (schools, districts, results, profiles, determinations, "
        "students).",
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")
    offset: int = Field(0, ge=0, description="Items to skip.")


class ChangeOut(Schema):
    target: str
    key: str
    action: str = Field(..., json_schema_extra={"enum": ImportChange.Action.values})
    row: int | None
    changes: dict[str, Any] = Field(
        ..., description="{field: [old, new]}; student records {field: null} (values withheld)."
    )


class ChangePage(Schema):
    count: int
    items: list[ChangeOut]
