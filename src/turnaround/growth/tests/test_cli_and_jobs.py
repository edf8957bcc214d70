"""``turnaround growth`` (compute, sgp, worker) and the job runner's three ways to run a job."""

from __future__ import annotations

import csv
import gzip
import io
import logging
import threading

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from turnaround.growth import services
from turnaround.growth.jobs import job_start, run_queued
from turnaround.growth.models import GrowthRun, StudentGrowth
from turnaround.growth.services import growth_compute, growth_run_create
from turnaround.growth.tests.conftest import student_rows


def run_command(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("growth", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# ----------------------------------------------------------------------------- compute


@pytest.mark.django_db
def test_compute_prints_what_it_recomputed_and_skipped(org, scores, engine):
    out, _ = run_command("compute", "--year", "2017", "--state", "MA")
    assert "Recomputed: ELA 2017 grade 04, ELA 2017 grade 05, MATH 2017 grade 04" in out
    assert "Unchanged (skipped): nothing" in out
    out, _ = run_command("compute", "--year", "2017", "--state", "ma", "--content-areas", "ELA")
    assert "Recomputed: nothing" in out
    assert "Unchanged (skipped): ELA 2017 grade 04, ELA 2017 grade 05" in out
    assert GrowthRun.objects.filter(status="done").count() == 2


@pytest.mark.django_db
def test_compute_errors_are_command_errors(org, scores, engine):
    with pytest.raises(CommandError, match="content_areas: unknown content area 'SCI'"):
        run_command("compute", "--year", "2017", "--state", "MA", "--content-areas", "SCI")
    with pytest.raises(CommandError, match="name one: MA, RI"):
        run_command("compute", "--year", "2017")
    with pytest.raises(CommandError, match="failed: No student scores in 2020"):
        run_command("compute", "--year", "2020", "--state", "MA")


@pytest.mark.django_db
def test_compute_shows_a_progress_bar_on_stderr(org, scores, engine, capsys):
    call_command("growth", "compute", "--year", "2017", "--state", "MA")
    assert "step" in capsys.readouterr().err  # tqdm's bar


# ----------------------------------------------------------------------------- sgp (files)


def write_long(path, rows) -> None:
    frame = pd.DataFrame(
        [
            {
                "VALID_CASE": "VALID_CASE",
                "CONTENT_AREA": r.subject,
                "YEAR": str(r.year),
                "ID": r.student_key,
                "GRADE": str(int(r.grade)),
                "SCALE_SCORE": r.scale_score,
            }
            for r in rows
        ]
    )
    frame.to_csv(path, index=False)


class _School:
    pk = 1


def test_sgp_file_command_writes_the_analysts_csv(tmp_path, real_engine):
    rows = student_rows(None, None, prefix="S", per_grade=40)
    write_long(tmp_path / "long.csv", rows)
    out, _ = run_command(
        "sgp", str(tmp_path / "long.csv"), "--output", str(tmp_path / "out.csv.gz"),
        "--years", "2017", "--content-areas", "MATH",
    )  # fmt: skip
    assert "Wrote the SGPs of 80 students" in out
    with gzip.open(tmp_path / "out.csv.gz", "rt") as fh:
        result = list(csv.DictReader(fh))
    assert len(result) == 80
    assert set(result[0]) >= {"CONTENT_AREA", "YEAR", "ID", "GRADE", "SGP", "SGP_ORDER"}
    assert {r["GRADE"] for r in result} == {"4", "5"} and {r["CONTENT_AREA"] for r in result} == {
        "MATH"
    }
    assert all(1 <= int(r["SGP"]) <= 99 for r in result)


def test_sgp_file_command_reports_bad_input(tmp_path, real_engine):
    rows = student_rows(None, None, prefix="S", per_grade=40)
    write_long(tmp_path / "long.csv", rows + rows[:3])  # three duplicate records
    with pytest.raises(
        CommandError, match="have more than one record .* keep one record per student"
    ):
        run_command("sgp", str(tmp_path / "long.csv"), "--output", str(tmp_path / "out.csv"))
    assert not (tmp_path / "out.csv").exists()  # nothing half-written
    with pytest.raises(CommandError):
        run_command("sgp", str(tmp_path / "missing.csv"), "--output", str(tmp_path / "out.csv"))


# ----------------------------------------------------------------------------- jobs


@pytest.mark.django_db
def test_job_runs_immediately_in_tests(org, personas, scores, engine, settings):
    assert settings.JOBS_IMMEDIATE is True
    run = growth_run_create(state=org.state, year=2017, content_areas=None, actor=None)
    assert job_start(run) == "immediate"
    run.refresh_from_db()
    assert run.status == GrowthRun.Status.DONE and StudentGrowth.objects.exists()


@pytest.mark.django_db
def test_worker_mode_leaves_the_run_queued_for_the_worker(org, scores, engine, settings):
    settings.JOBS_IMMEDIATE = False
    settings.JOBS_WORKER = True
    run = growth_run_create(state=org.state, year=2017, content_areas=["ELA"], actor=None)
    assert job_start(run) == "worker"
    run.refresh_from_db()
    assert run.status == GrowthRun.Status.QUEUED and not StudentGrowth.objects.exists()
    out, _ = run_command("worker", "--once")
    assert "Carried out 1 queued growth run(s)." in out
    run.refresh_from_db()
    assert run.status == GrowthRun.Status.DONE and run.started_at is not None
    assert run_queued(once=True) == 0


@pytest.mark.django_db(transaction=True)
def test_thread_mode_runs_after_commit_and_records_progress(org, scores, engine, settings):
    settings.JOBS_IMMEDIATE = False
    settings.JOBS_WORKER = False
    run = growth_run_create(state=org.state, year=2017, content_areas=["MATH"], actor=None)
    assert job_start(run) == "thread"
    thread = next(t for t in threading.enumerate() if t.name == f"growth-run-{run.pk}")
    thread.join(timeout=60)
    assert not thread.is_alive()
    run.refresh_from_db()
    assert run.status == GrowthRun.Status.DONE, run.message
    assert run.progress_done == run.progress_total > 0 and run.stage == "done"
    assert StudentGrowth.objects.filter(subject="MATH").count() == run.students_scored == 120


@pytest.mark.django_db
def test_claimed_run_is_not_run_twice(org, scores, engine):
    run = growth_run_create(state=org.state, year=2017, content_areas=["ELA"], actor=None)
    assert services.growth_run_claim(run) is True
    assert services.growth_run_claim(GrowthRun.objects.get(pk=run.pk)) is False


@pytest.mark.django_db
def test_unexpected_errors_keep_student_data_out_of_the_log(
    org, personas, scores, engine, monkeypatch, caplog
):
    def boom(*args, **kwargs):
        raise RuntimeError("bad row for student A-2016-001")

    monkeypatch.setattr(services, "_refresh_aggregates", boom)
    caplog.set_level(logging.DEBUG)
    run = growth_compute(year=2017, actor=personas.state_admin, state="MA")
    assert run.status == GrowthRun.Status.FAILED
    assert "A-2016-001" in run.message  # on the run, which only state staff read
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"growth run {run.pk} failed with RuntimeError" in logged
    assert "A-2016-001" not in logged
