"""The executor choices: inline, a process pool, and a Dask LocalCluster give the same SGPs."""

from __future__ import annotations

import operator
from concurrent.futures import Executor, ProcessPoolExecutor

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from turnaround.growth.executors import get_executor
from turnaround.growth.models import CohortFit, GrowthRun, StudentGrowth
from turnaround.growth.services import growth_compute

pytestmark = pytest.mark.django_db


def sgps():
    return sorted(StudentGrowth.objects.values_list("student_key", "subject", "sgp", "sgp_order"))


def compute_with(kind: str, personas) -> GrowthRun:
    CohortFit.objects.all().delete()  # forget earlier fits, so everything is refitted
    run = growth_compute(year=2017, actor=personas.state_admin, state="MA", executor=kind)
    assert run.status == GrowthRun.Status.DONE, run.message
    assert run.executor == kind and run.cohorts_recomputed == 4
    return run


def test_inline_executor_is_none():
    with get_executor("inline") as ex:
        assert ex is None


def test_process_executor_runs_work(settings):
    settings.GROWTH_WORKERS = 1
    with get_executor("process") as ex:
        assert isinstance(ex, ProcessPoolExecutor)
        assert ex.submit(operator.add, 2, 3).result(timeout=60) == 5


def test_unknown_executor_lists_the_choices(settings):
    with (
        pytest.raises(ImproperlyConfigured, match="allowed: process, dask, inline"),
        get_executor("threads"),
    ):
        pass
    settings.GROWTH_EXECUTOR = "threads"
    assert "growth.E001" in {e.id for e in run_checks()}


def test_process_pool_gives_the_same_sgps_as_inline(org, personas, scores, engine, settings):
    settings.GROWTH_WORKERS = 2
    compute_with("inline", personas)
    inline = sgps()
    compute_with("process", personas)
    assert sgps() == inline and len(inline) == 240


@pytest.mark.dask
def test_dask_local_cluster_gives_the_same_sgps_as_inline(
    org, personas, scores, real_engine, settings
):
    settings.GROWTH_WORKERS = 1
    settings.DASK_SCHEDULER_ADDRESS = ""
    with get_executor("dask") as ex:
        assert isinstance(ex, Executor)
        assert ex.submit(operator.mul, 6, 7).result(timeout=60) == 42
    compute_with("inline", personas)
    inline = sgps()
    compute_with("dask", personas)
    assert sgps() == inline and len(inline) == 240
