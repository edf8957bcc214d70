"""Import pages: the state's imports, a new import, and one import from check to commit.

Every page asks ``imports.selectors`` (state administrators only; everyone else gets a 404) and
every change goes through ``imports.services``. The job page refreshes its progress with htmx
while the job is checked or committed, and works without JavaScript (reload the page).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from turnaround.core.exports import table_csv
from turnaround.imports.forms import ImportUploadForm
from turnaround.imports.jobs import job_start
from turnaround.imports.models import ImportJob
from turnaround.imports.readers import READERS
from turnaround.imports.readers.template import (
    MARKER_GUIDE,
    column_guide,
    template_csv,
    template_xlsx,
)
from turnaround.imports.selectors import (
    get_import_job_for_user,
    import_jobs_for_user,
    import_states_for_user,
    job_change_targets,
    job_changes,
    live_progress,
    may_import,
    readers_for_user,
    sees_student_rows,
)
from turnaround.imports.services import ImportRefused, import_job_create, import_job_request_commit
from turnaround.imports.targets import TARGETS

JOBS_PER_PAGE = 25
PROBLEMS_PER_PAGE = 50
CHANGES_PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_importer(request: HttpRequest) -> None:
    if not import_states_for_user(request.user).exists():
        raise Http404("Not found.")


def _htmx_target(request: HttpRequest) -> str:
    return request.headers.get("HX-Target", "") if getattr(request, "htmx", False) else ""


def _started(job: ImportJob, how: str, action: str) -> str:
    if how == "worker":
        return f"Import {job.pk} is queued for the import worker."
    if how == "thread":
        return f"Import {job.pk}: the {'check' if action == 'validate' else 'commit'} has started."
    return f"Import {job.pk}: {job.message or job.get_status_display()}"


@login_required
@require_GET
def import_list(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    page = Paginator(import_jobs_for_user(request.user), JOBS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    jobs = [live_progress(j) for j in page.object_list]
    context = {"page": page, "jobs": jobs, "any_active": any(j.is_active for j in jobs)}
    if _htmx_target(request) == "import-jobs":
        return render(request, "imports/jobs_table.html", context)
    return render(request, "imports/list.html", context)


def _upload_form(request: HttpRequest, data: Any = None, files: Any = None) -> ImportUploadForm:
    return ImportUploadForm(
        data,
        files,
        states=import_states_for_user(request.user),
        readers=readers_for_user(request.user),
    )


def _new_page(request: HttpRequest, form: ImportUploadForm, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "readers": list(form.readers.values()),
        "guide": column_guide(),
        "markers": MARKER_GUIDE,
    }
    return render(request, "imports/new.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    if request.method == "GET":
        return _new_page(request, _upload_form(request))
    form = _upload_form(request, request.POST, request.FILES)
    if not form.is_valid():
        return _new_page(request, form, status=422)
    state = form.cleaned_data["state"]
    reader = READERS[form.cleaned_data["reader"]]
    if not may_import(request.user, state, reader):
        raise Http404("Not found.")
    upload = form.cleaned_data["file"]
    try:
        job = import_job_create(
            actor=request.user,
            state=state,
            reader_key=reader.key,
            blocks=upload.chunks(),
            file_name=upload.name or "upload",
            options={
                "year": form.cleaned_data.get("year"),
                "grade": form.cleaned_data.get("grade"),
                **form.reader_options(),
            },
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            option = form.option_field(reader.key, field)
            if field not in form.fields and option in form.fields:
                field = option
            form.add_error(field if field in form.fields else None, errors)
        return _new_page(request, form, status=422)
    how = job_start(job, "validate")
    job.refresh_from_db()
    messages.info(request, _started(job, how, "validate"))
    return redirect("imports:detail", job_id=job.pk)


def _detail_context(request: HttpRequest, job: ImportJob) -> dict[str, Any]:
    live_progress(job)
    problems = Paginator(job.problems or [], PROBLEMS_PER_PAGE).get_page(
        request.GET.get("problems_page")
    )
    target = request.GET.get("target", "")
    targets = job_change_targets(job) if job.status == ImportJob.Status.COMMITTED else []
    if target not in targets:
        target = ""
    changes = Paginator(job_changes(job, target or None), CHANGES_PER_PAGE).get_page(
        request.GET.get("changes_page")
    )
    summary = job.outcome if job.status == ImportJob.Status.COMMITTED else job.summary
    parts = [
        {"key": key, "label": TARGETS[key].label if key in TARGETS else key, **value}
        for key, value in (summary or {}).items()
        if isinstance(value, dict) and key in TARGETS
    ]
    previews = [
        _preview_table(key, rows)
        for key, rows in (job.preview or {}).items()
        if key in TARGETS and rows
    ]
    reader = READERS.get(job.reader)
    return {
        "job": job,
        "reader_label": reader.label if reader else job.reader,
        "problems": problems,
        "problems_shown": len(job.problems or []),
        "parts": parts,
        "notes": (job.summary or {}).get("notes", []),
        "previews": previews if not job.restricted or sees_student_rows(request.user, job) else [],
        "changes": changes,
        "change_targets": targets,
        "change_target": target,
        "changes_recorded": (job.outcome or {}).get("changes_recorded", 0),
    }


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items()) or "—"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value) or "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _preview_table(key: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A preview as a table: its columns, and per row the cells and what the commit does."""
    columns = [c for c in rows[0] if not c.startswith("_")]
    return {
        "key": key,
        "label": TARGETS[key].label,
        "columns": columns,
        "rows": [
            {
                "row": row.get("_row"),
                "action": row.get("_action", ""),
                "changed": row.get("_changed", []),
                "cells": [_cell(row.get(c)) for c in columns],
            }
            for row in rows
        ],
    }


@login_required
@require_GET
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_import_job_for_user(request.user, job_id)
    context = _detail_context(request, job)
    if _htmx_target(request) == "import-progress":
        return render(request, "imports/job_body.html", context)
    return render(request, "imports/detail.html", context)


@login_required
@require_POST
def import_commit(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_import_job_for_user(request.user, job_id)
    try:
        job = import_job_request_commit(job=job, actor=request.user)
    except ImportRefused as exc:
        messages.error(request, str(exc))
        context = _detail_context(request, job)
        return render(request, "imports/detail.html", context, status=409)
    how = job_start(job, "commit")
    job.refresh_from_db()
    if job.status == ImportJob.Status.FAILED or job.status == ImportJob.Status.INVALID:
        messages.error(request, job.message)
    else:
        messages.success(request, _started(job, how, "commit"))
    return redirect("imports:detail", job_id=job.pk)


@login_required
@require_POST
def import_validate(request: HttpRequest, job_id: int) -> HttpResponse:
    """Check a failed (or ready) job's file again, e.g. after its schools were imported."""
    job = get_import_job_for_user(request.user, job_id)
    if job.status not in (ImportJob.Status.FAILED, ImportJob.Status.READY):
        messages.error(request, "Only a ready or failed import can be checked again.")
        return render(request, "imports/detail.html", _detail_context(request, job), status=409)
    how = job_start(job, "validate")
    job.refresh_from_db()
    messages.info(request, _started(job, how, "validate"))
    return redirect("imports:detail", job_id=job.pk)


@login_required
@require_GET
def import_problems_csv(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_import_job_for_user(request.user, job_id)
    rows = [(p["row"], p["column"], p["value"], p["reason"]) for p in job.problems or []]
    return table_csv(["row", "column", "value", "reason"], rows, f"import-{job.pk}-problems.csv")


@login_required
@require_GET
def template_download(request: HttpRequest, fmt: str) -> HttpResponse:
    """The results template with its example rows (and, in the workbook, the column guide)."""
    _require_importer(request)
    if fmt == "xlsx":
        response = HttpResponse(template_xlsx(), content_type=XLSX)
    elif fmt == "csv":
        response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    else:
        raise Http404("Not found.")
    response["Content-Disposition"] = f'attachment; filename="results-template.{fmt}"'
    return response
