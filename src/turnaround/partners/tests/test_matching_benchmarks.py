"""Off-track plan benchmarks are needs for matching (issue 7 §6, with the plans of issue 6)."""

from __future__ import annotations

import datetime as dt

import pytest

from turnaround.monitoring.models import BenchmarkStatus, StrategySession
from turnaround.partners.matching import benchmark_needs, school_needs_by_source
from turnaround.plans.models import BenchmarkKind
from turnaround.plans.tests.factories import make_plan

pytestmark = pytest.mark.django_db


def _session(plan, year: int, quarter: int) -> StrategySession:
    return StrategySession.objects.create(
        plan=plan, year=year, quarter=quarter, held_on=dt.date(year - 1, 3 * quarter + 6, 15)
    )


def test_the_latest_status_decides_and_on_track_benchmarks_are_no_need(org) -> None:
    plan = make_plan(school=org.school, status="state_approved")
    educator = plan.benchmarks.get(kind=BenchmarkKind.EDUCATOR)
    student = plan.benchmarks.get(kind=BenchmarkKind.STUDENT)
    q1, q2 = _session(plan, 2027, 1), _session(plan, 2027, 2)
    # the educator benchmark was off track in Q1 and is on track in Q2: no need
    BenchmarkStatus.objects.create(session=q1, benchmark=educator, status="off_track")
    BenchmarkStatus.objects.create(session=q2, benchmark=educator, status="on_track")
    # the student benchmark went from on track to off track
    BenchmarkStatus.objects.create(session=q1, benchmark=student, status="on_track")
    BenchmarkStatus.objects.create(session=q2, benchmark=student, status="off_track", value=31)

    needs = benchmark_needs(org.school)

    assert [(n.area, n.weight) for n in needs] == [("instruction", 2.0)]
    assert "off track at 31 (target 50)" in needs[0].reason
    assert "Q2 2026–27" in needs[0].source


def test_an_at_risk_benchmark_points_to_its_objectives_indicator_areas(org) -> None:
    from turnaround.frameworks.models import Indicator
    from turnaround.frameworks.seed import frameworks_seed
    from turnaround.frameworks.selectors import TURNAROUND_PRACTICES, current_version

    frameworks_seed(actor=None)
    version = current_version(TURNAROUND_PRACTICES, state=org.state)
    plan = make_plan(school=org.school, status="state_approved")
    student = plan.benchmarks.get(kind=BenchmarkKind.STUDENT)
    student.objective.indicators.add(
        Indicator.objects.get(component__practice__framework_version=version, code="TP4.1")
    )
    BenchmarkStatus.objects.create(
        session=_session(plan, 2027, 1), benchmark=student, status="at_risk"
    )

    needs = benchmark_needs(org.school)

    assert [(n.area, n.weight) for n in needs] == [("climate_culture", 1.0)]
    sources = [s.source.code for s in school_needs_by_source(org.school)]
    assert sources == ["assessment", "performance", "benchmarks"]
