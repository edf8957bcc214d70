"""Where an import's check or commit is carried out, started from the web or the API.

The one runner of ``turnaround.core.jobs`` decides: at once in the caller (``JOBS_IMMEDIATE``,
the tests), by a worker process (``JOBS_WORKER``: ``turnaround import --worker`` checks uploaded
jobs and commits ready jobs whose commit was requested, oldest first), or in a background thread
of the web process once the request's transaction commits (the embedded default). If the process
stops, the job is marked abandoned after two hours without progress and can be checked again; a
commit that stops writes nothing.

A job is claimed with a conditional update, so two runners never carry out the same step.
"""

from __future__ import annotations

import logging
from functools import partial

from turnaround.core import jobs
from turnaround.imports.models import ImportJob
from turnaround.imports.services import ImportRefused, import_job_commit, import_job_validate

logger = logging.getLogger(__name__)

ACTIONS = ("validate", "commit")


def _jobs():
    return ImportJob.objects.select_related("state", "created_by", "committed_by")


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


def _load_and_run(job_id: int, action: str) -> None:
    _run(_jobs().get(pk=job_id), action)


def job_start(job: ImportJob, action: str) -> str:
    """Carry out ``action`` (validate or commit) or hand it to whoever will; returns how."""
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}")
    return jobs.start(
        name=f"import-{job.pk}-{action}",
        run_now=partial(_run, job, action),
        run_in_thread=partial(_load_and_run, job.pk, action),
    )


def _next_job() -> tuple[ImportJob, str] | None:
    queued = _jobs().filter(status=ImportJob.Status.UPLOADED).order_by("created_at", "pk").first()
    if queued is not None:
        return queued, "validate"
    ready = (
        _jobs()
        .filter(status=ImportJob.Status.READY, commit_requested_at__isnull=False)
        .order_by("commit_requested_at", "pk")
        .first()
    )
    return (ready, "commit") if ready is not None else None


def _carry_out(found: tuple[ImportJob, str]) -> None:
    job, action = found
    logger.info("import worker: %s import %s", action, job.pk)
    _run(job, action)


def run_queued(*, once: bool = False, poll_seconds: float = 2.0, limit: int | None = None) -> int:
    """The worker loop: check uploaded jobs and commit requested ones; returns how many ran."""
    return jobs.worker_loop(
        _next_job, _carry_out, once=once, poll_seconds=poll_seconds, limit=limit
    )
