"""Where a queued identification run is carried out (the growth app's runner pattern).

- ``JOBS_IMMEDIATE=1`` (tests): at once, in the caller;
- ``JOBS_WORKER=1`` (production): left queued for ``turnaround identify worker``;
- otherwise (the embedded default): in a background thread of the web process, started once the
  request's transaction commits. A run abandoned by a stopped process is marked failed after an
  hour without progress and can be started again.

A run is claimed with a conditional update (queued → running), so two runners never carry out
the same run.
"""

from __future__ import annotations

from functools import partial

from turnaround.accountability.models import IdentificationRun
from turnaround.accountability.services.runs import identification_compute
from turnaround.core import jobs


def _compute(run: IdentificationRun) -> None:
    identification_compute(run=run, actor=run.requested_by)


def _load_and_compute(run_id: int) -> None:
    _compute(IdentificationRun.objects.select_related("state", "requested_by").get(pk=run_id))


def job_start(run: IdentificationRun) -> str:
    """Carry out a queued run, or hand it to whoever will; returns how (``immediate`` …)."""
    return jobs.start(
        name=f"identification-run-{run.pk}",
        run_now=partial(_compute, run),
        run_in_thread=partial(_load_and_compute, run.pk),
    )


def _next_run() -> IdentificationRun | None:
    return (
        IdentificationRun.objects.select_related("state", "requested_by")
        .filter(status=IdentificationRun.Status.QUEUED)
        .order_by("created_at", "pk")
        .first()
    )


def run_queued(*, once: bool = False, poll_seconds: float = 2.0, limit: int | None = None) -> int:
    """The worker loop: claim and carry out queued runs, oldest first; returns how many ran."""
    return jobs.worker_loop(_next_run, _compute, once=once, poll_seconds=poll_seconds, limit=limit)
