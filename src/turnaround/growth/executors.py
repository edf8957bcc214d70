"""Where the per-cohort fits run: a process pool, a Dask cluster, or the calling process.

``get_executor()`` yields a :class:`concurrent.futures.Executor` (or ``None`` for inline) that the
growth engine submits its batched cohort fits to:

- ``process`` (default) — a :class:`~concurrent.futures.ProcessPoolExecutor` on this machine, with
  ``GROWTH_WORKERS`` processes (0 = one per core). Workers start with *forkserver*, never by
  forking a web process that has threads and open database connections.
- ``dask`` — ``distributed.Client(DASK_SCHEDULER_ADDRESS).get_executor()``: the fits run on the
  workers of an existing Dask cluster (which must have this package installed). Without an
  address a :class:`distributed.LocalCluster` is started for the run and stopped after it.
- ``inline`` — ``None``: the engine fits in the calling process (tests, tiny states).

The engine is pure computation (``turnaround.analytics.growth``): nothing Django-specific is sent
to the workers, only the scores and the plan.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

EXECUTOR_KINDS: tuple[str, ...] = ("process", "dask", "inline")


def executor_kind(kind: str | None = None) -> str:
    """The executor to use: ``kind`` or ``settings.GROWTH_EXECUTOR``, checked."""
    chosen = kind or settings.GROWTH_EXECUTOR
    if chosen not in EXECUTOR_KINDS:
        raise ImproperlyConfigured(
            f"GROWTH_EXECUTOR is {chosen!r}; allowed: {', '.join(EXECUTOR_KINDS)}"
        )
    return chosen


def worker_count() -> int:
    configured = int(getattr(settings, "GROWTH_WORKERS", 0) or 0)
    return configured if configured > 0 else max(1, os.cpu_count() or 1)


@contextmanager
def get_executor(
    kind: str | None = None, *, workers: int | None = None
) -> Iterator[Executor | None]:
    """An executor for the cohort fits, shut down (and its cluster stopped) on leaving.

    Parameters
    ----------
    kind : {"process", "dask", "inline"}, optional
        Overrides ``settings.GROWTH_EXECUTOR``.
    workers : int, optional
        Overrides ``settings.GROWTH_WORKERS`` for the process pool and a local Dask cluster.
    """
    chosen = executor_kind(kind)
    n = workers if workers is not None and workers > 0 else worker_count()
    if chosen == "inline":
        yield None
    elif chosen == "process":
        method = (
            "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        )
        with ProcessPoolExecutor(
            max_workers=n, mp_context=multiprocessing.get_context(method)
        ) as ex:
            yield ex
    else:
        with _dask_executor(n) as ex:
            yield ex


@contextmanager
def _dask_executor(workers: int) -> Iterator[Executor]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise ImproperlyConfigured(
            "GROWTH_EXECUTOR=dask needs the dask[distributed] package"
        ) from exc
    address = settings.DASK_SCHEDULER_ADDRESS
    if address:
        with Client(address, set_as_default=False) as client:
            yield client.get_executor()
        return
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",  # the local cluster listens on loopback only
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client.get_executor()
