"""Frameworks over the API: list, read a version's whole tree, export, import, version, publish.

- Reading: everyone with a membership reads the shared frameworks and their states' own; anyone
  else gets an empty list and 404s.
- Writing (import, new version, publish, copy): state administrators, for their state's
  frameworks; shared frameworks are read-only here (404 for writes).
- Errors: 404 ``{"detail": "Not found."}``; 409 ``{"detail": …}`` when the request does not fit
  the version's state (published or retired versions never change; a draft already exists; a
  stale ``expected_version``); 422 ``{"detail": [{"loc": […], "msg": …, "type": …}]}`` listing
  every problem of an import (``loc`` into the document, e.g. ``["body", "document",
  "practices", 1, "components", 0, "indicators", 2, "descriptors"]``) or of a publish (``loc``
  ``["version", "TP2.3"]``).
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.errors import ValidationError

from turnaround.core.concurrency import StaleEditError
from turnaround.frameworks import io
from turnaround.frameworks.checks import publish_problems
from turnaround.frameworks.models import Framework, FrameworkVersion
from turnaround.frameworks.problems import FrameworkError, Problem, VersionConflict, VersionLocked
from turnaround.frameworks.schemas import (
    CopyIn,
    CopyOut,
    FrameworkImportIn,
    FrameworkOut,
    ImportOut,
    NewVersionIn,
    PublishIn,
    VersionDetailOut,
    VersionSummaryOut,
)
from turnaround.frameworks.selectors import (
    VersionAccess,
    admin_states_for_user,
    frameworks_for_user,
    get_framework_for_user,
    get_version_for_user,
)
from turnaround.frameworks.services import (
    framework_copy_to_state,
    framework_import,
    framework_version_create,
    framework_version_publish,
)
from turnaround.organizations.models import State
from turnaround.organizations.schemas import Message, ValidationErrors

router = Router(tags=["frameworks"])

_ERRORS: dict[int, Any] = {401: Message, 422: ValidationErrors}
_ERRORS_404: dict[int, Any] = {**_ERRORS, 404: Message}
_WRITE_ERRORS: dict[int, Any] = {**_ERRORS_404, 409: Message}


def _invalid(problems: list[Problem], prefix: tuple[str, ...], kind: str) -> ValidationError:
    return ValidationError(
        [{"loc": [*prefix, *p.loc], "msg": p.msg, "type": kind} for p in problems]
    )


def _framework_ref(framework: Framework) -> dict[str, Any]:
    return {
        "id": framework.pk,
        "key": framework.key,
        "name": framework.name,
        "kind": framework.kind,
        "state": framework.state.code if framework.state_id else None,
        "practice_term": framework.practice_term,
        "component_term": framework.component_term,
        "description": framework.description,
    }


def _summary(version: FrameworkVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "label": version.label,
        "status": version.status,
        "published_at": version.published_at,
        "previous": version.previous.number if version.previous_id else None,
        "version": version.version,
    }


def _tree(va: VersionAccess) -> dict[str, Any]:
    version = va.version
    scale = version.scale
    practices = []
    for p in io.content_queryset(version):
        components = []
        for c in p.components.all():
            indicators = []
            for i in c.indicators.all():
                source = i.derived_from
                indicators.append(
                    {
                        "id": i.pk,
                        "code": i.code,
                        "text": i.text,
                        "look_fors": i.look_fors,
                        "is_key": i.is_key,
                        "tags": sorted(f"{t.taxonomy.key}:{t.key}" for t in i.tags.all()),
                        "descriptors": [
                            {"level": d.level_code, "text": d.text} for d in i.descriptors.all()
                        ],
                        "derived_from": None
                        if source is None
                        else {
                            "indicator_id": source.pk,
                            "code": source.code,
                            "framework_id": source.framework_version.framework_id,
                            "version": source.framework_version.number,
                        },
                    }
                )
            components.append(
                {
                    "id": c.pk,
                    "code": c.code,
                    "name": c.name,
                    "description": c.description,
                    "indicators": indicators,
                }
            )
        practices.append(
            {
                "id": p.pk,
                "code": p.code,
                "name": p.name,
                "summary": p.summary,
                "components": components,
            }
        )
    problems = publish_problems(version) if va.can_edit else []
    return {
        **_summary(version),
        "framework": _framework_ref(va.framework),
        "notes": version.notes,
        "scale": {
            "key": scale.key,
            "name": scale.name,
            "description": scale.description,
            "allows_not_priority": scale.allows_not_priority,
            "levels": [
                {"code": lv.code, "label": lv.label, "description": lv.description}
                for lv in scale.levels.all()
            ],
        },
        "practices": practices,
        "publish_problems": [{"loc": list(p.loc), "msg": p.msg} for p in problems],
    }


def _admin_state(request: HttpRequest, code: str | None) -> State:
    states = admin_states_for_user(request.user)
    if code:
        state = states.filter(code=code.upper()).first()
        if state is None:
            raise Http404("Not found.")
        return state
    choices = list(states[:2])
    if not choices:
        raise Http404("Not found.")
    if len(choices) > 1:
        codes = ", ".join(states.values_list("code", flat=True))
        raise ValidationError(
            [
                {
                    "loc": ["body", "state"],
                    "msg": f"you administer several states; name one: {codes}",
                    "type": "value_error",
                }
            ]
        )
    return choices[0]


# ---------------------------------------------------------------------------------------------
# Reading


@router.get(
    "/frameworks",
    response={200: list[FrameworkOut], **_ERRORS},
    operation_id="framework_list",
    summary="Frameworks you may use, with their versions",
)
def framework_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The shared frameworks and those of the states you reach; empty without a membership."""
    reach_admin = set(admin_states_for_user(request.user).values_list("pk", flat=True))
    out = []
    for framework in frameworks_for_user(request.user).prefetch_related("versions__previous"):
        out.append(
            {
                **_framework_ref(framework),
                "can_edit": framework.state_id in reach_admin,
                "can_copy": framework.state_id is None and bool(reach_admin),
                "versions": [
                    _summary(v) for v in sorted(framework.versions.all(), key=lambda v: -v.number)
                ],
            }
        )
    return out


@router.get(
    "/frameworks/{framework_id}/versions/{number}",
    response={200: VersionDetailOut, **_ERRORS_404},
    operation_id="framework_version_detail",
    summary="One version with its practices, components, indicators and descriptors",
)
def framework_version_detail(
    request: HttpRequest, framework_id: int, number: int
) -> dict[str, Any]:
    return _tree(get_version_for_user(request.user, framework_id, number))


class ExportQuery(Schema):
    format: Literal["yaml", "json"] = "yaml"


@router.get(
    "/frameworks/{framework_id}/versions/{number}/export",
    response={**_ERRORS_404},
    operation_id="framework_version_export",
    summary="Download a version in the framework file format (YAML or JSON)",
    openapi_extra={
        "responses": {
            200: {
                "description": "The framework document (format turnaround-framework/1), as an "
                "attachment; the same schema `POST /frameworks/import` reads.",
                "content": {
                    "application/yaml": {"schema": {"type": "string"}},
                    "application/json": {"schema": {"type": "object"}},
                },
            }
        }
    },
)
def framework_version_export(
    request: HttpRequest, framework_id: int, number: int, query: Query[ExportQuery]
) -> HttpResponse:
    version = get_version_for_user(request.user, framework_id, number).version
    fmt = query.format
    text = io.dumps(io.version_document(version), fmt)
    kind = "application/json" if fmt == "json" else "application/yaml"
    response = HttpResponse(text, content_type=f"{kind}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{io.export_filename(version, fmt)}"'
    return response


# ---------------------------------------------------------------------------------------------
# Writing


@router.post(
    "/frameworks/import",
    response={201: ImportOut, **_WRITE_ERRORS},
    operation_id="framework_import",
    summary="Import a framework file as a new draft version (or a new framework)",
)
def framework_import_view(
    request: HttpRequest, payload: FrameworkImportIn
) -> Status[dict[str, Any]]:
    """State administrators: the document becomes the next draft version of your state's
    framework with its key, or a new framework. Every problem is reported (422) with its location
    in the document, and nothing is stored unless there are none (a framework that already has a
    draft is one: publish or discard the draft first)."""
    state = _admin_state(request, payload.state)
    if (payload.content is None) == (payload.document is None):
        raise ValidationError(
            [
                {
                    "loc": ["body", "content"],
                    "msg": "give the file's text as `content`, or the document as `document`",
                    "type": "value_error",
                }
            ]
        )
    where = ("body", "content") if payload.content is not None else ("body", "document")
    try:
        document = (
            io.parse(payload.content, payload.format)
            if payload.content is not None
            else payload.document
        )
        result = framework_import(actor=request.user, document=document, state=state)
    except VersionConflict as exc:
        return Status(409, {"detail": str(exc)})
    except FrameworkError as exc:
        raise _invalid(exc.problems, where, "framework_document") from exc
    return Status(
        201,
        {
            "framework_id": result.framework.pk,
            "key": result.framework.key,
            "name": result.framework.name,
            "version": result.version.number,
            "status": result.version.status,
            "created_framework": result.created_framework,
            "counts": result.counts,
        },
    )


@router.post(
    "/frameworks/{framework_id}/versions",
    response={201: VersionSummaryOut, **_WRITE_ERRORS},
    operation_id="framework_version_create",
    summary="Start the next version as a draft copy of the latest one",
)
def framework_version_create_view(
    request: HttpRequest, framework_id: int, payload: NewVersionIn
) -> Status[dict[str, Any]]:
    """Each indicator of the copy continues (``derived_from``) the one it was copied from. 409
    while a draft exists; 404 unless you administer the framework's state."""
    access = get_framework_for_user(request.user, framework_id)
    if not access.can_edit:
        raise Http404("Not found.")
    try:
        version = framework_version_create(
            actor=request.user, framework=access.framework, label=payload.label, notes=payload.notes
        )
    except FrameworkError as exc:
        return Status(409, {"detail": str(exc)})
    return Status(201, _summary(version))


@router.post(
    "/frameworks/{framework_id}/versions/{number}/publish",
    response={200: VersionSummaryOut, **_WRITE_ERRORS},
    operation_id="framework_version_publish",
    summary="Publish a draft (the previous published version is retired)",
)
def framework_version_publish_view(
    request: HttpRequest, framework_id: int, number: int, payload: PublishIn
) -> dict[str, Any] | Status[dict[str, Any]]:
    """422 lists what stops publishing (incomplete indicators; rated indicators of the previous
    version dropped without a crosswalk); 409 for a version that is not a draft or a stale
    ``expected_version``."""
    va = get_version_for_user(request.user, framework_id, number)
    if not va.access.can_edit:
        raise Http404("Not found.")
    try:
        version = framework_version_publish(
            actor=request.user, version=va.version, expected_version=payload.expected_version
        )
    except (VersionLocked, StaleEditError) as exc:
        return Status(409, {"detail": str(exc)})
    except FrameworkError as exc:
        raise _invalid(exc.problems, ("version",), "publish_check") from exc
    return _summary(version)


@router.post(
    "/frameworks/{framework_id}/versions/{number}/copy",
    response={201: CopyOut, **_WRITE_ERRORS},
    operation_id="framework_copy_to_state",
    summary="Copy a shared framework's published version into your state as a draft",
)
def framework_copy_view(
    request: HttpRequest, framework_id: int, number: int, payload: CopyIn
) -> Status[dict[str, Any]]:
    va = get_version_for_user(request.user, framework_id, number)
    if not va.access.can_copy:
        raise Http404("Not found.")
    state = _admin_state(request, payload.state)
    try:
        copy = framework_copy_to_state(
            actor=request.user, version=va.version, state=state, key=payload.key, name=payload.name
        )
    except VersionConflict as exc:
        return Status(409, {"detail": str(exc)})
    except FrameworkError as exc:
        raise _invalid(exc.problems, ("body",), "value_error") from exc
    return Status(201, {**_summary(copy), "framework_id": copy.framework_id})
