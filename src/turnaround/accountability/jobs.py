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

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction

from turnaround.accountability.models import IdentificationRun
from turnaround.accountability.services.runs import identification_compute

logger = logging.getLogger(__name__)


def job_start(run: IdentificationRun) -> str:
    """Carry out a queued run, or hand it to whoever will; returns how (``immediate`` …)."""
    if settings.JOBS_IMMEDIATE:
        identification_compute(run=run, actor=run.requested_by)
        return "immediate"
    if getattr(settings, "JOBS_WORKER", False):
        return "worker"
    thread = threading.Thread(
        target=_thread_main, args=(run.pk,), name=f"identification-run-{run.pk}", daemon=True
    )
    transaction.on_commit(thread.start)
    return "thread"


def _thread_main(run_id: int) -> None:
    close_old_connections()
    try:
        run = IdentificationRun.objects.select_related("state", "requested_by").get(pk=run_id)
        identification_compute(run=run, actor=run.requested_by)
    except Exception as exc:  # noqa: BLE001 - a thread has nobody to raise to
        logger.error("identification run %s: the job thread stopped with %s", run_id, exc)
    finally:
        connections.close_all()


def run_queued(*, once: bool = False, poll_seconds: float = 2.0, limit: int | None = None) -> int:
    """The worker loop: claim and carry out queued runs, oldest first; returns how many ran."""
    done = 0
    while limit is None or done < limit:
        if not connection.in_atomic_block:
            close_old_connections()
        run = (
            IdentificationRun.objects.select_related("state", "requested_by")
            .filter(status=IdentificationRun.Status.QUEUED)
            .order_by("created_at", "pk")
            .first()
        )
        if run is None:
            if once:
                break
            time.sleep(poll_seconds)
            continue
        identification_compute(run=run, actor=run.requested_by)
        done += 1
    return done
