"""Input and output shapes of the frameworks API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from turnaround.frameworks.models import Framework, FrameworkVersion
from turnaround.organizations.schemas import STATE_CODE_PARAM_PATTERN

STATUS_ENUM = {"enum": FrameworkVersion.Status.values}
KIND_ENUM = {"enum": Framework.Kind.values}


class VersionSummaryOut(Schema):
    number: int
    label: str
    status: str = Field(..., json_schema_extra=STATUS_ENUM)
    published_at: datetime | None
    previous: int | None = Field(..., description="Number of the version this one follows.")
    version: int = Field(
        ...,
        description="Edit counter: it grows with every change to a draft; send it back as "
        "`expected_version` to publish exactly what you reviewed.",
    )


class FrameworkRef(Schema):
    id: int
    key: str
    name: str
    kind: str = Field(..., json_schema_extra=KIND_ENUM)
    state: str | None = Field(
        ..., description="Two-letter state code; null for a shared framework."
    )
    practice_term: str
    component_term: str
    description: str


class FrameworkOut(FrameworkRef):
    can_edit: bool = Field(
        ..., description="You administer the framework's state: you may draft and publish."
    )
    can_copy: bool = Field(
        ..., description="A shared framework you may copy into a state you administer."
    )
    versions: list[VersionSummaryOut] = Field(..., description="Newest first.")


class ScaleLevelOut(Schema):
    code: int
    label: str
    description: str


class ScaleOut(Schema):
    key: str
    name: str
    description: str
    allows_not_priority: bool
    levels: list[ScaleLevelOut]


class CrosswalkOut(Schema):
    indicator_id: int
    code: str
    framework_id: int
    version: int = Field(..., description="Number of the version the source indicator belongs to.")


class DescriptorOut(Schema):
    level: int
    text: str


class IndicatorOut(Schema):
    id: int
    code: str
    text: str
    look_fors: str
    is_key: bool
    tags: list[str] = Field(..., description="taxonomy-key:tag-key")
    descriptors: list[DescriptorOut] = Field(..., description="By level code, lowest first.")
    derived_from: CrosswalkOut | None = Field(
        ..., description="The earlier indicator this one continues."
    )


class ComponentOut(Schema):
    id: int
    code: str
    name: str
    description: str
    indicators: list[IndicatorOut]


class PracticeOut(Schema):
    id: int
    code: str
    name: str
    summary: str
    components: list[ComponentOut]


class ProblemOut(Schema):
    loc: list[str | int]
    msg: str


class VersionDetailOut(VersionSummaryOut):
    framework: FrameworkRef
    notes: str
    scale: ScaleOut
    practices: list[PracticeOut]
    publish_problems: list[ProblemOut] = Field(
        ...,
        description="For a draft you may edit: what stops it from being published (empty when "
        "it is ready). Always empty otherwise.",
    )


class FrameworkImportIn(Schema):
    state: str | None = Field(
        None,
        pattern=STATE_CODE_PARAM_PATTERN,
        description="The state to import into; needed only when you administer several.",
    )
    content: str | None = Field(
        None, description="The file's text, YAML or JSON (give this or `document`)."
    )
    format: Literal["yaml", "json"] | None = Field(
        None, description="Format of `content`; guessed when left out."
    )
    document: dict[str, Any] | None = Field(
        None, description="The framework document as a JSON object (give this or `content`)."
    )


class ImportOut(Schema):
    framework_id: int
    key: str
    name: str
    version: int
    status: str = Field(..., json_schema_extra=STATUS_ENUM)
    created_framework: bool = Field(
        ..., description="True for a new framework; false for a new draft version of one."
    )
    counts: dict[str, int]


class NewVersionIn(Schema):
    label: str = Field("", max_length=100)
    notes: str = Field("", description="What will change in this version.")


class PublishIn(Schema):
    expected_version: int | None = Field(
        None,
        description="The draft's `version` counter you reviewed; a different one is a 409 "
        "(someone changed the draft since).",
    )


class CopyIn(Schema):
    state: str | None = Field(
        None,
        pattern=STATE_CODE_PARAM_PATTERN,
        description="The state to copy into; needed only when you administer several.",
    )
    key: str | None = Field(None, description="Default: the shared framework's key.")
    name: str | None = Field(None, description="Default: the shared framework's name.")


class CopyOut(VersionSummaryOut):
    framework_id: int = Field(..., description="The state's new framework.")
