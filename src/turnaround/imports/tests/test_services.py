"""Upload → check → commit through the services, with the template reader and fake readers:
a valid import, every kind of bad input (a clear report, nothing written), atomic rollback,
idempotent re-imports, corrected files, markers, progress and streaming."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from turnaround.audit.models import AuditEvent
from turnaround.imports import storage
from turnaround.imports.models import ImportChange, ImportJob
from turnaround.imports.readers import READERS
from turnaround.imports.readers.base import Chunk, Progress, no_progress
from turnaround.imports.services import (
    ImportRefused,
    import_job_commit,
    import_job_create_from_path,
    import_job_validate,
)
from turnaround.imports.targets import ImportInvalid
from turnaround.imports.tests.conftest import GOOD_ROWS, HEADER, csv_text
from turnaround.imports.writers.results import ResultsWriter
from turnaround.organizations.models import School
from turnaround.performance.models import AssessmentResult, DataSource, StudentAssessment

pytestmark = pytest.mark.django_db


def snapshot() -> tuple[int, int, int]:
    return (
        AssessmentResult.objects.count(),
        DataSource.objects.count(),
        ImportChange.objects.count(),
    )


def test_a_valid_file_is_checked_then_committed(org, run_import, write, personas):
    job = run_import(write(csv_text(*GOOD_ROWS)), commit=False)
    assert job.status == ImportJob.Status.READY, job.problems
    assert job.summary["results"]["new"] == 5
    assert job.message == "Checked: 5 new, 0 changed and 0 unchanged rows. Commit to write them."
    assert [r["_row"] for r in job.preview["results"]] == [2, 3, 4, 5, 6]
    assert not AssessmentResult.objects.filter(year=2018).exists()  # a check writes nothing

    job = import_job_commit(job=job, actor=personas.state_admin)
    assert job.status == ImportJob.Status.COMMITTED, job.message
    assert AssessmentResult.objects.filter(year=2018).count() == 5
    source = job.data_source
    assert source.file_name == "results.csv" and source.checksum == job.sha256
    assert AssessmentResult.objects.filter(year=2018, source=source).count() == 5
    assert job.changes.filter(action="created").count() == 5
    event = AuditEvent.objects.get(action="load", object_id=str(job.pk))
    assert event.actor == personas.state_admin and event.state == org.state
    assert event.changes["rows"] == {"results": {"new": 5, "changed": 0, "unchanged": 0}}
    stored = storage.data_dir() / job.stored_path
    assert stored.is_file() and storage.file_sha256(stored) == job.sha256


BAD_FILES = {
    "wrong columns": (
        csv_text("00350001,2018,ELA,ALL,120", header="school_code,year,subject,grade,students"),
        [(1, "students"), (1, "group")],
    ),
    "wrong types": (
        csv_text("00350001,2018,ELA,ALL,all,many,,,,,,,,", "00350001,twenty,ELA,ALL,all,1,,,,,,,,"),
        [(2, "n_tested"), (3, "year")],
    ),
    "unknown schools": (
        csv_text("99990001,2018,ELA,ALL,all,10,,,,,,,,", "350001,2018,ELA,ALL,all,10,,,,,,,,"),
        [(2, "school_code"), (3, "school_code")],
    ),
    "percent over 100": (
        csv_text("00350001,2018,ELA,ALL,all,10,100.5,,,,,,,"),
        [(2, "pct_level_4")],
    ),
    "negative counts": (csv_text("00350001,2018,ELA,ALL,all,-1,,,,,,,,"), [(2, "n_tested")]),
    "empty body": (HEADER + "\n", [(None, None)]),
    "empty file": ("", [(None, None)]),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_input_gets_a_clear_report_and_writes_nothing(case, run_import, write):
    text, expected = BAD_FILES[case]
    before = snapshot()
    job = run_import(write(text))
    assert job.status == ImportJob.Status.INVALID
    assert [(p["row"], p["column"]) for p in job.problems] == expected
    assert all(p["reason"] for p in job.problems)
    assert job.problem_total == len(expected)
    assert snapshot() == before
    with pytest.raises(ImportRefused, match="has problems"):
        import_job_commit(job=job, actor=None)


def test_mixed_encodings_are_refused(run_import, write):
    data = csv_text(*GOOD_ROWS[:2]).encode() + b"00350001,2018,SCI,ALL,all,1,,,,,,,,\n"
    data += "é,2018,ELA,ALL,all,1,,,,,,,,\n".encode() + "é\n".encode("latin-1")
    job = run_import(write(data))
    assert job.status == ImportJob.Status.INVALID
    assert job.problems[0]["reason"].startswith("mixed encodings")


def test_duplicate_keys_across_chunks(run_import, write):
    rows = [*GOOD_ROWS, GOOD_ROWS[0]]
    job = run_import(write(csv_text(*rows)), chunk_rows=2)
    assert job.status == ImportJob.Status.INVALID
    assert [(p["row"], p["column"], p["value"]) for p in job.problems] == [
        (7, "school_code", "00350001")
    ]
    assert job.problems[0]["reason"].endswith("of row 2")


def test_every_problem_is_counted_and_the_first_are_kept(run_import, write):
    rows = [f"9999{i:04d},2018,ELA,ALL,all,10,,,,,,,," for i in range(1200)]
    job = run_import(write(csv_text(*rows)))
    assert job.problem_total == 1200 and len(job.problems) == 1000


def test_a_write_failing_midway_rolls_everything_back(org, run_import, write, monkeypatch):
    calls = {"n": 0}
    original = ResultsWriter.apply

    def failing(self, typed):
        original(self, typed)
        if self.ctx.commit:
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("disk full")

    monkeypatch.setattr(ResultsWriter, "apply", failing)
    before = snapshot()
    job = run_import(write(csv_text(*GOOD_ROWS)), chunk_rows=2)
    assert calls["n"] == 2  # the first chunk was written before the failure …
    assert job.status == ImportJob.Status.FAILED
    assert "RuntimeError: disk full" in job.message and "Nothing was written" in job.message
    assert snapshot() == before  # … and rolled back with everything else
    assert job.data_source is None
    event = AuditEvent.objects.get(action="load", object_id=str(job.pk))
    assert event.changes["status"] == "failed"


def test_the_same_file_again_changes_nothing(run_import, write):
    path = write(csv_text(*GOOD_ROWS))
    first = run_import(path)
    before = snapshot()
    again = run_import(path, commit=False)
    assert again.duplicate_of == first
    assert again.summary["results"]["unchanged"] == 5
    assert again.message.startswith("Nothing would change")
    assert f"committed as import {first.pk}" in again.message
    again = import_job_commit(job=again, actor=None)
    assert again.status == ImportJob.Status.COMMITTED
    assert again.message == "Nothing changed: the stored data already matches this file."
    assert again.data_source is None
    assert snapshot() == before  # no data source, no change records


def test_a_corrected_file_updates_the_changed_rows_and_records_what_changed(run_import, write):
    first = run_import(write(csv_text(*GOOD_ROWS)))
    corrected = list(GOOD_ROWS)
    corrected[3] = corrected[3].replace(",93.2,", ",93.4,")
    job = run_import(write(csv_text(*corrected), "corrected.csv"))
    assert job.outcome["results"]["changed"] == 1 and job.outcome["results"]["unchanged"] == 4
    change = job.changes.get()
    assert (change.action, change.key, change.row) == ("updated", "00350002 2018 ELA 10 all", 5)
    assert change.changes == {"composite_index": [93.2, 93.4]}
    by_source = dict(
        AssessmentResult.objects.filter(year=2018)
        .values_list("subject", "source_id")
        .order_by("subject")
    )
    assert by_source["SCI"] == first.data_source_id  # untouched rows keep their source
    updated = AssessmentResult.objects.get(year=2018, school__code="00350002")
    assert updated.source == job.data_source


def test_markers_are_missing_with_a_reason_never_zero(run_import, write):
    run_import(write(csv_text(*GOOD_ROWS)))
    el = AssessmentResult.objects.get(year=2018, school__code="00350001", group="el")
    assert el.n_tested is None and el.pct_level_4 is None and el.median_sgp is None
    assert el.missing_reasons["n_tested"] == "suppressed"
    assert el.missing_reasons["median_sgp"] == "not_applicable"
    assert el.missing_reasons["sgp_n"] == "below_reporting_n"
    science = AssessmentResult.objects.get(year=2018, subject="SCI")
    assert science.sgp_n is None and science.missing_reasons["sgp_n"] == "missing"


def test_progress_is_reported_while_checking_and_committing(org, data_dir, write):
    path = write(csv_text(*GOOD_ROWS))
    job = import_job_create_from_path(
        actor=None, state=org.state, reader_key="results-template", path=path
    )
    stages: list[str] = []
    import_job_validate(job=job, progress=lambda stage, done, total: stages.append(stage))
    import_job_commit(job=job, actor=None, progress=lambda s, d, t: stages.append(s))
    assert "checking results" in stages and "writing results" in stages
    assert "comparing results with the stored data" in stages


def test_a_job_cannot_be_committed_twice(run_import, write):
    job = run_import(write(csv_text(*GOOD_ROWS)))
    with pytest.raises(ImportRefused, match="already committed"):
        import_job_commit(job=job, actor=None)


def test_a_commit_waits_for_another_commit_of_the_state(org, run_import, write):
    job = run_import(write(csv_text(*GOOD_ROWS)), commit=False)
    other = run_import(write(csv_text(GOOD_ROWS[0]), "other.csv"), commit=False)
    ImportJob.objects.filter(pk=other.pk).update(status=ImportJob.Status.COMMITTING)
    with pytest.raises(ImportRefused, match=f"Import {other.pk} of MA is being committed"):
        import_job_commit(job=job, actor=None)


def test_data_that_changed_since_the_check_is_reported_and_nothing_written(run_import, write):
    job = run_import(write(csv_text(*GOOD_ROWS)), commit=False)
    School.objects.filter(code="01630001").update(code="01630099")
    before = snapshot()
    job = import_job_commit(job=job, actor=None)
    assert job.status == ImportJob.Status.INVALID
    assert job.problems[0]["value"] == "01630001"
    assert "changed since the file was checked" in job.message
    assert snapshot() == before


def test_a_stored_file_that_changed_is_not_committed(run_import, write):
    job = run_import(write(csv_text(*GOOD_ROWS)), commit=False)
    (storage.data_dir() / job.stored_path).write_text(csv_text(GOOD_ROWS[0]))
    before = snapshot()
    job = import_job_commit(job=job, actor=None)
    assert job.status == ImportJob.Status.FAILED and "changed or disappeared" in job.message
    assert snapshot() == before


def test_options_and_file_kinds_are_checked(org, data_dir, write):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="year"):
        import_job_create_from_path(
            actor=None,
            state=org.state,
            reader_key="results-template",
            path=write(csv_text(*GOOD_ROWS)),
            options={"year": 1800},
        )
    with pytest.raises(ValidationError, match="reads .csv or .txt or .xlsx files"):
        import_job_create_from_path(
            actor=None,
            state=org.state,
            reader_key="results-template",
            path=write("{}", "results.json"),
        )
    with pytest.raises(ValidationError, match="unknown format"):
        import_job_create_from_path(actor=None, state=org.state, reader_key="nope", path=write("x"))
    assert not list((data_dir / "imports").glob("*/*")) if (data_dir / "imports").exists() else True


# ---------------------------------------------------------------------------------------------
# Fake readers: streaming order, several targets, restricted data


class FakeReader:
    """Yields the chunks it is given, noting when each is produced."""

    key = "fake"
    label = "Fake"
    extensions = (".csv",)
    description = "for tests"

    def __init__(self, chunks: list[Chunk], log: list[str] | None = None) -> None:
        self.chunks = chunks
        self.targets = tuple(dict.fromkeys(c.target for c in chunks))
        self.log = log if log is not None else []

    def read(
        self,
        path: Path,
        *,
        options: Mapping[str, Any],
        progress: Progress = no_progress,
        chunk_rows: int = 50_000,
    ) -> Iterator[Chunk]:
        for i, chunk in enumerate(self.chunks):
            assert len(chunk.frame) <= chunk_rows
            self.log.append(f"read {i}")
            yield chunk
            progress(i + 1, len(self.chunks))


def frame(target: str, *rows: dict[str, Any], first_row: int = 2) -> pd.DataFrame:
    from turnaround.imports.tests.test_writers import chunk

    return chunk(target, *rows, first_row=first_row)


RESULT = {"school_code": "00350001", "year": 2019, "subject": "ELA", "grade": "ALL", "group": "all"}


def test_chunks_are_written_as_they_are_read(run_import, write, monkeypatch):
    log: list[str] = []
    chunks = [
        Chunk("results", frame("results", {**RESULT, "subject": s}, first_row=2 + i))
        for i, s in enumerate(("ELA", "MATH", "SCI"))
    ]
    monkeypatch.setitem(READERS, "fake", FakeReader(chunks, log))
    original = ResultsWriter.feed

    def feed(self, data, **kwargs):
        log.append(f"{'write' if self.ctx.commit else 'check'} {len(log)}")
        return original(self, data, **kwargs)

    monkeypatch.setattr(ResultsWriter, "feed", feed)
    job = run_import(write("x"), reader="fake", chunk_rows=1)
    assert job.status == ImportJob.Status.COMMITTED, job.problems
    kinds = [entry.split()[0] for entry in log]
    assert kinds == ["read", "check", "read", "check", "read", "check"] + [
        "read",
        "write",
        "read",
        "write",
        "read",
        "write",
    ]


def test_rows_about_a_school_the_same_file_adds_find_it(org, run_import, write, monkeypatch):
    school = {
        "state": "MA",
        "district_code": "00350000",
        "district_name": "Boston",
        "school_code": "00350077",
        "school_name": "New School",
        "grade_low": "06",
        "grade_high": "08",
    }
    chunks = [  # results first: the pipeline still writes schools first
        Chunk("results", frame("results", {**RESULT, "school_code": "00350077"})),
        Chunk("schools", frame("schools", school)),
    ]
    monkeypatch.setitem(READERS, "fake", FakeReader(chunks))
    job = run_import(write("x"), reader="fake", commit=False)
    assert job.status == ImportJob.Status.READY, job.problems
    assert job.summary["schools"]["new"] == 1 and job.summary["results"]["new"] == 1
    job = import_job_commit(job=job, actor=None)
    assert job.status == ImportJob.Status.COMMITTED, job.message
    new = School.objects.get(code="00350077")
    assert new.school_type == "MS" and new.assessment_results.count() == 1


def test_a_reader_problem_found_at_the_end_stops_the_check(run_import, write, monkeypatch):
    class Failing(FakeReader):
        def read(self, path, *, options, progress=no_progress, chunk_rows=50_000):
            yield from super().read(path, options=options, progress=progress)
            raise ImportInvalid(path.name, [_issue()], 3)

    monkeypatch.setitem(READERS, "fake", Failing([Chunk("results", frame("results", RESULT))]))
    before = snapshot()
    job = run_import(write("x"), reader="fake")
    assert job.status == ImportJob.Status.INVALID and job.problem_total == 3
    assert snapshot() == before


def _issue():
    from turnaround.imports.targets import InputIssue

    return InputIssue(4, "grade", "13", "a tested grade is 03 to 12")


def test_student_files_are_restricted_audited_and_never_previewed_by_row(
    org, run_import, write, monkeypatch, personas
):
    rows = [
        {
            "student_key": f"k{i}",
            "school_code": "00350001",
            "year": 2018,
            "grade": "04",
            "subject": "MATH",
            "scale_score": 230.0 + i,
            "achievement_level": 2,
            "race": "white",
        }
        for i in range(4)
    ]
    seen_options: dict[str, Any] = {}

    class Students(FakeReader):
        def read(self, path, *, options, progress=no_progress, chunk_rows=50_000):
            seen_options.update(options)
            return super().read(path, options=options, progress=progress)

    monkeypatch.setitem(READERS, "fake", Students([Chunk("students", frame("students", *rows))]))
    job = run_import(write("x"), reader="fake", actor=personas.state_admin)
    assert job.restricted and job.status == ImportJob.Status.COMMITTED, job.message
    assert StudentAssessment.objects.filter(year=2018).count() == 4
    assert job.preview["students"] == [
        {"school_code": "00350001", "year": 2018, "subject": "MATH", "records": 4}
    ]
    assert "k0" not in str(job.preview) + str(job.summary) + str(job.outcome)
    assert len(seen_options["pseudonym_key"]) == 64 and "pseudonym_key" not in job.options
    upload = AuditEvent.objects.get(action="create", object_id=str(job.pk))
    assert "student-level records uploaded" in upload.changes["disclosure"]
