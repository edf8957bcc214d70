"""Student files end to end: the commit loads what the check kept, and keeps the guarantees.

Checked and staged rows are kept beside the stored file (``pipeline.Stash``) so the commit does
not read the file again; these tests pin that down and that the import stays all-or-nothing,
idempotent and recorded without student values.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from turnaround.imports import storage
from turnaround.imports.models import ImportJob
from turnaround.imports.readers.students import StudentsReader
from turnaround.imports.services import import_job_commit
from turnaround.imports.tests.conftest import csv_text
from turnaround.organizations.models import School
from turnaround.performance.models import DataSource, StudentAssessment

HEADER = (
    "student_id,school_code,year,grade,subject,scale_score,achievement_level,is_high_needs,"
    "is_econ_disadv,is_el,is_swd,race"
)
ROWS = (
    "SASID-1000001,00350001,2017,4,ELA,244,3,true,true,false,false,hispanic",
    "SASID-1000001,00350001,2017,04,MATH,238,2,1,1,0,0,hispanic",
    "SASID-1000002,00350002,2017,10,ELA,262,4,no,no,no,yes,",
    "SASID-1000003,01630001,2016,8,SCI,229.5,2,Y,N,Y,N,white",
    "SASID-1000002,00350002,2016,9,ELA,250,3,no,no,no,yes,",
)


@pytest.fixture
def reads(monkeypatch):
    """How many times the students reader has started reading a file."""
    calls: list[Path] = []
    original = StudentsReader.read

    def counted(self, path, **kwargs):
        calls.append(Path(path))
        return original(self, path, **kwargs)

    monkeypatch.setattr(StudentsReader, "read", counted)
    return calls


def stash_of(job: ImportJob) -> Path:
    path = storage.data_dir() / job.stored_path
    return path.parent / f".{path.name}.checked"


def stored() -> list[tuple]:
    return sorted(
        StudentAssessment.objects.values_list(
            "student_key", "school__code", "year", "grade", "subject", "scale_score",
            "achievement_level", "is_high_needs", "is_econ_disadv", "is_el", "is_swd", "race",
        )
    )  # fmt: skip


def test_the_commit_loads_the_checked_rows_instead_of_reading_again(run_import, write, reads):
    job = run_import(write(csv_text(*ROWS, header=HEADER), "scores.csv"), reader="students",
                     commit=False)  # fmt: skip
    assert job.status == ImportJob.Status.READY, job.problems
    assert (stash_of(job) / "manifest.json").is_file()
    assert len(reads) == 1
    job = import_job_commit(job=job, actor=None)
    assert job.status == ImportJob.Status.COMMITTED, job.message
    assert len(reads) == 1  # not read again
    assert not stash_of(job).exists()
    assert job.outcome["students"]["new"] == 5
    rows = stored()
    assert len(rows) == 5
    assert ("00350001", 2017, "04", "MATH", 238.0, 2, True, True, False, False, "hispanic") in [
        r[1:] for r in rows
    ]
    assert ("00350002", 2017, "10", "ELA", 262.0, 4, False, False, False, True, "") in [
        r[1:] for r in rows
    ]
    assert all(len(r[0]) == 64 and not r[0].startswith("SASID") for r in rows)
    assert job.preview["students"][0] == {
        "school_code": "00350001", "year": 2017, "subject": "ELA", "records": 1,
    }  # fmt: skip


def test_the_same_rows_are_stored_with_or_without_the_kept_rows(run_import, write, data_dir):
    first = run_import(write(csv_text(*ROWS, header=HEADER), "a.csv"), reader="students")
    kept = stored()
    StudentAssessment.objects.all().delete()
    job = run_import(write(csv_text(*ROWS, header=HEADER), "b.csv"), reader="students",
                     commit=False)  # fmt: skip
    for path in stash_of(job).iterdir():
        path.unlink()  # nothing kept: the commit reads the file
    job = import_job_commit(job=job, actor=None)
    assert job.status == ImportJob.Status.COMMITTED, job.message
    assert stored() == kept
    assert first.outcome["students"] == job.outcome["students"]


def test_a_file_with_a_problem_writes_nothing_and_keeps_nothing(run_import, write):
    rows = [*ROWS, "SASID-1000004,00350001,2017,4,ELA,,3,true,true,false,false,"]
    before = (StudentAssessment.objects.count(), DataSource.objects.count())
    job = run_import(write(csv_text(*rows, header=HEADER)), reader="students")
    assert job.status == ImportJob.Status.INVALID
    assert [(p["row"], p["column"]) for p in job.problems] == [(7, "scale_score")]
    assert not stash_of(job).exists()
    assert (StudentAssessment.objects.count(), DataSource.objects.count()) == before


def test_the_same_file_again_changes_nothing(run_import, write):
    first = run_import(write(csv_text(*ROWS, header=HEADER), "a.csv"), reader="students")
    assert first.status == ImportJob.Status.COMMITTED
    rows, sources = stored(), DataSource.objects.count()
    again = run_import(write(csv_text(*ROWS, header=HEADER), "b.csv"), reader="students")
    assert again.status == ImportJob.Status.COMMITTED, again.message
    assert again.message == "Nothing changed: the stored data already matches this file."
    assert again.outcome["students"]["unchanged"] == 5
    assert again.outcome["changes_recorded"] == 0 and again.data_source is None
    assert stored() == rows and DataSource.objects.count() == sources


def test_a_corrected_file_records_which_fields_changed_never_the_values(run_import, write):
    run_import(write(csv_text(*ROWS, header=HEADER), "a.csv"), reader="students")
    corrected = list(ROWS)
    corrected[2] = corrected[2].replace(",262,4,no,no,no,yes,", ",259,4,no,no,yes,yes,")
    job = run_import(write(csv_text(*corrected, header=HEADER), "b.csv"), reader="students")
    assert job.status == ImportJob.Status.COMMITTED, job.message
    assert job.outcome["students"]["changed"] == 1
    assert job.outcome["students"]["unchanged"] == 4
    change = job.changes.get()
    assert change.action == "updated" and change.row == 4
    assert change.changes == {"scale_score": None, "is_el": None}
    assert "SASID" not in change.key and " 2017 ELA" in change.key
    record = StudentAssessment.objects.get(year=2017, subject="ELA", school__code="00350002")
    assert (record.scale_score, record.is_el, record.source) == (259.0, True, job.data_source)


def test_a_school_changed_since_the_check_is_found_and_nothing_written(run_import, write, reads):
    job = run_import(write(csv_text(*ROWS, header=HEADER)), reader="students", commit=False)
    School.objects.filter(code="01630001").update(code="01630099")
    job = import_job_commit(job=job, actor=None)
    assert len(reads) == 2  # the kept rows no longer fit: the file was read again
    assert job.status == ImportJob.Status.INVALID
    assert job.problems[0]["value"] == "01630001"
    assert StudentAssessment.objects.count() == 0


def test_a_failing_commit_from_the_kept_rows_writes_nothing(run_import, write, monkeypatch):
    from turnaround.imports.writers import students

    job = run_import(write(csv_text(*ROWS, header=HEADER)), reader="students", commit=False)

    def broken(self, source_id):
        raise RuntimeError("disk full")

    monkeypatch.setattr(students._Sql, "insert", broken)
    monkeypatch.setattr(students._Sql, "upsert", broken)
    sources = DataSource.objects.count()
    job = import_job_commit(job=job, actor=None)
    assert job.status == ImportJob.Status.FAILED and "RuntimeError" in job.message
    assert StudentAssessment.objects.count() == 0 and DataSource.objects.count() == sources
