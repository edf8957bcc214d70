"""What growth runs and identification runs share: the claim (queued → running), failure, progress
written to the run at most every ``PROGRESS_INTERVAL`` seconds, and saves that touch
``updated_at``.

A run model has ``status`` (with ``Status.QUEUED`` and ``Status.RUNNING``), ``stage``,
``progress_done``, ``progress_total``, ``started_at`` and ``updated_at``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.utils import timezone

PROGRESS_INTERVAL = 0.5  # seconds between progress writes (a new stage is written at once)

ProgressCallback = Callable[[str, int, int], None]


def claim_run(run: Any) -> bool:
    """Mark a queued run as running; False when someone else already took it."""
    model = type(run)
    now = timezone.now()
    taken = model.objects.filter(pk=run.pk, status=model.Status.QUEUED).update(
        status=model.Status.RUNNING, started_at=now, updated_at=now, stage="starting"
    )
    run.refresh_from_db()
    return taken == 1


def save_run(run: Any, *fields: str) -> None:
    """Save ``fields`` of the run, and its ``updated_at``."""
    run.updated_at = timezone.now()
    run.save(update_fields=[*fields, "updated_at"])


def fail_run(run: Any, message: str) -> None:
    """Mark the run failed with ``message``."""
    run.status = type(run).Status.FAILED
    run.message = message
    run.stage = "failed"
    run.finished_at = timezone.now()
    save_run(run, "status", "message", "stage", "finished_at")


class RunProgress:
    """Progress of a run: kept on the run, passed to ``callback``, written to the database on a
    new stage, when ``force``d, or at most every ``PROGRESS_INTERVAL`` seconds."""

    def __init__(self, run: Any, callback: ProgressCallback | None) -> None:
        self.run = run
        self.callback = callback
        self.last_write = 0.0

    def report(self, stage: str, done: int, total: int, *, force: bool = False) -> None:
        total = max(0, int(total))
        done = max(0, min(int(done), total)) if total else 0
        changed_stage = stage != self.run.stage
        self.run.stage, self.run.progress_done, self.run.progress_total = stage, done, total
        if self.callback is not None:
            self.callback(stage, done, total)
        now = time.monotonic()
        if force or changed_stage or now - self.last_write >= PROGRESS_INTERVAL:
            self.last_write = now
            self.run.updated_at = timezone.now()
            type(self.run).objects.filter(pk=self.run.pk).update(
                stage=stage,
                progress_done=done,
                progress_total=total,
                updated_at=self.run.updated_at,
            )
