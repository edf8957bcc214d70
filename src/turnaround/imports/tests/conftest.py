"""Fixture files written by the tests, and helpers that run a file through the pipeline.

The standing ``org`` fixture (Massachusetts: Adams Elementary 00350001, Burke High 00350002, Lynn
Middle 01630001; Rhode Island: Providence Central RI-01-01) already holds 2016 and 2017 results
for ELA and MATH, all grades, groups ``all`` and ``el``; the tests import other years unless they
mean to change those rows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from turnaround.imports.models import ImportJob
from turnaround.imports.services import (
    import_job_commit,
    import_job_create_from_path,
    import_job_validate,
)

HEADER = (
    "school_code,year,subject,grade,group,n_tested,pct_level_4,pct_level_3,pct_level_2,"
    "pct_level_1,composite_index,mean_scale_score,median_sgp,sgp_n"
)
GOOD_ROWS = (
    "00350001,2018,ELA,ALL,all,120,10.5,40,30,19.5,75.2,,48,100",
    "00350001,2018,MATH,ALL,all,121,12,38,30,20,72.5,,51,101",
    "00350001,2018,ELA,ALL,el,*,*,*,*,*,*,,N/A,<10",
    "00350002,2018,ELA,10,all,200,35.4,51.9,9.4,3.3,93.2,,54,188",
    "01630001,2018,SCI,08,all,90,5,25,40,30,60,,N/A,",
)


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


@pytest.fixture
def data_dir(tmp_path, settings):
    """A data directory of the test's own (uploaded files are stored under it)."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    return settings.DATA_DIR


@pytest.fixture
def write(tmp_path):
    """``write(text_or_bytes, name)`` → the path of a new fixture file."""

    def make(content: str | bytes, name: str = "results.csv") -> Path:
        path = tmp_path / "files" / name
        path.parent.mkdir(exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return make


@pytest.fixture
def run_import(org, data_dir):
    """``run_import(path, reader=…, commit=True, **options)`` → the job after check (and commit)."""

    def run(
        path: Path,
        *,
        reader: str = "results-template",
        commit: bool = True,
        state=None,
        actor=None,
        chunk_rows: int = 50_000,
        **options,
    ) -> ImportJob:
        job = import_job_create_from_path(
            actor=actor, state=state or org.state, reader_key=reader, path=path, options=options
        )
        job = import_job_validate(job=job, chunk_rows=chunk_rows)
        if commit and job.status == ImportJob.Status.READY:
            job = import_job_commit(job=job, actor=actor, chunk_rows=chunk_rows)
        return job

    return run
