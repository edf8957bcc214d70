"""The job runner of imports: checks and commits started from the web or the API.

As for growth runs (``turnaround.growth.jobs``), where a job is carried out depends on the
settings:

- ``JOBS_IMMEDIATE=1`` (the test settings) — at once, in the caller;
- ``JOBS_WORKER=1`` (production) — by a worker process, ``turnaround import --worker``, which
  checks uploaded jobs and commits ready jobs whose commit was requested, oldest first;
- otherwise (the embedded default) — in a background thread of the web process, started once
  the request's transaction commits. If the process stops, the job is marked abandoned after two
  hours without progress and can be checked again; a commit that stops writes nothing.

A job is claimed with a conditional update, so two runners never carry out the same step.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction

from turnaround.imports.models import ImportJob
from turnaround.imports.services import ImportRefused, import_job_commit, import_job_validate

logger = logging.getLogger(__name__)

ACTIONS = ("validate", "commit")


def _run(job: ImportJob, action: str) -> None:
    if action == "validate":
        import_job_validate(job=job, actor=job.created_by)
    else:
        try:
            import_job_commit(job=job, actor=job.committed_by)
        except ImportRefused as exc:
            # asked again from the page when it can go ahead; never retried in a loop
            ImportJob.objects.filter(pk=job.pk).update(commit_requested_at=None, message=str(exc))
            logger.info("import %s: commit refused", job.pk)


def job_start(job: ImportJob, action: str) -> str:
    """Carry out ``action`` (validate or commit) or hand it to whoever will; returns how."""
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}")
    if settings.JOBS_IMMEDIATE:
        _run(job, action)
        return "immediate"
    if getattr(settings, "JOBS_WORKER", False):
        return "worker"
    thread = threading.Thread(
        target=_thread_main, args=(job.pk, action), name=f"import-{job.pk}-{action}", daemon=True
    )
    transaction.on_commit(thread.start)
    return "thread"


def _thread_main(job_id: int, action: str) -> None:
    close_old_connections()
    try:
        job = ImportJob.objects.select_related("state", "created_by", "committed_by").get(pk=job_id)
        _run(job, action)
    except Exception as exc:  # noqa: BLE001 - a thread has nobody to raise to
        logger.error("import %s: the job thread stopped with %s", job_id, type(exc).__name__)
    finally:
        connections.close_all()


def _next_job() -> tuple[ImportJob, str] | None:
    queued = (
        ImportJob.objects.select_related("state", "created_by", "committed_by")
        .filter(status=ImportJob.Status.UPLOADED)
        .order_by("created_at", "pk")
        .first()
    )
    if queued is not None:
        return queued, "validate"
    ready = (
        ImportJob.objects.select_related("state", "created_by", "committed_by")
        .filter(status=ImportJob.Status.READY, commit_requested_at__isnull=False)
        .order_by("commit_requested_at", "pk")
        .first()
    )
    return (ready, "commit") if ready is not None else None


def run_queued(*, once: bool = False, poll_seconds: float = 2.0, limit: int | None = None) -> int:
    """The worker loop: check uploaded jobs and commit requested ones; returns how many ran."""
    done = 0
    while limit is None or done < limit:
        if not connection.in_atomic_block:
            close_old_connections()
        found = _next_job()
        if found is None:
            if once:
                break
            time.sleep(poll_seconds)
            continue
        job, action = found
        logger.info("import worker: %s import %s", action, job.pk)
        _run(job, action)
        done += 1
    return done
