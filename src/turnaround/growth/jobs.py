"""Growth runs as jobs (on ``turnaround.core.jobs``): progress is written to the ``GrowthRun``
row.

Where a queued run is carried out depends on the settings:

- ``JOBS_IMMEDIATE=1`` (the test settings) — at once, in the caller (inside its transaction);
- ``JOBS_WORKER=1`` (production) — nowhere here: the run stays queued until a worker process,
  ``turnaround growth worker``, claims it; run one beside the web server (a systemd unit or a
  container of its own). ``turnaround growth compute`` runs a computation from a shell or cron.
- otherwise (the embedded default, one machine) — in a background thread of the web process,
  started once the request's transaction commits. A thread is honest about its limits: if the
  web process stops, the run stops with it; it is then marked abandoned after an hour without
  progress (``services.STALE_AFTER``) and can be started again. The fits themselves run in a
  process pool or on Dask (``GROWTH_EXECUTOR``), so the thread mostly waits.

Whichever path runs it, a run is claimed with a conditional update (queued → running), so two
runners never carry out the same run.
"""

from __future__ import annotations

from functools import partial

from turnaround.core import jobs
from turnaround.growth.models import GrowthRun
from turnaround.growth.services import growth_compute


def _compute(run: GrowthRun) -> None:
    growth_compute(run=run, actor=run.requested_by)


def _load_and_compute(run_id: int) -> None:
    _compute(GrowthRun.objects.select_related("state", "requested_by").get(pk=run_id))


def job_start(run: GrowthRun) -> str:
    """Carry out a queued run, or hand it to whoever will; returns how (``immediate`` …)."""
    return jobs.start(
        name=f"growth-run-{run.pk}",
        run_now=partial(_compute, run),
        run_in_thread=partial(_load_and_compute, run.pk),
    )


def _next_run() -> GrowthRun | None:
    return (
        GrowthRun.objects.select_related("state", "requested_by")
        .filter(status=GrowthRun.Status.QUEUED)
        .order_by("created_at", "pk")
        .first()
    )


def run_queued(*, once: bool = False, poll_seconds: float = 2.0, limit: int | None = None) -> int:
    """The worker loop: claim and carry out queued runs, oldest first; returns how many ran.

    With ``once``, stops when nothing is queued; otherwise polls every ``poll_seconds``.
    """
    return jobs.worker_loop(_next_run, _compute, once=once, poll_seconds=poll_seconds, limit=limit)
