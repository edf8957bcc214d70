"""A small job runner for growth runs: progress is written to the ``GrowthRun`` row.

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

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction

from turnaround.growth.models import GrowthRun
from turnaround.growth.services import growth_compute

logger = logging.getLogger(__name__)


def job_start(run: GrowthRun) -> str:
    """Carry out a queued run, or hand it to whoever will; returns how (``immediate`` …)."""
    if settings.JOBS_IMMEDIATE:
        growth_compute(run=run, actor=run.requested_by)
        return "immediate"
    if getattr(settings, "JOBS_WORKER", False):
        return "worker"
    thread = threading.Thread(
        target=_thread_main, args=(run.pk,), name=f"growth-run-{run.pk}", daemon=True
    )
    transaction.on_commit(thread.start)
    return "thread"


def _thread_main(run_id: int) -> None:
    close_old_connections()
    try:
        run = GrowthRun.objects.select_related("state", "requested_by").get(pk=run_id)
        growth_compute(run=run, actor=run.requested_by)
    except Exception as exc:  # noqa: BLE001 - a thread has nobody to raise to
        logger.error("growth run %s: the job thread stopped with %s", run_id, type(exc).__name__)
    finally:
        connections.close_all()


def run_queued(*, once: bool = False, poll_seconds: float = 2.0, limit: int | None = None) -> int:
    """The worker loop: claim and carry out queued runs, oldest first; returns how many ran.

    With ``once``, stops when nothing is queued; otherwise polls every ``poll_seconds``.
    """
    done = 0
    while limit is None or done < limit:
        if not connection.in_atomic_block:  # a long-lived worker drops stale connections
            close_old_connections()
        run = (
            GrowthRun.objects.select_related("state", "requested_by")
            .filter(status=GrowthRun.Status.QUEUED)
            .order_by("created_at", "pk")
            .first()
        )
        if run is None:
            if once:
                break
            time.sleep(poll_seconds)
            continue
        logger.info("growth worker: run %s", run.pk)
        growth_compute(run=run, actor=run.requested_by)
        done += 1
    return done
