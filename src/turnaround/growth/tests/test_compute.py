"""growth_compute: what it stores, idempotency, per-cohort atomicity, bad input, min n."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from turnaround.audit.models import AuditEvent
from turnaround.growth import services
from turnaround.growth.models import CohortFit, GrowthAggregate, GrowthRun, StudentGrowth
from turnaround.growth.services import RunInProgress, growth_compute, growth_run_create
from turnaround.growth.tests.conftest import PER_GRADE
from turnaround.performance.models import StudentAssessment

pytestmark = pytest.mark.django_db

MA_COHORTS = {"ELA 2017 grade 04", "ELA 2017 grade 05", "MATH 2017 grade 04", "MATH 2017 grade 05"}


def snapshot():
    """Everything the computation writes, by id, to compare two states of the database."""
    return (
        sorted(
            CohortFit.objects.values_list("pk", "content_area", "grade", "input_hash", "fitted_at")
        ),
        sorted(StudentGrowth.objects.values_list("pk", "student_key", "subject", "sgp", "school")),
        sorted(
            GrowthAggregate.objects.values_list(
                "pk", "school", "subject", "grade", "group", "n", "median_sgp", "computed_at"
            )
        ),
    )


def test_compute_stores_cohorts_students_and_aggregates(org, personas, scores, engine):
    run = growth_compute(year=2017, content_areas=None, actor=personas.state_admin, state="MA")

    assert run.status == GrowthRun.Status.DONE, run.message
    assert run.cohorts_planned == 4 and run.cohorts_recomputed == 4 and run.cohorts_unchanged == 0
    assert set(run.recomputed) == MA_COHORTS
    assert run.progress_done == run.progress_total > 0
    assert run.started_at and run.finished_at and run.executor == "inline"
    # grade 4 and 5 students of the two Massachusetts schools, both subjects; none from RI
    assert StudentGrowth.objects.count() == 2 * 2 * 2 * PER_GRADE == run.students_scored
    assert not StudentGrowth.objects.filter(school=org.school_other_state).exists()
    fit = CohortFit.objects.get(content_area="ELA", grade="05")
    assert fit.state == org.state and fit.orders == [1, 2] and fit.progression == ["3", "4", "5"]
    assert fit.n_scored == 2 * PER_GRADE and fit.run == run
    grade5 = StudentGrowth.objects.filter(grade="05", subject="ELA").first()
    assert grade5.sgp_order == 2 and set(grade5.sgp_by_order) == {"1", "2"}
    assert grade5.norm_group == "2015/ELA_3; 2016/ELA_4; 2017/ELA_5"
    assert grade5.prior_score is not None
    # aggregates per school × grade and ALL × group, with the minimum-n rule
    all_rows = GrowthAggregate.objects.filter(school=org.school, subject="ELA", group="all")
    assert {a.grade: a.n for a in all_rows} == {"04": 30, "05": 30, "ALL": 60}
    for a in all_rows:
        assert a.reported and 1 <= a.median_sgp <= 99 and a.min_n == 20
    el = GrowthAggregate.objects.get(school=org.school, subject="ELA", grade="ALL", group="el")
    assert el.n == 12 and el.median_sgp is None and el.mean_sgp is None
    assert el.missing_reason == GrowthAggregate.Missing.INSUFFICIENT
    assert set(
        GrowthAggregate.objects.filter(school=org.school, grade="ALL", subject="MATH").values_list(
            "group", flat=True
        )
    ) == {"all", "high_needs", "econ_disadv", "el", "swd", "black", "hispanic", "white", "asian"}
    assert run.aggregates_written >= GrowthAggregate.objects.count()  # ALL rows: once per cohort
    # audited: the request and the result
    events = AuditEvent.objects.filter(object_type="growth.GrowthRun", object_id=str(run.pk))
    assert {e.action for e in events} == {"create", "load"}
    assert events.get(action="load").changes["students_scored"] == run.students_scored


def test_median_follows_the_stored_sgps(org, personas, scores, engine):
    growth_compute(year=2017, actor=personas.state_admin, state="MA")
    import statistics

    sgps = list(
        StudentGrowth.objects.filter(school=org.school, subject="MATH").values_list(
            "sgp", flat=True
        )
    )
    agg = GrowthAggregate.objects.get(school=org.school, subject="MATH", grade="ALL", group="all")
    assert agg.n == len(sgps) == 60
    assert agg.median_sgp == statistics.median(sgps)
    assert agg.mean_sgp == round(statistics.fmean(sgps), 1)


def test_min_n_comes_from_the_settings(org, personas, scores, engine, settings):
    settings.GROWTH_MIN_N = 10
    growth_compute(year=2017, actor=personas.state_admin, state="MA")
    el = GrowthAggregate.objects.get(school=org.school, subject="ELA", grade="ALL", group="el")
    assert el.n == 12 and el.median_sgp is not None and el.min_n == 10


def test_second_compute_recomputes_nothing_and_changes_nothing(org, personas, scores, engine):
    first = growth_compute(year=2017, actor=personas.state_admin, state="MA")
    before = snapshot()
    second = growth_compute(year=2017, actor=personas.state_admin, state="MA")

    assert second.status == GrowthRun.Status.DONE, second.message
    assert second.cohorts_recomputed == 0 and second.cohorts_unchanged == 4
    assert second.students_scored == 0 and second.recomputed == []
    assert "Nothing to recompute" in second.message
    assert snapshot() == before
    assert len(engine.CALLS) == 1  # the engine fitted only in the first run
    assert first.pk != second.pk


def test_changing_one_score_recomputes_only_its_cohort(org, personas, scores, engine):
    growth_compute(year=2017, actor=personas.state_admin, state="MA")
    before = {
        f.content_area + f.grade: (f.pk, f.fitted_at, f.input_hash) for f in CohortFit.objects.all()
    }
    other_rows = set(
        StudentGrowth.objects.exclude(subject="MATH", grade="04").values_list("pk", flat=True)
    )
    record = StudentAssessment.objects.filter(
        school=org.school, year=2017, grade="04", subject="MATH"
    ).first()
    record.scale_score = 200.0 if record.scale_score > 240 else 280.0
    record.save(update_fields=["scale_score"])

    run = growth_compute(year=2017, actor=personas.state_admin, state="MA")

    assert run.status == GrowthRun.Status.DONE, run.message
    assert run.recomputed == ["MATH 2017 grade 04"] and run.cohorts_unchanged == 3
    assert engine.CALLS[-1] == ("MATH 2017 4",)
    after = {
        f.content_area + f.grade: (f.pk, f.fitted_at, f.input_hash) for f in CohortFit.objects.all()
    }
    for key in ("ELA04", "ELA05", "MATH05"):
        assert after[key] == before[key]
    assert after["MATH04"][2] != before["MATH04"][2]
    # the other cohorts' rows were not touched
    assert other_rows <= set(StudentGrowth.objects.values_list("pk", flat=True))
    assert StudentGrowth.objects.filter(subject="MATH", grade="04").count() == 2 * PER_GRADE


def test_changing_a_group_flag_refreshes_the_cohort_and_its_aggregates(
    org, personas, scores, engine
):
    growth_compute(year=2017, actor=personas.state_admin, state="MA")
    el = GrowthAggregate.objects.get(school=org.school, subject="ELA", grade="04", group="el")
    record = StudentAssessment.objects.filter(
        school=org.school, year=2017, grade="04", subject="ELA", is_el=False
    ).first()
    record.is_el = True
    record.save(update_fields=["is_el"])

    run = growth_compute(year=2017, actor=personas.state_admin, state="MA")

    assert run.recomputed == ["ELA 2017 grade 04"]
    new = GrowthAggregate.objects.get(school=org.school, subject="ELA", grade="04", group="el")
    assert new.n == el.n + 1
    assert (
        GrowthAggregate.objects.get(school=org.school, subject="ELA", grade="ALL", group="el").n
        == 13
    )


def test_a_failing_cohort_leaves_nothing_of_itself(org, personas, scores, engine, monkeypatch):
    real_refresh = services._refresh_aggregates
    calls = []

    def refresh_then_fail(run, year, subject, touched, roster):
        calls.append(subject)
        written = real_refresh(run, year, subject, touched, roster)
        if len(calls) == 2:  # the second cohort: its students are written, then it fails
            raise RuntimeError("disk full")
        return written

    monkeypatch.setattr(services, "_refresh_aggregates", refresh_then_fail)
    run = growth_compute(year=2017, actor=personas.state_admin, state="MA")

    assert run.status == GrowthRun.Status.FAILED
    assert "RuntimeError: disk full" in run.message
    assert "Stored before it stopped: ELA 2017 grade 04" in run.message
    assert run.recomputed == ["ELA 2017 grade 04"] and run.cohorts_recomputed == 1
    # the first cohort is complete; the failing one (ELA grade 5) left no fit, rows or aggregates
    assert list(CohortFit.objects.values_list("grade", flat=True)) == ["04"]
    assert set(StudentGrowth.objects.values_list("grade", flat=True)) == {"04"}
    assert not GrowthAggregate.objects.filter(grade="05").exists()
    assert StudentGrowth.objects.count() == run.students_scored == 2 * PER_GRADE
    # ALL rows are those of grade 4 alone, consistent with what is stored
    assert (
        GrowthAggregate.objects.get(school=org.school, subject="ELA", grade="ALL", group="all").n
        == PER_GRADE
    )

    # the next run stores what the failed one did not
    monkeypatch.setattr(services, "_refresh_aggregates", real_refresh)
    again = growth_compute(year=2017, actor=personas.state_admin, state="MA")
    assert again.status == GrowthRun.Status.DONE
    assert set(again.recomputed) == MA_COHORTS - {"ELA 2017 grade 04"}
    assert StudentGrowth.objects.count() == 2 * 2 * 2 * PER_GRADE


def test_engine_failure_fails_the_run_and_writes_nothing(org, personas, scores, engine):
    # a cohort too small for the design: the engine refuses the plan with a clear message
    StudentAssessment.objects.filter(year=2016, grade="03", subject="ELA").exclude(
        student_key__in=["A-2016-000", "A-2016-001"]
    ).delete()
    run = growth_compute(year=2017, actor=personas.state_admin, state="MA")
    assert run.status == GrowthRun.Status.FAILED
    assert "grade 4 has 2 students" in run.message and "at least 5 are needed" in run.message
    assert not CohortFit.objects.exists() and not StudentGrowth.objects.exists()
    assert not GrowthAggregate.objects.exists()
    assert AuditEvent.objects.filter(action="load", changes__status="failed").exists()


def test_engine_out_of_range_sgp_is_refused(org, personas, scores, engine, monkeypatch):
    real_fit = engine.fit_task

    def bad_fit(long, task):
        frame = real_fit(long, task)
        if task.grade == "5":
            frame.loc[0, "SGP"] = 100
        return frame

    monkeypatch.setattr(engine, "fit_task", bad_fit)
    run = growth_compute(year=2017, content_areas=["ELA"], actor=personas.state_admin, state="MA")
    assert run.status == GrowthRun.Status.FAILED
    assert "outside 1–99 in ELA 2017 grade 05" in run.message
    assert set(CohortFit.objects.values_list("grade", flat=True)) == {"04"}


def test_a_year_without_scores_or_priors_fails_clearly(org, personas, scores, engine):
    run = growth_compute(year=2019, actor=personas.state_admin, state="MA")
    assert run.status == GrowthRun.Status.FAILED
    assert "No student scores in 2019" in run.message
    run = growth_compute(year=2015, actor=personas.state_admin, state="MA")
    assert run.status == GrowthRun.Status.FAILED
    assert "No cohort can be computed for 2015" in run.message


def test_missing_engine_fails_clearly(org, personas, scores, monkeypatch):
    from turnaround.growth import engine as growth_engine

    def missing():
        raise ImportError("no engine")

    monkeypatch.setattr(growth_engine, "load_engine", missing)
    run = growth_compute(year=2017, actor=personas.state_admin, state="MA")
    assert run.status == GrowthRun.Status.FAILED
    assert "growth engine" in run.message and "not installed" in run.message


def test_only_the_requested_content_area_is_computed(org, personas, scores, engine):
    run = growth_compute(year=2017, content_areas=["math"], actor=None, state="MA")
    assert run.content_areas == ["MATH"] and run.status == GrowthRun.Status.DONE
    assert set(StudentGrowth.objects.values_list("subject", flat=True)) == {"MATH"}


@pytest.mark.parametrize(
    ("year", "areas", "field", "text"),
    [
        ("2017", None, "year", "whole number"),
        (1899, None, "year", "between 1990 and 2100"),
        (2017, ["SCI"], "content_areas", "allowed: ELA, MATH"),
        (2017, [], "content_areas", "at least one"),
        (2017, ["ELA", "ela"], "content_areas", "once"),
    ],
)
def test_bad_requests_name_the_field(org, personas, year, areas, field, text):
    with pytest.raises(ValidationError) as exc:
        growth_run_create(state=org.state, year=year, content_areas=areas, actor=None)
    assert text in exc.value.message_dict[field][0]
    assert not GrowthRun.objects.exists()


def test_state_is_required_when_several_have_students(org, scores, engine):
    with pytest.raises(ValidationError) as exc:
        growth_compute(year=2017, actor=None)
    assert "name one: MA, RI" in exc.value.message_dict["state"][0]


def test_one_active_run_per_state(org, personas):
    first = growth_run_create(state=org.state, year=2017, content_areas=None, actor=None)
    with pytest.raises(RunInProgress) as exc:
        growth_run_create(state=org.state, year=2016, content_areas=None, actor=None)
    assert exc.value.run == first and f"run {first.pk}" in str(exc.value)
    # another state is not blocked
    growth_run_create(state=org.other_state, year=2017, content_areas=None, actor=None)
    # a run that shows no progress for an hour was abandoned and blocks nothing
    GrowthRun.objects.filter(pk=first.pk).update(updated_at=timezone.now() - dt.timedelta(hours=2))
    growth_run_create(state=org.state, year=2016, content_areas=None, actor=None)
    first.refresh_from_db()
    assert first.status == GrowthRun.Status.FAILED and "Abandoned" in first.message


def test_removed_cohort_is_deleted_with_its_rows(org, personas, scores, engine):
    growth_compute(year=2017, content_areas=["ELA"], actor=None, state="MA")
    # every 2016 grade-4 ELA score disappears: grade 5 has no cohort any more
    StudentAssessment.objects.filter(year=2016, grade="04", subject="ELA").delete()
    run = growth_compute(year=2017, content_areas=["ELA"], actor=None, state="MA")
    assert run.status == GrowthRun.Status.DONE, run.message
    assert run.cohorts_removed == 1
    assert list(CohortFit.objects.values_list("grade", flat=True)) == ["04"]
    assert not StudentGrowth.objects.filter(grade="05").exists()
    assert not GrowthAggregate.objects.filter(grade="05").exists()
    assert (
        GrowthAggregate.objects.get(school=org.school, subject="ELA", grade="ALL", group="all").n
        == PER_GRADE
    )
