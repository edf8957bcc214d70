"""Writes of the imports app: upload a file, check it, commit it.

- ``import_job_create`` stores the file under the data directory with its SHA-256 and creates the
  job (``uploaded``); an upload of a student-level file is recorded in the audit trail as a
  disclosure to the platform.
- ``import_job_validate`` is the check pass: every chunk through the reader and the writers'
  checks, every problem collected (row, column, value, reason), the summary of what a commit will
  do and a preview built; nothing is written to the domain tables. The job ends ``invalid`` or
  ``ready``.
- ``import_job_commit`` writes a ``ready`` job in one transaction — the data source (file name and
  checksum), every row, the change records and the audit event — or nothing at all. It refuses a
  job that is not ready (invalid, committed, still being checked) and a state that is already
  committing another job. A commit that would change nothing writes no data source.

No student data reaches the log: log lines carry job and state ids and exception types only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record
from turnaround.core.jobs import error_place
from turnaround.imports import storage
from turnaround.imports.models import ImportJob
from turnaround.imports.pipeline import CHUNK_ROWS, PassOutcome, run_pass
from turnaround.imports.problems import ProblemLog
from turnaround.imports.readers import READERS
from turnaround.imports.readers.base import Reader
from turnaround.imports.targets import TARGETS, ImportInvalid
from turnaround.organizations.models import State
from turnaround.performance.models import DataSource

logger = logging.getLogger(__name__)

#: ``progress(stage, done, total)`` (e.g. a progress bar)
ProgressCallback = Callable[[str, int, int], None]
YEAR_MIN, YEAR_MAX = 1990, 2100
OPTIONS = ("year", "grade")
#: Options the platform sets itself: never taken from people, whatever a reader declares.
_RESERVED_FROM_USERS = frozenset({"state", "pseudonym_key"})
#: Seconds between progress writes.
PROGRESS_INTERVAL = 0.5
#: A job checking or committing with no sign of life for this long was abandoned.
STALE_AFTER = timedelta(hours=2)
PROGRESS_CACHE_SECONDS = 24 * 3600


class ImportRefused(Exception):
    """An action the job's status does not allow now (the message says why)."""


class _Stop(Exception):
    """A job stopped with a message for the person who started it."""


# ---------------------------------------------------------------------------------------------
# Readers and options


def reader_for(key: str) -> Reader:
    reader = READERS.get(key)
    if reader is None:
        allowed = ", ".join(sorted(READERS))
        raise ValidationError({"reader": [f"unknown format {key!r}; the formats are: {allowed}"]})
    return reader


def is_restricted(reader: Reader) -> bool:
    return any(TARGETS[t].restricted for t in reader.targets if t in TARGETS)


def import_options_clean(
    options: Mapping[str, Any] | None, *, reader: Reader | None = None
) -> dict[str, Any]:
    """The options of an import: ``year`` (a spring year), ``grade`` (a tested grade, for files
    of one grade that do not say it) and the options the reader declares
    (``reader.declared_options``). Anything else is refused with the allowed names, a value that
    is not allowed with the allowed values; the platform's own options (``state``,
    ``pseudonym_key``) are never taken from people."""
    declared = {o.name: o for o in getattr(reader, "declared_options", ())}
    allowed = [*OPTIONS, *(n for n in declared if n not in _RESERVED_FROM_USERS)]
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, value in (options or {}).items():
        if value in (None, "") or value == [] or value == {}:
            continue
        text = str(value).strip()
        if name == "year":
            if isinstance(value, bool) or not text.isdigit():
                errors["year"] = [f"a year is a whole number such as 2017, got {value!r}"]
            elif not YEAR_MIN <= int(text) <= YEAR_MAX:
                errors["year"] = [f"the year must be between {YEAR_MIN} and {YEAR_MAX}"]
            else:
                cleaned["year"] = int(text)
        elif name == "grade":
            if not text.isdigit() or not 3 <= int(text) <= 12:
                errors["grade"] = [f"a tested grade is 3 to 12, got {value!r}"]
            else:
                cleaned["grade"] = f"{int(text):02d}"
        elif name in declared and name not in _RESERVED_FROM_USERS:
            try:
                cleaned[name] = declared[name].clean(value)
            except ValueError as exc:
                errors[name] = [str(exc)]
        else:
            where = f" for {reader.key}" if reader is not None else ""
            errors[name] = [f"unknown option{where}; allowed: {', '.join(allowed)}"]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _reader_options(job: ImportJob, reader: Reader) -> dict[str, Any]:
    """What the reader is given: the job's options, the state, and for student files the key."""
    given = {k: v for k, v in job.options.items() if k not in _RESERVED_FROM_USERS}
    options: dict[str, Any] = {**given, "state": job.state.code}
    if is_restricted(reader):
        options["pseudonym_key"] = storage.pseudonym_key(job.state)
    return options


def job_path(job: ImportJob) -> Path:
    return storage.data_dir() / job.stored_path


# ---------------------------------------------------------------------------------------------
# Upload


def import_job_create(
    *,
    actor: Any,
    state: State,
    reader_key: str,
    blocks: Iterable[bytes],
    file_name: str,
    options: Mapping[str, Any] | None = None,
) -> ImportJob:
    """Store an uploaded file and create its job (``uploaded``)."""
    reader = reader_for(reader_key)
    cleaned = import_options_clean(options, reader=reader)
    suffix = Path(file_name or "").suffix.lower()
    if suffix not in reader.extensions:
        raise ValidationError(
            {
                "file": [
                    f"{reader.label} reads {' or '.join(reader.extensions)} files; "
                    f"{file_name!r} is not one"
                ]
            }
        )
    stored = storage.store(blocks, file_name)  # an empty file is reported by the check
    restricted = is_restricted(reader)
    try:
        with transaction.atomic():
            earlier = _same_committed(state, reader.key, stored.sha256, cleaned)
            job = ImportJob.objects.create(
                state=state,
                reader=reader.key,
                targets=list(reader.targets),
                restricted=restricted,
                file_name=Path(file_name).name[:255],
                stored_path=stored.relative_path,
                sha256=stored.sha256,
                size=stored.size,
                options=cleaned,
                duplicate_of=earlier,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            changes: dict[str, Any] = {
                "reader": reader.key,
                "file_name": job.file_name,
                "sha256": stored.sha256,
                "size": stored.size,
                "options": cleaned,
            }
            if restricted:
                changes["disclosure"] = (
                    "student-level records uploaded to the platform (restricted data)"
                )
            audit_record(
                actor=actor,
                action=AuditEvent.Action.CREATE,
                obj=job,
                object_repr=f"Import {job.pk}: {job.file_name}",
                state_id=state.pk,
                changes=changes,
            )
    except BaseException:
        storage.remove(stored.relative_path)
        raise
    logger.info("import %s: uploaded for state %s (%s bytes)", job.pk, state.pk, stored.size)
    return job


def import_job_create_from_path(
    *,
    actor: Any,
    state: State,
    reader_key: str,
    path: Path,
    options: Mapping[str, Any] | None = None,
) -> ImportJob:
    """``import_job_create`` for a file on the local disk (the CLI)."""
    if not path.is_file():
        raise ValidationError({"file": [f"no file {path}"]})
    with path.open("rb") as handle:
        return import_job_create(
            actor=actor,
            state=state,
            reader_key=reader_key,
            blocks=iter(lambda: handle.read(storage.BLOCK), b""),
            file_name=path.name,
            options=options,
        )


def _same_committed(
    state: State, reader: str, sha256: str, options: Mapping[str, Any]
) -> ImportJob | None:
    candidates = ImportJob.objects.filter(
        state=state, reader=reader, sha256=sha256, status=ImportJob.Status.COMMITTED
    ).order_by("-committed_at", "-pk")
    return next((j for j in candidates if dict(j.options) == dict(options)), None)


# ---------------------------------------------------------------------------------------------
# Progress


def progress_cache_key(job_id: int) -> str:
    return f"imports:job:{job_id}:progress"


class _Progress:
    """A job's progress: in the cache (always, so a page sees it during a commit, whose
    transaction hides the job row's updates) and on the job row when not inside a transaction."""

    def __init__(self, job: ImportJob, callback: ProgressCallback | None) -> None:
        self.job = job
        self.callback = callback
        self.last = 0.0

    def report(self, stage: str, done: int, total: int) -> None:
        total = max(0, int(total))
        done = max(0, min(int(done), total)) if total else 0
        changed = stage != self.job.stage
        self.job.stage, self.job.progress_done, self.job.progress_total = stage, done, total
        if self.callback is not None:
            self.callback(stage, done, total)
        now = time.monotonic()
        if not changed and now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        cache.set(
            progress_cache_key(self.job.pk),
            {"stage": stage, "done": done, "total": total, "status": self.job.status},
            PROGRESS_CACHE_SECONDS,
        )
        if not connection.in_atomic_block:
            self.job.updated_at = timezone.now()
            ImportJob.objects.filter(pk=self.job.pk).update(
                stage=stage,
                progress_done=done,
                progress_total=total,
                updated_at=self.job.updated_at,
            )

    def clear(self) -> None:
        cache.delete(progress_cache_key(self.job.pk))


def _save(job: ImportJob, *fields: str) -> None:
    job.updated_at = timezone.now()
    job.save(update_fields=[*fields, "updated_at"])


def _totals(summary: Mapping[str, Mapping[str, Any]]) -> tuple[int, int, int]:
    new = sum(int(s.get("new", 0)) for s in summary.values())
    changed = sum(int(s.get("changed", 0)) for s in summary.values())
    unchanged = sum(int(s.get("unchanged", 0)) for s in summary.values())
    return new, changed, unchanged


def _counts(new: int, changed: int, unchanged: int) -> str:
    noun = "row" if unchanged == 1 else "rows"
    return f"{new:,} new, {changed:,} changed and {unchanged:,} unchanged {noun}"


def _unexpected(job: ImportJob, exc: Exception, what: str) -> str:
    """The message of an unexpected failure; the log gets the type and place only."""
    where = error_place(exc)
    logger.error("import %s: %s stopped with %s at\n%s", job.pk, what, type(exc).__name__, where)
    detail = type(exc).__name__ if job.restricted else f"{type(exc).__name__}: {exc}"
    return f"The {what} stopped with an unexpected error ({detail}). Nothing was written."


# ---------------------------------------------------------------------------------------------
# Check


def import_job_validate(
    *,
    job: ImportJob,
    actor: Any = None,
    progress: ProgressCallback | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportJob:
    """Check a job's file (see the module doc); returns the job, ``invalid`` or ``ready``."""
    claimable = (ImportJob.Status.UPLOADED, ImportJob.Status.READY, ImportJob.Status.FAILED)
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job.pk, status__in=claimable).update(
        status=ImportJob.Status.VALIDATING,
        stage="starting",
        progress_done=0,
        progress_total=0,
        message="",
        updated_at=now,
    )
    job.refresh_from_db()
    if not claimed:
        return job  # someone else is checking it, or it is past checking
    reader = READERS.get(job.reader)
    tracker = _Progress(job, progress)
    try:
        if reader is None:
            raise _Stop(f"The format {job.reader!r} is no longer available.")
        path = job_path(job)
        if not path.is_file():
            raise _Stop("The uploaded file is no longer in the data directory; upload it again.")
        outcome = run_pass(
            reader=reader,
            path=path,
            state=job.state,
            options=_reader_options(job, reader),
            commit=False,
            progress=tracker.report,
            chunk_rows=chunk_rows,
        )
    except _Stop as exc:
        return _fail(job, str(exc), tracker)
    except Exception as exc:  # noqa: BLE001 - recorded on the job for its administrators
        return _fail(job, _unexpected(job, exc, "check"), tracker)
    _checked(job, outcome)
    tracker.clear()
    logger.info("import %s: checked, %s problems", job.pk, job.problem_total)
    return job


def _checked(job: ImportJob, outcome: PassOutcome) -> None:
    problems = outcome.problems
    job.problems = problems.as_json()
    job.problem_total = problems.total
    job.summary = {**outcome.summary, **({"notes": outcome.notes} if outcome.notes else {})}
    job.preview = outcome.preview
    job.validated_at = timezone.now()
    job.stage = "checked"
    if problems:
        job.status = ImportJob.Status.INVALID
        noun = "problem" if problems.total == 1 else "problems"
        job.message = (
            f"{problems.total:,} {noun} found; nothing was written. Correct the file and upload "
            "it again."
        )
    else:
        job.status = ImportJob.Status.READY
        new, changed, unchanged = _totals(outcome.summary)
        if not outcome.changes_anything:
            job.message = "Nothing would change: the stored data already matches this file."
            if job.duplicate_of_id:
                job.message += f" The same file was committed as import {job.duplicate_of_id}."
        else:
            job.message = f"Checked: {_counts(new, changed, unchanged)}. Commit to write them."
    _save(
        job,
        "problems",
        "problem_total",
        "summary",
        "preview",
        "validated_at",
        "stage",
        "status",
        "message",
        "progress_done",
        "progress_total",
    )


def _fail(job: ImportJob, message: str, tracker: _Progress | None = None) -> ImportJob:
    job.status = ImportJob.Status.FAILED
    job.message = message
    job.stage = "failed"
    _save(job, "status", "message", "stage")
    if tracker is not None:
        tracker.clear()
    logger.info("import %s failed", job.pk)
    return job


# ---------------------------------------------------------------------------------------------
# Commit


def _refusal(job: ImportJob) -> str | None:
    status = job.status
    if status == ImportJob.Status.READY:
        return None
    return {
        ImportJob.Status.UPLOADED: "The file has not been checked yet; wait for the check.",
        ImportJob.Status.VALIDATING: "The file is still being checked; wait for the check.",
        ImportJob.Status.INVALID: "The file has problems and cannot be committed; correct it and "
        "upload it again.",
        ImportJob.Status.COMMITTING: "This import is already being committed.",
        ImportJob.Status.COMMITTED: "This import was already committed.",
        ImportJob.Status.FAILED: "The last attempt failed; check the file again before committing.",
    }.get(status, f"An import in status {status!r} cannot be committed.")


def _abandon_stale(state: State) -> None:
    ImportJob.objects.filter(
        state=state,
        status__in=(ImportJob.Status.VALIDATING, ImportJob.Status.COMMITTING),
        updated_at__lt=timezone.now() - STALE_AFTER,
    ).update(
        status=ImportJob.Status.FAILED,
        stage="failed",
        message="Abandoned: no progress for two hours (the process running it stopped). "
        "Nothing was written; check the file again.",
    )


def import_job_request_commit(*, job: ImportJob, actor: Any) -> ImportJob:
    """Ask for a commit (the web and the API): refused unless the job is ready."""
    reason = _refusal(job)
    if reason:
        raise ImportRefused(reason)
    ImportJob.objects.filter(pk=job.pk).update(
        commit_requested_at=timezone.now(),
        committed_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    job.refresh_from_db()
    return job


def import_job_commit(
    *,
    job: ImportJob,
    actor: Any,
    progress: ProgressCallback | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportJob:
    """Write a ready job's rows in one transaction (see the module doc)."""
    job.refresh_from_db()
    reason = _refusal(job)
    if reason:
        raise ImportRefused(reason)
    _abandon_stale(job.state)
    busy = (
        ImportJob.objects.filter(state=job.state, status=ImportJob.Status.COMMITTING)
        .exclude(pk=job.pk)
        .first()
    )
    if busy is not None:
        raise ImportRefused(
            f"Import {busy.pk} of {job.state.code} is being committed; wait for it to finish."
        )
    user = actor if getattr(actor, "is_authenticated", False) else None
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.READY).update(
        status=ImportJob.Status.COMMITTING,
        stage="starting",
        progress_done=0,
        progress_total=0,
        committed_by=user or job.committed_by,
        updated_at=timezone.now(),
    )
    job.refresh_from_db()
    if not claimed:
        raise ImportRefused(_refusal(job) or "This import is already being committed.")
    reader = READERS.get(job.reader)
    tracker = _Progress(job, progress)
    try:
        if reader is None:
            raise _Stop(f"The format {job.reader!r} is no longer available.")
        path = job_path(job)
        if not path.is_file() or storage.file_sha256(path) != job.sha256:
            raise _Stop(
                "The stored file changed or disappeared since it was checked; upload it "
                "again. Nothing was written."
            )
        with transaction.atomic():
            _commit(job, reader, path, actor, tracker, chunk_rows)
    except ImportInvalid as exc:
        job.refresh_from_db()
        found = ProblemLog()
        found.extend(exc.issues, exc.total)
        job.status = ImportJob.Status.INVALID
        job.problems = found.as_json()
        job.problem_total = found.total
        job.message = (
            "The stored data changed since the file was checked, and the file no longer fits it; "
            "nothing was written. See the problems."
        )
        job.stage = "failed"
        _save(job, "status", "problems", "problem_total", "message", "stage")
        tracker.clear()
        _audit_commit(job, actor, outcome=None)
        return job
    except _Stop as exc:
        job.refresh_from_db()
        _fail(job, str(exc), tracker)
        _audit_commit(job, actor, outcome=None)
        return job
    except Exception as exc:  # noqa: BLE001 - recorded on the job for its administrators
        job.refresh_from_db()
        _fail(job, _unexpected(job, exc, "commit"), tracker)
        _audit_commit(job, actor, outcome=None)
        return job
    tracker.clear()
    logger.info("import %s: committed", job.pk)
    return job


def _commit(
    job: ImportJob, reader: Reader, path: Path, actor: Any, tracker: _Progress, chunk_rows: int
) -> None:
    source = DataSource.objects.create(
        name=f"{reader.label}: {job.file_name}"[:200],
        publisher=(getattr(reader, "publisher", "") or f"{job.state.name} (import)")[:200],
        vintage=str(job.options.get("year", ""))[:50],
        file_name=job.file_name[:300],
        checksum=job.sha256,
        notes=f"Import {job.pk} ({reader.key}).",
    )
    outcome = run_pass(
        reader=reader,
        path=path,
        state=job.state,
        options=_reader_options(job, reader),
        commit=True,
        source=source,
        job=job,
        progress=tracker.report,
        chunk_rows=chunk_rows,
    )
    new, changed, unchanged = _totals(outcome.summary)
    if outcome.changes_anything:
        job.data_source = source
        job.message = f"Committed: {_counts(new, changed, unchanged)}."
    else:
        source.delete()  # nothing changed: the import leaves no trace in the data
        job.data_source = None
        job.message = "Nothing changed: the stored data already matches this file."
    job.outcome = {**outcome.summary, "changes_recorded": outcome.changes_recorded}
    job.status = ImportJob.Status.COMMITTED
    job.stage = "committed"
    job.committed_at = timezone.now()
    _save(job, "data_source", "message", "outcome", "status", "stage", "committed_at")
    _audit_commit(job, actor, outcome=outcome)


def _audit_commit(job: ImportJob, actor: Any, *, outcome: PassOutcome | None) -> None:
    counts = {
        target: {k: part.get(k, 0) for k in ("new", "changed", "unchanged")}
        for target, part in (outcome.summary if outcome else {}).items()
    }
    audit_record(
        actor=actor if actor is not None else job.committed_by,
        action=AuditEvent.Action.LOAD,
        obj=job,
        object_repr=f"Import {job.pk}: {job.file_name}",
        state_id=job.state_id,
        changes={
            "status": job.status,
            "reader": job.reader,
            "sha256": job.sha256,
            "data_source": job.data_source_id,
            "rows": counts,
        },
    )
