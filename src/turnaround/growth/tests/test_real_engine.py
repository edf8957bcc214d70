"""The same computation against the real engine (turnaround.analytics.growth): it plugs in."""

from __future__ import annotations

import pytest

from turnaround.growth.models import CohortFit, GrowthAggregate, GrowthRun, StudentGrowth
from turnaround.growth.services import growth_compute
from turnaround.growth.tests.conftest import PER_GRADE
from turnaround.performance.models import StudentAssessment

pytestmark = pytest.mark.django_db


def test_real_engine_compute_is_stored_and_idempotent(org, personas, scores, real_engine):
    run = growth_compute(year=2017, actor=personas.state_staff, state="MA")
    assert run.status == GrowthRun.Status.DONE, run.message
    assert run.cohorts_recomputed == 4
    assert StudentGrowth.objects.count() == 2 * 2 * 2 * PER_GRADE
    fit = CohortFit.objects.get(content_area="MATH", grade="05")
    assert fit.progression == ["3", "4", "5"] and fit.orders == [1, 2]
    assert fit.n_by_order == {"1": 60, "2": 60} and len(fit.input_hash) == 64
    sgps = list(StudentGrowth.objects.values_list("sgp", flat=True))
    assert min(sgps) >= 1 and max(sgps) <= 99
    # cohort-referenced: each cohort's SGPs spread over the range, median near 50
    agg = GrowthAggregate.objects.filter(grade="ALL", group="all")
    assert agg.exists() and all(20 <= a.median_sgp <= 80 for a in agg)
    row = StudentGrowth.objects.filter(grade="05").first()
    assert row.sgp_order == 2 and row.sgp_by_order.keys() == {"1", "2"}
    assert row.norm_group == "2015/MATH_3; 2016/MATH_4; 2017/MATH_5" or row.subject == "ELA"

    again = growth_compute(year=2017, actor=personas.state_staff, state="MA")
    assert again.status == GrowthRun.Status.DONE and again.cohorts_recomputed == 0

    record = StudentAssessment.objects.filter(
        school=org.school, year=2017, grade="05", subject="ELA"
    ).first()
    record.scale_score += 10
    record.save(update_fields=["scale_score"])
    third = growth_compute(year=2017, actor=personas.state_staff, state="MA")
    assert third.recomputed == ["ELA 2017 grade 05"], third.message


def test_real_engine_too_small_cohort_fails_clearly(org, personas, scores, real_engine):
    # three grade-4 ELA students left in 2017: fewer than the 8 coefficients of the design
    StudentAssessment.objects.filter(year=2017, grade="04", subject="ELA").exclude(
        student_key__in=["A-2016-000", "A-2016-001", "A-2016-002"]
    ).delete()
    run = growth_compute(year=2017, actor=personas.state_staff, state="MA")
    assert run.status == GrowthRun.Status.FAILED
    assert "ELA 2017 grade 4" in run.message and "needs at least p = 8 students, found 3" in (
        run.message
    )
    assert not StudentGrowth.objects.exists() and not CohortFit.objects.exists()
