"""``turnaround import``: formats, dry runs, imports, the problem report and exit status 1,
re-imports that change nothing, and the worker for jobs queued from the web."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from turnaround.imports.jobs import run_queued
from turnaround.imports.models import ImportJob
from turnaround.imports.services import import_job_create_from_path, import_job_request_commit
from turnaround.imports.tests.conftest import GOOD_ROWS, csv_text
from turnaround.performance.models import AssessmentResult, DataSource

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import", *args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exc:
        status = int(exc.code or 0)
    return status, out.getvalue(), err.getvalue()


def test_list_names_the_formats(db):
    status, out, _ = run("--list")
    assert status == 0
    assert "results-template" in out and "→ results" in out


def test_dry_run_then_import_then_again(org, data_dir, write):
    path = str(write(csv_text(*GOOD_ROWS)))
    status, out, err = run("results-template", path, "--state", "MA", "--dry-run")
    assert status == 0, err
    assert "results                 5 rows: 5 new, 0 changed, 0 unchanged" in out
    assert "Dry run" in out and not AssessmentResult.objects.filter(year=2018).exists()

    status, out, err = run("results-template", path, "--state", "ma")
    assert status == 0, err
    assert "Committed: 5 new, 0 changed and 0 unchanged rows." in out
    assert "missing values: below_reporting_n 1, missing 6, not_applicable 2, suppressed 6" in out
    assert AssessmentResult.objects.filter(year=2018).count() == 5
    sources = DataSource.objects.count()

    status, out, err = run("results-template", path, "--state", "MA")
    assert status == 0, err
    assert "Nothing changed" in out and DataSource.objects.count() == sources


def test_problems_are_reported_with_exit_status_1(org, data_dir, write):
    rows = ("00350001,2018,ELA,ALL,all,-2,,,,,,,,", "0035,2018,ELA,ALL,all,1,,,,,,,,")
    status, out, err = run("results-template", str(write(csv_text(*rows))), "--state", "MA")
    assert status == 1
    lines = err.splitlines()
    assert 'row 2, column n_tested, value "-2": impossible value: a negative count' in lines
    unknown = 'row 3, column school_code, value "0035": unknown school'
    assert any(line.startswith(unknown) for line in lines)
    assert "2 problems found; nothing was written" in err
    assert not AssessmentResult.objects.filter(year=2018).exists()


def test_bad_commands_exit_2(org, data_dir, write):
    assert run("nope", str(write("x")), "--state", "MA")[0] == 2
    assert run("results-template", "/no/such/file.csv", "--state", "MA")[0] == 2
    assert run("results-template", str(write("x")), "--state", "ZZ")[0] == 2
    assert run("results-template", str(write("x")))[0] == 2  # two states: name one
    assert run()[0] == 2


def test_the_progress_bar_goes_to_stderr(org, data_dir, write, capsys):
    status, out, _ = run("results-template", str(write(csv_text(*GOOD_ROWS))), "--state", "MA")
    bar = capsys.readouterr().err  # tqdm writes to the process's standard error
    assert status == 0 and "checking results" in bar and "writing results" in bar
    assert "checking" not in out


def test_the_worker_checks_uploads_and_commits_requested_jobs(org, data_dir, write, settings):
    settings.JOBS_IMMEDIATE = False
    settings.JOBS_WORKER = True
    job = import_job_create_from_path(
        actor=None, state=org.state, reader_key="results-template", path=write(csv_text(*GOOD_ROWS))
    )
    assert run_queued(once=True) == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY
    assert run_queued(once=True) == 0  # nothing requested yet
    import_job_request_commit(job=job, actor=None)
    status, out, _ = run("--worker", "--once")
    assert status == 0 and "Carried out 1 queued import step(s)." in out
    job.refresh_from_db()
    assert job.status == ImportJob.Status.COMMITTED
