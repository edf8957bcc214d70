"""Imports over the API (state administrators; everyone else gets 404).

- ``GET /imports/formats``: the formats you may import.
- ``POST /imports`` (multipart: ``file``, ``format``, optional ``state``, ``year``, ``grade`` and
  ``options``, the format's own options as a JSON object): stores the
  file and starts its check; answers 201 with the job (already checked when jobs run at once).
  Poll ``GET /imports/{id}`` for its progress.
- ``GET /imports/{id}/problems``: the problems (row, column, value, reason), with the total.
- ``POST /imports/{id}/commit``: writes a ready job, all rows or none; 409 when the job is not
  ready (problems found, still being checked, already committed).
- ``POST /imports/{id}/check``: checks a ready or failed job again.
- ``GET /imports/{id}/changes``: the rows a committed job created or changed.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from ninja import File, Form, Query, Router, Status, UploadedFile
from ninja.errors import ValidationError

from turnaround.imports.jobs import job_start
from turnaround.imports.models import ImportJob
from turnaround.imports.readers import READERS
from turnaround.imports.schemas import (
    ChangePage,
    ChangeQuery,
    ImportFormatOut,
    ImportJobOut,
    ImportJobPage,
    ImportUploadIn,
    ProblemPage,
)
from turnaround.imports.selectors import (
    get_import_job_for_user,
    import_jobs_for_user,
    import_states_for_user,
    job_changes,
    live_progress,
    may_import,
    readers_for_user,
)
from turnaround.imports.services import ImportRefused, import_job_create, import_job_request_commit
from turnaround.imports.targets import TARGETS
from turnaround.organizations.schemas import Message, PageQuery, ValidationErrors

router = Router(tags=["imports"])

_ERRORS: dict[int, Any] = {401: Message, 422: ValidationErrors}
_ERRORS_404: dict[int, Any] = {**_ERRORS, 404: Message}
CHANGE_TARGETS = ("districts", *TARGETS)


def _invalid(where: str, field: str, msg: str) -> ValidationError:
    return ValidationError([{"loc": [where, field], "msg": msg, "type": "value_error"}])


def _format_options(text: str | None) -> dict[str, Any]:
    """The upload's ``options`` (a JSON object of text, lists of text or objects of text)."""
    if not text or not text.strip():
        return {}
    try:
        given = json.loads(text)
    except ValueError as exc:
        raise _invalid("body", "options", "must be a JSON object") from exc
    if not isinstance(given, dict):
        raise _invalid("body", "options", "must be a JSON object")
    for name, value in given.items():
        if name in ("year", "grade"):
            raise _invalid("body", "options", f"give {name} as its own field")
        ok = (
            isinstance(value, str)
            or (isinstance(value, list) and all(isinstance(v, str) for v in value))
            or (
                isinstance(value, dict)
                and all(
                    isinstance(v, str | int) and not isinstance(v, bool) for v in value.values()
                )
            )
        )
        if not ok:
            raise _invalid("body", "options", f"{name}: a text, a list of text or an object")
    return given


def _parts(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in (summary or {}).items() if k in TARGETS and isinstance(v, dict)}


def job_item(job: ImportJob) -> dict[str, Any]:
    live_progress(job)
    return {
        "id": job.pk,
        "state": job.state.code,
        "format": job.reader,
        "file_name": job.file_name,
        "size": job.size,
        "sha256": job.sha256,
        "options": dict(job.options),
        "restricted": job.restricted,
        "status": job.status,
        "stage": job.stage,
        "progress_done": job.progress_done,
        "progress_total": job.progress_total,
        "percent": job.percent,
        "message": job.message,
        "problem_total": job.problem_total,
        "summary": _parts(job.summary),
        "outcome": _parts(job.outcome),
        "preview": {k: v for k, v in (job.preview or {}).items() if k in TARGETS},
        "notes": list((job.summary or {}).get("notes", [])),
        "duplicate_of": job.duplicate_of_id,
        "data_source": job.data_source_id,
        "created_by": job.created_by.get_username() if job.created_by else None,
        "created_at": job.created_at,
        "validated_at": job.validated_at,
        "committed_by": job.committed_by.get_username() if job.committed_by else None,
        "committed_at": job.committed_at,
    }


@router.get(
    "/imports/formats",
    response={200: list[ImportFormatOut], **_ERRORS},
    operation_id="import_format_list",
    summary="File formats you may import",
)
def import_format_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Empty unless you are a state administrator."""
    return [
        {
            "key": r.key,
            "label": r.label,
            "description": r.description,
            "extensions": list(r.extensions),
            "targets": list(r.targets),
            "restricted": r.restricted,
            "options": [
                {
                    "name": o.name,
                    "label": o.label,
                    "help": o.help,
                    "kind": o.kind,
                    "allowed": list(o.allowed),
                }
                for o in r.options
            ],
        }
        for r in readers_for_user(request.user)
    ]


@router.get(
    "/imports",
    response={200: ImportJobPage, **_ERRORS},
    operation_id="import_list",
    summary="Imports of your states",
)
def import_list(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """Newest first; empty unless you are a state administrator."""
    qs = import_jobs_for_user(request.user)
    rows = list(qs[page.offset : page.offset + page.limit])
    return {"count": qs.count(), "items": [job_item(j) for j in rows]}


@router.post(
    "/imports",
    response={201: ImportJobOut, **_ERRORS_404},
    operation_id="import_upload",
    summary="Upload a file and start its check",
)
def import_upload(
    request: HttpRequest, payload: Form[ImportUploadIn], file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    """Stores the file with its SHA-256 and checks it: every problem is listed with its row,
    column and value, and nothing is written. 404 when you are not a state administrator of the
    state (or the format is one you may not import); 422 for an unknown format or a file of the
    wrong kind."""
    states = import_states_for_user(request.user)
    if payload.state:
        state = states.filter(code=payload.state.upper()).first()
        if state is None:
            raise Http404("Not found.")
    else:
        choices = list(states[:2])
        if not choices:
            raise Http404("Not found.")
        if len(choices) > 1:
            codes = ", ".join(states.values_list("code", flat=True))
            raise _invalid("body", "state", f"you administer several states; name one: {codes}")
        state = choices[0]
    reader = READERS.get(payload.format)
    if reader is None:
        allowed = ", ".join(sorted(READERS))
        raise _invalid("body", "format", f"unknown format; the formats are: {allowed}")
    if not may_import(request.user, state, reader):
        raise Http404("Not found.")
    given = _format_options(payload.options)
    try:
        job = import_job_create(
            actor=request.user,
            state=state,
            reader_key=reader.key,
            blocks=file.chunks(),
            file_name=file.name or "upload",
            options={**given, "year": payload.year, "grade": payload.grade},
        )
    except DjangoValidationError as exc:
        raise ValidationError(
            [
                {
                    "loc": ["body", field]
                    if field in ("year", "grade", "file", "reader")
                    else ["body", "options", field],
                    "msg": " ".join(msgs),
                    "type": "value_error",
                }
                for field, msgs in exc.message_dict.items()
            ]
        ) from exc
    job_start(job, "validate")
    job.refresh_from_db()
    return Status(201, job_item(job))


@router.get(
    "/imports/{job_id}",
    response={200: ImportJobOut, **_ERRORS_404},
    operation_id="import_detail",
    summary="One import with its status, progress, summary and preview",
)
def import_detail(request: HttpRequest, job_id: int) -> dict[str, Any]:
    return job_item(get_import_job_for_user(request.user, job_id))


@router.get(
    "/imports/{job_id}/problems",
    response={200: ProblemPage, **_ERRORS_404},
    operation_id="import_problems",
    summary="The problems found in an import's file",
)
def import_problems(request: HttpRequest, job_id: int, page: Query[PageQuery]) -> dict[str, Any]:
    """Row (the header is row 1), column, value and reason of each problem; `total` counts them
    all, `kept` how many were kept (the first ones)."""
    job = get_import_job_for_user(request.user, job_id)
    kept = job.problems or []
    return {
        "total": job.problem_total,
        "kept": len(kept),
        "items": kept[page.offset : page.offset + page.limit],
    }


@router.post(
    "/imports/{job_id}/commit",
    response={200: ImportJobOut, 409: Message, **_ERRORS_404},
    operation_id="import_commit",
    summary="Commit a checked import (all rows or none)",
)
def import_commit(request: HttpRequest, job_id: int) -> Status[dict[str, Any]]:
    """Writes every row of a ready import in one transaction, with its data source (file name
    and checksum) and the change records, or nothing. 409 when the import is not ready: problems
    were found, it is still being checked, or it was already committed."""
    job = get_import_job_for_user(request.user, job_id)
    try:
        job = import_job_request_commit(job=job, actor=request.user)
    except ImportRefused as exc:
        return Status(409, {"detail": str(exc)})
    job_start(job, "commit")
    job.refresh_from_db()
    return Status(200, job_item(job))


@router.post(
    "/imports/{job_id}/check",
    response={200: ImportJobOut, 409: Message, **_ERRORS_404},
    operation_id="import_check",
    summary="Check an import's file again",
)
def import_check(request: HttpRequest, job_id: int) -> Status[dict[str, Any]]:
    """For a ready import (e.g. the stored data changed) or a failed one."""
    job = get_import_job_for_user(request.user, job_id)
    if job.status not in (ImportJob.Status.READY, ImportJob.Status.FAILED):
        return Status(409, {"detail": "Only a ready or failed import can be checked again."})
    job_start(job, "validate")
    job.refresh_from_db()
    return Status(200, job_item(job))


@router.get(
    "/imports/{job_id}/changes",
    response={200: ChangePage, **_ERRORS_404},
    operation_id="import_changes",
    summary="Rows a committed import created or changed",
)
def import_changes(
    request: HttpRequest, job_id: int, filters: Query[ChangeQuery]
) -> dict[str, Any]:
    job = get_import_job_for_user(request.user, job_id)
    if filters.target and filters.target not in CHANGE_TARGETS:
        raise _invalid("query", "target", f"allowed: {', '.join(CHANGE_TARGETS)}")
    qs = job_changes(job, filters.target)
    rows = qs[filters.offset : filters.offset + filters.limit]
    return {
        "count": qs.count(),
        "items": [
            {
                "target": c.target,
                "key": c.key,
                "action": c.action,
                "row": c.row,
                "changes": c.changes,
            }
            for c in rows
        ],
    }
