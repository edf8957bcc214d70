"""Where background work is carried out: the one runner behind growth runs, identification runs
and imports.

Which path a job takes depends on the settings:

- ``JOBS_IMMEDIATE=1`` (the test settings) — at once, in the caller (inside its transaction);
- ``JOBS_WORKER=1`` (production) — nowhere here: the job stays queued until a worker process
  (``turnaround growth worker``, ``turnaround identify worker``, ``turnaround import --worker``)
  claims it;
- otherwise (the embedded default, one machine) — in a daemon thread of the web process, started
  once the request's transaction commits. If the process stops, the job stops with it; each app
  marks a job abandoned after a while without progress so that it can be started again.

Each app claims a job with a conditional update (queued → running), so two runners never carry
out the same job.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")


def start(*, name: str, run_now: Callable[[], None], run_in_thread: Callable[[], None]) -> str:
    """Carry out a job now, leave it to the worker, or start a thread after the commit.

    ``run_now`` runs in the caller; ``run_in_thread`` runs in the thread and loads what it needs
    itself (the caller's objects belong to the caller's connection). Returns ``"immediate"``,
    ``"worker"`` or ``"thread"``.
    """
    if settings.JOBS_IMMEDIATE:
        run_now()
        return "immediate"
    if getattr(settings, "JOBS_WORKER", False):
        return "worker"
    thread = threading.Thread(
        target=_thread_main, args=(name, run_in_thread), name=name, daemon=True
    )
    transaction.on_commit(thread.start)
    return "thread"


def error_place(exc: BaseException) -> str:
    """Where an unexpected error happened, for the log: file, line and function of the last four
    frames, never the message or the source text (either may quote student data)."""
    return "\n".join(
        f"  {f.filename}:{f.lineno} in {f.name}"
        for f in traceback.extract_tb(exc.__traceback__)[-4:]
    )


def _thread_main(name: str, body: Callable[[], None]) -> None:
    close_old_connections()
    try:
        body()
    except Exception as exc:  # noqa: BLE001 - a thread has nobody to raise to
        logger.error("%s: the job thread stopped with %s", name, type(exc).__name__)
    finally:
        connections.close_all()


def worker_loop(
    next_job: Callable[[], T | None],
    carry_out: Callable[[T], None],
    *,
    once: bool = False,
    poll_seconds: float = 2.0,
    limit: int | None = None,
) -> int:
    """A worker: carry out ``next_job()`` until none is left (``once``) or ``limit`` jobs ran,
    polling every ``poll_seconds`` otherwise; returns how many ran."""
    done = 0
    while limit is None or done < limit:
        if not connection.in_atomic_block:  # a long-lived worker drops stale connections
            close_old_connections()
        job = next_job()
        if job is None:
            if once:
                break
            time.sleep(poll_seconds)
            continue
        carry_out(job)
        done += 1
    return done
